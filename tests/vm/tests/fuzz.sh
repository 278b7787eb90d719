# fuzz: malformed flowplan netlink messages, each refused: 100 000 made from
# the family's own policies (fp-nlpolicy: one violation at a random place of
# an otherwise valid message, any command) and a few thousand hand-made ones
# (fp-nlfuzz: bad headers, missing attributes, values the module checks, some
# after a valid part of a plan), as root and as an unprivileged user; then
# thousands of valid but hostile sequences of plan parts from three sockets
# against a model of the rules (fp-nlseq). The module keeps its plan, drops
# what was staged, and keeps answering, and the kernel log stays free of
# warnings (init checks the log and the taint flags after every test).
# vm: timeout=600
. /tests/lib/common.sh
. /tests/lib/flowplan.sh

need_module
fp_load max_entries=32
# Devices to report while being fuzzed.
modprobe veth
modprobe rdma_rxe
ip link add f0 type veth peer name f1
ip addr add 10.9.0.1/24 dev f0
ip link set f0 up
ip link set f1 up
rdma link add rxe0 type rxe netdev f0

have_ctl=0
if (need_ctl plan set show delete && need_ctl device show) >/dev/null; then
	have_ctl=1
	write_plan /tmp/p.json 7 "10.9.0.1 10.9.0.2 0 true 49153,49154"
	flowplanctl plan set /tmp/p.json
	before=$(plan_json | jq -S .)
fi

max=$(cat /sys/module/flowplan/parameters/max_entries)
[ "$max" = 32 ] || fail "max_entries is $max, not 32"
seed=$(( $(od -An -N2 -tu2 /dev/urandom) + 1 ))
log "fuzzing as root, seed $seed"
fp-nlfuzz -n 3000 -s $seed -e $((max + 1)) -v >/tmp/root.out 2>&1 ||
	{ grep -v '^  ' /tmp/root.out; fail "root: a malformed message was not refused (seed $seed)"; }
grep '^fp-nlfuzz' /tmp/root.out
# A sample of what the kernel said, one line per kind of fault.
grep '^  ' /tmp/root.out | sort -u -t: -k1,1 | head -30

log "fuzzing as uid 65534, seed $((seed + 1))"
as_user fp-nlfuzz -u -n 1500 -s $((seed + 1)) -v >/tmp/user.out 2>&1 ||
	{ grep -v '^  ' /tmp/user.out; fail "user: a message was not refused (seed $((seed + 1)))"; }
grep '^fp-nlfuzz' /tmp/user.out
grep -q 'EPERM=' /tmp/user.out || fail "no mutation was refused with EPERM as a user"

# Refusals come with a reason: most errors carry an extack message.
n=$(sed -n 's/.* \([0-9]*\) with an extack message.*/\1/p' /tmp/root.out)
[ "$n" -ge 1500 ] || fail "only $n of the root refusals carry an extack message"

npol=100000
log "fuzzing from the policies: $npol messages, seed $seed"
fp-nlpolicy -n "$npol" -s $seed >/tmp/pol.out 2>&1 ||
	{ tail -20 /tmp/pol.out; fail "a malformed message made from the policies was not refused (seed $seed)"; }
grep -E '^(policy|fp-nlpolicy)' /tmp/pol.out
n=$(sed -n 's/^fp-nlpolicy: \([0-9]*\) sent, \([0-9]*\) refused.*/\2/p' /tmp/pol.out)
[ "$n" = "$npol" ] || fail "fp-nlpolicy: $n of $npol refused"
as_user fp-nlpolicy -n 5000 -s $((seed + 2)) >/tmp/upol.out 2>&1 ||
	{ tail -20 /tmp/upol.out; fail "user: a malformed message was not refused"; }
grep '^fp-nlpolicy: [0-9]* sent' /tmp/upol.out

if [ $have_ctl = 1 ]; then
	after=$(plan_json | jq -S .)
	[ "$before" = "$after" ] || {
		echo "$before"; echo "$after"; fail "the plan changed under fuzzing"; }
	flowplanctl device show | grep rxe0 >/dev/null
	# The part the fuzzer left staged died with its socket.
	write_plan /tmp/p8.json 8 "10.9.0.1 10.9.0.2 0 false 49155"
	flowplanctl plan set /tmp/p8.json
	[ "$(plan_json | jq -c '[.generation, [.entries[].subflows[].sport]]')" = '[8,[49155]]' ] ||
		fail "a new plan did not replace the old one after fuzzing"
	flowplanctl plan delete
	# Staged parts die with their socket: a later socket bound to the
	# same port id has nothing to finish (its part 1 is refused).
	fp-nlfuzz -n 0 -p 4242 >/tmp/part.out 2>&1 ||
		{ cat /tmp/part.out; fail "could not stage a part as port 4242"; }
	fp-nlfuzz -n 0 -p 4242 -F >/tmp/last.out 2>&1 ||
		{ cat /tmp/last.out; fail "a closed socket's staged part outlived it"; }
	n=$(plan_json | jq '[.entries[]?] | length')
	[ "$n" = 0 ] || fail "a closed socket's staged part was installed: $n entries"
fi
# Plans in several parts from two sockets, with the other's plans, parts
# and DEL_PLAN between them: whole plans or refusals, never a fragment.
fp-nlfuzz -m >/tmp/multi.out 2>&1 || { cat /tmp/multi.out; fail "a plan in parts went wrong"; }
cat /tmp/multi.out
# And at random, against the model (max_entries 32: E2BIG, EBUSY too).
fp-nlseq -n 3000 -k 3 -s $seed >/tmp/seq.out 2>&1 ||
	{ tail -20 /tmp/seq.out; fail "module and model disagree (seed $seed)"; }
cat /tmp/seq.out
dmesg_clean || fail "the kernel complained"
fp_unload
