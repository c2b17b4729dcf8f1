/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How the two rhashtables of a namespace are keyed: shared by table.c and
 * alias.c, which change them, and xlat.c, which looks them up per packet.
 * by_moa holds aliases too, laid out like bindings (see kmod/mob.h).
 */
#ifndef _MOB_TABLE_H
#define _MOB_TABLE_H

#include <linux/jhash.h>
#include <linux/rhashtable.h>

#include "mob.h"

/*
 * Keys are hashed and compared on the words their family uses: one for
 * IPv4, four for IPv6.  rhashtable's defaults (jhash2 and memcmp over the
 * whole 20-byte key) cost every packet several times over.
 */
static __always_inline u32 mob_addr_hashfn(const void *data, u32 len, u32 seed)
{
	const struct mob_addr *a = data;

	if (a->family == AF_INET)
		return jhash_1word((__force u32)a->ip, seed);
	return jhash2((__force const u32 *)a->ip6.s6_addr32, 4,
		      seed ^ AF_INET6);
}

static __always_inline int mob_hoa_cmpfn(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct mob_binding *b = obj;

	return !mob_addr_eq(arg->key, &b->c.hoa);
}

static __always_inline int mob_moa_cmpfn(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct mob_binding *b = obj;

	return !mob_addr_eq(arg->key, &b->c.moa);
}

static const struct rhashtable_params mob_hoa_params __maybe_unused = {
	.head_offset = offsetof(struct mob_binding, hoa_node),
	.key_offset = offsetof(struct mob_binding, c.hoa),
	.key_len = sizeof(struct mob_addr),
	.hashfn = mob_addr_hashfn,
	.obj_cmpfn = mob_hoa_cmpfn,
	.automatic_shrinking = true,
};

static const struct rhashtable_params mob_moa_params __maybe_unused = {
	.head_offset = offsetof(struct mob_binding, moa_node),
	.key_offset = offsetof(struct mob_binding, c.moa),
	.key_len = sizeof(struct mob_addr),
	.hashfn = mob_addr_hashfn,
	.obj_cmpfn = mob_moa_cmpfn,
	.automatic_shrinking = true,
};

#endif /* _MOB_TABLE_H */
