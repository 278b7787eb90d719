#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# lab.sh - a flowplan fabric of network namespaces on this machine.
#
#   lab.sh up TOPO [seed S] [rate MBIT] [prefix P] [ideal] [icmp-ratelimit MS]
#             [ipv6] [hash6 POLICY[:FIELDS]]
#   lab.sh down [P|all]        tear down lab P ($LAB_PREFIX, or the only lab,
#                              when not given), or every lab lab.sh recorded
#   lab.sh run TOPO [options] -- CMD [ARGS]
#                              up, run CMD with LAB_PREFIX and LAB_STATE set,
#                              down on exit (even on failure or a signal)
#   lab.sh list
#
# TOPO is a topology file or generator string (docs/formats.md), resolved with
# `flowplanctl topology export`, or a resolved topology JSON file. Every host
# is a namespace P-<host> with its NICs as veths n0, n1, ...; every switch a
# namespace P-<switch>, a Linux router doing ECMP on the 5-tuple hash
# (fib_multipath_hash_policy=3 over addresses, protocol and ports; see
# fabric.jq for why not policy 1) with fib_multipath_hash_seed fixed by the
# run seed. Links with "up": false are not created. Every link is shaped with htb
# to its share of MBIT (the fastest link of the topology gets MBIT). `ideal`
# builds the non-blocking reference instead: one switch "big" with the same
# host links. `ipv6` builds a dual-stack fabric (implied when a NIC's address
# in the topology is IPv6): every NIC gets an IPv6 address too, routers route
# both families, IPv6 ECMP hashes with net.ipv6.fib_multipath_hash_policy
# POLICY and, for policy 3, net.ipv6.fib_multipath_hash_fields FIELDS
# (default 1, the 5-tuple, right for UDP such as RoCEv2; 3:0x37 hashes the
# same fields also for TCP, whose packets carry the socket's own hash between
# namespaces; 3:0x3f adds the flow label, field 0x08; see fabric.jq).
#
# State lives in /run/flowplan-lab/P/: netns (the namespaces this run made,
# the only ones teardown deletes), routers ("ADDR SWITCH", the prober's hop
# map), nics ("NIC NETNS ADDR IFNAME LEAF"), ports ("NETNS IFNAME NODE PEER
# KBIT"), topo.json, env; with IPv6 also routers6 and nics6 (the same lines
# with IPv6 addresses). Nothing is created outside those namespaces.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LAB_DIR/../.." && pwd)
RUNDIR=${FLOWPLAN_LAB_RUNDIR:-/run/flowplan-lab}
FLOWPLANCTL=${FLOWPLANCTL:-$ROOT/build/flowplanctl}

die() { echo "lab.sh: $*" >&2; exit 1; }

lab_check() {
	[ "$(id -u)" = 0 ] || die "needs root (network namespaces, CAP_SYS_ADMIN and CAP_NET_ADMIN)"
	command -v jq >/dev/null || die "needs jq (scripts/deps.sh lab)"
	command -v ip >/dev/null || die "needs iproute2 (scripts/deps.sh lab)"
}

# Resolve TOPO into JSON on stdout.
resolve_topo() {
	local t=$1

	if [ -f "$t" ] && jq -e '.format == "flowplan-topology" and (.links | length) > 0
				  and all(.hosts[].nics[]; .addr)' "$t" >/dev/null 2>&1; then
		cat "$t"
		return
	fi
	[ -x "$FLOWPLANCTL" ] || die "cannot resolve '$t': $FLOWPLANCTL not built"
	"$FLOWPLANCTL" topology export "$t" ||
		die "cannot resolve '$t' (flowplanctl topology export failed)"
}

lab_teardown() {
	local st=$1 ns pid

	[ -d "$st" ] || return 0
	if [ -f "$st/netns" ]; then
		while read -r ns; do
			[ -e "/run/netns/$ns" ] || continue
			for pid in $(ip netns pids "$ns" 2>/dev/null); do
				kill -KILL "$pid" 2>/dev/null || true
			done
			ip netns del "$ns" 2>/dev/null || true
		done <"$st/netns"
	fi
	rm -rf "$st"
}

lab_up() {
	local topo="" seed=1 rate=50 prefix="" ideal=0 icmp="" st json seedok
	local v6=0 h6pol=1 h6fields=0x37 ns left tries

	[ $# -ge 1 ] || die "up needs TOPO"
	topo=$1
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		seed) seed=$2; shift ;;
		rate) rate=$2; shift ;;
		prefix) prefix=$2; shift ;;
		ideal) ideal=1 ;;
		icmp-ratelimit) icmp=$2; shift ;;
		ipv6) v6=1 ;;
		hash6)
			[[ ${2:-} =~ ^([0-3])(:(0x[0-9a-fA-F]{1,4}|[0-9]{1,5}))?$ ]] ||
				die "hash6 wants POLICY[:FIELDS], e.g. 1 or 3:0x3f, not '${2:-}'"
			h6pol=${BASH_REMATCH[1]}
			[ -z "${BASH_REMATCH[3]}" ] || h6fields=${BASH_REMATCH[3]}
			v6=1
			shift ;;
		*) die "unknown option '$1'" ;;
		esac
		shift
	done
	[[ $seed =~ ^[0-9]+$ && $seed -lt 4000000 ]] || die "seed must be an integer below 4000000"
	[[ $rate =~ ^[0-9]+$ && $rate -ge 1 ]] || die "rate must be a positive integer (Mbit/s)"
	lab_check
	[ -z "$icmp" ] || [[ $icmp =~ ^[0-9]+$ ]] || die "icmp-ratelimit must be milliseconds"
	json=$(resolve_topo "$topo")
	jq -e 'any(.hosts[].nics[]; .addr | test(":"))' <<<"$json" >/dev/null && v6=1
	mkdir -p "$RUNDIR"
	if [ -z "$prefix" ]; then
		while :; do
			prefix=fpl$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')
			mkdir "$RUNDIR/$prefix" 2>/dev/null && break
		done
	else
		[[ $prefix =~ ^[A-Za-z0-9_-]{1,16}$ ]] || die "bad prefix '$prefix'"
		mkdir "$RUNDIR/$prefix" 2>/dev/null || die "lab '$prefix' exists"
	fi
	st=$RUNDIR/$prefix
	# Tear down whatever was made if anything below fails (or a signal comes).
	CUR_STATE=$st
	: >"$st/netns"
	: >"$st/routers"
	: >"$st/nics"
	: >"$st/ports"
	if [ $v6 = 1 ]; then
		: >"$st/routers6"
		: >"$st/nics6"
	fi
	printf '%s\n' "$json" >"$st/topo.json"
	printf 'LAB_PREFIX=%s\nLAB_SEED=%s\nLAB_RATE=%s\nLAB_IDEAL=%s\nLAB_IPV6=%s\n' \
		"$prefix" "$seed" "$rate" "$ideal" "$v6" >"$st/env"
	seedok=1
	if [ -n "${FLOWPLAN_LAB_NOSEED:-}" ] || [ ! -e /proc/sys/net/ipv4/fib_multipath_hash_seed ]; then
		seedok=0
		echo "lab.sh: this kernel has no net.ipv4.fib_multipath_hash_seed (Linux 6.11+):" \
			"ECMP hashes with a boot-time key, seed $seed is not applied" >&2
	fi
	jq -r --arg p "$prefix" --arg seed "$seed" --arg rate "$rate" \
		--arg big "$ideal" --arg icmp "$icmp" --arg seedok "$seedok" \
		--arg v6 "$v6" --arg h6pol "$h6pol" --arg h6fields "$h6fields" \
		-f "$LAB_DIR/fabric.jq" "$st/topo.json" >"$st/setup.sh"
	STATE=$st bash -e "$st/setup.sh" >"$st/setup.log" 2>&1 || {
		tail -5 "$st/setup.log" >&2
		die "building the fabric failed"
	}
	# DAD is off, so no address should be tentative; wait (30 s at most)
	# rather than assume, a loaded machine may be slow to settle.
	if [ $v6 = 1 ]; then
		for ((tries = 0; tries < 300; tries++)); do
			left=""
			while read -r ns; do
				[ -z "$(ip -n "$ns" -6 addr show tentative)" ] || left="$left $ns"
			done <"$st/netns"
			[ -z "$left" ] && break
			sleep 0.1
		done
		[ -z "$left" ] || die "IPv6 addresses still tentative after 30 s in:$left"
	fi
	LAB_UP_PREFIX=$prefix
	echo "$prefix"
}

lab_down() {
	local st

	if [ $# -lt 1 ]; then
		if [ -n "${LAB_PREFIX:-}" ]; then
			set -- "$LAB_PREFIX"
		elif [ "$(ls "$RUNDIR" 2>/dev/null | wc -l)" = 1 ]; then
			set -- "$(ls "$RUNDIR")"
		elif [ "$(ls "$RUNDIR" 2>/dev/null | wc -l)" = 0 ]; then
			return 0
		else
			die "several labs are up ($(ls "$RUNDIR" | tr '\n' ' ')): name one, or all"
		fi
	fi
	if [ "$1" != all ]; then
		[[ $1 =~ ^[A-Za-z0-9_-]{1,16}$ ]] || die "bad prefix '$1'"
		lab_teardown "$RUNDIR/$1"
		return
	fi
	[ -d "$RUNDIR" ] || return 0
	for st in "$RUNDIR"/*/; do
		[ -f "$st/netns" ] && lab_teardown "${st%/}"
	done
	return 0
}

lab_run() {
	local args=() rc

	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	[ $# -ge 2 ] || die "run needs -- CMD"
	shift
	lab_up "${args[@]}" >/dev/null
	# The command runs in the background so that a signal is handled at
	# once (bash defers traps until a foreground child exits).
	LAB_PREFIX=$LAB_UP_PREFIX LAB_STATE=$CUR_STATE "$@" &
	RUN_CHILD=$!
	trap 'kill "$RUN_CHILD" 2>/dev/null; exit 130' INT TERM
	rc=0
	wait "$RUN_CHILD" || rc=$?
	exit $rc
}

# The lab being built (or run) is torn down on any exit until it is handed
# over; signals during a step take effect when that step's command returns.
CUR_STATE="" LAB_UP_PREFIX=""
trap '[ -z "$CUR_STATE" ] || lab_teardown "$CUR_STATE"' EXIT
trap 'exit 130' INT TERM

case ${1:-} in
up) shift; lab_up "$@"; CUR_STATE="" ;;
down) shift; lab_down "$@" ;;
run) shift; lab_run "$@" ;;
list) ls "$RUNDIR" 2>/dev/null || true ;;
*) sed -n '4,14s/^# \{0,1\}//p' "$0" >&2; exit 1 ;;
esac
