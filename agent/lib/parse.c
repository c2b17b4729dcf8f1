// SPDX-License-Identifier: GPL-2.0
/*
 * Strict parsers for command-line input.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>

#include "parse.h"

__attribute__((format(printf, 2, 3)))
static int fail(struct mob_err *e, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int addr_pton(const char *s, int *family, union mob_ip *addr)
{
	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, s, &addr->v4) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &addr->v6) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int mob_parse_addr(const char *s, const char *what, int *family,
		   union mob_ip *addr, struct mob_err *e)
{
	if (addr_pton(s, family, addr))
		return fail(e, "Invalid %s \"%s\": expected an IPv4 or IPv6 address",
			    what, s);
	return 0;
}

/* Digits only: strtoull() alone would take spaces, signs and "0x". */
static int parse_decimal(const char *s, unsigned long long *out)
{
	const char *p;
	char *end;

	if (!*s)
		return -EINVAL;
	for (p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || *end)
		return -ERANGE;
	return 0;
}

int mob_parse_prefix(const char *s, const char *what,
		     struct mob_prefix_info *p, struct mob_err *e)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strrchr(s, '/');
	unsigned long long len;
	unsigned int max, i, bits;
	size_t alen;

	if (!slash)
		return fail(e, "Invalid %s \"%s\": expected ADDRESS/LEN", what, s);
	alen = (size_t)(slash - s);
	if (alen >= sizeof(addr) || alen == 0)
		return fail(e, "Invalid %s \"%s\": expected an IPv4 or IPv6 address before the \"/\"",
			    what, s);
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (addr_pton(addr, &p->family, &p->addr))
		return fail(e, "Invalid %s \"%s\": \"%s\" is not an IPv4 or IPv6 address",
			    what, s, addr);
	max = (unsigned int)(8 * mob_addr_len(p->family));
	if (parse_decimal(slash + 1, &len) || len > max)
		return fail(e, "Invalid %s \"%s\": the length must be a number from 0 to %u",
			    what, s, max);
	p->len = (uint8_t)len;

	for (i = 0; i < max / 8; i++) {
		bits = p->len > 8 * i ? p->len - 8 * i : 0;
		if (bits >= 8)
			continue;
		if (p->addr.raw[i] & (0xffu >> bits))
			break;
	}
	if (i < max / 8) {
		char fixed[INET6_ADDRSTRLEN];

		for (; i < max / 8; i++) {
			bits = p->len > 8 * i ? p->len - 8 * i : 0;
			p->addr.raw[i] &= (uint8_t)~(0xffu >> bits);
		}
		mob_addr_ntop(p->family, &p->addr, fixed, sizeof(fixed));
		return fail(e, "Invalid %s \"%s\": host bits are set (did you mean %s/%u?)",
			    what, s, fixed, p->len);
	}
	return 0;
}

int mob_parse_uint(const char *s, const char *what, unsigned long long min,
		   unsigned long long max, unsigned long long *out,
		   struct mob_err *e)
{
	unsigned long long v;

	if (parse_decimal(s, &v) || v < min || v > max)
		return fail(e, "Invalid %s \"%s\": expected a number from %llu to %llu",
			    what, s, min, max);
	*out = v;
	return 0;
}

int mob_parse_u32(const char *s, const char *what, uint32_t min, uint32_t max,
		  uint32_t *out, struct mob_err *e)
{
	unsigned long long v = 0;
	int err;

	err = mob_parse_uint(s, what, min, max, &v, e);
	if (!err)
		*out = (uint32_t)v;
	return err;
}

int mob_parse_ifname(const char *s, uint32_t *ifindex, struct mob_err *e)
{
	unsigned int idx = 0;

	if (*s && strlen(s) < IF_NAMESIZE)
		idx = if_nametoindex(s);
	if (!idx) {
		fail(e, "Cannot find device \"%s\"", s);
		return -ENODEV;
	}
	*ifindex = idx;
	return 0;
}

int mob_match_word(const char *word, const char *const *words)
{
	size_t len = strlen(word);
	int i, found = -ENOENT;

	if (!len)
		return -ENOENT;
	for (i = 0; words[i]; i++) {
		if (!strcmp(word, words[i]))
			return i;
		if (!strncmp(word, words[i], len))
			found = found == -ENOENT ? i : -ENOTUNIQ;
	}
	return found;
}
