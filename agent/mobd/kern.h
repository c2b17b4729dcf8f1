/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel side of mobd: the "mob" generic netlink family of the network
 * namespace mobd runs in.  Requests are synchronous (the kernel answers at
 * once); events arrive on a second socket, read from the event loop.
 */
#ifndef MOBD_KERN_H
#define MOBD_KERN_H

#include "config.h"
#include "mobnl.h"

struct mobd_kern_ops {
	/* One message of the "events" group (binding, prefix, neighbour,
	 * announcement, unknown HoA), parsed. */
	void (*event)(void *arg, const struct mob_msg *m);
	/* Events were lost (socket buffer overrun): read the table again. */
	void (*overrun)(void *arg);
};

struct mobd_kern;

/* -EPROTONOSUPPORT when the module is not loaded. */
int mobd_kern_open(struct mobd_kern **kp, const struct mobd_kern_ops *ops,
		   void *arg);
void mobd_kern_close(struct mobd_kern *k);

/* Add or replace the binding of B->hoa (one step). */
int mobd_kern_set(struct mobd_kern *k, const struct mob_binding_info *b);
/* Delete the binding of HOA; absent is not an error. */
int mobd_kern_del(struct mobd_kern *k, int family, const union mob_ip *hoa);
/* Aliases (uapi: MOB_CMD_ALIAS_*); deleting an absent one is no error. */
int mobd_kern_alias_set(struct mobd_kern *k, const struct mob_alias_info *a);
int mobd_kern_alias_del(struct mobd_kern *k, int family,
			const union mob_ip *moa);
/* Every binding, a consistent view (the dump restarts if interrupted). */
int mobd_kern_dump(struct mobd_kern *k,
		   void (*cb)(void *arg, const struct mob_binding_info *b),
		   void (*restart)(void *arg), void *arg);
/* Make the kernel's home prefixes exactly the configured ones. */
int mobd_kern_sync_prefixes(struct mobd_kern *k,
			    const struct mobd_home *homes, int n);
/* The kernel's extended-ACK message of the last failed request, or "". */
const char *mobd_kern_errmsg(const struct mobd_kern *k);

#endif /* MOBD_KERN_H */
