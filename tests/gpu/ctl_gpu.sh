#!/usr/bin/env bash
# ctl_gpu.sh [FLOWPLANCTL] - `flowplanctl gpu show` on the fake sysfs layouts:
# human and JSON output, the override, errors. Prints cmocka-style summary
# lines for scripts/run-cmocka.sh; exits 77 when flowplanctl is not built.
set -uo pipefail
ctl=${1:-${FP_FLOWPLANCTL:?usage: ctl_gpu.sh FLOWPLANCTL (or FP_FLOWPLANCTL)}}
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$ctl" ] || { echo "ctl_gpu: $ctl not built (make all)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$here/../data/mksysfs.sh" "$tmp" >/dev/null || exit 1
pass=0 fail=0

check() {	# NAME COMMAND...: the command must succeed
	local name=$1
	shift
	if "$@"; then
		echo "[       OK ] $name"; pass=$((pass + 1))
	else
		echo "[  FAILED  ] $name"; fail=$((fail + 1))
	fi
}

dgx=$tmp/dgx-h100
out=$("$ctl" gpu show sysroot "$dgx" 2>&1)
check "human: 8 GPUs, own NIC each" \
	[ "$(grep -c ' PIX$' <<<"$out")" = 8 ]
check "human: gpu3 is 0000:43:00.0 on mlx5_3" \
	grep -q '^gpu3 0000:43:00.0 numa 0 nic mlx5_3 PIX$' <<<"$out"
check "human: CUDA state and reason" \
	grep -q '^cuda: usable' <<<"$out"

json=$("$ctl" -j gpu show sysroot "$tmp/gpu-no-nic")
check "json: SYS for the GPU with no NIC on its socket" \
	grep -q '{"index":1,"bdf":"0000:b1:00.0","numa":1,"nic":"mlx5_0","level":"SYS","override":false}' <<<"$json"
check "json: rxe0 not listed as a NIC" \
	bash -c '! grep -q rxe0 <<<"$1"' _ "$json"
check "json: cuda object" \
	grep -q '"cuda":{"usable":' <<<"$json"

json=$("$ctl" -j gpu show sysroot "$dgx" nic 0:mlx5_7)
check "override: gpu0 on mlx5_7 at SYS, gpu1 unchanged" \
	grep -q '"index":0,[^}]*"nic":"mlx5_7","level":"SYS","override":true}.*"index":1,[^}]*"nic":"mlx5_1","level":"PIX","override":false' <<<"$json"
json=$(FLOWPLAN_NIC=mlx5_8 "$ctl" -j gpu show sysroot "$dgx")
check "override: FLOWPLAN_NIC applies to every GPU" \
	[ "$(grep -o '"nic":"mlx5_8","level":"[A-Z]*","override":true' <<<"$json" | wc -l)" = 8 ]
out=$("$ctl" gpu show sysroot "$dgx" nic nosuch0)
check "override: unknown NIC is reported per GPU" \
	grep -q '^gpu0 0000:1a:00.0 numa 0 nic - (No such device)$' <<<"$out"
check "error: unknown argument" \
	bash -c '! "$1" gpu show bogus 2>/dev/null' _ "$ctl"
check "error: missing sysroot value" \
	bash -c '"$1" gpu show sysroot 2>&1 | grep -q "needs a value"' _ "$ctl"

echo "[==========] $((pass + fail)) test(s) run."
echo "[  PASSED  ] $pass test(s)."
[ "$fail" = 0 ] || echo "[  FAILED  ] $fail test(s), listed above."
[ "$fail" = 0 ]
