// SPDX-License-Identifier: GPL-2.0
/*
 * mobnl: generic netlink helper for the "mob" family, on libmnl.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include "mobnl.h"

#define NETNS_RUN_DIR "/run/netns"

int mob_netns_enter(const char *name)
{
	char path[4096];
	int fd, err = 0;

	if (!name || !*name)
		return -EINVAL;
	if (strchr(name, '/')) {
		if (strlen(name) >= sizeof(path))
			return -ENAMETOOLONG;
		strcpy(path, name);
	} else if (snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR,
			    name) >= (int)sizeof(path)) {
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET) < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * Walk a stream of attributes.  Unlike mnl_attr_parse*() this reports a
 * truncated or malformed stream instead of stopping quietly.
 */
typedef int (*attr_cb)(const struct nlattr *attr, void *data);

static int attr_walk(const void *start, size_t len, attr_cb cb, void *data)
{
	const struct nlattr *attr = start;
	int rem = (int)len;
	int err;

	while (mnl_attr_ok(attr, rem)) {
		err = cb(attr, data);
		if (err)
			return err;
		rem -= MNL_ALIGN(attr->nla_len);
		attr = mnl_attr_next(attr);
	}
	return rem > 0 ? -EINVAL : 0;
}

static int attr_walk_nested(const struct nlattr *nest, attr_cb cb, void *data)
{
	return attr_walk(mnl_attr_get_payload(nest),
			 mnl_attr_get_payload_len(nest), cb, data);
}

static bool attr_len_is(const struct nlattr *attr, size_t len)
{
	return mnl_attr_get_payload_len(attr) == len;
}

/* Generic netlink controller: the family id and the events group. */
struct family_lookup {
	const char *group;
	uint16_t id;
	uint8_t version;
	uint32_t group_id;
};

static int mcast_group_cb(const struct nlattr *attr, void *data)
{
	struct family_lookup *fl = data;
	const struct nlattr *a;
	const char *name = NULL;
	uint32_t id = 0;

	mnl_attr_for_each_nested(a, attr) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_MCAST_GRP_NAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
				return -EINVAL;
			name = mnl_attr_get_str(a);
			break;
		case CTRL_ATTR_MCAST_GRP_ID:
			if (!attr_len_is(a, sizeof(uint32_t)))
				return -EINVAL;
			id = mnl_attr_get_u32(a);
			break;
		}
	}
	if (name && fl->group && !strcmp(name, fl->group))
		fl->group_id = id;
	return 0;
}

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	struct family_lookup *fl = data;

	switch (mnl_attr_get_type(attr)) {
	case CTRL_ATTR_FAMILY_ID:
		if (!attr_len_is(attr, sizeof(uint16_t)))
			return -EINVAL;
		fl->id = mnl_attr_get_u16(attr);
		break;
	case CTRL_ATTR_VERSION:
		if (!attr_len_is(attr, sizeof(uint32_t)))
			return -EINVAL;
		fl->version = (uint8_t)mnl_attr_get_u32(attr);
		break;
	case CTRL_ATTR_MCAST_GROUPS:
		return attr_walk_nested(attr, mcast_group_cb, data);
	}
	return 0;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return -EBADMSG;
	return attr_walk(mnl_nlmsg_get_payload_offset(nlh, GENL_HDRLEN),
			 mnl_nlmsg_get_payload_len(nlh) - GENL_HDRLEN,
			 family_attr_cb, data);
}

static int resolve_family(struct mob_nl *h, const char *family,
			  const char *group)
{
	struct family_lookup fl = { .group = group };
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	int err;

	nlh = mnl_nlmsg_put_header(h->req.buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	if (!mnl_attr_put_strz_check(nlh, sizeof(h->req.buf),
				     CTRL_ATTR_FAMILY_NAME, family))
		return -ENAMETOOLONG;

	err = mob_nl_talk(h, family_cb, &fl);
	if (err == -ENOENT && !h->cb_err)
		return -EPROTONOSUPPORT;
	if (err)
		return err;
	if (!fl.id)
		return -EPROTONOSUPPORT;
	h->family = fl.id;
	h->version = fl.version;
	h->events_group = fl.group_id;
	return 0;
}

int mob_nl_open_family(struct mob_nl **hp, const char *netns,
		       const char *family, const char *group)
{
	struct mob_nl *h;
	int one = 1;
	int err;

	*hp = NULL;
	if (netns) {
		err = mob_netns_enter(netns);
		if (err)
			return err;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->sock = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!h->sock) {
		err = -errno;
		free(h);
		return err;
	}
	/* Both are conveniences; kernels without them still work. */
	if (mnl_socket_setsockopt(h->sock, NETLINK_EXT_ACK, &one,
				  sizeof(one)) < 0 && errno != ENOPROTOOPT) {
		err = -errno;
		goto fail;
	}
	if (mnl_socket_setsockopt(h->sock, NETLINK_CAP_ACK, &one,
				  sizeof(one)) < 0 && errno != ENOPROTOOPT) {
		err = -errno;
		goto fail;
	}
	if (mnl_socket_bind(h->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail;
	}
	h->portid = mnl_socket_get_portid(h->sock);
	h->seq = (uint32_t)time(NULL);

	err = resolve_family(h, family, group);
	if (err)
		goto fail;
	*hp = h;
	return 0;
fail:
	mob_nl_close(h);
	return err;
}

int mob_nl_open(struct mob_nl **hp, const char *netns)
{
	return mob_nl_open_family(hp, netns, MOB_GENL_NAME,
				  MOB_GENL_MCGRP_EVENTS);
}

void mob_nl_close(struct mob_nl *h)
{
	if (!h)
		return;
	if (h->sock)
		mnl_socket_close(h->sock);
	free(h);
}

int mob_nl_fd(const struct mob_nl *h)
{
	return mnl_socket_get_fd(h->sock);
}

struct nlmsghdr *mob_nl_request(struct mob_nl *h, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	memset(h->req.buf, 0, sizeof(h->req.buf));
	nlh = mnl_nlmsg_put_header(h->req.buf);
	nlh->nlmsg_type = h->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	/* A dump ends with NLMSG_DONE; everything else asks for an ACK. */
	if ((flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = MOB_GENL_VERSION;
	return nlh;
}

size_t mob_addr_len(int family)
{
	switch (family) {
	case AF_INET:
		return sizeof(struct in_addr);
	case AF_INET6:
		return sizeof(struct in6_addr);
	}
	return 0;
}

int mob_nl_put_addr(struct nlmsghdr *nlh, uint16_t type4, uint16_t type6,
		    int family, const union mob_ip *addr)
{
	size_t len = mob_addr_len(family);

	if (!len)
		return -EAFNOSUPPORT;
	if (!mnl_attr_put_check(nlh, MOB_NL_REQ_SIZE,
				family == AF_INET ? type4 : type6, len, addr))
		return -EMSGSIZE;
	return 0;
}

int mob_nl_put_u8(struct nlmsghdr *nlh, uint16_t type, uint8_t value)
{
	return mnl_attr_put_u8_check(nlh, MOB_NL_REQ_SIZE, type, value) ?
		0 : -EMSGSIZE;
}

int mob_nl_put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t value)
{
	return mnl_attr_put_u32_check(nlh, MOB_NL_REQ_SIZE, type, value) ?
		0 : -EMSGSIZE;
}

struct nlattr *mob_nl_nest_start(struct nlmsghdr *nlh, uint16_t type)
{
	/* libmnl sets NLA_F_NESTED, which strict validation requires. */
	return mnl_attr_nest_start_check(nlh, MOB_NL_REQ_SIZE, type);
}

void mob_nl_nest_end(struct nlmsghdr *nlh, struct nlattr *nest)
{
	mnl_attr_nest_end(nlh, nest);
}

/* The reply loop. */

static int ext_ack_cb(const struct nlattr *attr, void *data)
{
	struct mob_nl *h = data;
	size_t len = mnl_attr_get_payload_len(attr);

	switch (mnl_attr_get_type(attr)) {
	case NLMSGERR_ATTR_MSG:
		if (len == 0)
			break;
		if (len > sizeof(h->ext_msg))
			len = sizeof(h->ext_msg);
		memcpy(h->ext_msg, mnl_attr_get_payload(attr), len);
		h->ext_msg[len - 1] = '\0';
		break;
	case NLMSGERR_ATTR_OFFS:
		if (len == sizeof(uint32_t))
			h->ext_offset = mnl_attr_get_u32(attr);
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (len == sizeof(uint32_t))
			h->ext_miss_type = mnl_attr_get_u32(attr);
		break;
	}
	return 0;
}

/* TLVs start OFFSET bytes into the payload of NLH. */
static void parse_ext_ack(struct mob_nl *h, const struct nlmsghdr *nlh,
			  size_t offset)
{
	size_t len = mnl_nlmsg_get_payload_len(nlh);

	offset = MNL_ALIGN(offset);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || offset >= len)
		return;
	/* A malformed extack only loses the text; the error code stands. */
	(void)attr_walk((const char *)mnl_nlmsg_get_payload(nlh) + offset,
			len - offset, ext_ack_cb, h);
}

static int handle_error_msg(struct mob_nl *h, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t offset = sizeof(*err);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err))
		return -EBADMSG;
	/* Without NETLINK_CAP_ACK the request follows, header and all. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
	    err->msg.nlmsg_len > sizeof(struct nlmsghdr))
		offset += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	parse_ext_ack(h, nlh, offset);
	if (err->error > 0)
		return -err->error;
	return err->error;
}

static int handle_done_msg(struct mob_nl *h, const struct nlmsghdr *nlh)
{
	int error;

	/* A dump that fails part way reports the error in NLMSG_DONE. */
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int))
		return 0;
	memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	if (error >= 0)
		return 0;
	parse_ext_ack(h, nlh, sizeof(int));
	return error;
}

void mob_nl_reply_reset(struct mob_nl *h)
{
	h->dump_intr = false;
	h->cb_err = 0;
	h->ext_msg[0] = '\0';
	h->ext_offset = 0;
	h->ext_miss_type = 0;
}

static int reply_result(struct mob_nl *h, int kernel_err)
{
	if (kernel_err)
		return kernel_err;
	if (h->cb_err)
		return h->cb_err;
	return h->dump_intr ? -EINTR : 0;
}

int mob_nl_reply_process(struct mob_nl *h, const void *buf, size_t len,
			 uint32_t seq, mob_nl_cb cb, void *data)
{
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len;
	int err;

	while (mnl_nlmsg_ok(nlh, rem)) {
		/* Not ours: an event, or the rest of an abandoned request. */
		if (nlh->nlmsg_seq != seq ||
		    (nlh->nlmsg_pid && nlh->nlmsg_pid != h->portid))
			goto next;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			h->dump_intr = true;

		switch (nlh->nlmsg_type) {
		case NLMSG_ERROR:
			err = handle_error_msg(h, nlh);
			return reply_result(h, err);
		case NLMSG_DONE:
			err = handle_done_msg(h, nlh);
			return reply_result(h, err);
		case NLMSG_NOOP:
		case NLMSG_OVERRUN:
			break;
		default:
			if (cb && !h->cb_err) {
				err = cb(nlh, data);
				if (err)
					h->cb_err = err > 0 ? -err : err;
			}
			break;
		}
next:
		nlh = mnl_nlmsg_next(nlh, &rem);
	}
	return 1;
}

int mob_nl_talk(struct mob_nl *h, mob_nl_cb cb, void *data)
{
	struct nlmsghdr *nlh = &h->req.nlh;
	ssize_t n;
	int ret = 1;

	nlh->nlmsg_seq = ++h->seq;
	if (!nlh->nlmsg_seq)
		nlh->nlmsg_seq = ++h->seq;	/* 0 is how events look */
	mob_nl_reply_reset(h);
	if (mnl_socket_sendto(h->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;

	do {
		n = mnl_socket_recvfrom(h->sock, h->rx.buf, sizeof(h->rx.buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ECONNRESET;
		ret = mob_nl_reply_process(h, h->rx.buf, (size_t)n,
					   nlh->nlmsg_seq, cb, data);
	} while (n < 0 || ret > 0);
	return ret;
}

struct path_walk {
	const char *base;
	uint32_t offset;
	uint16_t *types;
	int max;
	int depth;
	bool found;
};

static int path_cb(const struct nlattr *attr, void *data)
{
	struct path_walk *pw = data;
	uint32_t start = (uint32_t)((const char *)attr - pw->base);

	if (pw->offset < start || pw->offset >= start + attr->nla_len)
		return 0;
	if (pw->depth < pw->max)
		pw->types[pw->depth] = mnl_attr_get_type(attr);
	pw->depth++;
	if (pw->offset == start) {
		pw->found = true;
		return 1;
	}
	if (attr->nla_type & NLA_F_NESTED)
		return attr_walk_nested(attr, path_cb, pw);
	return 1;
}

int mob_nl_ext_attr_path(const struct mob_nl *h, uint16_t *types, int max)
{
	const struct nlmsghdr *nlh = &h->req.nlh;
	struct path_walk pw = {
		.base = h->req.buf,
		.offset = h->ext_offset,
		.types = types,
		.max = max,
	};
	size_t hdr = sizeof(struct nlmsghdr) + GENL_HDRLEN;

	if (!h->ext_offset || nlh->nlmsg_len <= hdr ||
	    nlh->nlmsg_len > sizeof(h->req.buf))
		return 0;
	(void)attr_walk(h->req.buf + hdr, nlh->nlmsg_len - hdr, path_cb, &pw);
	if (!pw.found)
		return 0;
	return pw.depth < max ? pw.depth : max;
}

int mob_nl_subscribe(struct mob_nl *h)
{
	int group = (int)h->events_group;

	if (!h->events_group)
		return -ENOENT;
	if (mnl_socket_setsockopt(h->sock, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0)
		return -errno;
	return 0;
}

int mob_nl_recv_events(struct mob_nl *h, mob_nl_cb cb, void *data)
{
	const struct nlmsghdr *nlh;
	ssize_t n;
	int rem, err;

	n = mnl_socket_recvfrom(h->sock, h->rx.buf, sizeof(h->rx.buf));
	if (n < 0)
		return -errno;
	nlh = &h->rx.nlh;
	rem = (int)n;
	while (mnl_nlmsg_ok(nlh, rem)) {
		/* Events come from the kernel with sequence number 0. */
		if (nlh->nlmsg_type == h->family && nlh->nlmsg_seq == 0 &&
		    nlh->nlmsg_pid == 0) {
			err = cb(nlh, data);
			if (err)
				return err;
		}
		nlh = mnl_nlmsg_next(nlh, &rem);
	}
	return 0;
}

/* Requests. */

static int put_binding_nest(struct nlmsghdr *nlh,
			    const struct mob_binding_info *b, bool full,
			    uint32_t flags)
{
	struct nlattr *nest = mob_nl_nest_start(nlh, MOB_A_BINDING);
	int err;

	if (!nest)
		return -EMSGSIZE;
	err = mob_nl_put_addr(nlh, MOB_BINDING_A_HOA4, MOB_BINDING_A_HOA6,
			      b->family, &b->hoa);
	if (!err && full)
		err = mob_nl_put_addr(nlh, MOB_BINDING_A_MOA4,
				      MOB_BINDING_A_MOA6, b->family, &b->moa);
	if (!err && full)
		err = mob_nl_put_u8(nlh, MOB_BINDING_A_KIND, b->kind);
	if (!err && full && b->ifindex)
		err = mob_nl_put_u32(nlh, MOB_BINDING_A_IFINDEX, b->ifindex);
	if (!err && flags)
		err = mob_nl_put_u32(nlh, MOB_BINDING_A_FLAGS, flags);
	if (err)
		return err;
	mob_nl_nest_end(nlh, nest);
	return 0;
}

int mob_build_binding_new(struct mob_nl *h, uint32_t flags,
			  const struct mob_binding_info *b)
{
	if (flags & ~(uint32_t)__MOB_BINDING_F_ALL ||
	    (flags & MOB_BINDING_F_NOCREATE && !(flags & MOB_BINDING_F_REPLACE)))
		return -EINVAL;
	return put_binding_nest(mob_nl_request(h, MOB_CMD_BINDING_NEW, 0), b,
				true, flags);
}

static int build_binding_hoa(struct mob_nl *h, uint8_t cmd, int family,
			     const union mob_ip *hoa)
{
	struct mob_binding_info b = { .family = family, .hoa = *hoa };

	return put_binding_nest(mob_nl_request(h, cmd, 0), &b, false, 0);
}

int mob_build_binding_del(struct mob_nl *h, int family,
			  const union mob_ip *hoa)
{
	return build_binding_hoa(h, MOB_CMD_BINDING_DEL, family, hoa);
}

int mob_build_binding_get(struct mob_nl *h, int family,
			  const union mob_ip *hoa)
{
	return build_binding_hoa(h, MOB_CMD_BINDING_GET, family, hoa);
}

static int build_kind_filter(struct mob_nl *h, uint8_t cmd, uint16_t flags,
			     uint8_t kind)
{
	struct nlmsghdr *nlh = mob_nl_request(h, cmd, flags);
	struct nlattr *nest;
	int err;

	if (!kind)
		return 0;
	nest = mob_nl_nest_start(nlh, MOB_A_BINDING);
	if (!nest)
		return -EMSGSIZE;
	err = mob_nl_put_u8(nlh, MOB_BINDING_A_KIND, kind);
	if (err)
		return err;
	mob_nl_nest_end(nlh, nest);
	return 0;
}

int mob_build_binding_dump(struct mob_nl *h, uint8_t kind)
{
	return build_kind_filter(h, MOB_CMD_BINDING_GET, NLM_F_DUMP, kind);
}

int mob_build_binding_flush(struct mob_nl *h, uint8_t kind)
{
	return build_kind_filter(h, MOB_CMD_BINDING_FLUSH, 0, kind);
}

int mob_build_prefix(struct mob_nl *h, uint8_t cmd,
		     const struct mob_prefix_info *p)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int err;

	if (cmd != MOB_CMD_PREFIX_NEW && cmd != MOB_CMD_PREFIX_DEL)
		return -EINVAL;
	nlh = mob_nl_request(h, cmd, 0);
	nest = mob_nl_nest_start(nlh, MOB_A_PREFIX);
	if (!nest)
		return -EMSGSIZE;
	err = mob_nl_put_addr(nlh, MOB_PREFIX_A_ADDR4, MOB_PREFIX_A_ADDR6,
			      p->family, &p->addr);
	if (!err)
		err = mob_nl_put_u8(nlh, MOB_PREFIX_A_LEN, p->len);
	if (err)
		return err;
	mob_nl_nest_end(nlh, nest);
	return 0;
}

int mob_build_prefix_dump(struct mob_nl *h)
{
	mob_nl_request(h, MOB_CMD_PREFIX_GET, NLM_F_DUMP);
	return 0;
}

int mob_build_stats_get(struct mob_nl *h)
{
	mob_nl_request(h, MOB_CMD_STATS_GET, 0);
	return 0;
}

int mob_build_config_get(struct mob_nl *h)
{
	mob_nl_request(h, MOB_CMD_CONFIG_GET, 0);
	return 0;
}

int mob_build_config_set(struct mob_nl *h, uint32_t max_bindings)
{
	struct nlmsghdr *nlh = mob_nl_request(h, MOB_CMD_CONFIG_SET, 0);
	struct nlattr *nest = mob_nl_nest_start(nlh, MOB_A_CONFIG);
	int err;

	if (!nest)
		return -EMSGSIZE;
	err = mob_nl_put_u32(nlh, MOB_CONFIG_A_MAX_BINDINGS, max_bindings);
	if (err)
		return err;
	mob_nl_nest_end(nlh, nest);
	return 0;
}

/*
 * Aliases.  The builders check what the kernel would refuse for the form
 * of the request (a family that is neither IPv4 nor IPv6, a missing HoA,
 * a timeout above MOB_ALIAS_TIMEOUT_MAX) before touching h->req; what
 * depends on the table (and on unicast addresses) is the kernel's to say.
 */
static bool alias_family_ok(int family)
{
	return family == AF_INET || family == AF_INET6;
}

int mob_build_alias_new(struct mob_nl *h, const struct mob_alias_info *a)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int err;

	if (!a || !alias_family_ok(a->family) || !a->has_hoa ||
	    a->timeout_ms > MOB_ALIAS_TIMEOUT_MAX)
		return -EINVAL;
	nlh = mob_nl_request(h, MOB_CMD_ALIAS_NEW, 0);
	nest = mob_nl_nest_start(nlh, MOB_A_ALIAS);
	if (!nest)
		return -EMSGSIZE;
	err = mob_nl_put_addr(nlh, MOB_ALIAS_A_MOA4, MOB_ALIAS_A_MOA6,
			      a->family, &a->moa);
	if (!err)
		err = mob_nl_put_addr(nlh, MOB_ALIAS_A_HOA4, MOB_ALIAS_A_HOA6,
				      a->family, &a->hoa);
	if (!err && a->has_target)
		err = mob_nl_put_addr(nlh, MOB_ALIAS_A_TARGET4,
				      MOB_ALIAS_A_TARGET6, a->family,
				      &a->target);
	if (!err && a->timeout_ms)
		err = mob_nl_put_u32(nlh, MOB_ALIAS_A_TIMEOUT, a->timeout_ms);
	if (err)
		return err;
	mob_nl_nest_end(nlh, nest);
	return 0;
}

static int build_alias_moa(struct mob_nl *h, uint8_t cmd, int family,
			   const union mob_ip *moa)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int err;

	if (!moa || !alias_family_ok(family))
		return -EINVAL;
	nlh = mob_nl_request(h, cmd, 0);
	nest = mob_nl_nest_start(nlh, MOB_A_ALIAS);
	if (!nest)
		return -EMSGSIZE;
	err = mob_nl_put_addr(nlh, MOB_ALIAS_A_MOA4, MOB_ALIAS_A_MOA6, family,
			      moa);
	if (err)
		return err;
	mob_nl_nest_end(nlh, nest);
	return 0;
}

int mob_build_alias_del(struct mob_nl *h, int family, const union mob_ip *moa)
{
	return build_alias_moa(h, MOB_CMD_ALIAS_DEL, family, moa);
}

int mob_build_alias_get(struct mob_nl *h, int family, const union mob_ip *moa)
{
	return build_alias_moa(h, MOB_CMD_ALIAS_GET, family, moa);
}

int mob_build_alias_dump(struct mob_nl *h)
{
	mob_nl_request(h, MOB_CMD_ALIAS_GET, NLM_F_DUMP);
	return 0;
}

int mob_build_alias_flush(struct mob_nl *h)
{
	mob_nl_request(h, MOB_CMD_ALIAS_FLUSH, 0);
	return 0;
}

/* Parsing. */

/* One address of a 4/16-byte pair; a second one (either variant) is bad. */
static int get_addr(const struct nlattr *attr, int family, int *seen,
		    union mob_ip *addr)
{
	size_t len = mob_addr_len(family);

	if (!attr_len_is(attr, len) || *seen)
		return -EINVAL;
	memset(addr, 0, sizeof(*addr));
	memcpy(addr, mnl_attr_get_payload(attr), len);
	*seen = family;
	return 0;
}

static int get_u8(const struct nlattr *attr, uint8_t *v)
{
	if (!attr_len_is(attr, sizeof(*v)))
		return -EINVAL;
	*v = mnl_attr_get_u8(attr);
	return 0;
}

static int get_u32(const struct nlattr *attr, uint32_t *v)
{
	if (!attr_len_is(attr, sizeof(*v)))
		return -EINVAL;
	*v = mnl_attr_get_u32(attr);
	return 0;
}

static int get_u64(const struct nlattr *attr, uint64_t *v)
{
	if (!attr_len_is(attr, sizeof(*v)))
		return -EINVAL;
	*v = mnl_attr_get_u64(attr);
	return 0;
}

static int binding_stats_cb(const struct nlattr *attr, void *data)
{
	struct mob_binding_stats *s = data;

	switch (mnl_attr_get_type(attr)) {
	case MOB_BINDING_STATS_A_PACKETS_IN:
		return get_u64(attr, &s->packets_in);
	case MOB_BINDING_STATS_A_BYTES_IN:
		return get_u64(attr, &s->bytes_in);
	case MOB_BINDING_STATS_A_PACKETS_OUT:
		return get_u64(attr, &s->packets_out);
	case MOB_BINDING_STATS_A_BYTES_OUT:
		return get_u64(attr, &s->bytes_out);
	case MOB_BINDING_STATS_A_IDLE_MSEC:
		s->has_idle = true;
		return get_u64(attr, &s->idle_msec);
	}
	return 0;
}

struct binding_parse {
	struct mob_binding_info *b;
	int hoa, moa, prev;		/* family seen, 0 if none */
};

static int binding_cb(const struct nlattr *attr, void *data)
{
	struct binding_parse *bp = data;
	struct mob_binding_info *b = bp->b;

	switch (mnl_attr_get_type(attr)) {
	case MOB_BINDING_A_HOA4:
		return get_addr(attr, AF_INET, &bp->hoa, &b->hoa);
	case MOB_BINDING_A_HOA6:
		return get_addr(attr, AF_INET6, &bp->hoa, &b->hoa);
	case MOB_BINDING_A_MOA4:
		return get_addr(attr, AF_INET, &bp->moa, &b->moa);
	case MOB_BINDING_A_MOA6:
		return get_addr(attr, AF_INET6, &bp->moa, &b->moa);
	case MOB_BINDING_A_PREV_MOA4:
		return get_addr(attr, AF_INET, &bp->prev, &b->prev_moa);
	case MOB_BINDING_A_PREV_MOA6:
		return get_addr(attr, AF_INET6, &bp->prev, &b->prev_moa);
	case MOB_BINDING_A_KIND:
		return get_u8(attr, &b->kind);
	case MOB_BINDING_A_PREV_KIND:
		return get_u8(attr, &b->prev_kind);
	case MOB_BINDING_A_IFINDEX:
		return get_u32(attr, &b->ifindex);
	case MOB_BINDING_A_STATS:
		b->has_stats = true;
		return attr_walk_nested(attr, binding_stats_cb, &b->stats);
	}
	return 0;
}

static int parse_binding(const struct nlattr *nest, struct mob_binding_info *b)
{
	struct binding_parse bp = { .b = b };
	int err;

	err = attr_walk_nested(nest, binding_cb, &bp);
	if (err)
		return err;
	/* Every address of a binding is of the HoA's family. */
	if ((bp.hoa && bp.moa && bp.hoa != bp.moa) ||
	    (bp.moa && bp.prev && bp.moa != bp.prev) ||
	    (bp.hoa && bp.prev && bp.hoa != bp.prev))
		return -EINVAL;
	b->family = bp.hoa;
	b->has_moa = bp.moa != 0;
	b->has_prev = bp.prev != 0;
	return 0;
}

struct alias_parse {
	struct mob_alias_info *a;
	int moa, hoa, target;		/* family seen, 0 if none */
};

static int alias_cb(const struct nlattr *attr, void *data)
{
	struct alias_parse *ap = data;
	struct mob_alias_info *a = ap->a;

	switch (mnl_attr_get_type(attr)) {
	case MOB_ALIAS_A_MOA4:
		return get_addr(attr, AF_INET, &ap->moa, &a->moa);
	case MOB_ALIAS_A_MOA6:
		return get_addr(attr, AF_INET6, &ap->moa, &a->moa);
	case MOB_ALIAS_A_HOA4:
		return get_addr(attr, AF_INET, &ap->hoa, &a->hoa);
	case MOB_ALIAS_A_HOA6:
		return get_addr(attr, AF_INET6, &ap->hoa, &a->hoa);
	case MOB_ALIAS_A_TARGET4:
		return get_addr(attr, AF_INET, &ap->target, &a->target);
	case MOB_ALIAS_A_TARGET6:
		return get_addr(attr, AF_INET6, &ap->target, &a->target);
	case MOB_ALIAS_A_TIMEOUT:
		return get_u32(attr, &a->timeout_ms);
	case MOB_ALIAS_A_EXPIRES:
		a->has_expires = true;
		return get_u32(attr, &a->expires_ms);
	case MOB_ALIAS_A_PACKETS:
		return get_u64(attr, &a->packets);
	}
	return 0;
}

static int parse_alias(const struct nlattr *nest, struct mob_alias_info *a)
{
	struct alias_parse ap = { .a = a };
	int err;

	err = attr_walk_nested(nest, alias_cb, &ap);
	if (err)
		return err;
	/* Every address of an alias is of one family. */
	if ((ap.moa && ap.hoa && ap.moa != ap.hoa) ||
	    (ap.moa && ap.target && ap.moa != ap.target) ||
	    (ap.hoa && ap.target && ap.hoa != ap.target))
		return -EINVAL;
	/* As for a binding's HoA: 0 when the key, the alias, is absent. */
	a->family = ap.moa;
	a->has_hoa = ap.hoa != 0;
	a->has_target = ap.target != 0;
	return 0;
}

struct prefix_parse {
	struct mob_prefix_info *p;
	int family;
	bool has_len;
};

static int prefix_cb(const struct nlattr *attr, void *data)
{
	struct prefix_parse *pp = data;

	switch (mnl_attr_get_type(attr)) {
	case MOB_PREFIX_A_ADDR4:
		return get_addr(attr, AF_INET, &pp->family, &pp->p->addr);
	case MOB_PREFIX_A_ADDR6:
		return get_addr(attr, AF_INET6, &pp->family, &pp->p->addr);
	case MOB_PREFIX_A_LEN:
		pp->has_len = true;
		return get_u8(attr, &pp->p->len);
	}
	return 0;
}

static int parse_prefix(const struct nlattr *nest, struct mob_prefix_info *p)
{
	struct prefix_parse pp = { .p = p };
	int err;

	err = attr_walk_nested(nest, prefix_cb, &pp);
	if (err)
		return err;
	if (pp.family && pp.has_len && p->len > 8 * mob_addr_len(pp.family))
		return -EINVAL;
	p->family = pp.family;
	return 0;
}

static int stats_cb(const struct nlattr *attr, void *data)
{
	struct mob_stats_info *s = data;
	uint16_t type = mnl_attr_get_type(attr);
	uint32_t v32 = 0;
	int err;

	switch (type) {
	case MOB_STATS_A_UNSPEC:
	case MOB_STATS_A_PAD:
		return 0;
	case MOB_STATS_A_BINDINGS_LOCAL:
	case MOB_STATS_A_BINDINGS_REMOTE:
	case MOB_STATS_A_BINDINGS_MAX:
	case MOB_STATS_A_PREFIXES:
	case MOB_STATS_A_ALIASES:
		err = get_u32(attr, &v32);
		s->counter[type] = v32;
		break;
	default:
		if (type > MOB_STATS_A_MAX)
			return 0;
		err = get_u64(attr, &s->counter[type]);
		break;
	}
	if (!err)
		s->present[type] = true;
	return err;
}

static int config_cb(const struct nlattr *attr, void *data)
{
	struct mob_config_info *c = data;

	switch (mnl_attr_get_type(attr)) {
	case MOB_CONFIG_A_MAX_BINDINGS:
		c->has_max_bindings = true;
		return get_u32(attr, &c->max_bindings);
	}
	return 0;
}

static int event_cb(const struct nlattr *attr, void *data)
{
	struct mob_event_info *e = data;

	switch (mnl_attr_get_type(attr)) {
	case MOB_EVENT_A_TYPE:
		return get_u8(attr, &e->type);
	case MOB_EVENT_A_IFINDEX:
		return get_u32(attr, &e->ifindex);
	case MOB_EVENT_A_LLADDR:
		if (!attr_len_is(attr, sizeof(e->lladdr)))
			return -EINVAL;
		memcpy(e->lladdr, mnl_attr_get_payload(attr),
		       sizeof(e->lladdr));
		e->has_lladdr = true;
		return 0;
	case MOB_EVENT_A_SENDER4:
		return get_addr(attr, AF_INET, &e->sender_family, &e->sender);
	case MOB_EVENT_A_SENDER6:
		return get_addr(attr, AF_INET6, &e->sender_family, &e->sender);
	case MOB_EVENT_A_TARGET4:
		return get_addr(attr, AF_INET, &e->target_family, &e->target);
	case MOB_EVENT_A_TARGET6:
		return get_addr(attr, AF_INET6, &e->target_family, &e->target);
	}
	return 0;
}

static int msg_cb(const struct nlattr *attr, void *data)
{
	struct mob_msg *m = data;
	uint16_t type = mnl_attr_get_type(attr);
	bool *seen;
	int err;

	switch (type) {
	case MOB_A_BINDING:
		seen = &m->has_binding;
		break;
	case MOB_A_PREFIX:
		seen = &m->has_prefix;
		break;
	case MOB_A_STATS:
		seen = &m->has_stats;
		break;
	case MOB_A_CONFIG:
		seen = &m->has_config;
		break;
	case MOB_A_EVENT:
		seen = &m->has_event;
		break;
	case MOB_A_ALIAS:
		seen = &m->has_alias;
		break;
	default:
		return 0;
	}
	/* Each message carries at most one object of a kind. */
	if (*seen)
		return -EINVAL;
	*seen = true;

	switch (type) {
	case MOB_A_BINDING:
		err = parse_binding(attr, &m->binding);
		break;
	case MOB_A_PREFIX:
		err = parse_prefix(attr, &m->prefix);
		break;
	case MOB_A_STATS:
		err = attr_walk_nested(attr, stats_cb, &m->stats);
		break;
	case MOB_A_CONFIG:
		err = attr_walk_nested(attr, config_cb, &m->config);
		break;
	case MOB_A_ALIAS:
		err = parse_alias(attr, &m->alias);
		break;
	default:
		err = attr_walk_nested(attr, event_cb, &m->event);
		break;
	}
	return err;
}

int mob_msg_parse(const struct nlmsghdr *nlh, struct mob_msg *m)
{
	const struct genlmsghdr *genl;
	size_t len;

	memset(m, 0, sizeof(*m));
	if (nlh->nlmsg_len < sizeof(*nlh))
		return -EBADMSG;
	len = mnl_nlmsg_get_payload_len(nlh);
	if (len < GENL_HDRLEN)
		return -EBADMSG;
	genl = mnl_nlmsg_get_payload(nlh);
	m->cmd = genl->cmd;
	return attr_walk(mnl_nlmsg_get_payload_offset(nlh, GENL_HDRLEN),
			 len - GENL_HDRLEN, msg_cb, m);
}

const char *mob_kind_name(uint8_t kind)
{
	switch (kind) {
	case MOB_KIND_LOCAL:
		return "local";
	case MOB_KIND_REMOTE:
		return "remote";
	}
	return NULL;
}

const char *mob_event_type_name(uint8_t type)
{
	static const char *const names[] = {
		[MOB_EVENT_ARP_REQUEST] = "arp-request",
		[MOB_EVENT_ARP_REPLY] = "arp-reply",
		[MOB_EVENT_ARP_PROBE] = "arp-probe",
		[MOB_EVENT_NS] = "ns",
		[MOB_EVENT_DAD] = "dad",
		[MOB_EVENT_RARP] = "rarp",
		[MOB_EVENT_GARP] = "garp",
		[MOB_EVENT_UNSOLICITED_NA] = "unsolicited-na",
		[MOB_EVENT_UNKNOWN_DST] = "dst",
		[MOB_EVENT_UNKNOWN_SRC] = "src",
	};

	if (type >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[type];
}

const char *mob_addr_ntop(int family, const union mob_ip *addr,
			  char *buf, size_t len)
{
	if (!inet_ntop(family, addr, buf, (socklen_t)len)) {
		snprintf(buf, len, "?");
		return NULL;
	}
	return buf;
}
