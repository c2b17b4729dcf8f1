// SPDX-License-Identifier: GPL-2.0
/*
 * mobctl vm | pool | site: what the agent (mobd) knows, asked over its
 * control socket (agent/mobd/ctl.h has the protocol).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <json-c/json.h>

#include "mobctl.h"

const char *mobctl_socket = MOBCTL_DEFAULT_SOCKET;

#define REPLY_MAX (16 << 20)

/* Send LINE, read the whole reply; NULL after printing why. */
static struct json_object *agent_ask(const char *line)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct json_tokener *tok;
	struct json_object *o = NULL, *err;
	size_t len = 0, cap = 0;
	char *buf = NULL, *nb;
	ssize_t n;
	int fd;

	if (strlen(mobctl_socket) >= sizeof(sun.sun_path)) {
		mobctl_error("control socket path too long: %s", mobctl_socket);
		return NULL;
	}
	strcpy(sun.sun_path, mobctl_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		mobctl_error("cannot reach the agent at %s: %s (is mobd "
			     "running? -control PATH names another socket)",
			     mobctl_socket, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		mobctl_error("writing to the agent: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			nb = cap > REPLY_MAX ? NULL : realloc(buf, cap);
			if (!nb) {
				mobctl_error("the agent's reply is too large");
				goto out;
			}
			buf = nb;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mobctl_error("reading from the agent: %s",
				     strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	tok = json_tokener_new();
	if (tok) {
		o = json_tokener_parse_ex(tok, buf ? buf : "", (int)len);
		json_tokener_free(tok);
	}
	if (!o) {
		mobctl_error("the agent's reply is not JSON");
		goto out;
	}
	if (json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "error", &err)) {
		mobctl_error("the agent says: %s", json_object_get_string(err));
		json_object_put(o);
		o = NULL;
	}
out:
	free(buf);
	close(fd);
	return o;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

static int64_t int_of(struct json_object *o, const char *key, int64_t dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return dflt;
	return json_object_get_int64(v);
}

static int print_json(struct json_object *o)
{
	int flags = mobctl_opts.pretty ? JSON_C_TO_STRING_PRETTY |
		JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;

	fprintf(mobctl_out, "%s\n", json_object_to_json_string_ext(o, flags));
	return MOBCTL_OK;
}

/* "BEFORE VALUE AFTER", when there is a value. */
static void put(const char *before, const char *value, const char *after)
{
	if (value && *value)
		fprintf(mobctl_out, "%s%s%s", before, value, after);
}

static int vm_show(int argc, char **argv)
{
	struct json_object *o, *e;
	size_t i;

	if (argc) {
		mobctl_error("unexpected argument \"%s\" to \"vm show\"", argv[0]);
		return MOBCTL_FAIL;
	}
	o = agent_ask("show vms");
	if (!o)
		return MOBCTL_FAIL;
	if (mobctl_opts.json) {
		print_json(o);
	} else {
		for (i = 0; i < json_object_array_length(o); i++) {
			e = json_object_array_get_idx(o, i);
			put("", str_of(e, "name"), " ");
			put("hoa ", str_of(e, "hoa"), "");
			put(" moa ", str_of(e, "moa"), "");
			/* Leaving: bound to where it goes (agent.md). */
			put(" next-moa ", str_of(e, "next_moa"), "");
			put(" mac ", str_of(e, "mac"), "");
			put(" port ", str_of(e, "port"), "");
			put(" ", str_of(e, "state"), "");
			put(" (", str_of(e, "reason"), ")");
			fputc('\n', mobctl_out);
		}
	}
	json_object_put(o);
	return MOBCTL_OK;
}

static int pool_show(int argc, char **argv)
{
	struct json_object *o, *e;
	size_t i;

	if (argc) {
		mobctl_error("unexpected argument \"%s\" to \"pool show\"",
			     argv[0]);
		return MOBCTL_FAIL;
	}
	o = agent_ask("show pool");
	if (!o)
		return MOBCTL_FAIL;
	if (mobctl_opts.json) {
		print_json(o);
	} else {
		for (i = 0; i < json_object_array_length(o); i++) {
			e = json_object_array_get_idx(o, i);
			fprintf(mobctl_out, "%s-%s", str_of(e, "first"),
				str_of(e, "last"));
			if (int_of(e, "size", -1) >= 0)
				fprintf(mobctl_out, " size %" PRId64,
					int_of(e, "size", 0));
			else
				fputs(" size huge", mobctl_out);
			fprintf(mobctl_out, " used %" PRId64 " held %" PRId64
				"\n", int_of(e, "used", 0), int_of(e, "held", 0));
		}
	}
	json_object_put(o);
	return MOBCTL_OK;
}

/* Unix time T of key KEY in O as local time; "" if absent. */
static const char *time_of(struct json_object *o, const char *key,
			   char *buf, size_t len)
{
	time_t t = (time_t)int_of(o, key, 0);

	buf[0] = '\0';
	if (t)
		strftime(buf, len, "%Y-%m-%dT%H:%M:%S", localtime(&t));
	return buf;
}

/* Bindings kept after their owner's lease went (mobd.conf(5)). */
static void site_orphans(struct json_object *site)
{
	struct json_object *arr, *e;
	char since[32], until[32];
	size_t i;

	if (!json_object_object_get_ex(site, "orphans", &arr))
		return;
	for (i = 0; i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		fprintf(mobctl_out,
			"    orphaned %s moa %s since %s until %s\n",
			str_of(e, "hoa"), str_of(e, "moa"),
			time_of(e, "since", since, sizeof(since)),
			time_of(e, "until", until, sizeof(until)));
	}
}

/* Migrations under way that the directory announced (mig/ keys). */
static void site_migrations(struct json_object *o)
{
	struct json_object *arr, *e;
	size_t i;

	if (!json_object_object_get_ex(o, "migrations", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		put("  migrating ", str_of(e, "hoa"), "");
		put(" (vm ", str_of(e, "vm"), ")");
		put(" to ", str_of(e, "to"), "");
		put(" moa ", str_of(e, "moa"), "");
		fputc('\n', mobctl_out);
	}
}

static int site_show(int argc, char **argv)
{
	struct json_object *o, *arr, *e, *pools;
	char when[32];
	size_t i, j;

	if (argc) {
		mobctl_error("unexpected argument \"%s\" to \"site show\"",
			     argv[0]);
		return MOBCTL_FAIL;
	}
	o = agent_ask("show sites");
	if (!o)
		return MOBCTL_FAIL;
	if (mobctl_opts.json) {
		print_json(o);
		json_object_put(o);
		return MOBCTL_OK;
	}
	fprintf(mobctl_out, "hypervisor %s mode %s", str_of(o, "hypervisor"),
		str_of(o, "mode"));
	if (str_of(o, "directory"))
		fprintf(mobctl_out, " directory %s%s revision %" PRId64
			" vms %" PRId64, str_of(o, "directory"),
			int_of(o, "synced", 0) ? "" : " (not synced)",
			int_of(o, "revision", 0), int_of(o, "vms", 0));
	if (int_of(o, "orphaned", 0))
		fprintf(mobctl_out, " orphaned %" PRId64,
			int_of(o, "orphaned", 0));
	if (int_of(o, "claims_queued", 0) || int_of(o, "claims_in_flight", 0))
		fprintf(mobctl_out, " claims queued %" PRId64 " in-flight %"
			PRId64, int_of(o, "claims_queued", 0),
			int_of(o, "claims_in_flight", 0));
	fprintf(mobctl_out, " libvirt %s\n", str_of(o, "libvirt"));
	if (json_object_object_get_ex(o, "sites", &arr)) {
		for (i = 0; i < json_object_array_length(arr); i++) {
			e = json_object_array_get_idx(arr, i);
			fprintf(mobctl_out, "  %s%s%s vms %" PRId64,
				str_of(e, "name"),
				int_of(e, "self", 0) ? " (self)" : "",
				!int_of(e, "self", 0) && !int_of(e, "up", 1) ?
				" (lease lapsed)" : "", int_of(e, "vms", 0));
			if (int_of(e, "orphaned", 0))
				fprintf(mobctl_out, " orphaned %" PRId64,
					int_of(e, "orphaned", 0));
			put(" since ", time_of(e, "since", when, sizeof(when)),
			    "");
			put(" version ", str_of(e, "version"), "");
			if (json_object_object_get_ex(e, "pools", &pools))
				for (j = 0; j < json_object_array_length(pools);
				     j++)
					put(" pool ", json_object_get_string(
						    json_object_array_get_idx(
							    pools, j)), "");
			fputc('\n', mobctl_out);
			site_orphans(e);
		}
	}
	site_migrations(o);
	json_object_put(o);
	return MOBCTL_OK;
}

static int agent_usage(const char *object)
{
	fprintf(mobctl_out ? mobctl_out : stdout,
		"Usage: mobctl [ -control SOCKET ] %s show\n"
		"       (asks the agent, mobd; default socket %s)\n",
		object, MOBCTL_DEFAULT_SOCKET);
	return MOBCTL_OK;
}

static int vm_help(int argc, char **argv)
{
	return agent_usage("vm");
}

static int pool_help(int argc, char **argv)
{
	return agent_usage("pool");
}

static int site_help(int argc, char **argv)
{
	return agent_usage("site");
}

static const struct mobctl_cmd vm_cmds[] = {
	{ "show", vm_show }, { "list", vm_show }, { "help", vm_help },
	{ NULL, NULL },
};

static const struct mobctl_cmd pool_cmds[] = {
	{ "show", pool_show }, { "list", pool_show }, { "help", pool_help },
	{ NULL, NULL },
};

static const struct mobctl_cmd site_cmds[] = {
	{ "show", site_show }, { "list", site_show }, { "help", site_help },
	{ NULL, NULL },
};

int do_vm(int argc, char **argv)
{
	return mobctl_dispatch("vm", vm_cmds, "show", argc, argv);
}

int do_pool(int argc, char **argv)
{
	return mobctl_dispatch("pool", pool_cmds, "show", argc, argv);
}

int do_site(int argc, char **argv)
{
	return mobctl_dispatch("site", site_cmds, "show", argc, argv);
}
