// SPDX-License-Identifier: GPL-2.0
/*
 * mobctl migrate: a live migration through libvirt (peer to peer, live,
 * persistent at the destination, undefined here), and its phases as they
 * happen: libvirt's events for the domain and its job statistics, and the
 * changes of this hypervisor's mob kernel that concern the VM's home
 * addresses.
 *
 * virDomainMigrateToURI3() blocks until the end: it runs in a thread of its
 * own.  This thread runs libvirt's default event loop, which also watches
 * the mob netlink socket, a pipe the migration thread and the signal
 * handlers write to, and the timeout.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <json-c/json.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "mobctl.h"

const char *mobctl_libvirt_uri;
const char *mobctl_mobd_conf = MOBCTL_MOBD_CONF;

/* How long a finished migration waits for libvirt's job-completed event. */
#define MIG_GRACE_MS		2000
#define MIG_DOWNTIME_MAX	3600000ULL	/* ms */
#define MIG_BANDWIDTH_MAX	1048576ULL	/* MiB/s */
#define MIG_TIMEOUT_MAX		86400ULL	/* s */

static FILE *out_file(void)
{
	return mobctl_out ? mobctl_out : stdout;
}

static int migrate_usage(void)
{
	fputs("Usage: mobctl [ -c URI ] migrate VM to DEST [ offline ] [ postcopy ]\n"
	      "              [ max-downtime MS ] [ bandwidth MIB/S ] [ timeout SECONDS ]\n"
	      "       mobctl migrate help\n"
	      "VM is a libvirt domain name or UUID; DEST a libvirt URI, or a host name\n"
	      "for qemu+ssh://HOST/system.  Peer to peer, live, persistent at DEST,\n"
	      "undefined here; offline moves a shut-off VM's definition only.\n"
	      "URI: -c/-connect, else \"libvirt =\" in " MOBCTL_MOBD_CONF ",\n"
	      "else libvirt's default.  Prints the phases as they happen (-j: one\n"
	      "JSON object at the end); exits 1 if the migration fails.\n",
	      out_file());
	return MOBCTL_OK;
}

/*
 * DEST as given: a libvirt URI (it has "://") as is, else a host name
 * (user@host, host:port, an IPv6 address) for qemu+ssh://HOST/system.
 */
static int parse_dest(const char *dest, char *uri, size_t len)
{
	struct in6_addr a6;
	const char *p;

	if (strstr(dest, "://")) {
		if (strpbrk(dest, " \t\r\n") || strlen(dest) >= len)
			goto bad;
		strcpy(uri, dest);
		return 0;
	}
	if (!*dest)
		goto bad;
	for (p = dest; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-_@:%[]", *p))
			goto bad;
	if (inet_pton(AF_INET6, dest, &a6) == 1)
		snprintf(uri, len, "qemu+ssh://[%s]/system", dest);
	else
		snprintf(uri, len, "qemu+ssh://%s/system", dest);
	if (strlen(uri) >= len - 1)
		goto bad;
	return 0;
bad:
	mobctl_error("Invalid destination \"%s\": expected a libvirt URI "
		     "(such as qemu+ssh://HOST/system) or a host name", dest);
	return -EINVAL;
}

/* VM to DEST [ offline ] [ postcopy ] [ max-downtime MS ] [ bandwidth MIB/S ] [ timeout S ] */
int mobctl_migrate_parse(int argc, char **argv, struct mobctl_migrate_args *a)
{
	enum { KW_TO, KW_OFFLINE, KW_POSTCOPY, KW_DOWNTIME, KW_BANDWIDTH,
	       KW_TIMEOUT, KW_COUNT };
	static const char *const keywords[] = {
		"to", "offline", "postcopy", "max-downtime", "bandwidth",
		"timeout", NULL
	};
	static const char *const needs[] = {
		[KW_TO] = "a destination (a libvirt URI or a host name)",
		[KW_DOWNTIME] = "a number of milliseconds",
		[KW_BANDWIDTH] = "a number of MiB/s",
		[KW_TIMEOUT] = "a number of seconds",
	};
	bool seen[KW_COUNT] = { false };
	unsigned long long v;
	int kw;

	memset(a, 0, sizeof(*a));
	if (argc < 1) {
		mobctl_error("missing VM: expected VM to DEST [ offline ] [ postcopy ] "
			     "[ max-downtime MS ] [ bandwidth MIB/S ] [ timeout SECONDS ]");
		return -EINVAL;
	}
	if (!*argv[0]) {
		mobctl_error("Invalid VM \"\": expected a domain name or UUID");
		return -EINVAL;
	}
	a->vm = argv[0];
	for (argc--, argv++; argc > 0; argc--, argv++) {
		kw = mob_match_word(argv[0], keywords);
		if (kw < 0) {
			mobctl_error("unexpected \"%s\": expected to, offline, postcopy, "
				     "max-downtime, bandwidth or timeout", argv[0]);
			return -EINVAL;
		}
		if (seen[kw]) {
			mobctl_error("duplicate \"%s\"", keywords[kw]);
			return -EINVAL;
		}
		seen[kw] = true;
		if (kw == KW_OFFLINE) {
			a->offline = true;
			continue;
		}
		if (kw == KW_POSTCOPY) {
			a->postcopy = true;
			continue;
		}
		if (argc < 2) {
			mobctl_error("\"%s\" needs %s", keywords[kw], needs[kw]);
			return -EINVAL;
		}
		argc--;
		argv++;
		switch (kw) {
		case KW_TO:
			a->dest = argv[0];
			if (parse_dest(argv[0], a->dest_uri, sizeof(a->dest_uri)))
				return -EINVAL;
			break;
		case KW_DOWNTIME:
			if (mob_parse_uint(argv[0], "max-downtime", 1,
					   MIG_DOWNTIME_MAX, &v, NULL)) {
				mobctl_error("Invalid max-downtime \"%s\": expected milliseconds from 1 to %llu",
					     argv[0], MIG_DOWNTIME_MAX);
				return -EINVAL;
			}
			a->max_downtime_ms = v;
			break;
		case KW_BANDWIDTH:
			if (mob_parse_uint(argv[0], "bandwidth", 1,
					   MIG_BANDWIDTH_MAX, &v, NULL)) {
				mobctl_error("Invalid bandwidth \"%s\": expected MiB/s from 1 to %llu",
					     argv[0], MIG_BANDWIDTH_MAX);
				return -EINVAL;
			}
			a->bandwidth_mib = v;
			break;
		default:
			if (mob_parse_uint(argv[0], "timeout", 1,
					   MIG_TIMEOUT_MAX, &v, NULL)) {
				mobctl_error("Invalid timeout \"%s\": expected seconds from 1 to %llu",
					     argv[0], MIG_TIMEOUT_MAX);
				return -EINVAL;
			}
			a->timeout_s = (unsigned int)v;
			break;
		}
	}
	if (!a->dest) {
		mobctl_error("missing \"to DEST\"");
		return -EINVAL;
	}
	if (a->offline) {
		for (kw = KW_POSTCOPY; kw < KW_COUNT; kw++) {
			if (seen[kw]) {
				mobctl_error("\"offline\" does not go with \"%s\": "
					     "it copies the definition only",
					     keywords[kw]);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* "libvirt = URI" in mobd.conf(5); 0 with URI, -ENOENT if none or "none". */
int mobctl_migrate_conf_uri(const char *path, char *uri, size_t len)
{
	char line[1024], *s, *e, *v;
	FILE *f = fopen(path, "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		s = strchr(line, '#');
		if (s)
			*s = '\0';
		for (s = line; isspace((unsigned char)*s); s++)
			;
		if (strncmp(s, "libvirt", 7))
			continue;
		for (s += 7; isspace((unsigned char)*s); s++)
			;
		if (*s != '=')
			continue;
		for (v = s + 1; isspace((unsigned char)*v); v++)
			;
		for (e = v + strlen(v); e > v && isspace((unsigned char)e[-1]); )
			*--e = '\0';
		/* As mobd reads it: the last one counts (it refuses repeats). */
		if (!*v || !strcmp(v, "none") || strlen(v) >= len) {
			ret = -ENOENT;
			continue;
		}
		strcpy(uri, v);
		ret = 0;
	}
	fclose(f);
	return ret;
}

static bool hoas_has(const struct mobctl_hoas *h, int family,
		     const union mob_ip *addr)
{
	size_t alen = mob_addr_len(family);
	int i;

	for (i = 0; i < h->n; i++)
		if (h->family[i] == family && alen &&
		    !memcmp(&h->addr[i], addr, alen))
			return true;
	return false;
}

/*
 * The text of every <hoa> element (with any namespace prefix) of our
 * metadata element (agent/mobd/virt.h has the format).  Values that are
 * not addresses are skipped; repeats are kept once.  Returns the count.
 */
int mobctl_migrate_hoas(const char *xml, struct mobctl_hoas *h)
{
	const char *p = xml, *name, *end, *text, *close;
	char buf[INET6_ADDRSTRLEN + 8];
	union mob_ip addr;
	int family;
	size_t n;

	memset(h, 0, sizeof(*h));
	while (p && (p = strchr(p, '<'))) {
		p++;
		if (!strncmp(p, "!--", 3)) {
			p = strstr(p, "-->");
			continue;
		}
		if (*p == '/' || *p == '?' || *p == '!')
			continue;
		/* The element's name, and its local part after any prefix. */
		for (end = p; *end && !isspace((unsigned char)*end) &&
		     *end != '>' && *end != '/'; end++)
			;
		name = memchr(p, ':', (size_t)(end - p));
		name = name ? name + 1 : p;
		if (end - name != 3 || strncmp(name, "hoa", 3))
			continue;
		end = strchr(end, '>');
		if (!end)
			break;
		if (end[-1] == '/')		/* <hoa/> */
			continue;
		text = end + 1;
		close = strchr(text, '<');
		if (!close)
			break;
		while (text < close && isspace((unsigned char)*text))
			text++;
		n = (size_t)(close - text);
		while (n && isspace((unsigned char)text[n - 1]))
			n--;
		p = close;
		if (!n || n >= sizeof(buf))
			continue;
		memcpy(buf, text, n);
		buf[n] = '\0';
		if (mob_parse_addr(buf, "HoA", &family, &addr, NULL))
			continue;
		if (hoas_has(h, family, &addr) || h->n == MOBCTL_MIG_HOA_MAX)
			continue;
		h->family[h->n] = family;
		h->addr[h->n] = addr;
		h->n++;
	}
	return h->n;
}

/* Whether the kernel message M changes what one of H's addresses maps to. */
bool mobctl_migrate_concerns(const struct mob_msg *m,
			     const struct mobctl_hoas *h)
{
	switch (m->cmd) {
	case MOB_CMD_BINDING_NEW:
	case MOB_CMD_BINDING_DEL:
		return m->has_binding &&
		       hoas_has(h, m->binding.family, &m->binding.hoa);
	case MOB_CMD_ALIAS_NEW:
	case MOB_CMD_ALIAS_DEL:
		return m->has_alias && m->alias.has_hoa &&
		       hoas_has(h, m->alias.family, &m->alias.hoa);
	case MOB_CMD_BINDING_FLUSH:
	case MOB_CMD_ALIAS_FLUSH:
		return true;
	}
	return false;
}

static void print_kind(struct mob_out *o, const char *key, const char *fmt,
		       uint8_t kind)
{
	const char *name = mob_kind_name(kind);
	char buf[16];

	if (!name) {
		snprintf(buf, sizeof(buf), "kind-%u", kind);
		name = buf;
	}
	mob_out_string(o, key, fmt, name);
}

/*
 * A kernel change in words, after "kernel: ", with the keys of "mobctl
 * monitor" in JSON: "10.99.0.11 bound to 10.2.1.7 (remote)", "10.1.1.5
 * forwards to 10.2.1.7 (alias for 10.99.0.11, timeout 5.000s)".
 */
void mobctl_migrate_print_change(struct mob_out *o, const struct mob_msg *m)
{
	const struct mob_binding_info *b = &m->binding;
	const struct mob_alias_info *a = &m->alias;
	char buf[32];

	switch (m->cmd) {
	case MOB_CMD_BINDING_NEW:
		mob_out_string(o, "event", NULL, "binding");
		mob_out_string(o, "type", NULL, b->has_prev ? "replace" : "new");
		mob_out_addr(o, "hoa", "%s", b->family, &b->hoa);
		if (b->has_moa)
			mob_out_addr(o, "moa", " bound to %s", b->family,
				     &b->moa);
		print_kind(o, "kind", " (%s", b->kind);
		mobctl_print_dev(o, b->ifindex);
		if (b->has_prev) {
			mob_out_open_object(o, "prev");
			mob_out_addr(o, "moa", ", was %s", b->family,
				     &b->prev_moa);
			print_kind(o, "kind", " %s", b->prev_kind);
			mob_out_close_object(o);
		}
		mob_out_text(o, ")");
		break;
	case MOB_CMD_BINDING_DEL:
		mob_out_string(o, "event", NULL, "binding");
		mob_out_string(o, "type", NULL, "del");
		mob_out_addr(o, "hoa", "%s unbound", b->family, &b->hoa);
		if (b->has_moa)
			mob_out_addr(o, "moa", " (was %s", b->family, &b->moa);
		print_kind(o, "kind", b->has_moa ? " %s)" : NULL, b->kind);
		break;
	case MOB_CMD_BINDING_FLUSH:
		mob_out_string(o, "event", NULL, "binding");
		mob_out_string(o, "type", NULL, "flush");
		mob_out_text(o, "every");
		if (mob_kind_name(b->kind))
			print_kind(o, "kind", " %s", b->kind);
		mob_out_text(o, " binding deleted (flush)");
		break;
	case MOB_CMD_ALIAS_NEW:
		mob_out_string(o, "event", NULL, "alias");
		mob_out_string(o, "type", NULL, "new");
		if (a->has_target) {
			mob_out_addr(o, "moa", "%s", a->family, &a->moa);
			mob_out_addr(o, "target", " forwards to %s", a->family,
				     &a->target);
			mob_out_addr(o, "hoa", " (alias for %s", a->family,
				     &a->hoa);
		} else {
			mob_out_addr(o, "moa", "alias %s", a->family, &a->moa);
			mob_out_addr(o, "hoa", " for %s", a->family, &a->hoa);
			mob_out_text(o, " (accepted as its source");
		}
		if (a->timeout_ms) {
			mobctl_format_msec(buf, sizeof(buf), a->timeout_ms);
			mob_out_text(o, ", timeout %s", buf);
			mob_out_u64(o, "timeout_ms", NULL, a->timeout_ms);
		}
		mob_out_text(o, ")");
		break;
	case MOB_CMD_ALIAS_DEL:
		mob_out_string(o, "event", NULL, "alias");
		mob_out_string(o, "type", NULL, "del");
		mob_out_addr(o, "moa", "alias %s", a->family, &a->moa);
		mob_out_addr(o, "hoa", " for %s", a->family, &a->hoa);
		if (a->has_target)
			mob_out_addr(o, "target", " (to %s)", a->family,
				     &a->target);
		mob_out_text(o, " deleted");
		break;
	case MOB_CMD_ALIAS_FLUSH:
		mob_out_string(o, "event", NULL, "alias");
		mob_out_string(o, "type", "every alias deleted (%s)", "flush");
		break;
	}
}

/* One migration, from the command to the report. */
struct mig {
	struct mobctl_migrate_args args;
	bool json;
	unsigned long flags;
	virConnectPtr conn;
	virDomainPtr dom;
	virTypedParameterPtr params;
	int nparams;
	char name[256];
	char from[512];
	struct mobctl_hoas hoas;
	struct mob_nl *nl;
	bool nl_lost_said;
	int nl_watch, pipe_watch, timer, grace_timer;
	int cb_lifecycle, cb_iteration, cb_job;
	int pipe[2];
	struct timespec t0;
	/* Written by the migration thread before it says 'd'. */
	pthread_t thread;
	int ret;
	char error[1024];
	uint64_t end_ms;
	/* The event loop's. */
	bool done, finished, timed_out, interrupted, postcopy_switched;
	bool paused;			/* for the last copy */
	struct json_object *phases;	/* -j */
	struct json_object *job;	/* the final job statistics */
};

static volatile int mig_signal_fd = -1;

static void mig_signal(int sig)
{
	int saved = errno;

	if (mig_signal_fd >= 0 && write(mig_signal_fd, "i", 1) < 0) {
		/* The loop is stuck anyway; SA_RESETHAND lets the next kill. */
	}
	errno = saved;
}

static uint64_t mig_ms(const struct mig *m)
{
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)(now.tv_sec - m->t0.tv_sec) * 1000 +
	     (now.tv_nsec - m->t0.tv_nsec) / 1000000;
	return ms > 0 ? (uint64_t)ms : 0;
}

/* A phase: "  1087 ms  TEXT" as a line, or {"ms":1087,"phase":PHASE,...}. */
static void phase_open(struct mig *m, struct mob_out *o, uint64_t ms,
		       const char *phase)
{
	mob_out_init(o, out_file(), m->json, false);
	mob_out_open_object(o, NULL);
	mob_out_u64(o, "ms", "%6" PRIu64 " ms  ", ms);
	mob_out_string(o, "phase", NULL, phase);
}

static void phase_close(struct mig *m, struct mob_out *o)
{
	mob_out_close_object(o);
	if (m->json) {
		if (o->root && !o->err &&
		    !json_object_array_add(m->phases, o->root))
			o->root = NULL;
		mob_out_free(o);
		return;
	}
	mob_out_nl(o);
	mob_out_end(o);		/* flushed: the output may be piped */
}

/* A phase that is just words (and an error message, if any). */
static void phase_say(struct mig *m, const char *phase, const char *text,
		      const char *error)
{
	struct mob_out o;

	phase_open(m, &o, mig_ms(m), phase);
	mob_out_text(&o, "%s", text);
	if (error)
		mob_out_string(&o, "error", ": %s", error);
	phase_close(m, &o);
}

static const char *last_error(void)
{
	const char *msg = virGetLastErrorMessage();

	return msg && *msg ? msg : "unknown libvirt error";
}

/* libvirt's typed parameters as one JSON object. */
static struct json_object *params_json(virTypedParameterPtr p, int n)
{
	struct json_object *o = json_object_new_object(), *v;
	int i;

	if (!o)
		return NULL;
	for (i = 0; i < n; i++) {
		switch (p[i].type) {
		case VIR_TYPED_PARAM_INT:
			v = json_object_new_int(p[i].value.i);
			break;
		case VIR_TYPED_PARAM_UINT:
			v = json_object_new_int64(p[i].value.ui);
			break;
		case VIR_TYPED_PARAM_LLONG:
			v = json_object_new_int64(p[i].value.l);
			break;
		case VIR_TYPED_PARAM_ULLONG:
			v = json_object_new_uint64(p[i].value.ul);
			break;
		case VIR_TYPED_PARAM_DOUBLE:
			v = json_object_new_double(p[i].value.d);
			break;
		case VIR_TYPED_PARAM_BOOLEAN:
			v = json_object_new_boolean(p[i].value.b);
			break;
		case VIR_TYPED_PARAM_STRING:
			v = json_object_new_string(p[i].value.s ? p[i].value.s : "");
			break;
		default:
			continue;
		}
		json_object_object_add(o, p[i].field, v);
	}
	return o;
}

static bool job_u64(struct json_object *job, const char *key, uint64_t *v)
{
	struct json_object *j;

	if (!job || !json_object_object_get_ex(job, key, &j) ||
	    !(json_object_is_type(j, json_type_int)))
		return false;
	*v = json_object_get_uint64(j);
	return true;
}

/* BYTES in MiB as text ("BEFORE3.1AFTER"), in bytes as JSON. */
static void print_mib(struct mob_out *o, const char *key, const char *before,
		      uint64_t bytes, const char *after)
{
	mob_out_text(o, "%s%.1f%s", before, (double)bytes / 1048576.0, after);
	mob_out_u64(o, key, NULL, bytes);
}

/* "memory copy iteration N: 3.1 of 72.0 MiB left" */
static void mig_iteration(virConnectPtr conn, virDomainPtr dom, int iteration,
			  void *opaque)
{
	struct mig *m = opaque;
	virTypedParameterPtr p = NULL;
	unsigned long long rem, total;
	struct mob_out o;
	int type, n = 0;

	phase_open(m, &o, mig_ms(m), "iteration");
	mob_out_u64(&o, "iteration", "memory copy iteration %" PRIu64,
		    iteration > 0 ? (uint64_t)iteration : 0);
	if (virDomainGetJobStats(dom, &type, &p, &n, 0) == 0) {
		if (virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_DATA_REMAINING,
					    &rem) == 1 &&
		    virTypedParamsGetULLong(p, n, VIR_DOMAIN_JOB_DATA_TOTAL,
					    &total) == 1) {
			print_mib(&o, "data_remaining", ": ", rem, "");
			print_mib(&o, "data_total", " of ", total, " MiB left");
		}
		virTypedParamsFree(p, n);
	}
	phase_close(m, &o);

	/*
	 * The first pass is over: the rest is pulled by the destination.
	 * Unless the copy converged at once and the VM is already paused for
	 * the last one (an idle guest): the event may come after that.
	 */
	if (m->args.postcopy && iteration == 2 && !m->postcopy_switched &&
	    !m->done) {
		m->postcopy_switched = true;
		if (m->paused)
			phase_say(m, "postcopy", "no post-copy switch: the VM "
				  "was already paused for the last copy", NULL);
		else if (virDomainMigrateStartPostCopy(dom, 0) < 0)
			phase_say(m, "postcopy", "post-copy switch failed",
				  last_error());
		else
			phase_say(m, "postcopy", "post-copy switched", NULL);
	}
}

/* A lifecycle event of the VM here; DETAIL is for JSON ("detail"). */
static void phase_event(struct mig *m, const char *phase, const char *text,
			const char *detail)
{
	struct mob_out o;

	phase_open(m, &o, mig_ms(m), phase);
	mob_out_text(&o, "%s", text);
	mob_out_string(&o, "detail", NULL, detail);
	phase_close(m, &o);
}

static void mig_lifecycle(virConnectPtr conn, virDomainPtr dom, int event,
			  int detail, void *opaque)
{
	struct mig *m = opaque;

	switch (event) {
	case VIR_DOMAIN_EVENT_SUSPENDED:
		m->paused = true;
		if (detail == VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED)
			phase_event(m, "paused", "VM paused for the last copy",
				    "migrated");
		else if (detail == VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY)
			phase_event(m, "paused", "post-copy: the VM runs at "
				    "the destination, its last pages follow",
				    "postcopy");
		else if (detail == VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY_FAILED)
			phase_event(m, "paused", "VM paused: post-copy failed",
				    "postcopy-failed");
		else
			phase_event(m, "paused", "VM paused here", "other");
		break;
	case VIR_DOMAIN_EVENT_RESUMED:
		m->paused = false;
		phase_event(m, "resumed", "VM resumed here",
			    detail == VIR_DOMAIN_EVENT_RESUMED_MIGRATED ?
			    "migrated" : "other");
		break;
	case VIR_DOMAIN_EVENT_STOPPED:
		if (detail == VIR_DOMAIN_EVENT_STOPPED_MIGRATED)
			phase_event(m, "stopped", "VM stopped here (it runs at "
				    "the destination)", "migrated");
		else
			phase_event(m, "stopped", "VM stopped here", "other");
		break;
	case VIR_DOMAIN_EVENT_UNDEFINED:
		phase_event(m, "undefined", "VM undefined here", "undefined");
		break;
	}
}

static void mig_job_completed(virConnectPtr conn, virDomainPtr dom,
			      virTypedParameterPtr params, int nparams,
			      void *opaque)
{
	struct mig *m = opaque;

	if (m->job)
		json_object_put(m->job);
	m->job = params_json(params, nparams);
	if (m->done)
		m->finished = true;
}

static int kernel_event(const struct nlmsghdr *nlh, void *data)
{
	struct mig *m = data;
	struct mob_out o;
	struct mob_msg msg;

	if (mob_msg_parse(nlh, &msg) || !mobctl_migrate_concerns(&msg, &m->hoas))
		return 0;
	phase_open(m, &o, mig_ms(m), "kernel");
	mob_out_text(&o, "kernel: ");
	mobctl_migrate_print_change(&o, &msg);
	phase_close(m, &o);
	return 0;
}

static void mig_netlink(int watch, int fd, int events, void *opaque)
{
	struct mig *m = opaque;
	int err;

	err = mob_nl_recv_events(m->nl, kernel_event, m);
	if (err == -ENOBUFS && !m->nl_lost_said) {
		mobctl_warn("kernel events were lost (socket buffer overflow)");
		m->nl_lost_said = true;
	} else if (err && err != -ENOBUFS && err != -EAGAIN && err != -EINTR) {
		mobctl_warn("kernel events: %s; no longer shown", strerror(-err));
		virEventRemoveHandle(watch);
		m->nl_watch = -1;
	}
}

static void mig_abort(struct mig *m, const char *phase, const char *why)
{
	char text[128];

	if (m->done)
		return;
	if (virDomainAbortJob(m->dom) < 0) {
		snprintf(text, sizeof(text), "%s; cannot abort the migration",
			 why);
		phase_say(m, phase, text, last_error());
		return;
	}
	snprintf(text, sizeof(text), "%s: migration aborted", why);
	phase_say(m, phase, text, NULL);
}

static void mig_timeout(int timer, void *opaque)
{
	struct mig *m = opaque;
	char why[64];

	virEventUpdateTimeout(timer, -1);	/* timers repeat */
	snprintf(why, sizeof(why), "timeout after %u s", m->args.timeout_s);
	m->timed_out = true;
	mig_abort(m, "timeout", why);
}

static void mig_grace(int timer, void *opaque)
{
	struct mig *m = opaque;

	virEventUpdateTimeout(timer, -1);
	m->finished = true;
}

static void mig_wakeup(int watch, int fd, int events, void *opaque)
{
	struct mig *m = opaque;
	char buf[16];
	ssize_t n, i;

	n = read(fd, buf, sizeof(buf));
	for (i = 0; i < n; i++) {
		if (buf[i] == 'i' && !m->interrupted) {
			m->interrupted = true;
			mig_abort(m, "interrupted", "interrupted");
		} else if (buf[i] == 'd' && !m->done) {
			pthread_join(m->thread, NULL);
			m->done = true;
			/* job-completed comes with the end, or a little after. */
			if (m->ret == 0 && !m->job && !m->args.offline)
				m->grace_timer = virEventAddTimeout(
					MIG_GRACE_MS, mig_grace, m, NULL);
			m->finished = m->grace_timer < 0;
		}
	}
}

static void *mig_thread(void *arg)
{
	struct mig *m = arg;

	m->ret = virDomainMigrateToURI3(m->dom, m->args.dest_uri, m->params,
					m->nparams, m->flags);
	if (m->ret < 0)
		snprintf(m->error, sizeof(m->error), "%s", last_error());
	m->end_ms = mig_ms(m);
	if (write(m->pipe[1], "d", 1) != 1)
		abort();	/* a pipe with room for it: cannot happen */
	return NULL;
}

static void quiet_libvirt(void *data, virErrorPtr err)
{
}

static int libvirt_setup(void)
{
	static bool done;

	if (done)
		return 0;
	virSetErrorFunc(NULL, quiet_libvirt);
	if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0) {
		mobctl_error("cannot set up libvirt: %s", last_error());
		return -1;
	}
	done = true;
	return 0;
}

/* The connection: -c URI, mobd.conf's "libvirt =", libvirt's default. */
static int mig_connect(struct mig *m)
{
	char conf[512];
	const char *uri = mobctl_libvirt_uri;
	char *real;

	if (!uri && mobctl_mobd_conf &&
	    !mobctl_migrate_conf_uri(mobctl_mobd_conf, conf, sizeof(conf)))
		uri = conf;
	m->conn = virConnectOpen(uri);
	if (!m->conn) {
		mobctl_error("cannot connect to libvirt at %s: %s",
			     uri ? uri : "its default URI", last_error());
		return -1;
	}
	real = virConnectGetURI(m->conn);
	snprintf(m->from, sizeof(m->from), "%s",
		 real ? real : uri ? uri : "");
	free(real);
	/* A dead remote libvirtd is noticed; the test driver has none. */
	virConnectSetKeepAlive(m->conn, 5, 6);
	return 0;
}

static int mig_lookup(struct mig *m)
{
	const char *vm = m->args.vm;
	const char *name;

	m->dom = virDomainLookupByName(m->conn, vm);
	if (!m->dom && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN &&
	    strlen(vm) >= 32)
		m->dom = virDomainLookupByUUIDString(m->conn, vm);
	if (!m->dom) {
		if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN ||
		    virGetLastErrorCode() == VIR_ERR_INVALID_ARG)
			mobctl_error("no domain \"%s\" at %s", vm, m->from);
		else
			mobctl_error("cannot look up \"%s\" at %s: %s", vm,
				     m->from, last_error());
		return -1;
	}
	name = virDomainGetName(m->dom);
	snprintf(m->name, sizeof(m->name), "%s", name ? name : vm);
	return 0;
}

/* Live needs a running VM; offline (definition only) a shut-off one. */
static int mig_check_state(struct mig *m)
{
	int active = virDomainIsActive(m->dom);

	if (active < 0) {
		mobctl_error("cannot read the state of %s: %s", m->name,
			     last_error());
		return -1;
	}
	if (m->args.offline && active) {
		mobctl_error("%s is running: \"offline\" moves a shut-off VM's "
			     "definition only", m->name);
		return -1;
	}
	if (!m->args.offline && !active) {
		mobctl_error("%s is not running: a live migration needs a "
			     "running VM (\"offline\" moves a shut-off VM's "
			     "definition)", m->name);
		return -1;
	}
	return 0;
}

/* The VM's home addresses, and the kernel events about them. */
static void mig_watch_kernel(struct mig *m)
{
	char *xml;
	int err;

	xml = virDomainGetMetadata(m->dom, VIR_DOMAIN_METADATA_ELEMENT,
				   MOBCTL_XMLNS, 0);
	if (xml) {
		mobctl_migrate_hoas(xml, &m->hoas);
		free(xml);
	} else if (virGetLastErrorCode() != VIR_ERR_NO_DOMAIN_METADATA) {
		mobctl_warn("cannot read %s's metadata: %s", m->name,
			    last_error());
	}
	if (!m->hoas.n) {
		mobctl_warn("%s has no home address in its metadata (%s): "
			    "kernel changes are not shown", m->name,
			    MOBCTL_XMLNS);
		return;
	}
	err = mob_nl_open(&m->nl, NULL);
	if (err == -EPROTONOSUPPORT) {
		mobctl_warn("mob module not loaded: kernel changes are not shown");
		return;
	}
	if (!err)
		err = mob_nl_subscribe(m->nl);
	if (!err) {
		m->nl_watch = virEventAddHandle(mob_nl_fd(m->nl),
						VIR_EVENT_HANDLE_READABLE,
						mig_netlink, m, NULL);
		if (m->nl_watch < 0)
			err = -ENOMEM;
	}
	if (err) {
		mobctl_warn("cannot watch the mob kernel's events: %s; kernel "
			    "changes are not shown", strerror(-err));
		mob_nl_close(m->nl);
		m->nl = NULL;
	}
}

static int mig_register(struct mig *m)
{
	m->cb_lifecycle = virConnectDomainEventRegisterAny(m->conn, m->dom,
		VIR_DOMAIN_EVENT_ID_LIFECYCLE,
		VIR_DOMAIN_EVENT_CALLBACK(mig_lifecycle), m, NULL);
	m->cb_iteration = virConnectDomainEventRegisterAny(m->conn, m->dom,
		VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
		VIR_DOMAIN_EVENT_CALLBACK(mig_iteration), m, NULL);
	m->cb_job = virConnectDomainEventRegisterAny(m->conn, m->dom,
		VIR_DOMAIN_EVENT_ID_JOB_COMPLETED,
		VIR_DOMAIN_EVENT_CALLBACK(mig_job_completed), m, NULL);
	if (m->cb_lifecycle < 0 || m->cb_iteration < 0 || m->cb_job < 0)
		mobctl_warn("libvirt does not report every event of %s: %s",
			    m->name, last_error());
	if (pipe2(m->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		mobctl_error("pipe: %s", strerror(errno));
		return -1;
	}
	m->pipe_watch = virEventAddHandle(m->pipe[0], VIR_EVENT_HANDLE_READABLE,
					  mig_wakeup, m, NULL);
	if (m->pipe_watch < 0) {
		mobctl_error("cannot watch a pipe: %s", last_error());
		return -1;
	}
	return 0;
}

/* Settings made before the migration starts, and its flags. */
static int mig_prepare(struct mig *m)
{
	int max = 0;

	if (m->args.offline)
		m->flags = VIR_MIGRATE_OFFLINE;
	else
		m->flags = VIR_MIGRATE_LIVE;
	m->flags |= VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_PERSIST_DEST |
		    VIR_MIGRATE_UNDEFINE_SOURCE;
	if (m->args.postcopy)
		m->flags |= VIR_MIGRATE_POSTCOPY;
	if (m->args.bandwidth_mib &&
	    virTypedParamsAddULLong(&m->params, &m->nparams, &max,
				    VIR_MIGRATE_PARAM_BANDWIDTH,
				    m->args.bandwidth_mib) < 0) {
		mobctl_error("bandwidth: %s", last_error());
		return -1;
	}
	if (m->args.max_downtime_ms &&
	    virDomainMigrateSetMaxDowntime(m->dom, m->args.max_downtime_ms,
					   0) < 0) {
		mobctl_error("cannot set max-downtime %" PRIu64 " ms on %s: %s",
			     m->args.max_downtime_ms, m->name, last_error());
		return -1;
	}
	return 0;
}

static void phase_started(struct mig *m)
{
	char addr[INET6_ADDRSTRLEN];
	struct mob_out o;
	int i;

	phase_open(m, &o, 0, "started");
	mob_out_text(&o, "started: %s", m->name);
	for (i = 0; i < m->hoas.n; i++)
		mob_out_text(&o, "%s%s", i ? " " : " (",
			     mob_addr_ntop(m->hoas.family[i], &m->hoas.addr[i],
					   addr, sizeof(addr)));
	mob_out_text(&o, "%s from %s to %s", m->hoas.n ? ")" : "", m->from,
		     m->args.dest_uri);
	mob_out_string(&o, "mode", ", %s", m->args.offline ? "offline" :
		       m->args.postcopy ? "live, post-copy" : "live");
	if (m->args.bandwidth_mib)
		mob_out_u64(&o, "bandwidth", ", bandwidth %" PRIu64 " MiB/s",
			    m->args.bandwidth_mib);
	if (m->args.max_downtime_ms)
		mob_out_u64(&o, "max_downtime", ", max-downtime %" PRIu64 " ms",
			    m->args.max_downtime_ms);
	if (m->args.timeout_s)
		mob_out_u64(&o, "timeout", ", timeout %" PRIu64 " s",
			    m->args.timeout_s);
	phase_close(m, &o);
}

/* "done: downtime 202 ms (network 180 ms), total 1515 ms, 74.2 MiB transferred" */
static void phase_done(struct mig *m)
{
	struct mob_out o;
	const char *sep = ": ";
	uint64_t v, net;

	phase_open(m, &o, m->end_ms, "done");
	mob_out_text(&o, "done");
	if (!m->job) {
		mob_out_text(&o, " (the job's statistics are not available)");
		phase_close(m, &o);
		return;
	}
	if (job_u64(m->job, VIR_DOMAIN_JOB_DOWNTIME, &v)) {
		mob_out_text(&o, "%sdowntime %" PRIu64 " ms", sep, v);
		if (job_u64(m->job, VIR_DOMAIN_JOB_DOWNTIME_NET, &net))
			mob_out_text(&o, " (network %" PRIu64 " ms)", net);
		sep = ", ";
	}
	if (job_u64(m->job, VIR_DOMAIN_JOB_TIME_ELAPSED, &v)) {
		mob_out_text(&o, "%stotal %" PRIu64 " ms", sep, v);
		sep = ", ";
	}
	if (job_u64(m->job, VIR_DOMAIN_JOB_DATA_PROCESSED, &v)) {
		mob_out_text(&o, "%s%.1f MiB transferred", sep,
			     (double)v / 1048576.0);
	}
	phase_close(m, &o);
}

static void phase_failed(struct mig *m)
{
	struct mob_out o;
	char text[96];

	if (m->timed_out)
		snprintf(text, sizeof(text), "failed (timeout after %u s)",
			 m->args.timeout_s);
	else if (m->interrupted)
		snprintf(text, sizeof(text), "failed (interrupted)");
	else
		snprintf(text, sizeof(text), "failed");

	phase_open(m, &o, m->end_ms, "failed");
	mob_out_text(&o, "%s", text);
	mob_out_string(&o, "error", ": %s", m->error);
	phase_close(m, &o);
}

/* Without the event job-completed: what the source still knows. */
static void mig_job_fallback(struct mig *m)
{
	virTypedParameterPtr p = NULL;
	int type, n = 0;

	if (m->job || m->args.offline)
		return;
	if (virDomainGetJobStats(m->dom, &type, &p, &n,
				 VIR_DOMAIN_JOB_STATS_COMPLETED) == 0) {
		if (type != VIR_DOMAIN_JOB_NONE)
			m->job = params_json(p, n);
		virTypedParamsFree(p, n);
	}
}

static int print_report(struct mig *m, bool ok)
{
	struct json_object *root = json_object_new_object(), *hoas;
	char addr[INET6_ADDRSTRLEN];
	const char *text;
	int i;

	hoas = json_object_new_array();
	if (!root || !hoas) {
		json_object_put(root);
		json_object_put(hoas);
		mobctl_error("out of memory");
		return MOBCTL_FAIL;
	}
	json_object_object_add(root, "vm", json_object_new_string(m->name));
	json_object_object_add(root, "from", json_object_new_string(m->from));
	json_object_object_add(root, "to",
			       json_object_new_string(m->args.dest_uri));
	for (i = 0; i < m->hoas.n; i++)
		json_object_array_add(hoas, json_object_new_string(
			mob_addr_ntop(m->hoas.family[i], &m->hoas.addr[i],
				      addr, sizeof(addr))));
	json_object_object_add(root, "hoas", hoas);
	json_object_object_add(root, "ok", json_object_new_boolean(ok));
	if (!ok)
		json_object_object_add(root, "error",
				       json_object_new_string(m->error));
	json_object_object_add(root, "phases", m->phases);
	m->phases = NULL;
	json_object_object_add(root, "job", m->job);
	m->job = NULL;
	text = json_object_to_json_string_ext(root,
		JSON_C_TO_STRING_NOSLASHESCAPE | (mobctl_opts.pretty ?
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED :
		JSON_C_TO_STRING_PLAIN));
	fprintf(out_file(), "%s\n", text ? text : "null");
	json_object_put(root);
	return fflush(out_file()) == EOF ? MOBCTL_FAIL : MOBCTL_OK;
}

/* Start the thread and run the event loop until the end. */
static int mig_run(struct mig *m)
{
	struct sigaction sa = { .sa_handler = mig_signal,
				.sa_flags = SA_RESETHAND };
	struct sigaction old_int, old_term;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &m->t0);
	phase_started(m);
	if (m->args.timeout_s) {
		m->timer = virEventAddTimeout((int)(m->args.timeout_s * 1000),
					      mig_timeout, m, NULL);
		if (m->timer < 0) {
			mobctl_error("cannot set the timeout: %s", last_error());
			return -1;
		}
	}
	/* Ctrl-C aborts the migration; a second one kills. */
	mig_signal_fd = m->pipe[1];
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	err = pthread_create(&m->thread, NULL, mig_thread, m);
	if (err) {
		mobctl_error("cannot start a thread: %s", strerror(err));
	} else {
		while (!m->finished) {
			if (virEventRunDefaultImpl() < 0 && !m->done) {
				/* Nothing else to do but wait for the end. */
				pthread_join(m->thread, NULL);
				m->done = true;
				m->finished = true;
			}
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	mig_signal_fd = -1;
	return err ? -1 : 0;
}

static void mig_cleanup(struct mig *m)
{
	if (m->timer >= 0)
		virEventRemoveTimeout(m->timer);
	if (m->grace_timer >= 0)
		virEventRemoveTimeout(m->grace_timer);
	if (m->pipe_watch >= 0)
		virEventRemoveHandle(m->pipe_watch);
	if (m->nl_watch >= 0)
		virEventRemoveHandle(m->nl_watch);
	if (m->conn) {
		if (m->cb_lifecycle >= 0)
			virConnectDomainEventDeregisterAny(m->conn,
							   m->cb_lifecycle);
		if (m->cb_iteration >= 0)
			virConnectDomainEventDeregisterAny(m->conn,
							   m->cb_iteration);
		if (m->cb_job >= 0)
			virConnectDomainEventDeregisterAny(m->conn, m->cb_job);
	}
	if (m->pipe[0] >= 0)
		close(m->pipe[0]);
	if (m->pipe[1] >= 0)
		close(m->pipe[1]);
	mob_nl_close(m->nl);
	virTypedParamsFree(m->params, m->nparams);
	if (m->dom)
		virDomainFree(m->dom);
	if (m->conn)
		virConnectClose(m->conn);
	json_object_put(m->phases);
	json_object_put(m->job);
}

int do_migrate(int argc, char **argv)
{
	struct mig m;
	int ret = MOBCTL_FAIL;
	bool ok;

	if (argc == 1 && mobctl_is_help(argv[0]))
		return migrate_usage();
	memset(&m, 0, sizeof(m));
	m.nl_watch = m.pipe_watch = m.timer = m.grace_timer = -1;
	m.cb_lifecycle = m.cb_iteration = m.cb_job = -1;
	m.pipe[0] = m.pipe[1] = -1;
	m.json = mobctl_opts.json;
	if (mobctl_migrate_parse(argc, argv, &m.args))
		return MOBCTL_FAIL;
	if (m.json && !(m.phases = json_object_new_array())) {
		mobctl_error("out of memory");
		return MOBCTL_FAIL;
	}
	if (libvirt_setup() || mig_connect(&m) || mig_lookup(&m) ||
	    mig_check_state(&m) || mig_prepare(&m))
		goto out;
	if (!m.args.offline)
		mig_watch_kernel(&m);
	if (mig_register(&m) || mig_run(&m))
		goto out;
	ok = m.ret == 0;
	if (ok) {
		mig_job_fallback(&m);
		phase_done(&m);
	} else {
		phase_failed(&m);
	}
	ret = ok ? MOBCTL_OK : MOBCTL_FAIL;
	if (m.json && print_report(&m, ok))
		ret = MOBCTL_FAIL;
out:
	mig_cleanup(&m);
	return ret;
}
