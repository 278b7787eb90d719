#!/usr/bin/env bash
# debian-kernel.sh abi|headers|image - Debian's own 6.1 kernel, for building
# and booting flowplan.ko (the host kernel cannot load modules).
#
#   abi      print the kernel ABI Debian's linux-image-amd64 points at (6.1.0-NN-amd64)
#   headers  install the matching linux-headers and print the module build dir
#   image    fetch and unpack the matching linux-image into the cache and print
#            its root (boot/vmlinuz-ABI, lib/modules/ABI with modules.dep)
#
# The cache is $FLOWPLAN_CACHE (default /var/cache/flowplan)/kernel/ABI.
set -euo pipefail
CACHE=${FLOWPLAN_CACHE:-/var/cache/flowplan}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

abi() {
	local a
	a=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/.*Depends: linux-image-\(6\.1\.[0-9.-]*-amd64\)$/\1/p' | head -1)
	if [ -z "$a" ]; then
		$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
		a=$(apt-cache depends linux-image-amd64 |
			sed -n 's/.*Depends: linux-image-\(6\.1\.[0-9.-]*-amd64\)$/\1/p' | head -1)
	fi
	[ -n "$a" ] || { echo "debian-kernel.sh: cannot find linux-image-amd64's kernel" >&2; exit 1; }
	echo "$a"
}

case "${1:-}" in
abi)
	abi
	;;
headers)
	a=$(abi)
	d=/usr/src/linux-headers-$a
	if [ ! -e "$d/Makefile" ]; then
		echo "debian-kernel.sh: installing linux-headers-$a" >&2
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
			--no-install-recommends "linux-headers-$a" >&2
	fi
	echo "$d"
	;;
image)
	a=$(abi)
	root=$CACHE/kernel/$a
	if [ ! -e "$root/.complete" ]; then
		$SUDO mkdir -p "$CACHE/kernel"
		exec 9>"$CACHE/kernel/$a.lock"
		flock 9
		if [ ! -e "$root/.complete" ]; then
			echo "debian-kernel.sh: fetching linux-image-$a into $root" >&2
			rm -rf "$root"
			mkdir -p "$root/deb"
			(cd "$root/deb" && apt-get download -q "linux-image-$a" >&2)
			dpkg -x "$root"/deb/linux-image-"$a"_*.deb "$root"
			rm -rf "$root/deb"
			depmod -b "$root" "$a"
			touch "$root/.complete"
		fi
		flock -u 9
	fi
	echo "$root"
	;;
*)
	echo "usage: $0 abi|headers|image" >&2
	exit 1
	;;
esac
