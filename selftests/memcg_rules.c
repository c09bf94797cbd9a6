// SPDX-License-Identifier: GPL-2.0
/*
 * memcg_rules: add rules to service "s" from inside a memory cgroup, with
 * every byte of this process's own memory touched before it moves there,
 * so that the only new charges in the cgroup are the kernel's. One request
 * per protocol and family, 256 single-port rules each (one in every
 * 256-port block: a leaf of the lookup table each), until one fails.
 *
 *   memcg_rules CGROUP_DIR     prints what happened; exit 0 when a request
 *                              was refused with ENOMEM, 1 otherwise
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "nl_util.h"

#define NREQ	10

int main(int argc, char **argv)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE,
					  IPPROTO_SCTP, IPPROTO_DCCP };
	static char bufs[NREQ][NLT_MSG_SIZE];
	struct nlmsghdr *req[NREQ];
	struct nlt_ack ack;
	struct nlt_nl nl;
	char path[512], pid[32];
	int i, p, fd, len, err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CGROUP_DIR\n", argv[0]);
		return 2;
	}
	if (nlt_nl_open(&nl)) {
		fprintf(stderr, "memcg_rules: no portsteer family\n");
		return 2;
	}
	for (i = 0; i < NREQ; i++) {
		req[i] = nlt_msg(&nl, bufs[i], PORTSTEER_CMD_RULE_NEW, 0);
		for (p = 1; p < 65536; p += 256)
			nlt_put_rule(req[i], i < 5 ? PORTSTEER_FAMILY_IPV4 : PORTSTEER_FAMILY_IPV6,
				     protos[i % 5], p, -1, "s");
	}
	memset(nl.rbuf, 0, NLT_RECV_SIZE);	/* touched here, charged here */
	printf("# %d requests ready, joining %s\n", NREQ, argv[1]);
	fflush(stdout);				/* stdio's buffer too */
	memset(&ack, 0, sizeof(ack));

	snprintf(path, sizeof(path), "%s/cgroup.procs", argv[1]);
	fd = open(path, O_WRONLY);
	len = snprintf(pid, sizeof(pid), "%d", getpid());
	if (fd < 0 || write(fd, pid, len) != len) {
		fprintf(stderr, "memcg_rules: cannot join %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	close(fd);

	for (i = 0; i < NREQ; i++) {
		err = nlt_talk(&nl, req[i], NULL, NULL, &ack);
		printf("# request %d (%s, proto %u, 256 rules): %s%s%s\n", i + 1,
		       i < 5 ? "ip" : "ip6", protos[i % 5], err ? strerror(-err) : "added",
		       ack.msg[0] ? ": " : "", ack.msg);
		if (err)
			break;
	}
	nlt_nl_close(&nl);
	return err == -ENOMEM ? 0 : 1;
}
