// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of portsteerctl's parsers and output, without a kernel.
 * Prints one "ok - NAME" or "not ok - NAME" line per test; run.sh numbers
 * them into KTAP. Needs PORTSTEER_SERVICES=tests/services and the golden
 * directory as argv[1]; UPDATE_GOLDEN=1 rewrites the golden files.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "portsteerctl.h"

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
				     "dns", 0 };
	rules[1] = (struct ctl_rule){ PORTSTEER_FAMILY_INET, IPPROTO_TCP, 80, 80,
				     "web", 0 };
	rules[2] = (struct ctl_rule){ PORTSTEER_FAMILY_INET, IPPROTO_TCP, 443,
				     443, "web", 0 };
	rules[3] = (struct ctl_rule){ PORTSTEER_FAMILY_IPV6, IPPROTO_TCP, 8000,
				     8080, "web", 0 };
	cfg.services = svcs;
	cfg.n_services = 2;
	cfg.rules = rules;
	cfg.n_rules = 4;
	cfg.generation = 9;
	cfg.settings.have = CTL_SET_WRITABLE | CTL_SET_LIMITS |
			    CTL_SET_HOOK_ACTIVE | CTL_SET_TABLE_BYTES;
	cfg.settings.hook = PORTSTEER_HOOK_PREROUTING;
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
		struct ctl_stats st = { 100, 90, 8, 1, 1, 3, 2 };

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

	f = fopen("bad.conf", "r");
	errbuf = NULL;
	e = open_memstream(&errbuf, &errlen);
	n = f ? parse_config(f, "bad.conf", &cfg, e) : -1;
	fclose(e);
	if (f)
		fclose(f);
	result(n == 10, "config_bad_count", "%d errors", n);
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
	struct ctl_rule r[4] = {
		{ PORTSTEER_FAMILY_IPV4, IPPROTO_TCP, 10, 20, "a", 1 },
		{ PORTSTEER_FAMILY_IPV6, IPPROTO_TCP, 15, 15, "a", 2 },
		{ PORTSTEER_FAMILY_INET, IPPROTO_UDP, 15, 15, "a", 3 },
		{ PORTSTEER_FAMILY_IPV6, IPPROTO_TCP, 5, 100, "a", 4 },
	};
	struct ctl_pair pairs[4];
	size_t n;

	n = rules_overlaps(r, 3, pairs, 4);
	result(n == 0, "overlap_family_and_proto_disjoint", "%zu found", n);
	n = rules_overlaps(r, 4, pairs, 4);
	result(n == 1 && pairs[0].first == 1 && pairs[0].second == 3,
	       "overlap_ip6_range", "%zu found", n);
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
	       r[1].port_max == 5010 && !strcmp(r[1].service, "dns"),
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
	t_cmd_err("rule_missing_dport", "rule", "tcp sport 80 service a",
		  "expected 'dport PORTS' after 'tcp'");
	t_cmd_err("rule_trailing", "rule", "tcp dport 80 service a extra",
		  "unexpected argument 'extra' after 'tcp dport 80'");
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

	snprintf(line, sizeof(line),
		 "hook input priority -2147483648 defrag on icmp-errors off seed 4294967295");
	ac = split(line, &av);
	result(!parse_settings_cmd(ac, av, &set, err) &&
	       set.have == CTL_SET_WRITABLE &&
	       set.hook == PORTSTEER_HOOK_INPUT &&
	       set.priority == INT32_MIN && set.defrag && !set.icmp_errors &&
	       set.seed == UINT32_MAX, "settings_parse", "%s", err);
	free(av);
	t_cmd_err("settings_bad_hook", "settings", "hook output",
		  "invalid hook 'output' (prerouting or input)");
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
	return failed ? 1 : 0;
}
