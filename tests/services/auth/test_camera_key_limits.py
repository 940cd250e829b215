"""Camera key rate limits hold for the sum over auth replicas (shared in JetStream KV)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from zenith.bus.client import BusClient
from zenith.cli.nats_server import NatsServer
from zenith.contracts import camerakeys as k
from zenith.errors import TooManyRequests, Unauthorized
from zenith.runner import service_context
from zenith_auth.main import serve as serve_auth

from ..network.conftest import auth_settings

BAD_KEY = "zk_000000000000_" + "0" * 48


@pytest.fixture
async def two_replicas(tmp_path: Path, nats_server: NatsServer) -> AsyncIterator[None]:
    """Two auth services on one nats-server, sharing their store and key secret
    as replicas on a hub do (one MongoDB, one mounted Secret)."""
    settings = auth_settings(tmp_path, nats_server.url, auth_camera_key_per_min=10,
                             auth_camera_ip_per_min=15, auth_camera_ip_failures_per_min=6)
    async with service_context("auth", settings, serve_auth), \
            service_context("auth", settings, serve_auth):
        yield


async def served_by_replica(nc: Any) -> list[int]:
    """Key checks each auth replica answered, from every ``$SRV.STATS`` reply."""
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox)
    await nc.publish("$SRV.STATS.auth", b"", reply=inbox)
    replies = []
    with contextlib.suppress(TimeoutError):
        while len(replies) < 2:
            replies.append(json.loads((await sub.next_msg(timeout=5)).data))
    await sub.unsubscribe()
    return sorted(next(e["num_requests"] for e in r["endpoints"]
                       if e["subject"] == k.KEY_CHECK.subject) for r in replies)


async def outcomes(bus: BusClient, bodies: list[dict[str, Any]]) -> dict[str, int]:
    results = await asyncio.gather(*(bus.request(k.KEY_CHECK, b) for b in bodies),
                                   return_exceptions=True)
    out = {"ok": 0, "limited": 0, "invalid": 0}
    for result in results:
        if isinstance(result, TooManyRequests):
            out["limited"] += 1
        elif isinstance(result, Unauthorized):
            out["invalid"] += 1
        elif isinstance(result, BaseException):
            raise result
        else:
            out["ok"] += 1
    return out


async def test_the_per_key_limit_holds_for_both_replicas_together(two_replicas, bus, nc):
    key = (await bus.request(k.KEY_ISSUE, {"camera": "alpha"})).key
    # at once, from several addresses (so only the key's limit applies): 10 of 30
    bodies = [{"credential": key, "client_ip": f"192.0.2.{n % 3 + 1}"} for n in range(30)]
    assert await outcomes(bus, bodies) == {"ok": 10, "limited": 20, "invalid": 0}
    # one after another too: nothing more this minute, on either replica
    for body in bodies[:6]:
        with pytest.raises(TooManyRequests) as err:
            await bus.request(k.KEY_CHECK, body)
        assert 1 <= err.value.details["retry_after"] <= 60
    served = await served_by_replica(nc)
    assert len(served) == 2 and min(served) > 0, served  # both replicas answered


async def test_the_per_address_limits_hold_for_both_replicas_together(two_replicas, bus):
    keys = [(await bus.request(k.KEY_ISSUE, {"camera": camera})).key
            for camera in ("alpha", "beta", "gamma")]
    bodies = [{"credential": keys[n % 3], "client_ip": "198.51.100.7"} for n in range(30)]
    assert await outcomes(bus, bodies) == {"ok": 15, "limited": 15, "invalid": 0}
    # an IPv6 address counts per /64; another address is not held up
    assert (await bus.request(k.KEY_CHECK, {"credential": keys[0],
                                            "client_ip": "2001:db8::1"})).camera == "alpha"

    bad = [{"credential": BAD_KEY, "client_ip": "203.0.113.9"} for _ in range(20)]
    result = await outcomes(bus, bad)
    assert result["invalid"] >= 6 and result["invalid"] + result["limited"] == 20
    # past the failures limit even the right key is refused from there
    for _ in range(4):
        with pytest.raises(TooManyRequests):
            await bus.request(k.KEY_CHECK, {"credential": keys[1], "client_ip": "203.0.113.9"})


async def test_the_counters_are_bounded_and_name_no_address(two_replicas, bus, nc):
    key = (await bus.request(k.KEY_ISSUE, {"camera": "alpha"})).key
    for n in range(5):
        await bus.request(k.KEY_CHECK, {"credential": key, "client_ip": f"192.0.2.{n}"})
    kv = await nc.jetstream().key_value(k.RATE_BUCKET)
    names = await kv.keys()
    assert len([n for n in names if n.startswith(k.RATE_PREFIX["ip"])]) == 5
    assert len([n for n in names if n.startswith(k.RATE_PREFIX["key"])]) == 1
    assert not [n for n in names if "192.0.2" in n]
    status = await kv.status()
    assert status.ttl == k.RATE_TTL_S and status.history == 1
