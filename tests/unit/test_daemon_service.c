// SPDX-License-Identifier: MIT
/*
 * test_daemon_service - the daemon's contract with systemd, on a real
 * notification socket: READY=1 with a STATUS once it runs, WATCHDOG=1 at
 * half of WATCHDOG_USEC, SIGHUP -> RELOADING=1 then READY=1 (a broken file
 * is refused and the daemon goes on), SIGTERM -> STOPPING=1 and exit 0.
 * The daemon runs in a child process (signals are process-wide), with an
 * in-memory module table.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fpd.h"

static int f_open(void *c, struct fp_err *e) { (void)c; (void)e; return 0; }
static void f_close(void *c) { (void)c; }
static int f_get(void *c, struct fp_hostplan *hp, struct fp_err *e)
{
	(void)c; (void)e;
	memset(hp, 0, sizeof(*hp));
	return 0;
}
static int f_set(void *c, const struct fp_hostplan *hp, uint64_t g, struct fp_err *e)
{
	(void)c; (void)hp; (void)g; (void)e;
	return 0;
}
static int f_cnt(void *c, struct fpd_fcount **o, size_t *n, struct fp_err *e)
{
	(void)c; (void)e;
	*o = NULL;
	*n = 0;
	return 0;
}
static int f_fd(void *c) { (void)c; return -1; }
static int f_ev(void *c, struct fpd_kev *ev, struct fp_err *e) { (void)c; (void)ev; (void)e; return EAGAIN; }
static int f_w(void *c, bool *ch, bool *p)
{
	(void)c;
	*ch = false;
	*p = true;
	return 0;
}

static const struct fpd_kmod_ops fake_ops = {
	.open = f_open, .close = f_close, .get_plan = f_get, .set_plan = f_set,
	.get_counters = f_cnt, .event_fd = f_fd, .read_event = f_ev,
	.watch_fd = f_fd, .read_watch = f_w,
};

static char dir[64], conf_path[128], notify_path[128];

static void write_conf(const char *extra)
{
	FILE *f = fopen(conf_path, "w");

	assert_non_null(f);
	fprintf(f, "[daemon]\nsocket = %s/daemon.sock\nmetrics = off\nlog_level = err\n"
		   "[observe]\nreport_dir = %s\n%s", dir, dir, extra);
	fclose(f);
}

static int child(void)
{
	struct fp_err err = { "" };
	struct fpd_conf c;
	static struct fpd d;
	int ret;

	if (fpd_signals_block())
		return 10;
	fpd_conf_default(&c);
	if (fpd_conf_load(conf_path, &c, &err))
		return 11;
	if (fpd_init(&d, &c, conf_path, &fake_ops, NULL, &err)) {
		fprintf(stderr, "%s: %s\n", __func__, err.msg);
		return 12;
	}
	ret = fpd_run(&d);
	fpd_fini(&d);
	return ret ? 13 : 0;
}

/* The next notification, within @ms; "" on time-out. */
static const char *next(int fd, int ms)
{
	static char buf[512];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	buf[0] = 0;
	if (poll(&p, 1, ms) != 1)
		return buf;
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

/* Skip watchdog pings; the next other notification. */
static const char *next_not_watchdog(int fd, int ms)
{
	const char *s;

	do
		s = next(fd, ms);
	while (!strcmp(s, "WATCHDOG=1"));
	return s;
}

static void test_systemd_contract(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *s;
	pid_t pid;
	int fd, st, i, dogs = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fpd-svc-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(conf_path, sizeof(conf_path), "%s/flowpland.conf", dir);
	snprintf(notify_path, sizeof(notify_path), "%s/notify", dir);
	write_conf("");
	strcpy(sa.sun_path, notify_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);

	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		char us[32];

		setenv("NOTIFY_SOCKET", notify_path, 1);
		snprintf(us, sizeof(us), "%d", (int)getpid());
		setenv("WATCHDOG_PID", us, 1);
		setenv("WATCHDOG_USEC", "200000", 1);
		_exit(child());
	}
	s = next(fd, 5000);
	if (strncmp(s, "READY=1\nSTATUS=", 15))
		fail_msg("first notification: '%s'", s);
	/* pings at half the watchdog time: several in a second */
	for (i = 0; i < 10; i++)
		dogs += !strcmp(next(fd, 300), "WATCHDOG=1");
	assert_true(dogs >= 5);

	kill(pid, SIGHUP);
	assert_string_equal(next_not_watchdog(fd, 3000), "RELOADING=1");
	assert_string_equal(next_not_watchdog(fd, 3000), "READY=1");

	/* a broken file: refused, the daemon goes on */
	write_conf("[plan]\nmax_split = 99\n");
	kill(pid, SIGHUP);
	assert_string_equal(next_not_watchdog(fd, 3000), "RELOADING=1");
	assert_string_equal(next_not_watchdog(fd, 3000), "READY=1");
	assert_string_equal(next(fd, 500), "WATCHDOG=1");

	kill(pid, SIGTERM);
	assert_string_equal(next_not_watchdog(fd, 3000), "STOPPING=1");
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(fd);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_systemd_contract),
	};

	return cmocka_run_group_tests_name("daemon_service", tests, NULL, NULL);
}
