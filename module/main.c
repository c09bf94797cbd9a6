// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: module initialization and per network namespace lifetime.
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "portsteer.h"

unsigned int ps_net_id __read_mostly;

static int __net_init ps_net_init(struct net *net)
{
	struct ps_net *pn = ps_pernet(net);

	pn->net = net;
	mutex_init(&pn->lock);
	return 0;
}

static void __net_exit ps_net_exit(struct net *net)
{
	struct ps_net *pn = ps_pernet(net);

	mutex_destroy(&pn->lock);
}

static struct pernet_operations ps_net_ops = {
	.init = ps_net_init,
	.exit = ps_net_exit,
	.id   = &ps_net_id,
	.size = sizeof(struct ps_net),
};

static int __init ps_init(void)
{
	int err;

	err = register_pernet_subsys(&ps_net_ops);
	if (err)
		goto err_pernet;

	pr_info("version %s loaded\n", PORTSTEER_VERSION);
	return 0;

err_pernet:
	return err;
}

static void __exit ps_exit(void)
{
	unregister_pernet_subsys(&ps_net_ops);
	pr_info("unloaded\n");
}

module_init(ps_init);
module_exit(ps_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The portsteer developers");
MODULE_DESCRIPTION("Steer packets by protocol and destination port into per-service NFQUEUE queues");
MODULE_VERSION(PORTSTEER_VERSION);
