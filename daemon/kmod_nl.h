/* SPDX-License-Identifier: MIT */
/* kmod_nl.h - the module table over netlink (kmod_nl.c). */
#ifndef FPD_KMOD_NL_H
#define FPD_KMOD_NL_H

#include "kmod.h"

/* The operations and their context; NULL and the reason in @err. */
const struct fpd_kmod_ops *fpd_kmod_nl(void **ctx, struct fp_err *err);
void fpd_kmod_nl_free(void *ctx);

#endif
