// SPDX-License-Identifier: GPL-2.0
/*
 * Text and JSON output from one code path.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <arpa/inet.h>
#include <json-c/json.h>

#include "output.h"

/* The format strings come from our callers, checked where they are given. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void mob_out_init(struct mob_out *o, FILE *f, bool json, bool pretty)
{
	memset(o, 0, sizeof(*o));
	o->f = f;
	o->json = json;
	o->pretty = pretty;
}

static void set_err(struct mob_out *o, int err)
{
	if (!o->err)
		o->err = err;
}

/* Add a new JSON value to the innermost container; takes ownership. */
static void attach(struct mob_out *o, const char *key, struct json_object *v)
{
	struct json_object *parent;

	if (!v) {
		set_err(o, -ENOMEM);
		return;
	}
	if (!o->depth) {
		if (o->root || (!json_object_is_type(v, json_type_object) &&
				!json_object_is_type(v, json_type_array))) {
			json_object_put(v);
			set_err(o, -EINVAL);
			return;
		}
		o->root = v;
		return;
	}
	parent = o->stack[o->depth - 1];
	if (json_object_is_type(parent, json_type_array)) {
		if (json_object_array_add(parent, v))
			goto fail;
	} else if (!key || json_object_object_add(parent, key, v)) {
		goto fail;
	}
	return;
fail:
	json_object_put(v);
	set_err(o, -EINVAL);
}

static void open_container(struct mob_out *o, const char *key,
			   struct json_object *v)
{
	if (!v) {
		set_err(o, -ENOMEM);
		return;
	}
	if (o->depth == MOB_OUT_MAX_DEPTH) {
		json_object_put(v);
		set_err(o, -E2BIG);
		return;
	}
	/* The stack holds borrowed references; the tree owns the values. */
	attach(o, key, v);
	if (o->err)
		return;
	o->stack[o->depth++] = v;
}

void mob_out_open_object(struct mob_out *o, const char *key)
{
	if (o->json)
		open_container(o, key, json_object_new_object());
}

void mob_out_open_array(struct mob_out *o, const char *key)
{
	if (o->json)
		open_container(o, key, json_object_new_array());
}

static void close_container(struct mob_out *o)
{
	if (!o->json)
		return;
	if (o->depth)
		o->depth--;
	else
		set_err(o, -EINVAL);
}

void mob_out_close_object(struct mob_out *o)
{
	close_container(o);
}

void mob_out_close_array(struct mob_out *o)
{
	close_container(o);
}

void mob_out_string(struct mob_out *o, const char *key, const char *fmt,
		    const char *value)
{
	if (!value)
		value = "";
	if (o->json) {
		if (key)
			attach(o, key, json_object_new_string(value));
	} else if (fmt) {
		fprintf(o->f, fmt, value);
	}
}

void mob_out_u64(struct mob_out *o, const char *key, const char *fmt,
		 uint64_t value)
{
	if (o->json) {
		if (key)
			attach(o, key, json_object_new_uint64(value));
	} else if (fmt) {
		fprintf(o->f, fmt, value);
	}
}

void mob_out_addr(struct mob_out *o, const char *key, const char *fmt,
		  int family, const union mob_ip *addr)
{
	char buf[INET6_ADDRSTRLEN];

	mob_addr_ntop(family, addr, buf, sizeof(buf));
	mob_out_string(o, key, fmt, buf);
}

void mob_out_prefix(struct mob_out *o, const char *key, const char *fmt,
		    const struct mob_prefix_info *p)
{
	char addr[INET6_ADDRSTRLEN];
	char buf[INET6_ADDRSTRLEN + 5];

	mob_addr_ntop(p->family, &p->addr, addr, sizeof(addr));
	snprintf(buf, sizeof(buf), "%s/%u", addr, p->len);
	mob_out_string(o, key, fmt, buf);
}

void mob_out_lladdr(struct mob_out *o, const char *key, const char *fmt,
		    const uint8_t lladdr[6])
{
	char buf[18];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
		 lladdr[0], lladdr[1], lladdr[2], lladdr[3], lladdr[4],
		 lladdr[5]);
	mob_out_string(o, key, fmt, buf);
}

void mob_out_text(struct mob_out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->json)
		return;
	va_start(ap, fmt);
	vfprintf(o->f, fmt, ap);
	va_end(ap);
}

void mob_out_nl(struct mob_out *o)
{
	if (!o->json)
		fputc('\n', o->f);
}

void mob_out_free(struct mob_out *o)
{
	if (o->root)
		json_object_put(o->root);
	o->root = NULL;
	o->depth = 0;
}

int mob_out_end(struct mob_out *o)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;
	const char *text;
	int err;

	if (o->json && o->root) {
		if (o->depth)
			set_err(o, -EINVAL);
		flags |= o->pretty ? JSON_C_TO_STRING_PRETTY |
				     JSON_C_TO_STRING_SPACED :
				     JSON_C_TO_STRING_PLAIN;
		text = json_object_to_json_string_ext(o->root, flags);
		if (text)
			fprintf(o->f, "%s\n", text);
		else
			set_err(o, -ENOMEM);
	}
	mob_out_free(o);
	if (fflush(o->f) == EOF)
		set_err(o, errno ? -errno : -EIO);
	else if (ferror(o->f))
		set_err(o, -EIO);
	err = o->err;
	o->err = 0;
	return err;
}
