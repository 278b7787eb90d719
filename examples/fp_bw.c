// SPDX-License-Identifier: MIT
/*
 * fp_bw - bandwidth test on libflowplan, and the example of how a
 * communication library uses it: one context, one buffer, one flow group to
 * the peer, messages posted with fp_post_write() / fp_post_send() and one
 * completion per message from fp_poll().
 *
 *   server:  fp_bw -s [options]
 *   client:  fp_bw [options] SERVER_ADDR
 *
 * The client streams -c messages of -n bytes (RDMA writes, or sends with
 * -o send) with at most -w in flight; every message carries a pattern that
 * depends on its index, and the server checks each received message (send)
 * or the final buffer (write) byte for byte. Both print their subflows.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <flowplan.h>

struct bw_ctx {
	struct fp_ctx *ctx;
	struct fp_group *group;
	struct fp_buf *buf;
	struct fp_rbuf peer_buf;
	size_t size;
	unsigned int window;
	long iters;
	bool server;
	bool send;
	bool quiet;
	bool *busy;		/* buffer slot of a message in flight */
	const char *plan;
	const char *repin_plan;
};

struct bw_opts {
	const char *peer;
	const char *local;
	const char *dev;
	const char *plan;
	const char *bootstrap;
	const char *repin_plan;
	uint16_t port;
	uint8_t qp_timeout;
	unsigned int k;
	unsigned int timeout_ms;
	size_t size;
	size_t chunk;
	unsigned int window;
	long iters;
	bool server;
	bool send;
	bool quiet;
};

static void print_usage(void)
{
	fprintf(stderr,
		"usage: fp_bw -s [options]          (server)\n"
		"       fp_bw [options] SERVER_ADDR (client)\n"
		"  -p PORT     TCP port of the bootstrap exchange (18515)\n"
		"  -l ADDR     local address (default: the route's source)\n"
		"  -b ADDR     address of the TCP bootstrap when not the peer's\n"
		"              (client) or the local one (server), e.g. 127.0.0.1\n"
		"  -d DEV      RDMA device (default: the one serving the peer)\n"
		"  -P FILE     plan file (default: $FLOWPLAN_PLAN, the module)\n"
		"  -k K        subflows when the plan has no entry (1)\n"
		"  -n SIZE     message size in bytes, K/M/G suffixes (1M)\n"
		"  -C SIZE     largest chunk a subflow carries (1M)\n"
		"  -c COUNT    messages (1000)\n"
		"  -w WINDOW   messages in flight (16)\n"
		"  -o OP       write (default) or send\n"
		"  -t MS       per-message deadline (10000)\n"
		"  -u EXP      QP ACK timeout exponent, 4.096 us * 2^EXP (14)\n"
		"  -R FILE     half way, both ends install FILE as their -P plan\n"
		"              and re-pin the group onto it (by hand: the\n"
		"              context does not follow its plan source)\n"
		"  -q          quiet: only the result line\n");
	exit(1);
}

/* A number in @min..@max, or the program ends saying why. */
static unsigned long long parse_num(char opt, const char *s,
				    unsigned long long min,
				    unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v < min || v > max) {
		fprintf(stderr, "fp_bw: -%c %s: expected a number in %llu..%llu\n",
			opt, s, min, max);
		exit(1);
	}
	return v;
}

/* "64K", "1M", "2G" or bytes; 1 .. SIZE_MAX, nothing cut. */
static size_t parse_size(const char *s)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	switch (*end) {
	case 'G':
	case 'g':
		shift += 10;
		/* fall through */
	case 'M':
	case 'm':
		shift += 10;
		/* fall through */
	case 'K':
	case 'k':
		shift += 10;
		end++;
		break;
	default:
		break;
	}
	if (errno || *end || *s == '-' || !v || v > (SIZE_MAX >> shift)) {
		fprintf(stderr, "fp_bw: bad size '%s'\n", s);
		exit(1);
	}
	return (size_t)(v << shift);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint8_t pattern(long msg, size_t i)
{
	return (uint8_t)(msg * 131 + i * 7 + (i >> 8));
}

static void fill(uint8_t *p, size_t len, long msg)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern(msg, i);
}

static size_t check(const uint8_t *p, size_t len, long msg)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern(msg, i))
			return i;
	return len;
}

static void print_group(const struct bw_ctx *bw)
{
	struct fp_group_info gi;
	static const char *const src[] = { "default", "netlink", "file" };
	unsigned int i;

	if (bw->quiet || fp_group_query(bw->group, &gi))
		return;
	printf("fp_bw: %s -> %s on %s port %u gid %d, plan %s gen %" PRIu64
	       ", %u subflows\n", gi.local, gi.peer, gi.dev, gi.port,
	       gi.gid_index, src[gi.source], gi.generation, gi.k);
	for (i = 0; i < gi.k; i++)
		printf("fp_bw:   subflow %u qpn 0x%x -> 0x%x label 0x%x sport %u weight %u\n",
		       i, gi.sub[i].qpn, gi.sub[i].remote_qpn,
		       gi.sub[i].flow_label, gi.sub[i].sport, gi.sub[i].weight);
}

static int bw_init(struct bw_ctx *bw, const struct bw_opts *o)
{
	struct fp_ctx_attr cattr = {
		.plan = o->plan,
		.dev = o->dev,
		.default_k = o->k,
		.timeout_ms = o->timeout_ms,
		/*
		 * -R re-pins by hand at a point of its own: the library must
		 * not notice the new plan file first and switch by itself.
		 */
		.flags = o->repin_plan ? FP_CTX_NO_FOLLOW : 0,
	};
	struct fp_group_attr gattr = {
		.peer = o->peer,
		.local = o->local,
		.port = o->port,
		.bootstrap = o->bootstrap,
		.qp_timeout = o->qp_timeout,
		.flags = o->server ? FP_GROUP_LISTEN : 0,
		.max_msgs = o->window * 2,
		.chunk_max = o->chunk,
	};
	struct fp_buf_attr battr = { .kind = FP_MEM_HOST };
	struct fp_rbuf mine;
	int ret;

	*bw = (struct bw_ctx){
		.size = o->size,
		.window = o->window,
		.iters = o->iters,
		.server = o->server,
		.send = o->send,
		.quiet = o->quiet,
		.plan = o->plan,
		.repin_plan = o->repin_plan,
	};
	bw->ctx = fp_ctx_open(&cattr);
	if (!bw->ctx) {
		ret = errno;
		fprintf(stderr, "fp_bw: fp_ctx_open: %s\n", strerror(ret));
		return ret;
	}
	bw->group = fp_group_connect(bw->ctx, &gattr);
	if (!bw->group) {
		ret = errno;
		fprintf(stderr, "fp_bw: fp_group_connect: %s\n", strerror(ret));
		goto err_ctx;
	}
	/* Receives need one buffer slot per message in flight. */
	bw->buf = fp_buf_alloc(bw->ctx, o->size * (o->send ? o->window : 1),
			       &battr);
	if (!bw->buf) {
		ret = errno;
		fprintf(stderr, "fp_bw: fp_buf_alloc: %s\n", strerror(ret));
		goto err_group;
	}
	ret = fp_buf_export(bw->group, bw->buf, &mine);
	if (!ret)
		ret = fp_group_xchg(bw->group, &mine, &bw->peer_buf,
				    sizeof(mine));
	if (ret) {
		fprintf(stderr, "fp_bw: buffer exchange: %s\n", strerror(ret));
		goto err_buf;
	}
	bw->busy = calloc(o->window, sizeof(*bw->busy));
	if (!bw->busy) {
		ret = ENOMEM;
		goto err_buf;
	}
	print_group(bw);
	return 0;

err_buf:
	fp_buf_free(bw->buf);
err_group:
	fp_group_close(bw->group);
err_ctx:
	fp_ctx_close(bw->ctx);
	return ret;
}

static int bw_close(struct bw_ctx *bw)
{
	int ret = 0;

	free(bw->busy);
	if (fp_buf_free(bw->buf))
		ret = 1;
	if (fp_group_close(bw->group))
		ret = 1;
	if (fp_ctx_close(bw->ctx))
		ret = 1;
	return ret;
}

/* Poll once; count completions and failures. */
static int reap(struct bw_ctx *bw, long *done, long *errs, long *bad)
{
	struct fp_wc wc[32];
	uint8_t *base = fp_buf_addr(bw->buf);
	int n, i;

	n = fp_poll(bw->group, wc, 32);
	if (n < 0) {
		fprintf(stderr, "fp_bw: fp_poll: %s\n", strerror(-n));
		return -n;
	}
	for (i = 0; i < n; i++) {
		(*done)++;
		bw->busy[wc[i].wr_id % bw->window] = false;
		if (wc[i].status) {
			if (!*errs)
				fprintf(stderr, "fp_bw: message %" PRIu64
					" failed on subflow %d: %s (ibv %d)\n",
					wc[i].wr_id, wc[i].subflow,
					strerror(wc[i].status),
					wc[i].vendor_status);
			(*errs)++;
			continue;
		}
		if (wc[i].op == FP_OP_RECV) {
			long m = (long)wc[i].wr_id;
			uint8_t *p = base + (size_t)(m % bw->window) * bw->size;
			size_t at = check(p, bw->size, m);

			if (at != bw->size) {
				if (!*bad)
					fprintf(stderr, "fp_bw: message %ld differs at byte %zu\n",
						m, at);
				(*bad)++;
			}
		}
	}
	return 0;
}

/* Install @from as @to (atomically: readers see the old or the new plan). */
static int copy_file(const char *from, const char *to)
{
	char tmp[4096], buf[65536];
	FILE *in, *out;
	size_t n;
	int ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.%d", to, (int)getpid());
	in = fopen(from, "r");
	if (!in)
		return errno;
	out = fopen(tmp, "w");
	if (!out) {
		ret = errno;
		fclose(in);
		return ret;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			ret = EIO;
	fclose(in);
	if (fclose(out) || ret || rename(tmp, to)) {
		ret = ret ? ret : errno;
		unlink(tmp);
	}
	return ret;
}

/* Both ends: install the new plan, reload it, move the group onto it. */
static int repin(struct bw_ctx *bw)
{
	char a = 1, b;
	int ret;

	ret = fp_group_xchg(bw->group, &a, &b, 1);
	if (!ret)
		ret = copy_file(bw->repin_plan, bw->plan);
	if (!ret)
		ret = fp_group_xchg(bw->group, &a, &b, 1);
	if (!ret)
		ret = fp_ctx_reload(bw->ctx);
	if (ret) {
		fprintf(stderr, "fp_bw: new plan: %s\n", strerror(ret));
		return ret;
	}
	if (!fp_group_plan_changed(bw->group) && !bw->quiet)
		printf("fp_bw: the new plan pins the group as before\n");
	ret = fp_group_repin(bw->group);
	if (ret) {
		fprintf(stderr, "fp_bw: fp_group_repin: %s\n", strerror(ret));
		return ret;
	}
	if (!bw->quiet)
		printf("fp_bw: re-pinned\n");
	print_group(bw);
	return 0;
}

static int run(struct bw_ctx *bw)
{
	uint8_t *base = fp_buf_addr(bw->buf);
	long posted = 0, done = 0, errs = 0, bad = 0, total = bw->iters;
	bool sender = !bw->server;
	bool receiver = bw->server && bw->send;
	bool repinned = !bw->repin_plan;
	long limit = repinned ? total : total / 2;
	double t0, dt;
	char go = 1, pgo, res[2], pres[2];
	int ret;

	if (sender && !bw->send)
		fill(base, bw->size, total - 1);
	if (receiver)	/* pre-post: never make the sender wait for RNR */
		for (; posted < bw->window && posted < limit; posted++) {
			if (fp_post_recv(bw->group, bw->buf,
					 (size_t)(posted % bw->window) *
					 bw->size,
					 bw->size, (uint64_t)posted))
				return 1;
			bw->busy[posted % bw->window] = true;
		}
	ret = fp_group_xchg(bw->group, &go, &pgo, 1);
	if (ret)
		return 1;

	t0 = now_s();
	while ((sender || receiver) && done < total) {
		while (posted < limit && posted - done < bw->window &&
		       !bw->busy[posted % bw->window]) {
			size_t slot = (size_t)(posted % bw->window) * bw->size;

			if (receiver) {
				ret = fp_post_recv(bw->group, bw->buf, slot,
						   bw->size, (uint64_t)posted);
			} else if (bw->send) {
				fill(base + slot, bw->size, posted);
				ret = fp_post_send(bw->group, bw->buf, slot,
						   bw->size, (uint64_t)posted);
			} else {
				ret = fp_post_write(bw->group, bw->buf, 0,
						    bw->size, &bw->peer_buf, 0,
						    (uint64_t)posted);
			}
			if (ret == EAGAIN)
				break;
			if (ret) {
				fprintf(stderr, "fp_bw: post: %s\n",
					strerror(ret));
				errs++;
				total = posted;
				break;
			}
			if (bw->send)
				bw->busy[posted % bw->window] = true;
			posted++;
		}
		if (reap(bw, &done, &errs, &bad))
			return 1;
		if (!repinned && !errs && done == limit && posted == done) {
			if (repin(bw))
				return 1;
			repinned = true;
			limit = total;
		}
		if (errs && posted == done)
			break;
	}
	if (!sender && !receiver && !repinned && repin(bw))
		return 1;
	dt = now_s() - t0;
	if (sender || receiver)
		printf("fp_bw: %s %ld x %zu B in %.3f s = %.1f Mbit/s, errors %ld, corrupt %ld\n",
		       bw->send ? "send" : "write", done - errs, bw->size, dt,
		       (double)(done - errs) * (double)bw->size * 8 / dt / 1e6,
		       errs, bad);
	/*
	 * A side that failed just leaves: closing the group's socket fails
	 * what the peer still waits for. Otherwise both tell how it went.
	 */
	if (errs)
		return 1;
	res[0] = 0;
	res[1] = bad != 0;
	ret = fp_group_xchg(bw->group, res, pres, 2);
	if (ret) {
		fprintf(stderr, "fp_bw: the peer failed (%s)\n", strerror(ret));
		return 1;
	}
	if (bw->server && !bw->send) {
		size_t at = check(base, bw->size, bw->iters - 1);

		if (at != bw->size) {
			fprintf(stderr, "fp_bw: buffer differs at byte %zu\n",
				at);
			bad++;
		} else {
			printf("fp_bw: verified %zu bytes\n", bw->size);
		}
	}
	if (receiver && !bad)
		printf("fp_bw: verified %ld messages\n", done);
	return bad || pres[0] || pres[1];
}

int main(int argc, char **argv)
{
	static const char opts[] = "sp:l:b:d:P:R:k:n:C:c:w:o:t:u:qh";
	struct bw_opts o = {
		.port = 18515,
		.size = 1 << 20,
		.window = 16,
		.iters = 1000,
	};
	struct bw_ctx bw;
	int c, ret;

	while ((c = getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case 's':
			o.server = true;
			break;
		case 'p':
			o.port = (uint16_t)parse_num('p', optarg, 1, 65535);
			break;
		case 'l':
			o.local = optarg;
			break;
		case 'b':
			o.bootstrap = optarg;
			break;
		case 'u':
			o.qp_timeout = (uint8_t)parse_num('u', optarg, 0, 31);
			break;
		case 'd':
			o.dev = optarg;
			break;
		case 'P':
			o.plan = optarg;
			break;
		case 'R':
			o.repin_plan = optarg;
			break;
		case 'k':
			o.k = (unsigned int)parse_num('k', optarg, 0,
						       FP_GROUP_MAX_SUBFLOWS);
			break;
		case 'n':
			o.size = parse_size(optarg);
			break;
		case 'C':
			o.chunk = parse_size(optarg);
			break;
		case 'c':
			o.iters = (long)parse_num('c', optarg, 1, LONG_MAX);
			break;
		case 'w':
			o.window = (unsigned int)parse_num('w', optarg, 1,
							    FP_GROUP_MAX_MSGS / 2);
			break;
		case 't':
			o.timeout_ms = (unsigned int)parse_num('t', optarg, 0,
								INT_MAX);
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'o':
			if (!strcmp(optarg, "send"))
				o.send = true;
			else if (strcmp(optarg, "write"))
				print_usage();
			break;
		default:
			print_usage();
		}
	}
	if (o.server ? optind != argc : optind != argc - 1)
		print_usage();
	if (!o.server)
		o.peer = argv[optind];
	if (!o.window || o.iters <= 0 || !o.port || (o.repin_plan && !o.plan))
		print_usage();
	if (bw_init(&bw, &o))
		return 1;
	ret = run(&bw);
	if (bw_close(&bw))
		ret = 1;
	return ret;
}
