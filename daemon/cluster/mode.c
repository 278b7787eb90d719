// SPDX-License-Identifier: MIT
/*
 * mode.c - flowpland's agent and planner modes (cluster.h): the bus, the
 * agent or planner on it, and the hooks of struct fpd_mode.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "core/err.h"
#include "agent.h"
#include "bus.h"
#include "cluster.h"
#include "nkey.h"
#include "planner.h"
#include "proto.h"

#define MAX_PORTS	32

struct mode {
	struct fpd *d;
	enum fpd_mode_kind kind;
	struct fpc_names nm;
	struct fpc_bus *bus;
	char host[FPC_NAME_MAX + 1], name[FPC_NAME_MAX + 1], inbox[96];
	struct fpc_agent agent;
	struct fpc_planner planner;
	struct fpd_timer t_tick;
	uint64_t last_summary;
	struct fpc_port ports[MAX_PORTS];
	size_t nports;
	bool up;
	uint64_t disconnects, errors;
	char bus_text[200];
};

static struct mode *M(struct fpd *d)
{
	return d->cluster;
}

/* --------------------------------------------------------- checking */

static void default_host(char *buf, size_t n)
{
	char h[256] = "";

	gethostname(h, sizeof(h) - 1);
	h[strcspn(h, ".")] = 0;
	snprintf(buf, n, "%s", h);
}

static int readable(const char *key, const char *path, struct fp_err *err)
{
	if (path[0] && access(path, R_OK))
		return fp_fail(err, errno, "[cluster] %s: %s: %s", key, path, strerror(errno));
	return 0;
}

int fpd_cluster_check(const struct fpd_conf *c, struct fp_err *err)
{
	struct fpc_names nm;
	char host[FPC_NAME_MAX + 1], pub[FPC_NKEY_PUBLEN + 1];
	int ret;

	if (c->mode == FPD_MODE_LOCAL)
		return 0;
	ret = fpc_names_init(&nm, c->prefix, c->bucket, err);
	if (ret)
		return ret;
	if (c->mode == FPD_MODE_AGENT) {
		if (c->host[0])
			snprintf(host, sizeof(host), "%s", c->host);
		else
			default_host(host, sizeof(host));
		if (!fpc_token_ok(host))
			return fp_fail(err, EINVAL, "[cluster] host '%s': a cluster host name is letters, digits, '_' and '-' (set host = its name in the fabric)",
				    host);
	}
	if (c->mode == FPD_MODE_PLANNER && !c->topology[0])
		return fp_fail(err, EINVAL, "mode planner needs the fabric: [fabric] topology");
	if (c->name[0] && !fpc_token_ok(c->name))
		return fp_fail(err, EINVAL, "[cluster] name '%s': letters, digits, '_' and '-'",
			    c->name);
	if (c->user[0] && c->nkey_seed[0])
		return fp_fail(err, EINVAL, "[cluster] user and nkey_seed: one or the other");
	if (!!c->user[0] != !!c->password_file[0])
		return fp_fail(err, EINVAL, "[cluster] user and password_file go together");
	if (!!c->tls_cert[0] != !!c->tls_key[0])
		return fp_fail(err, EINVAL, "[cluster] tls_cert and tls_key go together");
	ret = readable("password_file", c->password_file, err);
	if (!ret)
		ret = readable("tls_ca", c->tls_ca, err);
	if (!ret)
		ret = readable("tls_cert", c->tls_cert, err);
	if (!ret)
		ret = readable("tls_key", c->tls_key, err);
	if (ret)
		return ret;
	if (c->nkey_seed[0]) {
		ret = fpc_nkey_public(c->nkey_seed, pub, sizeof(pub), err);
		if (ret)
			return fp_fail(err, ret, "[cluster] nkey_seed: %s", err->msg);
	}
	if (!c->servers[0])
		return fp_fail(err, EINVAL, "[cluster] servers: none given");
	return 0;
}

/* ------------------------------------------------------------- agent */

static void a_log(void *arg, int level, const char *text)
{
	struct mode *m = arg;

	if (level <= LOG_NOTICE)
		fpd_event(m->d, "cluster", "%s", text);
	else
		fpd_log(m->d, level, "cluster: %s", text);
}

static int a_install(void *arg, const struct fp_hostplan *hp, uint64_t epoch,
		     uint64_t *generation, struct fp_err *err)
{
	struct mode *m = arg;
	int ret;

	(void)epoch;
	ret = fpd_set_plan(m->d, hp, err);
	*generation = m->d->installed.generation;
	return ret;
}

static const struct fpc_agent_ops agent_ops = {
	.install = a_install,
	.log = a_log,
};

static void publish_cycles(struct mode *m)
{
	const struct fpd_cycle **cy;
	size_t n = fpd_cyc_count(m->d->cyc), i, len;
	char *t;

	cy = calloc(n + 1, sizeof(*cy));
	if (!cy)
		return;
	for (i = 0; i < n; i++)
		cy[i] = fpd_cyc_get(m->d->cyc, i);
	t = fpc_cycles_encode(cy, n, &len);
	free(cy);
	if (t)
		fpc_agent_observe(&m->agent, FPC_OBS_CYCLES, t, len);
	free(t);
}

static void publish_links(struct mode *m)
{
	size_t len;
	char *t = fpc_links_encode(m->ports, m->nports, &len);

	if (t)
		fpc_agent_observe(&m->agent, FPC_OBS_LINKS, t, len);
	free(t);
}

static void publish_portmap(struct mode *m)
{
	const char *path = m->d->conf.portmap;
	char *t = NULL;
	size_t cap = 0;
	ssize_t got;
	FILE *f;

	if (!path[0])
		return;
	f = fopen(path, "re");
	if (!f) {
		fpd_log(m->d, LOG_WARNING, "cluster: port map %s: %s", path, strerror(errno));
		return;
	}
	got = getdelim(&t, &cap, 0, f);
	fclose(f);
	if (got > 0)
		fpc_agent_observe(&m->agent, FPC_OBS_PORTMAP, t, (size_t)got);
	free(t);
}

static void publish_summary(struct mode *m)
{
	struct fp_err err = { "" };
	struct fpd_fcount *c = NULL;
	struct fpc_count *s;
	size_t n = 0, i, len;
	char *t;

	if (!m->d->kmod_open || m->d->kops->get_counters(m->d->kctx, &c, &n, &err))
		return;
	s = calloc(n + 1, sizeof(*s));
	if (!s) {
		free(c);
		return;
	}
	for (i = 0; i < n; i++) {
		s[i].remote = c[i].remote;
		s[i].sport = c[i].sport;
		s[i].bytes = c[i].bytes;
	}
	free(c);
	t = fpc_counters_encode(m->d->installed.generation, s, n, &len);
	free(s);
	if (t)
		fpc_agent_observe(&m->agent, FPC_OBS_COUNTERS, t, len);
	free(t);
}

static void agent_changed(struct fpd *d, const char *why)
{
	struct mode *m = M(d);

	fpd_log(d, LOG_DEBUG, "cluster: %s: publishing", why);
	publish_cycles(m);
	publish_portmap(m);
}

static void agent_link(struct fpd *d, const struct fpd_kev *ev)
{
	struct mode *m = M(d);
	size_t i;

	for (i = 0; i < m->nports; i++)
		if (!strcmp(m->ports[i].dev, ev->dev) && m->ports[i].port == ev->port)
			break;
	if (i == m->nports) {
		if (m->nports == MAX_PORTS)
			return;
		m->nports++;
		snprintf(m->ports[i].dev, sizeof(m->ports[i].dev), "%s", ev->dev);
		m->ports[i].port = ev->port;
	}
	m->ports[i].up = ev->up;
	/* a port going down may report no address any more: keep the last known */
	if (ev->naddrs) {
		m->ports[i].naddrs = ev->naddrs < 8 ? ev->naddrs : 8;
		memcpy(m->ports[i].addrs, ev->addrs, m->ports[i].naddrs * sizeof(ev->addrs[0]));
	}
	publish_links(m);
}

static int agent_replan(struct fpd *d, struct fp_err *err)
{
	int ret = fpc_agent_resync(&M(d)->agent, err);

	return ret == ENOENT ? fp_fail(err, ENOENT, "no share for %s in the bucket yet",
				    M(d)->host) : ret;
}

/* ----------------------------------------------------------- planner */

static void p_log(void *arg, int level, const char *text)
{
	struct mode *m = arg;

	fpd_log(m->d, level, "cluster: %s", text);
}

static void p_event(void *arg, const char *kind, const char *text)
{
	struct mode *m = arg;

	fpd_event(m->d, kind, "%s", text);
}

static const struct fpc_planner_ops planner_ops = {
	.log = p_log,
	.event = p_event,
};

static void planner_changed(struct fpd *d, const char *why)
{
	fpc_planner_request(&M(d)->planner, why);
}

static int planner_replan(struct fpd *d, struct fp_err *err)
{
	return fpc_planner_replan_now(&M(d)->planner, true, "asked for by an operator", err);
}

/* ----------------------------------------------------------- common */

static void on_state(void *arg, enum fpc_bus_event ev, const char *text)
{
	struct mode *m = arg;

	snprintf(m->bus_text, sizeof(m->bus_text), "%s", text);
	switch (ev) {
	case FPC_BUS_CONNECTED:
		m->up = true;
		fpd_event(m->d, "bus", "%s", text);
		break;
	case FPC_BUS_DISCONNECTED:
		if (m->up)
			m->disconnects++;
		m->up = false;
		fpd_event(m->d, "bus", "%s: %s", text, m->kind == FPD_MODE_AGENT ?
			  "the installed plan stays" : "standing by until it is back");
		break;
	case FPC_BUS_CLOSED:
		m->up = false;
		fpd_event(m->d, "bus", "%s", text);
		break;
	case FPC_BUS_ERROR:
		m->errors++;
		fpd_event(m->d, "bus", "error: %s", text);
		break;
	case FPC_BUS_SLOW:
		fpd_event(m->d, "bus", "%s: reading the state again", text);
		break;
	}
	if (m->kind == FPD_MODE_AGENT)
		fpc_agent_bus_event(&m->agent, ev, fpd_now());
	else
		fpc_planner_bus_event(&m->planner, ev);
}

static void on_ack(void *arg, const char *subject, uint64_t seq, int code, const char *text)
{
	struct mode *m = arg;

	if (m->kind == FPD_MODE_AGENT)
		fpc_agent_ack(&m->agent, subject, code, text);
	else
		fpc_planner_ack(&m->planner, subject, seq, code, text);
}

static void on_tick(struct fpd_timer *t, uint64_t n)
{
	struct mode *m = t->arg;
	uint64_t now = fpd_now();

	(void)n;
	if (m->kind != FPD_MODE_AGENT)
		return;
	if (m->d->conf.summary_ns && now - m->last_summary >= m->d->conf.summary_ns) {
		m->last_summary = now;
		publish_summary(m);
	}
	fpc_agent_tick(&m->agent, now);
}

static int cluster_reload(struct fpd *d, const struct fpd_conf *next, struct fp_err *err)
{
	size_t a = offsetof(struct fpd_conf, servers);
	size_t b = offsetof(struct fpd_conf, table) + sizeof(next->table);

	if (memcmp((const char *)&d->conf + a, (const char *)next + a, b - a))
		return fp_fail(err, EINVAL, "the [cluster] section changed: restart the daemon for it");
	return 0;
}

static void cluster_status(struct fpd *d, json_object *o, bool show)
{
	struct mode *m = M(d);
	json_object *c = json_object_new_object(), *b = json_object_new_object();
	struct fpc_bus_stats st;
	char url[128];

	fpc_bus_stats(m->bus, &st);
	fpc_bus_url(m->bus, url, sizeof(url));
	json_object_object_add(c, "role", json_object_new_string(fpd_mode_name(m->kind)));
	json_object_object_add(b, "connected", json_object_new_boolean(fpc_bus_up(m->bus)));
	json_object_object_add(b, "url", json_object_new_string(url));
	json_object_object_add(b, "last", json_object_new_string(m->bus_text));
	json_object_object_add(b, "disconnects", json_object_new_int64((int64_t)m->disconnects));
	json_object_object_add(b, "errors", json_object_new_int64((int64_t)m->errors));
	json_object_object_add(b, "in_bytes", json_object_new_uint64(st.in_bytes));
	json_object_object_add(b, "out_bytes", json_object_new_uint64(st.out_bytes));
	json_object_object_add(c, "bus", b);
	if (m->kind == FPD_MODE_AGENT) {
		const struct fpc_agent *a = &m->agent;

		json_object_object_add(c, "host", json_object_new_string(m->host));
		json_object_object_add(c, "epoch", json_object_new_uint64(a->epoch));
		json_object_object_add(c, "term", json_object_new_int64(FPC_EPOCH_TERM(a->epoch)));
		json_object_object_add(c, "revision", json_object_new_uint64(a->revision));
		json_object_object_add(c, "installed_epoch", json_object_new_uint64(
			a->inst.error[0] ? 0 : a->inst.epoch));
		json_object_object_add(c, "generation", json_object_new_uint64(a->inst.generation));
		json_object_object_add(c, "shares", json_object_new_uint64(a->shares));
		json_object_object_add(c, "refused", json_object_new_uint64(a->refused));
		json_object_object_add(c, "installs", json_object_new_uint64(a->installs));
		json_object_object_add(c, "install_errors", json_object_new_uint64(a->install_errors));
		json_object_object_add(c, "install_retries", json_object_new_uint64(a->install_retries));
		json_object_object_add(c, "retry_in_ms", json_object_new_uint64(
			a->retry_at > fpd_now() ? (a->retry_at - fpd_now()) / 1000000u : 0));
		json_object_object_add(c, "resyncs", json_object_new_uint64(a->resyncs));
		json_object_object_add(c, "last_error", json_object_new_string(a->last_error));
	} else {
		fpc_planner_status(&m->planner, c, show);
	}
	json_object_object_add(o, "cluster", c);
}

static void cluster_metrics(struct fpd *d, FILE *f)
{
	struct mode *m = M(d);

	fpd_prom_metric_u64(f, "flowpland_cluster_connected", "gauge",
			"1 when connected to a NATS server.", fpc_bus_up(m->bus));
	fpd_prom_metric_u64(f, "flowpland_cluster_disconnects_total", "counter",
			"Connections to the bus lost.", m->disconnects);
	if (m->kind == FPD_MODE_AGENT) {
		fpd_prom_metric_u64(f, "flowpland_cluster_epoch", "gauge",
				"Epoch of the share taken.", m->agent.epoch);
		fpd_prom_metric_u64(f, "flowpland_cluster_shares_total", "counter",
				"Shares taken.", m->agent.shares);
		fpd_prom_metric_u64(f, "flowpland_cluster_shares_refused_total", "counter",
				"Shares refused for an older epoch.", m->agent.refused);
	} else {
		fpd_prom_metric_u64(f, "flowpland_cluster_active", "gauge",
				"1 when this planner holds the lease.", m->planner.active);
		fpd_prom_metric_u64(f, "flowpland_cluster_shares_written_total", "counter",
				"Shares written into the bucket.", m->planner.written);
		fpd_prom_metric_u64(f, "flowpland_cluster_share_bytes_total", "counter",
				"Bytes of the shares written.", m->planner.bytes);
		fpd_prom_metric_u64(f, "flowpland_cluster_unroutable_flows", "gauge",
				"Flows of the last re-plan that cannot run (failed links cut their leaves apart).",
				m->planner.last.unroutable);
	}
}

static void cluster_fini(struct fpd *d)
{
	struct mode *m = M(d);

	if (!m)
		return;
	/* the connection first: no callback after this */
	fpc_bus_close(m->bus);
	m->bus = NULL;
	if (m->kind == FPD_MODE_AGENT)
		fpc_agent_fini(&m->agent);
	else
		fpc_planner_fini(&m->planner);
	fpd_timer_fini(&m->t_tick);
	free(m);
	d->cluster = NULL;
	d->mode = &fpd_mode_local;
}

static const struct fpd_mode mode_agent = {
	.name = "agent",
	.changed = agent_changed,
	.link = agent_link,
	.replan = agent_replan,
	.reload = cluster_reload,
	.status = cluster_status,
	.metrics = cluster_metrics,
	.fini = cluster_fini,
};

static const struct fpd_mode mode_planner = {
	.name = "planner",
	.changed = planner_changed,
	.replan = planner_replan,
	.reload = cluster_reload,
	.status = cluster_status,
	.metrics = cluster_metrics,
	.fini = cluster_fini,
};

int fpd_cluster_open(struct fpd *d, struct fp_err *err)
{
	const struct fpd_conf *c = &d->conf;
	struct fpc_bus_opts bo = { 0 };
	struct mode *m;
	char cname[160];
	int ret;

	ret = fpd_cluster_check(c, err);
	if (ret)
		return ret;
	m = calloc(1, sizeof(*m));
	if (!m)
		return fp_fail(err, ENOMEM, "out of memory");
	m->d = d;
	m->kind = c->mode;
	m->t_tick.io.fd = -1;
	m->planner.t_lease.io.fd = m->planner.t_replan.io.fd = -1;
	fpc_names_init(&m->nm, c->prefix, c->bucket, err);
	if (c->host[0])
		snprintf(m->host, sizeof(m->host), "%s", c->host);
	else
		default_host(m->host, sizeof(m->host));
	if (c->name[0])
		snprintf(m->name, sizeof(m->name), "%s", c->name);
	else
		snprintf(m->name, sizeof(m->name), "%.40s-%d", m->host, (int)getpid());
	if (m->kind == FPD_MODE_AGENT)
		snprintf(m->inbox, sizeof(m->inbox), "_INBOX.host.%s", m->host);
	else
		snprintf(m->inbox, sizeof(m->inbox), "_INBOX.planner.%s", m->name);
	snprintf(cname, sizeof(cname), "flowpland %s %s", fpd_mode_name(m->kind),
		 m->kind == FPD_MODE_AGENT ? m->host : m->name);
	bo.servers = c->servers;
	bo.name = cname;
	bo.inbox = m->inbox;
	bo.user = c->user;
	bo.password_file = c->password_file;
	bo.nkey_seed = c->nkey_seed;
	bo.tls_ca = c->tls_ca;
	bo.tls_cert = c->tls_cert;
	bo.tls_key = c->tls_key;
	m->bus = fpc_bus_open(&d->loop, &bo, err);
	if (!m->bus) {
		ret = errno;
		free(m);
		return ret;
	}
	d->cluster = m;
	fpc_bus_on_state(m->bus, on_state, m);
	fpc_bus_on_ack(m->bus, on_ack, m);
	ret = fpd_timer_init(&d->loop, &m->t_tick, on_tick, m);
	if (ret) {
		fp_fail(err, ret, "timerfd: %s", strerror(ret));
		goto bad;
	}
	/* subscriptions are made on the connection, which exists once started */
	ret = fpc_bus_start(m->bus, err);
	if (ret)
		goto bad;
	if (m->kind == FPD_MODE_AGENT) {
		ret = fpc_agent_init(&m->agent, m->bus, &m->nm, m->host, c->resync_ns, &agent_ops, m,
				     err);
		if (ret)
			goto bad;
		d->mode = &mode_agent;
		publish_cycles(m);
		publish_links(m);
		publish_portmap(m);
		fpd_timer_set(&m->t_tick, 1000000000ull, 1000000000ull);
	} else {
		struct fpc_planner_opts po = {
			.name = m->name, .topology = c->topology, .schedule = c->schedule,
			.portmap = c->portmap, .max_split = c->max_split, .enforce = c->enforce,
			.replicas = c->replicas, .lease_ns = c->lease_ns,
			.holddown_ns = c->holddown_ns,
		};

		ret = fpc_planner_init(&m->planner, &d->loop, m->bus, &m->nm, &po, &planner_ops, m,
				       err);
		if (ret)
			goto bad;
		d->mode = &mode_planner;
	}
	fpd_event(d, "cluster", "%s %s on %s (bucket %s, subjects %s.*)", fpd_mode_name(m->kind),
		  m->kind == FPD_MODE_AGENT ? m->host : m->name, c->servers, m->nm.bucket,
		  m->nm.prefix);
	return 0;
bad:
	d->mode = m->kind == FPD_MODE_AGENT ? &mode_agent : &mode_planner;
	cluster_fini(d);
	return ret;
}

void fpd_cluster_shutdown(void)
{
	fpc_bus_shutdown();
}
