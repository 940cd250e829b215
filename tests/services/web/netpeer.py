"""A second, non-loopback address on this machine, to test "remote" clients.

"Local requests need no auth" is decided by the socket's peer address, so a
test of the remote rules needs a connection whose peer is not loopback.
Binding the server to this machine's own non-loopback address (eth0's, say)
and connecting *from* that address gives exactly that, without any traffic
leaving the machine: the kernel routes it locally, and the server sees the
address as the peer.

When the machine has no such address, :func:`remote_address` adds one for
the test's duration on one end of a veth pair made for it (needs root and
``ip``; veth works where the ``dummy`` module is missing). The address comes
from 198.18.0.0/15, the range reserved for benchmarking, and the pair is
removed afterwards. Nothing is routed off the machine.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator

from tests.support.require import missing

VETH = ("zwebpeer0", "zwebpeer1")
FALLBACK_ADDRESS = "198.18.99.1"


def _usable(address: str) -> bool:
    """True when a socket can listen on ``address`` and connect to it from it."""
    try:
        with socket.socket() as server:
            server.bind((address, 0))
            server.listen(1)
            with socket.socket() as peer:
                peer.bind((address, 0))
                peer.settimeout(2)
                peer.connect(server.getsockname())
                conn, (seen, _) = server.accept()
                conn.close()
                return bool(seen == address)
    except OSError:
        return False


def local_ipv4_addresses() -> list[str]:
    """This machine's IPv4 addresses that are not loopback."""
    found: list[str] = []
    if shutil.which("ip"):
        out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True,
                             text=True, check=False).stdout
        for line in out.splitlines():
            parts = line.split()
            if "inet" in parts:
                found.append(parts[parts.index("inet") + 1].split("/")[0])
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(str(info[4][0]))
    unique = dict.fromkeys(a for a in found if not ipaddress.ip_address(a).is_loopback)
    return list(unique)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@contextlib.contextmanager
def added_address() -> Iterator[str]:
    """A non-loopback address on a veth pair made for the duration (root only)."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        missing("a non-loopback address", "this machine has none and cannot add one "
                "(needs root and the ip command)")
    first, second = VETH
    try:
        _ip("link", "add", first, "type", "veth", "peer", "name", second)
    except subprocess.CalledProcessError as exc:
        missing("a non-loopback address", f"cannot add a veth pair: {exc.stderr!r}")
    try:
        _ip("addr", "add", f"{FALLBACK_ADDRESS}/32", "dev", first)
        _ip("link", "set", first, "up")
        _ip("link", "set", second, "up")
        if not _usable(FALLBACK_ADDRESS):
            missing("a non-loopback address", f"{FALLBACK_ADDRESS} on {first} is not usable")
        yield FALLBACK_ADDRESS
    finally:
        subprocess.run(["ip", "link", "del", first], check=False, capture_output=True)


@contextlib.contextmanager
def remote_address() -> Iterator[str]:
    """A usable non-loopback address of this machine (made for the duration if need be)."""
    for address in local_ipv4_addresses():
        if _usable(address):
            yield address
            return
    with added_address() as address:
        yield address


def free_port_on(*hosts: str) -> int:
    """A TCP port free on every one of ``hosts``."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind((hosts[0], 0))
            port = int(first.getsockname()[1])
            ok = True
            for host in hosts[1:]:
                with socket.socket() as other:
                    try:
                        other.bind((host, port))
                    except OSError:
                        ok = False
                        break
            if ok:
                return port
    raise RuntimeError(f"no port free on all of {hosts}")
