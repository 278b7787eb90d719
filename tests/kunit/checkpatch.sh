#!/usr/bin/env bash
# checkpatch.sh [FILE...] - the kernel's checkpatch.pl (from Debian's
# linux-source-6.1, cached) on the module's sources and the UAPI header, or
# on FILE...; prints "ok: checkpatch F" or the findings and "FAIL: ...",
# and exits 1 when any file has an error or a warning.
# Used by `make style-kmod` and tests/kunit/kmod-build.sh.
set -uo pipefail
TOP=$(realpath "$(dirname "$0")/../..")
CACHE=${FLOWPLAN_CACHE:-/var/cache/flowplan}/checkpatch

ver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) || {
	echo "FAIL: linux-source-6.1 is not installed (scripts/deps.sh kunit)"
	exit 1
}
cp=$CACHE/$ver
if [ ! -e "$cp/.complete" ]; then
	mkdir -p "$cp" 2>/dev/null ||
		{ sudo mkdir -p "$cp" && sudo chown "$(id -u):$(id -g)" "$cp"; }
	tar -C "$cp" --strip-components=1 -xf /usr/src/linux-source-6.1.tar.xz \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch &&
		touch "$cp/.complete"
fi
cd "$TOP"
if [ $# -eq 0 ]; then
	set -- kmod/*.c kmod/*.h include/uapi/linux/flowplan.h
fi
rc=0
for f in "$@"; do
	case $f in *.mod.c) continue ;; esac
	out=$(perl "$cp/scripts/checkpatch.pl" --no-tree --terse --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f "$f" 2>&1)
	if grep -qE ': (ERROR|WARNING):' <<<"$out"; then
		grep -E ': (ERROR|WARNING):' <<<"$out"
		echo "FAIL: checkpatch $f"
		rc=1
	else
		echo "ok: checkpatch $f"
	fi
done
exit $rc
