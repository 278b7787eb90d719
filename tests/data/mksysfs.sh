#!/usr/bin/env bash
# mksysfs.sh OUTDIR [LAYOUT...] - build fake sysfs trees for the PCIe
# topology tests: OUTDIR/<layout>/sys/{devices,bus/pci/devices,class/infiniband}
# from tests/data/sysfs/<layout>/layout (all layouts when none is named).
#
# Layout lines: KIND PATH VENDOR CLASS NUMA [IBDEV], PATH below /sys/devices.
# KIND bridge|gpu|nic|dev; "virtual NAME" adds a non-PCI RDMA device (rxe).
# Every PCI function gets vendor, class, numa_node files and its
# /sys/bus/pci/devices symlink; a NIC gets infiniband/<ibdev>/device and the
# /sys/class/infiniband link, the way the kernel lays them out.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: mksysfs.sh OUTDIR [LAYOUT...]}
shift
[ $# -gt 0 ] || set -- $(cd "$here/sysfs" && ls)

for layout in "$@"; do
	spec=$here/sysfs/$layout/layout
	[ -f "$spec" ] || { echo "mksysfs.sh: no layout $layout" >&2; exit 1; }
	root=$out/$layout/sys
	rm -rf "${out:?}/$layout"
	mkdir -p "$root/devices" "$root/bus/pci/devices" "$root/class/infiniband"
	while read -r kind path vendor class numa ibdev; do
		case $kind in ''|'#'*) continue ;; esac
		if [ "$kind" = virtual ]; then
			d=$root/devices/virtual/infiniband/$path
			mkdir -p "$d"
			ln -s "../../devices/virtual/infiniband/$path" \
				"$root/class/infiniband/$path"
			continue
		fi
		d=$root/devices/$path
		bdf=${path##*/}
		mkdir -p "$d"
		echo "$vendor" >"$d/vendor"
		echo "$class" >"$d/class"
		echo "$numa" >"$d/numa_node"
		ln -s "../../../devices/$path" "$root/bus/pci/devices/$bdf"
		if [ "$kind" = nic ]; then
			mkdir -p "$d/infiniband/$ibdev"
			ln -s ../../../"$bdf" "$d/infiniband/$ibdev/device"
			ln -s "../../devices/$path/infiniband/$ibdev" \
				"$root/class/infiniband/$ibdev"
		fi
	done <"$spec"
done
