# preload-pin6: preload-pin's IPv6 twin, one body (preload-pin.sh with
# FAM=6). Unmodified verbs programs (ib_write_bw -q 4, ib_send_bw,
# ibv_rc_pingpong --chk, rping over IPv6 with librdmacm, a dlopen + dlvsym
# program as NCCL's) on rxe's IPv6 RoCEv2 GIDs, libflowplan-preload.so
# preloaded, the plan's entries h1 -> h2 IPv6 (fd00:1::1 -> fd00:2::1) in
# flowplan.ko, not enforced: the flow label the interposer sets at RTR
# alone puts every QP on its planned source port, which the module's IPv6
# counters and the spines' counters show; the data of every program is
# intact; no plan: the ports rxe derives from the QP numbers; a plan change
# under live QPs: a reconnect is reported, the traffic stays, QPs connected
# afterwards take the new plan.
# vm: timeout=900 mem=1536 smp=2
FAM=6
. /tests/preload-pin.sh
