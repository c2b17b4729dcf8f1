// SPDX-License-Identifier: GPL-2.0
/*
 * The MoA pool.  Each range keeps the offsets (from its first address) of
 * the addresses in use or held, in a treap whose nodes also know the
 * smallest and largest offset and the number of nodes below them: a
 * subtree whose span equals its size has no gap, which lets the next free
 * address after the cursor be found in O(log n) however full the range
 * is.  Held addresses also sit on one FIFO per pool: every hold lasts
 * as long, so they expire in the order they were released.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pool.h"

/* Offsets need 128 bits: a range may span most of the IPv6 space. */
struct u128 {
	uint64_t hi, lo;
};

enum { FREE_USED, FREE_HELD };

struct node {
	struct u128 key, min, max;
	uint64_t size;			/* nodes in this subtree */
	uint32_t prio;
	uint8_t state;			/* FREE_USED or FREE_HELD */
	struct node *left, *right;
	/* Holds only: */
	uint64_t expires;
	struct node *next_hold;
	struct range *range;
};

struct range {
	struct mobd_range r;
	struct u128 last;		/* offset of r.last */
	struct node *root;
	struct u128 cursor;		/* next offset to try */
	uint64_t used, held;
};

struct mobd_pool {
	int n;
	struct range *ranges;
	uint64_t hold_ms;
	uint32_t seed;
	struct node *hold_head, *hold_tail;
};

static int u128_cmp(struct u128 a, struct u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

static struct u128 u128_sub(struct u128 a, struct u128 b)
{
	struct u128 r = { a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo };

	return r;
}

static struct u128 u128_add(struct u128 a, struct u128 b)
{
	struct u128 r = { a.hi + b.hi, a.lo + b.lo };

	r.hi += r.lo < a.lo;
	return r;
}

/* A + 1; false if it wraps past 2^128 - 1. */
static bool u128_inc(struct u128 a, struct u128 *out)
{
	out->lo = a.lo + 1;
	out->hi = a.hi + (out->lo == 0);
	return out->lo || out->hi;
}

static const struct u128 zero;

static struct u128 addr_to_u128(int family, const union mob_ip *a)
{
	struct u128 v = { 0, 0 };
	size_t i, n = mob_addr_len(family);

	for (i = 0; i < n; i++) {
		v.hi = v.hi << 8 | v.lo >> 56;
		v.lo = v.lo << 8 | a->raw[i];
	}
	return v;
}

static void u128_to_addr(int family, struct u128 v, union mob_ip *a)
{
	size_t n = mob_addr_len(family), i;

	memset(a, 0, sizeof(*a));
	for (i = n; i-- > 0;) {
		a->raw[i] = (uint8_t)v.lo;
		v.lo = v.lo >> 8 | v.hi << 56;
		v.hi >>= 8;
	}
}

/* The treap. */

static uint64_t size_of(const struct node *t)
{
	return t ? t->size : 0;
}

static void update(struct node *t)
{
	t->size = 1 + size_of(t->left) + size_of(t->right);
	t->min = t->left ? t->left->min : t->key;
	t->max = t->right ? t->right->max : t->key;
}

/* Split T into keys < KEY (or <= KEY if INCL) and the rest. */
static void split(struct node *t, struct u128 key, bool incl,
		  struct node **l, struct node **r)
{
	int c;

	if (!t) {
		*l = *r = NULL;
		return;
	}
	c = u128_cmp(t->key, key);
	if (c < 0 || (incl && c == 0)) {
		split(t->right, key, incl, &t->right, r);
		*l = t;
	} else {
		split(t->left, key, incl, l, &t->left);
		*r = t;
	}
	update(t);
}

/* Every key of A is below every key of B. */
static struct node *merge(struct node *a, struct node *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (a->prio > b->prio) {
		a->right = merge(a->right, b);
		update(a);
		return a;
	}
	b->left = merge(a, b->left);
	update(b);
	return b;
}

static struct node *find(struct node *t, struct u128 key)
{
	int c;

	while (t) {
		c = u128_cmp(key, t->key);
		if (!c)
			return t;
		t = c < 0 ? t->left : t->right;
	}
	return NULL;
}

static void insert(struct node **root, struct node *n)
{
	struct node *l, *r;

	n->left = n->right = NULL;
	update(n);
	split(*root, n->key, false, &l, &r);
	*root = merge(merge(l, n), r);
}

static void erase(struct node **root, struct u128 key)
{
	struct node *l, *m, *r;

	split(*root, key, false, &l, &r);
	split(r, key, true, &m, &r);
	*root = merge(l, r);
}

/* No gap between the smallest and the largest key. */
static bool solid(const struct node *t)
{
	struct u128 span = u128_sub(t->max, t->min);

	return !span.hi && span.lo == t->size - 1;
}

/*
 * The smallest offset >= X that is not a key of T; false if there is
 * none below 2^128.  Only one call down the tree can fail to end at once
 * on a solid subtree, so this is O(depth).
 */
static bool gap(const struct node *t, struct u128 x, struct u128 *out)
{
	if (!t || u128_cmp(x, t->min) < 0 || u128_cmp(x, t->max) > 0) {
		*out = x;
		return true;
	}
	if (solid(t))
		return u128_inc(t->max, out);
	if (u128_cmp(t->key, x) < 0)
		return gap(t->right, x, out);
	if (!gap(t->left, x, out))
		return false;
	if (u128_cmp(*out, t->key) < 0)
		return true;
	/* Everything from X up to this key is taken. */
	if (!u128_inc(t->key, &x))
		return false;
	return gap(t->right, x, out);
}

static void free_tree(struct node *t)
{
	if (!t)
		return;
	free_tree(t->left);
	free_tree(t->right);
	free(t);
}

/* The pool. */

static uint32_t next_prio(struct mobd_pool *p)
{
	/* xorshift32: priorities only need to look random. */
	p->seed ^= p->seed << 13;
	p->seed ^= p->seed >> 17;
	p->seed ^= p->seed << 5;
	return p->seed;
}

static void expire(struct mobd_pool *p, uint64_t now_ms)
{
	struct node *n;

	while ((n = p->hold_head) && n->expires <= now_ms) {
		p->hold_head = n->next_hold;
		if (!p->hold_head)
			p->hold_tail = NULL;
		n->range->held--;
		erase(&n->range->root, n->key);
		free(n);
	}
}

static struct range *range_of(const struct mobd_pool *p, int family,
			      const union mob_ip *a, struct u128 *off)
{
	struct u128 v, first;
	int i;

	if (family != AF_INET && family != AF_INET6)
		return NULL;
	v = addr_to_u128(family, a);
	for (i = 0; i < p->n; i++) {
		struct range *r = &p->ranges[i];

		if (r->r.family != family)
			continue;
		first = addr_to_u128(family, &r->r.first);
		if (u128_cmp(v, first) < 0)
			continue;
		*off = u128_sub(v, first);
		if (u128_cmp(*off, r->last) <= 0)
			return r;
	}
	return NULL;
}

static int add_used(struct mobd_pool *p, struct range *r, struct u128 off)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->key = off;
	n->prio = next_prio(p);
	n->state = FREE_USED;
	n->range = r;
	insert(&r->root, n);
	r->used++;
	return 0;
}

int mobd_pool_new(struct mobd_pool **pp, const struct mobd_range *ranges,
		  int n, uint64_t hold_ms)
{
	struct mobd_pool *p;
	struct u128 first, last, f2, l2;
	int i, j;

	*pp = NULL;
	if (n < 0 || (n && !ranges))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (ranges[i].family != AF_INET && ranges[i].family != AF_INET6)
			return -EINVAL;
		first = addr_to_u128(ranges[i].family, &ranges[i].first);
		last = addr_to_u128(ranges[i].family, &ranges[i].last);
		if (u128_cmp(first, last) > 0)
			return -EINVAL;
		/* Overlapping ranges could hand out one address twice. */
		for (j = 0; j < i; j++) {
			if (ranges[j].family != ranges[i].family)
				continue;
			f2 = addr_to_u128(ranges[j].family, &ranges[j].first);
			l2 = addr_to_u128(ranges[j].family, &ranges[j].last);
			if (u128_cmp(first, l2) <= 0 && u128_cmp(f2, last) <= 0)
				return -EINVAL;
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ranges = calloc(n ? (size_t)n : 1, sizeof(*p->ranges));
	if (!p->ranges) {
		free(p);
		return -ENOMEM;
	}
	p->n = n;
	p->hold_ms = hold_ms;
	p->seed = 0x9e3779b9u;
	for (i = 0; i < n; i++) {
		struct range *r = &p->ranges[i];

		r->r = ranges[i];
		first = addr_to_u128(r->r.family, &r->r.first);
		r->last = u128_sub(addr_to_u128(r->r.family, &r->r.last), first);
	}
	*pp = p;
	return 0;
}

void mobd_pool_free(struct mobd_pool *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		free_tree(p->ranges[i].root);
	free(p->ranges);
	free(p);
}

/* Next fit in one range: the first free offset from the cursor on. */
static int alloc_in(struct mobd_pool *p, struct range *r, struct u128 *off)
{
	struct u128 o;
	bool ok;

	if (r->root && solid(r->root) && !u128_cmp(r->root->min, zero) &&
	    !u128_cmp(r->root->max, r->last))
		return -ENOSPC;
	ok = gap(r->root, r->cursor, &o);
	if (!ok || u128_cmp(o, r->last) > 0) {
		ok = gap(r->root, zero, &o);
		if (!ok || u128_cmp(o, r->last) > 0)
			return -ENOSPC;
	}
	if (add_used(p, r, o))
		return -ENOMEM;
	/* Past the end, the cursor wraps round to the first address. */
	if (!u128_inc(o, &r->cursor) || u128_cmp(r->cursor, r->last) > 0)
		r->cursor = zero;
	*off = o;
	return 0;
}

int mobd_pool_alloc(struct mobd_pool *p, int family, uint64_t now_ms,
		    union mob_ip *out)
{
	struct u128 off;
	bool any = false;
	int i, err;

	expire(p, now_ms);
	for (i = 0; i < p->n; i++) {
		struct range *r = &p->ranges[i];

		if (r->r.family != family)
			continue;
		any = true;
		err = alloc_in(p, r, &off);
		if (err == -ENOSPC)
			continue;
		if (err)
			return err;
		u128_to_addr(family,
			     u128_add(addr_to_u128(family, &r->r.first), off),
			     out);
		return 0;
	}
	return any ? -ENOSPC : -EAFNOSUPPORT;
}

int mobd_pool_take(struct mobd_pool *p, int family, const union mob_ip *a,
		   uint64_t now_ms)
{
	struct range *r;
	struct u128 off;

	expire(p, now_ms);
	r = range_of(p, family, a, &off);
	if (!r)
		return -ERANGE;
	if (find(r->root, off))
		return -EBUSY;
	return add_used(p, r, off);
}

int mobd_pool_release(struct mobd_pool *p, int family, const union mob_ip *a,
		      uint64_t now_ms)
{
	struct range *r;
	struct node *n;
	struct u128 off;

	expire(p, now_ms);
	r = range_of(p, family, a, &off);
	n = r ? find(r->root, off) : NULL;
	if (!n || n->state != FREE_USED)
		return -ENOENT;
	r->used--;
	if (!p->hold_ms) {
		erase(&r->root, off);
		free(n);
		return 0;
	}
	n->state = FREE_HELD;
	n->expires = now_ms + p->hold_ms;
	/* Keep the FIFO in expiry order even if the clock went back. */
	if (p->hold_tail && n->expires < p->hold_tail->expires)
		n->expires = p->hold_tail->expires;
	n->next_hold = NULL;
	if (p->hold_tail)
		p->hold_tail->next_hold = n;
	else
		p->hold_head = n;
	p->hold_tail = n;
	r->held++;
	return 0;
}

bool mobd_pool_contains(const struct mobd_pool *p, int family,
			const union mob_ip *a)
{
	struct u128 off;

	return range_of(p, family, a, &off) != NULL;
}

int mobd_pool_usage(struct mobd_pool *p, int i, uint64_t now_ms,
		    struct mobd_pool_usage *u)
{
	struct range *r;

	if (i < 0 || i >= p->n)
		return -ENOENT;
	expire(p, now_ms);
	r = &p->ranges[i];
	u->range = &r->r;
	/* LAST + 1 addresses: more than a uint64_t holds from 2^64 on. */
	u->size = r->last.hi || r->last.lo == UINT64_MAX ? UINT64_MAX :
		  r->last.lo + 1;
	u->used = r->used;
	u->held = r->held;
	return 0;
}
