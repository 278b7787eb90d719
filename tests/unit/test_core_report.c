// SPDX-License-Identifier: MIT
/*
 * test_core_report - the schedule report ring of the shared core
 * (core/report.h, docs/reports.md) without libflowplan: records read back in
 * order, wrap-around counted as lost, a reader that refuses files that are
 * no ring or lie about their size and layout, and survives a writer that
 * crashes or is hostile (the file cut short under it, the header changed
 * after open, records of garbage, a head that jumps or goes back, the
 * oldest record spoiled behind a reader that caught up) and returns a read
 * error rather than retry it; records stamped in CLOCK_REALTIME; ring files
 * made, never taken over (O_EXCL | O_NOFOLLOW, mode 0600), 64 taken names
 * tried before giving up, and names never cut (issue 11). Format version 2 (issue 15): IPv4 and IPv6 endpoints
 * read back as written, version 1 rings (an old libflowplan's) read too,
 * their records converted, and version 1's layout for FLOWPLAN_1.0's
 * readers, which stop with EOVERFLOW at an IPv6 endpoint.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/addr.h"
#include "core/report.h"
#include "test_core_tmpdir.h"

/* A record of @bytes; fp_ring_put() fills in its sequence number. */
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
	assert_int_equal(rec.seq, r->head);
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

	/* Fewer than the ring holds: all, in order (errno left at EINTR: no retry). */
	for (i = 1; i <= 5; i++)
		put(&r, i);
	errno = EINTR;
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
/* CLOCK_REALTIME - CLOCK_MONOTONIC, from @first read before @second. */
static int64_t clock_diff(clockid_t first, clockid_t second)
{
	struct timespec a, b;
	int64_t ns;

	assert_int_equal(clock_gettime(first, &a), 0);
	assert_int_equal(clock_gettime(second, &b), 0);
	ns = ((int64_t)a.tv_sec - b.tv_sec) * 1000000000ll + (a.tv_nsec - b.tv_nsec);
	return first == CLOCK_REALTIME ? ns : -ns;
}

/*
 * A record's monotonic times read back as CLOCK_REALTIME: plus the offset
 * the ring took when it was made. Read realtime first, the offset comes out
 * low by the time between the two reads; monotonic first, high. The ring's
 * is within those bounds taken before and after it, less a scheduler's
 * delay inside its own two reads (up to 100 ms on a loaded machine); an
 * offset built from the sub-second parts the wrong way round is off by
 * twice their difference, which is any of -2..2 s.
 */
static void test_ring_realtime(void **state)
{
	struct fp_report_rec rec = { .comm = 1, .op = FP_OP_WRITE, .bytes = 1,
				     .start_ns = 1000, .end_ns = 3000 };
	struct fp_report_rec got_rec;
	int64_t lo = 0, hi = 0, off = 0;
	struct fp_report *rep;
	struct fp_ring r;
	char path[128];
	uint64_t lost;
	size_t got;
	int try;

	(void)state;
	snprintf(path, sizeof(path), "%s/realtime", test_dir);
	/*
	 * A delay longer than the allowance can fall between the ring's own
	 * two reads once in a while; a wrong offset is wrong on every try.
	 */
	for (try = 0; try < 5; try++) {
		lo = clock_diff(CLOCK_REALTIME, CLOCK_MONOTONIC);
		assert_int_equal(fp_ring_create(&r, path, 8), 0);
		hi = clock_diff(CLOCK_MONOTONIC, CLOCK_REALTIME);
		fp_ring_put(&r, &rec);
		rep = fp_ring_reader_open(path);
		assert_non_null(rep);
		assert_int_equal(fp_ring_read(rep, &got_rec, 1, &got, &lost), 0);
		assert_int_equal(got, 1);
		assert_int_equal(got_rec.end_ns - got_rec.start_ns, 2000);
		assert_int_equal(fp_ring_reader_close(rep), 0);
		fp_ring_close(&r);
		off = (int64_t)got_rec.start_ns - 1000;
		if (off >= lo - 100000000ll && off <= hi + 1000000ll)
			return;
	}
	fail_msg("realtime offset %lld ns, not in %lld..%lld on 5 tries",
		 (long long)off, (long long)lo, (long long)hi);
}

/* A fresh ring of 8 at @path, closed, its file kept: open for writing. */
static int ring_to_spoil(const char *path)
{
	struct fp_ring r;
	int fd;

	unlink(path);
	assert_int_equal(fp_ring_create(&r, path, 8), 0);
	r.unlink_on_close = false;
	fp_ring_close(&r);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	return fd;
}

static void test_reader_hostile(void **state)
{
	static const struct {
		size_t off;
		uint64_t val;
		int width;
	} spoil[] = {
		{ offsetof(struct fp_report_hdr, magic), 1, 8 },
		{ offsetof(struct fp_report_hdr, version), 3, 4 },	/* a future one */
		{ offsetof(struct fp_report_hdr, version), 0, 4 },
		{ offsetof(struct fp_report_hdr, version), 1, 4 },	/* 80-byte records */
		{ offsetof(struct fp_report_hdr, rec_size), 48, 4 },
		{ offsetof(struct fp_report_hdr, rec_size), 56, 4 },	/* version 1's */
		{ offsetof(struct fp_report_hdr, cap), 0, 4 },
		{ offsetof(struct fp_report_hdr, cap), 6, 4 },
		{ offsetof(struct fp_report_hdr, cap), 1u << 31, 4 },	/* past the file */
		{ offsetof(struct fp_report_hdr, cap), 64, 4 },		/* and by less than rec_off */
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
		fd = ring_to_spoil(path);
		assert_int_equal(pwrite(fd, &spoil[i].val, (size_t)spoil[i].width,
					(off_t)spoil[i].off), spoil[i].width);
		close(fd);
		errno = 0;
		if (fp_ring_reader_open(path))
			fail_msg("spoiled header %zu opened", i);
		assert_int_equal(errno, EPROTO);
	}
	/* A version the reader does not know: refused, whatever record size it claims. */
	for (i = 0; i < 3 * 4; i++) {
		static const uint32_t version[] = { 0, 3, UINT32_MAX };
		static const uint32_t rec_size[] = {
			0, 1, sizeof(struct fp_report_rec), sizeof(struct fp_report_rec_v1),
		};

		fd = ring_to_spoil(path);
		assert_int_equal(pwrite(fd, &version[i / 4], 4,
					offsetof(struct fp_report_hdr, version)), 4);
		assert_int_equal(pwrite(fd, &rec_size[i % 4], 4,
					offsetof(struct fp_report_hdr, rec_size)), 4);
		close(fd);
		errno = 0;
		if (fp_ring_reader_open(path))
			fail_msg("version %u, records of %u bytes: opened", version[i / 4],
				 rec_size[i % 4]);
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
	int sizes[] = { 4096 + 3 * 80, 4096, 100, 0 }, i;

	(void)state;
	for (i = 0; i < 4; i++) {
		rep = ring5(&r, path, sizeof(path), "cut");
		assert_int_equal(fp_ring_read(rep, recs, 2, &got, &lost), 0);
		assert_int_equal(got, 2);
		assert_int_equal(truncate(path, sizes[i]), 0);
		errno = EINTR;		/* stale: no reason to read again */
		assert_int_equal(fp_ring_read(rep, recs, 16, &got, &lost),
				 EPROTO);
		assert_int_equal(fp_ring_reader_close(rep), 0);
		/* The writer's own mapping is past the end now too: unmap. */
		r.unlink_on_close = true;
		fp_ring_close(&r);
	}
}

/*
 * A read that fails for another reason than a signal (an I/O error; here the
 * reader's descriptor made a directory's, whose reads fail with EISDIR): the
 * error is returned at once, not retried.
 */
static void test_reader_read_error(void **state)
{
	struct fp_report_rec recs[16];
	struct fp_report *rep;
	struct fp_ring r;
	struct stat a, b;
	char path[128];
	uint64_t lost;
	size_t got;
	int fd, dir;

	(void)state;
	snprintf(path, sizeof(path), "%s/readerr", test_dir);
	unlink(path);
	assert_int_equal(fp_ring_create(&r, path, 8), 0);
	put(&r, 1);
	/* the reader's descriptor: the lowest free one, which open() gives */
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	rep = fp_ring_reader_open(path);
	assert_non_null(rep);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(stat(path, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	dir = open(test_dir, O_RDONLY | O_DIRECTORY);
	assert_true(dir >= 0);
	assert_int_equal(dup2(dir, fd), fd);
	close(dir);
	assert_int_equal(fp_ring_read(rep, recs, 16, &got, &lost), EISDIR);
	assert_int_equal(got, 0);
	assert_int_equal(fp_ring_reader_close(rep), 0);
	fp_ring_close(&r);
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

/*
 * A reader caught up with a full ring looks at no record behind it: a
 * writer that spoils the oldest record's sequence number changes nothing
 * the reader gives, and nothing outside the buffer it is given.
 */
static void test_spoiled_behind_reader(void **state)
{
	struct {
		struct fp_report_rec guard[8];
		struct fp_report_rec recs[8];
	} b;
	unsigned char want[sizeof(b.guard)];
	struct fp_report *rep;
	struct fp_ring r;
	char path[128];
	uint64_t lost, i;
	size_t got;

	(void)state;
	snprintf(path, sizeof(path), "%s/behind", test_dir);
	assert_int_equal(fp_ring_create(&r, path, 8), 0);
	for (i = 1; i <= 12; i++)
		put(&r, i);
	rep = fp_ring_reader_open(path);
	assert_non_null(rep);
	assert_int_equal(fp_ring_read(rep, b.recs, 8, &got, &lost), 0);
	assert_int_equal(got, 8);
	assert_int_equal(lost, 4);
	assert_int_equal(b.recs[7].bytes, 12);
	/* record 13 goes to slot 4; the oldest now is record 6, in slot 5 */
	put(&r, 13);
	r.rec[5].seq = 0;
	memset(&b, 0xa5, sizeof(b));
	memset(want, 0xa5, sizeof(want));
	assert_int_equal(fp_ring_read(rep, b.recs, 8, &got, &lost), 0);
	assert_int_equal(got, 1);
	assert_int_equal(lost, 0);
	assert_int_equal(b.recs[0].seq, 13);
	assert_int_equal(b.recs[0].bytes, 13);
	assert_memory_equal(b.guard, want, sizeof(want));
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
	int fd, i;

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

	/* 64 names taken in a row: refused, the 64 tried; the 65th is free. */
	for (i = 1; i <= 64; i++) {
		snprintf(path, sizeof(path), "%s/flowplan-43-%d", test_dir, i);
		fd = open(path, O_CREAT | O_WRONLY, 0600);
		assert_true(fd >= 0);
		close(fd);
	}
	serial = 0;
	assert_int_equal(fp_ring_create_in(&r, test_dir, 43, &serial, 8, &err), EEXIST);
	assert_non_null(strstr(err.msg, "64 ring names in a row taken already"));
	assert_int_equal(serial, 64);
	assert_null(r.hdr);
	assert_int_equal(fp_ring_create_in(&r, test_dir, 43, &serial, 8, &err), 0);
	snprintf(path, sizeof(path), "%s/flowplan-43-65", test_dir);
	assert_string_equal(r.path, path);
	fp_ring_close(&r);

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

static struct fp_addr addr(const char *s)
{
	struct fp_addr a;

	assert_int_equal(fp_addr_parse(s, &a), 0);
	return a;
}

/* A write of @bytes from @src to @dst ("" for none). */
static void put_addr(struct fp_ring *r, const char *src, const char *dst,
		     uint64_t bytes)
{
	struct fp_report_rec rec = {
		.comm = 2, .op = FP_OP_SEND, .coll = 7, .bytes = bytes,
		.start_ns = 100, .end_ns = 200,
	};
	struct fp_addr a;

	if (*src) {
		a = addr(src);
		memcpy(rec.src, a.b, 16);
	}
	if (*dst) {
		a = addr(dst);
		memcpy(rec.dst, a.b, 16);
	}
	fp_ring_put(r, &rec);
}

static void assert_addr(const uint8_t *b, const char *s)
{
	char buf[FP_ADDR_STRLEN];
	struct fp_addr a;

	memcpy(a.b, b, 16);
	if (!*s) {
		static const uint8_t zero[16];

		assert_memory_equal(b, zero, 16);
		return;
	}
	assert_string_equal(fp_addr_str(&a, buf), s);
}

/*
 * Version 2: the header says 2 and 80-byte records at the documented
 * offsets; IPv4 (held IPv4-mapped) and IPv6 endpoints and a collective's
 * none come back as written, through fp_ring_read; through
 * fp_ring_read_v1, the IPv4 ones and the collective come in version 1's
 * layout, and the IPv6 one stops the read with EOVERFLOW, consumed, the
 * read after it going on.
 */
static void test_v2_families(void **state)
{
	struct fp_report_rec recs[8];
	struct fp_report_rec_v1 old[8];
	struct fp_report *rep, *rep1;
	struct fp_ring r;
	char path[128];
	uint64_t lost;
	size_t got;
	uint8_t raw[80];
	int fd;

	(void)state;
	assert_int_equal(offsetof(struct fp_report_rec, coll), 20);
	assert_int_equal(offsetof(struct fp_report_rec, src), 24);
	assert_int_equal(offsetof(struct fp_report_rec, dst), 40);
	assert_int_equal(offsetof(struct fp_report_rec, bytes), 56);
	assert_int_equal(offsetof(struct fp_report_rec, end_ns), 72);
	snprintf(path, sizeof(path), "%s/v2", test_dir);
	assert_int_equal(fp_ring_create(&r, path, 8), 0);
	assert_int_equal(r.hdr->version, 2);
	assert_int_equal(r.hdr->rec_size, 80);
	rep = fp_ring_reader_open(path);
	rep1 = fp_ring_reader_open(path);
	assert_non_null(rep);
	assert_non_null(rep1);
	put_addr(&r, "198.18.0.1", "198.18.0.2", 1);
	put_addr(&r, "2001:db8::1", "2001:db8:0:1::2", 2);
	put_addr(&r, "", "", 3);
	put_addr(&r, "10.0.0.1", "10.0.0.2", 4);

	/* In the file, at the documented offsets. */
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, raw, 80, 4096 + 80), 80);
	close(fd);
	assert_int_equal(raw[0], 2);			/* seq */
	assert_int_equal(raw[20], 7);			/* coll */
	assert_int_equal(raw[24], 0x20);		/* src: 2001:db8::1 */
	assert_int_equal(raw[39], 1);
	assert_int_equal(raw[55], 2);			/* dst */
	assert_int_equal(raw[56], 2);			/* bytes */

	assert_int_equal(fp_ring_read(rep, recs, 8, &got, &lost), 0);
	assert_int_equal(got, 4);
	assert_int_equal(lost, 0);
	assert_addr(recs[0].src, "198.18.0.1");
	assert_addr(recs[0].dst, "198.18.0.2");
	assert_addr(recs[1].src, "2001:db8::1");
	assert_addr(recs[1].dst, "2001:db8:0:1::2");
	assert_addr(recs[2].src, "");
	assert_addr(recs[2].dst, "");
	assert_addr(recs[3].dst, "10.0.0.2");
	assert_int_equal(recs[1].coll, 7);
	assert_int_equal(recs[1].comm, 2);
	assert_int_equal(recs[1].bytes, 2);

	/* Version 1's layout: up to the IPv6 record, then after it. */
	assert_int_equal(fp_ring_read_v1(rep1, old, 8, &got, &lost), EOVERFLOW);
	assert_int_equal(got, 1);
	assert_int_equal(lost, 0);
	assert_int_equal(old[0].src, fp_addr_to_v4(&(struct fp_addr){ .b = {
		[10] = 0xff, [11] = 0xff, 198, 18, 0, 1 } }));
	assert_int_equal(old[0].bytes, 1);
	assert_int_equal(fp_ring_read_v1(rep1, old, 8, &got, &lost), 0);
	assert_int_equal(got, 2);
	assert_int_equal(old[0].src, 0);		/* the collective's none */
	assert_int_equal(old[0].bytes, 3);
	assert_int_equal(old[1].bytes, 4);
	assert_int_equal(fp_ring_read_v1(rep1, old, 8, &got, &lost), 0);
	assert_int_equal(got, 0);
	/* An IPv6 record first: EOVERFLOW, nothing handed out. */
	put_addr(&r, "2001:db8::1", "2001:db8::2", 5);
	assert_int_equal(fp_ring_read_v1(rep1, old, 8, &got, &lost), EOVERFLOW);
	assert_int_equal(got, 0);
	assert_int_equal(fp_ring_read_v1(rep1, old, 8, &got, &lost), 0);
	assert_int_equal(got, 0);

	assert_int_equal(fp_ring_reader_close(rep), 0);
	assert_int_equal(fp_ring_reader_close(rep1), 0);
	fp_ring_close(&r);
}

/*
 * A version 1 ring (what a libflowplan older than format 2 in a running
 * job writes) made by hand per its documented layout: read, its IPv4
 * addresses handed out IPv4-mapped, 0 as none; across a wrap and with
 * more records than the reader's scratch holds at once (never more than
 * asked for); read in version 1's layout unchanged. Its records are held
 * to the same sanity.
 */
static void test_v1_ring(void **state)
{
	static struct fp_report_rec recs[600];
	static struct fp_report_rec_v1 old[600];
	const uint32_t cap = 512;
	struct fp_report_hdr h = {
		.magic = FP_REPORT_MAGIC, .version = 1, .hdr_size = 4096,
		.rec_size = 56, .cap = cap, .rec_off = 4096,
	};
	struct fp_report *rep, *rep1;
	char path[128];
	uint64_t lost, i;
	size_t got;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/v1", test_dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096 + cap * 56), 0);
	/* 600 records into 512 slots: the first 88 overwritten. */
	for (i = 0; i < 600; i++) {
		struct fp_report_rec_v1 o = {
			.seq = i + 1, .comm = 3, .op = FP_OP_WRITE,
			.src = i % 3 ? htonl(0xc6120001) : 0,
			.dst = htonl(0xc6120002), .bytes = i,
			.start_ns = i, .end_ns = i + 1,
		};

		if (i == 599)
			o.op = 99;		/* not sane in either version */
		assert_int_equal(pwrite(fd, &o, 56, (off_t)(4096 + (i % cap) * 56)), 56);
	}
	h.head = 600;
	assert_int_equal(pwrite(fd, &h, sizeof(h), 0), sizeof(h));
	close(fd);

	rep = fp_ring_reader_open(path);
	rep1 = fp_ring_reader_open(path);
	assert_non_null(rep);
	assert_non_null(rep1);
	assert_int_equal(fp_ring_read(rep, recs, 600, &got, &lost), 0);
	assert_int_equal(got, 511);
	assert_int_equal(lost, 88 + 1);
	for (i = 0; i < got; i++) {
		uint64_t k = 88 + i;

		assert_int_equal(recs[i].seq, k + 1);
		assert_int_equal(recs[i].bytes, k);
		assert_addr(recs[i].src, k % 3 ? "198.18.0.1" : "");
		assert_addr(recs[i].dst, "198.18.0.2");
	}
	assert_int_equal(fp_ring_read_v1(rep1, old, 600, &got, &lost), 0);
	assert_int_equal(got, 511);
	assert_int_equal(old[0].seq, 89);
	assert_int_equal(old[0].dst, htonl(0xc6120002));
	assert_int_equal(old[1].src, htonl(0xc6120001));
	assert_int_equal(fp_ring_reader_close(rep), 0);
	assert_int_equal(fp_ring_reader_close(rep1), 0);

	/* At most @max records, also when it takes more than one scratch-full. */
	rep = fp_ring_reader_open(path);
	assert_non_null(rep);
	assert_int_equal(fp_ring_read(rep, recs, 300, &got, &lost), 0);
	assert_int_equal(got, 300);
	assert_int_equal(lost, 88);
	assert_int_equal(recs[299].seq, 88 + 300);
	assert_int_equal(fp_ring_read(rep, recs, 600, &got, &lost), 0);
	assert_int_equal(got, 211);
	assert_int_equal(recs[0].seq, 88 + 301);
	assert_int_equal(fp_ring_reader_close(rep), 0);
}

/* Endpoints of two families in one record: not sane, counted as lost. */
static void test_mixed_family(void **state)
{
	struct fp_report_rec recs[4];
	struct fp_report *rep;
	struct fp_ring r;
	char path[128];
	uint64_t lost;
	size_t got;

	(void)state;
	snprintf(path, sizeof(path), "%s/mixed", test_dir);
	assert_int_equal(fp_ring_create(&r, path, 8), 0);
	rep = fp_ring_reader_open(path);
	assert_non_null(rep);
	put_addr(&r, "198.18.0.1", "2001:db8::2", 1);
	put_addr(&r, "2001:db8::1", "198.18.0.2", 2);
	put_addr(&r, "2001:db8::1", "", 3);		/* one missing: kept */
	assert_int_equal(fp_ring_read(rep, recs, 4, &got, &lost), 0);
	assert_int_equal(got, 1);
	assert_int_equal(lost, 2);
	assert_int_equal(recs[0].bytes, 3);
	assert_int_equal(fp_ring_reader_close(rep), 0);
	fp_ring_close(&r);
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
		cmocka_unit_test(test_ring_realtime),
		cmocka_unit_test(test_reader_hostile),
		cmocka_unit_test(test_reader_truncated),
		cmocka_unit_test(test_reader_read_error),
		cmocka_unit_test(test_header_changed_after_open),
		cmocka_unit_test(test_insane_records),
		cmocka_unit_test(test_spoiled_behind_reader),
		cmocka_unit_test(test_create_safely),
		cmocka_unit_test(test_v2_families),
		cmocka_unit_test(test_v1_ring),
		cmocka_unit_test(test_mixed_family),
		cmocka_unit_test(test_wanted),
	};

	return cmocka_run_group_tests_name("core_report", tests, tmpdir_setup, tmpdir_teardown);
}
