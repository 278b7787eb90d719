// SPDX-License-Identifier: MIT
/*
 * topojson.c - the topology file (docs/formats.md "Topology"): reader and
 * writer, and fp_topo_load(), which takes a file or a generator string.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/json.h"
#include "planner/topo.h"
#include "planner/topo_priv.h"
#include "planner/util.h"

static int get_int(struct json_object *o, const char *key, int64_t lo, int64_t hi,
		   int64_t *v, const char *name, const char *where, struct fp_err *err)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x))
		return ENOENT;
	if (!json_object_is_type(x, json_type_int))
		return fp_fail(err, EINVAL, "%s: %s.%s: expected an integer", name, where, key);
	*v = json_object_get_int64(x);
	if (*v < lo || *v > hi)
		return fp_fail(err, ERANGE, "%s: %s.%s: %lld is out of range %lld..%lld", name,
			       where, key, (long long)*v, (long long)lo, (long long)hi);
	return 0;
}

static const char *get_str(struct json_object *o, const char *key, const char *name,
			   const char *where, struct fp_err *err, int *rc)
{
	struct json_object *x;

	*rc = 0;
	if (!json_object_object_get_ex(o, key, &x)) {
		*rc = fp_fail(err, EINVAL, "%s: %s: missing \"%s\"", name, where, key);
		return NULL;
	}
	if (!json_object_is_type(x, json_type_string) || !json_object_get_string_len(x)) {
		*rc = fp_fail(err, EINVAL, "%s: %s.%s: expected a non-empty string", name, where, key);
		return NULL;
	}
	return json_object_get_string(x);
}

/* The hash fields key ("l4" ...): ENOENT when absent. */
static int get_fields(struct json_object *o, const char *key, enum fp_hash_fields *f,
		      const char *name, const char *where, struct fp_err *err)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x))
		return ENOENT;
	if (!json_object_is_type(x, json_type_string) ||
	    fp_hash_fields_parse(json_object_get_string(x), f))
		return fp_fail(err, EINVAL,
			       "%s: %s.%s: expected \"l4\", \"l4+flowlabel\" or \"l3+flowlabel\"",
			       name, where, key);
	return 0;
}

static struct json_object *get_arr(struct json_object *o, const char *key, const char *name,
				   struct fp_err *err, int *rc)
{
	struct json_object *x;

	*rc = 0;
	if (!json_object_object_get_ex(o, key, &x) || !json_object_is_type(x, json_type_array)) {
		*rc = fp_fail(err, EINVAL, "%s: missing array \"%s\"", name, key);
		return NULL;
	}
	return x;
}

static int check_header(struct json_object *root, const char *format, const char *name,
			struct fp_err *err)
{
	struct json_object *f, *v;

	if (!json_object_is_type(root, json_type_object))
		return fp_fail(err, EINVAL, "%s: expected a JSON object", name);
	if (!json_object_object_get_ex(root, "format", &f) ||
	    !json_object_is_type(f, json_type_string) || strcmp(json_object_get_string(f), format))
		return fp_fail(err, EINVAL, "%s: \"format\" must be \"%s\"", name, format);
	if (!json_object_object_get_ex(root, "version", &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int(v) != 1)
		return fp_fail(err, EINVAL, "%s: unsupported \"version\" (this reader knows 1)", name);
	return 0;
}

/*
 * A NIC's addresses: "addr" (one) or "addrs" (one per family, at most an
 * IPv4 and an IPv6). @ip gets the IPv4 one of two, @ip6 the IPv6 one (set
 * only for two). Both unset when the NIC gives none (generated).
 */
static int parse_nic_addrs(struct json_object *no, const char *name, const char *where,
			   struct fp_addr *ip, struct fp_addr *ip6, bool *dual, struct fp_err *err)
{
	struct json_object *one, *arr;
	bool has_one, has_arr;	/* a key with null is there, and not a string */
	struct fp_addr a[2];
	const char *why, *txt[2];
	size_t i, n;

	*dual = false;
	has_one = json_object_object_get_ex(no, "addr", &one);
	has_arr = json_object_object_get_ex(no, "addrs", &arr);
	if (has_one && has_arr)
		return fp_fail(err, EINVAL, "%s: %s: give \"addr\" or \"addrs\", not both", name, where);
	if (has_one) {
		if (!json_object_is_type(one, json_type_string))
			return fp_fail(err, EINVAL, "%s: %s.addr: expected a string", name, where);
		if (fp_nic_addr_parse(json_object_get_string(one), ip, &why))
			return fp_fail(err, EINVAL, "%s: %s.addr: \"%s\" is %s",
				       name, where, json_object_get_string(one), why);
		return 0;
	}
	if (!has_arr)
		return 0;
	n = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
	if (n < 1 || n > 2)
		return fp_fail(err, EINVAL, "%s: %s.addrs: expected an array of 1 or 2 addresses (at most one IPv4 and one IPv6)",
			       name, where);
	for (i = 0; i < n; i++) {
		struct json_object *x = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(x, json_type_string))
			return fp_fail(err, EINVAL, "%s: %s.addrs[%zu]: expected a string", name, where, i);
		txt[i] = json_object_get_string(x);
		if (fp_nic_addr_parse(txt[i], &a[i], &why))
			return fp_fail(err, EINVAL, "%s: %s.addrs[%zu]: \"%s\" is %s",
				       name, where, i, txt[i], why);
	}
	if (n == 2 && fp_addr_is_v4(&a[0]) == fp_addr_is_v4(&a[1]))
		return fp_fail(err, EINVAL, "%s: %s.addrs: two %s addresses (%s, %s): a NIC has at most one address per family",
			       name, where, fp_addr_is_v4(&a[0]) ? "IPv4" : "IPv6", txt[0], txt[1]);
	i = n == 2 && !fp_addr_is_v4(&a[0]);	/* the IPv4 one is the NIC's own node */
	*ip = a[i];
	if (n == 2) {
		*ip6 = a[!i];
		*dual = true;
	}
	return 0;
}

static int parse_json(struct json_object *root, const char *name, struct fp_topo_builder *b,
		      struct fp_err *err)
{
	static const char *const top_keys[] = { "format", "version", "name", "hash", "switches",
						"hosts", "links", NULL };
	static const char *const hash_keys[] = { "fn", "seed", "fields", NULL };
	static const char *const sw_keys[] = { "name", "tier", "pod", "seed", "hash_fields", NULL };
	static const char *const host_keys[] = { "name", "nics", NULL };
	static const char *const nic_keys[] = { "name", "addr", "addrs", "gpu", NULL };
	static const char *const link_keys[] = { "a", "b", "gbps", "up", NULL };
	struct fp_topo *t = b->t;
	struct json_object *arr, *x, *h;
	char where[96];
	int rc;
	size_t i, j;
	int64_t v;

	rc = check_header(root, "flowplan-topology", name, err);
	if (!rc)
		rc = fp_json_keys(root, top_keys, name, "topology", err);
	if (rc)
		return rc;
	if (json_object_object_get_ex(root, "name", &x) && !json_object_is_type(x, json_type_string))
		return fp_fail(err, EINVAL, "%s: name: expected a string", name);
	t->name = fp_xstrdup(x ? json_object_get_string(x) : "unnamed");
	t->hash_fn = FP_HASH_CRC32;
	if (json_object_object_get_ex(root, "hash", &h)) {
		rc = fp_json_keys(h, hash_keys, name, "hash", err);
		if (rc)
			return rc;
		if (json_object_object_get_ex(h, "fn", &x) && !json_object_is_type(x, json_type_string))
			return fp_fail(err, EINVAL, "%s: hash.fn: expected a string", name);
		if (x && fp_hash_parse(json_object_get_string(x), &t->hash_fn))
			return fp_fail(err, EINVAL, "%s: hash.fn: unknown hash \"%s\" (crc32, crc32c, crc16, xor, toeplitz)",
				       name, json_object_get_string(x));
		rc = get_int(h, "seed", 0, UINT32_MAX, &v, name, "hash", err);
		if (rc && rc != ENOENT)
			return rc;
		t->seed = rc ? 0 : (uint32_t)v;
		rc = get_fields(h, "fields", &t->hash_fields, name, "hash", err);
		if (rc && rc != ENOENT)
			return rc;
	}

	arr = get_arr(root, "switches", name, err, &rc);
	if (!arr)
		return rc;
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *s = json_object_array_get_idx(arr, i);
		const char *sn;
		int id, tier, pod = -1;

		snprintf(where, sizeof(where), "switches[%zu]", i);
		rc = fp_json_keys(s, sw_keys, name, where, err);
		if (rc)
			return rc;
		sn = get_str(s, "name", name, where, err, &rc);
		if (!sn)
			return rc;
		rc = get_int(s, "tier", 1, 3, &v, name, where, err);
		if (rc)
			return rc == ENOENT ? fp_fail(err, EINVAL, "%s: %s: missing \"tier\"", name, where) : rc;
		tier = (int)v;
		rc = get_int(s, "pod", 0, 1 << 20, &v, name, where, err);
		if (rc && rc != ENOENT)
			return rc;
		if (!rc)
			pod = (int)v;
		id = fp_tb_switch(b, sn, tier, pod);
		rc = get_int(s, "seed", 0, UINT32_MAX, &v, name, where, err);
		if (rc && rc != ENOENT)
			return rc;
		if (!rc) {
			t->nodes[id].seed = (uint32_t)v;
			t->nodes[id].seed_set = true;
		}
		{
			enum fp_hash_fields hf;

			rc = get_fields(s, "hash_fields", &hf, name, where, err);
			if (rc && rc != ENOENT)
				return rc;
			if (!rc) {
				t->nodes[id].hfields = (uint8_t)hf;
				t->nodes[id].hfields_set = true;
			}
		}
	}

	arr = get_arr(root, "hosts", name, err, &rc);
	if (!arr)
		return rc;
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *ho = json_object_array_get_idx(arr, i), *nics;
		const char *hn;
		int hid;
		struct fp_addr ip6;
		bool dual;

		snprintf(where, sizeof(where), "hosts[%zu]", i);
		rc = fp_json_keys(ho, host_keys, name, where, err);
		if (rc)
			return rc;
		hn = get_str(ho, "name", name, where, err, &rc);
		if (!hn)
			return rc;
		hid = fp_tb_host(b, hn);
		if (!json_object_object_get_ex(ho, "nics", &nics) ||
		    !json_object_is_type(nics, json_type_array) || !json_object_array_length(nics))
			return fp_fail(err, EINVAL, "%s: %s: \"nics\" must be a non-empty array", name, where);
		for (j = 0; j < json_object_array_length(nics); j++) {
			struct json_object *no = json_object_array_get_idx(nics, j);
			const char *nn;
			int nid;

			snprintf(where, sizeof(where), "hosts[%zu].nics[%zu]", i, j);
			rc = fp_json_keys(no, nic_keys, name, where, err);
			if (rc)
				return rc;
			nn = get_str(no, "name", name, where, err, &rc);
			if (!nn)
				return rc;
			nid = fp_tb_nic(b, hid, nn);
			rc = parse_nic_addrs(no, name, where, &t->nodes[nid].ip, &ip6, &dual, err);
			if (rc)
				return rc;
			rc = get_int(no, "gpu", 0, 1024, &v, name, where, err);
			if (rc && rc != ENOENT)
				return rc;
			if (!rc)
				t->nodes[nid].gpu = (int)v;
		}
	}

	/* Twins (the IPv6 nodes of dual-stack NICs) follow every NIC. */
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *nics = json_object_object_get(json_object_array_get_idx(arr, i), "nics");

		for (j = 0; j < json_object_array_length(nics); j++) {
			int nid = t->hosts[i].first_nic + (int)j;
			struct fp_addr ip, ip6;
			bool dual;

			snprintf(where, sizeof(where), "hosts[%zu].nics[%zu]", i, j);
			rc = parse_nic_addrs(json_object_array_get_idx(nics, j), name, where, &ip, &ip6,
					     &dual, err);
			if (rc)
				return rc;
			if (dual)
				fp_tb_twin(b, nid, &ip6);
		}
	}

	arr = get_arr(root, "links", name, err, &rc);
	if (!arr)
		return rc;
	fp_topo_index_names(t);
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *lo = json_object_array_get_idx(arr, i);
		const char *an, *bn;
		int ai, bi;
		double gbps;
		bool up = true, ok;

		snprintf(where, sizeof(where), "links[%zu]", i);
		rc = fp_json_keys(lo, link_keys, name, where, err);
		if (rc)
			return rc;
		an = get_str(lo, "a", name, where, err, &rc);
		if (!an)
			return rc;
		bn = get_str(lo, "b", name, where, err, &rc);
		if (!bn)
			return rc;
		ai = fp_topo_find(t, an);
		bi = fp_topo_find(t, bn);
		if (ai < 0 || bi < 0)
			return fp_fail(err, EINVAL, "%s: %s: unknown node \"%s\"", name, where,
				       ai < 0 ? an : bn);
		ok = json_object_object_get_ex(lo, "gbps", &x) &&
		     (json_object_is_type(x, json_type_int) || json_object_is_type(x, json_type_double));
		gbps = ok ? json_object_get_double(x) : 0;
		if (!ok || !fp_gbps_ok(gbps))
			return fp_fail(err, EINVAL, "%s: %s.gbps: expected a capacity in Gbit/s (%g..%g)",
				       name, where, FP_GBPS_MIN, FP_GBPS_MAX);
		if (json_object_object_get_ex(lo, "up", &x)) {
			if (!json_object_is_type(x, json_type_boolean))
				return fp_fail(err, EINVAL, "%s: %s.up: expected true or false", name, where);
			up = json_object_get_boolean(x);
		}
		if (t->nodes[bi].is_nic) {	/* store NIC links NIC first */
			int tmp = ai;

			ai = bi;
			bi = tmp;
		}
		if (t->nodes[ai].is_nic && t->nodes[ai].leaf >= 0)
			return fp_fail(err, EINVAL, "%s: %s: NIC %s has a second link", name, where,
				       t->nodes[ai].name);
		fp_tb_link(b, ai, bi, gbps, up);
		if (t->nodes[ai].is_nic)
			t->nodes[ai].leaf = bi;	/* marks "linked"; finalize sets it */
	}
	/* fp_topo_finalize() derives each NIC's leaf from its link. */
	for (i = 0; i < (size_t)t->nnodes; i++)
		t->nodes[i].leaf = -1;
	return 0;
}

int fp_topo_parse(const char *text, size_t len, const char *name, struct fp_topo **out,
		  struct fp_err *err)
{
	struct fp_topo_builder b = { .t = fp_xcalloc(1, sizeof(struct fp_topo)) };
	struct json_object *root;
	int rc;

	rc = fp_json_text(text, len, name, &root, err);
	if (rc) {
		fp_topo_free(b.t);
		return rc;
	}
	rc = parse_json(root, name, &b, err);
	json_object_put(root);
	if (!rc)
		rc = fp_topo_finalize(b.t, name, err);
	if (rc) {
		fp_topo_free(b.t);
		return rc;
	}
	*out = b.t;
	return 0;
}

int fp_topo_load(const char *spec, struct fp_topo **out, struct fp_err *err)
{
	char *buf;
	size_t len;
	int rc;

	if (!strncmp(spec, "leafspine:", 10) || !strncmp(spec, "fattree:", 8))
		return fp_topo_generate(spec, out, err);
	rc = fp_read_file(spec, FP_TOPO_FILE_MAX, &buf, &len, err);
	if (rc == ENOENT && strchr(spec, ':') && strchr(spec, '='))
		return fp_topo_generate(spec, out, err);
	if (rc)
		return rc;
	rc = fp_topo_parse(buf, len, spec, out, err);
	free(buf);
	return rc;
}

char *fp_topo_to_json(const struct fp_topo *t, bool pretty)
{
	struct json_object *root = json_object_new_object(), *a, *h, *o;
	char ab[FP_ADDR_STRLEN];
	int i, l;

	json_object_object_add(root, "format", json_object_new_string("flowplan-topology"));
	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(root, "name", json_object_new_string(t->name));
	h = json_object_new_object();
	json_object_object_add(h, "fn", json_object_new_string(fp_hash_name(t->hash_fn)));
	json_object_object_add(h, "seed", json_object_new_int64(t->seed));
	if (t->hash_fields != FP_HF_L4)
		json_object_object_add(h, "fields",
				       json_object_new_string(fp_hash_fields_name(t->hash_fields)));
	json_object_object_add(root, "hash", h);
	a = json_object_new_array();
	for (i = 0; i < t->nnodes; i++) {
		const struct fp_node *n = &t->nodes[i];

		if (n->is_nic)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(n->name));
		json_object_object_add(o, "tier", json_object_new_int(n->tier));
		if (n->pod >= 0)
			json_object_object_add(o, "pod", json_object_new_int(n->pod));
		if (n->seed_set)
			json_object_object_add(o, "seed", json_object_new_int64(n->seed));
		if (n->hfields_set)
			json_object_object_add(o, "hash_fields",
					       json_object_new_string(fp_hash_fields_name(n->hfields)));
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "switches", a);
	a = json_object_new_array();
	for (i = 0; i < t->nhosts; i++) {
		struct json_object *ho = json_object_new_object(), *na = json_object_new_array();
		int j;

		json_object_object_add(ho, "name", json_object_new_string(t->hosts[i].name));
		for (j = 0; j < t->hosts[i].nnics; j++) {
			const struct fp_node *n = &t->nodes[t->hosts[i].first_nic + j];

			o = json_object_new_object();
			json_object_object_add(o, "name", json_object_new_string(n->name));
			if (n->twin >= 0) {
				struct json_object *aa = json_object_new_array();

				json_object_array_add(aa, json_object_new_string(fp_addr_str(&n->ip, ab)));
				json_object_array_add(aa, json_object_new_string(
					fp_addr_str(&t->nodes[n->twin].ip, ab)));
				json_object_object_add(o, "addrs", aa);
			} else {
				json_object_object_add(o, "addr",
						       json_object_new_string(fp_addr_str(&n->ip, ab)));
			}
			if (n->gpu >= 0)
				json_object_object_add(o, "gpu", json_object_new_int(n->gpu));
			json_object_array_add(na, o);
		}
		json_object_object_add(ho, "nics", na);
		json_object_array_add(a, ho);
	}
	json_object_object_add(root, "hosts", a);
	a = json_object_new_array();
	for (l = 0; l < t->nlinks; l += 2) {
		o = json_object_new_object();
		json_object_object_add(o, "a", json_object_new_string(t->nodes[t->links[l].from].name));
		json_object_object_add(o, "b", json_object_new_string(t->nodes[t->links[l].to].name));
		json_object_object_add(o, "gbps", json_object_new_double(t->links[l].gbps));
		if (!t->links[l].up)
			json_object_object_add(o, "up", json_object_new_boolean(0));
		json_object_array_add(a, o);
	}
	json_object_object_add(root, "links", a);
	return fp_json_dump(root, pretty);
}
