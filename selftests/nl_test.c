// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink interface of portsteer, against the contract of
 * uapi/linux/portsteer.h: every command, the exact errno and extended ack
 * message of each refusal, atomicity, limits, permissions, namespaces,
 * notifications and the lifetime of the configuration.
 *
 * Each test runs in its own process and, with the "ps" fixture, in a network
 * namespace of its own, so tests do not see each other's configuration. The
 * module under test is PS_KO; it is loaded when it is not.
 */

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <grp.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/genetlink.h>
#include <linux/netfilter_ipv4.h>

/*
 * The harness's own code has unused parameters, and its EXPECT_*() compare
 * integer literals with unsigned fields.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#include "nl_util.h"

#define NLT_TAINT_BAD	640	/* W (512) and D (128) */

static int run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool nlt_loaded(void)
{
	return access("/sys/module/portsteer", F_OK) == 0;
}

/* Load PS_KO with the given parameters, if it is not loaded. */
static int nlt_load(const char *params)
{
	char cmd[512];

	if (nlt_loaded())
		return 0;
	if (!getenv("PS_KO"))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "modprobe -a nf_defrag_ipv4 nf_defrag_ipv6 >/dev/null 2>&1; insmod \"$PS_KO\" %s",
		 params);
	return run(cmd);
}

static int nlt_reload(const char *params)
{
	if (nlt_loaded() && run("rmmod portsteer"))
		return -1;
	return nlt_load(params);
}

static unsigned long read_taint(void)
{
	unsigned long t = ~0UL;
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");

	if (f) {
		if (fscanf(f, "%lu", &t) != 1)
			t = ~0UL;
		fclose(f);
	}
	return t;
}

/* Request helpers: one command, one object. */

/*
 * The extack message the kernel formats from FMT: below 6.2 it sends the
 * format itself, each conversion shown as "..." (see module/compat.h).
 */
static const char *kmsg(const char *fmt, ...)
{
	static char bufs[4][256];
	static int next;
	char *b = bufs[next++ % 4];
	size_t n = 0;
	va_list ap;

	if (nlt_kernel_at_least(6, 2)) {
		va_start(ap, fmt);
		vsnprintf(b, sizeof(bufs[0]), fmt, ap);
		va_end(ap);
		return b;
	}
	while (*fmt && n + 4 < sizeof(bufs[0])) {
		if (fmt[0] != '%' || fmt[1] == '%') {
			b[n++] = *fmt;
			fmt += fmt[0] == '%' ? 2 : 1;
			continue;
		}
		for (fmt++; *fmt && strchr("-+ #0123456789.hlzjt", *fmt); fmt++)
			;
		if (*fmt)
			fmt++;
		memcpy(b + n, "...", 3);
		n += 3;
	}
	b[n] = '\0';
	return b;
}

static int svc_new(struct nlt_nl *nl, const char *name, long queue, long count,
		   int balance, int bypass, struct nlt_ack *ack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nlt_msg(nl, buf, PORTSTEER_CMD_SERVICE_NEW, 0);

	nlt_put_service(nlh, PORTSTEER_A_SERVICE, name, queue, count, balance, bypass);
	return nlt_talk(nl, nlh, NULL, NULL, ack);
}

static int svc_set(struct nlt_nl *nl, const char *name, long queue, long count,
		   int balance, int bypass, struct nlt_ack *ack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nlt_msg(nl, buf, PORTSTEER_CMD_SERVICE_SET, 0);

	nlt_put_service(nlh, PORTSTEER_A_SERVICE, name, queue, count, balance, bypass);
	return nlt_talk(nl, nlh, NULL, NULL, ack);
}

static int svc_del(struct nlt_nl *nl, const char *name, long flags, struct nlt_ack *ack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nlt_msg(nl, buf, PORTSTEER_CMD_SERVICE_DEL, 0);

	nlt_put_service(nlh, PORTSTEER_A_SERVICE, name, -1, -1, -1, -1);
	if (flags >= 0)
		mnl_attr_put_u32(nlh, PORTSTEER_A_FLAGS, flags);
	return nlt_talk(nl, nlh, NULL, NULL, ack);
}

static int rule_cmd(struct nlt_nl *nl, uint8_t cmd, int family, int proto, long pmin,
		    long pmax, const char *service, struct nlt_ack *ack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nlt_msg(nl, buf, cmd, 0);

	nlt_put_rule(nlh, family, proto, pmin, pmax, service);
	return nlt_talk(nl, nlh, NULL, NULL, ack);
}

static int settings_set(struct nlt_nl *nl, int hook, long long prio, int defrag,
			int icmp, long long seed, struct nlt_ack *ack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nlt_msg(nl, buf, PORTSTEER_CMD_SETTINGS_SET, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, PORTSTEER_A_SETTINGS);

	if (hook >= 0)
		mnl_attr_put_u8(nlh, PORTSTEER_SETTINGS_A_HOOK, hook);
	if (prio != LLONG_MIN)
		mnl_attr_put_u32(nlh, PORTSTEER_SETTINGS_A_PRIORITY, (uint32_t)prio);
	if (defrag >= 0)
		mnl_attr_put_u8(nlh, PORTSTEER_SETTINGS_A_DEFRAG, defrag);
	if (icmp >= 0)
		mnl_attr_put_u8(nlh, PORTSTEER_SETTINGS_A_ICMP_ERRORS, icmp);
	if (seed >= 0)
		mnl_attr_put_u32(nlh, PORTSTEER_SETTINGS_A_SEED, seed);
	mnl_attr_nest_end(nlh, nest);
	return nlt_talk(nl, nlh, NULL, NULL, ack);
}

#define NO_PRIO LLONG_MIN

#define OFFS(nlh, attr) ((int)((char *)(attr) - (char *)(nlh)))

FIXTURE(ps) {
	struct nlt_nl nl;
	struct nlt_ack ack;
};

FIXTURE_SETUP(ps)
{
	ASSERT_EQ(0, nlt_load("")) TH_LOG("cannot load PS_KO '%s'", getenv("PS_KO") ?: "");
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, nlt_nl_open(&self->nl));
}

FIXTURE_TEARDOWN(ps)
{
	nlt_nl_close(&self->nl);
}

/* --- Every command with good input ------------------------------------------- */

TEST_F(ps, service_commands)
{
	struct nlt_dump_services d = { 0 };
	struct nlt_service s;
	uint32_t gen;

	ASSERT_EQ(0, svc_new(&self->nl, "web", 10, -1, -1, -1, &self->ack));
	ASSERT_EQ(0, nlt_get_service(&self->nl, "web", &s, &self->ack));
	EXPECT_STREQ("web", s.name);
	EXPECT_EQ(10, s.queue);
	EXPECT_EQ(1, s.count);		/* defaults */
	EXPECT_EQ(PORTSTEER_BALANCE_FLOW, s.balance);
	EXPECT_EQ(0, s.bypass);
	EXPECT_EQ(0, s.rules);

	ASSERT_EQ(0, svc_new(&self->nl, "a.b-c_9", 100, 8, PORTSTEER_BALANCE_CPU, 1,
			     &self->ack));
	ASSERT_EQ(0, svc_set(&self->nl, "web", 20, 4, PORTSTEER_BALANCE_CPU, 1, &self->ack));
	/* a new queue without a count keeps the count */
	ASSERT_EQ(0, svc_set(&self->nl, "web", 30, -1, -1, -1, &self->ack));
	ASSERT_EQ(0, nlt_get_service(&self->nl, "web", &s, &self->ack));
	EXPECT_EQ(30, s.queue);
	EXPECT_EQ(4, s.count);
	EXPECT_EQ(PORTSTEER_BALANCE_CPU, s.balance);
	EXPECT_EQ(1, s.bypass);
	/* the last queue may be 65535 */
	ASSERT_EQ(0, svc_new(&self->nl, "top", 65535, 1, -1, -1, &self->ack));
	ASSERT_EQ(0, svc_new(&self->nl, "all", 0, 65536, -1, -1, &self->ack));

	ASSERT_EQ(0, nlt_get_services(&self->nl, &d, &self->ack));
	ASSERT_EQ(4, d.n);
	/* in name order */
	EXPECT_STREQ("a.b-c_9", d.svcs[0].name);
	EXPECT_STREQ("all", d.svcs[1].name);
	EXPECT_STREQ("top", d.svcs[2].name);
	EXPECT_STREQ("web", d.svcs[3].name);
	EXPECT_EQ(100, d.svcs[0].queue);
	EXPECT_EQ(8, d.svcs[0].count);
	EXPECT_EQ(65536, d.svcs[1].count);
	EXPECT_FALSE(d.svcs[0].packets || d.svcs[0].bytes);
	gen = d.gen;

	ASSERT_EQ(0, svc_del(&self->nl, "web", -1, &self->ack));
	ASSERT_EQ(0, nlt_get_services(&self->nl, &d, &self->ack));
	EXPECT_EQ(3, d.n);
	EXPECT_LT(gen, d.gen);
	free(d.svcs);
}

TEST_F(ps, rule_commands)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlt_dump_rules d = { 0 };
	struct nlmsghdr *nlh;
	struct nlt_service s;

	ASSERT_EQ(0, svc_new(&self->nl, "web", 1, -1, -1, -1, &self->ack));
	ASSERT_EQ(0, svc_new(&self->nl, "dns", 2, -1, -1, -1, &self->ack));
	/* several rules in one request; defaults: family inet, port-max = port-min */
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
	nlt_put_rule(nlh, -1, IPPROTO_UDP, 53, -1, "dns");
	nlt_put_rule(nlh, PORTSTEER_FAMILY_IPV6, IPPROTO_TCP, 443, -1, "web");
	nlt_put_rule(nlh, PORTSTEER_FAMILY_IPV4, IPPROTO_TCP, 443, -1, "dns");
	nlt_put_rule(nlh, PORTSTEER_FAMILY_INET, IPPROTO_TCP, 80, 89, "web");
	nlt_put_rule(nlh, -1, IPPROTO_SCTP, 1, 65535, "web");
	nlt_put_rule(nlh, -1, IPPROTO_UDPLITE, 65535, 65535, "dns");
	nlt_put_rule(nlh, -1, IPPROTO_DCCP, 5000, 6000, "dns");
	ASSERT_EQ(0, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack)) TH_LOG("%s", self->ack.msg);

	ASSERT_EQ(0, nlt_get_rules(&self->nl, &d, &self->ack));
	ASSERT_EQ(7, d.n);
	/* ordered by protocol, then first port, then family */
	EXPECT_EQ(IPPROTO_TCP, d.rules[0].proto);
	EXPECT_EQ(80, d.rules[0].pmin);
	EXPECT_EQ(89, d.rules[0].pmax);
	EXPECT_EQ(PORTSTEER_FAMILY_INET, d.rules[0].family);
	EXPECT_STREQ("web", d.rules[0].service);
	EXPECT_EQ(443, d.rules[1].pmin);
	EXPECT_EQ(PORTSTEER_FAMILY_IPV4, d.rules[1].family);
	EXPECT_STREQ("dns", d.rules[1].service);
	EXPECT_EQ(443, d.rules[2].pmin);
	EXPECT_EQ(PORTSTEER_FAMILY_IPV6, d.rules[2].family);
	EXPECT_EQ(IPPROTO_UDP, d.rules[3].proto);
	EXPECT_EQ(53, d.rules[3].pmax);
	EXPECT_EQ(PORTSTEER_FAMILY_INET, d.rules[3].family);
	EXPECT_EQ(IPPROTO_DCCP, d.rules[4].proto);
	EXPECT_EQ(IPPROTO_SCTP, d.rules[5].proto);
	EXPECT_EQ(IPPROTO_UDPLITE, d.rules[6].proto);

	ASSERT_EQ(0, nlt_get_service(&self->nl, "web", &s, &self->ack));
	EXPECT_EQ(3, s.rules);

	/* delete two at once, one naming its service */
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_RULE_DEL, 0);
	nlt_put_rule(nlh, PORTSTEER_FAMILY_INET, IPPROTO_TCP, 80, 89, "web");
	nlt_put_rule(nlh, PORTSTEER_FAMILY_IPV6, IPPROTO_TCP, 443, 443, NULL);
	ASSERT_EQ(0, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack)) TH_LOG("%s", self->ack.msg);
	ASSERT_EQ(0, nlt_get_rules(&self->nl, &d, &self->ack));
	EXPECT_EQ(5, d.n);
	ASSERT_EQ(0, nlt_get_service(&self->nl, "web", &s, &self->ack));
	EXPECT_EQ(1, s.rules);
	free(d.rules);
}

TEST_F(ps, settings_commands)
{
	struct nlt_settings st;

	ASSERT_EQ(0, nlt_get_settings(&self->nl, &st, &self->ack));
	for (int i = PORTSTEER_SETTINGS_A_HOOK; i <= PORTSTEER_SETTINGS_A_MAX; i++) {
		EXPECT_TRUE(st.has[i]) TH_LOG("settings attribute %d missing", i);
	}
	EXPECT_EQ(0, st.services);
	EXPECT_EQ(0, st.rules);
	EXPECT_EQ(0, st.hook_active);
	EXPECT_EQ(1, st.defrag) TH_LOG("defragmentation is on by default");
	EXPECT_LT(0, st.max_services);
	EXPECT_LE(65536, st.max_rules);

	ASSERT_EQ(0, settings_set(&self->nl, PORTSTEER_HOOK_INPUT, -100, 1, 0, 12345,
				  &self->ack)) TH_LOG("%s", self->ack.msg);
	ASSERT_EQ(0, nlt_get_settings(&self->nl, &st, &self->ack));
	EXPECT_EQ(PORTSTEER_HOOK_INPUT, st.hook);
	EXPECT_EQ(-100, st.priority);
	EXPECT_EQ(1, st.defrag);
	EXPECT_EQ(0, st.icmp_errors);
	EXPECT_EQ(12345, st.seed);
	/* only what is given changes */
	ASSERT_EQ(0, settings_set(&self->nl, -1, NO_PRIO, 0, -1, -1, &self->ack));
	ASSERT_EQ(0, settings_set(&self->nl, -1, -400, -1, -1, -1, &self->ack));
	ASSERT_EQ(0, nlt_get_settings(&self->nl, &st, &self->ack));
	EXPECT_EQ(PORTSTEER_HOOK_INPUT, st.hook);
	EXPECT_EQ(-400, st.priority);
	EXPECT_EQ(0, st.defrag);
	EXPECT_EQ(12345, st.seed);

	/* the hooks are registered while there are rules */
	ASSERT_EQ(0, svc_new(&self->nl, "s", 0, -1, -1, -1, &self->ack));
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 22, -1, "s",
			      &self->ack));
	ASSERT_EQ(0, nlt_get_settings(&self->nl, &st, &self->ack));
	EXPECT_EQ(1, st.hook_active);
	EXPECT_EQ(1, st.services);
	EXPECT_EQ(1, st.rules);
	EXPECT_LT(0, st.table_bytes);
}

struct stats_seen {
	bool has[PORTSTEER_STATS_A_MAX + 1];
	uint64_t val[PORTSTEER_STATS_A_MAX + 1];
};

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct stats_seen *s = data;
	const struct nlattr *a, *n;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) != PORTSTEER_A_STATS)
			continue;
		mnl_attr_for_each_nested(n, a) {
			if (mnl_attr_get_type(n) > PORTSTEER_STATS_A_MAX)
				continue;
			s->has[mnl_attr_get_type(n)] = true;
			if (mnl_attr_get_payload_len(n) == 8)
				s->val[mnl_attr_get_type(n)] = mnl_attr_get_u64(n);
		}
	}
	return MNL_CB_OK;
}

TEST_F(ps, stats_flush_commands)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct stats_seen st = { 0 };
	struct nlt_settings set;

	ASSERT_EQ(0, nlt_talk(&self->nl, nlt_msg(&self->nl, buf, PORTSTEER_CMD_STATS_GET, 0),
			      stats_cb, &st, &self->ack));
	for (int i = PORTSTEER_STATS_A_SEEN; i <= PORTSTEER_STATS_A_EXEMPT; i++) {
		EXPECT_TRUE(st.has[i]) TH_LOG("stats attribute %d missing", i);
		EXPECT_EQ(0, st.val[i]);
	}
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_STATS_RESET, &self->ack));

	ASSERT_EQ(0, settings_set(&self->nl, -1, -1, -1, -1, 77, &self->ack));
	ASSERT_EQ(0, svc_new(&self->nl, "s", 0, -1, -1, -1, &self->ack));
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_UDP, 1, 1000, "s",
			      &self->ack));
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_FLUSH, &self->ack));
	ASSERT_EQ(0, nlt_get_settings(&self->nl, &set, &self->ack));
	EXPECT_EQ(0, set.services);
	EXPECT_EQ(0, set.rules);
	EXPECT_EQ(0, set.hook_active);
	EXPECT_EQ(77, set.seed);	/* settings stay */
	EXPECT_EQ(-1, set.priority);
	/* a flush of nothing is fine too */
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_FLUSH, &self->ack));
}

TEST_F(ps, service_del_with_rules)
{
	struct nlt_dump_rules d = { 0 };

	ASSERT_EQ(0, svc_new(&self->nl, "web", 1, -1, -1, -1, &self->ack));
	ASSERT_EQ(0, svc_new(&self->nl, "dns", 2, -1, -1, -1, &self->ack));
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 80, -1, "web",
			      &self->ack));
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 443, -1, "web",
			      &self->ack));
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_UDP, 53, -1, "dns",
			      &self->ack));
	EXPECT_EQ(-EBUSY, svc_del(&self->nl, "web", -1, &self->ack));
	EXPECT_STREQ(kmsg("service '%s' is used by %u rules", "web", 2), self->ack.msg);
	EXPECT_EQ(-EBUSY, svc_del(&self->nl, "web", 0, &self->ack));
	ASSERT_EQ(0, svc_del(&self->nl, "web", PORTSTEER_F_WITH_RULES, &self->ack));
	ASSERT_EQ(0, nlt_get_rules(&self->nl, &d, &self->ack));
	ASSERT_EQ(1, d.n);
	EXPECT_STREQ("dns", d.rules[0].service);
	/* the last service's rules: nothing left */
	ASSERT_EQ(0, svc_del(&self->nl, "dns", PORTSTEER_F_WITH_RULES, &self->ack));
	ASSERT_EQ(0, nlt_get_rules(&self->nl, &d, &self->ack));
	EXPECT_EQ(0, d.n);
	free(d.rules);
}

/*
 * The priority's range is checked as a policy would check it: a replace-add
 * refused for it leaves the transaction open (nl_fuzz found the difference
 * when the check had moved into the handler, which drops the transaction).
 */
TEST_F(ps, priority_range_keeps_transaction)
{
	static const int32_t bad[] = { INT32_MIN, INT32_MAX };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int offs;

	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
		nest = mnl_attr_nest_start(nlh, PORTSTEER_A_SETTINGS);
		offs = nlh->nlmsg_len;
		mnl_attr_put_u32(nlh, PORTSTEER_SETTINGS_A_PRIORITY, (uint32_t)bad[i]);
		mnl_attr_nest_end(nlh, nest);
		EXPECT_EQ(-ERANGE, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
		EXPECT_STREQ("priority must be above NF_IP_PRI_FIRST and below NF_IP_PRI_LAST",
			     self->ack.msg);
		EXPECT_EQ(offs, self->ack.offs);
		EXPECT_EQ(-ERANGE, settings_set(&self->nl, -1, bad[i], -1, -1, -1, &self->ack));
	}
	/* still open: a service is staged and committed */
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "kept", 3, -1, -1, -1);
	ASSERT_EQ(0, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack)) TH_LOG("%s", self->ack.msg);
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_COMMIT, &self->ack))
		TH_LOG("%s", self->ack.msg);
	EXPECT_EQ(0, nlt_get_service(&self->nl, "kept", &(struct nlt_service){ 0 }, &self->ack));
	/* the two priorities next to the limits are taken */
	EXPECT_EQ(0, settings_set(&self->nl, -1, INT32_MIN + 1, 0, -1, -1, &self->ack))
		TH_LOG("%s", self->ack.msg);
	EXPECT_EQ(0, settings_set(&self->nl, -1, INT32_MAX - 1, -1, -1, -1, &self->ack))
		TH_LOG("%s", self->ack.msg);
}

TEST_F(ps, replace_commands)
{
	const struct nlt_rule rules[] = {
		{ PORTSTEER_FAMILY_INET, IPPROTO_TCP, 80, 80, "b", PORTSTEER_DIRECTION_DST },
		{ PORTSTEER_FAMILY_IPV4, IPPROTO_UDP, 53, 53, "a", PORTSTEER_DIRECTION_DST },
	};
	const char *const svcs[] = { "a", "b" };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlt_dump_services ds = { 0 };
	struct nlt_dump_rules dr = { 0 };
	struct nlt_settings st;
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	ASSERT_EQ(0, svc_new(&self->nl, "old", 9, -1, -1, -1, &self->ack));
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 22, -1, "old",
			      &self->ack));
	ASSERT_EQ(0, nlt_replace(&self->nl, svcs, 2, rules, 2, &self->ack))
		TH_LOG("%s", self->ack.msg);
	ASSERT_EQ(0, nlt_get_services(&self->nl, &ds, &self->ack));
	ASSERT_EQ(2, ds.n);
	EXPECT_STREQ("a", ds.svcs[0].name);
	EXPECT_EQ(1, ds.svcs[0].rules);
	ASSERT_EQ(0, nlt_get_rules(&self->nl, &dr, &self->ack));
	ASSERT_EQ(2, dr.n);
	EXPECT_EQ(IPPROTO_TCP, dr.rules[0].proto);
	EXPECT_STREQ("b", dr.rules[0].service);

	/* settings in a transaction; services and rules over several messages */
	ASSERT_EQ(0, nlt_get_settings(&self->nl, &st, &self->ack));
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_REPLACE_BEGIN, 0);
	mnl_attr_put_u32(nlh, PORTSTEER_A_GENERATION, st.generation);
	ASSERT_EQ(0, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack)) TH_LOG("%s", self->ack.msg);
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "c", 3, 2, 1, 1);
	nest = mnl_attr_nest_start(nlh, PORTSTEER_A_SETTINGS);
	mnl_attr_put_u32(nlh, PORTSTEER_SETTINGS_A_SEED, 4242);
	mnl_attr_nest_end(nlh, nest);
	ASSERT_EQ(0, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack)) TH_LOG("%s", self->ack.msg);
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
	nlt_put_rule(nlh, -1, IPPROTO_SCTP, 100, 200, "c");
	ASSERT_EQ(0, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack)) TH_LOG("%s", self->ack.msg);
	/* an empty ADD is fine */
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_ADD, &self->ack));
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_COMMIT, &self->ack));
	ASSERT_EQ(0, nlt_get_services(&self->nl, &ds, &self->ack));
	ASSERT_EQ(1, ds.n);
	EXPECT_STREQ("c", ds.svcs[0].name);
	EXPECT_EQ(2, ds.svcs[0].count);
	ASSERT_EQ(0, nlt_get_settings(&self->nl, &st, &self->ack));
	EXPECT_EQ(4242, st.seed);
	EXPECT_EQ(1, st.rules);

	/* abort drops it: commit has nothing left */
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_ABORT, &self->ack));
	EXPECT_EQ(-ENOENT, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_COMMIT, &self->ack));
	EXPECT_STREQ("no replace transaction is open on this socket", self->ack.msg);
	EXPECT_EQ(-ENOENT, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_ABORT, &self->ack));
	EXPECT_STREQ("no replace transaction is open on this socket", self->ack.msg);
	EXPECT_EQ(-ENOENT, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_ADD, &self->ack));
	EXPECT_STREQ("no replace transaction is open on this socket", self->ack.msg);
	/* an empty transaction empties the configuration */
	ASSERT_EQ(0, nlt_replace(&self->nl, NULL, 0, NULL, 0, &self->ack));
	ASSERT_EQ(0, nlt_get_settings(&self->nl, &st, &self->ack));
	EXPECT_EQ(0, st.services);
	EXPECT_EQ(4242, st.seed);
	free(ds.svcs);
	free(dr.rules);
}

TEST_F(ps, replace_ownership)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlt_service svc;
	struct nlt_settings st;
	struct nlmsghdr *nlh;
	struct nlt_nl other;

	ASSERT_EQ(0, nlt_nl_open(&other));
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	/* a newer transaction takes over: an idle one blocks no one */
	ASSERT_EQ(0, nlt_simple(&other, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	/* and the older one's socket is told, once */
	EXPECT_EQ(-ESTALE, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_COMMIT, &self->ack));
	EXPECT_STREQ("the replace transaction of this socket was taken over by a newer one",
		     self->ack.msg);
	EXPECT_EQ(-ENOENT, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_ADD, &self->ack));
	EXPECT_STREQ("no replace transaction is open on this socket", self->ack.msg);
	/* only its socket adds to it or commits it */
	EXPECT_EQ(-ENOENT, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_ABORT, &self->ack));
	/* closing the socket drops it */
	nlt_nl_close(&other);
	ASSERT_EQ(0, nlt_nl_open(&other));
	EXPECT_EQ(-ENOENT, nlt_simple(&other, PORTSTEER_CMD_REPLACE_COMMIT, &self->ack));

	/* a stale generation */
	ASSERT_EQ(0, nlt_get_settings(&other, &st, &self->ack));
	ASSERT_EQ(0, svc_new(&other, "x", 0, -1, -1, -1, &self->ack));
	nlh = nlt_msg(&other, buf, PORTSTEER_CMD_REPLACE_BEGIN, 0);
	mnl_attr_put_u32(nlh, PORTSTEER_A_GENERATION, st.generation);
	EXPECT_EQ(-ESTALE, nlt_talk(&other, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ(kmsg("the configuration changed: generation is %u", st.generation + 1),
		     self->ack.msg);
	EXPECT_EQ((int)(NLMSG_HDRLEN + GENL_HDRLEN), self->ack.offs);
	EXPECT_EQ(-ENOENT, nlt_simple(&other, PORTSTEER_CMD_REPLACE_COMMIT, &self->ack));

	/*
	 * A change committed by another socket while a transaction is open
	 * makes its commit fail: no update is lost without a word.
	 */
	ASSERT_EQ(0, nlt_get_settings(&other, &st, &self->ack));
	ASSERT_EQ(0, nlt_simple(&other, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	ASSERT_EQ(0, svc_new(&self->nl, "y", 1, -1, -1, -1, &self->ack));
	EXPECT_EQ(-ESTALE, nlt_simple(&other, PORTSTEER_CMD_REPLACE_COMMIT, &self->ack));
	EXPECT_STREQ(kmsg("the configuration changed during the transaction (generation %u, now %u)",
			  st.generation, st.generation + 1), self->ack.msg);
	EXPECT_EQ(0, nlt_get_service(&self->nl, "y", &svc, &self->ack));
	EXPECT_EQ(0, nlt_get_service(&self->nl, "x", &svc, &self->ack));
	/* the failed transaction is gone */
	EXPECT_EQ(-ENOENT, nlt_simple(&other, PORTSTEER_CMD_REPLACE_COMMIT, &self->ack));
	nlt_nl_close(&other);
}

/*
 * "Settings not given keep their values": settings changed while a
 * transaction without settings is open survive its commit.
 */
TEST_F(ps, replace_keeps_settings_not_given)
{
	struct nlt_settings st;
	struct nlt_nl other;

	ASSERT_EQ(0, nlt_nl_open(&other));
	ASSERT_EQ(0, settings_set(&self->nl, -1, -1, -1, -1, 1, &self->ack));
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	ASSERT_EQ(0, settings_set(&other, -1, -1, -1, -1, 2, &self->ack));
	/* the change made meanwhile fails the commit, and stays */
	EXPECT_EQ(-ESTALE, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_COMMIT, &self->ack));
	ASSERT_EQ(0, nlt_get_settings(&self->nl, &st, &self->ack));
	EXPECT_EQ(2, st.seed) TH_LOG("the commit reverted the seed set during the transaction");
	/* and one begun after it keeps it */
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_COMMIT, &self->ack));
	ASSERT_EQ(0, nlt_get_settings(&self->nl, &st, &self->ack));
	EXPECT_EQ(2, st.seed);
	nlt_nl_close(&other);
}

/* --- Refusals: the policies ------------------------------------------------- */

/* One service nest with one attribute of the given type and payload. */
static int svc_raw(struct nlt_nl *nl, uint8_t cmd, bool with_name, uint16_t type,
		   const void *data, size_t len, int *offs, struct nlt_ack *ack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nlt_msg(nl, buf, cmd, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, PORTSTEER_A_SERVICE);

	if (with_name)
		mnl_attr_put_strz(nlh, PORTSTEER_SERVICE_A_NAME, "s");
	*offs = nlh->nlmsg_len;
	mnl_attr_put(nlh, type, len, data);
	if (type != PORTSTEER_SERVICE_A_QUEUE)
		mnl_attr_put_u16(nlh, PORTSTEER_SERVICE_A_QUEUE, 1);
	mnl_attr_nest_end(nlh, nest);
	return nlt_talk(nl, nlh, NULL, NULL, ack);
}

TEST_F(ps, out_of_range)
{
	struct {
		uint16_t type;
		uint32_t val;
		int len;
	} bad[] = {
		{ PORTSTEER_SERVICE_A_QUEUE_COUNT, 0, 4 },
		{ PORTSTEER_SERVICE_A_QUEUE_COUNT, 65537, 4 },
		{ PORTSTEER_SERVICE_A_QUEUE_COUNT, 0xffffffff, 4 },
		{ PORTSTEER_SERVICE_A_BALANCE, 2, 1 },
		{ PORTSTEER_SERVICE_A_BYPASS, 2, 1 },
		{ PORTSTEER_SERVICE_A_BYPASS, 255, 1 },
	};
	struct nlt_dump_services d = { 0 };
	int offs;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t v8 = bad[i].val;
		const void *p = bad[i].len == 1 ? (void *)&v8 : (void *)&bad[i].val;

		EXPECT_EQ(-ERANGE, svc_raw(&self->nl, PORTSTEER_CMD_SERVICE_NEW, true, bad[i].type,
					   p, bad[i].len, &offs, &self->ack))
			TH_LOG("attribute %u value %u", bad[i].type, bad[i].val);
		EXPECT_STREQ("integer out of range", self->ack.msg);
		EXPECT_EQ(offs, self->ack.offs);
	}
	/* the queue range must end at 65535 at most */
	EXPECT_EQ(-ERANGE, svc_new(&self->nl, "s", 65535, 2, -1, -1, &self->ack));
	EXPECT_STREQ(kmsg("queue range %u-%u goes beyond queue 65535", 65535, 65536),
		     self->ack.msg);
	EXPECT_EQ(-ERANGE, svc_new(&self->nl, "s", 1, 65536, -1, -1, &self->ack));
	EXPECT_STREQ(kmsg("queue range %u-%u goes beyond queue 65535", 1, 65536), self->ack.msg);
	ASSERT_EQ(0, svc_new(&self->nl, "s", 65000, 100, -1, -1, &self->ack));
	EXPECT_EQ(-ERANGE, svc_set(&self->nl, "s", 65500, -1, -1, -1, &self->ack));
	EXPECT_STREQ(kmsg("queue range %u-%u goes beyond queue 65535", 65500, 65599),
		     self->ack.msg);
	ASSERT_EQ(0, nlt_get_services(&self->nl, &d, &self->ack));
	ASSERT_EQ(1, d.n);
	EXPECT_EQ(65000, d.svcs[0].queue);
	free(d.svcs);
}

TEST_F(ps, rule_out_of_range)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct {
		uint16_t type;
		uint16_t val;
		int len;
	} bad[] = {
		{ PORTSTEER_RULE_A_PORT_MIN, 0, 2 },	/* port 0 is never valid */
		{ PORTSTEER_RULE_A_PORT_MAX, 0, 2 },
		{ PORTSTEER_RULE_A_FAMILY, 0, 1 },
		{ PORTSTEER_RULE_A_FAMILY, 4, 1 },
	};

	ASSERT_EQ(0, svc_new(&self->nl, "s", 1, -1, -1, -1, &self->ack));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nlmsghdr *nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
		struct nlattr *nest = mnl_attr_nest_start(nlh, PORTSTEER_A_RULE);
		uint8_t v8 = bad[i].val;
		int offs;

		mnl_attr_put_u8(nlh, PORTSTEER_RULE_A_PROTO, IPPROTO_TCP);
		mnl_attr_put_strz(nlh, PORTSTEER_RULE_A_SERVICE, "s");
		if (bad[i].type != PORTSTEER_RULE_A_PORT_MIN)
			mnl_attr_put_u16(nlh, PORTSTEER_RULE_A_PORT_MIN, 10);
		offs = nlh->nlmsg_len;
		mnl_attr_put(nlh, bad[i].type, bad[i].len,
			     bad[i].len == 1 ? (void *)&v8 : (void *)&bad[i].val);
		mnl_attr_nest_end(nlh, nest);
		EXPECT_EQ(-ERANGE, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack))
			TH_LOG("rule attribute %u value %u", bad[i].type, bad[i].val);
		EXPECT_STREQ("integer out of range", self->ack.msg);
		EXPECT_EQ(offs, self->ack.offs);
	}
	/* the same in a rule to delete and in a transaction */
	EXPECT_EQ(-ERANGE, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_DEL, -1, IPPROTO_TCP, 0, -1,
				    NULL, &self->ack));
	EXPECT_STREQ("integer out of range", self->ack.msg);
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	EXPECT_EQ(-ERANGE, rule_cmd(&self->nl, PORTSTEER_CMD_REPLACE_ADD, -1, IPPROTO_TCP, 0, -1,
				    "s", &self->ack));
	EXPECT_STREQ("integer out of range", self->ack.msg);
	nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_ABORT, NULL);

	EXPECT_EQ(-EINVAL, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 100, 99,
				    "s", &self->ack));
	EXPECT_STREQ("last port is below first port", self->ack.msg);
	EXPECT_EQ(-EPROTONOSUPPORT, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_ICMP,
					     1, -1, "s", &self->ack));
	EXPECT_STREQ("protocol must be tcp (6), udp (17), udplite (136), sctp (132) or dccp (33)",
		     self->ack.msg);
	EXPECT_EQ(-EPROTONOSUPPORT, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, 0,
					     1, -1, "s", &self->ack));
	EXPECT_EQ(-ENOENT, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 1, -1,
				    "nosuch", &self->ack));
	EXPECT_STREQ(kmsg("no service '%s'", "nosuch"), self->ack.msg);
}

TEST_F(ps, settings_out_of_range)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct {
		uint16_t type;
		uint32_t val;
		int len;
	} bad[] = {
		{ PORTSTEER_SETTINGS_A_HOOK, 4, 1 },
		{ PORTSTEER_SETTINGS_A_DEFRAG, 2, 1 },
		{ PORTSTEER_SETTINGS_A_ICMP_ERRORS, 2, 1 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nlmsghdr *nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_SETTINGS_SET, 0);
		struct nlattr *nest = mnl_attr_nest_start(nlh, PORTSTEER_A_SETTINGS);
		uint8_t v8 = bad[i].val;
		int offs = nlh->nlmsg_len;

		mnl_attr_put(nlh, bad[i].type, bad[i].len, &v8);
		mnl_attr_nest_end(nlh, nest);
		EXPECT_EQ(-ERANGE, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack))
			TH_LOG("settings attribute %u value %u", bad[i].type, bad[i].val);
		EXPECT_STREQ("integer out of range", self->ack.msg);
		EXPECT_EQ(offs, self->ack.offs);
	}
	EXPECT_EQ(-EINVAL, settings_set(&self->nl, -1, NF_IP_PRI_CONNTRACK_DEFRAG, 1, -1, -1,
					&self->ack));
	EXPECT_STREQ("with defrag on, the priority must be above -400 (defragmentation)",
		     self->ack.msg);
	ASSERT_EQ(0, settings_set(&self->nl, -1, NF_IP_PRI_CONNTRACK_DEFRAG + 1, 1, -1, -1,
				  &self->ack));
	EXPECT_EQ(-EINVAL, settings_set(&self->nl, -1, -1000, -1, -1, -1, &self->ack));
	EXPECT_STREQ("with defrag on, the priority must be above -400 (defragmentation)",
		     self->ack.msg);
}

TEST_F(ps, bad_names)
{
	char name[64];
	int offs;

	/* 31 characters is the most */
	memset(name, 'n', 31);
	name[31] = '\0';
	ASSERT_EQ(0, svc_new(&self->nl, name, 1, -1, -1, -1, &self->ack));
	name[31] = 'n';
	name[32] = '\0';
	EXPECT_EQ(-EINVAL, svc_raw(&self->nl, PORTSTEER_CMD_SERVICE_NEW, false,
				   PORTSTEER_SERVICE_A_NAME, name, 33, &offs, &self->ack));
	EXPECT_STREQ("Attribute failed policy validation", self->ack.msg);
	EXPECT_EQ(offs, self->ack.offs);
	/* not NUL terminated */
	EXPECT_EQ(-EINVAL, svc_raw(&self->nl, PORTSTEER_CMD_SERVICE_NEW, false,
				   PORTSTEER_SERVICE_A_NAME, "abc", 3, &offs, &self->ack));
	EXPECT_STREQ("Attribute failed policy validation", self->ack.msg);
	EXPECT_EQ(-EINVAL, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 1, -1,
				    name, &self->ack));
	EXPECT_STREQ("Attribute failed policy validation", self->ack.msg);

	EXPECT_EQ(-EINVAL, svc_new(&self->nl, "", 1, -1, -1, -1, &self->ack));
	EXPECT_STREQ("service name is empty", self->ack.msg);
	EXPECT_EQ(NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN, self->ack.offs);
	const char *const bad[] = { "a b", "a/b", "a:b", "caf\xc3\xa9", "x\xe9", "\xc0", "a\tb" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, svc_new(&self->nl, bad[i], 1, -1, -1, -1, &self->ack))
			TH_LOG("name '%s' accepted", bad[i]);
		EXPECT_STREQ("service name may contain only letters, digits, '_', '.' and '-'",
			     self->ack.msg);
	}
}

TEST_F(ps, overlaps)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	ASSERT_EQ(0, svc_new(&self->nl, "web", 1, -1, -1, -1, &self->ack));
	ASSERT_EQ(0, svc_new(&self->nl, "alt", 2, -1, -1, -1, &self->ack));
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 80, 90, "web",
			      &self->ack));
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, PORTSTEER_FAMILY_IPV4,
			      IPPROTO_UDP, 53, -1, "web", &self->ack));
	/* the message names the existing rule and its service */
	EXPECT_EQ(-EEXIST, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 85, -1,
				    "alt", &self->ack));
	EXPECT_STREQ(kmsg("overlaps %s of '%s'", "inet tcp dport 80-90", "web"),
		     self->ack.msg);
	EXPECT_EQ(-EEXIST, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, PORTSTEER_FAMILY_IPV6,
				    IPPROTO_TCP, 70, 80, "alt", &self->ack));
	EXPECT_STREQ(kmsg("overlaps %s of '%s'", "inet tcp dport 80-90", "web"),
		     self->ack.msg);
	EXPECT_EQ(-EEXIST, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 90, 100,
				    "web", &self->ack));
	EXPECT_STREQ(kmsg("overlaps %s of '%s'", "inet tcp dport 80-90", "web"),
		     self->ack.msg);
	EXPECT_EQ(-EEXIST, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_UDP, 1, 100,
				    "alt", &self->ack));
	EXPECT_STREQ(kmsg("overlaps %s of '%s'", "ip udp dport 53", "web"),
		     self->ack.msg);
	/* the same rule again */
	EXPECT_EQ(-EEXIST, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 80, 90,
				    "web", &self->ack));
	EXPECT_STREQ(kmsg("overlaps %s of '%s'", "inet tcp dport 80-90", "web"),
		     self->ack.msg);
	/* no overlap: other family, other protocol, adjacent ports */
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, PORTSTEER_FAMILY_IPV6,
			      IPPROTO_UDP, 53, -1, "alt", &self->ack));
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_SCTP, 80, 90,
			      "alt", &self->ack));
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 91, -1,
			      "alt", &self->ack));
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 79, -1,
			      "alt", &self->ack));

	/* within one request */
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
	nlt_put_rule(nlh, -1, IPPROTO_TCP, 1000, 2000, "alt");
	nlt_put_rule(nlh, PORTSTEER_FAMILY_IPV4, IPPROTO_TCP, 1500, -1, "web");
	EXPECT_EQ(-EEXIST, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ(kmsg("overlaps %s of the same request", "inet tcp dport 1000-2000"),
		     self->ack.msg);
	/* within a transaction */
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "x", 1, -1, -1, -1);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "y", 2, -1, -1, -1);
	nlt_put_rule(nlh, -1, IPPROTO_UDP, 10, 20, "x");
	nlt_put_rule(nlh, PORTSTEER_FAMILY_IPV6, IPPROTO_UDP, 20, 30, "y");
	ASSERT_EQ(0, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_EQ(-EEXIST, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_COMMIT, &self->ack));
	EXPECT_STREQ(kmsg("rules overlap: %s and %s", "inet udp dport 10-20",
			  "ip6 udp dport 20-30"),
		     self->ack.msg);
	/* and the transaction is gone */
	EXPECT_EQ(-ENOENT, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_COMMIT, &self->ack));
}

TEST_F(ps, not_found)
{
	EXPECT_EQ(-ENOENT, svc_set(&self->nl, "nope", 1, -1, -1, -1, &self->ack));
	EXPECT_STREQ(kmsg("no service '%s'", "nope"), self->ack.msg);
	EXPECT_EQ(-ENOENT, svc_del(&self->nl, "nope", -1, &self->ack));
	EXPECT_STREQ(kmsg("no service '%s'", "nope"), self->ack.msg);
	EXPECT_EQ(-ENOENT, nlt_get_service(&self->nl, "nope", &(struct nlt_service){ 0 },
					   &self->ack));
	EXPECT_STREQ(kmsg("no service '%s'", "nope"), self->ack.msg);
	ASSERT_EQ(0, svc_new(&self->nl, "web", 1, -1, -1, -1, &self->ack));
	ASSERT_EQ(0, svc_new(&self->nl, "alt", 1, -1, -1, -1, &self->ack));
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 80, 90, "web",
			      &self->ack));
	/* a rule is named exactly as it was added */
	EXPECT_EQ(-ENOENT, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_DEL, -1, IPPROTO_TCP, 80, -1,
				    NULL, &self->ack));
	EXPECT_STREQ(kmsg("no rule '%s'", "inet tcp dport 80"), self->ack.msg);
	EXPECT_EQ(-ENOENT, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_DEL, PORTSTEER_FAMILY_IPV4,
				    IPPROTO_TCP, 80, 90, NULL, &self->ack));
	EXPECT_STREQ(kmsg("no rule '%s'", "ip tcp dport 80-90"), self->ack.msg);
	EXPECT_EQ(-ENOENT, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_DEL, -1, IPPROTO_TCP, 80, 90,
				    "alt", &self->ack));
	EXPECT_STREQ(kmsg("no rule '%s'", "inet tcp dport 80-90"), self->ack.msg);
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_DEL, -1, IPPROTO_TCP, 80, 90,
			      "web", &self->ack));
}

/*
 * What the ack says of a missing attribute: its type or nest from 6.1
 * (NLMSGERR_ATTR_MISS_*); before, only the message names it.
 */
static int miss(int v)
{
	return nlt_kernel_at_least(6, 1) ? v : -1;
}

TEST_F(ps, missing_attributes)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	EXPECT_EQ(-EINVAL, nlt_simple(&self->nl, PORTSTEER_CMD_SERVICE_NEW, &self->ack));
	EXPECT_STREQ("missing service", self->ack.msg);
	EXPECT_EQ(miss(PORTSTEER_A_SERVICE), self->ack.miss_type);
	EXPECT_EQ(-EINVAL, nlt_simple(&self->nl, PORTSTEER_CMD_SERVICE_SET, &self->ack));
	EXPECT_STREQ("missing service", self->ack.msg);
	EXPECT_EQ(miss(PORTSTEER_A_SERVICE), self->ack.miss_type);
	EXPECT_EQ(-EINVAL, nlt_simple(&self->nl, PORTSTEER_CMD_SERVICE_DEL, &self->ack));
	EXPECT_STREQ("missing service", self->ack.msg);
	EXPECT_EQ(-EINVAL, nlt_simple(&self->nl, PORTSTEER_CMD_SERVICE_GET, &self->ack));
	EXPECT_STREQ("missing service", self->ack.msg);
	EXPECT_EQ(-EINVAL, nlt_simple(&self->nl, PORTSTEER_CMD_SETTINGS_SET, &self->ack));
	EXPECT_STREQ("missing settings", self->ack.msg);
	EXPECT_EQ(miss(PORTSTEER_A_SETTINGS), self->ack.miss_type);
	EXPECT_EQ(-EINVAL, nlt_simple(&self->nl, PORTSTEER_CMD_RULE_NEW, &self->ack));
	EXPECT_STREQ("missing rule", self->ack.msg);
	EXPECT_EQ(miss(PORTSTEER_A_RULE), self->ack.miss_type);
	EXPECT_EQ(-EINVAL, nlt_simple(&self->nl, PORTSTEER_CMD_RULE_DEL, &self->ack));
	EXPECT_STREQ("missing rule", self->ack.msg);

	/* inside the nests: the type and the nest come back */
	EXPECT_EQ(-EINVAL, svc_new(&self->nl, NULL, 1, -1, -1, -1, &self->ack));
	EXPECT_STREQ("missing service name", self->ack.msg);
	EXPECT_EQ(miss(PORTSTEER_SERVICE_A_NAME), self->ack.miss_type);
	EXPECT_EQ(miss(NLMSG_HDRLEN + GENL_HDRLEN), self->ack.miss_nest);
	EXPECT_EQ(-EINVAL, svc_new(&self->nl, "s", -1, 4, -1, -1, &self->ack));
	EXPECT_STREQ("missing service queue", self->ack.msg);
	EXPECT_EQ(miss(PORTSTEER_SERVICE_A_QUEUE), self->ack.miss_type);
	EXPECT_EQ(-EINVAL, svc_set(&self->nl, NULL, 1, -1, -1, -1, &self->ack));
	EXPECT_STREQ("missing service name", self->ack.msg);
	EXPECT_EQ(-EINVAL, svc_del(&self->nl, NULL, -1, &self->ack));
	EXPECT_STREQ("missing service name", self->ack.msg);

	ASSERT_EQ(0, svc_new(&self->nl, "s", 1, -1, -1, -1, &self->ack));
	EXPECT_EQ(-EINVAL, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, -1, 1, -1, "s",
				    &self->ack));
	EXPECT_STREQ("missing rule protocol", self->ack.msg);
	EXPECT_EQ(miss(PORTSTEER_RULE_A_PROTO), self->ack.miss_type);
	EXPECT_EQ(-EINVAL, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, -1, 5,
				    "s", &self->ack));
	EXPECT_STREQ("missing rule port", self->ack.msg);
	EXPECT_EQ(miss(PORTSTEER_RULE_A_PORT_MIN), self->ack.miss_type);
	EXPECT_EQ(-EINVAL, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 1, -1,
				    NULL, &self->ack));
	EXPECT_STREQ("missing rule service", self->ack.msg);
	EXPECT_EQ(miss(PORTSTEER_RULE_A_SERVICE), self->ack.miss_type);
	EXPECT_EQ(-EINVAL, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_DEL, -1, -1, 1, -1, NULL,
				    &self->ack));
	EXPECT_STREQ("missing rule protocol", self->ack.msg);
	/* an empty nest */
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_SERVICE_NEW, 0);
	nest = mnl_attr_nest_start(nlh, PORTSTEER_A_SERVICE);
	mnl_attr_nest_end(nlh, nest);
	EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ("missing service name", self->ack.msg);
	/* in a transaction, a rule needs its service */
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	EXPECT_EQ(-EINVAL, rule_cmd(&self->nl, PORTSTEER_CMD_REPLACE_ADD, -1, IPPROTO_TCP, 1, -1,
				    NULL, &self->ack));
	EXPECT_STREQ("missing rule service", self->ack.msg);
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	/* the service must have been added to the transaction before */
	EXPECT_EQ(-ENOENT, rule_cmd(&self->nl, PORTSTEER_CMD_REPLACE_ADD, -1, IPPROTO_TCP, 1, -1,
				    "s", &self->ack));
	EXPECT_STREQ(kmsg("no service '%s'", "s"), self->ack.msg);
}

TEST_F(ps, unknown_attributes)
{
	static const uint8_t cmds[] = {
		PORTSTEER_CMD_SERVICE_NEW, PORTSTEER_CMD_SERVICE_SET, PORTSTEER_CMD_SERVICE_DEL,
		PORTSTEER_CMD_SERVICE_GET, PORTSTEER_CMD_RULE_NEW, PORTSTEER_CMD_RULE_DEL,
		PORTSTEER_CMD_SETTINGS_GET, PORTSTEER_CMD_SETTINGS_SET,
		PORTSTEER_CMD_STATS_GET, PORTSTEER_CMD_STATS_RESET, PORTSTEER_CMD_FLUSH,
		PORTSTEER_CMD_REPLACE_BEGIN, PORTSTEER_CMD_REPLACE_ADD,
		PORTSTEER_CMD_REPLACE_COMMIT, PORTSTEER_CMD_REPLACE_ABORT,
	};
	static const uint8_t dumps[] = { PORTSTEER_CMD_SERVICE_GET, PORTSTEER_CMD_RULE_GET };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int offs;

	ASSERT_EQ(0, svc_new(&self->nl, "s", 1, -1, -1, -1, &self->ack));
	for (size_t i = 0; i < sizeof(cmds); i++) {
		/* beyond the attribute space */
		nlh = nlt_msg(&self->nl, buf, cmds[i], 0);
		mnl_attr_put_u32(nlh, PORTSTEER_A_MAX + 1, 1);
		EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack))
			TH_LOG("command %u", cmds[i]);
		EXPECT_STREQ("Unknown attribute type", self->ack.msg);
		EXPECT_EQ(NLMSG_HDRLEN + GENL_HDRLEN, self->ack.offs);
		/* the commands without attributes take none */
		if (cmds[i] == PORTSTEER_CMD_SETTINGS_GET || cmds[i] == PORTSTEER_CMD_STATS_GET ||
		    cmds[i] == PORTSTEER_CMD_STATS_RESET || cmds[i] == PORTSTEER_CMD_FLUSH ||
		    cmds[i] == PORTSTEER_CMD_REPLACE_COMMIT ||
		    cmds[i] == PORTSTEER_CMD_REPLACE_ABORT) {
			nlh = nlt_msg(&self->nl, buf, cmds[i], 0);
			mnl_attr_put_u32(nlh, PORTSTEER_A_GENERATION, 1);
			EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack))
				TH_LOG("command %u took a generation", cmds[i]);
			EXPECT_STREQ("Unsupported attribute", self->ack.msg);
		}
	}
	for (size_t i = 0; i < sizeof(dumps); i++) {
		nlh = nlt_msg(&self->nl, buf, dumps[i], NLM_F_DUMP);
		mnl_attr_put_u32(nlh, PORTSTEER_A_GENERATION, 1);
		EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack))
			TH_LOG("dump %u took a generation", dumps[i]);
		EXPECT_STREQ("Unsupported attribute", self->ack.msg);
		EXPECT_EQ(NLMSG_HDRLEN + GENL_HDRLEN, self->ack.offs);
	}
	/* top-level attributes a command does not take */
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_SERVICE_NEW, 0);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "t", 1, -1, -1, -1);
	offs = nlh->nlmsg_len;
	mnl_attr_put_u32(nlh, PORTSTEER_A_FLAGS, 0);
	EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ("Unsupported attribute", self->ack.msg);
	EXPECT_EQ(offs, self->ack.offs);
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
	nlt_put_rule(nlh, -1, IPPROTO_TCP, 1, -1, "s");
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "t", 1, -1, -1, -1);
	EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ("Unsupported attribute", self->ack.msg);

	/* in nests: read-only attributes and unknown ones */
	uint32_t v = 1;

	EXPECT_EQ(-EINVAL, svc_raw(&self->nl, PORTSTEER_CMD_SERVICE_NEW, true,
				   PORTSTEER_SERVICE_A_RULES, &v, 4, &offs, &self->ack));
	/* read-only attributes in the request's set are rejected */
	EXPECT_STREQ("Unsupported attribute", self->ack.msg);
	EXPECT_EQ(offs, self->ack.offs);
	EXPECT_EQ(-EINVAL, svc_raw(&self->nl, PORTSTEER_CMD_SERVICE_NEW, true,
				   PORTSTEER_SERVICE_A_MAX + 1, &v, 4, &offs, &self->ack));
	EXPECT_STREQ("Unknown attribute type", self->ack.msg);
	EXPECT_EQ(offs, self->ack.offs);
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_SETTINGS_SET, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, PORTSTEER_A_SETTINGS);

	offs = nlh->nlmsg_len;
	mnl_attr_put_u32(nlh, PORTSTEER_SETTINGS_A_MAX_RULES, 5);
	mnl_attr_nest_end(nlh, nest);
	EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ("Unsupported attribute", self->ack.msg);
	EXPECT_EQ(offs, self->ack.offs);
	/* unknown flags */
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_SERVICE_DEL, 0);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "s", -1, -1, -1, -1);
	offs = nlh->nlmsg_len;
	mnl_attr_put_u32(nlh, PORTSTEER_A_FLAGS, 4);
	EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ("reserved bit set", self->ack.msg);
	EXPECT_EQ(offs, self->ack.offs);
	/* a flag of the family another command takes: refused, not ignored */
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_SERVICE_DEL, 0);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "s", -1, -1, -1, -1);
	offs = nlh->nlmsg_len;
	mnl_attr_put_u32(nlh, PORTSTEER_A_FLAGS, PORTSTEER_F_REPLACE);
	EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ("a flag this command does not take", self->ack.msg);
	EXPECT_EQ(offs, self->ack.offs);
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
	offs = nlh->nlmsg_len;
	mnl_attr_put_u32(nlh, PORTSTEER_A_FLAGS, PORTSTEER_F_WITH_RULES);
	nlt_put_rule(nlh, -1, IPPROTO_TCP, 80, -1, "s");
	EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ("a flag this command does not take", self->ack.msg);
	EXPECT_EQ(offs, self->ack.offs);
	/* a wrong length */
	uint32_t port = 80;

	EXPECT_EQ(-EINVAL, svc_raw(&self->nl, PORTSTEER_CMD_SERVICE_NEW, true,
				   PORTSTEER_SERVICE_A_QUEUE, &port, 4, &offs, &self->ack));
	EXPECT_STREQ("invalid attribute length", self->ack.msg);
	EXPECT_EQ(offs, self->ack.offs);
}

/*
 * What the ack of a refused dump says: the message from 6.1, where the
 * kernel checks the header; nothing before, where the family's check runs
 * in the dump's start, which has no extack.
 */
static const char *dump_msg(const char *msg)
{
	return nlt_kernel_at_least(6, 1) ? msg : "";
}

/*
 * The generic netlink header: reserved bytes or a flag no command uses
 * refuse the request, dump or do, and nothing is done. The kernel checks
 * this from 6.1, the family itself before (compat.h).
 */
TEST_F(ps, genl_header_checked)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlt_service s;
	struct genlmsghdr *g;
	struct nlmsghdr *nlh;

	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_SERVICE_NEW, 0);
	g = mnl_nlmsg_get_payload(nlh);
	g->reserved = 1;
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "hdr", 1, -1, -1, -1);
	EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ("genlmsghdr.reserved field is not 0", self->ack.msg);
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_SERVICE_NEW, NLM_F_REPLACE);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "hdr", 1, -1, -1, -1);
	EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ("ambiguous or reserved bits set in nlmsg_flags", self->ack.msg);
	EXPECT_EQ(-ENOENT, nlt_get_service(&self->nl, "hdr", &s, &self->ack));

	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_RULE_GET, NLM_F_DUMP);
	g = mnl_nlmsg_get_payload(nlh);
	g->reserved = 0x8000;
	EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ(dump_msg("genlmsghdr.reserved field is not 0"), self->ack.msg);
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_SERVICE_GET,
		      NLM_F_DUMP | NLM_F_ATOMIC);
	EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ(dump_msg("ambiguous or reserved bits set in nlmsg_flags"),
		     self->ack.msg);
	/* the flags the core gives a meaning to are taken */
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_SERVICE_GET, NLM_F_DUMP | NLM_F_ECHO);
	EXPECT_EQ(0, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
}

TEST_F(ps, nests_without_nla_f_nested)
{
	static const uint16_t types[] = {
		PORTSTEER_A_SERVICE, PORTSTEER_A_RULE, PORTSTEER_A_SETTINGS,
	};
	static const uint8_t cmds[] = {
		PORTSTEER_CMD_SERVICE_NEW, PORTSTEER_CMD_RULE_NEW, PORTSTEER_CMD_SETTINGS_SET,
	};
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	ASSERT_EQ(0, svc_new(&self->nl, "s", 1, -1, -1, -1, &self->ack));
	for (size_t i = 0; i < sizeof(cmds); i++) {
		for (int txn = 0; txn < 2; txn++) {
			if (txn)
				ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN,
							&self->ack));
			nlh = nlt_msg(&self->nl, buf, txn ? PORTSTEER_CMD_REPLACE_ADD : cmds[i], 0);
			if (types[i] == PORTSTEER_A_SERVICE) {
				nest = nlt_put_service(nlh, types[i], "t", 1, -1, -1, -1);
			} else if (types[i] == PORTSTEER_A_RULE) {
				nest = nlt_put_rule(nlh, -1, IPPROTO_TCP, 1, -1, "s");
			} else {
				nest = mnl_attr_nest_start(nlh, types[i]);
				mnl_attr_put_u32(nlh, PORTSTEER_SETTINGS_A_SEED, 1);
				mnl_attr_nest_end(nlh, nest);
			}
			nest->nla_type &= ~NLA_F_NESTED;
			EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack))
				TH_LOG("attribute %u of command %u", types[i], nlh->nlmsg_type);
			EXPECT_STREQ("NLA_F_NESTED is missing", self->ack.msg);
			EXPECT_EQ(OFFS(nlh, nest), self->ack.offs);
		}
	}
	/* and NLA_F_NESTED where no nest is */
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_REPLACE_BEGIN, 0);
	mnl_attr_put_u32(nlh, PORTSTEER_A_GENERATION | NLA_F_NESTED, 1);
	EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ("NLA_F_NESTED not expected", self->ack.msg);
	EXPECT_EQ(NLMSG_HDRLEN + GENL_HDRLEN, self->ack.offs);
}

TEST_F(ps, duplicate_names)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	ASSERT_EQ(0, svc_new(&self->nl, "web", 1, -1, -1, -1, &self->ack));
	EXPECT_EQ(-EEXIST, svc_new(&self->nl, "web", 2, -1, -1, -1, &self->ack));
	EXPECT_STREQ(kmsg("service '%s' already exists", "web"), self->ack.msg);
	EXPECT_EQ(NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN, self->ack.offs);
	/* names are case sensitive */
	ASSERT_EQ(0, svc_new(&self->nl, "Web", 2, -1, -1, -1, &self->ack));
	/* twice in one transaction */
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "web", 1, -1, -1, -1);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "web", 2, -1, -1, -1);
	EXPECT_EQ(-EEXIST, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ(kmsg("service '%s' already exists", "web"), self->ack.msg);
	/* the transaction that failed is gone */
	EXPECT_EQ(-ENOENT, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_COMMIT, &self->ack));
	/* over two messages of one transaction */
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "api", 1, -1, -1, -1);
	ASSERT_EQ(0, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "api", 1, -1, -1, -1);
	EXPECT_EQ(-EEXIST, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ(kmsg("service '%s' already exists", "api"), self->ack.msg);
	/* a rule given twice to delete */
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 5, -1, "web",
			      &self->ack));
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_RULE_DEL, 0);
	nlt_put_rule(nlh, -1, IPPROTO_TCP, 5, -1, NULL);
	nlt_put_rule(nlh, -1, IPPROTO_TCP, 5, -1, NULL);
	EXPECT_EQ(-EINVAL, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ(kmsg("rule '%s' is given twice", "inet tcp dport 5"), self->ack.msg);
}

/* Every refusal leaves the configuration exactly as it was, and tells nobody. */
TEST_F(ps, failed_commands_change_nothing)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlt_nl listener;
	struct nlmsghdr *nlh;
	char *before, *after;
	int n;

	ASSERT_EQ(0, svc_new(&self->nl, "web", 1, 2, -1, -1, &self->ack));
	ASSERT_EQ(0, svc_new(&self->nl, "dns", 5, -1, -1, -1, &self->ack));
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 80, 90, "web",
			      &self->ack));
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_UDP, 53, -1, "dns",
			      &self->ack));
	ASSERT_EQ(0, settings_set(&self->nl, 1, -50, 1, 0, 99, &self->ack));
	ASSERT_EQ(0, nlt_nl_open(&listener));
	ASSERT_EQ(0, nlt_nl_join(&listener));
	before = nlt_snapshot(&self->nl);
	ASSERT_NE(NULL, before);

	/* several rules, the last one bad: none is added */
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
	nlt_put_rule(nlh, -1, IPPROTO_TCP, 1000, -1, "dns");
	nlt_put_rule(nlh, -1, IPPROTO_SCTP, 1000, -1, "dns");
	nlt_put_rule(nlh, -1, IPPROTO_TCP, 85, -1, "dns");
	EXPECT_EQ(-EEXIST, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
	nlt_put_rule(nlh, -1, IPPROTO_TCP, 1000, -1, "dns");
	nlt_put_rule(nlh, -1, IPPROTO_TCP, 2000, -1, "nosuch");
	EXPECT_EQ(-ENOENT, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	/* several rules to delete, one missing: none goes */
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_RULE_DEL, 0);
	nlt_put_rule(nlh, -1, IPPROTO_TCP, 80, 90, NULL);
	nlt_put_rule(nlh, -1, IPPROTO_UDP, 54, -1, NULL);
	EXPECT_EQ(-ENOENT, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_EQ(-EEXIST, svc_new(&self->nl, "web", 9, -1, -1, -1, &self->ack));
	EXPECT_EQ(-ERANGE, svc_set(&self->nl, "web", 65535, -1, -1, -1, &self->ack));
	EXPECT_EQ(-ERANGE, svc_set(&self->nl, "web", -1, 0, 1, -1, &self->ack));
	EXPECT_EQ(-EBUSY, svc_del(&self->nl, "web", -1, &self->ack));
	EXPECT_EQ(-EINVAL, settings_set(&self->nl, 0, -500, -1, 1, 5, &self->ack));
	EXPECT_EQ(-ERANGE, settings_set(&self->nl, 0, -1, -1, 5, 5, &self->ack));
	/* transactions that fail, in ADD and in COMMIT */
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	EXPECT_EQ(-ENOENT, rule_cmd(&self->nl, PORTSTEER_CMD_REPLACE_ADD, -1, IPPROTO_TCP, 1,
				    -1, "web", &self->ack));
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "x", 1, -1, -1, -1);
	nlt_put_rule(nlh, -1, IPPROTO_TCP, 1, 100, "x");
	nlt_put_rule(nlh, -1, IPPROTO_TCP, 100, 200, "x");
	ASSERT_EQ(0, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_EQ(-EEXIST, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_COMMIT, &self->ack));
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, PORTSTEER_A_SETTINGS);

	mnl_attr_put_u32(nlh, PORTSTEER_SETTINGS_A_PRIORITY, (uint32_t)-1000);
	mnl_attr_nest_end(nlh, nest);
	ASSERT_EQ(0, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_EQ(-EINVAL, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_COMMIT, &self->ack));
	EXPECT_STREQ("with defrag on, the priority must be above -400 (defragmentation)",
		     self->ack.msg);

	after = nlt_snapshot(&self->nl);
	ASSERT_NE(NULL, after);
	EXPECT_STREQ(before, after);
	n = nlt_recv_ntf(&listener, 200, NULL, NULL);
	EXPECT_EQ(0, n) TH_LOG("a failed command was notified");
	free(before);
	free(after);
	nlt_nl_close(&listener);
}

/* --- Limits ----------------------------------------------------------------- */

FIXTURE(limits) {
	struct nlt_nl nl;
	struct nlt_ack ack;
};

FIXTURE_SETUP(limits)
{
	ASSERT_EQ(0, nlt_reload("max_services=4 max_rules=8"));
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, nlt_nl_open(&self->nl));
}

FIXTURE_TEARDOWN(limits)
{
	nlt_nl_close(&self->nl);
	nlt_reload("");
}

TEST_F_TIMEOUT(limits, exceeded, 600)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlt_settings st;
	struct nlmsghdr *nlh;
	char name[8];
	int i;

	ASSERT_EQ(0, nlt_get_settings(&self->nl, &st, &self->ack));
	EXPECT_EQ(4, st.max_services);
	EXPECT_EQ(8, st.max_rules);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		ASSERT_EQ(0, svc_new(&self->nl, name, i, -1, -1, -1, &self->ack));
	}
	EXPECT_EQ(-ENOSPC, svc_new(&self->nl, "s4", 4, -1, -1, -1, &self->ack));
	EXPECT_STREQ(kmsg("too many services (limit %u)", 4), self->ack.msg);

	/* 9 rules in one request, then 6 + 3 */
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
	for (i = 1; i <= 9; i++)
		nlt_put_rule(nlh, -1, IPPROTO_TCP, i, -1, "s0");
	EXPECT_EQ(-ENOSPC, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ(kmsg("too many rules (limit %u)", 8), self->ack.msg);
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
	for (i = 1; i <= 6; i++)
		nlt_put_rule(nlh, -1, IPPROTO_TCP, i, -1, "s0");
	ASSERT_EQ(0, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
	for (i = 7; i <= 9; i++)
		nlt_put_rule(nlh, -1, IPPROTO_TCP, i, -1, "s0");
	EXPECT_EQ(-ENOSPC, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ(kmsg("too many rules (limit %u)", 8), self->ack.msg);
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
	nlt_put_rule(nlh, -1, IPPROTO_TCP, 7, -1, "s1");
	nlt_put_rule(nlh, -1, IPPROTO_TCP, 8, -1, "s1");
	ASSERT_EQ(0, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack)) TH_LOG("%s", self->ack.msg);
	EXPECT_EQ(-ENOSPC, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 9, -1,
				    "s1", &self->ack));
	EXPECT_STREQ(kmsg("too many rules (limit %u)", 8), self->ack.msg);

	/* and in a transaction */
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		nlt_put_service(nlh, PORTSTEER_A_SERVICE, name, i, -1, -1, -1);
	}
	EXPECT_EQ(-ENOSPC, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ(kmsg("too many services (limit %u)", 4), self->ack.msg);
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "t", 1, -1, -1, -1);
	for (i = 1; i <= 9; i++)
		nlt_put_rule(nlh, -1, IPPROTO_UDP, i, -1, "t");
	EXPECT_EQ(-ENOSPC, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	EXPECT_STREQ(kmsg("too many rules (limit %u)", 8), self->ack.msg);
	ASSERT_EQ(0, nlt_get_settings(&self->nl, &st, &self->ack));
	EXPECT_EQ(4, st.services);
	EXPECT_EQ(8, st.rules);
}

/* --- Permissions and namespaces -------------------------------------------- */

static const uint8_t all_cmds[] = {
	PORTSTEER_CMD_SERVICE_NEW, PORTSTEER_CMD_SERVICE_SET, PORTSTEER_CMD_SERVICE_DEL,
	PORTSTEER_CMD_SERVICE_GET, PORTSTEER_CMD_RULE_NEW, PORTSTEER_CMD_RULE_DEL,
	PORTSTEER_CMD_SETTINGS_GET, PORTSTEER_CMD_SETTINGS_SET, PORTSTEER_CMD_STATS_GET,
	PORTSTEER_CMD_STATS_RESET, PORTSTEER_CMD_FLUSH, PORTSTEER_CMD_REPLACE_BEGIN,
	PORTSTEER_CMD_REPLACE_ADD, PORTSTEER_CMD_REPLACE_COMMIT, PORTSTEER_CMD_REPLACE_ABORT,
};

/* Every command, do and dump: EPERM, and no message. Returns failures. */
static int all_refused(struct nlt_nl *nl)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlt_ack ack;
	int fails = 0;

	for (size_t i = 0; i < sizeof(all_cmds); i++) {
		struct nlmsghdr *nlh = nlt_msg(nl, buf, all_cmds[i], 0);

		nlt_put_service(nlh, PORTSTEER_A_SERVICE, "s", 1, -1, -1, -1);
		if (nlt_talk(nl, nlh, NULL, NULL, &ack) != -EPERM || ack.msg[0]) {
			fprintf(stderr, "# command %u: %d '%s', not EPERM\n", all_cmds[i],
				ack.err, ack.msg);
			fails++;
		}
	}
	for (uint8_t cmd = PORTSTEER_CMD_SERVICE_GET; cmd <= PORTSTEER_CMD_RULE_GET;
	     cmd += PORTSTEER_CMD_RULE_GET - PORTSTEER_CMD_SERVICE_GET) {
		if (nlt_talk(nl, nlt_msg(nl, buf, cmd, NLM_F_DUMP), NULL, NULL, &ack) != -EPERM) {
			fprintf(stderr, "# dump %u: %d, not EPERM\n", cmd, ack.err);
			fails++;
		}
	}
	return fails;
}

/* Joining the "config" group is refused with EPERM. */
static int join_refused(struct nlt_nl *nl)
{
	int grp = nl->mcgrp;

	if (!grp)
		return 1;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) == 0) {
		fprintf(stderr, "# joining the group \"config\" was allowed\n");
		return 1;
	}
	return errno == EPERM ? 0 : 1;
}

static int wait_child(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

TEST_F(ps, unprivileged_eperm)
{
	struct nlt_dump_services d = { 0 };
	pid_t pid;

	ASSERT_EQ(0, svc_new(&self->nl, "s", 1, -1, -1, -1, &self->ack));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct nlt_nl nl;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(100);
		/* no capability is left */
		if (prctl(PR_CAPBSET_READ, 12 /* CAP_NET_ADMIN */) < 0)
			_exit(101);
		if (nlt_nl_open(&nl))
			_exit(102);
		_exit((all_refused(&nl) ? 1 : 0) | (join_refused(&nl) ? 2 : 0));
	}
	/* 1: a command was not refused, 2: the group could be joined */
	EXPECT_EQ(0, wait_child(pid));
	/* and nothing changed */
	ASSERT_EQ(0, nlt_get_services(&self->nl, &d, &self->ack));
	ASSERT_EQ(1, d.n);
	EXPECT_EQ(1, d.svcs[0].queue);
	free(d.svcs);
}

static int write_file(int dirfd, const char *path, const char *s)
{
	int fd = openat(dirfd, path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/*
 * Become root of a new user namespace, with a new netns unless !net. A
 * chrooted process may not create a user namespace, and the guest of
 * scripts/vm.sh runs chrooted: then this process steps out of the chroot
 * first (it is root), keeping /proc open.
 */
static int enter_userns(bool net)
{
	int flags = CLONE_NEWUSER | (net ? CLONE_NEWNET : 0);
	int proc = open("/proc", O_PATH | O_DIRECTORY), err = -1;

	if (proc < 0)
		return -1;
	if (unshare(flags)) {
		if (errno != EPERM || chdir("/") || chroot("/tmp"))
			goto out;
		for (int i = 0; i < 64; i++)
			if (chdir(".."))
				goto out;
		if (chroot(".") || unshare(flags))
			goto out;
	}
	if (write_file(proc, "self/setgroups", "deny") ||
	    write_file(proc, "self/uid_map", "0 0 1") ||
	    write_file(proc, "self/gid_map", "0 0 1"))
		goto out;
	err = 0;
out:
	close(proc);
	return err;
}

TEST_F(ps, userns_root_owns_its_netns)
{
	struct nlt_dump_services d = { 0 };
	int pipefd[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, svc_new(&self->nl, "outer", 1, -1, -1, -1, &self->ack));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct nlt_dump_services cd = { 0 };
		struct nlt_nl outer, inner;
		struct nlt_ack ack;

		close(pipefd[0]);
		/* a socket of the outer netns, opened before */
		if (nlt_nl_open(&outer))
			_exit(100);
		if (enter_userns(true))
			_exit(101);
		if (nlt_nl_open(&inner))
			_exit(102);
		/* its own netns: everything works */
		if (svc_new(&inner, "inner", 7, -1, -1, -1, &ack) ||
		    rule_cmd(&inner, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_TCP, 22, -1, "inner",
			     &ack) ||
		    nlt_nl_join(&inner))
			_exit(103);
		if (nlt_get_services(&inner, &cd, &ack) || cd.n != 1 ||
		    strcmp(cd.svcs[0].name, "inner"))
			_exit(104);	/* it does not see "outer" */
		if (write(pipefd[1], "x", 1) != 1)
			_exit(105);
		close(pipefd[1]);
		/* a change in the outer netns is not notified here */
		if (nlt_recv_ntf(&inner, 500, NULL, NULL) != 0)
			_exit(106);
		/* the netns its user namespace does not own: nothing */
		_exit((all_refused(&outer) ? 1 : 0) | (join_refused(&outer) ? 2 : 0));
	}
	close(pipefd[1]);
	if (read(pipefd[0], &c, 1) != 1) {
		ASSERT_EQ(0, wait_child(pid)) TH_LOG("the child failed early");
	}
	close(pipefd[0]);
	ASSERT_EQ(0, svc_new(&self->nl, "outer2", 2, -1, -1, -1, &self->ack));
	/* 1: a command on the outer netns was not refused, 2: its group could be joined */
	EXPECT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, nlt_get_services(&self->nl, &d, &self->ack));
	ASSERT_EQ(2, d.n);
	EXPECT_STREQ("outer", d.svcs[0].name);	/* and not "inner" */
	EXPECT_STREQ("outer2", d.svcs[1].name);
	free(d.svcs);
}

/* --- Big dumps, atomic replace, notifications ------------------------------ */

#define NRULES_MAX 65536

TEST_F_TIMEOUT(ps, dump_65536_rules, 600)
{
	struct nlt_dump_rules d = { 0 };
	const char *const svcs[] = { "s" };
	struct nlt_service s;
	struct nlt_rule *rules;
	struct nlt_settings st;
	size_t i;

	rules = calloc(NRULES_MAX, sizeof(*rules));
	ASSERT_NE(NULL, rules);
	for (i = 0; i < NRULES_MAX; i++) {
		rules[i].family = PORTSTEER_FAMILY_INET;
		rules[i].proto = i < 65535 ? IPPROTO_TCP : IPPROTO_UDP;
		rules[i].pmin = i < 65535 ? i + 1 : 1;
		rules[i].pmax = rules[i].pmin;
		strcpy(rules[i].service, "s");
	}
	/* added in reverse order: the kernel sorts */
	for (i = 0; i < NRULES_MAX / 2; i++) {
		struct nlt_rule t = rules[i];

		rules[i] = rules[NRULES_MAX - 1 - i];
		rules[NRULES_MAX - 1 - i] = t;
	}
	ASSERT_EQ(0, nlt_replace(&self->nl, svcs, 1, rules, NRULES_MAX, &self->ack))
		TH_LOG("%s", self->ack.msg);
	ASSERT_EQ(0, nlt_get_rules(&self->nl, &d, &self->ack));
	EXPECT_FALSE(self->ack.dump_intr);
	EXPECT_FALSE(d.gen_mixed);
	ASSERT_EQ(NRULES_MAX, d.n);
	for (i = 0; i < NRULES_MAX; i++) {
		const struct nlt_rule *r = &d.rules[i];
		uint16_t port = i < 65535 ? i + 1 : 1;

		if (r->proto != (i < 65535 ? IPPROTO_TCP : IPPROTO_UDP) || r->pmin != port ||
		    r->pmax != port || r->family != PORTSTEER_FAMILY_INET ||
		    strcmp(r->service, "s")) {
			TH_LOG("rule %zu: proto %u ports %u-%u family %u service %s", i,
			       r->proto, r->pmin, r->pmax, r->family, r->service);
			ASSERT_TRUE(false);
		}
	}
	ASSERT_EQ(0, nlt_get_settings(&self->nl, &st, &self->ack));
	EXPECT_EQ(NRULES_MAX, st.rules);
	ASSERT_EQ(0, nlt_get_service(&self->nl, "s", &s, &self->ack));
	EXPECT_EQ(NRULES_MAX, s.rules);
	/* the default limit is reached */
	EXPECT_EQ(-ENOSPC, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_NEW, -1, IPPROTO_SCTP, 1, -1,
				    "s", &self->ack));
	EXPECT_STREQ(kmsg("too many rules (limit %u)", 65536), self->ack.msg);
	free(rules);
	free(d.rules);
}

#define ATOMIC_RULES	3000
#define ATOMIC_ROUNDS	30

static void fill_config(struct nlt_rule *rules, int proto, const char *svc)
{
	for (int i = 0; i < ATOMIC_RULES; i++) {
		rules[i].family = PORTSTEER_FAMILY_INET;
		rules[i].proto = proto;
		rules[i].pmin = i + 1;
		rules[i].pmax = i + 1;
		snprintf(rules[i].service, sizeof(rules[i].service), "%s", svc);
	}
}

TEST_F_TIMEOUT(ps, replace_is_atomic, 600)
{
	struct { int clean, intr, mixed, errors; } *res;
	struct nlt_rule *a, *b;
	static const char * const sa[] = { "a" };
	static const char * const sb[] = { "b" };
	volatile int *stop;
	pid_t pid;

	a = calloc(ATOMIC_RULES, sizeof(*a));
	b = calloc(ATOMIC_RULES, sizeof(*b));
	ASSERT_TRUE(a && b);
	fill_config(a, IPPROTO_TCP, "a");
	fill_config(b, IPPROTO_UDP, "b");
	res = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	stop = (volatile int *)(res + 1);
	ASSERT_EQ(0, nlt_replace(&self->nl, sa, 1, a, ATOMIC_RULES, &self->ack));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct nlt_dump_rules d = { 0 };
		struct nlt_ack ack;
		struct nlt_nl nl;
		bool last = false;

		if (nlt_nl_open(&nl))
			_exit(100);
		while (!last) {
			last = *stop;
			if (nlt_get_rules(&nl, &d, &ack)) {
				res->errors++;
				continue;
			}
			if (ack.dump_intr) {
				res->intr++;
				continue;
			}
			bool ok = d.n == ATOMIC_RULES && !d.gen_mixed;

			for (size_t i = 0; ok && i < d.n; i++)
				ok = !strcmp(d.rules[i].service, d.rules[0].service) &&
				     d.rules[i].proto == d.rules[0].proto &&
				     d.rules[i].pmin == i + 1;
			if (ok)
				res->clean++;
			else
				res->mixed++;
		}
		_exit(0);
	}
	for (int i = 0; i < ATOMIC_ROUNDS; i++) {
		EXPECT_EQ(0, nlt_replace(&self->nl, i % 2 ? sa : sb, 1, i % 2 ? a : b,
					 ATOMIC_RULES, &self->ack)) TH_LOG("%s", self->ack.msg);
	}
	*stop = 1;
	EXPECT_EQ(0, wait_child(pid));
	TH_LOG("%d clean dumps, %d flagged NLM_F_DUMP_INTR", res->clean, res->intr);
	EXPECT_EQ(0, res->mixed);
	EXPECT_EQ(0, res->errors);
	EXPECT_LT(0, res->clean);
	munmap(res, 4096);
	free(a);
	free(b);
}

struct ntf {
	uint8_t cmd;
	uint32_t gen;
	bool has_gen, settings;
	int services, rules;
	char svc[40];
};

static int ntf_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	struct ntf *n = data;
	const struct nlattr *a;

	memset(n, 0, sizeof(*n));
	n->cmd = g->cmd;
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		switch (mnl_attr_get_type(a)) {
		case PORTSTEER_A_GENERATION:
			n->gen = mnl_attr_get_u32(a);
			n->has_gen = true;
			break;
		case PORTSTEER_A_SERVICE: {
			struct nlt_service s;

			if (!nlt_parse_service(a, &s))
				snprintf(n->svc, sizeof(n->svc), "%s", s.name);
			n->services++;
			break;
		}
		case PORTSTEER_A_RULE:
			n->rules++;
			break;
		case PORTSTEER_A_SETTINGS:
			n->settings = true;
			break;
		}
	}
	return MNL_CB_OK;
}

TEST_F(ps, notifications)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const struct nlt_rule rr[] = {
		{ PORTSTEER_FAMILY_INET, IPPROTO_TCP, 1, 1, "r", PORTSTEER_DIRECTION_DST },
	};
	const char *const rs[] = { "r" };
	struct {
		uint8_t cmd;
		int services, rules;
		bool settings, same_gen;
	} want[] = {
		{ PORTSTEER_CMD_SERVICE_NEW, 1, 0, false, false },
		{ PORTSTEER_CMD_SERVICE_SET, 1, 0, false, false },
		{ PORTSTEER_CMD_RULE_NEW, 0, 2, false, false },
		{ PORTSTEER_CMD_RULE_DEL, 0, 1, false, false },
		{ PORTSTEER_CMD_SETTINGS_SET, 0, 0, true, false },
		/* counters are not configuration: the generation stays */
		{ PORTSTEER_CMD_STATS_RESET, 0, 0, false, true },
		{ PORTSTEER_CMD_SERVICE_DEL, 1, 0, false, false },
		{ PORTSTEER_CMD_REPLACE_COMMIT, 0, 0, false, false },
		{ PORTSTEER_CMD_FLUSH, 0, 0, false, false },
	};
	struct nlt_settings st;
	struct nlt_nl listener;
	struct nlmsghdr *nlh;
	uint32_t gen;
	size_t i;

	ASSERT_EQ(0, nlt_nl_open(&listener));
	ASSERT_EQ(0, nlt_nl_join(&listener));
	ASSERT_EQ(0, nlt_get_settings(&self->nl, &st, &self->ack));
	gen = st.generation;

	ASSERT_EQ(0, svc_new(&self->nl, "web", 1, -1, -1, -1, &self->ack));
	ASSERT_EQ(0, svc_set(&self->nl, "web", 2, -1, -1, -1, &self->ack));
	nlh = nlt_msg(&self->nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
	nlt_put_rule(nlh, -1, IPPROTO_TCP, 80, -1, "web");
	nlt_put_rule(nlh, -1, IPPROTO_TCP, 81, -1, "web");
	ASSERT_EQ(0, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack));
	ASSERT_EQ(0, rule_cmd(&self->nl, PORTSTEER_CMD_RULE_DEL, -1, IPPROTO_TCP, 80, -1, NULL,
			      &self->ack));
	ASSERT_EQ(0, settings_set(&self->nl, -1, -1, -1, -1, 5, &self->ack));
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_STATS_RESET, &self->ack));
	ASSERT_EQ(0, svc_del(&self->nl, "web", PORTSTEER_F_WITH_RULES, &self->ack));
	ASSERT_EQ(0, nlt_replace(&self->nl, rs, 1, rr, 1, &self->ack));
	/* what does not change the configuration is not notified */
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_BEGIN, &self->ack));
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_REPLACE_ABORT, &self->ack));
	ASSERT_EQ(0, nlt_get_settings(&self->nl, &st, &self->ack));
	ASSERT_EQ(0, nlt_simple(&self->nl, PORTSTEER_CMD_FLUSH, &self->ack));

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct ntf n = { 0 };
		int got;

		/* one message per recv */
		got = nlt_recv_ntf(&listener, 2000, ntf_cb, &n);
		ASSERT_EQ(1, got) TH_LOG("notification %zu (command %u) missing", i, want[i].cmd);
		EXPECT_EQ(want[i].cmd, n.cmd);
		EXPECT_TRUE(n.has_gen);
		EXPECT_EQ(want[i].services, n.services) TH_LOG("command %u", n.cmd);
		EXPECT_EQ(want[i].rules, n.rules) TH_LOG("command %u", n.cmd);
		EXPECT_EQ(want[i].settings, n.settings) TH_LOG("command %u", n.cmd);
		if (want[i].services)
			EXPECT_STREQ("web", n.svc);
		if (want[i].same_gen) {
			EXPECT_EQ(gen, n.gen) TH_LOG("command %u", n.cmd);
		} else {
			EXPECT_LT(gen, n.gen) TH_LOG("command %u", n.cmd);
		}
		gen = n.gen;
		if (want[i].cmd == PORTSTEER_CMD_REPLACE_COMMIT)
			EXPECT_EQ(st.generation, n.gen);
	}
	EXPECT_EQ(0, nlt_recv_ntf(&listener, 200, NULL, NULL));
	nlt_nl_close(&listener);
}

/*
 * A batch of rules too big for one message of a page is told in several,
 * each with the generation: no huge allocation, and nothing lost.
 */
TEST_F(ps, notifications_of_a_big_batch)
{
	static char big[256 * 1024];
	struct nlt_nl listener;
	struct nlmsghdr *nlh;
	int msgs = 0, rules = 0, got;
	uint32_t gen = 0;

	ASSERT_EQ(0, nlt_nl_open(&listener));
	ASSERT_EQ(0, nlt_nl_join(&listener));
	ASSERT_EQ(0, svc_new(&self->nl, "many", 1, -1, -1, -1, &self->ack));
	ASSERT_EQ(1, nlt_recv_ntf(&listener, 2000, NULL, NULL));
	nlh = nlt_msg(&self->nl, big, PORTSTEER_CMD_RULE_NEW, 0);
	for (int p = 0; p < 2000; p++)
		nlt_put_rule(nlh, -1, IPPROTO_UDP, 20000 + p, -1, "many");
	ASSERT_EQ(0, nlt_talk(&self->nl, nlh, NULL, NULL, &self->ack)) TH_LOG("%s", self->ack.msg);
	while (rules < 2000) {
		struct ntf n = { 0 };

		got = nlt_recv_ntf(&listener, 2000, ntf_cb, &n);
		ASSERT_LT(0, got) TH_LOG("%d of 2000 rules told", rules);
		ASSERT_EQ(PORTSTEER_CMD_RULE_NEW, n.cmd);
		ASSERT_TRUE(n.has_gen);
		if (msgs)
			EXPECT_EQ(gen, n.gen);
		gen = n.gen;
		msgs += got;
		rules += n.rules;
	}
	EXPECT_EQ(2000, rules);
	EXPECT_LT(1, msgs);
	EXPECT_EQ(0, nlt_recv_ntf(&listener, 200, NULL, NULL));
	nlt_nl_close(&listener);
}

/* --- Lifetime --------------------------------------------------------------- */

/* A netns with everything configured, and a transaction open. */
static int configure_netns(void)
{
	const struct nlt_rule rules[] = {
		{ PORTSTEER_FAMILY_INET, IPPROTO_TCP, 1, 1000, "a", PORTSTEER_DIRECTION_DST },
		{ PORTSTEER_FAMILY_IPV6, IPPROTO_UDP, 53, 53, "b", PORTSTEER_DIRECTION_DST },
	};
	const char *const svcs[] = { "a", "b" };
	struct nlt_ack ack;
	struct nlt_nl nl;

	if (nlt_nl_open(&nl) || nlt_replace(&nl, svcs, 2, rules, 2, &ack) ||
	    settings_set(&nl, 1, -100, 1, 1, 3, &ack) ||
	    nlt_simple(&nl, PORTSTEER_CMD_REPLACE_BEGIN, &ack) ||
	    nlt_nl_join(&nl))
		return -1;
	/* the socket stays open: the caller exits with it */
	return 0;
}

FIXTURE(lifetime) {
	int unused;
};

FIXTURE_SETUP(lifetime)
{
}

FIXTURE_TEARDOWN(lifetime)
{
}

TEST_F_TIMEOUT(lifetime, config_freed_with_netns_and_module, 300)
{
	unsigned long taint = read_taint();
	int pipefd[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, nlt_load(""));
	/* namespaces that come and go */
	for (int i = 0; i < 10; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			_exit(unshare(CLONE_NEWNET) || configure_netns());
		ASSERT_EQ(0, wait_child(pid));
	}
	/* the netns cleanup is asynchronous; the module goes meanwhile */
	ASSERT_EQ(0, run("rmmod portsteer")) TH_LOG("rmmod after netns exit failed");

	/* a configured netns, alive while the module goes */
	ASSERT_EQ(0, nlt_load(""));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(pipefd[0]);
		if (unshare(CLONE_NEWNET) || configure_netns())
			_exit(1);
		if (write(pipefd[1], "x", 1) != 1)
			_exit(2);
		/* until the parent is done */
		if (read(pipefd[1], &c, 1) < 0)
			_exit(0);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	EXPECT_EQ(0, run("rmmod portsteer")) TH_LOG("rmmod with a configured netns failed");
	kill(pid, SIGKILL);
	wait_child(pid);
	close(pipefd[0]);
	/* and back, for what follows */
	ASSERT_EQ(0, nlt_load(""));
	usleep(500 * 1000);
	EXPECT_EQ(taint & NLT_TAINT_BAD, read_taint() & NLT_TAINT_BAD)
		TH_LOG("kernel tainted %lu", read_taint());
	EXPECT_EQ(0, read_taint() & NLT_TAINT_BAD);
}

TEST_HARNESS_MAIN
