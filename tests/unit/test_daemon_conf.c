// SPDX-License-Identifier: MIT
/*
 * test_daemon_conf - the configuration parser: the shipped file is the
 * defaults, every value type and its errors (FILE:LINE, range, units,
 * duplicates, unknown keys and sections), nothing half-applied on error,
 * and what fpd_conf_write() prints parses back to the same configuration.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "conf.h"

static int parse(const char *text, struct fpd_conf *c, struct fp_err *err)
{
	return fpd_conf_parse(text, strlen(text), "t.conf", c, err);
}

static void test_shipped_file_is_defaults(void **state)
{
	struct fpd_conf d, c;
	struct fp_err err = { "" };
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/daemon/flowpland.conf",
		 getenv("FLOWPLAN_SRCDIR") ? getenv("FLOWPLAN_SRCDIR") : ".");
	fpd_conf_default(&d);
	fpd_conf_default(&c);
	memset(c.metrics, 0, sizeof(c.metrics));
	c.max_split = 3;
	if (fpd_conf_load(path, &c, &err))
		fail_msg("%s", err.msg);
	assert_memory_equal(&c, &d, sizeof(c));
}

static void test_values(void **state)
{
	struct fp_err err = { "" };
	struct fpd_conf c;

	(void)state;
	fpd_conf_default(&c);
	assert_int_equal(parse("# comment\n; also\n\n[daemon]\r\n"
			       "  socket = /tmp/x.sock  "	/* blanks to trim */
			       "\n"
			       "metrics = [::1]:9100\n"
			       "log_level = debug\n"
			       "[fabric]\n"
			       "topology = leafspine:leaves=2,spines=2,hosts=1\n"
			       "[plan]\nschedule = ring-allreduce:bytes=1G;alltoall:bytes=1M\n"
			       "max_split = 16\nenforce = on\nholddown = 1.5s\n"
			       "[observe]\nreport_interval = 100ms\nphase_window = 250us\n"
			       "min_bytes = 64K\nidle = 2m\n"
			       "[faults]\nslow_ratio = 0.25\ncounters_interval = 0\n",
			       &c, &err), 0);
	assert_string_equal(c.socket, "/tmp/x.sock");
	assert_string_equal(c.metrics, "[::1]:9100");
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_string_equal(c.topology, "leafspine:leaves=2,spines=2,hosts=1");
	assert_string_equal(c.schedule, "ring-allreduce:bytes=1G;alltoall:bytes=1M");
	assert_int_equal(c.max_split, 16);
	assert_true(c.enforce);
	assert_int_equal(c.holddown_ns, 1500000000ull);
	assert_int_equal(c.report_interval_ns, 100000000ull);
	assert_int_equal(c.window_ns, 250000ull);
	assert_int_equal(c.min_bytes, 65536);
	assert_int_equal(c.idle_ns, 120000000000ull);
	assert_true(c.slow_ratio == 0.25);
	assert_int_equal(c.counters_interval_ns, 0);

	assert_int_equal(parse("[daemon]\nmetrics = off\n", &c, &err), 0);
	assert_string_equal(c.metrics, "");
	assert_int_equal(parse("[daemon]\nmetrics = 0.0.0.0:1\n", &c, &err), 0);
	assert_string_equal(c.metrics, "0.0.0.0:1");
}

static const struct {
	const char *text, *msg;
	int ret;
} bad[] = {
	{ "socket = /x\n", "t.conf:1: socket outside any [section]", EINVAL },
	{ "[daemon\n", "t.conf:1: a section line is [NAME]", EINVAL },
	{ "[]\n", "t.conf:1: a section line is [NAME]", EINVAL },
	{ "[core]\n", "t.conf:1: unknown section [core]", EINVAL },
	{ "[daemon]\nsockt = /x\n", "t.conf:2: unknown key 'sockt' in [daemon]", EINVAL },
	{ "[plan]\ntopology = x\n", "t.conf:2: unknown key 'topology' in [plan]", EINVAL },
	{ "[daemon]\nsocket /x\n", "t.conf:2: expected KEY = VALUE", EINVAL },
	{ "[daemon]\n= /x\n", "t.conf:2: empty key", EINVAL },
	{ "[daemon]\nsocket = x.sock\n", "t.conf:2: socket must be an absolute path", EINVAL },
	{ "[daemon]\nmode = lokal\n", "t.conf:2: mode must be local, agent or planner", EINVAL },
	{ "[cluster]\nreplicas = 7\n", "t.conf:2: replicas = 7 is out of range (1 to 5)", ERANGE },
	{ "[cluster]\nlease = 100ms\n", "t.conf:2: lease = 100ms is out of range (0.3 to 600 s)", ERANGE },
	{ "[daemon]\nlog_level = loud\n", "t.conf:2: log_level must be", EINVAL },
	{ "[daemon]\nmetrics = 9464\n", "t.conf:2: metrics must be off", EINVAL },
	{ "[daemon]\nmetrics = 1.2.3.4:0\n", "t.conf:2: metrics must be off", EINVAL },
	{ "[daemon]\nmetrics = 1.2.3.4:65536\n", "t.conf:2: metrics must be off", EINVAL },
	{ "[daemon]\nmetrics = host:80\n", "t.conf:2: metrics must be off", EINVAL },
	{ "[daemon]\nmetrics = [::1:80\n", "t.conf:2: metrics must be off", EINVAL },
	{ "[plan]\nmax_split = 17\n", "t.conf:2: max_split = 17 is out of range (1 to 16)", ERANGE },
	{ "[plan]\nmax_split = 0\n", "t.conf:2: max_split = 0 is out of range", ERANGE },
	{ "[plan]\nmax_split = 2.5\n", "t.conf:2: max_split must be a whole number", EINVAL },
	{ "[plan]\nmax_split = -1\n", "t.conf:2: max_split: '-1' is not a number", EINVAL },
	{ "[plan]\nmax_split = 0x4\n", "t.conf:2: max_split: '0x4' is not a number", EINVAL },
	{ "[plan]\nmax_split = nan\n", "t.conf:2: max_split: 'nan' is not a number", EINVAL },
	{ "[plan]\nmax_split =\n", "t.conf:2: max_split: '' is not a number", EINVAL },
	{ "[plan]\nenforce = maybe\n", "t.conf:2: enforce must be yes or no", EINVAL },
	{ "[plan]\nholddown = 2h\n", "t.conf:2: holddown: '2h' is not a duration", EINVAL },
	{ "[plan]\nholddown = 2 s\n", "t.conf:2: holddown: '2 s' is not a duration", EINVAL },
	{ "[plan]\nholddown = 61m\n", "t.conf:2: holddown = 61m is out of range (0 to 3600 s)", ERANGE },
	{ "[observe]\nreport_interval = 0\n", "t.conf:2: report_interval = 0 is out of range", ERANGE },
	{ "[observe]\nphase_window = 1000.5ns\n", "t.conf:2: phase_window must be a whole number of nanoseconds", EINVAL },
	{ "[observe]\nmin_bytes = 1.5\n", "t.conf:2: min_bytes must be a whole number of bytes", EINVAL },
	{ "[observe]\nmin_bytes = 2T\n", "t.conf:2: min_bytes = 2T is out of range", ERANGE },
	{ "[observe]\nmin_bytes = 4k\n", "t.conf:2: min_bytes: '4k' is not a size", EINVAL },
	{ "[faults]\nslow_ratio = 1\n", "t.conf:2: slow_ratio = 1 is out of range", ERANGE },
	{ "[faults]\nslow_ratio = 1e999\n", "t.conf:2: slow_ratio: '1e999' is not a number", EINVAL },
	{ "[faults]\nintervals = 3\n[faults]\nintervals = 4\n", "t.conf:4: intervals is set twice in [faults]", EINVAL },
	{ "[plan]\nmin_bytes = 1\n", "t.conf:2: unknown key 'min_bytes' in [plan]", EINVAL },
};

static void test_errors(void **state)
{
	struct fpd_conf c, before;
	struct fp_err err;
	size_t i;

	(void)state;
	fpd_conf_default(&c);
	before = c;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret;

		memset(&err, 0, sizeof(err));
		ret = parse(bad[i].text, &c, &err);
		if (ret != bad[i].ret || strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("case %zu: got %d '%s', want %d '%s'", i, ret, err.msg,
				 bad[i].ret, bad[i].msg);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

static void test_nothing_half_applied(void **state)
{
	struct fpd_conf c, before;
	struct fp_err err = { "" };

	(void)state;
	fpd_conf_default(&c);
	before = c;
	assert_int_equal(parse("[plan]\nmax_split = 4\nenforce = perhaps\n", &c, &err), EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_limits(void **state)
{
	struct fp_err err = { "" };
	struct fpd_conf c;
	char *big;

	(void)state;
	fpd_conf_default(&c);
	big = malloc(FPD_CONF_MAX + 1);
	assert_non_null(big);
	memset(big, '#', FPD_CONF_MAX + 1);
	assert_int_equal(fpd_conf_parse(big, FPD_CONF_MAX + 1, "big", &c, &err), EFBIG);
	/* a line that does not fit */
	memset(big, 'a', 5000);
	assert_int_equal(fpd_conf_parse(big, 5000, "long", &c, &err), EINVAL);
	assert_string_equal(err.msg, "long:1: line longer than 4095 bytes");
	/* a NUL inside */
	assert_int_equal(fpd_conf_parse("[plan]\nenf\0rce = yes\n", 21, "nul", &c, &err), EINVAL);
	assert_string_equal(err.msg, "nul:2: NUL byte in the line");
	/* a string too long for its field */
	memset(big, 0, 400);
	strcpy(big, "[fabric]\ntopology = ");
	memset(big + strlen(big), 'x', 300);
	assert_int_equal(parse(big, &c, &err), EINVAL);
	assert_non_null(strstr(err.msg, "at most 255 allowed"));
	free(big);
	assert_int_equal(fpd_conf_load("/nonexistent/flowpland.conf", &c, &err), ENOENT);
	assert_string_equal(err.msg, "/nonexistent/flowpland.conf: No such file or directory");
	assert_int_equal(fpd_conf_load("/", &c, &err), EINVAL);
}

static void test_write_round_trip(void **state)
{
	struct fp_err err = { "" };
	struct fpd_conf c, d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	fpd_conf_default(&c);
	assert_int_equal(parse("[daemon]\nmetrics = off\nlog_level = warning\n"
			       "[plan]\nholddown = 250ms\nenforce = yes\n"
			       "[observe]\nphase_window = 1500ns\nidle = 90s\nmin_bytes = 3M\n"
			       "[faults]\nslow_ratio = 0.05\n", &c, &err), 0);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	fpd_conf_write(&c, f);
	fclose(f);
	/* onto other values: everything must be written */
	memset(&d, 0, sizeof(d));
	fpd_conf_default(&d);
	d.max_split = 2;
	d.enforce = false;
	strcpy(d.metrics, "1.1.1.1:1");
	if (fpd_conf_parse(buf, len, "written", &d, &err))
		fail_msg("%s\n%s", err.msg, buf);
	assert_memory_equal(&c, &d, sizeof(c));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_file_is_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nothing_half_applied),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_write_round_trip),
	};

	return cmocka_run_group_tests_name("daemon_conf", tests, NULL, NULL);
}
