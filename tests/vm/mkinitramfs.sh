#!/usr/bin/env bash
# mkinitramfs.sh - the cached base initramfs of the qemu tests; prints its path.
#
# The base part holds what changes only with Debian's packages: busybox, bash,
# iproute2, kmod, rdma-core and perftest with the rxe provider, tcpdump, jq,
# setpriv, the shared libraries of all of these, and the kernel modules the
# tests load (rdma_rxe, veth, qdiscs, ...) from Debian's own linux-image.
# It is cached under $FLOWPLAN_CACHE/vm/KEY/base.cpio.gz, where KEY hashes the
# kernel ABI, the versions of the packages copied from and this script, so a
# package upgrade or an edit here rebuilds it and nothing else does.
# What changes between runs (init, flowplan.ko, flowplanctl, test scripts) is
# a second gzip cpio that run.sh appends; see mkrunpart.sh.
#
# usage: mkinitramfs.sh KERNEL_ROOT ABI
set -euo pipefail

KROOT=$1
ABI=$2
CACHE=${FLOWPLAN_CACHE:-/var/cache/flowplan}/vm

PKGS="bash busybox-static iproute2 kmod rdma-core ibverbs-utils
	ibverbs-providers libibverbs1 librdmacm1 perftest tcpdump jq util-linux
	libnl-3-200 libnl-genl-3-200 libnl-route-3-200 libjson-c5 libc6
	nftables rdmacm-utils ucx-utils libucx0"
BINS="/bin/bash /usr/sbin/ip /usr/sbin/tc /usr/bin/rdma /usr/bin/kmod
	/usr/bin/ibv_devices /usr/bin/ibv_devinfo /usr/bin/ibv_rc_pingpong
	/usr/bin/ib_write_bw /usr/bin/ib_send_bw /usr/bin/ib_read_bw
	/usr/bin/ib_write_lat /usr/bin/tcpdump /usr/bin/jq /usr/bin/setpriv
	/usr/bin/unshare /usr/bin/nsenter /usr/sbin/nft
	/usr/bin/rping /usr/bin/ucx_perftest /usr/bin/ucx_info"
# Libraries loaded with dlopen, which ldd cannot see.
DLOPEN="/usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav34.so
	/usr/lib/x86_64-linux-gnu/ucx/libuct_ib.so.0
	/usr/lib/x86_64-linux-gnu/ucx/libuct_rdmacm.so.0
	/usr/lib/x86_64-linux-gnu/ucx/libuct_cma.so.0"
MODS="rdma_rxe ib_uverbs rdma_ucm ib_core udp_tunnel ip6_udp_tunnel
	crc32_generic veth dummy sch_tbf sch_htb sch_netem sch_ingress
	cls_u32 cls_matchall act_pedit nf_tables nft_chain_nat nft_nat nf_nat
	nf_conntrack crc32c_generic 9p 9pnet_virtio virtio_pci"
# crc32c_generic: libcrc32c (nf_tables needs it) asks the crypto API for
# crc32c when it loads (a soft dependency modules.dep does not list).
# 9p, 9pnet_virtio, virtio_pci: the shared directory of make mutate's VM
# tier (tests/mutate/vm.sh).

# A cheap, order-independent fingerprint of everything the image is made of.
key=$( {
	echo "$ABI"
	# shellcheck disable=SC2086
	dpkg-query -W -f='${Package}=${Version}\n' $PKGS 2>/dev/null | sort
	cat "$0"
	md5sum "$KROOT/boot/vmlinuz-$ABI"
} | sha256sum | cut -c1-16)
out=$CACHE/$ABI-$key
if [ -e "$out/base.cpio.gz" ]; then
	echo "$out/base.cpio.gz"
	exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if [ -e "$out/base.cpio.gz" ]; then
	echo "$out/base.cpio.gz"
	exit 0
fi
echo "mkinitramfs: building base initramfs $out" >&2
R=$(mktemp -d "$CACHE/.root.XXXXXX")
trap 'rm -rf "$R"' EXIT

# Debian's merged /usr, so that the paths ldd prints hold in the image.
mkdir -p "$R"/usr/{bin,sbin,lib,lib64} "$R"/{proc,sys,dev,tmp,run,root,tests}
mkdir -p "$R"/{etc/libibverbs.d,var/run/netns} "$R/usr/lib/modules/extra"
for d in bin sbin lib lib64; do ln -s "usr/$d" "$R/$d"; done

copy_file() {
	local f=$1
	mkdir -p "$R$(dirname "$f")"
	cp -L "$f" "$R$f"
}
copy_libs() {
	local l
	for l in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*' | sort -u); do
		[ -e "$R$l" ] || copy_file "$l"
	done
}

cp /bin/busybox "$R/bin/busybox"
for b in $BINS $DLOPEN; do
	copy_file "$b"
	copy_libs "$b"
done
cp /etc/libibverbs.d/rxe.driver "$R/etc/libibverbs.d/"
for a in insmod rmmod modprobe lsmod modinfo depmod; do
	ln -sf /usr/bin/kmod "$R/sbin/$a"
done
# busybox fills in every command no real binary provides.
for a in $("$R/bin/busybox" --list-full); do
	[ -e "$R/$a" ] || [ -L "$R/$a" ] || ln -s /bin/busybox "$R/$a"
done
printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\ntcpdump:x:104:110::/nonexistent:/bin/false\n' \
	>"$R/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\ntcpdump:x:110:\n' >"$R/etc/group"
echo 'hosts: files' >"$R/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n' >"$R/etc/hosts"

KM=$KROOT/lib/modules/$ABI
MD=$R/usr/lib/modules/$ABI
want=""
for m in $MODS; do
	# A debug kernel has them built in (modprobe finds them there), or
	# has no such thing (ip6_udp_tunnel without IPv6) and no modules.
	grep -qE "(^|/)$m\.ko$" "$KM/modules.builtin" && continue
	[ -s "$KM/modules.dep" ] || continue
	p=$(grep -E "(^|/)$m\.ko(\.xz)?:" "$KM/modules.dep" | head -1) ||
		{ echo "mkinitramfs: module $m not in $ABI" >&2; exit 1; }
	want="$want ${p%%:*} ${p#*:}"
done
for p in $(echo "$want" | tr ' ' '\n' | sort -u); do
	mkdir -p "$MD/$(dirname "$p")"
	cp "$KM/$p" "$MD/$p"
done
mkdir -p "$MD"	# the debug kernel has every module built in: none copied
cp "$KM"/modules.builtin "$KM"/modules.builtin.modinfo "$KM"/modules.order "$MD/"
depmod -b "$R" "$ABI"

mkdir -p "$out"
(cd "$R" && find . | LC_ALL=C sort >"$out/base.list.tmp")
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) \
	>"$out/base.cpio.gz.tmp"
mv "$out/base.list.tmp" "$out/base.list"
mv "$out/base.cpio.gz.tmp" "$out/base.cpio.gz"
# Older images of this kernel (other keys) are dead weight once they are
# not in use; the other kernel's (Debian's, the debug one) are not.
find "$CACHE" -mindepth 1 -maxdepth 1 -type d -name "$ABI-*" ! -path "$out" \
	-mmin +60 -exec rm -rf {} + 2>/dev/null || true
echo "mkinitramfs: $(du -h "$out/base.cpio.gz" | cut -f1) $out/base.cpio.gz" >&2
echo "$out/base.cpio.gz"
