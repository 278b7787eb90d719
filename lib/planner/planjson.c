// SPDX-License-Identifier: MIT
/* planjson.c - write a plan file (docs/formats.md "Plan"). */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/hostplan.h"
#include "planner/plan.h"
#include "planner/util.h"

struct pick {
	uint64_t key;		/* src << 32 | dst, host order for sorting */
	uint64_t bytes;
	size_t phase, flow;
};

static int cmp_pick(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

/* Entries: per address pair, the phase in which the pair carries the most bytes. */
static struct json_object *entries_json(const struct fp_plan *p)
{
	const struct fp_topo *t = p->topo;
	struct json_object *arr = json_object_new_array();
	struct pick *pk = NULL;
	size_t n = 0, cap = 0, i, j, w;
	char a[16];

	if (p->strategy == FP_STRAT_SPRAY)
		return arr;
	for (i = 0; i < p->nph; i++) {
		const struct fp_phase *ph = &p->sched->ph[i];

		for (j = 0; j < ph->n; j++) {
			const struct fp_flow *f = &ph->flows[j];

			if (t->nodes[f->src].host == t->nodes[f->dst].host)
				continue;
			FP_GROW(pk, cap, n + 1);
			pk[n++] = (struct pick){
				.key = (uint64_t)__builtin_bswap32(t->nodes[f->src].addr) << 32 |
				       __builtin_bswap32(t->nodes[f->dst].addr),
				.bytes = f->bytes, .phase = i, .flow = j };
		}
	}
	qsort(pk, n, sizeof(*pk), cmp_pick);
	for (i = 0; i < n; i = j) {
		const struct pick *best = &pk[i];
		const struct fp_plan_phase *pp;
		const struct fp_flow *f;
		struct json_object *e, *subs;
		uint64_t total = 0, wsum = 0;
		uint32_t wt[FP_MAX_SUBFLOWS];
		size_t big = 0;
		bool ok = true;

		for (j = i; j < n && pk[j].key == pk[i].key; j++)
			if (pk[j].bytes > best->bytes)
				best = &pk[j];
		pp = &p->ph[best->phase];
		f = &p->sched->ph[best->phase].flows[best->flow];
		if (pp->flows[best->flow].n > FP_MAX_SUBFLOWS || !pp->flows[best->flow].n)
			continue;
		for (w = 0; w < pp->flows[best->flow].n; w++) {
			const struct fp_plan_subflow *s = &pp->subs[pp->flows[best->flow].first + w];

			total += s->bytes;
			if (!s->flow_label)
				ok = false;	/* a port no flow label expresses (TCP lab maps) */
		}
		if (!ok || !total)
			continue;
		for (w = 0; w < pp->flows[best->flow].n; w++) {
			const struct fp_plan_subflow *s = &pp->subs[pp->flows[best->flow].first + w];

			wt[w] = (uint32_t)((__uint128_t)s->bytes * FP_WEIGHT_ONE / total);
			wsum += wt[w];
			if (s->bytes > pp->subs[pp->flows[best->flow].first + big].bytes)
				big = w;
		}
		wt[big] += (uint32_t)(FP_WEIGHT_ONE - wsum);
		e = json_object_new_object();
		json_object_object_add(e, "src_addr", json_object_new_string(fp_ipv4_str(t->nodes[f->src].addr, a)));
		json_object_object_add(e, "dst_addr", json_object_new_string(fp_ipv4_str(t->nodes[f->dst].addr, a)));
		json_object_object_add(e, "dqpn", json_object_new_int(0));
		json_object_object_add(e, "enforce", json_object_new_boolean(p->enforce));
		subs = json_object_new_array();
		for (w = 0; w < pp->flows[best->flow].n; w++) {
			const struct fp_plan_subflow *s = &pp->subs[pp->flows[best->flow].first + w];
			struct json_object *so = json_object_new_object();

			json_object_object_add(so, "flow_label", json_object_new_int64(s->flow_label));
			json_object_object_add(so, "sport", json_object_new_int(s->sport));
			json_object_object_add(so, "weight", json_object_new_int64(wt[w]));
			json_object_array_add(subs, so);
		}
		json_object_object_add(e, "subflows", subs);
		json_object_array_add(arr, e);
	}
	free(pk);
	return arr;
}

static struct json_object *path_json(const struct fp_topo *t, const struct fp_flow *f,
				     const struct fp_plan_subflow *s)
{
	struct json_object *a = json_object_new_array();
	struct fp_pathset ps;
	int h;

	if (s->path == FP_PATH_NONE)
		return a;
	ps = fp_topo_paths((struct fp_topo *)t, t->nodes[f->src].leaf, t->nodes[f->dst].leaf);
	json_object_array_add(a, json_object_new_string(t->nodes[t->nodes[f->src].leaf].name));
	for (h = 0; h < ps.p[s->path].len; h++)
		json_object_array_add(a, json_object_new_string(t->nodes[t->links[ps.p[s->path].link[h]].to].name));
	return a;
}

char *fp_plan_to_json(const struct fp_plan *p, bool pretty, bool links)
{
	const struct fp_topo *t = p->topo;
	struct json_object *root = json_object_new_object(), *phs = json_object_new_array();
	size_t i, j, k;
	int l;

	json_object_object_add(root, "format", json_object_new_string("flowplan-plan"));
	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(root, "generation", json_object_new_int64((int64_t)p->generation));
	json_object_object_add(root, "topology", json_object_new_string(t->name));
	json_object_object_add(root, "schedule", json_object_new_string(p->sched->name));
	json_object_object_add(root, "strategy", json_object_new_string(fp_strategy_name(p->strategy)));
	json_object_object_add(root, "entries", entries_json(p));
	for (i = 0; i < p->nph; i++) {
		const struct fp_phase *ph = &p->sched->ph[i];
		const struct fp_plan_phase *pp = &p->ph[i];
		struct json_object *po = json_object_new_object(), *fa = json_object_new_array();

		json_object_object_add(po, "name", json_object_new_string(ph->name));
		json_object_object_add(po, "max_link_load", json_object_new_double(pp->max_load));
		json_object_object_add(po, "lower_bound", json_object_new_double(pp->lower_bound));
		for (j = 0; j < ph->n; j++) {
			const struct fp_flow *f = &ph->flows[j];
			struct json_object *fo = json_object_new_object(), *sa = json_object_new_array();

			json_object_object_add(fo, "src", json_object_new_string(t->nodes[f->src].name));
			json_object_object_add(fo, "dst", json_object_new_string(t->nodes[f->dst].name));
			json_object_object_add(fo, "bytes", json_object_new_int64((int64_t)f->bytes));
			for (k = 0; k < pp->flows[j].n; k++) {
				const struct fp_plan_subflow *s = &pp->subs[pp->flows[j].first + k];
				struct json_object *so = json_object_new_object();

				json_object_object_add(so, "bytes", json_object_new_int64((int64_t)s->bytes));
				json_object_object_add(so, "flow_label", json_object_new_int64(s->flow_label));
				json_object_object_add(so, "sport", json_object_new_int(s->sport));
				json_object_object_add(so, "path", path_json(t, f, s));
				json_object_array_add(sa, so);
			}
			json_object_object_add(fo, "subflows", sa);
			json_object_array_add(fa, fo);
		}
		json_object_object_add(po, "flows", fa);
		if (links) {
			struct json_object *la = json_object_new_array();

			for (l = 0; l < t->nlinks; l++) {
				struct json_object *lo;

				if (pp->link_bytes[l] <= 0)
					continue;
				lo = json_object_new_object();
				json_object_object_add(lo, "from", json_object_new_string(t->nodes[t->links[l].from].name));
				json_object_object_add(lo, "to", json_object_new_string(t->nodes[t->links[l].to].name));
				json_object_object_add(lo, "gbps", json_object_new_double(t->links[l].gbps));
				json_object_object_add(lo, "bytes", json_object_new_int64((int64_t)pp->link_bytes[l]));
				json_object_object_add(lo, "load", json_object_new_double(fp_link_load(t, l, pp->link_bytes[l])));
				json_object_array_add(la, lo);
			}
			json_object_object_add(po, "links", la);
		}
		json_object_array_add(phs, po);
	}
	json_object_object_add(root, "phases", phs);
	return fp_json_dump(root, pretty);
}
