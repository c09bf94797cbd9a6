// SPDX-License-Identifier: GPL-2.0
/*
 * failslab: every configuration path of the portsteer family, with each of
 * its slab allocations made to fail in turn (fail-nth, a per-task filter:
 * only this task's allocations fail). For each path and each N, the N-th
 * allocation of the request fails; the request must then report an error
 * and leave the configuration exactly as it was (generation included), or,
 * when the failed allocation came after the change was made (the ack or
 * the notification), report success or a lost ack and show exactly the
 * changed configuration. N grows until a request no longer meets a fault.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION and CONFIG_FAILSLAB, and
 * failslab set to consider sleeping allocations (failslab.sh does that).
 * Prints KTAP; one test per path.
 */

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/genetlink.h>

#include "nl_util.h"

#define MAX_NTH 2000

static struct nlt_nl nl;
static char buf[NLT_MSG_SIZE];
static unsigned long faults_total;

static int fail_nth_fd = -1;

static void set_fail_nth(unsigned int n)
{
	char s[16];
	int len = snprintf(s, sizeof(s), "%u", n);

	if (pwrite(fail_nth_fd, s, len, 0) != len) {
		printf("Bail out! fail-nth: %s\n", strerror(errno));
		exit(1);
	}
}

static unsigned int get_fail_nth(void)
{
	char s[16] = "";

	if (pread(fail_nth_fd, s, sizeof(s) - 1, 0) <= 0)
		return 0;
	return strtoul(s, NULL, 10);
}

static int must(int err, const char *what)
{
	if (err) {
		printf("Bail out! %s: %s\n", what, strerror(-err));
		exit(1);
	}
	return 0;
}

static void put_settings(struct nlmsghdr *nlh, int hook, long prio, int defrag)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, PORTSTEER_A_SETTINGS);

	if (hook >= 0)
		mnl_attr_put_u8(nlh, PORTSTEER_SETTINGS_A_HOOK, hook);
	if (prio != -1)
		mnl_attr_put_u32(nlh, PORTSTEER_SETTINGS_A_PRIORITY, (uint32_t)prio);
	if (defrag >= 0)
		mnl_attr_put_u8(nlh, PORTSTEER_SETTINGS_A_DEFRAG, defrag);
	mnl_attr_nest_end(nlh, n);
}

/* The starting configuration of every path: two services, three rules. */
static void base(void)
{
	struct nlmsghdr *nlh;

	nlt_simple(&nl, PORTSTEER_CMD_REPLACE_ABORT, NULL);
	must(nlt_simple(&nl, PORTSTEER_CMD_FLUSH, NULL), "flush");
	nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_SETTINGS_SET, 0);
	put_settings(nlh, PORTSTEER_HOOK_PREROUTING, -200, 0);
	must(nlt_talk(&nl, nlh, NULL, NULL, NULL), "settings");
	nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_SERVICE_NEW, 0);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "a", 1, -1, -1, -1);
	must(nlt_talk(&nl, nlh, NULL, NULL, NULL), "service a");
	nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_SERVICE_NEW, 0);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "b", 2, 4, 1, 1);
	must(nlt_talk(&nl, nlh, NULL, NULL, NULL), "service b");
	nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
	nlt_put_rule(nlh, -1, 6, 80, -1, "a");
	nlt_put_rule(nlh, PORTSTEER_FAMILY_IPV4, 17, 53, 54, "b");
	nlt_put_rule(nlh, PORTSTEER_FAMILY_IPV6, 132, 100, 200, "a");
	must(nlt_talk(&nl, nlh, NULL, NULL, NULL), "rules");
}

/* The base with the priority after conntrack's, as a conntrack mark wants. */
static void base_late(void)
{
	struct nlmsghdr *nlh;

	base();
	nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_SETTINGS_SET, 0);
	put_settings(nlh, -1, 0, -1);
	must(nlt_talk(&nl, nlh, NULL, NULL, NULL), "priority");
}

/* The base with 16 services: the next one outgrows the slot array. */
static void base_full(void)
{
	struct nlmsghdr *nlh;
	char name[8];
	int i;

	base();
	for (i = 0; i < 14; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_SERVICE_NEW, 0);
		nlt_put_service(nlh, PORTSTEER_A_SERVICE, name, 30 + i, -1, -1, -1);
		must(nlt_talk(&nl, nlh, NULL, NULL, NULL), "service sN");
	}
}

static void base_begin(void)
{
	base();
	must(nlt_simple(&nl, PORTSTEER_CMD_REPLACE_BEGIN, NULL), "begin");
}

static void txn_body(struct nlmsghdr *nlh)
{
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "a", 7, -1, -1, -1);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "web", 10, 2, 0, 0);
	nlt_put_rule(nlh, -1, 6, 443, -1, "web");
	nlt_put_rule(nlh, -1, 17, 1000, 2000, "a");
	nlt_put_rule(nlh, PORTSTEER_FAMILY_IPV6, 33, 5, -1, "web");
	put_settings(nlh, PORTSTEER_HOOK_INPUT, 50, 1);
}

static void base_added(void)
{
	struct nlmsghdr *nlh;

	base_begin();
	nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
	txn_body(nlh);
	must(nlt_talk(&nl, nlh, NULL, NULL, NULL), "add");
}

/* The requests under test. */
static struct nlmsghdr *req(int which)
{
	struct nlmsghdr *nlh;

	switch (which) {
	case 0:
		nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_SERVICE_NEW, 0);
		nlt_put_service(nlh, PORTSTEER_A_SERVICE, "c", 9, 3, 0, 0);
		return nlh;
	case 1:
		nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_SERVICE_SET, 0);
		nlt_put_service(nlh, PORTSTEER_A_SERVICE, "a", 20, 4, 1, -1);
		return nlh;
	case 2:
		nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_SERVICE_DEL, 0);
		nlt_put_service(nlh, PORTSTEER_A_SERVICE, "b", -1, -1, -1, -1);
		mnl_attr_put_u32(nlh, PORTSTEER_A_FLAGS, PORTSTEER_F_WITH_RULES);
		return nlh;
	case 3:
		nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
		nlt_put_rule(nlh, PORTSTEER_FAMILY_IPV6, 6, 1000, 2000, "a");
		nlt_put_rule(nlh, -1, 17, 7, -1, "b");
		nlt_put_rule(nlh, -1, 33, 9, 9, "a");
		nlt_put_rule(nlh, -1, 136, 65535, -1, "b");
		return nlh;
	case 4:
		nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_RULE_DEL, 0);
		nlt_put_rule(nlh, PORTSTEER_FAMILY_INET, 6, 80, 80, NULL);
		nlt_put_rule(nlh, PORTSTEER_FAMILY_IPV4, 17, 53, 54, "b");
		return nlh;
	case 5:		/* the hooks are registered anew */
		nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_SETTINGS_SET, 0);
		put_settings(nlh, PORTSTEER_HOOK_INPUT, 10, -1);
		return nlh;
	case 6:		/* defragmentation is taken */
		nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_SETTINGS_SET, 0);
		put_settings(nlh, -1, -1, 1);
		return nlh;
	case 7:
		return nlt_msg(&nl, buf, PORTSTEER_CMD_FLUSH, 0);
	case 8:
		return nlt_msg(&nl, buf, PORTSTEER_CMD_STATS_RESET, 0);
	case 9:
		return nlt_msg(&nl, buf, PORTSTEER_CMD_REPLACE_BEGIN, 0);
	case 10:
		nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
		txn_body(nlh);
		return nlh;
	case 11:
		return nlt_msg(&nl, buf, PORTSTEER_CMD_REPLACE_COMMIT, 0);
	case 13: {	/* a set of three hooks is registered anew */
		struct nlattr *n;

		nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_SETTINGS_SET, 0);
		n = mnl_attr_nest_start(nlh, PORTSTEER_A_SETTINGS);
		mnl_attr_put_u32(nlh, PORTSTEER_SETTINGS_A_HOOKS, PORTSTEER_HOOKS_INPUT |
				 PORTSTEER_HOOKS_FORWARD | PORTSTEER_HOOKS_OUTPUT);
		mnl_attr_nest_end(nlh, n);
		return nlh;
	}
	case 14: {	/* a conntrack mark: conntrack is taken */
		struct nlattr *n;

		nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_SERVICE_SET, 0);
		n = mnl_attr_nest_start(nlh, PORTSTEER_A_SERVICE);
		mnl_attr_put_strz(nlh, PORTSTEER_SERVICE_A_NAME, "a");
		mnl_attr_put_u32(nlh, PORTSTEER_SERVICE_A_CT_MARK, 2);
		mnl_attr_put_u32(nlh, PORTSTEER_SERVICE_A_CT_MARK_MASK, 2);
		mnl_attr_nest_end(nlh, n);
		return nlh;
	}
	case 15:	/* a rule moved to another service, a range of blocks added */
		nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
		mnl_attr_put_u32(nlh, PORTSTEER_A_FLAGS, PORTSTEER_F_REPLACE);
		nlt_put_rule(nlh, -1, 6, 80, -1, "b");
		nlt_put_rule(nlh, PORTSTEER_FAMILY_IPV4, 17, 3000, 9000, "a");
		return nlh;
	case 16:	/* the slot array grows */
		nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_SERVICE_NEW, 0);
		nlt_put_service(nlh, PORTSTEER_A_SERVICE, "z", 90, -1, -1, -1);
		return nlh;
	case 12:	/* the last rule of a service goes: the hook stays */
		nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_RULE_DEL, 0);
		nlt_put_rule(nlh, PORTSTEER_FAMILY_IPV6, 132, 100, 200, NULL);
		return nlh;
	}
	return NULL;
}

/*
 * @txn: whether a transaction is part of the state. A failed ADD or COMMIT
 * drops the transaction in the kernel, one refused before it ran does not:
 * for those, only the configuration is compared.
 */
static const struct path {
	const char *name;
	void (*prepare)(void);
	int req;
	bool txn;
} paths[] = {
	{ "service_new", base, 0, true },
	{ "service_set", base, 1, true },
	{ "service_del_with_rules", base, 2, true },
	{ "rule_new", base, 3, true },
	{ "rule_del", base, 4, true },
	{ "rule_del_one", base, 12, true },
	{ "rule_replace", base, 15, true },
	{ "service_new_grows_slots", base_full, 16, true },
	{ "settings_set_hook", base, 5, true },
	{ "settings_set_hook_set", base, 13, true },
	{ "service_set_ct_mark", base_late, 14, true },
	{ "settings_set_defrag", base, 6, true },
	{ "flush", base, 7, true },
	{ "stats_reset", base, 8, true },
	{ "replace_begin", base, 9, true },
	{ "replace_add", base_begin, 10, false },
	{ "replace_commit", base_added, 11, false },
};

/* The configuration, and whether a transaction of ours is open (@txn). */
static char *state(bool txn)
{
	char *s = nlt_snapshot(&nl), *out = NULL;
	struct nlt_ack ack;
	int err;

	if (!s) {
		printf("Bail out! cannot dump the configuration\n");
		exit(1);
	}
	/* an empty ADD tells whether the transaction is there, and keeps it */
	if (!txn)
		return s;
	err = nlt_simple(&nl, PORTSTEER_CMD_REPLACE_ADD, &ack);
	if (asprintf(&out, "%stransaction %s\n", s, err ? "none" : "open") < 0)
		exit(1);
	free(s);
	return out;
}

static int run_path(const struct path *p, unsigned int *faults)
{
	char *before, *after, *success;
	unsigned int n, left;
	struct nlt_ack ack;
	int err;

	/* Without faults: the configuration the request makes. */
	p->prepare();
	err = nlt_talk(&nl, req(p->req), NULL, NULL, &ack);
	if (err) {
		printf("# %s: fails without a fault: %s (%s)\n", p->name, strerror(-err), ack.msg);
		return -1;
	}
	success = state(p->txn);
	/* the generation is the only thing that differs between runs */
	*strchr(success, '\n') = 0;
	memmove(success, success + strlen(success) + 1, strlen(success + strlen(success) + 1) + 1);

	*faults = 0;
	for (n = 1; n <= MAX_NTH; n++) {
		const char *rest;

		p->prepare();
		before = state(p->txn);
		set_fail_nth(n);
		err = nlt_talk(&nl, req(p->req), NULL, NULL, &ack);
		left = get_fail_nth();
		set_fail_nth(0);
		if (err == -ENOBUFS || err == -ENOMEM) {
			/* the socket's own buffers: drain what is left */
			struct nlt_ack a2;

			nlt_simple(&nl, PORTSTEER_CMD_STATS_GET, &a2);
		}
		after = state(p->txn);
		rest = strchr(after, '\n') + 1;
		if (left) {	/* no allocation was left to fail: done */
			free(before);
			free(after);
			if (err) {
				printf("# %s: N=%u, no fault injected, yet %s\n", p->name, n,
				       strerror(-err));
				free(success);
				return -1;
			}
			break;
		}
		(*faults)++;
		if (err && err != -ENOBUFS && strcmp(before, after)) {
			printf("# %s: allocation %u failed (%s), and the configuration changed:\n"
			       "# before:\n%s# after:\n%s",
			       p->name, n, strerror(-err), before, after);
			free(success);
			return -1;
		}
		if (!err && strcmp(rest, success)) {
			printf("# %s: allocation %u failed, the request succeeded, but the configuration is not what it makes:\n%s",
			       p->name, n, after);
			free(success);
			return -1;
		}
		if (err == -ENOBUFS && strcmp(before, after) && strcmp(rest, success)) {
			printf("# %s: allocation %u failed, the ack was lost, and the configuration is neither the old nor the new:\n%s",
			       p->name, n, after);
			free(success);
			return -1;
		}
		free(before);
		free(after);
	}
	free(success);
	if (n > MAX_NTH) {
		printf("# %s: still failing at allocation %u\n", p->name, MAX_NTH);
		return -1;
	}
	return 0;
}

int main(void)
{
	unsigned int i, faults, fail = 0;

	fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (fail_nth_fd < 0) {
		printf("1..0 # SKIP no fail-nth (CONFIG_FAULT_INJECTION)\n");
		return 4;
	}
	if (nlt_nl_open(&nl)) {
		printf("Bail out! cannot open the portsteer family\n");
		return 1;
	}
	printf("TAP version 13\n1..%zu\n", sizeof(paths) / sizeof(paths[0]));
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (run_path(&paths[i], &faults)) {
			fail++;
			printf("not ok %u %s\n", i + 1, paths[i].name);
			continue;
		}
		faults_total += faults;
		printf("# %s: %u allocations failed in turn, each refused cleanly\n",
		       paths[i].name, faults);
		printf("ok %u %s\n", i + 1, paths[i].name);
	}
	printf("# %lu faults injected over %zu configuration paths\n", faults_total,
	       sizeof(paths) / sizeof(paths[0]));
	nlt_simple(&nl, PORTSTEER_CMD_FLUSH, NULL);
	nlt_nl_close(&nl);
	printf("# Totals: pass:%zu fail:%u xfail:0 xpass:0 skip:0 error:0\n",
	       sizeof(paths) / sizeof(paths[0]) - fail, fail);
	return fail ? 1 : 0;
}
