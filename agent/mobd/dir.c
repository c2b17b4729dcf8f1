// SPDX-License-Identifier: GPL-2.0
/*
 * The directory's keys and values (see dir.h).  Every agent reads what the
 * others wrote, so decoding trusts nothing: a value that does not say
 * exactly what it must is refused rather than half-used.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "dir.h"
#include "parse.h"

#define VM_DIR	"vm/"
#define HV_DIR	"hv/"
#define MIG_DIR	"mig/"

/* Hypervisor names: 1..MOBD_NAME_MAX-1 of [A-Za-z0-9._-]. */
static bool name_ok(const char *s, size_t len)
{
	size_t i;

	if (!len || len >= MOBD_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

static int addr_key(const char *prefix, const char *dir, int family,
		    const union mob_ip *hoa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int n;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (!inet_ntop(family, hoa, a, sizeof(a)))
		return -EINVAL;
	n = snprintf(buf, len, "%s%s%s", prefix, dir, a);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int mobd_dir_vm_key(const char *prefix, int family, const union mob_ip *hoa,
		    char *buf, size_t len)
{
	return addr_key(prefix, VM_DIR, family, hoa, buf, len);
}

int mobd_dir_mig_key(const char *prefix, int family, const union mob_ip *hoa,
		     char *buf, size_t len)
{
	return addr_key(prefix, MIG_DIR, family, hoa, buf, len);
}

int mobd_dir_hv_key(const char *prefix, const char *name, char *buf,
		    size_t len)
{
	int n;

	if (!name_ok(name, strlen(name)))
		return -EINVAL;
	n = snprintf(buf, len, "%s" HV_DIR "%s", prefix, name);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* The address in S (LEN bytes) if inet_ntop() writes it just so. */
static int canonical_addr(const char *s, size_t len, int *family,
			  union mob_ip *addr)
{
	static const int families[] = { AF_INET, AF_INET6 };
	char in[INET6_ADDRSTRLEN], out[INET6_ADDRSTRLEN];
	size_t i;

	if (!len || len >= sizeof(in) || memchr(s, '\0', len))
		return -EINVAL;
	memcpy(in, s, len);
	in[len] = '\0';
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		union mob_ip a;

		memset(&a, 0, sizeof(a));
		if (inet_pton(families[i], in, &a) != 1)
			continue;
		if (!inet_ntop(families[i], &a, out, sizeof(out)) ||
		    strcmp(in, out))
			return -EINVAL;
		*family = families[i];
		*addr = a;
		return 0;
	}
	return -EINVAL;
}

/* Does KEY (LEN bytes) start with PREFIX then DIR?  The rest in REST. */
static bool key_in(const char *key, size_t len, const char *prefix,
		   const char *dir, const char **rest, size_t *rlen)
{
	size_t plen = strlen(prefix), dlen = strlen(dir);

	if (len < plen + dlen || memcmp(key, prefix, plen) ||
	    memcmp(key + plen, dir, dlen))
		return false;
	*rest = key + plen + dlen;
	*rlen = len - plen - dlen;
	return true;
}

enum mobd_dir_key_type mobd_dir_key_parse(const char *prefix, const char *key,
					  size_t len, int *family,
					  union mob_ip *hoa, char *name)
{
	enum mobd_dir_key_type t;
	const char *rest;
	union mob_ip a;
	size_t rlen;
	int f;

	if (key_in(key, len, prefix, HV_DIR, &rest, &rlen)) {
		if (!name_ok(rest, rlen))
			return MOBD_DIR_KEY_OTHER;
		if (name) {
			memcpy(name, rest, rlen);
			name[rlen] = '\0';
		}
		return MOBD_DIR_KEY_HV;
	}
	if (key_in(key, len, prefix, VM_DIR, &rest, &rlen))
		t = MOBD_DIR_KEY_VM;
	else if (key_in(key, len, prefix, MIG_DIR, &rest, &rlen))
		t = MOBD_DIR_KEY_MIG;
	else
		return MOBD_DIR_KEY_OTHER;
	if (canonical_addr(rest, rlen, &f, &a))
		return MOBD_DIR_KEY_OTHER;
	if (family)
		*family = f;
	if (hoa)
		*hoa = a;
	return t;
}

/* Adds NAME: S; false when out of memory. */
static bool add_str(json_object *o, const char *name, const char *s)
{
	json_object *v = json_object_new_string(s);

	if (!v)
		return false;
	if (json_object_object_add(o, name, v)) {
		json_object_put(v);
		return false;
	}
	return true;
}

/* The text of O, malloc'ed; O is put. */
static char *finish(json_object *o)
{
	const char *s;
	char *out = NULL;

	/* Pools hold '/': json-c would write it as "\/" by default. */
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s)
		out = strdup(s);
	json_object_put(o);
	return out;
}

char *mobd_dir_vm_encode(const struct mobd_dir_vm *v)
{
	char moa[INET6_ADDRSTRLEN], mac[18];
	json_object *o;

	if ((v->family != AF_INET && v->family != AF_INET6) ||
	    !inet_ntop(v->family, &v->moa, moa, sizeof(moa))) {
		errno = EINVAL;
		return NULL;
	}
	o = json_object_new_object();
	if (!o)
		return NULL;
	if (!add_str(o, "moa", moa) || !add_str(o, "hv", v->hv))
		goto fail;
	if (v->has_mac) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 v->mac[0], v->mac[1], v->mac[2], v->mac[3],
			 v->mac[4], v->mac[5]);
		if (!add_str(o, "mac", mac))
			goto fail;
	}
	if (v->vm[0] && !add_str(o, "vm", v->vm))
		goto fail;
	return finish(o);
fail:
	json_object_put(o);
	return NULL;
}

char *mobd_dir_hv_encode(const struct mobd_dir_hv *h)
{
	json_object *o, *pools, *n;
	int i;

	if (h->n_pools < 0 || h->n_pools > MOBD_POOLS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	o = json_object_new_object();
	if (!o)
		return NULL;
	if (!add_str(o, "name", h->name))
		goto fail;
	n = json_object_new_int64(h->since);
	if (!n || json_object_object_add(o, "since", n)) {
		json_object_put(n);
		goto fail;
	}
	pools = json_object_new_array();
	if (!pools || json_object_object_add(o, "pools", pools)) {
		json_object_put(pools);
		goto fail;
	}
	for (i = 0; i < h->n_pools; i++) {
		n = json_object_new_string(h->pools[i]);
		if (!n || json_object_array_add(pools, n)) {
			json_object_put(n);
			goto fail;
		}
	}
	if (!add_str(o, "version", h->version))
		goto fail;
	return finish(o);
fail:
	json_object_put(o);
	return NULL;
}

/* VAL must be one JSON object and nothing else but white space. */
static json_object *parse_object(const char *val, size_t len)
{
	json_tokener *tok;
	json_object *o;
	size_t end;

	if (!val || !len || len > INT32_MAX || memchr(val, '\0', len))
		return NULL;
	tok = json_tokener_new();
	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, val, (int)len);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o)
		return NULL;
	for (; end < len; end++) {
		if (!strchr(" \t\r\n", val[end])) {
			json_object_put(o);
			return NULL;
		}
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/*
 * String member NAME copied to BUF (SIZE with the NUL): 0, 1 if absent,
 * -EINVAL if not a string or too long.
 */
static int get_str(json_object *o, const char *name, char *buf, size_t size)
{
	json_object *v;
	size_t len;

	if (!json_object_object_get_ex(o, name, &v))
		return 1;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	len = json_object_get_string_len(v);
	if (len >= size || memchr(json_object_get_string(v), '\0', len))
		return -EINVAL;
	memcpy(buf, json_object_get_string(v), len + 1);
	return 0;
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "52:54:00:12:34:56", either case, nothing else. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	int i;

	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		int hi = hex(s[3 * i]), lo = hex(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int mobd_dir_vm_decode(int family, const union mob_ip *hoa, const char *val,
		       size_t len, struct mobd_dir_vm *v)
{
	char moa[INET6_ADDRSTRLEN + 1], mac[32];
	json_object *o;
	int f, err = -EINVAL;

	memset(v, 0, sizeof(*v));
	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	o = parse_object(val, len);
	if (!o)
		return -EINVAL;
	if (get_str(o, "moa", moa, sizeof(moa)) ||
	    mob_parse_addr(moa, "MoA", &f, &v->moa, NULL) || f != family)
		goto out;
	if (get_str(o, "hv", v->hv, sizeof(v->hv)) ||
	    !name_ok(v->hv, strlen(v->hv)))
		goto out;
	switch (get_str(o, "mac", mac, sizeof(mac))) {
	case 0:
		if (parse_mac(mac, v->mac))
			goto out;
		v->has_mac = true;
		break;
	case 1:
		break;
	default:
		goto out;
	}
	if (get_str(o, "vm", v->vm, sizeof(v->vm)) < 0)
		goto out;
	v->family = family;
	v->hoa = *hoa;
	err = 0;
out:
	json_object_put(o);
	if (err)
		memset(v, 0, sizeof(*v));
	return err;
}

int mobd_dir_hv_decode(const char *name, const char *val, size_t len,
		       struct mobd_dir_hv *h)
{
	char buf[MOBD_NAME_MAX];
	json_object *o, *v;
	int err = -EINVAL;
	size_t i, n;

	memset(h, 0, sizeof(*h));
	if (!name_ok(name, strlen(name)))
		return -EINVAL;
	o = parse_object(val, len);
	if (!o)
		return -EINVAL;
	/* The key names the hypervisor; a value that says otherwise lies. */
	switch (get_str(o, "name", buf, sizeof(buf))) {
	case 0:
		if (strcmp(buf, name))
			goto out;
		break;
	case 1:
		break;
	default:
		goto out;
	}
	strcpy(h->name, name);
	if (json_object_object_get_ex(o, "since", &v)) {
		if (!json_object_is_type(v, json_type_int))
			goto out;
		h->since = json_object_get_int64(v);
		if (h->since < 0)
			goto out;
	}
	if (json_object_object_get_ex(o, "pools", &v)) {
		if (!json_object_is_type(v, json_type_array))
			goto out;
		n = json_object_array_length(v);
		if (n > MOBD_POOLS_MAX)
			goto out;
		for (i = 0; i < n; i++) {
			json_object *p = json_object_array_get_idx(v, i);
			size_t plen;

			if (!json_object_is_type(p, json_type_string))
				goto out;
			plen = json_object_get_string_len(p);
			if (!plen || plen >= sizeof(h->pools[0]) ||
			    memchr(json_object_get_string(p), '\0', plen))
				goto out;
			memcpy(h->pools[i], json_object_get_string(p),
			       plen + 1);
		}
		h->n_pools = (int)n;
	}
	if (get_str(o, "version", h->version, sizeof(h->version)) < 0)
		goto out;
	err = 0;
out:
	json_object_put(o);
	if (err)
		memset(h, 0, sizeof(*h));
	return err;
}
