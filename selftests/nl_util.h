/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small generic netlink client of the portsteer family for the selftests,
 * over libmnl, independent of portsteerctl. Every request asks for an ack;
 * acks are read with NETLINK_EXT_ACK so the kernel's message, the offset of
 * the offending attribute and the type of a missing one come back.
 */
#ifndef _PS_NL_UTIL_H
#define _PS_NL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>
#include <linux/portsteer.h>

#define PS_MSG_SIZE	(64 * 1024)
#define PS_RECV_SIZE	(1024 * 1024)

struct ps_nl {
	struct mnl_socket *sock;
	uint16_t family;
	uint32_t mcgrp;		/* id of the "config" group, 0 if none */
	uint32_t portid;
	uint32_t seq;
	char *rbuf;
};

/* The result of a request. */
struct ps_ack {
	int err;		/* 0 or a negative errno */
	char msg[256];		/* NLMSGERR_ATTR_MSG, "" without one */
	int offs;		/* NLMSGERR_ATTR_OFFS from the request's start, or -1 */
	int miss_type;		/* NLMSGERR_ATTR_MISS_TYPE, or -1 */
	int miss_nest;		/* NLMSGERR_ATTR_MISS_NEST, or -1 */
	bool dump_intr;		/* a message of the dump had NLM_F_DUMP_INTR */
	unsigned int replies;	/* messages before the ack or NLMSG_DONE */
};

/* Called for each reply; returns MNL_CB_OK, MNL_CB_STOP or MNL_CB_ERROR. */
typedef int (*ps_cb_t)(const struct nlmsghdr *nlh, void *data);

int ps_nl_open(struct ps_nl *nl);
void ps_nl_close(struct ps_nl *nl);
int ps_nl_join(struct ps_nl *nl);

struct nlmsghdr *ps_msg(struct ps_nl *nl, void *buf, uint8_t cmd, uint16_t flags);
int ps_talk(struct ps_nl *nl, struct nlmsghdr *nlh, ps_cb_t cb, void *data,
	    struct ps_ack *ack);
int ps_simple(struct ps_nl *nl, uint8_t cmd, struct ps_ack *ack);
int ps_recv_ntf(struct ps_nl *nl, int timeout_ms, ps_cb_t cb, void *data);

/* Request builders: a negative or NULL argument leaves the attribute out. */
struct nlattr *ps_put_service(struct nlmsghdr *nlh, uint16_t type, const char *name,
			      long queue, long count, int balance, int bypass);
struct nlattr *ps_put_rule(struct nlmsghdr *nlh, int family, int proto,
			   long pmin, long pmax, const char *service);

/* Replies */
struct ps_service {
	char name[PORTSTEER_SERVICE_NAME_MAX + 2];
	uint32_t queue, count, balance, bypass, rules;
	uint64_t packets, bytes;
};

struct ps_rule {
	uint8_t family, proto;
	uint16_t pmin, pmax;
	char service[PORTSTEER_SERVICE_NAME_MAX + 2];
};

struct ps_settings {
	uint32_t generation;
	uint8_t hook, defrag, icmp_errors, hook_active;
	int32_t priority;
	uint32_t seed, max_services, max_rules, services, rules;
	uint64_t table_bytes;
	bool has[PORTSTEER_SETTINGS_A_MAX + 1];
};

struct ps_dump_rules {
	struct ps_rule *rules;
	size_t n, cap;
	uint32_t gen;
	bool gen_mixed;		/* the messages carried different generations */
};

struct ps_dump_services {
	struct ps_service *svcs;
	size_t n, cap;
	uint32_t gen;
	bool gen_mixed;
};

int ps_parse_service(const struct nlattr *nest, struct ps_service *s);
int ps_parse_rule(const struct nlattr *nest, struct ps_rule *r);
int ps_get_rules(struct ps_nl *nl, struct ps_dump_rules *d, struct ps_ack *ack);
int ps_get_services(struct ps_nl *nl, struct ps_dump_services *d, struct ps_ack *ack);
int ps_get_service(struct ps_nl *nl, const char *name, struct ps_service *s,
		   struct ps_ack *ack);
int ps_get_settings(struct ps_nl *nl, struct ps_settings *s, struct ps_ack *ack);

/*
 * The whole configuration as text (services, rules, settings, generation):
 * two snapshots are equal when nothing changed. Returns a malloc'ed string
 * or NULL.
 */
char *ps_snapshot(struct ps_nl *nl);

/* Builds a replace transaction of the given rules over one socket. */
int ps_replace(struct ps_nl *nl, const char *const *services, size_t nservices,
	       const struct ps_rule *rules, size_t nrules, struct ps_ack *ack);

#endif /* _PS_NL_UTIL_H */
