// SPDX-License-Identifier: MIT
/*
 * planfile.c - the plan file (docs/formats.md "Plan") as a host plan: the
 * reader of its "entries" and the one writer of an entry.
 *
 * The reader is strict: every value must have its type (a JSON null is no
 * string and no number), integers their range, objects only known keys;
 * the first fault is reported with the file, the entry and the field.
 * The "phases" report, most of a large plan, is checked as JSON but not
 * built (fp_json_text_skip): the reader takes nothing from it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/file.h"
#include "core/hostplan.h"
#include "core/json.h"

/* Where in the file: "NAME: entries[3].subflows[1]". */
struct at {
	const char *name;
	char where[96];
};

static int only_keys(struct json_object *o, const char *const *keys,
		     const struct at *at, struct fp_err *err)
{
	const char *const *k;

	if (!json_object_is_type(o, json_type_object))
		return fp_fail(err, EINVAL, "%s: %s: expected an object", at->name,
			       at->where);
	json_object_object_foreach(o, key, val) {
		(void)val;
		for (k = keys; *k; k++)
			if (!strcmp(*k, key))
				break;
		if (!*k)
			return fp_fail(err, EINVAL, "%s: %s: unknown key \"%s\"",
				       at->name, at->where, key);
	}
	return 0;
}

/*
 * An integer member in 0..@max. Absent: ENOENT, with nothing said, so that
 * the caller decides whether it is optional. json-c saturates numbers it
 * cannot hold; every @max here is below those bounds, so a saturated value
 * is refused as out of range, never taken.
 */
static int get_uint(struct json_object *o, const char *key, uint64_t max,
		    uint64_t *v, const struct at *at, struct fp_err *err)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x))
		return ENOENT;
	if (!json_object_is_type(x, json_type_int))
		return fp_fail(err, EINVAL, "%s: %s%s%s: expected an integer, not %s",
			       at->name, at->where, *at->where ? "." : "", key,
			       json_type_to_name(json_object_get_type(x)));
	if (json_object_get_int64(x) < 0 || json_object_get_uint64(x) > max)
		return fp_fail(err, ERANGE, "%s: %s%s%s: %s is out of range 0..%" PRIu64,
			       at->name, at->where, *at->where ? "." : "", key,
			       json_object_get_string(x), max);
	*v = json_object_get_uint64(x);
	return 0;
}

static int need_uint(struct json_object *o, const char *key, uint64_t max,
		     uint64_t *v, const struct at *at, struct fp_err *err)
{
	int ret = get_uint(o, key, max, v, at, err);

	if (ret == ENOENT)
		return fp_fail(err, EINVAL, "%s: %s: missing \"%s\"", at->name,
			       at->where, key);
	return ret;
}

static int get_addr(struct json_object *o, const char *key, struct fp_addr *a,
		    const struct at *at, struct fp_err *err)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x))
		return fp_fail(err, EINVAL, "%s: %s: missing \"%s\"", at->name,
			       at->where, key);
	if (!json_object_is_type(x, json_type_string) ||
	    fp_addr_parse(json_object_get_string(x), a))
		return fp_fail(err, EINVAL, "%s: %s.%s: expected an IPv4 or IPv6 address",
			       at->name, at->where, key);
	return 0;
}

static int parse_subflow(struct json_object *so, struct fp_subflow *s,
			 const struct at *at, struct fp_err *err)
{
	static const char *const keys[] = { "flow_label", "sport", "weight", NULL };
	uint64_t v;
	int ret;

	ret = only_keys(so, keys, at, err);
	if (!ret)
		ret = need_uint(so, "flow_label", FP_FLOW_LABEL_MAX, &v, at, err);
	if (ret)
		return ret;
	s->flow_label = (uint32_t)v;
	s->sport = fp_label_to_sport(s->flow_label);
	ret = get_uint(so, "sport", UINT16_MAX, &v, at, err);
	if (ret && ret != ENOENT)
		return ret;
	if (!ret)
		s->sport = (uint16_t)v;	/* checked against the label below */
	ret = need_uint(so, "weight", FP_WEIGHT_ONE, &v, at, err);
	if (ret)
		return ret;
	s->weight = (uint32_t)v;
	return 0;
}

static int parse_entry(struct json_object *eo, struct fp_hostplan_entry *e,
		       struct at *at, struct fp_err *err)
{
	static const char *const keys[] = { "src_addr", "dst_addr", "dqpn",
					    "enforce", "subflows", NULL };
	struct json_object *x, *subs;
	char where[sizeof(at->where)], full[160];
	uint64_t v;
	size_t i, n;
	int ret;

	memset(e, 0, sizeof(*e));
	ret = only_keys(eo, keys, at, err);
	if (!ret)
		ret = get_addr(eo, "src_addr", &e->local, at, err);
	if (!ret)
		ret = get_addr(eo, "dst_addr", &e->remote, at, err);
	if (ret)
		return ret;
	ret = get_uint(eo, "dqpn", FP_DQPN_MAX, &v, at, err);
	if (ret && ret != ENOENT)
		return ret;
	e->dqpn = ret ? FP_DQPN_ANY : (uint32_t)v;
	if (json_object_object_get_ex(eo, "enforce", &x)) {
		if (!json_object_is_type(x, json_type_boolean))
			return fp_fail(err, EINVAL, "%s: %s.enforce: expected true or false",
				       at->name, at->where);
		e->enforce = json_object_get_boolean(x);
	}
	if (!json_object_object_get_ex(eo, "subflows", &subs) ||
	    !json_object_is_type(subs, json_type_array) ||
	    !json_object_array_length(subs))
		return fp_fail(err, EINVAL, "%s: %s: \"subflows\" must be a non-empty array",
			       at->name, at->where);
	n = json_object_array_length(subs);
	if (n > FP_MAX_SUBFLOWS)
		return fp_fail(err, E2BIG, "%s: %s: %zu subflows, at most %d",
			       at->name, at->where, n, FP_MAX_SUBFLOWS);
	memcpy(where, at->where, sizeof(where));
	for (i = 0; i < n; i++) {
		snprintf(at->where, sizeof(at->where), "%s.subflows[%zu]", where, i);
		ret = parse_subflow(json_object_array_get_idx(subs, i), &e->sub[i],
				    at, err);
		if (ret)
			return ret;
	}
	memcpy(at->where, where, sizeof(where));
	e->nsub = (unsigned int)n;
	snprintf(full, sizeof(full), "%s: %s", at->name, at->where);
	return fp_hostplan_check_entry(e, full, err);
}

int fp_hostplan_parse(const char *text, size_t len, const char *name,
		      struct fp_hostplan *hp, struct fp_err *err)
{
	struct json_object *root = NULL, *x, *arr;
	struct fp_hostplan_entry e;
	struct at at = { .name = name ? name : "plan" };
	uint64_t v;
	size_t i, n;
	int ret;

	fp_hostplan_init(hp);
	if (!text)
		return fp_fail(err, EINVAL, "%s: no text", at.name);
	if (len > FP_PLANFILE_MAX)
		return fp_fail(err, EFBIG, "%s: %zu bytes, larger than the limit of %llu",
			       at.name, len, FP_PLANFILE_MAX);
	ret = fp_json_text_skip(text, len, at.name, "phases", &root, err);
	if (ret)
		return ret;
	if (!json_object_is_type(root, json_type_object)) {
		ret = fp_fail(err, EINVAL, "%s: expected a JSON object", at.name);
		goto out;
	}
	if (!json_object_object_get_ex(root, "format", &x) ||
	    !json_object_is_type(x, json_type_string) ||
	    strcmp(json_object_get_string(x), "flowplan-plan")) {
		ret = fp_fail(err, EINVAL, "%s: \"format\" must be \"flowplan-plan\"",
			      at.name);
		goto out;
	}
	ret = get_uint(root, "version", UINT32_MAX, &v, &at, err);
	if (ret == ENOENT || (!ret && v != 1))
		ret = fp_fail(err, EINVAL, "%s: unsupported \"version\" (this reader knows 1)",
			      at.name);
	if (ret)
		goto out;
	ret = get_uint(root, "generation", INT64_MAX, &hp->generation, &at, err);
	if (ret == ENOENT)
		ret = 0;
	if (ret)
		goto out;
	if (!json_object_object_get_ex(root, "entries", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		ret = fp_fail(err, EINVAL, "%s: missing array \"entries\"", at.name);
		goto out;
	}
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		snprintf(at.where, sizeof(at.where), "entries[%zu]", i);
		ret = parse_entry(json_object_array_get_idx(arr, i), &e, &at, err);
		if (!ret)
			ret = fp_hostplan_add(hp, &e, err);
		if (ret)
			goto out;
	}
	ret = fp_hostplan_finish(hp, err);
	if (ret == EEXIST)
		fp_err_prefix(err, at.name);	/* the plan knows no file name */
out:
	json_object_put(root);
	if (ret)
		fp_hostplan_free(hp);
	return ret;
}

int fp_hostplan_load(const char *path, struct fp_hostplan *hp,
		     struct fp_err *err)
{
	size_t len;
	char *buf;
	int ret;

	fp_hostplan_init(hp);
	if (!path)
		return fp_fail(err, EINVAL, "no plan file named");
	ret = fp_file_read(path, FP_PLANFILE_MAX, &buf, &len, err);
	if (ret)
		return ret;
	ret = fp_hostplan_parse(buf, len, path, hp, err);
	free(buf);
	return ret;
}

int fp_hostplan_write_entry(FILE *f, const struct fp_hostplan_entry *e,
			    bool pretty)
{
	const char *sp = pretty ? " " : "";
	char l[FP_ADDR_STRLEN], r[FP_ADDR_STRLEN];
	unsigned int i;

	if (!f || !e || !e->nsub || e->nsub > FP_MAX_SUBFLOWS)
		return EINVAL;
	fp_addr_str(&e->local, l);
	fp_addr_str(&e->remote, r);
	if (fprintf(f, "{%s\"src_addr\":%s\"%s\",%s\"dst_addr\":%s\"%s\",", sp, sp, l,
		    sp, sp, r) < 0 ||
	    fprintf(f, "%s\"dqpn\":%s%u,%s\"enforce\":%s%s,%s\"subflows\":%s[", sp, sp,
		    e->dqpn, sp, sp, e->enforce ? "true" : "false", sp, sp) < 0)
		return EIO;
	for (i = 0; i < e->nsub; i++)
		if (fprintf(f, "%s%s{%s\"flow_label\":%s%u,%s\"sport\":%s%u,%s\"weight\":%s%u%s}",
			    i ? "," : "", sp, sp, sp, e->sub[i].flow_label, sp, sp,
			    e->sub[i].sport, sp, sp, e->sub[i].weight, sp) < 0)
			return EIO;
	if (fprintf(f, "%s]%s}", sp, sp) < 0)
		return EIO;
	return 0;
}
