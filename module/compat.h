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
 * needs no entry here; 6.1 and 6.12 are back-filled below.
 */
#ifndef _PORTSTEER_COMPAT_H
#define _PORTSTEER_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "portsteer needs Linux 6.1 or newer"
#endif

#ifdef __KERNEL__
#include <linux/netlink.h>

/*
 * 6.2 ("netlink: add support for formatted extack messages") gave struct
 * netlink_ext_ack a buffer and NL_SET_ERR_MSG_FMT().
 * Before it, extack holds only a pointer to a message that must outlive the
 * handler, so formatted messages go to a small ring of static buffers: a
 * message is overwritten only after as many newer ones, long after its ack
 * was sent.
 */
#ifndef NL_SET_ERR_MSG_FMT
#define PS_COMPAT_EXTACK_RING	32
#define PS_COMPAT_EXTACK_LEN	80
char *ps_compat_extack_buf(void);
#define NL_SET_ERR_MSG_FMT(extack, fmt, args...) do {			\
	struct netlink_ext_ack *__extack = (extack);			\
	char *__buf;							\
									\
	if (__extack) {							\
		__buf = ps_compat_extack_buf();				\
		snprintf(__buf, PS_COMPAT_EXTACK_LEN, fmt, ##args);	\
		__extack->_msg = __buf;					\
	}								\
} while (0)
#define NL_SET_ERR_MSG_FMT_MOD(extack, fmt, args...)			\
	NL_SET_ERR_MSG_FMT((extack), KBUILD_MODNAME ": " fmt, ##args)
#define PS_COMPAT_EXTACK_RING_NEEDED 1
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
