#!/bin/sh
# SPDX-License-Identifier: MIT
#
# plan-digests.sh FLOWPLANCTL [OUTDIR] - the sha256 of the plan files (and
# one set of per-host shares) of a fixed set of plans: every method (exact,
# lp, gp, greedy), the baselines, fat-trees and leaf-spines with failures,
# max-split 1/3/8, unidirectional rings (reverse entries), IPv6 and every
# hash function. A speed-up of the planner must leave every line the same:
#
#   tests/bench/plan-digests.sh old/flowplanctl > before
#   tests/bench/plan-digests.sh build/flowplanctl > after && diff before after
#
# One line per plan: digest, the method(s) of its phases, the case.
set -eu
ctl=$1
out=${2:-}
tmp=$(mktemp -d /tmp/fp-digests-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0
plan() {	# plan TOPO SCHED [ARGS...]
	n=$((n + 1))
	"$ctl" plan compute "$@" out "$tmp/p$n.json" > "$tmp/p$n.txt"
	m=$(awk '/method/ { for (i = 1; i < NF; i++) if ($i == "method") printf "%s%s", s, $(i + 1); s = "," }' "$tmp/p$n.txt")
	printf '%s %s %s\n' "$(sha256sum < "$tmp/p$n.json" | cut -c1-16)" "${m:--}" "$*"
	if [ -n "$out" ]; then cp "$tmp/p$n.json" "$out/p$n.json"; fi
}

ls84='leafspine:leaves=8,spines=4,hosts=4'
ring='ring-allreduce:bytes=1G'
a2a='alltoall:bytes=1G'

# the methods
plan $ls84 $a2a
plan leafspine:leaves=8,spines=3,hosts=4 $a2a
plan $ls84,fail=leaf0-spine1 $ring,place=frag
plan $ls84,fail=leaf0-spine1+leaf3-spine2 $a2a
plan leafspine:leaves=4,spines=4,hosts=4,fail=leaf0-spine1 $ring
plan fattree:k=8,up_gbps=50,fail=agg0.0-core0+agg0.0-core1 $a2a
plan fattree:k=8,fail=leaf5-agg1.1 alltoall:bytes=256M,count=32,place=frag
# fat-trees with failures, rings (reverse entries), several jobs
plan fattree:k=8,fail=agg1.2-core9 $ring
plan fattree:k=8,up_gbps=50,fail=agg1.2-core9 $ring,place=frag
plan fattree:k=8,fail=agg0.0-core0+leaf5-agg1.1 \
	"$ring,count=16,place=frag;alltoall:bytes=64M,count=16,off=1,place=frag"
plan fattree:k=16,up_gbps=50,fail=agg3.1-core9+leaf17-agg2.0 $ring
plan $ls84 "$ring,count=12,place=frag,job=a;ring-allreduce:bytes=512M,count=12,off=1,place=frag,job=b;alltoall:bytes=128M,count=8,off=2,place=frag,job=c"
# max-split, on plans that split flows (hosts in a scrambled order)
order=$(awk 'BEGIN { for (i = 0; i < 128; i++) printf "%s%d", i ? "+" : "", (i * 37 + 11) % 128 }')
for k in 1 3 8; do
	plan leafspine:leaves=16,spines=8,hosts=8,nics=8,rail,up_gbps=50,fail=leaf2-spine5 $ring,place=frag max-split $k
	plan fattree:k=8,up_gbps=50,fail=agg1.2-core9 "$ring,hosts=$order" max-split $k
done
plan fattree:k=8 "$ring,hosts=$order"
# rails, a ring of every NIC with and without a failed spine link
plan leafspine:leaves=16,spines=8,hosts=8,nics=8,rail,up_gbps=50,fail=leaf2-spine5 $ring,place=frag
plan leafspine:leaves=64,spines=16,hosts=16,nics=8,rail $ring
plan leafspine:leaves=64,spines=16,hosts=16,nics=8,rail,fail=leaf3-spine5 $ring
# issue 10's ring (a plan file of about 90 MB each)
plan leafspine:leaves=1024,spines=64,hosts=128,nics=8,rail $ring
plan leafspine:leaves=1024,spines=64,hosts=128,nics=8,rail,fail=leaf3-spine5 $ring
# the baselines, seeded
for s in ecmp ecmp4 spray; do
	plan fattree:k=8,fail=agg1.2-core9 $ring,place=frag strategy $s seed 3
	plan $ls84 $a2a strategy $s seed 5
done
# IPv6, switches hashing the flow label, and every hash function
plan $ls84,ipv6,fail=leaf0-spine1 $ring,place=frag
plan $ls84,ipv6,fields=l4+flowlabel,fail=leaf0-spine1 $ring,place=frag
plan $ls84,ipv6,fields=l3+flowlabel,fail=leaf0-spine1 $ring,place=frag strategy ecmp4
for h in crc32 crc32c crc16 xor toeplitz; do
	plan $ls84,hash=$h,fail=leaf0-spine1 $ring,place=frag
	plan $ls84,hash=$h,ipv6,fields=l4+flowlabel $a2a strategy ecmp4 seed 2
done
# per-host shares (compact) of a ring with reverse entries
"$ctl" plan compute leafspine:leaves=16,spines=8,hosts=8,nics=8,rail,fail=leaf2-spine5 $ring \
	shares "$tmp/shares" compact > /dev/null
printf '%s - shares of the rail ring\n' \
	"$(cd "$tmp/shares" && find . -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16)"
