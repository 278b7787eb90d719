#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# check.sh - the check-lab tier: a small fabric (two leaves, two spines, four
# hosts) of network namespaces. Probing finds both spines, the planner plans
# with the probed map, every planned subflow crosses the spine the plan names
# (spine interface counters), a collective runs to completion, and teardown
# leaves nothing behind, also when building fails half-way. The same fabric
# is dual stack: IPv6 UDP flows take the spine their source port (and, where
# the routers hash it, their flow label) sends them to, by the spines'
# packet counters, also while IPv4 flows run at once; probing over IPv6
# (hop limits, ICMPv6) learns a map those counters agree with.
# Ends with "lab: N passed, N failed, N skipped".
set -uo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LAB_DIR/../.." && pwd)
F=${FLOWPLANCTL:-$ROOT/build/flowplanctl}
TRAFFIC=${FP_TRAFFIC:-$ROOT/build/fp-traffic}
UDP=${FP_UDP:-$ROOT/build/fp-udp}
LAB=$LAB_DIR/lab.sh
TOPO=leafspine:leaves=2,spines=2,hosts=2
SCHED='ring-allreduce:bytes=1M,place=frag'
RUNDIR=${FLOWPLAN_LAB_RUNDIR:-/run/flowplan-lab}
pass=0 fail=0 skip=0
P="" W=""

ok() { echo "ok: $*"; pass=$((pass + 1)); }
nok() { echo "FAIL: $*"; fail=$((fail + 1)); }
skp() { echo "skip: $*"; skip=$((skip + 1)); }
finish() {
	[ -n "$P" ] && "$LAB" down "$P" >/dev/null 2>&1
	[ -n "$W" ] && rm -rf "$W"
	echo "lab: $pass passed, $fail failed, $skip skipped"
	[ "$fail" = 0 ]
	exit $?
}
trap finish EXIT
trap 'exit 130' INT TERM

# The prober's parts that need no fabric (ASan/UBSan build); the refusal
# without CAP_NET_RAW runs as nobody.
PROBE_TEST=${PROBE_TEST:-$ROOT/build/san/probe-test}
if [ -x "$PROBE_TEST" ]; then
	"$PROBE_TEST" && ok "probe-test: port map round trip, router maps, bad input" ||
		nok "probe-test"
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$PROBE_TEST" unprivileged
	else
		"$PROBE_TEST" unprivileged
	fi && ok "probe-test: without CAP_NET_RAW probing fails naming it" ||
		nok "probe-test unprivileged"
else
	nok "$PROBE_TEST is not built"
fi

if [ "$(id -u)" != 0 ]; then
	skp "the fabric lab needs root (network namespaces, raw sockets)"
	exit
fi
if ! unshare --net true 2>/dev/null; then
	skp "network namespaces are not available here (unshare --net failed)"
	exit
fi
"$ROOT/scripts/deps.sh" lab || { nok "installing the lab packages (scripts/deps.sh lab)"; exit; }
[ -x "$TRAFFIC" ] || { nok "$TRAFFIC is not built"; exit; }
[ -x "$UDP" ] || { nok "$UDP is not built"; exit; }
W=$(mktemp -d /tmp/flowplan-lab.XXXXXX)
chmod 755 "$W"	# the unprivileged probe below reads from here
# Run copies: the shared build tree may be relinked under our feet.
cp "$F" "$W/flowplanctl" && F=$W/flowplanctl || { nok "$F is not built"; exit; }
cp "$TRAFFIC" "$W/fp-traffic" && TRAFFIC=$W/fp-traffic
cp "$UDP" "$W/fp-udp" && UDP=$W/fp-udp

# Teardown after a failure half-way: a topology whose second NIC address is
# bad makes `ip addr add` fail after the namespaces exist.
jq -n '{format: "flowplan-topology", version: 1, name: "broken",
	switches: [{name: "leaf0", tier: 1}],
	hosts: [{name: "h0", nics: [{name: "h0.n0", addr: "198.18.0.1"}]},
		{name: "h1", nics: [{name: "h1.n0", addr: "198.18.0.300"}]}],
	links: [{a: "h0.n0", b: "leaf0", gbps: 100}, {a: "h1.n0", b: "leaf0", gbps: 100}]}' \
	>"$W/broken.json"
bp=fplx$$
if "$LAB" up "$W/broken.json" prefix "$bp" >/dev/null 2>&1; then
	"$LAB" down "$bp"
	nok "lab up of a broken topology succeeded"
elif ip netns list | grep -q "^$bp-" || [ -e "$RUNDIR/$bp" ]; then
	nok "a failed lab up left namespaces or state behind: $(ip netns list | grep "^$bp-" | tr '\n' ' ')"
else
	ok "a failed lab up tears down what it made"
fi

if ! "$F" topology export "$TOPO" >"$W/topo.json" 2>"$W/err"; then
	skp "the planner CLI cannot export topologies yet ($(head -1 "$W/err")); lab tests need it"
	exit
fi
# Dual stack; IPv6 hashes the 5-tuple and the flow label (policy 3, 0x3f).
if ! P=$("$LAB" up "$W/topo.json" seed 7 rate 50 ipv6 hash6 3:0x3f 2>"$W/err"); then
	nok "lab up: $(cat "$W/err")"
	P=""
	exit
fi
ST=$RUNDIR/$P
mapfile -t NICS <"$ST/nics"	# NIC NETNS ADDR IFNAME LEAF

# unreachable NICS_FILE: "SRC->DST" for each pair of its NICs ping fails between
unreachable() {
	local sns sa da
	while read -r _ sns sa _; do
		while read -r _ _ da _; do
			[ "$sa" = "$da" ] && continue
			ip netns exec "$sns" ping -c1 -W2 -I "$sa" "$da" </dev/null >/dev/null 2>&1 ||
				echo -n " $sa->$da"
		done <"$1"
	done <"$1"
}
# Every host reaches every other host across the fabric.
bad=$(unreachable "$ST/nics")
[ -z "$bad" ] && ok "fabric: all hosts reach each other" || nok "fabric: unreachable:$bad"

# Without CAP_NET_RAW the probe refuses with a message naming it.
set -- ${NICS[0]}
out=$(ip netns exec "$2" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$F" probe "$W/topo.json" routers "$ST/routers" 2>&1)
rc=$?
if [ $rc != 0 ] && grep -q CAP_NET_RAW <<<"$out"; then
	ok "unprivileged probe fails naming CAP_NET_RAW"
else
	nok "unprivileged probe: rc $rc, \"$out\""
fi

# both_spines MAP [4|6]: "PAIRS BOTH", the cross-leaf pairs of port map MAP
# (of one family when named) and how many of them crossed both spines
both_spines() {
	awk -v fam="${2:-}" '!/^#/ && $4 ~ /spine/ &&
		(fam == "" || (fam == 6) == ($1 ~ /:/)) {split($4, p, ","); print $1, $2, p[2]}' "$1" |
		sort -u | awk '{n[$1" "$2]++} END {for (k in n) { t++; b += n[k] == 2 } print t + 0, b + 0}'
}
# probe_bg NAME NETNS TOPO ROUTERS ARGS...: `flowplanctl probe TOPO` with
# ARGS in NETNS, in the background: its port map $W/NAME.map.NETNS, its
# JSON summary and errors $W/NAME.out.NETNS
PIDS=()
probe_bg() {
	local name=$1 ns=$2 topo=$3 routers=$4
	shift 4
	ip netns exec "$ns" "$F" -j probe "$topo" routers "$routers" "$@" \
		out "$W/$name.map.$ns" >"$W/$name.out.$ns" 2>&1 &
	PIDS+=("$!:$name.out.$ns")
}
# probe_hosts NAME TOPO ROUTERS ARGS...: probe_bg from every host at once
probe_hosts() {
	local h
	for h in $(cut -d' ' -f2 "$ST/nics" | sort -u); do probe_bg "$1" "$h" "${@:2}"; done
}
# probe_wait NAME...: wait for every probe started; BAD names the runs that
# failed (their last line); $W/NAME holds the rows of every run of NAME
probe_wait() {
	local x n
	BAD=""
	for x in "${PIDS[@]}"; do
		wait "${x%%:*}" || BAD="$BAD ${x#*:}($(tail -1 "$W/${x#*:}"))"
	done
	PIDS=()
	for n; do
		{ echo "# flowplan-portmap 1"; cat "$W/$n".map.* | grep -v '^# flowplan-portmap'; } >"$W/$n"
	done
}

# Probe from every host, with the TCP 5-tuple of the lab traffic, ICMP rate
# limiting left on (Linux default): each cross-leaf pair must find both spines.
probe_hosts map "$W/topo.json" "$ST/routers" proto tcp dport 5201 ports 32 per-path 2
probe_wait map
read -r npairs nboth < <(both_spines "$W/map")
if [ -z "$BAD" ] && [ "$npairs" = 8 ] && [ "$nboth" = 8 ] && ! grep -q unresolved "$W/map"; then
	ok "probe: all 8 cross-leaf pairs found both spines"
else
	nok "probe: ${BAD:+failed:$BAD; }$nboth of $npairs cross-leaf pairs found both spines (want 8 of 8)"
fi

# RoCEv2 probes (UDP to 4791), and more ports than the routers' ICMP burst
# allows (Linux: 6, then 1/s per destination): the prober loses replies,
# backs off, retries, and still resolves the pair.
# probe_limited NAME TOPO ROUTERS: h0 probes one cross-leaf pair of TOPO
# with RoCEv2 probes, 8 ports a path ($W/NAME.map, .json, .err): resolved,
# some probes lost and retried, 8 ports on each spine
set -- ${NICS[0]}; src_ns=$2 src_nic=$1
dst_nic=$(awk -v l="$5" '$5 != l {print $1; exit}' "$ST/nics")
probe_limited() {
	ip netns exec "$src_ns" "$F" -j probe "$2" pairs "$src_nic:$dst_nic" per-path 8 \
		routers "$3" out "$W/$1.map" >"$W/$1.json" 2>"$W/$1.err" &&
	[ -s "$W/$1.json" ] && jq -e '.probe.resolved == 1 and .probe.lost > 0' "$W/$1.json" >/dev/null &&
	[ "$(awk '!/^#/ {split($4, p, ","); print p[2]}' "$W/$1.map" | sort | uniq -c |
		awk '$1 >= 8' | wc -l)" = 2 ]
}
if probe_limited udp "$W/topo.json" "$ST/routers"; then
	ok "probe udp/4791 under ICMP rate limiting: 8 ports on each spine, $(jq .probe.lost "$W/udp.json") probes lost and retried"
else
	nok "probe udp/4791 under ICMP rate limiting: $(cat "$W/udp.json" "$W/udp.err")"
fi

# A plan's ports first: with one port a path wanted, the pair would stop at
# the first port of each spine; `first` ports (those an installed plan
# holds: the daemon passes them) are each probed and in the map with their
# path, however many ports their spine has already.
ip netns exec "$src_ns" "$F" -j probe "$W/topo.json" pairs "$src_nic:$dst_nic" per-path 1 \
	sports 49153-49156 first 50000-50003 routers "$ST/routers" out "$W/first.map" \
	>"$W/first.json" 2>"$W/first.err" || true
nfirst=$(awk '!/^#/ && $3 >= 50000 && $3 <= 50003 && $4 ~ /spine/' "$W/first.map" 2>/dev/null | wc -l)
if [ "$nfirst" = 4 ] && jq -e '.probe.resolved == 1' "$W/first.json" >/dev/null 2>&1; then
	ok "probe first ports: all 4 in the map with their spine at per-path 1 ($(awk '!/^#/ {split($4, p, ","); print p[2]}' "$W/first.map" | sort | uniq -c | tr -s ' \n' ' '))"
else
	nok "probe first ports: $nfirst of 4 in the map with a path; $(cat "$W/first.json" "$W/first.err" 2>/dev/null | head -c 600)"
fi

# plan_on_map WHAT TOPO MAP NICS SUFFIX: the planner plans SCHED on TOPO with
# the probed MAP ($W/planSUFFIX.json); its cross-leaf subflows, "SRC DST
# SPORT PATH BYTES" in $W/subsSUFFIX, are all on the map's ports and paths
# (NICS: lab.sh's NIC lines of the family, names to addresses)
plan_on_map() {
	local what=$1 topo=$2 map=$3 nics=$4 x=$5 s d sp path bytes sa da bad=""

	if ! "$F" plan compute "$topo" "$SCHED" strategy flowplan portmap "$map" \
		out "$W/plan$x.json" >"$W/plan$x.out" 2>&1; then
		nok "$what compute with the probed map: $(tail -2 "$W/plan$x.out")"
		return
	fi
	jq -r '.phases[].flows[] as $f | $f.subflows[] | select((.path | length) > 1)
	       | "\($f.src) \($f.dst) \(.sport) \(.path | join(",")) \(.bytes)"' \
		"$W/plan$x.json" >"$W/subs$x"
	while read -r s d sp path bytes; do
		sa=$(awk -v n="$s" '$1 == n {print $3}' "$nics")
		da=$(awk -v n="$d" '$1 == n {print $3}' "$nics")
		grep -Eq "^$sa +$da +$sp +$path\$" "$map" || bad="$bad $s->$d:$sp"
	done <"$W/subs$x"
	if [ -s "$W/subs$x" ] && [ -z "$bad" ]; then
		ok "$what: $(wc -l <"$W/subs$x") cross-leaf subflows, all on probed ports and paths"
	else
		nok "$what: subflows not in the probed map:${bad:- (none planned)}"
	fi
}
# The planner plans with the probed map; its ports and paths are the map's.
plan_on_map plan "$W/topo.json" "$W/map" "$ST/nics" ""

# Each planned subflow, alone, crosses the spine the plan names: that spine's
# interfaces carry its bytes, the other spine at most the reverse ACKs.
spine_rx() {
	ip -n "$P-$1" -s -j link show | jq '[.[] | select(.ifname != "lo") | .stats64.rx.bytes] | add'
}
if [ -s "$W/subs" ]; then
	bad="" n=0 seen=""
	while read -r s d sp path bytes; do
		set -- $(awk -v n="$s" '$1 == n {print $2, $3}' "$ST/nics"); sns=$1 sa=$2
		set -- $(awk -v n="$d" '$1 == n {print $2, $3}' "$ST/nics"); dns=$1 da=$2
		want=$(tr ',' '\n' <<<"$path" | grep spine)
		b=1000000
		echo "0 0 $sns $sa $dns $da $sp $b" >"$W/one"
		declare -A before=()
		for sw in spine0 spine1; do before[$sw]=$(spine_rx $sw); done
		"$TRAFFIC" -t 60 "$W/one" >/dev/null || { bad="$bad $s->$d:$sp(traffic failed)"; continue; }
		for sw in spine0 spine1; do
			dlt=$(( $(spine_rx $sw) - before[$sw] ))
			if [ "$sw" = "$want" ] && [ "$dlt" -lt "$b" ]; then
				bad="$bad $s->$d:$sp($sw +$dlt, planned)"
			elif [ "$sw" != "$want" ] && [ "$dlt" -gt $((b / 10)) ]; then
				bad="$bad $s->$d:$sp($sw +$dlt, not planned)"
			fi
		done
		n=$((n + 1))
		seen="$seen $want"
	done <"$W/subs"
	spines=$(tr ' ' '\n' <<<"$seen" | sort -u | grep -c spine)
	if [ -z "$bad" ] && [ "$n" -gt 0 ]; then
		ok "counters: $n planned subflows each crossed its planned spine ($spines spines used)"
	else
		nok "counters:$bad"
	fi
else
	skp "counters: no plan to check"
fi

# The whole collective through the fabric: every flow completes.
if [ -s "$W/plan.json" ]; then
	jq -r --arg mode plan --arg k 1 --arg seed 1 --rawfile nics "$ST/nics" \
		-f "$LAB_DIR/flows.jq" "$W/plan.json" >"$W/flows"
	if "$TRAFFIC" -t 120 "$W/flows" >"$W/res.json" 2>"$W/err" &&
	   jq -e --argjson n "$(jq '[.phases[].flows[]] | length' "$W/plan.json")" \
		'([.phases[].flows[]] | length) == $n and .cct > 0' "$W/res.json" >/dev/null; then
		ok "collective: $(jq '[.phases[].flows[]] | length' "$W/res.json") flows completed, CCT $(jq .cct "$W/res.json") s"
	else
		nok "collective: $(cat "$W/err")"
	fi
else
	skp "collective: no plan"
fi

# ---- IPv6 and dual stack (issue 15) ----
# UDP flows to 4791 (RoCEv2) from h0 to a host behind the other leaf: which
# spine each one crosses, by the spines' own packet counters. N datagrams a
# flow; the spine that carried it counts at least what arrived, the other at
# most N/10 (neighbour discovery and the like, a few packets).
mapfile -t NICS6 <"$ST/nics6"	# NIC NETNS ADDR6 IFNAME LEAF
N=100
spine_pk() {
	ip -n "$P-$1" -s -j link show | jq '[.[] | select(.ifname != "lo") | .stats64.rx.packets] | add'
}
# flow_spine SRC_NS SRC SPORT DST_NS DST LABEL: spine0, spine1, or ?(why)
flow_spine() {
	local a0 a1 d0 d1 rcv

	echo "$1 $2 $3 $4 $5 4791 $6" >"$W/u1"
	a0=$(spine_pk spine0)
	a1=$(spine_pk spine1)
	"$UDP" -c $N "$W/u1" >"$W/u1.json" 2>"$W/u1.err" || { echo "?(fp-udp: $(cat "$W/u1.err"))"; return; }
	d0=$(( $(spine_pk spine0) - a0 ))
	d1=$(( $(spine_pk spine1) - a1 ))
	rcv=$(jq .received "$W/u1.json")
	if [ "$6" != 0 ] && [ "$(jq -c .labels "$W/u1.json")" != "[$6]" ]; then
		echo "?(label $6 sent, $(jq -c .labels "$W/u1.json") received)"
	elif [ "$rcv" -lt $((N * 9 / 10)) ]; then
		echo "?($rcv of $N received)"
	elif [ $d0 -ge "$rcv" ] && [ $d1 -le $((N / 10)) ]; then
		echo spine0
	elif [ $d1 -ge "$rcv" ] && [ $d0 -le $((N / 10)) ]; then
		echo spine1
	else
		echo "?(spine0 +$d0, spine1 +$d1 packets)"
	fi
}
# learn NAME FAMILY VARY: one flow at a time, VARY "sport" (label 0) or
# "label" (sport 49153), until both spines carried some and 4 were tried
# (at most 32: on a kernel without the hash seed the map is the boot's).
# Writes "SRC_NS SRC SPORT DST_NS DST LABEL SPINE" lines to $W/learn.NAME.
learn() {
	local name=$1 fam=$2 vary=$3 i sp lb s0 s1 sns sa dns da sw
	local -a src dst

	if [ "$fam" = 6 ]; then
		read -ra src <<<"${NICS6[0]}"
		read -ra dst <<<"$(awk -v l="${src[4]}" '$5 != l {print; exit}' "$ST/nics6")"
	else
		read -ra src <<<"${NICS[1]}"
		read -ra dst <<<"$(awk -v l="${src[4]}" '$5 != l' "$ST/nics" | tail -1)"
	fi
	sns=${src[1]} sa=${src[2]} dns=${dst[1]} da=${dst[2]}
	: >"$W/learn.$name"
	s0=0 s1=0
	for ((i = 1; i <= 32; i++)); do
		if [ "$vary" = sport ]; then sp=$((49152 + i)) lb=0; else sp=49153 lb=$i; fi
		sw=$(flow_spine "$sns" "$sa" $sp "$dns" "$da" $lb)
		echo "$sns $sa $sp $dns $da $lb $sw" >>"$W/learn.$name"
		case $sw in
		spine0) s0=$((s0 + 1)) ;;
		spine1) s1=$((s1 + 1)) ;;
		*) return 1 ;;
		esac
		[ $i -ge 4 ] && [ $s0 -gt 0 ] && [ $s1 -gt 0 ] && return 0
	done
	return 1
}
learn_summary() {
	echo "$(wc -l <"$W/learn.$1") flows, $(grep -c ' spine0$' "$W/learn.$1") via spine0, $(grep -c ' spine1$' "$W/learn.$1") via spine1"
}

bad=$(unreachable "$ST/nics6")
if [ ${#NICS6[@]} = 4 ] && [ -z "$bad" ]; then
	ok "ipv6: all hosts reach each other over IPv6 (${NICS6[0]%% *}: $(set -- ${NICS6[0]}; echo $3))"
else
	nok "ipv6: ${#NICS6[@]} IPv6 NICs, unreachable:$bad"
fi

# Every flow on one spine, both spines used, a flow sent again takes its spine
# again: the IPv6 source port steers, as for IPv4.
if learn v6port 6 sport; then
	set -- $(head -1 "$W/learn.v6port")
	again=$(flow_spine "$1" "$2" "$3" "$4" "$5" "$6")
	if [ "$again" = "$7" ]; then
		ok "ipv6 ecmp: the UDP source port picks the spine ($(learn_summary v6port)), again the same"
	else
		nok "ipv6 ecmp: port $3 took $7, then $again"
	fi
else
	nok "ipv6 ecmp by source port: $(tr '\n' ';' <"$W/learn.v6port")"
fi

# fib_multipath_hash_fields 0x3f hashes the flow label: with one source port
# the label alone moves the flow, and arrives as sent (IPV6_FLOWINFO_SEND).
if learn v6label 6 label; then
	ok "ipv6 ecmp: under policy 3 with the flow label field, the label moves the path ($(learn_summary v6label)), labels arrive as sent"
else
	nok "ipv6 flow label under policy 3 + 0x08: $(tr '\n' ';' <"$W/learn.v6label")"
fi

if learn v4port 4 sport; then :; else
	nok "ipv4 udp ecmp by source port: $(tr '\n' ';' <"$W/learn.v4port")"
fi

# Dual stack at once: every learned flow, IPv4 and IPv6 together; each spine
# carries the sum of the flows learned on it (a flow on the other spine would
# move N packets).
cat "$W/learn.v6port" "$W/learn.v6label" "$W/learn.v4port" | grep -E ' spine[01]$' >"$W/dual"
awk '{print $1, $2, $3, $4, $5, 4791, $6}' "$W/dual" >"$W/dual.flows"
want0=$(( $(grep -c ' spine0$' "$W/dual") * N ))
want1=$(( $(grep -c ' spine1$' "$W/dual") * N ))
a0=$(spine_pk spine0)
a1=$(spine_pk spine1)
if "$UDP" -c $N "$W/dual.flows" >"$W/dual.json" 2>"$W/dual.err"; then
	d0=$(( $(spine_pk spine0) - a0 ))
	d1=$(( $(spine_pk spine1) - a1 ))
	lost=$(jq -s 'map(.lost) | add' "$W/dual.json")
	nf=$(wc -l <"$W/dual")
	n4=$(grep -c ' 198\.' "$W/dual")
	if [ "$n4" -gt 0 ] && [ $((nf - n4)) -gt 0 ] &&
	   [ $d0 -ge $((want0 - lost)) ] && [ $d0 -le $((want0 + N / 2)) ] &&
	   [ $d1 -ge $((want1 - lost)) ] && [ $d1 -le $((want1 + N / 2)) ]; then
		ok "dual stack: $n4 IPv4 and $((nf - n4)) IPv6 flows at once, spine0 +$d0 packets (learned $want0), spine1 +$d1 (learned $want1), $lost lost"
	else
		nok "dual stack: $n4 IPv4, $((nf - n4)) IPv6 flows: spine0 +$d0 (want $want0), spine1 +$d1 (want $want1), $lost lost"
	fi
else
	nok "dual stack: $(cat "$W/dual.err")"
fi

# IPv6 probing: the same fabric described by its IPv6 addresses (lab.sh's
# nics6), hop-limited RoCEv2 probes (UDP to 4791, each with the flow label
# its port stands for) answered by ICMPv6 time exceeded from the routers'
# IPv6 addresses, named by one router map of both families. From every host
# at once; alongside, on h0, one run probes both families (topo46: every NIC
# twice, its IPv4 and its IPv6 address, on the same link), IPv6 pairs the
# same as h0's IPv6-only run, which must not take the other's replies.
jq --rawfile n6 "$ST/nics6" '
	($n6 | split("\n") | map(select(length > 0) | split(" ") | {(.[0]): .[2]}) | add) as $m
	| .name = "lab6" | .hash.fields = "l4+flowlabel"
	| .hosts[].nics[] |= (.addr = $m[.name])' "$W/topo.json" >"$W/topo6.json"
jq --rawfile n6 "$ST/nics6" '
	($n6 | split("\n") | map(select(length > 0) | split(" ") | {(.[0]): .[2]}) | add) as $m
	| .name = "lab46" | .hash.fields = "l4+flowlabel"
	| .hosts[].nics |= (. + [.[] | {name: (.name + "v6"), addr: $m[.name]}])
	| .links += [.links[] | select($m[.a]) | .a += "v6"] + [.links[] | select($m[.b]) | .b += "v6"]' \
	"$W/topo.json" >"$W/topo46.json"
cat "$ST/routers" "$ST/routers6" >"$W/routers46"
# RoCEv2 probes (UDP to 4791) and TCP probes (the lab traffic's 5-tuple,
# to 5201) from every host, and the dual-family run on h0, all at once
probe_hosts map6 "$W/topo6.json" "$W/routers46" ports 32 per-path 2
probe_hosts map6tcp "$W/topo6.json" "$W/routers46" proto tcp dport 5201 ports 32 per-path 2
set -- ${NICS[0]}; h0ns=$2
probe_bg map46 "$h0ns" "$W/topo46.json" "$W/routers46" ports 16 per-path 2
probe_wait map6 map6tcp map46
read -r npairs nboth < <(both_spines "$W/map6")
nrows=$(awk '!/^#/ && $4 ~ /spine/' "$W/map6" | wc -l)
read -r _ b4 < <(both_spines "$W/map46" 4)
read -r _ b6 < <(both_spines "$W/map46" 6)
if [ -z "$BAD" ] && [ "$npairs" = 8 ] && [ "$nboth" = 8 ] && ! grep -q unresolved "$W/map6" &&
   ! grep -q '^198\.' "$W/map6" && [ "$b4" = 2 ] && [ "$b6" = 2 ] && ! grep -q unresolved "$W/map46"; then
	ok "ipv6 probe: all 8 cross-leaf IPv6 pairs found both spines ($nrows ports); one run on h0 found both for its 2 IPv4 and 2 IPv6 cross-leaf pairs at once"
else
	nok "ipv6 probe: ${BAD:+failed:$BAD; }$nboth of $npairs cross-leaf IPv6 pairs found both spines (want 8 of 8); dual-family run: $b4 IPv4 and $b6 IPv6 pairs found both spines (want 2 and 2); $(grep -h '^#' "$W"/map6.map.* | grep -v flowplan-portmap | head -3 | tr '\n' ';')"
fi
# The IPv4 TCP probe's twin: TCP SYNs to 5201 over IPv6 (the token in the
# sequence number, the run's number in the acknowledgment), at the same
# time as the UDP runs on the same hosts, whose replies they must not take
read -r npairs nboth < <(both_spines "$W/map6tcp")
if [ "$npairs" = 8 ] && [ "$nboth" = 8 ] && ! grep -q unresolved "$W/map6tcp" &&
   ! grep -q '^198\.' "$W/map6tcp"; then
	ok "ipv6 tcp probe: all 8 cross-leaf IPv6 pairs found both spines with TCP/5201 probes ($(awk '!/^#/ && $4 ~ /spine/' "$W/map6tcp" | wc -l) ports)"
else
	nok "ipv6 tcp probe: $nboth of $npairs cross-leaf IPv6 pairs found both spines (want 8 of 8); $(grep -h '^#' "$W"/map6tcp.map.* | grep -v flowplan-portmap | head -3 | tr '\n' ';')"
fi

# ICMPv6 rate limiting, the IPv4 check's twin: the lab's routers send their
# ICMPv6 errors unlimited; here at the kernel's default ratelimit, 1000 ms
# (per destination, after a burst of 6; the routes to the hosts are /128,
# which the kernel does not widen).
routers6_sysctl() {
	local r
	for r in $(awk '!/^#/ {print $2}' "$ST/routers6" | sort -u); do
		ip netns exec "$P-$r" sysctl -qw "$@"
	done
}
routers6_sysctl net.ipv6.icmp.ratelimit=1000
if probe_limited udp6 "$W/topo6.json" "$W/routers46"; then
	ok "ipv6 probe udp/4791 under ICMPv6 rate limiting (net.ipv6.icmp.ratelimit 1000): 8 ports on each spine, $(jq .probe.lost "$W/udp6.json") probes lost and retried"
else
	nok "ipv6 probe udp/4791 under ICMPv6 rate limiting: $(cat "$W/udp6.json" "$W/udp6.err")"
fi
# A spine that answers nothing more (its limit an hour): the prober learns
# the other spine's ports and says what it could not learn, the pair
# unresolved with the paths it found and why, and exits 1. (The JSON must
# be there: jq 1.6 -e passes on an empty input.)
ip netns exec "$P-spine1" sysctl -qw net.ipv6.icmp.ratelimit=3600000
ip netns exec "$src_ns" "$F" -j probe "$W/topo6.json" pairs "$src_nic:$dst_nic" per-path 2 \
	retries 2 timeout 200 routers "$W/routers46" out "$W/mute6.map" >"$W/mute6.json" 2>"$W/mute6.err"
rc=$?
if [ $rc = 1 ] && grep -q 'some pairs are unresolved' "$W/mute6.err" && [ -s "$W/mute6.json" ] &&
   jq -e '.probe.resolved == 0 and (.probe.unresolved | length) == 1 and
	  (.probe.unresolved[0] | .paths_found == 1 and .paths_expected == 2 and
	   (.why | length > 0))' "$W/mute6.json" >/dev/null &&
   [ "$(awk '!/^#/ && $4 ~ /spine/ {split($4, p, ","); print p[2]}' "$W/mute6.map" | sort -u)" = spine0 ]; then
	ok "ipv6 probe with spine1's ICMPv6 errors cut off: exit 1, the pair unresolved ($(jq -r '.probe.unresolved[0] | "\(.paths_found) of \(.paths_expected) paths: \(.why)"' "$W/mute6.json")), spine0's ports kept"
else
	nok "ipv6 probe with spine1 mute: rc $rc; $(cat "$W/mute6.json" "$W/mute6.err" "$W/mute6.map" 2>/dev/null | tr '\n' ' ' | cut -c1-600)"
fi
routers6_sysctl net.ipv6.icmp.ratelimit=0

# Every learned cross-leaf port of h0, from both runs (IPv6; IPv6 and IPv4),
# sent as a flow (its port, on IPv6 its label): the spine whose counters
# move is the map's.
agree=0 bad=""
while read -r sa da sp path; do
	want=$(tr ',' '\n' <<<"$path" | grep spine)
	dns=$(awk -v a="$da" '$3 == a {print $2}' "$ST/nics6" "$ST/nics")
	if [[ $sa == *:* ]]; then lb=$((sp >= 49152 ? sp & 0x3fff : 0)); else lb=0; fi
	got=$(flow_spine "$h0ns" "$sa" "$sp" "$dns" "$da" $lb)
	if [ "$got" = "$want" ]; then agree=$((agree + 1)); else bad="$bad $sa:$sp($want, took $got)"; fi
done < <(awk '!/^#/ && $4 ~ /spine/ {print $1, $2, $3, $4}' "$W/map6.map.$h0ns" "$W/map46")
n6=$(awk '!/^#/ && $4 ~ /spine/' "$W/map6.map.$h0ns" | wc -l)
n46=$(awk '!/^#/ && $4 ~ /spine/ && $1 ~ /:/' "$W/map46" | wc -l)
n4=$(awk '!/^#/ && $4 ~ /spine/ && $1 !~ /:/' "$W/map46" | wc -l)
if [ -z "$bad" ] && [ "$n6" -ge 8 ] && [ "$n46" -ge 8 ] && [ "$n4" -ge 8 ]; then
	ok "ipv6 probe vs counters: $agree of $agree learned ports of h0 ($n6 IPv6; $n46 IPv6 + $n4 IPv4 from the dual-family run) crossed the spine the map names"
else
	nok "ipv6 probe vs counters: $agree agree of $n6 IPv6 and $n46 IPv6 + $n4 IPv4 ports;$bad"
fi

# The planner plans the IPv6 fabric with the IPv6 map: ports and paths its.
plan_on_map "ipv6 plan" "$W/topo6.json" "$W/map6" "$ST/nics6" 6

# Policy 1 (layer 4) leaves the flow label out: with one source port every
# label takes the same spine; the source port still moves it.
for r in leaf0 leaf1; do
	ip netns exec "$P-$r" sysctl -qw net.ipv6.fib_multipath_hash_policy=1
done
set -- ${NICS6[0]}; sns=$2 sa=$3
set -- $(awk -v l="$5" '$5 != l {print; exit}' "$ST/nics6"); dns=$2 da=$3
seen=""
for lb in 1 2 3 4 5 6 7 8; do
	seen="$seen $(flow_spine "$sns" "$sa" 49153 "$dns" "$da" $lb)"
done
if [ "$(tr ' ' '\n' <<<"$seen" | sed '/^$/d' | sort -u | wc -l)" = 1 ] && [[ $seen != *'?'* ]] &&
   learn v6p1 6 sport; then
	ok "ipv6 ecmp: under policy 1 eight flow labels take one spine ($(tr ' ' '\n' <<<"$seen" | sed '/^$/d' | head -1)), source ports still spread ($(learn_summary v6p1))"
else
	nok "ipv6 policy 1: labels 1..8 took$seen; ports: $(tr '\n' ';' <"$W/learn.v6p1" 2>/dev/null)"
fi

# Teardown leaves no namespace, link, process or state behind.
"$LAB" down "$P"
left=$(ip netns list | grep -c "^$P-")
procs=$(pgrep -x fp-traffic -P $$ | wc -l)
if [ "$left" = 0 ] && [ ! -e "$ST" ] && [ "$procs" = 0 ]; then
	ok "teardown: no namespace, process or state of the lab left"
else
	nok "teardown: $left namespaces of $P left, $procs runners, state $( [ -e "$ST" ] && echo present || echo gone)"
fi
P=""

# A failed link is not built: leaf0 has no port to spine1 and every probed
# path of h0 crosses spine0; lab.sh run tears down after its command.
if "$F" topology export "leafspine:leaves=2,spines=2,hosts=1,fail=leaf0-spine1" \
	>"$W/fail.json" 2>"$W/err"; then
	out=$("$LAB" run "$W/fail.json" seed 3 -- bash -c '
		echo "prefix $LAB_PREFIX"
		! ip -n "$LAB_PREFIX-leaf0" link show spine1 >/dev/null 2>&1 || exit 9
		ip netns exec "$LAB_PREFIX-h0" "$0" probe "$1" proto tcp dport 5201 \
			per-path 4 routers "$LAB_STATE/routers"' "$F" "$W/fail.json" 2>&1)
	rc=$?
	fp=$(awk '/^prefix / {print $2}' <<<"$out")
	paths=$(awk '/^198/ {print $4}' <<<"$out" | sort -u | tr '\n' ' ')
	if [ $rc = 0 ] && [ "$paths" = "leaf0,spine0,leaf1 " ] && [ -n "$fp" ] &&
	   ! ip netns list | grep -q "^$fp-"; then
		ok "failed link: not built, every path via spine0, lab.sh run cleaned up"
	else
		nok "failed link: rc $rc, paths: $paths; $out"
	fi
else
	skp "failed link: cannot export the topology ($(head -1 "$W/err"))"
fi
