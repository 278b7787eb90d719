// SPDX-License-Identifier: MIT
/*
 * fuzz_conf - libFuzzer on the configuration parser: any bytes give 0 or
 * an error with a FILE:LINE message, never a crash, and a config that
 * parses writes out to text that parses back to the same config.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	struct fp_err err = { "" };
	struct fpd_conf c, d;
	char *buf = NULL;
	size_t blen = 0;
	FILE *f;

	fpd_conf_default(&c);
	if (fpd_conf_parse((const char *)data, len, "fuzz", &c, &err)) {
		if (strncmp(err.msg, "fuzz", 4))
			abort();	/* every error names its input */
		return 0;
	}
	f = open_memstream(&buf, &blen);
	if (!f)
		return 0;
	fpd_conf_write(&c, f);
	fclose(f);
	memset(&d, 0, sizeof(d));
	fpd_conf_default(&d);
	if (fpd_conf_parse(buf, blen, "written", &d, &err) || memcmp(&c, &d, sizeof(c)))
		abort();
	free(buf);
	return 0;
}
