/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvirt, as mobd sees it: which domains run here, their interfaces, and
 * the home addresses their XML declares in mobd's <metadata> namespace:
 *
 *   <metadata>
 *     <mob:vm xmlns:mob="http://mob.dev/xmlns/vm/1">
 *       <mob:interface mac="52:54:00:12:34:56">
 *         <mob:hoa>10.99.0.11</mob:hoa>
 *         <mob:hoa>fd99::11</mob:hoa>
 *       </mob:interface>
 *     </mob:vm>
 *   </metadata>
 *
 * (set with "virsh metadata DOM http://mob.dev/xmlns/vm/1 --key mob
 * --set '<vm>...</vm>'", or in the XML given to virsh define).
 *
 * The connection is watched (keepalive and close callback); when it drops,
 * mobd reconnects with backoff, registers every callback again and lists
 * the domains again.  A domain that cannot be read is reported as unknown,
 * never as gone.  Runs on libvirt's default event loop
 * (virEventRegisterDefaultImpl() must have been called).
 */
#ifndef MOBD_VIRT_H
#define MOBD_VIRT_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "mobnl.h"

#define MOBD_XMLNS		"http://mob.dev/xmlns/vm/1"
#define MOBD_XMLNS_PREFIX	"mob"
#define MOBD_VIF_MAX		16
#define MOBD_VIF_HOA_MAX	8
#define MOBD_DOMNAME_MAX	128

struct mobd_hoa {
	int family;
	union mob_ip addr;
};

struct mobd_vif {
	uint8_t mac[6];
	char port[IFNAMSIZ];		/* <target dev=.../>, "" if none */
	int n_hoa;			/* from the metadata; 0 if none */
	struct mobd_hoa hoa[MOBD_VIF_HOA_MAX];
};

/* A domain's state as mobd needs it. */
enum mobd_dom_state {
	MOBD_DOM_UNKNOWN,	/* could not be read: change nothing */
	MOBD_DOM_RUNNING,	/* running here */
	MOBD_DOM_PAUSED,	/* paused here (also: incoming migration) */
	MOBD_DOM_SHUTOFF,	/* not running here (or undefined) */
};

/* What made libvirt report the domain. */
enum mobd_dom_cause {
	MOBD_CAUSE_LIST,	/* listed at (re)connect */
	MOBD_CAUSE_STARTED,
	MOBD_CAUSE_RESUMED,
	MOBD_CAUSE_SUSPENDED,
	MOBD_CAUSE_STOPPED,
	MOBD_CAUSE_UNDEFINED,
	MOBD_CAUSE_DEFINED,	/* defined or its XML changed */
	MOBD_CAUSE_OTHER,
};

struct mobd_domain {
	char name[MOBD_DOMNAME_MAX];
	unsigned char uuid[16];
	enum mobd_dom_state state;
	enum mobd_dom_cause cause;
	bool migrated;		/* the event's detail says migration */
	bool incoming;		/* the destination of a migration under way,
				 * not running yet (STARTED_MIGRATED, or a
				 * migration-in job) */
	bool has_metadata;	/* our <metadata> element was present */
	int n_vif;
	struct mobd_vif vif[MOBD_VIF_MAX];
};

struct mobd_virt_ops {
	/* A domain seen, changed or gone. D is valid during the call only. */
	void (*domain)(void *arg, const struct mobd_domain *d);
	/* (Re)connected, and every running domain has been given to
	 * domain() with MOBD_CAUSE_LIST since the last disconnected(). */
	void (*connected)(void *arg);
	void (*disconnected)(void *arg);
};

struct mobd_virt;

/*
 * Connect to URI (NULL: libvirt's default) and start watching.  If the
 * first connection fails, it is retried in the background like a dropped
 * one: mobd_virt_open() still succeeds.  Errors only for bad arguments or
 * memory.
 */
int mobd_virt_open(struct mobd_virt **vp, const char *uri,
		   const struct mobd_virt_ops *ops, void *arg);
void mobd_virt_close(struct mobd_virt *v);
bool mobd_virt_connected(const struct mobd_virt *v);

/*
 * Parse a domain's XML (virDomainGetXMLDesc) into D's name, uuid,
 * interfaces and metadata; the state and cause are left as they are.
 * Interfaces without a MAC are skipped; an interface of the metadata that
 * the domain does not have is ignored with a warning.  -EINVAL with a
 * message in ERR for XML that does not parse or metadata that is wrong (a
 * bad address, a bad MAC, too many entries): then D has no metadata.
 */
int mobd_virt_parse_xml(const char *xml, struct mobd_domain *d,
			char *err, size_t errlen);

#endif /* MOBD_VIRT_H */
