// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: the lookup table, built whole from a configuration, and freed.
 *
 * The table maps (direction, plane, protocol, port) to a service in at most
 * four dependent loads: a top array of 256 entries per direction (the
 * destination or the source port), plane and protocol that has rules,
 * whose entry is either a service (a block of 256 ports one rule covers
 * whole) or a leaf of 256 service entries; a service entry is a slot of
 * the table's service array. Memory grows with the number of partially
 * covered blocks, so with the rules, not with the port space times the
 * protocols. The packet path (hook.c) reads it; update.c changes it a
 * piece at a time.
 */

#include <linux/slab.h>

#include "portsteer.h"

/* The table of a namespace that has had none yet. */
const struct ps_table ps_empty_table;

/* The packet path's copy of a service. */
struct ps_dp_service *ps_dp_service_new(const struct ps_service *svc)
{
	struct ps_dp_service *d;

	d = kzalloc(sizeof(*d), PS_GFP_CONFIG);
	if (!d)
		return NULL;
	d->qbase = svc->qbase;
	d->qcount = svc->qcount;
	d->balance = svc->balance;
	d->verdict_flags = svc->bypass ? NF_VERDICT_FLAG_QUEUE_BYPASS : 0;
	d->mark = svc->mark;
	d->mark_mask = svc->mark_mask;
	d->ct_mark = svc->ct_mark;
	d->ct_mark_mask = svc->ct_mark_mask;
	d->exempt = svc->mark_mask || svc->ct_mark_mask;
	d->stats = svc->stats;
	return d;
}

static bool ps_block_full(const struct ps_rule *r, u32 block)
{
	return r->lo <= block * PS_BLOCK_PORTS &&
	       r->hi >= block * PS_BLOCK_PORTS + PS_BLOCK_PORTS - 1;
}

/* Whether a rule matches port @dir (0: destination, 1: source) in @plane. */
static bool ps_rule_covers(const struct ps_rule *r, u32 dir, u32 plane)
{
	return (r->dir & BIT(dir)) && (r->family & BIT(plane));
}

/*
 * Whether plane 1 (IPv6) of the rules [start, end) for port @dir is the
 * same as plane 0.
 */
static bool ps_planes_equal(const struct ps_rule *rules, u32 start, u32 end,
			    u32 dir)
{
	u32 i;

	for (i = start; i < end; i++)
		if ((rules[i].dir & BIT(dir)) &&
		    rules[i].family != PORTSTEER_FAMILY_INET)
			return false;
	return true;
}

/* Free a top array and the leaves it alone refers to (not @other's). */
static void ps_top_free(struct ps_top *top, const struct ps_top *other)
{
	unsigned int b;

	if (!top)
		return;
	for (b = 0; b < PS_BLOCKS; b++) {
		unsigned long e = top->e[b];

		if (ps_e_is_leaf(e) && !(other && other->e[b] == e))
			kfree(ps_e_leaf(e));
	}
	kfree(top);
}

/**
 * ps_tops_free() - free the top arrays and leaves of a table
 * @t: the table; its top pointers are cleared
 *
 * IPv6 may share IPv4's top array, or, after changes, some of its leaves
 * (at the same block): each piece is freed once.
 */
void ps_tops_free(struct ps_table *t)
{
	unsigned int dir, pi;

	for (dir = 0; dir < PS_NDIRS; dir++) {
		for (pi = 0; pi < PS_NPROTOS; pi++) {
			struct ps_top *v4 = t->top[dir][0][pi];
			struct ps_top *v6 = t->top[dir][1][pi];

			if (v6 != v4)
				ps_top_free(v6, v4);
			ps_top_free(v4, NULL);
			t->top[dir][0][pi] = NULL;
			t->top[dir][1][pi] = NULL;
		}
	}
}

/* Fill a new top array from the rules [start, end) of one direction and plane. */
static struct ps_top *ps_plane_build(const struct ps_rule *rules, u32 start,
				     u32 end, u32 dir, u32 plane, size_t *bytes)
{
	struct ps_top *top;
	u32 i, b, p;

	top = kmalloc(sizeof(*top), PS_GFP_CONFIG);
	if (!top)
		return NULL;
	*bytes += sizeof(*top);
	for (b = 0; b < PS_BLOCKS; b++)
		top->e[b] = PS_E_NONE;
	for (i = start; i < end; i++) {
		const struct ps_rule *r = &rules[i];
		u32 b0 = r->lo >> (16 - PS_BLOCK_BITS);
		u32 b1 = r->hi >> (16 - PS_BLOCK_BITS);
		u16 entry = r->svc->slot + 1;

		if (!ps_rule_covers(r, dir, plane))
			continue;
		for (b = b0; b <= b1; b++) {
			struct ps_leaf *leaf;
			u32 lo, hi;

			if (ps_block_full(r, b)) {
				top->e[b] = PS_E_SVC(entry);
				continue;
			}
			/* Rules do not overlap: a partial block is a leaf or none. */
			if (!ps_e_is_leaf(top->e[b])) {
				leaf = kzalloc(sizeof(*leaf), PS_GFP_CONFIG);
				if (!leaf)
					goto err;
				*bytes += sizeof(*leaf);
				top->e[b] = (unsigned long)leaf;
			}
			leaf = ps_e_leaf(top->e[b]);
			lo = max_t(u32, r->lo, b * PS_BLOCK_PORTS);
			hi = min_t(u32, r->hi, b * PS_BLOCK_PORTS + PS_BLOCK_PORTS - 1);
			for (p = lo; p <= hi; p++)
				leaf->e[p % PS_BLOCK_PORTS] = entry;
		}
	}
	return top;
err:
	ps_top_free(top, NULL);
	return NULL;
}

/**
 * ps_tops_build() - build the top arrays and leaves of rules
 * @t: a table without any
 * @rules: the rules, sorted and free of overlaps, their services' slots set
 * @nrules: number of @rules
 * @bytes: the memory taken is added here
 *
 * Return: 0, or -ENOMEM with @t without any.
 */
int ps_tops_build(struct ps_table *t, const struct ps_rule *rules, u32 nrules,
		  size_t *bytes)
{
	u32 start, end, dir, plane;

	for (start = 0; start < nrules; start = end) {
		int pi = ps_proto_index(rules[start].proto);

		for (end = start + 1; end < nrules; end++)
			if (rules[end].proto != rules[start].proto)
				break;
		for (dir = 0; dir < PS_NDIRS; dir++) {
			for (plane = 0; plane < PS_NPLANES; plane++) {
				struct ps_top *top;
				u32 i;

				if (plane == 1 &&
				    ps_planes_equal(rules, start, end, dir)) {
					t->top[dir][1][pi] = t->top[dir][0][pi];
					break;
				}
				for (i = start; i < end; i++)
					if (ps_rule_covers(&rules[i], dir, plane))
						break;
				if (i == end)
					continue;
				top = ps_plane_build(rules, start, end, dir,
						     plane, bytes);
				if (!top) {
					ps_tops_free(t);
					return -ENOMEM;
				}
				t->top[dir][plane][pi] = top;
			}
		}
	}
	return 0;
}

static size_t ps_slots_size(u32 cap)
{
	return sizeof(struct ps_slots) + cap * sizeof(struct ps_dp_service *) +
	       cap * sizeof(struct ps_slot_free);
}

/**
 * ps_slots_alloc() - an array of service slots
 * @cap: its capacity, at least 1
 *
 * Return: the array, every slot free and unused, or NULL.
 */
struct ps_slots *ps_slots_alloc(u32 cap)
{
	struct ps_slots *sl;

	sl = kvzalloc(struct_size(sl, svc, cap), PS_GFP_CONFIG);
	if (!sl)
		return NULL;
	sl->fifo = kvmalloc_array(cap, sizeof(*sl->fifo), PS_GFP_CONFIG);
	if (!sl->fifo) {
		kvfree(sl);
		return NULL;
	}
	sl->cap = cap;
	return sl;
}

void ps_slots_free(struct ps_slots *sl)
{
	if (!sl)
		return;
	kvfree(sl->fifo);
	kvfree(sl);
}

/* Capacity for @n services and a few more. */
u32 ps_slots_cap(u32 n)
{
	return min_t(u32, max_t(u32, roundup_pow_of_two(n + 1), 16),
		     PS_SLOTS_MAX);
}

size_t ps_slots_bytes(const struct ps_slots *sl)
{
	return sl ? ps_slots_size(sl->cap) : 0;
}

/**
 * ps_table_build() - build the lookup table of a configuration, whole
 * @services: the services (their slots are given out here, in order)
 * @nservices: number of @services
 * @rules: the rules, sorted and free of overlaps
 * @nrules: number of @rules
 * @s: the settings the packet path needs
 * @bytes: set to the table's size
 *
 * Return: the table, or NULL when memory ran out.
 */
struct ps_table *ps_table_build(const struct list_head *services,
				u32 nservices, const struct ps_rule *rules,
				u32 nrules, const struct ps_settings *s,
				size_t *bytes)
{
	struct ps_service *svc;
	struct ps_table *t;
	u32 i = 0;

	t = kzalloc(sizeof(*t), PS_GFP_CONFIG);
	if (!t)
		return NULL;
	*bytes = sizeof(*t);
	t->seed = s->seed;
	t->icmp_errors = s->icmp_errors;
	t->slots = ps_slots_alloc(ps_slots_cap(nservices));
	if (!t->slots)
		goto err;
	*bytes += ps_slots_bytes(t->slots);
	list_for_each_entry(svc, services, list) {
		struct ps_dp_service *d = ps_dp_service_new(svc);

		if (!d)
			goto err;
		*bytes += sizeof(*d);
		svc->slot = i;
		svc->dp = d;
		RCU_INIT_POINTER(t->slots->svc[i++], d);
	}
	t->slots->used = i;
	if (ps_tops_build(t, rules, nrules, bytes))
		goto err;
	return t;
err:
	ps_table_free(t);
	return NULL;
}

/**
 * ps_table_free() - free a table and everything it refers to
 * @t: a table no reader can see (or NULL)
 */
void ps_table_free(struct ps_table *t)
{
	u32 i;

	if (!t)
		return;
	ps_tops_free(t);
	if (t->slots) {
		for (i = 0; i < t->slots->cap; i++)
			kfree(rcu_dereference_raw(t->slots->svc[i]));
		ps_slots_free(t->slots);
	}
	kfree(t);
}

static void ps_table_free_cb(struct rcu_head *head)
{
	ps_table_free(container_of(head, struct ps_table, rcu));
}

/* Free a table and everything it refers to, once its readers are gone. */
void ps_table_free_rcu(struct ps_table *t)
{
	call_rcu(&t->rcu, ps_table_free_cb);
}
