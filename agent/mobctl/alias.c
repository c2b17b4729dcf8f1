// SPDX-License-Identifier: GPL-2.0
/*
 * mobctl alias: more MoAs for a HoA, for a while around a migration (the
 * peers' pre-learned next MoA, the old hypervisor's forwarding entry).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mobctl.h"

static int alias_usage(int argc, char **argv)
{
	fputs("Usage: mobctl alias add MOA hoa HOA [ target TARGET ] [ timeout MS ]\n"
	      "       mobctl alias del MOA\n"
	      "       mobctl alias show [ MOA ]\n"
	      "       mobctl alias flush\n"
	      "       mobctl alias help\n"
	      "add replaces an alias with the same MOA; MS is in milliseconds,\n"
	      "from 1 to 86400000 (24 hours); without it the alias stays until\n"
	      "deleted.  With target, packets to MOA are forwarded to TARGET.\n",
	      mobctl_out ? mobctl_out : stdout);
	return MOBCTL_OK;
}

/* One more address after a keyword, of the MoA's family and not the MoA. */
static int parse_other_addr(const char *s, const char *what,
			    const struct mob_alias_info *a, union mob_ip *addr)
{
	struct mob_err e;
	int family;

	if (mob_parse_addr(s, what, &family, addr, &e)) {
		mobctl_error("%s", e.msg);
		return -EINVAL;
	}
	if (family != a->family) {
		mobctl_error("MoA and %s must be the same address family", what);
		return -EINVAL;
	}
	if (!memcmp(addr, &a->moa, sizeof(*addr))) {
		mobctl_error("MoA and %s must differ", what);
		return -EINVAL;
	}
	return 0;
}

/* MOA hoa HOA [ target TARGET ] [ timeout MS ], keywords in any order. */
int mobctl_alias_parse_new(int argc, char **argv, struct mob_alias_info *a)
{
	enum { KW_HOA, KW_TARGET, KW_TIMEOUT };
	static const char *const keywords[] = {
		"hoa", "target", "timeout", NULL
	};
	static const char *const needs[] = {
		"an address", "an address", "a number of milliseconds"
	};
	bool seen[3] = { false, false, false };
	unsigned long long ms;
	struct mob_err e;
	int kw;

	memset(a, 0, sizeof(*a));
	if (argc < 1) {
		mobctl_error("missing MoA: expected MOA hoa HOA [ target TARGET ] [ timeout MS ]");
		return -EINVAL;
	}
	if (mob_parse_addr(argv[0], "MoA", &a->family, &a->moa, &e)) {
		mobctl_error("%s", e.msg);
		return -EINVAL;
	}
	for (argc--, argv++; argc > 0; argc -= 2, argv += 2) {
		kw = mob_match_word(argv[0], keywords);
		if (kw < 0) {
			mobctl_error("unexpected \"%s\": expected hoa, target or timeout",
				     argv[0]);
			return -EINVAL;
		}
		if (seen[kw]) {
			mobctl_error("duplicate \"%s\"", keywords[kw]);
			return -EINVAL;
		}
		seen[kw] = true;
		if (argc < 2) {
			mobctl_error("\"%s\" needs %s", keywords[kw], needs[kw]);
			return -EINVAL;
		}
		switch (kw) {
		case KW_HOA:
			if (parse_other_addr(argv[1], "HoA", a, &a->hoa))
				return -EINVAL;
			a->has_hoa = true;
			break;
		case KW_TARGET:
			if (parse_other_addr(argv[1], "target", a, &a->target))
				return -EINVAL;
			a->has_target = true;
			break;
		default:
			if (mob_parse_uint(argv[1], "timeout", 1,
					   MOB_ALIAS_TIMEOUT_MAX, &ms, NULL)) {
				mobctl_error("Invalid timeout \"%s\": expected milliseconds from 1 to %u",
					     argv[1], MOB_ALIAS_TIMEOUT_MAX);
				return -EINVAL;
			}
			a->timeout_ms = (uint32_t)ms;
			break;
		}
	}
	if (!a->has_hoa) {
		mobctl_error("missing \"hoa HOA\"");
		return -EINVAL;
	}
	return 0;
}

/* MOA alone: del, get, show MOA. */
static int parse_moa_only(int argc, char **argv, int *family,
			  union mob_ip *moa)
{
	struct mob_err e;

	if (argc < 1) {
		mobctl_error("missing MoA");
		return -EINVAL;
	}
	if (mob_parse_addr(argv[0], "MoA", family, moa, &e)) {
		mobctl_error("%s", e.msg);
		return -EINVAL;
	}
	if (argc > 1) {
		mobctl_error("unexpected \"%s\" after the MoA", argv[1]);
		return -EINVAL;
	}
	return 0;
}

/*
 * A duration as binding idle times are shown: readable, or with -s -s
 * exact (EXACT: " word %" PRIu64 "ms").  JSON: KEY in milliseconds.
 */
static void print_msec(struct mob_out *o, const char *key, const char *word,
		       const char *exact, uint64_t ms)
{
	char buf[32];

	if (mobctl_opts.stats > 1) {
		mob_out_u64(o, key, exact, ms);
		return;
	}
	mobctl_format_msec(buf, sizeof(buf), ms);
	mob_out_u64(o, key, NULL, ms);
	mob_out_text(o, " %s %s", word, buf);
}

/*
 * The fields of an alias, into an object the caller opened.  PACKETS: the
 * counter too (show always; events with -s).
 */
void mobctl_print_alias(struct mob_out *o, const struct mob_alias_info *a,
			bool packets)
{
	mob_out_addr(o, "moa", "%s", a->family, &a->moa);
	if (a->has_hoa)
		mob_out_addr(o, "hoa", " hoa %s", a->family, &a->hoa);
	if (a->has_target)
		mob_out_addr(o, "target", " target %s", a->family, &a->target);
	if (a->timeout_ms)
		print_msec(o, "timeout_ms", "timeout",
			   " timeout %" PRIu64 "ms", a->timeout_ms);
	if (a->has_expires)
		print_msec(o, "expires_ms", "expires",
			   " expires %" PRIu64 "ms", a->expires_ms);
	if (packets)
		mob_out_u64(o, "packets", " packets %" PRIu64, a->packets);
}

static int alias_add(int argc, char **argv)
{
	struct mob_alias_info a;
	struct mob_nl *h;
	int err;

	if (argc > 0 && mobctl_is_help(argv[0]))
		return alias_usage(0, NULL);
	if (mobctl_alias_parse_new(argc, argv, &a))
		return MOBCTL_FAIL;
	h = mobctl_nl();
	if (!h)
		return MOBCTL_FAIL;
	err = mob_build_alias_new(h, &a);
	if (err)
		return mobctl_request_error(err);
	return mobctl_talk(NULL, NULL);
}

static int alias_del(int argc, char **argv)
{
	union mob_ip moa;
	struct mob_nl *h;
	int family, err;

	if (argc > 0 && mobctl_is_help(argv[0]))
		return alias_usage(0, NULL);
	if (parse_moa_only(argc, argv, &family, &moa))
		return MOBCTL_FAIL;
	h = mobctl_nl();
	if (!h)
		return MOBCTL_FAIL;
	err = mob_build_alias_del(h, family, &moa);
	if (err)
		return mobctl_request_error(err);
	return mobctl_talk(NULL, NULL);
}

/* Aliases of a reply, kept until the dump is known to be consistent. */
struct alias_list {
	struct mob_alias_info *v;
	size_t n, cap;
};

static void list_restart(void *data)
{
	struct alias_list *l = data;

	l->n = 0;
}

static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct alias_list *l = data;
	struct mob_alias_info *v;
	struct mob_msg m;
	int err;

	err = mob_msg_parse(nlh, &m);
	if (err)
		return err;
	if (!m.has_alias || !m.alias.family)
		return -EBADMSG;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		v = realloc(l->v, l->cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
	}
	l->v[l->n++] = m.alias;
	return 0;
}

static int print_list(const struct alias_list *l)
{
	struct mob_out o;
	size_t i;

	mobctl_out_init(&o);
	mob_out_open_array(&o, NULL);
	for (i = 0; i < l->n; i++) {
		mob_out_open_object(&o, NULL);
		mobctl_print_alias(&o, &l->v[i], true);
		mob_out_close_object(&o);
		mob_out_nl(&o);
	}
	mob_out_close_array(&o);
	return mobctl_out_end(&o);
}

static int alias_get(int argc, char **argv)
{
	struct alias_list l = { 0 };
	union mob_ip moa;
	struct mob_nl *h;
	int family, ret, err;

	if (argc > 0 && mobctl_is_help(argv[0]))
		return alias_usage(0, NULL);
	if (parse_moa_only(argc, argv, &family, &moa))
		return MOBCTL_FAIL;
	h = mobctl_nl();
	if (!h)
		return MOBCTL_FAIL;
	err = mob_build_alias_get(h, family, &moa);
	if (err)
		return mobctl_request_error(err);
	ret = mobctl_talk(list_cb, &l);
	if (ret == MOBCTL_OK && l.n != 1) {
		mobctl_error("the kernel sent %zu aliases for one MoA", l.n);
		ret = MOBCTL_FAIL;
	}
	/* The same form as the whole list, an array in JSON. */
	if (ret == MOBCTL_OK)
		ret = print_list(&l);
	free(l.v);
	return ret;
}

static int alias_show(int argc, char **argv)
{
	struct alias_list l = { 0 };
	struct mob_nl *h;
	int ret;

	if (argc > 0 && mobctl_is_help(argv[0]))
		return alias_usage(0, NULL);
	if (argc > 0)
		return alias_get(argc, argv);
	h = mobctl_nl();
	if (!h)
		return MOBCTL_FAIL;
	mob_build_alias_dump(h);
	ret = mobctl_dump(list_cb, list_restart, &l);
	if (ret == MOBCTL_OK)
		ret = print_list(&l);
	free(l.v);
	return ret;
}

static int alias_flush(int argc, char **argv)
{
	struct mob_nl *h;

	if (argc > 0 && mobctl_is_help(argv[0]))
		return alias_usage(0, NULL);
	if (argc > 0) {
		mobctl_error("unexpected \"%s\"", argv[0]);
		return MOBCTL_FAIL;
	}
	h = mobctl_nl();
	if (!h)
		return MOBCTL_FAIL;
	mob_build_alias_flush(h);
	return mobctl_talk(NULL, NULL);
}

const struct mobctl_cmd mobctl_alias_cmds[] = {
	{ "add", alias_add },
	{ "del", alias_del },
	{ "get", alias_get },
	{ "show", alias_show },
	{ "list", alias_show },
	{ "flush", alias_flush },
	{ "help", alias_usage },
	{ NULL, NULL },
};

int do_alias(int argc, char **argv)
{
	return mobctl_dispatch("alias", mobctl_alias_cmds, "show", argc, argv);
}
