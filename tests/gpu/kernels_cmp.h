/* SPDX-License-Identifier: MIT */
/*
 * kernels_cmp.h - GPU results against the CPU reference, bit for bit, on
 * sizes with odd lengths and misaligned offsets. Used by tests/unit/test_gpu
 * (cmocka) and by the kernels-cmp program. Each function returns 0 when the
 * GPU matched, -1 when it did not (reason in @msg), or an errno value when
 * it could not run.
 */
#ifndef KERNELS_CMP_H
#define KERNELS_CMP_H

#include <stddef.h>

#include "kernels/fp_kernels.h"

int fpk_cmp_pack(char *msg, size_t len);
int fpk_cmp_unpack(char *msg, size_t len);
int fpk_cmp_reduce(enum fp_dtype dt, char *msg, size_t len);

#endif
