// SPDX-License-Identifier: GPL-2.0
/*
 * portsteerctl: the command line before any command runs. Options are
 * taken wherever they stand (before the object and after it, as ip takes
 * them) until "--"; objects and commands may be abbreviated to a prefix,
 * which picks the first word of a fixed order that starts with it; the
 * aliases list and delete; help per object; the --netns argument.
 * Everything here prints its own messages, "portsteerctl: ..." on one line.
 */
#include <string.h>

#include "portsteerctl.h"
#include "commands.h"

/*
 * The objects in the order prefixes are resolved in (portsteerctl(8) says
 * it): "s" and "se" are service, "set" settings, "st" stats, "sh" show.
 * Commands of an object in the order of its usage; help last.
 */
static const char *const service_cmds[] = {
	"show", "add", "change", "del", "help", NULL
};

static const char *const settings_cmds[] = { "show", "set", "help", NULL };
static const char *const stats_cmds[] = { "show", "reset", "help", NULL };
static const char *const rule_cmds[] = {
	"show", "add", "replace", "del", "help", NULL
};

static const struct ctl_object {
	const char *name;
	const char *const *cmds;	/* NULL: the object is the command */
	const char *notes;
} objects[] = {
	{ "service", service_cmds,
	  "MARK: VALUE[/MASK], decimal or 0x hex (mark 0x1, ctmark 0x100/0xff00).\n" },
	{ "settings", settings_cmds,
	  "HOOK: prerouting, input, forward, output (hook input,output).\n" },
	{ "stats", stats_cmds, NULL },
	{ "show", NULL,
	  "show NAME: one service, with its rules, counters and queues.\n" },
	{ "save", NULL, NULL },
	{ "rule", rule_cmds,
	  "PROTO: tcp, udp, udplite, sctp, dccp. PORTS: 80,https,8000-8080.\n"
	  "dport: the destination port; sport: the source port; port: either.\n" },
	{ "apply", NULL, NULL },
	{ "flush", NULL, NULL },
	{ "monitor", NULL,
	  "OBJECT: service, rule or settings (flush and apply show in each).\n" },
	{ "listen", NULL,
	  "Timestamps are HH:MM:SS.ssssss, local time; epoch: seconds since 1970.\n"
	  "Exits 1 when a timeout ends it before its count.\n" },
	{ "version", NULL, NULL },
	{ "help", NULL, NULL },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define N_OBJECTS ARRAY_SIZE(objects)

static const struct {
	const char *alias, *cmd;
} aliases[] = {
	{ "list", "show" },
	{ "delete", "del" },
};

/*
 * The word of @words (NULL-terminated) that @s is: itself, an alias of it,
 * or the first that starts with @s.
 */
static const char *pick(const char *s, const char *const *words)
{
	size_t i, k, len = strlen(s);

	if (!len)
		return NULL;
	for (i = 0; words[i]; i++)
		if (!strcmp(s, words[i]))
			return words[i];
	for (k = 0; k < ARRAY_SIZE(aliases); k++)
		for (i = 0; words[i]; i++)
			if (!strcmp(s, aliases[k].alias) &&
			    !strcmp(words[i], aliases[k].cmd))
				return words[i];
	for (i = 0; words[i]; i++)
		if (!strncmp(s, words[i], len))
			return words[i];
	return NULL;
}

static const struct ctl_object *find_object(const char *s)
{
	const char *names[N_OBJECTS + 1];
	const char *name;
	size_t i;

	for (i = 0; i < N_OBJECTS; i++)
		names[i] = objects[i].name;
	names[i] = NULL;
	name = pick(s, names);
	for (i = 0; name && i < N_OBJECTS; i++)
		if (name == objects[i].name)
			return &objects[i];
	return NULL;
}

const char *ctl_object_name(const char *word)
{
	const struct ctl_object *o = find_object(word);

	return o ? o->name : NULL;
}

/*
 * The words of a command line (argc >= 1) made whole: the object and its
 * command written out (prefixes and aliases resolved), help asked for
 * anywhere in the first three words. CTL_RESOLVED_HELP and *@help_for
 * (the object, NULL: all) for help; EXIT_USAGE once said why.
 */
const char *ctl_help_object = "help";

int ctl_resolve(int argc, char **argv, const char **help_for)
{
	const struct ctl_object *o = find_object(argv[0]);
	const char *cmd;

	*help_for = NULL;
	ctl_help_object = o ? o->name : "help";
	if (!o) {
		ctl_err("unknown object '%s'; see '" PROG_NAME " help'\n",
			argv[0]);
		return EXIT_USAGE;
	}
	argv[0] = (char *)o->name;
	if (!strcmp(o->name, "help")) {
		if (argc < 2)
			return CTL_RESOLVED_HELP;
		o = find_object(argv[1]);
		if (!o) {
			ctl_err("help: unknown object '%s'; see '" PROG_NAME
				" help'\n", argv[1]);
			return EXIT_USAGE;
		}
		*help_for = strcmp(o->name, "help") ? o->name : NULL;
		return CTL_RESOLVED_HELP;
	}
	if (!o->cmds || argc < 2) {
		if (argc > 1 && !strcmp(argv[1], "help")) {
			*help_for = o->name;
			return CTL_RESOLVED_HELP;
		}
		return EXIT_OK;
	}
	cmd = pick(argv[1], o->cmds);
	if (!cmd) {
		ctl_err("unknown command '%s %s'; see '" PROG_NAME " %s help'\n",
			o->name, argv[1], o->name);
		return EXIT_USAGE;
	}
	argv[1] = (char *)cmd;
	if (!strcmp(cmd, "help") || (argc > 2 && !strcmp(argv[2], "help"))) {
		*help_for = o->name;
		return CTL_RESOLVED_HELP;
	}
	return EXIT_OK;
}

/* The usage lines of @object from @t, then its notes; NULL: everything. */
void ctl_usage(FILE *f, const struct ctl_command_table *t, const char *object)
{
	size_t i, k;

	if (!object || !strcmp(object, "help")) {
		t->usage(f);
		return;
	}
	fprintf(f, "Usage:");
	for (i = 0, k = 0; i < t->n; i++) {
		const char *u = t->cmds[i].usage, *nl;

		if (strcmp(t->cmds[i].object, object))
			continue;
		fprintf(f, "%s" PROG_NAME " ", k++ ? "       " : " ");
		/* continuation lines are indented for the list of "  " + usage */
		for (; (nl = strchr(u, '\n')); u = nl + 1)
			fprintf(f, "%.*s\n%*s", (int)(nl - u), u,
				(int)strlen("       " PROG_NAME " ") - 2, "");
		fprintf(f, "%s\n", u);
	}
	if (!k)
		fprintf(f, " " PROG_NAME " %s\n", object);
	for (i = 0; i < N_OBJECTS; i++)
		if (!strcmp(objects[i].name, object) && objects[i].notes)
			fprintf(f, "%s", objects[i].notes);
	fprintf(f, "Options anywhere: -j -p -s -n --netns NAME|PATH. See "
		PROG_NAME "(8).\n");
}

/* id: the short option, or for a long one only a letter of its own */
static const struct ctl_option {
	const char *name;
	char id;
	bool has_short;
	bool arg;
} options[] = {
	{ "json", 'j', true, false },
	{ "pretty", 'p', true, false },
	{ "stats", 's', true, false },
	{ "numeric", 'n', true, false },
	{ "netns", 'N', false, true },
	{ "batch", 'b', true, true },
	{ "force", 'f', true, false },
	{ "check", 'c', true, false },
	{ "help", 'h', true, false },
	{ "version", 'V', true, false },
};

static void set_option(struct ctl_cmdline *cl, const struct ctl_option *o,
		       const char *arg)
{
	switch (o->id) {
	case 'j':
		opts.json = true;
		break;
	case 'p':
		opts.pretty = true;	/* implies nothing else: -j is -j */
		break;
	case 's':
		opts.stats = true;
		break;
	case 'n':
		opts.numeric = true;
		break;
	case 'N':
		opts.netns = arg;
		break;
	case 'b':
		cl->batch = arg;
		break;
	case 'f':
		cl->force = true;
		opts.force = true;
		break;
	case 'c':
		opts.check = true;
		break;
	case 'h':
		cl->help = true;
		break;
	case 'V':
		cl->version = true;
		break;
	}
}

/* --NAME, --NAME=ARG, or a unique prefix of NAME */
static int long_option(struct ctl_cmdline *cl, int argc, char **argv, int *i)
{
	const char *word = argv[*i] + 2, *eq = strchr(word, '='), *arg = NULL;
	const struct ctl_option *o = NULL;
	size_t len = eq ? (size_t)(eq - word) : strlen(word), k, n = 0;

	for (k = 0; k < ARRAY_SIZE(options); k++) {
		if (strncmp(word, options[k].name, len))
			continue;
		if (strlen(options[k].name) == len) {
			o = &options[k];
			n = 1;
			break;
		}
		o = &options[k];
		n++;
	}
	if (n != 1) {
		ctl_err("%s option '%.*s'; see '" PROG_NAME " help'\n",
			n ? "ambiguous" : "unknown", (int)(len + 2), argv[*i]);
		return EXIT_USAGE;
	}
	if (!o->arg && eq) {
		ctl_err("option '--%s' takes no argument\n", o->name);
		return EXIT_USAGE;
	}
	if (o->arg) {
		if (eq)
			arg = eq + 1;
		else if (*i + 1 < argc)
			arg = argv[++*i];
		if (!arg || !*arg) {
			ctl_err("option '--%s' needs an argument\n", o->name);
			return EXIT_USAGE;
		}
	}
	set_option(cl, o, arg);
	return EXIT_OK;
}

/* -js, -bFILE, -b FILE */
static int short_options(struct ctl_cmdline *cl, int argc, char **argv, int *i)
{
	const char *p = argv[*i] + 1, *arg;
	size_t k;

	for (; *p; p++) {
		for (k = 0; k < ARRAY_SIZE(options); k++)
			if (options[k].has_short && options[k].id == *p)
				break;
		if (k == ARRAY_SIZE(options)) {
			ctl_err("unknown option '-%c' in '%s'; see '" PROG_NAME
				" help'\n", *p, argv[*i]);
			return EXIT_USAGE;
		}
		if (!options[k].arg) {
			set_option(cl, &options[k], NULL);
			continue;
		}
		arg = p[1] ? p + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
		if (!arg || !*arg) {
			ctl_err("option '-%c' needs an argument\n", *p);
			return EXIT_USAGE;
		}
		set_option(cl, &options[k], arg);
		break;
	}
	return EXIT_OK;
}

/*
 * Options into opts and @cl, the other words, in order, to the front of
 * argv (cl->argc of them). A word is an option when it starts with '-' and
 * is not "-" (standard input) or a negative number (priority -300); after
 * "--" none is. EXIT_OK, or EXIT_USAGE once said why.
 */
int ctl_parse_cmdline(int argc, char **argv, struct ctl_cmdline *cl)
{
	bool words_only = false;
	int i, n = 0, rc;
	char **out = argv + 1;

	memset(cl, 0, sizeof(*cl));
	for (i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (words_only || w[0] != '-' || !w[1] ||
		    (w[1] >= '0' && w[1] <= '9')) {
			out[n++] = argv[i];
			continue;
		}
		if (!strcmp(w, "--")) {
			words_only = true;
			continue;
		}
		rc = w[1] == '-' ? long_option(cl, argc, argv, &i) :
				   short_options(cl, argc, argv, &i);
		if (rc)
			return rc;
	}
	cl->argc = n;
	cl->argv = out;
	return EXIT_OK;
}

/*
 * The file of --netns @arg into @path: a word with a '/' is a path, and must
 * be absolute; another word a name under /run/netns. EXIT_OK or EXIT_USAGE.
 */
int ctl_netns_path(const char *arg, char *path, size_t len)
{
	if (strchr(arg, '/')) {
		if (arg[0] != '/') {
			ctl_err("invalid netns '%s': a path must be absolute (/run/netns/NAME, /proc/PID/ns/net)\n",
				arg);
			return EXIT_USAGE;
		}
		snprintf(path, len, "%s", arg);
		return EXIT_OK;
	}
	if (!*arg || !strcmp(arg, ".") || !strcmp(arg, "..")) {
		ctl_err("invalid netns name '%s'\n", arg);
		return EXIT_USAGE;
	}
	snprintf(path, len, "/run/netns/%s", arg);
	return EXIT_OK;
}
