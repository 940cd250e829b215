"""Fixtures: the real auth service in-process on a real nats-server and SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from zenith.bus.client import BusClient
from zenith.cli.nats_server import NatsServer
from zenith.config import load_settings
from zenith.contracts.auth import LOGIN, USER_ADD, TokenPair
from zenith.runner import ServiceContext, service_context
from zenith.tokens import TokenVerifier
from zenith_auth.main import serve
from zenith_auth.settings import AuthSettings

PASSWORD = "correct horse battery"


def make_settings(tmp_path: Path, nats_url: str, **overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "nats_url": nats_url,
        "data_dir": tmp_path / "data",
        "metadata_url": "sqlite:///" + str(tmp_path / "m.db"),
        "auth_create_admin": False,
        # cheaper argon2 keeps the suite quick on two cores; same code path
        "auth_argon2_time_cost": 1,
        "auth_argon2_memory_kib": 8192,
    }
    values.update(overrides)
    return load_settings(AuthSettings, env={}, **values)


@pytest.fixture
def settings(tmp_path: Path, nats_server: NatsServer) -> AuthSettings:
    return make_settings(tmp_path, nats_server.url)


@pytest.fixture
async def auth(settings: AuthSettings) -> AsyncIterator[ServiceContext[AuthSettings]]:
    async with service_context("auth", settings, serve) as ctx:
        yield ctx


@pytest.fixture
async def verifier(auth: ServiceContext[AuthSettings], nc: Any,
                   bus: BusClient) -> AsyncIterator[TokenVerifier]:
    tv = TokenVerifier(nc, bus)
    await tv.start()
    yield tv
    await tv.stop()


async def add_user(bus: BusClient, username: str, role: str = "viewer",
                   password: str = PASSWORD, **extra: Any) -> None:
    await bus.request(USER_ADD, {"username": username, "password": password, "role": role,
                                 **extra})


async def login(bus: BusClient, username: str, password: str = PASSWORD,
                client_ip: str | None = "192.0.2.10") -> TokenPair:
    return await bus.request(LOGIN, {"username": username, "password": password,
                                     "client_ip": client_ip})


async def refused_soon(verifier: TokenVerifier, token: str, timeout: float = 5.0) -> Exception:
    """The error verify() raises once the revocation watch has caught up."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            verifier.verify(token)
        except Exception as exc:
            return exc
        if loop.time() > deadline:
            raise AssertionError("the token was still accepted")
        await asyncio.sleep(0.05)
