"""Who is on the other end: the client address, and whether it is this machine.

The decision starts from the socket's peer address, never from a header.
``X-Forwarded-For`` is read only when the peer is a configured trusted
proxy; the client is then the right-most address in the chain that is not
itself a trusted proxy (the left part of the header is whatever the client
chose to send, so it proves nothing).

"Local" means *this* machine, so:

- a loopback address in the chain counts as local only when every hop that
  wrote it is on this machine too (a remote proxy's 127.0.0.1 is the proxy's
  own machine, not ours);
- a loopback peer that sends forwarding headers (``X-Forwarded-For``,
  ``X-Real-IP``, ``Forwarded``, ...) is a proxy or tunnel speaking for
  someone else: without being a trusted proxy whose ``X-Forwarded-For``
  names the client, it is not local.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aiohttp import web

from zenith_web.settings import IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Headers a proxy or a tunnel adds: their presence means the peer forwards
# someone else's request.
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Forwarded-Host",
                 "X-Forwarded-Proto", "Via", "CF-Connecting-IP", "True-Client-IP")


@dataclass(frozen=True)
class Client:
    """The resolved client: its address (text) and whether it is loopback."""

    address: str
    local: bool
    via_proxy: bool = False


def parse_ip(text: str) -> IPAddress | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [::1]:port as some proxies write it
        text = text[1:text.index("]")]
    elif text.count(":") == 1 and "." in text:  # 1.2.3.4:port
        text = text.split(":", 1)[0]
    if "%" in text:  # fe80::1%eth0
        text = text.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_loopback(address: IPAddress | None) -> bool:
    return address is not None and address.is_loopback


def _trusted(address: IPAddress, proxies: Sequence[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def peer_address(request: web.BaseRequest) -> str:
    """The socket peer's address, or '' when there is none (a Unix socket)."""
    transport = request.transport
    if transport is None:
        return ""
    peer = transport.get_extra_info("peername")
    if isinstance(peer, tuple | list) and peer:
        return str(peer[0])
    return ""


def forwarded_chain(headers: Iterable[str]) -> list[str]:
    chain: list[str] = []
    for header in headers:
        chain.extend(part.strip() for part in header.split(","))
    return chain


def resolve_client(peer: str, forwarded: Sequence[str], proxies: Sequence[IPNetwork],
                   proxied: bool = False) -> Client:
    """Apply the rules above to a peer address and the X-Forwarded-For values.

    ``proxied``: the request carries other forwarding headers (see
    :data:`PROXY_HEADERS`) besides any ``X-Forwarded-For``.
    """
    peer_ip = parse_ip(peer)
    if peer_ip is None:
        return Client(address=peer or "unknown", local=False)
    trusted = _trusted(peer_ip, proxies)
    if not forwarded:
        # a proxy that forwards without saying for whom: its client is unknown
        local = is_loopback(peer_ip) and not proxied
        return Client(address=str(peer_ip), local=local, via_proxy=trusted)
    if not trusted:
        # the header is ignored; a loopback peer sending it is a proxy we were
        # not told about, forwarding someone we cannot know
        return Client(address=str(peer_ip), local=False)
    chain = forwarded_chain(forwarded)
    if not chain or any(not hop for hop in chain):
        return Client(address="unknown", local=False, via_proxy=True)
    client_ip: IPAddress = peer_ip
    on_this_machine = is_loopback(peer_ip)  # whoever wrote the next hop
    for hop in reversed(chain):
        hop_ip = parse_ip(hop)
        if hop_ip is None:  # garbage in the chain: the client cannot be known
            return Client(address="unknown", local=False, via_proxy=True)
        client_ip = hop_ip
        on_this_machine = on_this_machine and is_loopback(hop_ip)
        if not _trusted(hop_ip, proxies):
            break
    return Client(address=str(client_ip), local=on_this_machine, via_proxy=True)


def client_of(request: web.BaseRequest, proxies: Sequence[IPNetwork]) -> Client:
    headers = request.headers
    proxied = any(name in headers for name in PROXY_HEADERS)
    return resolve_client(peer_address(request), headers.getall("X-Forwarded-For", []),
                          proxies, proxied)
