#!/usr/bin/env bash
# abi.sh FPN_ABI NET_SO PROF_SO - the plugins against the libnccl.so.2 of
# this machine (NCCL_LIB, else the dynamic linker's, else CUDA's):
#  - symbols: every ncclNetPlugin_vN / ncclProfiler_vN the plugins export
#    is a name that library's loader looks up, and the newest it looks up
#    is among them;
#  - layouts: every struct of lib/nccl/nccl_abi.h, its size and each
#    member's offset and size, and every enumerator's value, against the
#    library's DWARF (read with gdb).
# Exit 0 pass, 1 fail, 77 skip (no libnccl.so.2, no gdb, no DWARF).
set -uo pipefail
ABI=$1 NET=$2 PROF=$3

lib=${NCCL_LIB:-}
if [ -z "$lib" ]; then
	lib=$(ldconfig -p 2>/dev/null | sed -n 's/.*libnccl\.so\.2 .*=> //p' | head -1)
fi
if [ -z "$lib" ]; then
	for l in /usr/local/cuda*/lib*/libnccl.so.2 /usr/local/cuda*/targets/*/lib/libnccl.so.2 \
		 /usr/lib/x86_64-linux-gnu/libnccl.so.2; do
		[ -f "$l" ] && { lib=$l; break; }
	done
fi
[ -n "$lib" ] && [ -f "$lib" ] || { echo "abi: skipped: no libnccl.so.2 on this machine (set NCCL_LIB)"; exit 77; }
ver=$(strings -a "$lib" | grep -m1 -o 'NCCL version [0-9.+a-z]*' || true)
echo "abi: $lib ($ver)"
fail=0

# ---- symbols
for kind in ncclNetPlugin_v ncclProfiler_v; do
	so=$NET
	[ $kind = ncclProfiler_v ] && so=$PROF
	looked=$(strings -a "$lib" | grep -xE "${kind}[0-9]+" | sort -u -V)
	mine=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -xE "${kind}[0-9]+" | sort -u -V)
	newest=$(echo "$looked" | tail -1)
	echo "abi: $kind: loader looks up $(echo $looked); $(basename "$so") exports $(echo $mine)"
	[ -n "$looked" ] || { echo "abi: FAIL: $lib names no ${kind}N"; fail=1; continue; }
	for s in $mine; do
		grep -qx "$s" <<<"$looked" || { echo "abi: FAIL: $s is not looked up"; fail=1; }
	done
	grep -qx "$newest" <<<"$mine" || { echo "abi: FAIL: the loader's newest, $newest, is not exported"; fail=1; }
done

# ---- layouts and constants
command -v gdb >/dev/null || { echo "abi: skipped layouts: no gdb (scripts/deps.sh nccl)"; exit 77; }
readelf -S "$lib" | grep -q debug_info ||
	{ echo "abi: skipped layouts: $lib has no DWARF"; [ $fail = 0 ] && exit 77; exit 1; }
mine=$(mktemp) theirs=$(mktemp) cmds=$(mktemp)
trap 'rm -f "$mine" "$theirs" "$cmds"' EXIT
"$ABI" >"$mine"
types=$(awk 'NF == 2 && $1 != "=" {print $1}' "$mine")
for t in $types; do
	echo "echo @@TYPE $t\\n" >>"$cmds"
	echo "ptype/o $t" >>"$cmds"
done
for e in $(awk '$1 == "=" {print $2}' "$mine"); do
	echo "echo @@ENUM $e \\n" >>"$cmds"
	echo "output (long long)$e" >>"$cmds"
	echo "echo \\n" >>"$cmds"
done
gdb -batch -nx -x "$cmds" "$lib" >"$theirs" 2>&1
# gdb's ptype/o: "/* OFF | SIZE */ decl;" per leaf, "total size (bytes): N"
awk '
/^@@TYPE / { t = $2; depth = 0; next }
/^@@ENUM / { e = $2; getline v; printf "= %s %s\n", e, v; next }
/^type = / { depth = 1; next }
t != "" && /total size \(bytes\):/ {
	if (depth == 1) { gsub(/[^0-9]/, "", $0); printf "%s %s\n", t, $0 }
	next }
t != "" && /\{ *$/ { depth++; next }
t != "" && /^ *\}/ { depth--; next }
t != "" && /^\/\* +[0-9]+(: *[0-9]+)? +\| +[0-9]+ \*\/ / {
	line = $0
	match(line, /^\/\* +[0-9]+/); off = substr(line, RSTART + 3, RLENGTH - 3); gsub(/ /, "", off)
	match(line, /\| +[0-9]+ \*\//); sz = substr(line, RSTART + 1, RLENGTH - 4); gsub(/ /, "", sz)
	decl = line; sub(/^\/\*[^*]*\*\/ +/, "", decl); sub(/;.*$/, "", decl)
	if (decl ~ /\(\*/) { n = decl; sub(/^[^(]*\(\*/, "", n); sub(/\).*$/, "", n) }
	else { n = decl; sub(/\[.*$/, "", n); sub(/^.*[ *]/, "", n) }
	printf "%s %s %s %s\n", t, off, sz, n
}' "$theirs" >"$theirs.leaves"
if ! diff <(grep -v "^=" "$mine" | sort) <(grep -v "^=" "$theirs.leaves" | sort) >"$theirs.diff"; then
	echo "abi: FAIL: layouts differ (< ours, > $lib):"
	cat "$theirs.diff"
	fail=1
fi
if ! diff <(grep '^=' "$mine") <(grep '^=' "$theirs.leaves") >"$theirs.diff"; then
	echo "abi: FAIL: constants differ (< ours, > $lib):"
	cat "$theirs.diff"
	fail=1
fi
n=$(grep -vc '^=' "$mine") m=$(grep -c '^=' "$mine")
rm -f "$theirs.leaves" "$theirs.diff"
[ $fail = 0 ] && echo "abi: $(echo "$types" | wc -w) structs ($n sizes and members) and $m constants match $lib"
exit $fail
