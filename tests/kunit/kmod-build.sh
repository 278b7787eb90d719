#!/usr/bin/env bash
# kmod-build.sh - the module builds against Debian's 6.1 linux-headers with
# W=1 and not one warning, and checkpatch.pl (from Debian's linux-source-6.1)
# finds no error or warning in the module's files and the UAPI header; and
# flowplanctl's online commands say so plainly when the module is absent.
# Last line: "kmod-build: N passed, N failed, 0 skipped".
set -uo pipefail
TOP=$(realpath "$(dirname "$0")/../..")
pass=0 fail=0

ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

kdir=$("$TOP/scripts/debian-kernel.sh" headers) || {
	echo "kmod-build: cannot install Debian's linux-headers"
	echo "kmod-build: 0 passed, 1 failed, 0 skipped"
	exit 1
}

# A full build in a scratch copy: an incremental one would hide warnings.
w=$(mktemp -d /tmp/flowplan-kmod.XXXXXX)
trap 'rm -rf "$w"' EXIT
mkdir -p "$w/include"
cp -a "$TOP/Kbuild" "$w/"
cp -a "$TOP/include/uapi" "$w/include/"
mkdir "$w/kmod"
cp -a "$TOP/kmod/Kbuild" "$w/kmod/"
for f in "$TOP"/kmod/*.[ch]; do
	case $f in *.mod.c) ;; *) cp -a "$f" "$w/kmod/" ;; esac
done
if nice make -C "$kdir" M="$w" W=1 modules >"$w/build.log" 2>&1 &&
   [ -e "$w/kmod/flowplan.ko" ]; then
	if grep -qiE 'warning|error' "$w/build.log"; then
		grep -iE -B2 -A4 'warning|error' "$w/build.log"
		bad "module build (W=1) against $kdir has warnings"
	else
		ok "module builds with W=1 against $kdir, no warnings"
	fi
else
	cat "$w/build.log"
	bad "module build against $kdir"
fi

# checkpatch.pl on every file (tests/kunit/checkpatch.sh, also `make
# style-kmod`): one result line per file.
while read -r line; do
	case $line in
	"ok: "*) ok "${line#ok: }" ;;
	"FAIL: "*) bad "${line#FAIL: }" ;;
	*) echo "$line" ;;
	esac
done < <("$TOP/tests/kunit/checkpatch.sh")
cd "$TOP"
# flowplanctl's online commands where the module is not loaded (this host's
# kernel cannot load modules): a clear message and exit status 1.
skipped=0
case ${BUILD:-build} in
/*) ctl=$BUILD/flowplanctl ;;
*) ctl=$TOP/${BUILD:-build}/flowplanctl ;;
esac
if [ ! -x "$ctl" ]; then
	echo "skip: $ctl is not built"
	skipped=1
elif [ -d /sys/module/flowplan ]; then
	echo "skip: the flowplan module is loaded here"
	skipped=1
else
	for c in "device show" "plan show" "plan delete" "counters show" \
		 "monitor" "-j counters show"; do
		# shellcheck disable=SC2086
		out=$("$ctl" $c 2>&1)
		rc=$?
		if [ $rc = 1 ] && grep -q 'flowplan module not loaded' <<<"$out"; then
			ok "flowplanctl $c without the module: $out"
		else
			bad "flowplanctl $c without the module: rc $rc: $out"
		fi
	done
fi
echo "kmod-build: $pass passed, $fail failed, $skipped skipped"
[ "$fail" = 0 ]
