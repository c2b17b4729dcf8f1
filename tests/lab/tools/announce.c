// SPDX-License-Identifier: GPL-2.0
/*
 * announce: what a VM sends to say where it is, from inside the VM.
 *
 *   announce IFNAME STEP...
 *     rarp          one RARP request from the interface's MAC
 *     qemu          RARP requests at 0, 50, 200, 450 and 800 ms, as QEMU
 *                   sends them after a migration
 *     garp ADDR     a gratuitous ARP request for ADDR
 *     na ADDR6      an unsolicited neighbour advertisement for ADDR6
 *
 * Prints the wall-clock time the first frame left (seconds since the
 * epoch, microseconds) so that tests can time what follows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int ifindex;
static unsigned char mac[6];
static double first_sent;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sent(void)
{
	if (!first_sent)
		first_sent = now();
}

static void die(const char *what)
{
	fprintf(stderr, "announce: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* An ARP-format frame: RARP (0x8035, op 3) or ARP (0x0806, op 1). */
static void send_arp(uint16_t ethertype, uint16_t op, const void *spa,
		     const void *tpa)
{
	unsigned char f[60] = { 0 };
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET, .sll_ifindex = ifindex,
		.sll_halen = 6, .sll_protocol = htons(ethertype),
	};
	int s = socket(AF_PACKET, SOCK_RAW, 0);

	if (s < 0)
		die("packet socket");
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = ethertype >> 8;
	f[13] = ethertype & 0xff;
	f[14] = 0; f[15] = 1;			/* Ethernet */
	f[16] = 0x08; f[17] = 0;		/* IPv4 */
	f[18] = 6; f[19] = 4;
	f[20] = op >> 8; f[21] = op & 0xff;
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, spa, 4);
	if (ethertype == 0x8035)
		memcpy(f + 32, mac, 6);		/* RARP asks about itself */
	memcpy(f + 38, tpa, 4);
	memset(ll.sll_addr, 0xff, 6);
	if (sendto(s, f, sizeof(f), 0, (struct sockaddr *)&ll, sizeof(ll)) < 0)
		die("send");
	sent();
	close(s);
}

static void send_na(const char *ifname, const struct in6_addr *target)
{
	struct {
		struct nd_neighbor_advert na;
		unsigned char opt[8];
	} m = { 0 };
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6 };
	int s = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6), hops = 255;

	if (s < 0)
		die("icmpv6 socket");
	if (setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, ifname,
		       strlen(ifname)) < 0 ||
	    setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
		       sizeof(hops)) < 0 ||
	    setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex,
		       sizeof(ifindex)) < 0)
		die("icmpv6 socket options");
	m.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	m.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
	m.na.nd_na_target = *target;
	m.opt[0] = ND_OPT_TARGET_LINKADDR;
	m.opt[1] = 1;
	memcpy(m.opt + 2, mac, 6);
	inet_pton(AF_INET6, "ff02::1", &dst.sin6_addr);
	dst.sin6_scope_id = ifindex;
	if (sendto(s, &m, sizeof(m), 0, (struct sockaddr *)&dst,
		   sizeof(dst)) < 0)
		die("send neighbour advertisement");
	sent();
	close(s);
}

int main(int argc, char **argv)
{
	static const int qemu_ms[] = { 0, 50, 150, 250, 350 };
	unsigned char zero[4] = { 0 };
	struct in6_addr a6;
	struct in_addr a4;
	struct ifreq ifr = { 0 };
	int s, i;

	if (argc < 3) {
		fprintf(stderr, "usage: announce IFNAME { rarp | qemu | "
			"garp ADDR | na ADDR6 }...\n");
		return 2;
	}
	ifindex = (int)if_nametoindex(argv[1]);
	if (!ifindex)
		die(argv[1]);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
		die("hardware address");
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "rarp")) {
			send_arp(0x8035, 3, zero, zero);
		} else if (!strcmp(argv[i], "qemu")) {
			for (size_t k = 0; k < 5; k++) {
				usleep(qemu_ms[k] * 1000);
				send_arp(0x8035, 3, zero, zero);
			}
		} else if (!strcmp(argv[i], "garp") && i + 1 < argc &&
			   inet_pton(AF_INET, argv[i + 1], &a4) == 1) {
			send_arp(0x0806, 1, &a4, &a4);
			i++;
		} else if (!strcmp(argv[i], "na") && i + 1 < argc &&
			   inet_pton(AF_INET6, argv[i + 1], &a6) == 1) {
			send_na(argv[1], &a6);
			i++;
		} else {
			fprintf(stderr, "announce: bad step '%s'\n", argv[i]);
			return 2;
		}
	}
	printf("%.6f\n", first_sent);
	return 0;
}
