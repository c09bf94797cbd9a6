// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the command line (issue 18): options anywhere, prefixes
 * and aliases, help per object, --netns, listen's and monitor's arguments,
 * listen's exit status, timestamps, the JSON documents. Included by
 * unit.c, which gives result(), t_golden(), json_text(), split(), sample().
 */

/* What fn wrote to stderr while it ran, into err. */
static int with_stderr(char *err, size_t len, int (*fn)(void *), void *arg)
{
	FILE *tmp = tmpfile();
	int saved, rc;
	size_t n;

	err[0] = '\0';
	if (!tmp)
		return -1;
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	rc = fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(err, 1, len - 1, tmp);
	err[n] = '\0';
	fclose(tmp);
	return rc;
}

struct words {
	char line[256];
	char **av;
	int ac;
	const char *help_for;
	struct ctl_cmdline cl;
};

static int run_resolve(void *arg)
{
	struct words *w = arg;

	return ctl_resolve(w->ac, w->av, &w->help_for);
}

/* Resolves line; want: "OBJECT COMMAND" written out, or "help OBJECT". */
static void t_resolve(const char *name, const char *line, const char *want)
{
	struct words w = { 0 };
	char got[1024], err[512];
	int rc;

	snprintf(w.line, sizeof(w.line), "%s", line);
	w.ac = split(w.line, &w.av);
	rc = with_stderr(err, sizeof(err), run_resolve, &w);
	if (rc == CTL_RESOLVED_HELP)
		snprintf(got, sizeof(got), "help %s", w.help_for ?: "all");
	else if (rc == EXIT_OK)
		snprintf(got, sizeof(got), "%s%s%s", w.av[0],
			 w.ac > 1 ? " " : "", w.ac > 1 ? w.av[1] : "");
	else
		snprintf(got, sizeof(got), "%d %s", rc, err);
	result(!strcmp(got, want), name, "'%s': got '%s', want '%s'", line,
	       got, want);
	free(w.av);
}

static int run_cmdline(void *arg)
{
	struct words *w = arg;

	return ctl_parse_cmdline(w->ac, w->av, &w->cl);
}

/*
 * Parses "portsteerctl " line: want is the options set ("j p s n" letters,
 * N=netns b=batch F=force h V) then ":" and the words left, or the status
 * and the message.
 */
static void t_cmdline(const char *name, const char *line, const char *want)
{
	struct words w = { 0 };
	char got[1024], err[512];
	size_t n = 0;
	int rc, i;

	snprintf(w.line, sizeof(w.line), "portsteerctl %s", line);
	w.ac = split(w.line, &w.av);
	memset(&opts, 0, sizeof(opts));
	rc = with_stderr(err, sizeof(err), run_cmdline, &w);
	if (rc) {
		snprintf(got, sizeof(got), "%d %s", rc, err);
	} else {
		n += snprintf(got + n, sizeof(got) - n, "%s%s%s%s%s%s%s%s%s:",
			      opts.json ? "j" : "", opts.pretty ? "p" : "",
			      opts.stats ? "s" : "", opts.numeric ? "n" : "",
			      opts.netns ? "N" : "", w.cl.batch ? "b" : "",
			      w.cl.force ? "F" : "", w.cl.help ? "h" : "",
			      w.cl.version ? "V" : "");
		for (i = 0; i < w.cl.argc; i++)
			n += snprintf(got + n, sizeof(got) - n, "%s%s",
				      i ? " " : "", w.cl.argv[i]);
		if (opts.netns)
			n += snprintf(got + n, sizeof(got) - n, " netns=%s",
				      opts.netns);
	}
	result(!strcmp(got, want), name, "'%s': got '%s', want '%s'", line,
	       got, want);
	memset(&opts, 0, sizeof(opts));
	free(w.av);
}

struct listen_case {
	char line[256];
	struct listen_args a;
};

static int run_listen(void *arg)
{
	struct listen_case *c = arg;
	char **av;
	int ac = split(c->line, &av), rc;

	rc = listen_parse_args(ac, av, &c->a);
	free(av);
	return rc;
}

/* Parses listen's words; want: the fields, or the status and message. */
static void t_listen(const char *name, const char *line, const char *want)
{
	struct listen_case c;
	char got[1024], err[512];
	int rc;

	snprintf(c.line, sizeof(c.line), "%s", line);
	rc = with_stderr(err, sizeof(err), run_listen, &c);
	if (rc)
		snprintf(got, sizeof(got), "%d %s", rc, err);
	else
		snprintf(got, sizeof(got),
			 "%s q%u+%u count %llu timeout %lld verdict %u maxlen %u%s%s",
			 c.a.service ?: "-", c.a.queue, c.a.count,
			 (unsigned long long)c.a.max_packets,
			 (long long)c.a.timeout_ms, c.a.verdict, c.a.maxlen,
			 c.a.fail_open ? "" : " no-fail-open",
			 c.a.epoch ? " epoch" : "");
	result(!strcmp(got, want), name, "'%s': got '%s', want '%s'", line,
	       got, want);
}

static int run_monitor(void *arg)
{
	struct listen_case *c = arg;
	struct monitor_args *m = (void *)&c->a;
	char **av;
	int ac = split(c->line, &av), rc;

	rc = monitor_parse_args(ac, av, m);
	free(av);
	return rc;
}

static void t_monitor(const char *name, const char *line, const char *want)
{
	struct listen_case c;
	struct monitor_args *m = (void *)&c.a;
	char got[1024], err[512];
	int rc;

	static_assert(sizeof(struct monitor_args) <= sizeof(struct listen_args),
		      "monitor_args fits in listen_case");
	snprintf(c.line, sizeof(c.line), "%s", line);
	rc = with_stderr(err, sizeof(err), run_monitor, &c);
	if (rc)
		snprintf(got, sizeof(got), "%d %s", rc, err);
	else
		snprintf(got, sizeof(got), "%s count %llu%s",
			 m->object ?: "all", (unsigned long long)m->max,
			 m->timestamp ? " timestamp" : "");
	result(!strcmp(got, want), name, "'%s': got '%s', want '%s'", line,
	       got, want);
}

static void t_cli_resolve(void)
{
	/* prefixes in the documented order */
	t_resolve("prefix_s_sh", "s sh", "service show");
	t_resolve("prefix_se", "se", "service");
	t_resolve("prefix_set", "set s", "settings show");
	t_resolve("prefix_set_set", "set se hook input", "settings set");
	t_resolve("prefix_st", "st r", "stats reset");
	t_resolve("prefix_sh", "sh web", "show web");
	t_resolve("prefix_sa", "sa", "save");
	t_resolve("prefix_r_a", "r a tcp dport 80 service web", "rule add");
	t_resolve("prefix_rule_r", "rule r tcp dport 80 service web",
		  "rule replace");
	t_resolve("prefix_rule_d", "rule d tcp dport 80", "rule del");
	t_resolve("prefix_service_c", "service c web queue 2",
		  "service change");
	t_resolve("prefix_m", "m count 1", "monitor count");
	t_resolve("prefix_l", "l web", "listen web");
	t_resolve("prefix_v", "v", "version");
	t_resolve("whole_word_first", "service show web", "service show");
	/* aliases */
	t_resolve("alias_list", "service list", "service show");
	t_resolve("alias_delete", "rule delete tcp dport 80", "rule del");
	t_resolve("alias_service_delete", "service delete web", "service del");
	t_resolve("alias_list_object", "list", "show");
	/* help per object, and help OBJECT */
	t_resolve("help_all", "help", "help all");
	t_resolve("help_object", "help rule", "help rule");
	t_resolve("help_object_prefix", "help se", "help service");
	t_resolve("object_help", "rule help", "help rule");
	t_resolve("object_help_prefix", "settings h", "help settings");
	t_resolve("command_help", "rule add help", "help rule");
	t_resolve("show_help", "show help", "help show");
	t_resolve("listen_help", "listen help", "help listen");
	/* defect 7: one line, pointing at the help */
	t_resolve("unknown_object_one_line", "frob",
		  "2 portsteerctl: unknown object 'frob'; see 'portsteerctl help'\n");
	t_resolve("unknown_command_one_line", "service frob",
		  "2 portsteerctl: unknown command 'service frob'; see 'portsteerctl service help'\n");
	t_resolve("unknown_help_object", "help frob",
		  "2 portsteerctl: help: unknown object 'frob'; see 'portsteerctl help'\n");
	/* keywords after the command are not abbreviated: they pass as they are */
	t_resolve("keywords_untouched", "service del web with", "service del");
}

static void t_cli_cmdline(void)
{
	/* defect 2: options after the object and the command */
	t_cmdline("opts_after_command", "show -s", "s:show");
	t_cmdline("opts_after_object", "service show -j web -n",
		  "jn:service show web");
	t_cmdline("opts_cluster", "-jsp show", "jps:show");
	t_cmdline("opts_pretty_long", "--pretty show", "p:show");
	t_cmdline("opts_long_prefix", "--num show", "n:show");
	t_cmdline("opts_end", "rule add tcp dport 80 service -- -s",
		  ":rule add tcp dport 80 service -s");
	t_cmdline("opts_negative_number", "settings set priority -300",
		  ":settings set priority -300");
	t_cmdline("opts_stdin_word", "apply - -j", "j:apply -");
	t_cmdline("opts_netns_after", "show --netns blue", "N:show netns=blue");
	t_cmdline("opts_netns_equals", "--netns=/proc/1/ns/net show",
		  "N:show netns=/proc/1/ns/net");
	t_cmdline("opts_batch_arg", "-b - --force", "bF:");
	t_cmdline("opts_batch_attached", "-bfile", "b:");
	t_cmdline("opts_help_after", "rule add --help", "h:rule add");
	t_cmdline("opts_version", "--version", "V:");
	/* defect 10: the tool's messages, never getopt's */
	t_cmdline("opts_unknown_long", "show --bogus",
		  "2 portsteerctl: unknown option '--bogus'; see 'portsteerctl help'\n");
	t_cmdline("opts_unknown_short", "-jx show",
		  "2 portsteerctl: unknown option '-x' in '-jx'; see 'portsteerctl help'\n");
	t_cmdline("opts_missing_arg", "show --netns",
		  "2 portsteerctl: option '--netns' needs an argument\n");
	t_cmdline("opts_missing_short_arg", "-b",
		  "2 portsteerctl: option '-b' needs an argument\n");
	t_cmdline("opts_no_arg_wanted", "--json=1 show",
		  "2 portsteerctl: option '--json' takes no argument\n");
	t_cmdline("opts_ambiguous", "--n show",
		  "2 portsteerctl: ambiguous option '--n'; see 'portsteerctl help'\n");
}

static int run_netns(void *arg)
{
	char path[256];

	return ctl_netns_path(arg, path, sizeof(path));
}

#define NETNS_ABS "a path must be absolute (/run/netns/NAME, /proc/PID/ns/net)\n"

static void t_cli_netns(void)
{
	static const struct {
		const char *arg;
		int rc;
		const char *err;
	} v[] = {
		{ "blue", EXIT_OK, "" },
		{ "/proc/1/ns/net", EXIT_OK, "" },
		{ "/run/netns/x", EXIT_OK, "" },
		{ "../x", EXIT_USAGE, "portsteerctl: invalid netns '../x': " NETNS_ABS },
		{ "a/b", EXIT_USAGE, "portsteerctl: invalid netns 'a/b': " NETNS_ABS },
		{ "..", EXIT_USAGE, "portsteerctl: invalid netns name '..'\n" },
	};
	char err[512], name[64];
	size_t i;
	int rc;

	for (i = 0; i < N(v); i++) {
		snprintf(name, sizeof(name), "netns_%zu", i);
		rc = with_stderr(err, sizeof(err), run_netns, (void *)v[i].arg);
		result(rc == v[i].rc && !strcmp(err, v[i].err), name,
		       "'%s': status %d, '%s'", v[i].arg, rc, err);
	}
}

static void t_cli_listen(void)
{
	/* defect 1: the flag anywhere after the queues */
	t_listen("listen_flag_after_queue", "queue 10 no-fail-open",
		 "- q10+1 count 0 timeout -1 verdict 1 maxlen 0 no-fail-open");
	t_listen("listen_flag_after_count", "web count 5 no-fail-open",
		 "web q0+0 count 5 timeout -1 verdict 1 maxlen 0 no-fail-open");
	t_listen("listen_flag_before_count", "queue 10-11 no-fail-open count 5",
		 "- q10+2 count 5 timeout -1 verdict 1 maxlen 0 no-fail-open");
	t_listen("listen_all", "queue 3 epoch timeout 2 verdict drop maxlen 9 count 1",
		 "- q3+1 count 1 timeout 2000 verdict 0 maxlen 9 epoch");
	t_listen("listen_twice",
		 "web count 1 count 2",
		 "2 portsteerctl: listen: given twice: 'count'; see 'portsteerctl listen help'\n");
	t_listen("listen_missing_value", "web count",
		 "2 portsteerctl: listen: missing value after 'count'\n");
	t_listen("listen_unknown", "web sideways",
		 "2 portsteerctl: listen: unknown argument 'sideways'; see 'portsteerctl listen help'\n");
	t_listen("listen_keyword_first", "count 5",
		 "2 portsteerctl: listen: missing SERVICE or 'queue Q[-Q2]' before 'count'; see 'portsteerctl listen help'\n");
	t_listen("listen_bad_count", "queue 1 count x",
		 "2 portsteerctl: listen: invalid count 'x'\n");
}

/* defect 14: a count not reached before the timeout is a failure. */
static void t_cli_listen_status(void)
{
	struct listen_args a = { .max_packets = 1, .timeout_ms = 1000 };
	struct listen_args none = { .timeout_ms = 1000 };

	result(listen_exit_status(&a, 0, true) == EXIT_ERROR,
	       "listen_count_not_reached_exit_1", NULL);
	result(listen_exit_status(&a, 1, false) == EXIT_OK,
	       "listen_count_reached_exit_0", NULL);
	result(listen_exit_status(&a, 0, false) == EXIT_OK,
	       "listen_signal_exit_0", NULL);
	result(listen_exit_status(&none, 0, true) == EXIT_OK,
	       "listen_timeout_without_count_exit_0", NULL);
}

static void t_cli_monitor(void)
{
	struct monitor_args m = { .object = "rule" };

	t_monitor("monitor_none", "", "all count 0");
	t_monitor("monitor_object", "service", "service count 0");
	t_monitor("monitor_all_words", "rule count 3 timestamp",
		  "rule count 3 timestamp");
	t_monitor("monitor_timestamp_first", "timestamp count 1",
		  "all count 1 timestamp");
	t_monitor("monitor_bad_count", "count 0",
		  "2 portsteerctl: monitor: invalid count '0'\n");
	t_monitor("monitor_object_late", "count 1 rule",
		  "2 portsteerctl: monitor: unexpected argument 'rule'; see 'portsteerctl monitor help'\n");
	result(monitor_wants(&m, PORTSTEER_CMD_RULE_DEL) &&
	       monitor_wants(&m, PORTSTEER_CMD_FLUSH) &&
	       monitor_wants(&m, PORTSTEER_CMD_REPLACE_COMMIT) &&
	       !monitor_wants(&m, PORTSTEER_CMD_SERVICE_NEW) &&
	       !monitor_wants(&m, PORTSTEER_CMD_SETTINGS_SET) &&
	       !monitor_wants(&m, PORTSTEER_CMD_STATS_RESET),
	       "monitor_filter_rule", NULL);
	m.object = NULL;
	result(monitor_wants(&m, PORTSTEER_CMD_STATS_RESET) &&
	       monitor_wants(&m, PORTSTEER_CMD_SERVICE_SET),
	       "monitor_filter_none", NULL);
}

static void t_cli_time(void)
{
	struct timespec ts = { .tv_sec = 1732500000, .tv_nsec = 123456789 };
	char buf[64];

	setenv("TZ", "UTC", 1);
	tzset();
	format_time(buf, sizeof(buf), &ts, false);
	result(!strcmp(buf, "02:00:00.123456"), "time_human", "got '%s'", buf);
	format_time(buf, sizeof(buf), &ts, true);
	result(!strcmp(buf, "1732500000.123456"), "time_epoch", "got '%s'",
	       buf);
}

/* defects 8 and 15: one shape, json_schema_version first, generation. */
static void t_cli_json(void)
{
	struct ctl_config cfg = sample();
	struct ctl_stats st = { 100, 90, 8, 1, 1, 3, 2, 5 };
	json_t *j;
	char *s;

	opts.stats = false;
	s = json_text(save_json(&cfg));
	t_golden("json_save_document", "save.json", s);
	free(s);
	s = json_text(stats_doc(&st, cfg.services, cfg.n_services, 9));
	t_golden("json_stats_document", "stats-doc.json", s);
	free(s);
	opts.stats = true;
	s = json_text(services_doc(cfg.services, cfg.n_services, 9));
	t_golden("json_service_show_stats_document", "services-stats.json", s);
	free(s);
	opts.stats = false;
	s = json_text(rules_doc(cfg.rules, cfg.n_rules, 9));
	t_golden("json_rule_show_document", "rules-doc.json", s);
	free(s);
	s = json_text(settings_doc(&cfg.settings, 9));
	t_golden("json_settings_document", "settings-doc.json", s);
	free(s);
	/* the same counters object in stats and in service show -s */
	opts.stats = true;
	j = stats_doc(&st, cfg.services, cfg.n_services, 9);
	{
		json_t *k = services_doc(cfg.services, cfg.n_services, 9);
		json_t *sj = json_array_get(json_object_get(j, "services"), 1);
		json_t *sk = json_array_get(json_object_get(k, "services"), 1);
		json_t *a = json_object_get(sj, "stats");
		json_t *b = json_object_get(sk, "stats");

		result(a && b && json_equal(a, b), "json_one_counter_shape",
		       NULL);
		json_decref(k);
	}
	s = json_dumps(j, JSON_COMPACT);
	result(s && !strncmp(s, "{\"json_schema_version\":1,", 25),
	       "json_schema_version_first", "%s", s ?: "");
	free(s);
	json_decref(j);
	opts.stats = false;
}

static void t_cli(void)
{
	t_cli_resolve();
	t_cli_cmdline();
	t_cli_netns();
	t_cli_listen();
	t_cli_listen_status();
	t_cli_monitor();
	t_cli_time();
	t_cli_json();
}
