# tests/mutate: `make mutate`, mutation testing of each part's tests, and
# `check-mutate`, the self-test of the tool (in make check).
#
#   make mutate                      every part of tests/mutate/parts.conf
#   make mutate PART=kernels         one part (or PART=planner,kmod)
#   make mutate FILES=lib/planner/sim.c
#   make mutate SAMPLE=40 SEED=7     40 mutants per part, drawn uniformly at
#                                    random (seed 7: the same 40 each time),
#                                    the kill rate given with its 95% interval
#                                    (COUNT=40 says the same)
#   make mutate TIME=600             stop starting mutants after 10 min per part
#   make mutate IDS=m0123456789      rerun given mutants (after a new test)
#   make mutate LIST=1 ...           list the selected mutants, run nothing
#
# Report: $(BUILD)/mutate/report.txt (and .json, logs/ of uncompiled and
# timed-out mutants). Survivors that are not bugs go into
# tests/mutate/equivalent.txt with a reason; the score leaves them out.
# The flowplan part needs what check-vm needs (qemu, Debian's kernel): its
# last test program, tests/mutate/vm-lib.sh, runs each mutant's
# test_lib_verbs on rxe in one qemu VM booted at the part's baseline and
# kept until the part ends (tests/mutate/vm.sh). So does the core part: a
# mutant of its netlink files (nlclient.c, nlcodec.c) runs check-vm's ctl
# test, with the mutant's flowplanctl, against flowplan.ko in that VM
# (tests/mutate/vm-core.sh).
# The mutants run in a copy of the checkout (MUTATE_WORKDIR, default
# /tmp/flowplan-mutate-UID-HASH, kept for incremental builds); the checkout
# itself is never written.

.PHONY: mutate check-mutate
mutate:
	@scripts/deps.sh build unit mutate
	@tests/mutate/mutate.py --out $(abspath $(BUILD))/mutate \
		$(if $(PART),--part '$(PART)') $(if $(FILES),--files '$(FILES)') \
		$(if $(SEED),--seed '$(SEED)') \
		$(if $(or $(SAMPLE),$(COUNT)),--count '$(or $(SAMPLE),$(COUNT))') \
		$(if $(TIME),--time '$(TIME)') $(if $(IDS),--ids '$(IDS)') \
		$(if $(LIST),--list)

check-mutate:
	@scripts/deps.sh build mutate
	@tests/mutate/selftest.py

CHECK_TIERS += check-mutate

# The tiers parts.conf names: mutate-build-PART builds the test binaries,
# mutate-test-PART runs them, mutate-cover-PART maps which binary executes
# which line. Only the binaries that can notice the mutant are built and
# run, and no package installation, so that a mutant costs little:
#  - with a coverage map (parts.conf `cover`), the driver names them in
#    MUTATE_TESTS: the binaries that execute a mutated line, quickest first
#    (a mutant on lines no test executes is not built at all);
#  - without one (or for a mutant on lines that hold no code, such as a
#    table's initializer), the binaries the mutant's build relinked (make's
#    dependencies say which contain the mutated code);
#  - the first failure ends the run (CMOCKA_TEST_ABORT=1 within a binary,
#    and no binary after the first that fails);
#  - MUTATE_PROG_TIMEOUT (from the driver, for a part with its own
#    `timeout`, which is its scripts'): the time-out of each binary that is
#    not in MUTATE_ALWAYS (a loop on the host ends there, exit 124).
MUTATE_KT := $(BUILD)/tests/unit
MUTATE_BINS_planner   = $(PLANNER_TESTS)
# flowplan's last program is the VM tier (tests/mutate/vm-lib.sh): its
# test_lib_verbs on rxe in one qemu VM that lives across the mutants.
MUTATE_BINS_flowplan  = $(LIB_TESTS) tests/mutate/vm-lib.sh
# Programs that run even when the mutant relinked none of the part's (a
# mutant on a line gcov does not count, an initializer): the VM test
# builds its own test_lib_verbs.
MUTATE_ALWAYS_flowplan = tests/mutate/vm-lib.sh
# core's last is its VM tier (tests/mutate/vm-core.sh): check-vm's ctl test
# against flowplan.ko, for mutants of the netlink files.
MUTATE_BINS_core      = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_core_*.c)) \
			$(LIB_TESTS) $(PLANNER_TESTS) tests/mutate/vm-core.sh
MUTATE_ALWAYS_core    = tests/mutate/vm-core.sh
MUTATE_BINS_placement = $(MUTATE_KT)/test_pcitopo $(MUTATE_KT)/test_gpu $(MUTATE_KT)/test_gpu_reg
MUTATE_BINS_kernels   = $(MUTATE_KT)/test_kernels_ref $(MUTATE_KT)/test_kernels_dispatch \
			$(if $(NVCC),$(KERNELS_EMU)) $(MUTATE_KT)/test_gpu $(MUTATE_KT)/test_gpu_reg
MUTATE_ENV_flowplan   = FLOWPLAN_NO_NETLINK=1 FLOWPLAN_SRCDIR=$(CURDIR)
MUTATE_ENV_core       = $(MUTATE_ENV_flowplan)
MUTATE_ENV_placement  = $(KERNELS_TEST_ENV)
MUTATE_ENV_kernels    = $(KERNELS_TEST_ENV)
MUTATE_STAMP          = $(BUILD)/mutate-stamp-$*
# The coverage build: its own build directory, -O0 so that lines are lines,
# no sanitizer (a sanitizer stops a program, it adds no line).
MUTATE_COV            = $(BUILD)/cov
MUTATE_COV_BINS       = $(patsubst $(BUILD)/%,$(MUTATE_COV)/%,$(filter $(BUILD)/%,$(MUTATE_BINS_$*))) \
			$(filter-out $(BUILD)/%,$(MUTATE_BINS_$*))

mutate-build-%:
	@mkdir -p $(BUILD) && touch $(MUTATE_STAMP)
	@+$(BUILD_STEP) $(or $(MUTATE_TESTS),$(MUTATE_BINS_$*))
mutate-test-%:
	@bins="$(or $(MUTATE_TESTS),$(MUTATE_BINS_$*))"; \
	if [ -z "$$MUTATE_TESTS" ] && [ "$$MUTATE_BASELINE" != 1 ] && [ -e $(MUTATE_STAMP) ]; then \
		bins=$$(for b in $$bins; do \
			if [ $$b -nt $(MUTATE_STAMP) ]; then echo $$b; else \
			case " $(MUTATE_ALWAYS_$*) " in *" $$b "*) echo $$b;; esac; fi; done); \
		[ -n "$$bins" ] || { echo "$*: no test binary contains the mutated code"; exit 0; }; \
	fi; \
	for b in $$bins; do \
		lim=; case " $(MUTATE_ALWAYS_$*) " in *" $$b "*) ;; \
			*) [ -z "$$MUTATE_PROG_TIMEOUT" ] || lim="timeout -k 5 $$MUTATE_PROG_TIMEOUT";; esac; \
		$(MUTATE_ENV_$*) CMOCKA_TEST_ABORT=1 $$lim $$b >$(BUILD)/mutate-test-$*.log 2>&1; rc=$$?; \
		case $$rc in 0|77) ;; *) tail -20 $(BUILD)/mutate-test-$*.log; \
			if [ -n "$$lim" ] && [ $$rc = 124 ]; then \
				echo "$*: $$b FAILED: timed out after $$MUTATE_PROG_TIMEOUT s"; \
			else echo "$*: $$b FAILED (exit $$rc)"; fi; exit 1;; esac; \
	done; \
	echo "$*: $$(echo $$bins | wc -w) test binaries passed"
mutate-cover-%:
	@$(MAKE) --no-print-directory BUILD=$(MUTATE_COV) CFLAGS='-O0 -g --coverage' SAN= \
		$(filter $(MUTATE_COV)/%,$(MUTATE_COV_BINS))
	@$(MUTATE_ENV_$*) tests/mutate/cover.py --from $(MUTATE_COV) --to $(BUILD) \
		--out "$${MUTATE_COVER:?set by mutate.py}" $(MUTATE_COV_BINS)
