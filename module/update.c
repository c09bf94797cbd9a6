// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: changes of the lookup table that cost what they change.
 *
 * A published table is never written to, but for one pointer store per
 * service change (its slot). A change (struct ps_update) copies the root,
 * and for each range it sets, the top array of each (direction, plane)
 * concerned once, and the at most two leaves the range covers in part;
 * everything else is shared with the published table. Once everything
 * that can fail has been done (allocations, and the list of pieces to free
 * after the grace period), the new root is published with one pointer
 * store and what it replaced goes with one call_rcu(). A rule added,
 * changed or deleted thus allocates a root, a top array and at most two
 * leaves per plane and direction: a few KiB, whatever the configuration.
 *
 * IPv6 shares IPv4's top array (and, after changes, maybe some leaves at
 * the same block) when they are the same; a piece is written in place only
 * when this change allocated it and nothing else refers to it.
 */

#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "portsteer.h"

bool ps_check_updates __read_mostly;
module_param_named(check_updates, ps_check_updates, bool, 0644);
MODULE_PARM_DESC(check_updates,
		 "Debugging: after every change, compare the table with one built from scratch (slow)");

static unsigned long ps_checked_updates;
module_param_named(checked_updates, ps_checked_updates, ulong, 0444);
MODULE_PARM_DESC(checked_updates, "Changes compared by check_updates so far");

/**
 * struct ps_garbage - what a published change replaced
 * @rcu: frees it all after the readers are gone
 * @n: entries of @p
 * @p: the pieces, each kvfree()d
 */
struct ps_garbage {
	struct rcu_head rcu;
	u32 n;
	void *p[];
};

static void ps_garbage_free(struct rcu_head *head)
{
	struct ps_garbage *g = container_of(head, struct ps_garbage, rcu);
	u32 i;

	for (i = 0; i < g->n; i++)
		kvfree(g->p[i]);
	kvfree(g);
}

/**
 * ps_update_begin() - start a change of a namespace's table
 * @upd: the change
 * @pn: the namespace, its lock held
 *
 * Return: 0 or -ENOMEM.
 */
int ps_update_begin(struct ps_update *upd, struct ps_net *pn)
{
	const struct ps_table *old;

	/* All but the blocks edited, cleared as their top arrays are touched. */
	memset(upd, 0, offsetof(struct ps_update, blocks));
	/* One root per change: it fits kmalloc-256. */
	BUILD_BUG_ON(sizeof(struct ps_table) > 256);
	old = rcu_dereference_protected(pn->table, lockdep_is_held(&pn->lock));
	upd->pn = pn;
	upd->old = old ?: &ps_empty_table;
	upd->t = kmemdup(upd->old, sizeof(*upd->t), PS_GFP_CONFIG);
	if (!upd->t)
		return -ENOMEM;
	if (!old) {
		upd->t->seed = pn->settings.seed;
		upd->t->icmp_errors = pn->settings.icmp_errors;
	}
	upd->nrules = pn->cfg.rules.n;
	upd->nct = pn->cfg.nct;
	upd->slot = -1;
	upd->bytes = old ? pn->table_bytes : sizeof(*upd->t);
	upd->t->ngc = 0;
	return 0;
}

/**
 * ps_update_whole() - make the change a whole new table
 * @upd: the change, begun, nothing staged yet
 * @t: the table, from ps_table_build(); the change owns it
 * @bytes: its size
 */
void ps_update_whole(struct ps_update *upd, struct ps_table *t, size_t bytes)
{
	kfree(upd->t);
	upd->t = t;
	upd->whole = true;
	upd->bytes = bytes;
}

static int ps_upd_track(struct ps_update *upd, void *p, bool leaf, u32 dir,
			u32 pi, u32 block)
{
	struct ps_upd_alloc *a;

	if (upd->nallocs == upd->allocs_cap) {
		u32 cap = max(upd->allocs_cap * 2, 16U);

		a = kvmalloc_array(cap, sizeof(*a), PS_GFP_CONFIG);
		if (!a)
			return -ENOMEM;
		if (upd->nallocs)
			memcpy(a, upd->allocs, upd->nallocs * sizeof(*a));
		kvfree(upd->allocs);
		upd->allocs = a;
		upd->allocs_cap = cap;
	}
	a = &upd->allocs[upd->nallocs++];
	a->p = p;
	a->leaf = leaf;
	a->dir = dir;
	a->pi = pi;
	a->block = block;
	return 0;
}

/* A new piece of @size bytes, tracked so that it is freed if unused. */
static void *ps_upd_alloc(struct ps_update *upd, size_t size, bool leaf,
			  u32 dir, u32 pi, u32 block)
{
	void *p = kmalloc(size, PS_GFP_CONFIG);

	if (p && ps_upd_track(upd, p, leaf, dir, pi, block)) {
		kfree(p);
		p = NULL;
	}
	return p;
}

/* Whether the published table refers to top entry @e at @block. */
static bool ps_upd_published(const struct ps_update *upd, unsigned long e,
			     u32 dir, u32 pi, u32 block)
{
	const struct ps_top *o4 = upd->old->top[dir][0][pi];
	const struct ps_top *o6 = upd->old->top[dir][1][pi];

	return (o4 && o4->e[block] == e) || (o6 && o6->e[block] == e);
}

static bool ps_leaf_empty(const struct ps_leaf *leaf)
{
	unsigned int i;

	for (i = 0; i < PS_BLOCK_PORTS; i++)
		if (leaf->e[i])
			return false;
	return true;
}

static bool ps_top_empty(const struct ps_top *top)
{
	unsigned int b;

	for (b = 0; b < PS_BLOCKS; b++)
		if (top->e[b] != PS_E_NONE)
			return false;
	return true;
}

/*
 * Set ports [lo, hi] of one top array to @entry: of @plane, or of both
 * planes when they share it (@both).
 */
static int ps_upd_edit_top(struct ps_update *upd, u32 dir, u32 pi, u32 plane,
			   bool both, u32 lo, u32 hi, u32 entry)
{
	struct ps_top **slot = &upd->t->top[dir][plane][pi];
	struct ps_top *other = both ? NULL : upd->t->top[dir][!plane][pi];
	struct ps_top *top = *slot;
	u32 b, p;

	/* Written in place only if this change made it and it is not shared. */
	if (!top || top == upd->old->top[dir][0][pi] ||
	    top == upd->old->top[dir][1][pi] || top == other) {
		struct ps_top *copy;

		copy = ps_upd_alloc(upd, sizeof(*copy), false, dir, pi, 0);
		if (!copy)
			return -ENOMEM;
		if (top) {
			memcpy(copy, top, sizeof(*copy));
		} else {
			for (b = 0; b < PS_BLOCKS; b++)
				copy->e[b] = PS_E_NONE;
		}
		top = copy;
	}
	if (!(upd->touched & BIT(dir * PS_NPROTOS + pi)))
		bitmap_zero(upd->blocks[dir * PS_NPROTOS + pi], PS_BLOCKS);
	bitmap_set(upd->blocks[dir * PS_NPROTOS + pi], lo / PS_BLOCK_PORTS,
		   hi / PS_BLOCK_PORTS - lo / PS_BLOCK_PORTS + 1);
	for (b = lo / PS_BLOCK_PORTS; b <= hi / PS_BLOCK_PORTS; b++) {
		u32 first = b * PS_BLOCK_PORTS, last = first + PS_BLOCK_PORTS - 1;
		unsigned long e = top->e[b];
		struct ps_leaf *leaf;

		if (lo <= first && hi >= last) {
			top->e[b] = PS_E_SVC(entry);
			continue;
		}
		leaf = ps_e_is_leaf(e) ? ps_e_leaf(e) : NULL;
		if (!leaf || ps_upd_published(upd, e, dir, pi, b) ||
		    (other && other->e[b] == e)) {
			struct ps_leaf *copy;

			copy = ps_upd_alloc(upd, sizeof(*copy), true, dir, pi, b);
			if (!copy)
				goto err;
			if (leaf) {
				memcpy(copy, leaf, sizeof(*copy));
			} else {
				for (p = 0; p < PS_BLOCK_PORTS; p++)
					copy->e[p] = e >> 1;
			}
			leaf = copy;
			top->e[b] = (unsigned long)leaf;
		}
		for (p = max(lo, first); p <= min(hi, last); p++)
			leaf->e[p % PS_BLOCK_PORTS] = entry;
		/* A block no rule reaches into any more is none, as built. */
		if (!entry && ps_leaf_empty(leaf))
			top->e[b] = PS_E_NONE;
	}
	if (!entry && ps_top_empty(top))
		top = NULL;
	*slot = top;
	if (both)
		upd->t->top[dir][!plane][pi] = top;
	upd->touched |= BIT(dir * PS_NPROTOS + pi);
	return 0;
err:
	/* The pieces allocated stay tracked, and go with the change. */
	upd->touched |= BIT(dir * PS_NPROTOS + pi);
	*slot = top;
	if (both)
		upd->t->top[dir][!plane][pi] = top;
	return -ENOMEM;
}

/**
 * ps_update_rule() - stage the ports of a rule as steered to a service
 * @upd: the change
 * @r: the rule
 * @entry: the slot of its service plus one; 0 for none (the rule goes)
 *
 * Return: 0 or -ENOMEM (the change is then to be aborted).
 */
int ps_update_rule(struct ps_update *upd, const struct ps_rule *r, u32 entry)
{
	int pi = ps_proto_index(r->proto);
	u32 dir, plane;
	int err;

	for (dir = 0; dir < PS_NDIRS; dir++) {
		if (!(r->dir & BIT(dir)))
			continue;
		/* Both planes, sharing one top array: it stays shared. */
		if (r->family == PORTSTEER_FAMILY_INET &&
		    upd->t->top[dir][0][pi] == upd->t->top[dir][1][pi]) {
			err = ps_upd_edit_top(upd, dir, pi, 0, true, r->lo,
					      r->hi, entry);
			if (err)
				return err;
			continue;
		}
		for (plane = 0; plane < PS_NPLANES; plane++) {
			if (!(r->family & BIT(plane)))
				continue;
			err = ps_upd_edit_top(upd, dir, pi, plane, false, r->lo,
					      r->hi, entry);
			if (err)
				return err;
		}
	}
	return 0;
}

/**
 * ps_update_service_new() - stage a slot for a new service
 * @upd: the change
 * @svc: the service, new; its slot is set when the change is published
 *
 * The oldest slot given back is taken when its grace period is over (no
 * reader of an older table can still see the service that had it); else
 * one never used; else the array grows.
 *
 * Return: 0 or -ENOMEM.
 */
int ps_update_service_new(struct ps_update *upd, struct ps_service *svc)
{
	struct ps_slots *sl = upd->t->slots, *grown;
	u32 i;

	/*
	 * Every slot is taken or waiting: wait (under the namespace's lock,
	 * so its writers wait too) for the oldest one given back. Only a
	 * namespace at 65,535 services that deletes and adds gets here.
	 */
	if (sl && sl->used == sl->cap && sl->fifo_len &&
	    sl->cap == PS_SLOTS_MAX)
		synchronize_rcu();
	if (sl && sl->fifo_len &&
	    poll_state_synchronize_rcu(sl->fifo[sl->fifo_head].cookie)) {
		upd->slot = sl->fifo[sl->fifo_head].slot;
	} else if (sl && sl->used < sl->cap) {
		upd->slot = sl->used;
	} else {
		grown = ps_slots_alloc(ps_slots_cap(sl ? sl->cap : 0));
		if (!grown)
			return -ENOMEM;
		if (sl) {
			struct mutex *lock __maybe_unused = &upd->pn->lock;

			for (i = 0; i < sl->cap; i++)
				RCU_INIT_POINTER(grown->svc[i],
						 rcu_dereference_protected(sl->svc[i],
									   lockdep_is_held(lock)));
			for (i = 0; i < sl->fifo_len; i++)
				grown->fifo[i] = sl->fifo[(sl->fifo_head + i) % sl->cap];
			grown->used = sl->used;
			grown->fifo_len = sl->fifo_len;
		}
		upd->bytes += ps_slots_bytes(grown) - ps_slots_bytes(sl);
		upd->new_slots = grown;
		upd->t->slots = grown;
		upd->slot = grown->used;
	}
	upd->slot_dp = ps_dp_service_new(svc);
	if (!upd->slot_dp)
		return -ENOMEM;
	upd->slot_take = true;
	upd->slot_svc = svc;
	upd->bytes += sizeof(*upd->slot_dp);
	return 0;
}

/**
 * ps_update_service_set() - stage what the packet path reads of a service
 * @upd: the change
 * @svc: the service, changed
 *
 * Return: 0 or -ENOMEM.
 */
int ps_update_service_set(struct ps_update *upd, struct ps_service *svc)
{
	upd->slot_dp = ps_dp_service_new(svc);
	if (!upd->slot_dp)
		return -ENOMEM;
	upd->slot = svc->slot;
	upd->slot_svc = svc;
	upd->old_dp = svc->dp;
	return 0;
}

/**
 * ps_update_service_del() - stage the slot of a service given back
 * @upd: the change
 * @svc: the service; its rules are to be staged as gone too
 */
void ps_update_service_del(struct ps_update *upd, struct ps_service *svc)
{
	upd->slot = svc->slot;
	upd->slot_svc = svc;
	upd->slot_dp = NULL;
	upd->old_dp = svc->dp;
	upd->bytes -= sizeof(struct ps_dp_service);
}

/* Whether the new table refers to a piece this change allocated. */
static bool ps_upd_used(const struct ps_update *upd,
			const struct ps_upd_alloc *a)
{
	const struct ps_top *n4 = upd->t->top[a->dir][0][a->pi];
	const struct ps_top *n6 = upd->t->top[a->dir][1][a->pi];
	unsigned long e = (unsigned long)a->p;

	if (!a->leaf)
		return n4 == a->p || n6 == a->p;
	return (n4 && n4->e[a->block] == e) || (n6 && n6->e[a->block] == e);
}

/*
 * Walk the pieces of the top arrays the change touched that the published
 * table has and the new one has not: count them, or (@p) append them to
 * @p at *@np. A leaf can only have gone from a block the change edited.
 */
static u32 ps_upd_replaced(struct ps_update *upd, void **p, u32 *np)
{
	unsigned long touched = upd->touched;
	u32 n = 0, bit, b, plane;

	for_each_set_bit(bit, &touched, PS_NTOPS) {
		u32 dir = bit / PS_NPROTOS, pi = bit % PS_NPROTOS;
		const struct ps_top *o4 = upd->old->top[dir][0][pi];
		const struct ps_top *o6 = upd->old->top[dir][1][pi];
		const struct ps_top *n4 = upd->t->top[dir][0][pi];
		const struct ps_top *n6 = upd->t->top[dir][1][pi];

		for (plane = 0; plane < PS_NPLANES; plane++) {
			const struct ps_top *top = plane ? o6 : o4;

			if (!top || (plane && o6 == o4) || top == n4 || top == n6)
				continue;
			/* Its leaves, unless the other old one or a new one has them. */
			for_each_set_bit(b, upd->blocks[bit], PS_BLOCKS) {
				unsigned long e = top->e[b];

				if (!ps_e_is_leaf(e) ||
				    (plane && o4 && o4->e[b] == e) ||
				    (n4 && n4->e[b] == e) || (n6 && n6->e[b] == e))
					continue;
				if (p) {
					p[(*np)++] = (void *)e;
					upd->bytes -= sizeof(struct ps_leaf);
				}
				n++;
			}
			if (p) {
				p[(*np)++] = (void *)top;
				upd->bytes -= sizeof(struct ps_top);
			}
			n++;
		}
	}
	return n;
}

/* Whether two top arrays give every port the same entry. */
static bool ps_tops_same(const struct ps_top *a, const struct ps_top *b)
{
	unsigned int blk;

	for (blk = 0; blk < PS_BLOCKS; blk++) {
		unsigned long ea = a->e[blk], eb = b->e[blk];

		if (ea == eb)
			continue;
		if (!ps_e_is_leaf(ea) || !ps_e_is_leaf(eb) ||
		    memcmp(ps_e_leaf(ea), ps_e_leaf(eb), sizeof(struct ps_leaf)))
			return false;
	}
	return true;
}

/*
 * IPv6 shares IPv4's top array again when a change made them the same (a
 * rule of one family gone): memory stays what a table built from scratch
 * takes, and later changes of both families edit one array. IPv6's pieces
 * then all go, from any block: mark every block edited.
 */
static void ps_upd_rejoin(struct ps_update *upd)
{
	unsigned long touched = upd->touched;
	u32 bit;

	for_each_set_bit(bit, &touched, PS_NTOPS) {
		u32 dir = bit / PS_NPROTOS, pi = bit % PS_NPROTOS;
		struct ps_top *n4 = upd->t->top[dir][0][pi];
		struct ps_top *n6 = upd->t->top[dir][1][pi];

		if (n4 && n6 && n4 != n6 && ps_tops_same(n4, n6)) {
			upd->t->top[dir][1][pi] = n4;
			bitmap_fill(upd->blocks[bit], PS_BLOCKS);
		}
	}
}

/**
 * ps_update_prepare() - do what can fail before a change is published
 * @upd: the change
 *
 * Frees the pieces the change allocated and ended up not using, and
 * gathers what it replaced, to be freed after the grace period.
 *
 * Return: 0 or -ENOMEM (the change is then to be aborted).
 */
int ps_update_prepare(struct ps_update *upd)
{
	struct ps_garbage *g;
	u32 i, j, n;

	if (upd->whole)
		return 0;
	ps_upd_rejoin(upd);
	/*
	 * What it replaced, with a smaller slot array and its ring and a
	 * service's copy: in the old root, which goes with them, when they
	 * fit (most changes); else in a list of their own, with the root.
	 */
	n = ps_upd_replaced(upd, NULL, NULL) + 3;
	if (upd->old == &ps_empty_table || n > PS_GC_INLINE) {
		g = kvmalloc(struct_size(g, p, n + 1), PS_GFP_CONFIG);
		if (!g)
			return -ENOMEM;
		g->n = 0;
		upd->garbage = g;
	}
	/* Nothing fails from here on: the pieces left unused go now. */
	for (i = 0, j = 0; i < upd->nallocs; i++) {
		if (ps_upd_used(upd, &upd->allocs[i])) {
			upd->bytes += upd->allocs[i].leaf ? sizeof(struct ps_leaf) :
							     sizeof(struct ps_top);
			upd->allocs[j++] = upd->allocs[i];
		} else {
			kfree(upd->allocs[i].p);
		}
	}
	upd->nallocs = j;
	return 0;
}

/* Gather what the change replaced, for after the grace period. */
static void ps_upd_gather(struct ps_update *upd)
{
	struct ps_table *old = (struct ps_table *)upd->old;
	struct ps_garbage *g = upd->garbage;
	void **p = g ? g->p : old->gc;
	u32 *n = g ? &g->n : &old->ngc;

	if (g && old != &ps_empty_table)
		g->p[g->n++] = old;
	ps_upd_replaced(upd, p, n);
	if (upd->new_slots && old->slots) {
		p[(*n)++] = old->slots->fifo;
		p[(*n)++] = old->slots;
	}
	if (upd->old_dp)
		p[(*n)++] = upd->old_dp;
}

static void ps_table_gc_free(struct rcu_head *head)
{
	struct ps_table *t = container_of(head, struct ps_table, rcu);
	u32 i;

	for (i = 0; i < t->ngc; i++)
		kvfree(t->gc[i]);
	kfree(t);
}

/**
 * ps_update_publish() - make a prepared change the packet path's table
 * @upd: the change, prepared; it is over when this returns
 *
 * Nothing fails here. The slot of a service given back is reusable once
 * the readers of the table published before are gone.
 */
void ps_update_publish(struct ps_update *upd)
{
	struct ps_net *pn = upd->pn;
	struct ps_slots *sl = upd->t->slots;
	struct ps_table *old;

	if (upd->slot >= 0) {
		if (upd->slot_take) {
			if (sl->fifo_len &&
			    sl->fifo[sl->fifo_head].slot == upd->slot) {
				sl->fifo_head = (sl->fifo_head + 1) % sl->cap;
				sl->fifo_len--;
			} else {
				sl->used++;
			}
		}
		rcu_assign_pointer(sl->svc[upd->slot], upd->slot_dp);
		upd->slot_svc->slot = upd->slot;
		upd->slot_svc->dp = upd->slot_dp;
	}
	old = rcu_replace_pointer(pn->table, upd->t, lockdep_is_held(&pn->lock));
	if (upd->slot >= 0 && !upd->slot_dp) {
		struct ps_slot_free *f;

		f = &sl->fifo[(sl->fifo_head + sl->fifo_len++) % sl->cap];
		f->slot = upd->slot;
		f->cookie = get_state_synchronize_rcu();
	}
	if (upd->whole) {
		if (old)
			ps_table_free_rcu(old);
	} else {
		ps_upd_gather(upd);
		if (upd->garbage)
			call_rcu(&upd->garbage->rcu, ps_garbage_free);
		else
			call_rcu(&old->rcu, ps_table_gc_free);
	}
	pn->table_bytes = upd->bytes;
	kvfree(upd->allocs);
}

/**
 * ps_update_abort() - drop a change that was not published
 * @upd: the change; the published table is as it was
 */
void ps_update_abort(struct ps_update *upd)
{
	u32 i;

	if (upd->whole) {
		ps_table_free(upd->t);
	} else {
		for (i = 0; i < upd->nallocs; i++)
			kfree(upd->allocs[i].p);
		ps_slots_free(upd->new_slots);
		kfree(upd->slot_dp);
		kvfree(upd->garbage);
		kfree(upd->t);
	}
	kvfree(upd->allocs);
}

/* Report a difference between the table and the one built from scratch. */
static __printf(2, 3) int ps_check_fail(struct netlink_ext_ack *extack,
					const char *fmt, ...)
{
	char buf[64];
	va_list args;

	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	WARN_ONCE(1, "table check: %s\n", buf);
	NL_SET_ERR_MSG_FMT(extack, "table check failed: %s", buf);
	return -EIO;
}

/*
 * The memory of a table's top arrays and leaves of the protocols @protos
 * (BIT() of their index), counted piece by piece.
 */
static size_t ps_tops_bytes(const struct ps_table *t, u32 protos)
{
	unsigned int dir, pi, plane, b;
	size_t bytes = 0;

	for (dir = 0; dir < PS_NDIRS; dir++) {
		for (pi = 0; pi < PS_NPROTOS; pi++) {
			const struct ps_top *v4 = t->top[dir][0][pi];

			if (!(protos & BIT(pi)))
				continue;

			for (plane = 0; plane < PS_NPLANES; plane++) {
				const struct ps_top *top = t->top[dir][plane][pi];

				if (!top || (plane && top == v4))
					continue;
				bytes += sizeof(*top);
				for (b = 0; b < PS_BLOCKS; b++)
					if (ps_e_is_leaf(top->e[b]) &&
					    !(plane && v4 && v4->e[b] == top->e[b]))
						bytes += sizeof(struct ps_leaf);
			}
		}
	}
	return bytes;
}

/* The memory a table takes, counted piece by piece. */
static size_t ps_table_bytes(const struct ps_table *t)
{
	size_t bytes = sizeof(*t) + ps_slots_bytes(t->slots) +
		       ps_tops_bytes(t, BIT(PS_NPROTOS) - 1);
	unsigned int i;

	for (i = 0; t->slots && i < t->slots->cap; i++)
		if (rcu_access_pointer(t->slots->svc[i]))
			bytes += sizeof(struct ps_dp_service);
	return bytes;
}

/* Compare one top array with the one built from scratch, port by port. */
static int ps_check_top(const struct ps_top *a, const struct ps_top *b,
			u32 dir, u32 plane, u32 pi,
			struct netlink_ext_ack *extack)
{
	unsigned int blk, p;

	for (blk = 0; blk < PS_BLOCKS; blk++) {
		unsigned long ea = a ? a->e[blk] : PS_E_NONE;
		unsigned long eb = b ? b->e[blk] : PS_E_NONE;

		if (!ps_e_is_leaf(ea) && !ps_e_is_leaf(eb) && ea == eb)
			continue;
		for (p = blk * PS_BLOCK_PORTS; p < (blk + 1) * PS_BLOCK_PORTS; p++) {
			u32 x = ps_top_lookup(a, p), y = ps_top_lookup(b, p);

			if (x != y)
				return ps_check_fail(extack,
						     "%s %s %s port %u: slot %d, built %d",
						     dir ? "sport" : "dport",
						     plane ? "ip6" : "ip",
						     ps_proto_descs[pi].name, p,
						     (int)x - 1, (int)y - 1);
		}
	}
	return 0;
}

/**
 * ps_update_check() - compare a namespace's table with one built from scratch
 * @pn: the namespace, its lock held, a change just published
 * @touched: the top arrays the change touched (&struct ps_update.touched)
 * @extack: for the difference found
 *
 * With the check_updates parameter: every port of every direction and
 * plane of the protocols the change touched must give the same slot as a
 * table built from their rules from scratch, each service's slot must hold
 * what the service says, the size the changes kept count of must be the
 * table's, and its top arrays and leaves must take no more memory than
 * those built from scratch. A difference is a bug: it warns.
 *
 * Return: 0, -EIO on a difference, -ENOMEM.
 */
static int ps_update_check(struct ps_net *pn, u32 touched,
			   struct netlink_ext_ack *extack)
{
	const struct ps_table *t;
	struct ps_table scratch = { };
	unsigned long bits = touched;
	const struct ps_rule *r;
	struct ps_service *svc;
	struct ps_rule_iter it;
	struct ps_rule *rules;
	u32 n = 0, bit, plane, protos;
	size_t bytes = 0;
	int err = 0;

	t = rcu_dereference_protected(pn->table, lockdep_is_held(&pn->lock));
	if (!t)
		return 0;
	rules = kvmalloc_array(max(pn->cfg.rules.n, 1U), sizeof(*rules),
			       PS_GFP_CONFIG);
	if (!rules)
		return -ENOMEM;
	/* The protocols touched, in either direction: only theirs are built. */
	protos = (touched | touched >> PS_NPROTOS) & (BIT(PS_NPROTOS) - 1);
	ps_rule_iter_start(&it, &pn->cfg.rules, NULL);
	while ((r = ps_rule_iter_next(&it)))
		if (protos & BIT(ps_proto_index(r->proto)))
			rules[n++] = *r;
	err = ps_tops_build(&scratch, rules, n, &bytes);
	if (err)
		goto out;
	for_each_set_bit(bit, &bits, PS_NTOPS) {
		u32 dir = bit / PS_NPROTOS, pi = bit % PS_NPROTOS;

		for (plane = 0; plane < PS_NPLANES && !err; plane++)
			err = ps_check_top(t->top[dir][plane][pi],
					   scratch.top[dir][plane][pi], dir,
					   plane, pi, extack);
	}
	list_for_each_entry(svc, &pn->cfg.services, list) {
		const struct ps_dp_service *d;

		if (err)
			break;
		d = rcu_dereference_protected(t->slots->svc[svc->slot],
					      lockdep_is_held(&pn->lock));
		if (d != svc->dp || d->qbase != svc->qbase ||
		    d->qcount != svc->qcount || d->balance != svc->balance ||
		    !!d->verdict_flags != svc->bypass || d->mark != svc->mark ||
		    d->mark_mask != svc->mark_mask ||
		    d->ct_mark != svc->ct_mark ||
		    d->ct_mark_mask != svc->ct_mark_mask ||
		    d->stats != svc->stats)
			err = ps_check_fail(extack, "service '%s' in slot %u",
					    svc->name, svc->slot);
	}
	if (!err && ps_table_bytes(t) != pn->table_bytes)
		err = ps_check_fail(extack, "table of %zu bytes, counted %zu",
				    ps_table_bytes(t), pn->table_bytes);
	/* Changes take no more memory than a table built from scratch. */
	if (!err && ps_tops_bytes(t, protos) > bytes)
		err = ps_check_fail(extack, "tops and leaves of %zu bytes, built %zu",
				    ps_tops_bytes(t, protos), bytes);
	if (!err)
		ps_checked_updates++;
	ps_tops_free(&scratch);
out:
	kvfree(rules);
	return err;
}

/**
 * ps_update_checked() - check the change just committed, if asked to
 * @pn: the namespace, its lock held, its model changed as committed
 * @extack: for the difference found
 *
 * Return: 0, or with the check_updates parameter set, what
 * ps_update_check() found; the change stays committed either way.
 */
int ps_update_checked(struct ps_net *pn, struct netlink_ext_ack *extack)
{
	u32 touched = pn->touched;

	pn->touched = 0;
	if (!READ_ONCE(ps_check_updates))
		return 0;
	return ps_update_check(pn, touched, extack);
}
