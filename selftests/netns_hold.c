// SPDX-License-Identifier: GPL-2.0
/*
 * netns_hold: COUNT network namespaces, each with a service and a rule
 * (RULES 1) or nothing of portsteer's (RULES 0), held by file descriptors
 * until standard input closes; then all are released at once and the
 * program exits. Prints "ready" once they all exist. With netns_churn.sh,
 * this times how long the kernel takes to take down a batch of dying
 * namespaces, with and without portsteer's rules in them.
 *
 *   netns_hold COUNT RULES
 */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "nl_util.h"

static int configure(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlt_ack ack;
	struct nlt_nl nl;
	int err;

	if (nlt_nl_open(&nl))
		return -1;
	nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_SERVICE_NEW, 0);
	nlt_put_service(nlh, PORTSTEER_A_SERVICE, "s", 7, -1, -1, 1);
	err = nlt_talk(&nl, nlh, NULL, NULL, &ack);
	if (!err) {
		nlh = nlt_msg(&nl, buf, PORTSTEER_CMD_RULE_NEW, 0);
		nlt_put_rule(nlh, -1, IPPROTO_UDP, 5000, -1, "s");
		err = nlt_talk(&nl, nlh, NULL, NULL, &ack);
	}
	if (err)
		fprintf(stderr, "netns_hold: %s: %s\n", strerror(-err), ack.msg);
	nlt_nl_close(&nl);
	return err;
}

int main(int argc, char **argv)
{
	int count, rules, i, self, *fds;
	char c;

	if (argc != 3) {
		fprintf(stderr, "usage: netns_hold COUNT RULES\n");
		return 2;
	}
	count = atoi(argv[1]);
	rules = atoi(argv[2]);
	fds = calloc(count, sizeof(*fds));
	self = open("/proc/self/ns/net", O_RDONLY);
	if (!fds || self < 0)
		return 1;
	for (i = 0; i < count; i++) {
		if (unshare(CLONE_NEWNET)) {
			perror("netns_hold: unshare");
			return 1;
		}
		if (rules && configure())
			return 1;
		fds[i] = open("/proc/self/ns/net", O_RDONLY);
		if (fds[i] < 0) {
			perror("netns_hold: open");
			return 1;
		}
	}
	if (setns(self, CLONE_NEWNET)) {
		perror("netns_hold: setns");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	for (i = 0; i < count; i++)
		close(fds[i]);
	return 0;
}
