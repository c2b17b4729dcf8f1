/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Strict parsers for what users type: addresses, prefixes, numbers,
 * interface names, keywords.  They return 0 or a negative errno and, on
 * failure, a message naming the bad input in E (which may be NULL).
 */
#ifndef MOB_PARSE_H
#define MOB_PARSE_H

#include <stdint.h>
#include "mobnl.h"

struct mob_err {
	char msg[256];
};

/* IPv4 or IPv6 address; WHAT names it in the message ("HoA", "MoA"). */
int mob_parse_addr(const char *s, const char *what, int *family,
		   union mob_ip *addr, struct mob_err *e);

/* ADDRESS/LEN with no host bits set. */
int mob_parse_prefix(const char *s, const char *what,
		     struct mob_prefix_info *p, struct mob_err *e);

/* A decimal number in MIN..MAX: digits only, no sign, no spaces. */
int mob_parse_uint(const char *s, const char *what, unsigned long long min,
		   unsigned long long max, unsigned long long *out,
		   struct mob_err *e);
int mob_parse_u32(const char *s, const char *what, uint32_t min, uint32_t max,
		  uint32_t *out, struct mob_err *e);

/* Interface name to index, in the current network namespace. */
int mob_parse_ifname(const char *s, uint32_t *ifindex, struct mob_err *e);

/*
 * Find WORD in the NULL-terminated WORDS as "ip" does: an exact match, else
 * the one word WORD is a prefix of.  Returns its index, -ENOENT if none
 * matches, -ENOTUNIQ if several do.
 */
int mob_match_word(const char *word, const char *const *words);

#endif /* MOB_PARSE_H */
