// SPDX-License-Identifier: GPL-2.0
/*
 * agent/mobd/hostnet.c against the real kernel: each test runs in a fresh
 * network namespace of its own (Check forks for each test), on a veth
 * pair made with ip(8), which sees the same namespace.  Needs root; a
 * test that cannot make its namespace fails.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <json-c/json.h>

#include "hostnet.h"
#include "log.h"
#include "suites.h"

static uint32_t port, port2;

static void sh(const char *cmd)
{
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* A namespace of our own with two up ports, mobt0 and mobt1. */
static struct mobd_hostnet *setup(void)
{
	struct mobd_hostnet *h;

	ck_assert_msg(unshare(CLONE_NEWNET) == 0,
		      "unshare(CLONE_NEWNET): %s (these tests need root)",
		      strerror(errno));
	sh("ip link add mobt0 type veth peer name mobt0p && "
	   "ip link add mobt1 type veth peer name mobt1p && "
	   "ip link set mobt0 up && ip link set mobt0p up && "
	   "ip link set mobt1 up && ip link set mobt1p up");
	port = if_nametoindex("mobt0");
	port2 = if_nametoindex("mobt1");
	ck_assert_uint_ne(port, 0);
	ck_assert_uint_ne(port2, 0);
	ck_assert_int_eq(mobd_hostnet_open(&h), 0);
	/* Failures the tests cause on purpose would fill the output. */
	mobd_log_set_level(LOG_ERR);
	return h;
}

static union mob_ip ip(const char *s)
{
	union mob_ip a;

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, &a),
			 1);
	return a;
}

static int fam(const char *s)
{
	return strchr(s, ':') ? AF_INET6 : AF_INET;
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fscanf(f, "%ld", &v), 1);
	fclose(f);
	return v;
}

/* The whole output of CMD. */
static char *run(const char *cmd)
{
	static char out[65536];
	size_t n;
	FILE *f = popen(cmd, "r");

	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	ck_assert_int_eq(pclose(f), 0);
	return out;
}

/*
 * The routes of protocol 77 of one family, from "ip -j route show", as
 * "DST dev DEV scope SCOPE" lines in the order ip gives them.
 */
static const char *routes77(int family)
{
	static char text[4096];
	struct json_object *arr, *o, *v;
	size_t i, n = 0;

	arr = json_tokener_parse(run(family == AF_INET ?
				     "ip -j -4 route show proto 77" :
				     "ip -j -6 route show proto 77"));
	ck_assert_ptr_nonnull(arr);
	ck_assert(json_object_is_type(arr, json_type_array));
	text[0] = '\0';
	for (i = 0; i < json_object_array_length(arr); i++) {
		o = json_object_array_get_idx(arr, i);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s",
				      json_object_object_get_ex(o, "dst", &v) ?
				      json_object_get_string(v) : "?");
		if (json_object_object_get_ex(o, "dev", &v))
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      " dev %s",
					      json_object_get_string(v));
		if (json_object_object_get_ex(o, "scope", &v))
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      " scope %s",
					      json_object_get_string(v));
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\n");
	}
	json_object_put(arr);
	return text;
}

static void ck_routes(const char *v4, const char *v6)
{
	ck_assert_str_eq(routes77(AF_INET), v4);
	ck_assert_str_eq(routes77(AF_INET6), v6);
}

START_TEST(test_port_up)
{
	struct mobd_hostnet *h = setup();
	struct mobd_home v4 = { .prefix = { AF_INET, ip("10.99.0.0"), 24 },
				.has_gateway = true, .gateway = ip("10.99.0.1") };
	struct mobd_home v6 = { .prefix = { AF_INET6, ip("fd99::"), 64 },
				.has_gateway = true, .gateway = ip("fe80::1") };

	ck_assert_int_eq(read_long("/proc/sys/net/ipv4/conf/mobt0/proxy_arp"), 0);
	ck_assert_int_eq(mobd_hostnet_port_up(h, port, &v4), 0);
	ck_assert_int_eq(read_long("/proc/sys/net/ipv4/conf/mobt0/proxy_arp"), 1);
	ck_assert_int_eq(read_long("/proc/sys/net/ipv4/neigh/mobt0/proxy_delay"), 0);
	/* An IPv4 home leaves IPv6 alone. */
	ck_assert_int_eq(read_long("/proc/sys/net/ipv6/conf/mobt0/proxy_ndp"), 0);
	ck_assert_ptr_null(strstr(run("ip -6 -o addr show dev mobt0"), "fe80::1/"));

	ck_assert_int_eq(mobd_hostnet_port_up(h, port, &v6), 0);
	ck_assert_int_eq(read_long("/proc/sys/net/ipv6/conf/mobt0/proxy_ndp"), 1);
	ck_assert_int_eq(read_long("/proc/sys/net/ipv6/neigh/mobt0/proxy_delay"), 0);
	ck_assert_ptr_nonnull(strstr(run("ip -6 -o addr show dev mobt0"),
				     "inet6 fe80::1/64 scope link nodad"));
	/* Again: nothing changes, nothing fails. */
	ck_assert_int_eq(mobd_hostnet_port_up(h, port, &v6), 0);
	ck_assert_int_eq(mobd_hostnet_port_up(h, port, &v4), 0);
	ck_assert_ptr_nonnull(strstr(run("ip -6 -o addr show dev mobt0"),
				     "inet6 fe80::1/64 scope link nodad"));
	/* The other port was not touched. */
	ck_assert_int_eq(read_long("/proc/sys/net/ipv4/conf/mobt1/proxy_arp"), 0);
	ck_assert_int_eq(read_long("/proc/sys/net/ipv6/conf/mobt1/proxy_ndp"), 0);
	mobd_hostnet_close(h);
}
END_TEST

/* A global IPv6 gateway is proxied, not put on the port; no home: both. */
START_TEST(test_port_up_other)
{
	struct mobd_hostnet *h = setup();
	struct mobd_home v6 = { .prefix = { AF_INET6, ip("fd99::"), 64 },
				.has_gateway = true, .gateway = ip("fd99::1") };
	struct mobd_home v6nogw = { .prefix = { AF_INET6, ip("fd98::"), 64 } };

	ck_assert_int_eq(mobd_hostnet_port_up(h, port, &v6), 0);
	ck_assert_int_eq(mobd_hostnet_port_up(h, port, &v6nogw), 0);
	ck_assert_ptr_null(strstr(run("ip -6 -o addr show dev mobt0"), "fd99::1"));
	ck_assert_int_eq(read_long("/proc/sys/net/ipv6/conf/mobt0/proxy_ndp"), 1);
	ck_assert_int_eq(read_long("/proc/sys/net/ipv4/conf/mobt0/proxy_arp"), 0);
	ck_assert_int_eq(mobd_hostnet_port_up(h, port2, NULL), 0);
	ck_assert_int_eq(read_long("/proc/sys/net/ipv4/conf/mobt1/proxy_arp"), 1);
	ck_assert_int_eq(read_long("/proc/sys/net/ipv6/conf/mobt1/proxy_ndp"), 1);
	mobd_hostnet_close(h);
}
END_TEST

START_TEST(test_nodev)
{
	struct mobd_hostnet *h = setup();
	struct mobd_home v4 = { .prefix = { AF_INET, ip("10.99.0.0"), 24 } };
	union mob_ip a = ip("10.99.0.11"), b = ip("fd99::11");
	uint32_t gone = 9999;

	ck_assert_int_eq(mobd_hostnet_port_up(h, gone, &v4), -ENODEV);
	ck_assert_int_eq(mobd_hostnet_port_up(h, 0, &v4), -ENODEV);
	ck_assert_int_eq(mobd_hostnet_route_add(h, gone, AF_INET, &a), -ENODEV);
	ck_assert_int_eq(mobd_hostnet_route_add(h, gone, AF_INET6, &b), -ENODEV);
	ck_assert_int_eq(mobd_hostnet_route_add(h, 0, AF_INET, &a), -ENODEV);
	ck_assert_int_eq(mobd_hostnet_proxy_add(h, gone, AF_INET6, &b), -ENODEV);
	/* Deleting from a port that is gone: nothing is left to delete. */
	ck_assert_int_eq(mobd_hostnet_route_del(h, gone, AF_INET, &a), 0);
	ck_assert_int_eq(mobd_hostnet_route_del(h, gone, AF_INET6, &b), 0);
	ck_assert_int_eq(mobd_hostnet_proxy_del(h, gone, AF_INET6, &b), 0);
	/* A port that goes away. */
	sh("ip link del mobt1");
	ck_assert_int_eq(mobd_hostnet_port_up(h, port2, &v4), -ENODEV);
	ck_assert_int_eq(mobd_hostnet_route_add(h, port2, AF_INET, &a), -ENODEV);
	/* Families mobd does not know. */
	ck_assert_int_eq(mobd_hostnet_route_add(h, port, AF_UNSPEC, &a),
			 -EAFNOSUPPORT);
	ck_assert_int_eq(mobd_hostnet_proxy_add(h, port, AF_PACKET, &a),
			 -EAFNOSUPPORT);
	mobd_hostnet_close(h);
}
END_TEST

START_TEST(test_routes_add_del)
{
	struct mobd_hostnet *h = setup();
	union mob_ip a = ip("10.99.0.11"), b = ip("fd99::11"),
		     c = ip("10.99.0.12");

	ck_routes("", "");
	ck_assert_int_eq(mobd_hostnet_route_add(h, port, AF_INET, &a), 0);
	ck_assert_int_eq(mobd_hostnet_route_add(h, port, AF_INET6, &b), 0);
	ck_assert_int_eq(mobd_hostnet_route_add(h, port2, AF_INET, &c), 0);
	ck_routes("10.99.0.11 dev mobt0 scope link\n"
		  "10.99.0.12 dev mobt1 scope link\n",
		  "fd99::11 dev mobt0\n");
	/* In the main table. */
	ck_assert_ptr_nonnull(strstr(run("ip route show table main"),
				     "10.99.0.11 dev mobt0 proto 77 scope link"));
	/* Adding again is fine and adds nothing. */
	ck_assert_int_eq(mobd_hostnet_route_add(h, port, AF_INET, &a), 0);
	ck_assert_int_eq(mobd_hostnet_route_add(h, port, AF_INET6, &b), 0);
	ck_routes("10.99.0.11 dev mobt0 scope link\n"
		  "10.99.0.12 dev mobt1 scope link\n",
		  "fd99::11 dev mobt0\n");

	ck_assert_int_eq(mobd_hostnet_route_del(h, port, AF_INET, &a), 0);
	ck_assert_int_eq(mobd_hostnet_route_del(h, port, AF_INET6, &b), 0);
	ck_routes("10.99.0.12 dev mobt1 scope link\n", "");
	/* Deleting again is fine; so is deleting through the wrong port,
	 * which leaves the route alone. */
	ck_assert_int_eq(mobd_hostnet_route_del(h, port, AF_INET, &a), 0);
	ck_assert_int_eq(mobd_hostnet_route_del(h, port, AF_INET6, &b), 0);
	ck_assert_int_eq(mobd_hostnet_route_del(h, port, AF_INET, &c), 0);
	ck_routes("10.99.0.12 dev mobt1 scope link\n", "");
	ck_assert_int_eq(mobd_hostnet_route_del(h, port2, AF_INET, &c), 0);
	ck_routes("", "");
	mobd_hostnet_close(h);
}
END_TEST

/* A VM back on another port: the route follows it. */
START_TEST(test_route_moves)
{
	struct mobd_hostnet *h = setup();
	union mob_ip a = ip("10.99.0.11"), b = ip("fd99::11");

	ck_assert_int_eq(mobd_hostnet_route_add(h, port, AF_INET, &a), 0);
	ck_assert_int_eq(mobd_hostnet_route_add(h, port, AF_INET6, &b), 0);
	ck_assert_int_eq(mobd_hostnet_route_add(h, port2, AF_INET, &a), 0);
	ck_assert_int_eq(mobd_hostnet_route_add(h, port2, AF_INET6, &b), 0);
	ck_routes("10.99.0.11 dev mobt1 scope link\n", "fd99::11 dev mobt1\n");
	mobd_hostnet_close(h);
}
END_TEST

/* An IPv4 route needs its port up; the error says so. */
START_TEST(test_route_port_down)
{
	struct mobd_hostnet *h = setup();
	union mob_ip a = ip("10.99.0.11");

	sh("ip link set mobt0 down");
	ck_assert_int_eq(mobd_hostnet_route_add(h, port, AF_INET, &a), -ENETDOWN);
	sh("ip link set mobt0 up");
	ck_assert_int_eq(mobd_hostnet_route_add(h, port, AF_INET, &a), 0);
	/* Taking the port down drops the route; deleting it then is fine. */
	sh("ip link set mobt0 down");
	ck_routes("", "");
	ck_assert_int_eq(mobd_hostnet_route_del(h, port, AF_INET, &a), 0);
	mobd_hostnet_close(h);
}
END_TEST

/* Routes of other protocols are not mobd's to delete. */
START_TEST(test_route_foreign)
{
	struct mobd_hostnet *h = setup();
	union mob_ip a = ip("10.99.0.21"), b = ip("fd99::21");

	sh("ip route add 10.99.0.21/32 dev mobt0 proto static && "
	   "ip -6 route add fd99::21/128 dev mobt0 proto static");
	ck_assert_int_eq(mobd_hostnet_route_del(h, port, AF_INET, &a), 0);
	ck_assert_int_eq(mobd_hostnet_route_del(h, port, AF_INET6, &b), 0);
	ck_assert_ptr_nonnull(strstr(run("ip route show"), "10.99.0.21 dev mobt0 proto static"));
	ck_assert_ptr_nonnull(strstr(run("ip -6 route show"), "fd99::21 dev mobt0 proto static"));
	mobd_hostnet_close(h);
}
END_TEST

struct seen {
	int n;
	char line[16][80];
	struct mobd_hostnet *del;	/* delete each route from the callback */
};

static void on_route(void *arg, uint32_t ifindex, int family,
		     const union mob_ip *dst)
{
	struct seen *s = arg;
	char buf[INET6_ADDRSTRLEN], name[IF_NAMESIZE];

	ck_assert_int_lt(s->n, 16);
	ck_assert_ptr_nonnull(if_indextoname(ifindex, name));
	snprintf(s->line[s->n++], sizeof(s->line[0]), "%s %s %s",
		 family == AF_INET ? "inet" : "inet6",
		 mob_addr_ntop(family, dst, buf, sizeof(buf)), name);
	if (s->del)
		ck_assert_int_eq(mobd_hostnet_route_del(s->del, ifindex, family,
							dst), 0);
}

static bool has(const struct seen *s, const char *line)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->line[i], line))
			return true;
	return false;
}

START_TEST(test_routes_list)
{
	struct mobd_hostnet *h = setup();
	static const char *const mine[] = {
		"10.99.0.11", "10.99.0.12", "fd99::11", "fd99::ffff:1",
	};
	struct seen s = { 0 };
	union mob_ip a;
	size_t i;

	ck_assert_int_eq(mobd_hostnet_routes(h, on_route, &s), 0);
	ck_assert_int_eq(s.n, 0);
	for (i = 0; i < 4; i++) {
		a = ip(mine[i]);
		ck_assert_int_eq(mobd_hostnet_route_add(h, i % 2 ? port2 : port,
							fam(mine[i]), &a), 0);
	}
	/* Look-alikes that are not mobd's host routes. */
	sh("ip route add 10.99.0.13/32 dev mobt0 proto static && "
	   "ip route add 10.98.0.0/24 dev mobt0 proto 77 && "
	   "ip route add table 100 10.99.0.14/32 dev mobt0 proto 77 && "
	   "ip -6 route add fd98::/64 dev mobt0 proto 77 && "
	   "ip -6 route add fd99::13/128 dev mobt0 && "
	   "ip route add blackhole 10.99.0.15/32 proto 77");
	ck_assert_int_eq(mobd_hostnet_routes(h, on_route, &s), 0);
	ck_assert_int_eq(s.n, 4);
	ck_assert(has(&s, "inet 10.99.0.11 mobt0"));
	ck_assert(has(&s, "inet 10.99.0.12 mobt1"));
	ck_assert(has(&s, "inet6 fd99::11 mobt0"));
	ck_assert(has(&s, "inet6 fd99::ffff:1 mobt1"));

	/* The callback may delete what it is given: reconciliation. */
	memset(&s, 0, sizeof(s));
	s.del = h;
	ck_assert_int_eq(mobd_hostnet_routes(h, on_route, &s), 0);
	ck_assert_int_eq(s.n, 4);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(mobd_hostnet_routes(h, on_route, &s), 0);
	ck_assert_int_eq(s.n, 0);
	/* ip lists the blackhole route too; mobd leaves it alone. */
	ck_routes("10.98.0.0/24 dev mobt0 scope link\n10.99.0.15\n",
		  "fd98::/64 dev mobt0\n");
	mobd_hostnet_close(h);
}
END_TEST

struct counter {
	struct mobd_hostnet *h;
	int n;
};

static void count_and_delete(void *arg, uint32_t ifindex, int family,
			     const union mob_ip *dst)
{
	struct counter *c = arg;

	c->n++;
	ck_assert_uint_eq(ifindex, port);
	ck_assert_int_eq(mobd_hostnet_route_del(c->h, ifindex, family, dst), 0);
}

/* Many routes: the dump spans several reads, then all are deleted. */
START_TEST(test_routes_many)
{
	struct mobd_hostnet *h = setup();
	struct counter c = { h, 0 };
	union mob_ip a = ip("10.99.0.0"), b = ip("fd99::");
	int i;

	for (i = 0; i < 2000; i++) {
		a.raw[2] = b.raw[14] = (uint8_t)(i >> 8);
		a.raw[3] = b.raw[15] = (uint8_t)i;
		ck_assert_int_eq(mobd_hostnet_route_add(h, port, AF_INET, &a), 0);
		ck_assert_int_eq(mobd_hostnet_route_add(h, port, AF_INET6, &b), 0);
	}
	ck_assert_int_eq(mobd_hostnet_routes(h, count_and_delete, &c), 0);
	ck_assert_int_eq(c.n, 4000);
	c.n = 0;
	ck_assert_int_eq(mobd_hostnet_routes(h, count_and_delete, &c), 0);
	ck_assert_int_eq(c.n, 0);
	mobd_hostnet_close(h);
}
END_TEST

START_TEST(test_proxy)
{
	struct mobd_hostnet *h = setup();
	union mob_ip a = ip("fd99::12"), b = ip("fd99::1"), v4 = ip("10.99.0.12");
	const char *out;

	ck_assert_str_eq(run("ip -6 neigh show proxy"), "");
	ck_assert_int_eq(mobd_hostnet_proxy_add(h, port, AF_INET6, &a), 0);
	ck_assert_int_eq(mobd_hostnet_proxy_add(h, port, AF_INET6, &b), 0);
	ck_assert_int_eq(mobd_hostnet_proxy_add(h, port2, AF_INET6, &a), 0);
	/* Again: nothing new. */
	ck_assert_int_eq(mobd_hostnet_proxy_add(h, port, AF_INET6, &a), 0);
	out = run("ip -6 neigh show proxy | LC_ALL=C sort");
	ck_assert_str_eq(out, "fd99::1 dev mobt0 proxy \n"
			      "fd99::12 dev mobt0 proxy \n"
			      "fd99::12 dev mobt1 proxy \n");
	/* IPv4 needs none. */
	ck_assert_int_eq(mobd_hostnet_proxy_add(h, port, AF_INET, &v4), 0);
	ck_assert_int_eq(mobd_hostnet_proxy_del(h, port, AF_INET, &v4), 0);
	ck_assert_str_eq(run("ip -4 neigh show proxy"), "");

	ck_assert_int_eq(mobd_hostnet_proxy_del(h, port, AF_INET6, &a), 0);
	ck_assert_int_eq(mobd_hostnet_proxy_del(h, port, AF_INET6, &a), 0);
	out = run("ip -6 neigh show proxy | LC_ALL=C sort");
	ck_assert_str_eq(out, "fd99::1 dev mobt0 proxy \n"
			      "fd99::12 dev mobt1 proxy \n");
	ck_assert_int_eq(mobd_hostnet_proxy_del(h, port, AF_INET6, &b), 0);
	ck_assert_int_eq(mobd_hostnet_proxy_del(h, port2, AF_INET6, &a), 0);
	ck_assert_str_eq(run("ip -6 neigh show proxy"), "");
	mobd_hostnet_close(h);
}
END_TEST

START_TEST(test_neigh)
{
	struct mobd_hostnet *h = setup();
	union mob_ip a = ip("10.99.0.12"), b = ip("fd99::12");
	static const uint8_t m1[6] = { 0x52, 0x54, 0, 0x99, 0, 0x12 };
	static const uint8_t m2[6] = { 0x52, 0x54, 0, 0x99, 0, 0x13 };
	const char *cmd = "ip neigh show nud permanent | LC_ALL=C sort";

	ck_assert_str_eq(run(cmd), "");
	ck_assert_int_eq(mobd_hostnet_neigh_add(h, port, AF_INET, &a, m1), 0);
	ck_assert_int_eq(mobd_hostnet_neigh_add(h, port, AF_INET6, &b, m1), 0);
	ck_assert_str_eq(run(cmd),
			 "10.99.0.12 dev mobt0 lladdr 52:54:00:99:00:12 PERMANENT \n"
			 "fd99::12 dev mobt0 lladdr 52:54:00:99:00:12 PERMANENT \n");
	/* Again, and with another MAC: replaced, not duplicated. */
	ck_assert_int_eq(mobd_hostnet_neigh_add(h, port, AF_INET, &a, m1), 0);
	ck_assert_int_eq(mobd_hostnet_neigh_add(h, port, AF_INET, &a, m2), 0);
	ck_assert_str_eq(run(cmd),
			 "10.99.0.12 dev mobt0 lladdr 52:54:00:99:00:13 PERMANENT \n"
			 "fd99::12 dev mobt0 lladdr 52:54:00:99:00:12 PERMANENT \n");
	/* A port that is gone, a bad family. */
	ck_assert_int_eq(mobd_hostnet_neigh_add(h, 0, AF_INET, &a, m1),
			 -ENODEV);
	ck_assert_int_eq(mobd_hostnet_neigh_add(h, 999999, AF_INET, &a, m1),
			 -ENODEV);
	ck_assert_int_eq(mobd_hostnet_neigh_add(h, port, AF_PACKET, &a, m1),
			 -EAFNOSUPPORT);
	/* Deleting: twice, and on a gone port, all fine. */
	ck_assert_int_eq(mobd_hostnet_neigh_del(h, port, AF_INET, &a), 0);
	ck_assert_int_eq(mobd_hostnet_neigh_del(h, port, AF_INET, &a), 0);
	ck_assert_int_eq(mobd_hostnet_neigh_del(h, 999999, AF_INET, &a), 0);
	ck_assert_int_eq(mobd_hostnet_neigh_del(h, port2, AF_INET6, &b), 0);
	ck_assert_str_eq(run(cmd),
			 "fd99::12 dev mobt0 lladdr 52:54:00:99:00:12 PERMANENT \n");
	ck_assert_int_eq(mobd_hostnet_neigh_del(h, port, AF_INET6, &b), 0);
	ck_assert_str_eq(run(cmd), "");
	mobd_hostnet_close(h);
}
END_TEST

Suite *hostnet_suite(void)
{
	Suite *s = suite_create("hostnet");
	TCase *tc = tcase_create("netns");

	tcase_add_test(tc, test_port_up);
	tcase_add_test(tc, test_port_up_other);
	tcase_add_test(tc, test_nodev);
	tcase_add_test(tc, test_routes_add_del);
	tcase_add_test(tc, test_route_moves);
	tcase_add_test(tc, test_route_port_down);
	tcase_add_test(tc, test_route_foreign);
	tcase_add_test(tc, test_routes_list);
	tcase_add_test(tc, test_routes_many);
	tcase_add_test(tc, test_proxy);
	tcase_add_test(tc, test_neigh);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
