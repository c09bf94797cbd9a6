/* SPDX-License-Identifier: GPL-2.0 */
/* portsteerctl: the commands; each takes the words after its name. */
#ifndef PORTSTEERCTL_COMMANDS_H
#define PORTSTEERCTL_COMMANDS_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

/* A command of the table: OBJECT [COMMAND] ARGS... */
struct ctl_command {
	const char *object;
	const char *command;	/* NULL: the object is the command */
	int (*fn)(int argc, char **argv);
	const char *usage;
};

struct ctl_command_table {
	const struct ctl_command *cmds;
	size_t n;
	void (*usage)(FILE *f);
};

/* batch.c: the command of argv; the commands of a batch file */
int ctl_dispatch(const struct ctl_command_table *t, int argc, char **argv);
int ctl_batch(const struct ctl_command_table *t, FILE *f, const char *fname,
	      bool force);

int cmd_service_add(int argc, char **argv);
int cmd_service_change(int argc, char **argv);
int cmd_service_del(int argc, char **argv);
int cmd_service_show(int argc, char **argv);
int cmd_rule_add(int argc, char **argv);
int cmd_rule_del(int argc, char **argv);
int cmd_rule_replace(int argc, char **argv);
int cmd_rule_show(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_settings_show(int argc, char **argv);
int cmd_settings_set(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_flush(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_listen(int argc, char **argv);

/* The signal (SIGINT, SIGTERM) that ended a loop of listen or monitor. */
extern volatile sig_atomic_t got_signal;
void catch_stop_signals(sigset_t *waitmask);

#endif /* PORTSTEERCTL_COMMANDS_H */
