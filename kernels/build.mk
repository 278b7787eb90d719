# kernels/: the pack/unpack/reduce kernels.
#
#   $(BUILD)/libfpkernels.a        CPU reference + dispatcher (always, -fPIC)
#   $(BUILD)/libfpkernels_cuda.so  CUDA kernels, when nvcc is found; loaded at
#                                  run time with dlopen(), so nothing links CUDA
#
# Also the tests of libflowplan's GPU placement pieces (lib/flowplan/gpu.c,
# lib/flowplan/pcitopo.c), the `check-kernels` tier and `bench-kernels`.
# FLOWPLAN_NO_CUDA=1 skips CUDA even where nvcc exists.

KERNELS_SRC     := kernels/ref.c kernels/dispatch.c
KERNELS_LIB     := $(BUILD)/libfpkernels.a
KERNELS_SAN_LIB := $(BUILD)/san/libfpkernels.a
EXTRA_CFLAGS_kernels := -fPIC

ifeq ($(FLOWPLAN_NO_CUDA),1)
NVCC :=
else ifeq ($(origin NVCC),undefined)
NVCC := $(shell command -v nvcc 2>/dev/null || { test -x /usr/local/cuda/bin/nvcc && echo /usr/local/cuda/bin/nvcc; })
endif
# sm_90 (H100) machine code plus compute_90 PTX, which newer GPUs JIT.
NVCC_ARCH  ?= -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90
NVCC_FLAGS := -std=c++17 -O3 $(NVCC_ARCH) \
	      -Xcompiler -fPIC,-fvisibility=hidden,-Wall,-Wextra
# A newer nvcc's new warning must not break `make`; the tier checks that the
# CUDA sources compile warning-free (every warning an error) instead.
NVCC_STRICT := -Werror all-warnings
KERNELS_CUDA_SO := $(BUILD)/libfpkernels_cuda.so
KERNELS_BENCH   := $(BUILD)/kernels/bench-kernels
# the kernels' thread bodies run on the CPU against the reference (no GPU needed)
KERNELS_EMU     := $(BUILD)/kernels/emu-kernels

$(KERNELS_LIB): $(KERNELS_SRC:%.c=$(BUILD)/%.o)
	$(AR) rcs $@ $^
$(KERNELS_SAN_LIB): $(KERNELS_SRC:%.c=$(BUILD)/san/%.o)
	$(AR) rcs $@ $^

ALL += $(KERNELS_LIB)

ifneq ($(NVCC),)
$(BUILD)/kernels/fp_kernels.cu.o: kernels/fp_kernels.cu kernels/fp_half.h kernels/fp_kernels_dev.cuh \
		kernels/fp_kernels_cuda.h kernels/fp_kernels.h
	@mkdir -p $(@D)
	nice $(NVCC) $(NVCC_FLAGS) -c -o $@ $<
$(KERNELS_CUDA_SO): $(BUILD)/kernels/fp_kernels.cu.o kernels/fp_kernels_cuda.map
	$(NVCC) -shared -cudart static \
		-Xlinker --version-script=kernels/fp_kernels_cuda.map -o $@ $<
$(KERNELS_BENCH): kernels/bench.cu $(BUILD)/kernels/fp_kernels.cu.o
	@mkdir -p $(@D)
	nice $(NVCC) $(NVCC_FLAGS) -cudart static -o $@ $^
# compiled and linked apart: a change to the reference relinks, no nvcc pass.
# With the sanitizers, like the unit tests: a thread that reads or writes
# outside its buffers (or its registers' arrays) fails here, not on a GPU.
NVCC_SAN := $(foreach f,-fsanitize=address -fsanitize=undefined -fno-omit-frame-pointer \
	      -fno-sanitize-recover=all,-Xcompiler $(f))
$(BUILD)/kernels/emu.o: kernels/emu.cu kernels/fp_kernels_dev.cuh kernels/fp_half.h \
		kernels/fp_kernels.h
	@mkdir -p $(@D)
	nice $(NVCC) $(NVCC_FLAGS) $(NVCC_SAN) -c -o $@ $<
$(KERNELS_EMU): $(BUILD)/kernels/emu.o $(KERNELS_SAN_LIB)
	$(NVCC) $(NVCC_SAN) -o $@ $^
$(BUILD)/kernels/nvcc-strict.stamp: kernels/fp_kernels.cu kernels/bench.cu kernels/emu.cu \
		kernels/fp_kernels_dev.cuh kernels/fp_half.h kernels/fp_kernels_cuda.h \
		kernels/fp_kernels.h
	@mkdir -p $(@D)
	@for f in kernels/fp_kernels.cu kernels/bench.cu kernels/emu.cu; do \
		nice $(NVCC) $(NVCC_FLAGS) $(NVCC_STRICT) -c -o $(@D)/strict.o $$f || exit 1; \
	done; rm -f $(@D)/strict.o; echo "kernels: CUDA sources compile warning-free"
	@touch $@
ALL += $(KERNELS_CUDA_SO)
KERNELS_GPU_ENV := FLOWPLAN_KERNELS_CUDA=$(abspath $(KERNELS_CUDA_SO))
else
ALL += kernels-cuda-skipped
.PHONY: kernels-cuda-skipped
kernels-cuda-skipped:
	@echo "kernels: nvcc not found, CUDA kernels skipped"
KERNELS_CUDA_SO :=
KERNELS_GPU_ENV :=
endif

# Tests: sanitizer objects, one cmocka binary per unit.
KT := $(BUILD)/tests/unit
KERNELS_TESTS := $(KT)/test_kernels_ref $(KT)/test_kernels_dispatch $(KT)/test_pcitopo \
		 $(KT)/test_gpu $(KT)/test_gpu_reg
FAKECUDA := $(BUILD)/tests/gpu/fakecuda/libcuda.so.1
FAKEKERNELS := $(BUILD)/tests/gpu/libfakekernels.so
GPU_LIBS := -libverbs

$(KT)/test_kernels_ref: $(BUILD)/san/tests/unit/test_kernels_ref.o $(KERNELS_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lcmocka -lm
# dispatch.c's GPU side against stand-ins for the driver and the kernels
$(KT)/test_kernels_dispatch: $(BUILD)/san/tests/unit/test_kernels_dispatch.o $(KERNELS_SAN_LIB) \
		$(FAKECUDA) $(FAKEKERNELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $(filter %.o %.a,$^) -lcmocka -ldl
$(FAKEKERNELS): tests/gpu/fakekernels.c kernels/fp_kernels_cuda.h kernels/fp_kernels.h
	@mkdir -p $(@D)
	$(CC) $(FP_CFLAGS) -fPIC -shared -fvisibility=hidden -o $@ $< -ldl
$(KT)/test_pcitopo: $(BUILD)/san/tests/unit/test_pcitopo.o $(BUILD)/san/lib/flowplan/pcitopo.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lcmocka
$(KT)/test_gpu: $(BUILD)/san/tests/unit/test_gpu.o $(BUILD)/san/lib/flowplan/gpu.o \
		$(BUILD)/san/lib/flowplan/pcitopo.o $(BUILD)/san/tests/gpu/kernels_cmp.o \
		$(KERNELS_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lcmocka $(GPU_LIBS) -lm

# lib/flowplan/gpu.c against a stand-in driver, verbs registration wrapped.
$(KT)/test_gpu_reg: $(BUILD)/san/tests/unit/test_gpu_reg.o $(BUILD)/san/lib/flowplan/gpu.o \
		$(BUILD)/san/lib/flowplan/pcitopo.o $(KERNELS_SAN_LIB) $(FAKECUDA)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $(filter %.o %.a,$^) -lcmocka $(GPU_LIBS) \
		-Wl,--wrap=ibv_reg_mr,--wrap=ibv_reg_mr_iova2,--wrap=ibv_reg_dmabuf_mr
$(FAKECUDA): tests/gpu/fakecuda.c
	@mkdir -p $(@D)
	$(CC) $(FP_CFLAGS) -fPIC -shared -fvisibility=hidden \
		-Wl,-soname,libcuda.so.1 -o $@ $<

# The GPU-vs-CPU comparison as a plain program, for GPU machines.
$(BUILD)/tests/gpu/kernels-cmp: $(BUILD)/tests/gpu/cmp_main.o \
		$(BUILD)/tests/gpu/kernels_cmp.o $(KERNELS_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ -lm

# CUDA with ASan: the driver maps memory in ASan's shadow gap.
KERNELS_TEST_ENV := $(KERNELS_GPU_ENV) ASAN_OPTIONS=protect_shadow_gap=0 \
	FP_MKSYSFS=$(abspath tests/data/mksysfs.sh) FP_FAKECUDA=$(abspath $(FAKECUDA)) \
	FP_FAKEKERNELS=$(abspath $(FAKEKERNELS)) \
	FP_FLOWPLANCTL=$(abspath $(BUILD)/flowplanctl)

.PHONY: check-kernels bench-kernels
# The tier installs what its tests build with (cmocka, rdma-core headers)
# before building them.
.PHONY: kernels-test-bins
kernels-test-bins: $(KERNELS_TESTS) $(BUILD)/tests/gpu/kernels-cmp $(KERNELS_CUDA_SO) \
		$(if $(NVCC),$(KERNELS_EMU) $(BUILD)/kernels/nvcc-strict.stamp)
check-kernels:
	@scripts/deps.sh build unit
	@+$(BUILD_STEP) kernels-test-bins
	@$(KERNELS_TEST_ENV) scripts/run-cmocka.sh kernels $(KERNELS_TESTS) $(KERNELS_EMU) \
		tests/gpu/ctl_gpu.sh

ifneq ($(NVCC),)
bench-kernels: $(KERNELS_BENCH)
	@$(KERNELS_BENCH)
else
bench-kernels:
	@echo "bench-kernels: skipped: nvcc not found, no CUDA kernels to measure"
endif

CHECK_TIERS += check-kernels
BENCH += bench-kernels
