// SPDX-License-Identifier: MIT
/*
 * test_daemon_ctl - the control socket: the request parser (good and bad
 * requests), and the server on a real unix socket in the daemon's loop
 * with a client in another thread: answers in order for pipelined
 * requests, errors from the daemon, bad requests answered then closed,
 * overlong lines, clients that vanish, a stale socket replaced and a live
 * one left alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl.h"

/* ------------------------------------------------------------ parser */

static void test_parse_good(void **state)
{
	static const struct {
		const char *s;
		enum fpd_ctl_cmd cmd;
	} good[] = {
		{ "{\"cmd\":\"status\"}", FPD_CTL_STATUS },
		{ " { \"cmd\" : \"show\" } ", FPD_CTL_SHOW },
		{ "{\"cmd\":\"replan\"}\r", FPD_CTL_REPLAN },
	};
	struct fp_err err = { "" };
	struct fpd_ctl_req r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (fpd_ctl_parse(good[i].s, strlen(good[i].s), &r, &err))
			fail_msg("%s: %s", good[i].s, err.msg);
		assert_int_equal(r.cmd, good[i].cmd);
	}
}

static void test_parse_bad(void **state)
{
	static const struct {
		const char *s, *msg;
	} bad[] = {
		{ "", "request is not JSON: unexpected end" },
		{ "{\"cmd\":", "request is not JSON: unexpected end" },
		{ "status", "request is not JSON" },
		{ "[\"status\"]", "request must be a JSON object" },
		{ "\"status\"", "request must be a JSON object" },
		{ "{}", "request: \"cmd\" must be a string" },
		{ "{\"cmd\":1}", "request: \"cmd\" must be a string" },
		{ "{\"cmd\":null}", "request: \"cmd\" must be a string" },
		{ "{\"cmd\":\"stat\"}", "request: unknown command 'stat'" },
		{ "{\"cmd\":\"status\",\"x\":1}", "request: unknown key 'x'" },
		{ "{\"cmd\":\"status\"} {}", "request has text after its JSON object" },
		{ "{\"cmd\":\"status\"}x", "request has text after its JSON object" },
		{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "request is not JSON" },
	};
	struct fp_err err;
	struct fpd_ctl_req r;
	char big[FPD_CTL_REQ_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(fpd_ctl_parse(bad[i].s, strlen(bad[i].s), &r, &err), EINVAL);
		if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("%s: got '%s', want '%s'", bad[i].s, err.msg, bad[i].msg);
	}
	assert_int_equal(fpd_ctl_parse("{\"cmd\":\"st\0tus\"}", 16, &r, &err), EINVAL);
	assert_string_equal(err.msg, "NUL byte in the request");
	memset(big, ' ', sizeof(big));
	assert_int_equal(fpd_ctl_parse(big, sizeof(big), &r, &err), EINVAL);
	assert_string_equal(err.msg, "request longer than 4096 bytes");
}

/* ------------------------------------------------------------ server */

static char dir[64], path[128];
static int calls;

static json_object *handler(void *arg, const struct fpd_ctl_req *req,
			    const struct ucred *cred, struct fp_err *err)
{
	json_object *o;

	(void)arg;
	calls++;
	if (req->cmd == FPD_CTL_REPLAN) {
		if (cred->uid != 4242)
			snprintf(err->msg, sizeof(err->msg), "replan: permission denied");
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "cmd", json_object_new_string(fpd_ctl_cmd_name(req->cmd)));
	json_object_object_add(o, "pid", json_object_new_int64(cred->pid));
	return o;
}

struct client {
	pthread_t th;
	int done;		/* __atomic: set by the client's thread */
	void (*fn)(struct client *c);
	int ret;
	json_object *resp;
	struct fp_err err;
	char raw[8192];
	size_t rawlen;
	const char *send;
	size_t sendlen;
};

static void *client_main(void *arg)
{
	struct client *c = arg;

	c->fn(c);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void run(struct fpd_loop *l, struct client *c, void (*fn)(struct client *))
{
	int i;

	c->fn = fn;
	c->done = 0;
	assert_int_equal(pthread_create(&c->th, NULL, client_main, c), 0);
	for (i = 0; i < 500 && !__atomic_load_n(&c->done, __ATOMIC_RELAXED); i++)
		assert_int_equal(fpd_loop_once(l, 10), 0);
	pthread_join(c->th, NULL);
	/* let the server see the last close */
	for (i = 0; i < 5; i++)
		fpd_loop_once(l, 10);
}

static void req_status(struct client *c)
{
	c->ret = fpd_ctl_request(path, "status", &c->resp, &c->err);
}

static void req_replan(struct client *c)
{
	c->ret = fpd_ctl_request(path, "replan", &c->resp, &c->err);
}

static void req_bogus(struct client *c)
{
	c->ret = fpd_ctl_request(path, "bogus", &c->resp, &c->err);
}

/* Send c->send raw, read everything until the server closes. */
static void raw(struct client *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ssize_t r;

	strcpy(sa.sun_path, path);
	c->rawlen = 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		c->ret = errno;
		close(fd);
		return;
	}
	c->ret = write(fd, c->send, c->sendlen) == (ssize_t)c->sendlen ? 0 : EIO;
	shutdown(fd, SHUT_WR);
	while ((r = read(fd, c->raw + c->rawlen, sizeof(c->raw) - 1 - c->rawlen)) > 0)
		c->rawlen += (size_t)r;
	c->raw[c->rawlen] = 0;
	close(fd);
}

/* Send c->send and go away without reading. */
static void rude(struct client *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, path);
	c->ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (!c->ret && write(fd, c->send, c->sendlen) < 0)
		c->ret = errno;
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fpd-ctl-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/run/daemon.sock", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void test_server(void **state)
{
	struct fp_err err = { "" };
	struct client c = { 0 };
	struct fpd_loop l;
	struct fpd_ctl *ctl;
	json_object *v;

	(void)state;
	assert_int_equal(fpd_loop_init(&l), 0);
	ctl = fpd_ctl_open(&l, path, handler, NULL, &err);
	if (!ctl)
		fail_msg("%s", err.msg);

	run(&l, &c, req_status);
	assert_int_equal(c.ret, 0);
	assert_true(json_object_object_get_ex(c.resp, "cmd", &v));
	assert_string_equal(json_object_get_string(v), "status");
	assert_true(json_object_object_get_ex(c.resp, "pid", &v));
	assert_int_equal(json_object_get_int64(v), getpid());
	json_object_put(c.resp);

	/* the daemon's refusal comes back as EPERM with its reason */
	run(&l, &c, req_replan);
	assert_int_equal(c.ret, EPERM);
	assert_string_equal(c.err.msg, "flowpland: replan: permission denied");
	assert_null(c.resp);

	run(&l, &c, req_bogus);
	assert_int_equal(c.ret, EINVAL);
	assert_string_equal(c.err.msg, "flowpland: request: unknown command 'bogus' (status, show, replan, probe)");

	/* pipelined requests: answered in order on one connection */
	c.send = "{\"cmd\":\"show\"}\n{\"cmd\":\"status\"}\n";
	c.sendlen = strlen(c.send);
	run(&l, &c, raw);
	assert_int_equal(c.ret, 0);
	assert_non_null(strstr(c.raw, "{\"cmd\":\"show\""));
	assert_true(strstr(c.raw, "\"show\"") < strstr(c.raw, "\"status\""));
	assert_int_equal(strchr(strchr(c.raw, '\n') + 1, '\n')[1], 0);

	/* a bad request: its error, then the connection is closed */
	c.send = "garbage\n{\"cmd\":\"status\"}\n";
	c.sendlen = strlen(c.send);
	calls = 0;
	run(&l, &c, raw);
	assert_string_equal(c.raw, "{\"ok\":false,\"error\":\"request is not JSON: unexpected character\"}\n");
	assert_int_equal(calls, 0);

	/* a line that never ends */
	{
		static char big[FPD_CTL_REQ_MAX + 100];

		memset(big, 'x', sizeof(big));
		c.send = big;
		c.sendlen = sizeof(big);
		run(&l, &c, raw);
		assert_string_equal(c.raw, "{\"ok\":false,\"error\":\"request longer than 4096 bytes\"}\n");
	}

	/* a last request without its newline is still answered */
	c.send = "{\"cmd\":\"status\"}";
	c.sendlen = strlen(c.send);
	run(&l, &c, raw);
	assert_non_null(strstr(c.raw, "\"ok\":true"));

	/* clients that leave without reading */
	c.send = "{\"cmd\":\"show\"}\n";
	c.sendlen = strlen(c.send);
	run(&l, &c, rude);
	run(&l, &c, rude);
	assert_int_equal(fpd_ctl_conns(ctl), 0);

	fpd_ctl_close(ctl);
	assert_int_equal(access(path, F_OK), -1);
	fpd_loop_fini(&l);
}

static void test_socket_path(void **state)
{
	struct fp_err err = { "" };
	struct fpd_ctl *a, *b;
	struct fpd_loop l;
	int fd;

	(void)state;
	assert_int_equal(fpd_loop_init(&l), 0);
	a = fpd_ctl_open(&l, path, handler, NULL, &err);
	assert_non_null(a);
	/* a live daemon keeps its socket */
	b = fpd_ctl_open(&l, path, handler, NULL, &err);
	assert_null(b);
	assert_int_equal(errno, EADDRINUSE);
	assert_non_null(strstr(err.msg, "another flowpland answers there"));
	fpd_ctl_close(a);

	/* a stale socket (nobody listening) is replaced */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		strcpy(sa.sun_path, path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(fd);
	}
	a = fpd_ctl_open(&l, path, handler, NULL, &err);
	assert_non_null(a);
	fpd_ctl_close(a);

	/* something else at the path is left alone */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_null(fpd_ctl_open(&l, path, handler, NULL, &err));
	assert_int_equal(errno, EEXIST);
	unlink(path);

	/* no daemon: the client says so */
	{
		json_object *r;

		assert_int_equal(fpd_ctl_request(path, "status", &r, &err), ENOENT);
		assert_non_null(strstr(err.msg, "flowpland is not running"));
	}
	fpd_loop_fini(&l);
}

static void test_cli_usage(void **state)
{
	char *bad[1] = { "frobnicate" }, *two[2] = { "show", "status" };

	(void)state;
	assert_int_equal(fpd_ctl_cli(1, bad, path, false, false), 1);
	assert_int_equal(fpd_ctl_cli(2, two, path, false, false), 1);
	/* no daemon at the path */
	assert_int_equal(fpd_ctl_cli(0, NULL, path, true, false), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_socket_path),
		cmocka_unit_test(test_cli_usage),
	};

	return cmocka_run_group_tests_name("daemon_ctl", tests, setup, teardown);
}
