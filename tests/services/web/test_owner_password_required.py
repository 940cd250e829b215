"""A one-time password is changed at the first login, with the real services
(nats-server, auth, network, web): a join approval and an administrator's
reset mark the password in auth; the login leads to the change-password
page, every other page and form redirects there and the API answers 403
``password_change_required`` until the user's own change clears the flag.
The page saying why, in Chromium at 375 and 1280 px with axe-core."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.services.web.admin_stack import Stack, admin_stack, csrf_of, join_form
from tests.services.web.sitepages import check_page
from tests.services.web.webstack import User, WebUnderTest, add_user
from zenith.contracts import admin, auth

pytestmark = pytest.mark.asyncio(loop_scope="package")

NEW = "moonrise above the old barn"


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory, remote_host: str) -> AsyncIterator[Stack]:
    async with admin_stack(tmp_path_factory.mktemp("onetime"), remote_host, join_limit=20) as s:
        yield s


async def form_login(web: WebUnderTest, user: User) -> tuple[aiohttp.ClientSession, str]:
    """A browser-like client logged in through the login form, and where it was sent."""
    client = web.remote()
    async with client.post(
        "/login?next=/owner",
        data={"username": user.username, "password": user.password},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 303, await resp.text()
        return client, resp.headers["Location"]


async def post(client: aiohttp.ClientSession, path: str, **fields: str) -> tuple[int, str, str]:
    async with client.post(
        path, data={"csrf_token": csrf_of(client), **fields}, allow_redirects=False
    ) as resp:
        return resp.status, resp.headers.get("Location", ""), await resp.text()


async def required_of(stack: Stack, username: str) -> bool:
    users = (await stack.bus.request(auth.USER_LIST, {})).users
    return next(u for u in users if u.username == username).password_change_required


async def approve(
    stack: Stack, admin_client: aiohttp.ClientSession, username: str, camera: str
) -> str:
    async with stack.web.remote().post("/join", json=join_form()) as resp:
        received = await resp.json()
    status, _, text = await post(
        admin_client,
        f"/admin/joins/{received['id']}/approve",
        username=username,
        camera=camera,
        camera_name="Barn",
        latitude="52.1",
        longitude="-3.9",
        timezone="UTC",
    )
    assert status == 200, text
    match = re.search(r'id="new-password">([^<]+)<', text)
    assert match
    return match.group(1)


async def assert_held_back(
    client: aiohttp.ClientSession, camera: str, headers: dict[str, str] | None = None
) -> None:
    """Every page and form redirects to the password page; the API is refused."""
    for path in (
        "/owner",
        f"/owner/cameras/{camera}",
        f"/owner/cameras/{camera}/profile",
        f"/owner/cameras/{camera}/sensors",
        "/admin",
        "/admin/audit",
        "/dashboard",
    ):
        async with client.get(path, allow_redirects=False) as resp:
            assert resp.status == 302, (path, resp.status)
            assert resp.headers["Location"] == "/owner/password", path
    status, location, _ = await post(client, f"/owner/cameras/{camera}/sensors/display", show="x")
    assert (status, location) == (303, "/owner/password")
    status, location, _ = await post(
        client, f"/owner/cameras/{camera}/highlights/mark", category="aurora"
    )
    assert (status, location) == (303, "/owner/password")
    for method, path in (
        ("GET", "/api/capture/darks"),
        ("GET", "/gpio/status"),
        ("POST", "/api/capture/darks"),
    ):
        async with client.request(
            method,
            path,
            json={"frames": 1},
            headers={"X-CSRF-Token": csrf_of(client), **(headers or {})},
        ) as resp:
            assert resp.status == 403, (method, path, await resp.text())
            assert (await resp.json())["error"]["code"] == "password_change_required"


async def test_join_approval_password_is_changed_at_the_first_login(stack: Stack) -> None:
    admin_client, _ = await form_login(stack.web, stack.admin)
    password = await approve(stack, admin_client, "cleo-star", "barn")
    assert await required_of(stack, "cleo-star")
    owner = User("cleo-star", password, role="owner")
    # the JSON login says so; its bearer token is held back like the session
    async with stack.web.remote().post(
        "/login", json={"username": owner.username, "password": password}
    ) as resp:
        body = await resp.json()
    assert resp.status == 200 and body["user"]["password_change_required"] is True
    async with stack.web.remote().get(
        "/gpio/status", headers={"Authorization": f"Bearer {body['access_token']}"}
    ) as resp:
        assert resp.status == 403
        assert (await resp.json())["error"]["code"] == "password_change_required"
    # the form login leads to the change-password page, whatever next= asked for
    client, location = await form_login(stack.web, owner)
    assert location == "/owner/password"
    async with client.get(location) as resp:
        text = await resp.text()
    assert resp.status == 200 and 'id="change-required"' in text
    assert "one-time password" in text
    await assert_held_back(client, "barn")
    # a bad change is refused and changes nothing: still held back
    status, _, text = await post(client, "/owner/password", current="not it", new=NEW, confirm=NEW)
    assert status == 400 and "current password is wrong" in text
    status, _, text = await post(
        client, "/owner/password", current=password, new="short", confirm="short"
    )
    assert status == 400 and 'id="change-required"' in text
    assert await required_of(stack, "cleo-star")
    await assert_held_back(client, "barn")
    # the change clears the flag: the owner area opens
    status, location, _ = await post(
        client, "/owner/password", current=password, new=NEW, confirm=NEW
    )
    assert (status, location) == (303, "/owner/password?changed=1")
    assert not await required_of(stack, "cleo-star")
    async with client.get(location) as resp:
        text = await resp.text()
    assert "Password changed" in text and 'id="change-required"' not in text
    for path in ("/owner", "/owner/cameras/barn", "/owner/cameras/barn/profile"):
        async with client.get(path, allow_redirects=False) as resp:
            assert resp.status == 200, path
    async with client.get("/api/capture/darks") as resp:
        assert resp.status == 403  # an owner may not; no longer for the password
        assert (await resp.json())["error"]["code"] == "forbidden"
    again, location = await form_login(stack.web, User("cleo-star", NEW))
    assert location == "/owner"
    async with again.get("/owner", allow_redirects=False) as resp:
        assert resp.status == 200


async def test_a_reset_by_an_admin_sets_the_flag_again(stack: Stack) -> None:
    admin_client, _ = await form_login(stack.web, stack.admin)
    other = await add_user(stack.bus, role="admin", prefix="adm")
    assert not await required_of(stack, other.username)  # chose their own
    client, location = await form_login(stack.web, other)
    async with client.get("/admin", allow_redirects=False) as resp:
        assert resp.status == 200
    status, _, text = await post(admin_client, f"/admin/owners/{other.username}/password")
    assert status == 200
    match = re.search(r'id="new-password">([^<]+)<', text)
    assert match
    assert await required_of(stack, other.username)
    reset = User(other.username, match.group(1), role="admin")
    client, location = await form_login(stack.web, reset)
    assert location == "/owner/password"
    await assert_held_back(client, "no-such-cam")
    async with client.get("/owner/password") as resp:
        assert 'id="change-required"' in await resp.text()
    # a bearer token of the reset password: the JSON error, for a change too
    async with stack.web.remote().post(
        "/login", json={"username": reset.username, "password": reset.password}
    ) as resp:
        token = (await resp.json())["access_token"]
    async with stack.web.remote().post(
        "/admin/settings",
        data={"site_name": "X"},
        headers={"Authorization": f"Bearer {token}"},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 403
        assert (await resp.json())["error"]["code"] == "password_change_required"
    assert (await stack.bus.request(admin.CONFIG_GET, {})).site_name != "X"
    status, location, _ = await post(
        client, "/owner/password", current=reset.password, new=NEW, confirm=NEW
    )
    assert status == 303
    async with client.get("/admin", allow_redirects=False) as resp:
        assert resp.status == 200
    entries = (await stack.bus.request(admin.AUDIT_LIST, {"target": other.username})).entries
    assert [e.action for e in entries] == ["owner.password-reset"]


async def test_the_page_that_says_why_in_chromium(stack: Stack, browser: Any) -> None:
    admin_client, _ = await form_login(stack.web, stack.admin)
    password = await approve(stack, admin_client, "dora-star", "shed")
    base = stack.web.remote_url
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(base + "/login?next=/owner/cameras/shed")
        await page.get_by_label("Username").fill("dora-star")
        await page.get_by_label("Password").fill(password)
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url(base + "/owner/password")
        assert "one-time password" in await page.inner_text("#change-required")
        await check_page(page, base + "/owner/password", "owner-password-required")
        await page.goto(base + "/owner/cameras/shed")  # held back
        assert page.url == base + "/owner/password"
        await page.get_by_label("Current password").fill(password)
        await page.get_by_label("New password", exact=True).fill(NEW)
        await page.get_by_label("Confirm the new password").fill(NEW)
        await page.get_by_role("button", name="Change password").click()
        await page.wait_for_url(base + "/owner/password?changed=1")
        assert await page.locator("#change-required").count() == 0
        await page.goto(base + "/owner/cameras/shed")
        assert page.url == base + "/owner/cameras/shed"
    finally:
        await context.close()
