// SPDX-License-Identifier: GPL-2.0
/*
 * updates: incremental configuration changes, checked two ways.
 *
 *   updates model [-s SEED] [-n STEPS] [-t SECONDS] [-R]
 *   updates traffic [-n CHANGES] [-t SECONDS] [-R]
 *
 * "model": a model-based randomized test of incremental updates. From SEED
 * (default PS_UPDATES_SEED, else a fixed one; printed, so that a failure
 * replays) it makes STEPS changes (or as many as SECONDS allow) to the
 * configuration of its netns: a few dozen services and up to a few
 * thousand rules, added one by one, several per request, as single ports,
 * short ranges, ranges over several 256-port blocks and nearly whole port
 * spaces; deleted; moved to another service with NLM_F_REPLACE; services
 * created, changed (queue, balance, bypass) and deleted with their rules;
 * and now and then a whole replace transaction or a flush. Families ip, ip6
 * and inet, directions dport, sport and port, protocols tcp, udp, udplite,
 * sctp and dccp. For every request its own model predicts the kernel's
 * answer (success, or the errno: overlap, unknown service, a rule given
 * twice...) and applies what was accepted; every CHECK_EVERY steps and at
 * the end the services, rules and generation the kernel dumps must be the
 * model's. The module must have been loaded with check_updates=1 (it
 * rebuilds the lookup table from scratch after each change and compares it
 * with the incrementally updated one): the parameter must be Y, and
 * checked_updates must have grown by at least the number of accepted
 * changes. -R leaves NLM_F_REPLACE requests out (for a module without them).
 *
 * "traffic": readers never see half a change. On loopback in its netns
 * (lo up; the caller makes the netns), with the hook at output (so a
 * packet is classified inside its sender's sendmsg(), in send order), a
 * sender sends UDP datagrams alternately to the lowest and the highest port
 * of 1000-3000, each with a sequence number; an NFQUEUE consumer of the
 * services' queues and UDP sockets on both ports record where each one
 * went (which queue, or no queue). Meanwhile the main thread moves the
 * range between services, and records the sender's count before each
 * request and after its ack. Then, for each change: every packet before it
 * went by the old configuration, every packet after it by the new one, and
 * the packets sent while it was being made switched from old to new once,
 * never back and forth. Kinds of change, each its own result:
 *   del_add_multiblock   one rule 1000-3000: RULE_DEL, then RULE_NEW
 *   multi_rule_del_add   rules 1000-1999 and 2000-3000 in one RULE_DEL,
 *                        then in one RULE_NEW
 *   replace_single       one rule 1000-3000, RULE_NEW with NLM_F_REPLACE
 *   replace_multi        1000-1999 and 2000-3000, one RULE_NEW with
 *                        NLM_F_REPLACE
 *   service_set_queue    the service's queue moves (SERVICE_SET)
 *
 * Output: "pass NAME", "fail NAME" and "# ..." lines (selftests/lib.sh's
 * ktap_lines makes KTAP of them).
 */

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nl_util.h"

#define PARAM_DIR	"/sys/module/portsteer/parameters/"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A module parameter as text ("" when it does not exist). */
static bool read_param(const char *name, char *buf, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	buf[0] = 0;
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(buf, len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return true;
}

/*
 * The model
 */

#define NPROTO		5
#define NAME_POOL	48	/* names "u00".."u47" */
#define MAX_SVC		NAME_POOL
#define MAX_RULES	8192
#define RULE_CAP	3600	/* no adds beyond this many rules */
#define REQ_MAX		16	/* rules in one request */
#define CHECK_EVERY	250
#define LOG_RING	12

static const uint8_t protos[NPROTO] = { 6, 17, 136, 132, 33 };

struct m_svc {
	bool used;
	uint16_t queue;
	uint32_t count;
	uint8_t balance, bypass;
};

struct m_rule {
	uint8_t family, proto, dir;
	uint16_t lo, hi;
	int svc;		/* index in the name pool */
};

struct model {
	struct m_svc svc[MAX_SVC];
	struct m_rule rule[MAX_RULES];
	unsigned int nrule;
	uint32_t gen;
};

static struct model M;
static char logring[LOG_RING][160];
static unsigned long logpos;
static bool no_replace;

static void svc_name(char *buf, size_t len, int i)
{
	snprintf(buf, len, "u%02d", i);
}

static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(logring[logpos++ % LOG_RING], sizeof(logring[0]), fmt, ap);
	va_end(ap);
}

static void print_log(void)
{
	unsigned long i = logpos > LOG_RING ? logpos - LOG_RING : 0;

	printf("# the last requests:\n");
	for (; i < logpos; i++)
		printf("#   %s\n", logring[i % LOG_RING]);
}

static bool overlap(const struct m_rule *a, const struct m_rule *b)
{
	return a->proto == b->proto && (a->family & b->family) && (a->dir & b->dir) &&
	       a->lo <= b->hi && b->lo <= a->hi;
}

static bool same_key(const struct m_rule *a, const struct m_rule *b)
{
	return a->proto == b->proto && a->family == b->family && a->dir == b->dir &&
	       a->lo == b->lo && a->hi == b->hi;
}

static int rule_cmp(const void *pa, const void *pb)
{
	const struct m_rule *a = pa, *b = pb;

	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->dir != b->dir)
		return a->dir < b->dir ? -1 : 1;
	return a->hi < b->hi ? -1 : a->hi > b->hi;
}

static int find_exact(const struct m_rule *r)
{
	unsigned int i;

	for (i = 0; i < M.nrule; i++)
		if (same_key(&M.rule[i], r))
			return i;
	return -1;
}

static bool overlaps_model(const struct m_rule *r, int except)
{
	unsigned int i;

	for (i = 0; i < M.nrule; i++)
		if ((int)i != except && overlap(&M.rule[i], r))
			return true;
	return false;
}

/* How far after @s the next service in use is, or MAX_SVC if none is. */
static unsigned int next_used_svc(int s)
{
	unsigned int j;

	for (j = 1; j < MAX_SVC; j++)
		if (M.svc[(s + j) % MAX_SVC].used)
			break;
	return j;
}

static int used_svc(void)
{
	int i, n = 0, pick;

	for (i = 0; i < MAX_SVC; i++)
		n += M.svc[i].used;
	if (!n)
		return -1;
	pick = below(n);
	for (i = 0; i < MAX_SVC; i++)
		if (M.svc[i].used && !pick--)
			return i;
	return -1;
}

static unsigned int svc_rules(int s)
{
	unsigned int i, n = 0;

	for (i = 0; i < M.nrule; i++)
		n += M.rule[i].svc == s;
	return n;
}

/* Ports: clustered low so that requests meet, blocks of 256 crossed. */
static void gen_ports(struct m_rule *r)
{
	unsigned int k = below(100), len;

	if (k < 40) {			/* a single port */
		r->lo = chance(70) ? 1 + below(4096) : 1 + below(65535);
		r->hi = r->lo;
	} else if (k < 70) {		/* a short range */
		r->lo = chance(70) ? 1 + below(4096) : 1 + below(65500);
		r->hi = r->lo + 1 + below(15);
	} else if (k < 80) {		/* a short range around a block boundary */
		r->lo = 256 * (1 + below(255)) - 1 - below(8);
		r->hi = r->lo + 1 + below(16);
	} else if (k < 96) {		/* several blocks */
		len = 256 + below(2400);
		r->lo = 1 + below(65535 - len);
		r->hi = r->lo + len;
	} else {			/* nearly everything */
		r->lo = 1 + below(chance(50) ? 1 : 300);
		r->hi = 65535 - (chance(50) ? 0 : below(300));
	}
}

static void gen_rule(struct m_rule *r)
{
	r->family = 1 + below(3);
	r->proto = protos[below(NPROTO)];
	r->dir = 1 + below(3);
	gen_ports(r);
	r->svc = used_svc();
	if (r->svc < 0 || chance(3))
		r->svc = below(NAME_POOL);	/* perhaps one that does not exist */
}

/*
 * Requests
 */

struct req {
	uint8_t cmd;
	uint16_t flags;
	struct m_rule rule[REQ_MAX];
	bool rsvc[REQ_MAX];	/* the rule names its service (RULE_DEL) */
	unsigned int n;
	int svc;		/* service requests */
	bool q, c, b, y, with_rules;
	uint16_t queue;
	uint32_t count;
	uint8_t balance, bypass;
};

static const char *cmd_name(uint8_t cmd)
{
	switch (cmd) {
	case PORTSTEER_CMD_SERVICE_NEW: return "service-new";
	case PORTSTEER_CMD_SERVICE_SET: return "service-set";
	case PORTSTEER_CMD_SERVICE_DEL: return "service-del";
	case PORTSTEER_CMD_RULE_NEW: return "rule-new";
	case PORTSTEER_CMD_RULE_DEL: return "rule-del";
	case PORTSTEER_CMD_FLUSH: return "flush";
	default: return "?";
	}
}

static void describe(char *buf, size_t len, unsigned long step, const struct req *q)
{
	int o = snprintf(buf, len, "%lu %s%s", step, cmd_name(q->cmd),
			 q->flags & NLM_F_REPLACE ? " REPLACE" : "");
	unsigned int i;

	if (q->cmd >= PORTSTEER_CMD_SERVICE_NEW && q->cmd <= PORTSTEER_CMD_SERVICE_DEL)
		o += snprintf(buf + o, len - o, " u%02d", q->svc);
	for (i = 0; i < q->n && o < (int)len - 1; i++)
		o += snprintf(buf + o, len - o, " [f%u p%u d%u %u-%u u%02d]", q->rule[i].family,
			      q->rule[i].proto, q->rule[i].dir, q->rule[i].lo, q->rule[i].hi,
			      q->rule[i].svc);
}

static void put_rule(struct nlmsghdr *nlh, const struct m_rule *r, bool with_svc)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, PORTSTEER_A_RULE);
	char name[8];

	mnl_attr_put_u8(nlh, PORTSTEER_RULE_A_FAMILY, r->family);
	mnl_attr_put_u8(nlh, PORTSTEER_RULE_A_PROTO, r->proto);
	mnl_attr_put_u16(nlh, PORTSTEER_RULE_A_PORT_MIN, r->lo);
	if (r->hi != r->lo || chance(30))
		mnl_attr_put_u16(nlh, PORTSTEER_RULE_A_PORT_MAX, r->hi);
	if (r->dir != PORTSTEER_DIRECTION_DST || chance(50))
		mnl_attr_put_u8(nlh, PORTSTEER_RULE_A_DIRECTION, r->dir);
	if (with_svc) {
		svc_name(name, sizeof(name), r->svc);
		mnl_attr_put_strz(nlh, PORTSTEER_RULE_A_SERVICE, name);
	}
	mnl_attr_nest_end(nlh, nest);
}

static void put_svc(struct nlmsghdr *nlh, const struct req *q)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, PORTSTEER_A_SERVICE);
	char name[8];

	svc_name(name, sizeof(name), q->svc);
	mnl_attr_put_strz(nlh, PORTSTEER_SERVICE_A_NAME, name);
	if (q->q)
		mnl_attr_put_u16(nlh, PORTSTEER_SERVICE_A_QUEUE, q->queue);
	if (q->c)
		mnl_attr_put_u32(nlh, PORTSTEER_SERVICE_A_QUEUE_COUNT, q->count);
	if (q->b)
		mnl_attr_put_u8(nlh, PORTSTEER_SERVICE_A_BALANCE, q->balance);
	if (q->y)
		mnl_attr_put_u8(nlh, PORTSTEER_SERVICE_A_BYPASS, q->bypass);
	mnl_attr_nest_end(nlh, nest);
}

static void gen_req(struct req *q)
{
	unsigned int k = below(1000), i, n;

	memset(q, 0, sizeof(*q));
	if (M.nrule >= RULE_CAP && k < 450)
		k = 450 + below(550);	/* full: no plain adds */
	if (no_replace && k >= 450 && k < 600)
		k = below(450);
	if (k < 300) {			/* one rule */
		q->cmd = PORTSTEER_CMD_RULE_NEW;
		q->n = 1;
		gen_rule(&q->rule[0]);
	} else if (k < 450) {		/* several, often side by side */
		q->cmd = PORTSTEER_CMD_RULE_NEW;
		q->n = 2 + below(REQ_MAX - 1);
		for (i = 0; i < q->n; i++) {
			gen_rule(&q->rule[i]);
			if (i && chance(60)) {
				struct m_rule *p = &q->rule[i - 1];

				q->rule[i] = *p;
				if (p->hi > 65000) {
					q->n = i;
					break;
				}
				q->rule[i].lo = p->hi + 1 + (chance(50) ? 0 : below(3));
				q->rule[i].hi = q->rule[i].lo + (chance(50) ? 0 : below(500));
				if (chance(30))
					q->rule[i].svc = used_svc() < 0 ? 0 : used_svc();
			}
		}
	} else if (k < 600) {		/* replace: existing rules, and new ones */
		q->cmd = PORTSTEER_CMD_RULE_NEW;
		q->flags = NLM_F_REPLACE;
		n = 1 + (chance(60) ? 0 : below(8));
		for (i = 0; i < n; i++) {
			struct m_rule *r = &q->rule[q->n];
			unsigned int j;
			int s;

			if (M.nrule && chance(80)) {
				*r = M.rule[below(M.nrule)];
				s = used_svc();
				/* a no-op change is left out: another service */
				if (s == r->svc) {
					j = next_used_svc(s);
					if (j == MAX_SVC)
						continue;
					s = (s + j) % MAX_SVC;
				}
				if (chance(2))
					s = below(NAME_POOL);
				r->svc = s;
				if (chance(5))	/* the same ports, another key */
					r->family = 1 + below(3);
				if (chance(5))
					r->hi = r->lo == r->hi && r->hi < 65535 ? r->hi + 1 :
						r->hi > r->lo ? r->hi - 1 : r->hi;
			} else {
				gen_rule(r);
			}
			/* the same rule twice in one request: not asked */
			for (j = 0; j < q->n; j++)
				if (same_key(&q->rule[j], r))
					break;
			if (j == q->n)
				q->n++;
		}
		if (!q->n) {
			q->flags = 0;
			q->n = 1;
			gen_rule(&q->rule[0]);
		}
	} else if (k < 800) {		/* delete */
		q->cmd = PORTSTEER_CMD_RULE_DEL;
		q->n = 1 + (chance(60) ? 0 : below(8));
		for (i = 0; i < q->n; i++) {
			if (M.nrule && chance(90))
				q->rule[i] = M.rule[below(M.nrule)];
			else
				gen_rule(&q->rule[i]);
			if (chance(4) && q->rule[i].hi > q->rule[i].lo)
				q->rule[i].hi--;	/* part of a rule: no such rule */
			q->rsvc[i] = chance(25);
			if (q->rsvc[i] && chance(20))
				q->rule[i].svc = below(NAME_POOL);
			if (i && chance(3))
				q->rule[i] = q->rule[0];	/* twice */
		}
	} else if (k < 850) {
		q->cmd = PORTSTEER_CMD_SERVICE_NEW;
		q->svc = below(NAME_POOL);
		q->q = !chance(2);
		q->queue = chance(97) ? below(1000) : 65535 - below(4);
		q->c = chance(50);
		q->count = 1 + below(8);
		q->b = chance(50);
		q->balance = below(2);
		q->y = chance(50);
		q->bypass = below(2);
	} else if (k < 950) {
		q->cmd = PORTSTEER_CMD_SERVICE_SET;
		q->svc = chance(95) && used_svc() >= 0 ? used_svc() : (int)below(NAME_POOL);
		q->q = chance(50);
		q->queue = chance(98) ? below(1000) : 65535 - below(4);
		q->c = chance(30);
		q->count = 1 + below(8);
		q->b = chance(40);
		q->balance = below(2);
		q->y = chance(40);
		q->bypass = below(2);
		if (!q->q && !q->c && !q->b && !q->y)
			q->y = true;
	} else if (k < 985) {		/* a service's queue, balance, bypass */
		q->cmd = PORTSTEER_CMD_SERVICE_SET;
		q->svc = used_svc() >= 0 ? used_svc() : (int)below(NAME_POOL);
		q->y = true;
		q->bypass = below(2);
		q->b = chance(50);
		q->balance = below(2);
	} else if (k < 999) {
		q->cmd = PORTSTEER_CMD_SERVICE_DEL;
		q->svc = chance(95) && used_svc() >= 0 ? used_svc() : (int)below(NAME_POOL);
		q->with_rules = chance(50);
	} else {
		q->cmd = PORTSTEER_CMD_FLUSH;
	}
}

/* What the kernel must answer; a success is applied to the model. */
static int m_apply(const struct req *q)
{
	struct m_rule *r;
	bool gone[MAX_RULES];
	int idx[REQ_MAX];
	unsigned int i, j, n;
	struct m_svc *s;

	switch (q->cmd) {
	case PORTSTEER_CMD_RULE_NEW:
		for (i = 0; i < q->n; i++) {
			if (q->rule[i].hi < q->rule[i].lo)
				return -EINVAL;
			if (!M.svc[q->rule[i].svc].used)
				return -ENOENT;
		}
		for (i = 0; i < q->n; i++)
			for (j = i + 1; j < q->n; j++)
				if (overlap(&q->rule[i], &q->rule[j]))
					return -EEXIST;
		for (i = 0; i < q->n; i++) {
			idx[i] = (q->flags & NLM_F_REPLACE) ? find_exact(&q->rule[i]) : -1;
			if (overlaps_model(&q->rule[i], idx[i]))
				return -EEXIST;
		}
		for (i = 0; i < q->n; i++) {
			if (idx[i] >= 0)
				M.rule[idx[i]].svc = q->rule[i].svc;
			else
				M.rule[M.nrule++] = q->rule[i];
		}
		return 0;
	case PORTSTEER_CMD_RULE_DEL:
		for (i = 0; i < q->n; i++)
			if (q->rsvc[i] && !M.svc[q->rule[i].svc].used)
				return -ENOENT;
		memset(gone, 0, M.nrule * sizeof(gone[0]));
		for (i = 0; i < q->n; i++) {
			r = (struct m_rule *)&q->rule[i];
			for (j = 0; j < M.nrule; j++)
				if (M.rule[j].proto == r->proto && M.rule[j].lo == r->lo &&
				    M.rule[j].family == r->family && M.rule[j].dir == r->dir)
					break;
			if (j == M.nrule || M.rule[j].hi != r->hi ||
			    (q->rsvc[i] && M.rule[j].svc != r->svc))
				return -ENOENT;
			if (gone[j])
				return -EINVAL;
			gone[j] = true;
		}
		for (i = 0, n = 0; i < M.nrule; i++)
			if (!gone[i])
				M.rule[n++] = M.rule[i];
		M.nrule = n;
		return 0;
	case PORTSTEER_CMD_SERVICE_NEW:
		s = &M.svc[q->svc];
		if (!q->q)
			return -EINVAL;
		if (s->used)
			return -EEXIST;
		if (q->queue + (q->c ? q->count : 1) - 1 > 65535)
			return -ERANGE;
		s->used = true;
		s->queue = q->queue;
		s->count = q->c ? q->count : 1;
		s->balance = q->b ? q->balance : 0;
		s->bypass = q->y ? q->bypass : 0;
		return 0;
	case PORTSTEER_CMD_SERVICE_SET:
		s = &M.svc[q->svc];
		if (!s->used)
			return -ENOENT;
		if ((q->q ? q->queue : s->queue) + (q->c ? q->count : s->count) - 1 > 65535)
			return -ERANGE;
		if (q->q)
			s->queue = q->queue;
		if (q->c)
			s->count = q->count;
		if (q->b)
			s->balance = q->balance;
		if (q->y)
			s->bypass = q->bypass;
		return 0;
	case PORTSTEER_CMD_SERVICE_DEL:
		s = &M.svc[q->svc];
		if (!s->used)
			return -ENOENT;
		if (svc_rules(q->svc) && !q->with_rules)
			return -EBUSY;
		for (i = 0, n = 0; i < M.nrule; i++)
			if (M.rule[i].svc != q->svc)
				M.rule[n++] = M.rule[i];
		M.nrule = n;
		s->used = false;
		return 0;
	case PORTSTEER_CMD_FLUSH:
		memset(M.svc, 0, sizeof(M.svc));
		M.nrule = 0;
		return 0;
	}
	return -EOPNOTSUPP;
}

static struct nlmsghdr *encode(struct nlt_nl *nl, char *buf, const struct req *q)
{
	/* NLM_F_REPLACE marks a replace here; the family takes it as a flag. */
	struct nlmsghdr *nlh = nlt_msg(nl, buf, q->cmd, 0);

	if (q->flags & NLM_F_REPLACE)
		mnl_attr_put_u32(nlh, PORTSTEER_A_FLAGS, PORTSTEER_F_REPLACE);
	unsigned int i;

	switch (q->cmd) {
	case PORTSTEER_CMD_RULE_NEW:
	case PORTSTEER_CMD_RULE_DEL:
		for (i = 0; i < q->n; i++)
			put_rule(nlh, &q->rule[i], q->cmd == PORTSTEER_CMD_RULE_NEW || q->rsvc[i]);
		break;
	case PORTSTEER_CMD_SERVICE_NEW:
	case PORTSTEER_CMD_SERVICE_SET:
		put_svc(nlh, q);
		break;
	case PORTSTEER_CMD_SERVICE_DEL: {
		struct req only = *q;

		only.q = false;
		only.c = false;
		only.b = false;
		only.y = false;
		put_svc(nlh, &only);
		if (q->with_rules)
			mnl_attr_put_u32(nlh, PORTSTEER_A_FLAGS, PORTSTEER_F_WITH_RULES);
		break;
	}
	}
	return nlh;
}

/*
 * A whole replace transaction: a fresh set of services and up to @max rules,
 * disjoint by construction. Returns the number of accepted changes (0 or 1).
 */
static int do_transaction(struct nlt_nl *nl, char *buf, unsigned int max, unsigned long step)
{
	static struct model T;
	struct nlmsghdr *nlh;
	struct nlt_ack ack;
	struct req sq;
	unsigned int i, p, want = below(max + 1), nsvc = 4 + below(MAX_SVC - 4);
	int err;

	memset(&T, 0, sizeof(T));
	T.gen = M.gen;
	/* a stale transaction first, now and then: refused, nothing changes */
	if (chance(20)) {
		nlh = nlt_msg(nl, buf, PORTSTEER_CMD_REPLACE_BEGIN, 0);
		mnl_attr_put_u32(nlh, PORTSTEER_A_GENERATION, M.gen + 1);
		err = nlt_talk(nl, nlh, NULL, NULL, &ack);
		note("%lu replace-begin with generation %u (stale): %d", step, M.gen + 1, err);
		if (err != -ESTALE) {
			printf("# step %lu: a stale REPLACE_BEGIN got %d (%s), not ESTALE\n",
			       step, err, ack.msg);
			return -1;
		}
	}
	for (i = 0; i < MAX_SVC; i++) {
		T.svc[i].used = i < nsvc || (M.svc[i].used && chance(30));
		T.svc[i].queue = below(1000);
		T.svc[i].count = 1 + below(4);
		T.svc[i].balance = below(2);
		T.svc[i].bypass = below(2);
	}
	for (p = 0; p < NPROTO && T.nrule < want; p++) {
		unsigned int port = 1 + below(50), len, end = T.nrule + want / NPROTO + 1;

		while (T.nrule < want && T.nrule < end && port < 65535) {
			struct m_rule *r = &T.rule[T.nrule++];

			len = chance(90) ? below(4) : chance(80) ? below(40) : 256 + below(1500);
			r->proto = protos[p];
			r->family = 1 + below(3);
			r->dir = 1 + below(3);
			r->lo = port;
			r->hi = port + len > 65535 ? 65535 : port + len;
			do {
				r->svc = below(MAX_SVC);
			} while (!T.svc[r->svc].used);
			port = r->hi + 1 + (chance(50) ? 0 : below(60));
		}
	}
	note("%lu replace: %u services, %u rules", step, nsvc, T.nrule);

	err = nlt_simple(nl, PORTSTEER_CMD_REPLACE_BEGIN, &ack);
	nlh = nlt_msg(nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
	for (i = 0; !err && i < MAX_SVC; i++) {
		if (!T.svc[i].used)
			continue;
		memset(&sq, 0, sizeof(sq));
		sq.svc = i;
		sq.q = true;
		sq.c = true;
		sq.b = true;
		sq.y = true;
		sq.queue = T.svc[i].queue;
		sq.count = T.svc[i].count;
		sq.balance = T.svc[i].balance;
		sq.bypass = T.svc[i].bypass;
		put_svc(nlh, &sq);
	}
	for (i = 0; !err && i < T.nrule; i++) {
		if (nlh->nlmsg_len > NLT_MSG_SIZE - 4096) {
			err = nlt_talk(nl, nlh, NULL, NULL, &ack);
			nlh = nlt_msg(nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
		}
		put_rule(nlh, &T.rule[i], true);
	}
	if (!err)
		err = nlt_talk(nl, nlh, NULL, NULL, &ack);
	if (!err)
		err = nlt_simple(nl, PORTSTEER_CMD_REPLACE_COMMIT, &ack);
	if (err) {
		printf("# step %lu: the replace transaction failed: %d (%s) %s\n", step, err,
		       strerror(-err), ack.msg);
		return -1;
	}
	M = T;
	M.gen++;
	return 1;
}

/* The kernel's services and rules against the model's. */
static bool check_model(struct nlt_nl *nl, unsigned long step)
{
	static struct m_rule want[MAX_RULES], got[MAX_RULES];
	struct nlt_dump_services ds = { 0 };
	struct nlt_dump_rules dr = { 0 };
	struct nlt_settings st;
	unsigned int i, nsvc = 0, bad = 0;
	bool ok = true;
	char name[8];

	if (nlt_get_services(nl, &ds, NULL) || nlt_get_rules(nl, &dr, NULL) ||
	    nlt_get_settings(nl, &st, NULL)) {
		printf("# step %lu: cannot dump the configuration\n", step);
		return false;
	}
	if (st.generation != M.gen) {
		printf("# step %lu: generation %u, the model's %u\n", step, st.generation, M.gen);
		ok = false;
	}
	for (i = 0; i < MAX_SVC; i++)
		nsvc += M.svc[i].used;
	if (ds.n != nsvc) {
		printf("# step %lu: %zu services, the model has %u\n", step, ds.n, nsvc);
		ok = false;
	}
	for (i = 0; i < ds.n; i++) {
		const struct nlt_service *k = &ds.svcs[i];
		int s = -1;
		unsigned int n;

		if (k->name[0] == 'u' && strlen(k->name) == 3)
			s = atoi(k->name + 1);
		if (s < 0 || s >= MAX_SVC || !M.svc[s].used) {
			printf("# step %lu: service %s is not in the model\n", step, k->name);
			ok = false;
			continue;
		}
		n = svc_rules(s);
		if (k->queue != M.svc[s].queue || k->count != M.svc[s].count ||
		    k->balance != M.svc[s].balance || k->bypass != M.svc[s].bypass ||
		    k->rules != n) {
			printf("# step %lu: service %s queue %u count %u balance %u bypass %u rules %u; the model's: %u %u %u %u %u\n",
			       step, k->name, k->queue, k->count, k->balance, k->bypass, k->rules,
			       M.svc[s].queue, M.svc[s].count, M.svc[s].balance,
			       M.svc[s].bypass, n);
			ok = false;
		}
	}
	if (dr.n != M.nrule) {
		printf("# step %lu: %zu rules, the model has %u\n", step, dr.n, M.nrule);
		ok = false;
	}
	if (dr.n <= MAX_RULES) {
		for (i = 0; i < dr.n; i++) {
			got[i].family = dr.rules[i].family;
			got[i].proto = dr.rules[i].proto;
			got[i].dir = dr.rules[i].direction;
			got[i].lo = dr.rules[i].pmin;
			got[i].hi = dr.rules[i].pmax;
			got[i].svc = dr.rules[i].service[0] == 'u' ?
				     atoi(dr.rules[i].service + 1) : -1;
		}
		memcpy(want, M.rule, M.nrule * sizeof(want[0]));
		qsort(got, dr.n, sizeof(got[0]), rule_cmp);
		qsort(want, M.nrule, sizeof(want[0]), rule_cmp);
		for (i = 0; i < dr.n && i < M.nrule && bad < 5; i++) {
			if (same_key(&got[i], &want[i]) && got[i].svc == want[i].svc)
				continue;
			svc_name(name, sizeof(name), want[i].svc);
			printf("# step %lu: rule %u: kernel f%u p%u d%u %u-%u u%02d, model f%u p%u d%u %u-%u %s\n",
			       step, i, got[i].family, got[i].proto, got[i].dir, got[i].lo,
			       got[i].hi, got[i].svc, want[i].family, want[i].proto, want[i].dir,
			       want[i].lo, want[i].hi, name);
			bad++;
			ok = false;
		}
	}
	free(ds.svcs);
	free(dr.rules);
	return ok;
}

static int cmd_model(int argc, char **argv)
{
	unsigned long steps = 4000, step, accepted = 0, refused = 0, replaced = 0;
	unsigned long before = 0, after = 0, checks = 0, by_err[160] = { 0 };
	unsigned long rules_sum = 0, rules_max = 0;
	double seconds = 20, start, deadline;
	const char *env = getenv("PS_UPDATES_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 20261206;
	char val[64], desc[160], *buf;
	bool ok = true, cut = false, have_param, param_ok = true;
	struct nlt_nl nl;
	struct nlt_ack ack;
	struct req q;
	int opt, want, got, i;

	while ((opt = getopt(argc, argv, "s:n:t:R")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			steps = strtoul(optarg, NULL, 0);
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 'R':
			no_replace = true;
			break;
		default:
			fprintf(stderr, "usage: updates model [-s SEED] [-n STEPS] [-t SECONDS] [-R]\n");
			return 2;
		}
	}
	nlt_rng_state = seed ? seed : 1;
	printf("# model: seed %llu, %lu steps, at most %.0f s (replay: PS_UPDATES_SEED=%llu)\n",
	       (unsigned long long)seed, steps, seconds, (unsigned long long)seed);
	fflush(stdout);

	have_param = read_param("check_updates", val, sizeof(val));
	if (!have_param || strcmp(val, "Y")) {
		printf("# check_updates is %s: the module must be loaded with check_updates=1\n",
		       have_param ? val : "missing");
		param_ok = false;
	}
	if (read_param("checked_updates", val, sizeof(val)))
		before = strtoul(val, NULL, 0);
	buf = malloc(NLT_MSG_SIZE);
	if (!buf || nlt_nl_open(&nl)) {
		printf("# cannot open the portsteer family\n");
		printf("fail model_agrees\nfail checked_updates_counted\n");
		return 1;
	}
	if (nlt_simple(&nl, PORTSTEER_CMD_FLUSH, &ack)) {
		printf("# flush: %d %s\n", ack.err, ack.msg);
		printf("fail model_agrees\nfail checked_updates_counted\n");
		return 1;
	}
	{
		struct nlt_settings st;

		nlt_get_settings(&nl, &st, NULL);
		M.gen = st.generation;
		if (st.max_rules && st.max_rules < RULE_CAP + REQ_MAX)
			printf("# max_rules %u is below what the model assumes\n", st.max_rules);
	}

	start = now();
	deadline = start + seconds;
	for (step = 0; step < steps && ok; step++) {
		if (now() > deadline) {
			cut = true;
			break;
		}
		/* a big configuration at once: first, and now and then */
		if (step == 0 || chance(1) || (M.nrule < 50 && chance(5))) {
			got = do_transaction(&nl, buf, step == 0 || chance(50) ? 3000 : 300, step);
			if (got < 0) {
				ok = false;
				break;
			}
			accepted += got;
			continue;
		}
		rules_sum += M.nrule;
		if (M.nrule > rules_max)
			rules_max = M.nrule;
		gen_req(&q);
		describe(desc, sizeof(desc), step, &q);
		got = nlt_talk(&nl, encode(&nl, buf, &q), NULL, NULL, &ack);
		want = m_apply(&q);
		note("%s: %d", desc, got);
		if (got != want) {
			print_log();
			printf("# step %lu: the kernel answered %d (%s; \"%s\"), the model %d (%s)\n",
			       step, got, strerror(-got), ack.msg, want, strerror(-want));
			ok = false;
			break;
		}
		if (!got) {
			accepted++;
			M.gen++;
			replaced += !!(q.flags & NLM_F_REPLACE);
		} else {
			refused++;
			if (-got < 160)
				by_err[-got]++;
			if (got == -EIO)	/* what check_updates answers to a mismatch */
				ok = false;
		}
		if (step % CHECK_EVERY == CHECK_EVERY - 1) {
			checks++;
			if (!check_model(&nl, step)) {
				print_log();
				ok = false;
			}
		}
	}
	if (ok) {
		checks++;
		if (!check_model(&nl, step)) {
			print_log();
			ok = false;
		}
	}
	printf("# %lu steps in %.1f s%s: %lu changes accepted (%lu with NLM_F_REPLACE), %lu refused,",
	       step, now() - start, cut ? " (cut by the time limit)" : "", accepted, replaced,
	       refused);
	for (i = 1; i < 160; i++)
		if (by_err[i])
			printf(" %s %lu", nlt_errname(i), by_err[i]);
	printf("; %lu full comparisons; rules: %u now, %lu at most, %lu on average\n", checks,
	       M.nrule, rules_max, step ? rules_sum / step : 0);
	if (step < 100 && step < steps) {
		printf("# only %lu steps: too few to mean anything\n", step);
		ok = false;
	}
	printf("%s model_agrees\n", ok ? "pass" : "fail");

	if (!read_param("checked_updates", val, sizeof(val))) {
		printf("# no parameter checked_updates\n");
		printf("fail checked_updates_counted\n");
	} else {
		after = strtoul(val, NULL, 0);
		printf("# checked_updates %lu -> %lu (+%lu) for %lu accepted changes\n", before,
		       after, after - before, accepted);
		printf("%s checked_updates_counted\n",
		       param_ok && after - before >= accepted && accepted ? "pass" : "fail");
	}
	nlt_simple(&nl, PORTSTEER_CMD_FLUSH, NULL);
	nlt_nl_close(&nl);
	free(buf);
	return 0;
}

/*
 * Readers during updates
 */

#define T_LO		1000
#define T_MID		2000
#define T_HI		3000
#define T_QA		10
#define T_QB		11
#define T_QC		12
#define T_MAXPKT	(1 << 20)
#define NOQ		0	/* received without having been queued */
#define UNSEEN		255

static uint8_t *t_queue;	/* per sequence number: its queue, NOQ, UNSEEN */
static uint8_t *t_recv;		/* received by a socket */
static atomic_ulong t_sent, t_seen;
static atomic_bool t_stop;
static int t_nfq, t_udp[2];
static unsigned long t_nfq_err;
static bool t_req_failed, t_warned_rt;	/* a request failed: nothing was verified */

static int nfq_cfg(int fd, uint16_t queue, uint8_t cmd)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	struct nfqnl_msg_config_cmd c = { .command = cmd, .pf = htons(AF_INET) };
	struct nfqnl_msg_config_params p = { .copy_range = htonl(128),
					     .copy_mode = NFQNL_COPY_PACKET };
	char rbuf[1024];
	ssize_t n;

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = queue;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(queue);
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(c), &c);
	if (cmd == NFQNL_CFG_CMD_BIND)
		mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(p), &p);
	if (send(fd, nlh, nlh->nlmsg_len, 0) < 0)
		return -errno;
	n = recv(fd, rbuf, sizeof(rbuf), 0);
	if (n < (ssize_t)(NLMSG_HDRLEN + sizeof(int)))
		return -EIO;
	nlh = (struct nlmsghdr *)rbuf;
	if (nlh->nlmsg_type == NLMSG_ERROR)
		return ((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error;
	return 0;
}

static int nfq_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER), rcv = 4 << 20, one = 1;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	if (nfq_cfg(fd, T_QA, NFQNL_CFG_CMD_BIND) || nfq_cfg(fd, T_QB, NFQNL_CFG_CMD_BIND) ||
	    nfq_cfg(fd, T_QC, NFQNL_CFG_CMD_BIND)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void nfq_verdict(int fd, uint16_t queue, uint32_t id)
{
	char buf[128];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	struct nfqnl_msg_verdict_hdr v = { .verdict = htonl(NF_ACCEPT), .id = htonl(id) };

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(queue);
	mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(v), &v);
	if (send(fd, nlh, nlh->nlmsg_len, 0) < 0)
		t_nfq_err++;
}

/* The sequence number of a datagram from its IPv4 packet, or -1. */
static long pkt_seq(const uint8_t *p, size_t len)
{
	size_t ihl;
	uint32_t seq;

	if (len < 20 || (p[0] >> 4) != 4 || p[9] != IPPROTO_UDP)
		return -1;
	ihl = (p[0] & 15) * 4;
	if (len < ihl + 8 + 8 || memcmp(p + ihl + 8, "PS", 2))
		return -1;
	memcpy(&seq, p + ihl + 8 + 4, 4);
	return seq < T_MAXPKT ? (long)seq : -1;
}

static void nfq_packet(int fd, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	const struct nfqnl_msg_packet_hdr *ph = NULL;
	const struct nlattr *a, *payload = NULL;
	uint16_t queue = ntohs(g->res_id);
	long seq;

	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		if (mnl_attr_get_type(a) == NFQA_PACKET_HDR)
			ph = mnl_attr_get_payload(a);
		else if (mnl_attr_get_type(a) == NFQA_PAYLOAD)
			payload = a;
	}
	if (!ph)
		return;
	if (payload) {
		seq = pkt_seq(mnl_attr_get_payload(payload), mnl_attr_get_payload_len(payload));
		if (seq >= 0 && t_queue[seq] == UNSEEN) {
			t_queue[seq] = queue;
			atomic_fetch_add(&t_seen, 1);
		}
	}
	nfq_verdict(fd, queue, ntohl(ph->packet_id));
}

static void *collector(void *arg)
{
	struct pollfd pfd[3] = {
		{ .fd = t_nfq, .events = POLLIN },
		{ .fd = t_udp[0], .events = POLLIN },
		{ .fd = t_udp[1], .events = POLLIN },
	};
	static char buf[65536];
	int i, idle = 0;

	(void)arg;
	while (idle < 6) {
		if (poll(pfd, 3, 50) <= 0) {
			if (atomic_load(&t_stop))
				idle++;
			continue;
		}
		if (pfd[0].revents & POLLIN) {
			ssize_t n = recv(t_nfq, buf, sizeof(buf), MSG_DONTWAIT);
			const struct nlmsghdr *nlh = (void *)buf;
			int len = n;

			for (; n > 0 && mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
				if ((nlh->nlmsg_type & 0xff) == NFQNL_MSG_PACKET &&
				    (nlh->nlmsg_type >> 8) == NFNL_SUBSYS_QUEUE)
					nfq_packet(t_nfq, nlh);
		}
		for (i = 0; i < 2; i++) {
			uint32_t seq;
			char d[16];
			ssize_t n;

			if (!(pfd[1 + i].revents & POLLIN))
				continue;
			while ((n = recv(t_udp[i], d, sizeof(d), MSG_DONTWAIT)) >= 8) {
				memcpy(&seq, d + 4, 4);
				if (seq >= T_MAXPKT || t_recv[seq])
					continue;
				t_recv[seq] = 1;
				/* A packet that no queue had: its place counted now. */
				if (t_queue[seq] == UNSEEN)
					atomic_fetch_add(&t_seen, 1);
			}
		}
	}
	return NULL;
}

static void *sender(void *arg)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned long seq;
	char d[16] = "PS..";

	(void)arg;
	for (seq = 0; seq < T_MAXPKT && !atomic_load(&t_stop); seq++) {
		struct timespec nap = { 0, 20000 };
		uint32_t s = seq;
		int spins = 0;

		/*
		 * A nap between two packets: its timer wakes this real-time
		 * thread in the middle of the changer's request, which it then
		 * preempts (fully, on a kernel with preempt=full). At most 64
		 * packets ahead of what was recorded: no queue overflows.
		 */
		nanosleep(&nap, NULL);
		while (seq - atomic_load(&t_seen) > 64 && spins++ < 20000 &&
		       !atomic_load(&t_stop))
			usleep(100);
		to.sin_port = htons(seq & 1 ? T_HI : T_LO);
		memcpy(d + 4, &s, 4);
		sendto(fd, d, sizeof(d), 0, (struct sockaddr *)&to, sizeof(to));
		atomic_store(&t_sent, seq + 1);
	}
	close(fd);
	return NULL;
}

static int udp_bound(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rcv = 1 << 20;

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	return fd;
}

/* One change of a kind: its window in the send order and what it leads to. */
struct change {
	unsigned long from, to;	/* t_sent before the request, after its ack */
	uint8_t old, new;	/* queue (or NOQ) before and after */
};

#define T_MAXCHG	256

struct kind {
	const char *name;
	bool replace;		/* needs NLM_F_REPLACE */
};

enum { K_DEL_ADD, K_MULTI_DEL_ADD, K_REPLACE_SINGLE, K_REPLACE_MULTI, K_SERVICE_SET, K_MAX,
	K_SPLIT = K_MAX };

static const struct kind kinds[K_MAX + 1] = {
	{ "del_add_multiblock", false },
	{ "multi_rule_del_add", false },
	{ "replace_single", true },
	{ "replace_multi", true },
	{ "service_set_queue", false },
	{ "split_change_seen", false },	/* -X only */
};

static int t_rules(struct nlt_nl *nl, uint8_t cmd, uint16_t flags, bool split, const char *svc,
		   struct nlt_ack *ack)
{
	char buf[1024];
	struct nlmsghdr *nlh = nlt_msg(nl, buf, cmd, 0);
	struct m_rule r = { PORTSTEER_FAMILY_INET, IPPROTO_UDP, PORTSTEER_DIRECTION_DST,
			    T_LO, T_HI, 0 };
	struct nlattr *nest;
	int i;

	if (flags & NLM_F_REPLACE)
		mnl_attr_put_u32(nlh, PORTSTEER_A_FLAGS, PORTSTEER_F_REPLACE);

	for (i = 0; i < (split ? 2 : 1); i++) {
		if (split) {
			r.lo = i ? T_MID : T_LO;
			r.hi = i ? T_HI : T_MID - 1;
		}
		nest = mnl_attr_nest_start(nlh, PORTSTEER_A_RULE);
		mnl_attr_put_u8(nlh, PORTSTEER_RULE_A_FAMILY, r.family);
		mnl_attr_put_u8(nlh, PORTSTEER_RULE_A_PROTO, r.proto);
		mnl_attr_put_u16(nlh, PORTSTEER_RULE_A_PORT_MIN, r.lo);
		mnl_attr_put_u16(nlh, PORTSTEER_RULE_A_PORT_MAX, r.hi);
		mnl_attr_put_u8(nlh, PORTSTEER_RULE_A_DIRECTION, r.dir);
		if (svc)
			mnl_attr_put_strz(nlh, PORTSTEER_RULE_A_SERVICE, svc);
		mnl_attr_nest_end(nlh, nest);
	}
	return nlt_talk(nl, nlh, NULL, NULL, ack);
}

/* One of the halves 1000-1999, 2000-3000: deleted, or added to the other service. */
static int t_rule1(struct nlt_nl *nl, uint8_t cmd, int half, struct nlt_ack *ack)
{
	static const char *owner[2] = { "a", "a" };
	char buf[512];
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	if (!nl) {		/* reset */
		owner[0] = "a";
		owner[1] = "a";
		return 0;
	}
	nlh = nlt_msg(nl, buf, cmd, 0);
	nest = mnl_attr_nest_start(nlh, PORTSTEER_A_RULE);
	mnl_attr_put_u8(nlh, PORTSTEER_RULE_A_PROTO, IPPROTO_UDP);
	mnl_attr_put_u16(nlh, PORTSTEER_RULE_A_PORT_MIN, half ? T_MID : T_LO);
	mnl_attr_put_u16(nlh, PORTSTEER_RULE_A_PORT_MAX, half ? T_HI : T_MID - 1);
	if (cmd == PORTSTEER_CMD_RULE_NEW) {
		owner[half] = strcmp(owner[half], "a") ? "a" : "b";
		mnl_attr_put_strz(nlh, PORTSTEER_RULE_A_SERVICE, owner[half]);
	}
	mnl_attr_nest_end(nlh, nest);
	return nlt_talk(nl, nlh, NULL, NULL, ack);
}

static int t_service(struct nlt_nl *nl, uint8_t cmd, const char *name, uint16_t queue,
		     struct nlt_ack *ack)
{
	char buf[512];
	struct nlmsghdr *nlh = nlt_msg(nl, buf, cmd, 0);

	nlt_put_service(nlh, PORTSTEER_A_SERVICE, name, queue, -1, -1, 0);
	return nlt_talk(nl, nlh, NULL, NULL, ack);
}

/*
 * Check the recorded packets against the changes: before each change's
 * window the old queue, after it the new one, within it old then new.
 */
static bool t_verify(const struct change *c, unsigned int n, unsigned long total,
		     unsigned long *packets, unsigned long *lost, unsigned int *inwin)
{
	unsigned long s;
	unsigned int k = 0, bad = 0;
	bool switched = false;
	uint8_t state = c[0].old, got;

	*packets = *lost = 0;
	*inwin = 0;
	for (s = 0; s < total && bad < 5; s++) {
		got = t_queue[s] != UNSEEN ? t_queue[s] : t_recv[s] ? NOQ : UNSEEN;
		/* past a change's window: its new state holds */
		while (k < n && s > c[k].to) {
			state = c[k].new;
			switched = false;
			k++;
		}
		if (got == UNSEEN) {
			(*lost)++;
			continue;
		}
		(*packets)++;
		if (k < n && s >= c[k].from) {	/* within change k's window */
			if (!switched && got == c[k].new && got != c[k].old) {
				switched = true;
				/* between packets sent during the request */
				if (s > c[k].from && s < c[k].to)
					(*inwin)++;
				continue;
			}
			if (got == (switched ? c[k].new : c[k].old))
				continue;
			printf("# packet %lu (port %u) in change %u's window (%lu-%lu): queue %u, %s %u\n",
			       s, s & 1 ? T_HI : T_LO, k, c[k].from, c[k].to, got,
			       switched ? "after it had switched to" : "expected",
			       switched ? c[k].new : c[k].old);
			bad++;
			continue;
		}
		if (got != state) {
			printf("# packet %lu (port %u) after %u changes: queue %u, expected %u\n",
			       s, s & 1 ? T_HI : T_LO, k, got, state);
			bad++;
		}
	}
	return bad == 0;
}

static bool t_run_kind(struct nlt_nl *nl, int kind, unsigned int nchanges, double seconds)
{
	static struct change c[T_MAXCHG];
	struct nlt_ack ack;
	pthread_t ts, tc;
	unsigned long total, packets, lost, next;
	unsigned int i, n = 0, inwin;
	double deadline;
	bool ok = true;
	int err = 0;

	/* A, B on their queues; the range to A. */
	nlt_simple(nl, PORTSTEER_CMD_FLUSH, NULL);
	if (t_service(nl, PORTSTEER_CMD_SERVICE_NEW, "a", T_QA, &ack) ||
	    t_service(nl, PORTSTEER_CMD_SERVICE_NEW, "b", T_QB, &ack) ||
	    t_rules(nl, PORTSTEER_CMD_RULE_NEW, 0,
		    kind == K_MULTI_DEL_ADD || kind == K_REPLACE_MULTI || kind == K_SPLIT,
		    "a", &ack)) {
		printf("# %s: setup: %s\n", kinds[kind].name, ack.msg);
		t_req_failed = true;
		return false;
	}
	t_rule1(NULL, 0, 0, NULL);
	memset(t_queue, UNSEEN, T_MAXPKT);
	memset(t_recv, 0, T_MAXPKT);
	atomic_store(&t_sent, 0);
	atomic_store(&t_seen, 0);
	atomic_store(&t_stop, false);
	pthread_create(&tc, NULL, collector, NULL);
	pthread_create(&ts, NULL, sender, NULL);
	{
		struct sched_param sp = { .sched_priority = 10 };

		if (pthread_setschedparam(ts, SCHED_FIFO, &sp) && !t_warned_rt) {
			printf("# the sender cannot be SCHED_FIFO: it preempts less\n");
			t_warned_rt = true;
		}
	}

	deadline = now() + seconds;
	for (i = 0; i < nchanges && n < T_MAXCHG && now() < deadline; i++) {
		bool even = !(i & 1), split = kind == K_MULTI_DEL_ADD || kind == K_REPLACE_MULTI;
		int j;
		int spins;

		/* some packets between two changes */
		next = atomic_load(&t_sent) + 40 + below(40);
		for (spins = 0; atomic_load(&t_sent) < next && spins < 20000; spins++)
			usleep(100);
		c[n].from = atomic_load(&t_sent);
		switch (kind) {
		case K_DEL_ADD:
		case K_MULTI_DEL_ADD:
			/* a -> none (delete), none -> b (add), b -> none, none -> a ... */
			if (even) {
				err = t_rules(nl, PORTSTEER_CMD_RULE_DEL, 0, split, NULL, &ack);
				c[n].old = (i & 2) ? T_QB : T_QA;
				c[n].new = NOQ;
			} else {
				c[n].old = NOQ;
				c[n].new = (i & 2) ? T_QA : T_QB;
				err = t_rules(nl, PORTSTEER_CMD_RULE_NEW, 0, split,
					      c[n].new == T_QA ? "a" : "b", &ack);
			}
			break;
		case K_REPLACE_SINGLE:
		case K_REPLACE_MULTI:
			c[n].old = even ? T_QA : T_QB;
			c[n].new = even ? T_QB : T_QA;
			err = t_rules(nl, PORTSTEER_CMD_RULE_NEW, NLM_F_REPLACE,
				      split, even ? "b" : "a", &ack);
			break;
		case K_SPLIT:	/* a change in two requests: half applied between them */
			c[n].old = even ? T_QA : T_QB;
			c[n].new = even ? T_QB : T_QA;
			for (j = 0; j < 2 && !err; j++) {
				err = t_rule1(nl, PORTSTEER_CMD_RULE_DEL, j, &ack);
				if (!err)
					err = t_rule1(nl, PORTSTEER_CMD_RULE_NEW, j, &ack);
				/* the sender's turn between the halves */
				usleep(1000);
			}
			break;
		case K_SERVICE_SET:	/* a's queue: 10 -> 12 -> 10 ... */
			c[n].old = even ? T_QA : T_QC;
			c[n].new = even ? T_QC : T_QA;
			err = t_service(nl, PORTSTEER_CMD_SERVICE_SET, "a", c[n].new, &ack);
			break;
		}
		c[n].to = atomic_load(&t_sent);
		if (err) {
			printf("# %s: change %u: %d (%s) %s\n", kinds[kind].name, i, err,
			       strerror(-err), ack.msg);
			t_req_failed = true;
			ok = false;
			break;
		}
		n++;
	}
	/* the last state for a while */
	next = atomic_load(&t_sent) + 100;
	for (i = 0; atomic_load(&t_sent) < next && i < 20000; i++)
		usleep(100);
	atomic_store(&t_stop, true);
	pthread_join(ts, NULL);
	pthread_join(tc, NULL);
	total = atomic_load(&t_sent);
	if (ok && n) {
		ok = t_verify(c, n, total, &packets, &lost, &inwin);
		unsigned long during = 0;

		for (i = 0; i < n; i++)
			during += c[i].to - c[i].from;
		printf("# %s: %u changes, %lu packets sent, %lu recorded, %lu lost; %lu sent during the requests; %u changes took effect between two of those\n",
		       kinds[kind].name, n, total, packets, lost, during, inwin);
		if (lost * 10 > total) {
			printf("# %s: too many packets lost\n", kinds[kind].name);
			ok = false;
		}
	} else if (!n) {
		ok = false;
	}
	if (t_nfq_err)
		printf("# %lu verdicts could not be sent\n", t_nfq_err);
	return ok;
}

static int cmd_traffic(int argc, char **argv)
{
	unsigned int nchanges = 40, k;
	bool selfcheck = false;
	double seconds = 6;
	struct nlt_nl nl;
	struct nlt_ack ack;
	char buf[512];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int opt;

	while ((opt = getopt(argc, argv, "n:t:RX")) != -1) {
		switch (opt) {
		case 'n':
			nchanges = strtoul(optarg, NULL, 0);
			break;
		case 'X':
			selfcheck = true;
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 'R':
			no_replace = true;
			break;
		default:
			fprintf(stderr, "usage: updates traffic [-n CHANGES] [-t SECONDS] [-R] [-X]\n");
			return 2;
		}
	}
	nlt_rng_state = 42;
	t_queue = malloc(T_MAXPKT);
	t_recv = malloc(T_MAXPKT);
	t_udp[0] = udp_bound(T_LO);
	t_udp[1] = udp_bound(T_HI);
	t_nfq = nfq_open();
	if (!t_queue || !t_recv || t_udp[0] < 0 || t_udp[1] < 0 || t_nfq < 0 ||
	    nlt_nl_open(&nl)) {
		printf("# traffic: setup failed (sockets, NFQUEUE bind, portsteer family)\n");
		for (k = 0; k < K_MAX; k++)
			printf("fail traffic_%s\n", kinds[k].name);
		return 1;
	}
	/* classified in the sender's sendmsg(), in send order */
	nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_SETTINGS_SET, 0);
	nest = mnl_attr_nest_start(nlh, PORTSTEER_A_SETTINGS);
	mnl_attr_put_u32(nlh, PORTSTEER_SETTINGS_A_HOOKS, PORTSTEER_HOOKS_OUTPUT);
	mnl_attr_nest_end(nlh, nest);
	if (nlt_talk(&nl, nlh, NULL, NULL, &ack)) {
		printf("# settings hook output: %d %s\n", ack.err, ack.msg);
		for (k = 0; k < K_MAX; k++)
			printf("fail traffic_%s\n", kinds[k].name);
		return 1;
	}
	printf("# traffic: udp to 127.0.0.1 ports %u and %u in turn, %u changes of each kind in at most %.0f s\n",
	       T_LO, T_HI, nchanges, seconds);
	fflush(stdout);
	for (k = 0; k < K_MAX; k++) {
		if (no_replace && kinds[k].replace) {
			printf("# traffic_%s: left out (-R)\n", kinds[k].name);
			printf("fail traffic_%s\n", kinds[k].name);
			continue;
		}
		printf("%s traffic_%s\n", t_run_kind(&nl, k, nchanges, seconds) ? "pass" : "fail",
		       kinds[k].name);
		fflush(stdout);
	}
	/* The checker itself: a change made in two requests must be seen. */
	if (selfcheck) {
		bool seen;

		t_req_failed = false;
		seen = !t_run_kind(&nl, K_SPLIT, nchanges, seconds) && !t_req_failed;

		printf("# %s: a change made of two requests was %s\n", kinds[K_SPLIT].name,
		       seen ? "seen half applied, as it must" : "never seen half applied");
		printf("%s traffic_%s\n", seen ? "pass" : "fail", kinds[K_SPLIT].name);
	}
	nlt_simple(&nl, PORTSTEER_CMD_FLUSH, NULL);
	nlt_nl_close(&nl);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "model"))
		return cmd_model(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "traffic"))
		return cmd_traffic(argc - 1, argv + 1);
	fprintf(stderr, "usage: %s model|traffic [OPTIONS]\n", argv[0]);
	return 2;
}
