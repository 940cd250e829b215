"""Who is local: the peer address decides; X-Forwarded-For only from a trusted proxy."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from tests.services.web.netpeer import added_address, local_ipv4_addresses
from zenith_web.peer import resolve_client

PROXY = [ipaddress.ip_network("10.0.0.5/32"), ipaddress.ip_network("172.16.0.0/12")]


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1", "::ffff:127.0.0.1", "127.0.0.2"])
def test_loopback_peers_are_local(peer: str) -> None:
    assert resolve_client(peer, [], PROXY).local


@pytest.mark.parametrize("peer", ["192.0.2.2", "10.0.0.9", "::ffff:192.0.2.2", "fe80::1%eth0",
                                  "", "not-an-address"])
def test_other_peers_are_remote(peer: str) -> None:
    assert not resolve_client(peer, [], PROXY).local


def test_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    client = resolve_client("192.0.2.2", ["127.0.0.1"], PROXY)
    assert client.address == "192.0.2.2"
    assert not client.local


def test_trusted_proxy_on_this_machine_forwarding_a_local_client() -> None:
    proxies = [*PROXY, ipaddress.ip_network("127.0.0.1/32")]
    client = resolve_client("127.0.0.1", ["127.0.0.1"], proxies)
    assert client.local
    assert client.via_proxy
    # through a remote proxy, then the local one: every writer must be on this machine
    assert not resolve_client("127.0.0.1", ["127.0.0.1, 10.0.0.5"], proxies).local


def test_a_remote_proxys_own_loopback_is_not_this_machine() -> None:
    client = resolve_client("10.0.0.5", ["127.0.0.1"], PROXY)
    assert client.address == "127.0.0.1"
    assert not client.local
    assert not resolve_client("10.0.0.5", ["::1"], PROXY).local


@pytest.mark.parametrize("forwarded, proxied", [
    (["203.0.113.9"], True), (["127.0.0.1"], True), ([], True),
])
def test_a_loopback_peer_that_forwards_is_not_local(forwarded: list[str],
                                                    proxied: bool) -> None:
    """An unlisted proxy or tunnel on this machine (X-Forwarded-For, X-Real-IP, ...)."""
    assert not resolve_client("127.0.0.1", forwarded, PROXY, proxied).local
    assert not resolve_client("::1", forwarded, [], proxied).local


def test_a_trusted_loopback_proxy_without_forwarded_for_is_not_local() -> None:
    proxies = [ipaddress.ip_network("127.0.0.1/32")]
    client = resolve_client("127.0.0.1", [], proxies, proxied=True)  # X-Real-IP only
    assert not client.local
    # nothing forwarded at all: a program on this machine calling directly
    assert resolve_client("127.0.0.1", [], proxies).local


def test_right_most_untrusted_address_is_the_client() -> None:
    # the client claims to be 127.0.0.1, its real address was appended by the proxies
    client = resolve_client("10.0.0.5", ["127.0.0.1, 203.0.113.7, 172.16.3.4"], PROXY)
    assert client.address == "203.0.113.7"
    assert not client.local


def test_several_headers_form_one_chain() -> None:
    client = resolve_client("10.0.0.5", ["127.0.0.1", "198.51.100.1"], PROXY)
    assert client.address == "198.51.100.1"


def test_a_proxy_itself_on_loopback_forwarding_a_remote_client() -> None:
    proxies = [ipaddress.ip_network("127.0.0.1/32")]
    client = resolve_client("127.0.0.1", ["198.51.100.1"], proxies)
    assert not client.local
    assert client.address == "198.51.100.1"


@pytest.mark.parametrize("header", ["garbage", "127.0.0.1, nonsense", "", " , "])
def test_garbage_in_the_chain_makes_the_client_unknown_and_remote(header: str) -> None:
    client = resolve_client("10.0.0.5", [header], PROXY)
    assert not client.local


def test_ports_and_brackets_written_by_proxies_are_understood() -> None:
    proxies = [ipaddress.ip_network("127.0.0.1/32")]
    assert resolve_client("127.0.0.1", ["[::1]:4711"], proxies).local
    assert resolve_client("127.0.0.1", ["127.0.0.1:80"], proxies).local
    assert resolve_client("10.0.0.5", ["[2001:db8::7]:4711"], PROXY).address == "2001:db8::7"
    assert resolve_client("10.0.0.5", ["198.51.100.3:80"], PROXY).address == "198.51.100.3"


def test_fallback_address_is_seen_as_a_remote_peer() -> None:
    """The helper's fallback (no eth0): a veth address, a real non-loopback peer."""
    with added_address() as address:
        with socket.socket() as server:
            server.bind((address, 0))
            server.listen(1)
            with socket.socket() as peer:
                peer.bind((address, 0))
                peer.connect(server.getsockname())
                conn, (seen, _) = server.accept()
                conn.close()
        assert not resolve_client(seen, ["127.0.0.1"], PROXY).local
    assert address not in local_ipv4_addresses()
