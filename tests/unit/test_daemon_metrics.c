// SPDX-License-Identifier: MIT
/*
 * test_daemon_metrics - the metrics endpoint: libmicrohttpd driven by the
 * daemon's loop on 127.0.0.1, a client in another thread: GET /metrics
 * gets the exposition text of that moment with its content type, other
 * paths 404, other methods 405; label values are escaped. The same over
 * IPv6 on [::1] (skipped where the host has no ::1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics.h"

static int renders;

static void render(void *arg, FILE *f)
{
	const char *const l[] = { "link", "leaf0-spine1", "note", "a \"q\" \\ b\nc", NULL };

	(void)arg;
	renders++;
	fpd_prom_metric_u64(f, "flowpland_test_total", "counter", "Renders so far.",
			    (uint64_t)renders);
	fpd_prom_metric(f, "flowpland_test_ratio", "gauge", "A ratio.", 0.5);
	fpd_prom_family(f, "flowpland_link_load_seconds", "gauge", "A load.");
	fpd_prom_sample(f, "flowpland_link_load_seconds", l, 0.25);
}

struct client {
	bool v6;
	uint16_t port;
	const char *req;
	char resp[8192];
	int done;		/* __atomic: set by the client's thread */
};

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(c->port) };
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6, .sin6_port = htons(c->port),
				    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	size_t len = 0;
	ssize_t r;
	int fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(c->v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (!(c->v6 ? connect(fd, (struct sockaddr *)&sa6, sizeof(sa6)) :
		      connect(fd, (struct sockaddr *)&sa, sizeof(sa))) &&
	    write(fd, c->req, strlen(c->req)) == (ssize_t)strlen(c->req))
		while ((r = read(fd, c->resp + len, sizeof(c->resp) - 1 - len)) > 0)
			len += (size_t)r;
	c->resp[len] = 0;
	close(fd);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELAXED);
	return NULL;
}

static bool use_v6;

static void get(struct fpd_loop *l, struct fpd_metrics *m, const char *req, char *out)
{
	struct client c = { .v6 = use_v6, .port = fpd_metrics_port(m), .req = req };
	pthread_t th;
	int i;

	assert_int_equal(pthread_create(&th, NULL, client_main, &c), 0);
	for (i = 0; i < 1000 && !__atomic_load_n(&c.done, __ATOMIC_RELAXED); i++)
		assert_int_equal(fpd_loop_once(l, 10), 0);
	pthread_join(th, NULL);
	strcpy(out, c.resp);
}

static void test_endpoint(void **state)
{
	struct fp_err err = { "" };
	struct fpd_metrics *m;
	struct fpd_loop l;
	static char out[8192];

	(void)state;
	assert_int_equal(fpd_loop_init(&l), 0);
	m = fpd_metrics_open(&l, "127.0.0.1:0", render, NULL, &err);
	if (!m)
		fail_msg("%s", err.msg);
	assert_true(fpd_metrics_port(m) > 0);

	get(&l, m, "GET /metrics HTTP/1.0\r\n\r\n", out);
	if (!strstr(out, "HTTP/1.1 200 OK\r\n"))
		fail_msg("got: %s", out);
	assert_non_null(strstr(out, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(out, "\r\n\r\n# HELP flowpland_test_total Renders so far.\n"
				    "# TYPE flowpland_test_total counter\n"
				    "flowpland_test_total 1\n"));
	assert_non_null(strstr(out, "\n# HELP flowpland_test_ratio A ratio.\n"
				    "# TYPE flowpland_test_ratio gauge\n"
				    "flowpland_test_ratio 0.5\n"));
	assert_non_null(strstr(out, "flowpland_link_load_seconds{link=\"leaf0-spine1\","
				    "note=\"a \\\"q\\\" \\\\ b\\nc\"} 0.25\n"));

	/* rendered afresh for each request */
	get(&l, m, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out);
	assert_non_null(strstr(out, "flowpland_test_total 2\n"));

	get(&l, m, "GET / HTTP/1.0\r\n\r\n", out);
	assert_non_null(strstr(out, "HTTP/1.1 404 Not Found\r\n"));
	get(&l, m, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n", out);
	assert_non_null(strstr(out, " 405 "));
	get(&l, m, "garbage\r\n\r\n", out);
	assert_int_equal(fpd_metrics_requests(m), 2);
	assert_int_equal(renders, 2);

	fpd_metrics_close(m);
	fpd_loop_fini(&l);
}

/* ::1 to listen on: false (the test skips) where the host has no IPv6 loopback. */
static bool have_v6_loopback(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	bool ok = fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa));

	if (fd >= 0)
		close(fd);
	return ok;
}

static void test_endpoint_v6(void **state)
{
	struct fp_err err = { "" };
	struct fpd_metrics *m;
	struct fpd_loop l;
	static char out[8192];

	(void)state;
	if (!have_v6_loopback()) {
		print_message("no ::1 on this host: the IPv6 listen is not tested\n");
		skip();
	}
	assert_int_equal(fpd_loop_init(&l), 0);
	m = fpd_metrics_open(&l, "[::1]:0", render, NULL, &err);
	if (!m)
		fail_msg("%s", err.msg);
	assert_true(fpd_metrics_port(m) > 0);
	use_v6 = true;
	get(&l, m, "GET /metrics HTTP/1.0\r\n\r\n", out);
	use_v6 = false;
	if (!strstr(out, "HTTP/1.1 200 OK\r\n"))
		fail_msg("got: %s", out);
	assert_non_null(strstr(out, "\n# TYPE flowpland_test_total counter\n"));
	assert_int_equal(fpd_metrics_requests(m), 1);
	fpd_metrics_close(m);
	/* an IPv6 address needs its brackets; a zone or a name is not an address */
	assert_null(fpd_metrics_open(&l, "::1:9000", render, NULL, &err));
	assert_int_equal(errno, EINVAL);
	assert_null(fpd_metrics_open(&l, "[::1%lo]:9000", render, NULL, &err));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err.msg, "metrics: '[::1%lo]:9000' is not ADDR:PORT");
	fpd_loop_fini(&l);
}

static void test_bad_listen(void **state)
{
	struct fp_err err = { "" };
	struct fpd_metrics *m, *m2;
	struct fpd_loop l;
	char addr[32];

	(void)state;
	assert_int_equal(fpd_loop_init(&l), 0);
	assert_null(fpd_metrics_open(&l, "localhost:80", render, NULL, &err));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err.msg, "metrics: 'localhost:80' is not ADDR:PORT");
	/* a port in use */
	m = fpd_metrics_open(&l, "127.0.0.1:0", render, NULL, &err);
	assert_non_null(m);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", fpd_metrics_port(m));
	m2 = fpd_metrics_open(&l, addr, render, NULL, &err);
	assert_null(m2);
	assert_non_null(strstr(err.msg, "metrics: cannot listen on 127.0.0.1:"));
	fpd_metrics_close(m);
	fpd_loop_fini(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_endpoint_v6),
		cmocka_unit_test(test_bad_listen),
	};

	return cmocka_run_group_tests_name("daemon_metrics", tests, NULL, NULL);
}
