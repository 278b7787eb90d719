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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>

#include "core/addr.h"
#include "core/report.h"

#define HDR_SIZE 4096u

_Static_assert(sizeof(struct fp_report_rec) == 80, "version 2 record: 80 bytes");
_Static_assert(sizeof(struct fp_report_rec_v1) == 56, "version 1 record: 56 bytes");
_Static_assert(offsetof(struct fp_report_rec, seq) == 0 &&
	       offsetof(struct fp_report_rec_v1, seq) == 0,
	       "the reader checks seq at a slot's start, in either version");

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

/*
 * The daemon's user may read the ring: when its socket exists, is a socket,
 * belongs to another user than ours and root, and sits in a directory only
 * root or that user may write (so nobody else can have planted it), that
 * user gets read access through a POSIX ACL. Where the file system has no
 * ACLs the ring stays the writer's alone; a daemon running as root reads
 * it anyway.
 */
static void grant_daemon(int fd)
{
	struct {
		struct posix_acl_xattr_header h;
		struct posix_acl_xattr_entry e[5];
	} acl;
	struct stat ss, ds;
	char dir[sizeof(FP_DAEMON_SOCKET)], *slash;

	if (lstat(FP_DAEMON_SOCKET, &ss) || !S_ISSOCK(ss.st_mode) ||
	    !ss.st_uid || ss.st_uid == geteuid())
		return;
	strcpy(dir, FP_DAEMON_SOCKET);
	slash = strrchr(dir, '/');
	*slash = 0;
	if (lstat(dir, &ds) || !S_ISDIR(ds.st_mode) || (ds.st_mode & 022) ||
	    (ds.st_uid && ds.st_uid != ss.st_uid))
		return;
	acl.h.a_version = POSIX_ACL_XATTR_VERSION;
	acl.e[0] = (struct posix_acl_xattr_entry){ ACL_USER_OBJ,
		ACL_READ | ACL_WRITE, (uint32_t)ACL_UNDEFINED_ID };
	acl.e[1] = (struct posix_acl_xattr_entry){ ACL_USER, ACL_READ,
						    ss.st_uid };
	acl.e[2] = (struct posix_acl_xattr_entry){ ACL_GROUP_OBJ, 0,
		(uint32_t)ACL_UNDEFINED_ID };
	acl.e[3] = (struct posix_acl_xattr_entry){ ACL_MASK, ACL_READ,
		(uint32_t)ACL_UNDEFINED_ID };
	acl.e[4] = (struct posix_acl_xattr_entry){ ACL_OTHER, 0,
		(uint32_t)ACL_UNDEFINED_ID };
	if (fsetxattr(fd, "system.posix_acl_access", &acl, sizeof(acl), 0) &&
	    getenv("FLOWPLAN_DEBUG"))
		fprintf(stderr, "flowplan: report ring not readable by the daemon's user %u: %s\n",
			(unsigned int)ss.st_uid, strerror(errno));
}

int fp_ring_create(struct fp_ring *r, const char *path, uint32_t cap)
{
	size_t len;
	void *p;
	int fd, ret;

	memset(r, 0, sizeof(*r));
	if (!path || !cap || (cap & (cap - 1)) || cap > FP_RING_MAX_RECORDS)
		return EINVAL;
	if (strlen(path) >= sizeof(r->path))
		return ENAMETOOLONG;
	len = HDR_SIZE + (size_t)cap * sizeof(struct fp_report_rec);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return errno;
	grant_daemon(fd);
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
	r->cap = cap;
	r->realtime_offset_ns = realtime_offset();
	strcpy(r->path, path);
	r->unlink_on_close = true;
	*r->hdr = (struct fp_report_hdr){
		.version = FP_REPORT_VERSION,
		.hdr_size = HDR_SIZE,
		.rec_size = sizeof(struct fp_report_rec),
		.cap = cap,
		.rec_off = HDR_SIZE,
		.realtime_offset_ns = r->realtime_offset_ns,
		.pid = (uint32_t)getpid(),
	};
	/* Readers check the magic last. */
	__atomic_store_n(&r->hdr->magic, FP_REPORT_MAGIC, __ATOMIC_RELEASE);
	return 0;
err:
	close(fd);
	unlink(path);		/* ours: O_EXCL made it */
	return ret;
}

int fp_ring_create_in(struct fp_ring *r, const char *dir, uint32_t pid,
		      uint32_t *serial, uint32_t cap, struct fp_err *err)
{
	char path[sizeof(r->path)];
	int tries, n, ret = EEXIST;

	memset(r, 0, sizeof(*r));
	if (!dir || !serial)
		return fp_fail(err, EINVAL, "no directory for the report ring");
	for (tries = 0; tries < 64 && ret == EEXIST; tries++) {
		uint32_t i = __atomic_add_fetch(serial, 1, __ATOMIC_RELAXED);

		n = snprintf(path, sizeof(path), "%s/flowplan-%u-%u", dir, pid, i);
		if (n < 0 || (size_t)n >= sizeof(path))
			return fp_fail(err, ENAMETOOLONG,
				       "%s: name too long for a report ring (%zu bytes at most, with /flowplan-PID-N)",
				       dir, sizeof(path) - 1);
		ret = fp_ring_create(r, path, cap);
	}
	if (ret)
		return fp_fail(err, ret, "%s: %s", ret == EEXIST ? dir : path,
			       ret == EEXIST ? "64 ring names in a row taken already" :
			       strerror(ret));
	return 0;
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
	uint64_t h = r->head;
	struct fp_report_rec *slot = &r->rec[h & (r->cap - 1)];
	uint64_t off = (uint64_t)r->realtime_offset_ns;

	__atomic_store_n(&slot->seq, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	slot->comm = rec->comm;
	slot->op = rec->op;
	slot->flags = rec->flags;
	slot->status = rec->status;
	slot->coll = rec->coll;
	memcpy(slot->src, rec->src, sizeof(slot->src));
	memcpy(slot->dst, rec->dst, sizeof(slot->dst));
	slot->bytes = rec->bytes;
	slot->start_ns = rec->start_ns + off;
	slot->end_ns = rec->end_ns + off;
	rec->seq = h + 1;
	r->head = h + 1;
	__atomic_store_n(&slot->seq, h + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&r->hdr->head, h + 1, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------ record versions */

static const uint8_t unspec[16];

void fp_report_rec_from_v1(struct fp_report_rec *out,
			   const struct fp_report_rec_v1 *in)
{
	struct fp_addr a;

	*out = (struct fp_report_rec){
		.seq = in->seq, .comm = in->comm, .op = in->op,
		.flags = in->flags, .status = in->status, .coll = in->coll,
		.bytes = in->bytes, .start_ns = in->start_ns,
		.end_ns = in->end_ns,
	};
	/* Version 1's 0 is "none", which version 2 writes as ::. */
	if (in->src) {
		a = fp_addr_v4(in->src);
		memcpy(out->src, a.b, sizeof(out->src));
	}
	if (in->dst) {
		a = fp_addr_v4(in->dst);
		memcpy(out->dst, a.b, sizeof(out->dst));
	}
}

/* @b: a version 2 address; its version 1 form in *@v4, or false. */
static bool addr_to_v1(const uint8_t *b, uint32_t *v4)
{
	struct fp_addr a;

	memcpy(a.b, b, sizeof(a.b));
	if (!memcmp(b, unspec, sizeof(unspec)))
		*v4 = 0;
	else if (fp_addr_is_v4(&a))
		*v4 = fp_addr_to_v4(&a);
	else
		return false;
	return true;
}

int fp_report_rec_to_v1(struct fp_report_rec_v1 *out,
			const struct fp_report_rec *in)
{
	uint32_t src, dst;

	if (!addr_to_v1(in->src, &src) || !addr_to_v1(in->dst, &dst))
		return EOVERFLOW;
	*out = (struct fp_report_rec_v1){
		.seq = in->seq, .comm = in->comm, .op = in->op,
		.flags = in->flags, .status = in->status, .src = src,
		.dst = dst, .coll = in->coll, .bytes = in->bytes,
		.start_ns = in->start_ns, .end_ns = in->end_ns,
	};
	return 0;
}

/* ---------------------------------------------------------------- reader */

/* Slots copied at once when they cannot go straight into the caller's array. */
#define SCRATCH_SLOTS 256u

struct fp_report {
	int fd;
	uint32_t cap;		/* as validated at open, never re-read */
	uint32_t rec_size;	/* likewise: 56 (version 1) or 80 (2) */
	uint64_t rec_off;	/* likewise */
	uint64_t next;		/* index of the next record to read */
	void *scratch;		/* SCRATCH_SLOTS slots, made when needed */
};

struct fp_report *fp_ring_reader_open(const char *path)
{
	struct fp_report_hdr h;
	struct fp_report *rep;
	struct stat st;
	uint64_t size;
	uint32_t rs;
	int fd, err;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW |
		  O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < HDR_SIZE ||
	    pread(fd, &h, sizeof(h), 0) != sizeof(h)) {
		err = EPROTO;
		goto err;
	}
	size = (uint64_t)st.st_size;
	/* Each version has its record size, and no other. */
	rs = h.version == 1 ? sizeof(struct fp_report_rec_v1) :
	     h.version == FP_REPORT_VERSION ? sizeof(struct fp_report_rec) : 0;
	/* cap * rec_size < 2^37: no overflow once rec_off <= size. */
	if (h.magic != FP_REPORT_MAGIC || !rs || h.rec_size != rs || !h.cap ||
	    (h.cap & (h.cap - 1)) || h.rec_off < sizeof(h) ||
	    h.rec_off % _Alignof(struct fp_report_rec) || h.rec_off > size ||
	    (uint64_t)h.cap * rs > size - h.rec_off) {
		err = EPROTO;
		goto err;
	}
	rep = calloc(1, sizeof(*rep));
	if (!rep) {
		err = ENOMEM;
		goto err;
	}
	rep->fd = fd;
	rep->cap = h.cap;
	rep->rec_size = rs;
	rep->rec_off = h.rec_off;
	return rep;
err:
	close(fd);
	errno = err;
	return NULL;
}

/* @len bytes at @off, all of them, or EPROTO (the file was cut short). */
static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (!n)
			return EPROTO;
		done += (size_t)n;
	}
	return 0;
}

static int read_head(const struct fp_report *rep, uint64_t *head)
{
	int ret = read_at(rep->fd, head, sizeof(*head),
			  offsetof(struct fp_report_hdr, head));

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return ret;
}

/*
 * A record the reader hands out: one of the ops, a sane size and time, and
 * endpoints of one family (either may be :: for none).
 */
static bool rec_sane(const struct fp_report_rec *r)
{
	struct fp_addr s, d;

	switch (r->op) {
	case FP_OP_WRITE: case FP_OP_SEND: case FP_OP_RECV:
	case FP_OP_ALLREDUCE: case FP_OP_ALLGATHER: case FP_OP_REDUCESCATTER:
	case FP_OP_ALLTOALL: case FP_OP_BROADCAST: case FP_OP_COLL_OTHER:
	case FP_OP_QP_UP: case FP_OP_QP_DOWN: case FP_OP_QP_REPIN:
		break;
	default:
		return false;
	}
	memcpy(s.b, r->src, sizeof(s.b));
	memcpy(d.b, r->dst, sizeof(d.b));
	if (memcmp(r->src, unspec, sizeof(unspec)) &&
	    memcmp(r->dst, unspec, sizeof(unspec)) &&
	    fp_addr_is_v4(&s) != fp_addr_is_v4(&d))
		return false;
	return r->bytes < (1ull << 63) && r->end_ns >= r->start_ns;
}

/* Slot @i of a copy of slots in the ring's layout, as a version 2 record. */
static void slot_get(const struct fp_report *rep, const void *slots,
		     uint64_t i, struct fp_report_rec *out)
{
	const char *p = (const char *)slots + i * rep->rec_size;
	struct fp_report_rec_v1 o;

	if (rep->rec_size == sizeof(*out)) {
		memcpy(out, p, sizeof(*out));
		return;
	}
	memcpy(&o, p, sizeof(o));
	fp_report_rec_from_v1(out, &o);
}

/*
 * One batch: records [next, next + n) copied in one or two reads (the ring
 * wraps), then the head read again: a record the writer overwrote during
 * the copy (its index + cap below the new head) is lost; the others are
 * whole when their sequence number is theirs. The sane ones go to the
 * front of @out, version 2 records or, with @v1, version 1 records; how
 * many slots were consumed (0: nothing new) goes to *@used. A version 2
 * ring read into version 2 records is copied straight into @out; anything
 * else goes through the scratch slots, SCRATCH_SLOTS at a time.
 */
static int read_batch(struct fp_report *rep, void *out, bool v1,
		      size_t max, size_t *got, uint64_t *lost, uint64_t *used)
{
	const size_t rs = rep->rec_size;
	bool direct = !v1 && rs == sizeof(struct fp_report_rec);
	uint64_t head, head2, seq2, i, n, first, run;
	struct fp_report_rec x;
	size_t nout = 0;
	char *slots;
	int ret;

	*got = 0;
	*used = 0;
	if (!direct && !rep->scratch) {
		rep->scratch = malloc(SCRATCH_SLOTS * sizeof(struct fp_report_rec));
		if (!rep->scratch)
			return ENOMEM;
	}
	slots = direct ? out : rep->scratch;
	if (!direct && max > SCRATCH_SLOTS)
		max = SCRATCH_SLOTS;
	ret = read_head(rep, &head);
	if (ret)
		return ret;
	if (head > rep->cap && rep->next < head - rep->cap) {
		*lost += head - rep->cap - rep->next;
		rep->next = head - rep->cap;
	}
	/* A head that went back (a writer that lies) gives nothing. */
	n = head <= rep->next ? 0 : head - rep->next < max ? head - rep->next : max;
	if (!n)
		return 0;
	first = rep->next & (rep->cap - 1);
	run = n < rep->cap - first ? n : rep->cap - first;
	ret = read_at(rep->fd, slots, (size_t)run * rs, rep->rec_off + first * rs);
	if (!ret && run < n)
		ret = read_at(rep->fd, slots + run * rs, (size_t)(n - run) * rs,
			      rep->rec_off);
	if (!ret)
		ret = read_head(rep, &head2);
	/*
	 * The writer may be overwriting record head2 - cap right now (it
	 * writes record j while head is j): that one is whole only if its
	 * sequence number is still its own after the copy (seqlock). Both
	 * versions have seq first in a slot.
	 */
	if (!ret && head2 >= rep->cap && head2 - rep->cap >= rep->next &&
	    head2 - rep->cap < rep->next + n) {
		uint64_t idx = head2 - rep->cap;

		ret = read_at(rep->fd, &seq2, sizeof(seq2), rep->rec_off +
			      (idx & (rep->cap - 1)) * rs);
		if (!ret && seq2 != idx + 1)
			memset(slots + (idx - rep->next) * rs, 0, sizeof(uint64_t));
	}
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		uint64_t idx = rep->next + i;

		slot_get(rep, slots, i, &x);
		if (x.seq != idx + 1 || idx + rep->cap < head2 || !rec_sane(&x)) {
			(*lost)++;
			continue;
		}
		if (!v1) {
			((struct fp_report_rec *)out)[nout] = x;
		} else if (fp_report_rec_to_v1((struct fp_report_rec_v1 *)out + nout, &x)) {
			/* Not for a version 1 reader: consumed, said. */
			rep->next = idx + 1;
			*got = nout;
			*used = i + 1;
			return EOVERFLOW;
		}
		nout++;
	}
	rep->next += n;
	*got = nout;
	*used = n;
	return 0;
}

static int ring_read(struct fp_report *rep, void *recs, bool v1, size_t max,
		     size_t *got, uint64_t *lost)
{
	const size_t rsz = v1 ? sizeof(struct fp_report_rec_v1) :
				sizeof(struct fp_report_rec);
	uint64_t l = 0, used, seen = 0;
	size_t n = 0, g;
	int ret = 0;

	if (!rep || !got || (max && !recs))
		return EINVAL;
	/*
	 * Slots that held no sane record leave room for more, but no call
	 * looks at more than @max slots: a writer that only writes garbage,
	 * however fast, cannot keep the reader here.
	 */
	do {
		ret = read_batch(rep, (char *)recs + n * rsz, v1, max - seen,
				 &g, &l, &used);
		n += g;
		seen += used;
	} while (!ret && used && seen < max);
	*got = n;
	if (lost)
		*lost = l;
	return ret;
}

int fp_ring_read(struct fp_report *rep, struct fp_report_rec *recs,
		 size_t max, size_t *got, uint64_t *lost)
{
	return ring_read(rep, recs, false, max, got, lost);
}

int fp_ring_read_v1(struct fp_report *rep, struct fp_report_rec_v1 *recs,
		    size_t max, size_t *got, uint64_t *lost)
{
	return ring_read(rep, recs, true, max, got, lost);
}

int fp_ring_reader_close(struct fp_report *rep)
{
	if (!rep)
		return EINVAL;
	close(rep->fd);
	free(rep->scratch);
	free(rep);
	return 0;
}
