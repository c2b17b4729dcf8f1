// SPDX-License-Identifier: GPL-2.0
/*
 * agent/mobd/etcd.c against a real etcd: /usr/bin/etcd started on free
 * ports of 127.0.0.1 with its data under build/test-etcd/ (the tests fail,
 * never skip, without it), plus a few canned servers for what a real etcd
 * will not do on demand (answers split into crumbs, garbage, silence).
 * Every test runs libvirt's default event loop until its callbacks fired.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libvirt/libvirt.h>

#include "etcd.h"
#include "log.h"
#include "suites.h"

#ifndef ETCD_BIN
#define ETCD_BIN	"/usr/bin/etcd"
#endif
#define TEST_DIR	"build/test-etcd"
#define WAIT_MS		5000

/* etcd processes */

struct etcd {
	pid_t pid;
	bool tls;
	char dir[128];
	char url[64];
	char err[512];
};

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd, port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (!bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

static void rm_tree(const char *dir)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static bool file_has(const char *path, const char *what)
{
	char buf[65536];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, what) != NULL;
}

static bool port_open(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	bool ok;
	int fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ok = fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof(a));
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * A CA, a server certificate for 127.0.0.1 and a client certificate.  The
 * server's must allow client authentication too: etcd 3.4's gateway dials
 * etcd's own gRPC port with it, and is refused otherwise ("connection
 * closed", HTTP 503, to every request).
 */
static int make_certs(struct etcd *p)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "cd %s && "
		 "printf 'subjectAltName=IP:127.0.0.1\\n"
		 "extendedKeyUsage=serverAuth,clientAuth\\n' > server.ext && "
		 "printf 'extendedKeyUsage=clientAuth\\n' > client.ext && "
		 "openssl req -x509 -newkey ec -pkeyopt "
		 "ec_paramgen_curve:prime256v1 -nodes -keyout ca.key "
		 "-out ca.crt -days 2 -subj /CN=mob-test-ca && "
		 "for n in server client; do "
		 "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
		 "-nodes -keyout $n.key -out $n.csr -subj /CN=mob-$n && "
		 "openssl x509 -req -in $n.csr -CA ca.crt -CAkey ca.key "
		 "-CAcreateserial -out $n.crt -days 2 -extfile $n.ext "
		 "|| exit 1; done",
		 p->dir);
	strcat(cmd, " >openssl.log 2>&1");
	if (system(cmd)) {
		snprintf(p->err, sizeof(p->err),
			 "openssl failed to make certificates: %s/openssl.log",
			 p->dir);
		return -1;
	}
	return 0;
}

static void etcd_exec(struct etcd *p, int cport, int pport)
{
	char data[192], lc[64], lp[64], ic[96], log[192], cert[192], key[192],
	     ca[192];
	int fd;

	snprintf(data, sizeof(data), "%s/data", p->dir);
	snprintf(lc, sizeof(lc), "%s://127.0.0.1:%d", p->tls ? "https" : "http",
		 cport);
	snprintf(lp, sizeof(lp), "http://127.0.0.1:%d", pport);
	snprintf(ic, sizeof(ic), "t=%s", lp);
	snprintf(log, sizeof(log), "%s/etcd.log", p->dir);
	snprintf(cert, sizeof(cert), "%s/server.crt", p->dir);
	snprintf(key, sizeof(key), "%s/server.key", p->dir);
	snprintf(ca, sizeof(ca), "%s/ca.crt", p->dir);
	/* Never outlive the test that started it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	if (p->tls)
		execl(ETCD_BIN, ETCD_BIN, "--name", "t", "--data-dir", data,
		      "--listen-client-urls", lc, "--advertise-client-urls", lc,
		      "--listen-peer-urls", lp,
		      "--initial-advertise-peer-urls", lp,
		      "--initial-cluster", ic, "--cert-file", cert,
		      "--key-file", key, "--client-cert-auth",
		      "--trusted-ca-file", ca, (char *)NULL);
	else
		execl(ETCD_BIN, ETCD_BIN, "--name", "t", "--data-dir", data,
		      "--listen-client-urls", lc, "--advertise-client-urls", lc,
		      "--listen-peer-urls", lp,
		      "--initial-advertise-peer-urls", lp,
		      "--initial-cluster", ic, (char *)NULL);
	_exit(127);
}

static void etcd_kill(struct etcd *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = 0;
	}
}

static void etcd_stop(struct etcd *p)
{
	etcd_kill(p);
	rm_tree(p->dir);
	p->dir[0] = '\0';
}

/* 0, or -1 with the reason in p->err. */
static int etcd_start(struct etcd *p, bool tls)
{
	char log[192];
	int attempt;

	memset(p, 0, sizeof(*p));
	p->tls = tls;
	if (access(ETCD_BIN, X_OK)) {
		snprintf(p->err, sizeof(p->err),
			 "%s is missing: install the etcd-server package",
			 ETCD_BIN);
		return -1;
	}
	mkdir("build", 0755);
	mkdir(TEST_DIR, 0755);
	snprintf(p->dir, sizeof(p->dir), "%s/etcd-XXXXXX", TEST_DIR);
	if (!mkdtemp(p->dir)) {
		snprintf(p->err, sizeof(p->err), "mkdtemp %s: %s", p->dir,
			 strerror(errno));
		p->dir[0] = '\0';
		return -1;
	}
	if (tls && make_certs(p))
		return -1;
	snprintf(log, sizeof(log), "%s/etcd.log", p->dir);
	/* A port found free may be taken before etcd binds it: retry. */
	for (attempt = 0; attempt < 3; attempt++) {
		int cport = free_port(), pport = free_port(), i;

		p->pid = fork();
		if (p->pid < 0) {
			snprintf(p->err, sizeof(p->err), "fork: %s",
				 strerror(errno));
			return -1;
		}
		if (!p->pid)
			etcd_exec(p, cport, pport);
		snprintf(p->url, sizeof(p->url), "%s://127.0.0.1:%d",
			 tls ? "https" : "http", cport);
		for (i = 0; i < 1000; i++) {
			if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
				p->pid = 0;
				break;
			}
			if (file_has(log, "ready to serve client requests") &&
			    port_open(cport))
				return 0;
			usleep(10000);
		}
		etcd_kill(p);
	}
	snprintf(p->err, sizeof(p->err), "etcd did not start, see %s", log);
	return -1;
}

/* The shared etcd of the "kv", "lease" and "watch" cases. */
static struct etcd shared;

static void shared_start(void)
{
	if (!shared.pid)
		etcd_start(&shared, false);
}

static void shared_stop(void)
{
	etcd_stop(&shared);
}

static void need_shared(void)
{
	ck_assert_msg(shared.pid > 0, "no etcd: %s", shared.err);
}

/* A blocking POST outside the client under test (compaction). */
static void http_post(const char *url, const char *body)
{
	CURL *c = curl_easy_init();
	long status = 0;
	CURLcode rc;
	FILE *null = fopen("/dev/null", "w");

	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, null);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	fclose(null);
	ck_assert_msg(rc == CURLE_OK && status == 200, "POST %s: %s, HTTP %ld",
		      url, curl_easy_strerror(rc), status);
}

/* The event loop */

static void tick(int timer, void *opaque)
{
}

static void loop_init(void)
{
	static bool done;
	const char *lvl = getenv("MOB_TEST_LOG");

	/* Quiet unless asked: the failure tests make the client warn. */
	mobd_log_set_level(lvl ? mobd_log_parse_level(lvl) : LOG_ERR);
	if (done)
		return;
	ck_assert_int_eq(virEventRegisterDefaultImpl(), 0);
	/* So that every wait notices its deadline. */
	ck_assert_int_ge(virEventAddTimeout(10, tick, NULL, NULL), 0);
	done = true;
}

static bool run_until(const int *count, int want, unsigned int ms)
{
	unsigned long long end = mobd_now_ms() + ms;

	while (*count < want && mobd_now_ms() < end)
		virEventRunDefaultImpl();
	return *count >= want;
}

static void run_for(unsigned int ms)
{
	int never = 0;

	run_until(&never, 1, ms);
}

/* Results */

struct kvc {
	char key[64];
	size_t key_len;
	char val[64];
	size_t val_len;
	int64_t create, mod, version, lease;
};

struct res {
	int calls;
	int err;
	int64_t rev;
	bool ok;
	bool has_cur;
	struct kvc cur;
	size_t n;
	struct kvc kvs[8];
	int64_t id, ttl;
	/* Free this client from the callback. */
	struct mobd_etcd *free_me;
};

static void kv_copy(struct kvc *c, const struct mobd_kv *kv)
{
	ck_assert_uint_lt(kv->key_len, sizeof(c->key));
	ck_assert_uint_lt(kv->value_len, sizeof(c->val));
	/* Both come NUL-terminated as well. */
	ck_assert_int_eq(kv->key[kv->key_len], '\0');
	ck_assert_int_eq(kv->value[kv->value_len], '\0');
	memcpy(c->key, kv->key, kv->key_len + 1);
	c->key_len = kv->key_len;
	memcpy(c->val, kv->value, kv->value_len + 1);
	c->val_len = kv->value_len;
	c->create = kv->create_revision;
	c->mod = kv->mod_revision;
	c->version = kv->version;
	c->lease = kv->lease;
}

static void range_cb(void *arg, int err, int64_t rev,
		     const struct mobd_kv *kvs, size_t n)
{
	struct res *r = arg;
	size_t i;

	r->calls++;
	r->err = err;
	r->rev = rev;
	r->n = n;
	ck_assert_uint_le(n, 8);
	for (i = 0; i < n; i++)
		kv_copy(&r->kvs[i], &kvs[i]);
	if (r->free_me)
		mobd_etcd_free(r->free_me);
}

static void txn_cb(void *arg, int err, bool succeeded, int64_t rev,
		   const struct mobd_kv *cur)
{
	struct res *r = arg;

	r->calls++;
	r->err = err;
	r->ok = succeeded;
	r->rev = rev;
	r->has_cur = cur != NULL;
	if (cur)
		kv_copy(&r->cur, cur);
}

static void put_cb(void *arg, int err, int64_t rev)
{
	struct res *r = arg;

	r->calls++;
	r->err = err;
	r->rev = rev;
}

static void lease_cb(void *arg, int err, int64_t id, int64_t ttl)
{
	struct res *r = arg;

	r->calls++;
	r->err = err;
	r->id = id;
	r->ttl = ttl;
}

static void wait_res(struct res *r)
{
	ck_assert_msg(run_until(&r->calls, 1, WAIT_MS), "no callback");
	ck_assert_int_eq(r->calls, 1);
}

static bool transport_err(int err)
{
	return err == -ECONNREFUSED || err == -EHOSTUNREACH ||
	       err == -ETIMEDOUT;
}

static struct mobd_etcd *client_tls(const char *const *eps, int n,
				    unsigned int timeout_ms, const char *ca,
				    const char *cert, const char *key)
{
	struct mobd_etcd_opts o = {
		.endpoints = eps, .n_endpoints = n, .cacert = ca,
		.cert = cert, .key = key, .timeout_ms = timeout_ms,
	};
	struct mobd_etcd *e = NULL;

	loop_init();
	ck_assert_int_eq(mobd_etcd_new(&e, &o), 0);
	ck_assert_ptr_nonnull(e);
	return e;
}

static struct mobd_etcd *client(const char *url)
{
	const char *eps[] = { url };

	return client_tls(eps, 1, 2000, NULL, NULL, NULL);
}

static int64_t do_put(struct mobd_etcd *e, const char *key, const char *val,
		      size_t len, int64_t lease)
{
	struct res r = { 0 };

	ck_assert_int_eq(mobd_etcd_put(e, key, val, len, lease, put_cb, &r),
			 0);
	wait_res(&r);
	ck_assert_msg(r.err == 0, "put %s: %s", key, strerror(-r.err));
	ck_assert_int_gt(r.rev, 0);
	return r.rev;
}

static int64_t put_str(struct mobd_etcd *e, const char *key, const char *val)
{
	return do_put(e, key, val, strlen(val), 0);
}

static void do_range(struct mobd_etcd *e, const char *prefix, struct res *r)
{
	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(mobd_etcd_range_prefix(e, prefix, range_cb, r), 0);
	wait_res(r);
	ck_assert_msg(r->err == 0, "range %s: %s", prefix, strerror(-r->err));
}

/* Canned servers, one thread each */

struct fake {
	int fd;
	int port;
	pthread_t th;
	const char *reply;	/* NULL: accept nothing, answer nothing */
	size_t piece;		/* send it in pieces this big */
	bool started;
};

static void read_request(int fd)
{
	char buf[8192], *end;
	size_t len = 0;
	long clen = 0;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n <= 0)
			return;
		len += n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		if (strcasestr(buf, "Content-Length:"))
			clen = atol(strcasestr(buf, "Content-Length:") + 15);
		if ((long)(len - (end + 4 - buf)) >= clen)
			return;
	}
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	size_t len = strlen(f->reply), off;
	int one = 1, c;

	c = accept(f->fd, NULL, NULL);
	if (c < 0)
		return NULL;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	read_request(c);
	for (off = 0; off < len; off += f->piece) {
		size_t n = len - off < f->piece ? len - off : f->piece;

		if (send(c, f->reply + off, n, MSG_NOSIGNAL) < 0)
			break;
		if (f->piece < len)
			usleep(2000);
	}
	shutdown(c, SHUT_RDWR);
	close(c);
	return NULL;
}

static void fake_start(struct fake *f, const char *reply, size_t piece)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);

	memset(f, 0, sizeof(*f));
	f->reply = reply;
	f->piece = piece ? piece : 65536;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(f->fd, 0);
	ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(f->fd, (struct sockaddr *)&a, &alen), 0);
	ck_assert_int_eq(listen(f->fd, 8), 0);
	f->port = ntohs(a.sin_port);
	if (reply) {
		ck_assert_int_eq(pthread_create(&f->th, NULL, fake_main, f),
				 0);
		f->started = true;
	}
}

static void fake_stop(struct fake *f)
{
	if (f->started)
		pthread_join(f->th, NULL);
	close(f->fd);
}

static void fake_url(const struct fake *f, char *buf, size_t len)
{
	snprintf(buf, len, "http://127.0.0.1:%d", f->port);
}

/* KV */

START_TEST(test_range_prefix)
{
	struct mobd_etcd *e;
	const char bin[] = { 'a', '\0', (char)0xff, 'z' };
	struct res r;
	int64_t last;

	need_shared();
	e = client(shared.url);
	put_str(e, "/rp/a", "1");
	put_str(e, "/rp/c/d", "3");
	do_put(e, "/rp/b", bin, sizeof(bin), 0);
	put_str(e, "/rpx", "not under /rp/");
	last = put_str(e, "/rp0", "not under /rp/ either");
	do_range(e, "/rp/", &r);
	ck_assert_int_ge(r.rev, last);
	ck_assert_uint_eq(r.n, 3);
	/* In key order. */
	ck_assert_str_eq(r.kvs[0].key, "/rp/a");
	ck_assert_str_eq(r.kvs[0].val, "1");
	ck_assert_str_eq(r.kvs[1].key, "/rp/b");
	ck_assert_uint_eq(r.kvs[1].val_len, sizeof(bin));
	ck_assert_mem_eq(r.kvs[1].val, bin, sizeof(bin));
	ck_assert_str_eq(r.kvs[2].key, "/rp/c/d");
	ck_assert_int_eq(r.kvs[2].version, 1);
	ck_assert_int_eq(r.kvs[2].lease, 0);
	ck_assert_int_eq(r.kvs[2].create, r.kvs[2].mod);
	ck_assert_int_lt(r.kvs[0].mod, r.kvs[2].mod);

	/* Nothing there: no kvs, but still the store's revision. */
	do_range(e, "/rp-none/", &r);
	ck_assert_uint_eq(r.n, 0);
	ck_assert_int_ge(r.rev, last);

	/* A prefix ending in 0xff: its range ends at the byte before. */
	put_str(e, "/rq/\xff\x01", "in");
	put_str(e, "/rq/\xff\xff", "in too");
	put_str(e, "/rq/\xfe", "out");
	put_str(e, "/rq0", "out");
	do_range(e, "/rq/\xff", &r);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_str_eq(r.kvs[0].val, "in");
	ck_assert_str_eq(r.kvs[1].val, "in too");

	/* An empty value. */
	do_put(e, "/rp-empty/k", "", 0, 0);
	do_range(e, "/rp-empty/", &r);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.kvs[0].val_len, 0);
	mobd_etcd_free(e);
}
END_TEST

START_TEST(test_cas_put)
{
	struct mobd_etcd *e;
	struct res r = { 0 };
	int64_t rev1, rev2;

	need_shared();
	e = client(shared.url);

	/* Create-only on a new key. */
	ck_assert_int_eq(mobd_etcd_cas_put(e, "/cas/k", "v1", 2, 0, 0, txn_cb,
					   &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert(r.ok);
	ck_assert(!r.has_cur);
	rev1 = r.rev;
	ck_assert_int_gt(rev1, 0);

	/* Create-only again: the key exists, and we are shown it. */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_cas_put(e, "/cas/k", "v2", 2, 0, 0, txn_cb,
					   &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert(!r.ok);
	ck_assert(r.has_cur);
	ck_assert_str_eq(r.cur.key, "/cas/k");
	ck_assert_str_eq(r.cur.val, "v1");
	ck_assert_int_eq(r.cur.mod, rev1);
	ck_assert_int_eq(r.cur.create, rev1);
	ck_assert_int_ge(r.rev, rev1);

	/* The right revision: swapped; the new one is the key's. */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_cas_put(e, "/cas/k", "v3", 2, 0, rev1,
					   txn_cb, &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert(r.ok);
	ck_assert(!r.has_cur);
	rev2 = r.rev;
	ck_assert_int_gt(rev2, rev1);

	/* A stale one: refused, with what is there now. */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_cas_put(e, "/cas/k", "v4", 2, 0, rev1,
					   txn_cb, &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert(!r.ok);
	ck_assert(r.has_cur);
	ck_assert_str_eq(r.cur.val, "v3");
	ck_assert_int_eq(r.cur.mod, rev2);
	ck_assert_int_eq(r.cur.create, rev1);
	ck_assert_int_eq(r.cur.version, 2);

	/* Expecting a revision of a key that does not exist. */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_cas_put(e, "/cas/none", "x", 1, 0, rev1,
					   txn_cb, &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert(!r.ok);
	ck_assert(!r.has_cur);
	mobd_etcd_free(e);
}
END_TEST

/* What a mobd_etcd_cas_put_many() callback got. */
struct many {
	int calls;
	int err;
	bool ok;
	int64_t rev;
	size_t n;
	bool has_cur[MOBD_ETCD_TXN_MAX];
	struct kvc cur[MOBD_ETCD_TXN_MAX];
};

static void many_cb(void *arg, int err, bool succeeded, int64_t rev,
		    const struct mobd_kv *const *cur, size_t n)
{
	struct many *m = arg;
	size_t i;

	m->calls++;
	m->err = err;
	m->ok = succeeded;
	m->rev = rev;
	m->n = n;
	ck_assert_uint_le(n, MOBD_ETCD_TXN_MAX);
	ck_assert(!succeeded || !cur);
	for (i = 0; cur && i < n; i++) {
		m->has_cur[i] = cur[i] != NULL;
		if (cur[i])
			kv_copy(&m->cur[i], cur[i]);
	}
}

static void many_wait(struct many *m)
{
	ck_assert_msg(run_until(&m->calls, 1, WAIT_MS), "no callback");
	ck_assert_int_eq(m->calls, 1);
}

static struct mobd_etcd_cas cas(const char *key, const char *val,
				int64_t expect)
{
	struct mobd_etcd_cas c = {
		.key = key, .value = val, .value_len = strlen(val),
		.expect = expect,
	};

	return c;
}

START_TEST(test_cas_put_many)
{
	struct mobd_etcd_cas ops[MOBD_ETCD_TXN_MAX + 1], also;
	char keys[MOBD_ETCD_TXN_MAX + 1][32];
	struct mobd_etcd *e;
	struct many m = { 0 };
	struct res r = { 0 };
	int64_t rev1, id;
	size_t i;

	need_shared();
	e = client(shared.url);

	/* Three new keys and an unconditional one: one revision. */
	ops[0] = cas("/many/a", "a1", 0);
	ops[1] = cas("/many/b", "b1", 0);
	ops[2] = cas("/many/c", "c1", 0);
	also = cas("/many/hv", "h1", 12345);	/* EXPECT ignored */
	ck_assert_int_eq(mobd_etcd_cas_put_many(e, ops, 3, &also, 0, many_cb,
						&m), 0);
	many_wait(&m);
	ck_assert_int_eq(m.err, 0);
	ck_assert(m.ok);
	ck_assert_uint_eq(m.n, 3);
	rev1 = m.rev;
	do_range(e, "/many/", &r);
	ck_assert_uint_eq(r.n, 4);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(r.kvs[i].mod, rev1);

	/* One comparison fails (b exists): nothing of the three is written,
	 * each key is shown as it is, and ALSO is written all the same. */
	memset(&m, 0, sizeof(m));
	ops[0] = cas("/many/a", "a2", rev1);
	ops[1] = cas("/many/b", "b2", 0);
	ops[2] = cas("/many/d", "d2", 0);
	also = cas("/many/hv", "h2", 0);
	ck_assert_int_eq(mobd_etcd_cas_put_many(e, ops, 3, &also, 0, many_cb,
						&m), 0);
	many_wait(&m);
	ck_assert_int_eq(m.err, 0);
	ck_assert(!m.ok);
	ck_assert_int_gt(m.rev, rev1);
	ck_assert(m.has_cur[0]);
	ck_assert_str_eq(m.cur[0].key, "/many/a");
	ck_assert_str_eq(m.cur[0].val, "a1");
	ck_assert_int_eq(m.cur[0].mod, rev1);
	ck_assert(m.has_cur[1]);
	ck_assert_str_eq(m.cur[1].val, "b1");
	ck_assert(!m.has_cur[2]);
	do_range(e, "/many/", &r);
	ck_assert_uint_eq(r.n, 4);
	ck_assert_str_eq(r.kvs[0].val, "a1");
	ck_assert_str_eq(r.kvs[3].key, "/many/hv");
	ck_assert_str_eq(r.kvs[3].val, "h2");
	ck_assert_int_eq(r.kvs[3].mod, m.rev);

	/* As many as it takes, without ALSO. */
	for (i = 0; i < MOBD_ETCD_TXN_MAX; i++) {
		snprintf(keys[i], sizeof(keys[i]), "/many/x/%zu", i);
		ops[i] = cas(keys[i], "x", 0);
	}
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(mobd_etcd_cas_put_many(e, ops, MOBD_ETCD_TXN_MAX,
						NULL, 0, many_cb, &m), 0);
	many_wait(&m);
	ck_assert_int_eq(m.err, 0);
	ck_assert(m.ok);

	/* Under a lease etcd does not have: -ENOENT. */
	memset(&m, 0, sizeof(m));
	ops[0] = cas("/many/l", "l", 0);
	ops[0].lease = 123456789;
	ck_assert_int_eq(mobd_etcd_cas_put_many(e, ops, 1, NULL, 0, many_cb,
						&m), 0);
	many_wait(&m);
	ck_assert_int_eq(m.err, -ENOENT);
	ck_assert(!m.ok);
	ck_assert_uint_eq(m.n, 1);

	/* A live lease is attached to every key. */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_lease_grant(e, 30, lease_cb, &r), 0);
	wait_res(&r);
	id = r.id;
	memset(&m, 0, sizeof(m));
	ops[0] = cas("/many/l/1", "l", 0);
	ops[1] = cas("/many/l/2", "l", 0);
	ops[0].lease = ops[1].lease = id;
	ck_assert_int_eq(mobd_etcd_cas_put_many(e, ops, 2, NULL, 0, many_cb,
						&m), 0);
	many_wait(&m);
	ck_assert(m.ok);
	do_range(e, "/many/l/", &r);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_int_eq(r.kvs[0].lease, id);
	ck_assert_int_eq(r.kvs[1].lease, id);

	/* Refused at once: none, too many, a key twice. */
	ck_assert_int_eq(mobd_etcd_cas_put_many(e, ops, 0, NULL, 0, many_cb,
						&m), -EINVAL);
	for (i = 0; i <= MOBD_ETCD_TXN_MAX; i++) {
		snprintf(keys[i], sizeof(keys[i]), "/many/y/%zu", i);
		ops[i] = cas(keys[i], "y", 0);
	}
	ck_assert_int_eq(mobd_etcd_cas_put_many(e, ops, MOBD_ETCD_TXN_MAX + 1,
						NULL, 0, many_cb, &m), -EINVAL);
	ops[1] = cas("/many/y/0", "y", 0);
	ck_assert_int_eq(mobd_etcd_cas_put_many(e, ops, 2, NULL, 0, many_cb,
						&m), -EINVAL);
	also = cas("/many/y/0", "y", 0);
	ck_assert_int_eq(mobd_etcd_cas_put_many(e, ops, 1, &also, 0, many_cb,
						&m), -EINVAL);
	mobd_etcd_free(e);
}
END_TEST

START_TEST(test_cas_del)
{
	struct mobd_etcd *e;
	struct res r = { 0 };
	int64_t rev;

	need_shared();
	e = client(shared.url);
	rev = put_str(e, "/cd/k", "v");

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_cas_del(e, "/cd/k", rev - 1, txn_cb, &r),
			 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert(!r.ok);
	ck_assert(r.has_cur);
	ck_assert_int_eq(r.cur.mod, rev);
	ck_assert_str_eq(r.cur.val, "v");

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_cas_del(e, "/cd/k", rev, txn_cb, &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert(r.ok);
	ck_assert_int_gt(r.rev, rev);
	do_range(e, "/cd/", &r);
	ck_assert_uint_eq(r.n, 0);

	/* Gone: a comparison with a revision fails, showing nothing. */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_cas_del(e, "/cd/k", rev, txn_cb, &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert(!r.ok);
	ck_assert(!r.has_cur);
	mobd_etcd_free(e);
}
END_TEST

START_TEST(test_put)
{
	struct mobd_etcd *e;
	struct res r = { 0 };
	int64_t a, b;

	need_shared();
	e = client(shared.url);
	a = put_str(e, "/put/k", "1");
	b = put_str(e, "/put/k", "2");
	ck_assert_int_eq(b, a + 1);
	do_range(e, "/put/", &r);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_str_eq(r.kvs[0].val, "2");
	ck_assert_int_eq(r.kvs[0].mod, b);
	ck_assert_int_eq(r.kvs[0].version, 2);

	/* etcd refuses a lease it does not know: -ENOENT, not just -EIO. */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_put(e, "/put/k", "3", 1, 123456789, put_cb,
				       &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, -ENOENT);

	/* Bad arguments are refused at once. */
	ck_assert_int_eq(mobd_etcd_put(e, NULL, "3", 1, 0, put_cb, &r),
			 -EINVAL);
	ck_assert_int_eq(mobd_etcd_lease_grant(e, 0, lease_cb, &r), -EINVAL);
	mobd_etcd_free(e);
}
END_TEST

/* The client is freed with requests in flight, or from a callback. */
START_TEST(test_free_in_flight)
{
	struct mobd_etcd *e;
	struct res a = { 0 }, b = { 0 };

	need_shared();
	e = client(shared.url);
	ck_assert_int_eq(mobd_etcd_range_prefix(e, "/free/", range_cb, &a), 0);
	ck_assert_int_eq(mobd_etcd_put(e, "/free/k", "v", 1, 0, put_cb, &b),
			 0);
	mobd_etcd_free(e);
	run_for(300);
	ck_assert_int_eq(a.calls, 0);
	ck_assert_int_eq(b.calls, 0);

	/* The first answer frees it: no second callback. */
	e = client(shared.url);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.free_me = e;
	b.free_me = e;
	ck_assert_int_eq(mobd_etcd_range_prefix(e, "/free/", range_cb, &a), 0);
	ck_assert_int_eq(mobd_etcd_range_prefix(e, "/free/", range_cb, &b), 0);
	run_for(500);
	ck_assert_int_eq(a.calls + b.calls, 1);
}
END_TEST

/* Leases */

START_TEST(test_lease)
{
	struct mobd_etcd *e;
	struct res r = { 0 };
	int64_t id;

	need_shared();
	e = client(shared.url);
	ck_assert_int_eq(mobd_etcd_lease_grant(e, 30, lease_cb, &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_gt(r.id, 0);
	ck_assert_int_eq(r.ttl, 30);
	id = r.id;

	do_put(e, "/lease/k", "v", 1, id);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_cas_put(e, "/lease/c", "v", 1, id, 0,
					   txn_cb, &r), 0);
	wait_res(&r);
	ck_assert(r.ok);
	do_range(e, "/lease/", &r);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_int_eq(r.kvs[0].lease, id);
	ck_assert_int_eq(r.kvs[1].lease, id);

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_lease_keepalive(e, id, lease_cb, &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.id, id);
	ck_assert_int_ge(r.ttl, 29);
	ck_assert_int_le(r.ttl, 30);

	/* Revoking takes the keys along. */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_lease_revoke(e, id, lease_cb, &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.id, id);
	do_range(e, "/lease/", &r);
	ck_assert_uint_eq(r.n, 0);

	/* Gone: a keepalive says 0, revoking again is no error. */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_lease_keepalive(e, id, lease_cb, &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.ttl, 0);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_lease_revoke(e, id, lease_cb, &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	mobd_etcd_free(e);
}
END_TEST

START_TEST(test_lease_expiry)
{
	unsigned long long end;
	struct mobd_etcd *e;
	struct res r = { 0 };
	int64_t id;

	need_shared();
	e = client(shared.url);
	ck_assert_int_eq(mobd_etcd_lease_grant(e, 2, lease_cb, &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.ttl, 2);
	id = r.id;
	do_put(e, "/exp/k", "v", 1, id);
	do_range(e, "/exp/", &r);
	ck_assert_uint_eq(r.n, 1);

	/* etcd revokes expired leases every half second or so. */
	end = mobd_now_ms() + 8000;
	do {
		run_for(250);
		do_range(e, "/exp/", &r);
	} while (r.n && mobd_now_ms() < end);
	ck_assert_msg(r.n == 0, "the lease's key outlived it");

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_lease_keepalive(e, id, lease_cb, &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, 0);
	ck_assert_int_eq(r.ttl, 0);
	mobd_etcd_free(e);
}
END_TEST

/* Watches */

struct wrec {
	int created, closed, batches, n;
	int err;
	int64_t compact;
	int64_t batch_rev[16];
	enum mobd_etcd_ev_type type[32];
	struct kvc kv[32];
	/* Cancel this watch from the events callback. */
	struct mobd_etcd_watch *cancel_me;
	/* Free this client from the created callback. */
	struct mobd_etcd *free_me;
};

static void w_created(void *arg)
{
	struct wrec *w = arg;

	w->created++;
	if (w->free_me)
		mobd_etcd_free(w->free_me);
}

static void w_events(void *arg, int64_t rev, const struct mobd_etcd_event *ev,
		     size_t n)
{
	struct wrec *w = arg;
	size_t i;

	ck_assert_uint_gt(n, 0);
	ck_assert_int_lt(w->batches, 16);
	w->batch_rev[w->batches++] = rev;
	for (i = 0; i < n; i++) {
		ck_assert_int_lt(w->n, 32);
		w->type[w->n] = ev[i].type;
		kv_copy(&w->kv[w->n], &ev[i].kv);
		w->n++;
	}
	if (w->cancel_me)
		mobd_etcd_watch_cancel(w->cancel_me);
}

static void w_closed(void *arg, int err, int64_t compact_rev)
{
	struct wrec *w = arg;

	w->closed++;
	w->err = err;
	w->compact = compact_rev;
}

static const struct mobd_etcd_watch_ops wops = {
	.created = w_created, .events = w_events, .closed = w_closed,
};

START_TEST(test_watch)
{
	struct mobd_etcd_watch *w = NULL;
	struct mobd_etcd *e;
	struct wrec rec = { 0 };
	struct res r = { 0 };
	int64_t r1, r2, r3;

	need_shared();
	e = client(shared.url);
	put_str(e, "/wa/before", "not seen");
	ck_assert_int_eq(mobd_etcd_watch(e, "/wa/", 0, &wops, &rec, &w), 0);
	ck_assert_ptr_nonnull(w);
	ck_assert(run_until(&rec.created, 1, WAIT_MS));

	r1 = put_str(e, "/wa/k", "one");
	put_str(e, "/wb/k", "another prefix");
	r2 = put_str(e, "/wa/k", "two");
	ck_assert_int_eq(mobd_etcd_cas_del(e, "/wa/k", r2, txn_cb, &r), 0);
	wait_res(&r);
	ck_assert(r.ok);
	r3 = r.rev;
	ck_assert(run_until(&rec.n, 3, WAIT_MS));
	run_for(100);
	ck_assert_int_eq(rec.n, 3);
	ck_assert_int_eq(rec.created, 1);
	ck_assert_int_eq(rec.closed, 0);

	ck_assert_int_eq(rec.type[0], MOBD_ETCD_PUT);
	ck_assert_str_eq(rec.kv[0].key, "/wa/k");
	ck_assert_str_eq(rec.kv[0].val, "one");
	ck_assert_int_eq(rec.kv[0].mod, r1);
	ck_assert_int_eq(rec.kv[0].create, r1);
	ck_assert_int_eq(rec.type[1], MOBD_ETCD_PUT);
	ck_assert_str_eq(rec.kv[1].val, "two");
	ck_assert_int_eq(rec.kv[1].mod, r2);
	ck_assert_int_eq(rec.kv[1].version, 2);
	ck_assert_int_eq(rec.type[2], MOBD_ETCD_DELETE);
	ck_assert_str_eq(rec.kv[2].key, "/wa/k");
	ck_assert_int_eq(rec.kv[2].mod, r3);
	ck_assert_int_eq(rec.batch_rev[rec.batches - 1], r3);

	/* Canceled: nothing more, not even closed(). */
	mobd_etcd_watch_cancel(w);
	put_str(e, "/wa/k", "after");
	run_for(200);
	ck_assert_int_eq(rec.n, 3);
	ck_assert_int_eq(rec.closed, 0);

	/* From a past revision: the history, in order, as etcd sends it. */
	memset(&rec, 0, sizeof(rec));
	ck_assert_int_eq(mobd_etcd_watch(e, "/wa/", r1, &wops, &rec, &w), 0);
	ck_assert(run_until(&rec.n, 4, WAIT_MS));
	ck_assert_int_eq(rec.created, 1);
	ck_assert_int_eq(rec.kv[0].mod, r1);
	ck_assert_int_eq(rec.kv[1].mod, r2);
	ck_assert_int_eq(rec.type[2], MOBD_ETCD_DELETE);
	ck_assert_int_eq(rec.kv[2].mod, r3);
	ck_assert_str_eq(rec.kv[3].val, "after");
	/* A batch's revision is that of its last event. */
	ck_assert_int_eq(rec.batch_rev[rec.batches - 1], rec.kv[3].mod);

	/* Canceled from its own events callback. */
	rec.cancel_me = w;
	put_str(e, "/wa/k", "x");
	put_str(e, "/wa/k", "y");
	ck_assert(run_until(&rec.n, 5, WAIT_MS));
	run_for(200);
	ck_assert_int_eq(rec.n, 5);
	ck_assert_str_eq(rec.kv[4].val, "x");
	ck_assert_int_eq(rec.closed, 0);

	/* Watches in flight go with the client, silently. */
	memset(&rec, 0, sizeof(rec));
	ck_assert_int_eq(mobd_etcd_watch(e, "/wa/", 0, &wops, &rec, &w), 0);
	ck_assert(run_until(&rec.created, 1, WAIT_MS));
	mobd_etcd_free(e);
	run_for(100);
	ck_assert_int_eq(rec.closed, 0);

	/* Freed from the created callback. */
	e = client(shared.url);
	memset(&rec, 0, sizeof(rec));
	rec.free_me = e;
	ck_assert_int_eq(mobd_etcd_watch(e, "/wa/", r1, &wops, &rec, &w), 0);
	ck_assert(run_until(&rec.created, 1, WAIT_MS));
	run_for(200);
	ck_assert_int_eq(rec.n, 0);
	ck_assert_int_eq(rec.closed, 0);
}
END_TEST

START_TEST(test_watch_compacted)
{
	struct mobd_etcd_watch *w = NULL;
	struct mobd_etcd *e;
	struct wrec rec = { 0 };
	char url[128], body[64];
	int64_t r1, r3;

	need_shared();
	e = client(shared.url);
	r1 = put_str(e, "/wc/k", "1");
	put_str(e, "/wc/k", "2");
	r3 = put_str(e, "/wc/k", "3");
	snprintf(url, sizeof(url), "%s/v3/kv/compaction", shared.url);
	snprintf(body, sizeof(body), "{\"revision\":\"%lld\"}",
		 (long long)r3);
	http_post(url, body);

	ck_assert_int_eq(mobd_etcd_watch(e, "/wc/", r1, &wops, &rec, &w), 0);
	ck_assert(run_until(&rec.closed, 1, WAIT_MS));
	run_for(100);
	ck_assert_int_eq(rec.closed, 1);
	ck_assert_int_eq(rec.err, -ERANGE);
	ck_assert_int_eq(rec.compact, r3);
	ck_assert_int_eq(rec.n, 0);

	/* From the compaction on, all is there. */
	memset(&rec, 0, sizeof(rec));
	ck_assert_int_eq(mobd_etcd_watch(e, "/wc/", r3, &wops, &rec, &w), 0);
	ck_assert(run_until(&rec.n, 1, WAIT_MS));
	ck_assert_str_eq(rec.kv[0].val, "3");
	ck_assert_int_eq(rec.closed, 0);
	mobd_etcd_free(e);
}
END_TEST

/* An etcd of its own, killed under a watch and then asked again. */
START_TEST(test_killed)
{
	struct mobd_etcd_watch *w = NULL;
	unsigned long long t0;
	struct mobd_etcd *e;
	struct wrec rec = { 0 };
	struct etcd p;
	struct res r = { 0 };
	const char *eps[1];

	ck_assert_msg(etcd_start(&p, false) == 0, "%s", p.err);
	eps[0] = p.url;
	e = client_tls(eps, 1, 1000, NULL, NULL, NULL);
	put_str(e, "/k/a", "v");
	ck_assert_int_eq(mobd_etcd_watch(e, "/k/", 0, &wops, &rec, &w), 0);
	ck_assert(run_until(&rec.created, 1, WAIT_MS));

	etcd_kill(&p);
	ck_assert(run_until(&rec.closed, 1, WAIT_MS));
	run_for(100);
	ck_assert_int_eq(rec.closed, 1);
	ck_assert_msg(transport_err(rec.err), "closed with %d", rec.err);

	t0 = mobd_now_ms();
	ck_assert_int_eq(mobd_etcd_range_prefix(e, "/k/", range_cb, &r), 0);
	wait_res(&r);
	ck_assert_msg(transport_err(r.err), "range: %d", r.err);
	ck_assert_uint_le(mobd_now_ms() - t0, 1500);

	/* A watch that cannot connect is closed too. */
	memset(&rec, 0, sizeof(rec));
	ck_assert_int_eq(mobd_etcd_watch(e, "/k/", 0, &wops, &rec, &w), 0);
	ck_assert(run_until(&rec.closed, 1, WAIT_MS));
	ck_assert_int_eq(rec.created, 0);
	ck_assert_msg(transport_err(rec.err), "closed with %d", rec.err);
	mobd_etcd_free(e);
	etcd_stop(&p);
}
END_TEST

/* A server that takes the connection and never answers. */
START_TEST(test_timeout)
{
	unsigned long long t0, dt;
	struct mobd_etcd *e;
	struct fake f;
	struct res r = { 0 };
	char url[64];
	const char *eps[1] = { url };

	fake_start(&f, NULL, 0);
	fake_url(&f, url, sizeof(url));
	e = client_tls(eps, 1, 300, NULL, NULL, NULL);
	t0 = mobd_now_ms();
	ck_assert_int_eq(mobd_etcd_put(e, "/t/k", "v", 1, 0, put_cb, &r), 0);
	wait_res(&r);
	dt = mobd_now_ms() - t0;
	ck_assert_int_eq(r.err, -ETIMEDOUT);
	ck_assert_uint_ge(dt, 250);
	ck_assert_uint_le(dt, 1000);
	mobd_etcd_free(e);
	fake_stop(&f);
}
END_TEST

/*
 * Lease refreshes and grants wait longer than other requests, and a
 * transaction of many as long as it is told.
 */
START_TEST(test_lease_timeout)
{
	unsigned long long t0, dt_put = 0, dt_ka = 0, dt_grant = 0, dt_m = 0;
	struct mobd_etcd_opts o = { 0 };
	struct res p = { 0 }, k = { 0 }, g = { 0 };
	struct mobd_etcd_cas op = cas("/t/m", "v", 0);
	struct many m = { 0 };
	struct mobd_etcd *e;
	struct fake f;
	char url[64];
	const char *eps[1] = { url };

	fake_start(&f, NULL, 0);
	fake_url(&f, url, sizeof(url));
	o.endpoints = eps;
	o.n_endpoints = 1;
	o.timeout_ms = 300;
	o.lease_timeout_ms = 1200;
	loop_init();
	ck_assert_int_eq(mobd_etcd_new(&e, &o), 0);
	t0 = mobd_now_ms();
	ck_assert_int_eq(mobd_etcd_put(e, "/t/k", "v", 1, 0, put_cb, &p), 0);
	ck_assert_int_eq(mobd_etcd_lease_keepalive(e, 42, lease_cb, &k), 0);
	ck_assert_int_eq(mobd_etcd_lease_grant(e, 10, lease_cb, &g), 0);
	ck_assert_int_eq(mobd_etcd_cas_put_many(e, &op, 1, NULL, 1700, many_cb,
						&m), 0);
	while (!p.calls || !k.calls || !g.calls || !m.calls) {
		ck_assert_msg(mobd_now_ms() - t0 < WAIT_MS, "no callback");
		run_for(10);
		if (p.calls && !dt_put)
			dt_put = mobd_now_ms() - t0;
		if (k.calls && !dt_ka)
			dt_ka = mobd_now_ms() - t0;
		if (g.calls && !dt_grant)
			dt_grant = mobd_now_ms() - t0;
		if (m.calls && !dt_m)
			dt_m = mobd_now_ms() - t0;
	}
	ck_assert_int_eq(p.err, -ETIMEDOUT);
	ck_assert_int_eq(k.err, -ETIMEDOUT);
	ck_assert_int_eq(k.id, 42);
	ck_assert_int_eq(g.err, -ETIMEDOUT);
	ck_assert_uint_le(dt_put, 1000);
	ck_assert_msg(dt_ka >= 1150 && dt_ka <= 2500, "keepalive: %llu ms",
		      dt_ka);
	ck_assert_msg(dt_grant >= 1150 && dt_grant <= 2500, "grant: %llu ms",
		      dt_grant);
	ck_assert_int_eq(m.err, -ETIMEDOUT);
	ck_assert_msg(dt_m >= 1650 && dt_m <= 3000, "transaction: %llu ms",
		      dt_m);
	mobd_etcd_free(e);
	fake_stop(&f);
}
END_TEST

START_TEST(test_failover)
{
	unsigned long long t0;
	struct mobd_etcd *e;
	struct fake f;
	struct res r;
	char dead[64], silent[64];
	const char *eps[2];

	need_shared();
	/* A port nobody listens on, then the real one. */
	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", free_port());
	eps[0] = dead;
	eps[1] = shared.url;
	e = client_tls(eps, 2, 2000, NULL, NULL, NULL);
	put_str(e, "/fo/k", "v");	/* never sent to the first: retried */
	do_range(e, "/fo/", &r);
	ck_assert_uint_eq(r.n, 1);
	mobd_etcd_free(e);

	/*
	 * A silent server first: a range (safe to ask twice) gives up on it
	 * after its share of the time; then the client starts with the
	 * endpoint that worked.
	 */
	fake_start(&f, NULL, 0);
	fake_url(&f, silent, sizeof(silent));
	eps[0] = silent;
	e = client_tls(eps, 2, 1000, NULL, NULL, NULL);
	t0 = mobd_now_ms();
	do_range(e, "/fo/", &r);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_ge(mobd_now_ms() - t0, 400);
	t0 = mobd_now_ms();
	put_str(e, "/fo/k", "w");
	do_range(e, "/fo/", &r);
	ck_assert_str_eq(r.kvs[0].val, "w");
	ck_assert_uint_lt(mobd_now_ms() - t0, 400);
	mobd_etcd_free(e);
	fake_stop(&f);

	/* Nothing works: a transport error. */
	eps[1] = dead;
	eps[0] = dead;
	e = client_tls(eps, 2, 1000, NULL, NULL, NULL);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_range_prefix(e, "/", range_cb, &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, -ECONNREFUSED);
	mobd_etcd_free(e);
}
END_TEST

/* A watch stream cut into crumbs: objects span write callbacks. */
static const char crumbs_reply[] =
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	"Connection: close\r\n\r\n"
	"{\"result\":{\"header\":{\"revision\":\"7\"},\"created\":true}}\n"
	"{\"result\":{\"header\":{\"revision\":\"12\"},\"events\":["
	"{\"kv\":{\"key\":\"L3cvYQ==\",\"create_revision\":\"8\","
	"\"mod_revision\":\"8\",\"version\":\"1\",\"value\":\"eA==\"}},"
	"{\"type\":\"DELETE\",\"kv\":{\"key\":\"L3cvYQ==\","
	"\"mod_revision\":\"9\"}}]}}\n"
	"{\"result\":{\"header\":{\"revision\":\"12\"},\"events\":["
	"{\"kv\":{\"key\":\"L3cvYg==\",\"create_revision\":\"10\","
	"\"mod_revision\":\"10\",\"version\":\"1\",\"lease\":\"42\"}}]}}";

START_TEST(test_watch_crumbs)
{
	struct mobd_etcd_watch *w = NULL;
	struct mobd_etcd *e;
	struct wrec rec = { 0 };
	struct fake f;
	char url[64];

	fake_start(&f, crumbs_reply, 7);
	fake_url(&f, url, sizeof(url));
	e = client(url);
	ck_assert_int_eq(mobd_etcd_watch(e, "/w/", 0, &wops, &rec, &w), 0);
	ck_assert(run_until(&rec.closed, 1, WAIT_MS));
	ck_assert_int_eq(rec.created, 1);
	ck_assert_int_eq(rec.batches, 2);
	ck_assert_int_eq(rec.n, 3);
	/* The header runs ahead while catching up; events do not. */
	ck_assert_int_eq(rec.batch_rev[0], 9);
	ck_assert_int_eq(rec.batch_rev[1], 10);
	ck_assert_int_eq(rec.type[0], MOBD_ETCD_PUT);
	ck_assert_str_eq(rec.kv[0].key, "/w/a");
	ck_assert_str_eq(rec.kv[0].val, "x");
	ck_assert_int_eq(rec.type[1], MOBD_ETCD_DELETE);
	ck_assert_int_eq(rec.kv[1].mod, 9);
	ck_assert_uint_eq(rec.kv[1].val_len, 0);
	ck_assert_str_eq(rec.kv[2].key, "/w/b");
	ck_assert_int_eq(rec.kv[2].lease, 42);
	/* The stream ended without a cancel: it broke. */
	ck_assert_msg(transport_err(rec.err), "closed with %d", rec.err);
	mobd_etcd_free(e);
	fake_stop(&f);
}
END_TEST

/* Answers etcd would not give: STATUS, BODY, bytes promised but not sent. */
static const struct {
	const char *status;
	const char *body;
	size_t missing;
	int err;
} bad_answers[] = {
	{ "200 OK", "hello", 0, -EPROTO },
	{ "404 Not Found", "Not Found", 0, -EPROTO },
	{ "200 OK", "[]", 0, -EPROTO },
	{ "200 OK", "{}", 0, -EPROTO },
	{ "200 OK", "{\"header\":", 0, -EPROTO },
	{ "200 OK", "{\"header\":{\"revision\":\"three\"}}", 0, -EPROTO },
	{ "200 OK", "{\"header\":{\"revision\":true}}", 0, -EPROTO },
	{ "200 OK", "{\"header\":{\"revision\":\"3\"},\"kvs\":{}}", 0,
	  -EPROTO },
	{ "200 OK",
	  "{\"header\":{\"revision\":\"3\"},\"kvs\":[{\"key\":\"!\"}]}",
	  0, -EPROTO },
	{ "200 OK",
	  "{\"header\":{\"revision\":\"3\"},\"kvs\":[{\"key\":\"QQ\"}]}",
	  0, -EPROTO },
	{ "200 OK", "{\"header\":{\"revision\":\"3\"},\"kvs\":[{\"x\":1}]}", 0,
	  -EPROTO },
	{ "200 OK",
	  "{\"header\":{\"revision\":\"3\"},\"kvs\":[{\"key\":\"QQ==\","
	  "\"version\":1.5}]}", 0, -EPROTO },
	{ "503 Service Unavailable",
	  "{\"error\":\"no leader\",\"message\":\"no leader\",\"code\":14}", 0,
	  -EIO },
	{ "400 Bad Request",
	  "{\"error\":\"bad\",\"message\":\"bad\",\"code\":3}", 0, -EIO },
	/* Cut short: the connection broke. */
	{ "200 OK", "{\"header\":", 100, -ECONNREFUSED },
};

START_TEST(test_bad_answers)
{
	struct mobd_etcd *e;
	struct fake f;
	struct res r = { 0 };
	char url[64], reply[512];

	snprintf(reply, sizeof(reply),
		 "HTTP/1.1 %s\r\nContent-Length: %zu\r\n\r\n%s",
		 bad_answers[_i].status,
		 strlen(bad_answers[_i].body) + bad_answers[_i].missing,
		 bad_answers[_i].body);
	fake_start(&f, reply, 0);
	fake_url(&f, url, sizeof(url));
	e = client(url);
	ck_assert_int_eq(mobd_etcd_range_prefix(e, "/", range_cb, &r), 0);
	wait_res(&r);
	ck_assert_int_eq(r.err, bad_answers[_i].err);
	ck_assert_uint_eq(r.n, 0);
	mobd_etcd_free(e);
	fake_stop(&f);
}
END_TEST

START_TEST(test_new_bad)
{
	const char *eps[] = { "127.0.0.1:2379" };
	const char *ok[] = { "http://127.0.0.1:2379/" };
	struct mobd_etcd_opts o = { .endpoints = eps, .n_endpoints = 1 };
	struct mobd_etcd *e = (struct mobd_etcd *)&o;

	loop_init();
	ck_assert_int_eq(mobd_etcd_new(&e, &o), -EINVAL);
	ck_assert_ptr_null(e);
	o.n_endpoints = 0;
	ck_assert_int_eq(mobd_etcd_new(&e, &o), -EINVAL);
	o.endpoints = ok;
	o.n_endpoints = 1;
	ck_assert_int_eq(mobd_etcd_new(&e, &o), 0);
	mobd_etcd_free(e);
	mobd_etcd_free(NULL);
}
END_TEST

START_TEST(test_tls)
{
	char ca[192], cert[192], key[192];
	struct mobd_etcd_watch *w = NULL;
	struct mobd_etcd *e;
	struct wrec rec = { 0 };
	struct etcd p;
	struct res r;
	const char *eps[1];

	ck_assert_msg(etcd_start(&p, true) == 0, "%s", p.err);
	snprintf(ca, sizeof(ca), "%s/ca.crt", p.dir);
	snprintf(cert, sizeof(cert), "%s/client.crt", p.dir);
	snprintf(key, sizeof(key), "%s/client.key", p.dir);
	eps[0] = p.url;

	e = client_tls(eps, 1, 2000, ca, cert, key);
	ck_assert_int_eq(mobd_etcd_watch(e, "/tls/", 0, &wops, &rec, &w), 0);
	ck_assert(run_until(&rec.created, 1, WAIT_MS));
	put_str(e, "/tls/k", "secret");
	do_range(e, "/tls/", &r);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_str_eq(r.kvs[0].val, "secret");
	ck_assert(run_until(&rec.n, 1, WAIT_MS));
	mobd_etcd_watch_cancel(w);
	mobd_etcd_free(e);

	/* No client certificate: etcd will not talk. */
	e = client_tls(eps, 1, 2000, ca, "", "");
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_range_prefix(e, "/tls/", range_cb, &r), 0);
	wait_res(&r);
	ck_assert_msg(transport_err(r.err), "range: %d", r.err);
	mobd_etcd_free(e);

	/* Not trusting the server's CA. */
	e = client_tls(eps, 1, 2000, NULL, cert, key);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(mobd_etcd_range_prefix(e, "/tls/", range_cb, &r), 0);
	wait_res(&r);
	ck_assert_msg(transport_err(r.err), "range: %d", r.err);
	mobd_etcd_free(e);
	etcd_stop(&p);
}
END_TEST

Suite *etcd_suite(void)
{
	Suite *s = suite_create("etcd");
	TCase *tc;

	tc = tcase_create("kv");
	tcase_add_unchecked_fixture(tc, shared_start, shared_stop);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_range_prefix);
	tcase_add_test(tc, test_cas_put);
	tcase_add_test(tc, test_cas_put_many);
	tcase_add_test(tc, test_cas_del);
	tcase_add_test(tc, test_put);
	tcase_add_test(tc, test_free_in_flight);
	tcase_add_test(tc, test_lease);
	tcase_add_test(tc, test_lease_expiry);
	tcase_add_test(tc, test_watch);
	tcase_add_test(tc, test_watch_compacted);
	tcase_add_test(tc, test_failover);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_new_bad);
	tcase_add_test(tc, test_killed);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_lease_timeout);
	tcase_add_test(tc, test_watch_crumbs);
	tcase_add_loop_test(tc, test_bad_answers, 0,
			    sizeof(bad_answers) / sizeof(bad_answers[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("tls");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_tls);
	suite_add_tcase(s, tc);
	return s;
}
