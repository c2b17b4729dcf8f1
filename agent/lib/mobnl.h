/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mobnl: the generic netlink helper every mob program uses to talk to the
 * "mob" family (see uapi/linux/mob.h).  Built on libmnl.
 *
 * Functions return 0 or a negative errno and never print or exit.  After a
 * failed request the handle keeps what the kernel said about it (extack),
 * so the caller can show it.
 *
 * A handle is for requests or for events, not both at once: the reply loop
 * skips event messages, the event loop skips replies.
 */
#ifndef MOBNL_H
#define MOBNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/mob.h>

/* Large enough for any request mob takes. */
#define MOB_NL_REQ_SIZE		1024
/* Dumps are sent in skbs of up to 32 KiB; a smaller buffer truncates. */
#define MOB_NL_RX_SIZE		32768
#define MOB_NL_EXT_MSG_SIZE	256

union mob_ip {
	struct in_addr v4;
	struct in6_addr v6;
	uint8_t raw[16];
};

struct mob_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;		/* genetlink id of "mob" */
	uint8_t version;		/* family version the kernel runs */
	uint32_t events_group;		/* multicast group id, 0 if none */

	/* State of the last request, valid after mob_nl_talk() returns. */
	bool dump_intr;			/* a message carried NLM_F_DUMP_INTR */
	int cb_err;			/* the callback failed (not the kernel) */
	char ext_msg[MOB_NL_EXT_MSG_SIZE]; /* extack text, "" if none */
	uint32_t ext_offset;		/* of the bad attribute in req, 0 if none */
	uint32_t ext_miss_type;		/* missing attribute type, 0 if none */

	union {
		struct nlmsghdr nlh;
		char buf[MOB_NL_REQ_SIZE];
	} req;
	union {
		struct nlmsghdr nlh;
		char buf[MOB_NL_RX_SIZE];
	} rx;
};

/* A data message; return 0 to go on, a negative errno to stop. */
typedef int (*mob_nl_cb)(const struct nlmsghdr *nlh, void *data);

/*
 * Enter the network namespace NAME, as "ip -n NAME" does: NAME is looked up
 * in /run/netns unless it contains a '/', then it is a path (for example
 * /proc/PID/ns/net).  Affects the calling thread.  -ENOENT if there is no
 * such namespace, -EPERM without CAP_SYS_ADMIN.
 */
int mob_netns_enter(const char *name);

/*
 * Open a handle: enter NETNS first if it is not NULL, open a generic netlink
 * socket and look up the "mob" family and its "events" group.  Returns
 * -EPROTONOSUPPORT if the family is not registered (module not loaded).
 */
int mob_nl_open(struct mob_nl **hp, const char *netns);
/* The same for any family; GROUP may be NULL.  For tests and tools. */
int mob_nl_open_family(struct mob_nl **hp, const char *netns,
		       const char *family, const char *group);
void mob_nl_close(struct mob_nl *h);
int mob_nl_fd(const struct mob_nl *h);

/*
 * Start a request for CMD in h->req: the netlink header (NLM_F_REQUEST, plus
 * NLM_F_ACK unless FLAGS has all of NLM_F_DUMP, plus FLAGS) and the genetlink
 * header with MOB_GENL_VERSION.  The sequence number is set when it is sent.
 */
struct nlmsghdr *mob_nl_request(struct mob_nl *h, uint8_t cmd, uint16_t flags);

/*
 * Attribute helpers for messages in a buffer of MOB_NL_REQ_SIZE bytes; they
 * return -EMSGSIZE when it is full.  mob_nl_put_addr() puts TYPE4 with 4
 * bytes for AF_INET, TYPE6 with 16 bytes for AF_INET6 (-EAFNOSUPPORT else).
 */
int mob_nl_put_addr(struct nlmsghdr *nlh, uint16_t type4, uint16_t type6,
		    int family, const union mob_ip *addr);
int mob_nl_put_u8(struct nlmsghdr *nlh, uint16_t type, uint8_t value);
int mob_nl_put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t value);
struct nlattr *mob_nl_nest_start(struct nlmsghdr *nlh, uint16_t type);
void mob_nl_nest_end(struct nlmsghdr *nlh, struct nlattr *nest);

/*
 * Send h->req and read the reply: CB (may be NULL) is called for every data
 * message, until the ACK or the end of the dump.  Returns the kernel's error
 * (with h->ext_* set), or the callback's (h->cb_err set; the rest of the
 * reply is read and dropped), or -EINTR if a dump was interrupted by a change
 * (h->dump_intr set; CB saw every message: start again for a consistent view).
 */
int mob_nl_talk(struct mob_nl *h, mob_nl_cb cb, void *data);

/*
 * The reply loop's work on one received buffer, exposed for tests: returns
 * 1 while more is expected, 0 at the end, or a negative errno as above.
 * Call mob_nl_reply_reset() before the first buffer of a reply.
 */
void mob_nl_reply_reset(struct mob_nl *h);
int mob_nl_reply_process(struct mob_nl *h, const void *buf, size_t len,
			 uint32_t seq, mob_nl_cb cb, void *data);

/*
 * The extack offset resolved against h->req: the attribute types from the
 * top level down to the bad attribute, at most MAX of them.  Returns how many
 * were stored, 0 if there is no offset or it matches no attribute.
 */
int mob_nl_ext_attr_path(const struct mob_nl *h, uint16_t *types, int max);

/*
 * Join the "events" group (-ENOENT if the kernel has none), then read with
 * mob_nl_recv_events(): one receive, CB called for each event in it.  It
 * returns -EINTR when a signal arrived and -ENOBUFS when events were lost
 * because the socket buffer overflowed; the handle stays usable.
 */
int mob_nl_subscribe(struct mob_nl *h);
int mob_nl_recv_events(struct mob_nl *h, mob_nl_cb cb, void *data);

/*
 * Requests, built in h->req; each returns 0 or -errno.  FLAGS of a
 * BINDING_NEW are MOB_BINDING_F_* as the uapi header describes them: 0 adds,
 * REPLACE adds or replaces, REPLACE|NOCREATE only replaces; NOCREATE alone
 * or an unknown bit is -EINVAL.
 */
struct mob_binding_info;
struct mob_prefix_info;
int mob_build_binding_new(struct mob_nl *h, uint32_t flags,
			  const struct mob_binding_info *b);
int mob_build_binding_del(struct mob_nl *h, int family,
			  const union mob_ip *hoa);
int mob_build_binding_get(struct mob_nl *h, int family,
			  const union mob_ip *hoa);
int mob_build_binding_dump(struct mob_nl *h, uint8_t kind);	/* 0: all */
int mob_build_binding_flush(struct mob_nl *h, uint8_t kind);	/* 0: all */
int mob_build_prefix(struct mob_nl *h, uint8_t cmd,
		     const struct mob_prefix_info *p);
int mob_build_prefix_dump(struct mob_nl *h);
int mob_build_stats_get(struct mob_nl *h);
int mob_build_config_get(struct mob_nl *h);
int mob_build_config_set(struct mob_nl *h, uint32_t max_bindings);
/*
 * Aliases (MOB_CMD_ALIAS_*).  ALIAS_NEW sends the MoA, the HoA, the target
 * if has_target and the timeout if timeout_ms is not 0; the reply-only
 * fields (expires, packets) are ignored.  -EINVAL, with h->req left as it
 * was, for a family other than AF_INET/AF_INET6, a NEW without has_hoa, a
 * timeout above MOB_ALIAS_TIMEOUT_MAX, or a NULL argument.
 */
struct mob_alias_info;
int mob_build_alias_new(struct mob_nl *h, const struct mob_alias_info *a);
int mob_build_alias_del(struct mob_nl *h, int family, const union mob_ip *moa);
int mob_build_alias_get(struct mob_nl *h, int family, const union mob_ip *moa);
int mob_build_alias_dump(struct mob_nl *h);
int mob_build_alias_flush(struct mob_nl *h);

/* Parsed messages.  Absent attributes read as zero. */
struct mob_binding_stats {
	uint64_t packets_in;
	uint64_t bytes_in;
	uint64_t packets_out;
	uint64_t bytes_out;
	uint64_t idle_msec;
	bool has_idle;
};

struct mob_binding_info {
	int family;			/* of the HoA; 0 if absent */
	union mob_ip hoa;
	bool has_moa;
	union mob_ip moa;
	uint8_t kind;			/* enum mob_kind */
	uint32_t ifindex;
	bool has_stats;
	struct mob_binding_stats stats;
	bool has_prev;			/* replace event: the binding before */
	union mob_ip prev_moa;
	uint8_t prev_kind;
};

/* An alias (uapi: MOB_CMD_ALIAS_*): one more MoA for a HoA. */
struct mob_alias_info {
	int family;			/* of the alias; 0 if absent */
	union mob_ip moa;		/* the alias */
	bool has_hoa;
	union mob_ip hoa;
	bool has_target;		/* forward packets to MOA to TARGET */
	union mob_ip target;
	uint32_t timeout_ms;		/* 0: none */
	bool has_expires;		/* replies: ms left */
	uint32_t expires_ms;
	uint64_t packets;		/* replies */
};

struct mob_prefix_info {
	int family;
	union mob_ip addr;
	uint8_t len;
};

struct mob_stats_info {
	uint64_t counter[__MOB_STATS_A_MAX];	/* by enum mob_stats_attr */
	bool present[__MOB_STATS_A_MAX];
};

struct mob_config_info {
	bool has_max_bindings;
	uint32_t max_bindings;
};

struct mob_event_info {
	uint8_t type;			/* enum mob_event_type */
	uint32_t ifindex;
	bool has_lladdr;
	uint8_t lladdr[6];
	int sender_family;		/* 0 if absent */
	union mob_ip sender;
	int target_family;
	union mob_ip target;
};

struct mob_msg {
	uint8_t cmd;
	bool has_binding, has_prefix, has_stats, has_config, has_event;
	bool has_alias;
	struct mob_binding_info binding;
	struct mob_alias_info alias;
	struct mob_prefix_info prefix;
	struct mob_stats_info stats;
	struct mob_config_info config;
	struct mob_event_info event;
};

/*
 * Parse a mob message.  Unknown attributes are skipped, so that an older
 * program works with a newer kernel; a known attribute of the wrong size,
 * both variants of an address pair, or addresses of two families in one
 * nest give -EINVAL; a message too short for its headers -EBADMSG.
 */
int mob_msg_parse(const struct nlmsghdr *nlh, struct mob_msg *m);

/* Names as mobctl spells them; NULL for values this program does not know. */
const char *mob_kind_name(uint8_t kind);
const char *mob_event_type_name(uint8_t type);

/* inet_ntop() for a mob address; BUF holds INET6_ADDRSTRLEN bytes. */
const char *mob_addr_ntop(int family, const union mob_ip *addr,
			  char *buf, size_t len);
size_t mob_addr_len(int family);	/* 4, 16, or 0 */

#endif /* MOBNL_H */
