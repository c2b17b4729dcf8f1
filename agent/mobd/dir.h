/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The directory's contents: how bindings and hypervisors are written in
 * etcd.  Pure functions, no I/O.
 *
 *   PREFIX "vm/" HOA   (HOA as inet_ntop writes it: the canonical form)
 *     {"moa":"10.2.1.5","hv":"hv2","mac":"52:54:00:12:34:56","vm":"web1"}
 *     The VM with home address HOA runs on hypervisor "hv" with mobile
 *     address "moa" (same family).  Written under the owner's lease.
 *
 *   PREFIX "mig/" HOA
 *     {"moa":"10.3.1.7","hv":"hv3","mac":"52:54:00:12:34:56","vm":"web1"}
 *     A live migration of HOA's VM to hypervisor "hv" is under way; the
 *     VM will have mobile address "moa" there.  Written by the destination
 *     when libvirt starts the incoming VM (under its lease), deleted once
 *     its claim of the VM key is through or the migration failed.  The
 *     others accept packets from that MoA before the VM key changes.
 *
 *   PREFIX "hv/" NAME
 *     {"name":"hv2","since":1763900000,"pools":["10.2.1.0/24"],
 *      "version":"0.1.0"}
 *     A live hypervisor (under its lease).
 *
 * Decoding is strict: a value that is not an object, misses "moa" or
 * "hv", holds a bad address, MoA of the other family, or a key that is not
 * canonical gives -EINVAL.  Unknown members are ignored (newer agents may
 * add some).
 */
#ifndef MOBD_DIR_H
#define MOBD_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct mobd_dir_vm {
	int family;
	union mob_ip hoa;
	union mob_ip moa;
	char hv[MOBD_NAME_MAX];
	bool has_mac;
	uint8_t mac[6];
	char vm[128];			/* "" if not known */
};

struct mobd_dir_hv {
	char name[MOBD_NAME_MAX];
	int64_t since;			/* unix time the agent started */
	int n_pools;
	char pools[MOBD_POOLS_MAX][96];	/* as configured, "a/n" or "a-b" */
	char version[32];
};

enum mobd_dir_key_type {
	MOBD_DIR_KEY_OTHER,
	MOBD_DIR_KEY_VM,
	MOBD_DIR_KEY_HV,
	MOBD_DIR_KEY_MIG,	/* same value as a VM key: where it goes */
};

/* Key builders; -ENAMETOOLONG if LEN is too small. */
int mobd_dir_vm_key(const char *prefix, int family, const union mob_ip *hoa,
		    char *buf, size_t len);
int mobd_dir_mig_key(const char *prefix, int family, const union mob_ip *hoa,
		     char *buf, size_t len);
int mobd_dir_hv_key(const char *prefix, const char *name, char *buf,
		    size_t len);

/*
 * What KEY (not NUL-terminated) is.  For a VM or migration key the HoA is
 * stored in FAMILY/HOA, for a hypervisor key the name in NAME
 * (MOBD_NAME_MAX).
 * A key under PREFIX that is malformed is MOBD_DIR_KEY_OTHER.
 */
enum mobd_dir_key_type mobd_dir_key_parse(const char *prefix, const char *key,
					  size_t len, int *family,
					  union mob_ip *hoa, char *name);

/* Encoders return a malloc'ed NUL-terminated JSON string, NULL on ENOMEM. */
char *mobd_dir_vm_encode(const struct mobd_dir_vm *v);
char *mobd_dir_hv_encode(const struct mobd_dir_hv *h);
/* Decoders; the VM's family and HoA come from its key and are given. */
int mobd_dir_vm_decode(int family, const union mob_ip *hoa, const char *val,
		       size_t len, struct mobd_dir_vm *v);
int mobd_dir_hv_decode(const char *name, const char *val, size_t len,
		       struct mobd_dir_hv *h);

#endif /* MOBD_DIR_H */
