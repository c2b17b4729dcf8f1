/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MOB_H
#define _MOB_H

#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/rhashtable.h>
#include <linux/ratelimit.h>
#include <linux/percpu.h>
#include <linux/workqueue.h>
#include <linux/netfilter.h>
#include <net/netns/generic.h>
#include <linux/mob.h>

#include "xlat_core.h"

enum mob_dir { MOB_DIR_IN, MOB_DIR_OUT, MOB_DIR_NR };

/*
 * by_moa holds bindings and aliases alike: both begin with the node and
 * the core that table's parameters point at (alias.c checks the layout).
 */
struct mob_binding {
	struct rhash_head moa_node;
	struct mob_bind_core c;		/* what the packet path reads */
	struct rhash_head hoa_node;
	struct rb_node tree_node;	/* ordered by HoA, for dumps */
	atomic64_t packets[MOB_DIR_NR];
	atomic64_t bytes[MOB_DIR_NR];
	unsigned long last_used;	/* jiffies, 0 if never */
	struct rcu_head rcu;
};

/* An alias (uapi: MOB_CMD_ALIAS_*); a.c.kind is MOB_KIND_ALIAS. */
struct mob_alias {
	struct rhash_head moa_node;	/* in by_moa, keyed by a.c.moa */
	struct mob_alias_core a;	/* what the packet path reads */
	u32 timeout_ms;			/* as given; 0: none */
	struct rb_node tree_node;	/* ordered by MoA, for dumps */
	struct rb_node exp_node;	/* ordered by expiry, if it has one */
	unsigned long expires;		/* jiffies, if timeout_ms */
	atomic64_t packets;
	struct rcu_head rcu;
};

struct mob_prefix {
	struct mob_addr net;		/* host bits zero */
	struct mob_addr mask;
	u8 len;
};

/* Replaced whole on every change, so readers need no lock. */
struct mob_prefixes {
	struct rcu_head rcu;
	unsigned int n;
	struct mob_prefix p[];
};

/*
 * Bumped with this_cpu_inc(), which is safe from any context: POSTROUTING
 * of locally generated packets can run preemptible.  amd64 reads a u64
 * whole, so no u64_stats_sync is needed on the architectures we ship for.
 */
struct mob_pcpu_stats {
	u64 xlat_in;
	u64 xlat_out;
	u64 xlat_fwd;
	u64 xlat_icmp_inner;
	u64 drops[MOB_DROP_NR];
	u64 events;
	u64 events_suppressed;
};

struct mob_net {
	struct net *net;
	/*
	 * Serialises every change to the tables and the prefixes, the dump
	 * walks over the tree, and the one-time hook registration.  The
	 * packet path takes no lock: it reads the rhashtables and prefixes
	 * under RCU.
	 */
	struct mutex lock;
	struct rhashtable by_hoa;
	struct rhashtable by_moa;
	struct rb_root tree;
	u32 n_kind[__MOB_KIND_MAX];
	u32 max_bindings;
	u32 gen;			/* bumped on each change; never 0 */
	/* Aliases: in by_moa, and in two trees that only writers read. */
	struct rb_root aliases;		/* by MoA */
	struct rb_root alias_exp;	/* those with a timeout, by expiry */
	u32 n_aliases;
	u32 alias_gen;			/* as gen, for alias dumps */
	struct delayed_work alias_gc;	/* deletes aliases whose time is up */
	struct mob_prefixes __rcu *prefixes;
	struct mob_pcpu_stats __percpu *stats;
	struct nf_hook_ops *hooks;	/* registered on first use */
	bool dying;			/* set in pre_exit */
	struct ratelimit_state neigh_rs;	/* ARP, RARP, ND events */
	struct ratelimit_state unknown_rs;	/* unknown-HoA events */
};

extern unsigned int mob_net_id;
extern bool mob_unloading;
extern unsigned int mob_default_max_bindings;
extern atomic_t mob_live_objects;
extern struct genl_family mob_genl_family;

static inline struct mob_net *mob_pernet(const struct net *net)
{
	return net_generic(net, mob_net_id);
}

#define mob_stats_inc(mn, field) this_cpu_inc((mn)->stats->field)

/* Dumps compare generations; 0 would disable that check. */
static inline void mob_gen_bump(struct mob_net *mn)
{
	if (!++mn->gen)
		mn->gen = 1;
}

static inline void mob_alias_gen_bump(struct mob_net *mn)
{
	if (!++mn->alias_gen)
		mn->alias_gen = 1;
}

static inline struct mob_alias *mob_alias_of(const struct mob_bind_core *c)
{
	return container_of(c, struct mob_alias, a.c);
}

/* Home prefixes, for the packet core (xlat_core.h) and events.c. */
static __always_inline bool
mob_prefix_match(const struct mob_prefix *pfx, const struct mob_addr *a)
{
	int i;

	if (pfx->net.family != a->family)
		return false;
	if (a->family == AF_INET)
		return (a->ip & pfx->mask.ip) == pfx->net.ip;
	for (i = 0; i < 4; i++)
		if ((a->ip6.s6_addr32[i] & pfx->mask.ip6.s6_addr32[i]) !=
		    pfx->net.ip6.s6_addr32[i])
			return false;
	return true;
}

static __always_inline bool
mob_in_prefixes(const struct mob_prefixes *pf, const struct mob_addr *a)
{
	unsigned int i;

	for (i = 0; pf && i < pf->n; i++)
		if (mob_prefix_match(&pf->p[i], a))
			return true;
	return false;
}

static __always_inline bool mob_in_home(struct mob_net *mn, const struct mob_addr *a)
{
	return mob_in_prefixes(rcu_dereference(mn->prefixes), a);
}

/* table.c */
int mob_table_cache_init(void);
void mob_table_cache_exit(void);
int mob_table_init(struct mob_net *mn);
void mob_table_destroy(struct mob_net *mn);
struct mob_binding *mob_binding_find(struct mob_net *mn,
				     const struct mob_addr *hoa);
struct mob_binding *mob_binding_set(struct mob_net *mn,
				    const struct mob_bind_core *nb,
				    u32 flags, struct mob_bind_core *prev,
				    bool *replaced, struct mob_alias **alias,
				    struct netlink_ext_ack *extack);
struct mob_binding *mob_binding_del(struct mob_net *mn,
				    const struct mob_addr *hoa,
				    struct netlink_ext_ack *extack);
void mob_binding_free(struct mob_binding *b);
u32 mob_binding_flush(struct mob_net *mn, u8 kind);
void mob_port_gone(struct mob_net *mn, int ifindex);
struct mob_binding *mob_binding_next(struct mob_net *mn,
				     const struct mob_addr *after);

/* The binding after @b in HoA order, with mn->lock held throughout. */
static inline struct mob_binding *mob_binding_after(struct mob_binding *b)
{
	return rb_entry_safe(rb_next(&b->tree_node), struct mob_binding,
			     tree_node);
}
int mob_prefix_add(struct mob_net *mn, const struct mob_prefix *np,
		   struct netlink_ext_ack *extack);
int mob_prefix_del(struct mob_net *mn, const struct mob_prefix *np,
		   struct netlink_ext_ack *extack);
bool mob_prefix_make(struct mob_prefix *pfx, const struct mob_addr *a,
		     u8 len);

/* alias.c */
void mob_alias_init(struct mob_net *mn);
void mob_alias_destroy(struct mob_net *mn);
struct mob_alias *mob_alias_find(struct mob_net *mn,
				 const struct mob_addr *moa);
struct mob_alias *mob_alias_set(struct mob_net *mn,
				const struct mob_alias_core *na, u32 timeout_ms,
				struct netlink_ext_ack *extack);
struct mob_alias *mob_alias_del(struct mob_net *mn, const struct mob_addr *moa,
				struct netlink_ext_ack *extack);
void mob_alias_unlink(struct mob_net *mn, struct mob_alias *al);
void mob_alias_free(struct mob_alias *al);
void mob_alias_flush(struct mob_net *mn);
struct mob_alias *mob_alias_next(struct mob_net *mn,
				 const struct mob_addr *after);
int mob_alias_check_binding(struct mob_net *mn, const struct mob_bind_core *nb,
			    struct netlink_ext_ack *extack);
int mob_alias_check_prefix(struct mob_net *mn, const struct mob_prefix *np,
			   struct netlink_ext_ack *extack);
u32 mob_alias_expires_ms(const struct mob_alias *al);

/* xlat.c */
int mob_hooks_register(struct mob_net *mn);
void mob_hooks_unregister(struct mob_net *mn);

/* netlink.c */
int mob_genl_init(void);
void mob_genl_exit(void);
void mob_notify_alias(struct mob_net *mn, u8 cmd, const struct mob_alias *al);

/* events.c */
int mob_events_init(void);
void mob_events_exit(void);
void mob_event_nd(struct mob_net *mn, struct sk_buff *skb,
		  const struct mob_pkt *p);
void mob_event_unknown(struct mob_net *mn, struct sk_buff *skb,
		       const struct mob_pkt *p, u8 type, int ifindex);
int mob_nl_put_addr(struct sk_buff *skb, int attr4, int attr6,
		    const struct mob_addr *a);

#endif /* _MOB_H */
