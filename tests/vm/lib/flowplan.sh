# shellcheck shell=bash
# flowplan.sh - helpers for tests that drive flowplan.ko and flowplanctl.
# Source common.sh first.
#
#   need_ctl OBJECT [COMMAND...]
#                          skip unless flowplanctl knows OBJECT COMMAND
#                          (e.g. need_ctl plan set show delete)
#   write_plan FILE GEN [ENTRY]...
#       a plan file (docs/formats.md) holding only "entries"; each ENTRY is
#       "SRC DST DQPN ENFORCE SPORT[,SPORT...]" (ENFORCE true|false); flow
#       labels are SPORT - 0xC000, weights split evenly
#   plan_json              flowplanctl -j plan show
#   counter_packets DST SPORT [FIELD]
#                          the module's packets (or FIELD) for DST, SPORT
#   start_monitor FILE / monitor_has FILE REGEX / stop_monitor
# With fabric.sh (fabric_up done), to let the planner compute plans:
#   fabric_topology FILE [DOWN_SPINE]
#                          the VM fabric as a topology file (h1.n0, h2.n0,
#                          leaf1/2, spine1/2); leaf1-DOWN_SPINE marked down;
#                          with DUAL set, each NIC dual-stack (H1 and H1_6)
#   fabric_portmap FILE [DOWN_SPINE [COUNT]]
#                          a port map of COUNT (8) ports from 49153 for
#                          h1 -> h2 and h2 -> h1, learned with spine_of in
#                          this boot (paths over DOWN_SPINE left out)
#   plan_spine PLAN        the spine of the first subflow of the first flow

need_ctl() {
	local obj=$1 c out
	shift
	command -v flowplanctl >/dev/null || skip "flowplanctl is not built"
	# Whole outputs, not pipes: grep -q would end the pipe early (SIGPIPE
	# under pipefail).
	out=$(flowplanctl help 2>&1 || true)
	grep -qw "$obj" <<<"$out" ||
		skip "flowplanctl has no \"$obj\" command yet"
	out=$(flowplanctl "$obj" help 2>&1 || true)
	for c in "$@"; do
		grep -q "flowplanctl $obj $c" <<<"$out" ||
			skip "flowplanctl has no \"$obj $c\" command yet"
	done
}

write_plan() {
	local file=$1 gen=$2 sep="" e src dst dqpn enf sports s n i w sub
	shift 2
	{
		printf '{ "format": "flowplan-plan", "version": 1, "generation": %s,\n' "$gen"
		printf '  "topology": "vm-2x2", "schedule": "vm", "strategy": "flowplan",\n'
		printf '  "entries": ['
		for e in "$@"; do
			read -r src dst dqpn enf sports <<<"$e"
			IFS=, read -r -a s <<<"$sports"
			n=${#s[@]}
			sub=""
			for ((i = 0; i < n; i++)); do
				w=$((65536 / n))
				[ $i = $((n - 1)) ] && w=$((65536 - w * (n - 1)))
				sub="$sub${sub:+, }{ \"flow_label\": $((s[i] - 0xc000)), \"sport\": ${s[i]}, \"weight\": $w }"
			done
			printf '%s\n    { "src_addr": "%s", "dst_addr": "%s", "dqpn": %s, "enforce": %s,\n      "subflows": [ %s ] }' \
				"$sep" "$src" "$dst" "$dqpn" "$enf" "$sub"
			sep=,
		done
		printf ' ],\n  "phases": [] }\n'
	} >"$file"
}

plan_json() { flowplanctl -j plan show; }

counter_packets() {
	flowplanctl -j counters show | jq -r --arg d "$1" --argjson p "$2" \
		--arg f "${3:-packets}" \
		'[.. | objects | select((.remote_addr // .dst_addr // .remote) == $d
			and .sport == $p) | .[$f]] | add // 0'
}

start_monitor() {
	flowplanctl monitor >"$1" 2>&1 &
	MONITOR_PID=$!
}

monitor_has() { grep -E "$2" "$1" >/dev/null; }

stop_monitor() {
	kill "$MONITOR_PID" 2>/dev/null || true
	wait "$MONITOR_PID" 2>/dev/null || true
}

fabric_topology() {
	local up1=true up2=true a1="\"addr\": \"$H1\"" a2="\"addr\": \"$H2\""
	if [ -n "${DUAL:-}" ]; then	# dual-stack NICs: both families' addresses
		a1="\"addrs\": [ \"$H1\", \"$H1_6\" ]" a2="\"addrs\": [ \"$H2\", \"$H2_6\" ]"
	fi
	[ "${2:-}" = 1 ] && up1=false
	[ "${2:-}" = 2 ] && up2=false
	cat >"$1" <<EOT
{ "format": "flowplan-topology", "version": 1, "name": "vm-2x2",
  "switches": [ { "name": "leaf1", "tier": 1 }, { "name": "leaf2", "tier": 1 },
    { "name": "spine1", "tier": 2 }, { "name": "spine2", "tier": 2 } ],
  "hosts": [ { "name": "h1", "nics": [ { "name": "h1.n0", $a1 } ] },
    { "name": "h2", "nics": [ { "name": "h2.n0", $a2 } ] } ],
  "links": [ { "a": "h1.n0", "b": "leaf1", "gbps": 1 },
    { "a": "h2.n0", "b": "leaf2", "gbps": 1 },
    { "a": "leaf1", "b": "spine1", "gbps": 1, "up": $up1 },
    { "a": "leaf1", "b": "spine2", "gbps": 1, "up": $up2 },
    { "a": "leaf2", "b": "spine1", "gbps": 1 },
    { "a": "leaf2", "b": "spine2", "gbps": 1 } ] }
EOT
}

fabric_portmap() {
	local file=$1 down=${2:-0} n=${3:-8} p s
	echo "# flowplan-portmap 1" >"$file"
	for ((p = 49153; p < 49153 + n; p++)); do
		s=$(spine_of $p "$H1" "$H2")
		[ "$s" = "$down" ] ||
			echo "$H1 $H2 $p leaf1,spine$s,leaf2" >>"$file"
		s=$(spine_of $p "$H2" "$H1")
		echo "$H2 $H1 $p leaf2,spine$s,leaf1" >>"$file"
	done
}

plan_spine() {
	jq -r '.phases[0].flows[0].subflows[0].path[] | select(startswith("spine"))' "$1" |
		head -1 | sed 's/spine//'
}
