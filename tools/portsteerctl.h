/* SPDX-License-Identifier: GPL-2.0 */
/*
 * portsteerctl: shared types. The parsers (parse.c, services.c) and the
 * output (output.c) know nothing about netlink; nl.c knows nothing about
 * the command line.
 */
#ifndef PORTSTEERCTL_H
#define PORTSTEERCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <jansson.h>
#include <linux/portsteer.h>

#define PROG_NAME	"portsteerctl"
#define CTL_ERR_MAX	512

/* Exit statuses */
#define EXIT_OK		0
#define EXIT_ERROR	1
#define EXIT_USAGE	2
#define EXIT_NOFAMILY	3	/* the generic netlink family is not there */

/* The version of every JSON document: its first key, json_schema_version */
#define CTL_JSON_SCHEMA_VERSION	1

/* Global options */
struct ctl_opts {
	bool json;
	bool stats;
	bool numeric;
	bool pretty;		/* -p: JSON indented */
	bool check;		/* -c: apply validates, changes nothing */
	bool force;		/* -f: a batch goes on; apply takes an empty file */
	const char *netns;
};

extern struct ctl_opts opts;

/* Bits of ctl_service.have */
#define CTL_SVC_QUEUE	(1U << 0)	/* queue and queue_count */
#define CTL_SVC_BALANCE	(1U << 1)
#define CTL_SVC_BYPASS	(1U << 2)
#define CTL_SVC_RULES	(1U << 3)
#define CTL_SVC_STATS	(1U << 4)
#define CTL_SVC_MARK		(1U << 5)	/* mark: sent, or read */
#define CTL_SVC_MARK_MASK	(1U << 6)	/* mark_mask: sent, or read */
#define CTL_SVC_CT_MARK		(1U << 7)
#define CTL_SVC_CT_MARK_MASK	(1U << 8)

struct ctl_service {
	char name[PORTSTEER_SERVICE_NAME_MAX + 1];
	unsigned int have;
	uint16_t queue;
	uint32_t queue_count;
	uint8_t balance;
	uint8_t bypass;
	uint32_t rules;
	uint64_t packets;
	uint64_t bytes;
	/*
	 * The exempting marks; a mask of 0 is no mark. "mark V" alone has
	 * CTL_SVC_MARK only, and mark_mask 0xffffffff (the kernel's default
	 * for it, not sent); "mark none" has CTL_SVC_MARK_MASK only.
	 */
	uint32_t mark;
	uint32_t mark_mask;
	uint32_t ct_mark;
	uint32_t ct_mark_mask;
	int line;		/* apply file line, 0 otherwise */
};

struct ctl_rule {
	uint8_t family;		/* enum portsteer_family */
	uint8_t proto;		/* IPPROTO_* */
	uint16_t port_min;
	uint16_t port_max;
	char service[PORTSTEER_SERVICE_NAME_MAX + 1];
	int line;
	uint8_t dir;		/* enum portsteer_direction: bits dst, src */
};

/* What a rule command does: rule add, del, replace */
enum ctl_rule_op {
	CTL_RULE_ADD,
	CTL_RULE_DEL,
	CTL_RULE_REPLACE,
};

/* Bits of ctl_settings.have */
#define CTL_SET_HOOK		(1U << 0)	/* hooks */
#define CTL_SET_PRIORITY		(1U << 1)
#define CTL_SET_DEFRAG		(1U << 2)
#define CTL_SET_ICMP_ERRORS	(1U << 3)
#define CTL_SET_SEED		(1U << 4)
#define CTL_SET_WRITABLE		0x1f
#define CTL_SET_LIMITS		(1U << 5)	/* max_*, services, rules */
#define CTL_SET_HOOK_ACTIVE	(1U << 6)
#define CTL_SET_TABLE_BYTES	(1U << 7)

struct ctl_settings {
	unsigned int have;
	uint32_t hooks;		/* enum portsteer_hooks: bit N for hook N */
	int32_t priority;
	uint8_t defrag;
	uint8_t icmp_errors;
	uint32_t seed;
	uint32_t max_services;
	uint32_t max_rules;
	uint32_t services;
	uint32_t rules;
	uint8_t hook_active;
	uint64_t table_bytes;
	int line;
};

struct ctl_stats {
	uint64_t seen;
	uint64_t matched;
	uint64_t unmatched;
	uint64_t no_l4;
	uint64_t malformed;
	uint64_t icmp_followed;
	uint64_t dropped;
	uint64_t exempt;
};

/* A whole configuration: an apply file, or what save reads back. */
struct ctl_config {
	struct ctl_settings settings;
	struct ctl_service *services;
	size_t n_services;
	struct ctl_rule *rules;
	size_t n_rules;
	uint32_t generation;
};

/* One row of /proc/net/netfilter/nfnetlink_queue */
struct ctl_queue_state {
	uint16_t queue;
	bool bound;
	uint32_t portid;
	uint32_t waiting;
	uint32_t copy_mode;
	uint32_t copy_range;
	uint32_t dropped;
	uint32_t user_dropped;
	uint32_t id_sequence;
};

struct ctl_queue_table {
	struct ctl_queue_state *rows;
	size_t n;
};

/* util (util.c) */
/* Error messages: "portsteerctl: " then fmt, or "FILE:LINE: " in a batch */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *ctl_err_prefix(void);
void ctl_set_err_prefix(const char *fname, int line);	/* NULL: reset */
void *xrealloc(void *p, size_t size);
int parse_u32(const char *s, uint32_t max, uint32_t *out);
int parse_s32(const char *s, int32_t *out);
int parse_u32_hex(const char *s, uint32_t *out);
bool valid_service_name(const char *s);
#define HASH_STR_INIT	0x811c9dc5U
uint32_t hash_str(const char *s, uint32_t h);

/* protocols and families (parse.c) */
int proto_from_name(const char *s);
const char *proto_name(uint8_t proto);
int family_from_name(const char *s);
const char *family_name(uint8_t family);
const char *balance_name(uint8_t balance);
const char *hook_name(uint8_t hook);
int hook_from_name(const char *s);
void format_hooks(char *buf, size_t len, uint32_t hooks);
int direction_from_word(const char *s);
const char *direction_word(uint8_t dir);
const char *direction_name(uint8_t dir);

/* /etc/services (services.c); PORTSTEER_SERVICES overrides the path */
int services_port(const char *name, uint8_t proto);
const char *services_name(uint16_t port, uint8_t proto);

/* command parsers (parse.c): each fills err with a message on failure */
int parse_queue_range(const char *s, uint16_t *queue, uint32_t *count,
		      char *err);
/* A name for a new service: valid_service_name() and no keyword (parse.c) */
int check_service_name(const char *s, char *err);
int parse_ports(uint8_t proto, const char *ports, const char *ctx,
		struct ctl_rule **rules, size_t *n, char *err);
int parse_service_cmd(int argc, char **argv, bool change,
		      struct ctl_service *svc, char *err);
int parse_rule_cmd(int argc, char **argv, bool add, struct ctl_rule **rules,
		   size_t *n, char *err);
int parse_settings_cmd(int argc, char **argv, struct ctl_settings *set,
		       char *err);
struct ctl_pair {
	size_t first;
	size_t second;
};

size_t rules_overlaps(const struct ctl_rule *rules, size_t n,
		      struct ctl_pair *pairs, size_t max);
void format_rule(char *buf, size_t len, const struct ctl_rule *r);
int split_line(char *line, char ***argv, int *argc);
/* The lines of a file as words (read_words): '#' comments, blanks skipped */
struct line_words {
	char *line;
	size_t cap;
	char **argv;
	int argc;
	int lineno;	/* of the last line read */
};

bool read_words(FILE *f, struct line_words *w);
void line_words_free(struct line_words *w);
int parse_config(FILE *f, const char *fname, struct ctl_config *cfg,
		 FILE *errf);
void config_free(struct ctl_config *cfg);
/* apply's input: a whole file, text or the JSON document of -j save */
int read_file(const char *path, char **buf, size_t *len, char *err);
/* save's output: to path atomically (temp + rename), or stdout if "-" */
int write_file(const char *path, const char *text, size_t len, char *err);
bool config_is_json(const char *buf, size_t len);
int parse_config_json(const char *buf, size_t len, const char *fname,
		      struct ctl_config *cfg, FILE *errf);
int parse_config_buf(const char *buf, size_t len, bool json,
		     const char *fname, struct ctl_config *cfg, FILE *errf);

/* output (output.c) */
int format_ports(char *buf, size_t len, uint8_t proto, uint16_t min,
		 uint16_t max, bool numeric);
void print_json(json_t *j);
json_t *json_doc(void);
json_t *json_doc_gen(uint32_t generation);
void format_time(char *buf, size_t len, const struct timespec *ts,
		 bool epoch);
json_t *service_json_counted(const struct ctl_service *s, bool stats);
json_t *services_doc(const struct ctl_service *svcs, size_t n, uint32_t gen);
json_t *rules_doc(const struct ctl_rule *rules, size_t n, uint32_t gen);
json_t *settings_doc(const struct ctl_settings *s, uint32_t gen);
json_t *stats_doc(const struct ctl_stats *st, const struct ctl_service *svcs,
		  size_t n, uint32_t gen);
json_t *save_json(const struct ctl_config *cfg);
json_t *service_json(const struct ctl_service *s);
json_t *rule_json(const struct ctl_rule *r);
json_t *settings_json(const struct ctl_settings *s);
json_t *stats_json(const struct ctl_stats *st);
json_t *queue_state_json(uint16_t queue, const struct ctl_queue_state *q);
void print_marks(FILE *f, const struct ctl_service *s);
void print_service(FILE *f, const struct ctl_service *s);
void print_rule(FILE *f, const struct ctl_rule *r, bool with_service,
		bool numeric);
void print_settings(FILE *f, const struct ctl_settings *s);
void print_stats(FILE *f, const struct ctl_stats *st);
void print_queue_state(FILE *f, uint16_t queue,
		       const struct ctl_queue_state *q);
void print_save(FILE *f, const struct ctl_config *cfg);
json_t *show_json(const struct ctl_config *cfg,
		  const struct ctl_queue_table *qt);
void print_show(FILE *f, const struct ctl_config *cfg,
		const struct ctl_queue_table *qt);
int queue_table_read(const char *path, struct ctl_queue_table *qt);
const struct ctl_queue_state *queue_table_find(const struct ctl_queue_table *qt,
					       uint16_t queue);

#endif /* PORTSTEERCTL_H */
