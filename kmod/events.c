// SPDX-License-Identifier: GPL-2.0
/*
 * What the data plane reports to the agent: VMs resolving neighbours (ARP,
 * IPv6 NS), VMs announcing themselves (RARP, gratuitous ARP, unsolicited
 * NA: what QEMU and guests send after a migration) and packets dropped for
 * want of a binding.
 *
 * ARP and RARP never reach the IP hooks, so they are taken from packet
 * taps.  RARP has no other receiver in the kernel, and carries no IP
 * address, so every RARP of an active namespace is reported.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/netdevice.h>
#include <net/genetlink.h>
#include <net/ipv6.h>

#include "mob.h"

int mob_nl_put_addr(struct sk_buff *skb, int attr4, int attr6,
		    const struct mob_addr *a)
{
	if (a->family == AF_INET)
		return nla_put_in_addr(skb, attr4, a->ip);
	return nla_put_in6_addr(skb, attr6, &a->ip6);
}

/* The largest event: a nest of type, ifindex, MAC and two IPv6 addresses. */
#define EVENT_SIZE (nla_total_size(0) + nla_total_size(1) +		\
		    nla_total_size(4) + nla_total_size(ETH_ALEN) +	\
		    2 * nla_total_size(16))

static void event_send(struct mob_net *mn, struct ratelimit_state *rs,
		       u8 cmd, u8 type, int ifindex, const u8 *lladdr,
		       const struct mob_addr *sender,
		       const struct mob_addr *target)
{
	struct nlattr *nest;
	struct sk_buff *skb;
	void *hdr;

	if (READ_ONCE(mob_unloading) ||
	    !genl_has_listeners(&mob_genl_family, mn->net, 0))
		return;
	if (!__ratelimit(rs))
		goto suppressed;
	skb = genlmsg_new(EVENT_SIZE, GFP_ATOMIC);
	if (!skb)
		goto suppressed;
	hdr = genlmsg_put(skb, 0, 0, &mob_genl_family, 0, cmd);
	if (!hdr)
		goto nla_failure;
	nest = nla_nest_start(skb, MOB_A_EVENT);
	if (!nest || nla_put_u8(skb, MOB_EVENT_A_TYPE, type) ||
	    (ifindex && nla_put_u32(skb, MOB_EVENT_A_IFINDEX, ifindex)) ||
	    (lladdr && nla_put(skb, MOB_EVENT_A_LLADDR, ETH_ALEN, lladdr)) ||
	    (sender && mob_nl_put_addr(skb, MOB_EVENT_A_SENDER4,
				       MOB_EVENT_A_SENDER6, sender)) ||
	    (target && mob_nl_put_addr(skb, MOB_EVENT_A_TARGET4,
				       MOB_EVENT_A_TARGET6, target)))
		goto nla_failure;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	if (genlmsg_multicast_netns(&mob_genl_family, mn->net, skb, 0, 0,
				    GFP_ATOMIC))
		goto suppressed;
	mob_stats_inc(mn, events);
	return;

nla_failure:
	nlmsg_free(skb);
suppressed:
	mob_stats_inc(mn, events_suppressed);
}

/* Only namespaces that use mob pay for, and hear about, ARP and RARP. */
static struct mob_net *active_net(const struct net_device *dev)
{
	struct mob_net *mn = mob_pernet(dev_net(dev));

	if (!READ_ONCE(mn->hooks) || READ_ONCE(mn->dying))
		return NULL;
	return mn;
}

struct arp_eth_ipv4 {
	struct arphdr h;
	u8 sha[ETH_ALEN];
	__be32 sip;
	u8 tha[ETH_ALEN];
	__be32 tip;
} __packed;

static int mob_arp_rcv(struct sk_buff *skb, struct net_device *dev,
		       struct packet_type *pt, struct net_device *orig_dev)
{
	struct mob_addr sender = { .family = AF_INET };
	struct mob_addr target = { .family = AF_INET };
	const struct arp_eth_ipv4 *arp;
	struct arp_eth_ipv4 buf;
	struct mob_net *mn;
	u16 op;

	mn = active_net(dev);
	if (!mn || skb->pkt_type == PACKET_OTHERHOST)
		goto out;
	/* The skb is shared with arp_rcv(): read it, never pull it. */
	arp = skb_header_pointer(skb, 0, sizeof(buf), &buf);
	if (!arp || arp->h.ar_hrd != htons(ARPHRD_ETHER) ||
	    arp->h.ar_pro != htons(ETH_P_IP) || arp->h.ar_hln != ETH_ALEN ||
	    arp->h.ar_pln != 4)
		goto out;
	op = ntohs(arp->h.ar_op);
	if (op != ARPOP_REQUEST && op != ARPOP_REPLY)
		goto out;
	sender.ip = arp->sip;
	target.ip = arp->tip;

	if (!arp->sip) {
		if (op == ARPOP_REQUEST && mob_in_home(mn, &target))
			event_send(mn, &mn->neigh_rs, MOB_CMD_NEIGH,
				   MOB_EVENT_ARP_PROBE, dev->ifindex, arp->sha,
				   NULL, &target);
	} else if (mob_in_home(mn, &sender)) {
		if (arp->sip == arp->tip)
			event_send(mn, &mn->neigh_rs, MOB_CMD_ANNOUNCE,
				   MOB_EVENT_GARP, dev->ifindex, arp->sha,
				   NULL, &target);
		else
			event_send(mn, &mn->neigh_rs, MOB_CMD_NEIGH,
				   op == ARPOP_REQUEST ? MOB_EVENT_ARP_REQUEST :
							 MOB_EVENT_ARP_REPLY,
				   dev->ifindex, arp->sha, &sender, &target);
	}
out:
	consume_skb(skb);
	return NET_RX_SUCCESS;
}

static int mob_rarp_rcv(struct sk_buff *skb, struct net_device *dev,
			struct packet_type *pt, struct net_device *orig_dev)
{
	const struct arp_eth_ipv4 *arp;
	struct arp_eth_ipv4 buf;
	struct mob_net *mn;

	mn = active_net(dev);
	if (!mn || skb->pkt_type == PACKET_OTHERHOST)
		goto out;
	arp = skb_header_pointer(skb, 0, sizeof(buf), &buf);
	if (!arp || arp->h.ar_hrd != htons(ARPHRD_ETHER) ||
	    arp->h.ar_hln != ETH_ALEN ||
	    arp->h.ar_op != htons(ARPOP_RREQUEST))
		goto out;
	event_send(mn, &mn->neigh_rs, MOB_CMD_ANNOUNCE, MOB_EVENT_RARP,
		   dev->ifindex, arp->sha, NULL, NULL);
out:
	consume_skb(skb);
	return NET_RX_SUCCESS;
}

static struct packet_type mob_arp_pt __read_mostly = {
	.type = cpu_to_be16(ETH_P_ARP),
	.func = mob_arp_rcv,
};

static struct packet_type mob_rarp_pt __read_mostly = {
	.type = cpu_to_be16(ETH_P_RARP),
	.func = mob_rarp_rcv,
};

static const u8 *src_lladdr(const struct sk_buff *skb)
{
	if (!skb->dev || skb->dev->type != ARPHRD_ETHER ||
	    !skb_mac_header_was_set(skb) || skb_mac_header_len(skb) < ETH_HLEN)
		return NULL;
	return eth_hdr(skb)->h_source;
}

#define ND_NS		135
#define ND_NA		136
#define ND_NA_SOLICITED	0x40

/* Called from the ingress hook; the parser made the target linear. */
void mob_event_nd(struct mob_net *mn, struct sk_buff *skb,
		  const struct mob_pkt *p)
{
	struct mob_addr src, target;
	int ifindex = skb->dev ? skb->dev->ifindex : 0;

	if (p->hop_limit != 255)	/* not from the link: RFC 4861 */
		return;
	mob_addr_load(&src, AF_INET6, skb->data, p->saddr_off);
	mob_addr_load(&target, AF_INET6, skb->data, p->l4_off + 8);
	if (!mob_in_home(mn, &target) && !mob_in_home(mn, &src))
		return;

	if (p->icmp_type == ND_NS) {
		if (ipv6_addr_any(&src.ip6)) {
			if (mob_in_home(mn, &target))
				event_send(mn, &mn->neigh_rs, MOB_CMD_NEIGH,
					   MOB_EVENT_DAD, ifindex,
					   src_lladdr(skb), NULL, &target);
		} else if (mob_in_home(mn, &src)) {
			event_send(mn, &mn->neigh_rs, MOB_CMD_NEIGH,
				   MOB_EVENT_NS, ifindex, src_lladdr(skb),
				   &src, &target);
		}
	} else if (!(skb->data[p->l4_off + 4] & ND_NA_SOLICITED) &&
		   mob_in_home(mn, &target)) {
		event_send(mn, &mn->neigh_rs, MOB_CMD_ANNOUNCE,
			   MOB_EVENT_UNSOLICITED_NA, ifindex, src_lladdr(skb),
			   NULL, &target);
	}
}

void mob_event_unknown(struct mob_net *mn, struct sk_buff *skb,
		       const struct mob_pkt *p, u8 type, int ifindex)
{
	struct mob_addr src, dst;

	mob_addr_load(&src, p->family, skb->data, p->saddr_off);
	mob_addr_load(&dst, p->family, skb->data, p->daddr_off);
	event_send(mn, &mn->unknown_rs, MOB_CMD_UNKNOWN_HOA, type, ifindex,
		   NULL, &src, &dst);
}

/* A VM's port that goes away takes the binding's right to use it along. */
static int mob_netdev_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct mob_net *mn = mob_pernet(dev_net(dev));

	/* Unregistering the notifier replays UNREGISTER for every device. */
	if (event != NETDEV_UNREGISTER || READ_ONCE(mob_unloading) ||
	    !READ_ONCE(mn->hooks))
		return NOTIFY_DONE;
	mutex_lock(&mn->lock);
	mob_port_gone(mn, dev->ifindex);
	mutex_unlock(&mn->lock);
	return NOTIFY_DONE;
}

static struct notifier_block mob_netdev_notifier = {
	.notifier_call = mob_netdev_event,
};

int mob_events_init(void)
{
	int err = register_netdevice_notifier(&mob_netdev_notifier);

	if (err)
		return err;
	dev_add_pack(&mob_arp_pt);
	dev_add_pack(&mob_rarp_pt);
	return 0;
}

void mob_events_exit(void)
{
	dev_remove_pack(&mob_rarp_pt);
	dev_remove_pack(&mob_arp_pt);
	unregister_netdevice_notifier(&mob_netdev_notifier);
}
