# cluster-host: one host of tests/cluster-vm/run.sh, in its own VM (PID 1
# is tests/vm/init.c). The fabric NIC (a tap in the host's leaf namespace)
# carries soft-RoCE, dual-stack; the management NIC reaches the NATS
# servers and the test's control ports. It brings up rxe and flowplan.ko,
# starts flowpland as a cluster agent, and for each family of FAMS receives
# that ring's flow from PREV and, once the test says go, sends to NEXT
# (fpd-traffic, every message checked; IPv4 between the rxe GIDs of ADDR
# and NEXT, IPv6 between those of ADDR6 and NEXT6, each ring its own
# bootstrap port and communicator) until the test says stop; it passes only
# when every message of every ring arrived intact.
. /tests/lib/common.sh
# NAME FAMS ADDR ADDR6 GID6 GW GW6 MGMT CTL FAB_MAC MGMT_MAC NEXT NEXT6 NEXT_MGMT
# READY GO STOP
. /tests/host.env

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
ip addr add "$ADDR6/64" dev "$FAB" nodad
ip -6 route add fd00::/16 via "$GW6" dev "$FAB"
ip addr add "$MGMT/24" dev "$MG"
ip link set "$MG" up
echo 10000 >/proc/sys/net/core/netdev_max_backlog
modprobe rdma_rxe
rdma link add rxe0 type rxe netdev "$FAB"
poll 20 grep -q ACTIVE /sys/class/infiniband/rxe0/ports/1/state || fail "rxe0 not active"
# the RoCEv2 GID of ADDR6 (rxe adds it from the address event, in a worker)
poll 20 grep -qx "$GID6" /sys/class/infiniband/rxe0/ports/1/gids/* ||
	fail "rxe0 has no GID for $ADDR6"
fp_load
mkdir -p /dev/shm /var/lib/flowpland /run/flowplan
grep -q " /dev/shm " /proc/mounts || mount -t tmpfs -o mode=1777 tmpfs /dev/shm

tell() { echo "$*" >"/dev/tcp/$CTL/$READY"; }
open_port() { (exec 3<>"/dev/tcp/$CTL/$1") 2>/dev/null; }
cleanup() {
	echo "---- flowpland"
	tail -40 /tmp/fpd.log
	for f in /tmp/cli* /tmp/srv*; do
		echo "---- $f"
		tail -6 $f
	done
}
trap cleanup EXIT

flowpland -c /etc/flowplan/flowpland.conf >/tmp/fpd.log 2>&1 &
poll 120 eval 'fpd-ctl -j status | jq -e ".cluster.bus.connected == true"' ||
	fail "the agent did not reach the bus"
log "$NAME: agent on the bus"

# per family: its local address, its next's, its bootstrap port (18600 is
# 0x48A8), its communicator (one job per ring for the agent's reports)
declare -A LOC=([4]=$ADDR [6]=$ADDR6) NXT=([4]=$NEXT [6]=$NEXT6) \
	BPORT=([4]=18600 [6]=18601) COMM=([4]=7 [6]=8)
declare -A SRV CLI
for f in $FAMS; do
	fpd-traffic -s -l "${LOC[$f]}" -b "$MGMT" -p ${BPORT[$f]} -c ${COMM[$f]} -n 65536 -w 8 \
		-u 20 >/tmp/srv$f 2>&1 &
	SRV[$f]=$!
	poll 60 grep -q ":$(printf %04X ${BPORT[$f]}) .* 0A " /proc/net/tcp ||
		fail "the IPv$f receiver does not listen"
done
tell "ready $NAME"
poll 400 open_port "$GO" || fail "no go from the test"
for f in $FAMS; do
	fpd-traffic -l "${LOC[$f]}" -b "$NEXT_MGMT" -p ${BPORT[$f]} -c ${COMM[$f]} -n 65536 -w 4 \
		-P 300 -u 20 -S /tmp/stop "${NXT[$f]}" >/tmp/cli$f 2>&1 &
	CLI[$f]=$!
	log "$NAME: sending to ${NXT[$f]}"
done
poll 500 open_port "$STOP" || fail "no stop from the test"
touch /tmp/stop
bad=""
for f in $FAMS; do
	CLI_RC=0 SRV_RC=0
	wait ${CLI[$f]} || CLI_RC=$?
	wait ${SRV[$f]} || SRV_RC=$?
	res=$(grep 'received' /tmp/srv$f | tail -1)
	tell "done $NAME IPv$f sender $CLI_RC receiver $SRV_RC: $res"
	if [ $CLI_RC != 0 ] || [ $SRV_RC != 0 ]; then
		bad="$bad IPv$f: the job failed (sender $CLI_RC, receiver $SRV_RC);"
	elif ! grep -E 'received ([0-9]+) of \1 messages .*corrupt 0, lost 0' /tmp/srv$f >/dev/null; then
		bad="$bad IPv$f: messages lost or corrupt: $res;"
	fi
done
[ -z "$bad" ] || fail "$bad"
dmesg_clean || fail "kernel warnings"
