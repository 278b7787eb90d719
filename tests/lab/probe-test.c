// SPDX-License-Identifier: MIT
/*
 * probe-test - the prober's parts that need no fabric, built with ASan and
 * UBSan: the port map it writes reads back through the planner's reader
 * (resolved, unresolved, off-topology and unmapped hops), router maps load
 * or fail naming the line, bad input is refused, and without CAP_NET_RAW
 * probing fails naming the capability. Exit 0 when all pass.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "planner/portmap.h"
#include "probe/probe.h"
#include "planner/topo.h"
#include "planner/util.h"

static int failed;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		printf("FAIL: %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		putchar('\n');						\
		failed++;						\
	}								\
} while (0)

static uint32_t ip(const char *s)
{
	uint32_t a = 0;

	fp_parse_ipv4(s, &a);
	return a;
}

static char *write_tmp(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/fp-probe-test.XXXXXX");
	fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("tmp file");
		exit(1);
	}
	close(fd);
	return path;
}

/* Index of the path via @spine among the leaf0 -> leaf1 paths. */
static int spine_path(struct fp_topo *t, const char *spine)
{
	struct fp_pathset ps = fp_topo_paths(t, fp_topo_find(t, "leaf0"),
					     fp_topo_find(t, "leaf1"));
	int i;

	for (i = 0; i < ps.n; i++)
		if (!strcmp(t->nodes[t->links[ps.p[i].link[0]].to].name, spine))
			return i;
	return -1;
}

static void test_portmap_roundtrip(void)
{
	struct fp_probe_router rt[] = {
		{ ip("198.19.0.1"), "leaf0" }, { ip("198.19.0.2"), "leaf1" },
		{ ip("198.19.0.3"), "spine0" }, { ip("198.19.0.4"), "spine1" },
	};
	struct fp_probe_cfg cfg = { .routers = rt, .nrouters = 4 };
	struct fp_probe_result res[] = { { 49153, 0 }, { 49154, 1 }, { 49155, 2 }, { 49156, 3 } };
	struct fp_probe_pair p[2];
	struct fp_portmap *pm = NULL;
	struct fp_topo *t = NULL;
	const struct fp_pm_row *r;
	struct fp_err err = { "" };
	char *text = NULL;
	size_t len = 0, n;
	FILE *f;
	int rc;

	memset(p, 0, sizeof(p));
	p[0].src = ip("198.18.0.1");
	p[0].dst = ip("198.18.0.2");
	p[0].hops = 3;
	p[0].npaths = 2;
	p[0].resolved = false;
	snprintf(p[0].why, sizeof(p[0].why), "test");
	p[0].nfound = 4;
	p[0].paths[0] = (struct fp_probe_path){ { rt[0].addr, rt[2].addr, rt[1].addr }, 1, false };
	p[0].paths[1] = (struct fp_probe_path){ { rt[0].addr, rt[3].addr, rt[1].addr }, 1, false };
	/* a path the topology does not have, and one through an unknown router */
	p[0].paths[2] = (struct fp_probe_path){ { rt[0].addr, rt[0].addr, rt[1].addr }, 1, true };
	p[0].paths[3] = (struct fp_probe_path){ { rt[0].addr, ip("10.9.9.9"), rt[1].addr },
						1, false };
	p[0].res = res;
	p[0].nres = 4;
	p[1].src = ip("198.18.0.2");
	p[1].dst = ip("198.18.0.1");
	p[1].hops = 3;
	snprintf(p[1].why, sizeof(p[1].why), "no reply from hop 1 after 6 tries");

	f = open_memstream(&text, &len);
	CHECK(f && !fp_probe_write_portmap(f, &cfg, p, 2, true), "write");
	fclose(f);
	CHECK(!strncmp(text, "# flowplan-portmap 1\n", 21), "header: %.30s", text);
	CHECK(strstr(text, "49155: path leaf0,leaf0,leaf1 is not a live shortest path"),
	      "off-topology path commented:\n%s", text);
	CHECK(strstr(text, "49156: hop 10.9.9.9 is not in the router map"),
	      "unmapped hop commented:\n%s", text);
	CHECK(strstr(text, "# 198.18.0.2 198.18.0.1: no reply from hop 1"),
	      "why of the unresolved pair:\n%s", text);

	rc = fp_topo_load("leafspine:leaves=2,spines=2,hosts=1", &t, &err);
	CHECK(!rc, "topology: %s", err.msg);
	if (rc)
		goto out;
	rc = fp_portmap_parse(text, "probe-output", t, &pm, &err);
	CHECK(!rc, "the planner reads the prober's map: %s\n%s", err.msg, text);
	if (rc)
		goto out;
	r = fp_portmap_pair(pm, p[0].src, p[0].dst, &n);
	CHECK(n == 2, "two rows for the resolved pair, got %zu", n);
	if (n == 2) {
		CHECK(r[0].sport == 49153 && r[0].path == spine_path(t, "spine0"),
		      "49153 via spine0 (path %d)", r[0].path);
		CHECK(r[1].sport == 49154 && r[1].path == spine_path(t, "spine1"),
		      "49154 via spine1 (path %d)", r[1].path);
	}
	r = fp_portmap_pair(pm, p[1].src, p[1].dst, &n);
	CHECK(n == 1 && r[0].path == -1 && r[0].sport == 0, "unresolved row");
out:
	if (pm)
		fp_portmap_free(pm);
	if (t)
		fp_topo_free(t);
	free(text);
}

static void test_routers(void)
{
	struct fp_probe_router *r = NULL;
	struct fp_err err = { "" };
	size_t n = 0;
	char *path;
	int rc;

	path = write_tmp("# lab routers\n198.19.0.1 leaf0\n\n  198.19.0.2\tspine0\n");
	rc = fp_probe_routers_load(path, &r, &n, &err);
	CHECK(!rc && n == 2 && r[1].addr == ip("198.19.0.2") && !strcmp(r[1].name, "spine0"),
	      "router map: rc %d n %zu %s", rc, n, err.msg);
	if (!rc)
		fp_probe_routers_free(r, n);
	unlink(path);

	path = write_tmp("198.19.0.1 leaf0\n198.19.0.300 spine0\n");
	rc = fp_probe_routers_load(path, &r, &n, &err);
	CHECK(rc == EINVAL && strstr(err.msg, ":2: "), "bad line named: rc %d \"%s\"", rc,
	      err.msg);
	unlink(path);
}

static void test_bad_input(void)
{
	uint16_t port = 49153;
	struct fp_probe_cfg cfg = { .ports = &port, .nports = 1 };
	struct fp_probe_pair p = { .src = ip("198.18.0.1"), .dst = ip("198.18.0.2") };
	struct fp_err err = { "" };

	CHECK(fp_probe_run(&cfg, &p, 1, NULL, &err) == EINVAL && strstr(err.msg, "hops"),
	      "hops 0 refused: %s", err.msg);
	p.hops = FP_PROBE_MAX_HOPS + 1;
	CHECK(fp_probe_run(&cfg, &p, 1, NULL, &err) == EINVAL, "too many hops refused");
	p.hops = 3;
	cfg.nports = 0;
	CHECK(fp_probe_run(&cfg, &p, 1, NULL, &err) == EINVAL, "no ports refused");
}

/* Only meaningful without CAP_NET_RAW (check.sh runs it as nobody). */
static void test_unprivileged(void)
{
	uint16_t port = 49153;
	struct fp_probe_cfg cfg = { .ports = &port, .nports = 1 };
	struct fp_probe_pair p = { .src = ip("198.18.0.1"), .dst = ip("198.18.0.2"),
				   .hops = 3 };
	struct fp_err err = { "" };
	int rc = fp_probe_run(&cfg, &p, 1, NULL, &err);

	CHECK(rc == EPERM && strstr(err.msg, "CAP_NET_RAW"), "rc %d \"%s\"", rc, err.msg);
	fp_probe_pair_release(&p);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "unprivileged")) {
		test_unprivileged();
	} else {
		test_portmap_roundtrip();
		test_routers();
		test_bad_input();
	}
	return failed ? 1 : 0;
}
