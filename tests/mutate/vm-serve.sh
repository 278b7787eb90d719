# shellcheck shell=bash
# vm-serve: PID 1's "test" in the qemu VM of make mutate's VM tier
# (tests/mutate/vm.sh boots it with tests/vm/run.sh). It is not a test:
# it builds the two-host soft-RoCE fabric (tests/vm/lib/fabric.sh) once,
# both families where the kernel has IPv6 policy routing,
# mounts the host's share (9p, tag "mut") on /mnt/mut, says "ready", and
# then runs jobs, one at a time, for as many mutants as the host sends:
#   the host writes /mnt/mut/jobs/N/ (run.sh, the programs it runs, and
#   "timeout"), then renames a file holding N onto /mnt/mut/next;
#   here: bash run.sh runs in a copy of jobs/N/ under /tmp (H1, H2, RXE0,
#   RXE1, GID_INDEX exported), its output goes to jobs/N/out and its exit
#   status to jobs/N/rc (written last, by a rename).
# It ends when /mnt/mut/stop appears, or after 900 s without a job (a host
# that went away leaves no qemu behind for long), or after a job that made
# the kernel warn (its status 125; the host boots a fresh VM for the next).
# vm: timeout=14400 mem=1536 smp=1
. /tests/lib/common.sh
. /tests/lib/fabric.sh

S=/mnt/mut
for m in virtio_pci 9pnet_virtio 9p; do
	modprobe $m
done
mkdir -p $S
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none,msize=262144 mut $S ||
	fail "cannot mount the host's share (tag mut)"
fabric_up
# the IPv6 half too where the kernel has it: tests a job runs (vm-core.sh's
# ctl) call fabric_up and fabric_up6, which find both built
! fabric_has6 || fabric_up6
export H1 H2 RXE0 RXE1 GID_INDEX
log "vm-serve: fabric up, $RXE0 on $H1, $RXE1 on $H2"
echo "$ABI" >$S/ready.tmp
mv $S/ready.tmp $S/ready

idle=0
while [ ! -e $S/stop ]; do
	if [ ! -e $S/next ]; then
		idle=$((idle + 1))
		[ $idle -lt 9000 ] || { log "vm-serve: idle for 900 s, stopping"; exit 0; }
		sleep 0.1
		continue
	fi
	idle=0
	n=$(cat $S/next)
	rm -f $S/next
	J=$S/jobs/$n
	[ -f "$J/run.sh" ] || { echo 127 >"$J/rc"; continue; }
	rm -rf /tmp/job
	cp -r "$J" /tmp/job
	rc=0
	(cd /tmp/job && timeout -k 5 "$(cat timeout 2>/dev/null || echo 300)" \
		bash run.sh) >"$J/out" 2>&1 || rc=$?
	warned=0
	dmesg_clean >/dev/null || { echo "vm-serve: the kernel warned" >>"$J/out"; rc=125 warned=1; }
	echo $rc >"$J/rc.tmp"
	mv "$J/rc.tmp" "$J/rc"
	log "vm-serve: job $n: exit $rc"
	# not ready any more before it stops, so that the host's next job
	# boots a fresh VM instead of meeting this one on its way down
	[ $warned = 0 ] || { rm -f $S/ready; fail "the kernel warned during job $n"; }
done
log "vm-serve: stopped by the host"
