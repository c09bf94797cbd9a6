// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: the packet path.
 *
 * One hook function, registered for NFPROTO_INET (IPv4 and IPv6) at the
 * namespace's hook points and priority, finds the transport header, looks
 * its destination port up in the namespace's table, then its source port,
 * and returns the NF_QUEUE verdict of the service's queue, or NF_ACCEPT (a
 * packet no rule matches, or one the service's consumer marked as done).
 * Lock-free (RCU) and allocation-free; counters are per CPU.
 */

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/jhash.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>

#include "portsteer.h"

/* What the parser made of a packet. */
enum ps_parse {
	PS_PKT_PORTS,		/* a transport header with ports */
	PS_PKT_OTHER,		/* a protocol portsteer does not steer */
	PS_PKT_NO_L4,		/* a non-first fragment */
	PS_PKT_MALFORMED,	/* truncated or inconsistent */
	PS_PKT_ICMP_ERROR,	/* an ICMP error, to follow */
	PS_PKT_SHORT_FRAG,	/* a first fragment without the ports: dropped */
};

/**
 * struct ps_flow - the 5-tuple of a packet
 * @addr: source, then destination address, as the IPv4 or IPv6 header lays
 *	them out: IPv4 in words 0 and 1, IPv6 in 0-3 and 4-7
 * @sport: source port
 * @dport: destination port
 * @proto: IPPROTO_* number
 * @thoff: offset of the transport header in the skb
 */
struct ps_flow {
	__be32 addr[8];
	__be16 sport;
	__be16 dport;
	u8 proto;
	unsigned int thoff;
};

/* The first bytes of the transport header that an ICMP error quotes. */
#define PS_ICMP_QUOTED_L4	8

/* Every protocol portsteer steers has its ports in its first 4 bytes. */
#define PS_PORTS_LEN		4

/*
 * Read the ports of the transport header at @f->thoff, checking that the
 * whole minimal header of @f->proto is in the packet and consistent.
 *
 * Of a first fragment (@frag), only the ports: the rest of its header may
 * be in the next fragment, and the stack reassembles them after the hook,
 * so a first fragment is steered by its ports as nft's "tcp dport" would,
 * and one too short to hold them (which RFC 1858 and RFC 8200 rule out) is
 * PS_PKT_SHORT_FRAG, dropped. Of a packet quoted by an ICMP error
 * (@end == 0), only the bytes always quoted.
 */
static enum ps_parse ps_parse_l4(const struct sk_buff *skb, struct ps_flow *f,
				 unsigned int end, bool frag)
{
	unsigned int min = ps_protos[f->proto].min;
	bool quoted = !end;
	union {
		struct tcphdr tcp;
		struct udphdr udp;
		__be16 ports[6];
	} buf;
	const void *h;

	if (!min)
		return PS_PKT_OTHER;
	if (quoted) {
		min = PS_ICMP_QUOTED_L4;
		end = skb->len;
	} else if (frag) {
		min = PS_PORTS_LEN;
	}
	if (f->thoff + min > end)
		return frag && !quoted ? PS_PKT_SHORT_FRAG : PS_PKT_MALFORMED;
	h = skb_header_pointer(skb, f->thoff, min, &buf);
	if (!h)
		return PS_PKT_MALFORMED;
	if (quoted || frag) {
		/* Only the bytes read are sure to be there. */
	} else if (f->proto == IPPROTO_TCP) {
		const struct tcphdr *th = h;

		if (th->doff < sizeof(struct tcphdr) / 4 ||
		    f->thoff + th->doff * 4 > end)
			return PS_PKT_MALFORMED;
	} else if (f->proto == IPPROTO_UDP) {
		const struct udphdr *uh = h;
		unsigned int len = ntohs(uh->len);

		if (len < sizeof(*uh) || f->thoff + len > end)
			return PS_PKT_MALFORMED;
	}
	f->sport = ((const __be16 *)h)[0];
	f->dport = ((const __be16 *)h)[1];
	return PS_PKT_PORTS;
}

static bool ps_icmp_is_error(u8 type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED ||
	       type == ICMP_PARAMETERPROB;
}

static bool ps_icmpv6_is_error(u8 type)
{
	return type == ICMPV6_DEST_UNREACH || type == ICMPV6_PKT_TOOBIG ||
	       type == ICMPV6_TIME_EXCEED || type == ICMPV6_PARAMPROB;
}

/*
 * Parse an IPv4 header at @nhoff. @outer: the packet itself (ICMP errors
 * are recognised); otherwise the packet an ICMP error quotes, which may be
 * cut short after its first 8 transport bytes.
 */
static enum ps_parse ps_parse_ipv4(const struct sk_buff *skb,
				   unsigned int nhoff, struct ps_flow *f,
				   bool outer)
{
	struct iphdr _iph;
	const struct iphdr *iph;
	unsigned int end, len;
	bool frag;

	iph = skb_header_pointer(skb, nhoff, sizeof(_iph), &_iph);
	if (!iph || iph->version != 4 || iph->ihl < 5)
		return PS_PKT_MALFORMED;
	len = ntohs(iph->tot_len);
	/*
	 * A total length of 0 is a GSO packet over 64 KiB (BIG TCP, 6.3+):
	 * ip_rcv_core() dropped any other, and it ends with the skb.
	 */
	if (!len && outer)
		len = skb->len - nhoff;
	if (len < iph->ihl * 4)
		return PS_PKT_MALFORMED;
	if (outer) {
		if (nhoff + len > skb->len)
			return PS_PKT_MALFORMED;
		end = nhoff + len;
	} else {
		end = 0;
	}
	if (iph->frag_off & htons(IP_OFFSET))
		return PS_PKT_NO_L4;
	frag = iph->frag_off & htons(IP_MF);
	f->addr[0] = iph->saddr;
	f->addr[1] = iph->daddr;
	f->proto = iph->protocol;
	f->thoff = nhoff + iph->ihl * 4;
	if (outer && f->proto == IPPROTO_ICMP) {
		struct icmphdr _ih;
		const struct icmphdr *ih;

		ih = skb_header_pointer(skb, f->thoff, sizeof(_ih), &_ih);
		if (ih && ps_icmp_is_error(ih->type))
			return PS_PKT_ICMP_ERROR;
		return PS_PKT_OTHER;
	}
	return ps_parse_l4(skb, f, end, frag);
}

static enum ps_parse ps_parse_ipv6(const struct sk_buff *skb,
				   unsigned int nhoff, struct ps_flow *f,
				   bool outer)
{
	struct ipv6hdr _ip6h;
	const struct ipv6hdr *ip6h;
	unsigned int thoff = nhoff, end;
	unsigned short fragoff = 0;
	int proto, flags = 0;

	ip6h = skb_header_pointer(skb, nhoff, sizeof(_ip6h), &_ip6h);
	if (!ip6h || ip6h->version != 6)
		return PS_PKT_MALFORMED;
	/*
	 * A payload length of 0 is a packet over 64 KiB: a GSO packet of BIG
	 * TCP (with a hop-by-hop jumbo option before 7.0), or a jumbogram.
	 * ip6_rcv_core() then left the skb untrimmed (ipv6_hop_jumbo()
	 * validated a jumbo option and trimmed to it), and so does this.
	 */
	end = 0;
	if (outer)
		end = ip6h->payload_len ?
		      nhoff + sizeof(*ip6h) + ntohs(ip6h->payload_len) : skb->len;
	if (end > skb->len)
		return PS_PKT_MALFORMED;
	memcpy(f->addr, &ip6h->saddr, sizeof(ip6h->saddr));
	memcpy(f->addr + 4, &ip6h->daddr, sizeof(ip6h->daddr));

	/*
	 * ipv6_find_hdr() works from the skb's network header; the header an
	 * ICMPv6 error quotes is walked by hand, as it is not one.
	 */
	if (outer) {
		proto = ipv6_find_hdr(skb, &thoff, -1, &fragoff, &flags);
	} else {
		u8 nexthdr = ip6h->nexthdr;
		__be16 frag_off;
		int off;

		off = ipv6_skip_exthdr(skb, nhoff + sizeof(*ip6h), &nexthdr,
				       &frag_off);
		if (off < 0)
			return PS_PKT_MALFORMED;
		proto = nexthdr;
		thoff = off;
		fragoff = ntohs(frag_off) & ~0x7;
		if (frag_off)
			flags |= IP6_FH_F_FRAG;
	}
	/*
	 * A first fragment whose header chain stops short of the transport
	 * header (RFC 8200 section 4.5 wants it whole) cannot be classified:
	 * a later fragment would complete it unseen.
	 */
	if (proto == -EBADMSG && (flags & IP6_FH_F_FRAG) && !fragoff)
		return PS_PKT_SHORT_FRAG;
	if (proto < 0)
		return proto == -ENOENT ? PS_PKT_NO_L4 : PS_PKT_MALFORMED;
	if (fragoff)
		return PS_PKT_NO_L4;
	if (proto == NEXTHDR_NONE)
		return PS_PKT_NO_L4;
	f->proto = proto;
	f->thoff = thoff;
	if (outer && proto == IPPROTO_ICMPV6) {
		struct icmp6hdr _ih;
		const struct icmp6hdr *ih;

		ih = skb_header_pointer(skb, thoff, sizeof(_ih), &_ih);
		if (ih && ps_icmpv6_is_error(ih->icmp6_type))
			return PS_PKT_ICMP_ERROR;
		return PS_PKT_OTHER;
	}
	return ps_parse_l4(skb, f, end, flags & IP6_FH_F_FRAG);
}

/* The entry of @port in one top array (@top may be NULL). */
static __always_inline u32 ps_lookup_top(const struct ps_top *top, __be16 port)
{
	return ps_top_lookup(top, ntohs(port));
}

/* The service of slot entry @e (not 0); NULL while its slot is given back. */
static __always_inline const struct ps_dp_service *
ps_slot_service(const struct ps_table *t, u32 e)
{
	return rcu_dereference(t->slots->svc[e - 1]);
}

/*
 * The service of a packet: the one a rule for its destination port names,
 * else the one a rule for its source port names.
 */
static const struct ps_dp_service *ps_lookup(const struct ps_table *t,
					     int plane, u8 proto, __be16 dport,
					     __be16 sport)
{
	int pi = ps_proto_index(proto);
	u32 e;

	if (pi < 0)
		return NULL;
	e = ps_lookup_top(t->top[0][plane][pi], dport) ?:
	    ps_lookup_top(t->top[1][plane][pi], sport);
	return e ? ps_slot_service(t, e) : NULL;
}

/*
 * The flow hash, of both paths, symmetric: both directions of a connection
 * hash alike, as the endpoints (address, then port) are put in order
 * first. @addrs is the source then the destination address as the IPv4
 * (two words) or IPv6 (eight) header lays them out, so the fast path
 * hashes the header in place.
 */
static u32 ps_hash(const __be32 *addrs, bool v6, __be16 sport, __be16 dport,
		   u8 proto, u32 seed)
{
	u32 a = ntohs(sport), b = ntohs(dport);
	const u32 *x, *y;
	u32 ha, hb, hc;
	int i;

	if (!v6) {
		u32 s = (__force u32)addrs[0], d = (__force u32)addrs[1];

		if (s > d || (s == d && a > b)) {
			swap(s, d);
			swap(a, b);
		}
		return jhash_3words(s, d, a << 16 | b, seed ^ proto);
	}
	x = (__force const u32 *)addrs;
	y = x + 4;
	for (i = 0; i < 3 && x[i] == y[i]; i++)
		;
	if (x[i] > y[i] || (x[i] == y[i] && a > b)) {
		swap(x, y);
		swap(a, b);
	}
	/* jhash2() of the eight words x[0..3], y[0..3], without copying them. */
	ha = JHASH_INITVAL + (8 << 2) + seed;
	hb = ha;
	hc = ha;
	ha += x[0];
	hb += x[1];
	hc += x[2];
	__jhash_mix(ha, hb, hc);
	ha += x[3];
	hb += y[0];
	hc += y[1];
	__jhash_mix(ha, hb, hc);
	ha += y[2];
	hb += y[3];
	__jhash_final(ha, hb, hc);
	return jhash_3words(hc, a << 16 | b, proto, seed);
}

static u16 ps_queue(const struct ps_dp_service *svc, const struct ps_flow *f,
		    bool v6, u32 seed)
{
	if (svc->qcount == 1)
		return svc->qbase;
	if (svc->balance == PORTSTEER_BALANCE_CPU)
		return svc->qbase + raw_smp_processor_id() % svc->qcount;
	return svc->qbase +
	       reciprocal_scale(ps_hash(f->addr, v6, f->sport, f->dport,
					f->proto, seed), svc->qcount);
}

/*
 * Follow an ICMP error: the packet it quotes was on its way to a service,
 * or came from one; it goes by the rule the quoted packet matches, else by
 * the one its reply would, and as the flow hash is symmetric, to the queue
 * of the quoted packet's connection either way.
 */
static enum ps_parse ps_follow_icmp(const struct sk_buff *skb,
				    const struct ps_table *t, bool v6,
				    struct ps_flow *f,
				    const struct ps_dp_service **svc)
{
	unsigned int inner = f->thoff + (v6 ? sizeof(struct icmp6hdr)
					     : sizeof(struct icmphdr));
	enum ps_parse r;

	memset(f, 0, sizeof(*f));
	r = v6 ? ps_parse_ipv6(skb, inner, f, false)
	       : ps_parse_ipv4(skb, inner, f, false);
	if (r != PS_PKT_PORTS)
		return r;
	*svc = ps_lookup(t, v6, f->proto, f->dport, f->sport) ?:
	       ps_lookup(t, v6, f->proto, f->sport, f->dport);
	return r;
}

/**
 * ps_exempt() - whether a packet's consumer marked it as done
 * @svc: the service a rule steers the packet to, with marks
 * @skb: the packet
 *
 * A consumer that gives NF_REPEAT marks the packet (Suricata's repeat-mark)
 * so that the hook, run again, lets it through; one that is done with a
 * connection marks it for good (Suricata's bypass-mark), saved to the
 * conntrack mark by the ruleset.
 *
 * Return: true when the packet mark or the conntrack mark of its
 * connection has the service's bits.
 */
static bool ps_exempt(const struct ps_dp_service *svc,
		      const struct sk_buff *skb)
{
	if (svc->mark_mask && (skb->mark & svc->mark_mask) == svc->mark)
		return true;
#if IS_ENABLED(CONFIG_NF_CONNTRACK_MARK)
	if (svc->ct_mark_mask) {
		enum ip_conntrack_info ctinfo;
		const struct nf_conn *ct = nf_ct_get(skb, &ctinfo);

		if (ct && (READ_ONCE(ct->mark) & svc->ct_mark_mask) ==
			  svc->ct_mark)
			return true;
	}
#endif
	return false;
}

/*
 * The counters are per CPU and the hook usually runs in softirq, but not
 * always: nf_reinject() runs the hooks after another queue user's from the
 * process that gave the verdict, preemptibly. There bottom halves are
 * disabled around the updates, as nft_counter does, so that neither a
 * migration nor the softirq of the same CPU comes between; where they
 * already are (in softirq, the usual case), that costs nothing.
 */
static __always_inline bool ps_stats_begin(void)
{
	if (likely(in_softirq()))
		return false;
	local_bh_disable();
	return true;
}

static __always_inline void ps_stats_end(bool bh)
{
	if (bh)
		local_bh_enable();
}

static void __ps_count(struct ps_net *pn, enum ps_counter c)
{
	struct ps_net_pcpu *s = this_cpu_ptr(pn->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->cnt[PS_CNT_SEEN]);
	u64_stats_inc(&s->cnt[c]);
	if (c == PS_CNT_ICMP)
		u64_stats_inc(&s->cnt[PS_CNT_MATCHED]);
	u64_stats_update_end(&s->syncp);
}

static void ps_count(struct ps_net *pn, enum ps_counter c)
{
	bool bh = ps_stats_begin();

	__ps_count(pn, c);
	ps_stats_end(bh);
}

/* Count a matched packet and return the verdict of its queue @q. */
static unsigned int ps_steer(struct ps_net *pn, const struct ps_dp_service *svc,
			     const struct sk_buff *skb, bool icmp, u16 q)
{
	bool bh = ps_stats_begin();
	struct ps_svc_pcpu *ss;

	__ps_count(pn, icmp ? PS_CNT_ICMP : PS_CNT_MATCHED);
	ss = this_cpu_ptr(svc->stats);
	u64_stats_update_begin(&ss->syncp);
	u64_stats_inc(&ss->packets);
	u64_stats_add(&ss->bytes, skb->len);
	u64_stats_update_end(&ss->syncp);
	ps_stats_end(bh);
	return NF_QUEUE_NR(q) | svc->verdict_flags;
}

/*
 * The general packet path: IPv4 options, IPv6 extension headers, fragments,
 * ICMP errors, headers outside the linear part of the skb, malformed
 * packets, protocols portsteer does not steer.
 */
static noinline unsigned int ps_hook_slow(struct ps_net *pn,
					  const struct ps_table *t,
					  struct sk_buff *skb, bool v6)
{
	const struct ps_dp_service *svc = NULL;
	bool icmp = false;
	struct ps_flow f;
	enum ps_parse r;

	r = v6 ? ps_parse_ipv6(skb, skb_network_offset(skb), &f, true)
	       : ps_parse_ipv4(skb, skb_network_offset(skb), &f, true);
	switch (r) {
	case PS_PKT_PORTS:
		svc = ps_lookup(t, v6, f.proto, f.dport, f.sport);
		break;
	case PS_PKT_ICMP_ERROR:
		if (!t->icmp_errors) {
			r = PS_PKT_OTHER;
			break;
		}
		icmp = true;
		r = ps_follow_icmp(skb, t, v6, &f, &svc);
		break;
	default:
		break;
	}

	if (r == PS_PKT_SHORT_FRAG) {
		ps_count(pn, PS_CNT_DROPPED);
		return NF_DROP;
	}
	if (!svc) {
		ps_count(pn, r == PS_PKT_MALFORMED ? PS_CNT_MALFORMED :
			     r == PS_PKT_NO_L4 ? PS_CNT_NO_L4 : PS_CNT_UNMATCHED);
		return NF_ACCEPT;
	}
	if (unlikely(svc->exempt) && ps_exempt(svc, skb)) {
		ps_count(pn, PS_CNT_EXEMPT);
		return NF_ACCEPT;
	}
	return ps_steer(pn, svc, skb, icmp, ps_queue(svc, &f, v6, t->seed));
}

/*
 * The fast path reads in place the packets nearly all traffic is made of:
 * an IPv4 header without options, or an IPv6 header followed directly by
 * the transport header; not a fragment; a protocol portsteer steers; the
 * whole minimal transport header in the linear part and consistent. Any
 * other packet goes to ps_hook_slow(), which reaches the same verdict for
 * these ones.
 */

/* The queue of a multi-queue service, from the headers read in place. */
static u16 ps_fast_queue(const struct ps_dp_service *svc, const void *nh,
			 const __be16 *ports, bool v6, u8 proto, u32 seed)
{
	const __be32 *addrs;

	if (svc->balance == PORTSTEER_BALANCE_CPU)
		return svc->qbase + raw_smp_processor_id() % svc->qcount;
	addrs = v6 ? (const __be32 *)&((const struct ipv6hdr *)nh)->saddr
		   : &((const struct iphdr *)nh)->saddr;
	return svc->qbase + reciprocal_scale(ps_hash(addrs, v6, ports[0],
						     ports[1], proto, seed),
					     svc->qcount);
}

/**
 * ps_hook_fn() - classify a packet and steer it to its service's queue
 * @priv: the &struct ps_hook this hook was registered with
 * @skb: the packet
 * @state: the hook's state
 *
 * Return: NF_QUEUE_NR() of the service's queue (with the bypass flag when
 * the service has it) for a matched packet its marks do not exempt,
 * NF_DROP for a first fragment too short to hold the ports, NF_ACCEPT for
 * anything else.
 */
unsigned int ps_hook_fn(void *priv, struct sk_buff *skb,
			const struct nf_hook_state *state)
{
	const struct ps_hook *h = priv;
	struct ps_net *pn = h->pn;
	const struct ps_dp_service *svc;
	unsigned int nhoff, thoff, end, l4len;
	const struct ps_table *t;
	const __be16 *ports;
	const u8 *nh;
	u8 proto, min, pi;
	bool v6;
	u32 e;

	/* A namespace without rules, or a registration being replaced. */
	if (unlikely(!READ_ONCE(h->active)))
		return NF_ACCEPT;
	t = rcu_dereference(pn->table);
	if (unlikely(!t))
		return NF_ACCEPT;

	v6 = state->pf == NFPROTO_IPV6;
	nhoff = skb_network_offset(skb);
	nh = skb_network_header(skb);
	if (!v6) {
		const struct iphdr *iph = (const void *)nh;

		if (unlikely(nhoff + sizeof(*iph) > skb_headlen(skb) ||
			     nh[0] != 0x45 ||
			     (iph->frag_off & htons(IP_MF | IP_OFFSET))))
			goto slow;
		proto = iph->protocol;
		thoff = nhoff + sizeof(*iph);
		end = nhoff + ntohs(iph->tot_len);
	} else {
		const struct ipv6hdr *ip6h = (const void *)nh;

		if (unlikely(nhoff + sizeof(*ip6h) > skb_headlen(skb) ||
			     ip6h->version != 6))
			goto slow;
		proto = ip6h->nexthdr;
		thoff = nhoff + sizeof(*ip6h);
		end = thoff + ntohs(ip6h->payload_len);
	}
	min = ps_protos[proto].min;
	if (unlikely(!min || thoff + min > end || end > skb->len ||
		     thoff + min > skb_headlen(skb)))
		goto slow;
	l4len = end - thoff;
	ports = (const __be16 *)(nh + (thoff - nhoff));
	if (proto == IPPROTO_TCP) {
		unsigned int doff = ((const struct tcphdr *)ports)->doff;

		if (unlikely(doff < sizeof(struct tcphdr) / 4 ||
			     doff * 4 > l4len))
			goto slow;
	} else if (proto == IPPROTO_UDP) {
		unsigned int ulen = ntohs(((const struct udphdr *)ports)->len);

		if (unlikely(ulen < sizeof(struct udphdr) || ulen > l4len))
			goto slow;
	}

	/* ps_lookup(), with the protocol's index from the table above. */
	pi = ps_protos[proto].index;
	e = ps_lookup_top(t->top[0][v6][pi], ports[1]);
	if (!e) {
		e = ps_lookup_top(t->top[1][v6][pi], ports[0]);
		if (!e)
			goto unmatched;
	}
	svc = ps_slot_service(t, e);
	if (unlikely(!svc))
		goto unmatched;
	if (unlikely(svc->exempt) && ps_exempt(svc, skb)) {
		ps_count(pn, PS_CNT_EXEMPT);
		return NF_ACCEPT;
	}
	return ps_steer(pn, svc, skb, false,
			svc->qcount == 1 ? svc->qbase :
			ps_fast_queue(svc, nh, ports, v6, proto, t->seed));

unmatched:
	ps_count(pn, PS_CNT_UNMATCHED);
	return NF_ACCEPT;
slow:
	return ps_hook_slow(pn, t, skb, v6);
}
