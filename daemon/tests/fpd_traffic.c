// SPDX-License-Identifier: MIT
/*
 * fpd-traffic - a libflowplan job for the daemon's qemu tests: one flow
 * group, sends of -n bytes with at most -w in flight, every message a
 * pattern of its index that the receiver checks, for as long as the test
 * wants (until the file -S appears, or -T seconds), then an end marker
 * carrying the count, so the receiver can tell that nothing was lost. The
 * end marker is a message of -n bytes like the others (libflowplan matches
 * a send to a receive of exactly its length: a shorter one would fill one
 * subflow's chunk of a split receive and leave the rest waiting), told
 * apart by its first bytes, which no message's pattern can start with.
 * With -P, the sender sends in bursts, one every -P milliseconds (a window
 * at once, then waits for them): a cycle of one phase that the daemon finds
 * at once, where a steady stream's phases come at whatever pace the
 * machine allows.
 * Reports (schedule rings) carry communicator -c, so the daemon sees one
 * job. Every second both ends print their group: the plan generation it
 * is pinned with and each subflow's source port.
 *
 *   fpd-traffic -s [options]            receiver
 *   fpd-traffic [options] PEER          sender
 *
 * Exit 0 only when every message arrived intact and in order, and the
 * counts of both ends agree.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <flowplan.h>

/*
 * The end marker's first bytes, then the count (8 bytes). A message's
 * pattern starts with bytes 7 apart (pattern()); these are not.
 */
static const char end_magic[8] = "fpd-end!";
#define END_LEN	(sizeof(end_magic) + sizeof(uint64_t))

struct opts {
	bool server;
	const char *peer, *local, *bootstrap, *stop;
	uint16_t port;
	size_t size;
	unsigned int window, k, timeout_ms, comm;
	uint8_t qp_timeout;
	double seconds, period;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint8_t pattern(uint64_t msg, size_t i)
{
	return (uint8_t)(msg * 131 + i * 7 + (i >> 8));
}

/* message @msg's bytes into its slot of the window */
static void fill(uint8_t *base, const struct opts *o, uint64_t msg)
{
	uint8_t *p = base + (size_t)(msg % o->window) * o->size;
	size_t k;

	for (k = 0; k < o->size; k++)
		p[k] = pattern(msg, k);
}

static void status(const char *who, struct fp_group *g, uint64_t msgs)
{
	struct fp_group_info gi;
	unsigned int i;

	if (fp_group_query(g, &gi))
		return;
	printf("fpd-traffic: %s: %" PRIu64 " messages, generation %" PRIu64 ", sports", who,
	       msgs, gi.generation);
	for (i = 0; i < gi.k; i++)
		printf(" %u", gi.sub[i].sport);
	printf("\n");
	fflush(stdout);
}

static int sender(const struct opts *o, struct fp_group *g, struct fp_buf *b)
{
	uint8_t *base = fp_buf_addr(b);
	uint64_t posted = 0, done = 0, filled = 0, f;
	double t0 = now_s(), last = t0, next = t0;
	bool *busy = calloc(o->window, sizeof(*busy));
	bool stop = false, burst = o->period <= 0;
	struct fp_wc wc[32];
	int n, i, ret;

	while (!stop || done < posted) {
		if (!stop && ((o->stop && !access(o->stop, F_OK)) ||
			      (o->seconds > 0 && now_s() - t0 > o->seconds)))
			stop = true;
		/*
		 * -P: the next burst when the last one is done and its time
		 * has come, its messages filled first, so that they start
		 * together (one phase).
		 */
		if (o->period > 0 && !burst && !stop && done == posted) {
			double wait = next - now_s();

			for (f = posted; f < posted + o->window; f++)
				fill(base, o, f);
			filled = posted + o->window;
			if (wait > 0)
				usleep((useconds_t)(wait * 1e6));
			burst = true;
		}
		while (!stop && burst && posted - done < o->window &&
		       !busy[posted % o->window]) {
			size_t slot = (size_t)(posted % o->window) * o->size;

			if (posted >= filled)
				fill(base, o, posted);
			ret = fp_post_send(g, b, slot, o->size, posted);
			if (ret == EAGAIN)
				break;
			if (ret) {
				fprintf(stderr, "fpd-traffic: send: %s\n", strerror(ret));
				return 1;
			}
			busy[posted % o->window] = true;
			posted++;
			if (o->period > 0 && posted - done == o->window) {
				burst = false;
				next += o->period / 1e3;
				if (next < now_s())
					next = now_s();
			}
		}
		n = fp_poll(g, wc, 32);
		if (n < 0) {
			fprintf(stderr, "fpd-traffic: poll: %s\n", strerror(-n));
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (wc[i].status) {
				fprintf(stderr, "fpd-traffic: message %" PRIu64 " failed on subflow %d: %s\n",
					wc[i].wr_id, wc[i].subflow, strerror(wc[i].status));
				return 1;
			}
			busy[wc[i].wr_id % o->window] = false;
			done++;
		}
		if (now_s() - last >= 1) {
			last = now_s();
			status("sender", g, done);
		}
	}
	/* the end marker, as long as the others: how many there were */
	memset(base, 0, o->size);
	memcpy(base, end_magic, sizeof(end_magic));
	memcpy(base + sizeof(end_magic), &done, sizeof(done));
	ret = fp_post_send(g, b, 0, o->size, UINT64_MAX);
	while (!ret) {
		n = fp_poll(g, wc, 1);
		if (n < 0 || (n == 1 && wc[0].status)) {
			ret = n < 0 ? -n : wc[0].status;
			break;
		}
		if (n == 1)
			break;
	}
	free(busy);
	status("sender", g, done);
	printf("fpd-traffic: sent %" PRIu64 " messages of %zu bytes in %.1f s\n", done, o->size,
	       now_s() - t0);
	if (ret)
		fprintf(stderr, "fpd-traffic: end marker: %s\n", strerror(ret));
	return ret != 0;
}

static int receiver(const struct opts *o, struct fp_group *g, struct fp_buf *b)
{
	uint8_t *base = fp_buf_addr(b);
	uint64_t posted = 0, got = 0, bad = 0, count = UINT64_MAX;
	double t0 = now_s(), last = t0;
	struct fp_wc wc[32];
	int n, i, ret;

	char go = 1, pgo;

	/* receives posted before the sender starts: no RNR wait */
	for (; posted < o->window; posted++) {
		ret = fp_post_recv(g, b, (size_t)posted * o->size, o->size, posted);
		if (ret) {
			fprintf(stderr, "fpd-traffic: receive: %s\n", strerror(ret));
			return 1;
		}
	}
	if (fp_group_xchg(g, &go, &pgo, 1))
		return 1;
	while (count == UINT64_MAX) {
		n = fp_poll(g, wc, 32);
		if (n < 0) {
			fprintf(stderr, "fpd-traffic: poll: %s\n", strerror(-n));
			return 1;
		}
		for (i = 0; i < n; i++) {
			uint8_t *p = base + (size_t)(wc[i].wr_id % o->window) * o->size;
			size_t k;

			if (wc[i].status) {
				fprintf(stderr, "fpd-traffic: receive %" PRIu64 " failed: %s\n",
					wc[i].wr_id, strerror(wc[i].status));
				return 1;
			}
			if (wc[i].len == o->size && !memcmp(p, end_magic, sizeof(end_magic))) {
				memcpy(&count, p + sizeof(end_magic), sizeof(count));
				continue;
			}
			/* receives complete in order: message @got is this one */
			for (k = 0; k < o->size && p[k] == pattern(got, k); k++)
				;
			if (k < o->size || wc[i].len != o->size) {
				if (!bad)
					fprintf(stderr, "fpd-traffic: message %" PRIu64
						" differs at byte %zu\n", got, k);
				bad++;
			}
			got++;
			ret = fp_post_recv(g, b, (size_t)(wc[i].wr_id % o->window) * o->size,
					   o->size, posted);
			if (ret) {
				fprintf(stderr, "fpd-traffic: receive: %s\n", strerror(ret));
				return 1;
			}
			posted++;
		}
		if (now_s() - last >= 1) {
			last = now_s();
			status("receiver", g, got);
		}
	}
	status("receiver", g, got);
	printf("fpd-traffic: received %" PRIu64 " of %" PRIu64 " messages in %.1f s, corrupt %"
	       PRIu64 ", lost %" PRIu64 "\n", got, count, now_s() - t0, bad,
	       count > got ? count - got : 0);
	return bad || got != count;
}

int main(int argc, char **argv)
{
	struct opts o = { .port = 18600, .size = 256 << 10, .window = 16, .k = 4, .comm = 7,
			  .qp_timeout = 18, .timeout_ms = 30000 };
	struct fp_buf_attr battr = { .kind = FP_MEM_HOST };
	struct fp_ctx *ctx;
	struct fp_group *g;
	struct fp_buf *b;
	char go = 1, pgo, res, pres;
	int c, ret;

	while ((c = getopt(argc, argv, "sl:b:p:n:w:k:c:u:t:T:P:S:h")) != -1) {
		switch (c) {
		case 's':
			o.server = true;
			break;
		case 'l':
			o.local = optarg;
			break;
		case 'b':
			o.bootstrap = optarg;
			break;
		case 'p':
			o.port = (uint16_t)atoi(optarg);
			break;
		case 'n':
			o.size = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			o.window = (unsigned int)atoi(optarg);
			break;
		case 'k':
			o.k = (unsigned int)atoi(optarg);
			break;
		case 'c':
			o.comm = (unsigned int)atoi(optarg);
			break;
		case 'u':
			o.qp_timeout = (uint8_t)atoi(optarg);
			break;
		case 't':
			o.timeout_ms = (unsigned int)atoi(optarg);
			break;
		case 'T':
			o.seconds = atof(optarg);
			break;
		case 'P':
			o.period = atof(optarg);
			break;
		case 'S':
			o.stop = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: fpd-traffic -s | PEER [-l ADDR] [-b ADDR] [-p PORT] [-n SIZE] [-w WINDOW] [-k K] [-c COMM] [-u EXP] [-t MS] [-T SECONDS] [-P MS] [-S STOPFILE]\n");
			return c == 'h' ? 0 : 1;
		}
	}
	if (!o.server && optind + 1 != argc) {
		fprintf(stderr, "fpd-traffic: the sender needs the peer's address\n");
		return 1;
	}
	if (o.size <= END_LEN || !o.window) {
		fprintf(stderr, "fpd-traffic: -n must be above %zu bytes, -w at least 1\n", END_LEN);
		return 1;
	}
	o.peer = o.server ? NULL : argv[optind];
	ctx = fp_ctx_open(&(struct fp_ctx_attr){ .default_k = o.k, .timeout_ms = o.timeout_ms,
						 .comm = o.comm });
	if (!ctx) {
		fprintf(stderr, "fpd-traffic: fp_ctx_open: %s\n", strerror(errno));
		return 1;
	}
	g = fp_group_connect(ctx, &(struct fp_group_attr){
		.peer = o.peer, .local = o.local, .port = o.port, .bootstrap = o.bootstrap,
		.flags = o.server ? FP_GROUP_LISTEN : 0, .max_msgs = 2 * o.window,
		.qp_timeout = o.qp_timeout });
	if (!g) {
		fprintf(stderr, "fpd-traffic: fp_group_connect: %s\n", strerror(errno));
		return 1;
	}
	b = fp_buf_alloc(ctx, o.size * o.window, &battr);
	if (!b) {
		fprintf(stderr, "fpd-traffic: fp_buf_alloc: %s\n", strerror(errno));
		return 1;
	}
	status(o.server ? "receiver" : "sender", g, 0);
	if (o.server)
		ret = receiver(&o, g, b);
	else
		ret = fp_group_xchg(g, &go, &pgo, 1) ? 1 : sender(&o, g, b);
	res = (char)ret;
	if (fp_group_xchg(g, &res, &pres, 1))
		ret = 1;
	else
		ret |= pres;
	fp_buf_free(b);
	fp_group_close(g);
	fp_ctx_close(ctx);
	return ret;
}
