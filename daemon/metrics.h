/* SPDX-License-Identifier: MIT */
/*
 * metrics.h - Prometheus metrics over HTTP (libmicrohttpd).
 *
 * The HTTP server runs inside the daemon's loop: libmicrohttpd in its
 * external-epoll mode hands over one descriptor, which the loop watches,
 * and a timer for its connection time-outs; no thread. GET /metrics answers
 * with the text exposition format (version 0.0.4) that the daemon renders
 * at that moment; anything else is 404, methods other than GET/HEAD 405.
 */
#ifndef FPD_METRICS_H
#define FPD_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "loop.h"

/* Writes the exposition text of the moment into @f. */
typedef void (*fpd_metrics_fn)(void *arg, FILE *f);

struct fpd_metrics;

/*
 * fpd_metrics_open - listen on @listen ("ADDR:PORT", "[ADDR6]:PORT"; port
 * 0 picks one, fpd_metrics_port() tells which). NULL and errno, the reason
 * in @err.
 */
struct fpd_metrics *fpd_metrics_open(struct fpd_loop *l, const char *listen,
				     fpd_metrics_fn fn, void *arg, struct fp_err *err);
void fpd_metrics_close(struct fpd_metrics *m);
uint16_t fpd_metrics_port(const struct fpd_metrics *m);
uint64_t fpd_metrics_requests(const struct fpd_metrics *m);

/* Exposition helpers: a family header, a sample with label pairs. */
void fpd_prom_family(FILE *f, const char *name, const char *type, const char *help);
/* @labels: NULL-terminated name, value, name, value, ...; values are escaped. */
void fpd_prom_sample(FILE *f, const char *name, const char *const *labels, double v);
void fpd_prom_sample_u64(FILE *f, const char *name, const char *const *labels, uint64_t v);
/* A family of one sample without labels: its name written once. */
void fpd_prom_metric(FILE *f, const char *name, const char *type, const char *help, double v);
void fpd_prom_metric_u64(FILE *f, const char *name, const char *type, const char *help,
			 uint64_t v);

#endif
