#!/usr/bin/env bash
# demo.sh - flowplan's main job on its built-in example: three fragmented
# training jobs (two ring all-reduces and an MoE all-to-all) share an 8-leaf,
# 4-spine fabric. Plan them, and compare ECMP, ECMP with 4 QPs per
# connection, ideal packet spraying and flowplan side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
FP=${FLOWPLANCTL:-build/flowplanctl}
T=examples/leafspine-8x4.json
S=examples/three-jobs.json
OUT=${DEMO_PLAN:-build/demo-plan.json}

step() { printf '\n$ %s\n' "$*"; "$@"; }

echo "flowplan demo: $T, $S"
step "$FP" topology show "$T"
step "$FP" schedule show "$S" topology "$T"
step "$FP" simulate "$T" "$S" seeds 10
step "$FP" plan compute "$T" "$S" out "$OUT"
echo
echo "The plan's first host entries (what 'flowplanctl plan set' installs in flowplan.ko):"
if command -v jq >/dev/null; then
	jq -c '.entries[:4][]' "$OUT"
else
	grep -m 4 -o '"src_addr": "[0-9.]*", "dst_addr": "[0-9.]*"' "$OUT"
fi
