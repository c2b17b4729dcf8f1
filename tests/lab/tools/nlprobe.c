// SPDX-License-Identifier: GPL-2.0
/*
 * nlprobe: sends the module requests that must fail, and checks each one
 * fails with the right errno, says why (extended ACK), and changes nothing.
 *
 *   nlprobe IFNAME     IFNAME: an interface of this namespace (for dev)
 *
 * Run in a fresh namespace with the module loaded.  It builds its own
 * requests with libmnl rather than using the project's helper, so it can
 * send what no well-behaved client would.  Prints one line per case and
 * "RESULT: passed=N failed=M".
 */
#include <errno.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/mob.h>

static struct mnl_socket *nl;
static uint16_t family_id;
static unsigned int seq = 1;
static char extack[256];
static int passed, failed;

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			family_id = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static struct nlmsghdr *start(char *buf, uint16_t type, uint8_t cmd,
			      uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq++;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = type == GENL_ID_CTRL ? 1 : MOB_GENL_VERSION;
	return nlh;
}

/* Pulls the text out of an extended ACK. */
static int ack_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	unsigned int off = sizeof(*e);
	struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	mnl_attr_for_each(a, nlh, off)
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG)
			snprintf(extack, sizeof(extack), "%s",
				 mnl_attr_get_str(a));
	/* Replacing libmnl's handler means setting errno ourselves. */
	errno = -e->error;
	return e->error ? MNL_CB_ERROR : MNL_CB_STOP;
}

/* With a control array, libmnl only ends a dump if DONE has a handler. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_STOP;
}

static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = ack_cb,
	[NLMSG_DONE] = done_cb,
};

/* Sends and returns 0 or the negative errno; data messages go to cb. */
static int talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int ret;

	extack[0] = 0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ret = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret < 0)
			return -errno;
		ret = mnl_cb_run2(buf, (size_t)ret, nlh->nlmsg_seq,
				  mnl_socket_get_portid(nl), cb, data, ctl,
				  NLMSG_MIN_TYPE);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

/* The namespace's configuration as one string, to compare. */
struct snap {
	char text[8192];
	size_t len;
};

static void snap_addr(struct snap *s, const struct nlattr *a)
{
	char b[INET6_ADDRSTRLEN];

	inet_ntop(mnl_attr_get_payload_len(a) == 4 ? AF_INET : AF_INET6,
		  mnl_attr_get_payload(a), b, sizeof(b));
	s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len,
				   "%d=%s ", mnl_attr_get_type(a), b);
}

static int snap_cb(const struct nlmsghdr *nlh, void *data)
{
	struct snap *s = data;
	struct nlattr *top, *a;

	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr)) {
		/* Without NLA_F_NESTED, which the kernel sets on nests. */
		uint16_t tt = mnl_attr_get_type(top);

		mnl_attr_for_each_nested(a, top) {
			uint16_t t = mnl_attr_get_type(a);

			if (t == MOB_BINDING_A_STATS && tt == MOB_A_BINDING)
				continue;	/* counters may move */
			if (tt == MOB_A_ALIAS &&
			    (t == MOB_ALIAS_A_EXPIRES || t == MOB_ALIAS_A_PACKETS))
				continue;	/* so may time and counters */
			if (mnl_attr_get_payload_len(a) == 4 &&
			    (tt == MOB_A_PREFIX ? t == MOB_PREFIX_A_ADDR4 :
			     tt == MOB_A_ALIAS ? t != MOB_ALIAS_A_TIMEOUT :
			     t != MOB_BINDING_A_IFINDEX))
				snap_addr(s, a);
			else if (mnl_attr_get_payload_len(a) == 16)
				snap_addr(s, a);
			else
				s->len += (size_t)snprintf(s->text + s->len,
					sizeof(s->text) - s->len, "%d:%u ", t,
					mnl_attr_get_payload_len(a) == 1 ?
					mnl_attr_get_u8(a) : mnl_attr_get_u32(a));
		}
		s->len += (size_t)snprintf(s->text + s->len,
					   sizeof(s->text) - s->len, "| ");
	}
	return MNL_CB_OK;
}

static void snapshot(struct snap *s)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	memset(s, 0, sizeof(*s));
	talk(start(buf, family_id, MOB_CMD_BINDING_GET, NLM_F_DUMP), snap_cb, s);
	talk(start(buf, family_id, MOB_CMD_PREFIX_GET, NLM_F_DUMP), snap_cb, s);
	talk(start(buf, family_id, MOB_CMD_ALIAS_GET, NLM_F_DUMP), snap_cb, s);
	talk(start(buf, family_id, MOB_CMD_CONFIG_GET, 0), snap_cb, s);
}

static void in4(struct nlmsghdr *nlh, uint16_t type, const char *text)
{
	struct in_addr a;

	if (inet_pton(AF_INET, text, &a) != 1)
		abort();
	mnl_attr_put(nlh, type, 4, &a);
}

static void in6(struct nlmsghdr *nlh, uint16_t type, const char *text)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, text, &a) != 1)
		abort();
	mnl_attr_put(nlh, type, 16, &a);
}

/*
 * A binding request: NULL leaves an attribute out; kind 0 too.  FLAGS are
 * MOB_BINDING_F_*, sent as MOB_BINDING_A_FLAGS when not zero.
 */
static struct nlmsghdr *binding(char *buf, uint8_t cmd, uint32_t flags,
				const char *hoa, const char *moa, int kind,
				uint32_t ifindex)
{
	struct nlmsghdr *nlh = start(buf, family_id, cmd, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, MOB_A_BINDING);

	if (hoa)
		(strchr(hoa, ':') ? in6 : in4)(nlh, strchr(hoa, ':') ?
			MOB_BINDING_A_HOA6 : MOB_BINDING_A_HOA4, hoa);
	if (moa)
		(strchr(moa, ':') ? in6 : in4)(nlh, strchr(moa, ':') ?
			MOB_BINDING_A_MOA6 : MOB_BINDING_A_MOA4, moa);
	if (kind)
		mnl_attr_put_u8(nlh, MOB_BINDING_A_KIND, (uint8_t)kind);
	if (ifindex)
		mnl_attr_put_u32(nlh, MOB_BINDING_A_IFINDEX, ifindex);
	if (flags)
		mnl_attr_put_u32(nlh, MOB_BINDING_A_FLAGS, flags);
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

static struct nlmsghdr *prefix(char *buf, uint8_t cmd, const char *addr,
			       int len)
{
	struct nlmsghdr *nlh = start(buf, family_id, cmd, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, MOB_A_PREFIX);

	if (strchr(addr, ':'))
		in6(nlh, MOB_PREFIX_A_ADDR6, addr);
	else
		in4(nlh, MOB_PREFIX_A_ADDR4, addr);
	if (len >= 0)
		mnl_attr_put_u8(nlh, MOB_PREFIX_A_LEN, (uint8_t)len);
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

/* An address attribute of either family, as its text says. */
static void addr(struct nlmsghdr *nlh, uint16_t type4, uint16_t type6,
		 const char *text)
{
	if (strchr(text, ':'))
		in6(nlh, type6, text);
	else
		in4(nlh, type4, text);
}

/* An alias request: NULL leaves an address out, a zero timeout too. */
static struct nlmsghdr *alias(char *buf, uint8_t cmd, const char *moa,
			      const char *hoa, const char *target,
			      uint32_t timeout)
{
	struct nlmsghdr *nlh = start(buf, family_id, cmd, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, MOB_A_ALIAS);

	if (moa)
		addr(nlh, MOB_ALIAS_A_MOA4, MOB_ALIAS_A_MOA6, moa);
	if (hoa)
		addr(nlh, MOB_ALIAS_A_HOA4, MOB_ALIAS_A_HOA6, hoa);
	if (target)
		addr(nlh, MOB_ALIAS_A_TARGET4, MOB_ALIAS_A_TARGET6, target);
	if (timeout)
		mnl_attr_put_u32(nlh, MOB_ALIAS_A_TIMEOUT, timeout);
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

/* Appends one more attribute inside the request's (first) nest. */
static void nest_put(struct nlmsghdr *nlh, uint16_t type, size_t len,
		     const void *data)
{
	struct nlattr *nest = (struct nlattr *)((char *)nlh +
		sizeof(struct nlmsghdr) + sizeof(struct genlmsghdr));

	mnl_attr_put(nlh, type, len, data);
	nest->nla_len = (uint16_t)((char *)mnl_nlmsg_get_payload_tail(nlh) -
				   (char *)nest);
}

#define ADD 0
#define REPLACE MOB_BINDING_F_REPLACE
#define CHANGE (MOB_BINDING_F_REPLACE | MOB_BINDING_F_NOCREATE)

static void expect(const char *name, struct nlmsghdr *nlh, int want,
		   const char *why)
{
	struct snap before, after;
	char said[sizeof(extack)];
	int got;

	snapshot(&before);
	got = talk(nlh, NULL, NULL);
	memcpy(said, extack, sizeof(said));
	snapshot(&after);
	memcpy(extack, said, sizeof(said));
	if (got != -want) {
		printf("FAIL %s: errno %d (%s), want %d (%s); kernel says \"%s\"\n",
		       name, -got, strerror(-got), want, strerror(want), extack);
		failed++;
	} else if (want && why && !strstr(extack, why)) {
		printf("FAIL %s: kernel says \"%s\", want \"%s\"\n", name,
		       extack, why);
		failed++;
	} else if (want && (before.len != after.len ||
			    memcmp(before.text, after.text, before.len))) {
		printf("FAIL %s: failed but changed the table:\n  before %s\n"
		       "  after  %s\n", name, before.text, after.text);
		failed++;
	} else {
		printf("ok   %s (%s%s%s)\n", name, want ? strerror(want) : "done",
		       extack[0] ? ": " : "", extack);
		passed++;
	}
}

struct dump_state {
	unsigned int n;
	bool intr, ordered;
	uint32_t last;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_state *d = data;
	struct nlattr *top, *a;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->intr = true;
	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr))
		mnl_attr_for_each_nested(a, top)
			if (mnl_attr_get_type(a) == MOB_BINDING_A_HOA4) {
				uint32_t h = ntohl(mnl_attr_get_u32(a));

				if (d->n && h <= d->last)
					d->ordered = false;
				d->last = h;
				d->n++;
			}
	return MNL_CB_OK;
}

static struct nlmsghdr *numbered(char *buf, uint16_t flags, unsigned int i)
{
	char hoa[32], moa[32];

	snprintf(hoa, sizeof(hoa), "10.70.%u.%u", i / 250, 1 + i % 250);
	snprintf(moa, sizeof(moa), "10.3.%u.%u", i / 250, 1 + i % 250);
	return binding(buf, MOB_CMD_BINDING_NEW, flags, hoa, moa,
		       MOB_KIND_REMOTE, 0);
}

static void check(const char *name, bool ok, const char *detail)
{
	printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", name, ok ? "" : ": ",
	       ok ? "" : detail);
	if (ok)
		passed++;
	else
		failed++;
}

/*
 * A dump spans many reads.  Alone, it returns every binding once, in
 * order; when the table changes between two reads, what follows carries
 * NLM_F_DUMP_INTR.
 */
static void dump_phase(void)
{
	enum { N = 1500 };
	char buf[MNL_SOCKET_BUFFER_SIZE], rx[4096], buf2[MNL_SOCKET_BUFFER_SIZE];
	struct dump_state d = { .ordered = true };
	unsigned int dump_seq;
	struct mnl_socket *other;
	struct nlmsghdr *nlh;
	unsigned int i, reads = 0;
	int ret;

	for (i = 0; i < N; i++)
		if (talk(numbered(buf, ADD, (i * 7919) % N), NULL, NULL))
			break;
	check("dump: added 1500 bindings in random order", i == N, extack);
	talk(start(buf, family_id, MOB_CMD_BINDING_GET, NLM_F_DUMP), dump_cb,
	     &d);
	check("dump: every binding once", d.n == N, "count differs");
	check("dump: ascending HoA order", d.ordered, "out of order");
	check("dump: no interruption when nothing changes", !d.intr,
	      "NLM_F_DUMP_INTR set");

	/* Read one small buffer at a time; change the table in between. */
	other = mnl_socket_open(NETLINK_GENERIC);
	if (!other || mnl_socket_bind(other, 0, MNL_SOCKET_AUTOPID) < 0) {
		check("dump: second socket", false, strerror(errno));
		return;
	}
	memset(&d, 0, sizeof(d));
	nlh = start(buf, family_id, MOB_CMD_BINDING_GET, NLM_F_DUMP);
	dump_seq = nlh->nlmsg_seq;
	mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
	for (;;) {
		bool done = false;
		struct nlmsghdr *m;
		int len;

		len = (int)mnl_socket_recvfrom(nl, rx, sizeof(rx));
		if (len <= 0)
			break;
		if (++reads == 2) {
			m = numbered(buf2, ADD, N);
			mnl_socket_sendto(other, m, m->nlmsg_len);
			mnl_socket_recvfrom(other, buf2, sizeof(buf2));
		}
		/* libmnl stops at a message flagged NLM_F_DUMP_INTR (EINTR):
		 * note it, and read on to NLMSG_DONE so nothing is left. */
		ret = mnl_cb_run2(rx, (size_t)len, dump_seq,
				  mnl_socket_get_portid(nl), dump_cb, &d, ctl,
				  NLMSG_MIN_TYPE);
		if (ret < 0 && errno == EINTR)
			d.intr = true;
		for (m = (struct nlmsghdr *)rx; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len))
			done |= m->nlmsg_type == NLMSG_DONE;
		if (done)
			break;
	}
	mnl_socket_close(other);
	check("dump: spans several reads", reads > 3, "fitted in few reads");
	check("dump: a change in between sets NLM_F_DUMP_INTR", d.intr,
	      "never flagged");

	nlh = start(buf, family_id, MOB_CMD_BINDING_FLUSH, 0);
	check("dump: flush", talk(nlh, NULL, NULL) == 0, extack);
	memset(&d, 0, sizeof(d));
	talk(start(buf, family_id, MOB_CMD_BINDING_GET, NLM_F_DUMP), dump_cb,
	     &d);
	check("dump: empty after flush", d.n == 0, "bindings left");
}

/*
 * Aliases, with the table main() set up: home prefix 10.99.0.0/24, local
 * 10.99.0.11 -> 10.1.1.11, remote 10.99.0.12 -> 10.2.1.12 and, outside
 * the prefix, remote 10.60.0.5 -> 10.2.1.60.  Leaves four aliases.
 */
static void alias_phase(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	uint32_t u32;
	uint64_t u64;

	expect("set up: alias, next MoA of a remote VM", alias(buf,
	       MOB_CMD_ALIAS_NEW, "10.4.1.12", "10.99.0.12", NULL, 0), 0, NULL);
	expect("set up: alias forwarding to a target", alias(buf,
	       MOB_CMD_ALIAS_NEW, "10.1.1.40", "10.99.0.40", "10.2.1.40",
	       600000), 0, NULL);
	expect("set up: alias with a HoA outside the prefix", alias(buf,
	       MOB_CMD_ALIAS_NEW, "10.4.1.70", "10.80.0.70", NULL, 0), 0, NULL);
	expect("set up: IPv6 alias", alias(buf, MOB_CMD_ALIAS_NEW,
	       "fd00:4:1::12", "fd99::12", "fd00:2:1::12", 0), 0, NULL);

	/* The request itself. */
	expect("alias add without a nest",
	       start(buf, family_id, MOB_CMD_ALIAS_NEW, 0), EINVAL,
	       "Missing attribute");
	expect("alias add without its MoA", alias(buf, MOB_CMD_ALIAS_NEW, NULL,
	       "10.99.0.12", NULL, 0), EINVAL, "Alias (its MoA) is required");
	expect("alias add without a HoA", alias(buf, MOB_CMD_ALIAS_NEW,
	       "10.4.1.50", NULL, NULL, 0), EINVAL, "HoA is required");
	nlh = alias(buf, MOB_CMD_ALIAS_NEW, NULL, "10.99.0.50", NULL, 0);
	nest_put(nlh, MOB_ALIAS_A_MOA4, 5, "\x0a\x04\x01\x32\x00");
	expect("alias of 5 bytes", nlh, ERANGE, NULL);
	nlh = alias(buf, MOB_CMD_ALIAS_NEW, "10.4.1.50", "10.99.0.50", NULL, 0);
	nest_put(nlh, MOB_ALIAS_A_MOA6, 16, "\xfd\0\0\4\0\1\0\0\0\0\0\0\0\0\0\x50");
	expect("alias as IPv4 and IPv6 at once", nlh, EINVAL, "not both");
	nlh = alias(buf, MOB_CMD_ALIAS_NEW, "10.4.1.50", "10.99.0.50", NULL, 0);
	nest_put(nlh, MOB_ALIAS_A_HOA6, 16, "\xfd\x99\0\0\0\0\0\0\0\0\0\0\0\0\0\x50");
	expect("HoA as IPv4 and IPv6 at once", nlh, EINVAL, "not both");
	expect("alias and HoA of two families", alias(buf, MOB_CMD_ALIAS_NEW,
	       "10.4.1.50", "fd99::50", NULL, 0), EINVAL, "same family");
	expect("alias and target of two families", alias(buf,
	       MOB_CMD_ALIAS_NEW, "10.4.1.50", "10.99.0.50", "fd00:2::50", 0),
	       EINVAL, "same family");
	expect("alias equal to its HoA", alias(buf, MOB_CMD_ALIAS_NEW,
	       "10.50.0.1", "10.50.0.1", NULL, 0), EINVAL, "differ");
	expect("alias equal to its target", alias(buf, MOB_CMD_ALIAS_NEW,
	       "10.4.1.50", "10.99.0.50", "10.4.1.50", 0), EINVAL, "differ");
	expect("multicast alias", alias(buf, MOB_CMD_ALIAS_NEW, "224.0.0.5",
	       "10.99.0.50", NULL, 0), EINVAL, "Alias must be a global unicast");
	expect("loopback HoA of an alias", alias(buf, MOB_CMD_ALIAS_NEW,
	       "10.4.1.50", "127.0.0.2", NULL, 0), EINVAL,
	       "HoA must be a global unicast");
	expect("link-local target", alias(buf, MOB_CMD_ALIAS_NEW, "10.4.1.50",
	       "10.99.0.50", "169.254.1.1", 0), EINVAL,
	       "Target must be a global unicast");
	nlh = alias(buf, MOB_CMD_ALIAS_NEW, "10.4.1.50", "10.99.0.50", NULL, 0);
	u32 = 0;
	nest_put(nlh, MOB_ALIAS_A_TIMEOUT, 4, &u32);
	expect("timeout of zero", nlh, ERANGE, NULL);
	expect("timeout above the maximum", alias(buf, MOB_CMD_ALIAS_NEW,
	       "10.4.1.50", "10.99.0.50", NULL, MOB_ALIAS_TIMEOUT_MAX + 1),
	       ERANGE, NULL);
	nlh = alias(buf, MOB_CMD_ALIAS_NEW, "10.4.1.50", "10.99.0.50", NULL, 0);
	u32 = 1000;
	nest_put(nlh, MOB_ALIAS_A_EXPIRES, 4, &u32);
	expect("expiry given in a request", nlh, EINVAL, NULL);
	nlh = alias(buf, MOB_CMD_ALIAS_NEW, "10.4.1.50", "10.99.0.50", NULL, 0);
	u64 = 1;
	nest_put(nlh, MOB_ALIAS_A_PACKETS, 8, &u64);
	expect("packet count given in a request", nlh, EINVAL, NULL);

	/* Against the table. */
	expect("alias that is a binding's MoA", alias(buf, MOB_CMD_ALIAS_NEW,
	       "10.2.1.12", "10.99.0.12", NULL, 0), EEXIST, "MoA of a binding");
	expect("alias that is a binding's HoA", alias(buf, MOB_CMD_ALIAS_NEW,
	       "10.60.0.5", "10.99.0.50", NULL, 0), EEXIST, "HoA of a binding");
	expect("alias that is another alias's HoA", alias(buf,
	       MOB_CMD_ALIAS_NEW, "10.80.0.70", "10.99.0.50", NULL, 0), EEXIST,
	       "HoA of another alias");
	expect("alias inside a home prefix", alias(buf, MOB_CMD_ALIAS_NEW,
	       "10.99.0.200", "10.99.0.12", NULL, 0), EINVAL, "home prefix");
	expect("alias that is another alias's target", alias(buf,
	       MOB_CMD_ALIAS_NEW, "10.2.1.40", "10.99.0.50", NULL, 0), EINVAL,
	       "target of another alias");
	expect("HoA of an alias that is a binding's MoA", alias(buf,
	       MOB_CMD_ALIAS_NEW, "10.4.1.60", "10.2.1.60", NULL, 0), EINVAL,
	       "MoA of a binding");
	expect("HoA of an alias that is an alias", alias(buf,
	       MOB_CMD_ALIAS_NEW, "10.4.1.61", "10.4.1.12", NULL, 0), EINVAL,
	       "HoA is an alias");
	expect("HoA of an alias that is an alias's target", alias(buf,
	       MOB_CMD_ALIAS_NEW, "10.4.1.62", "10.2.1.40", NULL, 0), EINVAL,
	       "HoA is the target of an alias");
	expect("target inside a home prefix", alias(buf, MOB_CMD_ALIAS_NEW,
	       "10.4.1.80", "10.99.0.80", "10.99.0.81", 0), EINVAL,
	       "home address");
	expect("target that is a binding's HoA", alias(buf, MOB_CMD_ALIAS_NEW,
	       "10.4.1.80", "10.99.0.80", "10.60.0.5", 0), EINVAL,
	       "home address");
	expect("target that is the alias's own HoA", alias(buf,
	       MOB_CMD_ALIAS_NEW, "10.4.1.80", "10.50.0.80", "10.50.0.80", 0),
	       EINVAL, "home address");
	expect("target that is an alias's HoA", alias(buf, MOB_CMD_ALIAS_NEW,
	       "10.4.1.80", "10.99.0.80", "10.80.0.70", 0), EINVAL,
	       "home address");
	expect("target that is an alias (a chain)", alias(buf,
	       MOB_CMD_ALIAS_NEW, "10.4.1.80", "10.99.0.80", "10.4.1.12", 0),
	       EINVAL, "alias itself");
	expect("delete an absent alias", alias(buf, MOB_CMD_ALIAS_DEL,
	       "10.4.1.81", NULL, NULL, 0), ENOENT, "No such alias");
	expect("delete a binding's MoA as an alias", alias(buf,
	       MOB_CMD_ALIAS_DEL, "10.2.1.12", NULL, NULL, 0), ENOENT,
	       "No such alias");
	expect("delete an alias naming its HoA too", alias(buf,
	       MOB_CMD_ALIAS_DEL, "10.4.1.12", "10.99.0.12", NULL, 0), EINVAL,
	       NULL);
	expect("delete without the alias", alias(buf, MOB_CMD_ALIAS_DEL, NULL,
	       NULL, NULL, 0), EINVAL, "required");
	expect("get an absent alias", alias(buf, MOB_CMD_ALIAS_GET,
	       "10.4.1.81", NULL, NULL, 0), ENOENT, "No such alias");
	nlh = alias(buf, MOB_CMD_ALIAS_GET, "10.4.1.12", NULL, NULL, 0);
	nlh->nlmsg_flags |= NLM_F_DUMP;
	/* No message required: 6.1 gives a dump's start no extack. */
	expect("alias dump with an attribute", nlh, EINVAL, NULL);
	nlh = alias(buf, MOB_CMD_ALIAS_FLUSH, "10.4.1.12", NULL, NULL, 0);
	expect("alias flush with an attribute", nlh, EINVAL, NULL);

	/* Bindings and home prefixes against aliases. */
	expect("binding onto an alias of another HoA", binding(buf,
	       MOB_CMD_BINDING_NEW, ADD, "10.99.0.13", "10.4.1.12",
	       MOB_KIND_REMOTE, 0), EEXIST, "alias of another HoA");
	expect("binding whose HoA is an alias", binding(buf,
	       MOB_CMD_BINDING_NEW, ADD, "10.4.1.70", "10.2.1.99",
	       MOB_KIND_REMOTE, 0), EINVAL, "HoA is an alias");
	expect("binding whose MoA is an alias's HoA", binding(buf,
	       MOB_CMD_BINDING_NEW, ADD, "10.99.0.14", "10.80.0.70",
	       MOB_KIND_REMOTE, 0), EINVAL, "HoA of an alias");
	expect("binding whose HoA is an alias's target", binding(buf,
	       MOB_CMD_BINDING_NEW, ADD, "10.2.1.40", "10.2.1.41",
	       MOB_KIND_REMOTE, 0), EINVAL, "target of an alias");
	expect("prefix holding an alias", prefix(buf, MOB_CMD_PREFIX_NEW,
	       "10.4.0.0", 16), EINVAL, "contains an alias");
	expect("prefix holding an alias's target", prefix(buf,
	       MOB_CMD_PREFIX_NEW, "10.2.1.40", 32), EINVAL,
	       "target of an alias");

	/* What succeeds. */
	expect("an alias replaced whole", alias(buf, MOB_CMD_ALIAS_NEW,
	       "10.4.1.12", "10.99.0.12", NULL, 600000), 0, NULL);
	expect("a binding takes its alias's place", binding(buf,
	       MOB_CMD_BINDING_NEW, REPLACE, "10.99.0.12", "10.4.1.12",
	       MOB_KIND_REMOTE, 0), 0, NULL);
	expect("... and the alias is gone", alias(buf, MOB_CMD_ALIAS_GET,
	       "10.4.1.12", NULL, NULL, 0), ENOENT, "No such alias");
	expect("set up: the binding back to its MoA", binding(buf,
	       MOB_CMD_BINDING_NEW, REPLACE, "10.99.0.12", "10.2.1.12",
	       MOB_KIND_REMOTE, 0), 0, NULL);
	expect("set up: a fourth alias", alias(buf, MOB_CMD_ALIAS_NEW,
	       "10.4.1.99", "10.99.0.99", NULL, 0), 0, NULL);
}

int main(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	uint32_t ifindex;
	int i;

	if (argc != 2 || !(ifindex = if_nametoindex(argv[1]))) {
		fprintf(stderr, "usage: nlprobe IFNAME (an existing interface)\n");
		return 2;
	}
	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nlprobe: netlink");
		return 2;
	}
	i = 1;
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &i, sizeof(i));
	nlh = start(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, MOB_GENL_NAME);
	if (talk(nlh, family_cb, NULL) || !family_id) {
		fprintf(stderr, "nlprobe: family \"mob\" not found: is the module loaded?\n");
		return 2;
	}

	dump_phase();

	/* State the failures must leave alone. */
	expect("set up: home prefix", prefix(buf, MOB_CMD_PREFIX_NEW,
					     "10.99.0.0", 24), 0, NULL);
	expect("set up: local binding", binding(buf, MOB_CMD_BINDING_NEW, ADD,
		"10.99.0.11", "10.1.1.11", MOB_KIND_LOCAL, ifindex), 0, NULL);
	expect("set up: remote binding", binding(buf, MOB_CMD_BINDING_NEW, ADD,
		"10.99.0.12", "10.2.1.12", MOB_KIND_REMOTE, 0), 0, NULL);
	expect("set up: binding outside the home prefix", binding(buf,
		MOB_CMD_BINDING_NEW, ADD, "10.60.0.5", "10.2.1.60",
		MOB_KIND_REMOTE, 0), 0, NULL);

	/* Malformed requests. */
	expect("new without a binding nest",
	       start(buf, family_id, MOB_CMD_BINDING_NEW, ADD), EINVAL,
	       "Missing attribute");
	nlh = start(buf, family_id, MOB_CMD_BINDING_NEW, ADD);
	nest = mnl_attr_nest_start(nlh, MOB_A_BINDING);
	mnl_attr_put(nlh, MOB_BINDING_A_HOA4, 5, "\x0a\x63\x00\x15\x00");
	mnl_attr_nest_end(nlh, nest);
	expect("HoA of 5 bytes", nlh, ERANGE, NULL);
	nlh = binding(buf, MOB_CMD_BINDING_NEW, ADD, "10.99.0.20", "10.1.1.20",
		      MOB_KIND_LOCAL, 0);
	/* An attribute type beyond the nest's policy. */
	nest = (struct nlattr *)((char *)nlh + sizeof(struct nlmsghdr) +
				 sizeof(struct genlmsghdr));
	mnl_attr_put_u32(nlh, 30, 1);
	nest->nla_len = (uint16_t)((char *)mnl_nlmsg_get_payload_tail(nlh) -
				   (char *)nest);
	expect("unknown attribute inside the nest", nlh, EINVAL, NULL);
	nlh = binding(buf, MOB_CMD_BINDING_NEW, ADD, "10.99.0.20", "10.1.1.20",
		      MOB_KIND_LOCAL, 0);
	mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, MOB_A_STATS));
	expect("attribute the command does not take", nlh, EINVAL, NULL);
	nlh = binding(buf, MOB_CMD_BINDING_NEW, ADD, "10.99.0.20", "10.1.1.20",
		      MOB_KIND_LOCAL, 0);
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->reserved = 1;
	expect("reserved header field set", nlh, EINVAL, NULL);
	expect("HoA and MoA of both families", binding(buf, MOB_CMD_BINDING_NEW,
	       ADD, "10.99.0.20", "fd00::20", MOB_KIND_LOCAL, 0), EINVAL,
	       "same family");
	expect("missing MoA", binding(buf, MOB_CMD_BINDING_NEW, ADD,
	       "10.99.0.20", NULL, MOB_KIND_LOCAL, 0), EINVAL, "MoA is required");
	expect("missing HoA", binding(buf, MOB_CMD_BINDING_NEW, ADD, NULL,
	       "10.1.1.20", MOB_KIND_LOCAL, 0), EINVAL, "HoA is required");
	expect("missing kind", binding(buf, MOB_CMD_BINDING_NEW, ADD,
	       "10.99.0.20", "10.1.1.20", 0, 0), EINVAL, "kind");
	expect("kind out of range", binding(buf, MOB_CMD_BINDING_NEW, ADD,
	       "10.99.0.20", "10.1.1.20", 7, 0), ERANGE, NULL);
	expect("multicast HoA", binding(buf, MOB_CMD_BINDING_NEW, ADD,
	       "224.1.2.3", "10.1.1.20", MOB_KIND_LOCAL, 0), EINVAL, "unicast");
	expect("loopback MoA", binding(buf, MOB_CMD_BINDING_NEW, ADD,
	       "10.99.0.20", "127.0.0.1", MOB_KIND_LOCAL, 0), EINVAL, "unicast");
	expect("HoA equal to MoA", binding(buf, MOB_CMD_BINDING_NEW, ADD,
	       "10.50.0.1", "10.50.0.1", MOB_KIND_LOCAL, 0), EINVAL, "differ");
	expect("device that does not exist", binding(buf, MOB_CMD_BINDING_NEW,
	       ADD, "10.99.0.20", "10.1.1.20", MOB_KIND_LOCAL, 999999), ENODEV,
	       "No such device");
	expect("device on a remote binding", binding(buf, MOB_CMD_BINDING_NEW,
	       ADD, "10.99.0.20", "10.2.1.20", MOB_KIND_REMOTE, ifindex), EINVAL,
	       "local");

	/* Requests that conflict with the table. */
	expect("add an existing HoA", binding(buf, MOB_CMD_BINDING_NEW, ADD,
	       "10.99.0.11", "10.1.1.99", MOB_KIND_LOCAL, 0), EEXIST,
	       "already bound");
	expect("change of an unbound HoA", binding(buf,
	       MOB_CMD_BINDING_NEW, CHANGE, "10.99.0.20", "10.1.1.20",
	       MOB_KIND_LOCAL, 0), ENOENT, "not bound");
	expect("unknown binding flag", binding(buf, MOB_CMD_BINDING_NEW,
	       1U << 7, "10.99.0.20", "10.1.1.20", MOB_KIND_LOCAL, 0),
	       EOPNOTSUPP, "Unknown binding flags");
	nlh = binding(buf, MOB_CMD_BINDING_NEW, ADD, "10.99.0.20", "10.1.1.20",
		      MOB_KIND_LOCAL, 0);
	nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	expect("rtnetlink-style header flags", nlh, EINVAL, NULL);
	expect("MoA already in use", binding(buf, MOB_CMD_BINDING_NEW, ADD,
	       "10.99.0.20", "10.2.1.12", MOB_KIND_REMOTE, 0), EEXIST,
	       "another HoA");
	expect("replace onto another binding's MoA", binding(buf,
	       MOB_CMD_BINDING_NEW, REPLACE, "10.99.0.11", "10.2.1.12",
	       MOB_KIND_LOCAL, 0), EEXIST, "another HoA");
	expect("MoA that is another binding's HoA", binding(buf,
	       MOB_CMD_BINDING_NEW, ADD, "10.50.0.1", "10.60.0.5",
	       MOB_KIND_REMOTE, 0), EINVAL, "HoA of another");
	expect("HoA that is another binding's MoA", binding(buf,
	       MOB_CMD_BINDING_NEW, ADD, "10.2.1.12", "10.50.0.9",
	       MOB_KIND_REMOTE, 0), EINVAL, "MoA of another");
	expect("delete an unbound HoA", binding(buf, MOB_CMD_BINDING_DEL, 0,
	       "10.99.0.20", NULL, 0, 0), ENOENT, "not bound");
	expect("delete with a MoA attribute", binding(buf, MOB_CMD_BINDING_DEL,
	       0, "10.99.0.11", "10.1.1.11", 0, 0), EINVAL, NULL);
	expect("get an unbound HoA", binding(buf, MOB_CMD_BINDING_GET, 0,
	       "10.99.0.20", NULL, 0, 0), ENOENT, "not bound");
	expect("get with a kind", binding(buf, MOB_CMD_BINDING_GET, 0,
	       "10.99.0.11", NULL, MOB_KIND_LOCAL, 0), EINVAL, "dumps only");

	/* Home prefixes. */
	expect("prefix with host bits", prefix(buf, MOB_CMD_PREFIX_NEW,
	       "10.98.0.1", 24), EINVAL, "host bits");
	expect("IPv4 prefix longer than 32", prefix(buf, MOB_CMD_PREFIX_NEW,
	       "10.98.0.0", 33), EINVAL, "at most 32");
	expect("prefix longer than 128", prefix(buf, MOB_CMD_PREFIX_NEW,
	       "fd98::", 129), ERANGE, NULL);
	expect("prefix without a length", prefix(buf, MOB_CMD_PREFIX_NEW,
	       "10.98.0.0", -1), EINVAL, "length is required");
	expect("prefix already present", prefix(buf, MOB_CMD_PREFIX_NEW,
	       "10.99.0.0", 24), EEXIST, "already present");
	expect("prefix holding a MoA", prefix(buf, MOB_CMD_PREFIX_NEW,
	       "10.2.0.0", 16), EINVAL, "contains the MoA");
	expect("MoA inside a home prefix", binding(buf, MOB_CMD_BINDING_NEW,
	       ADD, "10.50.0.1", "10.99.0.200", MOB_KIND_REMOTE, 0), EINVAL,
	       "home prefix");
	expect("delete an absent prefix", prefix(buf, MOB_CMD_PREFIX_DEL,
	       "10.98.0.0", 24), ENOENT, "not present");

	alias_phase();

	/* Limits. */
	nlh = start(buf, family_id, MOB_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, MOB_A_CONFIG);
	mnl_attr_put_u32(nlh, MOB_CONFIG_A_MAX_BINDINGS, 1);
	mnl_attr_nest_end(nlh, nest);
	expect("maximum below the bindings present", nlh, EBUSY, "More bindings");
	/* Three bindings, four aliases. */
	nlh = start(buf, family_id, MOB_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, MOB_A_CONFIG);
	mnl_attr_put_u32(nlh, MOB_CONFIG_A_MAX_BINDINGS, 3);
	mnl_attr_nest_end(nlh, nest);
	expect("maximum below the aliases present", nlh, EBUSY, "More aliases");
	expect("set up: delete an alias", alias(buf, MOB_CMD_ALIAS_DEL,
	       "10.4.1.99", NULL, NULL, 0), 0, NULL);
	nlh = start(buf, family_id, MOB_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, MOB_A_CONFIG);
	mnl_attr_put_u32(nlh, MOB_CONFIG_A_MAX_BINDINGS, 0);
	mnl_attr_nest_end(nlh, nest);
	expect("maximum of zero", nlh, ERANGE, NULL);
	nlh = start(buf, family_id, MOB_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, MOB_A_CONFIG);
	mnl_attr_put_u32(nlh, MOB_CONFIG_A_MAX_BINDINGS, 3);
	mnl_attr_nest_end(nlh, nest);
	expect("set up: maximum of three", nlh, 0, NULL);
	expect("table full", binding(buf, MOB_CMD_BINDING_NEW, ADD,
	       "10.99.0.20", "10.1.1.20", MOB_KIND_LOCAL, 0), ENOSPC, "full");
	expect("change still allowed when full", binding(buf,
	       MOB_CMD_BINDING_NEW, CHANGE, "10.99.0.12", "10.3.1.12",
	       MOB_KIND_REMOTE, 0), 0, NULL);
	expect("alias table full", alias(buf, MOB_CMD_ALIAS_NEW, "10.4.1.98",
	       "10.99.0.98", NULL, 0), ENOSPC, "full");
	expect("alias replace still allowed when full", alias(buf,
	       MOB_CMD_ALIAS_NEW, "10.4.1.70", "10.80.0.70", NULL, 600000), 0,
	       NULL);
	for (i = 1; i < MOB_PREFIXES_MAX; i++) {
		char p[32];

		snprintf(p, sizeof(p), "10.%d.%d.0", 100 + i / 200, i % 200);
		if (talk(prefix(buf, MOB_CMD_PREFIX_NEW, p, 24), NULL, NULL))
			break;
	}
	expect("one home prefix too many", prefix(buf, MOB_CMD_PREFIX_NEW,
	       "172.16.0.0", 12), ENOSPC, "Too many");

	/* Commands that are not requests. */
	expect("an event command sent as a request",
	       start(buf, family_id, MOB_CMD_ANNOUNCE, 0), EOPNOTSUPP, NULL);
	expect("an unknown command", start(buf, family_id, 200, 0), EOPNOTSUPP,
	       NULL);
	nlh = start(buf, family_id, MOB_CMD_STATS_GET, 0);
	mnl_attr_put_u32(nlh, MOB_A_CONFIG, 1);
	expect("stats with an attribute", nlh, EINVAL, NULL);

	/* Without CAP_NET_ADMIN nothing is revealed or changed. */
	if (setresuid(65534, 65534, 65534)) {
		perror("nlprobe: setresuid");
		return 2;
	}
	expect("unprivileged add", binding(buf, MOB_CMD_BINDING_NEW, ADD,
	       "10.99.0.30", "10.1.1.30", MOB_KIND_LOCAL, 0), EPERM, NULL);
	expect("unprivileged get", binding(buf, MOB_CMD_BINDING_GET, 0,
	       "10.99.0.11", NULL, 0, 0), EPERM, NULL);
	expect("unprivileged dump", start(buf, family_id, MOB_CMD_BINDING_GET,
	       NLM_F_DUMP), EPERM, NULL);
	expect("unprivileged alias add", alias(buf, MOB_CMD_ALIAS_NEW,
	       "10.4.1.97", "10.99.0.97", NULL, 0), EPERM, NULL);
	expect("unprivileged alias delete", alias(buf, MOB_CMD_ALIAS_DEL,
	       "10.4.1.70", NULL, NULL, 0), EPERM, NULL);
	expect("unprivileged alias get", alias(buf, MOB_CMD_ALIAS_GET,
	       "10.4.1.70", NULL, NULL, 0), EPERM, NULL);
	expect("unprivileged alias dump", start(buf, family_id,
	       MOB_CMD_ALIAS_GET, NLM_F_DUMP), EPERM, NULL);
	expect("unprivileged alias flush", start(buf, family_id,
	       MOB_CMD_ALIAS_FLUSH, 0), EPERM, NULL);

	printf("RESULT: passed=%d failed=%d\n", passed, failed);
	mnl_socket_close(nl);
	return failed ? 1 : 0;
}
