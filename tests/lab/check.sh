#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# check.sh - the check-lab tier: a small fabric (two leaves, two spines, four
# hosts) of network namespaces. Probing finds both spines, the planner plans
# with the probed map, every planned subflow crosses the spine the plan names
# (spine interface counters), a collective runs to completion, and teardown
# leaves nothing behind, also when building fails half-way.
# Ends with "lab: N passed, N failed, N skipped".
set -uo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LAB_DIR/../.." && pwd)
F=${FLOWPLANCTL:-$ROOT/build/flowplanctl}
TRAFFIC=${FP_TRAFFIC:-$ROOT/build/fp-traffic}
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
W=$(mktemp -d /tmp/flowplan-lab.XXXXXX)
chmod 755 "$W"	# the unprivileged probe below reads from here
# Run copies: the shared build tree may be relinked under our feet.
cp "$F" "$W/flowplanctl" && F=$W/flowplanctl || { nok "$F is not built"; exit; }
cp "$TRAFFIC" "$W/fp-traffic" && TRAFFIC=$W/fp-traffic

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
if ! P=$("$LAB" up "$W/topo.json" seed 7 rate 50 2>"$W/err"); then
	nok "lab up: $(cat "$W/err")"
	P=""
	exit
fi
ST=$RUNDIR/$P
mapfile -t NICS <"$ST/nics"	# NIC NETNS ADDR IFNAME LEAF

# Every host reaches every other host across the fabric.
bad=""
for a in "${NICS[@]}"; do
	for b in "${NICS[@]}"; do
		set -- $a; sns=$2 sa=$3
		set -- $b; da=$3
		[ "$sa" = "$da" ] && continue
		ip netns exec "$sns" ping -c1 -W2 -I "$sa" "$da" >/dev/null 2>&1 || bad="$bad $sa->$da"
	done
done
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

# Probe from every host, with the TCP 5-tuple of the lab traffic, ICMP rate
# limiting left on (Linux default): each cross-leaf pair must find both spines.
echo "# flowplan-portmap 1" >"$W/map"
bad=""
for h in $(cut -d' ' -f2 "$ST/nics" | sort -u); do
	ip netns exec "$h" "$F" probe "$W/topo.json" proto tcp dport 5201 ports 32 \
		per-path 2 routers "$ST/routers" out "$W/map.$h" >"$W/probe.$h" 2>&1 ||
		bad="$bad $h($(tail -1 "$W/probe.$h"))"
	grep -v '^# flowplan-portmap' "$W/map.$h" >>"$W/map" 2>/dev/null
done
cross=$(awk '!/^#/ && $4 ~ /spine/ {split($4, p, ","); print $1, $2, p[2]}' "$W/map" |
	sort -u | awk '{n[$1" "$2]++} END {for (k in n) print k, n[k]}')
npairs=$(wc -l <<<"$cross")
nboth=$(awk '$3 == 2' <<<"$cross" | wc -l)
if [ -z "$bad" ] && [ "$npairs" = 8 ] && [ "$nboth" = 8 ] && ! grep -q unresolved "$W/map"; then
	ok "probe: all 8 cross-leaf pairs found both spines"
else
	nok "probe: ${bad:+failed:$bad; }$nboth of $npairs cross-leaf pairs found both spines (want 8 of 8)"
fi

# RoCEv2 probes (UDP to 4791), and more ports than the routers' ICMP burst
# allows (Linux: 6, then 1/s per destination): the prober loses replies,
# backs off, retries, and still resolves the pair.
set -- ${NICS[0]}; src_ns=$2 src_nic=$1
dst_nic=$(awk -v l="$5" '$5 != l {print $1; exit}' "$ST/nics")
if ip netns exec "$src_ns" "$F" -j probe "$W/topo.json" pairs "$src_nic:$dst_nic" \
	per-path 8 routers "$ST/routers" out "$W/map.udp" >"$W/udp.json" 2>"$W/udp.err" &&
   jq -e '.probe.resolved == 1 and .probe.lost > 0' "$W/udp.json" >/dev/null &&
   [ "$(awk '!/^#/ {split($4, p, ","); print p[2]}' "$W/map.udp" | sort | uniq -c |
	awk '$1 >= 8' | wc -l)" = 2 ]; then
	ok "probe udp/4791 under ICMP rate limiting: 8 ports on each spine, $(jq .probe.lost "$W/udp.json") probes lost and retried"
else
	nok "probe udp/4791 under ICMP rate limiting: $(cat "$W/udp.json" "$W/udp.err")"
fi

# The planner plans with the probed map; its ports and paths are the map's.
if "$F" plan compute "$W/topo.json" "$SCHED" strategy flowplan portmap "$W/map" \
	out "$W/plan.json" >"$W/plan.out" 2>&1; then
	jq -r '.phases[].flows[] as $f | $f.subflows[] | select((.path | length) > 1)
	       | "\($f.src) \($f.dst) \(.sport) \(.path | join(",")) \(.bytes)"' \
		"$W/plan.json" >"$W/subs"
	bad=""
	while read -r s d sp path bytes; do
		sa=$(awk -v n="$s" '$1 == n {print $3}' "$ST/nics")
		da=$(awk -v n="$d" '$1 == n {print $3}' "$ST/nics")
		grep -Eq "^$sa +$da +$sp +$path\$" "$W/map" || bad="$bad $s->$d:$sp"
	done <"$W/subs"
	if [ -s "$W/subs" ] && [ -z "$bad" ]; then
		ok "plan: $(wc -l <"$W/subs") cross-leaf subflows, all on probed ports and paths"
	else
		nok "plan: subflows not in the probed map:${bad:- (none planned)}"
	fi
else
	nok "plan compute with the probed map: $(tail -2 "$W/plan.out")"
fi

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
