# ctl: every online flowplanctl command against the live module: device
# show (rxe devices, ports, GIDs, netdevs, link state), plan set/show/delete
# (what is shown is what was set; an older generation and too many entries
# are refused with the kernel's reason), counters show after soft-RoCE
# traffic, monitor (link down/up, device added/removed and plan-changed
# events), and an unprivileged user who can read everything and change
# nothing.
# vm: timeout=420
. /tests/lib/common.sh
. /tests/lib/fabric.sh
. /tests/lib/flowplan.sh

need_module
need_ctl device show
need_ctl plan set show delete
need_ctl counters show
need_ctl monitor
fabric_up
# Dual-stack where the kernel can (fabric_has6): device show lists the
# hosts' IPv6 GIDs too, and plan set/show round-trips an IPv6 entry beside
# the IPv4 ones.
P6=()
if fabric_has6; then
	fabric_up6
	P6=("$H1_6 $H2_6 9 true 49161,49162")
else
	log "no IPv6 fabric in this kernel: IPv4 only"
fi
fp_load

# ---- device show ----
flowplanctl device show | tee /tmp/dev
grep -q rxe0 /tmp/dev && grep -q rxe1 /tmp/dev || fail "device show misses rxe0/rxe1"
flowplanctl -j device show >/tmp/dev.json
jq -e . /tmp/dev.json >/dev/null || fail "device show -j is not JSON"
# Whatever the nesting, rxe0's subtree names netdev h1, an up link, an
# active port and the IPv4 GID of h1.
dev_has() {
	jq -e --arg d "$1" --arg re "$2" \
		'[.. | objects | select(.name? == $d or .device? == $d or .ifname? == $d)
		  | [.. | scalars | tostring] | any(test($re))] | any' /tmp/dev.json >/dev/null
}
for pair in "rxe0 h1 10.0.1.1" "rxe1 h2 10.0.2.1"; do
	read -r d nd ip <<<"$pair"
	dev_has $d "^$nd\$" || fail "device show -j: $d has no netdev $nd"
	dev_has $d "(?i)^(up|link_up)$" || fail "device show -j: $d link is not up"
	dev_has $d "(?i)^(active|port_active)$" || fail "device show -j: $d port is not ACTIVE"
	dev_has $d "${ip//./\\.}|$(printf '%02x%02x:%02x%02x' ${ip//./ })" ||
		fail "device show -j: $d has no GID for $ip"
done
[ ${#P6[@]} = 0 ] || for pair in "rxe0 $H1_6" "rxe1 $H2_6"; do
	read -r d ip <<<"$pair"
	dev_has $d "^($ip|$(gid6_expand $ip))\$" ||
		fail "device show -j: $d has no GID for $ip"
done

# ---- monitor, started early so that it sees everything below ----
start_monitor /tmp/mon
# The subscription is not instantaneous: set the (equal) plan until the
# monitor reports it.
write_plan /tmp/p1.json 5 \
	"$H1 $H2 0 false 49153,49154" \
	"$H2 $H1 77 true 49160" "${P6[@]}"
seen_plan() {
	flowplanctl plan set /tmp/p1.json
	monitor_has /tmp/mon '[Pp][Ll][Aa][Nn]'
}
poll 15 seen_plan || { cat /tmp/mon; fail "monitor saw no plan-changed event"; }

# ---- plan show is what was set ----
norm_file='[.entries[] | {src_addr, dst_addr, dqpn, enforce,
	subflows: [.subflows[] | {flow_label, sport, weight}]}] | sort'
norm_shown='[.. | objects | select(has("subflows"))
	| {src_addr: (.src_addr // .local_addr), dst_addr: (.dst_addr // .remote_addr),
	   dqpn, enforce: (.enforce // false),
	   subflows: [.subflows[] | {flow_label, sport, weight}]}] | sort'
plan_json >/tmp/shown.json
want=$(jq -S "$norm_file" /tmp/p1.json)
got=$(jq -S "$norm_shown" /tmp/shown.json)
[ "$want" = "$got" ] || { echo "set: $want"; echo "shown: $got"; fail "plan show differs from the plan set"; }
[ "$(jq '[.. | .generation? // empty] | first' /tmp/shown.json)" = 5 ] ||
	fail "plan show: generation is not 5"
flowplanctl plan show | grep 49154 >/dev/null || fail "plan show (text) misses a subflow"

# ---- an older generation is refused, with the kernel's reason ----
write_plan /tmp/old.json 4 "$H1 $H2 0 true 49155"
expect_fail flowplanctl plan set /tmp/old.json
echo "$OUTPUT"
grep -q 'kernel reports: ' <<<"$OUTPUT" || fail "no extack message for a stale generation"
[ "$(jq '[.. | .generation? // empty] | first' <(plan_json))" = 5 ] ||
	fail "a stale plan replaced the plan"

# ---- too many entries (max_entries is writable) ----
echo 2 >/sys/module/flowplan/parameters/max_entries
write_plan /tmp/big.json 6 "$H1 $H2 1 false 49153" "$H1 $H2 2 false 49154" \
	"$H1 $H2 3 false 49155"
expect_fail flowplanctl plan set /tmp/big.json
echo "$OUTPUT"
grep -q 'kernel reports: ' <<<"$OUTPUT" || fail "no extack message for too many entries"
echo 1024 >/sys/module/flowplan/parameters/max_entries

# ---- counters after traffic ----
bw_run -s 65536 -n 50
flowplanctl counters show | tee /tmp/cnt
grep -q "$H2" /tmp/cnt || fail "counters show has no counter toward $H2"
n=$(flowplanctl -j counters show | jq --arg d "$H2" \
	'[.. | objects | select((.remote_addr // .dst_addr // .remote) == $d) | .packets] | add // 0')
# 50 x 64 KiB at MTU 1024: 3200 packets, all sent by rxe0 toward h2.
[ "$n" -ge 3200 ] || fail "counters show $n packets toward $H2, expected >= 3200"

# ---- link events ----
# rxe0's link as device show -j tells it
link_is() {
	flowplanctl -j device show >/tmp/dev.json
	dev_has rxe0 "^$1\$"
}
log "link events: h1 down and up"
ip link set h1 down
poll 10 monitor_has /tmp/mon '(rxe0|h1).*(down|DOWN)|(down|DOWN).*(rxe0|h1)' ||
	{ cat /tmp/mon; fail "monitor saw no link-down event"; }
poll 10 link_is down || fail "device show does not report h1 down"
ip link set h1 up
poll 10 monitor_has /tmp/mon '(rxe0|h1).*(up|UP)|(up|UP).*(rxe0|h1)' ||
	{ cat /tmp/mon; fail "monitor saw no link-up event"; }
poll 10 port_active rxe0
poll 10 link_is up || fail "device show does not report h1 up again"
dev_has rxe0 '^ACTIVE$' || fail "device show: rxe0 is not ACTIVE again"

# ---- device added and removed ----
log "device added and removed: x0 with 250 addresses, rxe9"
ip link add x0 type veth peer name x1
ip link set x0 up
ip link set x1 up
# 250 addresses, a RoCEv2 GID each: more GIDs than a page-sized event or
# dump message holds. One ip process, not 250: a process costs the debug
# kernel (KASAN, kmemleak) far more than Debian's, and its ctl run that
# timed out (2026-12-02) went silent in this part or the link events.
for i in $(seq 1 250); do echo "addr add 10.77.$i.1/32 dev x0"; done |
	ip -batch -
log "  250 addresses on x0"
rdma link add rxe9 type rxe netdev x0
poll 10 monitor_has /tmp/mon 'added.*rxe9|rxe9.*added' ||
	{ cat /tmp/mon; fail "monitor saw no device-added event"; }
flowplanctl device show | grep rxe9 >/dev/null || fail "device show misses rxe9"
n=$(flowplanctl -j device show |
	jq '[.devices[] | select(.name == "rxe9") | .ports[].gids[]] | length')
[ "$n" -ge 250 ] || fail "device show lists $n GIDs of rxe9, not 250 or more"
rdma link delete rxe9
poll 10 monitor_has /tmp/mon 'removed.*rxe9|rxe9.*removed' ||
	{ cat /tmp/mon; fail "monitor saw no device-removed event"; }
! flowplanctl device show | grep rxe9 || fail "device show still lists rxe9"
ip link del x0

# ---- an unprivileged user reads, and cannot change anything ----
as_user flowplanctl device show | grep rxe0 >/dev/null || fail "user cannot show devices"
as_user flowplanctl plan show | grep 49154 >/dev/null || fail "user cannot show the plan"
as_user flowplanctl counters show >/dev/null || fail "user cannot show counters"
write_plan /tmp/user.json 9 "$H1 $H2 0 true 49155"
expect_fail as_user flowplanctl plan set /tmp/user.json
echo "$OUTPUT"
grep -qiE 'not permitted|permission|EPERM' <<<"$OUTPUT" ||
	fail "unprivileged plan set not refused for lack of permission"
expect_fail as_user flowplanctl plan delete
[ "$(jq '[.. | .generation? // empty] | first' <(plan_json))" = 5 ] ||
	fail "an unprivileged user changed the plan"

# ---- delete ----
lines=$(wc -l </tmp/mon)
flowplanctl plan delete
[ "$(jq '[.. | objects | select(has("subflows"))] | length' <(plan_json))" = 0 ] ||
	fail "plan delete left entries"
grow() { [ "$(wc -l </tmp/mon)" -gt "$lines" ]; }
poll 10 grow || fail "monitor saw no event for plan delete"
stop_monitor
echo "--- monitor saw:"
cat /tmp/mon
fp_unload
