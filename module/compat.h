/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Back-fill of kernel APIs for the older kernels portsteer supports.
 *
 * The module is written against the newest kernel API; this header, force-
 * included by Kbuild, maps that API onto older kernels. Each entry names the
 * kernel version where the API changed. Guard by feature where stable kernels
 * backported a helper, by version otherwise.
 *
 * The newest kernel checked is Debian sid's 7.2 (gcc 16, W=1, -Werror): it
 * needs no entry here; 5.10, 6.1 and 6.12 are back-filled below. What an
 * older kernel cannot do at all is listed in the documentation ("Kernels")
 * and said by the family where it matters.
 */
#ifndef _PORTSTEER_COMPAT_H
#define _PORTSTEER_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0)
#error "portsteer needs Linux 5.10 or newer"
#endif

#ifdef __KERNEL__
#include <linux/netlink.h>

/*
 * 6.1 ("netlink: add support for ext_ack missing attributes") let an
 * extack name a missing attribute (NLMSGERR_ATTR_MISS_TYPE and _NEST) and
 * added NL_REQ_ATTR_CHECK() and GENL_REQ_ATTR_CHECK() to set it. Before it
 * the ack can only say so in its message.
 */
#ifndef NL_SET_ERR_ATTR_MISS
#define NL_SET_ERR_ATTR_MISS(extack, nest, type) do {			\
	(void)(extack);							\
	(void)(nest);							\
	(void)(type);							\
} while (0)
#define NL_REQ_ATTR_CHECK(extack, nest, tb, type) ({			\
	bool __ps_miss = !(tb)[(type)];					\
									\
	if (__ps_miss)							\
		NL_SET_ERR_MSG((extack), "a required attribute is missing"); \
	__ps_miss;							\
})
#define GENL_REQ_ATTR_CHECK(info, attr) ({				\
	const struct genl_info *__ps_info = (info);			\
									\
	NL_REQ_ATTR_CHECK(__ps_info->extack, NULL, __ps_info->attrs, (attr)); \
})
#endif

/*
 * 6.2 ("netlink: add support for formatted extack messages") gave struct
 * netlink_ext_ack a buffer and NL_SET_ERR_MSG_FMT(). Before it, extack holds
 * only a pointer to a message that must outlive the handler, and a buffer
 * shared by concurrent requests could be garbled or overwritten before its
 * ack went out. So the message is static there: the format, each conversion
 * shown as "..." ("no service '...'"), made once per call site.
 */
#ifndef NL_SET_ERR_MSG_FMT
#include <linux/once.h>
void ps_compat_extack_static(char *buf, size_t size, const char *fmt);
#define NL_SET_ERR_MSG_FMT(extack, fmt, args...) do {			\
	struct netlink_ext_ack *__extack = (extack);			\
	static const char __ps_fmt[] = fmt;				\
	static char __ps_msg[2 * sizeof(__ps_fmt)];			\
									\
	DO_ONCE(ps_compat_extack_static, __ps_msg, sizeof(__ps_msg),	\
		__ps_fmt);						\
	if (__extack)							\
		__extack->_msg = __ps_msg;				\
} while (0)
#define PS_COMPAT_EXTACK_STATIC 1
#endif

/*
 * 6.2 ("genetlink: introduce split op representation") added struct
 * genl_split_ops, with an entry per do and per dump of a command: the op
 * table generated from the spec (netlink-gen.c) is made of them. Before it,
 * struct genl_ops held both, with the same fields otherwise: the table is
 * read as genl_ops, and ps_compat_genl_ops() (compat.c) folds each
 * command's do and dump into one entry before the family registers. None
 * of the three names exists in the headers of those kernels.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
struct genl_family;
#define genl_split_ops genl_ops
#define split_ops ops
#define n_split_ops n_ops
int ps_compat_genl_ops(struct genl_family *family);
#define PS_COMPAT_SPLIT_OPS 1
#else
#define ps_compat_genl_ops(family) 0
#endif

/*
 * 6.1 ("genetlink: start to validate reserved header bytes") made generic
 * netlink refuse a request, to any command from the family's resv_start_op
 * on (every command of portsteer's), whose genlmsghdr.reserved is not zero
 * or that sets an nlmsg_flags bit other than REQUEST, ACK, ECHO and DUMP.
 * Before it, nothing checks either: the family does, in a pre_doit and in
 * each dump's start (compat.c), with the same errors. They run after the
 * command is found, the caller's capability checked and the attributes
 * parsed, so a request wrong in more than one way may get another error.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#define PS_COMPAT_HEADER_CHECK 1
#endif

/*
 * 6.2 ("netlink: make range pointers in policies const") let a policy point
 * to a const range, as the generated ones (netlink-gen.c) do. Before it the
 * pointer is not const, though the range is only read.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#include <net/netlink.h>
#undef NLA_POLICY_FULL_RANGE
#define NLA_POLICY_FULL_RANGE(tp, _range) {				\
	.type = NLA_ENSURE_UINT_OR_BINARY_TYPE(tp),			\
	.validation_type = NLA_VALIDATE_RANGE_PTR,			\
	.range = (struct netlink_range_validation *)(_range),		\
}
#endif

/*
 * 5.12 ("rcu: Provide polling interfaces for Tree RCU grace periods") added
 * poll_state_synchronize_rcu(), which tells without blocking whether a
 * grace period has passed since get_state_synchronize_rcu(). Before it the
 * cookie of get_state_synchronize_rcu() can only be waited on
 * (cond_synchronize_rcu()), and it starts no grace period: compat.c keeps
 * its own count of grace periods, ended by an RCU callback, and its
 * cookies are of that count.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 12, 0)
unsigned long ps_compat_get_state_rcu(void);
bool ps_compat_poll_state_rcu(unsigned long cookie);
void ps_compat_rcu_exit(void);
#define get_state_synchronize_rcu() ps_compat_get_state_rcu()
#define poll_state_synchronize_rcu(cookie) ps_compat_poll_state_rcu(cookie)
#define PS_COMPAT_POLL_RCU 1
#else
#define ps_compat_rcu_exit() do { } while (0)
#endif

/*
 * 5.13 ("netfilter: disable defrag once its no longer needed") added
 * nf_defrag_ipv4_disable() and nf_defrag_ipv6_disable(). Before it,
 * defragmentation once turned on in a namespace stays on until the
 * namespace goes: portsteer then only drops its reference on the module,
 * and the commit that turns `defrag` off says so in its extack.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 13, 0)
#define PS_COMPAT_DEFRAG_STAYS 1
#define ps_compat_defrag_stays() true
#else
#define ps_compat_defrag_stays() false
#endif

/*
 * 6.7 ("genetlink: add CAP_NET_ADMIN test for multicast bind", also in
 * 6.1.y) gave multicast groups permission flags, GENL_MCAST_CAP_NET_ADMIN
 * among them; the 5.10.y and 5.15.y backport ("drop_monitor: Require
 * 'CAP_SYS_ADMIN' when joining 'events' group") has only a cap_sys_admin
 * bit, checked over the namespace's user namespace. There, joining the
 * "config" group needs CAP_SYS_ADMIN rather than CAP_NET_ADMIN; a 5.10 or
 * 5.15 without that backport does not build.
 */
#include <net/genetlink.h>
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define PS_MCGRP_ADMIN .flags = GENL_MCAST_CAP_NET_ADMIN
#else
#define PS_MCGRP_ADMIN .cap_sys_admin = 1
#endif

/*
 * 6.6 ("genetlink: add genl_info_dump() helper") gave dump callbacks a
 * struct genl_info. Before it, struct genl_dumpit_info held the parsed
 * attributes itself, under the same name.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
#define genl_info_dump(cb) genl_dumpit_info(cb)
#endif

/*
 * Before 6.10 ("netfilter: nfnetlink_queue: drop bogus WARN_ON", also in
 * 6.9.10), nf_reinject() WARNs when the hook array it resumes in no
 * longer holds the queued packet's hook index, even for the NF_DROP of the
 * flush that nf_unregister_net_hook() does once the array has shrunk: the
 * packets queued in the namespace are dropped before the hook leaves it.
 * nf_queue_nf_hook_drop() is exported (since 4.12) but declared only in
 * net/netfilter/nf_internals.h, which the kernel headers packages do not
 * ship; the kernels that need it declare it so.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
struct net;
void nf_queue_nf_hook_drop(struct net *net);
#define ps_compat_queue_drop(net) nf_queue_nf_hook_drop(net)
#else
#define ps_compat_queue_drop(net) do { } while (0)
#endif

#endif /* __KERNEL__ */

#endif /* _PORTSTEER_COMPAT_H */
