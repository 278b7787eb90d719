# lib/preload/: libflowplan-preload.so, the LD_PRELOAD interposer that gives
# the RC QPs of unmodified verbs programs their planned flow labels
# (docs/preload.md), its tests (tier check-preload) and benchmark
# (bench-preload).

PRELOAD_SO      := $(BUILD)/libflowplan-preload.so
PRELOAD_SAN_SO  := $(BUILD)/san/libflowplan-preload.so
PRELOAD_MAP     := lib/preload/libflowplan-preload.map
PRELOAD_SRC     := $(sort $(wildcard lib/preload/*.c))
PRELOAD_ASM     := $(if $(filter x86_64,$(shell uname -m)),lib/preload/dlsym_x86_64.S)
PRELOAD_OBJ     := $(PRELOAD_SRC:%.c=$(BUILD)/%.o) $(PRELOAD_ASM:%.S=$(BUILD)/%.o)
PRELOAD_SAN_OBJ := $(PRELOAD_SRC:%.c=$(BUILD)/san/%.o) $(PRELOAD_ASM:%.S=$(BUILD)/%.o)
PRELOAD_LIBS    := $(NL_LIBS) $(JSONC_LIBS) -ldl -lpthread
PRELOAD_LDFLAGS := -shared -Wl,-soname,libflowplan-preload.so \
	-Wl,--version-script=$(PRELOAD_MAP) -Wl,--exclude-libs,ALL \
	-Wl,-z,nodelete -Wl,-z,now -Wl,--no-undefined
EXTRA_CFLAGS_lib/preload := -fPIC -fvisibility=hidden $(NL_CFLAGS) $(JSONC_CFLAGS)
EXTRA_CFLAGS_lib/preload/tests := -fPIC -fvisibility=hidden $(JSONC_CFLAGS)

$(BUILD)/lib/preload/%.o: lib/preload/%.S
	@mkdir -p $(@D)
	$(Q)$(call say,AS,$@)$(CC_CMD) $(CPPFLAGS) -c -o $@ $<

$(PRELOAD_SO): $(PRELOAD_OBJ) $(CORE_LIB) $(PRELOAD_MAP)
	$(CC) $(CFLAGS) $(PRELOAD_LDFLAGS) -o $@ $(PRELOAD_OBJ) $(CORE_LIB) $(PRELOAD_LIBS)
$(PRELOAD_SAN_SO): $(PRELOAD_SAN_OBJ) $(CORE_SAN_LIB) $(PRELOAD_MAP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) $(PRELOAD_LDFLAGS) -o $@ $(PRELOAD_SAN_OBJ) $(CORE_SAN_LIB) $(PRELOAD_LIBS)

ALL += $(PRELOAD_SO)

.PHONY: install-preload
install-preload: $(PRELOAD_SO)
	$(Q)$(call say,INSTALL,libflowplan-preload)install -d $(DESTDIR)$(PREFIX)/lib
	$(Q)install -m 0755 $(PRELOAD_SO) $(DESTDIR)$(PREFIX)/lib/libflowplan-preload.so
INSTALL += install-preload

# --------------------------------------------------------------- unit tests
# A stand-in libibverbs.so.1 and libmlx5.so.1 (tests/fakeverbs.c) for the
# binding tests: the build machine has no RDMA device.
PRELOAD_T      := $(BUILD)/tests/preload
PRELOAD_FAKE   := $(PRELOAD_T)/fake/libibverbs.so.1 $(PRELOAD_T)/fake/libmlx5.so.1
$(PRELOAD_T)/fake/libibverbs.so.1: lib/preload/tests/fakeverbs.c lib/preload/tests/fakeverbs.map
	@mkdir -p $(@D)
	$(CC) $(FP_CFLAGS) -fPIC -fvisibility=hidden -shared -Wl,-soname,libibverbs.so.1 \
		-Wl,--version-script=lib/preload/tests/fakeverbs.map -o $@ $<
$(PRELOAD_T)/fake/libmlx5.so.1: lib/preload/tests/fakeverbs.c lib/preload/tests/fakemlx5.map $(PRELOAD_T)/fake/libibverbs.so.1
	$(CC) $(FP_CFLAGS) -DFAKE_MLX5 -fPIC -fvisibility=hidden -shared -Wl,-soname,libmlx5.so.1 \
		-Wl,--version-script=lib/preload/tests/fakemlx5.map -o $@ $< \
		$(PRELOAD_T)/fake/libibverbs.so.1

PRELOAD_TESTS := $(PRELOAD_T)/test_preload_qptab $(PRELOAD_T)/test_preload_bind \
	$(PRELOAD_T)/test_preload_dlopen
# test_preload_dlopen runs this build of itself, without sanitizers (whose
# runtime calls dlvsym at start), for its dlsym-only case.
PRELOAD_PLAIN_TEST := $(PRELOAD_T)/test_preload_dlopen_plain

$(PRELOAD_T)/test_preload_qptab: $(BUILD)/san/lib/preload/tests/test_preload_qptab.o \
		$(BUILD)/san/lib/preload/qptab.o $(CORE_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lcmocka $(NL_LIBS) $(JSONC_LIBS)
# Linked against the stand-in libraries (found through RUNPATH), run with
# the sanitizer build of the interposer preloaded.
$(PRELOAD_T)/test_preload_bind: $(BUILD)/san/lib/preload/tests/test_preload_bind.o \
		$(BUILD)/san/lib/preload/tests/tplan.o $(PRELOAD_FAKE) $(CORE_SAN_LIB)
	$(CC) $(CFLAGS) $(SAN) -o $@ $(filter %.o,$^) $(PRELOAD_FAKE) $(CORE_SAN_LIB) \
		-Wl,-rpath,'$$ORIGIN/fake' -lcmocka $(NL_LIBS) $(JSONC_LIBS) -ldl -lpthread
$(PRELOAD_T)/test_preload_dlopen: $(BUILD)/san/lib/preload/tests/test_preload_dlopen.o \
		$(BUILD)/san/lib/preload/tests/tplan.o $(PRELOAD_FAKE)
	$(CC) $(CFLAGS) $(SAN) -o $@ $(filter %.o,$^) \
		-Wl,-rpath,'$$ORIGIN/fake' -lcmocka -ldl -lpthread

$(PRELOAD_PLAIN_TEST): $(BUILD)/lib/preload/tests/test_preload_dlopen.o \
		$(BUILD)/lib/preload/tests/tplan.o $(PRELOAD_FAKE)
	$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) -lcmocka -ldl -lpthread

.PHONY: check-preload
check-preload:
	@scripts/deps.sh build unit
	@+$(BUILD_STEP) $(PRELOAD_TESTS) $(PRELOAD_PLAIN_TEST) \
		$(PRELOAD_SAN_SO) $(PRELOAD_SO)
	@FP_PRELOAD_SO=$(CURDIR)/$(PRELOAD_SAN_SO) FP_PRELOAD_PLAIN_SO=$(CURDIR)/$(PRELOAD_SO) \
		scripts/run-cmocka.sh preload $(PRELOAD_TESTS)
CHECK_TIERS += check-preload

# ------------------------------------------------------------- qemu tests
# tests/vm/tests/preload-*.sh run unmodified programs (perftest, rping,
# ibv_rc_pingpong, ucx_perftest) and this NCCL-style one with the
# interposer preloaded, over soft-RoCE.
PRELOAD_DLVSYM := $(BUILD)/fp-preload-dlvsym
$(PRELOAD_DLVSYM): $(BUILD)/lib/preload/tests/dlvsym_rc.o
	$(CC) $(CFLAGS) -o $@ $< -ldl
VM_BINS += $(PRELOAD_SO) $(PRELOAD_DLVSYM)

# --------------------------------------------------------------- benchmark
PRELOAD_QPBENCH   := $(BUILD)/fp-preload-qpbench
PRELOAD_POSTBENCH := $(BUILD)/fp-preload-postbench
$(PRELOAD_QPBENCH): $(BUILD)/lib/preload/bench/qpbench.o
	$(CC) $(CFLAGS) -o $@ $< -libverbs
$(PRELOAD_POSTBENCH): $(BUILD)/lib/preload/bench/postbench.o
	$(CC) $(CFLAGS) -o $@ $<
EXTRA_CFLAGS_lib/preload/bench := -fno-inline-functions-called-once

.PHONY: bench-preload
bench-preload:
	@scripts/deps.sh build unit
	@+$(BUILD_STEP) $(PRELOAD_SO) $(PRELOAD_QPBENCH) \
		$(PRELOAD_POSTBENCH) $(PRELOAD_FAKE)
	@BUILD=$(BUILD) lib/preload/bench/bench.sh
BENCH += bench-preload
