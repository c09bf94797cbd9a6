#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Drive portsteer from Python with the kernel's YNL library.

The family is described by Documentation/netlink/specs/portsteer.yaml;
the kernel's YNL library (tools/net/ynl/pyynl of a kernel tree, 6.1's or
newer; `pip install` of tools/net/ynl gives the same as the package pyynl)
builds requests and decodes replies and notifications from it, so nothing
here knows a command number or an attribute type.

This example joins the "config" multicast group, adds a service and two
rules, reads them back with dumps, deletes the service with its rules, and
prints the notifications the changes caused. It runs in the network
namespace it is started in (`ip netns exec NS portsteer_ynl.py`), as root.

  portsteer_ynl.py [--ynl DIR] [--spec FILE] [--name NAME] [--spec-only]

Exit status as portsteerctl's: 0 done, 1 a request failed or a
notification did not come, 2 usage, 3 the family is not there (module not
loaded).
"""

import argparse
import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(HERE, '..', '..', 'Documentation', 'netlink', 'specs',
                    'portsteer.yaml')


def ynl_lib(where):
    """The YNL library's module: pyynl.lib from DIR (a kernel tree, or its
    tools/net/ynl), $YNL_DIR, an installed pyynl, or the copy the test
    suite caches (/var/cache/portsteer/ynl-*)."""
    dirs = [d for d in (where, os.environ.get('YNL_DIR')) if d]
    cache = os.environ.get('PORTSTEER_CACHE', '/var/cache/portsteer')
    dirs += sorted(glob.glob(os.path.join(cache, 'ynl-*')), reverse=True)
    for d in dirs:
        for sub in ('tools/net/ynl', '.'):
            if os.path.isdir(os.path.join(d, sub, 'pyynl', 'lib')):
                sys.path.insert(0, os.path.join(d, sub))
                break
        else:
            continue
        break
    import pyynl.lib  # pylint: disable=import-outside-toplevel
    return pyynl.lib


def rules_of(dump):
    """A rule dump's rules: each message holds a list of them."""
    return [r for msg in dump for r in msg.get('rule', [])]


def main():
    """Add, dump, watch, delete."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--ynl', help="a kernel tree, or its tools/net/ynl")
    ap.add_argument('--spec', default=SPEC, help="the family's YNL spec")
    ap.add_argument('--name', default='example', help="the service's name")
    ap.add_argument('--spec-only', action='store_true',
                    help="load the spec and check the operations used here "
                    "(no kernel needed)")
    args = ap.parse_args()

    try:
        lib = ynl_lib(args.ynl)
    except ImportError as e:
        print(f"portsteer_ynl: no YNL library (--ynl DIR): {e}",
              file=sys.stderr)
        return 2

    if args.spec_only:
        spec = lib.SpecFamily(args.spec, '')
        used = ['service-new', 'rule-new', 'service-get', 'rule-get',
                'service-del', 'service-new-ntf', 'rule-new-ntf',
                'service-del-ntf']
        missing = [op for op in used if op not in spec.msgs]
        if missing or 'config' not in spec.mcast_groups:
            print(f"portsteer_ynl: not in {args.spec}: {missing}",
                  file=sys.stderr)
            return 1
        print(f"{spec.name}: {len(spec.msgs)} operations and "
              f"notifications, the {len(used)} used here among them")
        return 0

    try:
        # Resolves the family's id: the module must be loaded.
        ynl = lib.YnlFamily(args.spec, '')
    except lib.YnlException as e:
        print(f"portsteer_ynl: {e}", file=sys.stderr)
        return 3

    name = args.name
    try:
        # Notifications of every change in this namespace, this one's too.
        ynl.ntf_subscribe('config')

        ynl.service_new({'service': {'name': name, 'queue': 40,
                                     'queue-count': 2, 'balance': 'flow',
                                     'bypass': 1}})
        # Several rules in one request: all or none.
        ynl.rule_new({'rule': [
            {'proto': 6, 'port-min': 8080, 'port-max': 8081,
             'direction': 'dst', 'service': name},
            {'family': 'ipv6', 'proto': 17, 'port-min': 5353,
             'service': name}]})

        for msg in ynl.dump('service-get', {}):
            for s in msg['service']:
                print(f"service {s['name']} queue {s['queue']} "
                      f"queue-count {s['queue-count']} "
                      f"balance {s['balance']} bypass {s.get('bypass', 0)}")
        for r in rules_of(ynl.dump('rule-get', {})):
            print(f"rule {r.get('family', 'inet')} proto {r['proto']} "
                  f"{r.get('direction', 'dst')} "
                  f"{r['port-min']}-{r.get('port-max', r['port-min'])} "
                  f"service {r['service']}")

        ynl.service_del({'service': {'name': name}, 'flags': ['with-rules']})
    except lib.NlError as e:
        # The kernel's extended ack: the message and the attribute it names.
        print(f"portsteer_ynl: {e}", file=sys.stderr)
        return 1

    # The notifications: some came in between the replies, the rest now.
    want = ['service-new-ntf', 'rule-new-ntf', 'service-del-ntf']
    seen = []
    for ntf in ynl.poll_ntf(duration=5):
        if ntf['name'] not in want:
            continue
        seen.append(ntf['name'])
        print(f"notification {ntf['name']} generation "
              f"{ntf['msg'].get('generation')}")
        if seen == want:
            break
    ynl.close()
    if seen != want:
        print(f"portsteer_ynl: notifications {seen}, expected {want}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
