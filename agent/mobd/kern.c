// SPDX-License-Identifier: GPL-2.0
/*
 * mobd's kernel interface on top of libmob (agent/lib/mobnl.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/libvirt.h>

#include "kern.h"
#include "log.h"

#define KERN_DUMP_TRIES 10

struct mobd_kern {
	struct mob_nl *req;
	struct mob_nl *ev;
	int watch;			/* libvirt handle of ev's socket */
	const struct mobd_kern_ops *ops;
	void *arg;
};

static int kern_event_msg(const struct nlmsghdr *nlh, void *data)
{
	struct mobd_kern *k = data;
	struct mob_msg m;

	if (mob_msg_parse(nlh, &m) < 0) {
		log_warn("kernel: an event message did not parse; ignored");
		return 0;
	}
	k->ops->event(k->arg, &m);
	return 0;
}

static void kern_readable(int watch, int fd, int events, void *opaque)
{
	struct mobd_kern *k = opaque;
	int err, i;

	/* Bounded, so a flood of events cannot starve the rest of the loop. */
	for (i = 0; i < 64; i++) {
		err = mob_nl_recv_events(k->ev, kern_event_msg, k);
		if (err == -EAGAIN || err == -EWOULDBLOCK)
			return;
		if (err == -ENOBUFS) {
			log_warn("kernel: events lost (socket buffer full); "
				 "reading the table again");
			k->ops->overrun(k->arg);
			continue;
		}
		if (err == -EINTR)
			continue;
		if (err < 0) {
			log_err("kernel: reading events: %s", strerror(-err));
			return;
		}
	}
}

int mobd_kern_open(struct mobd_kern **kp, const struct mobd_kern_ops *ops,
		   void *arg)
{
	struct mobd_kern *k;
	int err, fd, size = 4 << 20;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->ops = ops;
	k->arg = arg;
	k->watch = -1;
	err = mob_nl_open(&k->req, NULL);
	if (err)
		goto fail;
	err = mob_nl_open(&k->ev, NULL);
	if (err)
		goto fail;
	err = mob_nl_subscribe(k->ev);
	if (err)
		goto fail;
	fd = mob_nl_fd(k->ev);
	/* Announcements come in bursts; a large buffer rides them out. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		err = -errno;
		goto fail;
	}
	k->watch = virEventAddHandle(fd, VIR_EVENT_HANDLE_READABLE,
				     kern_readable, k, NULL);
	if (k->watch < 0) {
		err = -ENOMEM;
		goto fail;
	}
	*kp = k;
	return 0;
fail:
	mobd_kern_close(k);
	return err;
}

void mobd_kern_close(struct mobd_kern *k)
{
	if (!k)
		return;
	if (k->watch >= 0)
		virEventRemoveHandle(k->watch);
	if (k->ev)
		mob_nl_close(k->ev);
	if (k->req)
		mob_nl_close(k->req);
	free(k);
}

const char *mobd_kern_errmsg(const struct mobd_kern *k)
{
	return k->req->ext_msg;
}

int mobd_kern_set(struct mobd_kern *k, const struct mob_binding_info *b)
{
	int err;

	err = mob_build_binding_new(k->req, MOB_BINDING_F_REPLACE, b);
	if (err)
		return err;
	return mob_nl_talk(k->req, NULL, NULL);
}

int mobd_kern_del(struct mobd_kern *k, int family, const union mob_ip *hoa)
{
	int err;

	err = mob_build_binding_del(k->req, family, hoa);
	if (err)
		return err;
	err = mob_nl_talk(k->req, NULL, NULL);
	return err == -ENOENT ? 0 : err;
}

/* Adds or replaces the alias A->moa. */
int mobd_kern_alias_set(struct mobd_kern *k, const struct mob_alias_info *a)
{
	int err;

	err = mob_build_alias_new(k->req, a);
	if (err)
		return err;
	return mob_nl_talk(k->req, NULL, NULL);
}

int mobd_kern_alias_del(struct mobd_kern *k, int family,
			const union mob_ip *moa)
{
	int err;

	err = mob_build_alias_del(k->req, family, moa);
	if (err)
		return err;
	err = mob_nl_talk(k->req, NULL, NULL);
	return err == -ENOENT ? 0 : err;
}

struct dump_ctx {
	void (*cb)(void *arg, const struct mob_binding_info *b);
	void *arg;
};

static int dump_msg(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct mob_msg m;
	int err;

	err = mob_msg_parse(nlh, &m);
	if (err)
		return err;
	if (m.has_binding)
		d->cb(d->arg, &m.binding);
	return 0;
}

int mobd_kern_dump(struct mobd_kern *k,
		   void (*cb)(void *arg, const struct mob_binding_info *b),
		   void (*restart)(void *arg), void *arg)
{
	struct dump_ctx d = { cb, arg };
	int err = -EINTR, i;

	for (i = 0; i < KERN_DUMP_TRIES && err == -EINTR; i++) {
		if (i)
			restart(arg);
		err = mob_build_binding_dump(k->req, 0);
		if (err)
			return err;
		err = mob_nl_talk(k->req, dump_msg, &d);
	}
	return err;
}

struct prefix_list {
	int n;
	struct mob_prefix_info p[MOB_PREFIXES_MAX];
};

static int prefix_msg(const struct nlmsghdr *nlh, void *data)
{
	struct prefix_list *l = data;
	struct mob_msg m;
	int err;

	err = mob_msg_parse(nlh, &m);
	if (err)
		return err;
	if (m.has_prefix && l->n < MOB_PREFIXES_MAX)
		l->p[l->n++] = m.prefix;
	return 0;
}

static bool prefix_eq(const struct mob_prefix_info *a,
		      const struct mob_prefix_info *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(&a->addr, &b->addr, mob_addr_len(a->family));
}

int mobd_kern_sync_prefixes(struct mobd_kern *k,
			    const struct mobd_home *homes, int n)
{
	struct prefix_list have = { 0 };
	char buf[INET6_ADDRSTRLEN];
	int err, i, j;

	err = mob_build_prefix_dump(k->req);
	if (err)
		return err;
	err = mob_nl_talk(k->req, prefix_msg, &have);
	if (err)
		return err;
	for (i = 0; i < have.n; i++) {
		for (j = 0; j < n; j++)
			if (prefix_eq(&have.p[i], &homes[j].prefix))
				break;
		if (j < n)
			continue;
		log_notice("kernel: removing home prefix %s/%u (not configured)",
			   mob_addr_ntop(have.p[i].family, &have.p[i].addr,
					 buf, sizeof(buf)), have.p[i].len);
		err = mob_build_prefix(k->req, MOB_CMD_PREFIX_DEL, &have.p[i]);
		if (!err)
			err = mob_nl_talk(k->req, NULL, NULL);
		if (err && err != -ENOENT)
			return err;
	}
	for (j = 0; j < n; j++) {
		for (i = 0; i < have.n; i++)
			if (prefix_eq(&have.p[i], &homes[j].prefix))
				break;
		if (i < have.n)
			continue;
		log_info("kernel: adding home prefix %s/%u",
			 mob_addr_ntop(homes[j].prefix.family,
				       &homes[j].prefix.addr, buf, sizeof(buf)),
			 homes[j].prefix.len);
		err = mob_build_prefix(k->req, MOB_CMD_PREFIX_NEW,
				       &homes[j].prefix);
		if (!err)
			err = mob_nl_talk(k->req, NULL, NULL);
		if (err && err != -EEXIST)
			return err;
	}
	return 0;
}
