// SPDX-License-Identifier: GPL-2.0
/*
 * What every mobctl object shares: command lookup, errors, the netlink
 * handle, dumps, output setup.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <net/if.h>

#include "mobctl.h"

#define MOBCTL_MAX_CMDS 16

struct mobctl_opts mobctl_opts;
FILE *mobctl_out;
FILE *mobctl_errf;

static struct mob_nl *mobctl_handle;

static FILE *err_file(void)
{
	return mobctl_errf ? mobctl_errf : stderr;
}

void mobctl_error(const char *fmt, ...)
{
	FILE *f = err_file();
	va_list ap;

	fputs("Error: ", f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

void mobctl_warn(const char *fmt, ...)
{
	FILE *f = err_file();
	va_list ap;

	fputs("Warning: ", f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

int mobctl_find_cmd(const struct mobctl_cmd *cmds, const char *word)
{
	const char *names[MOBCTL_MAX_CMDS + 1];
	int i;

	for (i = 0; i < MOBCTL_MAX_CMDS && cmds[i].name; i++)
		names[i] = cmds[i].name;
	names[i] = NULL;
	return mob_match_word(word, names);
}

bool mobctl_is_help(const char *word)
{
	static const char *const help[] = { "help", NULL };

	return mob_match_word(word, help) == 0;
}

int mobctl_dispatch(const char *object, const struct mobctl_cmd *cmds,
		    const char *default_cmd, int argc, char **argv)
{
	const char *word = argc > 0 ? argv[0] : default_cmd;
	int i;

	i = mobctl_find_cmd(cmds, word);
	if (i < 0) {
		fprintf(err_file(),
			"Command \"%s\" is unknown, try \"mobctl %s help\".\n",
			word, object);
		return MOBCTL_FAIL;
	}
	if (argc > 0) {
		argc--;
		argv++;
	}
	return cmds[i].fn(argc, argv);
}

struct mob_nl *mobctl_nl(void)
{
	int err;

	if (mobctl_handle)
		return mobctl_handle;
	/* The namespace, if any, was entered before any command ran. */
	err = mob_nl_open(&mobctl_handle, NULL);
	if (err == -EPROTONOSUPPORT) {
		fprintf(err_file(),
			"mob module not loaded (generic netlink family \"%s\" not found)\n",
			MOB_GENL_NAME);
		return NULL;
	}
	if (err) {
		mobctl_error("cannot open a generic netlink socket: %s",
			     strerror(-err));
		return NULL;
	}
	return mobctl_handle;
}

void mobctl_nl_close(void)
{
	mob_nl_close(mobctl_handle);
	mobctl_handle = NULL;
}

/* What the kernel's bad-attribute offset points at, in mobctl's words. */
static const char *attr_name(const uint16_t *path, int depth)
{
	if (depth < 2)
		return NULL;
	switch (path[0]) {
	case MOB_A_BINDING:
		switch (path[1]) {
		case MOB_BINDING_A_HOA4:
		case MOB_BINDING_A_HOA6:
			return "HoA";
		case MOB_BINDING_A_MOA4:
		case MOB_BINDING_A_MOA6:
			return "MoA";
		case MOB_BINDING_A_KIND:
			return "local/remote";
		case MOB_BINDING_A_IFINDEX:
			return "dev";
		}
		break;
	case MOB_A_ALIAS:
		switch (path[1]) {
		case MOB_ALIAS_A_MOA4:
		case MOB_ALIAS_A_MOA6:
			return "MoA";
		case MOB_ALIAS_A_HOA4:
		case MOB_ALIAS_A_HOA6:
			return "HoA";
		case MOB_ALIAS_A_TARGET4:
		case MOB_ALIAS_A_TARGET6:
			return "target";
		case MOB_ALIAS_A_TIMEOUT:
			return "timeout";
		}
		break;
	case MOB_A_PREFIX:
		switch (path[1]) {
		case MOB_PREFIX_A_ADDR4:
		case MOB_PREFIX_A_ADDR6:
			return "prefix";
		case MOB_PREFIX_A_LEN:
			return "prefix length";
		}
		break;
	case MOB_A_CONFIG:
		if (path[1] == MOB_CONFIG_A_MAX_BINDINGS)
			return "max-bindings";
		break;
	}
	return NULL;
}

void mobctl_report_nl_error(const struct mob_nl *h, int err)
{
	FILE *f = err_file();
	uint16_t path[4];
	const char *name = NULL;
	int depth;

	if (h->cb_err) {
		mobctl_error("cannot parse the kernel's reply: %s",
			     strerror(-err));
		return;
	}
	mobctl_error("%s", strerror(-err));
	depth = mob_nl_ext_attr_path(h, path, 4);
	if (depth)
		name = attr_name(path, depth);
	if (h->ext_msg[0] && name)
		fprintf(f, "kernel says: %s (at %s)\n", h->ext_msg, name);
	else if (h->ext_msg[0])
		fprintf(f, "kernel says: %s\n", h->ext_msg);
	else if (name)
		fprintf(f, "kernel says: bad %s\n", name);
	else if (h->ext_miss_type)
		fprintf(f, "kernel says: missing attribute %" PRIu32 "\n",
			h->ext_miss_type);
	if (err == -EPERM || err == -EACCES)
		fputs("mobctl needs CAP_NET_ADMIN in the network namespace\n",
		      f);
}

int mobctl_request_error(int err)
{
	mobctl_error("cannot build the request: %s", strerror(-err));
	return MOBCTL_FAIL;
}

int mobctl_talk(mob_nl_cb cb, void *data)
{
	struct mob_nl *h = mobctl_handle;
	int err;

	err = mob_nl_talk(h, cb, data);
	if (err) {
		mobctl_report_nl_error(h, err);
		return MOBCTL_FAIL;
	}
	return MOBCTL_OK;
}

/* Run the dump in h->req again while it is interrupted by changes. */
int mobctl_dump(mob_nl_cb cb, void (*restart)(void *data), void *data)
{
	struct mob_nl *h = mobctl_handle;
	int tries, err = 0;

	for (tries = 0; tries < MOBCTL_DUMP_TRIES; tries++) {
		restart(data);
		err = mob_nl_talk(h, cb, data);
		if (err != -EINTR || !h->dump_intr)
			break;
	}
	if (err == -EINTR && h->dump_intr) {
		mobctl_warn("Dump was interrupted %d times and may be inconsistent.",
			    MOBCTL_DUMP_TRIES);
		return MOBCTL_OK;
	}
	if (err) {
		mobctl_report_nl_error(h, err);
		return MOBCTL_FAIL;
	}
	return MOBCTL_OK;
}

/* [ local | remote ] and nothing else; 0 when not given. */
int mobctl_parse_kind(int argc, char **argv, uint8_t *kind)
{
	static const char *const kinds[] = { "local", "remote", NULL };
	int i;

	*kind = 0;
	if (argc == 0)
		return 0;
	i = mob_match_word(argv[0], kinds);
	if (i < 0) {
		mobctl_error("unexpected \"%s\": expected \"local\" or \"remote\"",
			     argv[0]);
		return -EINVAL;
	}
	if (argc > 1) {
		mobctl_error("unexpected \"%s\" after \"%s\"", argv[1], argv[0]);
		return -EINVAL;
	}
	*kind = i == 0 ? MOB_KIND_LOCAL : MOB_KIND_REMOTE;
	return 0;
}

void mobctl_out_init(struct mob_out *o)
{
	mob_out_init(o, mobctl_out ? mobctl_out : stdout, mobctl_opts.json,
		     mobctl_opts.pretty);
}

int mobctl_out_end(struct mob_out *o)
{
	int err = mob_out_end(o);

	if (err) {
		mobctl_error("cannot write the output: %s", strerror(-err));
		return MOBCTL_FAIL;
	}
	return MOBCTL_OK;
}

/* "dev NAME", or "ifindex N" when the interface is gone or elsewhere. */
void mobctl_print_dev(struct mob_out *o, uint32_t ifindex)
{
	char name[IF_NAMESIZE];

	if (!ifindex)
		return;
	if (if_indextoname(ifindex, name)) {
		mob_out_string(o, "dev", " dev %s", name);
		mob_out_u64(o, "ifindex",
			    mobctl_opts.stats > 1 ? " ifindex %" PRIu64 : NULL,
			    ifindex);
	} else {
		mob_out_u64(o, "ifindex", " ifindex %" PRIu64, ifindex);
	}
}

void mobctl_format_msec(char *buf, size_t len, uint64_t msec)
{
	uint64_t s = msec / 1000;

	if (s < 60)
		snprintf(buf, len, "%" PRIu64 ".%03" PRIu64 "s", s,
			 msec % 1000);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60,
			 s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600,
			 s / 60 % 60);
	else
		snprintf(buf, len, "%" PRIu64 "d%02" PRIu64 "h", s / 86400,
			 s / 3600 % 24);
}
