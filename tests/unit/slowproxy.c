// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "slowproxy.h"

#define CONN_MAX	64

/* Bytes from a client, to go upstream at DUE. */
struct chunk {
	struct chunk *next;
	long due;
	size_t len, off;
	char data[];
};

struct conn {
	int cfd, ufd;
	struct chunk *head, **tail;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* The client gave up (or upstream closed): what was held is dropped. */
static void conn_close(struct conn *c)
{
	struct chunk *k;

	while ((k = c->head)) {
		c->head = k->next;
		free(k);
	}
	close(c->cfd);
	close(c->ufd);
	c->cfd = c->ufd = -1;
}

static int upstream_connect(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Pass on what is due; the time until the next is, -1 if none. */
static long deliver(struct conn *c, long now)
{
	struct chunk *k;

	while ((k = c->head) && k->due <= now) {
		if (write_all(c->ufd, k->data + k->off, k->len - k->off)) {
			conn_close(c);
			return -1;
		}
		c->head = k->next;
		if (!c->head)
			c->tail = &c->head;
		free(k);
	}
	return c->head ? c->head->due - now : -1;
}

static void relay(int lfd, int upstream, volatile int *delay)
{
	struct pollfd pfd[1 + 2 * CONN_MAX];
	struct conn c[CONN_MAX];
	char buf[65536];
	struct chunk *k;
	int n = 0, i, j, fd;
	long now, wait, w;
	ssize_t r;

	for (;;) {
		now = now_ms();
		wait = 1000;
		for (i = 0; i < n; i++) {
			w = c[i].cfd >= 0 ? deliver(&c[i], now) : -1;
			if (w >= 0 && w < wait)
				wait = w;
		}
		/* Forget the closed ones. */
		for (i = j = 0; i < n; i++)
			if (c[i].cfd >= 0)
				c[j++] = c[i];
		n = j;
		for (i = 0; i < n; i++) {	/* moved: tails again */
			c[i].tail = &c[i].head;
			for (k = c[i].head; k; k = k->next)
				c[i].tail = &k->next;
		}
		pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (i = 0; i < n; i++) {
			pfd[1 + 2 * i] = (struct pollfd){ .fd = c[i].cfd,
							  .events = POLLIN };
			pfd[2 + 2 * i] = (struct pollfd){ .fd = c[i].ufd,
							  .events = POLLIN };
		}
		if (poll(pfd, 1 + 2 * n, (int)wait) < 0 && errno != EINTR)
			_exit(1);
		now = now_ms();
		for (i = 0; i < n; i++) {
			if (c[i].cfd < 0)
				continue;
			if (pfd[1 + 2 * i].revents) {
				r = read(c[i].cfd, buf, sizeof(buf));
				if (r <= 0) {
					conn_close(&c[i]);
					continue;
				}
				k = malloc(sizeof(*k) + (size_t)r);
				if (!k)
					_exit(1);
				k->next = NULL;
				k->due = now + *delay;
				k->len = (size_t)r;
				k->off = 0;
				memcpy(k->data, buf, (size_t)r);
				*c[i].tail = k;
				c[i].tail = &k->next;
			}
			if (pfd[2 + 2 * i].revents) {
				r = read(c[i].ufd, buf, sizeof(buf));
				if (r <= 0 ||
				    write_all(c[i].cfd, buf, (size_t)r))
					conn_close(&c[i]);
			}
		}
		if (pfd[0].revents) {
			fd = accept(lfd, NULL, NULL);
			if (fd < 0)
				continue;
			if (n == CONN_MAX) {
				close(fd);
				continue;
			}
			c[n].cfd = fd;
			c[n].ufd = upstream_connect(upstream);
			if (c[n].ufd < 0) {
				close(fd);
				continue;
			}
			c[n].head = NULL;
			c[n].tail = &c[n].head;
			n++;
		}
	}
}

int slowproxy_start(struct slowproxy *p, int upstream)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int lfd;

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->delay_ms = mmap(NULL, sizeof(*p->delay_ms), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->delay_ms == MAP_FAILED) {
		p->delay_ms = NULL;
		return -errno;
	}
	*p->delay_ms = 0;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) ||
	    listen(lfd, 16)) {
		if (lfd >= 0)
			close(lfd);
		return -errno;
	}
	p->port = ntohs(sin.sin_port);
	snprintf(p->url, sizeof(p->url), "http://127.0.0.1:%d", p->port);
	p->pid = fork();
	if (p->pid < 0) {
		close(lfd);
		return -errno;
	}
	if (!p->pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGPIPE, SIG_IGN);
		relay(lfd, upstream, p->delay_ms);
		_exit(0);
	}
	close(lfd);
	return 0;
}

void slowproxy_delay(struct slowproxy *p, int ms)
{
	*p->delay_ms = ms;
}

void slowproxy_stop(struct slowproxy *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	p->pid = -1;
	if (p->delay_ms)
		munmap((void *)p->delay_ms, sizeof(*p->delay_ms));
	p->delay_ms = NULL;
}
