# counters: what the counter table counts, and how it is emptied. An
# unprivileged user sending UDP datagrams with a valid-looking BTH to port
# 4791 from hundreds of source ports fills no slot and is not rewritten,
# even to an address an enforcing plan entry covers; soft-RoCE traffic is
# counted. DEL_COUNTERS empties the table (root only), and a full table
# (max_counters) counts the rest as untracked until then.
# FAM=6 (counters6.sh, which sources this file): the same over the
# fabric's IPv6 addresses (fabric_up6): the user's datagrams and rxe's
# traffic (its IPv6 RoCEv2 GIDs) are IPv6, the plan entry and the counters
# are keyed by the IPv6 addresses.
# vm: timeout=300
. /tests/lib/common.sh
. /tests/lib/fabric.sh
. /tests/lib/flowplan.sh

need_module
need_ctl plan set delete
need_ctl counters show
FAM=${FAM:-4}
fabric_up
if [ "$FAM" = 6 ]; then
	fabric_up6
	A1=$H1_6 A2=$H2_6 BW=bw_run6 IPV=IP6
else
	A1=$H1 A2=$H2 BW=bw_run IPV=IP
fi
fp_load max_counters=4
write_plan /tmp/plan.json 1 "$A1 $A2 0 true 49153"
flowplanctl plan set /tmp/plan.json

paths() { flowplanctl -j counters show | jq '[.. | objects | select(has("sport"))] | length'; }
untracked() { flowplanctl -j counters show | jq '.untracked // 0'; }

# A first burst of the user's (a new source port each, so over both spines)
# resolves every next hop h1 -> h2, so that none of the 300 counted below
# is lost in a neighbour's queue while it is resolved (once, 299 of 300).
as_user fp-udpsend $A1 $A2 32
poll 10 fabric_neigh_ready "$FAM" || fail "the fabric's next hops were not resolved"

# 300 datagrams from h1's address (of the family), each from a new socket (a new source
# port): SEND ONLY to QP 0x21, through the fabric like rxe's.
tcpdump -i h2 -nn -l udp dst port 4791 >/tmp/dump 2>/tmp/dump.err &
dump=$!
poll 10 grep -q listening /tmp/dump.err || fail "tcpdump did not start"
as_user fp-udpsend $A1 $A2 300
[ "$(paths)" = 0 ] || { flowplanctl counters show; fail "a user's datagrams took counter slots"; }
[ "$(untracked)" = 0 ] || fail "a user's datagrams were counted as untracked"

# Soft-RoCE traffic is counted (and pinned): it fills the 4 slots.
$BW -s 4096 -n 50
[ "$(counter_packets $A2 49153)" -ge 50 ] || { flowplanctl counters show; fail "rxe traffic was not counted"; }
dumped() { [ "$(grep -c "> $A2.4791" /tmp/dump || true)" -ge 450 ]; }
poll 10 dumped || fail "tcpdump saw only $(grep -c "> $A2.4791" /tmp/dump) datagrams"
kill $dump; wait $dump 2>/dev/null || true
n=$(grep -c "> $A2.4791" /tmp/dump || true)
pinned=$(grep -c " $IPV $A1.49153 > $A2.4791" /tmp/dump || true)
log "h2 saw $n datagrams to 4791, $pinned from port 49153"
# The user's 300 kept their own ports; rxe's went to the planned one.
[ $((n - pinned)) -ge 300 ] || fail "a user's datagrams were rewritten to the planned port"
[ "$pinned" -ge 150 ] || fail "rxe's packets were not pinned"

# Fill the table (4 slots): each ib_write_bw's QPs have new numbers, so
# new ports both ways.
flowplanctl plan delete
for i in 1 2 3; do $BW -s 4096 -n 5; done
[ "$(paths)" = 4 ] || { flowplanctl counters show; fail "$(paths) paths in a table of 4"; }
[ "$(untracked)" -gt 0 ] || fail "a full table counted nothing as untracked"

# Only root empties it; then it counts again, a bigger table if asked.
expect_fail as_user fp-nlfuzz -c del-counters
[ "$(paths)" -ge 1 ] || fail "a user emptied the counters"
echo 64 >/sys/module/flowplan/parameters/max_counters
! echo 0 >/sys/module/flowplan/parameters/max_counters 2>/dev/null ||
	fail "max_counters=0 was accepted"
! echo 2000000 >/sys/module/flowplan/parameters/max_counters 2>/dev/null ||
	fail "max_counters=2000000 was accepted"
[ "$(cat /sys/module/flowplan/parameters/max_counters)" = 64 ] ||
	fail "a refused max_counters changed it"
fp-nlfuzz -c del-counters
[ "$(paths)" = 0 ] && [ "$(untracked)" = 0 ] || fail "DEL_COUNTERS left counts"
$BW -s 4096 -n 20
[ "$(paths)" -ge 2 ] && [ "$(untracked)" = 0 ] ||
	{ flowplanctl counters show; fail "the new table does not count"; }
dmesg_clean || fail "the kernel complained"
fp_unload
