# link-event: the module's link and port events (its UAPI, read raw by
# fp-nlevent), h1 set down, then up again:
#  - each of rxe0's two LINK_CHANGED events holds h1's IPv4 GID (10.0.1.1)
#    and, h1 being dual-stack (fabric_up6), its IPv6 GID (fd00:1::1), with
#    the link (1 down, 2 up) and no IB port state (the netdev notifier runs
#    before the RDMA core updates it);
#  - a PORT_CHANGED (the RDMA core's port event) carries the state the core
#    then has: 1 (DOWN) with the link down, 4 (ACTIVE) once it is up again,
#    with h1's IPv4 GID; and the device dump (GET_DEVICES, by flowplanctl)
#    says the same right after each;
#  - `flowplanctl monitor` prints each port event, as text ("port rxe0 port
#    1 netdev h1 state DOWN link down") and with -j as JSON.
# Where the kernel cannot route IPv6 through the fabric (fabric_has6: the
# debug kernel), IPv4 only.
# vm: timeout=300
. /tests/lib/common.sh
. /tests/lib/fabric.sh
. /tests/lib/flowplan.sh

need_module
command -v fp-nlevent >/dev/null || skip "fp-nlevent was not built"
need_ctl device show
need_ctl monitor
fabric_up
V6='fd00:1::1'
if fabric_has6; then fabric_up6; else V6='.*'; log "no IPv6 fabric: IPv4 GID only"; fi
fp_load

fp-nlevent 120 >/tmp/ev 2>&1 &
ev=$!
poll 10 grep -x ready /tmp/ev || { cat /tmp/ev; fail "fp-nlevent did not start"; }
# flowplanctl monitor, text and JSON, listening once each has printed the
# event of a plan delete.
start_monitor /tmp/mon
flowplanctl -j monitor >/tmp/monj 2>&1 &
monj=$!
mon_ready() {
	flowplanctl plan delete &&
		grep -q '^plan changed' /tmp/mon &&
		jq -c 'select(.event == "plan")' /tmp/monj | grep -q .
}
poll 10 mon_ready || { cat /tmp/mon /tmp/monj; fail "flowplanctl monitor did not start"; }

# The GID list as a comma-separated field of the event line for rxe0 with
# link $1: it holds h1's addresses, IPv4 and IPv6, in one event.
ev_has() {
	grep -E "^link rxe0 port 1 link $1 state none gids (.*,)?10\.0\.1\.1(,.*)?\$" /tmp/ev |
		grep -E "gids (.*,)?$V6(,.*)?\$" >/dev/null
}
# A port event for rxe0 with link $1 and state $2 among the lines after
# line $3 of the output.
port_has() {
	tail -n +"$(($3 + 1))" /tmp/ev |
		grep -E "^port rxe0 port 1 link $1 state $2 gids (.*,)?10\.0\.1\.1(,.*)?\$" >/dev/null
}
# The monitors' port event for rxe0 with link $1 and state $2, text and
# JSON, among the lines after line $3 of the text and $4 of the JSON.
mon_port() {
	tail -n +"$(($3 + 1))" /tmp/mon |
		grep -E "^port rxe0 port 1 netdev h1 state $2 link $1\$" >/dev/null &&
		tail -n +"$(($4 + 1))" /tmp/monj |
		jq -c --arg l "$1" --arg s "$2" 'select(.event == "port" and .device == "rxe0" and
			.port == 1 and .netdev == "h1" and .state == $s and .link == $l)' | grep -q .
}
# rxe0's port 1 state as the device dump shows it.
dump_state() {
	flowplanctl -j device show |
		jq -r '.devices[] | select(.name == "rxe0") | .ports[] | select(.port == 1) | .state'
}

ip link set h1 down
poll 10 ev_has 1 || { cat /tmp/ev; fail "no link-down event with h1's GIDs"; }
poll 30 port_has 1 1 0 || { cat /tmp/ev; fail "no port event with state DOWN"; }
s=$(dump_state)
[ "$s" = DOWN ] || fail "after the port event DOWN, the dump says rxe0 is '$s'"
poll 10 mon_port down DOWN 0 0 ||
	{ cat /tmp/mon /tmp/monj; fail "flowplanctl monitor printed no port event DOWN"; }
# Every event after this line was made with h1 down or later: one with the
# link up and the state ACTIVE comes from the RDMA core's update for h1 up.
n=$(wc -l </tmp/ev)
m=$(wc -l </tmp/mon)
mj=$(wc -l </tmp/monj)
ip link set h1 up
poll 10 ev_has 2 || { cat /tmp/ev; fail "no link-up event with h1's GIDs"; }
poll 30 port_has 2 4 "$n" || { cat /tmp/ev; fail "no port event with state ACTIVE"; }
s=$(dump_state)
[ "$s" = ACTIVE ] || fail "after the port event ACTIVE, the dump says rxe0 is '$s'"
poll 10 mon_port up ACTIVE "$m" "$mj" ||
	{ cat /tmp/mon /tmp/monj; fail "flowplanctl monitor printed no port event ACTIVE"; }
stop_monitor
kill "$monj" 2>/dev/null || true
wait "$monj" 2>/dev/null || true
cat /tmp/mon /tmp/monj
kill "$ev" 2>/dev/null || true
wait "$ev" 2>/dev/null || true
cat /tmp/ev
! grep -v -E '^(ready|link .* state none gids .*|port .* state [0-9]+ gids .*)$' /tmp/ev ||
	fail "fp-nlevent complained, or a link event had a state or a port event none"
fp_unload
