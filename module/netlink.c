// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: the generic netlink family "portsteer".
 *
 * Every command runs under the namespace's mutex, changes the configuration
 * model, and hands it to ps_commit(), which publishes a new lookup table or
 * fails leaving everything as it was. See include/uapi/linux/portsteer.h
 * for the attribute tree of each command.
 */

#include <linux/bitmap.h>
#include <linux/bsearch.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "portsteer.h"

static struct genl_family ps_genl_family;

/* Not const: 6.1's policy holds a pointer to a mutable range. */
static struct netlink_range_validation ps_queue_count_range = {
	.min = 1,
	.max = 65536,
};

static struct netlink_range_validation_signed ps_priority_range = {
	.min = (s64)INT_MIN + 1,
	.max = (s64)INT_MAX - 1,
};

static const struct nla_policy ps_service_policy[PORTSTEER_SERVICE_A_MAX + 1] = {
	[PORTSTEER_SERVICE_A_NAME]	  = { .type = NLA_NUL_STRING,
					      .len = PORTSTEER_SERVICE_NAME_MAX },
	[PORTSTEER_SERVICE_A_QUEUE]	  = { .type = NLA_U16 },
	[PORTSTEER_SERVICE_A_QUEUE_COUNT] = NLA_POLICY_FULL_RANGE(NLA_U32, &ps_queue_count_range),
	[PORTSTEER_SERVICE_A_BALANCE]	  = NLA_POLICY_MAX(NLA_U8, PORTSTEER_BALANCE_CPU),
	[PORTSTEER_SERVICE_A_BYPASS]	  = NLA_POLICY_MAX(NLA_U8, 1),
};

/* Commands that only name a service. */
static const struct nla_policy ps_service_name_policy[PORTSTEER_SERVICE_A_MAX + 1] = {
	[PORTSTEER_SERVICE_A_NAME] = { .type = NLA_NUL_STRING,
				       .len = PORTSTEER_SERVICE_NAME_MAX },
};

static const struct nla_policy ps_rule_policy[PORTSTEER_RULE_A_MAX + 1] = {
	[PORTSTEER_RULE_A_FAMILY]   = NLA_POLICY_RANGE(NLA_U8, PORTSTEER_FAMILY_IPV4,
						       PORTSTEER_FAMILY_INET),
	[PORTSTEER_RULE_A_PROTO]    = { .type = NLA_U8 },
	[PORTSTEER_RULE_A_PORT_MIN] = NLA_POLICY_MIN(NLA_U16, 1),
	[PORTSTEER_RULE_A_PORT_MAX] = NLA_POLICY_MIN(NLA_U16, 1),
	[PORTSTEER_RULE_A_SERVICE]  = { .type = NLA_NUL_STRING,
					.len = PORTSTEER_SERVICE_NAME_MAX },
};

static const struct nla_policy ps_settings_policy[PORTSTEER_SETTINGS_A_MAX + 1] = {
	[PORTSTEER_SETTINGS_A_HOOK]	   = NLA_POLICY_MAX(NLA_U8, PORTSTEER_HOOK_INPUT),
	[PORTSTEER_SETTINGS_A_PRIORITY]	   = NLA_POLICY_FULL_RANGE_SIGNED(NLA_S32,
									  &ps_priority_range),
	[PORTSTEER_SETTINGS_A_DEFRAG]	   = NLA_POLICY_MAX(NLA_U8, 1),
	[PORTSTEER_SETTINGS_A_ICMP_ERRORS] = NLA_POLICY_MAX(NLA_U8, 1),
	[PORTSTEER_SETTINGS_A_SEED]	   = { .type = NLA_U32 },
};

/* Commands without attributes: any attribute is refused. */
static const struct nla_policy ps_none_policy[PORTSTEER_A_MAX + 1] = {
};

static const struct nla_policy ps_service_cmd_policy[PORTSTEER_A_MAX + 1] = {
	[PORTSTEER_A_SERVICE] = NLA_POLICY_NESTED(ps_service_policy),
};

static const struct nla_policy ps_service_get_policy[PORTSTEER_A_MAX + 1] = {
	[PORTSTEER_A_SERVICE] = NLA_POLICY_NESTED(ps_service_name_policy),
};

static const struct nla_policy ps_service_del_policy[PORTSTEER_A_MAX + 1] = {
	[PORTSTEER_A_SERVICE] = NLA_POLICY_NESTED(ps_service_name_policy),
	[PORTSTEER_A_FLAGS]   = NLA_POLICY_MASK(NLA_U32, PORTSTEER_F_WITH_RULES),
};

static const struct nla_policy ps_rule_cmd_policy[PORTSTEER_A_MAX + 1] = {
	[PORTSTEER_A_RULE] = NLA_POLICY_NESTED(ps_rule_policy),
};

static const struct nla_policy ps_settings_cmd_policy[PORTSTEER_A_MAX + 1] = {
	[PORTSTEER_A_SETTINGS] = NLA_POLICY_NESTED(ps_settings_policy),
};

static const struct nla_policy ps_begin_policy[PORTSTEER_A_MAX + 1] = {
	[PORTSTEER_A_GENERATION] = { .type = NLA_U32 },
};

static const struct nla_policy ps_add_policy[PORTSTEER_A_MAX + 1] = {
	[PORTSTEER_A_SERVICE]  = NLA_POLICY_NESTED(ps_service_policy),
	[PORTSTEER_A_RULE]     = NLA_POLICY_NESTED(ps_rule_policy),
	[PORTSTEER_A_SETTINGS] = NLA_POLICY_NESTED(ps_settings_policy),
};

static struct ps_net *ps_info_pn(struct genl_info *info)
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

static int ps_name_check(const struct nlattr *attr, struct netlink_ext_ack *extack)
{
	const char *name = nla_data(attr);
	size_t i, len = strlen(name);

	if (!len) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "service name is empty");
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		char c = name[i];

		/* Not isalnum(): the kernel's counts Latin-1 letters. */
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '_' && c != '.' && c != '-') {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "service name may contain only letters, digits, '_', '.' and '-'");
			return -EINVAL;
		}
	}
	return 0;
}

/* Format a rule as the CLI writes it, for messages. */
static void ps_rule_str(char *buf, size_t len, const struct ps_rule *r)
{
	if (r->lo == r->hi)
		snprintf(buf, len, "%s %s dport %u", ps_family_name(r->family),
			 ps_proto_name(r->proto), r->lo);
	else
		snprintf(buf, len, "%s %s dport %u-%u", ps_family_name(r->family),
			 ps_proto_name(r->proto), r->lo, r->hi);
}

/*
 * Apply the queue attributes of a service nest to @svc. The queue range
 * must stay within 0..65535.
 */
static int ps_service_apply(struct ps_service *svc, const struct nlattr *nest,
			    struct nlattr **tb, struct netlink_ext_ack *extack)
{
	u32 qbase = svc->qbase, qcount = svc->qcount;

	if (tb[PORTSTEER_SERVICE_A_QUEUE])
		qbase = nla_get_u16(tb[PORTSTEER_SERVICE_A_QUEUE]);
	if (tb[PORTSTEER_SERVICE_A_QUEUE_COUNT])
		qcount = nla_get_u32(tb[PORTSTEER_SERVICE_A_QUEUE_COUNT]);
	if (qbase + qcount - 1 > U16_MAX) {
		NL_SET_ERR_MSG_FMT(extack,
				   "queue range %u-%u goes beyond queue 65535",
				   qbase, qbase + qcount - 1);
		NL_SET_BAD_ATTR(extack, tb[PORTSTEER_SERVICE_A_QUEUE_COUNT] ?:
					tb[PORTSTEER_SERVICE_A_QUEUE] ?: nest);
		return -ERANGE;
	}
	svc->qbase = qbase;
	svc->qcount = qcount;
	if (tb[PORTSTEER_SERVICE_A_BALANCE])
		svc->balance = nla_get_u8(tb[PORTSTEER_SERVICE_A_BALANCE]);
	if (tb[PORTSTEER_SERVICE_A_BYPASS])
		svc->bypass = nla_get_u8(tb[PORTSTEER_SERVICE_A_BYPASS]);
	return 0;
}

/*
 * Parse a service nest for creation in @cfg (the namespace's, or a
 * transaction's) and return the new service, not yet linked.
 */
static struct ps_service *ps_service_parse_new(struct ps_net *pn,
					       const struct ps_config *cfg,
					       const struct nlattr *nest,
					       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[PORTSTEER_SERVICE_A_MAX + 1];
	struct ps_service *svc;
	const char *name;
	int err;

	err = nla_parse_nested(tb, PORTSTEER_SERVICE_A_MAX, nest,
			       ps_service_policy, extack);
	if (err)
		return ERR_PTR(err);
	if (ps_missing(extack, nest, tb, PORTSTEER_SERVICE_A_NAME,
		       "missing service name") ||
	    ps_missing(extack, nest, tb, PORTSTEER_SERVICE_A_QUEUE,
		       "missing service queue"))
		return ERR_PTR(-EINVAL);
	err = ps_name_check(tb[PORTSTEER_SERVICE_A_NAME], extack);
	if (err)
		return ERR_PTR(err);
	name = nla_data(tb[PORTSTEER_SERVICE_A_NAME]);
	if (ps_service_find(cfg, name)) {
		NL_SET_ERR_MSG_FMT(extack, "service '%s' already exists", name);
		NL_SET_BAD_ATTR(extack, tb[PORTSTEER_SERVICE_A_NAME]);
		return ERR_PTR(-EEXIST);
	}
	if (cfg->nservices >= pn->max_services) {
		NL_SET_ERR_MSG_FMT(extack, "too many services (limit %u)",
				   pn->max_services);
		return ERR_PTR(-ENOSPC);
	}
	svc = ps_service_alloc(name);
	if (!svc)
		return ERR_PTR(-ENOMEM);
	err = ps_service_apply(svc, nest, tb, extack);
	if (err) {
		ps_service_free_rcu(svc);
		return ERR_PTR(err);
	}
	return svc;
}

/*
 * Parse a rule nest. The service is looked up in @cfg; it must be given
 * when @need_service, else it is checked when given.
 */
static int ps_rule_parse(const struct ps_config *cfg, const struct nlattr *nest,
			 struct ps_rule *r, bool need_service,
			 struct netlink_ext_ack *extack)
{
	struct nlattr *tb[PORTSTEER_RULE_A_MAX + 1];
	const char *name;
	int err;

	err = nla_parse_nested(tb, PORTSTEER_RULE_A_MAX, nest, ps_rule_policy,
			       extack);
	if (err)
		return err;
	if (ps_missing(extack, nest, tb, PORTSTEER_RULE_A_PROTO,
		       "missing rule protocol") ||
	    ps_missing(extack, nest, tb, PORTSTEER_RULE_A_PORT_MIN,
		       "missing rule port") ||
	    (need_service &&
	     ps_missing(extack, nest, tb, PORTSTEER_RULE_A_SERVICE,
			"missing rule service")))
		return -EINVAL;

	memset(r, 0, sizeof(*r));
	r->family = tb[PORTSTEER_RULE_A_FAMILY] ?
		    nla_get_u8(tb[PORTSTEER_RULE_A_FAMILY]) : PORTSTEER_FAMILY_INET;
	r->proto = nla_get_u8(tb[PORTSTEER_RULE_A_PROTO]);
	if (ps_proto_index(r->proto) < 0) {
		NL_SET_ERR_MSG_ATTR(extack, tb[PORTSTEER_RULE_A_PROTO],
				    "protocol must be tcp (6), udp (17), udplite (136), sctp (132) or dccp (33)");
		return -EPROTONOSUPPORT;
	}
	r->lo = nla_get_u16(tb[PORTSTEER_RULE_A_PORT_MIN]);
	r->hi = tb[PORTSTEER_RULE_A_PORT_MAX] ?
		nla_get_u16(tb[PORTSTEER_RULE_A_PORT_MAX]) : r->lo;
	if (r->hi < r->lo) {
		NL_SET_ERR_MSG_ATTR(extack, tb[PORTSTEER_RULE_A_PORT_MAX],
				    "last port is below first port");
		return -EINVAL;
	}
	if (!tb[PORTSTEER_RULE_A_SERVICE])
		return 0;
	name = nla_data(tb[PORTSTEER_RULE_A_SERVICE]);
	r->svc = ps_service_find(cfg, name);
	if (!r->svc) {
		NL_SET_ERR_MSG_FMT(extack, "no service '%s'", name);
		NL_SET_BAD_ATTR(extack, tb[PORTSTEER_RULE_A_SERVICE]);
		return -ENOENT;
	}
	return 0;
}

/*
 * Merge settings from a nest into @s; @set collects PS_SET_* bits. The
 * combination is checked by ps_settings_check().
 */
static int ps_settings_parse(const struct nlattr *nest, struct ps_settings *s,
			     u32 *set, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[PORTSTEER_SETTINGS_A_MAX + 1];
	int err;

	err = nla_parse_nested(tb, PORTSTEER_SETTINGS_A_MAX, nest,
			       ps_settings_policy, extack);
	if (err)
		return err;
	if (tb[PORTSTEER_SETTINGS_A_HOOK]) {
		s->hook = nla_get_u8(tb[PORTSTEER_SETTINGS_A_HOOK]);
		*set |= PS_SET_HOOK;
	}
	if (tb[PORTSTEER_SETTINGS_A_PRIORITY]) {
		s->priority = nla_get_s32(tb[PORTSTEER_SETTINGS_A_PRIORITY]);
		*set |= PS_SET_PRIORITY;
	}
	if (tb[PORTSTEER_SETTINGS_A_DEFRAG]) {
		s->defrag = nla_get_u8(tb[PORTSTEER_SETTINGS_A_DEFRAG]);
		*set |= PS_SET_DEFRAG;
	}
	if (tb[PORTSTEER_SETTINGS_A_ICMP_ERRORS]) {
		s->icmp_errors = nla_get_u8(tb[PORTSTEER_SETTINGS_A_ICMP_ERRORS]);
		*set |= PS_SET_ICMP;
	}
	if (tb[PORTSTEER_SETTINGS_A_SEED]) {
		s->seed = nla_get_u32(tb[PORTSTEER_SETTINGS_A_SEED]);
		*set |= PS_SET_SEED;
	}
	return 0;
}

static int ps_settings_check(const struct ps_settings *s,
			     struct netlink_ext_ack *extack)
{
	if (s->defrag && s->priority <= NF_IP_PRI_CONNTRACK_DEFRAG) {
		BUILD_BUG_ON(NF_IP_PRI_CONNTRACK_DEFRAG != -400);
		NL_SET_ERR_MSG(extack,
			       "with defrag on, the priority must be above -400 (defragmentation)");
		return -EINVAL;
	}
	return 0;
}

/* Message building. */

static int ps_put_service(struct sk_buff *skb, const struct ps_service *svc,
			  bool stats)
{
	struct nlattr *nest, *st;
	u64 packets, bytes;

	nest = nla_nest_start(skb, PORTSTEER_A_SERVICE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, PORTSTEER_SERVICE_A_NAME, svc->name) ||
	    nla_put_u16(skb, PORTSTEER_SERVICE_A_QUEUE, svc->qbase) ||
	    nla_put_u32(skb, PORTSTEER_SERVICE_A_QUEUE_COUNT, svc->qcount) ||
	    nla_put_u8(skb, PORTSTEER_SERVICE_A_BALANCE, svc->balance) ||
	    nla_put_u8(skb, PORTSTEER_SERVICE_A_BYPASS, svc->bypass) ||
	    nla_put_u32(skb, PORTSTEER_SERVICE_A_RULES, svc->nrules))
		goto cancel;
	if (stats) {
		ps_svc_stats_read(svc, &packets, &bytes);
		st = nla_nest_start(skb, PORTSTEER_SERVICE_A_STATS);
		if (!st ||
		    nla_put_u64_64bit(skb, PORTSTEER_STATS_A_PACKETS, packets,
				      PORTSTEER_STATS_A_PAD) ||
		    nla_put_u64_64bit(skb, PORTSTEER_STATS_A_BYTES, bytes,
				      PORTSTEER_STATS_A_PAD))
			goto cancel;
		nla_nest_end(skb, st);
	}
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int ps_put_rule(struct sk_buff *skb, const struct ps_rule *r)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, PORTSTEER_A_RULE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(skb, PORTSTEER_RULE_A_FAMILY, r->family) ||
	    nla_put_u8(skb, PORTSTEER_RULE_A_PROTO, r->proto) ||
	    nla_put_u16(skb, PORTSTEER_RULE_A_PORT_MIN, r->lo) ||
	    nla_put_u16(skb, PORTSTEER_RULE_A_PORT_MAX, r->hi) ||
	    nla_put_string(skb, PORTSTEER_RULE_A_SERVICE, r->svc->name)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int ps_put_settings(struct sk_buff *skb, const struct ps_net *pn)
{
	const struct ps_settings *s = &pn->settings;
	const struct ps_table *t;
	struct nlattr *nest;

	t = rcu_dereference_protected(pn->table, lockdep_is_held(&pn->lock));
	nest = nla_nest_start(skb, PORTSTEER_A_SETTINGS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(skb, PORTSTEER_SETTINGS_A_HOOK, s->hook) ||
	    nla_put_s32(skb, PORTSTEER_SETTINGS_A_PRIORITY, s->priority) ||
	    nla_put_u8(skb, PORTSTEER_SETTINGS_A_DEFRAG, s->defrag) ||
	    nla_put_u8(skb, PORTSTEER_SETTINGS_A_ICMP_ERRORS, s->icmp_errors) ||
	    nla_put_u32(skb, PORTSTEER_SETTINGS_A_SEED, s->seed) ||
	    nla_put_u32(skb, PORTSTEER_SETTINGS_A_MAX_SERVICES, pn->max_services) ||
	    nla_put_u32(skb, PORTSTEER_SETTINGS_A_MAX_RULES, pn->max_rules) ||
	    nla_put_u32(skb, PORTSTEER_SETTINGS_A_SERVICES, pn->cfg.nservices) ||
	    nla_put_u32(skb, PORTSTEER_SETTINGS_A_RULES, pn->cfg.nrules) ||
	    nla_put_u8(skb, PORTSTEER_SETTINGS_A_HOOK_ACTIVE,
		       pn->hook && pn->hook->active) ||
	    nla_put_u64_64bit(skb, PORTSTEER_SETTINGS_A_TABLE_BYTES,
			      t ? t->bytes : 0, PORTSTEER_SETTINGS_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/**
 * ps_notify() - tell the "config" group about a change
 * @pn: the namespace, its lock held, after the change
 * @cmd: the command that made it
 * @svc: the service it concerned, or NULL
 * @rules: the rules it concerned
 * @nrules: number of @rules
 * @settings: whether to include the settings
 */
static void ps_notify(struct ps_net *pn, u8 cmd, const struct ps_service *svc,
		      const struct ps_rule *rules, u32 nrules, bool settings)
{
	struct sk_buff *skb;
	u32 i = 0, first;
	void *hdr;

	if (!genl_has_listeners(&ps_genl_family, pn->net, 0))
		return;
	/*
	 * A batch of rules goes out in as many messages of a page as it
	 * takes, each with the generation, the first with the service or
	 * the settings.
	 */
	do {
		skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
		if (!skb)
			goto lost;
		hdr = genlmsg_put(skb, 0, 0, &ps_genl_family, 0, cmd);
		if (!hdr ||
		    nla_put_u32(skb, PORTSTEER_A_GENERATION, pn->generation))
			goto err;
		if (!i && svc && ps_put_service(skb, svc, false))
			goto err;
		if (!i && settings && ps_put_settings(skb, pn))
			goto err;
		for (first = i; i < nrules; i++)
			if (ps_put_rule(skb, &rules[i]))
				break;
		/* Not even one rule fits in an empty message. */
		if (i < nrules && i == first)
			goto err;
		genlmsg_end(skb, hdr);
		genlmsg_multicast_netns(&ps_genl_family, pn->net, skb, 0, 0,
					GFP_KERNEL);
	} while (i < nrules);
	return;
err:
	nlmsg_free(skb);
lost:
	/* Listeners learn that they missed a change, and resynchronize. */
	netlink_set_err(pn->net->genl_sock, 0, ps_genl_family.mcgrp_offset,
			ENOBUFS);
}

/* Reply to a do request with one object. */
static int ps_reply(struct genl_info *info, struct ps_net *pn, u8 cmd,
		    const struct ps_service *svc, bool settings)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put_reply(skb, info, &ps_genl_family, 0, cmd);
	if (!hdr ||
	    nla_put_u32(skb, PORTSTEER_A_GENERATION, pn->generation) ||
	    (svc && ps_put_service(skb, svc, true)) ||
	    (settings && ps_put_settings(skb, pn))) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
}

static struct ps_service *ps_service_lookup(struct ps_net *pn,
					    struct genl_info *info,
					    struct nlattr **tb)
{
	const struct nlattr *nest = info->attrs[PORTSTEER_A_SERVICE];
	struct ps_service *svc;
	int err;

	if (!nest) {
		NL_SET_ERR_MSG(info->extack, "missing service");
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, PORTSTEER_A_SERVICE);
		return ERR_PTR(-EINVAL);
	}
	err = nla_parse_nested(tb, PORTSTEER_SERVICE_A_MAX, nest,
			       info->genlhdr->cmd == PORTSTEER_CMD_SERVICE_SET ?
			       ps_service_policy : ps_service_name_policy,
			       info->extack);
	if (err)
		return ERR_PTR(err);
	if (ps_missing(info->extack, nest, tb, PORTSTEER_SERVICE_A_NAME,
		       "missing service name"))
		return ERR_PTR(-EINVAL);
	svc = ps_service_find(&pn->cfg, nla_data(tb[PORTSTEER_SERVICE_A_NAME]));
	if (!svc) {
		NL_SET_ERR_MSG_FMT(info->extack, "no service '%s'",
				   (char *)nla_data(tb[PORTSTEER_SERVICE_A_NAME]));
		NL_SET_BAD_ATTR(info->extack, tb[PORTSTEER_SERVICE_A_NAME]);
		return ERR_PTR(-ENOENT);
	}
	return svc;
}

/* Commit the namespace's current model with other settings. */
static int ps_recommit_with(struct ps_net *pn, const struct ps_settings *s,
			    struct netlink_ext_ack *extack)
{
	return ps_commit(pn, &pn->cfg.services, pn->cfg.nservices,
			 pn->cfg.rules, pn->cfg.nrules, s, extack);
}

/* Commit the namespace's current model again (after a change to a service). */
static int ps_recommit(struct ps_net *pn, struct netlink_ext_ack *extack)
{
	return ps_recommit_with(pn, &pn->settings, extack);
}

/*
 * Commit the namespace's services with @n new @rules; on success the array
 * becomes the model's (the old one is freed), on failure it stays the
 * caller's.
 */
static int ps_commit_rules(struct ps_net *pn, struct ps_rule *rules, u32 n,
			   struct netlink_ext_ack *extack)
{
	int err;

	err = ps_commit(pn, &pn->cfg.services, pn->cfg.nservices, rules, n,
			&pn->settings, extack);
	if (err)
		return err;
	kvfree(pn->cfg.rules);
	pn->cfg.rules = rules;
	pn->cfg.nrules = n;
	return 0;
}

static int ps_service_new(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	struct ps_service *svc;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, PORTSTEER_A_SERVICE)) {
		NL_SET_ERR_MSG(info->extack, "missing service");
		return -EINVAL;
	}
	mutex_lock(&pn->lock);
	svc = ps_service_parse_new(pn, &pn->cfg, info->attrs[PORTSTEER_A_SERVICE],
				   info->extack);
	if (IS_ERR(svc)) {
		err = PTR_ERR(svc);
		goto out;
	}
	ps_config_add_service(&pn->cfg, svc);
	err = ps_recommit(pn, info->extack);
	if (err) {
		ps_config_unlink_service(&pn->cfg, svc);
		ps_service_free_rcu(svc);
		goto out;
	}
	ps_notify(pn, PORTSTEER_CMD_SERVICE_NEW, svc, NULL, 0, false);
out:
	mutex_unlock(&pn->lock);
	return err;
}

static int ps_service_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[PORTSTEER_SERVICE_A_MAX + 1];
	struct ps_net *pn = ps_info_pn(info);
	struct ps_service *svc, old;
	int err;

	mutex_lock(&pn->lock);
	svc = ps_service_lookup(pn, info, tb);
	if (IS_ERR(svc)) {
		err = PTR_ERR(svc);
		goto out;
	}
	old = *svc;
	err = ps_service_apply(svc, info->attrs[PORTSTEER_A_SERVICE], tb,
			       info->extack);
	if (!err)
		err = ps_recommit(pn, info->extack);
	if (err) {
		svc->qbase = old.qbase;
		svc->qcount = old.qcount;
		svc->balance = old.balance;
		svc->bypass = old.bypass;
		goto out;
	}
	ps_notify(pn, PORTSTEER_CMD_SERVICE_SET, svc, NULL, 0, false);
out:
	mutex_unlock(&pn->lock);
	return err;
}

static int ps_service_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[PORTSTEER_SERVICE_A_MAX + 1];
	struct ps_net *pn = ps_info_pn(info);
	struct ps_rule *rules = NULL;
	struct ps_service *svc;
	u32 flags = 0, i, n = 0;
	int err;

	if (info->attrs[PORTSTEER_A_FLAGS])
		flags = nla_get_u32(info->attrs[PORTSTEER_A_FLAGS]);
	mutex_lock(&pn->lock);
	svc = ps_service_lookup(pn, info, tb);
	if (IS_ERR(svc)) {
		err = PTR_ERR(svc);
		goto out;
	}
	if (svc->nrules && !(flags & PORTSTEER_F_WITH_RULES)) {
		NL_SET_ERR_MSG_FMT(info->extack,
				   "service '%s' is used by %u rules", svc->name,
				   svc->nrules);
		err = -EBUSY;
		goto out;
	}
	if (svc->nrules) {
		rules = kvmalloc_array(pn->cfg.nrules - svc->nrules,
				       sizeof(*rules), PS_GFP_CONFIG);
		if (!rules) {
			err = -ENOMEM;
			goto out;
		}
		for (i = 0; i < pn->cfg.nrules; i++)
			if (pn->cfg.rules[i].svc != svc)
				rules[n++] = pn->cfg.rules[i];
	}
	ps_config_unlink_service(&pn->cfg, svc);
	if (rules)
		err = ps_commit_rules(pn, rules, n, info->extack);
	else
		err = ps_recommit(pn, info->extack);
	if (err) {
		ps_config_add_service(&pn->cfg, svc);
		kvfree(rules);
		goto out;
	}
	ps_notify(pn, PORTSTEER_CMD_SERVICE_DEL, svc, NULL, 0, false);
	ps_service_free_rcu(svc);
out:
	mutex_unlock(&pn->lock);
	return err;
}

static int ps_service_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[PORTSTEER_SERVICE_A_MAX + 1];
	struct ps_net *pn = ps_info_pn(info);
	struct ps_service *svc;
	int err;

	mutex_lock(&pn->lock);
	svc = ps_service_lookup(pn, info, tb);
	if (IS_ERR(svc))
		err = PTR_ERR(svc);
	else
		err = ps_reply(info, pn, PORTSTEER_CMD_SERVICE_GET, svc, false);
	mutex_unlock(&pn->lock);
	return err;
}

static void *ps_dump_hdr(struct sk_buff *skb, struct netlink_callback *cb,
			 u8 cmd, u32 generation)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &ps_genl_family, NLM_F_MULTI, cmd);
	if (!hdr)
		return NULL;
	genl_dump_check_consistent(cb, hdr);
	if (nla_put_u32(skb, PORTSTEER_A_GENERATION, generation)) {
		genlmsg_cancel(skb, hdr);
		return NULL;
	}
	return hdr;
}

/* The name a service dump is limited to, or NULL. */
static const char *ps_dump_filter(struct netlink_callback *cb)
{
	const struct nlattr *nest = genl_info_dump(cb)->attrs[PORTSTEER_A_SERVICE];
	struct nlattr *tb[PORTSTEER_SERVICE_A_MAX + 1];

	if (!nest || nla_parse_nested(tb, PORTSTEER_SERVICE_A_MAX, nest,
				      ps_service_name_policy, NULL) ||
	    !tb[PORTSTEER_SERVICE_A_NAME])
		return NULL;
	return nla_data(tb[PORTSTEER_SERVICE_A_NAME]);
}

static int ps_service_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct ps_net *pn = ps_pernet(sock_net(skb->sk));
	unsigned long start = cb->args[0], idx = 0;
	const char *only = ps_dump_filter(cb);
	struct ps_service *svc;
	void *hdr;

	mutex_lock(&pn->lock);
	cb->seq = pn->generation;
	list_for_each_entry(svc, &pn->cfg.services, list) {
		if (idx < start || (only && strcmp(only, svc->name))) {
			idx++;
			continue;
		}
		hdr = ps_dump_hdr(skb, cb, PORTSTEER_CMD_SERVICE_GET,
				  pn->generation);
		if (!hdr)
			break;
		if (ps_put_service(skb, svc, true)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		idx++;
	}
	mutex_unlock(&pn->lock);
	cb->args[0] = idx;
	return skb->len;
}

/* Parse every PORTSTEER_A_RULE of a message into a new array. */
static int ps_rules_from_msg(struct ps_net *pn, struct genl_info *info,
			     bool need_service, struct ps_rule **out, u32 *count)
{
	const struct nlattr *attr;
	struct ps_rule *rules;
	u32 n = 0, i = 0;
	int rem, err;

	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem)
		if (nla_type(attr) == PORTSTEER_A_RULE)
			n++;
	if (!n) {
		NL_SET_ERR_MSG(info->extack, "missing rule");
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, PORTSTEER_A_RULE);
		return -EINVAL;
	}
	if (n > pn->max_rules) {
		NL_SET_ERR_MSG_FMT(info->extack, "too many rules (limit %u)",
				   pn->max_rules);
		return -ENOSPC;
	}
	rules = kvmalloc_array(n, sizeof(*rules), PS_GFP_CONFIG);
	if (!rules)
		return -ENOMEM;
	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != PORTSTEER_A_RULE)
			continue;
		err = ps_rule_parse(&pn->cfg, attr, &rules[i++], need_service,
				    info->extack);
		if (err) {
			kvfree(rules);
			return err;
		}
	}
	*out = rules;
	*count = n;
	return 0;
}

static bool ps_rule_same(const struct ps_rule *a, const struct ps_rule *b)
{
	return a->proto == b->proto && a->lo == b->lo && a->hi == b->hi &&
	       a->family == b->family;
}

/* The nest of the request that holds rule @r, for the error offset. */
static const struct nlattr *ps_rule_attr(struct ps_net *pn,
					 struct genl_info *info,
					 const struct ps_rule *r)
{
	const struct nlattr *attr;
	struct ps_rule x;
	int rem;

	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem)
		if (nla_type(attr) == PORTSTEER_A_RULE &&
		    !ps_rule_parse(&pn->cfg, attr, &x, false, NULL) &&
		    ps_rule_same(&x, r))
			return attr;
	return NULL;
}

/*
 * Report that the request's rule @mine overlaps @other: already there
 * (@other_new false, named with its service), or another rule of the
 * request. Messages stay within the 80 characters extack holds; the
 * offending rule of the request is pointed at by the error offset.
 */
static void ps_overlap_msg(struct ps_net *pn, struct genl_info *info,
			   const struct ps_rule *mine,
			   const struct ps_rule *other, bool other_new)
{
	char so[32];

	ps_rule_str(so, sizeof(so), other);
	if (other_new)
		NL_SET_ERR_MSG_FMT(info->extack,
				   "overlaps %s of the same request", so);
	else
		NL_SET_ERR_MSG_FMT(info->extack, "overlaps %s of '%s'", so,
				   other->svc->name);
	NL_SET_BAD_ATTR(info->extack, ps_rule_attr(pn, info, mine));
}

static bool ps_rule_in(const struct ps_rule *r, const struct ps_rule *set, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (ps_rule_same(r, &set[i]) && r->svc == set[i].svc)
			return true;
	return false;
}

static int ps_rule_new(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	struct ps_rule *add, *rules = NULL;
	u32 nadd, n, a, b, i;
	int err;

	mutex_lock(&pn->lock);
	err = ps_rules_from_msg(pn, info, true, &add, &nadd);
	if (err)
		goto out;
	if (pn->cfg.nrules + nadd > pn->max_rules) {
		NL_SET_ERR_MSG_FMT(info->extack, "too many rules (limit %u)",
				   pn->max_rules);
		err = -ENOSPC;
		goto out_free;
	}
	/* Overlaps within the request first, so the message is right. */
	ps_rules_sort(add, nadd);
	if (ps_rules_check(add, nadd, &a, &b)) {
		ps_overlap_msg(pn, info, &add[b], &add[a], true);
		err = -EEXIST;
		goto out_free;
	}
	n = pn->cfg.nrules + nadd;
	rules = kvmalloc_array(n, sizeof(*rules), PS_GFP_CONFIG);
	if (!rules) {
		err = -ENOMEM;
		goto out_free;
	}
	memcpy(rules, pn->cfg.rules, pn->cfg.nrules * sizeof(*rules));
	memcpy(rules + pn->cfg.nrules, add, nadd * sizeof(*rules));
	ps_rules_sort(rules, n);
	if (ps_rules_check(rules, n, &a, &b)) {
		bool a_new = ps_rule_in(&rules[a], add, nadd);
		bool b_new = ps_rule_in(&rules[b], add, nadd);

		if (a_new && b_new)	/* the same rule again */
			a_new = false;
		if (a_new)
			ps_overlap_msg(pn, info, &rules[a], &rules[b], false);
		else
			ps_overlap_msg(pn, info, &rules[b], &rules[a], false);
		err = -EEXIST;
		goto out_free;
	}
	err = ps_commit_rules(pn, rules, n, info->extack);
	if (err)
		goto out_free;
	rules = NULL;
	for (i = 0; i < nadd; i++)
		add[i].svc->nrules++;
	ps_notify(pn, PORTSTEER_CMD_RULE_NEW, NULL, add, nadd, false);
out_free:
	kvfree(rules);
	kvfree(add);
out:
	mutex_unlock(&pn->lock);
	return err;
}

static int ps_rule_del(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	struct ps_rule *del, *rules = NULL;
	unsigned long *gone = NULL;
	u32 ndel, n = 0, i;
	char buf[48];
	int err;

	mutex_lock(&pn->lock);
	err = ps_rules_from_msg(pn, info, false, &del, &ndel);
	if (err)
		goto out;
	gone = bitmap_zalloc(pn->cfg.nrules, PS_GFP_CONFIG);
	if (!gone && pn->cfg.nrules) {
		err = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < ndel; i++) {
		const struct ps_rule *r;
		u32 idx;

		r = bsearch(&del[i], pn->cfg.rules, pn->cfg.nrules,
			    sizeof(*r), ps_rule_cmp);
		if (!r || r->hi != del[i].hi ||
		    (del[i].svc && del[i].svc != r->svc)) {
			ps_rule_str(buf, sizeof(buf), &del[i]);
			NL_SET_ERR_MSG_FMT(info->extack, "no rule '%s'", buf);
			err = -ENOENT;
			goto out_free;
		}
		idx = r - pn->cfg.rules;
		if (test_and_set_bit(idx, gone)) {
			ps_rule_str(buf, sizeof(buf), &del[i]);
			NL_SET_ERR_MSG_FMT(info->extack, "rule '%s' is given twice",
					   buf);
			err = -EINVAL;
			goto out_free;
		}
		del[i].svc = r->svc;
	}
	rules = kvmalloc_array(max(pn->cfg.nrules - ndel, 1U), sizeof(*rules),
			       PS_GFP_CONFIG);
	if (!rules) {
		err = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < pn->cfg.nrules; i++)
		if (!test_bit(i, gone))
			rules[n++] = pn->cfg.rules[i];
	err = ps_commit_rules(pn, rules, n, info->extack);
	if (err)
		goto out_free;
	rules = NULL;
	for (i = 0; i < ndel; i++)
		del[i].svc->nrules--;
	ps_notify(pn, PORTSTEER_CMD_RULE_DEL, NULL, del, ndel, false);
out_free:
	kvfree(rules);
	bitmap_free(gone);
	kvfree(del);
out:
	mutex_unlock(&pn->lock);
	return err;
}

static int ps_rule_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct ps_net *pn = ps_pernet(sock_net(skb->sk));
	unsigned long idx = cb->args[0];
	void *hdr;

	mutex_lock(&pn->lock);
	cb->seq = pn->generation;
	for (; idx < pn->cfg.nrules; idx++) {
		hdr = ps_dump_hdr(skb, cb, PORTSTEER_CMD_RULE_GET, pn->generation);
		if (!hdr)
			break;
		if (ps_put_rule(skb, &pn->cfg.rules[idx])) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	mutex_unlock(&pn->lock);
	cb->args[0] = idx;
	return skb->len;
}

static int ps_settings_get(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	int err;

	mutex_lock(&pn->lock);
	err = ps_reply(info, pn, PORTSTEER_CMD_SETTINGS_GET, NULL, true);
	mutex_unlock(&pn->lock);
	return err;
}

static int ps_settings_set(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	struct ps_settings s;
	u32 set = 0;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, PORTSTEER_A_SETTINGS)) {
		NL_SET_ERR_MSG(info->extack, "missing settings");
		return -EINVAL;
	}
	mutex_lock(&pn->lock);
	s = pn->settings;
	err = ps_settings_parse(info->attrs[PORTSTEER_A_SETTINGS], &s, &set,
				info->extack);
	if (!err)
		err = ps_settings_check(&s, info->extack);
	if (!err)
		err = ps_recommit_with(pn, &s, info->extack);
	if (!err)
		ps_notify(pn, PORTSTEER_CMD_SETTINGS_SET, NULL, NULL, 0, true);
	mutex_unlock(&pn->lock);
	return err;
}

static const u8 ps_stats_attr[PS_CNT_MAX] = {
	[PS_CNT_SEEN]	   = PORTSTEER_STATS_A_SEEN,
	[PS_CNT_MATCHED]   = PORTSTEER_STATS_A_MATCHED,
	[PS_CNT_UNMATCHED] = PORTSTEER_STATS_A_UNMATCHED,
	[PS_CNT_NO_L4]	   = PORTSTEER_STATS_A_NO_L4,
	[PS_CNT_MALFORMED] = PORTSTEER_STATS_A_MALFORMED,
	[PS_CNT_ICMP]	   = PORTSTEER_STATS_A_ICMP_FOLLOWED,
	[PS_CNT_DROPPED]   = PORTSTEER_STATS_A_DROPPED,
};

static int ps_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	u64 cnt[PS_CNT_MAX];
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;
	int i;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &ps_genl_family, 0,
				PORTSTEER_CMD_STATS_GET);
	if (!hdr)
		goto err;
	mutex_lock(&pn->lock);
	ps_net_stats_read(pn, cnt);
	if (nla_put_u32(msg, PORTSTEER_A_GENERATION, pn->generation)) {
		mutex_unlock(&pn->lock);
		goto err;
	}
	mutex_unlock(&pn->lock);
	nest = nla_nest_start(msg, PORTSTEER_A_STATS);
	if (!nest)
		goto err;
	for (i = 0; i < PS_CNT_MAX; i++)
		if (nla_put_u64_64bit(msg, ps_stats_attr[i], cnt[i],
				      PORTSTEER_STATS_A_PAD))
			goto err;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int ps_stats_reset(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	struct ps_service *svc;
	u64 cnt[PS_CNT_MAX], packets, bytes;
	int i;

	mutex_lock(&pn->lock);
	ps_net_stats_read(pn, cnt);
	for (i = 0; i < PS_CNT_MAX; i++)
		pn->stats_base[i] += cnt[i];
	list_for_each_entry(svc, &pn->cfg.services, list) {
		ps_svc_stats_read(svc, &packets, &bytes);
		svc->base_packets += packets;
		svc->base_bytes += bytes;
	}
	ps_notify(pn, PORTSTEER_CMD_STATS_RESET, NULL, NULL, 0, false);
	mutex_unlock(&pn->lock);
	return 0;
}

static int ps_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	LIST_HEAD(none);
	int err;

	mutex_lock(&pn->lock);
	err = ps_commit(pn, &none, 0, NULL, 0, &pn->settings, info->extack);
	if (!err) {
		ps_config_free(&pn->cfg);
		ps_notify(pn, PORTSTEER_CMD_FLUSH, NULL, NULL, 0, false);
	}
	mutex_unlock(&pn->lock);
	return err;
}

/* Replace transactions. */

void ps_txn_free(struct ps_txn *txn)
{
	if (!txn)
		return;
	ps_config_free(&txn->cfg);
	kfree(txn);
}

static void ps_txn_drop(struct ps_net *pn)
{
	ps_txn_free(pn->txn);
	pn->txn = NULL;
}

/*
 * One transaction is open in a namespace at a time, and a newer BEGIN, from
 * whichever socket, takes it over: a transaction left open by a process
 * that hangs blocks no one. What the older one staged is dropped, and its
 * socket is told so at its next ADD or COMMIT. A transaction applies only
 * to the configuration it began from: any change committed meanwhile, by
 * another transaction or a single request, makes its COMMIT fail (ESTALE),
 * so no update is lost without its author being told.
 */
static int ps_replace_begin(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	struct ps_txn *txn;
	int err = 0;

	mutex_lock(&pn->lock);
	if (info->attrs[PORTSTEER_A_GENERATION] &&
	    nla_get_u32(info->attrs[PORTSTEER_A_GENERATION]) != pn->generation) {
		NL_SET_ERR_MSG_FMT(info->extack,
				   "the configuration changed: generation is %u",
				   pn->generation);
		NL_SET_BAD_ATTR(info->extack, info->attrs[PORTSTEER_A_GENERATION]);
		err = -ESTALE;
		goto out;
	}
	txn = kzalloc(sizeof(*txn), PS_GFP_CONFIG);
	if (!txn) {
		err = -ENOMEM;
		goto out;
	}
	pn->txn_lost = 0;
	if (pn->txn && pn->txn->portid != info->snd_portid)
		pn->txn_lost = pn->txn->portid;
	ps_txn_drop(pn);
	txn->portid = info->snd_portid;
	txn->generation = pn->generation;
	ps_config_init(&txn->cfg);
	txn->settings = pn->settings;
	pn->txn = txn;
out:
	mutex_unlock(&pn->lock);
	return err;
}

static struct ps_txn *ps_txn_get(struct ps_net *pn, struct genl_info *info,
				 int *err)
{
	if (pn->txn && pn->txn->portid == info->snd_portid)
		return pn->txn;
	if (pn->txn_lost && pn->txn_lost == info->snd_portid) {
		NL_SET_ERR_MSG(info->extack,
			       "the replace transaction of this socket was taken over by a newer one");
		pn->txn_lost = 0;
		*err = -ESTALE;
		return NULL;
	}
	NL_SET_ERR_MSG(info->extack,
		       "no replace transaction is open on this socket");
	*err = -ENOENT;
	return NULL;
}

static int ps_txn_add_rule(struct ps_net *pn, struct ps_txn *txn,
			   const struct nlattr *attr,
			   struct netlink_ext_ack *extack)
{
	struct ps_config *cfg = &txn->cfg;
	struct ps_rule *grown;
	int err;

	if (cfg->nrules >= pn->max_rules) {
		NL_SET_ERR_MSG_FMT(extack, "too many rules (limit %u)",
				   pn->max_rules);
		return -ENOSPC;
	}
	if (cfg->nrules == cfg->rules_cap) {
		u32 cap = max(cfg->rules_cap * 2, 64U);

		grown = kvmalloc_array(cap, sizeof(*grown), PS_GFP_CONFIG);
		if (!grown)
			return -ENOMEM;
		if (cfg->nrules)
			memcpy(grown, cfg->rules, cfg->nrules * sizeof(*grown));
		kvfree(cfg->rules);
		cfg->rules = grown;
		cfg->rules_cap = cap;
	}
	err = ps_rule_parse(cfg, attr, &cfg->rules[cfg->nrules], true, extack);
	if (err)
		return err;
	cfg->rules[cfg->nrules++].svc->nrules++;
	return 0;
}

static int ps_replace_add(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	const struct nlattr *attr;
	struct ps_service *svc;
	struct ps_txn *txn;
	int rem, err = 0;

	mutex_lock(&pn->lock);
	txn = ps_txn_get(pn, info, &err);
	if (!txn)
		goto out;
	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		switch (nla_type(attr)) {
		case PORTSTEER_A_SERVICE:
			svc = ps_service_parse_new(pn, &txn->cfg, attr,
						   info->extack);
			if (IS_ERR(svc)) {
				err = PTR_ERR(svc);
				break;
			}
			ps_config_add_service(&txn->cfg, svc);
			break;
		case PORTSTEER_A_RULE:
			err = ps_txn_add_rule(pn, txn, attr, info->extack);
			break;
		case PORTSTEER_A_SETTINGS:
			err = ps_settings_parse(attr, &txn->settings,
						&txn->settings_set, info->extack);
			break;
		}
		if (err)
			break;
	}
	/* A transaction that failed is gone: start again. */
	if (err)
		ps_txn_drop(pn);
out:
	mutex_unlock(&pn->lock);
	return err;
}

/* Services that keep their name keep their counters: swap them over. */
static void ps_txn_swap_stats(struct ps_net *pn, struct ps_txn *txn)
{
	struct ps_service *svc, *old;

	list_for_each_entry(svc, &txn->cfg.services, list) {
		old = ps_service_find(&pn->cfg, svc->name);
		if (!old)
			continue;
		swap(svc->stats, old->stats);
		swap(svc->base_packets, old->base_packets);
		swap(svc->base_bytes, old->base_bytes);
	}
}

/* The settings now in force, with those a transaction gave (@set) over them. */
static struct ps_settings ps_settings_merge(const struct ps_settings *cur,
					    const struct ps_settings *txn,
					    u32 set)
{
	struct ps_settings s = *cur;

	if (set & PS_SET_HOOK)
		s.hook = txn->hook;
	if (set & PS_SET_PRIORITY)
		s.priority = txn->priority;
	if (set & PS_SET_DEFRAG)
		s.defrag = txn->defrag;
	if (set & PS_SET_ICMP)
		s.icmp_errors = txn->icmp_errors;
	if (set & PS_SET_SEED)
		s.seed = txn->seed;
	return s;
}

static int ps_replace_commit(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	struct ps_settings settings;
	struct ps_txn *txn;
	u32 a, b;
	int err;

	mutex_lock(&pn->lock);
	txn = ps_txn_get(pn, info, &err);
	if (!txn)
		goto out;
	if (txn->generation != pn->generation) {
		NL_SET_ERR_MSG_FMT(info->extack,
				   "the configuration changed during the transaction (generation %u, now %u)",
				   txn->generation, pn->generation);
		err = -ESTALE;
		goto drop;
	}
	ps_rules_sort(txn->cfg.rules, txn->cfg.nrules);
	if (ps_rules_check(txn->cfg.rules, txn->cfg.nrules, &a, &b)) {
		char sa[32], sb[32];

		ps_rule_str(sa, sizeof(sa), &txn->cfg.rules[a]);
		ps_rule_str(sb, sizeof(sb), &txn->cfg.rules[b]);
		NL_SET_ERR_MSG_FMT(info->extack, "rules overlap: %s and %s",
				   sa, sb);
		err = -EEXIST;
		goto drop;
	}
	settings = ps_settings_merge(&pn->settings, &txn->settings,
				     txn->settings_set);
	err = ps_settings_check(&settings, info->extack);
	if (err)
		goto drop;
	ps_txn_swap_stats(pn, txn);
	err = ps_commit(pn, &txn->cfg.services, txn->cfg.nservices,
			txn->cfg.rules, txn->cfg.nrules, &settings,
			info->extack);
	if (err) {
		ps_txn_swap_stats(pn, txn);
		goto drop;
	}
	ps_config_free(&pn->cfg);
	ps_config_move(&pn->cfg, &txn->cfg);
	ps_notify(pn, PORTSTEER_CMD_REPLACE_COMMIT, NULL, NULL, 0, false);
drop:
	ps_txn_drop(pn);
out:
	mutex_unlock(&pn->lock);
	return err;
}

static int ps_replace_abort(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	int err = 0;

	mutex_lock(&pn->lock);
	if (ps_txn_get(pn, info, &err))
		ps_txn_drop(pn);
	mutex_unlock(&pn->lock);
	return err;
}

#define PS_OP(_cmd, _doit, _dumpit, _policy) {			\
	.cmd	 = PORTSTEER_CMD_##_cmd,				\
	.doit	 = _doit,						\
	.dumpit	 = _dumpit,						\
	.policy	 = _policy,						\
	.maxattr = PORTSTEER_A_MAX,					\
	.flags	 = GENL_UNS_ADMIN_PERM,					\
}

static const struct genl_ops ps_genl_ops[] = {
	PS_OP(SERVICE_NEW, ps_service_new, NULL, ps_service_cmd_policy),
	PS_OP(SERVICE_SET, ps_service_set, NULL, ps_service_cmd_policy),
	PS_OP(SERVICE_DEL, ps_service_del, NULL, ps_service_del_policy),
	{
		.cmd	 = PORTSTEER_CMD_SERVICE_GET,
		.doit	 = ps_service_get,
		.dumpit	 = ps_service_dump,
		.policy	 = ps_service_get_policy,
		.maxattr = PORTSTEER_A_MAX,
		.flags	 = GENL_UNS_ADMIN_PERM,
	},
	PS_OP(RULE_NEW, ps_rule_new, NULL, ps_rule_cmd_policy),
	PS_OP(RULE_DEL, ps_rule_del, NULL, ps_rule_cmd_policy),
	PS_OP(RULE_GET, NULL, ps_rule_dump, ps_none_policy),
	PS_OP(SETTINGS_GET, ps_settings_get, NULL, ps_none_policy),
	PS_OP(SETTINGS_SET, ps_settings_set, NULL, ps_settings_cmd_policy),
	PS_OP(STATS_GET, ps_stats_get, NULL, ps_none_policy),
	PS_OP(STATS_RESET, ps_stats_reset, NULL, ps_none_policy),
	PS_OP(FLUSH, ps_flush, NULL, ps_none_policy),
	PS_OP(REPLACE_BEGIN, ps_replace_begin, NULL, ps_begin_policy),
	PS_OP(REPLACE_ADD, ps_replace_add, NULL, ps_add_policy),
	PS_OP(REPLACE_COMMIT, ps_replace_commit, NULL, ps_none_policy),
	PS_OP(REPLACE_ABORT, ps_replace_abort, NULL, ps_none_policy),
};

static const struct genl_multicast_group ps_mcgrps[] = {
	{ .name = PORTSTEER_MCGRP_CONFIG, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family ps_genl_family __ro_after_init = {
	.name		= PORTSTEER_GENL_NAME,
	.version	= PORTSTEER_GENL_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= ps_genl_ops,
	.n_ops		= ARRAY_SIZE(ps_genl_ops),
	.resv_start_op	= 0,	/* every command is validated strictly */
	.mcgrps		= ps_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(ps_mcgrps),
};

/* A transaction dies with the socket that opened it. */
static int ps_netlink_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct netlink_notify *n = ptr;
	struct ps_net *pn;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC)
		return NOTIFY_DONE;
	pn = ps_pernet(n->net);
	mutex_lock(&pn->lock);
	if (pn->txn && pn->txn->portid == n->portid)
		ps_txn_drop(pn);
	if (pn->txn_lost == n->portid)
		pn->txn_lost = 0;
	mutex_unlock(&pn->lock);
	return NOTIFY_DONE;
}

static struct notifier_block ps_netlink_notifier = {
	.notifier_call = ps_netlink_event,
};

int __init ps_genl_init(void)
{
	int err;

	err = genl_register_family(&ps_genl_family);
	if (err)
		goto err_family;
	err = netlink_register_notifier(&ps_netlink_notifier);
	if (err)
		goto err_notifier;
	return 0;

err_notifier:
	genl_unregister_family(&ps_genl_family);
err_family:
	return err;
}

void ps_genl_exit(void)
{
	netlink_unregister_notifier(&ps_netlink_notifier);
	genl_unregister_family(&ps_genl_family);
}
