# lib/planner: libfpplanner.a, the planning library (static; linked by tools,
# the daemon and tests; it needs libfpcore.a).
PLANNER_SRC := $(sort $(wildcard lib/planner/*.c))
PLANNER_OBJ := $(PLANNER_SRC:%.c=$(BUILD)/%.o)
EXTRA_CFLAGS_lib/planner := -fPIC $(JSONC_CFLAGS)

$(PLANNER_LIB): $(PLANNER_OBJ)
	$(AR) rcs $@ $^
$(PLANNER_SAN_LIB): $(PLANNER_SRC:%.c=$(BUILD)/san/%.o)
	$(AR) rcs $@ $^

ALL += $(PLANNER_LIB)

# Unit tests (cmocka, ASan/UBSan): tests/unit/test_planner_*.c
PLANNER_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(sort $(wildcard tests/unit/test_planner_*.c)))
EXTRA_CFLAGS_tests/unit += $(JSONC_CFLAGS)
# Allocation failure is injected at the planner's own calls (test_core_allocfail.h).
$(BUILD)/tests/test_planner_allocfail: \
	PLANNER_TEST_LDFLAGS := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
$(BUILD)/tests/test_planner_%: $(BUILD)/san/tests/unit/test_planner_%.o $(PLANNER_SAN_LIB) $(CORE_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) $(PLANNER_TEST_LDFLAGS) -o $@ $^ -lcmocka $(JSONC_LIBS) -lm

.PHONY: check-planner
check-planner:
	@scripts/deps.sh build unit
	@+$(BUILD_STEP) $(PLANNER_TESTS)
	@scripts/run-cmocka.sh planner $(PLANNER_TESTS)
CHECK_TIERS += check-planner

# Benchmark: make bench-planner
$(BUILD)/bench_planner: $(BUILD)/tests/bench/bench_planner.o $(PLANNER_LIB) $(CORE_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(JSONC_LIBS) -lm
.PHONY: bench-planner
bench-planner: $(BUILD)/bench_planner
	$(BUILD)/bench_planner
BENCH += bench-planner

# Install (make install; added by the core engineer for issue 9): the
# planner library and its public headers under include/flowplan/planner/,
# with its own pkg-config file, for programs that plan.
.PHONY: install-planner
install-planner: $(PLANNER_LIB)
	$(Q)$(call say,INSTALL,libfpplanner)install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/flowplan/planner
	$(Q)install -m 0644 $(PLANNER_LIB) $(DESTDIR)$(PREFIX)/lib/
	$(Q)install -m 0644 $(filter-out %_priv.h,$(wildcard lib/planner/*.h)) \
		$(DESTDIR)$(PREFIX)/include/flowplan/planner/
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(LIB_VERSION)|g' \
		lib/planner/flowplan-planner.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/flowplan-planner.pc
INSTALL += install-planner
