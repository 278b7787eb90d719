// SPDX-License-Identifier: MIT
/*
 * fuzz_ctl - libFuzzer on the control socket's request parser: any line
 * gives a command or an error message, never a crash.
 */
#include <stdlib.h>

#include "ctl.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	struct fp_err err = { "" };
	struct fpd_ctl_req req;

	if (fpd_ctl_parse((const char *)data, len, &req, &err)) {
		if (!err.msg[0])
			abort();	/* a refusal always says why */
		return 0;
	}
	if (req.cmd > FPD_CTL_REPLAN)
		abort();
	return 0;
}
