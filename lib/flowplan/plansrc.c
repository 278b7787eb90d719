// SPDX-License-Identifier: MIT
/*
 * plansrc.c - where a context's plan comes from, and the subflows it gives
 * a pair of addresses.
 *
 * Order: the flowplan kernel module's table over generic netlink (when the
 * family exists and holds entries), else a plan file (the context attribute,
 * else $FLOWPLAN_PLAN), else the default: default_k subflows (1 unless the
 * caller says otherwise) with flow label 0, which lets the kernel derive each
 * QP's source port from the QP numbers, i.e. plain RoCE behaviour. Reading
 * and decoding are the shared core's (core/hostplan.h, core/nlclient.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/nlclient.h"
#include "flowplan/priv.h"

static void plansrc_clear(struct fp_plansrc *p)
{
	memset(p, 0, sizeof(*p));
	p->source = FP_PLAN_DEFAULT;
}

/* The module's plan: 0 with entries, else why not (ENOENT: no module). */
static int from_module(struct fp_plansrc *p, struct fp_err *err)
{
	struct fp_nlc *nlc = fp_nlc_open(err);
	int ret;

	if (!nlc)
		return errno;
	ret = fp_nlc_get_plan(nlc, &p->hp, err);
	fp_nlc_close(nlc);
	if (!ret && !p->hp.n)
		ret = ENOENT;
	if (ret)
		fp_hostplan_free(&p->hp);
	return ret;
}

int fp_plansrc_load(struct fp_plansrc *p, const char *file, bool no_netlink,
		    unsigned int default_k, struct fp_err *err)
{
	struct stat st;
	int ret;

	plansrc_clear(p);
	p->default_k = default_k ? default_k : 1;
	if (p->default_k > FP_MAX_SUBFLOWS)
		return fp_fail(err, EINVAL, "default_k %u: at most %d subflows",
			       default_k, FP_MAX_SUBFLOWS);

	if (!no_netlink && !getenv("FLOWPLAN_NO_NETLINK")) {
		ret = from_module(p, err);
		if (!ret) {
			p->source = FP_PLAN_NETLINK;
			return 0;
		}
		/* A module we cannot read is no reason to fail: next source. */
		if (ret != ENOENT && getenv("FLOWPLAN_DEBUG"))
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
	ret = fp_hostplan_load(file, &p->hp, err);
	if (ret)
		return ret;
	strcpy(p->path, file);
	if (!stat(file, &st)) {
		p->mtime = st.st_mtim;
		p->ino = st.st_ino;
		p->size = (uint64_t)st.st_size;
	}
	p->source = FP_PLAN_FILE;
	return 0;
}

bool fp_plansrc_file_changed(const struct fp_plansrc *p)
{
	struct stat st;

	if (p->source != FP_PLAN_FILE)
		return false;
	if (stat(p->path, &st))
		return true;
	return st.st_mtim.tv_sec != p->mtime.tv_sec ||
	       st.st_mtim.tv_nsec != p->mtime.tv_nsec ||
	       st.st_ino != p->ino || (uint64_t)st.st_size != p->size;
}

void fp_plansrc_free(struct fp_plansrc *p)
{
	fp_hostplan_free(&p->hp);
	plansrc_clear(p);
}

void fp_plansrc_subflows(const struct fp_plansrc *p,
			 const struct fp_addr *local,
			 const struct fp_addr *remote, uint32_t dqpn,
			 struct fp_subflow_set *set)
{
	const struct fp_hostplan_entry *e = NULL;
	unsigned int i;

	memset(set, 0, sizeof(*set));
	if (p->source != FP_PLAN_DEFAULT)
		e = fp_hostplan_find(&p->hp, local, remote, dqpn);
	if (e && e->nsub) {
		set->k = e->nsub;
		for (i = 0; i < e->nsub; i++) {
			set->label[i] = e->sub[i].flow_label;
			set->weight[i] = e->sub[i].weight;
		}
		return;
	}
	set->k = p->default_k ? p->default_k : 1;
	fp_weights_equal(set->weight, set->k);
}
