/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small generic netlink client of the portsteer family for the selftests,
 * over libmnl, independent of portsteerctl. Every request asks for an ack;
 * acks are read with NETLINK_EXT_ACK so the kernel's message, the offset of
 * the offending attribute and the type of a missing one come back.
 *
 * Why not portsteerctl's netlink layer (tools/nl.c): these tests speak the
 * protocol as a careless or hostile peer would (raw attributes of any type
 * and length, missing nests, unknown commands and flags) and look at the
 * whole extended ack, where the CLI's layer only builds well-formed
 * requests and keeps the message. And a test that encoded its requests
 * with the code of the tool it checks would share that code's mistakes.
 * Both are driven by the same generated header, uapi/linux/portsteer.h.
 * The prefix nlt_ is this client's; ps_ names the kernel's code.
 */
#ifndef _PS_NL_UTIL_H
#define _PS_NL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>
#include <linux/portsteer.h>

#define NLT_MSG_SIZE	(64 * 1024)
#define NLT_RECV_SIZE	(1024 * 1024)

struct nlt_nl {
	struct mnl_socket *sock;
	uint16_t family;
	uint32_t mcgrp;		/* id of the "config" group, 0 if none */
	uint32_t portid;
	uint32_t seq;
	char *rbuf;
};

/* The result of a request. */
struct nlt_ack {
	int err;		/* 0 or a negative errno */
	char msg[256];		/* NLMSGERR_ATTR_MSG, "" without one */
	int offs;		/* NLMSGERR_ATTR_OFFS from the request's start, or -1 */
	int miss_type;		/* NLMSGERR_ATTR_MISS_TYPE, or -1 */
	int miss_nest;		/* NLMSGERR_ATTR_MISS_NEST, or -1 */
	bool dump_intr;		/* a message of the dump had NLM_F_DUMP_INTR */
	unsigned int replies;	/* messages before the ack or NLMSG_DONE */
};

/* Called for each reply; returns MNL_CB_OK, MNL_CB_STOP or MNL_CB_ERROR. */
typedef int (*nlt_cb_t)(const struct nlmsghdr *nlh, void *data);

bool nlt_kernel_at_least(int major, int minor);
const char *nlt_errname(int e);
int nlt_nl_open(struct nlt_nl *nl);
void nlt_nl_close(struct nlt_nl *nl);
int nlt_nl_join(struct nlt_nl *nl);

struct nlmsghdr *nlt_msg(struct nlt_nl *nl, void *buf, uint8_t cmd, uint16_t flags);
int nlt_talk(struct nlt_nl *nl, struct nlmsghdr *nlh, nlt_cb_t cb, void *data,
	     struct nlt_ack *ack);
int nlt_simple(struct nlt_nl *nl, uint8_t cmd, struct nlt_ack *ack);
int nlt_recv_ntf(struct nlt_nl *nl, int timeout_ms, nlt_cb_t cb, void *data);

/* Request builders: a negative or NULL argument leaves the attribute out. */
struct nlattr *nlt_put_service(struct nlmsghdr *nlh, uint16_t type, const char *name,
			       long queue, long count, int balance, int bypass);
struct nlattr *nlt_put_rule(struct nlmsghdr *nlh, int family, int proto,
			    long pmin, long pmax, const char *service);

/* Replies */
struct nlt_service {
	char name[PORTSTEER_SERVICE_NAME_MAX + 2];
	uint32_t queue, count, balance, bypass, rules;
	uint64_t packets, bytes;
	uint32_t mark, mark_mask, ct_mark, ct_mark_mask;
};

struct nlt_rule {
	uint8_t family, proto;
	uint16_t pmin, pmax;
	char service[PORTSTEER_SERVICE_NAME_MAX + 2];
	uint8_t direction;	/* PORTSTEER_DIRECTION_DST when absent */
};

struct nlt_settings {
	uint32_t generation;
	uint8_t hook, defrag, icmp_errors, hook_active;
	int32_t priority;
	uint32_t seed, max_services, max_rules, services, rules, hooks;
	uint64_t table_bytes;
	bool has[PORTSTEER_SETTINGS_A_MAX + 1];
};

struct nlt_dump_rules {
	struct nlt_rule *rules;
	size_t n, cap;
	uint32_t gen;
	bool gen_mixed;		/* the messages carried different generations */
};

struct nlt_dump_services {
	struct nlt_service *svcs;
	size_t n, cap;
	uint32_t gen;
	bool gen_mixed;
};

int nlt_parse_service(const struct nlattr *nest, struct nlt_service *s);
int nlt_parse_rule(const struct nlattr *nest, struct nlt_rule *r);
int nlt_get_rules(struct nlt_nl *nl, struct nlt_dump_rules *d, struct nlt_ack *ack);
int nlt_get_services(struct nlt_nl *nl, struct nlt_dump_services *d, struct nlt_ack *ack);
int nlt_get_service(struct nlt_nl *nl, const char *name, struct nlt_service *s,
		    struct nlt_ack *ack);
int nlt_get_settings(struct nlt_nl *nl, struct nlt_settings *s, struct nlt_ack *ack);

/*
 * The whole configuration as text (services, rules, settings, generation):
 * two snapshots are equal when nothing changed. Returns a malloc'ed string
 * or NULL.
 */
char *nlt_snapshot(struct nlt_nl *nl);

/* Builds a replace transaction of the given rules over one socket. */
int nlt_replace(struct nlt_nl *nl, const char *const *services, size_t nservices,
		const struct nlt_rule *rules, size_t nrules, struct nlt_ack *ack);

/*
 * A pseudo-random generator of our own (xorshift64*), so that a seed
 * replays everywhere: seed nlt_rng_state (not 0), then draw.
 */
extern uint64_t nlt_rng_state;

static inline uint64_t rnd(void)
{
	uint64_t x = nlt_rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	nlt_rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static inline bool chance(unsigned int percent)
{
	return below(100) < percent;
}

#endif /* _PS_NL_UTIL_H */
