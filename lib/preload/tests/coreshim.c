// SPDX-License-Identifier: MIT
/*
 * coreshim.c - TEMPORARY: the few lib/core calls the interposer uses, until
 * the core's implementation of core/hostplan.h and core/nlclient.h lands on
 * main. Delete with the switch to $(CORE_LIB).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/hostplan.h"
#include "core/nlclient.h"

void fp_hostplan_init(struct fp_hostplan *hp)
{
	memset(hp, 0, sizeof(*hp));
}

void fp_hostplan_free(struct fp_hostplan *hp)
{
	free(hp->e);
	memset(hp, 0, sizeof(*hp));
}

int fp_hostplan_add(struct fp_hostplan *hp, const struct fp_hostplan_entry *e,
		    struct fp_err *err)
{
	struct fp_hostplan_entry *n;

	(void)err;
	if (hp->n == hp->cap) {
		n = realloc(hp->e, (hp->cap * 2 + 4) * sizeof(*n));
		if (!n)
			return ENOMEM;
		hp->e = n;
		hp->cap = hp->cap * 2 + 4;
	}
	hp->e[hp->n++] = *e;
	return 0;
}

int fp_hostplan_finish(struct fp_hostplan *hp, struct fp_err *err)
{
	(void)hp;
	(void)err;
	return 0;
}

const struct fp_hostplan_entry *
fp_hostplan_find(const struct fp_hostplan *hp, const struct fp_addr *local,
		 const struct fp_addr *remote, uint32_t dqpn)
{
	const struct fp_hostplan_entry *any = NULL;
	size_t i;

	for (i = 0; i < hp->n; i++) {
		const struct fp_hostplan_entry *e = &hp->e[i];

		if (fp_addr_cmp(&e->local, local) || fp_addr_cmp(&e->remote, remote))
			continue;
		if (e->dqpn == dqpn)
			return e;
		if (e->dqpn == FP_DQPN_ANY)
			any = e;
	}
	return any;
}

int fp_addr_parse(const char *s, struct fp_addr *out)
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		*out = fp_addr_v4(a4.s_addr);
		return 0;
	}
	return inet_pton(AF_INET6, s, out->b) == 1 ? 0 : EINVAL;
}

const char *fp_addr_str(const struct fp_addr *a, char *buf)
{
	if (fp_addr_is_v4(a))
		inet_ntop(AF_INET, &a->b[12], buf, FP_ADDR_STRLEN);
	else
		inet_ntop(AF_INET6, a->b, buf, FP_ADDR_STRLEN);
	return buf;
}

int fp_hostplan_load(const char *path, struct fp_hostplan *hp,
		     struct fp_err *err)
{
	json_object *root = json_object_from_file(path), *ents, *gen;
	size_t i, n;

	fp_hostplan_init(hp);
	if (!root)
		return fp_fail(err, EINVAL, "%s: not JSON", path);
	if (json_object_object_get_ex(root, "generation", &gen))
		hp->generation = (uint64_t)json_object_get_int64(gen);
	if (!json_object_object_get_ex(root, "entries", &ents)) {
		json_object_put(root);
		return 0;
	}
	n = json_object_array_length(ents);
	hp->e = calloc(n ? n : 1, sizeof(*hp->e));
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(ents, i), *v, *subs;
		struct fp_hostplan_entry *e = &hp->e[hp->n];
		size_t j;

		json_object_object_get_ex(o, "src_addr", &v);
		fp_addr_parse(json_object_get_string(v), &e->local);
		json_object_object_get_ex(o, "dst_addr", &v);
		fp_addr_parse(json_object_get_string(v), &e->remote);
		if (json_object_object_get_ex(o, "dqpn", &v))
			e->dqpn = (uint32_t)json_object_get_int64(v);
		json_object_object_get_ex(o, "subflows", &subs);
		for (j = 0; j < json_object_array_length(subs) &&
			    j < FP_MAX_SUBFLOWS; j++) {
			json_object *s = json_object_array_get_idx(subs, j);

			json_object_object_get_ex(s, "flow_label", &v);
			e->sub[j].flow_label = (uint32_t)json_object_get_int64(v);
			e->sub[j].sport = fp_label_to_sport(e->sub[j].flow_label);
			e->nsub++;
		}
		hp->n++;
	}
	json_object_put(root);
	return 0;
}

struct fp_nlc *fp_nlc_open(struct fp_err *err)
{
	fp_fail(err, ENOENT, "shim: no module");
	errno = ENOENT;
	return NULL;
}

void fp_nlc_close(struct fp_nlc *nlc) { (void)nlc; }
int fp_nlc_get_plan(struct fp_nlc *nlc, struct fp_hostplan *hp, struct fp_err *err)
{ (void)nlc; (void)hp; (void)err; return ENOENT; }
int fp_nlc_subscribe(struct fp_nlc *nlc, struct fp_err *err)
{ (void)nlc; (void)err; return ENOENT; }
int fp_nlc_fd(const struct fp_nlc *nlc) { (void)nlc; return -1; }
int fp_nlc_read_event(struct fp_nlc *nlc, struct fp_nl_event *ev, struct fp_err *err)
{ (void)nlc; (void)ev; (void)err; return EAGAIN; }
void fp_nl_event_free(struct fp_nl_event *ev) { (void)ev; }

void fp_weights_equal(uint32_t *w, unsigned int k)
{
	unsigned int i;

	for (i = 0; i < k; i++)
		w[i] = FP_WEIGHT_ONE / k + (i < FP_WEIGHT_ONE % k);
}
