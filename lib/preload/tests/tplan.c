// SPDX-License-Identifier: MIT
/* tplan.c - see tplan.h. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tplan.h"

/* The sanitizer runtime this program is linked with must come first. */
static void asan_runtime(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[1024], *p;

	out[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		p = strchr(line, '/');
		if (p && strstr(p, "/libasan.so")) {
			p[strcspn(p, "\n")] = 0;
			snprintf(out, len, "%s", p);
			break;
		}
	}
	fclose(f);
}

void tp_reexec(char **argv, const char *plan, const char *const *extra)
{
	const char *so = getenv("FP_PRELOAD_SO");
	char asan[512], pre[1200], dir[1024];
	ssize_t n;

	if (getenv("FP_TEST_PRELOADED"))
		return;
	if (!so || !*so) {
		printf("skip: FP_PRELOAD_SO is not set (make check-preload sets it)\n");
		exit(77);
	}
	asan_runtime(asan, sizeof(asan));
	/*
	 * The stand-in libraries for dlopen by name too (the sanitizer's
	 * dlopen interceptor makes itself the caller, so RUNPATH does not).
	 */
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 8);
	if (n > 0) {
		dir[n] = 0;
		strcpy(strrchr(dir, '/') + 1, "fake");
		setenv("LD_LIBRARY_PATH", dir, 1);
	}
	snprintf(pre, sizeof(pre), "%s%s%s", asan, *asan ? " " : "", so);
	setenv("LD_PRELOAD", pre, 1);
	setenv("FP_TEST_PRELOADED", "1", 1);
	setenv("FLOWPLAN_NO_NETLINK", "1", 1);
	setenv("FLOWPLAN_PLAN", plan, 1);
	for (; extra && *extra; extra++)
		putenv((char *)*extra);
	execv("/proc/self/exe", argv);
	perror("execv /proc/self/exe");
	exit(1);
}

void tp_write_plan(const char *path, const char *json)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fputs(json, f) < 0 || fclose(f) || rename(tmp, path)) {
		perror(path);
		exit(1);
	}
}

void tp_gid_v4(uint8_t raw[16], const char *ip)
{
	memset(raw, 0, 16);
	raw[10] = raw[11] = 0xff;
	inet_pton(AF_INET, ip, raw + 12);
}

int tp_poll(int secs, int (*cond)(void *), void *arg)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < secs * 100; i++) {
		if (cond(arg))
			return 0;
		nanosleep(&ts, NULL);
	}
	return cond(arg) ? 0 : -1;
}
