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
#define PS_NTOPS	(PS_NDIRS * PS_NPROTOS)	/* top arrays per plane */

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
#define PS_GC_INLINE	7	/* pieces a root takes with it: struct ps_table in 256 bytes */
#define PS_SLOTS_MAX	65535	/* slots plus one are 16-bit in leaves */
#define PS_NGROUPS	9		/* rule trees per protocol: 3 families x 3 directions */
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
 * @rbnode: in the namespace's tree of names
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
 * @slot: its entry in the lookup table's &struct ps_slots
 * @dp: what the packet path reads of it, in that entry
 * @stats: packets and bytes steered, per CPU
 * @base_packets: @stats sums at the last reset
 * @base_bytes: @stats sums at the last reset
 * @rcu: frees the service, and @stats, after the table that used it is gone
 */
struct ps_service {
	struct hlist_node hnode;
	struct rb_node rbnode;
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
	u32 slot;
	struct ps_dp_service *dp;
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
 * @flags: PS_RULE_* marks, while a request is handled (writers only)
 * @svc: the service it steers to
 */
struct ps_rule {
	u16 lo;
	u16 hi;
	u8 proto;
	u8 family;
	u8 dir;
	u8 flags;
	struct ps_service *svc;
};

#define PS_RULE_NEW	BIT(0)	/* a node not in the rule set yet */
#define PS_RULE_GONE	BIT(1)	/* named by the RULE_DEL being handled */

/**
 * struct ps_rule_node - a rule in a &struct ps_ruleset
 * @node: in the tree of its protocol, family and direction, by first port
 * @r: the rule
 */
struct ps_rule_node {
	struct rb_node node;
	struct ps_rule r;
};

/**
 * struct ps_ruleset - rules, in trees (rules.c)
 * @root: per protocol index, family and direction (ps_group()), the rules
 *	by first port; no two rules of a tree overlap
 * @n: number of rules
 */
struct ps_ruleset {
	struct rb_root root[PS_NPROTOS][PS_NGROUPS];
	u32 n;
};

/**
 * struct ps_rule_iter - a cursor over a &struct ps_ruleset in rule order
 * @rs: the rule set
 * @o: the protocol, by its position in number order
 * @cur: per tree of the protocol, the next rule
 */
struct ps_rule_iter {
	struct ps_ruleset *rs;
	unsigned int o;
	struct rb_node *cur[PS_NGROUPS];
};

/**
 * struct ps_config - services and rules, as the writers see them
 * @names: the services, hashed by name
 * @by_name: the services, in a tree by name (to insert in order)
 * @services: the services, ordered by name
 * @nservices: number of services
 * @nct: number of services with a conntrack mark
 * @rules: the rules
 */
struct ps_config {
	struct hlist_head names[1 << PS_SVC_HASH_BITS];
	struct rb_root by_name;
	struct list_head services;
	u32 nservices;
	u32 nct;
	struct ps_ruleset rules;
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
 * struct ps_dp_service - what the packet path needs of a service; never
 *	changed once published: a change publishes a new one
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
 * @rcu: frees it after the readers are gone
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
	struct rcu_head rcu;
};

/*
 * An entry of a top array: a block of ports one service covers whole, or
 * none (PS_E_SVC(0)), both with the low bit set; else a leaf.
 */
#define PS_E_SVC(e)	(((unsigned long)(e) << 1) | 1)
#define PS_E_NONE	PS_E_SVC(0)

/* A leaf: per port of a block, 0 (no service) or a service's slot plus one. */
struct ps_leaf {
	u16 e[PS_BLOCK_PORTS];
};

/* A top array: per block of ports of one direction, plane and protocol. */
struct ps_top {
	unsigned long e[PS_BLOCKS];
};

/* Whether a top entry is a leaf, and which. */
static inline bool ps_e_is_leaf(unsigned long e)
{
	return !(e & 1);
}

static inline struct ps_leaf *ps_e_leaf(unsigned long e)
{
	return (struct ps_leaf *)e;
}

/*
 * The entry of a port (host order) in a top array (@top may be NULL): 0, or
 * the slot of its service plus one.
 */
static __always_inline u32 ps_top_lookup(const struct ps_top *top,
					 unsigned int port)
{
	unsigned long e;

	if (!top)
		return 0;
	e = top->e[port >> (16 - PS_BLOCK_BITS)];
	if (likely(!ps_e_is_leaf(e)))
		return e >> 1;
	return ps_e_leaf(e)->e[port % PS_BLOCK_PORTS];
}

/**
 * struct ps_slot_free - a slot given back, reusable once @cookie's grace
 *	period has passed (a reader may still look it up until then)
 * @slot: the slot
 * @cookie: from get_state_synchronize_rcu()
 */
struct ps_slot_free {
	u32 slot;
	unsigned long cookie;
};

/**
 * struct ps_slots - the services of a lookup table, by slot
 * @rcu: frees the array after the readers are gone
 * @cap: entries of @svc
 * @used: slots handed out so far (writers only)
 * @fifo: the slots given back, oldest first, a ring of @cap (writers only)
 * @fifo_head: first of @fifo
 * @fifo_len: entries of @fifo
 * @svc: per slot, the service, or NULL
 *
 * A slot's entry changes in place when its service does, with one pointer
 * store: readers see the old service or the new one.
 */
struct ps_slots {
	struct rcu_head rcu;
	u32 cap;
	u32 used;
	struct ps_slot_free *fifo;
	u32 fifo_head;
	u32 fifo_len;
	struct ps_dp_service __rcu *svc[];
};

/**
 * struct ps_table - the lookup table of a namespace, the root of it
 * @rcu: frees the root (and with a whole replace, all of it) after the
 *	readers are gone
 * @seed: flow hash seed
 * @icmp_errors: follow ICMP errors
 * @slots: the services
 * @top: per direction (destination, source port), plane and protocol, a
 *	top array, or NULL when no rule exists for them; IPv6 shares IPv4's
 *	when they are the same
 * @ngc: entries of @gc
 * @gc: once the root is replaced, what the change that replaced it
 *	replaced, to free with it (writers only; readers never look)
 *
 * A lookup is at most four dependent loads: top entry, leaf entry, slot,
 * service. Every piece is immutable once published: a change copies the
 * root and what it touches (a top array, at most two leaves per range and
 * plane) and shares the rest; the pieces it replaced are freed after a
 * grace period (update.c). The root is at most one per change.
 */
struct ps_table {
	struct rcu_head rcu;
	u32 seed;
	bool icmp_errors;
	struct ps_slots *slots;
	struct ps_top *top[PS_NDIRS][PS_NPLANES][PS_NPROTOS];
	u32 ngc;
	void *gc[PS_GC_INLINE];
};

/**
 * struct ps_upd_alloc - a piece a &struct ps_update allocated
 * @p: the piece
 * @leaf: a leaf, else a top array
 * @dir: its direction
 * @pi: its protocol index
 * @block: for a leaf, its block
 */
struct ps_upd_alloc {
	void *p;
	bool leaf;
	u8 dir;
	u8 pi;
	u8 block;
};

/**
 * struct ps_update - a change of the lookup table being staged (update.c)
 * @pn: the namespace
 * @old: the table published now (or an empty one)
 * @t: the new root, not published yet
 * @whole: @t is a new table from scratch; @old goes whole
 * @nrules: rules of the configuration after the change
 * @nct: services with a conntrack mark after the change
 * @allocs: the pieces allocated
 * @nallocs: entries of @allocs
 * @allocs_cap: allocated size of @allocs
 * @touched: BIT(dir * PS_NPROTOS + protocol index) of the top arrays edited
 * @slot: the slot whose service changes, or -1
 * @slot_dp: its new service (NULL: the slot is given back)
 * @slot_take: @slot is taken from &struct ps_slots.fifo or .used
 * @slot_svc: the service of @slot
 * @old_dp: the service's copy @slot_dp replaces, or NULL
 * @new_slots: a bigger slot array for @t, or NULL
 * @garbage: what goes after the grace period, when more than the old root
 *	holds (&struct ps_table.gc)
 * @bytes: the table's size after the change
 * @blocks: per top array of @touched, the blocks edited (cleared when it
 *	is first touched: the rest of the structure is cleared at the start)
 */
struct ps_update {
	struct ps_net *pn;
	const struct ps_table *old;
	struct ps_table *t;
	bool whole;
	u32 nrules;
	u32 nct;
	struct ps_upd_alloc *allocs;
	u32 nallocs;
	u32 allocs_cap;
	u32 touched;
	s32 slot;
	struct ps_dp_service *slot_dp;
	bool slot_take;
	struct ps_service *slot_svc;
	struct ps_dp_service *old_dp;
	struct ps_slots *new_slots;
	struct ps_garbage *garbage;
	size_t bytes;
	unsigned long blocks[PS_NTOPS][BITS_TO_LONGS(PS_BLOCKS)];
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
 * @cfg: the staged services
 * @rules: the staged rules, in the order given
 * @nrules: number of @rules
 * @rules_cap: allocated size of @rules
 * @settings: the staged settings
 * @settings_set: which of @settings were given (PS_SET_* bits)
 * @bytes: memory taken so far, for the limits
 */
struct ps_txn {
	u32 portid;
	u32 generation;
	struct ps_config cfg;
	struct ps_rule *rules;
	u32 nrules;
	u32 rules_cap;
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
 * @table_bytes: its size
 * @touched: the top arrays the last change touched, for ps_update_checked()
 * @upd: the change being made (one at a time, under @lock: off the stack)
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
	size_t table_bytes;
	u32 touched;
	struct ps_update upd;
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
int ps_settings_check(const struct ps_settings *s, struct netlink_ext_ack *extack);
struct ps_settings ps_settings_merge(const struct ps_settings *cur,
				     const struct ps_settings *txn, u32 set);

/* rules.c */
int ps_rules_init(void);
void ps_rules_exit(void);
void ps_rules_order_init(void);
void ps_ruleset_init(struct ps_ruleset *rs);
struct ps_rule_node *ps_rule_node_alloc(const struct ps_rule *r);
void ps_rule_node_free(struct ps_rule_node *n);
struct ps_rule_node *ps_ruleset_find(struct ps_ruleset *rs,
				     const struct ps_rule *key);
const struct ps_rule *ps_ruleset_conflict(struct ps_ruleset *rs,
					  const struct ps_rule *r);
void ps_ruleset_insert(struct ps_ruleset *rs, struct ps_rule_node *n);
void ps_ruleset_erase(struct ps_ruleset *rs, struct ps_rule_node *n);
void ps_ruleset_free(struct ps_ruleset *rs);
int ps_ruleset_from_array(struct ps_ruleset *rs, const struct ps_rule *rules,
			  u32 n);
void ps_rule_iter_start(struct ps_rule_iter *it, struct ps_ruleset *rs,
			const struct ps_rule *after);
const struct ps_rule *ps_rule_iter_next(struct ps_rule_iter *it);

/* table.c */
extern const struct ps_table ps_empty_table;
struct ps_dp_service *ps_dp_service_new(const struct ps_service *svc);
int ps_tops_build(struct ps_table *t, const struct ps_rule *rules, u32 nrules,
		  size_t *bytes);
struct ps_table *ps_table_build(const struct list_head *services,
				u32 nservices, const struct ps_rule *rules,
				u32 nrules, const struct ps_settings *s,
				size_t *bytes);
void ps_tops_free(struct ps_table *t);
struct ps_slots *ps_slots_alloc(u32 cap);
void ps_slots_free(struct ps_slots *sl);
u32 ps_slots_cap(u32 n);
size_t ps_slots_bytes(const struct ps_slots *sl);
void ps_table_free(struct ps_table *t);
void ps_table_free_rcu(struct ps_table *t);

/* update.c */
extern bool ps_check_updates;
int ps_update_begin(struct ps_update *upd, struct ps_net *pn);
void ps_update_whole(struct ps_update *upd, struct ps_table *t, size_t bytes);
int ps_update_rule(struct ps_update *upd, const struct ps_rule *r, u32 entry);
int ps_update_service_new(struct ps_update *upd, struct ps_service *svc);
int ps_update_service_set(struct ps_update *upd, struct ps_service *svc);
void ps_update_service_del(struct ps_update *upd, struct ps_service *svc);
int ps_update_prepare(struct ps_update *upd);
void ps_update_publish(struct ps_update *upd);
void ps_update_abort(struct ps_update *upd);
int ps_update_checked(struct ps_net *pn, struct netlink_ext_ack *extack);

/* deps.c */
int ps_defrag_get(struct net *net, struct netlink_ext_ack *extack);
void ps_defrag_put(struct net *net);
int ps_conntrack_get(struct net *net, struct netlink_ext_ack *extack);
void ps_conntrack_put(struct net *net);

/* commit.c */
int ps_commit(struct ps_net *pn, struct ps_update *upd,
	      const struct ps_settings *s, struct netlink_ext_ack *extack);
void ps_net_deactivate(struct ps_net *pn);
void ps_net_release(struct ps_net *pn);
int ps_recommit_with(struct ps_net *pn, const struct ps_settings *s,
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
