/* SPDX-License-Identifier: GPL-2.0 */
/*
 * portsteer: steer packets by L4 protocol and destination port into
 * per-service NFQUEUE queues. Internal definitions shared by the module's
 * compilation units.
 */
#ifndef _PORTSTEER_H
#define _PORTSTEER_H

#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/u64_stats_sync.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

/**
 * struct ps_net - the per network namespace state of portsteer
 * @net: the namespace this state belongs to
 * @lock: serializes every writer of the configuration of this namespace
 */
struct ps_net {
	struct net *net;
	struct mutex lock; /* serializes the writers of the configuration */
};

extern unsigned int ps_net_id;

static inline struct ps_net *ps_pernet(const struct net *net)
{
	return net_generic(net, ps_net_id);
}

#endif /* _PORTSTEER_H */
