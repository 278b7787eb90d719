// SPDX-License-Identifier: MIT
/*
 * Hostile input to every planner reader: the table of docs/hostile-input.md
 * row by row (what is refused, and the message that says why). Each row is
 * parsed in a child process so that a crash fails only its row and names it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "planner/share.h"
#include "planner/util.h"
#include "planner_util.h"

enum kind { TOPO_FILE, TOPO_GEN, SCHED_FILE, SCHED_GEN };

struct row {
	enum kind kind;
	const char *name, *input, *want;
};

#define T(body) "{\"format\":\"flowplan-topology\",\"version\":1," body "}"
#define OK_SW "\"switches\":[{\"name\":\"l0\",\"tier\":1}]"
#define OK_HOSTS "\"hosts\":[{\"name\":\"a\",\"nics\":[{\"name\":\"a0\"}]}]"
#define LINK(g) "\"links\":[{\"a\":\"a0\",\"b\":\"l0\",\"gbps\":" g "}]"
#define S(body) "{\"format\":\"flowplan-schedule\",\"version\":1," body "}"
#define FLOW(extra) "\"phases\":[{\"flows\":[{\"src\":\"h0.n0\",\"dst\":\"h1.n0\",\"bytes\":1" extra "}]}]"

static const struct row rows[] = {
	/* JSON null where a string is expected */
	{ TOPO_FILE, "format null", "{\"format\":null,\"version\":1}", "\"format\" must be" },
	{ TOPO_FILE, "name null", T("\"name\":null," OK_SW "," OK_HOSTS "," LINK("100")),
	  "name: expected a string" },
	{ TOPO_FILE, "hash.fn null", T("\"hash\":{\"fn\":null}," OK_SW "," OK_HOSTS "," LINK("100")),
	  "hash.fn: expected a string" },
	{ TOPO_FILE, "nic addr null",
	  T(OK_SW ",\"hosts\":[{\"name\":\"a\",\"nics\":[{\"name\":\"a0\",\"addr\":null}]}]," LINK("100")),
	  "addr: expected a string" },
	{ TOPO_FILE, "nic addrs null",
	  T(OK_SW ",\"hosts\":[{\"name\":\"a\",\"nics\":[{\"name\":\"a0\",\"addrs\":null}]}]," LINK("100")),
	  "addrs: expected an array of 1 or 2 addresses" },
	{ TOPO_FILE, "nic addrs element null",
	  T(OK_SW ",\"hosts\":[{\"name\":\"a\",\"nics\":[{\"name\":\"a0\",\"addrs\":[null]}]}]," LINK("100")),
	  "addrs[0]: expected a string" },
	{ TOPO_FILE, "switch name null", T("\"switches\":[{\"name\":null,\"tier\":1}]"),
	  "expected a non-empty string" },
	{ SCHED_FILE, "format null", "{\"format\":null,\"version\":1}", "\"format\" must be" },
	{ SCHED_FILE, "name null", S("\"name\":null," FLOW("")), "name: expected a string" },
	{ SCHED_FILE, "phase name null", S("\"phases\":[{\"name\":null,\"flows\":[]}]"),
	  "phases[0].name: expected a string" },
	{ SCHED_FILE, "job null", S(FLOW(",\"job\":null")), "job: expected a string" },
	{ SCHED_FILE, "src null", S("\"phases\":[{\"flows\":[{\"src\":null,\"dst\":\"h1.n0\",\"bytes\":1}]}]"),
	  "missing \"src\"" },
	/* link capacities that are no capacity */
	{ TOPO_FILE, "gbps 0", T(OK_SW "," OK_HOSTS "," LINK("0")), "gbps: expected a capacity" },
	{ TOPO_FILE, "gbps -0", T(OK_SW "," OK_HOSTS "," LINK("-0.0")), "gbps: expected a capacity" },
	{ TOPO_FILE, "gbps NaN", T(OK_SW "," OK_HOSTS "," LINK("NaN")), "gbps: expected a capacity" },
	{ TOPO_FILE, "gbps Infinity", T(OK_SW "," OK_HOSTS "," LINK("Infinity")), "gbps: expected a capacity" },
	{ TOPO_FILE, "gbps subnormal", T(OK_SW "," OK_HOSTS "," LINK("4e-320")), "gbps: expected a capacity" },
	{ TOPO_FILE, "gbps tiny", T(OK_SW "," OK_HOSTS "," LINK("1e-9")), "gbps: expected a capacity" },
	{ TOPO_FILE, "gbps a string", T(OK_SW "," OK_HOSTS "," LINK("\"100\"")), "gbps: expected a capacity" },
	{ TOPO_FILE, "gbps missing", T(OK_SW "," OK_HOSTS ",\"links\":[{\"a\":\"a0\",\"b\":\"l0\"}]"),
	  "gbps: expected a capacity" },
	{ TOPO_GEN, "host_gbps nan", "leafspine:leaves=2,spines=1,hosts=1,host_gbps=nan", "host_gbps" },
	{ TOPO_GEN, "up_gbps inf", "leafspine:leaves=2,spines=1,hosts=1,up_gbps=inf", "up_gbps" },
	{ TOPO_GEN, "up_gbps 0", "leafspine:leaves=2,spines=1,hosts=1,up_gbps=0", "up_gbps" },
	{ TOPO_GEN, "host_gbps tiny", "leafspine:leaves=2,spines=1,hosts=1,host_gbps=1e-300", "host_gbps" },
	/* byte counts a signed 64-bit field cannot hold */
	{ SCHED_FILE, "bytes 2^63", S("\"phases\":[{\"flows\":[{\"src\":\"h0.n0\",\"dst\":\"h1.n0\",\"bytes\":9223372036854775808}]}]"),
	  "bytes: 9223372036854775808 is 2^63 or more" },
	{ SCHED_FILE, "bytes 2^64", S("\"phases\":[{\"flows\":[{\"src\":\"h0.n0\",\"dst\":\"h1.n0\",\"bytes\":18446744073709551616}]}]"),
	  "is 2^63 or more" },
	{ SCHED_FILE, "bytes 0", S("\"phases\":[{\"flows\":[{\"src\":\"h0.n0\",\"dst\":\"h1.n0\",\"bytes\":0}]}]"),
	  "bytes: expected a positive integer" },
	{ SCHED_FILE, "bytes float", S("\"phases\":[{\"flows\":[{\"src\":\"h0.n0\",\"dst\":\"h1.n0\",\"bytes\":1.5}]}]"),
	  "bytes: expected a positive integer" },
	{ SCHED_GEN, "bytes 8E", "ring-allreduce:bytes=8388608T", "bytes: 8388608T is 2^63 bytes or more" },
	{ SCHED_GEN, "bytes 16E", "ring-allreduce:bytes=16777216T", "bytes: \"16777216T\" is not a size" },
	{ SCHED_GEN, "per-flow overflow", "ring-allreduce:bytes=8388607T",
	  "2^63 bytes or more per flow" },
	/* generator parameters */
	{ SCHED_GEN, "stride 0", "ring-allreduce:bytes=1M,stride=0", "stride: \"0\" must be" },
	{ SCHED_GEN, "count past hosts", "ring-allreduce:bytes=1M,count=5", "count: \"5\" must be" },
	{ TOPO_GEN, "no colon", "leafspine", "expected leafspine:... or fattree:..." },
	{ TOPO_GEN, "seed past 32 bits", "leafspine:leaves=2,spines=1,hosts=1,seed=4294967296",
	  "seed: 4294967296 is out of range 0..4294967295" },
	{ TOPO_GEN, "leaves past 10^6", "leafspine:leaves=2000000,spines=1,hosts=1", "is too large" },
	{ TOPO_GEN, "fabric too large", "leafspine:leaves=1000,spines=2,hosts=2000", "fabric too large" },
	{ TOPO_GEN, "odd k", "fattree:k=5", "k must be even" },
};

static void parse_row(const struct row *r)
{
	struct fp_topo *t = NULL, *net = NULL;
	struct fp_sched *s = NULL;
	struct fp_err err = { "" };
	int rc;

	if (r->kind == SCHED_FILE || r->kind == SCHED_GEN)
		fp_topo_generate("leafspine:leaves=2,spines=1,hosts=2", &net, &err);
	switch (r->kind) {
	case TOPO_FILE:
		rc = fp_topo_parse(r->input, strlen(r->input), "t", &t, &err);
		break;
	case TOPO_GEN:
		rc = fp_topo_generate(r->input, &t, &err);
		break;
	case SCHED_FILE:
		rc = fp_sched_parse(r->input, strlen(r->input), "s", net, &s, &err);
		break;
	default:
		rc = fp_sched_generate(r->input, net, &s, &err);
	}
	if (!rc) {
		printf("%s: accepted\n", r->name);
		exit(1);
	}
	if (!strstr(err.msg, r->want)) {
		printf("%s: \"%s\" does not say \"%s\"\n", r->name, err.msg, r->want);
		exit(1);
	}
	fp_topo_free(t);
	fp_topo_free(net);
	fp_sched_free(s);
	exit(0);
}

static void test_table(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		pid_t pid;
		int st;

		fflush(stdout);
		pid = fork();
		if (!pid)
			parse_row(&rows[i]);
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			if (!WIFEXITED(st))
				printf("%s: crashed (signal %d)\n", rows[i].name, WTERMSIG(st));
			bad++;
		}
	}
	if (bad)
		fail_msg("%zu of %zu hostile inputs not refused as the table says", bad,
			 sizeof(rows) / sizeof(rows[0]));
}

/* Files: not regular ones, and ones past the readers' limits. */
static void test_files(void **state)
{
	char dir[] = "/tmp/fp-hostile-XXXXXX", path[128], cmd[160];
	struct fp_topo *t = NULL, *net;
	struct fp_sched *s = NULL;
	struct fp_err err = { "" };
	int rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(fp_topo_load("/dev/zero", &t, &err), EINVAL);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(fp_topo_load(path, &t, &err), EINVAL);	/* without blocking */
	/* A sparse file one byte past the limit: refused before reading. */
	snprintf(path, sizeof(path), "%s/big.json", dir);
	assert_int_equal(truncate(path, 0) == 0 || errno == ENOENT, 1);
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fclose(f);
	}
	assert_int_equal(truncate(path, (off_t)FP_TOPO_FILE_MAX + 1), 0);
	assert_int_equal(fp_topo_load(path, &t, &err), EFBIG);
	fp_topo_generate("leafspine:leaves=2,spines=1,hosts=2", &net, &err);
	assert_int_equal(truncate(path, (off_t)FP_SCHED_FILE_MAX + 1), 0);
	rc = fp_sched_load(path, net, &s, &err);
	assert_int_equal(rc, EFBIG);
	assert_null(t);
	fp_topo_free(net);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * A file whose name looks like a generator's spec (a colon, an equals
 * sign) is read as a file when it exists: a topology file so named is
 * parsed, and one past the size limit is refused for its size, not handed
 * to the generator.
 */
static void test_file_named_like_a_spec(void **state)
{
	char dir[] = "/tmp/fp-hostile-XXXXXX", path[128], cmd[160];
	struct fp_topo *g = gen_topo("leafspine:leaves=2,spines=1,hosts=3"), *t = NULL;
	struct fp_err err = { "" };
	char *json = fp_topo_to_json(g, false);
	FILE *f;

	(void)state;
	assert_non_null(json);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/leafspine:leaves=9.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(json, f) >= 0);
	assert_int_equal(fclose(f), 0);
	if (fp_topo_load(path, &t, &err))
		fail_msg("%s: %s", path, err.msg);
	assert_int_equal(t->nnodes, g->nnodes);
	assert_int_equal(t->nhosts, 6);
	fp_topo_free(t);
	t = NULL;
	assert_int_equal(truncate(path, (off_t)FP_TOPO_FILE_MAX + 1), 0);
	assert_int_equal(fp_topo_load(path, &t, &err), EFBIG);
	assert_null(t);
	free(json);
	fp_topo_free(g);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_file_named_like_a_spec),
	};

	return cmocka_run_group_tests_name("planner_hostile", tests, NULL, NULL);
}
