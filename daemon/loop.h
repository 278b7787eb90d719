/* SPDX-License-Identifier: MIT */
/*
 * loop.h - the daemon's one event loop: epoll over file descriptors
 * (netlink socket, control socket and its clients, inotify, the HTTP
 * server's epoll set), timerfd timers and a signalfd. Everything runs in
 * this thread, so callbacks need no locks; nothing polls.
 */
#ifndef FPD_LOOP_H
#define FPD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct fpd_loop {
	int epfd;
	bool stop;
};

struct fpd_io;
typedef void (*fpd_io_fn)(struct fpd_io *io, uint32_t events);

/* A watched descriptor; embed it and find the container in the callback. */
struct fpd_io {
	int fd;
	fpd_io_fn fn;
	void *arg;
	struct fpd_loop *loop;
};

int fpd_loop_init(struct fpd_loop *l);
void fpd_loop_fini(struct fpd_loop *l);
/* Until fpd_loop_quit(); 0 or an errno value from epoll_wait. */
int fpd_loop_run(struct fpd_loop *l);
/* One round: wait at most @timeout_ms (-1: forever), run what is ready. */
int fpd_loop_once(struct fpd_loop *l, int timeout_ms);
void fpd_loop_quit(struct fpd_loop *l);

int fpd_io_add(struct fpd_loop *l, struct fpd_io *io, int fd, uint32_t events,
	       fpd_io_fn fn, void *arg);
int fpd_io_mod(struct fpd_io *io, uint32_t events);
/* Stop watching (does not close the descriptor). */
void fpd_io_del(struct fpd_io *io);

/* A timer; its callback gets the number of expirations since the last. */
struct fpd_timer;
typedef void (*fpd_timer_fn)(struct fpd_timer *t, uint64_t expirations);

struct fpd_timer {
	struct fpd_io io;
	fpd_timer_fn fn;
	void *arg;
};

int fpd_timer_init(struct fpd_loop *l, struct fpd_timer *t, fpd_timer_fn fn, void *arg);
/* First expiry after @first_ns (0: disarm), then every @period_ns (0: once). */
int fpd_timer_set(struct fpd_timer *t, uint64_t first_ns, uint64_t period_ns);
void fpd_timer_fini(struct fpd_timer *t);

/* CLOCK_MONOTONIC and CLOCK_REALTIME in nanoseconds. */
uint64_t fpd_now(void);
uint64_t fpd_wall(void);

#endif
