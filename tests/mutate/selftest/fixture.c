// SPDX-License-Identifier: MIT
/*
 * fixture.c - the mutation tool's self-test subject. test_fixture.c tests
 * some of it well, some of it not at all, so that which mutants die and
 * which survive is known in advance (expected.txt).
 */
#include "fixture.h"

/* Tested at and around both bounds: every mutant here dies, except one. */
int fx_clamp(int v, int lo, int hi)
{
	if (v < lo)
		return lo;	/* v <= lo: equivalent (returns lo == v) */
	if (v > hi)
		return hi;
	return v;
}

/* Tested only with an empty array: its loop body's mutants survive. */
int fx_sum(const int *a, int n)
{
	int s = 0, i;

	for (i = 0; i < n; i++)
		s += a[i];
	return s;
}

/* A duplicate case label does not compile: uncompiled mutants. */
int fx_kind(int x)
{
	switch (x) {
	case 1:
		return 10;
	case 2:
		return 20;
	}
	return 0;
}

/* `*flag != 0` spins forever on the test's flag of 1: a time-out. */
int fx_wait(volatile int *flag)
{
	while (*flag == 0)
		;
	return 7;
}
