// SPDX-License-Identifier: GPL-2.0
/*
 * portsteerctl: configure portsteer, the NFQUEUE port steering module.
 *
 *   portsteerctl [-j] [-p] [-s] [-n] [--netns NAME|PATH] OBJECT COMMAND ...
 *   portsteerctl [-j] [-p] [-s] [-n] [--netns NAME|PATH] [--force] -b FILE|-
 *
 * Options may stand after the object too (cli.c).
 */
#include <errno.h>
#include <fcntl.h>
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
	{ "show", NULL, cmd_show, "show [NAME]" },
	{ "service", "show", cmd_service_show, "service show [NAME]" },
	{ "service", "add", cmd_service_add,
	  "service add NAME queue Q[-Q2] [balance flow|cpu] [bypass]\n"
	  "              [mark MARK] [ctmark MARK]" },
	{ "service", "change", cmd_service_change,
	  "service change NAME [queue Q[-Q2]] [balance flow|cpu] [bypass|nobypass]\n"
	  "                 [mark MARK|none] [ctmark MARK|none]" },
	{ "service", "del", cmd_service_del, "service del NAME [with-rules]" },
	{ "rule", "show", cmd_rule_show, "rule show [service NAME]" },
	{ "rule", "add", cmd_rule_add,
	  "rule add [ip|ip6|inet] PROTO dport|sport|port PORTS service NAME" },
	{ "rule", "replace", cmd_rule_replace,
	  "rule replace [ip|ip6|inet] PROTO dport|sport|port PORTS service NAME" },
	{ "rule", "del", cmd_rule_del,
	  "rule del [ip|ip6|inet] PROTO dport|sport|port PORTS [service NAME]" },
	{ "stats", NULL, cmd_stats, "stats [show|reset]" },
	{ "settings", "show", cmd_settings_show, "settings show" },
	{ "settings", "set", cmd_settings_set,
	  "settings set [hook HOOK[,HOOK...]] [priority N] [defrag on|off]\n"
	  "               [icmp-errors on|off] [seed N]" },
	{ "apply", NULL, cmd_apply, "apply [--check] [--force] FILE|-" },
	{ "save", NULL, cmd_save, "save" },
	{ "flush", NULL, cmd_flush, "flush" },
	{ "monitor", NULL, cmd_monitor,
	  "monitor [service|rule|settings] [count N] [timestamp]" },
	{ "listen", NULL, cmd_listen,
	  "listen SERVICE | queue Q[-Q2] [count N] [timeout SECONDS]\n"
	  "         [verdict accept|drop] [maxlen N] [no-fail-open] [epoch]" },
	{ "version", NULL, cmd_version, "version" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: " PROG_NAME
		" [-j|--json] [-p|--pretty] [-s|--stats] [-n|--numeric]\n"
		"                    [--netns NAME|PATH] OBJECT COMMAND ...\n"
		"       " PROG_NAME " [OPTIONS] [--force] -b|--batch FILE|-\n"
		"       " PROG_NAME " help [OBJECT] | OBJECT help | --help | --version\n"
		"\nCommands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\nPROTO: tcp, udp, udplite, sctp, dccp. PORTS: 80,https,8000-8080.\n"
		"dport: the destination port; sport: the source port; port: either.\n"
		"MARK: VALUE[/MASK], decimal or 0x hex (mark 0x1, ctmark 0x100/0xff00).\n"
		"HOOK: prerouting, input, forward, output (hook input,output).\n"
		"Without a command, an object shows itself; without an object, show.\n"
		"Options may follow the object too; -- ends them. Objects and commands\n"
		"may be abbreviated: s sh is service show. list is show, delete is del.\n"
		"-b FILE: a command a line, as after " PROG_NAME ", over one netlink\n"
		"socket; stops at the first that fails (--force: runs them all).\n"
		"Exit status: 0 ok, 1 failed, 2 invalid command line or input, 3 module not loaded.\n"
		"See " PROG_NAME "(8).\n");
}

/* Exits 2 for a --netns that is not a name or an absolute path, 1 else. */
static int enter_netns(const char *arg)
{
	char path[4096];
	int fd;

	if (ctl_netns_path(arg, path, sizeof(path)))
		return EXIT_USAGE;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ctl_err("cannot open netns '%s': %s\n", arg, strerror(errno));
		return EXIT_ERROR;
	}
	if (setns(fd, CLONE_NEWNET)) {
		ctl_err("cannot enter netns '%s': %s\n", arg, strerror(errno));
		close(fd);
		return EXIT_ERROR;
	}
	close(fd);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct ctl_command_table table = {
		.cmds = commands,
		.n = N_COMMANDS,
		.usage = usage,
		.resolve = true,
	};
	struct ctl_cmdline cl;
	const char *help_for = NULL;
	int ret;
	FILE *f;

	ret = ctl_parse_cmdline(argc, argv, &cl);
	if (ret)
		return ret;
	argc = cl.argc;
	argv = cl.argv;
	if (cl.version) {
		printf(PROG_NAME " " PORTSTEERCTL_VERSION "\n");
		return EXIT_OK;
	}
	if (cl.batch && argc > 0) {
		ctl_err("unexpected argument '%s' after '--batch %s'\n",
			argv[0], cl.batch);
		return EXIT_USAGE;
	}
	if (cl.help) {
		/* rule add --help: the help of rule; frob --help: all */
		ctl_usage(stdout, &table, argc ? ctl_object_name(argv[0]) : NULL);
		return EXIT_OK;
	}
	ret = argc > 0 ? ctl_resolve(argc, argv, &help_for) : EXIT_OK;
	if (ret == CTL_RESOLVED_HELP) {
		ctl_usage(stdout, &table, help_for);
		return EXIT_OK;
	}
	if (ret)
		return ret;
	if (opts.check && (cl.batch || !argc || strcmp(argv[0], "apply"))) {
		ctl_err("option '--check' is apply's; see '" PROG_NAME " help apply'\n");
		return EXIT_USAGE;
	}
	if (opts.netns) {
		ret = enter_netns(opts.netns);
		if (ret)
			return ret;
	}
	if (cl.batch) {
		if (!strcmp(cl.batch, "-"))
			return ctl_batch(&table, stdin, "<stdin>", cl.force);
		f = fopen(cl.batch, "re");
		if (!f) {
			ctl_err("cannot open '%s': %s\n", cl.batch,
				strerror(errno));
			return EXIT_ERROR;
		}
		ret = ctl_batch(&table, f, cl.batch, cl.force);
		fclose(f);
		return ret;
	}
	if (argc == 0)
		return cmd_show(0, argv);
	return ctl_dispatch(&table, argc, argv);
}
