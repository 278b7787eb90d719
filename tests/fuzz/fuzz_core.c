// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the shared core's plan-file parser
 * (lib/core/planfile.c). A plan that parses is looked up, written back
 * entry by entry with fp_hostplan_write_entry and parsed again: the second
 * reading must give the same plan.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hostplan.h"

static void round_trip(const struct fp_hostplan *hp)
{
	struct fp_hostplan back;
	struct fp_err err;
	size_t i, len;
	char *text;
	FILE *f;

	f = open_memstream(&text, &len);
	if (!f)
		return;
	fprintf(f, "{\"format\":\"flowplan-plan\",\"version\":1,\"generation\":%llu,\"entries\":[",
		(unsigned long long)hp->generation);
	for (i = 0; i < hp->n; i++) {
		if (i)
			fputc(',', f);
		if (fp_hostplan_write_entry(f, &hp->e[i], i & 1))
			abort();
	}
	fputs("]}", f);
	fclose(f);
	if (fp_hostplan_parse(text, len, "round trip", &back, &err) || back.n != hp->n ||
	    back.generation != hp->generation)
		abort();
	for (i = 0; i < hp->n; i++)
		if (memcmp(&back.e[i], &hp->e[i], sizeof(back.e[i])))
			abort();
	fp_hostplan_free(&back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fp_hostplan hp;
	struct fp_err err;

	if (fp_hostplan_parse((const char *)data, size, "fuzz", &hp, &err))
		return 0;
	if (hp.n)
		fp_hostplan_find(&hp, &hp.e[0].local, &hp.e[0].remote, 1);
	round_trip(&hp);
	fp_hostplan_free(&hp);
	return 0;
}
