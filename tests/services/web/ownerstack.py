"""Helpers of the owner-area tests: a hub (network service and a web service)
with two owners, each with a camera, and logged-in clients."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.services.web.webstack import CAMERA, User, WebUnderTest, add_user, start_web
from zenith.bus.client import BusClient
from zenith.config import load_settings
from zenith.contracts import network
from zenith.runner import service_context
from zenith_web.session import CSRF_COOKIE

OTHER = "other-cam"


@dataclass
class Hub:
    web: WebUnderTest
    alice: User  # owns CAMERA (the simulator camera of the package's capture service)
    bob: User  # owns OTHER
    admin: User


@contextlib.asynccontextmanager
async def start_hub(nats_url: str, remote_host: str, blob_dir: Path, bus: BusClient,
                    folder: Path) -> AsyncIterator[Hub]:
    from zenith_network.main import serve
    from zenith_network.settings import NetworkSettings

    settings = load_settings(NetworkSettings, env={}, nats_url=nats_url, data_dir=folder,
                             blob_dir=blob_dir,
                             metadata_url=f"sqlite:///{folder / 'network.db'}")
    alice = await add_user(bus, role="owner", prefix="alice")
    bob = await add_user(bus, role="owner", prefix="bob")
    admin = await add_user(bus, role="admin", prefix="admin")
    async with service_context("network", settings, serve):
        for body in (
                {"id": CAMERA, "name": "Demo Ridge", "site": "Ridge", "code": "OWN101",
                 "owners": [alice.username],
                 "location": {"latitude": 47.123456, "longitude": 8.654321,
                              "timezone": "Europe/Zurich", "precision": "1km"}},
                {"id": OTHER, "name": "Bob's Roof", "site": "Roof", "code": "OWN102",
                 "owners": [bob.username],
                 "location": {"latitude": 50.0, "longitude": 10.0, "timezone": "UTC",
                              "precision": "exact"}}):
            await bus.request(network.CAMERA_ADD, body)
        async with start_web(nats_url, remote_host, blob_dir=blob_dir) as under_test:
            yield Hub(web=under_test, alice=alice, bob=bob, admin=admin)


async def session_of(web: WebUnderTest, user: User) -> aiohttp.ClientSession:
    """A remote browser-like client logged in through the login form."""
    client = web.remote()
    async with client.post("/login?next=/", data={"username": user.username,
                                                  "password": user.password},
                           allow_redirects=False) as resp:
        assert resp.status == 303, await resp.text()
    return client


def csrf_of(client: aiohttp.ClientSession) -> str:
    for cookie in client.cookie_jar:
        if cookie.key == CSRF_COOKIE:
            return cookie.value
    raise AssertionError("no CSRF cookie")


def cookie(client: aiohttp.ClientSession, name: str) -> str | None:
    for item in client.cookie_jar:
        if item.key == name:
            return item.value
    return None


def profile_form(csrf: str | None, fields: dict[str, Any],
                 files: list[tuple[str, bytes, str]] = ()) -> aiohttp.FormData:  # type: ignore[assignment]
    """The editor's multipart form: the CSRF field first, as the page sends it."""
    form = aiohttp.FormData(quote_fields=False)  # file names as a browser sends them
    if csrf is not None:
        form.add_field("csrf_token", csrf)
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            form.add_field(name, str(one))
    for filename, data, content_type in files:
        form.add_field("images", data, filename=filename, content_type=content_type)
    if not files:
        form.add_field("images", b"", filename="", content_type="application/octet-stream")
    return form


def base_fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": "Demo Ridge", "site": "Ridge", "latitude": "47.123456",
        "longitude": "8.654321", "elevation": "800", "timezone": "Europe/Zurich",
        "precision": "1km", "about": "", "setup": "", "other": "", "nicknames": ""}
    for kind in ("website", "github", "astrobin", "makerworld", "tinkercad", "linkedin",
                 "mastodon"):
        fields[f"link_{kind}"] = ""
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}
