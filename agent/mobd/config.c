// SPDX-License-Identifier: GPL-2.0
/*
 * mobd.conf: "key = value" lines, checked one by one, then as a whole.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "config.h"
#include "log.h"
#include "parse.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define TEXT_MAX 96		/* a pool or home prefix as written */

/* An inclusive span of addresses of one family, for overlap checks. */
struct span {
	int family;
	union mob_ip first, last;
};

struct ctx;

struct key {
	const char *name;
	int (*set)(struct ctx *x, char *v);
	bool list;
};

struct ctx {
	struct mobd_config *c;
	const char *name;
	char *err;
	size_t errlen;
	unsigned int line;
	const struct key *key;
	/* Per key: line it was last set on, 0 if not in this file. */
	unsigned int seen[32];
	unsigned int dup_line[32];	/* the first repeat of a single key */
	unsigned int dup_first[32];
	/* Pools and homes of this file, with their lines and text. */
	unsigned int pool_line[MOBD_POOLS_MAX];
	struct span pool_span[MOBD_POOLS_MAX];
	char pool_text[MOBD_POOLS_MAX][TEXT_MAX];
	unsigned int home_line[MOBD_HOMES_MAX];
	char home_text[MOBD_HOMES_MAX][TEXT_MAX];
	unsigned int etcd_none_line;
	/* The whole-file error with the lowest line so far. */
	unsigned int late_line;
};

__attribute__((format(printf, 3, 4)))
static void say(struct ctx *x, unsigned int line, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (!x->err || !x->errlen)
		return;
	n = (size_t)snprintf(x->err, x->errlen, "%s:%u: ", x->name, line);
	if (n >= x->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(x->err + n, x->errlen - n, fmt, ap);
	va_end(ap);
}

/* An error in the value of the current line: "KEY: ...". */
__attribute__((format(printf, 2, 3)))
static int bad(struct ctx *x, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say(x, x->line, "%s: %s", x->key->name, msg);
	return -EINVAL;
}

/* A whole-file error: kept if it is on an earlier line than the last. */
__attribute__((format(printf, 3, 4)))
static void late(struct ctx *x, unsigned int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (x->late_line && x->late_line <= line)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x->late_line = line;
	say(x, line, "%s", msg);
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

static int copy(struct ctx *x, char *dst, size_t size, const char *v)
{
	if (strlen(v) >= size)
		return bad(x, "'%s' is longer than %zu characters", v, size - 1);
	strcpy(dst, v);
	return 0;
}

static int copy_path(struct ctx *x, char *dst, size_t size, const char *v)
{
	if (v[0] != '/')
		return bad(x, "'%s' is not an absolute path", v);
	return copy(x, dst, size, v);
}

static bool name_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '.' || ch == '_' ||
	       ch == '-';
}

static int number(struct ctx *x, const char *v, uint32_t min, uint32_t max,
		  unsigned int *out)
{
	uint32_t n;

	if (mob_parse_u32(v, x->key->name, min, max, &n, NULL))
		return bad(x, "'%s' is not a number from %u to %u", v, min, max);
	*out = n;
	return 0;
}

static int addr_cmp(int family, const union mob_ip *a, const union mob_ip *b)
{
	return memcmp(a->raw, b->raw, mob_addr_len(family));
}

static void prefix_span(const struct mob_prefix_info *p, struct span *s)
{
	size_t i, n = mob_addr_len(p->family);
	unsigned int bits;

	s->family = p->family;
	s->first = p->addr;
	s->last = p->addr;
	for (i = 0; i < n; i++) {
		bits = p->len > 8 * i ? p->len - 8 * i : 0;
		if (bits < 8)
			s->last.raw[i] |= (uint8_t)(0xffu >> bits);
	}
}

static bool spans_overlap(const struct span *a, const struct span *b)
{
	return a->family == b->family &&
	       addr_cmp(a->family, &a->first, &b->last) <= 0 &&
	       addr_cmp(b->family, &b->first, &a->last) <= 0;
}

static bool prefix_has(const struct mob_prefix_info *p, int family,
		       const union mob_ip *a)
{
	struct span s;

	if (p->family != family)
		return false;
	prefix_span(p, &s);
	return addr_cmp(family, &s.first, a) <= 0 &&
	       addr_cmp(family, a, &s.last) <= 0;
}

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* A CIDR prefix, with a message that says what is wrong with it. */
static int cidr(struct ctx *x, const char *v, struct mob_prefix_info *p)
{
	char fixed[INET6_ADDRSTRLEN];
	const char *slash;
	char addr[INET6_ADDRSTRLEN + 1];
	union mob_ip a;
	uint32_t len;
	size_t alen, i, n;
	int family;
	unsigned int bits;

	if (!mob_parse_prefix(v, x->key->name, p, NULL))
		return 0;
	/* Tell host bits apart from a prefix that does not parse. */
	slash = strrchr(v, '/');
	if (!slash)
		return bad(x, "'%s' is not a prefix", v);
	alen = (size_t)(slash - v);
	if (alen >= sizeof(addr))
		return bad(x, "'%s' is not a prefix", v);
	memcpy(addr, v, alen);
	addr[alen] = '\0';
	if (mob_parse_addr(addr, "", &family, &a, NULL) ||
	    mob_parse_u32(slash + 1, "", 0,
			  (uint32_t)(8 * mob_addr_len(family)), &len, NULL))
		return bad(x, "'%s' is not a prefix", v);
	n = mob_addr_len(family);
	for (i = 0; i < n; i++) {
		bits = len > 8 * i ? len - 8 * (unsigned int)i : 0;
		if (bits < 8)
			a.raw[i] &= (uint8_t)~(0xffu >> bits);
	}
	mob_addr_ntop(family, &a, fixed, sizeof(fixed));
	return bad(x, "'%s' has host bits set (did you mean %s/%u?)", v, fixed,
		   len);
}

static int set_hypervisor(struct ctx *x, char *v)
{
	const char *p;

	for (p = v; *p; p++)
		if (!name_char(*p))
			return bad(x, "'%s' has characters other than A-Z a-z 0-9 . _ -",
				   v);
	if (!strcmp(v, ".") || !strcmp(v, ".."))
		return bad(x, "'%s' is not a name", v);
	return copy(x, x->c->hypervisor, sizeof(x->c->hypervisor), v);
}

static int set_libvirt(struct ctx *x, char *v)
{
	const char *p = v;

	if (!strcmp(v, "none")) {
		x->c->libvirt_uri[0] = '\0';
		return 0;
	}
	/* A URI starts with a scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (!isalpha((unsigned char)*p))
		return bad(x, "'%s' is not a URI (such as qemu:///system) or none", v);
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' ||
	       *p == '.')
		p++;
	if (*p != ':' || strpbrk(v, " \t"))
		return bad(x, "'%s' is not a URI (such as qemu:///system) or none", v);
	return copy(x, x->c->libvirt_uri, sizeof(x->c->libvirt_uri), v);
}

static int set_control_socket(struct ctx *x, char *v)
{
	return copy_path(x, x->c->control_socket,
			 sizeof(x->c->control_socket), v);
}

static int set_control_group(struct ctx *x, char *v)
{
	const char *p;

	for (p = v; *p; p++)
		if (isspace((unsigned char)*p) || *p == ':' || *p == '/' ||
		    *p == ',')
			return bad(x, "'%s' is not a group name", v);
	return copy(x, x->c->control_group, sizeof(x->c->control_group), v);
}

static int set_state_dir(struct ctx *x, char *v)
{
	return copy_path(x, x->c->state_dir, sizeof(x->c->state_dir), v);
}

static int set_log_level(struct ctx *x, char *v)
{
	int level = mobd_log_parse_level(v);

	if (level < 0)
		return bad(x, "'%s' is not one of err, warning, notice, info, debug",
			   v);
	x->c->log_level = level;
	return 0;
}

static int set_vm_ports(struct ctx *x, char *v)
{
	struct mobd_config *c = x->c;
	char *glob, *save = NULL;

	for (glob = strtok_r(v, " \t\r\n\v\f", &save); glob;
	     glob = strtok_r(NULL, " \t\r\n\v\f", &save)) {
		if (strchr(glob, '/'))
			return bad(x, "'%s' is not an interface name glob", glob);
		if (strlen(glob) >= IFNAMSIZ)
			return bad(x, "'%s' is longer than %d characters", glob,
				   IFNAMSIZ - 1);
		if (c->n_port_globs == MOBD_PORT_GLOBS_MAX)
			return bad(x, "more than %d globs", MOBD_PORT_GLOBS_MAX);
		strcpy(c->port_globs[c->n_port_globs++], glob);
	}
	return 0;
}

static int set_learn(struct ctx *x, char *v)
{
	if (!strcmp(v, "metadata"))
		x->c->learn = MOBD_LEARN_METADATA;
	else if (!strcmp(v, "arp"))
		x->c->learn = MOBD_LEARN_ARP;
	else
		return bad(x, "'%s' is not metadata or arp", v);
	return 0;
}

/*
 * Blocks no MoA may come from: what the module refuses to translate
 * (mob_addr_usable() in kmod/xlat_core.c).
 */
static const struct {
	int family;
	const char *first, *last, *name;
} unusable[] = {
	{ AF_INET, "0.0.0.0", "0.255.255.255", "0.0.0.0/8" },
	{ AF_INET, "127.0.0.0", "127.255.255.255", "127.0.0.0/8" },
	{ AF_INET, "169.254.0.0", "169.254.255.255", "169.254.0.0/16" },
	{ AF_INET, "224.0.0.0", "255.255.255.255", "224.0.0.0/3" },
	{ AF_INET6, "::", "::1", "::/127" },
	{ AF_INET6, "fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	  "fe80::/10" },
	{ AF_INET6, "ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	  "ff00::/8" },
};

static const char *unusable_in(const struct span *s)
{
	struct span u;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(unusable); i++) {
		memset(&u, 0, sizeof(u));
		u.family = unusable[i].family;
		inet_pton(u.family, unusable[i].first, &u.first);
		inet_pton(u.family, unusable[i].last, &u.last);
		if (spans_overlap(s, &u))
			return unusable[i].name;
	}
	return NULL;
}

/* Add D (may be negative, small) to the address A of FAMILY. */
static void addr_step(int family, union mob_ip *a, int d)
{
	int i = (int)mob_addr_len(family) - 1;

	for (; i >= 0; i--) {
		if (d > 0 && ++a->raw[i] != 0)
			break;
		if (d < 0 && a->raw[i]-- != 0)
			break;
	}
}

static int set_pool(struct ctx *x, char *v)
{
	struct mobd_config *c = x->c;
	char text[2 * INET6_ADDRSTRLEN + 4];
	struct mobd_range *r;
	struct mob_prefix_info p;
	struct span s;
	const char *u;
	char *dash;
	int family2;

	memset(&s, 0, sizeof(s));
	memset(&p, 0, sizeof(p));
	if (strchr(v, '/')) {
		if (cidr(x, v, &p))
			return -EINVAL;
		prefix_span(&p, &s);
		snprintf(text, sizeof(text), "%s", v);
	} else if ((dash = strchr(v, '-'))) {
		char *a, *b;

		*dash = '\0';
		a = trim(v);
		b = trim(dash + 1);
		if (mob_parse_addr(a, "", &s.family, &s.first, NULL))
			return bad(x, "'%s-%s': '%s' is not an address", a, b, a);
		if (mob_parse_addr(b, "", &family2, &s.last, NULL))
			return bad(x, "'%s-%s': '%s' is not an address", a, b, b);
		if (family2 != s.family)
			return bad(x, "'%s-%s' mixes IPv4 and IPv6", a, b);
		if (addr_cmp(s.family, &s.first, &s.last) > 0)
			return bad(x, "'%s-%s' ends before it starts", a, b);
		snprintf(text, sizeof(text), "%s-%s", a, b);
	} else {
		return bad(x, "'%s' is not CIDR or FIRST-LAST", v);
	}
	u = unusable_in(&s);
	if (u)
		return bad(x, "'%s' holds addresses that cannot be MoAs (%s)",
			   text, u);
	if (c->n_pools == MOBD_POOLS_MAX)
		return bad(x, "more than %d pools", MOBD_POOLS_MAX);

	r = &c->pools[c->n_pools];
	memset(r, 0, sizeof(*r));
	r->family = s.family;
	r->first = s.first;
	r->last = s.last;
	/*
	 * A CIDR pool leaves out the addresses a subnet reserves: IPv4
	 * network and broadcast (from /30 up), the IPv6 subnet-router anycast
	 * address (from /126 up).  FIRST-LAST is taken as written.
	 */
	if (p.family == AF_INET && p.len <= 30) {
		addr_step(AF_INET, &r->first, 1);
		addr_step(AF_INET, &r->last, -1);
	} else if (p.family == AF_INET6 && p.len <= 126) {
		addr_step(AF_INET6, &r->first, 1);
	}
	x->pool_line[c->n_pools] = x->line;
	x->pool_span[c->n_pools] = s;
	snprintf(x->pool_text[c->n_pools], TEXT_MAX, "%s", text);
	c->n_pools++;
	return 0;
}

static int set_home(struct ctx *x, char *v)
{
	struct mobd_config *c = x->c;
	struct mobd_home *h;
	struct mob_prefix_info p;
	char *words[4], *save = NULL, *w, orig[512];
	int n = 0, family;
	union mob_ip gw;
	bool lladdr;

	snprintf(orig, sizeof(orig), "%s", v);
	for (w = strtok_r(v, " \t\r\n\v\f", &save); w;
	     w = strtok_r(NULL, " \t\r\n\v\f", &save)) {
		if (n == (int)ARRAY_SIZE(words))
			break;
		words[n++] = w;
	}
	if (n != 1 && (n != 3 || strcmp(words[1], "gateway")))
		return bad(x, "'%s' is not CIDR [gateway ADDR]", orig);
	if (cidr(x, words[0], &p))
		return -EINVAL;
	if (c->n_homes == MOBD_HOMES_MAX)
		return bad(x, "more than %d prefixes", MOBD_HOMES_MAX);

	h = &c->homes[c->n_homes];
	memset(h, 0, sizeof(*h));
	h->prefix = p;
	if (n == 3) {
		if (mob_parse_addr(words[2], "", &family, &gw, NULL))
			return bad(x, "gateway '%s' is not an address", words[2]);
		if (family != p.family)
			return bad(x, "gateway '%s' is not %s like %s", words[2],
				   family_name(p.family), words[0]);
		/* An IPv6 gateway may be link-local: it lives on each port. */
		lladdr = family == AF_INET6 && gw.raw[0] == 0xfe &&
			 (gw.raw[1] & 0xc0) == 0x80;
		if (!lladdr && !prefix_has(&p, family, &gw))
			return bad(x, "gateway '%s' is outside %s", words[2],
				   words[0]);
		h->has_gateway = true;
		h->gateway = gw;
	}
	x->home_line[c->n_homes] = x->line;
	snprintf(x->home_text[c->n_homes], TEXT_MAX, "%s", words[0]);
	c->n_homes++;
	return 0;
}

static int set_etcd(struct ctx *x, char *v)
{
	struct mobd_config *c = x->c;
	const char *host;

	if (!strcmp(v, "none")) {
		if (c->n_etcd)
			return bad(x, "'none' cannot be combined with endpoints");
		x->etcd_none_line = x->line;
		return 0;
	}
	if (x->etcd_none_line)
		return bad(x, "'%s' cannot be combined with 'none' (line %u)", v,
			   x->etcd_none_line);
	if (!strncmp(v, "http://", 7))
		host = v + 7;
	else if (!strncmp(v, "https://", 8))
		host = v + 8;
	else
		host = NULL;
	if (!host || !*host || *host == '/' || strpbrk(v, " \t"))
		return bad(x, "'%s' is not an http:// or https:// URL", v);
	if (c->n_etcd == MOBD_ETCD_MAX)
		return bad(x, "more than %d endpoints", MOBD_ETCD_MAX);
	if (copy(x, c->etcd[c->n_etcd], sizeof(c->etcd[0]), v))
		return -EINVAL;
	c->n_etcd++;
	return 0;
}

static int set_etcd_prefix(struct ctx *x, char *v)
{
	if (strpbrk(v, " \t\r\n\v\f"))
		return bad(x, "'%s' contains white space", v);
	/* Keys are PREFIX "vm/" ...: "/mob" would give "/mobvm/". */
	if (v[strlen(v) - 1] != '/')
		return bad(x, "'%s' does not end with '/'", v);
	return copy(x, x->c->etcd_prefix, sizeof(x->c->etcd_prefix), v);
}

static int set_etcd_cacert(struct ctx *x, char *v)
{
	return copy_path(x, x->c->etcd_cacert, sizeof(x->c->etcd_cacert), v);
}

static int set_etcd_cert(struct ctx *x, char *v)
{
	return copy_path(x, x->c->etcd_cert, sizeof(x->c->etcd_cert), v);
}

static int set_etcd_key(struct ctx *x, char *v)
{
	return copy_path(x, x->c->etcd_key, sizeof(x->c->etcd_key), v);
}

static int set_etcd_timeout(struct ctx *x, char *v)
{
	return number(x, v, 100, 600000, &x->c->etcd_timeout_ms);
}

static int set_lease_ttl(struct ctx *x, char *v)
{
	return number(x, v, 2, 3600, &x->c->lease_ttl);
}

static int set_moa_hold(struct ctx *x, char *v)
{
	return number(x, v, 0, 86400, &x->c->moa_hold);
}

static int set_orphan_hold(struct ctx *x, char *v)
{
	return number(x, v, 0, 86400, &x->c->orphan_hold);
}

enum {
	K_HYPERVISOR, K_LIBVIRT, K_CONTROL_SOCKET, K_CONTROL_GROUP,
	K_STATE_DIR, K_LOG_LEVEL, K_VM_PORTS, K_LEARN, K_POOL, K_HOME,
	K_ETCD, K_ETCD_PREFIX, K_ETCD_CACERT, K_ETCD_CERT, K_ETCD_KEY,
	K_ETCD_TIMEOUT, K_LEASE_TTL, K_MOA_HOLD, K_ORPHAN_HOLD, K_COUNT
};

static const struct key keys[K_COUNT] = {
	[K_HYPERVISOR] = { "hypervisor", set_hypervisor, false },
	[K_LIBVIRT] = { "libvirt", set_libvirt, false },
	[K_CONTROL_SOCKET] = { "control-socket", set_control_socket, false },
	[K_CONTROL_GROUP] = { "control-group", set_control_group, false },
	[K_STATE_DIR] = { "state-dir", set_state_dir, false },
	[K_LOG_LEVEL] = { "log-level", set_log_level, false },
	[K_VM_PORTS] = { "vm-ports", set_vm_ports, true },
	[K_LEARN] = { "learn", set_learn, false },
	[K_POOL] = { "pool", set_pool, true },
	[K_HOME] = { "home", set_home, true },
	[K_ETCD] = { "etcd", set_etcd, true },
	[K_ETCD_PREFIX] = { "etcd-prefix", set_etcd_prefix, false },
	[K_ETCD_CACERT] = { "etcd-cacert", set_etcd_cacert, false },
	[K_ETCD_CERT] = { "etcd-cert", set_etcd_cert, false },
	[K_ETCD_KEY] = { "etcd-key", set_etcd_key, false },
	[K_ETCD_TIMEOUT] = { "etcd-timeout", set_etcd_timeout, false },
	[K_LEASE_TTL] = { "lease-ttl", set_lease_ttl, false },
	[K_MOA_HOLD] = { "moa-hold", set_moa_hold, false },
	[K_ORPHAN_HOLD] = { "orphan-hold", set_orphan_hold, false },
};

_Static_assert(K_COUNT <= ARRAY_SIZE(((struct ctx *)0)->seen),
	       "struct ctx keeps a line per key");

/* The first time a list is given, it replaces the default. */
static void list_reset(struct mobd_config *c, int k)
{
	switch (k) {
	case K_VM_PORTS:
		c->n_port_globs = 0;
		break;
	case K_POOL:
		c->n_pools = 0;
		break;
	case K_HOME:
		c->n_homes = 0;
		break;
	case K_ETCD:
		c->n_etcd = 0;
		break;
	}
}

static int parse_line(struct ctx *x, char *s)
{
	char *hash, *eq, *k, *v;
	int i;

	hash = strchr(s, '#');
	if (hash)
		*hash = '\0';
	s = trim(s);
	if (!*s)
		return 0;
	eq = strchr(s, '=');
	if (!eq) {
		say(x, x->line, "missing '=' in '%s' (expected KEY = VALUE)", s);
		return -EINVAL;
	}
	*eq = '\0';
	k = trim(s);
	v = trim(eq + 1);
	if (!*k) {
		say(x, x->line, "missing key before '='");
		return -EINVAL;
	}
	for (i = 0; i < K_COUNT; i++)
		if (!strcmp(k, keys[i].name))
			break;
	if (i == K_COUNT) {
		say(x, x->line, "unknown key '%s'", k);
		return -EINVAL;
	}
	x->key = &keys[i];
	if (!*v)
		return bad(x, "missing value");
	if (x->seen[i] && !keys[i].list && !x->dup_line[i]) {
		x->dup_line[i] = x->line;
		x->dup_first[i] = x->seen[i];
	}
	if (!x->seen[i] && keys[i].list)
		list_reset(x->c, i);
	x->seen[i] = x->line;
	return keys[i].set(x, v);
}

static void check_whole(struct ctx *x)
{
	const struct mobd_config *c = x->c;
	struct span hs;
	int i, j;

	for (i = 0; i < K_COUNT; i++)
		if (x->dup_line[i])
			late(x, x->dup_line[i], "%s: set again (first on line %u)",
			     keys[i].name, x->dup_first[i]);

	for (i = 0; i < c->n_homes; i++) {
		for (j = 0; j < i; j++) {
			struct span a, b;

			prefix_span(&c->homes[i].prefix, &a);
			prefix_span(&c->homes[j].prefix, &b);
			if (spans_overlap(&a, &b))
				late(x, x->home_line[i],
				     "home: '%s' overlaps the home prefix on line %u",
				     x->home_text[i], x->home_line[j]);
		}
	}

	for (i = 0; i < c->n_pools; i++) {
		bool family_ok = false;

		for (j = 0; j < i; j++)
			if (spans_overlap(&x->pool_span[i], &x->pool_span[j]))
				late(x, x->pool_line[i],
				     "pool: '%s' overlaps the pool on line %u",
				     x->pool_text[i], x->pool_line[j]);
		for (j = 0; j < c->n_homes; j++) {
			prefix_span(&c->homes[j].prefix, &hs);
			if (hs.family == x->pool_span[i].family)
				family_ok = true;
			if (!spans_overlap(&x->pool_span[i], &hs))
				continue;
			if (x->pool_line[i] > x->home_line[j])
				late(x, x->pool_line[i],
				     "pool: '%s' overlaps the home prefix on line %u",
				     x->pool_text[i], x->home_line[j]);
			else
				late(x, x->home_line[j],
				     "home: '%s' overlaps the pool on line %u",
				     x->home_text[j], x->pool_line[i]);
		}
		if (!family_ok)
			late(x, x->pool_line[i],
			     "pool: '%s' is %s but no home prefix is",
			     x->pool_text[i], family_name(x->pool_span[i].family));
	}

	if (x->seen[K_ETCD_CERT] && !c->etcd_key[0])
		late(x, x->seen[K_ETCD_CERT], "etcd-cert: given without etcd-key");
	if (x->seen[K_ETCD_KEY] && !c->etcd_cert[0])
		late(x, x->seen[K_ETCD_KEY], "etcd-key: given without etcd-cert");
}

void mobd_config_defaults(struct mobd_config *c)
{
	char host[256] = "";
	size_t n;

	memset(c, 0, sizeof(*c));
	if (gethostname(host, sizeof(host) - 1))
		host[0] = '\0';
	for (n = 0; n < sizeof(c->hypervisor) - 1 && name_char(host[n]); n++)
		;
	host[n] = '\0';
	if (!n || !strcmp(host, ".") || !strcmp(host, ".."))
		strcpy(host, "localhost");
	strcpy(c->hypervisor, host);
	strcpy(c->libvirt_uri, "qemu:///system");
	strcpy(c->control_socket, "/run/mob/mobd.sock");
	strcpy(c->state_dir, "/var/lib/mob");
	c->log_level = LOG_INFO;
	c->n_port_globs = 1;
	strcpy(c->port_globs[0], "vnet*");
	c->learn = MOBD_LEARN_METADATA;
	strcpy(c->etcd_prefix, "/mob/");
	c->etcd_timeout_ms = 2000;
	c->lease_ttl = 10;
	c->moa_hold = 30;
	c->orphan_hold = 600;
	c->claim_batch = 64;
}

int mobd_config_parse(struct mobd_config *c, FILE *f, const char *name,
		      char *err, size_t errlen)
{
	struct ctx *x;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;

	if (err && errlen)
		err[0] = '\0';
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->c = c;
	x->name = name;
	x->err = err;
	x->errlen = errlen;
	for (;;) {
		errno = 0;
		len = getline(&buf, &cap, f);
		if (len < 0)
			break;
		x->line++;
		if (strlen(buf) != (size_t)len) {
			say(x, x->line, "NUL byte in line");
			ret = -EINVAL;
			goto out;
		}
		ret = parse_line(x, buf);
		if (ret)
			goto out;
	}
	if (ferror(f)) {
		ret = errno ? -errno : -EIO;
		say(x, x->line + 1, "read error: %s", strerror(-ret));
		goto out;
	}
	check_whole(x);
	if (x->late_line)
		ret = -EINVAL;
out:
	free(buf);
	free(x);
	return ret;
}

int mobd_config_load(struct mobd_config *c, const char *path,
		     char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	int ret;

	if (!f) {
		ret = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	ret = mobd_config_parse(c, f, path, err, errlen);
	fclose(f);
	return ret;
}

bool mobd_config_is_vm_port(const struct mobd_config *c, const char *ifname)
{
	int i;

	for (i = 0; i < c->n_port_globs; i++)
		if (!fnmatch(c->port_globs[i], ifname, 0))
			return true;
	return false;
}

const struct mobd_home *mobd_config_home_of(const struct mobd_config *c,
					    int family,
					    const union mob_ip *addr)
{
	int i;

	for (i = 0; i < c->n_homes; i++)
		if (prefix_has(&c->homes[i].prefix, family, addr))
			return &c->homes[i];
	return NULL;
}
