// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket, on libvirt's event loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <json-c/json.h>
#include <libvirt/libvirt.h>

#include "ctl.h"
#include "log.h"

#define CTL_CLIENTS_MAX	16

struct ctl_client {
	struct mobd_ctl *ctl;
	int fd;
	int watch;
	size_t len;
	char buf[MOBD_CTL_LINE_MAX];
};

struct mobd_ctl {
	int fd;
	int watch;
	char path[108];
	mobd_ctl_handler handler;
	void *arg;
	int n_clients;
	struct ctl_client *clients[CTL_CLIENTS_MAX];
};

static void client_free(void *opaque)
{
	struct ctl_client *cl = opaque;

	close(cl->fd);
	free(cl);
}

/* Drop CL; its memory goes when libvirt lets go of the handle. */
static void client_drop(struct ctl_client *cl)
{
	struct mobd_ctl *c = cl->ctl;
	int i;

	for (i = 0; i < c->n_clients; i++) {
		if (c->clients[i] == cl) {
			/* Keep the oldest first. */
			memmove(&c->clients[i], &c->clients[i + 1],
				(size_t)(c->n_clients - i - 1) *
				sizeof(c->clients[0]));
			c->n_clients--;
			break;
		}
	}
	virEventRemoveHandle(cl->watch);
}

static void client_reply(struct ctl_client *cl, struct json_object *reply)
{
	const char *s;
	size_t len, off = 0;
	ssize_t n;

	if (!reply) {
		reply = json_object_new_object();
		json_object_object_add(reply, "error",
				       json_object_new_string("out of memory"));
	}
	s = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	len = strlen(s);
	/* The socket is blocking with a send timeout: replies are small and
	 * the client is waiting for them. */
	while (off < len) {
		n = send(cl->fd, s + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (off == len)
		send(cl->fd, "\n", 1, MSG_NOSIGNAL);
	json_object_put(reply);
}

static struct json_object *error_reply(const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

static void client_readable(int watch, int fd, int events, void *opaque)
{
	struct ctl_client *cl = opaque;
	char *nl;
	ssize_t n;

	n = recv(fd, cl->buf + cl->len, sizeof(cl->buf) - 1 - cl->len,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_drop(cl);
		return;
	}
	cl->len += (size_t)n;
	cl->buf[cl->len] = 0;
	nl = strchr(cl->buf, '\n');
	if (!nl) {
		if (cl->len == sizeof(cl->buf) - 1) {
			client_reply(cl, error_reply("request too long"));
			client_drop(cl);
		}
		return;
	}
	*nl = 0;
	client_reply(cl, cl->ctl->handler(cl->ctl->arg, cl->buf));
	client_drop(cl);
}

static void ctl_accept(int watch, int fd, int events, void *opaque)
{
	struct timeval tv = { .tv_sec = 2 };
	struct mobd_ctl *c = opaque;
	struct ctl_client *cl;
	int cfd;

	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (c->n_clients == CTL_CLIENTS_MAX) {
		/* Idle clients must not lock everyone out: the oldest goes. */
		log_warn("control: %d clients connected; dropping the oldest",
			 CTL_CLIENTS_MAX);
		client_drop(c->clients[0]);
	}
	setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		close(cfd);
		return;
	}
	cl->ctl = c;
	cl->fd = cfd;
	cl->watch = virEventAddHandle(cfd, VIR_EVENT_HANDLE_READABLE,
				      client_readable, cl, client_free);
	if (cl->watch < 0) {
		client_free(cl);
		return;
	}
	c->clients[c->n_clients++] = cl;
}

int mobd_ctl_open(struct mobd_ctl **cp, const char *path, const char *group,
		  mobd_ctl_handler handler, void *arg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct mobd_ctl *c;
	struct stat st;
	struct group *gr = NULL;
	int err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	if (group && *group) {
		gr = getgrnam(group);
		if (!gr) {
			log_err("control: no group '%s'", group);
			return -ENOENT;
		}
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->handler = handler;
	c->arg = arg;
	c->watch = -1;
	strcpy(sun.sun_path, path);
	strcpy(c->path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		err = -errno;
		free(c);
		return err;
	}
	/* A socket left by a previous run is replaced; anything else is not
	 * ours to remove. */
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			log_err("control: %s exists and is not a socket", path);
			err = -EEXIST;
			goto fail;
		}
		unlink(path);
	}
	if (bind(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, gr ? 0660 : 0600) < 0 ||
	    (gr && chown(path, 0, gr->gr_gid) < 0) ||
	    listen(c->fd, 16) < 0) {
		err = -errno;
		log_err("control: %s: %s", path, strerror(errno));
		goto fail;
	}
	c->watch = virEventAddHandle(c->fd, VIR_EVENT_HANDLE_READABLE,
				     ctl_accept, c, NULL);
	if (c->watch < 0) {
		err = -ENOMEM;
		goto fail;
	}
	*cp = c;
	return 0;
fail:
	close(c->fd);
	free(c);
	return err;
}

void mobd_ctl_close(struct mobd_ctl *c)
{
	if (!c)
		return;
	while (c->n_clients)
		client_drop(c->clients[0]);
	if (c->watch >= 0)
		virEventRemoveHandle(c->watch);
	close(c->fd);
	unlink(c->path);
	free(c);
}
