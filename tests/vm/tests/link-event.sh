# link-event: a LINK_CHANGED event carries the port's GIDs (the module's
# UAPI, read raw by fp-nlevent): h1 set down, then up again, and each of
# rxe0's two events holds h1's IPv4 GID (10.0.1.1) and, h1 being
# dual-stack (fabric_up6), its IPv6 GID (fd00:1::1), with the link (1 down,
# 2 up) and no IB port state (RDMA sets it after the event). Where the
# kernel cannot route IPv6 through the fabric (fabric_has6: the debug
# kernel), IPv4 only.
# vm: timeout=300
. /tests/lib/common.sh
. /tests/lib/fabric.sh

need_module
command -v fp-nlevent >/dev/null || skip "fp-nlevent was not built"
fabric_up
V6='fd00:1::1'
if fabric_has6; then fabric_up6; else V6='.*'; log "no IPv6 fabric: IPv4 GID only"; fi
fp_load

fp-nlevent 60 >/tmp/ev 2>&1 &
ev=$!
poll 10 grep -x ready /tmp/ev || { cat /tmp/ev; fail "fp-nlevent did not start"; }

# The GID list as a comma-separated field of the event line for rxe0 with
# link $1: it holds h1's addresses, IPv4 and IPv6, in one event.
ev_has() {
	grep -E "^link rxe0 port 1 link $1 state none gids (.*,)?10\.0\.1\.1(,.*)?\$" /tmp/ev |
		grep -E "gids (.*,)?$V6(,.*)?\$" >/dev/null
}
ip link set h1 down
poll 10 ev_has 1 || { cat /tmp/ev; fail "no link-down event with h1's GIDs"; }
ip link set h1 up
poll 10 ev_has 2 || { cat /tmp/ev; fail "no link-up event with h1's GIDs"; }
kill "$ev" 2>/dev/null || true
wait "$ev" 2>/dev/null || true
cat /tmp/ev
! grep -v -E '^(ready|link .*)$' /tmp/ev || fail "fp-nlevent complained"
fp_unload
