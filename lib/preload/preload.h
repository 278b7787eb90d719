/* SPDX-License-Identifier: MIT */
/*
 * preload/preload.h - the interposer's internal interfaces.
 *
 *   elfsym.c     the real dlsym/dlvsym, found without dlsym
 *   dlsym_*.S    the interposed dlsym/dlvsym (a jump, the caller preserved)
 *   hooks.c      the interposed verbs calls, the real ones, dlsym wrapping
 *   qptab.c      the QPs seen, their peers and subflow slots (no verbs)
 *   plansrc.c    where the plan comes from, and noticing that it changed
 *   state.c      the process-wide state: lock, table, plan, watcher, ring
 */
#ifndef FP_PRELOAD_H
#define FP_PRELOAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/hostplan.h"

#define FP_EXPORT	__attribute__((visibility("default")))
#define FP_NOSAN	__attribute__((no_sanitize_address, no_sanitize_undefined))

/* ---------------------------------------------------------------- elfsym */

/*
 * fp_elf_next_sym - the default definition of function @name in the first
 * object after this one (in link-map order) that defines it, or NULL.
 */
void *fp_elf_next_sym(const char *name);

/* ----------------------------------------------------------------- qptab */

struct pl_peer;

/* One QP of the process, from its creation (or first sight) to its end. */
struct pl_qp {
	const void *qp;			/* the struct ibv_qp *: the key */
	uint32_t qpn;
	uint64_t seq;			/* creation order in the process, from 1 */
	uint8_t type;			/* enum ibv_qp_type */
	uint8_t port;			/* from the INIT transition; 0: not given */
	bool connected;			/* went to RTR with a GRH */
	bool stale;			/* the plan moved it; the device could not */
	bool unplanned;			/* the current plan has no label for it */
	struct fp_addr local, remote;
	uint32_t dqpn;			/* the remote QP */
	uint32_t app_label;		/* the flow label the program asked for */
	uint32_t label;			/* the flow label the QP sends with */
	uint32_t want;			/* the current plan's label (stale: != label) */
	uint64_t version;		/* plan snapshot @label came from */
	struct pl_peer *peer;		/* while connected */
	unsigned int slot;		/* its subflow index among the peer's QPs */
	struct pl_qp *hnext;
};

/* The connected QPs from one local address to one remote address. */
struct pl_peer {
	struct fp_addr local, remote;
	unsigned int nqp;		/* connected QPs */
	unsigned int nwords;		/* of @used */
	uint64_t *used;			/* slots held */
	struct pl_peer *hnext;
};

struct pl_tab {
	size_t nbuckets;		/* a power of two, for both tables */
	struct pl_qp **qps;
	struct pl_peer **peers;
	size_t nqp, npeer;
	uint64_t seq;
};

int pl_init(struct pl_tab *t);
void pl_free(struct pl_tab *t);
struct pl_qp *pl_get(const struct pl_tab *t, const void *qp);
/* A new QP (NULL: ENOMEM). A QP already known is returned as it is. */
struct pl_qp *pl_add(struct pl_tab *t, const void *qp, uint32_t qpn,
		     uint8_t type);
void pl_del(struct pl_tab *t, struct pl_qp *q);
/*
 * pl_connect - @q goes to RTR towards @remote from @local: it takes the
 * lowest subflow slot its peer has free (a QP already connected gives its
 * old one back first). 0 or ENOMEM.
 */
int pl_connect(struct pl_tab *t, struct pl_qp *q, const struct fp_addr *local,
	       const struct fp_addr *remote, uint32_t dqpn, uint32_t app_label);
/* @q is no longer connected (RESET, a failed RTR): its slot is free. */
void pl_disconnect(struct pl_tab *t, struct pl_qp *q);
/*
 * pl_planned - the flow label @hp gives connected @q: subflow (slot mod k)
 * of the entry fp_hostplan_find() returns for its local and remote address
 * and remote QP; 0 when @hp is NULL or has no entry for it (@e: the entry).
 */
uint32_t pl_planned(const struct fp_hostplan *hp, const struct pl_qp *q,
		    const struct fp_hostplan_entry **e);
/* Call @fn for every connected QP, in no particular order. */
void pl_each_connected(struct pl_tab *t, void (*fn)(struct pl_qp *, void *),
		       void *arg);

/* --------------------------------------------------------------- plansrc */

enum ps_kind { PS_NONE, PS_MODULE, PS_FILE };

struct fp_nlc;

struct plansrc {
	bool started;
	bool no_netlink;		/* FLOWPLAN_NO_NETLINK */
	enum ps_kind kind;		/* the source in use */
	uint64_t version;		/* bumped whenever the plan in use changes */
	struct fp_hostplan hp;		/* the module's plan (empty: none) */
	/* the module: one socket for dumps, one subscribed to its events */
	struct fp_nlc *nl, *ev;
	bool module_dirty;		/* an event said the plan changed */
	int64_t next_open_ns;		/* when to look for the module again */
	int64_t next_full_ns;		/* when a cheap refresh looks anyway */
	/* the plan file */
	char *path;			/* FLOWPLAN_PLAN, or NULL */
	bool have_st;
	struct stat st;			/* of the file the snapshot was read from */
	struct fp_hostplan file_hp;	/* the file's last good plan */
	bool file_ok;
	int ino_fd;			/* inotify on the file's directory */
	char last_err[256];
};

void ps_init(struct plansrc *s);
void ps_free(struct plansrc *s);
/*
 * ps_refresh - bring the plan up to date: events of the module drained
 * (dumped again when the plan changed), the plan file re-read when it
 * changed on disk, the module looked for (at most once a second). @cheap:
 * return at once when no descriptor of the sources is readable and the
 * last full look is less than a second old (one poll() system call).
 * Returns true when the plan in use changed (s->version bumped).
 */
bool ps_refresh(struct plansrc *s, bool cheap);
/* The current plan, NULL when there is none. */
const struct fp_hostplan *ps_plan(const struct plansrc *s);
const char *ps_kind_str(enum ps_kind k);
/* Descriptors that become readable when the plan may have changed. */
int ps_fds(const struct plansrc *s, int *fds, int max);
/* After fork, in the child: forget the parent's sockets without using them. */
void ps_forget(struct plansrc *s);

/* ----------------------------------------------------------------- state */

/* What the interposer did with one RTR (hooks.c asks state.c). */
struct fp_rtr {
	uint32_t label;			/* 0: leave the program's attributes */
	uint64_t version;
};

bool fp_preload_enabled(void);
void fp_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void fp_st_qp_created(const void *qp, uint32_t qpn, uint8_t type);
void fp_st_qp_destroyed(const void *qp);
void fp_st_qp_port(const void *qp, uint32_t qpn, uint8_t type, uint8_t port);
void fp_st_qp_reset(const void *qp);
struct fp_rtr fp_st_rtr_begin(const void *qp, uint32_t qpn, uint8_t type,
			      const struct fp_addr *local,
			      const struct fp_addr *remote, uint32_t dqpn,
			      uint32_t app_label);
void fp_st_rtr_end(const void *qp, const struct fp_rtr *r, int ret);
uint8_t fp_st_qp_port_of(const void *qp);

/* ----------------------------------------------------------------- hooks */

/* Move a live QP to another UDP source port, where the device can. */
int fp_hook_set_sport(const void *qp, uint16_t sport);
/* dlsym(RTLD_DEFAULT, name) as this library. */
void *fp_hook_lookup(const char *name);
/* dlsym_x86_64.S: the function dlsym / dlvsym go on to. */
void *fp_dlsym_route(void *h, const char *name);
void *fp_dlvsym_route(void *h, const char *name, const char *ver);

#endif
