/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MoA pool of this hypervisor: the ranges of the "pool" settings, from
 * which every VM arriving here gets a mobile address per family.  No MoA is
 * ever handed to two holders; a released MoA is held back for a while
 * (moa-hold) so that late packets for its previous VM never reach a new one.
 *
 * Sizes: a range may be as large as an IPv6 /64; only addresses in use or
 * held cost memory.  Allocation is next-fit per range: the first free
 * address after the last one given, wrapping around.
 *
 * Every address from first to last of a range is used: a CIDR pool's
 * network, broadcast or subnet-router anycast address is already left out
 * by the configuration (see config.h).  Ranges must not overlap
 * (mobd_pool_new() says -EINVAL).  A hold ends when NOW_MS reaches the
 * release time + HOLD_MS; holds end in release order (NOW_MS is expected
 * not to go back).
 */
#ifndef MOBD_POOL_H
#define MOBD_POOL_H

#include <stdint.h>

#include "config.h"

struct mobd_pool;

/* HOLD_MS: how long a released address stays unavailable. */
int mobd_pool_new(struct mobd_pool **pp, const struct mobd_range *ranges,
		  int n, uint64_t hold_ms);
void mobd_pool_free(struct mobd_pool *p);

/*
 * Take a free address of FAMILY, the ranges tried in configuration order.
 * -EAFNOSUPPORT if no range is of that family, -ENOSPC if every address of
 * that family is in use or held.  NOW_MS: mobd_now_ms(), expires holds.
 */
int mobd_pool_alloc(struct mobd_pool *p, int family, uint64_t now_ms,
		    union mob_ip *out);
/*
 * Take a given address (a MoA found in the kernel table at start).
 * -ERANGE if it is in no range, -EBUSY if in use, or held (until NOW_MS
 * passes the hold).
 */
int mobd_pool_take(struct mobd_pool *p, int family, const union mob_ip *a,
		   uint64_t now_ms);
/* Give an address back; it is held until NOW_MS + hold.  -ENOENT if it
 * was not in use. */
int mobd_pool_release(struct mobd_pool *p, int family, const union mob_ip *a,
		      uint64_t now_ms);
bool mobd_pool_contains(const struct mobd_pool *p, int family,
			const union mob_ip *a);

struct mobd_pool_usage {
	const struct mobd_range *range;
	uint64_t size;		/* addresses in the range; UINT64_MAX if more */
	uint64_t used;
	uint64_t held;
};
/* Usage of range I (0 .. n-1); -ENOENT past the end. */
int mobd_pool_usage(struct mobd_pool *p, int i, uint64_t now_ms,
		    struct mobd_pool_usage *u);

#endif /* MOBD_POOL_H */
