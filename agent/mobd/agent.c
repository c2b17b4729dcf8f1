// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's state machine (see agent.h for the model).
 *
 * Everything runs on libvirt's event loop, one thing at a time: no locks.
 * Asynchronous directory requests carry the HoA they are about, never a
 * pointer to a VM, because the VM may be gone when the answer arrives.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <json-c/json.h>
#include <libvirt/libvirt.h>

#include "agent.h"
#include "dir.h"
#include "etcd.h"
#include "log.h"
#include "pool.h"

#define DIR_BUCKETS		4096
#define TICK_MS			1000
#define RECONCILE_EVERY_MS	30000
#define RETRY_MAX_MS		8000
/* The others' alias for a migration's next MoA; refreshed by reconcile. */
#define MIG_ALIAS_MS		120000
/* A VM that left by migration keeps its key this long for a claim. */
#define MIG_CLAIM_WAIT_MS	120000
/*
 * Claim transactions in flight at once.  Claims made meanwhile wait and
 * go together, up to claim_batch (mobd_config) in one transaction: a
 * burst costs etcd, and every watcher, a few revisions instead of one
 * per VM address.
 */
#define CLAIMS_IN_FLIGHT	1
#define MAC_FMT			"%02x:%02x:%02x:%02x:%02x:%02x"
#define MAC_ARGS(m)		(m)[0], (m)[1], (m)[2], (m)[3], (m)[4], (m)[5]

enum vm_state {
	VM_CLAIMING,		/* here; the directory not yet agreeing */
	VM_OWNED,		/* here, and the directory says so */
	VM_CONFLICT,		/* refused: runs elsewhere, or no MoA */
};

static const char *const vm_state_names[] = {
	[VM_CLAIMING] = "claiming",
	[VM_OWNED] = "owned",
	[VM_CONFLICT] = "conflict",
};

enum vm_source {
	SRC_KERNEL,		/* found in the kernel table at start */
	SRC_LEARNED,		/* from its ARP / ND / announcement */
	SRC_LIBVIRT,		/* from a domain's metadata */
};

static const char *const vm_source_names[] = {
	[SRC_KERNEL] = "kernel",
	[SRC_LEARNED] = "learned",
	[SRC_LIBVIRT] = "libvirt",
};

struct vm {
	struct vm *next;
	int family;
	union mob_ip hoa;
	bool has_mac;
	uint8_t mac[6];
	char name[MOBD_DOMNAME_MAX];
	uint32_t ifindex;
	char port[IFNAMSIZ];
	enum vm_source source;
	enum vm_state state;
	bool has_moa;
	union mob_ip moa;
	bool installed;		/* local binding and route in place */
	bool moved;		/* evidence that it moved here */
	bool claim_busy;	/* a CAS in flight */
	bool claim_again;	/* claim once more when it returns */
	int64_t claim_rev;	/* mod_revision of our key, 0 if none */
	uint64_t retry_at;	/* ms; 0: no claim retry pending */
	unsigned int fails;
	unsigned int races;	/* CAS lost to the previous owner's rewrite */
	bool want_moa;		/* refused for want of a MoA: retry */
	uint64_t gen;		/* tells a VM from a later one of its HoA */
	unsigned int seen;	/* libvirt listing generation */
	unsigned int stamp;	/* last domain report that named it */
	time_t since;
	char why[160];
	/* Live migration (see "Live migration" below). */
	bool paused_mig;	/* libvirt paused it here to migrate it */
	bool leaving;		/* ... and it is bound to next_moa */
	union mob_ip next_moa;
	uint64_t left_at;	/* ms: gone from libvirt by migration */
	bool mig_key;		/* came by migration, not claimed yet: our
				 * mig key for it stays (mig_tick()) */
};

/* An incoming migration here: the MoA reserved for one of its HoAs. */
struct incoming {
	struct incoming *next;
	int family;
	union mob_ip hoa, moa;
	char name[MOBD_DOMNAME_MAX];
	bool has_mac;
	uint8_t mac[6];
	unsigned int seen;	/* libvirt listing generation */
	bool put_busy;		/* our mig key on its way */
	uint64_t put_at;	/* ms: not before then (again) */
	time_t since;
};

/* A migration key: HOA's VM is going to v.hv (which may be us). */
struct mig {
	struct mig *next;
	struct mobd_dir_vm v;	/* v.hv, v.moa: where, and its next MoA */
	int64_t mod_rev;
	unsigned int mark;	/* full-read generation that saw it */
	uint64_t del_at;	/* ours: ms, when to ask for its delete */
};

/*
 * A VM key of the directory, as last read.  An orphan is a key that went
 * with its owner's lease (the owner's hv key deleted in the same
 * revision): the owner may be dead, or alive and cut off from etcd with
 * its VMs still running, so the remote binding stays until the owner
 * shows what it runs (see dent_orphan()).
 */
struct dent {
	struct dent *next;
	struct mobd_dir_vm v;
	int64_t mod_rev;
	unsigned int mark;	/* full-read generation that saw it */
	bool orphan;		/* the key is gone, its binding kept */
	uint64_t orphan_until;	/* ms: removed then unless claimed */
	time_t orphan_since;
};

struct site {
	struct site *next;
	struct mobd_dir_hv h;
	int64_t mod_rev;
	int64_t create_rev;	/* changes when the key comes back */
};

/*
 * A MoA given up here that the others may still send to: our key for its
 * HoA still names it (our delete not seen yet), or it may have gone with
 * our lease, and then the others keep the binding as an orphan until
 * 2 x lease-ttl after our hv key is back.  It goes to the pool (and its
 * moa-hold) when neither can be.
 */
struct limbo {
	struct limbo *next;
	int family;
	union mob_ip hoa, moa;
	bool lapsed;		/* wait for our hv key to be written */
	uint64_t until;		/* ms; then 2 x lease-ttl after that */
};

struct mobd_agent {
	const struct mobd_config *c;
	struct mobd_dataplane dp;
	struct mobd_pool *pool;
	struct vm *vms;
	struct dent *dir[DIR_BUCKETS];
	size_t n_dir;
	size_t n_orphans;
	struct site *sites;
	struct limbo *limbo;
	struct incoming *incoming;
	struct mig *migs;
	time_t started;
	int tick;
	uint64_t next_reconcile;
	bool started_ok;

	/* libvirt */
	bool virt_none;
	bool virt_synced;	/* a complete listing since (re)connect */
	unsigned int list_gen;
	unsigned int stamp;
	uint64_t next_gen;
	unsigned int range_mark;

	/* directory; etcd == NULL: single-hypervisor mode */
	struct mobd_etcd *etcd;
	struct mobd_etcd_watch *watch;
	int64_t lease;
	bool lease_busy;
	uint64_t lease_next;	/* next keepalive or grant, ms */
	uint64_t lease_sent;	/* when the last grant/keepalive left, ms */
	uint64_t lease_sure;	/* ms; until then the lease cannot lapse */
	bool site_ok;		/* our hv key is written under the lease */
	int64_t rev;		/* newest revision applied */
	bool dir_synced;	/* a full read since start or compaction */
	bool range_busy;
	bool dir_up;		/* the last directory request worked */
	uint64_t watch_retry;	/* ms, 0: none pending */
	unsigned int watch_fails;
	bool site_dirty;	/* our hv key must be written */
	int64_t site_rev;	/* the revision we last wrote it at */
	bool lease_doubt;	/* our hv key went, or etcd did not know the
				 * lease: refresh it before writing more */
	uint64_t lease_doubt_at;	/* ms, since then */
	struct claim_req *claimq;	/* claims not sent yet, oldest first */
	struct claim_req **claimq_tail;
	struct claim_batch *batches;	/* claim transactions in flight */
	unsigned int claims_in_flight;
	int flush_timer;	/* sends the queued claims; -1: none */
	unsigned int slow_ms;	/* deadline of lease requests, claim batches */
};

static void claim(struct mobd_agent *a, struct vm *vm);
static void claims_flush_soon(struct mobd_agent *a);
static void lease_doubt(struct mobd_agent *a);
static void site_put_done(void *arg, int err, int64_t rev);
static char *site_value(struct mobd_agent *a, char *key, size_t len);
static void vm_uninstall(struct mobd_agent *a, struct vm *vm, bool hoa_gone);
static void dir_start(struct mobd_agent *a);
static void sweep_own_keys(struct mobd_agent *a);
static void forward_old_moa(struct mobd_agent *a, int family,
			    const union mob_ip *hoa, const union mob_ip *old,
			    const union mob_ip *to);
static void mig_done(struct mobd_agent *a, struct vm *vm);
struct arrival;
static bool incoming_take(struct mobd_agent *a, struct vm *vm,
			  const struct arrival *arr);

/* Small helpers. */

static const char *ntop(int family, const union mob_ip *ip, char *buf)
{
	return mob_addr_ntop(family, ip, buf, INET6_ADDRSTRLEN);
}

static bool ip_eq(int family, const union mob_ip *x, const union mob_ip *y)
{
	return !memcmp(x, y, mob_addr_len(family));
}

static bool dir_mode(const struct mobd_agent *a)
{
	return a->etcd != NULL;
}

static const char *vm_label(const struct vm *vm, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s%s%s", vm->name[0] ? vm->name : "",
		 vm->name[0] ? " " : "", ntop(vm->family, &vm->hoa, ip));
	return buf;
}

/* The directory cache: a hash of HoA -> struct dent. */

static unsigned int dir_hash(int family, const union mob_ip *hoa)
{
	size_t i, n = mob_addr_len(family);
	uint32_t h = 2166136261u;

	for (i = 0; i < n; i++)
		h = (h ^ hoa->raw[i]) * 16777619u;
	return (h ^ (uint32_t)family) % DIR_BUCKETS;
}

static struct dent *dir_find(struct mobd_agent *a, int family,
			     const union mob_ip *hoa)
{
	struct dent *d;

	for (d = a->dir[dir_hash(family, hoa)]; d; d = d->next)
		if (d->v.family == family && ip_eq(family, &d->v.hoa, hoa))
			return d;
	return NULL;
}

static struct dent *dir_store(struct mobd_agent *a,
			      const struct mobd_dir_vm *v, int64_t mod_rev)
{
	struct dent *d = dir_find(a, v->family, &v->hoa);
	unsigned int b;

	if (!d) {
		d = calloc(1, sizeof(*d));
		if (!d)
			return NULL;
		b = dir_hash(v->family, &v->hoa);
		d->next = a->dir[b];
		a->dir[b] = d;
		a->n_dir++;
	}
	if (d->orphan) {
		d->orphan = false;
		a->n_orphans--;
	}
	d->v = *v;
	d->mod_rev = mod_rev;
	return d;
}

static void dir_remove(struct mobd_agent *a, int family,
		       const union mob_ip *hoa)
{
	struct dent **pp = &a->dir[dir_hash(family, hoa)], *d;

	for (; (d = *pp); pp = &d->next) {
		if (d->v.family == family && ip_eq(family, &d->v.hoa, hoa)) {
			*pp = d->next;
			a->n_orphans -= d->orphan;
			free(d);
			a->n_dir--;
			return;
		}
	}
}

/* Other hypervisors' entry: the HoA runs there (its binding is remote). */
static bool dent_elsewhere(const struct mobd_agent *a, const struct dent *d)
{
	return d && strcmp(d->v.hv, a->c->hypervisor);
}

/*
 * Held by a live hypervisor: taking it needs evidence of a move.  An
 * orphan's key is absent: it is claimed like a free one.
 */
static bool dent_held(const struct mobd_agent *a, const struct dent *d)
{
	return dent_elsewhere(a, d) && !d->orphan;
}

/* Local VMs. */

static struct vm *vm_find(struct mobd_agent *a, int family,
			  const union mob_ip *hoa)
{
	struct vm *vm;

	for (vm = a->vms; vm; vm = vm->next)
		if (vm->family == family && ip_eq(family, &vm->hoa, hoa))
			return vm;
	return NULL;
}

static void vm_unlink(struct mobd_agent *a, struct vm *vm)
{
	struct vm **pp;

	for (pp = &a->vms; *pp; pp = &(*pp)->next) {
		if (*pp == vm) {
			*pp = vm->next;
			free(vm);
			return;
		}
	}
}

static const struct mobd_home *vm_home(const struct mobd_agent *a,
				       const struct vm *vm)
{
	return mobd_config_home_of(a->c, vm->family, &vm->hoa);
}

/* Does ADDR lie in the same home prefix as VM? */
static bool same_home(const struct mobd_agent *a, const struct vm *vm,
		      int family, const union mob_ip *addr)
{
	return family == vm->family &&
	       mobd_config_home_of(a->c, family, addr) == vm_home(a, vm);
}

/* The data plane. */

static int dp_set_local(struct mobd_agent *a, struct vm *vm)
{
	struct mob_binding_info b = {
		.family = vm->family, .hoa = vm->hoa, .has_moa = true,
		.moa = vm->moa, .kind = MOB_KIND_LOCAL, .ifindex = vm->ifindex,
	};

	return a->dp.set(a->dp.ctx, &b);
}

/* HOA is elsewhere, at MOA. */
static int dp_bind_remote(struct mobd_agent *a, int family,
			  const union mob_ip *hoa, const union mob_ip *moa)
{
	struct mob_binding_info b = {
		.family = family, .hoa = *hoa, .has_moa = true, .moa = *moa,
		.kind = MOB_KIND_REMOTE,
	};

	return a->dp.set(a->dp.ctx, &b);
}

static int dp_set_remote(struct mobd_agent *a, const struct mobd_dir_vm *v)
{
	char h[INET6_ADDRSTRLEN], m[INET6_ADDRSTRLEN];
	int err;

	err = dp_bind_remote(a, v->family, &v->hoa, &v->moa);
	if (err == -EEXIST) {
		/* An alias of another HoA left on that MoA (a migration
		 * whose end we missed): the directory wins. */
		a->dp.alias_del(a->dp.ctx, v->family, &v->moa);
		err = dp_bind_remote(a, v->family, &v->hoa, &v->moa);
	}
	if (err)
		log_err("kernel: binding %s -> %s (remote, %s): %s",
			ntop(v->family, &v->hoa, h), ntop(v->family, &v->moa, m),
			v->hv, strerror(-err));
	return err;
}

/* Is ADDR one of the VM addresses installed here on port IFINDEX? */
static bool hoa_on_port(struct mobd_agent *a, int family,
			const union mob_ip *addr, uint32_t ifindex)
{
	struct vm *o;

	for (o = a->vms; o; o = o->next)
		if (o->installed && o->ifindex == ifindex &&
		    o->family == family && ip_eq(family, &o->hoa, addr))
			return true;
	return false;
}

/* Does another VM address installed on VM's port still need its proxies? */
static bool port_shared(struct mobd_agent *a, const struct vm *vm)
{
	struct vm *o;

	for (o = a->vms; o; o = o->next)
		if (o != vm && o->installed && o->ifindex == vm->ifindex &&
		    o->family == vm->family)
			return true;
	return false;
}

/*
 * One proxy entry on PORT for ADDR.  Never for an address that lives on
 * that very port: the host would answer its duplicate address detection.
 */
static void proxy_one(struct mobd_agent *a, uint32_t port, int family,
		      const union mob_ip *addr, bool add)
{
	if (add && hoa_on_port(a, family, addr, port))
		return;
	(add ? a->dp.proxy_add : a->dp.proxy_del)(a->dp.ctx, port, family,
						  addr);
}

/*
 * Neighbour proxies on VM's port: its gateway (if not link-local, which
 * is an address on the port instead) and every other HoA of its prefix.
 * Removal only when no other address on the port needs them.
 */
static void vm_proxies(struct mobd_agent *a, struct vm *vm, bool add)
{
	const struct mobd_home *home = vm_home(a, vm);
	struct dent *d;
	struct vm *o;
	int b;

	if (vm->family != AF_INET6 || !vm->ifindex)
		return;
	if (!add && port_shared(a, vm))
		return;
	if (home && home->has_gateway)
		proxy_one(a, vm->ifindex, vm->family, &home->gateway, add);
	for (b = 0; b < DIR_BUCKETS; b++)
		for (d = a->dir[b]; d; d = d->next)
			if (same_home(a, vm, d->v.family, &d->v.hoa))
				proxy_one(a, vm->ifindex, vm->family,
					  &d->v.hoa, add);
	for (o = a->vms; o; o = o->next)
		if (o != vm && same_home(a, vm, o->family, &o->hoa))
			proxy_one(a, vm->ifindex, vm->family, &o->hoa, add);
}

/* HOA is known (add) or gone from everywhere (del): every v6 VM port. */
static void proxy_everywhere(struct mobd_agent *a, int family,
			     const union mob_ip *hoa, bool add)
{
	struct vm *vm;

	if (family != AF_INET6)
		return;
	for (vm = a->vms; vm; vm = vm->next)
		if (vm->installed && same_home(a, vm, family, hoa))
			proxy_one(a, vm->ifindex, family, hoa, add);
}

/*
 * The VM's own neighbour entry on its port, once its MAC is known: the
 * host then never resolves it by ARP or NDP, which a guest just resumed
 * after a migration may answer seconds late (packets queued meanwhile
 * are dropped after the third unanswered probe).
 */
static void vm_neigh(struct mobd_agent *a, struct vm *vm)
{
	char l[200];
	int err;

	if (!vm->installed || !vm->has_mac)
		return;
	err = a->dp.neigh_add(a->dp.ctx, vm->ifindex, vm->family, &vm->hoa,
			      vm->mac);
	if (err)
		log_warn("vm %s: neighbour entry on %s: %s",
			 vm_label(vm, l, sizeof(l)), vm->port, strerror(-err));
}

/* Put VM's binding, route, neighbour entry and proxies in place. */
static int vm_install(struct mobd_agent *a, struct vm *vm)
{
	const struct mobd_home *home = vm_home(a, vm);
	char l[200], m[INET6_ADDRSTRLEN];
	int err;

	err = dp_set_local(a, vm);
	if (err) {
		log_err("vm %s: kernel binding to %s on %s: %s",
			vm_label(vm, l, sizeof(l)), ntop(vm->family, &vm->moa, m),
			vm->port, strerror(-err));
		return err;
	}
	if (home)
		a->dp.port_up(a->dp.ctx, vm->ifindex, home);
	/* An entry for the VM's own address, left from when it ran
	 * elsewhere, would answer its duplicate address detection. */
	if (vm->family == AF_INET6)
		a->dp.proxy_del(a->dp.ctx, vm->ifindex, vm->family, &vm->hoa);
	err = a->dp.route_add(a->dp.ctx, vm->ifindex, vm->family, &vm->hoa);
	if (err)
		log_warn("vm %s: host route via %s: %s",
			 vm_label(vm, l, sizeof(l)), vm->port, strerror(-err));
	if (!vm->installed) {
		vm->installed = true;
		vm_proxies(a, vm, true);
		proxy_everywhere(a, vm->family, &vm->hoa, true);
	}
	vm_neigh(a, vm);
	return 0;
}

/*
 * Take VM's route and its port's proxies away; the binding is the
 * caller's.  HOA_GONE: the address runs nowhere now, so the other ports
 * stop answering for it too; otherwise (it runs elsewhere) they go on.
 */
static void vm_uninstall(struct mobd_agent *a, struct vm *vm, bool hoa_gone)
{
	if (!vm->installed)
		return;
	a->dp.route_del(a->dp.ctx, vm->ifindex, vm->family, &vm->hoa);
	a->dp.neigh_del(a->dp.ctx, vm->ifindex, vm->family, &vm->hoa);
	vm_proxies(a, vm, false);
	vm->installed = false;
	proxy_everywhere(a, vm->family, &vm->hoa, !hoa_gone);
}

/*
 * Could our lease have lapsed, or our hv key be missing?  etcd refreshed
 * the lease after we sent the request, so it lives at least until
 * lease_sure.
 */
static bool lease_unsure(const struct mobd_agent *a)
{
	return dir_mode(a) && (!a->lease || !a->site_ok ||
			       mobd_now_ms() >= a->lease_sure);
}

/* Does our key for HOA, as we last saw it, still name MOA? */
static bool key_names(struct mobd_agent *a, int family,
		      const union mob_ip *hoa, const union mob_ip *moa)
{
	struct dent *d = dir_find(a, family, hoa);

	return d && !dent_elsewhere(a, d) && ip_eq(family, &d->v.moa, moa);
}

/* Keep VM's MoA from the pool while the others may send to it. */
static bool limbo_add(struct mobd_agent *a, const struct vm *vm)
{
	bool unsure = lease_unsure(a);
	char l[200], m[INET6_ADDRSTRLEN];
	struct limbo *p;

	if (!unsure && !key_names(a, vm->family, &vm->hoa, &vm->moa))
		return false;
	p = calloc(1, sizeof(*p));
	if (!p)
		return false;
	p->family = vm->family;
	p->hoa = vm->hoa;
	p->moa = vm->moa;
	p->lapsed = unsure;
	p->next = a->limbo;
	a->limbo = p;
	if (unsure)
		log_info("vm %s: moa %s kept from reuse until this hypervisor "
			 "is back in the directory (the others may keep its "
			 "binding)", vm_label(vm, l, sizeof(l)),
			 ntop(vm->family, &vm->moa, m));
	return true;
}

static void vm_release_moa(struct mobd_agent *a, struct vm *vm)
{
	if (!vm->has_moa)
		return;
	vm->has_moa = false;
	if (dir_mode(a) && limbo_add(a, vm))
		return;
	mobd_pool_release(a->pool, vm->family, &vm->moa, mobd_now_ms());
}

/* Our lease is gone (or may be): the others keep our keys as orphans. */
static void limbo_lapsed(struct mobd_agent *a)
{
	struct limbo *p;

	for (p = a->limbo; p; p = p->next)
		p->lapsed = true;
}

/*
 * Our hv key is written (BACK; the others start their 2 x lease-ttl for
 * what we do not claim again), or the lease was alive all along.
 */
static void limbo_confirm(struct mobd_agent *a, bool back)
{
	uint64_t until = mobd_now_ms() + 2000ull * a->c->lease_ttl;
	struct limbo *p;

	for (p = a->limbo; p; p = p->next) {
		if (p->lapsed && back)
			p->until = until;
		p->lapsed = false;
	}
}

/* MoAs nobody can send to any more go to the pool (and its moa-hold). */
static void limbo_tick(struct mobd_agent *a, uint64_t now)
{
	struct limbo **pp = &a->limbo, *p;
	bool unsure = lease_unsure(a);

	while ((p = *pp)) {
		if (unsure || p->lapsed || now < p->until ||
		    key_names(a, p->family, &p->hoa, &p->moa)) {
			pp = &p->next;
			continue;
		}
		mobd_pool_release(a->pool, p->family, &p->moa, now);
		*pp = p->next;
		free(p);
	}
}

/*
 * The binding of VM's HoA once VM is no longer served here: the owner's
 * (remote) if the directory names another hypervisor, none otherwise.
 * One kernel request either way, so no packet finds the HoA unbound in
 * between.
 */
static void vm_hand_over(struct mobd_agent *a, struct vm *vm)
{
	struct dent *d = dir_find(a, vm->family, &vm->hoa);
	char l[200];
	int err;

	if (dent_elsewhere(a, d)) {
		dp_set_remote(a, &d->v);
	} else {
		err = a->dp.del(a->dp.ctx, vm->family, &vm->hoa);
		if (err)
			log_err("vm %s: removing the kernel binding: %s",
				vm_label(vm, l, sizeof(l)), strerror(-err));
	}
	vm_uninstall(a, vm, !dent_elsewhere(a, d));
	vm_release_moa(a, vm);
}

static void vm_conflict(struct mobd_agent *a, struct vm *vm, const char *why)
{
	char l[200];

	log_warn("vm %s on %s: refused: %s", vm_label(vm, l, sizeof(l)),
		 vm->port, why);
	snprintf(vm->why, sizeof(vm->why), "%s", why);
	vm->state = VM_CONFLICT;
	vm->leaving = false;
	vm->paused_mig = false;
	vm->moved = false;
	vm->want_moa = false;
	vm->retry_at = 0;
	vm_hand_over(a, vm);
}

/* The directory no longer has us as VM's owner, and it ran here: it left. */
static void vm_gone_elsewhere(struct mobd_agent *a, struct vm *vm,
			      const struct dent *d)
{
	char l[200], m[INET6_ADDRSTRLEN];

	union mob_ip old = vm->moa;
	bool had = vm->has_moa && vm->installed;

	log_info("vm %s moved to %s (moa %s): local binding becomes remote",
		 vm_label(vm, l, sizeof(l)), d->v.hv,
		 ntop(d->v.family, &d->v.moa, m));
	vm_hand_over(a, vm);
	if (had)
		forward_old_moa(a, vm->family, &vm->hoa, &old, &d->v.moa);
	vm_unlink(a, vm);
}

/* Directory requests. */

/* A claim queued or in flight: the VM it was for, and what it writes. */
struct claim_req {
	struct claim_req *next;		/* a->claimq */
	struct mobd_agent *a;
	uint64_t gen;
	struct mobd_dir_vm v;
	char *key, *val;
	int64_t expect;			/* mod_revision; 0: absent */
};

/* Claims sent in one transaction (or one alone), and our hv key maybe. */
struct claim_batch {
	struct claim_batch *next;	/* a->batches */
	struct mobd_agent *a;
	bool site;			/* with our hv key */
	size_t n;
	struct claim_req *r[MOBD_ETCD_TXN_MAX];
};

static void claim_req_free(struct claim_req *r)
{
	if (!r)
		return;
	free(r->key);
	free(r->val);
	free(r);
}

static void vm_to_dir(struct mobd_agent *a, const struct vm *vm,
		      struct mobd_dir_vm *v)
{
	memset(v, 0, sizeof(*v));
	v->family = vm->family;
	v->hoa = vm->hoa;
	v->moa = vm->moa;
	snprintf(v->hv, sizeof(v->hv), "%s", a->c->hypervisor);
	v->has_mac = vm->has_mac;
	memcpy(v->mac, vm->mac, 6);
	snprintf(v->vm, sizeof(v->vm), "%s", vm->name);
}

/* Delete our own key at revision REV (a claim no longer wanted). */
static void dir_take_back(struct mobd_agent *a, int family,
			  const union mob_ip *hoa, int64_t rev)
{
	char key[256];

	if (!mobd_dir_vm_key(a->c->etcd_prefix, family, hoa, key, sizeof(key)))
		mobd_etcd_cas_del(a->etcd, key, rev, NULL, NULL);
}

static void claim_retry_later(struct mobd_agent *a, struct vm *vm)
{
	unsigned int ms = 250u << (vm->fails < 5 ? vm->fails : 5);

	vm->fails++;
	vm->retry_at = mobd_now_ms() + (ms < RETRY_MAX_MS ? ms : RETRY_MAX_MS);
}

/*
 * Remember what a failed CAS showed us (CUR, or absent at store revision
 * REV), if newer than what we had.
 */
static void dir_learn_kv(struct mobd_agent *a, int family,
			 const union mob_ip *hoa, const struct mobd_kv *cur,
			 int64_t rev)
{
	struct mobd_dir_vm v;
	struct dent *d = dir_find(a, family, hoa);

	if (!cur) {
		/* An orphan's key is known to be absent; it stays. */
		if (d && !d->orphan && d->mod_rev <= rev)
			dir_remove(a, family, hoa);
		return;
	}
	if (d && d->mod_rev >= cur->mod_revision)
		return;
	if (mobd_dir_vm_decode(family, hoa, cur->value, cur->value_len, &v))
		return;
	dir_store(a, &v, cur->mod_revision);
}

static bool mac_matches(const struct dent *d, const struct vm *vm)
{
	return !d->v.has_mac || !vm->has_mac || !memcmp(d->v.mac, vm->mac, 6);
}

static void claim_done(void *arg, int err, bool succeeded, int64_t rev,
		       const struct mobd_kv *cur)
{
	struct claim_req *r = arg;
	struct mobd_agent *a = r->a;
	struct mobd_dir_vm v = r->v;
	uint64_t gen = r->gen;
	struct vm *vm = vm_find(a, v.family, &v.hoa);
	bool same;
	char l[200], why[160];
	struct dent *d;

	claim_req_free(r);
	/* The reply may be for an earlier VM of this HoA, or for a MoA this
	 * VM no longer has: then it is only news about the directory. */
	same = vm && vm->gen == gen && vm->has_moa &&
	       ip_eq(v.family, &vm->moa, &v.moa);
	if (vm && vm->gen == gen)
		vm->claim_busy = false;
	if (err) {
		if (!vm || vm->gen != gen)
			return;		/* the sweep removes a stray write */
		if (a->dir_up)
			log_warn("directory: claim for %s failed: %s; retrying",
				 vm_label(vm, l, sizeof(l)), strerror(-err));
		a->dir_up = false;
		claim_retry_later(a, vm);
		return;
	}
	a->dir_up = true;
	if (succeeded) {
		d = dir_find(a, v.family, &v.hoa);
		if (!d || d->mod_rev < rev)
			d = dir_store(a, &v, rev);
		if (!vm || vm->state == VM_CONFLICT) {
			dir_take_back(a, v.family, &v.hoa, rev);
			return;
		}
		if (!same) {
			claim(a, vm);	/* write what this VM has */
			return;
		}
		vm->claim_rev = rev;
		vm->fails = 0;
		vm->races = 0;
		vm->retry_at = 0;
		if (dent_elsewhere(a, d) && d->mod_rev > rev) {
			/* Someone took it after we did: it has left. */
			vm_gone_elsewhere(a, vm, d);
			return;
		}
		if (vm->state != VM_OWNED)
			log_info("vm %s: claimed in the directory (rev %" PRId64
				 ")", vm_label(vm, l, sizeof(l)), rev);
		vm->state = VM_OWNED;
		vm->moved = false;
		vm->why[0] = 0;
		mig_done(a, vm);
		if (vm->claim_again) {
			vm->claim_again = false;
			claim(a, vm);
		}
		return;
	}
	dir_learn_kv(a, v.family, &v.hoa, cur, rev);
	if (!vm || vm->state == VM_CONFLICT)
		return;
	if (!same) {
		if (!vm->claim_busy)
			claim(a, vm);
		return;
	}
	vm->fails = 0;
	d = dir_find(a, vm->family, &vm->hoa);
	if (dent_held(a, d)) {
		/* The previous owner rewrote its key (a new lease, say) after
		 * we saw it: with evidence of the move, ask again, a few
		 * times.  Otherwise another hypervisor won the race. */
		if (vm->moved && mac_matches(d, vm) && vm->races < 3) {
			vm->races++;
			vm->claim_again = false;
			claim(a, vm);
			return;
		}
		snprintf(why, sizeof(why),
			 "%s claimed it first (rev %" PRId64 ")", d->v.hv,
			 d->mod_rev);
		vm_conflict(a, vm, why);
		return;
	}
	/* Changed under us but still ours, or deleted: ask again. */
	vm->claim_again = false;
	claim(a, vm);
}

/*
 * Claim VM's key.  In single-hypervisor mode the VM is ours at once.
 * Without a lease (etcd down, or at start) the claim waits for the tick.
 */
static void claim(struct mobd_agent *a, struct vm *vm)
{
	char key[256], l[200], why[200];
	struct claim_req *r;
	struct dent *d;
	int64_t expect;

	if (vm->state == VM_CONFLICT)
		return;
	if (!dir_mode(a)) {
		if (vm->has_moa)
			vm->state = VM_OWNED;
		return;
	}
	/* Handed over to a migration's destination: its claim comes next;
	 * ours would take the VM back (vm_stay() claims if it fails). */
	if (vm->leaving)
		return;
	if (vm->claim_busy) {
		vm->claim_again = true;
		return;
	}
	if (!a->lease || !a->dir_synced) {
		vm->retry_at = mobd_now_ms() + TICK_MS;
		return;
	}
	d = dir_find(a, vm->family, &vm->hoa);
	if (d && !dent_elsewhere(a, d)) {
		/* Ours already (a restart): keep what we knew of the VM. */
		if (!vm->has_mac && d->v.has_mac) {
			vm->has_mac = true;
			memcpy(vm->mac, d->v.mac, 6);
			vm_neigh(a, vm);
		}
		if (!vm->name[0])
			snprintf(vm->name, sizeof(vm->name), "%s", d->v.vm);
	}
	if (dent_held(a, d)) {
		if (!vm->moved) {
			snprintf(why, sizeof(why),
				 "%s holds it and nothing shows the VM moved "
				 "here", d->v.hv);
			vm_conflict(a, vm, why);
			return;
		}
		if (d->v.has_mac && vm->has_mac && memcmp(d->v.mac, vm->mac, 6)) {
			snprintf(why, sizeof(why),
				 "%s holds it for MAC " MAC_FMT ", announced "
				 "here by " MAC_FMT, d->v.hv, MAC_ARGS(d->v.mac),
				 MAC_ARGS(vm->mac));
			vm_conflict(a, vm, why);
			return;
		}
	}
	if (!vm->has_moa)
		return;		/* vm_arrive() gives it one, then claims */
	expect = d && !d->orphan ? d->mod_rev : 0;
	if (d && !dent_elsewhere(a, d) && vm->state == VM_OWNED &&
	    d->mod_rev == vm->claim_rev &&
	    ip_eq(vm->family, &d->v.moa, &vm->moa) &&
	    d->v.has_mac == vm->has_mac)
		return;		/* the directory already says so */
	if (mobd_dir_vm_key(a->c->etcd_prefix, vm->family, &vm->hoa, key,
			    sizeof(key)))
		return;
	r = calloc(1, sizeof(*r));
	if (r) {
		r->a = a;
		r->gen = vm->gen;
		r->expect = expect;
		vm_to_dir(a, vm, &r->v);
		r->key = strdup(key);
		r->val = mobd_dir_vm_encode(&r->v);
	}
	if (!r || !r->key || !r->val) {
		claim_req_free(r);
		claim_retry_later(a, vm);
		return;
	}
	if (d && d->orphan)
		log_info("vm %s: claiming it; its key went with the lease of "
			 "%s", vm_label(vm, l, sizeof(l)), d->v.hv);
	else
		log_debug("vm %s: claiming (expecting rev %" PRId64 ")%s",
			  vm_label(vm, l, sizeof(l)), expect,
			  dent_elsewhere(a, d) ? ", it moved here" : "");
	/* Sent with the others made in this turn of the loop (or while
	 * the previous claims are in flight), as it would have gone. */
	*a->claimq_tail = r;
	a->claimq_tail = &r->next;
	claims_flush_soon(a);
	vm->claim_busy = true;
	vm->retry_at = 0;
}

/* Sending claims. */

static void claims_flush(struct mobd_agent *a);
static void dir_writes(struct mobd_agent *a);

/* Is R still for a VM here (not one gone, or an earlier one)? */
static bool claim_wanted(struct mobd_agent *a, const struct claim_req *r)
{
	struct vm *vm = vm_find(a, r->v.family, &r->v.hoa);

	return vm && vm->gen == r->gen;
}

/* R alone, after a transaction with others failed on another's key. */
static bool claim_alone(struct mobd_agent *a, struct claim_req *r)
{
	return !mobd_etcd_cas_put(a->etcd, r->key, r->val, strlen(r->val),
				  a->lease, r->expect, claim_done, r);
}

/*
 * A claim transaction is answered.  All written, or an error: each claim
 * as if sent alone.  A comparison failed: nothing was written; the claims
 * whose own comparison failed learn why (CUR), the others are sent again
 * one by one.  Our hv key, if it went along, was written either way.
 */
static void claims_sent(void *arg, int err, bool succeeded, int64_t rev,
			const struct mobd_kv *const *cur, size_t n)
{
	struct claim_batch *b = arg, **pp;
	struct mobd_agent *a = b->a;
	struct claim_req *r;
	bool held;
	size_t i;

	for (pp = &a->batches; *pp; pp = &(*pp)->next) {
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	}
	a->claims_in_flight--;
	if (err == -ENOENT)
		lease_doubt(a);
	if (b->site)
		site_put_done(a, err, rev);
	for (i = 0; i < b->n; i++) {
		r = b->r[i];
		if (err || succeeded || !cur || i >= n) {
			claim_done(r, err, succeeded, rev, NULL);
			continue;
		}
		held = cur[i] ? cur[i]->mod_revision == r->expect : !r->expect;
		if (held && b->n > 1 && claim_alone(a, r))
			continue;
		claim_done(r, 0, false, rev, cur[i]);
	}
	free(b);
	dir_writes(a);
}

static void claim_one_sent(void *arg, int err, bool succeeded, int64_t rev,
			   const struct mobd_kv *cur)
{
	const struct mobd_kv *c[1] = { cur };

	claims_sent(arg, err, succeeded, rev, c, 1);
}

/*
 * Send the queued claims: up to claim_batch in one transaction, with our
 * hv key while it is not known to be written (so our VM keys never exist
 * under a lease without our hv key: if that lease lapses, the others see
 * them go with the hv key, and keep their bindings).  Not while the lease
 * is in doubt: the claims would only fail; lease_refreshed() or
 * lease_granted() sends them.
 */
static void claims_flush(struct mobd_agent *a)
{
	struct mobd_etcd_cas ops[MOBD_ETCD_TXN_MAX], site = { 0 };
	size_t i, max = a->c->claim_batch;
	char skey[256], *sval;
	struct claim_batch *b;
	struct claim_req *r;
	int err;

	if (max < 1)
		max = 1;
	if (max > MOBD_ETCD_TXN_MAX)
		max = MOBD_ETCD_TXN_MAX;
	while (a->claimq && a->claims_in_flight < CLAIMS_IN_FLIGHT &&
	       a->lease && !a->lease_doubt) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return;		/* the tick tries again */
		b->a = a;
		while ((r = a->claimq) && b->n < max) {
			a->claimq = r->next;
			r->next = NULL;
			if (claim_wanted(a, r))
				b->r[b->n++] = r;
			else
				claim_req_free(r);
		}
		if (!a->claimq)
			a->claimq_tail = &a->claimq;
		if (!b->n) {
			free(b);
			continue;
		}
		for (i = 0; i < b->n; i++) {
			r = b->r[i];
			ops[i] = (struct mobd_etcd_cas){
				.key = r->key, .value = r->val,
				.value_len = strlen(r->val), .lease = a->lease,
				.expect = r->expect,
			};
		}
		sval = a->site_ok ? NULL : site_value(a, skey, sizeof(skey));
		if (sval) {
			b->site = true;
			site.key = skey;
			site.value = sval;
			site.value_len = strlen(sval);
			site.lease = a->lease;
		}
		/* Many claims wait as long as a lease refresh: a loaded
		 * etcd applies them late, and sending them again costs it,
		 * and every watcher, the whole lot twice. */
		r = b->r[0];
		if (b->n == 1 && !b->site)
			err = mobd_etcd_cas_put(a->etcd, r->key, r->val,
						strlen(r->val), a->lease,
						r->expect, claim_one_sent, b);
		else
			err = mobd_etcd_cas_put_many(a->etcd, ops, b->n,
						     b->site ? &site : NULL,
						     a->slow_ms, claims_sent,
						     b);
		free(sval);
		if (err) {
			/* As if etcd had refused them: retried later. */
			for (i = 0; i < b->n; i++)
				claim_done(b->r[i], err, false, 0, NULL);
			free(b);
			return;
		}
		if (b->site)
			a->site_dirty = false;
		b->next = a->batches;
		a->batches = b;
		a->claims_in_flight++;
		log_debug("directory: %zu claim(s) in one transaction%s",
			  b->n, b->site ? ", with our hv key" : "");
	}
}

static void flush_timer_cb(int timer, void *opaque)
{
	virEventUpdateTimeout(timer, -1);
	claims_flush(opaque);
}

/* Claims made in this turn of the event loop go out together after it. */
static void claims_flush_soon(struct mobd_agent *a)
{
	if (a->flush_timer >= 0)
		virEventUpdateTimeout(a->flush_timer, 0);
}

/* Give up VM's key (it stopped here). */
static void unclaim(struct mobd_agent *a, struct vm *vm)
{
	char key[256];
	struct dent *d;

	if (!dir_mode(a))
		return;
	d = dir_find(a, vm->family, &vm->hoa);
	if (!d || dent_elsewhere(a, d))
		return;
	if (mobd_dir_vm_key(a->c->etcd_prefix, vm->family, &vm->hoa, key,
			    sizeof(key)))
		return;
	/* Only our own version: a newer owner's key is left alone. */
	mobd_etcd_cas_del(a->etcd, key, d->mod_rev, NULL, NULL);
}

/*
 * Serve VM here: a MoA (ADOPT, the one the kernel had, if given and
 * free), the binding and host networking, then the claim.  A VM refused
 * for want of a MoA is tried again from the tick.
 */
static void vm_activate(struct mobd_agent *a, struct vm *vm,
			const union mob_ip *adopt, bool reinstall)
{
	char l[200], m[INET6_ADDRSTRLEN];
	int err;

	if (!vm->has_moa) {
		if (adopt && !mobd_pool_take(a->pool, vm->family, adopt,
					     mobd_now_ms())) {
			vm->moa = *adopt;
		} else {
			err = mobd_pool_alloc(a->pool, vm->family,
					      mobd_now_ms(), &vm->moa);
			if (err) {
				vm_conflict(a, vm, err == -ENOSPC ?
					    "the MoA pool is exhausted" :
					    "no MoA pool of its family");
				vm->want_moa = true;
				vm->retry_at = mobd_now_ms() + 5000;
				return;
			}
		}
		vm->has_moa = true;
		vm->want_moa = false;
		reinstall = true;
	}
	if (reinstall || !vm->installed) {
		if (vm_install(a, vm))
			return;
		log_info("vm %s (mac " MAC_FMT ") on %s: moa %s%s",
			 vm_label(vm, l, sizeof(l)), MAC_ARGS(vm->mac),
			 vm->port, ntop(vm->family, &vm->moa, m),
			 vm->moved ? ", moved here" : "");
	}
	claim(a, vm);
}

/* A VM here: from libvirt, an announcement, an ARP, or the kernel table. */

struct arrival {
	int family;
	union mob_ip hoa;
	const uint8_t *mac;	/* NULL if not known */
	uint32_t ifindex;
	const char *name;	/* NULL if not known */
	enum vm_source source;
	bool moved;		/* evidence it moved here */
	const union mob_ip *moa; /* from the kernel at start, else NULL */
};

static struct vm *vm_arrive(struct mobd_agent *a, const struct arrival *in)
{
	struct vm *vm = vm_find(a, in->family, &in->hoa);
	char ip[INET6_ADDRSTRLEN];
	bool fresh = !vm, reinstall = false;

	if (!mobd_config_home_of(a->c, in->family, &in->hoa)) {
		log_warn("vm %s (%s): address outside every home prefix; "
			 "ignored", in->name ? in->name : "?",
			 ntop(in->family, &in->hoa, ip));
		return NULL;
	}
	if (fresh) {
		vm = calloc(1, sizeof(*vm));
		if (!vm)
			return NULL;
		vm->family = in->family;
		vm->hoa = in->hoa;
		vm->state = VM_CLAIMING;
		vm->since = time(NULL);
		vm->source = in->source;
		vm->gen = ++a->next_gen;
		vm->next = a->vms;
		a->vms = vm;
	}
	if (in->source > vm->source)
		vm->source = in->source;
	if (in->mac) {
		vm->has_mac = true;
		memcpy(vm->mac, in->mac, 6);
	}
	if (in->name)
		snprintf(vm->name, sizeof(vm->name), "%s", in->name);
	if (in->ifindex && in->ifindex != vm->ifindex) {
		if (vm->installed)
			vm_uninstall(a, vm, false);
		vm->ifindex = in->ifindex;
		if (a->dp.ifname(a->dp.ctx, vm->ifindex, vm->port))
			snprintf(vm->port, sizeof(vm->port), "if%u",
				 vm->ifindex);
		reinstall = !fresh;
	}
	if (in->moved) {
		vm->moved = true;
		if (vm->state == VM_CONFLICT) {
			vm->state = VM_CLAIMING;
			vm->why[0] = 0;
			reinstall = true;
		}
	}
	if (incoming_take(a, vm, in)) {
		/* A migration's destination: the flip, without waiting. */
		vm->state = VM_CLAIMING;
		vm->why[0] = 0;
		reinstall = true;
	}
	if (vm->state == VM_CONFLICT)
		return vm;

	/* Refuse before touching the data plane when the answer is known. */
	if (dir_mode(a) && a->dir_synced && !vm->moved &&
	    vm->state == VM_CLAIMING) {
		struct dent *d = dir_find(a, vm->family, &vm->hoa);

		if (dent_held(a, d)) {
			claim(a, vm);	/* refuses, with the reason */
			return vm;
		}
	}
	vm_activate(a, vm, in->moa, fresh || reinstall);
	return vm;
}

/* VM stopped here (not by migration): free everything it held. */
static void vm_depart(struct mobd_agent *a, struct vm *vm, const char *why)
{
	char l[200];

	log_info("vm %s: %s; releasing its binding", vm_label(vm, l, sizeof(l)),
		 why);
	if (vm->state != VM_CONFLICT) {
		unclaim(a, vm);
		vm_hand_over(a, vm);
	}
	vm_unlink(a, vm);
}

/*
 * Live migration, make before break.  libvirt tells both ends where a
 * migration stands, and the directory carries the destination's next MoA
 * to everyone before the VM moves, so that when it runs at its new place
 * only local flips are left, none waiting for a round trip:
 *
 *   destination, the incoming domain created (STARTED_MIGRATED, or a
 *     migration-in job at a listing): a MoA is reserved and PREFIX mig/HOA
 *     = {moa, hv} written under our lease                       (incoming)
 *   everyone else, on that key: an alias next MoA -> HoA, so that packets
 *     from the VM's new place are translated before its key changes (migs)
 *   source, the VM paused for the last copy (SUSPENDED_MIGRATED), as soon
 *     as it also knows the next MoA: binding HoA -> next MoA (remote), and
 *     the old MoA becomes an alias that forwards to the next one: packets
 *     still sent to the old place follow the VM               (vm->leaving)
 *   destination, RESUMED_MIGRATED or the VM's own RARP, whichever comes
 *     first: the local binding with the reserved MoA, then the claim of
 *     the VM key; once it is through, the mig key goes
 *   everyone, on the VM key: binding HoA -> next MoA, in place of the alias
 *
 * Failure at any step: the destination's domain stops, its MoA goes back
 * to the pool and its mig key is deleted (and with it the others' aliases);
 * a source VM that runs again gets its local binding back, which replaces
 * the forwarding alias.  The VM key never changed, so nothing else has to.
 *
 * Our own mig keys are kept by one rule, applied every tick once both the
 * directory and libvirt have been read in full (mig_tick()): a key of ours
 * is deleted unless an incoming domain or a VM that came by migration and
 * is not yet claimed accounts for it; such an incoming domain without its
 * key gets it written.  So a lost reply, an etcd outage, a lease lapse or
 * a restart in the middle all end the same way.
 */

static struct incoming *incoming_find(struct mobd_agent *a, int family,
				      const union mob_ip *hoa)
{
	struct incoming *in;

	for (in = a->incoming; in; in = in->next)
		if (in->family == family && ip_eq(family, &in->hoa, hoa))
			return in;
	return NULL;
}

static void incoming_unlink(struct mobd_agent *a, struct incoming *in)
{
	struct incoming **pp;

	for (pp = &a->incoming; *pp; pp = &(*pp)->next) {
		if (*pp == in) {
			*pp = in->next;
			free(in);
			return;
		}
	}
}

static struct mig *mig_find(struct mobd_agent *a, int family,
			    const union mob_ip *hoa)
{
	struct mig *g;

	for (g = a->migs; g; g = g->next)
		if (g->v.family == family && ip_eq(family, &g->v.hoa, hoa))
			return g;
	return NULL;
}

static bool mig_ours(const struct mobd_agent *a, const struct mig *g)
{
	return !strcmp(g->v.hv, a->c->hypervisor);
}

struct mig_req {
	struct mobd_agent *a;
	int family;
	union mob_ip hoa, moa;
};

static void mig_put_done(void *arg, int err, int64_t rev)
{
	struct mig_req *r = arg;
	struct mobd_agent *a = r->a;
	struct incoming *in = incoming_find(a, r->family, &r->hoa);
	char h[INET6_ADDRSTRLEN];

	if (in && ip_eq(r->family, &in->moa, &r->moa)) {
		in->put_busy = false;
		/* On success the watch brings the key; until it does,
		 * writing it again would be noise. */
		in->put_at = mobd_now_ms() + (err ? 2000 : 10000);
		if (err)
			log_warn("directory: announcing the migration of %s "
				 "failed: %s; retrying",
				 ntop(r->family, &r->hoa, h), strerror(-err));
	}
	/* Otherwise the migration ended meanwhile: mig_tick() deletes the
	 * key when the directory shows it. */
	free(r);
}

/* Tell everyone where IN's VM is going (under our lease). */
static void mig_key_put(struct mobd_agent *a, struct incoming *in)
{
	struct mobd_dir_vm v = {
		.family = in->family, .hoa = in->hoa, .moa = in->moa,
		.has_mac = in->has_mac,
	};
	char key[256], *val;
	struct mig_req *r;

	if (!dir_mode(a) || !a->lease || in->put_busy ||
	    mobd_dir_mig_key(a->c->etcd_prefix, in->family, &in->hoa, key,
			     sizeof(key)))
		return;
	snprintf(v.hv, sizeof(v.hv), "%s", a->c->hypervisor);
	snprintf(v.vm, sizeof(v.vm), "%s", in->name);
	memcpy(v.mac, in->mac, 6);
	r = calloc(1, sizeof(*r));
	val = mobd_dir_vm_encode(&v);
	if (!r || !val)
		goto fail;
	r->a = a;
	r->family = in->family;
	r->hoa = in->hoa;
	r->moa = in->moa;
	if (mobd_etcd_put(a->etcd, key, val, strlen(val), a->lease,
			  mig_put_done, r))
		goto fail;
	in->put_busy = true;
	free(val);
	return;
fail:
	in->put_at = mobd_now_ms() + 2000;
	free(r);
	free(val);
}

/* Does a migration here still need our key G? */
static bool mig_needed(struct mobd_agent *a, const struct mig *g)
{
	struct incoming *in = incoming_find(a, g->v.family, &g->v.hoa);
	struct vm *vm = vm_find(a, g->v.family, &g->v.hoa);

	if (in)
		return ip_eq(g->v.family, &in->moa, &g->v.moa);
	return vm && vm->mig_key && vm->has_moa &&
	       ip_eq(g->v.family, &vm->moa, &g->v.moa);
}

/* Our mig keys: each written while needed, deleted when not (above). */
static void mig_tick(struct mobd_agent *a, uint64_t now)
{
	struct incoming *in;
	struct mig *g;
	char key[256];

	if (!dir_mode(a) || !a->dir_synced || !a->virt_synced || !a->lease)
		return;
	for (g = a->migs; g; g = g->next) {
		if (!mig_ours(a, g) || mig_needed(a, g) || now < g->del_at)
			continue;
		if (mobd_dir_mig_key(a->c->etcd_prefix, g->v.family,
				     &g->v.hoa, key, sizeof(key)))
			continue;
		/* Only that version: a newer write is judged on its own. */
		mobd_etcd_cas_del(a->etcd, key, g->mod_rev, NULL, NULL);
		g->del_at = now + 5000;
	}
	for (in = a->incoming; in; in = in->next) {
		g = mig_find(a, in->family, &in->hoa);
		if ((!g || !mig_ours(a, g) ||
		     !ip_eq(in->family, &g->v.moa, &in->moa)) &&
		    now >= in->put_at)
			mig_key_put(a, in);
	}
}

/* VM's claim is through: its mig key has done its job. */
static void mig_done(struct mobd_agent *a, struct vm *vm)
{
	if (!vm->mig_key)
		return;
	vm->mig_key = false;
	mig_tick(a, mobd_now_ms());
}

/* An incoming migration of domain D brings HOA here (on VIF). */
static void incoming_prepare(struct mobd_agent *a, const struct mobd_domain *d,
			     const struct mobd_vif *vif,
			     const struct mobd_hoa *hoa)
{
	struct incoming *in = incoming_find(a, hoa->family, &hoa->addr);
	struct vm *vm = vm_find(a, hoa->family, &hoa->addr);
	struct dent *e = dir_find(a, hoa->family, &hoa->addr);
	char h[INET6_ADDRSTRLEN], m[INET6_ADDRSTRLEN];
	struct mig *g;

	if (!mobd_config_home_of(a->c, hoa->family, &hoa->addr))
		return;		/* vm_arrive() will say so */
	if (in) {
		in->seen = a->list_gen;
		return;
	}
	/* Served here, or the directory names us: not coming, here. */
	if ((vm && vm->state != VM_CONFLICT) || (e && !dent_elsewhere(a, e)))
		return;
	in = calloc(1, sizeof(*in));
	if (!in)
		return;
	/* After a restart, the MoA our key already announced. */
	g = mig_find(a, hoa->family, &hoa->addr);
	if (g && mig_ours(a, g) &&
	    !mobd_pool_take(a->pool, hoa->family, &g->v.moa, mobd_now_ms())) {
		in->moa = g->v.moa;
	} else if (mobd_pool_alloc(a->pool, hoa->family, mobd_now_ms(),
				   &in->moa)) {
		/* It gets one, or is refused, when it runs here. */
		log_warn("vm %s %s: incoming migration, but no MoA to reserve",
			 d->name, ntop(hoa->family, &hoa->addr, h));
		free(in);
		return;
	}
	in->family = hoa->family;
	in->hoa = hoa->addr;
	snprintf(in->name, sizeof(in->name), "%s", d->name);
	in->has_mac = true;
	memcpy(in->mac, vif->mac, 6);
	in->seen = a->list_gen;
	in->since = time(NULL);
	in->next = a->incoming;
	a->incoming = in;
	log_info("vm %s %s: incoming migration; moa %s reserved",
		 d->name, ntop(hoa->family, &hoa->addr, h),
		 ntop(hoa->family, &in->moa, m));
	mig_key_put(a, in);
}

/* The incoming migration of IN's VM ended without it running here. */
static void incoming_drop(struct mobd_agent *a, struct incoming *in,
			  const char *why)
{
	char h[INET6_ADDRSTRLEN];

	log_info("vm %s %s: %s; moa released", in->name,
		 ntop(in->family, &in->hoa, h), why);
	mobd_pool_release(a->pool, in->family, &in->moa, mobd_now_ms());
	incoming_unlink(a, in);
	mig_tick(a, mobd_now_ms());
}

static void incoming_drop_domain(struct mobd_agent *a, const char *name,
				 const char *why)
{
	struct incoming *in, *next;

	for (in = a->incoming; in; in = next) {
		next = in->next;
		if (!strcmp(in->name, name))
			incoming_drop(a, in, why);
	}
}

/*
 * VM runs here and has no MoA yet: if it is the incoming domain's (libvirt
 * reports that domain here, or the VM announced itself with its MAC), it
 * takes the MoA reserved for it, which the others already accept.  An
 * ordinary ARP is no such sign.  True if it did.
 */
static bool incoming_take(struct mobd_agent *a, struct vm *vm,
			  const struct arrival *arr)
{
	struct incoming *in = incoming_find(a, vm->family, &vm->hoa);

	if (!in || vm->has_moa)
		return false;
	if (!(arr->source == SRC_LIBVIRT && arr->name &&
	      !strcmp(arr->name, in->name)) &&
	    !(arr->moved && arr->mac && !memcmp(arr->mac, in->mac, 6)))
		return false;
	vm->moa = in->moa;
	vm->has_moa = true;
	vm->moved = true;	/* libvirt brought it: evidence enough */
	vm->mig_key = dir_mode(a);
	if (!vm->has_mac && in->has_mac) {
		vm->has_mac = true;
		memcpy(vm->mac, in->mac, 6);
	}
	incoming_unlink(a, in);
	return true;
}

/*
 * The old MoA of HOA forwards to its new one for moa-hold: packets sent
 * by those not yet told follow the VM.  (The pool keeps the old MoA that
 * long too, so the alias never stands in the way of its next binding.)
 */
static void forward_old_moa(struct mobd_agent *a, int family,
			    const union mob_ip *hoa, const union mob_ip *old,
			    const union mob_ip *to)
{
	struct mob_alias_info al = {
		.family = family, .moa = *old, .has_hoa = true, .hoa = *hoa,
		.has_target = true, .target = *to,
		.timeout_ms = a->c->moa_hold * 1000u,
	};
	char o[INET6_ADDRSTRLEN], t[INET6_ADDRSTRLEN];
	int err;

	if (!a->c->moa_hold || ip_eq(family, old, to))
		return;
	err = a->dp.alias_set(a->dp.ctx, &al);
	if (err)
		log_warn("kernel: forwarding %s to %s: %s", ntop(family, old, o),
			 ntop(family, to, t), strerror(-err));
}

/*
 * VM is paused here for the last copy of a migration whose destination
 * announced its next MoA: hand over now.
 */
static void vm_leave(struct mobd_agent *a, struct vm *vm)
{
	struct mig *g = mig_find(a, vm->family, &vm->hoa);
	char l[200], m[INET6_ADDRSTRLEN];
	int err;

	if (!vm->paused_mig || vm->state == VM_CONFLICT || !vm->installed ||
	    !vm->has_moa)
		return;
	if (!g || mig_ours(a, g)) {
		log_info("vm %s: paused for migration; no destination MoA "
			 "announced yet", vm_label(vm, l, sizeof(l)));
		return;
	}
	if (vm->leaving && ip_eq(vm->family, &vm->next_moa, &g->v.moa))
		return;
	err = dp_bind_remote(a, vm->family, &vm->hoa, &g->v.moa);
	if (err) {
		log_err("vm %s: binding to %s's %s: %s",
			vm_label(vm, l, sizeof(l)), g->v.hv,
			ntop(vm->family, &g->v.moa, m), strerror(-err));
		return;
	}
	vm->leaving = true;
	vm->next_moa = g->v.moa;
	forward_old_moa(a, vm->family, &vm->hoa, &vm->moa, &g->v.moa);
	log_info("vm %s: paused to migrate to %s: bound to its moa there, %s, "
		 "and forwarding", vm_label(vm, l, sizeof(l)), g->v.hv,
		 ntop(vm->family, &g->v.moa, m));
}

/* VM runs here again after vm_leave(): the migration failed. */
static void vm_stay(struct mobd_agent *a, struct vm *vm)
{
	char l[200];

	if (!vm->leaving)
		return;
	vm->leaving = false;
	if (vm->state == VM_CONFLICT || !vm->has_moa)
		return;
	/* Replaces the remote binding and the forwarding alias at once. */
	if (!dp_set_local(a, vm))
		log_notice("vm %s: runs here again (the migration failed); "
			   "local binding restored", vm_label(vm, l, sizeof(l)));
	else
		vm->installed = false;	/* reconcile tries again */
	claim(a, vm);
}

/* Another hypervisor's mig key: accept packets from the next MoA. */
static void mig_alias(struct mobd_agent *a, const struct mig *g)
{
	struct mob_alias_info al = {
		.family = g->v.family, .moa = g->v.moa, .has_hoa = true,
		.hoa = g->v.hoa, .timeout_ms = MIG_ALIAS_MS,
	};
	struct dent *d = dir_find(a, g->v.family, &g->v.hoa);
	char h[INET6_ADDRSTRLEN], m[INET6_ADDRSTRLEN];
	struct vm *vm = vm_find(a, g->v.family, &g->v.hoa);
	int err;

	if (mig_ours(a, g))
		return;
	/* Bound to it already: the binding does the job. */
	if (d && ip_eq(g->v.family, &d->v.moa, &g->v.moa))
		return;
	if (vm && vm->leaving && ip_eq(g->v.family, &vm->next_moa, &g->v.moa))
		return;
	err = a->dp.alias_set(a->dp.ctx, &al);
	if (err)
		log_warn("kernel: alias %s for %s (migrating to %s): %s",
			 ntop(g->v.family, &g->v.moa, m),
			 ntop(g->v.family, &g->v.hoa, h), g->v.hv,
			 strerror(-err));
}

static void mig_apply_put(struct mobd_agent *a, const struct mobd_dir_vm *v,
			  int64_t mod_rev)
{
	struct mig *g = mig_find(a, v->family, &v->hoa);
	char h[INET6_ADDRSTRLEN], m[INET6_ADDRSTRLEN];
	struct incoming *in;
	struct vm *vm;

	if (g && g->mod_rev >= mod_rev)
		return;
	if (g && !mig_ours(a, g) && !ip_eq(v->family, &g->v.moa, &v->moa))
		a->dp.alias_del(a->dp.ctx, v->family, &g->v.moa);
	if (!g) {
		g = calloc(1, sizeof(*g));
		if (!g)
			return;
		g->next = a->migs;
		a->migs = g;
	}
	g->v = *v;
	g->mod_rev = mod_rev;
	g->mark = a->range_mark;
	g->del_at = 0;
	if (mig_ours(a, g)) {
		/* A restart: keep announcing the MoA the others know. */
		in = incoming_find(a, v->family, &v->hoa);
		if (in && !ip_eq(v->family, &in->moa, &v->moa) && !in->put_busy &&
		    !mobd_pool_take(a->pool, v->family, &v->moa,
				    mobd_now_ms())) {
			mobd_pool_release(a->pool, in->family, &in->moa,
					  mobd_now_ms());
			in->moa = v->moa;
		}
		return;
	}
	log_info("directory: %s is migrating to %s, moa %s there",
		 ntop(v->family, &v->hoa, h), v->hv,
		 ntop(v->family, &v->moa, m));
	mig_alias(a, g);
	/* The source, paused already (the key came late, or changed). */
	vm = vm_find(a, v->family, &v->hoa);
	if (vm)
		vm_leave(a, vm);
}

static void mig_forget(struct mobd_agent *a, struct mig *g)
{
	struct dent *d = dir_find(a, g->v.family, &g->v.hoa);
	struct mig **pp;

	/* The alias is gone already if the VM key moved to its MoA. */
	if (!mig_ours(a, g) &&
	    (!d || !ip_eq(g->v.family, &d->v.moa, &g->v.moa)))
		a->dp.alias_del(a->dp.ctx, g->v.family, &g->v.moa);
	for (pp = &a->migs; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			free(g);
			return;
		}
	}
}

static void mig_apply_delete(struct mobd_agent *a, int family,
			     const union mob_ip *hoa, int64_t rev)
{
	struct mig *g = mig_find(a, family, hoa);

	if (g && g->mod_rev <= rev)
		mig_forget(a, g);
}

/* A full read of the directory: the mig keys in KVS, the rest forgotten. */
static void range_migs(struct mobd_agent *a, const struct mobd_kv *kvs,
		       size_t n, int64_t rev)
{
	struct mig *g, *next;
	struct mobd_dir_vm v;
	union mob_ip hoa;
	int family;
	size_t i;

	for (i = 0; i < n; i++) {
		if (mobd_dir_key_parse(a->c->etcd_prefix, kvs[i].key,
				       kvs[i].key_len, &family, &hoa, NULL) !=
		    MOBD_DIR_KEY_MIG ||
		    mobd_dir_vm_decode(family, &hoa, kvs[i].value,
				       kvs[i].value_len, &v))
			continue;
		mig_apply_put(a, &v, kvs[i].mod_revision);
		g = mig_find(a, family, &hoa);
		if (g)
			g->mark = a->range_mark;
	}
	for (g = a->migs; g; g = next) {
		next = g->next;
		if (g->mark != a->range_mark && g->mod_rev <= rev)
			mig_forget(a, g);
	}
}

/* Directory changes. */

static void dir_apply_put(struct mobd_agent *a, const struct mobd_dir_vm *v,
			  int64_t mod_rev)
{
	struct dent *old = dir_find(a, v->family, &v->hoa);
	struct vm *vm = vm_find(a, v->family, &v->hoa);
	bool known = old != NULL, same = false;
	char h[INET6_ADDRSTRLEN];
	struct dent *d;

	if (old && old->mod_rev >= mod_rev && old->mod_rev)
		return;		/* already applied (our own CAS reply) */
	/* An orphan claimed again with its MoA: the kernel has it already. */
	if (old && old->orphan)
		same = ip_eq(v->family, &old->v.moa, &v->moa);
	d = dir_store(a, v, mod_rev);
	if (!d)
		return;
	if (!strcmp(v->hv, a->c->hypervisor)) {
		if (vm && vm->claim_rev < mod_rev && !vm->claim_busy &&
		    ip_eq(v->family, &v->moa, &vm->moa))
			vm->claim_rev = mod_rev;
		return;
	}
	if (vm && vm->claim_busy)
		return;		/* claim_done() compares revisions */
	if (vm && vm->state != VM_CONFLICT) {
		vm_gone_elsewhere(a, vm, d);
		return;
	}
	if (same) {
		log_debug("directory: %s claimed again by %s; binding "
			  "unchanged", ntop(v->family, &v->hoa, h), v->hv);
		return;
	}
	dp_set_remote(a, v);
	if (!known && !vm)
		proxy_everywhere(a, v->family, &v->hoa, true);
}

/*
 * HOA's key is gone for good (deleted, or an orphan nobody claimed): the
 * binding goes, unless a VM here now gets its turn.  WHY ends "HoA ...".
 */
static void dir_forget(struct mobd_agent *a, int family,
		       const union mob_ip *hoa_in, const char *why)
{
	union mob_ip hoa = *hoa_in;	/* HOA_IN may be the entry's */
	struct vm *vm = vm_find(a, family, &hoa);
	char ip[INET6_ADDRSTRLEN];

	dir_remove(a, family, &hoa);
	if (vm) {
		if (vm->state == VM_CONFLICT && !vm->want_moa) {
			/* Its holder let go: the CAS decides who serves it. */
			log_info("directory: %s was released; trying again",
				 ntop(family, &hoa, ip));
			vm->state = VM_CLAIMING;
			vm->why[0] = 0;
			vm_activate(a, vm, NULL, true);
			return;
		}
		if (vm->state == VM_OWNED) {
			/* Our lease lapsed or someone deleted the key. */
			log_notice("directory: the key of %s vanished; "
				   "claiming it again", ntop(family, &hoa, ip));
			vm->state = VM_CLAIMING;
			vm->claim_rev = 0;
			claim(a, vm);
		}
		return;
	}
	log_info("directory: %s %s; removing its binding",
		 ntop(family, &hoa, ip), why);
	a->dp.del(a->dp.ctx, family, &hoa);
	proxy_everywhere(a, family, &hoa, false);
}

/* D's owner is back (its hv key is there): it has 2 x lease-ttl to claim. */
static bool orphan_owner_back(struct mobd_agent *a, struct dent *d,
			      uint64_t now)
{
	uint64_t until = now + 2000ull * a->c->lease_ttl;

	if (until >= d->orphan_until)
		return false;
	d->orphan_until = until;
	return true;
}

/*
 * Keep D's binding: its key went with its owner's lease, which says
 * nothing about the VM (the owner may be starved or cut off from etcd,
 * its kernel still translating).  It stays an orphan until someone puts
 * the key again (dir_apply_put()), until 2 x lease-ttl after the owner is
 * back without claiming it, or for orphan-hold at most (orphans_tick()).
 */
static void dent_orphan(struct mobd_agent *a, struct dent *d)
{
	char ip[INET6_ADDRSTRLEN];

	d->orphan = true;
	d->orphan_since = time(NULL);
	d->orphan_until = mobd_now_ms() + 1000ull * a->c->orphan_hold;
	a->n_orphans++;
	log_debug("directory: %s went with the lease of %s; keeping its "
		  "binding", ntop(d->v.family, &d->v.hoa, ip), d->v.hv);
}

/*
 * The key of HOA was deleted at revision REV; LAPSED: with the lease of
 * the hypervisor that held it.  True if its binding is kept (an orphan).
 */
static bool dir_apply_delete(struct mobd_agent *a, int family,
			     const union mob_ip *hoa, int64_t rev, bool lapsed)
{
	struct dent *d = dir_find(a, family, hoa);
	struct vm *vm = vm_find(a, family, hoa);

	if (d && (d->mod_rev > rev || d->orphan))
		return false;	/* older news than what we have */
	/* A VM served here keeps its binding and claims as before; one
	 * refused here waits: a lapse is no sign the holder's VM stopped. */
	if (lapsed && a->c->orphan_hold && dent_elsewhere(a, d) &&
	    (!vm || vm->state == VM_CONFLICT)) {
		dent_orphan(a, d);
		return true;
	}
	dir_forget(a, family, hoa, "is gone");
	return false;
}

/* Hypervisor NAME is in the directory (again): its orphans' clocks. */
static void orphans_owner_back(struct mobd_agent *a, const char *name)
{
	uint64_t now = mobd_now_ms();
	struct dent *d;
	size_t n = 0;
	int b;

	for (b = 0; a->n_orphans && b < DIR_BUCKETS; b++)
		for (d = a->dir[b]; d; d = d->next)
			if (d->orphan && !strcmp(d->v.hv, name))
				n += orphan_owner_back(a, d, now);
	if (n)
		log_notice("directory: hypervisor %s is back; the bindings of "
			   "%zu VM address(es) it has not claimed again go in "
			   "%u s unless it does", name, n,
			   2 * a->c->lease_ttl);
}

/* Orphans nobody claimed in time. */
static void orphans_tick(struct mobd_agent *a, uint64_t now)
{
	struct dent *d, *next;
	char why[MOBD_NAME_MAX + 64];
	int b;

	for (b = 0; a->n_orphans && b < DIR_BUCKETS; b++) {
		for (d = a->dir[b]; d; d = next) {
			next = d->next;
			if (!d->orphan || now < d->orphan_until)
				continue;
			snprintf(why, sizeof(why), "was not claimed again "
				 "since the lease of %s lapsed", d->v.hv);
			dir_forget(a, d->v.family, &d->v.hoa, why);
		}
	}
}

static struct site *site_find(struct mobd_agent *a, const char *name)
{
	struct site *s;

	for (s = a->sites; s; s = s->next)
		if (!strcmp(s->h.name, name))
			return s;
	return NULL;
}

static void site_apply(struct mobd_agent *a, const char *name,
		       const struct mobd_kv *kv, bool deleted)
{
	struct site **pp, *s = site_find(a, name);
	struct mobd_dir_hv h;

	if (deleted) {
		for (pp = &a->sites; *pp; pp = &(*pp)->next) {
			if (*pp == s) {
				*pp = s->next;
				free(s);
				log_info("directory: hypervisor %s left", name);
				break;
			}
		}
		/* Not an old lease's deletion that comes after our new key
		 * is written (a watch that lags). */
		if (!strcmp(name, a->c->hypervisor) &&
		    kv->mod_revision > a->site_rev) {
			a->site_dirty = true;
			a->site_ok = false;
			limbo_lapsed(a);
			lease_doubt(a);
		}
		return;
	}
	if (mobd_dir_hv_decode(name, kv->value, kv->value_len, &h))
		return;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return;
		s->next = a->sites;
		a->sites = s;
		if (strcmp(name, a->c->hypervisor))
			log_info("directory: hypervisor %s is up", name);
	}
	s->h = h;
	s->mod_rev = kv->mod_revision;
	s->create_rev = kv->create_revision;
	orphans_owner_back(a, name);
}

/* An hv key deleted in a watch batch: a lease lapsed or was revoked. */
struct lapse {
	char name[MOBD_NAME_MAX];
	int64_t rev;
	size_t kept;		/* VM keys that went with it, kept */
};

/* The lapse that took HOA's key with it at REV, if any. */
static struct lapse *lapse_of(struct mobd_agent *a, struct lapse *lp,
			      size_t n, int family, const union mob_ip *hoa,
			      int64_t rev)
{
	struct dent *d = n ? dir_find(a, family, hoa) : NULL;
	size_t i;

	if (!dent_elsewhere(a, d))
		return NULL;
	for (i = 0; i < n; i++)
		if (lp[i].rev == rev && !strcmp(lp[i].name, d->v.hv))
			return &lp[i];
	return NULL;
}

static void dir_apply_kv(struct mobd_agent *a, const struct mobd_kv *kv,
			 bool deleted, struct lapse *lp, size_t n_lp)
{
	char name[MOBD_NAME_MAX], ip[INET6_ADDRSTRLEN];
	struct mobd_dir_vm v;
	struct lapse *l;
	union mob_ip hoa;
	int family;

	switch (mobd_dir_key_parse(a->c->etcd_prefix, kv->key, kv->key_len,
				   &family, &hoa, name)) {
	case MOBD_DIR_KEY_VM:
		if (deleted) {
			l = lapse_of(a, lp, n_lp, family, &hoa,
				     kv->mod_revision);
			if (dir_apply_delete(a, family, &hoa, kv->mod_revision,
					     l != NULL))
				l->kept++;
			return;
		}
		if (mobd_dir_vm_decode(family, &hoa, kv->value, kv->value_len,
				       &v)) {
			log_warn("directory: bad value for %s; ignored",
				 ntop(family, &hoa, ip));
			return;
		}
		dir_apply_put(a, &v, kv->mod_revision);
		return;
	case MOBD_DIR_KEY_HV:
		site_apply(a, name, kv, deleted);
		return;
	case MOBD_DIR_KEY_MIG:
		if (deleted) {
			mig_apply_delete(a, family, &hoa, kv->mod_revision);
			return;
		}
		if (mobd_dir_vm_decode(family, &hoa, kv->value, kv->value_len,
				       &v)) {
			log_warn("directory: bad migration value for %s; "
				 "ignored", ntop(family, &hoa, ip));
			return;
		}
		mig_apply_put(a, &v, kv->mod_revision);
		return;
	default:
		log_debug("directory: ignoring key %.*s", (int)kv->key_len,
			  kv->key);
	}
}

/*
 * The hv keys deleted in a batch.  Every key of a lease goes in one
 * revision, and a revision's events come in one batch, in no particular
 * order: so this runs before any of them is applied.
 */
static size_t lapses_find(struct mobd_agent *a,
			  const struct mobd_etcd_event *ev, size_t n,
			  struct lapse **out)
{
	char name[MOBD_NAME_MAX];
	struct lapse *lp = NULL;
	union mob_ip hoa;
	size_t i, k = 0;
	int family, pass;

	/* Count, then fill. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			if (ev[i].type != MOBD_ETCD_DELETE ||
			    mobd_dir_key_parse(a->c->etcd_prefix, ev[i].kv.key,
					       ev[i].kv.key_len, &family, &hoa,
					       name) != MOBD_DIR_KEY_HV)
				continue;
			if (lp) {
				snprintf(lp[k].name, sizeof(lp[k].name), "%s",
					 name);
				lp[k].rev = ev[i].kv.mod_revision;
			}
			k++;
		}
		if (!k || pass)
			break;
		lp = calloc(k, sizeof(*lp));
		if (!lp)
			return 0;	/* plain deletes, as before */
		k = 0;
	}
	*out = lp;
	return k;
}

static void lapses_report(struct mobd_agent *a, const struct lapse *lp,
			  size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lp[i].kept)
			log_notice("directory: the lease of %s is gone with "
				   "the keys of %zu VM address(es); keeping "
				   "their bindings until they are claimed "
				   "again, for %u s at most (%u s once %s is "
				   "back)", lp[i].name, lp[i].kept,
				   a->c->orphan_hold, 2 * a->c->lease_ttl,
				   lp[i].name);
}

static void watch_events(void *arg, int64_t rev,
			 const struct mobd_etcd_event *ev, size_t n)
{
	struct mobd_agent *a = arg;
	struct lapse *lp = NULL;
	size_t i, n_lp;

	n_lp = lapses_find(a, ev, n, &lp);
	for (i = 0; i < n; i++)
		dir_apply_kv(a, &ev[i].kv, ev[i].type == MOBD_ETCD_DELETE,
			     lp, n_lp);
	lapses_report(a, lp, n_lp);
	free(lp);
	if (rev > a->rev)
		a->rev = rev;
	a->dir_up = true;
}

static void watch_created(void *arg)
{
	struct mobd_agent *a = arg;

	a->watch_fails = 0;
	a->dir_up = true;
	log_info("directory: watching from revision %" PRId64, a->rev + 1);
}

static void watch_closed(void *arg, int err, int64_t compact_rev)
{
	struct mobd_agent *a = arg;

	a->watch = NULL;
	if (err == -ERANGE) {
		log_notice("directory: revision %" PRId64 " was compacted "
			   "(now %" PRId64 "); reading everything again",
			   a->rev + 1, compact_rev);
		a->dir_synced = false;
		dir_start(a);
		return;
	}
	if (a->dir_up)
		log_warn("directory: watch broke (%s); keeping the bindings we "
			 "have and retrying", strerror(-err));
	a->dir_up = false;
	a->watch_fails++;
	a->watch_retry = mobd_now_ms() +
		(a->watch_fails < 4 ? 500u << a->watch_fails : 4000);
}

static const struct mobd_etcd_watch_ops watch_ops = {
	.created = watch_created,
	.events = watch_events,
	.closed = watch_closed,
};

static void watch_start(struct mobd_agent *a)
{
	a->watch_retry = 0;
	if (mobd_etcd_watch(a->etcd, a->c->etcd_prefix, a->rev + 1,
			    &watch_ops, a, &a->watch)) {
		a->watch = NULL;
		a->watch_retry = mobd_now_ms() + 1000;
	}
}

/* The hypervisors of a full read, replacing what we had. */
static void range_sites(struct mobd_agent *a, const struct mobd_kv *kvs,
			size_t n)
{
	struct site *s, *snext;
	char name[MOBD_NAME_MAX];
	union mob_ip hoa;
	int family;
	size_t i;

	for (s = a->sites; s; s = snext) {
		snext = s->next;
		free(s);
	}
	a->sites = NULL;
	for (i = 0; i < n; i++)
		if (mobd_dir_key_parse(a->c->etcd_prefix, kvs[i].key,
				       kvs[i].key_len, &family, &hoa, name) ==
		    MOBD_DIR_KEY_HV)
			site_apply(a, name, &kvs[i], false);
}

/*
 * A key that vanished while we did not look, as of revision REV.  Its
 * owner's hv key gone too, or created again since we saw the key: it
 * most likely went with the owner's lease, so it is kept as an orphan
 * (and the owner, if back, has 2 x lease-ttl to claim it).
 */
static void range_vanished(struct mobd_agent *a, struct dent *d, int64_t rev)
{
	struct site *s = site_find(a, d->v.hv);
	bool lapsed = !s || s->create_rev > d->mod_rev;

	if (dir_apply_delete(a, d->v.family, &d->v.hoa, rev, lapsed) && s)
		orphan_owner_back(a, d, mobd_now_ms());
}

/* The full read: at start and after a compaction. */
static void range_done(void *arg, int err, int64_t rev,
		       const struct mobd_kv *kvs, size_t n)
{
	struct mobd_agent *a = arg;
	struct dent *d, *next;
	union mob_ip hoa;
	char name[MOBD_NAME_MAX];
	int family, b;
	size_t i;

	a->range_busy = false;
	if (err) {
		if (a->dir_up || !a->watch_fails)
			log_warn("directory: reading it failed (%s); retrying",
				 strerror(-err));
		a->dir_up = false;
		a->watch_fails++;
		a->watch_retry = mobd_now_ms() + 2000;
		return;
	}
	a->dir_up = true;
	range_sites(a, kvs, n);
	/* Keys that are no longer there were deleted while we did not look. */
	a->range_mark++;
	for (i = 0; i < n; i++) {
		if (mobd_dir_key_parse(a->c->etcd_prefix, kvs[i].key,
				       kvs[i].key_len, &family, &hoa, name) !=
		    MOBD_DIR_KEY_VM)
			continue;
		d = dir_find(a, family, &hoa);
		if (d)
			d->mark = a->range_mark;
	}
	for (b = 0; b < DIR_BUCKETS; b++) {
		for (d = a->dir[b]; d; d = next) {
			next = d->next;
			if (d->mark != a->range_mark && d->mod_rev <= rev &&
			    !d->orphan)
				range_vanished(a, d, rev);
		}
	}
	for (i = 0; i < n; i++)
		if (mobd_dir_key_parse(a->c->etcd_prefix, kvs[i].key,
				       kvs[i].key_len, &family, &hoa, name) ==
		    MOBD_DIR_KEY_VM)
			dir_apply_kv(a, &kvs[i], false, NULL, 0);
	range_migs(a, kvs, n, rev);
	a->rev = rev;
	a->dir_synced = true;
	log_info("directory: %zu VM(s) at revision %" PRId64, a->n_dir, rev);
	watch_start(a);
	mobd_agent_reconcile(a);
}

static void dir_start(struct mobd_agent *a)
{
	if (a->range_busy)
		return;
	if (a->watch) {
		mobd_etcd_watch_cancel(a->watch);
		a->watch = NULL;
	}
	a->watch_retry = 0;
	if (mobd_etcd_range_prefix(a->etcd, a->c->etcd_prefix, range_done, a))
		a->watch_retry = mobd_now_ms() + 2000;
	else
		a->range_busy = true;
}

/* Leases and this hypervisor's own key. */

static void lease_path(const struct mobd_agent *a, char *buf, size_t len)
{
	snprintf(buf, len, "%s/lease", a->c->state_dir);
}

static void lease_save(struct mobd_agent *a)
{
	char path[MOBD_PATH_MAX + 16], tmp[MOBD_PATH_MAX + 24];
	FILE *f;

	lease_path(a, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	if (!f) {
		log_warn("state: cannot write %s: %s", tmp, strerror(errno));
		return;
	}
	fprintf(f, "%" PRId64 "\n", a->lease);
	if (fclose(f) || rename(tmp, path))
		log_warn("state: cannot write %s: %s", path, strerror(errno));
}

static int64_t lease_load(const struct mobd_agent *a)
{
	char path[MOBD_PATH_MAX + 16];
	long long id = 0;
	FILE *f;

	lease_path(a, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lld", &id) != 1)
		id = 0;
	fclose(f);
	return id;
}

static void site_put_done(void *arg, int err, int64_t rev)
{
	struct mobd_agent *a = arg;

	if (err) {
		a->site_dirty = true;	/* the tick writes it again */
		if (err == -ENOENT)
			lease_doubt(a);
		return;
	}
	/* The others see us back now: what we do not claim again in
	 * 2 x lease-ttl, they drop. */
	if (rev > a->site_rev)
		a->site_rev = rev;
	a->site_ok = true;
	limbo_confirm(a, true);
}

/* Our hv key (in KEY) and its value (malloc'ed; NULL on error). */
static char *site_value(struct mobd_agent *a, char *key, size_t len)
{
	struct mobd_dir_hv h = { 0 };
	char ip1[INET6_ADDRSTRLEN], ip2[INET6_ADDRSTRLEN];
	int i;

	snprintf(h.name, sizeof(h.name), "%s", a->c->hypervisor);
	h.since = a->started;
	for (i = 0; i < a->c->n_pools && i < MOBD_POOLS_MAX; i++) {
		const struct mobd_range *r = &a->c->pools[i];

		snprintf(h.pools[i], sizeof(h.pools[i]), "%s-%s",
			 ntop(r->family, &r->first, ip1),
			 ntop(r->family, &r->last, ip2));
	}
	h.n_pools = i;
	snprintf(h.version, sizeof(h.version), "%s", MOBD_VERSION);
	if (mobd_dir_hv_key(a->c->etcd_prefix, h.name, key, len))
		return NULL;
	return mobd_dir_hv_encode(&h);
}

static void site_put(struct mobd_agent *a)
{
	char key[256], *val;

	val = site_value(a, key, sizeof(key));
	if (!val)
		return;
	if (!mobd_etcd_put(a->etcd, key, val, strlen(val), a->lease,
			   site_put_done, a))
		a->site_dirty = false;
	free(val);
}

/*
 * Send what waits: the claims (with our hv key if it is due), else our
 * hv key alone, once no claim is in flight: the others never see us back
 * before the claims we made (they give an owner back in the directory
 * 2 x lease-ttl to claim its VMs again).
 */
static void dir_writes(struct mobd_agent *a)
{
	claims_flush(a);
	if (a->site_dirty && a->lease && !a->lease_doubt && !a->claimq &&
	    !a->claims_in_flight)
		site_put(a);
}

static void claim_all(struct mobd_agent *a)
{
	struct vm *vm;

	for (vm = a->vms; vm; vm = vm->next)
		if (vm->state != VM_CONFLICT)
			claim(a, vm);
}

static void lease_granted(void *arg, int err, int64_t id, int64_t ttl)
{
	struct mobd_agent *a = arg;

	a->lease_busy = false;
	if (err || ttl <= 0) {
		a->dir_up = false;
		a->lease_next = mobd_now_ms() + 2000;
		return;
	}
	a->dir_up = true;
	a->lease = id;
	a->lease_doubt = false;
	a->lease_sure = a->lease_sent + (uint64_t)ttl * 1000;
	a->site_ok = false;
	limbo_lapsed(a);	/* a new lease: the old one is gone */
	a->lease_next = a->lease_sent + (uint64_t)ttl * 1000 / 3;
	log_info("directory: lease %" PRIx64 " granted (%" PRId64 " s)",
		 (uint64_t)id, ttl);
	lease_save(a);
	/* Every claim was attached to the old lease: write them again, in
	 * as few transactions as they fit, our hv key with the first. */
	a->site_dirty = true;
	claim_all(a);
	dir_writes(a);
	sweep_own_keys(a);
}

static void lease_refreshed(void *arg, int err, int64_t id, int64_t ttl)
{
	struct mobd_agent *a = arg;
	struct vm *vm;

	a->lease_busy = false;
	if (err) {
		if (a->dir_up)
			log_warn("directory: lease refresh failed (%s); "
				 "keeping the bindings we have",
				 strerror(-err));
		a->dir_up = false;
		a->lease_next = mobd_now_ms() + 1000;
		return;
	}
	a->dir_up = true;
	if (ttl <= 0) {
		log_notice("directory: lease %" PRIx64 " expired; claiming "
			   "every VM again under a new one, with the same "
			   "MoAs", (uint64_t)id);
		/* The VMs keep their MoAs and bindings; only the keys go. */
		a->lease = 0;
		a->lease_doubt = false;
		a->site_ok = false;
		limbo_lapsed(a);
		for (vm = a->vms; vm; vm = vm->next) {
			vm->claim_rev = 0;
			if (vm->state == VM_OWNED)
				vm->state = VM_CLAIMING;
		}
		a->lease_sent = mobd_now_ms();
		a->lease_busy = !mobd_etcd_lease_grant(a->etcd,
						       a->c->lease_ttl,
						       lease_granted, a);
		return;
	}
	/* Alive when etcd took this refresh: if that was after we began to
	 * doubt it (our hv key deleted by hand, say), what waited can go. */
	if (a->lease_doubt && a->lease_sent >= a->lease_doubt_at)
		a->lease_doubt = false;
	if (!a->lease) {
		/* The lease of the agent before us lives on: keep it. */
		a->lease = id;
		log_info("directory: kept lease %" PRIx64 " of the previous "
			 "run", (uint64_t)id);
		a->site_dirty = true;
		claim_all(a);
		/* Whatever the previous run claimed and we do not run. */
		sweep_own_keys(a);
	}
	dir_writes(a);
	a->lease_sure = a->lease_sent + (uint64_t)ttl * 1000;
	if (a->site_ok)
		limbo_confirm(a, false);	/* it never lapsed */
	/* A third of the TTL after the last one left, not after its answer:
	 * a late answer must not space the refreshes etcd sees further. */
	a->lease_next = a->lease_doubt ? mobd_now_ms() :
			a->lease_sent + (uint64_t)ttl * 1000 / 3;
}

static void lease_tick(struct mobd_agent *a, uint64_t now);

/*
 * Our hv key went (etcd deletes it with the lease), or etcd refused a
 * write for want of our lease: ask whether the lease lives now rather
 * than at the next refresh, and hold the writes that would fail under a
 * lapsed one.  A refresh that is only late or lost says nothing of the
 * kind: the lease lives until etcd says otherwise (TTL 0).
 */
static void lease_doubt(struct mobd_agent *a)
{
	uint64_t now = mobd_now_ms();

	if (!dir_mode(a) || !a->lease || a->lease_doubt)
		return;
	a->lease_doubt = true;
	a->lease_doubt_at = now;
	log_info("directory: lease %" PRIx64 " may have lapsed; asking etcd",
		 (uint64_t)a->lease);
	a->lease_next = now;
	lease_tick(a, now);
}

static void lease_tick(struct mobd_agent *a, uint64_t now)
{
	int64_t id;

	if (a->lease_busy || now < a->lease_next)
		return;
	id = a->lease;
	if (!id && a->lease_next == 0)
		id = lease_load(a);	/* first time: the previous run's */
	a->lease_next = now + 1000;
	a->lease_sent = now;
	if (id)
		a->lease_busy = !mobd_etcd_lease_keepalive(a->etcd, id,
							   lease_refreshed, a);
	else
		a->lease_busy = !mobd_etcd_lease_grant(a->etcd,
						       a->c->lease_ttl,
						       lease_granted, a);
}

/* Reconciliation: make the kernel what the agent's state says. */

struct kview {
	size_t n, cap;
	struct mob_binding_info *b;
};

static void kview_add(void *arg, const struct mob_binding_info *b)
{
	struct kview *kv = arg;
	struct mob_binding_info *nb;

	if (kv->n == kv->cap) {
		kv->cap = kv->cap ? kv->cap * 2 : 64;
		nb = realloc(kv->b, kv->cap * sizeof(*nb));
		if (!nb) {
			kv->cap = kv->n;
			return;
		}
		kv->b = nb;
	}
	kv->b[kv->n++] = *b;
}

static void kview_restart(void *arg)
{
	((struct kview *)arg)->n = 0;
}

static const struct mob_binding_info *kview_find(const struct kview *kv,
						 int family,
						 const union mob_ip *hoa)
{
	size_t i;

	for (i = 0; i < kv->n; i++)
		if (kv->b[i].family == family &&
		    ip_eq(family, &kv->b[i].hoa, hoa))
			return &kv->b[i];
	return NULL;
}

/* Ports of learned VMs vanish with the VM: nobody else tells us. */
static void check_ports(struct mobd_agent *a)
{
	struct vm *vm, *next;
	char name[IFNAMSIZ];

	for (vm = a->vms; vm; vm = next) {
		next = vm->next;
		if (vm->source == SRC_LIBVIRT || !vm->ifindex)
			continue;
		if (a->dp.ifname(a->dp.ctx, vm->ifindex, name) ||
		    strcmp(name, vm->port))
			vm_depart(a, vm, "its port is gone");
	}
}

/*
 * Keys that name this hypervisor for a VM not served here (it stopped
 * while we were dead or etcd was away, or a claim reply came too late):
 * take them back, or they would outlive us under a reused lease.  Only
 * with a complete view of both the directory and libvirt.
 */
static void sweep_own_keys(struct mobd_agent *a)
{
	char h[INET6_ADDRSTRLEN];
	struct dent *d;
	struct vm *vm;
	int b;

	if (!dir_mode(a) || !a->dir_synced || !a->virt_synced || !a->lease)
		return;
	for (b = 0; b < DIR_BUCKETS; b++) {
		for (d = a->dir[b]; d; d = d->next) {
			if (dent_elsewhere(a, d))
				continue;
			vm = vm_find(a, d->v.family, &d->v.hoa);
			if (vm && vm->state != VM_CONFLICT)
				continue;
			log_notice("directory: %s names this hypervisor but "
				   "does not run here; removing the key",
				   ntop(d->v.family, &d->v.hoa, h));
			dir_take_back(a, d->v.family, &d->v.hoa, d->mod_rev);
		}
	}
}

void mobd_agent_reconcile(struct mobd_agent *a)
{
	struct kview kv = { 0 };
	struct mig *g;
	const struct mob_binding_info *kb;
	char h[INET6_ADDRSTRLEN];
	struct dent *d;
	struct vm *vm;
	size_t i;
	int b, err;

	a->next_reconcile = mobd_now_ms() + RECONCILE_EVERY_MS;
	check_ports(a);
	err = a->dp.dump(a->dp.ctx, kview_add, kview_restart, &kv);
	if (err) {
		log_err("kernel: reading the binding table: %s", strerror(-err));
		free(kv.b);
		return;
	}
	/* What should be there. */
	for (vm = a->vms; vm; vm = vm->next) {
		if (vm->state == VM_CONFLICT || !vm->has_moa)
			continue;
		/* A port that went down and up lost its gateway address. */
		if (vm->installed && vm_home(a, vm))
			a->dp.port_up(a->dp.ctx, vm->ifindex, vm_home(a, vm));
		kb = kview_find(&kv, vm->family, &vm->hoa);
		if (vm->leaving) {
			/* Paused to migrate: bound to where it goes. */
			if (!kb || kb->kind != MOB_KIND_REMOTE ||
			    !ip_eq(vm->family, &kb->moa, &vm->next_moa))
				dp_bind_remote(a, vm->family, &vm->hoa,
					       &vm->next_moa);
			continue;
		}
		if (!kb || kb->kind != MOB_KIND_LOCAL ||
		    kb->ifindex != vm->ifindex ||
		    !ip_eq(vm->family, &kb->moa, &vm->moa)) {
			log_notice("kernel: binding of %s differs; fixing",
				   ntop(vm->family, &vm->hoa, h));
			vm->installed = false;
			vm_install(a, vm);
		}
	}
	for (b = 0; dir_mode(a) && a->dir_synced && b < DIR_BUCKETS; b++) {
		for (d = a->dir[b]; d; d = d->next) {
			if (!dent_elsewhere(a, d))
				continue;
			vm = vm_find(a, d->v.family, &d->v.hoa);
			if (vm && vm->state != VM_CONFLICT)
				continue;
			kb = kview_find(&kv, d->v.family, &d->v.hoa);
			if (!kb || kb->kind != MOB_KIND_REMOTE ||
			    !ip_eq(d->v.family, &kb->moa, &d->v.moa)) {
				log_notice("kernel: binding of %s differs from "
					   "the directory; fixing",
					   ntop(d->v.family, &d->v.hoa, h));
				dp_set_remote(a, &d->v);
			}
		}
	}
	/* What should not. */
	for (i = 0; i < kv.n; i++) {
		kb = &kv.b[i];
		vm = vm_find(a, kb->family, &kb->hoa);
		if (vm && vm->state != VM_CONFLICT)
			continue;
		if (dir_mode(a) && a->dir_synced &&
		    dent_elsewhere(a, dir_find(a, kb->family, &kb->hoa)))
			continue;	/* made remote above */
		/* Single-hypervisor mode leaves remote bindings to the
		 * administrator; without a full view of the directory we
		 * keep what we have. */
		if (kb->kind == MOB_KIND_REMOTE &&
		    (!dir_mode(a) || !a->dir_synced))
			continue;
		log_notice("kernel: removing stale %s binding of %s",
			   mob_kind_name(kb->kind), ntop(kb->family, &kb->hoa, h));
		a->dp.del(a->dp.ctx, kb->family, &kb->hoa);
	}
	free(kv.b);
	/* Migrations elsewhere: their aliases, refreshed. */
	for (g = a->migs; g; g = g->next)
		mig_alias(a, g);
	sweep_own_keys(a);
}

/* The tick: retries, keepalives, periodic reconciliation. */
static void tick(int timer, void *opaque)
{
	struct mobd_agent *a = opaque;
	uint64_t now = mobd_now_ms();
	struct vm *vm, *next;

	if (dir_mode(a)) {
		lease_tick(a, now);
		if (!a->watch && !a->range_busy && a->watch_retry &&
		    now >= a->watch_retry) {
			if (a->dir_synced)
				watch_start(a);
			else
				dir_start(a);
		}
		dir_writes(a);
		orphans_tick(a, now);
		limbo_tick(a, now);
		mig_tick(a, now);
	}
	for (vm = a->vms; vm; vm = next) {
		next = vm->next;
		if (vm->left_at && now >= vm->left_at + MIG_CLAIM_WAIT_MS) {
			vm_depart(a, vm, "left by migration, and no "
				  "hypervisor claimed it");
			continue;
		}
		if (!vm->retry_at || now < vm->retry_at || vm->claim_busy)
			continue;
		vm->retry_at = 0;
		if (vm->state == VM_CONFLICT && vm->want_moa) {
			vm->state = VM_CLAIMING;
			vm->why[0] = 0;
			vm_activate(a, vm, NULL, true);
		} else {
			claim(a, vm);
		}
	}
	if (a->started_ok && now >= a->next_reconcile)
		mobd_agent_reconcile(a);
}

/* Kernel events. */

static bool vm_port(struct mobd_agent *a, uint32_t ifindex, char *name)
{
	if (!ifindex || a->dp.ifname(a->dp.ctx, ifindex, name))
		return false;
	return mobd_config_is_vm_port(a->c, name);
}

/*
 * An announcement from MAC on a VM port: the VM behind it runs here now.
 * Its addresses: those the directory has for that MAC, and the announced
 * one (gratuitous ARP / unsolicited NA), learned if allowed.
 */
static void on_announce(struct mobd_agent *a, const struct mob_event_info *e)
{
	struct arrival in = {
		.mac = e->lladdr, .ifindex = e->ifindex, .moved = true,
		.source = SRC_LEARNED,
	};
	char port[IFNAMSIZ];
	bool found = false;
	struct dent *d;
	struct vm *vm;
	int b;

	if (!e->has_lladdr || !vm_port(a, e->ifindex, port))
		return;
	for (vm = a->vms; vm; vm = vm->next) {
		if (!vm->has_mac || memcmp(vm->mac, e->lladdr, 6))
			continue;
		found = true;
		if (vm->ifindex != e->ifindex || vm->state == VM_CONFLICT) {
			in.family = vm->family;
			in.hoa = vm->hoa;
			in.source = vm->source;
			vm_arrive(a, &in);
		}
	}
	for (b = 0; b < DIR_BUCKETS; b++) {
		for (d = a->dir[b]; d; d = d->next) {
			if (!dent_elsewhere(a, d) || !d->v.has_mac ||
			    memcmp(d->v.mac, e->lladdr, 6))
				continue;
			in.family = d->v.family;
			in.hoa = d->v.hoa;
			in.source = SRC_LEARNED;
			in.name = d->v.vm[0] ? d->v.vm : NULL;
			/* vm_arrive() may change the directory cache only
			 * through callbacks, never here: safe to go on. */
			vm_arrive(a, &in);
			found = true;
		}
	}
	if (e->target_family && a->c->learn == MOBD_LEARN_ARP &&
	    !vm_find(a, e->target_family, &e->target)) {
		in.family = e->target_family;
		in.hoa = e->target;
		in.name = NULL;
		vm_arrive(a, &in);
		found = true;
	}
	if (!found)
		log_debug("announcement from " MAC_FMT " on %s: no VM known "
			  "by that MAC", MAC_ARGS(e->lladdr), port);
}

/* A VM resolving a neighbour: learn it if allowed and new. */
static void on_neigh(struct mobd_agent *a, const struct mob_event_info *e)
{
	struct arrival in = {
		.mac = e->has_lladdr ? e->lladdr : NULL, .ifindex = e->ifindex,
		.source = SRC_LEARNED,
	};
	char port[IFNAMSIZ];
	struct vm *vm;

	if (a->c->learn != MOBD_LEARN_ARP || !e->sender_family ||
	    !vm_port(a, e->ifindex, port))
		return;
	vm = vm_find(a, e->sender_family, &e->sender);
	if (vm && vm->ifindex == e->ifindex) {
		/* Adopted from the kernel, which does not know MACs: learn it,
		 * so the directory can follow the VM's RARP when it moves. */
		if (!vm->has_mac && e->has_lladdr && vm->state != VM_CONFLICT) {
			vm->has_mac = true;
			memcpy(vm->mac, e->lladdr, 6);
			vm_neigh(a, vm);
			claim(a, vm);
		}
		return;		/* known here; a conflict stays one */
	}
	in.family = e->sender_family;
	in.hoa = e->sender;
	vm_arrive(a, &in);
}

static void on_unknown_hoa(struct mobd_agent *a, const struct mob_event_info *e)
{
	const union mob_ip *dst = &e->target;
	char s[INET6_ADDRSTRLEN], t[INET6_ADDRSTRLEN];
	struct dent *d;

	if (!e->target_family)
		return;
	d = dir_find(a, e->target_family, dst);
	if (dent_elsewhere(a, d)) {
		log_notice("kernel: %s had no binding though the directory "
			   "has it on %s; installing it",
			   ntop(e->target_family, dst, t), d->v.hv);
		dp_set_remote(a, &d->v);
		return;
	}
	log_debug("kernel: dropped %s -> %s: no VM has that address",
		  e->sender_family ? ntop(e->sender_family, &e->sender, s) : "?",
		  ntop(e->target_family, dst, t));
}

void mobd_agent_kernel_event(struct mobd_agent *a, const struct mob_msg *m)
{
	if (!m->has_event)
		return;
	switch (m->cmd) {
	case MOB_CMD_ANNOUNCE:
		on_announce(a, &m->event);
		break;
	case MOB_CMD_NEIGH:
		on_neigh(a, &m->event);
		break;
	case MOB_CMD_UNKNOWN_HOA:
		on_unknown_hoa(a, &m->event);
		break;
	default:
		break;
	}
}

void mobd_agent_kernel_overrun(struct mobd_agent *a)
{
	a->next_reconcile = 0;
}

/* libvirt. */

void mobd_agent_no_virt(struct mobd_agent *a)
{
	a->virt_none = true;
	a->virt_synced = true;
}

void mobd_agent_domain(struct mobd_agent *a, const struct mobd_domain *d)
{
	struct arrival in = { .source = SRC_LIBVIRT, .name = d->name };
	bool here, incoming;
	struct vm *vm, *next;
	int i, j;

	if (d->state == MOBD_DOM_UNKNOWN) {
		log_warn("libvirt: domain %s could not be read; changing "
			 "nothing", d->name);
		return;
	}
	/* The destination of a migration, paused until it takes over: the
	 * source still runs the VM.  Its MoAs are reserved now; it takes
	 * them when it runs here. */
	incoming = d->incoming && d->state == MOBD_DOM_PAUSED;
	if (incoming) {
		for (i = 0; d->has_metadata && i < d->n_vif; i++)
			for (j = 0; j < d->vif[i].n_hoa; j++)
				incoming_prepare(a, d, &d->vif[i],
						 &d->vif[i].hoa[j]);
		return;
	}
	here = d->state == MOBD_DOM_RUNNING || d->state == MOBD_DOM_PAUSED;
	if (d->cause == MOBD_CAUSE_LIST && !here)
		return;
	a->stamp++;
	for (i = 0; here && d->has_metadata && i < d->n_vif; i++) {
		const struct mobd_vif *vif = &d->vif[i];
		uint32_t ifindex = vif->port[0] ?
			a->dp.ifindex(a->dp.ctx, vif->port) : 0;

		if (vif->n_hoa && !ifindex) {
			log_warn("libvirt: %s: interface " MAC_FMT " has no "
				 "port here (%s)", d->name, MAC_ARGS(vif->mac),
				 vif->port[0] ? vif->port : "no target dev");
			continue;
		}
		for (j = 0; j < vif->n_hoa; j++) {
			in.family = vif->hoa[j].family;
			in.hoa = vif->hoa[j].addr;
			in.mac = vif->mac;
			in.ifindex = ifindex;
			/* Running after a migration is evidence it moved
			 * here; paused (the source's last copy) is not. */
			in.moved = d->migrated && d->state == MOBD_DOM_RUNNING;
			vm = vm_arrive(a, &in);
			if (vm) {
				vm->seen = a->list_gen;
				vm->stamp = a->stamp;
			}
		}
	}
	/* HoAs of this domain we hold that it no longer has here. */
	for (vm = a->vms; vm; vm = next) {
		next = vm->next;
		if (vm->source != SRC_LIBVIRT || strcmp(vm->name, d->name))
			continue;
		if (here && vm->stamp == a->stamp)
			continue;
		if (!here && (d->migrated || vm->leaving || vm->left_at)) {
			/* Migrated away (its undefinition may follow): the
			 * destination claims it; until then the binding here
			 * keeps working, for MIG_CLAIM_WAIT_MS at most. */
			if (!vm->left_at) {
				log_info("libvirt: %s left by migration; "
					 "waiting for the destination's claim",
					 d->name);
				vm->left_at = mobd_now_ms();
			}
			continue;
		}
		if (here && d->cause == MOBD_CAUSE_LIST)
			continue;	/* settled in virt_connected() */
		vm_depart(a, vm, here ? "no longer in its metadata" :
			  "domain stopped");
	}
	if (!here)
		incoming_drop_domain(a, d->name, "its incoming migration ended");
	/* The source's side of a migration. */
	for (vm = a->vms; vm; vm = vm->next) {
		if (vm->source != SRC_LIBVIRT || strcmp(vm->name, d->name))
			continue;
		if (d->state == MOBD_DOM_PAUSED && d->migrated) {
			/* SUSPENDED_MIGRATED, or listed so after a restart. */
			vm->paused_mig = true;
			vm_leave(a, vm);
		} else if (d->state == MOBD_DOM_RUNNING) {
			vm->paused_mig = false;
			vm->left_at = 0;
			vm_stay(a, vm);
		}
	}
}

static int count_local(const struct mobd_agent *a)
{
	const struct vm *vm;
	int n = 0;

	for (vm = a->vms; vm; vm = vm->next)
		n += vm->state != VM_CONFLICT;
	return n;
}

void mobd_agent_virt_connected(struct mobd_agent *a)
{
	struct vm *vm, *next;

	struct incoming *in, *inext;

	for (in = a->incoming; in; in = inext) {
		inext = in->next;
		if (in->seen != a->list_gen)
			incoming_drop(a, in, "its domain is gone");
	}
	/* Domains we knew that were not listed stopped while we were away. */
	for (vm = a->vms; vm; vm = next) {
		next = vm->next;
		if (vm->source != SRC_LIBVIRT || vm->seen == a->list_gen)
			continue;
		if (vm->paused_mig || vm->leaving || vm->left_at) {
			/* Gone by migration: the claim is coming. */
			if (!vm->left_at)
				vm->left_at = mobd_now_ms();
			continue;
		}
		vm_depart(a, vm, "not running after reconnecting");
	}
	/* Bindings from the kernel that libvirt does not account for. */
	if (a->c->learn == MOBD_LEARN_METADATA) {
		for (vm = a->vms; vm; vm = next) {
			next = vm->next;
			if (vm->source == SRC_KERNEL)
				vm_depart(a, vm, "no running domain has it");
		}
	}
	a->virt_synced = true;
	log_info("libvirt: connected; %d local VM address(es)", count_local(a));
	a->list_gen++;
}

void mobd_agent_virt_disconnected(struct mobd_agent *a)
{
	/* Whatever was reported so far predates the next listing. */
	a->list_gen++;
	a->virt_synced = false;
	log_warn("libvirt: connection lost; the data plane keeps its state "
		 "until it is back");
}

bool mobd_agent_dir_synced(const struct mobd_agent *a)
{
	return !dir_mode(a) || a->dir_synced;
}

/* Start and stop. */

int mobd_agent_new(struct mobd_agent **ap, const struct mobd_config *c,
		   const struct mobd_dataplane *dp)
{
	struct mobd_agent *a;
	int err;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->c = c;
	a->dp = *dp;
	a->tick = -1;
	a->flush_timer = -1;
	a->claimq_tail = &a->claimq;
	a->started = time(NULL);
	a->list_gen = 1;
	err = mobd_pool_new(&a->pool, c->pools, c->n_pools,
			    (uint64_t)c->moa_hold * 1000);
	if (err)
		goto fail;
	if (c->n_etcd) {
		const char *eps[MOBD_ETCD_MAX];
		struct mobd_etcd_opts o = {
			.endpoints = eps, .n_endpoints = c->n_etcd,
			.cacert = c->etcd_cacert, .cert = c->etcd_cert,
			.key = c->etcd_key, .timeout_ms = c->etcd_timeout_ms,
		};
		int i;

		/* A late refresh still counts; one given up on may never
		 * reach etcd, and a loaded etcd answers late. */
		a->slow_ms = c->lease_ttl * 1000 / 2;
		if (a->slow_ms < c->etcd_timeout_ms)
			a->slow_ms = c->etcd_timeout_ms;
		o.lease_timeout_ms = a->slow_ms;
		for (i = 0; i < c->n_etcd; i++)
			eps[i] = c->etcd[i];
		err = mobd_etcd_new(&a->etcd, &o);
		if (err)
			goto fail;
	}
	*ap = a;
	return 0;
fail:
	mobd_agent_free(a);
	return err;
}

int mobd_agent_start(struct mobd_agent *a)
{
	struct kview kv = { 0 };
	char h[INET6_ADDRSTRLEN], m[INET6_ADDRSTRLEN];
	size_t i;
	int err;

	err = a->dp.sync_prefixes(a->dp.ctx, a->c->homes, a->c->n_homes);
	if (err) {
		log_err("kernel: setting the home prefixes: %s", strerror(-err));
		return err;
	}
	err = a->dp.dump(a->dp.ctx, kview_add, kview_restart, &kv);
	if (err) {
		log_err("kernel: reading the binding table: %s", strerror(-err));
		free(kv.b);
		return err;
	}
	/* Local bindings are VMs running here: keep their MoAs. */
	for (i = 0; i < kv.n; i++) {
		const struct mob_binding_info *b = &kv.b[i];
		struct arrival in = {
			.family = b->family, .hoa = b->hoa, .ifindex = b->ifindex,
			.source = SRC_KERNEL, .moa = &b->moa,
		};

		if (b->kind != MOB_KIND_LOCAL || !b->ifindex)
			continue;
		if (!mobd_pool_contains(a->pool, b->family, &b->moa)) {
			log_notice("kernel: %s has moa %s outside this "
				   "hypervisor's pool; giving it a new one",
				   ntop(b->family, &b->hoa, h),
				   ntop(b->family, &b->moa, m));
			in.moa = NULL;
		}
		log_info("kernel: adopting %s (moa %s) on ifindex %u",
			 ntop(b->family, &b->hoa, h),
			 ntop(b->family, &b->moa, m), b->ifindex);
		vm_arrive(a, &in);
	}
	free(kv.b);
	a->tick = virEventAddTimeout(TICK_MS, tick, a, NULL);
	if (a->tick < 0)
		return -ENOMEM;
	a->flush_timer = virEventAddTimeout(-1, flush_timer_cb, a, NULL);
	if (a->flush_timer < 0)
		return -ENOMEM;
	a->started_ok = true;
	a->next_reconcile = mobd_now_ms() + RECONCILE_EVERY_MS;
	if (dir_mode(a)) {
		a->site_dirty = true;
		lease_tick(a, mobd_now_ms());
		dir_start(a);
	}
	return 0;
}

void mobd_agent_free(struct mobd_agent *a)
{
	struct claim_batch *cb;
	struct claim_req *cr;
	struct incoming *in;
	struct mig *g;
	struct limbo *p;
	struct site *s;
	struct dent *d;
	struct vm *vm;
	int b;

	if (!a)
		return;
	if (a->tick >= 0)
		virEventRemoveTimeout(a->tick);
	if (a->flush_timer >= 0)
		virEventRemoveTimeout(a->flush_timer);
	if (a->watch)
		mobd_etcd_watch_cancel(a->watch);
	/* No callbacks after this: they would find a freed agent. */
	mobd_etcd_free(a->etcd);
	while ((cr = a->claimq)) {
		a->claimq = cr->next;
		claim_req_free(cr);
	}
	while ((cb = a->batches)) {
		a->batches = cb->next;
		while (cb->n)
			claim_req_free(cb->r[--cb->n]);
		free(cb);
	}
	while ((vm = a->vms)) {
		a->vms = vm->next;
		free(vm);
	}
	for (b = 0; b < DIR_BUCKETS; b++) {
		while ((d = a->dir[b])) {
			a->dir[b] = d->next;
			free(d);
		}
	}
	while ((s = a->sites)) {
		a->sites = s->next;
		free(s);
	}
	while ((p = a->limbo)) {
		a->limbo = p->next;
		free(p);
	}
	while ((in = a->incoming)) {
		a->incoming = in->next;
		free(in);
	}
	while ((g = a->migs)) {
		a->migs = g->next;
		free(g);
	}
	mobd_pool_free(a->pool);
	free(a);
}

/* Views for the control socket. */

static struct json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

static struct json_object *jaddr(int family, const union mob_ip *ip)
{
	char buf[INET6_ADDRSTRLEN];

	return jstr(ntop(family, ip, buf));
}

static struct json_object *show_vms(struct mobd_agent *a)
{
	struct json_object *arr = json_object_new_array(), *o;
	struct incoming *in;
	char mac[18];
	struct vm *vm;

	for (vm = a->vms; vm; vm = vm->next) {
		o = json_object_new_object();
		json_object_object_add(o, "name", jstr(vm->name));
		if (vm->has_mac) {
			snprintf(mac, sizeof(mac), MAC_FMT, MAC_ARGS(vm->mac));
			json_object_object_add(o, "mac", jstr(mac));
		}
		json_object_object_add(o, "hoa", jaddr(vm->family, &vm->hoa));
		if (vm->has_moa)
			json_object_object_add(o, "moa",
					       jaddr(vm->family, &vm->moa));
		json_object_object_add(o, "port", jstr(vm->port));
		json_object_object_add(o, "state",
				       jstr(vm_state_names[vm->state]));
		json_object_object_add(o, "source",
				       jstr(vm_source_names[vm->source]));
		json_object_object_add(o, "since",
				       json_object_new_int64(vm->since));
		if (vm->why[0])
			json_object_object_add(o, "reason", jstr(vm->why));
		if (vm->leaving)
			json_object_object_add(o, "next_moa",
					       jaddr(vm->family, &vm->next_moa));
		json_object_array_add(arr, o);
	}
	for (in = a->incoming; in; in = in->next) {
		o = json_object_new_object();
		json_object_object_add(o, "name", jstr(in->name));
		snprintf(mac, sizeof(mac), MAC_FMT, MAC_ARGS(in->mac));
		json_object_object_add(o, "mac", jstr(mac));
		json_object_object_add(o, "hoa", jaddr(in->family, &in->hoa));
		json_object_object_add(o, "moa", jaddr(in->family, &in->moa));
		json_object_object_add(o, "port", jstr(""));
		json_object_object_add(o, "state", jstr("incoming"));
		json_object_object_add(o, "source", jstr("libvirt"));
		json_object_object_add(o, "since",
				       json_object_new_int64(in->since));
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *show_pool(struct mobd_agent *a)
{
	struct json_object *arr = json_object_new_array(), *o;
	struct mobd_pool_usage u;
	int i;

	for (i = 0; !mobd_pool_usage(a->pool, i, mobd_now_ms(), &u); i++) {
		o = json_object_new_object();
		json_object_object_add(o, "first", jaddr(u.range->family,
							 &u.range->first));
		json_object_object_add(o, "last", jaddr(u.range->family,
							&u.range->last));
		json_object_object_add(o, "size", u.size == UINT64_MAX ? NULL :
				       json_object_new_uint64(u.size));
		json_object_object_add(o, "used", json_object_new_uint64(u.used));
		json_object_object_add(o, "held", json_object_new_uint64(u.held));
		json_object_array_add(arr, o);
	}
	return arr;
}

static int count_vms_of(struct mobd_agent *a, const char *hv)
{
	struct dent *d;
	int b, n = 0;

	for (b = 0; b < DIR_BUCKETS; b++)
		for (d = a->dir[b]; d; d = d->next)
			n += !strcmp(d->v.hv, hv);
	return n;
}

/* HV's orphans into SITE: "orphaned" (a count), "orphans" (if any). */
static void show_orphans(struct mobd_agent *a, struct json_object *site,
			 const char *hv)
{
	struct json_object *arr = json_object_new_array(), *o;
	uint64_t now = mobd_now_ms();
	time_t t = time(NULL);
	struct dent *d;
	int64_t left;
	int b, n = 0;

	for (b = 0; a->n_orphans && b < DIR_BUCKETS; b++) {
		for (d = a->dir[b]; d; d = d->next) {
			if (!d->orphan || strcmp(d->v.hv, hv))
				continue;
			left = d->orphan_until > now ?
			       (int64_t)(d->orphan_until - now) / 1000 : 0;
			o = json_object_new_object();
			json_object_object_add(o, "hoa", jaddr(d->v.family,
							       &d->v.hoa));
			json_object_object_add(o, "moa", jaddr(d->v.family,
							       &d->v.moa));
			json_object_object_add(o, "since", json_object_new_int64(
						       d->orphan_since));
			json_object_object_add(o, "until", json_object_new_int64(
						       t + left));
			json_object_array_add(arr, o);
			n++;
		}
	}
	json_object_object_add(site, "orphaned", json_object_new_int(n));
	if (n)
		json_object_object_add(site, "orphans", arr);
	else
		json_object_put(arr);
}

static bool site_listed(struct json_object *arr, const char *name)
{
	struct json_object *v;
	size_t i;

	for (i = 0; i < json_object_array_length(arr); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(arr, i),
					      "name", &v) &&
		    !strcmp(json_object_get_string(v), name))
			return true;
	return false;
}

/* Hypervisors whose key is gone but whose VMs' bindings are kept. */
static void show_lapsed_sites(struct mobd_agent *a, struct json_object *arr)
{
	struct json_object *o;
	struct dent *d;
	int b;

	for (b = 0; a->n_orphans && b < DIR_BUCKETS; b++) {
		for (d = a->dir[b]; d; d = d->next) {
			if (!d->orphan || site_listed(arr, d->v.hv))
				continue;
			o = json_object_new_object();
			json_object_object_add(o, "name", jstr(d->v.hv));
			json_object_object_add(o, "self",
					       json_object_new_boolean(0));
			json_object_object_add(o, "up",
					       json_object_new_boolean(0));
			json_object_object_add(o, "vms", json_object_new_int(
					count_vms_of(a, d->v.hv)));
			show_orphans(a, o, d->v.hv);
			json_object_array_add(arr, o);
		}
	}
}

/* Claims not sent yet, and sent but not answered. */
static void show_claims(struct mobd_agent *a, struct json_object *top)
{
	const struct claim_batch *b;
	const struct claim_req *r;
	size_t queued = 0, sent = 0;

	for (r = a->claimq; r; r = r->next)
		queued++;
	for (b = a->batches; b; b = b->next)
		sent += b->n;
	json_object_object_add(top, "claims_queued",
			       json_object_new_uint64(queued));
	json_object_object_add(top, "claims_in_flight",
			       json_object_new_uint64(sent));
}

static struct json_object *show_sites(struct mobd_agent *a)
{
	struct json_object *top = json_object_new_object(), *arr, *o, *p;
	bool self_listed = false;
	struct site *s;
	struct mig *g;
	struct vm *vm;
	int i, n = 0;

	json_object_object_add(top, "hypervisor", jstr(a->c->hypervisor));
	json_object_object_add(top, "mode", jstr(dir_mode(a) ? "directory" :
						 "single"));
	if (dir_mode(a)) {
		json_object_object_add(top, "directory",
				       jstr(a->dir_up ? "up" : "unreachable"));
		json_object_object_add(top, "synced",
				       json_object_new_boolean(a->dir_synced));
		json_object_object_add(top, "revision",
				       json_object_new_int64(a->rev));
		json_object_object_add(top, "vms",
				       json_object_new_uint64(a->n_dir));
		json_object_object_add(top, "orphaned",
				       json_object_new_uint64(a->n_orphans));
		show_claims(a, top);
	}
	json_object_object_add(top, "libvirt",
			       jstr(a->virt_none ? "none" : a->virt_synced ?
				    "connected" : "disconnected"));
	arr = json_object_new_array();
	for (s = a->sites; s; s = s->next) {
		o = json_object_new_object();
		json_object_object_add(o, "name", jstr(s->h.name));
		json_object_object_add(o, "self", json_object_new_boolean(
					       !strcmp(s->h.name,
						       a->c->hypervisor)));
		self_listed |= !strcmp(s->h.name, a->c->hypervisor);
		json_object_object_add(o, "up", json_object_new_boolean(1));
		json_object_object_add(o, "since",
				       json_object_new_int64(s->h.since));
		json_object_object_add(o, "version", jstr(s->h.version));
		p = json_object_new_array();
		for (i = 0; i < s->h.n_pools; i++)
			json_object_array_add(p, jstr(s->h.pools[i]));
		json_object_object_add(o, "pools", p);
		json_object_object_add(o, "vms", json_object_new_int(
					       count_vms_of(a, s->h.name)));
		show_orphans(a, o, s->h.name);
		json_object_array_add(arr, o);
	}
	show_lapsed_sites(a, arr);
	if (!self_listed) {
		o = json_object_new_object();
		json_object_object_add(o, "name", jstr(a->c->hypervisor));
		json_object_object_add(o, "self", json_object_new_boolean(1));
		json_object_object_add(o, "since",
				       json_object_new_int64(a->started));
		json_object_object_add(o, "version", jstr(MOBD_VERSION));
		for (vm = a->vms; vm; vm = vm->next)
			n += vm->state != VM_CONFLICT;
		json_object_object_add(o, "vms", json_object_new_int(n));
		json_object_array_add(arr, o);
	}
	json_object_object_add(top, "sites", arr);
	/* Migrations under way, as the directory announced them. */
	arr = json_object_new_array();
	for (g = a->migs; g; g = g->next) {
		o = json_object_new_object();
		json_object_object_add(o, "hoa", jaddr(g->v.family, &g->v.hoa));
		json_object_object_add(o, "to", jstr(g->v.hv));
		json_object_object_add(o, "moa", jaddr(g->v.family, &g->v.moa));
		if (g->v.vm[0])
			json_object_object_add(o, "vm", jstr(g->v.vm));
		json_object_array_add(arr, o);
	}
	json_object_object_add(top, "migrations", arr);
	return top;
}

struct json_object *mobd_agent_show(struct mobd_agent *a, const char *what)
{
	if (!strcmp(what, "vms"))
		return show_vms(a);
	if (!strcmp(what, "pool"))
		return show_pool(a);
	if (!strcmp(what, "sites"))
		return show_sites(a);
	return NULL;
}
