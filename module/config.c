// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: the configuration model of a namespace and the lookup table
 * built from it.
 *
 * The table maps (plane, protocol, destination port) to a service in at most
 * three dependent loads: a top array of 256 entries per plane and protocol
 * that has rules, whose entry is either a service (a block of 256 ports one
 * rule covers whole) or a leaf of 256 service entries. Memory grows with the
 * number of partially covered blocks, so with the rules, not with the port
 * space times the protocols. The table is rebuilt from the model on every
 * change and published with RCU.
 */

#include <linux/atomic.h>
#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/netfilter_ipv4.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>

#include "portsteer.h"

#ifdef PS_COMPAT_EXTACK_STATIC
/*
 * The static message of NL_SET_ERR_MSG_FMT() below 6.2: @fmt with each
 * conversion replaced by "...", in @buf of @size (twice the format's).
 */
void ps_compat_extack_static(char *buf, size_t size, const char *fmt)
{
	size_t n = 0;

	while (*fmt && n + 4 < size) {
		if (fmt[0] != '%' || fmt[1] == '%') {
			buf[n++] = *fmt;
			fmt += fmt[0] == '%' ? 2 : 1;
			continue;
		}
		/* flags, width, precision, length, then the conversion */
		for (fmt++; *fmt && strchr("-+ #0123456789.hlzjt", *fmt); fmt++)
			;
		if (*fmt)
			fmt++;
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
}
#endif

const struct ps_proto_desc ps_proto_descs[PS_NPROTOS] = {
	[PS_PI_TCP]	= { IPPROTO_TCP, sizeof(struct tcphdr), "tcp" },
	[PS_PI_UDP]	= { IPPROTO_UDP, sizeof(struct udphdr), "udp" },
	[PS_PI_UDPLITE]	= { IPPROTO_UDPLITE, sizeof(struct udphdr), "udplite" },
	[PS_PI_SCTP]	= { IPPROTO_SCTP, 12, "sctp" },
	[PS_PI_DCCP]	= { IPPROTO_DCCP, 12, "dccp" },
};

struct ps_proto ps_protos[256] __ro_after_init;

void __init ps_protos_init(void)
{
	int i;

	for (i = 0; i < PS_NPROTOS; i++) {
		ps_protos[ps_proto_descs[i].proto].min = ps_proto_descs[i].min;
		ps_protos[ps_proto_descs[i].proto].index = i;
	}
}

/**
 * ps_proto_index() - the table index of an L4 protocol
 * @proto: IPPROTO_* number
 *
 * Return: 0..%PS_NPROTOS - 1, or -1 for a protocol portsteer does not steer.
 */
int ps_proto_index(u8 proto)
{
	return ps_protos[proto].min ? ps_protos[proto].index : -1;
}

const char *ps_proto_name(u8 proto)
{
	int i = ps_proto_index(proto);

	return i < 0 ? "?" : ps_proto_descs[i].name;
}

const char *ps_family_name(u8 family)
{
	switch (family) {
	case PORTSTEER_FAMILY_IPV4:
		return "ip";
	case PORTSTEER_FAMILY_IPV6:
		return "ip6";
	}
	return "inet";
}

void ps_config_init(struct ps_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	hash_init(cfg->names);
	INIT_LIST_HEAD(&cfg->services);
}

static u32 ps_name_hash(const char *name)
{
	return jhash(name, strlen(name), 0);
}

struct ps_service *ps_service_find(const struct ps_config *cfg, const char *name)
{
	struct ps_service *svc;

	hash_for_each_possible(cfg->names, svc, hnode, ps_name_hash(name))
		if (!strcmp(svc->name, name))
			return svc;
	return NULL;
}

struct ps_service *ps_service_alloc(const char *name)
{
	struct ps_service *svc;

	svc = kzalloc(sizeof(*svc), PS_GFP_CONFIG);
	if (!svc)
		return NULL;
	svc->stats = alloc_percpu_gfp(struct ps_svc_pcpu, GFP_KERNEL_ACCOUNT);
	if (!svc->stats) {
		kfree(svc);
		return NULL;
	}
	strscpy(svc->name, name, sizeof(svc->name));
	svc->qcount = 1;
	svc->balance = PORTSTEER_BALANCE_FLOW;
	INIT_LIST_HEAD(&svc->list);
	return svc;
}

static void ps_service_free(struct ps_service *svc)
{
	free_percpu(svc->stats);
	kfree(svc);
}

static void ps_service_free_cb(struct rcu_head *head)
{
	ps_service_free(container_of(head, struct ps_service, rcu));
}

/**
 * ps_service_free_rcu() - free a service once the packet path is done with it
 * @svc: a service no longer in any published table
 *
 * The table that referenced its counters may still be read until a grace
 * period has passed.
 */
void ps_service_free_rcu(struct ps_service *svc)
{
	call_rcu(&svc->rcu, ps_service_free_cb);
}

/* Insert @svc in @cfg, keeping the list in name order. */
void ps_config_add_service(struct ps_config *cfg, struct ps_service *svc)
{
	struct ps_service *pos;

	hash_add(cfg->names, &svc->hnode, ps_name_hash(svc->name));
	list_for_each_entry(pos, &cfg->services, list) {
		if (strcmp(pos->name, svc->name) > 0) {
			list_add_tail(&svc->list, &pos->list);
			goto out;
		}
	}
	list_add_tail(&svc->list, &cfg->services);
out:
	cfg->nservices++;
}

void ps_config_unlink_service(struct ps_config *cfg, struct ps_service *svc)
{
	hash_del(&svc->hnode);
	list_del_init(&svc->list);
	cfg->nservices--;
}

/**
 * ps_config_free() - free the services and rules of a configuration
 * @cfg: a configuration no published table refers to any more, or whose
 *	services the packet path may still count into (they go by RCU)
 */
void ps_config_free(struct ps_config *cfg)
{
	struct ps_service *svc, *tmp;

	list_for_each_entry_safe(svc, tmp, &cfg->services, list) {
		ps_config_unlink_service(cfg, svc);
		ps_service_free_rcu(svc);
	}
	kvfree(cfg->rules);
	cfg->rules = NULL;
	cfg->nrules = 0;
	cfg->rules_cap = 0;
}

/**
 * ps_config_move() - move a configuration to another &struct ps_config
 * @dst: receives the services, in the same order, and the rules
 * @src: left empty
 */
void ps_config_move(struct ps_config *dst, struct ps_config *src)
{
	struct ps_service *svc, *tmp;

	ps_config_init(dst);
	list_for_each_entry_safe(svc, tmp, &src->services, list) {
		hash_del(&svc->hnode);
		hash_add(dst->names, &svc->hnode, ps_name_hash(svc->name));
		list_move_tail(&svc->list, &dst->services);
	}
	dst->nservices = src->nservices;
	dst->rules = src->rules;
	dst->nrules = src->nrules;
	dst->rules_cap = src->rules_cap;
	ps_config_init(src);
}

/* The order of rules: protocol, first port, family; the key of bsearch(). */
int ps_rule_cmp(const void *a, const void *b)
{
	const struct ps_rule *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return 0;
}

void ps_rules_sort(struct ps_rule *rules, u32 n)
{
	sort(rules, n, sizeof(*rules), ps_rule_cmp, NULL);
}

/**
 * ps_rules_check() - find two overlapping rules
 * @rules: rules sorted by ps_rules_sort()
 * @n: number of rules
 * @first: set to the index of the earlier rule of an overlapping pair
 * @second: set to the index of the later one
 *
 * Two rules overlap when they are for the same protocol, share a family and
 * their port ranges intersect.
 *
 * Return: 0 when no two rules overlap, -EEXIST otherwise.
 */
int ps_rules_check(const struct ps_rule *rules, u32 n, u32 *first, u32 *second)
{
	u32 start, end, i, plane;
	s32 last;	/* per plane: the rule reaching furthest, or -1 */

	for (start = 0; start < n; start = end) {
		for (end = start + 1; end < n; end++)
			if (rules[end].proto != rules[start].proto)
				break;
		for (plane = 0; plane < PS_NPLANES; plane++) {
			last = -1;
			for (i = start; i < end; i++) {
				if (!(rules[i].family & BIT(plane)))
					continue;
				if (last >= 0 && rules[i].lo <= rules[last].hi) {
					*first = last;
					*second = i;
					return -EEXIST;
				}
				last = i;
			}
		}
	}
	return 0;
}

static bool ps_block_full(const struct ps_rule *r, u32 block)
{
	return r->lo <= block * PS_BLOCK_PORTS &&
	       r->hi >= block * PS_BLOCK_PORTS + PS_BLOCK_PORTS - 1;
}

/* Whether plane 1 (IPv6) of the rules [start, end) is the same as plane 0. */
static bool ps_planes_equal(const struct ps_rule *rules, u32 start, u32 end)
{
	u32 i;

	for (i = start; i < end; i++)
		if (rules[i].family != PORTSTEER_FAMILY_INET)
			return false;
	return true;
}

/*
 * Walk the rules of one plane of one protocol and either count the leaves
 * they need (@top == NULL) or fill @top and the leaves from *@next_leaf on.
 */
static u32 ps_plane_fill(const struct ps_rule *rules, u32 start, u32 end,
			 u32 plane, u32 *top, u16 (*leaves)[PS_BLOCK_PORTS],
			 u32 *next_leaf)
{
	s32 last_partial = -1;
	u32 i, b, nleaves = 0;

	for (i = start; i < end; i++) {
		const struct ps_rule *r = &rules[i];
		u32 b0 = r->lo >> (16 - PS_BLOCK_BITS);
		u32 b1 = r->hi >> (16 - PS_BLOCK_BITS);
		u16 entry;

		if (!(r->family & BIT(plane)))
			continue;
		entry = r->svc->index + 1;
		for (b = b0; b <= b1; b++) {
			u32 lo, hi, p;

			if (ps_block_full(r, b)) {
				if (top)
					top[b] = entry;
				continue;
			}
			if (b != last_partial) {
				last_partial = b;
				nleaves++;
				if (top)
					top[b] = PS_LEAF | (*next_leaf)++;
			}
			if (!top)
				continue;
			lo = max_t(u32, r->lo, b * PS_BLOCK_PORTS);
			hi = min_t(u32, r->hi, b * PS_BLOCK_PORTS + PS_BLOCK_PORTS - 1);
			for (p = lo; p <= hi; p++)
				leaves[top[b] & ~PS_LEAF][p % PS_BLOCK_PORTS] = entry;
		}
	}
	return nleaves;
}

/**
 * ps_table_build() - build the lookup table of a configuration
 * @services: the services (their @index is set here)
 * @nservices: number of @services
 * @rules: the rules, sorted and free of overlaps
 * @nrules: number of rules
 * @s: the settings the packet path needs
 *
 * Return: the table, or NULL when memory ran out.
 */
static struct ps_table *ps_table_build(const struct list_head *services,
				       u32 nservices,
				       const struct ps_rule *rules, u32 nrules,
				       const struct ps_settings *s)
{
	u32 ntops = 0, nleaves = 0, next_leaf = 0, start, end, plane, i;
	struct ps_service *svc;
	struct ps_table *t;
	size_t head, bytes;
	u32 *tops;

	/* Pass 1: how many tops and leaves. */
	for (start = 0; start < nrules; start = end) {
		for (end = start + 1; end < nrules; end++)
			if (rules[end].proto != rules[start].proto)
				break;
		for (plane = 0; plane < PS_NPLANES; plane++) {
			bool any = false;

			if (plane == 1 && ps_planes_equal(rules, start, end))
				break;
			for (i = start; i < end && !any; i++)
				any = rules[i].family & BIT(plane);
			if (!any)
				continue;
			ntops++;
			nleaves += ps_plane_fill(rules, start, end, plane,
						 NULL, NULL, NULL);
		}
	}

	head = ALIGN(struct_size(t, svc, nservices), sizeof(u32));
	bytes = head + (size_t)ntops * PS_BLOCKS * sizeof(u32) +
		(size_t)nleaves * PS_BLOCK_PORTS * sizeof(u16);
	t = kvzalloc(bytes, PS_GFP_CONFIG);
	if (!t)
		return NULL;
	t->bytes = bytes;
	t->seed = s->seed;
	t->icmp_errors = s->icmp_errors;
	t->nservices = nservices;
	tops = (u32 *)((u8 *)t + head);
	t->leaves = (void *)(tops + (size_t)ntops * PS_BLOCKS);

	i = 0;
	list_for_each_entry(svc, services, list) {
		struct ps_dp_service *d = &t->svc[i];

		svc->index = i++;
		d->qbase = svc->qbase;
		d->qcount = svc->qcount;
		d->balance = svc->balance;
		d->verdict_flags = svc->bypass ? NF_VERDICT_FLAG_QUEUE_BYPASS : 0;
		d->stats = svc->stats;
	}

	/* Pass 2: fill them. */
	for (start = 0; start < nrules; start = end) {
		int pi = ps_proto_index(rules[start].proto);

		for (end = start + 1; end < nrules; end++)
			if (rules[end].proto != rules[start].proto)
				break;
		for (plane = 0; plane < PS_NPLANES; plane++) {
			bool any = false;

			if (plane == 1 && ps_planes_equal(rules, start, end)) {
				t->top[1][pi] = t->top[0][pi];
				break;
			}
			for (i = start; i < end && !any; i++)
				any = rules[i].family & BIT(plane);
			if (!any)
				continue;
			ps_plane_fill(rules, start, end, plane, tops, t->leaves,
				      &next_leaf);
			t->top[plane][pi] = tops;
			tops += PS_BLOCKS;
		}
	}
	WARN_ON_ONCE(next_leaf != nleaves);
	return t;
}

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

void ps_svc_stats_read(const struct ps_service *svc, u64 *packets, u64 *bytes)
{
	u64 p = 0, b = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct ps_svc_pcpu *s = per_cpu_ptr(svc->stats, cpu);
		unsigned int start;
		u64 sp, sb;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			sp = u64_stats_read(&s->packets);
			sb = u64_stats_read(&s->bytes);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		p += sp;
		b += sb;
	}
	*packets = p - svc->base_packets;
	*bytes = b - svc->base_bytes;
}

void ps_net_stats_read(const struct ps_net *pn, u64 *cnt)
{
	u64 tmp[PS_CNT_MAX];
	int cpu, i;

	memset(cnt, 0, sizeof(u64) * PS_CNT_MAX);
	for_each_possible_cpu(cpu) {
		const struct ps_net_pcpu *s = per_cpu_ptr(pn->stats, cpu);
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < PS_CNT_MAX; i++)
				tmp[i] = u64_stats_read(&s->cnt[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < PS_CNT_MAX; i++)
			cnt[i] += tmp[i];
	}
	for (i = 0; i < PS_CNT_MAX; i++)
		cnt[i] -= pn->stats_base[i];
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
