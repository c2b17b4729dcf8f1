// SPDX-License-Identifier: GPL-2.0
/*
 * echoprobe: the traffic the kernel tests send through the translation.
 *
 *   echoprobe serve PORT                  TCP and UDP echo on [::]:PORT
 *   echoprobe tcp HOST PORT               one TCP round trip
 *   echoprobe udp HOST PORT               one UDP round trip (3 tries)
 *   echoprobe bulk HOST PORT BYTES        BYTES over TCP, echoed, verified
 *   echoprobe stream HOST PORT STOPFILE [INTERVAL_MS]
 *       one TCP connection carrying a numbered message every interval,
 *       each checked when it comes back, until STOPFILE exists; prints
 *       what it saw and fails if the connection broke or lost data.
 *
 * Exit status 0 means the traffic went through intact.  C rather than a
 * script: it starts in milliseconds inside the emulated lab.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64

static int die(const char *what)
{
	fprintf(stderr, "echoprobe: %s: %s\n", what, strerror(errno));
	exit(2);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static unsigned long number(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end) {
		fprintf(stderr, "echoprobe: invalid %s \"%s\"\n", what, s);
		exit(2);
	}
	return v;
}

static int open_peer(const char *host, const char *port, int type)
{
	struct addrinfo hints = { .ai_socktype = type }, *res;
	int fd, err;

	err = getaddrinfo(host, port, &hints, &res);
	if (err) {
		fprintf(stderr, "echoprobe: %s: %s\n", host, gai_strerror(err));
		exit(2);
	}
	fd = socket(res->ai_family, type, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
		fprintf(stderr, "echoprobe: connect %s port %s: %s\n", host,
			port, strerror(errno));
		exit(1);
	}
	freeaddrinfo(res);
	return fd;
}

static void set_timeout(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static __attribute__((noreturn)) void serve(const char *port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons((uint16_t)number(port, "port")) };
	struct pollfd fds[MAX_CONNS + 2];
	int nfds = 2, one = 1, zero = 0, i;
	char buf[65536];

	signal(SIGPIPE, SIG_IGN);
	fds[0].fd = socket(AF_INET6, SOCK_STREAM, 0);
	fds[1].fd = socket(AF_INET6, SOCK_DGRAM, 0);
	for (i = 0; i < 2; i++) {
		if (fds[i].fd < 0)
			die("socket");
		setsockopt(fds[i].fd, SOL_SOCKET, SO_REUSEADDR, &one,
			   sizeof(one));
		setsockopt(fds[i].fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
			   sizeof(zero));
		if (bind(fds[i].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die("bind");
		fds[i].events = POLLIN;
	}
	if (listen(fds[0].fd, 16) < 0)
		die("listen");

	for (;;) {
		if (poll(fds, (nfds_t)nfds, -1) < 0 && errno != EINTR)
			die("poll");
		if (fds[0].revents & POLLIN) {
			int c = accept(fds[0].fd, NULL, NULL);

			if (c >= 0 && nfds < MAX_CONNS + 2) {
				fds[nfds].fd = c;
				fds[nfds++].events = POLLIN;
			} else if (c >= 0) {
				close(c);
			}
		}
		if (fds[1].revents & POLLIN) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(fds[1].fd, buf, sizeof(buf), 0,
					     (struct sockaddr *)&from, &fl);

			if (n > 0)
				sendto(fds[1].fd, buf, (size_t)n, 0,
				       (struct sockaddr *)&from, fl);
		}
		for (i = 2; i < nfds; i++) {
			ssize_t n;

			if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(fds[i].fd, buf, sizeof(buf));
			if (n <= 0 || write(fds[i].fd, buf, (size_t)n) != n) {
				close(fds[i].fd);
				fds[i--] = fds[--nfds];
			}
		}
	}
}

static int roundtrip(const char *host, const char *port, int type)
{
	static const char msg[] = "mob echo probe";
	char buf[64];
	int tries = type == SOCK_DGRAM ? 3 : 1;
	int fd = open_peer(host, port, type);
	ssize_t n = -1;

	set_timeout(fd, type == SOCK_DGRAM ? 1 : 5);
	while (tries--) {
		if (send(fd, msg, sizeof(msg), 0) != (ssize_t)sizeof(msg))
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_WAITALL);
		if (n > 0)
			break;
	}
	if (n != (ssize_t)sizeof(msg) || memcmp(buf, msg, sizeof(msg))) {
		fprintf(stderr, "echoprobe: no echo from %s port %s\n", host,
			port);
		return 1;
	}
	return 0;
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 131 + (i >> 8));
}

/* Writes and reads concurrently: the echo comes back while we send. */
static int bulk(const char *host, const char *port, size_t total)
{
	int fd = open_peer(host, port, SOCK_STREAM);
	size_t sent = 0, got = 0, i;
	uint8_t buf[16384];
	uint64_t deadline = now_ms() + 120000;

	while (got < total) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (sent < total)
			p.events |= POLLOUT;
		if (now_ms() > deadline) {
			fprintf(stderr, "echoprobe: bulk timed out at %zu/%zu\n",
				got, total);
			return 1;
		}
		if (poll(&p, 1, 1000) <= 0)
			continue;
		if (p.revents & POLLOUT) {
			size_t chunk = total - sent < sizeof(buf) ?
				       total - sent : sizeof(buf);

			for (i = 0; i < chunk; i++)
				buf[i] = pattern(sent + i);
			n = send(fd, buf, chunk, MSG_DONTWAIT);
			if (n > 0)
				sent += (size_t)n;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n <= 0) {
				fprintf(stderr, "echoprobe: connection lost "
					"after %zu bytes: %s\n", got,
					n ? strerror(errno) : "closed");
				return 1;
			}
			for (i = 0; i < (size_t)n; i++) {
				if (buf[i] != pattern(got + i)) {
					fprintf(stderr, "echoprobe: byte %zu "
						"corrupted\n", got + i);
					return 1;
				}
			}
			got += (size_t)n;
		}
	}
	close(fd);
	return 0;
}

static int stream(const char *host, const char *port, const char *stop,
		  unsigned long interval)
{
	int fd = open_peer(host, port, SOCK_STREAM), one = 1;
	uint64_t next = 0, sent = 0, echoed = 0, last_echo = now_ms();
	uint64_t max_gap = 0, drain_until = 0;
	char rx[8];
	size_t have = 0;
	struct stat st;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t t = now_ms();
		ssize_t n;

		if (!drain_until && stat(stop, &st) == 0)
			drain_until = t + 10000;
		if (drain_until && (echoed == sent || t > drain_until))
			break;
		if (!drain_until && t >= next) {
			uint64_t seq = sent;

			if (send(fd, &seq, sizeof(seq), MSG_NOSIGNAL) !=
			    sizeof(seq)) {
				fprintf(stderr, "echoprobe: send: %s\n",
					strerror(errno));
				break;
			}
			sent++;
			next = t + interval;
		}
		if (poll(&p, 1, (int)interval) <= 0)
			continue;
		n = recv(fd, rx + have, sizeof(rx) - have, 0);
		if (n <= 0) {
			fprintf(stderr, "echoprobe: connection lost: %s\n",
				n ? strerror(errno) : "closed by peer");
			break;
		}
		have += (size_t)n;
		if (have < sizeof(rx))
			continue;
		have = 0;
		if (memcmp(rx, &echoed, sizeof(echoed))) {
			fprintf(stderr, "echoprobe: message %llu out of order\n",
				(unsigned long long)echoed);
			break;
		}
		echoed++;
		t = now_ms();
		if (t - last_echo > max_gap)
			max_gap = t - last_echo;
		last_echo = t;
	}
	printf("sent=%llu echoed=%llu max_gap_ms=%llu\n",
	       (unsigned long long)sent, (unsigned long long)echoed,
	       (unsigned long long)max_gap);
	close(fd);
	return sent > 0 && echoed == sent ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: echoprobe serve PORT\n"
		"       echoprobe { tcp | udp } HOST PORT\n"
		"       echoprobe bulk HOST PORT BYTES\n"
		"       echoprobe stream HOST PORT STOPFILE [INTERVAL_MS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve"))
		serve(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "tcp"))
		return roundtrip(argv[2], argv[3], SOCK_STREAM);
	if (argc == 4 && !strcmp(argv[1], "udp"))
		return roundtrip(argv[2], argv[3], SOCK_DGRAM);
	if (argc == 5 && !strcmp(argv[1], "bulk"))
		return bulk(argv[2], argv[3], number(argv[4], "byte count"));
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "stream"))
		return stream(argv[2], argv[3], argv[4],
			      argc == 6 ? number(argv[5], "interval") : 100);
	usage();
	return 2;
}
