// SPDX-License-Identifier: MIT
/*
 * loop.c - epoll, timerfd (loop.h).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

int fpd_loop_init(struct fpd_loop *l)
{
	l->stop = false;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? errno : 0;
}

void fpd_loop_fini(struct fpd_loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

void fpd_loop_quit(struct fpd_loop *l)
{
	l->stop = true;
}

int fpd_loop_once(struct fpd_loop *l, int timeout_ms)
{
	struct epoll_event ev[32];
	int n, i;

	n = epoll_wait(l->epfd, ev, 32, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : errno;
	for (i = 0; i < n; i++) {
		struct fpd_io *io = ev[i].data.ptr;

		io->fn(io, ev[i].events);
		if (l->stop)
			break;
	}
	return 0;
}

int fpd_loop_run(struct fpd_loop *l)
{
	int ret = 0;

	while (!l->stop && !ret)
		ret = fpd_loop_once(l, -1);
	return ret;
}

int fpd_io_add(struct fpd_loop *l, struct fpd_io *io, int fd, uint32_t events,
	       fpd_io_fn fn, void *arg)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	io->fd = fd;
	io->fn = fn;
	io->arg = arg;
	io->loop = l;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return errno;
	return 0;
}

int fpd_io_mod(struct fpd_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	if (epoll_ctl(io->loop->epfd, EPOLL_CTL_MOD, io->fd, &ev))
		return errno;
	return 0;
}

void fpd_io_del(struct fpd_io *io)
{
	if (io->loop && io->fd >= 0)
		epoll_ctl(io->loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->loop = NULL;
}

/* Read the expirations (which clears the descriptor), hand them on. */
static void timer_fire(struct fpd_io *io, uint32_t events)
{
	struct fpd_timer *t = io->arg;
	uint64_t n = 0;

	(void)events;
	if (read(io->fd, &n, sizeof(n)) != sizeof(n))
		return;
	t->fn(t, n);
}

int fpd_timer_init(struct fpd_loop *l, struct fpd_timer *t, fpd_timer_fn fn, void *arg)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	int ret;

	if (fd < 0)
		return errno;
	t->fn = fn;
	t->arg = arg;
	ret = fpd_io_add(l, &t->io, fd, EPOLLIN, timer_fire, t);
	if (ret)
		close(fd);
	return ret;
}

int fpd_timer_set(struct fpd_timer *t, uint64_t first_ns, uint64_t period_ns)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(first_ns / 1000000000u),
			      .tv_nsec = (long)(first_ns % 1000000000u) },
		.it_interval = { .tv_sec = (time_t)(period_ns / 1000000000u),
				 .tv_nsec = (long)(period_ns % 1000000000u) },
	};

	if (timerfd_settime(t->io.fd, 0, &its, NULL))
		return errno;
	return 0;
}

void fpd_timer_fini(struct fpd_timer *t)
{
	int fd = t->io.fd;

	fpd_io_del(&t->io);
	if (fd >= 0)
		close(fd);
	t->io.fd = -1;
}

uint64_t fpd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t fpd_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
