// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: the generic netlink family "portsteer", and the handlers of
 * services, rules, settings and counters (txn.c has those of replace
 * transactions). The policies and the op table are generated from the spec
 * (netlink-gen.c); a handler runs under the namespace's mutex, parses with
 * nlattr.c, edits the model (config.c) and hands it to ps_commit(), which
 * publishes a new lookup table or fails leaving everything as it was; then
 * it tells the "config" group.
 */

#include <linux/netlink.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "nlattr.h"

int portsteer_nl_service_new_doit(struct sk_buff *skb, struct genl_info *info)
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
	ps_notify(pn, PORTSTEER_SERVICE_NEW_NTF, svc, NULL, 0, false);
out:
	mutex_unlock(&pn->lock);
	return err;
}

int portsteer_nl_service_set_doit(struct sk_buff *skb, struct genl_info *info)
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
		svc->mark = old.mark;
		svc->mark_mask = old.mark_mask;
		svc->ct_mark = old.ct_mark;
		svc->ct_mark_mask = old.ct_mark_mask;
		goto out;
	}
	ps_notify(pn, PORTSTEER_SERVICE_SET_NTF, svc, NULL, 0, false);
out:
	mutex_unlock(&pn->lock);
	return err;
}

int portsteer_nl_service_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[PORTSTEER_SERVICE_A_MAX + 1];
	struct ps_net *pn = ps_info_pn(info);
	struct ps_rule *rules = NULL;
	struct ps_service *svc;
	u32 flags = 0;
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
		rules = ps_rules_without(&pn->cfg, svc);
		if (!rules) {
			err = -ENOMEM;
			goto out;
		}
	}
	ps_config_unlink_service(&pn->cfg, svc);
	if (rules)
		err = ps_commit_rules(pn, rules, pn->cfg.nrules - svc->nrules,
				      info->extack);
	else
		err = ps_recommit(pn, info->extack);
	if (err) {
		ps_config_add_service(&pn->cfg, svc);
		kvfree(rules);
		goto out;
	}
	ps_notify(pn, PORTSTEER_SERVICE_DEL_NTF, svc, NULL, 0, false);
	ps_service_free_rcu(svc);
out:
	mutex_unlock(&pn->lock);
	return err;
}

int portsteer_nl_service_get_doit(struct sk_buff *skb, struct genl_info *info)
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
		err = ps_reply(info, pn, PORTSTEER_CMD_SERVICE_GET, svc, false,
			       false);
	mutex_unlock(&pn->lock);
	return err;
}

int portsteer_nl_service_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
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

int portsteer_nl_rule_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	struct ps_rule *add, *rules, clash[2];
	bool clash_new;
	u32 nadd, i;
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
	rules = ps_rules_merge(&pn->cfg, add, nadd, clash, &clash_new);
	if (IS_ERR(rules)) {
		err = PTR_ERR(rules);
		if (err == -EEXIST)
			ps_overlap_msg(pn, info, &clash[0], &clash[1], clash_new);
		goto out_free;
	}
	err = ps_commit_rules(pn, rules, pn->cfg.nrules + nadd, info->extack);
	if (err) {
		kvfree(rules);
		goto out_free;
	}
	for (i = 0; i < nadd; i++)
		add[i].svc->nrules++;
	ps_notify(pn, PORTSTEER_RULE_NEW_NTF, NULL, add, nadd, false);
out_free:
	kvfree(add);
out:
	mutex_unlock(&pn->lock);
	return err;
}

int portsteer_nl_rule_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	struct ps_rule *del, *rules;
	u32 ndel, bad, i;
	char buf[48];
	int err;

	mutex_lock(&pn->lock);
	err = ps_rules_from_msg(pn, info, false, &del, &ndel);
	if (err)
		goto out;
	rules = ps_rules_remove(&pn->cfg, del, ndel, &bad);
	if (IS_ERR(rules)) {
		err = PTR_ERR(rules);
		if (err != -ENOMEM)
			ps_rule_str(buf, sizeof(buf), &del[bad]);
		if (err == -ENOENT)
			NL_SET_ERR_MSG_FMT(info->extack, "no rule '%s'", buf);
		else if (err == -EINVAL)
			NL_SET_ERR_MSG_FMT(info->extack,
					   "rule '%s' is given twice", buf);
		goto out_free;
	}
	err = ps_commit_rules(pn, rules, pn->cfg.nrules - ndel, info->extack);
	if (err) {
		kvfree(rules);
		goto out_free;
	}
	for (i = 0; i < ndel; i++)
		del[i].svc->nrules--;
	ps_notify(pn, PORTSTEER_RULE_DEL_NTF, NULL, del, ndel, false);
out_free:
	kvfree(del);
out:
	mutex_unlock(&pn->lock);
	return err;
}

int portsteer_nl_rule_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
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

int portsteer_nl_settings_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	int err;

	mutex_lock(&pn->lock);
	err = ps_reply(info, pn, PORTSTEER_CMD_SETTINGS_GET, NULL, true, false);
	mutex_unlock(&pn->lock);
	return err;
}

int portsteer_nl_settings_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	struct ps_settings s;
	u32 set = 0;
	int err;

	err = ps_settings_precheck(info);
	if (err)
		return err;
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
		ps_notify(pn, PORTSTEER_SETTINGS_SET_NTF, NULL, NULL, 0, true);
	mutex_unlock(&pn->lock);
	return err;
}

int portsteer_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	int err;

	mutex_lock(&pn->lock);
	err = ps_reply(info, pn, PORTSTEER_CMD_STATS_GET, NULL, false, true);
	mutex_unlock(&pn->lock);
	return err;
}

int portsteer_nl_stats_reset_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);

	mutex_lock(&pn->lock);
	ps_net_stats_reset(pn);
	ps_notify(pn, PORTSTEER_STATS_RESET_NTF, NULL, NULL, 0, false);
	mutex_unlock(&pn->lock);
	return 0;
}

int portsteer_nl_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	LIST_HEAD(none);
	int err;

	mutex_lock(&pn->lock);
	err = ps_commit(pn, &none, 0, NULL, 0, &pn->settings, info->extack);
	if (!err) {
		ps_config_free(&pn->cfg);
		ps_notify(pn, PORTSTEER_FLUSH_NTF, NULL, NULL, 0, false);
	}
	mutex_unlock(&pn->lock);
	return err;
}

/*
 * The generator (as of 7.2) leaves the flags of a multicast group out of
 * the family it writes, though the spec gives them: joining "config" needs
 * CAP_NET_ADMIN over the namespace's user namespace, as every command does.
 */
static const struct genl_multicast_group ps_mcgrps[] = {
	[PORTSTEER_NLGRP_CONFIG] = { .name  = PORTSTEER_MCGRP_CONFIG,
				     .flags = GENL_MCAST_CAP_NET_ADMIN },
};

/*
 * An op of the generated table that takes no attribute has no policy. Give
 * it one that refuses every attribute of the family, strictly: 7.2 fills in
 * a reject-all policy for such split ops itself, 6.12 lets their attributes
 * through unvalidated. The same answers on every kernel, and a request with
 * an attribute it does not take is refused, never ignored.
 */
static const struct nla_policy ps_none_policy[PORTSTEER_A_MAX + 1];
static struct genl_split_ops ps_ops[2 * PORTSTEER_CMD_MAX];

static int ps_genl_ops_fixup(struct genl_family *family)
{
	unsigned int i;

	if (WARN_ON(family->n_split_ops > ARRAY_SIZE(ps_ops)))
		return -EINVAL;
	for (i = 0; i < family->n_split_ops; i++) {
		ps_ops[i] = family->split_ops[i];
		if (!ps_ops[i].policy) {
			ps_ops[i].policy = ps_none_policy;
			ps_ops[i].maxattr = PORTSTEER_A_MAX;
		}
	}
	family->split_ops = ps_ops;
	return 0;
}

int __init ps_genl_init(void)
{
	int err;

	BUILD_BUG_ON(ARRAY_SIZE(ps_mcgrps) != 1);
	portsteer_nl_family.mcgrps = ps_mcgrps;
	err = ps_genl_ops_fixup(&portsteer_nl_family);
	if (err)
		goto err_family;
	err = ps_compat_genl_ops(&portsteer_nl_family);
	if (err)
		goto err_family;
	err = genl_register_family(&portsteer_nl_family);
	if (err)
		goto err_family;
	err = ps_txn_init();
	if (err)
		goto err_txn;
	return 0;

err_txn:
	genl_unregister_family(&portsteer_nl_family);
err_family:
	return err;
}

void ps_genl_exit(void)
{
	ps_txn_exit();
	genl_unregister_family(&portsteer_nl_family);
}
