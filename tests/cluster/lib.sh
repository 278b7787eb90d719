# shellcheck shell=bash
# tests/cluster/lib.sh - helpers of the cluster tests: a 3-server JetStream
# cluster on loopback (TLS, NKeys, the permissions of daemon/cluster/nats/),
# planners and agents as flowpland processes installing into table files,
# and the checks. Every process started is recorded and stopped by its pid
# on exit; every file is under one temporary directory.

: "${BUILD:=build}"
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=$(cd "$SRC/$BUILD" && pwd)
FLOWPLAND=$B/flowpland
FPC=$B/fpc
FPDCTL=$B/fpd-ctl
FLOWPLANCTL=$B/flowplanctl
NATSCONF=$SRC/daemon/cluster/nats/fp-nats-conf

T=""			# the run's directory
# CL_ADDR: the servers' address (default 127.0.0.1); CL_NS: the network
# namespace the servers, planners and admin tools run in (default: this one)
: "${CL_ADDR:=127.0.0.1}"
: "${CL_NS:=}"
declare -A PID=()	# name -> pid of what we started
SERVERS=3

log() { echo "# $*"; }

# NSX: the prefix that runs a command in CL_NS (it execs: the pid stays);
# in_ns CMD...: CMD in CL_NS (here, when none is named)
NSX=()
[ -n "$CL_NS" ] && NSX=(ip netns exec "$CL_NS")
in_ns() { "${NSX[@]}" "$@"; }

cl_cleanup() {
	local n p
	for n in "${!PID[@]}"; do
		p=${PID[$n]}
		kill "$p" 2>/dev/null || true
	done
	for n in "${!PID[@]}"; do
		p=${PID[$n]}
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	done
	if [ -n "$T" ] && [ -z "${KEEP:-}" ]; then rm -rf "$T"; fi
}

# free TCP ports on 127.0.0.1 (the kernel picks them)
free_ports() {
	python3 - "$1" <<'PY'
import socket, sys
s = []
for _ in range(int(sys.argv[1])):
    k = socket.socket()
    k.bind(("127.0.0.1", 0))
    s.append(k)
print(" ".join(str(k.getsockname()[1]) for k in s))
PY
}

# wait_for SECONDS CMD...: poll until CMD succeeds
wait_for() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	return 1
}

start() {	# start NAME LOG CMD...
	local name=$1 out=$2
	shift 2
	"$@" >>"$out" 2>&1 &
	PID[$name]=$!
}

stop() {	# stop NAME [SIGNAL]
	local p=${PID[$1]:-}
	[ -n "$p" ] || return 0
	kill -"${2:-TERM}" "$p" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	unset "PID[$1]"
}

alive() { kill -0 "${PID[$1]}" 2>/dev/null; }

# ------------------------------------------------------------- credentials

cl_certs() {
	local d=$T/tls
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=flowplan test CA" \
		-keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
	local san=IP:127.0.0.1
	[ "$CL_ADDR" = 127.0.0.1 ] || san="$san,IP:$CL_ADDR"
	printf 'subjectAltName=%s,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' \
		"$san" >"$d/ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/ext" -out "$d/server.pem" 2>/dev/null
	# a CA nobody trusts, for the refused case
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
		-keyout "$d/other.key" -out "$d/other.pem" 2>/dev/null
}

# nkey NAME: a seed file $T/keys/NAME.seed; prints the public key
nkey() {
	mkdir -p "$T/keys"
	"$FPC" nkey "$T/keys/$1.seed"
}

# --------------------------------------------------------------- servers

# cl_servers: ports, configurations; SURLS (client URLs, comma separated)
cl_servers() {
	local i j ports
	read -r -a ports <<<"$(free_ports $((SERVERS * 3)))"
	CPORT=() RPORT=() MPORT=()
	for ((i = 0; i < SERVERS; i++)); do
		CPORT[i]=${ports[3 * i]}
		RPORT[i]=${ports[3 * i + 1]}
		MPORT[i]=${ports[3 * i + 2]}
	done
	SURLS=""
	for ((i = 0; i < SERVERS; i++)); do
		SURLS="$SURLS${SURLS:+,}tls://$CL_ADDR:${CPORT[i]}"
	done
	"$NATSCONF" auth "$T/users" >"$T/auth.conf"
	for ((i = 0; i < SERVERS; i++)); do
		local r=()
		for ((j = 0; j < SERVERS; j++)); do
			[ $j = $i ] || r+=(-r "$CL_ADDR:${RPORT[j]}")
		done
		"$NATSCONF" server -n "n$i" -l "$CL_ADDR:${CPORT[i]}" -c "$CL_ADDR:${RPORT[i]}" \
			"${r[@]}" -s "$T/js/n$i" -a "$T/auth.conf" -m "$CL_ADDR:${MPORT[i]}" \
			-T "$T/tls/server.pem" -K "$T/tls/server.key" -C "$T/tls/ca.pem" \
			>"$T/n$i.conf"
	done
}

server_start() {
	start "n$1" "$T/n$1.log" "${NSX[@]}" nats-server -c "$T/n$1.conf"
}

server_healthy() {
	in_ns curl -sf "http://$CL_ADDR:${MPORT[$1]}/healthz?js-enabled-only=true" >/dev/null
}

# --------------------------------------------------------------- daemons

# conf ROLE NAME [SERVERS] [KEYNAME]: a flowpland configuration
conf() {
	local role=$1 name=$2 urls=${3:-$SURLS} key=${4:-$2}
	mkdir -p "$T/$name.rings"
	{
		echo "[daemon]"
		echo "mode = $role"
		echo "socket = $T/$name.sock"
		echo "metrics = off"
		echo "log_level = info"
		echo "[fabric]"
		if [ "$role" = planner ]; then
			echo "topology = $TOPO"
		fi
		echo "[plan]"
		if [ "$role" = planner ]; then
			echo "schedule = $SCHED"
			echo "holddown = 100ms"
		fi
		echo "[observe]"
		echo "report_dir = $T/$name.rings"
		echo "[faults]"
		echo "counters_interval = 0"
		echo "[cluster]"
		echo "servers = $urls"
		if [ "$role" = agent ]; then echo "host = $name"; else echo "name = $name"; fi
		echo "nkey_seed = $T/keys/$key.seed"
		echo "tls_ca = $T/tls/ca.pem"
		echo "lease = ${LEASE:-2s}"
		echo "resync = 0"
		echo "table = $T/$name.table"
	} >"$T/$name.conf"
}

daemon_start() {	# daemon_start NAME
	start "$1" "$T/$1.log" "${NSX[@]}" "$FLOWPLAND" -c "$T/$1.conf"
}

st() {	# st NAME: the daemon's status JSON
	"$FPDCTL" -j -s "$T/$1.sock" status 2>/dev/null
}

# fpc as the planner (reads the whole bucket); a loaded 2-core machine
# may take more than fpc's 2 s to list the bucket
fpc_admin() { in_ns "$FPC" -c "$T/${ADMIN:-pa}.conf" -s "$SURLS" -t 5000 "$@"; }

# shares: "host epoch" of every share in the bucket (a listing that timed
# out is tried again: an empty answer would read as "no shares")
shares() {
	local out i
	for i in 1 2 3; do
		if out=$(fpc_admin shares); then
			awk '{ print $1, $2 }' <<<"$out" | sort
			return 0
		fi
		log "fpc shares failed (try $i)" >&2
		sleep 0.5
	done
	return 1
}

agent_epoch() { st "$1" | jq -r '.cluster.epoch'; }
agent_installed() { st "$1" | jq -r '.cluster.installed_epoch'; }

# every agent listed has installed exactly the epoch the bucket holds for it
consistent() {
	local h e want
	want=$(shares) || return 1
	for h in "$@"; do
		e=$(grep "^$h " <<<"$want" | cut -d' ' -f2)
		[ -n "$e" ] || return 1
		[ "$(agent_installed "$h")" = "$e" ] || return 1
	done
}

# the table of an agent, as "src dst label:weight ..." lines
table_lines() {
	jq -r '.entries[] | "\(.src_addr) \(.dst_addr) " + ([.subflows[] | "\(.flow_label):\(.weight)"] | join(" "))' \
		"$T/$1.table" | sort
}

# the share in the bucket, in the same form
share_lines() {
	fpc_admin share "$1" | awk '
		$1 == "src" { src = $2; next }
		src != "" {
			line = src " " $1
			for (i = 2; i <= NF; i++) { s = $i; if (s !~ /:/) s = s ":65536"; line = line " " s }
			print line
		}' | sort
}

same_table() { diff <(table_lines "$1") <(share_lines "$1") >/dev/null; }
all_shares() { [ "$(shares | wc -l)" = "${#HOSTS[@]}" ]; }

# installed epochs of an agent, from its log, in order
installed_epochs() { sed -n 's/.*installed epoch \([0-9]*\) .*/\1/p' "$T/$1.log"; }

increasing() {	# the numbers on stdin strictly increase
	awk 'NR > 1 && $1 <= prev { bad = 1 } { prev = $1 } END { exit bad }'
}

# the epoch of a planner's last re-plan, and whether it moved past $2
last_epoch() { st "$1" | jq -r '.cluster.last_replan.epoch'; }
epoch_after() { local e; e=$(last_epoch "$1") && [ -n "$e" ] && [ "$e" != null ] && [ "$e" -gt "$2" ]; }

# planned_after E0: a planner holds the lease and its last re-plan is past
# E0; ADMIN becomes that planner
planned_after() {
	local p
	p=$(active_planner pa pb) || return 1
	epoch_after "$p" "$1" || return 1
	ADMIN=$p
}

# reports_seen N: the active planner (ADMIN becomes it) has N hosts whose
# installed epoch, as they reported it, is the one of their share
reports_seen() {
	local p
	p=$(active_planner pa pb) || return 1
	ADMIN=$p
	[ "$(st "$p" | jq -r .cluster.hosts_current)" -ge "$1" ]
}

# replans_now: each planner's count of re-plans, for replanned
declare -A REPLANS=()
replans_now() {
	local p
	for p in pa pb; do REPLANS[$p]=$(st "$p" | jq -r '.cluster.replans // 0' 2>/dev/null); done
}

# replanned: a planner holding the lease re-planned since replans_now
# (written or not: a change that moves no share writes nothing)
replanned() {
	local p n
	p=$(active_planner pa pb) || return 1
	n=$(st "$p" | jq -r .cluster.replans) || return 1
	[ "$n" -gt "${REPLANS[$p]:-0}" ]
}

# share_moved_or_replanned HOST EPOCH: HOST's share in the bucket is past
# EPOCH, or the active planner re-planned (replanned)
share_moved_or_replanned() {
	local e
	e=$(shares | awk -v h="$1" '$1 == h { print $2 }')
	[ "${e:-0}" -gt "$2" ] && return 0
	replanned
}

active_planner() {
	local p
	for p in "$@"; do
		if [ "$(st "$p" | jq -r '.cluster.active')" = true ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# diag: what a failed check leaves to read (as "#" lines): each planner's
# view (lease, last re-plan, bus), the last lines of its log, the servers'
# health and the shares in the bucket
diag() {
	local p i
	for p in pa pb; do
		[ -n "${PID[$p]:-}" ] || continue
		log "$p: $(st "$p" | jq -c '.cluster | {active, lease, epoch, last_replan,
			hosts_seen, hosts_current, conflicts, takeovers, fabric_down,
			bus: (.bus | {connected, url, last, disconnects})}' 2>&1)"
		tail -n 12 "$T/$p.log" | sed "s/^/#   $p: /"
	done
	for ((i = 0; i < SERVERS; i++)); do
		if server_healthy $i; then log "n$i healthy"; else log "n$i not healthy"; fi
	done
	log "shares: $(shares 2>&1 | tr '\n' ' ')"
}
