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

/* The flags of a request, of which only @allowed may be set. */
static int ps_flags(const struct genl_info *info, u32 allowed, u32 *flags)
{
	const struct nlattr *attr = info->attrs[PORTSTEER_A_FLAGS];

	*flags = attr ? nla_get_u32(attr) : 0;
	if (*flags & ~allowed) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "a flag this command does not take");
		return -EINVAL;
	}
	return 0;
}

int portsteer_nl_service_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	struct ps_service *svc;
	struct ps_update *upd = &pn->upd;
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
	err = ps_update_begin(upd, pn);
	if (err)
		goto err_free;
	err = ps_update_service_new(upd, svc);
	if (err) {
		ps_update_abort(upd);
		goto err_free;
	}
	upd->nct += !!svc->ct_mark_mask;
	err = ps_commit(pn, upd, &pn->settings, info->extack);
	if (err)
		goto err_free;
	ps_config_add_service(&pn->cfg, svc);
	ps_notify(pn, PORTSTEER_SERVICE_NEW_NTF, svc, NULL, 0, false);
	err = ps_update_checked(pn, info->extack);
	goto out;
err_free:
	ps_service_free_rcu(svc);
out:
	mutex_unlock(&pn->lock);
	return err;
}

int portsteer_nl_service_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[PORTSTEER_SERVICE_A_MAX + 1];
	struct ps_net *pn = ps_info_pn(info);
	struct ps_service *svc, old;
	struct ps_update *upd = &pn->upd;
	u32 nct;
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
	if (err)
		goto err_restore;
	/* Only the service's slot changes: not the port tables. */
	err = ps_update_begin(upd, pn);
	if (err)
		goto err_restore;
	err = ps_update_service_set(upd, svc);
	if (err) {
		ps_update_abort(upd);
		goto err_restore;
	}
	nct = pn->cfg.nct - !!old.ct_mark_mask + !!svc->ct_mark_mask;
	upd->nct = nct;
	err = ps_commit(pn, upd, &pn->settings, info->extack);
	if (err)
		goto err_restore;
	pn->cfg.nct = nct;
	ps_notify(pn, PORTSTEER_SERVICE_SET_NTF, svc, NULL, 0, false);
	err = ps_update_checked(pn, info->extack);
	goto out;
err_restore:
	svc->qbase = old.qbase;
	svc->qcount = old.qcount;
	svc->balance = old.balance;
	svc->bypass = old.bypass;
	svc->mark = old.mark;
	svc->mark_mask = old.mark_mask;
	svc->ct_mark = old.ct_mark;
	svc->ct_mark_mask = old.ct_mark_mask;
out:
	mutex_unlock(&pn->lock);
	return err;
}

/* The rules of a service, in a new array of @svc->nrules (at least one). */
static struct ps_rule_node **ps_service_rules(struct ps_config *cfg,
					      const struct ps_service *svc)
{
	struct ps_rule_node **nodes, *n;
	unsigned int pi, g;
	struct rb_node *p;
	u32 i = 0;

	nodes = kvmalloc_array(max(svc->nrules, 1U), sizeof(*nodes),
			       PS_GFP_CONFIG);
	if (!nodes)
		return NULL;
	for (pi = 0; pi < PS_NPROTOS; pi++)
		for (g = 0; g < PS_NGROUPS; g++)
			for (p = rb_first(&cfg->rules.root[pi][g]); p;
			     p = rb_next(p)) {
				n = rb_entry(p, struct ps_rule_node, node);
				if (n->r.svc == svc && !WARN_ON(i >= svc->nrules))
					nodes[i++] = n;
			}
	return nodes;
}

int portsteer_nl_service_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[PORTSTEER_SERVICE_A_MAX + 1];
	struct ps_net *pn = ps_info_pn(info);
	struct ps_rule_node **nodes = NULL;
	struct ps_service *svc;
	struct ps_update *upd = &pn->upd;
	u32 flags, i;
	int err;

	err = ps_flags(info, PORTSTEER_F_WITH_RULES, &flags);
	if (err)
		return err;
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
	nodes = ps_service_rules(&pn->cfg, svc);
	if (!nodes) {
		err = -ENOMEM;
		goto out;
	}
	err = ps_update_begin(upd, pn);
	if (err)
		goto out;
	for (i = 0; i < svc->nrules && !err; i++)
		err = ps_update_rule(upd, &nodes[i]->r, 0);
	if (err) {
		ps_update_abort(upd);
		goto out;
	}
	ps_update_service_del(upd, svc);
	upd->nrules -= svc->nrules;
	upd->nct -= !!svc->ct_mark_mask;
	err = ps_commit(pn, upd, &pn->settings, info->extack);
	if (err)
		goto out;
	for (i = 0; i < svc->nrules; i++) {
		ps_ruleset_erase(&pn->cfg.rules, nodes[i]);
		ps_rule_node_free(nodes[i]);
	}
	ps_config_unlink_service(&pn->cfg, svc);
	ps_notify(pn, PORTSTEER_SERVICE_DEL_NTF, svc, NULL, 0, false);
	ps_service_free_rcu(svc);
	err = ps_update_checked(pn, info->extack);
out:
	kvfree(nodes);
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

/*
 * RULE_NEW: the rules of the request are added; with PORTSTEER_F_REPLACE, one
 * with exactly the protocol, family, direction and ports of a rule there
 * changes that rule's service instead, in the same one change. Each rule
 * costs O(log N) to check and place, and its ports cost what they touch
 * of the table.
 */
int portsteer_nl_rule_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	struct ps_rule_node **nodes = NULL;
	u32 nadd, nnew = 0, i, a, b, flags;
	const struct ps_rule *clash;
	struct ps_update *upd = &pn->upd;
	struct ps_rule *add;
	bool replace;
	int err;

	err = ps_flags(info, PORTSTEER_F_REPLACE, &flags);
	if (err)
		return err;
	replace = flags & PORTSTEER_F_REPLACE;
	mutex_lock(&pn->lock);
	err = ps_rules_from_msg(pn, info, true, &add, &nadd);
	if (err)
		goto out;
	if (!replace && pn->cfg.rules.n + nadd > pn->max_rules)
		goto out_limit;
	ps_rules_sort(add, nadd);
	if (ps_rules_check(add, nadd, &a, &b)) {
		ps_overlap_msg(pn, info, &add[b], &add[a], true);
		err = -EEXIST;
		goto out_free;
	}
	nodes = kvcalloc(nadd, sizeof(*nodes), PS_GFP_CONFIG);
	if (!nodes) {
		err = -ENOMEM;
		goto out_free;
	}
	/* A rule replaced is its node; a new one, NULL for now. */
	for (i = 0; i < nadd; i++) {
		struct ps_rule_node *n = NULL;

		if (replace) {
			n = ps_ruleset_find(&pn->cfg.rules, &add[i]);
			if (n && !ps_rule_same(&n->r, &add[i]))
				n = NULL;
		}
		if (n) {
			nodes[i] = n;
			continue;
		}
		clash = ps_ruleset_conflict(&pn->cfg.rules, &add[i]);
		if (clash) {
			ps_overlap_msg(pn, info, &add[i], clash, false);
			err = -EEXIST;
			goto out_free;
		}
		nnew++;
	}
	if (pn->cfg.rules.n + nnew > pn->max_rules)
		goto out_limit;
	for (i = 0; i < nadd; i++) {
		if (nodes[i])
			continue;
		nodes[i] = ps_rule_node_alloc(&add[i]);
		if (!nodes[i]) {
			err = -ENOMEM;
			goto out_nodes;
		}
		nodes[i]->r.flags = PS_RULE_NEW;
	}
	err = ps_update_begin(upd, pn);
	if (err)
		goto out_nodes;
	for (i = 0; i < nadd && !err; i++)
		err = ps_update_rule(upd, &add[i], add[i].svc->slot + 1);
	if (err) {
		ps_update_abort(upd);
		goto out_nodes;
	}
	upd->nrules += nnew;
	err = ps_commit(pn, upd, &pn->settings, info->extack);
	if (err)
		goto out_nodes;
	for (i = 0; i < nadd; i++) {
		struct ps_rule_node *n = nodes[i];

		if (n->r.flags & PS_RULE_NEW) {
			n->r.flags = 0;
			ps_ruleset_insert(&pn->cfg.rules, n);
		} else {
			n->r.svc->nrules--;
			n->r.svc = add[i].svc;
		}
		add[i].svc->nrules++;
		nodes[i] = NULL;
	}
	ps_notify(pn, PORTSTEER_RULE_NEW_NTF, NULL, add, nadd, false);
	err = ps_update_checked(pn, info->extack);
	goto out_free;
out_limit:
	NL_SET_ERR_MSG_FMT(info->extack, "too many rules (limit %u)",
			   pn->max_rules);
	err = -ENOSPC;
	goto out_free;
out_nodes:
	for (i = 0; i < nadd; i++)
		if (nodes[i] && (nodes[i]->r.flags & PS_RULE_NEW))
			ps_rule_node_free(nodes[i]);
out_free:
	kvfree(nodes);
	kvfree(add);
out:
	mutex_unlock(&pn->lock);
	return err;
}

int portsteer_nl_rule_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	struct ps_rule_node **nodes = NULL;
	struct ps_update *upd = &pn->upd;
	u32 ndel, i, j;
	struct ps_rule *del;
	char buf[48];
	int err;

	mutex_lock(&pn->lock);
	err = ps_rules_from_msg(pn, info, false, &del, &ndel);
	if (err)
		goto out;
	nodes = kvmalloc_array(ndel, sizeof(*nodes), PS_GFP_CONFIG);
	if (!nodes) {
		err = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < ndel; i++) {
		struct ps_rule_node *n = ps_ruleset_find(&pn->cfg.rules, &del[i]);

		if (!n || n->r.hi != del[i].hi ||
		    (del[i].svc && del[i].svc != n->r.svc)) {
			err = -ENOENT;
			break;
		}
		/* Marked while the request is looked at: given twice? */
		if (n->r.flags & PS_RULE_GONE) {
			err = -EINVAL;
			break;
		}
		n->r.flags |= PS_RULE_GONE;
		del[i].svc = n->r.svc;
		nodes[i] = n;
	}
	for (j = 0; j < i; j++)
		nodes[j]->r.flags &= ~PS_RULE_GONE;
	if (err) {
		ps_rule_str(buf, sizeof(buf), &del[i]);
		if (err == -ENOENT)
			NL_SET_ERR_MSG_FMT(info->extack, "no rule '%s'", buf);
		else
			NL_SET_ERR_MSG_FMT(info->extack,
					   "rule '%s' is given twice", buf);
		goto out_free;
	}
	err = ps_update_begin(upd, pn);
	if (err)
		goto out_free;
	for (i = 0; i < ndel && !err; i++)
		err = ps_update_rule(upd, &nodes[i]->r, 0);
	if (err) {
		ps_update_abort(upd);
		goto out_free;
	}
	upd->nrules -= ndel;
	err = ps_commit(pn, upd, &pn->settings, info->extack);
	if (err)
		goto out_free;
	for (i = 0; i < ndel; i++) {
		nodes[i]->r.svc->nrules--;
		ps_ruleset_erase(&pn->cfg.rules, nodes[i]);
		ps_rule_node_free(nodes[i]);
	}
	ps_notify(pn, PORTSTEER_RULE_DEL_NTF, NULL, del, ndel, false);
	err = ps_update_checked(pn, info->extack);
out_free:
	kvfree(nodes);
	kvfree(del);
out:
	mutex_unlock(&pn->lock);
	return err;
}

/*
 * A dump resumes after the last rule it sent, by its key: cb->args[0] says
 * whether there is one, cb->args[1] and [2] hold it.
 */
int portsteer_nl_rule_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct ps_net *pn = ps_pernet(sock_net(skb->sk));
	struct ps_rule last = { };
	const struct ps_rule *r;
	struct ps_rule_iter it;
	void *hdr;

	mutex_lock(&pn->lock);
	cb->seq = pn->generation;
	if (cb->args[0]) {
		last.proto = cb->args[1] & 0xff;
		last.lo = cb->args[1] >> 8;
		last.family = cb->args[2] & 0xff;
		last.dir = cb->args[2] >> 8;
	}
	ps_rule_iter_start(&it, &pn->cfg.rules, cb->args[0] ? &last : NULL);
	while ((r = ps_rule_iter_next(&it))) {
		hdr = ps_dump_hdr(skb, cb, PORTSTEER_CMD_RULE_GET, pn->generation);
		if (!hdr)
			break;
		if (ps_put_rule(skb, r)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = 1;
		cb->args[1] = r->proto | (u32)r->lo << 8;
		cb->args[2] = r->family | (u32)r->dir << 8;
	}
	mutex_unlock(&pn->lock);
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
	if (!err) {
		ps_notify(pn, PORTSTEER_SETTINGS_SET_NTF, NULL, NULL, 0, true);
		err = ps_update_checked(pn, info->extack);
	}
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
	struct ps_update *upd = &pn->upd;
	struct ps_table *t;
	LIST_HEAD(none);
	size_t bytes;
	int err;

	mutex_lock(&pn->lock);
	err = ps_update_begin(upd, pn);
	if (err)
		goto out;
	t = ps_table_build(&none, 0, NULL, 0, &pn->settings, &bytes);
	if (!t) {
		ps_update_abort(upd);
		err = -ENOMEM;
		goto out;
	}
	ps_update_whole(upd, t, bytes);
	upd->nrules = 0;
	upd->nct = 0;
	err = ps_commit(pn, upd, &pn->settings, info->extack);
	if (!err) {
		ps_config_free(&pn->cfg);
		ps_notify(pn, PORTSTEER_FLUSH_NTF, NULL, NULL, 0, false);
		err = ps_update_checked(pn, info->extack);
	}
out:
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
				     PS_MCGRP_ADMIN },
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
