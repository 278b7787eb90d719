/* SPDX-License-Identifier: MIT */
/*
 * lease.h - which planner is active: a lease held in the
 * bucket's key planner.lease, as decisions only (no I/O, so the unit tests
 * drive every interleaving).
 *
 * Every write of the key is revision-checked (the bucket refuses an update
 * that does not name the revision it holds), so of two planners racing for
 * it exactly one wins. The expiry needs no synchronised clocks: the holder
 * stops acting @ttl after it *sent* its last successful renewal; a standby
 * takes over when it has seen the *same* revision for @ttl (the holder's
 * own ttl from the value when longer) on its own monotonic clock. A
 * standby sees a revision only after it was written, so by the time it
 * takes over the holder has stopped. Each takeover writes the next term.
 */
#ifndef FPC_LEASE_H
#define FPC_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

enum fpc_lease_action {
	FPC_LEASE_READ,		/* read the key, then ask again */
	FPC_LEASE_WAIT,		/* someone else holds it and it is fresh */
	FPC_LEASE_CREATE,	/* no lease: create it (revision 0) */
	FPC_LEASE_RENEW,	/* ours: update it at our revision */
	FPC_LEASE_TAKE,		/* expired: update it at the revision seen, next term */
};

struct fpc_lease {
	char me[FPC_NAME_MAX + 1];
	uint64_t ttl_ns;
	/* what the key holds, as last read */
	bool seen, exists;
	uint64_t rev;
	struct fpc_lease_val val;
	uint64_t seen_at;	/* when this revision was first seen */
	/* ours */
	bool held;
	uint64_t held_rev;	/* the revision our last write made */
	uint32_t term;		/* the term we hold */
	uint64_t until;		/* we may act until then */
	uint64_t renewed_at;	/* when the last renewal was sent */
};

void fpc_lease_init(struct fpc_lease *l, const char *me, uint64_t ttl_ns);
/* The key read at @now: absent (@v NULL), or at revision @rev holding @v. */
void fpc_lease_observe(struct fpc_lease *l, uint64_t now, uint64_t rev,
		       const struct fpc_lease_val *v);
/* What to do at @now. */
enum fpc_lease_action fpc_lease_next(const struct fpc_lease *l, uint64_t now);
/*
 * The value to write for @a (CREATE, RENEW, TAKE), with a term at least
 * @min_term (the highest term seen in the shares, plus one), and the
 * revision the write must name in *@expect.
 */
void fpc_lease_value(const struct fpc_lease *l, enum fpc_lease_action a, uint32_t min_term,
		     struct fpc_lease_val *v, uint64_t *expect);
/* The write of @v sent at @sent took revision @rev: we hold the lease. */
void fpc_lease_won(struct fpc_lease *l, uint64_t sent, uint64_t rev,
		   const struct fpc_lease_val *v);
/* The write was refused (someone wrote first): read again. */
void fpc_lease_lost(struct fpc_lease *l);
/* Active: held, and not past its expiry by @margin. */
bool fpc_lease_active(const struct fpc_lease *l, uint64_t now, uint64_t margin);
/* A renewal is due (a third of the ttl since the last one). */
bool fpc_lease_renew_due(const struct fpc_lease *l, uint64_t now);

#endif
