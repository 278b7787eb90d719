// SPDX-License-Identifier: MIT
/*
 * report.c - schedule reports: a shared-memory ring per context that the
 * library appends one record to per completed message and per marked
 * collective, a reader for it, and the conversion of records into the
 * schedule format of docs/formats.md. The layout is in docs/reports.md.
 *
 * One producer (the context's thread), any number of readers, no locks: each
 * record is guarded by its sequence number, written 0 before and its value
 * after the record's fields, and the header's head is published last.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fp_priv.h"

#define HDR_SIZE 4096u

bool fp_report_wanted(unsigned int flags)
{
	const char *env = getenv("FLOWPLAN_REPORT");

	if (flags & FP_CTX_NO_REPORT)
		return false;
	if (flags & FP_CTX_REPORT)
		return true;
	if (env && *env)
		return strcmp(env, "0") != 0;
	return access(FP_DAEMON_SOCKET, F_OK) == 0;
}

static int64_t realtime_offset(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000ll +
	       (rt.tv_nsec - mono.tv_nsec);
}

int fp_ring_create(struct fp_ring *r, const char *path, uint32_t cap)
{
	size_t len;
	void *p;
	int fd, ret;

	memset(r, 0, sizeof(*r));
	if (!cap || (cap & (cap - 1)) || strlen(path) >= sizeof(r->path))
		return EINVAL;
	len = HDR_SIZE + (size_t)cap * sizeof(struct fp_report_rec);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	if (ftruncate(fd, (off_t)len)) {
		ret = errno;
		goto err;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		ret = errno;
		goto err;
	}
	close(fd);
	r->hdr = p;
	r->rec = (struct fp_report_rec *)((char *)p + HDR_SIZE);
	r->map_len = len;
	strcpy(r->path, path);
	r->unlink_on_close = true;
	*r->hdr = (struct fp_report_hdr){
		.version = FP_REPORT_VERSION,
		.hdr_size = HDR_SIZE,
		.rec_size = sizeof(struct fp_report_rec),
		.cap = cap,
		.rec_off = HDR_SIZE,
		.realtime_offset_ns = realtime_offset(),
		.pid = (uint32_t)getpid(),
	};
	/* Readers check the magic last. */
	__atomic_store_n(&r->hdr->magic, FP_REPORT_MAGIC, __ATOMIC_RELEASE);
	return 0;
err:
	close(fd);
	unlink(path);
	return ret;
}

void fp_ring_close(struct fp_ring *r)
{
	if (!r->hdr)
		return;
	munmap(r->hdr, r->map_len);
	if (r->unlink_on_close)
		unlink(r->path);
	r->hdr = NULL;
}

void fp_ring_put(struct fp_ring *r, struct fp_report_rec *rec)
{
	uint64_t h = r->hdr->head;
	struct fp_report_rec *slot = &r->rec[h & (r->hdr->cap - 1)];
	int64_t off = r->hdr->realtime_offset_ns;

	__atomic_store_n(&slot->seq, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	slot->comm = rec->comm;
	slot->op = rec->op;
	slot->flags = rec->flags;
	slot->status = rec->status;
	slot->src = rec->src;
	slot->dst = rec->dst;
	slot->coll = rec->coll;
	slot->bytes = rec->bytes;
	slot->start_ns = rec->start_ns + (uint64_t)off;
	slot->end_ns = rec->end_ns + (uint64_t)off;
	rec->seq = h + 1;
	__atomic_store_n(&slot->seq, h + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&r->hdr->head, h + 1, __ATOMIC_RELEASE);
}

/* ---------------------------------------------------------------- reader */

struct fp_report {
	const struct fp_report_hdr *hdr;
	const struct fp_report_rec *rec;
	size_t map_len;
	uint64_t next;		/* index of the next record to read */
};

struct fp_report *fp_report_open(const char *path)
{
	struct fp_report_hdr h;
	struct fp_report *rep;
	struct stat st;
	void *p;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || (size_t)st.st_size < HDR_SIZE ||
	    pread(fd, &h, sizeof(h), 0) != sizeof(h)) {
		err = EPROTO;
		goto err;
	}
	if (h.magic != FP_REPORT_MAGIC || h.version != FP_REPORT_VERSION ||
	    h.rec_size != sizeof(struct fp_report_rec) || !h.cap ||
	    (h.cap & (h.cap - 1)) || h.rec_off < sizeof(h) ||
	    (size_t)st.st_size < h.rec_off + (size_t)h.cap * h.rec_size) {
		err = EPROTO;
		goto err;
	}
	rep = calloc(1, sizeof(*rep));
	if (!rep) {
		err = ENOMEM;
		goto err;
	}
	rep->map_len = h.rec_off + (size_t)h.cap * h.rec_size;
	p = mmap(NULL, rep->map_len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		err = errno;
		free(rep);
		goto err;
	}
	close(fd);
	rep->hdr = p;
	rep->rec = (const void *)((const char *)p + h.rec_off);
	return rep;
err:
	close(fd);
	errno = err;
	return NULL;
}

int fp_report_read(struct fp_report *rep, struct fp_report_rec *recs,
		   size_t max, size_t *got, uint64_t *lost)
{
	uint64_t head = __atomic_load_n(&rep->hdr->head, __ATOMIC_ACQUIRE);
	uint32_t cap = rep->hdr->cap;
	size_t n = 0;
	uint64_t l = 0;

	if (head > cap && rep->next < head - cap) {
		l += head - cap - rep->next;
		rep->next = head - cap;
	}
	while (n < max && rep->next < head) {
		const struct fp_report_rec *s;
		uint64_t want = rep->next + 1, s1, s2;

		s = &rep->rec[rep->next & (cap - 1)];

		s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		memcpy(&recs[n], s, sizeof(*s));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		rep->next++;
		if (s1 != want || s2 != want) {
			l++;		/* overwritten while we read */
			continue;
		}
		recs[n].seq = want;
		n++;
	}
	*got = n;
	if (lost)
		*lost = l;
	return 0;
}

int fp_report_close(struct fp_report *rep)
{
	if (!rep)
		return EINVAL;
	munmap((void *)rep->hdr, rep->map_len);
	free(rep);
	return 0;
}

/* ------------------------------------------------------------- schedule */

const char *fp_op_str(enum fp_op op)
{
	switch (op) {
	case FP_OP_WRITE: return "write";
	case FP_OP_SEND: return "send";
	case FP_OP_RECV: return "recv";
	case FP_OP_ALLREDUCE: return "allreduce";
	case FP_OP_ALLGATHER: return "allgather";
	case FP_OP_REDUCESCATTER: return "reducescatter";
	case FP_OP_ALLTOALL: return "alltoall";
	case FP_OP_BROADCAST: return "broadcast";
	case FP_OP_COLL_OTHER: return "collective";
	}
	return "unknown";
}

static bool is_coll(uint16_t op)
{
	return op >= FP_OP_ALLREDUCE;
}

static int by_start(const void *a, const void *b)
{
	typedef const struct fp_report_rec *recp;
	recp x = *(const recp *)a, y = *(const recp *)b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static const struct fp_report_rec *find_coll(const struct fp_report_rec *recs,
					     size_t n, uint32_t comm,
					     uint32_t coll)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (is_coll(recs[i].op) && recs[i].coll == coll &&
		    recs[i].comm == comm)
			return &recs[i];
	return NULL;
}

/* The phase already opened for collective @coll of @comm, or NULL. */
static json_object *coll_phase(json_object *phases, uint32_t comm,
			       uint32_t coll)
{
	size_t j, n = json_object_array_length(phases);

	for (j = 0; j < n; j++) {
		json_object *p = json_object_array_get_idx(phases, j), *c, *cm;

		if (json_object_object_get_ex(p, "_coll", &c) &&
		    json_object_object_get_ex(p, "_comm", &cm) &&
		    (uint32_t)json_object_get_int64(c) == coll &&
		    (uint32_t)json_object_get_int64(cm) == comm)
			return p;
	}
	return NULL;
}

/* Add @r's bytes to the flow of its pair in @flows, or a new flow. */
static int add_flow(json_object *flows, const struct fp_report_rec *r)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN], job[24];
	size_t i, n = json_object_array_length(flows);
	json_object *f;

	inet_ntop(AF_INET, &r->src, src, sizeof(src));
	inet_ntop(AF_INET, &r->dst, dst, sizeof(dst));
	snprintf(job, sizeof(job), "comm%u", r->comm);
	for (i = 0; i < n; i++) {
		json_object *s, *d, *b, *j;

		f = json_object_array_get_idx(flows, i);
		json_object_object_get_ex(f, "src", &s);
		json_object_object_get_ex(f, "dst", &d);
		json_object_object_get_ex(f, "bytes", &b);
		json_object_object_get_ex(f, "job", &j);
		if (strcmp(json_object_get_string(s), src) ||
		    strcmp(json_object_get_string(d), dst) ||
		    strcmp(json_object_get_string(j), job))
			continue;
		json_object_set_int64(b, json_object_get_int64(b) +
					 (int64_t)r->bytes);
		return 0;
	}
	f = json_object_new_object();
	if (!f)
		return ENOMEM;
	json_object_object_add(f, "src", json_object_new_string(src));
	json_object_object_add(f, "dst", json_object_new_string(dst));
	json_object_object_add(f, "bytes",
			       json_object_new_int64((int64_t)r->bytes));
	json_object_object_add(f, "job", json_object_new_string(job));
	return json_object_array_add(flows, f) ? ENOMEM : 0;
}

/*
 * Phases: the messages of one marked collective form one phase (named after
 * it); unmarked messages that start within @window_ns of the first message
 * of a phase form one. Only the sending side is counted (write and send);
 * receives mirror the peer's sends. Flow endpoints are IPv4 addresses: the
 * reader of the schedule maps them to the topology's NIC names.
 */
int fp_report_schedule(const struct fp_report_rec *recs, size_t n,
		       uint64_t window_ns, const char *name, FILE *out)
{
	const struct fp_report_rec **v;
	json_object *root, *phases, *phase = NULL, *flows = NULL;
	uint64_t t0 = 0;
	uint32_t cur_coll = 0, cur_comm = 0;
	size_t i, m = 0, np = 0;
	int ret = 0;

	if (!out || (n && !recs))
		return EINVAL;
	if (!window_ns)
		window_ns = 1000000;
	v = calloc(n ? n : 1, sizeof(*v));
	root = json_object_new_object();
	phases = json_object_new_array();
	if (!v || !root || !phases) {
		ret = ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (recs[i].op == FP_OP_WRITE || recs[i].op == FP_OP_SEND)
			v[m++] = &recs[i];
	qsort(v, m, sizeof(*v), by_start);

	json_object_object_add(root, "format",
			       json_object_new_string("flowplan-schedule"));
	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(root, "name", json_object_new_string(name ?
			       name : "observed"));

	for (i = 0; i < m; i++) {
		const struct fp_report_rec *r = v[i];
		bool same;

		if (r->coll)
			same = phase && cur_coll == r->coll &&
			       cur_comm == r->comm;
		else
			same = phase && !cur_coll &&
			       r->start_ns - t0 < window_ns;
		if (!same && r->coll && phase) {
			/* A collective's messages may interleave. */
			json_object *p = coll_phase(phases, r->comm, r->coll);

			if (p) {
				phase = p;
				json_object_object_get_ex(p, "flows", &flows);
				cur_coll = r->coll;
				cur_comm = r->comm;
				same = true;
			}
		}
		if (!same) {
			const struct fp_report_rec *c = r->coll ?
				find_coll(recs, n, r->comm, r->coll) : NULL;
			char pname[64];

			if (r->coll)
				snprintf(pname, sizeof(pname), "%s-%u",
					 c ? fp_op_str((enum fp_op)c->op) :
					     "collective", r->coll);
			else
				snprintf(pname, sizeof(pname), "phase-%zu", np);
			np++;
			phase = json_object_new_object();
			flows = json_object_new_array();
			if (!phase || !flows) {
				ret = ENOMEM;
				goto out;
			}
			json_object_object_add(phase, "name",
					       json_object_new_string(pname));
			json_object_object_add(phase, "flows", flows);
			if (r->coll) {
				json_object_object_add(phase, "_coll",
					json_object_new_int64(r->coll));
				json_object_object_add(phase, "_comm",
					json_object_new_int64(r->comm));
			}
			json_object_array_add(phases, phase);
			t0 = r->start_ns;
			cur_coll = r->coll;
			cur_comm = r->comm;
		}
		ret = add_flow(flows, r);
		if (ret)
			goto out;
	}
	/* Internal bookkeeping keys are not part of the format. */
	for (i = 0; i < json_object_array_length(phases); i++) {
		json_object *p = json_object_array_get_idx(phases, i);

		json_object_object_del(p, "_coll");
		json_object_object_del(p, "_comm");
	}
	json_object_object_add(root, "phases", phases);
	phases = NULL;
	if (fprintf(out, "%s\n", json_object_to_json_string_ext(root,
			JSON_C_TO_STRING_PRETTY |
			JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		ret = EIO;
out:
	json_object_put(phases);
	json_object_put(root);
	free(v);
	return ret;
}
