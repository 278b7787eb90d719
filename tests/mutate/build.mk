# tests/mutate: `make mutate`, mutation testing of each part's tests, and
# `check-mutate`, the self-test of the tool (in make check).
#
#   make mutate                      every part of tests/mutate/parts.conf
#   make mutate PART=kernels         one part (or PART=planner,kmod)
#   make mutate FILES=lib/planner/sim.c
#   make mutate COUNT=40 SEED=7      40 mutants per part, sampled with seed 7
#   make mutate TIME=600             stop starting mutants after 10 min per part
#   make mutate IDS=m0123456789      rerun given mutants (after a new test)
#   make mutate LIST=1 ...           list the selected mutants, run nothing
#
# Report: $(BUILD)/mutate/report.txt (and .json, logs/ of uncompiled and
# timed-out mutants). Survivors that are not bugs go into
# tests/mutate/equivalent.txt with a reason; the score leaves them out.
# The mutants run in a copy of the checkout (MUTATE_WORKDIR, default
# /tmp/flowplan-mutate-UID-HASH, kept for incremental builds); the checkout
# itself is never written.

.PHONY: mutate check-mutate
mutate:
	@scripts/deps.sh build unit mutate
	@tests/mutate/mutate.py --out $(abspath $(BUILD))/mutate \
		$(if $(PART),--part '$(PART)') $(if $(FILES),--files '$(FILES)') \
		$(if $(SEED),--seed '$(SEED)') $(if $(COUNT),--count '$(COUNT)') \
		$(if $(TIME),--time '$(TIME)') $(if $(IDS),--ids '$(IDS)') \
		$(if $(LIST),--list)

check-mutate:
	@scripts/deps.sh build mutate
	@tests/mutate/selftest.py

CHECK_TIERS += check-mutate

# The tiers parts.conf names: mutate-build-PART builds the test binaries,
# mutate-test-PART runs them. Only the binaries that exercise the part's
# files, and no package installation, so that a mutant costs little. After
# the baseline, mutate-test-PART runs only the binaries the mutant's build
# relinked: make's dependencies say which ones contain the mutated code,
# and the others cannot notice it.
MUTATE_KT := $(BUILD)/tests/unit
MUTATE_BINS_planner   = $(PLANNER_TESTS)
MUTATE_BINS_flowplan  = $(LIB_TESTS)
MUTATE_BINS_core      = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_core_*.c)) \
			$(LIB_TESTS) $(PLANNER_TESTS)
MUTATE_BINS_placement = $(MUTATE_KT)/test_pcitopo $(MUTATE_KT)/test_gpu $(MUTATE_KT)/test_gpu_reg
MUTATE_BINS_kernels   = $(MUTATE_KT)/test_kernels_ref $(MUTATE_KT)/test_kernels_dispatch \
			$(MUTATE_KT)/test_gpu \
			$(MUTATE_KT)/test_gpu_reg $(if $(NVCC),$(KERNELS_EMU))
MUTATE_ENV_flowplan   = FLOWPLAN_NO_NETLINK=1 FLOWPLAN_SRCDIR=$(CURDIR)
MUTATE_ENV_core       = $(MUTATE_ENV_flowplan)
MUTATE_ENV_placement  = $(KERNELS_TEST_ENV)
MUTATE_ENV_kernels    = $(KERNELS_TEST_ENV)
MUTATE_STAMP          = $(BUILD)/mutate-stamp-$*

mutate-build-%:
	@mkdir -p $(BUILD) && touch $(MUTATE_STAMP)
	@$(MAKE) --no-print-directory $(MUTATE_BINS_$*)
mutate-test-%:
	@bins="$(MUTATE_BINS_$*)"; \
	if [ "$$MUTATE_BASELINE" != 1 ] && [ -e $(MUTATE_STAMP) ]; then \
		bins=$$(for b in $$bins; do [ $$b -nt $(MUTATE_STAMP) ] && echo $$b; done); \
		[ -n "$$bins" ] || { echo "$*: no test binary contains the mutated code"; exit 0; }; \
	fi; \
	$(MUTATE_ENV_$*) scripts/run-cmocka.sh $* $$bins
