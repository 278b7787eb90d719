# tests/cluster-vm/: cluster mode on qemu hosts (issue 13): four VMs with
# Debian's kernel, flowplan.ko, rxe and a flowpland agent on a leaf-spine
# of Linux routers in namespaces, NATS servers and the planner in a
# management namespace (tier check-cluster-vm: "cluster-vm: N passed, N
# failed, N skipped"). Needs root (namespaces, taps) and the qemu harness's
# kernel and base image (tests/vm/).
.PHONY: check-cluster-vm
check-cluster-vm:
	@scripts/deps.sh build unit vm cluster
	@+$(BUILD_STEP) $(VM_INIT) $(FLOWPLAND) $(FPC) $(FPD_CTL) $(FPD_TRAFFIC) \
		$(FLOWPLANCTL) $(if $(FLOWPLAN_KO),module)
	@BUILD=$(BUILD) VM_INIT=$(VM_INIT) FLOWPLAN_KO="$(FLOWPLAN_KO)" tests/cluster-vm/run.sh
# In CHECK_TIERS since the reverse direction of every planned flow is
# planned (lib/planner/reverse.c): before, h4 -> h1 stopped after the
# failure because h1's acknowledgements (its QP's own port, no entry)
# still hashed onto spine1 at leaf1. Measured (2026-12-01, loaded 2-core
# machine, four passing runs in a row): 158, 199, 220 and 205 s of tier
# time (about 3.5 min with the make step), the four VMs up in about 70 s.
# Dual-stack since issue 15 (an IPv4 and an IPv6 ring in one boot): two
# passing runs of the final form, 103 s (VMs up in 52 s) and, before the
# schedule gave the IPv6 ring twice the bytes, 210 s (VMs up in 115 s at
# a load of 15); two runs at loads of 15-22 failed to boot in time (one
# the IO-APIC timer panic that no_timer_check now avoids).
CHECK_TIERS += check-cluster-vm
