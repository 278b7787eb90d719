// SPDX-License-Identifier: MIT
/*
 * test_core_report - the schedule report ring of the shared core
 * (core/report.h, docs/reports.md) without libflowplan: records read back in
 * order, wrap-around counted as lost, a reader that refuses files that are
 * no ring or lie about their size and layout, and survives a writer that
 * crashes or is hostile (the file cut short under it, the header changed
 * after open, records of garbage, a head that jumps or goes back); ring
 * files made, never taken over (O_EXCL | O_NOFOLLOW, mode 0600), and names
 * never cut (issue 11).
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
		unlink(path);
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

/* A ring of 8 with 5 records, its reader open: the writer's file. */
static struct fp_report *ring5(struct fp_ring *r, char *path, size_t len,
			       const char *name)
{
	struct fp_report *rep;
	uint64_t i;

	snprintf(path, len, "%s/%s", test_dir, name);
	unlink(path);
	assert_int_equal(fp_ring_create(r, path, 8), 0);
	rep = fp_ring_reader_open(path);
	assert_non_null(rep);
	for (i = 1; i <= 5; i++)
		put(r, i);
	return rep;
}

/*
 * The writer cuts the file short after the reader opened it (a crashed
 * writer's file reused, or a hostile one): reading gives EPROTO, never a
 * SIGBUS; the records read before stay read.
 */
static void test_reader_truncated(void **state)
{
	struct fp_report_rec recs[16];
	struct fp_report *rep;
	struct fp_ring r;
	char path[128];
	size_t got;
	uint64_t lost;
	int sizes[] = { 4096 + 3 * 56, 4096, 100, 0 }, i;

	(void)state;
	for (i = 0; i < 4; i++) {
		rep = ring5(&r, path, sizeof(path), "cut");
		assert_int_equal(fp_ring_read(rep, recs, 2, &got, &lost), 0);
		assert_int_equal(got, 2);
		assert_int_equal(truncate(path, sizes[i]), 0);
		assert_int_equal(fp_ring_read(rep, recs, 16, &got, &lost),
				 EPROTO);
		assert_int_equal(fp_ring_reader_close(rep), 0);
		/* The writer's own mapping is past the end now too: unmap. */
		r.unlink_on_close = true;
		fp_ring_close(&r);
	}
}

/*
 * Whatever another writer of the file puts in the header after open, the
 * reader keeps the capacity and offset it checked, and the writer its own
 * capacity and head: neither reads or writes outside the ring.
 */
static void test_header_changed_after_open(void **state)
{
	struct fp_report_rec recs[16];
	struct fp_report *rep;
	struct fp_ring r;
	char path[128];
	size_t got;
	uint64_t lost, i;

	(void)state;
	rep = ring5(&r, path, sizeof(path), "changed");
	r.hdr->cap = 1u << 30;
	r.hdr->rec_off = 1ull << 62;
	r.hdr->head = 1ull << 40;	/* the writer does not take it up */
	for (i = 6; i <= 9; i++)
		put(&r, i);
	assert_int_equal(r.head, 9);
	assert_int_equal(r.hdr->head, 9);
	assert_int_equal(r.rec[0].seq, 9);
	assert_int_equal(fp_ring_read(rep, recs, 16, &got, &lost), 0);
	assert_int_equal(got, 8);
	assert_int_equal(lost, 1);
	assert_int_equal(recs[7].bytes, 9);
	r.hdr->head = 1ull << 40;
	/* The reader believed the head: all lost since record 9, none read. */
	assert_int_equal(fp_ring_read(rep, recs, 16, &got, &lost), 0);
	assert_int_equal(got, 0);
	assert_true(lost == (1ull << 40) - 9);
	/* The head goes back: nothing, however often. */
	__atomic_store_n(&r.hdr->head, 3, __ATOMIC_RELEASE);
	assert_int_equal(fp_ring_read(rep, recs, 16, &got, &lost), 0);
	assert_int_equal(got, 0);
	assert_int_equal(lost, 0);
	/* A head at the end of time: no overflow, no endless loop. */
	__atomic_store_n(&r.hdr->head, UINT64_MAX, __ATOMIC_RELEASE);
	assert_int_equal(fp_ring_read(rep, recs, 16, &got, &lost), 0);
	assert_int_equal(got, 0);
	assert_int_equal(fp_ring_reader_close(rep), 0);
	fp_ring_close(&r);
}

/*
 * Records that are not whole or not sane count as lost, the others are
 * handed out: a wrong sequence number, an op no version-1 writer writes,
 * byte counts of 2^63 and more, an end before the start.
 */
static void test_insane_records(void **state)
{
	struct fp_report_rec recs[16];
	struct fp_report *rep;
	struct fp_ring r;
	char path[128];
	size_t got;
	uint64_t lost;

	(void)state;
	rep = ring5(&r, path, sizeof(path), "insane");
	r.rec[0].seq = 77;
	r.rec[1].op = 99;
	r.rec[2].bytes = 1ull << 63;
	r.rec[3].end_ns = r.rec[3].start_ns - 1;
	r.rec[4].bytes = (1ull << 63) - 1;		/* the largest there is */
	assert_int_equal(fp_ring_read(rep, recs, 16, &got, &lost), 0);
	assert_int_equal(got, 1);
	assert_int_equal(lost, 4);
	assert_int_equal(recs[0].seq, 5);
	assert_true(recs[0].bytes == (1ull << 63) - 1);
	assert_int_equal(fp_ring_reader_close(rep), 0);
	fp_ring_close(&r);
}

/* Rings are made, never taken over; their names are never cut. */
static void test_create_safely(void **state)
{
	char path[160], other[160], dir[160];
	struct fp_err err = { { 0 } };
	uint32_t serial = 0;
	struct fp_ring r, r2;
	struct stat st;
	mode_t old;
	int fd;

	(void)state;
	/* Something there already: a file, a symbolic link to a file. */
	snprintf(path, sizeof(path), "%s/planted", test_dir);
	snprintf(other, sizeof(other), "%s/victim", test_dir);
	fd = open(other, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	assert_int_equal(symlink(other, path), 0);
	assert_int_equal(fp_ring_create(&r, path, 8), EEXIST);
	assert_int_equal(fp_ring_create(&r, other, 8), EEXIST);
	assert_int_equal(stat(other, &st), 0);
	assert_int_equal(st.st_size, 4);		/* not truncated */
	assert_null(r.hdr);
	/* The reader does not follow a link either. */
	assert_null(fp_ring_reader_open(path));
	assert_int_equal(errno, ELOOP);

	/* Mode 0600 whatever the umask. */
	snprintf(path, sizeof(path), "%s/mode", test_dir);
	old = umask(0);
	assert_int_equal(fp_ring_create(&r, path, 8), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	fp_ring_close(&r);

	/* Capacities: powers of two up to FP_RING_MAX_RECORDS. */
	assert_int_equal(fp_ring_create(&r, path, 0), EINVAL);
	assert_int_equal(fp_ring_create(&r, path, FP_RING_MAX_RECORDS * 2),
			 EINVAL);

	/* Named in a directory: taken names skipped, flowplan-PID-N. */
	snprintf(path, sizeof(path), "%s/flowplan-42-1", test_dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fp_ring_create_in(&r, test_dir, 42, &serial, 8, &err), 0);
	snprintf(path, sizeof(path), "%s/flowplan-42-2", test_dir);
	assert_string_equal(r.path, path);
	assert_int_equal(fp_ring_create_in(&r2, test_dir, 42, &serial, 8, &err), 0);
	snprintf(path, sizeof(path), "%s/flowplan-42-3", test_dir);
	assert_string_equal(r2.path, path);
	fp_ring_close(&r);
	fp_ring_close(&r2);

	/* A directory whose name leaves no room: refused, not cut. */
	memset(dir, 0, sizeof(dir));
	snprintf(dir, sizeof(dir), "%s/", test_dir);
	memset(dir + strlen(dir), 'd', 100 - strlen(dir));
	assert_int_equal(fp_ring_create_in(&r, dir, 42, &serial, 8, &err),
			 ENAMETOOLONG);
	assert_non_null(strstr(err.msg, "name too long"));
	assert_null(r.hdr);
	memset(other, 'p', 120);
	other[120] = 0;
	assert_int_equal(fp_ring_create(&r, other, 8), ENAMETOOLONG);
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
		cmocka_unit_test(test_reader_truncated),
		cmocka_unit_test(test_header_changed_after_open),
		cmocka_unit_test(test_insane_records),
		cmocka_unit_test(test_create_safely),
		cmocka_unit_test(test_wanted),
	};

	return cmocka_run_group_tests_name("core_report", tests, tmpdir_setup, tmpdir_teardown);
}
