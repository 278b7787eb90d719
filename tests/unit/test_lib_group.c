// SPDX-License-Identifier: MIT
/*
 * test_lib_group - what a flow group does before it needs an RDMA device,
 * for IPv4 and IPv6 (issue 15):
 *  - addresses: either family, the local and the peer's of one family, the
 *    unspecified address and text that is no address refused (EINVAL);
 *  - the bootstrap: two real groups meet over the loopback (::1 or
 *    127.0.0.1, the bootstrap's family free of the group's) and exchange
 *    their 16-byte addresses; each gets as far as finding its RDMA device,
 *    which this machine does not have for documentation addresses: ENODEV
 *    on both ends says the meeting succeeded. A listener turns away a
 *    connection from another address than its peer's, or of the other
 *    family, and still takes its peer's after it; a connecting side that
 *    meets another address than its peer's fails (EADDRNOTAVAIL); a
 *    listener nobody connects to gives up at its deadline (ETIMEDOUT);
 *  - the bootstrap socket's I/O (fp_sock_io): megabytes in pieces arrive
 *    as sent; a silent peer times out, a peer gone is ECONNRESET;
 *  - fp_group_query@FLOWPLAN_1.0 (compat.c): FLOWPLAN_1.0's layout filled
 *    from the current call, EOVERFLOW for an address that does not fit it.
 *    The current fp_group_query is wrapped (--wrap) for this: it needs a
 *    connected group. The real groups run in the qemu tests
 *    (tests/vm/tests/lib-flowgroup6.sh).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "flowplan/compat.h"
#include "flowplan/handles.h"

static struct fp_ctx *ctx;

static int setup(void **state)
{
	struct fp_ctx_attr a = { .flags = FP_CTX_NO_NETLINK | FP_CTX_NO_REPORT };

	(void)state;
	/* Device by GID table only: rdma_cm would wait for its time-out. */
	setenv("FLOWPLAN_NO_RDMA_CM", "1", 1);
	unsetenv("FLOWPLAN_PLAN");
	ctx = fp_ctx_open(&a);
	return ctx ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return fp_ctx_close(ctx);
}

/* A free TCP port on @family's loopback, or 0 when it has none. */
static uint16_t free_port(int family)
{
	struct sockaddr_storage ss = { .ss_family = (sa_family_t)family };
	socklen_t sl = family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					    sizeof(struct sockaddr_in);
	uint16_t port = 0;
	int fd;

	if (family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	else
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	if (!bind(fd, (struct sockaddr *)&ss, sl) &&
	    !getsockname(fd, (struct sockaddr *)&ss, &sl))
		port = ntohs(family == AF_INET6 ?
			     ((struct sockaddr_in6 *)&ss)->sin6_port :
			     ((struct sockaddr_in *)&ss)->sin_port);
	close(fd);
	return port;
}

/* One group, connected or listening; NULL and errno as the call left them. */
static int connect_err(const char *local, const char *peer, const char *boot,
		       uint16_t port, bool listen)
{
	struct fp_group_attr a = {
		.local = local,
		.peer = peer,
		.bootstrap = boot,
		.port = port,
		.flags = listen ? FP_GROUP_LISTEN : 0,
		/* Generous: bounds a wait, never asserted on. */
		.connect_timeout_ms = 60000,
	};
	struct fp_group *g;

	errno = 0;
	g = fp_group_connect(ctx, &a);
	if (g) {
		fp_group_close(g);
		return 0;
	}
	return errno;
}

struct listener {
	pthread_t t;
	const char *local, *peer, *boot;
	uint16_t port;
	int err;
};

static void *listen_thread(void *arg)
{
	struct listener *l = arg;

	l->err = connect_err(l->local, l->peer, l->boot, l->port, true);
	return NULL;
}

static void listen_start(struct listener *l, const char *local,
			 const char *peer, const char *boot)
{
	l->local = local;
	l->peer = peer;
	l->boot = boot;
	l->port = free_port(strchr(boot, ':') ? AF_INET6 : AF_INET);
	assert_int_not_equal(l->port, 0);
	assert_int_equal(pthread_create(&l->t, NULL, listen_thread, l), 0);
}

static int listen_end(struct listener *l)
{
	assert_int_equal(pthread_join(l->t, NULL), 0);
	return l->err;
}

/*
 * The bootstrap socket's I/O (fp_sock_io): 4 MiB one way over a socket
 * pair, far more than its buffers hold, non-blocking so that the sends
 * (not only the receives) come in pieces: the bytes arrive as sent. A
 * silent peer: ETIMEDOUT (also with a stale EINTR in errno); a peer gone:
 * ECONNRESET; a descriptor closed under it: EBADF.
 */
struct pump {
	pthread_t t;
	int fd, ret;
	uint8_t *p;
	size_t len;
};

static void *send_thread(void *arg)
{
	struct pump *x = arg;

	x->ret = fp_sock_io(x->fd, x->p, x->len, true, 60000);
	return NULL;
}

static void test_sock_io(void **state)
{
	const size_t len = 4u << 20;
	uint8_t *a = malloc(len), *b = calloc(1, len), c;
	struct pump w = { .len = len };
	int sv[2];
	size_t i;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (i = 0; i < len; i++)
		a[i] = (uint8_t)(i * 7 + i / 251);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	w.fd = sv[0];
	w.p = a;
	assert_int_equal(pthread_create(&w.t, NULL, send_thread, &w), 0);
	assert_int_equal(fp_sock_io(sv[1], b, len, false, 60000), 0);
	assert_int_equal(pthread_join(w.t, NULL), 0);
	assert_int_equal(w.ret, 0);
	assert_memory_equal(a, b, len);
	assert_int_equal(fp_sock_io(sv[1], &c, 1, false, 10), ETIMEDOUT);
	/* A stale EINTR in errno is no interrupt: poll()'s 0 is the time-out. */
	errno = EINTR;
	assert_int_equal(fp_sock_io(sv[1], &c, 1, false, 10), ETIMEDOUT);
	close(sv[0]);
	assert_int_equal(fp_sock_io(sv[1], &c, 1, false, 1000), ECONNRESET);
	close(sv[1]);
	/* a socket closed under the library (POLLNVAL): an error, not a spin */
	assert_int_equal(fp_sock_io(sv[1], &c, 1, false, 1000), EBADF);
	assert_int_equal(fp_sock_io(sv[1], &c, 1, true, -1), EBADF);
	free(a);
	free(b);
}

static void need_ipv6_loopback(void)
{
	if (!free_port(AF_INET6))
		skip();
}

static void test_bad_addresses(void **state)
{
	(void)state;
	/* Mixed families, either way round. */
	assert_int_equal(connect_err("192.0.2.1", "2001:db8::2", NULL, 1, false), EINVAL);
	assert_int_equal(connect_err("2001:db8::1", "192.0.2.2", NULL, 1, false), EINVAL);
	assert_int_equal(connect_err("2001:db8::1", "192.0.2.2", NULL, 1, true), EINVAL);
	/* The unspecified address is no peer. */
	assert_int_equal(connect_err(NULL, "::", NULL, 1, false), EINVAL);
	assert_int_equal(connect_err(NULL, "0.0.0.0", NULL, 1, false), EINVAL);
	/* No address. */
	assert_int_equal(connect_err(NULL, "2001:db8::zz", NULL, 1, false), EINVAL);
	assert_int_equal(connect_err("fd00::1::2", "fd00::2", NULL, 1, false), EINVAL);
	assert_int_equal(connect_err(NULL, "fd00::2", "localhost", 1, false), EINVAL);
	assert_int_equal(connect_err(NULL, "10.0.0.256", NULL, 1, false), EINVAL);
}

/* IPv6 group, IPv6 bootstrap: both ends meet, then find no device. */
static void test_meet_ipv6(void **state)
{
	struct listener l;

	(void)state;
	need_ipv6_loopback();
	listen_start(&l, "2001:db8::2", "2001:db8::1", "::1");
	assert_int_equal(connect_err("2001:db8::1", "2001:db8::2", "::1", l.port, false),
			 ENODEV);
	assert_int_equal(listen_end(&l), ENODEV);
}

/*
 * An IPv6 group that names no local address takes the source address of
 * the route to its peer, all 16 bytes of it: over ::1, ::1, which the
 * listener that names ::1 for its peer meets (then no device).
 */
static void test_meet_ipv6_route(void **state)
{
	struct listener l;

	(void)state;
	need_ipv6_loopback();
	listen_start(&l, "::1", "::1", "::1");
	assert_int_equal(connect_err(NULL, "::1", "::1", l.port, false), ENODEV);
	assert_int_equal(listen_end(&l), ENODEV);
}

/* The bootstrap's family is not the group's: IPv6 over 127.0.0.1, IPv4 over ::1. */
static void test_meet_mixed_bootstrap(void **state)
{
	struct listener l;

	(void)state;
	listen_start(&l, "2001:db8::2", NULL, "127.0.0.1");
	assert_int_equal(connect_err("2001:db8::1", "2001:db8::2", "127.0.0.1", l.port,
				     false), ENODEV);
	assert_int_equal(listen_end(&l), ENODEV);

	need_ipv6_loopback();
	listen_start(&l, "192.0.2.2", "192.0.2.1", "::1");
	assert_int_equal(connect_err("192.0.2.1", "192.0.2.2", "::1", l.port, false),
			 ENODEV);
	assert_int_equal(listen_end(&l), ENODEV);
}

/*
 * Strangers: another IPv6 address than the named peer's, then an IPv4 pair
 * at a listener of IPv6 that names no peer; each is turned away and the
 * listener still meets its peer. A connecting side that meets another
 * address than it asked for gives up.
 */
static void test_meet_strangers(void **state)
{
	struct listener l;
	int err;

	(void)state;
	need_ipv6_loopback();
	listen_start(&l, "2001:db8::2", "2001:db8::1", "::1");
	err = connect_err("2001:db8::3", "2001:db8::2", "::1", l.port, false);
	assert_int_not_equal(err, 0);
	assert_int_not_equal(err, ENODEV);
	assert_int_equal(connect_err("2001:db8::1", "2001:db8::2", "::1", l.port, false),
			 ENODEV);
	assert_int_equal(listen_end(&l), ENODEV);

	listen_start(&l, "2001:db8::2", NULL, "::1");
	err = connect_err("192.0.2.1", "192.0.2.2", "::1", l.port, false);
	assert_int_not_equal(err, 0);
	assert_int_not_equal(err, ENODEV);
	assert_int_equal(connect_err("2001:db8::1", "2001:db8::2", "::1", l.port, false),
			 ENODEV);
	assert_int_equal(listen_end(&l), ENODEV);

	listen_start(&l, "2001:db8::5", NULL, "::1");
	assert_int_equal(connect_err("2001:db8::1", "2001:db8::2", "::1", l.port, false),
			 EADDRNOTAVAIL);
	/* The listener took it for its peer (it names none). */
	assert_int_equal(listen_end(&l), ENODEV);
}

/*
 * A listener nobody connects to gives up at its deadline (ETIMEDOUT), not
 * in accept(). It runs in a thread that gets 30 s, 150 times its deadline,
 * so that a listener that waits forever fails the test instead of hanging it.
 */
struct lonely {
	uint16_t port;
	int err;
};

static void *lonely_thread(void *arg)
{
	struct lonely *x = arg;
	struct fp_group_attr a = {
		.local = "192.0.2.2",
		.bootstrap = "127.0.0.1",
		.port = x->port,
		.flags = FP_GROUP_LISTEN,
		.connect_timeout_ms = 200,
	};

	errno = 0;
	x->err = fp_group_connect(ctx, &a) ? 0 : errno;
	return NULL;
}

static void test_listen_deadline(void **state)
{
	struct lonely x = { .port = free_port(AF_INET) };
	struct timespec end;
	pthread_t t;

	(void)state;
	assert_int_not_equal(x.port, 0);
	assert_int_equal(pthread_create(&t, NULL, lonely_thread, &x), 0);
	assert_int_equal(clock_gettime(CLOCK_REALTIME, &end), 0);
	end.tv_sec += 30;
	if (pthread_timedjoin_np(t, NULL, &end))
		fail_msg("a listener with a 200 ms deadline and no peer still waits after 30 s");
	assert_int_equal(x.err, ETIMEDOUT);
}

/* ------------------------------------------- fp_group_query@FLOWPLAN_1.0 */

int __wrap_fp_group_query(const struct fp_group *g, struct fp_group_info *info);

static const char *wrap_local, *wrap_peer;

int __wrap_fp_group_query(const struct fp_group *g, struct fp_group_info *info)
{
	unsigned int i;

	if (!g)
		return EINVAL;
	memset(info, 0x5a, sizeof(*info));	/* what was not set shows */
	info->k = 3;
	info->source = FP_PLAN_FILE;
	info->generation = 42;
	info->error = 0;
	snprintf(info->dev, sizeof(info->dev), "rxe0");
	info->port = 1;
	info->gid_index = 2;
	snprintf(info->local, sizeof(info->local), "%s", wrap_local);
	snprintf(info->peer, sizeof(info->peer), "%s", wrap_peer);
	for (i = 0; i < FP_GROUP_MAX_SUBFLOWS; i++)
		info->sub[i] = (struct fp_subflow_info){
			.qpn = 0x100 + i, .remote_qpn = 0x200 + i,
			.flow_label = i + 1, .sport = (uint16_t)(49153 + i),
			.weight = 1000 * i,
		};
	return 0;
}

static void test_query_1_0(void **state)
{
	const struct fp_group *g = (const struct fp_group *)&wrap_local;
	struct fp_group_info_1_0 o;
	unsigned int i;

	(void)state;
	/* FLOWPLAN_1.0's layout, which old binaries were compiled with. */
	assert_int_equal(offsetof(struct fp_group_info_1_0, local), 92);
	assert_int_equal(offsetof(struct fp_group_info_1_0, sub), 124);
	assert_true(sizeof(o) < sizeof(struct fp_group_info));

	wrap_local = "198.51.100.11";
	wrap_peer = "198.51.100.12";
	memset(&o, 0xa5, sizeof(o));
	assert_int_equal(fp_group_query_1_0(g, &o), 0);
	assert_int_equal(o.k, 3);
	assert_int_equal(o.source, FP_PLAN_FILE);
	assert_int_equal(o.generation, 42);
	assert_int_equal(o.error, 0);
	assert_string_equal(o.dev, "rxe0");
	assert_int_equal(o.port, 1);
	assert_int_equal(o.gid_index, 2);
	assert_string_equal(o.local, "198.51.100.11");
	assert_string_equal(o.peer, "198.51.100.12");
	for (i = 0; i < FP_GROUP_MAX_SUBFLOWS; i++) {
		assert_int_equal(o.sub[i].qpn, 0x100 + i);
		assert_int_equal(o.sub[i].remote_qpn, 0x200 + i);
		assert_int_equal(o.sub[i].flow_label, i + 1);
		assert_int_equal(o.sub[i].sport, 49153 + i);
		assert_int_equal(o.sub[i].weight, 1000 * i);
	}

	/* A short IPv6 address fits FLOWPLAN_1.0's 16 bytes: reported. */
	wrap_local = "fd00:1::1";
	wrap_peer = "fd00:2::1";
	assert_int_equal(fp_group_query_1_0(g, &o), 0);
	assert_string_equal(o.local, "fd00:1::1");
	assert_string_equal(o.peer, "fd00:2::1");

	/* One that does not: an error, never a cut address; @o untouched. */
	wrap_peer = "2001:db8:1:2:3:4:5:6";
	memset(&o, 0xa5, sizeof(o));
	assert_int_equal(fp_group_query_1_0(g, &o), EOVERFLOW);
	assert_int_equal(o.k, 0xa5a5a5a5);
	wrap_local = "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff";
	wrap_peer = "fd00:2::1";
	assert_int_equal(fp_group_query_1_0(g, &o), EOVERFLOW);
	/* 16 characters do not: the terminator would not fit. */
	wrap_local = "2001:db8:a::b:cd";
	assert_int_equal(fp_group_query_1_0(g, &o), EOVERFLOW);
	wrap_local = "fd00:1::1";
	wrap_peer = "2001:db8:a::b:cd";
	memset(&o, 0xa5, sizeof(o));
	assert_int_equal(fp_group_query_1_0(g, &o), EOVERFLOW);
	assert_int_equal(o.k, 0xa5a5a5a5);
	wrap_peer = "fd00:2::1";
	/* 15 characters (the longest dotted quad) still fit. */
	wrap_local = "2001:db8:a::b:c";
	assert_int_equal(strlen(wrap_local), 15);
	assert_int_equal(fp_group_query_1_0(g, &o), 0);
	assert_string_equal(o.local, wrap_local);

	assert_int_equal(fp_group_query_1_0(g, NULL), EINVAL);
	assert_int_equal(fp_group_query_1_0(NULL, &o), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sock_io),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_meet_ipv6),
		cmocka_unit_test(test_meet_ipv6_route),
		cmocka_unit_test(test_meet_mixed_bootstrap),
		cmocka_unit_test(test_meet_strangers),
		cmocka_unit_test(test_listen_deadline),
		cmocka_unit_test(test_query_1_0),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
