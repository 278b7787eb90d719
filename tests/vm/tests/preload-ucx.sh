# preload-ucx: UCX (Debian's 1.13, ucx_perftest over rc_verbs) with
# libflowplan-preload.so preloaded sends h1 -> h2 on the port the plan
# names, on each spine in turn: UCX sets flow labels of its own at RTR
# (~(ROCE_PATH_FACTOR x path index), so every UCX connection of every
# process leaves from port 65472 and takes one path), and the interposer
# replaces them with the plan's. Without a plan UCX's own port stays: all of
# its traffic on ECMP's choice for 65472. flowplan.ko only counts; every
# packet that reached h2 was accepted by rxe1 and ucx_perftest completes.
# UCX over rxe needs UCX_TLS=rc_verbs,ud_verbs:aux (RC connection setup runs
# over the UD helper) and UCX_UD_VERBS_ETH_DGID_CHECK=n (rxe's UD packets
# fail that check); the UD packets use rxe's own ports, a handful.
# vm: timeout=600 mem=1536 smp=2
. /tests/lib/common.sh
. /tests/lib/fabric.sh
. /tests/lib/flowplan.sh

[ -f /usr/bin/libflowplan-preload.so ] || skip "libflowplan-preload.so is not built"
command -v ucx_perftest >/dev/null || skip "ucx_perftest is not in the image"
need_module
need_ctl plan set delete
need_ctl counters show
fabric_up
fp_load
. /tests/data/preload-lib.sh
preload_calibrate

export UCX_TLS=rc_verbs,ud_verbs:aux UCX_UD_VERBS_ETH_DGID_CHECK=n \
	UCX_IB_GID_INDEX=$GID_INDEX UCX_RC_TIMEOUT=4s UCX_WARN_UNUSED_ENV_VARS=n
UCX_PORT=13337

# ucx PLAN_DESC: one ucx_perftest put bandwidth run h1 -> h2
ucx() {
	log "ucx_perftest ucp_put_bw, $1"
	UCX_NET_DEVICES=$RXE1:1 LD_PRELOAD=$PRE ucx_perftest -p $UCX_PORT \
		>/tmp/srv 2>&1 &
	srv=$!
	poll 20 grep -q ":$(printf %04X $UCX_PORT) .* 0A " /proc/net/tcp ||
		{ cat /tmp/srv; fail "ucx_perftest did not listen"; }
	UCX_NET_DEVICES=$RXE0:1 LD_PRELOAD=$PRE timeout 240 ucx_perftest \
		127.0.0.1 -p $UCX_PORT -t ucp_put_bw -s 65536 -n 200 \
		>/tmp/cli 2>&1 || { cat /tmp/cli; cat /tmp/srv; fail "ucx_perftest failed"; }
	wait $srv || { cat /tmp/srv; fail "ucx_perftest server failed"; }
}

for sp in 1 2; do
	[ $sp = 1 ] && P=$(nth $S1 1) || P=$(nth $S2 1)
	plan "$P"
	snap
	ucx "plan $P (spine $sp)"
	delta "$P"
	n=$(grep -c "$H1 -> $H2 qp .*: subflow [0-9]*, label" /tmp/cli || true)
	[ "$n" -ge 1 ] || { cat /tmp/cli; fail "the interposer pinned no UCX QP"; }
	log "  UCX connected $n QP(s) h1 -> h2, all on the plan's port"
	# All of UCX's QPs are the one subflow's: the plan names one port.
	P=$(for _ in $(seq "$n"); do echo "$P"; done | paste -sd,)
	expect "ucx (spine $sp)" "$P" 12800
	[ $sp = 1 ] && [ $((P1 * 100)) -ge $((SENT * 95)) ] || [ $sp = 2 ] ||
		fail "ucx: spine 1 carried $P1 of $SENT"
	[ $sp = 2 ] && [ $((P2 * 100)) -ge $((SENT * 95)) ] || [ $sp = 1 ] ||
		fail "ucx: spine 2 carried $P2 of $SENT"
done

# No plan: UCX's own label, port 65472, ECMP's path for it.
flowplanctl plan delete
rm -f /tmp/plan.json
snap
ucx "no plan"
delta 65472
grep -q "$H1 -> $H2 qp .*: no plan entry" /tmp/cli ||
	{ cat /tmp/cli; fail "the interposer did not see UCX's QPs"; }
n=$(grep -c "$H1 -> $H2 qp .*: no plan entry" /tmp/cli)
expect "ucx, no plan" "$(for _ in $(seq "$n"); do echo 65472; done | paste -sd,)" 12800

fp_unload
dmesg_clean
