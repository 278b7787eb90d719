# lib/probe: libfpprobe.a, the probing engine (TTL-limited probes, ICMP
# time-exceeded, port maps). Raw sockets live here, not in the planner.
PROBE_SRC := $(sort $(wildcard lib/probe/*.c))
EXTRA_CFLAGS_lib/probe := -fPIC $(JSONC_CFLAGS)

$(PROBE_LIB): $(PROBE_SRC:%.c=$(BUILD)/%.o)
	$(AR) rcs $@ $^
$(PROBE_SAN_LIB): $(PROBE_SRC:%.c=$(BUILD)/san/%.o)
	$(AR) rcs $@ $^

ALL += $(PROBE_LIB)
