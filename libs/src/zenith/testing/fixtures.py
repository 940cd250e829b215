"""pytest fixtures: a real nats-server on a free loopback port, and clients.

Load with ``pytest_plugins = ["zenith.testing.fixtures"]``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client

from zenith.bus.client import BusClient
from zenith.bus.connect import connect
from zenith.bus.jetstream import ensure_jetstream
from zenith.cli.nats_server import NatsServer, find_nats_server, free_port
from zenith.errors import ConfigError
from zenith.testing.require import missing


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A fresh nats-server with JetStream for one test (``.restart()`` works)."""
    try:
        find_nats_server()
    except ConfigError as exc:
        missing("nats-server", str(exc))
    with NatsServer(tmp_path / "nats", free_port()) as server:
        yield server


@pytest.fixture
async def nc(nats_server: NatsServer) -> AsyncIterator[Client]:
    """A client connected to ``nats_server``, with the JetStream objects made."""
    client = await connect(nats_server.url, name="zenith-test")
    await ensure_jetstream(client)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
def bus(nc: Client) -> BusClient:
    return BusClient(nc, timeout=5.0)
