// SPDX-License-Identifier: GPL-2.0
/*
 * mobctl monitor: one line per event of the "events" group.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "mobctl.h"

static volatile sig_atomic_t monitor_stop;
static bool monitor_timestamp;

static void monitor_signal(int sig)
{
	monitor_stop = 1;
}

static int monitor_usage(void)
{
	fputs("Usage: mobctl monitor [ timestamp ]\n"
	      "       mobctl monitor help\n"
	      "timestamp: each event with the wall-clock time it was read\n"
	      "(seconds since the epoch; \"time\" in JSON)\n",
	      mobctl_out ? mobctl_out : stdout);
	return MOBCTL_OK;
}

static void print_event_type(struct mob_out *o, uint8_t type)
{
	const char *name = mob_event_type_name(type);
	char buf[16];

	if (!name) {
		snprintf(buf, sizeof(buf), "type-%u", type);
		name = buf;
	}
	mob_out_string(o, "type", " %s", name);
}

static void print_link(struct mob_out *o, const struct mob_event_info *e)
{
	mobctl_print_dev(o, e->ifindex);
	if (e->has_lladdr)
		mob_out_lladdr(o, "lladdr", " lladdr %s", e->lladdr);
}

static void print_neigh(struct mob_out *o, const struct mob_event_info *e)
{
	print_event_type(o, e->type);
	print_link(o, e);
	if (e->sender_family)
		mob_out_addr(o, "sender", " sender %s", e->sender_family,
			     &e->sender);
	if (e->target_family)
		mob_out_addr(o, "target", " target %s", e->target_family,
			     &e->target);
}

/* The packet's source and destination; the type says which is unknown. */
static void print_unknown_hoa(struct mob_out *o,
			      const struct mob_event_info *e)
{
	print_event_type(o, e->type);
	if (e->sender_family)
		mob_out_addr(o, "src", " from %s", e->sender_family,
			     &e->sender);
	if (e->target_family)
		mob_out_addr(o, "dst", " to %s", e->target_family, &e->target);
	mobctl_print_dev(o, e->ifindex);
}

/*
 * One event as one line of text or one JSON object.  -EINVAL and friends
 * for a message that does not parse; nothing is printed then.
 */
int mobctl_print_event(struct mob_out *o, const struct nlmsghdr *nlh)
{
	struct mob_msg m;
	const char *kind;
	int err;

	err = mob_msg_parse(nlh, &m);
	if (err)
		return err;

	mob_out_open_object(o, NULL);
	if (monitor_timestamp) {
		struct timespec ts;
		char buf[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(buf, sizeof(buf), "%lld.%06ld", (long long)ts.tv_sec,
			 ts.tv_nsec / 1000);
		mob_out_string(o, "time", "[%s] ", buf);
	}
	switch (m.cmd) {
	case MOB_CMD_BINDING_NEW:
	case MOB_CMD_BINDING_DEL:
		if (!m.has_binding || !m.binding.family)
			goto bad;
		mob_out_string(o, "event", "%s", "binding");
		mob_out_string(o, "type", " %s ",
			       m.cmd == MOB_CMD_BINDING_DEL ? "del" :
			       m.binding.has_prev ? "replace" : "new");
		mobctl_print_binding(o, &m.binding);
		break;
	case MOB_CMD_BINDING_FLUSH:
		mob_out_string(o, "event", "%s", "binding");
		mob_out_string(o, "type", " %s", "flush");
		kind = mob_kind_name(m.binding.kind);
		if (kind)
			mob_out_string(o, "kind", " %s", kind);
		break;
	case MOB_CMD_ALIAS_NEW:
	case MOB_CMD_ALIAS_DEL:
		if (!m.has_alias || !m.alias.family)
			goto bad;
		mob_out_string(o, "event", "%s", "alias");
		mob_out_string(o, "type", " %s ",
			       m.cmd == MOB_CMD_ALIAS_NEW ? "new" : "del");
		mobctl_print_alias(o, &m.alias, mobctl_opts.stats > 0);
		break;
	case MOB_CMD_ALIAS_FLUSH:
		mob_out_string(o, "event", "%s", "alias");
		mob_out_string(o, "type", " %s", "flush");
		break;
	case MOB_CMD_PREFIX_NEW:
	case MOB_CMD_PREFIX_DEL:
		if (!m.has_prefix || !m.prefix.family)
			goto bad;
		mob_out_string(o, "event", "%s", "prefix");
		mob_out_string(o, "type", " %s ",
			       m.cmd == MOB_CMD_PREFIX_NEW ? "new" : "del");
		mob_out_prefix(o, "prefix", "%s", &m.prefix);
		break;
	case MOB_CMD_NEIGH:
		if (!m.has_event)
			goto bad;
		mob_out_string(o, "event", "%s", "neigh");
		print_neigh(o, &m.event);
		break;
	case MOB_CMD_ANNOUNCE:
		if (!m.has_event)
			goto bad;
		mob_out_string(o, "event", "%s", "announce");
		print_neigh(o, &m.event);
		break;
	case MOB_CMD_UNKNOWN_HOA:
		if (!m.has_event)
			goto bad;
		mob_out_string(o, "event", "%s", "unknown-hoa");
		print_unknown_hoa(o, &m.event);
		break;
	default:
		/* From a newer kernel: say so rather than stay silent. */
		mob_out_string(o, "event", "%s", "unknown");
		mob_out_u64(o, "cmd", " cmd %" PRIu64, m.cmd);
		break;
	}
	mob_out_close_object(o);
	mob_out_nl(o);
	return 0;
bad:
	mob_out_close_object(o);
	mob_out_free(o);
	return -EBADMSG;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct mob_out *o = data;
	int err;

	err = mobctl_print_event(o, nlh);
	if (err) {
		mobctl_warn("malformed event (cmd %u): %s",
			    ((const struct genlmsghdr *)
			     mnl_nlmsg_get_payload(nlh))->cmd,
			    strerror(-err));
		return 0;
	}
	/* Each event is a line of its own, flushed: monitor is piped. */
	return mob_out_end(o);
}

int do_monitor(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = monitor_signal };
	struct pollfd pfd;
	sigset_t block, orig;
	struct mob_out o;
	struct mob_nl *h;
	int err, n;

	if (argc > 0 && mobctl_is_help(argv[0]))
		return monitor_usage();
	if (argc > 0 && !strcmp(argv[0], "timestamp")) {
		monitor_timestamp = true;
		argc--;
		argv++;
	}
	if (argc > 0) {
		fprintf(mobctl_errf ? mobctl_errf : stderr,
			"Command \"%s\" is unknown, try \"mobctl monitor help\".\n",
			argv[0]);
		return MOBCTL_FAIL;
	}
	h = mobctl_nl();
	if (!h)
		return MOBCTL_FAIL;
	err = mob_nl_subscribe(h);
	if (err) {
		mobctl_error("cannot join the \"%s\" group: %s",
			     MOB_GENL_MCGRP_EVENTS, strerror(-err));
		return MOBCTL_FAIL;
	}

	/*
	 * The signals are blocked except inside ppoll(), so one that comes
	 * between the check of monitor_stop and the wait is not lost.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, &orig) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0) {
		mobctl_error("cannot set up signals: %s", strerror(errno));
		return MOBCTL_FAIL;
	}

	mobctl_out_init(&o);
	pfd.fd = mob_nl_fd(h);
	pfd.events = POLLIN;
	while (!monitor_stop) {
		n = ppoll(&pfd, 1, NULL, &orig);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			mobctl_error("poll: %s", strerror(errno));
			return MOBCTL_FAIL;
		}
		err = mob_nl_recv_events(h, event_cb, &o);
		if (err == -ENOBUFS) {
			mobctl_warn("events lost: the socket buffer overflowed");
			continue;
		}
		if (err == -EINTR || err == -EAGAIN)
			continue;
		if (err) {
			mobctl_error("%s", strerror(-err));
			return MOBCTL_FAIL;
		}
	}
	return MOBCTL_OK;
}
