// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for every planner parser. FUZZ_TARGET selects one:
 * topology, schedule, portmap or share (the plan file's entries:
 * fuzz_core.c). Inputs that parse are also used (planned, simulated,
 * written and read back, looked up) so that the parsers' results are
 * exercised too. tests/fuzz/planner.dict seeds the hostile tokens of
 * docs/hostile-input.md (nulls, NaN, huge numbers).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "planner/plan.h"
#include "planner/share.h"
#include "planner/sim.h"

/*
 * Generators take fabrics up to 2^20 NICs, which is legal and slow: the
 * fuzzer tries generator strings whose numbers multiply to 10^5 or less.
 */
static int small_numbers(const char *s)
{
	double prod = 1, v = 0;
	int in = 0;

	for (;; s++) {
		if (*s >= '0' && *s <= '9') {
			v = v * 10 + (*s - '0');
			in = 1;
		} else {
			if (in)
				prod *= v > 1 ? v : 1;
			v = 0;
			in = 0;
			if (!*s)
				break;
		}
	}
	return prod <= 1e5;
}

static struct fp_topo *fabric(void)
{
	static struct fp_topo *t;
	struct fp_err err;

	if (!t && fp_topo_generate("leafspine:leaves=3,spines=2,hosts=2", &t, &err))
		abort();
	return t;
}

/* The same fabric on IPv6 (2001:2::1 on), its spines hashing the flow label. */
static struct fp_topo *fabric6(void)
{
	static struct fp_topo *t;
	struct fp_err err;

	if (!t && fp_topo_generate("leafspine:leaves=3,spines=2,hosts=2,ipv6,fields=l4+flowlabel",
				   &t, &err))
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
		if (small_numbers(txt) && !fp_topo_generate(txt, &t, &err))
			fp_topo_free(t);
	}
#elif FUZZ_TARGET == 2
	{
		struct fp_sched *s;
		struct fp_plan *p;
		struct fp_plan_opts o = { .strategy = FP_STRAT_FLOWPLAN };
		/* Inputs of odd length plan on the IPv6 twin of the fabric. */
		struct fp_topo *ft = size & 1 ? fabric6() : fabric();

		if (!fp_sched_parse(txt, size, "fuzz", ft, &s, &err)) {
			if (!fp_plan_compute(ft, s, &o, &p, &err)) {
				struct fp_sim *sim;
				struct fp_hostplan hp;
				char *j = fp_plan_to_json(p, false, true);

				if (!fp_simulate(p, &sim, &err))
					fp_sim_free(sim);
				if (j && fp_hostplan_parse(j, strlen(j), "plan", &hp, &err))
					abort();	/* the writer's own output must read back */
				if (j)
					fp_hostplan_free(&hp);
				free(j);
				fp_plan_free(p);
			}
			fp_sched_free(s);
		}
		if (size < 256 && !fp_sched_generate(txt, ft, &s, &err))
			fp_sched_free(s);
	}
#elif FUZZ_TARGET == 3
	{
		struct fp_portmap *pm;

		/* A map with a colon is read against the IPv6 fabric. */
		if (strlen(txt) == size &&
		    !fp_portmap_parse(txt, "fuzz", strchr(txt, ':') ? fabric6() : fabric(), &pm, &err))
			fp_portmap_free(pm);
	}
#else
	{
		struct fp_hostplan hp;
		struct fp_addr a, r;

		if (!fp_share_parse(txt, size, "fuzz", &hp, &err)) {
			if (hp.n) {
				a = hp.e[0].local;
				r = hp.e[hp.n - 1].remote;
				fp_hostplan_find(&hp, &a, &r, 1);
			}
			fp_hostplan_free(&hp);
		}
	}
#endif
	free(txt);
	return 0;
}
