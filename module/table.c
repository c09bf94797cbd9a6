// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: the lookup table, built from a configuration.
 *
 * The table maps (direction, plane, protocol, port) to a service in at most
 * three dependent loads: a top array of 256 entries per direction (the
 * destination or the source port), plane and protocol that has rules,
 * whose entry is either a service (a block of 256 ports one rule covers
 * whole) or a leaf of 256 service entries. Memory grows with the
 * number of partially covered blocks, so with the rules, not with the port
 * space times the protocols. The packet path (hook.c) reads it.
 */

#include <linux/slab.h>

#include "portsteer.h"

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

/* Whether a rule of [start, end) matches port @dir in @plane. */
static bool ps_plane_used(const struct ps_rule *rules, u32 start, u32 end,
			  u32 dir, u32 plane)
{
	u32 i;

	for (i = start; i < end; i++)
		if (ps_rule_covers(&rules[i], dir, plane))
			return true;
	return false;
}

/*
 * Walk the rules of one direction and plane of one protocol and either
 * count the leaves they need (@top == NULL) or fill @top and the leaves from
 * *@next_leaf on.
 */
static u32 ps_plane_fill(const struct ps_rule *rules, u32 start, u32 end,
			 u32 dir, u32 plane, u32 *top,
			 u16 (*leaves)[PS_BLOCK_PORTS], u32 *next_leaf)
{
	s32 last_partial = -1;
	u32 i, b, nleaves = 0;

	for (i = start; i < end; i++) {
		const struct ps_rule *r = &rules[i];
		u32 b0 = r->lo >> (16 - PS_BLOCK_BITS);
		u32 b1 = r->hi >> (16 - PS_BLOCK_BITS);
		u16 entry;

		if (!ps_rule_covers(r, dir, plane))
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
struct ps_table *ps_table_build(const struct list_head *services,
				u32 nservices, const struct ps_rule *rules,
				u32 nrules, const struct ps_settings *s)
{
	u32 ntops = 0, nleaves = 0, next_leaf = 0, start, end, dir, plane, i;
	struct ps_service *svc;
	struct ps_table *t;
	size_t head, bytes;
	u32 *tops;

	/* Pass 1: how many tops and leaves. */
	for (start = 0; start < nrules; start = end) {
		for (end = start + 1; end < nrules; end++)
			if (rules[end].proto != rules[start].proto)
				break;
		for (dir = 0; dir < PS_NDIRS; dir++) {
			for (plane = 0; plane < PS_NPLANES; plane++) {
				if (plane == 1 &&
				    ps_planes_equal(rules, start, end, dir))
					break;
				if (!ps_plane_used(rules, start, end, dir, plane))
					continue;
				ntops++;
				nleaves += ps_plane_fill(rules, start, end, dir,
							 plane, NULL, NULL, NULL);
			}
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
		d->mark = svc->mark;
		d->mark_mask = svc->mark_mask;
		d->ct_mark = svc->ct_mark;
		d->ct_mark_mask = svc->ct_mark_mask;
		d->exempt = svc->mark_mask || svc->ct_mark_mask;
		d->stats = svc->stats;
	}

	/* Pass 2: fill them. */
	for (start = 0; start < nrules; start = end) {
		int pi = ps_proto_index(rules[start].proto);

		for (end = start + 1; end < nrules; end++)
			if (rules[end].proto != rules[start].proto)
				break;
		for (dir = 0; dir < PS_NDIRS; dir++) {
			for (plane = 0; plane < PS_NPLANES; plane++) {
				if (plane == 1 &&
				    ps_planes_equal(rules, start, end, dir)) {
					t->top[dir][1][pi] = t->top[dir][0][pi];
					break;
				}
				if (!ps_plane_used(rules, start, end, dir, plane))
					continue;
				ps_plane_fill(rules, start, end, dir, plane, tops,
					      t->leaves, &next_leaf);
				t->top[dir][plane][pi] = tops;
				tops += PS_BLOCKS;
			}
		}
	}
	WARN_ON_ONCE(next_leaf != nleaves);
	return t;
}
