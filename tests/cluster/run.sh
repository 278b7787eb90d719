#!/usr/bin/env bash
# tests/cluster/run.sh - cluster mode with real processes: three nats-server
# processes (a JetStream cluster on loopback, TLS, NKeys and the shipped
# permissions), an active and a standby planner, eight agents installing
# into table files (no module can load here), one of them behind a proxy
# that the test cuts. The fabric is dual-stack: h0 and h4 have an IPv6 NIC
# each besides their IPv4 one, with a flow between them. The cases run in
# order on the same cluster; each
# prints "ok"/"not ok" and the run ends with
# "cluster-procs: N passed, N failed, N skipped".
#   BUILD=build tests/cluster/run.sh [CASE...]     KEEP=1 keeps the directory
# FREEZE=SECONDS stops the active planner that long once n0 is killed, so
# that its lease runs out and the standby plans (what a slow reconnect does).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

P=0 F=0 S=0
ok() { echo "ok - $1"; P=$((P + 1)); }
nok() { echo "not ok - $1"; F=$((F + 1)); diag; }
skip_all() {
	echo "cluster-procs: skipped: $1"
	echo "cluster-procs: 0 passed, 0 failed, 1 skipped"
	exit 0
}
# refused CMD...: CMD fails, and because the servers' permissions said no
refused() {
	local out
	if out=$("$@" 2>&1); then return 1; fi
	grep -q "Permissions Violation" <<<"$out"
}
check() {	# check NAME CMD...: one assertion
	local name=$1
	shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}

for x in nats-server openssl socat jq curl python3; do
	command -v $x >/dev/null || skip_all "$x is not installed (scripts/deps.sh cluster)"
done
for x in "$FLOWPLAND" "$FPC" "$FPDCTL" "$FLOWPLANCTL"; do
	[ -x "$x" ] || skip_all "$x is not built"
done

T=$(mktemp -d /tmp/flowplan-cluster.XXXXXX)
trap cl_cleanup EXIT
[ -n "${KEEP:-}" ] && log "files in $T"

# a ring across four leaves of two hosts: a leaf-spine link carries one or
# two of its flows, so a failure changes a few shares and keeps the rest;
# and an IPv6 NIC on h0 (leaf0) and on h4 (leaf2) with a flow each way
GEN_TOPO="leafspine:leaves=4,spines=4,hosts=2"
V6_H0=2001:db8::1 V6_H4=2001:db8::5
"$FLOWPLANCTL" topology export "$GEN_TOPO" | jq --arg a "$V6_H0" --arg b "$V6_H4" '
	.hosts |= map(if .name == "h0" then .nics += [{ name: "h0.n1", addr: $a }]
		      elif .name == "h4" then .nics += [{ name: "h4.n1", addr: $b }] else . end)
	| .links += [{ a: "h0.n1", b: "leaf0", gbps: 100 }, { a: "h4.n1", b: "leaf2", gbps: 100 }]' \
	>"$T/topo.json" || skip_all "cannot write the dual-stack topology"
"$FLOWPLANCTL" schedule export ring-allreduce:bytes=1G topology "$GEN_TOPO" | jq '
	.phases[0].flows += [{ src: "h0.n1", dst: "h4.n1", bytes: 1073741824, job: "v6" },
			     { src: "h4.n1", dst: "h0.n1", bytes: 1073741824, job: "v6" }]' \
	>"$T/sched.json" || skip_all "cannot write the schedule"
TOPO=$T/topo.json
SCHED=$T/sched.json
HOSTS=(h0 h1 h2 h3 h4 h5 h6 h7)
ADMIN=pa

# ------------------------------------------------------------------ setup
cl_certs
{
	for h in "${HOSTS[@]}"; do echo "agent $h $(nkey "$h")"; done
	echo "planner pa $(nkey pa)"
	echo "planner pb $(nkey pb)"
	echo "fabric ops $(nkey ops)"
} >"$T/users"
nkey intruder >/dev/null	# a key the servers do not know
cl_servers
for ((i = 0; i < SERVERS; i++)); do server_start $i; done
for ((i = 0; i < SERVERS; i++)); do
	if ! wait_for 20 server_healthy $i; then
		tail -20 "$T/n$i.log"
		skip_all "nats-server n$i did not come up"
	fi
done

# h7 reaches the servers only through a proxy the test can cut
read -r PROXY <<<"$(free_ports 1)"
proxy_start() {
	start proxy "$T/proxy.log" setsid socat "TCP-LISTEN:$PROXY,bind=127.0.0.1,reuseaddr,fork" \
		"TCP:127.0.0.1:${CPORT[1]}"
	wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PROXY"
}
proxy_start

conf planner pa
conf planner pb
for h in "${HOSTS[@]}"; do conf agent "$h"; done
conf agent h7 "tls://127.0.0.1:$PROXY"
{
	echo "[cluster]"
	echo "servers = $SURLS"
	echo "nkey_seed = $T/keys/ops.seed"
	echo "tls_ca = $T/tls/ca.pem"
} >"$T/ops.conf"
ops() { "$FPC" -c "$T/ops.conf" -i _INBOX.fabric.ops -t 5000 "$@"; }

daemon_start pa
wait_for 30 active_planner pa || { tail -30 "$T/pa.log"; }
daemon_start pb
LATE=h6
for h in "${HOSTS[@]}"; do [ "$h" = $LATE ] || daemon_start "$h"; done
ON=(h0 h1 h2 h3 h4 h5 h7)
LEAF3_DOWN=()	# leaf3's spine links the cases took down

# --------------------------------------------------------------- the cases

case_plan() {
	check "the planner holds the lease" wait_for 20 active_planner pa
	check "every running agent installs the epoch the bucket holds" wait_for 30 consistent "${ON[@]}"
	local h bad=0
	for h in "${ON[@]}"; do
		# a re-plan between reading the table and the share: read again
		wait_for 20 same_table "$h" || { bad=1; log "$h: table != share"; }
	done
	check "each table holds exactly its host's share" [ $bad = 0 ]
	check "the standby stands by" [ "$(st pb | jq -r .cluster.active)" = false ]
}

# The dual-stack hosts: their IPv6 entries, planned with the IPv4 ring;
# h4's port reported down by its IPv6 address takes h4.n1's link out of
# the plan (a repair), its flows leave both shares, and come back with it.
case_ipv6() {
	local e0
	check "h0's share holds its IPv6 entry to h4" \
		bash -c '[ "$(grep -c "^$1 $2 " <<<"$3")" = 1 ]' _ "$V6_H0" "$V6_H4" "$(share_lines h0)"
	check "h4's share holds its IPv6 entry to h0" \
		bash -c '[ "$(grep -c "^$1 $2 " <<<"$3")" = 1 ]' _ "$V6_H4" "$V6_H0" "$(share_lines h4)"
	check "h0's table holds the IPv6 entry" \
		bash -c 'grep -q "^$1 $2 " <<<"$3"' _ "$V6_H0" "$V6_H4" "$(table_lines h0)"
	e0=$(last_epoch "$ADMIN")
	# h4's agent reports its IPv6 port down (what a link event gives it)
	check "h4 publishes its IPv6 port down" "$FPC" -c "$T/h4.conf" -s "$SURLS" -t 5000 pub fp.obs.h4.links \
		"{\"ports\":[{\"dev\":\"rxe1\",\"port\":1,\"up\":false,\"addrs\":[\"$V6_H4\"]}]}"
	check "the planner re-plans around it" wait_for 20 epoch_after "$ADMIN" "$e0"
	check "a repair" [ "$(st "$ADMIN" | jq -r .cluster.last_replan.method)" = repair ]
	check "agents consistent after the IPv6 port went down" wait_for 30 consistent "${ON[@]}"
	check "h0's share lost its IPv6 entry, kept its IPv4 ones" \
		bash -c '! grep -q "^$1 " <<<"$2" && grep -q "^198\." <<<"$2"' _ "$V6_H0" "$(share_lines h0)"
	check "h0's table too" bash -c '! grep -q "^$1 " <<<"$2"' _ "$V6_H0" "$(table_lines h0)"
	e0=$(last_epoch "$ADMIN")
	check "h4 publishes its IPv6 port up" "$FPC" -c "$T/h4.conf" -s "$SURLS" -t 5000 pub fp.obs.h4.links \
		"{\"ports\":[{\"dev\":\"rxe1\",\"port\":1,\"up\":true,\"addrs\":[\"$V6_H4\"]}]}"
	check "the planner re-plans" wait_for 20 epoch_after "$ADMIN" "$e0"
	check "agents consistent after the IPv6 port came back" wait_for 30 consistent "${ON[@]}"
	check "h0's IPv6 entry is back" \
		bash -c 'grep -q "^$1 $2 " <<<"$3"' _ "$V6_H0" "$V6_H4" "$(share_lines h0)"
}

case_linkdown() {
	local before after changed kept e0
	before=$(shares)
	e0=$(last_epoch pa)
	check "a fabric link marked down is published" ops link down leaf0 spine0
	check "the planner re-plans" wait_for 20 epoch_after pa "$e0"
	check "every agent installs its new share" wait_for 30 consistent "${ON[@]}"
	after=$(shares)
	changed=$(join <(echo "$before") <(echo "$after") | awk '$2 != $3' | wc -l)
	kept=$(join <(echo "$before") <(echo "$after") | awk '$2 == $3' | wc -l)
	log "link down: $changed shares changed, $kept kept their epoch"
	check "agents consistent after the link went down" consistent "${ON[@]}"
	check "only shares that changed were written (some changed)" [ "$changed" -gt 0 ]
	check "the re-plan was a repair" [ "$(st pa | jq -r .cluster.last_replan.method)" = repair ]
	check "the planner wrote what changed and no more" \
		[ "$(st pa | jq -r .cluster.last_replan.written)" = "$changed" ]
}

case_failover() {
	local before term e0 changed
	before=$(shares)
	stop pa KILL
	log "killed the active planner"
	check "the standby takes over" wait_for 30 active_planner pb
	ADMIN=pb
	term=$(st pb | jq -r .cluster.lease.term)
	check "with the next term" [ "$term" -ge 2 ]
	check "agents consistent with the bucket after the takeover" wait_for 30 consistent "${ON[@]}"
	# every share is the old one or one of the new term
	check "every share is from before or of the new term" bash -c "join <(echo \"$before\") \
		<(echo \"$(shares)\") | awk '\$2 != \$3 && int(\$3 / 4294967296) < $term { bad = 1 } END { exit bad }'"
	e0=$(last_epoch pb)
	before=$(shares)
	check "a link coming back is published" ops link up leaf0 spine0
	check "the new planner re-plans" wait_for 20 epoch_after pb "$e0"
	check "agents consistent after the new planner's re-plan" wait_for 30 consistent "${ON[@]}"
	changed=$(join <(echo "$before") <(echo "$(shares)") | awk '$2 != $3' | wc -l)
	log "link up: $changed shares changed"
	check "a link coming back is a restore (what need not move stays)" \
		[ "$(st pb | jq -r .cluster.last_replan.method)" = restore ]
	check "the restore wrote what changed and no more" \
		[ "$(st pb | jq -r .cluster.last_replan.written)" = "$changed" ]
	daemon_start pa	# back as a standby
	check "the old planner comes back as a standby" \
		wait_for 20 bash -c "$FPDCTL -j -s $T/pa.sock status | jq -e '.cluster.active == false and .cluster.lease.holder == \"pb\"'"
}

case_server_kill() {
	local e0
	e0=$(last_epoch "$ADMIN")
	stop n0 KILL
	log "killed nats-server n0"
	if [ -n "${FREEZE:-}" ]; then	# the lease runs out: the standby's path
		kill -STOP "${PID[$ADMIN]}"
		sleep "$FREEZE"
		kill -CONT "${PID[$ADMIN]}"
	fi
	check "a link going down is published with a server gone" ops link down leaf1 spine1
	# a planner that was on n0 stands by while it reconnects; its lease may
	# run out meanwhile and the standby take it once the streams have new
	# leaders (seconds on a loaded machine): whichever holds it plans
	check "and planned" wait_for 90 planned_after "$e0"
	log "the active planner: $ADMIN"
	check "agents consistent with one server gone" wait_for 40 consistent "${ON[@]}"
	check "the bucket still holds every host's share" wait_for 20 all_shares
	# (on the planner active now: a standby does not follow the shares
	# the active one writes)
	check "the planner saw every agent's report" wait_for 90 reports_seen ${#ON[@]}
	server_start 0
	check "the server rejoins" wait_for 30 server_healthy 0
}

case_cutoff() {
	local tbl ep e2 e0 link
	tbl=$(cat "$T/h7.table")
	ep=$(agent_installed h7)
	kill -- -"${PID[proxy]}" 2>/dev/null	# socat and the connections it forked
	stop proxy
	log "cut h7 off the bus"
	check "the cut agent sees the bus gone" \
		wait_for 20 bash -c "$FPDCTL -j -s $T/h7.sock status | jq -e '.cluster.bus.connected == false'"
	# take leaf3's spine links down one by one until h7's share changes:
	# one of them carries h7 -> h0, and which one depends on the plans
	# before (a takeover plans anew). They stay down: with all four down
	# leaf3 is cut off, h7 -> h0 cannot run and leaves the plan (the rest
	# is planned), so h7's share changes at the latest then
	LEAF3_DOWN=()
	for link in spine0 spine1 spine2 spine3; do
		replans_now
		ops link down leaf3 $link || log "fpc link down leaf3 $link failed"
		LEAF3_DOWN+=($link)
		wait_for 20 share_moved_or_replanned h7 "$ep" || log "no re-plan after leaf3-$link down"
		e2=$(shares | awk '$1 == "h7" { print $2 }')
		log "leaf3-$link down: active $(active_planner pa pb), h7's share at ${e2:-?}, installed $ep"
		[ "${e2:-0}" -gt "$ep" ] && break
	done
	# (a later epoch: a server that rejoined may answer from an older state)
	check "h7's share changed while it was cut off" [ "${e2:-0}" -gt "$ep" ]
	check "the cut agent is alive and keeps its plan" \
		bash -c "kill -0 ${PID[h7]} && [ \"\$(cat $T/h7.table)\" = \"\$1\" ]" _ "$tbl"
	proxy_start
	check "back on the bus, it installs the share it missed" wait_for 30 consistent h7
	# (a late re-plan can land between the two reads: read again)
	check "its table holds the new share" wait_for 30 same_table h7
}

# the active planner lists exactly the ring's two flows across leaf3's cut
# (h5 -> h6 and h7 -> h0) in its status and last re-plan, or none ($1 = none)
unroutable_listed() {
	local p want='["h5.n0 -> h6.n0: no live path (failed links cut leaf2 from leaf3)","h7.n0 -> h0.n0: no live path (failed links cut leaf3 from leaf0)"]'
	p=$(active_planner pa pb) || return 1
	[ "${1:-}" = none ] && want='[]'
	st "$p" | jq -e --argjson w "$want" \
		'(.cluster.unroutable | sort) == $w and .cluster.last_replan.unroutable == ($w | length)' \
		>/dev/null
}

# h7's table has an entry to h0's address ($1 = no: has none)
h7_to_h0() {
	local n
	n=$(jq --arg a "$(jq -r '.hosts[] | select(.name == "h0") | .nics[0].addr' "$TOPO")" \
		'[.entries[] | select(.dst_addr == $a)] | length' "$T/h7.table") || return 1
	if [ "${1:-}" = no ]; then [ "$n" = 0 ]; else [ "$n" -gt 0 ]; fi
}

# leaf3 cut off from every spine (the links the cutoff case left down, and
# the rest): the flows across the cut leave the plan and are listed, the
# rest is planned and installed everywhere; the links back, all planned
case_leafcut() {
	local link e0
	e0=$(last_epoch "$(active_planner pa pb || echo "$ADMIN")")
	for link in spine0 spine1 spine2 spine3; do
		[[ " ${LEAF3_DOWN[*]:-} " == *" $link "* ]] && continue
		ops link down leaf3 $link || log "fpc link down leaf3 $link failed"
		LEAF3_DOWN+=($link)
	done
	check "leaf3 cut off: re-planned, not refused" wait_for 60 planned_after "${e0:-0}"
	check "the planner lists the two flows across the cut, with why" wait_for 30 unroutable_listed
	check "every agent installs the plan for the rest" wait_for 40 consistent "${ON[@]}"
	check "h7's table: no entry to h0, which it cannot reach" wait_for 30 h7_to_h0 no
	check "the other tables hold their shares" wait_for 30 same_table h0
	for link in "${LEAF3_DOWN[@]}"; do
		ops link up leaf3 $link || log "fpc link up leaf3 $link failed"
	done
	LEAF3_DOWN=()
	check "leaf3 back: nothing left out" wait_for 60 unroutable_listed none
	check "and h7 reaches h0 again" wait_for 40 h7_to_h0
	check "every agent consistent again" wait_for 40 consistent "${ON[@]}"
}

case_late() {
	daemon_start $LATE
	ON+=($LATE)
	check "an agent that joins late installs its share" wait_for 20 consistent $LATE
	check "all of them consistent" consistent "${HOSTS[@]}"
}

case_refused() {
	local out
	check "an agent reads its own share" bash -c "\"$FPC\" -s \"$SURLS\" -c \"$T/h3.conf\" \
		-i _INBOX.host.h3 -t 5000 share h3 | grep -q '^src '"
	out=$("$FPC" -c "$T/h3.conf" -s "$SURLS" share h4 2>&1)
	log "h3 reading h4: $out"
	check "an agent reading another host's share is refused" \
		refused "$FPC" -c "$T/h3.conf" -s "$SURLS" share h4
	check "an agent subscribing to another host's share is refused" \
		refused "$FPC" -c "$T/h3.conf" -s "$SURLS" sub fp.plan.h4
	check "an agent publishing another host's observation is refused" \
		refused "$FPC" -c "$T/h3.conf" -s "$SURLS" pub fp.obs.h4.links '{"ports":[]}'
	check "an agent publishing as the planner is refused" \
		refused "$FPC" -c "$T/h3.conf" -s "$SURLS" pub '$KV.flowplan.plan.h4' x
	check "an agent publishing its own observation is allowed" \
		"$FPC" -c "$T/h3.conf" -s "$SURLS" -t 5000 pub fp.obs.h3.counters '{"generation":0,"subflows":[]}'
	check "nobody publishes on the shares' subject, not even the planner" \
		refused "$FPC" -c "$T/pb.conf" -s "$SURLS" pub fp.plan.h4 x
	# the control of the two below: h3's own key and the right CA get in
	check "h3's own key and the servers' CA are let in" \
		bash -c "\"$FPC\" -c \"$T/h3.conf\" -s \"$SURLS\" -t 5000 share h3 >/dev/null"
	# a TLS connection's last release ran on a NATS thread while exit()
	# cleaned OpenSSL up: a segfault in about one run of 150 (CI saw it)
	check "fpc ends cleanly, 100 runs over TLS" bash -c "for i in {1..100}; do \"$FPC\" -c \"$T/h3.conf\" -s \"$SURLS\" -t 5000 share h3 >/dev/null || exit 1; done"
	sed "s|nkey_seed = .*|nkey_seed = $T/keys/intruder.seed|" "$T/h3.conf" >"$T/intruder.conf"
	out=$("$FPC" -c "$T/intruder.conf" -s "$SURLS" -t 1500 share h3 2>&1)
	log "unknown key: $out"
	check "an unknown NKey is refused" bash -c "! \"$FPC\" -c \"$T/intruder.conf\" -s \"$SURLS\" -t 1500 share h3"
	sed "s|tls_ca = .*|tls_ca = $T/tls/other.pem|" "$T/h3.conf" >"$T/badca.conf"
	out=$("$FPC" -c "$T/badca.conf" -s "$SURLS" -t 1500 share h3 2>&1)
	log "untrusted server certificate: $out"
	check "a server whose certificate the CA did not sign is refused" \
		bash -c "! \"$FPC\" -c \"$T/badca.conf\" -s \"$SURLS\" -t 1500 share h3"
	# an agent running with a key the servers do not know never installs
	conf agent h5x "$SURLS" intruder
	sed -i "s/host = h5x/host = h5/" "$T/h5x.conf"
	daemon_start h5x
	# nats.c reports a refused login as "no server available": the servers
	# say why (the connection's name is the daemon's role and host)
	check "the servers refuse the agent with a wrong key" \
		wait_for 20 grep -q 'C:flowpland agent h5" - authentication error' \
		"$T/n0.log" "$T/n1.log" "$T/n2.log"
	check "an agent with wrong credentials stays off the bus and installs nothing" \
		bash -c "$FPDCTL -j -s $T/h5x.sock status | jq -e '.cluster.bus.connected == false and .cluster.shares == 0' >/dev/null && [ ! -e $T/h5x.table ]"
	stop h5x
}

case_monotonic() {
	local h bad=0
	for h in "${HOSTS[@]}"; do
		if ! installed_epochs "$h" | increasing; then
			bad=1
			log "$h installed: $(installed_epochs "$h" | tr '\n' ' ')"
		fi
	done
	check "no agent ever installed an older epoch" [ $bad = 0 ]
	local r=0
	for h in "${HOSTS[@]}"; do
		r=$((r + $(st "$h" | jq -r .cluster.refused)))
	done
	log "shares refused for an older epoch, all agents: $r"
	check "every process still running" bash -c "for p in ${PID[*]}; do kill -0 \$p || exit 1; done"
}

# SIGTERM: a daemon ends with status 0 (a crash at exit, in nats.c's or
# OpenSSL's clean-up, is a status of 139)
stopped_cleanly() {
	local p=${PID[$1]} rc
	kill -TERM "$p"
	for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$p" 2>/dev/null
	wait "$p"
	rc=$?
	unset "PID[$1]"
	log "$1 ended with status $rc"
	[ "$rc" = 0 ]
}

case_shutdown() {
	check "an agent stopped with SIGTERM exits 0" stopped_cleanly h0
	check "a planner stopped with SIGTERM exits 0" stopped_cleanly pb
	check "the other planner too" stopped_cleanly pa
}

CASES=${*:-plan ipv6 linkdown failover server_kill cutoff leafcut late refused monotonic shutdown}
for c in $CASES; do
	log "--- $c"
	"case_$c"
done
echo "cluster-procs: $P passed, $F failed, $S skipped"
[ $F = 0 ]
