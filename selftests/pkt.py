#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Packet generator of portsteer's selftests: sends transport headers of
# every protocol portsteer steers through raw sockets, plus the odd cases
# (truncated headers, fragments, IPv6 extension headers, flows from many
# source ports). Only to addresses of the test's own namespaces.
#
#   pkt.py l4 FAMILY PROTO DST DPORT [--sport N] [--count N] [--truncate N]
#   pkt.py batch FAMILY DST PROTO:PORT...   one packet to each
#   pkt.py udp FAMILY DST DPORT [--sport N] [--count N] [--size N] [--ext hop,dst,rthdr]
#   pkt.py flows FAMILY PROTO DST DPORT --flows N [--count N] [--sport N]
#   pkt.py tcp-connect FAMILY DST DPORT [--timeout S]   exit 0 if it connects

import argparse
import socket
import struct
import sys

PROTOS = {"tcp": 6, "udp": 17, "udplite": 136, "sctp": 132, "dccp": 33}


def l4_header(proto, sport, dport):
    """A minimal, well-formed transport header with these ports."""
    if proto == "tcp":
        # ports, seq, ack, data offset 5, SYN, window, csum, urg
        return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x02, 1024, 0, 0)
    if proto in ("udp", "udplite"):
        # UDP: length; UDP-Lite: checksum coverage (8: the header)
        return struct.pack("!HHHH", sport, dport, 8 + 4, 0) + b"data"
    if proto == "sctp":
        return struct.pack("!HHII", sport, dport, 0, 0)
    if proto == "dccp":
        # generic header with X=0: ports, offset 3, ccval/cscov, csum, type Request, seq
        return struct.pack("!HHBBHBBH", sport, dport, 3, 0, 0, 0 << 1, 0, 1)
    raise ValueError(proto)


def family_of(name):
    return socket.AF_INET6 if name in ("6", "ip6", "ipv6") else socket.AF_INET


def cmd_l4(a):
    fam = family_of(a.family)
    hdr = l4_header(a.proto, a.sport, a.dport)
    if a.truncate is not None:
        hdr = hdr[:a.truncate]
    s = socket.socket(fam, socket.SOCK_RAW, PROTOS[a.proto])
    for _ in range(a.count):
        s.sendto(hdr, (a.dst, 0))
    return 0


def cmd_batch(a):
    """One packet to each PROTO:PORT of --spec, in order."""
    fam = family_of(a.family)
    socks = {}
    for item in a.spec:
        proto, port = item.split(":")
        if proto not in socks:
            socks[proto] = socket.socket(fam, socket.SOCK_RAW, PROTOS[proto])
        socks[proto].sendto(l4_header(proto, a.sport, int(port)), (a.dst, 0))
    return 0


def cmd_flows(a):
    """--flows different source ports, --count packets each, interleaved."""
    fam = family_of(a.family)
    s = socket.socket(fam, socket.SOCK_RAW, PROTOS[a.proto])
    for _ in range(a.count):
        for i in range(a.flows):
            s.sendto(l4_header(a.proto, a.sport + i, a.dport), (a.dst, 0))
    return 0


def cmd_udp(a):
    fam = family_of(a.family)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.sport:
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", a.sport))
    if fam == socket.AF_INET:
        # IP_MTU_DISCOVER = IP_PMTUDISC_DONT: let the stack fragment
        s.setsockopt(socket.IPPROTO_IP, 10, 0)
    for ext in filter(None, (a.ext or "").split(",")):
        # 8 bytes: next header and length (filled by the kernel), PadN of 4
        opts = b"\x00\x00\x01\x04\x00\x00\x00\x00"
        if ext == "hop":
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS, opts)
        elif ext == "dst":
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, opts)
        elif ext == "rthdrdst":
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RTHDRDSTOPTS, opts)
        else:
            raise ValueError(ext)
    for _ in range(a.count):
        s.sendto(b"x" * a.size, (a.dst, a.dport))
    return 0


def cmd_tcp_connect(a):
    fam = family_of(a.family)
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(a.timeout)
    try:
        s.connect((a.dst, a.dport))
        s.sendall(b"hello")
    except OSError as e:
        print(f"connect to {a.dst} port {a.dport}: {e}", file=sys.stderr)
        return 1
    s.close()
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("l4", "flows"):
        q = sub.add_parser(name)
        q.add_argument("family")
        q.add_argument("proto", choices=PROTOS)
        q.add_argument("dst")
        q.add_argument("dport", type=int)
        q.add_argument("--sport", type=int, default=40000)
        q.add_argument("--count", type=int, default=1)
        q.add_argument("--truncate", type=int)
        q.add_argument("--flows", type=int, default=1)
    q = sub.add_parser("batch")
    q.add_argument("family")
    q.add_argument("dst")
    q.add_argument("spec", nargs="+")
    q.add_argument("--sport", type=int, default=40000)
    q = sub.add_parser("udp")
    q.add_argument("family")
    q.add_argument("dst")
    q.add_argument("dport", type=int)
    q.add_argument("--sport", type=int, default=0)
    q.add_argument("--count", type=int, default=1)
    q.add_argument("--size", type=int, default=16)
    q.add_argument("--ext")
    q = sub.add_parser("tcp-connect")
    q.add_argument("family")
    q.add_argument("dst")
    q.add_argument("dport", type=int)
    q.add_argument("--timeout", type=float, default=3)
    a = p.parse_args()
    return {"l4": cmd_l4, "flows": cmd_flows, "batch": cmd_batch, "udp": cmd_udp,
            "tcp-connect": cmd_tcp_connect}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
