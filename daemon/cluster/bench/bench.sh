#!/usr/bin/env bash
# bench.sh - make bench-cluster: a nats-server (JetStream, one server,
# loopback), a flowpland planner planning a ring all-reduce over a
# leaf-spine of HOSTS hosts (16 per leaf), and bench_cluster's agents, for
# each size in BENCH_CLUSTER_HOSTS (default "256 1024 4096"). A leaf's
# uplinks go down and up in turn; see bench_cluster.c for what is measured.
set -uo pipefail
: "${BUILD:=build}"
SRC=$(cd "$(dirname "$0")/../../.." && pwd)
B=$(cd "$SRC/$BUILD" && pwd)
SIZES=${BENCH_CLUSTER_HOSTS:-256 1024 4096}
ROUNDS=${BENCH_CLUSTER_ROUNDS:-8}

for x in nats-server python3; do
	command -v $x >/dev/null || { echo "bench-cluster: skipped: no $x (scripts/deps.sh cluster)"; exit 0; }
done
T=$(mktemp -d /tmp/flowplan-bench-cluster.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

rc=0
for n in $SIZES; do
	leaves=$(( (n + 15) / 16 ))
	spines=$(( leaves < 16 ? leaves : 16 ))
	[ $spines -ge 2 ] || spines=2
	d=$T/$n
	mkdir -p "$d/js" "$d/rings"
	p=$(port)
	printf 'listen: 127.0.0.1:%s\nmax_payload: 8MB\njetstream: { store_dir: "%s/js" }\n' \
		"$p" "$d" >"$d/nats.conf"
	nats-server -c "$d/nats.conf" >"$d/nats.log" 2>&1 &
	PIDS+=($!)
	spid=$!
	for _ in $(seq 100); do
		(exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break
		sleep 0.1
	done
	cat >"$d/planner.conf" <<EOC
[daemon]
mode = planner
socket = $d/planner.sock
metrics = off
log_level = notice
[fabric]
topology = leafspine:leaves=$leaves,spines=$spines,hosts=16
[plan]
schedule = ring-allreduce:bytes=1G
holddown = 0
[observe]
report_dir = $d/rings
[faults]
counters_interval = 0
[cluster]
servers = nats://127.0.0.1:$p
name = pa
replicas = 1
table = $d/planner.table
EOC
	"$B/flowpland" -c "$d/planner.conf" >"$d/planner.log" 2>&1 &
	PIDS+=($!)
	ppid=$!
	# the uplinks of the ring's first leaf: its flows leave through them
	links="leaf0,spine0,leaf0,spine1,leaf1,spine0,leaf1,spine1"
	if ! timeout 600 "$B/bench_cluster" -s "nats://127.0.0.1:$p" -n $((leaves * 16)) \
		-r "$ROUNDS" -P "$spid,$ppid" -l "$links"; then
		echo "bench-cluster: $n hosts failed; the planner's log:"
		tail -20 "$d/planner.log"
		rc=1
	fi
	[ -z "${BENCH_CLUSTER_LOG:-}" ] || grep -E "replan|repair" "$d/planner.log" | tail -"$ROUNDS"
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
done
exit $rc
