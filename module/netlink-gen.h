/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/portsteer.yaml */
/* YNL-GEN kernel header */
/* To regenerate run: tools/net/ynl/ynl-regen.sh */

#ifndef _LINUX_PORTSTEER_GEN_H
#define _LINUX_PORTSTEER_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/portsteer.h>

/* Common nested types */
extern const struct nla_policy portsteer_rule_nl_policy[PORTSTEER_RULE_A_DIRECTION + 1];
extern const struct nla_policy portsteer_service_nl_policy[PORTSTEER_SERVICE_A_CT_MARK_MASK + 1];
extern const struct nla_policy portsteer_service_input_nl_policy[PORTSTEER_SERVICE_A_CT_MARK_MASK + 1];
extern const struct nla_policy portsteer_service_name_input_nl_policy[PORTSTEER_SERVICE_A_NAME + 1];
extern const struct nla_policy portsteer_settings_input_nl_policy[PORTSTEER_SETTINGS_A_HOOKS + 1];
extern const struct nla_policy portsteer_stats_nl_policy[PORTSTEER_STATS_A_EXEMPT + 1];

int portsteer_nl_service_new_doit(struct sk_buff *skb, struct genl_info *info);
int portsteer_nl_service_set_doit(struct sk_buff *skb, struct genl_info *info);
int portsteer_nl_service_del_doit(struct sk_buff *skb, struct genl_info *info);
int portsteer_nl_service_get_doit(struct sk_buff *skb, struct genl_info *info);
int portsteer_nl_service_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb);
int portsteer_nl_rule_new_doit(struct sk_buff *skb, struct genl_info *info);
int portsteer_nl_rule_del_doit(struct sk_buff *skb, struct genl_info *info);
int portsteer_nl_rule_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb);
int portsteer_nl_settings_get_doit(struct sk_buff *skb, struct genl_info *info);
int portsteer_nl_settings_set_doit(struct sk_buff *skb, struct genl_info *info);
int portsteer_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info);
int portsteer_nl_stats_reset_doit(struct sk_buff *skb, struct genl_info *info);
int portsteer_nl_flush_doit(struct sk_buff *skb, struct genl_info *info);
int portsteer_nl_replace_begin_doit(struct sk_buff *skb,
				    struct genl_info *info);
int portsteer_nl_replace_add_doit(struct sk_buff *skb, struct genl_info *info);
int portsteer_nl_replace_commit_doit(struct sk_buff *skb,
				     struct genl_info *info);
int portsteer_nl_replace_abort_doit(struct sk_buff *skb,
				    struct genl_info *info);

enum {
	PORTSTEER_NLGRP_CONFIG,
};

extern struct genl_family portsteer_nl_family;

#endif /* _LINUX_PORTSTEER_GEN_H */
