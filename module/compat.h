/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Back-fill of kernel APIs for the older kernels portsteer supports.
 *
 * The module is written against the newest kernel API; this header, force-
 * included by Kbuild, maps that API onto older kernels. Each entry names the
 * kernel version where the API changed. Guard by feature where stable kernels
 * backported a helper, by version otherwise.
 */
#ifndef _PORTSTEER_COMPAT_H
#define _PORTSTEER_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "portsteer needs Linux 6.1 or newer"
#endif

#endif /* _PORTSTEER_COMPAT_H */
