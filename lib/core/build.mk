# lib/core: libfpcore.a, the shared host-plan core: the host plan (entries,
# plan-file reader and entry writer), the one netlink client of the flowplan
# family, schedule report rings. Position-independent, so libflowplan.so can
# carry it; linked by everything else. Its tests: tests/unit/test_core_*.c.
CORE_SRC := $(sort $(wildcard lib/core/*.c))
# The multi-message SET_PLAN protocol's part index (issue 11), once the UAPI
# header has it: until then the encoder sends what the module knows.
CORE_UAPI_FLAGS := $(if $(shell grep -s FLOWPLAN_A_PART include/uapi/linux/flowplan.h),-DFP_UAPI_HAS_PART)
EXTRA_CFLAGS_lib/core := -fPIC -Iinclude/uapi $(NL_CFLAGS) $(JSONC_CFLAGS) $(CORE_UAPI_FLAGS)
CORE_LIBS := $(NL_LIBS) $(JSONC_LIBS)

$(CORE_LIB): $(CORE_OBJ)
	$(AR) rcs $@ $^
$(CORE_SAN_LIB): $(CORE_SRC:%.c=$(BUILD)/san/%.o)
	$(AR) rcs $@ $^

ALL += $(CORE_LIB)

# Unit tests (cmocka, ASan/UBSan): tests/unit/test_core_*.c, tier check-core.
CORE_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(sort $(wildcard tests/unit/test_core_*.c)))
$(patsubst $(BUILD)/tests/%,$(BUILD)/san/tests/unit/%.o,$(CORE_TESTS)): \
	CPPFLAGS += -Iinclude/uapi $(NL_CFLAGS) $(JSONC_CFLAGS) $(CORE_UAPI_FLAGS)
# Allocation failure is injected at the core's own calls (test_core_allocfail.h).
$(BUILD)/tests/test_core_hostplan $(BUILD)/tests/test_core_nl: \
	CORE_TEST_LDFLAGS := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
# and at libnl's socket allocation, which passes by those (test_core_nl.c).
$(BUILD)/tests/test_core_nl: CORE_TEST_LDFLAGS += -Wl,--wrap=nl_socket_alloc
$(BUILD)/tests/test_core_%: $(BUILD)/san/tests/unit/test_core_%.o $(CORE_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) $(CORE_TEST_LDFLAGS) -o $@ $^ -lcmocka $(CORE_LIBS)

# flowplanctl's outputs when writing fails (tools/ are the core's part too).
CORE_TESTS += tests/unit/test_core_ctl.sh

.PHONY: check-core
check-core:
	@scripts/deps.sh build unit
	@+$(BUILD_STEP) $(filter-out %.sh,$(CORE_TESTS)) $(FLOWPLANCTL)
	@FLOWPLAN_BUILD=$(BUILD) scripts/run-cmocka.sh core $(CORE_TESTS)
CHECK_TIERS += check-core

# Installed for programs that plan (the planner's headers include the core's)
# under $(PREFIX)/include/flowplan/core/; flowplan-planner.pc links it.
.PHONY: install-core
install-core: $(CORE_LIB)
	$(Q)$(call say,INSTALL,libfpcore)install -d $(DESTDIR)$(PREFIX)/lib \
		$(DESTDIR)$(PREFIX)/include/flowplan/core
	$(Q)install -m 0644 $(CORE_LIB) $(DESTDIR)$(PREFIX)/lib/
	$(Q)install -m 0644 $(filter-out lib/core/nlcodec.h,$(wildcard lib/core/*.h)) \
		$(DESTDIR)$(PREFIX)/include/flowplan/core/
INSTALL += install-core

# make bench-core: the plan-file reader on a 512-NIC all-to-all plan (261,120
# entries, 87 MB, most of it the "phases" report), against json-c building
# the whole document in the same run. About a minute of one core.
CORE_BENCH := $(BUILD)/lib/core/bench/bench_planload
CORE_BENCH_PLAN := leafspine:leaves=16,spines=16,hosts=16,nics=2 alltoall:bytes=1M
$(CORE_BENCH): $(BUILD)/lib/core/bench/bench_planload.o $(CORE_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(CORE_LIBS)
.PHONY: bench-core
bench-core:
	@scripts/deps.sh build
	@+$(BUILD_STEP) $(CORE_BENCH) $(FLOWPLANCTL)
	@d=$$(mktemp -d /tmp/fp-bench-core-XXXXXX) && trap 'rm -rf "$$d"' EXIT && \
		$(FLOWPLANCTL) plan compute $(CORE_BENCH_PLAN) out $$d/plan.json >/dev/null && \
		$(CORE_BENCH) $$d/plan.json
BENCH += bench-core
