/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Builds test packets with checksums computed from scratch, independently
 * of the incremental code under test, so a translated packet can be
 * compared byte for byte with one built directly with the new addresses.
 */
#ifndef _MOB_TEST_PKTBUILD_H
#define _MOB_TEST_PKTBUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

enum pb_proto {
	PB_TCP,
	PB_UDP,
	PB_UDP_ZERO,		/* UDP with checksum 0 */
	PB_ICMP_ECHO,		/* ICMP or ICMPv6 echo request */
	PB_ICMP_ERR,		/* dest unreachable / packet too big, quoting */
	PB_SCTP,		/* no address-dependent checksum */
};

enum pb_frag {
	PB_WHOLE,
	PB_FIRST_FRAG,		/* first fragment of a larger packet */
	PB_LATER_FRAG,		/* offset != 0 */
};

struct pb_addr {
	int family;
	uint8_t b[16];
};

struct pb_spec {
	int family;
	enum pb_proto proto;
	struct pb_addr src, dst;
	enum pb_frag frag;
	bool ip_options;	/* IPv4: 8 bytes of options */
	bool hopopts;		/* IPv6: a hop-by-hop header */
	unsigned int payload;	/* L4 payload bytes */
	/* For PB_ICMP_ERR: the quoted packet and how much of it is kept. */
	enum pb_proto inner_proto;
	struct pb_addr inner_src, inner_dst;
	unsigned int inner_keep;	/* 0: all of it */
};

/* Returns the packet length written to buf (at most cap bytes). */
unsigned int pb_build(uint8_t *buf, unsigned int cap, const struct pb_spec *s);
struct pb_addr pb_a(const char *text);
uint16_t pb_csum(const uint8_t *data, unsigned int len, uint32_t sum);

#endif
