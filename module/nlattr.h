/* SPDX-License-Identifier: GPL-2.0 */
/*
 * portsteer: netlink attributes to the model's types and back (nlattr.c),
 * for the handlers: netlink.c (services, rules, settings, counters) and
 * txn.c (replace transactions), which only parse, call the model and
 * report. netlink-gen.[ch] are generated from the spec: the policies, the
 * op table and the family.
 */
#ifndef _PORTSTEER_NLATTR_H
#define _PORTSTEER_NLATTR_H

#include <net/genetlink.h>
#include <net/netlink.h>

#include "netlink-gen.h"
#include "portsteer.h"

static inline struct ps_net *ps_info_pn(struct genl_info *info)
{
	return ps_pernet(genl_info_net(info));
}

/* Report a required attribute that is missing; true if it is. */
#define ps_missing(extack, nest, tb, type, msg) ({			\
	struct netlink_ext_ack *__ps_ext = (extack);			\
	bool __missing = !(tb)[type];					\
									\
	if (__missing) {						\
		NL_SET_ERR_MSG(__ps_ext, msg);				\
		NL_SET_ERR_ATTR_MISS(__ps_ext, nest, type);		\
	}								\
	__missing;							\
})

/* nlattr.c */
struct ps_service *ps_service_parse_new(struct ps_net *pn,
					const struct ps_config *cfg,
					const struct nlattr *nest,
					struct netlink_ext_ack *extack);
int ps_service_apply(struct ps_service *svc, const struct nlattr *nest,
		     struct nlattr **tb, struct netlink_ext_ack *extack);
struct ps_service *ps_service_lookup(struct ps_net *pn, struct genl_info *info,
				     struct nlattr **tb);
int ps_rule_parse(const struct ps_config *cfg, const struct nlattr *nest,
		  struct ps_rule *r, bool need_service,
		  struct netlink_ext_ack *extack);
int ps_rules_from_msg(struct ps_net *pn, struct genl_info *info,
		      bool need_service, struct ps_rule **out, u32 *count);
void ps_overlap_msg(struct ps_net *pn, struct genl_info *info,
		    const struct ps_rule *mine, const struct ps_rule *other,
		    bool other_new);
int ps_settings_precheck(const struct genl_info *info);
int ps_settings_parse(const struct nlattr *nest, struct ps_settings *s,
		      u32 *set, struct netlink_ext_ack *extack);
int ps_put_service(struct sk_buff *skb, const struct ps_service *svc,
		   bool stats);
int ps_put_rule(struct sk_buff *skb, const struct ps_rule *r);
int ps_put_settings(struct sk_buff *skb, const struct ps_net *pn);
int ps_put_stats(struct sk_buff *skb, const struct ps_net *pn);
void ps_notify(struct ps_net *pn, u8 cmd, const struct ps_service *svc,
	       const struct ps_rule *rules, u32 nrules, bool settings);
int ps_reply(struct genl_info *info, struct ps_net *pn, u8 cmd,
	     const struct ps_service *svc, bool settings, bool stats);
void *ps_dump_hdr(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd,
		  u32 generation);
const char *ps_dump_filter(struct netlink_callback *cb);

#endif /* _PORTSTEER_NLATTR_H */
