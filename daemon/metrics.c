// SPDX-License-Identifier: MIT
/*
 * metrics.c - GET /metrics through libmicrohttpd, driven by the loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "core/err.h"
#include "metrics.h"

struct fpd_metrics {
	struct MHD_Daemon *mhd;
	struct fpd_io io;
	struct fpd_timer tmo;
	fpd_metrics_fn fn;
	void *arg;
	uint16_t port;
	uint64_t requests;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     const char *type, char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version,
			      const char *upload, size_t *upload_size, void **ctx)
{
	struct fpd_metrics *m = cls;
	char *body = NULL;
	size_t len = 0;
	FILE *f;

	(void)version;
	(void)upload;
	if (!*ctx) {
		/* first call: headers only; answer on the next */
		*ctx = m;
		return MHD_YES;
	}
	if (*upload_size)
		return MHD_NO;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     strdup("only GET\n"), 9);
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain",
			     strdup("flowpland: the metrics are at /metrics\n"), 40);
	f = open_memstream(&body, &len);
	if (!f)
		return MHD_NO;
	m->fn(m->arg, f);
	if (fclose(f)) {
		free(body);
		return MHD_NO;
	}
	m->requests++;
	return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len);
}

/* After each run, arm the timer for libmicrohttpd's next time-out. */
static void rearm(struct fpd_metrics *m)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(m->mhd, &ms) == MHD_YES)
		fpd_timer_set(&m->tmo, ms ? ms * 1000000ull : 1, 0);
	else
		fpd_timer_set(&m->tmo, 0, 0);
}

static void on_io(struct fpd_io *io, uint32_t events)
{
	struct fpd_metrics *m = io->arg;

	(void)events;
	MHD_run(m->mhd);
	rearm(m);
}

static void on_timeout(struct fpd_timer *t, uint64_t n)
{
	struct fpd_metrics *m = t->arg;

	(void)n;
	MHD_run(m->mhd);
	rearm(m);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap;	/* errors reach the caller through return values */
}

static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	unsigned long port;
	char *end;
	size_t hl;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return EINVAL;
	hl = (size_t)(colon - s);
	port = strtoul(colon + 1, &end, 10);
	if (*end || !colon[1] || port > 65535)
		return EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (hl < 2 || s[hl - 1] != ']')
			return EINVAL;
		memcpy(host, s + 1, hl - 2);
		host[hl - 2] = 0;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return EINVAL;
		*sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		memcpy(host, s, hl);
		host[hl] = 0;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return EINVAL;
		*sl = sizeof(*a);
	}
	return 0;
}

struct fpd_metrics *fpd_metrics_open(struct fpd_loop *l, const char *listen,
				     fpd_metrics_fn fn, void *arg, struct fp_err *err)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct fpd_metrics *m;
	socklen_t sl = 0;
	int ret;

	if (parse_listen(listen, &ss, &sl)) {
		errno = fp_fail(err, EINVAL, "metrics: '%s' is not ADDR:PORT", listen);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		errno = fp_fail(err, ENOMEM, "out of memory");
		return NULL;
	}
	m->fn = fn;
	m->arg = arg;
	m->mhd = MHD_start_daemon(MHD_USE_EPOLL | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				  0, NULL, NULL, handle, m,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10U,
				  MHD_OPTION_CONNECTION_LIMIT, 16U,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				  MHD_OPTION_END);
	if (!m->mhd) {
		ret = errno ? errno : EADDRINUSE;
		fp_fail(err, ret, "metrics: cannot listen on %s: %s", listen, strerror(ret));
		goto fail;
	}
	info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_BIND_PORT);
	m->port = info ? info->port : 0;
	info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		ret = fp_fail(err, ENOTSUP, "metrics: libmicrohttpd has no epoll descriptor");
		goto fail;
	}
	ret = fpd_io_add(l, &m->io, info->epoll_fd, EPOLLIN, on_io, m);
	if (!ret)
		ret = fpd_timer_init(l, &m->tmo, on_timeout, m);
	if (ret) {
		fp_fail(err, ret, "metrics: %s", strerror(ret));
		goto fail;
	}
	rearm(m);
	return m;
fail:
	if (m->io.loop)
		fpd_io_del(&m->io);
	if (m->mhd)
		MHD_stop_daemon(m->mhd);
	free(m);
	errno = ret;
	return NULL;
}

void fpd_metrics_close(struct fpd_metrics *m)
{
	if (!m)
		return;
	fpd_io_del(&m->io);
	fpd_timer_fini(&m->tmo);
	MHD_stop_daemon(m->mhd);
	free(m);
}

uint16_t fpd_metrics_port(const struct fpd_metrics *m)
{
	return m->port;
}

uint64_t fpd_metrics_requests(const struct fpd_metrics *m)
{
	return m->requests;
}

/* ----------------------------------------------------- exposition text */

void fpd_prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void labels(FILE *f, const char *const *l)
{
	const char *p;

	if (!l || !l[0])
		return;
	fputc('{', f);
	for (; l[0] && l[1]; l += 2) {
		fprintf(f, "%s=\"", l[0]);
		for (p = l[1]; *p; p++) {
			if (*p == '\\' || *p == '"')
				fputc('\\', f);
			if (*p == '\n')
				fputs("\\n", f);
			else
				fputc(*p, f);
		}
		fputc('"', f);
		if (l[2])
			fputc(',', f);
	}
	fputc('}', f);
}

void fpd_prom_sample(FILE *f, const char *name, const char *const *l, double v)
{
	fputs(name, f);
	labels(f, l);
	if (isnan(v))
		fputs(" NaN\n", f);
	else if (isinf(v))
		fputs(v > 0 ? " +Inf\n" : " -Inf\n", f);
	else
		fprintf(f, " %.17g\n", v);
}

void fpd_prom_sample_u64(FILE *f, const char *name, const char *const *l, uint64_t v)
{
	fputs(name, f);
	labels(f, l);
	fprintf(f, " %llu\n", (unsigned long long)v);
}

void fpd_prom_metric(FILE *f, const char *name, const char *type, const char *help, double v)
{
	fpd_prom_family(f, name, type, help);
	fpd_prom_sample(f, name, NULL, v);
}

void fpd_prom_metric_u64(FILE *f, const char *name, const char *type, const char *help,
			 uint64_t v)
{
	fpd_prom_family(f, name, type, help);
	fpd_prom_sample_u64(f, name, NULL, v);
}
