// SPDX-License-Identifier: GPL-2.0
/*
 * agent/mobd/dir.c: the directory's keys and values, written and read
 * back, and every value a strict reader must refuse.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dir.h"
#include "suites.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define P "/mob/"

static union mob_ip ip(int family, const char *s)
{
	union mob_ip a;

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(inet_pton(family, s, &a), 1);
	return a;
}

/* Keys */

START_TEST(test_vm_key)
{
	union mob_ip a = ip(AF_INET6, "2001:DB8:0:0::1");
	char buf[64];

	ck_assert_int_eq(mobd_dir_vm_key(P, AF_INET6, &a, buf, sizeof(buf)),
			 0);
	ck_assert_str_eq(buf, "/mob/vm/2001:db8::1");
	a = ip(AF_INET, "10.99.0.11");
	ck_assert_int_eq(mobd_dir_vm_key(P, AF_INET, &a, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/mob/vm/10.99.0.11");
	/* Exactly big enough, then one byte short. */
	ck_assert_int_eq(mobd_dir_vm_key(P, AF_INET, &a, buf, 19), 0);
	ck_assert_int_eq(mobd_dir_vm_key(P, AF_INET, &a, buf, 18),
			 -ENAMETOOLONG);
	ck_assert_int_eq(mobd_dir_vm_key("", AF_INET, &a, buf, sizeof(buf)),
			 0);
	ck_assert_str_eq(buf, "vm/10.99.0.11");
	ck_assert_int_lt(mobd_dir_vm_key(P, AF_UNIX, &a, buf, sizeof(buf)),
			 0);
	/* Migration keys: same address form, their own directory. */
	ck_assert_int_eq(mobd_dir_mig_key(P, AF_INET, &a, buf, sizeof(buf)),
			 0);
	ck_assert_str_eq(buf, "/mob/mig/10.99.0.11");
	ck_assert_int_eq(mobd_dir_mig_key(P, AF_INET, &a, buf, 19),
			 -ENAMETOOLONG);
	ck_assert_int_lt(mobd_dir_mig_key(P, AF_UNIX, &a, buf, sizeof(buf)),
			 0);
}
END_TEST

START_TEST(test_hv_key)
{
	char name[MOBD_NAME_MAX + 1], buf[128];

	ck_assert_int_eq(mobd_dir_hv_key(P, "hv-2.site_a", buf, sizeof(buf)),
			 0);
	ck_assert_str_eq(buf, "/mob/hv/hv-2.site_a");
	ck_assert_int_eq(mobd_dir_hv_key(P, "hv2", buf, 12), 0);
	ck_assert_int_eq(mobd_dir_hv_key(P, "hv2", buf, 11), -ENAMETOOLONG);
	ck_assert_int_eq(mobd_dir_hv_key(P, "", buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(mobd_dir_hv_key(P, "a/b", buf, sizeof(buf)),
			 -EINVAL);
	memset(name, 'h', MOBD_NAME_MAX - 1);
	name[MOBD_NAME_MAX - 1] = '\0';
	ck_assert_int_eq(mobd_dir_hv_key(P, name, buf, sizeof(buf)), 0);
	name[MOBD_NAME_MAX - 1] = 'h';
	name[MOBD_NAME_MAX] = '\0';
	ck_assert_int_eq(mobd_dir_hv_key(P, name, buf, sizeof(buf)), -EINVAL);
}
END_TEST

static const struct {
	const char *key;
	enum mobd_dir_key_type type;
	int family;
	const char *what;	/* the address or the name */
} keys[] = {
	{ "/mob/vm/10.99.0.11", MOBD_DIR_KEY_VM, AF_INET, "10.99.0.11" },
	{ "/mob/vm/0.0.0.0", MOBD_DIR_KEY_VM, AF_INET, "0.0.0.0" },
	{ "/mob/vm/2001:db8::1", MOBD_DIR_KEY_VM, AF_INET6, "2001:db8::1" },
	{ "/mob/vm/::ffff:10.0.0.1", MOBD_DIR_KEY_VM, AF_INET6,
	  "::ffff:10.0.0.1" },
	{ "/mob/mig/10.99.0.11", MOBD_DIR_KEY_MIG, AF_INET, "10.99.0.11" },
	{ "/mob/mig/fd99::11", MOBD_DIR_KEY_MIG, AF_INET6, "fd99::11" },
	{ "/mob/mig/FD99::11", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mob/mig/", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mob/mig10.99.0.11", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mob/hv/hv2", MOBD_DIR_KEY_HV, 0, "hv2" },
	{ "/mob/hv/A.b_c-9", MOBD_DIR_KEY_HV, 0, "A.b_c-9" },
	{ "/mob/hv/"
	  "123456789012345678901234567890123456789012345678901234567890123",
	  MOBD_DIR_KEY_HV, 0,
	  "123456789012345678901234567890123456789012345678901234567890123" },
	/* Not canonical, or not an address at all. */
	{ "/mob/vm/2001:DB8::1", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mob/vm/2001:db8:0::1", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mob/vm/::FFFF:10.0.0.1", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mob/vm/010.99.0.11", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mob/vm/10.99.0.11/32", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mob/vm/10.99.0.11 ", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mob/vm/fe80::1%eth0", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mob/vm/10.99.0", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mob/vm/", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mob/vm", MOBD_DIR_KEY_OTHER, 0, NULL },
	/* Bad names. */
	{ "/mob/hv/", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mob/hv/a/b", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mob/hv/a b", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mob/hv/"
	  "1234567890123456789012345678901234567890123456789012345678901234",
	  MOBD_DIR_KEY_OTHER, 0, NULL },
	/* Elsewhere. */
	{ "/mob/other/x", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mobx/vm/10.99.0.11", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mob/vm10.99.0.11", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "/mo", MOBD_DIR_KEY_OTHER, 0, NULL },
	{ "", MOBD_DIR_KEY_OTHER, 0, NULL },
};

START_TEST(test_key_parse)
{
	char key[128], name[MOBD_NAME_MAX], buf[INET6_ADDRSTRLEN];
	size_t len = strlen(keys[_i].key);
	union mob_ip hoa;
	int family = -1;

	/* Not NUL-terminated: junk right after the key. */
	memcpy(key, keys[_i].key, len);
	memcpy(key + len, "9/x", 4);
	memset(&hoa, 0xaa, sizeof(hoa));
	name[0] = '\0';
	ck_assert_int_eq(mobd_dir_key_parse(P, key, len, &family, &hoa, name),
			 keys[_i].type);
	switch (keys[_i].type) {
	case MOBD_DIR_KEY_VM:
	case MOBD_DIR_KEY_MIG:
		ck_assert_int_eq(family, keys[_i].family);
		ck_assert_str_eq(mob_addr_ntop(family, &hoa, buf, sizeof(buf)),
				 keys[_i].what);
		break;
	case MOBD_DIR_KEY_HV:
		ck_assert_str_eq(name, keys[_i].what);
		break;
	default:
		break;
	}
}
END_TEST

START_TEST(test_key_parse_nul)
{
	static const char key[] = "/mob/vm/10.0.0.1\0";
	static const char hv[] = "/mob/hv/a\0b";
	char name[MOBD_NAME_MAX];
	union mob_ip hoa, want;
	int family;

	/* A NUL inside the key is no part of an address or a name. */
	ck_assert_int_eq(mobd_dir_key_parse(P, key, sizeof(key) - 1, &family,
					    &hoa, name), MOBD_DIR_KEY_OTHER);
	ck_assert_int_eq(mobd_dir_key_parse(P, hv, sizeof(hv) - 1, &family,
					    &hoa, name), MOBD_DIR_KEY_OTHER);
	/* Built keys parse back. */
	hoa = ip(AF_INET6, "2001:db8::42");
	ck_assert_int_eq(mobd_dir_vm_key(P, AF_INET6, &hoa, name,
					 sizeof(name)), 0);
	memset(&hoa, 0, sizeof(hoa));
	ck_assert_int_eq(mobd_dir_key_parse(P, name, strlen(name), &family,
					    &hoa, NULL), MOBD_DIR_KEY_VM);
	ck_assert_int_eq(family, AF_INET6);
	want = ip(AF_INET6, "2001:db8::42");
	ck_assert_mem_eq(&hoa, &want, sizeof(hoa));
}
END_TEST

/* VM values */

START_TEST(test_vm_roundtrip)
{
	struct mobd_dir_vm v, w;
	union mob_ip hoa;
	char *s;

	memset(&v, 0, sizeof(v));
	v.family = AF_INET;
	v.hoa = ip(AF_INET, "10.99.0.11");
	v.moa = ip(AF_INET, "10.2.1.5");
	strcpy(v.hv, "hv2");
	v.has_mac = true;
	memcpy(v.mac, "\x52\x54\x00\xab\xcd\xef", 6);
	strcpy(v.vm, "web1");
	s = mobd_dir_vm_encode(&v);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\","
			 "\"mac\":\"52:54:00:ab:cd:ef\",\"vm\":\"web1\"}");
	hoa = v.hoa;
	ck_assert_int_eq(mobd_dir_vm_decode(AF_INET, &hoa, s, strlen(s), &w),
			 0);
	ck_assert_mem_eq(&w, &v, sizeof(v));
	free(s);

	/* IPv6, no MAC, no VM name: both left out. */
	memset(&v, 0, sizeof(v));
	v.family = AF_INET6;
	v.hoa = ip(AF_INET6, "fd00::11");
	v.moa = ip(AF_INET6, "2001:db8:2::5");
	strcpy(v.hv, "hv-3");
	s = mobd_dir_vm_encode(&v);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "{\"moa\":\"2001:db8:2::5\",\"hv\":\"hv-3\"}");
	hoa = v.hoa;
	ck_assert_int_eq(mobd_dir_vm_decode(AF_INET6, &hoa, s, strlen(s), &w),
			 0);
	ck_assert_mem_eq(&w, &v, sizeof(v));
	ck_assert(!w.has_mac);
	ck_assert_str_eq(w.vm, "");
	free(s);

	/* A VM name that needs escaping. */
	memset(&v, 0, sizeof(v));
	v.family = AF_INET;
	v.hoa = ip(AF_INET, "10.99.0.12");
	v.moa = ip(AF_INET, "10.2.1.6");
	strcpy(v.hv, "hv2");
	strcpy(v.vm, "a \"quoted\"/slashed\\ name");
	s = mobd_dir_vm_encode(&v);
	ck_assert_ptr_nonnull(s);
	hoa = v.hoa;
	ck_assert_int_eq(mobd_dir_vm_decode(AF_INET, &hoa, s, strlen(s), &w),
			 0);
	ck_assert_str_eq(w.vm, v.vm);
	free(s);
}
END_TEST

/* Accepted though not as we write them. */
static const char *const vm_ok[] = {
	"{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\",\"new\":{\"x\":[1,2]}}",
	" {\"hv\":\"hv2\", \"moa\":\"10.2.1.5\"}\n",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\",\"mac\":\"52:54:00:AB:CD:EF\"}",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\",\"vm\":\"\"}",
};

START_TEST(test_vm_ok)
{
	union mob_ip hoa = ip(AF_INET, "10.99.0.11");
	struct mobd_dir_vm v;
	union mob_ip moa = ip(AF_INET, "10.2.1.5");

	ck_assert_int_eq(mobd_dir_vm_decode(AF_INET, &hoa, vm_ok[_i],
					    strlen(vm_ok[_i]), &v), 0);
	ck_assert_int_eq(v.family, AF_INET);
	ck_assert_mem_eq(&v.hoa, &hoa, sizeof(hoa));
	ck_assert_mem_eq(&v.moa, &moa, sizeof(moa));
	ck_assert_str_eq(v.hv, "hv2");
	if (v.has_mac)
		ck_assert_mem_eq(v.mac, "\x52\x54\x00\xab\xcd\xef", 6);
}
END_TEST

#define H64 "1234567890123456789012345678901234567890123456789012345678901234"
#define N128 H64 H64

static const char *const vm_bad[] = {
	"",
	" ",
	"[]",
	"\"moa\"",
	"null",
	"{",
	"{}",
	"{\"hv\":\"hv2\"}",
	"{\"moa\":\"10.2.1.5\"}",
	"{\"moa\":null,\"hv\":\"hv2\"}",
	"{\"moa\":167903493,\"hv\":\"hv2\"}",
	"{\"moa\":\"10.2.1\",\"hv\":\"hv2\"}",
	"{\"moa\":\"10.2.1.5 \",\"hv\":\"hv2\"}",
	"{\"moa\":\"10.2.1.5/32\",\"hv\":\"hv2\"}",
	/* The other family. */
	"{\"moa\":\"2001:db8::5\",\"hv\":\"hv2\"}",
	"{\"moa\":\"\",\"hv\":\"hv2\"}",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"\"}",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"h v\"}",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"hv/2\"}",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"" H64 "\"}",
	"{\"moa\":\"10.2.1.5\",\"hv\":2}",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\",\"mac\":\"52:54:00:12:34\"}",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\",\"mac\":\"52-54-00-12-34-56\"}",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\",\"mac\":\"52:54:00:12:34:5g\"}",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\",\"mac\":\"52:54:00:12:34:56:\"}",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\",\"mac\":525400123456}",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\",\"mac\":null}",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\",\"vm\":\"" N128 "\"}",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\",\"vm\":1}",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\"} x",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\"}{}",
	"{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\",}",
	"{'moa':'10.2.1.5','hv':'hv2'}",
};

START_TEST(test_vm_bad)
{
	union mob_ip hoa = ip(AF_INET, "10.99.0.11");
	struct mobd_dir_vm v;

	memset(&v, 0x55, sizeof(v));
	ck_assert_int_eq(mobd_dir_vm_decode(AF_INET, &hoa, vm_bad[_i],
					    strlen(vm_bad[_i]), &v), -EINVAL);
}
END_TEST

START_TEST(test_vm_bad_misc)
{
	static const char nul[] = "{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\"}\0";
	static const char v6[] = "{\"moa\":\"fe80::1%eth0\",\"hv\":\"hv2\"}";
	static const char good[] = "{\"moa\":\"10.2.1.5\",\"hv\":\"hv2\"}";
	union mob_ip hoa = ip(AF_INET, "10.99.0.11");
	struct mobd_dir_vm v;

	/* A NUL is not white space. */
	ck_assert_int_eq(mobd_dir_vm_decode(AF_INET, &hoa, nul,
					    sizeof(nul) - 1, &v), -EINVAL);
	/* LEN counts, not the NUL: cut short, it is not JSON. */
	ck_assert_int_eq(mobd_dir_vm_decode(AF_INET, &hoa, good,
					    sizeof(good) - 2, &v), -EINVAL);
	ck_assert_int_eq(mobd_dir_vm_decode(AF_INET6, &hoa, v6,
					    sizeof(v6) - 1, &v), -EINVAL);
	/* An IPv4 MoA for an IPv6 HoA. */
	hoa = ip(AF_INET6, "fd00::1");
	ck_assert_int_eq(mobd_dir_vm_decode(AF_INET6, &hoa, good,
					    sizeof(good) - 1, &v), -EINVAL);
	ck_assert_int_eq(mobd_dir_vm_decode(AF_UNIX, &hoa, good,
					    sizeof(good) - 1, &v), -EINVAL);
}
END_TEST

/* Hypervisor values */

START_TEST(test_hv_roundtrip)
{
	struct mobd_dir_hv h, g;
	char *s;
	int i;

	memset(&h, 0, sizeof(h));
	strcpy(h.name, "hv2");
	h.since = 1763900000;
	h.n_pools = 3;
	strcpy(h.pools[0], "10.2.1.0/24");
	strcpy(h.pools[1], "2001:db8:2::/64");
	strcpy(h.pools[2], "10.3.0.1-10.3.0.9");
	strcpy(h.version, "0.1.0");
	s = mobd_dir_hv_encode(&h);
	ck_assert_ptr_nonnull(s);
	/* No "\/": json-c escapes slashes unless told not to. */
	ck_assert_str_eq(s, "{\"name\":\"hv2\",\"since\":1763900000,"
			 "\"pools\":[\"10.2.1.0/24\",\"2001:db8:2::/64\","
			 "\"10.3.0.1-10.3.0.9\"],\"version\":\"0.1.0\"}");
	ck_assert_int_eq(mobd_dir_hv_decode("hv2", s, strlen(s), &g), 0);
	ck_assert_mem_eq(&g, &h, sizeof(h));
	free(s);

	/* Every pool there is room for. */
	memset(&h, 0, sizeof(h));
	strcpy(h.name, "hv3");
	h.n_pools = MOBD_POOLS_MAX;
	for (i = 0; i < MOBD_POOLS_MAX; i++)
		snprintf(h.pools[i], sizeof(h.pools[i]), "10.%d.0.0/16", i);
	s = mobd_dir_hv_encode(&h);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(mobd_dir_hv_decode("hv3", s, strlen(s), &g), 0);
	ck_assert_mem_eq(&g, &h, sizeof(h));
	free(s);
}
END_TEST

START_TEST(test_hv_ok)
{
	static const char min[] = "{}";
	static const char extra[] =
		"{\"name\":\"hv2\",\"since\":5,\"load\":[1],\"pools\":[]}";
	struct mobd_dir_hv h;

	/* The key names it; everything else may be missing. */
	ck_assert_int_eq(mobd_dir_hv_decode("hv2", min, sizeof(min) - 1, &h),
			 0);
	ck_assert_str_eq(h.name, "hv2");
	ck_assert_int_eq(h.since, 0);
	ck_assert_int_eq(h.n_pools, 0);
	ck_assert_str_eq(h.version, "");
	ck_assert_int_eq(mobd_dir_hv_decode("hv2", extra, sizeof(extra) - 1,
					    &h), 0);
	ck_assert_int_eq(h.since, 5);
}
END_TEST

#define P96 H64 "12345678901234567890123456789012"
#define POOLS8 "\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\""

static const char *const hv_bad[] = {
	"",
	"[]",
	"\"hv2\"",
	"{\"name\":\"hv3\"}",			/* not what the key says */
	"{\"name\":2}",
	"{\"name\":null}",
	"{\"since\":\"1763900000\"}",
	"{\"since\":-1}",
	"{\"since\":1.5}",
	"{\"since\":null}",
	"{\"pools\":\"10.2.1.0/24\"}",
	"{\"pools\":[1]}",
	"{\"pools\":[\"\"]}",
	"{\"pools\":[\"" P96 "\"]}",
	"{\"pools\":[" POOLS8 "," POOLS8 "," POOLS8 "," POOLS8 ",\"a\"]}",
	"{\"version\":1}",
	"{\"version\":\"12345678901234567890123456789012\"}",
	"{} {}",
	"{\"name\":\"hv2\"",
};

START_TEST(test_hv_bad)
{
	struct mobd_dir_hv h;

	ck_assert_int_eq(mobd_dir_hv_decode("hv2", hv_bad[_i],
					    strlen(hv_bad[_i]), &h), -EINVAL);
}
END_TEST

START_TEST(test_hv_bad_name)
{
	static const char v[] = "{}";
	struct mobd_dir_hv h;

	ck_assert_int_eq(mobd_dir_hv_decode("", v, 2, &h), -EINVAL);
	ck_assert_int_eq(mobd_dir_hv_decode("a b", v, 2, &h), -EINVAL);
	ck_assert_int_eq(mobd_dir_hv_decode(H64, v, 2, &h), -EINVAL);
}
END_TEST

Suite *dir_suite(void)
{
	Suite *s = suite_create("dir");
	TCase *tc;

	tc = tcase_create("keys");
	tcase_add_test(tc, test_vm_key);
	tcase_add_test(tc, test_hv_key);
	tcase_add_loop_test(tc, test_key_parse, 0, ARRAY_SIZE(keys));
	tcase_add_test(tc, test_key_parse_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("vm");
	tcase_add_test(tc, test_vm_roundtrip);
	tcase_add_loop_test(tc, test_vm_ok, 0, ARRAY_SIZE(vm_ok));
	tcase_add_loop_test(tc, test_vm_bad, 0, ARRAY_SIZE(vm_bad));
	tcase_add_test(tc, test_vm_bad_misc);
	suite_add_tcase(s, tc);

	tc = tcase_create("hv");
	tcase_add_test(tc, test_hv_roundtrip);
	tcase_add_test(tc, test_hv_ok);
	tcase_add_loop_test(tc, test_hv_bad, 0, ARRAY_SIZE(hv_bad));
	tcase_add_test(tc, test_hv_bad_name);
	suite_add_tcase(s, tc);
	return s;
}
