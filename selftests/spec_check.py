#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# The YNL spec of portsteer (Documentation/netlink/specs/portsteer.yaml) and
# what the running module registered must agree: the family, and the policy
# of every op. (The spec's validity under the kernel's schema and the
# generated header, policies and op table are checked on the host: make
# regen-check.) One group of checks per invocation:
#
#   spec_check.py kernel-family  CTRL_CMD_GETFAMILY: version, ops, flags, groups
#   spec_check.py kernel-policy  CTRL_CMD_GETPOLICY: the policy of every op
#
# Prints what disagrees as "# " lines; exits 0 when all agrees, 1 otherwise,
# 4 (skip) when a kernel group runs without the family registered.
# Netlink is spoken with the socket module alone, no pyroute2.

import errno
import os
import re
import socket
import struct
import sys

try:
    import yaml
except ImportError:
    print("# python3-yaml is missing")
    sys.exit(4)

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
SPEC = os.path.join(TOP, 'Documentation/netlink/specs/portsteer.yaml')

KSFT_SKIP = 4

errors = []


def fail(msg):
    errors.append(msg)
    print('# ' + msg)


def cname(s):
    return s.upper().replace('-', '_')


# --- The spec -----------------------------------------------------------------

class Spec:
    """The parts of a YNL genetlink spec that the checks need, with values."""

    def __init__(self, path):
        with open(path) as f:
            self.y = yaml.safe_load(f)
        self.name = self.y['name']
        self.defs = {d['name']: d for d in self.y.get('definitions', [])}
        self.consts = {}
        self.enums = {}		# name -> (type, [(entry, value)])
        for d in self.y.get('definitions', []):
            if d['type'] == 'const':
                self.consts[d['name']] = d['value']
            else:
                self.enums[d['name']] = (d['type'], self._entries(d))
        self.sets = {}		# name -> {attr name: attr dict with 'value'}
        self.set_yaml = {s['name']: s for s in self.y['attribute-sets']}
        for s in self.y['attribute-sets']:
            if 'subset-of' not in s:
                self.sets[s['name']] = self._attrs(s)
        for s in self.y['attribute-sets']:
            if 'subset-of' in s:
                full = self.sets[s['subset-of']]
                attrs = {}
                for a in s['attributes']:
                    if a['name'] not in full:
                        fail(f"spec: subset {s['name']}: {a['name']} is not in {s['subset-of']}")
                        continue
                    merged = dict(full[a['name']])
                    merged.update(a)
                    attrs[a['name']] = merged
                self.sets[s['name']] = attrs
        ops = self.y['operations']
        self.op_prefix = ops.get('name-prefix', self.name + '-cmd-')
        self.op_enum = ops.get('enum-name', self.name + '-cmd')
        self.ops = {}
        val = 1
        for o in ops['list']:
            val = o.get('value', val)
            o = dict(o)
            o['value'] = val
            val += 1
            # Notifications and the unspec entry are not commands.
            if 'do' in o or 'dump' in o:
                self.ops[o['name']] = o
        self.mcgrps = [g['name'] for g in self.y.get('mcast-groups', {}).get('list', [])]
        self.mcgrp_flags = {g['name']: g.get('flags', [])
                            for g in self.y.get('mcast-groups', {}).get('list', [])}

    @staticmethod
    def _entries(d):
        out = []
        v = d.get('value-start', 0)
        for e in d['entries']:
            n = e if isinstance(e, str) else e['name']
            if isinstance(e, dict) and 'value' in e:
                v = e['value']
            out.append((n, (1 << v) if d['type'] == 'flags' else v))
            v += 1
        return out

    @staticmethod
    def _attrs(s):
        out = {}
        v = 1
        for a in s['attributes']:
            v = a.get('value', v)
            a = dict(a)
            a['value'] = v
            out[a['name']] = a
            v += 1
        return out

    def set_prefix(self, name):
        s = self.set_yaml[name]
        return s.get('name-prefix', f"{self.name}-{name}-a-")

    def set_enum(self, name):
        return self.set_yaml[name].get('enum-name', f"{self.name}-{name}")

    def limit(self, v):
        """A check's value: a number, a const's name or u16-max and the like."""
        if isinstance(v, int):
            return v
        if v in self.consts:
            return self.consts[v]
        m = re.fullmatch(r'([su])(8|16|32|64)-(min|max)', v)
        if m:
            bits = int(m.group(2))
            if m.group(1) == 'u':
                return 0 if m.group(3) == 'min' else (1 << bits) - 1
            return -(1 << (bits - 1)) if m.group(3) == 'min' else (1 << (bits - 1)) - 1
        raise ValueError(f"unknown limit {v}")

    def request_sets(self):
        """(op name, 'do'/'dump', attribute set, [request attribute names])"""
        for o in self.ops.values():
            for kind in ('do', 'dump'):
                if kind not in o:
                    continue
                sub = o[kind] or {}
                attrs = (sub.get('request') or {}).get('attributes', [])
                yield o['name'], kind, o['attribute-set'], attrs


# --- Generic netlink, by hand ---------------------------------------------------

NETLINK_GENERIC = 16
NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_CMD_GETPOLICY = 10
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_VERSION = 3
CTRL_ATTR_HDRSIZE = 4
CTRL_ATTR_MAXATTR = 5
CTRL_ATTR_OPS = 6
CTRL_ATTR_MCAST_GROUPS = 7
CTRL_ATTR_POLICY = 8
CTRL_ATTR_OP_POLICY = 9
CTRL_ATTR_OP_ID = 1
CTRL_ATTR_OP_FLAGS = 2
CTRL_ATTR_MCAST_GRP_NAME = 1
CTRL_ATTR_MCAST_GRP_ID = 2
CTRL_ATTR_POLICY_DO = 1
CTRL_ATTR_POLICY_DUMP = 2
GENL_ADMIN_PERM = 0x01
GENL_CMD_CAP_DO = 0x02
GENL_CMD_CAP_DUMP = 0x04
GENL_CMD_CAP_HASPOL = 0x08
GENL_UNS_ADMIN_PERM = 0x10
NLA_F_NESTED = 0x8000
NLA_TYPE_MASK = 0x3fff

NL_POLICY_TYPE_ATTR_TYPE = 1
NL_POLICY_TYPE_ATTR_MIN_VALUE_S = 2
NL_POLICY_TYPE_ATTR_MAX_VALUE_S = 3
NL_POLICY_TYPE_ATTR_MIN_VALUE_U = 4
NL_POLICY_TYPE_ATTR_MAX_VALUE_U = 5
NL_POLICY_TYPE_ATTR_MIN_LENGTH = 6
NL_POLICY_TYPE_ATTR_MAX_LENGTH = 7
NL_POLICY_TYPE_ATTR_POLICY_IDX = 8
NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE = 9
NL_POLICY_TYPE_ATTR_BITFIELD32_MASK = 10
NL_POLICY_TYPE_ATTR_MASK = 12

NL_ATTR_TYPES = ['invalid', 'flag', 'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64',
                 'binary', 'string', 'nul-string', 'nested', 'nested-array', 'bitfield32',
                 'sint', 'uint']
# spec type -> (NL_ATTR_TYPE name, bits, signed)
SPEC_TYPES = {
    'u8': ('u8', 8, False), 'u16': ('u16', 16, False), 'u32': ('u32', 32, False),
    'u64': ('u64', 64, False), 's32': ('s32', 32, True), 's64': ('s64', 64, True),
    'string': ('nul-string', 0, False), 'nest': ('nested', 0, False),
    'flag': ('flag', 0, False), 'binary': ('binary', 0, False),
}


def nla_parse(data):
    """{type: [payload, ...]} of a stream of attributes."""
    out = {}
    off = 0
    while off + 4 <= len(data):
        ln, typ = struct.unpack_from('=HH', data, off)
        if ln < 4 or off + ln > len(data):
            break
        out.setdefault(typ & NLA_TYPE_MASK, []).append(data[off + 4:off + ln])
        off += (ln + 3) & ~3
    return out


def nla_one(attrs, t):
    return attrs[t][0] if t in attrs else None


def u(b):
    return struct.unpack('=' + {1: 'B', 2: 'H', 4: 'I', 8: 'Q'}[len(b)], b)[0]


def s(b):
    return struct.unpack('=' + {1: 'b', 2: 'h', 4: 'i', 8: 'q'}[len(b)], b)[0]


def nla(t, payload):
    hdr = struct.pack('=HH', 4 + len(payload), t)
    return hdr + payload + b'\0' * ((4 - len(payload) % 4) % 4)


class GenlSocket:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.bind((0, 0))
        self.seq = 1

    def request(self, family, cmd, attrs=b'', flags=0, version=1):
        """Sends one request; returns the payloads (after the genl header) of
        every reply, or raises OSError with the kernel's error."""
        self.seq += 1
        body = struct.pack('=BBH', cmd, version, 0) + attrs
        # a dump ends with NLMSG_DONE, anything else with an ack
        ack = 0 if flags & NLM_F_DUMP else NLM_F_ACK
        msg = struct.pack('=IHHII', 16 + len(body), family,
                          NLM_F_REQUEST | ack | flags, self.seq, 0) + body
        self.sock.send(msg)
        replies = []
        while True:
            data = self.sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                ln, typ, fl, seq, _ = struct.unpack_from('=IHHII', data, off)
                if ln < 16:
                    raise OSError(errno.EPROTO, 'bad netlink message length')
                if seq != self.seq:
                    off += (ln + 3) & ~3
                    continue
                if typ == NLMSG_ERROR:
                    err = struct.unpack_from('=i', data, off + 16)[0]
                    if err:
                        raise OSError(-err, os.strerror(-err))
                    return replies
                if typ == NLMSG_DONE:
                    err = struct.unpack_from('=i', data, off + 16)[0]
                    if err:
                        raise OSError(-err, os.strerror(-err))
                    return replies
                replies.append((data[off + 16:off + 20], data[off + 20:off + ln]))
                off += (ln + 3) & ~3


def get_family(nl, name):
    replies = nl.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                         nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b'\0'))
    a = nla_parse(replies[0][1])
    fam = {
        'id': u(nla_one(a, CTRL_ATTR_FAMILY_ID)),
        'name': nla_one(a, CTRL_ATTR_FAMILY_NAME).rstrip(b'\0').decode(),
        'version': u(nla_one(a, CTRL_ATTR_VERSION)),
        'hdrsize': u(nla_one(a, CTRL_ATTR_HDRSIZE)),
        'maxattr': u(nla_one(a, CTRL_ATTR_MAXATTR)),
        'ops': {},
        'mcgrps': {},
    }
    if CTRL_ATTR_OPS in a:
        for op in nla_parse(a[CTRL_ATTR_OPS][0]).values():
            o = nla_parse(op[0])
            fam['ops'][u(nla_one(o, CTRL_ATTR_OP_ID))] = u(nla_one(o, CTRL_ATTR_OP_FLAGS))
    if CTRL_ATTR_MCAST_GROUPS in a:
        for g in nla_parse(a[CTRL_ATTR_MCAST_GROUPS][0]).values():
            g = nla_parse(g[0])
            fam['mcgrps'][nla_one(g, CTRL_ATTR_MCAST_GRP_NAME).rstrip(b'\0').decode()] = \
                u(nla_one(g, CTRL_ATTR_MCAST_GRP_ID))
    return fam


def get_policies(nl, fam_id):
    """({cmd: {'do': idx, 'dump': idx}}, {idx: {attr: {field: value}}})"""
    replies = nl.request(GENL_ID_CTRL, CTRL_CMD_GETPOLICY,
                         nla(CTRL_ATTR_FAMILY_ID, struct.pack('=H', fam_id)),
                         flags=NLM_F_DUMP)
    ops = {}
    policies = {}
    for _, payload in replies:
        a = nla_parse(payload)
        if CTRL_ATTR_OP_POLICY in a:
            for cmd, nest in nla_parse(a[CTRL_ATTR_OP_POLICY][0]).items():
                p = nla_parse(nest[0])
                ops[cmd] = {}
                if CTRL_ATTR_POLICY_DO in p:
                    ops[cmd]['do'] = u(p[CTRL_ATTR_POLICY_DO][0])
                if CTRL_ATTR_POLICY_DUMP in p:
                    ops[cmd]['dump'] = u(p[CTRL_ATTR_POLICY_DUMP][0])
        if CTRL_ATTR_POLICY in a:
            for idx, pnest in nla_parse(a[CTRL_ATTR_POLICY][0]).items():
                pol = policies.setdefault(idx, {})
                for attr, anest in nla_parse(pnest[0]).items():
                    f = nla_parse(anest[0])
                    d = {}
                    for k, v in f.items():
                        if k == NL_POLICY_TYPE_ATTR_TYPE:
                            t = u(v[0])
                            d['type'] = NL_ATTR_TYPES[t] if t < len(NL_ATTR_TYPES) else t
                        elif k in (NL_POLICY_TYPE_ATTR_MIN_VALUE_S,
                                   NL_POLICY_TYPE_ATTR_MAX_VALUE_S):
                            d[k] = s(v[0])
                        else:
                            d[k] = u(v[0])
                    pol[attr] = d
    return ops, policies


def kernel_family(spec):
    try:
        nl = GenlSocket()
        fam = get_family(nl, spec.name)
    except OSError as e:
        if e.errno == errno.ENOENT:
            print(f"# family {spec.name} is not registered: is the module loaded?")
            return None
        raise
    return nl, fam


def check_kernel_family(spec):
    r = kernel_family(spec)
    if r is None:
        return None
    _, fam = r
    print(f"# family {fam['name']}: id {fam['id']}, version {fam['version']}, "
          f"maxattr {fam['maxattr']}, {len(fam['ops'])} ops, groups {fam['mcgrps']}")
    if fam['version'] != spec.consts['genl-version']:
        fail(f"kernel: version {fam['version']}, spec {spec.consts['genl-version']}")
    if fam['hdrsize'] != 0:
        fail(f"kernel: user header size {fam['hdrsize']}, spec has none")
    top_max = max(a['value'] for a in spec.sets['portsteer'].values())
    if fam['maxattr'] not in (0, top_max):
        fail(f"kernel: family maxattr {fam['maxattr']}, spec's top-level set ends at {top_max}")
    by_value = {o['value']: o for o in spec.ops.values()}
    for v, o in sorted(by_value.items()):
        if v not in fam['ops']:
            fail(f"kernel: op {o['name']} ({v}) is missing")
            continue
        fl = fam['ops'][v]
        if not fl & GENL_UNS_ADMIN_PERM:
            fail(f"kernel: op {o['name']}: flags {fl:#x} lack GENL_UNS_ADMIN_PERM")
        if fl & GENL_ADMIN_PERM:
            fail(f"kernel: op {o['name']}: GENL_ADMIN_PERM refuses the root of a "
                 f"user namespace; the spec says uns-admin-perm")
        if bool(fl & GENL_CMD_CAP_DO) != ('do' in o):
            fail(f"kernel: op {o['name']}: do {'present' if fl & GENL_CMD_CAP_DO else 'absent'}"
                 f", spec {'has' if 'do' in o else 'has no'} do")
        if bool(fl & GENL_CMD_CAP_DUMP) != ('dump' in o):
            fail(f"kernel: op {o['name']}: dump "
                 f"{'present' if fl & GENL_CMD_CAP_DUMP else 'absent'}"
                 f", spec {'has' if 'dump' in o else 'has no'} dump")
        reqs = [a for kind in ('do', 'dump') for a in
                ((o.get(kind) or {}).get('request') or {}).get('attributes', [])]
        if reqs and not fl & GENL_CMD_CAP_HASPOL:
            fail(f"kernel: op {o['name']} takes {reqs} but has no policy")
    for v in fam['ops']:
        if v not in by_value:
            fail(f"kernel: op {v} is not in the spec")
    if sorted(fam['mcgrps']) != sorted(spec.mcgrps):
        fail(f"kernel: multicast groups {sorted(fam['mcgrps'])}, spec {sorted(spec.mcgrps)}")
    return not errors


def expect_attr(spec, a):
    """What the kernel's policy dump should say about spec attribute a."""
    t = a['type']
    kt, bits, signed = SPEC_TYPES[t]
    want = {'type': kt}
    checks = a.get('checks', {})
    if bits:
        if 'flags-mask' in checks:
            mask = 0
            for _, v in spec.enums[checks['flags-mask']][1]:
                mask |= v
            want[NL_POLICY_TYPE_ATTR_MASK] = mask
        elif signed:
            want[NL_POLICY_TYPE_ATTR_MIN_VALUE_S] = spec.limit(
                checks.get('min', f's{bits}-min'))
            want[NL_POLICY_TYPE_ATTR_MAX_VALUE_S] = spec.limit(
                checks.get('max', f's{bits}-max'))
        else:
            want[NL_POLICY_TYPE_ATTR_MIN_VALUE_U] = spec.limit(checks.get('min', 0))
            want[NL_POLICY_TYPE_ATTR_MAX_VALUE_U] = spec.limit(
                checks.get('max', f'u{bits}-max'))
    if t in ('string', 'binary'):
        if 'max-len' in checks:
            want[NL_POLICY_TYPE_ATTR_MAX_LENGTH] = spec.limit(checks['max-len'])
        if 'min-len' in checks:
            want[NL_POLICY_TYPE_ATTR_MIN_LENGTH] = spec.limit(checks['min-len'])
    return want


FIELD_NAMES = {
    NL_POLICY_TYPE_ATTR_MIN_VALUE_S: 'min', NL_POLICY_TYPE_ATTR_MAX_VALUE_S: 'max',
    NL_POLICY_TYPE_ATTR_MIN_VALUE_U: 'min', NL_POLICY_TYPE_ATTR_MAX_VALUE_U: 'max',
    NL_POLICY_TYPE_ATTR_MIN_LENGTH: 'min-len', NL_POLICY_TYPE_ATTR_MAX_LENGTH: 'max-len',
    NL_POLICY_TYPE_ATTR_MASK: 'mask', 'type': 'type',
}


def compare_policy(spec, where, sname, attrs, pol, policies, seen, exact=True,
                   reply=False):
    """Kernel policy pol accepts exactly attrs (names of set sname), as
    specified. Not exact: a nest of a set that also describes replies (a get
    request), where the kernel may accept only part of the set."""
    attrs = [n for n in attrs if spec.sets[sname][n].get('type') != 'unused']
    key = (sname, tuple(sorted(attrs)), id(pol), exact)
    if key in seen:
        return
    seen.add(key)
    if not exact:
        attrs = [n for n in attrs if spec.sets[sname][n]['value'] in pol]
        print(f"# {where}: the kernel accepts {attrs} of {sname}")
    sdef = spec.sets[sname]
    by_value = {sdef[n]['value']: sdef[n] for n in attrs}
    for v, a in sorted(by_value.items()):
        if v not in pol:
            fail(f"{where}: {a['name']} ({v}) is not accepted by the kernel")
            continue
        got = pol[v]
        want = expect_attr(spec, a)
        for k, wv in want.items():
            if got.get(k) != wv:
                fail(f"{where}: {a['name']}: kernel {FIELD_NAMES.get(k, k)} {got.get(k)}, "
                     f"spec {wv}")
        for k in got:
            if k not in want and k not in (NL_POLICY_TYPE_ATTR_POLICY_IDX,
                                           NL_POLICY_TYPE_ATTR_POLICY_MAXTYPE):
                fail(f"{where}: {a['name']}: kernel has {FIELD_NAMES.get(k, k)} {got[k]}, "
                     f"the spec does not")
        if a['type'] == 'nest':
            idx = got.get(NL_POLICY_TYPE_ATTR_POLICY_IDX)
            if idx is None:
                fail(f"{where}: {a['name']}: kernel nest has no policy")
                continue
            nset = a['nested-attributes']
            nexact = exact and ('subset-of' in spec.set_yaml[nset] or not reply)
            compare_policy(spec, f"{where}.{a['name']}", nset, list(spec.sets[nset]),
                           policies.get(idx, {}), policies, seen, nexact, reply)
    for v in sorted(pol):
        if v not in by_value:
            name = next((n for n, x in sdef.items() if x['value'] == v), None)
            if name is None:
                full = spec.set_yaml[sname].get('subset-of', sname)
                name = next((n for n, x in spec.sets[full].items() if x['value'] == v),
                            f"attribute {v}")
            fail(f"{where}: kernel accepts {name} ({v}), the spec does not")


def check_kernel_policy(spec):
    r = kernel_family(spec)
    if r is None:
        return None
    nl, fam = r
    try:
        op_pol, policies = get_policies(nl, fam['id'])
    except OSError as e:
        fail(f"kernel: CTRL_CMD_GETPOLICY failed: {e}")
        return False
    print(f"# {len(op_pol)} ops with policies, {len(policies)} policies")
    shared = len({tuple(sorted(p.items())) for p in op_pol.values()}) == 1 and len(op_pol) > 1
    if shared:
        print("# every op shares one policy")
    seen = set()
    for op, kind, aset, attrs in spec.request_sets():
        o = spec.ops[op]
        where = f"{op} {kind}"
        p = op_pol.get(o['value'], {})
        if kind not in p:
            if attrs:
                fail(f"{where}: no policy, but the spec accepts {attrs}")
            else:
                fail(f"{where}: no policy: the kernel ignores attributes instead of "
                     f"refusing them")
            continue
        pol = policies.get(p[kind], {})
        reply = bool(((o.get(kind) or {}).get('reply') or {}).get('attributes'))
        compare_policy(spec, where, aset, attrs, pol, policies, seen, reply=reply)
    return not errors


def main():
    if len(sys.argv) != 2:
        print(__doc__ if __doc__ else 'usage: spec_check.py GROUP')
        sys.exit(2)
    group = sys.argv[1]
    spec = Spec(SPEC)
    if group == 'kernel-family':
        ok = check_kernel_family(spec)
    elif group == 'kernel-policy':
        ok = check_kernel_policy(spec)
    else:
        print(f"# unknown group {group}")
        sys.exit(2)
    if ok is None:
        sys.exit(KSFT_SKIP)
    sys.exit(0 if ok and not errors else 1)


if __name__ == '__main__':
    main()
