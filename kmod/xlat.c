// SPDX-License-Identifier: GPL-2.0
/*
 * The netfilter hooks: make the headers linear, let the core decide, make
 * them writable, rewrite, account.
 *
 * Where the hooks sit is what keeps a stateful firewall working.  Packets
 * from the wire are translated (MoA -> HoA, both addresses) before
 * conntrack sees them; packets from a local VM are translated after it
 * (destination before routing, source after).  Conntrack therefore only
 * ever sees home addresses, so a connection is one flow, ESTABLISHED in
 * both directions, and it stays the same flow when either VM moves.
 *
 * A packet to an alias with a target is forwarded from the same first
 * hook: its destination rewritten before conntrack and routing, so both
 * see it as a packet to the target, passing through.
 */
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <net/dst.h>

#include "mob.h"
#include "table.h"

/*
 * The packet core, compiled into this file rather than linked: each hook
 * below then gets parse, decide and the table lookups inlined and
 * specialised for its hook, with no call per step.  Under emulation, and
 * to a lesser degree on hardware, calls and returns are what a packet
 * path pays most for.  The host builds compile xlat_core.c on its own.
 */
/*
 * The table as the packet core sees it (xlat_core.h); the caller holds
 * RCU.  Out of line on purpose: a small function gets rhashtable_lookup()
 * inlined with its constant parameters (our hash and compare inline too),
 * where a hook grown large would have GCC outline it generically, with
 * indirect calls through retpolines for both.
 */
static noinline const struct mob_bind_core *
mob_lookup_hoa(struct mob_net *mn, const struct mob_addr *a)
{
	struct mob_binding *b = rhashtable_lookup(&mn->by_hoa, a,
						  mob_hoa_params);

	return b ? &b->c : NULL;
}

/* A binding's core or an alias's: by_moa holds both, laid out alike. */
static noinline const struct mob_bind_core *
mob_lookup_moa(struct mob_net *mn, const struct mob_addr *a)
{
	struct mob_binding *b = rhashtable_lookup(&mn->by_moa, a,
						  mob_moa_params);

	return b ? &b->c : NULL;
}

#include "xlat_core.c"

static unsigned int mob_drop(struct mob_net *mn, u8 reason)
{
	mob_stats_inc(mn, drops[reason]);
	return NF_DROP;
}

static void account_packet(struct mob_net *mn, const struct mob_decision *d,
			   enum mob_hook hook, unsigned int len)
{
	enum mob_dir dir = hook == MOB_HOOK_IN ? MOB_DIR_IN : MOB_DIR_OUT;
	unsigned long now = jiffies;
	int i;

	for (i = 0; i < d->n_acct; i++) {
		struct mob_binding *b;

		if (unlikely(d->acct[i]->kind == MOB_KIND_ALIAS)) {
			atomic64_inc(&mob_alias_of(d->acct[i])->packets);
			continue;
		}
		b = container_of(d->acct[i], struct mob_binding, c);
		atomic64_inc(&b->packets[dir]);
		atomic64_add(len, &b->bytes[dir]);
		if (READ_ONCE(b->last_used) != now)
			WRITE_ONCE(b->last_used, now);
	}
	if (d->fwd)
		mob_stats_inc(mn, xlat_fwd);
	else if (hook == MOB_HOOK_IN)
		mob_stats_inc(mn, xlat_in);
	else if (hook == MOB_HOOK_OUT_SRC)
		mob_stats_inc(mn, xlat_out);
	if (d->set[MOB_F_IN_SRC] || d->set[MOB_F_IN_DST])
		mob_stats_inc(mn, xlat_icmp_inner);
}

static unsigned int apply(struct mob_net *mn, struct sk_buff *skb,
			  const struct mob_pkt *p, const struct mob_decision *d,
			  enum mob_hook hook)
{
	bool partial = false;

	/*
	 * An offloaded L4 checksum holds only the pseudo-header sum; the
	 * core patches it as such.  If the offload points elsewhere than
	 * the checksum we understand, finish it in software first.
	 */
	if (skb->ip_summed == CHECKSUM_PARTIAL && p->flags & MOB_PKT_L4) {
		if (skb_checksum_start_offset(skb) == p->l4_off &&
		    skb->csum_offset == p->l4csum_off - p->l4_off)
			partial = true;
		else if (skb_is_gso(skb) || skb_checksum_help(skb))
			return mob_drop(mn, MOB_DROP_UNSUPPORTED);
	}
	if (skb_ensure_writable(skb, p->write_len))
		return mob_drop(mn, MOB_DROP_NOMEM);

	mob_rewrite(skb->data, p, d, partial);

	/* skb->csum no longer matches the bytes; let the stack verify. */
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
	/* A route looked up for the old destination must not be reused. */
	if (d->set[MOB_F_DST] && hook != MOB_HOOK_OUT_SRC)
		skb_dst_drop(skb);

	account_packet(mn, d, hook, skb->len);
	return NF_ACCEPT;
}

/*
 * Parses with more of the headers made linear each time the parser asks.
 * Returns false for a packet to leave alone, with *verdict set if it is
 * to be dropped instead.
 */
static __always_inline bool parse(struct mob_net *mn, struct sk_buff *skb,
				  u8 family, struct mob_pkt *p, bool quick,
				  unsigned int *verdict)
{
	enum mob_parse_result r;
	int tries = 0;

	*verdict = NF_ACCEPT;
	for (;;) {
		r = quick ? mob_pkt_parse_quick(p, skb->data, skb_headlen(skb),
						skb->len, family) :
			    mob_pkt_parse(p, skb->data, skb_headlen(skb),
					  skb->len, family);
		if (r != MOB_PARSE_NEED)
			return r == MOB_PARSE_OK;
		/* Pull a little more than asked: the next header is
		 * usually next. */
		if (WARN_ON_ONCE(++tries > MOB_MAX_PULLS) ||
		    !pskb_may_pull(skb, min(skb->len, p->need + 64))) {
			*verdict = mob_drop(mn, MOB_DROP_NOMEM);
			return false;
		}
	}
}

/* Inlined into each hook, so that everything below is specialised for it. */
static __always_inline unsigned int mob_xlat(struct mob_net *mn,
					     struct sk_buff *skb,
					     const struct nf_hook_state *state,
					     enum mob_hook hook)
{
	u8 family = state->pf == NFPROTO_IPV4 ? AF_INET : AF_INET6;
	struct mob_decision d;
	struct mob_meta meta;
	unsigned int verdict;
	struct mob_pkt p;

	/* At pre- and postrouting the network header starts at data. */
	if (unlikely(skb_network_offset(skb)))
		return NF_ACCEPT;
	/* Decide from the IP header if it is enough; see the full
	 * headers only to rewrite. */
	if (!parse(mn, skb, family, &p, true, &verdict))
		return verdict;

	meta.to_host = skb->pkt_type == PACKET_HOST;
	if (hook == MOB_HOOK_OUT_SRC)
		meta.in_ifindex = skb->skb_iif;
	else
		meta.in_ifindex = state->in ? state->in->ifindex : 0;

	if (hook == MOB_HOOK_IN && unlikely(p.flags & MOB_PKT_ND))
		mob_event_nd(mn, skb, &p);

	mob_decide(mn, hook, skb->data, &p, &meta, &d);
	switch (d.verdict) {
	case MOB_REWRITE:
		if (p.flags & MOB_PKT_QUICK) {
			if (!parse(mn, skb, family, &p, false, &verdict))
				return verdict;
			mob_decide_recheck(&d, &p);
			if (d.verdict == MOB_DROP)
				return mob_drop(mn, d.reason);
		}
		return apply(mn, skb, &p, &d, hook);
	case MOB_DROP:
		if (d.event)
			mob_event_unknown(mn, skb, &p, d.event,
					  meta.in_ifindex);
		return mob_drop(mn, d.reason);
	}
	return NF_ACCEPT;
}

static unsigned int mob_hook_in(void *priv, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	return mob_xlat(priv, skb, state, MOB_HOOK_IN);
}

static unsigned int mob_hook_out_dst(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	return mob_xlat(priv, skb, state, MOB_HOOK_OUT_DST);
}

static unsigned int mob_hook_out_src(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	return mob_xlat(priv, skb, state, MOB_HOOK_OUT_SRC);
}

static const struct nf_hook_ops mob_hook_ops[] = {
	{
		.hook = mob_hook_in,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_CONNTRACK - 1,
	}, {
		.hook = mob_hook_out_dst,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_NAT_DST,
	}, {
		.hook = mob_hook_out_src,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP_PRI_NAT_SRC,
	}, {
		.hook = mob_hook_in,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_CONNTRACK - 1,
	}, {
		.hook = mob_hook_out_dst,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_NAT_DST,
	}, {
		.hook = mob_hook_out_src,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP6_PRI_NAT_SRC,
	},
};

/*
 * Hooks cost every packet of the namespace, so they are registered only
 * when the namespace first gets a binding or a home prefix, under
 * mn->lock so two requests cannot both register them.
 */
int mob_hooks_register(struct mob_net *mn)
{
	struct nf_hook_ops *ops;
	unsigned int i;
	int err;

	lockdep_assert_held(&mn->lock);
	if (mn->hooks)
		return 0;
	ops = kmemdup(mob_hook_ops, sizeof(mob_hook_ops), GFP_KERNEL);
	if (!ops)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(mob_hook_ops); i++)
		ops[i].priv = mn;
	err = nf_register_net_hooks(mn->net, ops, ARRAY_SIZE(mob_hook_ops));
	if (err) {
		kfree(ops);
		return err;
	}
	atomic_inc(&mob_live_objects);
	WRITE_ONCE(mn->hooks, ops);
	return 0;
}

void mob_hooks_unregister(struct mob_net *mn)
{
	if (!mn->hooks)
		return;
	nf_unregister_net_hooks(mn->net, mn->hooks, ARRAY_SIZE(mob_hook_ops));
	kfree(mn->hooks);
	atomic_dec(&mob_live_objects);
	WRITE_ONCE(mn->hooks, NULL);
}
