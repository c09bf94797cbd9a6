#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# The evasion set: datagrams to a steered port, cut every way that could
# carry them past the queue, as raw Ethernet frames (AF_PACKET) on one end of
# a veth pair. The other end's netns (--peer) steers port 7000 of every
# protocol to a service whose queue has no consumer and no bypass, so all
# the service gets is dropped: whatever its transport layer receives of a
# datagram to port 7000 walked past the queue.
#
# Each case is sent twice, --count times each:
#   - to port 7000: the server's IP layer must deliver nothing to a
#     transport protocol (Ip InDelivers + InUnknownProtos, and Ip6's, which
#     count every datagram handed to TCP, UDP, ... or to no handler), and
#     its UDP socket on 7000 must receive nothing;
#   - to port 7001, which no rule covers (the control): the same cuts must
#     reach the transport layer, all of them, when the kernel itself
#     reassembles such a train ("reaches"), which shows the case is a real
#     way in and not one the IP layer refuses anyway. Cases whose first
#     fragment holds no ports are dropped by portsteer whatever the port
#     ("dropped": counted as dropped, never delivered).
# A sentinel datagram to port 7002 ends each round: once the server's socket
# has it, everything sent before it has been through the stack.
#
# Prints "# ..." lines and one "pass NAME" or "fail NAME" per case and port.
#
#   evasion.py --dev c0 --dst-mac MAC --peer NETNS --ctl PORTSTEERCTL
#              [--count N] [--tag TAG] [--defrag]
# --defrag: the peer has defrag on, so its defragmentation reassembles (or
# refuses) the trains before the hook; portsteer then drops nothing itself,
# and the cuts the kernel may refuse are not asserted in the control round.
#   evasion.py --cases      the number of lines of results

import argparse
import ctypes
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile as h  # noqa: E402

STEERED, CONTROL, SENTINEL = 7000, 7001, 7002
PROTOS = {"tcp": h.TCP, "udp": h.UDP, "udplite": h.UDPLITE, "sctp": h.SCTP,
          "dccp": h.DCCP}
PAYLOAD = b"evasion!" * 4


def pseudo4(proto, length):
    return socket.inet_aton(h.SRC4) + socket.inet_aton(h.DST4) + \
        struct.pack("!BBH", 0, proto, length)


def pseudo6(proto, length):
    return socket.inet_pton(socket.AF_INET6, h.SRC6) + \
        socket.inet_pton(socket.AF_INET6, h.DST6) + struct.pack("!IxxxB", length, proto)


def segment(fam, proto, dport, opts=0):
    """A transport header with PAYLOAD, checksummed where the stack checks
    it before delivery (TCP, UDP, UDP-Lite): the datagram reassembled is
    one its protocol takes."""
    sport = 40000
    if proto == h.TCP:
        o = b"\x01" * (opts * 4)                  # NOPs
        seg = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, (5 + opts) << 4, 0x02,
                          1024, 0, 0) + o + PAYLOAD
        off = 16
    elif proto in (h.UDP, h.UDPLITE):
        n = 8 + len(PAYLOAD)
        seg = struct.pack("!HHHH", sport, dport, n, 0) + PAYLOAD
        off = 6
    elif proto == h.SCTP:
        return struct.pack("!HHII", sport, dport, 0, 0) + PAYLOAD
    else:
        return struct.pack("!HHBBHBBH", sport, dport, 3, 0, 0, 0, 0, 1) + PAYLOAD
    ph = pseudo4(proto, len(seg)) if fam == 4 else pseudo6(proto, len(seg))
    c = h.csum(ph + seg) or 0xFFFF
    return seg[:off] + struct.pack("!H", c) + seg[off + 2:]


class Ident:
    n = 1000

    @classmethod
    def next(cls):
        cls.n += 1
        return cls.n


def cut4(seg, proto, bounds, order=None):
    """IPv4 fragments of seg at the byte offsets bounds (multiples of 8)."""
    ident = Ident.next()
    edges = [0] + bounds + [len(seg)]
    frags = []
    for i in range(len(edges) - 1):
        more = 0x2000 if i < len(edges) - 2 else 0
        frags.append(h.ip4(seg[edges[i]:edges[i + 1]], proto,
                           frag=more | (edges[i] // 8), ident=ident))
    return [frags[i] for i in order] if order else frags


def cut6(body, nexthdr, bounds, order=None):
    """IPv6 fragments of the fragmentable part body (its first header
    nexthdr) at the byte offsets bounds."""
    ident = Ident.next()
    edges = [0] + bounds + [len(body)]
    frags = []
    for i in range(len(edges) - 1):
        more = i < len(edges) - 2
        frags.append(h.ip6(h.frag6(nexthdr, edges[i] // 8, more, ident) +
                           body[edges[i]:edges[i + 1]], 44))
    return [frags[i] for i in order] if order else frags


def cases(dport):
    """(name, family, [packets], control): control is what the port-7001
    round must see, "reaches" or "dropped"."""
    k = []
    for name, p in PROTOS.items():
        for fam in (4, 6):
            seg = segment(fam, p, dport)
            cut = (lambda b, o=None: cut4(seg, p, b, o)) if fam == 4 else \
                (lambda b, o=None: cut6(seg, p, b, o))
            pre = "ipv%d_%s_" % (fam, name)
            whole = h.ip4(seg, p) if fam == 4 else h.ip6(seg, p)
            k.append((pre + "whole", fam, [whole], "reaches"))
            # the first fragment holds the ports and 4 more bytes only
            k.append((pre + "ports_only_first_fragment", fam, cut([8]),
                      # the kernel's own check wants a whole TCP or UDP
                      # header in an IPv6 first fragment (RFC 8200 4.5)
                      "refused" if fam == 6 and p == h.TCP else "reaches"))
            k.append((pre + "tiny_fragments", fam, cut([8, 16, 24]),
                      "refused" if fam == 6 and p == h.TCP else "reaches"))
            k.append((pre + "out_of_order", fam, cut([8, 24], [2, 1, 0]),
                      "refused" if fam == 6 and p == h.TCP else "reaches"))
            if p == h.TCP:
                opt = segment(fam, p, dport, opts=10)     # a 60-byte header
                k.append((pre + "options_in_second_fragment", fam,
                          cut4(opt, p, [24]) if fam == 4 else cut6(opt, p, [24]),
                          "reaches"))
            if fam == 6:
                # the header chain in the first fragment, the transport
                # header wholly in the second (RFC 7112 rules it out; the
                # kernel refuses it for TCP and UDP only)
                body = h.ext(p) + seg
                k.append((pre + "transport_header_in_second_fragment", fam,
                          cut6(body, 60, [8]), "dropped"))
            else:
                # a first fragment too short for the ports
                k.append((pre + "first_fragment_without_ports", fam,
                          [h.ip4(seg[:n], p, frag=0x2000, ident=Ident.next())
                           for n in (0, 2)], "dropped"))
    # A second first fragment that rewrites the ports of the first one, in
    # both orders; UDP, whose sockets on 7000 and 7001 tell where it went.
    for fam in (4, 6):
        a, b = segment(fam, h.UDP, STEERED), segment(fam, h.UDP, CONTROL)
        for first, second, tag in ((a, b, "steered_then_other"), (b, a, "other_then_steered")):
            if fam == 4:
                ident = Ident.next()
                pk = [h.ip4(first[:16], h.UDP, frag=0x2000, ident=ident),
                      h.ip4(second[:16], h.UDP, frag=0x2000, ident=ident),
                      h.ip4(first[16:], h.UDP, frag=2, ident=ident)]
            else:
                ident = Ident.next()
                pk = [h.ip6(h.frag6(h.UDP, 0, True, ident) + first[:16], 44),
                      h.ip6(h.frag6(h.UDP, 0, True, ident) + second[:16], 44),
                      h.ip6(h.frag6(h.UDP, 2, False, ident) + first[16:], 44)]
            # sent once per round (dport does not change them): only the
            # socket on 7000 matters
            if dport == STEERED:
                k.append(("ipv%d_udp_ports_rewritten_%s" % (fam, tag), fam, pk, "socket"))
    return k


def ncases():
    return len(cases(STEERED)) + len([c for c in cases(CONTROL) if c[3] != "socket"])


libc = ctypes.CDLL(None, use_errno=True)


def setns(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, 0) != 0:
            raise OSError(ctypes.get_errno(), "setns " + path)
    finally:
        os.close(fd)


def udp_socket(fam, port):
    s = socket.socket(socket.AF_INET if fam == 4 else socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind((h.DST4 if fam == 4 else h.DST6, port))
    s.setblocking(False)
    return s


def drain(s):
    n = 0
    while True:
        try:
            s.recv(65536)
            n += 1
        except BlockingIOError:
            return n


def delivered(pid):
    """Datagrams the server's IP layers handed to a transport protocol, or
    to none, ICMP aside (the stack's own: neighbour discovery, MLD)."""
    with open("/proc/%d/net/snmp" % pid) as f:
        lines = f.read().splitlines()
    v4 = 0
    for i in range(len(lines) - 1):
        hd, v = lines[i].split(), lines[i + 1].split()
        if hd[0] == v[0] and hd[0] in ("Ip:", "Icmp:") and hd != v:
            d = dict(zip(hd[1:], v[1:]))
            if hd[0] == "Ip:":
                v4 += int(d["InDelivers"]) + int(d["InUnknownProtos"])
            else:
                v4 -= int(d["InMsgs"])
    v6 = 0
    with open("/proc/%d/net/snmp6" % pid) as f:
        for line in f:
            n, val = line.split()
            if n in ("Ip6InDelivers", "Ip6InUnknownProtos"):
                v6 += int(val)
            elif n == "Icmp6InMsgs":
                v6 -= int(val)
    return {4: v4, 6: v6}


def dropped(a):
    d = json.loads(subprocess.run([a.ctl, "--netns", a.peer, "-j", "stats"], check=True,
                                  capture_output=True, text=True).stdout)["netns"]
    return d.get("dropped", 0)       # older modules: no such counter


def main():
    ap = argparse.ArgumentParser()
    h.frame_args(ap)
    ap.add_argument("--count", type=int, default=5)
    ap.add_argument("--tag", default="")
    ap.add_argument("--defrag", action="store_true", help="the peer reassembles first")
    ap.add_argument("--cases", action="store_true")
    a = ap.parse_args()
    if a.cases:
        print(ncases())
        return 0

    peer = subprocess.Popen(["ip", "netns", "exec", a.peer, "sleep", "3600"])
    own = "/proc/self/ns/net"
    own_id = os.readlink(own)
    deadline = time.time() + 10
    while os.readlink("/proc/%d/ns/net" % peer.pid) == own_id and time.time() < deadline:
        time.sleep(0.02)
    own_fd = os.open(own, os.O_RDONLY)
    # the server's sockets, made in its netns
    setns("/proc/%d/ns/net" % peer.pid)
    socks = {(fam, port): udp_socket(fam, port)
             for fam in (4, 6) for port in (STEERED, CONTROL, SENTINEL)}
    if libc.setns(own_fd, 0) != 0:
        raise OSError(ctypes.get_errno(), "setns back")
    os.close(own_fd)

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.dev, 0))
    src_mac = open("/sys/class/net/%s/address" % a.dev).read().strip()
    eth = bytes.fromhex(a.dst_mac.replace(":", "")) + bytes.fromhex(src_mac.replace(":", ""))
    ethertype = {4: b"\x08\x00", 6: b"\x86\xdd"}

    def sentinel(fam):
        seg = segment(fam, h.UDP, SENTINEL)
        s.send(eth + ethertype[fam] + (h.ip4(seg, h.UDP) if fam == 4 else h.ip6(seg, h.UDP)))
        r, _, _ = select.select([socks[(fam, SENTINEL)]], [], [], 5)
        return drain(socks[(fam, SENTINEL)]) if r else 0

    for sk in socks.values():
        drain(sk)
    failed = 0
    tag = a.tag + "_" if a.tag else ""
    for port in (STEERED, CONTROL):
        # each repetition a train of its own: fresh identifiers
        reps = [cases(port) for _ in range(a.count)]
        for i, (name, fam, _, control) in enumerate(reps[0]):
            if port == CONTROL and control == "socket":
                continue
            count = control == "dropped" and not a.defrag
            before, drop0 = delivered(peer.pid), dropped(a) if count else 0
            got = {p: 0 for p in (STEERED, CONTROL)}
            for r in range(a.count):
                for p in reps[r][i][2]:
                    s.send(eth + ethertype[fam] + p)
                seen = sentinel(fam)
                for p in got:
                    got[p] += drain(socks[(fam, p)])
                if seen != 1:
                    print("# %s: the sentinel did not come back" % name)
            after, drop1 = delivered(peer.pid), dropped(a) if count else 0
            l4 = after[fam] - before[fam] - a.count       # less the sentinels
            d = drop1 - drop0
            if a.defrag and control not in ("reaches", "socket"):
                # reassembled (or refused) by the defragmentation, before
                # the hook: portsteer never sees these fragments
                control = "either"
            if port == STEERED:
                ok = l4 == 0 and got[STEERED] == 0 and (control != "dropped" or d > 0)
                what = "to the steered port"
                exp = "0"
                if control == "socket":
                    ok = got[STEERED] == 0
                    exp = "none on the socket of 7000"
            elif control == "reaches":
                ok, what, exp = l4 == a.count, "control", "%d" % a.count
            elif control == "dropped":
                ok, what, exp = l4 == 0 and d > 0, "control", "0, dropped"
            elif control == "refused":
                ok, what, exp = l4 == 0, "control", "0 (the kernel refuses it)"
            else:
                ok, what, exp = l4 in (0, a.count), "control", "0 or %d" % a.count
            print("# %s %s: %d trains, transport layer got %d (want %s), socket 7000 "
                  "got %d, dropped %d" % (name, what, a.count, l4, exp, got[STEERED], d))
            label = "%s%s%s" % (tag, name, "" if port == STEERED else "_control")
            print("%s %s" % ("pass" if ok else "fail", label))
            failed += not ok
            sys.stdout.flush()
    peer.kill()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
