// SPDX-License-Identifier: GPL-2.0
/*
 * mobctl without a kernel: command lookup, argument parsing and the
 * requests it builds, and text and JSON output from the one print path
 * (bindings, events, counters), captured in memory.  "migrate" against
 * libvirt's test driver in process (it cannot migrate: the failure is
 * what is checked), and "vm show" / "site show" against a fake agent.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <json-c/json.h>
#include <libvirt/libvirt.h>

#include "mobctl.h"
#include "suites.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FAKE_FAMILY 0x42

static char *out_buf, *err_buf;
static size_t out_len, err_len;
static struct mob_nl *h;

static void capture_setup(void)
{
	out_buf = err_buf = NULL;
	mobctl_out = open_memstream(&out_buf, &out_len);
	mobctl_errf = open_memstream(&err_buf, &err_len);
	ck_assert_ptr_nonnull(mobctl_out);
	ck_assert_ptr_nonnull(mobctl_errf);
	memset(&mobctl_opts, 0, sizeof(mobctl_opts));
	h = calloc(1, sizeof(*h));
	ck_assert_ptr_nonnull(h);
	h->family = FAKE_FAMILY;
}

static void capture_teardown(void)
{
	fclose(mobctl_out);
	fclose(mobctl_errf);
	free(out_buf);
	free(err_buf);
	free(h);
}

/* Start the captures again, empty. */
static void capture_reset(void)
{
	fclose(mobctl_out);
	fclose(mobctl_errf);
	free(out_buf);
	free(err_buf);
	out_buf = err_buf = NULL;
	mobctl_out = open_memstream(&out_buf, &out_len);
	mobctl_errf = open_memstream(&err_buf, &err_len);
	ck_assert_ptr_nonnull(mobctl_out);
	ck_assert_ptr_nonnull(mobctl_errf);
}

static const char *out_text(void)
{
	fflush(mobctl_out);
	return out_buf;
}

static const char *err_text(void)
{
	fflush(mobctl_errf);
	return err_buf;
}

/* Split a command line at spaces into the static argv; returns argc. */
static char *argv_buf[16];
static char line_buf[256];

static int split(const char *line)
{
	char *p, *save = NULL;
	int argc = 0;

	snprintf(line_buf, sizeof(line_buf), "%s", line);
	for (p = strtok_r(line_buf, " ", &save); p && argc < 15;
	     p = strtok_r(NULL, " ", &save))
		argv_buf[argc++] = p;
	argv_buf[argc] = NULL;
	return argc;
}

static union mob_ip addr(int family, const char *s)
{
	union mob_ip a;

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(inet_pton(family, s, &a), 1);
	return a;
}

/* Command lookup in the real tables. */
static const struct {
	const struct mobctl_cmd *cmds;
	const char *word;
	const char *want;	/* NULL: unknown or ambiguous */
} lookups[] = {
	{ mobctl_binding_cmds, "a", "add" },
	{ mobctl_binding_cmds, "rep", "replace" },
	{ mobctl_binding_cmds, "d", "del" },
	{ mobctl_binding_cmds, "g", "get" },
	{ mobctl_binding_cmds, "s", "show" },
	{ mobctl_binding_cmds, "li", "list" },
	{ mobctl_binding_cmds, "f", "flush" },
	{ mobctl_binding_cmds, "h", "help" },
	{ mobctl_binding_cmds, "flush", "flush" },
	{ mobctl_binding_cmds, "x", NULL },
	{ mobctl_binding_cmds, "", NULL },
	{ mobctl_binding_cmds, "shows", NULL },
	{ mobctl_prefix_cmds, "a", "add" },
	{ mobctl_prefix_cmds, "d", "del" },
	{ mobctl_prefix_cmds, "s", "show" },
	{ mobctl_config_cmds, "s", NULL },	/* show or set */
	{ mobctl_config_cmds, "se", "set" },
	{ mobctl_config_cmds, "sh", "show" },
	{ mobctl_alias_cmds, "a", "add" },
	{ mobctl_alias_cmds, "d", "del" },
	{ mobctl_alias_cmds, "g", "get" },
	{ mobctl_alias_cmds, "s", "show" },
	{ mobctl_alias_cmds, "l", "list" },
	{ mobctl_alias_cmds, "f", "flush" },
	{ mobctl_alias_cmds, "h", "help" },
	{ mobctl_alias_cmds, "replace", NULL },
};

START_TEST(test_lookup)
{
	int i = mobctl_find_cmd(lookups[_i].cmds, lookups[_i].word);

	if (lookups[_i].want) {
		ck_assert_int_ge(i, 0);
		ck_assert_str_eq(lookups[_i].cmds[i].name, lookups[_i].want);
	} else {
		ck_assert_int_lt(i, 0);
	}
}
END_TEST

static const struct {
	int (*object)(int argc, char **argv);
	const char *line;
	int ret;
	const char *out;	/* start of stdout, or NULL for none */
	const char *err;
} dispatches[] = {
	{ do_binding, "x", 1, NULL,
	  "Command \"x\" is unknown, try \"mobctl binding help\".\n" },
	{ do_config, "s", 1, NULL,
	  "Command \"s\" is unknown, try \"mobctl config help\".\n" },
	{ do_prefix, "frob 10.0.0.0/8", 1, NULL,
	  "Command \"frob\" is unknown, try \"mobctl prefix help\".\n" },
	{ do_stats, "x", 1, NULL,
	  "Command \"x\" is unknown, try \"mobctl stats help\".\n" },
	{ do_monitor, "x", 1, NULL,
	  "Command \"x\" is unknown, try \"mobctl monitor help\".\n" },
	{ do_binding, "help", 0, "Usage: mobctl binding { add | replace | change }", NULL },
	{ do_binding, "h", 0, "Usage: mobctl binding", NULL },
	{ do_binding, "add help", 0, "Usage: mobctl binding", NULL },
	{ do_prefix, "help", 0, "Usage: mobctl prefix { add | del }", NULL },
	{ do_config, "h", 0, "Usage: mobctl config show", NULL },
	{ do_stats, "help", 0, "Usage: mobctl stats", NULL },
	{ do_monitor, "help", 0, "Usage: mobctl monitor", NULL },
	/* Bad input is refused before any socket is opened. */
	{ do_binding, "add 10.0.0.x moa 10.1.1.1 local", 1, NULL,
	  "Error: Invalid HoA \"10.0.0.x\": expected an IPv4 or IPv6 address\n" },
	{ do_binding, "del", 1, NULL, "Error: missing HoA\n" },
	{ do_binding, "get 10.0.0.1 extra", 1, NULL,
	  "Error: unexpected \"extra\" after the HoA\n" },
	{ do_binding, "show both", 1, NULL,
	  "Error: unexpected \"both\": expected \"local\" or \"remote\"\n" },
	{ do_binding, "flush local remote", 1, NULL,
	  "Error: unexpected \"remote\" after \"local\"\n" },
	{ do_prefix, "add 10.99.0.1/16", 1, NULL,
	  "Error: Invalid prefix \"10.99.0.1/16\": host bits are set (did you mean 10.99.0.0/16?)\n" },
	{ do_prefix, "del", 1, NULL, "Error: missing PREFIX/LEN\n" },
	{ do_prefix, "show x", 1, NULL, "Error: unexpected \"x\"\n" },
	{ do_config, "set max-bindings 0", 1, NULL,
	  "Error: Invalid max-bindings \"0\": expected a number from 1 to 16777216\n" },
	{ do_alias, "x", 1, NULL,
	  "Command \"x\" is unknown, try \"mobctl alias help\".\n" },
	{ do_alias, "help", 0,
	  "Usage: mobctl alias add MOA hoa HOA [ target TARGET ] [ timeout MS ]\n"
	  "       mobctl alias del MOA\n"
	  "       mobctl alias show [ MOA ]\n"
	  "       mobctl alias flush\n", NULL },
	{ do_alias, "add help", 0, "Usage: mobctl alias add", NULL },
	{ do_alias, "del help", 0, "Usage: mobctl alias add", NULL },
	{ do_alias, "show help", 0, "Usage: mobctl alias add", NULL },
	{ do_alias, "flush help", 0, "Usage: mobctl alias add", NULL },
	{ do_alias, "add 10.1.1.x hoa 10.99.0.11", 1, NULL,
	  "Error: Invalid MoA \"10.1.1.x\": expected an IPv4 or IPv6 address\n" },
	{ do_alias, "a 10.1.1.11 hoa 10.99.0.11 timeout 30s", 1, NULL,
	  "Error: Invalid timeout \"30s\": expected milliseconds from 1 to 86400000\n" },
	{ do_alias, "del", 1, NULL, "Error: missing MoA\n" },
	{ do_alias, "del 10.1.1.x", 1, NULL,
	  "Error: Invalid MoA \"10.1.1.x\": expected an IPv4 or IPv6 address\n" },
	{ do_alias, "del 10.1.1.11 10.1.1.12", 1, NULL,
	  "Error: unexpected \"10.1.1.12\" after the MoA\n" },
	{ do_alias, "get", 1, NULL, "Error: missing MoA\n" },
	{ do_alias, "show 2001:db8::zz", 1, NULL,
	  "Error: Invalid MoA \"2001:db8::zz\": expected an IPv4 or IPv6 address\n" },
	{ do_alias, "show 10.1.1.11 extra", 1, NULL,
	  "Error: unexpected \"extra\" after the MoA\n" },
	{ do_alias, "flush 10.1.1.11", 1, NULL,
	  "Error: unexpected \"10.1.1.11\"\n" },
	{ do_migrate, "help", 0,
	  "Usage: mobctl [ -c URI ] migrate VM to DEST [ offline ] [ postcopy ]\n",
	  NULL },
	{ do_migrate, "h", 0, "Usage: mobctl [ -c URI ] migrate", NULL },
	/* Refused before libvirt is asked anything. */
	{ do_migrate, "", 1, NULL,
	  "Error: missing VM: expected VM to DEST [ offline ] [ postcopy ] "
	  "[ max-downtime MS ] [ bandwidth MIB/S ] [ timeout SECONDS ]\n" },
	{ do_migrate, "web1 to hv2 frob", 1, NULL,
	  "Error: unexpected \"frob\": expected to, offline, postcopy, "
	  "max-downtime, bandwidth or timeout\n" },
	{ do_migrate, "web1 to hv2 timeout 10s", 1, NULL,
	  "Error: Invalid timeout \"10s\": expected seconds from 1 to 86400\n" },
};

START_TEST(test_dispatch)
{
	int argc = split(dispatches[_i].line);

	ck_assert_int_eq(dispatches[_i].object(argc, argv_buf),
			 dispatches[_i].ret);
	if (dispatches[_i].out) {
		ck_assert_ptr_nonnull(out_text());
		ck_assert_msg(!strncmp(out_text(), dispatches[_i].out,
				       strlen(dispatches[_i].out)),
			      "stdout: %s", out_text());
	} else {
		ck_assert_uint_eq(strlen(out_text() ? out_text() : ""), 0);
	}
	ck_assert_str_eq(err_text() ? err_text() : "",
			 dispatches[_i].err ? dispatches[_i].err : "");
}
END_TEST

static const struct {
	const char *line;
	const char *err;
} binding_bad[] = {
	{ "", "Error: missing HoA: expected HOA moa MOA { local | remote }\n" },
	{ "10.0.0.x moa 10.1.1.1 local",
	  "Error: Invalid HoA \"10.0.0.x\": expected an IPv4 or IPv6 address\n" },
	{ "10.0.0.1 moa 10.1.1.x local",
	  "Error: Invalid MoA \"10.1.1.x\": expected an IPv4 or IPv6 address\n" },
	{ "10.0.0.1 moa ::1 local",
	  "Error: HoA and MoA must be the same address family\n" },
	{ "2001:db8::1 moa 10.0.0.1 remote",
	  "Error: HoA and MoA must be the same address family\n" },
	{ "10.0.0.1 moa 10.0.0.1 local", "Error: HoA and MoA must differ\n" },
	{ "10.0.0.1 moa 10.1.1.1", "Error: missing \"local\" or \"remote\"\n" },
	{ "10.0.0.1 local", "Error: missing \"moa MOA\"\n" },
	{ "10.0.0.1 moa", "Error: \"moa\" needs an address\n" },
	{ "10.0.0.1 moa 10.1.1.1 local dev",
	  "Error: \"dev\" needs an interface name\n" },
	{ "10.0.0.1 moa 10.1.1.1 local remote",
	  "Error: give one of \"local\" or \"remote\"\n" },
	{ "10.0.0.1 moa 10.1.1.1 moa 10.1.1.2 local",
	  "Error: duplicate \"moa\"\n" },
	{ "10.0.0.1 moa 10.1.1.1 local dev lo dev lo",
	  "Error: duplicate \"dev\"\n" },
	{ "10.0.0.1 moa 10.1.1.1 remote dev lo",
	  "Error: \"dev\" is only for local bindings\n" },
	{ "10.0.0.1 moa 10.1.1.1 local dev nope0",
	  "Error: Cannot find device \"nope0\"\n" },
	{ "10.0.0.1 moa 10.1.1.1 local bogus",
	  "Error: unexpected \"bogus\": expected moa, local, remote or dev\n" },
};

START_TEST(test_binding_parse_bad)
{
	struct mob_binding_info b;
	int argc = split(binding_bad[_i].line);

	ck_assert_int_lt(mobctl_binding_parse_new(argc, argv_buf, &b), 0);
	ck_assert_str_eq(err_text(), binding_bad[_i].err);
}
END_TEST

/* The request "binding add/replace/change" sends, compared byte for byte. */
static const struct {
	const char *line;
	uint32_t flags;
	int family;
	const char *hoa, *moa;
	uint8_t kind;
	uint32_t ifindex;
} binding_good[] = {
	{ "10.99.0.11 moa 10.1.1.11 local dev lo", 0,
	  AF_INET, "10.99.0.11", "10.1.1.11", MOB_KIND_LOCAL, 1 },
	{ "10.99.0.11 m 10.1.1.11 l d lo", MOB_BINDING_F_REPLACE,
	  AF_INET, "10.99.0.11", "10.1.1.11", MOB_KIND_LOCAL, 1 },
	{ "10.99.0.11 remote moa 10.2.2.22", MOB_BINDING_F_REPLACE,
	  AF_INET, "10.99.0.11", "10.2.2.22", MOB_KIND_REMOTE, 0 },
	{ "10.99.0.11 remote moa 10.2.2.22",
	  MOB_BINDING_F_REPLACE | MOB_BINDING_F_NOCREATE,
	  AF_INET, "10.99.0.11", "10.2.2.22", MOB_KIND_REMOTE, 0 },
	{ "2001:db8:99::11 moa 2001:db8:1::11 local", 0, AF_INET6,
	  "2001:db8:99::11", "2001:db8:1::11", MOB_KIND_LOCAL, 0 },
};

START_TEST(test_binding_request)
{
	struct mob_binding_info b;
	union mob_ip hoa = addr(binding_good[_i].family, binding_good[_i].hoa);
	union mob_ip moa = addr(binding_good[_i].family, binding_good[_i].moa);
	size_t alen = binding_good[_i].family == AF_INET ? 4 : 16;
	char want[MOB_NL_REQ_SIZE] __attribute__((aligned(4))) = { 0 };
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	struct nlattr *nest;
	int argc = split(binding_good[_i].line);

	ck_assert_int_eq(mobctl_binding_parse_new(argc, argv_buf, &b), 0);
	ck_assert_str_eq(err_text() ? err_text() : "", "");
	ck_assert_int_eq(mob_build_binding_new(h, binding_good[_i].flags, &b),
			 0);

	nlh = mnl_nlmsg_put_header(want);
	nlh->nlmsg_type = FAKE_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = MOB_CMD_BINDING_NEW;
	genl->version = MOB_GENL_VERSION;
	nest = mnl_attr_nest_start(nlh, MOB_A_BINDING);
	mnl_attr_put(nlh, alen == 4 ? MOB_BINDING_A_HOA4 : MOB_BINDING_A_HOA6,
		     alen, &hoa);
	mnl_attr_put(nlh, alen == 4 ? MOB_BINDING_A_MOA4 : MOB_BINDING_A_MOA6,
		     alen, &moa);
	mnl_attr_put_u8(nlh, MOB_BINDING_A_KIND, binding_good[_i].kind);
	if (binding_good[_i].ifindex)
		mnl_attr_put_u32(nlh, MOB_BINDING_A_IFINDEX,
				 binding_good[_i].ifindex);
	if (binding_good[_i].flags)
		mnl_attr_put_u32(nlh, MOB_BINDING_A_FLAGS,
				 binding_good[_i].flags);
	mnl_attr_nest_end(nlh, nest);

	ck_assert_uint_eq(h->req.nlh.nlmsg_len, nlh->nlmsg_len);
	ck_assert_mem_eq(h->req.buf, want, nlh->nlmsg_len);
}
END_TEST

static const struct {
	const char *line;
	const char *err;
} alias_bad[] = {
	{ "", "Error: missing MoA: expected MOA hoa HOA [ target TARGET ] [ timeout MS ]\n" },
	{ "10.1.1.x hoa 10.99.0.11",
	  "Error: Invalid MoA \"10.1.1.x\": expected an IPv4 or IPv6 address\n" },
	{ "10.1.1.11 hoa 10.99.0.x",
	  "Error: Invalid HoA \"10.99.0.x\": expected an IPv4 or IPv6 address\n" },
	{ "10.1.1.11 hoa 10.99.0.11 target 10.1.2",
	  "Error: Invalid target \"10.1.2\": expected an IPv4 or IPv6 address\n" },
	{ "10.1.1.11", "Error: missing \"hoa HOA\"\n" },
	{ "10.1.1.11 target 10.1.2.11 timeout 5", "Error: missing \"hoa HOA\"\n" },
	{ "10.1.1.11 hoa", "Error: \"hoa\" needs an address\n" },
	{ "10.1.1.11 hoa 10.99.0.11 target",
	  "Error: \"target\" needs an address\n" },
	{ "10.1.1.11 hoa 10.99.0.11 timeout",
	  "Error: \"timeout\" needs a number of milliseconds\n" },
	{ "10.1.1.11 hoa 10.99.0.11 hoa 10.99.0.12",
	  "Error: duplicate \"hoa\"\n" },
	{ "10.1.1.11 hoa 10.99.0.11 target 10.1.2.11 target 10.1.2.12",
	  "Error: duplicate \"target\"\n" },
	{ "10.1.1.11 hoa 10.99.0.11 timeout 5 timeout 6",
	  "Error: duplicate \"timeout\"\n" },
	{ "10.1.1.11 hoa 2001:db8:99::11",
	  "Error: MoA and HoA must be the same address family\n" },
	{ "2001:db8:1::11 hoa 2001:db8:99::11 target 10.1.2.11",
	  "Error: MoA and target must be the same address family\n" },
	{ "10.1.1.11 hoa 10.1.1.11", "Error: MoA and HoA must differ\n" },
	{ "2001:db8:1::11 hoa 2001:db8:99::11 target 2001:db8:1:0::11",
	  "Error: MoA and target must differ\n" },
	{ "10.1.1.11 hoa 10.99.0.11 timeout 0",
	  "Error: Invalid timeout \"0\": expected milliseconds from 1 to 86400000\n" },
	{ "10.1.1.11 hoa 10.99.0.11 timeout 86400001",
	  "Error: Invalid timeout \"86400001\": expected milliseconds from 1 to 86400000\n" },
	{ "10.1.1.11 hoa 10.99.0.11 timeout -1",
	  "Error: Invalid timeout \"-1\": expected milliseconds from 1 to 86400000\n" },
	{ "10.1.1.11 hoa 10.99.0.11 timeout 1e3",
	  "Error: Invalid timeout \"1e3\": expected milliseconds from 1 to 86400000\n" },
	{ "10.1.1.11 hoa 10.99.0.11 t 5",
	  "Error: unexpected \"t\": expected hoa, target or timeout\n" },
	{ "10.1.1.11 hoa 10.99.0.11 local",
	  "Error: unexpected \"local\": expected hoa, target or timeout\n" },
	{ "10.1.1.11 moa 10.99.0.11",
	  "Error: unexpected \"moa\": expected hoa, target or timeout\n" },
};

START_TEST(test_alias_parse_bad)
{
	struct mob_alias_info a;
	int argc = split(alias_bad[_i].line);

	ck_assert_int_lt(mobctl_alias_parse_new(argc, argv_buf, &a), 0);
	ck_assert_str_eq(err_text(), alias_bad[_i].err);
}
END_TEST

/* The request "alias add" sends, compared byte for byte. */
static const struct {
	const char *line;
	int family;
	const char *moa, *hoa, *target;	/* target NULL: none */
	uint32_t timeout;
} alias_good[] = {
	{ "10.1.1.11 hoa 10.99.0.11 target 10.1.2.11 timeout 30000",
	  AF_INET, "10.1.1.11", "10.99.0.11", "10.1.2.11", 30000 },
	{ "10.1.2.11 hoa 10.99.0.11", AF_INET, "10.1.2.11", "10.99.0.11",
	  NULL, 0 },
	{ "10.1.1.11 timeout 1 ta 10.1.2.11 h 10.99.0.11", AF_INET,
	  "10.1.1.11", "10.99.0.11", "10.1.2.11", 1 },
	{ "10.1.1.11 hoa 10.99.0.11 ti 86400000", AF_INET, "10.1.1.11",
	  "10.99.0.11", NULL, 86400000 },
	{ "2001:db8:2::11 hoa 2001:db8:99::11 timeout 5000", AF_INET6,
	  "2001:db8:2::11", "2001:db8:99::11", NULL, 5000 },
	{ "2001:db8:1::11 hoa 2001:db8:99::11 target 2001:db8:2::11",
	  AF_INET6, "2001:db8:1::11", "2001:db8:99::11", "2001:db8:2::11", 0 },
};

START_TEST(test_alias_request)
{
	struct mob_alias_info a;
	int family = alias_good[_i].family;
	union mob_ip moa = addr(family, alias_good[_i].moa);
	union mob_ip hoa = addr(family, alias_good[_i].hoa);
	union mob_ip target;
	bool v4 = family == AF_INET;
	size_t alen = v4 ? 4 : 16;
	char want[MOB_NL_REQ_SIZE] __attribute__((aligned(4))) = { 0 };
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	struct nlattr *nest;
	int argc = split(alias_good[_i].line);

	ck_assert_int_eq(mobctl_alias_parse_new(argc, argv_buf, &a), 0);
	ck_assert_str_eq(err_text() ? err_text() : "", "");
	ck_assert_int_eq(a.family, family);
	ck_assert(a.has_hoa);
	ck_assert(a.has_target == (alias_good[_i].target != NULL));
	ck_assert_uint_eq(a.timeout_ms, alias_good[_i].timeout);
	ck_assert_int_eq(mob_build_alias_new(h, &a), 0);

	nlh = mnl_nlmsg_put_header(want);
	nlh->nlmsg_type = FAKE_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = MOB_CMD_ALIAS_NEW;
	genl->version = MOB_GENL_VERSION;
	nest = mnl_attr_nest_start(nlh, MOB_A_ALIAS);
	mnl_attr_put(nlh, v4 ? MOB_ALIAS_A_MOA4 : MOB_ALIAS_A_MOA6, alen, &moa);
	mnl_attr_put(nlh, v4 ? MOB_ALIAS_A_HOA4 : MOB_ALIAS_A_HOA6, alen, &hoa);
	if (alias_good[_i].target) {
		target = addr(family, alias_good[_i].target);
		mnl_attr_put(nlh, v4 ? MOB_ALIAS_A_TARGET4 :
			     MOB_ALIAS_A_TARGET6, alen, &target);
	}
	if (alias_good[_i].timeout)
		mnl_attr_put_u32(nlh, MOB_ALIAS_A_TIMEOUT,
				 alias_good[_i].timeout);
	mnl_attr_nest_end(nlh, nest);

	ck_assert_uint_eq(h->req.nlh.nlmsg_len, nlh->nlmsg_len);
	ck_assert_mem_eq(h->req.buf, want, nlh->nlmsg_len);
}
END_TEST

/* What the kernel's extack offset names in an alias request. */
static const struct {
	int attr;		/* index in the nest: 0 MoA, 1 HoA, 2 target, 3 timeout */
	const char *err;
} alias_extacks[] = {
	{ 0, "Error: File exists\nkernel says: alias is a binding's MoA (at MoA)\n" },
	{ 1, "Error: File exists\nkernel says: alias is a binding's MoA (at HoA)\n" },
	{ 2, "Error: File exists\nkernel says: alias is a binding's MoA (at target)\n" },
	{ 3, "Error: File exists\nkernel says: alias is a binding's MoA (at timeout)\n" },
	{ -1, "Error: File exists\nkernel says: alias is a binding's MoA\n" },
};

START_TEST(test_alias_extack)
{
	struct mob_alias_info a;
	const struct nlattr *at;
	int i;

	ck_assert_int_eq(mobctl_alias_parse_new(split("10.1.1.11 hoa 10.99.0.11 target 10.1.2.11 timeout 30000"),
						argv_buf, &a), 0);
	ck_assert_int_eq(mob_build_alias_new(h, &a), 0);
	at = mnl_attr_get_payload(mnl_nlmsg_get_payload_offset(&h->req.nlh,
								GENL_HDRLEN));
	for (i = 0; i < alias_extacks[_i].attr; i++)
		at = mnl_attr_next(at);
	snprintf(h->ext_msg, sizeof(h->ext_msg), "alias is a binding's MoA");
	h->ext_offset = alias_extacks[_i].attr < 0 ? 0 :
		(uint32_t)((const char *)at - h->req.buf);
	mobctl_report_nl_error(h, -EEXIST);
	ck_assert_str_eq(err_text(), alias_extacks[_i].err);
}
END_TEST

START_TEST(test_prefix_request)
{
	struct mob_prefix_info p;
	const struct nlattr *nest, *a;
	const struct nlmsghdr *nlh = &h->req.nlh;
	const uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x99 };

	ck_assert_int_eq(mobctl_prefix_parse(split("2001:db8:99::/48"),
					     argv_buf, &p), 0);
	ck_assert_int_eq(mob_build_prefix(h, MOB_CMD_PREFIX_NEW, &p), 0);
	ck_assert_uint_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	nest = mnl_nlmsg_get_payload_offset(nlh, GENL_HDRLEN);
	ck_assert_uint_eq(nest->nla_type, MOB_A_PREFIX | NLA_F_NESTED);
	a = mnl_attr_get_payload(nest);
	ck_assert_uint_eq(a->nla_type, MOB_PREFIX_A_ADDR6);
	ck_assert_uint_eq(mnl_attr_get_payload_len(a), 16);
	ck_assert_mem_eq(mnl_attr_get_payload(a), want, 16);
	a = mnl_attr_next(a);
	ck_assert_uint_eq(a->nla_type, MOB_PREFIX_A_LEN);
	ck_assert_uint_eq(mnl_attr_get_u8(a), 48);
	ck_assert_uint_eq(nlh->nlmsg_len, 16 + 4 + 4 + 20 + 8);

	ck_assert_int_lt(mobctl_prefix_parse(split("10.0.0.0/8 10.1.0.0/16"),
					     argv_buf, &p), 0);
	ck_assert_str_eq(err_text(),
			 "Error: unexpected \"10.1.0.0/16\" after the prefix\n");
}
END_TEST

static const struct {
	const char *line;
	int err;
	uint32_t value;
	const char *msg;
} config_sets[] = {
	{ "max-bindings 65536", 0, 65536, "" },
	{ "max 1", 0, 1, "" },
	{ "max-bindings 16777216", 0, 16777216, "" },
	{ "", -EINVAL, 0, "Error: nothing to set: expected max-bindings N\n" },
	{ "max-bindings", -EINVAL, 0,
	  "Error: \"max-bindings\" needs a number\n" },
	{ "max-bindings 16777217", -EINVAL, 0,
	  "Error: Invalid max-bindings \"16777217\": expected a number from 1 to 16777216\n" },
	{ "max-bindings -5", -EINVAL, 0,
	  "Error: Invalid max-bindings \"-5\": expected a number from 1 to 16777216\n" },
	{ "max-bindings 10 max-bindings 20", -EINVAL, 0,
	  "Error: duplicate \"max-bindings\"\n" },
	{ "min-bindings 10", -EINVAL, 0,
	  "Error: unexpected \"min-bindings\": expected max-bindings\n" },
};

START_TEST(test_config_set)
{
	uint32_t v = 0;
	int argc = split(config_sets[_i].line);

	ck_assert_int_eq(mobctl_config_parse_set(argc, argv_buf, &v),
			 config_sets[_i].err);
	ck_assert_str_eq(err_text() ? err_text() : "", config_sets[_i].msg);
	if (!config_sets[_i].err)
		ck_assert_uint_eq(v, config_sets[_i].value);
}
END_TEST

/* One binding, printed as "binding show" does, text and JSON. */
static struct mob_binding_info sample_binding(int variant)
{
	struct mob_binding_info b = {
		.family = AF_INET,
		.hoa = addr(AF_INET, "10.99.0.11"),
		.moa = addr(AF_INET, "10.1.1.11"),
		.has_moa = true,
		.kind = MOB_KIND_LOCAL,
		.ifindex = 1,
		.has_stats = true,
		.stats = {
			.packets_in = 3, .bytes_in = 252,
			.packets_out = 4, .bytes_out = 336,
			.idle_msec = 1500, .has_idle = true,
		},
	};

	if (variant == 1) {
		b.family = AF_INET6;
		b.hoa = addr(AF_INET6, "2001:db8:99::11");
		b.moa = addr(AF_INET6, "2001:db8:1::11");
		b.kind = MOB_KIND_REMOTE;
		b.ifindex = 0;
		b.stats.has_idle = false;
		b.stats.idle_msec = 0;
	} else if (variant == 2) {
		b.ifindex = 0x7ffffff0;	/* no such interface */
		b.stats.idle_msec = 3723000;
	}
	return b;
}

static const struct {
	int variant;
	bool json;
	int stats;
	const char *want;
} binding_outputs[] = {
	{ 0, false, 0, "10.99.0.11 moa 10.1.1.11 local dev lo\n" },
	{ 0, true, 0,
	  "[{\"hoa\":\"10.99.0.11\",\"moa\":\"10.1.1.11\",\"kind\":\"local\","
	  "\"dev\":\"lo\",\"ifindex\":1}]\n" },
	{ 0, false, 1,
	  "10.99.0.11 moa 10.1.1.11 local dev lo\n"
	  "    in 3 packets 252 bytes  out 4 packets 336 bytes  idle 1.500s\n" },
	{ 0, true, 1,
	  "[{\"hoa\":\"10.99.0.11\",\"moa\":\"10.1.1.11\",\"kind\":\"local\","
	  "\"dev\":\"lo\",\"ifindex\":1,\"stats\":{\"packets_in\":3,"
	  "\"bytes_in\":252,\"packets_out\":4,\"bytes_out\":336,"
	  "\"idle_msec\":1500}}]\n" },
	{ 0, false, 2,
	  "10.99.0.11 moa 10.1.1.11 local dev lo ifindex 1\n"
	  "    in 3 packets 252 bytes  out 4 packets 336 bytes  idle 1500ms\n" },
	{ 1, false, 0, "2001:db8:99::11 moa 2001:db8:1::11 remote\n" },
	{ 1, false, 1,
	  "2001:db8:99::11 moa 2001:db8:1::11 remote\n"
	  "    in 3 packets 252 bytes  out 4 packets 336 bytes  unused\n" },
	{ 1, true, 1,
	  "[{\"hoa\":\"2001:db8:99::11\",\"moa\":\"2001:db8:1::11\","
	  "\"kind\":\"remote\",\"stats\":{\"packets_in\":3,\"bytes_in\":252,"
	  "\"packets_out\":4,\"bytes_out\":336}}]\n" },
	{ 2, false, 1,
	  "10.99.0.11 moa 10.1.1.11 local ifindex 2147483632\n"
	  "    in 3 packets 252 bytes  out 4 packets 336 bytes  idle 1h02m\n" },
	{ 2, true, 0,
	  "[{\"hoa\":\"10.99.0.11\",\"moa\":\"10.1.1.11\",\"kind\":\"local\","
	  "\"ifindex\":2147483632}]\n" },
};

START_TEST(test_binding_output)
{
	struct mob_binding_info b = sample_binding(binding_outputs[_i].variant);
	struct mob_out o;

	mobctl_opts.json = binding_outputs[_i].json;
	mobctl_opts.stats = binding_outputs[_i].stats;
	mobctl_out_init(&o);
	mob_out_open_array(&o, NULL);
	mob_out_open_object(&o, NULL);
	mobctl_print_binding(&o, &b);
	mob_out_close_object(&o);
	mob_out_nl(&o);
	mob_out_close_array(&o);
	ck_assert_int_eq(mobctl_out_end(&o), 0);
	ck_assert_str_eq(out_text(), binding_outputs[_i].want);
}
END_TEST

/* One alias, printed as "alias show" does, text and JSON. */
static struct mob_alias_info sample_alias(int variant)
{
	struct mob_alias_info a = {
		.family = AF_INET,
		.moa = addr(AF_INET, "10.1.1.11"),
		.has_hoa = true,
		.hoa = addr(AF_INET, "10.99.0.11"),
		.has_target = true,
		.target = addr(AF_INET, "10.1.2.11"),
		.timeout_ms = 30000,
		.has_expires = true,
		.expires_ms = 12345,
		.packets = 17,
	};

	if (variant == 1) {	/* a peer's pre-learned next MoA */
		a.family = AF_INET6;
		a.moa = addr(AF_INET6, "2001:db8:2::11");
		a.hoa = addr(AF_INET6, "2001:db8:99::11");
		a.has_target = false;
		a.timeout_ms = 0;
		a.has_expires = false;
		a.expires_ms = 0;
		a.packets = 0;
	}
	return a;
}

static const struct {
	int variant;
	bool json;
	int stats;
	const char *want;
} alias_outputs[] = {
	{ 0, false, 0,
	  "10.1.1.11 hoa 10.99.0.11 target 10.1.2.11 timeout 30.000s expires 12.345s packets 17\n" },
	{ 0, false, 1,
	  "10.1.1.11 hoa 10.99.0.11 target 10.1.2.11 timeout 30.000s expires 12.345s packets 17\n" },
	{ 0, false, 2,
	  "10.1.1.11 hoa 10.99.0.11 target 10.1.2.11 timeout 30000ms expires 12345ms packets 17\n" },
	{ 0, true, 0,
	  "[{\"moa\":\"10.1.1.11\",\"hoa\":\"10.99.0.11\",\"target\":\"10.1.2.11\","
	  "\"timeout_ms\":30000,\"expires_ms\":12345,\"packets\":17}]\n" },
	{ 0, true, 2,
	  "[{\"moa\":\"10.1.1.11\",\"hoa\":\"10.99.0.11\",\"target\":\"10.1.2.11\","
	  "\"timeout_ms\":30000,\"expires_ms\":12345,\"packets\":17}]\n" },
	{ 1, false, 0, "2001:db8:2::11 hoa 2001:db8:99::11 packets 0\n" },
	{ 1, true, 0,
	  "[{\"moa\":\"2001:db8:2::11\",\"hoa\":\"2001:db8:99::11\",\"packets\":0}]\n" },
};

START_TEST(test_alias_output)
{
	struct mob_alias_info a = sample_alias(alias_outputs[_i].variant);
	struct mob_out o;

	mobctl_opts.json = alias_outputs[_i].json;
	mobctl_opts.stats = alias_outputs[_i].stats;
	mobctl_out_init(&o);
	mob_out_open_array(&o, NULL);
	mob_out_open_object(&o, NULL);
	mobctl_print_alias(&o, &a, true);
	mob_out_close_object(&o);
	mob_out_nl(&o);
	mob_out_close_array(&o);
	ck_assert_int_eq(mobctl_out_end(&o), 0);
	ck_assert_str_eq(out_text(), alias_outputs[_i].want);
}
END_TEST

START_TEST(test_json_empty_and_pretty)
{
	struct mob_out o;

	/* "binding show" with no bindings: [] in JSON, nothing in text. */
	mob_out_init(&o, mobctl_out, true, false);
	mob_out_open_array(&o, NULL);
	mob_out_close_array(&o);
	ck_assert_int_eq(mob_out_end(&o), 0);
	mob_out_init(&o, mobctl_out, false, false);
	mob_out_open_array(&o, NULL);
	mob_out_close_array(&o);
	ck_assert_int_eq(mob_out_end(&o), 0);
	ck_assert_str_eq(out_text(), "[]\n");

	/* Pretty, and no "\/" escapes in prefixes. */
	mob_out_init(&o, mobctl_out, true, true);
	mob_out_open_object(&o, NULL);
	mob_out_string(&o, "prefix", "%s", "10.99.0.0/16");
	mob_out_close_object(&o);
	ck_assert_int_eq(mob_out_end(&o), 0);
	ck_assert_str_eq(out_text(), "[]\n{\n  \"prefix\": \"10.99.0.0/16\"\n}\n");
}
END_TEST

START_TEST(test_out_misuse)
{
	struct mob_out o;

	/* A value with no key in an object, and a close too many. */
	mob_out_init(&o, mobctl_out, true, false);
	mob_out_open_object(&o, NULL);
	mob_out_u64(&o, NULL, "%" PRIu64, 1);	/* text only: fine */
	mob_out_string(&o, "a", NULL, "b");	/* JSON only: fine */
	mob_out_close_object(&o);
	ck_assert_int_eq(mob_out_end(&o), 0);
	ck_assert_str_eq(out_text(), "{\"a\":\"b\"}\n");

	mob_out_init(&o, mobctl_out, true, false);
	mob_out_close_object(&o);
	ck_assert_int_eq(mob_out_end(&o), -EINVAL);

	mob_out_init(&o, mobctl_out, true, false);
	mob_out_open_object(&o, NULL);
	mob_out_close_object(&o);
	mob_out_open_object(&o, NULL);		/* a second document */
	ck_assert_int_eq(mob_out_end(&o), -EINVAL);
}
END_TEST

/* Events as monitor prints them. */
static char evbuf[4096] __attribute__((aligned(4)));

static struct nlmsghdr *ev_start(uint8_t cmd)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	memset(evbuf, 0, sizeof(evbuf));
	nlh = mnl_nlmsg_put_header(evbuf);
	nlh->nlmsg_type = FAKE_FAMILY;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = MOB_GENL_VERSION;
	return nlh;
}

static void ev_put_addr(struct nlmsghdr *nlh, uint16_t type, int family,
			const char *s)
{
	union mob_ip a = addr(family, s);

	mnl_attr_put(nlh, type, family == AF_INET ? 4 : 16, &a);
}

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void ev_binding(struct nlmsghdr *nlh, bool prev)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_BINDING);

	ev_put_addr(nlh, MOB_BINDING_A_HOA4, AF_INET, "10.99.0.11");
	if (prev) {
		ev_put_addr(nlh, MOB_BINDING_A_MOA4, AF_INET, "10.2.2.22");
		mnl_attr_put_u8(nlh, MOB_BINDING_A_KIND, MOB_KIND_REMOTE);
		ev_put_addr(nlh, MOB_BINDING_A_PREV_MOA4, AF_INET, "10.1.1.11");
		mnl_attr_put_u8(nlh, MOB_BINDING_A_PREV_KIND, MOB_KIND_LOCAL);
	} else {
		ev_put_addr(nlh, MOB_BINDING_A_MOA4, AF_INET, "10.1.1.11");
		mnl_attr_put_u8(nlh, MOB_BINDING_A_KIND, MOB_KIND_LOCAL);
		mnl_attr_put_u32(nlh, MOB_BINDING_A_IFINDEX, 1);
	}
	mnl_attr_nest_end(nlh, n);
}

static void ev_binding_new(struct nlmsghdr *nlh)
{
	ev_binding(nlh, false);
}

static void ev_binding_replace(struct nlmsghdr *nlh)
{
	ev_binding(nlh, true);
}

static void ev_flush_remote(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_BINDING);

	mnl_attr_put_u8(nlh, MOB_BINDING_A_KIND, MOB_KIND_REMOTE);
	mnl_attr_nest_end(nlh, n);
}

static void ev_nothing(struct nlmsghdr *nlh)
{
}

static void ev_prefix6(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_PREFIX);

	ev_put_addr(nlh, MOB_PREFIX_A_ADDR6, AF_INET6, "2001:db8:99::");
	mnl_attr_put_u8(nlh, MOB_PREFIX_A_LEN, 48);
	mnl_attr_nest_end(nlh, n);
}

static void ev_event(struct nlmsghdr *nlh, uint8_t type, int family,
		     const char *sender, const char *target, bool lladdr)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_EVENT);

	mnl_attr_put_u8(nlh, MOB_EVENT_A_TYPE, type);
	mnl_attr_put_u32(nlh, MOB_EVENT_A_IFINDEX, 1);
	if (lladdr)
		mnl_attr_put(nlh, MOB_EVENT_A_LLADDR, 6, mac);
	if (sender)
		ev_put_addr(nlh, family == AF_INET ? MOB_EVENT_A_SENDER4 :
			    MOB_EVENT_A_SENDER6, family, sender);
	if (target)
		ev_put_addr(nlh, family == AF_INET ? MOB_EVENT_A_TARGET4 :
			    MOB_EVENT_A_TARGET6, family, target);
	mnl_attr_nest_end(nlh, n);
}

static void ev_arp_request(struct nlmsghdr *nlh)
{
	ev_event(nlh, MOB_EVENT_ARP_REQUEST, AF_INET, "10.99.0.11",
		 "10.99.0.1", true);
}

static void ev_dad(struct nlmsghdr *nlh)
{
	ev_event(nlh, MOB_EVENT_DAD, AF_INET6, NULL, "2001:db8:99::11", true);
}

static void ev_rarp(struct nlmsghdr *nlh)
{
	ev_event(nlh, MOB_EVENT_RARP, AF_INET, NULL, NULL, true);
}

static void ev_garp(struct nlmsghdr *nlh)
{
	ev_event(nlh, MOB_EVENT_GARP, AF_INET, NULL, "10.99.0.11", true);
}

static void ev_unknown_dst(struct nlmsghdr *nlh)
{
	ev_event(nlh, MOB_EVENT_UNKNOWN_DST, AF_INET, "10.99.0.11",
		 "10.99.0.99", false);
}

static void ev_future_type(struct nlmsghdr *nlh)
{
	ev_event(nlh, 99, AF_INET, NULL, "10.99.0.11", false);
}

static void ev_alias_forward(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_ALIAS);

	ev_put_addr(nlh, MOB_ALIAS_A_MOA4, AF_INET, "10.1.1.11");
	ev_put_addr(nlh, MOB_ALIAS_A_HOA4, AF_INET, "10.99.0.11");
	ev_put_addr(nlh, MOB_ALIAS_A_TARGET4, AF_INET, "10.1.2.11");
	mnl_attr_put_u32(nlh, MOB_ALIAS_A_TIMEOUT, 30000);
	mnl_attr_put_u32(nlh, MOB_ALIAS_A_EXPIRES, 30000);
	mnl_attr_put_u64(nlh, MOB_ALIAS_A_PACKETS, 0);
	mnl_attr_nest_end(nlh, n);
}

static void ev_alias_next6(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_ALIAS);

	ev_put_addr(nlh, MOB_ALIAS_A_MOA6, AF_INET6, "2001:db8:2::11");
	ev_put_addr(nlh, MOB_ALIAS_A_HOA6, AF_INET6, "2001:db8:99::11");
	mnl_attr_put_u64(nlh, MOB_ALIAS_A_PACKETS, 42);
	mnl_attr_nest_end(nlh, n);
}

static const struct {
	uint8_t cmd;
	void (*build)(struct nlmsghdr *nlh);
	const char *text;
	const char *json;
} events[] = {
	{ MOB_CMD_BINDING_NEW, ev_binding_new,
	  "binding new 10.99.0.11 moa 10.1.1.11 local dev lo\n",
	  "{\"event\":\"binding\",\"type\":\"new\",\"hoa\":\"10.99.0.11\","
	  "\"moa\":\"10.1.1.11\",\"kind\":\"local\",\"dev\":\"lo\","
	  "\"ifindex\":1}\n" },
	{ MOB_CMD_BINDING_NEW, ev_binding_replace,
	  "binding replace 10.99.0.11 moa 10.2.2.22 remote prev moa 10.1.1.11 local\n",
	  "{\"event\":\"binding\",\"type\":\"replace\",\"hoa\":\"10.99.0.11\","
	  "\"moa\":\"10.2.2.22\",\"kind\":\"remote\",\"prev\":{\"moa\":"
	  "\"10.1.1.11\",\"kind\":\"local\"}}\n" },
	{ MOB_CMD_BINDING_DEL, ev_binding_new,
	  "binding del 10.99.0.11 moa 10.1.1.11 local dev lo\n",
	  "{\"event\":\"binding\",\"type\":\"del\",\"hoa\":\"10.99.0.11\","
	  "\"moa\":\"10.1.1.11\",\"kind\":\"local\",\"dev\":\"lo\","
	  "\"ifindex\":1}\n" },
	{ MOB_CMD_BINDING_FLUSH, ev_flush_remote, "binding flush remote\n",
	  "{\"event\":\"binding\",\"type\":\"flush\",\"kind\":\"remote\"}\n" },
	{ MOB_CMD_BINDING_FLUSH, ev_nothing, "binding flush\n",
	  "{\"event\":\"binding\",\"type\":\"flush\"}\n" },
	{ MOB_CMD_PREFIX_NEW, ev_prefix6, "prefix new 2001:db8:99::/48\n",
	  "{\"event\":\"prefix\",\"type\":\"new\",\"prefix\":\"2001:db8:99::/48\"}\n" },
	{ MOB_CMD_PREFIX_DEL, ev_prefix6, "prefix del 2001:db8:99::/48\n",
	  "{\"event\":\"prefix\",\"type\":\"del\",\"prefix\":\"2001:db8:99::/48\"}\n" },
	{ MOB_CMD_NEIGH, ev_arp_request,
	  "neigh arp-request dev lo lladdr 52:54:00:12:34:56 sender 10.99.0.11 target 10.99.0.1\n",
	  "{\"event\":\"neigh\",\"type\":\"arp-request\",\"dev\":\"lo\","
	  "\"ifindex\":1,\"lladdr\":\"52:54:00:12:34:56\",\"sender\":"
	  "\"10.99.0.11\",\"target\":\"10.99.0.1\"}\n" },
	{ MOB_CMD_NEIGH, ev_dad,
	  "neigh dad dev lo lladdr 52:54:00:12:34:56 target 2001:db8:99::11\n",
	  "{\"event\":\"neigh\",\"type\":\"dad\",\"dev\":\"lo\",\"ifindex\":1,"
	  "\"lladdr\":\"52:54:00:12:34:56\",\"target\":\"2001:db8:99::11\"}\n" },
	{ MOB_CMD_ANNOUNCE, ev_rarp,
	  "announce rarp dev lo lladdr 52:54:00:12:34:56\n",
	  "{\"event\":\"announce\",\"type\":\"rarp\",\"dev\":\"lo\","
	  "\"ifindex\":1,\"lladdr\":\"52:54:00:12:34:56\"}\n" },
	{ MOB_CMD_ANNOUNCE, ev_garp,
	  "announce garp dev lo lladdr 52:54:00:12:34:56 target 10.99.0.11\n",
	  "{\"event\":\"announce\",\"type\":\"garp\",\"dev\":\"lo\","
	  "\"ifindex\":1,\"lladdr\":\"52:54:00:12:34:56\",\"target\":"
	  "\"10.99.0.11\"}\n" },
	{ MOB_CMD_UNKNOWN_HOA, ev_unknown_dst,
	  "unknown-hoa dst from 10.99.0.11 to 10.99.0.99 dev lo\n",
	  "{\"event\":\"unknown-hoa\",\"type\":\"dst\",\"src\":\"10.99.0.11\","
	  "\"dst\":\"10.99.0.99\",\"dev\":\"lo\",\"ifindex\":1}\n" },
	{ MOB_CMD_NEIGH, ev_future_type,
	  "neigh type-99 dev lo target 10.99.0.11\n",
	  "{\"event\":\"neigh\",\"type\":\"type-99\",\"dev\":\"lo\","
	  "\"ifindex\":1,\"target\":\"10.99.0.11\"}\n" },
	{ MOB_CMD_ALIAS_NEW, ev_alias_forward,
	  "alias new 10.1.1.11 hoa 10.99.0.11 target 10.1.2.11 timeout 30.000s expires 30.000s\n",
	  "{\"event\":\"alias\",\"type\":\"new\",\"moa\":\"10.1.1.11\","
	  "\"hoa\":\"10.99.0.11\",\"target\":\"10.1.2.11\",\"timeout_ms\":30000,"
	  "\"expires_ms\":30000}\n" },
	{ MOB_CMD_ALIAS_NEW, ev_alias_next6,
	  "alias new 2001:db8:2::11 hoa 2001:db8:99::11\n",
	  "{\"event\":\"alias\",\"type\":\"new\",\"moa\":\"2001:db8:2::11\","
	  "\"hoa\":\"2001:db8:99::11\"}\n" },
	{ MOB_CMD_ALIAS_DEL, ev_alias_next6,
	  "alias del 2001:db8:2::11 hoa 2001:db8:99::11\n",
	  "{\"event\":\"alias\",\"type\":\"del\",\"moa\":\"2001:db8:2::11\","
	  "\"hoa\":\"2001:db8:99::11\"}\n" },
	{ MOB_CMD_ALIAS_FLUSH, ev_nothing, "alias flush\n",
	  "{\"event\":\"alias\",\"type\":\"flush\"}\n" },
	{ 42, ev_nothing, "unknown cmd 42\n",
	  "{\"event\":\"unknown\",\"cmd\":42}\n" },
};

START_TEST(test_event_output)
{
	int which = _i / 2;
	bool json = _i % 2;
	struct nlmsghdr *nlh = ev_start(events[which].cmd);
	struct mob_out o;

	events[which].build(nlh);
	mobctl_opts.json = json;
	mobctl_out_init(&o);
	ck_assert_int_eq(mobctl_print_event(&o, nlh), 0);
	ck_assert_int_eq(mob_out_end(&o), 0);
	ck_assert_str_eq(out_text(), json ? events[which].json :
					    events[which].text);
}
END_TEST

START_TEST(test_event_bad)
{
	struct nlmsghdr *nlh;
	struct mob_out o;
	int i;

	/* No nest where one is needed, or a malformed one: nothing printed. */
	for (i = 0; i < 2; i++) {
		mobctl_opts.json = i;
		mobctl_out_init(&o);
		nlh = ev_start(MOB_CMD_NEIGH);
		ck_assert_int_eq(mobctl_print_event(&o, nlh), -EBADMSG);
		nlh = ev_start(MOB_CMD_BINDING_NEW);
		ck_assert_int_eq(mobctl_print_event(&o, nlh), -EBADMSG);
		nlh = ev_start(MOB_CMD_ANNOUNCE);
		mnl_attr_put_u32(nlh, MOB_A_EVENT, 0);
		ck_assert_int_eq(mobctl_print_event(&o, nlh), -EINVAL);
		ck_assert_int_eq(mob_out_end(&o), 0);
	}
	ck_assert_str_eq(out_text() ? out_text() : "", "");
}
END_TEST

/* With -s an alias event carries its counter, as a binding's its stats. */
START_TEST(test_alias_event_stats)
{
	struct nlmsghdr *nlh;
	struct mob_out o;

	mobctl_opts.stats = 1;
	nlh = ev_start(MOB_CMD_ALIAS_DEL);
	ev_alias_next6(nlh);
	mobctl_out_init(&o);
	ck_assert_int_eq(mobctl_print_event(&o, nlh), 0);
	ck_assert_int_eq(mob_out_end(&o), 0);
	mobctl_opts.json = true;
	mobctl_out_init(&o);
	ck_assert_int_eq(mobctl_print_event(&o, nlh), 0);
	ck_assert_int_eq(mob_out_end(&o), 0);
	ck_assert_str_eq(out_text(),
			 "alias del 2001:db8:2::11 hoa 2001:db8:99::11 packets 42\n"
			 "{\"event\":\"alias\",\"type\":\"del\",\"moa\":"
			 "\"2001:db8:2::11\",\"hoa\":\"2001:db8:99::11\","
			 "\"packets\":42}\n");
}
END_TEST

START_TEST(test_alias_event_bad)
{
	struct nlmsghdr *nlh;
	struct nlattr *n;
	struct mob_out o;
	int i;

	for (i = 0; i < 2; i++) {
		mobctl_opts.json = i;
		mobctl_out_init(&o);
		/* No alias nest. */
		nlh = ev_start(MOB_CMD_ALIAS_NEW);
		ck_assert_int_eq(mobctl_print_event(&o, nlh), -EBADMSG);
		nlh = ev_start(MOB_CMD_ALIAS_DEL);
		ck_assert_int_eq(mobctl_print_event(&o, nlh), -EBADMSG);
		/* A nest without the alias itself. */
		nlh = ev_start(MOB_CMD_ALIAS_DEL);
		n = mnl_attr_nest_start(nlh, MOB_A_ALIAS);
		ev_put_addr(nlh, MOB_ALIAS_A_HOA4, AF_INET, "10.99.0.11");
		mnl_attr_nest_end(nlh, n);
		ck_assert_int_eq(mobctl_print_event(&o, nlh), -EBADMSG);
		/* Mixed families. */
		nlh = ev_start(MOB_CMD_ALIAS_NEW);
		n = mnl_attr_nest_start(nlh, MOB_A_ALIAS);
		ev_put_addr(nlh, MOB_ALIAS_A_MOA4, AF_INET, "10.1.1.11");
		ev_put_addr(nlh, MOB_ALIAS_A_HOA6, AF_INET6, "2001:db8:99::11");
		mnl_attr_nest_end(nlh, n);
		ck_assert_int_eq(mobctl_print_event(&o, nlh), -EINVAL);
		ck_assert_int_eq(mob_out_end(&o), 0);
	}
	ck_assert_str_eq(out_text() ? out_text() : "", "");
}
END_TEST

START_TEST(test_stats_output)
{
	struct mob_stats_info s;
	struct mob_out o;

	memset(&s, 0, sizeof(s));
	s.present[MOB_STATS_A_BINDINGS_LOCAL] = true;
	s.counter[MOB_STATS_A_BINDINGS_LOCAL] = 2;
	s.present[MOB_STATS_A_XLAT_IN] = true;
	s.counter[MOB_STATS_A_XLAT_IN] = 123456789012ULL;
	s.present[MOB_STATS_A_DROP_LEAK] = true;

	mobctl_out_init(&o);
	mobctl_print_stats(&o, &s);
	ck_assert_int_eq(mob_out_end(&o), 0);
	mobctl_opts.json = true;
	mobctl_out_init(&o);
	mobctl_print_stats(&o, &s);
	ck_assert_int_eq(mob_out_end(&o), 0);
	ck_assert_str_eq(out_text(),
			 "bindings-local                 2\n"
			 "xlat-in             123456789012\n"
			 "drop-leak                      0\n"
			 "{\"bindings_local\":2,\"xlat_in\":123456789012,"
			 "\"drop_leak\":0}\n");
}
END_TEST

START_TEST(test_stats_output_alias)
{
	struct mob_stats_info s;
	struct mob_out o;

	memset(&s, 0, sizeof(s));
	s.present[MOB_STATS_A_PREFIXES] = true;
	s.counter[MOB_STATS_A_PREFIXES] = 1;
	s.present[MOB_STATS_A_ALIASES] = true;
	s.counter[MOB_STATS_A_ALIASES] = 2;
	s.present[MOB_STATS_A_XLAT_OUT] = true;
	s.counter[MOB_STATS_A_XLAT_OUT] = 10;
	s.present[MOB_STATS_A_XLAT_FWD] = true;
	s.counter[MOB_STATS_A_XLAT_FWD] = 77;

	mobctl_out_init(&o);
	mobctl_print_stats(&o, &s);
	ck_assert_int_eq(mob_out_end(&o), 0);
	mobctl_opts.json = true;
	mobctl_out_init(&o);
	mobctl_print_stats(&o, &s);
	ck_assert_int_eq(mob_out_end(&o), 0);
	ck_assert_str_eq(out_text(),
			 "prefixes                       1\n"
			 "aliases                        2\n"
			 "xlat-out                      10\n"
			 "xlat-fwd                      77\n"
			 "{\"prefixes\":1,\"aliases\":2,\"xlat_out\":10,"
			 "\"xlat_fwd\":77}\n");
}
END_TEST

START_TEST(test_format_msec)
{
	static const struct {
		uint64_t ms;
		const char *want;
	} t[] = {
		{ 0, "0.000s" }, { 1500, "1.500s" }, { 59999, "59.999s" },
		{ 60000, "1m00s" }, { 3599000, "59m59s" }, { 3600000, "1h00m" },
		{ 86399000, "23h59m" }, { 90000000, "1d01h" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		mobctl_format_msec(buf, sizeof(buf), t[i].ms);
		ck_assert_str_eq(buf, t[i].want);
	}
}
END_TEST


/* -batch: words split at blanks, comments dropped, stops at a failure. */
static int batch_runs;
static char batch_seen[256];

static int fake_run(int argc, char **argv)
{
	int i;

	batch_runs++;
	for (i = 0; i < argc; i++) {
		strcat(batch_seen, argv[i]);
		strcat(batch_seen, i + 1 < argc ? " " : ";");
	}
	return strcmp(argv[0], "bad") ? MOBCTL_OK : MOBCTL_FAIL;
}

START_TEST(test_batch)
{
	static const char text[] =
		"binding add 10.99.0.11  moa 10.1.1.11\tlocal\n"
		"# a comment\n"
		"\n"
		"   stats   # trailing comment\n"
		"bad line\n"
		"never run\n";
	FILE *in = fmemopen((void *)text, sizeof(text) - 1, "r");

	batch_runs = 0;
	batch_seen[0] = 0;
	ck_assert_int_eq(mobctl_batch(in, "test", fake_run), MOBCTL_FAIL);
	fclose(in);
	ck_assert_int_eq(batch_runs, 3);
	ck_assert_str_eq(batch_seen,
			 "binding add 10.99.0.11 moa 10.1.1.11 local;stats;bad line;");
	ck_assert_ptr_nonnull(strstr(err_text(), "test:5: command failed"));
}
END_TEST

START_TEST(test_batch_split_limit)
{
	char line[] = "a b c d";
	char *argv[3];

	ck_assert_int_eq(mobctl_batch_split(line, argv, 3), -1);
}
END_TEST

/* mobctl migrate: the arguments. */
static const struct {
	const char *line;
	const char *err;
} migrate_bad[] = {
	{ "", "Error: missing VM: expected VM to DEST [ offline ] [ postcopy ] "
	  "[ max-downtime MS ] [ bandwidth MIB/S ] [ timeout SECONDS ]\n" },
	{ "web1", "Error: missing \"to DEST\"\n" },
	{ "web1 postcopy", "Error: missing \"to DEST\"\n" },
	{ "web1 to", "Error: \"to\" needs a destination (a libvirt URI or a host name)\n" },
	{ "web1 to hv2 to hv3", "Error: duplicate \"to\"\n" },
	{ "web1 to hv2 postcopy postcopy", "Error: duplicate \"postcopy\"\n" },
	{ "web1 to hv2/x",
	  "Error: Invalid destination \"hv2/x\": expected a libvirt URI "
	  "(such as qemu+ssh://HOST/system) or a host name\n" },
	{ "web1 to hv2;reboot",
	  "Error: Invalid destination \"hv2;reboot\": expected a libvirt URI "
	  "(such as qemu+ssh://HOST/system) or a host name\n" },
	{ "web1 to hv2 t 5",	/* to or timeout */
	  "Error: unexpected \"t\": expected to, offline, postcopy, "
	  "max-downtime, bandwidth or timeout\n" },
	{ "web1 to hv2 live",
	  "Error: unexpected \"live\": expected to, offline, postcopy, "
	  "max-downtime, bandwidth or timeout\n" },
	{ "web1 to hv2 max-downtime",
	  "Error: \"max-downtime\" needs a number of milliseconds\n" },
	{ "web1 to hv2 max-downtime 0",
	  "Error: Invalid max-downtime \"0\": expected milliseconds from 1 to 3600000\n" },
	{ "web1 to hv2 max-downtime 20ms",
	  "Error: Invalid max-downtime \"20ms\": expected milliseconds from 1 to 3600000\n" },
	{ "web1 to hv2 bandwidth", "Error: \"bandwidth\" needs a number of MiB/s\n" },
	{ "web1 to hv2 bandwidth -1",
	  "Error: Invalid bandwidth \"-1\": expected MiB/s from 1 to 1048576\n" },
	{ "web1 to hv2 bandwidth 1048577",
	  "Error: Invalid bandwidth \"1048577\": expected MiB/s from 1 to 1048576\n" },
	{ "web1 to hv2 timeout", "Error: \"timeout\" needs a number of seconds\n" },
	{ "web1 to hv2 timeout 86401",
	  "Error: Invalid timeout \"86401\": expected seconds from 1 to 86400\n" },
	{ "web1 to hv2 offline postcopy",
	  "Error: \"offline\" does not go with \"postcopy\": it copies the definition only\n" },
	{ "web1 offline to hv2 bandwidth 10",
	  "Error: \"offline\" does not go with \"bandwidth\": it copies the definition only\n" },
	{ "web1 to hv2 timeout 5 offline",
	  "Error: \"offline\" does not go with \"timeout\": it copies the definition only\n" },
};

START_TEST(test_migrate_parse_bad)
{
	struct mobctl_migrate_args a;
	int argc = split(migrate_bad[_i].line);

	ck_assert_int_lt(mobctl_migrate_parse(argc, argv_buf, &a), 0);
	ck_assert_str_eq(err_text(), migrate_bad[_i].err);
}
END_TEST

static const struct {
	const char *line;
	const char *vm, *uri;
	bool offline, postcopy;
	uint64_t downtime, bandwidth;
	unsigned int timeout;
} migrate_good[] = {
	{ "web1 to hv2", "web1", "qemu+ssh://hv2/system",
	  false, false, 0, 0, 0 },
	{ "web1 to root@hv2.example.org:2222", "web1",
	  "qemu+ssh://root@hv2.example.org:2222/system",
	  false, false, 0, 0, 0 },
	{ "web1 to fd00::2", "web1", "qemu+ssh://[fd00::2]/system",
	  false, false, 0, 0, 0 },
	{ "web1 to 10.1.2.3", "web1", "qemu+ssh://10.1.2.3/system",
	  false, false, 0, 0, 0 },
	{ "web1 to qemu+tcp://10.99.0.3/system", "web1",
	  "qemu+tcp://10.99.0.3/system", false, false, 0, 0, 0 },
	{ "6695eb01-f6a4-8304-79aa-97f2502e193f to qemu:///system?x=1",
	  "6695eb01-f6a4-8304-79aa-97f2502e193f", "qemu:///system?x=1",
	  false, false, 0, 0, 0 },
	{ "web1 postcopy to hv2 max-downtime 20 bandwidth 100 timeout 60",
	  "web1", "qemu+ssh://hv2/system", false, true, 20, 100, 60 },
	{ "web1 to hv2 p m 3600000 b 1048576 ti 86400", "web1",
	  "qemu+ssh://hv2/system", false, true, 3600000, 1048576, 86400 },
	{ "web1 of to hv2", "web1", "qemu+ssh://hv2/system",
	  true, false, 0, 0, 0 },
	/* A VM may be called like a keyword: the first word is the VM. */
	{ "to to hv2", "to", "qemu+ssh://hv2/system", false, false, 0, 0, 0 },
};

START_TEST(test_migrate_parse_good)
{
	struct mobctl_migrate_args a;
	int argc = split(migrate_good[_i].line);

	ck_assert_int_eq(mobctl_migrate_parse(argc, argv_buf, &a), 0);
	ck_assert_str_eq(err_text() ? err_text() : "", "");
	ck_assert_str_eq(a.vm, migrate_good[_i].vm);
	ck_assert_str_eq(a.dest_uri, migrate_good[_i].uri);
	ck_assert_int_eq(a.offline, migrate_good[_i].offline);
	ck_assert_int_eq(a.postcopy, migrate_good[_i].postcopy);
	ck_assert_uint_eq(a.max_downtime_ms, migrate_good[_i].downtime);
	ck_assert_uint_eq(a.bandwidth_mib, migrate_good[_i].bandwidth);
	ck_assert_uint_eq(a.timeout_s, migrate_good[_i].timeout);
}
END_TEST

/* The home addresses in the metadata, as "a b c". */
static const struct {
	const char *xml;
	const char *want;
} hoa_xmls[] = {
	{ "<mob:vm xmlns:mob=\"http://mob.dev/xmlns/vm/1\">\n"
	  "  <mob:interface mac=\"52:54:00:12:34:56\">\n"
	  "    <mob:hoa>10.99.0.11</mob:hoa>\n"
	  "    <mob:hoa> fd99::11\n</mob:hoa>\n"
	  "  </mob:interface>\n"
	  "  <mob:interface mac=\"52:54:00:12:34:57\">\n"
	  "    <mob:hoa>10.99.0.12</mob:hoa>\n"
	  "  </mob:interface>\n"
	  "</mob:vm>", "10.99.0.11 fd99::11 10.99.0.12" },
	/* Another prefix, the default namespace, attributes, repeats. */
	{ "<x:vm xmlns:x=\"http://mob.dev/xmlns/vm/1\"><x:interface mac=\"m\">"
	  "<x:hoa a='1'>10.99.0.11</x:hoa><x:hoa>10.99.0.11</x:hoa>"
	  "</x:interface></x:vm>", "10.99.0.11" },
	{ "<vm xmlns=\"http://mob.dev/xmlns/vm/1\"><interface><hoa>10.99.0.13</hoa>"
	  "</interface></vm>", "10.99.0.13" },
	/* Not addresses, not hoa, empty, commented out, cut short. */
	{ "<mob:vm><mob:interface><mob:hoa>10.99.0.x</mob:hoa><mob:hoa/>"
	  "<mob:hoa></mob:hoa><mob:hoax>10.99.0.14</mob:hoax>"
	  "<!-- <mob:hoa>10.99.0.15</mob:hoa> -->"
	  "<mob:hoa>10.99.0.16</mob:hoa><mob:hoa>10.99.0.17", "10.99.0.16" },
	{ "", "" },
	{ "<mob:vm/>", "" },
};

START_TEST(test_migrate_hoas)
{
	struct mobctl_hoas hs;
	char got[256] = "", a[INET6_ADDRSTRLEN];
	int i, n;

	n = mobctl_migrate_hoas(hoa_xmls[_i].xml, &hs);
	ck_assert_int_eq(n, hs.n);
	for (i = 0; i < hs.n; i++) {
		if (i)
			strcat(got, " ");
		strcat(got, mob_addr_ntop(hs.family[i], &hs.addr[i], a,
					  sizeof(a)));
	}
	ck_assert_str_eq(got, hoa_xmls[_i].want);
}
END_TEST

/* The "libvirt =" line of mobd.conf, as mobctl reads it. */
static const struct {
	const char *conf;
	int ret;
	const char *uri;
} confs[] = {
	{ "hypervisor = hv1\nlibvirt = qemu:///system\n", 0, "qemu:///system" },
	{ "  libvirt=test:///default   # the test driver\n", 0, "test:///default" },
	{ "libvirt = qemu:///system\nlibvirt = none\n", -ENOENT, NULL },
	{ "libvirt = none\nlibvirt = qemu+tcp://h/system\n", 0, "qemu+tcp://h/system" },
	{ "# libvirt = qemu:///system\nlibvirtx = a:///b\nlibvirt\n", -ENOENT, NULL },
	{ "hypervisor = hv1\n", -ENOENT, NULL },
	{ "libvirt =\n", -ENOENT, NULL },
};

START_TEST(test_migrate_conf)
{
	char path[] = "/tmp/mobctl-conf-XXXXXX";
	char uri[256] = "";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, confs[_i].conf, strlen(confs[_i].conf)),
			 (ssize_t)strlen(confs[_i].conf));
	close(fd);
	ck_assert_int_eq(mobctl_migrate_conf_uri(path, uri, sizeof(uri)),
			 confs[_i].ret);
	if (confs[_i].uri)
		ck_assert_str_eq(uri, confs[_i].uri);
	unlink(path);
	ck_assert_int_eq(mobctl_migrate_conf_uri(path, uri, sizeof(uri)),
			 -ENOENT);
}
END_TEST

/* The kernel changes a migration prints: only those of the VM's HoAs. */
static void ev_binding_del_other(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_BINDING);

	ev_put_addr(nlh, MOB_BINDING_A_HOA4, AF_INET, "10.99.0.99");
	ev_put_addr(nlh, MOB_BINDING_A_MOA4, AF_INET, "10.1.1.99");
	mnl_attr_put_u8(nlh, MOB_BINDING_A_KIND, MOB_KIND_REMOTE);
	mnl_attr_nest_end(nlh, n);
}

static void ev_alias_next4(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_ALIAS);

	ev_put_addr(nlh, MOB_ALIAS_A_MOA4, AF_INET, "10.2.2.22");
	ev_put_addr(nlh, MOB_ALIAS_A_HOA4, AF_INET, "10.99.0.11");
	mnl_attr_nest_end(nlh, n);
}

static void ev_alias_other(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, MOB_A_ALIAS);

	ev_put_addr(nlh, MOB_ALIAS_A_MOA4, AF_INET, "10.2.2.99");
	ev_put_addr(nlh, MOB_ALIAS_A_HOA4, AF_INET, "10.99.0.99");
	mnl_attr_nest_end(nlh, n);
}

static const struct {
	uint8_t cmd;
	void (*build)(struct nlmsghdr *nlh);
	const char *text;	/* NULL: not the VM's */
	const char *json;
} changes[] = {
	{ MOB_CMD_BINDING_NEW, ev_binding_replace,
	  "10.99.0.11 bound to 10.2.2.22 (remote, was 10.1.1.11 local)\n",
	  "{\"event\":\"binding\",\"type\":\"replace\",\"hoa\":\"10.99.0.11\","
	  "\"moa\":\"10.2.2.22\",\"kind\":\"remote\",\"prev\":{\"moa\":"
	  "\"10.1.1.11\",\"kind\":\"local\"}}\n" },
	{ MOB_CMD_BINDING_NEW, ev_binding_new,
	  "10.99.0.11 bound to 10.1.1.11 (local dev lo)\n",
	  "{\"event\":\"binding\",\"type\":\"new\",\"hoa\":\"10.99.0.11\","
	  "\"moa\":\"10.1.1.11\",\"kind\":\"local\",\"dev\":\"lo\","
	  "\"ifindex\":1}\n" },
	{ MOB_CMD_BINDING_DEL, ev_binding_new,
	  "10.99.0.11 unbound (was 10.1.1.11 local)\n",
	  "{\"event\":\"binding\",\"type\":\"del\",\"hoa\":\"10.99.0.11\","
	  "\"moa\":\"10.1.1.11\",\"kind\":\"local\"}\n" },
	{ MOB_CMD_BINDING_DEL, ev_binding_del_other, NULL, NULL },
	{ MOB_CMD_BINDING_FLUSH, ev_flush_remote,
	  "every remote binding deleted (flush)\n",
	  "{\"event\":\"binding\",\"type\":\"flush\",\"kind\":\"remote\"}\n" },
	{ MOB_CMD_ALIAS_NEW, ev_alias_forward,
	  "10.1.1.11 forwards to 10.1.2.11 (alias for 10.99.0.11, timeout 30.000s)\n",
	  "{\"event\":\"alias\",\"type\":\"new\",\"moa\":\"10.1.1.11\","
	  "\"target\":\"10.1.2.11\",\"hoa\":\"10.99.0.11\",\"timeout_ms\":30000}\n" },
	{ MOB_CMD_ALIAS_NEW, ev_alias_next4,
	  "alias 10.2.2.22 for 10.99.0.11 (accepted as its source)\n",
	  "{\"event\":\"alias\",\"type\":\"new\",\"moa\":\"10.2.2.22\","
	  "\"hoa\":\"10.99.0.11\"}\n" },
	{ MOB_CMD_ALIAS_DEL, ev_alias_next6,
	  "alias 2001:db8:2::11 for 2001:db8:99::11 deleted\n",
	  "{\"event\":\"alias\",\"type\":\"del\",\"moa\":\"2001:db8:2::11\","
	  "\"hoa\":\"2001:db8:99::11\"}\n" },
	{ MOB_CMD_ALIAS_DEL, ev_alias_other, NULL, NULL },
	{ MOB_CMD_ALIAS_FLUSH, ev_nothing, "every alias deleted (flush)\n",
	  "{\"event\":\"alias\",\"type\":\"flush\"}\n" },
	{ MOB_CMD_PREFIX_NEW, ev_prefix6, NULL, NULL },
	{ MOB_CMD_ANNOUNCE, ev_garp, NULL, NULL },
	{ MOB_CMD_UNKNOWN_HOA, ev_unknown_dst, NULL, NULL },
};

START_TEST(test_migrate_kernel_change)
{
	int which = _i / 2;
	bool json = _i % 2;
	struct nlmsghdr *nlh = ev_start(changes[which].cmd);
	struct mobctl_hoas hs;
	struct mob_msg m;
	struct mob_out o;

	/* The VM's addresses, as its metadata gives them. */
	ck_assert_int_eq(mobctl_migrate_hoas(
		"<mob:hoa>10.99.0.11</mob:hoa><mob:hoa>2001:db8:99::11</mob:hoa>",
		&hs), 2);
	changes[which].build(nlh);
	ck_assert_int_eq(mob_msg_parse(nlh, &m), 0);
	ck_assert_int_eq(mobctl_migrate_concerns(&m, &hs),
			 changes[which].text != NULL);
	if (!changes[which].text)
		return;
	mob_out_init(&o, mobctl_out, json, false);
	mob_out_open_object(&o, NULL);
	mobctl_migrate_print_change(&o, &m);
	mob_out_close_object(&o);
	mob_out_nl(&o);
	ck_assert_int_eq(mob_out_end(&o), 0);
	ck_assert_str_eq(out_text(), json ? changes[which].json :
					    changes[which].text);
}
END_TEST

/*
 * The whole command against libvirt's test driver, in this process.  It
 * has no peer-to-peer migration: every attempt fails, which is what is
 * checked, with libvirt's own words.
 */
#define TEST_URI "test:///default"
#define TEST_UUID "6695eb01-f6a4-8304-79aa-97f2502e193f"	/* domain "test" */
#define TEST_NOT_SUPPORTED "p2p migration is not supported by the source host"

static void libvirt_setup(void)
{
	capture_setup();
	mobctl_libvirt_uri = TEST_URI;
	mobctl_mobd_conf = "/nonexistent/mobd.conf";
}

static void libvirt_teardown(void)
{
	mobctl_libvirt_uri = NULL;
	mobctl_mobd_conf = MOBCTL_MOBD_CONF;
	capture_teardown();
}

/* Run "migrate LINE"; its JSON output, parsed, with -j. */
static struct json_object *run_migrate(const char *line, bool json, int want)
{
	struct json_object *o = NULL;
	int argc = split(line);

	mobctl_opts.json = json;
	ck_assert_int_eq(do_migrate(argc, argv_buf), want);
	if (json && out_text() && *out_text()) {
		o = json_tokener_parse(out_text());
		ck_assert_msg(o != NULL, "not JSON: %s", out_text());
		/* One object, one line. */
		ck_assert_ptr_eq(strchr(out_text(), '\n'),
				 out_text() + strlen(out_text()) - 1);
	}
	return o;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no \"%s\"", key);
	return json_object_get_string(v);
}

START_TEST(test_migrate_unsupported_text)
{
	const char *out;

	run_migrate("test to qemu+tcp://x/system", false, MOBCTL_FAIL);
	out = out_text();
	ck_assert_msg(!strncmp(out, "     0 ms  started: test from " TEST_URI
			       " to qemu+tcp://x/system, live\n",
			       strlen("     0 ms  started: test from " TEST_URI
				      " to qemu+tcp://x/system, live\n")),
		      "stdout: %s", out);
	ck_assert_msg(strstr(out, " ms  failed: argument unsupported: "
			     TEST_NOT_SUPPORTED "\n"), "stdout: %s", out);
	/* Two lines: started, failed. */
	ck_assert_ptr_eq(strchr(strchr(out, '\n') + 1, '\n'),
			 out + strlen(out) - 1);
	/* No home address in "test": said once; no libvirt noise. */
	ck_assert_str_eq(err_text(),
			 "Warning: test has no home address in its metadata "
			 "(" MOBCTL_XMLNS "): kernel changes are not shown\n");
}
END_TEST

START_TEST(test_migrate_unsupported_json)
{
	struct json_object *o, *phases, *p, *v;

	/* By UUID, to a host name; options that the test driver takes. */
	o = run_migrate(TEST_UUID " to hv2 postcopy bandwidth 100 timeout 30",
			true, MOBCTL_FAIL);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(jstr(o, "vm"), "test");
	ck_assert_str_eq(jstr(o, "from"), TEST_URI);
	ck_assert_str_eq(jstr(o, "to"), "qemu+ssh://hv2/system");
	ck_assert(json_object_object_get_ex(o, "ok", &v));
	ck_assert(json_object_is_type(v, json_type_boolean));
	ck_assert(!json_object_get_boolean(v));
	ck_assert_ptr_nonnull(strstr(jstr(o, "error"), TEST_NOT_SUPPORTED));
	ck_assert(json_object_object_get_ex(o, "job", &v));
	ck_assert_ptr_null(v);
	ck_assert(json_object_object_get_ex(o, "phases", &phases));
	ck_assert_uint_eq(json_object_array_length(phases), 2);
	p = json_object_array_get_idx(phases, 0);
	ck_assert_str_eq(jstr(p, "phase"), "started");
	ck_assert_str_eq(jstr(p, "mode"), "live, post-copy");
	ck_assert_str_eq(jstr(p, "bandwidth"), "100");
	ck_assert_str_eq(jstr(p, "timeout"), "30");
	ck_assert_str_eq(jstr(p, "ms"), "0");
	p = json_object_array_get_idx(phases, 1);
	ck_assert_str_eq(jstr(p, "phase"), "failed");
	ck_assert_str_eq(jstr(p, "error"), jstr(o, "error"));
	json_object_put(o);
}
END_TEST

START_TEST(test_migrate_no_domain)
{
	struct json_object *o;

	o = run_migrate("web9 to hv2", true, MOBCTL_FAIL);
	ck_assert_ptr_null(o);
	ck_assert_str_eq(out_text() ? out_text() : "", "");
	ck_assert_str_eq(err_text(),
			 "Error: no domain \"web9\" at " TEST_URI "\n");
}
END_TEST

START_TEST(test_migrate_no_domain_uuid)
{
	run_migrate("6695eb01-f6a4-8304-79aa-97f2502e1930 to hv2", false,
		    MOBCTL_FAIL);
	ck_assert_str_eq(err_text(), "Error: no domain "
			 "\"6695eb01-f6a4-8304-79aa-97f2502e1930\" at " TEST_URI "\n");
}
END_TEST

/* What the test driver does not do is refused before the migration. */
START_TEST(test_migrate_max_downtime_unsupported)
{
	run_migrate("test to hv2 max-downtime 20", false, MOBCTL_FAIL);
	ck_assert_str_eq(out_text() ? out_text() : "", "");
	ck_assert_msg(strstr(err_text(), "Error: cannot set max-downtime 20 ms "
			     "on test: this function is not supported"),
		      "stderr: %s", err_text());
}
END_TEST

START_TEST(test_migrate_offline_running)
{
	run_migrate("test offline to hv2", false, MOBCTL_FAIL);
	ck_assert_str_eq(err_text(), "Error: test is running: \"offline\" "
			 "moves a shut-off VM's definition only\n");
}
END_TEST

START_TEST(test_migrate_not_running)
{
	virConnectPtr c = virConnectOpen(TEST_URI);
	virDomainPtr d;

	/* Kept open: test:///default lives as long as a connection does. */
	ck_assert_ptr_nonnull(c);
	d = virDomainLookupByName(c, "test");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(virDomainDestroy(d), 0);
	run_migrate("test to hv2", false, MOBCTL_FAIL);
	ck_assert_str_eq(err_text(), "Error: test is not running: a live "
			 "migration needs a running VM (\"offline\" moves a "
			 "shut-off VM's definition)\n");
	/* Offline gets as far as the test driver. */
	capture_reset();
	run_migrate("test offline to hv2", true, MOBCTL_FAIL);
	ck_assert_ptr_nonnull(strstr(out_text(), "\"mode\":\"offline\""));
	ck_assert_ptr_nonnull(strstr(out_text(), "\"error\":\"argument "
		"unsupported: offline migration is not supported by the source host\""));
	virDomainFree(d);
	virConnectClose(c);
}
END_TEST

/* The home addresses come from the domain's metadata. */
START_TEST(test_migrate_metadata)
{
	virConnectPtr c = virConnectOpen(TEST_URI);
	struct json_object *o, *hoas;
	const char *err;
	virDomainPtr d;

	ck_assert_ptr_nonnull(c);
	d = virDomainLookupByName(c, "test");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(virDomainSetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT,
		"<vm><interface mac='52:54:00:99:00:11'><hoa>10.99.0.11</hoa>"
		"<hoa>fd99::11</hoa></interface></vm>", "mob", MOBCTL_XMLNS,
		VIR_DOMAIN_AFFECT_LIVE), 0);
	o = run_migrate("test to qemu+tcp://x/system", true, MOBCTL_FAIL);
	ck_assert(json_object_object_get_ex(o, "hoas", &hoas));
	ck_assert_uint_eq(json_object_array_length(hoas), 2);
	ck_assert_str_eq(json_object_get_string(
		json_object_array_get_idx(hoas, 0)), "10.99.0.11");
	ck_assert_str_eq(json_object_get_string(
		json_object_array_get_idx(hoas, 1)), "fd99::11");
	json_object_put(o);
	/* The module loaded or not: at most one line about the kernel. */
	err = err_text() ? err_text() : "";
	ck_assert_msg(!strstr(err, "has no home address") &&
		      (!*err || strchr(err, '\n') == err + strlen(err) - 1),
		      "stderr: %s", err);

	capture_reset();
	run_migrate("test to qemu+tcp://x/system", false, MOBCTL_FAIL);
	ck_assert_msg(strstr(out_text(), "started: test (10.99.0.11 fd99::11) from "),
		      "stdout: %s", out_text());
	virDomainFree(d);
	virConnectClose(c);
}
END_TEST

/* Without -c, the "libvirt =" line of mobd.conf. */
START_TEST(test_migrate_conf_uri)
{
	char path[] = "/tmp/mobctl-conf-XXXXXX";
	static const char conf[] = "hypervisor = hv1\nlibvirt = " TEST_URI "\n";
	struct json_object *o;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, conf, strlen(conf)), (ssize_t)strlen(conf));
	close(fd);
	mobctl_libvirt_uri = NULL;
	mobctl_mobd_conf = path;
	o = run_migrate("test to hv2", true, MOBCTL_FAIL);
	unlink(path);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(jstr(o, "from"), TEST_URI);
	json_object_put(o);
}
END_TEST

START_TEST(test_migrate_bad_uri)
{
	mobctl_libvirt_uri = "nosuchdriver:///x";
	run_migrate("test to hv2", false, MOBCTL_FAIL);
	ck_assert_msg(!strncmp(err_text(), "Error: cannot connect to libvirt at "
			       "nosuchdriver:///x: ", 45), "stderr: %s",
		      err_text());
}
END_TEST

/*
 * "vm show" and "site show" against a fake agent: one connection, one
 * request line, a canned reply.
 */
struct fake_agent {
	char dir[64];
	char path[96];
	int fd;
	const char *reply;
	char request[128];
	pthread_t th;
};

static void *fake_agent_main(void *arg)
{
	struct fake_agent *f = arg;
	size_t len = 0;
	ssize_t n;
	int c;

	c = accept(f->fd, NULL, NULL);
	if (c < 0)
		return NULL;
	while (len < sizeof(f->request) - 1 &&
	       (n = read(c, f->request + len, sizeof(f->request) - 1 - len)) > 0) {
		len += (size_t)n;
		if (memchr(f->request, '\n', len))
			break;
	}
	f->request[len] = '\0';
	if (write(c, f->reply, strlen(f->reply)) < 0)
		f->request[0] = '\0';
	close(c);
	return NULL;
}

static void fake_agent_start(struct fake_agent *f, const char *reply)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	strcpy(f->dir, "/tmp/mobctl-agent-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/sock", f->dir);
	strcpy(sun.sun_path, f->path);
	f->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(f->fd, 0);
	ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(f->fd, 1), 0);
	f->reply = reply;
	mobctl_socket = f->path;
	ck_assert_int_eq(pthread_create(&f->th, NULL, fake_agent_main, f), 0);
}

static void fake_agent_stop(struct fake_agent *f, const char *want_request)
{
	pthread_join(f->th, NULL);
	close(f->fd);
	unlink(f->path);
	rmdir(f->dir);
	mobctl_socket = MOBCTL_DEFAULT_SOCKET;
	ck_assert_str_eq(f->request, want_request);
}

static const char site_reply[] =
	"{\"hypervisor\":\"hv1\",\"mode\":\"directory\",\"directory\":\"up\","
	"\"synced\":true,\"revision\":42,\"vms\":3,\"orphaned\":0,"
	"\"claims_queued\":5,\"claims_in_flight\":8,"
	"\"libvirt\":\"connected\",\"sites\":["
	"{\"name\":\"hv1\",\"self\":true,\"up\":true,\"since\":0,"
	"\"version\":\"0.1.0\",\"pools\":[\"10.1.1.0/24\"],\"vms\":2,\"orphaned\":0},"
	"{\"name\":\"hv2\",\"self\":false,\"up\":true,\"since\":0,"
	"\"version\":\"0.1.0\",\"pools\":[\"10.2.1.0/24\"],\"vms\":1,\"orphaned\":0}],"
	"\"migrations\":["
	"{\"hoa\":\"10.99.0.11\",\"to\":\"hv2\",\"moa\":\"10.2.1.7\",\"vm\":\"web1\"},"
	"{\"hoa\":\"fd99::12\",\"to\":\"hv1\",\"moa\":\"fd01::12\"}]}";

START_TEST(test_agent_site_migrations)
{
	struct fake_agent f;

	fake_agent_start(&f, site_reply);
	ck_assert_int_eq(do_site(0, NULL), MOBCTL_OK);
	fake_agent_stop(&f, "show sites\n");
	ck_assert_str_eq(out_text(),
		"hypervisor hv1 mode directory directory up revision 42 vms 3 "
		"claims queued 5 in-flight 8 libvirt connected\n"
		"  hv1 (self) vms 2 version 0.1.0 pool 10.1.1.0/24\n"
		"  hv2 vms 1 version 0.1.0 pool 10.2.1.0/24\n"
		"  migrating 10.99.0.11 (vm web1) to hv2 moa 10.2.1.7\n"
		"  migrating fd99::12 to hv1 moa fd01::12\n");
	ck_assert_str_eq(err_text() ? err_text() : "", "");
}
END_TEST

/* -j: the agent's JSON as it is, migrations included. */
START_TEST(test_agent_site_json)
{
	struct fake_agent f;
	struct json_object *o, *arr;

	mobctl_opts.json = true;
	fake_agent_start(&f, site_reply);
	ck_assert_int_eq(do_site(1, (char *[]){ "show", NULL }), MOBCTL_OK);
	fake_agent_stop(&f, "show sites\n");
	o = json_tokener_parse(out_text());
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "migrations", &arr));
	ck_assert_uint_eq(json_object_array_length(arr), 2);
	ck_assert_str_eq(jstr(json_object_array_get_idx(arr, 0), "vm"), "web1");
	json_object_put(o);
}
END_TEST

START_TEST(test_agent_vm_states)
{
	struct fake_agent f;

	fake_agent_start(&f,
		"[{\"name\":\"web1\",\"mac\":\"52:54:00:99:00:11\","
		"\"hoa\":\"10.99.0.11\",\"moa\":\"10.1.1.5\",\"port\":\"vnet0\","
		"\"state\":\"owned\",\"source\":\"libvirt\",\"since\":1,"
		"\"next_moa\":\"10.2.1.7\"},"
		"{\"name\":\"web2\",\"mac\":\"52:54:00:99:00:12\","
		"\"hoa\":\"10.99.0.12\",\"moa\":\"10.1.1.9\",\"port\":\"\","
		"\"state\":\"incoming\",\"source\":\"libvirt\",\"since\":1},"
		"{\"name\":\"\",\"hoa\":\"10.99.0.13\",\"port\":\"vnet2\","
		"\"state\":\"conflict\",\"source\":\"learned\",\"since\":1,"
		"\"reason\":\"held by hv3\"}]");
	ck_assert_int_eq(do_vm(0, NULL), MOBCTL_OK);
	fake_agent_stop(&f, "show vms\n");
	ck_assert_str_eq(out_text(),
		"web1 hoa 10.99.0.11 moa 10.1.1.5 next-moa 10.2.1.7 "
		"mac 52:54:00:99:00:11 port vnet0 owned\n"
		"web2 hoa 10.99.0.12 moa 10.1.1.9 mac 52:54:00:99:00:12 incoming\n"
		"hoa 10.99.0.13 port vnet2 conflict (held by hv3)\n");
}
END_TEST

START_TEST(test_agent_error)
{
	struct fake_agent f;

	fake_agent_start(&f, "{\"error\":\"unknown request\"}");
	ck_assert_int_eq(do_site(0, NULL), MOBCTL_FAIL);
	fake_agent_stop(&f, "show sites\n");
	ck_assert_str_eq(err_text(), "Error: the agent says: unknown request\n");
}
END_TEST

Suite *mobctl_suite(void)
{
	Suite *s = suite_create("mobctl");
	TCase *tc;

	tc = tcase_create("commands");
	tcase_add_checked_fixture(tc, capture_setup, capture_teardown);
	tcase_add_loop_test(tc, test_lookup, 0, ARRAY_SIZE(lookups));
	tcase_add_loop_test(tc, test_dispatch, 0, ARRAY_SIZE(dispatches));
	suite_add_tcase(s, tc);

	tc = tcase_create("requests");
	tcase_add_checked_fixture(tc, capture_setup, capture_teardown);
	tcase_add_loop_test(tc, test_binding_parse_bad, 0,
			    ARRAY_SIZE(binding_bad));
	tcase_add_test(tc, test_batch);
	tcase_add_test(tc, test_batch_split_limit);
	tcase_add_loop_test(tc, test_binding_request, 0,
			    ARRAY_SIZE(binding_good));
	tcase_add_test(tc, test_prefix_request);
	tcase_add_loop_test(tc, test_alias_parse_bad, 0, ARRAY_SIZE(alias_bad));
	tcase_add_loop_test(tc, test_alias_request, 0, ARRAY_SIZE(alias_good));
	tcase_add_loop_test(tc, test_alias_extack, 0,
			    ARRAY_SIZE(alias_extacks));
	tcase_add_loop_test(tc, test_config_set, 0, ARRAY_SIZE(config_sets));
	suite_add_tcase(s, tc);

	tc = tcase_create("output");
	tcase_add_checked_fixture(tc, capture_setup, capture_teardown);
	tcase_add_loop_test(tc, test_binding_output, 0,
			    ARRAY_SIZE(binding_outputs));
	tcase_add_test(tc, test_json_empty_and_pretty);
	tcase_add_test(tc, test_out_misuse);
	tcase_add_loop_test(tc, test_event_output, 0, 2 * ARRAY_SIZE(events));
	tcase_add_test(tc, test_event_bad);
	tcase_add_loop_test(tc, test_alias_output, 0,
			    ARRAY_SIZE(alias_outputs));
	tcase_add_test(tc, test_alias_event_stats);
	tcase_add_test(tc, test_alias_event_bad);
	tcase_add_test(tc, test_stats_output);
	tcase_add_test(tc, test_stats_output_alias);
	tcase_add_test(tc, test_format_msec);
	suite_add_tcase(s, tc);

	tc = tcase_create("migrate");
	tcase_add_checked_fixture(tc, capture_setup, capture_teardown);
	tcase_add_loop_test(tc, test_migrate_parse_bad, 0,
			    ARRAY_SIZE(migrate_bad));
	tcase_add_loop_test(tc, test_migrate_parse_good, 0,
			    ARRAY_SIZE(migrate_good));
	tcase_add_loop_test(tc, test_migrate_hoas, 0, ARRAY_SIZE(hoa_xmls));
	tcase_add_loop_test(tc, test_migrate_conf, 0, ARRAY_SIZE(confs));
	tcase_add_loop_test(tc, test_migrate_kernel_change, 0,
			    2 * ARRAY_SIZE(changes));
	suite_add_tcase(s, tc);

	tc = tcase_create("migrate-libvirt");
	tcase_add_checked_fixture(tc, libvirt_setup, libvirt_teardown);
	tcase_add_test(tc, test_migrate_unsupported_text);
	tcase_add_test(tc, test_migrate_unsupported_json);
	tcase_add_test(tc, test_migrate_no_domain);
	tcase_add_test(tc, test_migrate_no_domain_uuid);
	tcase_add_test(tc, test_migrate_max_downtime_unsupported);
	tcase_add_test(tc, test_migrate_offline_running);
	tcase_add_test(tc, test_migrate_not_running);
	tcase_add_test(tc, test_migrate_metadata);
	tcase_add_test(tc, test_migrate_conf_uri);
	tcase_add_test(tc, test_migrate_bad_uri);
	suite_add_tcase(s, tc);

	tc = tcase_create("agent");
	tcase_add_checked_fixture(tc, capture_setup, capture_teardown);
	tcase_add_test(tc, test_agent_site_migrations);
	tcase_add_test(tc, test_agent_site_json);
	tcase_add_test(tc, test_agent_vm_states);
	tcase_add_test(tc, test_agent_error);
	suite_add_tcase(s, tc);
	return s;
}
