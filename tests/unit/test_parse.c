// SPDX-License-Identifier: GPL-2.0
/*
 * agent/lib/parse.c: addresses, prefixes, numbers, interface names and
 * keyword matching, good and bad, with the messages users see.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "parse.h"
#include "suites.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *in;
	int family;
	const char *canon;	/* inet_ntop() of the result */
} addr_good[] = {
	{ "10.0.0.1", AF_INET, "10.0.0.1" },
	{ "0.0.0.0", AF_INET, "0.0.0.0" },
	{ "255.255.255.255", AF_INET, "255.255.255.255" },
	{ "::1", AF_INET6, "::1" },
	{ "2001:db8::1", AF_INET6, "2001:db8::1" },
	{ "2001:DB8:0:0:0:0:0:1", AF_INET6, "2001:db8::1" },
	{ "::ffff:10.0.0.1", AF_INET6, "::ffff:10.0.0.1" },
};

START_TEST(test_addr_good)
{
	union mob_ip addr, want;
	struct mob_err e = { "" };
	char buf[INET6_ADDRSTRLEN];
	int family = 0;

	ck_assert_int_eq(mob_parse_addr(addr_good[_i].in, "HoA", &family,
					&addr, &e), 0);
	ck_assert_int_eq(family, addr_good[_i].family);
	ck_assert_str_eq(mob_addr_ntop(family, &addr, buf, sizeof(buf)),
			 addr_good[_i].canon);
	memset(&want, 0, sizeof(want));
	ck_assert_int_eq(inet_pton(family, addr_good[_i].in, &want), 1);
	ck_assert_mem_eq(&addr, &want, sizeof(addr));
	ck_assert_str_eq(e.msg, "");
}
END_TEST

static const char *const addr_bad[] = {
	"10.0.0.x", "", "10.0.0", "10.0.0.1.2", "256.0.0.1", "10.0.0.1/32",
	" 10.0.0.1", "10.0.0.1 ", "fe80::1%eth0", "::g", "1:2:3:4:5:6:7:8:9",
	"0x0a000001", "localhost",
};

START_TEST(test_addr_bad)
{
	union mob_ip addr;
	struct mob_err e;
	char want[256];
	int family = 0;

	ck_assert_int_eq(mob_parse_addr(addr_bad[_i], "MoA", &family, &addr,
					&e), -EINVAL);
	snprintf(want, sizeof(want),
		 "Invalid MoA \"%s\": expected an IPv4 or IPv6 address",
		 addr_bad[_i]);
	ck_assert_str_eq(e.msg, want);
	/* A NULL message buffer is allowed. */
	ck_assert_int_eq(mob_parse_addr(addr_bad[_i], "MoA", &family, &addr,
					NULL), -EINVAL);
}
END_TEST

static const struct {
	const char *in;
	int family;
	const char *addr;
	unsigned int len;
} prefix_good[] = {
	{ "10.99.0.0/16", AF_INET, "10.99.0.0", 16 },
	{ "0.0.0.0/0", AF_INET, "0.0.0.0", 0 },
	{ "10.0.0.1/32", AF_INET, "10.0.0.1", 32 },
	{ "10.0.0.128/25", AF_INET, "10.0.0.128", 25 },
	{ "10.0.0.0/08", AF_INET, "10.0.0.0", 8 },
	{ "2001:db8::/32", AF_INET6, "2001:db8::", 32 },
	{ "::/0", AF_INET6, "::", 0 },
	{ "2001:db8::1/128", AF_INET6, "2001:db8::1", 128 },
	{ "2001:db8:0:8000::/49", AF_INET6, "2001:db8:0:8000::", 49 },
};

START_TEST(test_prefix_good)
{
	struct mob_prefix_info p;
	struct mob_err e = { "" };
	char buf[INET6_ADDRSTRLEN];

	ck_assert_int_eq(mob_parse_prefix(prefix_good[_i].in, "prefix", &p,
					  &e), 0);
	ck_assert_int_eq(p.family, prefix_good[_i].family);
	ck_assert_uint_eq(p.len, prefix_good[_i].len);
	ck_assert_str_eq(mob_addr_ntop(p.family, &p.addr, buf, sizeof(buf)),
			 prefix_good[_i].addr);
	ck_assert_str_eq(e.msg, "");
}
END_TEST

static const struct {
	const char *in;
	const char *msg;
} prefix_bad[] = {
	{ "10.99.0.1/16",
	  "Invalid prefix \"10.99.0.1/16\": host bits are set (did you mean 10.99.0.0/16?)" },
	{ "10.0.0.129/25",
	  "Invalid prefix \"10.0.0.129/25\": host bits are set (did you mean 10.0.0.128/25?)" },
	{ "10.0.0.1/0",
	  "Invalid prefix \"10.0.0.1/0\": host bits are set (did you mean 0.0.0.0/0?)" },
	{ "2001:db8::1/64",
	  "Invalid prefix \"2001:db8::1/64\": host bits are set (did you mean 2001:db8::/64?)" },
	{ "2001:db8:0:c000::/49",
	  "Invalid prefix \"2001:db8:0:c000::/49\": host bits are set (did you mean 2001:db8:0:8000::/49?)" },
	{ "10.0.0.0/33",
	  "Invalid prefix \"10.0.0.0/33\": the length must be a number from 0 to 32" },
	{ "2001:db8::/129",
	  "Invalid prefix \"2001:db8::/129\": the length must be a number from 0 to 128" },
	{ "10.0.0.0/",
	  "Invalid prefix \"10.0.0.0/\": the length must be a number from 0 to 32" },
	{ "10.0.0.0/-1",
	  "Invalid prefix \"10.0.0.0/-1\": the length must be a number from 0 to 32" },
	{ "10.0.0.0/ 8",
	  "Invalid prefix \"10.0.0.0/ 8\": the length must be a number from 0 to 32" },
	{ "10.0.0.0/0x8",
	  "Invalid prefix \"10.0.0.0/0x8\": the length must be a number from 0 to 32" },
	{ "10.0.0.0/99999999999999999999999",
	  "Invalid prefix \"10.0.0.0/99999999999999999999999\": the length must be a number from 0 to 32" },
	{ "10.0.0.0",
	  "Invalid prefix \"10.0.0.0\": expected ADDRESS/LEN" },
	{ "",
	  "Invalid prefix \"\": expected ADDRESS/LEN" },
	{ "/8",
	  "Invalid prefix \"/8\": expected an IPv4 or IPv6 address before the \"/\"" },
	{ "10.0.x.0/8",
	  "Invalid prefix \"10.0.x.0/8\": \"10.0.x.0\" is not an IPv4 or IPv6 address" },
	{ "10.0.0.0/8/8",
	  "Invalid prefix \"10.0.0.0/8/8\": \"10.0.0.0/8\" is not an IPv4 or IPv6 address" },
};

START_TEST(test_prefix_bad)
{
	struct mob_prefix_info p;
	struct mob_err e;

	ck_assert_int_eq(mob_parse_prefix(prefix_bad[_i].in, "prefix", &p,
					  &e), -EINVAL);
	ck_assert_str_eq(e.msg, prefix_bad[_i].msg);
}
END_TEST

static const struct {
	const char *in;
	unsigned long long min, max;
	int err;
	unsigned long long value;
} numbers[] = {
	{ "1", 1, 16777216, 0, 1 },
	{ "16777216", 1, 16777216, 0, 16777216 },
	{ "0010", 0, 100, 0, 10 },
	{ "0", 0, 0, 0, 0 },
	{ "18446744073709551615", 0, ~0ULL, 0, ~0ULL },
	{ "0", 1, 16777216, -EINVAL, 0 },
	{ "16777217", 1, 16777216, -EINVAL, 0 },
	{ "", 0, 100, -EINVAL, 0 },
	{ "-1", 0, ~0ULL, -EINVAL, 0 },
	{ "+1", 0, 100, -EINVAL, 0 },
	{ " 1", 0, 100, -EINVAL, 0 },
	{ "1 ", 0, 100, -EINVAL, 0 },
	{ "0x10", 0, 100, -EINVAL, 0 },
	{ "1e3", 0, 10000, -EINVAL, 0 },
	{ "12abc", 0, 100, -EINVAL, 0 },
	{ "18446744073709551616", 0, ~0ULL, -EINVAL, 0 },
	{ "99999999999999999999999", 0, ~0ULL, -EINVAL, 0 },
};

START_TEST(test_numbers)
{
	unsigned long long v = 12345;
	struct mob_err e = { "" };
	char want[256];

	ck_assert_int_eq(mob_parse_uint(numbers[_i].in, "max-bindings",
					numbers[_i].min, numbers[_i].max, &v,
					&e), numbers[_i].err);
	if (numbers[_i].err) {
		snprintf(want, sizeof(want),
			 "Invalid max-bindings \"%s\": expected a number from %llu to %llu",
			 numbers[_i].in, numbers[_i].min, numbers[_i].max);
		ck_assert_str_eq(e.msg, want);
		ck_assert_uint_eq(v, 12345);	/* untouched on error */
	} else {
		ck_assert_uint_eq(v, numbers[_i].value);
	}
}
END_TEST

START_TEST(test_u32)
{
	struct mob_err e;
	uint32_t v = 7;

	ck_assert_int_eq(mob_parse_u32("4294967295", "n", 0, 0xffffffffU, &v,
				       &e), 0);
	ck_assert_uint_eq(v, 0xffffffffU);
	ck_assert_int_eq(mob_parse_u32("4294967296", "n", 0, 0xffffffffU, &v,
				       &e), -EINVAL);
	ck_assert_uint_eq(v, 0xffffffffU);
	ck_assert_str_eq(e.msg,
			 "Invalid n \"4294967296\": expected a number from 0 to 4294967295");
}
END_TEST

START_TEST(test_ifname)
{
	struct mob_err e;
	uint32_t ifindex = 0;

	/* Loopback is ifindex 1 in every network namespace. */
	ck_assert_int_eq(mob_parse_ifname("lo", &ifindex, &e), 0);
	ck_assert_uint_eq(ifindex, 1);

	ck_assert_int_eq(mob_parse_ifname("nope0", &ifindex, &e), -ENODEV);
	ck_assert_str_eq(e.msg, "Cannot find device \"nope0\"");
	ck_assert_int_eq(mob_parse_ifname("", &ifindex, &e), -ENODEV);
	ck_assert_str_eq(e.msg, "Cannot find device \"\"");
	ck_assert_int_eq(mob_parse_ifname("a-name-far-too-long-for-linux",
					  &ifindex, &e), -ENODEV);
	ck_assert_uint_eq(ifindex, 1);
}
END_TEST

static const char *const cmd_words[] = {
	"add", "replace", "del", "delete", "get", "show", "set", NULL
};

static const struct {
	const char *word;
	int want;
} matches[] = {
	{ "a", 0 },
	{ "add", 0 },
	{ "r", 1 },
	{ "repl", 1 },
	{ "replace", 1 },
	{ "del", 2 },		/* exact beats being a prefix of "delete" */
	{ "dele", 3 },
	{ "delete", 3 },
	{ "g", 4 },
	{ "sh", 5 },
	{ "se", 6 },
	{ "d", -ENOTUNIQ },
	{ "s", -ENOTUNIQ },
	{ "", -ENOENT },
	{ "x", -ENOENT },
	{ "adds", -ENOENT },
	{ "ADD", -ENOENT },
	{ "showx", -ENOENT },
};

START_TEST(test_match_word)
{
	ck_assert_int_eq(mob_match_word(matches[_i].word, cmd_words),
			 matches[_i].want);
}
END_TEST

Suite *parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc;

	tc = tcase_create("addr");
	tcase_add_loop_test(tc, test_addr_good, 0, ARRAY_SIZE(addr_good));
	tcase_add_loop_test(tc, test_addr_bad, 0, ARRAY_SIZE(addr_bad));
	suite_add_tcase(s, tc);

	tc = tcase_create("prefix");
	tcase_add_loop_test(tc, test_prefix_good, 0, ARRAY_SIZE(prefix_good));
	tcase_add_loop_test(tc, test_prefix_bad, 0, ARRAY_SIZE(prefix_bad));
	suite_add_tcase(s, tc);

	tc = tcase_create("number");
	tcase_add_loop_test(tc, test_numbers, 0, ARRAY_SIZE(numbers));
	tcase_add_test(tc, test_u32);
	suite_add_tcase(s, tc);

	tc = tcase_create("ifname");
	tcase_add_test(tc, test_ifname);
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_add_loop_test(tc, test_match_word, 0, ARRAY_SIZE(matches));
	suite_add_tcase(s, tc);
	return s;
}
