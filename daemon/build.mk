# daemon/: flowpland, the planner daemon (issue 12); its unit tests, fuzzers
# and unit-file checks (tier check-daemon: "daemon: N passed, N failed,
# N skipped"); and the client side of `flowplanctl daemon` (ctl_client.c,
# entry point fpd_ctl_cli() in ctl.h) for tools/ to link.

DAEMON_UNITS    := cycle fault conf loop ctl ctl_client metrics rings plan probe fpd kmod_nl
DAEMON_OBJ      := $(DAEMON_UNITS:%=$(BUILD)/daemon/%.o)
DAEMON_SAN_OBJ  := $(DAEMON_UNITS:%=$(BUILD)/san/daemon/%.o)
DAEMON_LIB      := $(BUILD)/libfpd.a
DAEMON_SAN_LIB  := $(BUILD)/san/libfpd.a
DAEMON_LIBS     := $(JSONC_LIBS) $(shell pkg-config --libs libmicrohttpd libsystemd 2>/dev/null || echo -lmicrohttpd -lsystemd) -lm
FLOWPLAND       := $(BUILD)/flowpland
EXTRA_CFLAGS_daemon := -Idaemon -Iinclude/uapi $(JSONC_CFLAGS) $(NL_CFLAGS) \
	-DFLOWPLAN_VERSION='"$(FLOWPLAN_VERSION)"'

$(DAEMON_LIB): $(DAEMON_OBJ)
	$(AR) rcs $@ $^
$(DAEMON_SAN_LIB): $(DAEMON_SAN_OBJ)
	$(AR) rcs $@ $^
ALL += $(DAEMON_LIB)

# The daemon reads report rings and speaks to the module through lib/core
# (its ring reader and netlink client), and plans with lib/planner; it does
# not link libflowplan.
# Cluster mode is its own library (daemon/cluster/build.mk: NATS, libcrypto).
DAEMON_CLUSTER_LIB := $(BUILD)/libfpcluster.a
$(FLOWPLAND): $(BUILD)/daemon/main.o $(DAEMON_CLUSTER_LIB) $(DAEMON_LIB) \
		$(PROBE_LIB) $(PLANNER_LIB) $(CORE_LIB)
	$(CC) $(CFLAGS) -o $@ $(filter %.o %.a,$^) $(DAEMON_LIBS) $(CLUSTER_LIBS) $(NL_LIBS)
ALL += $(FLOWPLAND)
$(BUILD)/daemon/main.o: $(VERSION_FILE)
VM_BINS += $(FLOWPLAND)

# flowplanctl daemon (tools/daemon.c) is this client.
$(FLOWPLANCTL): $(BUILD)/daemon/ctl_client.o

# fpd-ctl: `flowplanctl daemon` on its own (tests, hosts without the CLI).
FPD_CTL := $(BUILD)/fpd-ctl
$(FPD_CTL): $(BUILD)/daemon/tools/fpd_ctl.o $(DAEMON_LIB) $(CORE_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(JSONC_LIBS)
EXTRA_CFLAGS_daemon/tools := -Idaemon $(JSONC_CFLAGS)
ALL += $(FPD_CTL)
VM_BINS += $(FPD_CTL)

# ------------------------------------------------------------ unit tests
DAEMON_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(sort $(wildcard tests/unit/test_daemon_*.c)))
$(DAEMON_TESTS:$(BUILD)/tests/%=$(BUILD)/san/tests/unit/%.o): \
	CPPFLAGS += -Idaemon -Iinclude/uapi $(JSONC_CFLAGS)

$(BUILD)/tests/test_daemon_%: $(BUILD)/san/tests/unit/test_daemon_%.o $(DAEMON_SAN_LIB) \
		$(PROBE_SAN_LIB) $(PLANNER_SAN_LIB) $(CORE_SAN_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $(filter %.o %.a,$^) -lcmocka $(DAEMON_LIBS) $(NL_LIBS) -lpthread

# --------------------------------------------------------------- fuzzers
# libFuzzer on the two parsers that take outside input: the configuration
# file and the control socket's requests. A fixed seed and run count, so a
# CI result can be replayed; longer: make fuzz-daemon-conf FUZZ_DAEMON_ARGS=...
DAEMON_FUZZ       := conf ctl
DAEMON_FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-std=gnu11 -D_GNU_SOURCE -I. -Iinclude -Ilib -Idaemon $(JSONC_CFLAGS)
FUZZ_DAEMON_ARGS  ?= -seed=1 -runs=200000 -max_total_time=120 -max_len=4096
$(BUILD)/fuzz/fuzz_daemon_%: daemon/fuzz/fuzz_%.c daemon/%.c daemon/%.h daemon/loop.c lib/core/err.c
	@mkdir -p $(@D)
	$(Q)$(call say,FUZZ,$@)$(or $(FUZZ_CC),clang) $(DAEMON_FUZZ_FLAGS) -o $@ $< daemon/$*.c \
		daemon/loop.c lib/core/err.c $(JSONC_LIBS)

.PHONY: $(DAEMON_FUZZ:%=fuzz-daemon-%)
$(DAEMON_FUZZ:%=fuzz-daemon-%): fuzz-daemon-%: $(BUILD)/fuzz/fuzz_daemon_%
	@d=$$(mktemp -d); cp daemon/fuzz/corpus/$*/* $$d/; \
	$(BUILD)/fuzz/fuzz_daemon_$* $(FUZZ_DAEMON_ARGS) -artifact_prefix=$(BUILD)/fuzz/ \
		$$d > $$d.log 2>&1; rc=$$?; \
	if [ $$rc = 0 ]; then echo "fuzz-daemon-$*: $$(tail -1 $$d.log)"; else tail -40 $$d.log; fi; \
	rm -rf $$d $$d.log; exit $$rc

# --------------------------------------------------------------- the unit
DAEMON_UNIT := $(BUILD)/daemon/flowpland.service
$(DAEMON_UNIT): daemon/flowpland.service.in
	@mkdir -p $(@D)
	$(Q)$(call say,GEN,$@)sed 's|@SBINDIR@|$(PREFIX)/sbin|g' $< > $@
ALL += $(DAEMON_UNIT)

# systemd-analyze verify, and the security score (daemon/check-unit.sh).
.PHONY: check-daemon-unit
check-daemon-unit:
	@daemon/check-unit.sh $(FLOWPLAND)

# ------------------------------------------------------------------ tier
.PHONY: check-daemon
check-daemon: SHELL := /bin/bash
check-daemon:
	@scripts/deps.sh build unit fuzz
	@+$(BUILD_STEP) $(DAEMON_TESTS) $(DAEMON_FUZZ:%=$(BUILD)/fuzz/fuzz_daemon_%) \
		$(FLOWPLAND)
	@FLOWPLAN_SRCDIR=$(CURDIR) scripts/run-cmocka.sh daemon-cmocka $(DAEMON_TESTS) | tee $(BUILD)/daemon-cmocka.log; \
	line=$$(tail -1 $(BUILD)/daemon-cmocka.log); \
	p=$$(sed -n 's/.*: \([0-9]*\) passed.*/\1/p' <<<"$$line"); \
	f=$$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$$line"); \
	s=$$(sed -n 's/.* \([0-9]*\) skipped.*/\1/p' <<<"$$line"); \
	for t in $(DAEMON_FUZZ); do \
		if $(MAKE) --no-print-directory fuzz-daemon-$$t; then p=$$((p+1)); \
		else echo "daemon: the $$t fuzzer found a crash (above)"; f=$$((f+1)); fi; \
	done; \
	daemon/check-unit.sh $(FLOWPLAND); rc=$$?; \
	case $$rc in 0) p=$$((p+1));; 77) s=$$((s+1));; *) f=$$((f+1));; esac; \
	echo "daemon: $$p passed, $$f failed, $$s skipped"; [ $$f = 0 ]
CHECK_TIERS += check-daemon

# ----------------------------------------------------------------- bench
DAEMON_BENCH := $(BUILD)/bench_daemon
$(DAEMON_BENCH): $(BUILD)/daemon/bench/bench_daemon.o $(DAEMON_LIB) $(PROBE_LIB) $(PLANNER_LIB) \
		$(CORE_LIB)
	$(CC) $(CFLAGS) -o $@ $(filter %.o %.a,$^) $(DAEMON_LIBS) $(NL_LIBS) -lpthread
EXTRA_CFLAGS_daemon/bench := -Idaemon -Iinclude/uapi $(JSONC_CFLAGS)
.PHONY: bench-daemon
bench-daemon: $(DAEMON_BENCH)
	@$(DAEMON_BENCH)
BENCH += bench-daemon

# Event to install with the real module, in qemu: a link down until the new
# plan is in flowplan.ko (tests/vm/tests/daemon-latency.sh, also a check-vm
# test); its figures.
.PHONY: bench-daemon-vm
bench-daemon-vm:
	@$(MAKE) --no-print-directory check-vm VM_TESTS=daemon-latency >$(BUILD)/bench-daemon-vm.log 2>&1 || \
		{ tail -20 $(BUILD)/bench-daemon-vm.log; exit 1; }
	@if grep -q '^bench-daemon-vm:' $(BUILD)/vm/logs/daemon-latency.log 2>/dev/null; then \
		grep -a '^bench-daemon-vm:' $(BUILD)/vm/logs/daemon-latency.log | tr -d '\r'; \
	else echo "bench-daemon-vm: skipped: $$(tail -1 $(BUILD)/bench-daemon-vm.log)"; fi
BENCH += bench-daemon-vm

# --------------------------------------------------------------- install
.PHONY: install-daemon
# flowpland and fpd-ctl, the unit (in PREFIX/lib/systemd/system, which
# systemd reads for /usr and /usr/local), and the configuration file unless
# one is there already.
install-daemon: $(FLOWPLAND) $(FPD_CTL)
	$(Q)$(call say,INSTALL,flowpland)install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/etc/flowplan \
		$(DESTDIR)$(PREFIX)/lib/systemd/system
	$(Q)install -m 0755 $(FLOWPLAND) $(DESTDIR)$(PREFIX)/sbin/flowpland
	$(Q)install -m 0755 $(FPD_CTL) $(DESTDIR)$(PREFIX)/bin/fpd-ctl
	$(Q)[ -e $(DESTDIR)/etc/flowplan/flowpland.conf ] || \
		install -m 0644 daemon/flowpland.conf $(DESTDIR)/etc/flowplan/flowpland.conf
	$(Q)sed 's|@SBINDIR@|$(PREFIX)/sbin|g' daemon/flowpland.service.in \
		> $(DESTDIR)$(PREFIX)/lib/systemd/system/flowpland.service
	$(Q)chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/flowpland.service
INSTALL += install-daemon

# ------------------------------------------------------------ qemu tests
# fpd-traffic: a libflowplan job whose every message the receiver checks,
# for tests/vm/tests/daemon-*.sh (it lands in the VM's /usr/bin).
# The library by its path: lib/flowplan/build.mk, which names it
# LIB_SO_LINK, is read after this file, too late for a prerequisite.
FPD_TRAFFIC := $(BUILD)/fpd-traffic
$(FPD_TRAFFIC): $(BUILD)/daemon/tests/fpd_traffic.o $(BUILD)/libflowplan.so
	$(CC) $(CFLAGS) -o $@ $< -L$(BUILD) -lflowplan -Wl,-rpath,'$$ORIGIN'
EXTRA_CFLAGS_daemon/tests := -Ilib/flowplan
VM_BINS += $(FPD_TRAFFIC)
