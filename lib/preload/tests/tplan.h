/* SPDX-License-Identifier: MIT */
/* tplan.h - what the interposer's binding tests share. */
#ifndef FP_PRELOAD_TPLAN_H
#define FP_PRELOAD_TPLAN_H

#include <stdint.h>

/*
 * Run this test program again with the interposer preloaded ($FP_PRELOAD_SO,
 * after the sanitizer runtime this program uses), the plan file @plan and
 * no netlink; returns in that second run. Exits 77 when FP_PRELOAD_SO is not
 * set. @extra: more NAME=VALUE settings, NULL-terminated (may be NULL).
 */
void tp_reexec(char **argv, const char *plan, const char *const *extra);
/* Replace the plan file atomically (write a temporary, rename). */
void tp_write_plan(const char *path, const char *json);
/* ::ffff:a.b.c.d */
void tp_gid_v4(uint8_t raw[16], const char *ip);
/* Wait up to @secs for @cond(arg) to become true; 0 or -1. */
int tp_poll(int secs, int (*cond)(void *), void *arg);

#endif
