# flowplan top-level Makefile.
#
#   make            build everything that can be built here (user space; the
#                   module when Debian's linux-headers are installed)
#   make demo       plan and simulate the built-in example, side by side
#   make check      every test tier (installs what it needs)
#   make bench      the benchmarks; ratios against baselines of the same run
#   make install    libflowplan (library, header, pkg-config), flowplanctl,
#                   the man pages, the planner library and headers (its own
#                   pkg-config), the module's source for DKMS; DESTDIR, PREFIX
#   make style      checkpatch on kmod/ and the user code; fails on a violation
#                   (make check runs both: check-kmod-build, check-style)
#   V=1             print the full command lines (default: "CC file.o")
#
# Each part adds itself in its own build.mk: sources and rules, and the
# variables ALL (build products), CHECK_TIERS (targets that each print
# "<tier>: N passed, N failed, N skipped"), BENCH (benchmark targets),
# INSTALL (its install-<part> targets).

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
INSTALL     :=

# Quiet build: one short line per step; V=1 prints the commands instead.
# A recipe line that starts with $(CC) or $(AR), as every build.mk's link
# and archive lines do, prints "LD target" or "AR target". Archives are
# written anew (rm first): ar rcs alone would keep members of deleted files.
CC_CMD := $(CC)
AR_CMD := $(AR)
unexport CC AR
ifeq ($(V),1)
Q   :=
say :=
AR   = rm -f $@; $(AR_CMD)
else
Q   := @
say  = printf '  %-7s %s\n' '$(1)' '$(patsubst $(BUILD)/%,%,$(2))';
CC   = @$(call say,LD,$@)$(CC_CMD)
AR   = @$(call say,AR,$@)rm -f $@; $(AR_CMD)
endif

# Products that parts refer to in their rules, named here once: build.mk
# files are read in name order, so a part must not rely on another part's
# definitions. Static libraries in link order (a library before what it
# needs): probe -> planner -> core.
FLOWPLANCTL     := $(BUILD)/flowplanctl

# The version flowpland and flowplanctl print (make FLOWPLAN_VERSION=...
# to set it): git describe at make time. $(VERSION_FILE) holds it and is
# written only when it changed, so the objects that print it, which depend
# on it, rebuild at each new commit or dirty tree, and only then.
ifeq ($(origin FLOWPLAN_VERSION),undefined)
FLOWPLAN_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)
endif
VERSION_FILE    := $(BUILD)/version
$(shell mkdir -p $(BUILD) && { [ "$$(cat $(VERSION_FILE) 2>/dev/null)" = '$(FLOWPLAN_VERSION)' ] || \
	echo '$(FLOWPLAN_VERSION)' >$(VERSION_FILE); })
CORE_LIB        := $(BUILD)/libfpcore.a
CORE_OBJ        := $(patsubst %.c,$(BUILD)/%.o,$(wildcard lib/core/*.c))
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
# Objects are kept: make would otherwise delete those only a test needs.
.SECONDARY:

# A tier's build step (`@+$(BUILD_STEP) TARGET...` in its recipe, after
# scripts/deps.sh): a sub-make under one lock a build directory, so that
# tiers made at once (make -j2 check-core check-lib) never build the same
# file together; the sub-make itself still builds in parallel ('+': it is
# a recursive make, and gets the jobserver).
BUILD_STEP = mkdir -p $(BUILD) && flock $(BUILD)/.build.lock $(MAKE) --no-print-directory

# Normal objects and sanitizer objects (tests) of the same source.
$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(call say,CC,$@)$(CC_CMD) $(FP_CFLAGS) $(EXTRA_CFLAGS_$(<D)) -MMD -MP -c -o $@ $<
$(BUILD)/san/%.o: %.c
	@mkdir -p $(@D)
	$(Q)$(call say,CC,$@)$(CC_CMD) $(FP_CFLAGS) $(SAN) $(EXTRA_CFLAGS_$(<D)) -MMD -MP -c -o $@ $<

include $(sort $(wildcard */build.mk */*/build.mk))

all: $(ALL)

# Each part installs itself through its own install-<part> target, listed
# in INSTALL; `make check-install` installs into a scratch DESTDIR and
# builds and runs programs against what was installed.
install: $(INSTALL)

.PHONY: check-install
check-install:
	@scripts/deps.sh build
	@MAKE="$(MAKE)" scripts/check-install.sh
CHECK_TIERS += check-install

# Kernel style (checkpatch.pl of Debian's linux-source) on the module, through
# its own target where kmod/build.mk has one, and on the user code.
style:
	@scripts/deps.sh style
	@rc=0; if $(MAKE) -n style-kmod >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory style-kmod || rc=1; scripts/style.sh || rc=1; \
	else scripts/style.sh kmod || rc=1; fi; exit $$rc

# The user code's style as a tier of make check (the module's checkpatch
# runs in check-kmod-build), so that it cannot rot unseen: checkpatch on
# each file, about 2 min of one core; the packages are check-kmod-build's.
.PHONY: check-style
check-style:
	@scripts/deps.sh style
	@scripts/style.sh
CHECK_TIERS += check-style

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
