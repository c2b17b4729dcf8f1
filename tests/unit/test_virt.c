// SPDX-License-Identifier: GPL-2.0
/*
 * agent/mobd/virt.c: the domain XML parser, good and bad; the connection
 * against libvirt's test driver in process (listing, lifecycle events);
 * and the same behind a private libvirtd that is killed and restarted, to
 * see the connection drop and come back.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "log.h"
#include "virt.h"
#include "suites.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define UUID1	"c7a5fdbd-cdaf-9455-926a-d65c16db1809"
#define MAC1	"52:54:00:00:00:01"
#define MAC2	"52:54:00:00:00:02"

/* A domain with interfaces IFACES and <metadata> content META. */
static char *domain_xml(const char *name, const char *uuid,
			const char *ifaces, const char *meta)
{
	char *s;

	if (asprintf(&s,
		     "<domain type='test'>\n"
		     "  <name>%s</name>\n"
		     "  <uuid>%s</uuid>\n"
		     "  <memory unit='KiB'>65536</memory>\n"
		     "  <os><type>hvm</type></os>\n"
		     "  <devices>\n%s  </devices>\n"
		     "%s%s%s"
		     "</domain>\n", name, uuid, ifaces,
		     meta ? "  <metadata>\n" : "", meta ? meta : "",
		     meta ? "  </metadata>\n" : "") < 0)
		ck_abort_msg("out of memory");
	return s;
}

#define IFACE(mac, dev)							\
	"    <interface type='network'>\n"				\
	"      <mac address='" mac "'/>\n"				\
	"      <source network='default'/>\n"				\
	dev								\
	"    </interface>\n"

#define IFACES2	IFACE(MAC1, "      <target dev='vnet7'/>\n") IFACE(MAC2, "")

#define META(body)							\
	"    <mob:vm xmlns:mob='" MOBD_XMLNS "'>\n" body "    </mob:vm>\n"

#define META2								\
	META("      <mob:interface mac='" MAC1 "'>\n"			\
	     "        <mob:hoa>10.99.0.11</mob:hoa>\n"			\
	     "        <mob:hoa>fd99::11</mob:hoa>\n"			\
	     "      </mob:interface>\n"					\
	     "      <mob:interface mac='" MAC2 "'>\n"			\
	     "        <mob:hoa>10.99.0.12</mob:hoa>\n"			\
	     "      </mob:interface>\n")

static void check_hoa(const struct mobd_hoa *h, const char *want)
{
	char buf[INET6_ADDRSTRLEN];

	ck_assert_ptr_nonnull(inet_ntop(h->family, &h->addr, buf, sizeof(buf)));
	ck_assert_str_eq(buf, want);
}

static void check_mac(const struct mobd_vif *vif, const char *want)
{
	char buf[18];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x",
		 vif->mac[0], vif->mac[1], vif->mac[2], vif->mac[3],
		 vif->mac[4], vif->mac[5]);
	ck_assert_str_eq(buf, want);
}

/* The HoAs of META2 on the interfaces of IFACES2. */
static void check_meta2(const struct mobd_domain *d)
{
	ck_assert(d->has_metadata);
	ck_assert_int_eq(d->n_vif, 2);
	check_mac(&d->vif[0], MAC1);
	ck_assert_int_eq(d->vif[0].n_hoa, 2);
	ck_assert_int_eq(d->vif[0].hoa[0].family, AF_INET);
	check_hoa(&d->vif[0].hoa[0], "10.99.0.11");
	ck_assert_int_eq(d->vif[0].hoa[1].family, AF_INET6);
	check_hoa(&d->vif[0].hoa[1], "fd99::11");
	check_mac(&d->vif[1], MAC2);
	ck_assert_int_eq(d->vif[1].n_hoa, 1);
	check_hoa(&d->vif[1].hoa[0], "10.99.0.12");
}

START_TEST(test_parse_good)
{
	static const unsigned char uuid[16] = {
		0xc7, 0xa5, 0xfd, 0xbd, 0xcd, 0xaf, 0x94, 0x55,
		0x92, 0x6a, 0xd6, 0x5c, 0x16, 0xdb, 0x18, 0x09,
	};
	char *xml = domain_xml("vm1", UUID1, IFACES2, META2);
	struct mobd_domain d;
	char err[256] = "";

	memset(&d, 0, sizeof(d));
	d.state = MOBD_DOM_PAUSED;
	d.cause = MOBD_CAUSE_RESUMED;
	d.migrated = true;
	ck_assert_int_eq(mobd_virt_parse_xml(xml, &d, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(d.name, "vm1");
	ck_assert_mem_eq(d.uuid, uuid, 16);
	check_meta2(&d);
	ck_assert_str_eq(d.vif[0].port, "vnet7");
	ck_assert_str_eq(d.vif[1].port, "");
	/* Left as they were. */
	ck_assert_int_eq(d.state, MOBD_DOM_PAUSED);
	ck_assert_int_eq(d.cause, MOBD_CAUSE_RESUMED);
	ck_assert(d.migrated);
	free(xml);
}
END_TEST

/* Good metadata in other spellings: each gives META2's result. */
static const char *const meta_good[] = {
	/* Another prefix, upper-case MACs, a UUID without dashes. */
	"    <x:vm xmlns:x='" MOBD_XMLNS "'>\n"
	"      <x:interface mac='52:54:00:00:00:02'>"
	"<x:hoa>10.99.0.12</x:hoa></x:interface>\n"
	"      <x:interface mac='52:54:00:00:00:01'>\n"
	"        <x:hoa>10.99.0.11</x:hoa><x:hoa>fd99::11</x:hoa>\n"
	"      </x:interface>\n"
	"    </x:vm>\n",
	/* The default namespace, spaces around the addresses, comments. */
	"    <vm xmlns='" MOBD_XMLNS "'>\n"
	"      <!-- eth0 -->\n"
	"      <interface mac='52:54:00:00:00:01'>\n"
	"        <hoa>\n 10.99.0.11 </hoa>\n"
	"        <hoa>FD99:0:0::11</hoa>\n"
	"      </interface>\n"
	"      <interface mac='52:54:00:00:00:02'><hoa>10.99.0.12</hoa></interface>\n"
	"    </vm>\n",
	/* Another application's metadata around ours, with a clashing prefix. */
	"    <mob:vm xmlns:mob='http://example.com/not-mob'>\n"
	"      <mob:interface mac='zz'><mob:hoa>bad</mob:hoa></mob:interface>\n"
	"    </mob:vm>\n"
	META("      <mob:interface mac='" MAC1 "'>\n"
	     "        <mob:hoa>10.99.0.11</mob:hoa>\n"
	     "        <mob:hoa>fd99::11</mob:hoa>\n"
	     "      </mob:interface>\n"
	     "      <mob:interface mac='" MAC2 "'>\n"
	     "        <mob:hoa>10.99.0.12</mob:hoa>\n"
	     "      </mob:interface>\n")
	"    <app:data xmlns:app='http://example.com/app'>x</app:data>\n",
	/* An interface the domain does not have is ignored. */
	META("      <mob:interface mac='" MAC1 "'>\n"
	     "        <mob:hoa>10.99.0.11</mob:hoa>\n"
	     "        <mob:hoa>fd99::11</mob:hoa>\n"
	     "      </mob:interface>\n"
	     "      <mob:interface mac='52:54:00:00:00:99'>\n"
	     "        <mob:hoa>10.99.0.99</mob:hoa>\n"
	     "      </mob:interface>\n"
	     "      <mob:interface mac='" MAC2 "'>\n"
	     "        <mob:hoa>10.99.0.12</mob:hoa>\n"
	     "      </mob:interface>\n"),
};

START_TEST(test_parse_meta_good)
{
	char *xml = domain_xml("vm1", "c7a5fdbdcdaf9455926ad65c16db1809",
			       IFACE("52:54:00:00:00:01", "")
			       IFACE("52:54:00:00:00:02", ""),
			       meta_good[_i]);
	struct mobd_domain d;
	char err[256] = "";

	memset(&d, 0, sizeof(d));
	ck_assert_msg(mobd_virt_parse_xml(xml, &d, err, sizeof(err)) == 0,
		      "case %d: %s", _i, err);
	check_meta2(&d);
	ck_assert_uint_eq(d.uuid[15], 0x09);
	free(xml);
}
END_TEST

START_TEST(test_parse_no_meta)
{
	/* Upper-case MACs in the domain, an interface without a MAC. */
	char *xml = domain_xml("vm2", UUID1,
			       IFACE("52:54:00:AB:CD:EF", "<target dev='tap0'/>")
			       "<interface type='user'/>\n",
			       "    <app:data xmlns:app='http://example.com/app'/>\n"
			       "    <mob:vm xmlns:mob='" MOBD_XMLNS "/2'>"
			       "<mob:interface mac='52:54:00:ab:cd:ef'>"
			       "<mob:hoa>10.0.0.1</mob:hoa></mob:interface>"
			       "</mob:vm>\n");
	struct mobd_domain d;
	char err[256] = "";

	memset(&d, 0xff, sizeof(d));
	ck_assert_int_eq(mobd_virt_parse_xml(xml, &d, err, sizeof(err)), 0);
	ck_assert_str_eq(d.name, "vm2");
	ck_assert(!d.has_metadata);
	ck_assert_int_eq(d.n_vif, 1);
	check_mac(&d.vif[0], "52:54:00:ab:cd:ef");
	ck_assert_str_eq(d.vif[0].port, "tap0");
	ck_assert_int_eq(d.vif[0].n_hoa, 0);
	free(xml);

	/* Our element, empty: metadata, no address. */
	xml = domain_xml("vm2", UUID1, IFACES2, META(""));
	ck_assert_int_eq(mobd_virt_parse_xml(xml, &d, err, sizeof(err)), 0);
	ck_assert(d.has_metadata);
	ck_assert_int_eq(d.n_vif, 2);
	ck_assert_int_eq(d.vif[0].n_hoa + d.vif[1].n_hoa, 0);
	free(xml);
}
END_TEST

#define IFACE1(body)							\
	META("      <mob:interface mac='" MAC1 "'>" body "</mob:interface>\n")

/* Metadata that is wrong: the interfaces stay, the metadata goes. */
static const struct {
	const char *meta;
	const char *msg;
} meta_bad[] = {
	{ IFACE1("<mob:hoa>10.0.0.x</mob:hoa>"),
	  "metadata: bad hoa '10.0.0.x' for interface " MAC1 },
	{ IFACE1("<mob:hoa>10.0.0.1</mob:hoa><mob:hoa></mob:hoa>"),
	  "metadata: bad hoa '' for interface " MAC1 },
	{ IFACE1("<mob:hoa>10.0.0.1/32</mob:hoa>"),
	  "metadata: bad hoa '10.0.0.1/32' for interface " MAC1 },
	{ IFACE1("<mob:hoa>fe80::1%eth0</mob:hoa>"),
	  "metadata: bad hoa 'fe80::1%eth0' for interface " MAC1 },
	{ META("<mob:interface mac='52:54:00:00:00'>"
	       "<mob:hoa>10.0.0.1</mob:hoa></mob:interface>"),
	  "metadata: bad mac '52:54:00:00:00'" },
	{ META("<mob:interface mac='52-54-00-00-00-01'/>"),
	  "metadata: bad mac '52-54-00-00-00-01'" },
	{ META("<mob:interface><mob:hoa>10.0.0.1</mob:hoa></mob:interface>"),
	  "metadata: <interface> without mac" },
	{ META("<mob:interface mac='" MAC1 "'>"
	       "<mob:hoa>10.0.0.1</mob:hoa></mob:interface>"
	       "<mob:interface mac='52:54:00:00:00:01'>"
	       "<mob:hoa>10.0.0.2</mob:hoa></mob:interface>"),
	  "metadata: interface 52:54:00:00:00:01 given twice" },
	{ META("<mob:interface mac='" MAC1 "'/>"
	       "<mob:interface mac='52:54:00:00:00:01'/>"),
	  "metadata: interface 52:54:00:00:00:01 given twice" },
	{ META("<mob:interface mac='" MAC1 "'>"
	       "<mob:hoa>10.0.0.1</mob:hoa></mob:interface>"
	       "<mob:interface mac='" MAC2 "'>"
	       "<mob:hoa>10.0.0.1</mob:hoa></mob:interface>"),
	  "metadata: hoa '10.0.0.1' for interface " MAC2
	  " is already on interface " MAC1 },
	{ IFACE1("<mob:hoa>fd99::11</mob:hoa><mob:hoa>FD99:0::11</mob:hoa>"),
	  "metadata: hoa 'FD99:0::11' for interface " MAC1
	  " is already on interface " MAC1 },
	{ IFACE1("<mob:hoa>10.0.0.1</mob:hoa><mob:hoa>10.0.0.2</mob:hoa>"
		 "<mob:hoa>10.0.0.3</mob:hoa><mob:hoa>10.0.0.4</mob:hoa>"
		 "<mob:hoa>10.0.0.5</mob:hoa><mob:hoa>10.0.0.6</mob:hoa>"
		 "<mob:hoa>10.0.0.7</mob:hoa><mob:hoa>10.0.0.8</mob:hoa>"
		 "<mob:hoa>10.0.0.9</mob:hoa>"),
	  "metadata: more than 8 hoa for interface " MAC1 },
	{ IFACE1("<mob:address>10.0.0.1</mob:address>"),
	  "metadata: unexpected <address> in interface " MAC1 },
	{ META("<mob:hoa>10.0.0.1</mob:hoa>"),
	  "metadata: unexpected <hoa> in <vm>" },
	/* Bad entries are found on an interface the domain lacks, too. */
	{ META("<mob:interface mac='52:54:00:00:00:99'>"
	       "<mob:hoa>x</mob:hoa></mob:interface>"),
	  "metadata: bad hoa 'x' for interface 52:54:00:00:00:99" },
	{ META("") META(""), "metadata: more than one <vm> element" },
};

START_TEST(test_parse_meta_bad)
{
	char *xml = domain_xml("vm1", UUID1, IFACES2, meta_bad[_i].meta);
	struct mobd_domain d;
	char err[256] = "";

	memset(&d, 0, sizeof(d));
	d.has_metadata = true;
	ck_assert_int_eq(mobd_virt_parse_xml(xml, &d, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, meta_bad[_i].msg);
	ck_assert(!d.has_metadata);
	ck_assert_str_eq(d.name, "vm1");
	ck_assert_int_eq(d.n_vif, 2);
	ck_assert_int_eq(d.vif[0].n_hoa, 0);
	ck_assert_int_eq(d.vif[1].n_hoa, 0);
	ck_assert_str_eq(d.vif[0].port, "vnet7");
	free(xml);
}
END_TEST

/* XML that does not give a usable domain. */
static const struct {
	const char *xml;
	const char *msg;	/* the start of it */
} dom_bad[] = {
	{ "", "domain XML does not parse" },
	{ "<domain><name>x</name>", "domain XML does not parse" },
	{ "not xml", "domain XML does not parse" },
	{ "<network><name>x</name></network>", "not a domain XML" },
	{ "<domain><uuid>" UUID1 "</uuid></domain>", "domain XML without a name" },
	{ "<domain><name></name><uuid>" UUID1 "</uuid></domain>",
	  "domain XML without a name" },
	{ "<domain><name>vm1</name></domain>", "domain vm1: bad uuid ''" },
	{ "<domain><name>vm1</name>"
	  "<uuid>c7a5fdbd-cdaf-9455-926a-d65c16db18</uuid></domain>",
	  "domain vm1: bad uuid 'c7a5fdbd-cdaf-9455-926a-d65c16db18'" },
	{ "<domain><name>vm1</name><uuid>" UUID1 "0</uuid></domain>",
	  "domain vm1: bad uuid '" UUID1 "0'" },
	{ "<domain><name>vm1</name><uuid>" UUID1 "</uuid><devices>"
	  "<interface><mac address='zz'/></interface></devices></domain>",
	  "bad interface mac address 'zz'" },
	{ "<domain><name>vm1</name><uuid>" UUID1 "</uuid><devices>"
	  "<interface><mac address='" MAC1 "'/>"
	  "<target dev='a-very-long-name'/></interface>"
	  "</devices></domain>",
	  "interface " MAC1 ": target dev 'a-very-long-name' too long" },
};

START_TEST(test_parse_dom_bad)
{
	struct mobd_domain d;
	char err[256] = "";

	memset(&d, 0, sizeof(d));
	strcpy(d.name, "before");
	d.n_vif = 3;
	d.has_metadata = true;
	ck_assert_int_eq(mobd_virt_parse_xml(dom_bad[_i].xml, &d, err,
					     sizeof(err)), -EINVAL);
	ck_assert_msg(!strncmp(err, dom_bad[_i].msg, strlen(dom_bad[_i].msg)),
		      "'%s' does not start with '%s'", err, dom_bad[_i].msg);
	ck_assert_str_eq(d.name, "before");
	ck_assert_int_eq(d.n_vif, 0);
	ck_assert(!d.has_metadata);
}
END_TEST

START_TEST(test_parse_too_many_vifs)
{
	char ifaces[17 * 160] = "", *xml;
	char one[160];
	struct mobd_domain d;
	char err[256];
	int i;

	for (i = 0; i <= MOBD_VIF_MAX; i++) {
		snprintf(one, sizeof(one), IFACE("52:54:00:00:01:%02x", ""), i);
		strcat(ifaces, one);
	}
	xml = domain_xml("vm1", UUID1, ifaces, NULL);
	ck_assert_int_eq(mobd_virt_parse_xml(xml, &d, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "more than 16 interfaces");
	free(xml);

	/* Exactly the maximum is fine. */
	*strstr(ifaces, IFACE("52:54:00:00:01:10", "")) = '\0';
	xml = domain_xml("vm1", UUID1, ifaces, NULL);
	ck_assert_int_eq(mobd_virt_parse_xml(xml, &d, err, sizeof(err)), 0);
	ck_assert_int_eq(d.n_vif, MOBD_VIF_MAX);
	free(xml);
	ck_assert_int_eq(mobd_virt_parse_xml(NULL, &d, err, sizeof(err)), -EINVAL);
}
END_TEST

/* ------------------------------------------------------ libvirt, live */

#define MAX_SEEN	64

struct seen {
	int n;				/* domain() calls */
	struct mobd_domain d[MAX_SEEN];
	int connected;
	int disconnected;
	int n_at_connected;		/* domain() calls before the last one */
	int n_at_disconnected;
};

static void seen_domain(void *arg, const struct mobd_domain *d)
{
	struct seen *s = arg;

	ck_assert_int_lt(s->n, MAX_SEEN);
	s->d[s->n++] = *d;
}

static void seen_connected(void *arg)
{
	struct seen *s = arg;

	s->connected++;
	s->n_at_connected = s->n;
}

static void seen_disconnected(void *arg)
{
	struct seen *s = arg;

	s->disconnected++;
	s->n_at_disconnected = s->n;
}

static const struct mobd_virt_ops seen_ops = {
	.domain = seen_domain,
	.connected = seen_connected,
	.disconnected = seen_disconnected,
};

static void wake(int timer, void *opaque)
{
}

/* The default event loop, woken often enough to watch a deadline. */
static void event_loop_init(void)
{
	static int done;

	if (done)
		return;
	ck_assert_int_eq(virEventRegisterDefaultImpl(), 0);
	ck_assert_int_ge(virEventAddTimeout(20, wake, NULL, NULL), 0);
	done = 1;
}

/* Run the loop until *COUNTER reaches WANT; false after MS. */
static bool run_until(const int *counter, int want, int ms)
{
	unsigned long long end = mobd_now_ms() + (unsigned long long)ms;

	while (*counter < want && mobd_now_ms() < end)
		ck_assert_int_eq(virEventRunDefaultImpl(), 0);
	return *counter >= want;
}

static void run_for(int ms)
{
	unsigned long long end = mobd_now_ms() + (unsigned long long)ms;

	while (mobd_now_ms() < end)
		ck_assert_int_eq(virEventRunDefaultImpl(), 0);
}

/* Wait for one more domain() call and return it. */
static const struct mobd_domain *expect(struct seen *s, int *idx,
					const char *name,
					enum mobd_dom_cause cause,
					enum mobd_dom_state state)
{
	const struct mobd_domain *d;

	ck_assert_msg(run_until(&s->n, *idx + 1, 3000),
		      "no callback for %s (cause %d) after %d", name, cause, *idx);
	d = &s->d[(*idx)++];
	ck_assert_str_eq(d->name, name);
	ck_assert_int_eq(d->cause, cause);
	ck_assert_int_eq(d->state, state);
	return d;
}

static const struct mobd_domain *find_domain(const struct seen *s, int from,
					     const char *name)
{
	int i;

	for (i = from; i < s->n; i++)
		if (!strcmp(s->d[i].name, name))
			return &s->d[i];
	return NULL;
}

/* "test", the running domain test:///default starts with. */
static void check_test_domain(const struct mobd_domain *d)
{
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->cause, MOBD_CAUSE_LIST);
	ck_assert_int_eq(d->state, MOBD_DOM_RUNNING);
	ck_assert(!d->migrated);
	ck_assert(!d->has_metadata);
	ck_assert_int_eq(d->n_vif, 1);
	check_mac(&d->vif[0], "aa:bb:cc:dd:ee:ff");
	ck_assert_str_eq(d->vif[0].port, "testnet0");
	ck_assert_uint_eq(d->uuid[0], 0x66);
	ck_assert_uint_eq(d->uuid[15], 0x3f);
}

START_TEST(test_events)
{
	char *xml = domain_xml("mob-vm1", UUID1, IFACES2, META2);
	char *xml2 = domain_xml("mob-vm2", "c7a5fdbd-cdaf-9455-926a-d65c16db1802",
				IFACE("52:54:00:00:00:21", ""),
				META("<mob:interface mac='52:54:00:00:00:21'>"
				     "<mob:hoa>10.99.0.21</mob:hoa></mob:interface>"));
	struct seen s = { 0 };
	const struct mobd_domain *d;
	struct mobd_virt *v = NULL;
	virDomainPtr dom, dom2;
	virConnectPtr c2;
	int i = 0;

	event_loop_init();
	ck_assert_int_eq(mobd_virt_open(&v, "test:///default", &seen_ops, &s), 0);
	ck_assert(mobd_virt_connected(v));
	ck_assert_int_eq(s.connected, 1);
	ck_assert_int_eq(s.n_at_connected, 1);
	check_test_domain(&s.d[i++]);

	/* Another client does things; mobd_virt sees them as events. */
	c2 = virConnectOpen("test:///default");
	ck_assert_ptr_nonnull(c2);
	dom = virDomainDefineXML(c2, xml);
	ck_assert_ptr_nonnull(dom);
	d = expect(&s, &i, "mob-vm1", MOBD_CAUSE_DEFINED, MOBD_DOM_SHUTOFF);
	check_meta2(d);

	ck_assert_int_eq(virDomainCreate(dom), 0);
	d = expect(&s, &i, "mob-vm1", MOBD_CAUSE_STARTED, MOBD_DOM_RUNNING);
	ck_assert(!d->migrated);
	check_meta2(d);
	ck_assert_uint_eq(d->uuid[15], 0x09);

	ck_assert_int_eq(virDomainSuspend(dom), 0);
	expect(&s, &i, "mob-vm1", MOBD_CAUSE_SUSPENDED, MOBD_DOM_PAUSED);
	ck_assert_int_eq(virDomainResume(dom), 0);
	d = expect(&s, &i, "mob-vm1", MOBD_CAUSE_RESUMED, MOBD_DOM_RUNNING);
	check_meta2(d);

	/* New HoAs on the running domain: no lifecycle event for that. */
	ck_assert_int_eq(virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
					      "<vm><interface mac='" MAC2 "'>"
					      "<hoa>fd99::12</hoa></interface></vm>",
					      "mob", MOBD_XMLNS,
					      VIR_DOMAIN_AFFECT_LIVE), 0);
	d = expect(&s, &i, "mob-vm1", MOBD_CAUSE_DEFINED, MOBD_DOM_RUNNING);
	ck_assert(d->has_metadata);
	ck_assert_int_eq(d->vif[0].n_hoa, 0);
	ck_assert_int_eq(d->vif[1].n_hoa, 1);
	check_hoa(&d->vif[1].hoa[0], "fd99::12");

	/* Stopped but defined: its (inactive) XML is still there. */
	ck_assert_int_eq(virDomainDestroy(dom), 0);
	d = expect(&s, &i, "mob-vm1", MOBD_CAUSE_STOPPED, MOBD_DOM_SHUTOFF);
	ck_assert(!d->migrated);
	check_meta2(d);

	/* Undefined: gone, only the name and uuid are left. */
	ck_assert_int_eq(virDomainUndefine(dom), 0);
	d = expect(&s, &i, "mob-vm1", MOBD_CAUSE_UNDEFINED, MOBD_DOM_SHUTOFF);
	ck_assert_int_eq(d->n_vif, 0);
	ck_assert_uint_eq(d->uuid[15], 0x09);
	virDomainFree(dom);

	/* A transient domain: gone as soon as it stops. */
	dom2 = virDomainCreateXML(c2, xml2, 0);
	ck_assert_ptr_nonnull(dom2);
	d = expect(&s, &i, "mob-vm2", MOBD_CAUSE_STARTED, MOBD_DOM_RUNNING);
	ck_assert_int_eq(d->n_vif, 1);
	ck_assert_int_eq(d->vif[0].n_hoa, 1);
	check_hoa(&d->vif[0].hoa[0], "10.99.0.21");
	ck_assert_int_eq(virDomainDestroy(dom2), 0);
	d = expect(&s, &i, "mob-vm2", MOBD_CAUSE_STOPPED, MOBD_DOM_SHUTOFF);
	ck_assert_int_eq(d->n_vif, 0);
	ck_assert_uint_eq(d->uuid[15], 0x02);
	virDomainFree(dom2);

	/* Undefining a running domain leaves it running, transient. */
	dom = virDomainDefineXML(c2, xml);
	ck_assert_ptr_nonnull(dom);
	expect(&s, &i, "mob-vm1", MOBD_CAUSE_DEFINED, MOBD_DOM_SHUTOFF);
	ck_assert_int_eq(virDomainCreate(dom), 0);
	expect(&s, &i, "mob-vm1", MOBD_CAUSE_STARTED, MOBD_DOM_RUNNING);
	ck_assert_int_eq(virDomainUndefine(dom), 0);
	d = expect(&s, &i, "mob-vm1", MOBD_CAUSE_UNDEFINED, MOBD_DOM_RUNNING);
	check_meta2(d);
	ck_assert_int_eq(virDomainDestroy(dom), 0);
	expect(&s, &i, "mob-vm1", MOBD_CAUSE_STOPPED, MOBD_DOM_SHUTOFF);
	virDomainFree(dom);

	/* Nothing else came, and the connection never dropped. */
	run_for(100);
	ck_assert_int_eq(s.n, i);
	ck_assert_int_eq(s.connected, 1);
	ck_assert_int_eq(s.disconnected, 0);
	ck_assert(mobd_virt_connected(v));

	/* Closed: no more callbacks. */
	mobd_virt_close(v);
	dom = virDomainCreateXML(c2, xml2, 0);
	ck_assert_ptr_nonnull(dom);
	ck_assert_int_eq(virDomainDestroy(dom), 0);
	virDomainFree(dom);
	run_for(100);
	ck_assert_int_eq(s.n, i);
	virConnectClose(c2);
	free(xml);
	free(xml2);
}
END_TEST

START_TEST(test_open_bad)
{
	struct mobd_virt *v = NULL;
	struct seen s = { 0 };

	event_loop_init();
	ck_assert_int_eq(mobd_virt_open(NULL, "test:///default", &seen_ops, &s),
			 -EINVAL);
	ck_assert_int_eq(mobd_virt_open(&v, "test:///default", NULL, &s),
			 -EINVAL);
	ck_assert(!mobd_virt_connected(NULL));
	mobd_virt_close(NULL);

	/* Nothing listens there: open succeeds, retries in the background. */
	ck_assert_int_eq(mobd_virt_open(&v, "test+unix:///default?socket="
					"/nonexistent/mob-sock", &seen_ops, &s),
			 0);
	ck_assert(!mobd_virt_connected(v));
	run_for(50);
	ck_assert_int_eq(s.n + s.connected + s.disconnected, 0);
	mobd_virt_close(v);
}
END_TEST

/* ------------------------------------------- a libvirtd of our own */

#define LIBVIRTD	"/usr/sbin/libvirtd"

static char tmpdir[64];
static pid_t daemon_pid;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static void daemon_start(void)
{
	char conf[128], pidfile[128], out[128], env[128];
	int fd;

	snprintf(conf, sizeof(conf), "%s/libvirtd.conf", tmpdir);
	snprintf(pidfile, sizeof(pidfile), "%s/libvirtd.pid", tmpdir);
	snprintf(out, sizeof(out), "%s/libvirtd.out", tmpdir);
	daemon_pid = fork();
	ck_assert_int_ge(daemon_pid, 0);
	if (daemon_pid)
		return;
	/* Never outlive the test, even one that fails. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	/* No driver modules: only the built-in test driver, nothing of the
	 * host's (QEMU, networks) is touched.  Session dirs for non-root. */
	snprintf(env, sizeof(env), "%s/empty", tmpdir);
	setenv("LIBVIRT_DRIVER_DIR", env, 1);
	setenv("XDG_RUNTIME_DIR", tmpdir, 1);
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
	setenv("XDG_CACHE_HOME", tmpdir, 1);
	setenv("XDG_DATA_HOME", tmpdir, 1);
	setenv("HOME", tmpdir, 1);
	execl(LIBVIRTD, "libvirtd", "--config", conf, "--pid-file", pidfile,
	      (char *)NULL);
	_exit(127);
}

static void daemon_kill(void)
{
	int status;

	if (daemon_pid <= 0)
		return;
	kill(daemon_pid, SIGKILL);
	waitpid(daemon_pid, &status, 0);
	daemon_pid = 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	remove(path);
	return 0;
}

/*
 * The directory is made and removed by the runner (an unchecked fixture):
 * a failed test's process ends at once, without cleaning up.  The daemon
 * dies with it (PR_SET_PDEATHSIG).
 */
static void tmpdir_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mob-virt-XXXXXX");
	if (!mkdtemp(tmpdir))
		tmpdir[0] = '\0';
}

static void tmpdir_teardown(void)
{
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
}

START_TEST(test_reconnect)
{
	char path[128], conf[512], uri[256];
	char *xml = domain_xml("mob-vm3", "c7a5fdbd-cdaf-9455-926a-d65c16db1803",
			       IFACE("52:54:00:00:00:31", ""),
			       META("<mob:interface mac='52:54:00:00:00:31'>"
				    "<mob:hoa>10.99.0.31</mob:hoa></mob:interface>"));
	struct mobd_virt *v = NULL;
	struct seen s = { 0 };
	const struct mobd_domain *d;
	virDomainPtr dom;
	virConnectPtr c2;
	int i;

	ck_assert_msg(access(LIBVIRTD, X_OK) == 0,
		      LIBVIRTD " is missing: install libvirt-daemon");
	ck_assert_msg(tmpdir[0], "no temporary directory");
	event_loop_init();
	snprintf(path, sizeof(path), "%s/empty", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(conf, sizeof(conf),
		 "unix_sock_dir = \"%s\"\n"
		 "auth_unix_rw = \"none\"\n"
		 "auth_unix_ro = \"none\"\n"
		 "unix_sock_rw_perms = \"0700\"\n"
		 "log_outputs = \"3:file:%s/libvirtd.log\"\n",
		 tmpdir, tmpdir);
	snprintf(path, sizeof(path), "%s/libvirtd.conf", tmpdir);
	write_file(path, conf);
	snprintf(uri, sizeof(uri), "test+unix:///default?socket=%s/libvirt-sock",
		 tmpdir);

	/* No daemon yet: open still succeeds and keeps trying. */
	ck_assert_int_eq(mobd_virt_open(&v, uri, &seen_ops, &s), 0);
	ck_assert(!mobd_virt_connected(v));
	ck_assert_int_eq(s.n + s.connected + s.disconnected, 0);
	daemon_start();
	ck_assert_msg(run_until(&s.connected, 1, 4000), "never connected");
	ck_assert(mobd_virt_connected(v));
	ck_assert_int_eq(s.n_at_connected, 1);
	check_test_domain(find_domain(&s, 0, "test"));
	ck_assert_int_eq(s.disconnected, 0);

	/* The daemon dies: one disconnected(), then a new daemon is found,
	 * listed again, and its events come (registered again). */
	daemon_kill();
	ck_assert_msg(run_until(&s.disconnected, 1, 4000), "drop not seen");
	ck_assert(!mobd_virt_connected(v));
	ck_assert_int_eq(s.connected, 1);
	ck_assert_int_eq(s.n_at_disconnected, 1);
	daemon_start();
	ck_assert_msg(run_until(&s.connected, 2, 4000), "never reconnected");
	ck_assert(mobd_virt_connected(v));
	ck_assert_int_eq(s.disconnected, 1);
	ck_assert_int_eq(s.n_at_connected, 2);
	check_test_domain(find_domain(&s, 1, "test"));

	c2 = virConnectOpen(uri);
	ck_assert_ptr_nonnull(c2);
	dom = virDomainCreateXML(c2, xml, 0);
	ck_assert_ptr_nonnull(dom);
	i = s.n;
	d = expect(&s, &i, "mob-vm3", MOBD_CAUSE_STARTED, MOBD_DOM_RUNNING);
	ck_assert_int_eq(d->vif[0].n_hoa, 1);
	check_hoa(&d->vif[0].hoa[0], "10.99.0.31");
	virDomainFree(dom);
	virConnectClose(c2);

	/* Closed while connected to a live daemon: no disconnected(). */
	mobd_virt_close(v);
	run_for(50);
	ck_assert_int_eq(s.disconnected, 1);
	daemon_kill();
	free(xml);
}
END_TEST

/* Warnings are expected here; MOB_TEST_DEBUG=1 shows everything. */
static void quiet(void)
{
	mobd_log_set_level(getenv("MOB_TEST_DEBUG") ? LOG_DEBUG : LOG_ERR);
}

Suite *virt_suite(void)
{
	Suite *s = suite_create("virt");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, quiet, NULL);
	tcase_add_test(tc, test_parse_good);
	tcase_add_loop_test(tc, test_parse_meta_good, 0, ARRAY_SIZE(meta_good));
	tcase_add_test(tc, test_parse_no_meta);
	tcase_add_loop_test(tc, test_parse_meta_bad, 0, ARRAY_SIZE(meta_bad));
	tcase_add_loop_test(tc, test_parse_dom_bad, 0, ARRAY_SIZE(dom_bad));
	tcase_add_test(tc, test_parse_too_many_vifs);
	suite_add_tcase(s, tc);

	tc = tcase_create("libvirt");
	tcase_add_checked_fixture(tc, quiet, NULL);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_open_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("libvirtd");
	tcase_add_checked_fixture(tc, quiet, NULL);
	tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_reconnect);
	suite_add_tcase(s, tc);
	return s;
}
