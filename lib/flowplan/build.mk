# lib/flowplan/: libflowplan (shared $(BUILD)/libflowplan.so.1 + .so link,
# static .a), its unit tests (tier check-lib), the example programs
# (examples/fp_bw.c, examples/fp_sched.c) and the benchmark bench-lib.

LIB_SONAME   := libflowplan.so.1
LIB_SO       := $(BUILD)/$(LIB_SONAME)
LIB_SO_LINK  := $(BUILD)/libflowplan.so
LIB_A        := $(BUILD)/libflowplan.a
# compat.c (older symbol versions) goes into the shared library only.
LIB_SRC      := $(filter-out lib/flowplan/compat.c,$(sort $(wildcard lib/flowplan/*.c)))
LIB_OBJ      := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_SO_OBJ   := $(LIB_OBJ) $(BUILD)/lib/flowplan/compat.o
LIB_SAN_OBJ  := $(LIB_SRC:%.c=$(BUILD)/san/%.o)
LIB_VERSION  := 1.0.0
LIB_MLX5DV   := $(if $(wildcard /usr/include/infiniband/mlx5dv.h),$(if $(wildcard /usr/lib/*/libmlx5.so /usr/lib/libmlx5.so),1))
LIB_LIBS     := $(if $(LIB_MLX5DV),-lmlx5) -libverbs -lrdmacm $(NL_LIBS) $(JSONC_LIBS) -ldl -lpthread
EXTRA_CFLAGS_lib/flowplan := -fPIC -Iinclude/uapi $(NL_CFLAGS) $(JSONC_CFLAGS) \
	$(if $(LIB_MLX5DV),-DHAVE_MLX5DV)

# The data path only: the shared core, never the planner.
$(LIB_SO): $(LIB_SO_OBJ) $(CORE_LIB) lib/flowplan/libflowplan.map
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) -Wl,--version-script=lib/flowplan/libflowplan.map \
		-Wl,--no-undefined $(CFLAGS) -o $@ $(LIB_SO_OBJ) $(CORE_LIB) $(LIB_LIBS)
$(LIB_SO_LINK): $(LIB_SO)
	$(Q)$(call say,LN,$@)ln -sf $(LIB_SONAME) $@
# The static library carries the core's objects, so that
# pkg-config --static --libs flowplan is all a static link asks for.
$(LIB_A): $(LIB_OBJ) $(CORE_OBJ)
	$(AR) rcs $@ $^
# The pkg-config file names PREFIX: it is written when installing.
ALL += $(LIB_SO) $(LIB_SO_LINK) $(LIB_A)

# ---------------------------------------------------------- example program
FP_BW := $(BUILD)/fp_bw
$(BUILD)/examples/fp_bw.o: CPPFLAGS += -Ilib/flowplan
$(FP_BW): $(BUILD)/examples/fp_bw.o $(LIB_SO_LINK)
	$(CC) $(CFLAGS) -o $@ $< -L$(BUILD) -lflowplan -Wl,-rpath,'$$ORIGIN'
ALL += $(FP_BW)
FP_SCHED := $(BUILD)/fp_sched
$(BUILD)/examples/fp_sched.o: CPPFLAGS += -Ilib/flowplan
$(FP_SCHED): $(BUILD)/examples/fp_sched.o $(LIB_SO_LINK)
	$(CC) $(CFLAGS) -o $@ $< -L$(BUILD) -lflowplan -Wl,-rpath,'$$ORIGIN'
ALL += $(FP_SCHED)

# --------------------------------------------------------------- unit tests
LIB_TESTS     := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(sort $(wildcard tests/unit/test_lib_*.c)))
LIB_TEST_LIBS := -lcmocka $(LIB_LIBS)
$(patsubst $(BUILD)/tests/%,$(BUILD)/san/tests/unit/%.o,$(LIB_TESTS)): \
	CPPFLAGS += -Iinclude/uapi $(NL_CFLAGS)

$(BUILD)/tests/test_lib_%: $(BUILD)/san/tests/unit/test_lib_%.o $(LIB_SAN_OBJ) $(CORE_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) $(LIB_TEST_LDFLAGS) -o $@ $^ $(LIB_TEST_LIBS)
# The data path on an in-process provider: the verbs calls that are
# functions, not inline dispatch, are the test's (tests/unit/test_lib_post.c),
# as are gpu.c's release of GPU staging memory, socket() (a kernel
# without IPv6) and mlx5's source-port call, and allocation failure is
# injected (tests/unit/test_core_allocfail.h).
$(BUILD)/tests/test_lib_post: LIB_TEST_LDFLAGS := \
	-Wl,--wrap=ibv_create_qp,--wrap=ibv_modify_qp,--wrap=ibv_destroy_qp,--wrap=ibv_query_port \
	-Wl,--wrap=ibv_dereg_mr,--wrap=fp_gpu_staging_release,--wrap=socket \
	-Wl,--wrap=mlx5dv_modify_qp_udp_sport \
	-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
$(BUILD)/san/tests/unit/test_lib_post.o: CPPFLAGS += $(if $(LIB_MLX5DV),-DHAVE_MLX5DV)
# fp_group_query@FLOWPLAN_1.0 (compat.c, in the shared library only) over
# a wrapped current call (tests/unit/test_lib_group.c).
$(BUILD)/tests/test_lib_group: $(BUILD)/san/lib/flowplan/compat.o
$(BUILD)/tests/test_lib_group: LIB_TEST_LDFLAGS := -Wl,--wrap=fp_group_query
# Buffer memory that cannot be had (tests/unit/test_lib_plan.c).
$(BUILD)/tests/test_lib_plan: LIB_TEST_LDFLAGS := -Wl,--wrap=posix_memalign
# fp_report_read@FLOWPLAN_1.0 and fp_report_schedule@FLOWPLAN_1.0 likewise
# (tests/unit/test_lib_report.c).
$(BUILD)/tests/test_lib_report: $(BUILD)/san/lib/flowplan/compat.o

# A program that links libflowplan.so and the planner library together.
$(BUILD)/tests/test_lib_link: $(BUILD)/san/tests/unit/test_lib_link.o $(LIB_SO_LINK) \
		$(PLANNER_SAN_LIB) $(CORE_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $< -L$(BUILD) -lflowplan $(PLANNER_SAN_LIB) $(CORE_SAN_LIB) \
		-Wl,-rpath,'$$ORIGIN/..' -lcmocka $(JSONC_LIBS) -lm
$(BUILD)/san/tests/unit/test_lib_link.o: CPPFLAGS += $(JSONC_CFLAGS)
# What libflowplan.so is made of (tests/unit/test_lib_so.sh, run in the tier;
# it compares the library with the planner's, built for it in ALL_LIB_CHECK).
LIB_TESTS += tests/unit/test_lib_so.sh

# The qemu tests (tests/vm/tests/lib-*.sh) run these over soft-RoCE.
VM_BINS += $(FP_BW) $(FP_SCHED) $(BUILD)/tests/test_lib_verbs

.PHONY: check-lib bench-lib install-lib
check-lib:
	@scripts/deps.sh build unit
	@+$(BUILD_STEP) $(filter-out %.sh,$(LIB_TESTS)) $(ALL_LIB_CHECK)
	@FLOWPLAN_NO_NETLINK=1 FLOWPLAN_SRCDIR=$(CURDIR) FLOWPLAN_BUILD=$(BUILD) \
		scripts/run-cmocka.sh lib $(LIB_TESTS)
ALL_LIB_CHECK := $(LIB_SO_LINK) $(LIB_A) $(PLANNER_LIB) $(FP_BW) $(FP_SCHED)
CHECK_TIERS += check-lib

# --------------------------------------------------------------- benchmark
LIB_BENCH := $(BUILD)/lib/flowplan/bench/bench_post
$(LIB_BENCH): $(BUILD)/lib/flowplan/bench/bench_post.o $(LIB_OBJ) $(CORE_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LIB_LIBS)
# The same program on a real provider (bench_post.c, BENCH_DEV), for the
# soft-RoCE half of bench-lib.
LIB_BENCH_DEV := $(BUILD)/lib/flowplan/bench/bench_post_dev
$(BUILD)/lib/flowplan/bench/bench_post_dev.o: lib/flowplan/bench/bench_post.c
	@mkdir -p $(@D)
	$(Q)$(call say,CC,$@)$(CC_CMD) $(FP_CFLAGS) -DBENCH_DEV -MMD -MP -c -o $@ $<
$(LIB_BENCH_DEV): $(BUILD)/lib/flowplan/bench/bench_post_dev.o $(LIB_OBJ) $(CORE_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LIB_LIBS)
# check-lib builds both, so that what measures the library keeps building.
ALL_LIB_CHECK += $(LIB_BENCH) $(LIB_BENCH_DEV)
bench-lib:
	@scripts/deps.sh build unit
	@+$(BUILD_STEP) $(LIB_BENCH) $(LIB_BENCH_DEV) $(FP_BW)
	@BENCH_BIN=$(LIB_BENCH) BENCH_BIN_DEV=$(LIB_BENCH_DEV) FP_BW=$(FP_BW) \
		lib/flowplan/bench/bench.sh
BENCH += bench-lib

# ----------------------------------------------------------------- install
LIB_MAN := $(sort $(wildcard man/man3/fp_*.3))
install-lib: $(LIB_SO) $(LIB_A)
	$(Q)$(call say,INSTALL,libflowplan)install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/share/man/man3
	$(Q)install -m 0755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/$(LIB_SONAME)
	$(Q)ln -sf $(LIB_SONAME) $(DESTDIR)$(PREFIX)/lib/libflowplan.so
	$(Q)install -m 0644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/libflowplan.a
	$(Q)install -m 0644 lib/flowplan/flowplan.h $(DESTDIR)$(PREFIX)/include/flowplan.h
	$(Q)install -m 0644 lib/flowplan/flowplan_fast.h $(DESTDIR)$(PREFIX)/include/flowplan_fast.h
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(LIB_VERSION)|g' \
		lib/flowplan/flowplan.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/flowplan.pc
	$(Q)$(if $(LIB_MAN),install -m 0644 $(LIB_MAN) $(DESTDIR)$(PREFIX)/share/man/man3/)
INSTALL += install-lib
