// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <libvirt/libvirt.h>

#include "etcdrun.h"

#define ETCD_BIN "/usr/bin/etcd"

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/*
 * Two ports nobody listens on now, and not the same one: the kernel's
 * picks for two ephemeral binds held at once.  Another process can still
 * take one before etcd binds it; etcdrun_start() then tries again.
 */
static int free_ports(int *a, int *b)
{
	int fd[2] = { -1, -1 }, port[2] = { -1, -1 }, i;

	for (i = 0; i < 2; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		socklen_t len = sizeof(sin);

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fd[i] >= 0 &&
		    !bind(fd[i], (struct sockaddr *)&sin, sizeof(sin)) &&
		    !getsockname(fd[i], (struct sockaddr *)&sin, &len))
			port[i] = ntohs(sin.sin_port);
	}
	for (i = 0; i < 2; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	*a = port[0];
	*b = port[1];
	return port[0] < 0 || port[1] < 0 ? -EADDRNOTAVAIL : 0;
}

static int answers(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && !connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Run etcd on E's ports and directory; 0 once it answers. */
static int spawn(struct etcdrun *e)
{
	char peer[64], client[64], log[300];
	int status;
	long end;

	snprintf(client, sizeof(client), "%s", e->url);
	snprintf(peer, sizeof(peer), "http://127.0.0.1:%d", e->peer_port);
	snprintf(log, sizeof(log), "%s.log", e->dir);
	e->pid = fork();
	if (e->pid < 0)
		return -errno;
	if (!e->pid) {
		char cluster[96];

		/* Dies with the test process, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (!freopen(log, "a", stdout) || !freopen(log, "a", stderr))
			_exit(127);
		snprintf(cluster, sizeof(cluster), "unit=%s", peer);
		execl(ETCD_BIN, "etcd", "--name", "unit", "--data-dir", e->dir,
		      "--listen-client-urls", client,
		      "--advertise-client-urls", client,
		      "--listen-peer-urls", peer,
		      "--initial-advertise-peer-urls", peer,
		      "--initial-cluster", cluster, (char *)NULL);
		_exit(127);
	}
	for (end = now_ms() + 20000; now_ms() < end; usleep(50000)) {
		if (waitpid(e->pid, &status, WNOHANG) == e->pid) {
			fprintf(stderr, "etcdrun: etcd exited (see %s)\n", log);
			e->pid = 0;
			return -ECHILD;
		}
		if (answers(e->client_port))
			return 0;
	}
	fprintf(stderr, "etcdrun: etcd did not answer in 20 s (see %s)\n", log);
	etcdrun_stop(e);
	return -ETIMEDOUT;
}

static void rmdir_r(const char *dir)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "etcdrun: could not remove %s\n", dir);
}

int etcdrun_start(struct etcdrun *e)
{
	int err = -ECHILD, tries;

	memset(e, 0, sizeof(*e));
	if (access(ETCD_BIN, X_OK)) {
		fprintf(stderr, "etcdrun: %s is missing: install etcd-server "
			"(make deps)\n", ETCD_BIN);
		return -ENOENT;
	}
	if (system("mkdir -p build/unit-etcd"))
		return -EIO;
	/* etcd exiting at once is nearly always a port taken meanwhile
	 * (its log says so, and stays): new ports, a few times. */
	for (tries = 0; tries < 4 && err == -ECHILD; tries++) {
		if (tries) {
			fprintf(stderr, "etcdrun: trying again on other ports\n");
			rmdir_r(e->dir);
		}
		err = free_ports(&e->client_port, &e->peer_port);
		if (err)
			return err;
		snprintf(e->url, sizeof(e->url), "http://127.0.0.1:%d",
			 e->client_port);
		snprintf(e->dir, sizeof(e->dir), "build/unit-etcd/%d-%d",
			 getpid(), e->client_port);
		err = spawn(e);
	}
	return err;
}

int etcdrun_restart(struct etcdrun *e)
{
	if (e->pid > 0) {
		kill(e->pid, SIGKILL);
		waitpid(e->pid, NULL, 0);
		e->pid = 0;
	}
	return spawn(e);
}

void etcdrun_stop(struct etcdrun *e)
{
	char log[300];

	if (e->pid > 0) {
		kill(e->pid, SIGKILL);
		waitpid(e->pid, NULL, 0);
		e->pid = 0;
	}
	if (e->dir[0]) {
		rmdir_r(e->dir);
		snprintf(log, sizeof(log), "%s.log", e->dir);
		unlink(log);
	}
}

int etcdrun_loop_until(const volatile int *flag, int ms)
{
	long end = now_ms() + ms;

	while (!*flag && now_ms() < end)
		if (virEventRunDefaultImpl() < 0)
			return -EIO;
	return *flag ? 0 : -ETIMEDOUT;
}
