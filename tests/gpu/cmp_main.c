// SPDX-License-Identifier: MIT
/*
 * kernels-cmp - compare the GPU kernels with the CPU reference on this
 * machine's GPU. Exit 0: all match; 1: a mismatch or error; 77: no GPU.
 *   FLOWPLAN_KERNELS_CUDA=build/libfpkernels_cuda.so build/tests/gpu/kernels-cmp
 */
#include <stdio.h>

#include "kernels_cmp.h"

int main(void)
{
	static const char *const names[] = { "pack", "unpack", "reduce f32",
					     "reduce f16", "reduce bf16" };
	char why[256] = "";
	int i, ret, bad = 0;

	if (fp_kernels_gpu(why, sizeof(why))) {
		printf("kernels-cmp: skipped: %s\n", why);
		return 77;
	}
	for (i = 0; i < 5; i++) {
		why[0] = '\0';
		ret = i == 0 ? fpk_cmp_pack(why, sizeof(why))
		    : i == 1 ? fpk_cmp_unpack(why, sizeof(why))
			     : fpk_cmp_reduce((enum fp_dtype)(i - 2), why, sizeof(why));
		printf("%-12s %s%s%s\n", names[i], ret ? "FAIL" : "ok",
		       ret ? ": " : "", why);
		bad += ret != 0;
	}
	return bad ? 1 : 0;
}
