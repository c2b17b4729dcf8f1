/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A TCP relay to a local port that holds what clients send for a while
 * before passing it on, as an overloaded server takes long to read it:
 * a request the client gives up on before then (closing its connection)
 * never arrives.  Answers come back at once.  It runs in a child process;
 * the delay can be changed while it runs.
 */
#ifndef MOB_UNIT_SLOWPROXY_H
#define MOB_UNIT_SLOWPROXY_H

#include <sys/types.h>

struct slowproxy {
	pid_t pid;
	int port;
	char url[64];		/* http://127.0.0.1:PORT */
	volatile int *delay_ms;	/* shared with the child */
};

/* 0 once it listens, relaying to 127.0.0.1:UPSTREAM without delay. */
int slowproxy_start(struct slowproxy *p, int upstream);
/* What clients send from now on is passed on MS later. */
void slowproxy_delay(struct slowproxy *p, int ms);
void slowproxy_stop(struct slowproxy *p);

#endif /* MOB_UNIT_SLOWPROXY_H */
