# tests/fuzz: libFuzzer harnesses for the planner's parsers (topology,
# schedule, port map, plan entries). `make check-fuzz` runs each for a
# bounded time from the seed corpus in tests/fuzz/corpus/<target>; longer
# runs: make fuzz-<target> FUZZ_ARGS=-max_total_time=600
FUZZ_TARGETS := topology schedule portmap entries
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-std=gnu11 -D_GNU_SOURCE -Ilib/planner $(JSONC_CFLAGS)
FUZZ_TIME    ?= 15
FUZZ_ARGS    ?= -max_total_time=$(FUZZ_TIME) -runs=500000 -max_len=4096 -artifact_prefix=$(BUILD)/fuzz/

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_planner.c $(PLANNER_SRC) $(wildcard lib/planner/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -DFUZZ_TARGET=$(if $(filter topology,$*),1,$(if $(filter schedule,$*),2,$(if $(filter portmap,$*),3,4))) \
		-o $@ tests/fuzz/fuzz_planner.c $(PLANNER_SRC) $(JSONC_LIBS) -lm

.PHONY: check-fuzz $(FUZZ_TARGETS:%=fuzz-%)
$(FUZZ_TARGETS:%=fuzz-%): fuzz-%: $(BUILD)/fuzz/fuzz_%
	@d=$$(mktemp -d); cp tests/fuzz/corpus/$*/* $$d/; \
	$(BUILD)/fuzz/fuzz_$* $(FUZZ_ARGS) $$d 2>&1 | tail -3; rc=$${PIPESTATUS[0]}; rm -rf $$d; exit $$rc

check-fuzz: SHELL := /bin/bash
$(FUZZ_TARGETS:%=fuzz-%): SHELL := /bin/bash
check-fuzz:
	@scripts/deps.sh build fuzz
	@p=0; f=0; for t in $(FUZZ_TARGETS); do \
		if $(MAKE) --no-print-directory fuzz-$$t; then p=$$((p+1)); \
		else echo "fuzz: $$t found a crash (see above)"; f=$$((f+1)); fi; \
	done; echo "fuzz: $$p passed, $$f failed, 0 skipped"; [ $$f = 0 ]
CHECK_TIERS += check-fuzz
