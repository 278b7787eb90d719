// SPDX-License-Identifier: MIT
/*
 * proto.c - subjects, keys and payloads of cluster mode (proto.h). The
 * payloads are small JSON objects (json-c), read strictly: a field of the
 * wrong type or out of range is an error naming it, never a default.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/addr.h"
#include "core/err.h"
#include "proto.h"

#define PAYLOAD_MAX	(16u << 20)	/* larger payloads are refused before parsing */
#define CYCLES_MAX	256
#define PHASES_MAX	4096
#define FLOWS_MAX	(1u << 20)

static const char *const obs_names[FPC_OBS_KINDS] = {
	[FPC_OBS_CYCLES] = "cycles", [FPC_OBS_LINKS] = "links",
	[FPC_OBS_COUNTERS] = "counters", [FPC_OBS_PORTMAP] = "portmap",
	[FPC_OBS_INSTALLED] = "installed",
};

const char *fpc_obs_name(enum fpc_obs_kind k)
{
	return (unsigned int)k < FPC_OBS_KINDS ? obs_names[k] : "?";
}

int fpc_obs_parse(const char *s)
{
	int i;

	for (i = 0; i < FPC_OBS_KINDS; i++)
		if (!strcmp(s, obs_names[i]))
			return i;
	return -1;
}

bool fpc_token_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (i == FPC_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return i > 0;
}

int fpc_names_init(struct fpc_names *n, const char *prefix, const char *bucket,
		   struct fp_err *err)
{
	memset(n, 0, sizeof(*n));
	if (!fpc_token_ok(prefix) || strlen(prefix) >= sizeof(n->prefix) - 4)
		return fp_fail(err, EINVAL,
			    "[cluster] prefix '%s': letters, digits, '_' and '-', at most %zu",
			    prefix, sizeof(n->prefix) - 5);
	if (!fpc_token_ok(bucket) || strlen(bucket) >= sizeof(n->bucket))
		return fp_fail(err, EINVAL, "[cluster] bucket '%s': letters, digits, '_' and '-'",
			    bucket);
	snprintf(n->prefix, sizeof(n->prefix), "%s", prefix);
	snprintf(n->bucket, sizeof(n->bucket), "%s", bucket);
	snprintf(n->kv_stream, sizeof(n->kv_stream), "KV_%s", bucket);
	snprintf(n->obs_stream, sizeof(n->obs_stream), "%s_obs", prefix);
	return 0;
}

char *fpc_subj_obs(const struct fpc_names *n, const char *host, enum fpc_obs_kind k,
		   char *buf, size_t len)
{
	snprintf(buf, len, "%s.obs.%s.%s", n->prefix, host, fpc_obs_name(k));
	return buf;
}

char *fpc_subj_share(const struct fpc_names *n, const char *host, char *buf, size_t len)
{
	snprintf(buf, len, "%s.plan.%s", n->prefix, host);
	return buf;
}

char *fpc_subj_key(const struct fpc_names *n, const char *host, char *buf, size_t len)
{
	snprintf(buf, len, "$KV.%s.plan.%s", n->bucket, host);
	return buf;
}

/* A node name as one subject token: what is not [A-Za-z0-9_-] as %XX. */
static void tok(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 4 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, len - o, "%%%02X", c);
	}
	out[o] = 0;
}

char *fpc_subj_fabric(const struct fpc_names *n, const char *a, const char *b,
		      char *buf, size_t len)
{
	char ta[200], tb[200];

	if (strcmp(a, b) > 0) {
		const char *t = a;

		a = b;
		b = t;
	}
	tok(a, ta, sizeof(ta));
	tok(b, tb, sizeof(tb));
	snprintf(buf, len, "%s.fabric.link.%s~%s", n->prefix, ta, tb);
	return buf;
}

char *fpc_subj_replan(const struct fpc_names *n, char *buf, size_t len)
{
	snprintf(buf, len, "%s.planner.replan", n->prefix);
	return buf;
}

bool fpc_subj_obs_parse(const struct fpc_names *n, const char *subj, char *host,
			size_t hlen, enum fpc_obs_kind *k)
{
	size_t pl = strlen(n->prefix);
	const char *h, *dot;
	int kind;

	if (strncmp(subj, n->prefix, pl) || strncmp(subj + pl, ".obs.", 5))
		return false;
	h = subj + pl + 5;
	dot = strchr(h, '.');
	if (!dot || (size_t)(dot - h) >= hlen || dot == h)
		return false;
	kind = fpc_obs_parse(dot + 1);
	if (kind < 0)
		return false;
	memcpy(host, h, (size_t)(dot - h));
	host[dot - h] = 0;
	*k = (enum fpc_obs_kind)kind;
	return fpc_token_ok(host);
}

bool fpc_subj_host(const struct fpc_names *n, const char *subj, char *host, size_t hlen)
{
	char pre[128];
	size_t l;

	snprintf(pre, sizeof(pre), "$KV.%s.plan.", n->bucket);
	l = strlen(pre);
	if (strncmp(subj, pre, l)) {
		snprintf(pre, sizeof(pre), "%s.plan.", n->prefix);
		l = strlen(pre);
		if (strncmp(subj, pre, l))
			return false;
	}
	if (strlen(subj + l) >= hlen || !fpc_token_ok(subj + l))
		return false;
	strcpy(host, subj + l);
	return true;
}

/* ------------------------------------------------------------- helpers */

static char *out(json_object *o, size_t *len)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	char *r = s ? strdup(s) : NULL;

	if (r && len)
		*len = strlen(r);
	json_object_put(o);
	if (!r)
		errno = ENOMEM;
	return r;
}

static int parse(const char *text, size_t len, const char *what, json_object **o,
		 struct fp_err *err)
{
	struct json_tokener *t;
	enum json_tokener_error je;

	*o = NULL;
	if (len > PAYLOAD_MAX)
		return fp_fail(err, EFBIG, "%s: %zu bytes, more than %u", what, len, PAYLOAD_MAX);
	if (len > INT32_MAX)
		return fp_fail(err, EFBIG, "%s: too large", what);
	t = json_tokener_new();
	if (!t)
		return fp_fail(err, ENOMEM, "out of memory");
	*o = json_tokener_parse_ex(t, text, (int)len);
	je = json_tokener_get_error(t);
	if (*o && je == json_tokener_success) {
		size_t end = json_tokener_get_parse_end(t);

		while (end < len && strchr(" \t\r\n", text[end]) && text[end])
			end++;
		if (end < len)
			je = json_tokener_error_parse_unexpected;
	}
	if (!*o || je != json_tokener_success) {
		json_object_put(*o);
		*o = NULL;
		json_tokener_free(t);
		return fp_fail(err, EINVAL, "%s: not JSON (%s)", what,
			    je == json_tokener_continue ? "incomplete" : json_tokener_error_desc(je));
	}
	json_tokener_free(t);
	if (!json_object_is_type(*o, json_type_object)) {
		json_object_put(*o);
		*o = NULL;
		return fp_fail(err, EINVAL, "%s: not a JSON object", what);
	}
	return 0;
}

/* A field: present and of @type, else an error naming it. */
static int field(json_object *o, const char *name, json_type type, json_object **v,
		 const char *what, struct fp_err *err)
{
	static const char *const tn[] = {
		[json_type_null] = "null", [json_type_boolean] = "a boolean",
		[json_type_double] = "a number", [json_type_int] = "an integer",
		[json_type_object] = "an object", [json_type_array] = "an array",
		[json_type_string] = "a string",
	};

	if (!json_object_object_get_ex(o, name, v))
		return fp_fail(err, EINVAL, "%s: no \"%s\"", what, name);
	if (!json_object_is_type(*v, type))
		return fp_fail(err, EINVAL, "%s: \"%s\" is not %s", what, name, tn[type]);
	return 0;
}

/* An unsigned integer field within [0, max]. */
static int u64(json_object *o, const char *name, uint64_t max, uint64_t *out_v,
	       const char *what, struct fp_err *err)
{
	json_object *v;
	int ret = field(o, name, json_type_int, &v, what, err);
	uint64_t u;

	if (ret)
		return ret;
	/* json-c keeps integers above INT64_MAX as unsigned: get_int64 clamps them */
	if (json_object_get_int64(v) < 0)
		return fp_fail(err, ERANGE, "%s: \"%s\" is negative", what, name);
	u = json_object_get_uint64(v);
	if (u > max)
		return fp_fail(err, ERANGE, "%s: \"%s\" is above %" PRIu64, what, name, max);
	*out_v = u;
	return 0;
}

static int str(json_object *o, const char *name, char *buf, size_t n, const char *what,
	       struct fp_err *err)
{
	json_object *v;
	int ret = field(o, name, json_type_string, &v, what, err);

	if (ret)
		return ret;
	if ((size_t)json_object_get_string_len(v) >= n)
		return fp_fail(err, ERANGE, "%s: \"%s\" is longer than %zu bytes", what, name, n - 1);
	memcpy(buf, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
	if (strlen(buf) != (size_t)json_object_get_string_len(v))
		return fp_fail(err, EINVAL, "%s: \"%s\" holds a NUL byte", what, name);
	return 0;
}

/*
 * Addresses travel as text: IPv4 as a dotted quad (as it always did), IPv6
 * in RFC 5952 form. A reader before IPv6 refuses an IPv6 address with
 * "'2001:db8::1' is not an IPv4 address" (inet_pton AF_INET).
 */
static json_object *jaddr(const struct fp_addr *a)
{
	char t[FP_ADDR_STRLEN];

	return json_object_new_string(fp_addr_str(a, t));
}

static int addr(json_object *v, struct fp_addr *a, const char *what, struct fp_err *err)
{
	const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;

	if (!s || fp_addr_parse(s, a))
		return fp_fail(err, EINVAL, "%s: '%s' is not an IPv4 or IPv6 address", what,
			    v ? json_object_get_string(v) : "null");
	/* one spelling per address */
	if (fp_addr_is_v4(a) && strchr(s, ':'))
		return fp_fail(err, EINVAL, "%s: '%s' is an IPv4-mapped IPv6 address (IPv4 is a dotted quad)",
			    what, s);
	return 0;
}

static json_object *ju64(uint64_t v)
{
	return json_object_new_uint64(v);
}

/* -------------------------------------------------------------- cycles */

char *fpc_cycles_encode(const struct fpd_cycle *const *cy, size_t n, size_t *len)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	size_t i, k, f;

	for (i = 0; i < n; i++) {
		json_object *c = json_object_new_object(), *phs = json_object_new_array();

		json_object_object_add(c, "job", ju64(cy[i]->job));
		json_object_object_add(c, "period_ns", ju64(cy[i]->period_ns));
		for (k = 0; k < cy[i]->nph; k++) {
			const struct fpd_cphase *ph = &cy[i]->ph[k];
			json_object *p = json_object_new_object(), *fl = json_object_new_array();

			json_object_object_add(p, "steps", ju64(ph->steps));
			for (f = 0; f < ph->n; f++) {
				json_object *t = json_object_new_array();

				json_object_array_add(t, jaddr(&ph->f[f].src));
				json_object_array_add(t, jaddr(&ph->f[f].dst));
				json_object_array_add(t, ju64(ph->f[f].bytes));
				json_object_array_add(fl, t);
			}
			json_object_object_add(p, "flows", fl);
			json_object_array_add(phs, p);
		}
		json_object_object_add(c, "phases", phs);
		json_object_array_add(a, c);
	}
	json_object_object_add(o, "cycles", a);
	return out(o, len);
}

void fpc_cycles_free(struct fpd_cycle *cy, size_t n)
{
	size_t i, k;

	for (i = 0; cy && i < n; i++) {
		for (k = 0; k < cy[i].nph; k++)
			free(cy[i].ph[k].f);
		free(cy[i].ph);
	}
	free(cy);
}

int fpc_cycles_decode(const char *text, size_t len, struct fpd_cycle **out_cy, size_t *out_n,
		      struct fp_err *err)
{
	const char *what = "cycles";
	json_object *o, *a, *v;
	struct fpd_cycle *cy = NULL;
	size_t n = 0, i, k, f, total = 0;
	uint64_t x;
	int ret;

	*out_cy = NULL;
	*out_n = 0;
	ret = parse(text, len, what, &o, err);
	if (ret)
		return ret;
	ret = field(o, "cycles", json_type_array, &a, what, err);
	if (ret)
		goto out;
	n = json_object_array_length(a);
	if (n > CYCLES_MAX) {
		ret = fp_fail(err, ERANGE, "%s: %zu cycles, more than %d", what, n, CYCLES_MAX);
		goto out;
	}
	cy = calloc(n + 1, sizeof(*cy));
	if (!cy) {
		ret = fp_fail(err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(a, i), *phs;
		struct fpd_cycle *y = &cy[i];

		if (!json_object_is_type(c, json_type_object)) {
			ret = fp_fail(err, EINVAL, "%s: cycle %zu is not an object", what, i);
			goto out;
		}
		ret = u64(c, "job", UINT32_MAX, &x, what, err);
		if (ret)
			goto out;
		y->job = (uint32_t)x;
		ret = u64(c, "period_ns", UINT64_MAX, &y->period_ns, what, err);
		if (!ret)
			ret = field(c, "phases", json_type_array, &phs, what, err);
		if (ret)
			goto out;
		y->nph = json_object_array_length(phs);
		if (!y->nph || y->nph > PHASES_MAX) {
			ret = fp_fail(err, ERANGE, "%s: cycle %zu has %zu phases (1 to %d)", what, i,
				   y->nph, PHASES_MAX);
			y->nph = 0;
			goto out;
		}
		y->ph = calloc(y->nph, sizeof(*y->ph));
		if (!y->ph) {
			y->nph = 0;
			ret = fp_fail(err, ENOMEM, "out of memory");
			goto out;
		}
		for (k = 0; k < y->nph; k++) {
			json_object *p = json_object_array_get_idx(phs, k), *fl;
			struct fpd_cphase *ph = &y->ph[k];

			if (!json_object_is_type(p, json_type_object)) {
				ret = fp_fail(err, EINVAL, "%s: a phase is not an object", what);
				goto out;
			}
			ret = u64(p, "steps", UINT32_MAX, &x, what, err);
			if (ret)
				goto out;
			if (!x) {
				ret = fp_fail(err, ERANGE, "%s: a phase of 0 steps", what);
				goto out;
			}
			ph->steps = (uint32_t)x;
			ret = field(p, "flows", json_type_array, &fl, what, err);
			if (ret)
				goto out;
			ph->n = json_object_array_length(fl);
			total += ph->n;
			if (total > FLOWS_MAX) {
				ph->n = 0;
				ret = fp_fail(err, ERANGE, "%s: more than %u flows", what, FLOWS_MAX);
				goto out;
			}
			ph->f = calloc(ph->n + 1, sizeof(*ph->f));
			if (!ph->f) {
				ph->n = 0;
				ret = fp_fail(err, ENOMEM, "out of memory");
				goto out;
			}
			for (f = 0; f < ph->n; f++) {
				json_object *t = json_object_array_get_idx(fl, f);

				if (!json_object_is_type(t, json_type_array) ||
				    json_object_array_length(t) != 3) {
					ret = fp_fail(err, EINVAL, "%s: a flow is not [src, dst, bytes]",
						   what);
					goto out;
				}
				ret = addr(json_object_array_get_idx(t, 0), &ph->f[f].src, what,
					   err);
				if (!ret)
					ret = addr(json_object_array_get_idx(t, 1), &ph->f[f].dst,
						   what, err);
				if (!ret && fp_addr_is_v4(&ph->f[f].src) != fp_addr_is_v4(&ph->f[f].dst))
					ret = fp_fail(err, EINVAL, "%s: a flow from an %s address to an %s one",
						   what, fp_addr_is_v4(&ph->f[f].src) ? "IPv4" : "IPv6",
						   fp_addr_is_v4(&ph->f[f].dst) ? "IPv4" : "IPv6");
				if (ret)
					goto out;
				v = json_object_array_get_idx(t, 2);
				if (!json_object_is_type(v, json_type_int) ||
				    json_object_get_int64(v) < 0) {
					ret = fp_fail(err, EINVAL, "%s: a flow's bytes are not a count", what);
					goto out;
				}
				ph->f[f].bytes = json_object_get_uint64(v);
			}
			/* sums past their types are refused, not wrapped */
			if (__builtin_add_overflow(y->period, ph->steps, &y->period)) {
				ret = fp_fail(err, ERANGE, "%s: cycle %zu has more than %u steps", what,
					   i, UINT32_MAX);
				goto out;
			}
			for (f = 0; f < ph->n; f++) {
				uint64_t b;

				if (__builtin_mul_overflow(ph->f[f].bytes, (uint64_t)ph->steps, &b) ||
				    __builtin_add_overflow(y->bytes, b, &y->bytes)) {
					ret = fp_fail(err, ERANGE, "%s: cycle %zu moves more than 2^64 bytes",
						   what, i);
					goto out;
				}
			}
		}
	}
	*out_cy = cy;
	*out_n = n;
	cy = NULL;
out:
	fpc_cycles_free(cy, n);
	json_object_put(o);
	return ret;
}

/* --------------------------------------------------------------- links */

char *fpc_links_encode(const struct fpc_port *p, size_t n, size_t *len)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	size_t i, k;

	for (i = 0; i < n; i++) {
		json_object *po = json_object_new_object(), *ad = json_object_new_array();

		json_object_object_add(po, "dev", json_object_new_string(p[i].dev));
		json_object_object_add(po, "port", ju64(p[i].port));
		json_object_object_add(po, "up", json_object_new_boolean(p[i].up));
		for (k = 0; k < p[i].naddrs; k++)
			json_object_array_add(ad, jaddr(&p[i].addrs[k]));
		json_object_object_add(po, "addrs", ad);
		json_object_array_add(a, po);
	}
	json_object_object_add(o, "ports", a);
	return out(o, len);
}

int fpc_links_decode(const char *text, size_t len, struct fpc_port **out_p, size_t *out_n,
		     struct fp_err *err)
{
	const char *what = "links";
	json_object *o, *a, *v;
	struct fpc_port *p = NULL;
	size_t n, i, k;
	uint64_t x;
	int ret;

	*out_p = NULL;
	*out_n = 0;
	ret = parse(text, len, what, &o, err);
	if (ret)
		return ret;
	ret = field(o, "ports", json_type_array, &a, what, err);
	if (ret)
		goto out;
	n = json_object_array_length(a);
	if (n > 1024) {
		ret = fp_fail(err, ERANGE, "%s: %zu ports, more than 1024", what, n);
		goto out;
	}
	p = calloc(n + 1, sizeof(*p));
	if (!p) {
		ret = fp_fail(err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		json_object *po = json_object_array_get_idx(a, i), *ad;

		if (!json_object_is_type(po, json_type_object)) {
			ret = fp_fail(err, EINVAL, "%s: a port is not an object", what);
			goto out;
		}
		ret = str(po, "dev", p[i].dev, sizeof(p[i].dev), what, err);
		if (!ret)
			ret = u64(po, "port", UINT32_MAX, &x, what, err);
		if (!ret)
			ret = field(po, "up", json_type_boolean, &v, what, err);
		if (!ret)
			ret = field(po, "addrs", json_type_array, &ad, what, err);
		if (ret)
			goto out;
		p[i].port = (uint32_t)x;
		p[i].up = json_object_get_boolean(v);
		p[i].naddrs = json_object_array_length(ad);
		if (p[i].naddrs > 8) {
			ret = fp_fail(err, ERANGE, "%s: a port with more than 8 addresses", what);
			goto out;
		}
		for (k = 0; k < p[i].naddrs; k++) {
			ret = addr(json_object_array_get_idx(ad, k), &p[i].addrs[k], what, err);
			if (ret)
				goto out;
		}
	}
	*out_p = p;
	*out_n = n;
	p = NULL;
out:
	free(p);
	json_object_put(o);
	return ret;
}

/* ----------------------------------------------------------- installed */

char *fpc_installed_encode(const struct fpc_installed *in, size_t *len)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "epoch", ju64(in->epoch));
	json_object_object_add(o, "generation", ju64(in->generation));
	json_object_object_add(o, "entries", ju64(in->entries));
	json_object_object_add(o, "error", json_object_new_string(in->error));
	return out(o, len);
}

int fpc_installed_decode(const char *text, size_t len, struct fpc_installed *in,
			 struct fp_err *err)
{
	const char *what = "installed";
	json_object *o;
	int ret;

	memset(in, 0, sizeof(*in));
	ret = parse(text, len, what, &o, err);
	if (ret)
		return ret;
	ret = u64(o, "epoch", UINT64_MAX, &in->epoch, what, err);
	if (!ret)
		ret = u64(o, "generation", UINT64_MAX, &in->generation, what, err);
	if (!ret)
		ret = u64(o, "entries", UINT64_MAX, &in->entries, what, err);
	if (!ret)
		ret = str(o, "error", in->error, sizeof(in->error), what, err);
	if (ret)
		memset(in, 0, sizeof(*in));
	json_object_put(o);
	return ret;
}

/* ------------------------------------------------------------ counters */

char *fpc_counters_encode(uint64_t generation, const struct fpc_count *c, size_t n, size_t *len)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	size_t i;

	json_object_object_add(o, "generation", ju64(generation));
	for (i = 0; i < n; i++) {
		json_object *t = json_object_new_array();

		json_object_array_add(t, jaddr(&c[i].remote));
		json_object_array_add(t, ju64(c[i].sport));
		json_object_array_add(t, ju64(c[i].bytes));
		json_object_array_add(a, t);
	}
	json_object_object_add(o, "subflows", a);
	return out(o, len);
}

int fpc_counters_decode(const char *text, size_t len, uint64_t *generation,
			struct fpc_count **out_c, size_t *out_n, struct fp_err *err)
{
	const char *what = "counters";
	json_object *o, *a;
	struct fpc_count *c = NULL;
	size_t n, i;
	int ret;

	*out_c = NULL;
	*out_n = 0;
	ret = parse(text, len, what, &o, err);
	if (ret)
		return ret;
	ret = u64(o, "generation", UINT64_MAX, generation, what, err);
	if (!ret)
		ret = field(o, "subflows", json_type_array, &a, what, err);
	if (ret)
		goto out;
	n = json_object_array_length(a);
	if (n > FLOWS_MAX) {
		ret = fp_fail(err, ERANGE, "%s: more than %u subflows", what, FLOWS_MAX);
		goto out;
	}
	c = calloc(n + 1, sizeof(*c));
	if (!c) {
		ret = fp_fail(err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(a, i), *v;

		if (!json_object_is_type(t, json_type_array) || json_object_array_length(t) != 3) {
			ret = fp_fail(err, EINVAL, "%s: a subflow is not [remote, sport, bytes]", what);
			goto out;
		}
		ret = addr(json_object_array_get_idx(t, 0), &c[i].remote, what, err);
		if (ret)
			goto out;
		v = json_object_array_get_idx(t, 1);
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) > 65535) {
			ret = fp_fail(err, ERANGE, "%s: a source port is not 0..65535", what);
			goto out;
		}
		c[i].sport = (uint16_t)json_object_get_int64(v);
		v = json_object_array_get_idx(t, 2);
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
			ret = fp_fail(err, EINVAL, "%s: a byte count is not a count", what);
			goto out;
		}
		c[i].bytes = json_object_get_uint64(v);
	}
	*out_c = c;
	*out_n = n;
	c = NULL;
out:
	free(c);
	json_object_put(o);
	return ret;
}

/* ------------------------------------------------------ fabric, lease */

char *fpc_fablink_encode(const struct fpc_fablink *l, size_t *len)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "a", json_object_new_string(l->a));
	json_object_object_add(o, "b", json_object_new_string(l->b));
	json_object_object_add(o, "up", json_object_new_boolean(l->up));
	return out(o, len);
}

int fpc_fablink_decode(const char *text, size_t len, struct fpc_fablink *l, struct fp_err *err)
{
	const char *what = "fabric link";
	json_object *o, *v;
	int ret;

	memset(l, 0, sizeof(*l));
	ret = parse(text, len, what, &o, err);
	if (ret)
		return ret;
	ret = str(o, "a", l->a, sizeof(l->a), what, err);
	if (!ret)
		ret = str(o, "b", l->b, sizeof(l->b), what, err);
	if (!ret)
		ret = field(o, "up", json_type_boolean, &v, what, err);
	if (!ret)
		l->up = json_object_get_boolean(v);
	json_object_put(o);
	return ret;
}

char *fpc_lease_encode(const struct fpc_lease_val *v, size_t *len)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "holder", json_object_new_string(v->holder));
	json_object_object_add(o, "term", ju64(v->term));
	json_object_object_add(o, "ttl_ms", ju64(v->ttl_ms));
	return out(o, len);
}

int fpc_lease_decode(const char *text, size_t len, struct fpc_lease_val *v, struct fp_err *err)
{
	const char *what = "lease";
	json_object *o;
	uint64_t x = 0;
	int ret;

	memset(v, 0, sizeof(*v));
	ret = parse(text, len, what, &o, err);
	if (ret)
		return ret;
	ret = str(o, "holder", v->holder, sizeof(v->holder), what, err);
	if (!ret)
		ret = u64(o, "term", UINT32_MAX, &x, what, err);
	if (!ret)
		ret = u64(o, "ttl_ms", 86400000, &v->ttl_ms, what, err);
	if (!ret)
		v->term = (uint32_t)x;
	json_object_put(o);
	return ret;
}

/* -------------------------------------------------------------- replan */

char *fpc_replan_encode(const struct fpc_replan *r, size_t *len)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "epoch", ju64(r->epoch));
	json_object_object_add(o, "method", json_object_new_string(r->method));
	json_object_object_add(o, "why", json_object_new_string(r->why));
	json_object_object_add(o, "hosts", ju64(r->hosts));
	json_object_object_add(o, "written", ju64(r->written));
	json_object_object_add(o, "bytes", ju64(r->bytes));
	json_object_object_add(o, "compute_us", ju64(r->compute_us));
	json_object_object_add(o, "cpu_us", ju64(r->cpu_us));
	json_object_object_add(o, "wall_us", ju64(r->wall_us));
	json_object_object_add(o, "wait_us", ju64(r->wait_us));
	json_object_object_add(o, "encode_us", ju64(r->encode_us));
	json_object_object_add(o, "put_us", ju64(r->put_us));
	json_object_object_add(o, "event_ns", ju64(r->event_ns));
	json_object_object_add(o, "unroutable", ju64(r->unroutable));
	json_object_object_add(o, "changed", ju64(r->changed));
	return out(o, len);
}

int fpc_replan_decode(const char *text, size_t len, struct fpc_replan *r, struct fp_err *err)
{
	const char *what = "replan";
	json_object *o;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = parse(text, len, what, &o, err);
	if (ret)
		return ret;
	ret = u64(o, "epoch", UINT64_MAX, &r->epoch, what, err);
	if (!ret)
		ret = str(o, "method", r->method, sizeof(r->method), what, err);
	if (!ret)
		ret = str(o, "why", r->why, sizeof(r->why), what, err);
	if (!ret)
		ret = u64(o, "hosts", UINT64_MAX, &r->hosts, what, err);
	if (!ret)
		ret = u64(o, "written", UINT64_MAX, &r->written, what, err);
	if (!ret)
		ret = u64(o, "bytes", UINT64_MAX, &r->bytes, what, err);
	if (!ret)
		ret = u64(o, "compute_us", UINT64_MAX, &r->compute_us, what, err);
	if (!ret)
		ret = u64(o, "cpu_us", UINT64_MAX, &r->cpu_us, what, err);
	if (!ret)
		ret = u64(o, "wall_us", UINT64_MAX, &r->wall_us, what, err);
	if (!ret)
		ret = u64(o, "wait_us", UINT64_MAX, &r->wait_us, what, err);
	if (!ret)
		ret = u64(o, "encode_us", UINT64_MAX, &r->encode_us, what, err);
	if (!ret)
		ret = u64(o, "put_us", UINT64_MAX, &r->put_us, what, err);
	if (!ret)
		ret = u64(o, "event_ns", UINT64_MAX, &r->event_ns, what, err);
	/* (from an older planner: none said) */
	if (!ret && json_object_object_get_ex(o, "unroutable", NULL))
		ret = u64(o, "unroutable", UINT64_MAX, &r->unroutable, what, err);
	if (!ret && json_object_object_get_ex(o, "changed", NULL))
		ret = u64(o, "changed", UINT64_MAX, &r->changed, what, err);
	if (ret)
		memset(r, 0, sizeof(*r));
	json_object_put(o);
	return ret;
}
