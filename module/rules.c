// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: the rule set of a namespace, as the writers keep it.
 *
 * A rule has a protocol, a family (IPv4, IPv6 or both) and a direction
 * (destination port, source port or either). The rules of one protocol,
 * family and direction are a red-black tree ordered by first port, and
 * within a tree no two rules overlap, so a rule can only overlap its
 * predecessor in a tree: finding, inserting, deleting and checking a rule
 * for overlaps are O(log N), looking in the at most nine trees (three
 * families times three directions) whose family and direction intersect
 * the rule's. Walking the rules in the order of ps_rule_cmp() (protocol,
 * first port, family, direction) merges the nine trees of each protocol.
 */

#include <linux/rbtree.h>
#include <linux/slab.h>

#include "portsteer.h"

static struct kmem_cache *ps_rule_cache __ro_after_init;

int __init ps_rules_init(void)
{
	ps_rule_cache = KMEM_CACHE(ps_rule_node, SLAB_ACCOUNT);
	return ps_rule_cache ? 0 : -ENOMEM;
}

void ps_rules_exit(void)
{
	kmem_cache_destroy(ps_rule_cache);
}

/* The tree of a rule's family and direction, 0..PS_NGROUPS - 1. */
static unsigned int ps_group(u8 family, u8 dir)
{
	return (family - 1) * 3 + (dir - 1);
}

static struct rb_root *ps_tree(struct ps_ruleset *rs, const struct ps_rule *r)
{
	return &rs->root[ps_proto_index(r->proto)][ps_group(r->family, r->dir)];
}

void ps_ruleset_init(struct ps_ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
}

struct ps_rule_node *ps_rule_node_alloc(const struct ps_rule *r)
{
	struct ps_rule_node *n;

	n = kmem_cache_alloc(ps_rule_cache, PS_GFP_CONFIG);
	if (n) {
		n->r = *r;
		n->r.flags = 0;
	}
	return n;
}

void ps_rule_node_free(struct ps_rule_node *n)
{
	kmem_cache_free(ps_rule_cache, n);
}

/* The rule of @root with the largest first port not above @port, or NULL. */
static struct ps_rule_node *ps_tree_floor(const struct rb_root *root, u16 port)
{
	struct rb_node *p = root->rb_node;
	struct ps_rule_node *best = NULL;

	while (p) {
		struct ps_rule_node *n = rb_entry(p, struct ps_rule_node, node);

		if (n->r.lo <= port) {
			best = n;
			p = p->rb_right;
		} else {
			p = p->rb_left;
		}
	}
	return best;
}

/* The rule of @root with the smallest first port not below @port, or NULL. */
static struct rb_node *ps_tree_ceil(const struct rb_root *root, u32 port)
{
	struct rb_node *p = root->rb_node, *best = NULL;

	while (p) {
		struct ps_rule_node *n = rb_entry(p, struct ps_rule_node, node);

		if (n->r.lo >= port) {
			best = p;
			p = p->rb_left;
		} else {
			p = p->rb_right;
		}
	}
	return best;
}

/**
 * ps_ruleset_find() - the rule with a rule's protocol, family, direction and
 *	first port
 * @rs: the rule set
 * @key: the rule looked for; its last port and service are not compared
 *
 * Return: the rule, or NULL.
 */
struct ps_rule_node *ps_ruleset_find(struct ps_ruleset *rs,
				     const struct ps_rule *key)
{
	struct ps_rule_node *n = ps_tree_floor(ps_tree(rs, key), key->lo);

	return n && n->r.lo == key->lo ? n : NULL;
}

/**
 * ps_ruleset_conflict() - a rule that overlaps a rule
 * @rs: the rule set
 * @r: the rule
 *
 * Two rules overlap when they are for the same protocol, share a family
 * and a direction, and their port ranges intersect.
 *
 * Return: of the rules that overlap @r, the first in the order of
 * ps_rule_cmp(), or NULL.
 */
const struct ps_rule *ps_ruleset_conflict(struct ps_ruleset *rs,
					  const struct ps_rule *r)
{
	struct rb_root *roots = rs->root[ps_proto_index(r->proto)];
	const struct ps_rule *best = NULL;
	u8 family, dir;

	for (family = 1; family <= 3; family++) {
		if (!(family & r->family))
			continue;
		for (dir = 1; dir <= 3; dir++) {
			struct rb_root *root = &roots[ps_group(family, dir)];
			struct ps_rule_node *n;

			if (!(dir & r->dir))
				continue;
			/*
			 * The rules of a tree are disjoint: the first that
			 * reaches @r either starts below it and reaches into
			 * it, or is the first that starts within it.
			 */
			n = ps_tree_floor(root, r->lo);
			if (!n || n->r.hi < r->lo) {
				n = rb_entry_safe(ps_tree_ceil(root, r->lo),
						  struct ps_rule_node, node);
				if (n && n->r.lo > r->hi)
					n = NULL;
			}
			if (n && (!best || ps_rule_cmp(&n->r, best) < 0))
				best = &n->r;
		}
	}
	return best;
}

void ps_ruleset_insert(struct ps_ruleset *rs, struct ps_rule_node *n)
{
	struct rb_root *root = ps_tree(rs, &n->r);
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (n->r.lo < rb_entry(parent, struct ps_rule_node, node)->r.lo)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&n->node, parent, link);
	rb_insert_color(&n->node, root);
	rs->n++;
}

void ps_ruleset_erase(struct ps_ruleset *rs, struct ps_rule_node *n)
{
	rb_erase(&n->node, ps_tree(rs, &n->r));
	rs->n--;
}

void ps_ruleset_free(struct ps_ruleset *rs)
{
	struct ps_rule_node *n, *tmp;
	unsigned int pi, g;

	for (pi = 0; pi < PS_NPROTOS; pi++)
		for (g = 0; g < PS_NGROUPS; g++)
			rbtree_postorder_for_each_entry_safe(n, tmp,
							     &rs->root[pi][g],
							     node)
				ps_rule_node_free(n);
	ps_ruleset_init(rs);
}

/**
 * ps_ruleset_from_array() - a rule set of rules free of overlaps
 * @rs: an empty rule set
 * @rules: the rules
 * @n: number of @rules
 *
 * Return: 0, or -ENOMEM with @rs left empty.
 */
int ps_ruleset_from_array(struct ps_ruleset *rs, const struct ps_rule *rules,
			  u32 n)
{
	struct ps_rule_node *node;
	u32 i;

	for (i = 0; i < n; i++) {
		node = ps_rule_node_alloc(&rules[i]);
		if (!node) {
			ps_ruleset_free(rs);
			return -ENOMEM;
		}
		ps_ruleset_insert(rs, node);
	}
	return 0;
}

/* The protocols' indices in the order of their numbers, as rules sort. */
static u8 ps_proto_order[PS_NPROTOS] __ro_after_init;

void __init ps_rules_order_init(void)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < 256; i++)
		for (j = 0; j < PS_NPROTOS; j++)
			if (ps_proto_descs[j].proto == i)
				ps_proto_order[n++] = j;
}

/* Point the cursor at the first rule of protocol number @o at or after (@lo, @g). */
static void ps_iter_seek(struct ps_rule_iter *it, unsigned int o, u32 lo,
			 unsigned int g)
{
	struct rb_root *roots;
	unsigned int i;

	it->o = o;
	if (o >= PS_NPROTOS)
		return;
	roots = it->rs->root[ps_proto_order[o]];
	for (i = 0; i < PS_NGROUPS; i++) {
		struct rb_node *p = ps_tree_ceil(&roots[i], lo);

		if (p && i < g &&
		    rb_entry(p, struct ps_rule_node, node)->r.lo == lo)
			p = rb_next(p);
		it->cur[i] = p;
	}
}

/* The next rule of the cursor, in the order of ps_rule_cmp(), or NULL. */
const struct ps_rule *ps_rule_iter_next(struct ps_rule_iter *it)
{
	for (; it->o < PS_NPROTOS; ps_iter_seek(it, it->o + 1, 0, 0)) {
		struct ps_rule_node *best = NULL, *n;
		unsigned int i, bi = 0;

		for (i = 0; i < PS_NGROUPS; i++) {
			if (!it->cur[i])
				continue;
			n = rb_entry(it->cur[i], struct ps_rule_node, node);
			if (!best || n->r.lo < best->r.lo) {
				best = n;
				bi = i;
			}
		}
		if (best) {
			it->cur[bi] = rb_next(it->cur[bi]);
			return &best->r;
		}
	}
	return NULL;
}

/**
 * ps_rule_iter_start() - a cursor over the rules, in the order of ps_rule_cmp()
 * @it: the cursor
 * @rs: the rule set, not to change while the cursor is used
 * @after: start after this rule (which need not be in @rs), or NULL to
 *	start with the first
 */
void ps_rule_iter_start(struct ps_rule_iter *it, struct ps_ruleset *rs,
			const struct ps_rule *after)
{
	unsigned int o;

	it->rs = rs;
	if (!after) {
		ps_iter_seek(it, 0, 0, 0);
		return;
	}
	for (o = 0; o < PS_NPROTOS; o++)
		if (ps_proto_descs[ps_proto_order[o]].proto == after->proto)
			break;
	/* At (lo, group + 1): the rules after @after. */
	ps_iter_seek(it, o, after->lo, ps_group(after->family, after->dir) + 1);
}
