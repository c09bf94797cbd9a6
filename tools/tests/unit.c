// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of portsteerctl's parsers and output, without a kernel.
 * Prints one "ok - NAME" or "not ok - NAME" line per test; run.sh numbers
 * them into KTAP. Needs PORTSTEER_SERVICES=tests/services and the golden
 * directory as argv[1]; UPDATE_GOLDEN=1 rewrites the golden files.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <linux/genetlink.h>

#include "nl.h"
#include "commands.h"

struct ctl_opts opts;
static const char *golden_dir;
static int failed;

static void result(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("%s - %s\n", ok ? "ok" : "not ok", name);
	if (!ok && fmt) {
		printf("# ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	if (!ok)
		failed++;
}

/* A port list parses to exactly the ranges in want ("80-80,443-443"). */
static void t_ports(const char *name, const char *proto, const char *ports,
		    const char *want)
{
	char err[CTL_ERR_MAX] = "", got[1024] = "", ctx[256];
	struct ctl_rule *r = NULL;
	size_t n = 0, i, len = 0;
	int p = proto_from_name(proto);

	snprintf(ctx, sizeof(ctx), "%s dport %s", proto, ports);
	if (parse_ports(p, ports, ctx, &r, &n, err)) {
		result(false, name, "error: %s", err);
		return;
	}
	for (i = 0; i < n; i++)
		len += snprintf(got + len, sizeof(got) - len, "%s%u-%u",
				i ? "," : "", r[i].port_min, r[i].port_max);
	free(r);
	result(!strcmp(got, want), name, "got '%s', want '%s'", got, want);
}

/* A port list is refused with exactly this message. */
static void t_ports_err(const char *name, const char *proto,
			const char *ports, const char *want)
{
	char err[CTL_ERR_MAX] = "", ctx[256];
	struct ctl_rule *r = NULL;
	size_t n;

	snprintf(ctx, sizeof(ctx), "%s dport %s", proto, ports);
	if (!parse_ports(proto_from_name(proto), ports, ctx, &r, &n, err)) {
		free(r);
		result(false, name, "accepted '%s'", ports);
		return;
	}
	result(!strcmp(err, want), name, "got '%s', want '%s'", err, want);
}

static int split(char *line, char ***argv)
{
	int argc;

	split_line(line, argv, &argc);
	return argc;
}

static void t_cmd_err(const char *name, const char *kind, const char *line,
		      const char *want)
{
	char buf[512], err[CTL_ERR_MAX] = "", **argv;
	struct ctl_service svc;
	struct ctl_settings set;
	struct ctl_rule *r = NULL;
	size_t n;
	int argc, ret;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = split(buf, &argv);
	if (!strcmp(kind, "service"))
		ret = parse_service_cmd(argc, argv, false, &svc, err);
	else if (!strcmp(kind, "change"))
		ret = parse_service_cmd(argc, argv, true, &svc, err);
	else if (!strcmp(kind, "settings"))
		ret = parse_settings_cmd(argc, argv, &set, err);
	else
		ret = parse_rule_cmd(argc, argv, !strcmp(kind, "rule"), &r, &n,
				     err);
	free(argv);
	free(r);
	result(ret && !strcmp(err, want), name, "got '%s', want '%s'", err,
	       want);
}

/* A rule command parses to exactly these rules ("inet tcp sport 80 a"). */
static void t_rule(const char *name, bool add, const char *line,
		   const char *want)
{
	char buf[512], err[CTL_ERR_MAX] = "", got[1024] = "", one[128], **argv;
	struct ctl_rule *r = NULL;
	size_t n = 0, i, len = 0;
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = split(buf, &argv);
	if (parse_rule_cmd(argc, argv, add, &r, &n, err)) {
		free(argv);
		result(false, name, "error: %s", err);
		return;
	}
	free(argv);
	for (i = 0; i < n; i++) {
		format_rule(one, sizeof(one), &r[i]);
		len += snprintf(got + len, sizeof(got) - len, "%s%s%s%s",
				i ? "," : "", one, r[i].service[0] ? " " : "",
				r[i].service);
	}
	free(r);
	result(!strcmp(got, want), name, "got '%s', want '%s'", got, want);
}

/*
 * A service command parses to these marks, and these of them are sent:
 * "mark 0x10/0xffffffff [value] ctmark 0x0/0x0 []".
 */
static void t_marks(const char *name, bool change, const char *line,
		    const char *want)
{
	char buf[512], err[CTL_ERR_MAX] = "", got[256], **argv;
	struct ctl_service svc;
	int argc, ret;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = split(buf, &argv);
	ret = parse_service_cmd(argc, argv, change, &svc, err);
	free(argv);
	if (ret) {
		result(false, name, "error: %s", err);
		return;
	}
	snprintf(got, sizeof(got),
		 "mark 0x%x/0x%x [%s%s%s] ctmark 0x%x/0x%x [%s%s%s]",
		 svc.mark, svc.mark_mask,
		 svc.have & CTL_SVC_MARK ? "value" : "",
		 (svc.have & CTL_SVC_MARK) && (svc.have & CTL_SVC_MARK_MASK) ?
		 "," : "", svc.have & CTL_SVC_MARK_MASK ? "mask" : "",
		 svc.ct_mark, svc.ct_mark_mask,
		 svc.have & CTL_SVC_CT_MARK ? "value" : "",
		 (svc.have & CTL_SVC_CT_MARK) &&
		 (svc.have & CTL_SVC_CT_MARK_MASK) ? "," : "",
		 svc.have & CTL_SVC_CT_MARK_MASK ? "mask" : "");
	result(!strcmp(got, want), name, "got '%s', want '%s'", got, want);
}

/* A settings command sets exactly these hooks ("input,output"). */
static void t_hooks(const char *name, const char *line, const char *want)
{
	char buf[512], err[CTL_ERR_MAX] = "", got[64], **argv;
	struct ctl_settings set;
	int argc, ret;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = split(buf, &argv);
	ret = parse_settings_cmd(argc, argv, &set, err);
	free(argv);
	if (ret || set.have != CTL_SET_HOOK) {
		result(false, name, "error: %s", err);
		return;
	}
	format_hooks(got, sizeof(got), set.hooks);
	result(!strcmp(got, want), name, "got '%s', want '%s'", got, want);
}

static void t_hex(const char *s, long long want)
{
	char name[64];
	uint32_t v = 0;
	int ret = parse_u32_hex(s, &v);

	snprintf(name, sizeof(name), "parse_u32_hex_%s", s[0] ? s : "empty");
	if (want < 0)
		result(ret != 0, name, "accepted as %u", v);
	else
		result(!ret && v == want, name, "got %d, %u", ret, v);
}

static char *read_all(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r");
	FILE *m;
	int c;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(m);
	fclose(f);
	return buf;
}

/* Compares text with golden_dir/file, or writes it under UPDATE_GOLDEN. */
static void t_golden(const char *name, const char *file, const char *text)
{
	char path[512], *want;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", golden_dir, file);
	if (getenv("UPDATE_GOLDEN")) {
		f = fopen(path, "w");
		if (f) {
			fputs(text, f);
			fclose(f);
		}
	}
	want = read_all(path);
	result(want && !strcmp(want, text), name, "%s differs:\n%s", path,
	       text);
	free(want);
}

static char *json_text(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT), *out;

	json_decref(j);
	if (asprintf(&out, "%s\n", s) < 0)
		abort();
	free(s);
	return out;
}

static struct ctl_config sample(void)
{
	static struct ctl_service svcs[2];
	static struct ctl_rule rules[4];
	struct ctl_config cfg = { 0 };

	memset(svcs, 0, sizeof(svcs));
	memset(rules, 0, sizeof(rules));
	strcpy(svcs[0].name, "dns");
	svcs[0].queue = 20;
	svcs[0].queue_count = 1;
	svcs[0].balance = PORTSTEER_BALANCE_CPU;
	svcs[0].rules = 1;
	svcs[0].packets = 7;
	svcs[0].bytes = 700;
	svcs[0].have = CTL_SVC_QUEUE | CTL_SVC_BALANCE | CTL_SVC_BYPASS |
		       CTL_SVC_RULES | CTL_SVC_STATS;
	svcs[1] = svcs[0];
	strcpy(svcs[1].name, "web");
	svcs[1].queue = 10;
	svcs[1].queue_count = 2;
	svcs[1].balance = PORTSTEER_BALANCE_FLOW;
	svcs[1].bypass = 1;
	svcs[1].rules = 3;
	svcs[1].packets = 12345678901ULL;
	rules[0] = (struct ctl_rule){ PORTSTEER_FAMILY_IPV4, IPPROTO_UDP, 53, 53,
				     "dns", 0, PORTSTEER_DIRECTION_DST };
	rules[1] = (struct ctl_rule){ PORTSTEER_FAMILY_INET, IPPROTO_TCP, 80, 80,
				     "web", 0, PORTSTEER_DIRECTION_DST };
	rules[2] = (struct ctl_rule){ PORTSTEER_FAMILY_INET, IPPROTO_TCP, 443,
				     443, "web", 0, PORTSTEER_DIRECTION_DST };
	rules[3] = (struct ctl_rule){ PORTSTEER_FAMILY_IPV6, IPPROTO_TCP, 8000,
				     8080, "web", 0, PORTSTEER_DIRECTION_DST };
	cfg.services = svcs;
	cfg.n_services = 2;
	cfg.rules = rules;
	cfg.n_rules = 4;
	cfg.generation = 9;
	cfg.settings.have = CTL_SET_WRITABLE | CTL_SET_LIMITS |
			    CTL_SET_HOOK_ACTIVE | CTL_SET_TABLE_BYTES;
	cfg.settings.hooks = PORTSTEER_HOOKS_PREROUTING;
	cfg.settings.priority = -300;
	cfg.settings.defrag = 1;
	cfg.settings.seed = 3735928559U;
	cfg.settings.max_services = 1024;
	cfg.settings.max_rules = 65536;
	cfg.settings.services = 2;
	cfg.settings.rules = 4;
	cfg.settings.hook_active = 1;
	cfg.settings.table_bytes = 4096;
	return cfg;
}

static char *capture(void (*fn)(FILE *f, const struct ctl_config *cfg,
				const struct ctl_queue_table *qt),
		     const struct ctl_config *cfg,
		     const struct ctl_queue_table *qt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	fn(m, cfg, qt);
	fclose(m);
	return buf;
}

static char *capture_stats(const struct ctl_stats *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	print_stats(m, st);
	fclose(m);
	return buf;
}

static void save_wrap(FILE *f, const struct ctl_config *cfg,
		      const struct ctl_queue_table *qt)
{
	(void)qt;
	print_save(f, cfg);
}

static void t_output(void)
{
	struct ctl_config cfg = sample();
	struct ctl_queue_state rows[1] = { {
		.queue = 11, .bound = true, .portid = 4242, .waiting = 8,
		.copy_mode = 2, .copy_range = 65535, .dropped = 4,
		.user_dropped = 1, .id_sequence = 99,
	} };
	struct ctl_queue_table qt = { rows, 1 };
	char *s;

	opts.stats = false;
	opts.numeric = false;
	s = json_text(show_json(&cfg, NULL));
	t_golden("json_show", "show.json", s);
	free(s);
	opts.stats = true;
	s = json_text(show_json(&cfg, &qt));
	t_golden("json_show_stats", "show-stats.json", s);
	free(s);
	s = json_text(settings_json(&cfg.settings));
	t_golden("json_settings", "settings.json", s);
	free(s);
	{
		struct ctl_stats st = { 100, 90, 8, 1, 1, 3, 2, 5 };

		s = json_text(stats_json(&st));
		t_golden("json_stats", "stats.json", s);
		free(s);
	}
	{
		json_t *a = json_array();
		size_t i;

		for (i = 0; i < cfg.n_rules; i++)
			json_array_append_new(a, rule_json(&cfg.rules[i]));
		s = json_text(a);
		t_golden("json_rules", "rules.json", s);
		free(s);
	}
	opts.stats = true;
	s = capture(print_show, &cfg, &qt);
	t_golden("text_show_stats_names", "show-stats.txt", s);
	free(s);
	opts.numeric = true;
	opts.stats = false;
	s = capture(print_show, &cfg, NULL);
	t_golden("text_show_numeric", "show-numeric.txt", s);
	free(s);
	s = capture(save_wrap, &cfg, NULL);
	t_golden("text_save", "save.conf", s);
	free(s);
}

/* The new features: directions, marks, a set of hooks. */
static struct ctl_config sample_features(void)
{
	static struct ctl_service svcs[3];
	static struct ctl_rule rules[5];
	const unsigned int kernel = CTL_SVC_QUEUE | CTL_SVC_BALANCE |
		CTL_SVC_BYPASS | CTL_SVC_RULES | CTL_SVC_MARK |
		CTL_SVC_MARK_MASK | CTL_SVC_CT_MARK | CTL_SVC_CT_MARK_MASK;
	struct ctl_config cfg = { 0 };

	memset(svcs, 0, sizeof(svcs));
	memset(rules, 0, sizeof(rules));
	/* as the kernel replies: all four mark attributes, masks 0 unset */
	strcpy(svcs[0].name, "dns");
	svcs[0].queue = 20;
	svcs[0].queue_count = 1;
	svcs[0].rules = 2;
	svcs[0].have = kernel;
	strcpy(svcs[1].name, "ids");
	svcs[1].queue = 30;
	svcs[1].queue_count = 4;
	svcs[1].balance = PORTSTEER_BALANCE_CPU;
	svcs[1].bypass = 1;
	svcs[1].mark = 0x1;
	svcs[1].mark_mask = 0x1;
	svcs[1].ct_mark = 0x200;
	svcs[1].ct_mark_mask = 0xff00;
	svcs[1].rules = 1;
	svcs[1].have = kernel;
	strcpy(svcs[2].name, "web");
	svcs[2].queue = 10;
	svcs[2].queue_count = 1;
	svcs[2].mark = 0xfffffffe;
	svcs[2].mark_mask = 0xffffffff;
	svcs[2].rules = 2;
	svcs[2].have = kernel;
	/* the kernel's order: proto, port, family, direction */
	rules[0] = (struct ctl_rule){ PORTSTEER_FAMILY_INET, IPPROTO_TCP, 80, 80,
				     "web", 0, PORTSTEER_DIRECTION_DST };
	rules[1] = (struct ctl_rule){ PORTSTEER_FAMILY_INET, IPPROTO_TCP, 80, 80,
				     "ids", 0, PORTSTEER_DIRECTION_SRC };
	rules[2] = (struct ctl_rule){ PORTSTEER_FAMILY_IPV6, IPPROTO_TCP, 8000,
				     8080, "web", 0, PORTSTEER_DIRECTION_ANY };
	rules[3] = (struct ctl_rule){ PORTSTEER_FAMILY_IPV4, IPPROTO_UDP, 53, 53,
				     "dns", 0, PORTSTEER_DIRECTION_ANY };
	rules[4] = (struct ctl_rule){ PORTSTEER_FAMILY_INET, IPPROTO_UDP, 5000,
				     5010, "dns", 0, PORTSTEER_DIRECTION_SRC };
	cfg.services = svcs;
	cfg.n_services = 3;
	cfg.rules = rules;
	cfg.n_rules = 5;
	cfg.generation = 12;
	cfg.settings.have = CTL_SET_WRITABLE | CTL_SET_HOOK_ACTIVE;
	cfg.settings.hooks = PORTSTEER_HOOKS_INPUT | PORTSTEER_HOOKS_OUTPUT;
	cfg.settings.priority = -150;
	cfg.settings.defrag = 1;
	cfg.settings.icmp_errors = 1;
	cfg.settings.seed = 7;
	cfg.settings.hook_active = 1;
	return cfg;
}

static void services_wrap(FILE *f, const struct ctl_config *cfg,
			  const struct ctl_queue_table *qt)
{
	size_t i;

	(void)qt;
	for (i = 0; i < cfg->n_services; i++)
		print_service(f, &cfg->services[i]);
	for (i = 0; i < cfg->n_rules; i++)
		print_rule(f, &cfg->rules[i], true, opts.numeric);
	print_settings(f, &cfg->settings);
}

/* Parses text as an apply file and saves it again: the same bytes. */
static void t_reparse(const char *name, const char *text)
{
	char *errbuf = NULL, *again = NULL;
	size_t errlen = 0, alen = 0;
	struct ctl_config cfg;
	FILE *f, *e, *m;
	int n;

	f = fmemopen((void *)text, strlen(text), "r");
	e = open_memstream(&errbuf, &errlen);
	n = parse_config(f, name, &cfg, e);
	fclose(e);
	fclose(f);
	if (n) {
		result(false, name, "%s", errbuf);
	} else {
		m = open_memstream(&again, &alen);
		print_save(m, &cfg);
		fclose(m);
		result(!strcmp(again, text), name, "second save differs:\n%s",
		       again);
		free(again);
	}
	free(errbuf);
	config_free(&cfg);
}

static void t_output_features(void)
{
	struct ctl_config cfg = sample_features();
	struct ctl_settings one = { .have = CTL_SET_HOOK,
				    .hooks = PORTSTEER_HOOKS_FORWARD };
	char *s;

	opts.stats = false;
	opts.numeric = false;
	s = json_text(show_json(&cfg, NULL));
	t_golden("features_json_show", "features-show.json", s);
	free(s);
	s = json_text(settings_json(&cfg.settings));
	t_golden("features_json_settings", "features-settings.json", s);
	free(s);
	s = json_text(settings_json(&one));
	result(!strcmp(s, "{\"hook\":\"forward\",\"hooks\":[\"forward\"]}\n"),
	       "json_settings_one_hook", "got %s", s);
	free(s);
	s = capture(print_show, &cfg, NULL);
	t_golden("features_text_show", "features-show.txt", s);
	free(s);
	s = capture(services_wrap, &cfg, NULL);
	t_golden("features_text_service_rule_settings_show",
		 "features-objects.txt", s);
	free(s);
	s = capture(save_wrap, &cfg, NULL);
	t_golden("features_text_save", "features-save.conf", s);
	t_reparse("features_save_apply_roundtrip", s);
	free(s);
	{
		struct ctl_stats st = { 100, 90, 8, 1, 1, 3, 2, 5 };

		s = capture_stats(&st);
		t_golden("text_stats", "stats.txt", s);
		free(s);
	}
}

static void t_config(void)
{
	char *errbuf = NULL, *saved = NULL;
	size_t errlen = 0, savedlen = 0;
	struct ctl_config cfg, cfg2;
	FILE *f, *e, *m;
	int n;

	f = fopen("good.conf", "r");
	e = open_memstream(&errbuf, &errlen);
	n = f ? parse_config(f, "good.conf", &cfg, e) : -1;
	fclose(e);
	if (f)
		fclose(f);
	result(n == 0 && cfg.n_services == 3 && cfg.n_rules == 8 &&
	       cfg.settings.have == CTL_SET_WRITABLE &&
	       cfg.settings.priority == -150 && cfg.settings.seed == 42,
	       "config_good", "%d errors, %zu services, %zu rules: %s", n,
	       cfg.n_services, cfg.n_rules, errbuf);
	free(errbuf);

	/* save of a parsed file parses back to the same save */
	m = open_memstream(&saved, &savedlen);
	print_save(m, &cfg);
	fclose(m);
	t_golden("config_good_save", "good.save", saved);
	f = fmemopen(saved, savedlen, "r");
	errbuf = NULL;
	e = open_memstream(&errbuf, &errlen);
	n = parse_config(f, "saved", &cfg2, e);
	fclose(e);
	fclose(f);
	if (!n) {
		char *again = NULL;
		size_t alen = 0;

		m = open_memstream(&again, &alen);
		print_save(m, &cfg2);
		fclose(m);
		result(!strcmp(again, saved), "config_save_roundtrip",
		       "second save differs:\n%s", again);
		free(again);
	} else {
		result(false, "config_save_roundtrip", "%s", errbuf);
	}
	free(errbuf);
	free(saved);
	config_free(&cfg);
	config_free(&cfg2);

	/* the new grammar: directions, marks, a set of hooks */
	f = fopen("features.conf", "r");
	errbuf = NULL;
	e = open_memstream(&errbuf, &errlen);
	n = f ? parse_config(f, "features.conf", &cfg, e) : -1;
	fclose(e);
	if (f)
		fclose(f);
	result(n == 0 && cfg.n_services == 3 && cfg.n_rules == 6 &&
	       cfg.settings.have == CTL_SET_HOOK &&
	       cfg.settings.hooks == (PORTSTEER_HOOKS_INPUT |
				      PORTSTEER_HOOKS_OUTPUT) &&
	       cfg.rules[1].dir == PORTSTEER_DIRECTION_SRC &&
	       cfg.rules[2].dir == PORTSTEER_DIRECTION_ANY &&
	       cfg.services[0].have & CTL_SVC_MARK &&
	       !(cfg.services[0].have & CTL_SVC_MARK_MASK),
	       "config_features", "%d errors, %zu services, %zu rules: %s", n,
	       cfg.n_services, cfg.n_rules, errbuf);
	free(errbuf);
	saved = NULL;
	m = open_memstream(&saved, &savedlen);
	print_save(m, &cfg);
	fclose(m);
	t_golden("config_features_save", "features.save", saved);
	t_reparse("config_features_save_roundtrip", saved);
	free(saved);
	config_free(&cfg);

	f = fopen("bad.conf", "r");
	errbuf = NULL;
	e = open_memstream(&errbuf, &errlen);
	n = f ? parse_config(f, "bad.conf", &cfg, e) : -1;
	fclose(e);
	if (f)
		fclose(f);
	result(n == 16, "config_bad_count", "%d errors", n);
	t_golden("config_bad_messages", "bad.err", errbuf);
	free(errbuf);
	config_free(&cfg);

	/* empty file: an empty configuration, no error */
	f = fmemopen("# nothing\n\n", 11, "r");
	errbuf = NULL;
	e = open_memstream(&errbuf, &errlen);
	n = parse_config(f, "empty", &cfg, e);
	fclose(e);
	fclose(f);
	result(n == 0 && !cfg.n_rules && !cfg.n_services, "config_empty",
	       "%s", errbuf);
	free(errbuf);
	config_free(&cfg);
}

static void t_overlaps(void)
{
	const uint8_t D = PORTSTEER_DIRECTION_DST, S = PORTSTEER_DIRECTION_SRC,
		      A = PORTSTEER_DIRECTION_ANY;
	struct ctl_rule r[4] = {
		{ PORTSTEER_FAMILY_IPV4, IPPROTO_TCP, 10, 20, "a", 1, D },
		{ PORTSTEER_FAMILY_IPV6, IPPROTO_TCP, 15, 15, "a", 2, D },
		{ PORTSTEER_FAMILY_INET, IPPROTO_UDP, 15, 15, "a", 3, D },
		{ PORTSTEER_FAMILY_IPV6, IPPROTO_TCP, 5, 100, "a", 4, D },
	};
	/* the same ports in each direction: any meets both */
	struct ctl_rule d[5] = {
		{ PORTSTEER_FAMILY_INET, IPPROTO_TCP, 80, 80, "a", 1, D },
		{ PORTSTEER_FAMILY_INET, IPPROTO_TCP, 80, 80, "a", 2, S },
		{ PORTSTEER_FAMILY_IPV4, IPPROTO_TCP, 1000, 2000, "a", 3, S },
		{ PORTSTEER_FAMILY_IPV6, IPPROTO_TCP, 1500, 1500, "a", 4, A },
		{ PORTSTEER_FAMILY_IPV4, IPPROTO_TCP, 79, 81, "a", 5, A },
	};
	struct ctl_pair pairs[4];
	size_t n;

	n = rules_overlaps(r, 3, pairs, 4);
	result(n == 0, "overlap_family_and_proto_disjoint", "%zu found", n);
	n = rules_overlaps(r, 4, pairs, 4);
	result(n == 1 && pairs[0].first == 1 && pairs[0].second == 3,
	       "overlap_ip6_range", "%zu found", n);
	n = rules_overlaps(d, 4, pairs, 4);
	result(n == 0, "overlap_directions_disjoint", "%zu found", n);
	n = rules_overlaps(d, 5, pairs, 4);
	result(n == 2 && pairs[0].first == 0 && pairs[0].second == 4 &&
	       pairs[1].first == 1 && pairs[1].second == 4,
	       "overlap_any_meets_dst_and_src", "%zu found", n);
	d[4].family = PORTSTEER_FAMILY_IPV6;
	d[4].dir = S;
	d[4].port_min = 1500;
	d[4].port_max = 1600;
	n = rules_overlaps(d, 5, pairs, 4);
	result(n == 1 && pairs[0].first == 3 && pairs[0].second == 4,
	       "overlap_src_meets_any", "%zu found", n);
}

/* The value of attribute type in nest: u8, u16 or u32 by its length; -1: absent. */
static long long nest_get(const struct nlattr *nest, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) != type)
			continue;
		switch (mnl_attr_get_payload_len(a)) {
		case 1:
			return mnl_attr_get_u8(a);
		case 2:
			return mnl_attr_get_u16(a);
		case 4:
			return mnl_attr_get_u32(a);
		}
		return -2;
	}
	return -1;
}

/*
 * What a request carries: the command line (kind as t_cmd_err's) parsed,
 * its first object put as the commands do, and the values of the
 * attributes types in it, "-" for absent: "16 - 3 15".
 */
static void t_put(const char *name, const char *kind, const char *line,
		  const uint16_t *types, size_t ntypes, const char *want)
{
	char buf[4096], words[256], err[CTL_ERR_MAX] = "", got[256] = "", **av;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	const struct nlattr *nest = mnl_nlmsg_get_payload(nlh);
	struct ctl_settings set;
	struct ctl_service svc;
	struct ctl_rule *r = NULL;
	size_t n, i, len = 0;
	int ac, ret;

	snprintf(words, sizeof(words), "%s", line);
	ac = split(words, &av);
	if (!strcmp(kind, "settings")) {
		ret = parse_settings_cmd(ac, av, &set, err);
		if (!ret)
			ctl_put_settings(nlh, sizeof(buf), &set);
	} else if (!strcmp(kind, "service") || !strcmp(kind, "change")) {
		ret = parse_service_cmd(ac, av, kind[0] == 'c', &svc, err);
		if (!ret)
			ctl_put_service(nlh, sizeof(buf), &svc, false);
	} else {
		ret = parse_rule_cmd(ac, av, !strcmp(kind, "rule"), &r, &n, err);
		if (!ret)
			ctl_put_rule(nlh, sizeof(buf), &r[0], true);
		free(r);
	}
	free(av);
	if (ret) {
		result(false, name, "error: %s", err);
		return;
	}
	for (i = 0; i < ntypes; i++) {
		long long v = nest_get(nest, types[i]);

		if (v < 0)
			len += snprintf(got + len, sizeof(got) - len, "%s-",
					i ? " " : "");
		else
			len += snprintf(got + len, sizeof(got) - len, "%s%lld",
					i ? " " : "", v);
	}
	result(!strcmp(got, want), name, "got '%s', want '%s'", got, want);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* What the requests carry: ctl_put_*() into a bare message. */
static void t_netlink_put(void)
{
	static const uint16_t rule[] = {
		PORTSTEER_RULE_A_DIRECTION, PORTSTEER_RULE_A_PORT_MIN,
	};
	static const uint16_t svc[] = {
		PORTSTEER_SERVICE_A_MARK, PORTSTEER_SERVICE_A_MARK_MASK,
		PORTSTEER_SERVICE_A_CT_MARK, PORTSTEER_SERVICE_A_CT_MARK_MASK,
		PORTSTEER_SERVICE_A_QUEUE,
	};
	static const uint16_t set[] = {
		PORTSTEER_SETTINGS_A_HOOKS, PORTSTEER_SETTINGS_A_HOOK,
	};

	/* dst, the kernel's default, goes unsaid */
	t_put("put_rule_dst_unsaid", "rule", "tcp dport 80 service web",
	      rule, N(rule), "- 80");
	t_put("put_rule_del_src", "del", "tcp sport 81", rule, N(rule), "2 81");
	t_put("put_rule_any", "rule", "ip6 udp port 82 service a", rule,
	      N(rule), "3 82");
	/* a value alone: the kernel's mask; none: the mask 0 alone */
	t_put("put_service_marks", "service",
	      "web queue 1 mark 0x10 ctmark 3/0xf", svc, N(svc),
	      "16 - 3 15 1");
	t_put("put_service_mark_none", "change", "web mark none", svc, N(svc),
	      "- 0 - - -");
	t_put("put_service_ctmark_change", "change", "web ctmark 0x2/0x2",
	      svc, N(svc), "- - 2 2 -");
	t_put("put_service_no_marks", "service", "web queue 1", svc, N(svc),
	      "- - - - 1");
	/* the set, even of one hook, and never the old single hook */
	t_put("put_settings_hooks_one", "settings", "hook input priority 5",
	      set, N(set), "2 -");
	t_put("put_settings_hooks_set", "settings", "hook output,input", set,
	      N(set), "10 -");
	t_put("put_settings_no_hook", "settings", "seed 5", set, N(set),
	      "- -");
}

/* What the replies carry: attributes into ctl_parse_*(). */
static void t_netlink_parse(void)
{
	char buf[4096];
	struct ctl_settings set;
	struct ctl_service svc;
	struct ctl_stats st;
	struct ctl_rule r;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nest = mnl_attr_nest_start(nlh, PORTSTEER_A_RULE);
	mnl_attr_put_u8(nlh, PORTSTEER_RULE_A_PROTO, IPPROTO_TCP);
	mnl_attr_put_u16(nlh, PORTSTEER_RULE_A_PORT_MIN, 80);
	mnl_attr_put_u16(nlh, PORTSTEER_RULE_A_PORT_MAX, 80);
	mnl_attr_nest_end(nlh, nest);
	ret = ctl_parse_rule(nest, &r);
	result(!ret && r.dir == PORTSTEER_DIRECTION_DST,
	       "parse_rule_no_direction_is_dst", "%d dir %u", ret, r.dir);
	nest = mnl_attr_nest_start(nlh, PORTSTEER_A_RULE);
	mnl_attr_put_u8(nlh, PORTSTEER_RULE_A_DIRECTION, PORTSTEER_DIRECTION_SRC);
	mnl_attr_nest_end(nlh, nest);
	ret = ctl_parse_rule(nest, &r);
	result(!ret && r.dir == PORTSTEER_DIRECTION_SRC, "parse_rule_direction",
	       "%d dir %u", ret, r.dir);

	nlh = mnl_nlmsg_put_header(buf);
	nest = mnl_attr_nest_start(nlh, PORTSTEER_A_SETTINGS);
	mnl_attr_put_u8(nlh, PORTSTEER_SETTINGS_A_HOOK, PORTSTEER_HOOK_INPUT);
	mnl_attr_nest_end(nlh, nest);
	ret = ctl_parse_settings(nest, &set);
	result(!ret && set.have == CTL_SET_HOOK &&
	       set.hooks == PORTSTEER_HOOKS_INPUT, "parse_settings_hook_only",
	       "%d hooks %#x", ret, set.hooks);
	nest = mnl_attr_nest_start(nlh, PORTSTEER_A_SETTINGS);
	mnl_attr_put_u8(nlh, PORTSTEER_SETTINGS_A_HOOK, PORTSTEER_HOOK_FORWARD);
	mnl_attr_put_u32(nlh, PORTSTEER_SETTINGS_A_HOOKS, PORTSTEER_HOOKS_FORWARD);
	mnl_attr_nest_end(nlh, nest);
	ret = ctl_parse_settings(nest, &set);
	result(!ret && set.hooks == PORTSTEER_HOOKS_FORWARD,
	       "parse_settings_hook_and_hooks", "%d hooks %#x", ret, set.hooks);
	nest = mnl_attr_nest_start(nlh, PORTSTEER_A_SETTINGS);
	mnl_attr_put_u32(nlh, PORTSTEER_SETTINGS_A_HOOKS,
			 PORTSTEER_HOOKS_INPUT | PORTSTEER_HOOKS_OUTPUT);
	mnl_attr_put_u8(nlh, PORTSTEER_SETTINGS_A_HOOK, PORTSTEER_HOOK_PREROUTING);
	mnl_attr_nest_end(nlh, nest);
	ret = ctl_parse_settings(nest, &set);
	result(!ret && set.hooks == (PORTSTEER_HOOKS_INPUT | PORTSTEER_HOOKS_OUTPUT),
	       "parse_settings_hooks_win", "%d hooks %#x", ret, set.hooks);

	nlh = mnl_nlmsg_put_header(buf);
	nest = mnl_attr_nest_start(nlh, PORTSTEER_A_SERVICE);
	mnl_attr_put_strz(nlh, PORTSTEER_SERVICE_A_NAME, "ids");
	mnl_attr_put_u32(nlh, PORTSTEER_SERVICE_A_MARK, 0x1);
	mnl_attr_put_u32(nlh, PORTSTEER_SERVICE_A_MARK_MASK, 0x3);
	mnl_attr_put_u32(nlh, PORTSTEER_SERVICE_A_CT_MARK, 0);
	mnl_attr_put_u32(nlh, PORTSTEER_SERVICE_A_CT_MARK_MASK, 0);
	mnl_attr_nest_end(nlh, nest);
	ret = ctl_parse_service(nest, &svc);
	result(!ret && svc.mark == 1 && svc.mark_mask == 3 &&
	       !svc.ct_mark_mask, "parse_service_marks", "%d %#x/%#x", ret,
	       svc.mark, svc.mark_mask);

	nlh = mnl_nlmsg_put_header(buf);
	nest = mnl_attr_nest_start(nlh, PORTSTEER_A_STATS);
	mnl_attr_put_u64(nlh, PORTSTEER_STATS_A_SEEN, 9);
	mnl_attr_put_u64(nlh, PORTSTEER_STATS_A_EXEMPT, 4);
	mnl_attr_nest_end(nlh, nest);
	ret = ctl_parse_stats(nest, &st);
	result(!ret && st.seen == 9 && st.exempt == 4, "parse_stats_exempt",
	       "%d exempt %llu", ret, (unsigned long long)st.exempt);
}

/*
 * The one request of rule add, del and replace: its command, its header's
 * flags, and what its rules carry (direction, port_min, service or "-").
 */
static void t_rule_msg(const char *name, enum ctl_rule_op op, const char *line,
		       uint8_t want_cmd, uint16_t want_flags, const char *want)
{
	char buf[4096], words[256], err[CTL_ERR_MAX] = "", got[256] = "", **av;
	struct ctl_nl nl = { .family = 42 };
	const struct genlmsghdr *g;
	const struct nlattr *a, *b;
	struct ctl_rule *r = NULL;
	struct nlmsghdr *nlh;
	size_t n, len = 0;
	int ac;

	snprintf(words, sizeof(words), "%s", line);
	ac = split(words, &av);
	if (parse_rule_cmd(ac, av, op != CTL_RULE_DEL, &r, &n, err)) {
		free(av);
		result(false, name, "error: %s", err);
		return;
	}
	free(av);
	nlh = ctl_rule_msg(&nl, buf, sizeof(buf), op, r, n);
	free(r);
	if (!nlh) {
		result(false, name, "does not fit");
		return;
	}
	g = mnl_nlmsg_get_payload(nlh);
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		const char *svc = "-";

		if (mnl_attr_get_type(a) == PORTSTEER_A_FLAGS)
			len += snprintf(got + len, sizeof(got) - len,
					"%sflags %u", len ? "," : "",
					mnl_attr_get_u32(a));
		if (mnl_attr_get_type(a) != PORTSTEER_A_RULE)
			continue;
		mnl_attr_for_each_nested(b, a)
			if (mnl_attr_get_type(b) == PORTSTEER_RULE_A_SERVICE)
				svc = mnl_attr_get_str(b);
		len += snprintf(got + len, sizeof(got) - len, "%s%lld %lld %s",
				len ? "," : "",
				nest_get(a, PORTSTEER_RULE_A_DIRECTION),
				nest_get(a, PORTSTEER_RULE_A_PORT_MIN), svc);
	}
	result(nlh->nlmsg_type == 42 && g->cmd == want_cmd &&
	       nlh->nlmsg_flags == want_flags && !strcmp(got, want), name,
	       "type %u cmd %u flags 0x%x, want cmd %u flags 0x%x; got '%s', want '%s'",
	       nlh->nlmsg_type, g->cmd, nlh->nlmsg_flags, want_cmd, want_flags,
	       got, want);
}

static void t_rule_replace(void)
{
	t_rule("rule_replace_parse", true,
	       "ip6 udp dport domain,5000-5010 service dns",
	       "ip6 udp dport 53 dns,ip6 udp dport 5000-5010 dns");
	t_rule("rule_replace_parse_sport", true,
	       "tcp sport 80 service web", "inet tcp sport 80 web");
	t_cmd_err("rule_replace_missing_service", "rule", "tcp dport 80",
		  "missing 'service NAME' after 'tcp dport 80'");
	t_cmd_err("rule_replace_overlap_in_list", "rule",
		  "tcp dport 80-90,85 service a",
		  "ports '80-90' and '85' overlap in 'tcp dport 80-90,85'");
	/*
	 * rule add: RULE_NEW, no flag but the request's (the ack is talk's);
	 * replace: the family's replace flag, generic netlink refusing
	 * NLM_F_REPLACE
	 */
	t_rule_msg("rule_msg_add", CTL_RULE_ADD, "tcp dport 80,443 service web",
		   PORTSTEER_CMD_RULE_NEW, NLM_F_REQUEST,
		   "-1 80 web,-1 443 web");
	t_rule_msg("rule_msg_replace", CTL_RULE_REPLACE,
		   "ip tcp sport 80,443 service web", PORTSTEER_CMD_RULE_NEW,
		   NLM_F_REQUEST, "flags 2,2 80 web,2 443 web");
	t_rule_msg("rule_msg_del", CTL_RULE_DEL, "udp port 53",
		   PORTSTEER_CMD_RULE_DEL, NLM_F_REQUEST, "3 53 -");
}

/* Batches, over a table of stub commands that log what they were given. */
static char batch_log[1024];
static int usage_calls;

static int stub_log(const char *what, int argc, char **argv)
{
	size_t len = strlen(batch_log);
	int i;

	len += snprintf(batch_log + len, sizeof(batch_log) - len, "%s%s",
			len ? ";" : "", what);
	for (i = 0; i < argc; i++)
		len += snprintf(batch_log + len, sizeof(batch_log) - len,
				" %s", argv[i]);
	return EXIT_OK;
}

static int stub_rule_add(int argc, char **argv)
{
	return stub_log("rule add", argc, argv);
}

static int stub_rule_replace(int argc, char **argv)
{
	return stub_log("rule replace", argc, argv);
}

static int stub_show(int argc, char **argv)
{
	return stub_log("show", argc, argv);
}

/* fail N: exits with N, after a message */
static int stub_fail(int argc, char **argv)
{
	stub_log("fail", argc, argv);
	ctl_err("failed with %s\n", argc ? argv[0] : "?");
	return argc ? atoi(argv[0]) : EXIT_ERROR;
}

static void stub_usage(FILE *f)
{
	(void)f;
	usage_calls++;
}

static const struct ctl_command stub_commands[] = {
	{ "show", NULL, stub_show, "show" },
	{ "rule", "add", stub_rule_add, "rule add" },
	{ "rule", "replace", stub_rule_replace, "rule replace" },
	{ "fail", NULL, stub_fail, "fail N" },
};

static const struct ctl_command_table stub_table = {
	.cmds = stub_commands,
	.n = N(stub_commands),
	.usage = stub_usage,
};

/* Runs text as a batch: its status, the stubs' log, what went to stderr. */
static void t_batch(const char *name, const char *text, bool force,
		    int want_rc, const char *want_log, const char *want_err)
{
	char err[1024] = "";
	int fd, saved, rc;
	FILE *in, *tmp;
	size_t len;

	batch_log[0] = '\0';
	usage_calls = 0;
	in = fmemopen((void *)text, strlen(text), "r");
	tmp = tmpfile();
	if (!in || !tmp) {
		result(false, name, "fmemopen/tmpfile: %s", strerror(errno));
		return;
	}
	fflush(stderr);
	saved = dup(2);
	fd = fileno(tmp);
	dup2(fd, 2);
	rc = ctl_batch(&stub_table, in, "t.batch", force);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	len = fread(err, 1, sizeof(err) - 1, tmp);
	err[len] = '\0';
	fclose(tmp);
	fclose(in);
	result(rc == want_rc && !strcmp(batch_log, want_log) &&
	       !strcmp(err, want_err) && !usage_calls &&
	       !strcmp(ctl_err_prefix(), PROG_NAME ": "), name,
	       "status %d (want %d), log '%s' (want '%s'), stderr '%s' (want '%s'), usage %d, prefix '%s'",
	       rc, want_rc, batch_log, want_log, err, want_err, usage_calls,
	       ctl_err_prefix());
}

static void t_batches(void)
{
	char line[64], **av;
	int ac;

	t_batch("batch_in_order",
		"# a comment\n\n  rule add tcp dport 80 service a\n"
		"show\n\trule replace udp\tdport 53 service b # trailing\n"
		"   # indented comment\n",
		false, EXIT_OK,
		"rule add tcp dport 80 service a;show;rule replace udp dport 53 service b",
		"");
	t_batch("batch_no_newline_at_end", "show\nrule add x", false,
		EXIT_OK, "show;rule add x", "");
	t_batch("batch_empty", "\n# nothing\n", false, EXIT_OK, "", "");
	t_batch("batch_stops_at_first_failure", "show\n\nfail 2\nshow\n",
		false, 2, "show;fail 2", "t.batch:3: failed with 2\n");
	t_batch("batch_stops_with_its_status", "fail 1\nshow\n", false, 1,
		"fail 1", "t.batch:1: failed with 1\n");
	t_batch("batch_force_runs_all", "show\nfail 2\nshow\nfail 1\n", true,
		EXIT_ERROR, "show;fail 2;show;fail 1",
		"t.batch:2: failed with 2\nt.batch:4: failed with 1\n");
	t_batch("batch_force_all_ok", "show\nshow\n", true, EXIT_OK,
		"show;show", "");
	t_batch("batch_unknown_object", "show\nfrob x\nshow\n", false,
		EXIT_USAGE, "show", "t.batch:2: unknown object 'frob'\n");
	t_batch("batch_unknown_command", "rule frob tcp\n", true, EXIT_ERROR,
		"", "t.batch:1: unknown command 'rule frob'\n");
	t_batch("batch_object_alone_is_show", "rule\n", false, EXIT_USAGE, "",
		"t.batch:1: unknown command 'rule show'\n");

	/* the command line's dispatch: the same table, and the usage after */
	batch_log[0] = '\0';
	usage_calls = 0;
	fflush(stderr);
	{
		int saved = dup(2), devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 2);
		snprintf(line, sizeof(line), "frob");
		ac = split(line, &av);
		result(ctl_dispatch(&stub_table, ac, av) == EXIT_USAGE &&
		       usage_calls == 1, "dispatch_unknown_usage", "usage %d",
		       usage_calls);
		free(av);
		dup2(saved, 2);
		close(saved);
		close(devnull);
	}
	batch_log[0] = '\0';
	snprintf(line, sizeof(line), "rule replace tcp");
	ac = split(line, &av);
	result(ctl_dispatch(&stub_table, ac, av) == EXIT_OK &&
	       !strcmp(batch_log, "rule replace tcp"), "dispatch_rule_replace",
	       "log '%s'", batch_log);
	free(av);
}

static void t_netlink(void)
{
	t_netlink_put();
	t_netlink_parse();
}

static void t_services(void)
{
	struct {
		uint16_t port;
		const char *proto, *want;
	} v[] = {
		{ 80, "tcp", "http" },
		{ 8080, "tcp", "http-alt" },
		{ 53, "udplite", "domain" },	/* udplite falls back to udp */
		{ 5672, "sctp", "amqp" },	/* its own sctp entry */
		{ 443, "dccp", "https" },	/* dccp falls back to tcp */
		{ 5353, "udp", "mdns-only" },
		{ 5353, "tcp", NULL },		/* udp only: no name for tcp */
		{ 9999, "tcp", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *got = services_name(v[i].port,
						proto_from_name(v[i].proto));
		char name[64];

		snprintf(name, sizeof(name), "services_name_%u_%s", v[i].port,
			 v[i].proto);
		result((!got && !v[i].want) ||
		       (got && v[i].want && !strcmp(got, v[i].want)), name,
		       "got '%s'", got ?: "(none)");
	}
}

/* issue 18's command line, JSON documents, listen and monitor */
#include "unit-cli.c"

/* Issue 18 (A1): a file's text parsed; its errors exactly, in order. */
static void t_conf_text(const char *name, const char *text, int want_n,
			const char *want_err)
{
	char *errbuf = NULL;
	size_t errlen = 0;
	struct ctl_config cfg;
	FILE *f, *e;
	int n;

	f = fmemopen((void *)text, strlen(text), "r");
	e = open_memstream(&errbuf, &errlen);
	n = parse_config(f, "t.conf", &cfg, e);
	fclose(e);
	fclose(f);
	result(n == want_n && !strcmp(errbuf, want_err), name,
	       "%d errors (want %d):\n%s", n, want_n, errbuf);
	free(errbuf);
	config_free(&cfg);
}

/* The same for a JSON document, through parse_config_buf(). */
static void t_conf_json(const char *name, const char *text, int want_n,
			const char *want_err)
{
	char *errbuf = NULL;
	size_t errlen = 0;
	struct ctl_config cfg;
	FILE *e;
	int n;

	e = open_memstream(&errbuf, &errlen);
	n = parse_config_buf(text, strlen(text), config_is_json(text, strlen(text)),
			     "t.json", &cfg, e);
	fclose(e);
	result(n == want_n && !strcmp(errbuf, want_err), name,
	       "%d errors (want %d):\n%s", n, want_n, errbuf);
	free(errbuf);
	config_free(&cfg);
}

/*
 * The document of -j save, built from output.c's shapes (the spec's
 * {"json_schema_version":1,"generation":G,"settings","services","rules"}),
 * read back by apply: the same configuration, so the same save.
 */
static void t_json_roundtrip(const char *name, struct ctl_config cfg)
{
	json_t *doc = json_object(), *svcs = json_array(), *rules = json_array();
	char *text, *want, *got = NULL, *errbuf = NULL;
	size_t errlen = 0, i;
	struct ctl_config back;
	FILE *e;
	int n;

	opts.stats = false;
	json_object_set_new(doc, "json_schema_version", json_integer(1));
	json_object_set_new(doc, "generation", json_integer(cfg.generation));
	json_object_set_new(doc, "settings", settings_json(&cfg.settings));
	for (i = 0; i < cfg.n_services; i++)
		json_array_append_new(svcs, service_json(&cfg.services[i]));
	for (i = 0; i < cfg.n_rules; i++)
		json_array_append_new(rules, rule_json(&cfg.rules[i]));
	json_object_set_new(doc, "services", svcs);
	json_object_set_new(doc, "rules", rules);
	text = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	e = open_memstream(&errbuf, &errlen);
	n = parse_config_buf(text, strlen(text), config_is_json(text, strlen(text)),
			     "doc.json", &back, e);
	fclose(e);
	want = capture(save_wrap, &cfg, NULL);
	if (!n)
		got = capture(save_wrap, &back, NULL);
	result(!n && !strcmp(got, want), name, "%d errors: %s\ngot:\n%s\nwant:\n%s",
	       n, errbuf, got ?: "", want);
	free(got);
	free(want);
	free(text);
	free(errbuf);
	config_free(&back);
}

static void t_issue18_a1(void)
{
	char err[CTL_ERR_MAX] = "", path[256], dir[48], *buf = NULL, *errbuf = NULL;
	struct ctl_config cfg;
	struct stat st;
	size_t len = 0, errlen = 0;
	FILE *f, *e;
	int ret, n;

	/* defect 3: the line of that setting, and its name */
	t_conf_text("config_setting_again_names_it",
		    "settings set hook input\nsettings set seed 1\n"
		    "settings set hook output\n", 1,
		    "t.conf:3: 'hook' given again (already set at line 1)\n");
	t_conf_text("config_settings_again_each",
		    "settings set hook input priority 5\nsettings set seed 1\n"
		    "settings set seed 2 priority 6 defrag on\n", 2,
		    "t.conf:3: 'priority' given again (already set at line 1)\n"
		    "t.conf:3: 'seed' given again (already set at line 2)\n");

	/* defect 5: a directory is not read, and says so, no line 0 */
	ret = read_file("/tmp", &buf, &len, err);
	result(ret == -EISDIR && !strcmp(err, "cannot read '/tmp': Is a directory"),
	       "read_file_directory", "%d '%s'", ret, err);
	ret = read_file("/nonexistent/x.conf", &buf, &len, err);
	result(ret == -ENOENT &&
	       !strcmp(err, "cannot open '/nonexistent/x.conf': No such file or directory"),
	       "read_file_missing", "%d '%s'", ret, err);
	f = fopen("/tmp", "r");
	e = open_memstream(&errbuf, &errlen);
	n = f ? parse_config(f, "/tmp", &cfg, e) : -1;
	fclose(e);
	if (f)
		fclose(f);
	result(n == 1 && !strcmp(errbuf, "/tmp: read error: Is a directory\n"),
	       "config_directory_no_line_0", "%d: %s", n, errbuf);
	free(errbuf);
	config_free(&cfg);

	/* defect 6: in line order; a refused service is not "unknown" */
	t_conf_text("config_errors_in_line_order",
		    "service add a queue 1\nrule add tcp dport 80 service b\n"
		    "rule add tcp dport 80 service a\nflush\n", 3,
		    "t.conf:2: unknown service 'b'\n"
		    "t.conf:3: rule 'inet tcp dport 80' overlaps rule 'inet tcp dport 80' of line 2\n"
		    "t.conf:4: 'flush' is not allowed in a configuration file (only 'service add', 'rule add', 'settings set')\n");
	t_conf_text("config_refused_service_no_noise",
		    "service add web queue x\nrule add tcp dport 80 service web\n"
		    "rule add tcp dport 81 service nosuch\n", 2,
		    "t.conf:1: invalid queue 'x' (expected Q or Q-Q2, 0 to 65535)\n"
		    "t.conf:3: unknown service 'nosuch'\n");
	{
		char *g = read_all("golden/bad.err"), *p;
		int last = 0, line, ok = !!g;

		for (p = g; ok && p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
			if (sscanf(p, "bad.conf:%d:", &line) != 1 || line < last)
				ok = 0;
			last = line;
		}
		result(ok, "config_bad_golden_in_line_order", "line %d after %d",
		       line, last);
		free(g);
	}

	/* defect 11: the grammar's keywords and leading '-' name nothing */
	t_cmd_err("service_name_keyword_queue", "service", "queue queue 1",
		  "invalid service name 'queue': a keyword of portsteerctl's commands");
	t_cmd_err("service_name_keyword_with_rules", "change", "with-rules bypass",
		  "invalid service name 'with-rules': a keyword of portsteerctl's commands");
	t_cmd_err("service_name_dash_help", "service", "--help queue 1",
		  "invalid service name '--help': it must start with a letter, a digit or '_'");
	t_cmd_err("service_name_dash_dash", "service", "-- queue 1",
		  "invalid service name '--': it must start with a letter, a digit or '_'");
	t_cmd_err("service_name_dot", "service", ".web queue 1",
		  "invalid service name '.web': it must start with a letter, a digit or '_'");
	t_cmd_err("rule_service_keyword", "rule", "tcp dport 80 service all",
		  "invalid service name 'all': a keyword of portsteerctl's commands");
	t_conf_text("config_service_keyword", "service add count queue 1\n", 1,
		    "t.conf:1: invalid service name 'count': a keyword of portsteerctl's commands\n");
	result(!check_service_name("_web-1.x", err) &&
	       !check_service_name("9queue", err) &&
	       !check_service_name("Queue", err), "service_name_not_reserved",
	       "%s", err);

	/* defect 12: the context of a trailing word is the whole rule */
	t_cmd_err("rule_trailing_after_service", "rule",
		  "tcp dport 80 service web extra",
		  "unexpected argument 'extra' after 'tcp dport 80 service web'");
	t_cmd_err("rule_del_trailing_with_family", "del", "ip tcp dport 80 extra",
		  "unexpected argument 'extra' after 'ip tcp dport 80'");

	/* defect 16: save's file is replaced whole, or left as it was */
	snprintf(dir, sizeof(dir), "/tmp/ps-unit-save-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/portsteer.conf", dir);
	mkdir(dir, 0700);
	f = fopen(path, "w");
	if (f) {
		fputs("old\n", f);
		fclose(f);
	}
	chmod(path, 0640);
	ret = write_file(path, "new\n", 4, err);
	buf = read_all(path);
	result(!ret && buf && !strcmp(buf, "new\n") && !stat(path, &st) &&
	       (st.st_mode & 07777) == 0640, "write_file_replaces_keeps_mode",
	       "%d '%s' '%s' %o", ret, err, buf ?: "", st.st_mode & 07777);
	free(buf);
	/* a directory where the file would go: refused, nothing left behind */
	snprintf(path, sizeof(path), "%s/sub", dir);
	mkdir(path, 0700);
	ret = write_file(path, "x\n", 2, err);
	snprintf(path, sizeof(path), "rmdir %s/sub && rm %s/portsteer.conf && rmdir %s",
		 dir, dir, dir);
	result(ret < 0 && strstr(err, "cannot rename") && !system(path),
	       "write_file_failure_leaves_nothing", "%d '%s'", ret, err);

	/* JSON input: the -j save document, its errors by place */
	t_json_roundtrip("json_apply_roundtrip", sample());
	t_json_roundtrip("json_apply_roundtrip_features", sample_features());
	t_conf_json("json_apply_minimal",
		    "\n\t{\"services\":[{\"name\":\"web\",\"queue\":3}],"
		    "\"rules\":[{\"proto\":\"tcp\",\"port_min\":80,\"service\":\"web\"}]}",
		    0, "");
	t_conf_json("json_apply_errors",
		    "{\"json_schema_version\":1,\"services\":[{\"name\":\"web\",\"queue\":\"x\"},"
		    "{\"name\":\"dns\",\"queue\":70000},{\"name\":\"a\",\"queue\":1,\"colour\":1}],"
		    "\"rules\":[{\"proto\":\"tcp\",\"port_min\":80,\"service\":\"web\"},"
		    "{\"proto\":\"tcp\",\"port_min\":90,\"port_max\":80,\"service\":\"nosuch\"},"
		    "{\"proto\":\"udp\",\"port_min\":53,\"direction\":\"up\",\"service\":\"dns\"}],"
		    "\"settings\":{\"hooks\":[\"sideways\"]}}", 6,
		    "t.json: settings: invalid hook 'sideways' (prerouting, input, forward, output)\n"
		    "t.json: services[0]: invalid 'queue' (an integer)\n"
		    "t.json: services[1]: invalid queue '70000' (expected Q or Q-Q2, 0 to 65535)\n"
		    "t.json: services[2]: unknown key 'colour' (name, queue, queue_count, balance, bypass, mark, ctmark)\n"
		    "t.json: rules[1]: invalid port range '90-80' in 'tcp dport 90-80'\n"
		    "t.json: rules[2]: invalid direction 'up' (dst, src or any)\n");
	t_conf_json("json_apply_syntax", "{\"services\": [}", 1,
		    "t.json: invalid JSON at line 1, column 15: unexpected token near '}'\n");
	t_conf_json("json_apply_version", "{\"json_schema_version\":2}", 1,
		    "t.json: unsupported json_schema_version (this portsteerctl reads 1)\n");
	t_conf_json("json_apply_overlap_names_places",
		    "{\"services\":[{\"name\":\"a\",\"queue\":1}],\"rules\":["
		    "{\"proto\":\"tcp\",\"port_min\":80,\"port_max\":90,\"service\":\"a\"},"
		    "{\"proto\":\"tcp\",\"port_min\":85,\"service\":\"a\",\"direction\":\"any\"}]}",
		    1,
		    "t.json: rules[1]: rule 'inet tcp port 85' overlaps rule 'inet tcp dport 80-90' of rules[0]\n");
	result(!config_is_json("# {\n", 4) && config_is_json("\n\t {", 4) &&
	       !config_is_json("", 0), "config_is_json_first_char", NULL);
}

int main(int argc, char **argv)
{
	char line[256], err[CTL_ERR_MAX], **av;
	struct ctl_service svc;
	struct ctl_settings set;
	struct ctl_rule *r;
	size_t n;
	int ac;

	golden_dir = argc > 1 ? argv[1] : "golden";

	t_ports("ports_single", "tcp", "80", "80-80");
	t_ports("ports_list_names_range", "tcp", "http,https,8000-8080",
		"80-80,443-443,8000-8080");
	t_ports("ports_alias", "tcp", "www", "80-80");
	t_ports("ports_name_with_dash", "tcp", "http-alt", "8080-8080");
	t_ports("ports_name_range", "tcp", "ssh-http", "22-80");
	t_ports("ports_udp_name_dash", "udp", "netbios-ns", "137-137");
	t_ports("ports_udplite_fallback_udp", "udplite", "domain", "53-53");
	t_ports("ports_sctp_own_entry", "sctp", "amqp", "5672-5672");
	t_ports("ports_dccp_fallback_tcp", "dccp", "https", "443-443");
	t_ports("ports_max", "udp", "65535,1-2", "65535-65535,1-2");
	t_ports_err("ports_out_of_range", "tcp", "80,70000",
		    "invalid port '70000' in 'tcp dport 80,70000'");
	t_ports_err("ports_zero", "tcp", "0",
		    "invalid port '0' in 'tcp dport 0': port 0 is never valid");
	t_ports_err("ports_zero_in_range", "udp", "0-10",
		    "invalid port '0' in 'udp dport 0-10': port 0 is never valid");
	t_ports_err("ports_reversed_range", "tcp", "90-80",
		    "invalid port range '90-80' in 'tcp dport 90-80'");
	t_ports_err("ports_open_range", "tcp", "90-",
		    "invalid port range '90-' in 'tcp dport 90-'");
	t_ports_err("ports_empty_item", "tcp", "80,,81",
		    "empty port in 'tcp dport 80,,81'");
	t_ports_err("ports_trailing_comma", "tcp", "80,",
		    "empty port in 'tcp dport 80,'");
	t_ports_err("ports_unknown_name", "tcp", "nosuch",
		    "unknown port name 'nosuch' for tcp in 'tcp dport nosuch'");
	t_ports_err("ports_name_wrong_proto", "tcp", "mdns-only",
		    "unknown port name 'mdns-only' for tcp in 'tcp dport mdns-only'");
	t_ports_err("ports_garbage_number", "tcp", "80x",
		    "invalid port '80x' in 'tcp dport 80x'");
	t_ports_err("ports_overlap_in_list", "tcp", "80-90,85",
		    "ports '80-90' and '85' overlap in 'tcp dport 80-90,85'");
	t_ports_err("ports_duplicate_in_list", "tcp", "http,80",
		    "ports 'http' and '80' overlap in 'tcp dport http,80'");

	snprintf(line, sizeof(line), "ip6 udp dport domain,5000-5010 service dns");
	ac = split(line, &av);
	result(!parse_rule_cmd(ac, av, true, &r, &n, err) && n == 2 &&
	       r[0].family == PORTSTEER_FAMILY_IPV6 &&
	       r[0].proto == IPPROTO_UDP && r[0].port_min == 53 &&
	       r[1].port_max == 5010 && !strcmp(r[1].service, "dns") &&
	       r[0].dir == PORTSTEER_DIRECTION_DST &&
	       r[1].dir == PORTSTEER_DIRECTION_DST,
	       "rule_add_parse", "%s", err);
	free(av);
	if (n == 2)
		free(r);
	snprintf(line, sizeof(line), "sctp dport 80");
	ac = split(line, &av);
	result(!parse_rule_cmd(ac, av, false, &r, &n, err) && n == 1 &&
	       r[0].family == PORTSTEER_FAMILY_INET && !r[0].service[0],
	       "rule_del_parse_default_inet", "%s", err);
	free(av);
	free(r);
	t_cmd_err("rule_missing_service", "rule", "tcp dport 80",
		  "missing 'service NAME' after 'tcp dport 80'");
	t_cmd_err("rule_unknown_proto", "rule", "icmp dport 80 service a",
		  "unknown protocol 'icmp' (tcp, udp, udplite, sctp, dccp)");
	t_cmd_err("rule_missing_direction", "rule", "tcp xport 80 service a",
		  "expected 'dport PORTS', 'sport PORTS' or 'port PORTS' after 'tcp'");
	t_cmd_err("rule_missing_direction_end", "del", "ip6 udp",
		  "expected 'dport PORTS', 'sport PORTS' or 'port PORTS' after 'udp'");
	t_cmd_err("rule_missing_sport_ports", "del", "tcp sport",
		  "missing ports after 'sport'");
	t_cmd_err("rule_sport_port_zero", "rule", "udp sport 0 service a",
		  "invalid port '0' in 'udp sport 0': port 0 is never valid");
	t_cmd_err("rule_port_overlap_in_list", "rule",
		  "udp port 53,domain service a",
		  "ports '53' and 'domain' overlap in 'udp port 53,domain'");
	t_cmd_err("rule_sport_trailing", "rule",
		  "tcp sport 80 service a dport 81",
		  "unexpected argument 'dport' after 'tcp sport 80 service a'");
	t_cmd_err("rule_sport_missing_service", "rule", "tcp sport 80",
		  "missing 'service NAME' after 'tcp sport 80'");
	t_rule("rule_add_dport_is_dst", true, "tcp dport 80,443 service web",
	       "inet tcp dport 80 web,inet tcp dport 443 web");
	t_rule("rule_add_sport", true, "ip tcp sport 5000-5010,http service a",
	       "ip tcp sport 5000-5010 a,ip tcp sport 80 a");
	t_rule("rule_add_port", true, "ip6 udp port domain service dns",
	       "ip6 udp port 53 dns");
	t_rule("rule_del_sport", false, "udp sport 53", "inet udp sport 53");
	t_rule("rule_del_port", false, "inet sctp port 9-10",
	       "inet sctp port 9-10");
	t_cmd_err("rule_trailing", "rule", "tcp dport 80 service a extra",
		  "unexpected argument 'extra' after 'tcp dport 80 service a'");
	t_cmd_err("rule_bad_service_name", "rule", "tcp dport 80 service a/b",
		  "invalid service name 'a/b' (1 to 31 characters from A-Z a-z 0-9 _ . -)");

	snprintf(line, sizeof(line), "web queue 10-13 balance cpu bypass");
	ac = split(line, &av);
	result(!parse_service_cmd(ac, av, false, &svc, err) &&
	       svc.queue == 10 && svc.queue_count == 4 &&
	       svc.balance == PORTSTEER_BALANCE_CPU && svc.bypass,
	       "service_add_parse", "%s", err);
	free(av);
	snprintf(line, sizeof(line), "web nobypass");
	ac = split(line, &av);
	result(!parse_service_cmd(ac, av, true, &svc, err) &&
	       svc.have == CTL_SVC_BYPASS && !svc.bypass,
	       "service_change_parse", "%s", err);
	free(av);
	t_cmd_err("service_missing_queue", "service", "web bypass",
		  "missing 'queue Q[-Q2]' for service 'web'");
	t_cmd_err("service_queue_reversed", "service", "web queue 13-10",
		  "invalid queue range '13-10': 10 is below 13");
	t_cmd_err("service_queue_too_big", "service", "web queue 65536",
		  "invalid queue '65536' (expected Q or Q-Q2, 0 to 65535)");
	t_cmd_err("service_bad_balance", "service", "web queue 1 balance rr",
		  "invalid balance 'rr' (flow or cpu)");
	t_cmd_err("service_nobypass_on_add", "service", "web queue 1 nobypass",
		  "unexpected argument 'nobypass' in 'service add web'");
	t_cmd_err("service_name_too_long", "service",
		  "abcdefghijabcdefghijabcdefghijab queue 1",
		  "invalid service name 'abcdefghijabcdefghijabcdefghijab' (1 to 31 characters from A-Z a-z 0-9 _ . -)");
	t_cmd_err("service_twice", "service", "web queue 1 queue 2",
		  "'queue' given twice");
	t_cmd_err("service_change_nothing", "change", "web",
		  "nothing to change for service 'web'");
	t_marks("service_add_mark_value_only", false,
		"web queue 1 mark 0x10 ctmark 0x100/0xff00",
		"mark 0x10/0xffffffff [value] ctmark 0x100/0xff00 [value,mask]");
	t_marks("service_add_mark_decimal", false, "web queue 1 mark 16/48",
		"mark 0x10/0x30 [value,mask] ctmark 0x0/0x0 []");
	t_marks("service_add_ctmark_max", false,
		"web queue 1 ctmark 0xFFFFFFFF/4294967295",
		"mark 0x0/0x0 [] ctmark 0xffffffff/0xffffffff [value,mask]");
	t_marks("service_add_mark_none", false, "web queue 1 mark none",
		"mark 0x0/0x0 [mask] ctmark 0x0/0x0 []");
	t_marks("service_change_marks_none", true, "web mark none ctmark none",
		"mark 0x0/0x0 [mask] ctmark 0x0/0x0 [mask]");
	t_marks("service_change_ctmark", true, "web ctmark 0x2",
		"mark 0x0/0x0 [] ctmark 0x2/0xffffffff [value]");
	t_cmd_err("service_mark_outside_mask", "service",
		  "web queue 1 mark 0x3/0x1",
		  "invalid mark '0x3/0x1': value 0x3 has bits outside mask 0x1");
	t_cmd_err("service_ctmark_outside_mask", "change", "web ctmark 256/255",
		  "invalid ctmark '256/255': value 0x100 has bits outside mask 0xff");
	t_cmd_err("service_mark_mask_zero", "change", "web mark 0/0",
		  "invalid mark '0/0': mask 0 compares no bits (for no mark: 'mark none')");
	t_cmd_err("service_ctmark_mask_zero", "service",
		  "web queue 1 ctmark 0x1/0x0",
		  "invalid ctmark '0x1/0x0': mask 0 compares no bits (for no mark: 'ctmark none')");
	t_cmd_err("service_mark_bad_number", "service", "web queue 1 mark 0xg",
		  "invalid mark '0xg' (VALUE[/MASK] or none, decimal or 0x hex, 32 bits)");
	t_cmd_err("service_mark_too_big", "change", "web mark 0x100000000",
		  "invalid mark '0x100000000' (VALUE[/MASK] or none, decimal or 0x hex, 32 bits)");
	t_cmd_err("service_mark_negative", "change", "web ctmark -1",
		  "invalid ctmark '-1' (VALUE[/MASK] or none, decimal or 0x hex, 32 bits)");
	t_cmd_err("service_mark_empty_mask", "change", "web mark 1/",
		  "invalid mark '1/' (VALUE[/MASK] or none, decimal or 0x hex, 32 bits)");
	t_cmd_err("service_mark_none_with_mask", "change", "web mark none/1",
		  "invalid mark 'none/1' (VALUE[/MASK] or none, decimal or 0x hex, 32 bits)");
	t_cmd_err("service_mark_twice", "change", "web mark 1 mark none",
		  "'mark' given twice");
	t_cmd_err("service_ctmark_missing_value", "service", "web queue 1 ctmark",
		  "missing value after 'ctmark'");
	t_hex("0", 0);
	t_hex("4294967295", 4294967295LL);
	t_hex("0xffffffff", 4294967295LL);
	t_hex("0XfF", 255);
	t_hex("0x00000000010", 16);
	t_hex("4294967296", -1);
	t_hex("0x1ffffffff", -1);
	t_hex("0x", -1);
	t_hex("", -1);
	t_hex("+1", -1);
	t_hex("1x", -1);
	t_hex("0x 1", -1);

	snprintf(line, sizeof(line),
		 "hook input priority -2147483648 defrag on icmp-errors off seed 4294967295");
	ac = split(line, &av);
	result(!parse_settings_cmd(ac, av, &set, err) &&
	       set.have == CTL_SET_WRITABLE &&
	       set.hooks == PORTSTEER_HOOKS_INPUT &&
	       set.priority == INT32_MIN && set.defrag && !set.icmp_errors &&
	       set.seed == UINT32_MAX, "settings_parse", "%s", err);
	free(av);
	t_cmd_err("settings_bad_hook", "settings", "hook sideways",
		  "invalid hook 'sideways' (prerouting, input, forward, output)");
	t_cmd_err("settings_bad_hook_in_set", "settings", "hook input,sideways",
		  "invalid hook 'sideways' in 'input,sideways' (prerouting, input, forward, output)");
	t_cmd_err("settings_hook_twice_in_set", "settings",
		  "hook input,output,input",
		  "hook 'input' given twice in 'input,output,input'");
	t_cmd_err("settings_hook_empty_in_set", "settings", "hook input,",
		  "empty hook in 'input,' (prerouting, input, forward, output)");
	t_cmd_err("settings_hook_set_twice", "settings",
		  "hook input hook output", "'hook' given twice");
	t_hooks("settings_hook_one", "hook forward", "forward");
	t_hooks("settings_hook_server", "hook input,output", "input,output");
	t_hooks("settings_hook_set_in_hook_order", "hook output,input",
		"input,output");
	t_hooks("settings_hook_both", "hook input,forward,output",
		"input,forward,output");
	t_hooks("settings_hook_prerouting_output", "hook prerouting,output",
		"prerouting,output");
	{
		char h[64];

		format_hooks(h, sizeof(h), 0);
		result(!strcmp(h, "none"), "format_hooks_empty", "got '%s'", h);
		format_hooks(h, sizeof(h), 0xf);
		result(!strcmp(h, "prerouting,input,forward,output"),
		       "format_hooks_all", "got '%s'", h);
	}
	t_cmd_err("settings_bad_priority", "settings", "priority 2147483648",
		  "invalid priority '2147483648' (a signed 32-bit integer)");
	t_cmd_err("settings_bad_onoff", "settings", "defrag yes",
		  "invalid defrag 'yes' (on or off)");
	t_cmd_err("settings_unknown", "settings", "mtu 1500",
		  "unknown setting 'mtu' (hook, priority, defrag, icmp-errors, seed)");
	t_cmd_err("settings_missing_value", "settings", "seed",
		  "missing value after 'seed'");

	t_services();
	t_overlaps();
	t_config();
	t_output();
	t_output_features();
	t_netlink();
	t_rule_replace();
	t_batches();
	t_cli();
	t_issue18_a1();
	return failed ? 1 : 0;
}
