// SPDX-License-Identifier: GPL-2.0
/*
 * bench_empty_hook: a benchmark-only module, never installed. It registers,
 * in every network namespace, one netfilter hook of the same shape as
 * portsteer's (NFPROTO_INET, prerouting, priority 0, a private pointer) that
 * returns NF_ACCEPT: the cost of any netfilter classifier that does nothing.
 * With queue=Q it returns NF_QUEUE_NR(Q) with the bypass flag instead, for
 * every packet: the floor of any classifier that queues a packet.
 * Built by scripts/bench.sh from a directory of its own.
 */

#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

struct beh_net {
	struct nf_hook_ops ops;
};

static unsigned int beh_net_id __read_mostly;

static int queue = -1;
module_param(queue, int, 0444);
MODULE_PARM_DESC(queue, "Queue every packet to this queue, with bypass (default -1: accept)");

static unsigned int beh_hook_fn(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	if (queue >= 0)
		return NF_QUEUE_NR(queue) | NF_VERDICT_FLAG_QUEUE_BYPASS;
	return NF_ACCEPT;
}

static int __net_init beh_net_init(struct net *net)
{
	struct beh_net *bn = net_generic(net, beh_net_id);

	bn->ops.hook = beh_hook_fn;
	bn->ops.pf = NFPROTO_INET;
	bn->ops.hooknum = NF_INET_PRE_ROUTING;
	bn->ops.priority = 0;
	bn->ops.priv = bn;
	return nf_register_net_hook(net, &bn->ops);
}

static void __net_exit beh_net_exit(struct net *net)
{
	struct beh_net *bn = net_generic(net, beh_net_id);

	nf_unregister_net_hook(net, &bn->ops);
}

static struct pernet_operations beh_net_ops = {
	.init = beh_net_init,
	.exit = beh_net_exit,
	.id = &beh_net_id,
	.size = sizeof(struct beh_net),
};

static int __init beh_init(void)
{
	return register_pernet_subsys(&beh_net_ops);
}

static void __exit beh_exit(void)
{
	unregister_pernet_subsys(&beh_net_ops);
}

module_init(beh_init);
module_exit(beh_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Benchmark only: an empty netfilter hook shaped like portsteer's");
