// SPDX-License-Identifier: MIT
/*
 * report.c - schedule reports: whether a context writes a ring, the public
 * reader calls (the ring itself, writer and reader, is the shared core's:
 * core/report.h, docs/reports.md), and the conversion of records into the
 * schedule format of docs/formats.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "flowplan/priv.h"

bool fp_report_wanted(unsigned int flags)
{
	if (flags & FP_CTX_NO_REPORT)
		return false;
	if (flags & FP_CTX_REPORT)
		return true;
	return fp_ring_wanted();
}

/* The reader is the core's (core/report.h); these are its public names. */
struct fp_report *fp_report_open(const char *path)
{
	return fp_ring_reader_open(path);
}

int fp_report_read(struct fp_report *rep, struct fp_report_rec *recs,
		   size_t max, size_t *got, uint64_t *lost)
{
	return fp_ring_read(rep, recs, max, got, lost);
}

int fp_report_close(struct fp_report *rep)
{
	return fp_ring_reader_close(rep);
}

/* ------------------------------------------------------------- schedule */

const char *fp_op_str(enum fp_op op)
{
	switch (op) {
	case FP_OP_WRITE: return "write";
	case FP_OP_SEND: return "send";
	case FP_OP_RECV: return "recv";
	case FP_OP_ALLREDUCE: return "allreduce";
	case FP_OP_ALLGATHER: return "allgather";
	case FP_OP_REDUCESCATTER: return "reducescatter";
	case FP_OP_ALLTOALL: return "alltoall";
	case FP_OP_BROADCAST: return "broadcast";
	case FP_OP_COLL_OTHER: return "collective";
	}
	return "unknown";
}

static bool is_coll(uint16_t op)
{
	return op >= FP_OP_ALLREDUCE;
}

static int by_start(const void *a, const void *b)
{
	typedef const struct fp_report_rec *recp;
	recp x = *(const recp *)a, y = *(const recp *)b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * The conversion's state. Lookups go through json-c objects (hash
 * tables), so that n records cost O(n log n), not O(n^2): the collective
 * records by "comm:coll", the collectives' phases likewise, and the flows
 * by "phase|src|dst|comm".
 */
struct sched {
	json_object *phases;
	json_object *coll_op;		/* "comm:coll" -> op name */
	json_object *coll_phase;	/* "comm:coll" -> phase (its flows) */
	json_object *flow_of;		/* "phase|src|dst|comm" -> flow */
	size_t np;
};

/* Add @r's bytes to the flow of its pair in phase @ph, or a new flow. */
static int add_flow(struct sched *sc, json_object *flows, size_t ph,
		    const struct fp_report_rec *r)
{
	char src[FP_ADDR_STRLEN], dst[FP_ADDR_STRLEN], job[24], key[128];
	struct fp_addr a;
	json_object *f, *b;

	/* IPv4 as a dotted quad, IPv6 as RFC 5952 has it: as the formats do. */
	memcpy(a.b, r->src, sizeof(a.b));
	fp_addr_str(&a, src);
	memcpy(a.b, r->dst, sizeof(a.b));
	fp_addr_str(&a, dst);
	snprintf(job, sizeof(job), "comm%u", r->comm);
	snprintf(key, sizeof(key), "%zu|%s|%s|%u", ph, src, dst, r->comm);
	if (r->bytes >= 1ull << 63)
		return EOVERFLOW;
	if (json_object_object_get_ex(sc->flow_of, key, &f)) {
		int64_t sum = 0;

		json_object_object_get_ex(f, "bytes", &b);
		if (__builtin_add_overflow(json_object_get_int64(b),
					   (int64_t)r->bytes, &sum))
			return EOVERFLOW;
		json_object_set_int64(b, sum);
		return 0;
	}
	f = json_object_new_object();
	if (!f)
		return ENOMEM;
	json_object_object_add(f, "src", json_object_new_string(src));
	json_object_object_add(f, "dst", json_object_new_string(dst));
	json_object_object_add(f, "bytes",
			       json_object_new_int64((int64_t)r->bytes));
	json_object_object_add(f, "job", json_object_new_string(job));
	if (json_object_object_add(sc->flow_of, key, json_object_get(f))) {
		json_object_put(f);
		json_object_put(f);
		return ENOMEM;
	}
	return json_object_array_add(flows, f) ? ENOMEM : 0;
}

/* A new phase named @name (its flows in *@flows), or NULL. */
static json_object *new_phase(struct sched *sc, const char *name,
			      json_object **flows)
{
	json_object *p = json_object_new_object();

	*flows = json_object_new_array();
	if (!p || !*flows) {
		json_object_put(p);
		json_object_put(*flows);
		return NULL;
	}
	json_object_object_add(p, "name", json_object_new_string(name));
	json_object_object_add(p, "flows", *flows);
	if (json_object_array_add(sc->phases, p)) {
		json_object_put(p);
		return NULL;
	}
	sc->np++;
	return p;
}

/*
 * Phases: the messages of one marked collective form one phase (named after
 * it); an unmarked message joins the open phase when it starts less than
 * @window_ns after the phase's first message (start - first < window_ns),
 * else it opens the next one (docs/reports.md). Only the sending side is
 * counted (write and send); receives mirror the peer's sends. Flow
 * endpoints are IPv4 or IPv6 addresses: the reader of the schedule maps them to
 * the topology's NIC names. Byte counts that reach 2^63 (one record's or a
 * flow's sum) are EOVERFLOW.
 */
int fp_report_schedule(const struct fp_report_rec *recs, size_t n,
		       uint64_t window_ns, const char *name, FILE *out)
{
	const struct fp_report_rec **v;
	struct sched sc = { 0 };
	json_object *root, *flows = NULL, *x;
	uint64_t t0 = 0;
	bool open = false, open_coll = false;
	size_t i, m = 0, ph = 0;
	char key[32], pname[64];
	int ret = 0;

	if (!out || (n && !recs))
		return EINVAL;
	if (!window_ns)
		window_ns = 1000000;
	v = calloc(n ? n : 1, sizeof(*v));
	root = json_object_new_object();
	sc.phases = json_object_new_array();
	sc.coll_op = json_object_new_object();
	sc.coll_phase = json_object_new_object();
	sc.flow_of = json_object_new_object();
	if (!v || !root || !sc.phases || !sc.coll_op || !sc.coll_phase ||
	    !sc.flow_of) {
		ret = ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (recs[i].op == FP_OP_WRITE || recs[i].op == FP_OP_SEND) {
			v[m++] = &recs[i];
		} else if (is_coll(recs[i].op)) {
			snprintf(key, sizeof(key), "%u:%u", recs[i].comm,
				 recs[i].coll);
			if (!json_object_object_get_ex(sc.coll_op, key, NULL))
				json_object_object_add(sc.coll_op, key,
					json_object_new_string(fp_op_str(
						(enum fp_op)recs[i].op)));
		}
	}
	qsort(v, m, sizeof(*v), by_start);

	json_object_object_add(root, "format",
			       json_object_new_string("flowplan-schedule"));
	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(root, "name", json_object_new_string(name ?
			       name : "observed"));

	for (i = 0; i < m && !ret; i++) {
		const struct fp_report_rec *r = v[i];

		if (r->coll) {
			/* A collective's messages may interleave with others. */
			snprintf(key, sizeof(key), "%u:%u", r->comm, r->coll);
			if (json_object_object_get_ex(sc.coll_phase, key, &x)) {
				ph = (size_t)json_object_get_int64(
					json_object_array_get_idx(x, 0));
				flows = json_object_array_get_idx(x, 1);
			} else {
				snprintf(pname, sizeof(pname), "%s-%u",
					 json_object_object_get_ex(sc.coll_op, key, &x) ?
					 json_object_get_string(x) : "collective",
					 r->coll);
				ph = sc.np;
				x = json_object_new_array();
				if (!x || !new_phase(&sc, pname, &flows)) {
					json_object_put(x);
					ret = ENOMEM;
					break;
				}
				json_object_array_add(x, json_object_new_int64((int64_t)ph));
				json_object_array_add(x, json_object_get(flows));
				json_object_object_add(sc.coll_phase, key, x);
			}
			open = true;
			open_coll = true;
		} else if (!open || open_coll || r->start_ns - t0 >= window_ns) {
			snprintf(pname, sizeof(pname), "phase-%zu", sc.np);
			ph = sc.np;
			if (!new_phase(&sc, pname, &flows)) {
				ret = ENOMEM;
				break;
			}
			t0 = r->start_ns;
			open = true;
			open_coll = false;
		}
		ret = add_flow(&sc, flows, ph, r);
	}
	if (ret)
		goto out;
	json_object_object_add(root, "phases", sc.phases);
	sc.phases = NULL;
	if (fprintf(out, "%s\n", json_object_to_json_string_ext(root,
			JSON_C_TO_STRING_PRETTY |
			JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		ret = EIO;
out:
	json_object_put(sc.phases);
	json_object_put(sc.coll_op);
	json_object_put(sc.coll_phase);
	json_object_put(sc.flow_of);
	json_object_put(root);
	free(v);
	return ret;
}
