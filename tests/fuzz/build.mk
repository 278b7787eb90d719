# tests/fuzz: libFuzzer harnesses for the planner's parsers (topology,
# schedule, port map, compact host share) and the core's plan-file parser
# (planfile). `make check-fuzz` runs each for a fixed number of runs from the
# seed corpus in tests/fuzz/corpus/<target>; the planner's targets start
# with the hostile tokens of tests/fuzz/planner.dict.
FUZZ_TARGETS := topology schedule portmap share planfile
FUZZ_TARGETS += ring	# the core's report ring reader (stanza at the end)
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-std=gnu11 -D_GNU_SOURCE -Ilib $(JSONC_CFLAGS)
# check-fuzz is reproducible: a fixed seed and a fixed number of runs per
# target (10-20 s each here), so a CI result can be replayed. Explore longer
# with e.g. make fuzz-schedule FUZZ_ARGS='-max_total_time=600'.
FUZZ_SEED    ?= 1
FUZZ_RUNS_topology := 30000
FUZZ_RUNS_schedule := 300000
FUZZ_RUNS_portmap  := 300000
FUZZ_RUNS_planfile := 300000
FUZZ_RUNS_share    := 300000
FUZZ_DICT_topology := -dict=tests/fuzz/planner.dict
FUZZ_DICT_schedule := -dict=tests/fuzz/planner.dict
FUZZ_DICT_share    := -dict=tests/fuzz/planner.dict
FUZZ_ARGS    ?= -seed=$(FUZZ_SEED) -runs=$(FUZZ_RUNS_$*) -max_total_time=300 -max_len=4096 \
		$(FUZZ_DICT_$*)
FUZZ_ARGS    += -artifact_prefix=$(BUILD)/fuzz/

# The plan-file parser is the core's: its harness links the core only.
$(BUILD)/fuzz/fuzz_planfile: tests/fuzz/fuzz_core.c $(CORE_SRC) $(wildcard lib/core/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Iinclude/uapi $(NL_CFLAGS) -o $@ tests/fuzz/fuzz_core.c \
		$(CORE_SRC) $(JSONC_LIBS) $(NL_LIBS)
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_planner.c $(PLANNER_SRC) $(CORE_SRC) $(wildcard lib/planner/*.h lib/core/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -DFUZZ_TARGET=$(if $(filter topology,$*),1,$(if $(filter schedule,$*),2,$(if $(filter portmap,$*),3,4))) \
		-Iinclude/uapi $(NL_CFLAGS) -o $@ tests/fuzz/fuzz_planner.c $(PLANNER_SRC) $(CORE_SRC) \
		$(JSONC_LIBS) $(NL_LIBS) -lm

.PHONY: check-fuzz $(FUZZ_TARGETS:%=fuzz-%)
$(FUZZ_TARGETS:%=fuzz-%): fuzz-%: $(BUILD)/fuzz/fuzz_%
	@d=$$(mktemp -d); cp tests/fuzz/corpus/$*/* $$d/; \
	$(BUILD)/fuzz/fuzz_$* $(FUZZ_ARGS) $$d > $$d.log 2>&1; rc=$$?; \
	if [ $$rc = 0 ]; then tail -1 $$d.log; else tail -60 $$d.log; fi; \
	rm -rf $$d $$d.log; exit $$rc

check-fuzz: SHELL := /bin/bash
$(FUZZ_TARGETS:%=fuzz-%): SHELL := /bin/bash
check-fuzz:
	@scripts/deps.sh build fuzz
	@p=0; f=0; for t in $(FUZZ_TARGETS); do \
		if $(MAKE) --no-print-directory fuzz-$$t; then p=$$((p+1)); \
		else echo "fuzz: $$t found a crash (see above)"; f=$$((f+1)); fi; \
	done; echo "fuzz: $$p passed, $$f failed, 0 skipped"; [ $$f = 0 ]
CHECK_TIERS += check-fuzz

# The shared core's report ring reader (tests/fuzz/fuzz_ring.c): the file a
# hostile or crashed writer left, and what it does while the reader reads.
# The plan-file target starts from the core's hostile JSON tokens.
FUZZ_RUNS_ring := 100000
FUZZ_DICT_planfile := -dict=tests/fuzz/core.dict
$(BUILD)/fuzz/fuzz_ring: tests/fuzz/fuzz_ring.c $(CORE_SRC) $(wildcard lib/core/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Iinclude/uapi $(NL_CFLAGS) -o $@ tests/fuzz/fuzz_ring.c \
		$(CORE_SRC) $(JSONC_LIBS) $(NL_LIBS)
