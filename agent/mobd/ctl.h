/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket: a Unix stream socket (mode 0600, or 0660 with the
 * configured group) on which "mobctl vm|pool|site show" ask the agent.
 *
 * Protocol: the client sends one request line of at most
 * MOBD_CTL_LINE_MAX bytes ("show vms", "show pool", "show sites"); the
 * agent answers with one JSON document and a newline, then closes.  An
 * error is {"error": "message"}.
 */
#ifndef MOBD_CTL_H
#define MOBD_CTL_H

#define MOBD_CTL_LINE_MAX	512

struct json_object;
struct mobd_ctl;

/* Answer LINE (without its newline); return a new JSON object. */
typedef struct json_object *(*mobd_ctl_handler)(void *arg, const char *line);

int mobd_ctl_open(struct mobd_ctl **cp, const char *path, const char *group,
		  mobd_ctl_handler handler, void *arg);
/* Closes every connection and removes the socket file. */
void mobd_ctl_close(struct mobd_ctl *c);

#endif /* MOBD_CTL_H */
