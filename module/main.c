// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: module initialization and per network namespace lifetime.
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netfilter_ipv4.h>
#include <linux/random.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "portsteer.h"

unsigned int ps_net_id __read_mostly;

unsigned int ps_max_services __read_mostly = 4096;
module_param_named(max_services, ps_max_services, uint, 0444);
MODULE_PARM_DESC(max_services, "Services allowed in a network namespace (default 4096, at most 65535)");

unsigned int ps_max_rules __read_mostly = 65536;
module_param_named(max_rules, ps_max_rules, uint, 0444);
MODULE_PARM_DESC(max_rules, "Rules allowed in a network namespace (default 65536, at most 1048576)");

#define PS_MAX_SERVICES_LIMIT	65535	/* service indices are 16-bit in leaves */
#define PS_MAX_RULES_LIMIT	((unsigned int)BIT(20))

static int __net_init ps_net_init(struct net *net)
{
	struct ps_net *pn = ps_pernet(net);

	pn->net = net;
	mutex_init(&pn->lock);
	ps_config_init(&pn->cfg);
	pn->settings.hooks = BIT(PORTSTEER_HOOK_PREROUTING);
	pn->settings.priority = NF_IP_PRI_FILTER;
	pn->settings.defrag = true;
	pn->settings.icmp_errors = true;
	pn->settings.seed = get_random_u32();
	pn->generation = 1;
	pn->max_services = ps_max_services;
	pn->max_rules = ps_max_rules;
	pn->stats = alloc_percpu_gfp(struct ps_net_pcpu, GFP_KERNEL_ACCOUNT);
	if (!pn->stats)
		return -ENOMEM;
	return 0;
}

/*
 * The hooks stand aside first; the netns core waits for one grace period
 * for the whole batch of dying namespaces before .exit unregisters them.
 */
static void __net_exit ps_net_pre_exit(struct net *net)
{
	ps_net_deactivate(ps_pernet(net));
}

static void __net_exit ps_net_exit(struct net *net)
{
	struct ps_net *pn = ps_pernet(net);

	ps_net_release(pn);
	ps_txn_free(pn->txn);
	pn->txn = NULL;
	ps_table_free(rcu_dereference_protected(pn->table, true));
	ps_config_free(&pn->cfg);
	free_percpu(pn->stats);
	mutex_destroy(&pn->lock);
}

static struct pernet_operations ps_net_ops = {
	.init	  = ps_net_init,
	.pre_exit = ps_net_pre_exit,
	.exit	  = ps_net_exit,
	.id	  = &ps_net_id,
	.size	  = sizeof(struct ps_net),
};

static int __init ps_init(void)
{
	int err;

	ps_max_services = clamp(ps_max_services, 1U, PS_MAX_SERVICES_LIMIT);
	ps_max_rules = clamp(ps_max_rules, 1U, PS_MAX_RULES_LIMIT);
	ps_protos_init();
	ps_rules_order_init();

	err = ps_rules_init();
	if (err)
		goto err_rules;
	err = register_pernet_subsys(&ps_net_ops);
	if (err)
		goto err_pernet;
	err = ps_genl_init();
	if (err)
		goto err_genl;

	pr_info("version %s loaded\n", PORTSTEER_VERSION);
	return 0;

err_genl:
	unregister_pernet_subsys(&ps_net_ops);
err_pernet:
	ps_rules_exit();
err_rules:
	return err;
}

static void __exit ps_exit(void)
{
	ps_genl_exit();
	unregister_pernet_subsys(&ps_net_ops);
	/* Services and tables are freed by call_rcu(). */
	ps_compat_rcu_exit();
	rcu_barrier();
	ps_rules_exit();
	pr_info("unloaded\n");
}

module_init(ps_init);
module_exit(ps_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The portsteer developers");
MODULE_DESCRIPTION("Steer packets by protocol and destination port into per-service NFQUEUE queues");
MODULE_VERSION(PORTSTEER_VERSION);
MODULE_ALIAS_GENL_FAMILY(PORTSTEER_GENL_NAME);
