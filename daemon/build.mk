# daemon/: flowpland, the planner daemon (issue 12), its unit tests (tier
# check-daemon: "daemon: N passed, N failed, N skipped") and the parts the
# tests and the CLI share (daemon/ctl_client.c for `flowplanctl daemon`).

DAEMON_UNITS := cycle fault conf loop ctl ctl_client metrics rings plan fpd
DAEMON_OBJ      := $(DAEMON_UNITS:%=$(BUILD)/daemon/%.o)
DAEMON_SAN_OBJ  := $(DAEMON_UNITS:%=$(BUILD)/san/daemon/%.o)
DAEMON_SAN_LIB  := $(BUILD)/san/libfpd.a
DAEMON_LIBS     := $(JSONC_LIBS) $(shell pkg-config --libs libmicrohttpd libsystemd 2>/dev/null || echo -lmicrohttpd -lsystemd) -lm
EXTRA_CFLAGS_daemon := -Idaemon -Ilib $(JSONC_CFLAGS)

$(DAEMON_SAN_LIB): $(DAEMON_SAN_OBJ)
	$(AR) rcs $@ $^

DAEMON_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(sort $(wildcard tests/unit/test_daemon_*.c)))
$(DAEMON_TESTS:$(BUILD)/tests/%=$(BUILD)/san/tests/unit/%.o): CPPFLAGS += -Idaemon -Ilib

# The ring reader is libflowplan's (fp_report_open/read): linked from the
# shared library, which exports nothing of the planner.
$(BUILD)/tests/test_daemon_%: $(BUILD)/san/tests/unit/test_daemon_%.o $(DAEMON_SAN_LIB) \
		$(PLANNER_SAN_LIB) $(CORE_SAN_LIB) $(BUILD)/libflowplan.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $(filter %.o %.a,$^) -lcmocka $(DAEMON_LIBS) \
		-L$(BUILD) -lflowplan -Wl,-rpath,'$$ORIGIN/..' -lpthread

.PHONY: check-daemon
check-daemon:
	@scripts/deps.sh build unit
	@$(MAKE) --no-print-directory $(DAEMON_TESTS)
	@FLOWPLAN_SRCDIR=$(CURDIR) scripts/run-cmocka.sh daemon $(DAEMON_TESTS)
CHECK_TIERS += check-daemon
