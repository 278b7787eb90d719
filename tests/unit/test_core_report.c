// SPDX-License-Identifier: MIT
/*
 * test_core_report - the schedule report ring of the shared core
 * (core/report.h, docs/reports.md) without libflowplan: records read back in
 * order, wrap-around counted as lost, and a reader that refuses files that
 * are no ring or lie about their size and layout.
 */
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

#include "core/report.h"
#include "test_core_tmpdir.h"

static void put(struct fp_ring *r, uint64_t bytes)
{
	struct fp_report_rec rec = {
		.comm = 1,
		.op = FP_OP_WRITE,
		.bytes = bytes,
		.start_ns = bytes * 10,
		.end_ns = bytes * 10 + 5,
	};

	fp_ring_put(r, &rec);
}

static void test_ring_wrap(void **state)
{
	struct fp_report_rec recs[32];
	struct fp_report *rep;
	struct fp_ring r;
	char path[128];
	uint64_t lost, i;
	size_t got;

	(void)state;
	snprintf(path, sizeof(path), "%s/ring", test_dir);
	assert_int_equal(fp_ring_create(&r, path, 8), 0);
	rep = fp_ring_reader_open(path);
	assert_non_null(rep);

	/* Fewer than the ring holds: all of them, in order. */
	for (i = 1; i <= 5; i++)
		put(&r, i);
	assert_int_equal(fp_ring_read(rep, recs, 32, &got, &lost), 0);
	assert_int_equal(got, 5);
	assert_int_equal(lost, 0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(recs[i].seq, i + 1);
		assert_int_equal(recs[i].bytes, i + 1);
		assert_int_equal(recs[i].op, FP_OP_WRITE);
		/* Stamped with the ring's realtime offset. */
		assert_true(recs[i].end_ns - recs[i].start_ns == 5);
	}
	/* Nothing new: nothing read. */
	assert_int_equal(fp_ring_read(rep, recs, 32, &got, &lost), 0);
	assert_int_equal(got, 0);

	/* 20 more into 8 slots: the reader lost 12, gets the last 8. */
	for (i = 6; i <= 25; i++)
		put(&r, i);
	assert_int_equal(fp_ring_read(rep, recs, 32, &got, &lost), 0);
	assert_int_equal(got, 8);
	assert_int_equal(lost, 12);
	for (i = 0; i < 8; i++) {
		assert_int_equal(recs[i].seq, 18 + i);
		assert_int_equal(recs[i].bytes, 18 + i);
	}
	/* Reading in small steps across the wrap. */
	for (i = 26; i <= 37; i++)
		put(&r, i);
	assert_int_equal(fp_ring_read(rep, recs, 3, &got, &lost), 0);
	assert_int_equal(got, 3);
	assert_int_equal(lost, 4);
	assert_int_equal(recs[0].bytes, 30);
	assert_int_equal(fp_ring_read(rep, recs, 32, &got, &lost), 0);
	assert_int_equal(got, 5);
	assert_int_equal(recs[4].bytes, 37);

	assert_int_equal(fp_ring_reader_close(rep), 0);
	fp_ring_close(&r);
	assert_int_equal(access(path, F_OK), -1);	/* unlinked */
}

/* A header that lies: each field spoiled in turn, each refused. */
static void test_reader_hostile(void **state)
{
	static const struct {
		size_t off;
		uint64_t val;
		int width;
	} spoil[] = {
		{ offsetof(struct fp_report_hdr, magic), 1, 8 },
		{ offsetof(struct fp_report_hdr, version), 2, 4 },
		{ offsetof(struct fp_report_hdr, rec_size), 48, 4 },
		{ offsetof(struct fp_report_hdr, cap), 0, 4 },
		{ offsetof(struct fp_report_hdr, cap), 6, 4 },
		{ offsetof(struct fp_report_hdr, cap), 1u << 31, 4 },	/* past the file */
		{ offsetof(struct fp_report_hdr, rec_off), 4097, 8 },	/* misaligned */
		{ offsetof(struct fp_report_hdr, rec_off), 8, 8 },		/* inside the header */
		{ offsetof(struct fp_report_hdr, rec_off), UINT64_MAX - 8, 8 }, /* wraps */
	};
	char path[128];
	struct fp_ring r;
	size_t i;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/hostile", test_dir);
	for (i = 0; i < sizeof(spoil) / sizeof(spoil[0]); i++) {
		assert_int_equal(fp_ring_create(&r, path, 8), 0);
		r.unlink_on_close = false;
		fp_ring_close(&r);
		fd = open(path, O_WRONLY);
		assert_true(fd >= 0);
		assert_int_equal(pwrite(fd, &spoil[i].val, (size_t)spoil[i].width,
					(off_t)spoil[i].off), spoil[i].width);
		close(fd);
		errno = 0;
		if (fp_ring_reader_open(path))
			fail_msg("spoiled header %zu opened", i);
		assert_int_equal(errno, EPROTO);
	}
	/* A directory, a FIFO: no ring either, and no hang. */
	errno = 0;
	assert_null(fp_ring_reader_open(test_dir));
	assert_int_equal(errno, EPROTO);
	snprintf(path, sizeof(path), "%s/fifo", test_dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_null(fp_ring_reader_open(path));
	assert_int_equal(errno, EPROTO);
	assert_null(fp_ring_reader_open(NULL));
	assert_int_equal(fp_ring_create(&r, path, 6), EINVAL);	/* not 2^n */
	assert_int_equal(fp_ring_reader_close(NULL), EINVAL);
}

static void test_wanted(void **state)
{
	(void)state;
	setenv("FLOWPLAN_REPORT", "1", 1);
	assert_true(fp_ring_wanted());
	setenv("FLOWPLAN_REPORT", "0", 1);
	assert_false(fp_ring_wanted());
	unsetenv("FLOWPLAN_REPORT");
	assert_int_equal(fp_ring_wanted(), access(FP_DAEMON_SOCKET, F_OK) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_wrap),
		cmocka_unit_test(test_reader_hostile),
		cmocka_unit_test(test_wanted),
	};

	return cmocka_run_group_tests_name("core_report", tests, tmpdir_setup, tmpdir_teardown);
}
