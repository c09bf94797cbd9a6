// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: netlink attributes to the model's types and back. Requests
 * were validated against the generated policies (netlink-gen.c) before a
 * handler runs; what is checked here is what a policy cannot say (names,
 * protocols, port order, the services a rule names). Replies and
 * notifications are built here too.
 */

#include <linux/netlink.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "nlattr.h"

/* The highest attribute of one of the generated policies. */
#define PS_POLICY_MAX(policy) (ARRAY_SIZE(policy) - 1)

static int ps_name_check(const struct nlattr *attr, struct netlink_ext_ack *extack)
{
	const char *name = nla_data(attr);
	size_t i, len = strlen(name);

	if (!len) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "service name is empty");
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		char c = name[i];

		/* Not isalnum(): the kernel's counts Latin-1 letters. */
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '_' && c != '.' && c != '-') {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "service name may contain only letters, digits, '_', '.' and '-'");
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * A mark and its mask from attributes @va and @ma of @tb, over *@value and
 * *@mask: a value alone is compared whole; a mask of 0 removes the mark.
 */
static int ps_mark_parse(struct nlattr **tb, int va, int ma, u32 *value,
			 u32 *mask, struct netlink_ext_ack *extack)
{
	u32 v = *value, m = *mask;

	if (tb[va]) {
		v = nla_get_u32(tb[va]);
		if (!tb[ma])
			m = U32_MAX;
	}
	if (tb[ma]) {
		m = nla_get_u32(tb[ma]);
		/* A mask of 0 alone removes the mark. */
		if (!m && !tb[va])
			v = 0;
	}
	if (v & ~m) {
		NL_SET_ERR_MSG_FMT(extack,
				   "mark 0x%x has bits outside its mask 0x%x",
				   v, m);
		NL_SET_BAD_ATTR(extack, tb[va] ?: tb[ma]);
		return -EINVAL;
	}
	*value = v;
	*mask = m;
	return 0;
}

/*
 * Apply the attributes of a service nest to @svc, all or none. The queue
 * range must stay within 0..65535.
 */
int ps_service_apply(struct ps_service *svc, const struct nlattr *nest,
		     struct nlattr **tb, struct netlink_ext_ack *extack)
{
	u32 qbase = svc->qbase, qcount = svc->qcount;
	u32 mark = svc->mark, mark_mask = svc->mark_mask;
	u32 ct_mark = svc->ct_mark, ct_mark_mask = svc->ct_mark_mask;
	int err;

	if (tb[PORTSTEER_SERVICE_A_QUEUE])
		qbase = nla_get_u16(tb[PORTSTEER_SERVICE_A_QUEUE]);
	if (tb[PORTSTEER_SERVICE_A_QUEUE_COUNT])
		qcount = nla_get_u32(tb[PORTSTEER_SERVICE_A_QUEUE_COUNT]);
	if (qbase + qcount - 1 > U16_MAX) {
		NL_SET_ERR_MSG_FMT(extack,
				   "queue range %u-%u goes beyond queue 65535",
				   qbase, qbase + qcount - 1);
		NL_SET_BAD_ATTR(extack, tb[PORTSTEER_SERVICE_A_QUEUE_COUNT] ?:
					tb[PORTSTEER_SERVICE_A_QUEUE] ?: nest);
		return -ERANGE;
	}
	err = ps_mark_parse(tb, PORTSTEER_SERVICE_A_MARK,
			    PORTSTEER_SERVICE_A_MARK_MASK, &mark, &mark_mask,
			    extack) ?:
	      ps_mark_parse(tb, PORTSTEER_SERVICE_A_CT_MARK,
			    PORTSTEER_SERVICE_A_CT_MARK_MASK, &ct_mark,
			    &ct_mark_mask, extack);
	if (err)
		return err;
	if (ct_mark_mask && !IS_ENABLED(CONFIG_NF_CONNTRACK_MARK)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[PORTSTEER_SERVICE_A_CT_MARK] ?:
					    tb[PORTSTEER_SERVICE_A_CT_MARK_MASK],
				    "this kernel has no conntrack marks (CONFIG_NF_CONNTRACK_MARK)");
		return -EOPNOTSUPP;
	}
	svc->qbase = qbase;
	svc->qcount = qcount;
	svc->mark = mark;
	svc->mark_mask = mark_mask;
	svc->ct_mark = ct_mark;
	svc->ct_mark_mask = ct_mark_mask;
	if (tb[PORTSTEER_SERVICE_A_BALANCE])
		svc->balance = nla_get_u8(tb[PORTSTEER_SERVICE_A_BALANCE]);
	if (tb[PORTSTEER_SERVICE_A_BYPASS])
		svc->bypass = nla_get_u8(tb[PORTSTEER_SERVICE_A_BYPASS]);
	return 0;
}

/*
 * Parse a service nest for creation in @cfg (the namespace's, or a
 * transaction's) and return the new service, not yet linked.
 */
struct ps_service *ps_service_parse_new(struct ps_net *pn,
					const struct ps_config *cfg,
					const struct nlattr *nest,
					struct netlink_ext_ack *extack)
{
	struct nlattr *tb[PORTSTEER_SERVICE_A_MAX + 1];
	struct ps_service *svc;
	const char *name;
	int err;

	err = nla_parse_nested(tb, PS_POLICY_MAX(portsteer_service_input_nl_policy), nest,
			       portsteer_service_input_nl_policy, extack);
	if (err)
		return ERR_PTR(err);
	if (ps_missing(extack, nest, tb, PORTSTEER_SERVICE_A_NAME,
		       "missing service name") ||
	    ps_missing(extack, nest, tb, PORTSTEER_SERVICE_A_QUEUE,
		       "missing service queue"))
		return ERR_PTR(-EINVAL);
	err = ps_name_check(tb[PORTSTEER_SERVICE_A_NAME], extack);
	if (err)
		return ERR_PTR(err);
	name = nla_data(tb[PORTSTEER_SERVICE_A_NAME]);
	if (ps_service_find(cfg, name)) {
		NL_SET_ERR_MSG_FMT(extack, "service '%s' already exists", name);
		NL_SET_BAD_ATTR(extack, tb[PORTSTEER_SERVICE_A_NAME]);
		return ERR_PTR(-EEXIST);
	}
	if (cfg->nservices >= pn->max_services) {
		NL_SET_ERR_MSG_FMT(extack, "too many services (limit %u)",
				   pn->max_services);
		return ERR_PTR(-ENOSPC);
	}
	svc = ps_service_alloc(name);
	if (!svc)
		return ERR_PTR(-ENOMEM);
	err = ps_service_apply(svc, nest, tb, extack);
	if (err) {
		ps_service_free_rcu(svc);
		return ERR_PTR(err);
	}
	return svc;
}

struct ps_service *ps_service_lookup(struct ps_net *pn,
				     struct genl_info *info,
				     struct nlattr **tb)
{
	const struct nlattr *nest = info->attrs[PORTSTEER_A_SERVICE];
	struct ps_service *svc;
	int err;

	if (!nest) {
		NL_SET_ERR_MSG(info->extack, "missing service");
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, PORTSTEER_A_SERVICE);
		return ERR_PTR(-EINVAL);
	}
	/* The nest was validated against the op's own policy: all of it. */
	err = nla_parse_nested(tb, PS_POLICY_MAX(portsteer_service_nl_policy), nest,
			       portsteer_service_nl_policy, info->extack);
	if (err)
		return ERR_PTR(err);
	if (ps_missing(info->extack, nest, tb, PORTSTEER_SERVICE_A_NAME,
		       "missing service name"))
		return ERR_PTR(-EINVAL);
	svc = ps_service_find(&pn->cfg, nla_data(tb[PORTSTEER_SERVICE_A_NAME]));
	if (!svc) {
		NL_SET_ERR_MSG_FMT(info->extack, "no service '%s'",
				   (char *)nla_data(tb[PORTSTEER_SERVICE_A_NAME]));
		NL_SET_BAD_ATTR(info->extack, tb[PORTSTEER_SERVICE_A_NAME]);
		return ERR_PTR(-ENOENT);
	}
	return svc;
}

/*
 * Parse a rule nest. The service is looked up in @cfg; it must be given
 * when @need_service, else it is checked when given.
 */
int ps_rule_parse(const struct ps_config *cfg, const struct nlattr *nest,
		  struct ps_rule *r, bool need_service,
		  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[PORTSTEER_RULE_A_MAX + 1];
	const char *name;
	int err;

	err = nla_parse_nested(tb, PS_POLICY_MAX(portsteer_rule_nl_policy), nest,
			       portsteer_rule_nl_policy, extack);
	if (err)
		return err;
	if (ps_missing(extack, nest, tb, PORTSTEER_RULE_A_PROTO,
		       "missing rule protocol") ||
	    ps_missing(extack, nest, tb, PORTSTEER_RULE_A_PORT_MIN,
		       "missing rule port") ||
	    (need_service &&
	     ps_missing(extack, nest, tb, PORTSTEER_RULE_A_SERVICE,
			"missing rule service")))
		return -EINVAL;

	memset(r, 0, sizeof(*r));
	r->family = tb[PORTSTEER_RULE_A_FAMILY] ?
		    nla_get_u8(tb[PORTSTEER_RULE_A_FAMILY]) : PORTSTEER_FAMILY_INET;
	r->dir = tb[PORTSTEER_RULE_A_DIRECTION] ?
		 nla_get_u8(tb[PORTSTEER_RULE_A_DIRECTION]) :
		 PORTSTEER_DIRECTION_DST;
	r->proto = nla_get_u8(tb[PORTSTEER_RULE_A_PROTO]);
	if (ps_proto_index(r->proto) < 0) {
		NL_SET_ERR_MSG_ATTR(extack, tb[PORTSTEER_RULE_A_PROTO],
				    "protocol must be tcp (6), udp (17), udplite (136), sctp (132) or dccp (33)");
		return -EPROTONOSUPPORT;
	}
	r->lo = nla_get_u16(tb[PORTSTEER_RULE_A_PORT_MIN]);
	r->hi = tb[PORTSTEER_RULE_A_PORT_MAX] ?
		nla_get_u16(tb[PORTSTEER_RULE_A_PORT_MAX]) : r->lo;
	if (r->hi < r->lo) {
		NL_SET_ERR_MSG_ATTR(extack, tb[PORTSTEER_RULE_A_PORT_MAX],
				    "last port is below first port");
		return -EINVAL;
	}
	if (!tb[PORTSTEER_RULE_A_SERVICE])
		return 0;
	name = nla_data(tb[PORTSTEER_RULE_A_SERVICE]);
	r->svc = ps_service_find(cfg, name);
	if (!r->svc) {
		NL_SET_ERR_MSG_FMT(extack, "no service '%s'", name);
		NL_SET_BAD_ATTR(extack, tb[PORTSTEER_RULE_A_SERVICE]);
		return -ENOENT;
	}
	return 0;
}

/*
 * Merge settings from a nest into @s; @set collects PS_SET_* bits. The
 * combination is checked by ps_settings_check().
 */
int ps_settings_parse(const struct nlattr *nest, struct ps_settings *s,
		      u32 *set, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[PORTSTEER_SETTINGS_A_MAX + 1];
	int err;

	err = nla_parse_nested(tb, PS_POLICY_MAX(portsteer_settings_input_nl_policy), nest,
			       portsteer_settings_input_nl_policy, extack);
	if (err)
		return err;
	if (tb[PORTSTEER_SETTINGS_A_HOOKS]) {
		s->hooks = nla_get_u32(tb[PORTSTEER_SETTINGS_A_HOOKS]);
		*set |= PS_SET_HOOK;
	} else if (tb[PORTSTEER_SETTINGS_A_HOOK]) {
		s->hooks = BIT(nla_get_u8(tb[PORTSTEER_SETTINGS_A_HOOK]));
		*set |= PS_SET_HOOK;
	}
	if (tb[PORTSTEER_SETTINGS_A_PRIORITY]) {
		s->priority = nla_get_s32(tb[PORTSTEER_SETTINGS_A_PRIORITY]);
		*set |= PS_SET_PRIORITY;
	}
	if (tb[PORTSTEER_SETTINGS_A_DEFRAG]) {
		s->defrag = nla_get_u8(tb[PORTSTEER_SETTINGS_A_DEFRAG]);
		*set |= PS_SET_DEFRAG;
	}
	if (tb[PORTSTEER_SETTINGS_A_ICMP_ERRORS]) {
		s->icmp_errors = nla_get_u8(tb[PORTSTEER_SETTINGS_A_ICMP_ERRORS]);
		*set |= PS_SET_ICMP;
	}
	if (tb[PORTSTEER_SETTINGS_A_SEED]) {
		s->seed = nla_get_u32(tb[PORTSTEER_SETTINGS_A_SEED]);
		*set |= PS_SET_SEED;
	}
	return 0;
}

/* Parse every PORTSTEER_A_RULE of a message into a new array. */
/**
 * ps_settings_precheck() - the priority's range, as a policy would check it
 * @info: the request
 *
 * The generator (as of 7.2) cannot write a signed full-range policy, so the
 * spec gives the priority's range as consts and it is checked here, first
 * thing in a handler, before it looks at anything: a request refused for it
 * changes nothing, as a refusal by the policy would (an open replace
 * transaction stays open).
 *
 * Return: 0, or -ERANGE with the attribute pointed at.
 */
int ps_settings_precheck(const struct genl_info *info)
{
	const struct nlattr *attr, *a;
	int rem, rem2;
	s32 prio;

	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != PORTSTEER_A_SETTINGS)
			continue;
		nla_for_each_nested(a, attr, rem2) {
			if (nla_type(a) != PORTSTEER_SETTINGS_A_PRIORITY)
				continue;
			prio = nla_get_s32(a);
			if (prio < PORTSTEER_PRIORITY_MIN ||
			    prio > PORTSTEER_PRIORITY_MAX) {
				NL_SET_ERR_MSG_ATTR(info->extack, a,
						    "priority must be above NF_IP_PRI_FIRST and below NF_IP_PRI_LAST");
				return -ERANGE;
			}
		}
	}
	return 0;
}

int ps_rules_from_msg(struct ps_net *pn, struct genl_info *info,
		      bool need_service, struct ps_rule **out, u32 *count)
{
	const struct nlattr *attr;
	struct ps_rule *rules;
	u32 n = 0, i = 0;
	int rem, err;

	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem)
		if (nla_type(attr) == PORTSTEER_A_RULE)
			n++;
	if (!n) {
		NL_SET_ERR_MSG(info->extack, "missing rule");
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, PORTSTEER_A_RULE);
		return -EINVAL;
	}
	if (n > pn->max_rules) {
		NL_SET_ERR_MSG_FMT(info->extack, "too many rules (limit %u)",
				   pn->max_rules);
		return -ENOSPC;
	}
	rules = kvmalloc_array(n, sizeof(*rules), PS_GFP_CONFIG);
	if (!rules)
		return -ENOMEM;
	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != PORTSTEER_A_RULE)
			continue;
		err = ps_rule_parse(&pn->cfg, attr, &rules[i++], need_service,
				    info->extack);
		if (err) {
			kvfree(rules);
			return err;
		}
	}
	*out = rules;
	*count = n;
	return 0;
}

/* The nest of the request that holds rule @r, for the error offset. */
static const struct nlattr *ps_rule_attr(struct ps_net *pn,
					 struct genl_info *info,
					 const struct ps_rule *r)
{
	const struct nlattr *attr;
	struct ps_rule x;
	int rem;

	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem)
		if (nla_type(attr) == PORTSTEER_A_RULE &&
		    !ps_rule_parse(&pn->cfg, attr, &x, false, NULL) &&
		    ps_rule_same(&x, r))
			return attr;
	return NULL;
}

/*
 * Report that the request's rule @mine overlaps @other: already there
 * (@other_new false, named with its service), or another rule of the
 * request. Messages stay within the 80 characters extack holds; the
 * offending rule of the request is pointed at by the error offset.
 */
void ps_overlap_msg(struct ps_net *pn, struct genl_info *info,
		    const struct ps_rule *mine,
		    const struct ps_rule *other, bool other_new)
{
	char so[32];

	ps_rule_str(so, sizeof(so), other);
	if (other_new)
		NL_SET_ERR_MSG_FMT(info->extack,
				   "overlaps %s of the same request", so);
	else
		NL_SET_ERR_MSG_FMT(info->extack, "overlaps %s of '%s'", so,
				   other->svc->name);
	NL_SET_BAD_ATTR(info->extack, ps_rule_attr(pn, info, mine));
}

int ps_put_service(struct sk_buff *skb, const struct ps_service *svc,
		   bool stats)
{
	struct nlattr *nest, *st;
	u64 packets, bytes;

	nest = nla_nest_start(skb, PORTSTEER_A_SERVICE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_string(skb, PORTSTEER_SERVICE_A_NAME, svc->name) ||
	    nla_put_u16(skb, PORTSTEER_SERVICE_A_QUEUE, svc->qbase) ||
	    nla_put_u32(skb, PORTSTEER_SERVICE_A_QUEUE_COUNT, svc->qcount) ||
	    nla_put_u8(skb, PORTSTEER_SERVICE_A_BALANCE, svc->balance) ||
	    nla_put_u8(skb, PORTSTEER_SERVICE_A_BYPASS, svc->bypass) ||
	    nla_put_u32(skb, PORTSTEER_SERVICE_A_RULES, svc->nrules) ||
	    nla_put_u32(skb, PORTSTEER_SERVICE_A_MARK, svc->mark) ||
	    nla_put_u32(skb, PORTSTEER_SERVICE_A_MARK_MASK, svc->mark_mask) ||
	    nla_put_u32(skb, PORTSTEER_SERVICE_A_CT_MARK, svc->ct_mark) ||
	    nla_put_u32(skb, PORTSTEER_SERVICE_A_CT_MARK_MASK,
			svc->ct_mark_mask))
		goto cancel;
	if (stats) {
		ps_svc_stats_read(svc, &packets, &bytes);
		st = nla_nest_start(skb, PORTSTEER_SERVICE_A_STATS);
		if (!st ||
		    nla_put_u64_64bit(skb, PORTSTEER_STATS_A_PACKETS, packets,
				      PORTSTEER_STATS_A_PAD) ||
		    nla_put_u64_64bit(skb, PORTSTEER_STATS_A_BYTES, bytes,
				      PORTSTEER_STATS_A_PAD))
			goto cancel;
		nla_nest_end(skb, st);
	}
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

int ps_put_rule(struct sk_buff *skb, const struct ps_rule *r)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, PORTSTEER_A_RULE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(skb, PORTSTEER_RULE_A_FAMILY, r->family) ||
	    nla_put_u8(skb, PORTSTEER_RULE_A_PROTO, r->proto) ||
	    nla_put_u16(skb, PORTSTEER_RULE_A_PORT_MIN, r->lo) ||
	    nla_put_u16(skb, PORTSTEER_RULE_A_PORT_MAX, r->hi) ||
	    nla_put_u8(skb, PORTSTEER_RULE_A_DIRECTION, r->dir) ||
	    nla_put_string(skb, PORTSTEER_RULE_A_SERVICE, r->svc->name)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

int ps_put_settings(struct sk_buff *skb, const struct ps_net *pn)
{
	const struct ps_settings *s = &pn->settings;
	struct nlattr *nest;

	nest = nla_nest_start(skb, PORTSTEER_A_SETTINGS);
	if (!nest)
		return -EMSGSIZE;
	if ((hweight8(s->hooks) == 1 &&
	     nla_put_u8(skb, PORTSTEER_SETTINGS_A_HOOK, __ffs(s->hooks))) ||
	    nla_put_u32(skb, PORTSTEER_SETTINGS_A_HOOKS, s->hooks) ||
	    nla_put_s32(skb, PORTSTEER_SETTINGS_A_PRIORITY, s->priority) ||
	    nla_put_u8(skb, PORTSTEER_SETTINGS_A_DEFRAG, s->defrag) ||
	    nla_put_u8(skb, PORTSTEER_SETTINGS_A_ICMP_ERRORS, s->icmp_errors) ||
	    nla_put_u32(skb, PORTSTEER_SETTINGS_A_SEED, s->seed) ||
	    nla_put_u32(skb, PORTSTEER_SETTINGS_A_MAX_SERVICES, pn->max_services) ||
	    nla_put_u32(skb, PORTSTEER_SETTINGS_A_MAX_RULES, pn->max_rules) ||
	    nla_put_u32(skb, PORTSTEER_SETTINGS_A_SERVICES, pn->cfg.nservices) ||
	    nla_put_u32(skb, PORTSTEER_SETTINGS_A_RULES, pn->cfg.rules.n) ||
	    nla_put_u8(skb, PORTSTEER_SETTINGS_A_HOOK_ACTIVE,
		       pn->hook && pn->hook->active) ||
	    nla_put_u64_64bit(skb, PORTSTEER_SETTINGS_A_TABLE_BYTES,
			      rcu_access_pointer(pn->table) ? pn->table_bytes : 0,
			      PORTSTEER_SETTINGS_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static const u8 ps_stats_attr[PS_CNT_MAX] = {
	[PS_CNT_SEEN]	   = PORTSTEER_STATS_A_SEEN,
	[PS_CNT_MATCHED]   = PORTSTEER_STATS_A_MATCHED,
	[PS_CNT_UNMATCHED] = PORTSTEER_STATS_A_UNMATCHED,
	[PS_CNT_NO_L4]	   = PORTSTEER_STATS_A_NO_L4,
	[PS_CNT_MALFORMED] = PORTSTEER_STATS_A_MALFORMED,
	[PS_CNT_ICMP]	   = PORTSTEER_STATS_A_ICMP_FOLLOWED,
	[PS_CNT_DROPPED]   = PORTSTEER_STATS_A_DROPPED,
	[PS_CNT_EXEMPT]	   = PORTSTEER_STATS_A_EXEMPT,
};

int ps_put_stats(struct sk_buff *skb, const struct ps_net *pn)
{
	u64 cnt[PS_CNT_MAX];
	struct nlattr *nest;
	int i;

	ps_net_stats_read(pn, cnt);
	nest = nla_nest_start(skb, PORTSTEER_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < PS_CNT_MAX; i++)
		if (nla_put_u64_64bit(skb, ps_stats_attr[i], cnt[i],
				      PORTSTEER_STATS_A_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	nla_nest_end(skb, nest);
	return 0;
}

/**
 * ps_notify() - tell the "config" group about a change
 * @pn: the namespace, its lock held, after the change
 * @cmd: the command that made it
 * @svc: the service it concerned, or NULL
 * @rules: the rules it concerned
 * @nrules: number of @rules
 * @settings: whether to include the settings
 */
void ps_notify(struct ps_net *pn, u8 cmd, const struct ps_service *svc,
	       const struct ps_rule *rules, u32 nrules, bool settings)
{
	struct sk_buff *skb;
	u32 i = 0, first;
	void *hdr;

	if (!genl_has_listeners(&portsteer_nl_family, pn->net, 0))
		return;
	/*
	 * A batch of rules goes out in as many messages of a page as it
	 * takes, each with the generation, the first with the service or
	 * the settings.
	 */
	do {
		skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
		if (!skb)
			goto lost;
		hdr = genlmsg_put(skb, 0, 0, &portsteer_nl_family, 0, cmd);
		if (!hdr ||
		    nla_put_u32(skb, PORTSTEER_A_GENERATION, pn->generation))
			goto err;
		if (!i && svc && ps_put_service(skb, svc, false))
			goto err;
		if (!i && settings && ps_put_settings(skb, pn))
			goto err;
		for (first = i; i < nrules; i++)
			if (ps_put_rule(skb, &rules[i]))
				break;
		/* Not even one rule fits in an empty message. */
		if (i < nrules && i == first)
			goto err;
		genlmsg_end(skb, hdr);
		genlmsg_multicast_netns(&portsteer_nl_family, pn->net, skb, 0,
					PORTSTEER_NLGRP_CONFIG, GFP_KERNEL);
	} while (i < nrules);
	return;
err:
	nlmsg_free(skb);
lost:
	/* Listeners learn that they missed a change, and resynchronize. */
	netlink_set_err(pn->net->genl_sock, 0,
			portsteer_nl_family.mcgrp_offset + PORTSTEER_NLGRP_CONFIG,
			ENOBUFS);
}

/* Reply to a do request with one object. */
int ps_reply(struct genl_info *info, struct ps_net *pn, u8 cmd,
	     const struct ps_service *svc, bool settings, bool stats)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put_reply(skb, info, &portsteer_nl_family, 0, cmd);
	if (!hdr ||
	    nla_put_u32(skb, PORTSTEER_A_GENERATION, pn->generation) ||
	    (svc && ps_put_service(skb, svc, true)) ||
	    (settings && ps_put_settings(skb, pn)) ||
	    (stats && ps_put_stats(skb, pn))) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
}

void *ps_dump_hdr(struct sk_buff *skb, struct netlink_callback *cb,
		  u8 cmd, u32 generation)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &portsteer_nl_family, NLM_F_MULTI, cmd);
	if (!hdr)
		return NULL;
	genl_dump_check_consistent(cb, hdr);
	if (nla_put_u32(skb, PORTSTEER_A_GENERATION, generation)) {
		genlmsg_cancel(skb, hdr);
		return NULL;
	}
	return hdr;
}

/* The name a service dump is limited to, or NULL. */
const char *ps_dump_filter(struct netlink_callback *cb)
{
	const struct nlattr *nest = genl_info_dump(cb)->attrs[PORTSTEER_A_SERVICE];
	struct nlattr *tb[PORTSTEER_SERVICE_A_MAX + 1];

	if (!nest ||
	    nla_parse_nested(tb, PS_POLICY_MAX(portsteer_service_nl_policy),
			     nest, portsteer_service_nl_policy, NULL) ||
	    !tb[PORTSTEER_SERVICE_A_NAME])
		return NULL;
	return nla_data(tb[PORTSTEER_SERVICE_A_NAME]);
}
