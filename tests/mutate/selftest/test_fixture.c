// SPDX-License-Identifier: MIT
/* test_fixture.c - the self-test's tier: exits 1 on the first wrong answer. */
#include <stdio.h>

#include "fixture.h"

#define CHECK(e) do { if (!(e)) { printf("FAILED: %s\n", #e); return 1; } } while (0)

int main(void)
{
	volatile int one = 1;

	CHECK(fx_clamp(-5, 0, 10) == 0);
	CHECK(fx_clamp(0, 0, 10) == 0);
	CHECK(fx_clamp(1, 0, 10) == 1);
	CHECK(fx_clamp(9, 0, 10) == 9);
	CHECK(fx_clamp(10, 0, 10) == 10);
	CHECK(fx_clamp(11, 0, 10) == 10);
	CHECK(fx_clamp(7, 5, 6) == 6);
	CHECK(fx_sum(NULL, 0) == 0);
	CHECK(fx_kind(1) == 10);
	CHECK(fx_kind(2) == 20);
	CHECK(fx_kind(3) == 0);
	CHECK(fx_wait(&one) == 7);
	printf("fixture: all passed\n");
	return 0;
}
