/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small asynchronous client for etcd v3, through its JSON gateway
 * (/v3/kv/range, /v3/kv/txn, /v3/kv/put, /v3/lease/grant,
 * /v3/lease/keepalive, /v3/lease/revoke, /v3/watch; etcd 3.4 as Debian 12
 * ships it) with libcurl's multi interface driven by libvirt's default event
 * loop.  Keys and values are byte strings (base64 on the wire).
 *
 * Every request returns at once (0, or -errno if it could not be queued)
 * and later calls its callback exactly once, from the event loop, unless
 * the client is freed first (then never).  Errors given to callbacks:
 * -ECONNREFUSED / -EHOSTUNREACH / -ETIMEDOUT for transport failures (after
 * trying every endpoint once, in order, starting with the last one that
 * worked), -EPROTO for an answer that is not what etcd sends, -EIO for an
 * error etcd reported, and -ENOENT for a write under a lease etcd no
 * longer has ("requested lease not found").
 */
#ifndef MOBD_ETCD_H
#define MOBD_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mobd_etcd_opts {
	const char *const *endpoints;	/* "http://host:port", "https://..." */
	int n_endpoints;
	const char *cacert, *cert, *key; /* NULL or "" when not used */
	unsigned int timeout_ms;	/* per request (not watches) */
	/* Lease grants and keepalives (0: timeout_ms).  A refresh etcd
	 * answers late still counts; one given up on may never reach it. */
	unsigned int lease_timeout_ms;
};

struct mobd_kv {
	const char *key;
	size_t key_len;
	const char *value;
	size_t value_len;
	int64_t create_revision;
	int64_t mod_revision;
	int64_t version;
	int64_t lease;
};

struct mobd_etcd;

int mobd_etcd_new(struct mobd_etcd **ep, const struct mobd_etcd_opts *o);
/* Cancels everything in flight without calling callbacks. */
void mobd_etcd_free(struct mobd_etcd *e);

/* Every key starting with PREFIX; REV: the store's revision. */
typedef void (*mobd_etcd_range_cb)(void *arg, int err, int64_t rev,
				   const struct mobd_kv *kvs, size_t n);
int mobd_etcd_range_prefix(struct mobd_etcd *e, const char *prefix,
			   mobd_etcd_range_cb cb, void *arg);

/*
 * Compare-and-swap.  mobd_etcd_cas_put() writes KEY = VALUE (attached to
 * LEASE unless 0) only if KEY's mod_revision is EXPECT (0: only if KEY does
 * not exist); mobd_etcd_cas_del() deletes KEY only if its mod_revision is
 * EXPECT.  The callback gets SUCCEEDED, the store's revision after the
 * transaction (on success: the new mod_revision of KEY for a put), and
 * when the comparison failed, KEY as it is now (CUR, NULL if absent).
 */
typedef void (*mobd_etcd_txn_cb)(void *arg, int err, bool succeeded,
				 int64_t rev, const struct mobd_kv *cur);
int mobd_etcd_cas_put(struct mobd_etcd *e, const char *key,
		      const char *value, size_t value_len, int64_t lease,
		      int64_t expect, mobd_etcd_txn_cb cb, void *arg);
int mobd_etcd_cas_del(struct mobd_etcd *e, const char *key, int64_t expect,
		      mobd_etcd_txn_cb cb, void *arg);

/*
 * Several compare-and-swap puts in one transaction (at most
 * MOBD_ETCD_TXN_MAX, distinct keys): OPS[i] writes its KEY = VALUE under
 * LEASE if the key's mod_revision is EXPECT (0: absent).  Either every
 * put happens (SUCCEEDED; REV is the new mod_revision of each key) or,
 * when one comparison fails, none does, and CUR[i] is key i as it is now
 * (NULL if absent; CUR is NULL unless the comparisons failed).  ALSO, if
 * not NULL, is an unconditional put done in either case (its EXPECT is
 * ignored), after the others.  TIMEOUT_MS: how long it may take (0: the
 * client's timeout_ms).
 */
#define MOBD_ETCD_TXN_MAX	64

struct mobd_etcd_cas {
	const char *key;
	const char *value;
	size_t value_len;
	int64_t lease;
	int64_t expect;
};

typedef void (*mobd_etcd_txn_many_cb)(void *arg, int err, bool succeeded,
				      int64_t rev,
				      const struct mobd_kv *const *cur,
				      size_t n);
int mobd_etcd_cas_put_many(struct mobd_etcd *e,
			   const struct mobd_etcd_cas *ops, size_t n,
			   const struct mobd_etcd_cas *also,
			   unsigned int timeout_ms, mobd_etcd_txn_many_cb cb,
			   void *arg);

/* Unconditional put (LEASE 0: none); REV is the new revision. */
typedef void (*mobd_etcd_put_cb)(void *arg, int err, int64_t rev);
int mobd_etcd_put(struct mobd_etcd *e, const char *key, const char *value,
		  size_t value_len, int64_t lease, mobd_etcd_put_cb cb,
		  void *arg);

/*
 * Leases.  grant: ID and the granted TTL in seconds.  keepalive: the TTL
 * left after the refresh; 0 means the lease no longer exists (expired or
 * revoked).  revoke: the lease and every key attached to it go.
 */
typedef void (*mobd_etcd_lease_cb)(void *arg, int err, int64_t id,
				   int64_t ttl);
int mobd_etcd_lease_grant(struct mobd_etcd *e, int64_t ttl,
			  mobd_etcd_lease_cb cb, void *arg);
int mobd_etcd_lease_keepalive(struct mobd_etcd *e, int64_t id,
			      mobd_etcd_lease_cb cb, void *arg);
int mobd_etcd_lease_revoke(struct mobd_etcd *e, int64_t id,
			   mobd_etcd_lease_cb cb, void *arg);

/*
 * Watch every key under PREFIX from revision START (inclusive; 0: from
 * now).  events() gets each batch as etcd sends it, with the revision of
 * the batch.  closed() is called once when the watch ends for any reason
 * but mobd_etcd_watch_cancel(): ERR -ERANGE with COMPACT_REV when START
 * was compacted away (the caller must read everything again), a transport
 * error when the stream broke (resume from the last revision seen + 1).
 * The watch is kept alive with TCP keepalives, so a vanished etcd is
 * noticed within about ten seconds.
 */
enum mobd_etcd_ev_type { MOBD_ETCD_PUT, MOBD_ETCD_DELETE };

struct mobd_etcd_event {
	enum mobd_etcd_ev_type type;
	struct mobd_kv kv;	/* a DELETE carries the key and mod_revision */
};

struct mobd_etcd_watch_ops {
	void (*created)(void *arg);
	void (*events)(void *arg, int64_t rev,
		       const struct mobd_etcd_event *ev, size_t n);
	void (*closed)(void *arg, int err, int64_t compact_rev);
};

struct mobd_etcd_watch;
int mobd_etcd_watch(struct mobd_etcd *e, const char *prefix, int64_t start,
		    const struct mobd_etcd_watch_ops *ops, void *arg,
		    struct mobd_etcd_watch **wp);
/* Stop a watch; its callbacks are not called again. */
void mobd_etcd_watch_cancel(struct mobd_etcd_watch *w);

#endif /* MOBD_ETCD_H */
