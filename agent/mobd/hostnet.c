// SPDX-License-Identifier: GPL-2.0
/*
 * Host routes, neighbour proxy entries and port settings for local VMs,
 * over one rtnetlink socket (libnl-route-3).
 *
 * Requests are sent and their ACK awaited here rather than with
 * rtnl_*_add(): libnl folds many kernel errors into NLE_FAILURE, and the
 * caller wants the errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "hostnet.h"
#include "log.h"

struct mobd_hostnet {
	struct nl_sock *sk;
	int kernel_err;		/* errno of the last NLMSG_ERROR, negative */
};

static int nlerr_to_errno(int nlerr)
{
	static const int map[] = {
		[NLE_INTR] = EINTR, [NLE_BAD_SOCK] = EBADF,
		[NLE_AGAIN] = EAGAIN, [NLE_NOMEM] = ENOMEM,
		[NLE_EXIST] = EEXIST, [NLE_INVAL] = EINVAL,
		[NLE_RANGE] = ERANGE, [NLE_MSGSIZE] = EMSGSIZE,
		[NLE_OPNOTSUPP] = EOPNOTSUPP,
		[NLE_AF_NOSUPPORT] = EAFNOSUPPORT,
		[NLE_OBJ_NOTFOUND] = ENOENT, [NLE_NOADDR] = EADDRNOTAVAIL,
		[NLE_BUSY] = EBUSY, [NLE_NOACCESS] = EACCES,
		[NLE_PERM] = EPERM, [NLE_NODEV] = ENODEV,
		[NLE_DUMP_INTR] = EINTR,
	};

	if (nlerr < 0)
		nlerr = -nlerr;
	if (nlerr == 0)
		return 0;
	if (nlerr < (int)(sizeof(map) / sizeof(map[0])) && map[nlerr])
		return -map[nlerr];
	return -EIO;
}

/* Keep the kernel's own errno; NL_STOP makes libnl return an error. */
static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct mobd_hostnet *h = arg;

	h->kernel_err = e->error;
	return NL_STOP;
}

int mobd_hostnet_open(struct mobd_hostnet **hp)
{
	struct mobd_hostnet *h;
	int err;

	*hp = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->sk = nl_socket_alloc();
	if (!h->sk) {
		free(h);
		return -ENOMEM;
	}
	err = nl_connect(h->sk, NETLINK_ROUTE);
	if (err < 0) {
		err = nlerr_to_errno(err);
		log_err("rtnetlink: %s", strerror(-err));
		nl_socket_free(h->sk);
		free(h);
		return err;
	}
	nl_socket_modify_err_cb(h->sk, NL_CB_CUSTOM, on_error, h);
	*hp = h;
	return 0;
}

void mobd_hostnet_close(struct mobd_hostnet *h)
{
	if (!h)
		return;
	nl_socket_free(h->sk);
	free(h);
}

/* Send MSG (freed here) and wait for its ACK: 0 or -errno. */
static int talk(struct mobd_hostnet *h, struct nl_msg *msg)
{
	int err;

	h->kernel_err = 0;
	err = nl_send_auto(h->sk, msg);
	nlmsg_free(msg);
	if (err < 0)
		return nlerr_to_errno(err);
	err = nl_wait_for_ack(h->sk);
	if (err < 0)
		return h->kernel_err ? h->kernel_err : nlerr_to_errno(err);
	return 0;
}

static int ifname_of(uint32_t ifindex, char *name)
{
	if (!ifindex || !if_indextoname(ifindex, name))
		return -ENODEV;
	return 0;
}

static const char *ntop(int family, const union mob_ip *a, char *buf)
{
	return mob_addr_ntop(family, a, buf, INET6_ADDRSTRLEN);
}

static struct nl_addr *host_addr(int family, const union mob_ip *a)
{
	struct nl_addr *na = nl_addr_build(family, a->raw,
					   mob_addr_len(family));

	if (na)
		nl_addr_set_prefixlen(na, (int)(8 * mob_addr_len(family)));
	return na;
}

static int write_sysctl(const char *path, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

static int port_sysctl(const char *ifname, const char *dir, const char *key,
		       const char *value)
{
	char path[128];
	int err;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/%s/%s", dir, ifname,
		 key);
	err = write_sysctl(path, value);
	if (err == -ENOENT) {
		/* The port went away under us, or has no IPv6 at all. */
		err = if_nametoindex(ifname) ? -EAFNOSUPPORT : -ENODEV;
	}
	if (err)
		log_warn("%s: cannot set %s: %s", ifname, path, strerror(-err));
	return err;
}

static int port_family_up(const char *ifname, int family)
{
	const char *v = family == AF_INET ? "ipv4" : "ipv6";
	char conf[16], neigh[16];
	int err;

	snprintf(conf, sizeof(conf), "%s/conf", v);
	snprintf(neigh, sizeof(neigh), "%s/neigh", v);
	err = port_sysctl(ifname, conf,
			  family == AF_INET ? "proxy_arp" : "proxy_ndp", "1");
	/*
	 * Proxy answers to broadcast ARP and multicast NS wait a random time
	 * of up to proxy_delay (0.8 s by default): a VM would see that delay
	 * on every neighbour it resolves.
	 */
	if (!err)
		err = port_sysctl(ifname, neigh, "proxy_delay", "0");
	return err;
}

static bool is_link_local6(const union mob_ip *a)
{
	return a->raw[0] == 0xfe && (a->raw[1] & 0xc0) == 0x80;
}

static int add_lladdr(struct mobd_hostnet *h, uint32_t ifindex,
		      const char *ifname, const union mob_ip *gw)
{
	char buf[INET6_ADDRSTRLEN];
	struct rtnl_addr *ra;
	struct nl_addr *na;
	struct nl_msg *msg = NULL;
	int err;

	ra = rtnl_addr_alloc();
	na = nl_addr_build(AF_INET6, gw->raw, 16);
	if (!ra || !na) {
		err = -ENOMEM;
		goto out;
	}
	nl_addr_set_prefixlen(na, 64);
	rtnl_addr_set_ifindex(ra, (int)ifindex);
	rtnl_addr_set_family(ra, AF_INET6);
	err = nlerr_to_errno(rtnl_addr_set_local(ra, na));
	if (err)
		goto out;
	rtnl_addr_set_prefixlen(ra, 64);
	rtnl_addr_set_scope(ra, RT_SCOPE_LINK);
	/* The same gateway address sits on every port: no DAD. */
	rtnl_addr_set_flags(ra, IFA_F_NODAD);
	err = nlerr_to_errno(rtnl_addr_build_add_request(ra, NLM_F_EXCL,
							 &msg));
	if (!err)
		err = talk(h, msg);
	if (err == -EEXIST)
		err = 0;
	if (err)
		log_warn("%s: cannot add gateway address %s: %s", ifname,
			 ntop(AF_INET6, gw, buf), strerror(-err));
out:
	nl_addr_put(na);
	rtnl_addr_put(ra);
	return err;
}

int mobd_hostnet_port_up(struct mobd_hostnet *h, uint32_t ifindex,
			 const struct mobd_home *home)
{
	char ifname[IF_NAMESIZE];
	int err;

	err = ifname_of(ifindex, ifname);
	if (err)
		return err;
	if (!home || home->prefix.family == AF_INET) {
		err = port_family_up(ifname, AF_INET);
		if (err)
			return err;
	}
	if (!home || home->prefix.family == AF_INET6) {
		err = port_family_up(ifname, AF_INET6);
		if (err)
			return err;
	}
	if (home && home->prefix.family == AF_INET6 && home->has_gateway &&
	    is_link_local6(&home->gateway)) {
		err = add_lladdr(h, ifindex, ifname, &home->gateway);
		if (err)
			return err;
	}
	log_debug("%s: port ready", ifname);
	return 0;
}

static int route_msg(uint32_t ifindex, int family, const union mob_ip *hoa,
		     bool add, struct nl_msg **msg)
{
	struct rtnl_route *rt;
	struct rtnl_nexthop *nh = NULL;
	struct nl_addr *dst;
	int err;

	rt = rtnl_route_alloc();
	dst = host_addr(family, hoa);
	if (!rt || !dst) {
		err = -ENOMEM;
		goto out;
	}
	rtnl_route_set_family(rt, (uint8_t)family);
	err = nlerr_to_errno(rtnl_route_set_dst(rt, dst));
	if (err)
		goto out;
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_scope(rt, RT_SCOPE_LINK);
	rtnl_route_set_protocol(rt, MOBD_RTPROT);
	rtnl_route_set_type(rt, RTN_UNICAST);
	nh = rtnl_route_nh_alloc();
	if (!nh) {
		err = -ENOMEM;
		goto out;
	}
	rtnl_route_nh_set_ifindex(nh, (int)ifindex);
	rtnl_route_add_nexthop(rt, nh);	/* the route owns it now */
	/*
	 * Replace: a route left over through another port (the VM came
	 * back on a new tap) must point to the new one.  Deletion names the
	 * protocol and the port, so only this very route goes.
	 */
	if (add)
		err = rtnl_route_build_add_request(rt, NLM_F_REPLACE, msg);
	else
		err = rtnl_route_build_del_request(rt, 0, msg);
	err = nlerr_to_errno(err);
out:
	nl_addr_put(dst);
	rtnl_route_put(rt);
	return err;
}

static int route_change(struct mobd_hostnet *h, uint32_t ifindex, int family,
			const union mob_ip *hoa, bool add)
{
	char buf[INET6_ADDRSTRLEN];
	struct nl_msg *msg;
	int err;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (add && !ifindex)
		return -ENODEV;
	err = route_msg(ifindex, family, hoa, add, &msg);
	if (!err)
		err = talk(h, msg);
	/* Deleting what is gone: with its port, or never there. */
	if (!add && (err == -ESRCH || err == -ENOENT || err == -ENODEV))
		err = 0;
	if (err)
		log_warn("cannot %s route to %s via ifindex %u: %s",
			 add ? "add" : "delete", ntop(family, hoa, buf),
			 ifindex, strerror(-err));
	else
		log_debug("route to %s via ifindex %u %s", ntop(family, hoa, buf),
			  ifindex, add ? "added" : "deleted");
	return err;
}

int mobd_hostnet_route_add(struct mobd_hostnet *h, uint32_t ifindex,
			   int family, const union mob_ip *hoa)
{
	return route_change(h, ifindex, family, hoa, true);
}

int mobd_hostnet_route_del(struct mobd_hostnet *h, uint32_t ifindex,
			   int family, const union mob_ip *hoa)
{
	return route_change(h, ifindex, family, hoa, false);
}

/*
 * Add (replacing) or delete one neighbour entry of ADDR on IFINDEX: a
 * proxy entry (PROXY), or ADDR at MAC, permanent.  0 or -errno.
 */
static int neigh_send(struct mobd_hostnet *h, uint32_t ifindex, int family,
		      const union mob_ip *addr, const uint8_t *mac, bool proxy,
		      bool add)
{
	struct nl_addr *dst, *ll = NULL;
	struct nl_msg *msg = NULL;
	struct rtnl_neigh *n;
	int err;

	n = rtnl_neigh_alloc();
	dst = host_addr(family, addr);
	if (add && mac)
		ll = nl_addr_build(AF_LLC, mac, 6);
	if (!n || !dst || (add && mac && !ll)) {
		err = -ENOMEM;
		goto out;
	}
	rtnl_neigh_set_ifindex(n, (int)ifindex);
	rtnl_neigh_set_family(n, family);
	if (proxy)
		rtnl_neigh_set_flags(n, NTF_PROXY);
	err = nlerr_to_errno(rtnl_neigh_set_dst(n, dst));
	if (err)
		goto out;
	if (ll) {
		rtnl_neigh_set_lladdr(n, ll);
		rtnl_neigh_set_state(n, NUD_PERMANENT);
	}
	if (add)
		err = rtnl_neigh_build_add_request(n, NLM_F_CREATE |
						   NLM_F_REPLACE, &msg);
	else
		err = rtnl_neigh_build_delete_request(n, 0, &msg);
	err = nlerr_to_errno(err);
	if (!err)
		err = talk(h, msg);
out:
	nl_addr_put(ll);
	nl_addr_put(dst);
	rtnl_neigh_put(n);
	return err;
}

static int proxy_change(struct mobd_hostnet *h, uint32_t ifindex, int family,
			const union mob_ip *addr, bool add)
{
	char buf[INET6_ADDRSTRLEN];
	int err;

	if (family == AF_INET)
		return 0;
	if (family != AF_INET6)
		return -EAFNOSUPPORT;
	if (!ifindex)
		return add ? -ENODEV : 0;
	err = neigh_send(h, ifindex, AF_INET6, addr, NULL, true, add);
	if (add && err == -EEXIST)
		err = 0;
	if (!add && (err == -ENOENT || err == -ENODEV))
		err = 0;
	if (err)
		log_warn("cannot %s neighbour proxy %s on ifindex %u: %s",
			 add ? "add" : "delete", ntop(family, addr, buf),
			 ifindex, strerror(-err));
	else
		log_debug("neighbour proxy %s on ifindex %u %s",
			  ntop(family, addr, buf), ifindex,
			  add ? "added" : "deleted");
	return err;
}

int mobd_hostnet_proxy_add(struct mobd_hostnet *h, uint32_t ifindex,
			   int family, const union mob_ip *addr)
{
	return proxy_change(h, ifindex, family, addr, true);
}

int mobd_hostnet_proxy_del(struct mobd_hostnet *h, uint32_t ifindex,
			   int family, const union mob_ip *addr)
{
	return proxy_change(h, ifindex, family, addr, false);
}

/*
 * The VM's own neighbour entry on its port: ADDR is at MAC, permanent.
 * Without it the host resolves the VM's address by ARP or NDP when the
 * first packet for it arrives, and a guest that answers late just after
 * a migration (its vCPUs still warming up) costs the queued packets.
 * The MAC is not a guess: it is the domain's NIC (libvirt) or the
 * source address of the VM's own announcement.
 */
static int neigh_change(struct mobd_hostnet *h, uint32_t ifindex, int family,
			const union mob_ip *addr, const uint8_t *mac)
{
	char buf[INET6_ADDRSTRLEN];
	int err;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (!ifindex)
		return mac ? -ENODEV : 0;
	err = neigh_send(h, ifindex, family, addr, mac, false, mac != NULL);
	if (!mac && (err == -ENOENT || err == -ENODEV))
		err = 0;
	if (err)
		log_warn("cannot %s neighbour %s on ifindex %u: %s",
			 mac ? "add" : "delete", ntop(family, addr, buf),
			 ifindex, strerror(-err));
	else
		log_debug("neighbour %s on ifindex %u %s",
			  ntop(family, addr, buf), ifindex,
			  mac ? "added" : "deleted");
	return err;
}

int mobd_hostnet_neigh_add(struct mobd_hostnet *h, uint32_t ifindex,
			   int family, const union mob_ip *addr,
			   const uint8_t mac[6])
{
	return neigh_change(h, ifindex, family, addr, mac);
}

int mobd_hostnet_neigh_del(struct mobd_hostnet *h, uint32_t ifindex,
			   int family, const union mob_ip *addr)
{
	return neigh_change(h, ifindex, family, addr, NULL);
}

struct host_route {
	uint32_t ifindex;
	int family;
	union mob_ip dst;
};

struct route_list {
	struct host_route *v;
	size_t n, cap;
	int err;
};

static int on_route(struct nl_msg *msg, void *arg)
{
	struct route_list *l = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[RTA_MAX + 1];
	struct host_route *r;
	struct rtmsg *rtm;
	uint32_t table;
	size_t alen;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    nlh->nlmsg_len < (uint32_t)nlmsg_size(sizeof(*rtm)))
		return NL_SKIP;
	rtm = nlmsg_data(nlh);
	alen = mob_addr_len(rtm->rtm_family);
	if (!alen || rtm->rtm_protocol != MOBD_RTPROT ||
	    rtm->rtm_type != RTN_UNICAST || rtm->rtm_dst_len != 8 * alen)
		return NL_SKIP;
	if (nlmsg_parse(nlh, sizeof(*rtm), tb, RTA_MAX, NULL) < 0)
		return NL_SKIP;
	table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (table != RT_TABLE_MAIN || !tb[RTA_DST] || !tb[RTA_OIF] ||
	    nla_len(tb[RTA_DST]) != (int)alen)
		return NL_SKIP;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct host_route *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->err = -ENOMEM;
			return NL_STOP;
		}
		l->v = v;
		l->cap = cap;
	}
	r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	r->family = rtm->rtm_family;
	r->ifindex = nla_get_u32(tb[RTA_OIF]);
	memcpy(r->dst.raw, nla_data(tb[RTA_DST]), alen);
	return NL_OK;
}

static int dump_routes(struct mobd_hostnet *h, struct route_list *l)
{
	struct rtmsg rtm = { .rtm_family = AF_UNSPEC };
	struct nl_cb *cb, *base;
	int err;

	l->n = 0;
	l->err = 0;
	h->kernel_err = 0;
	err = nl_send_simple(h->sk, RTM_GETROUTE, NLM_F_DUMP, &rtm,
			     sizeof(rtm));
	if (err < 0)
		return nlerr_to_errno(err);
	base = nl_socket_get_cb(h->sk);
	cb = nl_cb_clone(base);
	nl_cb_put(base);
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_route, l);
	err = nl_recvmsgs(h->sk, cb);
	nl_cb_put(cb);
	if (l->err)
		return l->err;
	if (err < 0)
		return h->kernel_err ? h->kernel_err : nlerr_to_errno(err);
	return 0;
}

int mobd_hostnet_routes(struct mobd_hostnet *h,
			void (*cb)(void *arg, uint32_t ifindex, int family,
				   const union mob_ip *dst),
			void *arg)
{
	struct route_list l = { 0 };
	size_t i;
	int err, tries = 0;

	/*
	 * The whole dump is read before CB runs, so CB may delete routes;
	 * a dump cut short by a change is read again.
	 */
	do {
		err = dump_routes(h, &l);
	} while (err == -EINTR && ++tries < 5);
	if (!err)
		for (i = 0; i < l.n; i++)
			cb(arg, l.v[i].ifindex, l.v[i].family, &l.v[i].dst);
	else
		log_warn("cannot list routes: %s", strerror(-err));
	free(l.v);
	return err;
}
