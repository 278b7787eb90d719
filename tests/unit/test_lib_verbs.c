// SPDX-License-Identifier: MIT
/*
 * test_lib_verbs - a flow group over a real RDMA device (soft-RoCE in the
 * qemu test): two contexts in one process, one listening in a thread, talk
 * over the device's loopback. Asserts: the plan's k and labels are what the
 * QPs carry, with the ACK timeout asked for and the default retries, RDMA writes and sends split over 4 subflows arrive byte for
 * byte with one completion per message, re-pinning after a plan change moves
 * traffic to new QPs without loss, a receive nobody matches fails with
 * ETIMEDOUT at the group's deadline (then posting answers ENOTCONN until
 * both ends re-pin, after which the group carries data again), and a remote
 * access error fails exactly its message and then the group. fp_buf_query
 * reports host buffers as registered; posts that do not fit their buffers
 * are refused; a pair with reports off at both ends (the fast ways of
 * posting) carries sends and a write byte for byte; a pair the plan does
 * not name gets one subflow. Where there is a second device (rxe0 and
 * rxe1 in qemu): a context's group on it opens it as the context's second
 * and carries a send; a context told to use it refuses a group whose
 * address it does not hold, EADDRNOTAVAIL.
 *
 * Without an RDMA device it skips (exit 77): the host kernel of the build
 * machine has no RDMA. FP_TEST_ADDR names the local address to use, IPv4
 * or IPv6 (lib-flowgroup6 runs it on rxe's IPv6 GID); by default the first
 * RoCEv2 IPv4 GID.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <infiniband/verbs.h>

#include "core/addr.h"
#include "flowplan/flowplan.h"
#include "flowplan/handles.h"

#define PORT	18600
/*
 * 8 MiB and a page: writes that end exactly at the buffer's end are tested
 * (a valid edge), and Debian 6.1's rxe reads past its map array when a copy
 * ends at the end of an MR of whole 1 MiB maps (256 pages a map): KASAN's
 * slab-out-of-bounds read in rxe_mr_copy on the debug kernel, then a
 * failed QP. One page more leaves a map partly used, so no copy ends there.
 */
#define BUFLEN	((8u << 20) + 4096)

static char addr[INET6_ADDRSTRLEN];
static char plan_path[128];

struct side {
	struct fp_ctx *ctx;
	struct fp_group *g;
	struct fp_buf *buf;
	struct fp_rbuf peer;
};

static struct side cli, srv;
/* Set while test_fast_ways opens its client: reports off there too. */
static bool no_reports;
/* Set while test_unplanned opens its client: that one follows its plan. */
static bool cli_follows;
/*
 * FP_TEST_SLOW=N (1..100; lib-flowgroup sets it on the debug kernel, where
 * rxe moves about 0.3 MB/s): the groups' deadlines N times longer, and an
 * ACK time-out of 4.3 s (20), not 1.07 s (18). A 3 MiB message within the
 * server's 5 s cannot be had there.
 */
static unsigned int slow = 1;

/* The QPs' ACK time-out: 18 (1.1 s), 20 (4.3 s) when slow. */
static uint8_t ack_timeout(void)
{
	return slow > 1 ? 20 : 18;
}

static pthread_t srv_thread;
static int srv_ret = -1;

static int find_addr(void)
{
	struct ibv_device **list;
	int n, i;

	if (getenv("FP_TEST_ADDR")) {
		snprintf(addr, sizeof(addr), "%s", getenv("FP_TEST_ADDR"));
		return 0;
	}
	list = ibv_get_device_list(&n);
	for (i = 0; list && i < n && !addr[0]; i++) {
		struct ibv_context *v = ibv_open_device(list[i]);
		struct ibv_gid_entry e;
		uint32_t idx;

		for (idx = 0; v && idx < 16 && !addr[0]; idx++) {
			if (ibv_query_gid_ex(v, 1, idx, &e, 0) ||
			    e.gid_type != IBV_GID_TYPE_ROCE_V2 ||
			    e.gid.raw[10] != 0xff || e.gid.raw[11] != 0xff)
				continue;
			inet_ntop(AF_INET, &e.gid.raw[12], addr, sizeof(addr));
		}
		if (v)
			ibv_close_device(v);
	}
	if (list)
		ibv_free_device_list(list);
	return addr[0] ? 0 : -1;
}

static void write_plan(uint64_t gen, uint32_t base)
{
	FILE *f = fopen(plan_path, "w");

	if (!f)
		return;
	/* Both contexts use the same address: one entry serves both ways. */
	fprintf(f, "{ \"format\": \"flowplan-plan\", \"version\": 1, "
		"\"generation\": %llu, \"entries\": [ { \"src_addr\": \"%s\", "
		"\"dst_addr\": \"%s\", \"subflows\": ["
		"{ \"flow_label\": %u, \"weight\": 8192 },"
		"{ \"flow_label\": %u, \"weight\": 24576 },"
		"{ \"flow_label\": %u, \"weight\": 16384 },"
		"{ \"flow_label\": %u, \"weight\": 16384 } ] } ] }\n",
		(unsigned long long)gen, addr, addr, base, base + 1, base + 2,
		base + 3);
	fclose(f);
}

/* @s's group in its context, a buffer, and the buffers exchanged. */
static int join(struct side *s, const struct fp_group_attr *ga)
{
	struct fp_rbuf mine;

	s->g = fp_group_connect(s->ctx, ga);
	if (!s->g)
		return errno;
	s->buf = fp_buf_alloc(s->ctx, BUFLEN, NULL);
	if (!s->buf)
		return errno;
	if (fp_buf_export(s->g, s->buf, &mine))
		return EIO;
	return fp_group_xchg(s->g, &mine, &s->peer, sizeof(mine));
}

/*
 * One end of a group on @port, its plan from @plan (NULL: none), chunks
 * of at most @chunk_max bytes (0: the default, 1 MiB).
 */
static int open_side_at(struct side *s, bool listen, const char *plan,
			unsigned int port, size_t chunk_max)
{
	/*
	 * The client records its messages (test_report). Both re-pin by
	 * hand (test_repin, test_recv_timeout): not the library by itself
	 * (lib-follow tests that).
	 */
	struct fp_ctx_attr ca = { .plan = plan,
				  .flags = FP_CTX_NO_NETLINK |
					   (cli_follows && !listen ? 0 : FP_CTX_NO_FOLLOW) |
					   (listen || no_reports ? FP_CTX_NO_REPORT :
								   FP_CTX_REPORT),
				  .timeout_ms = 20000 * slow,
				  .comm = 42 };
	struct fp_group_attr ga = {
		.peer = listen ? NULL : addr,
		.local = addr,
		.port = (uint16_t)port,
		.flags = listen ? FP_GROUP_LISTEN : 0,
		.chunk_max = chunk_max,
		.qp_timeout = ack_timeout(),
		/* test_recv_timeout waits this long on the server's side. */
		.timeout_ms = listen ? 5000 * slow : 0,
	};

	s->ctx = fp_ctx_open(&ca);
	if (!s->ctx)
		return errno;
	return join(s, &ga);
}

static int open_side(struct side *s, bool listen)
{
	return open_side_at(s, listen, plan_path, PORT, 256 << 10);
}

static int barrier(struct side *s, int v)
{
	int pv = -1;

	if (fp_group_xchg(s->g, &v, &pv, sizeof(v)))
		return -1;
	return pv;
}

/* Poll until @n messages completed; their statuses into @st (by wr_id). */
static int wait_msgs(struct side *s, int n, int *st, size_t *len)
{
	struct fp_wc wc[16];
	int got = 0, i, r;

	while (got < n) {
		r = fp_poll(s->g, wc, 16);
		if (r < 0)
			return r;
		for (i = 0; i < r; i++) {
			st[wc[i].wr_id] = wc[i].status;
			if (len)
				len[wc[i].wr_id] = wc[i].len;
		}
		got += r;
	}
	return 0;
}

static uint8_t pat(unsigned int seed, size_t i)
{
	return (uint8_t)(seed * 31 + i * 13 + (i >> 9));
}

static void *server(void *arg)
{
	static const size_t sizes[] = { 1, 4000, 70000, 3u << 20 };
	struct fp_group_info gi;
	uint8_t *b;
	int st[8], i, ret = 1;
	size_t j, off;

	(void)arg;
	if (open_side(&srv, true))
		goto out;
	b = fp_buf_addr(srv.buf);
	/* Phase 1: the client writes; check the bytes it says it wrote. */
	if (barrier(&srv, 0) != 1)
		goto out;
	for (j = 0; j < BUFLEN - 5; j++)
		if (b[j] != pat(1, j))
			break;
	if (barrier(&srv, j == BUFLEN - 5) < 0)
		goto out;
	/* Phase 2: receives of mixed sizes, then the client sends. */
	for (i = 0, off = 0; i < 4; off += sizes[i], i++)
		if (fp_post_recv(srv.g, srv.buf, off, sizes[i], (uint64_t)i))
			goto out;
	if (barrier(&srv, 2) != 2)
		goto out;
	if (wait_msgs(&srv, 4, st, NULL))
		goto out;
	for (i = 0, off = 0; i < 4; off += sizes[i], i++) {
		if (st[i])
			goto out;
		for (j = 0; j < sizes[i]; j++)
			if (b[off + j] != pat(10 + (unsigned int)i, j))
				goto out;
	}
	if (barrier(&srv, 3) != 3)
		goto out;
	/* Phase 2b: a receive the client never matches times out. */
	if (fp_post_recv(srv.g, srv.buf, 0, 4096, 0) ||
	    wait_msgs(&srv, 1, st, NULL) || st[0] != ETIMEDOUT)
		goto out;
	if (fp_group_query(srv.g, &gi) || gi.error != ETIMEDOUT ||
	    fp_post_recv(srv.g, srv.buf, 0, 4096, 1) != ENOTCONN)
		goto out;
	/* Both ends re-pin; the repaired group carries a message. */
	if (barrier(&srv, 7) != 7 || fp_group_repin(srv.g) ||
	    fp_group_query(srv.g, &gi) || gi.error)
		goto out;
	if (fp_post_recv(srv.g, srv.buf, 0, 4096, 2) || barrier(&srv, 8) != 8)
		goto out;
	st[2] = -1;
	if (wait_msgs(&srv, 1, st, NULL) || st[2])
		goto out;
	for (j = 0; j < 4096; j++)
		if (b[j] != pat(20, j))
			break;
	if (barrier(&srv, j == 4096) < 0)
		goto out;
	/* Phase 3: both re-pin on the new plan. */
	if (barrier(&srv, 4) != 4 || fp_ctx_reload(srv.ctx) ||
	    fp_group_plan_changed(srv.g) != 1 || fp_group_repin(srv.g))
		goto out;
	if (barrier(&srv, 5) != 5)
		goto out;
	for (j = 0; j < BUFLEN; j++)
		if (b[j] != pat(7, j))
			break;
	if (barrier(&srv, j == BUFLEN) < 0)
		goto out;
	/* Phase 4: the client breaks its group; wait for it to say so. */
	if (barrier(&srv, 6) != 6)
		goto out;
	ret = 0;
out:
	srv_ret = ret;
	return NULL;
}

static int setup(void **state)
{
	(void)state;
	snprintf(plan_path, sizeof(plan_path), "/tmp/fp-test-verbs-%d.json",
		 (int)getpid());
	setenv("FLOWPLAN_REPORT_DIR", "/tmp", 1);
	write_plan(1, 0x101);
	if (pthread_create(&srv_thread, NULL, server, NULL))
		return -1;
	return open_side(&cli, false);
}

static int teardown(void **state)
{
	(void)state;
	pthread_join(srv_thread, NULL);
	fp_buf_free(cli.buf);
	fp_group_close(cli.g);
	fp_ctx_close(cli.ctx);
	fp_buf_free(srv.buf);
	fp_group_close(srv.g);
	fp_ctx_close(srv.ctx);
	unlink(plan_path);
	return srv_ret;
}

/* One line of a sysfs file into @buf ("" when it cannot be read). */
static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f && !fgets(buf, (int)len, f))
		buf[0] = 0;
	if (f)
		fclose(f);
}

/*
 * The index of @a's RoCEv2 GID on port @port of @dev, as the kernel lists
 * the table in sysfs (not through libibverbs, which the library uses).
 */
static int sysfs_gid_index(const char *dev, unsigned int port, const char *a)
{
	char path[256], buf[64], want[40];
	struct fp_addr fa;
	int i, n = 0;

	if (fp_addr_parse(a, &fa))
		return -1;
	for (i = 0; i < 16; i += 2)
		n += snprintf(want + n, sizeof(want) - (size_t)n, "%s%02x%02x",
			      i ? ":" : "", fa.b[i], fa.b[i + 1]);
	for (i = 0; i < 4096; i++) {
		snprintf(path, sizeof(path), "/sys/class/infiniband/%s/ports/%u/gids/%d",
			 dev, port, i);
		read_line(path, buf, sizeof(buf));
		if (!buf[0])
			break;
		if (strncmp(buf, want, strlen(want)))
			continue;
		snprintf(path, sizeof(path),
			 "/sys/class/infiniband/%s/ports/%u/gid_attrs/types/%d",
			 dev, port, i);
		read_line(path, buf, sizeof(buf));
		if (!strncmp(buf, "RoCE v2", 7))
			return i;
	}
	return -1;
}

static void test_pins(void **state)
{
	struct fp_group_info gi;
	unsigned int i;

	(void)state;
	assert_int_equal(fp_group_query(cli.g, &gi), 0);
	assert_int_equal(gi.k, 4);
	assert_int_equal(gi.source, FP_PLAN_FILE);
	assert_int_equal(gi.generation, 1);
	for (i = 0; i < 4; i++) {
		assert_int_equal(gi.sub[i].flow_label, 0x101 + i);
		assert_int_equal(gi.sub[i].sport, 0xC000 | (0x101 + i));
		assert_int_not_equal(gi.sub[i].remote_qpn, 0);
	}
	assert_int_equal(gi.sub[1].weight, 24576);
	/* the QPs use the RoCEv2 GID of the group's address */
	assert_true(gi.gid_index >= 0);
	assert_int_equal(gi.gid_index, sysfs_gid_index(gi.dev, gi.port, addr));
	/*
	 * As the device tells them: the ACK timeout asked for (18; 20 when
	 * FP_TEST_SLOW), the
	 * transport retries of an attribute left 0 (6, fp_group_connect(3)),
	 * RNR retries without end (7: a send that arrives before its receive
	 * is posted waits for it), the subflow's flow label. (Not the hop limit: on RoCE the kernel
	 * sets it from the route when it resolves the peer's MAC.)
	 */
	for (i = 0; i < 4; i++) {
		struct ibv_qp_init_attr ia;
		struct ibv_qp_attr qa;

		assert_int_equal(ibv_query_qp(cli.g->sub[i].qp, &qa,
					      IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
					      IBV_QP_RNR_RETRY | IBV_QP_AV,
					      &ia), 0);
		assert_int_equal(qa.timeout, ack_timeout());
		assert_int_equal(qa.retry_cnt, 6);
		assert_int_equal(qa.rnr_retry, 7);
		assert_int_equal(qa.ah_attr.grh.flow_label, 0x101 + i);
	}
}

/*
 * The buffers as fp_buf_query() tells them: host memory (gpu -1, also when
 * FP_MEM_AUTO finds no GPU), registered with the group's device; a memory
 * kind that does not exist is refused with EINVAL, a NIC that does not
 * exist with ENODEV, memory the device cannot register (PROT_NONE) with
 * the device's error, at fp_buf_reg() or, registered with no device, at its
 * first post.
 */
static void test_buf(void **state)
{
	static uint8_t mem[8192];
	struct fp_buf_attr aut = { .kind = FP_MEM_AUTO, .gpu = 0 };
	struct fp_buf_attr bad = { .kind = (enum fp_mem_kind)7 };
	struct fp_buf_attr nodev = { .nic = "fp-no-such-nic" };
	struct fp_buf_attr ondev = { .nic = NULL };
	struct fp_group_info gi;
	struct fp_buf_info bi;
	struct fp_rbuf rb;
	struct fp_buf *b;
	void *none;

	(void)state;
	assert_int_equal(fp_group_query(cli.g, &gi), 0);
	ondev.nic = gi.dev;
	assert_int_equal(fp_buf_query(cli.buf, &bi), 0);
	assert_int_equal(bi.kind, FP_MEM_HOST);
	assert_int_equal(bi.reg, FP_REG_HOST);
	assert_int_equal(bi.gpu, -1);
	assert_string_equal(bi.nic, gi.dev);
	assert_ptr_equal(bi.addr, fp_buf_addr(cli.buf));
	assert_int_equal(bi.len, BUFLEN);

	/* A buffer fp_buf_alloc() makes starts zeroed. */
	b = fp_buf_alloc(cli.ctx, sizeof(mem), NULL);
	assert_non_null(b);
	memset(mem, 0, sizeof(mem));
	assert_memory_equal(fp_buf_addr(b), mem, sizeof(mem));
	assert_int_equal(fp_buf_free(b), 0);

	b = fp_buf_reg(cli.ctx, mem, sizeof(mem), &aut);
	assert_non_null(b);
	assert_int_equal(fp_buf_query(b, &bi), 0);
	assert_int_equal(bi.kind, FP_MEM_HOST);
	assert_int_equal(bi.gpu, -1);
	assert_ptr_equal(bi.addr, mem);
	assert_int_equal(bi.len, sizeof(mem));
	assert_int_equal(fp_buf_export(cli.g, b, &rb), 0);
	assert_int_equal(rb.addr, (uintptr_t)mem);
	assert_int_equal(rb.len, sizeof(mem));
	assert_int_equal(fp_buf_free(b), 0);

	errno = 0;
	assert_null(fp_buf_alloc(cli.ctx, 4096, &bad));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(fp_buf_alloc(cli.ctx, 4096, &nodev));
	assert_int_equal(errno, ENODEV);

	/* Memory the device cannot register (no access at all): no buffer. */
	none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(none != MAP_FAILED);
	errno = 0;
	assert_null(fp_buf_reg(cli.ctx, none, 4096, &ondev));
	assert_int_not_equal(errno, 0);
	/*
	 * With no device to register with (the context names none), it is
	 * registered with a group's device at its first post (until then
	 * fp_buf_query() names no NIC, though the context has one open):
	 * that post fails with the device's error and posts nothing.
	 */
	if (!cli.ctx->dev_name[0]) {
		b = fp_buf_reg(cli.ctx, none, 4096, NULL);
		assert_non_null(b);
		assert_int_equal(fp_buf_query(b, &bi), 0);
		assert_int_equal(bi.reg, FP_REG_NONE);
		assert_string_equal(bi.nic, "");
		assert_int_not_equal(fp_post_send(cli.g, b, 0, 64, 99), 0);
		assert_int_equal(fp_buf_free(b), 0);
	}
	assert_int_equal(munmap(none, 4096), 0);
}

static void test_write(void **state)
{
	uint8_t *b = fp_buf_addr(cli.buf);
	int st[4] = { -1, -1, -1, -1 };
	size_t len[4], j;

	(void)state;
	for (j = 0; j < BUFLEN; j++)
		b[j] = pat(1, j);
	/* One odd-sized message over 4 subflows, 256 KiB chunks. */
	assert_int_equal(fp_post_write(cli.g, cli.buf, 0, BUFLEN - 5,
				       &cli.peer, 0, 0), 0);
	assert_int_equal(wait_msgs(&cli, 1, st, len), 0);
	assert_int_equal(st[0], 0);
	assert_int_equal(len[0], BUFLEN - 5);
	assert_int_equal(barrier(&cli, 1), 0);
	assert_int_equal(barrier(&cli, 0), 1);	/* server verified */
}

/* The write of test_write is in the client's report ring. */
static void test_report(void **state)
{
	struct fp_report_rec recs[8];
	struct fp_ctx_info info;
	struct fp_report *rep;
	struct fp_addr a;
	size_t got;

	(void)state;
	assert_int_equal(fp_ctx_query(cli.ctx, &info), 0);
	rep = fp_report_open(info.report);
	assert_non_null(rep);
	assert_int_equal(fp_report_read(rep, recs, 8, &got, NULL), 0);
	/* Either family (version 2 records): the group's address, as parsed. */
	assert_int_equal(fp_addr_parse(addr, &a), 0);
	assert_int_equal(got, 1);
	assert_int_equal(recs[0].op, FP_OP_WRITE);
	assert_int_equal(recs[0].comm, 42);
	assert_int_equal(recs[0].status, 0);
	assert_int_equal(recs[0].bytes, BUFLEN - 5);
	assert_memory_equal(recs[0].src, a.b, 16);
	assert_memory_equal(recs[0].dst, a.b, 16);
	assert_true(recs[0].end_ns >= recs[0].start_ns);
	assert_int_equal(fp_report_close(rep), 0);
}

static void test_send(void **state)
{
	static const size_t sizes[] = { 1, 4000, 70000, 3u << 20 };
	uint8_t *b = fp_buf_addr(cli.buf);
	int st[4], i;
	size_t off, j;

	(void)state;
	for (i = 0, off = 0; i < 4; off += sizes[i], i++)
		for (j = 0; j < sizes[i]; j++)
			b[off + j] = pat(10 + (unsigned int)i, j);
	assert_int_equal(barrier(&cli, 2), 2);	/* receives posted */
	for (i = 0, off = 0; i < 4; off += sizes[i], i++)
		assert_int_equal(fp_post_send(cli.g, cli.buf, off, sizes[i],
					      (uint64_t)i), 0);
	assert_int_equal(wait_msgs(&cli, 4, st, NULL), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(st[i], 0);
	assert_int_equal(barrier(&cli, 3), 3);	/* server verified */
}

/*
 * @len bytes of pattern @seed from the start of @s's buffer, sent once the
 * peer says its receive is posted (barrier @step); it completed well.
 */
static void send_pattern(struct side *s, unsigned int seed, size_t len,
			 int step)
{
	uint8_t *b = fp_buf_addr(s->buf);
	int st[1] = { -1 };
	size_t j;

	for (j = 0; j < len; j++)
		b[j] = pat(seed, j);
	assert_int_equal(barrier(s, step), step);	/* receive posted */
	assert_int_equal(fp_post_send(s->g, s->buf, 0, len, 0), 0);
	assert_int_equal(wait_msgs(s, 1, st, NULL), 0);
	assert_int_equal(st[0], 0);
}

/*
 * The server posts a receive and the client sends nothing: it fails with
 * ETIMEDOUT at the server's deadline (5 s) instead of waiting forever, and
 * leaves the server's group failed; both re-pin and a send gets through.
 */
static void test_recv_timeout(void **state)
{
	(void)state;
	assert_int_equal(barrier(&cli, 7), 7);	/* server saw ETIMEDOUT */
	assert_int_equal(fp_group_repin(cli.g), 0);
	send_pattern(&cli, 20, 4096, 8);
	assert_int_equal(barrier(&cli, 0), 1);	/* server verified */
}

/*
 * A post that does not fit its local or remote buffer is refused with
 * EINVAL before anything is posted; one that fits exactly, at either end
 * of both, is carried.
 */
static void test_bounds(void **state)
{
	struct fp_rbuf small = cli.peer;
	int st[1] = { -1 };

	(void)state;
	small.len = 100;
	assert_int_equal(fp_post_write(cli.g, cli.buf, 0, 4096, &cli.peer,
				       BUFLEN - 100, 0), EINVAL);
	assert_int_equal(fp_post_write(cli.g, cli.buf, 0, 101, &small, 0, 0),
			 EINVAL);
	assert_int_equal(fp_post_write(cli.g, cli.buf, 0, 1, &cli.peer,
				       BUFLEN + 1, 0), EINVAL);
	assert_int_equal(fp_post_write(cli.g, cli.buf, 0, 8, NULL, 0, 0), EINVAL);
	assert_int_equal(fp_post_write(cli.g, cli.buf, BUFLEN - 10, 11,
				       &cli.peer, 0, 0), EINVAL);
	assert_int_equal(fp_post_write(cli.g, cli.buf, BUFLEN + 1, 0,
				       &cli.peer, 0, 0), EINVAL);
	assert_int_equal(fp_post_send(cli.g, cli.buf, BUFLEN - 10, 11, 0),
			 EINVAL);
	assert_int_equal(fp_post_recv(cli.g, cli.buf, BUFLEN - 10, 11, 0),
			 EINVAL);
	/* (test_repin writes the whole remote buffer again) */
	assert_int_equal(fp_post_write(cli.g, cli.buf, BUFLEN - 100, 100,
				       &cli.peer, BUFLEN - 100, 0), 0);
	assert_int_equal(wait_msgs(&cli, 1, st, NULL), 0);
	assert_int_equal(st[0], 0);
	st[0] = -1;
	assert_int_equal(fp_post_write(cli.g, cli.buf, 0, 100, &small, 0, 0), 0);
	assert_int_equal(wait_msgs(&cli, 1, st, NULL), 0);
	assert_int_equal(st[0], 0);
}

/*
 * A pair with reports off at both ends (the client above records its
 * messages, which takes the general way of posting): the fast ways (one
 * chunk on one subflow below the split size, a message split by the
 * plan's weights over 4 subflows above it) carry sends of 1 B to 300 kB
 * and an RDMA write byte for byte.
 */
#define FAST_WRITE_OFF	(1u << 20)
#define FAST_WRITE_LEN	200000u
static const size_t fast_sizes[] = { 1, 4000, 70000, 300000 };
static struct side fast_cli, fast_srv;

static void *fast_server(void *arg)
{
	int st[4] = { -1, -1, -1, -1 }, i;
	size_t j, off;
	uint8_t *b;

	(void)arg;
	if (open_side_at(&fast_srv, true, plan_path, PORT + 2, 0))
		return (void *)1;
	for (i = 0, off = 0; i < 4; off += fast_sizes[i], i++)
		if (fp_post_recv(fast_srv.g, fast_srv.buf, off, fast_sizes[i],
				 (uint64_t)i))
			return (void *)1;
	if (barrier(&fast_srv, 1) != 1 || wait_msgs(&fast_srv, 4, st, NULL))
		return (void *)1;
	b = fp_buf_addr(fast_srv.buf);
	for (i = 0, off = 0; i < 4; off += fast_sizes[i], i++) {
		if (st[i])
			return (void *)1;
		for (j = 0; j < fast_sizes[i]; j++)
			if (b[off + j] != pat(40 + (unsigned int)i, j))
				return (void *)1;
	}
	/* the client's write completed before it says 2 */
	if (barrier(&fast_srv, 2) != 2)
		return (void *)1;
	for (j = 0; j < FAST_WRITE_LEN; j++)
		if (b[FAST_WRITE_OFF + j] != pat(50, j))
			return (void *)1;
	return NULL;
}

static void test_fast_ways(void **state)
{
	int st[4] = { -1, -1, -1, -1 }, i;
	void *ret = (void *)1;
	size_t j, off;
	pthread_t t;
	uint8_t *b;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, fast_server, NULL), 0);
	no_reports = true;
	assert_int_equal(open_side_at(&fast_cli, false, plan_path, PORT + 2, 0), 0);
	no_reports = false;
	b = fp_buf_addr(fast_cli.buf);
	for (i = 0, off = 0; i < 4; off += fast_sizes[i], i++)
		for (j = 0; j < fast_sizes[i]; j++)
			b[off + j] = pat(40 + (unsigned int)i, j);
	for (j = 0; j < FAST_WRITE_LEN; j++)
		b[FAST_WRITE_OFF + j] = pat(50, j);
	assert_int_equal(barrier(&fast_cli, 1), 1);	/* receives posted */
	for (i = 0, off = 0; i < 4; off += fast_sizes[i], i++)
		assert_int_equal(fp_post_send(fast_cli.g, fast_cli.buf, off,
					      fast_sizes[i], (uint64_t)i), 0);
	assert_int_equal(wait_msgs(&fast_cli, 4, st, NULL), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(st[i], 0);
	st[0] = -1;
	assert_int_equal(fp_post_write(fast_cli.g, fast_cli.buf, FAST_WRITE_OFF,
				       FAST_WRITE_LEN, &fast_cli.peer,
				       FAST_WRITE_OFF, 0), 0);
	assert_int_equal(wait_msgs(&fast_cli, 1, st, NULL), 0);
	assert_int_equal(st[0], 0);
	assert_int_equal(barrier(&fast_cli, 2), 2);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_null(ret);			/* the server verified */
	assert_int_equal(fp_buf_free(fast_cli.buf), 0);
	assert_int_equal(fp_group_close(fast_cli.g), 0);
	assert_int_equal(fp_ctx_close(fast_cli.ctx), 0);
	assert_int_equal(fp_buf_free(fast_srv.buf), 0);
	assert_int_equal(fp_group_close(fast_srv.g), 0);
	assert_int_equal(fp_ctx_close(fast_srv.ctx), 0);
}

/*
 * A pair no plan names: one subflow carrying the whole weight (the
 * contexts' default k of 1), which both ends accept and carry data over,
 * in chunks of the default size (1 MiB: 70000 bytes need one, where
 * chunks of a few bytes would overrun the queue).
 * Its device is found from the GID tables (FLOWPLAN_NO_RDMA_CM), and is
 * the one rdma_cm found for the first pair (run on a second device, as
 * vm-lib.sh does, this tells a scan that takes any device). A context
 * with a group or buffer open will not close (EBUSY); closed in order,
 * everything closes without an error. Its client follows its plan, its
 * server does not: the client's peer does not follow (no in-band switch).
 * The client has no reports, so it posts the fast ways: a batch write
 * from a buffer no device has registered yet is registered and written.
 */
static struct side one_cli, one_srv;

static void *one_server(void *arg)
{
	int st[1] = { -1 };
	uint8_t *b;
	size_t j;

	(void)arg;
	if (open_side_at(&one_srv, true, NULL, PORT + 1, 0) ||
	    fp_post_recv(one_srv.g, one_srv.buf, 0, 70000, 0) ||
	    barrier(&one_srv, 1) != 1 || wait_msgs(&one_srv, 1, st, NULL) ||
	    st[0])
		return (void *)1;
	b = fp_buf_addr(one_srv.buf);
	for (j = 0; j < 70000; j++)
		if (b[j] != pat(30, j))
			return (void *)1;
	return NULL;
}

static void test_unplanned(void **state)
{
	struct fp_group_info gi, gi0;
	struct fp_follow_info fi;
	void *ret = (void *)1;
	pthread_t t;

	(void)state;
	assert_int_equal(fp_group_query(cli.g, &gi0), 0);
	setenv("FLOWPLAN_NO_RDMA_CM", "1", 1);
	assert_int_equal(pthread_create(&t, NULL, one_server, NULL), 0);
	cli_follows = true;
	no_reports = true;	/* one subflow, no reports: the fast ways */
	assert_int_equal(open_side_at(&one_cli, false, NULL, PORT + 1, 0), 0);
	cli_follows = false;
	no_reports = false;
	assert_int_equal(fp_group_follow_query(one_cli.g, &fi), 0);
	assert_int_equal(fi.follow, 1);
	assert_int_equal(fi.peer_follows, 0);
	assert_int_equal(fp_group_query(one_cli.g, &gi), 0);
	assert_int_equal(gi.k, 1);
	assert_int_equal(gi.sub[0].weight, 65536);
	assert_string_equal(gi.dev, gi0.dev);
	assert_int_equal(gi.gid_index, gi0.gid_index);
	send_pattern(&one_cli, 30, 70000, 1);
	assert_int_equal(pthread_join(t, &ret), 0);
	unsetenv("FLOWPLAN_NO_RDMA_CM");
	assert_null(ret);			/* the server verified */
	/*
	 * A batch write (fast on this group) from a buffer that no device has
	 * registered yet (the context names none): registered at that post,
	 * and written.
	 */
	if (!one_cli.ctx->dev_name[0]) {
		struct fp_buf *nb = fp_buf_alloc(one_cli.ctx, 4096, NULL);
		struct fp_write bw = { .len = 4096, .rbuf = &one_cli.peer };
		int st[1] = { -1 };

		assert_non_null(nb);
		bw.buf = nb;
		assert_null(nb->reg[one_cli.g->dev].mr);
		assert_int_not_equal(one_cli.g->tab.fast_len, 0);
		assert_int_equal(fp_post_write_batch(one_cli.g, &bw, 1), 1);
		assert_int_equal(wait_msgs(&one_cli, 1, st, NULL), 0);
		assert_int_equal(st[0], 0);
		assert_non_null(nb->reg[one_cli.g->dev].mr);
		assert_int_equal(fp_buf_free(nb), 0);
	}
	assert_int_equal(fp_ctx_close(one_cli.ctx), EBUSY);
	assert_int_equal(fp_buf_free(one_cli.buf), 0);
	assert_int_equal(fp_ctx_close(one_cli.ctx), EBUSY);
	assert_int_equal(fp_group_close(one_cli.g), 0);
	assert_int_equal(fp_ctx_close(one_cli.ctx), 0);
	assert_int_equal(fp_buf_free(one_srv.buf), 0);
	assert_int_equal(fp_group_close(one_srv.g), 0);
	assert_int_equal(fp_ctx_close(one_srv.ctx), 0);
}

static void test_repin(void **state)
{
	uint8_t *b = fp_buf_addr(cli.buf);
	struct fp_group_info gi;
	int st[1];
	unsigned int i;
	size_t j;

	(void)state;
	write_plan(2, 0x201);
	assert_int_equal(fp_group_plan_changed(cli.g), 0);	/* not reloaded */
	assert_int_equal(fp_ctx_reload(cli.ctx), 0);
	assert_int_equal(fp_group_plan_changed(cli.g), 1);
	/* A write in flight while re-pinning is drained, not lost. */
	for (j = 0; j < BUFLEN; j++)
		b[j] = pat(7, j);
	assert_int_equal(fp_post_write(cli.g, cli.buf, 0, BUFLEN, &cli.peer, 0,
				       0), 0);
	assert_int_equal(barrier(&cli, 4), 4);
	assert_int_equal(fp_group_repin(cli.g), 0);
	assert_int_equal(wait_msgs(&cli, 1, st, NULL), 0);
	assert_int_equal(st[0], 0);
	assert_int_equal(fp_group_query(cli.g, &gi), 0);
	assert_int_equal(gi.generation, 2);
	for (i = 0; i < 4; i++)
		assert_int_equal(gi.sub[i].flow_label, 0x201 + i);
	assert_int_equal(fp_group_plan_changed(cli.g), 0);
	assert_int_equal(barrier(&cli, 5), 5);
	assert_int_equal(barrier(&cli, 0), 1);	/* server verified */
}

static void test_remote_error(void **state)
{
	struct fp_rbuf bad = cli.peer;
	struct fp_group_info gi;
	int st[2] = { -1, -1 };

	(void)state;
	bad.rkey ^= 0x5a5a;
	assert_int_equal(fp_post_write(cli.g, cli.buf, 0, 1 << 20, &bad, 0, 0),
			 0);
	assert_int_equal(wait_msgs(&cli, 1, st, NULL), 0);
	assert_int_equal(st[0], EACCES);
	assert_int_equal(fp_group_query(cli.g, &gi), 0);
	assert_int_equal(gi.error, EACCES);
	assert_int_equal(fp_post_write(cli.g, cli.buf, 0, 10, &cli.peer, 0, 1),
			 ENOTCONN);
	assert_int_equal(barrier(&cli, 6), 6);
}

/*
 * Another device than the one of the group's address, and its RoCEv2 IPv4
 * address, into @dev and @a; false when there is none (one device).
 */
static bool other_device(char *dev, size_t dlen, char *a, size_t alen)
{
	struct ibv_device **list;
	struct fp_group_info gi;
	int n, i;

	dev[0] = a[0] = 0;
	if (fp_group_query(cli.g, &gi))
		return false;
	list = ibv_get_device_list(&n);
	for (i = 0; list && i < n && !a[0]; i++) {
		struct ibv_context *v;
		struct ibv_gid_entry e;
		uint32_t idx;

		if (!strcmp(ibv_get_device_name(list[i]), gi.dev))
			continue;
		v = ibv_open_device(list[i]);
		for (idx = 0; v && idx < 16 && !a[0]; idx++) {
			if (ibv_query_gid_ex(v, 1, idx, &e, 0) ||
			    e.gid_type != IBV_GID_TYPE_ROCE_V2 ||
			    e.gid.raw[10] != 0xff || e.gid.raw[11] != 0xff)
				continue;
			inet_ntop(AF_INET, &e.gid.raw[12], a, (socklen_t)alen);
			snprintf(dev, dlen, "%s", ibv_get_device_name(list[i]));
		}
		if (v)
			ibv_close_device(v);
	}
	if (list)
		ibv_free_device_list(list);
	return a[0] != 0;
}

static struct side two_cli, two_srv;
static char other_dev[64], other_addr[INET6_ADDRSTRLEN];

/* The listening end on the other device: it receives 70000 bytes. */
static void *other_server(void *arg)
{
	struct fp_ctx_attr ca = { .flags = FP_CTX_NO_NETLINK | FP_CTX_NO_FOLLOW |
					   FP_CTX_NO_REPORT,
				  .timeout_ms = 20000 * slow };
	struct fp_group_attr ga = { .local = other_addr, .port = PORT + 4,
				    .flags = FP_GROUP_LISTEN,
				    .connect_timeout_ms = 20000 * slow,
				    .qp_timeout = ack_timeout() };
	int st[1] = { -1 };
	uint8_t *b;
	size_t j;

	(void)arg;
	two_srv.ctx = fp_ctx_open(&ca);
	if (!two_srv.ctx || join(&two_srv, &ga) ||
	    fp_post_recv(two_srv.g, two_srv.buf, 0, 70000, 0) ||
	    barrier(&two_srv, 1) != 1 || wait_msgs(&two_srv, 1, st, NULL) ||
	    st[0])
		return (void *)1;
	b = fp_buf_addr(two_srv.buf);
	for (j = 0; j < 70000; j++)
		if (b[j] != pat(40, j))
			return (void *)1;
	return NULL;
}

/* A listener on the group's address that the client below never pins. */
static void *named_server(void *arg)
{
	struct fp_ctx_attr ca = { .flags = FP_CTX_NO_NETLINK | FP_CTX_NO_FOLLOW |
					   FP_CTX_NO_REPORT };
	struct fp_group_attr ga = { .local = addr, .port = PORT + 3,
				    .flags = FP_GROUP_LISTEN,
				    .connect_timeout_ms = 20000 };
	struct fp_ctx *ctx = fp_ctx_open(&ca);
	struct fp_group *g = ctx ? fp_group_connect(ctx, &ga) : NULL;

	(void)arg;
	if (g)
		fp_group_close(g);
	if (ctx)
		fp_ctx_close(ctx);
	return g ? (void *)1 : NULL;
}

/*
 * Where the machine has a second RDMA device (the qemu tests' rxe0 and
 * rxe1): a context whose groups are on two devices opens the second as
 * its second (fp_group_query names it) and carries a send over it; a
 * context told to use the other device refuses a group whose address that
 * device does not hold (EADDRNOTAVAIL), having looked on its ports.
 */
static void test_other_device(void **state)
{
	struct fp_ctx_attr named = { .flags = FP_CTX_NO_NETLINK |
					      FP_CTX_NO_FOLLOW |
					      FP_CTX_NO_REPORT };
	struct fp_group_attr ga = { .peer = NULL, .port = PORT + 4,
				    .connect_timeout_ms = 30000 * slow,
				    .qp_timeout = ack_timeout() };
	struct fp_group_info gi;
	struct fp_ctx *ctx;
	void *ret = (void *)1;
	pthread_t t;

	(void)state;
	if (!other_device(other_dev, sizeof(other_dev), other_addr,
			  sizeof(other_addr))) {
		printf("%s: SKIP: one RDMA device with a RoCEv2 IPv4 GID\n", __func__);
		skip();
	}
	assert_int_equal(pthread_create(&t, NULL, other_server, NULL), 0);
	ga.peer = other_addr;
	ga.local = other_addr;
	two_cli.ctx = cli.ctx;			/* its device is open already */
	assert_int_equal(join(&two_cli, &ga), 0);
	assert_int_equal(fp_group_query(two_cli.g, &gi), 0);
	assert_string_equal(gi.dev, other_dev);
	assert_int_equal(two_cli.g->dev, 1);	/* the context's second */
	send_pattern(&two_cli, 40, 70000, 1);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_null(ret);			/* the server verified */
	assert_int_equal(fp_buf_free(two_cli.buf), 0);
	assert_int_equal(fp_group_close(two_cli.g), 0);
	assert_int_equal(fp_buf_free(two_srv.buf), 0);
	assert_int_equal(fp_group_close(two_srv.g), 0);
	assert_int_equal(fp_ctx_close(two_srv.ctx), 0);

	named.dev = other_dev;
	ctx = fp_ctx_open(&named);
	assert_non_null(ctx);
	assert_int_equal(pthread_create(&t, NULL, named_server, NULL), 0);
	ga = (struct fp_group_attr){ .peer = addr, .local = addr,
				     .port = PORT + 3 };
	errno = 0;
	if (fp_group_connect(ctx, &ga))
		fail_msg("a group on %s, which does not hold %s: not refused",
			 other_dev, addr);
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_null(ret);			/* the listener was refused too */
	assert_int_equal(fp_ctx_close(ctx), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pins),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_send),
		cmocka_unit_test(test_recv_timeout),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_fast_ways),
		cmocka_unit_test(test_unplanned),
		cmocka_unit_test(test_repin),
		cmocka_unit_test(test_remote_error),
		cmocka_unit_test(test_other_device),
	};
	const char *sv = getenv("FP_TEST_SLOW");
	struct ibv_device **list;
	int n = 0;

	if (sv) {
		char *end;
		unsigned long v = strtoul(sv, &end, 10);

		if (!*sv || *end || v < 1 || v > 100) {
			fprintf(stderr, "test_lib_verbs: FP_TEST_SLOW=%s: not a whole number 1..100\n",
				sv);
			return 2;
		}
		slow = (unsigned int)v;
	}
	list = ibv_get_device_list(&n);
	if (list)
		ibv_free_device_list(list);
	if (!n) {
		printf("test_lib_verbs: SKIP: no RDMA device here (the host kernel has no RDMA); the qemu test lib-flowgroup runs it over soft-RoCE\n");
		return 77;
	}
	if (find_addr()) {
		printf("test_lib_verbs: SKIP: no RoCEv2 IPv4 GID on any device\n");
		return 77;
	}
	return cmocka_run_group_tests_name("lib_verbs", tests, setup, teardown);
}
