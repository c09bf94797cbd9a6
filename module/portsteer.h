/* SPDX-License-Identifier: GPL-2.0 */
/*
 * portsteer: steer packets by L4 protocol and destination port into
 * per-service NFQUEUE queues. Internal definitions shared by the module's
 * compilation units.
 *
 * Writers (netlink) work on the configuration model of a namespace under
 * its mutex and publish, after every change, an immutable lookup table with
 * RCU. The packet path reads only that table and per-CPU counters.
 */
#ifndef _PORTSTEER_H
#define _PORTSTEER_H

#include <linux/bits.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/u64_stats_sync.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/portsteer.h>

#define PS_NPLANES	2		/* IPv4, IPv6 */
#define PS_NDIRS	2		/* destination port, source port */
#define PS_NHOOKS	4		/* &enum portsteer_hook */

/* The index of a protocol in the tables (&struct ps_table.top). */
enum ps_proto_index {
	PS_PI_TCP,
	PS_PI_UDP,
	PS_PI_UDPLITE,
	PS_PI_SCTP,
	PS_PI_DCCP,
	PS_NPROTOS
};

/**
 * struct ps_proto_desc - a protocol portsteer steers
 * @proto: its IPPROTO_* number
 * @min: its smallest transport header (SCTP: the common header; DCCP: the
 *	generic header with short sequence numbers); every one has its ports
 *	in its first 4 bytes
 * @name: the name users write
 */
struct ps_proto_desc {
	u8 proto;
	u8 min;
	const char *name;
};

/* The protocols, described once, by &enum ps_proto_index. */
extern const struct ps_proto_desc ps_proto_descs[PS_NPROTOS];

/**
 * struct ps_proto - what the packet path needs of an IPPROTO_* number
 * @min: the smallest transport header; 0 for a protocol not steered
 * @index: the &enum ps_proto_index of a steered one
 */
struct ps_proto {
	u8 min;
	u8 index;
};

/* By IPPROTO_* number, from ps_proto_descs (ps_protos_init()). */
extern struct ps_proto ps_protos[256];
void ps_protos_init(void);
#define PS_BLOCK_BITS	8
#define PS_BLOCKS	BIT(PS_BLOCK_BITS)	/* blocks of ports per protocol */
#define PS_BLOCK_PORTS	BIT(16 - PS_BLOCK_BITS)
#define PS_LEAF		0x80000000U	/* a top entry that points to a leaf */
#define PS_SVC_HASH_BITS 8

/*
 * Configuration memory is charged to the memory cgroup of the task that
 * asks for it; at the cgroup's limit the request fails with ENOMEM instead
 * of invoking the OOM killer on the caller, and without a warning in the
 * kernel log: the error is the caller's to report.
 */
#define PS_GFP_CONFIG	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* Counters of a namespace, per CPU. */
enum ps_counter {
	PS_CNT_SEEN,
	PS_CNT_MATCHED,
	PS_CNT_UNMATCHED,
	PS_CNT_NO_L4,
	PS_CNT_MALFORMED,
	PS_CNT_ICMP,
	PS_CNT_DROPPED,
	PS_CNT_EXEMPT,
	PS_CNT_MAX
};

struct ps_net_pcpu {
	u64_stats_t cnt[PS_CNT_MAX];
	struct u64_stats_sync syncp;
};

struct ps_svc_pcpu {
	u64_stats_t packets;
	u64_stats_t bytes;
	struct u64_stats_sync syncp;
};

/**
 * struct ps_service - a service of the configuration model
 * @hnode: in the namespace's hash of names
 * @list: in the namespace's list of services, ordered by name
 * @name: the name, NUL-terminated
 * @qbase: first NFQUEUE number
 * @qcount: number of queues, 1..65536
 * @balance: &enum portsteer_balance
 * @bypass: accept instead of drop when no consumer is bound
 * @mark: a packet mark that exempts a packet from steering, under @mark_mask
 * @mark_mask: the bits of the packet mark compared; 0 for none
 * @ct_mark: a conntrack mark that exempts a packet, under @ct_mark_mask
 * @ct_mark_mask: the bits of the conntrack mark compared; 0 for none
 * @nrules: number of rules that use the service
 * @index: position in the lookup table being built (writers only)
 * @stats: packets and bytes steered, per CPU
 * @base_packets: @stats sums at the last reset
 * @base_bytes: @stats sums at the last reset
 * @rcu: frees the service, and @stats, after the table that used it is gone
 */
struct ps_service {
	struct hlist_node hnode;
	struct list_head list;
	char name[PORTSTEER_SERVICE_NAME_MAX + 1];
	u16 qbase;
	u32 qcount;
	u8 balance;
	bool bypass;
	u32 mark;
	u32 mark_mask;
	u32 ct_mark;
	u32 ct_mark_mask;
	u32 nrules;
	u32 index;
	struct ps_svc_pcpu __percpu *stats;
	u64 base_packets;
	u64 base_bytes;
	struct rcu_head rcu;
};

/**
 * struct ps_rule - a rule of the configuration model
 * @lo: first port
 * @hi: last port
 * @proto: IPPROTO_* number
 * @family: &enum portsteer_family, a bit mask of the planes it covers
 * @dir: &enum portsteer_direction, a bit mask of the ports it matches:
 *	BIT(0) the destination port, BIT(1) the source port
 * @svc: the service it steers to
 */
struct ps_rule {
	u16 lo;
	u16 hi;
	u8 proto;
	u8 family;
	u8 dir;
	struct ps_service *svc;
};

/**
 * struct ps_config - services and rules, as the writers see them
 * @names: the services, hashed by name
 * @services: the services, ordered by name
 * @nservices: number of services
 * @rules: the rules, ordered by protocol, first port, family and direction
 * @nrules: number of rules
 * @rules_cap: allocated size of @rules (transactions only)
 */
struct ps_config {
	struct hlist_head names[1 << PS_SVC_HASH_BITS];
	struct list_head services;
	u32 nservices;
	struct ps_rule *rules;
	u32 nrules;
	u32 rules_cap;
};

/**
 * struct ps_settings - settings of a namespace
 * @hooks: the hook points, BIT() of &enum portsteer_hook
 * @priority: netfilter hook priority
 * @defrag: hold references on IPv4 and IPv6 defragmentation
 * @icmp_errors: steer ICMP errors with the flow they are about
 * @seed: flow hash seed
 */
struct ps_settings {
	u8 hooks;
	s32 priority;
	bool defrag;
	bool icmp_errors;
	u32 seed;
};

/**
 * struct ps_dp_service - what the packet path needs of a service
 * @qbase: first queue
 * @qcount: number of queues
 * @verdict_flags: %NF_VERDICT_FLAG_QUEUE_BYPASS or 0
 * @balance: &enum portsteer_balance
 * @exempt: @mark_mask or @ct_mark_mask is set
 * @mark: see &struct ps_service
 * @mark_mask: see &struct ps_service
 * @ct_mark: see &struct ps_service
 * @ct_mark_mask: see &struct ps_service
 * @stats: the service's counters
 */
struct ps_dp_service {
	u16 qbase;
	u32 qcount;
	u32 verdict_flags;
	u8 balance;
	bool exempt;
	u32 mark;
	u32 mark_mask;
	u32 ct_mark;
	u32 ct_mark_mask;
	struct ps_svc_pcpu __percpu *stats;
};

/**
 * struct ps_table - the immutable lookup table of a namespace
 * @rcu: frees the table after the readers are gone
 * @bytes: size of the allocation
 * @seed: flow hash seed
 * @icmp_errors: follow ICMP errors
 * @nservices: entries of @svc
 * @leaves: blocks of %PS_BLOCK_PORTS entries; an entry is 0 (no service) or
 *	a service's index in @svc plus one
 * @top: per direction (destination, source port), plane and protocol,
 *	%PS_BLOCKS entries, or NULL when no rule exists for them; an entry
 *	is %PS_LEAF | leaf number, or an entry as in @leaves for a block one
 *	service covers whole
 * @svc: the services
 *
 * A lookup is at most three dependent loads: top entry, leaf entry, service.
 */
struct ps_table {
	struct rcu_head rcu;
	size_t bytes;
	u32 seed;
	bool icmp_errors;
	u32 nservices;
	u16 (*leaves)[PS_BLOCK_PORTS];
	const u32 *top[PS_NDIRS][PS_NPLANES][PS_NPROTOS];
	struct ps_dp_service svc[];
};

/**
 * struct ps_hook - one registration of the netfilter hooks
 * @ops: the hooks, registered for NFPROTO_INET
 * @nops: number of @ops
 * @pn: the namespace
 * @active: the hook classifies; otherwise it accepts every packet (the
 *	namespace has no rules, or the registration is being replaced)
 * @rcu: frees the registration after the last packet left it
 */
struct ps_hook {
	struct nf_hook_ops ops[PS_NHOOKS];
	unsigned int nops;
	struct ps_net *pn;
	bool active;
	struct rcu_head rcu;
};

/**
 * struct ps_txn - a replace transaction being built
 * @portid: the netlink socket that owns it
 * @generation: the namespace's generation when it began; it commits only
 *	onto that one
 * @cfg: the staged services and rules
 * @settings: the staged settings
 * @settings_set: which of @settings were given (PS_SET_* bits)
 * @bytes: memory taken so far, for the limits
 */
struct ps_txn {
	u32 portid;
	u32 generation;
	struct ps_config cfg;
	struct ps_settings settings;
	u32 settings_set;
	size_t bytes;
};

#define PS_SET_HOOK		BIT(0)
#define PS_SET_PRIORITY		BIT(1)
#define PS_SET_DEFRAG		BIT(2)
#define PS_SET_ICMP		BIT(3)
#define PS_SET_SEED		BIT(4)

/**
 * struct ps_net - the per network namespace state of portsteer
 * @net: the namespace this state belongs to
 * @lock: serializes every writer of the configuration of this namespace
 * @cfg: the configuration model
 * @settings: the settings
 * @generation: bumped on every change of the configuration or settings
 * @max_services: limit on services
 * @max_rules: limit on rules
 * @table: the lookup table the packet path uses
 * @hook: the registered hooks, from the first rule until the hook or the
 *	priority changes or the namespace goes; active while there are rules
 * @defrag_on: references held on nf_defrag_ipv4 and nf_defrag_ipv6
 * @conntrack_on: a reference held on conntrack (a service has a ct mark)
 * @txn: the open replace transaction, if any
 * @txn_lost: the socket whose transaction a newer one took over, until it
 *	is told
 * @stats: the namespace's counters
 * @stats_base: @stats sums at the last reset
 */
struct ps_net {
	struct net *net;
	struct mutex lock; /* serializes the writers of the configuration */
	struct ps_config cfg;
	struct ps_settings settings;
	u32 generation;
	u32 max_services;
	u32 max_rules;
	struct ps_table __rcu *table;
	struct ps_hook *hook;
	bool defrag_on;
	bool conntrack_on;
	struct ps_txn *txn;
	u32 txn_lost;
	struct ps_net_pcpu __percpu *stats;
	u64 stats_base[PS_CNT_MAX];
};

extern unsigned int ps_net_id;
extern unsigned int ps_max_services;
extern unsigned int ps_max_rules;

static inline struct ps_net *ps_pernet(const struct net *net)
{
	return net_generic(net, ps_net_id);
}

/* config.c */
void ps_config_init(struct ps_config *cfg);
void ps_config_free(struct ps_config *cfg);
void ps_config_move(struct ps_config *dst, struct ps_config *src);
struct ps_service *ps_service_find(const struct ps_config *cfg, const char *name);
struct ps_service *ps_service_alloc(const char *name);
void ps_service_free_rcu(struct ps_service *svc);
void ps_config_add_service(struct ps_config *cfg, struct ps_service *svc);
void ps_config_unlink_service(struct ps_config *cfg, struct ps_service *svc);
int ps_proto_index(u8 proto);
int ps_rule_cmp(const void *a, const void *b);
int ps_rules_check(const struct ps_rule *rules, u32 n, u32 *first, u32 *second);
void ps_rules_sort(struct ps_rule *rules, u32 n);
const char *ps_proto_name(u8 proto);
const char *ps_family_name(u8 family);
void ps_svc_stats_read(const struct ps_service *svc, u64 *packets, u64 *bytes);
void ps_net_stats_read(const struct ps_net *pn, u64 *cnt);
void ps_net_stats_reset(struct ps_net *pn);
void ps_rule_str(char *buf, size_t len, const struct ps_rule *r);
bool ps_rule_same(const struct ps_rule *a, const struct ps_rule *b);
struct ps_rule *ps_rules_merge(const struct ps_config *cfg, struct ps_rule *add,
			       u32 nadd, struct ps_rule *clash, bool *clash_new);
struct ps_rule *ps_rules_remove(const struct ps_config *cfg, struct ps_rule *del,
				u32 ndel, u32 *bad);
struct ps_rule *ps_rules_without(const struct ps_config *cfg,
				 const struct ps_service *svc);
int ps_settings_check(const struct ps_settings *s, struct netlink_ext_ack *extack);
struct ps_settings ps_settings_merge(const struct ps_settings *cur,
				     const struct ps_settings *txn, u32 set);

/* table.c */
struct ps_table *ps_table_build(const struct list_head *services,
				u32 nservices, const struct ps_rule *rules,
				u32 nrules, const struct ps_settings *s);

/* deps.c */
int ps_defrag_get(struct net *net, struct netlink_ext_ack *extack);
void ps_defrag_put(struct net *net);
int ps_conntrack_get(struct net *net, struct netlink_ext_ack *extack);
void ps_conntrack_put(struct net *net);

/* commit.c */
int ps_commit(struct ps_net *pn, const struct list_head *services,
	      u32 nservices, const struct ps_rule *rules, u32 nrules,
	      const struct ps_settings *s, struct netlink_ext_ack *extack);
void ps_net_deactivate(struct ps_net *pn);
void ps_net_release(struct ps_net *pn);
int ps_recommit_with(struct ps_net *pn, const struct ps_settings *s,
		     struct netlink_ext_ack *extack);
int ps_recommit(struct ps_net *pn, struct netlink_ext_ack *extack);
int ps_commit_rules(struct ps_net *pn, struct ps_rule *rules, u32 n,
		    struct netlink_ext_ack *extack);

/* hook.c */
unsigned int ps_hook_fn(void *priv, struct sk_buff *skb,
			const struct nf_hook_state *state);

/* netlink.c */
int ps_genl_init(void);
void ps_genl_exit(void);

/* txn.c */
int ps_txn_init(void);
void ps_txn_exit(void);
void ps_txn_free(struct ps_txn *txn);

#endif /* _PORTSTEER_H */
