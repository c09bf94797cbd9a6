// SPDX-License-Identifier: GPL-2.0
/*
 * nl_fuzz: a structure-aware fuzzer of the portsteer generic netlink family,
 * with a model of the configuration as its oracle.
 *
 *   nl_fuzz [-s SEED] [-n COUNT] [-m MODE] [-v]
 *
 * MODE "admin" (default): the caller may configure its netns. Messages are
 * built from the family's grammar, with wrong values, missing and unknown
 * attributes, bad lengths, nests without NLA_F_NESTED, every command and
 * random flags, and a share of them is then mutated byte by byte (bit flips,
 * truncated and overlong headers, random attribute bytes). For each built
 * message the model predicts the kernel's answer: the exact errno of a
 * semantic error, "some error" for one the policy must refuse, success
 * otherwise; after it, the model applies what the kernel accepted. Every
 * 500 messages and at the end the whole configuration is dumped and must be
 * what the model built. A mutated message has no prediction: if the
 * generation moved, the model is reloaded from the kernel's dump.
 *
 * MODE "unpriv": the caller has no CAP_NET_ADMIN over the netns. Every
 * built message must be refused (EPERM, or EOPNOTSUPP for a command that does
 * not exist), no message, mutated or not, may get anything back but an error
 * or an ack, the multicast group must refuse it, and nothing may change (the
 * caller's harness compares the configuration before and after).
 *
 * Prints the seed first, so that a failure replays with -s. Output is KTAP.
 */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nl_util.h"

#define MAX_SVC		64
#define MAX_RULES	1024
#define CHECK_EVERY	500
#define NAME_POOL	10
#define NPROTO		5

static const uint8_t protos[NPROTO] = { 6, 17, 136, 132, 33 };

/* The model of one network namespace's configuration. */
struct m_svc {
	char name[48];
	uint32_t queue, count;
	uint32_t mark[2], mask[2];	/* the packet mark, the conntrack mark */
	uint8_t balance, bypass;
};

struct m_rule {
	uint8_t family, proto, dir;
	uint16_t lo, hi;
	char svc[48];
};

struct m_set {
	uint8_t hooks, defrag, icmp;
	int32_t prio;
	uint32_t seed;
};

struct m_cfg {
	struct m_svc svc[MAX_SVC];
	unsigned int nsvc;
	struct m_rule rule[MAX_RULES];
	unsigned int nrule;
};

struct model {
	struct m_cfg cfg;
	struct m_set set;
	uint32_t gen;
	bool txn;		/* a transaction of ours is open */
	uint32_t tgen;		/* the generation it began from */
	struct m_cfg tcfg;	/* its services and rules */
	struct m_set tset;	/* its settings, over those at BEGIN */
	uint32_t tset_mask;
	uint32_t max_services, max_rules;
};

static struct model M;

/* A mark and its mask in a message, each if present. */
struct f_mark {
	bool v, m;
	uint32_t vv, mv;
};

/* A message before encoding: what each attribute holds, if present. */
struct f_svc {
	bool name, queue, count, bal, byp;
	char sname[48];
	uint32_t q, c;
	uint8_t b, y;
	struct f_mark mk[2];	/* the packet mark, the conntrack mark */
};

struct f_rule {
	bool fam, proto, min, max, svc, dirp;
	uint8_t f, p, d;
	uint16_t lo, hi;
	char sname[48];
};

struct f_set {
	bool hook, prio, defrag, icmp, seed, hks;
	uint8_t h, d, i, hk;
	int32_t p;
	uint32_t s;
};

enum { E_SVC, E_RULE, E_SET };

struct f_elem {		/* an attribute of REPLACE_ADD, in message order */
	int kind;
	unsigned int idx;
};

#define F_MAX_ELEM 12

struct fmsg {
	uint8_t cmd;
	uint16_t flags;
	bool has_svc, has_set, has_gen, has_flags;
	struct f_svc svc[F_MAX_ELEM];
	unsigned int nsvc;
	struct f_rule rule[F_MAX_ELEM];
	unsigned int nrule;
	struct f_set set;
	struct f_elem elem[F_MAX_ELEM];
	unsigned int nelem;
	uint32_t gen, aflags;
	int garbage;		/* something the policy must refuse */
	uint32_t rv;		/* randomness for the encoder */
	uint8_t version;
	uint16_t reserved;	/* genlmsghdr.reserved, must be 0 */
};

enum { G_NONE, G_UNKNOWN_TOP, G_UNKNOWN_NESTED, G_LENGTH, G_NOT_NESTED,
	G_RANGE, G_LONG_NAME, G_UNTERMINATED, G_MAX };

/* Outcome counters, for the report. */
static unsigned long n_sent, n_built, n_mutated, n_ok, n_resync, n_checks;
static unsigned long n_err[160];
static bool verbose;

static void die(const char *fmt, ...)
{
	va_list ap;

	printf("not ok 1 nl_fuzz # ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

/* Names: a small pool, so that commands meet the services they name. */
static void pick_name(char *dst, size_t len)
{
	static const char *const bad[] = { "", "two words", "a/b", "caf\xc3\xa9",
					   "tab\tname", "-" };
	unsigned int r = below(100);

	if (r < 90)
		snprintf(dst, len, "s%u", below(NAME_POOL));
	else if (r < 95)
		snprintf(dst, len, "%s", bad[below(6)]);
	else if (r < 98)	/* the longest valid name */
		snprintf(dst, len, "n%030u", below(3));
	else
		snprintf(dst, len, "%c.x_%u-y", 'A' + below(4), below(4));
}

static uint16_t pick_port(void)
{
	unsigned int r = below(100);

	if (r < 85)
		return 1 + below(48);
	if (r < 92)
		return 65535 - below(4);
	return 1 + below(65535);
}

/* Marks and masks: fitting each other or not. */
static const uint32_t marks[] = { 0, 1, 3, 0x100 };
static const uint32_t masks[] = { 0, 1, 0xff, 0xffffffff };

static void gen_svc(struct f_svc *s, bool name_only)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->name = !chance(4);
	pick_name(s->sname, sizeof(s->sname));
	if (name_only)
		return;
	s->queue = !chance(8);
	s->q = chance(90) ? below(64) : 65535 - below(8);
	s->count = chance(40);
	s->c = chance(85) ? 1 + below(8) : (chance(50) ? 65536 : 1 + below(65536));
	s->bal = chance(40);
	s->b = below(2);
	s->byp = chance(40);
	s->y = below(2);
	for (i = 0; i < 2; i++) {
		s->mk[i].v = chance(15);
		s->mk[i].vv = marks[below(4)];
		s->mk[i].m = chance(15);
		s->mk[i].mv = masks[below(4)];
	}
}

static void gen_rule(struct f_rule *r, bool service_likely)
{
	memset(r, 0, sizeof(*r));
	r->fam = chance(60);
	r->f = 1 + below(3);
	r->proto = !chance(4);
	r->p = chance(95) ? protos[below(NPROTO)] : (uint8_t)below(256);
	r->min = !chance(4);
	r->lo = pick_port();
	r->max = chance(50);
	r->hi = chance(85) ? r->lo + below(6) : pick_port();
	if (r->hi == 0)
		r->hi = 65535;
	r->dirp = chance(40);
	r->d = 1 + below(3);
	r->svc = service_likely ? !chance(5) : chance(30);
	pick_name(r->sname, sizeof(r->sname));
	if (chance(60) && M.cfg.nsvc && r->svc)
		snprintf(r->sname, sizeof(r->sname), "%s", M.cfg.svc[below(M.cfg.nsvc)].name);
}

static void gen_set(struct f_set *s)
{
	static const int32_t prios[] = { -450, -400, -399, -300, -200, -150, 0, 100,
					 INT_MIN + 1, INT_MAX - 1 };

	memset(s, 0, sizeof(*s));
	s->hook = chance(30);
	s->h = below(4);
	s->hks = chance(20);
	s->hk = below(16);
	s->prio = chance(40);
	s->p = prios[below(10)];
	s->defrag = chance(30);
	s->d = below(2);
	s->icmp = chance(30);
	s->i = below(2);
	s->seed = chance(30);
	s->s = (uint32_t)rnd();
}

static void gen_msg(struct fmsg *m)
{
	unsigned int i, r;

	memset(m, 0, sizeof(*m));
	r = below(100);
	if (r < 3)		/* commands that do not exist */
		m->cmd = chance(50) ? 0 : PORTSTEER_CMD_MAX + 1 + below(200);
	else
		m->cmd = 1 + below(PORTSTEER_CMD_MAX);
	/* a flush now and then, so that the configuration can grow */
	if (m->cmd == PORTSTEER_CMD_FLUSH && chance(80))
		m->cmd = PORTSTEER_CMD_RULE_NEW;
	/* the replace commands come in runs, so that transactions commit */
	if (M.txn && chance(60))
		m->cmd = chance(80) ? PORTSTEER_CMD_REPLACE_ADD : PORTSTEER_CMD_REPLACE_COMMIT;
	m->flags = NLM_F_REQUEST | NLM_F_ACK;
	if (chance(10))
		m->flags |= NLM_F_DUMP;
	if (chance(5))
		m->flags |= (chance(50) ? NLM_F_EXCL : NLM_F_CREATE) |
			    (chance(50) ? NLM_F_REPLACE : 0);
	if (chance(3))
		m->flags &= ~NLM_F_ACK;

	switch (m->cmd) {
	case PORTSTEER_CMD_SERVICE_NEW:
	case PORTSTEER_CMD_SERVICE_SET:
	case PORTSTEER_CMD_SERVICE_DEL:
	case PORTSTEER_CMD_SERVICE_GET:
		m->has_svc = !chance(4);
		m->nsvc = 1;
		gen_svc(&m->svc[0], m->cmd == PORTSTEER_CMD_SERVICE_DEL ||
			m->cmd == PORTSTEER_CMD_SERVICE_GET);
		if (m->cmd == PORTSTEER_CMD_SERVICE_SET)
			m->svc[0].queue = chance(40);
		if (m->cmd == PORTSTEER_CMD_SERVICE_DEL) {
			m->has_flags = chance(50);
			m->aflags = PORTSTEER_F_WITH_RULES;
		}
		if (m->cmd == PORTSTEER_CMD_SERVICE_GET && (m->flags & NLM_F_DUMP))
			m->has_svc = chance(30);
		break;
	case PORTSTEER_CMD_RULE_NEW:
	case PORTSTEER_CMD_RULE_DEL:
		m->nrule = chance(8) ? 0 : 1 + (chance(70) ? 0 : below(5));
		for (i = 0; i < m->nrule; i++)
			gen_rule(&m->rule[i], m->cmd == PORTSTEER_CMD_RULE_NEW);
		/* deletions mostly name rules that exist */
		if (m->cmd == PORTSTEER_CMD_RULE_DEL && M.cfg.nrule)
			for (i = 0; i < m->nrule; i++) {
				const struct m_rule *x = &M.cfg.rule[below(M.cfg.nrule)];

				if (!chance(75))
					continue;
				m->rule[i].fam = true;
				m->rule[i].f = x->family;
				m->rule[i].p = x->proto;
				m->rule[i].lo = x->lo;
				m->rule[i].hi = x->hi;
				m->rule[i].dirp = x->dir != PORTSTEER_DIRECTION_DST || chance(50);
				m->rule[i].d = x->dir;
				m->rule[i].max = x->hi != x->lo || chance(50);
				if (m->rule[i].svc)
					snprintf(m->rule[i].sname, sizeof(m->rule[i].sname),
						 "%s", chance(80) ? x->svc : "s0");
			}
		break;
	case PORTSTEER_CMD_SETTINGS_SET:
		m->has_set = !chance(4);
		gen_set(&m->set);
		break;
	case PORTSTEER_CMD_REPLACE_BEGIN:
		m->has_gen = chance(40);
		m->gen = chance(80) ? M.gen : M.gen + 1 + below(3);
		break;
	case PORTSTEER_CMD_REPLACE_ADD:
		m->nelem = below(6);
		for (i = 0; i < m->nelem; i++) {
			r = below(100);
			if (r < 35 && m->nsvc < F_MAX_ELEM) {
				m->elem[i] = (struct f_elem){ E_SVC, m->nsvc };
				gen_svc(&m->svc[m->nsvc++], false);
			} else if (r < 92 && m->nrule < F_MAX_ELEM) {
				m->elem[i] = (struct f_elem){ E_RULE, m->nrule };
				gen_rule(&m->rule[m->nrule], true);
				if (M.tcfg.nsvc && chance(80))
					snprintf(m->rule[m->nrule].sname, sizeof(m->rule[0].sname),
						 "%s", M.tcfg.svc[below(M.tcfg.nsvc)].name);
				m->nrule++;
			} else {
				m->elem[i] = (struct f_elem){ E_SET, 0 };
				gen_set(&m->set);
			}
		}
		break;
	}
	m->garbage = chance(12) ? 1 + below(G_MAX - 1) : G_NONE;
	m->rv = rnd();
	m->version = chance(90) ? PORTSTEER_GENL_VERSION : below(256);
	if (chance(2))
		m->reserved = 1 + below(65535);
	if (chance(3))
		m->flags |= NLM_F_ECHO;
}

/*
 * Encoding. The encoders use no randomness of their own (m->rv instead),
 * so that a first pass can count where the garbage could go.
 */

static void put_u(struct nlmsghdr *nlh, uint16_t type, int size, uint64_t v, bool bad_len)
{
	uint8_t b1 = v;
	uint16_t b2 = v;
	uint32_t b4 = v;

	if (bad_len)		/* a width the policy does not allow */
		size = size == 4 ? 2 : size * 2;
	switch (size) {
	case 1:
		mnl_attr_put(nlh, type, 1, &b1);
		break;
	case 2:
		mnl_attr_put(nlh, type, 2, &b2);
		break;
	case 4:
		mnl_attr_put(nlh, type, 4, &b4);
		break;
	default:
		mnl_attr_put(nlh, type, 8, &v);
		break;
	}
}

struct enc {
	struct nlmsghdr *nlh;
	int garbage;
	uint32_t rv;
	unsigned int slot, at;	/* the garbage goes into the at-th slot */
};

/* True when this slot takes the message's garbage. */
static bool enc_here(struct enc *e, int kind)
{
	if (e->garbage != kind)
		return false;
	return e->slot++ == e->at;
}

static void put_str(struct enc *e, uint16_t type, const char *s)
{
	char longname[48];

	if (enc_here(e, G_LONG_NAME)) {
		memset(longname, 'x', 32 + e->rv % 8);
		longname[32 + e->rv % 8] = 0;
		mnl_attr_put_strz(e->nlh, type, longname);
	} else if (enc_here(e, G_UNTERMINATED)) {
		mnl_attr_put(e->nlh, type, strlen(s) ? strlen(s) : 1, strlen(s) ? s : "x");
	} else {
		mnl_attr_put_strz(e->nlh, type, s);
	}
}

/* An integer attribute; @bad, if not negative, is a value out of its range. */
static void put_int(struct enc *e, uint16_t type, int size, uint64_t v, int64_t bad)
{
	if (bad >= 0 && enc_here(e, G_RANGE))
		v = bad;
	put_u(e->nlh, type, size, v, enc_here(e, G_LENGTH));
}

static struct nlattr *nest_start(struct enc *e, uint16_t type)
{
	struct nlattr *n = mnl_attr_nest_start(e->nlh, type);

	if (enc_here(e, G_NOT_NESTED))
		n->nla_type &= ~NLA_F_NESTED;
	return n;
}

static void nest_end(struct enc *e, struct nlattr *n, uint16_t unknown)
{
	if (enc_here(e, G_UNKNOWN_NESTED))
		put_u(e->nlh, e->rv & 1 ? unknown : unknown + 16 + e->rv % 20, 4, 1, false);
	mnl_attr_nest_end(e->nlh, n);
}

/* The value attribute of each mark; its mask's is the next one. */
static const uint16_t mark_attr[2] = {
	PORTSTEER_SERVICE_A_MARK, PORTSTEER_SERVICE_A_CT_MARK,
};

static void enc_svc(struct enc *e, const struct f_svc *s, bool name_only)
{
	struct nlattr *n = nest_start(e, PORTSTEER_A_SERVICE);
	unsigned int i;

	if (s->name)
		put_str(e, PORTSTEER_SERVICE_A_NAME, s->sname);
	if (!name_only) {
		if (s->queue)
			put_int(e, PORTSTEER_SERVICE_A_QUEUE, 2, s->q, -1);
		if (s->count)
			put_int(e, PORTSTEER_SERVICE_A_QUEUE_COUNT, 4, s->c,
				e->rv & 1 ? 0 : 65537 + e->rv % 1000);
		if (s->bal)
			put_int(e, PORTSTEER_SERVICE_A_BALANCE, 1, s->b, 2 + e->rv % 250);
		if (s->byp)
			put_int(e, PORTSTEER_SERVICE_A_BYPASS, 1, s->y, 2 + e->rv % 250);
		for (i = 0; i < 2; i++) {
			if (s->mk[i].v)
				put_int(e, mark_attr[i], 4, s->mk[i].vv, -1);
			if (s->mk[i].m)
				put_int(e, mark_attr[i] + 1, 4, s->mk[i].mv, -1);
		}
	}
	/* read-only attributes are not accepted in requests */
	nest_end(e, n, name_only ? PORTSTEER_SERVICE_A_QUEUE : PORTSTEER_SERVICE_A_RULES);
}

static void enc_rule(struct enc *e, const struct f_rule *r)
{
	struct nlattr *n = nest_start(e, PORTSTEER_A_RULE);

	if (r->fam)
		put_int(e, PORTSTEER_RULE_A_FAMILY, 1, r->f, e->rv & 1 ? 0 : 4 + e->rv % 250);
	if (r->proto)
		put_int(e, PORTSTEER_RULE_A_PROTO, 1, r->p, -1);
	if (r->min)
		put_int(e, PORTSTEER_RULE_A_PORT_MIN, 2, r->lo, 0);
	if (r->max)
		put_int(e, PORTSTEER_RULE_A_PORT_MAX, 2, r->hi, 0);
	if (r->svc)
		put_str(e, PORTSTEER_RULE_A_SERVICE, r->sname);
	if (r->dirp)
		put_int(e, PORTSTEER_RULE_A_DIRECTION, 1, r->d, e->rv & 1 ? 0 : 4 + e->rv % 250);
	nest_end(e, n, PORTSTEER_RULE_A_MAX + 1);
}

static void enc_set(struct enc *e, const struct f_set *s)
{
	struct nlattr *n = nest_start(e, PORTSTEER_A_SETTINGS);

	if (s->hook)
		put_int(e, PORTSTEER_SETTINGS_A_HOOK, 1, s->h, 4 + e->rv % 250);
	if (s->hks)
		put_int(e, PORTSTEER_SETTINGS_A_HOOKS, 4, s->hk, 16 + e->rv % 1000);
	if (s->prio)
		put_int(e, PORTSTEER_SETTINGS_A_PRIORITY, 4, (uint32_t)s->p,
			e->rv & 1 ? (uint32_t)INT_MIN : (uint32_t)INT_MAX);
	if (s->defrag)
		put_int(e, PORTSTEER_SETTINGS_A_DEFRAG, 1, s->d, 2 + e->rv % 250);
	if (s->icmp)
		put_int(e, PORTSTEER_SETTINGS_A_ICMP_ERRORS, 1, s->i, 2 + e->rv % 250);
	if (s->seed)
		put_int(e, PORTSTEER_SETTINGS_A_SEED, 4, s->s, -1);
	nest_end(e, n, e->rv & 2 ? PORTSTEER_SETTINGS_A_MAX_RULES : PORTSTEER_SETTINGS_A_MAX + 1);
}

static void enc_body(struct enc *e, const struct fmsg *m)
{
	unsigned int i;

	if (m->has_svc)
		enc_svc(e, &m->svc[0], m->cmd == PORTSTEER_CMD_SERVICE_DEL ||
			m->cmd == PORTSTEER_CMD_SERVICE_GET);
	if (m->has_flags)
		put_int(e, PORTSTEER_A_FLAGS, 4, m->aflags, 2 + e->rv % 1000);
	if (m->cmd == PORTSTEER_CMD_RULE_NEW || m->cmd == PORTSTEER_CMD_RULE_DEL)
		for (i = 0; i < m->nrule; i++)
			enc_rule(e, &m->rule[i]);
	if (m->has_set)
		enc_set(e, &m->set);
	if (m->has_gen)
		put_int(e, PORTSTEER_A_GENERATION, 4, m->gen, -1);
	if (m->cmd == PORTSTEER_CMD_REPLACE_ADD)
		for (i = 0; i < m->nelem; i++) {
			if (m->elem[i].kind == E_SVC)
				enc_svc(e, &m->svc[m->elem[i].idx], false);
			else if (m->elem[i].kind == E_RULE)
				enc_rule(e, &m->rule[m->elem[i].idx]);
			else
				enc_set(e, &m->set);
		}
	if (e->garbage == G_UNKNOWN_TOP && enc_here(e, G_UNKNOWN_TOP)) {
		/* past the family's attributes, or one this command does not take */
		uint16_t t = e->rv & 1 ? PORTSTEER_A_MAX + 1 + e->rv % 40 : PORTSTEER_A_STATS;

		put_u(e->nlh, t, 4, 0, false);
	}
}

static struct nlmsghdr *enc_start(struct nlt_nl *nl, void *buf, const struct fmsg *m)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = nl->family;
	nlh->nlmsg_flags = m->flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = m->cmd;
	g->version = m->version;
	g->reserved = m->reserved;
	return nlh;
}

/*
 * Encode @m into @buf, its garbage in a random one of the places that can
 * hold that kind; when there is none, the message goes out clean and
 * m->garbage is cleared.
 */
static struct nlmsghdr *encode(struct nlt_nl *nl, void *buf, struct fmsg *m)
{
	struct enc e = { .garbage = m->garbage, .rv = m->rv, .at = UINT_MAX };

	if (m->garbage) {	/* count the places first */
		e.nlh = enc_start(nl, buf, m);
		enc_body(&e, m);
		nl->seq--;
		if (!e.slot)
			m->garbage = G_NONE;
		e.garbage = m->garbage;
		e.at = e.slot ? m->rv % e.slot : 0;
		e.slot = 0;
	}
	e.nlh = enc_start(nl, buf, m);
	enc_body(&e, m);
	return e.nlh;
}

/*
 * Byte-level mutations of an encoded message, which then has no
 * prediction. Returns how many bytes to send.
 */
static size_t mutate(struct nlmsghdr *nlh, size_t cap)
{
	unsigned char *p = (unsigned char *)nlh;
	unsigned int len = nlh->nlmsg_len, i, n;

	switch (below(6)) {
	case 0:		/* flip bits after the netlink header */
		n = 1 + below(4);
		for (i = 0; i < n && len > NLMSG_HDRLEN; i++)
			p[NLMSG_HDRLEN + below(len - NLMSG_HDRLEN)] ^= 1 << below(8);
		return len;
	case 1:		/* cut the message short, and send only that */
		nlh->nlmsg_len = below(len + 1);
		return nlh->nlmsg_len;
	case 2:		/* claim more than is sent */
		nlh->nlmsg_len = len + 1 + below(64);
		return len;
	case 3:		/* random bytes in and after the attributes */
		if (len + 64 < cap) {
			n = below(48);
			for (i = 0; i < n; i++)
				p[len + i] = rnd();
			len += n;
			nlh->nlmsg_len = len;
		}
		if (len > NLMSG_HDRLEN + GENL_HDRLEN)
			for (i = 0; i < 1 + below(6); i++)
				p[NLMSG_HDRLEN + GENL_HDRLEN +
				  below(len - NLMSG_HDRLEN - GENL_HDRLEN)] = rnd();
		return len;
	case 4:		/* other flags; another type: a control one */
		if (chance(30))
			nlh->nlmsg_type = below(NLMSG_MIN_TYPE);
		nlh->nlmsg_flags = rnd();
		return len;
	default:	/* the length field of the first attribute */
		if (len >= NLMSG_HDRLEN + GENL_HDRLEN + 4) {
			uint16_t *l = (uint16_t *)(p + NLMSG_HDRLEN + GENL_HDRLEN);

			*l = chance(50) ? below(8) : rnd();
		}
		return len;
	}
}

/* The model. */

static int svc_cmp(const void *a, const void *b)
{
	return strcmp(((const struct m_svc *)a)->name, ((const struct m_svc *)b)->name);
}

static int rule_cmp(const void *a, const void *b)
{
	const struct m_rule *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return x->dir < y->dir ? -1 : x->dir > y->dir;
}

static struct m_svc *find_svc(struct m_cfg *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->nsvc; i++)
		if (!strcmp(c->svc[i].name, name))
			return &c->svc[i];
	return NULL;
}

static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static bool rules_overlap(const struct m_rule *a, const struct m_rule *b)
{
	return a->proto == b->proto && (a->family & b->family) &&
	       (a->dir & b->dir) && a->lo <= b->hi && b->lo <= a->hi;
}

static bool any_overlap(const struct m_rule *r, unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (rules_overlap(&r[i], &r[j]))
				return true;
	return false;
}

static bool proto_ok(uint8_t p)
{
	unsigned int i;

	for (i = 0; i < NPROTO; i++)
		if (protos[i] == p)
			return true;
	return false;
}

/*
 * The two marks of a service nest over @v, @m (the packet mark, then the
 * conntrack mark): a value alone is compared whole, a mask of 0 alone
 * removes the mark; bits of a value outside its mask are refused, and then
 * neither changes.
 */
static int m_marks(const struct f_svc *s, uint32_t v[2], uint32_t m[2])
{
	uint32_t nv[2], nm[2];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		const struct f_mark *k = &s->mk[i];

		nv[i] = v[i];
		nm[i] = m[i];
		if (k->v) {
			nv[i] = k->vv;
			if (!k->m)
				nm[i] = 0xffffffff;
		}
		if (k->m) {
			nm[i] = k->mv;
			if (!nm[i] && !k->v)
				nv[i] = 0;
		}
		if (nv[i] & ~nm[i])
			return -EINVAL;
	}
	memcpy(v, nv, sizeof(nv));
	memcpy(m, nm, sizeof(nm));
	return 0;
}

/* Service creation in @c; 0 or the errno the kernel must give. */
static int m_svc_new(struct m_cfg *c, const struct f_svc *s)
{
	struct m_svc *n;
	uint32_t count = s->count ? s->c : 1, mark[2] = { 0 }, mask[2] = { 0 };

	if (!s->name || !s->queue)
		return -EINVAL;
	if (!name_ok(s->sname))
		return -EINVAL;
	if (find_svc(c, s->sname))
		return -EEXIST;
	if (c->nsvc >= M.max_services || c->nsvc >= MAX_SVC)
		return -ENOSPC;
	if (s->q + count - 1 > 65535)
		return -ERANGE;
	if (m_marks(s, mark, mask))
		return -EINVAL;
	n = &c->svc[c->nsvc++];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", s->sname);
	n->queue = s->q;
	n->count = count;
	n->balance = s->bal ? s->b : 0;
	n->bypass = s->byp ? s->y : 0;
	memcpy(n->mark, mark, sizeof(mark));
	memcpy(n->mask, mask, sizeof(mask));
	qsort(c->svc, c->nsvc, sizeof(*n), svc_cmp);
	return 0;
}

/* A rule nest as the kernel parses it. */
static int m_rule_parse(struct m_cfg *c, const struct f_rule *f, struct m_rule *r,
			bool need_service)
{
	if (!f->proto || !f->min || (need_service && !f->svc))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->family = f->fam ? f->f : PORTSTEER_FAMILY_INET;
	r->dir = f->dirp ? f->d : PORTSTEER_DIRECTION_DST;
	r->proto = f->p;
	if (!proto_ok(r->proto))
		return -EPROTONOSUPPORT;
	r->lo = f->lo;
	r->hi = f->max ? f->hi : f->lo;
	if (r->hi < r->lo)
		return -EINVAL;
	if (f->svc) {
		if (!find_svc(c, f->sname))
			return -ENOENT;
		snprintf(r->svc, sizeof(r->svc), "%s", f->sname);
	}
	return 0;
}

static unsigned int svc_rules(const struct m_cfg *c, const char *name)
{
	unsigned int i, n = 0;

	for (i = 0; i < c->nrule; i++)
		n += !strcmp(c->rule[i].svc, name);
	return n;
}

static void set_merge(struct m_set *s, const struct f_set *f, uint32_t *mask)
{
	/* given both, the set wins */
	if (f->hks) {
		s->hooks = f->hk;
		*mask |= 1;
	} else if (f->hook) {
		s->hooks = 1 << f->h;
		*mask |= 1;
	}
	if (f->prio) {
		s->prio = f->p;
		*mask |= 2;
	}
	if (f->defrag) {
		s->defrag = f->d;
		*mask |= 4;
	}
	if (f->icmp) {
		s->icmp = f->i;
		*mask |= 8;
	}
	if (f->seed) {
		s->seed = f->s;
		*mask |= 16;
	}
}

static int set_check(const struct m_set *s)
{
	if (!s->hooks || ((s->hooks & PORTSTEER_HOOKS_PREROUTING) &&
			  (s->hooks & (PORTSTEER_HOOKS_INPUT | PORTSTEER_HOOKS_FORWARD))))
		return -EINVAL;
	return s->defrag && s->prio <= -400 ? -EINVAL : 0;
}

/* @src into @dst, the entries in use only. */
static void cfg_copy(struct m_cfg *dst, const struct m_cfg *src)
{
	memcpy(dst->svc, src->svc, src->nsvc * sizeof(src->svc[0]));
	dst->nsvc = src->nsvc;
	memcpy(dst->rule, src->rule, src->nrule * sizeof(src->rule[0]));
	dst->nrule = src->nrule;
}

/* A commit's own check: a conntrack mark wants the priority after conntrack's. */
static int commit_check(const struct m_cfg *c, const struct m_set *s)
{
	unsigned int i;

	for (i = 0; i < c->nsvc; i++)
		if (c->svc[i].mask[1] && s->prio <= -200)
			return -EINVAL;
	return 0;
}

/*
 * The generic netlink header check: no reserved bits, no flags but REQUEST,
 * ACK, ECHO, DUMP. 6.1 and later make it first of all, before the command
 * is looked up; before 6.1 the family makes it itself (compat.h), after
 * the command is found, the caller checked and the attributes parsed.
 */
static int header_err(const struct fmsg *m)
{
	uint16_t f = m->flags;

	if ((f & NLM_F_DUMP) == NLM_F_DUMP)
		f &= ~NLM_F_DUMP;
	return m->reserved || (f & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO)) ? -EINVAL : 0;
}

static bool header_first(void)
{
	static int first = -1;

	if (first < 0)
		first = nlt_kernel_at_least(6, 1);
	return first;
}

/*
 * What the kernel must answer to a clean message, applied to the model when
 * it is a success. Returns 0 or a negative errno.
 */
static int m_apply(const struct fmsg *m)
{
	static struct m_cfg before;
	struct m_set set_before = M.set;
	struct m_cfg *c = &M.cfg;
	struct m_rule add[F_MAX_ELEM], all[MAX_RULES + F_MAX_ELEM];
	bool gone[MAX_RULES] = { false };
	const struct f_svc *fs = &m->svc[0];
	struct m_svc *svc, old;
	unsigned int i, j, n;
	uint32_t mask = 0;
	struct m_set s;
	int err;

	err = header_first() ? header_err(m) : 0;
	if (err)
		return err;
	if (m->cmd < 1 || m->cmd > PORTSTEER_CMD_MAX)
		return -EOPNOTSUPP;
	if ((m->flags & NLM_F_DUMP) == NLM_F_DUMP)
		return m->cmd == PORTSTEER_CMD_SERVICE_GET ||
		       m->cmd == PORTSTEER_CMD_RULE_GET ? header_err(m) : -EOPNOTSUPP;
	if (m->cmd == PORTSTEER_CMD_RULE_GET)
		return -EOPNOTSUPP;	/* dump only */
	err = header_err(m);
	if (err)
		return err;
	cfg_copy(&before, c);
	switch (m->cmd) {
	case PORTSTEER_CMD_SERVICE_NEW:
		if (!m->has_svc)
			return -EINVAL;
		err = m_svc_new(c, fs);
		break;
	case PORTSTEER_CMD_SERVICE_SET:
	case PORTSTEER_CMD_SERVICE_DEL:
	case PORTSTEER_CMD_SERVICE_GET:
		if (!m->has_svc || !fs->name)
			return -EINVAL;
		svc = find_svc(c, fs->sname);
		if (!svc)
			return -ENOENT;
		if (m->cmd == PORTSTEER_CMD_SERVICE_GET)
			return 0;
		if (m->cmd == PORTSTEER_CMD_SERVICE_SET) {
			old = *svc;
			if (fs->queue)
				svc->queue = fs->q;
			if (fs->count)
				svc->count = fs->c;
			if (svc->queue + svc->count - 1 > 65535) {
				*svc = old;
				return -ERANGE;
			}
			if (m_marks(fs, svc->mark, svc->mask)) {
				*svc = old;
				return -EINVAL;
			}
			if (fs->bal)
				svc->balance = fs->b;
			if (fs->byp)
				svc->bypass = fs->y;
			err = 0;
			break;
		}
		n = svc_rules(c, svc->name);
		if (n && !(m->has_flags && (m->aflags & PORTSTEER_F_WITH_RULES)))
			return -EBUSY;
		for (i = 0, j = 0; i < c->nrule; i++)
			if (strcmp(c->rule[i].svc, svc->name))
				c->rule[j++] = c->rule[i];
		c->nrule = j;
		*svc = c->svc[--c->nsvc];
		qsort(c->svc, c->nsvc, sizeof(*svc), svc_cmp);
		err = 0;
		break;
	case PORTSTEER_CMD_RULE_NEW:
		if (!m->nrule)
			return -EINVAL;
		for (i = 0; i < m->nrule; i++) {
			err = m_rule_parse(c, &m->rule[i], &add[i], true);
			if (err)
				return err;
		}
		if (c->nrule + m->nrule > M.max_rules || c->nrule + m->nrule > MAX_RULES)
			return -ENOSPC;
		if (any_overlap(add, m->nrule))
			return -EEXIST;
		memcpy(all, c->rule, c->nrule * sizeof(all[0]));
		memcpy(all + c->nrule, add, m->nrule * sizeof(all[0]));
		for (i = 0; i < m->nrule; i++)
			for (j = 0; j < c->nrule; j++)
				if (rules_overlap(&add[i], &c->rule[j]))
					return -EEXIST;
		n = c->nrule + m->nrule;
		qsort(all, n, sizeof(all[0]), rule_cmp);
		memcpy(c->rule, all, n * sizeof(all[0]));
		c->nrule = n;
		err = 0;
		break;
	case PORTSTEER_CMD_RULE_DEL:
		if (!m->nrule)
			return -EINVAL;
		for (i = 0; i < m->nrule; i++) {
			err = m_rule_parse(c, &m->rule[i], &add[i], false);
			if (err)
				return err;
		}
		for (i = 0; i < m->nrule; i++) {
			for (j = 0; j < c->nrule; j++)
				if (c->rule[j].proto == add[i].proto &&
				    c->rule[j].lo == add[i].lo &&
				    c->rule[j].family == add[i].family &&
				    c->rule[j].dir == add[i].dir)
					break;
			if (j == c->nrule || c->rule[j].hi != add[i].hi ||
			    (add[i].svc[0] && strcmp(add[i].svc, c->rule[j].svc)))
				return -ENOENT;
			if (gone[j])
				return -EINVAL;
			gone[j] = true;
		}
		for (i = 0, j = 0; i < c->nrule; i++)
			if (!gone[i])
				c->rule[j++] = c->rule[i];
		c->nrule = j;
		err = 0;
		break;
	case PORTSTEER_CMD_SETTINGS_SET:
		if (!m->has_set)
			return -EINVAL;
		s = M.set;
		set_merge(&s, &m->set, &mask);
		err = set_check(&s);
		if (!err)
			M.set = s;
		break;
	case PORTSTEER_CMD_FLUSH:
		c->nsvc = 0;
		c->nrule = 0;
		err = 0;
		break;
	case PORTSTEER_CMD_REPLACE_BEGIN:
		if (m->has_gen && m->gen != M.gen)
			return -ESTALE;
		M.txn = true;
		M.tgen = M.gen;
		M.tcfg.nsvc = 0;
		M.tcfg.nrule = 0;
		M.tset = M.set;
		M.tset_mask = 0;
		return 0;
	case PORTSTEER_CMD_REPLACE_ADD:
		if (!M.txn)
			return -ENOENT;
		err = 0;
		for (i = 0; i < m->nelem && !err; i++) {
			if (m->elem[i].kind == E_SVC) {
				err = m_svc_new(&M.tcfg, &m->svc[m->elem[i].idx]);
			} else if (m->elem[i].kind == E_SET) {
				set_merge(&M.tset, &m->set, &M.tset_mask);
			} else if (M.tcfg.nrule >= M.max_rules || M.tcfg.nrule >= MAX_RULES) {
				err = -ENOSPC;
			} else {
				err = m_rule_parse(&M.tcfg, &m->rule[m->elem[i].idx],
						   &M.tcfg.rule[M.tcfg.nrule], true);
				if (!err)
					M.tcfg.nrule++;
			}
		}
		if (err)
			M.txn = false;
		return err;
	case PORTSTEER_CMD_REPLACE_COMMIT:
		if (!M.txn)
			return -ENOENT;
		M.txn = false;
		/* a change made since BEGIN fails the commit */
		if (M.gen != M.tgen)
			return -ESTALE;
		if (any_overlap(M.tcfg.rule, M.tcfg.nrule))
			return -EEXIST;
		s = M.set;
		if (M.tset_mask & 1)
			s.hooks = M.tset.hooks;
		if (M.tset_mask & 2)
			s.prio = M.tset.prio;
		if (M.tset_mask & 4)
			s.defrag = M.tset.defrag;
		if (M.tset_mask & 8)
			s.icmp = M.tset.icmp;
		if (M.tset_mask & 16)
			s.seed = M.tset.seed;
		err = set_check(&s);
		if (err)
			return err;
		M.set = s;
		M.cfg = M.tcfg;
		qsort(c->rule, c->nrule, sizeof(c->rule[0]), rule_cmp);
		break;
	case PORTSTEER_CMD_REPLACE_ABORT:
		if (!M.txn)
			return -ENOENT;
		M.txn = false;
		return 0;
	default:		/* SETTINGS_GET, STATS_GET, STATS_RESET */
		return 0;
	}
	if (!err)
		err = commit_check(&M.cfg, &M.set);
	if (!err) {
		M.gen++;
	} else {
		cfg_copy(c, &before);
		M.set = set_before;
	}
	return err;
}

static char *model_snapshot(void)
{
	const struct m_cfg *c = &M.cfg;
	char *out = NULL;
	size_t len = 0;
	unsigned int i;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	fprintf(f, "generation %u\n", M.gen);
	fprintf(f, "settings hooks %u prio %d defrag %u icmp %u seed %u services %u rules %u\n",
		M.set.hooks, M.set.prio, M.set.defrag, M.set.icmp, M.set.seed, c->nsvc, c->nrule);
	for (i = 0; i < c->nsvc; i++)
		fprintf(f, "service %s queue %u count %u balance %u bypass %u mark %#x/%#x ctmark %#x/%#x rules %u\n",
			c->svc[i].name, c->svc[i].queue, c->svc[i].count,
			c->svc[i].balance, c->svc[i].bypass, c->svc[i].mark[0],
			c->svc[i].mask[0], c->svc[i].mark[1], c->svc[i].mask[1],
			svc_rules(c, c->svc[i].name));
	for (i = 0; i < c->nrule; i++)
		fprintf(f, "rule family %u proto %u ports %u-%u dir %u service %s\n",
			c->rule[i].family, c->rule[i].proto, c->rule[i].lo,
			c->rule[i].hi, c->rule[i].dir, c->rule[i].svc);
	fclose(f);
	return out;
}

/* Load the model from the kernel's dumps (after a mutated message). */
static void model_load(struct nlt_nl *nl)
{
	struct nlt_dump_services ds = { 0 };
	struct nlt_dump_rules dr = { 0 };
	struct nlt_settings st;
	unsigned int i;

	if (nlt_get_services(nl, &ds, NULL) || nlt_get_rules(nl, &dr, NULL) ||
	    nlt_get_settings(nl, &st, NULL))
		die("cannot dump the configuration");
	if (ds.n > MAX_SVC || dr.n > MAX_RULES)
		die("the configuration grew beyond the model (%zu services, %zu rules)",
		    ds.n, dr.n);
	memset(&M.cfg, 0, sizeof(M.cfg));
	for (i = 0; i < ds.n; i++) {
		struct m_svc *s = &M.cfg.svc[i];

		snprintf(s->name, sizeof(s->name), "%s", ds.svcs[i].name);
		s->queue = ds.svcs[i].queue;
		s->count = ds.svcs[i].count;
		s->balance = ds.svcs[i].balance;
		s->bypass = ds.svcs[i].bypass;
		s->mark[0] = ds.svcs[i].mark;
		s->mask[0] = ds.svcs[i].mark_mask;
		s->mark[1] = ds.svcs[i].ct_mark;
		s->mask[1] = ds.svcs[i].ct_mark_mask;
	}
	M.cfg.nsvc = ds.n;
	for (i = 0; i < dr.n; i++) {
		struct m_rule *r = &M.cfg.rule[i];

		r->family = dr.rules[i].family;
		r->proto = dr.rules[i].proto;
		r->lo = dr.rules[i].pmin;
		r->hi = dr.rules[i].pmax;
		r->dir = dr.rules[i].direction;
		snprintf(r->svc, sizeof(r->svc), "%s", dr.rules[i].service);
	}
	M.cfg.nrule = dr.n;
	M.set.hooks = st.hooks;
	M.set.prio = st.priority;
	M.set.defrag = st.defrag;
	M.set.icmp = st.icmp_errors;
	M.set.seed = st.seed;
	M.gen = st.generation;
	M.max_services = st.max_services;
	M.max_rules = st.max_rules;
	free(ds.svcs);
	free(dr.rules);
}

static void check_model(struct nlt_nl *nl, unsigned long i)
{
	char *want = model_snapshot(), *got = nlt_snapshot(nl);

	n_checks++;
	if (!want || !got)
		die("message %lu: no snapshot", i);
	if (strcmp(want, got)) {
		printf("# the model:\n%s# the kernel:\n%s", want, got);
		die("message %lu: the configuration is not what the accepted messages built", i);
	}
	free(want);
	free(got);
}

/*
 * Send one message and a synchronising request after it; collect the
 * first's outcome: its error (0 when acked or silent), whether it got a
 * reply. Everything the socket holds is read before returning.
 */
struct outcome {
	int err;
	bool answered;
	unsigned int replies;
	uint32_t gen;		/* from the synchronising request, admin only */
	bool have_gen;
};

static int sync_cb(const struct nlattr *a, void *data)
{
	struct outcome *o = data;

	if (mnl_attr_get_type(a) == PORTSTEER_A_GENERATION &&
	    mnl_attr_get_payload_len(a) == 4) {
		o->gen = mnl_attr_get_u32(a);
		o->have_gen = true;
	}
	return MNL_CB_OK;
}

static void exchange(struct nlt_nl *nl, const struct nlmsghdr *nlh, size_t len,
		     bool admin, struct outcome *o)
{
	char buf[256];
	struct nlmsghdr *sync;
	struct genlmsghdr *g;
	uint32_t seq = nlh->nlmsg_seq, sseq;
	bool synced = false;
	int ret, flags = 0;

	memset(o, 0, sizeof(*o));
	/* The socket itself refuses some (shorter than a header: ENODATA). */
	if (mnl_socket_sendto(nl->sock, nlh, len) < 0)
		o->err = -errno;
	sync = mnl_nlmsg_put_header(buf);
	sync->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	sseq = ++nl->seq;
	sync->nlmsg_seq = sseq;
	g = mnl_nlmsg_put_extra_header(sync, sizeof(*g));
	g->version = 1;
	if (admin) {
		sync->nlmsg_type = nl->family;
		g->cmd = PORTSTEER_CMD_SETTINGS_GET;
	} else {	/* what anyone may ask */
		sync->nlmsg_type = GENL_ID_CTRL;
		g->cmd = CTRL_CMD_GETFAMILY;
		mnl_attr_put_strz(sync, CTRL_ATTR_FAMILY_NAME, PORTSTEER_GENL_NAME);
	}
	if (mnl_socket_sendto(nl->sock, sync, sync->nlmsg_len) < 0)
		die("send: %s", strerror(errno));
	n_sent++;

	/* Until the sync's ack; then whatever a dump still has to give. */
	for (;;) {
		const struct nlmsghdr *h;
		int left;

		ret = recv(mnl_socket_get_fd(nl->sock), nl->rbuf, NLT_RECV_SIZE, flags);
		if (ret < 0) {
			if (errno == EAGAIN && synced)
				break;
			if (errno == ENOBUFS)
				continue;
			die("recv: %s", strerror(errno));
		}
		left = ret;
		for (h = (struct nlmsghdr *)nl->rbuf; mnl_nlmsg_ok(h, left);
		     h = mnl_nlmsg_next(h, &left)) {
			if (h->nlmsg_seq == seq) {
				o->answered = true;
				if (h->nlmsg_type == NLMSG_ERROR) {
					const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

					o->err = e->error;
				} else if (h->nlmsg_type == NLMSG_DONE) {
					if (mnl_nlmsg_get_payload_len(h) >= sizeof(int))
						o->err = *(int *)mnl_nlmsg_get_payload(h);
				} else {
					o->replies++;
				}
			} else if (h->nlmsg_seq == sseq) {
				if (h->nlmsg_type == NLMSG_ERROR) {
					synced = true;
					flags = MSG_DONTWAIT;
				} else if (h->nlmsg_type == nl->family) {
					mnl_attr_parse(h, GENL_HDRLEN, sync_cb, o);
				}
			}
		}
	}
}

static const char *cmd_name(uint8_t cmd)
{
	static const char *const names[] = {
		"UNSPEC", "SERVICE_NEW", "SERVICE_SET", "SERVICE_DEL", "SERVICE_GET",
		"RULE_NEW", "RULE_DEL", "RULE_GET", "SETTINGS_GET", "SETTINGS_SET",
		"STATS_GET", "STATS_RESET", "FLUSH", "REPLACE_BEGIN", "REPLACE_ADD",
		"REPLACE_COMMIT", "REPLACE_ABORT" };

	return cmd <= PORTSTEER_CMD_MAX ? names[cmd] : "unknown";
}

static void count_err(int err)
{
	if (!err)
		n_ok++;
	else if (-err > 0 && -err < (int)(sizeof(n_err) / sizeof(n_err[0])))
		n_err[-err]++;
}

int main(int argc, char **argv)
{
	unsigned long count = 100000, i;
	uint64_t seed = 0;
	bool admin = true, have_seed = false;
	struct nlt_nl nl;
	struct nlmsghdr *nlh;
	struct outcome o;
	struct fmsg m;
	char *buf;
	int opt, want;
	size_t len;

	while ((opt = getopt(argc, argv, "s:n:m:v")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			have_seed = true;
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			admin = strcmp(optarg, "unpriv") != 0;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-s SEED] [-n COUNT] [-m admin|unpriv] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	if (!have_seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	nlt_rng_state = seed ? seed : 1;
	printf("TAP version 13\n1..1\n");
	printf("# nl_fuzz: seed %llu, %lu messages, mode %s (replay: nl_fuzz -s %llu -n %lu%s)\n",
	       (unsigned long long)seed, count, admin ? "admin" : "unpriv",
	       (unsigned long long)seed, count, admin ? "" : " -m unpriv");
	fflush(stdout);

	buf = malloc(NLT_MSG_SIZE);
	if (!buf || nlt_nl_open(&nl))
		die("cannot open the portsteer family");
	if (admin) {
		model_load(&nl);
		M.txn = false;
		nlt_simple(&nl, PORTSTEER_CMD_REPLACE_ABORT, NULL);
	} else {
		int grp = nl.mcgrp;

		if (!grp ||
		    mnl_socket_setsockopt(nl.sock, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) == 0)
			die("an unprivileged socket joined the config group");
		if (errno != EPERM)
			die("joining the group: %s, not EPERM", strerror(errno));
	}

	for (i = 0; i < count; i++) {
		bool mutated, dump, handler;
		uint32_t gen0 = M.gen;

		gen_msg(&m);
		nlh = encode(&nl, buf, &m);
		mutated = chance(15);
		len = mutated ? mutate(nlh, NLT_MSG_SIZE) : nlh->nlmsg_len;
		exchange(&nl, nlh, len, admin, &o);
		count_err(o.err);
		if (mutated)
			n_mutated++;
		else
			n_built++;
		if (verbose)
			printf("# %lu %s flags %#x garbage %d%s: %d\n", i, cmd_name(m.cmd),
			       m.flags, m.garbage, mutated ? " mutated" : "", o.err);

		if (!admin) {
			/* Nothing but errors and acks, mutated or not: no reading. */
			if (o.replies)
				die("message %lu (%s, flags %#x%s): %u replies without CAP_NET_ADMIN",
				    i, cmd_name(m.cmd), m.flags, mutated ? ", mutated" : "",
				    o.replies);
			if (mutated)
				continue;
			/*
			 * The header is checked first, then the command, then the
			 * caller; before 6.1 the header only after the caller.
			 */
			want = header_first() ? header_err(&m) : 0;
			if (!want)
				want = m.cmd < 1 || m.cmd > PORTSTEER_CMD_MAX ?
				       -EOPNOTSUPP : -EPERM;
			/*
			 * 6.2 and later look for the handler of the asked mode (do
			 * or dump) before checking the caller: EOPNOTSUPP then.
			 */
			dump = (m.flags & NLM_F_DUMP) == NLM_F_DUMP;
			handler = dump ? m.cmd == PORTSTEER_CMD_SERVICE_GET ||
					 m.cmd == PORTSTEER_CMD_RULE_GET :
					 m.cmd != PORTSTEER_CMD_RULE_GET;
			if (o.err != want &&
			    !(want == -EPERM && o.err == -EOPNOTSUPP && !handler))
				die("message %lu (%s, flags %#x): %d (%s) without CAP_NET_ADMIN, not %d",
				    i, cmd_name(m.cmd), m.flags, o.err, strerror(-o.err), want);
			continue;
		}
		if (mutated) {
			/* The transaction may be gone; close ours in any case. */
			nlt_simple(&nl, PORTSTEER_CMD_REPLACE_ABORT, NULL);
			M.txn = false;
			if (!o.have_gen || o.gen != gen0) {
				n_resync++;
				model_load(&nl);
			}
			continue;
		}
		if (m.garbage) {
			/* Refused by the policy before any work: nothing changes. */
			if (!o.err)
				die("message %lu (%s) with garbage %d was accepted", i,
				    cmd_name(m.cmd), m.garbage);
			if (!o.have_gen || o.gen != M.gen)
				die("message %lu (%s): refused but the generation moved", i,
				    cmd_name(m.cmd));
			continue;
		}
		want = m_apply(&m);
		if (want != o.err)
			die("message %lu (%s, flags %#x): kernel %d (%s), model %d (%s)", i,
			    cmd_name(m.cmd), m.flags, o.err, strerror(-o.err), want,
			    strerror(-want));
		if (!o.have_gen || o.gen != M.gen)
			die("message %lu (%s): generation %u, model %u", i, cmd_name(m.cmd),
			    o.gen, M.gen);
		if (i % CHECK_EVERY == CHECK_EVERY - 1)
			check_model(&nl, i);
		/* Now and then a new socket: an open transaction dies with the old. */
		if (chance(1)) {
			nlt_nl_close(&nl);
			if (nlt_nl_open(&nl))
				die("cannot reopen the family");
			M.txn = false;
		}
	}
	if (admin)
		check_model(&nl, count);

	printf("# sent %lu messages: %lu built, %lu mutated; %lu without an error%s\n",
	       n_sent, n_built, n_mutated, n_ok,
	       admin ? "" : " (mutants the kernel ignores: no NLM_F_REQUEST, a control type)");
	printf("# refused with:");
	for (i = 1; i < sizeof(n_err) / sizeof(n_err[0]); i++)
		if (n_err[i])
			printf(" %s %lu,", nlt_errname(i), n_err[i]);
	printf("\n# model reloaded after %lu accepted mutants; %lu full comparisons\n",
	       n_resync, n_checks);
	if (admin)
		printf("# final: %u services, %u rules, generation %u\n",
		       M.cfg.nsvc, M.cfg.nrule, M.gen);
	printf("ok 1 nl_fuzz\n");
	nlt_nl_close(&nl);
	free(buf);
	return 0;
}
