# lib-planset: plans of every size through the shared core's netlink client
# (lib/core, flowplanctl plan set/show) into flowplan.ko and back:
#  - 3000 entries of up to 4 subflows: sent as several SET_PLAN messages,
#    each filled to the 64 KiB entries attribute, installed together; the
#    dump (several messages too) reads back exactly the file's entries;
#  - the monitor sees one plan change for it, not one per message;
#  - a smaller plan of the next generation replaces it whole;
#  - an IPv6 entry installs and shows as an IPv4 one does (16-byte
#    addresses); a file with no local entry is refused before anything is
#    sent and leaves the installed plan as it was.
# vm: timeout=300
. /tests/lib/common.sh
. /tests/lib/flowplan.sh

need_module
need_ctl plan set show delete
need_ctl monitor
command -v jq >/dev/null || skip "jq is not in the image"
fp_load max_entries=4096
ip addr add 10.9.9.9/32 dev lo

# big_plan FILE GEN N: N entries from 10.9.9.9, 1 to 4 subflows each.
big_plan() {
	local file=$1 gen=$2 n=$3 i k j sep="" subs w enf
	{
		printf '{ "format": "flowplan-plan", "version": 1, "generation": %s, "entries": [' "$gen"
		for ((i = 0; i < n; i++)); do
			k=$((i % 4 + 1)) subs=""
			for ((j = 0; j < k; j++)); do
				w=$((65536 / k))
				[ $j = $((k - 1)) ] && w=$((65536 - w * (k - 1)))
				subs="$subs${subs:+,}{\"flow_label\":$((i % 900 + j + 1)),\"weight\":$w}"
			done
			enf=false
			((i % 7)) || enf=true
			printf '%s\n{"src_addr":"10.9.9.9","dst_addr":"10.8.%d.%d","dqpn":%d,"enforce":%s,"subflows":[%s]}' \
				"$sep" $((i / 250)) $((i % 250 + 1)) $((i % 3)) "$enf" "$subs"
			sep=,
		done
		printf ' ] }\n'
	} >"$file"
}
norm='[.entries[] | {src_addr, dst_addr, dqpn, enforce: (.enforce // false),
	subflows: [.subflows[] | {flow_label, weight}]}] | sort'

# The monitor's subscription takes a moment: a first plan until it shows.
start_monitor /tmp/mon
big_plan /tmp/one.json 1 1
first_seen() {
	flowplanctl plan set /tmp/one.json >/dev/null
	monitor_has /tmp/mon 'plan changed: generation 1'
}
poll 15 first_seen || { cat /tmp/mon; fail "the monitor saw no plan change"; }
big_plan /tmp/big.json 7 3000
# The plan is this host's: 10.9.9.9 is on lo.
out=$(flowplanctl plan set /tmp/big.json) || fail "plan set of 3000 entries: $out"
log "$out"
grep -q "installed 3000 of 3000 entries, generation 7" <<<"$out" || fail "plan set said: $out"
flowplanctl -j plan show >/tmp/shown.json || fail "plan show"
[ "$(jq '.entries | length' /tmp/shown.json)" = 3000 ] || fail "plan show has $(jq '.entries | length' /tmp/shown.json) entries"
[ "$(jq .generation /tmp/shown.json)" = 7 ] || fail "generation is not 7"
[ "$(jq -S "$norm" /tmp/big.json)" = "$(jq -S "$norm" /tmp/shown.json)" ] ||
	fail "the installed plan differs from the file"
# Every sport is the one its label gives (the module holds what was sent).
bad=$(jq '[.entries[].subflows[] | select(.sport != (49152 + (.flow_label % 16384)))] | length' /tmp/shown.json)
[ "$bad" = 0 ] || fail "$bad subflows with a port their label does not give"
seen() { [ "$(grep -ci 'plan changed: generation 7, 3000 entries' /tmp/mon)" = 1 ]; }
poll 10 seen || { cat /tmp/mon; fail "the monitor did not see one plan change of 3000 entries"; }

# The next generation, smaller: replaces the big one whole.
big_plan /tmp/small.json 8 10
flowplanctl plan set /tmp/small.json >/dev/null || fail "plan set of 10 entries"
[ "$(flowplanctl -j plan show | jq '.entries | length')" = 10 ] || fail "the small plan did not replace the big one"

# An IPv6 entry installs as an IPv4 one does (16-byte addresses).
cat >/tmp/v6.json <<'JSON'
{ "format": "flowplan-plan", "version": 1, "generation": 9, "entries": [
  { "src_addr": "2001:db8::1", "dst_addr": "2001:db8::2",
    "subflows": [ { "flow_label": 1, "weight": 65536 } ] } ] }
JSON
flowplanctl plan set /tmp/v6.json local 2001:db8::1 >/dev/null || fail "an IPv6 plan was refused"
[ "$(flowplanctl -j plan show | jq -r '.entries[0].dst_addr')" = 2001:db8::2 ] ||
	fail "the IPv6 entry is not in the module: $(flowplanctl -j plan show)"
# Refused before anything is sent: the plan stays.
sed 's/10\.9\.9\.9/10.7.7.7/' /tmp/small.json | sed 's/"generation": 8/"generation": 10/' >/tmp/far.json
expect_fail flowplanctl plan set /tmp/far.json
grep -q "none of the 10 entries" <<<"$OUTPUT" || fail "a plan with no local entry not refused: $OUTPUT"
[ "$(flowplanctl -j plan show | jq .generation)" = 9 ] || fail "a refused plan changed the module's"

flowplanctl plan delete
stop_monitor
fp_unload
dmesg_clean
