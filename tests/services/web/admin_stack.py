"""A hub of its own for the join and admin tests: nats-server, auth (with low
login limits), network (mailing to a real aiosmtpd server) and web, so the
rate limits and the mail these tests provoke touch no other test."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.services.web.webstack import User, WebUnderTest, add_user, start_web
from tests.support.smtp import Inbox, smtp_server
from zenith.bus.client import BusClient
from zenith.bus.connect import connect
from zenith.cli.nats_server import NatsServer, free_port
from zenith.config import load_settings
from zenith.contracts import joins
from zenith.runner import service_context


@dataclass
class Stack:
    web: WebUnderTest
    bus: BusClient
    inbox: Inbox
    admin: User
    owner: User

    async def pending(self) -> list[joins.JoinRequest]:
        found = await self.bus.request(joins.JOIN_LIST, {"status": "pending"})
        return found.requests


@contextlib.asynccontextmanager
async def admin_stack(folder: Path, remote: str, join_limit: int = 3,
                      login_limit: int = 5, data: bool = False) -> AsyncIterator[Stack]:
    """The hub; with ``data`` also capture and products as on a hub (their
    indexes: XP is computed from them)."""
    from zenith_auth.main import serve as serve_auth
    from zenith_auth.settings import AuthSettings
    from zenith_network.main import serve as serve_network
    from zenith_network.settings import NetworkSettings

    mail = smtp_server()
    inbox, smtp_port = mail.__enter__()
    server = NatsServer(folder / "nats", free_port())
    server.start()
    try:
        auth = load_settings(AuthSettings, env={}, nats_url=server.url,
                             data_dir=folder / "auth", auth_create_admin=False,
                             metadata_url=f"sqlite:///{folder / 'auth.db'}",
                             auth_argon2_time_cost=1, auth_argon2_memory_kib=1024,
                             auth_login_max_failures_ip=login_limit)
        net = load_settings(NetworkSettings, env={}, nats_url=server.url,
                            data_dir=folder / "network",
                            metadata_url=f"sqlite:///{folder / 'network.db'}",
                            network_smtp_host="127.0.0.1", network_smtp_port=smtp_port,
                            network_smtp_starttls=False, network_join_max_per_address=join_limit,
                            network_public_url="https://hub.example.org",
                            network_xp_cache_s=0)
        nc = await connect(server.url, name="zenith-admin-tests")
        bus = BusClient(nc, timeout=10.0)
        try:
            async with contextlib.AsyncExitStack() as services:
                await services.enter_async_context(service_context("auth", auth, serve_auth))
                await services.enter_async_context(service_context("network", net,
                                                                   serve_network))
                if data:
                    for name, settings, serve in data_services(folder, server.url):
                        await services.enter_async_context(service_context(name, settings,
                                                                           serve))
                admin = await add_user(bus, role="admin", prefix="admin")
                owner = await add_user(bus, role="owner", prefix="owner")
                async with start_web(server.url, remote, web_local_no_auth=False,
                                     blob_dir=folder / "blobs",
                                     web_health_services=["auth", "network", "web"]) as web:
                    yield Stack(web=web, bus=bus, inbox=inbox, admin=admin, owner=owner)
        finally:
            await nc.close()
    finally:
        server.stop()
        mail.__exit__(None, None, None)


def data_services(folder: Path, nats_url: str) -> list[tuple[str, Any, Any]]:
    from zenith_capture.service import serve as serve_capture
    from zenith_capture.settings import CaptureSettings
    from zenith_products.service import serve as serve_products
    from zenith_products.settings import ProductsSettings

    capture = load_settings(CaptureSettings, env={}, nats_url=nats_url,
                            data_dir=folder / "capture", blob_dir=folder / "blobs",
                            metadata_url=f"sqlite:///{folder / 'capture.db'}",
                            capture_hub_ingest=True)
    products = load_settings(ProductsSettings, env={}, nats_url=nats_url,
                             data_dir=folder / "products", blob_dir=folder / "blobs",
                             metadata_url=f"sqlite:///{folder / 'products.db'}",
                             products_hub_ingest=True, products_retention_interval_s=0)
    return [("capture", capture, serve_capture), ("products", products, serve_products)]


async def session_of(web: WebUnderTest, user: User) -> aiohttp.ClientSession:
    """A remote client logged in with the session cookies."""
    client = web.remote()
    async with client.post("/login", json={"username": user.username,
                                           "password": user.password, "session": True}) as resp:
        assert resp.status == 200, await resp.text()
    return client


def csrf_of(client: aiohttp.ClientSession) -> str:
    for cookie in client.cookie_jar:
        if cookie.key == "zenith_csrf":
            return cookie.value
    raise AssertionError("no zenith_csrf cookie")


def join_form(**extra: str) -> dict[str, str]:
    return {"name": "Ada Sky", "email": f"ada-{secrets.token_hex(3)}@example.org",
            "location": "Hilltop, Wales", "link": "https://ada.example.org/",
            "notes": "IMX477 with a fisheye lens.", **extra}
