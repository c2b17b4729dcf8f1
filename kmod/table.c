// SPDX-License-Identifier: GPL-2.0
/*
 * The binding table of one network namespace.
 *
 * Each binding is in two rhashtables, keyed by HoA and by MoA, which the
 * packet path reads under RCU, and in an rbtree ordered by HoA, which only
 * writers and dumps touch, under mn->lock.  A binding is never changed in
 * place: a replace publishes a new object and frees the old one after a
 * grace period, so a packet sees one binding or the other, whole.
 *
 * The MoA table also holds the aliases (alias.c): an entry found there is
 * a binding or an alias, as its core's kind says.
 */
#include <linux/slab.h>
#include <linux/inetdevice.h>
#include <net/addrconf.h>
#include <net/route.h>

#include "mob.h"
#include "table.h"

static struct kmem_cache *mob_binding_cache;

int mob_table_cache_init(void)
{
	mob_binding_cache = KMEM_CACHE(mob_binding, 0);
	return mob_binding_cache ? 0 : -ENOMEM;
}

void mob_table_cache_exit(void)
{
	kmem_cache_destroy(mob_binding_cache);
}

bool mob_addr_is_local(struct mob_net *mn, const struct mob_addr *a)
{
	if (a->family == AF_INET)
		return inet_addr_type(mn->net, a->ip) == RTN_LOCAL;
	return ipv6_chk_addr(mn->net, &a->ip6, NULL, 0);
}

int mob_table_init(struct mob_net *mn)
{
	int err;

	mn->tree = RB_ROOT;
	mob_alias_init(mn);
	err = rhashtable_init(&mn->by_hoa, &mob_hoa_params);
	if (err)
		return err;
	err = rhashtable_init(&mn->by_moa, &mob_moa_params);
	if (err)
		rhashtable_destroy(&mn->by_hoa);
	return err;
}

/*
 * Namespace exit: the hooks are gone and a grace period has passed.  The
 * tables go first: rhashtable_destroy() stops their resize workers, which
 * may still be walking the bindings.
 */
void mob_table_destroy(struct mob_net *mn)
{
	struct mob_binding *b, *tmp;
	struct mob_prefixes *pf;

	rhashtable_destroy(&mn->by_hoa);
	rhashtable_destroy(&mn->by_moa);
	rbtree_postorder_for_each_entry_safe(b, tmp, &mn->tree, tree_node) {
		kmem_cache_free(mob_binding_cache, b);
		atomic_dec(&mob_live_objects);
	}
	mn->tree = RB_ROOT;
	mob_alias_destroy(mn);
	pf = rcu_dereference_protected(mn->prefixes, true);
	if (pf) {
		kfree(pf);
		atomic_dec(&mob_live_objects);
	}
	RCU_INIT_POINTER(mn->prefixes, NULL);
}

static void binding_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(mob_binding_cache,
			container_of(head, struct mob_binding, rcu));
	atomic_dec(&mob_live_objects);
}

void mob_binding_free(struct mob_binding *b)
{
	call_rcu(&b->rcu, binding_free_rcu);
}

static int addr_cmp(const struct mob_addr *a, const struct mob_addr *b)
{
	return memcmp(a, b, sizeof(*a));
}

static void tree_insert(struct mob_net *mn, struct mob_binding *nb)
{
	struct rb_node **link = &mn->tree.rb_node, *parent = NULL;

	while (*link) {
		struct mob_binding *b;

		parent = *link;
		b = rb_entry(parent, struct mob_binding, tree_node);
		if (addr_cmp(&nb->c.hoa, &b->c.hoa) < 0)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&nb->tree_node, parent, link);
	rb_insert_color(&nb->tree_node, &mn->tree);
}

/* The first binding whose HoA sorts after @after (the first if NULL). */
struct mob_binding *mob_binding_next(struct mob_net *mn,
				     const struct mob_addr *after)
{
	struct rb_node *node = mn->tree.rb_node;
	struct mob_binding *best = NULL;

	lockdep_assert_held(&mn->lock);
	if (!after) {
		node = rb_first(&mn->tree);
		return node ? rb_entry(node, struct mob_binding, tree_node) :
			      NULL;
	}
	while (node) {
		struct mob_binding *b = rb_entry(node, struct mob_binding,
						 tree_node);

		if (addr_cmp(&b->c.hoa, after) > 0) {
			best = b;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return best;
}

struct mob_binding *mob_binding_find(struct mob_net *mn,
				     const struct mob_addr *hoa)
{
	return rhashtable_lookup_fast(&mn->by_hoa, hoa, mob_hoa_params);
}

/* The entry of by_moa with this MoA: a binding's core, or an alias's. */
static struct mob_bind_core *find_moa(struct mob_net *mn,
				      const struct mob_addr *moa)
{
	struct mob_binding *b = rhashtable_lookup_fast(&mn->by_moa, moa,
						       mob_moa_params);

	return b ? &b->c : NULL;
}

/*
 * Adds or replaces the binding of nb->hoa, as @flags (MOB_BINDING_F_*)
 * say.  On a replace, *@prev receives the old binding and *@replaced
 * is set.  If the MoA was an alias of the HoA, the binding takes its
 * place in by_moa (one replace, so a packet sees one or the other) and
 * *@alias receives it, unlinked, for the caller to announce and free.
 * Nothing changes on error.
 */
struct mob_binding *mob_binding_set(struct mob_net *mn,
				    const struct mob_bind_core *nb,
				    u32 flags, struct mob_bind_core *prev,
				    bool *replaced, struct mob_alias **alias,
				    struct netlink_ext_ack *extack)
{
	struct mob_binding *old, *b;
	struct mob_alias *al = NULL;
	struct mob_bind_core *other;
	int err, i;

	lockdep_assert_held(&mn->lock);
	*replaced = false;
	*alias = NULL;
	old = mob_binding_find(mn, &nb->hoa);
	if (old && !(flags & MOB_BINDING_F_REPLACE)) {
		NL_SET_ERR_MSG(extack, "HoA is already bound");
		return ERR_PTR(-EEXIST);
	}
	if (!old && flags & MOB_BINDING_F_NOCREATE) {
		NL_SET_ERR_MSG(extack, "HoA is not bound");
		return ERR_PTR(-ENOENT);
	}
	if (mob_in_prefixes(rcu_dereference_protected(mn->prefixes,
				lockdep_is_held(&mn->lock)), &nb->moa)) {
		NL_SET_ERR_MSG(extack, "MoA lies inside a home prefix");
		return ERR_PTR(-EINVAL);
	}
	other = find_moa(mn, &nb->moa);
	if (other && other->kind == MOB_KIND_ALIAS) {
		if (!mob_addr_eq(&other->hoa, &nb->hoa)) {
			NL_SET_ERR_MSG(extack, "MoA is an alias of another HoA");
			return ERR_PTR(-EEXIST);
		}
		al = mob_alias_of(other);
	} else if (other && (!old || other != &old->c)) {
		NL_SET_ERR_MSG(extack, "MoA is already bound to another HoA");
		return ERR_PTR(-EEXIST);
	}
	if (mob_binding_find(mn, &nb->moa)) {
		NL_SET_ERR_MSG(extack, "MoA is the HoA of another binding");
		return ERR_PTR(-EINVAL);
	}
	other = find_moa(mn, &nb->hoa);
	if (other && other->kind == MOB_KIND_ALIAS) {
		NL_SET_ERR_MSG(extack, "HoA is an alias");
		return ERR_PTR(-EINVAL);
	}
	if (other && (!old || other != &old->c)) {
		NL_SET_ERR_MSG(extack, "HoA is the MoA of another binding");
		return ERR_PTR(-EINVAL);
	}
	err = mob_alias_check_binding(mn, nb, extack);
	if (err)
		return ERR_PTR(err);
	if (!old && mn->n_kind[MOB_KIND_LOCAL] + mn->n_kind[MOB_KIND_REMOTE] >=
		    mn->max_bindings) {
		NL_SET_ERR_MSG(extack, "Binding table is full (see max-bindings)");
		return ERR_PTR(-ENOSPC);
	}

	b = kmem_cache_zalloc(mob_binding_cache, GFP_KERNEL_ACCOUNT);
	if (!b) {
		NL_SET_ERR_MSG(extack, "Out of memory for a binding");
		return ERR_PTR(-ENOMEM);
	}
	atomic_inc(&mob_live_objects);
	b->c = *nb;
	if (old) {
		/* Counts a packet makes on the old object during the swap
		 * are lost; everything before it carries over. */
		for (i = 0; i < MOB_DIR_NR; i++) {
			atomic64_set(&b->packets[i],
				     atomic64_read(&old->packets[i]));
			atomic64_set(&b->bytes[i], atomic64_read(&old->bytes[i]));
		}
		b->last_used = READ_ONCE(old->last_used);
	}

	if (al) {
		err = rhashtable_replace_fast(&mn->by_moa, &al->moa_node,
					      &b->moa_node, mob_moa_params);
	} else if (old && !addr_cmp(&old->c.moa, &nb->moa)) {
		err = rhashtable_replace_fast(&mn->by_moa, &old->moa_node,
					      &b->moa_node, mob_moa_params);
	} else {
		err = rhashtable_insert_fast(&mn->by_moa, &b->moa_node,
					     mob_moa_params);
	}
	if (err)
		goto fail;

	if (old) {
		/* Cannot fail: old is in the table and has the same key. */
		WARN_ON(rhashtable_replace_fast(&mn->by_hoa, &old->hoa_node,
						&b->hoa_node, mob_hoa_params));
		if (addr_cmp(&old->c.moa, &nb->moa))
			rhashtable_remove_fast(&mn->by_moa, &old->moa_node,
					       mob_moa_params);
		rb_replace_node(&old->tree_node, &b->tree_node, &mn->tree);
		mn->n_kind[old->c.kind]--;
		*prev = old->c;
		*replaced = true;
		mob_binding_free(old);
	} else {
		err = rhashtable_insert_fast(&mn->by_hoa, &b->hoa_node,
					     mob_hoa_params);
		if (err) {
			/* Already visible by MoA: readers may hold it. */
			if (al)
				WARN_ON(rhashtable_replace_fast(&mn->by_moa,
						&b->moa_node, &al->moa_node,
						mob_moa_params));
			else
				rhashtable_remove_fast(&mn->by_moa,
						       &b->moa_node,
						       mob_moa_params);
			NL_SET_ERR_MSG(extack,
				       "Could not insert into the binding table");
			mob_binding_free(b);
			return ERR_PTR(err);
		}
		tree_insert(mn, b);
	}
	mn->n_kind[nb->kind]++;
	mob_gen_bump(mn);
	if (al) {
		/* Out of by_moa already: only the trees still hold it. */
		rb_erase(&al->tree_node, &mn->aliases);
		if (al->timeout_ms)
			rb_erase(&al->exp_node, &mn->alias_exp);
		mn->n_aliases--;
		mob_alias_gen_bump(mn);
		*alias = al;
	}
	return b;

fail:
	NL_SET_ERR_MSG(extack, "Could not insert into the binding table");
	/* Never published: no reader can hold it. */
	kmem_cache_free(mob_binding_cache, b);
	atomic_dec(&mob_live_objects);
	return ERR_PTR(err);
}

static void unlink_binding(struct mob_net *mn, struct mob_binding *b)
{
	rhashtable_remove_fast(&mn->by_hoa, &b->hoa_node, mob_hoa_params);
	rhashtable_remove_fast(&mn->by_moa, &b->moa_node, mob_moa_params);
	rb_erase(&b->tree_node, &mn->tree);
	mn->n_kind[b->c.kind]--;
	mob_gen_bump(mn);
}

/* Unlinks the binding of @hoa; the caller frees it with mob_binding_free. */
struct mob_binding *mob_binding_del(struct mob_net *mn,
				    const struct mob_addr *hoa,
				    struct netlink_ext_ack *extack)
{
	struct mob_binding *b;

	lockdep_assert_held(&mn->lock);
	b = mob_binding_find(mn, hoa);
	if (!b) {
		NL_SET_ERR_MSG(extack, "HoA is not bound");
		return ERR_PTR(-ENOENT);
	}
	unlink_binding(mn, b);
	return b;
}

/* Deletes every binding of @kind (all if MOB_KIND_UNSPEC); returns how many. */
u32 mob_binding_flush(struct mob_net *mn, u8 kind)
{
	struct rb_node *node = rb_first(&mn->tree);
	u32 n = 0;

	lockdep_assert_held(&mn->lock);
	while (node) {
		struct mob_binding *b = rb_entry(node, struct mob_binding,
						 tree_node);

		node = rb_next(node);
		if (kind && b->c.kind != kind)
			continue;
		unlink_binding(mn, b);
		mob_binding_free(b);
		if (!(++n % 1024))
			cond_resched();
	}
	return n;
}

/*
 * The port of local bindings was deleted (or left the namespace): such a
 * binding now matches no packet from its VM until it is replaced, so a new
 * device that happens to get the same index cannot speak for the VM.
 */
void mob_port_gone(struct mob_net *mn, int ifindex)
{
	struct mob_binding *b;

	lockdep_assert_held(&mn->lock);
	for (b = mob_binding_next(mn, NULL); b; b = mob_binding_after(b))
		if (b->c.ifindex == ifindex)
			WRITE_ONCE(b->c.ifindex, MOB_PORT_GONE);
}

bool mob_prefix_make(struct mob_prefix *pfx, const struct mob_addr *a, u8 len)
{
	unsigned int i, bits = len;

	memset(pfx, 0, sizeof(*pfx));
	pfx->len = len;
	pfx->net.family = a->family;
	pfx->mask.family = a->family;
	if (a->family == AF_INET) {
		pfx->mask.ip = len ? htonl(~0U << (32 - len)) : 0;
		pfx->net.ip = a->ip & pfx->mask.ip;
		return pfx->net.ip == a->ip;
	}
	for (i = 0; i < 16; i++, bits = bits > 8 ? bits - 8 : 0)
		pfx->mask.ip6.s6_addr[i] = bits >= 8 ? 0xff :
					   (u8)(0xff00 >> bits);
	for (i = 0; i < 4; i++)
		pfx->net.ip6.s6_addr32[i] = a->ip6.s6_addr32[i] &
					    pfx->mask.ip6.s6_addr32[i];
	return !memcmp(&pfx->net.ip6, &a->ip6, 16);
}

static int prefix_find(const struct mob_prefixes *pf,
		       const struct mob_prefix *np)
{
	unsigned int i;

	for (i = 0; pf && i < pf->n; i++)
		if (pf->p[i].len == np->len &&
		    !addr_cmp(&pf->p[i].net, &np->net))
			return i;
	return -1;
}

static void prefixes_publish(struct mob_net *mn, struct mob_prefixes *old,
			     struct mob_prefixes *pf)
{
	rcu_assign_pointer(mn->prefixes, pf);
	mob_gen_bump(mn);
	if (old) {
		kfree_rcu(old, rcu);
		atomic_dec(&mob_live_objects);
	}
}

int mob_prefix_add(struct mob_net *mn, const struct mob_prefix *np,
		   struct netlink_ext_ack *extack)
{
	struct mob_prefixes *old, *pf;
	struct mob_binding *b;
	unsigned int n;
	int err;

	old = rcu_dereference_protected(mn->prefixes,
					lockdep_is_held(&mn->lock));
	if (prefix_find(old, np) >= 0) {
		NL_SET_ERR_MSG(extack, "Home prefix already present");
		return -EEXIST;
	}
	n = old ? old->n : 0;
	if (n >= MOB_PREFIXES_MAX) {
		NL_SET_ERR_MSG(extack, "Too many home prefixes");
		return -ENOSPC;
	}
	for (b = mob_binding_next(mn, NULL); b; b = mob_binding_after(b)) {
		if (mob_prefix_match(np, &b->c.moa)) {
			NL_SET_ERR_MSG(extack,
				       "Home prefix contains the MoA of a binding");
			return -EINVAL;
		}
	}
	err = mob_alias_check_prefix(mn, np, extack);
	if (err)
		return err;
	pf = kmalloc(struct_size(pf, p, n + 1), GFP_KERNEL_ACCOUNT);
	if (!pf)
		return -ENOMEM;
	atomic_inc(&mob_live_objects);
	pf->n = n + 1;
	if (n)
		memcpy(pf->p, old->p, n * sizeof(pf->p[0]));
	pf->p[n] = *np;
	prefixes_publish(mn, old, pf);
	return 0;
}

int mob_prefix_del(struct mob_net *mn, const struct mob_prefix *np,
		   struct netlink_ext_ack *extack)
{
	struct mob_prefixes *old, *pf = NULL;
	int i;

	old = rcu_dereference_protected(mn->prefixes,
					lockdep_is_held(&mn->lock));
	i = prefix_find(old, np);
	if (i < 0) {
		NL_SET_ERR_MSG(extack, "Home prefix not present");
		return -ENOENT;
	}
	if (old->n > 1) {
		pf = kmalloc(struct_size(pf, p, old->n - 1),
			     GFP_KERNEL_ACCOUNT);
		if (!pf)
			return -ENOMEM;
		atomic_inc(&mob_live_objects);
		pf->n = old->n - 1;
		memcpy(pf->p, old->p, i * sizeof(pf->p[0]));
		memcpy(pf->p + i, old->p + i + 1,
		       (old->n - i - 1) * sizeof(pf->p[0]));
	}
	prefixes_publish(mn, old, pf);
	return 0;
}
