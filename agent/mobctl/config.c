// SPDX-License-Identifier: GPL-2.0
/*
 * mobctl config: the namespace settings.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "mobctl.h"

static int config_usage(int argc, char **argv)
{
	fputs("Usage: mobctl config show\n"
	      "       mobctl config set max-bindings N\n"
	      "       mobctl config help\n",
	      mobctl_out ? mobctl_out : stdout);
	return MOBCTL_OK;
}

/* max-bindings N; the grammar leaves room for more settings. */
int mobctl_config_parse_set(int argc, char **argv, uint32_t *max_bindings)
{
	static const char *const keywords[] = { "max-bindings", NULL };
	struct mob_err e;
	bool seen = false;

	if (argc == 0) {
		mobctl_error("nothing to set: expected max-bindings N");
		return -EINVAL;
	}
	for (; argc > 0; argc -= 2, argv += 2) {
		if (mob_match_word(argv[0], keywords) != 0) {
			mobctl_error("unexpected \"%s\": expected max-bindings",
				     argv[0]);
			return -EINVAL;
		}
		if (seen) {
			mobctl_error("duplicate \"max-bindings\"");
			return -EINVAL;
		}
		if (argc < 2) {
			mobctl_error("\"max-bindings\" needs a number");
			return -EINVAL;
		}
		if (mob_parse_u32(argv[1], "max-bindings", 1,
				  MOB_BINDINGS_LIMIT, max_bindings, &e)) {
			mobctl_error("%s", e.msg);
			return -EINVAL;
		}
		seen = true;
	}
	return 0;
}

static int config_set(int argc, char **argv)
{
	uint32_t max_bindings;
	struct mob_nl *h;
	int err;

	if (argc > 0 && mobctl_is_help(argv[0]))
		return config_usage(0, NULL);
	if (mobctl_config_parse_set(argc, argv, &max_bindings))
		return MOBCTL_FAIL;
	h = mobctl_nl();
	if (!h)
		return MOBCTL_FAIL;
	err = mob_build_config_set(h, max_bindings);
	if (err)
		return mobctl_request_error(err);
	return mobctl_talk(NULL, NULL);
}

static int config_cb(const struct nlmsghdr *nlh, void *data)
{
	struct mob_config_info *c = data;
	struct mob_msg m;
	int err;

	err = mob_msg_parse(nlh, &m);
	if (err)
		return err;
	if (!m.has_config)
		return -EBADMSG;
	*c = m.config;
	return 0;
}

static int config_show(int argc, char **argv)
{
	struct mob_config_info c;
	struct mob_out o;
	struct mob_nl *h;
	int ret;

	if (argc > 0 && mobctl_is_help(argv[0]))
		return config_usage(0, NULL);
	if (argc > 0) {
		mobctl_error("unexpected \"%s\"", argv[0]);
		return MOBCTL_FAIL;
	}
	h = mobctl_nl();
	if (!h)
		return MOBCTL_FAIL;
	memset(&c, 0, sizeof(c));
	mob_build_config_get(h);
	ret = mobctl_talk(config_cb, &c);
	if (ret != MOBCTL_OK)
		return ret;
	mobctl_out_init(&o);
	mob_out_open_object(&o, NULL);
	if (c.has_max_bindings)
		mob_out_u64(&o, "max_bindings", "max-bindings %" PRIu64 "\n",
			    c.max_bindings);
	mob_out_close_object(&o);
	return mobctl_out_end(&o);
}

const struct mobctl_cmd mobctl_config_cmds[] = {
	{ "show", config_show },
	{ "set", config_set },
	{ "help", config_usage },
	{ NULL, NULL },
};

int do_config(int argc, char **argv)
{
	return mobctl_dispatch("config", mobctl_config_cmds, "show", argc,
			       argv);
}
