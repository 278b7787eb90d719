// SPDX-License-Identifier: MIT
/*
 * follow.c - a context follows its plan source by itself.
 *
 * An operator running flowpland installs a new plan generation whenever the
 * schedule or the fabric changes; a process using libflowplan should not
 * have to be told. Unless FP_CTX_NO_FOLLOW or FLOWPLAN_FOLLOW=0, a context
 * watches where its plan comes from:
 *  - the flowplan module: a second netlink client, subscribed to the
 *    module's "events" group, non-blocking; PLAN_CHANGED (or lost events,
 *    or the socket failing: the module went away) means "read it again";
 *  - a plan file: its mtime, inode and size, one stat().
 * The look is taken from fp_poll()'s periodic checks (post.c: check()),
 * at most every FP_FOLLOW_NS per context: no system call per message, and
 * none at all while the application does not poll. On a change the plan is
 * read again as fp_ctx_reload() does (a plan that cannot be read keeps the
 * one in use, counted in reload_errors), and each group compares its pair's
 * subflows with its QPs the next time its own checks run: fp_group_plan_changed()
 * and fp_group_follow_query()'s "stale" say so.
 *
 * Moving a group's QPs to the new paths still takes fp_group_repin() on both
 * ends (docs/follow.md has the in-band switch that would do it alone).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nlclient.h"
#include "flowplan/handles.h"

/* FLOWPLAN_FOLLOW: unset or empty: on; "0": off; "1": on; else EINVAL. */
int fp_follow_env(bool *on)
{
	const char *v = getenv("FLOWPLAN_FOLLOW");

	*on = true;
	if (!v || !*v)
		return 0;
	if (!strcmp(v, "0") || !strcmp(v, "1")) {
		*on = *v == '1';
		return 0;
	}
	fprintf(stderr, "libflowplan: FLOWPLAN_FOLLOW=\"%.32s\": expected 0 or 1\n",
		v);
	return EINVAL;
}

/*
 * Events are a best effort: without the module (or a netlink that refuses
 * us) a context follows its plan file only. Said with FLOWPLAN_DEBUG.
 */
static bool events_open(struct fp_ctx *ctx, bool quiet)
{
	struct fp_err err = { { 0 } };
	struct fp_nlc *nlc;

	nlc = fp_nlc_open(&err);
	if (nlc && !fp_nlc_subscribe(nlc, &err)) {
		ctx->nlev = nlc;
		return true;
	}
	if (!quiet && getenv("FLOWPLAN_DEBUG"))
		fprintf(stderr, "libflowplan: plan events: %s\n", err.msg);
	fp_nlc_close(nlc);
	return false;
}

void fp_follow_open(struct fp_ctx *ctx)
{
	ctx->plan_serial = 1;
	if (!ctx->follow || (ctx->flags & FP_CTX_NO_NETLINK) ||
	    getenv("FLOWPLAN_NO_NETLINK"))
		return;
	events_open(ctx, false);
}

void fp_follow_close(struct fp_ctx *ctx)
{
	fp_nlc_close(ctx->nlev);
	ctx->nlev = NULL;
}

/* Drain the module's events; true when the plan should be read again. */
static bool module_changed(struct fp_ctx *ctx)
{
	struct fp_err err = { { 0 } };
	struct fp_nl_event ev;
	bool changed = false;
	int ret;

	for (;;) {
		ret = fp_nlc_read_event(ctx->nlev, &ev, &err);
		if (ret == EAGAIN || ret == EWOULDBLOCK)
			break;
		if (ret == ENOBUFS) {		/* events lost: look again */
			changed = true;
			continue;
		}
		if (ret) {
			/*
			 * The module is gone (rmmod): the groups keep their
			 * paths (a module loaded again starts empty, and
			 * flowpland puts the plan back); looked for again
			 * every FP_FOLLOW_LOST_NS.
			 */
			if (getenv("FLOWPLAN_DEBUG"))
				fprintf(stderr, "libflowplan: plan events: %s\n",
					err.msg);
			fp_follow_close(ctx);
			ctx->nl_lost = true;
			return changed;
		}
		if (ev.kind == FP_NL_EV_PLAN_CHANGED &&
		    (ctx->plan.source != FP_PLAN_NETLINK ||
		     ev.generation != ctx->plan.hp.generation))
			changed = true;
		fp_nl_event_free(&ev);
	}
	return changed;
}

bool fp_ctx_follow(struct fp_ctx *ctx, uint64_t now)
{
	bool changed = false, module_only = false;
	int ret;

	if (!ctx->follow || now < ctx->follow_next_ns)
		return false;
	ctx->follow_next_ns = now + FP_FOLLOW_NS;
	if (ctx->nlev && module_changed(ctx))
		changed = true;
	if (!changed && fp_plansrc_file_changed(&ctx->plan))
		changed = true;
	/* The module back: its plan, once it holds one again. */
	if (!changed && !ctx->nlev && ctx->nl_lost &&
	    now >= ctx->nl_retry_ns) {
		ctx->nl_retry_ns = now + FP_FOLLOW_LOST_NS;
		if (events_open(ctx, true)) {
			ctx->nl_lost = false;
			module_only = true;
			changed = true;
		}
	}
	if (!changed)
		return false;
	ret = fp_ctx_reload_from(ctx, module_only);
	if (ret == ENOENT && module_only)
		return false;		/* loaded, still empty: wait */
	if (ret) {
		ctx->reload_errors++;
		ctx->reload_error = ret;
		return false;
	}
	ctx->reloads++;
	if (getenv("FLOWPLAN_DEBUG"))
		fprintf(stderr, "libflowplan: plan changed: generation %llu, %zu entries\n",
			(unsigned long long)ctx->plan.hp.generation,
			ctx->plan.hp.n);
	return true;
}

void fp_group_follow(struct fp_group *g, uint64_t now)
{
	fp_ctx_follow(g->ctx, now);
	if (g->plan_serial != g->ctx->plan_serial) {
		g->plan_serial = g->ctx->plan_serial;
		g->stale = fp_group_plan_changed(g) == 1;
	}
	if (g->stale && g->ctx->follow)
		fp_switch_propose(g, now);	/* switch.c */
}

int fp_group_follow_query(struct fp_group *g, struct fp_follow_info *info)
{
	if (!g || !info)
		return EINVAL;
	memset(info, 0, sizeof(*info));
	if (g->plan_serial != g->ctx->plan_serial) {
		g->plan_serial = g->ctx->plan_serial;
		g->stale = fp_group_plan_changed(g) == 1;
	}
	info->follow = g->ctx->follow;
	info->stale = g->stale;
	info->ctx_generation = g->ctx->plan.hp.generation;
	info->generation = g->generation;
	info->reloads = g->ctx->reloads;
	info->reload_errors = g->ctx->reload_errors;
	info->last_error = g->ctx->reload_error;
	info->switch_error = g->switch_error;
	info->switches = g->switches;
	info->switch_failures = g->switch_failures;
	info->peer_follows = g->peer_follows;
	info->switching = g->sw != FP_SW_IDLE || g->hold;
	return 0;
}
