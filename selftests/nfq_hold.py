#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# An NFQUEUE consumer that binds a queue and never gives a verdict: the
# packets stay queued in the kernel for as long as it lives (up to the
# queue's length). It reads and throws away what the kernel sends, so its
# socket never fills and later packets are queued too. Prints "bound" once
# bound; exits after SECONDS (default 600) or on SIGTERM.
#
#   nfq_hold.py QUEUE [SECONDS]

import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_CONFIG = 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_PACKET = 2


def config(queue, attrs):
    body = struct.pack("BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + attrs
    hdr = struct.pack("IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG,
                      1 | 4, 1, 0)     # NLM_F_REQUEST | NLM_F_ACK
    return hdr + body


def main():
    queue = int(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 600
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.send(config(queue, struct.pack("HHBxH", 8, NFQA_CFG_CMD, NFQNL_CFG_CMD_BIND, 0)))
    # struct nfqnl_msg_config_params: copy_range (big endian), copy_mode
    params = struct.pack("!IBxxx", 0xffff, NFQNL_COPY_PACKET)
    s.send(config(queue, struct.pack("HH", 4 + len(params), NFQA_CFG_PARAMS) + params))
    print("bound", flush=True)
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        if select.select([s], [], [], min(left, 1.0))[0]:
            try:
                s.recv(1 << 16)
            except OSError:     # ENOBUFS: the kernel dropped some; go on
                pass


if __name__ == "__main__":
    main()
