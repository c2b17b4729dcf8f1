// SPDX-License-Identifier: GPL-2.0
/*
 * Aliases: more MoAs for a HoA, for a while around a migration (the
 * peers' pre-learned next MoA, the old hypervisor's forwarding entry).
 *
 * An alias is published in by_moa next to the bindings, so the packet
 * path finds it with the lookup it makes anyway; that is why struct
 * mob_alias begins like struct mob_binding.  Two rbtrees, touched only
 * under mn->lock, order the aliases by MoA (for dumps) and, those with a
 * timeout, by expiry: a per-namespace delayed work deletes them when their
 * time is up, armed for the earliest, so expiry needs no agent.  Like a
 * binding, an alias is never changed in place: a replace publishes a new
 * object and frees the old after a grace period.
 *
 * The rules that keep the roles of addresses apart (uapi/linux/mob.h) that
 * no table lookup can check are checked by walking the aliases; there are
 * few of them, each for the duration of a migration.
 */
#include <linux/slab.h>

#include "mob.h"
#include "table.h"

#define for_each_alias(al, mn)						\
	for (al = rb_entry_safe(rb_first(&(mn)->aliases),		\
				struct mob_alias, tree_node);		\
	     al;							\
	     al = rb_entry_safe(rb_next(&al->tree_node),		\
				struct mob_alias, tree_node))

static void gc_work(struct work_struct *work);

void mob_alias_init(struct mob_net *mn)
{
	/* by_moa's parameters are a binding's: an alias must match them. */
	BUILD_BUG_ON(offsetof(struct mob_alias, moa_node) !=
		     offsetof(struct mob_binding, moa_node));
	BUILD_BUG_ON(offsetof(struct mob_alias, a.c) !=
		     offsetof(struct mob_binding, c));
	BUILD_BUG_ON(offsetof(struct mob_alias_core, c));

	mn->aliases = RB_ROOT;
	mn->alias_exp = RB_ROOT;
	mn->alias_gen = 1;
	INIT_DELAYED_WORK(&mn->alias_gc, gc_work);
}

/*
 * Namespace exit, after by_moa is destroyed and a grace period has passed
 * since the hooks went; the expiry work was cancelled in pre_exit.
 */
void mob_alias_destroy(struct mob_net *mn)
{
	struct mob_alias *al, *tmp;

	rbtree_postorder_for_each_entry_safe(al, tmp, &mn->aliases, tree_node) {
		kfree(al);
		atomic_dec(&mob_live_objects);
	}
	mn->aliases = RB_ROOT;
	mn->alias_exp = RB_ROOT;
	mn->n_aliases = 0;
}

static void alias_free_rcu(struct rcu_head *head)
{
	kfree(container_of(head, struct mob_alias, rcu));
	atomic_dec(&mob_live_objects);
}

void mob_alias_free(struct mob_alias *al)
{
	call_rcu(&al->rcu, alias_free_rcu);
}

static int addr_cmp(const struct mob_addr *a, const struct mob_addr *b)
{
	return memcmp(a, b, sizeof(*a));
}

static bool moa_less(struct rb_node *a, const struct rb_node *b)
{
	return addr_cmp(&rb_entry(a, struct mob_alias, tree_node)->a.c.moa,
			&rb_entry(b, struct mob_alias, tree_node)->a.c.moa) < 0;
}

static bool exp_less(struct rb_node *a, const struct rb_node *b)
{
	return time_before(rb_entry(a, struct mob_alias, exp_node)->expires,
			   rb_entry(b, struct mob_alias, exp_node)->expires);
}

/* Any entry of by_moa with this MoA: a binding's core or an alias's. */
static struct mob_bind_core *find_moa(struct mob_net *mn,
				      const struct mob_addr *moa)
{
	struct mob_binding *b = rhashtable_lookup_fast(&mn->by_moa, moa,
						       mob_moa_params);

	return b ? &b->c : NULL;
}

struct mob_alias *mob_alias_find(struct mob_net *mn,
				 const struct mob_addr *moa)
{
	struct mob_bind_core *c = find_moa(mn, moa);

	return c && c->kind == MOB_KIND_ALIAS ? mob_alias_of(c) : NULL;
}

/* The first alias whose MoA sorts after @after (the first if NULL). */
struct mob_alias *mob_alias_next(struct mob_net *mn,
				 const struct mob_addr *after)
{
	struct rb_node *node = mn->aliases.rb_node;
	struct mob_alias *best = NULL;

	lockdep_assert_held(&mn->lock);
	if (!after)
		return rb_entry_safe(rb_first(&mn->aliases), struct mob_alias,
				     tree_node);
	while (node) {
		struct mob_alias *al = rb_entry(node, struct mob_alias,
						tree_node);

		if (addr_cmp(&al->a.c.moa, after) > 0) {
			best = al;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return best;
}

/* The aliases' part of the checks of a new binding (mob_binding_set). */
int mob_alias_check_binding(struct mob_net *mn, const struct mob_bind_core *nb,
			    struct netlink_ext_ack *extack)
{
	struct mob_alias *al;

	lockdep_assert_held(&mn->lock);
	for_each_alias(al, mn) {
		if (mob_addr_eq(&al->a.c.hoa, &nb->moa)) {
			NL_SET_ERR_MSG(extack, "MoA is the HoA of an alias");
			return -EINVAL;
		}
		if (mob_addr_eq(&al->a.target, &nb->hoa)) {
			NL_SET_ERR_MSG(extack, "HoA is the target of an alias");
			return -EINVAL;
		}
	}
	return 0;
}

/* ... and of a new home prefix (mob_prefix_add). */
int mob_alias_check_prefix(struct mob_net *mn, const struct mob_prefix *np,
			   struct netlink_ext_ack *extack)
{
	struct mob_alias *al;

	lockdep_assert_held(&mn->lock);
	for_each_alias(al, mn) {
		if (mob_prefix_match(np, &al->a.c.moa)) {
			NL_SET_ERR_MSG(extack, "Home prefix contains an alias");
			return -EINVAL;
		}
		if (mob_prefix_match(np, &al->a.target)) {
			NL_SET_ERR_MSG(extack,
				       "Home prefix contains the target of an alias");
			return -EINVAL;
		}
	}
	return 0;
}

u32 mob_alias_expires_ms(const struct mob_alias *al)
{
	unsigned long now = jiffies;

	if (!time_after(al->expires, now))
		return 0;
	return jiffies_to_msecs(al->expires - now);
}

/* Arms the expiry work for the earliest alias to expire, if any. */
static void gc_arm(struct mob_net *mn)
{
	struct mob_alias *al;
	unsigned long now = jiffies;

	al = rb_entry_safe(rb_first(&mn->alias_exp), struct mob_alias,
			   exp_node);
	if (!al || READ_ONCE(mn->dying))
		return;
	mod_delayed_work(system_wq, &mn->alias_gc,
			 time_after(al->expires, now) ? al->expires - now : 0);
}

static void gc_work(struct work_struct *work)
{
	struct mob_net *mn = container_of(to_delayed_work(work),
					  struct mob_net, alias_gc);
	struct mob_alias *al;

	mutex_lock(&mn->lock);
	while ((al = rb_entry_safe(rb_first(&mn->alias_exp),
				   struct mob_alias, exp_node)) &&
	       !time_after(al->expires, jiffies)) {
		mob_alias_unlink(mn, al);
		mob_notify_alias(mn, MOB_CMD_ALIAS_DEL, al);
		mob_alias_free(al);
	}
	gc_arm(mn);
	mutex_unlock(&mn->lock);
}

/*
 * The checks of a new alias against the table (the request itself was
 * checked by netlink.c): @old is the alias it replaces, if any.
 */
static int alias_check(struct mob_net *mn, const struct mob_alias_core *na,
		       const struct mob_alias *old,
		       struct netlink_ext_ack *extack)
{
	const struct mob_prefixes *pf;
	struct mob_bind_core *c;
	struct mob_alias *al;

	pf = rcu_dereference_protected(mn->prefixes,
				       lockdep_is_held(&mn->lock));
	if (mob_binding_find(mn, &na->c.moa)) {
		NL_SET_ERR_MSG(extack, "Alias is the HoA of a binding");
		return -EEXIST;
	}
	if (mob_in_prefixes(pf, &na->c.moa)) {
		NL_SET_ERR_MSG(extack, "Alias lies inside a home prefix");
		return -EINVAL;
	}
	c = find_moa(mn, &na->c.hoa);
	if (c) {
		if (c->kind == MOB_KIND_ALIAS)
			NL_SET_ERR_MSG(extack, "HoA is an alias");
		else
			NL_SET_ERR_MSG(extack, "HoA is the MoA of a binding");
		return -EINVAL;
	}
	if (na->target.family) {
		if (mob_addr_eq(&na->target, &na->c.hoa) ||
		    mob_in_prefixes(pf, &na->target) ||
		    mob_binding_find(mn, &na->target)) {
			NL_SET_ERR_MSG(extack, "Target is a home address");
			return -EINVAL;
		}
		c = find_moa(mn, &na->target);
		if (c && c->kind == MOB_KIND_ALIAS) {
			NL_SET_ERR_MSG(extack, "Target is an alias itself");
			return -EINVAL;
		}
	}
	for_each_alias(al, mn) {
		if (al == old)
			continue;
		if (mob_addr_eq(&al->a.c.hoa, &na->c.moa)) {
			NL_SET_ERR_MSG(extack, "Alias is the HoA of another alias");
			return -EEXIST;
		}
		if (mob_addr_eq(&al->a.target, &na->c.moa)) {
			NL_SET_ERR_MSG(extack, "Alias is the target of another alias");
			return -EINVAL;
		}
		if (mob_addr_eq(&al->a.target, &na->c.hoa)) {
			NL_SET_ERR_MSG(extack, "HoA is the target of an alias");
			return -EINVAL;
		}
		if (na->target.family &&
		    mob_addr_eq(&al->a.c.hoa, &na->target)) {
			NL_SET_ERR_MSG(extack, "Target is a home address");
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Adds the alias @na, or replaces the one with its MoA (its counter
 * carries over).  Nothing changes on error.
 */
struct mob_alias *mob_alias_set(struct mob_net *mn,
				const struct mob_alias_core *na, u32 timeout_ms,
				struct netlink_ext_ack *extack)
{
	struct mob_alias *old = NULL, *al;
	struct mob_bind_core *c;
	int err;

	lockdep_assert_held(&mn->lock);
	c = find_moa(mn, &na->c.moa);
	if (c && c->kind != MOB_KIND_ALIAS) {
		NL_SET_ERR_MSG(extack, "Alias is the MoA of a binding");
		return ERR_PTR(-EEXIST);
	}
	if (c)
		old = mob_alias_of(c);
	err = alias_check(mn, na, old, extack);
	if (err)
		return ERR_PTR(err);
	if (!old && mn->n_aliases >= mn->max_bindings) {
		NL_SET_ERR_MSG(extack, "Alias table is full (see max-bindings)");
		return ERR_PTR(-ENOSPC);
	}

	al = kzalloc(sizeof(*al), GFP_KERNEL_ACCOUNT);
	if (!al) {
		NL_SET_ERR_MSG(extack, "Out of memory for an alias");
		return ERR_PTR(-ENOMEM);
	}
	al->a = *na;
	al->a.c.kind = MOB_KIND_ALIAS;
	al->timeout_ms = timeout_ms;
	if (timeout_ms)
		al->expires = jiffies + msecs_to_jiffies(timeout_ms);

	if (old) {
		/* Cannot fail: old is in the table under the same key. */
		WARN_ON(rhashtable_replace_fast(&mn->by_moa, &old->moa_node,
						&al->moa_node, mob_moa_params));
		atomic64_set(&al->packets, atomic64_read(&old->packets));
		rb_replace_node(&old->tree_node, &al->tree_node, &mn->aliases);
		if (old->timeout_ms)
			rb_erase(&old->exp_node, &mn->alias_exp);
		mob_alias_free(old);
	} else {
		err = rhashtable_insert_fast(&mn->by_moa, &al->moa_node,
					     mob_moa_params);
		if (err) {
			NL_SET_ERR_MSG(extack, "Could not insert into the alias table");
			kfree(al);	/* never published */
			return ERR_PTR(err);
		}
		rb_add(&al->tree_node, &mn->aliases, moa_less);
		mn->n_aliases++;
	}
	atomic_inc(&mob_live_objects);
	if (timeout_ms) {
		rb_add(&al->exp_node, &mn->alias_exp, exp_less);
		gc_arm(mn);
	}
	mob_alias_gen_bump(mn);
	return al;
}

/* Takes @al out of every table; the caller frees it with mob_alias_free. */
void mob_alias_unlink(struct mob_net *mn, struct mob_alias *al)
{
	lockdep_assert_held(&mn->lock);
	rhashtable_remove_fast(&mn->by_moa, &al->moa_node, mob_moa_params);
	rb_erase(&al->tree_node, &mn->aliases);
	if (al->timeout_ms)
		rb_erase(&al->exp_node, &mn->alias_exp);
	mn->n_aliases--;
	mob_alias_gen_bump(mn);
}

struct mob_alias *mob_alias_del(struct mob_net *mn, const struct mob_addr *moa,
				struct netlink_ext_ack *extack)
{
	struct mob_alias *al;

	lockdep_assert_held(&mn->lock);
	al = mob_alias_find(mn, moa);
	if (!al) {
		NL_SET_ERR_MSG(extack, "No such alias");
		return ERR_PTR(-ENOENT);
	}
	mob_alias_unlink(mn, al);
	return al;
}

void mob_alias_flush(struct mob_net *mn)
{
	struct mob_alias *al;
	u32 n = 0;

	lockdep_assert_held(&mn->lock);
	while ((al = rb_entry_safe(rb_first(&mn->aliases), struct mob_alias,
				   tree_node))) {
		mob_alias_unlink(mn, al);
		mob_alias_free(al);
		if (!(++n % 1024))
			cond_resched();
	}
}
