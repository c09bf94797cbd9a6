// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: the commit of a configuration, and what goes with it: the
 * netfilter hooks' registration, the defragmentation and conntrack
 * references, the publication of the table; and their end with the
 * namespace.
 */

#include <linux/netfilter_ipv4.h>
#include <linux/slab.h>

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
	nf_unregister_net_hooks(pn->net, h->ops, h->nops);
	kfree_rcu(h, rcu);
}

static const u8 ps_hooknum[PS_NHOOKS] = {
	[PORTSTEER_HOOK_PREROUTING]	= NF_INET_PRE_ROUTING,
	[PORTSTEER_HOOK_INPUT]		= NF_INET_LOCAL_IN,
	[PORTSTEER_HOOK_FORWARD]	= NF_INET_FORWARD,
	[PORTSTEER_HOOK_OUTPUT]		= NF_INET_LOCAL_OUT,
};

static struct ps_hook *ps_hook_register(struct ps_net *pn,
					const struct ps_settings *s)
{
	unsigned long hooks = s->hooks;
	struct ps_hook *h;
	unsigned int i;
	int err;

	h = kzalloc(sizeof(*h), PS_GFP_CONFIG);
	if (!h)
		return ERR_PTR(-ENOMEM);
	h->pn = pn;
	for_each_set_bit(i, &hooks, PS_NHOOKS) {
		struct nf_hook_ops *ops = &h->ops[h->nops++];

		ops->hook = ps_hook_fn;
		ops->pf = NFPROTO_INET;
		ops->hooknum = ps_hooknum[i];
		ops->priority = s->priority;
		ops->priv = h;
	}
	err = nf_register_net_hooks(pn->net, h->ops, h->nops);
	if (err) {
		kfree(h);
		return ERR_PTR(err);
	}
	return h;
}

/**
 * ps_commit() - make a change the one the packet path uses
 * @pn: the namespace, its lock held
 * @upd: the change of the table, staged; published or aborted here
 * @s: the settings
 * @extack: for errors
 *
 * Registers the hooks when there are rules (again when the hooks or the
 * priority changed; while there are none they stand aside), takes or
 * drops the defragmentation and conntrack references (loading their
 * modules if need be), then publishes the table. Everything that can fail
 * is done before anything is published, so on error the packet path and
 * the settings are as they were. The caller changes its model once this
 * succeeded, then calls ps_update_checked().
 *
 * Return: 0 or a negative errno.
 */
int ps_commit(struct ps_net *pn, struct ps_update *upd,
	      const struct ps_settings *s, struct netlink_ext_ack *extack)
{
	bool moved = pn->hook && (pn->settings.hooks != s->hooks ||
				  pn->settings.priority != s->priority);
	struct ps_hook *old = pn->hook, *new_hook = NULL;
	bool want_hook = upd->nrules > 0;
	/*
	 * Defragmentation goes with the registration: unregistering its hooks
	 * would drop the namespace's queued packets too.
	 */
	bool want_defrag = s->defrag && (want_hook || (old && !moved));
	/*
	 * Conntrack too, and it stays with the registration once taken, so
	 * that a ct mark going does not drop the queued packets.
	 */
	bool has_ct = upd->nct > 0;
	bool want_ct = (has_ct || pn->conntrack_on) &&
		       (old && !moved ? true : has_ct && want_hook);
	bool defrag_taken = false, ct_taken = false;
	u32 touched;
	int err;

	lockdep_assert_held(&pn->lock);

	if (has_ct && s->priority <= NF_IP_PRI_CONNTRACK) {
		BUILD_BUG_ON(NF_IP_PRI_CONNTRACK != -200);
		NL_SET_ERR_MSG(extack,
			       "with a conntrack mark, the priority must be above -200 (conntrack)");
		err = -EINVAL;
		goto err_prepare;
	}
	err = ps_update_prepare(upd);
	if (err) {
		NL_SET_ERR_MSG(extack, "out of memory building the lookup table");
		goto err_prepare;
	}

	if (want_defrag && !pn->defrag_on) {
		err = ps_defrag_get(pn->net, extack);
		if (err)
			goto err_prepare;
		defrag_taken = true;
	}
	if (want_ct && !pn->conntrack_on) {
		err = ps_conntrack_get(pn->net, extack);
		if (err)
			goto err_ct;
		ct_taken = true;
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
	upd->t->seed = s->seed;
	upd->t->icmp_errors = s->icmp_errors;
	touched = upd->whole ? BIT(PS_NDIRS * PS_NPROTOS) - 1 : upd->touched;
	ps_update_publish(upd);
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
	if (!want_defrag && pn->defrag_on) {
		ps_defrag_put(pn->net);
		if (ps_compat_defrag_stays())
			NL_SET_ERR_MSG(extack,
				       "defragmentation stays on in this namespace: this kernel (before 5.13) cannot turn it off");
	}
	pn->defrag_on = want_defrag;
	if (!want_ct && pn->conntrack_on)
		ps_conntrack_put(pn->net);
	pn->conntrack_on = want_ct;
	pn->settings = *s;
	pn->generation++;
	pn->touched = touched;
	return 0;

err_hook:
	if (ct_taken)
		ps_conntrack_put(pn->net);
err_ct:
	if (defrag_taken)
		ps_defrag_put(pn->net);
err_prepare:
	ps_update_abort(upd);
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
		ps_defrag_put(pn->net);
	pn->defrag_on = false;
	if (pn->conntrack_on)
		ps_conntrack_put(pn->net);
	pn->conntrack_on = false;
}

/* Commit the namespace's configuration with other settings. */
int ps_recommit_with(struct ps_net *pn, const struct ps_settings *s,
		     struct netlink_ext_ack *extack)
{
	struct ps_update *upd = &pn->upd;
	int err;

	err = ps_update_begin(upd, pn);
	if (err)
		return err;
	return ps_commit(pn, upd, s, extack);
}
