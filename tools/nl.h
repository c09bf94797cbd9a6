/* SPDX-License-Identifier: GPL-2.0 */
/*
 * portsteerctl: the narrow netlink layer, over libmnl. Functions return 0 or
 * a negative errno; the kernel's extended ack message, if any, is kept in
 * nlsock.ext_msg. The selftests have a client of their own on purpose
 * (selftests/nl_util.h says why). The prefix ctl_ is portsteerctl's; ps_
 * names the kernel's code.
 */
#ifndef PORTSTEERCTL_NL_H
#define PORTSTEERCTL_NL_H

#include <errno.h>
#include <libmnl/libmnl.h>
#include "portsteerctl.h"

#define NL_RECV_SIZE	(128 * 1024)
/* REPLACE_ADD messages are cut at this size, well under 64 KiB */
#define NL_MSG_SPLIT	(32 * 1024)
#define NL_MSG_SIZE	(64 * 1024)
#define NL_DUMP_TRIES	5

struct nlsock {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	char *rbuf;
	char ext_msg[256];
	bool dump_intr;
	bool unread;		/* replies of the last request left unread */
};

int nlsock_open(struct nlsock *s, int bus);
void nlsock_close(struct nlsock *s);
int nlsock_send(struct nlsock *s, struct nlmsghdr *nlh);
int nlsock_talk(struct nlsock *s, struct nlmsghdr *nlh, mnl_cb_t cb,
		void *data);

/* The portsteer generic netlink family */
struct ctl_nl {
	struct nlsock s;
	uint16_t family;
	uint32_t version;	/* the family's, CTRL_ATTR_VERSION */
	uint32_t mcgrp_config;
};

/*
 * What ctl_nl_open() and ctl_nl_open_own() return when the family is not
 * registered (the module is not loaded), and only then; the message is
 * printed. ctl_nl_open_status() turns their return into the exit status:
 * EXIT_NOFAMILY (3) for it, EXIT_ERROR for any other failure.
 */
#define CTL_NL_NOFAMILY	(-ENOENT)

int ctl_nl_open(struct ctl_nl *nl);
int ctl_nl_open_own(struct ctl_nl *nl);
int ctl_nl_open_quiet(struct ctl_nl *nl);	/* says nothing of NOFAMILY */
int ctl_nl_open_status(int ret);
void ctl_nl_close(struct ctl_nl *nl);
void ctl_nl_share(bool on);
struct nlmsghdr *ctl_nl_msg(struct ctl_nl *nl, void *buf, uint8_t cmd,
			    uint16_t flags);
int ctl_nl_do(struct ctl_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
int ctl_nl_simple(struct ctl_nl *nl, uint8_t cmd);
int ctl_nl_dump(struct ctl_nl *nl, uint8_t cmd, mnl_cb_t cb, void *data,
		void (*reset)(void *data));
int ctl_nl_join(struct ctl_nl *nl, uint32_t group);

/* Attribute readers of replies (nl.c) */
int ctl_parse_service(const struct nlattr *nest, struct ctl_service *svc);
int ctl_parse_rule(const struct nlattr *nest, struct ctl_rule *r);
int ctl_parse_settings(const struct nlattr *nest, struct ctl_settings *set);
int ctl_parse_stats(const struct nlattr *nest, struct ctl_stats *st);
int ctl_parse_top(const struct nlmsghdr *nlh, const struct nlattr **tb);

/* Attribute writers of requests (nl.c) */
bool ctl_put_service(struct nlmsghdr *nlh, size_t size,
		     const struct ctl_service *svc, bool name_only);
bool ctl_put_rule(struct nlmsghdr *nlh, size_t size, const struct ctl_rule *r,
		  bool with_service);
bool ctl_put_settings(struct nlmsghdr *nlh, size_t size,
		      const struct ctl_settings *set);
struct nlmsghdr *ctl_rule_msg(struct ctl_nl *nl, void *buf, size_t size,
			      enum ctl_rule_op op, const struct ctl_rule *rules,
			      size_t n);

/* Dumps into arrays, consistent with each other (same generation) */
int ctl_get_services(struct ctl_nl *nl, struct ctl_service **svcs, size_t *n,
		     uint32_t *gen);
int ctl_get_service(struct ctl_nl *nl, const char *name, struct ctl_service *svc);
int ctl_get_rules(struct ctl_nl *nl, struct ctl_rule **rules, size_t *n,
		  uint32_t *gen);
int ctl_get_settings(struct ctl_nl *nl, struct ctl_settings *set, uint32_t *gen);
int ctl_get_config(struct ctl_nl *nl, struct ctl_config *cfg);

/* Prints "portsteerctl: WHAT: strerror[: extack]" to stderr */
void nl_error(struct nlsock *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* PORTSTEERCTL_NL_H */
