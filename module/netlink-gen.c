// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/portsteer.yaml */
/* YNL-GEN kernel source */
/* To regenerate run: tools/net/ynl/ynl-regen.sh */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/portsteer.h>

/* Integer value ranges */
static const struct netlink_range_validation portsteer_service_a_queue_count_range = {
	.min	= 1ULL,
	.max	= 65536ULL,
};

/* Common nested types */
const struct nla_policy portsteer_rule_nl_policy[PORTSTEER_RULE_A_DIRECTION + 1] = {
	[PORTSTEER_RULE_A_FAMILY] = NLA_POLICY_RANGE(NLA_U8, 1, 3),
	[PORTSTEER_RULE_A_PROTO] = { .type = NLA_U8, },
	[PORTSTEER_RULE_A_PORT_MIN] = NLA_POLICY_MIN(NLA_U16, 1),
	[PORTSTEER_RULE_A_PORT_MAX] = NLA_POLICY_MIN(NLA_U16, 1),
	[PORTSTEER_RULE_A_SERVICE] = { .type = NLA_NUL_STRING, .len = PORTSTEER_SERVICE_NAME_MAX, },
	[PORTSTEER_RULE_A_DIRECTION] = NLA_POLICY_RANGE(NLA_U8, 1, 3),
};

const struct nla_policy portsteer_service_nl_policy[PORTSTEER_SERVICE_A_CT_MARK_MASK + 1] = {
	[PORTSTEER_SERVICE_A_NAME] = { .type = NLA_NUL_STRING, .len = PORTSTEER_SERVICE_NAME_MAX, },
	[PORTSTEER_SERVICE_A_QUEUE] = { .type = NLA_U16, },
	[PORTSTEER_SERVICE_A_QUEUE_COUNT] = NLA_POLICY_FULL_RANGE(NLA_U32, &portsteer_service_a_queue_count_range),
	[PORTSTEER_SERVICE_A_BALANCE] = NLA_POLICY_MAX(NLA_U8, 1),
	[PORTSTEER_SERVICE_A_BYPASS] = NLA_POLICY_MAX(NLA_U8, 1),
	[PORTSTEER_SERVICE_A_RULES] = { .type = NLA_U32, },
	[PORTSTEER_SERVICE_A_STATS] = NLA_POLICY_NESTED(portsteer_stats_nl_policy),
	[PORTSTEER_SERVICE_A_MARK] = { .type = NLA_U32, },
	[PORTSTEER_SERVICE_A_MARK_MASK] = { .type = NLA_U32, },
	[PORTSTEER_SERVICE_A_CT_MARK] = { .type = NLA_U32, },
	[PORTSTEER_SERVICE_A_CT_MARK_MASK] = { .type = NLA_U32, },
};

const struct nla_policy portsteer_service_input_nl_policy[PORTSTEER_SERVICE_A_CT_MARK_MASK + 1] = {
	[PORTSTEER_SERVICE_A_NAME] = { .type = NLA_NUL_STRING, .len = PORTSTEER_SERVICE_NAME_MAX, },
	[PORTSTEER_SERVICE_A_QUEUE] = { .type = NLA_U16, },
	[PORTSTEER_SERVICE_A_QUEUE_COUNT] = NLA_POLICY_FULL_RANGE(NLA_U32, &portsteer_service_a_queue_count_range),
	[PORTSTEER_SERVICE_A_BALANCE] = NLA_POLICY_MAX(NLA_U8, 1),
	[PORTSTEER_SERVICE_A_BYPASS] = NLA_POLICY_MAX(NLA_U8, 1),
	[PORTSTEER_SERVICE_A_MARK] = { .type = NLA_U32, },
	[PORTSTEER_SERVICE_A_MARK_MASK] = { .type = NLA_U32, },
	[PORTSTEER_SERVICE_A_CT_MARK] = { .type = NLA_U32, },
	[PORTSTEER_SERVICE_A_CT_MARK_MASK] = { .type = NLA_U32, },
};

const struct nla_policy portsteer_service_name_input_nl_policy[PORTSTEER_SERVICE_A_NAME + 1] = {
	[PORTSTEER_SERVICE_A_NAME] = { .type = NLA_NUL_STRING, .len = PORTSTEER_SERVICE_NAME_MAX, },
};

const struct nla_policy portsteer_settings_input_nl_policy[PORTSTEER_SETTINGS_A_HOOKS + 1] = {
	[PORTSTEER_SETTINGS_A_HOOK] = NLA_POLICY_MAX(NLA_U8, 3),
	[PORTSTEER_SETTINGS_A_PRIORITY] = { .type = NLA_S32, },
	[PORTSTEER_SETTINGS_A_DEFRAG] = NLA_POLICY_MAX(NLA_U8, 1),
	[PORTSTEER_SETTINGS_A_ICMP_ERRORS] = NLA_POLICY_MAX(NLA_U8, 1),
	[PORTSTEER_SETTINGS_A_SEED] = { .type = NLA_U32, },
	[PORTSTEER_SETTINGS_A_HOOKS] = NLA_POLICY_MASK(NLA_U32, 0xf),
};

const struct nla_policy portsteer_stats_nl_policy[PORTSTEER_STATS_A_EXEMPT + 1] = {
	[PORTSTEER_STATS_A_PACKETS] = { .type = NLA_U64, },
	[PORTSTEER_STATS_A_BYTES] = { .type = NLA_U64, },
	[PORTSTEER_STATS_A_SEEN] = { .type = NLA_U64, },
	[PORTSTEER_STATS_A_MATCHED] = { .type = NLA_U64, },
	[PORTSTEER_STATS_A_UNMATCHED] = { .type = NLA_U64, },
	[PORTSTEER_STATS_A_NO_L4] = { .type = NLA_U64, },
	[PORTSTEER_STATS_A_MALFORMED] = { .type = NLA_U64, },
	[PORTSTEER_STATS_A_ICMP_FOLLOWED] = { .type = NLA_U64, },
	[PORTSTEER_STATS_A_DROPPED] = { .type = NLA_U64, },
	[PORTSTEER_STATS_A_EXEMPT] = { .type = NLA_U64, },
};

/* PORTSTEER_CMD_SERVICE_NEW - do */
static const struct nla_policy portsteer_service_new_nl_policy[PORTSTEER_A_SERVICE + 1] = {
	[PORTSTEER_A_SERVICE] = NLA_POLICY_NESTED(portsteer_service_input_nl_policy),
};

/* PORTSTEER_CMD_SERVICE_SET - do */
static const struct nla_policy portsteer_service_set_nl_policy[PORTSTEER_A_SERVICE + 1] = {
	[PORTSTEER_A_SERVICE] = NLA_POLICY_NESTED(portsteer_service_input_nl_policy),
};

/* PORTSTEER_CMD_SERVICE_DEL - do */
static const struct nla_policy portsteer_service_del_nl_policy[PORTSTEER_A_SERVICE + 1] = {
	[PORTSTEER_A_SERVICE] = NLA_POLICY_NESTED(portsteer_service_name_input_nl_policy),
	[PORTSTEER_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x3),
};

/* PORTSTEER_CMD_SERVICE_GET - do */
static const struct nla_policy portsteer_service_get_do_nl_policy[PORTSTEER_A_SERVICE + 1] = {
	[PORTSTEER_A_SERVICE] = NLA_POLICY_NESTED(portsteer_service_nl_policy),
};

/* PORTSTEER_CMD_SERVICE_GET - dump */
static const struct nla_policy portsteer_service_get_dump_nl_policy[PORTSTEER_A_SERVICE + 1] = {
	[PORTSTEER_A_SERVICE] = NLA_POLICY_NESTED(portsteer_service_nl_policy),
};

/* PORTSTEER_CMD_RULE_NEW - do */
static const struct nla_policy portsteer_rule_new_nl_policy[PORTSTEER_A_RULE + 1] = {
	[PORTSTEER_A_RULE] = NLA_POLICY_NESTED(portsteer_rule_nl_policy),
	[PORTSTEER_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x3),
};

/* PORTSTEER_CMD_RULE_DEL - do */
static const struct nla_policy portsteer_rule_del_nl_policy[PORTSTEER_A_RULE + 1] = {
	[PORTSTEER_A_RULE] = NLA_POLICY_NESTED(portsteer_rule_nl_policy),
};

/* PORTSTEER_CMD_SETTINGS_SET - do */
static const struct nla_policy portsteer_settings_set_nl_policy[PORTSTEER_A_SETTINGS + 1] = {
	[PORTSTEER_A_SETTINGS] = NLA_POLICY_NESTED(portsteer_settings_input_nl_policy),
};

/* PORTSTEER_CMD_REPLACE_BEGIN - do */
static const struct nla_policy portsteer_replace_begin_nl_policy[PORTSTEER_A_GENERATION + 1] = {
	[PORTSTEER_A_GENERATION] = { .type = NLA_U32, },
};

/* PORTSTEER_CMD_REPLACE_ADD - do */
static const struct nla_policy portsteer_replace_add_nl_policy[PORTSTEER_A_SETTINGS + 1] = {
	[PORTSTEER_A_SERVICE] = NLA_POLICY_NESTED(portsteer_service_input_nl_policy),
	[PORTSTEER_A_RULE] = NLA_POLICY_NESTED(portsteer_rule_nl_policy),
	[PORTSTEER_A_SETTINGS] = NLA_POLICY_NESTED(portsteer_settings_input_nl_policy),
};

/* Ops table for portsteer */
static const struct genl_split_ops portsteer_nl_ops[] = {
	{
		.cmd		= PORTSTEER_CMD_SERVICE_NEW,
		.doit		= portsteer_nl_service_new_doit,
		.policy		= portsteer_service_new_nl_policy,
		.maxattr	= PORTSTEER_A_SERVICE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= PORTSTEER_CMD_SERVICE_SET,
		.doit		= portsteer_nl_service_set_doit,
		.policy		= portsteer_service_set_nl_policy,
		.maxattr	= PORTSTEER_A_SERVICE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= PORTSTEER_CMD_SERVICE_DEL,
		.doit		= portsteer_nl_service_del_doit,
		.policy		= portsteer_service_del_nl_policy,
		.maxattr	= PORTSTEER_A_SERVICE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= PORTSTEER_CMD_SERVICE_GET,
		.doit		= portsteer_nl_service_get_doit,
		.policy		= portsteer_service_get_do_nl_policy,
		.maxattr	= PORTSTEER_A_SERVICE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= PORTSTEER_CMD_SERVICE_GET,
		.dumpit		= portsteer_nl_service_get_dumpit,
		.policy		= portsteer_service_get_dump_nl_policy,
		.maxattr	= PORTSTEER_A_SERVICE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= PORTSTEER_CMD_RULE_NEW,
		.doit		= portsteer_nl_rule_new_doit,
		.policy		= portsteer_rule_new_nl_policy,
		.maxattr	= PORTSTEER_A_RULE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= PORTSTEER_CMD_RULE_DEL,
		.doit		= portsteer_nl_rule_del_doit,
		.policy		= portsteer_rule_del_nl_policy,
		.maxattr	= PORTSTEER_A_RULE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= PORTSTEER_CMD_RULE_GET,
		.dumpit	= portsteer_nl_rule_get_dumpit,
		.flags	= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd	= PORTSTEER_CMD_SETTINGS_GET,
		.doit	= portsteer_nl_settings_get_doit,
		.flags	= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= PORTSTEER_CMD_SETTINGS_SET,
		.doit		= portsteer_nl_settings_set_doit,
		.policy		= portsteer_settings_set_nl_policy,
		.maxattr	= PORTSTEER_A_SETTINGS,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= PORTSTEER_CMD_STATS_GET,
		.doit	= portsteer_nl_stats_get_doit,
		.flags	= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= PORTSTEER_CMD_STATS_RESET,
		.doit	= portsteer_nl_stats_reset_doit,
		.flags	= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= PORTSTEER_CMD_FLUSH,
		.doit	= portsteer_nl_flush_doit,
		.flags	= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= PORTSTEER_CMD_REPLACE_BEGIN,
		.doit		= portsteer_nl_replace_begin_doit,
		.policy		= portsteer_replace_begin_nl_policy,
		.maxattr	= PORTSTEER_A_GENERATION,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= PORTSTEER_CMD_REPLACE_ADD,
		.doit		= portsteer_nl_replace_add_doit,
		.policy		= portsteer_replace_add_nl_policy,
		.maxattr	= PORTSTEER_A_SETTINGS,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= PORTSTEER_CMD_REPLACE_COMMIT,
		.doit	= portsteer_nl_replace_commit_doit,
		.flags	= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd	= PORTSTEER_CMD_REPLACE_ABORT,
		.doit	= portsteer_nl_replace_abort_doit,
		.flags	= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group portsteer_nl_mcgrps[] = {
	[PORTSTEER_NLGRP_CONFIG] = { "config", },
};

struct genl_family portsteer_nl_family __ro_after_init = {
	.name		= PORTSTEER_FAMILY_NAME,
	.version	= PORTSTEER_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= portsteer_nl_ops,
	.n_split_ops	= ARRAY_SIZE(portsteer_nl_ops),
	.mcgrps		= portsteer_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(portsteer_nl_mcgrps),
};
