# flowplan top-level Makefile.
#
#   make            build everything that can be built here (user space; the
#                   module when Debian's linux-headers are installed)
#   make demo       plan and simulate the built-in example, side by side
#   make check      every test tier (installs what it needs)
#   make bench      the benchmarks; ratios against baselines of the same run
#   make install    install libflowplan, flowplanctl, flowplan-daemon
#
# Each part adds itself in its own build.mk: sources and rules, and the
# variables ALL (build products), CHECK_TIERS (targets that each print
# "<tier>: N passed, N failed, N skipped"), BENCH (benchmark targets).

BUILD     ?= build
PREFIX    ?= /usr/local
DESTDIR   ?=
CC        ?= cc
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes
CPPFLAGS  += -D_GNU_SOURCE -I. -Iinclude -Ilib
FP_CFLAGS  = -std=gnu11 $(WARN) $(CFLAGS) $(CPPFLAGS)
SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
JSONC_CFLAGS := $(shell pkg-config --cflags json-c 2>/dev/null)
JSONC_LIBS   := $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c)

ALL         :=
CHECK_TIERS :=
BENCH       :=

# Products that parts refer to in their rules, named here once: build.mk
# files are read in name order, so a part must not rely on another part's
# definitions. Static libraries in link order (a library before what it
# needs): probe -> planner -> core.
FLOWPLANCTL     := $(BUILD)/flowplanctl
CORE_LIB        := $(BUILD)/libfpcore.a
CORE_SAN_LIB    := $(BUILD)/san/libfpcore.a
PLANNER_LIB     := $(BUILD)/libfpplanner.a
PLANNER_SAN_LIB := $(BUILD)/san/libfpplanner.a
PROBE_LIB       := $(BUILD)/libfpprobe.a
PROBE_SAN_LIB   := $(BUILD)/san/libfpprobe.a
NL_CFLAGS       ?= $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
NL_LIBS         ?= $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null || echo -lnl-genl-3 -lnl-3)

.DEFAULT_GOAL := all
.PHONY: all check bench demo deps clean install style FORCE
.DELETE_ON_ERROR:

# Normal objects and sanitizer objects (tests) of the same source.
$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(FP_CFLAGS) $(EXTRA_CFLAGS_$(<D)) -MMD -MP -c -o $@ $<
$(BUILD)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(FP_CFLAGS) $(SAN) $(EXTRA_CFLAGS_$(<D)) -MMD -MP -c -o $@ $<

include $(sort $(wildcard */build.mk */*/build.mk))

all: $(ALL)

# Each part installs itself through its own install-<part> target.
install: install-lib

deps:
	scripts/deps.sh build unit

# The main job on the built-in example (examples/): plan and compare strategies.
demo:
	scripts/deps.sh build
	$(MAKE) --no-print-directory $(FLOWPLANCTL)
	FLOWPLANCTL=$(FLOWPLANCTL) scripts/demo.sh

# Build and dependency installation come first, so that a tier never fails on
# a missing package; then every tier runs even if an earlier one failed.
check:
	scripts/deps.sh build unit
	$(MAKE) all
	MAKE="$(MAKE)" scripts/run-tiers.sh $(CHECK_TIERS)

bench:
	scripts/deps.sh build
	$(MAKE) all
	@set -e; for b in $(BENCH); do $(MAKE) --no-print-directory $$b; done

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
