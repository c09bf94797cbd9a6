// SPDX-License-Identifier: GPL-2.0
/*
 * portsteerctl monitor: one line (or JSON object) per notification of the
 * multicast group "config":
 *   gen 7 rule add inet tcp dport 80,443 service web
 *   gen 8 rule add inet udp sport 53 service dns
 *   14:03:07.123456 gen 9 flush             (with timestamp)
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>

#include "nl.h"
#include "commands.h"

struct monitor {
	struct monitor_args a;
	uint64_t seen;
};

/*
 * monitor [service|rule|settings] [count N] [timestamp], in any order
 * after the object. EXIT_OK, or EXIT_USAGE once said why.
 */
int monitor_parse_args(int argc, char **argv, struct monitor_args *a)
{
	static const char *const objs[] = { "service", "rule", "settings" };
	uint32_t v;
	size_t k;
	int i = 0;

	memset(a, 0, sizeof(*a));
	for (k = 0; argc > 0 && k < sizeof(objs) / sizeof(objs[0]); k++)
		if (!strcmp(argv[0], objs[k]))
			a->object = objs[k];
	if (a->object)
		i++;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "timestamp") && !a->timestamp) {
			a->timestamp = true;
		} else if (!strcmp(argv[i], "count") && !a->max) {
			if (i + 1 >= argc || parse_u32(argv[i + 1], UINT32_MAX,
						       &v) || !v) {
				ctl_err("monitor: invalid count '%s'\n",
					i + 1 < argc ? argv[i + 1] : "");
				return EXIT_USAGE;
			}
			a->max = v;
			i++;
		} else {
			ctl_err("monitor: unexpected argument '%s'; see '"
				PROG_NAME " monitor help'\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

/*
 * Whether a notification of @cmd is one the filter shows: flush and apply
 * change every object, so every filter shows them.
 */
bool monitor_wants(const struct monitor_args *a, uint8_t cmd)
{
	if (!a->object)
		return true;
	switch (cmd) {
	case PORTSTEER_CMD_FLUSH:
	case PORTSTEER_CMD_REPLACE_COMMIT:
		return true;
	case PORTSTEER_CMD_SERVICE_NEW:
	case PORTSTEER_CMD_SERVICE_SET:
	case PORTSTEER_CMD_SERVICE_DEL:
		return !strcmp(a->object, "service");
	case PORTSTEER_CMD_RULE_NEW:
	case PORTSTEER_CMD_RULE_DEL:
		return !strcmp(a->object, "rule");
	case PORTSTEER_CMD_SETTINGS_SET:
		return !strcmp(a->object, "settings");
	}
	return false;
}

static const char *cmd_words(uint8_t cmd)
{
	switch (cmd) {
	case PORTSTEER_CMD_SERVICE_NEW:
		return "service add";
	case PORTSTEER_CMD_SERVICE_SET:
		return "service change";
	case PORTSTEER_CMD_SERVICE_DEL:
		return "service del";
	case PORTSTEER_CMD_RULE_NEW:
		return "rule add";
	case PORTSTEER_CMD_RULE_DEL:
		return "rule del";
	case PORTSTEER_CMD_SETTINGS_SET:
		return "settings set";
	case PORTSTEER_CMD_STATS_RESET:
		return "stats reset";
	case PORTSTEER_CMD_FLUSH:
		return "flush";
	case PORTSTEER_CMD_REPLACE_COMMIT:
		return "apply";
	}
	return NULL;
}

static void print_service_attrs(const struct ctl_service *s, bool change)
{
	char q[16];

	printf(" %s", s->name);
	if (s->have & CTL_SVC_QUEUE) {
		if (s->queue_count > 1)
			snprintf(q, sizeof(q), "%u-%u", s->queue,
				 s->queue + s->queue_count - 1);
		else
			snprintf(q, sizeof(q), "%u", s->queue);
		printf(" queue %s", q);
	}
	if (s->have & CTL_SVC_BALANCE)
		printf(" balance %s", balance_name(s->balance));
	if (s->have & CTL_SVC_BYPASS) {
		if (s->bypass)
			printf(" bypass");
		else if (change)
			printf(" nobypass");
	}
	print_marks(stdout, s);
}

/* Rules of one clause: the same family, protocol, direction and service. */
static bool same_clause(const struct ctl_rule *a, const struct ctl_rule *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       a->dir == b->dir && !strcmp(a->service, b->service);
}

/* Rules that share a clause print as one. */
static void print_rules_attrs(const struct ctl_rule *r, size_t n)
{
	char p[32];
	size_t i;

	for (i = 0; i < n; i++) {
		bool cont = i > 0 && same_clause(&r[i], &r[i - 1]);
		bool last = i + 1 == n || !same_clause(&r[i + 1], &r[i]);

		format_ports(p, sizeof(p), r[i].proto, r[i].port_min,
			     r[i].port_max, opts.numeric);
		if (cont)
			printf(",%s", p);
		else
			printf("%s %s %s %s %s", i ? ";" : "",
			       family_name(r[i].family),
			       proto_name(r[i].proto) ?: "unknown",
			       direction_word(r[i].dir), p);
		if (last && r[i].service[0])
			printf(" service %s", r[i].service);
	}
}

static void print_settings_attrs(const struct ctl_settings *s)
{
	char h[64];

	format_hooks(h, sizeof(h), s->hooks);
	if (s->have & CTL_SET_HOOK)
		printf(" hook %s", h);
	if (s->have & CTL_SET_PRIORITY)
		printf(" priority %d", s->priority);
	if (s->have & CTL_SET_DEFRAG)
		printf(" defrag %s", s->defrag ? "on" : "off");
	if (s->have & CTL_SET_ICMP_ERRORS)
		printf(" icmp-errors %s", s->icmp_errors ? "on" : "off");
	if (s->have & CTL_SET_SEED)
		printf(" seed %u", s->seed);
}

static int cb_notify(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	struct ctl_rule *rules = NULL;
	struct monitor *m = data;
	const struct nlattr *attr;
	struct ctl_service svc;
	struct ctl_settings set;
	bool have_svc = false, have_set = false;
	struct timespec ts;
	char when[32];
	uint32_t gen = 0;
	const char *words;
	size_t n = 0;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return MNL_CB_OK;
	words = cmd_words(g->cmd);
	if (!words || !monitor_wants(&m->a, g->cmd))
		return MNL_CB_OK;
	clock_gettime(CLOCK_REALTIME, &ts);
	mnl_attr_for_each(attr, nlh, sizeof(*g)) {
		switch (mnl_attr_get_type(attr)) {
		case PORTSTEER_A_GENERATION:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				gen = mnl_attr_get_u32(attr);
			break;
		case PORTSTEER_A_SERVICE:
			have_svc = !ctl_parse_service(attr, &svc);
			break;
		case PORTSTEER_A_RULE:
			rules = xrealloc(rules, (n + 1) * sizeof(*rules));
			if (!ctl_parse_rule(attr, &rules[n]))
				n++;
			break;
		case PORTSTEER_A_SETTINGS:
			have_set = !ctl_parse_settings(attr, &set);
			break;
		}
	}
	if (opts.json) {
		json_t *j = json_doc();
		size_t i;

		if (m->a.timestamp)
			json_object_set_new(j, "time",
					    json_real(ts.tv_sec +
						      ts.tv_nsec / 1e9));
		json_object_set_new(j, "generation", json_integer(gen));
		json_object_set_new(j, "command", json_string(words));
		if (have_svc)
			json_object_set_new(j, "service", service_json(&svc));
		if (n) {
			json_t *a = json_array();

			for (i = 0; i < n; i++)
				json_array_append_new(a, rule_json(&rules[i]));
			json_object_set_new(j, "rules", a);
		}
		if (have_set)
			json_object_set_new(j, "settings", settings_json(&set));
		print_json(j);
		json_decref(j);
	} else {
		if (m->a.timestamp) {
			format_time(when, sizeof(when), &ts, false);
			printf("%s ", when);
		}
		printf("gen %u %s", gen, words);
		if (have_svc && g->cmd == PORTSTEER_CMD_SERVICE_DEL)
			printf(" %s", svc.name);
		else if (have_svc)
			print_service_attrs(&svc,
					    g->cmd == PORTSTEER_CMD_SERVICE_SET);
		if (n)
			print_rules_attrs(rules, n);
		if (have_set)
			print_settings_attrs(&set);
		putchar('\n');
		fflush(stdout);
	}
	free(rules);
	m->seen++;
	return m->a.max && m->seen >= m->a.max ? MNL_CB_STOP : MNL_CB_OK;
}

int cmd_monitor(int argc, char **argv)
{
	struct monitor m = { 0 };
	sigset_t waitmask;
	struct pollfd pfd;
	struct ctl_nl nl;
	ssize_t len;
	int ret, rc = EXIT_OK;

	rc = monitor_parse_args(argc, argv, &m.a);
	if (rc)
		return rc;
	/* its own socket: a batch's must not receive notifications */
	ret = ctl_nl_open_own(&nl);
	if (ret)
		return ctl_nl_open_status(ret);
	if (!nl.mcgrp_config) {
		ctl_err("monitor: the family has no multicast group '%s'\n",
			PORTSTEER_MCGRP_CONFIG);
		ctl_nl_close(&nl);
		return EXIT_ERROR;
	}
	ret = ctl_nl_join(&nl, nl.mcgrp_config);
	if (ret) {
		nl_error(NULL, ret, "monitor: cannot join group '%s'",
			 PORTSTEER_MCGRP_CONFIG);
		ctl_nl_close(&nl);
		return EXIT_ERROR;
	}
	catch_stop_signals(&waitmask);

	pfd.fd = mnl_socket_get_fd(nl.s.sock);
	pfd.events = POLLIN;
	while (!got_signal) {
		ret = ppoll(&pfd, 1, NULL, &waitmask);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			nl_error(NULL, -errno, "monitor");
			rc = EXIT_ERROR;
			break;
		}
		len = recv(pfd.fd, nl.s.rbuf, NL_RECV_SIZE, MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				ctl_err("monitor: notifications lost (receive buffer overrun)\n");
				continue;
			}
			nl_error(NULL, -errno, "monitor");
			rc = EXIT_ERROR;
			break;
		}
		ret = mnl_cb_run(nl.s.rbuf, len, 0, 0, cb_notify, &m);
		if (ret == MNL_CB_STOP && m.a.max && m.seen >= m.a.max)
			break;
	}
	ctl_nl_close(&nl);
	return rc;
}
