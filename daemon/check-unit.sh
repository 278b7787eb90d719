#!/usr/bin/env bash
# check-unit.sh FLOWPLAND - systemd-analyze verify on daemon/flowpland.service
# (ExecStart pointed at the built daemon, which verify wants to exist), then
# its systemd-analyze security exposure score. Exit 77 when it cannot run.
set -uo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$bin" ]; then
	echo "unit file: skipped: $bin is not built"
	exit 77
fi
command -v systemd-analyze >/dev/null || { echo "unit file: skipped: no systemd-analyze"; exit 77; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
sed "s|@SBINDIR@/flowpland|$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")|" \
	"$here/flowpland.service.in" >"$d/flowpland.service"
out=$(systemd-analyze verify "$d/flowpland.service" 2>&1)
rc=$?
# without a running systemd, verify says so; that is not about the unit
out=$(grep -v -e 'Failed to .*bus' -e 'has not been booted with systemd' <<<"$out")
if [ -n "$out" ]; then
	echo "unit file: systemd-analyze verify:"
	echo "$out"
	exit 1
fi
[ "$rc" = 0 ] || [ -z "$out" ] || exit 1
echo "unit file: systemd-analyze verify: clean"
systemd-analyze security --offline=yes "$d/flowpland.service" 2>&1 | tail -1 | sed 's/^/unit file: security: /'
exit 0
