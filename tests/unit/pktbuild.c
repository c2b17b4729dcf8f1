// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pktbuild.h"

struct pb_addr pb_a(const char *text)
{
	struct pb_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, text, a.b) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, text, a.b) == 1)
		a.family = AF_INET6;
	else
		abort();
	return a;
}

static uint32_t sum16(const uint8_t *d, unsigned int len, uint32_t sum)
{
	unsigned int i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(d[i] << 8 | d[i + 1]);
	if (len & 1)
		sum += (uint32_t)d[len - 1] << 8;
	return sum;
}

/* The Internet checksum of data, starting from a partial sum. */
uint16_t pb_csum(const uint8_t *data, unsigned int len, uint32_t sum)
{
	sum = sum16(data, len, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t pseudo(int family, const struct pb_addr *s,
		       const struct pb_addr *d, uint8_t proto, unsigned int len)
{
	unsigned int alen = family == AF_INET ? 4 : 16;
	uint32_t sum = 0;

	sum = sum16(s->b, alen, sum);
	sum = sum16(d->b, alen, sum);
	sum += proto;
	sum += len & 0xffff;
	sum += len >> 16;
	return sum;
}

static uint8_t l4_number(int family, enum pb_proto p)
{
	switch (p) {
	case PB_TCP:
		return 6;
	case PB_UDP:
	case PB_UDP_ZERO:
		return 17;
	case PB_SCTP:
		return 132;
	default:
		return family == AF_INET ? 1 : 58;
	}
}

/* Builds the L4 message (header, payload, checksum over the whole). */
static unsigned int build_l4(uint8_t *l4, const struct pb_spec *s)
{
	unsigned int n, i, hl = 0;
	uint16_t c = 0;

	switch (s->proto) {
	case PB_TCP:
		hl = 20;
		memset(l4, 0, hl);
		put16(l4, 40000);
		put16(l4 + 2, 80);
		l4[4] = 0x11, l4[8] = 0x22;
		l4[12] = 5 << 4;
		l4[13] = 0x18;
		put16(l4 + 14, 512);
		break;
	case PB_UDP:
	case PB_UDP_ZERO:
		hl = 8;
		put16(l4, 5353);
		put16(l4 + 2, 53);
		put16(l4 + 4, 8 + s->payload);
		put16(l4 + 6, 0);
		break;
	case PB_SCTP:
		hl = 12;
		memset(l4, 0, hl);
		put16(l4, 7);
		put16(l4 + 2, 9);
		l4[8] = 0xde, l4[9] = 0xad;	/* CRC32c: not address-bound */
		break;
	case PB_ICMP_ECHO:
		hl = 8;
		memset(l4, 0, hl);
		l4[0] = s->family == AF_INET ? 8 : 128;
		put16(l4 + 4, 0x4242);
		put16(l4 + 6, 7);
		break;
	case PB_ICMP_ERR: {
		struct pb_spec in;

		hl = 8;
		memset(l4, 0, hl);
		l4[0] = s->family == AF_INET ? 3 : 2;
		l4[1] = s->family == AF_INET ? 4 : 0;
		put16(l4 + 6, 1280);
		memset(&in, 0, sizeof(in));
		in.family = s->family;
		in.proto = s->inner_proto;
		in.src = s->inner_src;
		in.dst = s->inner_dst;
		in.payload = 64;
		n = pb_build(l4 + hl, 1400, &in);
		if (s->inner_keep && s->inner_keep < n)
			n = s->inner_keep;
		n += hl;
		goto checksum;
	}
	}
	for (i = 0; i < s->payload; i++)
		l4[hl + i] = (uint8_t)(i * 7 + 3);
	n = hl + s->payload;

checksum:
	switch (s->proto) {
	case PB_TCP:
		c = pb_csum(l4, n, pseudo(s->family, &s->src, &s->dst, 6, n));
		put16(l4 + 16, c);
		break;
	case PB_UDP:
		c = pb_csum(l4, n, pseudo(s->family, &s->src, &s->dst, 17, n));
		put16(l4 + 6, c ? c : 0xffff);
		break;
	case PB_ICMP_ECHO:
	case PB_ICMP_ERR:
		if (s->family == AF_INET)
			c = pb_csum(l4, n, 0);
		else
			c = pb_csum(l4, n, pseudo(s->family, &s->src, &s->dst,
						  58, n));
		put16(l4 + 2, c);
		break;
	default:
		break;
	}
	return n;
}

unsigned int pb_build(uint8_t *buf, unsigned int cap, const struct pb_spec *s)
{
	uint8_t l4[1600];
	unsigned int l4len = build_l4(l4, s), from = 0, to = l4len, hl, n;
	uint8_t proto = l4_number(s->family, s->proto);

	/* Fragments split the L4 message at an 8-byte boundary. */
	if (s->frag != PB_WHOLE) {
		unsigned int cut = (l4len / 2) & ~7u;

		if (cut < 24)
			cut = 24;
		if (s->frag == PB_FIRST_FRAG)
			to = cut;
		else
			from = cut;
	}
	n = to - from;

	if (s->family == AF_INET) {
		hl = s->ip_options ? 28 : 20;
		memset(buf, 0, hl);
		buf[0] = (uint8_t)(0x40 | hl / 4);
		put16(buf + 2, hl + n);
		put16(buf + 4, 0x1234);
		if (s->frag == PB_FIRST_FRAG)
			put16(buf + 6, 0x2000);
		else if (s->frag == PB_LATER_FRAG)
			put16(buf + 6, from / 8);
		buf[8] = 64;
		buf[9] = proto;
		memcpy(buf + 12, s->src.b, 4);
		memcpy(buf + 16, s->dst.b, 4);
		if (s->ip_options)
			buf[20] = 1, buf[21] = 1, buf[22] = 1, buf[23] = 1,
			buf[24] = 1, buf[25] = 1, buf[26] = 1, buf[27] = 0;
		put16(buf + 10, pb_csum(buf, hl, 0));
	} else {
		uint8_t *next = buf + 6;

		hl = 40;
		memset(buf, 0, 40);
		buf[0] = 0x60;
		buf[7] = 64;
		memcpy(buf + 8, s->src.b, 16);
		memcpy(buf + 24, s->dst.b, 16);
		if (s->hopopts) {
			*next = 0;
			memset(buf + hl, 0, 8);
			buf[hl + 2] = 1;	/* PadN */
			buf[hl + 3] = 4;
			next = buf + hl;
			hl += 8;
		}
		if (s->frag != PB_WHOLE) {
			*next = 44;
			memset(buf + hl, 0, 8);
			put16(buf + hl + 2, from | (s->frag == PB_FIRST_FRAG));
			buf[hl + 7] = 0x99;	/* identification */
			next = buf + hl;
			hl += 8;
		}
		*next = proto;
		put16(buf + 4, hl - 40 + n);
	}
	if (hl + n > cap)
		abort();
	memcpy(buf + hl, l4 + from, n);
	return hl + n;
}
