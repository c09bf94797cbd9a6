// SPDX-License-Identifier: GPL-2.0
/*
 * portsteerctl: the command table's dispatch, for the command line and for
 * batches (-b FILE, as ip -batch): one command a line, the words that
 * would follow portsteerctl, run in order over one netlink connection.
 */
#include <stdlib.h>
#include <string.h>

#include "nl.h"
#include "commands.h"

static int dispatch(const struct ctl_command_table *t, int argc, char **argv,
		    bool in_batch)
{
	const char *cmd = argc > 1 ? argv[1] : "show";
	size_t i;

	if (!strcmp(argv[0], "help")) {
		t->usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < t->n; i++) {
		const struct ctl_command *k = &t->cmds[i];

		if (strcmp(k->object, argv[0]))
			continue;
		if (!k->command)
			return k->fn(argc - 1, argv + 1);
		if (!strcmp(k->command, cmd))
			return k->fn(argc > 1 ? argc - 2 : 0, argv + 2);
	}
	for (i = 0; i < t->n; i++)
		if (!strcmp(t->cmds[i].object, argv[0]))
			break;
	if (i < t->n)
		ctl_err("unknown command '%s %s'\n", argv[0], cmd);
	else
		ctl_err("unknown object '%s'\n", argv[0]);
	/* a batch names its line; the whole usage would drown it */
	if (!in_batch)
		t->usage(stderr);
	return EXIT_USAGE;
}

/* Runs OBJECT [COMMAND] ARGS... (argc >= 1): the command's exit status. */
int ctl_dispatch(const struct ctl_command_table *t, int argc, char **argv)
{
	return dispatch(t, argc, argv, false);
}

/*
 * Runs the commands of f, one a line ('#' comments and blank lines
 * skipped), each as on the command line, its messages prefixed with
 * "FNAME:LINE: ". Stops at the first that fails and returns its status;
 * with force, runs them all and returns EXIT_ERROR if any failed.
 */
int ctl_batch(const struct ctl_command_table *t, FILE *f, const char *fname,
	      bool force)
{
	struct line_words w = { 0 };
	int rc, status = EXIT_OK;

	ctl_nl_share(true);
	while (read_words(f, &w)) {
		const char *help_for = NULL;

		ctl_set_err_prefix(fname, w.lineno);
		/* as on the command line: prefixes, aliases, OBJECT help */
		rc = t->resolve ? ctl_resolve(w.argc, w.argv, &help_for) : EXIT_OK;
		if (rc == CTL_RESOLVED_HELP) {
			ctl_usage(stdout, t, help_for);
			rc = EXIT_OK;
		} else if (rc == EXIT_OK) {
			rc = dispatch(t, w.argc, w.argv, true);
		}
		ctl_set_err_prefix(NULL, 0);
		/* in order with what the next lines print to stderr */
		fflush(stdout);
		if (rc == EXIT_OK)
			continue;
		if (!force) {
			status = rc;
			break;
		}
		status = EXIT_ERROR;
	}
	if (status == EXIT_OK && ferror(f)) {
		ctl_err("%s: read error\n", fname);
		status = EXIT_ERROR;
	}
	line_words_free(&w);
	ctl_nl_share(false);
	return status;
}
