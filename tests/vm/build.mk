# tests/vm/: qemu tests with Debian's own kernel (tier check-vm) and with
# the debug kernel (check-vm-debug: not in `make check`, its cold kernel
# build alone takes longer than CI's budget on 2 cores).
#
#   make check-vm               every test in tests/vm/tests/, less those in
#                               VM_TESTS_ELSEWHERE
#   make check-vm VM_TESTS=x    only tests/vm/tests/x.sh (space-separated list)
#   make check-vm-debug         the tests of VM_DEBUG_TESTS on the debug kernel
#                               (tests/vm/debug-kernel.sh: KASAN, kmemleak,
#                               lockdep, PROVE_RCU, UBSAN, ...; 2 vCPUs, a
#                               kmemleak scan after each test)
#   make check-vm-debug VM_TESTS=all   every test on the debug kernel
#
# The module comes from kmod/build.mk (target "module", variable FLOWPLAN_KO);
# when that is not there the tests that need it skip. Other parts add programs
# the tests run to VM_BINS (they land in /usr/bin of the VM). A part whose own
# tier runs some of the tests (check-vm VM_TESTS=...) adds their names to
# VM_TESTS_ELSEWHERE, so that make check runs each test once.

VM_BUILD  := $(BUILD)/vm
VM_INIT   := $(VM_BUILD)/init
VM_NLFUZZ := $(VM_BUILD)/fp-nlfuzz
VM_UDPSEND := $(VM_BUILD)/fp-udpsend
VM_NLPOLICY := $(VM_BUILD)/fp-nlpolicy
VM_NLSEQ  := $(VM_BUILD)/fp-nlseq
VM_NLEVENT := $(VM_BUILD)/fp-nlevent
VM_NLPLAN := $(VM_BUILD)/fp-nlplan
VM_TESTS  ?=
VM_TESTS_ALL = $(patsubst tests/vm/tests/%.sh,%,$(wildcard tests/vm/tests/*.sh))
VM_BINS   += $(VM_NLFUZZ) $(VM_UDPSEND) $(VM_NLPOLICY) $(VM_NLSEQ) $(VM_NLEVENT) \
	     $(VM_NLPLAN) \
	     $(FLOWPLANCTL)
NL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
NL_LIBS   := $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null || echo -lnl-genl-3 -lnl-3)

.PHONY: check-vm check-vm-debug

# What check-vm-debug runs by default: the tests that drive the module
# hardest and have passed there (tests/vm/README.md has the results and
# the tests that have not run there yet). The rest: VM_TESTS=all.
VM_DEBUG_TESTS ?= stress link-event fuzz rmmod netns lib-planset \
		  counters counters6 nat nat6 ctl pin pin6 fabric lib-follow \
		  daemon-service daemon-latency preload-pin preload-ucx nccl-net \
		  daemon-traffic lib-follow6 nccl-net6 daemon-traffic6 \
		  lib-flowgroup6 daemon-dual preload-pin6 lib-flowgroup

# Static, so that PID 1 needs nothing from the image to start.
$(VM_INIT): tests/vm/init.c
	@mkdir -p $(@D)
	$(CC) $(FP_CFLAGS) -static -o $@ $<

$(VM_NLFUZZ): tests/vm/nlfuzz.c include/uapi/linux/flowplan.h
	@mkdir -p $(@D)
	$(CC) $(FP_CFLAGS) -Iinclude/uapi $(NL_CFLAGS) -o $@ $< $(NL_LIBS)

$(VM_UDPSEND): tests/vm/udpsend.c
	@mkdir -p $(@D)
	$(CC) $(FP_CFLAGS) -o $@ $<

$(VM_NLPOLICY) $(VM_NLSEQ) $(VM_NLEVENT) $(VM_NLPLAN): $(VM_BUILD)/fp-%: tests/vm/%.c tests/vm/nltest.c \
		tests/vm/nltest.h include/uapi/linux/flowplan.h
	@mkdir -p $(@D)
	$(CC) $(FP_CFLAGS) -Iinclude/uapi -o $@ $< tests/vm/nltest.c

# VM_BINS is read in the recipe: build.mk files included after this one may
# still add to it. "unit" too: test programs in VM_BINS may need cmocka.
check-vm:
	@scripts/deps.sh build unit vm
	@+$(BUILD_STEP) $(VM_INIT) $(VM_BINS) \
		$(if $(FLOWPLAN_KO),module)
	$(if $(VM_TESTS),,$(if $(VM_TESTS_ELSEWHERE),@echo "vm: left to \
		their own tiers: $(sort $(VM_TESTS_ELSEWHERE))"))
	@VM_INIT=$(VM_INIT) VM_OUT=$(VM_BUILD) VM_BINS="$(VM_BINS)" \
		FLOWPLAN_KO="$(FLOWPLAN_KO)" tests/vm/run.sh \
		$(or $(VM_TESTS),$(filter-out $(VM_TESTS_ELSEWHERE),$(VM_TESTS_ALL)))

check-vm-debug:
	@scripts/deps.sh build unit vm kunit
	@+$(BUILD_STEP) $(VM_INIT) $(VM_BINS) \
		$(if $(FLOWPLAN_KO),module)
	@VM_KERNEL=debug VM_INIT=$(VM_INIT) VM_OUT=$(VM_BUILD) \
		VM_BINS="$(VM_BINS)" FLOWPLAN_KO="$(FLOWPLAN_KO)" \
		tests/vm/run.sh $(if $(filter all,$(VM_TESTS)),,$(or $(VM_TESTS),$(VM_DEBUG_TESTS)))

CHECK_TIERS += check-vm
