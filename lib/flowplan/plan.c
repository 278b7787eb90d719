// SPDX-License-Identifier: MIT
/*
 * plan.c - where a context's plan comes from, and the subflows it gives a
 * pair of addresses.
 *
 * Order: the flowplan kernel module's table over generic netlink (when the
 * family exists and holds entries), else a plan file (the context attribute,
 * else $FLOWPLAN_PLAN), else the default: default_k subflows (1 unless the
 * caller says otherwise) with flow label 0, which lets the kernel derive each
 * QP's source port from the QP numbers, i.e. plain RoCE behaviour.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fp_priv.h"

static void plan_clear(struct fp_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->source = FP_PLAN_DEFAULT;
}

int fp_plan_load(struct fp_plan *p, const char *file, bool no_netlink,
		 unsigned int default_k, struct fp_err *err)
{
	struct stat st;
	int ret;

	plan_clear(p);
	p->default_k = default_k ? default_k : 1;
	if (p->default_k > FP_MAX_SUBFLOWS)
		return fp_fail(err, EINVAL, "default_k %u: at most %d subflows",
			       default_k, FP_MAX_SUBFLOWS);

	if (!no_netlink && !getenv("FLOWPLAN_NO_NETLINK")) {
		ret = fp_nl_get_plan(&p->t, err);
		if (!ret && p->t.n) {
			p->source = FP_PLAN_NETLINK;
			return 0;
		}
		fp_entries_free(&p->t);
		memset(&p->t, 0, sizeof(p->t));
		/* A module we cannot read is no reason to fail: next source. */
		if (ret && ret != ENOENT && getenv("FLOWPLAN_DEBUG"))
			fprintf(stderr, "libflowplan: %s\n",
				err ? err->msg : strerror(ret));
	}

	if (!file || !*file)
		file = getenv("FLOWPLAN_PLAN");
	if (!file || !*file)
		return 0;
	if (strlen(file) >= sizeof(p->path))
		return fp_fail(err, ENAMETOOLONG, "%.64s...: name too long",
			       file);
	ret = fp_entries_load(file, &p->t, err);
	if (ret) {
		memset(&p->t, 0, sizeof(p->t));
		return ret;
	}
	strcpy(p->path, file);
	if (!stat(file, &st))
		p->mtime = st.st_mtim;
	p->source = FP_PLAN_FILE;
	return 0;
}

void fp_plan_free(struct fp_plan *p)
{
	if (p->source != FP_PLAN_DEFAULT)
		fp_entries_free(&p->t);
	plan_clear(p);
}

void fp_plan_pins(const struct fp_plan *p, uint32_t src, uint32_t dst,
		  uint32_t dqpn, struct fp_pinset *ps)
{
	const struct fp_entry *e = NULL;
	unsigned int i;

	memset(ps, 0, sizeof(*ps));
	if (p->source != FP_PLAN_DEFAULT)
		e = fp_entries_find(&p->t, src, dst, dqpn);
	if (e && e->nsub) {
		ps->k = e->nsub;
		for (i = 0; i < e->nsub; i++) {
			ps->label[i] = e->sub[i].flow_label;
			ps->weight[i] = e->sub[i].weight;
		}
		return;
	}
	ps->k = p->default_k ? p->default_k : 1;
	for (i = 0; i < ps->k; i++)
		ps->weight[i] = FP_WEIGHT_ONE / ps->k +
				(i < FP_WEIGHT_ONE % ps->k);
}
