// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: the commit of a configuration, and what goes with it: the
 * netfilter hook's registration, the defragmentation references, the
 * publication of the table; and their end with the namespace.
 */

#include <linux/netfilter_ipv4.h>
#include <linux/slab.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>

#include "portsteer.h"

/**
 * ps_hook_free() - unregister a registration that is no longer active
 * @pn: the namespace
 * @h: the registration, inactive
 * @grace: wait for the packets already in the hook first
 *
 * Unregistering a netfilter hook makes the kernel drop every packet queued
 * in the namespace (nf_queue_nf_hook_drop()), those of other NFQUEUE users
 * too: portsteer unregisters only when the hook or priority changes and when
 * the namespace goes, never when rules come and go. The packets already in
 * the hook queue nothing more once it is inactive; see
 * ps_compat_queue_drop() for what 6.1 needs before the hook goes.
 */
static void ps_hook_free(struct ps_net *pn, struct ps_hook *h, bool grace)
{
	if (grace)
		synchronize_net();
	ps_compat_queue_drop(pn->net);
	nf_unregister_net_hook(pn->net, &h->ops);
	kfree_rcu(h, rcu);
}

static struct ps_hook *ps_hook_register(struct ps_net *pn,
					const struct ps_settings *s)
{
	struct ps_hook *h;
	int err;

	h = kzalloc(sizeof(*h), PS_GFP_CONFIG);
	if (!h)
		return ERR_PTR(-ENOMEM);
	h->pn = pn;
	h->ops.hook = ps_hook_fn;
	h->ops.pf = NFPROTO_INET;
	h->ops.hooknum = s->hook == PORTSTEER_HOOK_INPUT ? NF_INET_LOCAL_IN
							 : NF_INET_PRE_ROUTING;
	h->ops.priority = s->priority;
	h->ops.priv = h;
	err = nf_register_net_hook(pn->net, &h->ops);
	if (err) {
		kfree(h);
		return ERR_PTR(err);
	}
	return h;
}

static int ps_defrag_enable(struct net *net)
{
	int err;

	err = nf_defrag_ipv4_enable(net);
	if (err)
		return err;
	err = nf_defrag_ipv6_enable(net);
	if (err)
		nf_defrag_ipv4_disable(net);
	return err;
}

static void ps_defrag_disable(struct net *net)
{
	nf_defrag_ipv6_disable(net);
	nf_defrag_ipv4_disable(net);
}

/**
 * ps_commit() - make a configuration the one the packet path uses
 * @pn: the namespace, its lock held
 * @services: the services
 * @nservices: number of @services
 * @rules: the rules, sorted and free of overlaps
 * @nrules: number of rules
 * @s: the settings
 * @extack: for errors
 *
 * Builds the lookup table, registers the hooks when there are rules (again
 * when hook or priority changed) and unregisters them when there are none,
 * takes or drops the defragmentation references, then publishes the table.
 * Everything that can fail is done before anything is published, so on
 * error the packet path and the settings are as they were. The caller owns
 * the model (@services and @rules) before and after.
 *
 * Return: 0 or a negative errno.
 */
int ps_commit(struct ps_net *pn, const struct list_head *services,
	      u32 nservices, const struct ps_rule *rules, u32 nrules,
	      const struct ps_settings *s, struct netlink_ext_ack *extack)
{
	bool moved = pn->hook && (pn->settings.hook != s->hook ||
				  pn->settings.priority != s->priority);
	struct ps_hook *old = pn->hook, *new_hook = NULL;
	bool want_hook = nrules > 0;
	/*
	 * Defragmentation goes with the registration: unregistering its hooks
	 * would drop the namespace's queued packets too.
	 */
	bool want_defrag = s->defrag && (want_hook || (old && !moved));
	struct ps_table *t, *old_table;
	bool defrag_taken = false;
	int err;

	lockdep_assert_held(&pn->lock);

	t = ps_table_build(services, nservices, rules, nrules, s);
	if (!t) {
		NL_SET_ERR_MSG(extack, "out of memory building the lookup table");
		return -ENOMEM;
	}

	if (want_defrag && !pn->defrag_on) {
		err = ps_defrag_enable(pn->net);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot enable defragmentation");
			goto err_defrag;
		}
		defrag_taken = true;
	}

	if (want_hook && (!old || moved)) {
		new_hook = ps_hook_register(pn, s);
		if (IS_ERR(new_hook)) {
			err = PTR_ERR(new_hook);
			NL_SET_ERR_MSG(extack, "cannot register the netfilter hooks");
			goto err_hook;
		}
	}

	/* Nothing fails from here on. */
	old_table = rcu_replace_pointer(pn->table, t, lockdep_is_held(&pn->lock));
	if (new_hook)
		WRITE_ONCE(new_hook->active, true);
	if (moved) {
		/*
		 * A packet between the old hook point and the new one meets
		 * an active hook at one of them at least: both are active
		 * until the packets in flight have passed (one may then be
		 * classified at both; see "Settings" in the documentation).
		 */
		if (new_hook)
			synchronize_net();
		WRITE_ONCE(old->active, false);
		ps_hook_free(pn, old, true);
		pn->hook = new_hook;
	} else if (new_hook) {
		pn->hook = new_hook;
	} else if (old) {
		/* Rules came or went: the registration stays. */
		WRITE_ONCE(old->active, want_hook);
	}
	if (!want_defrag && pn->defrag_on)
		ps_defrag_disable(pn->net);
	pn->defrag_on = want_defrag;
	pn->settings = *s;
	pn->generation++;
	if (old_table)
		kvfree_rcu(old_table, rcu);
	return 0;

err_hook:
	if (defrag_taken)
		ps_defrag_disable(pn->net);
err_defrag:
	kvfree(t);
	return err;
}

/**
 * ps_net_deactivate() - stop classifying in a namespace that is going away
 * @pn: the namespace
 *
 * Called from the pernet pre_exit, without waiting: the netns core waits
 * for one grace period for every namespace of the batch before the exit
 * handlers run, and ps_net_release() then unregisters.
 */
void ps_net_deactivate(struct ps_net *pn)
{
	mutex_lock(&pn->lock);
	if (pn->hook)
		WRITE_ONCE(pn->hook->active, false);
	mutex_unlock(&pn->lock);
}

/**
 * ps_net_release() - unregister the hooks of a namespace that has gone
 * @pn: the namespace, deactivated by ps_net_deactivate() a grace period ago
 *
 * Its devices are gone and it has no sockets, so nothing is in the hook
 * and nothing is queued: no grace period to wait for, no packet to drop.
 */
void ps_net_release(struct ps_net *pn)
{
	if (pn->hook)
		ps_hook_free(pn, pn->hook, false);
	pn->hook = NULL;
	if (pn->defrag_on)
		ps_defrag_disable(pn->net);
	pn->defrag_on = false;
}

/* Commit the namespace's current model with other settings. */
int ps_recommit_with(struct ps_net *pn, const struct ps_settings *s,
		     struct netlink_ext_ack *extack)
{
	return ps_commit(pn, &pn->cfg.services, pn->cfg.nservices,
			 pn->cfg.rules, pn->cfg.nrules, s, extack);
}

/* Commit the namespace's current model again (after a change to a service). */
int ps_recommit(struct ps_net *pn, struct netlink_ext_ack *extack)
{
	return ps_recommit_with(pn, &pn->settings, extack);
}

/*
 * Commit the namespace's services with @n new @rules; on success the array
 * becomes the model's (the old one is freed), on failure it stays the
 * caller's.
 */
int ps_commit_rules(struct ps_net *pn, struct ps_rule *rules, u32 n,
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
