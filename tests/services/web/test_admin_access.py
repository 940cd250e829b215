"""Who may use the admin area: every admin route answers 403 to an owner, a
viewer and an operator and sends a stranger to the login page; every admin
form post needs the CSRF field and this site's origin, and changes nothing
without them. The login limit per address holds."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.services.web.admin_stack import Stack, admin_stack, csrf_of, session_of
from tests.services.web.webstack import add_user
from zenith.contracts import admin, network
from zenith_web.views.admin_routes import ADMIN_ROUTES

pytestmark = pytest.mark.asyncio(loop_scope="package")

PARAMS = {"{join}": "j0000000000000000", "{camera}": "alpha", "{username}": "nobody"}


def concrete(path: str) -> str:
    for name, value in PARAMS.items():
        path = path.replace(name, value)
    return path


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory, remote_host: str
                ) -> AsyncIterator[Stack]:
    async with admin_stack(tmp_path_factory.mktemp("adminaccess"), remote_host,
                           login_limit=5) as s:
        await s.bus.request(network.CAMERA_ADD, {
            "id": "alpha", "name": "Alpha", "location": {"latitude": 1, "longitude": 2}})
        yield s


async def test_every_admin_route_refuses_anyone_but_an_admin(stack: Stack) -> None:
    viewer = await add_user(stack.bus, role="viewer")
    operator = await add_user(stack.bus, role="operator")
    for user in (stack.owner, viewer, operator):
        client = await session_of(stack.web, user)
        token = csrf_of(client)
        for spec in ADMIN_ROUTES:
            path = concrete(spec.path)
            if spec.method == "GET":
                async with client.get(path, allow_redirects=False) as resp:
                    assert resp.status == 403, (user.role, path, resp.status)
            else:
                async with client.post(path, data={"csrf_token": token, "enabled": "false",
                                                   "camera": "alpha", "reason": "x"},
                                       allow_redirects=False) as resp:
                    assert resp.status == 403, (user.role, path, resp.status)
    stranger = stack.web.remote()
    for spec in ADMIN_ROUTES:
        path = concrete(spec.path)
        if spec.method == "GET":
            async with stranger.get(path, allow_redirects=False) as resp:
                assert resp.status == 302 and resp.headers["Location"].startswith("/login")
        else:
            async with stranger.post(path, data={}, allow_redirects=False) as resp:
                assert resp.status in (302, 401, 403), (path, resp.status)
    camera = await stack.bus.request(network.CAMERA_GET, {"camera": "alpha"})
    assert camera.enabled  # nothing was changed
    entries = await stack.bus.request(admin.AUDIT_LIST, {})
    assert entries.entries == []


async def test_admin_forms_need_the_csrf_field_and_this_origin(stack: Stack) -> None:
    client = await session_of(stack.web, stack.admin)
    async with client.get("/admin") as resp:
        assert resp.status == 200
    async with client.post("/admin/cameras/alpha/enable", data={"enabled": "false"},
                           allow_redirects=False) as resp:
        assert resp.status == 403 and (await resp.json())["error"]["code"] == "csrf"
    async with client.post("/admin/cameras/alpha/enable",
                           data={"enabled": "false", "csrf_token": "forged"},
                           allow_redirects=False) as resp:
        assert resp.status == 403
    async with client.post("/admin/cameras/alpha/enable",
                           data={"enabled": "false", "csrf_token": csrf_of(client)},
                           headers={"Origin": "https://evil.example"},
                           allow_redirects=False) as resp:
        assert resp.status == 403 and (await resp.json())["error"]["code"] == "bad_origin"
    camera = await stack.bus.request(network.CAMERA_GET, {"camera": "alpha"})
    assert camera.enabled
    async with client.post("/admin/cameras/alpha/enable",
                           data={"enabled": "false", "csrf_token": csrf_of(client)},
                           allow_redirects=False) as resp:
        assert resp.status == 303 and "done=disabled" in resp.headers["Location"]
    camera = await stack.bus.request(network.CAMERA_GET, {"camera": "alpha"})
    assert not camera.enabled


async def test_every_admin_form_refuses_a_post_without_the_csrf_field(stack: Stack) -> None:
    client = await session_of(stack.web, stack.admin)
    before = len((await stack.bus.request(admin.AUDIT_LIST, {})).entries)
    posts = [spec for spec in ADMIN_ROUTES if spec.method == "POST"]
    assert len(posts) >= 12
    for spec in posts:
        async with client.post(concrete(spec.path), data={"enabled": "false", "camera": "alpha",
                                                          "reason": "x", "badge": "supporter"},
                               allow_redirects=False) as resp:
            assert resp.status == 403, (spec.path, resp.status)
            assert (await resp.json())["error"]["code"] == "csrf"
    assert len((await stack.bus.request(admin.AUDIT_LIST, {})).entries) == before  # nothing done


async def test_logins_are_limited_per_address(stack: Stack) -> None:
    target = await add_user(stack.bus, role="owner")
    home = stack.web.local()  # the owner's own address: known to auth after one login
    async with home.post("/login", json={"username": target.username,
                                         "password": target.password}) as resp:
        assert resp.status == 200
    client = stack.web.remote()
    statuses = []
    for _ in range(7):
        async with client.post("/login", json={"username": target.username,
                                               "password": "wrong password!"}) as resp:
            statuses.append(resp.status)
    assert statuses[:5] == [401] * 5 and statuses[-1] == 429, statuses
    async with client.post("/login", json={"username": target.username,
                                           "password": target.password}) as resp:
        assert resp.status == 429  # even the right password, from this address, for now
    async with home.post("/login", json={
            "username": target.username, "password": target.password}) as resp:
        assert resp.status == 200  # the owner, from elsewhere, is not locked out
