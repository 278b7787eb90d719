# daemon-latency: event to install with the real module. flowpland plans a
# schedule file for h1 and h2 (both hosts live in this VM); h1's link goes
# down: rxe0's port goes down, flowplan.ko says so on its netlink family,
# the daemon plans without h1's flows (the planner's repair) and installs
# the new plan; back up, the plan with h1's flows comes back (planned
# anew). Each way, five times: the time from `ip link set` to the module's
# plan-changed event (flowplanctl monitor), and the daemon's own share
# (from reading the module's event to the install acknowledged). The
# lines starting "bench-daemon-vm:" are what make bench-daemon-vm prints.
# vm: timeout=300 mem=1536 smp=2
. /tests/lib/common.sh
. /tests/lib/fabric.sh
. /tests/lib/flowplan.sh

command -v flowpland >/dev/null || skip "flowpland is not built"
command -v fpd-ctl >/dev/null || skip "fpd-ctl is not built"
need_module
fabric_up
fp_load
need_ctl monitor

ctl() { fpd-ctl -j "$@"; }
st() { ctl status | jq -r "$1"; }
gen() { plan_json | jq -r '.generation'; }
entries() { plan_json | jq '.entries | length'; }

mkdir -p /etc/flowplan /run/flowplan /dev/shm
grep -q " /dev/shm " /proc/mounts || mount -t tmpfs -o mode=1777 tmpfs /dev/shm
chown 65534:65534 /run/flowplan
fabric_topology /etc/flowplan/fabric.json
fabric_portmap /etc/flowplan/ports.map
cat >/etc/flowplan/jobs.json <<EOT
{ "format": "flowplan-schedule", "version": 1, "name": "vm",
  "phases": [ { "name": "p0", "flows": [
    { "src": "h1.n0", "dst": "h2.n0", "bytes": 1073741824, "job": "j0" },
    { "src": "h2.n0", "dst": "h1.n0", "bytes": 1073741824, "job": "j0" } ] },
    { "name": "p1", "flows": [
    { "src": "h2.n0", "dst": "h1.n0", "bytes": 1073741824, "job": "j0" } ] } ] }
EOT
cat >/etc/flowplan/flowpland.conf <<EOT
[daemon]
metrics = off
[fabric]
topology = /etc/flowplan/fabric.json
portmap = /etc/flowplan/ports.map
local_addrs = $H1,$H2
[plan]
schedule = /etc/flowplan/jobs.json
holddown = 0
[faults]
counters_interval = 0
EOT
chmod 0644 /etc/flowplan/*
setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all,+net_admin,+net_raw --ambient-caps=-all,+net_admin,+net_raw \
	--bounding-set=-all,+net_admin,+net_raw --no-new-privs -- \
	flowpland -c /etc/flowplan/flowpland.conf >/tmp/fpd.log 2>&1 &
FPD=$!
trap 'kill $FPD 2>/dev/null; tail -40 /tmp/fpd.log' EXIT
poll 20 ctl status || fail "flowpland did not answer"
poll 30 eval 'test "$(st .plan.installed)" = true' || fail "no plan installed: $(ctl show)"
FULL=$(entries)
[ "$FULL" = 2 ] || fail "expected entries h1 -> h2 and h2 -> h1: $(plan_json)"

# The module's plan events, each with the time it was read (no fork per line).
flowplanctl -j monitor | while IFS= read -r l; do echo "$EPOCHREALTIME $l"; done >/tmp/mon &
MON=$!
poll 5 test -e /tmp/mon || fail "no monitor"
sleep 0.5	# the monitor's socket joins the group

# round WHAT UPDOWN FILE: one change of h1's link; appends "END_TO_END_MS
# DAEMON_MS" to FILE (not to stdout: a failure's message would go there)
round() {
	local g t0 line t1 d
	g=$(gen)
	t0=$EPOCHREALTIME
	ip link set h1 "$2"
	poll 30 grep -q "\"generation\":$((g + 1))" /tmp/mon ||
		fail "$1: no new plan in the module: $(ctl show)"
	line=$(grep "\"generation\":$((g + 1))" /tmp/mon | head -1)
	t1=${line%% *}
	poll 10 eval 'test "$(st .plan.pending)" = false' || fail "$1: a re-plan waits"
	d=$(st .last_latency_ms)
	awk -v a="$t0" -v b="$t1" -v d="$d" 'BEGIN { printf "%.3f %s\n", (b - a) * 1000, d }' >>"$3"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
: >/tmp/down
: >/tmp/up
for i in 1 2 3 4 5; do
	round "h1 down ($i)" down /tmp/down
	[ "$(entries)" = 0 ] || fail "h1's link is down but the module holds $(entries) entries"
	round "h1 up ($i)" up /tmp/up
	poll 10 port_active $RXE0 || fail "$RXE0 did not come back"
	[ "$(entries)" = "$FULL" ] || fail "h1's link is up but the module holds $(entries) entries"
done
cat /tmp/down /tmp/up
printf 'bench-daemon-vm: link down -> new plan in flowplan.ko: %.1f ms (the daemon: %.2f ms; qemu TCG)\n' \
	"$(cut -d' ' -f1 /tmp/down | median)" "$(cut -d' ' -f2 /tmp/down | median)"
printf 'bench-daemon-vm: link up   -> new plan in flowplan.ko: %.1f ms (the daemon: %.2f ms; qemu TCG)\n' \
	"$(cut -d' ' -f1 /tmp/up | median)" "$(cut -d' ' -f2 /tmp/up | median)"
kill $MON 2>/dev/null || true
kill -TERM $FPD
wait $FPD || fail "flowpland did not stop cleanly"
trap - EXIT
dmesg_clean || fail "kernel warnings"
