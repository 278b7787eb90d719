# lib/planner: libfpplanner.a, the planning library (static; linked by tools,
# daemon, libflowplan and tests).
PLANNER_SRC := $(sort $(wildcard lib/planner/*.c))
PLANNER_OBJ := $(PLANNER_SRC:%.c=$(BUILD)/%.o)
PLANNER_LIB := $(BUILD)/libfpplanner.a
PLANNER_SAN_LIB := $(BUILD)/san/libfpplanner.a
EXTRA_CFLAGS_lib/planner := -fPIC $(JSONC_CFLAGS)

$(PLANNER_LIB): $(PLANNER_OBJ)
	$(AR) rcs $@ $^
$(PLANNER_SAN_LIB): $(PLANNER_SRC:%.c=$(BUILD)/san/%.o)
	$(AR) rcs $@ $^

ALL += $(PLANNER_LIB)
