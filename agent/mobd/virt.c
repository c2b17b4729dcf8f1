// SPDX-License-Identifier: GPL-2.0
/*
 * libvirt, as mobd sees it: one watched connection, lifecycle events turned
 * into struct mobd_domain, and the domain XML parser.
 *
 * Everything runs on the thread that runs libvirt's default event loop:
 * libvirt's callbacks, our timer and the ops callbacks.  The connection is
 * never closed from inside one of libvirt's callbacks (libvirt may be in
 * the middle of using it): a drop only sets a flag and arms our timer, and
 * the timer tears the connection down and reconnects.
 *
 * disconnected() comes once for every connection that was opened and then
 * lost, even if it was lost before connected() (while listing): what was
 * listed on it no longer counts.  Closing mobd_virt gives no callback, and
 * must not be done from inside one.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "log.h"
#include "parse.h"
#include "virt.h"

#define BACKOFF_MIN_MS		1000
#define BACKOFF_MAX_MS		30000
#define KEEPALIVE_INTERVAL	5
#define KEEPALIVE_COUNT		3

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct mobd_virt {
	char *uri;			/* NULL: libvirt's default */
	struct mobd_virt_ops ops;
	void *arg;

	virConnectPtr conn;
	bool connected;			/* connected() given, no drop seen */
	bool lost;			/* drop seen, teardown pending */
	bool close_cb;			/* close callback registered */
	int cb_lifecycle;		/* event callback ids, -1 if none */
	int cb_metadata;
	int cb_job;
	int cb_iteration;

	int timer;			/* teardown and reconnect */
	int backoff_ms;			/* delay of the next attempt */
	bool failing;			/* the last attempt failed (log once) */
};

/* ---------------------------------------------------------------- XML */

/* Internal: the domain part is unusable (as opposed to bad metadata). */
#define EBADXML		EBADMSG

__attribute__((format(printf, 3, 4)))
static int seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "52:54:00:AB:cd:EF", exactly: libvirt writes it so, users copy it. */
static int parse_mac(const char *s, uint8_t mac[6])
{
	int i, hi, lo;

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		hi = hexval((unsigned char)s[i * 3]);
		lo = hexval((unsigned char)s[i * 3 + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static void format_mac(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* 32 hex digits, dashes allowed between bytes, as virUUIDParse takes. */
static int parse_uuid(const char *s, unsigned char uuid[16])
{
	int i = 0, hi, lo;

	while (isspace((unsigned char)*s))
		s++;
	while (i < 16) {
		if (*s == '-') {
			s++;
			continue;
		}
		hi = hexval((unsigned char)s[0]);
		lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		uuid[i++] = (unsigned char)(hi << 4 | lo);
		s += 2;
	}
	while (isspace((unsigned char)*s))
		s++;
	return *s ? -EINVAL : 0;
}

/* Text content without the indentation a pretty-printer may add. */
static char *node_text(xmlNodePtr node)
{
	char *s = (char *)xmlNodeGetContent(node), *start, *end;

	if (!s)
		return NULL;
	for (start = s; isspace((unsigned char)*start); start++)
		;
	end = start + strlen(start);
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	memmove(s, start, (size_t)(end - start) + 1);
	return s;
}

static bool is_elem(xmlNodePtr n, const char *ns, const char *name)
{
	if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name))
		return false;
	if (!ns)
		return !n->ns;
	return n->ns && n->ns->href && !strcmp((const char *)n->ns->href, ns);
}

static xmlXPathObjectPtr xpath_nodes(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);

	if (obj && obj->type != XPATH_NODESET) {
		xmlXPathFreeObject(obj);
		return NULL;
	}
	return obj;
}

static int xpath_count(xmlXPathObjectPtr obj)
{
	return obj && obj->nodesetval ? obj->nodesetval->nodeNr : 0;
}

/* The text of the only node EXPR selects; NULL if none or several. */
static char *xpath_text(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr obj = xpath_nodes(ctx, expr);
	char *s = NULL;

	if (xpath_count(obj) == 1)
		s = node_text(obj->nodesetval->nodeTab[0]);
	xmlXPathFreeObject(obj);
	return s;
}

static int parse_vif(xmlNodePtr iface, struct mobd_domain *d, char *err,
		     size_t errlen)
{
	xmlChar *mac = NULL, *dev = NULL;
	struct mobd_vif *vif;
	xmlNodePtr n;
	int ret = 0;

	for (n = iface->children; n; n = n->next) {
		if (is_elem(n, NULL, "mac") && !mac)
			mac = xmlGetNoNsProp(n, BAD_CAST "address");
		else if (is_elem(n, NULL, "target") && !dev)
			dev = xmlGetNoNsProp(n, BAD_CAST "dev");
	}
	if (!mac)
		goto out;	/* nothing to match the metadata with */
	if (d->n_vif == MOBD_VIF_MAX) {
		ret = seterr(err, errlen, "more than %d interfaces",
			     MOBD_VIF_MAX);
		goto out;
	}
	vif = &d->vif[d->n_vif];
	if (parse_mac((const char *)mac, vif->mac)) {
		ret = seterr(err, errlen, "bad interface mac address '%s'",
			     (const char *)mac);
		goto out;
	}
	if (dev && strlen((const char *)dev) >= sizeof(vif->port)) {
		ret = seterr(err, errlen,
			     "interface %s: target dev '%s' too long",
			     (const char *)mac, (const char *)dev);
		goto out;
	}
	if (dev)
		strcpy(vif->port, (const char *)dev);
	d->n_vif++;
out:
	xmlFree(mac);
	xmlFree(dev);
	return ret;
}

/* The domain's own part: name, uuid, interfaces. */
static int parse_domain_part(xmlXPathContextPtr ctx, struct mobd_domain *d,
			     char *err, size_t errlen)
{
	xmlXPathObjectPtr obj;
	char *s;
	int i, ret = 0;

	s = xpath_text(ctx, "/domain/name");
	if (!s || !*s) {
		xmlFree(s);
		return seterr(err, errlen, "domain XML without a name");
	}
	/* The UUID is the identity; a long name is only shortened in logs. */
	snprintf(d->name, sizeof(d->name), "%s", s);
	xmlFree(s);

	s = xpath_text(ctx, "/domain/uuid");
	if (!s || parse_uuid(s, d->uuid))
		ret = seterr(err, errlen, "domain %s: bad uuid '%s'", d->name,
			     s ? s : "");
	xmlFree(s);
	if (ret)
		return ret;

	obj = xpath_nodes(ctx, "/domain/devices/interface");
	for (i = 0; i < xpath_count(obj) && !ret; i++)
		ret = parse_vif(obj->nodesetval->nodeTab[i], d, err, errlen);
	xmlXPathFreeObject(obj);
	return ret;
}

static struct mobd_vif *find_vif(struct mobd_domain *d, const uint8_t mac[6])
{
	int i;

	/* Bytes, so case does not matter; a duplicate MAC gets it first. */
	for (i = 0; i < d->n_vif; i++)
		if (!memcmp(d->vif[i].mac, mac, 6))
			return &d->vif[i];
	return NULL;
}

static bool vif_has_hoa(const struct mobd_vif *vif, const struct mobd_hoa *h)
{
	size_t len = h->family == AF_INET ? 4 : 16;
	int i;

	for (i = 0; i < vif->n_hoa; i++)
		if (vif->hoa[i].family == h->family &&
		    !memcmp(&vif->hoa[i].addr, &h->addr, len))
			return true;
	return false;
}

/* The interface H is already given to, if any. */
static const struct mobd_vif *find_hoa(const struct mobd_domain *d,
				       const struct mobd_vif *cur,
				       const struct mobd_hoa *h)
{
	int i;

	if (vif_has_hoa(cur, h))
		return cur;
	for (i = 0; i < d->n_vif; i++)
		if (vif_has_hoa(&d->vif[i], h))
			return &d->vif[i];
	return NULL;
}

/* SEEN: the domain's interfaces the metadata has named so far. */
_Static_assert(MOBD_VIF_MAX <= 32, "seen is a 32-bit mask");

static int parse_meta_iface(xmlNodePtr iface, struct mobd_domain *d,
			    uint32_t *seen, char *err, size_t errlen)
{
	struct mobd_vif scratch, *vif;
	const struct mobd_vif *other;
	struct mobd_hoa hoa;
	char *mac, *text, buf[32];
	uint8_t addr[6];
	xmlNodePtr n;
	int ret = 0;

	mac = (char *)xmlGetNoNsProp(iface, BAD_CAST "mac");
	if (!mac)
		return seterr(err, errlen, "metadata: <interface> without mac");
	if (parse_mac(mac, addr)) {
		ret = seterr(err, errlen, "metadata: bad mac '%s'", mac);
		goto out;
	}
	vif = find_vif(d, addr);
	if (vif && (*seen & 1u << (vif - d->vif))) {
		ret = seterr(err, errlen, "metadata: interface %s given twice",
			     mac);
		goto out;
	}
	if (vif) {
		*seen |= 1u << (vif - d->vif);
	} else {
		/* Still checked, so a typo shows before the MAC matches. */
		log_warn("metadata: domain %s has no interface %s; ignored",
			 d->name, mac);
		memset(&scratch, 0, sizeof(scratch));
		vif = &scratch;
	}
	for (n = iface->children; n && !ret; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!is_elem(n, MOBD_XMLNS, "hoa")) {
			ret = seterr(err, errlen,
				     "metadata: unexpected <%s> in interface %s",
				     (const char *)n->name, mac);
			break;
		}
		text = node_text(n);
		memset(&hoa, 0, sizeof(hoa));
		if (!text || mob_parse_addr(text, "HoA", &hoa.family,
					    &hoa.addr, NULL)) {
			ret = seterr(err, errlen,
				     "metadata: bad hoa '%s' for interface %s",
				     text ? text : "", mac);
		} else if (vif->n_hoa == MOBD_VIF_HOA_MAX) {
			ret = seterr(err, errlen,
				     "metadata: more than %d hoa for interface %s",
				     MOBD_VIF_HOA_MAX, mac);
		} else if ((other = find_hoa(d, vif, &hoa))) {
			format_mac(other == vif ? addr : other->mac, buf,
				   sizeof(buf));
			ret = seterr(err, errlen,
				     "metadata: hoa '%s' for interface %s is already on interface %s",
				     text, mac, buf);
		} else {
			vif->hoa[vif->n_hoa++] = hoa;
		}
		xmlFree(text);
	}
out:
	xmlFree(mac);
	return ret;
}

/* Our <metadata> element, matched by namespace URI whatever its prefix. */
static int parse_metadata(xmlXPathContextPtr ctx, struct mobd_domain *d,
			  char *err, size_t errlen)
{
	xmlXPathObjectPtr obj;
	xmlNodePtr vm, n;
	uint32_t seen = 0;
	int ret = 0;

	obj = xpath_nodes(ctx, "/domain/metadata/" MOBD_XMLNS_PREFIX ":vm");
	if (xpath_count(obj) > 1)
		ret = seterr(err, errlen,
			     "metadata: more than one <vm> element");
	if (xpath_count(obj) != 1)
		goto out;
	d->has_metadata = true;
	vm = obj->nodesetval->nodeTab[0];
	for (n = vm->children; n && !ret; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is_elem(n, MOBD_XMLNS, "interface"))
			ret = parse_meta_iface(n, d, &seen, err, errlen);
		else
			ret = seterr(err, errlen,
				     "metadata: unexpected <%s> in <vm>",
				     (const char *)n->name);
	}
out:
	xmlXPathFreeObject(obj);
	return ret;
}

/*
 * -EBADXML if the domain part is unusable (D keeps its name and uuid, has
 * no interface), -EINVAL for bad metadata (D has the domain part only).
 */
static int parse_xml(const char *xml, struct mobd_domain *d, char *err,
		     size_t errlen)
{
	struct mobd_domain *tmp;
	xmlXPathContextPtr ctx = NULL;
	xmlDocPtr doc;
	xmlNodePtr root;
	int ret, i;

	if (err && errlen)
		err[0] = '\0';
	d->has_metadata = false;
	if (strlen(xml) > INT_MAX) {
		d->n_vif = 0;
		seterr(err, errlen, "domain XML too large");
		return -EBADXML;
	}
	xmlResetLastError();
	doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		char msg[160] = "";

		d->n_vif = 0;
		if (e && e->message)
			snprintf(msg, sizeof(msg), ": line %d: %s", e->line,
				 e->message);
		msg[strcspn(msg, "\n")] = '\0';
		seterr(err, errlen, "domain XML does not parse%s", msg);
		return -EBADXML;
	}
	tmp = calloc(1, sizeof(*tmp));
	root = xmlDocGetRootElement(doc);
	if (!tmp) {
		ret = seterr(err, errlen, "out of memory");
		goto out;
	}
	if (!root || !is_elem(root, NULL, "domain")) {
		ret = seterr(err, errlen, "not a domain XML");
		goto out;
	}
	ctx = xmlXPathNewContext(doc);
	if (!ctx || xmlXPathRegisterNs(ctx, BAD_CAST MOBD_XMLNS_PREFIX,
				       BAD_CAST MOBD_XMLNS)) {
		ret = seterr(err, errlen, "out of memory");
		goto out;
	}
	ret = parse_domain_part(ctx, tmp, err, errlen);
	if (ret)
		goto out;
	ret = parse_metadata(ctx, tmp, err, errlen);
	if (ret) {
		tmp->has_metadata = false;
		for (i = 0; i < tmp->n_vif; i++) {
			tmp->vif[i].n_hoa = 0;
			memset(tmp->vif[i].hoa, 0, sizeof(tmp->vif[i].hoa));
		}
	}
	memcpy(d->name, tmp->name, sizeof(d->name));
	memcpy(d->uuid, tmp->uuid, sizeof(d->uuid));
	d->has_metadata = tmp->has_metadata;
	d->n_vif = tmp->n_vif;
	memcpy(d->vif, tmp->vif, sizeof(d->vif));
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	free(tmp);
	return ret;
out:
	d->n_vif = 0;
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	free(tmp);
	return -EBADXML;
}

int mobd_virt_parse_xml(const char *xml, struct mobd_domain *d,
			char *err, size_t errlen)
{
	if (!xml || !d)
		return seterr(err, errlen, "no XML");
	return parse_xml(xml, d, err, errlen) ? -EINVAL : 0;
}

/* ------------------------------------------------------------ libvirt */

static const char *virt_uri(const struct mobd_virt *v)
{
	return v->uri ? v->uri : "(default URI)";
}

/* libvirt prints every error to stderr by default; we log what matters. */
static void virt_error_func(void *opaque, virErrorPtr e)
{
	if (e && e->message)
		log_debug("libvirt: %s", e->message);
}

/* The last error of this thread, before another call resets it. */
static int last_error(char *msg, size_t len)
{
	virErrorPtr e = virGetLastError();

	snprintf(msg, len, "%s",
		 e && e->message ? e->message : "unknown error");
	return e ? e->code : VIR_ERR_OK;
}

static void arm_timer(struct mobd_virt *v, int ms)
{
	virEventUpdateTimeout(v->timer, ms);
}

static void schedule_drop(struct mobd_virt *v, const char *why)
{
	if (!v->conn || v->lost)
		return;
	log_warn("libvirt %s: connection lost: %s", virt_uri(v), why);
	v->lost = true;
	v->connected = false;
	arm_timer(v, 0);
}

/*
 * A call on the connection failed with CODE: was it the connection?
 * NO_CONNECT always is; a system error (a socket's) is unless the client
 * says the connection is still open; anything else only if it says closed.
 */
static bool conn_failed(struct mobd_virt *v, int code, const char *msg)
{
	int alive;

	if (v->lost)
		return true;
	alive = virConnectIsAlive(v->conn);
	if (code == VIR_ERR_NO_CONNECT || alive == 0 ||
	    (code == VIR_ERR_SYSTEM_ERROR && alive != 1)) {
		schedule_drop(v, msg);
		return true;
	}
	return false;
}

static enum mobd_dom_state map_state(int st)
{
	switch (st) {
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
	case VIR_DOMAIN_SHUTDOWN:	/* shutting down, still running */
		return MOBD_DOM_RUNNING;
	case VIR_DOMAIN_PAUSED:
	case VIR_DOMAIN_PMSUSPENDED:
	case VIR_DOMAIN_CRASHED:	/* kept for a dump: here, not running */
		return MOBD_DOM_PAUSED;
	case VIR_DOMAIN_SHUTOFF:
		return MOBD_DOM_SHUTOFF;
	default:
		return MOBD_DOM_UNKNOWN;
	}
}

/* Only a migration in progress: RUNNING_MIGRATED just says how it came. */
static bool reason_migrating(int st, int reason)
{
	if (st == VIR_DOMAIN_PAUSED)
		return reason == VIR_DOMAIN_PAUSED_MIGRATION ||
		       reason == VIR_DOMAIN_PAUSED_POSTCOPY ||
		       reason == VIR_DOMAIN_PAUSED_POSTCOPY_FAILED;
	if (st == VIR_DOMAIN_RUNNING)
		return reason == VIR_DOMAIN_RUNNING_POSTCOPY ||
		       reason == VIR_DOMAIN_RUNNING_POSTCOPY_FAILED;
	return false;
}

static const char *const event_names[] = {
	[VIR_DOMAIN_EVENT_DEFINED] = "defined",
	[VIR_DOMAIN_EVENT_UNDEFINED] = "undefined",
	[VIR_DOMAIN_EVENT_STARTED] = "started",
	[VIR_DOMAIN_EVENT_SUSPENDED] = "suspended",
	[VIR_DOMAIN_EVENT_RESUMED] = "resumed",
	[VIR_DOMAIN_EVENT_STOPPED] = "stopped",
	[VIR_DOMAIN_EVENT_SHUTDOWN] = "shutdown",
	[VIR_DOMAIN_EVENT_PMSUSPENDED] = "pmsuspended",
	[VIR_DOMAIN_EVENT_CRASHED] = "crashed",
};

static const char *event_name(int event)
{
	if (event >= 0 && event < (int)ARRAY_SIZE(event_names) &&
	    event_names[event])
		return event_names[event];
	return "unknown";
}

/* What to report about a domain, before libvirt is asked. */
struct report {
	enum mobd_dom_cause cause;
	enum mobd_dom_state state;	/* if !ask */
	bool ask;			/* the event does not say: ask */
	bool may_be_gone;		/* NO_DOMAIN means it is gone */
	bool migrated;
};

/*
 * A lifecycle event, as mobd needs it.  STARTED_MIGRATED is an incoming
 * migration: QEMU waits paused for the memory until RESUMED_MIGRATED.
 * Post-copy: the source pauses (SUSPENDED_POSTCOPY) once the VM runs at
 * the destination (RESUMED_POSTCOPY) and stops (STOPPED_MIGRATED) when the
 * last page has moved; a failed post-copy leaves it paused on the source
 * (SUSPENDED_POSTCOPY_FAILED) and paused or running on the destination
 * (RESUMED_POSTCOPY_FAILED).  All of these are "migrated".  SHUTDOWN and
 * CRASHED do not say whether the domain still runs, DEFINED and
 * UNDEFINED not whether it runs at all: libvirt is asked.
 */
static void map_event(int event, int detail, struct report *r)
{
	memset(r, 0, sizeof(*r));
	r->cause = MOBD_CAUSE_OTHER;
	r->ask = true;
	switch (event) {
	case VIR_DOMAIN_EVENT_DEFINED:
		r->cause = MOBD_CAUSE_DEFINED;
		break;
	case VIR_DOMAIN_EVENT_UNDEFINED:
		/* A running domain stays, transient: only then is it here. */
		r->cause = MOBD_CAUSE_UNDEFINED;
		r->may_be_gone = true;
		break;
	case VIR_DOMAIN_EVENT_STARTED:
		r->cause = MOBD_CAUSE_STARTED;
		r->ask = false;
		r->migrated = detail == VIR_DOMAIN_EVENT_STARTED_MIGRATED;
		r->state = r->migrated ? MOBD_DOM_PAUSED : MOBD_DOM_RUNNING;
		break;
	case VIR_DOMAIN_EVENT_SUSPENDED:
	case VIR_DOMAIN_EVENT_PMSUSPENDED:
		r->cause = MOBD_CAUSE_SUSPENDED;
		r->ask = false;
		r->state = MOBD_DOM_PAUSED;
		r->migrated = event == VIR_DOMAIN_EVENT_SUSPENDED &&
			(detail == VIR_DOMAIN_EVENT_SUSPENDED_MIGRATED ||
			 detail == VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY ||
			 detail == VIR_DOMAIN_EVENT_SUSPENDED_POSTCOPY_FAILED);
		break;
	case VIR_DOMAIN_EVENT_RESUMED:
		r->cause = MOBD_CAUSE_RESUMED;
		r->ask = false;
		r->state = MOBD_DOM_RUNNING;
		r->migrated = detail == VIR_DOMAIN_EVENT_RESUMED_MIGRATED ||
			detail == VIR_DOMAIN_EVENT_RESUMED_POSTCOPY ||
			detail == VIR_DOMAIN_EVENT_RESUMED_POSTCOPY_FAILED;
		break;
	case VIR_DOMAIN_EVENT_STOPPED:
		r->cause = MOBD_CAUSE_STOPPED;
		r->ask = false;
		r->state = MOBD_DOM_SHUTOFF;
		r->migrated = detail == VIR_DOMAIN_EVENT_STOPPED_MIGRATED;
		break;
	default:
		break;
	}
}

/*
 * Is DOM the destination of a migration under way?  Its job says so; a
 * domain paused by migration is the source's just as well.
 */
static bool job_incoming(virDomainPtr dom)
{
	virTypedParameterPtr params = NULL;
	int type, n = 0, op = -1;

	if (virDomainGetJobStats(dom, &type, &params, &n, 0) < 0) {
		virResetLastError();
		return false;
	}
	virTypedParamsGetInt(params, n, VIR_DOMAIN_JOB_OPERATION, &op);
	virTypedParamsFree(params, n);
	return type != VIR_DOMAIN_JOB_NONE &&
	       op == VIR_DOMAIN_JOB_OPERATION_MIGRATION_IN;
}

/* Read DOM and give it to ops->domain(). */
static void report_domain(struct mobd_virt *v, virDomainPtr dom,
			  const struct report *r)
{
	struct mobd_domain d;
	char msg[256], err[256];
	const char *name;
	int st, reason, code, ret;
	bool gone = false;
	char *xml;

	memset(&d, 0, sizeof(d));
	/* Both are kept in DOM itself: they work when libvirt does not. */
	name = virDomainGetName(dom);
	snprintf(d.name, sizeof(d.name), "%s", name ? name : "");
	virDomainGetUUID(dom, d.uuid);
	d.cause = r->cause;
	d.state = r->state;
	d.migrated = r->migrated;

	if (r->ask) {
		if (virDomainGetState(dom, &st, &reason, 0) == 0) {
			d.state = map_state(st);
			/* E.g. DEFINED at a migration's destination: the
			 * incoming domain is paused for it. */
			d.migrated = d.migrated || reason_migrating(st, reason);
		} else {
			code = last_error(msg, sizeof(msg));
			if (code == VIR_ERR_NO_DOMAIN && r->may_be_gone) {
				d.state = MOBD_DOM_SHUTOFF;
				gone = true;
			} else if (conn_failed(v, code, msg)) {
				return;		/* listed again on reconnect */
			} else {
				log_warn("domain %s: cannot read its state: %s",
					 d.name, msg);
				d.state = MOBD_DOM_UNKNOWN;
			}
		}
	}

	if (r->cause == MOBD_CAUSE_STARTED && r->migrated)
		d.incoming = true;
	else if (d.state == MOBD_DOM_PAUSED && d.migrated && !gone)
		d.incoming = job_incoming(dom);

	if (gone) {
		log_debug("domain %s: gone", d.name);
	} else if (!(xml = virDomainGetXMLDesc(dom, 0))) {
		code = last_error(msg, sizeof(msg));
		/* Stopped or gone: the event says enough, no interfaces. */
		if (d.state == MOBD_DOM_SHUTOFF) {
			log_debug("domain %s: no XML (%s)", d.name, msg);
		} else if (conn_failed(v, code, msg)) {
			return;
		} else {
			log_warn("domain %s: cannot read its XML: %s", d.name,
				 msg);
			d.state = MOBD_DOM_UNKNOWN;
		}
	} else {
		ret = parse_xml(xml, &d, err, sizeof(err));
		free(xml);
		if (ret == -EBADXML) {
			log_warn("domain %s: %s", d.name, err);
			if (d.state != MOBD_DOM_SHUTOFF)
				d.state = MOBD_DOM_UNKNOWN;
		} else if (ret) {
			log_warn("domain %s: %s; its HoAs are ignored", d.name,
				 err);
		}
	}
	if (v->ops.domain)
		v->ops.domain(v->arg, &d);
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event,
			int detail, void *opaque)
{
	struct mobd_virt *v = opaque;
	struct report r;

	if (conn != v->conn || v->lost)
		return 0;
	log_debug("domain %s: event %s, detail %d", virDomainGetName(dom),
		  event_name(event), detail);
	map_event(event, detail, &r);
	report_domain(v, dom, &r);
	return 0;
}

/* "virsh metadata" changes no lifecycle state: the HoAs may have changed. */
static void on_metadata(virConnectPtr conn, virDomainPtr dom, int type,
			const char *nsuri, void *opaque)
{
	struct mobd_virt *v = opaque;
	struct report r = {
		.cause = MOBD_CAUSE_DEFINED,
		.ask = true,
	};

	if (conn != v->conn || v->lost || type != VIR_DOMAIN_METADATA_ELEMENT ||
	    !nsuri || strcmp(nsuri, MOBD_XMLNS))
		return;
	log_debug("domain %s: our metadata changed", virDomainGetName(dom));
	report_domain(v, dom, &r);
}

/* Migration events: only logged for now. */
static void on_job_completed(virConnectPtr conn, virDomainPtr dom,
			     virTypedParameterPtr params, int nparams,
			     void *opaque)
{
	int op = -1;

	virTypedParamsGetInt(params, nparams, VIR_DOMAIN_JOB_OPERATION, &op);
	log_debug("domain %s: job completed, operation %d",
		  virDomainGetName(dom), op);
}

static void on_migration_iteration(virConnectPtr conn, virDomainPtr dom,
				   int iteration, void *opaque)
{
	log_debug("domain %s: migration iteration %d", virDomainGetName(dom),
		  iteration);
}

/* From libvirt, maybe in the middle of a call: only note it. */
static void on_close(virConnectPtr conn, int reason, void *opaque)
{
	static const char *const reasons[] = {
		[VIR_CONNECT_CLOSE_REASON_ERROR] = "I/O error",
		[VIR_CONNECT_CLOSE_REASON_EOF] = "end of file",
		[VIR_CONNECT_CLOSE_REASON_KEEPALIVE] = "keepalive timeout",
		[VIR_CONNECT_CLOSE_REASON_CLIENT] = "closed by the client",
	};
	struct mobd_virt *v = opaque;

	if (conn != v->conn)
		return;
	if (reason >= 0 && reason < (int)ARRAY_SIZE(reasons))
		schedule_drop(v, reasons[reason]);
	else
		schedule_drop(v, "closed");
}

static void deregister(struct mobd_virt *v, int *id)
{
	if (*id >= 0)
		virConnectDomainEventDeregisterAny(v->conn, *id);
	*id = -1;
}

/* Forget the connection; callers say disconnected() if it was used. */
static void teardown(struct mobd_virt *v)
{
	if (!v->conn)
		return;
	/* On a dead connection these fail remotely, but drop locally. */
	deregister(v, &v->cb_lifecycle);
	deregister(v, &v->cb_metadata);
	deregister(v, &v->cb_job);
	deregister(v, &v->cb_iteration);
	if (v->close_cb)
		virConnectUnregisterCloseCallback(v->conn, on_close);
	v->close_cb = false;
	virConnectClose(v->conn);
	v->conn = NULL;
	v->lost = false;
	v->connected = false;
}

static int register_event(struct mobd_virt *v, int id,
			  virConnectDomainEventGenericCallback cb, int *out)
{
	char msg[256];

	*out = virConnectDomainEventRegisterAny(v->conn, NULL, id, cb, v, NULL);
	if (*out < 0) {
		last_error(msg, sizeof(msg));
		log_warn("libvirt %s: cannot register for domain event %d: %s",
			 virt_uri(v), id, msg);
		return -1;
	}
	return 0;
}

static void list_domains(struct mobd_virt *v)
{
	struct report r = { .cause = MOBD_CAUSE_LIST };
	virDomainPtr *doms = NULL;
	char msg[256];
	int i, n, st, reason, code;

	n = virConnectListAllDomains(v->conn, &doms,
				     VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (n < 0) {
		code = last_error(msg, sizeof(msg));
		if (conn_failed(v, code, msg))
			return;
		/* No list, no connected(): start again. */
		log_warn("libvirt %s: cannot list domains: %s", virt_uri(v),
			 msg);
		schedule_drop(v, "cannot list domains");
		return;
	}
	for (i = 0; i < n; i++) {
		if (v->lost)
			goto next;
		if (virDomainGetState(doms[i], &st, &reason, 0) < 0) {
			code = last_error(msg, sizeof(msg));
			/* A domain just gone has its event queued. */
			if (code == VIR_ERR_NO_DOMAIN ||
			    conn_failed(v, code, msg))
				goto next;
			log_warn("domain %s: cannot read its state: %s",
				 virDomainGetName(doms[i]), msg);
			r.state = MOBD_DOM_UNKNOWN;
			r.migrated = false;
		} else {
			r.state = map_state(st);
			r.migrated = reason_migrating(st, reason);
			if (r.state != MOBD_DOM_RUNNING &&
			    r.state != MOBD_DOM_PAUSED)
				goto next;
		}
		report_domain(v, doms[i], &r);
next:
		virDomainFree(doms[i]);
	}
	free(doms);
	if (v->lost)
		return;
	v->connected = true;
	if (v->ops.connected)
		v->ops.connected(v->arg);
}

static int virt_connect(struct mobd_virt *v)
{
	char msg[256];

	v->conn = virConnectOpen(v->uri);
	if (!v->conn) {
		last_error(msg, sizeof(msg));
		if (!v->failing)
			log_warn("libvirt %s: cannot connect: %s; retrying",
				 virt_uri(v), msg);
		else
			log_debug("libvirt %s: cannot connect: %s", virt_uri(v),
				  msg);
		v->failing = true;
		return -1;
	}
	virConnSetErrorFunc(v->conn, NULL, virt_error_func);
	/* Local drivers (test://) have none and need none: NO_SUPPORT. */
	if (virConnectSetKeepAlive(v->conn, KEEPALIVE_INTERVAL,
				   KEEPALIVE_COUNT) < 0 &&
	    last_error(msg, sizeof(msg)) != VIR_ERR_NO_SUPPORT)
		log_warn("libvirt %s: no keepalive: %s", virt_uri(v), msg);
	/* Without it, a drop is still seen when a call fails. */
	if (virConnectRegisterCloseCallback(v->conn, on_close, v, NULL) < 0) {
		last_error(msg, sizeof(msg));
		log_warn("libvirt %s: no close callback: %s", virt_uri(v), msg);
	} else {
		v->close_cb = true;
	}
	/* Lifecycle events are the point; the others may be missing from
	 * an old daemon. */
	if (register_event(v, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
			   VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle),
			   &v->cb_lifecycle))
		goto fail;
	register_event(v, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
		       VIR_DOMAIN_EVENT_CALLBACK(on_metadata), &v->cb_metadata);
	register_event(v, VIR_DOMAIN_EVENT_ID_JOB_COMPLETED,
		       VIR_DOMAIN_EVENT_CALLBACK(on_job_completed), &v->cb_job);
	register_event(v, VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
		       VIR_DOMAIN_EVENT_CALLBACK(on_migration_iteration),
		       &v->cb_iteration);
	if (v->lost)
		goto fail;
	log_info("libvirt %s: connected", virt_uri(v));
	v->failing = false;
	v->backoff_ms = BACKOFF_MIN_MS;
	/* Registered first: what changes while we list comes as events. */
	list_domains(v);
	return 0;
fail:
	v->failing = true;
	teardown(v);
	return -1;
}

static void retry_later(struct mobd_virt *v)
{
	log_debug("libvirt %s: next attempt in %d ms", virt_uri(v),
		  v->backoff_ms);
	arm_timer(v, v->backoff_ms);
	v->backoff_ms *= 2;
	if (v->backoff_ms > BACKOFF_MAX_MS)
		v->backoff_ms = BACKOFF_MAX_MS;
}

/* Teardown of a lost connection, and every attempt to connect. */
static void on_timer(int timer, void *opaque)
{
	struct mobd_virt *v = opaque;

	arm_timer(v, -1);
	if (v->conn && v->lost) {
		teardown(v);
		if (v->ops.disconnected)
			v->ops.disconnected(v->arg);
		retry_later(v);
		return;
	}
	if (!v->conn && virt_connect(v) < 0)
		retry_later(v);
}

int mobd_virt_open(struct mobd_virt **vp, const char *uri,
		   const struct mobd_virt_ops *ops, void *arg)
{
	struct mobd_virt *v;

	if (!vp || !ops)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (uri && !(v->uri = strdup(uri))) {
		free(v);
		return -ENOMEM;
	}
	v->ops = *ops;
	v->arg = arg;
	v->cb_lifecycle = v->cb_metadata = v->cb_job = v->cb_iteration = -1;
	v->backoff_ms = BACKOFF_MIN_MS;
	virSetErrorFunc(NULL, virt_error_func);
	v->timer = virEventAddTimeout(-1, on_timer, v, NULL);
	if (v->timer < 0) {
		log_err("libvirt: no event loop (virEventRegisterDefaultImpl)");
		free(v->uri);
		free(v);
		return -EINVAL;
	}
	/* Set first: ops may look at it during the first connection. */
	*vp = v;
	if (virt_connect(v) < 0)
		retry_later(v);
	return 0;
}

void mobd_virt_close(struct mobd_virt *v)
{
	if (!v)
		return;
	virEventRemoveTimeout(v->timer);
	teardown(v);
	free(v->uri);
	free(v);
}

bool mobd_virt_connected(const struct mobd_virt *v)
{
	return v && v->connected;
}
