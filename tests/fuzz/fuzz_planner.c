// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for every planner parser. FUZZ_TARGET selects one:
 * topology, schedule or portmap (the plan file's entries: fuzz_core.c). Inputs that parse are also used
 * (planned or looked up) so that the parsers' results are exercised too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "planner/plan.h"

static struct fp_topo *fabric(void)
{
	static struct fp_topo *t;
	struct fp_err err;

	if (!t && fp_topo_generate("leafspine:leaves=3,spines=2,hosts=2", &t, &err))
		abort();
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *txt = malloc(size + 1);
	struct fp_err err;

	if (!txt)
		return 0;
	memcpy(txt, data, size);
	txt[size] = 0;
#if FUZZ_TARGET == 1
	{
		struct fp_topo *t;

		if (!fp_topo_parse(txt, size, "fuzz", &t, &err)) {
			char *j = fp_topo_to_json(t, false);

			free(j);
			fp_topo_free(t);
		}
		if (!fp_topo_generate(txt, &t, &err))
			fp_topo_free(t);
	}
#elif FUZZ_TARGET == 2
	{
		struct fp_sched *s;
		struct fp_plan *p;
		struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN };

		if (!fp_sched_parse(txt, size, "fuzz", fabric(), &s, &err)) {
			if (!fp_plan_compute(fabric(), s, &o, &p, &err))
				fp_plan_free(p);
			fp_sched_free(s);
		}
		if (size < 256 && !fp_sched_generate(txt, fabric(), &s, &err))
			fp_sched_free(s);
	}
#else
	{
		struct fp_portmap *pm;

		if (strlen(txt) == size && !fp_portmap_parse(txt, "fuzz", fabric(), &pm, &err))
			fp_portmap_free(pm);
	}
#endif
	free(txt);
	return 0;
}
