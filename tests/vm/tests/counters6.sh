# counters6: counters' IPv6 twin, one body (counters.sh with FAM=6). An
# unprivileged user's 300 IPv6 datagrams to 4791 take no counter slot and
# keep their ports; rxe's IPv6 traffic is counted under h2's IPv6 address
# and pinned by an IPv6 entry; a full table counts the rest as untracked;
# only root empties it, with a new size.
# vm: timeout=300
FAM=6
. /tests/counters.sh
