// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: replace transactions. REPLACE_BEGIN opens one for the sending
 * socket, REPLACE_ADD stages services, rules and settings in a model of its
 * own, REPLACE_COMMIT checks the whole of it and publishes it in one
 * ps_commit(), or changes nothing. The transaction dies with its socket.
 */

#include <linux/netlink.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "nlattr.h"

void ps_txn_free(struct ps_txn *txn)
{
	if (!txn)
		return;
	ps_config_free(&txn->cfg);
	kvfree(txn->rules);
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
int portsteer_nl_replace_begin_doit(struct sk_buff *skb, struct genl_info *info)
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
	struct ps_rule *grown;
	int err;

	if (txn->nrules >= pn->max_rules) {
		NL_SET_ERR_MSG_FMT(extack, "too many rules (limit %u)",
				   pn->max_rules);
		return -ENOSPC;
	}
	if (txn->nrules == txn->rules_cap) {
		u32 cap = max(txn->rules_cap * 2, 64U);

		grown = kvmalloc_array(cap, sizeof(*grown), PS_GFP_CONFIG);
		if (!grown)
			return -ENOMEM;
		if (txn->nrules)
			memcpy(grown, txn->rules, txn->nrules * sizeof(*grown));
		kvfree(txn->rules);
		txn->rules = grown;
		txn->rules_cap = cap;
	}
	err = ps_rule_parse(&txn->cfg, attr, &txn->rules[txn->nrules], true,
			    extack);
	if (err)
		return err;
	txn->rules[txn->nrules++].svc->nrules++;
	return 0;
}

int portsteer_nl_replace_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	const struct nlattr *attr;
	struct ps_service *svc;
	struct ps_txn *txn;
	int rem, err;

	err = ps_settings_precheck(info);
	if (err)
		return err;
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

int portsteer_nl_replace_commit_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	struct ps_settings settings;
	struct ps_update *upd = &pn->upd;
	struct ps_table *t;
	struct ps_txn *txn;
	size_t bytes;
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
	ps_rules_sort(txn->rules, txn->nrules);
	if (ps_rules_check(txn->rules, txn->nrules, &a, &b)) {
		char sa[32], sb[32];

		ps_rule_str(sa, sizeof(sa), &txn->rules[a]);
		ps_rule_str(sb, sizeof(sb), &txn->rules[b]);
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
	/* The model's rule set and the table, built whole, as one change. */
	err = ps_ruleset_from_array(&txn->cfg.rules, txn->rules, txn->nrules);
	if (err)
		goto drop;
	err = ps_update_begin(upd, pn);
	if (err)
		goto drop;
	/* The table counts into the counters the services keep. */
	ps_txn_swap_stats(pn, txn);
	t = ps_table_build(&txn->cfg.services, txn->cfg.nservices, txn->rules,
			   txn->nrules, &settings, &bytes);
	if (!t) {
		ps_update_abort(upd);
		NL_SET_ERR_MSG(info->extack, "out of memory building the lookup table");
		err = -ENOMEM;
		goto err_stats;
	}
	ps_update_whole(upd, t, bytes);
	upd->nrules = txn->nrules;
	upd->nct = txn->cfg.nct;
	err = ps_commit(pn, upd, &settings, info->extack);
	if (err)
		goto err_stats;
	ps_config_free(&pn->cfg);
	ps_config_move(&pn->cfg, &txn->cfg);
	ps_notify(pn, PORTSTEER_REPLACE_COMMIT_NTF, NULL, NULL, 0, false);
	err = ps_update_checked(pn, info->extack);
	goto drop;
err_stats:
	ps_txn_swap_stats(pn, txn);
drop:
	ps_txn_drop(pn);
out:
	mutex_unlock(&pn->lock);
	return err;
}

int portsteer_nl_replace_abort_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ps_net *pn = ps_info_pn(info);
	int err = 0;

	mutex_lock(&pn->lock);
	if (ps_txn_get(pn, info, &err))
		ps_txn_drop(pn);
	mutex_unlock(&pn->lock);
	return err;
}

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

int __init ps_txn_init(void)
{
	return netlink_register_notifier(&ps_netlink_notifier);
}

void ps_txn_exit(void)
{
	netlink_unregister_notifier(&ps_netlink_notifier);
}
