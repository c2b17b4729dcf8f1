// SPDX-License-Identifier: GPL-2.0
/*
 * The "mob" generic netlink family; the contract is documented in
 * uapi/linux/mob.h.  Every request is validated against a policy of its
 * own command, so an attribute a command does not take is an error, not
 * something silently ignored.
 */
#include <linux/netdevice.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "mob.h"
#include "compat.h"

static const struct nla_policy binding_new_policy[MOB_BINDING_A_MAX + 1] = {
	[MOB_BINDING_A_HOA4] = NLA_POLICY_EXACT_LEN(4),
	[MOB_BINDING_A_HOA6] = NLA_POLICY_EXACT_LEN(16),
	[MOB_BINDING_A_MOA4] = NLA_POLICY_EXACT_LEN(4),
	[MOB_BINDING_A_MOA6] = NLA_POLICY_EXACT_LEN(16),
	[MOB_BINDING_A_KIND] = NLA_POLICY_RANGE(NLA_U8, MOB_KIND_LOCAL,
						MOB_KIND_MAX),
	[MOB_BINDING_A_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	/* Checked by hand: unknown bits are -EOPNOTSUPP, not -EINVAL. */
	[MOB_BINDING_A_FLAGS] = { .type = NLA_U32 },
};

/* DEL takes the key only; GET the key, or a kind to filter a dump. */
static const struct nla_policy binding_key_policy[MOB_BINDING_A_MAX + 1] = {
	[MOB_BINDING_A_HOA4] = NLA_POLICY_EXACT_LEN(4),
	[MOB_BINDING_A_HOA6] = NLA_POLICY_EXACT_LEN(16),
};

static const struct nla_policy binding_get_policy[MOB_BINDING_A_MAX + 1] = {
	[MOB_BINDING_A_HOA4] = NLA_POLICY_EXACT_LEN(4),
	[MOB_BINDING_A_HOA6] = NLA_POLICY_EXACT_LEN(16),
	[MOB_BINDING_A_KIND] = NLA_POLICY_RANGE(NLA_U8, MOB_KIND_LOCAL,
						MOB_KIND_MAX),
};

static const struct nla_policy binding_kind_policy[MOB_BINDING_A_MAX + 1] = {
	[MOB_BINDING_A_KIND] = NLA_POLICY_RANGE(NLA_U8, MOB_KIND_LOCAL,
						MOB_KIND_MAX),
};

static const struct nla_policy prefix_policy[MOB_PREFIX_A_MAX + 1] = {
	[MOB_PREFIX_A_ADDR4] = NLA_POLICY_EXACT_LEN(4),
	[MOB_PREFIX_A_ADDR6] = NLA_POLICY_EXACT_LEN(16),
	[MOB_PREFIX_A_LEN] = NLA_POLICY_MAX(NLA_U8, 128),
};

/* Not const: 6.1's NLA_POLICY_FULL_RANGE takes a plain pointer. */
static struct netlink_range_validation max_bindings_range = {
	.min = 1,
	.max = MOB_BINDINGS_LIMIT,
};

static const struct nla_policy config_policy[MOB_CONFIG_A_MAX + 1] = {
	[MOB_CONFIG_A_MAX_BINDINGS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &max_bindings_range),
};

static struct netlink_range_validation alias_timeout_range = {
	.min = 1,
	.max = MOB_ALIAS_TIMEOUT_MAX,
};

static const struct nla_policy alias_new_policy[MOB_ALIAS_A_MAX + 1] = {
	[MOB_ALIAS_A_MOA4] = NLA_POLICY_EXACT_LEN(4),
	[MOB_ALIAS_A_MOA6] = NLA_POLICY_EXACT_LEN(16),
	[MOB_ALIAS_A_HOA4] = NLA_POLICY_EXACT_LEN(4),
	[MOB_ALIAS_A_HOA6] = NLA_POLICY_EXACT_LEN(16),
	[MOB_ALIAS_A_TARGET4] = NLA_POLICY_EXACT_LEN(4),
	[MOB_ALIAS_A_TARGET6] = NLA_POLICY_EXACT_LEN(16),
	[MOB_ALIAS_A_TIMEOUT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &alias_timeout_range),
};

/* DEL and GET name the alias alone. */
static const struct nla_policy alias_key_policy[MOB_ALIAS_A_MAX + 1] = {
	[MOB_ALIAS_A_MOA4] = NLA_POLICY_EXACT_LEN(4),
	[MOB_ALIAS_A_MOA6] = NLA_POLICY_EXACT_LEN(16),
};

static const struct nla_policy new_policy[MOB_A_MAX + 1] = {
	[MOB_A_BINDING] = NLA_POLICY_NESTED(binding_new_policy),
};

static const struct nla_policy del_policy[MOB_A_MAX + 1] = {
	[MOB_A_BINDING] = NLA_POLICY_NESTED(binding_key_policy),
};

static const struct nla_policy get_policy[MOB_A_MAX + 1] = {
	[MOB_A_BINDING] = NLA_POLICY_NESTED(binding_get_policy),
};

static const struct nla_policy flush_policy[MOB_A_MAX + 1] = {
	[MOB_A_BINDING] = NLA_POLICY_NESTED(binding_kind_policy),
};

static const struct nla_policy prefix_top_policy[MOB_A_MAX + 1] = {
	[MOB_A_PREFIX] = NLA_POLICY_NESTED(prefix_policy),
};

static const struct nla_policy config_top_policy[MOB_A_MAX + 1] = {
	[MOB_A_CONFIG] = NLA_POLICY_NESTED(config_policy),
};

static const struct nla_policy alias_new_top_policy[MOB_A_MAX + 1] = {
	[MOB_A_ALIAS] = NLA_POLICY_NESTED(alias_new_policy),
};

static const struct nla_policy alias_key_top_policy[MOB_A_MAX + 1] = {
	[MOB_A_ALIAS] = NLA_POLICY_NESTED(alias_key_policy),
};

/* Commands that take no attributes at all. */
static const struct nla_policy empty_policy[MOB_A_MAX + 1] = {};

static struct mob_net *info_net(struct genl_info *info)
{
	return mob_pernet(genl_info_net(info));
}

/* What an address attribute is, for the messages about it. */
enum addr_role { ADDR_HOA, ADDR_MOA, ADDR_ALIAS, ADDR_TARGET };

/*
 * Reads the address given as exactly one of @a4 / @a6.  Returns -ENOENT
 * when neither is there, so callers decide whether that is an error.
 */
static int get_addr(struct nlattr **tb, int a4, int a6, enum addr_role role,
		    struct mob_addr *a, struct netlink_ext_ack *extack)
{
	struct nlattr *attr;

	memset(a, 0, sizeof(*a));
	if (tb[a4] && tb[a6]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[a6],
				    "Give an IPv4 or an IPv6 address, not both");
		return -EINVAL;
	}
	if (tb[a4]) {
		a->family = AF_INET;
		a->ip = nla_get_in_addr(tb[a4]);
	} else if (tb[a6]) {
		a->family = AF_INET6;
		a->ip6 = nla_get_in6_addr(tb[a6]);
	} else {
		return -ENOENT;
	}
	if (mob_addr_usable(a))
		return 0;
	attr = tb[a4] ?: tb[a6];
	switch (role) {
	case ADDR_HOA:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "HoA must be a global unicast address");
		break;
	case ADDR_MOA:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "MoA must be a global unicast address");
		break;
	case ADDR_ALIAS:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "Alias must be a global unicast address");
		break;
	case ADDR_TARGET:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "Target must be a global unicast address");
		break;
	}
	return -EINVAL;
}

static int parse_nest(struct nlattr **tb, int maxtype, struct genl_info *info,
		      int attr, const struct nla_policy *policy, bool required)
{
	if (!info->attrs[attr]) {
		if (!required) {
			memset(tb, 0, sizeof(*tb) * (maxtype + 1));
			return 0;
		}
		NL_SET_ERR_ATTR_MISS(info->extack, NULL, attr);
		NL_SET_ERR_MSG(info->extack, "Missing attribute nest");
		return -EINVAL;
	}
	return nla_parse_nested(tb, maxtype, info->attrs[attr], policy,
				info->extack);
}

static int get_hoa(struct nlattr **tb, struct genl_info *info,
		   struct mob_addr *hoa)
{
	int err = get_addr(tb, MOB_BINDING_A_HOA4, MOB_BINDING_A_HOA6,
			   ADDR_HOA, hoa, info->extack);

	if (err == -ENOENT) {
		NL_SET_ERR_ATTR_MISS(info->extack, info->attrs[MOB_A_BINDING],
				     MOB_BINDING_A_HOA4);
		NL_SET_ERR_MSG(info->extack, "HoA is required");
		return -EINVAL;
	}
	return err;
}

static int fill_binding(struct sk_buff *skb, const struct mob_binding *b,
			const struct mob_bind_core *prev)
{
	unsigned long last = READ_ONCE(b->last_used);
	struct nlattr *nest, *stats;
	bool used = atomic64_read(&b->packets[MOB_DIR_IN]) ||
		    atomic64_read(&b->packets[MOB_DIR_OUT]);
	int port = READ_ONCE(b->c.ifindex);

	nest = nla_nest_start(skb, MOB_A_BINDING);
	if (!nest)
		return -EMSGSIZE;
	if (mob_nl_put_addr(skb, MOB_BINDING_A_HOA4, MOB_BINDING_A_HOA6,
			    &b->c.hoa) ||
	    mob_nl_put_addr(skb, MOB_BINDING_A_MOA4, MOB_BINDING_A_MOA6,
			    &b->c.moa) ||
	    nla_put_u8(skb, MOB_BINDING_A_KIND, b->c.kind) ||
	    (port > 0 && nla_put_u32(skb, MOB_BINDING_A_IFINDEX, port)))
		goto cancel;
	if (prev &&
	    (mob_nl_put_addr(skb, MOB_BINDING_A_PREV_MOA4,
			     MOB_BINDING_A_PREV_MOA6, &prev->moa) ||
	     nla_put_u8(skb, MOB_BINDING_A_PREV_KIND, prev->kind)))
		goto cancel;

	stats = nla_nest_start(skb, MOB_BINDING_A_STATS);
	if (!stats ||
	    nla_put_u64_64bit(skb, MOB_BINDING_STATS_A_PACKETS_IN,
			      atomic64_read(&b->packets[MOB_DIR_IN]),
			      MOB_BINDING_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MOB_BINDING_STATS_A_BYTES_IN,
			      atomic64_read(&b->bytes[MOB_DIR_IN]),
			      MOB_BINDING_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MOB_BINDING_STATS_A_PACKETS_OUT,
			      atomic64_read(&b->packets[MOB_DIR_OUT]),
			      MOB_BINDING_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, MOB_BINDING_STATS_A_BYTES_OUT,
			      atomic64_read(&b->bytes[MOB_DIR_OUT]),
			      MOB_BINDING_STATS_A_PAD) ||
	    (used && nla_put_u64_64bit(skb, MOB_BINDING_STATS_A_IDLE_MSEC,
				       jiffies64_to_msecs(jiffies - last),
				       MOB_BINDING_STATS_A_PAD)))
		goto cancel;
	nla_nest_end(skb, stats);
	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int fill_alias(struct sk_buff *skb, const struct mob_alias *al)
{
	struct nlattr *nest = nla_nest_start(skb, MOB_A_ALIAS);

	if (!nest)
		return -EMSGSIZE;
	if (mob_nl_put_addr(skb, MOB_ALIAS_A_MOA4, MOB_ALIAS_A_MOA6,
			    &al->a.c.moa) ||
	    mob_nl_put_addr(skb, MOB_ALIAS_A_HOA4, MOB_ALIAS_A_HOA6,
			    &al->a.c.hoa) ||
	    (al->a.target.family &&
	     mob_nl_put_addr(skb, MOB_ALIAS_A_TARGET4, MOB_ALIAS_A_TARGET6,
			     &al->a.target)) ||
	    (al->timeout_ms &&
	     (nla_put_u32(skb, MOB_ALIAS_A_TIMEOUT, al->timeout_ms) ||
	      nla_put_u32(skb, MOB_ALIAS_A_EXPIRES,
			  mob_alias_expires_ms(al)))) ||
	    nla_put_u64_64bit(skb, MOB_ALIAS_A_PACKETS,
			      atomic64_read(&al->packets), MOB_ALIAS_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * Tells the "events" group about a change; under mn->lock, so in order.
 * Not only netlink requests change things: the aliases' expiry work does
 * too, and nothing keeps it from running while the module unloads but
 * this: it sends only under RCU, having seen mob_unloading clear, and
 * mob_exit() waits a grace period after setting it.
 */
static void notify(struct mob_net *mn, u8 cmd, const struct mob_binding *b,
		   const struct mob_bind_core *prev, const struct mob_prefix *pfx,
		   u8 kind, const struct mob_alias *al)
{
	struct sk_buff *skb;
	struct nlattr *nest;
	void *hdr;

	if (READ_ONCE(mob_unloading) ||
	    !genl_has_listeners(&mob_genl_family, mn->net, 0))
		return;
	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!skb)
		goto fail;
	hdr = genlmsg_put(skb, 0, 0, &mob_genl_family, 0, cmd);
	if (!hdr)
		goto nla_failure;
	if (b && fill_binding(skb, b, prev))
		goto nla_failure;
	if (pfx) {
		nest = nla_nest_start(skb, MOB_A_PREFIX);
		if (!nest || mob_nl_put_addr(skb, MOB_PREFIX_A_ADDR4,
					     MOB_PREFIX_A_ADDR6, &pfx->net) ||
		    nla_put_u8(skb, MOB_PREFIX_A_LEN, pfx->len))
			goto nla_failure;
		nla_nest_end(skb, nest);
	}
	if (kind) {
		nest = nla_nest_start(skb, MOB_A_BINDING);
		if (!nest || nla_put_u8(skb, MOB_BINDING_A_KIND, kind))
			goto nla_failure;
		nla_nest_end(skb, nest);
	}
	if (al && fill_alias(skb, al))
		goto nla_failure;
	genlmsg_end(skb, hdr);
	rcu_read_lock();
	if (READ_ONCE(mob_unloading)) {
		rcu_read_unlock();
		nlmsg_free(skb);
		return;
	}
	genlmsg_multicast_netns(&mob_genl_family, mn->net, skb, 0, 0,
				GFP_ATOMIC);
	rcu_read_unlock();
	return;

nla_failure:
	nlmsg_free(skb);
fail:
	mob_stats_inc(mn, events_suppressed);
}

static int mob_nl_binding_new(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[MOB_BINDING_A_MAX + 1];
	struct mob_net *mn = info_net(info);
	struct mob_bind_core nb = {}, prev;
	struct mob_alias *alias;
	struct mob_binding *b;
	u32 flags = 0;
	bool replaced;
	int err;

	err = parse_nest(tb, MOB_BINDING_A_MAX, info, MOB_A_BINDING,
			 binding_new_policy, true);
	if (err)
		return err;
	if (tb[MOB_BINDING_A_FLAGS]) {
		flags = nla_get_u32(tb[MOB_BINDING_A_FLAGS]);
		if (flags & ~__MOB_BINDING_F_ALL) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[MOB_BINDING_A_FLAGS],
					    "Unknown binding flags");
			return -EOPNOTSUPP;
		}
	}
	err = get_hoa(tb, info, &nb.hoa);
	if (err)
		return err;
	err = get_addr(tb, MOB_BINDING_A_MOA4, MOB_BINDING_A_MOA6, ADDR_MOA,
		       &nb.moa, info->extack);
	if (err == -ENOENT) {
		NL_SET_ERR_ATTR_MISS(info->extack, info->attrs[MOB_A_BINDING],
				     MOB_BINDING_A_MOA4);
		NL_SET_ERR_MSG(info->extack, "MoA is required");
		return -EINVAL;
	}
	if (err)
		return err;
	if (nb.hoa.family != nb.moa.family) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    tb[MOB_BINDING_A_MOA4] ?: tb[MOB_BINDING_A_MOA6],
				    "HoA and MoA must be of the same family");
		return -EINVAL;
	}
	if (!memcmp(&nb.hoa, &nb.moa, sizeof(nb.hoa))) {
		NL_SET_ERR_MSG(info->extack, "HoA and MoA must differ");
		return -EINVAL;
	}
	if (!tb[MOB_BINDING_A_KIND]) {
		NL_SET_ERR_ATTR_MISS(info->extack, info->attrs[MOB_A_BINDING],
				     MOB_BINDING_A_KIND);
		NL_SET_ERR_MSG(info->extack,
			       "Binding kind (local or remote) is required");
		return -EINVAL;
	}
	nb.kind = nla_get_u8(tb[MOB_BINDING_A_KIND]);
	if (tb[MOB_BINDING_A_IFINDEX]) {
		if (nb.kind != MOB_KIND_LOCAL) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    tb[MOB_BINDING_A_IFINDEX],
					    "Only a local binding has a device");
			return -EINVAL;
		}
		nb.ifindex = nla_get_u32(tb[MOB_BINDING_A_IFINDEX]);
		rcu_read_lock();
		if (!dev_get_by_index_rcu(genl_info_net(info), nb.ifindex))
			err = -ENODEV;
		rcu_read_unlock();
		if (err) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    tb[MOB_BINDING_A_IFINDEX],
					    "No such device in this namespace");
			return err;
		}
	}

	mutex_lock(&mn->lock);
	b = mob_binding_set(mn, &nb, flags, &prev, &replaced, &alias,
			    info->extack);
	if (IS_ERR(b)) {
		err = PTR_ERR(b);
		goto out;
	}
	/* Only now, so that a refused request leaves no trace at all. */
	err = mob_hooks_register(mn);
	if (err) {
		/* Only the first binding, alias or prefix registers them,
		 * so this is an add that replaced no alias: undo it. */
		NL_SET_ERR_MSG(info->extack, "Could not register netfilter hooks");
		mob_binding_free(mob_binding_del(mn, &nb.hoa, NULL));
		goto out;
	}
	notify(mn, MOB_CMD_BINDING_NEW, b, replaced ? &prev : NULL, NULL, 0,
	       NULL);
	if (alias) {
		notify(mn, MOB_CMD_ALIAS_DEL, NULL, NULL, NULL, 0, alias);
		mob_alias_free(alias);
	}
out:
	mutex_unlock(&mn->lock);
	return err;
}

static int mob_nl_binding_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[MOB_BINDING_A_MAX + 1];
	struct mob_net *mn = info_net(info);
	struct mob_binding *b;
	struct mob_addr hoa;
	int err;

	err = parse_nest(tb, MOB_BINDING_A_MAX, info, MOB_A_BINDING,
			 binding_key_policy, true);
	if (err)
		return err;
	err = get_hoa(tb, info, &hoa);
	if (err)
		return err;

	mutex_lock(&mn->lock);
	b = mob_binding_del(mn, &hoa, info->extack);
	if (IS_ERR(b)) {
		err = PTR_ERR(b);
	} else {
		notify(mn, MOB_CMD_BINDING_DEL, b, NULL, NULL, 0, NULL);
		mob_binding_free(b);
	}
	mutex_unlock(&mn->lock);
	return err;
}

/*
 * The reply to a get: one object, found by @key and written by @fill
 * under the table's lock, or @fill's error (with its extack message).
 */
static int reply_one(struct genl_info *info, u8 cmd,
		     int (*fill)(struct sk_buff *msg, struct mob_net *mn,
				 const struct mob_addr *key,
				 struct netlink_ext_ack *extack),
		     const struct mob_addr *key)
{
	struct mob_net *mn = info_net(info);
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &mob_genl_family, 0, cmd);
	err = -EMSGSIZE;
	if (hdr) {
		mutex_lock(&mn->lock);
		err = fill(msg, mn, key, info->extack);
		mutex_unlock(&mn->lock);
	}
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int fill_binding_of(struct sk_buff *msg, struct mob_net *mn,
			   const struct mob_addr *hoa,
			   struct netlink_ext_ack *extack)
{
	struct mob_binding *b = mob_binding_find(mn, hoa);

	if (!b) {
		NL_SET_ERR_MSG(extack, "HoA is not bound");
		return -ENOENT;
	}
	return fill_binding(msg, b, NULL);
}

static int mob_nl_binding_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[MOB_BINDING_A_MAX + 1];
	struct mob_addr hoa;
	int err;

	err = parse_nest(tb, MOB_BINDING_A_MAX, info, MOB_A_BINDING,
			 binding_get_policy, true);
	if (err)
		return err;
	if (tb[MOB_BINDING_A_KIND]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[MOB_BINDING_A_KIND],
				    "A kind filters dumps only");
		return -EINVAL;
	}
	err = get_hoa(tb, info, &hoa);
	if (err)
		return err;
	return reply_one(info, MOB_CMD_BINDING_GET, fill_binding_of, &hoa);
}

/* Where a dump stands between two reads: the last HoA it sent. */
struct binding_dump {
	struct mob_addr last;
	u8 kind;
	bool started;
};

static int mob_nl_binding_dump_start(struct netlink_callback *cb)
{
	struct binding_dump *ctx = (struct binding_dump *)cb->ctx;
	struct nlattr *tb[MOB_BINDING_A_MAX + 1];
	struct nlattr **attrs = mob_dump_attrs(cb);
	int err;

	BUILD_BUG_ON(sizeof(*ctx) > sizeof(cb->ctx));
	memset(ctx, 0, sizeof(*ctx));
	if (!attrs[MOB_A_BINDING])
		return 0;
	err = nla_parse_nested(tb, MOB_BINDING_A_MAX, attrs[MOB_A_BINDING],
			       binding_get_policy, cb->extack);
	if (err)
		return err;
	if (tb[MOB_BINDING_A_HOA4] || tb[MOB_BINDING_A_HOA6]) {
		NL_SET_ERR_MSG(cb->extack, "A dump filters by kind only");
		return -EINVAL;
	}
	if (tb[MOB_BINDING_A_KIND])
		ctx->kind = nla_get_u8(tb[MOB_BINDING_A_KIND]);
	return 0;
}

static int mob_nl_binding_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct binding_dump *ctx = (struct binding_dump *)cb->ctx;
	struct mob_net *mn = mob_pernet(sock_net(cb->skb->sk));
	struct mob_binding *b;
	int err = 0;

	mutex_lock(&mn->lock);
	/* A change between two reads flags the rest NLM_F_DUMP_INTR. */
	cb->seq = mn->gen;
	/* Found again by HoA once per call (the tree may have changed
	 * since the last), then walked. */
	for (b = mob_binding_next(mn, ctx->started ? &ctx->last : NULL); b;
	     b = mob_binding_after(b)) {
		void *hdr;

		if (!ctx->kind || b->c.kind == ctx->kind) {
			hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, &mob_genl_family,
					  NLM_F_MULTI, MOB_CMD_BINDING_GET);
			if (!hdr) {
				err = -EMSGSIZE;
				break;
			}
			genl_dump_check_consistent(cb, hdr);
			err = fill_binding(skb, b, NULL);
			if (err) {
				genlmsg_cancel(skb, hdr);
				break;
			}
			genlmsg_end(skb, hdr);
		}
		ctx->last = b->c.hoa;
		ctx->started = true;
	}
	mutex_unlock(&mn->lock);
	/* A full skb means "call again"; an empty one would end the dump. */
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ?: skb->len;
}

static int mob_nl_binding_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[MOB_BINDING_A_MAX + 1];
	struct mob_net *mn = info_net(info);
	u8 kind = 0;
	int err;

	err = parse_nest(tb, MOB_BINDING_A_MAX, info, MOB_A_BINDING,
			 binding_kind_policy, false);
	if (err)
		return err;
	if (tb[MOB_BINDING_A_KIND])
		kind = nla_get_u8(tb[MOB_BINDING_A_KIND]);
	mutex_lock(&mn->lock);
	mob_binding_flush(mn, kind);
	notify(mn, MOB_CMD_BINDING_FLUSH, NULL, NULL, NULL, kind, NULL);
	mutex_unlock(&mn->lock);
	return 0;
}

static int get_prefix(struct genl_info *info, struct mob_prefix *pfx)
{
	struct nlattr *tb[MOB_PREFIX_A_MAX + 1];
	struct mob_addr a;
	u8 len;
	int err;

	err = parse_nest(tb, MOB_PREFIX_A_MAX, info, MOB_A_PREFIX,
			 prefix_policy, true);
	if (err)
		return err;
	memset(&a, 0, sizeof(a));
	if (!!tb[MOB_PREFIX_A_ADDR4] == !!tb[MOB_PREFIX_A_ADDR6]) {
		NL_SET_ERR_MSG(info->extack,
			       "Give exactly one of an IPv4 or an IPv6 prefix");
		return -EINVAL;
	}
	if (!tb[MOB_PREFIX_A_LEN]) {
		NL_SET_ERR_ATTR_MISS(info->extack, info->attrs[MOB_A_PREFIX],
				     MOB_PREFIX_A_LEN);
		NL_SET_ERR_MSG(info->extack, "Prefix length is required");
		return -EINVAL;
	}
	len = nla_get_u8(tb[MOB_PREFIX_A_LEN]);
	if (tb[MOB_PREFIX_A_ADDR4]) {
		a.family = AF_INET;
		a.ip = nla_get_in_addr(tb[MOB_PREFIX_A_ADDR4]);
	} else {
		a.family = AF_INET6;
		a.ip6 = nla_get_in6_addr(tb[MOB_PREFIX_A_ADDR6]);
	}
	if (a.family == AF_INET && len > 32) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[MOB_PREFIX_A_LEN],
				    "IPv4 prefix length is at most 32");
		return -EINVAL;
	}
	if (!mob_prefix_make(pfx, &a, len)) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    tb[MOB_PREFIX_A_ADDR4] ?: tb[MOB_PREFIX_A_ADDR6],
				    "Prefix has host bits set");
		return -EINVAL;
	}
	return 0;
}

static int mob_nl_prefix_new(struct sk_buff *skb, struct genl_info *info)
{
	struct mob_net *mn = info_net(info);
	struct mob_prefix pfx;
	int err;

	err = get_prefix(info, &pfx);
	if (err)
		return err;
	mutex_lock(&mn->lock);
	err = mob_prefix_add(mn, &pfx, info->extack);
	if (!err) {
		err = mob_hooks_register(mn);
		if (err) {
			NL_SET_ERR_MSG(info->extack,
				       "Could not register netfilter hooks");
			mob_prefix_del(mn, &pfx, NULL);
		}
	}
	if (!err)
		notify(mn, MOB_CMD_PREFIX_NEW, NULL, NULL, &pfx, 0, NULL);
	mutex_unlock(&mn->lock);
	return err;
}

static int mob_nl_prefix_del(struct sk_buff *skb, struct genl_info *info)
{
	struct mob_net *mn = info_net(info);
	struct mob_prefix pfx;
	int err;

	err = get_prefix(info, &pfx);
	if (err)
		return err;
	mutex_lock(&mn->lock);
	err = mob_prefix_del(mn, &pfx, info->extack);
	if (!err)
		notify(mn, MOB_CMD_PREFIX_DEL, NULL, NULL, &pfx, 0, NULL);
	mutex_unlock(&mn->lock);
	return err;
}

static int mob_nl_prefix_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct mob_net *mn = mob_pernet(sock_net(cb->skb->sk));
	const struct mob_prefixes *pf;
	unsigned int i;

	mutex_lock(&mn->lock);
	cb->seq = mn->gen;
	pf = rcu_dereference_protected(mn->prefixes,
				       lockdep_is_held(&mn->lock));
	for (i = cb->args[0]; pf && i < pf->n; i++) {
		struct nlattr *nest;
		void *hdr;

		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &mob_genl_family,
				  NLM_F_MULTI, MOB_CMD_PREFIX_GET);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		nest = nla_nest_start(skb, MOB_A_PREFIX);
		if (!nest || mob_nl_put_addr(skb, MOB_PREFIX_A_ADDR4,
					     MOB_PREFIX_A_ADDR6,
					     &pf->p[i].net) ||
		    nla_put_u8(skb, MOB_PREFIX_A_LEN, pf->p[i].len)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		nla_nest_end(skb, nest);
		genlmsg_end(skb, hdr);
	}
	cb->args[0] = i;
	mutex_unlock(&mn->lock);
	return skb->len;
}

static int put_u64(struct sk_buff *skb, int attr, u64 v)
{
	return nla_put_u64_64bit(skb, attr, v, MOB_STATS_A_PAD);
}

static int mob_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct mob_net *mn = info_net(info);
	struct mob_pcpu_stats sum = {};
	const struct mob_prefixes *pf;
	struct sk_buff *msg;
	struct nlattr *nest;
	u32 n_prefixes;
	void *hdr;
	int cpu, i;

	for_each_possible_cpu(cpu) {
		const struct mob_pcpu_stats *s = per_cpu_ptr(mn->stats, cpu);

		sum.xlat_in += READ_ONCE(s->xlat_in);
		sum.xlat_out += READ_ONCE(s->xlat_out);
		sum.xlat_fwd += READ_ONCE(s->xlat_fwd);
		sum.xlat_icmp_inner += READ_ONCE(s->xlat_icmp_inner);
		for (i = 0; i < MOB_DROP_NR; i++)
			sum.drops[i] += READ_ONCE(s->drops[i]);
		sum.events += READ_ONCE(s->events);
		sum.events_suppressed += READ_ONCE(s->events_suppressed);
	}
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &mob_genl_family, 0,
				MOB_CMD_STATS_GET);
	if (!hdr)
		goto nla_failure;
	nest = nla_nest_start(msg, MOB_A_STATS);
	if (!nest)
		goto nla_failure;
	mutex_lock(&mn->lock);
	pf = rcu_dereference_protected(mn->prefixes,
				       lockdep_is_held(&mn->lock));
	n_prefixes = pf ? pf->n : 0;
	if (nla_put_u32(msg, MOB_STATS_A_BINDINGS_LOCAL,
			mn->n_kind[MOB_KIND_LOCAL]) ||
	    nla_put_u32(msg, MOB_STATS_A_BINDINGS_REMOTE,
			mn->n_kind[MOB_KIND_REMOTE]) ||
	    nla_put_u32(msg, MOB_STATS_A_BINDINGS_MAX, mn->max_bindings) ||
	    nla_put_u32(msg, MOB_STATS_A_PREFIXES, n_prefixes) ||
	    nla_put_u32(msg, MOB_STATS_A_ALIASES, mn->n_aliases)) {
		mutex_unlock(&mn->lock);
		goto nla_failure;
	}
	mutex_unlock(&mn->lock);
	if (put_u64(msg, MOB_STATS_A_XLAT_IN, sum.xlat_in) ||
	    put_u64(msg, MOB_STATS_A_XLAT_OUT, sum.xlat_out) ||
	    put_u64(msg, MOB_STATS_A_XLAT_FWD, sum.xlat_fwd) ||
	    put_u64(msg, MOB_STATS_A_XLAT_ICMP_INNER, sum.xlat_icmp_inner) ||
	    put_u64(msg, MOB_STATS_A_DROP_UNKNOWN_HOA,
		    sum.drops[MOB_DROP_UNKNOWN_HOA]) ||
	    put_u64(msg, MOB_STATS_A_DROP_LEAK, sum.drops[MOB_DROP_LEAK]) ||
	    put_u64(msg, MOB_STATS_A_DROP_MALFORMED,
		    sum.drops[MOB_DROP_MALFORMED]) ||
	    put_u64(msg, MOB_STATS_A_DROP_UNSUPPORTED,
		    sum.drops[MOB_DROP_UNSUPPORTED]) ||
	    put_u64(msg, MOB_STATS_A_DROP_NOMEM, sum.drops[MOB_DROP_NOMEM]) ||
	    put_u64(msg, MOB_STATS_A_EVENTS, sum.events) ||
	    put_u64(msg, MOB_STATS_A_EVENTS_SUPPRESSED, sum.events_suppressed))
		goto nla_failure;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nla_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int mob_nl_config_get(struct sk_buff *skb, struct genl_info *info)
{
	struct mob_net *mn = info_net(info);
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &mob_genl_family, 0,
				MOB_CMD_CONFIG_GET);
	if (!hdr)
		goto nla_failure;
	nest = nla_nest_start(msg, MOB_A_CONFIG);
	if (!nest || nla_put_u32(msg, MOB_CONFIG_A_MAX_BINDINGS,
				 READ_ONCE(mn->max_bindings)))
		goto nla_failure;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nla_failure:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int mob_nl_config_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[MOB_CONFIG_A_MAX + 1];
	struct mob_net *mn = info_net(info);
	u32 max;
	int err;

	err = parse_nest(tb, MOB_CONFIG_A_MAX, info, MOB_A_CONFIG,
			 config_policy, true);
	if (err)
		return err;
	if (!tb[MOB_CONFIG_A_MAX_BINDINGS])
		return 0;
	max = nla_get_u32(tb[MOB_CONFIG_A_MAX_BINDINGS]);
	mutex_lock(&mn->lock);
	if (max < mn->n_kind[MOB_KIND_LOCAL] + mn->n_kind[MOB_KIND_REMOTE]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[MOB_CONFIG_A_MAX_BINDINGS],
				    "More bindings exist than the new maximum");
		err = -EBUSY;
	} else if (max < mn->n_aliases) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[MOB_CONFIG_A_MAX_BINDINGS],
				    "More aliases exist than the new maximum");
		err = -EBUSY;
	} else {
		WRITE_ONCE(mn->max_bindings, max);
	}
	mutex_unlock(&mn->lock);
	return err;
}

/* The alias a request names: its MoA, required. */
static int get_alias(struct nlattr **tb, struct genl_info *info,
		     struct mob_addr *moa)
{
	int err = get_addr(tb, MOB_ALIAS_A_MOA4, MOB_ALIAS_A_MOA6, ADDR_ALIAS,
			   moa, info->extack);

	if (err == -ENOENT) {
		NL_SET_ERR_ATTR_MISS(info->extack, info->attrs[MOB_A_ALIAS],
				     MOB_ALIAS_A_MOA4);
		NL_SET_ERR_MSG(info->extack, "Alias (its MoA) is required");
		return -EINVAL;
	}
	return err;
}

static int mob_nl_alias_new(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[MOB_ALIAS_A_MAX + 1];
	struct mob_net *mn = info_net(info);
	struct mob_alias_core na = {};
	struct nlattr *attr;
	struct mob_alias *al;
	u32 timeout = 0;
	int err;

	err = parse_nest(tb, MOB_ALIAS_A_MAX, info, MOB_A_ALIAS,
			 alias_new_policy, true);
	if (err)
		return err;
	err = get_alias(tb, info, &na.c.moa);
	if (err)
		return err;
	err = get_addr(tb, MOB_ALIAS_A_HOA4, MOB_ALIAS_A_HOA6, ADDR_HOA,
		       &na.c.hoa, info->extack);
	if (err == -ENOENT) {
		NL_SET_ERR_ATTR_MISS(info->extack, info->attrs[MOB_A_ALIAS],
				     MOB_ALIAS_A_HOA4);
		NL_SET_ERR_MSG(info->extack, "HoA is required");
		return -EINVAL;
	}
	if (err)
		return err;
	attr = tb[MOB_ALIAS_A_HOA4] ?: tb[MOB_ALIAS_A_HOA6];
	if (na.c.hoa.family != na.c.moa.family) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "Alias and HoA must be of the same family");
		return -EINVAL;
	}
	if (mob_addr_eq(&na.c.hoa, &na.c.moa)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "Alias and HoA must differ");
		return -EINVAL;
	}
	/* Without a target (family 0), the alias forwards nothing. */
	err = get_addr(tb, MOB_ALIAS_A_TARGET4, MOB_ALIAS_A_TARGET6,
		       ADDR_TARGET, &na.target, info->extack);
	if (err && err != -ENOENT)
		return err;
	attr = tb[MOB_ALIAS_A_TARGET4] ?: tb[MOB_ALIAS_A_TARGET6];
	if (attr && na.target.family != na.c.moa.family) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "Alias and target must be of the same family");
		return -EINVAL;
	}
	if (attr && mob_addr_eq(&na.target, &na.c.moa)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "Alias and target must differ");
		return -EINVAL;
	}
	if (tb[MOB_ALIAS_A_TIMEOUT])
		timeout = nla_get_u32(tb[MOB_ALIAS_A_TIMEOUT]);
	na.c.kind = MOB_KIND_ALIAS;

	mutex_lock(&mn->lock);
	al = mob_alias_set(mn, &na, timeout, info->extack);
	if (IS_ERR(al)) {
		err = PTR_ERR(al);
		goto out;
	}
	err = mob_hooks_register(mn);
	if (err) {
		/* Only the first object registers them: an add, no
		 * replace, so taking it out again restores the table. */
		NL_SET_ERR_MSG(info->extack, "Could not register netfilter hooks");
		mob_alias_unlink(mn, al);
		mob_alias_free(al);
		goto out;
	}
	notify(mn, MOB_CMD_ALIAS_NEW, NULL, NULL, NULL, 0, al);
out:
	mutex_unlock(&mn->lock);
	return err;
}

static int mob_nl_alias_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[MOB_ALIAS_A_MAX + 1];
	struct mob_net *mn = info_net(info);
	struct mob_alias *al;
	struct mob_addr moa;
	int err;

	err = parse_nest(tb, MOB_ALIAS_A_MAX, info, MOB_A_ALIAS,
			 alias_key_policy, true);
	if (err)
		return err;
	err = get_alias(tb, info, &moa);
	if (err)
		return err;

	mutex_lock(&mn->lock);
	al = mob_alias_del(mn, &moa, info->extack);
	if (IS_ERR(al)) {
		err = PTR_ERR(al);
	} else {
		notify(mn, MOB_CMD_ALIAS_DEL, NULL, NULL, NULL, 0, al);
		mob_alias_free(al);
	}
	mutex_unlock(&mn->lock);
	return err;
}

static int fill_alias_of(struct sk_buff *msg, struct mob_net *mn,
			 const struct mob_addr *moa,
			 struct netlink_ext_ack *extack)
{
	struct mob_alias *al = mob_alias_find(mn, moa);

	if (!al) {
		NL_SET_ERR_MSG(extack, "No such alias");
		return -ENOENT;
	}
	return fill_alias(msg, al);
}

static int mob_nl_alias_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[MOB_ALIAS_A_MAX + 1];
	struct mob_addr moa;
	int err;

	err = parse_nest(tb, MOB_ALIAS_A_MAX, info, MOB_A_ALIAS,
			 alias_key_policy, true);
	if (err)
		return err;
	err = get_alias(tb, info, &moa);
	if (err)
		return err;
	return reply_one(info, MOB_CMD_ALIAS_GET, fill_alias_of, &moa);
}

/* Where an alias dump stands between two reads: the last MoA it sent. */
struct alias_dump {
	struct mob_addr last;
	bool started;
};

static int mob_nl_alias_dump_start(struct netlink_callback *cb)
{
	struct alias_dump *ctx = (struct alias_dump *)cb->ctx;
	struct nlattr **attrs = mob_dump_attrs(cb);

	BUILD_BUG_ON(sizeof(*ctx) > sizeof(cb->ctx));
	memset(ctx, 0, sizeof(*ctx));
	if (attrs[MOB_A_ALIAS]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attrs[MOB_A_ALIAS],
				    "An alias dump takes no attributes");
		return -EINVAL;
	}
	return 0;
}

static int mob_nl_alias_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct alias_dump *ctx = (struct alias_dump *)cb->ctx;
	struct mob_net *mn = mob_pernet(sock_net(cb->skb->sk));
	struct mob_alias *al;
	int err = 0;

	mutex_lock(&mn->lock);
	cb->seq = mn->alias_gen;
	for (al = mob_alias_next(mn, ctx->started ? &ctx->last : NULL); al;
	     al = mob_alias_next(mn, &ctx->last)) {
		void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, &mob_genl_family,
					NLM_F_MULTI, MOB_CMD_ALIAS_GET);

		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		genl_dump_check_consistent(cb, hdr);
		err = fill_alias(skb, al);
		if (err) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		ctx->last = al->a.c.moa;
		ctx->started = true;
	}
	mutex_unlock(&mn->lock);
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ?: skb->len;
}

static int mob_nl_alias_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct mob_net *mn = info_net(info);

	mutex_lock(&mn->lock);
	mob_alias_flush(mn);
	notify(mn, MOB_CMD_ALIAS_FLUSH, NULL, NULL, NULL, 0, NULL);
	mutex_unlock(&mn->lock);
	return 0;
}

/* For alias.c: the expiry work's deletions. */
void mob_notify_alias(struct mob_net *mn, u8 cmd, const struct mob_alias *al)
{
	notify(mn, cmd, NULL, NULL, NULL, 0, al);
}

static const struct genl_ops mob_genl_ops[] = {
	{
		.cmd = MOB_CMD_BINDING_NEW,
		.doit = mob_nl_binding_new,
		.policy = new_policy,
		.maxattr = MOB_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = MOB_CMD_BINDING_DEL,
		.doit = mob_nl_binding_del,
		.policy = del_policy,
		.maxattr = MOB_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = MOB_CMD_BINDING_GET,
		.doit = mob_nl_binding_get,
		.start = mob_nl_binding_dump_start,
		.dumpit = mob_nl_binding_dump,
		.policy = get_policy,
		.maxattr = MOB_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = MOB_CMD_BINDING_FLUSH,
		.doit = mob_nl_binding_flush,
		.policy = flush_policy,
		.maxattr = MOB_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = MOB_CMD_PREFIX_NEW,
		.doit = mob_nl_prefix_new,
		.policy = prefix_top_policy,
		.maxattr = MOB_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = MOB_CMD_PREFIX_DEL,
		.doit = mob_nl_prefix_del,
		.policy = prefix_top_policy,
		.maxattr = MOB_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = MOB_CMD_PREFIX_GET,
		.dumpit = mob_nl_prefix_dump,
		.policy = empty_policy,
		.maxattr = MOB_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = MOB_CMD_STATS_GET,
		.doit = mob_nl_stats_get,
		.policy = empty_policy,
		.maxattr = MOB_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = MOB_CMD_CONFIG_GET,
		.doit = mob_nl_config_get,
		.policy = empty_policy,
		.maxattr = MOB_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = MOB_CMD_CONFIG_SET,
		.doit = mob_nl_config_set,
		.policy = config_top_policy,
		.maxattr = MOB_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = MOB_CMD_ALIAS_NEW,
		.doit = mob_nl_alias_new,
		.policy = alias_new_top_policy,
		.maxattr = MOB_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = MOB_CMD_ALIAS_DEL,
		.doit = mob_nl_alias_del,
		.policy = alias_key_top_policy,
		.maxattr = MOB_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = MOB_CMD_ALIAS_GET,
		.doit = mob_nl_alias_get,
		.start = mob_nl_alias_dump_start,
		.dumpit = mob_nl_alias_dump,
		.policy = alias_key_top_policy,
		.maxattr = MOB_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = MOB_CMD_ALIAS_FLUSH,
		.doit = mob_nl_alias_flush,
		.policy = empty_policy,
		.maxattr = MOB_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group mob_mcgrps[] = {
	{ .name = MOB_GENL_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

struct genl_family mob_genl_family __ro_after_init = {
	.name = MOB_GENL_NAME,
	.version = MOB_GENL_VERSION,
	.maxattr = MOB_A_MAX,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = mob_genl_ops,
	.n_ops = ARRAY_SIZE(mob_genl_ops),
	.mcgrps = mob_mcgrps,
	.n_mcgrps = ARRAY_SIZE(mob_mcgrps),
};

int mob_genl_init(void)
{
	return genl_register_family(&mob_genl_family);
}

void mob_genl_exit(void)
{
	genl_unregister_family(&mob_genl_family);
}
