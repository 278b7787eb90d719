/* SPDX-License-Identifier: MIT */
#ifndef FIXTURE_H
#define FIXTURE_H
int fx_clamp(int v, int lo, int hi);
int fx_sum(const int *a, int n);
int fx_kind(int x);
int fx_wait(volatile int *flag);
#endif
