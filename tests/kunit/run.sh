#!/usr/bin/env bash
# run.sh - flowplan's KUnit runner: a User-Mode-Linux kernel with KUnit built
# from Debian's linux-source-6.1 (cached), the module's KUnit .ko built out of
# tree against it, booted with the host's / as a read-only hostfs root.
#
#   run.sh kernel        build (or reuse) the UML kernel; print its build dir
#   run.sh test          build kmod/flowplan_test.ko for UML, boot, parse KTAP;
#                        last line "kunit: N passed, N failed, N skipped"
#   run.sh bench         build kmod/flowplan_bench.ko for UML, boot it, print
#                        the datapath's cost per packet (ratios, same run)
#   run.sh prune         remove cached kernels other than the current key
#
# The cache is $FLOWPLAN_CACHE/uml/<linux-source version>-<key> (default
# FLOWPLAN_CACHE=/var/cache/flowplan), key = sha256 of the linux-source
# version, gcc version and flowplan.kunitconfig. A build dir holds absolute
# paths and cannot be moved. FLOWPLAN_UML_PRUNE=0 keeps the whole source tree
# (1.6 GB instead of ~200 MB). KUNIT_LOG=FILE keeps the UML console log.
set -euo pipefail

HERE=$(dirname "$(realpath "$0")")
TOP=$(realpath "$HERE/../..")
KCFG=$HERE/flowplan.kunitconfig
CACHE=${FLOWPLAN_CACHE:-/var/cache/flowplan}/uml
SRC_TAR=/usr/src/linux-source-6.1.tar.xz

die() { echo "kunit: $*" >&2; exit 2; }

# The cache is shared; without root, make it once with sudo and own it.
mkcache() {
	mkdir -p "$1" 2>/dev/null ||
		{ sudo mkdir -p "$1" && sudo chown "$(id -u):$(id -g)" "$1"; }
}

key() {
	local kver
	kver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
		die "linux-source-6.1 is not installed (scripts/deps.sh kunit)"
	printf '%s-%s\n' "$kver" "$(printf '%s\n' "$kver" "$(gcc --version | head -1)" \
		"$(cat "$KCFG")" | sha256sum | cut -c1-16)"
}

# Only what `make M=` and `kunit.py parse` need survives a prune.
prune_tree() {
	local s=$1
	(cd "$s" &&
	 find . -mindepth 1 -maxdepth 1 ! -name Makefile ! -name Kbuild \
		! -name Kconfig ! -name scripts ! -name include ! -name arch \
		! -name tools -exec rm -rf {} + &&
	 find arch -mindepth 1 -maxdepth 1 ! -name um ! -name x86 -exec rm -rf {} + &&
	 find tools -mindepth 1 -maxdepth 1 ! -name testing ! -name include \
		! -name arch -exec rm -rf {} + &&
	 find tools/testing -mindepth 1 -maxdepth 1 ! -name kunit -exec rm -rf {} +)
}

kernel() {
	local k c t0
	k=$(key)
	c=$CACHE/$k
	mkcache "$CACHE"
	exec 9>"$c.lock"
	flock 9
	if [ ! -e "$c/.complete" ]; then
		t0=$(date +%s)
		echo "kunit: building the UML kernel into $c (cold: 8-12 min on 2 cores)" >&2
		rm -rf "$c"
		mkdir -p "$c"
		tar -C "$c" -xf "$SRC_TAR"
		if ! nice python3 "$c/linux-source-6.1/tools/testing/kunit/kunit.py" \
			build --arch=um --build_dir="$c/build" --kunitconfig="$KCFG" \
			--jobs="$(nproc)" >"$c/build.log" 2>&1; then
			tail -40 "$c/build.log" >&2
			die "UML kernel build failed (log: $c/build.log)"
		fi
		[ "${FLOWPLAN_UML_PRUNE:-1}" = 0 ] || prune_tree "$c/linux-source-6.1"
		echo "kunit: UML kernel built in $(( $(date +%s) - t0 )) s" >&2
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
		echo "kunit: removing $d"
		rm -rf "$d" "${d%/}.lock"
	done
}

# Build the test and bench modules for UML in a scratch copy ($w).
build_modules() {
	c=$(kernel)
	# M= writes into the module dir: build in a scratch copy.
	w=$(mktemp -d /tmp/flowplan-kunit.XXXXXX)
	trap 'rm -rf "$w"' EXIT
	mkdir -p "$w/include"
	cp -a "$TOP/kmod" "$w/kmod"
	cp -a "$TOP/include/uapi" "$w/include/uapi"
	find "$w/kmod" \( -name '*.o' -o -name '*.ko' -o -name '*.mod*' \
		-o -name '.*.cmd' -o -name '*.order' -o -name '*.symvers' \) -delete
	make -s ARCH=um -C "$c/build" M="$w/kmod" KCFLAGS=-Werror \
		modules >"$w/make.log" 2>&1
}

# boot KO LOG: boot UML, load KO (path), kernel log into LOG.
boot() {
	timeout -k 10 300 "$c/build/linux" mem=256M rootfstype=hostfs \
		rootflags=/ ro quiet con=fd:0,fd:1 init="$HERE/uml-init.sh" \
		KO="$1" </dev/null >"$2" 2>&1 || true
}

run_bench() {
	local log
	if ! build_modules; then
		cat "$w/make.log"
		return 1
	fi
	log=$w/bench.log
	boot "$w/kmod/flowplan_bench.ko" "$log"
	if ! grep -q 'flowplan_bench: .*ns/packet' "$log"; then
		tail -40 "$log"
		echo "kunit: the benchmark printed nothing" >&2
		return 1
	fi
	echo "kmod datapath cost per packet (UML, same run; ratios to a copy of the packet and to the hook with no plan):"
	tr -d '\r' <"$log" | grep -E 'flowplan_bench: .*(ns/packet|packets of)' |
		sed 's/^.*flowplan_bench: /  /'
}

run_test() {
	local rc=0 line p f s log
	if ! build_modules; then
		cat "$w/make.log"
		echo "kunit: 0 passed, 1 failed, 0 skipped"
		return 1
	fi
	[ -e "$w/kmod/flowplan_test.ko" ] || die "no flowplan_test.ko was built"
	log=${KUNIT_LOG:-$w/uml.log}
	boot "$w/kmod/flowplan_test.ko" "$log"
	# Modules' suites are logged one by one, each numbered 1 and with no
	# document header: give them one and number them in order.
	tr -d '\r' <"$log" | sed 's/^\[ *[0-9.]*\] //' | awk '
		/^    KTAP version 1$/ { on = 1 }
		!on { next }
		/^(not )?ok [0-9]+ / {
			n++
			sub(/ok [0-9]+ /, "ok " n " ")
		}
		{ body[++nb] = $0 }
		END {
			print "KTAP version 1"
			print "1.." n
			for (i = 1; i <= nb; i++)
				print body[i]
		}' >"$w/ktap.txt"
	python3 "$c/linux-source-6.1/tools/testing/kunit/kunit.py" parse \
		"$w/ktap.txt" >"$w/parse.txt" 2>&1 || rc=$?
	cat "$w/parse.txt"
	if [ $rc -ne 0 ] && ! grep -q '^1\.\.[1-9]' "$w/ktap.txt"; then
		tail -60 "$log"
	fi
	line=$(grep -o 'Ran [0-9]* tests:.*' "$w/parse.txt" | tail -1 || true)
	p=$(sed -n 's/.*passed: \([0-9]*\).*/\1/p' <<<"$line")
	f=$(sed -n 's/.*failed: \([0-9]*\).*/\1/p' <<<"$line")
	s=$(sed -n 's/.*skipped: \([0-9]*\).*/\1/p' <<<"$line")
	# A crash, an insmod failure or no KTAP at all is a failure.
	if grep -q '^FLOWPLAN-INSMOD-FAILED' "$log" ||
	   ! grep -q '^FLOWPLAN-KUNIT-DONE' "$log"; then
		grep '^FLOWPLAN-INSMOD-FAILED' "$log" || echo "kunit: UML did not finish"
		rc=1
	fi
	if [ $rc -ne 0 ] && [ "${f:-0}" = 0 ]; then f=1; fi
	echo "kunit: ${p:-0} passed, ${f:-0} failed, ${s:-0} skipped"
	return $rc
}

case "${1:-}" in
kernel) kernel ;;
test) run_test ;;
bench) run_bench ;;
prune) prune ;;
*) echo "usage: $0 kernel|test|bench|prune" >&2; exit 2 ;;
esac
