# daemon/: flowpland, the planner daemon (issue 12), its unit tests (tier
# check-daemon: "daemon: N passed, N failed, N skipped") and the parts the
# tests and the CLI share (daemon/ctl_client.c for `flowplanctl daemon`).

DAEMON_UNITS := cycle fault conf
DAEMON_OBJ      = $(DAEMON_UNITS:%=$(BUILD)/daemon/%.o)
DAEMON_SAN_OBJ  = $(DAEMON_UNITS:%=$(BUILD)/san/daemon/%.o)
EXTRA_CFLAGS_daemon := -Idaemon -Ilib

DAEMON_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(sort $(wildcard tests/unit/test_daemon_*.c)))
$(DAEMON_TESTS:$(BUILD)/tests/%=$(BUILD)/san/tests/unit/%.o): CPPFLAGS += -Idaemon -Ilib

$(BUILD)/tests/test_daemon_%: $(BUILD)/san/tests/unit/test_daemon_%.o $(DAEMON_SAN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lcmocka

.PHONY: check-daemon
check-daemon:
	@scripts/deps.sh build unit daemon
	@$(MAKE) --no-print-directory $(DAEMON_TESTS)
	@scripts/run-cmocka.sh daemon $(DAEMON_TESTS)
CHECK_TIERS += check-daemon
