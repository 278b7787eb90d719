# netns: who may change a namespace's plan, and what a namespace sees. Root
# in a container (a user namespace that owns its network namespace) sets,
# shows and deletes that namespace's plan and counters, never another's; a
# user without CAP_NET_ADMIN changes none. In the RDMA subsystem's shared
# mode a namespace lists rxe0 but not its netdev, which lives in init_net;
# in exclusive mode a new namespace lists no device and hears no device
# event, while init_net does. Anyone may listen to the events.
# vm: timeout=240
. /tests/lib/common.sh
. /tests/lib/flowplan.sh

need_module
need_ctl plan set show delete
need_ctl device show
need_ctl monitor
fp_load
modprobe veth
modprobe rdma_rxe
ip link set lo up
ip link add f0 type veth peer name f1
ip addr add 10.9.0.1/24 dev f0
ip link set f0 up
ip link set f1 up
rdma link add rxe0 type rxe netdev f0
poll 10 test -d /sys/class/infiniband/rxe0 || fail "no rxe0"

write_plan /tmp/host.json 3 "10.9.0.1 10.9.0.2 0 true 49153"
write_plan /tmp/cont.json 9 "10.7.0.1 10.7.0.2 0 false 49160,49161"
flowplanctl plan set /tmp/host.json
host_plan=$(plan_json | jq -c '[.generation, [.entries[].dst_addr]]')

# ---- root in a container manages its own namespace ----
unshare -Urn bash -c '
	set -e
	flowplanctl plan set /tmp/cont.json local 10.7.0.1
	flowplanctl -j plan show >/tmp/cont-shown.json
	flowplanctl -j device show >/tmp/cont-dev.json
	flowplanctl plan delete
	flowplanctl -j plan show >/tmp/cont-deleted.json
	fp-nlfuzz -c del-counters
' >/tmp/cont.out 2>&1 || { cat /tmp/cont.out; fail "root in a container could not manage its namespace"; }
[ "$(jq -c '[.generation, [.entries[].dst_addr]]' /tmp/cont-shown.json)" = '[9,["10.7.0.2"]]' ] ||
	{ cat /tmp/cont-shown.json; fail "the container's plan is not what it set"; }
[ "$(jq '[.entries[]?] | length' /tmp/cont-deleted.json)" = 0 ] ||
	fail "the container could not delete its plan"
[ "$(plan_json | jq -c '[.generation, [.entries[].dst_addr]]')" = "$host_plan" ] ||
	fail "the container's plan touched init_net's"
log "container root: own plan set, shown, deleted; init_net's untouched"

# Shared mode: the container lists rxe0, without the netdev of init_net.
jq -e '[.. | objects | select(.name? == "rxe0")] | length == 1' \
	/tmp/cont-dev.json >/dev/null || { cat /tmp/cont-dev.json; fail "a namespace does not list rxe0 in shared mode"; }
! grep -q '"f0"' /tmp/cont-dev.json ||
	{ cat /tmp/cont-dev.json; fail "a namespace sees the netdev of another"; }
flowplanctl -j device show | grep '"f0"' >/dev/null ||
	fail "init_net does not see rxe0's netdev"

# ---- without the capability, nothing changes ----
expect_fail as_user flowplanctl plan delete
expect_fail as_user fp-nlfuzz -c del-counters
grep -q 'Operation not permitted' <<<"$OUTPUT" || { echo "$OUTPUT"; fail "DEL_COUNTERS as a user: $OUTPUT"; }
[ "$(plan_json | jq -c '[.generation, [.entries[].dst_addr]]')" = "$host_plan" ] ||
	fail "a user changed the plan"

# ---- events need no capability ----
as_user flowplanctl monitor >/tmp/umon 2>&1 &
umon=$!
seen() { flowplanctl plan set /tmp/host.json; grep -qi plan /tmp/umon; }
poll 15 seen || { cat /tmp/umon; fail "a user's monitor saw no plan event"; }
kill $umon; wait $umon 2>/dev/null || true
flowplanctl plan delete

# ---- exclusive mode: a new namespace sees no device ----
# Switching needs init_net alone: the container's namespace may still be
# going away.
poll 20 rdma system set netns exclusive || fail "cannot switch RDMA to exclusive mode"
ip netns add x
ip -n x link set lo up
ip netns exec x flowplanctl -j device show >/tmp/x-dev.json
! grep -q rxe0 /tmp/x-dev.json || { cat /tmp/x-dev.json; fail "namespace x lists rxe0 in exclusive mode"; }
ip netns exec x flowplanctl monitor >/tmp/xmon 2>&1 &
xmon=$!
start_monitor /tmp/mon
ip link add f2 type veth peer name f3
ip link set f2 up
ip link set f3 up
sleep 1	# both monitors subscribed (nothing to poll for in x)
rdma link add rxe1 type rxe netdev f2
poll 15 monitor_has /tmp/mon rxe1 || { cat /tmp/mon; fail "init_net heard no event for rxe1"; }
stop_monitor
kill $xmon; wait $xmon 2>/dev/null || true
! grep -q rxe1 /tmp/xmon || { cat /tmp/xmon; fail "namespace x heard of rxe1 in exclusive mode"; }
rdma link delete rxe1
ip netns del x
fp_unload
