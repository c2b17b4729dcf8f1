// SPDX-License-Identifier: GPL-2.0
/*
 * mobctl stats: the namespace counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "mobctl.h"

static const struct {
	uint16_t attr;
	const char *key;	/* JSON */
	const char *label;	/* text */
} counters[] = {
	{ MOB_STATS_A_BINDINGS_LOCAL, "bindings_local", "bindings-local" },
	{ MOB_STATS_A_BINDINGS_REMOTE, "bindings_remote", "bindings-remote" },
	{ MOB_STATS_A_BINDINGS_MAX, "bindings_max", "bindings-max" },
	{ MOB_STATS_A_PREFIXES, "prefixes", "prefixes" },
	{ MOB_STATS_A_ALIASES, "aliases", "aliases" },
	{ MOB_STATS_A_XLAT_IN, "xlat_in", "xlat-in" },
	{ MOB_STATS_A_XLAT_OUT, "xlat_out", "xlat-out" },
	{ MOB_STATS_A_XLAT_FWD, "xlat_fwd", "xlat-fwd" },
	{ MOB_STATS_A_XLAT_ICMP_INNER, "xlat_icmp_inner", "xlat-icmp-inner" },
	{ MOB_STATS_A_DROP_UNKNOWN_HOA, "drop_unknown_hoa", "drop-unknown-hoa" },
	{ MOB_STATS_A_DROP_LEAK, "drop_leak", "drop-leak" },
	{ MOB_STATS_A_DROP_MALFORMED, "drop_malformed", "drop-malformed" },
	{ MOB_STATS_A_DROP_UNSUPPORTED, "drop_unsupported", "drop-unsupported" },
	{ MOB_STATS_A_DROP_NOMEM, "drop_nomem", "drop-nomem" },
	{ MOB_STATS_A_EVENTS, "events", "events" },
	{ MOB_STATS_A_EVENTS_SUPPRESSED, "events_suppressed",
	  "events-suppressed" },
};

static int stats_usage(void)
{
	fputs("Usage: mobctl stats\n"
	      "       mobctl stats help\n",
	      mobctl_out ? mobctl_out : stdout);
	return MOBCTL_OK;
}

/* One JSON object, or one "label value" line per counter the kernel sent. */
void mobctl_print_stats(struct mob_out *o, const struct mob_stats_info *s)
{
	size_t i;

	mob_out_open_object(o, NULL);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		if (!s->present[counters[i].attr])
			continue;
		mob_out_text(o, "%-20s", counters[i].label);
		mob_out_u64(o, counters[i].key, "%12" PRIu64 "\n",
			    s->counter[counters[i].attr]);
	}
	mob_out_close_object(o);
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct mob_stats_info *s = data;
	struct mob_msg m;
	int err;

	err = mob_msg_parse(nlh, &m);
	if (err)
		return err;
	if (!m.has_stats)
		return -EBADMSG;
	*s = m.stats;
	return 0;
}

int do_stats(int argc, char **argv)
{
	struct mob_stats_info s;
	struct mob_out o;
	struct mob_nl *h;
	int ret;

	if (argc > 0 && mobctl_is_help(argv[0]))
		return stats_usage();
	if (argc > 0) {
		fprintf(mobctl_errf ? mobctl_errf : stderr,
			"Command \"%s\" is unknown, try \"mobctl stats help\".\n",
			argv[0]);
		return MOBCTL_FAIL;
	}
	h = mobctl_nl();
	if (!h)
		return MOBCTL_FAIL;
	memset(&s, 0, sizeof(s));
	mob_build_stats_get(h);
	ret = mobctl_talk(stats_cb, &s);
	if (ret != MOBCTL_OK)
		return ret;
	mobctl_out_init(&o);
	mobctl_print_stats(&o, &s);
	return mobctl_out_end(&o);
}
