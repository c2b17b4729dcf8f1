// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the module's packet core: parse, decide and
 * rewrite any bytes, as the kernel glue drives them, against a small table.
 * The first input byte picks the family, the hook, the input port and the
 * offload state; the rest is the packet, in a heap buffer of its exact
 * size so AddressSanitizer catches any read or write past its end.
 *
 *   make fuzz            (runs for FUZZ_SECONDS, seeded from the lab vectors)
 *
 * The table holds bindings and aliases of both kinds (a next MoA without
 * a target, an old MoA forwarding to a new one), among them those of the
 * alias matrix, whose packets seed the run.
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/mob.h>

#include "xlat_core.h"

/*
 * Bindings and aliases, the way the kernel's MoA table holds them: each
 * entry is an alias's core, whose target only aliases use.
 */
struct mob_net {
	struct mob_alias_core b[24];
	int n;
};

static struct mob_net hv;

static void set_addr(struct mob_addr *a, int fam, const char *text)
{
	a->family = (uint8_t)fam;
	inet_pton(fam, text, fam == AF_INET ? (void *)&a->ip : (void *)&a->ip6);
}

static void add(const char *hoa, const char *moa, uint8_t kind, int ifindex)
{
	struct mob_alias_core *e = &hv.b[hv.n++];
	int fam = strchr(hoa, ':') ? AF_INET6 : AF_INET;

	memset(e, 0, sizeof(*e));
	set_addr(&e->c.hoa, fam, hoa);
	set_addr(&e->c.moa, fam, moa);
	e->c.kind = kind;
	e->c.ifindex = ifindex;
}

/* An alias @moa of @hoa; with @target, packets to it are forwarded. */
static void add_alias(const char *moa, const char *hoa, const char *target)
{
	add(hoa, moa, MOB_KIND_ALIAS, 0);
	if (target)
		set_addr(&hv.b[hv.n - 1].target, strchr(hoa, ':') ? AF_INET6 :
			 AF_INET, target);
}

static const struct mob_bind_core *find(const struct mob_addr *a, bool moa)
{
	int i;

	for (i = 0; i < hv.n; i++) {
		const struct mob_bind_core *c = &hv.b[i].c;

		if (!moa && c->kind == MOB_KIND_ALIAS)
			continue;	/* aliases are found by MoA only */
		if (!memcmp(moa ? &c->moa : &c->hoa, a, sizeof(*a)))
			return c;
	}
	return NULL;
}

const struct mob_bind_core *mob_lookup_hoa(struct mob_net *mn,
					   const struct mob_addr *a)
{
	return find(a, false);
}

const struct mob_bind_core *mob_lookup_moa(struct mob_net *mn,
					   const struct mob_addr *a)
{
	return find(a, true);
}

/* Home prefixes 10.99.0.0/24 and fd99::/64 (the lab's). */
bool mob_in_home(struct mob_net *mn, const struct mob_addr *a)
{
	static const uint8_t v6[8] = { 0xfd, 0x99 };
	const uint8_t *b = (const uint8_t *)&a->ip;

	if (a->family == AF_INET)
		return b[0] == 10 && b[1] == 99 && b[2] == 0;
	return !memcmp(a->ip6.s6_addr, v6, 8);
}

bool mob_addr_is_local(struct mob_net *mn, const struct mob_addr *a)
{
	return false;
}

/* Linear bytes grow on demand, as pskb_may_pull would make them. */
static enum mob_parse_result parse(struct mob_pkt *p, const uint8_t *buf,
				   uint32_t len, uint8_t family, bool quick)
{
	uint32_t avail = len < 20 ? len : 20;
	enum mob_parse_result r;
	int rounds = 0;

	while ((r = quick ? mob_pkt_parse_quick(p, buf, avail, len, family) :
			    mob_pkt_parse(p, buf, avail, len, family)) ==
	       MOB_PARSE_NEED) {
		if (p->need <= avail || p->need > len ||
		    ++rounds > MOB_MAX_PULLS)
			abort();
		avail = p->need;
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Runs the bytes both ways, the full parse first as the reference, then
 * the kernel's order (quick parse, decide, full parse only to rewrite):
 * both must decide alike and write the same bytes.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mob_decision d, kd;
	enum mob_parse_result r, kr;
	struct mob_pkt p, kp;
	struct mob_meta meta;
	uint8_t *buf, *kbuf, sel, family;
	enum mob_hook hook;
	uint32_t len;

	if (!hv.n) {
		add("10.99.0.11", "10.1.1.11", MOB_KIND_LOCAL, 5);
		add("10.99.0.12", "10.2.1.12", MOB_KIND_REMOTE, 0);
		add("10.99.0.13", "10.1.1.13", MOB_KIND_LOCAL, 0);
		add("fd99::11", "fd00:1:1::11", MOB_KIND_LOCAL, 5);
		add("fd99::12", "fd00:2:1::12", MOB_KIND_REMOTE, 0);
		/* The next MoA of a remote VM; the old MoA of one that left. */
		add_alias("10.3.1.12", "10.99.0.12", NULL);
		add_alias("10.1.1.14", "10.99.0.14", "10.2.1.14");
		add_alias("fd00:3:1::12", "fd99::12", NULL);
		add_alias("fd00:1:1::14", "fd99::14", "fd00:2:1::14");
		/* The alias matrix's hypervisor (vectors.py --alias), so
		 * that its seeds start on aliases. */
		add("10.99.0.10", "198.51.100.10", MOB_KIND_LOCAL, 5);
		add("10.99.0.20", "198.51.100.20", MOB_KIND_REMOTE, 0);
		add("10.99.0.30", "198.51.100.31", MOB_KIND_REMOTE, 0);
		add_alias("198.51.100.21", "10.99.0.20", NULL);
		add_alias("198.51.100.30", "10.99.0.30", "198.51.100.31");
		add("fd99::10", "2001:db8:1::10", MOB_KIND_LOCAL, 5);
		add("fd99::20", "2001:db8:2::20", MOB_KIND_REMOTE, 0);
		add("fd99::30", "2001:db8:3::31", MOB_KIND_REMOTE, 0);
		add_alias("2001:db8:2::21", "fd99::20", NULL);
		add_alias("2001:db8:1::30", "fd99::30", "2001:db8:3::31");
	}
	if (size < 1)
		return 0;
	sel = data[0];
	len = (uint32_t)(size - 1);
	buf = malloc(len ? len : 1);
	kbuf = malloc(len ? len : 1);
	memcpy(buf, data + 1, len);
	memcpy(kbuf, data + 1, len);
	family = sel & 1 ? AF_INET6 : AF_INET;
	hook = (enum mob_hook)((sel >> 1) % 3);
	meta.in_ifindex = sel & 8 ? 5 : 1;
	meta.to_host = !(sel & 16);

	r = parse(&p, buf, len, family, false);
	memset(&d, 0, sizeof(d));
	if (r == MOB_PARSE_OK) {
		if (p.write_len > len)
			abort();
		mob_decide(&hv, hook, buf, &p, &meta, &d);
		if (d.verdict == MOB_REWRITE) {
			uint8_t *copy = malloc(len ? len : 1);

			memcpy(copy, buf, len);
			mob_rewrite(buf, &p, &d, sel & 32);
			/* Nothing past what the glue made writable changes. */
			if (len > p.write_len &&
			    memcmp(buf + p.write_len, copy + p.write_len,
				   len - p.write_len))
				abort();
			free(copy);
		}
	}

	kr = parse(&kp, kbuf, len, family, true);
	if ((kr == MOB_PARSE_OK) != (r == MOB_PARSE_OK))
		abort();
	/* A quick parse that found it all found what the full one did. */
	if (kr == MOB_PARSE_OK && !(kp.flags & MOB_PKT_QUICK)) {
		struct mob_pkt full;

		if (parse(&full, kbuf, len, family, false) != MOB_PARSE_OK ||
		    memcmp(&full, &kp, sizeof(full)))
			abort();
	}
	if (kr == MOB_PARSE_OK) {
		mob_decide(&hv, hook, kbuf, &kp, &meta, &kd);
		if (kd.verdict == MOB_REWRITE && kp.flags & MOB_PKT_QUICK) {
			if (parse(&kp, kbuf, len, family, false) != MOB_PARSE_OK)
				abort();
			mob_decide_recheck(&kd, &kp);
		}
		if (kd.verdict != d.verdict || kd.reason != d.reason ||
		    kd.event != d.event || kd.fwd != d.fwd)
			abort();
		/* A forward rewrites the destination and nothing else. */
		if (d.fwd && (d.set[MOB_F_SRC] || d.set[MOB_F_IN_SRC] ||
			      d.set[MOB_F_IN_DST]))
			abort();
		if (kd.verdict == MOB_REWRITE)
			mob_rewrite(kbuf, &kp, &kd, sel & 32);
		if (memcmp(buf, kbuf, len))
			abort();
	}
	free(kbuf);
	free(buf);
	return 0;
}
