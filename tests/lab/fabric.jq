# fabric.jq - turn a resolved flowplan topology (docs/formats.md) into the
# shell commands that build it as network namespaces. Used by lab.sh only.
#
# Arguments: $p namespace prefix, $seed run seed, $rate Mbit/s of the fastest
# link, $big "1" for the ideal reference (one switch, the same host links),
# $v6 "1" for dual stack, $h6pol and $h6fields the routers' IPv6 hash,
# $icmp icmp_ratelimit for routers ("" keeps the kernel default), $seedok "1"
# when the kernel has net.ipv4.fib_multipath_hash_seed (Linux 6.11+).
#
# Addressing: hosts keep their NIC addresses (198.18.0.0/15); router i (its
# index in switches[]) owns one address, 198.19.x.y, on its loopback, and its
# interfaces are unnumbered (/32 routes, onlink next hops). ICMP errors of a
# router therefore always come from that one address, which lab.sh writes to
# the routers file the prober maps hops with.
#
# ECMP hashes the 5-tuple (policy 3, fields 0x37: addresses, protocol,
# ports). Policy 1 would do the same on a real wire, but between namespaces
# of one kernel a TCP packet keeps the socket's random skb->hash, which
# policy 1 uses when present: every connection would take a random path,
# whatever its ports. Policy 3 always dissects the packet.
#
# IPv6 ($v6 "1", dual stack): every NIC with an IPv4 address also gets
# 2001:2::c612:XXXX (its IPv4 address in the low 32 bits, inside the
# benchmarking prefix 2001:2::/48); a NIC whose topology address is IPv6 gets
# only that. Router i owns 2001:2:0:ff::<i+1> on its loopback (the source of
# its ICMPv6 errors, written to routers6) and fe80::<i+1> on every port, the
# next hop its neighbours route through (link-local next hops: ND would not
# answer for an address on lo). DAD is off in every namespace (accept_dad=0,
# nodad), so addresses are usable at once; hosts send flow label 0 unless the
# application sets one (auto_flowlabels=0). Routers hash IPv6 with
# fib_multipath_hash_policy $h6pol and fib_multipath_hash_fields $h6fields
# (0x0008 is the flow label), and send ICMPv6 errors unlimited
# (net.ipv6.icmp.ratelimit 0) unless $icmp says otherwise.
#
# Without the seed sysctl every router hashes with the same boot-time key,
# so in a fat-tree an aggregation switch would repeat its leaf's choice and
# half the paths would never be used; tiers then hash different fields
# (leaves 0x37, aggregation 0x33 without the protocol, cores 0x35 without
# the destination address), all of them on the ports.

def q: "'" + (tostring | gsub("'"; "'\\''")) + "'";
def rid($i): "198.19.\((($i + 1) / 256) | floor).\(($i + 1) % 256)";
def okname: test("^[A-Za-z0-9_.-]{1,15}$");
def hex: if . < 16 then "0123456789abcdef"[.:. + 1]
	 else ((. / 16 | floor) | hex) + ((. % 16) | hex) end;
def isv6: test(":");
# 198.18.0.1 -> 2001:2::c612:1
def v6of: if isv6 then . else split(".") | map(tonumber)
	  | "2001:2::\(.[0] * 256 + .[1] | hex):\(.[2] * 256 + .[3] | hex)" end;
def rid6($i): "2001:2:0:ff::\($i + 1 | hex)";
def lla($i): "fe80::\($i + 1 | hex)";

# The ideal reference: one switch, each NIC linked to it as in the fabric.
def bigswitch:
	. as $t
	| ([$t.hosts[].nics[].name]) as $nn
	| {
		switches: [{name: "big", tier: 1}],
		hosts: $t.hosts,
		links: [$t.links[] | select((.a as $a | $nn | index([$a]))
					    or (.b as $b | $nn | index([$b])))
			| {a: (if (.a as $a | $nn | index([$a])) then .a else .b end),
			   b: "big", gbps: .gbps, up: (.up != false)}]
	};

def bfs($adj; $src):
	{dist: {($src): 0}, front: [$src]}
	| until(.front | length == 0;
		. as $st
		| reduce ($st.front[] as $u | ($adj[$u] // [])[] | [$u, .]) as $e
			({dist: $st.dist, next: []};
			 if .dist[$e[1]] == null
			 then .dist[$e[1]] = ($st.dist[$e[0]] + 1) | .next += [$e[1]]
			 else . end)
		| {dist, front: .next})
	| .dist;

(if $big == "1" then bigswitch else . end) as $t
| ($t.switches | map(.name)) as $sws
| (reduce range(0; $sws | length) as $i ({}; .[$sws[$i]] = $i)) as $swix
| [$t.hosts[] as $h | $h.nics | to_entries[]
   | {nic: .value.name, addr: .value.addr, host: $h.name, j: .key}] as $nics
| (reduce $nics[] as $n ({}; .[$n.nic] = $n)) as $nicby
| [$t.links | to_entries[] | select(.value.up != false)
   | {i: .key, a: .value.a, b: .value.b, gbps: .value.gbps}] as $links
| ([$t.links[].gbps] | max) as $gmax
| (reduce $links[] as $l ({}; .[$l.a] += [$l] | .[$l.b] += [$l])) as $bynode
# Interface name of end $x of link $l: NICs are n<j> in their host; a switch
# names the port after its peer when that is a valid, unique name.
| def ifn($l; $x):
	(if $l.a == $x then $l.b else $l.a end) as $peer
	| if $nicby[$x] then "n\($nicby[$x].j)"
	  elif ($peer | okname)
	       and ([$bynode[$x][] | select(.a == $peer or .b == $peer)] | length) == 1
	  then $peer else "l\($l.i)" end;
  def ns($x): "\($p)-\($nicby[$x].host // $x)";
  def isw($x): $swix[$x] != null;
  # NIC -> its leaf (the switch at the other end of its live link)
  (reduce $links[] as $l ({};
	if $nicby[$l.a] and isw($l.b) then .[$l.a] = $l.b
	elif $nicby[$l.b] and isw($l.a) then .[$l.b] = $l.a else . end)) as $leafof
| (reduce ($links[] | select(isw(.a) and isw(.b))) as $l ({};
	.[$l.a] += [$l.b] | .[$l.b] += [$l.a])) as $adj
| ([$leafof[]] | unique) as $leaves
| (reduce $leaves[] as $L ({}; .[$L] = bfs($adj; $L))) as $dist
| ($t.hosts | map("\($p)-\(.name)")) as $hostns
| ($sws | map("\($p)-\(.)")) as $swns
| (($seed | tonumber) * 1000) as $sbase
| (if $v6 == "1"
   then "net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0"
   else "net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1" end) as $v6sys
| "set -e",
  # namespaces, recorded as soon as they exist so teardown finds every one
  (($hostns + $swns)[] | "ip netns add \(q) && echo \(q) >>\"$STATE/netns\""),
  (($hostns + $swns)[] | "ip -n \(q) link set lo up"),
  ($hostns[] | "ip netns exec \(q) sysctl -qw \($v6sys) net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.tcp_no_metrics_save=1\(if $v6 == "1" then " net.ipv6.auto_flowlabels=0" else "" end)"),
  ($t.switches | to_entries[]
   | (if $seedok == "1" then "0x0037 net.ipv4.fib_multipath_hash_seed=\($sbase + .key + 1)"
      elif (.value.tier // 1) == 2 then "0x0033"
      elif (.value.tier // 1) == 3 then "0x0035"
      else "0x0037" end) as $hash
   | "ip netns exec \("\($p)-\(.value.name)" | q) sysctl -qw \($v6sys)\(if $v6 == "1" then " net.ipv6.conf.all.forwarding=1 net.ipv6.fib_multipath_hash_policy=\($h6pol) net.ipv6.fib_multipath_hash_fields=\($h6fields) net.ipv6.icmp.ratelimit=\(if $icmp != "" then $icmp else 0 end)" else "" end) net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=3 net.ipv4.fib_multipath_hash_fields=\($hash)\(if $icmp != "" then " net.ipv4.icmp_ratelimit=\($icmp)" else "" end)"),
  ($sws | to_entries[] | "ip -n \("\($p)-\(.value)" | q) addr add \(rid(.key))/32 dev lo",
			   "echo \(rid(.key)) \(.value | q) >>\"$STATE/routers\"",
			   (if $v6 == "1" then
			     "ip -n \("\($p)-\(.value)" | q) -6 addr add \(rid6(.key))/128 dev lo nodad",
			     "echo \(rid6(.key)) \(.value | q) >>\"$STATE/routers6\""
			    else empty end)),
  # links: a veth per live link, each end shaped to its rate
  ($links[] as $l
   | (($l.gbps / $gmax * ($rate | tonumber) * 1000) | floor) as $kbit
   | ([$kbit * 1000 / 8 * 0.05, 200000] | max | floor) as $lim
   | "ip link add name \(ifn($l; $l.a) | q) netns \(ns($l.a) | q) type veth peer name \(ifn($l; $l.b) | q) netns \(ns($l.b) | q)",
     ([$l.a, $l.b][] as $x
      | (if $v6 == "1" and isw($x) then
	  "ip -n \(ns($x) | q) -6 addr add \(lla($swix[$x]))/64 dev \(ifn($l; $x) | q) nodad"
	 else empty end),
	"ip -n \(ns($x) | q) link set \(ifn($l; $x) | q) up",
	"tc -n \(ns($x) | q) qdisc add dev \(ifn($l; $x) | q) root handle 1: htb default 20",
	"tc -n \(ns($x) | q) class add dev \(ifn($l; $x) | q) parent 1: classid 1:1 htb rate \($kbit)kbit ceil \($kbit)kbit burst 64k cburst 64k quantum 60000",
	"tc -n \(ns($x) | q) class add dev \(ifn($l; $x) | q) parent 1:1 classid 1:10 htb prio 0 rate \($kbit / 10 | floor)kbit ceil \($kbit)kbit burst 64k cburst 64k quantum 60000",
	"tc -n \(ns($x) | q) class add dev \(ifn($l; $x) | q) parent 1:1 classid 1:20 htb prio 1 rate \($kbit - ($kbit / 10 | floor))kbit ceil \($kbit)kbit burst 64k cburst 64k quantum 60000",
	"tc -n \(ns($x) | q) qdisc add dev \(ifn($l; $x) | q) parent 1:10 handle 10: pfifo limit 1000",
	"tc -n \(ns($x) | q) qdisc add dev \(ifn($l; $x) | q) parent 1:20 handle 20: bfifo limit \($lim)",
	"tc -n \(ns($x) | q) filter add dev \(ifn($l; $x) | q) parent 1: protocol ip prio 1 u32 match u16 0x0000 0xff80 at 2 flowid 1:10",
	(if $v6 == "1" then "tc -n \(ns($x) | q) filter add dev \(ifn($l; $x) | q) parent 1: protocol ipv6 prio 2 u32 match u16 0x0000 0xff80 at 4 flowid 1:10" else empty end),
	"echo \(ns($x) | q) \(ifn($l; $x) | q) \($x | q) \(if $l.a == $x then $l.b else $l.a end | q) \($kbit) >>\"$STATE/ports\"")),
  # hosts: NIC address, a table per NIC (policy routing by source address)
  ($nics[] | select($leafof[.nic]) as $n
   | rid($swix[$leafof[$n.nic]]) as $gw
   | lla($swix[$leafof[$n.nic]]) as $gw6
   | ($n.addr | v6of) as $a6
   | (if ($n.addr | isv6) then empty else
     "ip -n \(ns($n.nic) | q) addr add \($n.addr)/32 dev n\($n.j)",
     "ip -n \(ns($n.nic) | q) route add default via \($gw) dev n\($n.j) onlink src \($n.addr) table \(100 + $n.j)",
     "ip -n \(ns($n.nic) | q) rule add from \($n.addr) table \(100 + $n.j) pref \(1000 + $n.j)",
     (if $n.j == 0 then "ip -n \(ns($n.nic) | q) route add default via \($gw) dev n0 onlink src \($n.addr)" else empty end),
     "echo \($n.nic | q) \(ns($n.nic) | q) \($n.addr) n\($n.j) \($leafof[$n.nic] | q) >>\"$STATE/nics\""
     end),
     (if $v6 == "1" then
     "ip -n \(ns($n.nic) | q) -6 addr add \($a6)/128 dev n\($n.j) nodad",
     "ip -n \(ns($n.nic) | q) -6 route add default via \($gw6) dev n\($n.j) src \($a6) table \(100 + $n.j)",
     "ip -n \(ns($n.nic) | q) -6 rule add from \($a6) table \(100 + $n.j) pref \(1000 + $n.j)",
     (if $n.j == 0 then "ip -n \(ns($n.nic) | q) -6 route add default via \($gw6) dev n0 src \($a6)" else empty end),
     "echo \($n.nic | q) \(ns($n.nic) | q) \($a6) n\($n.j) \($leafof[$n.nic] | q) >>\"$STATE/nics6\""
     else empty end)),
  # routers: neighbour addresses, NIC routes (ECMP over shortest live paths)
  ($sws[] as $s
   | ([$links[] | select(isw(.a) and isw(.b) and (.a == $s or .b == $s))
       | {l: ., m: (if .a == $s then .b else .a end)}]) as $ups
   | (($ups | unique_by(.m))[]
      | "ip -n \(ns($s) | q) route add \(rid($swix[.m]))/32 dev \(ifn(.l; $s) | q)"),
     ($nics[] | select($leafof[.nic]) as $n
      | $leafof[$n.nic] as $L
      | ([(if ($n.addr | isv6) then empty else {a: $n.addr, m: "/32", f: ""} end),
	  (if $v6 == "1" then {a: ($n.addr | v6of), m: "/128", f: "-6 "} else empty end)][]) as $A
      | if $L == $s then
	  ([$links[] | select((.a == $s and .b == $n.nic) or (.b == $s and .a == $n.nic))][0]) as $l
	  | "ip -n \(ns($s) | q) \($A.f)route add \($A.a)\($A.m) dev \(ifn($l; $s) | q)"
	else
	  $dist[$L][$s] as $d
	  | [$ups[] | select($d != null and $dist[$L][.m] == $d - 1)] as $nh
	  # IPv4 next hops are the neighbours' loopback addresses (onlink),
	  # IPv6 ones their link-local port addresses.
	  | def via($x): if $A.f == "" then "via \(rid($swix[$x.m])) dev \(ifn($x.l; $s) | q) onlink"
			 else "via \(lla($swix[$x.m])) dev \(ifn($x.l; $s) | q)" end;
	    if ($nh | length) == 0 then empty
	    elif ($nh | length) == 1 then
	      "ip -n \(ns($s) | q) \($A.f)route add \($A.a)\($A.m) \(via($nh[0]))"
	    else
	      "ip -n \(ns($s) | q) \($A.f)route add \($A.a)\($A.m)" + ([$nh[] | " nexthop \(via(.))"] | join(""))
	    end
	end))
