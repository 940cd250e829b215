"""What an admin does, over HTTP with the session cookie and the form's CSRF
field: approve and reject join requests (password and key shown once, mail
to a real SMTP server), cameras (add, edit, disable, keys), owners (add,
reset password, link, delete: their sessions end), network settings; every
change in the audit log the admin reads, never with a password or key."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from tests.services.web.admin_stack import Stack, admin_stack, csrf_of, join_form, session_of
from tests.services.web.webstack import User, add_user
from zenith.contracts import admin, auth, camerakeys, joins, network
from zenith.errors import Unauthorized

pytestmark = pytest.mark.asyncio(loop_scope="package")


@pytest_asyncio.fixture(loop_scope="package", scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory, remote_host: str
                ) -> AsyncIterator[Stack]:
    async with admin_stack(tmp_path_factory.mktemp("adminactions"), remote_host,
                           join_limit=20) as s:
        yield s


async def post(client: aiohttp.ClientSession, path: str, **fields: str) -> tuple[int, str]:
    async with client.post(path, data={"csrf_token": csrf_of(client), **fields},
                           allow_redirects=False) as resp:
        return resp.status, await resp.text() if resp.status != 303 \
            else resp.headers["Location"]


def shown(text: str, element: str) -> str:
    match = re.search(rf'id="{element}">([^<]+)<', text)
    assert match, f"no #{element} on the page"
    return match.group(1)


async def audit_actions(stack: Stack) -> list[tuple[str, str, str]]:
    found = await stack.bus.request(admin.AUDIT_LIST, {})
    return [(e.actor, e.action, e.target) for e in found.entries]


async def test_approve_shows_password_and_key_once_and_mails_the_requester(stack: Stack) -> None:
    form = join_form()
    async with stack.web.remote().post("/join", json=form) as resp:
        received = await resp.json()
    client = await session_of(stack.web, stack.admin)
    async with client.get("/admin/joins") as resp:
        text = await resp.text()
    assert form["email"] in text and f'id="join-{received["id"]}"' in text
    status, text = await post(client, f"/admin/joins/{received['id']}/approve",
                              username="ada-sky", camera="hilltop", camera_name="Hilltop",
                              latitude="52.1", longitude="-3.9", timezone="Europe/London")
    assert status == 200, text
    password, key = shown(text, "new-password"), shown(text, "new-key")
    assert key.startswith("zk_") and "An email went to the requester." in text
    # the owner can log in; the camera is registered, owned and its key works
    owner = User(username="ada-sky", password=password, role="owner")
    await session_of(stack.web, owner)
    camera = await stack.bus.request(network.CAMERA_GET, {"camera": "hilltop"})
    assert camera.owners == ["ada-sky"]
    assert (await stack.bus.request(camerakeys.KEY_CHECK, {"credential": key})).camera \
        == "hilltop"
    mail = stack.inbox.text()
    assert password in mail and key not in mail
    # shown once: the list no longer offers it, the audit log has neither secret
    async with client.get("/admin/joins") as resp:
        text = await resp.text()
    assert password not in text and key not in text
    async with client.get("/admin/audit") as resp:
        text = await resp.text()
    assert "join.approve" in text and stack.admin.username in text
    assert password not in text and key not in text
    # approving again is a clear error that changes nothing
    status, text = await post(client, f"/admin/joins/{received['id']}/approve",
                              username="other", camera="other", camera_name="Other",
                              latitude="1", longitude="1")
    assert status == 409 and "already approved" in text
    users = {u.username for u in (await stack.bus.request(auth.USER_LIST, {})).users}
    assert "other" not in users


async def test_reject_and_bad_approvals(stack: Stack) -> None:
    async with stack.web.remote().post("/join", json=join_form()) as resp:
        received = await resp.json()
    client = await session_of(stack.web, stack.admin)
    status, text = await post(client, f"/admin/joins/{received['id']}/approve",
                              username="bad name!", camera="Bad Id", camera_name="x",
                              latitude="north", longitude="1")
    assert status == 400 and "Latitude must be a number" in text
    status, text = await post(client, f"/admin/joins/{received['id']}/reject", reason="")
    assert status == 400
    status, location = await post(client, f"/admin/joins/{received['id']}/reject",
                                  reason="Too close to an existing camera.")
    assert status == 303 and location.endswith("done=rejected")
    got = await stack.bus.request(joins.JOIN_GET, {"id": received["id"]})
    assert got.status == "rejected" and got.reason == "Too close to an existing camera."
    assert "Too close to an existing camera." in stack.inbox.text()
    assert (stack.admin.username, "join.reject", received["id"]) in await audit_actions(stack)


async def test_cameras_add_edit_disable_and_keys(stack: Stack) -> None:
    client = await session_of(stack.web, stack.admin)
    status, _ = await post(client, "/admin/cameras", camera="ridge", name="Ridge",
                           latitude="47.1", longitude="8.6", timezone="Europe/Zurich")
    assert status == 303
    status, text = await post(client, "/admin/cameras", camera="ridge", name="Again",
                              latitude="1", longitude="1")
    assert status == 409 and "already exists" in text
    status, _ = await post(client, "/admin/cameras/ridge/edit", name="Ridge Top", site="Alps")
    assert status == 303
    camera = await stack.bus.request(network.CAMERA_GET, {"camera": "ridge"})
    assert camera.name == "Ridge Top" and camera.site == "Alps" and camera.location.latitude == 47.1
    status, _ = await post(client, "/admin/cameras/ridge/enable", enabled="false")
    assert not (await stack.bus.request(network.CAMERA_GET, {"camera": "ridge"})).enabled
    status, text = await post(client, "/admin/cameras/ridge/key")
    assert status == 200
    key = shown(text, "new-key")
    assert (await stack.bus.request(camerakeys.KEY_CHECK, {"credential": key})).camera == "ridge"
    status, _ = await post(client, "/admin/cameras/ridge/key", revoke="on")
    assert status == 303
    with pytest.raises(Unauthorized):
        await stack.bus.request(camerakeys.KEY_CHECK, {"credential": key})
    mine = [a for a in await audit_actions(stack) if a[2] == "ridge"]
    assert [a[1] for a in mine] == ["camera.keys-revoke", "camera.key-issue", "camera.disable",
                                    "camera.edit", "camera.add"]
    async with client.get("/admin/audit", params={"target": "ridge"}) as resp:
        text = await resp.text()
    assert "camera.keys-revoke" in text and key not in text


async def test_owners_add_reset_link_and_delete_ends_their_sessions(stack: Stack) -> None:
    client = await session_of(stack.web, stack.admin)
    await stack.bus.request(network.CAMERA_ADD, {"id": "valley", "name": "Valley",
                                                 "location": {"latitude": 1, "longitude": 2}})
    status, text = await post(client, "/admin/owners", username="bo-star", role="owner")
    assert status == 200
    first = shown(text, "new-password")
    bo = User(username="bo-star", password=first, role="owner")
    bo_session = await session_of(stack.web, bo)
    status, text = await post(client, "/admin/owners/bo-star/password")
    second = shown(text, "new-password")
    assert second != first
    async with stack.web.remote().post("/login", json={"username": "bo-star",
                                                       "password": first}) as resp:
        assert resp.status == 401
    bo = User(username="bo-star", password=second, role="owner")
    bo_session = await session_of(stack.web, bo)
    status, _ = await post(client, "/admin/owners/bo-star/link", camera="valley")
    assert status == 303
    assert (await stack.bus.request(network.CAMERA_GET, {"camera": "valley"})).owners \
        == ["bo-star"]
    async with bo_session.get("/dashboard", allow_redirects=False) as resp:
        assert resp.status == 302  # logged in, held back until the one-time password changes
        assert resp.headers["Location"] == "/owner/password"
    async with bo_session.get("/owner/password", allow_redirects=False) as resp:
        assert resp.status == 200
    status, _ = await post(client, "/admin/owners/bo-star/delete")
    assert status == 303
    assert (await stack.bus.request(network.CAMERA_GET, {"camera": "valley"})).owners == []
    users = {u.username for u in (await stack.bus.request(auth.USER_LIST, {})).users}
    assert "bo-star" not in users
    # the deleted owner's session ended at once: the access cookie no longer works
    async with bo_session.post("/token/refresh", headers={"X-CSRF-Token": csrf_of(bo_session)}
                               ) as resp:
        assert resp.status == 401
    async with bo_session.get("/dashboard", allow_redirects=False) as resp:
        assert resp.status == 302  # to the login page: no valid session
    actions = [a[1] for a in await audit_actions(stack) if a[2] == "bo-star"]
    assert actions == ["owner.delete", "owner.link", "owner.password-reset", "owner.add"]


async def test_network_settings_are_stored_in_network_and_audited(stack: Stack) -> None:
    client = await session_of(stack.web, stack.admin)
    status, text = await post(client, "/admin/settings", site_name="Sky Net",
                              map_tiles="javascript:alert(1)", grafana_url="",
                              offline_after_s="900")
    assert status == 400 and "http" in text
    assert (await stack.bus.request(admin.CONFIG_GET, {})).site_name == ""
    status, _ = await post(client, "/admin/settings", site_name="Sky Net",
                           map_tiles="https://tiles.example.org/{z}/{x}/{y}.png",
                           grafana_url="https://grafana.example.org", offline_after_s="900")
    assert status == 303
    config = await stack.bus.request(admin.CONFIG_GET, {})
    assert (config.site_name, config.offline_after_s, config.updated_by) == (
        "Sky Net", 900, stack.admin.username)
    async with client.get("/admin/settings") as resp:
        text = await resp.text()
    assert 'value="https://grafana.example.org"' in text
    assert (stack.admin.username, "settings.change", "network") in await audit_actions(stack)
    # the web service reads them: the site name on every page, the map's tiles, Grafana
    async with stack.web.remote().get("/join") as resp:
        assert "<title>Join the network · Sky Net</title>" in await resp.text()
    async with stack.web.remote().get("/map") as resp:
        assert "https://tiles.example.org" in resp.headers["Content-Security-Policy"]
        assert "tiles.example.org/{z}/{x}/{y}.png" in await resp.text()
    async with client.get("/admin") as resp:
        assert 'href="https://grafana.example.org"' in await resp.text()


async def test_a_new_admin_sees_the_overview(stack: Stack) -> None:
    other = await add_user(stack.bus, role="admin", prefix="admin")
    client = await session_of(stack.web, other)
    async with client.get("/admin") as resp:
        assert resp.status == 200
        text = await resp.text()
    assert 'id="pending-count"' in text and "Latest changes" in text
