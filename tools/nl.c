// SPDX-License-Identifier: GPL-2.0
/*
 * portsteerctl: netlink over libmnl. One request, its replies, its ack;
 * extended acks; dumps retried when they raced a change.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

void nl_error(struct nlsock *s, int err, const char *fmt, ...)
{
	va_list ap;

	fputs(ctl_err_prefix(), stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s", strerror(err < 0 ? -err : err));
	if (s && s->ext_msg[0])
		fprintf(stderr, ": %s", s->ext_msg);
	fputc('\n', stderr);
}

int nlsock_open(struct nlsock *s, int bus)
{
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->rbuf = malloc(NL_RECV_SIZE);
	if (!s->rbuf)
		return -ENOMEM;
	s->sock = mnl_socket_open(bus);
	if (!s->sock)
		goto err;
	if (mnl_socket_bind(s->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err;
	s->portid = mnl_socket_get_portid(s->sock);
	s->seq = time(NULL);
	/* Best effort: older kernels lack these and still work. */
	mnl_socket_setsockopt(s->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s->sock, NETLINK_GET_STRICT_CHK, &one,
			      sizeof(one));
	return 0;
err:
	{
		int err = -errno;

		nlsock_close(s);
		return err ? err : -EIO;
	}
}

void nlsock_close(struct nlsock *s)
{
	if (s->sock)
		mnl_socket_close(s->sock);
	s->sock = NULL;
	free(s->rbuf);
	s->rbuf = NULL;
}

struct talk_ctx {
	struct nlsock *s;
	mnl_cb_t cb;
	void *data;
	int err;
	bool final;	/* the ack or the end of the dump was seen */
};

/* The extended ack attributes that follow an error or done message. */
static void parse_extack(struct nlsock *s, const struct nlmsghdr *nlh,
			 size_t offset)
{
	const struct nlattr *attr;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (offset > nlh->nlmsg_len - MNL_NLMSG_HDRLEN)
		return;
	mnl_attr_for_each(attr, nlh, offset) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
			snprintf(s->ext_msg, sizeof(s->ext_msg), "%s",
				 mnl_attr_get_str(attr));
		}
	}
}

static int cb_error(const struct nlmsghdr *nlh, void *data)
{
	struct talk_ctx *c = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off;

	c->final = true;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		c->err = -EBADMSG;
		return MNL_CB_ERROR;
	}
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	parse_extack(c->s, nlh, off);
	if (e->error == 0) {
		/* a message with success is a warning, as ip prints it */
		if (c->s->ext_msg[0]) {
			ctl_err("warning: %s\n", c->s->ext_msg);
			c->s->ext_msg[0] = '\0';
		}
		return MNL_CB_STOP;
	}
	c->err = e->error < 0 ? e->error : -e->error;
	return MNL_CB_ERROR;
}

static int cb_done(const struct nlmsghdr *nlh, void *data)
{
	struct talk_ctx *c = data;

	c->final = true;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		c->s->dump_intr = true;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		int e = *(int *)mnl_nlmsg_get_payload(nlh);

		parse_extack(c->s, nlh, sizeof(int));
		if (e < 0) {
			c->err = e;
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

static int cb_noop(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static int cb_data(const struct nlmsghdr *nlh, void *data)
{
	struct talk_ctx *c = data;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		c->s->dump_intr = true;
	if (!c->cb)
		return MNL_CB_OK;
	return c->cb(nlh, c->data);
}

static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_NOOP] = cb_noop,
	[NLMSG_ERROR] = cb_error,
	[NLMSG_DONE] = cb_done,
	[NLMSG_OVERRUN] = cb_noop,
};

int nlsock_send(struct nlsock *s, struct nlmsghdr *nlh)
{
	if (mnl_socket_sendto(s->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

/*
 * Reads and drops what an earlier request left unread (the rest of a dump
 * whose callback failed, an ack after a failed reply), so that the socket
 * can serve the next request: batches keep one socket.
 */
static void nlsock_drain(struct nlsock *s)
{
	int fd = mnl_socket_get_fd(s->sock);

	while (recv(fd, s->rbuf, NL_RECV_SIZE, MSG_DONTWAIT) > 0)
		;
	s->unread = false;
}

/*
 * Sends one request and processes its replies until the ack (or the end of
 * the dump). cb sees every reply that is not a control message.
 */
int nlsock_talk(struct nlsock *s, struct nlmsghdr *nlh, mnl_cb_t cb,
		void *data)
{
	struct talk_ctx c = { .s = s, .cb = cb, .data = data };
	uint32_t seq;
	ssize_t len;
	int ret;

	if (s->unread)
		nlsock_drain(s);
	s->ext_msg[0] = '\0';
	s->dump_intr = false;
	seq = ++s->seq;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags |= NLM_F_ACK;
	ret = nlsock_send(s, nlh);
	if (ret)
		return ret;
	for (;;) {
		len = mnl_socket_recvfrom(s->sock, s->rbuf, NL_RECV_SIZE);
		if (len < 0) {
			ret = -errno;
			s->unread = true;
			return ret;
		}
		ret = mnl_cb_run2(s->rbuf, len, seq, s->portid, cb_data, &c,
				  ctl_cbs, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_STOP)
			return 0;
		if (ret < 0) {
			ret = c.err ? c.err : (errno ? -errno : -EIO);
			if (!c.final)
				s->unread = true;
			return ret;
		}
	}
}

/* Generic netlink: the portsteer family */

struct family_info {
	uint16_t id;
	uint32_t version;
	uint32_t mcgrp_config;
};

static int cb_family_grp(const struct nlattr *attr, void *data)
{
	struct family_info *fi = data;
	const struct nlattr *a;
	const char *name = NULL;
	uint32_t id = 0;

	mnl_attr_for_each_nested(a, attr) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_MCAST_GRP_NAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				name = mnl_attr_get_str(a);
			break;
		case CTRL_ATTR_MCAST_GRP_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				id = mnl_attr_get_u32(a);
			break;
		}
	}
	if (name && !strcmp(name, PORTSTEER_MCGRP_CONFIG))
		fi->mcgrp_config = id;
	return MNL_CB_OK;
}

static int cb_family(const struct nlmsghdr *nlh, void *data)
{
	struct family_info *fi = data;
	const struct nlattr *attr, *grp;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(attr)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
				fi->id = mnl_attr_get_u16(attr);
			break;
		case CTRL_ATTR_VERSION:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				fi->version = mnl_attr_get_u32(attr);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(grp, attr)
				cb_family_grp(grp, fi);
			break;
		}
	}
	return MNL_CB_OK;
}

/* The connection of a batch, while ctl_nl_share() is on. */
static struct ctl_nl shared;
static bool sharing;

/*
 * A connection of its own (monitor's, which joins a group); -ENOENT, and
 * nothing printed when @quiet, when the family is not there.
 */
static int nl_open(struct ctl_nl *nl, bool quiet)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct family_info fi = { 0 };
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	int ret;

	memset(nl, 0, sizeof(*nl));
	ret = nlsock_open(&nl->s, NETLINK_GENERIC);
	if (ret) {
		nl_error(NULL, ret, "cannot open a generic netlink socket");
		/* not the family's absence, whatever the errno */
		return ret == -ENOENT ? -EIO : ret;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, PORTSTEER_GENL_NAME);
	ret = nlsock_talk(&nl->s, nlh, cb_family, &fi);
	if (ret == -ENOENT) {
		if (!quiet)
			ctl_err("generic netlink family '%s' not found: is the portsteer module loaded?\n",
				PORTSTEER_GENL_NAME);
		goto err;
	}
	if (ret || !fi.id) {
		nl_error(&nl->s, ret ? ret : -EPROTO,
			 "cannot resolve generic netlink family '%s'",
			 PORTSTEER_GENL_NAME);
		goto err;
	}
	nl->family = fi.id;
	nl->version = fi.version;
	nl->mcgrp_config = fi.mcgrp_config;
	return 0;
err:
	nlsock_close(&nl->s);
	return ret ? ret : -EPROTO;
}

int ctl_nl_open_own(struct ctl_nl *nl)
{
	return nl_open(nl, false);
}

int ctl_nl_open_quiet(struct ctl_nl *nl)
{
	return nl_open(nl, true);
}

int ctl_nl_open_status(int ret)
{
	return ret == CTL_NL_NOFAMILY ? EXIT_NOFAMILY : EXIT_ERROR;
}

/*
 * The connection of a command: its own, or in a batch the batch's, opened
 * by the first command that needs it and kept for the next ones.
 */
int ctl_nl_open(struct ctl_nl *nl)
{
	int ret;

	if (sharing && shared.s.sock) {
		*nl = shared;
		return 0;
	}
	ret = ctl_nl_open_own(nl);
	if (!ret && sharing)
		shared = *nl;
	return ret;
}

void ctl_nl_close(struct ctl_nl *nl)
{
	if (sharing && shared.s.sock && nl->s.sock == shared.s.sock) {
		shared = *nl;	/* its sequence number, what is unread */
		return;
	}
	nlsock_close(&nl->s);
}

/* Batches: on, commands share one connection; off, it is closed. */
void ctl_nl_share(bool on)
{
	if (!on && shared.s.sock)
		nlsock_close(&shared.s);
	sharing = on;
}

struct nlmsghdr *ctl_nl_msg(struct ctl_nl *nl, void *buf, uint8_t cmd,
			    uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = nl->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = PORTSTEER_GENL_VERSION;
	return nlh;
}

int ctl_nl_do(struct ctl_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	return nlsock_talk(&nl->s, nlh, cb, data);
}

int ctl_nl_simple(struct ctl_nl *nl, uint8_t cmd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return ctl_nl_do(nl, ctl_nl_msg(nl, buf, cmd, 0), NULL, NULL);
}

int ctl_nl_dump(struct ctl_nl *nl, uint8_t cmd, mnl_cb_t cb, void *data,
		void (*reset)(void *data))
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int ret, i;

	for (i = 0; i < NL_DUMP_TRIES; i++) {
		if (reset)
			reset(data);
		ret = ctl_nl_do(nl, ctl_nl_msg(nl, buf, cmd, NLM_F_DUMP), cb,
				data);
		if (ret || !nl->s.dump_intr)
			return ret;
	}
	snprintf(nl->s.ext_msg, sizeof(nl->s.ext_msg),
		 "dump interrupted %d times by concurrent changes", i);
	return -EINTR;
}

int ctl_nl_join(struct ctl_nl *nl, uint32_t group)
{
	if (mnl_socket_setsockopt(nl->s.sock, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0)
		return -errno;
	return 0;
}

/* Reply parsing */

static void put_nested_flag(struct nlattr *nest)
{
	nest->nla_type |= NLA_F_NESTED;
}

int ctl_parse_top(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	const struct nlattr *attr;

	memset(tb, 0, sizeof(*tb) * (PORTSTEER_A_MAX + 1));
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		uint16_t t = mnl_attr_get_type(attr);

		if (t <= PORTSTEER_A_MAX)
			tb[t] = attr;
	}
	return 0;
}

static int get_u8(const struct nlattr *a, uint8_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U8))
		return -EPROTO;
	*v = mnl_attr_get_u8(a);
	return 0;
}

static int get_u16(const struct nlattr *a, uint16_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U16))
		return -EPROTO;
	*v = mnl_attr_get_u16(a);
	return 0;
}

static int get_u32(const struct nlattr *a, uint32_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U32))
		return -EPROTO;
	*v = mnl_attr_get_u32(a);
	return 0;
}

static int get_u64(const struct nlattr *a, uint64_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U64))
		return -EPROTO;
	*v = mnl_attr_get_u64(a);
	return 0;
}

static int get_str(const struct nlattr *a, char *buf, size_t len)
{
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) ||
	    strlen(mnl_attr_get_str(a)) >= len)
		return -EPROTO;
	strcpy(buf, mnl_attr_get_str(a));
	return 0;
}

int ctl_parse_stats(const struct nlattr *nest, struct ctl_stats *st)
{
	const struct nlattr *a;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case PORTSTEER_STATS_A_SEEN:
			ret |= get_u64(a, &st->seen);
			break;
		case PORTSTEER_STATS_A_MATCHED:
			ret |= get_u64(a, &st->matched);
			break;
		case PORTSTEER_STATS_A_UNMATCHED:
			ret |= get_u64(a, &st->unmatched);
			break;
		case PORTSTEER_STATS_A_NO_L4:
			ret |= get_u64(a, &st->no_l4);
			break;
		case PORTSTEER_STATS_A_MALFORMED:
			ret |= get_u64(a, &st->malformed);
			break;
		case PORTSTEER_STATS_A_ICMP_FOLLOWED:
			ret |= get_u64(a, &st->icmp_followed);
			break;
		case PORTSTEER_STATS_A_DROPPED:
			ret |= get_u64(a, &st->dropped);
			break;
		case PORTSTEER_STATS_A_EXEMPT:
			ret |= get_u64(a, &st->exempt);
			break;
		}
	}
	return ret ? -EPROTO : 0;
}

int ctl_parse_service(const struct nlattr *nest, struct ctl_service *svc)
{
	const struct nlattr *a, *b;
	int ret = 0;

	memset(svc, 0, sizeof(*svc));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case PORTSTEER_SERVICE_A_NAME:
			ret |= get_str(a, svc->name, sizeof(svc->name));
			break;
		case PORTSTEER_SERVICE_A_QUEUE:
			ret |= get_u16(a, &svc->queue);
			svc->have |= CTL_SVC_QUEUE;
			if (!svc->queue_count)
				svc->queue_count = 1;
			break;
		case PORTSTEER_SERVICE_A_QUEUE_COUNT:
			ret |= get_u32(a, &svc->queue_count);
			break;
		case PORTSTEER_SERVICE_A_BALANCE:
			ret |= get_u8(a, &svc->balance);
			svc->have |= CTL_SVC_BALANCE;
			break;
		case PORTSTEER_SERVICE_A_BYPASS:
			ret |= get_u8(a, &svc->bypass);
			svc->have |= CTL_SVC_BYPASS;
			break;
		case PORTSTEER_SERVICE_A_RULES:
			ret |= get_u32(a, &svc->rules);
			svc->have |= CTL_SVC_RULES;
			break;
		case PORTSTEER_SERVICE_A_MARK:
			ret |= get_u32(a, &svc->mark);
			svc->have |= CTL_SVC_MARK;
			break;
		case PORTSTEER_SERVICE_A_MARK_MASK:
			ret |= get_u32(a, &svc->mark_mask);
			svc->have |= CTL_SVC_MARK_MASK;
			break;
		case PORTSTEER_SERVICE_A_CT_MARK:
			ret |= get_u32(a, &svc->ct_mark);
			svc->have |= CTL_SVC_CT_MARK;
			break;
		case PORTSTEER_SERVICE_A_CT_MARK_MASK:
			ret |= get_u32(a, &svc->ct_mark_mask);
			svc->have |= CTL_SVC_CT_MARK_MASK;
			break;
		case PORTSTEER_SERVICE_A_STATS:
			svc->have |= CTL_SVC_STATS;
			mnl_attr_for_each_nested(b, a) {
				switch (mnl_attr_get_type(b)) {
				case PORTSTEER_STATS_A_PACKETS:
					ret |= get_u64(b, &svc->packets);
					break;
				case PORTSTEER_STATS_A_BYTES:
					ret |= get_u64(b, &svc->bytes);
					break;
				}
			}
			break;
		}
	}
	return ret || !svc->name[0] ? -EPROTO : 0;
}

int ctl_parse_rule(const struct nlattr *nest, struct ctl_rule *r)
{
	const struct nlattr *a;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	r->family = PORTSTEER_FAMILY_INET;
	r->dir = PORTSTEER_DIRECTION_DST;	/* absent: dst */
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case PORTSTEER_RULE_A_FAMILY:
			ret |= get_u8(a, &r->family);
			break;
		case PORTSTEER_RULE_A_PROTO:
			ret |= get_u8(a, &r->proto);
			break;
		case PORTSTEER_RULE_A_PORT_MIN:
			ret |= get_u16(a, &r->port_min);
			break;
		case PORTSTEER_RULE_A_PORT_MAX:
			ret |= get_u16(a, &r->port_max);
			break;
		case PORTSTEER_RULE_A_SERVICE:
			ret |= get_str(a, r->service, sizeof(r->service));
			break;
		case PORTSTEER_RULE_A_DIRECTION:
			ret |= get_u8(a, &r->dir);
			break;
		}
	}
	if (r->port_max < r->port_min)
		r->port_max = r->port_min;
	return ret ? -EPROTO : 0;
}

/*
 * The set of hooks is HOOKS; a kernel without it sends only HOOK, one
 * hook, and a kernel with it adds HOOK for a set of one: HOOKS wins.
 */
int ctl_parse_settings(const struct nlattr *nest, struct ctl_settings *set)
{
	const struct nlattr *a;
	bool got_hooks = false;
	uint32_t prio = 0;
	uint8_t hook = 0;
	int ret = 0;

	memset(set, 0, sizeof(*set));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case PORTSTEER_SETTINGS_A_HOOK:
			ret |= get_u8(a, &hook);
			if (!got_hooks)
				set->hooks = hook < 32 ? 1U << hook : 0;
			set->have |= CTL_SET_HOOK;
			break;
		case PORTSTEER_SETTINGS_A_HOOKS:
			ret |= get_u32(a, &set->hooks);
			got_hooks = true;
			set->have |= CTL_SET_HOOK;
			break;
		case PORTSTEER_SETTINGS_A_PRIORITY:
			ret |= get_u32(a, &prio);
			set->priority = (int32_t)prio;
			set->have |= CTL_SET_PRIORITY;
			break;
		case PORTSTEER_SETTINGS_A_DEFRAG:
			ret |= get_u8(a, &set->defrag);
			set->have |= CTL_SET_DEFRAG;
			break;
		case PORTSTEER_SETTINGS_A_ICMP_ERRORS:
			ret |= get_u8(a, &set->icmp_errors);
			set->have |= CTL_SET_ICMP_ERRORS;
			break;
		case PORTSTEER_SETTINGS_A_SEED:
			ret |= get_u32(a, &set->seed);
			set->have |= CTL_SET_SEED;
			break;
		case PORTSTEER_SETTINGS_A_MAX_SERVICES:
			ret |= get_u32(a, &set->max_services);
			set->have |= CTL_SET_LIMITS;
			break;
		case PORTSTEER_SETTINGS_A_MAX_RULES:
			ret |= get_u32(a, &set->max_rules);
			set->have |= CTL_SET_LIMITS;
			break;
		case PORTSTEER_SETTINGS_A_SERVICES:
			ret |= get_u32(a, &set->services);
			set->have |= CTL_SET_LIMITS;
			break;
		case PORTSTEER_SETTINGS_A_RULES:
			ret |= get_u32(a, &set->rules);
			set->have |= CTL_SET_LIMITS;
			break;
		case PORTSTEER_SETTINGS_A_HOOK_ACTIVE:
			ret |= get_u8(a, &set->hook_active);
			set->have |= CTL_SET_HOOK_ACTIVE;
			break;
		case PORTSTEER_SETTINGS_A_TABLE_BYTES:
			ret |= get_u64(a, &set->table_bytes);
			set->have |= CTL_SET_TABLE_BYTES;
			break;
		}
	}
	return ret ? -EPROTO : 0;
}

/* Request building; false when the attributes do not fit in size bytes. */

bool ctl_put_service(struct nlmsghdr *nlh, size_t size,
		     const struct ctl_service *svc, bool name_only)
{
	struct nlattr *nest;

	nest = mnl_attr_nest_start_check(nlh, size, PORTSTEER_A_SERVICE);
	if (!nest)
		return false;
	put_nested_flag(nest);
	if (!mnl_attr_put_strz_check(nlh, size, PORTSTEER_SERVICE_A_NAME,
				     svc->name))
		goto cancel;
	if (name_only)
		goto end;
	if (svc->have & CTL_SVC_QUEUE) {
		if (!mnl_attr_put_u16_check(nlh, size,
					    PORTSTEER_SERVICE_A_QUEUE,
					    svc->queue) ||
		    !mnl_attr_put_u32_check(nlh, size,
					    PORTSTEER_SERVICE_A_QUEUE_COUNT,
					    svc->queue_count))
			goto cancel;
	}
	if ((svc->have & CTL_SVC_BALANCE) &&
	    !mnl_attr_put_u8_check(nlh, size, PORTSTEER_SERVICE_A_BALANCE,
				   svc->balance))
		goto cancel;
	if ((svc->have & CTL_SVC_BYPASS) &&
	    !mnl_attr_put_u8_check(nlh, size, PORTSTEER_SERVICE_A_BYPASS,
				   svc->bypass))
		goto cancel;
	/* a value alone: the kernel's mask 0xffffffff; a mask 0 alone: none */
	if (((svc->have & CTL_SVC_MARK) &&
	     !mnl_attr_put_u32_check(nlh, size, PORTSTEER_SERVICE_A_MARK,
				     svc->mark)) ||
	    ((svc->have & CTL_SVC_MARK_MASK) &&
	     !mnl_attr_put_u32_check(nlh, size, PORTSTEER_SERVICE_A_MARK_MASK,
				     svc->mark_mask)) ||
	    ((svc->have & CTL_SVC_CT_MARK) &&
	     !mnl_attr_put_u32_check(nlh, size, PORTSTEER_SERVICE_A_CT_MARK,
				     svc->ct_mark)) ||
	    ((svc->have & CTL_SVC_CT_MARK_MASK) &&
	     !mnl_attr_put_u32_check(nlh, size,
				     PORTSTEER_SERVICE_A_CT_MARK_MASK,
				     svc->ct_mark_mask)))
		goto cancel;
end:
	mnl_attr_nest_end(nlh, nest);
	return true;
cancel:
	mnl_attr_nest_cancel(nlh, nest);
	return false;
}

bool ctl_put_rule(struct nlmsghdr *nlh, size_t size, const struct ctl_rule *r,
		  bool with_service)
{
	struct nlattr *nest;

	nest = mnl_attr_nest_start_check(nlh, size, PORTSTEER_A_RULE);
	if (!nest)
		return false;
	put_nested_flag(nest);
	if (!mnl_attr_put_u8_check(nlh, size, PORTSTEER_RULE_A_FAMILY,
				   r->family) ||
	    !mnl_attr_put_u8_check(nlh, size, PORTSTEER_RULE_A_PROTO,
				   r->proto) ||
	    !mnl_attr_put_u16_check(nlh, size, PORTSTEER_RULE_A_PORT_MIN,
				    r->port_min) ||
	    !mnl_attr_put_u16_check(nlh, size, PORTSTEER_RULE_A_PORT_MAX,
				    r->port_max))
		goto cancel;
	/*
	 * The kernel names a rule by its direction too (rule del needs it);
	 * dst, its default, goes unsaid, as a kernel before directions wants.
	 */
	if (r->dir && r->dir != PORTSTEER_DIRECTION_DST &&
	    !mnl_attr_put_u8_check(nlh, size, PORTSTEER_RULE_A_DIRECTION,
				   r->dir))
		goto cancel;
	if (with_service && r->service[0] &&
	    !mnl_attr_put_strz_check(nlh, size, PORTSTEER_RULE_A_SERVICE,
				     r->service))
		goto cancel;
	mnl_attr_nest_end(nlh, nest);
	return true;
cancel:
	mnl_attr_nest_cancel(nlh, nest);
	return false;
}

/*
 * The one request of rule add, del or replace: RULE_NEW, RULE_DEL, or
 * RULE_NEW with the replace flag (a rule of the same family, protocol,
 * direction and ports changes its service in place, others are added;
 * generic netlink refuses NLM_F_REPLACE). NULL when the rules do not fit
 * in size.
 */
struct nlmsghdr *ctl_rule_msg(struct ctl_nl *nl, void *buf, size_t size,
			      enum ctl_rule_op op, const struct ctl_rule *rules,
			      size_t n)
{
	uint8_t cmd = PORTSTEER_CMD_RULE_NEW;
	struct nlmsghdr *nlh;
	size_t i;

	if (op == CTL_RULE_DEL)
		cmd = PORTSTEER_CMD_RULE_DEL;
	nlh = ctl_nl_msg(nl, buf, cmd, 0);
	if (op == CTL_RULE_REPLACE)
		mnl_attr_put_u32(nlh, PORTSTEER_A_FLAGS, PORTSTEER_F_REPLACE);
	for (i = 0; i < n; i++)
		if (!ctl_put_rule(nlh, size, &rules[i], op != CTL_RULE_DEL))
			return NULL;
	return nlh;
}

bool ctl_put_settings(struct nlmsghdr *nlh, size_t size,
		      const struct ctl_settings *set)
{
	struct nlattr *nest;
	bool ok = true;

	nest = mnl_attr_nest_start_check(nlh, size, PORTSTEER_A_SETTINGS);
	if (!nest)
		return false;
	put_nested_flag(nest);
	/* always the set, even of one hook: HOOK is the old kernels' */
	if (set->have & CTL_SET_HOOK)
		ok &= mnl_attr_put_u32_check(nlh, size,
					     PORTSTEER_SETTINGS_A_HOOKS,
					     set->hooks);
	if (set->have & CTL_SET_PRIORITY)
		ok &= mnl_attr_put_u32_check(nlh, size,
					     PORTSTEER_SETTINGS_A_PRIORITY,
					     (uint32_t)set->priority);
	if (set->have & CTL_SET_DEFRAG)
		ok &= mnl_attr_put_u8_check(nlh, size,
					    PORTSTEER_SETTINGS_A_DEFRAG,
					    set->defrag);
	if (set->have & CTL_SET_ICMP_ERRORS)
		ok &= mnl_attr_put_u8_check(nlh, size,
					    PORTSTEER_SETTINGS_A_ICMP_ERRORS,
					    set->icmp_errors);
	if (set->have & CTL_SET_SEED)
		ok &= mnl_attr_put_u32_check(nlh, size,
					     PORTSTEER_SETTINGS_A_SEED,
					     set->seed);
	if (!ok) {
		mnl_attr_nest_cancel(nlh, nest);
		return false;
	}
	mnl_attr_nest_end(nlh, nest);
	return true;
}

/* Dumps into arrays */

/* Objects of one attribute (PORTSTEER_A_SERVICE or _RULE), one per reply. */
struct obj_list {
	uint16_t attr;
	size_t size;			/* of one object */
	int (*parse)(const struct nlattr *nest, void *obj);
	char *v;
	size_t n, cap;
	uint32_t gen;
	int err;
};

static void obj_list_reset(void *data)
{
	struct obj_list *l = data;

	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->cap = 0;
	l->err = 0;
}

static int cb_obj(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[PORTSTEER_A_MAX + 1];
	struct obj_list *l = data;

	ctl_parse_top(nlh, tb);
	if (tb[PORTSTEER_A_GENERATION])
		get_u32(tb[PORTSTEER_A_GENERATION], &l->gen);
	if (!tb[l->attr])
		return MNL_CB_OK;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xrealloc(l->v, l->cap * l->size);
	}
	if (l->parse(tb[l->attr], l->v + l->n * l->size)) {
		l->err = -EPROTO;
		return MNL_CB_ERROR;
	}
	l->n++;
	return MNL_CB_OK;
}

static int parse_service(const struct nlattr *nest, void *obj)
{
	return ctl_parse_service(nest, obj);
}

static int parse_rule(const struct nlattr *nest, void *obj)
{
	return ctl_parse_rule(nest, obj);
}

/* Dump command @cmd into a malloc'ed array of *@n objects at *@v. */
static int dump_objs(struct ctl_nl *nl, uint8_t cmd, struct obj_list *l,
		     void **v, size_t *n, uint32_t *gen)
{
	int ret;

	ret = ctl_nl_dump(nl, cmd, cb_obj, l, obj_list_reset);
	if (!ret && l->err)
		ret = l->err;
	if (ret) {
		free(l->v);
		return ret;
	}
	*v = l->v;
	*n = l->n;
	if (gen)
		*gen = l->gen;
	return 0;
}

int ctl_get_services(struct ctl_nl *nl, struct ctl_service **svcs, size_t *n,
		     uint32_t *gen)
{
	struct obj_list l = { .attr = PORTSTEER_A_SERVICE, .size = sizeof(**svcs),
			      .parse = parse_service };

	return dump_objs(nl, PORTSTEER_CMD_SERVICE_GET, &l, (void **)svcs, n, gen);
}

int ctl_get_service(struct ctl_nl *nl, const char *name, struct ctl_service *svc)
{
	struct obj_list l = { .attr = PORTSTEER_A_SERVICE, .size = sizeof(*svc),
			      .parse = parse_service };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ctl_service key = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	snprintf(key.name, sizeof(key.name), "%s", name);
	nlh = ctl_nl_msg(nl, buf, PORTSTEER_CMD_SERVICE_GET, 0);
	ctl_put_service(nlh, sizeof(buf), &key, true);
	ret = ctl_nl_do(nl, nlh, cb_obj, &l);
	if (!ret && l.err)
		ret = l.err;
	if (!ret && l.n != 1)
		ret = -EPROTO;
	if (!ret)
		memcpy(svc, l.v, sizeof(*svc));
	free(l.v);
	return ret;
}

int ctl_get_rules(struct ctl_nl *nl, struct ctl_rule **rules, size_t *n,
		  uint32_t *gen)
{
	struct obj_list l = { .attr = PORTSTEER_A_RULE, .size = sizeof(**rules),
			      .parse = parse_rule };

	return dump_objs(nl, PORTSTEER_CMD_RULE_GET, &l, (void **)rules, n, gen);
}

struct settings_reply {
	struct ctl_settings *set;
	uint32_t gen;
	bool got;
};

static int cb_settings(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[PORTSTEER_A_MAX + 1];
	struct settings_reply *r = data;

	ctl_parse_top(nlh, tb);
	if (tb[PORTSTEER_A_GENERATION])
		get_u32(tb[PORTSTEER_A_GENERATION], &r->gen);
	if (tb[PORTSTEER_A_SETTINGS]) {
		if (ctl_parse_settings(tb[PORTSTEER_A_SETTINGS], r->set))
			return MNL_CB_ERROR;
		r->got = true;
	}
	return MNL_CB_OK;
}

int ctl_get_settings(struct ctl_nl *nl, struct ctl_settings *set, uint32_t *gen)
{
	struct settings_reply r = { .set = set };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int ret;

	ret = ctl_nl_do(nl, ctl_nl_msg(nl, buf, PORTSTEER_CMD_SETTINGS_GET, 0),
			cb_settings, &r);
	if (!ret && !r.got)
		ret = -EPROTO;
	if (gen)
		*gen = r.gen;
	return ret;
}

/*
 * Settings, services and rules of one generation: the three requests are
 * repeated when a change came between them. A rule dump of an empty
 * configuration carries no generation; then the others decide.
 */
int ctl_get_config(struct ctl_nl *nl, struct ctl_config *cfg)
{
	uint32_t g1, g2, g3, g4;
	int ret, i;

	for (i = 0; i < NL_DUMP_TRIES; i++) {
		config_free(cfg);
		ret = ctl_get_settings(nl, &cfg->settings, &g1);
		if (!ret)
			ret = ctl_get_services(nl, &cfg->services,
					       &cfg->n_services, &g2);
		if (!ret)
			ret = ctl_get_rules(nl, &cfg->rules, &cfg->n_rules, &g3);
		if (!ret)
			ret = ctl_get_settings(nl, &cfg->settings, &g4);
		if (ret)
			return ret;
		if (!cfg->n_services)
			g2 = g1;
		if (!cfg->n_rules)
			g3 = g1;
		if (g1 == g2 && g2 == g3 && g3 == g4) {
			cfg->generation = g1;
			return 0;
		}
	}
	snprintf(nl->s.ext_msg, sizeof(nl->s.ext_msg),
		 "configuration changed during %d consecutive reads", i);
	return -EINTR;
}
