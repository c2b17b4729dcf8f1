/* SPDX-License-Identifier: GPL-2.0 */
/* The few kernel API differences between the kernels we build for. */
#ifndef _MOB_COMPAT_H
#define _MOB_COMPAT_H

#include <linux/version.h>
#include <net/genetlink.h>

/* 6.6 folded the dump's parsed attributes into a struct genl_info. */
static inline struct nlattr **mob_dump_attrs(struct netlink_callback *cb)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

#endif /* _MOB_COMPAT_H */
