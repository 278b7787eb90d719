// SPDX-License-Identifier: MIT
/*
 * test_daemon_rings - report rings found and read: rings written by hand
 * to the layout of docs/reports.md (so the test also holds the daemon to
 * the documented format), present at start or appearing later (inotify),
 * a ring whose header is not complete yet, write and send records turned
 * into messages (receives, collectives and failed messages not), the job
 * of a record without a communicator, a removed ring read to its end and
 * let go, a ring left by a dead process never read, other files ignored;
 * rings of format version 1 (an old libflowplan's) and 2 alike; a ring the
 * daemon may not read counted as denied until it may.
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "flowplan/flowplan.h"
#include "rings.h"

static char dir[64];

struct wring {
	uint8_t *map;
	size_t len;
	uint32_t cap;
	uint32_t version;	/* 1: IPv4 only (an old libflowplan), 2 */
	uint32_t rs;
	char path[160];
};

/*
 * A ring file per docs/reports.md, of format @version; magic last unless
 * @complete is false.
 */
static void wr_create_v(struct wring *w, uint32_t version, uint32_t pid, int n,
			uint32_t cap, bool complete)
{
	uint64_t magic = 0x005450525046504cull;
	int fd;

	snprintf(w->path, sizeof(w->path), "%s/flowplan-%u-%d", dir, pid, n);
	w->cap = cap;
	w->version = version;
	w->rs = version == 1 ? 56 : 80;
	w->len = 4096 + (size_t)cap * w->rs;
	fd = open(w->path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)w->len), 0);
	w->map = mmap(NULL, w->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(w->map != MAP_FAILED);
	close(fd);
	*(uint32_t *)(w->map + 8) = version;
	*(uint32_t *)(w->map + 12) = 4096;
	*(uint32_t *)(w->map + 16) = w->rs;
	*(uint32_t *)(w->map + 20) = cap;
	*(uint64_t *)(w->map + 24) = 4096;
	*(uint32_t *)(w->map + 40) = pid;
	if (complete)
		__atomic_store_n((uint64_t *)w->map, magic, __ATOMIC_RELEASE);
}

static void wr_create(struct wring *w, uint32_t pid, int n, uint32_t cap, bool complete)
{
	wr_create_v(w, 2, pid, n, cap, complete);
}

static void wr_complete(struct wring *w)
{
	__atomic_store_n((uint64_t *)w->map, 0x005450525046504cull, __ATOMIC_RELEASE);
}

/*
 * A record at the documented offsets. Version 2: 16-byte addresses at 24
 * and 40 (@src, @dst as given); version 1: IPv4 at 20 and 24 (the last 4
 * bytes of IPv4-mapped ones, else 0).
 */
static void wr_put_a(struct wring *w, uint32_t comm, uint16_t op, int32_t status,
		     const uint8_t *src, const uint8_t *dst, uint64_t bytes, uint64_t start)
{
	uint64_t *head = (uint64_t *)(w->map + 48), h = *head, end = start + 10;
	uint8_t *rec = w->map + 4096 + (h % w->cap) * w->rs;
	uint32_t coll = 0;

	__atomic_store_n((uint64_t *)rec, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(rec + 8, &comm, 4);
	memcpy(rec + 12, &op, 2);
	memset(rec + 14, 0, 2);
	memcpy(rec + 16, &status, 4);
	if (w->version == 1) {
		memcpy(rec + 20, src + 12, 4);
		memcpy(rec + 24, dst + 12, 4);
		memcpy(rec + 28, &coll, 4);
		memcpy(rec + 32, &bytes, 8);
		memcpy(rec + 40, &start, 8);
		memcpy(rec + 48, &end, 8);
	} else {
		memcpy(rec + 20, &coll, 4);
		memcpy(rec + 24, src, 16);
		memcpy(rec + 40, dst, 16);
		memcpy(rec + 56, &bytes, 8);
		memcpy(rec + 64, &start, 8);
		memcpy(rec + 72, &end, 8);
	}
	__atomic_store_n((uint64_t *)rec, h + 1, __ATOMIC_RELEASE);
	__atomic_store_n(head, h + 1, __ATOMIC_RELEASE);
}

/* IPv4 @v4 (network order; 0: none) in a version 2 record's form. */
static void mapped(uint8_t *b, uint32_t v4)
{
	memset(b, 0, 16);
	if (!v4)
		return;
	b[10] = b[11] = 0xff;
	memcpy(b + 12, &v4, 4);
}

static void wr_put(struct wring *w, uint32_t comm, uint16_t op, int32_t status,
		   uint32_t src, uint32_t dst, uint64_t bytes, uint64_t start)
{
	uint8_t s[16], d[16];

	mapped(s, src);
	mapped(d, dst);
	wr_put_a(w, comm, op, status, s, d, bytes, start);
}

static void wr_unmap(struct wring *w)
{
	munmap(w->map, w->len);
}

struct got {
	struct fpd_msg m[256];
	size_t n;
};

static int collect(void *arg, const struct fpd_msg *m, size_t n)
{
	struct got *g = arg;

	assert_true(g->n + n <= 256);
	memcpy(&g->m[g->n], m, n * sizeof(*m));
	g->n += n;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fpd-rings-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* @l set up, and the rings of dir watched on it. */
static struct fpd_rings *open_rings(struct fpd_loop *l)
{
	struct fp_err err = { "" };
	struct fpd_rings *r;

	assert_int_equal(fpd_loop_init(l), 0);
	r = fpd_rings_open(l, dir, &err);
	if (!r)
		fail_msg("%s", err.msg);
	return r;
}

static void test_rings(void **state)
{
	struct wring a, b, c, dead;
	struct fpd_rings_stats st;
	struct got got = { 0 };
	struct fpd_rings *r;
	struct fpd_loop l;
	uint32_t me = (uint32_t)getpid();
	pid_t child;
	int fd, i;

	(void)state;
	/* a ring from before the daemon started, and one of a dead process */
	wr_create_v(&a, 1, me, 1, 64, true);	/* an old libflowplan's */
	wr_put(&a, 5, FP_OP_WRITE, 0, 1, 2, 1000, 100);
	child = fork();
	if (!child)
		_exit(0);
	waitpid(child, NULL, 0);
	wr_create_v(&dead, 1, (uint32_t)child, 1, 64, true);
	wr_put(&dead, 5, FP_OP_WRITE, 0, 1, 2, 1000, 100);
	/* files that are not rings */
	fd = open("/dev/null", O_RDONLY);
	close(fd);
	{
		char p[128];

		snprintf(p, sizeof(p), "%s/flowplan-x-1", dir);
		close(open(p, O_CREAT | O_WRONLY, 0644));
		snprintf(p, sizeof(p), "%s/other", dir);
		close(open(p, O_CREAT | O_WRONLY, 0644));
	}

	r = open_rings(&l);
	assert_int_equal(fpd_rings_read(r, collect, &got), 0);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.m[0].job, 5);
	/* version 1's 4-byte addresses, IPv4-mapped */
	assert_int_equal(fp_addr_to_v4(&got.m[0].src), 1);
	assert_int_equal(fp_addr_to_v4(&got.m[0].dst), 2);
	assert_true(fp_addr_is_v4(&got.m[0].src));
	assert_int_equal(got.m[0].bytes, 1000);
	assert_int_equal(got.m[0].start_ns, 100);
	assert_int_equal(got.m[0].end_ns, 110);
	fpd_rings_stats(r, &st);
	assert_int_equal(st.open, 1);
	assert_int_equal(st.opened, 1);

	/* a ring that appears while the daemon runs; one still being created */
	wr_create(&b, me, 2, 64, true);
	wr_create(&c, me, 3, 64, false);
	for (i = 0; i < 5; i++)
		fpd_loop_once(&l, 10);
	wr_put(&b, 0, FP_OP_SEND, 0, 3, 4, 2000, 200);		/* no comm: the process */
	wr_put(&b, 6, FP_OP_RECV, 0, 4, 3, 2000, 210);		/* receives do not count */
	wr_put(&b, 6, FP_OP_ALLREDUCE, 0, 0, 0, 9999, 220);	/* nor collective marks */
	wr_put(&b, 6, FP_OP_WRITE, 110, 3, 4, 2000, 230);	/* nor failed messages */
	wr_put(&b, 6, FP_OP_WRITE, 0, 3, 4, 3000, 240);
	wr_put(&c, 7, FP_OP_WRITE, 0, 5, 6, 4000, 300);
	{
		/* 2001:db8::1 -> 2001:db8::2: a message between IPv6 addresses */
		uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
		uint8_t d6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

		wr_put_a(&b, 6, FP_OP_WRITE, 0, s6, d6, 3000, 245);
	}
	got.n = 0;
	assert_int_equal(fpd_rings_read(r, collect, &got), 0);
	assert_int_equal(got.n, 3);
	assert_int_equal(got.m[0].job, 0x80000000u | me);
	assert_int_equal(fp_addr_to_v4(&got.m[0].src), 3);
	assert_int_equal(got.m[1].job, 6);
	assert_int_equal(got.m[1].bytes, 3000);
	assert_int_equal(got.m[2].job, 6);
	assert_int_equal(got.m[2].start_ns, 245);
	assert_false(fp_addr_is_v4(&got.m[2].src));
	assert_int_equal(got.m[2].src.b[0], 0x20);
	assert_int_equal(got.m[2].src.b[15], 1);
	assert_int_equal(got.m[2].dst.b[15], 2);
	wr_complete(&c);
	got.n = 0;
	assert_int_equal(fpd_rings_read(r, collect, &got), 0);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.m[0].job, 7);

	/* more records, then the file is removed: read to the end, let go */
	wr_put(&a, 5, FP_OP_WRITE, 0, 1, 2, 5000, 400);
	unlink(a.path);
	for (i = 0; i < 5; i++)
		fpd_loop_once(&l, 10);
	got.n = 0;
	assert_int_equal(fpd_rings_read(r, collect, &got), 0);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.m[0].bytes, 5000);
	fpd_rings_stats(r, &st);
	assert_int_equal(st.open, 2);
	assert_int_equal(st.closed, 1);
	assert_int_equal(st.records, 1 + 6 + 1 + 1);

	/* a ring overrun between two reads: the loss is counted */
	for (i = 0; i < 100; i++)
		wr_put(&b, 6, FP_OP_WRITE, 0, 3, 4, 1 << 20, 1000 + (uint64_t)i);
	got.n = 0;
	assert_int_equal(fpd_rings_read(r, collect, &got), 0);
	assert_int_equal(got.n, 64);
	fpd_rings_stats(r, &st);
	assert_int_equal(st.lost, 36);

	wr_unmap(&a);
	wr_unmap(&b);
	wr_unmap(&c);
	wr_unmap(&dead);
	fpd_rings_close(r);
	fpd_loop_fini(&l);
}

/*
 * In a child that may not read the ring (root reads every file: it becomes
 * nobody; anyone else takes the ring's read bit away): 0 when the ring is
 * known, not open and counted as denied.
 */
static int denied_child(const char *path)
{
	struct fp_err err = { "" };
	struct fpd_rings_stats st;
	struct got got = { 0 };
	struct fpd_rings *r;
	struct fpd_loop l;

	if (geteuid() == 0 ? setresgid(65534, 65534, 65534) ||
			     setresuid(65534, 65534, 65534) : chmod(path, 0))
		return 2;
	if (fpd_loop_init(&l))
		return 3;
	r = fpd_rings_open(&l, dir, &err);
	if (!r)
		return 3;
	if (fpd_rings_read(r, collect, &got))
		return 4;
	fpd_rings_stats(r, &st);
	if (got.n || st.pending != 1 || st.open || st.denied != 1)
		return 5;
	fpd_rings_close(r);
	fpd_loop_fini(&l);
	return 0;
}

static void test_denied(void **state)
{
	struct fpd_rings_stats st;
	struct got got = { 0 };
	struct fpd_rings *r;
	struct fpd_loop l;
	struct wring a;
	char cmd[128];
	pid_t child;
	int status;

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -f %s/*", dir);	/* test_rings' rings */
	assert_int_equal(system(cmd), 0);
	wr_create(&a, (uint32_t)getpid(), 1, 64, true);
	wr_put(&a, 5, FP_OP_WRITE, 0, 1, 2, 1000, 100);
	assert_int_equal(chmod(a.path, 0600), 0);	/* as fp_ring_create */
	assert_int_equal(chmod(dir, 0755), 0);
	child = fork();
	assert_true(child >= 0);
	if (!child)
		_exit(denied_child(a.path));
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* its writer (or root) reads it: not denied */
	assert_int_equal(chmod(a.path, 0600), 0);
	r = open_rings(&l);
	assert_int_equal(fpd_rings_read(r, collect, &got), 0);
	assert_int_equal(got.n, 1);
	fpd_rings_stats(r, &st);
	assert_int_equal(st.open, 1);
	assert_int_equal(st.denied, 0);
	fpd_rings_close(r);
	fpd_loop_fini(&l);
	wr_unmap(&a);
}

static void test_no_dir(void **state)
{
	struct fp_err err = { "" };
	struct fpd_loop l;

	(void)state;
	assert_int_equal(fpd_loop_init(&l), 0);
	assert_null(fpd_rings_open(&l, "/nonexistent/dir", &err));
	assert_int_equal(errno, ENOENT);
	assert_string_equal(err.msg, "/nonexistent/dir: cannot watch for report rings: "
				     "No such file or directory");
	fpd_loop_fini(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rings),
		cmocka_unit_test(test_denied),
		cmocka_unit_test(test_no_dir),
	};

	return cmocka_run_group_tests_name("daemon_rings", tests, setup, teardown);
}
