#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench.sh - the bench-lab benchmark: one collective through real Linux
# routers, side by side, over several hash seeds:
#   ecmp      one TCP connection per flow, on the port of a pseudo-random
#             flow label (1..64), as a QP-number-derived label would give
#   ecmp4     four connections per flow (four labels), bytes split evenly
#   flowplan  the planner's subflows on ports learned by probing this fabric
#   ideal     the same flows on one big switch with the same host links
#   bound     the fabric's own spraying bound: the planner's proven lower
#             bound on the max link load (host links, cuts, LP duals) of this
#             fabric, as a time at the lab's rate. Where the fabric itself is
#             the bottleneck (a failed uplink, oversubscription) the big
#             switch is out of any routing's reach, and this is the target.
# Times are collective completion times (CCT) in seconds, ratios against the
# ideal of the same run and against the better of ideal and bound ("best");
# next to them, the simulator's prediction
# (flowplanctl -j simulate) scaled to the lab's link rate and TCP/IP framing:
# for flowplan with the probed port map, for ECMP with a port map holding
# only the ports ECMP used (every label's path is probed, so the simulator
# sees the paths the routers' hash chose), for the ideal switch its spraying.
# ECMP x4 is compared with the simulator's mean over model seeds only.
# A topology with `ipv6` (its NICs IPv6 only) runs everything over IPv6:
# TCP over IPv6 through routers hashing the IPv6 5-tuple (hash6 3:0x37; the
# hosts send flow label 0), IPv6 TCP probes answered by ICMPv6. The default
# scenarios end with the first one's IPv6 twin, and the last lines compare
# each IPv6 scenario's ratios with its IPv4 twin's of the same run.
#
# Environment: BENCH_LAB_SEEDS (default "1 2 3 4"), BENCH_LAB_RATE (Mbit/s,
# default 50), BENCH_LAB_SCENARIOS (lines "TOPO SCHED").
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LAB_DIR/../.." && pwd)
F=${FLOWPLANCTL:-$ROOT/build/flowplanctl}
TRAFFIC=${FP_TRAFFIC:-$ROOT/build/fp-traffic}
LAB=$LAB_DIR/lab.sh
SEEDS=${BENCH_LAB_SEEDS:-1 2 3 4}
RATE=${BENCH_LAB_RATE:-50}
SCENARIOS=${BENCH_LAB_SCENARIOS:-"leafspine:leaves=2,spines=4,hosts=4 ring-allreduce:bytes=4M,place=frag
fattree:k=4 ring-allreduce:bytes=2M,place=frag
leafspine:leaves=2,spines=4,hosts=4,fail=leaf0-spine1+leaf1-spine3 ring-allreduce:bytes=4M,place=frag
leafspine:leaves=2,spines=4,hosts=4,ipv6 ring-allreduce:bytes=4M,place=frag"}
# Wire bytes per payload byte: MSS 1448 (timestamps) in 1514-byte frames,
# which is what htb counts on a veth.
FRAMING=$(awk 'BEGIN {print 1514 / 1448}')
P="" W=""

cleanup() {
	[ -n "$P" ] && "$LAB" down "$P" >/dev/null 2>&1
	[ -n "$W" ] && rm -rf "$W"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" != 0 ]; then
	echo "bench-lab: skipped: the fabric lab needs root"
	exit 0
fi
if ! unshare --net true 2>/dev/null; then
	echo "bench-lab: skipped: network namespaces are not available"
	exit 0
fi
"$ROOT/scripts/deps.sh" lab
W=$(mktemp -d /tmp/flowplan-bench.XXXXXX)
# Run copies: the shared build tree may be relinked under our feet.
cp "$F" "$W/flowplanctl" && F=$W/flowplanctl || { echo "lab: $F is not built" >&2; exit 1; }
cp "$TRAFFIC" "$W/fp-traffic" && TRAFFIC=$W/fp-traffic

# cct FLOWS: run the connections, print the CCT.
cct() {
	"$TRAFFIC" -t 300 "$1" >"$1.json" || { echo "bench-lab: traffic failed" >&2; return 1; }
	jq .cct "$1.json"
}

flows() {	# MODE K SEED PLAN NICS
	jq -r --arg mode "$1" --arg k "$2" --arg seed "$3" --arg labels 64 \
		--rawfile nics "$5" -f "$LAB_DIR/flows.jq" "$4"
}

# used_map FLOWS MAP: the port map rows of exactly the connections in FLOWS.
used_map() {
	echo "# flowplan-portmap 1"
	awk 'NR == FNR { if ($0 !~ /^#/) row[$1 " " $2 " " $3] = $0; next }
	     { k = $4 " " $6 " " $7; if (k in row) print row[k]; else print "# missing " k }' "$2" "$1"
}

# nics STATE: the lab's NIC lines of the run's family (an IPv6 topology's
# NICs are in nics6 only)
nics() { if [ -s "$1/nics" ]; then echo "$1/nics"; else echo "$1/nics6"; fi; }

# probe_all STATE TOPOJSON OUT: probe every label port from every host at once.
probe_all() {
	local st=$1 h pids=()

	cat "$st/routers" "$st/routers6" >"$W/routers" 2>/dev/null || true
	for h in $(cut -d' ' -f2 "$(nics "$st")" | sort -u); do
		ip netns exec "$h" "$F" probe "$2" proto tcp dport 5201 ports 64 per-path 64 \
			rate 1000 routers "$W/routers" out "$W/map.$h" >/dev/null 2>"$W/probe.$h" &
		pids+=($!)
	done
	for h in "${pids[@]}"; do wait "$h" || true; done
	# A host whose probe failed or left pairs unresolved probes once more.
	# ("incomplete" is expected: no path gets 64 of the 64 ports.)
	for h in $(cut -d' ' -f2 "$(nics "$st")" | sort -u); do
		grep -q 'unresolved$' "$W/map.$h" 2>/dev/null || [ ! -s "$W/map.$h" ] || continue
		echo "bench-lab: ${h#*-}: $( (grep -m1 'unresolved$' "$W/map.$h" ||
			tail -1 "$W/probe.$h") 2>/dev/null); probing again" >&2
		ip netns exec "$h" "$F" probe "$2" proto tcp dport 5201 ports 64 per-path 64 \
			rate 1000 routers "$W/routers" out "$W/map.$h" >/dev/null \
			2>>"$W/probe.$h" || true
	done
	{
		echo "# flowplan-portmap 1"
		cat "$W"/map.* | grep -v '^# flowplan-portmap'
	} >"$3"
	rm -f "$W"/map.*
}

start=$(date +%s)
hits=0 cases=0 sim_ok=0 sim_n=0
while read -r topo sched; do
	[ -n "$topo" ] || continue
	"$F" topology export "$topo" >"$W/topo.json"
	gmax=$(jq '[.links[].gbps] | max' "$W/topo.json")
	scale=$(awk -v g="$gmax" -v r="$RATE" -v f="$FRAMING" 'BEGIN {print g * 1000 / r * f}')
	"$F" -j simulate "$W/topo.json" "$sched" seeds 20 >"$W/sim.json"
	sim() { jq --arg s "$1" --argjson k "$scale" \
		'.strategies[] | select(.name == $s) | .cct * $k' "$W/sim.json"; }
	sim_ecmp=$(sim ecmp) sim_ecmp4=$(sim ecmp4) sim_spray=$(sim spray) sim_fp0=$(sim flowplan)
	bound=$(jq --argjson k "$scale" '.lower_bound * $k' "$W/sim.json")

	# The ideal reference: one switch, the same host links.
	P=$("$LAB" up "$W/topo.json" ideal rate "$RATE" hash6 3:0x37)
	"$F" plan compute "$W/topo.json" "$sched" strategy ecmp out "$W/flows-plan.json" >/dev/null
	flows ecmp 1 0 "$W/flows-plan.json" "$(nics "/run/flowplan-lab/$P")" >"$W/ideal"
	ideal=$(cct "$W/ideal")
	"$LAB" down "$P"
	P=""

	best=$(awk -v i="$ideal" -v b="$bound" 'BEGIN {print (i > b ? i : b)}')
	printf '\n== %s  %s  (%s Mbit/s per %s Gbit/s link, %d flows)\n' "$topo" "$sched" \
		"$RATE" "$gmax" "$(wc -l <"$W/ideal")"
	printf 'fabric spraying bound %.3f s, ideal switch %.3f s: best reachable %.3f s\n' \
		"$bound" "$ideal" "$best"
	printf '%-5s %7s %7s %8s %7s | %7s %8s %8s %9s | %8s %6s %9s %6s  %s\n' seed ecmp \
		ecmp4 flowplan ideal ecmp/id ecmp4/id fplan/id fplan/best sim-ecmp err sim-fplan err \
		probe
	sums=""
	for seed in $SEEDS; do
		P=$("$LAB" up "$W/topo.json" seed "$seed" rate "$RATE" icmp-ratelimit 0 hash6 3:0x37)
		st=/run/flowplan-lab/$P
		t0=$(date +%s.%N)
		probe_all "$st" "$W/topo.json" "$W/map"
		tprobe=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1fs", b - a}')
		if ! "$F" plan compute "$W/topo.json" "$sched" strategy flowplan \
			portmap "$W/map" out "$W/plan.json" >"$W/plan.out" 2>&1; then
			echo "bench-lab: plan with the probed map failed: $(tail -1 "$W/plan.out")"
			"$LAB" down "$P"; P=""
			continue
		fi
		"$F" -j simulate "$W/topo.json" "$sched" strategies flowplan portmap "$W/map" \
			>"$W/simf.json"
		sim_f=$(jq --argjson k "$scale" '.strategies[0].cct * $k' "$W/simf.json")
		flows ecmp 1 "$seed" "$W/plan.json" "$(nics "$st")" >"$W/ecmp"
		flows ecmp 4 "$seed" "$W/plan.json" "$(nics "$st")" >"$W/ecmp4"
		flows plan 1 "$seed" "$W/plan.json" "$(nics "$st")" >"$W/fplan"
		used_map "$W/ecmp" "$W/map" >"$W/ecmp.map"
		if "$F" -j simulate "$W/topo.json" "$sched" strategies flowplan max-split 1 \
			portmap "$W/ecmp.map" >"$W/sime.json" 2>"$W/sime.err"; then
			sim_e=$(jq --argjson k "$scale" '.strategies[0].cct * $k' "$W/sime.json")
		else
			echo "bench-lab: no ECMP prediction: $(tail -1 "$W/sime.err")" >&2
			sim_e=0
		fi
		e=$(cct "$W/ecmp") e4=$(cct "$W/ecmp4") fp=$(cct "$W/fplan")
		"$LAB" down "$P"
		P=""
		# A hit: ECMP 30% or more behind the best reachable, flowplan within 10% of it.
		read -r re re4 rf rb err erre hit ok <<<"$(awk -v e="$e" -v e4="$e4" -v f="$fp" \
			-v i="$ideal" -v b="$best" -v s="$sim_f" -v se="$sim_e" 'BEGIN {
			err = (s - f) / f * 100
			erre = (se - e) / e * 100
			printf "%.2f %.2f %.2f %.2f %+.1f%% %+.1f%% %d %d\n", e / i, e4 / i, f / i, f / b,
				err, erre, (e / b >= 1.3) ? (f / b <= 1.1 ? 1 : 0) : -1,
				(err <= 15 && err >= -15) + (se > 0 && erre <= 15 && erre >= -15)
		}')"
		[ "$hit" -ge 0 ] && cases=$((cases + 1)) && hits=$((hits + hit))
		sums="$sums $e $e4 $fp"
		sim_n=$((sim_n + 2)) sim_ok=$((sim_ok + ok))
		printf '%-5s %7.3f %7.3f %8.3f %7.3f | %7s %8s %8s %9s | %8.3f %6s %9.3f %6s  %s\n' \
			"$seed" "$e" "$e4" "$fp" "$ideal" "$re" "$re4" "$rf" "$rb" "$sim_e" "$erre" \
			"$sim_f" "$err" "$tprobe"
	done
	# (the means also into $W/means, "TOPO ideal ecmp/id ecmp4/id fplan/id fplan/best")
	awk -v i="$ideal" -v b="$best" -v se="$sim_ecmp" -v se4="$sim_ecmp4" -v sf="$sim_spray" \
	    -v sfp="$sim_fp0" -v topo="$topo" -v means="$W/means" '
		{ for (k = 1; k <= NF; k += 3) { e += $k; e4 += $(k + 1); f += $(k + 2); n++ } }
		END { if (!n) exit
		      printf "%-5s %7.3f %7.3f %8.3f %7.3f | %7.2f %8.2f %8.2f %9.2f |\n", "mean", e / n,
			     e4 / n, f / n, i, e / n / i, e4 / n / i, f / n / i, f / n / b
		      printf "%s %.3f %.2f %.2f %.2f %.2f\n", topo, i, e / n / i, e4 / n / i, f / n / i,
			     f / n / b >>means
		      printf "%-5s %7.3f %7.3f %8.3f %7.3f | %7.2f %8.2f %8.2f %9s | simulator, ECMP: mean of 20 model seeds\n",
			     "sim", se, se4, sfp, sf, se / sf, se4 / sf, sfp / sf, "" }' <<<"$sums"
	err_i=$(awk -v s="$sim_spray" -v i="$ideal" 'BEGIN {printf "%+.1f%%", (s - i) / i * 100}')
	ok_i=$(awk -v s="$sim_spray" -v i="$ideal" 'BEGIN {d = (s - i) / i; print (d <= .15 && d >= -.15)}')
	sim_n=$((sim_n + 1)) sim_ok=$((sim_ok + ok_i))
	printf 'simulator: ideal (spray) %.3f s vs measured %.3f s (%s)\n' "$sim_spray" "$ideal" "$err_i"
done <<<"$SCENARIOS"

# Each IPv6 scenario against its IPv4 twin (the same topology without ipv6)
# of this run: the ideal switch's CCT, and each strategy's ratio to it.
touch "$W/means"
while read -r t6 i6 e6 e46 f6 b6; do
	read -r _ i4 e4 e44 f4 b4 < <(awk -v t="${t6/,ipv6/}" '$1 == t' "$W/means") || continue
	printf '\nbench-lab: IPv6 vs IPv4, %s: ideal switch %.3f s vs %.3f s (%.2fx); ecmp/id %s vs %s, ecmp4/id %s vs %s, fplan/id %s vs %s, fplan/best %s vs %s\n' \
		"${t6/,ipv6/}" "$i6" "$i4" "$(awk -v a="$i6" -v b="$i4" 'BEGIN {print a / b}')" \
		"$e6" "$e4" "$e46" "$e44" "$f6" "$f4" "$b6" "$b4"
done < <(grep ',ipv6' "$W/means")

printf '\nbench-lab: flowplan within 10%% of the best reachable (ideal switch or the fabric'"'"'s spraying bound, the higher) on %d of %d seed runs where ECMP was >= 30%% behind it;\n' \
	"$hits" "$cases"
printf 'bench-lab: simulator CCT within 15%% of measured in %d of %d cases (ECMP and flowplan per seed, ideal per scenario); %ds\n' \
	"$sim_ok" "$sim_n" "$(( $(date +%s) - start ))"
