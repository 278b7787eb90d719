# lib/core: libfpcore.a, the shared host-plan core (host plan, plan-file
# entries, the one netlink client of the flowplan family). Position-
# independent, so libflowplan.so can carry it; linked by everything else.
CORE_SRC := $(sort $(wildcard lib/core/*.c))
EXTRA_CFLAGS_lib/core := -fPIC -Iinclude/uapi $(NL_CFLAGS) $(JSONC_CFLAGS)

$(CORE_LIB): $(CORE_SRC:%.c=$(BUILD)/%.o)
	$(AR) rcs $@ $^
$(CORE_SAN_LIB): $(CORE_SRC:%.c=$(BUILD)/san/%.o)
	$(AR) rcs $@ $^

ALL += $(CORE_LIB)
