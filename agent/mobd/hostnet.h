/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host networking for the VMs running here (libnl-route-3), so that a VM
 * keeps its own address, netmask and gateway on every hypervisor:
 *
 *  - a host route to each local HoA through its VM port (/32 or /128,
 *    protocol MOBD_RTPROT, so mobd's routes can be told from others);
 *  - on each VM port: proxy ARP (net.ipv4.conf.PORT.proxy_arp = 1), so the
 *    host answers the VM's ARP for its gateway and for every other HoA of
 *    its subnet; proxy NDP (net.ipv6.conf.PORT.proxy_ndp = 1) and, for
 *    IPv6, a neighbour proxy entry per address the VM may solicit (its
 *    gateway if not link-local, and every other HoA known in its prefix);
 *    a link-local IPv6 gateway (for example fe80::1) is added to the port
 *    as an address instead;
 *  - the VM's own neighbour entry (HoA -> its MAC, permanent) on its
 *    port, so the host never resolves a VM it already knows;
 *  - IPv4 and IPv6 forwarding are left to the administrator (documented).
 *
 * All calls act on the network namespace mobd runs in and are idempotent:
 * adding what exists or deleting what is absent succeeds.
 *
 * Details: port_up also sets the port's neigh proxy_delay to 0 (proxy
 * answers are otherwise delayed up to 0.8 s), and with a NULL HOME sets
 * both proxy sysctls.  route_add replaces a host route to HOA through
 * another port; an IPv4 route needs the port up (-ENETDOWN).  Deleting on
 * a port that is gone succeeds.  routes() reads the whole dump before
 * calling CB, so CB may call route_del.
 */
#ifndef MOBD_HOSTNET_H
#define MOBD_HOSTNET_H

#include <stdint.h>

#include "config.h"

#define MOBD_RTPROT	77	/* rtm_protocol of mobd's host routes */

struct mobd_hostnet;

int mobd_hostnet_open(struct mobd_hostnet **hp);
void mobd_hostnet_close(struct mobd_hostnet *h);

/*
 * Prepare a VM port for the VM's home prefix HOME: sysctls, and the
 * gateway address if it is link-local.  -ENODEV if IFINDEX is gone.
 */
int mobd_hostnet_port_up(struct mobd_hostnet *h, uint32_t ifindex,
			 const struct mobd_home *home);

/* The host route to HOA through IFINDEX. */
int mobd_hostnet_route_add(struct mobd_hostnet *h, uint32_t ifindex,
			   int family, const union mob_ip *hoa);
int mobd_hostnet_route_del(struct mobd_hostnet *h, uint32_t ifindex,
			   int family, const union mob_ip *hoa);

/* A neighbour proxy entry (IPv6) for ADDR on IFINDEX; IPv4 needs none
 * (proxy ARP answers for everything routed elsewhere): 0 at once. */
int mobd_hostnet_proxy_add(struct mobd_hostnet *h, uint32_t ifindex,
			   int family, const union mob_ip *addr);
int mobd_hostnet_proxy_del(struct mobd_hostnet *h, uint32_t ifindex,
			   int family, const union mob_ip *addr);

/*
 * The VM's permanent neighbour entry ADDR -> MAC on IFINDEX (replaces
 * what is there), so the host never has to resolve a VM it knows.
 * Deleting an absent entry, or on a port that is gone, succeeds.
 */
int mobd_hostnet_neigh_add(struct mobd_hostnet *h, uint32_t ifindex,
			   int family, const union mob_ip *addr,
			   const uint8_t mac[6]);
int mobd_hostnet_neigh_del(struct mobd_hostnet *h, uint32_t ifindex,
			   int family, const union mob_ip *addr);

/*
 * Every host route of protocol MOBD_RTPROT now present, for reconciling
 * at start: CB is called once per route.
 */
int mobd_hostnet_routes(struct mobd_hostnet *h,
			void (*cb)(void *arg, uint32_t ifindex, int family,
				   const union mob_ip *dst),
			void *arg);

#endif /* MOBD_HOSTNET_H */
