#!/usr/bin/env bash
# checkpatch.sh ARGS... - the kernel's checkpatch.pl, from Debian's
# linux-source-6.1 (scripts/deps.sh style installs it), run with ARGS. The
# script and its data files are taken out of the source tarball once and
# kept under /var/cache/flowplan/checkpatch/<version>.
set -uo pipefail
CACHE=${FLOWPLAN_CACHE:-/var/cache/flowplan}/checkpatch
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) || {
	echo "checkpatch.sh: linux-source-6.1 is not installed (scripts/deps.sh style)" >&2
	exit 2
}
cp=$CACHE/$ver
if [ ! -e "$cp/.complete" ]; then
	mkdir -p "$cp" 2>/dev/null ||
		{ sudo mkdir -p "$cp" && sudo chown "$(id -u):$(id -g)" "$cp"; }
	tar -C "$cp" --strip-components=1 -xf /usr/src/linux-source-6.1.tar.xz \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch &&
		touch "$cp/.complete" || exit 2
fi
exec perl "$cp/scripts/checkpatch.pl" "$@"
