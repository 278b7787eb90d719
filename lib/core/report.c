// SPDX-License-Identifier: MIT
/*
 * report.c - the schedule report ring (docs/reports.md): its writer and
 * its reader.
 *
 * One producer, any number of readers, no locks: each record is guarded by
 * its sequence number, written 0 before and its value after the record's
 * fields, and the header's head is published last.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/report.h"

#define HDR_SIZE 4096u

bool fp_ring_wanted(void)
{
	const char *env = getenv("FLOWPLAN_REPORT");

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
	if (!path || !cap || (cap & (cap - 1)) || strlen(path) >= sizeof(r->path))
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
	uint32_t cap;		/* as validated at open, never re-read */
	uint64_t next;		/* index of the next record to read */
};

struct fp_report *fp_ring_reader_open(const char *path)
{
	struct fp_report_hdr h;
	struct fp_report *rep;
	struct stat st;
	size_t recs;
	void *p;
	int fd, err;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size < HDR_SIZE ||
	    pread(fd, &h, sizeof(h), 0) != sizeof(h)) {
		err = EPROTO;
		goto err;
	}
	recs = (size_t)h.cap * sizeof(struct fp_report_rec);
	if (h.magic != FP_REPORT_MAGIC || h.version != FP_REPORT_VERSION ||
	    h.rec_size != sizeof(struct fp_report_rec) || !h.cap ||
	    (h.cap & (h.cap - 1)) || h.rec_off < sizeof(h) ||
	    h.rec_off % _Alignof(struct fp_report_rec) ||
	    h.rec_off > (uint64_t)st.st_size ||
	    recs > (size_t)st.st_size - h.rec_off) {
		err = EPROTO;
		goto err;
	}
	rep = calloc(1, sizeof(*rep));
	if (!rep) {
		err = ENOMEM;
		goto err;
	}
	rep->map_len = h.rec_off + recs;
	rep->cap = h.cap;
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

int fp_ring_read(struct fp_report *rep, struct fp_report_rec *recs,
		 size_t max, size_t *got, uint64_t *lost)
{
	uint64_t head, l = 0;
	uint32_t cap;
	size_t n = 0;

	if (!rep || !got || (max && !recs))
		return EINVAL;
	head = __atomic_load_n(&rep->hdr->head, __ATOMIC_ACQUIRE);
	cap = rep->cap;
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

int fp_ring_reader_close(struct fp_report *rep)
{
	if (!rep)
		return EINVAL;
	munmap((void *)rep->hdr, rep->map_len);
	free(rep);
	return 0;
}
