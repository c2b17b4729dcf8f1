// SPDX-License-Identifier: GPL-2.0
/*
 * agent/mobd/pool.c: next-fit allocation, holds, take and release, huge
 * IPv6 ranges, and a randomized run against a plain array model.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "pool.h"
#include "suites.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct mobd_range range(const char *first, const char *last)
{
	struct mobd_range r;

	memset(&r, 0, sizeof(r));
	r.family = strchr(first, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(r.family, first, &r.first), 1);
	ck_assert_int_eq(inet_pton(r.family, last, &r.last), 1);
	return r;
}

static union mob_ip ip(const char *s)
{
	union mob_ip a;

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, &a),
			 1);
	return a;
}

static const char *str(int family, const union mob_ip *a)
{
	static char buf[4][INET6_ADDRSTRLEN];
	static int i;

	i = (i + 1) % 4;
	return mob_addr_ntop(family, a, buf[i], sizeof(buf[i]));
}

/* Allocate and compare with WANT. */
static void ck_alloc(struct mobd_pool *p, int family, uint64_t now,
		     const char *want)
{
	union mob_ip a;

	memset(&a, 0xaa, sizeof(a));
	ck_assert_int_eq(mobd_pool_alloc(p, family, now, &a), 0);
	ck_assert_str_eq(str(family, &a), want);
	if (family == AF_INET)	/* the rest of the union is zeroed */
		ck_assert_int_eq(a.raw[4] | a.raw[15], 0);
}

static void ck_usage(struct mobd_pool *p, int i, uint64_t now, uint64_t size,
		     uint64_t used, uint64_t held)
{
	struct mobd_pool_usage u;

	ck_assert_int_eq(mobd_pool_usage(p, i, now, &u), 0);
	ck_assert_uint_eq(u.size, size);
	ck_assert_uint_eq(u.used, used);
	ck_assert_uint_eq(u.held, held);
}

START_TEST(test_until_full)
{
	struct mobd_range r = range("10.1.1.1", "10.1.1.8");
	struct mobd_pool *p;
	union mob_ip a;
	char want[32];
	int i;

	ck_assert_int_eq(mobd_pool_new(&p, &r, 1, 1000), 0);
	ck_usage(p, 0, 0, 8, 0, 0);
	for (i = 1; i <= 8; i++) {
		snprintf(want, sizeof(want), "10.1.1.%d", i);
		ck_alloc(p, AF_INET, 0, want);
	}
	ck_assert_int_eq(mobd_pool_alloc(p, AF_INET, 0, &a), -ENOSPC);
	ck_assert_int_eq(mobd_pool_alloc(p, AF_INET, 999999, &a), -ENOSPC);
	ck_usage(p, 0, 0, 8, 8, 0);
	mobd_pool_free(p);
}
END_TEST

START_TEST(test_hold)
{
	struct mobd_range r = range("10.1.1.1", "10.1.1.4");
	struct mobd_pool *p;
	union mob_ip a, b = ip("10.1.1.3");
	int i;

	ck_assert_int_eq(mobd_pool_new(&p, &r, 1, 1000), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(mobd_pool_alloc(p, AF_INET, 0, &a), 0);
	ck_assert_int_eq(mobd_pool_release(p, AF_INET, &b, 100), 0);
	ck_usage(p, 0, 100, 4, 3, 1);
	/* Released, but not given again while held... */
	ck_assert_int_eq(mobd_pool_release(p, AF_INET, &b, 100), -ENOENT);
	ck_assert_int_eq(mobd_pool_alloc(p, AF_INET, 500, &a), -ENOSPC);
	ck_assert_int_eq(mobd_pool_take(p, AF_INET, &b, 1099), -EBUSY);
	ck_usage(p, 0, 1099, 4, 3, 1);
	/* ...until the hold is over. */
	ck_usage(p, 0, 1100, 4, 3, 0);
	ck_alloc(p, AF_INET, 1100, "10.1.1.3");
	ck_usage(p, 0, 1100, 4, 4, 0);

	/* take() after the hold, too. */
	ck_assert_int_eq(mobd_pool_release(p, AF_INET, &b, 2000), 0);
	ck_assert_int_eq(mobd_pool_take(p, AF_INET, &b, 2999), -EBUSY);
	ck_assert_int_eq(mobd_pool_take(p, AF_INET, &b, 3000), 0);
	ck_assert_int_eq(mobd_pool_take(p, AF_INET, &b, 3000), -EBUSY);
	mobd_pool_free(p);
}
END_TEST

/* Next fit: a freed address comes back only after the others. */
START_TEST(test_next_fit)
{
	struct mobd_range r = range("10.1.1.1", "10.1.1.4");
	struct mobd_pool *p;
	union mob_ip a = ip("10.1.1.1"), c = ip("10.1.1.3");

	ck_assert_int_eq(mobd_pool_new(&p, &r, 1, 0), 0);
	ck_alloc(p, AF_INET, 0, "10.1.1.1");
	ck_alloc(p, AF_INET, 0, "10.1.1.2");
	ck_assert_int_eq(mobd_pool_release(p, AF_INET, &a, 0), 0);
	ck_usage(p, 0, 0, 4, 1, 0);	/* hold 0: free at once */
	ck_alloc(p, AF_INET, 0, "10.1.1.3");
	ck_alloc(p, AF_INET, 0, "10.1.1.4");
	ck_alloc(p, AF_INET, 0, "10.1.1.1");	/* wrapped round */
	ck_assert_int_eq(mobd_pool_release(p, AF_INET, &c, 0), 0);
	ck_alloc(p, AF_INET, 0, "10.1.1.3");
	mobd_pool_free(p);
}
END_TEST

START_TEST(test_take)
{
	struct mobd_range r[] = {
		range("10.1.1.1", "10.1.1.4"),
		range("2001:db8::", "2001:db8::ff"),
	};
	struct mobd_pool *p;
	union mob_ip a = ip("10.1.1.2"), out = ip("10.1.1.5"),
		     six = ip("2001:db8::80"), v4in6;

	ck_assert_int_eq(mobd_pool_new(&p, r, 2, 1000), 0);
	ck_assert_int_eq(mobd_pool_take(p, AF_INET, &a, 0), 0);
	ck_assert_int_eq(mobd_pool_take(p, AF_INET, &a, 0), -EBUSY);
	ck_assert_int_eq(mobd_pool_take(p, AF_INET, &out, 0), -ERANGE);
	ck_assert_int_eq(mobd_pool_take(p, AF_INET6, &a, 0), -ERANGE);
	ck_assert_int_eq(mobd_pool_take(p, 0, &a, 0), -ERANGE);
	ck_assert(mobd_pool_contains(p, AF_INET, &a));
	ck_assert(!mobd_pool_contains(p, AF_INET, &out));
	ck_assert(!mobd_pool_contains(p, AF_INET6, &a));
	ck_assert(mobd_pool_contains(p, AF_INET6, &six));
	/* 10.1.1.2's bytes as an IPv6 address are in no range. */
	v4in6 = a;
	ck_assert(!mobd_pool_contains(p, AF_INET6, &v4in6));

	/* alloc() steps over what take() reserved. */
	ck_alloc(p, AF_INET, 0, "10.1.1.1");
	ck_alloc(p, AF_INET, 0, "10.1.1.3");
	ck_assert_int_eq(mobd_pool_take(p, AF_INET6, &six, 0), 0);
	ck_usage(p, 0, 0, 4, 3, 0);
	ck_usage(p, 1, 0, 256, 1, 0);

	ck_assert_int_eq(mobd_pool_release(p, AF_INET, &out, 0), -ENOENT);
	ck_assert_int_eq(mobd_pool_release(p, AF_INET6, &a, 0), -ENOENT);
	a = ip("10.1.1.4");
	ck_assert_int_eq(mobd_pool_release(p, AF_INET, &a, 0), -ENOENT);
	mobd_pool_free(p);
}
END_TEST

START_TEST(test_family)
{
	struct mobd_range r = range("10.1.1.1", "10.1.1.4");
	struct mobd_pool *p;
	union mob_ip a;
	struct mobd_pool_usage u;

	ck_assert_int_eq(mobd_pool_new(&p, &r, 1, 0), 0);
	ck_assert_int_eq(mobd_pool_alloc(p, AF_INET6, 0, &a), -EAFNOSUPPORT);
	ck_assert_int_eq(mobd_pool_alloc(p, AF_UNSPEC, 0, &a), -EAFNOSUPPORT);
	ck_assert_int_eq(mobd_pool_alloc(p, AF_PACKET, 0, &a), -EAFNOSUPPORT);
	ck_assert_int_eq(mobd_pool_usage(p, 1, 0, &u), -ENOENT);
	ck_assert_int_eq(mobd_pool_usage(p, -1, 0, &u), -ENOENT);
	mobd_pool_free(p);

	ck_assert_int_eq(mobd_pool_new(&p, NULL, 0, 0), 0);
	ck_assert_int_eq(mobd_pool_alloc(p, AF_INET, 0, &a), -EAFNOSUPPORT);
	ck_assert_int_eq(mobd_pool_usage(p, 0, 0, &u), -ENOENT);
	mobd_pool_free(p);
	mobd_pool_free(NULL);
}
END_TEST

START_TEST(test_new_bad)
{
	struct mobd_range r[2];
	struct mobd_pool *p = (struct mobd_pool *)&r;

	r[0] = range("10.1.1.5", "10.1.1.4");
	ck_assert_int_eq(mobd_pool_new(&p, r, 1, 0), -EINVAL);
	ck_assert_ptr_null(p);
	r[0] = range("10.1.1.0", "10.1.1.9");
	r[1] = range("10.1.1.9", "10.1.1.20");
	ck_assert_int_eq(mobd_pool_new(&p, r, 2, 0), -EINVAL);
	r[1] = range("2001:db8::", "2001:db8::1");
	r[1].family = AF_PACKET;
	ck_assert_int_eq(mobd_pool_new(&p, r, 2, 0), -EINVAL);
	ck_assert_int_eq(mobd_pool_new(&p, r, -1, 0), -EINVAL);
	/* The same bytes in two families do not overlap. */
	r[1] = range("::a01:100", "::a01:1ff");
	ck_assert_int_eq(mobd_pool_new(&p, r, 2, 0), 0);
	mobd_pool_free(p);
}
END_TEST

/* Ranges are tried in the order given. */
START_TEST(test_order)
{
	struct mobd_range r[] = {
		range("10.1.2.1", "10.1.2.2"),
		range("2001:db8::1", "2001:db8::1"),
		range("10.1.1.1", "10.1.1.1"),
	};
	struct mobd_pool *p;
	struct mobd_pool_usage u;
	union mob_ip a;

	ck_assert_int_eq(mobd_pool_new(&p, r, 3, 10), 0);
	ck_alloc(p, AF_INET, 0, "10.1.2.1");
	ck_alloc(p, AF_INET6, 0, "2001:db8::1");
	ck_alloc(p, AF_INET, 0, "10.1.2.2");
	ck_alloc(p, AF_INET, 0, "10.1.1.1");
	ck_assert_int_eq(mobd_pool_alloc(p, AF_INET, 0, &a), -ENOSPC);
	ck_assert_int_eq(mobd_pool_alloc(p, AF_INET6, 0, &a), -ENOSPC);
	/* Back in the first range once it has room again. */
	a = ip("10.1.2.1");
	ck_assert_int_eq(mobd_pool_release(p, AF_INET, &a, 0), 0);
	ck_alloc(p, AF_INET, 10, "10.1.2.1");
	ck_assert_int_eq(mobd_pool_usage(p, 2, 10, &u), 0);
	ck_assert_ptr_nonnull(u.range);
	ck_assert_int_eq(u.range->family, AF_INET);
	ck_assert_str_eq(str(AF_INET, &u.range->first), "10.1.1.1");
	mobd_pool_free(p);
}
END_TEST

START_TEST(test_ipv6_64)
{
	struct mobd_range r[] = {
		range("2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff"),
		range("2001:db8:0:1::", "2001:db8:0:1:ffff:ffff:ffff:ffff"),
		range("2001:db8:0:2::", "2001:db8:0:2:7fff:ffff:ffff:ffff"),
		range("2001:db8:1::", "2001:db8:1:ffff:ffff:ffff:ffff:ffff"),
	};
	struct mobd_pool *p;
	union mob_ip a, last = ip("2001:db8::ffff:ffff:ffff:ffff"),
		     near = ip("2001:db8::ffff:ffff:ffff:fffe");
	char want[64];
	int i;

	ck_assert_int_eq(mobd_pool_new(&p, r, 4, 1000), 0);
	ck_usage(p, 0, 0, UINT64_MAX, 0, 0);		/* 2^64 - 1 */
	ck_usage(p, 1, 0, UINT64_MAX, 0, 0);		/* 2^64: more */
	ck_usage(p, 2, 0, 1ULL << 63, 0, 0);
	ck_usage(p, 3, 0, UINT64_MAX, 0, 0);		/* 2^80 */
	for (i = 1; i <= 1000; i++) {
		snprintf(want, sizeof(want), "2001:db8::%x", i);
		ck_alloc(p, AF_INET6, 0, want);
	}
	ck_usage(p, 0, 0, UINT64_MAX, 1000, 0);
	/* The far end, then next fit wraps round past the taken start. */
	ck_assert_int_eq(mobd_pool_take(p, AF_INET6, &near, 0), 0);
	a = ip("2001:db8::3e8");
	ck_assert_int_eq(mobd_pool_release(p, AF_INET6, &a, 0), 0);
	ck_alloc(p, AF_INET6, 0, "2001:db8::3e9");
	ck_assert_int_eq(mobd_pool_take(p, AF_INET6, &last, 0), 0);
	ck_assert(mobd_pool_contains(p, AF_INET6, &last));
	a = ip("2001:db8:0:2:8000::");
	ck_assert(!mobd_pool_contains(p, AF_INET6, &a));
	a = ip("2001:db8:1:ffff:ffff:ffff:ffff:ffff");
	ck_assert_int_eq(mobd_pool_take(p, AF_INET6, &a, 0), 0);
	mobd_pool_free(p);
}
END_TEST

/* The end of the address space: offsets must not wrap. */
START_TEST(test_ipv6_top)
{
	struct mobd_range r[] = {
		range("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd",
		      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	};
	struct mobd_pool *p;
	union mob_ip a = ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");

	ck_assert_int_eq(mobd_pool_new(&p, r, 1, 0), 0);
	ck_alloc(p, AF_INET6, 0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd");
	ck_alloc(p, AF_INET6, 0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	ck_alloc(p, AF_INET6, 0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ck_assert_int_eq(mobd_pool_alloc(p, AF_INET6, 0, &a), -ENOSPC);
	ck_assert_int_eq(mobd_pool_release(p, AF_INET6, &a, 0), 0);
	ck_alloc(p, AF_INET6, 0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	mobd_pool_free(p);

	/* All of it. */
	r[0] = range("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ck_assert_int_eq(mobd_pool_new(&p, r, 1, 0), 0);
	ck_usage(p, 0, 0, UINT64_MAX, 0, 0);
	a = ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ck_assert_int_eq(mobd_pool_take(p, AF_INET6, &a, 0), 0);
	a = ip("::");
	ck_assert_int_eq(mobd_pool_take(p, AF_INET6, &a, 0), 0);
	ck_alloc(p, AF_INET6, 0, "::1");
	mobd_pool_free(p);
}
END_TEST

/* A /120 as the configuration gives it: 255 addresses, then full. */
START_TEST(test_ipv6_120)
{
	static const char text[] =
		"home = fd99::/64\npool = 2001:db8::100/120\n";
	struct mobd_config c;
	struct mobd_pool *p;
	union mob_ip a;
	bool seen[256] = { false };
	char err[256];
	FILE *f;
	int i;

	mobd_config_defaults(&c);
	f = fmemopen((void *)text, strlen(text), "r");
	ck_assert_int_eq(mobd_config_parse(&c, f, "t", err, sizeof(err)), 0);
	fclose(f);
	ck_assert_int_eq(mobd_pool_new(&p, c.pools, c.n_pools, 5000), 0);
	ck_usage(p, 0, 0, 255, 0, 0);
	for (i = 0; i < 255; i++) {
		ck_assert_int_eq(mobd_pool_alloc(p, AF_INET6, 0, &a), 0);
		ck_assert_int_eq(memcmp(a.raw, c.pools[0].first.raw, 15), 0);
		ck_assert_int_ne(a.raw[15], 0);	/* subnet-router anycast */
		ck_assert(!seen[a.raw[15]]);
		seen[a.raw[15]] = true;
	}
	ck_assert_int_eq(mobd_pool_alloc(p, AF_INET6, 0, &a), -ENOSPC);
	a = ip("2001:db8::100");
	ck_assert_int_eq(mobd_pool_take(p, AF_INET6, &a, 0), -ERANGE);
	a = ip("2001:db8::1ff");
	ck_assert_int_eq(mobd_pool_release(p, AF_INET6, &a, 0), 0);
	ck_usage(p, 0, 0, 255, 254, 1);
	ck_assert_int_eq(mobd_pool_alloc(p, AF_INET6, 4999, &a), -ENOSPC);
	ck_alloc(p, AF_INET6, 5000, "2001:db8::1ff");
	mobd_pool_free(p);
}
END_TEST

/* Holds end in release order, even if the clock given goes back. */
START_TEST(test_hold_order)
{
	struct mobd_range r = range("10.1.1.1", "10.1.1.3");
	struct mobd_pool *p;
	union mob_ip a = ip("10.1.1.1"), b = ip("10.1.1.2"), c = ip("10.1.1.3");

	ck_assert_int_eq(mobd_pool_new(&p, &r, 1, 100), 0);
	ck_assert_int_eq(mobd_pool_take(p, AF_INET, &a, 0), 0);
	ck_assert_int_eq(mobd_pool_take(p, AF_INET, &b, 0), 0);
	ck_assert_int_eq(mobd_pool_take(p, AF_INET, &c, 0), 0);
	ck_assert_int_eq(mobd_pool_release(p, AF_INET, &b, 50), 0);
	ck_assert_int_eq(mobd_pool_release(p, AF_INET, &a, 10), 0);
	ck_assert_int_eq(mobd_pool_release(p, AF_INET, &c, 60), 0);
	ck_usage(p, 0, 149, 3, 0, 3);
	ck_usage(p, 0, 150, 3, 0, 1);	/* a: kept until b's end */
	ck_usage(p, 0, 160, 3, 0, 0);
	mobd_pool_free(p);
}
END_TEST

/*
 * The model: one state per address and a cursor per range, next fit by
 * linear scan.  The pool must give exactly the same answers.
 */
#define M_FREE	0
#define M_USED	1
#define M_HELD	2

struct model_range {
	int family;
	union mob_ip first;
	int size;
	int cursor;
	uint8_t *state;
	uint64_t *until;
};

static void model_addr(const struct model_range *m, int i, union mob_ip *a)
{
	size_t n = mob_addr_len(m->family);
	unsigned int carry = (unsigned int)i;
	size_t k;

	*a = m->first;
	for (k = n; k-- > 0 && carry;) {
		carry += a->raw[k];
		a->raw[k] = (uint8_t)carry;
		carry >>= 8;
	}
}

static bool model_free(const struct model_range *m, int i, uint64_t now)
{
	return m->state[i] == M_FREE ||
	       (m->state[i] == M_HELD && m->until[i] <= now);
}

static int model_alloc(struct model_range *m, int nr, int family,
		       uint64_t now, union mob_ip *out)
{
	bool any = false;
	int r, k, i;

	for (r = 0; r < nr; r++) {
		if (m[r].family != family)
			continue;
		any = true;
		for (k = 0; k < m[r].size; k++) {
			i = (m[r].cursor + k) % m[r].size;
			if (!model_free(&m[r], i, now))
				continue;
			m[r].state[i] = M_USED;
			m[r].cursor = (i + 1) % m[r].size;
			model_addr(&m[r], i, out);
			return 0;
		}
	}
	return any ? -ENOSPC : -EAFNOSUPPORT;
}

static void stress(const struct mobd_range *ranges, int nr, uint64_t hold,
		   unsigned int seed, int ops)
{
	struct model_range m[4];
	struct mobd_pool *p;
	struct mobd_pool_usage u;
	uint64_t now = 1000, last_until = 0;
	union mob_ip a, b;
	int r, i, op, k, family, want, got;

	srand(seed);
	ck_assert_int_le(nr, 4);
	for (r = 0; r < nr; r++) {
		m[r].family = ranges[r].family;
		m[r].first = ranges[r].first;
		m[r].size = ranges[r].last.raw[mob_addr_len(m[r].family) - 1] -
			    ranges[r].first.raw[mob_addr_len(m[r].family) - 1] + 1;
		m[r].cursor = 0;
		m[r].state = calloc((size_t)m[r].size, 1);
		m[r].until = calloc((size_t)m[r].size, sizeof(uint64_t));
	}
	ck_assert_int_eq(mobd_pool_new(&p, ranges, nr, hold), 0);
	for (k = 0; k < ops; k++) {
		if (rand() % 8 == 0)
			now += (uint64_t)(rand() % (int)(hold / 4 + 2));
		op = rand() % 10;
		r = rand() % nr;
		i = rand() % m[r].size;
		family = m[r].family;
		model_addr(&m[r], i, &a);
		if (op < 4) {
			want = model_alloc(m, nr, family, now, &b);
			got = mobd_pool_alloc(p, family, now, &a);
			ck_assert_int_eq(got, want);
			if (!got)
				ck_assert_str_eq(str(family, &a), str(family, &b));
		} else if (op < 8) {
			want = m[r].state[i] == M_USED ? 0 : -ENOENT;
			ck_assert_int_eq(mobd_pool_release(p, family, &a, now),
					 want);
			if (!want) {
				/* Holds end in release order (see pool.c). */
				uint64_t until = now + hold;

				if (until < last_until)
					until = last_until;
				last_until = until;
				m[r].state[i] = hold ? M_HELD : M_FREE;
				m[r].until[i] = until;
			}
		} else {
			want = model_free(&m[r], i, now) ? 0 : -EBUSY;
			ck_assert_int_eq(mobd_pool_take(p, family, &a, now), want);
			if (!want)
				m[r].state[i] = M_USED;
		}
		if (k % 97 == 0) {
			uint64_t used = 0, held = 0;

			for (i = 0; i < m[r].size; i++) {
				used += m[r].state[i] == M_USED;
				held += m[r].state[i] == M_HELD &&
					m[r].until[i] > now;
			}
			ck_assert_int_eq(mobd_pool_usage(p, r, now, &u), 0);
			ck_assert_uint_eq(u.size, (uint64_t)m[r].size);
			ck_assert_uint_eq(u.used, used);
			ck_assert_uint_eq(u.held, held);
		}
	}
	mobd_pool_free(p);
	for (r = 0; r < nr; r++) {
		free(m[r].state);
		free(m[r].until);
	}
}

START_TEST(test_stress)
{
	struct mobd_range r[] = {
		range("10.1.1.10", "10.1.1.49"),
		range("2001:db8::1:0", "2001:db8::1:1f"),
		range("10.1.2.0", "10.1.2.23"),
	};

	stress(r, 3, 200, 1, 200000);
	stress(r, 3, 0, 2, 100000);
	stress(r, 1, 5000, 3, 100000);
}
END_TEST

/* Many addresses at once: a /16 filled, emptied at random, refilled. */
START_TEST(test_many)
{
	struct mobd_range r = range("10.2.0.0", "10.2.255.255");
	struct mobd_pool *p;
	static uint8_t used[65536];
	union mob_ip a;
	int i, n;

	memset(used, 0, sizeof(used));
	ck_assert_int_eq(mobd_pool_new(&p, &r, 1, 0), 0);
	for (i = 0; i < 65536; i++) {
		ck_assert_int_eq(mobd_pool_alloc(p, AF_INET, 0, &a), 0);
		n = a.raw[2] << 8 | a.raw[3];
		ck_assert(!used[n]);
		used[n] = 1;
	}
	ck_assert_int_eq(mobd_pool_alloc(p, AF_INET, 0, &a), -ENOSPC);
	srand(7);
	for (i = 0; i < 30000; i++) {
		n = rand() % 65536;
		a = ip("10.2.0.0");
		a.raw[2] = (uint8_t)(n >> 8);
		a.raw[3] = (uint8_t)n;
		ck_assert_int_eq(mobd_pool_release(p, AF_INET, &a, 0),
				 used[n] ? 0 : -ENOENT);
		used[n] = 0;
	}
	for (;;) {
		if (mobd_pool_alloc(p, AF_INET, 0, &a))
			break;
		n = a.raw[2] << 8 | a.raw[3];
		ck_assert(!used[n]);
		used[n] = 1;
	}
	for (i = 0; i < 65536; i++)
		ck_assert(used[i]);
	ck_usage(p, 0, 0, 65536, 65536, 0);
	mobd_pool_free(p);
}
END_TEST

Suite *pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_until_full);
	tcase_add_test(tc, test_hold);
	tcase_add_test(tc, test_next_fit);
	tcase_add_test(tc, test_take);
	tcase_add_test(tc, test_family);
	tcase_add_test(tc, test_new_bad);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_ipv6_64);
	tcase_add_test(tc, test_ipv6_top);
	tcase_add_test(tc, test_ipv6_120);
	tcase_add_test(tc, test_hold_order);
	tcase_add_test(tc, test_stress);
	tcase_add_test(tc, test_many);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
