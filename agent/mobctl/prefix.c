// SPDX-License-Identifier: GPL-2.0
/*
 * mobctl prefix: the home prefixes, the HoA space.
 */
#include <errno.h>
#include <stdlib.h>

#include "mobctl.h"

static int prefix_usage(int argc, char **argv)
{
	fputs("Usage: mobctl prefix { add | del } PREFIX/LEN\n"
	      "       mobctl prefix show\n"
	      "       mobctl prefix help\n",
	      mobctl_out ? mobctl_out : stdout);
	return MOBCTL_OK;
}

int mobctl_prefix_parse(int argc, char **argv, struct mob_prefix_info *p)
{
	struct mob_err e;

	if (argc < 1) {
		mobctl_error("missing PREFIX/LEN");
		return -EINVAL;
	}
	if (mob_parse_prefix(argv[0], "prefix", p, &e)) {
		mobctl_error("%s", e.msg);
		return -EINVAL;
	}
	if (argc > 1) {
		mobctl_error("unexpected \"%s\" after the prefix", argv[1]);
		return -EINVAL;
	}
	return 0;
}

static int prefix_change(int argc, char **argv, uint8_t cmd)
{
	struct mob_prefix_info p;
	struct mob_nl *h;
	int err;

	if (argc > 0 && mobctl_is_help(argv[0]))
		return prefix_usage(0, NULL);
	if (mobctl_prefix_parse(argc, argv, &p))
		return MOBCTL_FAIL;
	h = mobctl_nl();
	if (!h)
		return MOBCTL_FAIL;
	err = mob_build_prefix(h, cmd, &p);
	if (err)
		return mobctl_request_error(err);
	return mobctl_talk(NULL, NULL);
}

static int prefix_add(int argc, char **argv)
{
	return prefix_change(argc, argv, MOB_CMD_PREFIX_NEW);
}

static int prefix_del(int argc, char **argv)
{
	return prefix_change(argc, argv, MOB_CMD_PREFIX_DEL);
}

struct prefix_list {
	struct mob_prefix_info v[MOB_PREFIXES_MAX];
	size_t n;
};

static void list_restart(void *data)
{
	struct prefix_list *l = data;

	l->n = 0;
}

static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct prefix_list *l = data;
	struct mob_msg m;
	int err;

	err = mob_msg_parse(nlh, &m);
	if (err)
		return err;
	if (!m.has_prefix || !m.prefix.family)
		return -EBADMSG;
	if (l->n == MOB_PREFIXES_MAX)
		return -E2BIG;
	l->v[l->n++] = m.prefix;
	return 0;
}

static int prefix_show(int argc, char **argv)
{
	struct prefix_list *l;
	struct mob_out o;
	struct mob_nl *h;
	size_t i;
	int ret;

	if (argc > 0 && mobctl_is_help(argv[0]))
		return prefix_usage(0, NULL);
	if (argc > 0) {
		mobctl_error("unexpected \"%s\"", argv[0]);
		return MOBCTL_FAIL;
	}
	h = mobctl_nl();
	if (!h)
		return MOBCTL_FAIL;
	l = calloc(1, sizeof(*l));
	if (!l) {
		mobctl_error("out of memory");
		return MOBCTL_FAIL;
	}
	mob_build_prefix_dump(h);
	ret = mobctl_dump(list_cb, list_restart, l);
	if (ret == MOBCTL_OK) {
		mobctl_out_init(&o);
		mob_out_open_array(&o, NULL);
		for (i = 0; i < l->n; i++) {
			mob_out_open_object(&o, NULL);
			mob_out_prefix(&o, "prefix", "%s\n", &l->v[i]);
			mob_out_close_object(&o);
		}
		mob_out_close_array(&o);
		ret = mobctl_out_end(&o);
	}
	free(l);
	return ret;
}

const struct mobctl_cmd mobctl_prefix_cmds[] = {
	{ "add", prefix_add },
	{ "del", prefix_del },
	{ "show", prefix_show },
	{ "list", prefix_show },
	{ "help", prefix_usage },
	{ NULL, NULL },
};

int do_prefix(int argc, char **argv)
{
	return mobctl_dispatch("prefix", mobctl_prefix_cmds, "show", argc,
			       argv);
}
