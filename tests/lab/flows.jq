# flows.jq - the connection list fp-traffic plays, from a plan or a schedule
# (docs/formats.md). Used by the lab scripts only.
#
# Arguments: $mode "plan" (every subflow of the plan, at its planned port and
# bytes) or "ecmp" (each flow as $k connections on pseudo-random ports drawn
# from $seed, bytes split evenly); $labels, when not 0, draws those ports
# among the RoCEv2 ports of flow labels 1..$labels (0xC000 | label, distinct
# within a flow) as a QP-number-derived label would; $nics, lab.sh's nics
# file ("NIC NETNS ADDR IFNAME LEAF" lines). Output: "PHASE FLOW SRC_NETNS
# SRC_ADDR DST_NETNS DST_ADDR SPORT BYTES" lines.

def rnd($x): (($x % 2147483647) * 48271 % 2147483647) * 48271 % 2147483647;

($nics | split("\n") | map(select(length > 0) | split(" ")
	| {key: .[0], value: {ns: .[1], addr: .[2]}}) | from_entries) as $nic
| ($seed | tonumber) as $s
| ($k | tonumber) as $kk
| (($ARGS.named.labels // "0") | tonumber) as $nl
| .phases | to_entries[] | .key as $ph
| .value.flows | to_entries[] | .key as $fl | .value as $f
| select($nic[$f.src] and $nic[$f.dst] and $nic[$f.src].ns != $nic[$f.dst].ns)
| (if $mode == "plan" and (($f.subflows // []) | length) > 0
   then [$f.subflows[] | {sport, bytes}]
   else [range(0; $kk) as $j
	 | rnd($s * 131 + $ph * 1009 + $fl * 97 + 1) as $r
	 | {sport: (if $nl > 0 then 49153 + (($r + $j * 17) % $nl)
		  else 49152 + (rnd($r + $j * 7919) % 16384) end),
	    bytes: (($f.bytes / $kk | floor) + (if $j == 0 then $f.bytes % $kk else 0 end))}]
   end)[]
| "\($ph) \($fl) \($nic[$f.src].ns) \($nic[$f.src].addr) \($nic[$f.dst].ns) \($nic[$f.dst].addr) \(.sport) \(.bytes)"
