// SPDX-License-Identifier: GPL-2.0
/*
 * portsteerctl: configure portsteer, the NFQUEUE port steering module.
 *
 *   portsteerctl [-j] [-s] [-n] [--netns NAME] OBJECT COMMAND ...
 *   portsteerctl [-j] [-s] [-n] [--netns NAME] [--force] -b FILE|-
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portsteerctl.h"
#include "commands.h"

#ifndef PORTSTEERCTL_VERSION
#define PORTSTEERCTL_VERSION "0.1.0-unknown"
#endif

struct ctl_opts opts;

static const struct ctl_command commands[] = {
	{ "show", NULL, cmd_show, "show" },
	{ "service", "show", cmd_service_show, "service show [NAME]" },
	{ "service", "add", cmd_service_add,
	  "service add NAME queue Q[-Q2] [balance flow|cpu] [bypass]\n"
	  "              [mark MARK] [ctmark MARK]" },
	{ "service", "change", cmd_service_change,
	  "service change NAME [queue Q[-Q2]] [balance flow|cpu] [bypass|nobypass]\n"
	  "                 [mark MARK|none] [ctmark MARK|none]" },
	{ "service", "del", cmd_service_del, "service del NAME [with-rules]" },
	{ "rule", "show", cmd_rule_show, "rule show" },
	{ "rule", "add", cmd_rule_add,
	  "rule add [ip|ip6|inet] PROTO dport|sport|port PORTS service NAME" },
	{ "rule", "replace", cmd_rule_replace,
	  "rule replace [ip|ip6|inet] PROTO dport|sport|port PORTS service NAME" },
	{ "rule", "del", cmd_rule_del,
	  "rule del [ip|ip6|inet] PROTO dport|sport|port PORTS" },
	{ "stats", NULL, cmd_stats, "stats [reset]" },
	{ "settings", "show", cmd_settings_show, "settings show" },
	{ "settings", "set", cmd_settings_set,
	  "settings set [hook HOOK[,HOOK...]] [priority N] [defrag on|off]\n"
	  "               [icmp-errors on|off] [seed N]" },
	{ "apply", NULL, cmd_apply, "apply FILE|-" },
	{ "save", NULL, cmd_save, "save" },
	{ "flush", NULL, cmd_flush, "flush" },
	{ "monitor", NULL, cmd_monitor, "monitor [count N]" },
	{ "listen", NULL, cmd_listen,
	  "listen SERVICE | queue Q[-Q2] [count N] [timeout SECONDS]\n"
	  "         [verdict accept|drop] [maxlen N] [no-fail-open]" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: " PROG_NAME
		" [-j|--json] [-s|--stats] [-n|--numeric] [--netns NAME] OBJECT COMMAND ...\n"
		"       " PROG_NAME " [OPTIONS] [--force] -b|--batch FILE|-\n"
		"       " PROG_NAME " --help | --version\n\nCommands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\nPROTO: tcp, udp, udplite, sctp, dccp. PORTS: 80,https,8000-8080.\n"
		"dport: the destination port; sport: the source port; port: either.\n"
		"MARK: VALUE[/MASK], decimal or 0x hex (mark 0x1, ctmark 0x100/0xff00).\n"
		"HOOK: prerouting, input, forward, output (hook input,output).\n"
		"Without a command, an object shows itself; without an object, show.\n"
		"-b FILE: a command a line, as after " PROG_NAME ", over one netlink\n"
		"socket; stops at the first that fails (--force: runs them all).\n"
		"See portsteerctl(8).\n");
}

static int enter_netns(const char *name)
{
	char path[4096];
	int fd;

	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		fprintf(stderr, PROG_NAME ": invalid netns name '%s'\n", name);
		return -1;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, PROG_NAME ": cannot open netns '%s': %s\n",
			name, strerror(errno));
		return -1;
	}
	if (setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, PROG_NAME ": cannot enter netns '%s': %s\n",
			name, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "stats", no_argument, NULL, 's' },
		{ "numeric", no_argument, NULL, 'n' },
		{ "netns", required_argument, NULL, 'N' },
		{ "batch", required_argument, NULL, 'b' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct ctl_command_table table = {
		.cmds = commands,
		.n = N_COMMANDS,
		.usage = usage,
	};
	const char *batch = NULL;
	bool force = false;
	int c, ret;
	FILE *f;

	while ((c = getopt_long(argc, argv, "+jsnhVb:", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opts.json = true;
			break;
		case 's':
			opts.stats = true;
			break;
		case 'n':
			opts.numeric = true;
			break;
		case 'N':
			opts.netns = optarg;
			break;
		case 'b':
			batch = optarg;
			break;
		case 'F':
			force = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf(PROG_NAME " " PORTSTEERCTL_VERSION "\n");
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (batch && argc > 0) {
		ctl_err("unexpected argument '%s' after '--batch %s'\n",
			argv[0], batch);
		return EXIT_USAGE;
	}
	if (argc > 0 && !strcmp(argv[0], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (opts.netns && enter_netns(opts.netns))
		return EXIT_ERROR;
	if (batch) {
		if (!strcmp(batch, "-"))
			return ctl_batch(&table, stdin, "<stdin>", force);
		f = fopen(batch, "re");
		if (!f) {
			ctl_err("cannot open '%s': %s\n", batch, strerror(errno));
			return EXIT_ERROR;
		}
		ret = ctl_batch(&table, f, batch, force);
		fclose(f);
		return ret;
	}
	if (argc == 0)
		return cmd_show(0, argv);
	return ctl_dispatch(&table, argc, argv);
}
