/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One code path for text and JSON output, after iproute2's print_*():
 * every value is printed with both a JSON key and a text format.  In text
 * mode the format is printed at once (a NULL format prints nothing); in
 * JSON mode the value is added under the key to the open object or array
 * (a NULL key adds nothing), and mob_out_end() prints the document.
 */
#ifndef MOB_OUTPUT_H
#define MOB_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "mobnl.h"

#define MOB_OUT_MAX_DEPTH 8

struct json_object;

struct mob_out {
	FILE *f;
	bool json;
	bool pretty;
	int depth;
	struct json_object *stack[MOB_OUT_MAX_DEPTH];
	struct json_object *root;
	int err;			/* first error, sticky */
};

void mob_out_init(struct mob_out *o, FILE *f, bool json, bool pretty);
/* Print the JSON document (one line unless pretty) and flush. */
int mob_out_end(struct mob_out *o);
/* Drop whatever JSON was built and not printed. */
void mob_out_free(struct mob_out *o);

/* KEY is ignored inside an array and for the outermost container. */
void mob_out_open_object(struct mob_out *o, const char *key);
void mob_out_close_object(struct mob_out *o);
void mob_out_open_array(struct mob_out *o, const char *key);
void mob_out_close_array(struct mob_out *o);

void mob_out_string(struct mob_out *o, const char *key, const char *fmt,
		    const char *value);
void mob_out_u64(struct mob_out *o, const char *key, const char *fmt,
		 uint64_t value);
void mob_out_addr(struct mob_out *o, const char *key, const char *fmt,
		  int family, const union mob_ip *addr);
void mob_out_prefix(struct mob_out *o, const char *key, const char *fmt,
		    const struct mob_prefix_info *p);
void mob_out_lladdr(struct mob_out *o, const char *key, const char *fmt,
		    const uint8_t lladdr[6]);

/*
 * The formats above take the one value (as a string for string, address,
 * prefix and lladdr; as uint64_t for u64): "%s", " moa %s", "%" PRIu64.
 */

/* Text mode only. */
void mob_out_text(struct mob_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void mob_out_nl(struct mob_out *o);

#endif /* MOB_OUTPUT_H */
