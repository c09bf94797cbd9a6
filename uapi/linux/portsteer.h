/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) */
/*
 * portsteer: steer packets by L4 protocol and destination port into
 * per-service NFQUEUE queues.
 *
 * Generic netlink family "portsteer", version 1. Every command needs
 * CAP_NET_ADMIN over the user namespace that owns the network namespace of
 * the socket, and acts on that network namespace only. So does joining the
 * multicast group "config".
 *
 * Every attribute is validated strictly: unknown attributes are refused and
 * nests must carry NLA_F_NESTED. Errors come with an extended ack message
 * that names what was wrong (and, where there is one, the attribute).
 *
 * Objects
 * -------
 * A service is a name (1 to PORTSTEER_SERVICE_NAME_MAX characters from
 * [A-Za-z0-9_.-], unique in the netns) and a queue: the NFQUEUE numbers
 * QUEUE .. QUEUE + QUEUE_COUNT - 1, all within 0..65535, with a balance mode
 * for ranges and a bypass flag.
 *
 * A rule maps (FAMILY, PROTO, PORT_MIN..PORT_MAX) to a service. Port 0 is
 * never valid. Two rules whose port ranges overlap for the same protocol and
 * a common family are refused.
 *
 * Commands and their attribute trees
 * ----------------------------------
 * PORTSTEER_CMD_SERVICE_NEW: creates a service.
 *    PORTSTEER_A_SERVICE: NLA_NESTED
 *        PORTSTEER_SERVICE_A_NAME: NLA_NUL_STRING, required
 *        PORTSTEER_SERVICE_A_QUEUE: NLA_U16, required
 *        PORTSTEER_SERVICE_A_QUEUE_COUNT: NLA_U32, 1..65536, default 1
 *        PORTSTEER_SERVICE_A_BALANCE: NLA_U8, enum portsteer_balance, default flow
 *        PORTSTEER_SERVICE_A_BYPASS: NLA_U8, 0 or 1, default 0
 *
 * PORTSTEER_CMD_SERVICE_SET: changes the given properties of a service.
 *    PORTSTEER_A_SERVICE: NLA_NESTED, as for SERVICE_NEW; only NAME is
 *        required. A new QUEUE without QUEUE_COUNT keeps the count.
 *
 * PORTSTEER_CMD_SERVICE_DEL: deletes a service. Refused while rules use it,
 *    unless PORTSTEER_F_WITH_RULES is given: then its rules go with it.
 *    PORTSTEER_A_SERVICE: NLA_NESTED
 *        PORTSTEER_SERVICE_A_NAME: NLA_NUL_STRING, required
 *    PORTSTEER_A_FLAGS: NLA_U32, PORTSTEER_F_WITH_RULES
 *
 * PORTSTEER_CMD_SERVICE_GET: do (PORTSTEER_A_SERVICE with NAME) or dump
 *    (services in name order; with PORTSTEER_A_SERVICE with NAME, only that
 *    one). Each reply:
 *    PORTSTEER_A_GENERATION: NLA_U32
 *    PORTSTEER_A_SERVICE: NLA_NESTED
 *        NAME, QUEUE, QUEUE_COUNT, BALANCE, BYPASS as above
 *        PORTSTEER_SERVICE_A_RULES: NLA_U32, the number of rules using it
 *        PORTSTEER_SERVICE_A_STATS: NLA_NESTED
 *            PORTSTEER_STATS_A_PACKETS, PORTSTEER_STATS_A_BYTES: NLA_U64
 *
 * PORTSTEER_CMD_RULE_NEW: adds one or more rules, all or none.
 *    PORTSTEER_A_RULE: NLA_NESTED, one or more
 *        PORTSTEER_RULE_A_FAMILY: NLA_U8, enum portsteer_family, default inet
 *        PORTSTEER_RULE_A_PROTO: NLA_U8, IPPROTO_{TCP,UDP,UDPLITE,SCTP,DCCP}, required
 *        PORTSTEER_RULE_A_PORT_MIN: NLA_U16, 1..65535, required
 *        PORTSTEER_RULE_A_PORT_MAX: NLA_U16, PORT_MIN..65535, default PORT_MIN
 *        PORTSTEER_RULE_A_SERVICE: NLA_NUL_STRING, the service's name, required
 *
 * PORTSTEER_CMD_RULE_DEL: deletes one or more rules, all or none. Each
 *    PORTSTEER_A_RULE names a rule by FAMILY, PROTO, PORT_MIN and PORT_MAX
 *    exactly as it was added; SERVICE, if given, must match too.
 *
 * PORTSTEER_CMD_RULE_GET: dump only, no attributes. One reply per rule,
 *    ordered by protocol, then PORT_MIN, then family:
 *    PORTSTEER_A_GENERATION: NLA_U32
 *    PORTSTEER_A_RULE: NLA_NESTED, with all five attributes
 *
 * PORTSTEER_CMD_SETTINGS_GET: no attributes. Reply:
 *    PORTSTEER_A_GENERATION: NLA_U32
 *    PORTSTEER_A_SETTINGS: NLA_NESTED
 *        PORTSTEER_SETTINGS_A_HOOK: NLA_U8, enum portsteer_hook
 *        PORTSTEER_SETTINGS_A_PRIORITY: NLA_S32
 *        PORTSTEER_SETTINGS_A_DEFRAG: NLA_U8, 0 or 1
 *        PORTSTEER_SETTINGS_A_ICMP_ERRORS: NLA_U8, 0 or 1
 *        PORTSTEER_SETTINGS_A_SEED: NLA_U32
 *        read only: PORTSTEER_SETTINGS_A_MAX_SERVICES, _MAX_RULES,
 *        _SERVICES, _RULES (NLA_U32: limits and current counts),
 *        _HOOK_ACTIVE (NLA_U8: the hooks are registered) and
 *        _TABLE_BYTES (NLA_U64: memory of the lookup table)
 *
 * PORTSTEER_CMD_SETTINGS_SET: PORTSTEER_A_SETTINGS with any of HOOK,
 *    PRIORITY, DEFRAG, ICMP_ERRORS, SEED. With DEFRAG on, PRIORITY must be
 *    above NF_IP_PRI_CONNTRACK_DEFRAG (-400).
 *
 * PORTSTEER_CMD_STATS_GET: no attributes. Reply:
 *    PORTSTEER_A_STATS: NLA_NESTED
 *        PORTSTEER_STATS_A_SEEN, _MATCHED, _UNMATCHED, _NO_L4, _MALFORMED,
 *        _ICMP_FOLLOWED, _DROPPED: NLA_U64
 *    Per-service counters come with SERVICE_GET.
 *
 * PORTSTEER_CMD_STATS_RESET: no attributes; zeroes the netns's counters and
 *    those of every service.
 *
 * PORTSTEER_CMD_FLUSH: no attributes; deletes every rule and service.
 *    Settings stay.
 *
 * Atomic replace of the whole configuration, as a transaction of several
 * messages from one socket (a configuration of 65,536 rules does not fit in
 * one message):
 *
 * PORTSTEER_CMD_REPLACE_BEGIN: opens a transaction owned by the sending
 *    socket; one per netns at a time (EBUSY otherwise).
 *    PORTSTEER_A_GENERATION: NLA_U32, optional: refuse (ESTALE) unless the
 *        configuration is still at this generation
 * PORTSTEER_CMD_REPLACE_ADD: adds to the transaction; any number of these.
 *    PORTSTEER_A_SERVICE: NLA_NESTED, zero or more, as for SERVICE_NEW
 *    PORTSTEER_A_RULE: NLA_NESTED, zero or more, as for RULE_NEW; the
 *        service must have been added to the transaction before
 *    PORTSTEER_A_SETTINGS: NLA_NESTED, optional, as for SETTINGS_SET
 * PORTSTEER_CMD_REPLACE_COMMIT: validates the transaction as a whole and, if
 *    it is valid, makes it the configuration of the netns at once: the packet
 *    path sees the old configuration or the new one, never a mix. Services
 *    and rules are replaced; settings not given keep their values; services
 *    that keep their name keep their counters. On error nothing changes and
 *    the transaction is gone.
 * PORTSTEER_CMD_REPLACE_ABORT: drops the transaction. Closing the socket
 *    drops it too.
 *
 * Notifications
 * -------------
 * Every change is sent to the multicast group "config" as a message whose
 * command is the one that made it, with PORTSTEER_A_GENERATION (the new
 * generation) and the object: the service (SERVICE_NEW, _SET, _DEL), the
 * rules (RULE_NEW, _DEL), the settings (SETTINGS_SET), or nothing (FLUSH,
 * STATS_RESET, REPLACE_COMMIT).
 *
 * Dumps are consistent: a dump that raced a change is flagged with
 * NLM_F_DUMP_INTR and should be retried.
 */
#ifndef _UAPI_LINUX_PORTSTEER_H
#define _UAPI_LINUX_PORTSTEER_H

#define PORTSTEER_GENL_NAME		"portsteer"
#define PORTSTEER_GENL_VERSION		1
#define PORTSTEER_MCGRP_CONFIG		"config"

#define PORTSTEER_SERVICE_NAME_MAX	31

enum portsteer_cmd {
	PORTSTEER_CMD_UNSPEC,
	PORTSTEER_CMD_SERVICE_NEW,
	PORTSTEER_CMD_SERVICE_SET,
	PORTSTEER_CMD_SERVICE_DEL,
	PORTSTEER_CMD_SERVICE_GET,
	PORTSTEER_CMD_RULE_NEW,
	PORTSTEER_CMD_RULE_DEL,
	PORTSTEER_CMD_RULE_GET,
	PORTSTEER_CMD_SETTINGS_GET,
	PORTSTEER_CMD_SETTINGS_SET,
	PORTSTEER_CMD_STATS_GET,
	PORTSTEER_CMD_STATS_RESET,
	PORTSTEER_CMD_FLUSH,
	PORTSTEER_CMD_REPLACE_BEGIN,
	PORTSTEER_CMD_REPLACE_ADD,
	PORTSTEER_CMD_REPLACE_COMMIT,
	PORTSTEER_CMD_REPLACE_ABORT,

	__PORTSTEER_CMD_MAX
};

#define PORTSTEER_CMD_MAX (__PORTSTEER_CMD_MAX - 1)

/* Values of PORTSTEER_A_FLAGS */
#define PORTSTEER_F_WITH_RULES		(1U << 0)

enum portsteer_attr {
	PORTSTEER_A_UNSPEC,
	PORTSTEER_A_GENERATION,
	PORTSTEER_A_FLAGS,
	PORTSTEER_A_SERVICE,
	PORTSTEER_A_RULE,
	PORTSTEER_A_SETTINGS,
	PORTSTEER_A_STATS,

	__PORTSTEER_A_MAX
};

#define PORTSTEER_A_MAX (__PORTSTEER_A_MAX - 1)

enum portsteer_service_attr {
	PORTSTEER_SERVICE_A_UNSPEC,
	PORTSTEER_SERVICE_A_NAME,
	PORTSTEER_SERVICE_A_QUEUE,
	PORTSTEER_SERVICE_A_QUEUE_COUNT,
	PORTSTEER_SERVICE_A_BALANCE,
	PORTSTEER_SERVICE_A_BYPASS,
	PORTSTEER_SERVICE_A_RULES,
	PORTSTEER_SERVICE_A_STATS,

	__PORTSTEER_SERVICE_A_MAX
};

#define PORTSTEER_SERVICE_A_MAX (__PORTSTEER_SERVICE_A_MAX - 1)

enum portsteer_rule_attr {
	PORTSTEER_RULE_A_UNSPEC,
	PORTSTEER_RULE_A_FAMILY,
	PORTSTEER_RULE_A_PROTO,
	PORTSTEER_RULE_A_PORT_MIN,
	PORTSTEER_RULE_A_PORT_MAX,
	PORTSTEER_RULE_A_SERVICE,

	__PORTSTEER_RULE_A_MAX
};

#define PORTSTEER_RULE_A_MAX (__PORTSTEER_RULE_A_MAX - 1)

enum portsteer_settings_attr {
	PORTSTEER_SETTINGS_A_UNSPEC,
	PORTSTEER_SETTINGS_A_PAD,
	PORTSTEER_SETTINGS_A_HOOK,
	PORTSTEER_SETTINGS_A_PRIORITY,
	PORTSTEER_SETTINGS_A_DEFRAG,
	PORTSTEER_SETTINGS_A_ICMP_ERRORS,
	PORTSTEER_SETTINGS_A_SEED,
	PORTSTEER_SETTINGS_A_MAX_SERVICES,
	PORTSTEER_SETTINGS_A_MAX_RULES,
	PORTSTEER_SETTINGS_A_SERVICES,
	PORTSTEER_SETTINGS_A_RULES,
	PORTSTEER_SETTINGS_A_HOOK_ACTIVE,
	PORTSTEER_SETTINGS_A_TABLE_BYTES,

	__PORTSTEER_SETTINGS_A_MAX
};

#define PORTSTEER_SETTINGS_A_MAX (__PORTSTEER_SETTINGS_A_MAX - 1)

enum portsteer_stats_attr {
	PORTSTEER_STATS_A_UNSPEC,
	PORTSTEER_STATS_A_PAD,
	PORTSTEER_STATS_A_PACKETS,
	PORTSTEER_STATS_A_BYTES,
	PORTSTEER_STATS_A_SEEN,
	PORTSTEER_STATS_A_MATCHED,
	PORTSTEER_STATS_A_UNMATCHED,
	PORTSTEER_STATS_A_NO_L4,
	PORTSTEER_STATS_A_MALFORMED,
	PORTSTEER_STATS_A_ICMP_FOLLOWED,
	PORTSTEER_STATS_A_DROPPED,

	__PORTSTEER_STATS_A_MAX
};

#define PORTSTEER_STATS_A_MAX (__PORTSTEER_STATS_A_MAX - 1)

/**
 * enum portsteer_balance - how a service spreads packets over its queues
 * @PORTSTEER_BALANCE_FLOW: by a hash of the 5-tuple (both addresses in full,
 *	protocol, both ports) and the netns's seed: a flow stays on one queue
 * @PORTSTEER_BALANCE_CPU: queue base + CPU number modulo the queue count
 */
enum portsteer_balance {
	PORTSTEER_BALANCE_FLOW,
	PORTSTEER_BALANCE_CPU,
};

/**
 * enum portsteer_family - the address families a rule applies to
 * @PORTSTEER_FAMILY_IPV4: IPv4 only
 * @PORTSTEER_FAMILY_IPV6: IPv6 only
 * @PORTSTEER_FAMILY_INET: both
 */
enum portsteer_family {
	PORTSTEER_FAMILY_IPV4 = 1,
	PORTSTEER_FAMILY_IPV6 = 2,
	PORTSTEER_FAMILY_INET = 3,
};

/**
 * enum portsteer_hook - where in the stack packets are classified
 * @PORTSTEER_HOOK_PREROUTING: before routing: local and forwarded traffic
 * @PORTSTEER_HOOK_INPUT: after routing, traffic to local sockets only
 */
enum portsteer_hook {
	PORTSTEER_HOOK_PREROUTING,
	PORTSTEER_HOOK_INPUT,
};

#endif /* _UAPI_LINUX_PORTSTEER_H */
