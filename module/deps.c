// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: what a setting needs at run time and nothing loads for it:
 * IPv4 and IPv6 defragmentation, and conntrack (for a service's conntrack
 * mark). portsteer does not link their modules, so that it loads on a
 * kernel that has loaded nothing else (insmod): a setting that asks for one
 * brings its module in (request_module(), as nf_tables does for its
 * expressions) and calls its functions through symbol_get(); the reference
 * on the enable function keeps the module for as long as the feature is on.
 */

#include <linux/kmod.h>
#include <linux/module.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include <net/netfilter/nf_conntrack.h>

#include "portsteer.h"

/* __symbol_get() of @name, after loading @mod if it is not there yet. */
static void *ps_symbol_load(const char *name, const char *mod)
{
	void *f = __symbol_get(name);

	if (!f) {
		request_module("%s", mod);
		f = __symbol_get(name);
	}
	return f;
}

/*
 * symbol_get() of an enable function, loading its module if need be; the
 * reference it holds keeps the module while the feature is on.
 */
#define ps_symbol_get(sym, mod) ((typeof(sym) *)ps_symbol_load(#sym, mod))

#ifdef PS_COMPAT_DEFRAG_STAYS
/* Defragmentation stays on in @net (compat.h): only the module is let go. */
static void ps_defrag_ipv4_put(struct net *net)
{
	symbol_put(nf_defrag_ipv4_enable);
}

static void ps_defrag_ipv6_put(struct net *net)
{
	symbol_put(nf_defrag_ipv6_enable);
}
#else
static void ps_defrag_ipv4_put(struct net *net)
{
	typeof(nf_defrag_ipv4_disable) *off = symbol_get(nf_defrag_ipv4_disable);

	if (!WARN_ON_ONCE(!off)) {
		off(net);
		symbol_put(nf_defrag_ipv4_disable);
	}
	symbol_put(nf_defrag_ipv4_enable);
}

static void ps_defrag_ipv6_put(struct net *net)
{
	typeof(nf_defrag_ipv6_disable) *off = symbol_get(nf_defrag_ipv6_disable);

	if (!WARN_ON_ONCE(!off)) {
		off(net);
		symbol_put(nf_defrag_ipv6_disable);
	}
	symbol_put(nf_defrag_ipv6_enable);
}
#endif

/**
 * ps_defrag_get() - turn IPv4 and IPv6 defragmentation on in a namespace
 * @net: the namespace
 * @extack: names the module that cannot be loaded
 *
 * Return: 0, or a negative errno with @extack set.
 */
int ps_defrag_get(struct net *net, struct netlink_ext_ack *extack)
{
	typeof(nf_defrag_ipv4_enable) *on4;
	typeof(nf_defrag_ipv6_enable) *on6;
	int err = -EOPNOTSUPP;

	on4 = ps_symbol_get(nf_defrag_ipv4_enable, "nf_defrag_ipv4");
	if (!on4) {
		NL_SET_ERR_MSG(extack, "cannot load module nf_defrag_ipv4");
		return err;
	}
	err = on4(net);
	if (err)
		goto err_put4;
	on6 = ps_symbol_get(nf_defrag_ipv6_enable, "nf_defrag_ipv6");
	if (!on6) {
		NL_SET_ERR_MSG(extack, "cannot load module nf_defrag_ipv6");
		err = -EOPNOTSUPP;
		goto err_off4;
	}
	err = on6(net);
	if (err)
		goto err_put6;
	return 0;

err_put6:
	symbol_put(nf_defrag_ipv6_enable);
	NL_SET_ERR_MSG(extack, "cannot turn IPv6 defragmentation on");
err_off4:
	ps_defrag_ipv4_put(net);
	return err;
err_put4:
	symbol_put(nf_defrag_ipv4_enable);
	NL_SET_ERR_MSG(extack, "cannot turn IPv4 defragmentation on");
	return err;
}

/*
 * Turning defragmentation or conntrack off unregisters their hooks, which
 * sit before portsteer's: see ps_compat_queue_drop() for what the packets
 * portsteer queued need first before 6.10.
 */
void ps_defrag_put(struct net *net)
{
	ps_compat_queue_drop(net);
	ps_defrag_ipv6_put(net);
	ps_defrag_ipv4_put(net);
}

/**
 * ps_conntrack_get() - turn conntrack on in a namespace, for both families
 * @net: the namespace
 * @extack: names what is missing
 *
 * Return: 0, or a negative errno with @extack set.
 */
int ps_conntrack_get(struct net *net, struct netlink_ext_ack *extack)
{
	typeof(nf_ct_netns_get) *on;
	int err;

	if (!IS_ENABLED(CONFIG_NF_CONNTRACK_MARK)) {
		NL_SET_ERR_MSG(extack,
			       "this kernel has no conntrack marks (CONFIG_NF_CONNTRACK_MARK)");
		return -EOPNOTSUPP;
	}
	on = ps_symbol_get(nf_ct_netns_get, "nf_conntrack");
	if (!on) {
		NL_SET_ERR_MSG(extack, "cannot load module nf_conntrack");
		return -EOPNOTSUPP;
	}
	err = on(net, NFPROTO_INET);
	if (err) {
		symbol_put(nf_ct_netns_get);
		NL_SET_ERR_MSG(extack, "cannot turn conntrack on");
	}
	return err;
}

void ps_conntrack_put(struct net *net)
{
	typeof(nf_ct_netns_put) *off = symbol_get(nf_ct_netns_put);

	ps_compat_queue_drop(net);
	if (!WARN_ON_ONCE(!off)) {
		off(net, NFPROTO_INET);
		symbol_put(nf_ct_netns_put);
	}
	symbol_put(nf_ct_netns_get);
}
