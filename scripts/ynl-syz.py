#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Write the syzkaller description of the portsteer family from its YNL spec
# (Documentation/netlink/specs/portsteer.yaml): a sendmsg$ call per command,
# the request's attributes per command, a union per attribute set. What the
# spec cannot say is kept here, in HINTS: the pools that make commands meet
# the objects others made (service names, clustered ports, protocols,
# priorities around the limits). Elsewhere a value range reaches one past
# each limit of the spec, so that the policies' checks are exercised.
#
#   ynl-syz.py SPEC OUT       (scripts/ynl.sh regen runs it)

import sys

import yaml

HINTS = {
    ('service', 'name'): 'string[portsteer_names]',
    ('rule', 'service'): 'string[portsteer_names]',
    ('rule', 'proto'): 'flags[portsteer_protos, int8]',
    ('rule', 'port-min'): 'portsteer_port',
    ('rule', 'port-max'): 'portsteer_port',
    ('settings', 'priority'): 'flags[portsteer_priorities, int32]',
}

POOLS = '''# Ports cluster at the edges and in a few blocks, so rules meet and overlap.
portsteer_port [
	low	int16[0:64]
	block	int16[250:260]
	high	int16[65530:65535]
	any	int16
]

portsteer_names = "a", "b", "web", "dns", "n0123456789012345678901234567890", "bad name", ""
portsteer_protos = IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, IPPROTO_SCTP, IPPROTO_DCCP, IPPROTO_ICMP, 0, 255
portsteer_priorities = -2147483648, -2147483647, -401, -400, -399, -200, 0, 2147483646, 2147483647
'''

BITS = {'u8': 8, 'u16': 16, 'u32': 32, 'u64': 64, 's32': 32, 's64': 64}


def cname(s):
    return s.upper().replace('-', '_')


class Spec:
    def __init__(self, path):
        with open(path, encoding='utf-8') as f:
            self.y = yaml.safe_load(f)
        self.consts = {}
        self.enums = {}
        for d in self.y['definitions']:
            if d['type'] == 'const':
                self.consts[d['name']] = d['value']
            else:
                start = d.get('value-start', 0)
                names = [e if isinstance(e, str) else e['name'] for e in d['entries']]
                if d['type'] == 'flags':
                    self.enums[d['name']] = [1 << (start + i) for i in range(len(names))]
                else:
                    self.enums[d['name']] = list(range(start, start + len(names)))
        self.sets = {s['name']: s for s in self.y['attribute-sets']}

    def full(self, sname):
        """The set a subset refines, and the attribute definitions by name."""
        s = self.sets[sname]
        base = self.sets[s.get('subset-of', sname)]
        return base, {a['name']: a for a in base['attributes']}

    def limit(self, v):
        return self.consts.get(v, v) if isinstance(v, str) else v

    def attr_type(self, sname, a, nests):
        base, _ = self.full(sname)
        hint = HINTS.get((base['name'], a['name']))
        if hint:
            return hint
        t = a['type']
        if t == 'nest':
            nests.append(a['nested-attributes'])
            return f"array[portsteer_{a['nested-attributes'].replace('-', '_')}]"
        if t == 'string':
            return 'string'
        bits = BITS[t]
        checks = a.get('checks', {})
        if 'flags-mask' in checks:
            vals = self.enums[checks['flags-mask']]
            extra = max(vals) << 1
            return f"int{bits}[0:{sum(vals) | extra}]"
        lo, hi = self.limit(checks.get('min')), self.limit(checks.get('max'))
        if 'enum' in a and hi is None:
            vals = self.enums[a['enum']]
            lo, hi = min(vals), max(vals)
        if lo is None and hi is None:
            return f"int{bits}"
        top = (1 << bits) - 1 if t[0] == 'u' else (1 << (bits - 1)) - 1
        lo = max((lo or 0) - 1, 0 if t[0] == 'u' else -(1 << (bits - 1)))
        hi = min((top if hi is None else hi) + 1, top)
        return f"int{bits}[{lo}:{hi}]"


def main():
    spec = Spec(sys.argv[1])
    out = []
    p = out.append
    p('# SPDX-License-Identifier: GPL-2.0')
    p('#')
    p('# syzkaller description of the portsteer generic netlink family.')
    p('# Generated from Documentation/netlink/specs/portsteer.yaml by')
    p('# scripts/ynl-syz.py (make regen): do not edit. See README here.')
    p('')
    for inc in ('linux/net.h', 'uapi/linux/netlink.h', 'uapi/linux/genetlink.h',
                'uapi/linux/in.h', 'uapi/linux/portsteer.h'):
        p(f'include <{inc}>')
    p('')
    p('resource genl_portsteer_family_id[int16]')
    p('')
    p('type msghdr_portsteer[CMD, POLICY] msghdr_netlink[netlink_msg_t['
      'genl_portsteer_family_id, genlmsghdr_t[CMD], POLICY]]')
    p('')
    p('syz_genetlink_get_family_id$portsteer(name ptr[in, string["portsteer"]], '
      'fd sock_nl_generic) genl_portsteer_family_id')
    p('')
    prefix = spec.y['operations'].get('name-prefix', 'portsteer-cmd-')
    cmds = []
    for op in spec.y['operations']['list']:
        if 'do' not in op and 'dump' not in op:
            continue
        req = (op.get('do') or op.get('dump') or {}).get('request', {})
        attrs = req.get('attributes', [])
        cmd = cname(prefix + op['name'])
        policy = f"portsteer_{op['name'].replace('-', '_')}_cmd" if attrs else 'void'
        p(f'sendmsg${cmd}(fd sock_nl_generic, msg ptr[in, msghdr_portsteer[{cmd}, '
          f'{policy}]], f flags[send_flags])')
        if attrs:
            cmds.append((policy, op['attribute-set'], attrs))
    p('')
    p('# The attributes each command takes, per the spec.')
    nests = []
    for policy, sname, attrs in cmds:
        s = spec.sets[sname]
        _, defs = spec.full(sname)
        mine = {a['name']: a for a in s['attributes']}
        p(f'{policy} [')
        for n in attrs:
            a = dict(defs[n])
            a.update(mine.get(n, {}))
            aname = cname(spec.full(sname)[0]['name-prefix'] + n)
            kind = 'nlnest' if a['type'] == 'nest' else 'nlattr'
            p(f'\t{aname}\t{kind}[{aname}, {spec.attr_type(sname, a, nests)}]')
        p('] [varlen]')
        p('')
    p('# The nests, with values reaching one past each limit of the spec.')
    done = set()
    while nests:
        sname = nests.pop(0)
        if sname in done:
            continue
        done.add(sname)
        s = spec.sets[sname]
        base, defs = spec.full(sname)
        p(f"portsteer_{sname.replace('-', '_')} [")
        for a in s['attributes']:
            d = dict(defs[a['name']])
            d.update(a)
            if d['type'] in ('unused', 'pad'):
                continue
            aname = cname(base['name-prefix'] + d['name'])
            kind = 'nlnest' if d['type'] == 'nest' else 'nlattr'
            p(f'\t{aname}\t{kind}[{aname}, {spec.attr_type(sname, d, nests)}]')
        p('] [varlen]')
        p('')
    out.append(POOLS.rstrip('\n'))
    with open(sys.argv[2], 'w', encoding='utf-8') as f:
        f.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main()
