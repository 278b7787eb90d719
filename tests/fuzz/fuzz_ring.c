// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the shared core's report ring reader
 * (lib/core/report.c) over a file a hostile or crashed writer left: the
 * input is the file and what the writer does while the reader reads.
 *
 *   bytes 0..7    control: [0] reads, [1] records per read (bits 0-5;
 *                 bit 6: the fix-ups make a format version 1 ring, bit 7:
 *                 read in version 1's layout, fp_ring_read_v1), [2] header
 *                 fix-ups, [3] what happens between reads, [4..7] its value
 *   bytes 8..63   the header (struct fp_report_hdr)
 *   the rest      the records, at offset 4096 (where a writer puts them)
 *
 * With fix-ups the header is made to pass the open checks (magic, version,
 * sizes, a capacity that fits), so that the fuzzer spends its time in the
 * reading. Between reads the "writer" moves the head, cuts the file short
 * or rewrites a record. The reader must neither crash nor hang, and hand
 * out only what it promises: at most the records asked for, each once and
 * in order, with a known op, fewer than 2^63 bytes, an end not before its
 * start and (version 2's layout) no endpoints of two families
 * (docs/reports.md).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/report.h"

/* The record size of the ring under test: version 2's, or 1's. */
static size_t RS = sizeof(struct fp_report_rec);

static char path[64];
static int fd = -1;

static void remove_file(void)
{
	unlink(path);
}

static bool op_sane(uint16_t op)
{
	switch (op) {
	case FP_OP_WRITE: case FP_OP_SEND: case FP_OP_RECV:
	case FP_OP_ALLREDUCE: case FP_OP_ALLGATHER: case FP_OP_REDUCESCATTER:
	case FP_OP_ALLTOALL: case FP_OP_BROADCAST: case FP_OP_COLL_OTHER:
	case FP_OP_QP_UP: case FP_OP_QP_DOWN: case FP_OP_QP_REPIN:
		break;
	default:
		return false;
	}
	return true;
}

static bool sane(const struct fp_report_rec *r)
{
	static const uint8_t zero[16];
	struct fp_addr s, d;

	memcpy(s.b, r->src, 16);
	memcpy(d.b, r->dst, 16);
	if (memcmp(r->src, zero, 16) && memcmp(r->dst, zero, 16) &&
	    fp_addr_is_v4(&s) != fp_addr_is_v4(&d))
		return false;
	return op_sane(r->op) && r->seq && r->bytes < (1ull << 63) &&
	       r->end_ns >= r->start_ns;
}

static bool sane_v1(const struct fp_report_rec_v1 *r)
{
	return op_sane(r->op) && r->seq && r->bytes < (1ull << 63) &&
	       r->end_ns >= r->start_ns;
}

static void writer_acts(const uint8_t *ctl, uint64_t size, int step)
{
	uint32_t v;

	memcpy(&v, ctl + 4, 4);
	v += (uint32_t)step * 977;
	switch ((ctl[3] >> (2 * (step & 3))) & 3) {
	case 0:		/* the head moves, anywhere */
		{
			uint64_t h = v & 1 ? (uint64_t)v << (v & 31) : v % 64;

			if (pwrite(fd, &h, 8, 48) != 8)
				abort();
		}
		break;
	case 1:		/* the file is cut short */
		if (ftruncate(fd, (off_t)(size * (v & 0xff) / 256)))
			abort();
		break;
	case 2:		/* a record is rewritten with garbage */
		if (size > 4096 + RS &&
		    pwrite(fd, ctl, 8, (off_t)(4096 + (v % ((size - 4096) / RS)) * RS +
					      (v >> 8) % RS)) != 8)
			abort();
		break;
	default:	/* nothing */
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zeros[4096];
	struct fp_report_rec recs[64];
	struct fp_report_rec_v1 old[64];
	struct fp_report_hdr h;
	struct fp_report *rep;
	const uint8_t *ctl = data;
	uint64_t fsize, nrec, lost, last = 0;
	size_t got, max, i;
	int reads, step;
	bool v1out, v1ring;

	if (size < 8 + sizeof(h))
		return 0;
	v1out = ctl[1] & 0x80;
	v1ring = ctl[1] & 0x40;
	RS = v1ring ? sizeof(struct fp_report_rec_v1) : sizeof(struct fp_report_rec);
	if (fd < 0) {
		/* tmpfs: the harness rewrites the file on every run. */
		snprintf(path, sizeof(path), "/dev/shm/fuzz-ring-XXXXXX");
		fd = mkstemp(path);
		if (fd < 0) {
			snprintf(path, sizeof(path), "/tmp/fuzz-ring-XXXXXX");
			fd = mkstemp(path);
		}
		if (fd < 0)
			abort();
		atexit(remove_file);
	}
	memcpy(&h, data + 8, sizeof(h));
	data += 8 + sizeof(h);
	size -= 8 + sizeof(h);
	nrec = size / RS;
	if (ctl[2] & 1) {
		h.magic = FP_REPORT_MAGIC;
		h.version = v1ring ? 1 : FP_REPORT_VERSION;
		h.hdr_size = 4096;
		h.rec_size = RS;
		h.rec_off = 4096;
		h.cap = 1;
		while (h.cap < nrec && h.cap < 64)
			h.cap <<= 1;
		if (ctl[2] & 2)
			h.head = ctl[2] >> 2;
	}
	fsize = 4096 + size;
	if (ftruncate(fd, 0) || pwrite(fd, zeros, sizeof(zeros), 0) != sizeof(zeros) ||
	    pwrite(fd, &h, sizeof(h), 0) != sizeof(h) ||
	    (size && pwrite(fd, data, size, 4096) != (ssize_t)size))
		abort();

	rep = fp_ring_reader_open(path);
	if (!rep)
		return 0;
	reads = 1 + ctl[0] % 6;
	max = 1 + ctl[1] % 64;
	for (step = 0; step < reads; step++) {
		if (v1out)
			fp_ring_read_v1(rep, old, max, &got, &lost);
		else
			fp_ring_read(rep, recs, max, &got, &lost);
		if (got > max)
			abort();
		/* Each record once, in order, and sane. */
		for (i = 0; i < got; i++) {
			uint64_t seq = v1out ? old[i].seq : recs[i].seq;

			if ((v1out ? !sane_v1(&old[i]) : !sane(&recs[i])) || seq <= last)
				abort();
			last = seq;
		}
		writer_acts(ctl, fsize, step);
	}
	fp_ring_reader_close(rep);
	return 0;
}
