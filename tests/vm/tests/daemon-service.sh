# daemon-service: flowpland run as its systemd unit runs it (a user of its
# own, as DynamicUser= gives it, not the "nobody" of as_user; only
# CAP_NET_ADMIN and CAP_NET_RAW, its configuration file) on the two-spine
# fabric, planning a schedule file with a port map learned in this boot.
#  1. It installs generation 1 with h1's entry; the control socket (fpd-ctl,
#     flowplanctl daemon) and the metrics (HTTP) report it.
#  2. SIGKILL: the module keeps the plan (same generation, same entries).
#  3. Restart: it reads the plan back and continues from its generation
#     without installing anything (no traffic moves).
#  4. rmmod/insmod under it: it sees the family go and come back and
#     installs the plan again as the next generation.
#  5. SIGHUP re-reads the configuration; a broken one is refused and the
#     old one stays; SIGTERM stops it cleanly, the plan stays installed.
# vm: timeout=400 mem=1536 smp=2
. /tests/lib/common.sh
. /tests/lib/fabric.sh
. /tests/lib/flowplan.sh

command -v flowpland >/dev/null ||
	skip "flowpland is not built (it needs lib/core's netlink client)"
command -v fpd-ctl >/dev/null || skip "fpd-ctl is not built"
need_module
fabric_up
fp_load
need_ctl plan show

ctl() { fpd-ctl -j "$@"; }
st() { ctl status | jq -r "$1"; }
gen() { plan_json | jq -r '.generation'; }
has_event() { ctl show | jq -e --arg k "$1" 'any(.events[]; .kind == $k)' >/dev/null; }
entries() { plan_json | jq -c '[.entries[] | {src_addr, dst_addr, subflows: [.subflows[].sport]}]'; }

mkdir -p /etc/flowplan /run/flowplan /dev/shm
grep -q " /dev/shm " /proc/mounts || mount -t tmpfs -o mode=1777 tmpfs /dev/shm
FPD_UID=61184		# the first uid systemd's DynamicUser= hands out
chown $FPD_UID:$FPD_UID /run/flowplan
fabric_topology /etc/flowplan/fabric.json
fabric_portmap /etc/flowplan/ports.map
cat >/etc/flowplan/jobs.json <<EOT
{ "format": "flowplan-schedule", "version": 1, "name": "vm",
  "phases": [ { "name": "p0", "flows": [
    { "src": "h1.n0", "dst": "h2.n0", "bytes": 1073741824, "job": "j0" },
    { "src": "h2.n0", "dst": "h1.n0", "bytes": 1073741824, "job": "j0" } ] } ] }
EOT
chmod 0644 /etc/flowplan/*
write_conf() {
	cat >/etc/flowplan/flowpland.conf <<EOT
[daemon]
metrics = 127.0.0.1:9464
log_level = debug
[fabric]
topology = /etc/flowplan/fabric.json
portmap = /etc/flowplan/ports.map
local_addrs = $H1
[plan]
schedule = /etc/flowplan/jobs.json
max_split = ${1:-4}
holddown = 0
EOT
}
write_conf 4

# as the unit: a user of its own, CAP_NET_ADMIN and CAP_NET_RAW only
start_daemon() {
	setpriv --reuid=$FPD_UID --regid=$FPD_UID --clear-groups \
		--inh-caps=-all,+net_admin,+net_raw --ambient-caps=-all,+net_admin,+net_raw \
		--bounding-set=-all,+net_admin,+net_raw --no-new-privs -- \
		flowpland -c /etc/flowplan/flowpland.conf >>/tmp/fpd.log 2>&1 &
	FPD=$!
	poll 20 ctl status >/dev/null || { cat /tmp/fpd.log; fail "flowpland did not answer"; }
}
trap 'kill $FPD 2>/dev/null; cat /tmp/fpd.log' EXIT

# ---- 1. plan and install
start_daemon
poll 30 eval 'test "$(st .module.generation)" = 1' || fail "generation 1 was not installed: $(ctl show)"
[ "$(gen)" = 1 ] || fail "the module holds generation $(gen)"
E1=$(entries)
log "installed: $E1"
jq -e --arg h "$H1" --arg d "$H2" 'length == 1 and .[0].src_addr == $h and .[0].dst_addr == $d' \
	<<<"$E1" >/dev/null || fail "expected h1 -> h2 only: $E1"
[ "$(st .plan.installed)" = true ] || fail "status does not say installed"
ratio=$(st .plan.ratio)
log "planned max load / bound: $ratio"
out=$(busybox wget -qO- http://127.0.0.1:9464/metrics) || fail "no metrics"
grep -q '^flowpland_plan_generation 1$' <<<"$out" || fail "metrics: $out"
grep -q '^flowpland_installs_total 1$' <<<"$out" || fail "metrics: installs"
# an unprivileged user may look but not re-plan
as_user fpd-ctl status >/dev/null || fail "status refused to an unprivileged user"
expect_fail as_user fpd-ctl replan
grep -q "permission denied" <<<"$OUTPUT" || fail "replan by nobody: $OUTPUT"

# ---- 2. SIGKILL: the plan stays
kill -KILL $FPD
wait $FPD 2>/dev/null || true
[ "$(gen)" = 1 ] && [ "$(entries)" = "$E1" ] || fail "the plan changed when the daemon died"

# ---- 3. restart: resync, nothing moves
start_daemon
poll 20 eval 'test "$(st .replans)" -ge 1' || fail "no plan after restart"
[ "$(st .installs)" = 0 ] || fail "a restart installed a plan: $(ctl show)"
[ "$(gen)" = 1 ] && [ "$(entries)" = "$E1" ] || fail "a restart moved traffic"
[ "$(st .plan.generation)" = 1 ] || fail "the daemon did not continue from generation 1"

# ---- 4. rmmod / insmod under the daemon
fp_unload
poll 10 eval 'test "$(st .module.loaded)" = false' || fail "the daemon did not see the family go"
fp_load
poll 20 eval 'test "$(gen)" = 2' || fail "not re-installed after insmod (generation $(gen))"
[ "$(entries)" = "$E1" ] || fail "re-installed a different plan: $(entries)"

# ---- 5. reload, a broken file refused, then stop
write_conf 2
kill -HUP $FPD
poll 10 has_event reload || fail "no reload event"
echo "[plan]
max_split = 99" >/etc/flowplan/flowpland.conf
kill -HUP $FPD
poll 10 grep -q 'previous configuration stays' /tmp/fpd.log || fail "a broken file was not refused"
ctl status >/dev/null || fail "the daemon died of a broken configuration"
kill -TERM $FPD
wait $FPD || fail "flowpland did not stop cleanly"
FPD=
[ "$(gen)" -ge 2 ] || fail "the plan went away with the daemon"
trap - EXIT
dmesg_clean || fail "kernel warnings"
