#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tapexec.py NETNS:IFNAME... -- CMD...

Create a tap device IFNAME in network namespace NETNS (/run/netns/NETNS)
for each pair, then exec CMD with their descriptors; "{0}", "{1}", ... in
CMD's arguments become the descriptors of the first, second, ... tap (for
qemu's -netdev tap,fd=N). The taps live as long as CMD holds them, each in
the namespace of its router, where qemu (run here) could not create it.
"""
import ctypes
import fcntl
import os
import struct
import sys

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000

libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


def main():
    if "--" not in sys.argv:
        sys.exit("usage: tapexec.py NETNS:IFNAME... -- CMD...")
    cut = sys.argv.index("--")
    taps, cmd = sys.argv[1:cut], sys.argv[cut + 1:]
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    fds = []
    for t in taps:
        ns, name = t.split(":", 1)
        nsfd = os.open("/run/netns/" + ns, os.O_RDONLY)
        setns(nsfd)
        os.close(nsfd)
        fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
        os.set_inheritable(fd, True)
        fds.append(str(fd))
        setns(home)
    os.close(home)
    cmd = [a.format(*fds) if "{" in a else a for a in cmd]
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main()
