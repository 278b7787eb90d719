// SPDX-License-Identifier: MIT
/*
 * agent.c - a host of a cluster (agent.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "agent.h"
#include "planner/share.h"

static void say(struct fpc_agent *a, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct fpc_agent *a, int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (level <= LOG_WARNING)
		snprintf(a->last_error, sizeof(a->last_error), "%.*s",
			 (int)sizeof(a->last_error) - 1, buf);
	if (a->ops->log)
		a->ops->log(a->arg, level, buf);
}

static void on_share(void *arg, natsMsg *m)
{
	fpc_agent_share(arg, m);
}

static void retry_install(struct fpc_agent *a, uint64_t now);

static void on_retry(struct fpd_timer *t, uint64_t n)
{
	(void)n;
	retry_install(t->arg, fpd_now());
}

int fpc_agent_init(struct fpc_agent *a, struct fpc_bus *bus, const struct fpc_names *nm,
		   const char *host, uint64_t resync_ns, const struct fpc_agent_ops *ops,
		   void *arg, struct fp_err *err)
{
	char subj[160];

	memset(a, 0, sizeof(*a));
	a->t_retry.io.fd = -1;
	if (!fpc_token_ok(host)) {
		snprintf(err->msg, sizeof(err->msg),
			 "[cluster] host '%s': a cluster host name is letters, digits, '_' and '-' (at most %d)",
			 host, FPC_NAME_MAX);
		return EINVAL;
	}
	a->bus = bus;
	a->nm = nm;
	a->ops = ops;
	a->arg = arg;
	a->resync_ns = resync_ns;
	snprintf(a->host, sizeof(a->host), "%s", host);
	return fpc_bus_sub(bus, fpc_subj_share(nm, host, subj, sizeof(subj)), on_share, a, err);
}

void fpc_agent_fini(struct fpc_agent *a)
{
	int k;

	for (k = 0; k < FPC_OBS_KINDS; k++)
		free(a->obs[k].text);
	memset(a->obs, 0, sizeof(a->obs));
	fpd_timer_fini(&a->t_retry);
	free(a->retry_text);
	a->retry_text = NULL;
}

bool fpc_agent_owns(const struct fpc_agent *a, const char *subject)
{
	char host[FPC_NAME_MAX + 1];
	enum fpc_obs_kind k;

	return fpc_subj_obs_parse(a->nm, subject, host, sizeof(host), &k) &&
	       !strcmp(host, a->host);
}

static void publish(struct fpc_agent *a, enum fpc_obs_kind k)
{
	struct fp_err err = { "" };
	char subj[160];

	if (!a->obs[k].text || !fpc_bus_up(a->bus))
		return;
	fpc_subj_obs(a->nm, a->host, k, subj, sizeof(subj));
	if (fpc_bus_jspub(a->bus, subj, a->obs[k].text, a->obs[k].len, NULL, &err)) {
		a->obs[k].dirty = true;
		say(a, LOG_DEBUG, "publishing %s: %s (again later)", fpc_obs_name(k), err.msg);
		return;
	}
	a->obs[k].dirty = false;
}

void fpc_agent_ack(struct fpc_agent *a, const char *subject, int errcode, const char *text)
{
	char host[FPC_NAME_MAX + 1];
	enum fpc_obs_kind k;

	if (!errcode || !fpc_subj_obs_parse(a->nm, subject, host, sizeof(host), &k))
		return;
	/* the latest goes again, on the next tick */
	a->obs[k].dirty = true;
	say(a, LOG_INFO, "%s not stored (%s): publishing it again", subject, text);
}

void fpc_agent_observe(struct fpc_agent *a, enum fpc_obs_kind k, const char *text, size_t len)
{
	char *t;

	if (a->obs[k].text && a->obs[k].len == len && !memcmp(a->obs[k].text, text, len))
		return;
	t = malloc(len + 1);
	if (!t) {
		say(a, LOG_ERR, "out of memory keeping an observation");
		return;
	}
	memcpy(t, text, len);
	t[len] = 0;
	free(a->obs[k].text);
	a->obs[k].text = t;
	a->obs[k].len = len;
	a->obs[k].dirty = true;
	publish(a, k);
}

static void report(struct fpc_agent *a)
{
	size_t len;
	char *t = fpc_installed_encode(&a->inst, &len);

	if (t) {
		fpc_agent_observe(a, FPC_OBS_INSTALLED, t, len);
		free(t);
	}
}

static void retry_clear(struct fpc_agent *a)
{
	free(a->retry_text);
	a->retry_text = NULL;
	a->retry_len = 0;
	a->retry_at = 0;
	a->backoff_ns = 0;
	a->attempts = 0;
	if (a->t_retry.io.loop)
		fpd_timer_set(&a->t_retry, 0, 0);
}

/*
 * Install @hp (the share taken, whose text is @text) and report what came
 * of it; on a failure keep the text to try again after the backoff.
 */
static int install(struct fpc_agent *a, const struct fp_hostplan *hp, const char *text,
		   size_t len, uint64_t now, struct fp_err *err)
{
	uint64_t gen = 0;
	int ret;

	memset(&a->inst, 0, sizeof(a->inst));
	a->inst.epoch = hp->generation;
	a->inst.entries = hp->n;
	a->attempts++;
	ret = a->ops->install(a->arg, hp, hp->generation, &gen, err);
	a->inst.generation = gen;
	if (!ret) {
		a->installs++;
		say(a, LOG_INFO, "installed epoch %" PRIu64 " (term %u) as generation %" PRIu64
		    ", %zu entries%s", hp->generation, FPC_EPOCH_TERM(hp->generation), gen, hp->n,
		    a->attempts > 1 ? " (after retrying)" : "");
		retry_clear(a);
		report(a);
		return 0;
	}
	if (ret != ENOENT)
		a->install_errors++;
	if (a->retry_text != text) {
		char *t = malloc(len + 1);

		if (t) {
			memcpy(t, text, len);
			t[len] = 0;
		}
		free(a->retry_text);
		a->retry_text = t;
		a->retry_len = t ? len : 0;
	}
	a->backoff_ns = !a->backoff_ns ? FPC_RETRY_MIN_NS :
			a->backoff_ns >= FPC_RETRY_MAX_NS / 2 ? FPC_RETRY_MAX_NS : 2 * a->backoff_ns;
	if (a->retry_text) {
		a->retry_at = now + a->backoff_ns;
		/* the timer is made when first needed (the bench runs thousands of agents) */
		if (!a->t_retry.io.loop && fpc_bus_loop(a->bus) &&
		    fpd_timer_init(fpc_bus_loop(a->bus), &a->t_retry, on_retry, a))
			say(a, LOG_WARNING, "no timer for retrying: on the next tick instead");
		if (a->t_retry.io.loop)
			fpd_timer_set(&a->t_retry, a->backoff_ns, 0);
	}
	snprintf(a->inst.error, sizeof(a->inst.error), "%.*s (attempt %u; again in %" PRIu64 " ms)",
		 100, err->msg, a->attempts, a->backoff_ns / 1000000u);
	say(a, ret == ENOENT ? (a->attempts > 1 ? LOG_DEBUG : LOG_NOTICE) :
	    a->attempts > 1 ? LOG_WARNING : LOG_ERR, "epoch %" PRIu64 ": %s", hp->generation,
	    a->inst.error);
	report(a);
	return ret;
}

/* The install that failed, once more (due at a->retry_at). */
static void retry_install(struct fpc_agent *a, uint64_t now)
{
	struct fp_err err = { "" };
	struct fp_hostplan hp;
	char name[96];

	if (!a->retry_text || now < a->retry_at)
		return;
	snprintf(name, sizeof(name), "share of %s", a->host);
	if (fp_share_parse(a->retry_text, a->retry_len, name, &hp, &err)) {
		say(a, LOG_ERR, "%s (not tried again)", err.msg);	/* it parsed before */
		retry_clear(a);
		return;
	}
	if (hp.generation == a->epoch) {
		a->install_retries++;
		install(a, &hp, a->retry_text, a->retry_len, now, &err);
	} else {
		retry_clear(a);
	}
	fp_hostplan_free(&hp);
}

int fpc_agent_take(struct fpc_agent *a, const char *text, size_t len, uint64_t rev,
		   struct fp_err *err)
{
	struct fp_hostplan hp;
	char name[96];
	int ret;

	snprintf(name, sizeof(name), "share of %s", a->host);
	ret = fp_share_parse(text, len, name, &hp, err);
	if (ret) {
		a->bad++;
		say(a, LOG_ERR, "%s (kept the plan installed)", err->msg);
		return ret;
	}
	if (a->have_share && hp.generation <= a->epoch) {
		uint64_t e = hp.generation;

		fp_hostplan_free(&hp);
		if (e == a->epoch)
			return 0;	/* the same share again (republished and read) */
		a->refused++;
		say(a, LOG_NOTICE, "share of epoch %" PRIu64 " refused: epoch %" PRIu64
		    " is taken already", e, a->epoch);
		return ESTALE;
	}
	a->shares++;
	a->have_share = true;
	a->epoch = hp.generation;
	a->revision = rev;
	retry_clear(a);		/* a newer share replaces one waiting to be tried again */
	ret = install(a, &hp, text, len, fpd_now(), err);
	fp_hostplan_free(&hp);
	return ret;
}

void fpc_agent_share(struct fpc_agent *a, natsMsg *m)
{
	struct fp_err err = { "" };
	const char *op = fpc_msg_header(m, "KV-Operation");
	const char *seq = fpc_msg_header(m, "Nats-Sequence");
	uint64_t rev = seq ? strtoull(seq, NULL, 10) : 0;

	if (op && (!strcmp(op, "DEL") || !strcmp(op, "PURGE"))) {
		say(a, LOG_NOTICE, "the share was deleted from the bucket (%s): the plan installed stays",
		    op);
		return;
	}
	fpc_agent_take(a, natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), rev, &err);
}

int fpc_agent_resync(struct fpc_agent *a, struct fp_err *err)
{
	natsMsg *m = NULL;
	char subj[160];
	int ret;

	a->resyncs++;
	ret = fpc_bus_last(a->bus, a->nm->kv_stream, fpc_subj_key(a->nm, a->host, subj, sizeof(subj)),
			   &m, err);
	if (ret)
		return ret;
	fpc_agent_share(a, m);
	natsMsg_Destroy(m);
	return 0;
}

static void resync(struct fpc_agent *a, uint64_t now)
{
	struct fp_err err = { "" };
	int ret;

	a->last_resync = now;
	ret = fpc_agent_resync(a, &err);
	/* a share written while we were away reaches us only by this read */
	a->resync_failed = ret && ret != ENOENT;
	if (ret == ENOENT)
		say(a, LOG_DEBUG, "no share for %s in the bucket yet", a->host);
	else if (ret)
		say(a, LOG_WARNING, "reading the share: %s (again on the next tick)", err.msg);
}

void fpc_agent_bus_event(struct fpc_agent *a, enum fpc_bus_event ev, uint64_t now)
{
	int k;

	switch (ev) {
	case FPC_BUS_CONNECTED:
		/* what the stream holds may be older than what we know: all again */
		for (k = 0; k < FPC_OBS_KINDS; k++)
			if (a->obs[k].text)
				publish(a, (enum fpc_obs_kind)k);
		resync(a, now);
		break;
	case FPC_BUS_SLOW:
		resync(a, now);
		break;
	default:
		break;
	}
}

void fpc_agent_tick(struct fpc_agent *a, uint64_t now)
{
	int k;

	retry_install(a, now);	/* installing needs no bus */
	if (!fpc_bus_up(a->bus))
		return;
	for (k = 0; k < FPC_OBS_KINDS; k++)
		if (a->obs[k].dirty)
			publish(a, (enum fpc_obs_kind)k);
	if (a->resync_failed || (a->resync_ns && now - a->last_resync >= a->resync_ns))
		resync(a, now);
}
