# cluster-host: one host of tests/cluster-vm/run.sh, in its own VM (PID 1
# is tests/vm/init.c). The fabric NIC (a tap in the host's leaf namespace)
# carries soft-RoCE; the management NIC reaches the NATS servers and the
# test's control ports. It brings up rxe and flowplan.ko, starts flowpland
# as a cluster agent, receives the ring's flow from PREV and, once the test
# says go, sends to NEXT (fpd-traffic, every message checked) until the test
# says stop; it passes only when every message arrived intact.
. /tests/lib/common.sh
. /tests/host.env	# NAME ADDR GW MGMT CTL FAB_MAC MGMT_MAC NEXT NEXT_MGMT READY GO STOP

need_module
insmod /tests/e1000.ko
ifname() { grep -l "$1" /sys/class/net/*/address | head -1 | cut -d/ -f5; }
poll 30 eval 'test -n "$(ifname $FAB_MAC)" && test -n "$(ifname $MGMT_MAC)"' ||
	fail "no NICs"
FAB=$(ifname $FAB_MAC) MG=$(ifname $MGMT_MAC)
ip link set lo up
ip addr add "$ADDR/24" dev "$FAB"
ip link set "$FAB" up
ip route add 10.0.0.0/16 via "$GW"
ip addr add "$MGMT/24" dev "$MG"
ip link set "$MG" up
echo 10000 >/proc/sys/net/core/netdev_max_backlog
modprobe rdma_rxe
rdma link add rxe0 type rxe netdev "$FAB"
poll 20 grep -q ACTIVE /sys/class/infiniband/rxe0/ports/1/state || fail "rxe0 not active"
fp_load
mkdir -p /dev/shm /var/lib/flowpland /run/flowplan
grep -q " /dev/shm " /proc/mounts || mount -t tmpfs -o mode=1777 tmpfs /dev/shm

tell() { echo "$*" >"/dev/tcp/$CTL/$READY"; }
open_port() { (exec 3<>"/dev/tcp/$CTL/$1") 2>/dev/null; }
cleanup() {
	echo "---- flowpland"
	tail -40 /tmp/fpd.log
	for f in /tmp/cli /tmp/srv; do
		echo "---- $f"
		tail -6 $f
	done
}
trap cleanup EXIT

flowpland -c /etc/flowplan/flowpland.conf >/tmp/fpd.log 2>&1 &
poll 120 eval 'fpd-ctl -j status | jq -e ".cluster.bus.connected == true"' ||
	fail "the agent did not reach the bus"
log "$NAME: agent on the bus"

fpd-traffic -s -l "$ADDR" -b "$MGMT" -n 65536 -w 8 -u 20 >/tmp/srv 2>&1 &
SRV=$!
# 18600, the bootstrap port, listening
poll 60 grep -q ':48A8 .* 0A ' /proc/net/tcp || fail "the receiver does not listen"
tell "ready $NAME"
poll 400 open_port "$GO" || fail "no go from the test"
fpd-traffic -l "$ADDR" -b "$NEXT_MGMT" -n 65536 -w 4 -P 300 -u 20 -S /tmp/stop "$NEXT" \
	>/tmp/cli 2>&1 &
CLI=$!
log "$NAME: sending to $NEXT"
poll 500 open_port "$STOP" || fail "no stop from the test"
touch /tmp/stop
CLI_RC=0 SRV_RC=0
wait $CLI || CLI_RC=$?
wait $SRV || SRV_RC=$?
res=$(grep 'received' /tmp/srv | tail -1)
tell "done $NAME sender $CLI_RC receiver $SRV_RC: $res"
[ $CLI_RC = 0 ] && [ $SRV_RC = 0 ] || fail "the job failed (sender $CLI_RC, receiver $SRV_RC)"
grep -E 'received ([0-9]+) of \1 messages .*corrupt 0, lost 0' /tmp/srv >/dev/null ||
	fail "messages lost or corrupt: $res"
dmesg_clean || fail "kernel warnings"
