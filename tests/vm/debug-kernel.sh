#!/usr/bin/env bash
# debug-kernel.sh image|build-dir|release|prune - the debug kernel of the
# qemu tests (`make check-vm-debug`): Debian's linux-source-6.1 built from
# tests/vm/debug.config (allnoconfig plus the options there: KASAN,
# kmemleak, lockdep and PROVE_RCU, DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS, UBSAN,
# and what the tests need, built in), with tests/vm/debug-patches/*.patch
# applied (fixes of Debian 6.1's rxe that KASAN reports under the tests'
# traffic; each patch says why), cached like the UML kernel.
#
#   image      build (or reuse) it; print the root holding boot/vmlinuz-REL
#              and lib/modules/REL (modules.builtin, for modprobe)
#   build-dir  the kernel build directory to build flowplan.ko against
#   release    its release string (6.1.N-fpdebug)
#   prune      remove cached debug kernels other than the current key
#
# Cache: $FLOWPLAN_CACHE/debug-kernel/<linux-source version>-<key>, key =
# sha256 of the version, gcc's version, debug.config, the patches and the
# recipe (the
# functions build and prune_tree as bash prints them: comments and messages
# outside them do not cost a rebuild). The sources and build tree are pruned
# to what `make M=` needs (about 170 MB).
# Building it cold takes 20 minutes to an hour on 2 cores: about 1 120 s at
# load 2 (2026-12-02), 3631 s at nice 19 with other builds running
# (2026-12-01); build.log ends with the time.
set -euo pipefail

HERE=$(dirname "$(realpath "$0")")
CFG=$HERE/debug.config
PATCHES=$HERE/debug-patches
CACHE=${FLOWPLAN_CACHE:-/var/cache/flowplan}/debug-kernel
SRC_TAR=/usr/src/linux-source-6.1.tar.xz

COLD="20 minutes to an hour on 2 cores"

die() { echo "debug-kernel: $*" >&2; exit 2; }

mkcache() {
	mkdir -p "$1" 2>/dev/null ||
		{ sudo mkdir -p "$1" && sudo chown "$(id -u):$(id -g)" "$1"; }
}

key() {
	local kver
	kver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
		die "linux-source-6.1 is not installed (scripts/deps.sh kunit)"
	printf '%s-%s\n' "$kver" "$({ echo "$kver"; gcc --version | head -1
		cat "$CFG" "$PATCHES"/*.patch; declare -f build prune_tree; } |
		sha256sum |
		cut -c1-16)"
}

# Keep what `make -C build M=...` needs: headers, scripts, the arch's
# Makefiles, objtool, Module.symvers; drop objects and the other sources.
prune_tree() {
	local s=$1 b=$2
	(cd "$s" &&
	 find . -mindepth 1 -maxdepth 1 ! -name Makefile ! -name Kbuild \
		! -name Kconfig ! -name scripts ! -name include ! -name arch \
		! -name tools -exec rm -rf {} + &&
	 find arch -mindepth 1 -maxdepth 1 ! -name x86 -exec rm -rf {} + &&
	 find tools -mindepth 1 -maxdepth 1 ! -name objtool ! -name include \
		! -name arch ! -name lib ! -name build ! -name scripts \
		-exec rm -rf {} +)
	find "$b" \( -name '*.o' -o -name '*.a' -o -name '.*.cmd' \
		-o -name '*.ko' -o -name 'vmlinux*' -o -name '*.mod.c' \) \
		! -path "$b/tools/*" ! -path "$b/scripts/*" -delete
}

build() {
	local k c t0 rel
	k=$(key)
	c=$CACHE/$k
	mkcache "$CACHE"
	exec 9>"$c.lock"
	flock 9
	if [ ! -e "$c/.complete" ]; then
		t0=$(date +%s)
		echo "debug-kernel: building into $c (cold: $COLD)" >&2
		rm -rf "$c"
		mkdir -p "$c/build"
		tar -C "$c" -xf "$SRC_TAR"
		local src=$c/linux-source-6.1 p
		for p in "$PATCHES"/*.patch; do
			patch -s -d "$src" -p1 <"$p" >>"$c/build.log" 2>&1 ||
				die "$(basename "$p") does not apply (log: $c/build.log)"
		done
		{
			make -C "$src" O="$c/build" KCONFIG_ALLCONFIG="$CFG" allnoconfig &&
			make -C "$src" O="$c/build" olddefconfig
		} >"$c/build.log" 2>&1 || die "configuring failed (log: $c/build.log)"
		# Every line of debug.config must have held.
		grep -v '^#' "$CFG" | grep . | while read -r l; do
			grep -qxF "$l" "$c/build/.config" ||
				die "debug.config: $l does not hold (a dependency missing?)"
		done
		if ! nice make -C "$src" O="$c/build" -j"$(nproc)" bzImage modules \
			>>"$c/build.log" 2>&1; then
			tail -40 "$c/build.log" >&2
			die "the build failed (log: $c/build.log)"
		fi
		rel=$(make -s -C "$src" O="$c/build" kernelrelease)
		mkdir -p "$c/root/boot" "$c/root/lib/modules/$rel"
		cp "$c/build/arch/x86/boot/bzImage" "$c/root/boot/vmlinuz-$rel"
		cp "$c/build/modules.builtin" "$c/build/modules.builtin.modinfo" \
			"$c/root/lib/modules/$rel/"
		touch "$c/root/lib/modules/$rel/modules.order"
		depmod -b "$c/root" "$rel"
		echo "$rel" >"$c/release"
		[ "${FLOWPLAN_DEBUG_PRUNE:-1}" = 0 ] || prune_tree "$src" "$c/build"
		echo "debug-kernel: built in $(( $(date +%s) - t0 )) s" |
			tee -a "$c/build.log" >&2
		touch "$c/.complete"
	fi
	flock -u 9
	echo "$c"
}

prune() {
	local k d
	k=$(key)
	for d in "$CACHE"/*/; do
		[ -d "$d" ] || continue
		[ "$(basename "$d")" = "$k" ] && continue
		echo "debug-kernel: removing $d"
		rm -rf "$d" "${d%/}.lock"
	done
}

case "${1:-}" in
image) echo "$(build)/root" ;;
build-dir) echo "$(build)/build" ;;
release) cat "$(build)/release" ;;
prune) prune ;;
*) echo "usage: $0 image|build-dir|release|prune" >&2; exit 2 ;;
esac
