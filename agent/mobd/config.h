/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mobd's configuration file (default /etc/mob/mobd.conf): one setting per
 * line, "key = value"; '#' starts a comment; blank lines are ignored; keys
 * marked (list) may be given several times and add up.  The format and
 * every key are documented in mobd.conf(5) (agent/man/mobd.conf.5).
 *
 *   hypervisor = NAME          this hypervisor's name in the directory
 *                              (default: the host name); [A-Za-z0-9._-]
 *   libvirt = URI | none       libvirt connection (default qemu:///system)
 *   control-socket = PATH      default /run/mob/mobd.sock
 *   control-group = GROUP      group allowed to use it (default: root only)
 *   state-dir = DIR            default /var/lib/mob
 *   log-level = LEVEL          err, warning, notice, info (default), debug
 *   vm-ports = GLOB...         (list) interfaces that are VM ports
 *                              (default vnet*)
 *   learn = metadata | arp     where VMs come from: libvirt metadata only
 *                              (default), or also a VM's first ARP / ND
 *   pool = CIDR | FIRST-LAST   (list) this hypervisor's MoAs, IPv4 or IPv6
 *   home = CIDR [gateway ADDR] (list) a home prefix (the HoA space) and the
 *                              gateway its VMs use
 *   etcd = URL                 (list) etcd v3 endpoints; none: this
 *                              hypervisor runs alone (single-hypervisor mode)
 *   etcd-prefix = PREFIX       key prefix, default /mob/
 *   etcd-cacert = FILE, etcd-cert = FILE, etcd-key = FILE   TLS
 *   etcd-timeout = MS          per request, default 2000
 *   lease-ttl = SECONDS        default 10, 2 .. 3600; the same on every
 *                              hypervisor (others wait 2 x theirs for ours)
 *   moa-hold = SECONDS         a released MoA is not reused for this long
 *                              (default 30, 0 .. 86400), counted from when
 *                              nobody can send to it any more; for a VM that
 *                              left while our lease may have lapsed, that is
 *                              2 x lease-ttl after our hv key is back, so a
 *                              moa-hold below 2 x lease-ttl is no error
 *   orphan-hold = SECONDS      the longest a binding is kept after its key
 *                              went with its owner's lease (default 600,
 *                              0 .. 86400; 0: dropped at once); it ends
 *                              sooner with a claim, or 2 x lease-ttl after
 *                              the owner's hv key is back
 *
 * Errors name the file and line: "FILE:LINE: what is wrong".
 *
 * '#' starts a comment anywhere on a line.  The first time a list key is
 * given in a file it replaces the default.  The default hypervisor name is
 * the host name cut at its first character outside [A-Za-z0-9._-], or
 * "localhost" if nothing is left.  A CIDR pool is stored without the
 * addresses a subnet reserves (IPv4 network and broadcast from /30 up, the
 * IPv6 subnet-router anycast address from /126 up); FIRST-LAST as written.
 */
#ifndef MOBD_CONFIG_H
#define MOBD_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>

#include "mobnl.h"

#define MOBD_NAME_MAX		64	/* hypervisor name, with the NUL */
#define MOBD_PATH_MAX		256
#define MOBD_POOLS_MAX		32
#define MOBD_HOMES_MAX		MOB_PREFIXES_MAX
#define MOBD_ETCD_MAX		8
#define MOBD_PORT_GLOBS_MAX	16

struct mobd_range {
	int family;			/* AF_INET or AF_INET6 */
	union mob_ip first, last;	/* inclusive, first <= last */
};

struct mobd_home {
	struct mob_prefix_info prefix;
	bool has_gateway;
	union mob_ip gateway;		/* same family as the prefix */
};

enum mobd_learn {
	MOBD_LEARN_METADATA,
	MOBD_LEARN_ARP,
};

struct mobd_config {
	char hypervisor[MOBD_NAME_MAX];
	char libvirt_uri[MOBD_PATH_MAX];	/* "" when libvirt = none */
	char control_socket[108];		/* sun_path */
	char control_group[64];			/* "" : root only */
	char state_dir[MOBD_PATH_MAX];
	int log_level;
	int n_port_globs;
	char port_globs[MOBD_PORT_GLOBS_MAX][IFNAMSIZ];
	enum mobd_learn learn;
	int n_pools;
	struct mobd_range pools[MOBD_POOLS_MAX];
	int n_homes;
	struct mobd_home homes[MOBD_HOMES_MAX];
	int n_etcd;				/* 0: single-hypervisor mode */
	char etcd[MOBD_ETCD_MAX][MOBD_PATH_MAX];
	char etcd_prefix[128];
	char etcd_cacert[MOBD_PATH_MAX];
	char etcd_cert[MOBD_PATH_MAX];
	char etcd_key[MOBD_PATH_MAX];
	unsigned int etcd_timeout_ms;
	unsigned int lease_ttl;			/* seconds */
	unsigned int moa_hold;			/* seconds */
	unsigned int orphan_hold;		/* seconds, 0: none */
	/* Claims in one etcd transaction, at most (not in the file: 64,
	 * within etcd's --max-txn-ops of 128; tests make it smaller). */
	unsigned int claim_batch;
};

/* Every default; the host name as the hypervisor name. */
void mobd_config_defaults(struct mobd_config *c);

/*
 * Read settings from F (named NAME in messages) over C, which holds the
 * defaults.  On the first error returns -EINVAL (or -errno of a failed
 * read) and writes "NAME:LINE: message" to ERR; C may then be half-read
 * and must not be used.  After the last line the whole is checked (pools
 * overlapping each other or a home prefix, a pool of a family no home
 * prefix has, duplicate keys that are not lists): those errors name the
 * line of the later setting.
 */
int mobd_config_parse(struct mobd_config *c, FILE *f, const char *name,
		      char *err, size_t errlen);
/* The same from a file; -ENOENT etc. if it cannot be opened. */
int mobd_config_load(struct mobd_config *c, const char *path,
		     char *err, size_t errlen);

/* Does IFNAME match one of the vm-ports globs? */
bool mobd_config_is_vm_port(const struct mobd_config *c, const char *ifname);
/* The home prefix holding ADDR, or NULL. */
const struct mobd_home *mobd_config_home_of(const struct mobd_config *c,
					    int family,
					    const union mob_ip *addr);

#endif /* MOBD_CONFIG_H */
