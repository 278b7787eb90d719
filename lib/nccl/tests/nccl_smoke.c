// SPDX-License-Identifier: MIT
/*
 * fpn-nccl-smoke - NCCL itself loads both flowplan plugins in a real
 * communicator and runs all-reduces; the profiler's report ring must hold
 * them. For a machine with a GPU (issue 18): run by lib/nccl/tests/gpu.sh.
 * Nothing links CUDA or NCCL: libcudart and libnccl.so.2 are dlopen()ed,
 * and without them, or without a GPU, it exits 77 saying why.
 *
 * One process, one rank per GPU given (ncclCommInitAll); NCCL refuses two
 * ranks on one GPU, so with one GPU the all-reduces move no data over the
 * network and only the collective records can be checked, not the sends.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowplan/flowplan.h"

#define ITERS	5
#define COUNT	(1 << 20)

typedef int (*fn_i)(int);
typedef int (*fn_pp)(void **, size_t);
typedef int (*fn_memset)(void *, int, size_t);
typedef int (*fn_stream)(void **);
typedef int (*fn_sync)(void *);
typedef int (*fn_free)(void *);

static void *sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (!p) {
		printf("fpn-nccl-smoke: skipped: no %s\n", name);
		exit(77);
	}
	return p;
}

int main(int argc, char **argv)
{
	static const char * const rtnames[] = { "libcudart.so",
		"libcudart.so.13", "libcudart.so.12", NULL };
	void *rt = NULL, *nc, *comms[8], *bufs[8], *streams[8];
	int (*get_count)(int *count);
	int (*init_all)(void **comms, int ndev, const int *devlist);
	int (*allreduce)(const void *sendbuff, void *recvbuff, size_t count,
			 int datatype, int op, void *comm, void *stream);
	int (*group_start)(void);
	int (*group_end)(void);
	int (*destroy)(void *comm);
	int n = 0, devs[8], i, it, r;
	struct fp_report_rec recs[4096];
	struct fp_report *rep;
	size_t got = 0;
	unsigned int colls = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: fpn-nccl-smoke RING_DIR\n");
		return 2;
	}
	for (i = 0; rtnames[i] && !rt; i++)
		rt = dlopen(rtnames[i], RTLD_NOW | RTLD_GLOBAL);
	nc = dlopen("libnccl.so.2", RTLD_NOW | RTLD_GLOBAL);
	if (!rt || !nc) {
		printf("fpn-nccl-smoke: skipped: %s not found\n",
		       rt ? "libnccl.so.2" : "libcudart");
		return 77;
	}
	get_count = sym(rt, "cudaGetDeviceCount");
	if (get_count(&n) || n < 1) {
		printf("fpn-nccl-smoke: skipped: no CUDA device\n");
		return 77;
	}
	if (n > 8)
		n = 8;
	init_all = sym(nc, "ncclCommInitAll");
	allreduce = sym(nc, "ncclAllReduce");
	group_start = sym(nc, "ncclGroupStart");
	group_end = sym(nc, "ncclGroupEnd");
	destroy = sym(nc, "ncclCommDestroy");
	for (i = 0; i < n; i++)
		devs[i] = i;
	r = init_all(comms, n, devs);
	if (r) {
		printf("fpn-nccl-smoke: ncclCommInitAll over %d GPUs: error %d\n", n, r);
		return 1;
	}
	for (i = 0; i < n; i++) {
		((fn_i)sym(rt, "cudaSetDevice"))(i);
		if (((fn_pp)sym(rt, "cudaMalloc"))(&bufs[i], COUNT * 4) ||
		    ((fn_memset)sym(rt, "cudaMemset"))(bufs[i], 0, COUNT * 4) ||
		    ((fn_stream)sym(rt, "cudaStreamCreate"))(&streams[i])) {
			printf("fpn-nccl-smoke: CUDA allocation failed on GPU %d\n", i);
			return 1;
		}
	}
	for (it = 0; it < ITERS; it++) {
		group_start();
		for (i = 0; i < n; i++)
			/* ncclFloat32 = 7, ncclSum = 0 */
			if (allreduce(bufs[i], bufs[i], COUNT, 7, 0, comms[i],
				      streams[i])) {
				printf("fpn-nccl-smoke: ncclAllReduce failed\n");
				return 1;
			}
		group_end();
		for (i = 0; i < n; i++)
			((fn_sync)sym(rt, "cudaStreamSynchronize"))(streams[i]);
	}
	for (i = 0; i < n; i++) {
		destroy(comms[i]);
		((fn_free)sym(rt, "cudaFree"))(bufs[i]);
	}
	/* The profiler's rings (kept): a collective record per all-reduce. */
	for (i = 0; i < n; i++) {
		char path[512];
		size_t j, m = 0;

		snprintf(path, sizeof(path), "%s/flowplan-%d-%d", argv[1],
			 (int)getpid(), 65537 + i);
		rep = fp_report_open(path);
		if (!rep) {
			printf("fpn-nccl-smoke: no report ring %s\n", path);
			return 1;
		}
		fp_report_read(rep, recs, 4096, &m, NULL);
		fp_report_close(rep);
		for (j = 0; j < m; j++) {
			if (recs[j].op == FP_OP_ALLREDUCE &&
			    recs[j].bytes == (uint64_t)COUNT * 4)
				colls++;
			if (recs[j].op == FP_OP_SEND)
				got++;
		}
	}
	printf("fpn-nccl-smoke: %d GPUs, %u all-reduce records (want %d), %zu send records\n",
	       n, colls, ITERS * n, got);
	return colls == (unsigned int)(ITERS * n) ? 0 : 1;
}
