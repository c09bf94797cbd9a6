#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Hostile packets, as raw Ethernet frames (AF_PACKET) on one end of a veth
# pair, so that the other end's stack gets exactly these bytes: IPv4 with IHL
# below 5, total length above or below the real one, truncated transport
# headers; IPv6 with long and malformed extension-header chains; first
# fragments too short to hold the ports (dropped), overlapping fragments; ICMP
# errors with truncated or nested quoted packets.
#
# Runs in the sending netns; the receiving netns (--peer) has portsteer
# rules for every protocol's port 7000. Each kind is sent --count times and
# must end where it belongs: dropped by the IP layer before any hook (its MIB
# counters, and then unseen by portsteer), or counted by portsteer as
# malformed, no-L4 or dropped (nested ICMP
# errors: unmatched, as their quoted packet is ICMP) - and never steered.
# Then the same in non-linear packets, with the transport header in a page
# fragment (and, as controls, well-formed ones that must be steered).
# Prints per kind what was sent and where it went ("# ..."), then a line
# "pass NAME" or "fail NAME" that hostile.sh turns into KTAP.
#
#   hostile.py --dev c0 --dst-mac MAC --peer NETNS --ctl PORTSTEERCTL [--count N]
#   hostile.py --kinds          the number of kinds

import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import time

SRC4, DST4 = "10.77.0.2", "10.77.0.1"
SRC6, DST6 = "fd77::2", "fd77::1"
PORT = 7000
TCP, UDP, UDPLITE, SCTP, DCCP, ICMP, ICMP6 = 6, 17, 136, 132, 33, 1, 58
MINLEN = {TCP: 20, UDP: 8, UDPLITE: 8, SCTP: 12, DCCP: 12}


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def l4(proto, dport=PORT, sport=40000, length=None):
    """A well-formed minimal transport header (checksums are not checked
    before the hooks)."""
    if proto == TCP:
        return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x02, 1024, 0, 0)
    if proto in (UDP, UDPLITE):
        return struct.pack("!HHHH", sport, dport, length or 12, 0) + b"data"
    if proto == SCTP:
        return struct.pack("!HHII", sport, dport, 0, 0)
    if proto == DCCP:
        return struct.pack("!HHBBHBBH", sport, dport, 3, 0, 0, 0, 0, 1)
    raise ValueError(proto)


def ip4(payload, proto, ihl=5, tot_len=None, frag=0, ident=1, src=SRC4, dst=DST4):
    opts = b"\x01" * (max(ihl, 5) * 4 - 20)      # NOPs
    tl = tot_len if tot_len is not None else 20 + len(opts) + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | (ihl & 0xF), 0, tl & 0xFFFF, ident, frag,
                    64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst)) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ip6(payload, nexthdr, plen=None, src=SRC6, dst=DST6):
    pl = plen if plen is not None else len(payload)
    return struct.pack("!IHBB16s16s", 6 << 28, pl & 0xFFFF, nexthdr, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + payload


def ext(nexthdr, body_len=6, hdrlen=None):
    """A destination-options header: padding only (PadN)."""
    hl = (body_len + 2) // 8 - 1 if hdrlen is None else hdrlen
    return struct.pack("!BB", nexthdr, hl) + bytes([1, body_len - 2]) + b"\0" * (body_len - 2)


def frag6(nexthdr, offset, more, ident=7):
    return struct.pack("!BBHI", nexthdr, 0, (offset << 3) | (1 if more else 0), ident)


def icmp4_error(quoted):
    h = struct.pack("!BBHI", 3, 3, 0, 0) + quoted        # port unreachable
    return h[:2] + struct.pack("!H", csum(h)) + h[4:]


def icmp6_error(quoted):
    return struct.pack("!BBHI", 1, 4, 0, 0) + quoted     # port unreachable


# Each kind: (name, family, [frames' IP packets], where they must go). "ip"
# is the IP layer's own drop counters; "malformed", "no_l4", "unmatched" are
# portsteer's. Several places: the total over them must be the count.
def kinds():
    k = []
    for ihl in (0, 3, 4):
        k.append(("ipv4_ihl_%d" % ihl, 4, [ip4(l4(TCP), TCP, ihl=ihl)], ["ip"]))
    k.append(("ipv4_total_length_above_real", 4,
              [ip4(l4(UDP), UDP, tot_len=20 + 12 + 40)], ["ip"]))
    k.append(("ipv4_total_length_below_header", 4,
              [ip4(l4(UDP), UDP, tot_len=12)], ["ip"]))
    for p in (TCP, UDP, SCTP, DCCP, UDPLITE):
        k.append(("ipv4_total_length_cuts_l4_%d" % p, 4,
                  [ip4(l4(p), p, tot_len=20 + MINLEN[p] - 3)], ["malformed"]))
        k.append(("ipv4_truncated_l4_%d" % p, 4,
                  [ip4(l4(p)[:n], p) for n in range(MINLEN[p])], ["malformed"]))
    bad_doff = struct.pack("!HHIIBBHHH", 40000, PORT, 1, 0, 4 << 4, 2, 1024, 0, 0)
    long_doff = struct.pack("!HHIIBBHHH", 40000, PORT, 1, 0, 15 << 4, 2, 1024, 0, 0)
    k.append(("ipv4_tcp_data_offset", 4, [ip4(bad_doff, TCP), ip4(long_doff, TCP)],
              ["malformed"]))
    k.append(("ipv4_udp_length", 4, [ip4(l4(UDP, length=200), UDP),
                                     ip4(l4(UDP, length=4), UDP)], ["malformed"]))
    # Fragments (defrag off): first ones too short to hold the ports (the
    # tiny-fragment attack; dropped), later ones overlapping a first one to
    # a port no rule covers. evasion.py sends the ones that hold the ports.
    tcp = l4(TCP)
    other = l4(TCP, dport=PORT + 1)
    for p in MINLEN:
        k.append(("ipv4_first_fragment_without_ports_%d" % p, 4,
                  [ip4(l4(p)[:n], p, frag=0x2000) for n in (0, 2, 3)], ["dropped"]))
    k.append(("ipv4_overlapping_fragments", 4,
              [ip4(other[:8], TCP, frag=0x2000, ident=9),
               ip4(tcp[8:] + b"x" * 4, TCP, frag=0x2000 | 1, ident=9),
               ip4(tcp, TCP, frag=1, ident=9)], ["unmatched", "no_l4"]))
    # ICMP errors quoting a packet to port 7000, cut inside the quoted IP
    # header or before 8 transport bytes; quoted IHL below 5.
    inner = ip4(l4(UDP), UDP, src=DST4, dst=SRC4)
    k.append(("ipv4_icmp_error_truncated_quote", 4,
              [ip4(icmp4_error(inner[:n]), ICMP) for n in (0, 8, 19, 20, 24, 27)],
              ["malformed"]))
    k.append(("ipv4_icmp_error_quoted_ihl", 4,
              [ip4(icmp4_error(ip4(l4(UDP), UDP, ihl=4)), ICMP)], ["malformed"]))
    k.append(("ipv4_icmp_error_nested", 4,
              [ip4(icmp4_error(ip4(icmp4_error(inner), ICMP, src=DST4, dst=SRC4)), ICMP)],
              ["unmatched"]))

    # IPv6
    k.append(("ipv6_payload_length_above_real", 6, [ip6(l4(UDP), UDP, plen=200)], ["ip"]))
    for p in (TCP, UDP, SCTP, DCCP, UDPLITE):
        k.append(("ipv6_payload_length_cuts_l4_%d" % p, 6,
                  [ip6(l4(p), p, plen=MINLEN[p] - 3)], ["malformed"]))
        k.append(("ipv6_truncated_l4_%d" % p, 6,
                  [ip6(l4(p)[:n], p) for n in range(MINLEN[p])], ["malformed"]))
    # 10 destination-options headers, then nothing. 60 of them, then nothing
    # or a truncated TCP header: newer kernels' walkers of the chain
    # (ipv6_find_hdr() among them; Debian's 7.2, not 6.12) give up after
    # IP6_MAX_EXT_HDRS_CNT (12) headers with an error, and drop such packets
    # themselves: there a chain that long is malformed, before it has no
    # transport header.
    k.append(("ipv6_chain_no_transport", 6,
              [ip6(b"".join(ext(60) for _ in range(9)) + ext(59), 60)], ["no_l4"]))
    chain = b"".join(ext(60) for _ in range(59))
    k.append(("ipv6_long_chain_no_transport", 6, [ip6(chain + ext(59), 60)],
              ["no_l4", "malformed"]))
    k.append(("ipv6_long_chain_truncated_l4", 6, [ip6(chain + ext(TCP) + tcp[:10], 60)],
              ["malformed"]))
    # a header whose length runs past the packet; a chain cut mid-header
    k.append(("ipv6_ext_header_overruns", 6,
              [ip6(ext(TCP, hdrlen=200) + tcp, 60), ip6(chain + ext(TCP)[:3], 60)],
              ["malformed", "no_l4"]))
    for p in MINLEN:
        k.append(("ipv6_first_fragment_without_ports_%d" % p, 6,
                  [ip6(frag6(p, 0, True) + l4(p)[:n], 44) for n in (0, 2, 3)] +
                  [ip6(frag6(60, 0, True) + ext(p), 44)], ["dropped"]))
    # a first fragment whose header chain is cut: the reassembly would
    # complete it
    k.append(("ipv6_first_fragment_chain_cut", 6,
              [ip6(frag6(60, 0, True) + ext(TCP)[:4], 44)], ["dropped"]))
    k.append(("ipv6_later_and_overlapping_fragments", 6,
              [ip6(frag6(TCP, 1, True, 11) + b"y" * 16, 44),
               ip6(frag6(TCP, 1, False, 11) + tcp, 44)], ["no_l4"]))
    inner6 = ip6(l4(UDP), UDP, src=DST6, dst=SRC6)
    k.append(("ipv6_icmp_error_truncated_quote", 6,
              [ip6(icmp6_error(inner6[:n]), ICMP6) for n in (0, 20, 39, 40, 44, 47)],
              ["malformed"]))
    k.append(("ipv6_icmp_error_nested", 6,
              [ip6(icmp6_error(ip6(icmp6_error(inner6), ICMP6, src=DST6, dst=SRC6)), ICMP6)],
              ["unmatched"]))
    k.extend(nonlinear_kinds())
    return k


# Non-linear packets: AF_PACKET sends a frame of a page or more as an skb
# whose linear part holds only the link-layer header (net/packet/af_packet.c,
# packet_alloc_skb()), and veth hands it on as it is: the receiving IP layer
# pulls its own header into the linear part, and the transport header stays
# in a page fragment. Frames here are 4.2 to 6.3 kB (hostile.sh sets an MTU
# of 9000); those cut by their IP length are trimmed to the cut after the
# pull, so the cut lands in the fragment. A well-formed one of each protocol
# is the control: it must be steered, its header read from the fragment.
BIG = 4200


def long_ext(nexthdr, size):
    """A destination-options header of size bytes (a multiple of 8, at most
    2048), padded with PadN options of up to 255 bytes."""
    body, left = b"", size - 2
    while left:
        # options of 257 bytes, and never a last one of 1 but with Pad1
        n = left if left <= 257 else (256 if left == 258 else 257)
        body += b"\0" if n == 1 else bytes([1, n - 2]) + b"\0" * (n - 2)
        left -= n
    return struct.pack("!BB", nexthdr, size // 8 - 1) + body


def l4_big(proto):
    data = b"p" * BIG
    if proto in (UDP, UDPLITE):
        return struct.pack("!HHHH", 40000, PORT, 8 + len(data), 0) + data
    return l4(proto) + data


def nonlinear_kinds():
    k = []
    pad = b"\0" * BIG
    k.append(("nonlinear_ipv4_l4_in_fragment_steered", 4,
              [ip4(l4_big(p), p) for p in MINLEN], ["matched"]))
    k.append(("nonlinear_ipv4_length_cuts_l4", 4,
              [ip4(l4(p) + pad, p, tot_len=20 + MINLEN[p] - 3) for p in MINLEN],
              ["malformed"]))
    k.append(("nonlinear_ipv4_options_cut_l4", 4,
              [ip4(l4(TCP) + pad, TCP, ihl=15, tot_len=60 + 10)], ["malformed"]))
    inner = ip4(l4(UDP), UDP, src=DST4, dst=SRC4)
    k.append(("nonlinear_ipv4_icmp_error_truncated_quote", 4,
              [ip4(icmp4_error(inner) + pad, ICMP, tot_len=20 + 8 + n)
               for n in (0, 8, 19, 20, 24, 27)], ["malformed"]))
    k.append(("nonlinear_ipv6_l4_in_fragment_steered", 6,
              [ip6(l4_big(p), p) for p in MINLEN], ["matched"]))
    k.append(("nonlinear_ipv6_length_cuts_l4", 6,
              [ip6(l4(p) + pad, p, plen=MINLEN[p] - 3) for p in MINLEN], ["malformed"]))
    # three 2 kB destination-options headers: the transport header 6 kB in
    chain = b"".join(long_ext(60, 2048) for _ in range(2))
    k.append(("nonlinear_ipv6_long_chain_steered", 6,
              [ip6(chain + long_ext(TCP, 2048) + l4(TCP), 60)], ["matched"]))
    k.append(("nonlinear_ipv6_long_chain_truncated_l4", 6,
              [ip6(chain + long_ext(TCP, 2048) + l4(TCP)[:10], 60)], ["malformed"]))
    k.append(("nonlinear_ipv6_long_chain_overruns", 6,
              [ip6(chain + ext(TCP, hdrlen=200) + l4(TCP), 60),
               ip6(chain + long_ext(60, 2048)[:1000], 60)], ["malformed", "no_l4"]))
    inner6 = ip6(l4(UDP), UDP, src=DST6, dst=SRC6)
    k.append(("nonlinear_ipv6_icmp_error_truncated_quote", 6,
              [ip6(icmp6_error(inner6) + pad, ICMP6, plen=8 + n)
               for n in (0, 20, 39, 40, 44, 47)], ["malformed"]))
    return k


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def read_counters(a):
    d = json.loads(run([a.ctl, "--netns", a.peer, "-j", "stats"]))["netns"]
    c = {n: d[n] for n in ("seen", "matched", "unmatched", "no_l4", "malformed",
                           "icmp_followed", "dropped")}
    # the peer's /proc/net, through a process that lives in its netns
    snmp = ""
    for f in ("snmp", "netstat", "snmp6"):
        with open("/proc/%d/net/%s" % (a.peer_pid, f)) as fh:
            snmp += fh.read()
    ip = 0
    lines = snmp.splitlines()
    for i in range(len(lines) - 1):
        h, v = lines[i].split(), lines[i + 1].split()
        if h[0] in ("Ip:", "IpExt:") and v[0] == h[0] and h != v:
            for name, val in zip(h[1:], v[1:]):
                if name in ("InHdrErrors", "InTruncatedPkts", "InCsumErrors", "InAddrErrors"):
                    ip += int(val)
    for line in lines:
        f = line.split()
        if len(f) == 2 and f[0] in ("Ip6InHdrErrors", "Ip6InTruncatedPkts"):
            ip += int(f[1])
    c["ip"] = ip
    return c


def frame_args(ap):
    """The arguments of a sender of frames to a peer netns."""
    ap.add_argument("--dev")
    ap.add_argument("--dst-mac")
    ap.add_argument("--peer")
    ap.add_argument("--ctl")


def main():
    ap = argparse.ArgumentParser()
    frame_args(ap)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--kinds", action="store_true")
    a = ap.parse_args()
    if a.kinds:
        print(len(kinds()))
        return 0
    # a process in the peer's netns, whose /proc/PID/net is the peer's
    peer = subprocess.Popen(["ip", "netns", "exec", a.peer, "sleep", "3600"])
    own = os.readlink("/proc/self/ns/net")
    deadline = time.time() + 10
    while os.readlink("/proc/%d/ns/net" % peer.pid) == own and time.time() < deadline:
        time.sleep(0.02)
    a.peer_pid = peer.pid

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.dev, 0))
    src_mac = open("/sys/class/net/%s/address" % a.dev).read().strip()
    eth = bytes.fromhex(a.dst_mac.replace(":", "")) + bytes.fromhex(src_mac.replace(":", ""))

    ks = kinds()
    failed = 0
    total = 0
    for name, fam, packets, places in ks:
        before = read_counters(a)
        ethertype = b"\x08\x00" if fam == 4 else b"\x86\xdd"
        for _ in range(a.count):
            for p in packets:
                s.send(eth + ethertype + p)
        sent = a.count * len(packets)
        total += sent
        # veth delivers in softirq; wait until the counts settle (bounded)
        deadline = time.time() + 5
        while True:
            after = read_counters(a)
            d = {key: after[key] - before[key] for key in after}
            landed = sum(d[p] for p in places)
            if landed >= sent or time.time() > deadline:
                break
            time.sleep(0.05)
        steered = d["matched"] + d["icmp_followed"]
        if "matched" in places:         # a control: steered, all of it
            steered -= d["matched"]
        # Where else counts moved. The IP layer may count a packet portsteer
        # saw once more, when it drops it later (IPv6 extension headers are
        # parsed after the hooks): only its own kinds must not reach the hook.
        others = {key: v for key, v in d.items()
                  if v and key not in places and key not in ("seen", "ip")}
        if "ip" in places and d["seen"]:
            others["seen"] = d["seen"]
        if d["seen"] != sum(d[p] for p in places if p != "ip"):
            others["seen"] = d["seen"]
        ok = steered == 0 and landed == sent and not others
        print("# %s: sent %d, %s%s" % (name, sent,
              ", ".join("%s %d" % (p, d[p]) for p in places),
              (", also " + str(others)) if others else ""))
        if not ok:
            failed += 1
            print("# %s: steered %d" % (name, steered))
        print("%s %s" % ("pass" if ok else "fail", name))
        sys.stdout.flush()
    print("# %d hostile packets in %d kinds, %d of each frame" % (total, len(ks), a.count))
    peer.kill()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
