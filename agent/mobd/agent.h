/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The agent's state machine: what runs here, what the directory says runs
 * elsewhere, and the kernel table that follows from both.
 *
 * Inputs: libvirt domains (mobd_agent_domain), kernel events
 * (mobd_agent_kernel_event), the directory (etcd, driven inside), a 1 s
 * tick.  Outputs: the data plane (kernel bindings and host networking),
 * through struct mobd_dataplane so that tests can stand in for the kernel,
 * and the directory.
 *
 * A VM here ("local") is one home address on one VM port.  Its life:
 *
 *   arrive --> CLAIMING --(CAS won)--> OWNED --(someone else's claim)--> gone
 *                 |                      |
 *                 +--(refused)--> CONFLICT <--(a newer claim elsewhere)
 *
 * A claim is a compare-and-swap on the HoA's key: it succeeds only over
 * the version of the key this agent has seen.  Taking a key that another
 * live hypervisor holds needs evidence that the VM moved here: an
 * announcement (RARP, gratuitous ARP, unsolicited NA) from its MAC on a VM
 * port, or libvirt reporting it resumed here by migration.  Without it
 * (a VM started here with an address that runs elsewhere, an ordinary ARP
 * from it), the claim is refused and the VM is in CONFLICT: no binding
 * here, the directory unchanged.  The local binding is installed before the
 * claim is answered (the VM's own packets flow at once); a refused or lost
 * claim removes it.
 *
 * Elsewhere ("remote"), the kernel follows the directory's VM keys, except
 * keys that went with their holder's lease (its hv key deleted in the same
 * revision): a lapsed lease says nothing about the VMs, so their bindings
 * stay as orphans until the key is written again, until 2 x lease-ttl
 * after the holder's hv key is back without it, or orphan-hold at most.
 * An orphan is claimed here like an absent key.
 *
 * A live migration that libvirt reports is prepared before the VM moves
 * (the destination reserves its MoAs and announces them under "mig/", the
 * others accept them, the source forwards once the VM pauses), so that
 * its arrival only flips local state; see "Live migration" in agent.c.
 */
#ifndef MOBD_AGENT_H
#define MOBD_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "mobnl.h"
#include "virt.h"

#ifndef MOBD_VERSION
#define MOBD_VERSION "0.0.0"
#endif

struct json_object;

/* What the agent changes; every call returns 0 or -errno. */
struct mobd_dataplane {
	void *ctx;
	int (*set)(void *ctx, const struct mob_binding_info *b);
	int (*del)(void *ctx, int family, const union mob_ip *hoa);
	/* Aliases: one more MoA for a HoA (uapi/linux/mob.h); deleting an
	 * absent one is no error. */
	int (*alias_set)(void *ctx, const struct mob_alias_info *al);
	int (*alias_del)(void *ctx, int family, const union mob_ip *moa);
	int (*dump)(void *ctx,
		    void (*cb)(void *arg, const struct mob_binding_info *b),
		    void (*restart)(void *arg), void *arg);
	int (*sync_prefixes)(void *ctx, const struct mobd_home *homes, int n);
	int (*port_up)(void *ctx, uint32_t ifindex,
		       const struct mobd_home *home);
	int (*route_add)(void *ctx, uint32_t ifindex, int family,
			 const union mob_ip *hoa);
	int (*route_del)(void *ctx, uint32_t ifindex, int family,
			 const union mob_ip *hoa);
	int (*proxy_add)(void *ctx, uint32_t ifindex, int family,
			 const union mob_ip *addr);
	int (*proxy_del)(void *ctx, uint32_t ifindex, int family,
			 const union mob_ip *addr);
	/* The VM's own neighbour entry (HoA -> MAC) on its port. */
	int (*neigh_add)(void *ctx, uint32_t ifindex, int family,
			 const union mob_ip *addr, const uint8_t mac[6]);
	int (*neigh_del)(void *ctx, uint32_t ifindex, int family,
			 const union mob_ip *addr);
	/* if_nametoindex / if_indextoname in the agent's namespace. */
	uint32_t (*ifindex)(void *ctx, const char *name);
	int (*ifname)(void *ctx, uint32_t ifindex, char *name);
};

struct mobd_agent;

/* C and DP must outlive the agent. */
int mobd_agent_new(struct mobd_agent **ap, const struct mobd_config *c,
		   const struct mobd_dataplane *dp);
/*
 * Read the kernel's table and adopt what is there (so a restarted agent
 * keeps its VMs' MoAs), make the home prefixes the configured ones, start
 * the directory.  Errors: the kernel could not be read.
 */
int mobd_agent_start(struct mobd_agent *a);
void mobd_agent_free(struct mobd_agent *a);

void mobd_agent_kernel_event(struct mobd_agent *a, const struct mob_msg *m);
void mobd_agent_kernel_overrun(struct mobd_agent *a);

/* No libvirt at all (libvirt = none): local VMs come from ARP only. */
void mobd_agent_no_virt(struct mobd_agent *a);
void mobd_agent_domain(struct mobd_agent *a, const struct mobd_domain *d);
void mobd_agent_virt_connected(struct mobd_agent *a);
void mobd_agent_virt_disconnected(struct mobd_agent *a);

/* Make the kernel table and host routes what they should be, now. */
void mobd_agent_reconcile(struct mobd_agent *a);

/* The directory's state, for tests and "mobctl site show". */
bool mobd_agent_dir_synced(const struct mobd_agent *a);

/*
 * Views for the control socket: "vms", "pool", "sites".  A new JSON
 * object (the caller puts it), or NULL for an unknown view.
 */
struct json_object *mobd_agent_show(struct mobd_agent *a, const char *what);

#endif /* MOBD_AGENT_H */
