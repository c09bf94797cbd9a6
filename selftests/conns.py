#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Connections for the inline tests: a server, a client making N of them one
# after the other, and a summary of what nfq_consumer.py recorded of them.
#
#   conns.py serve tcp|udp PORT [SECONDS]   answers every request; prints
#                                           "ready"; both families
#   conns.py connect tcp|udp DST PORT N     N request/response exchanges,
#                                           each from a new source port;
#                                           prints how many succeeded
#   conns.py summary FILE PORT              of the consumer's record
#
# The summary prints, for the connections to or from PORT: conns (how many),
# one_queue (whose every packet came from one queue), both_dirs (whose
# packets came from both directions), queues (how many queues were used)
# and packets.

import json
import select
import signal
import socket
import sys
import time


def serve(proto, port, seconds):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    if proto == "tcp":
        s.listen(128)
    print("ready", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not select.select([s], [], [], 0.5)[0]:
            continue
        if proto == "udp":
            data, peer = s.recvfrom(2048)
            s.sendto(b"ok " + data, peer)
            continue
        c, _ = s.accept()
        c.settimeout(5)
        try:
            data = b""
            while not data.endswith(b"\n"):
                more = c.recv(2048)
                if not more:
                    break
                data += more
            c.sendall(b"ok " + data)
        except OSError:
            pass
        c.close()
    return 0


def connect(proto, dst, port, n):
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    ok = 0
    # UDP sockets stay open to the end, so that each has its own port.
    keep = []
    for i in range(n):
        req = b"request %d\n" % i
        try:
            if proto == "tcp":
                # A source port of its own for each: a port the server
                # closed first is free again at once, and a connection
                # that reused it would count as the earlier one.
                s = socket.socket(fam, socket.SOCK_STREAM)
                s.settimeout(5)
                s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", 20000 + i))
                s.connect((dst, port))
                s.sendall(req)
                reply = b""
                while True:
                    more = s.recv(2048)
                    if not more:
                        break
                    reply += more
            else:
                s = socket.socket(fam, socket.SOCK_DGRAM)
                s.settimeout(5)
                s.sendto(req, (dst, port))
                reply = s.recv(2048)
                keep.append(s)
            if proto == "tcp":
                s.close()
            ok += reply == b"ok " + req
        except OSError as e:
            print(f"exchange {i} with {dst} port {port}: {e}", file=sys.stderr)
    print(ok)
    return 0 if ok == n else 1


def summary(path, port):
    with open(path) as f:
        packets = json.load(f)["packets"]
    conns = {}
    for q, proto, src, sport, dst, dport, _ in packets:
        if port not in (sport, dport):
            continue
        key = (proto,) + tuple(sorted([(src, sport), (dst, dport)]))
        c = conns.setdefault(key, {"queues": set(), "dirs": set()})
        c["queues"].add(q)
        c["dirs"].add(dport == port)
    queues = set().union(*(c["queues"] for c in conns.values())) if conns else set()
    print("conns=%d one_queue=%d both_dirs=%d queues=%d packets=%d" % (
        len(conns), sum(len(c["queues"]) == 1 for c in conns.values()),
        sum(len(c["dirs"]) == 2 for c in conns.values()), len(queues), len(packets)))
    return 0


def main():
    a = sys.argv[1:]
    if a[0] == "serve":
        return serve(a[1], int(a[2]), float(a[3]) if len(a) > 3 else 300)
    if a[0] == "connect":
        return connect(a[1], a[2], int(a[3]), int(a[4]))
    if a[0] == "summary":
        return summary(a[1], int(a[2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
