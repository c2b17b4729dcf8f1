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
#include <sys/stat.h>
#include <arpa/inet.h>
#include <json-c/json.h>
#include <libvirt/libvirt.h>

#include "agent.h"
#include "config.h"
#include "etcdrun.h"
#include "log.h"
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
};

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

	f->sets++;
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
		.sync_prefixes = fake_prefixes, .port_up = fake_port_up,
		.route_add = fake_route_add, .route_del = fake_route_del,
		.proxy_add = fake_proxy_add, .proxy_del = fake_proxy_del,
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

static char *dir_conf(int hv)
{
	char cwd[200], *s;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_ge(asprintf(&s,
		"hypervisor = hv%d\nlibvirt = none\nlearn = arp\n"
		"vm-ports = vmport*\npool = 10.%d.1.0/24\npool = fd00:%d:1::/64\n"
		"home = 10.99.0.0/24 gateway 10.99.0.1\n"
		"home = fd99::/64 gateway fe80::1\n"
		"etcd = %s\nlease-ttl = 4\nstate-dir = %s/build/unit-etcd/hv%d-%d\n",
		hv, hv, hv, etcd.url, cwd, hv, getpid()), 0);
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

static void two_start(struct two *t)
{
	char *conf;
	int i;

	ck_assert_msg(!etcdrun_start(&etcd), "etcd did not start");
	loop_init();
	if (system("mkdir -p build/unit-etcd"))
		ck_abort_msg("mkdir");
	for (i = 0; i < 2; i++) {
		conf = dir_conf(i + 1);
		load_config(&t->c[i], conf);
		free(conf);
		mkdir(t->c[i].state_dir, 0700);
		t->dp[i] = fake_dp(&t->f[i]);
		ck_assert_int_eq(mobd_agent_new(&t->a[i], &t->c[i], &t->dp[i]), 0);
		ck_assert_int_eq(mobd_agent_start(t->a[i]), 0);
		mobd_agent_no_virt(t->a[i]);
	}
	ck_assert_msg(run_until(both_synced, t, 10000), "no directory sync");
}

static void two_stop(struct two *t)
{
	mobd_agent_free(t->a[0]);
	mobd_agent_free(t->a[1]);
	etcdrun_stop(&etcd);
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
	suite_add_tcase(s, tc);
	return s;
}
