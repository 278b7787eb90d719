# tests/lab: the fabric lab, network namespaces on this machine (lab.sh).
#   check-lab   small fabric: probing, planning with the probed map, counters
#   bench-lab   ECMP, ECMP x4, flowplan and the ideal switch over several seeds
LAB_TRAFFIC := $(BUILD)/fp-traffic

$(LAB_TRAFFIC): $(BUILD)/tests/lab/fp-traffic.o
	$(CC) $(CFLAGS) -o $@ $^

.PHONY: check-lab bench-lab
check-lab: $(FLOWPLANCTL) $(LAB_TRAFFIC)
	@FLOWPLANCTL=$(FLOWPLANCTL) FP_TRAFFIC=$(LAB_TRAFFIC) tests/lab/check.sh

bench-lab: $(FLOWPLANCTL) $(LAB_TRAFFIC)
	@FLOWPLANCTL=$(FLOWPLANCTL) FP_TRAFFIC=$(LAB_TRAFFIC) tests/lab/bench.sh

CHECK_TIERS += check-lab
BENCH += bench-lab
