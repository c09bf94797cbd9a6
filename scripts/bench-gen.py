#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Generate the rulesets of make bench (scripts/bench.sh), deterministically.

    bench-gen.py OUTDIR

Writes, for every size the benchmark uses, the portsteer configuration
(ps-N.conf, for portsteerctl apply) and what a user would write instead:
nft map (nftmap-N.nft), the vmap-to-chains ruleset of NFQUEUE.md
(nftvmap-N.nft, and nftvmap-named-N.nft with a named map), linear nft rules
(nftlin-N.nft), linear iptables NFQUEUE rules (ipt-N.rules, for
iptables-restore and ip6tables-restore) and an ipset bitmap:port with one
iptables rule (ipset-N.restore, ipset-ipt.rules).

For the cost of updates (section 8 of scripts/bench-guest.sh): the same
portsteer configurations as batch files of single commands (ps-batch-N.txt,
for portsteerctl -b: the lines of ps-N.conf, its settings, its services,
then one "rule add" line per rule), the named nft vmap built one "add
element" command at a time in one nft -f file (nftvmap-adds-N.nft), and
updates.env, the UDP port and range that no configuration uses (checked
here), for the one-rule changes.

The traffic pktgen sends is UDP to ports MATCH_LO..MATCH_LO+63 (every
ruleset covers them: "matched") or UNMATCH_LO..UNMATCH_LO+63 (no ruleset
covers them: "unmatched").
"""
import os
import random
import re
import sys

MATCH_LO, UNMATCH_LO, WIN = 40000, 50000, 64
PROTOS = ["tcp", "udp", "udplite", "sctp", "dccp"]
PS_SIZES = [1, 100, 1000, 10000, 65536]
MAP_SIZES = [1000, 10000]
LIN_SIZES = [10, 100, 1000]
IPSET_SIZE = 1000
IPS_SIZE = 1000
# The updates: one rule added, replaced and deleted with N rules loaded, and
# N rules added one command at a time.
UPD_SIZES = [1000, 10000, 65536]
NFT_UPD_SIZES = [1000, 10000]
# A UDP port and a range over several 256-port blocks (61000-61999: blocks
# 238-242) that no ruleset of any size uses.
UPD_PORT = 60999
UPD_RANGE = (61000, 61999)


def in_windows(lo, hi):
    for w in (MATCH_LO, UNMATCH_LO):
        if lo <= w + WIN - 1 and hi >= w:
            return True
    return False


def services(n):
    """n services: even ones on one queue, odd ones on a range of 4."""
    out = []
    for i in range(n):
        q = 10 + 8 * i
        out.append(("s%d" % i, (q, q) if i % 2 == 0 else (q, q + 3)))
    return out


def window_rules(n):
    """UDP rules covering the matched window: one range when few rules are
    wanted, else alternating single ports and 2-port ranges."""
    if n < WIN:
        return [("inet", "udp", MATCH_LO, MATCH_LO + WIN - 1)]
    out, p, single = [], MATCH_LO, True
    while p < MATCH_LO + WIN:
        hi = p if single else min(p + 1, MATCH_LO + WIN - 1)
        out.append(("inet", "udp", p, hi))
        p, single = hi + 1, not single
    return out


def ps_rules(n, seed=1):
    """n disjoint rules over the five protocols: single ports and ranges of
    2-4 ports, mostly inet, some ip or ip6 only; the window rules first."""
    rnd = random.Random(seed + n)
    rules = window_rules(n)[:n]
    cursor = {p: 1 for p in PROTOS}
    k = 0
    while len(rules) < n:
        proto = PROTOS[k % len(PROTOS)]
        k += 1
        width = 1 if rnd.random() < 0.5 else rnd.randint(2, 4)
        lo = cursor[proto]
        hi = lo + width - 1
        while proto == "udp" and in_windows(lo, hi):
            lo += 1
            hi += 1
        if hi > 65535:
            continue
        cursor[proto] = hi + 1 + rnd.randint(0, 1)
        r = rnd.random()
        fam = "inet" if r < 0.8 else ("ip" if r < 0.9 else "ip6")
        rules.append((fam, proto, lo, hi))
    if len(rules) != n:
        sys.exit("bench-gen: cannot place %d rules" % n)
    return rules


def nsvc_for(n):
    return max(1, min(n // 16, 256))


def ports(lo, hi):
    return str(lo) if lo == hi else "%d-%d" % (lo, hi)


def ps_lines(n):
    """The commands of the portsteer configuration of size n, one a line:
    the settings, the services, then the rules."""
    svcs = services(nsvc_for(n))
    rules = ps_rules(n)
    # defrag off, as the nft and iptables rulesets have no
    # defragmentation; its cost is measured on its own (psdefrag)
    out = ["settings set seed 1 defrag off"]
    for name, (a, b) in svcs:
        out.append("service add %s queue %s bypass" % (name, ports(a, b)))
    for i, (fam, proto, lo, hi) in enumerate(rules):
        out.append("rule add %s %s dport %s service %s"
                   % (fam, proto, ports(lo, hi), svcs[i % len(svcs)][0]))
    return out


def write_ps(out, n):
    with open(os.path.join(out, "ps-%d.conf" % n), "w") as f:
        f.write("".join(l + "\n" for l in ps_lines(n)))


def write_ps_batch(out, n):
    """ps-batch-N.txt: the commands of ps-N.conf for portsteerctl -b (each
    line one command, one netlink request per rule, one process); ending in
    the same configuration as apply of ps-N.conf from empty."""
    with open(os.path.join(out, "ps-batch-%d.txt" % n), "w") as f:
        f.write("".join(l + "\n" for l in ps_lines(n)))


def check_free(n):
    """The update port and range must be free in the configurations of size
    n: no UDP rule of any family on them, no UDP key of the nft vmap."""
    lo, hi = UPD_RANGE
    for fam, proto, a, b in ps_rules(n):
        if proto == "udp" and (a <= UPD_PORT <= b or (a <= hi and b >= lo)):
            sys.exit("bench-gen: udp %s-%s of ps-%d.conf covers the update port"
                     " or range" % (a, b, n))
    if n in MAP_SIZES:
        for proto, p in vmap_elems(n):
            if proto == "udp" and (p == UPD_PORT or lo <= p <= hi):
                sys.exit("bench-gen: udp . %d of nftvmap-%d covers the update"
                         " port or range" % (p, n))


def udp_ports(n):
    """n distinct UDP ports: the matched window first, never the unmatched."""
    out = list(range(MATCH_LO, MATCH_LO + WIN))[:n]
    p = 1
    while len(out) < n:
        if not in_windows(p, p):
            out.append(p)
        p += 1
    return out


def queue_expr(q):
    return str(q[0]) if q[0] == q[1] else "%d-%d" % q


def write_nftmap(out, n):
    elems = ", ".join("%d : %d" % (p, 10 + 8 * (i % 64))
                      for i, p in enumerate(udp_ports(n)))
    with open(os.path.join(out, "nftmap-%d.nft" % n), "w") as f:
        f.write("table inet steer {\n  chain pre {\n"
                "    type filter hook prerouting priority filter; policy accept;\n"
                "    queue flags bypass to udp dport map { %s }\n  }\n}\n" % elems)


def vmap_elems(n):
    """n (proto, port) keys over the five protocols, the matched UDP window
    among them, each jumping to one of 64 service chains."""
    keys = [("udp", p) for p in range(MATCH_LO, MATCH_LO + WIN)][:n]
    p = 1
    while len(keys) < n:
        for proto in PROTOS:
            if len(keys) < n and not (proto == "udp" and in_windows(p, p)) \
               and not (proto == "udp" and MATCH_LO <= p < MATCH_LO + WIN):
                keys.append((proto, p))
        p += 1
    return keys


def write_nftvmap(out, n):
    svcs = services(64)
    keys = vmap_elems(n)
    elems = ", ".join("%s . %d : jump svc_%d" % (proto, p, i % 64)
                      for i, (proto, p) in enumerate(keys))
    chains = "".join("  chain svc_%d {\n    counter queue flags bypass to %s\n  }\n"
                     % (i, queue_expr(q)) for i, (_, q) in enumerate(svcs))
    pre = ("  chain pre {\n"
           "    type filter hook prerouting priority filter; policy accept;\n")
    with open(os.path.join(out, "nftvmap-%d.nft" % n), "w") as f:
        f.write("table inet steer {\n" + pre
                + "    meta l4proto . th dport vmap { %s }\n  }\n" % elems
                + chains + "}\n")
    # The same with a named map, which one element can be added to.
    with open(os.path.join(out, "nftvmap-named-%d.nft" % n), "w") as f:
        f.write("table inet steer {\n" + chains + "  map svc {\n"
                "    type inet_proto . inet_service : verdict\n"
                "    elements = { %s }\n  }\n" % elems
                + pre + "    meta l4proto . th dport vmap @svc\n  }\n}\n")


def write_nftvmap_adds(out, n):
    """nftvmap-adds-N.nft: the ruleset of nftvmap-named-N.nft with the map
    empty, then its N elements, each a separate "add element" command. One
    nft -f is one transaction: nft's closest to N single additions in one
    process."""
    svcs = services(64)
    chains = "".join("  chain svc_%d {\n    counter queue flags bypass to %s\n  }\n"
                     % (i, queue_expr(q)) for i, (_, q) in enumerate(svcs))
    with open(os.path.join(out, "nftvmap-adds-%d.nft" % n), "w") as f:
        f.write("table inet steer {\n" + chains + "  map svc {\n"
                "    type inet_proto . inet_service : verdict\n  }\n"
                "  chain pre {\n"
                "    type filter hook prerouting priority filter; policy accept;\n"
                "    meta l4proto . th dport vmap @svc\n  }\n}\n")
        for i, (proto, p) in enumerate(vmap_elems(n)):
            f.write("add element inet steer svc { %s . %d : jump svc_%d }\n"
                    % (proto, p, i % 64))


def write_ips(out, n):
    """The inline-IPS features on the rules of size n: portsteer with rules
    for either direction (ps-port-N) and with a mark on every service
    (ps-mark-N); and what nft needs for the same (nftips-N): the mark tested
    first, a vmap on the destination port then one on the source port, and
    a symmetric hash over the queues. (nft's "ct original proto-dst" has no
    fixed size and cannot be concatenated with the protocol.)"""
    with open(os.path.join(out, "ps-%d.conf" % n)) as f:
        src = f.read()
    with open(os.path.join(out, "ps-port-%d.conf" % n), "w") as f:
        f.write(src.replace(" dport ", " port "))
    with open(os.path.join(out, "ps-mark-%d.conf" % n), "w") as f:
        f.write(re.sub(r"(?m)^(service add .*)$", r"\1 mark 0x1/0x1", src))
    svcs = services(64)
    elems = ", ".join("%s . %d : jump svc_%d" % (proto, p, i % 64)
                      for i, (proto, p) in enumerate(vmap_elems(n)))
    chains = "".join("  chain svc_%d {\n    counter queue flags bypass to %s\n  }\n"
                     % (i, str(q[0]) if q[0] == q[1] else
                        "symhash mod %d offset %d" % (q[1] - q[0] + 1, q[0]))
                     for i, (_, q) in enumerate(svcs))
    with open(os.path.join(out, "nftips-%d.nft" % n), "w") as f:
        f.write("table inet steer {\n  chain pre {\n"
                "    type filter hook prerouting priority filter; policy accept;\n"
                "    meta mark & 0x1 == 0x1 accept\n"
                "    meta l4proto . th dport vmap { %s }\n"
                "    meta l4proto . th sport vmap { %s }\n  }\n" % (elems, elems)
                + chains + "}\n")


def linear(n):
    """The portsteer rules of size n in a fixed random order."""
    rules = ps_rules(n)
    svcs = services(nsvc_for(n))
    lst = [(proto, lo, hi, svcs[i % len(svcs)][1])
           for i, (_, proto, lo, hi) in enumerate(rules)]
    random.Random(7).shuffle(lst)
    return lst


def write_nftlin(out, n):
    with open(os.path.join(out, "nftlin-%d.nft" % n), "w") as f:
        f.write("table inet steer {\n  chain pre {\n"
                "    type filter hook prerouting priority filter; policy accept;\n")
        for proto, lo, hi, q in linear(n):
            f.write("    meta l4proto %s th dport %s queue flags bypass to %s\n"
                    % (proto, ports(lo, hi), queue_expr(q)))
        f.write("  }\n}\n")


def write_ipt(out, n):
    with open(os.path.join(out, "ipt-%d.rules" % n), "w") as f:
        f.write("*mangle\n")
        for proto, lo, hi, q in linear(n):
            dp = str(lo) if lo == hi else "%d:%d" % (lo, hi)
            match = ("-p %s --dport %s" % (proto, dp) if proto != "udplite"
                     else "-p udplite -m multiport --dports %s" % dp)
            tgt = ("--queue-num %d" % q[0] if q[0] == q[1]
                   else "--queue-balance %d:%d" % q)
            f.write("-A PREROUTING %s -j NFQUEUE %s --queue-bypass\n" % (match, tgt))
        f.write("COMMIT\n")


def write_ipset(out, n):
    with open(os.path.join(out, "ipset-%d.restore" % n), "w") as f:
        f.write("create psports bitmap:port range 0-65535\n")
        for p in udp_ports(n):
            f.write("add psports %d\n" % p)
    with open(os.path.join(out, "ipset-ipt.rules"), "w") as f:
        f.write("*mangle\n-A PREROUTING -p udp -m set --match-set psports dst"
                " -j NFQUEUE --queue-num 10 --queue-bypass\nCOMMIT\n")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for n in PS_SIZES:
        write_ps(out, n)
    for n in MAP_SIZES:
        write_nftmap(out, n)
        write_nftvmap(out, n)
    for n in LIN_SIZES:
        write_nftlin(out, n)
        write_ipt(out, n)
    write_ipset(out, IPSET_SIZE)
    write_ips(out, IPS_SIZE)
    for n in UPD_SIZES:
        check_free(n)
        write_ps_batch(out, n)
    for n in NFT_UPD_SIZES:
        write_nftvmap_adds(out, n)
    with open(os.path.join(out, "updates.env"), "w") as f:
        f.write("UPD_PORT=%d\nUPD_RANGE=%d-%d\nUPD_SIZES=\"%s\"\nNFT_UPD_SIZES=\"%s\"\n"
                % ((UPD_PORT,) + UPD_RANGE + (" ".join(map(str, UPD_SIZES)),
                                              " ".join(map(str, NFT_UPD_SIZES)))))
    # One more rule, for the cost of a change with 10,000 loaded: a UDP port
    # no ruleset of that size uses.
    with open(os.path.join(out, "change.txt"), "w") as f:
        f.write("udp 60999\n")


if __name__ == "__main__":
    main()
