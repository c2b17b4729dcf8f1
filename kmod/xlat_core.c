// SPDX-License-Identifier: GPL-2.0
/*
 * Stateless HoA <-> MoA translation of one packet: parse, decide, rewrite.
 *
 * Checksums are patched incrementally (RFC 1624), never recomputed: a packet
 * that arrived with a bad checksum leaves with a bad checksum, so corruption
 * is not laundered.  Every field we write is 16-bit aligned relative to the
 * start of every checksum that covers it, which is what makes the one's
 * complement arithmetic below byte-order neutral.
 */
#include "xlat_core.h"
#include <linux/mob.h>

#define PROTO_ICMP	1
#define PROTO_TCP	6
#define PROTO_UDP	17
#define PROTO_DCCP	33
#define PROTO_ROUTING	43
#define PROTO_FRAGMENT	44
#define PROTO_AH	51
#define PROTO_ICMPV6	58
#define PROTO_DSTOPTS	60
#define PROTO_UDPLITE	136
#define PROTO_HOPOPTS	0

#define MAX_EXT_HEADERS	8

static inline u16 load16(const u8 *b)
{
	return (u16)(b[0] << 8 | b[1]);
}

/* Where the checksum of an L4 protocol lives, and what it covers. */
static bool l4_csum_layout(u8 family, u8 proto, u8 *kind, u16 *csum_off,
			   u16 *min_len)
{
	switch (proto) {
	case PROTO_TCP:
		*kind = MOB_CSUM_PSEUDO, *csum_off = 16, *min_len = 20;
		return true;
	case PROTO_UDP:
		*kind = MOB_CSUM_UDP, *csum_off = 6, *min_len = 8;
		return true;
	case PROTO_UDPLITE:
	case PROTO_DCCP:
		*kind = MOB_CSUM_PSEUDO, *csum_off = 6, *min_len = 8;
		return true;
	case PROTO_ICMP:
		if (family != AF_INET)
			return false;
		*kind = MOB_CSUM_DATA, *csum_off = 2, *min_len = 8;
		return true;
	case PROTO_ICMPV6:
		if (family != AF_INET6)
			return false;
		*kind = MOB_CSUM_PSEUDO, *csum_off = 2, *min_len = 8;
		return true;
	}
	return false;	/* SCTP, GRE, ESP...: nothing depends on addresses */
}

static bool icmp_is_error(u8 family, u8 type)
{
	if (family == AF_INET)
		return type == 3 || type == 4 || type == 5 || type == 11 ||
		       type == 12;
	return type >= 1 && type <= 4;
}

/*
 * Result of trying to read [0, n): there, absent from the packet, or present
 * but not yet linear.
 */
enum span { SPAN_OK, SPAN_SHORT, SPAN_NEED };

static inline enum span span(struct mob_pkt *p, u32 avail, u32 n)
{
	if (n > p->len)
		return SPAN_SHORT;
	if (n > avail) {
		p->need = n;
		return SPAN_NEED;
	}
	return SPAN_OK;
}

/*
 * Walks IPv6 extension headers from *off with *next the first header type.
 * Stops at the upper-layer header; sets *first_frag false on a non-first
 * fragment.  Returns SPAN_SHORT on truncation.
 */
static enum span walk_ext6(struct mob_pkt *p, const u8 *buf, u32 avail,
			   u16 *off, u8 *next, bool *first_frag,
			   bool *unsupported)
{
	enum span s;
	int i;

	for (i = 0; i < MAX_EXT_HEADERS; i++) {
		switch (*next) {
		case PROTO_HOPOPTS:
		case PROTO_DSTOPTS:
		case PROTO_ROUTING:
			s = span(p, avail, *off + 8u);
			if (s != SPAN_OK)
				return s;
			/* Segments left: the pseudo-header would use another
			 * destination than the one in the header. */
			if (*next == PROTO_ROUTING && buf[*off + 3] != 0)
				*unsupported = true;
			*next = buf[*off];
			*off += (buf[*off + 1] + 1) * 8;
			break;
		case PROTO_FRAGMENT:
			s = span(p, avail, *off + 8u);
			if (s != SPAN_OK)
				return s;
			if (load16(buf + *off + 2) & 0xfff8)
				*first_frag = false;
			*next = buf[*off];
			*off += 8;
			if (!*first_frag)
				return SPAN_OK;
			break;
		case PROTO_AH:
			/* AH authenticates the addresses we would change. */
			*unsupported = true;
			return SPAN_OK;
		default:
			return *off > p->len ? SPAN_SHORT : SPAN_OK;
		}
	}
	return SPAN_SHORT;	/* a chain this long is not worth trusting */
}

/*
 * The packet quoted by an ICMP error starting at @off.  It is usually cut
 * short, so a missing inner L4 header is normal; missing inner addresses
 * are not.
 */
static enum mob_parse_result parse_inner(struct mob_pkt *p, const u8 *buf,
					 u32 avail, u16 off)
{
	bool first = true, unsupported = false;
	u16 l4off, csum_off, min_len;
	enum span s;
	u8 next, kind;

	p->in_off = off;
	if (p->family == AF_INET) {
		u16 ihl;

		s = span(p, avail, off + 20u);
		if (s == SPAN_NEED)
			return MOB_PARSE_NEED;
		if (s == SPAN_SHORT || buf[off] >> 4 != 4 ||
		    (buf[off] & 15) < 5)
			goto malformed;
		ihl = (buf[off] & 15) * 4;
		s = span(p, avail, off + ihl);
		if (s == SPAN_NEED)
			return MOB_PARSE_NEED;
		if (s == SPAN_SHORT)
			goto malformed;
		p->in_saddr_off = off + 12;
		p->in_daddr_off = off + 16;
		p->in_l3csum_off = off + 10;
		p->in_l3_len = ihl;
		first = !(load16(buf + off + 6) & 0x1fff);
		next = buf[off + 9];
		l4off = off + ihl;
	} else {
		s = span(p, avail, off + 40u);
		if (s == SPAN_NEED)
			return MOB_PARSE_NEED;
		if (s == SPAN_SHORT || buf[off] >> 4 != 6)
			goto malformed;
		p->in_saddr_off = off + 8;
		p->in_daddr_off = off + 24;
		next = buf[off + 6];
		l4off = off + 40;
		s = walk_ext6(p, buf, avail, &l4off, &next, &first,
			      &unsupported);
		if (s == SPAN_NEED)
			return MOB_PARSE_NEED;
		if (unsupported)
			p->flags |= MOB_PKT_UNSUPPORTED;
		if (s == SPAN_SHORT)
			first = false;	/* quote ends in the extension headers */
		p->in_l3_len = l4off - off;
	}
	p->flags |= MOB_PKT_ICMP_ERR;
	p->in_l4_off = l4off;
	p->in_l4csum_kind = MOB_CSUM_NONE;
	/* An inner ICMPv4 checksum covers no address: nothing to patch. */
	if (first && next != PROTO_ICMP &&
	    l4_csum_layout(p->family, next, &kind, &csum_off, &min_len)) {
		s = span(p, avail, l4off + csum_off + 2u);
		if (s == SPAN_NEED)
			return MOB_PARSE_NEED;
		if (s == SPAN_OK) {
			p->flags |= MOB_PKT_IN_L4;
			p->in_l4csum_kind = kind;
			p->in_l4csum_off = l4off + csum_off;
		}
	}
	return MOB_PARSE_OK;

malformed:
	p->flags |= MOB_PKT_MALFORMED;
	return MOB_PARSE_OK;
}

static enum mob_parse_result parse_l4(struct mob_pkt *p, const u8 *buf,
				      u32 avail)
{
	u16 csum_off, min_len;
	enum span s;
	u8 kind;

	if (!l4_csum_layout(p->family, p->l4proto, &kind, &csum_off, &min_len))
		return MOB_PARSE_OK;
	s = span(p, avail, p->l4_off + (u32)min_len);
	if (s == SPAN_NEED)
		return MOB_PARSE_NEED;
	if (s == SPAN_SHORT) {
		/* A translated packet whose L4 checksum we cannot reach
		 * would leave with a wrong one: tiny first fragments too. */
		p->flags |= MOB_PKT_MALFORMED;
		return MOB_PARSE_OK;
	}
	p->flags |= MOB_PKT_L4;
	p->l4csum_kind = kind;
	p->l4csum_off = p->l4_off + csum_off;
	if (p->l4proto != PROTO_ICMP && p->l4proto != PROTO_ICMPV6)
		return MOB_PARSE_OK;

	p->icmp_type = buf[p->l4_off];
	if (icmp_is_error(p->family, p->icmp_type))
		return parse_inner(p, buf, avail, p->l4_off + 8);
	/* Neighbour solicitation or advertisement with its target. */
	if (p->family == AF_INET6 &&
	    (p->icmp_type == 135 || p->icmp_type == 136)) {
		s = span(p, avail, p->l4_off + 24u);
		if (s == SPAN_NEED)
			return MOB_PARSE_NEED;
		if (s == SPAN_OK)
			p->flags |= MOB_PKT_ND;
	}
	return MOB_PARSE_OK;
}

static u32 write_extent(const struct mob_pkt *p)
{
	u32 end = p->family == AF_INET ? 20 : 40;

	if (p->flags & MOB_PKT_L4)
		end = p->l4csum_off + 2;
	if (p->flags & MOB_PKT_ICMP_ERR)
		end = p->in_daddr_off + mob_addr_len(p->family);
	if (p->flags & MOB_PKT_IN_L4 && p->in_l4csum_off + 2u > end)
		end = p->in_l4csum_off + 2;
	return end;
}

/*
 * Parses the headers of the packet at @buf: @avail bytes are readable, the
 * packet has @len.  Call again with more bytes linear when it says NEED.
 */
MOB_CORE enum mob_parse_result mob_pkt_parse(struct mob_pkt *p, const u8 *buf,
					     u32 avail, u32 len, u8 family)
{
	bool first = true, unsupported = false;
	enum mob_parse_result r;
	u32 plen;
	u16 off;
	u8 next;

	memset(p, 0, sizeof(*p));
	p->family = family;
	p->len = len;

	if (family == AF_INET) {
		u32 ihl, tot;

		if (span(p, avail, 20) == SPAN_NEED)
			return MOB_PARSE_NEED;
		if (len < 20 || buf[0] >> 4 != 4 || (buf[0] & 15) < 5)
			return MOB_PARSE_BAD_L3;
		ihl = (buf[0] & 15) * 4;
		tot = load16(buf + 2);
		/* BIG TCP leaves tot_len zero on packets over 64 KiB. */
		plen = tot ? tot : len;
		if (plen < ihl || plen > len)
			return MOB_PARSE_BAD_L3;
		p->len = plen;
		if (span(p, avail, ihl) == SPAN_NEED)
			return MOB_PARSE_NEED;
		p->saddr_off = 12;
		p->daddr_off = 16;
		p->l3csum_off = 10;
		p->l3_len = ihl;
		p->l4_off = ihl;
		p->l4proto = buf[9];
		/* AH authenticates the addresses we would change. */
		if (p->l4proto == PROTO_AH)
			p->flags |= MOB_PKT_UNSUPPORTED;
		first = !(load16(buf + 6) & 0x1fff);
	} else if (family == AF_INET6) {
		enum span s;
		u32 pl;

		if (span(p, avail, 40) == SPAN_NEED)
			return MOB_PARSE_NEED;
		if (len < 40 || buf[0] >> 4 != 6)
			return MOB_PARSE_BAD_L3;
		pl = load16(buf + 4);
		plen = pl ? 40 + pl : len;	/* zero: jumbogram / BIG TCP */
		if (plen > len)
			return MOB_PARSE_BAD_L3;
		p->len = plen;
		p->saddr_off = 8;
		p->daddr_off = 24;
		p->hop_limit = buf[7];
		next = buf[6];
		off = 40;
		s = walk_ext6(p, buf, avail, &off, &next, &first,
			      &unsupported);
		if (s == SPAN_NEED)
			return MOB_PARSE_NEED;
		if (unsupported)
			p->flags |= MOB_PKT_UNSUPPORTED;
		if (s == SPAN_SHORT) {
			p->flags |= MOB_PKT_MALFORMED;
			first = false;
		}
		p->l3_len = off;
		p->l4_off = off;
		p->l4proto = next;
	} else {
		return MOB_PARSE_BAD_L3;
	}

	if (first && !(p->flags & MOB_PKT_UNSUPPORTED)) {
		r = parse_l4(p, buf, avail);
		if (r != MOB_PARSE_OK)
			return r;
	}
	p->need = 0;
	p->write_len = write_extent(p);
	return MOB_PARSE_OK;
}

/*
 * The IP header alone, when that is enough to decide (it sets
 * MOB_PKT_QUICK); with the checksum field of TCP or UDP if at hand, which
 * makes it a full parse already; else the full parse.  Most packets
 * through a hypervisor concern no binding, and they are spared the rest.
 * Before rewriting after a MOB_PKT_QUICK parse, parse fully and call
 * mob_decide_recheck().
 *
 * The L4 header matters to the decision only for ICMP (an error quotes
 * addresses, neighbour discovery is reported), and IPv6 extension headers
 * hide which L4 protocol follows; AH forbids any rewrite.  Those packets,
 * IPv4 options and anything odd get the full parse at once, which also
 * judges whether the IP header is usable at all.
 */
MOB_CORE_HOT enum mob_parse_result
mob_pkt_parse_quick(struct mob_pkt *p, const u8 *buf, u32 avail, u32 len,
		    u8 family)
{
	bool first = true;
	u32 plen;

	if (family == AF_INET) {
		if (avail < 20 || len < 20 || buf[0] != 0x45 ||
		    buf[9] == PROTO_ICMP || buf[9] == PROTO_AH)
			goto full;
		plen = load16(buf + 2);
		if (!plen)
			plen = len;		/* BIG TCP */
		if (plen < 20 || plen > len)
			goto full;
		memset(p, 0, sizeof(*p));
		p->saddr_off = 12;
		p->daddr_off = 16;
		p->l3csum_off = 10;
		p->l3_len = 20;
		p->l4proto = buf[9];
		first = !(load16(buf + 6) & 0x1fff);
	} else if (family == AF_INET6) {
		if (avail < 40 || len < 40 || buf[0] >> 4 != 6)
			goto full;
		switch (buf[6]) {
		case PROTO_ICMPV6:
		case PROTO_HOPOPTS:
		case PROTO_ROUTING:
		case PROTO_FRAGMENT:
		case PROTO_DSTOPTS:
		case PROTO_AH:
			goto full;
		}
		plen = load16(buf + 4);
		plen = plen ? 40 + plen : len;	/* zero: jumbogram / BIG TCP */
		if (plen > len)
			goto full;
		memset(p, 0, sizeof(*p));
		p->saddr_off = 8;
		p->daddr_off = 24;
		p->l3_len = 40;
		p->l4proto = buf[6];
		p->hop_limit = buf[7];
	} else {
		return MOB_PARSE_BAD_L3;
	}
	p->family = family;
	p->len = plen;
	p->l4_off = p->l3_len;
	/*
	 * TCP and UDP with the header at hand: this is all the full parse
	 * would find, so a rewrite needs no second parse.  Anything else
	 * (a short header, a later fragment, other protocols) is left to it.
	 */
	if (first && (p->l4proto == PROTO_TCP || p->l4proto == PROTO_UDP)) {
		u16 min = p->l4proto == PROTO_TCP ? 20 : 8;

		if (p->l4_off + min <= plen && p->l4_off + min <= avail) {
			p->flags = MOB_PKT_L4;
			p->l4csum_kind = p->l4proto == PROTO_TCP ?
					 MOB_CSUM_PSEUDO : MOB_CSUM_UDP;
			p->l4csum_off = p->l4_off +
					(p->l4proto == PROTO_TCP ? 16 : 6);
			p->write_len = p->l4csum_off + 2;
			return MOB_PARSE_OK;
		}
	}
	p->flags = MOB_PKT_QUICK;
	return MOB_PARSE_OK;

full:
	return mob_pkt_parse(p, buf, avail, len, family);
}

static void account(struct mob_decision *d, const struct mob_bind_core *b)
{
	if (d->n_acct < 2)
		d->acct[d->n_acct++] = b;
}

/* Inner addresses of an ICMP error: each looked up on its own. */
static bool map_inner_err(struct mob_net *mn, const u8 *buf,
			  const struct mob_pkt *p, struct mob_decision *d,
			  bool to_hoa)
{
	const struct mob_bind_core *b;
	struct mob_addr a;
	bool any = false;
	int i;

	for (i = 0; i < 2; i++) {
		u16 off = i ? p->in_daddr_off : p->in_saddr_off;

		mob_addr_load(&a, p->family, buf, off);
		b = to_hoa ? mob_lookup_moa(mn, &a) : mob_lookup_hoa(mn, &a);
		if (b) {
			d->set[MOB_F_IN_SRC + i] = to_hoa ? &b->hoa : &b->moa;
			any = true;
		}
	}
	return any;
}

/* The test of the common case inline, the rest only for ICMP errors. */
static MOB_INLINE bool map_inner(struct mob_net *mn, const u8 *buf,
				 const struct mob_pkt *p,
				 struct mob_decision *d, bool to_hoa)
{
	return p->flags & MOB_PKT_ICMP_ERR &&
	       map_inner_err(mn, buf, p, d, to_hoa);
}

/* A home address left untranslated inside a quoted packet. */
static bool inner_leaks_err(struct mob_net *mn, const u8 *buf,
			    const struct mob_pkt *p,
			    const struct mob_decision *d)
{
	struct mob_addr a;
	int i;

	for (i = 0; i < 2; i++) {
		if (d->set[MOB_F_IN_SRC + i])
			continue;
		mob_addr_load(&a, p->family, buf,
			      i ? p->in_daddr_off : p->in_saddr_off);
		if (mob_in_home(mn, &a))
			return true;
	}
	return false;
}

static MOB_INLINE bool inner_leaks(struct mob_net *mn, const u8 *buf,
				   const struct mob_pkt *p,
				   const struct mob_decision *d)
{
	return p->flags & MOB_PKT_ICMP_ERR && inner_leaks_err(mn, buf, p, d);
}

static MOB_INLINE void drop(struct mob_decision *d, u8 reason)
{
	d->verdict = MOB_DROP;
	d->reason = reason;
}

/*
 * A rewrite we cannot do correctly is a drop, never a half translation.
 * Also what the glue calls after the full parse that follows a quick one.
 */
MOB_CORE_HOT void mob_decide_recheck(struct mob_decision *d,
				     const struct mob_pkt *p)
{
	if (d->verdict != MOB_REWRITE)
		return;
	if (p->flags & MOB_PKT_MALFORMED)
		drop(d, MOB_DROP_MALFORMED);
	else if (p->flags & MOB_PKT_UNSUPPORTED)
		drop(d, MOB_DROP_UNSUPPORTED);
}

static MOB_INLINE void finish(struct mob_decision *d,
			      const struct mob_pkt *p)
{
	int i;

	for (i = 0; i < MOB_F_NR; i++)
		if (d->set[i])
			break;
	if (i == MOB_F_NR)
		return;
	d->verdict = MOB_REWRITE;
	mob_decide_recheck(d, p);
}

/*
 * To an alias with a target, the old hypervisor's forwarding entry: the
 * destination becomes the target and nothing else changes; the packet is
 * then routed on.  An alias without a target is not a destination here.
 */
static void forward(struct mob_decision *d, const struct mob_pkt *p,
		    const struct mob_bind_core *alias)
{
	const struct mob_alias_core *al = mob_alias_core_of(alias);

	if (!al->target.family)
		return;
	d->set[MOB_F_DST] = &al->target;
	d->fwd = true;
	account(d, alias);
	finish(d, p);
}

/*
 * From the wire to a local VM: destination MoA -> HoA, source likewise.
 *
 * Aliases live in the MoA table with bindings, so the lookups are the same
 * ones; what an alias changes is decided only once a lookup hits one.  As
 * a source, any alias stands for its HoA, as a remote binding's MoA does.
 * As a destination, an alias with a target forwards (forward() above).
 *
 * ICMP errors: quoted addresses map to HoAs through aliases as through
 * bindings' MoAs (map_inner_err() finds both), so a VM hears about its
 * packets to a peer's pre-learned next MoA.  A forwarded error keeps its
 * quote as it is: it is not for a VM here, and the hypervisor it is
 * forwarded to maps the quote itself, knowing our old MoA as an alias of
 * the VM's if its agent keeps one.
 */
static void decide_in(struct mob_net *mn, const u8 *buf,
		      const struct mob_pkt *p, struct mob_decision *d)
{
	const struct mob_bind_core *dst, *src;
	struct mob_addr a;

	mob_addr_load(&a, p->family, buf, p->daddr_off);
	dst = mob_lookup_moa(mn, &a);
	if (!dst)
		return;
	if (dst->kind != MOB_KIND_LOCAL) {
		if (unlikely(dst->kind == MOB_KIND_ALIAS))
			forward(d, p, dst);
		return;
	}
	d->set[MOB_F_DST] = &dst->hoa;
	account(d, dst);

	mob_addr_load(&a, p->family, buf, p->saddr_off);
	src = mob_lookup_moa(mn, &a);
	if (src && src->kind != MOB_KIND_LOCAL) {	/* remote, or an alias */
		d->set[MOB_F_SRC] = &src->hoa;
		account(d, src);
	}
	map_inner(mn, buf, p, d, true);
	finish(d, p);
}

static bool from_vm(const struct mob_bind_core *b, const struct mob_meta *m)
{
	int port;

	if (!b || b->kind != MOB_KIND_LOCAL)
		return false;
	port = READ_ONCE(b->ifindex);	/* changes when the port goes */
	return !port || port == m->in_ifindex;
}

/* From a local VM, before routing: a remote HoA -> its MoA. */
static void decide_out_dst(struct mob_net *mn, const u8 *buf,
			   const struct mob_pkt *p,
			   const struct mob_meta *meta, struct mob_decision *d)
{
	const struct mob_bind_core *src, *dst;
	struct mob_addr da, sa;

	if (!meta->to_host)
		return;
	/* The destination first: most of a VM's packets go to the world,
	 * outside every home prefix, and need no lookup of the source. */
	mob_addr_load(&da, p->family, buf, p->daddr_off);
	if (!mob_addr_usable(&da))
		return;
	dst = mob_lookup_hoa(mn, &da);
	if (dst ? dst->kind == MOB_KIND_LOCAL : !mob_in_home(mn, &da))
		return;		/* VM to VM on this host, or not to a VM */
	mob_addr_load(&sa, p->family, buf, p->saddr_off);
	src = mob_lookup_hoa(mn, &sa);
	if (!from_vm(src, meta))
		return;
	if (dst) {
		d->set[MOB_F_DST] = &dst->moa;
		account(d, dst);
		finish(d, p);
		return;
	}
	if (!mob_addr_is_local(mn, &da)) {
		drop(d, MOB_DROP_UNKNOWN_HOA);
		d->event = MOB_EVENT_UNKNOWN_DST;
	}
}

/*
 * After routing: a local VM's HoA -> its MoA, and the guard that no home
 * address leaves toward the wire untranslated.
 */
static void decide_out_src(struct mob_net *mn, const u8 *buf,
			   const struct mob_pkt *p,
			   const struct mob_meta *meta, struct mob_decision *d)
{
	const struct mob_bind_core *src, *dst;
	struct mob_addr sa, da;

	mob_addr_load(&da, p->family, buf, p->daddr_off);
	mob_addr_load(&sa, p->family, buf, p->saddr_off);
	if (!mob_addr_usable(&da) || !mob_addr_usable(&sa))
		return;
	dst = mob_lookup_hoa(mn, &da);
	if (dst && dst->kind == MOB_KIND_LOCAL) {
		/* To a VM here.  An ICMP error this host generated about
		 * a packet it forwarded may still quote MoAs. */
		map_inner(mn, buf, p, d, true);
		finish(d, p);
		return;
	}

	src = mob_lookup_hoa(mn, &sa);
	if (from_vm(src, meta)) {
		d->set[MOB_F_SRC] = &src->moa;
		account(d, src);
	} else if (dst && p->flags & MOB_PKT_ICMP_ERR) {
		/* This host's own error about a remote VM's packet. */
		d->set[MOB_F_DST] = &dst->moa;
		account(d, dst);
	}
	/*
	 * Toward the wire, a quoted packet carries MoAs: whoever sent the
	 * error (a VM, or this host about a packet it was forwarding to a
	 * VM), its reader only knows the MoAs.
	 */
	map_inner(mn, buf, p, d, false);

	if (!d->set[MOB_F_SRC] && mob_in_home(mn, &sa)) {
		drop(d, MOB_DROP_LEAK);
		if (!src)
			d->event = MOB_EVENT_UNKNOWN_SRC;
		return;
	}
	if ((!d->set[MOB_F_DST] && mob_in_home(mn, &da)) ||
	    inner_leaks(mn, buf, p, d)) {
		drop(d, MOB_DROP_LEAK);
		return;
	}
	finish(d, p);
}

MOB_CORE_HOT void mob_decide(struct mob_net *mn, enum mob_hook hook,
			     const u8 *buf, const struct mob_pkt *p,
			     const struct mob_meta *meta,
			     struct mob_decision *d)
{
	memset(d, 0, sizeof(*d));
	switch (hook) {
	case MOB_HOOK_IN:
		decide_in(mn, buf, p, d);
		break;
	case MOB_HOOK_OUT_DST:
		decide_out_dst(mn, buf, p, meta, d);
		break;
	case MOB_HOOK_OUT_SRC:
		decide_out_src(mn, buf, p, meta, d);
		break;
	}
}

/*
 * The checksums a write may affect.  Each covers a byte range of the
 * packet and, for a pseudo-header checksum, the two address fields of its
 * IP header.  A checksum field is itself data to the checksums around it.
 */
struct csum_cover {
	u16 field;
	u16 start, end;		/* covered bytes; empty when offloaded */
	u16 ps_src, ps_dst;	/* pseudo-header addresses, or 0 */
	bool udp;		/* zero means "none"; never produce zero */
	bool partial;		/* holds the pseudo-header sum only */
};

struct rewriter {
	u8 *buf;
	int n;
	struct csum_cover c[4];
};

static u16 csum_patch(u16 csum, const u8 *from, const u8 *to, unsigned int n,
		      bool partial)
{
	u32 sum = partial ? csum : (u16)~csum;
	unsigned int i;

	for (i = 0; i < n; i += 2) {
		sum += (u16)~load16(from + i);
		sum += load16(to + i);
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return partial ? (u16)sum : (u16)~sum;
}

static bool covers(const struct csum_cover *c, u16 off)
{
	if (off == c->field)
		return false;
	if (off >= c->start && off < c->end)
		return true;
	return c->ps_src && (off == c->ps_src || off == c->ps_dst);
}

static void store(struct rewriter *rw, u16 off, const u8 *val, unsigned int n)
{
	u8 old[16];
	int i;

	memcpy(old, rw->buf + off, n);
	if (!memcmp(old, val, n))
		return;
	memcpy(rw->buf + off, val, n);
	for (i = 0; i < rw->n; i++) {
		const struct csum_cover *c = &rw->c[i];
		u16 sum;
		u8 b[2];

		if (!covers(c, off))
			continue;
		sum = load16(rw->buf + c->field);
		if (c->udp && !sum && !c->partial)
			continue;
		sum = csum_patch(sum, old, val, n, c->partial);
		if (c->udp && !sum && !c->partial)
			sum = 0xffff;
		b[0] = sum >> 8;
		b[1] = sum & 0xff;
		store(rw, c->field, b, 2);
	}
}

static void add_cover(struct rewriter *rw, u16 field, u16 start, u16 end,
		      u16 ps_src, u16 ps_dst, u8 kind, bool partial)
{
	struct csum_cover *c = &rw->c[rw->n++];

	c->field = field;
	c->start = partial ? 0 : start;
	c->end = partial ? 0 : end;
	c->ps_src = kind == MOB_CSUM_DATA ? 0 : ps_src;
	c->ps_dst = kind == MOB_CSUM_DATA ? 0 : ps_dst;
	c->udp = kind == MOB_CSUM_UDP;
	c->partial = partial;
}

static const u8 *addr_bytes(const struct mob_addr *a)
{
	return a->family == AF_INET ? (const u8 *)&a->ip : a->ip6.s6_addr;
}

/* One's complement sum of the change from @from to @to (RFC 1624). */
static u32 csum_delta(const u8 *from, const u8 *to, unsigned int n)
{
	u32 sum = 0;
	unsigned int i;

	for (i = 0; i < n; i += 2)
		sum += (u16)~load16(from + i) + load16(to + i);
	return sum;
}

/* csum_patch() with the change already summed. */
static void csum_apply(u8 *field, u32 delta, bool partial, bool udp)
{
	u16 old = load16(field);
	u32 sum;

	if (udp && !old && !partial)
		return;		/* no checksum: keep it that way */
	sum = (partial ? old : (u16)~old) + delta;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	if (!partial)
		sum = (u16)~sum;
	if (udp && !sum && !partial)
		sum = 0xffff;
	field[0] = sum >> 8;
	field[1] = sum & 0xff;
}

/*
 * The common case, no ICMP error: only the outer addresses change, and
 * each checksum that covers one covers both (the IPv4 header's, an L4
 * pseudo-header's) with nothing nested, so the sum of the changes patches
 * each of them once.  The result is the one store() would reach field by
 * field: one's complement addition does not care about the order.
 */
static void rewrite_outer(u8 *buf, const struct mob_pkt *p,
			  const struct mob_decision *d, bool partial)
{
	unsigned int alen = mob_addr_len(p->family);
	u32 delta = 0;
	int i;

	for (i = MOB_F_SRC; i <= MOB_F_DST; i++) {
		u16 off = i == MOB_F_SRC ? p->saddr_off : p->daddr_off;
		const u8 *val;

		if (!d->set[i])
			continue;
		val = addr_bytes(d->set[i]);
		if (!memcmp(buf + off, val, alen))
			continue;
		delta += csum_delta(buf + off, val, alen);
		memcpy(buf + off, val, alen);
	}
	if (!delta)
		return;
	if (p->family == AF_INET)
		csum_apply(buf + p->l3csum_off, delta, false, false);
	if (p->flags & MOB_PKT_L4 && p->l4csum_kind != MOB_CSUM_DATA)
		csum_apply(buf + p->l4csum_off, delta, partial,
			   p->l4csum_kind == MOB_CSUM_UDP);
}

/*
 * Applies @d to the packet.  @csum_partial: the L4 checksum is offloaded
 * (CHECKSUM_PARTIAL) and holds only the pseudo-header sum.
 */
MOB_CORE void mob_rewrite(u8 *buf, const struct mob_pkt *p,
			  const struct mob_decision *d, bool csum_partial)
{
	static const u8 order[MOB_F_NR] = {
		MOB_F_IN_SRC, MOB_F_IN_DST, MOB_F_SRC, MOB_F_DST
	};
	unsigned int alen = mob_addr_len(p->family);
	struct rewriter rw = { .buf = buf };
	u16 end = p->len > 0xffff ? 0xffff : p->len;
	int i;

	if (!(p->flags & MOB_PKT_ICMP_ERR)) {
		rewrite_outer(buf, p, d, csum_partial);
		return;
	}
	if (p->family == AF_INET)
		add_cover(&rw, p->l3csum_off, 0, p->l3_len, 0, 0,
			  MOB_CSUM_DATA, false);
	if (p->flags & MOB_PKT_L4)
		add_cover(&rw, p->l4csum_off, p->l4_off, end, p->saddr_off,
			  p->daddr_off, p->l4csum_kind, csum_partial);
	if (p->flags & MOB_PKT_ICMP_ERR && p->family == AF_INET)
		add_cover(&rw, p->in_l3csum_off, p->in_off,
			  p->in_off + p->in_l3_len, 0, 0, MOB_CSUM_DATA, false);
	if (p->flags & MOB_PKT_IN_L4)
		add_cover(&rw, p->in_l4csum_off, p->in_l4_off, end,
			  p->in_saddr_off, p->in_daddr_off, p->in_l4csum_kind,
			  false);

	for (i = 0; i < MOB_F_NR; i++) {
		const struct mob_addr *a = d->set[order[i]];
		u16 off;

		if (!a)
			continue;
		switch (order[i]) {
		case MOB_F_SRC:
			off = p->saddr_off;
			break;
		case MOB_F_DST:
			off = p->daddr_off;
			break;
		case MOB_F_IN_SRC:
			off = p->in_saddr_off;
			break;
		default:
			off = p->in_daddr_off;
			break;
		}
		store(&rw, off, addr_bytes(a), alen);
	}
}
