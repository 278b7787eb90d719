#!/bin/busybox sh
# PID 1 of the UML guest (root: the host's / over read-only hostfs).
# KO= on the kernel command line lists the test modules, ':'-separated.
# KUnit runs the suites when a module loads and logs KTAP to the kernel log;
# print that log whole (kunit.py parse finds the KTAP in it), then power off.
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
for ko in $(echo "$KO" | $bb tr ':' ' '); do
	$bb insmod "$ko" || echo "FLOWPLAN-INSMOD-FAILED $ko"
done
$bb dmesg
echo "FLOWPLAN-KUNIT-DONE"
$bb poweroff -f
