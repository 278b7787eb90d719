// SPDX-License-Identifier: MIT
/*
 * test_lib_report - libflowplan's schedule reports: the public reader
 * refuses what is not a ring, a context's messages and collective marks land
 * in its ring, and records convert to the schedule format. The ring itself
 * (wrap-around, hostile files) is test_core_report's. IPv6 endpoints
 * (format version 2) make IPv6 flows; FLOWPLAN_1.0's fp_report_read and
 * fp_report_schedule (compat.c) keep the 56-byte IPv4 record.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "flowplan/compat.h"
#include "flowplan/handles.h"
#include "flowplan/priv.h"
#include "test_core_tmpdir.h"

static void test_reader_refuses(void **state)
{
	char path[128];
	struct fp_ring r;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/junk", test_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%4096s", "not a ring");
	fclose(f);
	errno = 0;
	assert_null(fp_report_open(path));
	assert_int_equal(errno, EPROTO);
	snprintf(path, sizeof(path), "%s/none", test_dir);
	assert_null(fp_report_open(path));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(fp_ring_create(&r, path, 6), EINVAL);	/* not 2^n */
}

static json_object *phase(json_object *root, size_t i)
{
	json_object *phases;

	assert_true(json_object_object_get_ex(root, "phases", &phases));
	return json_object_array_get_idx(phases, i);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no \"%s\"", key);
	return v;
}

/* An IPv4 address as a version 2 record holds it: IPv4-mapped. */
#define V4(a, b, c, d) { [10] = 0xff, [11] = 0xff, a, b, c, d }
/* 2001:db8::@x */
#define V6(x) { 0x20, 0x01, 0x0d, 0xb8, [15] = x }

static void test_schedule(void **state)
{
	const uint64_t ms = 1000000;
	struct fp_report_rec recs[] = {
		/* an allreduce (collective 1): two steps to each neighbour */
		{ .seq = 1, .comm = 4, .op = FP_OP_WRITE, .src = V4(198, 18, 0, 1),
		  .dst = V4(198, 18, 0, 2), .coll = 1, .bytes = 100,
		  .start_ns = 10 * ms, .end_ns = 11 * ms },
		{ .seq = 2, .comm = 4, .op = FP_OP_RECV, .src = V4(198, 18, 0, 2),
		  .dst = V4(198, 18, 0, 1), .coll = 1, .bytes = 100,
		  .start_ns = 10 * ms, .end_ns = 11 * ms },
		{ .seq = 3, .comm = 4, .op = FP_OP_WRITE, .src = V4(198, 18, 0, 1),
		  .dst = V4(198, 18, 0, 2), .coll = 1, .bytes = 100,
		  .start_ns = 12 * ms, .end_ns = 13 * ms },
		{ .seq = 4, .comm = 4, .op = FP_OP_ALLREDUCE, .coll = 1,
		  .bytes = 400, .start_ns = 9 * ms, .end_ns = 14 * ms },
		/* unmarked: two start together, one later */
		{ .seq = 5, .comm = 0, .op = FP_OP_SEND, .src = V4(198, 18, 0, 1),
		  .dst = V4(198, 18, 0, 3), .bytes = 7,
		  .start_ns = 100 * ms, .end_ns = 101 * ms },
		{ .seq = 6, .comm = 0, .op = FP_OP_WRITE, .src = V4(198, 18, 0, 1),
		  .dst = V4(198, 18, 0, 4), .bytes = 8,
		  .start_ns = 100 * ms + 1000, .end_ns = 101 * ms },
		{ .seq = 7, .comm = 0, .op = FP_OP_WRITE, .src = V4(198, 18, 0, 1),
		  .dst = V4(198, 18, 0, 4), .bytes = 9,
		  .start_ns = 200 * ms, .end_ns = 201 * ms },
	};
	char *buf = NULL;
	size_t len = 0;
	json_object *root, *p, *flows, *f;
	FILE *out = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(out);
	assert_int_equal(fp_report_schedule(recs, 7, 0, "t", out), 0);
	fclose(out);
	root = json_tokener_parse(buf);
	assert_non_null(root);
	assert_string_equal(json_object_get_string(get(root, "format")),
			    "flowplan-schedule");
	assert_int_equal(json_object_get_int(get(root, "version")), 1);
	assert_string_equal(json_object_get_string(get(root, "name")), "t");
	assert_int_equal(json_object_array_length(get(root, "phases")), 3);

	p = phase(root, 0);
	assert_string_equal(json_object_get_string(get(p, "name")),
			    "allreduce-1");
	flows = get(p, "flows");
	assert_int_equal(json_object_array_length(flows), 1);
	f = json_object_array_get_idx(flows, 0);
	assert_string_equal(json_object_get_string(get(f, "src")), "198.18.0.1");
	assert_string_equal(json_object_get_string(get(f, "dst")), "198.18.0.2");
	assert_int_equal(json_object_get_int64(get(f, "bytes")), 200);
	assert_string_equal(json_object_get_string(get(f, "job")), "comm4");
	assert_false(json_object_object_get_ex(p, "_coll", NULL));

	p = phase(root, 1);
	assert_string_equal(json_object_get_string(get(p, "name")), "phase-1");
	assert_int_equal(json_object_array_length(get(p, "flows")), 2);
	p = phase(root, 2);
	flows = get(p, "flows");
	assert_int_equal(json_object_array_length(flows), 1);
	f = json_object_array_get_idx(flows, 0);
	assert_int_equal(json_object_get_int64(get(f, "bytes")), 9);
	json_object_put(root);
	free(buf);

	assert_int_equal(fp_report_schedule(NULL, 1, 0, NULL, stdout), EINVAL);
}

/* The names of the phases and how many flows each has. */
static void phases_are(const struct fp_report_rec *recs, size_t n,
		       uint64_t window, const char *const *names,
		       const int *nflows, size_t nphases)
{
	char *buf = NULL;
	size_t len = 0, i;
	json_object *root;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(fp_report_schedule(recs, n, window, "w", out), 0);
	fclose(out);
	root = json_tokener_parse(buf);
	assert_non_null(root);
	assert_int_equal(json_object_array_length(get(root, "phases")), nphases);
	for (i = 0; i < nphases; i++) {
		json_object *p = phase(root, i);

		assert_string_equal(json_object_get_string(get(p, "name")),
				    names[i]);
		assert_int_equal(json_object_array_length(get(p, "flows")),
				 nflows[i]);
	}
	json_object_put(root);
	free(buf);
}

/*
 * The phase window (docs/reports.md): an unmarked message joins the open
 * phase when it starts less than window_ns after the phase's first
 * message; one starting exactly window_ns after it opens the next phase.
 * The window counts from the first message, not the previous one, so a
 * chain of messages 0.6 windows apart does not make one long phase.
 */
static void test_phase_window(void **state)
{
	const uint64_t w = 1000, t = 5000;
	struct fp_report_rec recs[] = {
		{ .seq = 1, .op = FP_OP_WRITE, .src = V4(198, 18, 0, 1),
		  .dst = V4(198, 18, 0, 2), .bytes = 1, .start_ns = t },
		{ .seq = 2, .op = FP_OP_WRITE, .src = V4(198, 18, 0, 1),
		  .dst = V4(198, 18, 0, 3), .bytes = 1, .start_ns = t + w - 1 },
		{ .seq = 3, .op = FP_OP_WRITE, .src = V4(198, 18, 0, 1),
		  .dst = V4(198, 18, 0, 4), .bytes = 1, .start_ns = t + w },
		{ .seq = 4, .op = FP_OP_SEND, .src = V4(198, 18, 0, 1),
		  .dst = V4(198, 18, 0, 5), .bytes = 1,
		  .start_ns = t + w + 6 * w / 10 },
		{ .seq = 5, .op = FP_OP_SEND, .src = V4(198, 18, 0, 1),
		  .dst = V4(198, 18, 0, 6), .bytes = 1,
		  .start_ns = t + w + 12 * w / 10 },
		/* a receive never counts, nor opens a phase */
		{ .seq = 6, .op = FP_OP_RECV, .src = V4(198, 18, 0, 9),
		  .dst = V4(198, 18, 0, 1), .bytes = 1, .start_ns = t + 9 * w },
	};
	static const char *const names[] = { "phase-0", "phase-1", "phase-2" };
	static const int flows[] = { 2, 2, 1 };
	static const char *const one[] = { "phase-0" };
	static const int five[] = { 5 };

	(void)state;
	phases_are(recs, 6, w, names, flows, 3);
	/* The same records in another order: the same phases. */
	{
		struct fp_report_rec rev[6];
		size_t i;

		for (i = 0; i < 6; i++)
			rev[i] = recs[5 - i];
		phases_are(rev, 6, w, names, flows, 3);
	}
	/* One window wider than the whole: one phase. */
	phases_are(recs, 6, 2 * w + 2 * w / 10 + 1, one, five, 1);
}

/*
 * Byte counts that a schedule cannot hold: a record of 2^63 bytes or more
 * (records come from rings anybody may write), two whose sum per flow gets
 * there. EOVERFLOW, nothing written; 2^63 - 1 in all is still a flow.
 */
static void test_schedule_overflow(void **state)
{
	struct fp_report_rec r[2] = {
		{ .seq = 1, .op = FP_OP_WRITE, .src = V4(198, 18, 0, 1),
		  .dst = V4(198, 18, 0, 2), .bytes = 1ull << 63 },
		{ .seq = 2, .op = FP_OP_WRITE, .src = V4(198, 18, 0, 1),
		  .dst = V4(198, 18, 0, 2), .bytes = 1, .start_ns = 1 },
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(out);
	assert_int_equal(fp_report_schedule(r, 2, 0, "o", out), EOVERFLOW);
	r[0].bytes = (1ull << 62);
	r[1].bytes = (1ull << 62);
	assert_int_equal(fp_report_schedule(r, 2, 0, "o", out), EOVERFLOW);
	fflush(out);
	assert_int_equal(len, 0);
	r[1].bytes = (1ull << 62) - 1;
	assert_int_equal(fp_report_schedule(r, 2, 0, "o", out), 0);
	fclose(out);
	assert_non_null(strstr(buf, "9223372036854775807"));
	free(buf);
}

/* The schedule of @n records, parsed. */
static json_object *schedule_of(const struct fp_report_rec *recs, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	json_object *root;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(fp_report_schedule(recs, n, 0, "six", out), 0);
	fclose(out);
	root = json_tokener_parse(buf);
	assert_non_null(root);
	free(buf);
	return root;
}

/* The destinations of phase @i's flows, in order, as "a,b,...". */
static void flows_to(json_object *root, size_t i, const char *want)
{
	json_object *flows = get(phase(root, i), "flows");
	char got[256] = "";
	size_t j, n = 0;

	for (j = 0; j < json_object_array_length(flows); j++)
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s",
				      j ? "," : "",
				      json_object_get_string(get(
					json_object_array_get_idx(flows, j),
					"dst")));
	assert_string_equal(got, want);
}

/*
 * Messages that start at the same time are taken in the order of their
 * seq (docs/reports.md), whatever the order of the records: here the
 * collective's (seq 1) first, so its phase comes first and the unmarked
 * ones after it open a phase of their own, seq 2's flow before seq 3's.
 */
static void test_schedule_ties(void **state)
{
	const uint64_t t = 5000;
	const struct fp_report_rec recs[] = {
		{ .seq = 3, .op = FP_OP_WRITE, .src = V4(198, 18, 0, 1),
		  .dst = V4(198, 18, 0, 4), .bytes = 1, .start_ns = t },
		{ .seq = 2, .op = FP_OP_SEND, .src = V4(198, 18, 0, 1),
		  .dst = V4(198, 18, 0, 3), .bytes = 1, .start_ns = t },
		{ .seq = 1, .comm = 1, .op = FP_OP_WRITE, .coll = 1,
		  .src = V4(198, 18, 0, 1), .dst = V4(198, 18, 0, 2),
		  .bytes = 1, .start_ns = t },
	};
	static const char *const names[] = { "collective-1", "phase-1" };
	static const int flows[] = { 1, 2 };
	json_object *root;

	(void)state;
	phases_are(recs, 3, 0, names, flows, 2);
	root = schedule_of(recs, 3);
	flows_to(root, 0, "198.18.0.2");
	flows_to(root, 1, "198.18.0.3,198.18.0.4");
	json_object_put(root);
}

/*
 * A collective's later messages join the phase its first one opened, also
 * those to another peer (a new flow of that phase) and those that come
 * after unmarked messages (which opened a phase of their own meanwhile).
 */
static void test_schedule_coll_later(void **state)
{
	const struct fp_report_rec recs[] = {
		{ .seq = 1, .comm = 1, .op = FP_OP_WRITE, .coll = 2,
		  .src = V4(198, 18, 0, 1), .dst = V4(198, 18, 0, 2),
		  .bytes = 10, .start_ns = 1000 },
		{ .seq = 2, .op = FP_OP_WRITE, .src = V4(198, 18, 0, 1),
		  .dst = V4(198, 18, 0, 9), .bytes = 1, .start_ns = 1001 },
		{ .seq = 3, .comm = 1, .op = FP_OP_WRITE, .coll = 2,
		  .src = V4(198, 18, 0, 1), .dst = V4(198, 18, 0, 3),
		  .bytes = 20, .start_ns = 1002 },
		{ .seq = 4, .comm = 1, .op = FP_OP_ALLGATHER, .coll = 2,
		  .bytes = 30, .start_ns = 999, .end_ns = 1003 },
	};
	static const char *const names[] = { "allgather-2", "phase-1" };
	static const int flows[] = { 2, 1 };
	json_object *root, *f;

	(void)state;
	phases_are(recs, 4, 0, names, flows, 2);
	root = schedule_of(recs, 4);
	flows_to(root, 0, "198.18.0.2,198.18.0.3");
	flows_to(root, 1, "198.18.0.9");
	f = json_object_array_get_idx(get(phase(root, 0), "flows"), 1);
	assert_int_equal(json_object_get_int64(get(f, "bytes")), 20);
	assert_string_equal(json_object_get_string(get(f, "job")), "comm1");
	json_object_put(root);
}

/*
 * IPv6 endpoints become IPv6 flows in RFC 5952 form (as the schedule
 * format takes them), summed per pair like IPv4's, next to IPv4 flows of
 * the same phase.
 */
static void test_schedule_v6(void **state)
{
	const struct fp_report_rec recs[] = {
		{ .seq = 1, .comm = 2, .op = FP_OP_WRITE, .src = V6(1),
		  .dst = V6(2), .bytes = 10, .start_ns = 1000 },
		{ .seq = 2, .comm = 2, .op = FP_OP_WRITE, .src = V6(1),
		  .dst = V6(2), .bytes = 5, .start_ns = 1001 },
		{ .seq = 3, .comm = 2, .op = FP_OP_SEND, .src = V4(198, 18, 0, 1),
		  .dst = V4(198, 18, 0, 2), .bytes = 7, .start_ns = 1002 },
		{ .seq = 4, .comm = 2, .op = FP_OP_RECV, .src = V6(2),
		  .dst = V6(1), .bytes = 7, .start_ns = 1003 },
	};
	json_object *root, *flows, *f;

	(void)state;
	root = schedule_of(recs, 4);
	assert_int_equal(json_object_array_length(get(root, "phases")), 1);
	flows = get(phase(root, 0), "flows");
	assert_int_equal(json_object_array_length(flows), 2);
	f = json_object_array_get_idx(flows, 0);
	assert_string_equal(json_object_get_string(get(f, "src")), "2001:db8::1");
	assert_string_equal(json_object_get_string(get(f, "dst")), "2001:db8::2");
	assert_int_equal(json_object_get_int64(get(f, "bytes")), 15);
	f = json_object_array_get_idx(flows, 1);
	assert_string_equal(json_object_get_string(get(f, "src")), "198.18.0.1");
	assert_int_equal(json_object_get_int64(get(f, "bytes")), 7);
	json_object_put(root);
}

/*
 * FLOWPLAN_1.0's calls, for programs built before format version 2: the
 * record keeps its 56-byte layout; read from a version 2 ring, IPv4
 * records come as they used to and an IPv6 one is EOVERFLOW (consumed,
 * the next read going on); fp_report_schedule@FLOWPLAN_1.0 makes the
 * schedule the current call makes of the same records.
 */
static void test_report_1_0(void **state)
{
	struct fp_report_rec_1_0 old[4];
	struct fp_report_rec rec = { .comm = 1, .op = FP_OP_WRITE,
				     .src = V4(198, 18, 0, 1),
				     .dst = V4(198, 18, 0, 2), .bytes = 64 };
	struct fp_report_rec six = { .comm = 1, .op = FP_OP_WRITE, .src = V6(1),
				     .dst = V6(2), .bytes = 64 };
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0, got;
	struct fp_report *rep;
	struct fp_ring r;
	char path[128];
	uint64_t lost;
	FILE *out;

	(void)state;
	assert_int_equal(sizeof(struct fp_report_rec_1_0), 56);
	assert_int_equal(offsetof(struct fp_report_rec_1_0, src), 20);
	assert_int_equal(offsetof(struct fp_report_rec_1_0, bytes), 32);
	snprintf(path, sizeof(path), "%s/old-reader", test_dir);
	assert_int_equal(fp_ring_create(&r, path, 8), 0);
	rep = fp_report_open(path);
	assert_non_null(rep);
	fp_ring_put(&r, &rec);
	fp_ring_put(&r, &six);
	fp_ring_put(&r, &rec);
	assert_int_equal(fp_report_read_1_0(rep, old, 4, &got, &lost), EOVERFLOW);
	assert_int_equal(got, 1);
	assert_int_equal(old[0].src, htonl(0xc6120001));
	assert_int_equal(old[0].dst, htonl(0xc6120002));
	assert_int_equal(old[0].bytes, 64);
	assert_int_equal(fp_report_read_1_0(rep, old, 4, &got, &lost), 0);
	assert_int_equal(got, 1);
	assert_int_equal(old[0].seq, 3);
	assert_int_equal(fp_report_close(rep), 0);
	fp_ring_close(&r);

	out = open_memstream(&a, &alen);
	assert_non_null(out);
	rec.seq = 1;
	old[0].seq = 1;
	old[0].start_ns = old[0].end_ns = 0;
	assert_int_equal(fp_report_schedule_1_0(old, 1, 0, "x", out), 0);
	fclose(out);
	out = open_memstream(&b, &blen);
	assert_non_null(out);
	assert_int_equal(fp_report_schedule(&rec, 1, 0, "x", out), 0);
	fclose(out);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "\"198.18.0.1\""));
	free(a);
	free(b);
	assert_int_equal(fp_report_schedule_1_0(NULL, 1, 0, "x", stdout), EINVAL);
}

/* A context with reports on: messages and collective marks land in its ring. */
static void test_ctx_coll(void **state)
{
	struct fp_ctx_attr a = { .flags = FP_CTX_NO_NETLINK | FP_CTX_REPORT,
				 .comm = 3 };
	struct fp_report_rec recs[4];
	struct fp_ctx_info info;
	struct fp_report *rep;
	struct fp_ctx *ctx;
	size_t got;

	(void)state;
	setenv("FLOWPLAN_REPORT_DIR", test_dir, 1);
	ctx = fp_ctx_open(&a);
	assert_non_null(ctx);
	assert_int_equal(fp_ctx_query(ctx, &info), 0);
	assert_true(strncmp(info.report, test_dir, strlen(test_dir)) == 0);
	rep = fp_report_open(info.report);
	assert_non_null(rep);

	assert_int_equal(fp_coll_end(ctx), ENOENT);
	assert_int_equal(fp_coll_begin(ctx, 9, FP_OP_WRITE, 1), EINVAL);
	assert_int_equal(fp_coll_begin(ctx, 9, FP_OP_ALLGATHER, 4096), 0);
	assert_int_equal(fp_coll_begin(ctx, 9, FP_OP_ALLGATHER, 4096), EBUSY);
	assert_int_equal(fp_coll_end(ctx), 0);
	assert_int_equal(fp_report_read(rep, recs, 4, &got, NULL), 0);
	assert_int_equal(got, 1);
	assert_int_equal(recs[0].op, FP_OP_ALLGATHER);
	assert_int_equal(recs[0].comm, 9);
	assert_int_equal(recs[0].coll, 1);
	assert_int_equal(recs[0].bytes, 4096);
	assert_true(recs[0].end_ns >= recs[0].start_ns);
	assert_string_equal(fp_op_str(FP_OP_ALLGATHER), "allgather");
	/* The collective ids wrap past 0 (no collective). */
	ctx->coll_serial = UINT32_MAX;
	assert_int_equal(fp_coll_begin(ctx, 9, FP_OP_ALLGATHER, 1), 0);
	assert_int_equal(fp_coll_end(ctx), 0);
	assert_int_equal(fp_report_read(rep, recs, 4, &got, NULL), 0);
	assert_int_equal(got, 1);
	assert_int_equal(recs[0].coll, 1);

	assert_int_equal(fp_report_close(rep), 0);
	assert_int_equal(fp_ctx_close(ctx), 0);
	assert_int_equal(access(info.report, F_OK), -1);

	/* Off: FLOWPLAN_REPORT=0 and no daemon. */
	a.flags = FP_CTX_NO_NETLINK;
	setenv("FLOWPLAN_REPORT", "0", 1);
	ctx = fp_ctx_open(&a);
	assert_non_null(ctx);
	assert_int_equal(fp_ctx_query(ctx, &info), 0);
	assert_string_equal(info.report, "");
	assert_int_equal(fp_coll_begin(ctx, 1, FP_OP_ALLREDUCE, 1), 0);
	assert_int_equal(fp_coll_end(ctx), 0);
	assert_int_equal(fp_ctx_close(ctx), 0);
	unsetenv("FLOWPLAN_REPORT");
}

/* fp_ctx_open(@a), what it writes to stderr meanwhile in @said. */
static struct fp_ctx *open_said(const struct fp_ctx_attr *a, char *said,
				size_t len)
{
	struct fp_ctx *ctx;
	char log[160];
	size_t n;
	int saved, fd;
	FILE *f;

	snprintf(log, sizeof(log), "%s/stderr", test_dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(log, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	ctx = fp_ctx_open(a);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	f = fopen(log, "r");
	assert_non_null(f);
	n = fread(said, 1, len - 1, f);
	said[n] = 0;
	fclose(f);
	return ctx;
}

/*
 * Report settings the ring cannot honour: no ring (the context opens all
 * the same: reports never fail a job), never one under another name. A
 * FLOWPLAN_REPORT_DIR whose name leaves no room for the ring's used to be
 * cut, so that two processes met in one file. Each is said on stderr;
 * a ring made says nothing, and one left out for a reason of the system's
 * is said only with FLOWPLAN_DEBUG.
 */
static void test_ctx_report_settings(void **state)
{
	struct fp_ctx_attr a = { .flags = FP_CTX_NO_NETLINK | FP_CTX_REPORT };
	struct fp_ctx_info info;
	char dir[200], said[512];
	struct fp_ctx *ctx;
	size_t n;

	(void)state;
	n = (size_t)snprintf(dir, sizeof(dir), "%s/", test_dir);
	memset(dir + n, 'd', 95 - n);
	dir[95] = 0;
	assert_int_equal(mkdir(dir, 0700), 0);
	setenv("FLOWPLAN_REPORT_DIR", dir, 1);
	ctx = open_said(&a, said, sizeof(said));
	if (!strstr(said, "no report ring"))
		fail_msg("no word of the ring left out: \"%s\"", said);
	assert_non_null(ctx);
	assert_int_equal(fp_ctx_query(ctx, &info), 0);
	assert_string_equal(info.report, "");
	assert_int_equal(fp_ctx_close(ctx), 0);

	setenv("FLOWPLAN_REPORT_DIR", test_dir, 1);
	setenv("FLOWPLAN_REPORT_RECORDS", "1000", 1);	/* not 2^n */
	ctx = open_said(&a, said, sizeof(said));
	/* ... and it says so, on stderr */
	if (!strstr(said, "FLOWPLAN_REPORT_RECORDS=1000: not a power of two"))
		fail_msg("no word of the ring's record count: \"%s\"", said);
	assert_non_null(ctx);
	assert_int_equal(fp_ctx_query(ctx, &info), 0);
	assert_string_equal(info.report, "");
	assert_int_equal(fp_ctx_close(ctx), 0);
	setenv("FLOWPLAN_REPORT_RECORDS", "64k", 1);	/* not a number */
	ctx = fp_ctx_open(&a);
	assert_non_null(ctx);
	assert_int_equal(fp_ctx_query(ctx, &info), 0);
	assert_string_equal(info.report, "");
	assert_int_equal(fp_ctx_close(ctx), 0);
	setenv("FLOWPLAN_REPORT_RECORDS", "64", 1);
	ctx = open_said(&a, said, sizeof(said));
	assert_string_equal(said, "");		/* a ring made: nothing to say */
	assert_non_null(ctx);
	assert_int_equal(fp_ctx_query(ctx, &info), 0);
	assert_true(strncmp(info.report, test_dir, strlen(test_dir)) == 0);
	assert_int_equal(fp_ctx_close(ctx), 0);
	unsetenv("FLOWPLAN_REPORT_RECORDS");

	/*
	 * A reason of the system's (here a directory that is not there) is
	 * said only with FLOWPLAN_DEBUG; a ring made is not "no report ring"
	 * with it either.
	 */
	snprintf(dir, sizeof(dir), "%s/none", test_dir);
	setenv("FLOWPLAN_REPORT_DIR", dir, 1);
	ctx = open_said(&a, said, sizeof(said));
	assert_string_equal(said, "");
	assert_non_null(ctx);
	assert_int_equal(fp_ctx_query(ctx, &info), 0);
	assert_string_equal(info.report, "");
	assert_int_equal(fp_ctx_close(ctx), 0);
	setenv("FLOWPLAN_DEBUG", "1", 1);
	ctx = open_said(&a, said, sizeof(said));
	if (!strstr(said, "no report ring"))
		fail_msg("FLOWPLAN_DEBUG: no word of the ring left out: \"%s\"", said);
	assert_non_null(ctx);
	assert_int_equal(fp_ctx_close(ctx), 0);
	setenv("FLOWPLAN_REPORT_DIR", test_dir, 1);
	ctx = open_said(&a, said, sizeof(said));
	if (strstr(said, "no report ring"))
		fail_msg("FLOWPLAN_DEBUG: a ring made said to be none: \"%s\"", said);
	assert_non_null(ctx);
	assert_int_equal(fp_ctx_query(ctx, &info), 0);
	assert_true(strncmp(info.report, test_dir, strlen(test_dir)) == 0);
	assert_int_equal(fp_ctx_close(ctx), 0);
	unsetenv("FLOWPLAN_DEBUG");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_refuses),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_phase_window),
		cmocka_unit_test(test_schedule_overflow),
		cmocka_unit_test(test_schedule_v6),
		cmocka_unit_test(test_schedule_ties),
		cmocka_unit_test(test_schedule_coll_later),
		cmocka_unit_test(test_report_1_0),
		cmocka_unit_test(test_ctx_coll),
		cmocka_unit_test(test_ctx_report_settings),
	};

	return cmocka_run_group_tests_name("lib_report", tests, tmpdir_setup, tmpdir_teardown);
}
