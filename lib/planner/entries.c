// SPDX-License-Identifier: MIT
/* entries.c - the host-side plan table ("entries" of a plan file). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "planner/entries.h"
#include "planner/util.h"

void fp_entries_free(struct fp_entries *t)
{
	if (!t)
		return;
	free(t->e);
	t->e = NULL;
	t->n = 0;
}

static int get_u64(struct json_object *o, const char *key, uint64_t max, uint64_t *v,
		   const char *name, const char *where, struct fp_err *err)
{
	struct json_object *x;
	int64_t s;

	if (!json_object_object_get_ex(o, key, &x))
		return fp_fail(err, EINVAL, "%s: %s: missing \"%s\"", name, where, key);
	if (!json_object_is_type(x, json_type_int))
		return fp_fail(err, EINVAL, "%s: %s.%s: expected an integer", name, where, key);
	s = json_object_get_int64(x);
	if (s < 0 || (uint64_t)s > max)
		return fp_fail(err, ERANGE, "%s: %s.%s: %lld is out of range 0..%llu", name, where,
			       key, (long long)s, (unsigned long long)max);
	*v = (uint64_t)s;
	return 0;
}

static int get_addr(struct json_object *o, const char *key, uint32_t *a, const char *name,
		    const char *where, struct fp_err *err)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x) || !json_object_is_type(x, json_type_string) ||
	    fp_parse_ipv4(json_object_get_string(x), a))
		return fp_fail(err, EINVAL, "%s: %s.%s: expected an IPv4 address", name, where, key);
	return 0;
}

static int parse_entry(struct json_object *eo, struct fp_entry *e, const char *name,
		       const char *where, struct fp_err *err)
{
	static const char *const keys[] = { "src_addr", "dst_addr", "dqpn", "enforce",
					    "subflows", NULL };
	static const char *const sub_keys[] = { "flow_label", "sport", "weight", NULL };
	struct json_object *x, *subs;
	char w2[128];
	uint64_t v, sum = 0;
	size_t i;
	int rc;

	rc = fp_json_keys(eo, keys, name, where, err);
	if (!rc)
		rc = get_addr(eo, "src_addr", &e->src_addr, name, where, err);
	if (!rc)
		rc = get_addr(eo, "dst_addr", &e->dst_addr, name, where, err);
	if (rc)
		return rc;
	e->dqpn = FP_DQPN_ANY;
	if (json_object_object_get_ex(eo, "dqpn", &x)) {
		rc = get_u64(eo, "dqpn", 0xffffff, &v, name, where, err);
		if (rc)
			return rc;
		e->dqpn = (uint32_t)v;
	}
	if (json_object_object_get_ex(eo, "enforce", &x)) {
		if (!json_object_is_type(x, json_type_boolean))
			return fp_fail(err, EINVAL, "%s: %s.enforce: expected true or false", name, where);
		e->enforce = json_object_get_boolean(x);
	}
	if (!json_object_object_get_ex(eo, "subflows", &subs) ||
	    !json_object_is_type(subs, json_type_array) || !json_object_array_length(subs))
		return fp_fail(err, EINVAL, "%s: %s: \"subflows\" must be a non-empty array", name, where);
	if (json_object_array_length(subs) > FP_MAX_SUBFLOWS)
		return fp_fail(err, E2BIG, "%s: %s: %zu subflows, at most %d", name, where,
			       json_object_array_length(subs), FP_MAX_SUBFLOWS);
	for (i = 0; i < json_object_array_length(subs); i++) {
		struct json_object *so = json_object_array_get_idx(subs, i);
		struct fp_pin *p = &e->sub[i];

		snprintf(w2, sizeof(w2), "%s.subflows[%zu]", where, i);
		rc = fp_json_keys(so, sub_keys, name, w2, err);
		if (!rc)
			rc = get_u64(so, "flow_label", 0xfffff, &v, name, w2, err);
		if (rc)
			return rc;
		if (!v)
			return fp_fail(err, EINVAL, "%s: %s.flow_label: 0 pins nothing (1..0xfffff)", name, w2);
		p->flow_label = (uint32_t)v;
		p->sport = fp_label_to_sport(p->flow_label);
		if (json_object_object_get_ex(so, "sport", &x)) {
			rc = get_u64(so, "sport", 65535, &v, name, w2, err);
			if (rc)
				return rc;
			if (v != p->sport)
				return fp_fail(err, EINVAL, "%s: %s.sport: %llu, but flow label %u gives %u",
					       name, w2, (unsigned long long)v, p->flow_label, p->sport);
		}
		rc = get_u64(so, "weight", FP_WEIGHT_ONE, &v, name, w2, err);
		if (rc)
			return rc;
		p->weight = (uint32_t)v;
		sum += v;
	}
	e->nsub = (unsigned int)i;
	if (sum != FP_WEIGHT_ONE)
		return fp_fail(err, EINVAL, "%s: %s.subflows: weights sum to %llu, not %u", name,
			       where, (unsigned long long)sum, FP_WEIGHT_ONE);
	return 0;
}

int fp_entries_parse(const char *text, size_t len, const char *name,
		     struct fp_entries *out, struct fp_err *err)
{
	struct json_object *root = fp_json_parse(text, len, name, err), *x, *arr;
	struct fp_entries t = { 0 };
	char where[64];
	size_t i, j;
	int rc = 0;

	if (!root)
		return EINVAL;
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "format", &x) ||
	    strcmp(json_object_get_string(x), "flowplan-plan")) {
		rc = fp_fail(err, EINVAL, "%s: \"format\" must be \"flowplan-plan\"", name);
		goto out;
	}
	if (!json_object_object_get_ex(root, "version", &x) ||
	    !json_object_is_type(x, json_type_int) || json_object_get_int(x) != 1) {
		rc = fp_fail(err, EINVAL, "%s: unsupported \"version\" (this reader knows 1)", name);
		goto out;
	}
	if (json_object_object_get_ex(root, "generation", &x)) {
		if (!json_object_is_type(x, json_type_int) || json_object_get_int64(x) < 0) {
			rc = fp_fail(err, EINVAL, "%s: generation: expected a non-negative integer", name);
			goto out;
		}
		t.generation = (uint64_t)json_object_get_int64(x);
	}
	if (!json_object_object_get_ex(root, "entries", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		rc = fp_fail(err, EINVAL, "%s: missing array \"entries\"", name);
		goto out;
	}
	t.n = json_object_array_length(arr);
	t.e = fp_xcalloc(t.n, sizeof(*t.e));
	for (i = 0; i < t.n && !rc; i++) {
		snprintf(where, sizeof(where), "entries[%zu]", i);
		rc = parse_entry(json_object_array_get_idx(arr, i), &t.e[i], name, where, err);
		for (j = 0; j < i && !rc; j++)
			if (t.e[j].src_addr == t.e[i].src_addr && t.e[j].dst_addr == t.e[i].dst_addr &&
			    t.e[j].dqpn == t.e[i].dqpn)
				rc = fp_fail(err, EEXIST, "%s: %s: same (src_addr, dst_addr, dqpn) as entries[%zu]",
					     name, where, j);
	}
out:
	json_object_put(root);
	if (rc) {
		fp_entries_free(&t);
		return rc;
	}
	*out = t;
	return 0;
}

int fp_entries_load(const char *path, struct fp_entries *out, struct fp_err *err)
{
	char *buf;
	size_t len;
	int rc = fp_read_file(path, &buf, &len, err);

	if (rc)
		return rc;
	rc = fp_entries_parse(buf, len, path, out, err);
	free(buf);
	return rc;
}

const struct fp_entry *fp_entries_find(const struct fp_entries *t, uint32_t src,
				       uint32_t dst, uint32_t dqpn)
{
	const struct fp_entry *any = NULL;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct fp_entry *e = &t->e[i];

		if (e->src_addr != src || e->dst_addr != dst)
			continue;
		if (e->dqpn == dqpn && dqpn != FP_DQPN_ANY)
			return e;
		if (e->dqpn == FP_DQPN_ANY)
			any = e;
	}
	return any;
}
