# tests/lab: the fabric lab, network namespaces on this machine (lab.sh).
#   check-lab   small fabric: probing, planning with the probed map, counters
#   bench-lab   ECMP, ECMP x4, flowplan and the ideal switch over several seeds
LAB_TRAFFIC := $(BUILD)/fp-traffic
LAB_UDP     := $(BUILD)/fp-udp
LAB_CTL     := $(FLOWPLANCTL)

# The prober's fabric-free parts, under ASan and UBSan.
LAB_PROBE_TEST := $(BUILD)/san/probe-test

# labtool.o: what both traffic tools share (namespaces by name, die, clock)
$(LAB_TRAFFIC): $(BUILD)/tests/lab/fp-traffic.o $(BUILD)/tests/lab/labtool.o
	$(CC) $(CFLAGS) -o $@ $^

$(LAB_UDP): $(BUILD)/tests/lab/fp-udp.o $(BUILD)/tests/lab/labtool.o
	$(CC) $(CFLAGS) -o $@ $^

$(LAB_PROBE_TEST): $(BUILD)/san/tests/lab/probe-test.o $(PROBE_SAN_LIB) $(PLANNER_SAN_LIB) $(CORE_SAN_LIB)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(JSONC_LIBS) -lm

.PHONY: check-lab bench-lab
check-lab:
	@+$(BUILD_STEP) $(LAB_CTL) $(LAB_TRAFFIC) $(LAB_UDP) $(LAB_PROBE_TEST)
	@FLOWPLANCTL=$(LAB_CTL) FP_TRAFFIC=$(LAB_TRAFFIC) FP_UDP=$(LAB_UDP) PROBE_TEST=$(LAB_PROBE_TEST) \
		tests/lab/check.sh

bench-lab: $(LAB_CTL) $(LAB_TRAFFIC)
	@FLOWPLANCTL=$(LAB_CTL) FP_TRAFFIC=$(LAB_TRAFFIC) tests/lab/bench.sh

CHECK_TIERS += check-lab
BENCH += bench-lab
