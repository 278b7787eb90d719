# lib/nccl/: the NCCL plugins on libflowplan (docs: lib/nccl/README.md)
#   $(BUILD)/libnccl-net-flowplan.so       ncclNetPlugin_v11, _v10, _v9
#   $(BUILD)/libnccl-profiler-flowplan.so  ncclProfiler_v5, _v4
# Both carry libflowplan statically (one file for NCCL_NET_PLUGIN to name)
# and link no CUDA: the driver is dlopen()ed when GPU memory comes.
# Tier check-nccl: the ABI against the machine's libnccl.so.2, the profiler's
# event sequences -> schedule reports -> schedule, and the qemu tests
# tests/vm/tests/nccl-*.sh (the harness driving the net plugin over rxe).

NCCL_NET_SO   := $(BUILD)/libnccl-net-flowplan.so
NCCL_PROF_SO  := $(BUILD)/libnccl-profiler-flowplan.so
NCCL_NET_SRC  := lib/nccl/net.c lib/nccl/cuda.c lib/nccl/api.c
NCCL_PROF_SRC := lib/nccl/profiler.c
NCCL_FPLIB    := $(BUILD)/libflowplan.a
EXTRA_CFLAGS_lib/nccl := -fPIC -fvisibility=hidden -Ilib/flowplan
NCCL_SO_FLAGS  = -shared -Wl,--no-undefined -Wl,-z,defs

$(NCCL_NET_SO): $(NCCL_NET_SRC:%.c=$(BUILD)/%.o) $(NCCL_FPLIB) lib/nccl/net.map
	$(CC) $(NCCL_SO_FLAGS) -Wl,--version-script=lib/nccl/net.map $(CFLAGS) \
		-o $@ $(NCCL_NET_SRC:%.c=$(BUILD)/%.o) $(NCCL_FPLIB) $(LIB_LIBS)
$(NCCL_PROF_SO): $(NCCL_PROF_SRC:%.c=$(BUILD)/%.o) $(NCCL_FPLIB) lib/nccl/profiler.map
	$(CC) $(NCCL_SO_FLAGS) -Wl,--version-script=lib/nccl/profiler.map $(CFLAGS) \
		-o $@ $(NCCL_PROF_SRC:%.c=$(BUILD)/%.o) $(NCCL_FPLIB) $(LIB_LIBS)

# The harness: drives the net plugin as NCCL's proxy does (dlopen).
NCCL_HARNESS := $(BUILD)/fpn-harness
$(NCCL_HARNESS): $(BUILD)/lib/nccl/tests/harness.o
	$(CC) $(CFLAGS) -o $@ $< -ldl -lpthread

ALL += $(NCCL_NET_SO) $(NCCL_PROF_SO) $(NCCL_HARNESS)
VM_BINS += $(NCCL_NET_SO) $(NCCL_PROF_SO) $(NCCL_HARNESS)

# ------------------------------------------------------------------ tests
NCCL_ABI       := $(BUILD)/lib/nccl/tests/fpn-abi
NCCL_PROF_TEST := $(BUILD)/tests/test_nccl_profiler
NCCL_NET_TEST  := $(BUILD)/tests/test_nccl_net
NCCL_VM_TESTS  := $(patsubst tests/vm/tests/%.sh,%,$(wildcard tests/vm/tests/nccl-*.sh))
# run here, so a plain check-vm leaves them out (tests/vm/build.mk)
VM_TESTS_ELSEWHERE += $(NCCL_VM_TESTS)

$(NCCL_ABI): lib/nccl/tests/abi.c lib/nccl/nccl_abi.h
	@mkdir -p $(@D)
	$(CC) $(FP_CFLAGS) -o $@ $<
# The profiler's objects with the sanitizers, and libflowplan's ring reader.
$(NCCL_PROF_TEST): $(BUILD)/san/lib/nccl/tests/test_profiler.o \
		$(BUILD)/san/lib/nccl/profiler.o \
		$(patsubst %.c,$(BUILD)/san/%.o,$(wildcard lib/flowplan/*.c)) \
		$(PLANNER_SAN_LIB) $(CORE_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lcmocka $(LIB_LIBS)

# The net plugin's address rules (GID choice, handle), with the sanitizers.
$(NCCL_NET_TEST): $(BUILD)/san/lib/nccl/tests/test_net.o \
		$(BUILD)/san/lib/nccl/net.o $(BUILD)/san/lib/nccl/cuda.o \
		$(patsubst %.c,$(BUILD)/san/%.o,$(wildcard lib/flowplan/*.c)) \
		$(PLANNER_SAN_LIB) $(CORE_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lcmocka $(LIB_LIBS)

# check-nccl: each part prints its line; the tier adds them up.
.PHONY: check-nccl
check-nccl:
	@scripts/deps.sh build unit nccl
	@+$(BUILD_STEP) $(NCCL_NET_SO) $(NCCL_PROF_SO) \
		$(NCCL_HARNESS) $(NCCL_ABI) $(NCCL_PROF_TEST) $(NCCL_NET_TEST)
	@p=0; f=0; s=0; \
	run() { "$$@"; case $$? in 0) p=$$((p+1));; 77) s=$$((s+1));; \
		*) f=$$((f+1)); echo "FAIL: $$*";; esac; }; \
	run lib/nccl/tests/abi.sh $(NCCL_ABI) $(NCCL_NET_SO) $(NCCL_PROF_SO); \
	run $(NCCL_PROF_TEST); \
	run $(NCCL_NET_TEST); \
	run env FPN_PLUGIN=$(NCCL_NET_SO) $(NCCL_HARNESS) list; \
	if [ -n "$(NCCL_VM_TESTS)" ]; then \
		$(MAKE) --no-print-directory check-vm VM_TESTS="$(NCCL_VM_TESTS)" \
			>$(BUILD)/nccl-vm.log 2>&1; \
		grep '^vm: ' $(BUILD)/nccl-vm.log; \
		line=$$(grep -E '^vm: [0-9]+ passed' $(BUILD)/nccl-vm.log | tail -1); \
		vp=$$(echo "$$line" | sed -n 's/^vm: \([0-9]*\) passed.*/\1/p'); \
		vf=$$(echo "$$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p'); \
		vs=$$(echo "$$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p'); \
		[ -n "$$line" ] || { vf=1; tail -20 $(BUILD)/nccl-vm.log; }; \
		p=$$((p+$${vp:-0})); f=$$((f+$${vf:-0})); s=$$((s+$${vs:-0})); \
	fi; \
	echo "nccl: $$p passed, $$f failed, $$s skipped"; [ $$f = 0 ]
CHECK_TIERS += check-nccl

# ------------------------------------------------------------------ bench
# bench-nccl: instructions per request (callgrind, provider stub) against
# raw verbs; throughput over soft-RoCE in qemu against a libflowplan flow
# group (fp_bw) and a raw QP (ib_write_bw) on the same path.
NCCL_BENCH := $(BUILD)/lib/nccl/bench/bench_req
EXTRA_CFLAGS_lib/nccl/bench := -Ilib/flowplan
$(NCCL_BENCH): $(BUILD)/lib/nccl/bench/bench_req.o \
		$(BUILD)/lib/nccl/net.o $(BUILD)/lib/nccl/cuda.o \
		$(patsubst %.c,$(BUILD)/%.o,$(wildcard lib/flowplan/*.c)) \
		$(PLANNER_LIB) $(CORE_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LIB_LIBS)
.PHONY: bench-nccl
bench-nccl:
	@scripts/deps.sh build unit vm
	@+$(BUILD_STEP) $(NCCL_BENCH) $(NCCL_NET_SO) \
		$(NCCL_HARNESS) $(BUILD)/fp_bw $(BUILD)/vm/init
	@BENCH_BIN=$(NCCL_BENCH) lib/nccl/bench/bench.sh
BENCH += bench-nccl

# ----------------------------------------------------------------- install
.PHONY: install-nccl
INSTALL += install-nccl
install-nccl: $(NCCL_NET_SO) $(NCCL_PROF_SO)
	install -d $(DESTDIR)$(PREFIX)/lib
	install -m 0755 $(NCCL_NET_SO) $(NCCL_PROF_SO) $(DESTDIR)$(PREFIX)/lib/

# For a machine with a GPU (issue 18): lib/nccl/tests/gpu.sh runs it.
NCCL_SMOKE := $(BUILD)/fpn-nccl-smoke
$(NCCL_SMOKE): $(BUILD)/lib/nccl/tests/nccl_smoke.o $(NCCL_FPLIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LIB_LIBS)
ALL += $(NCCL_SMOKE)
