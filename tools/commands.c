// SPDX-License-Identifier: GPL-2.0
/*
 * portsteerctl: the configuration commands: service, rule, settings,
 * stats, show, flush, apply and save.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nl.h"
#include "commands.h"

#define QUEUE_PROC	"/proc/net/netfilter/nfnetlink_queue"

static int usage_error(const char *err)
{
	ctl_err("%s\n", err);
	return EXIT_USAGE;
}

static int no_args(int argc, char **argv, const char *what)
{
	if (argc > 0) {
		ctl_err("unexpected argument '%s' after '%s'\n", argv[0], what);
		return -1;
	}
	return 0;
}

/* Joins words for messages: "rule add inet tcp dport 80". */
static void join(char *buf, size_t len, const char *prefix, int argc,
		 char **argv)
{
	size_t n = snprintf(buf, len, "%s", prefix);
	int i;

	for (i = 0; i < argc && n < len; i++)
		n += snprintf(buf + n, len - n, " %s", argv[i]);
}

static int service_set(int argc, char **argv, bool change)
{
	char err[CTL_ERR_MAX], buf[MNL_SOCKET_BUFFER_SIZE];
	struct ctl_service svc;
	struct nlmsghdr *nlh;
	struct ctl_nl nl;
	int ret;

	if (parse_service_cmd(argc, argv, change, &svc, err))
		return usage_error(err);
	if (ctl_nl_open(&nl))
		return EXIT_ERROR;
	nlh = ctl_nl_msg(&nl, buf, change ? PORTSTEER_CMD_SERVICE_SET :
					   PORTSTEER_CMD_SERVICE_NEW, 0);
	ctl_put_service(nlh, sizeof(buf), &svc, false);
	ret = ctl_nl_do(&nl, nlh, NULL, NULL);
	if (ret)
		nl_error(&nl.s, ret, "service %s %s",
			 change ? "change" : "add", svc.name);
	ctl_nl_close(&nl);
	return ret ? EXIT_ERROR : EXIT_OK;
}

int cmd_service_add(int argc, char **argv)
{
	return service_set(argc, argv, false);
}

int cmd_service_change(int argc, char **argv)
{
	return service_set(argc, argv, true);
}

int cmd_service_del(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ctl_service svc = { 0 };
	bool with_rules = false;
	struct nlmsghdr *nlh;
	struct ctl_nl nl;
	int ret;

	if (argc < 1)
		return usage_error("service del: missing service name");
	if (!valid_service_name(argv[0])) {
		ctl_err("invalid service name '%s'\n", argv[0]);
		return EXIT_USAGE;
	}
	if (argc > 1 && !strcmp(argv[1], "with-rules"))
		with_rules = true;
	if (no_args(argc - 1 - with_rules, argv + 1 + with_rules,
		    with_rules ? "with-rules" : argv[0]))
		return EXIT_USAGE;
	strcpy(svc.name, argv[0]);
	if (ctl_nl_open(&nl))
		return EXIT_ERROR;
	nlh = ctl_nl_msg(&nl, buf, PORTSTEER_CMD_SERVICE_DEL, 0);
	ctl_put_service(nlh, sizeof(buf), &svc, true);
	if (with_rules)
		mnl_attr_put_u32(nlh, PORTSTEER_A_FLAGS,
				 PORTSTEER_F_WITH_RULES);
	ret = ctl_nl_do(&nl, nlh, NULL, NULL);
	if (ret)
		nl_error(&nl.s, ret, "service del %s", svc.name);
	ctl_nl_close(&nl);
	return ret ? EXIT_ERROR : EXIT_OK;
}

int cmd_service_show(int argc, char **argv)
{
	struct ctl_service *svcs = NULL, one;
	struct ctl_nl nl;
	size_t n = 0, i;
	int ret;

	if (argc > 1 && no_args(argc - 1, argv + 1, argv[0]))
		return EXIT_USAGE;
	if (ctl_nl_open(&nl))
		return EXIT_ERROR;
	if (argc == 1) {
		ret = ctl_get_service(&nl, argv[0], &one);
		if (!ret) {
			svcs = xrealloc(NULL, sizeof(one));
			svcs[0] = one;
			n = 1;
		}
	} else {
		ret = ctl_get_services(&nl, &svcs, &n, NULL);
	}
	if (ret) {
		nl_error(&nl.s, ret, "service show%s%s", argc ? " " : "",
			 argc ? argv[0] : "");
		ctl_nl_close(&nl);
		return EXIT_ERROR;
	}
	if (opts.json) {
		json_t *a = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(a, service_json(&svcs[i]));
		print_json(a);
		json_decref(a);
	} else {
		for (i = 0; i < n; i++)
			print_service(stdout, &svcs[i]);
	}
	free(svcs);
	ctl_nl_close(&nl);
	return EXIT_OK;
}

static const char *const rule_op_words[] = {
	[CTL_RULE_ADD] = "rule add",
	[CTL_RULE_DEL] = "rule del",
	[CTL_RULE_REPLACE] = "rule replace",
};

static int rule_change(int argc, char **argv, enum ctl_rule_op op)
{
	char err[CTL_ERR_MAX], what[CTL_ERR_MAX];
	struct ctl_rule *rules;
	struct nlmsghdr *nlh;
	struct ctl_nl nl;
	size_t n;
	char *buf;
	int ret;

	if (parse_rule_cmd(argc, argv, op != CTL_RULE_DEL, &rules, &n, err))
		return usage_error(err);
	if (ctl_nl_open(&nl)) {
		free(rules);
		return EXIT_ERROR;
	}
	/* what, for messages, only when there is one: batches add many rules */
	buf = xrealloc(NULL, NL_MSG_SIZE);
	nlh = ctl_rule_msg(&nl, buf, NL_MSG_SIZE - 1024, op, rules, n);
	if (!nlh) {
		join(what, sizeof(what), rule_op_words[op], argc, argv);
		ctl_err("%s: too many ports for one command\n", what);
		ret = -EMSGSIZE;
		goto out;
	}
	ret = ctl_nl_do(&nl, nlh, NULL, NULL);
	if (ret) {
		join(what, sizeof(what), rule_op_words[op], argc, argv);
		nl_error(&nl.s, ret, "%s", what);
	}
out:
	free(buf);
	free(rules);
	ctl_nl_close(&nl);
	return ret ? EXIT_ERROR : EXIT_OK;
}

int cmd_rule_add(int argc, char **argv)
{
	return rule_change(argc, argv, CTL_RULE_ADD);
}

int cmd_rule_del(int argc, char **argv)
{
	return rule_change(argc, argv, CTL_RULE_DEL);
}

int cmd_rule_replace(int argc, char **argv)
{
	return rule_change(argc, argv, CTL_RULE_REPLACE);
}

int cmd_rule_show(int argc, char **argv)
{
	struct ctl_rule *rules;
	struct ctl_nl nl;
	size_t n, i;
	int ret;

	if (no_args(argc, argv, "rule show"))
		return EXIT_USAGE;
	if (ctl_nl_open(&nl))
		return EXIT_ERROR;
	ret = ctl_get_rules(&nl, &rules, &n, NULL);
	if (ret) {
		nl_error(&nl.s, ret, "rule show");
		ctl_nl_close(&nl);
		return EXIT_ERROR;
	}
	if (opts.json) {
		json_t *a = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(a, rule_json(&rules[i]));
		print_json(a);
		json_decref(a);
	} else {
		for (i = 0; i < n; i++)
			print_rule(stdout, &rules[i], true, opts.numeric);
	}
	free(rules);
	ctl_nl_close(&nl);
	return EXIT_OK;
}

int cmd_show(int argc, char **argv)
{
	struct ctl_config cfg = { 0 };
	struct ctl_queue_table qt = { 0 };
	struct ctl_nl nl;
	int ret;

	if (no_args(argc, argv, "show"))
		return EXIT_USAGE;
	if (ctl_nl_open(&nl))
		return EXIT_ERROR;
	ret = ctl_get_config(&nl, &cfg);
	if (ret) {
		nl_error(&nl.s, ret, "show");
		ctl_nl_close(&nl);
		return EXIT_ERROR;
	}
	if (opts.stats)
		queue_table_read(QUEUE_PROC, &qt);
	if (opts.json) {
		json_t *j = show_json(&cfg, opts.stats ? &qt : NULL);

		print_json(j);
		json_decref(j);
	} else {
		print_show(stdout, &cfg, opts.stats ? &qt : NULL);
	}
	free(qt.rows);
	config_free(&cfg);
	ctl_nl_close(&nl);
	return EXIT_OK;
}

struct stats_reply {
	struct ctl_stats st;
	bool got;
};

static int cb_stats(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[PORTSTEER_A_MAX + 1];
	struct stats_reply *r = data;

	ctl_parse_top(nlh, tb);
	if (tb[PORTSTEER_A_STATS]) {
		if (ctl_parse_stats(tb[PORTSTEER_A_STATS], &r->st))
			return MNL_CB_ERROR;
		r->got = true;
	}
	return MNL_CB_OK;
}

int cmd_stats(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct stats_reply r = { 0 };
	struct ctl_service *svcs;
	struct ctl_nl nl;
	size_t n, i;
	int ret;

	if (argc > 0 && !strcmp(argv[0], "reset")) {
		if (no_args(argc - 1, argv + 1, "stats reset"))
			return EXIT_USAGE;
		if (ctl_nl_open(&nl))
			return EXIT_ERROR;
		ret = ctl_nl_simple(&nl, PORTSTEER_CMD_STATS_RESET);
		if (ret)
			nl_error(&nl.s, ret, "stats reset");
		ctl_nl_close(&nl);
		return ret ? EXIT_ERROR : EXIT_OK;
	}
	if (argc > 0 && strcmp(argv[0], "show")) {
		ctl_err("unknown command 'stats %s'\n", argv[0]);
		return EXIT_USAGE;
	}
	if (ctl_nl_open(&nl))
		return EXIT_ERROR;
	ret = ctl_nl_do(&nl, ctl_nl_msg(&nl, buf, PORTSTEER_CMD_STATS_GET, 0),
			cb_stats, &r);
	if (!ret && !r.got)
		ret = -EPROTO;
	if (!ret)
		ret = ctl_get_services(&nl, &svcs, &n, NULL);
	if (ret) {
		nl_error(&nl.s, ret, "stats");
		ctl_nl_close(&nl);
		return EXIT_ERROR;
	}
	if (opts.json) {
		json_t *j = json_object(), *a = json_array();

		for (i = 0; i < n; i++) {
			json_t *s = json_object();

			json_object_set_new(s, "name", json_string(svcs[i].name));
			json_object_set_new(s, "packets",
					    json_integer(svcs[i].packets));
			json_object_set_new(s, "bytes",
					    json_integer(svcs[i].bytes));
			json_array_append_new(a, s);
		}
		json_object_set_new(j, "netns", stats_json(&r.st));
		json_object_set_new(j, "services", a);
		print_json(j);
		json_decref(j);
	} else {
		print_stats(stdout, &r.st);
		for (i = 0; i < n; i++)
			printf("service %s packets %llu bytes %llu\n",
			       svcs[i].name,
			       (unsigned long long)svcs[i].packets,
			       (unsigned long long)svcs[i].bytes);
	}
	free(svcs);
	ctl_nl_close(&nl);
	return EXIT_OK;
}

int cmd_settings_show(int argc, char **argv)
{
	struct ctl_settings set;
	struct ctl_nl nl;
	int ret;

	if (no_args(argc, argv, "settings show"))
		return EXIT_USAGE;
	if (ctl_nl_open(&nl))
		return EXIT_ERROR;
	ret = ctl_get_settings(&nl, &set, NULL);
	if (ret) {
		nl_error(&nl.s, ret, "settings show");
		ctl_nl_close(&nl);
		return EXIT_ERROR;
	}
	if (opts.json) {
		json_t *j = settings_json(&set);

		print_json(j);
		json_decref(j);
	} else {
		print_settings(stdout, &set);
	}
	ctl_nl_close(&nl);
	return EXIT_OK;
}

int cmd_settings_set(int argc, char **argv)
{
	char err[CTL_ERR_MAX], buf[MNL_SOCKET_BUFFER_SIZE], what[CTL_ERR_MAX];
	struct ctl_settings set;
	struct nlmsghdr *nlh;
	struct ctl_nl nl;
	int ret;

	if (parse_settings_cmd(argc, argv, &set, err))
		return usage_error(err);
	join(what, sizeof(what), "settings set", argc, argv);
	if (ctl_nl_open(&nl))
		return EXIT_ERROR;
	nlh = ctl_nl_msg(&nl, buf, PORTSTEER_CMD_SETTINGS_SET, 0);
	ctl_put_settings(nlh, sizeof(buf), &set);
	ret = ctl_nl_do(&nl, nlh, NULL, NULL);
	if (ret)
		nl_error(&nl.s, ret, "%s", what);
	ctl_nl_close(&nl);
	return ret ? EXIT_ERROR : EXIT_OK;
}

int cmd_flush(int argc, char **argv)
{
	struct ctl_nl nl;
	int ret;

	if (no_args(argc, argv, "flush"))
		return EXIT_USAGE;
	if (ctl_nl_open(&nl))
		return EXIT_ERROR;
	ret = ctl_nl_simple(&nl, PORTSTEER_CMD_FLUSH);
	if (ret)
		nl_error(&nl.s, ret, "flush");
	ctl_nl_close(&nl);
	return ret ? EXIT_ERROR : EXIT_OK;
}

/* The REPLACE_ADD messages of a transaction, each cut under NL_MSG_SPLIT. */
struct txn {
	struct ctl_nl *nl;
	char *buf;
	struct nlmsghdr *nlh;
	size_t items;
	unsigned int sent;
};

static int txn_flush(struct txn *t)
{
	int ret;

	if (!t->items)
		return 0;
	ret = ctl_nl_do(t->nl, t->nlh, NULL, NULL);
	t->nlh = ctl_nl_msg(t->nl, t->buf, PORTSTEER_CMD_REPLACE_ADD, 0);
	t->items = 0;
	t->sent++;
	return ret;
}

static int apply_config(struct ctl_nl *nl, const struct ctl_config *cfg,
			const char *fname)
{
	struct txn t = { .nl = nl };
	size_t i;
	int ret;

	ret = ctl_nl_simple(nl, PORTSTEER_CMD_REPLACE_BEGIN);
	if (ret) {
		nl_error(&nl->s, ret, "apply %s: cannot begin the transaction",
			 fname);
		return ret;
	}
	t.buf = xrealloc(NULL, NL_MSG_SIZE);
	t.nlh = ctl_nl_msg(nl, t.buf, PORTSTEER_CMD_REPLACE_ADD, 0);
	if (cfg->settings.have & CTL_SET_WRITABLE) {
		ctl_put_settings(t.nlh, NL_MSG_SPLIT, &cfg->settings);
		t.items++;
	}
	for (i = 0; i < cfg->n_services && !ret; i++) {
		if (!ctl_put_service(t.nlh, NL_MSG_SPLIT, &cfg->services[i],
				     false)) {
			ret = txn_flush(&t);
			if (!ret)
				ctl_put_service(t.nlh, NL_MSG_SPLIT,
						&cfg->services[i], false);
		}
		t.items++;
	}
	for (i = 0; i < cfg->n_rules && !ret; i++) {
		if (!ctl_put_rule(t.nlh, NL_MSG_SPLIT, &cfg->rules[i], true)) {
			ret = txn_flush(&t);
			if (!ret)
				ctl_put_rule(t.nlh, NL_MSG_SPLIT,
					     &cfg->rules[i], true);
		}
		t.items++;
	}
	if (!ret)
		ret = txn_flush(&t);
	if (ret) {
		nl_error(&nl->s, ret, "apply %s: REPLACE_ADD message %u refused",
			 fname, t.sent + 1);
		goto abort;
	}
	ret = ctl_nl_simple(nl, PORTSTEER_CMD_REPLACE_COMMIT);
	if (ret) {
		nl_error(&nl->s, ret, "apply %s: commit refused", fname);
		goto abort;
	}
	free(t.buf);
	return 0;
abort:
	/* A failed commit already dropped the transaction: ignore ENOENT. */
	ctl_nl_simple(nl, PORTSTEER_CMD_REPLACE_ABORT);
	free(t.buf);
	return ret;
}

/*
 * The module's exit status: 3 when the generic netlink family is not there
 * (ctl_nl_open() says so, with -ENOENT), scripts telling "load the module"
 * from "fix your file".
 */
#ifndef EXIT_NO_MODULE
#define EXIT_NO_MODULE	3
#endif

static int nl_open_status(int ret)
{
	return ret == -ENOENT ? EXIT_NO_MODULE : EXIT_ERROR;
}

#define APPLY_HELP	"(see 'portsteerctl help apply')"

/*
 * apply --check: with the module loaded, the file against the limits it
 * reads, changing nothing; without it, the parse was all there is to check.
 */
static int apply_check_limits(const struct ctl_config *cfg, const char *fname)
{
	struct ctl_settings set;
	struct ctl_nl nl;
	int ret, status = EXIT_OK;

	if (access("/sys/module/portsteer", F_OK))
		return EXIT_OK;
	if (ctl_nl_open(&nl))
		return EXIT_OK;	/* said why; the file itself is valid */
	ret = ctl_get_settings(&nl, &set, NULL);
	if (ret) {
		nl_error(&nl.s, ret, "apply --check %s: cannot read the limits",
			 fname);
	} else if (set.have & CTL_SET_LIMITS) {
		if (cfg->n_services > set.max_services) {
			ctl_err("%s: %zu services, more than the module's max_services %u\n",
				fname, cfg->n_services, set.max_services);
			status = EXIT_USAGE;
		}
		if (cfg->n_rules > set.max_rules) {
			ctl_err("%s: %zu rules, more than the module's max_rules %u\n",
				fname, cfg->n_rules, set.max_rules);
			status = EXIT_USAGE;
		}
	}
	ctl_nl_close(&nl);
	return status;
}

/*
 * apply [--check] [--force] [-j|--json] FILE|-: the whole file is read,
 * parsed and checked before netlink is opened, so an invalid file is 2
 * whether or not the module is there, and a valid one without it is 3.
 * A file with no service would remove every service and rule: refused
 * without --force, as an empty or truncated file most often is a mistake.
 */
int cmd_apply(int argc, char **argv)
{
	bool check = false, force = false, json = opts.json;
	char err[CTL_ERR_MAX], *buf = NULL;
	const char *path = NULL, *fname;
	struct ctl_config cfg;
	struct ctl_nl nl;
	size_t len;
	int i, errors, ret;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--check") || !strcmp(a, "-c"))
			check = true;
		else if (!strcmp(a, "--force") || !strcmp(a, "-f"))
			force = true;
		else if (!strcmp(a, "--json") || !strcmp(a, "-j"))
			json = true;
		else if (a[0] == '-' && a[1]) {
			ctl_err("apply: unknown option '%s' " APPLY_HELP "\n", a);
			return EXIT_USAGE;
		} else if (path) {
			ctl_err("apply: unexpected argument '%s' after '%s' " APPLY_HELP "\n",
				a, path);
			return EXIT_USAGE;
		} else {
			path = a;
		}
	}
	if (!path) {
		ctl_err("apply: missing FILE (or - for stdin) " APPLY_HELP "\n");
		return EXIT_USAGE;
	}
	fname = strcmp(path, "-") ? path : "<stdin>";
	if (read_file(path, &buf, &len, err)) {
		ctl_err("%s\n", err);
		return EXIT_ERROR;
	}
	errors = parse_config_buf(buf, len, json || config_is_json(buf, len),
				  fname, &cfg, stderr);
	free(buf);
	if (errors) {
		ctl_err("%s: %d error%s, nothing %s\n", fname, errors,
			errors > 1 ? "s" : "", check ? "to apply" : "applied");
		config_free(&cfg);
		return EXIT_USAGE;
	}
	if (!cfg.n_services && !force) {
		ctl_err("%s: no service: applying it would remove every service and rule (--force to apply it anyway)\n",
			fname);
		config_free(&cfg);
		return EXIT_USAGE;
	}
	if (check) {
		ret = apply_check_limits(&cfg, fname);
		config_free(&cfg);
		return ret;
	}
	ret = ctl_nl_open(&nl);
	if (ret) {
		config_free(&cfg);
		return nl_open_status(ret);
	}
	ret = apply_config(&nl, &cfg, fname);
	config_free(&cfg);
	ctl_nl_close(&nl);
	return ret ? EXIT_ERROR : EXIT_OK;
}

/* save [FILE|-]: the whole configuration, or nothing. */
int cmd_save(int argc, char **argv)
{
	struct ctl_config cfg = { 0 };
	char *text = NULL, err[CTL_ERR_MAX] = "out of memory";
	const char *path = NULL;
	size_t len = 0;
	struct ctl_nl nl;
	FILE *m;
	int ret;

	if (argc > 0)
		path = argv[0];
	if (argc > 1 && no_args(argc - 1, argv + 1, argv[0]))
		return EXIT_USAGE;
	ret = ctl_nl_open(&nl);
	if (ret)
		return nl_open_status(ret);
	ret = ctl_get_config(&nl, &cfg);
	if (ret)
		nl_error(&nl.s, ret, "save");
	ctl_nl_close(&nl);
	if (ret) {
		config_free(&cfg);
		return EXIT_ERROR;
	}
	m = open_memstream(&text, &len);
	if (!m) {
		ctl_err("save: %s\n", strerror(errno));
		config_free(&cfg);
		return EXIT_ERROR;
	}
	print_save(m, &cfg);
	ret = fclose(m) ? -errno : write_file(path, text, len, err);
	if (ret)
		ctl_err("save: %s\n", err);
	free(text);
	config_free(&cfg);
	return ret ? EXIT_ERROR : EXIT_OK;
}

volatile sig_atomic_t got_signal;

static void on_stop_signal(int sig)
{
	got_signal = sig;
}

/*
 * From here on SIGINT and SIGTERM only end the caller's loop (got_signal):
 * they are blocked, and unblocked in @waitmask, the mask for ppoll().
 */
void catch_stop_signals(sigset_t *waitmask)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGTERM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
