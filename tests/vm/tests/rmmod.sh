# rmmod: unloading flowplan.ko while soft-RoCE traffic it pins is running
# leaves no oops and no stuck transfer: the traffic keeps flowing (now on its
# own source port) and ib_write_bw ends cleanly; a monitor listening on the
# events group survives the family going away; a reload starts empty.
# vm: timeout=300 smp=2
. /tests/lib/common.sh
. /tests/lib/fabric.sh
. /tests/lib/flowplan.sh

need_module
need_ctl plan set show
have_monitor=0
(need_ctl monitor) >/dev/null && have_monitor=1
fabric_up
sp=$(sport_for_spine 2) || fail "no source port takes spine 2"
fp_load
write_plan /tmp/plan.json 1 "$H1 $H2 0 true $sp" "$H2 $H1 0 true $sp"
flowplanctl plan set /tmp/plan.json
[ $have_monitor = 0 ] || start_monitor /tmp/mon

total() { echo $(($(spine_rx 1 1) + $(spine_rx 2 1))); }

s0=$(spine_rx 2 1)
# Long enough to outlast a slow rmmod under TCG (2-8 s seen) with room after.
# On the debug kernel 25 s ran out during the unload (11 s there, and each
# spine_rx is a second or more), and "traffic goes on" then polled an ended
# transfer until the time-out (2026-12-01): there it runs 120 s.
D=25
! on_debug_kernel || D=120
bw_server_bg -s 65536 -D $D
bw_client -s 65536 -D $D >/tmp/cli 2>&1 &
cli=$!
enough_on_spine2() { [ $(($(spine_rx 2 1) - s0)) -gt 3000 ]; }
poll 30 enough_on_spine2 || fail "pinned traffic did not start on spine 2"
log "traffic pinned to spine 2 (sport $sp); unloading flowplan"

t0=$(total)
fp_unload
log "unloaded after $(($(total) - t0)) more packets"
! grep -qw flowplan /proc/modules

# The transfer goes on without the module...
t1=$(total)
more() { [ $(($(total) - t1)) -gt 3000 ]; }
poll 30 more || fail "traffic stopped after rmmod"
log "traffic continues: $(($(total) - t1)) packets since rmmod"
# ...and ends cleanly.
wait $cli || { cat /tmp/cli; fail "ib_write_bw client failed after rmmod"; }
wait $BW_SERVER || { cat /tmp/srv; fail "ib_write_bw server failed after rmmod"; }
grep -E '^ *65536 ' /tmp/cli
[ $have_monitor = 0 ] || stop_monitor

# A second load starts from nothing and goes away again.
fp_load
[ "$(plan_json | jq '[.entries[]?] | length')" = 0 ] ||
	fail "a reloaded module still has a plan"
fp_unload
