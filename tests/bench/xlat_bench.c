// SPDX-License-Identifier: GPL-2.0
/*
 * Instruction-count benchmark of the module's packet core
 * (kmod/xlat_core.c, compiled unchanged), meant to run under callgrind:
 *
 *   xlat_bench -l                list the packet kinds
 *   xlat_bench -i                compiler, flags and table, as key=value
 *   xlat_bench [-n N] KIND       translate KIND's packet N times
 *   xlat_bench [-n N] -b         the same loop, copying only (baseline)
 *
 * Each iteration copies the packet into a scratch buffer (the core rewrites
 * in place) and runs the whole per-packet path of the kernel glue: parse,
 * decide with table lookups, rewrite with the checksum fix-ups.  Only the
 * loop is collected (CALLGRIND_TOGGLE_COLLECT, with --collect-atstart=no),
 * and the baseline runs the same loop with an empty function in place of
 * the core, so (Ir(KIND) - Ir(baseline)) / N is the core's cost alone.
 *
 * The table is a model of kmod/table.c: two hash tables of chained
 * buckets, by HoA and by MoA, hashed and compared as its rhashtable
 * parameters do (jhash over the address's words, mob_addr_eq), sized as
 * rhashtable would size them, and holding a thousand other bindings
 * besides the ones used here.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/mob.h>
#include <valgrind/callgrind.h>

#include "xlat_core.h"
#include "pktbuild.h"

#define FILL		1000	/* bindings besides the benchmark's own */
#define COPY_LEN	256	/* fixed, so one baseline serves every kind */
#define PAYLOAD		64
#define HASH_SEED	0x6d6f6221u	/* fixed: chains must not vary by run */

#ifndef XLAT_BENCH_CFLAGS
#define XLAT_BENCH_CFLAGS "unknown"
#endif

/* The benchmark's own hosts; ifindex 5 is VM1's port, 1 the uplink. */
struct fam_addrs {
	const char *hoa1, *moa1;	/* VM1, on this host */
	const char *hoa2, *moa2;	/* VM2, on another host */
	const char *router;		/* sends ICMP errors about VM traffic */
	const char *peer;		/* talks to the router through us */
};

static const struct fam_addrs addrs4 = {
	"10.99.0.11", "10.1.1.11", "10.99.0.12", "10.2.1.12", "192.0.2.1",
	"198.51.100.7",
};

static const struct fam_addrs addrs6 = {
	"fd99::11", "fd00:1:1::11", "fd99::12", "fd00:2:1::12", "2001:db8::1",
	"2001:db8:5::7",
};

#define VM1_PORT	5
#define UPLINK		1

/* ---- the table ---------------------------------------------------------- */

struct entry {
	struct mob_bind_core c;
	struct entry *hoa_next, *moa_next;
};

struct htab {
	struct entry **bucket;
	u32 mask;
};

struct mob_prefix {
	struct mob_addr net, mask;
};

struct mob_net {
	struct htab by_hoa, by_moa;
	struct mob_prefix pfx[2];
	unsigned int n_pfx;
	unsigned int n;
};

static struct mob_net table;

static inline u32 rol32(u32 w, unsigned int s)
{
	return (w << s) | (w >> (32 - s));
}

/* Bob Jenkins' lookup3 hashword(), which the kernel calls jhash2(); inline
 * there too, so its word count is a constant at each call. */
static inline __attribute__((always_inline)) u32 jhash2(const u32 *k, u32 words, u32 seed)
{
	u32 a, b, c;

	a = b = c = 0xdeadbeef + (words << 2) + seed;
	while (words > 3) {
		a += k[0];
		b += k[1];
		c += k[2];
		a -= c; a ^= rol32(c, 4);  c += b;
		b -= a; b ^= rol32(a, 6);  a += c;
		c -= b; c ^= rol32(b, 8);  b += a;
		a -= c; a ^= rol32(c, 16); c += b;
		b -= a; b ^= rol32(a, 19); a += c;
		c -= b; c ^= rol32(b, 4);  b += a;
		words -= 3;
		k += 3;
	}
	switch (words) {
	case 3:
		c += k[2];
		/* fall through */
	case 2:
		b += k[1];
		/* fall through */
	case 1:
		a += k[0];
		c ^= b; c -= rol32(b, 14);
		a ^= c; a -= rol32(c, 11);
		b ^= a; b -= rol32(a, 25);
		c ^= b; c -= rol32(b, 16);
		a ^= c; a -= rol32(c, 4);
		b ^= a; b -= rol32(a, 14);
		c ^= b; c -= rol32(b, 24);
		break;
	}
	return c;
}

/* As kmod/table.c hashes: the words the family uses (jhash_1word is
 * jhash2 of one word). */
static u32 bucket_of(const struct htab *t, const struct mob_addr *a)
{
	if (a->family == AF_INET)
		return jhash2(&a->ip, 1, HASH_SEED) & t->mask;
	return jhash2(a->ip6.s6_addr32, 4, HASH_SEED ^ AF_INET6) & t->mask;
}

/*
 * @moa is a constant at every call, so that as with rhashtable's constant
 * params the key and link offsets are folded in, not tested per entry.
 */
static inline struct entry **link_of(struct entry *e, bool moa)
{
	return moa ? &e->moa_next : &e->hoa_next;
}

static inline const struct mob_addr *key_of(const struct entry *e, bool moa)
{
	return moa ? &e->c.moa : &e->c.hoa;
}

static inline const struct mob_bind_core *lookup(const struct htab *t,
						 const struct mob_addr *a,
						 bool moa)
{
	struct entry *e;

	for (e = t->bucket[bucket_of(t, a)]; e; e = *link_of(e, moa))
		if (mob_addr_eq(key_of(e, moa), a))
			return &e->c;
	return NULL;
}

const struct mob_bind_core *mob_lookup_hoa(struct mob_net *mn,
					   const struct mob_addr *a)
{
	return lookup(&mn->by_hoa, a, false);
}

const struct mob_bind_core *mob_lookup_moa(struct mob_net *mn,
					   const struct mob_addr *a)
{
	return lookup(&mn->by_moa, a, true);
}

/* As kmod/table.c: a masked compare per home prefix. */
bool mob_in_home(struct mob_net *mn, const struct mob_addr *a)
{
	unsigned int i, w;

	for (i = 0; i < mn->n_pfx; i++) {
		const struct mob_prefix *p = &mn->pfx[i];
		const u32 *x = (const u32 *)&a->ip6, *m, *net;

		if (p->net.family != a->family)
			continue;
		if (a->family == AF_INET) {
			if ((a->ip & p->mask.ip) == p->net.ip)
				return true;
			continue;
		}
		m = (const u32 *)&p->mask.ip6;
		net = (const u32 *)&p->net.ip6;
		for (w = 0; w < 4; w++)
			if ((x[w] & m[w]) != net[w])
				break;
		if (w == 4)
			return true;
	}
	return false;
}

/* Only asked about an unbound home address, which no kind here has. */
bool mob_addr_is_local(struct mob_net *mn, const struct mob_addr *a)
{
	return false;
}

static struct mob_addr addr(const char *text)
{
	struct pb_addr p = pb_a(text);
	struct mob_addr a;

	memset(&a, 0, sizeof(a));
	a.family = (u8)p.family;
	memcpy(p.family == AF_INET ? (void *)&a.ip : (void *)&a.ip6, p.b,
	       p.family == AF_INET ? 4 : 16);
	return a;
}

static void htab_add(struct htab *t, struct entry *e, bool moa)
{
	struct entry **head = &t->bucket[bucket_of(t, key_of(e, moa))];

	*link_of(e, moa) = *head;
	*head = e;
}

static void add(const char *hoa, const char *moa, u8 kind, int ifindex)
{
	struct entry *e = calloc(1, sizeof(*e));

	if (!e)
		abort();
	e->c.hoa = addr(hoa);
	e->c.moa = addr(moa);
	e->c.kind = kind;
	e->c.ifindex = ifindex;
	htab_add(&table.by_hoa, e, false);
	htab_add(&table.by_moa, e, true);
	table.n++;
}

static void add_prefix(const char *net, const char *mask)
{
	struct mob_prefix *p = &table.pfx[table.n_pfx++];

	p->net = addr(net);
	p->mask = addr(mask);
}

/* rhashtable grows past 75% load: the smallest such power of two. */
static unsigned int table_size(unsigned int n)
{
	unsigned int size = 4;

	while (n > size / 4 * 3)
		size *= 2;
	return size;
}

static void table_init(void)
{
	unsigned int size = table_size(FILL + 4), i;
	char hoa[64], moa[64];

	table.by_hoa.bucket = calloc(size, sizeof(struct entry *));
	table.by_moa.bucket = calloc(size, sizeof(struct entry *));
	if (!table.by_hoa.bucket || !table.by_moa.bucket)
		abort();
	table.by_hoa.mask = table.by_moa.mask = size - 1;

	/* Filler first: the benchmark's bindings end up at chain heads,
	 * as recently inserted entries do in rhashtable. */
	for (i = 0; i < FILL; i++) {
		unsigned int j = i / 2;
		u8 kind = j % 2 ? MOB_KIND_REMOTE : MOB_KIND_LOCAL;
		int port = kind == MOB_KIND_LOCAL ? 100 + (int)(j % 16) : 0;

		if (i % 2) {
			snprintf(hoa, sizeof(hoa), "fd99::1:%x", j);
			snprintf(moa, sizeof(moa), "fd00:%x:1::1:%x",
				 3 + j % 4, j);
		} else {
			snprintf(hoa, sizeof(hoa), "10.99.%u.%u", 16 + j / 250,
				 1 + j % 250);
			snprintf(moa, sizeof(moa), "10.%u.%u.%u", 3 + j % 4,
				 j / 250, 1 + j % 250);
		}
		add(hoa, moa, kind, port);
	}
	add(addrs4.hoa1, addrs4.moa1, MOB_KIND_LOCAL, VM1_PORT);
	add(addrs4.hoa2, addrs4.moa2, MOB_KIND_REMOTE, 0);
	add(addrs6.hoa1, addrs6.moa1, MOB_KIND_LOCAL, VM1_PORT);
	add(addrs6.hoa2, addrs6.moa2, MOB_KIND_REMOTE, 0);
	add_prefix("10.99.0.0", "255.255.0.0");
	add_prefix("fd99::", "ffff:ffff:ffff:ffff::");
}

/* How many entries a lookup of @a compares, for the report. */
static unsigned int depth(const struct htab *t, const struct mob_addr *a,
			  bool moa)
{
	struct entry *e;
	unsigned int d = 0;

	for (e = t->bucket[bucket_of(t, a)]; e; e = *link_of(e, moa)) {
		d++;
		if (mob_addr_eq(key_of(e, moa), a))
			break;
	}
	return d;
}

/* ---- the packets -------------------------------------------------------- */

enum bench_proto { BP_TCP, BP_UDP, BP_ECHO, BP_ICMPERR, BP_TRANSIT, BP_NR };

static const char *const proto_name[BP_NR] = {
	"tcp", "udp", "echo", "icmperr", "transit",
};

static const enum pb_proto proto_pb[BP_NR] = {
	PB_TCP, PB_UDP, PB_ICMP_ECHO, PB_ICMP_ERR, PB_UDP,
};

static const char *const hook_name[] = {
	[MOB_HOOK_IN] = "in",
	[MOB_HOOK_OUT_DST] = "out-dst",
	[MOB_HOOK_OUT_SRC] = "out-src",
};

/* Listed in this order: what a VM sends, then what it receives. */
static const enum mob_hook hooks[] = {
	MOB_HOOK_OUT_DST, MOB_HOOK_OUT_SRC, MOB_HOOK_IN,
};

#define N_HOOKS		(sizeof(hooks) / sizeof(hooks[0]))
#define N_KINDS		(2 * BP_NR * N_HOOKS)

struct kind {
	char name[32];
	enum mob_hook hook;
	struct mob_meta meta;
	struct pb_spec in, want;	/* the packet before and after */
};

/*
 * Kind k: family, then protocol, then hook.  The scenario is VM1 (here)
 * talking to VM2 (elsewhere), each packet seen where it is translated:
 *   out-dst  VM1 -> HoA2 before routing: destination HoA2 -> MoA2
 *   out-src  VM1 -> MoA2 after routing:  source HoA1 -> MoA1
 *   in       MoA2 -> MoA1 from the wire: both back to HoAs
 * The ICMP errors quote a whole TCP packet: at out-dst and out-src VM1's
 * error about VM2's packet (only out-src rewrites the quote), and in, a
 * router's error about VM1's packet to VM2 (destination and quote).
 * "transit" is UDP between two other hosts, forwarded through this one:
 * no binding matches at any hook, and nothing changes.
 */
static void kind_get(unsigned int k, struct kind *kd)
{
	int family = k < N_KINDS / 2 ? AF_INET : AF_INET6;
	const struct fam_addrs *a = family == AF_INET ? &addrs4 : &addrs6;
	enum bench_proto bp = (enum bench_proto)(k / N_HOOKS % BP_NR);
	enum mob_hook hook = hooks[k % N_HOOKS];
	bool err = bp == BP_ICMPERR;
	struct pb_spec *s = &kd->in, *w = &kd->want;

	memset(kd, 0, sizeof(*kd));
	snprintf(kd->name, sizeof(kd->name), "v%c-%s-%s",
		 family == AF_INET ? '4' : '6', proto_name[bp],
		 hook_name[hook]);
	kd->hook = hook;
	kd->meta.to_host = true;
	kd->meta.in_ifindex = hook == MOB_HOOK_IN ? UPLINK : VM1_PORT;

	s->family = family;
	s->proto = proto_pb[bp];
	s->payload = PAYLOAD;
	s->inner_proto = PB_TCP;
	if (bp == BP_TRANSIT) {
		kd->meta.in_ifindex = UPLINK;
		s->src = pb_a(a->peer);
		s->dst = pb_a(a->router);
		*w = *s;
		return;
	}
	switch (hook) {
	case MOB_HOOK_OUT_DST:
		s->src = pb_a(a->hoa1);
		s->dst = pb_a(a->hoa2);
		s->inner_src = pb_a(a->hoa2);
		s->inner_dst = pb_a(a->hoa1);
		*w = *s;
		w->dst = pb_a(a->moa2);
		break;
	case MOB_HOOK_OUT_SRC:
		s->src = pb_a(a->hoa1);
		s->dst = pb_a(a->moa2);
		s->inner_src = pb_a(a->hoa2);
		s->inner_dst = pb_a(a->hoa1);
		*w = *s;
		w->src = pb_a(a->moa1);
		w->inner_src = pb_a(a->moa2);
		w->inner_dst = pb_a(a->moa1);
		break;
	case MOB_HOOK_IN:
		s->src = pb_a(err ? a->router : a->moa2);
		s->dst = pb_a(a->moa1);
		s->inner_src = pb_a(a->moa1);
		s->inner_dst = pb_a(a->moa2);
		*w = *s;
		if (!err)
			w->src = pb_a(a->hoa2);
		w->dst = pb_a(a->hoa1);
		w->inner_src = pb_a(a->hoa1);
		w->inner_dst = pb_a(a->hoa2);
		break;
	}
}

static int kind_find(const char *name, struct kind *kd)
{
	unsigned int k;

	for (k = 0; k < N_KINDS; k++) {
		kind_get(k, kd);
		if (!strcmp(kd->name, name))
			return 0;
	}
	return -1;
}

/* ---- the measured loop -------------------------------------------------- */

/* Static and aligned: no run-to-run change in what memcpy/memcmp do. */
static u8 pkt[COPY_LEN] __attribute__((aligned(64)));
static u8 work[COPY_LEN] __attribute__((aligned(64)));
static unsigned int pkt_len;
static const struct kind *cur;

/* The kernel's path for one packet whose headers are linear. */
static __attribute__((noinline)) int xlat_one(u8 *buf)
{
	struct mob_decision d;
	struct mob_pkt p;

	u8 family = (u8)cur->in.family;

	if (mob_pkt_parse_quick(&p, buf, pkt_len, pkt_len, family) !=
	    MOB_PARSE_OK)
		return -1;
	mob_decide(&table, cur->hook, buf, &p, &cur->meta, &d);
	if (d.verdict != MOB_REWRITE)
		return d.verdict;
	if (p.flags & MOB_PKT_QUICK) {
		if (mob_pkt_parse(&p, buf, pkt_len, pkt_len, family) !=
		    MOB_PARSE_OK)
			return -1;
		mob_decide_recheck(&d, &p);
		if (d.verdict != MOB_REWRITE)
			return d.verdict;
	}
	mob_rewrite(buf, &p, &d, false);
	return d.verdict;
}

/* The baseline's stand-in: the call and return, nothing else. */
static __attribute__((noinline)) int copy_only(u8 *buf)
{
	return 0;
}

/* Read each iteration so the compiler cannot specialise the loop. */
static int (*volatile per_packet)(u8 *buf);

static unsigned long run(unsigned long n)
{
	unsigned long i, sum = 0;

	for (i = 0; i < n; i++) {
		memcpy(work, pkt, COPY_LEN);
		sum += (unsigned long)per_packet(work);
	}
	return sum;
}

/* One packet, checked against one built with the addresses it should have. */
static int verify(const struct kind *kd)
{
	static u8 want[COPY_LEN];
	unsigned int wlen, i;

	int want_verdict = memcmp(&kd->in, &kd->want, sizeof(kd->in)) ?
			   MOB_REWRITE : MOB_PASS;

	memcpy(work, pkt, COPY_LEN);
	if (xlat_one(work) != want_verdict) {
		fprintf(stderr, "%s: verdict is not %d\n", kd->name,
			want_verdict);
		return -1;
	}
	wlen = pb_build(want, sizeof(want), &kd->want);
	for (i = 0; i < pkt_len; i++)
		if (wlen != pkt_len || work[i] != want[i]) {
			fprintf(stderr, "%s: byte %u is %02x, want %02x\n",
				kd->name, i, work[i], want[i]);
			return -1;
		}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: xlat_bench -l | -i | [-n N] (-b | KIND)\n");
	exit(2);
}

/* Longest chain in a table, and where the benchmark's keys sit in theirs. */
static unsigned int longest(const struct htab *t, bool moa)
{
	unsigned int i, d, max = 0;
	struct entry *e;

	for (i = 0; i <= t->mask; i++) {
		d = 0;
		for (e = t->bucket[i]; e; e = *link_of(e, moa))
			d++;
		if (d > max)
			max = d;
	}
	return max;
}

static void info(void)
{
	const struct fam_addrs *fa[2] = { &addrs4, &addrs6 };
	int f;

	printf("compiler=%s %s\n",
#ifdef __clang__
	       "clang",
#else
	       "gcc",
#endif
	       __VERSION__);
	printf("cflags=%s\n", XLAT_BENCH_CFLAGS);
	printf("table=two chained hash tables (by HoA, by MoA), jhash of the "
	       "address's words with a fixed seed, word compare; %u bindings, "
	       "%u buckets each; longest chain %u (HoA), %u (MoA)\n",
	       table.n, table.by_hoa.mask + 1, longest(&table.by_hoa, false),
	       longest(&table.by_moa, true));
	/* A hit costs one compare per entry visited: 1 is a chain head. */
	printf("compares=");
	for (f = 0; f < 2; f++) {
		struct mob_addr h1 = addr(fa[f]->hoa1), h2 = addr(fa[f]->hoa2);
		struct mob_addr m1 = addr(fa[f]->moa1), m2 = addr(fa[f]->moa2);

		printf("%sv%c HoA1 %u HoA2 %u MoA1 %u MoA2 %u", f ? ", " : "",
		       f ? '6' : '4', depth(&table.by_hoa, &h1, false),
		       depth(&table.by_hoa, &h2, false),
		       depth(&table.by_moa, &m1, true),
		       depth(&table.by_moa, &m2, true));
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	unsigned long n = 10000, sum;
	bool baseline = false;
	struct kind kd;
	unsigned int k;
	int c;

	while ((c = getopt(argc, argv, "bin:l")) != -1) {
		switch (c) {
		case 'b':
			baseline = true;
			break;
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 'l':
			for (k = 0; k < N_KINDS; k++) {
				kind_get(k, &kd);
				printf("%s\n", kd.name);
			}
			return 0;
		case 'i':
			table_init();
			info();
			return 0;
		default:
			usage();
		}
	}
	if (baseline ? optind != argc : optind != argc - 1)
		usage();

	table_init();
	/* The baseline copies an arbitrary kind: the bytes do not matter. */
	if (kind_find(baseline ? "v4-tcp-in" : argv[optind], &kd)) {
		fprintf(stderr, "xlat_bench: no kind %s (see -l)\n",
			argv[optind]);
		return 2;
	}
	cur = &kd;
	pkt_len = pb_build(pkt, sizeof(pkt), &kd.in);
	if (verify(&kd))
		return 1;

	/* Warm up outside the count: lazy PLT binding, first-touch faults. */
	per_packet = baseline ? copy_only : xlat_one;
	run(1);

	CALLGRIND_TOGGLE_COLLECT;
	sum = run(n);
	CALLGRIND_TOGGLE_COLLECT;

	if (sum != (baseline ? 0 : n * MOB_REWRITE)) {
		fprintf(stderr, "xlat_bench: a packet was not translated\n");
		return 1;
	}
	printf("%s n=%lu len=%u\n", baseline ? "baseline" : kd.name, n,
	       pkt_len);
	return 0;
}
