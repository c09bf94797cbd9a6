// SPDX-License-Identifier: GPL-2.0
/*
 * portsteerctl listen: a minimal NFQUEUE consumer over nfnetlink_queue and
 * libmnl. One netlink socket is bound to every queue of the range; each
 * packet is printed and given a verdict.
 *
 * Output (stdout, one line each, flushed):
 *   listening queue 10-11
 *   14:03:07.123456 queue 10 ip udp 10.0.0.1:40000 -> 10.0.0.2:5000 len 33
 *   (with epoch: 1732500000.123456 queue 10 ...)
 *   queue 10: 5 packets         (summary, one line per queue, at the end)
 *   total: 5 packets
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <netinet/in.h>

#include "nl.h"
#include "commands.h"

struct listener {
	struct nlsock s;
	uint16_t queue;
	uint32_t count;		/* number of queues */
	uint64_t *per_queue;
	uint64_t total;
	uint64_t max_packets;	/* 0: no limit */
	uint32_t verdict;
	uint32_t maxlen;	/* 0: kernel default */
	bool fail_open;
	bool epoch;		/* timestamps: seconds since the epoch */
	bool done;
	bool timed_out;		/* the timeout ended the loop */
	/* packets that came while binding, handled once ready */
	struct nlmsghdr **pending;
	size_t n_pending;
};

static struct nlmsghdr *nfq_msg(char *buf, uint8_t type, uint16_t queue)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(queue);
	return nlh;
}

static int cb_defer(const struct nlmsghdr *nlh, void *data)
{
	struct listener *l = data;
	struct nlmsghdr *copy = malloc(nlh->nlmsg_len);

	if (!copy)
		return MNL_CB_ERROR;
	memcpy(copy, nlh, nlh->nlmsg_len);
	l->pending = xrealloc(l->pending,
			      (l->n_pending + 1) * sizeof(*l->pending));
	l->pending[l->n_pending++] = copy;
	return MNL_CB_OK;
}

/*
 * Binds one queue: copy whole packets, and the flags with their mask in one
 * NFQA_CFG_FLAGS attribute (two would lose all but the last).
 */
static int nfq_bind(struct listener *l, uint16_t queue)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nfqnl_msg_config_cmd cmd = {
		.command = NFQNL_CFG_CMD_BIND,
		.pf = htons(AF_UNSPEC),
	};
	struct nfqnl_msg_config_params params = {
		.copy_range = htonl(0xffff),
		.copy_mode = NFQNL_COPY_PACKET,
	};
	uint32_t flags = NFQA_CFG_F_GSO;
	uint32_t mask = NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN;
	struct nlmsghdr *nlh;

	if (l->fail_open)
		flags |= NFQA_CFG_F_FAIL_OPEN;
	nlh = nfq_msg(buf, NFQNL_MSG_CONFIG, queue);
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
	mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(params), &params);
	if (l->maxlen)
		mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl(l->maxlen));
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
	return nlsock_talk(&l->s, nlh, cb_defer, l);
}

static int nfq_unbind(struct listener *l, uint16_t queue)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nfqnl_msg_config_cmd cmd = {
		.command = NFQNL_CFG_CMD_UNBIND,
		.pf = htons(AF_UNSPEC),
	};
	struct nlmsghdr *nlh;

	nlh = nfq_msg(buf, NFQNL_MSG_CONFIG, queue);
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
	/* Packets still arriving are not ours any more: ignore them. */
	return nlsock_talk(&l->s, nlh, NULL, NULL);
}

static void nfq_verdict(struct listener *l, uint16_t queue, uint32_t id)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nfqnl_msg_verdict_hdr vh = {
		.verdict = htonl(l->verdict),
		.id = htonl(id),
	};
	struct nlmsghdr *nlh;
	int ret;

	nlh = nfq_msg(buf, NFQNL_MSG_VERDICT, queue);
	mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(vh), &vh);
	ret = nlsock_send(&l->s, nlh);
	if (ret)
		ctl_err("verdict on queue %u packet %u: %s\n", queue, id,
			strerror(-ret));
}

struct pkt_info {
	const char *family;
	uint8_t proto;
	bool ports;
	char src[INET6_ADDRSTRLEN];
	char dst[INET6_ADDRSTRLEN];
	uint16_t sport, dport;
};

static const char *l4_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	default:
		if (proto_name(proto))
			return proto_name(proto);
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_DCCP;
}

static void describe(const uint8_t *p, size_t len, struct pkt_info *pi)
{
	size_t off = 0;

	memset(pi, 0, sizeof(*pi));
	pi->family = "?";
	if (len < 1)
		return;
	if ((p[0] >> 4) == 4 && len >= 20) {
		size_t ihl = (p[0] & 0xf) * 4;
		uint16_t frag = (p[6] << 8 | p[7]) & 0x1fff;

		pi->family = "ip";
		pi->proto = p[9];
		inet_ntop(AF_INET, p + 12, pi->src, sizeof(pi->src));
		inet_ntop(AF_INET, p + 16, pi->dst, sizeof(pi->dst));
		if (frag || ihl < 20)
			return;
		off = ihl;
	} else if ((p[0] >> 4) == 6 && len >= 40) {
		uint8_t nh = p[6];

		pi->family = "ip6";
		inet_ntop(AF_INET6, p + 8, pi->src, sizeof(pi->src));
		inet_ntop(AF_INET6, p + 24, pi->dst, sizeof(pi->dst));
		off = 40;
		for (;;) {
			if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
			    nh == IPPROTO_DSTOPTS) {
				if (off + 8 > len)
					break;
				nh = p[off];
				off += (p[off + 1] + 1) * 8;
			} else if (nh == IPPROTO_AH) {
				if (off + 8 > len)
					break;
				nh = p[off];
				off += (p[off + 1] + 2) * 4;
			} else if (nh == IPPROTO_FRAGMENT) {
				if (off + 8 > len)
					break;
				nh = p[off];
				if ((p[off + 2] << 8 | p[off + 3]) & ~7) {
					pi->proto = nh;
					return;	/* not the first fragment */
				}
				off += 8;
			} else {
				break;
			}
		}
		pi->proto = nh;
	} else {
		return;
	}
	if (has_ports(pi->proto) && off + 4 <= len) {
		pi->ports = true;
		pi->sport = p[off] << 8 | p[off + 1];
		pi->dport = p[off + 2] << 8 | p[off + 3];
	}
}

static void fmt_endpoint(char *buf, size_t len, const char *family,
			 const char *addr, bool ports, uint16_t port)
{
	if (!ports)
		snprintf(buf, len, "%s", addr);
	else if (!strcmp(family, "ip6"))
		snprintf(buf, len, "[%s]:%u", addr, port);
	else
		snprintf(buf, len, "%s:%u", addr, port);
}

static void print_packet(struct listener *l, uint16_t queue, uint32_t id,
			 const uint8_t *payload, size_t plen, uint32_t len)
{
	struct pkt_info pi;
	struct timespec ts;
	char pbuf[8], src[64], dst[64], when[32];
	const char *proto;

	clock_gettime(CLOCK_REALTIME, &ts);
	describe(payload, plen, &pi);
	proto = l4_name(pi.proto, pbuf, sizeof(pbuf));
	if (opts.json) {
		json_t *j = json_doc();

		json_object_set_new(j, "type", json_string("packet"));
		json_object_set_new(j, "time",
				    json_real(ts.tv_sec + ts.tv_nsec / 1e9));
		json_object_set_new(j, "queue", json_integer(queue));
		json_object_set_new(j, "id", json_integer(id));
		json_object_set_new(j, "family", json_string(pi.family));
		json_object_set_new(j, "proto", json_string(proto));
		json_object_set_new(j, "src", json_string(pi.src));
		if (pi.ports)
			json_object_set_new(j, "sport", json_integer(pi.sport));
		json_object_set_new(j, "dst", json_string(pi.dst));
		if (pi.ports)
			json_object_set_new(j, "dport", json_integer(pi.dport));
		json_object_set_new(j, "len", json_integer(len));
		json_object_set_new(j, "verdict",
				    json_string(l->verdict == NF_ACCEPT ?
						"accept" : "drop"));
		print_json(j);
		json_decref(j);
	} else {
		fmt_endpoint(src, sizeof(src), pi.family, pi.src, pi.ports,
			     pi.sport);
		fmt_endpoint(dst, sizeof(dst), pi.family, pi.dst, pi.ports,
			     pi.dport);
		format_time(when, sizeof(when), &ts, l->epoch);
		printf("%s queue %u %s %s %s -> %s len %u\n", when, queue,
		       pi.family, proto, src, dst, len);
	}
	fflush(stdout);
}

static int cb_packet(const struct nlmsghdr *nlh, void *data)
{
	struct listener *l = data;
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nfqnl_msg_packet_hdr *ph = NULL;
	const uint8_t *payload = NULL;
	const struct nlattr *attr;
	uint32_t plen = 0, caplen = 0;
	uint16_t queue;

	if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_QUEUE ||
	    (nlh->nlmsg_type & 0xff) != NFQNL_MSG_PACKET ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*nfg))
		return MNL_CB_OK;
	queue = ntohs(nfg->res_id);
	mnl_attr_for_each(attr, nlh, sizeof(*nfg)) {
		switch (mnl_attr_get_type(attr)) {
		case NFQA_PACKET_HDR:
			if (mnl_attr_get_payload_len(attr) >= sizeof(*ph))
				ph = mnl_attr_get_payload(attr);
			break;
		case NFQA_PAYLOAD:
			payload = mnl_attr_get_payload(attr);
			plen = mnl_attr_get_payload_len(attr);
			break;
		case NFQA_CAP_LEN:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				caplen = ntohl(mnl_attr_get_u32(attr));
			break;
		}
	}
	if (!ph)
		return MNL_CB_OK;
	if (!l->done && queue >= l->queue &&
	    (uint32_t)(queue - l->queue) < l->count) {
		print_packet(l, queue, ntohl(ph->packet_id), payload, plen,
			     caplen ? caplen : plen);
		l->per_queue[queue - l->queue]++;
		l->total++;
		if (l->max_packets && l->total >= l->max_packets)
			l->done = true;
	}
	/* Beyond count: the default verdict, silently. */
	nfq_verdict(l, queue, ntohl(ph->packet_id));
	return MNL_CB_OK;
}

static mnl_cb_t nfq_ctl[NLMSG_MIN_TYPE];

static int cb_nfq_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(*e) && e->error)
		ctl_err("nfnetlink_queue: %s\n", strerror(-e->error));
	return MNL_CB_OK;
}

/* Reads whatever is there; -EAGAIN when nothing was. */
static int receive(struct listener *l)
{
	ssize_t len;

	len = recv(mnl_socket_get_fd(l->s.sock), l->s.rbuf, NL_RECV_SIZE,
		   MSG_DONTWAIT);
	if (len < 0) {
		if (errno == ENOBUFS) {
			ctl_err("listen: socket buffer overrun, packets lost\n");
			return 0;
		}
		return -errno;
	}
	nfq_ctl[NLMSG_ERROR] = cb_nfq_error;
	if (mnl_cb_run2(l->s.rbuf, len, 0, l->s.portid, cb_packet, l, nfq_ctl,
			NLMSG_MIN_TYPE) < 0)
		return -errno;
	return 0;
}

static void print_summary(struct listener *l)
{
	uint32_t i;

	if (opts.json) {
		json_t *j = json_doc(), *qs = json_array();

		for (i = 0; i < l->count; i++) {
			json_t *q = json_object();

			json_object_set_new(q, "queue",
					    json_integer(l->queue + i));
			json_object_set_new(q, "packets",
					    json_integer(l->per_queue[i]));
			json_array_append_new(qs, q);
		}
		json_object_set_new(j, "type", json_string("summary"));
		json_object_set_new(j, "packets", json_integer(l->total));
		json_object_set_new(j, "queues", qs);
		print_json(j);
		json_decref(j);
	} else {
		for (i = 0; i < l->count; i++)
			printf("queue %u: %llu packets\n", l->queue + i,
			       (unsigned long long)l->per_queue[i]);
		printf("total: %llu packets\n", (unsigned long long)l->total);
	}
	fflush(stdout);
}

static void print_ready(struct listener *l)
{
	if (opts.json) {
		json_t *j = json_doc();

		json_object_set_new(j, "type", json_string("listening"));
		json_object_set_new(j, "queue", json_integer(l->queue));
		json_object_set_new(j, "queue_count", json_integer(l->count));
		print_json(j);
		json_decref(j);
	} else if (l->count > 1) {
		printf("listening queue %u-%u\n", l->queue,
		       l->queue + l->count - 1);
	} else {
		printf("listening queue %u\n", l->queue);
	}
	fflush(stdout);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int listen_loop(struct listener *l, int64_t timeout_ms,
		       const sigset_t *waitmask)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(l->s.sock),
			      .events = POLLIN };
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
	struct timespec ts, *tsp;
	int ret;

	while (!l->done && !got_signal) {
		tsp = NULL;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0) {
				l->timed_out = true;
				break;
			}
			ts.tv_sec = left / 1000;
			ts.tv_nsec = (left % 1000) * 1000000;
			tsp = &ts;
		}
		ret = ppoll(&pfd, 1, tsp, waitmask);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (ret == 0)
			continue;
		do {
			ret = receive(l);
		} while (!ret && !l->done);
		if (ret && ret != -EAGAIN)
			return ret;
	}
	return 0;
}

static int listen_usage(const char *why, const char *word)
{
	if (word)
		ctl_err("listen: %s '%s'; see '" PROG_NAME " listen help'\n",
			why, word);
	else
		ctl_err("listen: %s; see '" PROG_NAME " listen help'\n", why);
	return EXIT_USAGE;
}

/*
 * The arguments of listen into @a: SERVICE or queue Q[-Q2], then keywords
 * in any order, each at most once. EXIT_OK, or EXIT_USAGE once said why.
 */
int listen_parse_args(int argc, char **argv, struct listen_args *a)
{
	static const char *const keywords[] = {
		"count", "timeout", "verdict", "maxlen", "no-fail-open",
		"epoch",
	};
	unsigned int seen = 0;
	char err[CTL_ERR_MAX];
	uint32_t v;
	size_t k;
	int i;

	memset(a, 0, sizeof(*a));
	a->verdict = NF_ACCEPT;
	a->fail_open = true;
	a->timeout_ms = -1;
	if (argc < 1)
		return listen_usage("missing SERVICE or 'queue Q[-Q2]'", NULL);
	if (!strcmp(argv[0], "queue")) {
		if (argc < 2)
			return listen_usage("missing queue after", "queue");
		if (parse_queue_range(argv[1], &a->queue, &a->count, err)) {
			ctl_err("%s\n", err);
			return EXIT_USAGE;
		}
		i = 2;
	} else {
		for (k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
			if (!strcmp(argv[0], keywords[k]))
				return listen_usage("missing SERVICE or 'queue Q[-Q2]' before",
						    argv[0]);
		a->service = argv[0];
		i = 1;
	}
	for (; i < argc; i++) {
		const char *kw = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		for (k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
			if (!strcmp(kw, keywords[k]))
				break;
		if (k == sizeof(keywords) / sizeof(keywords[0]))
			return listen_usage("unknown argument", kw);
		if (seen & (1U << k))
			return listen_usage("given twice:", kw);
		seen |= 1U << k;
		if (!strcmp(kw, "no-fail-open")) {
			a->fail_open = false;
			continue;
		}
		if (!strcmp(kw, "epoch")) {
			a->epoch = true;
			continue;
		}
		if (!val) {
			ctl_err("listen: missing value after '%s'\n", kw);
			return EXIT_USAGE;
		}
		i++;
		if (!strcmp(kw, "count")) {
			if (parse_u32(val, UINT32_MAX, &v) || !v)
				goto bad;
			a->max_packets = v;
		} else if (!strcmp(kw, "timeout")) {
			if (parse_u32(val, 86400 * 365, &v))
				goto bad;
			a->timeout_ms = v * 1000LL;
		} else if (!strcmp(kw, "verdict")) {
			if (!strcmp(val, "accept"))
				a->verdict = NF_ACCEPT;
			else if (!strcmp(val, "drop"))
				a->verdict = NF_DROP;
			else
				goto bad;
		} else {	/* maxlen */
			if (parse_u32(val, UINT32_MAX, &v) || !v)
				goto bad;
			a->maxlen = v;
		}
		continue;
bad:
		ctl_err("listen: invalid %s '%s'\n", kw, val);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/*
 * 1 when a count was asked for and the timeout came first (as ping -c -w);
 * a signal, or no count, is 0.
 */
int listen_exit_status(const struct listen_args *a, uint64_t packets,
		       bool timed_out)
{
	if (a->max_packets && packets < a->max_packets && timed_out)
		return EXIT_ERROR;
	return EXIT_OK;
}

/* The queues of @service into @l. */
static int listen_service_queues(struct listener *l, const char *service)
{
	struct ctl_service svc;
	struct ctl_nl nl;
	int ret;

	ret = ctl_nl_open(&nl);
	if (ret)
		return ctl_nl_open_status(ret);
	ret = ctl_get_service(&nl, service, &svc);
	if (ret) {
		nl_error(&nl.s, ret, "service '%s'", service);
		ctl_nl_close(&nl);
		return EXIT_ERROR;
	}
	ctl_nl_close(&nl);
	l->queue = svc.queue;
	l->count = svc.queue_count ? svc.queue_count : 1;
	return EXIT_OK;
}

/*
 * Bind the queues of @l, give verdicts until the count, the timeout or a
 * signal, and unbind: the exit status (listen_exit_status() of @a).
 */
static int listen_run(struct listener *l, const struct listen_args *a)
{
	sigset_t waitmask;
	int ret, rc = EXIT_ERROR;
	uint32_t i, bound = 0;
	size_t k;

	/* From here on SIGINT/SIGTERM only end the loop: unbind follows. */
	catch_stop_signals(&waitmask);

	for (i = 0; i < l->count; i++) {
		ret = nfq_bind(l, l->queue + i);
		if (ret) {
			if (ret == -EBUSY)
				snprintf(l->s.ext_msg, sizeof(l->s.ext_msg),
					 "another process is bound to it (see /proc/net/netfilter/nfnetlink_queue)");
			nl_error(&l->s, ret, "cannot bind queue %u",
				 l->queue + i);
			goto unbind;
		}
		bound++;
	}
	print_ready(l);
	for (k = 0; k < l->n_pending; k++) {
		cb_packet(l->pending[k], l);
		free(l->pending[k]);
	}
	l->n_pending = 0;
	ret = listen_loop(l, a->timeout_ms, &waitmask);
	if (ret) {
		nl_error(&l->s, ret, "receiving packets");
		goto unbind;
	}
	/* Verdicts for whatever was queued to us beyond the count. */
	l->done = true;
	while (receive(l) == 0)
		;
	print_summary(l);
	rc = listen_exit_status(a, l->total, l->timed_out);
unbind:
	for (i = 0; i < bound; i++) {
		ret = nfq_unbind(l, l->queue + i);
		if (ret) {
			nl_error(&l->s, ret, "cannot unbind queue %u",
				 l->queue + i);
			rc = EXIT_ERROR;
		}
	}
	return rc;
}

int cmd_listen(int argc, char **argv)
{
	struct listener l = { 0 };
	struct listen_args a;
	int ret, rc;
	uint32_t v;
	size_t k;

	rc = listen_parse_args(argc, argv, &a);
	if (rc != EXIT_OK)
		return rc;
	l.queue = a.queue;
	l.count = a.count;
	l.max_packets = a.max_packets;
	l.verdict = a.verdict;
	l.maxlen = a.maxlen;
	l.fail_open = a.fail_open;
	l.epoch = a.epoch;
	if (a.service) {
		rc = listen_service_queues(&l, a.service);
		if (rc != EXIT_OK)
			return rc;
	}

	l.per_queue = calloc(l.count, sizeof(*l.per_queue));
	if (!l.per_queue)
		return EXIT_ERROR;
	ret = nlsock_open(&l.s, NETLINK_NETFILTER);
	if (ret) {
		nl_error(NULL, ret, "cannot open a nfnetlink socket");
		free(l.per_queue);
		return EXIT_ERROR;
	}
	v = 4 << 20;
	if (setsockopt(mnl_socket_get_fd(l.s.sock), SOL_SOCKET,
		       SO_RCVBUFFORCE, &v, sizeof(v)))
		setsockopt(mnl_socket_get_fd(l.s.sock), SOL_SOCKET,
			   SO_RCVBUF, &v, sizeof(v));

	rc = listen_run(&l, &a);
	for (k = 0; k < l.n_pending; k++)
		free(l.pending[k]);
	free(l.pending);
	nlsock_close(&l.s);
	free(l.per_queue);
	return rc;
}
