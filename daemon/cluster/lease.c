// SPDX-License-Identifier: MIT
/*
 * lease.c - the planner lease's decisions (lease.h).
 */
#include <stdio.h>
#include <string.h>

#include "lease.h"

void fpc_lease_init(struct fpc_lease *l, const char *me, uint64_t ttl_ns)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->me, sizeof(l->me), "%s", me);
	l->ttl_ns = ttl_ns;
}

void fpc_lease_observe(struct fpc_lease *l, uint64_t now, uint64_t rev,
		       const struct fpc_lease_val *v)
{
	if (!v) {
		/* gone (a purged bucket): nobody can hold it */
		l->seen = true;
		l->exists = false;
		l->rev = 0;
		l->held = false;
		return;
	}
	if (!l->seen || !l->exists || rev != l->rev)
		l->seen_at = now;
	l->seen = true;
	l->exists = true;
	l->rev = rev;
	l->val = *v;
	/* someone wrote after us: whatever it says, we no longer hold it */
	if (l->held && rev != l->held_rev)
		l->held = false;
}

/* How long the value seen may stay untouched before it expires. */
static uint64_t expiry(const struct fpc_lease *l)
{
	uint64_t theirs = l->val.ttl_ms * 1000000ull;

	return theirs > l->ttl_ns ? theirs : l->ttl_ns;
}

enum fpc_lease_action fpc_lease_next(const struct fpc_lease *l, uint64_t now)
{
	if (!l->seen)
		return FPC_LEASE_READ;
	if (!l->exists)
		return FPC_LEASE_CREATE;
	/* ours at the revision we wrote: renew, even after a pause (nobody
	 * took it meanwhile, or the revision would differ)
	 */
	if (l->rev == l->held_rev && l->held_rev && !strcmp(l->val.holder, l->me))
		return FPC_LEASE_RENEW;
	if (now >= l->seen_at && now - l->seen_at >= expiry(l))
		return FPC_LEASE_TAKE;
	return FPC_LEASE_WAIT;
}

void fpc_lease_value(const struct fpc_lease *l, enum fpc_lease_action a, uint32_t min_term,
		     struct fpc_lease_val *v, uint64_t *expect)
{
	uint32_t term;

	memset(v, 0, sizeof(*v));
	snprintf(v->holder, sizeof(v->holder), "%s", l->me);
	v->ttl_ms = l->ttl_ns / 1000000ull;
	switch (a) {
	case FPC_LEASE_RENEW:
		term = l->val.term;
		*expect = l->rev;
		break;
	case FPC_LEASE_TAKE:
		term = l->val.term + 1;
		*expect = l->rev;
		break;
	default:
		term = 1;
		*expect = 0;
		break;
	}
	if (a != FPC_LEASE_RENEW && term < min_term)
		term = min_term;
	v->term = term;
}

void fpc_lease_won(struct fpc_lease *l, uint64_t sent, uint64_t rev,
		   const struct fpc_lease_val *v)
{
	l->held = true;
	l->held_rev = rev;
	l->term = v->term;
	l->until = sent + l->ttl_ns;
	l->renewed_at = sent;
	l->seen = true;
	l->exists = true;
	l->rev = rev;
	l->val = *v;
	l->seen_at = sent;
}

void fpc_lease_lost(struct fpc_lease *l)
{
	l->held = false;
	l->held_rev = 0;
	l->seen = false;
}

bool fpc_lease_active(const struct fpc_lease *l, uint64_t now, uint64_t margin)
{
	return l->held && now + margin < l->until;
}

bool fpc_lease_renew_due(const struct fpc_lease *l, uint64_t now)
{
	return now < l->renewed_at || now - l->renewed_at >= l->ttl_ns / 3;
}
