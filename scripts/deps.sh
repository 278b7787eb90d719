#!/usr/bin/env bash
# deps.sh GROUP... - install the Debian 12 packages a part of flowplan needs.
# Groups: build (compilers, libraries), unit (cmocka tests), kunit (UML kernel),
# vm (qemu + soft-RoCE guest), lab (network-namespace fabric), mutate (make
# mutate), cluster (NATS servers and tools of the cluster tests), all.
# Already-installed packages cost one dpkg query; apt-get runs only when needed.
set -euo pipefail

declare -A PKGS=(
	[build]="build-essential pkg-config libjson-c-dev libnl-3-dev libnl-genl-3-dev libibverbs-dev librdmacm-dev libmicrohttpd-dev libsystemd-dev libnats-dev libssl-dev"
	[unit]="libcmocka-dev valgrind glpk-utils jq"
	[kunit]="linux-source-6.1 flex bison bc busybox-static python3 xz-utils libelf-dev"
	[vm]="qemu-system-x86 busybox-static cpio kmod rdma-core ibverbs-utils ibverbs-providers perftest tcpdump iproute2 libelf-dev jq util-linux libnl-3-200 libnl-genl-3-200 libjson-c5 nftables rdmacm-utils ucx-utils"
	[lab]="iproute2 iputils-ping ethtool jq util-linux procps"
	[style]="perl linux-source-6.1 xz-utils"
	[nccl]="gdb binutils"
	[fuzz]="clang libclang-rt-14-dev"
	[mutate]="python3 util-linux"
	[cluster]="nats-server libnats-dev libssl-dev openssl socat jq curl procps"
)

want=""
for g in "$@"; do
	if [ "$g" = all ]; then
		for k in "${!PKGS[@]}"; do want="$want ${PKGS[$k]}"; done
		continue
	fi
	[ -n "${PKGS[$g]+x}" ] || { echo "deps.sh: unknown group '$g'" >&2; exit 1; }
	want="$want ${PKGS[$g]}"
done

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Tiers run side by side (make -j, CI's jobs) each call this: one apt-get
# waits for another's dpkg lock (up to 10 minutes) instead of failing.
APT=(apt-get -o DPkg::Lock::Timeout=600)
$SUDO "${APT[@]}" update -qq
# shellcheck disable=SC2086
$SUDO "${APT[@]}" install -y -qq --no-install-recommends $missing >/dev/null
