#!/bin/busybox sh
# PID 1 of the UML guest (root: the host's / over read-only hostfs).
# KO= on the kernel command line lists the test modules, ':'-separated.
# Prints one KTAP document made of every suite's debugfs results, then
# powers off. A module that fails to load is reported as a failed test.
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t debugfs debugfs /sys/kernel/debug
bad=""
for ko in $(echo "$KO" | $bb tr ':' ' '); do
	$bb insmod "$ko" || bad="$bad $($bb basename "$ko" .ko)"
done
set -- /sys/kernel/debug/kunit/*/results
[ -e "$1" ] || set --
nbad=$(echo $bad | $bb wc -w)
echo "KTAP version 1"
echo "1..$(($# + nbad))"
i=0
for f in "$@"; do
	i=$((i + 1))
	# Each file is a KTAP document of one suite: drop its header and
	# renumber the suite's result line.
	$bb tail -n +3 "$f" | $bb sed "\$s/^\(\(not \)\{0,1\}ok\) 1 /\1 $i /"
done
for m in $bad; do
	i=$((i + 1))
	echo "not ok $i insmod_$m"
done
echo "FLOWPLAN-KUNIT-DONE"
$bb poweroff -f
