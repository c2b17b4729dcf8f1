/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * mob: stateless HoA <-> MoA address translation for migrating VMs.
 *
 * Documentation
 * =============
 *
 * The "mob" generic netlink family configures, per network namespace, the
 * table of bindings between a VM's permanent home address (HoA) and the
 * routable mobile address (MoA) it has where it currently runs, the home
 * prefixes (the HoA space), and reports what the data plane sees.
 *
 * Every command acts on the network namespace of the socket that sends it.
 * Every command needs CAP_NET_ADMIN in the user namespace owning that
 * network namespace, including the GET and dump commands: bindings reveal
 * where every VM runs.  Errors arrive as the netlink ACK's error code with
 * an extended-ACK message naming the offending attribute; a failed request
 * changes nothing.  Attributes a command does not list are rejected
 * (strict validation).  The family is versioned by MOB_GENL_VERSION;
 * commands and attributes are only ever appended.
 *
 * Addresses are carried in network byte order: an IPv4 address as a 4-byte
 * attribute (the "4" variants), an IPv6 address as a 16-byte attribute (the
 * "6" variants).  Exactly one of the two variants of a pair is given.
 *
 * MOB_CMD_BINDING_NEW
 * -------------------
 *
 *   Adds or replaces one binding, as MOB_BINDING_A_FLAGS says:
 *
 *     0                                       add; -EEXIST if the HoA is bound
 *     MOB_BINDING_F_REPLACE                   add, or replace the binding
 *     MOB_BINDING_F_REPLACE | _F_NOCREATE     replace; -ENOENT if not bound
 *
 *   (Not the rtnetlink NLM_F_CREATE/EXCL/REPLACE header flags: generic
 *   netlink reserves those bits.)  A replace swaps the whole binding (MoA,
 *   kind, ifindex) in one step: a packet sees either the old binding or the
 *   new one, never a mixture.  This is the switch a migration flips.
 *   Per-binding counters carry over.
 *
 *   MOB_A_BINDING: NLA_NESTED
 *     MOB_BINDING_A_HOA4 | MOB_BINDING_A_HOA6     required
 *     MOB_BINDING_A_MOA4 | MOB_BINDING_A_MOA6     required, same family
 *     MOB_BINDING_A_KIND: NLA_U8                  required, enum mob_kind
 *     MOB_BINDING_A_IFINDEX: NLA_U32              optional, local only
 *     MOB_BINDING_A_FLAGS: NLA_U32                optional, enum
 *                                                 mob_binding_flags; unknown
 *                                                 bits: -EOPNOTSUPP
 *
 *   The HoA and MoA must be unicast addresses of one family and differ.
 *   A MoA may not be any binding's HoA nor lie inside a home prefix; an
 *   HoA may not be any other binding's MoA; two bindings never share a
 *   MoA (-EEXIST).  Against aliases (below): the MoA may be an alias of
 *   the same HoA, which the binding then replaces, but not one of another
 *   HoA (-EEXIST), nor an alias's HoA; the HoA may not be an alias nor an
 *   alias's target (-EINVAL).  MOB_BINDING_A_IFINDEX names the VM's port (an
 *   interface of this namespace, -ENODEV otherwise; -EINVAL on a remote
 *   binding): packets from the HoA are then translated only when they
 *   arrive on that port.  If that interface is deleted or leaves the
 *   namespace, the binding stays but matches no packet from its VM (and
 *   is reported without MOB_BINDING_A_IFINDEX) until it is replaced.  When the table already holds its maximum number
 *   of bindings, an add fails with -ENOSPC (a replace still succeeds).
 *
 *   On success the binding is announced on the "events" group as a
 *   MOB_CMD_BINDING_NEW message with the binding as a GET reply gives it,
 *   plus, for a replace, MOB_BINDING_A_PREV_MOA4/6 and MOB_BINDING_A_PREV_KIND;
 *   an alias it replaced follows as a MOB_CMD_ALIAS_DEL.
 *
 * MOB_CMD_BINDING_DEL
 * -------------------
 *
 *   MOB_A_BINDING: NLA_NESTED
 *     MOB_BINDING_A_HOA4 | MOB_BINDING_A_HOA6     required
 *
 *   -ENOENT if the HoA is not bound.  Announced as MOB_CMD_BINDING_DEL with
 *   the binding as it was, counters included.
 *
 * MOB_CMD_BINDING_GET
 * -------------------
 *
 *   Without NLM_F_DUMP: MOB_A_BINDING with MOB_BINDING_A_HOA4 | _HOA6; the
 *   reply is one MOB_CMD_BINDING_GET message, -ENOENT if not bound.
 *
 *   With NLM_F_DUMP: optionally MOB_A_BINDING with MOB_BINDING_A_KIND to
 *   list only local or only remote bindings (another value: -ERANGE).  One message per binding, in
 *   ascending order of (family, HoA).  If the table changes while a dump
 *   spans several reads, the first message after the change carries
 *   NLM_F_DUMP_INTR: start again for a consistent view.
 *
 *   Each binding is a MOB_A_BINDING nest holding:
 *     MOB_BINDING_A_HOA4 | _HOA6, MOB_BINDING_A_MOA4 | _MOA6,
 *     MOB_BINDING_A_KIND, MOB_BINDING_A_IFINDEX (if set),
 *     MOB_BINDING_A_STATS: NLA_NESTED
 *       MOB_BINDING_STATS_A_PACKETS_IN, _BYTES_IN     (from the wire)
 *       MOB_BINDING_STATS_A_PACKETS_OUT, _BYTES_OUT   (toward the wire)
 *       MOB_BINDING_STATS_A_IDLE_MSEC   milliseconds since last translation,
 *                                       absent if never used
 *       (all NLA_U64)
 *
 * MOB_CMD_BINDING_FLUSH
 * ---------------------
 *
 *   Deletes every binding, or with MOB_A_BINDING { MOB_BINDING_A_KIND }
 *   only the local or only the remote ones.  Announced as one
 *   MOB_CMD_BINDING_FLUSH message, carrying MOB_A_BINDING { KIND } when a
 *   kind was given and no attribute at all when everything was flushed.
 *
 * MOB_CMD_PREFIX_NEW, MOB_CMD_PREFIX_DEL, MOB_CMD_PREFIX_GET (dump only)
 * ---------------------------------------------------------------------
 *
 *   MOB_A_PREFIX: NLA_NESTED
 *     MOB_PREFIX_A_ADDR4 | MOB_PREFIX_A_ADDR6     required
 *     MOB_PREFIX_A_LEN: NLA_U8                    required, <= 32 or 128
 *
 *   A home prefix is a piece of the HoA space.  A packet from a local VM to
 *   an address inside a home prefix that has no binding is dropped, counted
 *   (MOB_STATS_A_DROP_UNKNOWN_HOA) and reported (MOB_CMD_UNKNOWN_HOA); no
 *   packet leaves toward the wire with a home address as its source or
 *   destination (MOB_STATS_A_DROP_LEAK).  ARP and neighbour discovery from
 *   home addresses are reported as events.  Host bits must be zero.
 *   NEW: -EEXIST if present, -ENOSPC beyond MOB_PREFIXES_MAX, -EINVAL if the
 *   prefix holds a binding's MoA, an alias or an alias's target.  DEL:
 *   -ENOENT if absent.  Changes are announced as MOB_CMD_PREFIX_NEW /
 *   MOB_CMD_PREFIX_DEL.
 *
 * MOB_CMD_ALIAS_NEW, MOB_CMD_ALIAS_DEL, MOB_CMD_ALIAS_GET, MOB_CMD_ALIAS_FLUSH
 * ---------------------------------------------------------------------------
 *
 *   An alias is one more MoA for a HoA, usually for a short time around a
 *   migration.  It is used only by the translation from the wire (the
 *   prerouting hook, before conntrack), in two ways:
 *
 *   - A packet whose source is the alias, toward a local VM, has its source
 *     translated to the alias's HoA, as a remote binding's MoA would be.
 *     This is how the other hypervisors accept a migrating VM's next MoA
 *     before its binding changes, and its previous MoA for a while after.
 *   - With MOB_ALIAS_A_TARGET4/6, a packet whose destination is the alias
 *     has its destination rewritten to the target, and only that; the
 *     packet is then routed on.  This is the old hypervisor's forwarding
 *     entry: packets still sent to the MoA a VM had there follow it to its
 *     new MoA.  Counted in MOB_STATS_A_XLAT_FWD (not in _XLAT_IN).  A
 *     packet to an alias without a target is left alone.
 *
 *   In an ICMP error toward a local VM, a quoted alias is translated to
 *   its HoA as a quoted MoA is; an ICMP error forwarded to a target keeps
 *   its quoted packet as it is.
 *
 *   MOB_A_ALIAS: NLA_NESTED
 *     MOB_ALIAS_A_MOA4 | MOB_ALIAS_A_MOA6         required: the alias
 *     MOB_ALIAS_A_HOA4 | MOB_ALIAS_A_HOA6         NEW: required
 *     MOB_ALIAS_A_TARGET4 | MOB_ALIAS_A_TARGET6   NEW: optional
 *     MOB_ALIAS_A_TIMEOUT: NLA_U32                NEW: optional, ms,
 *                                                 1 .. MOB_ALIAS_TIMEOUT_MAX;
 *                                                 absent: until deleted
 *
 *   NEW adds the alias, or replaces the alias with the same MoA whole (HoA,
 *   target and timeout, which counts from the replace; its counter carries
 *   over).  All addresses are unicast and of one family; the alias differs
 *   from its HoA and from its target.  The alias may not be a binding's
 *   HoA or MoA nor another alias's HoA (-EEXIST), nor lie inside a home
 *   prefix nor be another alias's target (-EINVAL).  The HoA may not be a
 *   binding's MoA, an alias nor an alias's target (-EINVAL).  The target
 *   may not be a home address (inside a home prefix, or a binding's or an
 *   alias's HoA) nor an alias itself: no chains (-EINVAL).  Aliases count
 *   against their own limit, the namespace's maximum number of bindings
 *   (-ENOSPC; CONFIG_SET may not lower it below their number, -EBUSY).
 *   DEL and GET name the alias by its MoA (-ENOENT if absent); GET with
 *   NLM_F_DUMP takes no attribute and lists them all in ascending order of
 *   (family, MoA), with NLM_F_DUMP_INTR as for bindings.  A reply carries
 *   the attributes above (TIMEOUT as given) plus MOB_ALIAS_A_EXPIRES (u32,
 *   ms left; absent without timeout) and MOB_ALIAS_A_PACKETS (u64, packets
 *   translated through it).  FLUSH deletes every alias (no attribute).
 *
 *   A MOB_CMD_BINDING_NEW whose MoA is an alias of the same HoA takes the
 *   alias's place in the same step (a packet sees one or the other); an
 *   alias of another HoA makes it fail with -EEXIST.  An alias whose timeout
 *   passes is deleted.  Every change, the expiry included, is announced on
 *   the events group as MOB_CMD_ALIAS_NEW / MOB_CMD_ALIAS_DEL with the
 *   alias's attributes, or one MOB_CMD_ALIAS_FLUSH without attributes.
 *
 * MOB_CMD_STATS_GET
 * -----------------
 *
 *   No attributes.  The reply is a MOB_CMD_STATS_GET message carrying
 *   MOB_A_STATS, a nest of the namespace counters in enum mob_stats_attr.
 *
 * MOB_CMD_CONFIG_GET, MOB_CMD_CONFIG_SET
 * --------------------------------------
 *
 *   MOB_A_CONFIG: NLA_NESTED
 *     MOB_CONFIG_A_MAX_BINDINGS: NLA_U32   1 .. MOB_BINDINGS_LIMIT
 *
 *   SET changes what is given (an empty nest changes nothing); lowering the
 *   maximum below the number of bindings present, or of aliases, fails
 *   with -EBUSY.  GET replies with a MOB_CMD_CONFIG_GET message holding
 *   every setting.
 *
 * Events (multicast group MOB_GENL_MCGRP_EVENTS, "events")
 * --------------------------------------------------------
 *
 *   Joining the group needs CAP_NET_ADMIN in the namespace's user namespace;
 *   a member hears the events of its own network namespace only.  Besides
 *   the binding and prefix changes above, the data plane reports,
 *   in MOB_A_EVENT nests (rate limited per namespace; the number suppressed
 *   is counted in MOB_STATS_A_EVENTS_SUPPRESSED):
 *
 *   MOB_CMD_NEIGH: a VM resolving a neighbour: an ARP request or reply whose
 *     sender is inside a home prefix, an ARP probe for such an address, an
 *     IPv6 neighbour solicitation from (or DAD for) such an address.
 *       MOB_EVENT_A_TYPE, MOB_EVENT_A_IFINDEX, MOB_EVENT_A_LLADDR,
 *       MOB_EVENT_A_SENDER4 | _SENDER6 (absent for a probe or DAD),
 *       MOB_EVENT_A_TARGET4 | _TARGET6
 *
 *   MOB_CMD_ANNOUNCE: a VM announcing itself after it starts or moves: a
 *     RARP request (any interface; it carries no address), a gratuitous ARP
 *     for an address inside a home prefix, an unsolicited IPv6 neighbour
 *     advertisement for such an address.
 *       MOB_EVENT_A_TYPE, MOB_EVENT_A_IFINDEX, MOB_EVENT_A_LLADDR,
 *       MOB_EVENT_A_TARGET4 | _TARGET6 (the announced address; not for RARP)
 *
 *   MOB_CMD_UNKNOWN_HOA: a packet dropped because a home address in it has
 *     no binding.
 *       MOB_EVENT_A_TYPE (MOB_EVENT_UNKNOWN_DST or MOB_EVENT_UNKNOWN_SRC),
 *       MOB_EVENT_A_IFINDEX (input interface, if known),
 *       MOB_EVENT_A_SENDER4 | _SENDER6, MOB_EVENT_A_TARGET4 | _TARGET6
 *       (the packet's source and destination)
 */

#ifndef _UAPI_LINUX_MOB_H
#define _UAPI_LINUX_MOB_H

#define MOB_GENL_NAME		"mob"
#define MOB_GENL_VERSION	1
#define MOB_GENL_MCGRP_EVENTS	"events"

/* Limits: the home prefixes per namespace; the largest table size. */
#define MOB_PREFIXES_MAX	64
#define MOB_BINDINGS_LIMIT	(1U << 24)
#define MOB_ALIAS_TIMEOUT_MAX	(24U * 3600 * 1000)	/* ms */

enum mob_cmd {
	MOB_CMD_UNSPEC,
	MOB_CMD_BINDING_NEW,
	MOB_CMD_BINDING_DEL,
	MOB_CMD_BINDING_GET,
	MOB_CMD_BINDING_FLUSH,
	MOB_CMD_PREFIX_NEW,
	MOB_CMD_PREFIX_DEL,
	MOB_CMD_PREFIX_GET,
	MOB_CMD_STATS_GET,
	MOB_CMD_CONFIG_GET,
	MOB_CMD_CONFIG_SET,
	MOB_CMD_NEIGH,		/* event only */
	MOB_CMD_ANNOUNCE,	/* event only */
	MOB_CMD_UNKNOWN_HOA,	/* event only */
	MOB_CMD_ALIAS_NEW,
	MOB_CMD_ALIAS_DEL,
	MOB_CMD_ALIAS_GET,
	MOB_CMD_ALIAS_FLUSH,
	__MOB_CMD_MAX
};
#define MOB_CMD_MAX (__MOB_CMD_MAX - 1)

enum mob_attr {
	MOB_A_UNSPEC,
	MOB_A_BINDING,		/* nest: enum mob_binding_attr */
	MOB_A_PREFIX,		/* nest: enum mob_prefix_attr */
	MOB_A_STATS,		/* nest: enum mob_stats_attr */
	MOB_A_CONFIG,		/* nest: enum mob_config_attr */
	MOB_A_EVENT,		/* nest: enum mob_event_attr */
	MOB_A_ALIAS,		/* nest: enum mob_alias_attr */
	__MOB_A_MAX
};
#define MOB_A_MAX (__MOB_A_MAX - 1)

/* Where the VM of a binding runs. */
enum mob_kind {
	MOB_KIND_UNSPEC,
	MOB_KIND_LOCAL,		/* on this hypervisor */
	MOB_KIND_REMOTE,	/* elsewhere: a correspondent */
	__MOB_KIND_MAX
};
#define MOB_KIND_MAX (__MOB_KIND_MAX - 1)

enum mob_binding_attr {
	MOB_BINDING_A_UNSPEC,
	MOB_BINDING_A_PAD,
	MOB_BINDING_A_HOA4,		/* 4 bytes, network order */
	MOB_BINDING_A_HOA6,		/* 16 bytes */
	MOB_BINDING_A_MOA4,
	MOB_BINDING_A_MOA6,
	MOB_BINDING_A_KIND,		/* u8, enum mob_kind */
	MOB_BINDING_A_IFINDEX,		/* u32 */
	MOB_BINDING_A_STATS,		/* nest: enum mob_binding_stats_attr */
	MOB_BINDING_A_PREV_MOA4,	/* events only */
	MOB_BINDING_A_PREV_MOA6,	/* events only */
	MOB_BINDING_A_PREV_KIND,	/* events only */
	MOB_BINDING_A_FLAGS,		/* u32, enum mob_binding_flags */
	__MOB_BINDING_A_MAX
};
#define MOB_BINDING_A_MAX (__MOB_BINDING_A_MAX - 1)

enum mob_binding_flags {
	MOB_BINDING_F_REPLACE = 1U << 0,	/* replace a binding of the HoA */
	MOB_BINDING_F_NOCREATE = 1U << 1,	/* never create one */
	__MOB_BINDING_F_ALL = MOB_BINDING_F_REPLACE | MOB_BINDING_F_NOCREATE
};

enum mob_binding_stats_attr {
	MOB_BINDING_STATS_A_UNSPEC,
	MOB_BINDING_STATS_A_PAD,
	MOB_BINDING_STATS_A_PACKETS_IN,
	MOB_BINDING_STATS_A_BYTES_IN,
	MOB_BINDING_STATS_A_PACKETS_OUT,
	MOB_BINDING_STATS_A_BYTES_OUT,
	MOB_BINDING_STATS_A_IDLE_MSEC,
	__MOB_BINDING_STATS_A_MAX
};
#define MOB_BINDING_STATS_A_MAX (__MOB_BINDING_STATS_A_MAX - 1)

enum mob_alias_attr {
	MOB_ALIAS_A_UNSPEC,
	MOB_ALIAS_A_PAD,
	MOB_ALIAS_A_MOA4,		/* the alias */
	MOB_ALIAS_A_MOA6,
	MOB_ALIAS_A_HOA4,
	MOB_ALIAS_A_HOA6,
	MOB_ALIAS_A_TARGET4,		/* forward packets to it to here */
	MOB_ALIAS_A_TARGET6,
	MOB_ALIAS_A_TIMEOUT,		/* u32, ms */
	MOB_ALIAS_A_EXPIRES,		/* u32, ms left; replies only */
	MOB_ALIAS_A_PACKETS,		/* u64; replies only */
	__MOB_ALIAS_A_MAX
};
#define MOB_ALIAS_A_MAX (__MOB_ALIAS_A_MAX - 1)

enum mob_prefix_attr {
	MOB_PREFIX_A_UNSPEC,
	MOB_PREFIX_A_ADDR4,
	MOB_PREFIX_A_ADDR6,
	MOB_PREFIX_A_LEN,		/* u8 */
	__MOB_PREFIX_A_MAX
};
#define MOB_PREFIX_A_MAX (__MOB_PREFIX_A_MAX - 1)

/* Namespace counters, all NLA_U64 except where noted. */
enum mob_stats_attr {
	MOB_STATS_A_UNSPEC,
	MOB_STATS_A_PAD,
	MOB_STATS_A_BINDINGS_LOCAL,	/* u32 */
	MOB_STATS_A_BINDINGS_REMOTE,	/* u32 */
	MOB_STATS_A_BINDINGS_MAX,	/* u32 */
	MOB_STATS_A_PREFIXES,		/* u32 */
	MOB_STATS_A_XLAT_IN,		/* packets translated from the wire */
	MOB_STATS_A_XLAT_OUT,		/* packets translated toward it */
	MOB_STATS_A_XLAT_ICMP_INNER,	/* ICMP errors whose inner packet was */
	MOB_STATS_A_DROP_UNKNOWN_HOA,	/* to a home address with no binding */
	MOB_STATS_A_DROP_LEAK,		/* would leave with a home address */
	MOB_STATS_A_DROP_MALFORMED,	/* too short or inconsistent */
	MOB_STATS_A_DROP_UNSUPPORTED,	/* e.g. IPv6 routing header in use */
	MOB_STATS_A_DROP_NOMEM,		/* could not make headers writable */
	MOB_STATS_A_EVENTS,		/* data-plane events sent */
	MOB_STATS_A_EVENTS_SUPPRESSED,	/* rate limited or failed */
	MOB_STATS_A_ALIASES,		/* u32 */
	MOB_STATS_A_XLAT_FWD,		/* forwarded to an alias's target */
	__MOB_STATS_A_MAX
};
#define MOB_STATS_A_MAX (__MOB_STATS_A_MAX - 1)

enum mob_config_attr {
	MOB_CONFIG_A_UNSPEC,
	MOB_CONFIG_A_MAX_BINDINGS,	/* u32 */
	__MOB_CONFIG_A_MAX
};
#define MOB_CONFIG_A_MAX (__MOB_CONFIG_A_MAX - 1)

enum mob_event_type {
	MOB_EVENT_UNSPEC,
	MOB_EVENT_ARP_REQUEST,		/* MOB_CMD_NEIGH */
	MOB_EVENT_ARP_REPLY,		/* MOB_CMD_NEIGH */
	MOB_EVENT_ARP_PROBE,		/* MOB_CMD_NEIGH */
	MOB_EVENT_NS,			/* MOB_CMD_NEIGH */
	MOB_EVENT_DAD,			/* MOB_CMD_NEIGH */
	MOB_EVENT_RARP,			/* MOB_CMD_ANNOUNCE */
	MOB_EVENT_GARP,			/* MOB_CMD_ANNOUNCE */
	MOB_EVENT_UNSOLICITED_NA,	/* MOB_CMD_ANNOUNCE */
	MOB_EVENT_UNKNOWN_DST,		/* MOB_CMD_UNKNOWN_HOA */
	MOB_EVENT_UNKNOWN_SRC,		/* MOB_CMD_UNKNOWN_HOA */
	__MOB_EVENT_MAX
};
#define MOB_EVENT_MAX (__MOB_EVENT_MAX - 1)

enum mob_event_attr {
	MOB_EVENT_A_UNSPEC,
	MOB_EVENT_A_TYPE,		/* u8, enum mob_event_type */
	MOB_EVENT_A_IFINDEX,		/* u32 */
	MOB_EVENT_A_LLADDR,		/* 6 bytes */
	MOB_EVENT_A_SENDER4,
	MOB_EVENT_A_SENDER6,
	MOB_EVENT_A_TARGET4,
	MOB_EVENT_A_TARGET6,
	__MOB_EVENT_A_MAX
};
#define MOB_EVENT_A_MAX (__MOB_EVENT_A_MAX - 1)

#endif /* _UAPI_LINUX_MOB_H */
