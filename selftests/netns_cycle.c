// SPDX-License-Identifier: GPL-2.0
/*
 * netns_cycle: N network namespace lifecycles, each in a child process:
 * a new netns, loopback up, a service and a rule configured over netlink,
 * UDP datagrams to the steered ports over the loopback, a check that
 * portsteer steered them all, and the netns gone with the child. Every
 * HOLD-th netns also has an NFQUEUE consumer that binds the queue and
 * never gives a verdict, so it dies with packets queued. One process and a
 * fork per netns: far cheaper than ip(8) and portsteerctl per netns.
 *
 *   netns_cycle COUNT [HOLD]      exit 0 if every cycle went as said
 */

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/genetlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nl_util.h"

#define QUEUE	7
#define PORT	5000
#define SENT	3

static int lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err = -1;

	if (fd < 0)
		return -1;
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		err = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return err;
}

/* Bind QUEUE with packet copies, and never read or give a verdict. */
static int hold_queue(void)
{
	struct mnl_socket *s = mnl_socket_open(NETLINK_NETFILTER);
	char buf[256];
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND };
	struct nfqnl_msg_config_params params = {
		.copy_range = htonl(0xffff), .copy_mode = NFQNL_COPY_PACKET,
	};
	int i;

	if (!s || mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG;
		nlh->nlmsg_flags = NLM_F_REQUEST;
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		g->nfgen_family = AF_UNSPEC;
		g->version = NFNETLINK_V0;
		g->res_id = htons(QUEUE);
		if (i == 0)
			mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
		else
			mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(params), &params);
		if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0)
			return -1;
	}
	return 0;	/* the socket dies with the process */
}

struct matched {
	uint64_t n;
	bool seen;
};

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a, *b;
	struct matched *m = data;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == PORTSTEER_A_STATS)
			mnl_attr_for_each_nested(b, a)
				if (mnl_attr_get_type(b) == PORTSTEER_STATS_A_MATCHED) {
					m->n = mnl_attr_get_u64(b);
					m->seen = true;
				}
	return MNL_CB_OK;
}

static int one_cycle(int hold)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct matched m = { 0 };
	struct nlmsghdr *nlh;
	struct nlt_ack ack;
	struct nlt_nl nl;
	int fd, i;

	if (unshare(CLONE_NEWNET) || lo_up())
		return 10;
	if (nlt_nl_open(&nl))
		return 11;
	nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_SERVICE_NEW, 0);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "s", QUEUE, -1, -1, -1);
	if (nlt_talk(&nl, nlh, NULL, NULL, &ack))
		return 12;
	nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
	nlt_put_rule(nlh, -1, IPPROTO_UDP, PORT, PORT + 1, "s");
	if (nlt_talk(&nl, nlh, NULL, NULL, &ack))
		return 13;
	if (hold && hold_queue())
		return 14;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return 15;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < SENT; i++) {
		to.sin_port = htons(PORT + i % 2);
		if (sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)) != 1)
			return 16;
	}
	/* Loopback hands packets to the softirq: they may take a moment. */
	for (i = 0; i < 200; i++) {
		m.seen = false;
		if (nlt_talk(&nl, nlt_msg(&nl, buf, PORTSTEER_CMD_STATS_GET, 0), stats_cb, &m,
			     &ack) || !m.seen)
			return 17;
		if (m.n >= SENT)
			break;
		usleep(10000);
	}
	if (m.n != SENT) {
		fprintf(stderr, "netns_cycle: %llu datagrams steered, not %d\n",
			(unsigned long long)m.n, SENT);
		return 18;
	}
	return 0;		/* the netns goes with this process */
}

int main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 500;
	int hold = argc > 2 ? atoi(argv[2]) : 50;
	int i, status;
	pid_t pid;

	for (i = 1; i <= count; i++) {
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0)
			_exit(one_cycle(hold && i % hold == 0));
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("# netns cycle %d failed (status %d)\n", i,
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			return 1;
		}
		if (i % 100 == 0)
			printf("# %d netns lifecycles\n", i);
		fflush(stdout);
	}
	return 0;
}
