/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A real etcd for unit tests: started on free localhost ports with a data
 * directory under build/, stopped (and its directory removed) after.
 * Failing to start is a test failure, never a skip.
 */
#ifndef MOB_UNIT_ETCDRUN_H
#define MOB_UNIT_ETCDRUN_H

#include <sys/types.h>

struct etcdrun {
	pid_t pid;
	int client_port;
	int peer_port;
	char url[64];		/* http://127.0.0.1:PORT */
	char dir[256];
};

/* 0 once etcd answers on its client URL, else -errno (reason on stderr). */
int etcdrun_start(struct etcdrun *e);
void etcdrun_stop(struct etcdrun *e);
/* Kill etcd (-9) and start it again on the same ports and data. */
int etcdrun_restart(struct etcdrun *e);
/* Drive libvirt's default event loop until *FLAG or MS pass; 0 if set. */
int etcdrun_loop_until(const volatile int *flag, int ms);

#endif /* MOB_UNIT_ETCDRUN_H */
