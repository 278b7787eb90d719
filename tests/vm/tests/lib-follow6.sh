# lib-follow6: lib-follow's IPv6 twin, one body (lib-follow.sh with
# FAM=6). A libflowplan job between h1's and h2's IPv6 addresses (rxe's
# IPv6 GIDs, bootstrap over ::1) follows three generations of IPv6 plan
# entries that flowplanctl installs in flowplan.ko, each end finding its
# group's new entry by IPv6 addresses and switching in band: the spines
# carry what each generation says, and every message arrives intact.
# vm: timeout=480 mem=1536 smp=2
FAM=6
. /tests/lib-follow.sh
