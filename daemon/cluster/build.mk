# daemon/cluster/: cluster mode of flowpland (issue 13) on NATS JetStream:
# libfpcluster.a (linked into flowpland), the fpc tool, their unit tests
# and the multi-process tests (tier check-cluster: "cluster: N passed,
# N failed, N skipped"), the bench (bench-cluster), and the server
# configuration and permissions generator shipped in daemon/cluster/nats/.

CLUSTER_UNITS   := bus nkey proto lease agent planner mode table
CLUSTER_OBJ     := $(CLUSTER_UNITS:%=$(BUILD)/daemon/cluster/%.o)
CLUSTER_SAN_OBJ := $(CLUSTER_UNITS:%=$(BUILD)/san/daemon/cluster/%.o)
CLUSTER_SAN_LIB := $(BUILD)/san/libfpcluster.a
CLUSTER_LIBS    := $(shell pkg-config --libs libnats libcrypto 2>/dev/null || echo -lnats -lcrypto) -lpthread
CLUSTER_CFLAGS  := -Idaemon -Idaemon/cluster -Iinclude/uapi $(JSONC_CFLAGS) \
	$(shell pkg-config --cflags libnats 2>/dev/null)
EXTRA_CFLAGS_daemon/cluster := $(CLUSTER_CFLAGS)
EXTRA_CFLAGS_daemon/cluster/tools := $(CLUSTER_CFLAGS)
FPC             := $(BUILD)/fpc

$(DAEMON_CLUSTER_LIB): $(CLUSTER_OBJ)
	$(AR) rcs $@ $^
$(CLUSTER_SAN_LIB): $(CLUSTER_SAN_OBJ)
	$(AR) rcs $@ $^
ALL += $(DAEMON_CLUSTER_LIB)

$(FPC): $(BUILD)/daemon/cluster/tools/fpc.o $(DAEMON_CLUSTER_LIB) $(DAEMON_LIB) $(PROBE_LIB) $(PLANNER_LIB) \
		$(CORE_LIB)
	$(CC) $(CFLAGS) -o $@ $(filter %.o %.a,$^) $(DAEMON_LIBS) $(CLUSTER_LIBS) $(NL_LIBS)
ALL += $(FPC)
VM_BINS += $(FPC)

# ------------------------------------------------------------ unit tests
CLUSTER_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(sort $(wildcard tests/unit/test_cluster_*.c)))
$(CLUSTER_TESTS:$(BUILD)/tests/%=$(BUILD)/san/tests/unit/%.o): CPPFLAGS += $(CLUSTER_CFLAGS)

$(BUILD)/tests/test_cluster_%: $(BUILD)/san/tests/unit/test_cluster_%.o $(CLUSTER_SAN_LIB) \
		$(DAEMON_SAN_LIB) $(PROBE_SAN_LIB) $(PLANNER_SAN_LIB) $(CORE_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $(filter %.o %.a,$^) -lcmocka $(DAEMON_LIBS) $(CLUSTER_LIBS) $(NL_LIBS)

# ------------------------------------------------------------------ tier
# cmocka (ASan/UBSan), then tests/cluster/: real nats-server processes (a
# 3-server JetStream cluster on loopback), planners and agents as processes.
.PHONY: check-cluster
check-cluster: SHELL := /bin/bash
check-cluster:
	@scripts/deps.sh build unit cluster
	@+$(BUILD_STEP) $(CLUSTER_TESTS) $(FLOWPLAND) $(FPC) $(FPD_CTL) $(FLOWPLANCTL)
	@FLOWPLAN_SRCDIR=$(CURDIR) scripts/run-cmocka.sh cluster-cmocka $(CLUSTER_TESTS) \
		| tee $(BUILD)/cluster-cmocka.log; \
	line=$$(tail -1 $(BUILD)/cluster-cmocka.log); \
	p=$$(sed -n 's/.*: \([0-9]*\) passed.*/\1/p' <<<"$$line"); \
	f=$$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$$line"); \
	s=$$(sed -n 's/.* \([0-9]*\) skipped.*/\1/p' <<<"$$line"); \
	BUILD=$(BUILD) tests/cluster/run.sh | tee $(BUILD)/cluster-procs.log; \
	line=$$(tail -1 $(BUILD)/cluster-procs.log); \
	p=$$((p + $$(sed -n 's/.*: \([0-9]*\) passed.*/\1/p' <<<"$$line"))); \
	f=$$((f + $$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$$line"))); \
	s=$$((s + $$(sed -n 's/.* \([0-9]*\) skipped.*/\1/p' <<<"$$line"))); \
	echo "cluster: $$p passed, $$f failed, $$s skipped"; [ $$f = 0 ]
CHECK_TIERS += check-cluster

# --------------------------------------------------------------- install
.PHONY: install-cluster
# fpc, and the servers' configuration and permission generator.
install-cluster: $(FPC)
	$(Q)$(call say,INSTALL,fpc)install -d $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/share/flowplan/nats
	$(Q)install -m 0755 $(FPC) $(DESTDIR)$(PREFIX)/bin/fpc
	$(Q)install -m 0755 daemon/cluster/nats/fp-nats-conf $(DESTDIR)$(PREFIX)/share/flowplan/nats/
INSTALL += install-cluster

# ----------------------------------------------------------------- bench
CLUSTER_BENCH := $(BUILD)/bench_cluster
EXTRA_CFLAGS_daemon/cluster/bench := $(CLUSTER_CFLAGS)
$(CLUSTER_BENCH): $(BUILD)/daemon/cluster/bench/bench_cluster.o $(DAEMON_CLUSTER_LIB) \
		$(DAEMON_LIB) $(PROBE_LIB) $(PLANNER_LIB) $(CORE_LIB)
	$(CC) $(CFLAGS) -o $@ $(filter %.o %.a,$^) $(DAEMON_LIBS) $(CLUSTER_LIBS) $(NL_LIBS)
.PHONY: bench-cluster
bench-cluster: $(CLUSTER_BENCH) $(FLOWPLAND)
	@scripts/deps.sh cluster
	@BUILD=$(BUILD) daemon/cluster/bench/bench.sh
BENCH += bench-cluster
