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

/* A usage error, pointing at the help of the object being run. */
static int usage_error(const char *err)
{
	if (strcmp(ctl_help_object, "help"))
		ctl_err("%s; see '" PROG_NAME " %s help'\n", err,
			ctl_help_object);
	else
		ctl_err("%s; see '" PROG_NAME " help'\n", err);
	return EXIT_USAGE;
}

static int no_args(int argc, char **argv, const char *what)
{
	char err[CTL_ERR_MAX];

	if (argc > 0) {
		snprintf(err, sizeof(err), "unexpected argument '%s' after '%s'",
			 argv[0], what);
		usage_error(err);
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
	ret = ctl_nl_open(&nl);
	if (ret)
		return ctl_nl_open_status(ret);
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
	ret = ctl_nl_open(&nl);
	if (ret)
		return ctl_nl_open_status(ret);
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
	uint32_t gen = 0;
	struct ctl_nl nl;
	size_t n = 0, i;
	int ret;

	if (argc > 1 && no_args(argc - 1, argv + 1, argv[0]))
		return EXIT_USAGE;
	ret = ctl_nl_open(&nl);
	if (ret)
		return ctl_nl_open_status(ret);
	if (argc == 1) {
		ret = ctl_get_service(&nl, argv[0], &one);
		if (!ret)
			ret = ctl_get_settings(&nl, &(struct ctl_settings){ 0 },
					       &gen);
		if (!ret) {
			svcs = xrealloc(NULL, sizeof(one));
			svcs[0] = one;
			n = 1;
		}
	} else {
		ret = ctl_get_services(&nl, &svcs, &n, &gen);
		/* an empty dump carries no generation: the settings do */
		if (!ret && !n)
			ret = ctl_get_settings(&nl, &(struct ctl_settings){ 0 },
					       &gen);
	}
	if (ret) {
		nl_error(&nl.s, ret, "service show%s%s", argc ? " " : "",
			 argc ? argv[0] : "");
		free(svcs);
		ctl_nl_close(&nl);
		return EXIT_ERROR;
	}
	if (opts.json) {
		json_t *j = services_doc(svcs, n, gen);

		print_json(j);
		json_decref(j);
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
	ret = ctl_nl_open(&nl);
	if (ret) {
		free(rules);
		return ctl_nl_open_status(ret);
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

/* rule show [service NAME]: the rules, or those of one service. */
int cmd_rule_show(int argc, char **argv)
{
	const char *service = NULL;
	struct ctl_rule *rules;
	uint32_t gen = 0;
	struct ctl_nl nl;
	size_t n, i, k;
	int ret;

	if (argc >= 1 && !strcmp(argv[0], "service")) {
		if (argc < 2)
			return usage_error("rule show: missing service name after 'service'");
		service = argv[1];
		if (no_args(argc - 2, argv + 2, service))
			return EXIT_USAGE;
	} else if (no_args(argc, argv, "rule show")) {
		return EXIT_USAGE;
	}
	ret = ctl_nl_open(&nl);
	if (ret)
		return ctl_nl_open_status(ret);
	ret = ctl_get_rules(&nl, &rules, &n, &gen);
	if (!ret && !n)
		ret = ctl_get_settings(&nl, &(struct ctl_settings){ 0 }, &gen);
	if (!ret && service) {
		struct ctl_service one;

		/* an unknown service is an error, not an empty list */
		ret = ctl_get_service(&nl, service, &one);
		if (ret)
			free(rules);
	}
	if (ret) {
		nl_error(&nl.s, ret, "rule show%s%s", service ? " service " : "",
			 service ?: "");
		ctl_nl_close(&nl);
		return EXIT_ERROR;
	}
	for (i = 0, k = 0; i < n; i++)
		if (!service || !strcmp(rules[i].service, service))
			rules[k++] = rules[i];
	n = k;
	if (opts.json) {
		json_t *j = rules_doc(rules, n, gen);

		print_json(j);
		json_decref(j);
	} else {
		for (i = 0; i < n; i++)
			print_rule(stdout, &rules[i], true, opts.numeric);
	}
	free(rules);
	ctl_nl_close(&nl);
	return EXIT_OK;
}

/*
 * Keeps in @cfg the service @name and its rules only: -ENOENT if there is
 * no such service.
 */
static int config_keep_service(struct ctl_config *cfg, const char *name)
{
	size_t i, k;

	for (i = 0; i < cfg->n_services; i++)
		if (!strcmp(cfg->services[i].name, name))
			break;
	if (i == cfg->n_services)
		return -ENOENT;
	cfg->services[0] = cfg->services[i];
	cfg->n_services = 1;
	for (i = 0, k = 0; i < cfg->n_rules; i++)
		if (!strcmp(cfg->rules[i].service, name))
			cfg->rules[k++] = cfg->rules[i];
	cfg->n_rules = k;
	return 0;
}

/* show [NAME]: everything, or one service with its counters and queues. */
int cmd_show(int argc, char **argv)
{
	struct ctl_config cfg = { 0 };
	struct ctl_queue_table qt = { 0 };
	const char *name = NULL;
	struct ctl_nl nl;
	bool stats;
	int ret;

	if (argc >= 1) {
		name = argv[0];
		if (no_args(argc - 1, argv + 1, name))
			return EXIT_USAGE;
	}
	ret = ctl_nl_open(&nl);
	if (ret)
		return ctl_nl_open_status(ret);
	ret = ctl_get_config(&nl, &cfg);
	if (!ret && name) {
		ret = config_keep_service(&cfg, name);
		if (ret)
			snprintf(nl.s.ext_msg, sizeof(nl.s.ext_msg),
				 "no service '%s'", name);
	}
	if (ret) {
		nl_error(&nl.s, ret, "show%s%s", name ? " " : "", name ?: "");
		config_free(&cfg);
		ctl_nl_close(&nl);
		return EXIT_ERROR;
	}
	/* show NAME is show -s of one; a batch's next line as it was */
	stats = opts.stats;
	opts.stats = stats || name;
	if (opts.stats)
		queue_table_read(QUEUE_PROC, &qt);
	if (opts.json) {
		json_t *j = show_json(&cfg, opts.stats ? &qt : NULL);

		print_json(j);
		json_decref(j);
	} else {
		print_show(stdout, &cfg, opts.stats ? &qt : NULL);
	}
	opts.stats = stats;
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
	uint32_t gen = 0;
	struct ctl_nl nl;
	size_t n, i;
	int ret;

	if (argc > 0 && !strcmp(argv[0], "reset")) {
		if (no_args(argc - 1, argv + 1, "stats reset"))
			return EXIT_USAGE;
		ret = ctl_nl_open(&nl);
		if (ret)
			return ctl_nl_open_status(ret);
		ret = ctl_nl_simple(&nl, PORTSTEER_CMD_STATS_RESET);
		if (ret)
			nl_error(&nl.s, ret, "stats reset");
		ctl_nl_close(&nl);
		return ret ? EXIT_ERROR : EXIT_OK;
	}
	if (argc > 0 && strcmp(argv[0], "show")) {
		ctl_err("unknown command 'stats %s'; see '" PROG_NAME
			" stats help'\n", argv[0]);
		return EXIT_USAGE;
	}
	if (argc > 0 && no_args(argc - 1, argv + 1, "stats show"))
		return EXIT_USAGE;
	ret = ctl_nl_open(&nl);
	if (ret)
		return ctl_nl_open_status(ret);
	ret = ctl_nl_do(&nl, ctl_nl_msg(&nl, buf, PORTSTEER_CMD_STATS_GET, 0),
			cb_stats, &r);
	if (!ret && !r.got)
		ret = -EPROTO;
	if (!ret)
		ret = ctl_get_services(&nl, &svcs, &n, &gen);
	if (!ret && !n)
		ret = ctl_get_settings(&nl, &(struct ctl_settings){ 0 }, &gen);
	if (ret) {
		nl_error(&nl.s, ret, "stats");
		ctl_nl_close(&nl);
		return EXIT_ERROR;
	}
	if (opts.json) {
		json_t *j = stats_doc(&r.st, svcs, n, gen);

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
	uint32_t gen = 0;
	struct ctl_nl nl;
	int ret;

	if (no_args(argc, argv, "settings show"))
		return EXIT_USAGE;
	ret = ctl_nl_open(&nl);
	if (ret)
		return ctl_nl_open_status(ret);
	ret = ctl_get_settings(&nl, &set, &gen);
	if (ret) {
		nl_error(&nl.s, ret, "settings show");
		ctl_nl_close(&nl);
		return EXIT_ERROR;
	}
	if (opts.json) {
		json_t *j = settings_doc(&set, gen);

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
	ret = ctl_nl_open(&nl);
	if (ret)
		return ctl_nl_open_status(ret);
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
	ret = ctl_nl_open(&nl);
	if (ret)
		return ctl_nl_open_status(ret);
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
	bool check = opts.check, force = opts.force, json = opts.json;
	char err[CTL_ERR_MAX], *buf = NULL;
	const char *path = NULL, *fname;
	struct ctl_config cfg;
	struct ctl_nl nl;
	size_t len;
	int i, errors, ret;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--check") || !strcmp(a, "-c")) {
			check = true;
			continue;
		}
		if (!strcmp(a, "--force") || !strcmp(a, "-f")) {
			force = true;
			continue;
		}
		if (!strcmp(a, "--json") || !strcmp(a, "-j")) {
			json = true;
			continue;
		}
		if (a[0] == '-' && a[1]) {
			ctl_err("apply: unknown option '%s' " APPLY_HELP "\n", a);
			return EXIT_USAGE;
		}
		if (path) {
			ctl_err("apply: unexpected argument '%s' after '%s' " APPLY_HELP "\n",
				a, path);
			return EXIT_USAGE;
		}
		path = a;
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
		return ctl_nl_open_status(ret);
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
		return ctl_nl_open_status(ret);
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
	if (opts.json) {
		json_t *j = save_json(&cfg);

		json_dumpf(j, m, (opts.pretty ? JSON_INDENT(2) : JSON_COMPACT) |
			      JSON_REAL_PRECISION(16));
		fputc('\n', m);
		json_decref(j);
	} else {
		print_save(m, &cfg);
	}
	ret = fclose(m) ? -errno : write_file(path, text, len, err);
	if (ret)
		ctl_err("save: %s\n", err);
	free(text);
	config_free(&cfg);
	return ret ? EXIT_ERROR : EXIT_OK;
}

#ifndef PORTSTEERCTL_VERSION
#define PORTSTEERCTL_VERSION "0.2.0-unknown"
#endif
#define MODULE_VERSION_PATH	"/sys/module/portsteer/version"

/* "v0.2.0" and "0.2.0" are the same version: git tags carry the v. */
static const char *bare_version(const char *v)
{
	return v[0] == 'v' && v[1] >= '0' && v[1] <= '9' ? v + 1 : v;
}

/*
 * version: the tool's, the loaded module's and its family's; a warning on
 * stderr when tool and module differ. 0 even when the module is not loaded:
 * that is an answer too.
 */
int cmd_version(int argc, char **argv)
{
	char module[128] = "";
	const char *mod = NULL;
	struct ctl_nl nl;
	bool family;
	FILE *f;

	if (no_args(argc, argv, "version"))
		return EXIT_USAGE;
	f = fopen(MODULE_VERSION_PATH, "re");
	if (f) {
		if (fgets(module, sizeof(module), f)) {
			module[strcspn(module, "\n")] = '\0';
			mod = module;
		}
		fclose(f);
	}
	family = !ctl_nl_open_quiet(&nl);
	if (opts.json) {
		json_t *j = json_doc();

		json_object_set_new(j, "tool", json_string(PORTSTEERCTL_VERSION));
		json_object_set_new(j, "module", mod ? json_string(mod) :
						     json_null());
		json_object_set_new(j, "family", family ?
				    json_integer(nl.version) : json_null());
		print_json(j);
		json_decref(j);
	} else {
		printf("tool " PORTSTEERCTL_VERSION "\n");
		printf("module %s\n", mod ?: "not loaded");
		if (family)
			printf("family %s version %u\n", PORTSTEER_GENL_NAME,
			       nl.version);
		else
			printf("family %s not registered\n",
			       PORTSTEER_GENL_NAME);
	}
	if (family)
		ctl_nl_close(&nl);
	if (mod && strcmp(bare_version(mod), bare_version(PORTSTEERCTL_VERSION)))
		ctl_err("warning: tool %s and module %s differ\n",
			PORTSTEERCTL_VERSION, mod);
	return EXIT_OK;
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
