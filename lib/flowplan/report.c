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

static const struct fp_report_rec *find_coll(const struct fp_report_rec *recs,
					     size_t n, uint32_t comm,
					     uint32_t coll)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (is_coll(recs[i].op) && recs[i].coll == coll &&
		    recs[i].comm == comm)
			return &recs[i];
	return NULL;
}

/* The phase already opened for collective @coll of @comm, or NULL. */
static json_object *coll_phase(json_object *phases, uint32_t comm,
			       uint32_t coll)
{
	size_t j, n = json_object_array_length(phases);

	for (j = 0; j < n; j++) {
		json_object *p = json_object_array_get_idx(phases, j), *c, *cm;

		if (json_object_object_get_ex(p, "_coll", &c) &&
		    json_object_object_get_ex(p, "_comm", &cm) &&
		    (uint32_t)json_object_get_int64(c) == coll &&
		    (uint32_t)json_object_get_int64(cm) == comm)
			return p;
	}
	return NULL;
}

/* Add @r's bytes to the flow of its pair in @flows, or a new flow. */
static int add_flow(json_object *flows, const struct fp_report_rec *r)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN], job[24];
	size_t i, n = json_object_array_length(flows);
	json_object *f;

	inet_ntop(AF_INET, &r->src, src, sizeof(src));
	inet_ntop(AF_INET, &r->dst, dst, sizeof(dst));
	snprintf(job, sizeof(job), "comm%u", r->comm);
	for (i = 0; i < n; i++) {
		json_object *s, *d, *b, *j;

		f = json_object_array_get_idx(flows, i);
		json_object_object_get_ex(f, "src", &s);
		json_object_object_get_ex(f, "dst", &d);
		json_object_object_get_ex(f, "bytes", &b);
		json_object_object_get_ex(f, "job", &j);
		if (strcmp(json_object_get_string(s), src) ||
		    strcmp(json_object_get_string(d), dst) ||
		    strcmp(json_object_get_string(j), job))
			continue;
		json_object_set_int64(b, json_object_get_int64(b) +
					 (int64_t)r->bytes);
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
	return json_object_array_add(flows, f) ? ENOMEM : 0;
}

/*
 * Phases: the messages of one marked collective form one phase (named after
 * it); an unmarked message joins the open phase when it starts less than
 * @window_ns after the phase's first message (start - first < window_ns),
 * else it opens the next one (docs/reports.md). Only the sending side is counted (write and send);
 * receives mirror the peer's sends. Flow endpoints are IPv4 addresses: the
 * reader of the schedule maps them to the topology's NIC names.
 */
int fp_report_schedule(const struct fp_report_rec *recs, size_t n,
		       uint64_t window_ns, const char *name, FILE *out)
{
	const struct fp_report_rec **v;
	json_object *root, *phases, *phase = NULL, *flows = NULL;
	uint64_t t0 = 0;
	uint32_t cur_coll = 0, cur_comm = 0;
	size_t i, m = 0, np = 0;
	int ret = 0;

	if (!out || (n && !recs))
		return EINVAL;
	if (!window_ns)
		window_ns = 1000000;
	v = calloc(n ? n : 1, sizeof(*v));
	root = json_object_new_object();
	phases = json_object_new_array();
	if (!v || !root || !phases) {
		ret = ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (recs[i].op == FP_OP_WRITE || recs[i].op == FP_OP_SEND)
			v[m++] = &recs[i];
	qsort(v, m, sizeof(*v), by_start);

	json_object_object_add(root, "format",
			       json_object_new_string("flowplan-schedule"));
	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(root, "name", json_object_new_string(name ?
			       name : "observed"));

	for (i = 0; i < m; i++) {
		const struct fp_report_rec *r = v[i];
		bool same;

		if (r->coll)
			same = phase && cur_coll == r->coll &&
			       cur_comm == r->comm;
		else
			same = phase && !cur_coll &&
			       r->start_ns - t0 < window_ns;
		if (!same && r->coll && phase) {
			/* A collective's messages may interleave. */
			json_object *p = coll_phase(phases, r->comm, r->coll);

			if (p) {
				phase = p;
				json_object_object_get_ex(p, "flows", &flows);
				cur_coll = r->coll;
				cur_comm = r->comm;
				same = true;
			}
		}
		if (!same) {
			const struct fp_report_rec *c = r->coll ?
				find_coll(recs, n, r->comm, r->coll) : NULL;
			char pname[64];

			if (r->coll)
				snprintf(pname, sizeof(pname), "%s-%u",
					 c ? fp_op_str((enum fp_op)c->op) :
					     "collective", r->coll);
			else
				snprintf(pname, sizeof(pname), "phase-%zu", np);
			np++;
			phase = json_object_new_object();
			flows = json_object_new_array();
			if (!phase || !flows) {
				ret = ENOMEM;
				goto out;
			}
			json_object_object_add(phase, "name",
					       json_object_new_string(pname));
			json_object_object_add(phase, "flows", flows);
			if (r->coll) {
				json_object_object_add(phase, "_coll",
					json_object_new_int64(r->coll));
				json_object_object_add(phase, "_comm",
					json_object_new_int64(r->comm));
			}
			json_object_array_add(phases, phase);
			t0 = r->start_ns;
			cur_coll = r->coll;
			cur_comm = r->comm;
		}
		ret = add_flow(flows, r);
		if (ret)
			goto out;
	}
	/* Internal bookkeeping keys are not part of the format. */
	for (i = 0; i < json_object_array_length(phases); i++) {
		json_object *p = json_object_array_get_idx(phases, i);

		json_object_object_del(p, "_coll");
		json_object_object_del(p, "_comm");
	}
	json_object_object_add(root, "phases", phases);
	phases = NULL;
	if (fprintf(out, "%s\n", json_object_to_json_string_ext(root,
			JSON_C_TO_STRING_PRETTY |
			JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		ret = EIO;
out:
	json_object_put(phases);
	json_object_put(root);
	free(v);
	return ret;
}
