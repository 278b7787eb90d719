// SPDX-License-Identifier: MIT
/*
 * The planner's file loaders, given paths: a file whose name starts like a
 * generator spec is still read as a file, and a port map file holding a NUL
 * byte is refused (the parsers take C strings: a NUL would cut the file
 * short unseen), a host name one character too long for a share file is
 * refused, a share directory is made with its mode, and a picture that
 * cannot be written is an error. Parsing itself: test_planner_io and test_planner_hostile.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "planner/portmap.h"
#include "planner/svg.h"
#include "planner/util.h"
#include "planner_util.h"

static char dir[32], path[160];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/fp-load-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[200];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? -1 : 0;
}

static const char *put(const char *name, const char *text, size_t len)
{
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

#define TOPO "{\"format\":\"flowplan-topology\",\"version\":1,\"name\":\"%s\"," \
	"\"switches\":[{\"name\":\"l0\",\"tier\":1}]," \
	"\"hosts\":[{\"name\":\"a\",\"nics\":[{\"name\":\"a0\"}]}]," \
	"\"links\":[{\"a\":\"a0\",\"b\":\"l0\",\"gbps\":100}]}"

/* "fattree.json", "leafspine.json": files (only "fattree:"/"leafspine:" generate). */
static void test_topo_named_like_a_spec(void **state)
{
	static const char *const names[] = { "fattree.json", "leafspine.json", "fattree" };
	char cwd[512], text[512];
	size_t i;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct fp_topo *t = NULL;
		struct fp_err err = { "" };
		int n = snprintf(text, sizeof(text), TOPO, names[i]);

		put(names[i], text, (size_t)n);
		assert_int_equal(fp_topo_load(names[i], &t, &err), 0);
		assert_string_equal(t->name, names[i]);
		assert_int_equal(t->nhosts, 1);
		fp_topo_free(t);
	}
	assert_int_equal(chdir(cwd), 0);
}

static void test_portmap_file(void **state)
{
	static const char good[] = "# flowplan-portmap 1\n"
				   "198.18.0.1 198.18.0.2 49153 leaf0,spine0,leaf1\n";
	static const char nul[] = "# flowplan-portmap 1\n"
				  "198.18.0.1 198.18.0.2 49153 leaf0,spine0,leaf1\n\0"
				  "198.18.0.1 198.18.0.2 49154 leaf0,spine1,leaf1\n";
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=1");
	struct fp_portmap *pm = NULL;
	struct fp_err err = { "" };
	const char *p;

	(void)state;
	p = put("good.pm", good, sizeof(good) - 1);
	assert_int_equal(fp_portmap_load(p, t, &pm, &err), 0);
	assert_non_null(pm);
	fp_portmap_free(pm);
	pm = NULL;
	p = put("nul.pm", nul, sizeof(nul) - 1);
	assert_int_equal(fp_portmap_load(p, t, &pm, &err), EINVAL);
	assert_null(pm);
	assert_non_null(strstr(err.msg, "contains a NUL byte"));
	assert_non_null(strstr(err.msg, "nul.pm"));
	fp_topo_free(t);
}

/* Per-host share files: a host name of 200 characters names one, 201 do not. */
static void test_share_name_length(void **state)
{
	static const char fmt[] =
		"{\"format\":\"flowplan-topology\",\"version\":1,\"switches\":[{\"name\":\"l0\",\"tier\":1}],"
		"\"hosts\":[{\"name\":\"%s\",\"nics\":[{\"name\":\"a\"}]},{\"name\":\"b\",\"nics\":[{\"name\":\"b0\"}]}],"
		"\"links\":[{\"a\":\"a\",\"b\":\"l0\",\"gbps\":100},{\"a\":\"b0\",\"b\":\"l0\",\"gbps\":100}]}";
	char name[202], txt[1024], file[300];
	size_t len;

	(void)state;
	for (len = 200; len <= 201; len++) {
		struct fp_topo *t = NULL;
		struct fp_sched *s;
		struct fp_plan *p;
		struct fp_err err = { "" };

		memset(name, 'h', len);
		name[len] = 0;
		snprintf(txt, sizeof(txt), fmt, name);
		assert_int_equal(fp_topo_parse(txt, strlen(txt), "t", &t, &err), 0);
		s = gen_sched("pipeline:bytes=1M", t);
		p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
		snprintf(file, sizeof(file), "%s/%s.share", dir, name);
		if (len == 200) {
			assert_int_equal(fp_plan_write_shares(p, dir, FP_PLAN_COMPACT, &err), 0);
			assert_int_equal(access(file, R_OK), 0);
		} else {
			assert_int_equal(fp_plan_write_shares(p, dir, FP_PLAN_COMPACT, &err), EINVAL);
			assert_non_null(strstr(err.msg, "cannot name a file"));
			assert_int_not_equal(access(file, F_OK), 0);
		}
		fp_plan_free(p);
		fp_sched_free(s);
		fp_topo_free(t);
	}
}

/* A share directory that is not there is made, 0755 less the umask. */
static void test_share_dir_mode(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=1,hosts=1");
	struct fp_sched *s = gen_sched("pipeline:bytes=1M", t);
	struct fp_plan *p = do_plan(t, s, FP_STRAT_FLOWPLAN, 0, 0);
	struct fp_err err = { "" };
	char sub[64];
	struct stat st;
	mode_t mask = umask(022);

	(void)state;
	snprintf(sub, sizeof(sub), "%s/shares", dir);
	assert_int_equal(fp_plan_write_shares(p, sub, FP_PLAN_COMPACT, &err), 0);
	umask(mask);
	assert_int_equal(stat(sub, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	fp_plan_free(p);
	fp_sched_free(s);
	fp_topo_free(t);
}

/* A picture that cannot be written (a full device) says so. */
static void test_picture_write_error(void **state)
{
	struct fp_topo *t = gen_topo("leafspine:leaves=2,spines=2,hosts=1");
	double *load = calloc((size_t)t->nlinks, sizeof(double));
	struct fp_svg_panel pn = { "ecmp", load, 1, 0 };
	struct fp_err err = { "" };
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	if (!f) {
		printf("planner_load: no /dev/full here: skipped\n");
		fp_topo_free(t);
		free(load);
		skip();
	}
	assert_non_null(load);
	assert_int_equal(fp_svg_write(f, t, &pn, 1, 1, &err), EIO);
	assert_non_null(strstr(err.msg, "write error"));
	fclose(f);
	free(load);
	fp_topo_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topo_named_like_a_spec),
		cmocka_unit_test(test_portmap_file),
		cmocka_unit_test(test_share_name_length),
		cmocka_unit_test(test_share_dir_mode),
		cmocka_unit_test(test_picture_write_error),
	};

	return cmocka_run_group_tests_name("planner_load", tests, setup, teardown);
}
