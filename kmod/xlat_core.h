/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet-rewriting core: parsing, the translation decision and the
 * rewrite with its checksum fix-ups.  It touches no skb and calls nothing
 * kernel-only, so the same file builds into the host unit tests, fuzzers
 * and instruction-count benchmarks.  The glue in xlat.c makes the bytes
 * linear and writable, and provides the table lookups declared below.
 */
#ifndef _MOB_XLAT_CORE_H
#define _MOB_XLAT_CORE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/socket.h>
#include <linux/in6.h>
#else
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef uint16_t __be16;
typedef uint32_t __be32;
#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif
#endif
#include <linux/mob.h>

/* Forced inline in the kernel's packet path (see MOB_CORE_HOT below). */
#ifdef __KERNEL__
#define MOB_INLINE	__always_inline
#else
#define MOB_INLINE	inline
#endif

/* An address the way the tables key it: family, then the bytes, zero padded. */
struct mob_addr {
	u8 family;		/* AF_INET or AF_INET6 */
	u8 pad[3];
	union {
		__be32 ip;
		struct in6_addr ip6;
	};
};

/* The part of a binding the packet path needs. */
struct mob_bind_core {
	struct mob_addr hoa;
	struct mob_addr moa;
	u8 kind;		/* enum mob_kind, or MOB_KIND_ALIAS */
	int ifindex;		/* VM port of a local binding, 0 if any */
};

/*
 * An alias (MOB_CMD_ALIAS_*) is found by MoA like a binding, in the same
 * table, so that a packet that concerns no alias pays no extra lookup.
 * Its core says MOB_KIND_ALIAS, a kind no message carries; c.moa is the
 * alias, c.hoa the HoA it stands for, and the target follows.
 */
#define MOB_KIND_ALIAS	(MOB_KIND_MAX + 1)

struct mob_alias_core {
	struct mob_bind_core c;
	struct mob_addr target;	/* forward packets to c.moa here; family 0: none */
};

static inline const struct mob_alias_core *
mob_alias_core_of(const struct mob_bind_core *c)
{
	return (const struct mob_alias_core *)c;	/* c comes first */
}

/* ifindex of a local binding whose port was deleted: matches nothing. */
#define MOB_PORT_GONE	(-1)

#ifndef __KERNEL__
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#endif

/* Where the packet is met. */
enum mob_hook {
	MOB_HOOK_IN,		/* prerouting, before conntrack: MoA -> HoA */
	MOB_HOOK_OUT_DST,	/* prerouting, after conntrack: remote HoA -> MoA */
	MOB_HOOK_OUT_SRC,	/* postrouting: local HoA -> MoA */
};

/* Address fields a translation may rewrite. */
enum mob_field {
	MOB_F_SRC,
	MOB_F_DST,
	MOB_F_IN_SRC,		/* inside an ICMP error */
	MOB_F_IN_DST,
	MOB_F_NR
};

/* How a checksum field relates to the addresses. */
enum mob_csum_kind {
	MOB_CSUM_NONE,		/* no checksum we need to fix */
	MOB_CSUM_PSEUDO,	/* covers a pseudo-header: TCP, DCCP, ICMPv6... */
	MOB_CSUM_UDP,		/* like PSEUDO, but zero means "no checksum" */
	MOB_CSUM_DATA,		/* covers its own bytes only: ICMPv4 */
};

#define MOB_PKT_L4		0x02	/* L4 header present with its checksum */
#define MOB_PKT_ICMP_ERR	0x04	/* ICMP error, inner header parsed */
#define MOB_PKT_IN_L4		0x08	/* inner L4 checksum field present */
#define MOB_PKT_MALFORMED	0x10	/* truncated or inconsistent */
#define MOB_PKT_UNSUPPORTED	0x20	/* cannot be translated correctly */
#define MOB_PKT_ND		0x40	/* IPv6 NS or NA, target present */
#define MOB_PKT_QUICK		0x80	/* IP header only: mob_pkt_parse_quick() */

/* Offsets from the network header; all even, which the checksum code needs. */
struct mob_pkt {
	u8 family;
	u8 flags;
	u8 l4proto;
	u8 icmp_type;		/* valid if l4proto is ICMP/ICMPv6 and L4 */
	u8 l4csum_kind;
	u8 in_l4csum_kind;
	u8 hop_limit;		/* IPv6 hop limit, for neighbour discovery */
	u16 saddr_off, daddr_off;
	u16 l3csum_off;		/* IPv4 header checksum, 0 for IPv6 */
	u16 l3_len;		/* outer header length incl. IPv6 extensions */
	u16 l4_off;
	u16 l4csum_off;
	u16 in_off;		/* inner IP header */
	u16 in_saddr_off, in_daddr_off;
	u16 in_l3csum_off;
	u16 in_l3_len;
	u16 in_l4_off;
	u16 in_l4csum_off;
	u32 len;		/* packet length from the network header */
	u32 need;		/* bytes that must be linear for the next parse */
	u32 write_len;		/* bytes a rewrite may touch */
};

/*
 * mob_pkt_parse() asks for more linear bytes one header at a time; with at
 * most 8 extension headers walked outside and 8 inside an ICMP error, it
 * never asks more than this many times for one packet.
 */
#define MOB_MAX_PULLS	32

enum mob_parse_result {
	MOB_PARSE_OK,
	MOB_PARSE_NEED,		/* make p->need bytes linear and parse again */
	MOB_PARSE_BAD_L3,	/* not a usable IP header: leave the packet alone */
};


enum mob_verdict {
	MOB_PASS,
	MOB_REWRITE,
	MOB_DROP,
};

enum mob_drop_reason {
	MOB_DROP_NONE,
	MOB_DROP_UNKNOWN_HOA,
	MOB_DROP_LEAK,
	MOB_DROP_MALFORMED,
	MOB_DROP_UNSUPPORTED,
	MOB_DROP_NOMEM,
	MOB_DROP_NR
};

/* What the packet path knows besides the bytes. */
struct mob_meta {
	int in_ifindex;		/* input interface, 0 if locally generated */
	bool to_host;		/* unicast to this host at L2 (PACKET_HOST) */
};

struct mob_decision {
	u8 verdict;		/* enum mob_verdict */
	u8 reason;		/* enum mob_drop_reason */
	u8 event;		/* enum mob_event_type to report, or 0 */
	u8 n_acct;
	bool fwd;		/* to an alias's target: MOB_STATS_A_XLAT_FWD */
	const struct mob_addr *set[MOB_F_NR];
	const struct mob_bind_core *acct[2];	/* bindings that translated */
};

struct mob_net;

/*
 * Provided by the table: inline in kmod/mob.h for the kernel, a mock in
 * the host tests.  Called under rcu_read_lock(); results stay valid until
 * it ends.
 */
#ifndef __KERNEL__
const struct mob_bind_core *mob_lookup_hoa(struct mob_net *mn,
					   const struct mob_addr *a);
const struct mob_bind_core *mob_lookup_moa(struct mob_net *mn,
					   const struct mob_addr *a);
bool mob_in_home(struct mob_net *mn, const struct mob_addr *a);
#endif
/* Only asked on the rare path of an address with no binding. */
bool mob_addr_is_local(struct mob_net *mn, const struct mob_addr *a);

/*
 * The core's entry points.  The module compiles xlat_core.c into xlat.c
 * (#include), so that each hook gets the packet path inlined, specialised
 * for its hook; a call costs most where it is paid per packet.  The host
 * builds link xlat_core.c as an object of its own.
 */
#ifdef __KERNEL__
#define MOB_CORE	static
#define MOB_CORE_HOT	static __always_inline
#else
#define MOB_CORE
#define MOB_CORE_HOT
enum mob_parse_result mob_pkt_parse(struct mob_pkt *p, const u8 *buf,
				    u32 avail, u32 len, u8 family);
enum mob_parse_result mob_pkt_parse_quick(struct mob_pkt *p, const u8 *buf,
					  u32 avail, u32 len, u8 family);
void mob_decide(struct mob_net *mn, enum mob_hook hook, const u8 *buf,
		const struct mob_pkt *p, const struct mob_meta *meta,
		struct mob_decision *d);
void mob_decide_recheck(struct mob_decision *d, const struct mob_pkt *p);
void mob_rewrite(u8 *buf, const struct mob_pkt *p,
		 const struct mob_decision *d, bool csum_partial);
#endif


/* Addresses a translation may apply to: unicast, global scope. */
static MOB_INLINE bool mob_addr_usable(const struct mob_addr *a)
{
	if (a->family == AF_INET) {
		const u8 *b = (const u8 *)&a->ip;

		return !(b[0] == 0 || b[0] == 127 || b[0] >= 224 ||
			 (b[0] == 169 && b[1] == 254));
	}
	if (a->ip6.s6_addr[0] == 0xff)
		return false;
	if (a->ip6.s6_addr[0] == 0xfe && (a->ip6.s6_addr[1] & 0xc0) == 0x80)
		return false;
	/* :: and ::1 */
	return memcmp(a->ip6.s6_addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15) ||
	       a->ip6.s6_addr[15] > 1;
}

/* Copies the address at buf + off into a zero-padded key. */
static MOB_INLINE void mob_addr_load(struct mob_addr *a, u8 family,
				 const u8 *buf, u16 off)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == AF_INET)
		memcpy(&a->ip, buf + off, 4);
	else
		memcpy(&a->ip6, buf + off, 16);
}

/* Equality of two keys, on the words the family uses. */
static MOB_INLINE bool mob_addr_eq(const struct mob_addr *a,
			       const struct mob_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->ip == b->ip;
	return !((a->ip6.s6_addr32[0] ^ b->ip6.s6_addr32[0]) |
		 (a->ip6.s6_addr32[1] ^ b->ip6.s6_addr32[1]) |
		 (a->ip6.s6_addr32[2] ^ b->ip6.s6_addr32[2]) |
		 (a->ip6.s6_addr32[3] ^ b->ip6.s6_addr32[3]));
}

static inline unsigned int mob_addr_len(u8 family)
{
	return family == AF_INET ? 4 : 16;
}

#endif /* _MOB_XLAT_CORE_H */
