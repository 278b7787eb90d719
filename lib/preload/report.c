// SPDX-License-Identifier: MIT
/*
 * report.c - the interposer's report ring (preload/report.h).
 *
 * TODO(core): the ring writer moves to lib/core/report.h; until it lands,
 * reports are off.
 */
#include "preload/preload.h"
#include "preload/report.h"

bool fp_pring_ready(const struct fp_pring *p)
{
	return p->tried;
}

void fp_pring_open(struct fp_pring *p)
{
	p->tried = true;
}

void fp_pring_put(struct fp_pring *p, uint16_t op, uint16_t flags, int status,
		  const struct fp_addr *src, const struct fp_addr *dst,
		  uint32_t lqpn, uint32_t label, unsigned int nqp)
{
	(void)p; (void)op; (void)flags; (void)status; (void)src; (void)dst;
	(void)lqpn; (void)label; (void)nqp;
}

void fp_pring_close(struct fp_pring *p)
{
	p->r = NULL;
}

void fp_pring_forget(struct fp_pring *p)
{
	p->r = NULL;
	p->tried = false;
}
