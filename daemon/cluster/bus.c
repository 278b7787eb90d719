// SPDX-License-Identifier: MIT
/*
 * bus.c - the NATS connection handed to the loop (bus.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/err.h"
#include "bus.h"
#include "nkey.h"

#define MAX_SERVERS	16
#define MAX_STATE_FNS	8

enum ev_kind { EV_MSG, EV_ACK, EV_STATE };

struct sub {
	struct fpc_bus *b;
	char *subject;
	natsSubscription *s;
	fpc_msg_fn fn;
	void *arg;
	struct sub *next;
};

struct ev {
	enum ev_kind kind;
	struct sub *sub;		/* EV_MSG */
	natsMsg *msg;			/* EV_MSG; EV_ACK: the message published */
	uint64_t seq;			/* EV_ACK */
	int code;			/* EV_ACK: JetStream error code; EV_STATE: the event */
	char text[200];
	uint64_t at;			/* queued (fpd_now()) */
	struct ev *next;
};

struct fpc_bus {
	struct fpd_loop *loop;
	struct fpd_io io;
	int efd;
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	int64_t timeout_ms;
	int up;			/* __atomic: NATS's threads set it */
	char url[128];

	pthread_mutex_t mu;
	struct ev *head, *tail;
	/* connections made and not yet reported closed: nats.c calls
	 * on_closed() on its own thread after natsConnection_Close() returns,
	 * so fpc_bus_close() waits for it before freeing what it is given
	 */
	pthread_cond_t closed_cond;
	int open_conns;

	struct {
		fpc_state_fn fn;
		void *arg;
	} state[MAX_STATE_FNS];
	int nstate;
	fpc_ack_fn ack;
	void *ack_arg;
	struct sub *subs;
	uint64_t reconnects;
	/* the library gives up on a server that refuses the same credentials
	 * twice (so that new ones can be tried): start again after a while
	 */
	struct fpd_timer t_restart;
	uint64_t restart_ns;
	bool closing;
	uint64_t cur_at, cur_start;	/* the event being handled: queued, taken */
};

int fpc_nats_err(struct fp_err *err, natsStatus s, const char *what)
{
	const char *last = nats_GetLastError(NULL);
	int e;

	switch (s) {
	case NATS_OK:
		return 0;
	case NATS_NOT_FOUND:
		e = ENOENT;
		break;
	case NATS_TIMEOUT:
		e = ETIMEDOUT;
		break;
	case NATS_NO_MEMORY:
		e = ENOMEM;
		break;
	case NATS_NOT_PERMITTED:
		e = EACCES;
		break;
	case NATS_CONNECTION_CLOSED:
	case NATS_CONNECTION_DISCONNECTED:
	case NATS_NOT_YET_CONNECTED:
	case NATS_NO_SERVER:
		e = ENOTCONN;
		break;
	case NATS_NO_RESPONDERS:
		e = EHOSTUNREACH;
		break;
	case NATS_INVALID_ARG:
		e = EINVAL;
		break;
	default:
		e = EIO;
		break;
	}
	fp_fail(err, e, "%s: %s", what, last && *last ? last : natsStatus_GetText(s));
	return e;
}

const char *fpc_msg_header(natsMsg *m, const char *key)
{
	const char *v = NULL;

	if (natsMsgHeader_Get(m, key, &v) != NATS_OK)
		return NULL;
	return v;
}

/* ------------------------------------------------- from nats.c's threads */

static void push(struct fpc_bus *b, struct ev *e)
{
	uint64_t one = 1;
	ssize_t r;

	e->next = NULL;
	e->at = fpd_now();
	pthread_mutex_lock(&b->mu);
	if (b->tail)
		b->tail->next = e;
	else
		b->head = e;
	b->tail = e;
	pthread_mutex_unlock(&b->mu);
	r = write(b->efd, &one, sizeof(one));
	(void)r;	/* a full counter wakes the loop all the same */
}

static void push_state(struct fpc_bus *b, enum fpc_bus_event kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void push_state(struct fpc_bus *b, enum fpc_bus_event kind, const char *fmt, ...)
{
	struct ev *e = calloc(1, sizeof(*e));
	va_list ap;

	if (!e)
		return;
	e->kind = EV_STATE;
	e->code = kind;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	push(b, e);
}

static void on_msg(natsConnection *nc, natsSubscription *s, natsMsg *m, void *closure)
{
	struct sub *sub = closure;
	struct ev *e = calloc(1, sizeof(*e));

	(void)nc;
	(void)s;
	if (!e) {
		natsMsg_Destroy(m);
		return;
	}
	e->kind = EV_MSG;
	e->sub = sub;
	e->msg = m;
	push(sub->b, e);
}

static void on_ack(jsCtx *js, natsMsg *m, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct fpc_bus *b = closure;
	struct ev *e = calloc(1, sizeof(*e));

	(void)js;
	if (!e) {
		natsMsg_Destroy(m);
		return;
	}
	e->kind = EV_ACK;
	e->msg = m;	/* ours now: the library hands it over */
	if (pa) {
		e->seq = pa->Sequence;
	} else if (pae) {
		e->code = pae->ErrCode ? (int)pae->ErrCode : -1;
		snprintf(e->text, sizeof(e->text), "%s",
			 pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err));
	} else {
		e->code = -1;
		snprintf(e->text, sizeof(e->text), "no acknowledgement");
	}
	push(b, e);
}

static void set_url(struct fpc_bus *b, natsConnection *nc)
{
	char url[128] = "";

	natsConnection_GetConnectedUrl(nc, url, sizeof(url));
	pthread_mutex_lock(&b->mu);
	snprintf(b->url, sizeof(b->url), "%s", url);
	pthread_mutex_unlock(&b->mu);
}

static void on_connected(natsConnection *nc, void *closure)
{
	struct fpc_bus *b = closure;

	set_url(b, nc);
	__atomic_store_n(&b->up, 1, __ATOMIC_RELAXED);
	push_state(b, FPC_BUS_CONNECTED, "connected to %s", b->url);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
	struct fpc_bus *b = closure;

	set_url(b, nc);
	__atomic_store_n(&b->up, 1, __ATOMIC_RELAXED);
	push_state(b, FPC_BUS_CONNECTED, "reconnected to %s", b->url);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
	struct fpc_bus *b = closure;
	const char *last = NULL;

	(void)nc;
	__atomic_store_n(&b->up, 0, __ATOMIC_RELAXED);
	natsConnection_GetLastError(nc, &last);
	push_state(b, FPC_BUS_DISCONNECTED, "disconnected%s%s", last && *last ? ": " : "",
		   last && *last ? last : "");
}

static void on_closed(natsConnection *nc, void *closure)
{
	struct fpc_bus *b = closure;
	const char *last = NULL;

	__atomic_store_n(&b->up, 0, __ATOMIC_RELAXED);
	natsConnection_GetLastError(nc, &last);
	push_state(b, FPC_BUS_CLOSED, "connection closed%s%s", last && *last ? ": " : "",
		   last && *last ? last : "");
	/* the connection's last callback (they come in order, on one thread):
	 * the unlock is the last touch of @b, which may be freed right after
	 */
	pthread_mutex_lock(&b->mu);
	b->open_conns--;
	pthread_cond_broadcast(&b->closed_cond);
	pthread_mutex_unlock(&b->mu);
}

static void on_error(natsConnection *nc, natsSubscription *s, natsStatus st, void *closure)
{
	struct fpc_bus *b = closure;
	const char *last = NULL;

	(void)s;
	natsConnection_GetLastError(nc, &last);
	if (st == NATS_SLOW_CONSUMER)
		push_state(b, FPC_BUS_SLOW, "messages dropped (slow consumer)");
	else
		push_state(b, FPC_BUS_ERROR, "%s", last && *last ? last : natsStatus_GetText(st));
}

/* ------------------------------------------------------- the loop's side */

static void handle(struct fpc_bus *b, struct ev *e)
{
	int i;

	b->cur_at = e->at;
	b->cur_start = fpd_now();
	switch (e->kind) {
	case EV_MSG:
		e->sub->fn(e->sub->arg, e->msg);
		break;
	case EV_ACK:
		if (b->ack)
			b->ack(b->ack_arg, natsMsg_GetSubject(e->msg), e->seq, e->code, e->text);
		break;
	case EV_STATE:
		if (e->code == FPC_BUS_CONNECTED) {
			b->reconnects++;
			b->restart_ns = 0;
		}
		if (e->code == FPC_BUS_CLOSED && !b->closing && b->t_restart.io.loop) {
			b->restart_ns = b->restart_ns ? b->restart_ns * 2 : 2000000000ull;
			if (b->restart_ns > 60000000000ull)
				b->restart_ns = 60000000000ull;
			fpd_timer_set(&b->t_restart, b->restart_ns, 0);
			snprintf(e->text + strlen(e->text), sizeof(e->text) - strlen(e->text),
				 "; connecting again in %" PRIu64 " s", b->restart_ns / 1000000000u);
		}
		for (i = 0; i < b->nstate; i++)
			b->state[i].fn(b->state[i].arg, (enum fpc_bus_event)e->code, e->text);
		break;
	}
	natsMsg_Destroy(e->msg);
	free(e);
}

/* Take the queue; with @acks_only, only the acks (the rest stays, in order). */
static void run(struct fpc_bus *b, bool acks_only)
{
	struct ev *e, *next, *keep = NULL, *keep_tail = NULL;

	pthread_mutex_lock(&b->mu);
	e = b->head;
	b->head = b->tail = NULL;
	pthread_mutex_unlock(&b->mu);
	for (; e; e = next) {
		next = e->next;
		if (acks_only && e->kind != EV_ACK) {
			e->next = NULL;
			if (keep_tail)
				keep_tail->next = e;
			else
				keep = e;
			keep_tail = e;
			continue;
		}
		handle(b, e);
	}
	if (keep) {
		uint64_t one = 1;
		ssize_t r;

		pthread_mutex_lock(&b->mu);
		keep_tail->next = b->head;
		if (!b->head)
			b->tail = keep_tail;
		b->head = keep;
		pthread_mutex_unlock(&b->mu);
		r = write(b->efd, &one, sizeof(one));
		(void)r;
	}
}

void fpc_bus_dispatch(struct fpc_bus *b)
{
	run(b, false);
}

static void on_efd(struct fpd_io *io, uint32_t events)
{
	struct fpc_bus *b = io->arg;
	uint64_t n;
	ssize_t r;

	(void)events;
	r = read(b->efd, &n, sizeof(n));
	(void)r;
	run(b, false);
}

/* ---------------------------------------------------------- open, close */

static int read_secret(const char *path, char *buf, size_t n, struct fp_err *err)
{
	FILE *f = fopen(path, "re");
	size_t len;

	if (!f)
		return fp_fail(err, errno, "%s: %s", path, strerror(errno));
	if (!fgets(buf, (int)n, f)) {
		fclose(f);
		return fp_fail(err, EINVAL, "%s: empty", path);
	}
	fclose(f);
	len = strcspn(buf, "\r\n");
	buf[len] = 0;
	if (!len)
		return fp_fail(err, EINVAL, "%s: the first line is empty", path);
	return 0;
}

static int nats_options(struct fpc_bus *b, const struct fpc_bus_opts *o, struct fp_err *err)
{
	const char *urls[MAX_SERVERS];
	char buf[1024], *save = NULL, *tok, pub[FPC_NKEY_PUBLEN + 1], pw[256];
	natsOptions *no = NULL;
	natsStatus s;
	bool tls = o->tls_ca && *o->tls_ca;
	int n = 0, ret;

	if (!o->servers || !*o->servers)
		return fp_fail(err, EINVAL, "[cluster] servers: none given");
	if (strlen(o->servers) >= sizeof(buf))
		return fp_fail(err, EINVAL, "[cluster] servers: too long");
	snprintf(buf, sizeof(buf), "%s", o->servers);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (n == MAX_SERVERS)
			return fp_fail(err, EINVAL, "[cluster] servers: more than %d", MAX_SERVERS);
		if (strncmp(tok, "nats://", 7) && strncmp(tok, "tls://", 6))
			return fp_fail(err, EINVAL, "[cluster] servers: '%s' is not nats://HOST:PORT or tls://HOST:PORT",
				    tok);
		if (!strncmp(tok, "tls://", 6))
			tls = true;
		urls[n++] = tok;
	}
	if (!n)
		return fp_fail(err, EINVAL, "[cluster] servers: none given");
	if ((o->tls_cert && *o->tls_cert) != (o->tls_key && *o->tls_key))
		return fp_fail(err, EINVAL, "[cluster] tls_cert and tls_key go together");
	if (o->user && *o->user && o->nkey_seed && *o->nkey_seed)
		return fp_fail(err, EINVAL, "[cluster] user and nkey_seed: one or the other");
	if ((o->user && *o->user) != (o->password_file && *o->password_file))
		return fp_fail(err, EINVAL, "[cluster] user and password_file go together");

	s = natsOptions_Create(&no);
	if (s == NATS_OK)
		s = natsOptions_SetServers(no, urls, n);
	if (s == NATS_OK && o->name)
		s = natsOptions_SetName(no, o->name);
	if (s == NATS_OK)
		s = natsOptions_SetNoRandomize(no, false);
	if (s == NATS_OK)
		s = natsOptions_SetIgnoreDiscoveredServers(no, true);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(no, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(no, o->reconnect_wait_ms ? o->reconnect_wait_ms : 250);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectJitter(no, 100, 200);
	if (s == NATS_OK)
		s = natsOptions_SetPingInterval(no, o->ping_ms ? o->ping_ms : 2000);
	if (s == NATS_OK)
		s = natsOptions_SetMaxPingsOut(no, 2);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(no, b->timeout_ms);
	if (s == NATS_OK)
		s = natsOptions_SetFailRequestsOnDisconnect(no, true);
	if (s == NATS_OK)
		s = natsOptions_UseGlobalMessageDelivery(no, true);
	if (s == NATS_OK)
		s = natsOptions_SetMaxPendingMsgs(no, 1 << 20);
	if (s == NATS_OK && o->inbox && *o->inbox)
		s = natsOptions_SetCustomInboxPrefix(no, o->inbox);
	if (s == NATS_OK)
		s = natsOptions_SetRetryOnFailedConnect(no, true, on_connected, b);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(no, on_reconnected, b);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(no, on_disconnected, b);
	if (s == NATS_OK)
		s = natsOptions_SetClosedCB(no, on_closed, b);
	if (s == NATS_OK)
		s = natsOptions_SetErrorHandler(no, on_error, b);
	if (s != NATS_OK) {
		natsOptions_Destroy(no);
		return fpc_nats_err(err, s, "NATS options");
	}
	if (o->user && *o->user) {
		ret = read_secret(o->password_file, pw, sizeof(pw), err);
		if (!ret) {
			s = natsOptions_SetUserInfo(no, o->user, pw);
			ret = fpc_nats_err(err, s, "user");
		}
		memset(pw, 0, sizeof(pw));
		if (ret)
			goto bad;
	}
	if (o->nkey_seed && *o->nkey_seed) {
		ret = fpc_nkey_public(o->nkey_seed, pub, sizeof(pub), err);
		if (!ret)
			ret = fpc_nats_err(err, natsOptions_SetNKeyFromSeed(no, pub, o->nkey_seed),
					   "nkey");
		if (ret)
			goto bad;
	}
	if (tls) {
		s = natsOptions_SetSecure(no, true);
		if (s == NATS_OK && o->tls_ca && *o->tls_ca)
			s = natsOptions_LoadCATrustedCertificates(no, o->tls_ca);
		if (s == NATS_OK && o->tls_cert && *o->tls_cert)
			s = natsOptions_LoadCertificatesChain(no, o->tls_cert, o->tls_key);
		ret = fpc_nats_err(err, s, "TLS");
		if (ret)
			goto bad;
	}
	b->opts = no;
	return 0;
bad:
	natsOptions_Destroy(no);
	return ret;
}

static natsStatus subscribe(struct fpc_bus *b, struct sub *s)
{
	natsStatus st;

	st = natsConnection_Subscribe(&s->s, b->nc, s->subject, on_msg, s);
	if (st == NATS_OK)
		st = natsSubscription_SetPendingLimits(s->s, -1, -1);
	if (st != NATS_OK) {
		natsSubscription_Destroy(s->s);
		s->s = NULL;
	}
	return st;
}

static int connect_js(struct fpc_bus *b, struct fp_err *err)
{
	jsOptions jo;
	natsStatus s;
	struct sub *sub;

	s = natsConnection_Connect(&b->nc, b->opts);
	if (b->nc) {
		pthread_mutex_lock(&b->mu);
		b->open_conns++;
		pthread_mutex_unlock(&b->mu);
	}
	if (s == NATS_OK) {
		set_url(b, b->nc);
		__atomic_store_n(&b->up, 1, __ATOMIC_RELAXED);
		push_state(b, FPC_BUS_CONNECTED, "connected to %s", b->url);
	} else if (s != NATS_NOT_YET_CONNECTED) {
		return fpc_nats_err(err, s, "connecting");
	}
	jsOptions_Init(&jo);
	jo.Wait = b->timeout_ms;
	jo.PublishAsync.AckHandler = on_ack;
	jo.PublishAsync.AckHandlerClosure = b;
	jo.PublishAsync.MaxPending = 1 << 16;
	s = natsConnection_JetStream(&b->js, b->nc, &jo);
	for (sub = b->subs; s == NATS_OK && sub; sub = sub->next)
		s = subscribe(b, sub);
	return fpc_nats_err(err, s, "JetStream context");
}

static void drop_connection(struct fpc_bus *b)
{
	struct sub *s;

	for (s = b->subs; s; s = s->next)
		if (s->s)
			natsSubscription_Unsubscribe(s->s);
	if (b->nc)
		natsConnection_Close(b->nc);
	jsCtx_Destroy(b->js);
	b->js = NULL;
	for (s = b->subs; s; s = s->next) {
		natsSubscription_Destroy(s->s);
		s->s = NULL;
	}
	natsConnection_Destroy(b->nc);
	b->nc = NULL;
	__atomic_store_n(&b->up, 0, __ATOMIC_RELAXED);
}

static void on_restart(struct fpd_timer *t, uint64_t n)
{
	struct fpc_bus *b = t->arg;
	struct fp_err err = { "" };

	(void)n;
	drop_connection(b);
	if (connect_js(b, &err))
		push_state(b, FPC_BUS_ERROR, "%s", err.msg);
}

struct fpc_bus *fpc_bus_open(struct fpd_loop *loop, const struct fpc_bus_opts *o,
			     struct fp_err *err)
{
	struct fpc_bus *b = calloc(1, sizeof(*b));
	int ret;

	if (!b) {
		fp_fail(err, ENOMEM, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	b->loop = loop;
	b->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 2000;
	b->efd = -1;
	b->io.fd = -1;
	b->t_restart.io.fd = -1;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->closed_cond, NULL);
	ret = nats_options(b, o, err);
	if (ret)
		goto bad;
	b->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->efd < 0) {
		ret = fp_fail(err, errno, "eventfd: %s", strerror(errno));
		goto bad;
	}
	if (loop) {
		ret = fpd_io_add(loop, &b->io, b->efd, EPOLLIN, on_efd, b);
		if (!ret)
			ret = fpd_timer_init(loop, &b->t_restart, on_restart, b);
		if (ret) {
			fp_fail(err, ret, "epoll: %s", strerror(ret));
			goto bad;
		}
	}
	return b;
bad:
	fpc_bus_close(b);
	errno = ret;
	return NULL;
}

int fpc_bus_on_state(struct fpc_bus *b, fpc_state_fn fn, void *arg)
{
	if (b->nstate == MAX_STATE_FNS)
		return ENOSPC;
	b->state[b->nstate].fn = fn;
	b->state[b->nstate].arg = arg;
	b->nstate++;
	return 0;
}

void fpc_bus_on_ack(struct fpc_bus *b, fpc_ack_fn fn, void *arg)
{
	b->ack = fn;
	b->ack_arg = arg;
}

int fpc_bus_start(struct fpc_bus *b, struct fp_err *err)
{
	return connect_js(b, err);
}

/* true when every connection's closed callback has run (it comes soon
 * after natsConnection_Close(): a few seconds is a broken library)
 */
static bool wait_closed(struct fpc_bus *b)
{
	struct timespec until;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&b->mu);
	while (b->open_conns > 0 && ret != ETIMEDOUT)
		ret = pthread_cond_timedwait(&b->closed_cond, &b->mu, &until);
	ret = b->open_conns;
	pthread_mutex_unlock(&b->mu);
	return ret <= 0;
}

void fpc_bus_close(struct fpc_bus *b)
{
	struct sub *s, *next;

	if (!b)
		return;
	b->closing = true;
	if (b->io.loop)
		fpd_io_del(&b->io);
	fpd_timer_fini(&b->t_restart);
	/* queued messages of the subscriptions go below, without their handler */
	drop_connection(b);
	if (!wait_closed(b)) {
		/* nats.c still holds @b for a callback: leave it to it */
		return;
	}
	b->nstate = 0;
	b->ack = NULL;
	/* drop what is left (the handlers' owners are going) */
	for (;;) {
		struct ev *e;

		pthread_mutex_lock(&b->mu);
		e = b->head;
		b->head = b->tail = NULL;
		pthread_mutex_unlock(&b->mu);
		if (!e)
			break;
		while (e) {
			struct ev *n = e->next;

			natsMsg_Destroy(e->msg);
			free(e);
			e = n;
		}
	}
	for (s = b->subs; s; s = next) {
		next = s->next;
		free(s->subject);
		free(s);
	}
	natsOptions_Destroy(b->opts);
	if (b->efd >= 0)
		close(b->efd);
	pthread_cond_destroy(&b->closed_cond);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

void fpc_bus_shutdown(void)
{
	/* every connection must be gone already; the library's threads
	 * (callbacks, timers, the last release of a TLS connection) end here,
	 * not while exit() tears OpenSSL down under them
	 */
	if (nats_CloseAndWait(5000) != NATS_OK)
		return;
	/*
	 * Then OpenSSL, before the exit hooks: nats.c's hook frees OpenSSL's
	 * list of compression methods and leaves OpenSSL's pointer to it, so
	 * OpenSSL's own hook, when it runs after nats.c's (OpenSSL set up
	 * first, as flowpland's key check does), frees it again and crashes.
	 * Cleaned up here, both hooks find nothing left to free.
	 */
	OPENSSL_cleanup();
}

/* ----------------------------------------------------------- operations */

bool fpc_bus_up(const struct fpc_bus *b)
{
	return __atomic_load_n(&b->up, __ATOMIC_RELAXED);
}

void fpc_bus_url(const struct fpc_bus *b, char *buf, size_t n)
{
	pthread_mutex_lock((pthread_mutex_t *)&b->mu);
	snprintf(buf, n, "%s", __atomic_load_n(&b->up, __ATOMIC_RELAXED) ? b->url : "");
	pthread_mutex_unlock((pthread_mutex_t *)&b->mu);
}

void fpc_bus_stats(const struct fpc_bus *b, struct fpc_bus_stats *st)
{
	natsStatistics *ns = NULL;

	memset(st, 0, sizeof(*st));
	st->reconnects = b->reconnects ? b->reconnects - 1 : 0;
	if (!b->nc || natsStatistics_Create(&ns) != NATS_OK)
		return;
	if (natsConnection_GetStats(b->nc, ns) == NATS_OK)
		natsStatistics_GetCounts(ns, &st->in_msgs, &st->in_bytes, &st->out_msgs,
					 &st->out_bytes, NULL);
	natsStatistics_Destroy(ns);
}

void fpc_bus_msg_times(const struct fpc_bus *b, uint64_t *queued, uint64_t *taken)
{
	*queued = b->cur_at;
	*taken = b->cur_start;
}

struct fpd_loop *fpc_bus_loop(struct fpc_bus *b)
{
	return b->loop;
}

natsConnection *fpc_bus_nc(struct fpc_bus *b)
{
	return b->nc;
}

jsCtx *fpc_bus_js(struct fpc_bus *b)
{
	return b->js;
}

int64_t fpc_bus_timeout(const struct fpc_bus *b)
{
	return b->timeout_ms;
}

int fpc_bus_sub(struct fpc_bus *b, const char *subject, fpc_msg_fn fn, void *arg,
		struct fp_err *err)
{
	struct sub *s = calloc(1, sizeof(*s));
	natsStatus st;

	if (s)
		s->subject = strdup(subject);
	if (!s || !s->subject) {
		free(s);
		return fp_fail(err, ENOMEM, "out of memory");
	}
	s->b = b;
	s->fn = fn;
	s->arg = arg;
	/* on a connection the library closed, it is made when a new one is */
	if (b->nc && !natsConnection_IsClosed(b->nc)) {
		st = subscribe(b, s);
		if (st != NATS_OK && !natsConnection_IsClosed(b->nc)) {
			free(s->subject);
			free(s);
			return fpc_nats_err(err, st, subject);
		}
	}
	s->next = b->subs;
	b->subs = s;
	return 0;
}

int fpc_bus_pub(struct fpc_bus *b, const char *subject, const void *data, size_t len,
		struct fp_err *err)
{
	natsStatus s;

	if (len > INT32_MAX)
		return fp_fail(err, EMSGSIZE, "%s: %zu bytes", subject, len);
	s = natsConnection_Publish(b->nc, subject, data, (int)len);
	return fpc_nats_err(err, s, subject);
}

int fpc_bus_jspub(struct fpc_bus *b, const char *subject, const void *data, size_t len,
		  const uint64_t *expect, struct fp_err *err)
{
	jsPubOptions po;
	natsMsg *m = NULL;
	natsStatus s;

	if (!__atomic_load_n(&b->up, __ATOMIC_RELAXED))
		return fp_fail(err, EAGAIN, "%s: not connected", subject);
	if (len > INT32_MAX)
		return fp_fail(err, EMSGSIZE, "%s: %zu bytes", subject, len);
	jsPubOptions_Init(&po);
	po.MaxWait = b->timeout_ms;	/* an ack that does not come is an error too */
	if (expect) {
		if (*expect)
			po.ExpectLastSubjectSeq = *expect;
		else
			po.ExpectNoMessage = true;
	}
	s = natsMsg_Create(&m, subject, NULL, data, (int)len);
	if (s == NATS_OK)
		s = js_PublishMsgAsync(b->js, &m, &po);
	natsMsg_Destroy(m);	/* NULL when the library took it */
	return fpc_nats_err(err, s, subject);
}

int fpc_bus_jswait(struct fpc_bus *b, int64_t timeout_ms, struct fp_err *err)
{
	jsPubOptions po;
	natsStatus s;

	jsPubOptions_Init(&po);
	po.MaxWait = timeout_ms;
	s = js_PublishAsyncComplete(b->js, &po);
	run(b, true);
	return fpc_nats_err(err, s, "waiting for acknowledgements");
}

int fpc_bus_last(struct fpc_bus *b, const char *stream, const char *subject, natsMsg **m,
		 struct fp_err *err)
{
	jsDirectGetMsgOptions o;
	natsStatus s;

	*m = NULL;
	if (!__atomic_load_n(&b->up, __ATOMIC_RELAXED))
		return fp_fail(err, ENOTCONN, "%s: not connected", subject);
	jsDirectGetMsgOptions_Init(&o);
	o.LastBySubject = subject;
	s = js_DirectGetMsg(m, b->js, stream, NULL, &o);
	if (s == NATS_NOT_FOUND)
		return fp_fail(err, ENOENT, "%s: nothing stored", subject);
	return fpc_nats_err(err, s, subject);
}
