// SPDX-License-Identifier: GPL-2.0
/*
 * portsteerctl: human and JSON output. JSON is built with jansson and
 * printed compact, one document per line; its schema is in
 * portsteerctl(8) and must stay stable.
 */
#include <stdlib.h>
#include <string.h>

#include "portsteerctl.h"

int format_ports(char *buf, size_t len, uint8_t proto, uint16_t min,
		 uint16_t max, bool numeric)
{
	const char *name = NULL;

	if (min == max && !numeric)
		name = services_name(min, proto);
	if (name)
		return snprintf(buf, len, "%s", name);
	if (min == max)
		return snprintf(buf, len, "%u", min);
	return snprintf(buf, len, "%u-%u", min, max);
}

/* Compact, one document a line; -p: indented by two. */
void print_json(json_t *j)
{
	json_dumpf(j, stdout, (opts.pretty ? JSON_INDENT(2) : JSON_COMPACT) |
			      JSON_REAL_PRECISION(16));
	fputc('\n', stdout);
	fflush(stdout);
}

/* A new document: its first key is always json_schema_version. */
json_t *json_doc(void)
{
	json_t *j = json_object();

	json_object_set_new(j, "json_schema_version",
			    json_integer(CTL_JSON_SCHEMA_VERSION));
	return j;
}

/* A document that read the configuration: the generation it read next. */
json_t *json_doc_gen(uint32_t generation)
{
	json_t *j = json_doc();

	json_object_set_new(j, "generation", json_integer(generation));
	return j;
}

/*
 * A time as tcpdump prints it, HH:MM:SS.ssssss in local time, or with
 * @epoch seconds.microseconds since the epoch.
 */
void format_time(char *buf, size_t len, const struct timespec *ts, bool epoch)
{
	struct tm tm;

	if (epoch || !localtime_r(&ts->tv_sec, &tm)) {
		snprintf(buf, len, "%lld.%06ld", (long long)ts->tv_sec,
			 ts->tv_nsec / 1000);
		return;
	}
	snprintf(buf, len, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min,
		 tm.tm_sec, ts->tv_nsec / 1000);
}

static void fmt_queue(char *buf, size_t len, uint16_t q, uint32_t count)
{
	if (count > 1)
		snprintf(buf, len, "%u-%u", q, q + count - 1);
	else
		snprintf(buf, len, "%u", q);
}

static json_t *mark_json(uint32_t value, uint32_t mask)
{
	json_t *j = json_object();

	json_object_set_new(j, "value", json_integer(value));
	json_object_set_new(j, "mask", json_integer(mask));
	return j;
}

json_t *service_json(const struct ctl_service *s)
{
	return service_json_counted(s, opts.stats);
}

/* A service; with @stats its counters, "stats": {"packets", "bytes"}. */
json_t *service_json_counted(const struct ctl_service *s, bool stats)
{
	json_t *j = json_object();

	json_object_set_new(j, "name", json_string(s->name));
	json_object_set_new(j, "queue", json_integer(s->queue));
	json_object_set_new(j, "queue_count", json_integer(s->queue_count));
	json_object_set_new(j, "balance", json_string(balance_name(s->balance)));
	json_object_set_new(j, "bypass", json_boolean(s->bypass));
	if (s->mark_mask)
		json_object_set_new(j, "mark", mark_json(s->mark, s->mark_mask));
	if (s->ct_mark_mask)
		json_object_set_new(j, "ctmark",
				    mark_json(s->ct_mark, s->ct_mark_mask));
	if (s->have & CTL_SVC_RULES)
		json_object_set_new(j, "rule_count", json_integer(s->rules));
	if (stats && (s->have & CTL_SVC_STATS)) {
		json_t *st = json_object();

		json_object_set_new(st, "packets", json_integer(s->packets));
		json_object_set_new(st, "bytes", json_integer(s->bytes));
		json_object_set_new(j, "stats", st);
	}
	return j;
}

json_t *rule_json(const struct ctl_rule *r)
{
	json_t *j = json_object();

	json_object_set_new(j, "family", json_string(family_name(r->family)));
	json_object_set_new(j, "proto", json_string(proto_name(r->proto) ?: "unknown"));
	json_object_set_new(j, "port_min", json_integer(r->port_min));
	json_object_set_new(j, "port_max", json_integer(r->port_max));
	json_object_set_new(j, "direction",
			    json_string(direction_name(r->dir)));
	if (r->service[0])
		json_object_set_new(j, "service", json_string(r->service));
	return j;
}

json_t *settings_json(const struct ctl_settings *s)
{
	json_t *j = json_object();

	if (s->have & CTL_SET_HOOK) {
		json_t *a = json_array();
		unsigned int i;

		/* "hook": the one hook of a set of one, as the kernel's */
		if (s->hooks && !(s->hooks & (s->hooks - 1))) {
			const char *one = hook_name(__builtin_ctz(s->hooks));

			json_object_set_new(j, "hook", json_string(one));
		}
		for (i = 0; i < 32; i++)
			if (s->hooks & (1U << i))
				json_array_append_new(a,
						      json_string(hook_name(i)));
		json_object_set_new(j, "hooks", a);
	}
	if (s->have & CTL_SET_PRIORITY)
		json_object_set_new(j, "priority", json_integer(s->priority));
	if (s->have & CTL_SET_DEFRAG)
		json_object_set_new(j, "defrag", json_boolean(s->defrag));
	if (s->have & CTL_SET_ICMP_ERRORS)
		json_object_set_new(j, "icmp_errors",
				    json_boolean(s->icmp_errors));
	if (s->have & CTL_SET_SEED)
		json_object_set_new(j, "seed", json_integer(s->seed));
	if (s->have & CTL_SET_LIMITS) {
		json_object_set_new(j, "service_count",
				    json_integer(s->services));
		json_object_set_new(j, "max_services",
				    json_integer(s->max_services));
		json_object_set_new(j, "rule_count", json_integer(s->rules));
		json_object_set_new(j, "max_rules", json_integer(s->max_rules));
	}
	if (s->have & CTL_SET_HOOK_ACTIVE)
		json_object_set_new(j, "hook_active",
				    json_boolean(s->hook_active));
	if (s->have & CTL_SET_TABLE_BYTES)
		json_object_set_new(j, "table_bytes",
				    json_integer(s->table_bytes));
	return j;
}

json_t *stats_json(const struct ctl_stats *st)
{
	json_t *j = json_object();

	json_object_set_new(j, "seen", json_integer(st->seen));
	json_object_set_new(j, "matched", json_integer(st->matched));
	json_object_set_new(j, "unmatched", json_integer(st->unmatched));
	json_object_set_new(j, "no_l4", json_integer(st->no_l4));
	json_object_set_new(j, "malformed", json_integer(st->malformed));
	json_object_set_new(j, "icmp_followed",
			    json_integer(st->icmp_followed));
	json_object_set_new(j, "dropped", json_integer(st->dropped));
	json_object_set_new(j, "exempt", json_integer(st->exempt));
	return j;
}

json_t *queue_state_json(uint16_t queue, const struct ctl_queue_state *q)
{
	json_t *j = json_object();

	json_object_set_new(j, "queue", json_integer(queue));
	json_object_set_new(j, "bound", json_boolean(!!q));
	if (q) {
		json_object_set_new(j, "portid", json_integer(q->portid));
		json_object_set_new(j, "waiting", json_integer(q->waiting));
		json_object_set_new(j, "dropped", json_integer(q->dropped));
		json_object_set_new(j, "user_dropped",
				    json_integer(q->user_dropped));
		json_object_set_new(j, "id_sequence",
				    json_integer(q->id_sequence));
	}
	return j;
}

/* " mark 0x1/0x1 ctmark 0x2/0x2", each only when set (mask not 0) */
void print_marks(FILE *f, const struct ctl_service *s)
{
	if (s->mark_mask)
		fprintf(f, " mark 0x%x/0x%x", s->mark, s->mark_mask);
	if (s->ct_mark_mask)
		fprintf(f, " ctmark 0x%x/0x%x", s->ct_mark, s->ct_mark_mask);
}

/*
 * service web queue 10-13 balance flow bypass mark 0x1/0x1 rules 2
 *	[packets N bytes N]
 */
void print_service(FILE *f, const struct ctl_service *s)
{
	char q[16];

	fmt_queue(q, sizeof(q), s->queue, s->queue_count);
	fprintf(f, "service %s queue %s balance %s%s", s->name, q,
		balance_name(s->balance), s->bypass ? " bypass" : "");
	print_marks(f, s);
	if (s->have & CTL_SVC_RULES)
		fprintf(f, " rules %u", s->rules);
	if (opts.stats && (s->have & CTL_SVC_STATS))
		fprintf(f, " packets %llu bytes %llu",
			(unsigned long long)s->packets,
			(unsigned long long)s->bytes);
	fputc('\n', f);
}

/* inet tcp dport|sport|port http[ service web] */
void print_rule(FILE *f, const struct ctl_rule *r, bool with_service,
		bool numeric)
{
	char p[32];

	format_ports(p, sizeof(p), r->proto, r->port_min, r->port_max,
		     numeric);
	fprintf(f, "%s %s %s %s", family_name(r->family),
		proto_name(r->proto) ?: "unknown", direction_word(r->dir), p);
	if (with_service)
		fprintf(f, " service %s", r->service);
	fputc('\n', f);
}

void print_settings(FILE *f, const struct ctl_settings *s)
{
	char h[64];

	format_hooks(h, sizeof(h), s->hooks);
	if (s->have & CTL_SET_HOOK)
		fprintf(f, "hook %s\n", h);
	if (s->have & CTL_SET_PRIORITY)
		fprintf(f, "priority %d\n", s->priority);
	if (s->have & CTL_SET_DEFRAG)
		fprintf(f, "defrag %s\n", s->defrag ? "on" : "off");
	if (s->have & CTL_SET_ICMP_ERRORS)
		fprintf(f, "icmp-errors %s\n", s->icmp_errors ? "on" : "off");
	if (s->have & CTL_SET_SEED)
		fprintf(f, "seed %u\n", s->seed);
	if (s->have & CTL_SET_LIMITS) {
		fprintf(f, "services %u of %u\n", s->services, s->max_services);
		fprintf(f, "rules %u of %u\n", s->rules, s->max_rules);
	}
	if (s->have & CTL_SET_HOOK_ACTIVE)
		fprintf(f, "hook-active %s\n", s->hook_active ? "yes" : "no");
	if (s->have & CTL_SET_TABLE_BYTES)
		fprintf(f, "table-bytes %llu\n",
			(unsigned long long)s->table_bytes);
}

void print_stats(FILE *f, const struct ctl_stats *st)
{
	fprintf(f, "seen %llu\nmatched %llu\nunmatched %llu\nno-l4 %llu\n"
		"malformed %llu\nicmp-followed %llu\ndropped %llu\nexempt %llu\n",
		(unsigned long long)st->seen, (unsigned long long)st->matched,
		(unsigned long long)st->unmatched,
		(unsigned long long)st->no_l4,
		(unsigned long long)st->malformed,
		(unsigned long long)st->icmp_followed,
		(unsigned long long)st->dropped,
		(unsigned long long)st->exempt);
}

void print_queue_state(FILE *f, uint16_t queue, const struct ctl_queue_state *q)
{
	if (!q)
		fprintf(f, "queue %u: no consumer\n", queue);
	else
		fprintf(f, "queue %u: bound portid %u waiting %u dropped %u user-dropped %u\n",
			queue, q->portid, q->waiting, q->dropped,
			q->user_dropped);
}

/*
 * The configuration as a file for apply: settings, services in name order,
 * rules in the kernel's order; numeric ports, explicit family, direction,
 * balance and mark masks, so the same configuration always prints the same
 * bytes.
 */
void print_save(FILE *f, const struct ctl_config *cfg)
{
	const struct ctl_settings *s = &cfg->settings;
	char h[64];
	size_t i;

	format_hooks(h, sizeof(h), s->hooks);
	if (s->have & CTL_SET_WRITABLE) {
		fprintf(f, "settings set");
		/* no hook at all is not a set apply could send */
		if ((s->have & CTL_SET_HOOK) && s->hooks)
			fprintf(f, " hook %s", h);
		if (s->have & CTL_SET_PRIORITY)
			fprintf(f, " priority %d", s->priority);
		if (s->have & CTL_SET_DEFRAG)
			fprintf(f, " defrag %s", s->defrag ? "on" : "off");
		if (s->have & CTL_SET_ICMP_ERRORS)
			fprintf(f, " icmp-errors %s",
				s->icmp_errors ? "on" : "off");
		if (s->have & CTL_SET_SEED)
			fprintf(f, " seed %u", s->seed);
		fputc('\n', f);
	}
	for (i = 0; i < cfg->n_services; i++) {
		const struct ctl_service *v = &cfg->services[i];
		char q[16];

		fmt_queue(q, sizeof(q), v->queue, v->queue_count);
		fprintf(f, "service add %s queue %s balance %s%s", v->name, q,
			balance_name(v->balance), v->bypass ? " bypass" : "");
		print_marks(f, v);
		fputc('\n', f);
	}
	for (i = 0; i < cfg->n_rules; i++) {
		fprintf(f, "rule add ");
		print_rule(f, &cfg->rules[i], true, true);
	}
}

/* The documents of service show, rule show, settings show and stats. */
json_t *services_doc(const struct ctl_service *svcs, size_t n, uint32_t gen)
{
	json_t *j = json_doc_gen(gen), *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, service_json(&svcs[i]));
	json_object_set_new(j, "services", a);
	return j;
}

json_t *rules_doc(const struct ctl_rule *rules, size_t n, uint32_t gen)
{
	json_t *j = json_doc_gen(gen), *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, rule_json(&rules[i]));
	json_object_set_new(j, "rules", a);
	return j;
}

json_t *settings_doc(const struct ctl_settings *s, uint32_t gen)
{
	json_t *j = json_doc_gen(gen);

	json_object_set_new(j, "settings", settings_json(s));
	return j;
}

/* "netns": the namespace's counters; "services": each with its "stats". */
json_t *stats_doc(const struct ctl_stats *st, const struct ctl_service *svcs,
		  size_t n, uint32_t gen)
{
	json_t *j = json_doc_gen(gen), *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, service_json_counted(&svcs[i], true));
	json_object_set_new(j, "netns", stats_json(st));
	json_object_set_new(j, "services", a);
	return j;
}

/*
 * save as JSON, the document apply reads back: the settings apply can set,
 * the services without counters or rule counts, the rules with their
 * service; the shapes of show's objects.
 */
json_t *save_json(const struct ctl_config *cfg)
{
	struct ctl_settings set = cfg->settings;
	json_t *j = json_doc_gen(cfg->generation), *a = json_array(), *js;
	size_t i;

	set.have &= CTL_SET_WRITABLE;
	if (!set.hooks)		/* no hook at all: not a set apply sends */
		set.have &= ~CTL_SET_HOOK;
	js = settings_json(&set);
	json_object_del(js, "hook");	/* "hooks" says it */
	json_object_set_new(j, "settings", js);
	for (i = 0; i < cfg->n_services; i++) {
		js = service_json_counted(&cfg->services[i], false);
		json_object_del(js, "rule_count");
		json_array_append_new(a, js);
	}
	json_object_set_new(j, "services", a);
	a = json_array();
	for (i = 0; i < cfg->n_rules; i++)
		json_array_append_new(a, rule_json(&cfg->rules[i]));
	json_object_set_new(j, "rules", a);
	return j;
}

json_t *show_json(const struct ctl_config *cfg,
		  const struct ctl_queue_table *qt)
{
	json_t *j = json_doc_gen(cfg->generation), *svcs = json_array();
	size_t i, k;
	uint32_t q;

	for (i = 0; i < cfg->n_services; i++) {
		const struct ctl_service *s = &cfg->services[i];
		json_t *js = service_json(s), *rules = json_array();

		for (k = 0; k < cfg->n_rules; k++) {
			json_t *jr;

			if (strcmp(cfg->rules[k].service, s->name))
				continue;
			jr = rule_json(&cfg->rules[k]);
			json_object_del(jr, "service");
			json_array_append_new(rules, jr);
		}
		json_object_set_new(js, "rules", rules);
		if (qt) {
			json_t *qs = json_array();

			for (q = 0; q < s->queue_count; q++) {
				uint16_t n = s->queue + q;

				json_t *jq = queue_state_json(n,
					queue_table_find(qt, n));

				json_array_append_new(qs, jq);
			}
			json_object_set_new(js, "queues", qs);
		}
		json_array_append_new(svcs, js);
	}
	json_object_set_new(j, "services", svcs);
	return j;
}

/*
 * service web queue 10-13 balance flow bypass rules 2
 *	inet tcp dport http
 *	inet udp sport 5000-5010
 *	queue 10: no consumer            (with -s)
 */
void print_show(FILE *f, const struct ctl_config *cfg,
		const struct ctl_queue_table *qt)
{
	size_t i, k;
	uint32_t q;

	for (i = 0; i < cfg->n_services; i++) {
		const struct ctl_service *s = &cfg->services[i];

		print_service(f, s);
		for (k = 0; k < cfg->n_rules; k++) {
			if (strcmp(cfg->rules[k].service, s->name))
				continue;
			fputc('\t', f);
			print_rule(f, &cfg->rules[k], false, opts.numeric);
		}
		if (!qt)
			continue;
		for (q = 0; q < s->queue_count; q++) {
			fputc('\t', f);
			print_queue_state(f, s->queue + q,
					  queue_table_find(qt, s->queue + q));
		}
	}
}

/* /proc/net/netfilter/nfnetlink_queue: one row per bound queue. */
int queue_table_read(const char *path, struct ctl_queue_table *qt)
{
	struct ctl_queue_state st;
	unsigned int qn, one;
	char line[256];
	FILE *f;

	memset(qt, 0, sizeof(*qt));
	f = fopen(path, "re");
	if (!f)
		return -1;	/* nfnetlink_queue not loaded: nothing bound */
	while (fgets(line, sizeof(line), f)) {
		memset(&st, 0, sizeof(st));
		if (sscanf(line, "%u %u %u %u %u %u %u %u %u", &qn, &st.portid,
			   &st.waiting, &st.copy_mode, &st.copy_range,
			   &st.dropped, &st.user_dropped, &st.id_sequence,
			   &one) < 8 || qn > 65535)
			continue;
		st.queue = qn;
		st.bound = true;
		qt->rows = xrealloc(qt->rows, (qt->n + 1) * sizeof(st));
		qt->rows[qt->n++] = st;
	}
	fclose(f);
	return 0;
}

const struct ctl_queue_state *queue_table_find(const struct ctl_queue_table *qt,
					       uint16_t queue)
{
	size_t i;

	for (i = 0; i < qt->n; i++)
		if (qt->rows[i].queue == queue)
			return &qt->rows[i];
	return NULL;
}
