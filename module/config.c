// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: the configuration model of a namespace (services, rules, the
 * protocols, settings), its edits (rules merged in and taken out, a service's
 * rules) and its counters. table.c builds the lookup table from it and
 * commit.c publishes it; the netlink handlers only parse, edit and report.
 */

#include <linux/atomic.h>
#include <linux/netfilter_ipv4.h>
#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "portsteer.h"

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
	cfg->by_name = RB_ROOT;
	INIT_LIST_HEAD(&cfg->services);
	ps_ruleset_init(&cfg->rules);
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

/* Insert @svc in @cfg, keeping the list in name order: O(log services). */
void ps_config_add_service(struct ps_config *cfg, struct ps_service *svc)
{
	struct rb_node **link = &cfg->by_name.rb_node, *parent = NULL;
	struct ps_service *next = NULL, *pos;

	while (*link) {
		parent = *link;
		pos = rb_entry(parent, struct ps_service, rbnode);
		if (strcmp(svc->name, pos->name) < 0) {
			next = pos;
			link = &parent->rb_left;
		} else {
			link = &parent->rb_right;
		}
	}
	rb_link_node(&svc->rbnode, parent, link);
	rb_insert_color(&svc->rbnode, &cfg->by_name);
	hash_add(cfg->names, &svc->hnode, ps_name_hash(svc->name));
	if (next)
		list_add_tail(&svc->list, &next->list);
	else
		list_add_tail(&svc->list, &cfg->services);
	cfg->nservices++;
	if (svc->ct_mark_mask)
		cfg->nct++;
}

void ps_config_unlink_service(struct ps_config *cfg, struct ps_service *svc)
{
	hash_del(&svc->hnode);
	rb_erase(&svc->rbnode, &cfg->by_name);
	list_del_init(&svc->list);
	cfg->nservices--;
	if (svc->ct_mark_mask)
		cfg->nct--;
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
	ps_ruleset_free(&cfg->rules);
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
	/* Nodes of a tree do not point at its root. */
	dst->by_name = src->by_name;
	dst->nservices = src->nservices;
	dst->nct = src->nct;
	dst->rules = src->rules;
	ps_config_init(src);
}

/*
 * The order of rules: protocol, first port, family, direction (of dumps,
 * and of a transaction's rules when checked).
 */
int ps_rule_cmp(const void *a, const void *b)
{
	const struct ps_rule *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
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
 * a direction, and their port ranges intersect.
 *
 * Return: 0 when no two rules overlap, -EEXIST otherwise.
 */
int ps_rules_check(const struct ps_rule *rules, u32 n, u32 *first, u32 *second)
{
	u32 start, end, i, plane, dir;
	s32 last;	/* per plane: the rule reaching furthest, or -1 */

	for (start = 0; start < n; start = end) {
		for (end = start + 1; end < n; end++)
			if (rules[end].proto != rules[start].proto)
				break;
		for (dir = 0; dir < PS_NDIRS; dir++) {
			for (plane = 0; plane < PS_NPLANES; plane++) {
				last = -1;
				for (i = start; i < end; i++) {
					if (!(rules[i].family & BIT(plane)) ||
					    !(rules[i].dir & BIT(dir)))
						continue;
					if (last >= 0 &&
					    rules[i].lo <= rules[last].hi) {
						*first = last;
						*second = i;
						return -EEXIST;
					}
					last = i;
				}
			}
		}
	}
	return 0;
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

static const char *ps_dir_name(u8 dir)
{
	switch (dir) {
	case PORTSTEER_DIRECTION_SRC:
		return "sport";
	case PORTSTEER_DIRECTION_ANY:
		return "port";
	}
	return "dport";
}

/* Format a rule as the CLI writes it, for messages. */
void ps_rule_str(char *buf, size_t len, const struct ps_rule *r)
{
	if (r->lo == r->hi)
		snprintf(buf, len, "%s %s %s %u", ps_family_name(r->family),
			 ps_proto_name(r->proto), ps_dir_name(r->dir), r->lo);
	else
		snprintf(buf, len, "%s %s %s %u-%u", ps_family_name(r->family),
			 ps_proto_name(r->proto), ps_dir_name(r->dir), r->lo,
			 r->hi);
}

bool ps_rule_same(const struct ps_rule *a, const struct ps_rule *b)
{
	return a->proto == b->proto && a->lo == b->lo && a->hi == b->hi &&
	       a->family == b->family && a->dir == b->dir;
}

int ps_settings_check(const struct ps_settings *s,
		      struct netlink_ext_ack *extack)
{
	if (!s->hooks) {
		NL_SET_ERR_MSG(extack, "the set of hooks is empty");
		return -EINVAL;
	}
	if ((s->hooks & BIT(PORTSTEER_HOOK_PREROUTING)) &&
	    (s->hooks & (BIT(PORTSTEER_HOOK_INPUT) | BIT(PORTSTEER_HOOK_FORWARD)))) {
		NL_SET_ERR_MSG(extack,
			       "prerouting sees what input and forward see: a packet would be classified twice");
		return -EINVAL;
	}
	if (s->defrag && s->priority <= NF_IP_PRI_CONNTRACK_DEFRAG) {
		BUILD_BUG_ON(NF_IP_PRI_CONNTRACK_DEFRAG != -400);
		NL_SET_ERR_MSG(extack,
			       "with defrag on, the priority must be above -400 (defragmentation)");
		return -EINVAL;
	}
	return 0;
}

/* The settings now in force, with those a transaction gave (@set) over them. */
struct ps_settings ps_settings_merge(const struct ps_settings *cur,
				     const struct ps_settings *txn,
				     u32 set)
{
	struct ps_settings s = *cur;

	if (set & PS_SET_HOOK)
		s.hooks = txn->hooks;
	if (set & PS_SET_PRIORITY)
		s.priority = txn->priority;
	if (set & PS_SET_DEFRAG)
		s.defrag = txn->defrag;
	if (set & PS_SET_ICMP)
		s.icmp_errors = txn->icmp_errors;
	if (set & PS_SET_SEED)
		s.seed = txn->seed;
	return s;
}

/* Zero the counters of the namespace and of its services. */
void ps_net_stats_reset(struct ps_net *pn)
{
	u64 cnt[PS_CNT_MAX], packets, bytes;
	struct ps_service *svc;
	int i;

	ps_net_stats_read(pn, cnt);
	for (i = 0; i < PS_CNT_MAX; i++)
		pn->stats_base[i] += cnt[i];
	list_for_each_entry(svc, &pn->cfg.services, list) {
		ps_svc_stats_read(svc, &packets, &bytes);
		svc->base_packets += packets;
		svc->base_bytes += bytes;
	}
}
