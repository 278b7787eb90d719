// SPDX-License-Identifier: MIT
/*
 * fpn-harness - load a NCCL net plugin with dlopen() and drive it as NCCL's
 * proxy does, without NCCL and without GPUs (the idea of aws-ofi-nccl's
 * functional tests): init, devices, getProperties, listen, non-blocking
 * connect/accept loops, regMr, isend/irecv/test with many requests in
 * flight and grouped receives, iflush, close, finalize. Every received
 * byte is checked.
 *
 *   fpn-harness [-p PLUGIN] [-V 11|10|9] list
 *   fpn-harness [opts] -d DEV recv HANDLE_FILE
 *   fpn-harness [opts] -d DEV send HANDLE_FILE
 *
 * The receiver listens and writes the connect handle to HANDLE_FILE; the
 * sender waits for the file and connects. Both ends take the same
 * -s SIZES (comma list, K/M/G suffixes), -c COUNT (messages per size),
 * -w WINDOW (requests in flight; default the plugin's limit, 32),
 * -n GROUP (receives grouped per irecv, tags 1..GROUP; the sender sends
 * them in a different order each step), -H coll|p2p (setNetAttr hints
 * before connecting), -T SECONDS (watchdog: exit 124), -M BYTES (buffer
 * memory cap; the window shrinks for large messages), -X BYTES (the
 * sender sends that much more than the receiver posted: a usage error).
 *
 * Exit: 0 all verified; 2 corrupt data or a wrong size; 3 the plugin
 * returned an NCCL error (printed by name); 124 the watchdog fired.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "nccl/fpn.h"
#include "nccl/nccl_abi.h"

#define MAX_SIZES	32
#define MAX_GROUP	8

/* The plugin, whatever version was loaded, as v11 calls. */
static struct {
	int ver;
	const ncclNet_v11_t *v11;
	const ncclNet_v10_t *v10;
	const ncclNet_v9_t *v9;
	fpn_comm_info_fn info;
	void *ctx;
} P;

static const char *res_name(ncclResult_t r)
{
	static const char * const n[] = { "ncclSuccess", "ncclUnhandledCudaError",
		"ncclSystemError", "ncclInternalError", "ncclInvalidArgument",
		"ncclInvalidUsage", "ncclRemoteError", "ncclInProgress" };

	return (unsigned int)r < 8 ? n[r] : "unknown";
}

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stdout, "fpn-harness: ");
	vfprintf(stdout, fmt, ap);
	fprintf(stdout, "\n");
	va_end(ap);
	fflush(stdout);
	exit(code);
}

#define CHECK(call, what) do { \
	ncclResult_t r_ = (call); \
	if (r_ != ncclSuccess) \
		die(3, "%s returned %s (%d)", what, res_name(r_), (int)r_); \
} while (0)

static void logger(ncclDebugLogLevel level, unsigned long flags,
		   const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	(void)flags;
	if (level > NCCL_LOG_INFO && !getenv("FPN_HARNESS_TRACE"))
		return;
	if (level == NCCL_LOG_INFO && !getenv("FLOWPLAN_DEBUG"))
		return;
	va_start(ap, fmt);
	printf("NCCL %s %s:%d ", level == NCCL_LOG_WARN ? "WARN" : "INFO",
	       file, line);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ----------------------------------------------------- the plugin calls */

static void load(const char *path, int ver)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		die(1, "dlopen %s: %s", path, dlerror());
	P.info = (fpn_comm_info_fn)dlsym(h, FPN_COMM_INFO_SYM);
	if (!ver || ver == 11)
		P.v11 = dlsym(h, "ncclNetPlugin_v11");
	if ((!ver && !P.v11) || ver == 10)
		P.v10 = dlsym(h, "ncclNetPlugin_v10");
	if ((!ver && !P.v11 && !P.v10) || ver == 9)
		P.v9 = dlsym(h, "ncclNetPlugin_v9");
	P.ver = P.v11 ? 11 : P.v10 ? 10 : P.v9 ? 9 : 0;
	if (!P.ver)
		die(1, "%s exports no ncclNetPlugin_v%s", path,
		    ver ? "N asked for" : "11, 10 or 9");
}

static void p_init(void)
{
	ncclNetCommConfig_v11_t cfg = { .trafficClass = -1 };

	if (P.v11)
		CHECK(P.v11->init(&P.ctx, 0x1234, &cfg, logger, NULL), "init");
	else if (P.v10)
		CHECK(P.v10->init(logger, NULL), "init");
	else
		CHECK(P.v9->init(logger), "init");
}

static int p_devices(void)
{
	int n = 0;

	CHECK(P.v11 ? P.v11->devices(&n) : P.v10 ? P.v10->devices(&n) :
	      P.v9->devices(&n), "devices");
	return n;
}

static void p_props(int dev, ncclNetProperties_v11_t *p)
{
	memset(p, 0, sizeof(*p));
	if (P.v11)
		CHECK(P.v11->getProperties(dev, p), "getProperties");
	else
		CHECK(P.v10 ? P.v10->getProperties(dev, (void *)p) :
		      P.v9->getProperties(dev, (void *)p), "getProperties");
}

#define CALL(f, ...) (P.v11 ? P.v11->f(__VA_ARGS__) : \
		      P.v10 ? P.v10->f(__VA_ARGS__) : P.v9->f(__VA_ARGS__))

static ncclResult_t p_isend(void *c, void *d, size_t s, int tag, void *mh,
			    void **req)
{
	if (P.v11)
		return P.v11->isend(c, d, s, tag, mh, NULL, req);
	if (P.v10)
		return P.v10->isend(c, d, s, tag, mh, NULL, req);
	return P.v9->isend(c, d, s, tag, mh, req);
}

static ncclResult_t p_irecv(void *c, int n, void **d, size_t *s, int *t,
			    void **mh, void **req)
{
	void *ph[MAX_GROUP] = { 0 };

	if (P.v11)
		return P.v11->irecv(c, n, d, s, t, mh, ph, req);
	if (P.v10)
		return P.v10->irecv(c, n, d, s, t, mh, ph, req);
	return P.v9->irecv(c, n, d, s, t, mh, req);
}

static void p_hints(const char *kind)
{
	ncclNetAttr_v11_t a = {
		.sendCommAttr = { -1, -1, -1, -1 },
		.recvCommAttr = { -1, -1, -1, -1 },
		.op = (uint32_t)-1, .algo = (uint32_t)-1,
		.proto = (uint32_t)-1,
	};

	if (!P.v11 || !P.v11->setNetAttr)
		die(1, "-H needs ncclNet v11 (setNetAttr)");
	if (!strcmp(kind, "p2p")) {
		a.op = 1u << ncclFuncSend | 1u << ncclFuncRecv |
		       1u << ncclFuncAlltoAll;
		a.sendCommAttr.maxConcurrentPeers = 16;
		a.recvCommAttr.maxConcurrentPeers = 16;
	} else {
		a.op = 1u << ncclFuncAllReduce;
		a.sendCommAttr.maxConcurrentPeers = 2;
		a.recvCommAttr.maxConcurrentPeers = 2;
	}
	a.sendCommAttr.maxFlowsPerPeer = a.recvCommAttr.maxFlowsPerPeer = 2;
	CHECK(P.v11->setNetAttr(P.ctx, &a), "setNetAttr");
}

/* ---------------------------------------------------------------- data */

static uint64_t seed(uint64_t msg, int tag)
{
	uint64_t x = msg * 0x9e3779b97f4a7c15ull + (uint64_t)tag * 0xbf58476d1ce4e5b9ull + 1;

	return x ? x : 1;
}

static uint64_t next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void fill(uint8_t *p, size_t len, uint64_t msg, int tag)
{
	uint64_t x = seed(msg, tag), w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		w = next(&x);
		memcpy(p + i, &w, 8);
	}
	w = next(&x);
	memcpy(p + i, &w, len - i);
}

/* Offset of the first wrong byte, or -1. */
static long check(const uint8_t *p, size_t len, uint64_t msg, int tag)
{
	uint64_t x = seed(msg, tag), w;
	size_t i, j;

	for (i = 0; i + 8 <= len; i += 8) {
		w = next(&x);
		if (memcmp(p + i, &w, 8))
			for (j = 0; j < 8; j++)
				if (p[i + j] != ((uint8_t *)&w)[j])
					return (long)(i + j);
	}
	w = next(&x);
	for (j = 0; i + j < len; j++)
		if (p[i + j] != ((uint8_t *)&w)[j])
			return (long)(i + j);
	return -1;
}

/* ------------------------------------------------------------ options */

static size_t sizes[MAX_SIZES];
static int nsizes, count = 4, window, group = 1, mem_cap_mb = 1024, extra;
static const char *hints;

static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'K':
	case 'k':
		v <<= 10;
		end++;
		break;
	case 'M':
	case 'm':
		v <<= 20;
		end++;
		break;
	case 'G':
	case 'g':
		v <<= 30;
		end++;
		break;
	}
	if (*end)
		die(1, "bad size '%s'", s);
	return (size_t)v;
}

static void parse_sizes(char *arg)
{
	char *tok, *save = NULL;

	nsizes = 0;
	for (tok = strtok_r(arg, ",", &save); tok && nsizes < MAX_SIZES;
	     tok = strtok_r(NULL, ",", &save))
		sizes[nsizes++] = parse_size(tok);
}

static void on_alarm(int sig)
{
	(void)sig;
	printf("fpn-harness: watchdog: no progress, exiting (hang)\n");
	fflush(stdout);
	_exit(124);
}

static unsigned int watchdog_s;

/* Progress: the watchdog starts again. */
static void kick(void)
{
	if (watchdog_s)
		alarm(watchdog_s);
}

static void print_info(const char *who, void *comm)
{
	struct fpn_comm_info ci;
	unsigned int i;

	if (!P.info || P.info(comm, &ci))
		return;
	printf("%s comm %s -> %s (%s): k %u split_min %" PRIu64 " msgs %" PRIu64
	       " bytes %" PRIu64 " probes %" PRIu64 " error %d\n", who,
	       ci.local, ci.peer, ci.family == AF_INET6 ? "IPv6" : "IPv4", ci.k, ci.split_min, ci.msgs, ci.bytes, ci.probes, ci.error);
	for (i = 0; i < ci.k; i++)
		printf("  subflow %u sport %u weight %u\n", i, ci.sport[i],
		       ci.weight[i]);
}

/* ---------------------------------------------------------------- list */

static int do_list(void)
{
	int n = p_devices(), d;

	printf("plugin %s version %d: %d devices\n",
	       P.v11 ? P.v11->name : P.v10 ? P.v10->name : P.v9->name, P.ver,
	       n);
	for (d = 0; d < n; d++) {
		ncclNetProperties_v11_t p;

		p_props(d, &p);
		printf("dev %d name %s pci %s guid %#" PRIx64 " ptr %#x regIsGlobal %d "
		       "speed %d port %d maxComms %d maxRecvs %d devType %d "
		       "vdevs %d maxP2pBytes %zu maxCollBytes %zu multi %d\n",
		       d, p.name, p.pciPath ? p.pciPath : "-", p.guid,
		       p.ptrSupport, p.regIsGlobal, p.speed, p.port,
		       p.maxComms, p.maxRecvs, p.netDeviceType, p.vProps.ndevs,
		       p.maxP2pBytes, p.maxCollBytes,
		       P.ver == 11 ? p.maxMultiRequestSize : -1);
	}
	return 0;
}

/* ------------------------------------------------------------ transfer */

struct slot {
	void *req;
	uint64_t msg;
	size_t size;
	int order[MAX_GROUP];		/* sender: tag order of this step */
	int sent;			/* sender: isends posted */
	int ndone;			/* sender: of those, tested done */
	void *sreq[MAX_GROUP];
};

static int run(bool send, int dev, const char *hfile)
{
	char handle[NCCL_NET_HANDLE_MAXSIZE];
	void *listen = NULL, *comm = NULL, *mh;
	size_t maxsz = 0, slotsz, total = 0;
	struct slot *sl;
	uint8_t *buf;
	uint64_t msgs = 0, steps, s, posted = 0, done = 0, t0, spins = 0;
	int i, w, inflight = 0, maxin = 0, nq;
	long corrupt = 0;

	for (i = 0; i < nsizes; i++)
		if (sizes[i] > maxsz)
			maxsz = sizes[i];
	slotsz = ((maxsz ? maxsz : 1) + 4095) & ~(size_t)4095;
	w = window;
	while (w > 1 && (size_t)w * group * slotsz > (size_t)mem_cap_mb << 20)
		w--;
	if (hints)
		p_hints(hints);
	buf = mmap(NULL, (size_t)w * group * slotsz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die(1, "%zu bytes of buffers: %s", (size_t)w * group * slotsz,
		    strerror(errno));

	t0 = now_ms();
	if (!send) {
		FILE *f;

		if (P.v11)
			CHECK(P.v11->listen(P.ctx, dev, handle, &listen), "listen");
		else if (P.v10)
			CHECK(P.v10->listen(dev, handle, &listen), "listen");
		else
			CHECK(P.v9->listen(dev, handle, &listen), "listen");
		char tmp[4096];

		snprintf(tmp, sizeof(tmp), "%s.tmp", hfile);
		f = fopen(tmp, "w");
		if (!f || fwrite(handle, 1, sizeof(handle), f) != sizeof(handle))
			die(1, "cannot write %s", tmp);
		fclose(f);
		/* Rename, so that the sender never reads half a handle. */
		if (rename(tmp, hfile))
			die(1, "cannot rename %s: %s", tmp, strerror(errno));
		for (nq = 0; !comm; nq++) {
			if (P.v11)
				CHECK(P.v11->accept(listen, &comm, NULL), "accept");
			else if (P.v10)
				CHECK(P.v10->accept(listen, &comm, NULL), "accept");
			else
				CHECK(P.v9->accept(listen, &comm, NULL), "accept");
			if (!comm)
				usleep(1000);
		}
		printf("accepted after %d calls, %" PRIu64 " ms\n", nq,
		       now_ms() - t0);
	} else {
		FILE *f;

		while (!(f = fopen(hfile, "r")))
			usleep(10000);
		if (fread(handle, 1, sizeof(handle), f) != sizeof(handle))
			die(1, "short handle in %s", hfile);
		fclose(f);
		for (nq = 0; !comm; nq++) {
			if (P.v11)
				CHECK(P.v11->connect(P.ctx, dev, handle, &comm,
						     NULL), "connect");
			else if (P.v10)
				CHECK(P.v10->connect(dev, NULL, handle, &comm,
						     NULL), "connect");
			else
				CHECK(P.v9->connect(dev, handle, &comm, NULL),
				      "connect");
			if (!comm)
				usleep(1000);
		}
		printf("connected after %d calls, %" PRIu64 " ms\n", nq,
		       now_ms() - t0);
	}
	print_info(send ? "send" : "recv", comm);
	CHECK(CALL(regMr, comm, buf, (size_t)w * group * slotsz, NCCL_PTR_HOST,
		   &mh), "regMr");

	sl = calloc((size_t)w, sizeof(*sl));
	steps = (uint64_t)nsizes * (uint64_t)count;
	t0 = now_ms();
	for (s = 0; done < steps;) {
		bool busy = false;

		/* Post: the next steps into their slots, while slots are free. */
		while (posted < steps && !sl[posted % w].req &&
		       !sl[posted % w].sent) {
			struct slot *x = &sl[posted % w];
			uint8_t *base = buf + (size_t)(posted % w) * group * slotsz;
			size_t sz = sizes[(posted / count) % nsizes];

			x->msg = posted;
			x->size = sz;
			if (!send) {
				void *d[MAX_GROUP], *m[MAX_GROUP];
				size_t rs[MAX_GROUP];
				int tg[MAX_GROUP];

				for (i = 0; i < group; i++) {
					d[i] = base + (size_t)i * slotsz;
					/* NCCL posts the whole step buffer. */
					rs[i] = sz + (sz & 1);
					tg[i] = i + 1;
					m[i] = mh;
					memset(d[i], 0xa5, sz);
				}
				CHECK(p_irecv(comm, group, d, rs, tg, m, &x->req),
				      "irecv");
				if (!x->req)
					break;
				posted++;
				busy = true;
			} else {
				for (i = 0; i < group; i++) {
					/* a different tag order each step */
					x->order[i] = (int)((i + posted) % group) + 1;
					/* the buffer of tag t is number t - 1 */
					fill(base + (size_t)i * slotsz, sz,
					     posted, i + 1);
				}
				x->sent = 0;
				x->req = x;	/* marks the slot taken */
				posted++;
				busy = true;
			}
		}
		/* Sender: isend whatever the receiver made room for. */
		if (send) {
			uint64_t q;

			for (q = done; q < posted; q++) {
				struct slot *x = &sl[q % w];
				uint8_t *base = buf + (size_t)(q % w) * group * slotsz;

				while (x->sent < group) {
					int tag = x->order[x->sent];
					void *r = NULL;

					CHECK(p_isend(comm, base + (size_t)(tag - 1) * slotsz,
						      x->size + (size_t)extra, tag,
						      mh, &r), "isend");
					if (!r)
						break;
					x->sreq[tag - 1] = r;
					x->sent++;
					busy = true;
				}
				if (x->sent < group)
					break;	/* in order, as NCCL does */
			}
		}
		/* In flight once all that could be posted is (before a test retires one). */
		inflight = (int)(posted - done);
		if (inflight > maxin)
			maxin = inflight;
		/* Test the oldest. */
		if (done < posted) {
			struct slot *x = &sl[done % w];
			uint8_t *base = buf + (size_t)(done % w) * group * slotsz;
			int dn = 1, got[MAX_GROUP];

			if (send) {
				/* every tag's request, once sent, tested done */
				for (i = 0; i < group; i++) {
					int one = 0;

					if (!x->sreq[i])
						continue;
					CHECK(CALL(test, x->sreq[i], &one, got), "test");
					if (!one)
						continue;
					if ((size_t)got[0] != x->size)
						die(2, "send %" PRIu64 " tag %d: test says %d bytes, sent %zu",
						    x->msg, i + 1, got[0], x->size);
					x->sreq[i] = NULL;
					x->ndone++;
				}
				dn = x->ndone == group;
			} else {
				CHECK(CALL(test, x->req, &dn, got), "test");
				for (i = 0; dn && i < group; i++) {
					long bad;

					if ((size_t)got[i] != x->size)
						die(2, "recv %" PRIu64 " tag %d: %d bytes, want %zu",
						    x->msg, i + 1, got[i], x->size);
					bad = check(base + (size_t)i * slotsz,
						    x->size, x->msg, i + 1);
					if (bad >= 0) {
						corrupt++;
						printf("recv %" PRIu64 " tag %d size %zu: byte %ld wrong\n",
						       x->msg, i + 1, x->size, bad);
					}
					total += x->size;
				}
			}
			if (dn) {
				x->req = NULL;
				x->sent = 0;
				x->ndone = 0;
				done++;
				msgs += (uint64_t)group;
				busy = true;
				kick();
			}
		}
		inflight = (int)(posted - done);
		if (inflight > maxin)
			maxin = inflight;
		if (!busy) {
			spins++;
			sched_yield();
		}
		s++;
	}
	{
		uint64_t ms = now_ms() - t0;

		printf("%s: %" PRIu64 " messages, %zu bytes verified, corrupt %ld, "
		       "max in flight %d (window %d x group %d), %" PRIu64 " ms",
		       send ? "send" : "recv", msgs, send ? (size_t)0 : total,
		       corrupt, maxin, w, group, ms);
		if (ms && !send)
			printf(", %.1f Mbit/s", (double)total * 8 / 1000.0 / (double)ms);
		printf("\n");
	}
	if (!send && getenv("FPN_HARNESS_FLUSH")) {
		void *fr = NULL, *d = buf, *m = mh;
		int fs = 1;

		CHECK(P.v11 ? P.v11->iflush(comm, 1, &d, &fs, &m, &fr) :
		      P.v10 ? P.v10->iflush(comm, 1, &d, &fs, &m, &fr) :
		      P.v9->iflush(comm, 1, &d, &fs, &m, &fr), "iflush");
		printf("iflush: %s\n", fr ? "request" : "done at once");
	}
	print_info(send ? "send" : "recv", comm);
	CHECK(CALL(deregMr, comm, mh), "deregMr");
	if (send)
		CHECK(CALL(closeSend, comm), "closeSend");
	else
		CHECK(CALL(closeRecv, comm), "closeRecv");
	if (listen)
		CHECK(CALL(closeListen, listen), "closeListen");
	if (P.v11)
		CHECK(P.v11->finalize(P.ctx), "finalize");
	munmap(buf, (size_t)w * group * slotsz);
	free(sl);
	if (!send && corrupt)
		die(2, "%ld corrupt messages", corrupt);
	printf("fpn-harness: %s ok\n", send ? "send" : "recv");
	return 0;
}

int main(int argc, char **argv)
{
	const char *plugin = getenv("FPN_PLUGIN");
	char def[4096];
	int opt, ver = 0, dev = 0, tmo = 0;
	char dflt[] = "1,4099,64K";

	parse_sizes(dflt);
	window = NCCL_NET_MAX_REQUESTS;
	while ((opt = getopt(argc, argv, "p:V:d:s:c:w:n:H:T:M:X:")) != -1) {
		switch (opt) {
		case 'p':
			plugin = optarg;
			break;
		case 'V':
			ver = atoi(optarg);
			break;
		case 'd':
			dev = atoi(optarg);
			break;
		case 's':
			parse_sizes(optarg);
			break;
		case 'c':
			count = atoi(optarg);
			break;
		case 'w':
			window = atoi(optarg);
			break;
		case 'n':
			group = atoi(optarg);
			break;
		case 'H':
			hints = optarg;
			break;
		case 'T':
			tmo = atoi(optarg);
			break;
		case 'M':
			mem_cap_mb = atoi(optarg);
			break;
		case 'X':
			extra = atoi(optarg);
			break;
		default:
			die(1, "usage: fpn-harness [-p PLUGIN] [-V VER] [-d DEV] "
			    "[-s SIZES] [-c N] [-w N] [-n N] [-H coll|p2p] "
			    "[-T S] [-M MB] list|send FILE|recv FILE");
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (group < 1 || group > MAX_GROUP || window < 1 || count < 1 ||
	    !nsizes)
		die(1, "bad -n, -w, -c or -s");
	if (!plugin) {
		ssize_t n = readlink("/proc/self/exe", def, sizeof(def) - 64);

		if (n <= 0)
			die(1, "no plugin: -p PLUGIN");
		def[n] = 0;
		strcpy(strrchr(def, '/') + 1, "libnccl-net-flowplan.so");
		plugin = def;
	}
	if (tmo > 0) {
		watchdog_s = (unsigned int)tmo;
		signal(SIGALRM, on_alarm);
		kick();
	}
	load(plugin, ver);
	p_init();
	if (optind < argc && !strcmp(argv[optind], "list"))
		return do_list();
	if (optind + 1 < argc && !strcmp(argv[optind], "recv"))
		return run(false, dev, argv[optind + 1]);
	if (optind + 1 < argc && !strcmp(argv[optind], "send"))
		return run(true, dev, argv[optind + 1]);
	die(1, "say list, send FILE or recv FILE");
	return 1;
}
