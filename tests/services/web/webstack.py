"""Helpers of the web tests: the web service under test, users, logins."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.services.web.netpeer import free_port_on
from tests.services.web.openapi_check import ResponseChecker
from zenith.bus.client import BusClient
from zenith.contracts import auth
from zenith.runner import service_context
from zenith_web.main import serve as web_serve
from zenith_web.settings import WebSettings

CAMERA = "demo"


@dataclass
class User:
    username: str
    password: str
    permissions: dict[str, list[str]] | None = None
    role: str = "viewer"


@dataclass
class WebUnderTest:
    """A running web service and how to reach it as a local or a remote client."""

    local_url: str
    remote_url: str
    remote_host: str
    settings: WebSettings
    checker: ResponseChecker | None = None
    sessions: list[aiohttp.ClientSession] = field(default_factory=list)

    def local(self, **kwargs: Any) -> aiohttp.ClientSession:
        """A client whose connections come from 127.0.0.1."""
        return self._session(self.local_url, None, **kwargs)

    def remote(self, **kwargs: Any) -> aiohttp.ClientSession:
        """A client whose connections come from this machine's non-loopback address."""
        return self._session(self.remote_url, self.remote_host, **kwargs)

    def _session(self, base: str, bind: str | None, **kwargs: Any) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(local_addr=(bind, 0) if bind else None,
                                         force_close=True)
        kwargs.setdefault("cookie_jar", aiohttp.CookieJar(unsafe=True))
        if self.checker is not None:
            kwargs["trace_configs"] = [*kwargs.get("trace_configs", []), self.checker.trace()]
        session = aiohttp.ClientSession(base_url=base, connector=connector, **kwargs)
        self.sessions.append(session)
        return session

    async def close(self) -> None:
        for session in self.sessions:
            await session.close()
        self.sessions.clear()


@contextlib.asynccontextmanager
async def start_web(nats_url: str, remote: str, **overrides: Any
                    ) -> AsyncIterator[WebUnderTest]:
    """A web service listening on loopback and on ``remote``, on one port."""
    port = free_port_on("127.0.0.1", remote)
    values: dict[str, Any] = {"nats_url": nats_url, "camera": CAMERA,
                              "http_host": f"127.0.0.1,{remote}", "http_port": port}
    settings = WebSettings(**{**values, **overrides})
    async with service_context("web", settings, web_serve):
        local_url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as plain, \
                plain.get(local_url + "/api/openapi.json") as resp:
            checker = ResponseChecker(await resp.json())
        under_test = WebUnderTest(local_url=local_url, remote_url=f"http://{remote}:{port}",
                                  remote_host=remote, settings=settings, checker=checker)
        try:
            yield under_test
        finally:
            await under_test.close()
        checker.report()


async def add_user(bus: BusClient, role: str = "viewer",
                   permissions: dict[str, list[str]] | None = None, prefix: str = "u") -> User:
    """A new user with a random name and password, made through the auth service."""
    user = User(username=f"{prefix}-{secrets.token_hex(4)}", password=secrets.token_urlsafe(12),
                permissions=permissions, role=role)
    await bus.request(auth.USER_ADD, {"username": user.username, "password": user.password,
                                      "role": role, "permissions": permissions})
    return user


async def login(client: aiohttp.ClientSession, user: User, **extra: Any) -> dict[str, Any]:
    async with client.post("/login", json={"username": user.username,
                                           "password": user.password, **extra}) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()  # type: ignore[no-any-return]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
