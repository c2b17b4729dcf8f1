// SPDX-License-Identifier: GPL-2.0
/*
 * pktxchg: replays a packet matrix (tests/kernel/vectors.py) through a
 * forwarding namespace and checks, byte for byte, what comes out.
 *
 *   pktxchg [-t WAIT_MS] [-g GRACE_MS] VECTORS
 *           WIRE_NETNS WIRE_IF WIRE_DMAC VM_NETNS VM_IF VM_DMAC
 *
 * WIRE_IF and VM_IF are the outer ends of the two links into the namespace
 * under test, each in its own network namespace (a name under /run/netns,
 * a path, or "-" for the current one); WIRE_DMAC and VM_DMAC are the MAC
 * addresses of the other ends, which every injected frame is addressed to.
 *
 * Each vector's input is sent with an Ethernet header on the interface its
 * direction names.  A vector that expects a packet waits up to WAIT_MS for
 * it; a vector that expects a drop does not wait at all: both interfaces
 * are read for the whole run, so a dropped packet that does come out is
 * caught whenever it turns up, and a last GRACE_MS wait covers the tail.
 * The matrix thus costs one forwarding delay per vector, not a timeout per
 * drop.  Frames are told apart by a key the translation does not change
 * (the IPv4 ID and fragment field, the IPv6 flow label and fragment
 * offset), so neighbour discovery, MLD or anything else on the links is
 * ignored rather than mistaken for an answer.
 *
 * Prints "ok NAME" or "FAIL NAME: why" per vector, in file order, with a
 * byte diff for a wrong packet, then a summary line.  Exit status: the
 * number of failures, at most 100; 125 if the run could not be made.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define EXIT_SETUP	125
#define EXIT_FAIL_MAX	100
#define MAX_L3		9000
#define FRAME_MAX	(ETH_HLEN + MAX_L3)
#define DIFF_LINES	24

enum side { SIDE_WIRE, SIDE_VM, SIDE_NR };

static const char *const side_name[SIDE_NR] = { "wire", "vm" };

struct port {
	int fd;
	int ifindex;
	const char *ifname;
	uint8_t smac[ETH_ALEN];		/* this end */
	uint8_t dmac[ETH_ALEN];		/* the namespace's end */
};

struct vector {
	char *name;
	unsigned int line;
	enum side in;			/* where it is sent */
	uint8_t *input;
	size_t input_len;
	uint8_t *expect;		/* NULL: must be dropped */
	size_t expect_len;
	uint64_t key;
	bool sent;
	/* What came out: the first matching frame, and how many there were. */
	unsigned int arrivals;
	enum side got_side;
	uint8_t *got;
	size_t got_len;
};

static struct vector *vecs;
static size_t n_vecs;
static struct port ports[SIDE_NR];

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("pktxchg: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_SETUP);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory");
	return p;
}

/*
 * The key a packet is recognised by: translation rewrites addresses and
 * checksums and forwarding the TTL, but none of these.  Must agree with
 * packet_key() in tests/kernel/vectors.py, which makes them unique.
 */
static bool packet_key(const uint8_t *p, size_t len, uint64_t *key)
{
	if (len >= 20 && p[0] >> 4 == 4) {
		*key = 4ULL << 56 | (uint64_t)p[9] << 48 |
		       (uint64_t)(p[4] << 8 | p[5]) << 16 | (p[6] << 8 | p[7]);
		return true;
	}
	if (len >= 40 && p[0] >> 4 == 6) {
		uint64_t frag = 0;

		if (p[6] == 44 && len >= 44)
			frag = p[42] << 8 | p[43];
		*key = 6ULL << 56 | (uint64_t)p[6] << 48 |
		       (uint64_t)(p[1] << 16 | p[2] << 8 | p[3]) << 16 | frag;
		return true;
	}
	return false;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static uint8_t *parse_hex(const char *s, size_t *len, const char *file,
			  unsigned int line, const char *what)
{
	size_t n = strlen(s), i;
	uint8_t *b;

	if (n == 0 || n % 2 || n / 2 > MAX_L3)
		die("%s:%u: %s: expected 1..%d bytes of hex, got %zu characters",
		    file, line, what, MAX_L3, n);
	b = xmalloc(n / 2);
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			die("%s:%u: %s: '%c%c' is not hex", file, line, what,
			    s[2 * i], s[2 * i + 1]);
		b[i] = hi << 4 | lo;
	}
	*len = n / 2;
	return b;
}

/* NAME DIR INPUT EXPECTED|DROP [COUNTERS]; '#' and '@' lines are not ours. */
static void load_vectors(const char *file)
{
	size_t cap = 0, linecap = 0, i, j;
	unsigned int lineno = 0;
	char *buf = NULL;
	FILE *f;

	f = fopen(file, "r");
	if (!f)
		die("cannot open %s: %s", file, strerror(errno));
	while (getline(&buf, &linecap, f) > 0) {
		char *field[5] = { NULL }, *save = NULL, *tok;
		struct vector *v;
		int n = 0;

		lineno++;
		for (tok = strtok_r(buf, " \t\r\n", &save); tok && n < 5;
		     tok = strtok_r(NULL, " \t\r\n", &save))
			field[n++] = tok;
		if (n == 0 || field[0][0] == '#' || field[0][0] == '@')
			continue;
		if (n < 4)
			die("%s:%u: expected NAME DIR INPUT EXPECTED [COUNTERS]",
			    file, lineno);
		if (n_vecs == cap) {
			cap = cap ? 2 * cap : 256;
			vecs = realloc(vecs, cap * sizeof(*vecs));
			if (!vecs)
				die("out of memory");
		}
		v = &vecs[n_vecs++];
		memset(v, 0, sizeof(*v));
		v->name = strdup(field[0]);
		v->line = lineno;
		if (!strcmp(field[1], "wire->vm"))
			v->in = SIDE_WIRE;
		else if (!strcmp(field[1], "vm->wire"))
			v->in = SIDE_VM;
		else
			die("%s:%u: direction '%s': expected wire->vm or vm->wire",
			    file, lineno, field[1]);
		v->input = parse_hex(field[2], &v->input_len, file, lineno,
				     "input");
		if (strcmp(field[3], "DROP"))
			v->expect = parse_hex(field[3], &v->expect_len, file,
					      lineno, "expected packet");
		if (!packet_key(v->input, v->input_len, &v->key))
			die("%s:%u: input is not an IPv4 or IPv6 packet",
			    file, lineno);
		if (v->expect) {
			uint64_t k;

			if (!packet_key(v->expect, v->expect_len, &k) ||
			    k != v->key)
				die("%s:%u: the expected packet's IP ID / flow label or fragment field differs from the input's",
				    file, lineno);
		}
	}
	free(buf);
	if (ferror(f))
		die("reading %s: %s", file, strerror(errno));
	fclose(f);
	if (!n_vecs)
		die("%s holds no vector", file);
	for (i = 0; i < n_vecs; i++)
		for (j = i + 1; j < n_vecs; j++)
			if (vecs[i].key == vecs[j].key)
				die("%s:%u and %u: %s and %s have the same key, so their packets cannot be told apart",
				    file, vecs[i].line, vecs[j].line,
				    vecs[i].name, vecs[j].name);
}

static void parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[ETH_ALEN];
	char end;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != ETH_ALEN)
		die("'%s' is not a MAC address (xx:xx:xx:xx:xx:xx)", s);
	for (i = 0; i < ETH_ALEN; i++)
		mac[i] = b[i];
}

/* A packet socket on @ifname in network namespace @netns. */
static void open_port(struct port *pt, const char *netns, const char *ifname,
		      const char *dmac)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int one = 1, rcvbuf = 4 << 20, self = -1, nsfd;
	struct ifreq ifr;
	char path[4096];

	parse_mac(dmac, pt->dmac);
	pt->ifname = ifname;
	if (strlen(ifname) >= IFNAMSIZ)
		die("interface name '%s' is too long", ifname);
	if (strcmp(netns, "-")) {
		snprintf(path, sizeof(path), "%s%s",
			 strchr(netns, '/') ? "" : "/run/netns/", netns);
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (self < 0 || nsfd < 0)
			die("cannot open network namespace %s: %s", path,
			    strerror(errno));
		if (setns(nsfd, CLONE_NEWNET))
			die("cannot enter network namespace %s: %s", path,
			    strerror(errno));
		close(nsfd);
	}
	/* The socket stays in the namespace it was made in. */
	pt->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			htons(ETH_P_ALL));
	if (pt->fd < 0)
		die("packet socket in %s: %s", netns, strerror(errno));
	pt->ifindex = if_nametoindex(ifname);
	if (!pt->ifindex)
		die("no interface %s in network namespace %s", ifname, netns);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(pt->fd, SIOCGIFHWADDR, &ifr))
		die("MAC address of %s: %s", ifname, strerror(errno));
	memcpy(pt->smac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	if (self >= 0) {
		if (setns(self, CLONE_NEWNET))
			die("cannot return to our network namespace: %s",
			    strerror(errno));
		close(self);
	}
	/* Our own transmissions are not answers (kernels before 4.20 lack
	 * this option: the pkttype check in pump() does the same). */
	setsockopt(pt->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		   sizeof(one));
	if (setsockopt(pt->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
		die("SO_RCVBUF: %s", strerror(errno));
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = pt->ifindex;
	if (bind(pt->fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind to %s: %s", ifname, strerror(errno));
}

static void send_vector(struct vector *v)
{
	struct port *pt = &ports[v->in];
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = pt->ifindex,
		.sll_halen = ETH_ALEN,
	};
	uint8_t frame[FRAME_MAX];
	uint16_t proto = v->input[0] >> 4 == 4 ? ETH_P_IP : ETH_P_IPV6;
	size_t len = ETH_HLEN + v->input_len;

	memcpy(frame, pt->dmac, ETH_ALEN);
	memcpy(frame + ETH_ALEN, pt->smac, ETH_ALEN);
	frame[12] = proto >> 8;
	frame[13] = proto & 0xff;
	memcpy(frame + ETH_HLEN, v->input, v->input_len);
	memcpy(sll.sll_addr, pt->dmac, ETH_ALEN);
	sll.sll_protocol = htons(proto);
	if (sendto(pt->fd, frame, len, 0, (struct sockaddr *)&sll,
		   sizeof(sll)) != (ssize_t)len)
		die("sending %s on %s: %s", v->name, pt->ifname,
		    strerror(errno));
	v->sent = true;
}

/* Files a received frame under the vector whose packet it is, if any. */
static void dispatch(enum side s, const uint8_t *frame, size_t len)
{
	const uint8_t *l3 = frame + ETH_HLEN;
	uint64_t key;
	size_t l3len, iplen, i;
	uint16_t type;

	if (len < ETH_HLEN)
		return;
	type = frame[12] << 8 | frame[13];
	if (type != ETH_P_IP && type != ETH_P_IPV6)
		return;
	l3len = len - ETH_HLEN;
	if (!packet_key(l3, l3len, &key))
		return;
	/* Beyond the IP length is link padding, not packet. */
	iplen = type == ETH_P_IP ? (size_t)(l3[2] << 8 | l3[3]) :
				   40 + (size_t)(l3[4] << 8 | l3[5]);
	if (iplen >= 20 && iplen < l3len)
		l3len = iplen;
	for (i = 0; i < n_vecs; i++) {
		struct vector *v = &vecs[i];

		if (!v->sent || v->key != key)
			continue;
		if (!v->arrivals++) {
			v->got_side = s;
			v->got = xmalloc(l3len);
			memcpy(v->got, l3, l3len);
			v->got_len = l3len;
		}
		return;
	}
}

/* Reads both ports until @deadline, or until @want has arrived. */
static void pump(int64_t deadline, const struct vector *want)
{
	struct pollfd pfd[SIDE_NR];
	uint8_t frame[FRAME_MAX];
	int s;

	for (;;) {
		int64_t left = deadline - now_ms();

		for (s = 0; s < SIDE_NR; s++) {
			pfd[s].fd = ports[s].fd;
			pfd[s].events = POLLIN;
		}
		if (poll(pfd, SIDE_NR, left > 0 ? (int)left : 0) < 0 &&
		    errno != EINTR)
			die("poll: %s", strerror(errno));
		for (s = 0; s < SIDE_NR; s++) {
			struct sockaddr_ll from;
			socklen_t flen;
			ssize_t n;

			if (!(pfd[s].revents & POLLIN))
				continue;
			for (;;) {
				flen = sizeof(from);
				n = recvfrom(ports[s].fd, frame, sizeof(frame),
					     0, (struct sockaddr *)&from, &flen);
				if (n < 0) {
					if (errno == EAGAIN || errno == EINTR)
						break;
					die("receiving on %s: %s",
					    ports[s].ifname, strerror(errno));
				}
				if (from.sll_pkttype == PACKET_OUTGOING)
					continue;
				dispatch(s, frame, n);
			}
		}
		if ((want && want->arrivals) || deadline - now_ms() <= 0)
			return;
	}
}

/* What the byte at @off of an IP packet is, for the diff. */
static const char *field_name(const uint8_t *p, size_t len, size_t off,
			      char *buf, size_t n)
{
	static const char *const v4[20] = {
		"version/ihl", "tos", "total length", "total length",
		"ip id", "ip id", "flags/fragment", "flags/fragment",
		"ttl", "protocol", "ip checksum", "ip checksum",
		"source", "source", "source", "source",
		"destination", "destination", "destination", "destination",
	};
	size_t l4;
	int proto;

	if (p[0] >> 4 == 4) {
		if (off < 20)
			return v4[off];
		l4 = (p[0] & 15) * 4;
		if (off < l4)
			return "ip options";
		if ((p[6] << 8 | p[7]) & 0x1fff) {
			snprintf(buf, n, "fragment data +%zu", off - l4);
			return buf;
		}
		proto = p[9];
	} else {
		if (off < 4)
			return "version/class/flow";
		if (off < 8)
			return off < 6 ? "payload length" :
			       off == 6 ? "next header" : "hop limit";
		if (off < 40)
			return off < 24 ? "source" : "destination";
		l4 = 40;
		proto = p[6];
		/* Only the usual case gets names: no extension header. */
		if (proto != 6 && proto != 17 && proto != 58) {
			snprintf(buf, n, "ipv6 payload +%zu", off - 40);
			return buf;
		}
	}
	off -= l4;
	if ((proto == 6 && (off == 16 || off == 17)) ||
	    (proto == 17 && (off == 6 || off == 7)) ||
	    ((proto == 1 || proto == 58) && (off == 2 || off == 3)))
		return proto == 6 ? "tcp checksum" : proto == 17 ?
		       "udp checksum" : "icmp checksum";
	if ((proto == 1 || proto == 58) && off >= 8 && len > l4 + 8) {
		const uint8_t *in = p + l4 + 8;
		size_t ioff = off - 8;

		if (in[0] >> 4 == 4 && ioff < 20) {
			snprintf(buf, n, "quoted %s", v4[ioff]);
			return buf;
		}
		if (in[0] >> 4 == 6 && ioff >= 8 && ioff < 40)
			return ioff < 24 ? "quoted source" :
			       "quoted destination";
		snprintf(buf, n, "quote +%zu", ioff);
		return buf;
	}
	snprintf(buf, n, "%s +%zu", proto == 6 ? "tcp" : proto == 17 ? "udp" :
		 proto == 1 || proto == 58 ? "icmp" : "l4", off);
	return buf;
}

static void print_hex(const char *label, const uint8_t *p, size_t len)
{
	size_t i;

	printf("    %-5s", label);
	for (i = 0; i < len; i++)
		printf("%02x", p[i]);
	putchar('\n');
}

static void print_diff(const uint8_t *got, size_t got_len,
		       const uint8_t *want, size_t want_len)
{
	size_t i, n = got_len < want_len ? got_len : want_len, shown = 0;
	size_t differ = 0;
	char buf[64];

	for (i = 0; i < n; i++)
		differ += got[i] != want[i];
	if (got_len != want_len)
		printf("    length: got %zu bytes, want %zu\n", got_len,
		       want_len);
	if (differ) {
		printf("    %zu of %zu bytes differ:\n", differ, n);
		printf("    %6s  %3s  %4s  %s\n", "offset", "got", "want",
		       "field");
	}
	for (i = 0; i < n && shown < DIFF_LINES; i++) {
		if (got[i] == want[i])
			continue;
		printf("    0x%04zx   %02x    %02x  %s\n", i, got[i], want[i],
		       field_name(want, want_len, i, buf, sizeof(buf)));
		shown++;
	}
	if (differ > shown)
		printf("    ... and %zu more\n", differ - shown);
	print_hex("got", got, got_len);
	print_hex("want", want, want_len);
}

/* Prints the verdict on one vector; returns true if it passed. */
static bool judge(const struct vector *v, int wait_ms)
{
	enum side out = v->in == SIDE_WIRE ? SIDE_VM : SIDE_WIRE;

	if (!v->expect) {
		if (!v->arrivals) {
			printf("ok %s\n", v->name);
			return true;
		}
		printf("FAIL %s: not dropped: came out on the %s side (%s)%s\n",
		       v->name, side_name[v->got_side],
		       ports[v->got_side].ifname,
		       v->arrivals > 1 ? ", more than once" : "");
		puts("    diff against the packet as sent:");
		print_diff(v->got, v->got_len, v->input, v->input_len);
		return false;
	}
	if (!v->arrivals) {
		printf("FAIL %s: nothing came out on the %s side (%s) within %d ms\n",
		       v->name, side_name[out], ports[out].ifname, wait_ms);
		print_hex("sent", v->input, v->input_len);
		print_hex("want", v->expect, v->expect_len);
		return false;
	}
	if (v->got_side != out) {
		printf("FAIL %s: came out on the %s side (%s), not the %s side\n",
		       v->name, side_name[v->got_side],
		       ports[v->got_side].ifname, side_name[out]);
		print_diff(v->got, v->got_len, v->expect, v->expect_len);
		return false;
	}
	if (v->got_len != v->expect_len ||
	    memcmp(v->got, v->expect, v->got_len)) {
		printf("FAIL %s: wrong bytes\n", v->name);
		print_diff(v->got, v->got_len, v->expect, v->expect_len);
		return false;
	}
	if (v->arrivals > 1) {
		printf("FAIL %s: came out %u times\n", v->name, v->arrivals);
		return false;
	}
	printf("ok %s\n", v->name);
	return true;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: pktxchg [-t WAIT_MS] [-g GRACE_MS] VECTORS\n"
		"               WIRE_NETNS WIRE_IF WIRE_DMAC VM_NETNS VM_IF VM_DMAC\n"
		"  WAIT_MS   how long a vector waits for its packet (default 1000)\n"
		"  GRACE_MS  how long the run waits for stray packets at the end (default 300)\n"
		"  *_NETNS   a name under /run/netns, a path, or - for the current namespace\n"
		"  *_DMAC    MAC address frames sent on that interface are addressed to\n");
	exit(EXIT_SETUP);
}

static int parse_ms(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 600000)
		die("'%s' is not a time in milliseconds (0..600000)", s);
	return (int)v;
}

int main(int argc, char **argv)
{
	int wait_ms = 1000, grace_ms = 300, opt, failed = 0;
	int64_t t0, elapsed;
	size_t i;

	while ((opt = getopt(argc, argv, "t:g:h")) != -1) {
		switch (opt) {
		case 't':
			wait_ms = parse_ms(optarg);
			break;
		case 'g':
			grace_ms = parse_ms(optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 7)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	load_vectors(argv[optind]);
	open_port(&ports[SIDE_WIRE], argv[optind + 1], argv[optind + 2],
		  argv[optind + 3]);
	open_port(&ports[SIDE_VM], argv[optind + 4], argv[optind + 5],
		  argv[optind + 6]);
	/* Whatever the links carried before the first vector is not ours. */
	pump(now_ms(), NULL);

	t0 = now_ms();
	for (i = 0; i < n_vecs; i++) {
		struct vector *v = &vecs[i];

		send_vector(v);
		pump(v->expect ? now_ms() + wait_ms : now_ms(),
		     v->expect ? v : NULL);
	}
	pump(now_ms() + grace_ms, NULL);
	elapsed = now_ms() - t0;

	for (i = 0; i < n_vecs; i++)
		failed += !judge(&vecs[i], wait_ms);
	printf("pktxchg: %zu vectors in %lld ms (%d ms of it the final wait): %zu ok, %d failed\n",
	       n_vecs, (long long)elapsed, grace_ms, n_vecs - failed, failed);
	return failed > EXIT_FAIL_MAX ? EXIT_FAIL_MAX : failed;
}
