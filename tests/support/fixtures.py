"""pytest fixtures: a real nats-server on a free loopback port, and clients.

``nats_server`` needs no credentials; ``secured_nats_server`` has one user
per service (:mod:`zenith.bus.credentials`), as ``zenith dev`` runs it.

Load with ``pytest_plugins = ["tests.support.fixtures"]``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from nats.aio.client import Client

from tests.support.require import missing
from zenith.bus.client import BusClient
from zenith.bus.connect import connect
from zenith.bus.credentials import CONF_FILE, Credential, ensure_credentials
from zenith.bus.jetstream import ensure_jetstream
from zenith.cli.nats_server import NatsServer, find_nats_server, free_port
from zenith.errors import ConfigError


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A fresh nats-server with JetStream for one test (``.restart()`` works)."""
    try:
        find_nats_server()
    except ConfigError as exc:
        missing("nats-server", str(exc))
    with NatsServer(tmp_path / "nats", free_port()) as server:
        yield server


@dataclass(frozen=True)
class SecuredNats:
    """A nats-server that needs credentials: one user per service, and the admin."""

    server: NatsServer
    credentials: dict[str, Credential]
    directory: Path

    @property
    def url(self) -> str:
        return self.server.url

    def credential(self, service: str) -> tuple[str, str]:
        cred = self.credentials[service]
        return cred.user, cred.password


@pytest.fixture
def secured_nats_server(tmp_path: Path) -> Iterator[SecuredNats]:
    """Like ``nats_server``, but with the users of ``zenith.bus.credentials``."""
    try:
        find_nats_server()
    except ConfigError as exc:
        missing("nats-server", str(exc))
    port = free_port()
    directory = tmp_path / "nats-credentials"
    creds = ensure_credentials(directory, f"nats://127.0.0.1:{port}")
    with NatsServer(tmp_path / "nats", port, config=directory / CONF_FILE) as server:
        yield SecuredNats(server, creds, directory)


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
