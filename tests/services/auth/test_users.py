"""User endpoints: add, list, passwd (revokes), remove (revokes)."""

from __future__ import annotations

import json

import pytest

from zenith.bus.client import BusClient
from zenith.contracts.auth import USER_ADD, USER_LIST, USER_PASSWD, USER_REMOVE
from zenith.errors import BadRequest, Conflict, NotFound, Unauthorized
from zenith.tokens import TokenVerifier

from .conftest import PASSWORD, add_user, login, refused_soon
from .test_refresh import refresh


async def test_add_and_list_users_with_role_permissions(auth, bus: BusClient):
    await add_user(bus, "alice", role="admin")
    await add_user(bus, "bob.smith@example.org", role="viewer")
    added = await bus.request(USER_ADD, {"username": "carol", "role": "operator"})
    assert added.password and len(added.password) >= 12  # generated, returned once
    assert (await login(bus, "carol", added.password)).user.username == "carol"

    users = {u.username: u for u in (await bus.request(USER_LIST, {})).users}
    assert list(users) == ["alice", "bob.smith@example.org", "carol"]
    assert users["alice"].permissions == {"*": ["*"]}
    assert users["carol"].permissions == {"*": ["*"], "users": []}
    assert users["bob.smith@example.org"].permissions == {
        m: ["read"] for m in ("allsky", "gpio", "products", "sensors", "focuser")}
    assert all(u.created_at for u in users.values())


async def test_explicit_permissions_replace_the_roles(auth, bus, verifier: TokenVerifier):
    await add_user(bus, "gpio-bot", role="viewer",
                   permissions={"gpio": ["read", "update"], "sensors": ["*"]})
    principal = verifier.verify((await login(bus, "gpio-bot")).access_token)
    assert principal.can("gpio", "update")
    assert principal.can("sensors", "delete")
    assert not principal.can("camera", "read")  # the viewer role's grant is replaced


@pytest.mark.parametrize("body, code", [
    ({"username": "bad name", "password": PASSWORD}, "invalid_username"),
    ({"username": "x" * 65, "password": PASSWORD}, "invalid_request"),
    ({"username": "dave", "password": PASSWORD, "role": "wizard"}, "invalid_role"),
    ({"username": "dave", "password": "short"}, "invalid_request"),
    ({"username": "dave", "password": PASSWORD, "permissions": {"gpio": ["fly"]}},
     "invalid_permissions"),
    ({"username": "dave", "password": PASSWORD, "permissions": {"GPIO!": ["read"]}},
     "invalid_permissions"),
])
async def test_invalid_users_are_refused_and_nothing_is_stored(auth, bus, body, code):
    with pytest.raises(BadRequest) as info:  # sent raw: the service itself must refuse it
        await bus.raw(USER_ADD.subject, json.dumps(body).encode())
    assert info.value.code == code
    assert (await bus.request(USER_LIST, {})).users == []


async def test_duplicate_user_is_a_conflict(auth, bus):
    await add_user(bus, "alice")
    with pytest.raises(Conflict) as info:
        await add_user(bus, "alice", password="another password")
    assert info.value.code == "user_exists"
    assert (await login(bus, "alice")).user.username == "alice"  # old password kept


async def test_password_change_revokes_refresh_and_access_tokens(auth, bus,
                                                                 verifier: TokenVerifier):
    await add_user(bus, "alice", role="operator")
    old = await login(bus, "alice")
    assert verifier.verify(old.access_token).username == "alice"

    info = await bus.request(USER_PASSWD, {"username": "alice", "password": "a new password"})
    assert info.username == "alice"

    error = await refused_soon(verifier, old.access_token)
    assert isinstance(error, Unauthorized) and error.code == "token_revoked"
    with pytest.raises(Unauthorized):
        await refresh(bus, old.refresh_token)
    with pytest.raises(Unauthorized):
        await login(bus, "alice", PASSWORD)
    new = await login(bus, "alice", "a new password")
    assert verifier.verify(new.access_token).username == "alice"


async def test_user_removal_revokes_everything(auth, bus, verifier):
    await add_user(bus, "alice", role="admin")
    await add_user(bus, "bob")
    pair = await login(bus, "bob")
    assert (await bus.request(USER_REMOVE, {"username": "bob"})).ok
    assert isinstance(await refused_soon(verifier, pair.access_token), Unauthorized)
    with pytest.raises(Unauthorized):
        await refresh(bus, pair.refresh_token)
    with pytest.raises(Unauthorized):
        await login(bus, "bob")
    assert [u.username for u in (await bus.request(USER_LIST, {})).users] == ["alice"]
    # a new bob is a new user: his fresh tokens are valid
    await add_user(bus, "bob")
    assert verifier.verify((await login(bus, "bob")).access_token).username == "bob"


async def test_unknown_users_cannot_be_changed_or_removed(auth, bus):
    with pytest.raises(NotFound):
        await bus.request(USER_PASSWD, {"username": "ghost", "password": "a new password"})
    with pytest.raises(NotFound):
        await bus.request(USER_REMOVE, {"username": "ghost"})


async def test_the_last_user_manager_cannot_be_removed(auth, bus):
    await add_user(bus, "alice", role="admin")
    await add_user(bus, "olga", role="operator")
    with pytest.raises(Conflict) as info:
        await bus.request(USER_REMOVE, {"username": "alice"})
    assert info.value.code == "last_admin"
    await add_user(bus, "root2", role="admin")
    assert (await bus.request(USER_REMOVE, {"username": "alice"})).ok
