/* SPDX-License-Identifier: MIT */
/*
 * bus.h - a process's one connection to the NATS servers,
 * handed to the daemon's loop.
 *
 * nats.c runs its own threads (reading, pinging, reconnecting, calling
 * back). Its callbacks here only queue what happened (a message, an ack, a
 * change of connection state) and wake the loop through an eventfd; every
 * handler of this file's users runs on the loop's thread, so nothing else
 * in the daemon needs a lock. Reconnecting is the library's (options set
 * once here), never done by hand.
 *
 * Errors: 0 or an errno value with the reason in @err, as everywhere in
 * the daemon; nats.c's status texts are carried over.
 */
#ifndef FPC_BUS_H
#define FPC_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nats/nats.h>

#include "core/err.h"
#include "loop.h"

struct fpc_bus_opts {
	const char *servers;		/* URLs, comma separated */
	const char *name;		/* the connection's name (server logs, monitoring) */
	const char *inbox;		/* inbox prefix (permissions); NULL: _INBOX */
	const char *user, *password_file;	/* user and a file holding its password */
	const char *nkey_seed;		/* a file holding an NKey user seed (SU...) */
	const char *tls_ca, *tls_cert, *tls_key;
	int64_t timeout_ms;		/* requests and JetStream calls; 0: 2000 */
	int64_t reconnect_wait_ms;	/* 0: 250 */
	int64_t ping_ms;		/* 0: 2000 (two missed: the connection is dead) */
};

enum fpc_bus_event {
	FPC_BUS_CONNECTED,	/* first connect or a reconnect: resynchronise */
	FPC_BUS_DISCONNECTED,	/* the library is reconnecting */
	FPC_BUS_CLOSED,		/* given up (not with the options set here) */
	FPC_BUS_ERROR,		/* an asynchronous error: permissions, authorization */
	FPC_BUS_SLOW,		/* messages were dropped (slow consumer): resynchronise */
};

struct fpc_bus;

/* Handlers, all on the loop's thread. The bus destroys @m after the call. */
typedef void (*fpc_state_fn)(void *arg, enum fpc_bus_event ev, const char *text);
typedef void (*fpc_msg_fn)(void *arg, natsMsg *m);
/* A JetStream publish was stored (@seq) or not (@errcode, @text). */
typedef void (*fpc_ack_fn)(void *arg, const char *subject, uint64_t seq, int errcode,
			   const char *text);

/*
 * fpc_bus_open - options checked, credentials read, nothing connected yet:
 * register handlers and subscriptions, then fpc_bus_start(). NULL and
 * errno with @err.
 */
struct fpc_bus *fpc_bus_open(struct fpd_loop *loop, const struct fpc_bus_opts *o,
			     struct fp_err *err);
/* Connection state changes go to every handler added. */
int fpc_bus_on_state(struct fpc_bus *b, fpc_state_fn fn, void *arg);
/* Acks of fpc_bus_jspub(): one handler per bus. */
void fpc_bus_on_ack(struct fpc_bus *b, fpc_ack_fn fn, void *arg);
/*
 * fpc_bus_start - connect, retrying in the background when no server
 * answers (FPC_BUS_CONNECTED comes when one does). An error only for what
 * retrying cannot mend (bad options).
 */
int fpc_bus_start(struct fpc_bus *b, struct fp_err *err);
/*
 * fpc_bus_close - disconnect and free @b; no handler is called after it
 * returns (it waits for the library's last callback of the connection).
 */
void fpc_bus_close(struct fpc_bus *b);
/*
 * fpc_bus_shutdown - at the end of a process that used buses, after the
 * last fpc_bus_close(): waits for the NATS library's threads to end, so
 * that none of them frees TLS state while exit() cleans OpenSSL up (a
 * crash at exit otherwise). No bus can be opened after it.
 */
void fpc_bus_shutdown(void);

bool fpc_bus_up(const struct fpc_bus *b);
/* The URL connected to, or "" (for status). */
void fpc_bus_url(const struct fpc_bus *b, char *buf, size_t n);
/* Counters of the connection: messages and bytes in and out, reconnects. */
struct fpc_bus_stats {
	uint64_t in_msgs, in_bytes, out_msgs, out_bytes, reconnects;
};
void fpc_bus_stats(const struct fpc_bus *b, struct fpc_bus_stats *st);

/*
 * The message (or ack) being handled, from its handler: when nats.c's
 * thread queued it for the loop and when the loop took it (fpd_now()).
 */
void fpc_bus_msg_times(const struct fpc_bus *b, uint64_t *queued, uint64_t *taken);

/* Subscribe (core NATS); kept until the bus closes. */
int fpc_bus_sub(struct fpc_bus *b, const char *subject, fpc_msg_fn fn, void *arg,
		struct fp_err *err);
/* Publish (core NATS), buffered by the library while reconnecting. */
int fpc_bus_pub(struct fpc_bus *b, const char *subject, const void *data, size_t len,
		struct fp_err *err);
/*
 * fpc_bus_jspub - publish into a stream without waiting; the ack comes to
 * the ack handler. @expect: NULL, or the revision the subject must hold
 * for the stream to take it (0: none yet): the key-value bucket's
 * revision-checked update. EAGAIN while disconnected.
 */
int fpc_bus_jspub(struct fpc_bus *b, const char *subject, const void *data, size_t len,
		  const uint64_t *expect, struct fp_err *err);
/* Wait until every fpc_bus_jspub() is acked, then hand the acks over now. */
int fpc_bus_jswait(struct fpc_bus *b, int64_t timeout_ms, struct fp_err *err);
/*
 * fpc_bus_last - the last message of @subject in @stream (JetStream direct
 * get: any replica answers, and the API subject names the subject, so
 * permissions can allow one key). ENOENT when there is none.
 */
int fpc_bus_last(struct fpc_bus *b, const char *stream, const char *subject, natsMsg **m,
		 struct fp_err *err);

/* The loop the bus was opened on (NULL in tests without one). */
struct fpd_loop *fpc_bus_loop(struct fpc_bus *b);

/* The library's handles, for what this file does not wrap (KV, streams). */
natsConnection *fpc_bus_nc(struct fpc_bus *b);
jsCtx *fpc_bus_js(struct fpc_bus *b);
int64_t fpc_bus_timeout(const struct fpc_bus *b);

/* Run what the library queued (the loop does it; tests may). */
void fpc_bus_dispatch(struct fpc_bus *b);

/* An errno value for a nats.c status, and its text into @err. */
int fpc_nats_err(struct fp_err *err, natsStatus s, const char *what);

/* A message header's value, or NULL. */
const char *fpc_msg_header(natsMsg *m, const char *key);

#endif
