"""Changing the password: current, new, confirm; NIST-style length and deny
list; every other session of the user ends, this one goes on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.services.web.ownerstack import Hub, csrf_of, session_of, start_hub
from tests.services.web.webstack import CAMERA, User, add_user
from zenith.bus.client import BusClient
from zenith_web.views.owner_password import weakness

pytestmark = [pytest.mark.asyncio(loop_scope="package")]


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def hub(nats_url: str, remote_host: str, auth_service: Any, blob_dir: Path,
              bus: BusClient, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    async with start_hub(nats_url, remote_host, blob_dir, bus,
                         tmp_path_factory.mktemp("network")) as under_test:
        yield under_test


def test_the_strength_rule() -> None:
    assert weakness("short", "alice", "Zenith") is not None
    assert weakness("password1234", "alice", "Zenith") is not None  # length ok, too common
    assert weakness("aaaaaaaaaaaaaaaa", "alice", "Zenith") is not None
    assert weakness("abcdefghijklmnop", "alice", "Zenith") is not None
    assert weakness("alice-owner!", "alice-owner", "Zenith") is not None
    assert weakness("correct horse battery staple", "alice", "Zenith") is None
    assert weakness("Zwölf Sterne über dem Dach", "alice", "Zenith") is None


async def change(client: Any, current: str, new: str, confirm: str | None = None
                 ) -> tuple[int, str, str]:
    async with client.post("/owner/password", data={
            "csrf_token": csrf_of(client), "current": current, "new": new,
            "confirm": new if confirm is None else confirm}, allow_redirects=False) as resp:
        return resp.status, resp.headers.get("Location", ""), await resp.text()


async def test_change_password_ends_every_other_session(hub: Hub, bus: BusClient) -> None:
    user: User = await add_user(bus, role="owner", prefix="carol")
    here = await session_of(hub.web, user)
    elsewhere = await session_of(hub.web, user)
    async with here.get("/owner/password") as resp:
        assert resp.status == 200
        assert 'autocomplete="new-password"' in await resp.text()
    status, _, text = await change(here, "wrong password", "a quite long new passphrase")
    assert status == 400 and "current password is wrong" in text
    status, _, text = await change(here, user.password, "a quite long new passphrase",
                                   "a quite long other phrase")
    assert status == 400 and "differ" in text
    status, _, text = await change(here, user.password, "password1234")
    assert status == 400 and "common passwords" in text
    status, _, text = await change(here, user.password, "short")
    assert status == 400 and "at least 12 characters" in text
    # nothing changed: the old password still logs in
    await session_of(hub.web, user)
    new = "moonlight over the quiet ridge"
    status, location, _ = await change(here, user.password, new)
    assert status == 303 and location == "/owner/password?changed=1"
    async with here.get(location) as resp:
        assert resp.status == 200
        assert "Password changed" in await resp.text()
    async with here.get("/owner", allow_redirects=False) as resp:
        assert resp.status == 200  # this session goes on
    async with elsewhere.get("/owner", allow_redirects=False) as resp:
        assert resp.status == 302  # the other one has ended (its refresh token too)
        assert resp.headers["Location"].startswith("/login")
    async with hub.web.remote().post("/login", json={"username": user.username,
                                                     "password": user.password}) as resp:
        assert resp.status == 401
    await session_of(hub.web, User(user.username, new))
    # an owner's own camera pages still work for the renewed session
    async with here.get(f"/owner/cameras/{CAMERA}", allow_redirects=False) as resp:
        assert resp.status == 404  # carol owns no camera: never someone else's
