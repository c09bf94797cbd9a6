#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# An NFQUEUE consumer as an inline IPS is one: binds a range of queues on
# one socket, gives every packet a verdict, and records which queue each
# packet came from, with its 5-tuple and mark. Prints "bound" once bound;
# on SIGTERM or after SECONDS writes the record as JSON to OUT and exits.
#
#   nfq_consumer.py QFIRST-QLAST OUT [--seconds S] [--repeat MARK]
#                   [--mark-after N:MARK]
#
#   --repeat MARK     verdict NF_REPEAT with the packet's mark | MARK (a
#                     consumer in Suricata's repeat mode), instead of
#                     NF_ACCEPT
#   --mark-after N:MARK  from the Nth packet of a connection on, set MARK
#                     on the packet with the verdict (Suricata's bypass mark)
#
# OUT: {"packets": [[queue, proto, src, sport, dst, dport, mark], ...]}

import argparse
import ipaddress
import json
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR, NFQA_MARK, NFQA_PAYLOAD = 1, 2, 3, 10
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_PACKET = 2
NF_ACCEPT, NF_REPEAT = 1, 4
NLMSG_ERROR = 2


def nfmsg(mtype, queue, attrs, flags=1):
    body = struct.pack("BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + attrs
    return struct.pack("IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | mtype,
                       flags, 0, 0) + body


def attr(atype, data):
    pad = (4 - len(data) % 4) % 4
    return struct.pack("HH", 4 + len(data), atype) + data + b"\0" * pad


def attrs_of(buf):
    out = {}
    off = 0
    while off + 4 <= len(buf):
        alen, atype = struct.unpack_from("HH", buf, off)
        if alen < 4:
            break
        out[atype & 0x3fff] = buf[off + 4:off + alen]
        off += (alen + 3) & ~3
    return out


def five_tuple(pkt):
    """(proto, src, sport, dst, dport) of an IPv4 or IPv6 packet."""
    if pkt[0] >> 4 == 4:
        ihl = (pkt[0] & 15) * 4
        proto = pkt[9]
        src, dst = ipaddress.ip_address(pkt[12:16]), ipaddress.ip_address(pkt[16:20])
        l4 = pkt[ihl:]
    else:
        proto = pkt[6]
        src, dst = ipaddress.ip_address(pkt[8:24]), ipaddress.ip_address(pkt[24:40])
        l4 = pkt[40:]
    sport, dport = struct.unpack_from("!HH", l4, 0) if len(l4) >= 4 else (0, 0)
    return proto, str(src), sport, str(dst), dport


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("queues")
    ap.add_argument("out")
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--repeat", type=lambda x: int(x, 0))
    ap.add_argument("--mark-after")
    a = ap.parse_args()
    first, _, last = a.queues.partition("-")
    queues = range(int(first), int(last or first) + 1)
    mark_after = None
    if a.mark_after:
        n, _, m = a.mark_after.partition(":")
        mark_after = (int(n), int(m, 0))

    record = []
    per_conn = {}
    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    for q in queues:
        s.send(nfmsg(NFQNL_MSG_CONFIG, q, attr(NFQA_CFG_CMD,
                     struct.pack("BxH", NFQNL_CFG_CMD_BIND, 0))))
        s.send(nfmsg(NFQNL_MSG_CONFIG, q, attr(NFQA_CFG_PARAMS,
                     struct.pack("!IB", 256, NFQNL_COPY_PACKET))))
    print("bound", flush=True)
    end = time.monotonic() + a.seconds
    while not done and time.monotonic() < end:
        try:
            if not select.select([s], [], [], 0.2)[0]:
                continue
            data = s.recv(1 << 17)
        except (OSError, InterruptedError):
            continue
        off = 0
        while off + 16 <= len(data):
            mlen, mtype = struct.unpack_from("IH", data, off)
            if mlen < 16:
                break
            msg = data[off:off + mlen]
            off += (mlen + 3) & ~3
            if mtype != (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                continue
            queue = socket.ntohs(struct.unpack_from("H", msg, 18)[0])
            at = attrs_of(msg[20:])
            pid = struct.unpack_from("!I", at[NFQA_PACKET_HDR], 0)[0]
            mark = struct.unpack("!I", at[NFQA_MARK])[0] if NFQA_MARK in at else 0
            t = five_tuple(at.get(NFQA_PAYLOAD, b""))
            record.append([queue, *t, mark])
            conn = (t[0],) + tuple(sorted([(t[1], t[2]), (t[3], t[4])]))
            per_conn[conn] = per_conn.get(conn, 0) + 1
            verdict, newmark = NF_ACCEPT, None
            if a.repeat is not None:
                verdict, newmark = NF_REPEAT, mark | a.repeat
            if mark_after and per_conn[conn] >= mark_after[0]:
                newmark = (newmark if newmark is not None else mark) | mark_after[1]
            body = attr(NFQA_VERDICT_HDR, struct.pack("!II", verdict, pid))
            if newmark is not None:
                body += attr(NFQA_MARK, struct.pack("!I", newmark))
            s.send(nfmsg(NFQNL_MSG_VERDICT, queue, body, flags=1))
    with open(a.out, "w") as f:
        json.dump({"packets": record}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
