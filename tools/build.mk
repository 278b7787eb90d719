# tools/: flowplanctl, one file per object. Every tools/*.c is part of it.
# It plans (the planner and the prober), speaks to the module (the core's
# netlink client) and shows GPU placement (libflowplan's placement objects,
# which need only libc and libibverbs).
FLOWPLANCTL_SRC  := $(sort $(wildcard tools/*.c))
FLOWPLANCTL_OBJ  := $(FLOWPLANCTL_SRC:%.c=$(BUILD)/%.o) \
		    $(BUILD)/lib/flowplan/pcitopo.o $(BUILD)/lib/flowplan/gpu.o
EXTRA_CFLAGS_tools := -DFLOWPLAN_VERSION='"$(FLOWPLAN_VERSION)"' -Iinclude/uapi \
		      $(JSONC_CFLAGS) $(NL_CFLAGS)

$(FLOWPLANCTL): $(FLOWPLANCTL_OBJ) $(PROBE_LIB) $(PLANNER_LIB) $(CORE_LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(NL_LIBS) $(JSONC_LIBS) -libverbs -lm

ALL += $(FLOWPLANCTL)
$(BUILD)/tools/flowplanctl.o: $(VERSION_FILE)

.PHONY: install-tools
install-tools: $(FLOWPLANCTL)
	$(Q)$(call say,INSTALL,flowplanctl)install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8
	$(Q)install -m 0755 $(FLOWPLANCTL) $(DESTDIR)$(PREFIX)/sbin/flowplanctl
	$(Q)install -m 0644 man/man8/flowplanctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/
INSTALL += install-tools
