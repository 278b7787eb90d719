// SPDX-License-Identifier: MIT
/*
 * test_core_bounds - the core's limits at their edge: a message prefixed
 * when it already fills struct fp_err, a report ring path one byte too long
 * and one that just fits, calls given nothing (NULL), the host's IPv6
 * addresses whole, and a file that grows while it is read, at its size
 * limit and one byte past it (and with a stale EINTR in errno). Each found
 * by make mutate (issue 17): a limit moved by one passed every other test.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/file.h"
#include "core/hostplan.h"
#include "core/report.h"

/*
 * A long message keeps the prefix, then as much of itself as fits; a
 * prefix too long for the message alone is cut.
 */
static void test_err_prefix_full(void **state)
{
	struct fp_err *e = malloc(sizeof(*e));
	size_t max = sizeof(e->msg) - 1, n, want;

	(void)state;
	assert_non_null(e);
	for (n = max - 10; n <= max; n++) {
		memset(e->msg, 'x', n);
		e->msg[n] = 0;
		fp_err_prefix(e, "abc");
		want = n + 5 < max ? n + 5 : max;
		assert_int_equal(strlen(e->msg), want);
		assert_memory_equal(e->msg, "abc: xxx", 8);
		assert_int_equal(strspn(e->msg + 5, "x"), want - 5);
	}
	/* a short one is kept whole */
	strcpy(e->msg, "m");
	fp_err_prefix(e, "p");
	assert_string_equal(e->msg, "p: m");
	/* no prefix, or no message to put it on: nothing happens */
	fp_err_prefix(e, NULL);
	assert_string_equal(e->msg, "p: m");
	fp_err_prefix(NULL, "p");
	/* a prefix that fills the message alone: cut, with its ": " */
	{
		char big[600];

		memset(big, 'p', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		fp_err_prefix(e, big);
		assert_int_equal(strlen(e->msg), max);
		assert_int_equal(strspn(e->msg, "p"), max - 2);
		assert_string_equal(e->msg + max - 2, ": ");
	}
	free(e);
}

/* A ring path of sizeof(r->path) characters has no room for its NUL. */
static void test_ring_path_length(void **state)
{
	char dir[] = "/tmp/fp-bounds-XXXXXX";
	struct fp_ring *r = malloc(sizeof(*r));
	size_t max = sizeof(r->path), dl;
	char *path = malloc(max + 1);

	(void)state;
	assert_non_null(r);
	assert_non_null(path);
	assert_non_null(mkdtemp(dir));
	dl = strlen(dir);
	memcpy(path, dir, dl);
	path[dl] = '/';
	memset(path + dl + 1, 'r', max - dl - 1);
	path[max] = 0;
	assert_int_equal(fp_ring_create(r, path, 64), ENAMETOOLONG);
	path[max - 1] = 0;				/* max - 1 characters: fits */
	assert_int_equal(fp_ring_create(r, path, 64), 0);
	assert_string_equal(r->path, path);
	fp_ring_close(r);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	free(path);
	free(r);
}

/*
 * A file that grows while it is read, as /proc's do (they say size 0): read
 * whole as its buffer grows, and refused with EFBIG one byte past the
 * limit. What it holds is read with stdio to compare; /proc/self/cmdline
 * stays the same for the life of the process.
 */
static void test_file_grows(void **state)
{
	const char *path = "/proc/self/cmdline";
	struct fp_err err = { { 0 } };
	char want[8192], *buf = NULL;
	size_t n, len = 0;
	FILE *f;

	(void)state;
	f = fopen(path, "r");
	if (!f) {
		printf("core_bounds: %s: %s: skipped\n", path, strerror(errno));
		skip();
	}
	n = fread(want, 1, sizeof(want), f);
	fclose(f);
	assert_true(n > 1 && n < sizeof(want));
	assert_int_equal(fp_file_read(path, 1 << 20, &buf, &len, &err), 0);
	assert_int_equal(len, n);
	assert_memory_equal(buf, want, n);
	assert_int_equal(buf[len], 0);
	free(buf);
	/* exactly the limit: read; one byte past it: refused */
	buf = NULL;
	assert_int_equal(fp_file_read(path, n, &buf, &len, &err), 0);
	assert_int_equal(len, n);
	assert_memory_equal(buf, want, n);
	free(buf);
	buf = NULL;
	assert_int_equal(fp_file_read(path, n - 1, &buf, &len, &err), EFBIG);
	assert_null(buf);
	assert_non_null(strstr(err.msg, "larger than the limit of"));
}

/*
 * A file that grows (size 0, as /proc's say) to exactly a limit that is a
 * power of two, where its buffer is full just as the limit is reached:
 * read. /proc/self/comm holds the name this test gives itself (15
 * characters, the most a name has) and a newline: 16 bytes.
 */
static void test_file_grows_to_limit(void **state)
{
	const char *path = "/proc/self/comm";
	struct fp_err err = { { 0 } };
	char old[17] = "", *buf = NULL;
	size_t len = 0;

	(void)state;
	if (prctl(PR_GET_NAME, old) || prctl(PR_SET_NAME, "fp-core-bounds1")) {
		printf("core_bounds: cannot name the process: %s: skipped\n", strerror(errno));
		skip();
	}
	if (access(path, R_OK)) {
		prctl(PR_SET_NAME, old);
		printf("core_bounds: %s: %s: skipped\n", path, strerror(errno));
		skip();
	}
	assert_int_equal(fp_file_read(path, 16, &buf, &len, &err), 0);
	assert_int_equal(len, 16);
	assert_memory_equal(buf, "fp-core-bounds1\n", 16);
	free(buf);
	buf = NULL;
	assert_int_equal(fp_file_read(path, 15, &buf, &len, &err), EFBIG);
	assert_null(buf);
	prctl(PR_SET_NAME, old);
}

/*
 * A regular file, its size checked first: exactly the limit is read, and
 * its end is the end whatever errno held before.
 */
static void test_file_limit(void **state)
{
	struct fp_err err = { { 0 } };
	char path[] = "/tmp/fp-core-bounds-XXXXXX", *buf = NULL;
	size_t len = 0;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	/* A stale EINTR from the caller does not make the file's end a retry. */
	errno = EINTR;
	assert_int_equal(fp_file_read(path, 10, &buf, &len, &err), 0);
	assert_int_equal(len, 10);
	assert_memory_equal(buf, "0123456789", 10);
	free(buf);
	buf = NULL;
	assert_int_equal(fp_file_read(path, 9, &buf, &len, &err), EFBIG);
	assert_null(buf);
	assert_non_null(strstr(err.msg, "10 bytes, larger than the limit of 9"));
	unlink(path);
}

static void test_null_arguments(void **state)
{
	struct fp_addr *a = NULL;
	size_t n = 0;

	(void)state;
	fp_hostplan_free(NULL);
	assert_int_equal(fp_local_addrs(NULL, &n), EINVAL);
	assert_int_equal(fp_local_addrs(&a, NULL), EINVAL);
	assert_null(a);
}

/* Every IPv6 address of this host, all 16 bytes of it. */
static void test_local_addrs_v6(void **state)
{
	struct ifaddrs *ifa, *i;
	struct fp_addr *v = NULL;
	size_t n = 0, j, seen = 0;

	(void)state;
	assert_int_equal(fp_local_addrs(&v, &n), 0);
	assert_int_equal(getifaddrs(&ifa), 0);
	for (i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_in6 *s6 = (const void *)i->ifa_addr;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6)
			continue;
		for (j = 0; j < n; j++)
			if (!memcmp(v[j].b, s6->sin6_addr.s6_addr, 16))
				break;
		if (j == n)
			fail_msg("%s: an IPv6 address missing", i->ifa_name);
		seen++;
	}
	freeifaddrs(ifa);
	free(v);
	if (!seen) {
		printf("core_bounds: no IPv6 address on this host: skipped\n");
		skip();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_prefix_full),
		cmocka_unit_test(test_ring_path_length),
		cmocka_unit_test(test_file_grows),
		cmocka_unit_test(test_file_limit),
		cmocka_unit_test(test_file_grows_to_limit),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_local_addrs_v6),
	};

	return cmocka_run_group_tests_name("core_bounds", tests, NULL, NULL);
}
