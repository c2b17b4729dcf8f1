// SPDX-License-Identifier: GPL-2.0
/*
 * agent/lib/mobnl.c: the requests it builds, the replies and events it
 * parses (built here by hand), the reply loop's handling of ACKs, extack,
 * dumps and interrupted dumps, and, when the host allows a generic netlink
 * socket, the real thing against the kernel's "nlctrl" family.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "mobnl.h"
#include "suites.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FAKE_FAMILY 0x42
#define FAKE_PORTID 4242

static struct mob_nl *h;

static void offline_setup(void)
{
	h = calloc(1, sizeof(*h));
	ck_assert_ptr_nonnull(h);
	h->family = FAKE_FAMILY;
	h->portid = FAKE_PORTID;
}

static void offline_teardown(void)
{
	free(h);
	h = NULL;
}

static union mob_ip addr4(const char *s)
{
	union mob_ip a;

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(inet_pton(AF_INET, s, &a.v4), 1);
	return a;
}

static union mob_ip addr6(const char *s)
{
	union mob_ip a;

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(inet_pton(AF_INET6, s, &a.v6), 1);
	return a;
}

/* The attributes of a stream, flattened for comparison. */
struct seen_attr {
	uint16_t type;		/* with NLA_F_NESTED */
	uint16_t len;		/* payload */
};

static size_t collect(const void *start, size_t len, struct seen_attr *out,
		      size_t max)
{
	const struct nlattr *a = start;
	int rem = (int)len;
	size_t n = 0;

	while (mnl_attr_ok(a, rem)) {
		ck_assert_uint_lt(n, max);
		out[n].type = a->nla_type;
		out[n].len = mnl_attr_get_payload_len(a);
		n++;
		rem -= MNL_ALIGN(a->nla_len);
		a = mnl_attr_next(a);
	}
	ck_assert_int_eq(rem, 0);	/* nothing left over */
	return n;
}

static const struct nlattr *first_attr(const struct nlmsghdr *nlh)
{
	return mnl_nlmsg_get_payload_offset(nlh, GENL_HDRLEN);
}

static void check_header(const struct nlmsghdr *nlh, uint8_t cmd,
			 uint16_t flags)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);

	ck_assert_uint_eq(nlh->nlmsg_type, FAKE_FAMILY);
	ck_assert_uint_eq(nlh->nlmsg_flags, flags);
	ck_assert_uint_eq(genl->cmd, cmd);
	ck_assert_uint_eq(genl->version, MOB_GENL_VERSION);
	ck_assert_uint_eq(genl->reserved, 0);
}

START_TEST(test_build_binding_new)
{
	struct mob_binding_info b = {
		.family = AF_INET,
		.hoa = addr4("10.99.0.11"),
		.moa = addr4("10.1.1.11"),
		.has_moa = true,
		.kind = MOB_KIND_LOCAL,
		.ifindex = 7,
	};
	const struct nlmsghdr *nlh = &h->req.nlh;
	const struct nlattr *nest, *a;
	struct seen_attr top[4], in[8];
	const uint32_t hoa = htonl(0x0a63000b), moa = htonl(0x0a01010b);

	ck_assert_int_eq(mob_build_binding_new(h, 0, &b), 0);
	check_header(nlh, MOB_CMD_BINDING_NEW, NLM_F_REQUEST | NLM_F_ACK);
	/* nlmsghdr, genlmsghdr, nest, HOA4, MOA4, KIND (padded), IFINDEX */
	ck_assert_uint_eq(nlh->nlmsg_len, 16 + 4 + 4 + 8 + 8 + 8 + 8);

	ck_assert_uint_eq(collect(first_attr(nlh),
				  nlh->nlmsg_len - 16 - GENL_HDRLEN, top, 4), 1);
	ck_assert_uint_eq(top[0].type, MOB_A_BINDING | NLA_F_NESTED);

	nest = first_attr(nlh);
	ck_assert_uint_eq(collect(mnl_attr_get_payload(nest),
				  mnl_attr_get_payload_len(nest), in, 8), 4);
	ck_assert_uint_eq(in[0].type, MOB_BINDING_A_HOA4);
	ck_assert_uint_eq(in[0].len, 4);
	ck_assert_uint_eq(in[1].type, MOB_BINDING_A_MOA4);
	ck_assert_uint_eq(in[1].len, 4);
	ck_assert_uint_eq(in[2].type, MOB_BINDING_A_KIND);
	ck_assert_uint_eq(in[2].len, 1);
	ck_assert_uint_eq(in[3].type, MOB_BINDING_A_IFINDEX);
	ck_assert_uint_eq(in[3].len, 4);

	a = mnl_attr_get_payload(nest);
	ck_assert_mem_eq(mnl_attr_get_payload(a), &hoa, 4);
	a = mnl_attr_next(a);
	ck_assert_mem_eq(mnl_attr_get_payload(a), &moa, 4);
	a = mnl_attr_next(a);
	ck_assert_uint_eq(mnl_attr_get_u8(a), MOB_KIND_LOCAL);
	a = mnl_attr_next(a);
	ck_assert_uint_eq(mnl_attr_get_u32(a), 7);
}
END_TEST

START_TEST(test_build_binding_new6)
{
	struct mob_binding_info b = {
		.family = AF_INET6,
		.hoa = addr6("2001:db8:99::11"),
		.moa = addr6("2001:db8:1::11"),
		.kind = MOB_KIND_REMOTE,
	};
	const struct nlmsghdr *nlh = &h->req.nlh;
	const struct nlattr *nest;
	struct seen_attr in[8];

	ck_assert_int_eq(mob_build_binding_new(h, MOB_BINDING_F_REPLACE, &b),
			 0);
	/* Generic netlink reserves NLM_F_CREATE/EXCL/REPLACE: none is sent. */
	check_header(nlh, MOB_CMD_BINDING_NEW, NLM_F_REQUEST | NLM_F_ACK);
	nest = first_attr(nlh);
	ck_assert_uint_eq(collect(mnl_attr_get_payload(nest),
				  mnl_attr_get_payload_len(nest), in, 8), 4);
	ck_assert_uint_eq(in[3].type, MOB_BINDING_A_FLAGS);
	ck_assert_uint_eq(in[3].len, 4);
	ck_assert_uint_eq(in[0].type, MOB_BINDING_A_HOA6);
	ck_assert_uint_eq(in[0].len, 16);
	ck_assert_uint_eq(in[1].type, MOB_BINDING_A_MOA6);
	ck_assert_uint_eq(in[1].len, 16);
	ck_assert_uint_eq(in[2].type, MOB_BINDING_A_KIND);
	ck_assert_mem_eq(mnl_attr_get_payload(mnl_attr_get_payload(nest)),
			 &b.hoa.v6, 16);
}
END_TEST

START_TEST(test_build_binding_new_bad)
{
	struct mob_binding_info b = {
		.family = AF_INET,
		.hoa = addr4("10.99.0.11"),
		.moa = addr4("10.1.1.11"),
		.kind = MOB_KIND_LOCAL,
	};

	/* Only the flags of the uapi documentation, in a sensible mix. */
	ck_assert_int_eq(mob_build_binding_new(h, 1U << 5, &b), -EINVAL);
	ck_assert_int_eq(mob_build_binding_new(h, MOB_BINDING_F_NOCREATE, &b),
			 -EINVAL);
	/* "none of these" is a valid request of its own. */
	ck_assert_int_eq(mob_build_binding_new(h, 0, &b), 0);
	check_header(&h->req.nlh, MOB_CMD_BINDING_NEW,
		     NLM_F_REQUEST | NLM_F_ACK);
	ck_assert_int_eq(mob_build_binding_new(h, MOB_BINDING_F_REPLACE |
					       MOB_BINDING_F_NOCREATE, &b), 0);
	check_header(&h->req.nlh, MOB_CMD_BINDING_NEW,
		     NLM_F_REQUEST | NLM_F_ACK);
	b.family = AF_UNIX;
	ck_assert_int_eq(mob_build_binding_new(h, 0, &b), -EAFNOSUPPORT);
}
END_TEST

START_TEST(test_build_small)
{
	const struct nlmsghdr *nlh = &h->req.nlh;
	union mob_ip hoa = addr6("2001:db8::5");
	struct mob_prefix_info p = {
		.family = AF_INET, .addr = addr4("10.99.0.0"), .len = 16
	};
	const struct nlattr *nest;
	struct seen_attr in[4];

	ck_assert_int_eq(mob_build_binding_del(h, AF_INET6, &hoa), 0);
	check_header(nlh, MOB_CMD_BINDING_DEL, NLM_F_REQUEST | NLM_F_ACK);
	nest = first_attr(nlh);
	ck_assert_uint_eq(nest->nla_type, MOB_A_BINDING | NLA_F_NESTED);
	ck_assert_uint_eq(collect(mnl_attr_get_payload(nest),
				  mnl_attr_get_payload_len(nest), in, 4), 1);
	ck_assert_uint_eq(in[0].type, MOB_BINDING_A_HOA6);

	ck_assert_int_eq(mob_build_binding_get(h, AF_INET6, &hoa), 0);
	check_header(nlh, MOB_CMD_BINDING_GET, NLM_F_REQUEST | NLM_F_ACK);

	/* A dump ends with NLMSG_DONE: no ACK asked for. */
	ck_assert_int_eq(mob_build_binding_dump(h, 0), 0);
	check_header(nlh, MOB_CMD_BINDING_GET, NLM_F_REQUEST | NLM_F_DUMP);
	ck_assert_uint_eq(nlh->nlmsg_len, 16 + GENL_HDRLEN);

	ck_assert_int_eq(mob_build_binding_dump(h, MOB_KIND_REMOTE), 0);
	check_header(nlh, MOB_CMD_BINDING_GET, NLM_F_REQUEST | NLM_F_DUMP);
	nest = first_attr(nlh);
	ck_assert_uint_eq(collect(mnl_attr_get_payload(nest),
				  mnl_attr_get_payload_len(nest), in, 4), 1);
	ck_assert_uint_eq(in[0].type, MOB_BINDING_A_KIND);
	ck_assert_uint_eq(mnl_attr_get_u8(mnl_attr_get_payload(nest)),
			  MOB_KIND_REMOTE);

	ck_assert_int_eq(mob_build_binding_flush(h, MOB_KIND_LOCAL), 0);
	check_header(nlh, MOB_CMD_BINDING_FLUSH, NLM_F_REQUEST | NLM_F_ACK);
	ck_assert_int_eq(mob_build_binding_flush(h, 0), 0);
	ck_assert_uint_eq(nlh->nlmsg_len, 16 + GENL_HDRLEN);

	ck_assert_int_eq(mob_build_prefix(h, MOB_CMD_PREFIX_NEW, &p), 0);
	check_header(nlh, MOB_CMD_PREFIX_NEW, NLM_F_REQUEST | NLM_F_ACK);
	nest = first_attr(nlh);
	ck_assert_uint_eq(nest->nla_type, MOB_A_PREFIX | NLA_F_NESTED);
	ck_assert_uint_eq(collect(mnl_attr_get_payload(nest),
				  mnl_attr_get_payload_len(nest), in, 4), 2);
	ck_assert_uint_eq(in[0].type, MOB_PREFIX_A_ADDR4);
	ck_assert_uint_eq(in[1].type, MOB_PREFIX_A_LEN);
	ck_assert_uint_eq(in[1].len, 1);
	ck_assert_int_eq(mob_build_prefix(h, MOB_CMD_PREFIX_GET, &p), -EINVAL);

	ck_assert_int_eq(mob_build_prefix_dump(h), 0);
	check_header(nlh, MOB_CMD_PREFIX_GET, NLM_F_REQUEST | NLM_F_DUMP);

	ck_assert_int_eq(mob_build_stats_get(h), 0);
	check_header(nlh, MOB_CMD_STATS_GET, NLM_F_REQUEST | NLM_F_ACK);
	ck_assert_uint_eq(nlh->nlmsg_len, 16 + GENL_HDRLEN);

	ck_assert_int_eq(mob_build_config_get(h), 0);
	check_header(nlh, MOB_CMD_CONFIG_GET, NLM_F_REQUEST | NLM_F_ACK);

	ck_assert_int_eq(mob_build_config_set(h, 65536), 0);
	check_header(nlh, MOB_CMD_CONFIG_SET, NLM_F_REQUEST | NLM_F_ACK);
	nest = first_attr(nlh);
	ck_assert_uint_eq(nest->nla_type, MOB_A_CONFIG | NLA_F_NESTED);
	ck_assert_uint_eq(mnl_attr_get_type(mnl_attr_get_payload(nest)),
			  MOB_CONFIG_A_MAX_BINDINGS);
	ck_assert_uint_eq(mnl_attr_get_u32(mnl_attr_get_payload(nest)), 65536);
}
END_TEST

START_TEST(test_build_full)
{
	struct nlmsghdr *nlh = mob_nl_request(h, MOB_CMD_CONFIG_SET, 0);
	int i, err = 0;

	for (i = 0; i < 1000 && !err; i++)
		err = mob_nl_put_u32(nlh, MOB_CONFIG_A_MAX_BINDINGS, i);
	ck_assert_int_eq(err, -EMSGSIZE);
	ck_assert_uint_le(nlh->nlmsg_len, MOB_NL_REQ_SIZE);
	ck_assert_int_eq(mob_nl_put_addr(nlh, 1, 2, AF_INET6,
					 &(union mob_ip){ 0 }), -EMSGSIZE);
}
END_TEST

/* The request an alias NEW must be, built here with libmnl. */
static size_t want_alias_new(char *buf, int family, const union mob_ip *moa,
			     const union mob_ip *hoa,
			     const union mob_ip *target, uint32_t timeout)
{
	size_t len = family == AF_INET ? 4 : 16;
	bool v4 = family == AF_INET;
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	struct nlattr *nest;

	memset(buf, 0, MOB_NL_REQ_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = FAKE_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = MOB_CMD_ALIAS_NEW;
	genl->version = MOB_GENL_VERSION;
	nest = mnl_attr_nest_start(nlh, MOB_A_ALIAS);
	mnl_attr_put(nlh, v4 ? MOB_ALIAS_A_MOA4 : MOB_ALIAS_A_MOA6, len, moa);
	mnl_attr_put(nlh, v4 ? MOB_ALIAS_A_HOA4 : MOB_ALIAS_A_HOA6, len, hoa);
	if (target)
		mnl_attr_put(nlh, v4 ? MOB_ALIAS_A_TARGET4 :
			     MOB_ALIAS_A_TARGET6, len, target);
	if (timeout)
		mnl_attr_put_u32(nlh, MOB_ALIAS_A_TIMEOUT, timeout);
	mnl_attr_nest_end(nlh, nest);
	return nlh->nlmsg_len;
}

START_TEST(test_build_alias_new)
{
	struct mob_alias_info a = {
		.family = AF_INET,
		.moa = addr4("10.1.1.11"),
		.has_hoa = true,
		.hoa = addr4("10.99.0.11"),
		.has_target = true,
		.target = addr4("10.1.2.11"),
		.timeout_ms = 30000,
		/* Reply-only fields: never sent. */
		.has_expires = true,
		.expires_ms = 5,
		.packets = 9,
	};
	const struct nlmsghdr *nlh = &h->req.nlh;
	const struct nlattr *nest, *at;
	struct seen_attr top[4], in[8];
	char want[MOB_NL_REQ_SIZE] __attribute__((aligned(4)));
	const uint32_t moa = htonl(0x0a01010b), hoa = htonl(0x0a63000b);
	const uint32_t target = htonl(0x0a01020b);
	size_t len;

	ck_assert_int_eq(mob_build_alias_new(h, &a), 0);
	check_header(nlh, MOB_CMD_ALIAS_NEW, NLM_F_REQUEST | NLM_F_ACK);
	/* nlmsghdr, genlmsghdr, nest, MOA4, HOA4, TARGET4, TIMEOUT */
	ck_assert_uint_eq(nlh->nlmsg_len, 16 + 4 + 4 + 8 + 8 + 8 + 8);
	ck_assert_uint_eq(collect(first_attr(nlh),
				  nlh->nlmsg_len - 16 - GENL_HDRLEN, top, 4), 1);
	ck_assert_uint_eq(top[0].type, MOB_A_ALIAS | NLA_F_NESTED);
	nest = first_attr(nlh);
	ck_assert_uint_eq(collect(mnl_attr_get_payload(nest),
				  mnl_attr_get_payload_len(nest), in, 8), 4);
	ck_assert_uint_eq(in[0].type, MOB_ALIAS_A_MOA4);
	ck_assert_uint_eq(in[0].len, 4);
	ck_assert_uint_eq(in[1].type, MOB_ALIAS_A_HOA4);
	ck_assert_uint_eq(in[1].len, 4);
	ck_assert_uint_eq(in[2].type, MOB_ALIAS_A_TARGET4);
	ck_assert_uint_eq(in[2].len, 4);
	ck_assert_uint_eq(in[3].type, MOB_ALIAS_A_TIMEOUT);
	ck_assert_uint_eq(in[3].len, 4);
	at = mnl_attr_get_payload(nest);
	ck_assert_mem_eq(mnl_attr_get_payload(at), &moa, 4);
	at = mnl_attr_next(at);
	ck_assert_mem_eq(mnl_attr_get_payload(at), &hoa, 4);
	at = mnl_attr_next(at);
	ck_assert_mem_eq(mnl_attr_get_payload(at), &target, 4);
	at = mnl_attr_next(at);
	ck_assert_uint_eq(mnl_attr_get_u32(at), 30000);

	/* And byte for byte. */
	len = want_alias_new(want, AF_INET, &a.moa, &a.hoa, &a.target, 30000);
	ck_assert_uint_eq(nlh->nlmsg_len, len);
	ck_assert_mem_eq(h->req.buf, want, len);

	/* The largest timeout is allowed. */
	a.timeout_ms = MOB_ALIAS_TIMEOUT_MAX;
	ck_assert_int_eq(mob_build_alias_new(h, &a), 0);
	len = want_alias_new(want, AF_INET, &a.moa, &a.hoa, &a.target,
			     MOB_ALIAS_TIMEOUT_MAX);
	ck_assert_mem_eq(h->req.buf, want, len);
}
END_TEST

START_TEST(test_build_alias_new6)
{
	struct mob_alias_info a = {
		.family = AF_INET6,
		.moa = addr6("2001:db8:2::11"),
		.has_hoa = true,
		.hoa = addr6("2001:db8:99::11"),
	};
	const struct nlmsghdr *nlh = &h->req.nlh;
	const struct nlattr *nest;
	struct seen_attr in[8];
	char want[MOB_NL_REQ_SIZE] __attribute__((aligned(4)));
	size_t len;

	/* No target, no timeout (0: until deleted): neither is sent. */
	ck_assert_int_eq(mob_build_alias_new(h, &a), 0);
	check_header(nlh, MOB_CMD_ALIAS_NEW, NLM_F_REQUEST | NLM_F_ACK);
	nest = first_attr(nlh);
	ck_assert_uint_eq(collect(mnl_attr_get_payload(nest),
				  mnl_attr_get_payload_len(nest), in, 8), 2);
	ck_assert_uint_eq(in[0].type, MOB_ALIAS_A_MOA6);
	ck_assert_uint_eq(in[0].len, 16);
	ck_assert_uint_eq(in[1].type, MOB_ALIAS_A_HOA6);
	ck_assert_uint_eq(in[1].len, 16);
	len = want_alias_new(want, AF_INET6, &a.moa, &a.hoa, NULL, 0);
	ck_assert_uint_eq(nlh->nlmsg_len, len);
	ck_assert_mem_eq(h->req.buf, want, len);

	/* A target and a timeout of 1 ms. */
	a.has_target = true;
	a.target = addr6("2001:db8:3::11");
	a.timeout_ms = 1;
	ck_assert_int_eq(mob_build_alias_new(h, &a), 0);
	len = want_alias_new(want, AF_INET6, &a.moa, &a.hoa, &a.target, 1);
	ck_assert_uint_eq(nlh->nlmsg_len, len);
	ck_assert_mem_eq(h->req.buf, want, len);
}
END_TEST

START_TEST(test_build_alias_bad)
{
	struct mob_alias_info good = {
		.family = AF_INET,
		.moa = addr4("10.1.1.11"),
		.has_hoa = true,
		.hoa = addr4("10.99.0.11"),
		.timeout_ms = 30000,
	};
	struct mob_alias_info a;
	union mob_ip moa = addr4("10.1.1.11");
	const struct nlmsghdr *nlh = &h->req.nlh;

	/* A failed build leaves h->req as it was: here a STATS_GET. */
	ck_assert_int_eq(mob_build_stats_get(h), 0);

	a = good;
	a.family = AF_UNIX;
	ck_assert_int_eq(mob_build_alias_new(h, &a), -EINVAL);
	a.family = 0;
	ck_assert_int_eq(mob_build_alias_new(h, &a), -EINVAL);
	a = good;
	a.has_hoa = false;
	ck_assert_int_eq(mob_build_alias_new(h, &a), -EINVAL);
	a = good;
	a.timeout_ms = MOB_ALIAS_TIMEOUT_MAX + 1;
	ck_assert_int_eq(mob_build_alias_new(h, &a), -EINVAL);
	a.timeout_ms = UINT32_MAX;
	ck_assert_int_eq(mob_build_alias_new(h, &a), -EINVAL);
	ck_assert_int_eq(mob_build_alias_new(h, NULL), -EINVAL);

	ck_assert_int_eq(mob_build_alias_del(h, AF_UNIX, &moa), -EINVAL);
	ck_assert_int_eq(mob_build_alias_del(h, 0, &moa), -EINVAL);
	ck_assert_int_eq(mob_build_alias_del(h, AF_INET, NULL), -EINVAL);
	ck_assert_int_eq(mob_build_alias_get(h, AF_PACKET, &moa), -EINVAL);
	ck_assert_int_eq(mob_build_alias_get(h, AF_INET6, NULL), -EINVAL);

	check_header(nlh, MOB_CMD_STATS_GET, NLM_F_REQUEST | NLM_F_ACK);
	ck_assert_uint_eq(nlh->nlmsg_len, 16 + GENL_HDRLEN);

	/* The good one, for contrast. */
	ck_assert_int_eq(mob_build_alias_new(h, &good), 0);
	check_header(nlh, MOB_CMD_ALIAS_NEW, NLM_F_REQUEST | NLM_F_ACK);
}
END_TEST

START_TEST(test_build_alias_small)
{
	const struct nlmsghdr *nlh = &h->req.nlh;
	union mob_ip moa4 = addr4("10.1.1.11");
	union mob_ip moa6 = addr6("2001:db8:1::11");
	const struct nlattr *nest;
	struct seen_attr in[4];

	ck_assert_int_eq(mob_build_alias_del(h, AF_INET, &moa4), 0);
	check_header(nlh, MOB_CMD_ALIAS_DEL, NLM_F_REQUEST | NLM_F_ACK);
	ck_assert_uint_eq(nlh->nlmsg_len, 16 + GENL_HDRLEN + 4 + 8);
	nest = first_attr(nlh);
	ck_assert_uint_eq(nest->nla_type, MOB_A_ALIAS | NLA_F_NESTED);
	ck_assert_uint_eq(collect(mnl_attr_get_payload(nest),
				  mnl_attr_get_payload_len(nest), in, 4), 1);
	ck_assert_uint_eq(in[0].type, MOB_ALIAS_A_MOA4);
	ck_assert_uint_eq(in[0].len, 4);
	ck_assert_mem_eq(mnl_attr_get_payload(mnl_attr_get_payload(nest)),
			 &moa4, 4);

	ck_assert_int_eq(mob_build_alias_get(h, AF_INET6, &moa6), 0);
	check_header(nlh, MOB_CMD_ALIAS_GET, NLM_F_REQUEST | NLM_F_ACK);
	ck_assert_uint_eq(nlh->nlmsg_len, 16 + GENL_HDRLEN + 4 + 20);
	nest = first_attr(nlh);
	ck_assert_uint_eq(nest->nla_type, MOB_A_ALIAS | NLA_F_NESTED);
	ck_assert_uint_eq(collect(mnl_attr_get_payload(nest),
				  mnl_attr_get_payload_len(nest), in, 4), 1);
	ck_assert_uint_eq(in[0].type, MOB_ALIAS_A_MOA6);
	ck_assert_uint_eq(in[0].len, 16);
	ck_assert_mem_eq(mnl_attr_get_payload(mnl_attr_get_payload(nest)),
			 &moa6, 16);

	ck_assert_int_eq(mob_build_alias_del(h, AF_INET6, &moa6), 0);
	check_header(nlh, MOB_CMD_ALIAS_DEL, NLM_F_REQUEST | NLM_F_ACK);
	ck_assert_uint_eq(mnl_attr_get_type(mnl_attr_get_payload(
				first_attr(nlh))), MOB_ALIAS_A_MOA6);

	/* A dump: no attribute, no ACK asked for. */
	ck_assert_int_eq(mob_build_alias_dump(h), 0);
	check_header(nlh, MOB_CMD_ALIAS_GET, NLM_F_REQUEST | NLM_F_DUMP);
	ck_assert_uint_eq(nlh->nlmsg_len, 16 + GENL_HDRLEN);

	ck_assert_int_eq(mob_build_alias_flush(h), 0);
	check_header(nlh, MOB_CMD_ALIAS_FLUSH, NLM_F_REQUEST | NLM_F_ACK);
	ck_assert_uint_eq(nlh->nlmsg_len, 16 + GENL_HDRLEN);
}
END_TEST

/* Hand-built messages, as the kernel would send them. */

static char msgbuf[8192] __attribute__((aligned(4)));

static struct nlmsghdr *msg_start(void *buf, uint8_t cmd)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	memset(buf, 0, 4096);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = FAKE_FAMILY;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = MOB_GENL_VERSION;
	return nlh;
}

static void put_u64(struct nlmsghdr *nlh, uint16_t type, uint64_t v)
{
	mnl_attr_put_u64(nlh, type, v);
}

START_TEST(test_parse_binding)
{
	struct nlmsghdr *nlh = msg_start(msgbuf, MOB_CMD_BINDING_GET);
	union mob_ip hoa = addr4("10.99.0.11"), moa = addr4("10.1.1.11");
	struct nlattr *nest, *stats, *junk;
	struct mob_msg m;

	/* Unknown attributes, at every level, from a newer kernel. */
	junk = mnl_attr_nest_start(nlh, 77);
	mnl_attr_put_u32(nlh, 1, 0xdeadbeef);
	mnl_attr_nest_end(nlh, junk);
	nest = mnl_attr_nest_start(nlh, MOB_A_BINDING);
	mnl_attr_put(nlh, MOB_BINDING_A_HOA4, 4, &hoa);
	mnl_attr_put(nlh, 60, 7, "1234567");
	mnl_attr_put(nlh, MOB_BINDING_A_MOA4, 4, &moa);
	mnl_attr_put_u8(nlh, MOB_BINDING_A_KIND, MOB_KIND_LOCAL);
	mnl_attr_put_u32(nlh, MOB_BINDING_A_IFINDEX, 5);
	stats = mnl_attr_nest_start(nlh, MOB_BINDING_A_STATS);
	mnl_attr_put(nlh, MOB_BINDING_STATS_A_PAD, 0, NULL);
	put_u64(nlh, MOB_BINDING_STATS_A_PACKETS_IN, 3);
	put_u64(nlh, MOB_BINDING_STATS_A_BYTES_IN, 252);
	put_u64(nlh, MOB_BINDING_STATS_A_PACKETS_OUT, 4);
	put_u64(nlh, MOB_BINDING_STATS_A_BYTES_OUT, 0x100000000ULL);
	mnl_attr_put_u16(nlh, 42, 1);
	put_u64(nlh, MOB_BINDING_STATS_A_IDLE_MSEC, 1500);
	mnl_attr_nest_end(nlh, stats);
	mnl_attr_put_u8(nlh, 200, 1);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_strz(nlh, 300, "from the future");

	ck_assert_int_eq(mob_msg_parse(nlh, &m), 0);
	ck_assert_uint_eq(m.cmd, MOB_CMD_BINDING_GET);
	ck_assert(m.has_binding);
	ck_assert(!m.has_prefix && !m.has_stats && !m.has_config &&
		  !m.has_event);
	ck_assert_int_eq(m.binding.family, AF_INET);
	ck_assert_mem_eq(&m.binding.hoa, &hoa, sizeof(hoa));
	ck_assert(m.binding.has_moa);
	ck_assert_mem_eq(&m.binding.moa, &moa, sizeof(moa));
	ck_assert_uint_eq(m.binding.kind, MOB_KIND_LOCAL);
	ck_assert_uint_eq(m.binding.ifindex, 5);
	ck_assert(m.binding.has_stats);
	ck_assert_uint_eq(m.binding.stats.packets_in, 3);
	ck_assert_uint_eq(m.binding.stats.bytes_in, 252);
	ck_assert_uint_eq(m.binding.stats.packets_out, 4);
	ck_assert_uint_eq(m.binding.stats.bytes_out, 0x100000000ULL);
	ck_assert(m.binding.stats.has_idle);
	ck_assert_uint_eq(m.binding.stats.idle_msec, 1500);
	ck_assert(!m.binding.has_prev);
}
END_TEST

START_TEST(test_parse_binding_event6)
{
	struct nlmsghdr *nlh = msg_start(msgbuf, MOB_CMD_BINDING_NEW);
	union mob_ip hoa = addr6("2001:db8:99::11");
	union mob_ip moa = addr6("2001:db8:2::11");
	union mob_ip prev = addr6("2001:db8:1::11");
	struct nlattr *nest;
	struct mob_msg m;

	nest = mnl_attr_nest_start(nlh, MOB_A_BINDING);
	mnl_attr_put(nlh, MOB_BINDING_A_HOA6, 16, &hoa);
	mnl_attr_put(nlh, MOB_BINDING_A_MOA6, 16, &moa);
	mnl_attr_put_u8(nlh, MOB_BINDING_A_KIND, MOB_KIND_REMOTE);
	mnl_attr_put(nlh, MOB_BINDING_A_PREV_MOA6, 16, &prev);
	mnl_attr_put_u8(nlh, MOB_BINDING_A_PREV_KIND, MOB_KIND_LOCAL);
	mnl_attr_nest_end(nlh, nest);

	ck_assert_int_eq(mob_msg_parse(nlh, &m), 0);
	ck_assert_int_eq(m.binding.family, AF_INET6);
	ck_assert_mem_eq(&m.binding.moa, &moa, sizeof(moa));
	ck_assert(m.binding.has_prev);
	ck_assert_mem_eq(&m.binding.prev_moa, &prev, sizeof(prev));
	ck_assert_uint_eq(m.binding.prev_kind, MOB_KIND_LOCAL);
	ck_assert(!m.binding.has_stats);
	ck_assert_uint_eq(m.binding.ifindex, 0);
}
END_TEST

START_TEST(test_parse_others)
{
	struct nlmsghdr *nlh;
	union mob_ip a = addr4("10.99.0.0");
	union mob_ip s = addr4("10.99.0.11"), t = addr4("10.99.0.1");
	const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct nlattr *nest;
	struct mob_msg m;

	nlh = msg_start(msgbuf, MOB_CMD_PREFIX_NEW);
	nest = mnl_attr_nest_start(nlh, MOB_A_PREFIX);
	mnl_attr_put(nlh, MOB_PREFIX_A_ADDR4, 4, &a);
	mnl_attr_put_u8(nlh, MOB_PREFIX_A_LEN, 16);
	mnl_attr_put_u8(nlh, 9, 9);
	mnl_attr_nest_end(nlh, nest);
	ck_assert_int_eq(mob_msg_parse(nlh, &m), 0);
	ck_assert(m.has_prefix);
	ck_assert_int_eq(m.prefix.family, AF_INET);
	ck_assert_uint_eq(m.prefix.len, 16);
	ck_assert_mem_eq(&m.prefix.addr, &a, sizeof(a));

	nlh = msg_start(msgbuf, MOB_CMD_STATS_GET);
	nest = mnl_attr_nest_start(nlh, MOB_A_STATS);
	mnl_attr_put_u32(nlh, MOB_STATS_A_BINDINGS_LOCAL, 2);
	mnl_attr_put_u32(nlh, MOB_STATS_A_BINDINGS_MAX, 65536);
	put_u64(nlh, MOB_STATS_A_XLAT_IN, 1ULL << 40);
	put_u64(nlh, MOB_STATS_A_EVENTS_SUPPRESSED, 9);
	put_u64(nlh, MOB_STATS_A_MAX + 1, 7);
	mnl_attr_put_u32(nlh, MOB_STATS_A_MAX + 2, 7);
	mnl_attr_nest_end(nlh, nest);
	ck_assert_int_eq(mob_msg_parse(nlh, &m), 0);
	ck_assert(m.has_stats);
	ck_assert(m.stats.present[MOB_STATS_A_BINDINGS_LOCAL]);
	ck_assert(!m.stats.present[MOB_STATS_A_BINDINGS_REMOTE]);
	ck_assert_uint_eq(m.stats.counter[MOB_STATS_A_BINDINGS_LOCAL], 2);
	ck_assert_uint_eq(m.stats.counter[MOB_STATS_A_BINDINGS_MAX], 65536);
	ck_assert_uint_eq(m.stats.counter[MOB_STATS_A_XLAT_IN], 1ULL << 40);
	ck_assert_uint_eq(m.stats.counter[MOB_STATS_A_EVENTS_SUPPRESSED], 9);

	nlh = msg_start(msgbuf, MOB_CMD_CONFIG_GET);
	nest = mnl_attr_nest_start(nlh, MOB_A_CONFIG);
	mnl_attr_put_u32(nlh, MOB_CONFIG_A_MAX_BINDINGS, 1000);
	mnl_attr_nest_end(nlh, nest);
	ck_assert_int_eq(mob_msg_parse(nlh, &m), 0);
	ck_assert(m.has_config && m.config.has_max_bindings);
	ck_assert_uint_eq(m.config.max_bindings, 1000);

	nlh = msg_start(msgbuf, MOB_CMD_NEIGH);
	nest = mnl_attr_nest_start(nlh, MOB_A_EVENT);
	mnl_attr_put_u8(nlh, MOB_EVENT_A_TYPE, MOB_EVENT_ARP_REQUEST);
	mnl_attr_put_u32(nlh, MOB_EVENT_A_IFINDEX, 3);
	mnl_attr_put(nlh, MOB_EVENT_A_LLADDR, 6, mac);
	mnl_attr_put(nlh, MOB_EVENT_A_SENDER4, 4, &s);
	mnl_attr_put(nlh, MOB_EVENT_A_TARGET4, 4, &t);
	mnl_attr_put(nlh, 99, 3, "abc");
	mnl_attr_nest_end(nlh, nest);
	ck_assert_int_eq(mob_msg_parse(nlh, &m), 0);
	ck_assert(m.has_event);
	ck_assert_uint_eq(m.event.type, MOB_EVENT_ARP_REQUEST);
	ck_assert_uint_eq(m.event.ifindex, 3);
	ck_assert(m.event.has_lladdr);
	ck_assert_mem_eq(m.event.lladdr, mac, 6);
	ck_assert_int_eq(m.event.sender_family, AF_INET);
	ck_assert_mem_eq(&m.event.sender, &s, sizeof(s));
	ck_assert_int_eq(m.event.target_family, AF_INET);
	ck_assert_mem_eq(&m.event.target, &t, sizeof(t));

	/* A flush of everything: no binding nest at all. */
	nlh = msg_start(msgbuf, MOB_CMD_BINDING_FLUSH);
	ck_assert_int_eq(mob_msg_parse(nlh, &m), 0);
	ck_assert_uint_eq(m.cmd, MOB_CMD_BINDING_FLUSH);
	ck_assert(!m.has_binding);
}
END_TEST

START_TEST(test_parse_alias)
{
	struct nlmsghdr *nlh = msg_start(msgbuf, MOB_CMD_ALIAS_GET);
	union mob_ip moa = addr4("10.1.1.11"), hoa = addr4("10.99.0.11");
	union mob_ip target = addr4("10.1.2.11");
	struct nlattr *nest;
	struct mob_msg m;

	/* A reply, with unknown attributes from a newer kernel. */
	nest = mnl_attr_nest_start(nlh, MOB_A_ALIAS);
	mnl_attr_put(nlh, MOB_ALIAS_A_PAD, 0, NULL);
	mnl_attr_put(nlh, MOB_ALIAS_A_MOA4, 4, &moa);
	mnl_attr_put(nlh, MOB_ALIAS_A_HOA4, 4, &hoa);
	mnl_attr_put(nlh, MOB_ALIAS_A_TARGET4, 4, &target);
	mnl_attr_put_u32(nlh, MOB_ALIAS_A_TIMEOUT, 30000);
	mnl_attr_put_u32(nlh, MOB_ALIAS_A_EXPIRES, 12345);
	mnl_attr_put_u64(nlh, MOB_ALIAS_A_PACKETS, 0x100000007ULL);
	mnl_attr_put(nlh, MOB_ALIAS_A_MAX + 1, 5, "12345");
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_u8(nlh, MOB_A_MAX + 1, 1);

	ck_assert_int_eq(mob_msg_parse(nlh, &m), 0);
	ck_assert_uint_eq(m.cmd, MOB_CMD_ALIAS_GET);
	ck_assert(m.has_alias);
	ck_assert(!m.has_binding && !m.has_prefix && !m.has_stats &&
		  !m.has_config && !m.has_event);
	ck_assert_int_eq(m.alias.family, AF_INET);
	ck_assert_mem_eq(&m.alias.moa, &moa, sizeof(moa));
	ck_assert(m.alias.has_hoa);
	ck_assert_mem_eq(&m.alias.hoa, &hoa, sizeof(hoa));
	ck_assert(m.alias.has_target);
	ck_assert_mem_eq(&m.alias.target, &target, sizeof(target));
	ck_assert_uint_eq(m.alias.timeout_ms, 30000);
	ck_assert(m.alias.has_expires);
	ck_assert_uint_eq(m.alias.expires_ms, 12345);
	ck_assert_uint_eq(m.alias.packets, 0x100000007ULL);
}
END_TEST

START_TEST(test_parse_alias_events)
{
	struct nlmsghdr *nlh;
	union mob_ip moa = addr6("2001:db8:2::11");
	union mob_ip hoa = addr6("2001:db8:99::11");
	struct nlattr *nest;
	struct mob_msg m;

	/* A NEW event: no target, no timeout, so nothing expires. */
	nlh = msg_start(msgbuf, MOB_CMD_ALIAS_NEW);
	nest = mnl_attr_nest_start(nlh, MOB_A_ALIAS);
	mnl_attr_put(nlh, MOB_ALIAS_A_MOA6, 16, &moa);
	mnl_attr_put(nlh, MOB_ALIAS_A_HOA6, 16, &hoa);
	mnl_attr_put_u64(nlh, MOB_ALIAS_A_PACKETS, 0);
	mnl_attr_nest_end(nlh, nest);
	ck_assert_int_eq(mob_msg_parse(nlh, &m), 0);
	ck_assert_uint_eq(m.cmd, MOB_CMD_ALIAS_NEW);
	ck_assert(m.has_alias);
	ck_assert_int_eq(m.alias.family, AF_INET6);
	ck_assert_mem_eq(&m.alias.moa, &moa, sizeof(moa));
	ck_assert(m.alias.has_hoa);
	ck_assert_mem_eq(&m.alias.hoa, &hoa, sizeof(hoa));
	ck_assert(!m.alias.has_target);
	ck_assert_uint_eq(m.alias.timeout_ms, 0);
	ck_assert(!m.alias.has_expires);

	/* A DEL naming the alias only: the key is all there is. */
	nlh = msg_start(msgbuf, MOB_CMD_ALIAS_DEL);
	nest = mnl_attr_nest_start(nlh, MOB_A_ALIAS);
	mnl_attr_put(nlh, MOB_ALIAS_A_MOA6, 16, &moa);
	mnl_attr_nest_end(nlh, nest);
	ck_assert_int_eq(mob_msg_parse(nlh, &m), 0);
	ck_assert(m.has_alias);
	ck_assert_int_eq(m.alias.family, AF_INET6);
	ck_assert(!m.alias.has_hoa && !m.alias.has_target);

	/* Without the alias, family says so (as a binding's without HoA). */
	nlh = msg_start(msgbuf, MOB_CMD_ALIAS_DEL);
	nest = mnl_attr_nest_start(nlh, MOB_A_ALIAS);
	mnl_attr_put(nlh, MOB_ALIAS_A_HOA6, 16, &hoa);
	mnl_attr_nest_end(nlh, nest);
	ck_assert_int_eq(mob_msg_parse(nlh, &m), 0);
	ck_assert(m.has_alias && m.alias.has_hoa);
	ck_assert_int_eq(m.alias.family, 0);

	/* A FLUSH: no attribute at all. */
	nlh = msg_start(msgbuf, MOB_CMD_ALIAS_FLUSH);
	ck_assert_int_eq(mob_msg_parse(nlh, &m), 0);
	ck_assert_uint_eq(m.cmd, MOB_CMD_ALIAS_FLUSH);
	ck_assert(!m.has_alias && !m.has_binding);

	/* The new counters: aliases a u32, xlat_fwd a u64. */
	nlh = msg_start(msgbuf, MOB_CMD_STATS_GET);
	nest = mnl_attr_nest_start(nlh, MOB_A_STATS);
	mnl_attr_put_u32(nlh, MOB_STATS_A_ALIASES, 3);
	put_u64(nlh, MOB_STATS_A_XLAT_FWD, 1ULL << 33);
	mnl_attr_nest_end(nlh, nest);
	ck_assert_int_eq(mob_msg_parse(nlh, &m), 0);
	ck_assert(m.stats.present[MOB_STATS_A_ALIASES]);
	ck_assert_uint_eq(m.stats.counter[MOB_STATS_A_ALIASES], 3);
	ck_assert(m.stats.present[MOB_STATS_A_XLAT_FWD]);
	ck_assert_uint_eq(m.stats.counter[MOB_STATS_A_XLAT_FWD], 1ULL << 33);
}
END_TEST

/* Messages that must be refused, each built by one function. */
static struct nlattr *bnest(struct nlmsghdr *nlh)
{
	return mnl_attr_nest_start(nlh, MOB_A_BINDING);
}

static void put_hoa4(struct nlmsghdr *nlh)
{
	union mob_ip a = addr4("10.99.0.11");

	mnl_attr_put(nlh, MOB_BINDING_A_HOA4, 4, &a);
}

static void bad_hoa4_len(struct nlmsghdr *nlh)
{
	struct nlattr *n = bnest(nlh);

	mnl_attr_put(nlh, MOB_BINDING_A_HOA4, 5, "12345");
	mnl_attr_nest_end(nlh, n);
}

static void bad_hoa6_len(struct nlmsghdr *nlh)
{
	struct nlattr *n = bnest(nlh);

	mnl_attr_put(nlh, MOB_BINDING_A_HOA6, 4, "1234");
	mnl_attr_nest_end(nlh, n);
}

static void bad_moa4_len(struct nlmsghdr *nlh)
{
	struct nlattr *n = bnest(nlh);

	put_hoa4(nlh);
	mnl_attr_put(nlh, MOB_BINDING_A_MOA4, 16, "0123456789abcdef");
	mnl_attr_nest_end(nlh, n);
}

static void bad_kind_len(struct nlmsghdr *nlh)
{
	struct nlattr *n = bnest(nlh);

	put_hoa4(nlh);
	mnl_attr_put_u32(nlh, MOB_BINDING_A_KIND, MOB_KIND_LOCAL);
	mnl_attr_nest_end(nlh, n);
}

static void bad_ifindex_len(struct nlmsghdr *nlh)
{
	struct nlattr *n = bnest(nlh);

	mnl_attr_put_u64(nlh, MOB_BINDING_A_IFINDEX, 1);
	mnl_attr_nest_end(nlh, n);
}

static void bad_stats_len(struct nlmsghdr *nlh)
{
	struct nlattr *n = bnest(nlh), *s;

	put_hoa4(nlh);
	s = mnl_attr_nest_start(nlh, MOB_BINDING_A_STATS);
	mnl_attr_put_u32(nlh, MOB_BINDING_STATS_A_PACKETS_IN, 1);
	mnl_attr_nest_end(nlh, s);
	mnl_attr_nest_end(nlh, n);
}

static void bad_two_hoas(struct nlmsghdr *nlh)
{
	union mob_ip a6 = addr6("2001:db8::1");
	struct nlattr *n = bnest(nlh);

	put_hoa4(nlh);
	mnl_attr_put(nlh, MOB_BINDING_A_HOA6, 16, &a6);
	mnl_attr_nest_end(nlh, n);
}

static void bad_mixed_families(struct nlmsghdr *nlh)
{
	union mob_ip a6 = addr6("2001:db8::1");
	struct nlattr *n = bnest(nlh);

	put_hoa4(nlh);
	mnl_attr_put(nlh, MOB_BINDING_A_MOA6, 16, &a6);
	mnl_attr_nest_end(nlh, n);
}

static void bad_prev_family(struct nlmsghdr *nlh)
{
	union mob_ip a6 = addr6("2001:db8::1");
	struct nlattr *n = bnest(nlh);

	put_hoa4(nlh);
	mnl_attr_put(nlh, MOB_BINDING_A_PREV_MOA6, 16, &a6);
	mnl_attr_nest_end(nlh, n);
}

static void bad_two_bindings(struct nlmsghdr *nlh)
{
	struct nlattr *n = bnest(nlh);

	put_hoa4(nlh);
	mnl_attr_nest_end(nlh, n);
	n = bnest(nlh);
	put_hoa4(nlh);
	mnl_attr_nest_end(nlh, n);
}

static void bad_prefix_len(struct nlmsghdr *nlh)
{
	union mob_ip a = addr4("10.0.0.0");
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_PREFIX);

	mnl_attr_put(nlh, MOB_PREFIX_A_ADDR4, 4, &a);
	mnl_attr_put_u8(nlh, MOB_PREFIX_A_LEN, 33);
	mnl_attr_nest_end(nlh, n);
}

static void bad_prefix_len_size(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_PREFIX);

	mnl_attr_put_u32(nlh, MOB_PREFIX_A_LEN, 8);
	mnl_attr_nest_end(nlh, n);
}

static void bad_prefix_addr6(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_PREFIX);

	mnl_attr_put(nlh, MOB_PREFIX_A_ADDR6, 15, "0123456789abcde");
	mnl_attr_nest_end(nlh, n);
}

static void bad_stats_u32(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_STATS);

	mnl_attr_put_u64(nlh, MOB_STATS_A_BINDINGS_LOCAL, 1);
	mnl_attr_nest_end(nlh, n);
}

static void bad_stats_u64(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_STATS);

	mnl_attr_put_u32(nlh, MOB_STATS_A_XLAT_IN, 1);
	mnl_attr_nest_end(nlh, n);
}

static void bad_config_len(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_CONFIG);

	mnl_attr_put_u16(nlh, MOB_CONFIG_A_MAX_BINDINGS, 1);
	mnl_attr_nest_end(nlh, n);
}

static void bad_lladdr_len(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_EVENT);

	mnl_attr_put(nlh, MOB_EVENT_A_LLADDR, 8, "\1\2\3\4\5\6\7\10");
	mnl_attr_nest_end(nlh, n);
}

static void bad_event_type_len(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_EVENT);

	mnl_attr_put_u16(nlh, MOB_EVENT_A_TYPE, MOB_EVENT_GARP);
	mnl_attr_nest_end(nlh, n);
}

static void bad_event_target(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_EVENT);

	mnl_attr_put(nlh, MOB_EVENT_A_TARGET6, 4, "1234");
	mnl_attr_nest_end(nlh, n);
}

/* A nest whose last 4 bytes are not an attribute (nla_len 2). */
static void bad_nest_tail(struct nlmsghdr *nlh)
{
	struct nlattr *n = bnest(nlh);
	struct nlattr *tail;

	put_hoa4(nlh);
	tail = mnl_nlmsg_get_payload_tail(nlh);
	tail->nla_len = 2;
	tail->nla_type = MOB_BINDING_A_KIND;
	nlh->nlmsg_len += 4;
	mnl_attr_nest_end(nlh, n);
}

/* An attribute claiming more bytes than the message has. */
static void bad_overlong(struct nlmsghdr *nlh)
{
	struct nlattr *n = bnest(nlh);

	put_hoa4(nlh);
	mnl_attr_nest_end(nlh, n);
	n->nla_len += 8;
}

/* Aliases: the same strictness as bindings. */
static struct nlattr *anest(struct nlmsghdr *nlh)
{
	return mnl_attr_nest_start(nlh, MOB_A_ALIAS);
}

static void put_alias_moa4(struct nlmsghdr *nlh)
{
	union mob_ip a = addr4("10.1.1.11");

	mnl_attr_put(nlh, MOB_ALIAS_A_MOA4, 4, &a);
}

static void put_alias_addr6(struct nlmsghdr *nlh, uint16_t type)
{
	union mob_ip a6 = addr6("2001:db8::1");

	mnl_attr_put(nlh, type, 16, &a6);
}

static void bad_alias_moa4_len(struct nlmsghdr *nlh)
{
	struct nlattr *n = anest(nlh);

	mnl_attr_put(nlh, MOB_ALIAS_A_MOA4, 16, "0123456789abcdef");
	mnl_attr_nest_end(nlh, n);
}

static void bad_alias_moa6_len(struct nlmsghdr *nlh)
{
	struct nlattr *n = anest(nlh);

	mnl_attr_put(nlh, MOB_ALIAS_A_MOA6, 4, "1234");
	mnl_attr_nest_end(nlh, n);
}

static void bad_alias_hoa4_len(struct nlmsghdr *nlh)
{
	struct nlattr *n = anest(nlh);

	put_alias_moa4(nlh);
	mnl_attr_put(nlh, MOB_ALIAS_A_HOA4, 5, "12345");
	mnl_attr_nest_end(nlh, n);
}

static void bad_alias_target6_len(struct nlmsghdr *nlh)
{
	struct nlattr *n = anest(nlh);

	mnl_attr_put(nlh, MOB_ALIAS_A_TARGET6, 15, "0123456789abcde");
	mnl_attr_nest_end(nlh, n);
}

static void bad_alias_timeout_len(struct nlmsghdr *nlh)
{
	struct nlattr *n = anest(nlh);

	put_alias_moa4(nlh);
	mnl_attr_put_u64(nlh, MOB_ALIAS_A_TIMEOUT, 30000);
	mnl_attr_nest_end(nlh, n);
}

static void bad_alias_expires_len(struct nlmsghdr *nlh)
{
	struct nlattr *n = anest(nlh);

	put_alias_moa4(nlh);
	mnl_attr_put_u16(nlh, MOB_ALIAS_A_EXPIRES, 5);
	mnl_attr_nest_end(nlh, n);
}

static void bad_alias_packets_len(struct nlmsghdr *nlh)
{
	struct nlattr *n = anest(nlh);

	put_alias_moa4(nlh);
	mnl_attr_put_u32(nlh, MOB_ALIAS_A_PACKETS, 5);
	mnl_attr_nest_end(nlh, n);
}

static void bad_alias_two_moas(struct nlmsghdr *nlh)
{
	struct nlattr *n = anest(nlh);

	put_alias_moa4(nlh);
	put_alias_addr6(nlh, MOB_ALIAS_A_MOA6);
	mnl_attr_nest_end(nlh, n);
}

static void bad_alias_two_moa4(struct nlmsghdr *nlh)
{
	struct nlattr *n = anest(nlh);

	put_alias_moa4(nlh);
	put_alias_moa4(nlh);
	mnl_attr_nest_end(nlh, n);
}

static void bad_alias_two_targets(struct nlmsghdr *nlh)
{
	union mob_ip a = addr4("10.1.2.11");
	struct nlattr *n = anest(nlh);

	mnl_attr_put(nlh, MOB_ALIAS_A_TARGET4, 4, &a);
	put_alias_addr6(nlh, MOB_ALIAS_A_TARGET6);
	mnl_attr_nest_end(nlh, n);
}

static void bad_alias_moa_hoa(struct nlmsghdr *nlh)
{
	struct nlattr *n = anest(nlh);

	put_alias_moa4(nlh);
	put_alias_addr6(nlh, MOB_ALIAS_A_HOA6);
	mnl_attr_nest_end(nlh, n);
}

static void bad_alias_moa_target(struct nlmsghdr *nlh)
{
	struct nlattr *n = anest(nlh);

	put_alias_moa4(nlh);
	put_alias_addr6(nlh, MOB_ALIAS_A_TARGET6);
	mnl_attr_nest_end(nlh, n);
}

static void bad_alias_hoa_target(struct nlmsghdr *nlh)
{
	union mob_ip a = addr4("10.99.0.11");
	struct nlattr *n = anest(nlh);

	/* No MoA: the HoA and the target still disagree. */
	mnl_attr_put(nlh, MOB_ALIAS_A_HOA4, 4, &a);
	put_alias_addr6(nlh, MOB_ALIAS_A_TARGET6);
	mnl_attr_nest_end(nlh, n);
}

static void bad_two_aliases(struct nlmsghdr *nlh)
{
	struct nlattr *n = anest(nlh);

	put_alias_moa4(nlh);
	mnl_attr_nest_end(nlh, n);
	n = anest(nlh);
	put_alias_moa4(nlh);
	mnl_attr_nest_end(nlh, n);
}

static void bad_alias_nest_tail(struct nlmsghdr *nlh)
{
	struct nlattr *n = anest(nlh);
	struct nlattr *tail;

	put_alias_moa4(nlh);
	tail = mnl_nlmsg_get_payload_tail(nlh);
	tail->nla_len = 3;
	tail->nla_type = MOB_ALIAS_A_TIMEOUT;
	nlh->nlmsg_len += 4;
	mnl_attr_nest_end(nlh, n);
}

static void bad_stats_aliases(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_STATS);

	mnl_attr_put_u64(nlh, MOB_STATS_A_ALIASES, 1);
	mnl_attr_nest_end(nlh, n);
}

static void bad_stats_xlat_fwd(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_STATS);

	mnl_attr_put_u32(nlh, MOB_STATS_A_XLAT_FWD, 1);
	mnl_attr_nest_end(nlh, n);
}

static void bad_short_genl(struct nlmsghdr *nlh)
{
	nlh->nlmsg_len = sizeof(*nlh) + 2;
}

static const struct {
	const char *name;
	void (*build)(struct nlmsghdr *nlh);
	int err;
} bad_msgs[] = {
	{ "hoa4 of 5 bytes", bad_hoa4_len, -EINVAL },
	{ "hoa6 of 4 bytes", bad_hoa6_len, -EINVAL },
	{ "moa4 of 16 bytes", bad_moa4_len, -EINVAL },
	{ "kind as u32", bad_kind_len, -EINVAL },
	{ "ifindex as u64", bad_ifindex_len, -EINVAL },
	{ "binding counter as u32", bad_stats_len, -EINVAL },
	{ "hoa4 and hoa6", bad_two_hoas, -EINVAL },
	{ "hoa4 with moa6", bad_mixed_families, -EINVAL },
	{ "hoa4 with prev moa6", bad_prev_family, -EINVAL },
	{ "two bindings", bad_two_bindings, -EINVAL },
	{ "prefix /33", bad_prefix_len, -EINVAL },
	{ "prefix len as u32", bad_prefix_len_size, -EINVAL },
	{ "prefix addr6 of 15 bytes", bad_prefix_addr6, -EINVAL },
	{ "u32 counter as u64", bad_stats_u32, -EINVAL },
	{ "u64 counter as u32", bad_stats_u64, -EINVAL },
	{ "max-bindings as u16", bad_config_len, -EINVAL },
	{ "lladdr of 8 bytes", bad_lladdr_len, -EINVAL },
	{ "event type as u16", bad_event_type_len, -EINVAL },
	{ "target6 of 4 bytes", bad_event_target, -EINVAL },
	{ "garbage after a nest's attributes", bad_nest_tail, -EINVAL },
	{ "attribute longer than the message", bad_overlong, -EINVAL },
	{ "alias moa4 of 16 bytes", bad_alias_moa4_len, -EINVAL },
	{ "alias moa6 of 4 bytes", bad_alias_moa6_len, -EINVAL },
	{ "alias hoa4 of 5 bytes", bad_alias_hoa4_len, -EINVAL },
	{ "alias target6 of 15 bytes", bad_alias_target6_len, -EINVAL },
	{ "alias timeout as u64", bad_alias_timeout_len, -EINVAL },
	{ "alias expires as u16", bad_alias_expires_len, -EINVAL },
	{ "alias packets as u32", bad_alias_packets_len, -EINVAL },
	{ "alias moa4 and moa6", bad_alias_two_moas, -EINVAL },
	{ "alias moa4 twice", bad_alias_two_moa4, -EINVAL },
	{ "alias target4 and target6", bad_alias_two_targets, -EINVAL },
	{ "alias moa4 with hoa6", bad_alias_moa_hoa, -EINVAL },
	{ "alias moa4 with target6", bad_alias_moa_target, -EINVAL },
	{ "alias hoa4 with target6", bad_alias_hoa_target, -EINVAL },
	{ "two aliases", bad_two_aliases, -EINVAL },
	{ "garbage after an alias's attributes", bad_alias_nest_tail, -EINVAL },
	{ "aliases counter as u64", bad_stats_aliases, -EINVAL },
	{ "xlat_fwd counter as u32", bad_stats_xlat_fwd, -EINVAL },
	{ "no room for the genetlink header", bad_short_genl, -EBADMSG },
};

START_TEST(test_parse_bad)
{
	struct nlmsghdr *nlh = msg_start(msgbuf, MOB_CMD_BINDING_GET);
	struct mob_msg m;

	bad_msgs[_i].build(nlh);
	ck_assert_msg(mob_msg_parse(nlh, &m) == bad_msgs[_i].err,
		      "%s: got %d, want %d", bad_msgs[_i].name,
		      mob_msg_parse(nlh, &m), bad_msgs[_i].err);
}
END_TEST

/* The reply loop, fed buffers of messages built here. */

struct batch {
	char buf[8192] __attribute__((aligned(4)));
	size_t len;
};

static struct nlmsghdr *batch_add(struct batch *b, uint16_t type,
				  uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(b->buf + b->len);

	memset(nlh, 0, sizeof(b->buf) - b->len);
	mnl_nlmsg_put_header(nlh);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = FAKE_PORTID;
	return nlh;
}

static void batch_end(struct batch *b, struct nlmsghdr *nlh)
{
	b->len += MNL_ALIGN(nlh->nlmsg_len);
}

static void batch_data(struct batch *b, uint16_t flags, uint32_t seq,
		       uint32_t tag)
{
	struct nlmsghdr *nlh = batch_add(b, FAKE_FAMILY, flags | NLM_F_MULTI,
					 seq);
	struct genlmsghdr *genl;

	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = MOB_CMD_BINDING_GET;
	mnl_attr_put_u32(nlh, 1000, tag);
	batch_end(b, nlh);
}

static void batch_done(struct batch *b, uint16_t flags, uint32_t seq,
		       int error, const char *msg)
{
	struct nlmsghdr *nlh = batch_add(b, NLMSG_DONE, flags | NLM_F_MULTI,
					 seq);
	int *e = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

	*e = error;
	if (msg) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	}
	batch_end(b, nlh);
}

/* ORIG is the request; without CAPPED all of it is echoed back. */
static void batch_error(struct batch *b, uint32_t seq, int error,
			const struct nlmsghdr *orig, bool capped,
			const char *msg, uint32_t offs, uint32_t miss_type)
{
	struct nlmsghdr *nlh = batch_add(b, NLMSG_ERROR, 0, seq);
	struct nlmsgerr *err;
	size_t extra = orig->nlmsg_len - sizeof(*orig);

	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	err->error = error;
	err->msg = *orig;
	if (capped)
		nlh->nlmsg_flags |= NLM_F_CAPPED;
	else
		memcpy(mnl_nlmsg_put_extra_header(nlh, extra), orig + 1,
		       extra);
	if (msg || offs || miss_type)
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	if (msg)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	if (offs)
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, offs);
	if (miss_type)
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, miss_type);
	batch_end(b, nlh);
}

struct seen {
	int n;
	uint32_t tags[16];
	int fail_at;		/* 1-based; 0: never */
};

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	struct seen *s = data;
	const struct nlattr *a = first_attr(nlh);

	if (s->n < 16)
		s->tags[s->n] = mnl_attr_get_u32(a);
	s->n++;
	return s->n == s->fail_at ? -ENOMEM : 0;
}

static struct batch *rx;

static void reply_setup(void)
{
	offline_setup();
	rx = calloc(1, sizeof(*rx));
	ck_assert_ptr_nonnull(rx);
	mob_nl_reply_reset(h);
}

static void reply_teardown(void)
{
	free(rx);
	offline_teardown();
}

static int process(uint32_t seq, struct seen *s)
{
	return mob_nl_reply_process(h, rx->buf, rx->len, seq, count_cb, s);
}

START_TEST(test_reply_ack)
{
	struct seen s = { 0 };

	mob_build_stats_get(h);
	batch_error(rx, 7, 0, &h->req.nlh, true, NULL, 0, 0);
	ck_assert_int_eq(process(7, &s), 0);
	ck_assert_int_eq(s.n, 0);
	ck_assert_str_eq(h->ext_msg, "");
	ck_assert_uint_eq(h->ext_offset, 0);
}
END_TEST

START_TEST(test_reply_extack)
{
	union mob_ip hoa = addr4("10.99.0.11");
	struct seen s = { 0 };
	uint16_t path[4];

	/* As the kernel points at MOB_BINDING_A_HOA4: 16 + 4 + 4 bytes in. */
	mob_build_binding_del(h, AF_INET, &hoa);
	batch_error(rx, 9, -ENOENT, &h->req.nlh, _i == 0,
		    "HoA is not bound", 24, 0);
	ck_assert_int_eq(process(9, &s), -ENOENT);
	ck_assert_str_eq(h->ext_msg, "HoA is not bound");
	ck_assert_uint_eq(h->ext_offset, 24);
	ck_assert_int_eq(h->cb_err, 0);
	ck_assert_int_eq(mob_nl_ext_attr_path(h, path, 4), 2);
	ck_assert_uint_eq(path[0], MOB_A_BINDING);
	ck_assert_uint_eq(path[1], MOB_BINDING_A_HOA4);
}
END_TEST

START_TEST(test_reply_extack_other)
{
	struct seen s = { 0 };
	uint16_t path[4];
	char longmsg[400];

	/* The missing-attribute report of newer kernels. */
	mob_build_config_set(h, 10);
	batch_error(rx, 3, -EINVAL, &h->req.nlh, true, NULL, 0,
		    MOB_CONFIG_A_MAX_BINDINGS);
	ck_assert_int_eq(process(3, &s), -EINVAL);
	ck_assert_str_eq(h->ext_msg, "");
	ck_assert_uint_eq(h->ext_miss_type, MOB_CONFIG_A_MAX_BINDINGS);
	ck_assert_int_eq(mob_nl_ext_attr_path(h, path, 4), 0);

	/* A warning comes with a zero error: success, text kept. */
	rx->len = 0;
	mob_nl_reply_reset(h);
	batch_error(rx, 4, 0, &h->req.nlh, true, "deprecated", 0, 0);
	ck_assert_int_eq(process(4, &s), 0);
	ck_assert_str_eq(h->ext_msg, "deprecated");

	/* An overlong message is cut, still terminated. */
	rx->len = 0;
	mob_nl_reply_reset(h);
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	batch_error(rx, 5, -EINVAL, &h->req.nlh, true, longmsg, 0, 0);
	ck_assert_int_eq(process(5, &s), -EINVAL);
	ck_assert_uint_eq(strlen(h->ext_msg), MOB_NL_EXT_MSG_SIZE - 1);

	/* An offset inside an attribute, not at its start, names nothing. */
	h->ext_offset = 25;
	ck_assert_int_eq(mob_nl_ext_attr_path(h, path, 4), 0);
	h->ext_offset = 20;
	ck_assert_int_eq(mob_nl_ext_attr_path(h, path, 4), 1);
	ck_assert_uint_eq(path[0], MOB_A_CONFIG);
}
END_TEST

START_TEST(test_reply_error_short)
{
	struct nlmsghdr *nlh = batch_add(rx, NLMSG_ERROR, 0, 1);
	struct seen s = { 0 };

	mnl_nlmsg_put_extra_header(nlh, 4);
	batch_end(rx, nlh);
	ck_assert_int_eq(process(1, &s), -EBADMSG);
}
END_TEST

START_TEST(test_reply_dump)
{
	struct seen s = { 0 };

	batch_data(rx, 0, 5, 1);
	batch_data(rx, 0, 5, 2);
	batch_data(rx, 0, 5, 3);
	batch_done(rx, 0, 5, 0, NULL);
	ck_assert_int_eq(process(5, &s), 0);
	ck_assert_int_eq(s.n, 3);
	ck_assert_uint_eq(s.tags[0], 1);
	ck_assert_uint_eq(s.tags[2], 3);
	ck_assert(!h->dump_intr);
}
END_TEST

START_TEST(test_reply_dump_split)
{
	struct seen s = { 0 };

	batch_data(rx, 0, 5, 1);
	batch_data(rx, 0, 5, 2);
	ck_assert_int_eq(process(5, &s), 1);	/* more to come */
	rx->len = 0;
	batch_data(rx, 0, 5, 3);
	batch_done(rx, 0, 5, 0, NULL);
	ck_assert_int_eq(process(5, &s), 0);
	ck_assert_int_eq(s.n, 3);
}
END_TEST

START_TEST(test_reply_dump_intr)
{
	struct seen s = { 0 };

	batch_data(rx, 0, 5, 1);
	batch_data(rx, NLM_F_DUMP_INTR, 5, 2);
	batch_data(rx, NLM_F_DUMP_INTR, 5, 3);
	batch_done(rx, NLM_F_DUMP_INTR, 5, 0, NULL);
	ck_assert_int_eq(process(5, &s), -EINTR);
	ck_assert(h->dump_intr);
	ck_assert_int_eq(s.n, 3);		/* every message was seen */
	ck_assert_int_eq(h->cb_err, 0);

	/* Only the final NLMSG_DONE may carry the flag. */
	rx->len = 0;
	mob_nl_reply_reset(h);
	batch_data(rx, 0, 6, 1);
	batch_done(rx, NLM_F_DUMP_INTR, 6, 0, NULL);
	ck_assert_int_eq(process(6, &s), -EINTR);
}
END_TEST

START_TEST(test_reply_dump_error)
{
	struct seen s = { 0 };

	batch_data(rx, 0, 5, 1);
	batch_done(rx, 0, 5, -EMSGSIZE, "dump too big");
	ck_assert_int_eq(process(5, &s), -EMSGSIZE);
	ck_assert_str_eq(h->ext_msg, "dump too big");
	ck_assert_int_eq(s.n, 1);
}
END_TEST

START_TEST(test_reply_cb_error)
{
	struct seen s = { .fail_at = 2 };

	batch_data(rx, 0, 5, 1);
	batch_data(rx, 0, 5, 2);
	batch_data(rx, 0, 5, 3);
	batch_done(rx, 0, 5, 0, NULL);
	ck_assert_int_eq(process(5, &s), -ENOMEM);
	ck_assert_int_eq(h->cb_err, -ENOMEM);
	ck_assert_int_eq(s.n, 2);		/* none after the failure */
}
END_TEST

START_TEST(test_reply_kernel_error_wins)
{
	struct seen s = { .fail_at = 1 };

	mob_build_stats_get(h);
	batch_data(rx, 0, 5, 1);
	batch_error(rx, 5, -EPERM, &h->req.nlh, true, NULL, 0, 0);
	ck_assert_int_eq(process(5, &s), -EPERM);
}
END_TEST

START_TEST(test_reply_skips_foreign)
{
	struct nlmsghdr *nlh;
	struct seen s = { 0 };

	batch_data(rx, 0, 99, 1);		/* an old request's */
	nlh = batch_add(rx, FAKE_FAMILY, 0, 0);	/* an event */
	nlh->nlmsg_pid = 0;
	batch_end(rx, nlh);
	batch_data(rx, 0, 5, 2);
	nlh = batch_add(rx, NLMSG_NOOP, 0, 5);
	batch_end(rx, nlh);
	batch_done(rx, 0, 5, 0, NULL);
	ck_assert_int_eq(process(5, &s), 0);
	ck_assert_int_eq(s.n, 1);
	ck_assert_uint_eq(s.tags[0], 2);
}
END_TEST

START_TEST(test_netns_enter_errors)
{
	ck_assert_int_eq(mob_netns_enter("mob-unit-no-such-netns"), -ENOENT);
	ck_assert_int_eq(mob_netns_enter("/nonexistent/netns"), -ENOENT);
	ck_assert_int_eq(mob_netns_enter(""), -EINVAL);
	ck_assert_int_eq(mob_netns_enter(NULL), -EINVAL);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(mob_kind_name(MOB_KIND_LOCAL), "local");
	ck_assert_str_eq(mob_kind_name(MOB_KIND_REMOTE), "remote");
	ck_assert_ptr_null(mob_kind_name(MOB_KIND_UNSPEC));
	ck_assert_ptr_null(mob_kind_name(__MOB_KIND_MAX));
	ck_assert_str_eq(mob_event_type_name(MOB_EVENT_ARP_PROBE), "arp-probe");
	ck_assert_str_eq(mob_event_type_name(MOB_EVENT_UNSOLICITED_NA),
			 "unsolicited-na");
	ck_assert_str_eq(mob_event_type_name(MOB_EVENT_UNKNOWN_SRC), "src");
	ck_assert_ptr_null(mob_event_type_name(MOB_EVENT_UNSPEC));
	ck_assert_ptr_null(mob_event_type_name(__MOB_EVENT_MAX));
	ck_assert_uint_eq(mob_addr_len(AF_INET), 4);
	ck_assert_uint_eq(mob_addr_len(AF_INET6), 16);
	ck_assert_uint_eq(mob_addr_len(AF_UNIX), 0);
}
END_TEST

/*
 * The kernel's own "nlctrl" family: the socket, the family lookup, a real
 * dump and a real extack, without the mob module.
 */
struct family_seen {
	int n;
	bool nlctrl;
};

static int family_name_cb(const struct nlmsghdr *nlh, void *data)
{
	struct family_seen *fs = data;
	const struct nlattr *a;

	fs->n++;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_NAME &&
		    !strcmp(mnl_attr_get_str(a), "nlctrl"))
			fs->nlctrl = true;
	return 0;
}

START_TEST(test_kernel_nlctrl)
{
	struct mob_nl *k;
	struct family_seen fs = { 0 };
	struct nlmsghdr *nlh;
	uint16_t path[2];

	ck_assert_int_eq(mob_nl_open_family(&k, NULL, "nlctrl", "notify"), 0);
	ck_assert_uint_eq(k->family, GENL_ID_CTRL);
	ck_assert_uint_ne(k->events_group, 0);
	ck_assert_int_ge(mob_nl_fd(k), 0);

	/* A dump of every family, "nlctrl" among them. */
	mob_nl_request(k, CTRL_CMD_GETFAMILY, NLM_F_DUMP);
	ck_assert_int_eq(mob_nl_talk(k, family_name_cb, &fs), 0);
	ck_assert_int_gt(fs.n, 0);
	ck_assert(fs.nlctrl);

	/* A 1-byte CTRL_ATTR_FAMILY_ID fails policy validation. */
	nlh = mob_nl_request(k, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_u8(nlh, CTRL_ATTR_FAMILY_ID, 1);
	ck_assert_int_lt(mob_nl_talk(k, NULL, NULL), 0);
	ck_assert_int_eq(k->cb_err, 0);
	ck_assert_str_ne(k->ext_msg, "");
	ck_assert_uint_eq(k->ext_offset, 16 + GENL_HDRLEN);
	ck_assert_int_eq(mob_nl_ext_attr_path(k, path, 2), 1);
	ck_assert_uint_eq(path[0], CTRL_ATTR_FAMILY_ID);

	/* The handle still works after an error. */
	ck_assert_int_eq(mob_nl_subscribe(k), 0);
	mob_nl_close(k);
}
END_TEST

START_TEST(test_kernel_no_family)
{
	struct mob_nl *k = (struct mob_nl *)1;

	ck_assert_int_eq(mob_nl_open_family(&k, NULL, "mob-unit-none",
					    NULL), -EPROTONOSUPPORT);
	ck_assert_ptr_null(k);
	ck_assert_int_eq(mob_nl_open_family(&k, "mob-unit-no-such-netns",
					    "nlctrl", NULL), -ENOENT);
}
END_TEST

static bool genl_available(void)
{
	struct mnl_socket *s = mnl_socket_open(NETLINK_GENERIC);

	if (!s)
		return false;
	mnl_socket_close(s);
	return true;
}

Suite *mobnl_suite(void)
{
	Suite *s = suite_create("mobnl");
	TCase *tc;

	tc = tcase_create("build");
	tcase_add_checked_fixture(tc, offline_setup, offline_teardown);
	tcase_add_test(tc, test_build_binding_new);
	tcase_add_test(tc, test_build_binding_new6);
	tcase_add_test(tc, test_build_binding_new_bad);
	tcase_add_test(tc, test_build_small);
	tcase_add_test(tc, test_build_full);
	tcase_add_test(tc, test_build_alias_new);
	tcase_add_test(tc, test_build_alias_new6);
	tcase_add_test(tc, test_build_alias_bad);
	tcase_add_test(tc, test_build_alias_small);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_binding);
	tcase_add_test(tc, test_parse_binding_event6);
	tcase_add_test(tc, test_parse_others);
	tcase_add_test(tc, test_parse_alias);
	tcase_add_test(tc, test_parse_alias_events);
	tcase_add_loop_test(tc, test_parse_bad, 0, ARRAY_SIZE(bad_msgs));
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("reply");
	tcase_add_checked_fixture(tc, reply_setup, reply_teardown);
	tcase_add_test(tc, test_reply_ack);
	tcase_add_loop_test(tc, test_reply_extack, 0, 2);	/* capped or not */
	tcase_add_test(tc, test_reply_extack_other);
	tcase_add_test(tc, test_reply_error_short);
	tcase_add_test(tc, test_reply_dump);
	tcase_add_test(tc, test_reply_dump_split);
	tcase_add_test(tc, test_reply_dump_intr);
	tcase_add_test(tc, test_reply_dump_error);
	tcase_add_test(tc, test_reply_cb_error);
	tcase_add_test(tc, test_reply_kernel_error_wins);
	tcase_add_test(tc, test_reply_skips_foreign);
	suite_add_tcase(s, tc);

	tc = tcase_create("netns");
	tcase_add_test(tc, test_netns_enter_errors);
	suite_add_tcase(s, tc);

	/* Skipped, not passed, where no generic netlink socket can be had. */
	if (genl_available()) {
		tc = tcase_create("kernel");
		tcase_add_test(tc, test_kernel_nlctrl);
		tcase_add_test(tc, test_kernel_no_family);
		suite_add_tcase(s, tc);
	} else {
		fprintf(stderr, "mobnl: no generic netlink socket: skipping the kernel tests\n");
	}
	return s;
}
