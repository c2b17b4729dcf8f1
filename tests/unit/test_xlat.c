// SPDX-License-Identifier: GPL-2.0
/*
 * The module's packet core (kmod/xlat_core.c), compiled unchanged, against
 * a mock binding table.  Each case builds a packet, runs it through parse
 * (with the headers made linear piece by piece, as the kernel does), decide
 * and rewrite, and compares the result byte for byte with a packet built
 * from scratch with the translated addresses: every checksum must come out
 * as a fresh computation would make it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/mob.h>

#include "xlat_core.h"
#include "pktbuild.h"
#include "suites.h"

/* The mock table: one hypervisor's view. */
struct mob_net {
	struct mob_bind_core b[12];
	int n;
	struct mob_alias_core al[6];	/* found by MoA, as in the kernel */
	int n_al;
	struct mob_addr pfx[2];
	int pfx_len[2];
	int n_pfx;
	struct mob_addr local[2];
	int n_local;
};

static struct mob_addr ma(const char *text)
{
	struct pb_addr p = pb_a(text);
	struct mob_addr a;

	memset(&a, 0, sizeof(a));
	a.family = (uint8_t)p.family;
	memcpy(p.family == AF_INET ? (void *)&a.ip : (void *)&a.ip6, p.b,
	       p.family == AF_INET ? 4 : 16);
	return a;
}

const struct mob_bind_core *mob_lookup_hoa(struct mob_net *mn,
					   const struct mob_addr *a)
{
	int i;

	for (i = 0; i < mn->n; i++)
		if (!memcmp(&mn->b[i].hoa, a, sizeof(*a)))
			return &mn->b[i];
	return NULL;
}

const struct mob_bind_core *mob_lookup_moa(struct mob_net *mn,
					   const struct mob_addr *a)
{
	int i;

	for (i = 0; i < mn->n; i++)
		if (!memcmp(&mn->b[i].moa, a, sizeof(*a)))
			return &mn->b[i];
	for (i = 0; i < mn->n_al; i++)
		if (!memcmp(&mn->al[i].c.moa, a, sizeof(*a)))
			return &mn->al[i].c;
	return NULL;
}

bool mob_in_home(struct mob_net *mn, const struct mob_addr *a)
{
	int i, bit;

	for (i = 0; i < mn->n_pfx; i++) {
		const uint8_t *x = (const uint8_t *)&a->ip;
		const uint8_t *y = (const uint8_t *)&mn->pfx[i].ip;

		if (a->family != mn->pfx[i].family)
			continue;
		for (bit = 0; bit < mn->pfx_len[i]; bit++)
			if ((x[bit / 8] ^ y[bit / 8]) & (0x80 >> (bit % 8)))
				break;
		if (bit == mn->pfx_len[i])
			return true;
	}
	return false;
}

bool mob_addr_is_local(struct mob_net *mn, const struct mob_addr *a)
{
	int i;

	for (i = 0; i < mn->n_local; i++)
		if (!memcmp(&mn->local[i], a, sizeof(*a)))
			return true;
	return false;
}

static struct mob_net hv;

static void add_binding(const char *hoa, const char *moa, uint8_t kind, int ifindex)
{
	struct mob_bind_core *b = &hv.b[hv.n++];

	b->hoa = ma(hoa);
	b->moa = ma(moa);
	b->kind = kind;
	b->ifindex = ifindex;
}

static void add_alias(const char *moa, const char *hoa, const char *target)
{
	struct mob_alias_core *al = &hv.al[hv.n_al++];

	memset(al, 0, sizeof(*al));
	al->c.moa = ma(moa);
	al->c.hoa = ma(hoa);
	al->c.kind = MOB_KIND_ALIAS;
	if (target)
		al->target = ma(target);
}

/*
 * Hypervisor A: VM1 (port 5) and VM3 run here, VM2 elsewhere; X is an
 * ordinary host; R a router; A's uplink is 10.1.0.2, gateway 10.99.0.1.
 * VM2 is about to move: its next MoA is known as an alias.  VM4 has just
 * left A for B: its old MoA here forwards to its new one.
 */
#define HOA1 "10.99.0.11"
#define MOA1 "10.1.1.11"
#define HOA2 "10.99.0.12"
#define MOA2 "10.2.1.12"
#define HOA3 "10.99.0.13"
#define MOA3 "10.1.1.13"
#define HOA6_1 "fd99::11"
#define MOA6_1 "fd00:1:1::11"
#define HOA6_2 "fd99::12"
#define MOA6_2 "fd00:2:1::12"
#define EXT "192.0.2.50"
#define EXT6 "2001:db8::50"
#define ROUTER "192.0.2.1"
#define ROUTER6 "2001:db8::1"
#define UPLINK "10.1.0.2"
#define UPLINK6 "fd00:1::2"
#define NEXT2 "10.3.1.12"		/* alias of HOA2, no target */
#define NEXT6_2 "fd00:3:1::12"
#define HOA4 "10.99.0.14"
#define OLD4 "10.1.1.14"		/* alias of HOA4, target NEW4 */
#define NEW4 "10.2.1.14"
#define HOA6_4 "fd99::14"
#define OLD6_4 "fd00:1:1::14"
#define NEW6_4 "fd00:2:1::14"

static void setup(void)
{
	memset(&hv, 0, sizeof(hv));
	add_binding(HOA1, MOA1, MOB_KIND_LOCAL, 5);
	add_binding(HOA2, MOA2, MOB_KIND_REMOTE, 0);
	add_binding(HOA3, MOA3, MOB_KIND_LOCAL, 0);
	add_binding(HOA6_1, MOA6_1, MOB_KIND_LOCAL, 5);
	add_binding(HOA6_2, MOA6_2, MOB_KIND_REMOTE, 0);
	add_binding("10.99.0.15", "10.1.1.15", MOB_KIND_LOCAL, MOB_PORT_GONE);
	add_binding(HOA4, NEW4, MOB_KIND_REMOTE, 0);
	add_binding(HOA6_4, NEW6_4, MOB_KIND_REMOTE, 0);
	add_alias(NEXT2, HOA2, NULL);
	add_alias(NEXT6_2, HOA6_2, NULL);
	add_alias(OLD4, HOA4, NEW4);
	add_alias(OLD6_4, HOA6_4, NEW6_4);
	hv.pfx[0] = ma("10.99.0.0");
	hv.pfx_len[0] = 24;
	hv.pfx[1] = ma("fd99::");
	hv.pfx_len[1] = 64;
	hv.n_pfx = 2;
	hv.local[0] = ma("10.99.0.1");
	hv.n_local = 1;
}

struct xcase {
	const char *name;
	enum mob_hook hook;
	int in_ifindex;
	bool not_to_host;
	/* The packet. */
	int family;
	enum pb_proto proto;
	const char *s_in, *d_in;
	enum pb_proto inner_proto;
	const char *is_in, *id_in;
	unsigned int inner_keep;
	enum pb_frag frag;
	bool ip_options, hopopts;
	unsigned int payload;
	bool mutate_routing;	/* turn the IPv6 hop-by-hop into routing */
	bool mutate_ah;		/* IPv4: call the payload AH */
	unsigned int truncate_to;	/* cut the packet, fixing the IP length */
	/* Expected: the verdict, and for a rewrite the addresses after it. */
	enum mob_verdict verdict;
	enum mob_drop_reason reason;
	uint8_t event;
	const char *src, *dst, *in_src, *in_dst;
	bool fwd;		/* forwarded to an alias's target */
};

#define P4(p, s, d) .family = AF_INET, .proto = (p), .s_in = (s), .d_in = (d)
#define P6(p, s, d) .family = AF_INET6, .proto = (p), .s_in = (s), .d_in = (d)
#define INNER(p, s, d) .inner_proto = (p), .is_in = (s), .id_in = (d)
#define TO(s, d) .verdict = MOB_REWRITE, .src = (s), .dst = (d)
#define TO_IN(s, d, is, id) TO(s, d), .in_src = (is), .in_dst = (id)
#define FWD(d) TO(NULL, d), .fwd = true
#define DROP(r, e) .verdict = MOB_DROP, .reason = (r), .event = (e)
#define PASS .verdict = MOB_PASS
#define OUT_DST .hook = MOB_HOOK_OUT_DST, .in_ifindex = 5
#define OUT_SRC_VIA(i) .hook = MOB_HOOK_OUT_SRC, .in_ifindex = (i)
#define OUT_SRC OUT_SRC_VIA(5)
#define IN .hook = MOB_HOOK_IN, .in_ifindex = 1

static const struct xcase cases[] = {
	/* VM1 -> VM2 leaving A, then VM2 -> VM1 arriving. */
	{ "out_dst v4 tcp to remote", OUT_DST, P4(PB_TCP, HOA1, HOA2),
	  TO(NULL, MOA2) },
	{ "out_src v4 tcp to remote", OUT_SRC, P4(PB_TCP, HOA1, MOA2),
	  TO(MOA1, NULL) },
	{ "in v4 tcp from remote", IN, P4(PB_TCP, MOA2, MOA1),
	  TO(HOA2, HOA1) },
	{ "in v4 udp from remote", IN, P4(PB_UDP, MOA2, MOA1),
	  TO(HOA2, HOA1) },
	{ "out_src v4 udp zero csum stays zero", OUT_SRC,
	  P4(PB_UDP_ZERO, HOA1, MOA2), TO(MOA1, NULL) },
	{ "in v4 icmp echo", IN, P4(PB_ICMP_ECHO, MOA2, MOA1),
	  TO(HOA2, HOA1) },
	{ "out_src v4 sctp: addresses only", OUT_SRC, P4(PB_SCTP, HOA1, EXT),
	  TO(MOA1, NULL) },
	{ "out_src v4 ip options", OUT_SRC, P4(PB_TCP, HOA1, EXT),
	  .ip_options = true, TO(MOA1, NULL) },
	/* Ordinary hosts reach a VM through its MoA, and back. */
	{ "in v4 from external host", IN, P4(PB_TCP, EXT, MOA1),
	  TO(NULL, HOA1) },
	{ "out_dst v4 to external: untouched", OUT_DST, P4(PB_TCP, HOA1, EXT),
	  PASS },
	{ "out_src v4 to external", OUT_SRC, P4(PB_TCP, HOA1, EXT),
	  TO(MOA1, NULL) },
	{ "in v4 to a remote MoA: not ours", IN, P4(PB_TCP, EXT, MOA2), PASS },
	/* Two VMs of this host talk untranslated. */
	{ "out_dst v4 local to local", OUT_DST, P4(PB_TCP, HOA1, HOA3), PASS },
	{ "out_src v4 local to local", OUT_SRC, P4(PB_TCP, HOA1, HOA3), PASS },
	/* Home addresses never leave untranslated. */
	{ "out_dst v4 unknown home address", OUT_DST,
	  P4(PB_TCP, HOA1, "10.99.0.77"),
	  DROP(MOB_DROP_UNKNOWN_HOA, MOB_EVENT_UNKNOWN_DST) },
	{ "out_dst v4 to the local gateway address", OUT_DST,
	  P4(PB_ICMP_ECHO, HOA1, "10.99.0.1"), PASS },
	{ "out_dst v4 L2 broadcast ignored", OUT_DST, .not_to_host = true,
	  P4(PB_UDP, HOA1, "10.99.0.77"), PASS },
	{ "out_src v4 unbound source leaks", OUT_SRC,
	  P4(PB_TCP, "10.99.0.77", EXT),
	  DROP(MOB_DROP_LEAK, MOB_EVENT_UNKNOWN_SRC) },
	{ "out_src v4 bound source on the wrong port", OUT_SRC_VIA(9),
	  P4(PB_TCP, HOA1, EXT), DROP(MOB_DROP_LEAK, 0) },
	{ "out_src v4 forwarded to an unbound home dst", OUT_SRC_VIA(1),
	  P4(PB_TCP, EXT, "10.99.0.77"),
	  DROP(MOB_DROP_LEAK, 0) },
	{ "out_src v4 multicast ignored", OUT_SRC,
	  P4(PB_UDP, HOA1, "224.0.0.251"), PASS },
	/* ICMP errors: the quoted packet is translated too. */
	{ "in v4 frag-needed from a router", IN,
	  P4(PB_ICMP_ERR, ROUTER, MOA1), INNER(PB_UDP, MOA1, MOA2),
	  TO_IN(NULL, HOA1, HOA1, HOA2) },
	{ "in v4 error quoting tcp, 28 bytes", IN,
	  P4(PB_ICMP_ERR, ROUTER, MOA1), INNER(PB_TCP, MOA1, MOA2),
	  .inner_keep = 28, TO_IN(NULL, HOA1, HOA1, HOA2) },
	{ "in v4 error quoting whole tcp", IN, P4(PB_ICMP_ERR, MOA2, MOA1),
	  INNER(PB_TCP, MOA1, MOA2), TO_IN(HOA2, HOA1, HOA1, HOA2) },
	{ "in v4 error quoting udp zero csum", IN,
	  P4(PB_ICMP_ERR, ROUTER, MOA1), INNER(PB_UDP_ZERO, MOA1, EXT),
	  TO_IN(NULL, HOA1, HOA1, NULL) },
	{ "in v4 error with inner cut in its header", IN,
	  P4(PB_ICMP_ERR, ROUTER, MOA1), INNER(PB_UDP, MOA1, MOA2),
	  .inner_keep = 16, DROP(MOB_DROP_MALFORMED, 0) },
	{ "out_src v4 error from a VM", OUT_SRC, P4(PB_ICMP_ERR, HOA1, MOA2),
	  INNER(PB_UDP, HOA2, HOA1), TO_IN(MOA1, NULL, MOA2, MOA1) },
	{ "out_src v4 this host's error to a VM", OUT_SRC_VIA(0),
	  P4(PB_ICMP_ERR, UPLINK, HOA1), INNER(PB_TCP, HOA1, MOA2),
	  TO_IN(NULL, NULL, NULL, HOA2) },
	{ "out_src v4 this host's error to a remote VM", OUT_SRC_VIA(0),
	  P4(PB_ICMP_ERR, UPLINK, HOA2),
	  INNER(PB_UDP, HOA2, HOA1), TO_IN(NULL, MOA2, MOA2, MOA1) },
	{ "out_src v4 this host's error to an ordinary host about a VM", OUT_SRC_VIA(0),
	  P4(PB_ICMP_ERR, UPLINK, EXT), INNER(PB_TCP, EXT, HOA1),
	  TO_IN(NULL, NULL, NULL, MOA1) },
	{ "out_src v4 error quoting an unbound home address leaks", OUT_SRC_VIA(0),
	  P4(PB_ICMP_ERR, UPLINK, EXT), INNER(PB_TCP, EXT, "10.99.0.77"),
	  DROP(MOB_DROP_LEAK, 0) },
	{ "out_src v4 from a VM whose port is gone", OUT_SRC_VIA(5),
	  P4(PB_TCP, "10.99.0.15", EXT), DROP(MOB_DROP_LEAK, 0) },
	/* Fragments: addresses on each, the L4 checksum on the first. */
	{ "in v4 first fragment", IN, P4(PB_TCP, MOA2, MOA1),
	  .frag = PB_FIRST_FRAG, .payload = 600, TO(HOA2, HOA1) },
	{ "in v4 later fragment", IN, P4(PB_UDP, MOA2, MOA1),
	  .frag = PB_LATER_FRAG, .payload = 600, TO(HOA2, HOA1) },
	{ "out_src v4 udp first fragment", OUT_SRC, P4(PB_UDP, HOA1, MOA2),
	  .frag = PB_FIRST_FRAG, .payload = 600, TO(MOA1, NULL) },
	/* Malformed: dropped when ours, left alone when not. */
	{ "in v4 truncated tcp header", IN, P4(PB_TCP, MOA2, MOA1),
	  .truncate_to = 30, DROP(MOB_DROP_MALFORMED, 0) },
	{ "in v4 truncated tcp, not ours", IN, P4(PB_TCP, EXT, "10.7.7.7"),
	  .truncate_to = 30, PASS },
	{ "in v4 AH is refused", IN, P4(PB_SCTP, MOA2, MOA1), .mutate_ah = true,
	  DROP(MOB_DROP_UNSUPPORTED, 0) },

	/* IPv6 */
	{ "out_dst v6 tcp to remote", OUT_DST, P6(PB_TCP, HOA6_1, HOA6_2),
	  TO(NULL, MOA6_2) },
	{ "out_src v6 udp", OUT_SRC, P6(PB_UDP, HOA6_1, MOA6_2),
	  TO(MOA6_1, NULL) },
	{ "in v6 icmpv6 echo (pseudo-header)", IN,
	  P6(PB_ICMP_ECHO, MOA6_2, MOA6_1), TO(HOA6_2, HOA6_1) },
	{ "in v6 hop-by-hop then tcp", IN, P6(PB_TCP, MOA6_2, MOA6_1),
	  .hopopts = true, TO(HOA6_2, HOA6_1) },
	{ "in v6 first fragment", IN, P6(PB_UDP, EXT6, MOA6_1),
	  .frag = PB_FIRST_FRAG, .payload = 900, .hopopts = true,
	  TO(NULL, HOA6_1) },
	{ "in v6 later fragment", IN, P6(PB_TCP, MOA6_2, MOA6_1),
	  .frag = PB_LATER_FRAG, .payload = 900, TO(HOA6_2, HOA6_1) },
	{ "in v6 packet-too-big from a router", IN,
	  P6(PB_ICMP_ERR, ROUTER6, MOA6_1), INNER(PB_TCP, MOA6_1, MOA6_2),
	  TO_IN(NULL, HOA6_1, HOA6_1, HOA6_2) },
	{ "in v6 error with inner cut short", IN,
	  P6(PB_ICMP_ERR, ROUTER6, MOA6_1), INNER(PB_TCP, MOA6_1, MOA6_2),
	  .inner_keep = 30, DROP(MOB_DROP_MALFORMED, 0) },
	{ "out_src v6 error from a VM", OUT_SRC, P6(PB_ICMP_ERR, HOA6_1, EXT6),
	  INNER(PB_UDP, EXT6, HOA6_1), TO_IN(MOA6_1, NULL, NULL, MOA6_1) },
	{ "out_dst v6 unknown home address", OUT_DST,
	  P6(PB_TCP, HOA6_1, "fd99::77"),
	  DROP(MOB_DROP_UNKNOWN_HOA, MOB_EVENT_UNKNOWN_DST) },
	{ "out_src v6 link-local ignored", OUT_SRC,
	  P6(PB_ICMP_ECHO, "fe80::1", "fd99::77"), PASS },
	{ "in v6 routing header in use", IN, P6(PB_TCP, MOA6_2, MOA6_1),
	  .hopopts = true, .mutate_routing = true,
	  DROP(MOB_DROP_UNSUPPORTED, 0) },
	{ "in v6 truncated udp header", IN, P6(PB_UDP, MOA6_2, MOA6_1),
	  .truncate_to = 44, DROP(MOB_DROP_MALFORMED, 0) },

	/* Aliases.  The old MoA of a VM that left forwards to its new one:
	 * the destination alone changes, checksums follow. */
	{ "in v4 tcp to a forwarding alias", IN, P4(PB_TCP, EXT, OLD4),
	  FWD(NEW4) },
	{ "in v4 udp to a forwarding alias", IN, P4(PB_UDP, MOA2, OLD4),
	  FWD(NEW4) },
	{ "in v4 udp zero csum forwarded", IN, P4(PB_UDP_ZERO, EXT, OLD4),
	  FWD(NEW4) },
	{ "in v4 icmp echo forwarded", IN, P4(PB_ICMP_ECHO, EXT, OLD4),
	  FWD(NEW4) },
	{ "in v4 first fragment forwarded", IN, P4(PB_TCP, EXT, OLD4),
	  .frag = PB_FIRST_FRAG, .payload = 600, FWD(NEW4) },
	{ "in v4 later fragment forwarded", IN, P4(PB_UDP, EXT, OLD4),
	  .frag = PB_LATER_FRAG, .payload = 600, FWD(NEW4) },
	{ "in v6 tcp to a forwarding alias", IN, P6(PB_TCP, EXT6, OLD6_4),
	  FWD(NEW6_4) },
	{ "in v6 udp to a forwarding alias", IN, P6(PB_UDP, MOA6_2, OLD6_4),
	  FWD(NEW6_4) },
	{ "in v6 icmpv6 echo forwarded (pseudo-header)", IN,
	  P6(PB_ICMP_ECHO, EXT6, OLD6_4), FWD(NEW6_4) },
	{ "in v6 hop-by-hop then tcp forwarded", IN, P6(PB_TCP, EXT6, OLD6_4),
	  .hopopts = true, FWD(NEW6_4) },
	/* A forwarded ICMP error keeps its quote, even of bound addresses. */
	{ "in v4 error forwarded with its quote", IN,
	  P4(PB_ICMP_ERR, ROUTER, OLD4), INNER(PB_TCP, OLD4, MOA2),
	  FWD(NEW4) },
	{ "in v6 error forwarded with its quote", IN,
	  P6(PB_ICMP_ERR, ROUTER6, OLD6_4), INNER(PB_UDP, OLD6_4, MOA6_2),
	  FWD(NEW6_4) },
	{ "in v4 truncated tcp to a forwarding alias", IN,
	  P4(PB_TCP, EXT, OLD4), .truncate_to = 30,
	  DROP(MOB_DROP_MALFORMED, 0) },
	{ "in v6 routing header to a forwarding alias", IN,
	  P6(PB_TCP, EXT6, OLD6_4), .hopopts = true, .mutate_routing = true,
	  DROP(MOB_DROP_UNSUPPORTED, 0) },
	/* Any alias as a source stands for its HoA, toward a local VM. */
	{ "in v4 tcp from a next MoA", IN, P4(PB_TCP, NEXT2, MOA1),
	  TO(HOA2, HOA1) },
	{ "in v4 udp from a forwarding alias", IN, P4(PB_UDP, OLD4, MOA1),
	  TO(HOA4, HOA1) },
	{ "in v6 tcp from a next MoA", IN, P6(PB_TCP, NEXT6_2, MOA6_1),
	  TO(HOA6_2, HOA6_1) },
	{ "in v6 icmpv6 echo from a next MoA", IN,
	  P6(PB_ICMP_ECHO, NEXT6_2, MOA6_1), TO(HOA6_2, HOA6_1) },
	{ "in v4 from a next MoA, not to a local VM", IN,
	  P4(PB_TCP, NEXT2, EXT), PASS },
	{ "in v4 from a next MoA to a remote MoA", IN,
	  P4(PB_TCP, NEXT2, MOA2), PASS },
	/* Without a target an alias is no destination. */
	{ "in v4 to an alias without target: untouched", IN,
	  P4(PB_TCP, EXT, NEXT2), PASS },
	{ "in v6 to an alias without target: untouched", IN,
	  P6(PB_UDP, EXT6, NEXT6_2), PASS },
	/* Quoted aliases map to HoAs like quoted MoAs. */
	{ "in v4 error quoting a packet to a next MoA", IN,
	  P4(PB_ICMP_ERR, ROUTER, MOA1), INNER(PB_UDP, MOA1, NEXT2),
	  TO_IN(NULL, HOA1, HOA1, HOA2) },
	{ "in v4 error from a next MoA quoting it", IN,
	  P4(PB_ICMP_ERR, NEXT2, MOA1), INNER(PB_TCP, MOA1, NEXT2),
	  TO_IN(HOA2, HOA1, HOA1, HOA2) },
	{ "in v6 error quoting a packet to a next MoA", IN,
	  P6(PB_ICMP_ERR, ROUTER6, MOA6_1), INNER(PB_TCP, MOA6_1, NEXT6_2),
	  TO_IN(NULL, HOA6_1, HOA6_1, HOA6_2) },
	/* The other hooks do not look at aliases. */
	{ "out_dst v4 to a forwarding alias: untouched", OUT_DST,
	  P4(PB_TCP, HOA1, OLD4), PASS },
	{ "out_src v4 to a forwarding alias: source only", OUT_SRC,
	  P4(PB_TCP, HOA1, OLD4), TO(MOA1, NULL) },
};

static struct pb_spec spec_of(const struct xcase *c)
{
	struct pb_spec s;

	memset(&s, 0, sizeof(s));
	s.family = c->family;
	s.proto = c->proto;
	s.src = pb_a(c->s_in);
	s.dst = pb_a(c->d_in);
	s.frag = c->frag;
	s.ip_options = c->ip_options;
	s.hopopts = c->hopopts;
	s.payload = c->payload ? c->payload : 40;
	s.inner_proto = c->inner_proto;
	if (c->is_in)
		s.inner_src = pb_a(c->is_in);
	if (c->id_in)
		s.inner_dst = pb_a(c->id_in);
	s.inner_keep = c->inner_keep;
	return s;
}

static unsigned int build_case(uint8_t *buf, const struct xcase *c,
			       const struct pb_spec *s)
{
	unsigned int len = pb_build(buf, 2000, s);

	if (c->mutate_routing)
		buf[6] = 43;	/* hop-by-hop -> routing, segments left 4 */
	if (c->mutate_ah) {
		uint16_t sum;

		buf[9] = 51;
		buf[10] = buf[11] = 0;
		sum = pb_csum(buf, 20, 0);
		buf[10] = (uint8_t)(sum >> 8), buf[11] = (uint8_t)sum;
	}
	if (c->truncate_to) {
		len = (unsigned int)c->truncate_to;
		if (s->family == AF_INET) {
			uint16_t sum;

			buf[2] = 0, buf[3] = (uint8_t)len;
			buf[10] = buf[11] = 0;
			sum = pb_csum(buf, 20, 0);
			buf[10] = (uint8_t)(sum >> 8), buf[11] = (uint8_t)sum;
		} else {
			buf[4] = 0, buf[5] = (uint8_t)(len - 40);
		}
	}
	return len;
}

/* Parses the way the kernel glue does: more linear bytes on each NEED. */
static enum mob_parse_result parse_stepwise(struct mob_pkt *p,
					    const uint8_t *buf,
					    unsigned int len, uint8_t family,
					    bool quick)
{
	unsigned int avail = len < 20 ? len : 20;
	enum mob_parse_result r;
	int rounds = 0;

	while ((r = quick ? mob_pkt_parse_quick(p, buf, avail, len, family) :
			    mob_pkt_parse(p, buf, avail, len, family)) ==
	       MOB_PARSE_NEED) {
		ck_assert_uint_gt(p->need, avail);
		ck_assert_uint_le(p->need, len);
		avail = p->need;
		ck_assert_int_le(++rounds, MOB_MAX_PULLS);
	}
	return r;
}

/*
 * What kmod/xlat.c does: decide from the quick parse, and parse fully
 * only to rewrite.  Returns false if the packet is left alone unparsed.
 */
static bool kernel_path(struct mob_pkt *p, struct mob_decision *d,
			enum mob_hook hook, const struct mob_meta *meta,
			const uint8_t *buf, unsigned int len, uint8_t family)
{
	if (parse_stepwise(p, buf, len, family, true) != MOB_PARSE_OK)
		return false;
	mob_decide(&hv, hook, buf, p, meta, d);
	if (d->verdict == MOB_REWRITE && p->flags & MOB_PKT_QUICK) {
		ck_assert_int_eq(parse_stepwise(p, buf, len, family, false),
				 MOB_PARSE_OK);
		mob_decide_recheck(d, p);
	}
	return true;
}

START_TEST(test_case)
{
	const struct xcase c = cases[_i];
	struct pb_spec in = spec_of(&c);
	uint8_t buf[2048], want[2048], orig[2048], kbuf[2048];
	struct mob_decision d, kd;
	struct mob_meta meta = { .in_ifindex = c.in_ifindex,
				 .to_host = !c.not_to_host };
	struct pb_spec exp;
	struct mob_pkt p, kp;
	unsigned int len, wlen, i;

	setup();
	len = build_case(buf, &c, &in);
	memcpy(orig, buf, len);
	memcpy(kbuf, buf, len);

	ck_assert_int_eq(parse_stepwise(&p, buf, len, (uint8_t)c.family, false),
			 MOB_PARSE_OK);
	mob_decide(&hv, c.hook, buf, &p, &meta, &d);
	ck_assert_msg(d.verdict == c.verdict, "%s: verdict %d, want %d",
		      c.name, d.verdict, c.verdict);
	/* (A forward refused as malformed is just a drop.) */
	ck_assert_msg(c.verdict == MOB_DROP || d.fwd == c.fwd,
		      "%s: fwd %d, want %d", c.name, d.fwd, c.fwd);
	if (c.verdict == MOB_DROP) {
		ck_assert_msg(d.reason == c.reason, "%s: reason %d, want %d",
			      c.name, d.reason, c.reason);
		ck_assert_msg(d.event == c.event, "%s: event %d, want %d",
			      c.name, d.event, c.event);
	}

	/* The kernel's order (quick parse, decide, full parse to
	 * rewrite) must come to the same decision and the same bytes. */
	ck_assert(kernel_path(&kp, &kd, c.hook, &meta, kbuf, len,
			      (uint8_t)c.family));
	ck_assert_msg(kd.verdict == d.verdict && kd.reason == d.reason &&
		      kd.event == d.event && kd.fwd == d.fwd,
		      "%s: quick path verdict %d/%d/%d, full %d/%d/%d", c.name,
		      kd.verdict, kd.reason, kd.event, d.verdict, d.reason,
		      d.event);
	if (c.verdict != MOB_REWRITE)
		return;
	ck_assert(!(kp.flags & MOB_PKT_QUICK));
	ck_assert_uint_eq(kp.write_len, p.write_len);
	mob_rewrite(kbuf, &kp, &kd, false);

	mob_rewrite(buf, &p, &d, false);
	/* Nothing past the extent the glue made writable may change. */
	for (i = p.write_len; i < len; i++)
		ck_assert_msg(buf[i] == orig[i], "%s: byte %u beyond %u changed",
			      c.name, i, p.write_len);

	exp = in;
	if (c.src)
		exp.src = pb_a(c.src);
	if (c.dst)
		exp.dst = pb_a(c.dst);
	if (c.in_src)
		exp.inner_src = pb_a(c.in_src);
	if (c.in_dst)
		exp.inner_dst = pb_a(c.in_dst);
	wlen = build_case(want, &c, &exp);
	ck_assert_uint_eq(wlen, len);
	for (i = 0; i < len; i++)
		ck_assert_msg(buf[i] == want[i] && kbuf[i] == want[i],
			      "%s: byte %u is %02x (quick path %02x), want %02x",
			      c.name, i, buf[i], kbuf[i], want[i]);
}
END_TEST

/*
 * With checksum offload pending the L4 field holds the folded
 * pseudo-header sum (not complemented); it must follow the addresses.
 */
static uint16_t partial_field(const struct pb_spec *s, unsigned int l4len)
{
	uint8_t ph[40];
	unsigned int alen = s->family == AF_INET ? 4 : 16;

	memset(ph, 0, sizeof(ph));
	memcpy(ph, s->src.b, alen);
	memcpy(ph + alen, s->dst.b, alen);
	ph[2 * alen + 1] = 6;	/* proto, then length, both as 16-bit words */
	ph[2 * alen + 2] = (uint8_t)(l4len >> 8);
	ph[2 * alen + 3] = (uint8_t)l4len;
	return (uint16_t)~pb_csum(ph, 2 * alen + 4, 0);
}

START_TEST(test_partial)
{
	int family = _i ? AF_INET6 : AF_INET;
	struct pb_spec s = { .family = family, .proto = PB_TCP, .payload = 100 };
	struct mob_meta meta = { .in_ifindex = 5, .to_host = true };
	unsigned int len, l3 = family == AF_INET ? 20 : 40;
	struct mob_decision d;
	struct mob_pkt p;
	uint8_t buf[512];
	uint16_t f;

	setup();
	s.src = pb_a(family == AF_INET ? HOA1 : HOA6_1);
	s.dst = pb_a(family == AF_INET ? EXT : EXT6);
	len = pb_build(buf, sizeof(buf), &s);
	f = partial_field(&s, len - l3);
	buf[l3 + 16] = (uint8_t)(f >> 8), buf[l3 + 17] = (uint8_t)f;

	ck_assert(kernel_path(&p, &d, MOB_HOOK_OUT_SRC, &meta, buf, len,
			      (uint8_t)family));
	ck_assert_int_eq(d.verdict, MOB_REWRITE);
	mob_rewrite(buf, &p, &d, true);

	s.src = pb_a(family == AF_INET ? MOA1 : MOA6_1);
	f = partial_field(&s, len - l3);
	ck_assert_uint_eq((unsigned int)(buf[l3 + 16] << 8 | buf[l3 + 17]), f);
}
END_TEST

/* Truncated at every length, a packet parses without reading past it. */
START_TEST(test_every_truncation)
{
	static const enum pb_proto protos[] = { PB_TCP, PB_UDP, PB_ICMP_ERR };
	struct mob_meta meta = { .in_ifindex = 1, .to_host = true };
	int family = _i % 2 ? AF_INET6 : AF_INET;
	struct pb_spec s = { .family = family, .proto = protos[_i / 2],
			     .payload = 16, .inner_proto = PB_TCP };
	uint8_t buf[512], *copy;
	unsigned int len, cut;
	struct mob_decision d, kd;
	struct mob_pkt p, kp;

	setup();
	s.src = pb_a(family == AF_INET ? ROUTER : ROUTER6);
	s.dst = pb_a(family == AF_INET ? MOA1 : MOA6_1);
	s.inner_src = s.dst;
	s.inner_dst = pb_a(family == AF_INET ? MOA2 : MOA6_2);
	len = pb_build(buf, sizeof(buf), &s);
	for (cut = 0; cut <= len; cut++) {
		/* An exact-size heap copy lets ASan/valgrind catch overreads. */
		copy = malloc(cut ? cut : 1);
		memcpy(copy, buf, cut);
		if (parse_stepwise(&p, copy, cut, (uint8_t)family, false) ==
		    MOB_PARSE_OK) {
			ck_assert_uint_le(p.write_len, cut);
			mob_decide(&hv, MOB_HOOK_IN, copy, &p, &meta, &d);
			/* The quick path agrees, cut wherever. */
			ck_assert(kernel_path(&kp, &kd, MOB_HOOK_IN, &meta,
					      copy, cut, (uint8_t)family));
			ck_assert_int_eq(kd.verdict, d.verdict);
			ck_assert_int_eq(kd.reason, d.reason);
			if (d.verdict == MOB_REWRITE)
				mob_rewrite(copy, &p, &d, false);
		} else {
			ck_assert(!kernel_path(&kp, &kd, MOB_HOOK_IN, &meta,
					       copy, cut, (uint8_t)family));
		}
		free(copy);
	}
}
END_TEST

START_TEST(test_usable_addresses)
{
	static const struct { const char *a; bool ok; } t[] = {
		{ "10.1.2.3", true }, { "0.0.0.0", false },
		{ "127.0.0.1", false }, { "224.0.0.1", false },
		{ "255.255.255.255", false }, { "169.254.1.1", false },
		{ "2001:db8::1", true }, { "::", false }, { "::1", false },
		{ "::2", true }, { "fe80::1", false }, { "ff02::1", false },
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct mob_addr a = ma(t[i].a);

		ck_assert_msg(mob_addr_usable(&a) == t[i].ok, "%s", t[i].a);
	}
}
END_TEST

Suite *xlat_suite(void)
{
	Suite *s = suite_create("xlat_core");
	TCase *tc = tcase_create("translate");

	tcase_add_loop_test(tc, test_case, 0,
			    sizeof(cases) / sizeof(cases[0]));
	tcase_add_loop_test(tc, test_partial, 0, 2);
	tcase_add_loop_test(tc, test_every_truncation, 0, 6);
	tcase_add_test(tc, test_usable_addresses);
	suite_add_tcase(s, tc);
	return s;
}
