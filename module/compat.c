// SPDX-License-Identifier: GPL-2.0
/*
 * portsteer: the out-of-line part of compat.h, for the kernels that need it.
 * compat.h tests the versions and defines the PS_COMPAT_* feature macros;
 * this file builds what they ask for, and nothing on newer kernels.
 */

#include <linux/string.h>
#include <net/genetlink.h>

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

#ifdef PS_COMPAT_HEADER_CHECK
/*
 * What genl_header_check() checks from 6.1 (see compat.h): no reserved
 * header bits, no nlmsg_flags but those the core gives a meaning to.
 */
static int ps_compat_header_check(const struct nlmsghdr *nlh,
				  struct netlink_ext_ack *extack)
{
	const struct genlmsghdr *hdr = nlmsg_data(nlh);
	u16 flags = nlh->nlmsg_flags;

	if (hdr->reserved) {
		NL_SET_ERR_MSG(extack, "genlmsghdr.reserved field is not 0");
		return -EINVAL;
	}
	if ((flags & NLM_F_DUMP) == NLM_F_DUMP)
		flags &= ~NLM_F_DUMP;
	if (flags & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO)) {
		NL_SET_ERR_MSG(extack,
			       "ambiguous or reserved bits set in nlmsg_flags");
		return -EINVAL;
	}
	return 0;
}

static int ps_compat_pre_doit(const struct genl_ops *ops, struct sk_buff *skb,
			      struct genl_info *info)
{
	return ps_compat_header_check(info->nlhdr, info->extack);
}

static int ps_compat_dump_start(struct netlink_callback *cb)
{
	return ps_compat_header_check(cb->nlh, cb->extack);
}
#endif

#ifdef PS_COMPAT_SPLIT_OPS
static struct genl_ops ps_compat_ops[PORTSTEER_CMD_MAX];

/*
 * See compat.h: the generated table has an entry per do and per dump of a
 * command; fold them into one genl_ops, whose single policy both share.
 */
int ps_compat_genl_ops(struct genl_family *family)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < family->n_ops; i++) {
		const struct genl_ops *op = &family->ops[i];
		struct genl_ops *to;

		for (j = 0; j < n && ps_compat_ops[j].cmd != op->cmd; j++)
			;
		if (j == n) {
			if (WARN_ON(n == ARRAY_SIZE(ps_compat_ops)))
				return -EINVAL;
			ps_compat_ops[n] = *op;
			ps_compat_ops[n++].flags &= ~(GENL_CMD_CAP_DO |
						      GENL_CMD_CAP_DUMP);
			continue;
		}
		to = &ps_compat_ops[j];
		if (WARN_ON(to->maxattr != op->maxattr ||
			    memcmp(to->policy, op->policy,
				   (op->maxattr + 1) * sizeof(*op->policy))))
			return -EINVAL;
		if (op->doit)
			to->doit = op->doit;
		if (op->dumpit)
			to->dumpit = op->dumpit;
	}
#ifdef PS_COMPAT_HEADER_CHECK
	/* The generated table has neither; nothing is overwritten. */
	for (j = 0; j < n; j++) {
		if (!ps_compat_ops[j].dumpit)
			continue;
		if (WARN_ON(ps_compat_ops[j].start))
			return -EINVAL;
		ps_compat_ops[j].start = ps_compat_dump_start;
	}
	if (WARN_ON(family->pre_doit))
		return -EINVAL;
	family->pre_doit = ps_compat_pre_doit;
#endif
	family->ops = ps_compat_ops;
	family->n_ops = n;
	return 0;
}
#endif

#ifdef PS_COMPAT_POLL_RCU
/*
 * Grace periods counted by an RCU callback (see compat.h): a cookie is the
 * count that, once reached, proves a full grace period since the cookie
 * was taken. One callback is in flight at a time; a cookie taken while it
 * is, waits for the one after it (the callback in flight may have been
 * queued in a grace period that began before the cookie).
 */
static DEFINE_SPINLOCK(ps_gp_lock);
static struct rcu_head ps_gp_head;
static unsigned long ps_gp_done, ps_gp_want;
static bool ps_gp_queued, ps_gp_stop;

static void ps_gp_end(struct rcu_head *head)
{
	spin_lock(&ps_gp_lock);
	WRITE_ONCE(ps_gp_done, ps_gp_done + 1);
	ps_gp_queued = !ps_gp_stop && ULONG_CMP_LT(ps_gp_done, ps_gp_want);
	if (ps_gp_queued)
		call_rcu(&ps_gp_head, ps_gp_end);
	spin_unlock(&ps_gp_lock);
}

unsigned long ps_compat_get_state_rcu(void)
{
	unsigned long cookie;

	spin_lock_bh(&ps_gp_lock);
	cookie = ps_gp_done + (ps_gp_queued ? 2 : 1);
	ps_gp_want = cookie;
	if (!ps_gp_queued && !ps_gp_stop) {
		ps_gp_queued = true;
		call_rcu(&ps_gp_head, ps_gp_end);
	}
	spin_unlock_bh(&ps_gp_lock);
	return cookie;
}

bool ps_compat_poll_state_rcu(unsigned long cookie)
{
	return ULONG_CMP_GE(READ_ONCE(ps_gp_done), cookie);
}

/* Before the module's rcu_barrier(): no callback queues another after it. */
void ps_compat_rcu_exit(void)
{
	spin_lock_bh(&ps_gp_lock);
	ps_gp_stop = true;
	spin_unlock_bh(&ps_gp_lock);
}
#endif
