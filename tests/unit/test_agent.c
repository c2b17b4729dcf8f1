// SPDX-License-Identifier: GPL-2.0
/*
 * agent/mobd/agent.c: the state machine, against a fake data plane (an
 * in-memory binding table standing in for the kernel and the host's
 * routes) and, for the directory, a real etcd.  Two agents in one process
 * play two hypervisors sharing it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <libvirt/libvirt.h>

#include "agent.h"
#include "config.h"
#include "etcdrun.h"
#include "log.h"
#include "slowproxy.h"
#include "virt.h"
#include "suites.h"

#define MAX_B 64
#define PORT_BASE 100

/* The fake data plane of one hypervisor. */
struct fake {
	int n;
	struct mob_binding_info b[MAX_B];
	int routes;			/* host routes present */
	int proxies;			/* proxy entries added - deleted */
	int ports_up;
	int sets, dels;			/* kernel requests */
	unsigned int gone_ports;	/* bit N: vmportN deleted */
	int n_al;
	struct mob_alias_info al[MAX_B];
	int n_nb;			/* neighbour entries on VM ports */
	struct {
		uint32_t ifindex;
		int family;
		union mob_ip addr;
		uint8_t mac[6];
	} nb[MAX_B];
};

static bool addr_eq(int family, const union mob_ip *x, const union mob_ip *y)
{
	return !memcmp(x, y, family == AF_INET ? 4 : 16);
}

static int fake_alias_find(struct fake *f, int family, const union mob_ip *moa)
{
	int i;

	for (i = 0; i < f->n_al; i++)
		if (f->al[i].family == family &&
		    addr_eq(family, &f->al[i].moa, moa))
			return i;
	return -1;
}

static int fake_find(struct fake *f, int family, const union mob_ip *hoa)
{
	int i;

	for (i = 0; i < f->n; i++)
		if (f->b[i].family == family &&
		    !memcmp(&f->b[i].hoa, hoa, family == AF_INET ? 4 : 16))
			return i;
	return -1;
}

static int fake_set(void *ctx, const struct mob_binding_info *b)
{
	struct fake *f = ctx;
	int i = fake_find(f, b->family, &b->hoa);
	int k = fake_alias_find(f, b->family, &b->moa);

	f->sets++;
	/* As the kernel: an alias of the same HoA gives way, another's not. */
	if (k >= 0) {
		if (!addr_eq(b->family, &f->al[k].hoa, &b->hoa))
			return -EEXIST;
		f->al[k] = f->al[--f->n_al];
	}
	if (i < 0) {
		if (f->n == MAX_B)
			return -ENOSPC;
		i = f->n++;
	}
	f->b[i] = *b;
	return 0;
}

static int fake_del(void *ctx, int family, const union mob_ip *hoa)
{
	struct fake *f = ctx;
	int i = fake_find(f, family, hoa);

	f->dels++;
	if (i >= 0)
		f->b[i] = f->b[--f->n];
	return 0;
}

static int fake_alias_set(void *ctx, const struct mob_alias_info *al)
{
	struct fake *f = ctx;
	int i = fake_alias_find(f, al->family, &al->moa), j;

	for (j = 0; j < f->n; j++)
		if (f->b[j].family == al->family &&
		    addr_eq(al->family, &f->b[j].moa, &al->moa))
			return -EEXIST;
	if (i < 0) {
		if (f->n_al == MAX_B)
			return -ENOSPC;
		i = f->n_al++;
	}
	f->al[i] = *al;
	return 0;
}

static int fake_alias_del(void *ctx, int family, const union mob_ip *moa)
{
	struct fake *f = ctx;
	int i = fake_alias_find(f, family, moa);

	if (i >= 0)
		f->al[i] = f->al[--f->n_al];
	return 0;
}

static int fake_dump(void *ctx,
		     void (*cb)(void *arg, const struct mob_binding_info *b),
		     void (*restart)(void *arg), void *arg)
{
	struct fake *f = ctx;
	int i;

	for (i = 0; i < f->n; i++)
		cb(arg, &f->b[i]);
	return 0;
}

static int fake_prefixes(void *ctx, const struct mobd_home *h, int n)
{
	return 0;
}

static int fake_port_up(void *ctx, uint32_t ifindex,
			const struct mobd_home *h)
{
	((struct fake *)ctx)->ports_up++;
	return 0;
}

static int fake_route_add(void *ctx, uint32_t ifindex, int family,
			  const union mob_ip *hoa)
{
	((struct fake *)ctx)->routes++;
	return 0;
}

static int fake_route_del(void *ctx, uint32_t ifindex, int family,
			  const union mob_ip *hoa)
{
	((struct fake *)ctx)->routes--;
	return 0;
}

static int fake_proxy_add(void *ctx, uint32_t ifindex, int family,
			  const union mob_ip *a)
{
	((struct fake *)ctx)->proxies++;
	return 0;
}

static int fake_proxy_del(void *ctx, uint32_t ifindex, int family,
			  const union mob_ip *a)
{
	((struct fake *)ctx)->proxies--;
	return 0;
}

static int fake_nb_find(struct fake *f, uint32_t ifindex, int family,
			const union mob_ip *a)
{
	int i;

	for (i = 0; i < f->n_nb; i++)
		if (f->nb[i].ifindex == ifindex && f->nb[i].family == family &&
		    addr_eq(family, &f->nb[i].addr, a))
			return i;
	return -1;
}

/* Like the kernel: one entry per port and address, replaced. */
static int fake_neigh_add(void *ctx, uint32_t ifindex, int family,
			  const union mob_ip *a, const uint8_t mac[6])
{
	struct fake *f = ctx;
	int i = fake_nb_find(f, ifindex, family, a);

	if (i < 0) {
		if (f->n_nb == MAX_B)
			return -ENOSPC;
		i = f->n_nb++;
	}
	f->nb[i].ifindex = ifindex;
	f->nb[i].family = family;
	f->nb[i].addr = *a;
	memcpy(f->nb[i].mac, mac, 6);
	return 0;
}

static int fake_neigh_del(void *ctx, uint32_t ifindex, int family,
			  const union mob_ip *a)
{
	struct fake *f = ctx;
	int i = fake_nb_find(f, ifindex, family, a);

	if (i >= 0)
		f->nb[i] = f->nb[--f->n_nb];
	return 0;
}

/* Ports are vmport0..vmport31 = ifindex 100..131. */
static uint32_t fake_ifindex(void *ctx, const char *name)
{
	struct fake *f = ctx;
	int n;

	if (sscanf(name, "vmport%d", &n) != 1 || n < 0 || n > 31 ||
	    (f->gone_ports & (1u << n)))
		return 0;
	return PORT_BASE + n;
}

static int fake_ifname(void *ctx, uint32_t ifindex, char *name)
{
	struct fake *f = ctx;
	int n = (int)ifindex - PORT_BASE;

	if (n < 0 || n > 31 || (f->gone_ports & (1u << n)))
		return -ENODEV;
	snprintf(name, IFNAMSIZ, "vmport%d", n);
	return 0;
}

static struct mobd_dataplane fake_dp(struct fake *f)
{
	struct mobd_dataplane dp = {
		.ctx = f, .set = fake_set, .del = fake_del, .dump = fake_dump,
		.alias_set = fake_alias_set, .alias_del = fake_alias_del,
		.sync_prefixes = fake_prefixes, .port_up = fake_port_up,
		.route_add = fake_route_add, .route_del = fake_route_del,
		.proxy_add = fake_proxy_add, .proxy_del = fake_proxy_del,
		.neigh_add = fake_neigh_add, .neigh_del = fake_neigh_del,
		.ifindex = fake_ifindex, .ifname = fake_ifname,
	};
	return dp;
}

/* Helpers. */

static union mob_ip ip(const char *s, int *family)
{
	union mob_ip a;

	memset(&a, 0, sizeof(a));
	*family = strchr(s, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(*family, s, &a), 1);
	return a;
}

/* The MoA the fake kernel has for HOA as text, "" if none; kind in K. */
static const char *moa_of(struct fake *f, const char *hoa, int *kind)
{
	static char buf[INET6_ADDRSTRLEN];
	int family, i;
	union mob_ip a = ip(hoa, &family);

	i = fake_find(f, family, &a);
	if (kind)
		*kind = i < 0 ? 0 : f->b[i].kind;
	if (i < 0)
		return "";
	return inet_ntop(family, &f->b[i].moa, buf, sizeof(buf));
}

/* Does port IFINDEX hold the neighbour entry HOA -> MAC? */
static bool has_neigh(struct fake *f, const char *hoa, uint32_t ifindex,
		      const uint8_t mac[6])
{
	int family;
	union mob_ip a = ip(hoa, &family);
	int i = fake_nb_find(f, ifindex, family, &a);

	return i >= 0 && !memcmp(f->nb[i].mac, mac, 6);
}

/*
 * The fake kernel's alias MOA as "HOA" or "HOA>TARGET" (forwarding), ""
 * if there is none.
 */
static const char *alias_of(struct fake *f, const char *moa)
{
	static char buf[2 * INET6_ADDRSTRLEN + 2];
	char t[INET6_ADDRSTRLEN];
	int family, i;
	union mob_ip a = ip(moa, &family);

	i = fake_alias_find(f, family, &a);
	if (i < 0)
		return "";
	inet_ntop(family, &f->al[i].hoa, buf, INET6_ADDRSTRLEN);
	if (f->al[i].has_target) {
		inet_ntop(family, &f->al[i].target, t, sizeof(t));
		strcat(buf, ">");
		strcat(buf, t);
	}
	return buf;
}

static void load_config(struct mobd_config *c, const char *text)
{
	char err[256] = "";
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	ck_assert_ptr_nonnull(f);
	mobd_config_defaults(c);
	ck_assert_msg(!mobd_config_parse(c, f, "test.conf", err, sizeof(err)),
		      "config: %s", err);
	fclose(f);
}

static void wake(int timer, void *opaque)
{
}

static long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Run the event loop until COND(ARG) or MS pass. */
static bool run_until(bool (*cond)(void *), void *arg, int ms)
{
	long end = ms_now() + ms;

	while (!cond(arg)) {
		if (ms_now() > end)
			return false;
		virEventRunDefaultImpl();
	}
	return true;
}

static void run_for(int ms)
{
	long end = ms_now() + ms;

	while (ms_now() < end)
		virEventRunDefaultImpl();
}

static void loop_init(void)
{
	mobd_log_set_level(getenv("MOB_UNIT_DEBUG") ? LOG_DEBUG : LOG_CRIT);
	ck_assert_int_ge(virEventRegisterDefaultImpl(), 0);
	/* Keeps the loop turning at least every 20 ms. */
	ck_assert_int_ge(virEventAddTimeout(20, wake, NULL, NULL), 0);
}

static struct mob_msg neigh_event(const char *sender, const char *target,
				  int port, const uint8_t mac[6])
{
	struct mob_msg m;
	int family;

	memset(&m, 0, sizeof(m));
	m.cmd = MOB_CMD_NEIGH;
	m.has_event = true;
	m.event.type = MOB_EVENT_ARP_REQUEST;
	m.event.ifindex = PORT_BASE + port;
	m.event.has_lladdr = true;
	memcpy(m.event.lladdr, mac, 6);
	m.event.sender = ip(sender, &family);
	m.event.sender_family = family;
	m.event.target = ip(target, &family);
	m.event.target_family = family;
	return m;
}

static struct mob_msg rarp_event(int port, const uint8_t mac[6])
{
	struct mob_msg m;

	memset(&m, 0, sizeof(m));
	m.cmd = MOB_CMD_ANNOUNCE;
	m.has_event = true;
	m.event.type = MOB_EVENT_RARP;
	m.event.ifindex = PORT_BASE + port;
	m.event.has_lladdr = true;
	memcpy(m.event.lladdr, mac, 6);
	return m;
}

/* The "state" of HOA in "vm show", "" if absent. */
static const char *vm_state(struct mobd_agent *a, const char *hoa)
{
	static char buf[32];
	struct json_object *arr = mobd_agent_show(a, "vms"), *e, *v;
	size_t i;

	buf[0] = 0;
	for (i = 0; i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(e, "hoa", &v) &&
		    !strcmp(json_object_get_string(v), hoa) &&
		    json_object_object_get_ex(e, "state", &v))
			snprintf(buf, sizeof(buf), "%s",
				 json_object_get_string(v));
	}
	json_object_put(arr);
	return buf;
}

/* "claims_queued" or "claims_in_flight" of "site show", -1 if absent. */
static int claims_count(struct mobd_agent *a, const char *key)
{
	struct json_object *o = mobd_agent_show(a, "sites"), *v;
	int n = -1;

	if (json_object_object_get_ex(o, key, &v))
		n = json_object_get_int(v);
	json_object_put(o);
	return n;
}

static const uint8_t mac1[6] = { 0x52, 0x54, 0, 0, 0, 1 };
static const uint8_t mac2[6] = { 0x52, 0x54, 0, 0, 0, 2 };

#define SINGLE_CONF \
	"hypervisor = hv1\nlibvirt = none\nlearn = arp\nvm-ports = vmport*\n" \
	"pool = 10.1.1.1-10.1.1.2\npool = fd00:1:1::/120\n" \
	"home = 10.99.0.0/24 gateway 10.99.0.1\nhome = fd99::/64 gateway fe80::1\n" \
	"moa-hold = 60\n"

/* Single-hypervisor mode. */

START_TEST(test_single_learn_from_arp)
{
	struct mobd_config c;
	struct fake f = { 0 };
	struct mobd_dataplane dp = fake_dp(&f);
	struct mobd_agent *a;
	struct mob_msg m;
	int kind;

	loop_init();
	load_config(&c, SINGLE_CONF);
	ck_assert_int_eq(mobd_agent_new(&a, &c, &dp), 0);
	ck_assert_int_eq(mobd_agent_start(a), 0);
	mobd_agent_no_virt(a);
	m = neigh_event("10.99.0.11", "10.99.0.1", 1, mac1);
	mobd_agent_kernel_event(a, &m);
	ck_assert_str_eq(moa_of(&f, "10.99.0.11", &kind), "10.1.1.1");
	ck_assert_int_eq(kind, MOB_KIND_LOCAL);
	ck_assert_int_eq(f.b[0].ifindex, PORT_BASE + 1);
	ck_assert_int_eq(f.routes, 1);
	ck_assert_int_eq(f.ports_up, 1);
	/* The host will not have to ARP for it. */
	ck_assert_int_eq(f.n_nb, 1);
	ck_assert(has_neigh(&f, "10.99.0.11", PORT_BASE + 1, mac1));
	ck_assert_str_eq(vm_state(a, "10.99.0.11"), "owned");
	/* The same ARP again changes nothing. */
	f.sets = 0;
	mobd_agent_kernel_event(a, &m);
	ck_assert_int_eq(f.sets, 0);
	/* Not a VM port: ignored. */
	m = neigh_event("10.99.0.12", "10.99.0.1", 1, mac2);
	m.event.ifindex = 7;
	mobd_agent_kernel_event(a, &m);
	ck_assert_str_eq(moa_of(&f, "10.99.0.12", NULL), "");
	/* Outside every home prefix: ignored. */
	m = neigh_event("192.168.0.5", "192.168.0.1", 2, mac2);
	mobd_agent_kernel_event(a, &m);
	ck_assert_int_eq(f.n, 1);
	mobd_agent_free(a);
}
END_TEST

START_TEST(test_single_pool_exhausted)
{
	struct mobd_config c;
	struct fake f = { 0 };
	struct mobd_dataplane dp = fake_dp(&f);
	struct mobd_agent *a;
	struct mob_msg m;
	struct json_object *arr, *e, *v;

	loop_init();
	load_config(&c, SINGLE_CONF);
	ck_assert_int_eq(mobd_agent_new(&a, &c, &dp), 0);
	ck_assert_int_eq(mobd_agent_start(a), 0);
	mobd_agent_no_virt(a);
	m = neigh_event("10.99.0.11", "10.99.0.1", 1, mac1);
	mobd_agent_kernel_event(a, &m);
	m = neigh_event("10.99.0.12", "10.99.0.1", 2, mac2);
	mobd_agent_kernel_event(a, &m);
	m = neigh_event("10.99.0.13", "10.99.0.1", 3, mac2);
	mobd_agent_kernel_event(a, &m);
	ck_assert_str_eq(moa_of(&f, "10.99.0.11", NULL), "10.1.1.1");
	ck_assert_str_eq(moa_of(&f, "10.99.0.12", NULL), "10.1.1.2");
	ck_assert_str_eq(moa_of(&f, "10.99.0.13", NULL), "");
	ck_assert_str_eq(vm_state(a, "10.99.0.13"), "conflict");
	arr = mobd_agent_show(a, "vms");
	e = json_object_array_get_idx(arr, 0);	/* newest first */
	ck_assert(json_object_object_get_ex(e, "reason", &v));
	ck_assert_str_eq(json_object_get_string(v), "the MoA pool is exhausted");
	json_object_put(arr);
	/* The pool view agrees: both IPv4 addresses used. */
	arr = mobd_agent_show(a, "pool");
	e = json_object_array_get_idx(arr, 0);
	ck_assert(json_object_object_get_ex(e, "used", &v));
	ck_assert_int_eq(json_object_get_int(v), 2);
	json_object_put(arr);
	mobd_agent_free(a);
}
END_TEST

/* A restarted agent keeps the MoAs the kernel has, and removes nothing. */
START_TEST(test_single_adopt_on_restart)
{
	struct mobd_config c;
	struct fake f = { 0 };
	struct mobd_dataplane dp = fake_dp(&f);
	struct mobd_agent *a;
	struct mob_binding_info b = { 0 };
	int family;

	loop_init();
	load_config(&c, SINGLE_CONF);
	b.hoa = ip("10.99.0.11", &family);
	b.family = family;
	b.moa = ip("10.1.1.2", &family);
	b.has_moa = true;
	b.kind = MOB_KIND_LOCAL;
	b.ifindex = PORT_BASE + 4;
	fake_set(&f, &b);
	b.hoa = ip("10.99.0.50", &family);
	b.moa = ip("10.7.7.7", &family);
	b.kind = MOB_KIND_REMOTE;
	b.ifindex = 0;
	fake_set(&f, &b);		/* the administrator's, in single mode */
	f.sets = 0;
	ck_assert_int_eq(mobd_agent_new(&a, &c, &dp), 0);
	ck_assert_int_eq(mobd_agent_start(a), 0);
	mobd_agent_no_virt(a);
	ck_assert_str_eq(moa_of(&f, "10.99.0.11", NULL), "10.1.1.2");
	ck_assert_str_eq(vm_state(a, "10.99.0.11"), "owned");
	mobd_agent_reconcile(a);
	ck_assert_int_eq(f.n, 2);
	ck_assert_str_eq(moa_of(&f, "10.99.0.50", NULL), "10.7.7.7");
	ck_assert_int_eq(f.dels, 0);
	/* A new VM does not get the adopted MoA. */
	{
		struct mob_msg m = neigh_event("10.99.0.12", "10.99.0.1", 2,
					       mac2);

		mobd_agent_kernel_event(a, &m);
	}
	ck_assert_str_eq(moa_of(&f, "10.99.0.12", NULL), "10.1.1.1");
	/* Its port goes away: the VM is gone and its MoA held back. */
	f.gone_ports = 1u << 4;
	mobd_agent_reconcile(a);
	ck_assert_str_eq(moa_of(&f, "10.99.0.11", NULL), "");
	ck_assert_str_eq(vm_state(a, "10.99.0.11"), "");
	ck_assert_int_eq(f.routes, 1);	/* 10.99.0.12's */
	mobd_agent_free(a);
}
END_TEST

#define LIBVIRT_CONF \
	"hypervisor = hv1\nlibvirt = test:///default\nvm-ports = vmport*\n" \
	"pool = 10.1.1.0/24\npool = fd00:1:1::/64\n" \
	"home = 10.99.0.0/24 gateway 10.99.0.1\nhome = fd99::/64 gateway fe80::1\n"

static struct mobd_domain domain(const char *name, enum mobd_dom_state st,
				 enum mobd_dom_cause cause, bool migrated)
{
	struct mobd_domain d;
	int family;

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	d.state = st;
	d.cause = cause;
	d.migrated = migrated;
	d.has_metadata = true;
	d.n_vif = 1;
	memcpy(d.vif[0].mac, mac1, 6);
	snprintf(d.vif[0].port, sizeof(d.vif[0].port), "vmport3");
	d.vif[0].n_hoa = 2;
	d.vif[0].hoa[0].addr = ip("10.99.0.21", &family);
	d.vif[0].hoa[0].family = family;
	d.vif[0].hoa[1].addr = ip("fd99::21", &family);
	d.vif[0].hoa[1].family = family;
	return d;
}

START_TEST(test_libvirt_lifecycle)
{
	struct mobd_config c;
	struct fake f = { 0 };
	struct mobd_dataplane dp = fake_dp(&f);
	struct mobd_agent *a;
	struct mobd_domain d;
	struct mob_msg m;

	loop_init();
	load_config(&c, LIBVIRT_CONF);
	ck_assert_int_eq(mobd_agent_new(&a, &c, &dp), 0);
	ck_assert_int_eq(mobd_agent_start(a), 0);
	d = domain("web1", MOBD_DOM_RUNNING, MOBD_CAUSE_LIST, false);
	mobd_agent_domain(a, &d);
	mobd_agent_virt_connected(a);
	ck_assert_str_eq(moa_of(&f, "10.99.0.21", NULL), "10.1.1.1");
	ck_assert_str_eq(moa_of(&f, "fd99::21", NULL), "fd00:1:1::1");
	ck_assert_str_eq(vm_state(a, "fd99::21"), "owned");
	/* Its NIC's MAC, from libvirt, on its port for both addresses. */
	ck_assert_int_eq(f.n_nb, 2);
	ck_assert(has_neigh(&f, "10.99.0.21", PORT_BASE + 3, mac1));
	ck_assert(has_neigh(&f, "fd99::21", PORT_BASE + 3, mac1));
	/* In metadata mode an ARP from an unknown address teaches nothing. */
	m = neigh_event("10.99.0.30", "10.99.0.1", 2, mac2);
	mobd_agent_kernel_event(a, &m);
	ck_assert_str_eq(moa_of(&f, "10.99.0.30", NULL), "");
	/* A domain that cannot be read changes nothing. */
	d.state = MOBD_DOM_UNKNOWN;
	d.cause = MOBD_CAUSE_OTHER;
	mobd_agent_domain(a, &d);
	ck_assert_int_eq(f.n, 2);
	/* Paused is still here. */
	d = domain("web1", MOBD_DOM_PAUSED, MOBD_CAUSE_SUSPENDED, false);
	mobd_agent_domain(a, &d);
	ck_assert_int_eq(f.n, 2);
	/* Migrated away: the binding stays until the destination claims. */
	d = domain("web1", MOBD_DOM_SHUTOFF, MOBD_CAUSE_STOPPED, true);
	mobd_agent_domain(a, &d);
	ck_assert_int_eq(f.n, 2);
	/* Its metadata loses the IPv6 address. */
	d = domain("web1", MOBD_DOM_RUNNING, MOBD_CAUSE_DEFINED, false);
	d.vif[0].n_hoa = 1;
	mobd_agent_domain(a, &d);
	ck_assert_str_eq(moa_of(&f, "fd99::21", NULL), "");
	ck_assert_str_eq(moa_of(&f, "10.99.0.21", NULL), "10.1.1.1");
	/* Stopped for real. */
	d = domain("web1", MOBD_DOM_SHUTOFF, MOBD_CAUSE_STOPPED, false);
	mobd_agent_domain(a, &d);
	ck_assert_int_eq(f.n, 0);
	ck_assert_int_eq(f.routes, 0);
	ck_assert_int_eq(f.n_nb, 0);
	/* Started again: the old MoA is held, a new one is given. */
	d = domain("web1", MOBD_DOM_RUNNING, MOBD_CAUSE_STARTED, false);
	mobd_agent_domain(a, &d);
	ck_assert_str_eq(moa_of(&f, "10.99.0.21", NULL), "10.1.1.2");
	mobd_agent_free(a);
}
END_TEST

/* Kernel bindings no running domain accounts for go, in metadata mode. */
START_TEST(test_libvirt_reconnect_settles)
{
	struct mobd_config c;
	struct fake f = { 0 };
	struct mobd_dataplane dp = fake_dp(&f);
	struct mobd_agent *a;
	struct mobd_domain d;
	struct mob_binding_info b = { 0 };
	int family;

	loop_init();
	load_config(&c, LIBVIRT_CONF);
	b.hoa = ip("10.99.0.77", &family);
	b.family = family;
	b.moa = ip("10.1.1.77", &family);
	b.has_moa = true;
	b.kind = MOB_KIND_LOCAL;
	b.ifindex = PORT_BASE + 9;
	fake_set(&f, &b);
	ck_assert_int_eq(mobd_agent_new(&a, &c, &dp), 0);
	ck_assert_int_eq(mobd_agent_start(a), 0);
	d = domain("web1", MOBD_DOM_RUNNING, MOBD_CAUSE_LIST, false);
	mobd_agent_domain(a, &d);
	ck_assert_str_eq(moa_of(&f, "10.99.0.77", NULL), "10.1.1.77");
	mobd_agent_virt_connected(a);
	ck_assert_str_eq(moa_of(&f, "10.99.0.77", NULL), "");
	ck_assert_str_eq(moa_of(&f, "10.99.0.21", NULL), "10.1.1.1");
	/* Lost and back: web1 stopped meanwhile (not listed). */
	mobd_agent_virt_disconnected(a);
	ck_assert_int_eq(f.n, 2);
	mobd_agent_virt_connected(a);
	ck_assert_int_eq(f.n, 0);
	mobd_agent_free(a);
}
END_TEST

struct want {
	struct fake *f;
	const char *hoa;
	const char *moa;	/* "" : no binding */
	int kind;
};

static bool has_binding(void *arg)
{
	struct want *w = arg;
	int kind;

	return !strcmp(moa_of(w->f, w->hoa, &kind), w->moa) &&
	       (!w->moa[0] || kind == w->kind);
}


struct want_state {
	struct mobd_agent *a;
	const char *hoa, *state;
};

static bool state_is(void *arg)
{
	struct want_state *w = arg;

	return !strcmp(vm_state(w->a, w->hoa), w->state);
}

/*
 * The whole path from libvirt: the test driver's real lifecycle events,
 * through virt.c, into the agent, out to the (fake) kernel.
 */
static struct mobd_agent *virt_agent;

static void va_domain(void *arg, const struct mobd_domain *d)
{
	mobd_agent_domain(virt_agent, d);
}

static void va_connected(void *arg)
{
	mobd_agent_virt_connected(virt_agent);
}

static void va_disconnected(void *arg)
{
	mobd_agent_virt_disconnected(virt_agent);
}

static const struct mobd_virt_ops va_ops = {
	.domain = va_domain, .connected = va_connected,
	.disconnected = va_disconnected,
};

#define WEB9_XML \
	"<domain type='test'><name>web9</name><memory>65536</memory>" \
	"<os><type>hvm</type></os><devices><interface type='network'>" \
	"<mac address='52:54:00:00:00:09'/><source network='default'/>" \
	"<target dev='vmport6'/></interface></devices><metadata>" \
	"<mob:vm xmlns:mob='" MOBD_XMLNS "'><mob:interface " \
	"mac='52:54:00:00:00:09'><mob:hoa>10.99.0.61</mob:hoa>" \
	"<mob:hoa>fd99::61</mob:hoa></mob:interface></mob:vm></metadata>" \
	"</domain>"

static bool binding_count_is(void *arg)
{
	struct want *w = arg;

	return w->f->n == w->kind;
}

START_TEST(test_libvirt_test_driver)
{
	struct mobd_config c;
	struct fake f = { 0 };
	struct mobd_dataplane dp = fake_dp(&f);
	struct mobd_virt *v;
	virConnectPtr conn;
	virDomainPtr dom;
	struct want w = { &f, NULL, NULL, 2 };

	loop_init();
	load_config(&c, LIBVIRT_CONF);
	ck_assert_int_eq(mobd_agent_new(&virt_agent, &c, &dp), 0);
	ck_assert_int_eq(mobd_agent_start(virt_agent), 0);
	ck_assert_int_eq(mobd_virt_open(&v, "test:///default", &va_ops, NULL), 0);
	/* The predefined running domain has no metadata: nothing. */
	run_for(200);
	ck_assert_int_eq(f.n, 0);
	conn = virConnectOpen("test:///default");
	ck_assert_ptr_nonnull(conn);
	dom = virDomainDefineXML(conn, WEB9_XML);
	ck_assert_ptr_nonnull(dom);
	ck_assert_int_eq(virDomainCreate(dom), 0);
	ck_assert_msg(run_until(binding_count_is, &w, 5000),
		      "no bindings after the domain started");
	ck_assert_str_eq(moa_of(&f, "10.99.0.61", NULL), "10.1.1.1");
	ck_assert_int_eq(f.b[0].ifindex, PORT_BASE + 6);
	ck_assert_str_eq(vm_state(virt_agent, "fd99::61"), "owned");
	/* Suspend and resume: still here. */
	ck_assert_int_eq(virDomainSuspend(dom), 0);
	ck_assert_int_eq(virDomainResume(dom), 0);
	run_for(300);
	ck_assert_int_eq(f.n, 2);
	/* Destroyed: gone. */
	ck_assert_int_eq(virDomainDestroy(dom), 0);
	w.kind = 0;
	ck_assert_msg(run_until(binding_count_is, &w, 5000),
		      "bindings left after the domain stopped");
	ck_assert_int_eq(f.routes, 0);
	virDomainUndefine(dom);
	virDomainFree(dom);
	virConnectClose(conn);
	mobd_virt_close(v);
	mobd_agent_free(virt_agent);
}
END_TEST

/* Two hypervisors and a real etcd. */

static struct etcdrun etcd;

/* Set before two_start*(), reset by two_stop(): the URL hv2 knows etcd
 * by (a slowproxy's), and claim_batch for both agents (0: default). */
static const char *hv2_etcd;
static unsigned int claim_batch;

/* Hypervisor HV's configuration: lease-ttl TTL, and EXTRA lines. */
static char *dir_conf(int hv, int ttl, const char *extra)
{
	char cwd[200], *s;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_ge(asprintf(&s,
		"hypervisor = hv%d\nlibvirt = none\nlearn = arp\n"
		"vm-ports = vmport*\npool = 10.%d.1.0/24\npool = fd00:%d:1::/64\n"
		"home = 10.99.0.0/24 gateway 10.99.0.1\n"
		"home = fd99::/64 gateway fe80::1\n"
		"etcd = %s\nlease-ttl = %d\nstate-dir = %s/build/unit-etcd/hv%d-%d\n"
		"%s",
		hv, hv, hv, hv == 2 && hv2_etcd ? hv2_etcd : etcd.url, ttl, cwd,
		hv, getpid(), extra), 0);
	return s;
}

struct two {
	struct mobd_config c[2];
	struct fake f[2];
	struct mobd_dataplane dp[2];
	struct mobd_agent *a[2];
};

static bool both_synced(void *arg)
{
	struct two *t = arg;

	return mobd_agent_dir_synced(t->a[0]) && mobd_agent_dir_synced(t->a[1]);
}

static void two_start_conf(struct two *t, int ttl, const char *extra)
{
	char *conf;
	int i;

	/* A test that needs etcd's port first starts it itself. */
	if (etcd.pid <= 0)
		ck_assert_msg(!etcdrun_start(&etcd), "etcd did not start");
	loop_init();
	if (system("mkdir -p build/unit-etcd"))
		ck_abort_msg("mkdir");
	for (i = 0; i < 2; i++) {
		conf = dir_conf(i + 1, ttl, extra);
		load_config(&t->c[i], conf);
		free(conf);
		if (claim_batch)
			t->c[i].claim_batch = claim_batch;
		mkdir(t->c[i].state_dir, 0700);
		t->dp[i] = fake_dp(&t->f[i]);
		ck_assert_int_eq(mobd_agent_new(&t->a[i], &t->c[i], &t->dp[i]), 0);
		ck_assert_int_eq(mobd_agent_start(t->a[i]), 0);
		mobd_agent_no_virt(t->a[i]);
	}
	ck_assert_msg(run_until(both_synced, t, 10000), "no directory sync");
}

static void two_start(struct two *t)
{
	two_start_conf(t, 4, "");
}

static void two_stop(struct two *t)
{
	mobd_agent_free(t->a[0]);
	mobd_agent_free(t->a[1]);
	etcdrun_stop(&etcd);
	hv2_etcd = NULL;
	claim_batch = 0;
}

START_TEST(test_dir_share_and_move)
{
	struct two t = { 0 };
	struct want_state ws;
	struct mob_msg m;
	struct want w;

	two_start(&t);
	/* vm at hv1 */
	m = neigh_event("10.99.0.11", "10.99.0.1", 1, mac1);
	mobd_agent_kernel_event(t.a[0], &m);
	m = neigh_event("fd99::11", "fd99::12", 1, mac1);
	mobd_agent_kernel_event(t.a[0], &m);
	ck_assert_str_eq(moa_of(&t.f[0], "10.99.0.11", NULL), "10.1.1.1");
	w = (struct want){ &t.f[1], "10.99.0.11", "10.1.1.1", MOB_KIND_REMOTE };
	ck_assert_msg(run_until(has_binding, &w, 5000), "hv2 did not learn");
	w = (struct want){ &t.f[1], "fd99::11", "fd00:1:1::1", MOB_KIND_REMOTE };
	ck_assert_msg(run_until(has_binding, &w, 5000), "hv2 did not learn v6");
	ws = (struct want_state){ t.a[0], "10.99.0.11", "owned" };
	ck_assert_msg(run_until(state_is, &ws, 5000), "hv1 does not own it");

	/* It moves to hv2 and QEMU announces it there: both addresses. */
	m = rarp_event(5, mac1);
	mobd_agent_kernel_event(t.a[1], &m);
	ck_assert_str_eq(moa_of(&t.f[1], "10.99.0.11", NULL), "10.2.1.1");
	ck_assert_str_eq(moa_of(&t.f[1], "fd99::11", NULL), "fd00:2:1::1");
	w = (struct want){ &t.f[0], "10.99.0.11", "10.2.1.1", MOB_KIND_REMOTE };
	ck_assert_msg(run_until(has_binding, &w, 5000), "hv1 did not follow");
	w = (struct want){ &t.f[0], "fd99::11", "fd00:2:1::1", MOB_KIND_REMOTE };
	ck_assert_msg(run_until(has_binding, &w, 5000), "hv1 v6 did not follow");
	ws = (struct want_state){ t.a[1], "10.99.0.11", "owned" };
	ck_assert_msg(run_until(state_is, &ws, 5000), "hv2 does not own it");
	ck_assert_str_eq(vm_state(t.a[0], "10.99.0.11"), "");
	ck_assert_int_eq(t.f[0].routes, 0);
	two_stop(&t);
}
END_TEST

START_TEST(test_dir_refuse_without_evidence)
{
	struct two t = { 0 };
	struct want_state ws;
	struct mob_msg m;
	struct want w;

	two_start(&t);
	m = neigh_event("10.99.0.11", "10.99.0.1", 1, mac1);
	mobd_agent_kernel_event(t.a[0], &m);
	w = (struct want){ &t.f[1], "10.99.0.11", "10.1.1.1", MOB_KIND_REMOTE };
	ck_assert_msg(run_until(has_binding, &w, 5000), "hv2 did not learn");
	/* A VM on hv2 with the same address, ordinary ARP: refused. */
	m = neigh_event("10.99.0.11", "10.99.0.1", 2, mac2);
	mobd_agent_kernel_event(t.a[1], &m);
	ck_assert_str_eq(vm_state(t.a[1], "10.99.0.11"), "conflict");
	ck_assert_str_eq(moa_of(&t.f[1], "10.99.0.11", NULL), "10.1.1.1");
	/* A RARP from that other MAC is no evidence for this address. */
	m = rarp_event(2, mac2);
	mobd_agent_kernel_event(t.a[1], &m);
	run_for(500);
	ck_assert_str_eq(vm_state(t.a[1], "10.99.0.11"), "conflict");
	ws = (struct want_state){ t.a[0], "10.99.0.11", "owned" };
	ck_assert_msg(run_until(state_is, &ws, 5000), "hv1 does not own it");
	ck_assert_str_eq(moa_of(&t.f[0], "10.99.0.11", NULL), "10.1.1.1");
	two_stop(&t);
}
END_TEST

static bool race_decided(void *arg)
{
	struct two *t = arg;
	char s0[32];

	snprintf(s0, sizeof(s0), "%s", vm_state(t->a[0], "10.99.0.40"));
	return strcmp(s0, "claiming") &&
	       strcmp(vm_state(t->a[1], "10.99.0.40"), "claiming");
}

/*
 * Both learn the same new address at the same moment, before either has
 * heard from etcd: both claim over "absent"; exactly one wins, the other
 * is refused and follows the winner.
 */
START_TEST(test_dir_race)
{
	struct two t = { 0 };
	struct mob_msg m;
	const char *s0, *s1;
	char st0[32], st1[32];
	struct want w;
	int winner;

	two_start(&t);
	m = neigh_event("10.99.0.40", "10.99.0.1", 1, mac1);
	mobd_agent_kernel_event(t.a[0], &m);
	m = neigh_event("10.99.0.40", "10.99.0.1", 2, mac2);
	mobd_agent_kernel_event(t.a[1], &m);
	ck_assert_msg(run_until(race_decided, &t, 5000), "no decision");
	s0 = vm_state(t.a[0], "10.99.0.40");
	snprintf(st0, sizeof(st0), "%s", s0);
	s1 = vm_state(t.a[1], "10.99.0.40");
	snprintf(st1, sizeof(st1), "%s", s1);
	ck_assert_msg((!strcmp(st0, "owned") && !strcmp(st1, "conflict")) ||
		      (!strcmp(st1, "owned") && !strcmp(st0, "conflict")),
		      "hv1 %s, hv2 %s: exactly one must own it", st0, st1);
	winner = !strcmp(st0, "owned") ? 0 : 1;
	/* The loser's kernel points at the winner's MoA. */
	w = (struct want){ &t.f[!winner], "10.99.0.40",
			   winner ? "10.2.1.1" : "10.1.1.1", MOB_KIND_REMOTE };
	ck_assert_msg(run_until(has_binding, &w, 3000),
		      "the loser does not follow the winner");
	two_stop(&t);
}
END_TEST

/* A domain started after the listing that stops during an outage goes. */
START_TEST(test_libvirt_stopped_during_outage)
{
	struct mobd_config c;
	struct fake f = { 0 };
	struct mobd_dataplane dp = fake_dp(&f);
	struct mobd_agent *a;
	struct mobd_domain d;

	loop_init();
	load_config(&c, LIBVIRT_CONF);
	ck_assert_int_eq(mobd_agent_new(&a, &c, &dp), 0);
	ck_assert_int_eq(mobd_agent_start(a), 0);
	mobd_agent_virt_connected(a);
	d = domain("web1", MOBD_DOM_RUNNING, MOBD_CAUSE_STARTED, false);
	mobd_agent_domain(a, &d);
	ck_assert_int_eq(f.n, 2);
	mobd_agent_virt_disconnected(a);
	mobd_agent_virt_connected(a);	/* listed nothing */
	ck_assert_int_eq(f.n, 0);
	mobd_agent_free(a);
}
END_TEST

/* The holder lets go: the refused VM is served after all. */
START_TEST(test_dir_conflict_released)
{
	struct two t = { 0 };
	struct want_state ws;
	struct mob_msg m;
	struct want w;

	two_start(&t);
	m = neigh_event("10.99.0.11", "10.99.0.1", 1, mac1);
	mobd_agent_kernel_event(t.a[0], &m);
	w = (struct want){ &t.f[1], "10.99.0.11", "10.1.1.1", MOB_KIND_REMOTE };
	ck_assert_msg(run_until(has_binding, &w, 5000), "hv2 did not learn");
	m = neigh_event("10.99.0.11", "10.99.0.1", 2, mac2);
	mobd_agent_kernel_event(t.a[1], &m);
	ck_assert_str_eq(vm_state(t.a[1], "10.99.0.11"), "conflict");
	/* hv1's VM goes away (its port vanishes). */
	t.f[0].gone_ports = 1u << 1;
	mobd_agent_reconcile(t.a[0]);
	ws = (struct want_state){ t.a[1], "10.99.0.11", "owned" };
	ck_assert_msg(run_until(state_is, &ws, 5000),
		      "hv2 does not take the released address");
	w = (struct want){ &t.f[1], "10.99.0.11", "10.2.1.1", MOB_KIND_LOCAL };
	ck_assert_msg(run_until(has_binding, &w, 3000), "no local binding");
	w = (struct want){ &t.f[0], "10.99.0.11", "10.2.1.1", MOB_KIND_REMOTE };
	ck_assert_msg(run_until(has_binding, &w, 3000), "hv1 does not follow");
	two_stop(&t);
}
END_TEST

/*
 * hv1 dies; its VM stops meanwhile; hv1 comes back with its lease: the key
 * naming it must go, or hv2 would send the VM's traffic to a released MoA.
 */
START_TEST(test_dir_stale_own_key)
{
	struct two t = { 0 };
	struct mob_msg m;
	struct want w;

	two_start(&t);
	m = neigh_event("10.99.0.11", "10.99.0.1", 1, mac1);
	mobd_agent_kernel_event(t.a[0], &m);
	w = (struct want){ &t.f[1], "10.99.0.11", "10.1.1.1", MOB_KIND_REMOTE };
	ck_assert_msg(run_until(has_binding, &w, 5000), "hv2 did not learn");
	run_for(300);			/* the lease file is written */
	mobd_agent_free(t.a[0]);	/* "kill -9" */
	memset(&t.f[0], 0, sizeof(t.f[0]));	/* the VM stopped */
	ck_assert_int_eq(mobd_agent_new(&t.a[0], &t.c[0], &t.dp[0]), 0);
	ck_assert_int_eq(mobd_agent_start(t.a[0]), 0);
	mobd_agent_no_virt(t.a[0]);
	w = (struct want){ &t.f[1], "10.99.0.11", "", 0 };
	ck_assert_msg(run_until(has_binding, &w, 5000),
		      "the stale key survived hv1's restart");
	two_stop(&t);
}
END_TEST

/*
 * Lease lapses.  hv2 runs 10.99.0.11 (moa 10.2.1.1); its lease goes
 * (revoked here; etcd does the same when one expires): etcd deletes hv2's
 * hv key and its VM keys in one revision.  That says nothing about the VM,
 * so hv1 keeps the binding as an orphan until hv2 shows what it runs.
 */

/*
 * A blocking POST to etcd's JSON gateway, outside the agents, retried
 * while etcd starts.  The reply; NULL if etcd refused the request (a
 * lease already gone, say).
 */
static struct json_object *etcd_post_json(const char *path,
					  const char *body)
{
	struct json_object *o;
	long status = 0, end = ms_now() + 10000;
	char url[160], *reply = NULL;
	size_t len = 0;
	CURLcode rc;
	FILE *out;
	CURL *c;

	snprintf(url, sizeof(url), "%s%s", etcd.url, path);
	for (;;) {
		out = open_memstream(&reply, &len);
		c = curl_easy_init();
		ck_assert_ptr_nonnull(out);
		ck_assert_ptr_nonnull(c);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_cleanup(c);
		fclose(out);
		if (rc == CURLE_OK && status < 500)
			break;
		free(reply);
		reply = NULL;
		ck_assert_msg(ms_now() < end, "POST %s: %s, HTTP %ld", url,
			      curl_easy_strerror(rc), status);
		usleep(100000);
	}
	o = status == 200 ? json_tokener_parse(reply) : NULL;
	free(reply);
	return o;
}

/* The same; the revision in the reply's header, -1 if refused. */
static int64_t etcd_post(const char *path, const char *body)
{
	struct json_object *o = etcd_post_json(path, body), *h, *r;
	int64_t rev = -1;

	if (json_object_object_get_ex(o, "header", &h) &&
	    json_object_object_get_ex(h, "revision", &r))
		rev = json_object_get_int64(r);	/* a JSON string */
	json_object_put(o);
	return rev;
}

static void revoke_lease(int64_t lease)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"ID\":\"%lld\"}", (long long)lease);
	etcd_post("/v3/lease/revoke", body);
}

/* The lease an agent saved in its state directory, 0 if none. */
static int64_t lease_of(const struct mobd_config *c)
{
	char path[MOBD_PATH_MAX + 16];
	long long id = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/lease", c->state_dir);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld", &id) != 1)
			id = 0;
		fclose(f);
	}
	return id;
}

/* HV in A's "site show": its orphans (-1: not listed); UP: its key is there. */
static int orphans_of(struct mobd_agent *a, const char *hv, bool *up)
{
	struct json_object *top = mobd_agent_show(a, "sites"), *arr, *e, *v;
	int n = -1;
	size_t i;

	*up = false;
	if (!json_object_object_get_ex(top, "sites", &arr))
		arr = NULL;
	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(e, "name", &v) ||
		    strcmp(json_object_get_string(v), hv))
			continue;
		if (json_object_object_get_ex(e, "orphaned", &v))
			n = json_object_get_int(v);
		if (json_object_object_get_ex(e, "up", &v))
			*up = json_object_get_boolean(v);
	}
	json_object_put(top);
	return n;
}

struct want_orphans {
	struct mobd_agent *a;
	const char *hv;
	int n;
	bool up;
};

static bool orphans_are(void *arg)
{
	struct want_orphans *w = arg;
	bool up;

	return orphans_of(w->a, w->hv, &up) == w->n && up == w->up;
}

/* "used" or "held" of A's first pool (the IPv4 one). */
static int pool_count(struct mobd_agent *a, const char *what)
{
	struct json_object *arr = mobd_agent_show(a, "pool"), *v;
	int n = -1;

	if (json_object_object_get_ex(json_object_array_get_idx(arr, 0), what,
				      &v))
		n = json_object_get_int(v);
	json_object_put(arr);
	return n;
}

static bool pool_held(void *arg)
{
	return pool_count(arg, "held") == 1;
}

/* hv2 runs 10.99.0.11; hv1 has its remote binding. */
static void lapse_start(struct two *t, int ttl, const char *extra)
{
	struct want_state ws;
	struct mob_msg m;
	struct want w;

	two_start_conf(t, ttl, extra);
	m = neigh_event("10.99.0.11", "10.99.0.1", 1, mac1);
	mobd_agent_kernel_event(t->a[1], &m);
	w = (struct want){ &t->f[0], "10.99.0.11", "10.2.1.1", MOB_KIND_REMOTE };
	ck_assert_msg(run_until(has_binding, &w, 5000), "hv1 did not learn");
	ws = (struct want_state){ t->a[1], "10.99.0.11", "owned" };
	ck_assert_msg(run_until(state_is, &ws, 5000), "hv2 does not own it");
	run_for(300);
}

/* hv2's agent is killed (or starved) and its lease goes. */
static void hv2_lapses(struct two *t)
{
	int64_t id = lease_of(&t->c[1]);

	ck_assert_int_gt(id, 0);
	mobd_agent_free(t->a[1]);	/* "kill -9": its kernel stays */
	t->a[1] = NULL;
	revoke_lease(id);
}

static void hv2_starts(struct two *t)
{
	ck_assert_int_eq(mobd_agent_new(&t->a[1], &t->c[1], &t->dp[1]), 0);
	ck_assert_int_eq(mobd_agent_start(t->a[1]), 0);
	mobd_agent_no_virt(t->a[1]);
}

/* Kept, shown, and claimed again with its MoA: no kernel change on hv1. */
START_TEST(test_dir_lapse_keeps_binding)
{
	struct two t = { 0 };
	struct want_orphans wo;
	struct want_state ws;
	int sets, dels, kind;

	lapse_start(&t, 2, "");
	sets = t.f[0].sets;
	dels = t.f[0].dels;
	hv2_lapses(&t);
	wo = (struct want_orphans){ t.a[0], "hv2", 1, false };
	ck_assert_msg(run_until(orphans_are, &wo, 5000),
		      "hv1 does not keep hv2's VM as an orphan");
	ck_assert_int_eq(t.f[0].dels, dels);
	ck_assert_str_eq(moa_of(&t.f[0], "10.99.0.11", &kind), "10.2.1.1");
	ck_assert_int_eq(kind, MOB_KIND_REMOTE);
	/* hv2 is back; its VM never left its kernel. */
	hv2_starts(&t);
	ws = (struct want_state){ t.a[1], "10.99.0.11", "owned" };
	ck_assert_msg(run_until(state_is, &ws, 8000),
		      "hv2 does not claim its VM again");
	wo = (struct want_orphans){ t.a[0], "hv2", 0, true };
	ck_assert_msg(run_until(orphans_are, &wo, 5000),
		      "the claim did not end the orphan");
	ck_assert_str_eq(moa_of(&t.f[1], "10.99.0.11", NULL), "10.2.1.1");
	ck_assert_int_eq(t.f[0].sets, sets);
	ck_assert_int_eq(t.f[0].dels, dels);
	two_stop(&t);
}
END_TEST

struct relet {
	struct two *t;
	int64_t old;
};

/* hv2 has a new lease, owns its VM again, and hv1 has no orphan left. */
static bool relet_done(void *arg)
{
	struct relet *r = arg;
	struct want_orphans wo = { r->t->a[0], "hv2", 0, true };
	int64_t id = lease_of(&r->t->c[1]);

	return id && id != r->old &&
	       !strcmp(vm_state(r->t->a[1], "10.99.0.11"), "owned") &&
	       orphans_are(&wo);
}

/* The agent's own side: a lost lease, a new one, the same MoAs. */
START_TEST(test_dir_own_lease_lost)
{
	struct two t = { 0 };
	struct relet r = { &t, 0 };
	int sets, dels, own_sets, kind;

	lapse_start(&t, 2, "");
	sets = t.f[0].sets;
	dels = t.f[0].dels;
	own_sets = t.f[1].sets;
	r.old = lease_of(&t.c[1]);
	revoke_lease(r.old);		/* under the running agent */
	ck_assert_msg(run_until(relet_done, &r, 8000),
		      "hv2 did not claim its VM again under a new lease");
	ck_assert_str_eq(moa_of(&t.f[1], "10.99.0.11", &kind), "10.2.1.1");
	ck_assert_int_eq(kind, MOB_KIND_LOCAL);
	ck_assert_int_eq(t.f[1].sets, own_sets);
	ck_assert_int_eq(t.f[1].dels, 0);
	/* Its MoA never went back to the pool. */
	ck_assert_int_eq(pool_count(t.a[1], "used"), 1);
	ck_assert_int_eq(pool_count(t.a[1], "held"), 0);
	ck_assert_int_eq(t.f[0].sets, sets);
	ck_assert_int_eq(t.f[0].dels, dels);
	two_stop(&t);
}
END_TEST

/* The owner is back but its VM stopped meanwhile: gone 2 x lease-ttl on. */
START_TEST(test_dir_lapse_owner_back)
{
	struct two t = { 0 };
	struct want_orphans wo;
	struct want w;
	long t0, ms;

	lapse_start(&t, 2, "");
	hv2_lapses(&t);
	wo = (struct want_orphans){ t.a[0], "hv2", 1, false };
	ck_assert_msg(run_until(orphans_are, &wo, 5000), "no orphan");
	memset(&t.f[1], 0, sizeof(t.f[1]));	/* its VM stopped */
	hv2_starts(&t);
	wo = (struct want_orphans){ t.a[0], "hv2", 1, true };
	ck_assert_msg(run_until(orphans_are, &wo, 5000), "hv2 is not back");
	t0 = ms_now();
	ck_assert_str_eq(moa_of(&t.f[0], "10.99.0.11", NULL), "10.2.1.1");
	w = (struct want){ &t.f[0], "10.99.0.11", "", 0 };
	ck_assert_msg(run_until(has_binding, &w, 8000),
		      "the binding outlived 2 x lease-ttl after hv2 came back");
	ms = ms_now() - t0;
	ck_assert_msg(ms >= 3500, "removed %ld ms after hv2 came back, before "
		      "2 x lease-ttl (4 s)", ms);
	wo = (struct want_orphans){ t.a[0], "hv2", 0, true };
	ck_assert(orphans_are(&wo));
	two_stop(&t);
}
END_TEST

/* A VM stopped: its owner deletes its key alone; the binding goes at once. */
START_TEST(test_dir_stop_removes_at_once)
{
	struct two t = { 0 };
	struct want_orphans wo;
	struct want w;

	lapse_start(&t, 2, "");
	t.f[1].gone_ports = 1u << 1;
	mobd_agent_reconcile(t.a[1]);
	/* Its key still names the MoA: not in the pool yet. */
	ck_assert_int_eq(pool_count(t.a[1], "used"), 1);
	w = (struct want){ &t.f[0], "10.99.0.11", "", 0 };
	ck_assert_msg(run_until(has_binding, &w, 2000),
		      "a stopped VM's binding stays");
	wo = (struct want_orphans){ t.a[0], "hv2", 0, true };
	ck_assert(orphans_are(&wo));
	/* Once hv2 saw its key go, the MoA is held back (moa-hold). */
	ck_assert_msg(run_until(pool_held, t.a[1], 3000),
		      "hv2's MoA did not go back to the pool");
	ck_assert_int_eq(pool_count(t.a[1], "used"), 0);
	two_stop(&t);
}
END_TEST

/* Nobody claims it: it goes after orphan-hold; 0 is the old behaviour. */
START_TEST(test_dir_orphan_hold)
{
	struct two t = { 0 };
	struct want_orphans wo;
	struct want w;
	long t0, ms;

	lapse_start(&t, 2, _i ? "orphan-hold = 0\n" : "orphan-hold = 2\n");
	t0 = ms_now();
	hv2_lapses(&t);
	if (!_i) {
		wo = (struct want_orphans){ t.a[0], "hv2", 1, false };
		ck_assert_msg(run_until(orphans_are, &wo, 5000), "no orphan");
	}
	w = (struct want){ &t.f[0], "10.99.0.11", "", 0 };
	ck_assert_msg(run_until(has_binding, &w, 5000),
		      "the orphan outlived orphan-hold");
	ms = ms_now() - t0;
	if (_i)
		ck_assert_msg(ms < 1500, "orphan-hold = 0 kept it %ld ms", ms);
	else
		ck_assert_msg(ms >= 1900, "orphan-hold = 2 kept it only %ld ms",
			      ms);
	wo = (struct want_orphans){ t.a[0], "hv2", -1, false };
	ck_assert(orphans_are(&wo));
	two_stop(&t);
}
END_TEST

/* An orphan is claimed like a free key, without evidence of a move. */
START_TEST(test_dir_orphan_claimed_here)
{
	struct two t = { 0 };
	struct want_orphans wo;
	struct want_state ws;
	struct mob_msg m;
	int kind;

	lapse_start(&t, 2, "");
	hv2_lapses(&t);
	wo = (struct want_orphans){ t.a[0], "hv2", 1, false };
	ck_assert_msg(run_until(orphans_are, &wo, 5000), "no orphan");
	m = neigh_event("10.99.0.11", "10.99.0.1", 2, mac2);
	mobd_agent_kernel_event(t.a[0], &m);
	ws = (struct want_state){ t.a[0], "10.99.0.11", "owned" };
	ck_assert_msg(run_until(state_is, &ws, 5000),
		      "the orphaned address was refused");
	ck_assert_str_eq(moa_of(&t.f[0], "10.99.0.11", &kind), "10.1.1.1");
	ck_assert_int_eq(kind, MOB_KIND_LOCAL);
	wo = (struct want_orphans){ t.a[0], "hv2", -1, false };
	ck_assert(orphans_are(&wo));
	two_stop(&t);
}
END_TEST

/* hv1 misses the lapse and reads everything after a compaction. */
START_TEST(test_dir_lapse_compacted)
{
	struct two t = { 0 };
	struct want_orphans wo;
	char body[64];
	int64_t id, rev;
	int dels;

	lapse_start(&t, 2, "");
	dels = t.f[0].dels;
	id = lease_of(&t.c[1]);
	mobd_agent_free(t.a[1]);
	t.a[1] = NULL;
	/* hv1's watch breaks with etcd; before it can resume, hv2's keys
	 * go and the revision it would resume from is compacted. */
	ck_assert_int_eq(etcdrun_restart(&etcd), 0);
	revoke_lease(id);
	/* "/unseen" = "x", outside the prefix: a revision to compact at */
	rev = etcd_post("/v3/kv/put",
			"{\"key\":\"L3Vuc2Vlbg==\",\"value\":\"eA==\"}");
	ck_assert_int_gt(rev, 0);
	snprintf(body, sizeof(body), "{\"revision\":\"%lld\"}", (long long)rev);
	ck_assert_int_ge(etcd_post("/v3/kv/compaction", body), 0);
	wo = (struct want_orphans){ t.a[0], "hv2", 1, false };
	ck_assert_msg(run_until(orphans_are, &wo, 15000),
		      "after the full read hv1 keeps no orphan");
	ck_assert_int_eq(t.f[0].dels, dels);
	ck_assert_str_eq(moa_of(&t.f[0], "10.99.0.11", NULL), "10.2.1.1");
	two_stop(&t);
}
END_TEST

/*
 * Bursts.  Claims made together go to etcd in few transactions, and a
 * hypervisor's hv key never before its claims.
 */

static const char *b64(const char *s, char *buf, size_t len)
{
	static const char t[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), i, o = 0;
	uint32_t v;

	ck_assert_uint_lt((n + 2) / 3 * 4, len);
	for (i = 0; i < n; i += 3) {
		v = (uint32_t)(unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		buf[o++] = t[v >> 18 & 63];
		buf[o++] = t[v >> 12 & 63];
		buf[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
		buf[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	buf[o] = 0;
	return buf;
}

/* The mod_revisions of the keys under PREFIX in etcd (up to MAX); how many. */
static int etcd_mod_revs(const char *prefix, int64_t *mod, int max)
{
	char body[256], k[96], e[96], end[64];
	struct json_object *o, *kvs, *v;
	int i, n = 0;

	snprintf(end, sizeof(end), "%s", prefix);
	end[strlen(end) - 1]++;
	snprintf(body, sizeof(body), "{\"key\":\"%s\",\"range_end\":\"%s\"}",
		 b64(prefix, k, sizeof(k)), b64(end, e, sizeof(e)));
	o = etcd_post_json("/v3/kv/range", body);
	ck_assert_ptr_nonnull(o);
	if (json_object_object_get_ex(o, "kvs", &kvs)) {
		n = (int)json_object_array_length(kvs);
		ck_assert_int_le(n, max);
		for (i = 0; i < n; i++) {
			ck_assert(json_object_object_get_ex(
				json_object_array_get_idx(kvs, i),
				"mod_revision", &v));
			mod[i] = json_object_get_int64(v); /* a JSON string */
		}
	}
	json_object_put(o);
	return n;
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return a < b ? -1 : a > b;
}

/* Into how many revisions N keys were written, and the most in one. */
static int revisions(int64_t *mod, int n, int *most)
{
	int i, runs = 0, run = 0;

	qsort(mod, n, sizeof(*mod), cmp_i64);
	*most = 0;
	for (i = 0; i < n; i++) {
		if (!i || mod[i] != mod[i - 1]) {
			runs++;
			run = 0;
		}
		if (++run > *most)
			*most = run;
	}
	return runs;
}

/* N VMs (10.99.0.100 and up, ports 0 and up) learned in one turn. */
static void learn_many(struct mobd_agent *a, int n)
{
	uint8_t mac[6] = { 0x52, 0x54, 0, 0, 1, 0 };
	struct mob_msg m;
	char hoa[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(hoa, sizeof(hoa), "10.99.0.%d", 100 + i);
		mac[5] = (uint8_t)i;
		m = neigh_event(hoa, "10.99.0.1", i, mac);
		mobd_agent_kernel_event(a, &m);
	}
}

/* Each agent's hv key is there, as the other sees it. */
static bool sites_up(void *arg)
{
	struct two *t = arg;
	bool up1, up2;

	orphans_of(t->a[1], "hv1", &up1);
	orphans_of(t->a[0], "hv2", &up2);
	return up1 && up2;
}

struct many {
	struct two *t;
	int owner;		/* 0: hv1, 1: hv2 */
	int n;
	int64_t old_lease;	/* the owner's lease must differ */
};

static int owned_count(struct mobd_agent *a)
{
	struct json_object *arr = mobd_agent_show(a, "vms"), *v;
	size_t i;
	int n = 0;

	for (i = 0; i < json_object_array_length(arr); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(arr, i),
					      "state", &v) &&
		    !strcmp(json_object_get_string(v), "owned"))
			n++;
	json_object_put(arr);
	return n;
}

/* The owner owns all N (under a new lease), the other binds all N. */
static bool many_done(void *arg)
{
	struct many *m = arg;
	struct want_orphans wo = { m->t->a[!m->owner],
				   m->owner ? "hv2" : "hv1", 0, true };

	return owned_count(m->t->a[m->owner]) == m->n &&
	       m->t->f[!m->owner].n == m->n && orphans_are(&wo) &&
	       (!m->old_lease || lease_of(&m->t->c[m->owner]) != m->old_lease);
}

/* 20 new VMs at once, 8 claims a transaction at most: 3 transactions. */
START_TEST(test_dir_claims_batched)
{
	struct two t = { 0 };
	struct many m = { &t, 0, 20, 0 };
	int64_t mod[32];
	int n, runs, most;

	claim_batch = 8;
	two_start(&t);
	ck_assert_msg(run_until(sites_up, &t, 5000), "no hv keys");
	learn_many(t.a[0], m.n);
	/* Queued, not sent yet: "site show" says so. */
	ck_assert_int_eq(claims_count(t.a[0], "claims_queued"), m.n);
	ck_assert_int_eq(claims_count(t.a[0], "claims_in_flight"), 0);
	ck_assert_msg(run_until(many_done, &m, 5000),
		      "hv1 owns %d of %d, hv2 binds %d", owned_count(t.a[0]),
		      m.n, t.f[1].n);
	ck_assert_int_eq(claims_count(t.a[0], "claims_queued"), 0);
	ck_assert_int_eq(claims_count(t.a[0], "claims_in_flight"), 0);
	n = etcd_mod_revs("/mob/vm/", mod, 32);
	ck_assert_int_eq(n, m.n);
	runs = revisions(mod, n, &most);
	ck_assert_msg(runs == 3 && most == 8, "%d claims written in %d "
		      "revisions, %d at most in one", n, runs, most);
	two_stop(&t);
}
END_TEST

/*
 * hv2's lease goes under it: it claims its 10 VMs again, 4 a transaction
 * at most, its hv key in the first (not before: hv1 would start counting
 * 2 x lease-ttl for VMs not claimed yet; not after: under a lease with
 * VM keys and no hv key, a lapse would not look like one).  hv1 keeps
 * its bindings throughout.
 */
START_TEST(test_dir_relet_batched)
{
	struct two t = { 0 };
	struct many m = { &t, 1, 10, 0 };
	int64_t mod[32], hv;
	int n, runs, most, sets, dels;

	claim_batch = 4;
	two_start_conf(&t, 2, "");
	ck_assert_msg(run_until(sites_up, &t, 5000), "no hv keys");
	learn_many(t.a[1], m.n);
	ck_assert_msg(run_until(many_done, &m, 5000), "hv2 owns %d of %d",
		      owned_count(t.a[1]), m.n);
	run_for(300);
	sets = t.f[0].sets;
	dels = t.f[0].dels;
	m.old_lease = lease_of(&t.c[1]);
	ck_assert_int_gt(m.old_lease, 0);
	revoke_lease(m.old_lease);
	ck_assert_msg(run_until(many_done, &m, 8000), "hv2 owns %d of %d "
		      "again", owned_count(t.a[1]), m.n);
	n = etcd_mod_revs("/mob/vm/", mod, 32);
	ck_assert_int_eq(n, m.n);
	ck_assert_int_eq(etcd_mod_revs("/mob/hv/hv2", &hv, 1), 1);
	runs = revisions(mod, n, &most);
	ck_assert_msg(runs == 3 && most == 4, "%d claims written in %d "
		      "revisions, %d at most in one", n, runs, most);
	ck_assert_msg(hv == mod[0], "hv key at revision %lld, the first "
		      "claims at %lld", (long long)hv, (long long)mod[0]);
	ck_assert_int_eq(t.f[0].sets, sets);
	ck_assert_int_eq(t.f[0].dels, dels);
	two_stop(&t);
}
END_TEST

static bool hv2_down(void *arg)
{
	bool up;

	orphans_of(arg, "hv2", &up);
	return !up;
}

/*
 * etcd takes longer than etcd-timeout to read hv2's requests, as when it
 * is starved of CPU: a refresh given up on after etcd-timeout would never
 * reach it, and the lease would lapse.  Refreshes wait for half the
 * lease's TTL: the lease lives, hv2 stays up.
 */
START_TEST(test_dir_slow_refresh)
{
	struct two t = { 0 };
	struct slowproxy p;
	int64_t id;

	ck_assert_msg(!etcdrun_start(&etcd), "etcd did not start");
	ck_assert_int_eq(slowproxy_start(&p, etcd.client_port), 0);
	hv2_etcd = p.url;
	two_start_conf(&t, 3, "etcd-timeout = 300\n");
	ck_assert_msg(run_until(sites_up, &t, 5000), "no hv keys");
	run_for(300);
	id = lease_of(&t.c[1]);
	ck_assert_int_gt(id, 0);
	/* 2 x lease-ttl of requests read 700 ms late. */
	slowproxy_delay(&p, 700);
	ck_assert_msg(!run_until(hv2_down, t.a[0], 6000),
		      "hv2's lease lapsed while etcd was slow");
	ck_assert_int_eq(lease_of(&t.c[1]), id);
	slowproxy_delay(&p, 0);
	two_stop(&t);
	slowproxy_stop(&p);
}
END_TEST

/* Migrations: the fake kernel's alias MOA is WANT. */
struct want_alias {
	struct fake *f;
	const char *moa, *want;
};

static bool alias_is(void *arg)
{
	struct want_alias *w = arg;

	return !strcmp(alias_of(w->f, w->moa), w->want);
}

/* The number of migrations a's "site show" lists. */
static int migrations_of(struct mobd_agent *a)
{
	struct json_object *o = mobd_agent_show(a, "sites"), *arr;
	int n = -1;

	if (json_object_object_get_ex(o, "migrations", &arr))
		n = (int)json_object_array_length(arr);
	json_object_put(o);
	return n;
}

struct want_migs {
	struct mobd_agent *a;
	int n;
};

static bool migs_are(void *arg)
{
	struct want_migs *w = arg;

	return migrations_of(w->a) == w->n;
}

/*
 * web1 (10.99.0.21, fd99::21) runs on hv1; hv2's libvirt creates the
 * incoming domain: hv2 reserves its next MoAs and hv1 learns them.
 */
static void mig_prepare(struct two *t)
{
	struct mobd_domain d;
	struct want_alias wa;
	struct want_migs wm;
	struct want w;

	d = domain("web1", MOBD_DOM_RUNNING, MOBD_CAUSE_STARTED, false);
	mobd_agent_domain(t->a[0], &d);
	w = (struct want){ &t->f[1], "10.99.0.21", "10.1.1.1", MOB_KIND_REMOTE };
	ck_assert_msg(run_until(has_binding, &w, 5000), "hv2 did not learn");
	w = (struct want){ &t->f[1], "fd99::21", "fd00:1:1::1",
			   MOB_KIND_REMOTE };
	ck_assert_msg(run_until(has_binding, &w, 5000), "hv2 did not learn v6");

	d = domain("web1", MOBD_DOM_PAUSED, MOBD_CAUSE_STARTED, true);
	d.incoming = true;	/* virt.c: STARTED_MIGRATED */
	mobd_agent_domain(t->a[1], &d);
	ck_assert_str_eq(vm_state(t->a[1], "10.99.0.21"), "incoming");
	ck_assert_str_eq(vm_state(t->a[1], "fd99::21"), "incoming");
	/* Nothing changes in hv2's kernel before the VM runs there. */
	ck_assert_str_eq(moa_of(&t->f[1], "10.99.0.21", NULL), "10.1.1.1");
	ck_assert_int_eq(t->f[1].n_al, 0);
	/* hv1 accepts packets from the next MoAs already. */
	wa = (struct want_alias){ &t->f[0], "10.2.1.1", "10.99.0.21" };
	ck_assert_msg(run_until(alias_is, &wa, 5000), "hv1 has no alias: %s",
		      alias_of(&t->f[0], "10.2.1.1"));
	wa = (struct want_alias){ &t->f[0], "fd00:2:1::1", "fd99::21" };
	ck_assert_msg(run_until(alias_is, &wa, 5000), "hv1 has no v6 alias");
	wm = (struct want_migs){ t->a[0], 2 };
	ck_assert_msg(run_until(migs_are, &wm, 5000), "hv1 lists %d migrations",
		      migrations_of(t->a[0]));
	ck_assert_str_eq(moa_of(&t->f[0], "10.99.0.21", NULL), "10.1.1.1");
}

/* The source pauses web1 for the last copy: hv1 binds it to hv2's MoA
 * and forwards what still comes to its old one. */
static void mig_suspend(struct two *t)
{
	struct mobd_domain d;
	int kind;

	d = domain("web1", MOBD_DOM_PAUSED, MOBD_CAUSE_SUSPENDED, true);
	mobd_agent_domain(t->a[0], &d);
	ck_assert_str_eq(moa_of(&t->f[0], "10.99.0.21", &kind), "10.2.1.1");
	ck_assert_int_eq(kind, MOB_KIND_REMOTE);
	ck_assert_str_eq(moa_of(&t->f[0], "fd99::21", &kind), "fd00:2:1::1");
	ck_assert_str_eq(alias_of(&t->f[0], "10.1.1.1"),
			 "10.99.0.21>10.2.1.1");
	ck_assert_str_eq(alias_of(&t->f[0], "fd00:1:1::1"),
			 "fd99::21>fd00:2:1::1");
	/* The binding took the place of the next MoA's alias. */
	ck_assert_str_eq(alias_of(&t->f[0], "10.2.1.1"), "");
	/* The directory still names hv1 until hv2 claims. */
	ck_assert_str_eq(vm_state(t->a[0], "10.99.0.21"), "owned");
}

START_TEST(test_mig_make_before_break)
{
	struct two t = { 0 };
	struct want_state ws;
	struct mobd_domain d;
	struct want_migs wm;
	struct want w;
	int kind, sets;

	two_start(&t);
	mig_prepare(&t);
	mig_suspend(&t);
	/* hv2's VM runs: the flip is done before any directory reply. */
	sets = t.f[1].sets;
	d = domain("web1", MOBD_DOM_RUNNING, MOBD_CAUSE_RESUMED, true);
	mobd_agent_domain(t.a[1], &d);
	ck_assert_str_eq(moa_of(&t.f[1], "10.99.0.21", &kind), "10.2.1.1");
	ck_assert_int_eq(kind, MOB_KIND_LOCAL);
	ck_assert_str_eq(moa_of(&t.f[1], "fd99::21", &kind), "fd00:2:1::1");
	ck_assert_int_eq(kind, MOB_KIND_LOCAL);
	ck_assert_int_eq(t.f[1].sets, sets + 2);
	/* ... and so is its neighbour entry: hv2 need not ARP for it. */
	ck_assert(has_neigh(&t.f[1], "10.99.0.21", PORT_BASE + 3, mac1));
	ck_assert(has_neigh(&t.f[1], "fd99::21", PORT_BASE + 3, mac1));
	/* Then the claim; the mig keys go and hv1 follows the VM keys. */
	ws = (struct want_state){ t.a[1], "10.99.0.21", "owned" };
	ck_assert_msg(run_until(state_is, &ws, 5000), "hv2 does not own it");
	ws = (struct want_state){ t.a[1], "fd99::21", "owned" };
	ck_assert_msg(run_until(state_is, &ws, 5000), "hv2 does not own v6");
	wm = (struct want_migs){ t.a[0], 0 };
	ck_assert_msg(run_until(migs_are, &wm, 5000),
		      "hv1 still lists %d migrations", migrations_of(t.a[0]));
	ws = (struct want_state){ t.a[0], "10.99.0.21", "" };
	ck_assert_msg(run_until(state_is, &ws, 5000), "hv1 still has it");
	ck_assert_str_eq(moa_of(&t.f[0], "10.99.0.21", &kind), "10.2.1.1");
	ck_assert_int_eq(kind, MOB_KIND_REMOTE);
	ck_assert_int_eq(t.f[0].routes, 0);
	ck_assert_int_eq(t.f[0].n_nb, 0);
	/* The forwarding stays for moa-hold (the kernel's timeout). */
	ck_assert_str_eq(alias_of(&t.f[0], "10.1.1.1"), "10.99.0.21>10.2.1.1");
	ck_assert_int_eq(t.f[0].al[0].timeout_ms, t.c[0].moa_hold * 1000u);
	/* Libvirt's late word on the source changes nothing. */
	d = domain("web1", MOBD_DOM_SHUTOFF, MOBD_CAUSE_STOPPED, true);
	mobd_agent_domain(t.a[0], &d);
	ck_assert_str_eq(moa_of(&t.f[0], "10.99.0.21", NULL), "10.2.1.1");
	w = (struct want){ &t.f[1], "10.99.0.21", "10.2.1.1", MOB_KIND_LOCAL };
	run_for(300);
	ck_assert(has_binding(&w));
	ck_assert_int_eq(t.f[1].n_al, 0);
	two_stop(&t);
}
END_TEST

/* The destination fails after the source paused: the source serves the
 * VM again, everything as before. */
START_TEST(test_mig_fails_after_suspend)
{
	struct two t = { 0 };
	struct want_alias wa;
	struct mobd_domain d;
	struct want_migs wm;
	int kind;

	two_start(&t);
	mig_prepare(&t);
	mig_suspend(&t);
	d = domain("web1", MOBD_DOM_SHUTOFF, MOBD_CAUSE_STOPPED, false);
	mobd_agent_domain(t.a[1], &d);
	ck_assert_str_eq(vm_state(t.a[1], "10.99.0.21"), "");
	wm = (struct want_migs){ t.a[0], 0 };
	ck_assert_msg(run_until(migs_are, &wm, 5000),
		      "hv1 still lists %d migrations", migrations_of(t.a[0]));
	/* libvirt resumes it on the source. */
	d = domain("web1", MOBD_DOM_RUNNING, MOBD_CAUSE_RESUMED, true);
	mobd_agent_domain(t.a[0], &d);
	ck_assert_str_eq(moa_of(&t.f[0], "10.99.0.21", &kind), "10.1.1.1");
	ck_assert_int_eq(kind, MOB_KIND_LOCAL);
	ck_assert_str_eq(moa_of(&t.f[0], "fd99::21", &kind), "fd00:1:1::1");
	ck_assert_int_eq(kind, MOB_KIND_LOCAL);
	/* The local binding replaced the forwarding; no alias anywhere. */
	ck_assert_int_eq(t.f[0].n_al, 0);
	ck_assert_int_eq(t.f[1].n_al, 0);
	ck_assert_str_eq(vm_state(t.a[0], "10.99.0.21"), "owned");
	ck_assert_str_eq(moa_of(&t.f[1], "10.99.0.21", &kind), "10.1.1.1");
	ck_assert_int_eq(kind, MOB_KIND_REMOTE);
	/* The reconcile keeps it so. */
	mobd_agent_reconcile(t.a[0]);
	ck_assert_str_eq(moa_of(&t.f[0], "10.99.0.21", &kind), "10.1.1.1");
	ck_assert_int_eq(kind, MOB_KIND_LOCAL);
	/* hv2's reserved MoA went back: the next VM there does not get it
	 * while it is held, and nothing waits on it. */
	wa = (struct want_alias){ &t.f[0], "10.2.1.1", "" };
	ck_assert(alias_is(&wa));
	two_stop(&t);
}
END_TEST

/* Aborted before the source paused: only the others' aliases go. */
START_TEST(test_mig_aborted_early)
{
	struct two t = { 0 };
	struct want_alias wa;
	struct mobd_domain d;
	int kind, sets;

	two_start(&t);
	mig_prepare(&t);
	sets = t.f[0].sets;
	/* The incoming domain is undefined (gone). */
	d = domain("web1", MOBD_DOM_SHUTOFF, MOBD_CAUSE_UNDEFINED, false);
	mobd_agent_domain(t.a[1], &d);
	wa = (struct want_alias){ &t.f[0], "10.2.1.1", "" };
	ck_assert_msg(run_until(alias_is, &wa, 5000), "hv1 kept the alias");
	wa = (struct want_alias){ &t.f[0], "fd00:2:1::1", "" };
	ck_assert_msg(run_until(alias_is, &wa, 5000), "hv1 kept the v6 alias");
	ck_assert_int_eq(t.f[0].sets, sets);
	ck_assert_str_eq(moa_of(&t.f[0], "10.99.0.21", &kind), "10.1.1.1");
	ck_assert_int_eq(kind, MOB_KIND_LOCAL);
	ck_assert_str_eq(vm_state(t.a[0], "10.99.0.21"), "owned");
	ck_assert_str_eq(moa_of(&t.f[1], "10.99.0.21", NULL), "10.1.1.1");
	/* A paused source without an announced destination keeps its
	 * binding: the move then follows the claim, as before. */
	d = domain("web1", MOBD_DOM_PAUSED, MOBD_CAUSE_SUSPENDED, true);
	mobd_agent_domain(t.a[0], &d);
	ck_assert_str_eq(moa_of(&t.f[0], "10.99.0.21", &kind), "10.1.1.1");
	ck_assert_int_eq(kind, MOB_KIND_LOCAL);
	two_stop(&t);
}
END_TEST

/* The VM's RARP at the destination flips it before libvirt's event. */
START_TEST(test_mig_rarp_first)
{
	struct two t = { 0 };
	struct want_state ws;
	struct mobd_domain d;
	struct mob_msg m;
	int kind;

	two_start(&t);
	mig_prepare(&t);
	mig_suspend(&t);
	m = rarp_event(3, mac1);
	mobd_agent_kernel_event(t.a[1], &m);
	ck_assert_str_eq(moa_of(&t.f[1], "10.99.0.21", &kind), "10.2.1.1");
	ck_assert_int_eq(kind, MOB_KIND_LOCAL);
	ck_assert_str_eq(moa_of(&t.f[1], "fd99::21", &kind), "fd00:2:1::1");
	ck_assert_int_eq(kind, MOB_KIND_LOCAL);
	/* libvirt's event then changes nothing. */
	d = domain("web1", MOBD_DOM_RUNNING, MOBD_CAUSE_RESUMED, true);
	mobd_agent_domain(t.a[1], &d);
	ck_assert_str_eq(moa_of(&t.f[1], "10.99.0.21", NULL), "10.2.1.1");
	ws = (struct want_state){ t.a[1], "10.99.0.21", "owned" };
	ck_assert_msg(run_until(state_is, &ws, 5000), "hv2 does not own it");
	ws = (struct want_state){ t.a[0], "fd99::21", "" };
	ck_assert_msg(run_until(state_is, &ws, 5000), "hv1 still has it");
	two_stop(&t);
}
END_TEST

/*
 * The destination's domain goes while etcd cannot be reached: its mig key
 * is deleted once etcd is back, so the others drop their aliases and a
 * later binding to that MoA works.
 */
START_TEST(test_mig_key_deleted_after_outage)
{
	struct two t = { 0 };
	struct mobd_domain d;
	struct want_migs wm;
	struct want w;

	two_start(&t);
	mig_prepare(&t);
	kill(etcd.pid, SIGKILL);
	waitpid(etcd.pid, NULL, 0);
	etcd.pid = 0;
	d = domain("web1", MOBD_DOM_SHUTOFF, MOBD_CAUSE_STOPPED, false);
	mobd_agent_domain(t.a[1], &d);
	ck_assert_str_eq(vm_state(t.a[1], "10.99.0.21"), "");
	run_for(500);
	ck_assert_int_eq(etcdrun_restart(&etcd), 0);
	wm = (struct want_migs){ t.a[0], 0 };
	ck_assert_msg(run_until(migs_are, &wm, 15000),
		      "hv1 still lists %d migrations", migrations_of(t.a[0]));
	ck_assert_str_eq(alias_of(&t.f[0], "10.2.1.1"), "");
	/* Another VM gets 10.2.1.1 at hv2 later: hv1 can bind it. */
	etcd_post("/v3/kv/put", "{\"key\":\"L21vYi92bS8xMC45OS4wLjUw\","
		  "\"value\":\"eyJtb2EiOiIxMC4yLjEuMSIsImh2IjoiaHYyIn0=\"}");
	w = (struct want){ &t.f[0], "10.99.0.50", "10.2.1.1", MOB_KIND_REMOTE };
	ck_assert_msg(run_until(has_binding, &w, 5000),
		      "hv1 cannot bind 10.99.0.50 -> 10.2.1.1");
	two_stop(&t);
}
END_TEST

/* The VM stops at the destination right after the flip: the mig key goes
 * with it. */
START_TEST(test_mig_key_deleted_on_depart)
{
	struct two t = { 0 };
	struct mobd_domain d;
	struct want_migs wm;

	two_start(&t);
	mig_prepare(&t);
	d = domain("web1", MOBD_DOM_RUNNING, MOBD_CAUSE_RESUMED, true);
	mobd_agent_domain(t.a[1], &d);
	d = domain("web1", MOBD_DOM_SHUTOFF, MOBD_CAUSE_STOPPED, false);
	mobd_agent_domain(t.a[1], &d);
	wm = (struct want_migs){ t.a[0], 0 };
	ck_assert_msg(run_until(migs_are, &wm, 5000),
		      "hv1 still lists %d migrations", migrations_of(t.a[0]));
	wm = (struct want_migs){ t.a[1], 0 };
	ck_assert_msg(run_until(migs_are, &wm, 5000),
		      "hv2 still lists %d migrations", migrations_of(t.a[1]));
	two_stop(&t);
}
END_TEST

/*
 * Post-copy failed on the source after the destination claimed: a domain
 * paused by migration that the source reports is not an incoming one.
 */
START_TEST(test_mig_source_paused_after_claim)
{
	struct two t = { 0 };
	struct want_state ws;
	struct mobd_domain d;

	two_start(&t);
	mig_prepare(&t);
	mig_suspend(&t);
	d = domain("web1", MOBD_DOM_RUNNING, MOBD_CAUSE_RESUMED, true);
	mobd_agent_domain(t.a[1], &d);
	ws = (struct want_state){ t.a[0], "10.99.0.21", "" };
	ck_assert_msg(run_until(state_is, &ws, 5000), "hv1 still has it");
	d = domain("web1", MOBD_DOM_PAUSED, MOBD_CAUSE_SUSPENDED, true);
	mobd_agent_domain(t.a[0], &d);
	run_for(1000);
	ck_assert_str_ne(vm_state(t.a[0], "10.99.0.21"), "incoming");
	ck_assert_int_eq(migrations_of(t.a[1]), 0);
	ck_assert_int_eq(migrations_of(t.a[0]), 0);
	/* hv2 keeps it. */
	ck_assert_str_eq(vm_state(t.a[1], "10.99.0.21"), "owned");
	ck_assert_str_eq(moa_of(&t.f[0], "10.99.0.21", NULL), "10.2.1.1");
	two_stop(&t);
}
END_TEST

/* The source agent restarts while its VM is paused for the last copy:
 * the key stays, and every kernel keeps a binding for the VM. */
START_TEST(test_mig_source_restarts_paused)
{
	struct two t = { 0 };
	struct mobd_domain d;
	struct want w;

	two_start(&t);
	mig_prepare(&t);
	mig_suspend(&t);
	mobd_agent_free(t.a[0]);
	ck_assert_int_eq(mobd_agent_new(&t.a[0], &t.c[0], &t.dp[0]), 0);
	ck_assert_int_eq(mobd_agent_start(t.a[0]), 0);
	d = domain("web1", MOBD_DOM_PAUSED, MOBD_CAUSE_LIST, true);
	mobd_agent_domain(t.a[0], &d);
	mobd_agent_no_virt(t.a[0]);
	mobd_agent_virt_connected(t.a[0]);
	w = (struct want){ &t.f[0], "10.99.0.21", "10.2.1.1", MOB_KIND_REMOTE };
	ck_assert_msg(run_until(has_binding, &w, 6000),
		      "restarted hv1 does not forward: %s",
		      moa_of(&t.f[0], "10.99.0.21", NULL));
	run_for(1000);
	ck_assert_str_ne(moa_of(&t.f[1], "10.99.0.21", NULL), "");
	/* The migration ends: hv2 flips and claims, hv1 follows. */
	d = domain("web1", MOBD_DOM_RUNNING, MOBD_CAUSE_RESUMED, true);
	mobd_agent_domain(t.a[1], &d);
	w = (struct want){ &t.f[1], "10.99.0.21", "10.2.1.1", MOB_KIND_LOCAL };
	ck_assert(has_binding(&w));
	w = (struct want){ &t.f[0], "10.99.0.21", "10.2.1.1", MOB_KIND_REMOTE };
	run_for(1000);
	ck_assert(has_binding(&w));
	two_stop(&t);
}
END_TEST

/*
 * The source gets STOPPED_MIGRATED then UNDEFINED (--undefinesource)
 * before the destination's claim: it keeps its key and the forwarding.
 */
START_TEST(test_mig_source_undefined_before_claim)
{
	struct two t = { 0 };
	struct mobd_domain d;

	two_start(&t);
	mig_prepare(&t);
	mig_suspend(&t);
	d = domain("web1", MOBD_DOM_SHUTOFF, MOBD_CAUSE_STOPPED, true);
	mobd_agent_domain(t.a[0], &d);
	d = domain("web1", MOBD_DOM_SHUTOFF, MOBD_CAUSE_UNDEFINED, false);
	mobd_agent_domain(t.a[0], &d);
	run_for(1000);
	ck_assert_str_eq(moa_of(&t.f[0], "10.99.0.21", NULL), "10.2.1.1");
	ck_assert_str_eq(moa_of(&t.f[1], "10.99.0.21", NULL), "10.1.1.1");
	ck_assert_str_eq(alias_of(&t.f[0], "10.1.1.1"), "10.99.0.21>10.2.1.1");
	two_stop(&t);
}
END_TEST

/*
 * learn = arp: an ordinary ARP with the VM's addresses at the destination
 * does not take the reservation: the source keeps the VM.
 */
START_TEST(test_mig_arp_is_no_arrival)
{
	struct two t = { 0 };
	struct mob_msg m;

	two_start(&t);
	mig_prepare(&t);
	m = neigh_event("10.99.0.21", "10.99.0.1", 7, mac1);
	mobd_agent_kernel_event(t.a[1], &m);
	m = neigh_event("fd99::21", "fd99::1", 8, mac2);
	mobd_agent_kernel_event(t.a[1], &m);
	run_for(1500);
	ck_assert_str_eq(vm_state(t.a[0], "10.99.0.21"), "owned");
	ck_assert_str_eq(vm_state(t.a[1], "10.99.0.21"), "incoming");
	ck_assert_str_eq(vm_state(t.a[1], "fd99::21"), "incoming");
	ck_assert_str_eq(alias_of(&t.f[0], "fd00:2:1::1"), "fd99::21");
	ck_assert_int_eq(migrations_of(t.a[0]), 2);
	two_stop(&t);
}
END_TEST

Suite *agent_suite(void)
{
	Suite *s = suite_create("agent");
	TCase *tc = tcase_create("single");

	tcase_add_test(tc, test_single_learn_from_arp);
	tcase_add_test(tc, test_single_pool_exhausted);
	tcase_add_test(tc, test_single_adopt_on_restart);
	tcase_add_test(tc, test_libvirt_lifecycle);
	tcase_add_test(tc, test_libvirt_reconnect_settles);
	tcase_add_test(tc, test_libvirt_test_driver);
	tcase_add_test(tc, test_libvirt_stopped_during_outage);
	suite_add_tcase(s, tc);
	tc = tcase_create("directory");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_dir_share_and_move);
	tcase_add_test(tc, test_dir_refuse_without_evidence);
	tcase_add_test(tc, test_dir_race);
	tcase_add_test(tc, test_dir_conflict_released);
	tcase_add_test(tc, test_dir_stale_own_key);
	tcase_add_test(tc, test_dir_lapse_keeps_binding);
	tcase_add_test(tc, test_dir_own_lease_lost);
	tcase_add_test(tc, test_dir_lapse_owner_back);
	tcase_add_test(tc, test_dir_stop_removes_at_once);
	tcase_add_loop_test(tc, test_dir_orphan_hold, 0, 2);
	tcase_add_test(tc, test_dir_orphan_claimed_here);
	tcase_add_test(tc, test_dir_lapse_compacted);
	tcase_add_test(tc, test_dir_claims_batched);
	tcase_add_test(tc, test_dir_relet_batched);
	tcase_add_test(tc, test_dir_slow_refresh);
	suite_add_tcase(s, tc);
	tc = tcase_create("migration");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_mig_make_before_break);
	tcase_add_test(tc, test_mig_fails_after_suspend);
	tcase_add_test(tc, test_mig_aborted_early);
	tcase_add_test(tc, test_mig_rarp_first);
	tcase_add_test(tc, test_mig_key_deleted_after_outage);
	tcase_add_test(tc, test_mig_key_deleted_on_depart);
	tcase_add_test(tc, test_mig_source_paused_after_claim);
	tcase_add_test(tc, test_mig_source_restarts_paused);
	tcase_add_test(tc, test_mig_source_undefined_before_claim);
	tcase_add_test(tc, test_mig_arp_is_no_arrival);
	suite_add_tcase(s, tc);
	return s;
}
