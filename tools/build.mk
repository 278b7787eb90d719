# tools/: flowplanctl. Every tools/*.c is part of it.
FLOWPLAN_VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo 0.1)
TOOLS_LIBS      := $(JSONC_LIBS) -lm

# The online commands (tools/nl.c and its users) speak the flowplan netlink
# family (include/uapi/linux/flowplan.h) through libnl-genl-3.
TOOLS_CFLAGS += -Iinclude/uapi $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
TOOLS_LIBS   += $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null || echo -lnl-genl-3 -lnl-3)
EXTRA_CFLAGS_tools = -DFLOWPLAN_VERSION='"$(FLOWPLAN_VERSION)"' $(JSONC_CFLAGS) $(TOOLS_CFLAGS)

FLOWPLANCTL_SRC = $(sort $(wildcard tools/*.c))
$(FLOWPLANCTL): $(FLOWPLANCTL_SRC:%.c=$(BUILD)/%.o) $(PROBE_LIB) $(PLANNER_LIB) $(CORE_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(TOOLS_LIBS)

ALL += $(FLOWPLANCTL)
