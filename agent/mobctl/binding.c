// SPDX-License-Identifier: GPL-2.0
/*
 * mobctl binding: the HoA -> MoA table.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mobctl.h"

static int binding_usage(int argc, char **argv)
{
	fputs("Usage: mobctl binding { add | replace | change } HOA moa MOA { local | remote } [ dev IFNAME ]\n"
	      "       mobctl binding { del | get } HOA\n"
	      "       mobctl binding show [ local | remote ]\n"
	      "       mobctl binding flush [ local | remote ]\n"
	      "       mobctl binding help\n",
	      mobctl_out ? mobctl_out : stdout);
	return MOBCTL_OK;
}

/* HOA moa MOA { local | remote } [ dev IFNAME ], keywords in any order. */
int mobctl_binding_parse_new(int argc, char **argv, struct mob_binding_info *b)
{
	enum { KW_MOA, KW_LOCAL, KW_REMOTE, KW_DEV };
	static const char *const keywords[] = {
		"moa", "local", "remote", "dev", NULL
	};
	const char *dev = NULL;
	struct mob_err e;
	int moa_family = 0;
	int kw;

	memset(b, 0, sizeof(*b));
	if (argc < 1) {
		mobctl_error("missing HoA: expected HOA moa MOA { local | remote }");
		return -EINVAL;
	}
	if (mob_parse_addr(argv[0], "HoA", &b->family, &b->hoa, &e)) {
		mobctl_error("%s", e.msg);
		return -EINVAL;
	}
	for (argc--, argv++; argc > 0; argc--, argv++) {
		kw = mob_match_word(argv[0], keywords);
		switch (kw) {
		case KW_MOA:
		case KW_DEV:
			if ((kw == KW_MOA && moa_family) ||
			    (kw == KW_DEV && dev)) {
				mobctl_error("duplicate \"%s\"", keywords[kw]);
				return -EINVAL;
			}
			if (argc < 2) {
				mobctl_error("\"%s\" needs %s", keywords[kw],
					     kw == KW_MOA ? "an address" :
					     "an interface name");
				return -EINVAL;
			}
			argc--;
			argv++;
			if (kw == KW_DEV) {
				dev = argv[0];
				break;
			}
			if (mob_parse_addr(argv[0], "MoA", &moa_family,
					   &b->moa, &e)) {
				mobctl_error("%s", e.msg);
				return -EINVAL;
			}
			break;
		case KW_LOCAL:
		case KW_REMOTE:
			if (b->kind) {
				mobctl_error("give one of \"local\" or \"remote\"");
				return -EINVAL;
			}
			b->kind = kw == KW_LOCAL ? MOB_KIND_LOCAL :
						   MOB_KIND_REMOTE;
			break;
		default:
			mobctl_error("unexpected \"%s\": expected moa, local, remote or dev",
				     argv[0]);
			return -EINVAL;
		}
	}
	if (!moa_family) {
		mobctl_error("missing \"moa MOA\"");
		return -EINVAL;
	}
	if (!b->kind) {
		mobctl_error("missing \"local\" or \"remote\"");
		return -EINVAL;
	}
	if (moa_family != b->family) {
		mobctl_error("HoA and MoA must be the same address family");
		return -EINVAL;
	}
	if (!memcmp(&b->hoa, &b->moa, sizeof(b->hoa))) {
		mobctl_error("HoA and MoA must differ");
		return -EINVAL;
	}
	b->has_moa = true;
	if (dev) {
		if (b->kind != MOB_KIND_LOCAL) {
			mobctl_error("\"dev\" is only for local bindings");
			return -EINVAL;
		}
		if (mob_parse_ifname(dev, &b->ifindex, &e)) {
			mobctl_error("%s", e.msg);
			return -ENODEV;
		}
	}
	return 0;
}

static void print_kind(struct mob_out *o, const char *key, const char *fmt,
		       uint8_t kind)
{
	const char *name = mob_kind_name(kind);
	char buf[16];

	if (!name) {
		snprintf(buf, sizeof(buf), "kind-%u", kind);
		name = buf;
	}
	mob_out_string(o, key, fmt, name);
}

static void print_binding_stats(struct mob_out *o,
				const struct mob_binding_stats *s)
{
	char idle[32];

	mob_out_text(o, "\n    ");
	mob_out_open_object(o, "stats");
	mob_out_u64(o, "packets_in", "in %" PRIu64 " packets", s->packets_in);
	mob_out_u64(o, "bytes_in", " %" PRIu64 " bytes", s->bytes_in);
	mob_out_u64(o, "packets_out", "  out %" PRIu64 " packets",
		    s->packets_out);
	mob_out_u64(o, "bytes_out", " %" PRIu64 " bytes", s->bytes_out);
	if (!s->has_idle) {
		mob_out_text(o, "  unused");
	} else if (mobctl_opts.stats > 1) {
		mob_out_u64(o, "idle_msec", "  idle %" PRIu64 "ms",
			    s->idle_msec);
	} else {
		mobctl_format_msec(idle, sizeof(idle), s->idle_msec);
		mob_out_u64(o, "idle_msec", NULL, s->idle_msec);
		mob_out_text(o, "  idle %s", idle);
	}
	mob_out_close_object(o);
}

/* The fields of a binding, into an object the caller opened. */
void mobctl_print_binding(struct mob_out *o, const struct mob_binding_info *b)
{
	mob_out_addr(o, "hoa", "%s", b->family, &b->hoa);
	if (b->has_moa)
		mob_out_addr(o, "moa", " moa %s", b->family, &b->moa);
	if (b->kind)
		print_kind(o, "kind", " %s", b->kind);
	mobctl_print_dev(o, b->ifindex);
	if (b->has_prev) {
		mob_out_open_object(o, "prev");
		mob_out_addr(o, "moa", " prev moa %s", b->family,
			     &b->prev_moa);
		if (b->prev_kind)
			print_kind(o, "kind", " %s", b->prev_kind);
		mob_out_close_object(o);
	}
	if (b->has_stats && mobctl_opts.stats)
		print_binding_stats(o, &b->stats);
}

static void print_one(struct mob_out *o, const struct mob_binding_info *b)
{
	mob_out_open_object(o, NULL);
	mobctl_print_binding(o, b);
	mob_out_close_object(o);
	mob_out_nl(o);
}

static int binding_new(int argc, char **argv, uint32_t flags)
{
	struct mob_binding_info b;
	struct mob_nl *h;
	int err;

	if (argc > 0 && mobctl_is_help(argv[0]))
		return binding_usage(0, NULL);
	if (mobctl_binding_parse_new(argc, argv, &b))
		return MOBCTL_FAIL;
	h = mobctl_nl();
	if (!h)
		return MOBCTL_FAIL;
	err = mob_build_binding_new(h, flags, &b);
	if (err)
		return mobctl_request_error(err);
	return mobctl_talk(NULL, NULL);
}

static int binding_add(int argc, char **argv)
{
	return binding_new(argc, argv, 0);
}

static int binding_replace(int argc, char **argv)
{
	return binding_new(argc, argv, MOB_BINDING_F_REPLACE);
}

static int binding_change(int argc, char **argv)
{
	return binding_new(argc, argv,
			   MOB_BINDING_F_REPLACE | MOB_BINDING_F_NOCREATE);
}

static int parse_hoa_only(int argc, char **argv, int *family,
			  union mob_ip *hoa)
{
	struct mob_err e;

	if (argc < 1) {
		mobctl_error("missing HoA");
		return -EINVAL;
	}
	if (mob_parse_addr(argv[0], "HoA", family, hoa, &e)) {
		mobctl_error("%s", e.msg);
		return -EINVAL;
	}
	if (argc > 1) {
		mobctl_error("unexpected \"%s\" after the HoA", argv[1]);
		return -EINVAL;
	}
	return 0;
}

static int binding_del(int argc, char **argv)
{
	union mob_ip hoa;
	struct mob_nl *h;
	int family, err;

	if (argc > 0 && mobctl_is_help(argv[0]))
		return binding_usage(0, NULL);
	if (parse_hoa_only(argc, argv, &family, &hoa))
		return MOBCTL_FAIL;
	h = mobctl_nl();
	if (!h)
		return MOBCTL_FAIL;
	err = mob_build_binding_del(h, family, &hoa);
	if (err)
		return mobctl_request_error(err);
	return mobctl_talk(NULL, NULL);
}

/* Bindings of a reply, kept until the dump is known to be consistent. */
struct binding_list {
	struct mob_binding_info *v;
	size_t n, cap;
};

static void list_restart(void *data)
{
	struct binding_list *l = data;

	l->n = 0;
}

static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct binding_list *l = data;
	struct mob_binding_info *v;
	struct mob_msg m;
	int err;

	err = mob_msg_parse(nlh, &m);
	if (err)
		return err;
	if (!m.has_binding || !m.binding.family)
		return -EBADMSG;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		v = realloc(l->v, l->cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
	}
	l->v[l->n++] = m.binding;
	return 0;
}

static int print_list(const struct binding_list *l)
{
	struct mob_out o;
	size_t i;

	mobctl_out_init(&o);
	mob_out_open_array(&o, NULL);
	for (i = 0; i < l->n; i++)
		print_one(&o, &l->v[i]);
	mob_out_close_array(&o);
	return mobctl_out_end(&o);
}

static int binding_get(int argc, char **argv)
{
	struct binding_list l = { 0 };
	union mob_ip hoa;
	struct mob_nl *h;
	int family, ret, err;

	if (argc > 0 && mobctl_is_help(argv[0]))
		return binding_usage(0, NULL);
	if (parse_hoa_only(argc, argv, &family, &hoa))
		return MOBCTL_FAIL;
	h = mobctl_nl();
	if (!h)
		return MOBCTL_FAIL;
	err = mob_build_binding_get(h, family, &hoa);
	if (err)
		return mobctl_request_error(err);
	ret = mobctl_talk(list_cb, &l);
	if (ret == MOBCTL_OK && l.n != 1) {
		mobctl_error("the kernel sent %zu bindings for one HoA", l.n);
		ret = MOBCTL_FAIL;
	}
	/* The same form as show, an array in JSON, so scripts need one. */
	if (ret == MOBCTL_OK)
		ret = print_list(&l);
	free(l.v);
	return ret;
}

static int binding_show(int argc, char **argv)
{
	struct binding_list l = { 0 };
	struct mob_nl *h;
	uint8_t kind;
	int ret, err;

	if (argc > 0 && mobctl_is_help(argv[0]))
		return binding_usage(0, NULL);
	if (mobctl_parse_kind(argc, argv, &kind))
		return MOBCTL_FAIL;
	h = mobctl_nl();
	if (!h)
		return MOBCTL_FAIL;
	err = mob_build_binding_dump(h, kind);
	if (err)
		return mobctl_request_error(err);
	ret = mobctl_dump(list_cb, list_restart, &l);
	if (ret == MOBCTL_OK)
		ret = print_list(&l);
	free(l.v);
	return ret;
}

static int binding_flush(int argc, char **argv)
{
	struct mob_nl *h;
	uint8_t kind;
	int err;

	if (argc > 0 && mobctl_is_help(argv[0]))
		return binding_usage(0, NULL);
	if (mobctl_parse_kind(argc, argv, &kind))
		return MOBCTL_FAIL;
	h = mobctl_nl();
	if (!h)
		return MOBCTL_FAIL;
	err = mob_build_binding_flush(h, kind);
	if (err)
		return mobctl_request_error(err);
	return mobctl_talk(NULL, NULL);
}

const struct mobctl_cmd mobctl_binding_cmds[] = {
	{ "add", binding_add },
	{ "replace", binding_replace },
	{ "change", binding_change },
	{ "del", binding_del },
	{ "get", binding_get },
	{ "show", binding_show },
	{ "list", binding_show },
	{ "flush", binding_flush },
	{ "help", binding_usage },
	{ NULL, NULL },
};

int do_binding(int argc, char **argv)
{
	return mobctl_dispatch("binding", mobctl_binding_cmds, "show", argc,
			       argv);
}
