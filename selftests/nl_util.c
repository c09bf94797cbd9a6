// SPDX-License-Identifier: GPL-2.0
/*
 * A small generic netlink client of the portsteer family for the selftests.
 * See nl_util.h.
 */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nl_util.h"

uint64_t nlt_rng_state = 1;

#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS	0x200
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED	0x100
#endif

static int nlt_sock_open(struct nlt_nl *nl)
{
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->rbuf = malloc(NLT_RECV_SIZE);
	if (!nl->rbuf)
		return -ENOMEM;
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock)
		goto err;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err;
	/* Error messages and attribute offsets; no copy of the request. */
	if (mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
	    mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one)) < 0)
		goto err;
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = time(NULL);
	return 0;
err:
	one = -errno;
	nlt_nl_close(nl);
	return one;
}

void nlt_nl_close(struct nlt_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->rbuf);
	memset(nl, 0, sizeof(*nl));
}

/*
 * 6.1's attributes of the ack, which the kernel headers of older C
 * libraries (bullseye's, 5.10) do not have: uapi enums only grow.
 */
enum {
	NLT_ATTR_MISS_TYPE = NLMSGERR_ATTR_POLICY + 1,	/* NLMSGERR_ATTR_MISS_TYPE */
	NLT_ATTR_MISS_NEST,				/* NLMSGERR_ATTR_MISS_NEST */
};

/* An errno's name (glibc 2.32 names them; bullseye's 2.31 does not). */
const char *nlt_errname(int e)
{
	static char num[16];

#if __GLIBC_PREREQ(2, 32)
	if (strerrorname_np(e))
		return strerrorname_np(e);
#endif
	snprintf(num, sizeof(num), "errno %d", e);
	return num;
}

/* Whether the running kernel is @major.@minor or newer. */
bool nlt_kernel_at_least(int major, int minor)
{
	static int have_major = -1, have_minor;
	struct utsname u;

	if (have_major < 0) {
		have_major = 0;
		have_minor = 0;
		if (!uname(&u))
			sscanf(u.release, "%d.%d", &have_major, &have_minor);
	}
	return have_major > major || (have_major == major && have_minor >= minor);
}

static int ack_attr_cb(const struct nlattr *attr, void *data)
{
	struct nlt_ack *ack = data;

	switch (mnl_attr_get_type(attr)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(ack->msg, sizeof(ack->msg), "%s", mnl_attr_get_str(attr));
		break;
	case NLMSGERR_ATTR_OFFS:
		ack->offs = mnl_attr_get_u32(attr);
		break;
	case NLT_ATTR_MISS_TYPE:
		ack->miss_type = mnl_attr_get_u32(attr);
		break;
	case NLT_ATTR_MISS_NEST:
		ack->miss_nest = mnl_attr_get_u32(attr);
		break;
	}
	return MNL_CB_OK;
}

/* NLMSG_ERROR or NLMSG_DONE: the status and the extended ack. */
static void parse_ack(const struct nlmsghdr *nlh, struct nlt_ack *ack)
{
	unsigned int off;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		ack->err = e->error;
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	} else {
		ack->err = *(const int *)mnl_nlmsg_get_payload(nlh);
		off = sizeof(int);
	}
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		mnl_attr_parse(nlh, off, ack_attr_cb, ack);
}

static void ack_init(struct nlt_ack *ack)
{
	memset(ack, 0, sizeof(*ack));
	ack->offs = -1;
	ack->miss_type = -1;
	ack->miss_nest = -1;
}

struct nlmsghdr *nlt_msg(struct nlt_nl *nl, void *buf, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = nl->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = PORTSTEER_GENL_VERSION;
	return nlh;
}

/*
 * Sends a request and reads the replies up to its ack (or NLMSG_DONE for a
 * dump); replies go to cb. Returns the kernel's status (0 or -errno), also
 * in ack->err, or -errno of a failed socket call, or the first callback
 * error.
 */
int nlt_talk(struct nlt_nl *nl, struct nlmsghdr *nlh, nlt_cb_t cb, void *data,
	     struct nlt_ack *ack)
{
	struct nlt_ack local;
	bool dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	uint32_t seq = nlh->nlmsg_seq;
	int cb_err = 0;
	ssize_t n;

	if (!ack)
		ack = &local;
	ack_init(ack);
	if (!dump)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return ack->err = -errno;
	for (;;) {
		const struct nlmsghdr *r;
		int len;

		n = mnl_socket_recvfrom(nl->sock, nl->rbuf, NLT_RECV_SIZE);
		if (n < 0)
			return ack->err = -errno;
		len = n;
		for (r = (void *)nl->rbuf; mnl_nlmsg_ok(r, len); r = mnl_nlmsg_next(r, &len)) {
			if (r->nlmsg_seq != seq || r->nlmsg_pid != nl->portid)
				continue;	/* a stale reply or a notification */
			if (r->nlmsg_flags & NLM_F_DUMP_INTR)
				ack->dump_intr = true;
			if (r->nlmsg_type == NLMSG_ERROR || r->nlmsg_type == NLMSG_DONE) {
				parse_ack(r, ack);
				return cb_err ? cb_err : ack->err;
			}
			ack->replies++;
			if (cb && !cb_err && cb(r, data) < MNL_CB_OK)
				cb_err = -EBADMSG;
		}
	}
}

int nlt_simple(struct nlt_nl *nl, uint8_t cmd, struct nlt_ack *ack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nlt_talk(nl, nlt_msg(nl, buf, cmd, 0), NULL, NULL, ack);
}

struct family_info {
	uint16_t id;
	uint32_t mcgrp;
};

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct family_info *fi = data;
	const struct nlattr *a, *g, *ga;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			fi->id = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(g, a) {
				const char *name = NULL;
				uint32_t id = 0;

				mnl_attr_for_each_nested(ga, g) {
					if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_NAME)
						name = mnl_attr_get_str(ga);
					else if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_ID)
						id = mnl_attr_get_u32(ga);
				}
				if (name && !strcmp(name, PORTSTEER_MCGRP_CONFIG))
					fi->mcgrp = id;
			}
			break;
		}
	}
	return MNL_CB_OK;
}

/* Opens a socket in the caller's netns and resolves the family. */
int nlt_nl_open(struct nlt_nl *nl)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct family_info fi = { 0 };
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	int err;

	err = nlt_sock_open(nl);
	if (err)
		return err;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, PORTSTEER_GENL_NAME);
	err = nlt_talk(nl, nlh, family_cb, &fi, NULL);
	if (!err && !fi.id)
		err = -ENOENT;
	if (err) {
		nlt_nl_close(nl);
		return err;
	}
	nl->family = fi.id;
	nl->mcgrp = fi.mcgrp;
	return 0;
}

int nlt_nl_join(struct nlt_nl *nl)
{
	int grp = nl->mcgrp;

	if (!grp)
		return -ENOENT;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0)
		return -errno;
	return 0;
}

/*
 * Waits up to timeout_ms for messages on a socket that joined the group and
 * passes each notification to cb. Returns the number of notifications, 0 on
 * timeout, or -errno.
 */
int nlt_recv_ntf(struct nlt_nl *nl, int timeout_ms, nlt_cb_t cb, void *data)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(nl->sock), .events = POLLIN };
	const struct nlmsghdr *r;
	int len, count = 0;
	ssize_t n;

	n = poll(&pfd, 1, timeout_ms);
	if (n <= 0)
		return n < 0 ? -errno : 0;
	n = mnl_socket_recvfrom(nl->sock, nl->rbuf, NLT_RECV_SIZE);
	if (n < 0)
		return -errno;
	len = n;
	for (r = (void *)nl->rbuf; mnl_nlmsg_ok(r, len); r = mnl_nlmsg_next(r, &len)) {
		if (r->nlmsg_type != nl->family)
			continue;
		count++;
		if (cb && cb(r, data) < MNL_CB_OK)
			return -EBADMSG;
	}
	return count;
}

struct nlattr *nlt_put_service(struct nlmsghdr *nlh, uint16_t type, const char *name,
			       long queue, long count, int balance, int bypass)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);

	if (name)
		mnl_attr_put_strz(nlh, PORTSTEER_SERVICE_A_NAME, name);
	if (queue >= 0)
		mnl_attr_put_u16(nlh, PORTSTEER_SERVICE_A_QUEUE, queue);
	if (count >= 0)
		mnl_attr_put_u32(nlh, PORTSTEER_SERVICE_A_QUEUE_COUNT, count);
	if (balance >= 0)
		mnl_attr_put_u8(nlh, PORTSTEER_SERVICE_A_BALANCE, balance);
	if (bypass >= 0)
		mnl_attr_put_u8(nlh, PORTSTEER_SERVICE_A_BYPASS, bypass);
	mnl_attr_nest_end(nlh, nest);
	return nest;
}

struct nlattr *nlt_put_rule(struct nlmsghdr *nlh, int family, int proto,
			    long pmin, long pmax, const char *service)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, PORTSTEER_A_RULE);

	if (family >= 0)
		mnl_attr_put_u8(nlh, PORTSTEER_RULE_A_FAMILY, family);
	if (proto >= 0)
		mnl_attr_put_u8(nlh, PORTSTEER_RULE_A_PROTO, proto);
	if (pmin >= 0)
		mnl_attr_put_u16(nlh, PORTSTEER_RULE_A_PORT_MIN, pmin);
	if (pmax >= 0)
		mnl_attr_put_u16(nlh, PORTSTEER_RULE_A_PORT_MAX, pmax);
	if (service)
		mnl_attr_put_strz(nlh, PORTSTEER_RULE_A_SERVICE, service);
	mnl_attr_nest_end(nlh, nest);
	return nest;
}

static void copy_str(char *dst, size_t size, const struct nlattr *a)
{
	size_t len = mnl_attr_get_payload_len(a);

	if (len >= size)
		len = size - 1;
	memcpy(dst, mnl_attr_get_payload(a), len);
	dst[len] = '\0';
}

static uint64_t get_uint(const struct nlattr *a)
{
	switch (mnl_attr_get_payload_len(a)) {
	case 1:
		return mnl_attr_get_u8(a);
	case 2:
		return mnl_attr_get_u16(a);
	case 4:
		return mnl_attr_get_u32(a);
	default:
		return mnl_attr_get_u64(a);
	}
}

int nlt_parse_service(const struct nlattr *nest, struct nlt_service *s)
{
	const struct nlattr *a, *st;

	memset(s, 0, sizeof(*s));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case PORTSTEER_SERVICE_A_NAME:
			copy_str(s->name, sizeof(s->name), a);
			break;
		case PORTSTEER_SERVICE_A_QUEUE:
			s->queue = get_uint(a);
			break;
		case PORTSTEER_SERVICE_A_QUEUE_COUNT:
			s->count = get_uint(a);
			break;
		case PORTSTEER_SERVICE_A_BALANCE:
			s->balance = get_uint(a);
			break;
		case PORTSTEER_SERVICE_A_BYPASS:
			s->bypass = get_uint(a);
			break;
		case PORTSTEER_SERVICE_A_RULES:
			s->rules = get_uint(a);
			break;
		case PORTSTEER_SERVICE_A_MARK:
			s->mark = get_uint(a);
			break;
		case PORTSTEER_SERVICE_A_MARK_MASK:
			s->mark_mask = get_uint(a);
			break;
		case PORTSTEER_SERVICE_A_CT_MARK:
			s->ct_mark = get_uint(a);
			break;
		case PORTSTEER_SERVICE_A_CT_MARK_MASK:
			s->ct_mark_mask = get_uint(a);
			break;
		case PORTSTEER_SERVICE_A_STATS:
			mnl_attr_for_each_nested(st, a) {
				if (mnl_attr_get_type(st) == PORTSTEER_STATS_A_PACKETS)
					s->packets = get_uint(st);
				else if (mnl_attr_get_type(st) == PORTSTEER_STATS_A_BYTES)
					s->bytes = get_uint(st);
			}
			break;
		}
	}
	return s->name[0] ? 0 : -EBADMSG;
}

int nlt_parse_rule(const struct nlattr *nest, struct nlt_rule *r)
{
	const struct nlattr *a;

	memset(r, 0, sizeof(*r));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case PORTSTEER_RULE_A_FAMILY:
			r->family = get_uint(a);
			break;
		case PORTSTEER_RULE_A_PROTO:
			r->proto = get_uint(a);
			break;
		case PORTSTEER_RULE_A_PORT_MIN:
			r->pmin = get_uint(a);
			break;
		case PORTSTEER_RULE_A_PORT_MAX:
			r->pmax = get_uint(a);
			break;
		case PORTSTEER_RULE_A_SERVICE:
			copy_str(r->service, sizeof(r->service), a);
			break;
		case PORTSTEER_RULE_A_DIRECTION:
			r->direction = get_uint(a);
			break;
		}
	}
	if (!r->direction)
		r->direction = PORTSTEER_DIRECTION_DST;
	return r->proto && r->pmin && r->pmax && r->family && r->service[0] ? 0 : -EBADMSG;
}

static void note_gen(const struct nlattr *a, uint32_t *gen, bool *mixed, size_t n)
{
	uint32_t g = mnl_attr_get_u32(a);

	if (n && g != *gen)
		*mixed = true;
	*gen = g;
}

static int rules_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlt_dump_rules *d = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == PORTSTEER_A_GENERATION) {
			note_gen(a, &d->gen, &d->gen_mixed, d->n);
		} else if (mnl_attr_get_type(a) == PORTSTEER_A_RULE) {
			if (d->n == d->cap) {
				size_t cap = d->cap ? d->cap * 2 : 256;
				void *p = realloc(d->rules, cap * sizeof(*d->rules));

				if (!p)
					return MNL_CB_ERROR;
				d->rules = p;
				d->cap = cap;
			}
			if (nlt_parse_rule(a, &d->rules[d->n]))
				return MNL_CB_ERROR;
			d->n++;
		}
	}
	return MNL_CB_OK;
}

int nlt_get_rules(struct nlt_nl *nl, struct nlt_dump_rules *d, struct nlt_ack *ack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	d->n = 0;
	d->gen = 0;
	d->gen_mixed = false;
	return nlt_talk(nl, nlt_msg(nl, buf, PORTSTEER_CMD_RULE_GET, NLM_F_DUMP),
		       rules_cb, d, ack);
}

static int services_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlt_dump_services *d = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == PORTSTEER_A_GENERATION) {
			note_gen(a, &d->gen, &d->gen_mixed, d->n);
		} else if (mnl_attr_get_type(a) == PORTSTEER_A_SERVICE) {
			if (d->n == d->cap) {
				size_t cap = d->cap ? d->cap * 2 : 64;
				void *p = realloc(d->svcs, cap * sizeof(*d->svcs));

				if (!p)
					return MNL_CB_ERROR;
				d->svcs = p;
				d->cap = cap;
			}
			if (nlt_parse_service(a, &d->svcs[d->n]))
				return MNL_CB_ERROR;
			d->n++;
		}
	}
	return MNL_CB_OK;
}

int nlt_get_services(struct nlt_nl *nl, struct nlt_dump_services *d, struct nlt_ack *ack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	d->n = 0;
	d->gen = 0;
	d->gen_mixed = false;
	return nlt_talk(nl, nlt_msg(nl, buf, PORTSTEER_CMD_SERVICE_GET, NLM_F_DUMP),
		       services_cb, d, ack);
}

static int service_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == PORTSTEER_A_SERVICE)
			return nlt_parse_service(a, data) ? MNL_CB_ERROR : MNL_CB_OK;
	return MNL_CB_ERROR;
}

int nlt_get_service(struct nlt_nl *nl, const char *name, struct nlt_service *s,
		    struct nlt_ack *ack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nlt_msg(nl, buf, PORTSTEER_CMD_SERVICE_GET, 0);

	nlt_put_service(nlh, PORTSTEER_A_SERVICE, name, -1, -1, -1, -1);
	memset(s, 0, sizeof(*s));
	return nlt_talk(nl, nlh, service_cb, s, ack);
}

static int settings_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlt_settings *s = data;
	const struct nlattr *a, *n;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == PORTSTEER_A_GENERATION)
			s->generation = mnl_attr_get_u32(a);
		if (mnl_attr_get_type(a) != PORTSTEER_A_SETTINGS)
			continue;
		mnl_attr_for_each_nested(n, a) {
			uint16_t t = mnl_attr_get_type(n);

			if (t <= PORTSTEER_SETTINGS_A_MAX)
				s->has[t] = true;
			switch (t) {
			case PORTSTEER_SETTINGS_A_HOOK:
				s->hook = get_uint(n);
				break;
			case PORTSTEER_SETTINGS_A_PRIORITY:
				s->priority = (int32_t)mnl_attr_get_u32(n);
				break;
			case PORTSTEER_SETTINGS_A_DEFRAG:
				s->defrag = get_uint(n);
				break;
			case PORTSTEER_SETTINGS_A_ICMP_ERRORS:
				s->icmp_errors = get_uint(n);
				break;
			case PORTSTEER_SETTINGS_A_SEED:
				s->seed = get_uint(n);
				break;
			case PORTSTEER_SETTINGS_A_MAX_SERVICES:
				s->max_services = get_uint(n);
				break;
			case PORTSTEER_SETTINGS_A_MAX_RULES:
				s->max_rules = get_uint(n);
				break;
			case PORTSTEER_SETTINGS_A_SERVICES:
				s->services = get_uint(n);
				break;
			case PORTSTEER_SETTINGS_A_RULES:
				s->rules = get_uint(n);
				break;
			case PORTSTEER_SETTINGS_A_HOOK_ACTIVE:
				s->hook_active = get_uint(n);
				break;
			case PORTSTEER_SETTINGS_A_TABLE_BYTES:
				s->table_bytes = get_uint(n);
				break;
			case PORTSTEER_SETTINGS_A_HOOKS:
				s->hooks = get_uint(n);
				break;
			}
		}
	}
	return MNL_CB_OK;
}

int nlt_get_settings(struct nlt_nl *nl, struct nlt_settings *s, struct nlt_ack *ack)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	memset(s, 0, sizeof(*s));
	return nlt_talk(nl, nlt_msg(nl, buf, PORTSTEER_CMD_SETTINGS_GET, 0),
		       settings_cb, s, ack);
}

char *nlt_snapshot(struct nlt_nl *nl)
{
	struct nlt_dump_services ds = { 0 };
	struct nlt_dump_rules dr = { 0 };
	struct nlt_settings st;
	char *out = NULL;
	size_t len = 0, i;
	FILE *f;

	if (nlt_get_services(nl, &ds, NULL) || nlt_get_rules(nl, &dr, NULL) ||
	    nlt_get_settings(nl, &st, NULL))
		goto out;
	f = open_memstream(&out, &len);
	if (!f)
		goto out;
	fprintf(f, "generation %u\n", st.generation);
	fprintf(f, "settings hooks %u prio %d defrag %u icmp %u seed %u services %u rules %u\n",
		st.hooks, st.priority, st.defrag, st.icmp_errors, st.seed,
		st.services, st.rules);
	for (i = 0; i < ds.n; i++)
		fprintf(f, "service %s queue %u count %u balance %u bypass %u mark %#x/%#x ctmark %#x/%#x rules %u\n",
			ds.svcs[i].name, ds.svcs[i].queue, ds.svcs[i].count,
			ds.svcs[i].balance, ds.svcs[i].bypass, ds.svcs[i].mark,
			ds.svcs[i].mark_mask, ds.svcs[i].ct_mark,
			ds.svcs[i].ct_mark_mask, ds.svcs[i].rules);
	for (i = 0; i < dr.n; i++)
		fprintf(f, "rule family %u proto %u ports %u-%u dir %u service %s\n",
			dr.rules[i].family, dr.rules[i].proto, dr.rules[i].pmin,
			dr.rules[i].pmax, dr.rules[i].direction, dr.rules[i].service);
	fclose(f);
out:
	free(ds.svcs);
	free(dr.rules);
	return out;
}

int nlt_replace(struct nlt_nl *nl, const char *const *services, size_t nservices,
		const struct nlt_rule *rules, size_t nrules, struct nlt_ack *ack)
{
	struct nlmsghdr *nlh;
	size_t i = 0;
	char *buf;
	int err;

	buf = malloc(NLT_MSG_SIZE);
	if (!buf)
		return -ENOMEM;
	err = nlt_simple(nl, PORTSTEER_CMD_REPLACE_BEGIN, ack);
	if (err)
		goto out;
	nlh = nlt_msg(nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
	for (i = 0; i < nservices; i++)
		nlt_put_service(nlh, PORTSTEER_A_SERVICE, services[i], i, -1, -1, -1);
	for (i = 0; i < nrules; i++) {
		/* Well under 64 KiB per message: a rule takes 44 bytes. */
		if (nlh->nlmsg_len > NLT_MSG_SIZE - 4096) {
			err = nlt_talk(nl, nlh, NULL, NULL, ack);
			if (err)
				goto out;
			nlh = nlt_msg(nl, buf, PORTSTEER_CMD_REPLACE_ADD, 0);
		}
		nlt_put_rule(nlh, rules[i].family, rules[i].proto, rules[i].pmin,
			     rules[i].pmax, rules[i].service);
	}
	err = nlt_talk(nl, nlh, NULL, NULL, ack);
	if (err)
		goto out;
	err = nlt_simple(nl, PORTSTEER_CMD_REPLACE_COMMIT, ack);
out:
	free(buf);
	return err;
}
