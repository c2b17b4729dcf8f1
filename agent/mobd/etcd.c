// SPDX-License-Identifier: GPL-2.0
/*
 * etcd v3 through its JSON gateway, with libcurl's multi interface driven
 * by libvirt's default event loop (see etcd.h).
 *
 * Curl tells us which sockets to watch and when to wake it up; we hand
 * both to libvirt.  Nothing but buffering happens inside curl's callbacks:
 * curl forbids calling its multi functions from them, and user callbacks
 * may start or stop requests.  Everything else, including every user
 * callback, runs in process() after curl_multi_socket_action() returned.
 *
 * Requests and the client itself are never freed while one of our event
 * handlers is on the stack (depth > 0): they are marked dead and swept when
 * the outermost handler returns, so a user callback may free the client or
 * cancel any watch.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <libvirt/libvirt.h>

#include "etcd.h"
#include "log.h"

#define ETCD_DEFAULT_TIMEOUT_MS	2000
/* A range answer larger than this is refused rather than buffered. */
#define ETCD_MAX_BODY		(256u << 20)
/* Watches: a dead peer is noticed after IDLE + CNT * INTVL seconds. */
#define WATCH_KEEPIDLE		3
#define WATCH_KEEPINTVL		2
#define WATCH_KEEPCNT		3
/* gRPC's NOT_FOUND, as the gateway reports it in "code". */
#define GRPC_NOT_FOUND		5

/*
 * A connection that broke after it was made (reset, closed in the middle
 * of an answer or a watch, TLS handshake refused) is reported as refused:
 * etcd.h promises only these three errors for transport failures.
 */
#define ERR_BROKEN		(-ECONNREFUSED)

enum req_kind {
	REQ_RANGE,
	REQ_TXN,
	REQ_TXN_MANY,
	REQ_PUT,
	REQ_GRANT,
	REQ_KEEPALIVE,
	REQ_REVOKE,
	REQ_WATCH,
};

union req_cb {
	mobd_etcd_range_cb range;
	mobd_etcd_txn_cb txn;
	mobd_etcd_txn_many_cb txn_many;
	mobd_etcd_put_cb put;
	mobd_etcd_lease_cb lease;
};

struct req {
	struct mobd_etcd *e;
	struct req *next;		/* e->reqs */
	enum req_kind kind;
	bool idempotent;		/* safe to send again elsewhere */
	bool attached;			/* in e->multi */
	bool dead;			/* answered or canceled: free it */
	int bad;			/* error the write callback hit */
	CURL *easy;
	const char *path;
	char *body;
	char *buf;			/* the answer (not for watches) */
	size_t len, cap;
	int ep;				/* endpoint of this attempt */
	int tries;			/* endpoints tried before it */
	unsigned long long deadline;	/* mobd_now_ms(); 0 for watches */
	int64_t id;			/* lease of keepalive / revoke */
	size_t n_ops;			/* compare-and-swaps of a REQ_TXN_MANY */
	unsigned int timeout_ms;	/* 0: by kind (req_submit()) */
	union req_cb cb;
	void *arg;
	char errbuf[CURL_ERROR_SIZE];
};

struct mobd_etcd_watch {
	struct req r;			/* first: a req is a watch's too */
	struct mobd_etcd_watch_ops ops;
	void *arg;
	json_tokener *tok;
	json_object **q;		/* objects received, not yet handled */
	size_t q_head, q_len, q_cap;
	bool created;
};

/* A socket curl asked us to watch, and its libvirt handle. */
struct sock {
	struct sock *next;
	curl_socket_t fd;
	int wid;
};

struct mobd_etcd {
	CURLM *multi;
	char **endpoints;
	int n_endpoints;
	int current;			/* the last endpoint that worked */
	char *cacert, *cert, *key;
	unsigned int timeout_ms;
	unsigned int lease_timeout_ms;	/* grants and keepalives */
	struct curl_slist *hdrs;
	int timer;			/* libvirt timeout id */
	struct sock *socks;
	struct req *reqs;
	int depth;			/* our handlers on the stack */
	bool dead;			/* freed from a callback */
};

static struct mobd_etcd_watch *watch_of(struct req *r)
{
	return (struct mobd_etcd_watch *)r;
}

/* Base64 (RFC 4648, padded), as Go's encoding/json writes []byte. */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out, *o;
	size_t i;

	out = malloc((len + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	o = out;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64_alphabet[p[i] >> 2];
		*o++ = b64_alphabet[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*o++ = b64_alphabet[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		*o++ = b64_alphabet[p[i + 2] & 63];
	}
	if (i < len) {
		*o++ = b64_alphabet[p[i] >> 2];
		if (i + 1 < len) {
			*o++ = b64_alphabet[(p[i] & 3) << 4 | p[i + 1] >> 4];
			*o++ = b64_alphabet[(p[i + 1] & 15) << 2];
		} else {
			*o++ = b64_alphabet[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict: whole quads, padding only at the end; the result NUL-ended. */
static int b64_decode(const char *s, size_t len, char **outp, size_t *outlen)
{
	size_t i, n = 0;
	char *out;

	if (len % 4)
		return -EPROTO;
	out = malloc(len / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	for (i = 0; i < len; i += 4) {
		int v[4], k, pad = 0;

		for (k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == len && k >= 2 &&
			    (k == 3 || s[i + 3] == '=')) {
				v[k] = 0;
				pad++;
				continue;
			}
			v[k] = b64_value(s[i + k]);
			if (v[k] < 0)
				goto bad;
		}
		out[n++] = (char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[n++] = (char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[n++] = (char)((v[2] & 3) << 6 | v[3]);
	}
	out[n] = '\0';
	*outp = out;
	*outlen = n;
	return 0;
bad:
	free(out);
	return -EPROTO;
}

/* JSON helpers.  The gateway leaves out zero values: absent reads as 0. */

static int j_i64(json_object *o, const char *name, int64_t *out)
{
	json_object *v;
	const char *s;
	char *end;
	long long x;

	*out = 0;
	if (!o || !json_object_object_get_ex(o, name, &v) || !v)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -EPROTO;
	/* int64 travels as a decimal string. */
	s = json_object_get_string(v);
	if (!*s || (*s != '-' && (*s < '0' || *s > '9')))
		return -EPROTO;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || *end)
		return -EPROTO;
	*out = x;
	return 0;
}

static int j_bool(json_object *o, const char *name, bool *out)
{
	json_object *v;

	*out = false;
	if (!o || !json_object_object_get_ex(o, name, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return -EPROTO;
	*out = json_object_get_boolean(v);
	return 0;
}

/* The member NAME of type TYPE, NULL if absent or null; -EPROTO if other. */
static int j_member(json_object *o, const char *name, json_type type,
		       json_object **out)
{
	json_object *v;

	*out = NULL;
	if (!o || !json_object_object_get_ex(o, name, &v) || !v)
		return 0;
	if (!json_object_is_type(v, type))
		return -EPROTO;
	*out = v;
	return 0;
}

static int j_b64(json_object *o, const char *name, bool required,
		    char **out, size_t *len)
{
	json_object *v;
	int err;

	*out = NULL;
	*len = 0;
	err = j_member(o, name, json_type_string, &v);
	if (err)
		return err;
	if (!v) {
		if (required)
			return -EPROTO;
		/* An empty value: still a valid (empty) C string. */
		*out = strdup("");
		return *out ? 0 : -ENOMEM;
	}
	return b64_decode(json_object_get_string(v),
			  json_object_get_string_len(v), out, len);
}

/* Did etcd (or the gateway) report an error?  Its message and gRPC code. */
static bool j_error(json_object *o, const char **msg, int64_t *code)
{
	json_object *v, *m;

	*msg = "";
	*code = 0;
	if (!json_object_object_get_ex(o, "error", &v) || !v)
		return false;
	if (json_object_is_type(v, json_type_string)) {
		/* {"error":"...","message":"...","code":N} */
		if (!json_object_get_string_len(v))
			return false;	/* LeaseGrantResponse's "" */
		*msg = json_object_get_string(v);
		j_i64(o, "code", code);
		return true;
	}
	/* A streaming call's {"error":{"grpc_code":N,"message":"..."}} */
	if (json_object_is_type(v, json_type_object)) {
		if (json_object_object_get_ex(v, "message", &m) &&
		    json_object_is_type(m, json_type_string))
			*msg = json_object_get_string(m);
		j_i64(v, "grpc_code", code);
	}
	return true;
}

static int header_rev(json_object *o, int64_t *rev)
{
	json_object *h;
	int err;

	*rev = 0;
	err = j_member(o, "header", json_type_object, &h);
	if (err || !h)
		return -EPROTO;
	return j_i64(h, "revision", rev);
}

static void kv_clear(struct mobd_kv *kv)
{
	free((char *)kv->key);
	free((char *)kv->value);
}

static void kvs_free(struct mobd_kv *kvs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		kv_clear(&kvs[i]);
	free(kvs);
}

/* Keys and values come out NUL-terminated too, for callers' convenience. */
static int kv_decode(json_object *o, struct mobd_kv *kv)
{
	char *key = NULL, *value = NULL;
	int err;

	memset(kv, 0, sizeof(*kv));
	if (!json_object_is_type(o, json_type_object))
		return -EPROTO;
	err = j_b64(o, "key", true, &key, &kv->key_len);
	if (!err)
		err = j_b64(o, "value", false, &value, &kv->value_len);
	if (!err)
		err = j_i64(o, "create_revision", &kv->create_revision);
	if (!err)
		err = j_i64(o, "mod_revision", &kv->mod_revision);
	if (!err)
		err = j_i64(o, "version", &kv->version);
	if (!err)
		err = j_i64(o, "lease", &kv->lease);
	kv->key = key;
	kv->value = value;
	if (err) {
		kv_clear(kv);
		memset(kv, 0, sizeof(*kv));
	}
	return err;
}

static int kvs_decode(json_object *o, struct mobd_kv **kvsp, size_t *np)
{
	struct mobd_kv *kvs;
	json_object *a;
	size_t i, n;
	int err;

	*kvsp = NULL;
	*np = 0;
	err = j_member(o, "kvs", json_type_array, &a);
	if (err || !a)
		return err;
	n = json_object_array_length(a);
	kvs = calloc(n ? n : 1, sizeof(*kvs));
	if (!kvs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		err = kv_decode(json_object_array_get_idx(a, i), &kvs[i]);
		if (err) {
			kvs_free(kvs, i);
			return err;
		}
	}
	*kvsp = kvs;
	*np = n;
	return 0;
}

/* Request bodies. */

static int add_b64(json_object *o, const char *name, const void *p,
		   size_t len)
{
	json_object *s;
	char *b;

	b = b64_encode(p, len);
	if (!b)
		return -ENOMEM;
	s = json_object_new_string(b);
	free(b);
	if (!s)
		return -ENOMEM;
	if (json_object_object_add(o, name, s)) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

/* int64 as a string: JSON numbers lose precision beyond 2^53 elsewhere. */
static int add_i64(json_object *o, const char *name, int64_t v)
{
	char num[24];
	json_object *s;

	snprintf(num, sizeof(num), "%" PRId64, v);
	s = json_object_new_string(num);
	if (!s)
		return -ENOMEM;
	if (json_object_object_add(o, name, s)) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

static int add_obj(json_object *o, const char *name, json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, name, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* An array holding one object, itself holding NAME: INNER. */
static json_object *one_op(const char *name, json_object *inner)
{
	json_object *a, *op;

	if (!inner)
		return NULL;
	op = json_object_new_object();
	if (!op || add_obj(op, name, inner)) {
		if (op)
			json_object_put(op);
		else
			json_object_put(inner);
		return NULL;
	}
	a = json_object_new_array();
	if (!a || json_object_array_add(a, op)) {
		json_object_put(op);
		if (a)
			json_object_put(a);
		return NULL;
	}
	return a;
}

/*
 * The end of the range holding every key that starts with PREFIX: the
 * prefix with its last byte below 0xff incremented, the rest cut off; "\0"
 * (to the end of the key space) when there is none.
 */
static int add_prefix_range(json_object *o, const char *prefix)
{
	size_t len = strlen(prefix);
	char *end;
	int err;

	if (!len) {
		err = add_b64(o, "key", "", 1);
		return err ? err : add_b64(o, "range_end", "", 1);
	}
	err = add_b64(o, "key", prefix, len);
	if (err)
		return err;
	end = strdup(prefix);
	if (!end)
		return -ENOMEM;
	while (len && (unsigned char)end[len - 1] == 0xff)
		len--;
	if (len) {
		end[len - 1]++;
		err = add_b64(o, "range_end", end, len);
	} else {
		err = add_b64(o, "range_end", "", 1);
	}
	free(end);
	return err;
}

/* libvirt <-> curl. */

static void sync_timer(struct mobd_etcd *e);
static void process(struct mobd_etcd *e);
static void destroy(struct mobd_etcd *e);
static void sweep(struct mobd_etcd *e);

static void leave(struct mobd_etcd *e)
{
	if (--e->depth)
		return;
	if (e->dead) {
		destroy(e);
		return;
	}
	sweep(e);
	sync_timer(e);
}

static void on_handle(int wid, int fd, int events, void *opaque)
{
	struct mobd_etcd *e = opaque;
	int flags = 0, running;

	if (events & (VIR_EVENT_HANDLE_READABLE | VIR_EVENT_HANDLE_HANGUP))
		flags |= CURL_CSELECT_IN;
	if (events & VIR_EVENT_HANDLE_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	if (events & VIR_EVENT_HANDLE_ERROR)
		flags |= CURL_CSELECT_ERR;
	e->depth++;
	curl_multi_socket_action(e->multi, fd, flags, &running);
	process(e);
	leave(e);
}

static void on_timer(int timer, void *opaque)
{
	struct mobd_etcd *e = opaque;
	int running;

	e->depth++;
	curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	process(e);
	leave(e);
}

static void set_timer(struct mobd_etcd *e, long ms)
{
	/* libvirt timeouts repeat: -1 is the only way to stop one. */
	if (ms > 3600 * 1000L)
		ms = 3600 * 1000L;
	virEventUpdateTimeout(e->timer, ms < 0 ? -1 : (int)ms);
}

/*
 * Curl only reports a timeout when it changes; ask it after every action
 * so that a libvirt timer firing a little early cannot leave us without
 * one.
 */
static void sync_timer(struct mobd_etcd *e)
{
	long ms = -1;

	if (curl_multi_timeout(e->multi, &ms) == CURLM_OK)
		set_timer(e, ms);
}

static int on_curl_timer(CURLM *multi, long ms, void *userp)
{
	set_timer(userp, ms);
	return 0;
}

/*
 * libvirt keeps a removed handle until its next loop iteration but never
 * dispatches it, so E is the handle's data and nothing needs a free
 * callback; struct sock is ours alone and goes at once.
 */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
		     void *socketp)
{
	struct mobd_etcd *e = userp;
	struct sock *sk = socketp, **pp;
	int events = 0;

	if (what == CURL_POLL_REMOVE) {
		if (!sk)
			return 0;
		virEventRemoveHandle(sk->wid);
		for (pp = &e->socks; *pp; pp = &(*pp)->next) {
			if (*pp == sk) {
				*pp = sk->next;
				break;
			}
		}
		free(sk);
		curl_multi_assign(e->multi, fd, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= VIR_EVENT_HANDLE_READABLE;
	if (what & CURL_POLL_OUT)
		events |= VIR_EVENT_HANDLE_WRITABLE;
	if (sk) {
		virEventUpdateHandle(sk->wid, events);
		return 0;
	}
	sk = calloc(1, sizeof(*sk));
	if (!sk)
		return -1;
	sk->fd = fd;
	sk->wid = virEventAddHandle(fd, events, on_handle, e, NULL);
	if (sk->wid < 0) {
		log_warn("etcd: cannot watch socket %d in the event loop",
			 (int)fd);
		free(sk);
		return -1;
	}
	sk->next = e->socks;
	e->socks = sk;
	curl_multi_assign(e->multi, fd, sk);
	return 0;
}

/* Watches: set the keepalive probe count curl 7.88 has no option for. */
static int on_sockopt(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
	int cnt = WATCH_KEEPCNT;

	if (purpose == CURLSOCKTYPE_IPCXN)
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	return CURL_SOCKOPT_OK;
}

static long http_status(struct req *r)
{
	long status = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/* A watch's stream: complete JSON objects are queued for process(). */
static size_t watch_feed(struct mobd_etcd_watch *w, const char *p, size_t n)
{
	size_t off = 0;

	while (off < n) {
		enum json_tokener_error jerr;
		json_object *o;

		o = json_tokener_parse_ex(w->tok, p + off, (int)(n - off));
		jerr = json_tokener_get_error(w->tok);
		if (!o) {
			if (jerr == json_tokener_continue)
				break;
			w->r.bad = -EPROTO;
			return CURL_WRITEFUNC_ERROR;
		}
		off += json_tokener_get_parse_end(w->tok);
		if (w->q_len == w->q_cap) {
			size_t cap = w->q_cap ? 2 * w->q_cap : 8;
			json_object **q = realloc(w->q, cap * sizeof(*q));

			if (!q) {
				json_object_put(o);
				w->r.bad = -ENOMEM;
				return CURL_WRITEFUNC_ERROR;
			}
			w->q = q;
			w->q_cap = cap;
		}
		w->q[w->q_len++] = o;
	}
	return n;
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct req *r = userdata;
	size_t n = size * nmemb;

	/* A watch that did not start is an ordinary error answer. */
	if (r->kind == REQ_WATCH && http_status(r) == 200)
		return watch_feed(watch_of(r), p, n);
	if (n > ETCD_MAX_BODY - r->len) {
		r->bad = -EPROTO;
		return CURL_WRITEFUNC_ERROR;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *b;

		while (cap < r->len + n + 1)
			cap *= 2;
		b = realloc(r->buf, cap);
		if (!b) {
			r->bad = -ENOMEM;
			return CURL_WRITEFUNC_ERROR;
		}
		r->buf = b;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

/* Requests. */

static void req_detach(struct req *r)
{
	if (r->attached) {
		curl_multi_remove_handle(r->e->multi, r->easy);
		r->attached = false;
	}
}

static void req_free(struct req *r)
{
	req_detach(r);
	if (r->easy)
		curl_easy_cleanup(r->easy);
	if (r->kind == REQ_WATCH) {
		struct mobd_etcd_watch *w = watch_of(r);

		while (w->q_head < w->q_len)
			json_object_put(w->q[w->q_head++]);
		free(w->q);
		if (w->tok)
			json_tokener_free(w->tok);
	}
	free(r->body);
	free(r->buf);
	free(r);
}

static void sweep(struct mobd_etcd *e)
{
	struct req **pp = &e->reqs, *r;

	while ((r = *pp)) {
		if (r->dead) {
			*pp = r->next;
			req_free(r);
		} else {
			pp = &r->next;
		}
	}
}

/* Start the current attempt: endpoint r->ep, within what time is left. */
static int req_attempt(struct req *r)
{
	struct mobd_etcd *e = r->e;
	char *url;
	int err = 0;

	if (asprintf(&url, "%s%s", e->endpoints[r->ep], r->path) < 0)
		return -ENOMEM;
	r->len = 0;
	r->bad = 0;
	r->errbuf[0] = '\0';
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	free(url);
	if (r->kind == REQ_WATCH) {
		struct mobd_etcd_watch *w = watch_of(r);

		json_tokener_reset(w->tok);
		curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS,
				 (long)e->timeout_ms);
	} else {
		unsigned long long now = mobd_now_ms();
		long left, share;

		if (now >= r->deadline)
			return -ETIMEDOUT;
		left = (long)(r->deadline - now);
		/*
		 * Leave the endpoints after this one a chance: all of the
		 * time to connect, and to answer if asking again is safe.
		 */
		share = left / (e->n_endpoints - r->tries);
		if (share < 1)
			share = 1;
		curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS,
				 r->idempotent ? share : left);
		curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, share);
	}
	if (curl_multi_add_handle(e->multi, r->easy) != CURLM_OK)
		err = -ENOMEM;
	else
		r->attached = true;
	return err;
}

static void req_setup(struct req *r)
{
	struct mobd_etcd *e = r->e;
	CURL *c = r->easy;

	curl_easy_setopt(c, CURLOPT_PRIVATE, r);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, e->hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->errbuf);
	if (e->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, e->cacert);
	if (e->cert)
		curl_easy_setopt(c, CURLOPT_SSLCERT, e->cert);
	if (e->key)
		curl_easy_setopt(c, CURLOPT_SSLKEY, e->key);
	if (r->kind == REQ_WATCH) {
		/*
		 * A connection of its own, with keepalives from the start: a
		 * pooled one would not have them.
		 */
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
		curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, (long)WATCH_KEEPIDLE);
		curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL,
				 (long)WATCH_KEEPINTVL);
		curl_easy_setopt(c, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
	}
}

/* Queue R with BODY (consumed); frees R on failure. */
static int req_submit(struct req *r, json_object *body)
{
	struct mobd_etcd *e = r->e;
	const char *s;
	int err = -ENOMEM;

	if (!body)
		goto fail;
	s = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	r->body = s ? strdup(s) : NULL;
	json_object_put(body);
	if (!r->body)
		goto fail;
	if (r->kind == REQ_WATCH) {
		watch_of(r)->tok = json_tokener_new();
		if (!watch_of(r)->tok)
			goto fail;
	}
	r->easy = curl_easy_init();
	if (!r->easy)
		goto fail;
	req_setup(r);
	r->ep = e->current;
	r->tries = 0;
	if (r->timeout_ms)
		r->deadline = mobd_now_ms() + r->timeout_ms;
	else if (r->kind == REQ_GRANT || r->kind == REQ_KEEPALIVE)
		r->deadline = mobd_now_ms() + e->lease_timeout_ms;
	else if (r->kind != REQ_WATCH)
		r->deadline = mobd_now_ms() + e->timeout_ms;
	err = req_attempt(r);
	if (err)
		goto fail;
	r->next = e->reqs;
	e->reqs = r;
	return 0;
fail:
	req_free(r);
	return err;
}

static struct req *req_new(struct mobd_etcd *e, enum req_kind kind,
			   const char *path, size_t size)
{
	struct req *r = calloc(1, size);

	if (!r)
		return NULL;
	r->e = e;
	r->kind = kind;
	r->path = path;
	r->idempotent = kind == REQ_RANGE || kind == REQ_KEEPALIVE ||
			kind == REQ_REVOKE;
	return r;
}

static void watch_close(struct mobd_etcd_watch *w, int err,
			int64_t compact_rev)
{
	w->r.dead = true;
	req_detach(&w->r);
	if (w->ops.closed)
		w->ops.closed(w->arg, err, compact_rev);
}

/* Give the callback its error; R must be dead already. */
static void req_fail(struct req *r, int err)
{
	switch (r->kind) {
	case REQ_RANGE:
		if (r->cb.range)
			r->cb.range(r->arg, err, 0, NULL, 0);
		break;
	case REQ_TXN:
		if (r->cb.txn)
			r->cb.txn(r->arg, err, false, 0, NULL);
		break;
	case REQ_TXN_MANY:
		if (r->cb.txn_many)
			r->cb.txn_many(r->arg, err, false, 0, NULL, r->n_ops);
		break;
	case REQ_PUT:
		if (r->cb.put)
			r->cb.put(r->arg, err, 0);
		break;
	case REQ_GRANT:
	case REQ_KEEPALIVE:
	case REQ_REVOKE:
		if (r->cb.lease)
			r->cb.lease(r->arg, err, r->id, 0);
		break;
	case REQ_WATCH:
		watch_close(watch_of(r), err, 0);
		break;
	}
}

static int map_curl_error(struct req *r, CURLcode rc)
{
	long oserr = 0;

	if (r->bad)
		return r->bad;
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		break;
	}
	curl_easy_getinfo(r->easy, CURLINFO_OS_ERRNO, &oserr);
	switch (oserr) {
	case ETIMEDOUT:
		return -ETIMEDOUT;
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ENETUNREACH:
	case ENETDOWN:
		return -EHOSTUNREACH;
	default:
		return ERR_BROKEN;
	}
}

/* Worth a warning: certificates are configuration, not weather. */
static bool curl_tls_error(struct req *r, CURLcode rc)
{
	switch (rc) {
	case CURLE_RECV_ERROR:
		/* TLS 1.3: a verdict on our certificate comes late. */
		return strstr(r->errbuf, "SSL") != NULL;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CLIENTCERT:
		return true;
	default:
		return false;
	}
}

/* Try the next endpoint; false if every one was tried or time is up. */
static bool req_failover(struct req *r)
{
	struct mobd_etcd *e = r->e;
	int last = r->ep;

	while (++r->tries < e->n_endpoints) {
		r->ep = (r->ep + 1) % e->n_endpoints;
		if (!req_attempt(r))
			return true;
		if (r->kind != REQ_WATCH && mobd_now_ms() >= r->deadline)
			break;
	}
	/* The answer (or error) at hand is the last endpoint's. */
	r->ep = last;
	return false;
}

static void range_done(struct req *r, json_object *o)
{
	struct mobd_kv *kvs = NULL;
	size_t n = 0;
	int64_t rev;
	int err;

	err = header_rev(o, &rev);
	if (!err)
		err = kvs_decode(o, &kvs, &n);
	if (err) {
		req_fail(r, err);
		return;
	}
	if (r->cb.range)
		r->cb.range(r->arg, 0, rev, kvs, n);
	kvs_free(kvs, n);
}

/* The key as the failed comparison found it: the failure branch's range. */
static int txn_current(json_object *o, struct mobd_kv **kvs, size_t *n)
{
	json_object *a, *op, *rr;
	int err;

	err = j_member(o, "responses", json_type_array, &a);
	if (err || !a || json_object_array_length(a) != 1)
		return -EPROTO;
	op = json_object_array_get_idx(a, 0);
	if (!json_object_is_type(op, json_type_object))
		return -EPROTO;
	err = j_member(op, "response_range", json_type_object, &rr);
	if (err || !rr)
		return -EPROTO;
	return kvs_decode(rr, kvs, n);
}

static void txn_done(struct req *r, json_object *o)
{
	struct mobd_kv *kvs = NULL;
	bool ok;
	size_t n = 0;
	int64_t rev;
	int err;

	err = header_rev(o, &rev);
	if (!err)
		err = j_bool(o, "succeeded", &ok);
	if (!err && !ok)
		err = txn_current(o, &kvs, &n);
	if (err) {
		req_fail(r, err);
		return;
	}
	if (r->cb.txn)
		r->cb.txn(r->arg, 0, ok, rev, n ? &kvs[0] : NULL);
	kvs_free(kvs, n);
}

/* The failure branch of a REQ_TXN_MANY: one range per key, then ALSO's put. */
static void txn_many_done(struct req *r, json_object *o)
{
	const struct mobd_kv **cur = NULL;
	struct mobd_kv **kvs = NULL;
	size_t i, n = r->n_ops, *cnt = NULL;
	json_object *a, *op, *rr;
	bool ok = false;
	int64_t rev;
	int err;

	err = header_rev(o, &rev);
	if (!err)
		err = j_bool(o, "succeeded", &ok);
	if (err || ok)
		goto out;
	err = j_member(o, "responses", json_type_array, &a);
	if (!err && (!a || json_object_array_length(a) < n))
		err = -EPROTO;
	if (err)
		goto out;
	cur = calloc(n, sizeof(*cur));
	kvs = calloc(n, sizeof(*kvs));
	cnt = calloc(n, sizeof(*cnt));
	if (!cur || !kvs || !cnt) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n && !err; i++) {
		op = json_object_array_get_idx(a, i);
		if (!json_object_is_type(op, json_type_object))
			err = -EPROTO;
		if (!err)
			err = j_member(op, "response_range", json_type_object,
				       &rr);
		if (!err && !rr)
			err = -EPROTO;
		if (!err)
			err = kvs_decode(rr, &kvs[i], &cnt[i]);
		if (!err && cnt[i])
			cur[i] = &kvs[i][0];
	}
out:
	if (err)
		req_fail(r, err);
	else if (r->cb.txn_many)
		r->cb.txn_many(r->arg, 0, ok, rev, ok ? NULL : cur, n);
	for (i = 0; kvs && i < n; i++)
		kvs_free(kvs[i], cnt[i]);
	free(kvs);
	free(cnt);
	free(cur);
}

static void put_done(struct req *r, json_object *o)
{
	int64_t rev;
	int err;

	err = header_rev(o, &rev);
	if (err)
		req_fail(r, err);
	else if (r->cb.put)
		r->cb.put(r->arg, 0, rev);
}

static void lease_done(struct req *r, json_object *o)
{
	int64_t id = r->id, ttl = 0;
	json_object *res = o;
	int err = 0;

	switch (r->kind) {
	case REQ_GRANT:
		err = j_i64(o, "ID", &id);
		if (!err)
			err = j_i64(o, "TTL", &ttl);
		if (!err && (id == 0 || ttl <= 0))
			err = -EPROTO;
		break;
	case REQ_KEEPALIVE:
		/* One message of a stream: {"result":{...}}; no TTL: gone. */
		err = j_member(o, "result", json_type_object, &res);
		if (!err && !res)
			err = -EPROTO;
		if (!err)
			err = j_i64(res, "TTL", &ttl);
		if (ttl < 0)
			ttl = 0;
		break;
	default:
		break;
	}
	if (!err) {
		int64_t rev;

		err = header_rev(res, &rev);
	}
	if (err) {
		req_fail(r, err);
		return;
	}
	if (r->cb.lease)
		r->cb.lease(r->arg, 0, id, ttl);
}

static bool req_writes(const struct req *r)
{
	return r->kind == REQ_TXN || r->kind == REQ_TXN_MANY ||
	       r->kind == REQ_PUT;
}

static void req_answer(struct req *r, long status)
{
	const char *msg;
	json_object *o;
	int64_t code;

	o = r->len ? json_tokener_parse(r->buf) : NULL;
	if (!o || !json_object_is_type(o, json_type_object)) {
		log_warn("etcd: %s%s: HTTP %ld, not an etcd answer",
			 r->e->endpoints[r->ep], r->path, status);
		if (o)
			json_object_put(o);
		req_fail(r, -EPROTO);
		return;
	}
	if (j_error(o, &msg, &code) || status != 200) {
		/* Revoking a lease that is gone already did what was asked. */
		if (r->kind == REQ_REVOKE && code == GRPC_NOT_FOUND) {
			if (r->cb.lease)
				r->cb.lease(r->arg, 0, r->id, 0);
		} else {
			log_warn("etcd: %s%s: HTTP %ld: %s",
				 r->e->endpoints[r->ep], r->path, status,
				 *msg ? msg : "(no message)");
			/* A write's only NOT_FOUND: the lease it names. */
			req_fail(r, code == GRPC_NOT_FOUND && req_writes(r) ?
				 -ENOENT : -EIO);
		}
		json_object_put(o);
		return;
	}
	switch (r->kind) {
	case REQ_RANGE:
		range_done(r, o);
		break;
	case REQ_TXN:
		txn_done(r, o);
		break;
	case REQ_TXN_MANY:
		txn_many_done(r, o);
		break;
	case REQ_PUT:
		put_done(r, o);
		break;
	case REQ_GRANT:
	case REQ_KEEPALIVE:
	case REQ_REVOKE:
		lease_done(r, o);
		break;
	case REQ_WATCH:
		break;
	}
	json_object_put(o);
}

/* A watch's transfer ended: it never does while etcd is well. */
static void watch_ended(struct mobd_etcd_watch *w, CURLcode rc, long status)
{
	struct req *r = &w->r;
	int err;

	if (rc == CURLE_OK && status != 200) {
		const char *msg = "";
		json_object *o;
		int64_t code;

		o = r->len ? json_tokener_parse(r->buf) : NULL;
		err = o && json_object_is_type(o, json_type_object) &&
		      j_error(o, &msg, &code) ? -EIO : -EPROTO;
		log_warn("etcd: %s/v3/watch: HTTP %ld %s",
			 r->e->endpoints[r->ep], status, msg);
		if (o)
			json_object_put(o);
	} else if (rc == CURLE_OK) {
		err = ERR_BROKEN;
		log_debug("etcd: %s: the watch stream ended",
			  r->e->endpoints[r->ep]);
	} else {
		err = map_curl_error(r, rc);
	}
	watch_close(w, err, 0);
}

static void req_done(struct req *r, CURLcode rc)
{
	struct mobd_etcd *e = r->e;
	long status = http_status(r), sent = 0;

	req_detach(r);
	if (rc != CURLE_OK) {
		curl_easy_getinfo(r->easy, CURLINFO_REQUEST_SIZE, &sent);
		log_debug("etcd: %s%s: %s", e->endpoints[r->ep], r->path,
			  r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
		if (curl_tls_error(r, rc))
			log_warn("etcd: %s: TLS: %s", e->endpoints[r->ep],
				 r->errbuf[0] ? r->errbuf :
				 curl_easy_strerror(rc));
		/*
		 * Another endpoint may be tried if nothing reached this one,
		 * or if asking twice does no harm.
		 */
		if (!r->bad && (sent == 0 || r->idempotent) &&
		    req_failover(r))
			return;
	} else if (status == 503 && r->idempotent && req_failover(r)) {
		/* Unavailable: that member has no leader, say. */
		return;
	}
	r->dead = true;
	if (rc == CURLE_OK)
		e->current = r->ep;
	if (r->kind == REQ_WATCH)
		watch_ended(watch_of(r), rc, status);
	else if (rc != CURLE_OK)
		req_fail(r, map_curl_error(r, rc));
	else
		req_answer(r, status);
}

/* Watch messages. */

static int events_decode(json_object *a, struct mobd_etcd_event **evp,
			 size_t *np)
{
	struct mobd_etcd_event *ev;
	size_t i, n = json_object_array_length(a);
	int err = 0;

	ev = calloc(n ? n : 1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		json_object *o = json_object_array_get_idx(a, i), *t, *kv;

		err = -EPROTO;
		if (!json_object_is_type(o, json_type_object))
			break;
		/* PUT is 0, so the gateway leaves "type" out. */
		ev[i].type = MOBD_ETCD_PUT;
		if (json_object_object_get_ex(o, "type", &t) && t) {
			const char *s = json_object_get_string(t);

			if (json_object_is_type(t, json_type_string) &&
			    !strcmp(s, "DELETE"))
				ev[i].type = MOBD_ETCD_DELETE;
			else if (json_object_is_type(t, json_type_int) &&
				 json_object_get_int(t) == 1)
				ev[i].type = MOBD_ETCD_DELETE;
			else if (strcmp(s, "PUT") && strcmp(s, "0"))
				break;
		}
		if (j_member(o, "kv", json_type_object, &kv) || !kv)
			break;
		err = kv_decode(kv, &ev[i].kv);
		if (err)
			break;
	}
	if (err) {
		while (i--)
			kv_clear(&ev[i].kv);
		free(ev);
		return err;
	}
	*evp = ev;
	*np = n;
	return 0;
}

static void watch_message(struct mobd_etcd_watch *w, json_object *o)
{
	struct mobd_etcd *e = w->r.e;
	struct mobd_etcd_event *ev = NULL;
	json_object *res, *a;
	bool flag;
	int64_t compact;
	const char *msg;
	size_t i, n = 0;
	int err;

	if (!json_object_is_type(o, json_type_object) ||
	    j_member(o, "result", json_type_object, &res) || !res) {
		err = -EPROTO;
		if (json_object_is_type(o, json_type_object) &&
		    j_error(o, &msg, &compact)) {
			log_warn("etcd: %s: watch: %s", e->endpoints[w->r.ep],
				 msg);
			err = -EIO;
		}
		watch_close(w, err, 0);
		return;
	}
	if (j_bool(res, "created", &flag)) {
		watch_close(w, -EPROTO, 0);
		return;
	}
	if (flag && !w->created) {
		w->created = true;
		e->current = w->r.ep;
		if (w->ops.created)
			w->ops.created(w->arg);
		if (w->r.dead || e->dead)
			return;
	}
	if (j_bool(res, "canceled", &flag) ||
	    j_i64(res, "compact_revision", &compact)) {
		watch_close(w, -EPROTO, 0);
		return;
	}
	if (flag) {
		if (compact <= 0) {
			json_object_object_get_ex(res, "cancel_reason", &a);
			log_warn("etcd: %s: watch canceled: %s",
				 e->endpoints[w->r.ep],
				 a ? json_object_get_string(a) : "?");
		}
		watch_close(w, compact > 0 ? -ERANGE : -EIO, compact);
		return;
	}
	if (j_member(res, "events", json_type_array, &a)) {
		watch_close(w, -EPROTO, 0);
		return;
	}
	if (!a || !json_object_array_length(a))
		return;
	err = events_decode(a, &ev, &n);
	if (err) {
		watch_close(w, err, 0);
		return;
	}
	/*
	 * The header's revision is the store's, which is ahead of the
	 * events while a watch catches up: resuming from it would skip
	 * some.  The batch's revision is that of its last event.
	 */
	if (w->ops.events)
		w->ops.events(w->arg, ev[n - 1].kv.mod_revision, ev, n);
	for (i = 0; i < n; i++)
		kv_clear(&ev[i].kv);
	free(ev);
}

static void watch_deliver(struct mobd_etcd_watch *w)
{
	struct mobd_etcd *e = w->r.e;

	while (w->q_head < w->q_len && !w->r.dead && !e->dead) {
		json_object *o = w->q[w->q_head];

		w->q[w->q_head++] = NULL;
		watch_message(w, o);
		json_object_put(o);
	}
	if (w->q_head == w->q_len)
		w->q_head = w->q_len = 0;
}

static void process(struct mobd_etcd *e)
{
	struct req *r;
	CURLMsg *m;
	int left;

	/* Watch data first: it came before any end of its stream. */
	for (r = e->reqs; r && !e->dead; r = r->next)
		if (r->kind == REQ_WATCH && !r->dead)
			watch_deliver(watch_of(r));
	while (!e->dead && (m = curl_multi_info_read(e->multi, &left))) {
		CURL *easy = m->easy_handle;
		CURLcode rc = m->data.result;
		char *priv = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		r = (struct req *)priv;
		if (r && !r->dead)
			req_done(r, rc);
	}
}

/* The client. */

static void destroy(struct mobd_etcd *e)
{
	struct sock *sk;
	int i;

	while (e->reqs) {
		struct req *r = e->reqs;

		e->reqs = r->next;
		req_free(r);
	}
	if (e->multi)
		curl_multi_cleanup(e->multi);
	while ((sk = e->socks)) {
		e->socks = sk->next;
		virEventRemoveHandle(sk->wid);
		free(sk);
	}
	if (e->timer >= 0)
		virEventRemoveTimeout(e->timer);
	for (i = 0; i < e->n_endpoints; i++)
		free(e->endpoints[i]);
	free(e->endpoints);
	free(e->cacert);
	free(e->cert);
	free(e->key);
	curl_slist_free_all(e->hdrs);
	free(e);
}

static int dup_opt(char **out, const char *s)
{
	*out = NULL;
	if (!s || !*s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

int mobd_etcd_new(struct mobd_etcd **ep, const struct mobd_etcd_opts *o)
{
	static bool curl_ready;
	struct curl_slist *h;
	struct mobd_etcd *e;
	int i, err = -ENOMEM;

	*ep = NULL;
	if (!o || o->n_endpoints < 1 || !o->endpoints)
		return -EINVAL;
	for (i = 0; i < o->n_endpoints; i++) {
		const char *u = o->endpoints[i];

		if (!u || (strncasecmp(u, "http://", 7) &&
			   strncasecmp(u, "https://", 8)))
			return -EINVAL;
	}
	/* Once per process: curl_global_cleanup() cannot undo OpenSSL's. */
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			return -ENOMEM;
		curl_ready = true;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->timer = -1;
	e->timeout_ms = o->timeout_ms ? o->timeout_ms : ETCD_DEFAULT_TIMEOUT_MS;
	e->lease_timeout_ms = o->lease_timeout_ms ? o->lease_timeout_ms :
			      e->timeout_ms;
	e->endpoints = calloc(o->n_endpoints, sizeof(*e->endpoints));
	if (!e->endpoints)
		goto fail;
	for (i = 0; i < o->n_endpoints; i++) {
		size_t len = strlen(o->endpoints[i]);

		/* Paths are appended: "http://h:2379/" would give "//v3". */
		while (len && o->endpoints[i][len - 1] == '/')
			len--;
		e->endpoints[i] = strndup(o->endpoints[i], len);
		if (!e->endpoints[i])
			goto fail;
		e->n_endpoints++;
	}
	if (dup_opt(&e->cacert, o->cacert) || dup_opt(&e->cert, o->cert) ||
	    dup_opt(&e->key, o->key))
		goto fail;
	/* No "Expect: 100-continue" round trip for larger bodies. */
	h = curl_slist_append(NULL, "Content-Type: application/json");
	if (!h)
		goto fail;
	e->hdrs = h;
	h = curl_slist_append(e->hdrs, "Expect:");
	if (!h)
		goto fail;
	e->hdrs = h;
	e->multi = curl_multi_init();
	if (!e->multi)
		goto fail;
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
	e->timer = virEventAddTimeout(-1, on_timer, e, NULL);
	if (e->timer < 0) {
		log_warn("etcd: no libvirt event loop to run on");
		err = -ENOSYS;
		goto fail;
	}
	*ep = e;
	return 0;
fail:
	destroy(e);
	return err;
}

void mobd_etcd_free(struct mobd_etcd *e)
{
	struct req *r;

	if (!e)
		return;
	if (e->depth) {
		/* From a callback: our handler frees it on its way out. */
		e->dead = true;
		for (r = e->reqs; r; r = r->next) {
			r->dead = true;
			req_detach(r);
		}
		return;
	}
	destroy(e);
}

int mobd_etcd_range_prefix(struct mobd_etcd *e, const char *prefix,
			   mobd_etcd_range_cb cb, void *arg)
{
	json_object *body;
	struct req *r;

	if (!prefix)
		return -EINVAL;
	r = req_new(e, REQ_RANGE, "/v3/kv/range", sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cb.range = cb;
	r->arg = arg;
	body = json_object_new_object();
	if (body && add_prefix_range(body, prefix)) {
		json_object_put(body);
		body = NULL;
	}
	return req_submit(r, body);
}


/*
 * {"compare":[{KEY TARGET == EXPECT}], "success":[{OP: REQ}],
 *  "failure":[{"request_range":{KEY}}]}: the failure branch reads the key
 * as it is, for the caller to see why.
 */
static json_object *txn_body(const char *key, bool create, int64_t expect,
			     const char *op, json_object *req)
{
	json_object *body, *cmp, *rng, *a;
	size_t klen = strlen(key);

	cmp = json_object_new_object();
	rng = json_object_new_object();
	body = json_object_new_object();
	if (!req || !cmp || !rng || !body)
		goto fail;
	if (add_b64(cmp, "key", key, klen) ||
	    add_obj(cmp, "target",
		    json_object_new_string(create ? "CREATE" : "MOD")) ||
	    add_obj(cmp, "result", json_object_new_string("EQUAL")) ||
	    add_i64(cmp, create ? "create_revision" : "mod_revision",
		    expect) ||
	    add_b64(rng, "key", key, klen))
		goto fail;
	a = json_object_new_array();
	if (add_obj(body, "compare", a) || json_object_array_add(a, cmp))
		goto fail;
	cmp = NULL;
	a = one_op(op, req);
	req = NULL;
	if (add_obj(body, "success", a))
		goto fail;
	a = one_op("request_range", rng);
	rng = NULL;
	if (add_obj(body, "failure", a))
		goto fail;
	return body;
fail:
	json_object_put(body);
	json_object_put(cmp);
	json_object_put(rng);
	json_object_put(req);
	return NULL;
}

static json_object *put_body(const char *key, const char *value,
			     size_t value_len, int64_t lease)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (add_b64(o, "key", key, strlen(key)) ||
	    add_b64(o, "value", value, value_len) ||
	    (lease && add_i64(o, "lease", lease))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int mobd_etcd_cas_put(struct mobd_etcd *e, const char *key,
		      const char *value, size_t value_len, int64_t lease,
		      int64_t expect, mobd_etcd_txn_cb cb, void *arg)
{
	struct req *r;

	if (!key || (!value && value_len) || expect < 0)
		return -EINVAL;
	r = req_new(e, REQ_TXN, "/v3/kv/txn", sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cb.txn = cb;
	r->arg = arg;
	/* Creation: no create_revision yet (mod_revision 0 says the same). */
	return req_submit(r, txn_body(key, expect == 0, expect,
				      "request_put",
				      put_body(key, value ? value : "",
					       value_len, lease)));
}

/* {OP: REQ} appended to array A; REQ is consumed. */
static int add_op(json_object *a, const char *op, json_object *req)
{
	json_object *o;

	if (!req)
		return -ENOMEM;
	o = json_object_new_object();
	if (!o || add_obj(o, op, req)) {
		if (o)
			json_object_put(o);
		else
			json_object_put(req);
		return -ENOMEM;
	}
	if (json_object_array_add(a, o)) {
		json_object_put(o);
		return -ENOMEM;
	}
	return 0;
}

/* One compare of OP's key: absent (EXPECT 0) or at mod_revision EXPECT. */
static json_object *cmp_body(const struct mobd_etcd_cas *op)
{
	json_object *cmp = json_object_new_object();
	bool create = op->expect == 0;

	if (!cmp)
		return NULL;
	if (add_b64(cmp, "key", op->key, strlen(op->key)) ||
	    add_obj(cmp, "target",
		    json_object_new_string(create ? "CREATE" : "MOD")) ||
	    add_obj(cmp, "result", json_object_new_string("EQUAL")) ||
	    add_i64(cmp, create ? "create_revision" : "mod_revision",
		    op->expect)) {
		json_object_put(cmp);
		return NULL;
	}
	return cmp;
}

static json_object *key_body(const char *key)
{
	json_object *o = json_object_new_object();

	if (o && add_b64(o, "key", key, strlen(key))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static bool cas_ok(const struct mobd_etcd_cas *op)
{
	return op->key && (op->value || !op->value_len) && op->expect >= 0;
}

int mobd_etcd_cas_put_many(struct mobd_etcd *e,
			   const struct mobd_etcd_cas *ops, size_t n,
			   const struct mobd_etcd_cas *also,
			   unsigned int timeout_ms, mobd_etcd_txn_many_cb cb,
			   void *arg)
{
	json_object *body, *cmp, *succ, *fail, *c;
	struct req *r;
	size_t i, j;
	int err;

	if (!n || n > MOBD_ETCD_TXN_MAX || !ops || (also && !cas_ok(also)))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!cas_ok(&ops[i]))
			return -EINVAL;
		/* etcd refuses a transaction that puts one key twice. */
		for (j = 0; j < i; j++)
			if (!strcmp(ops[i].key, ops[j].key))
				return -EINVAL;
		if (also && !strcmp(ops[i].key, also->key))
			return -EINVAL;
	}
	r = req_new(e, REQ_TXN_MANY, "/v3/kv/txn", sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cb.txn_many = cb;
	r->arg = arg;
	r->n_ops = n;
	r->timeout_ms = timeout_ms;
	body = json_object_new_object();
	cmp = json_object_new_array();
	succ = json_object_new_array();
	fail = json_object_new_array();
	/* The arrays belong to BODY once added (add_obj() frees on error). */
	err = body ? add_obj(body, "compare", cmp) : -ENOMEM;
	if (!err)
		err = add_obj(body, "success", succ);
	else
		json_object_put(succ);
	if (!err)
		err = add_obj(body, "failure", fail);
	else
		json_object_put(fail);
	if (!body)
		json_object_put(cmp);
	for (i = 0; !err && i < n; i++) {
		const struct mobd_etcd_cas *op = &ops[i];

		c = cmp_body(op);
		if (!c || json_object_array_add(cmp, c)) {
			json_object_put(c);
			err = -ENOMEM;
		}
		if (!err)
			err = add_op(succ, "request_put",
				     put_body(op->key,
					      op->value ? op->value : "",
					      op->value_len, op->lease));
		if (!err)
			err = add_op(fail, "request_range", key_body(op->key));
	}
	if (!err && also) {
		err = add_op(succ, "request_put",
			     put_body(also->key, also->value ? also->value : "",
				      also->value_len, also->lease));
		if (!err)
			err = add_op(fail, "request_put",
				     put_body(also->key,
					      also->value ? also->value : "",
					      also->value_len, also->lease));
	}
	if (err) {
		json_object_put(body);
		body = NULL;
	}
	return req_submit(r, body);
}

int mobd_etcd_cas_del(struct mobd_etcd *e, const char *key, int64_t expect,
		      mobd_etcd_txn_cb cb, void *arg)
{
	json_object *del;
	struct req *r;

	if (!key || expect < 0)
		return -EINVAL;
	r = req_new(e, REQ_TXN, "/v3/kv/txn", sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cb.txn = cb;
	r->arg = arg;
	del = json_object_new_object();
	if (del && add_b64(del, "key", key, strlen(key))) {
		json_object_put(del);
		del = NULL;
	}
	return req_submit(r, txn_body(key, false, expect,
				      "request_delete_range", del));
}

int mobd_etcd_put(struct mobd_etcd *e, const char *key, const char *value,
		  size_t value_len, int64_t lease, mobd_etcd_put_cb cb,
		  void *arg)
{
	struct req *r;

	if (!key || (!value && value_len))
		return -EINVAL;
	r = req_new(e, REQ_PUT, "/v3/kv/put", sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cb.put = cb;
	r->arg = arg;
	return req_submit(r, put_body(key, value ? value : "", value_len,
				      lease));
}

static int lease_req(struct mobd_etcd *e, enum req_kind kind,
		     const char *path, const char *field, int64_t v,
		     mobd_etcd_lease_cb cb, void *arg)
{
	json_object *body;
	struct req *r;

	if (v <= 0)
		return -EINVAL;
	r = req_new(e, kind, path, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cb.lease = cb;
	r->arg = arg;
	if (kind != REQ_GRANT)
		r->id = v;
	body = json_object_new_object();
	if (body && add_i64(body, field, v)) {
		json_object_put(body);
		body = NULL;
	}
	return req_submit(r, body);
}

int mobd_etcd_lease_grant(struct mobd_etcd *e, int64_t ttl,
			  mobd_etcd_lease_cb cb, void *arg)
{
	return lease_req(e, REQ_GRANT, "/v3/lease/grant", "TTL", ttl, cb, arg);
}

int mobd_etcd_lease_keepalive(struct mobd_etcd *e, int64_t id,
			      mobd_etcd_lease_cb cb, void *arg)
{
	return lease_req(e, REQ_KEEPALIVE, "/v3/lease/keepalive", "ID", id,
			 cb, arg);
}

int mobd_etcd_lease_revoke(struct mobd_etcd *e, int64_t id,
			   mobd_etcd_lease_cb cb, void *arg)
{
	return lease_req(e, REQ_REVOKE, "/v3/lease/revoke", "ID", id, cb,
			 arg);
}

int mobd_etcd_watch(struct mobd_etcd *e, const char *prefix, int64_t start,
		    const struct mobd_etcd_watch_ops *ops, void *arg,
		    struct mobd_etcd_watch **wp)
{
	struct mobd_etcd_watch *w;
	json_object *body, *create;
	int err;

	if (!prefix || !ops || !wp || start < 0)
		return -EINVAL;
	w = (struct mobd_etcd_watch *)req_new(e, REQ_WATCH, "/v3/watch",
					       sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->ops = *ops;
	w->arg = arg;
	body = json_object_new_object();
	create = json_object_new_object();
	if (!body || !create || add_prefix_range(create, prefix) ||
	    (start && add_i64(create, "start_revision", start))) {
		json_object_put(create);
		json_object_put(body);
		body = NULL;
	} else if (add_obj(body, "create_request", create)) {
		json_object_put(body);
		body = NULL;
	}
	err = req_submit(&w->r, body);
	if (!err)
		*wp = w;
	return err;
}

void mobd_etcd_watch_cancel(struct mobd_etcd_watch *w)
{
	struct mobd_etcd *e;

	if (!w)
		return;
	e = w->r.e;
	w->r.dead = true;
	req_detach(&w->r);
	if (!e->depth)
		sweep(e);
}
