// SPDX-License-Identifier: MIT
/*
 * test_profiler - the flowplan profiler plugin, fed the event sequences
 * NCCL 2.28 gives a profiler for each kind of collective, must write the
 * schedule reports of docs/reports.md, and fp_report_schedule() must make
 * of them one phase per collective with the bytes each connection sent.
 *
 * The sequences follow the order of NCCL's instrumentation (as in its
 * src/plugin/profiler.cc and src/transport/net.cc): on the application's
 * thread Group start, the task (Coll or P2p) start, task stop, Group stop;
 * later, on the proxy thread, per channel a ProxyOp (parent: the task) with
 * ProxyStep children, and under each send step the NetPlugin event the
 * flowplan net plugin starts in isend() and updates-and-stops in test().
 * Receive steps carry no net event. Both interface versions, v5 and v4.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "flowplan/flowplan.h"
#include "nccl/fpn.h"
#include "nccl/nccl_abi.h"

extern const ncclProfiler_v5_t ncclProfiler_v5;
extern const ncclProfiler_v4_t ncclProfiler_v4;

struct kind {
	const char *func;		/* NCCL's ncclFuncToString() */
	const char *dt;
	size_t count;
	bool p2p;			/* a group of Send + Recv */
	uint16_t want_op;
	const char *want_name;		/* fp_op_str() */
};

static const struct kind kinds[] = {
	{ "AllReduce", "ncclFloat32", 1 << 18, false, FP_OP_ALLREDUCE, "allreduce" },
	{ "AllGather", "ncclBfloat16", 3 << 16, false, FP_OP_ALLGATHER, "allgather" },
	{ "ReduceScatter", "ncclFloat16", 1 << 17, false, FP_OP_REDUCESCATTER, "reducescatter" },
	{ "AlltoAll", "ncclInt8", 1 << 20, false, FP_OP_ALLTOALL, "alltoall" },
	{ "Broadcast", "ncclFloat64", 1 << 15, false, FP_OP_BROADCAST, "broadcast" },
	{ "Reduce", "ncclInt32", 1 << 16, false, FP_OP_COLL_OTHER, "collective" },
	{ "Send", "ncclFloat32", 1 << 16, true, FP_OP_COLL_OTHER, "collective" },
};

#define NCH	2	/* channels */
#define NSTEPS	3	/* steps per proxy op */

#define DIR_TEMPLATE	"/tmp/fpn-prof-XXXXXX"
static char dir[sizeof(DIR_TEMPLATE)] = DIR_TEMPLATE;	/* mkdtemp() fills it */
static uint32_t H1, H2;

/* A version 2 record's address: none (::), or IPv4-mapped as IPv4. */
static bool no_addr(const uint8_t *b)
{
	static const uint8_t zero[16];

	return !memcmp(b, zero, sizeof(zero));
}

static uint32_t rec_v4(const uint8_t *b)
{
	static const uint8_t pfx[12] = { [10] = 0xff, [11] = 0xff };
	uint32_t a;

	assert_memory_equal(b, pfx, sizeof(pfx));
	memcpy(&a, b + 12, 4);
	return a;
}

/* An IPv4 address as a version 2 event carries it (::ffff:a.b.c.d). */
static void mapped(uint8_t *out, uint32_t v4)
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, &v4, 4);
}

/* One version's calls, with the version's descriptor built from ours. */
struct api {
	int ver;
	ncclResult_t (*start)(void *ctx, void **h, const ncclProfilerEventDescr_v5_t *d);
	ncclResult_t (*stop)(void *h);
	ncclResult_t (*update)(void *h, void *data);
};

static ncclResult_t start5(void *ctx, void **h, const ncclProfilerEventDescr_v5_t *d)
{
	return ncclProfiler_v5.startEvent(ctx, h, (ncclProfilerEventDescr_v5_t *)d);
}

static ncclResult_t start4(void *ctx, void **h, const ncclProfilerEventDescr_v5_t *d)
{
	ncclProfilerEventDescr_v4_t x = { .type = (uint8_t)d->type,
					  .parentObj = d->parentObj,
					  .rank = d->rank };

	switch (d->type) {
	case ncclProfileColl:
		x.parentObj = d->coll.parentGroup;
		x.coll.seqNumber = d->coll.seqNumber;
		x.coll.func = d->coll.func;
		x.coll.count = d->coll.count;
		x.coll.datatype = d->coll.datatype;
		x.coll.nChannels = d->coll.nChannels;
		break;
	case ncclProfileP2p:
		x.parentObj = d->p2p.parentGroup;
		x.p2p.func = d->p2p.func;
		x.p2p.count = d->p2p.count;
		x.p2p.datatype = d->p2p.datatype;
		x.p2p.peer = d->p2p.peer;
		break;
	case ncclProfileProxyOp:
		x.proxyOp.pid = d->proxyOp.pid;
		x.proxyOp.channelId = d->proxyOp.channelId;
		x.proxyOp.peer = d->proxyOp.peer;
		x.proxyOp.nSteps = d->proxyOp.nSteps;
		x.proxyOp.isSend = d->proxyOp.isSend;
		break;
	case ncclProfileProxyStep:
		x.proxyStep.step = d->proxyStep.step;
		break;
	case ncclProfileNetPlugin:
		x.netPlugin.id = d->netPlugin.id;
		x.netPlugin.data = d->netPlugin.data;
		break;
	}
	return ncclProfiler_v4.startEvent(ctx, h, &x);
}

static ncclResult_t update5(void *h, void *data)
{
	ncclProfilerEventStateArgs_v5_t a = { .netPlugin.data = data };

	return ncclProfiler_v5.recordEventState(h, ncclProfilerNetPluginUpdate, &a);
}

static ncclResult_t update4(void *h, void *data)
{
	ncclProfilerEventStateArgs_v4_t a = { .netPlugin.data = data };

	return ncclProfiler_v4.recordEventState(h, ncclProfilerNetPluginUpdate, &a);
}

static const struct api v5 = { 5, start5, NULL, update5 };
static const struct api v4 = { 4, start4, NULL, update4 };

static void *ev(const struct api *a, void *ctx, ncclProfilerEventDescr_v5_t d)
{
	void *h = NULL;

	assert_int_equal(a->start(ctx, &h, &d), ncclSuccess);
	return h;
}

static void end(const struct api *a, void *h)
{
	(void)a;
	assert_int_equal(ncclProfiler_v5.stopEvent(h), ncclSuccess);
}

/* The bytes each send step of a kind carries: distinct per step. */
static uint64_t step_bytes(int ch, int step)
{
	return 65536u * (uint64_t)(ch + 1) + (uint64_t)step * 4099u;
}

/* One operation of @k, as NCCL drives the profiler on rank 0 of two. */
static void play(const struct api *a, void *ctx, const struct kind *k)
{
	void *g, *task, *task2 = NULL, *op, *st, *net;
	struct fpn_prof_net data;
	int ch, s, dir_;

	g = ev(a, ctx, (ncclProfilerEventDescr_v5_t){ .type = ncclProfileGroup });
	if (!k->p2p) {
		task = ev(a, ctx, (ncclProfilerEventDescr_v5_t){
			.type = ncclProfileColl, .rank = 0,
			.coll = { .seqNumber = 7, .func = k->func,
				  .count = k->count, .datatype = k->dt,
				  .nChannels = NCH, .parentGroup = g } });
	} else {
		task = ev(a, ctx, (ncclProfilerEventDescr_v5_t){
			.type = ncclProfileP2p,
			.p2p = { .func = "Send", .count = k->count,
				 .datatype = k->dt, .peer = 1, .nChannels = NCH,
				 .parentGroup = g } });
		task2 = ev(a, ctx, (ncclProfilerEventDescr_v5_t){
			.type = ncclProfileP2p,
			.p2p = { .func = "Recv", .count = k->count,
				 .datatype = k->dt, .peer = 1, .nChannels = NCH,
				 .parentGroup = g } });
	}
	/* enqueued: the task and group events stop before the proxy runs */
	end(a, task);
	if (task2)
		end(a, task2);
	end(a, g);
	for (ch = 0; ch < NCH; ch++)
		for (dir_ = 1; dir_ >= 0; dir_--) {
			op = ev(a, ctx, (ncclProfilerEventDescr_v5_t){
				.type = ncclProfileProxyOp,
				.parentObj = dir_ || !task2 ? task : task2,
				.proxyOp = { .pid = getpid(), .channelId = (uint8_t)ch,
					     .peer = 1, .nSteps = NSTEPS,
					     .isSend = dir_ } });
			for (s = 0; s < NSTEPS; s++) {
				st = ev(a, ctx, (ncclProfilerEventDescr_v5_t){
					.type = ncclProfileProxyStep,
					.parentObj = op, .proxyStep = { .step = s } });
				if (dir_) {
					data = (struct fpn_prof_net){
						.magic = FPN_PROF_MAGIC,
						.op = FP_OP_SEND, .k = 4,
						.src = H1, .dst = H2,
						.family = AF_INET,
						.bytes = step_bytes(ch, s) };
					mapped(data.src6, H1);
					mapped(data.dst6, H2);
					net = ev(a, ctx, (ncclProfilerEventDescr_v5_t){
						.type = ncclProfileNetPlugin,
						.parentObj = st,
						.netPlugin = { .id = FPN_PROF_ID,
							       .data = &data } });
					assert_non_null(net);
					assert_int_equal(a->update(net, &data), ncclSuccess);
					end(a, net);
				}
				end(a, st);
			}
			end(a, op);
		}
}

static void check_ring(const char *path, const struct api *a)
{
	struct fp_report_rec recs[1024];
	struct fp_report *rep;
	size_t got, i, j, n;
	uint64_t lost, want_sent = 0;
	char *buf = NULL;
	size_t blen = 0;
	FILE *f;
	json_object *root, *phases;
	int ch, s;

	(void)a;
	rep = fp_report_open(path);
	assert_non_null(rep);
	assert_int_equal(fp_report_read(rep, recs, 1024, &got, &lost), 0);
	assert_int_equal(lost, 0);
	fp_report_close(rep);
	n = sizeof(kinds) / sizeof(kinds[0]);
	for (ch = 0; ch < NCH; ch++)
		for (s = 0; s < NSTEPS; s++)
			want_sent += step_bytes(ch, s);
	/* one collective record per operation, NCH * NSTEPS send records */
	assert_int_equal(got, n * (1 + NCH * NSTEPS) + 1);
	for (i = 0; i < n; i++) {
		const struct kind *k = &kinds[i];
		uint32_t serial = 0;
		uint64_t sent = 0;

		for (j = 0; j < got; j++)
			if (recs[j].op == k->want_op && no_addr(recs[j].src) &&
			    recs[j].bytes == (k->p2p ? k->count * 4 :
					      k->count * (strstr(k->dt, "16") ? 2 :
							  strstr(k->dt, "64") ? 8 :
							  strstr(k->dt, "32") ? 4 : 1)))
				serial = recs[j].coll;
		assert_int_not_equal(serial, 0);
		for (j = 0; j < got; j++)
			if (recs[j].op == FP_OP_SEND && recs[j].coll == serial) {
				assert_int_equal(rec_v4(recs[j].src), H1);
				assert_int_equal(rec_v4(recs[j].dst), H2);
				assert_int_equal(recs[j].status, 0);
				assert_true(recs[j].end_ns >= recs[j].start_ns);
				sent += recs[j].bytes;
			}
		assert_int_equal(sent, want_sent);
	}
	/* the foreign net plugin's event made no record; the PXN one no coll */
	for (j = 0; j < got; j++)
		if (recs[j].op == FP_OP_SEND && recs[j].coll == 0)
			assert_int_equal(recs[j].bytes, 777);

	f = open_memstream(&buf, &blen);
	assert_non_null(f);
	assert_int_equal(fp_report_schedule(recs, got, 0, "nccl", f), 0);
	fclose(f);
	root = json_tokener_parse(buf);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "phases", &phases));
	/* one phase per operation, and one for the message outside any */
	assert_int_equal(json_object_array_length(phases), n + 1);
	for (i = 0; i < n; i++) {
		bool found = false;

		for (j = 0; j < json_object_array_length(phases); j++) {
			json_object *p = json_object_array_get_idx(phases, j), *nm, *fl, *fw, *b;

			json_object_object_get_ex(p, "name", &nm);
			if (strncmp(json_object_get_string(nm), kinds[i].want_name,
				    strlen(kinds[i].want_name)) ||
			    json_object_get_string(nm)[strlen(kinds[i].want_name)] != '-')
				continue;
			json_object_object_get_ex(p, "flows", &fl);
			assert_int_equal(json_object_array_length(fl), 1);
			fw = json_object_array_get_idx(fl, 0);
			json_object_object_get_ex(fw, "bytes", &b);
			if ((uint64_t)json_object_get_int64(b) == want_sent)
				found = true;
		}
		if (!found)
			fail_msg("no %s phase with %llu bytes in:\n%s",
				 kinds[i].want_name,
				 (unsigned long long)want_sent, buf);
	}
	json_object_put(root);
	free(buf);
}

static void run(const struct api *a)
{
	char path[256];
	void *ctx = NULL, *g, *op, *st, *net;
	int mask = 0;
	size_t i;
	struct fpn_prof_net other = { .magic = 0x12345678 };
	struct fpn_prof_net stray = { .magic = FPN_PROF_MAGIC, .op = FP_OP_SEND,
				      .family = AF_INET, .bytes = 777 };

	if (a->ver == 5)
		assert_int_equal(ncclProfiler_v5.init(&ctx, 0xabcdef, &mask,
						      "test", 1, 2, 0, NULL), 0);
	else
		assert_int_equal(ncclProfiler_v4.init(&ctx, &mask, "test",
						      0xabcdef, 1, 2, 0, NULL), 0);
	assert_non_null(ctx);
	assert_true(mask & ncclProfileColl);
	assert_true(mask & ncclProfileNetPlugin);
	assert_true(mask & ncclProfileProxyStep);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		play(a, ctx, &kinds[i]);
	/* Another net plugin's event (NCCL's IB): no record. */
	net = ev(a, ctx, (ncclProfilerEventDescr_v5_t){
		.type = ncclProfileNetPlugin,
		.netPlugin = { .id = (int64_t)NCCL_PROFILER_NET_TYPE_IB | 1,
			       .data = &other } });
	assert_null(net);
	/* The net plugin's event of version 1 (4-byte addresses only): not
	 * read as version 2.
	 */
	net = ev(a, ctx, (ncclProfilerEventDescr_v5_t){
		.type = ncclProfileNetPlugin,
		.netPlugin = { .id = (int64_t)(FPN_PROF_TYPE | 1), .data = &stray } });
	assert_null(net);
	/* A proxy op of another process (PXN): its parent is not read. */
	g = (void *)0x1;		/* would crash if dereferenced */
	op = ev(a, ctx, (ncclProfilerEventDescr_v5_t){
		.type = ncclProfileProxyOp, .parentObj = g,
		.proxyOp = { .pid = getpid() + 1, .isSend = 1 } });
	st = ev(a, ctx, (ncclProfilerEventDescr_v5_t){
		.type = ncclProfileProxyStep, .parentObj = op });
	net = ev(a, ctx, (ncclProfilerEventDescr_v5_t){
		.type = ncclProfileNetPlugin, .parentObj = st,
		.netPlugin = { .id = FPN_PROF_ID, .data = &stray } });
	end(a, net);
	end(a, st);
	end(a, op);
	snprintf(path, sizeof(path), "%s/flowplan-%d-%d", dir, (int)getpid(),
		 a->ver == 5 ? 65537 : 65538);
	check_ring(path, a);
	assert_int_equal(ncclProfiler_v5.finalize(ctx), 0);
}

static void test_v5(void **state)
{
	(void)state;
	run(&v5);
}

static void test_v4(void **state)
{
	(void)state;
	run(&v4);
}

/* An IPv6 connection's send: a record with both IPv6 addresses. */
static void test_v6(void **state)
{
	struct fpn_prof_net v6 = { .magic = FPN_PROF_MAGIC, .op = FP_OP_SEND,
				   .family = AF_INET6, .k = 4, .bytes = 4096,
				   .src6 = { 0xfd, 0, 0, 1, [15] = 1 },
				   .dst6 = { 0xfd, 0, 0, 2, [15] = 1 } };
	struct fp_report_rec recs[4];
	struct fp_report *rep;
	char path[256];
	void *ctx = NULL, *net;
	uint64_t lost;
	size_t got;
	int mask = 0;

	(void)state;
	assert_int_equal(ncclProfiler_v5.init(&ctx, 0x6666, &mask, "test", 1,
					      2, 0, NULL), 0);
	assert_non_null(ctx);
	net = ev(&v5, ctx, (ncclProfilerEventDescr_v5_t){
		.type = ncclProfileNetPlugin,
		.netPlugin = { .id = FPN_PROF_ID, .data = &v6 } });
	assert_non_null(net);
	assert_int_equal(v5.update(net, &v6), ncclSuccess);
	end(&v5, net);
	assert_int_equal(ncclProfiler_v5.finalize(ctx), 0);
	snprintf(path, sizeof(path), "%s/flowplan-%d-%d", dir, (int)getpid(),
		 65539);
	rep = fp_report_open(path);
	assert_non_null(rep);
	assert_int_equal(fp_report_read(rep, recs, 4, &got, &lost), 0);
	fp_report_close(rep);
	assert_int_equal(got, 1);
	assert_int_equal(lost, 0);
	assert_int_equal(recs[0].op, FP_OP_SEND);
	assert_int_equal(recs[0].bytes, 4096);
	assert_memory_equal(recs[0].src, v6.src6, 16);
	assert_memory_equal(recs[0].dst, v6.dst6, 16);
}

/* Reports off: no ring, no events asked for. */
static void test_off(void **state)
{
	void *ctx = (void *)1;
	int mask = -1;

	(void)state;
	setenv("FLOWPLAN_REPORT", "0", 1);
	assert_int_equal(ncclProfiler_v5.init(&ctx, 1, &mask, "x", 1, 1, 0, NULL), 0);
	assert_null(ctx);
	assert_int_equal(mask, 0);
	assert_int_equal(ncclProfiler_v5.finalize(ctx), 0);
	setenv("FLOWPLAN_REPORT", "1", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v5),
		cmocka_unit_test(test_v4),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_off),
	};
	int ret;

	if (!mkdtemp(dir))
		return 1;
	inet_pton(AF_INET, "10.0.1.1", &H1);
	inet_pton(AF_INET, "10.0.2.1", &H2);
	setenv("FLOWPLAN_REPORT", "1", 1);
	setenv("FLOWPLAN_REPORT_DIR", dir, 1);
	setenv("FLOWPLAN_REPORT_KEEP", "1", 1);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			ret = ret ? ret : 1;
	}
	return ret;
}
