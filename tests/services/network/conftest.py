"""Fixtures: the real network and auth services in-process on a real nats-server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from zenith.bus.client import BusClient
from zenith.cli.nats_server import NatsServer
from zenith.config import load_settings
from zenith.contracts.auth import USER_ADD
from zenith.runner import ServiceContext, service_context
from zenith_auth.main import serve as serve_auth
from zenith_auth.settings import AuthSettings
from zenith_network.main import serve
from zenith_network.settings import NetworkSettings

PASSWORD = "correct horse battery"


def network_settings(tmp_path: Path, nats_url: str, **overrides: Any) -> NetworkSettings:
    values: dict[str, Any] = {
        "nats_url": nats_url, "data_dir": tmp_path / "data",
        "metadata_url": "sqlite:///" + str(tmp_path / "network.db"),
    }
    values.update(overrides)
    return load_settings(NetworkSettings, env={}, **values)


def auth_settings(tmp_path: Path, nats_url: str, **overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "nats_url": nats_url, "data_dir": tmp_path / "auth-data",
        "metadata_url": "sqlite:///" + str(tmp_path / "auth.db"),
        "auth_create_admin": False, "auth_argon2_time_cost": 1,
        "auth_argon2_memory_kib": 8192,
    }
    values.update(overrides)
    return load_settings(AuthSettings, env={}, **values)


@pytest.fixture
def settings(tmp_path: Path, nats_server: NatsServer) -> NetworkSettings:
    return network_settings(tmp_path, nats_server.url)


@pytest.fixture
async def auth(tmp_path: Path, nats_server: NatsServer
               ) -> AsyncIterator[ServiceContext[AuthSettings]]:
    async with service_context("auth", auth_settings(tmp_path, nats_server.url),
                               serve_auth) as ctx:
        yield ctx


@pytest.fixture
async def network(settings: NetworkSettings, auth: Any
                  ) -> AsyncIterator[ServiceContext[NetworkSettings]]:
    async with service_context("network", settings, serve) as ctx:
        yield ctx


async def add_user(bus: BusClient, username: str) -> None:
    await bus.request(USER_ADD, {"username": username, "password": PASSWORD, "role": "viewer"})


def camera_body(camera: str = "alpha", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": camera, "name": f"Camera {camera}", "site": "Hill",
        "location": {"latitude": 52.37, "longitude": 4.89, "elevation": 12,
                     "timezone": "Europe/Amsterdam", "precision": "1km"},
        "hardware": {"camera": "IMX477", "lens": "1.55 mm", "computer": "Pi 5"},
    }
    body.update(extra)
    return body


# --- a hub: auth, network and web on one nats-server ----------------------------------------

import socket  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from zenith.contracts import camerakeys as _keys  # noqa: E402
from zenith.contracts import network as _net  # noqa: E402
from zenith.storage.blob import TMP_PREFIX  # noqa: E402
from zenith_web.main import serve as serve_web  # noqa: E402
from zenith_web.settings import WebSettings  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Hub:
    url: str
    blob_dir: Path
    key: str
    camera: str = "alpha"
    code: str = "ASK042"


@pytest.fixture
def web_overrides() -> dict[str, Any]:
    """Settings of the hub's web service a test changes (parametrize it)."""
    return {}


@pytest.fixture
async def hub(tmp_path: Path, nats_server: NatsServer, network: Any, bus: BusClient,
              web_overrides: dict[str, Any]) -> AsyncIterator[Hub]:
    port = free_port()
    blob_dir = tmp_path / "blobs"
    settings = load_settings(WebSettings, env={}, nats_url=nats_server.url, http_port=port,
                             blob_dir=blob_dir, data_dir=tmp_path / "web",
                             web_local_no_auth=False, **web_overrides)
    await bus.request(_net.CAMERA_ADD, camera_body("alpha", code="ASK042"))
    await bus.request(_net.CAMERA_ADD, camera_body("beta", code="ASK043"))
    key = (await bus.request(_keys.KEY_ISSUE, {"camera": "alpha"})).key
    async with service_context("web", settings, serve_web):
        yield Hub(url=f"http://127.0.0.1:{port}", blob_dir=blob_dir, key=key)
    # web removed its spare files on its way out; any temporary file left is a part
    # some request left behind
    left = [str(p) for p in (blob_dir / "staging").rglob(f"{TMP_PREFIX}*")]
    assert left == [], f"temporary files left in staging: {left}"
