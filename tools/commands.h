/* SPDX-License-Identifier: GPL-2.0 */
/* portsteerctl: the commands; each takes the words after its name. */
#ifndef PORTSTEERCTL_COMMANDS_H
#define PORTSTEERCTL_COMMANDS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
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
	bool resolve;		/* a batch's lines take prefixes and aliases */
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
int cmd_version(int argc, char **argv);

/* The signal (SIGINT, SIGTERM) that ended a loop of listen or monitor. */
extern volatile sig_atomic_t got_signal;
void catch_stop_signals(sigset_t *waitmask);

/*
 * cli.c: the command line before a command runs. ctl_parse_cmdline() takes
 * options anywhere (until "--"); ctl_resolve() writes out the object and
 * command of abbreviations and aliases, or says help was asked for.
 */
struct ctl_cmdline {
	const char *batch;
	bool force;
	bool help;
	bool version;
	int argc;		/* the words that are not options */
	char **argv;
};

#define CTL_RESOLVED_HELP	100

int ctl_parse_cmdline(int argc, char **argv, struct ctl_cmdline *cl);
int ctl_resolve(int argc, char **argv, const char **help_for);
/* Where a usage error of the command being run points: "rule", or "help". */
extern const char *ctl_help_object;
const char *ctl_object_name(const char *word);
void ctl_usage(FILE *f, const struct ctl_command_table *t, const char *object);
int ctl_netns_path(const char *arg, char *path, size_t len);

/* listen.c, monitor.c: their arguments, without a socket */
struct listen_args {
	const char *service;	/* or queue, count */
	uint16_t queue;
	uint32_t count;
	uint64_t max_packets;	/* 0: no limit */
	int64_t timeout_ms;	/* -1: none */
	uint32_t verdict;
	uint32_t maxlen;
	bool fail_open;
	bool epoch;
};

int listen_parse_args(int argc, char **argv, struct listen_args *a);
int listen_exit_status(const struct listen_args *a, uint64_t packets,
		       bool timed_out);

struct monitor_args {
	const char *object;	/* service, rule, settings; NULL: all */
	uint64_t max;
	bool timestamp;
};

int monitor_parse_args(int argc, char **argv, struct monitor_args *a);
bool monitor_wants(const struct monitor_args *a, uint8_t cmd);

#endif /* PORTSTEERCTL_COMMANDS_H */
