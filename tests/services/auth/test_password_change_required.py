"""The must-change flag of a one-time password: set when someone else issues
the password (a generated one, a reset), carried by the access tokens as
``pwc``, cleared by the user's own change; users stored before the flag
existed read as not required."""

from __future__ import annotations

import json

import pytest

from zenith.bus.client import BusClient
from zenith.contracts.auth import (
    PASSWORD_CHANGE_CLAIM,
    USER_ADD,
    USER_LIST,
    USER_PASSWD,
    USERS,
)
from zenith.errors import BadRequest
from zenith.runner import service_context
from zenith.storage.factory import open_metadata
from zenith.tokens import TokenVerifier
from zenith_auth.main import serve

from .conftest import PASSWORD, add_user, login
from .test_cli import cli_env, zenith
from .test_refresh import refresh


async def flags(bus: BusClient) -> dict[str, bool]:
    users = (await bus.request(USER_LIST, {})).users
    return {u.username: u.password_change_required for u in users}


def claims(token: str) -> dict[str, object]:
    import jwt

    decoded: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return decoded


async def test_generated_and_reset_passwords_must_be_changed(
    auth, bus: BusClient, verifier: TokenVerifier
):
    await add_user(bus, "own")  # chose their own password
    added = await bus.request(USER_ADD, {"username": "gen", "role": "owner"})
    assert added.user.password_change_required and added.password
    await bus.request(
        USER_ADD, {"username": "told", "password": PASSWORD, "password_change_required": True}
    )
    assert await flags(bus) == {"own": False, "gen": True, "told": True}

    pair = await login(bus, "gen", added.password)
    assert pair.user.password_change_required
    assert claims(pair.access_token)[PASSWORD_CHANGE_CLAIM] is True
    assert verifier.verify(pair.access_token).password_change_required
    renewed = await refresh(bus, pair.refresh_token)  # a refresh keeps it
    assert verifier.verify(renewed.access_token).password_change_required
    mine = await login(bus, "own")
    assert PASSWORD_CHANGE_CLAIM not in claims(mine.access_token)
    assert not verifier.verify(mine.access_token).password_change_required

    # the user's own change (the default) clears it; a reset sets it again
    info = await bus.request(USER_PASSWD, {"username": "gen", "password": "my own choice"})
    assert not info.password_change_required
    pair = await login(bus, "gen", "my own choice")
    assert not pair.user.password_change_required
    assert PASSWORD_CHANGE_CLAIM not in claims(pair.access_token)
    info = await bus.request(
        USER_PASSWD,
        {"username": "own", "password": "reset by admin", "password_change_required": True},
    )
    assert info.password_change_required
    assert (await login(bus, "own", "reset by admin")).user.password_change_required


@pytest.mark.parametrize(
    "endpoint, body",
    [
        (USER_ADD, {"username": "x", "password": PASSWORD, "password_change_required": "maybe"}),
        (
            USER_PASSWD,
            {"username": "own", "password": PASSWORD, "password_change_required": [True]},
        ),
    ],
)
async def test_a_bad_flag_is_refused_and_changes_nothing(auth, bus: BusClient, endpoint, body):
    await add_user(bus, "own")
    with pytest.raises(BadRequest) as info:
        await bus.raw(endpoint.subject, json.dumps(body).encode())
    assert info.value.code == "invalid_request"
    assert await flags(bus) == {"own": False}
    await login(bus, "own")  # the password did not change


async def test_users_stored_before_the_flag_read_as_not_required(settings, bus: BusClient):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = await open_metadata(settings.resolved_metadata_url)
    try:
        from zenith_auth.passwords import Passwords

        hashed = await Passwords(time_cost=1, memory_kib=8192).ahash(PASSWORD)
        await store.insert(
            USERS.name,
            {
                "_id": "old-timer",
                "role": "admin",
                "permissions": None,
                "password_hash": hashed,
                "created_at": "2025-01-01T00:00:00Z",
                "updated_at": "2025-01-01T00:00:00Z",
            },
        )
    finally:
        await store.close()
    async with service_context("auth", settings, serve):
        assert await flags(bus) == {"old-timer": False}
        assert not (await login(bus, "old-timer")).user.password_change_required
    store = await open_metadata(settings.resolved_metadata_url)
    try:
        doc = await store.get(USERS.name, "old-timer")
        assert doc is not None and doc["password_change_required"] is False
    finally:
        await store.close()


async def test_the_cli_marks_generated_and_one_time_passwords(tmp_path, nats_server, bus):
    env = cli_env(tmp_path, nats_server.url)
    made = await zenith(env, "add", "gen", "--role", "owner")
    assert made.code == 0 and "must be changed at the first login" in made.out
    made = await zenith(env, "add", "chosen", "--password-stdin", stdin=PASSWORD + "\n")
    assert made.code == 0 and "must be changed" not in made.out
    changed = await zenith(
        env, "passwd", "chosen", "--password-stdin", "--one-time", stdin="handed over pw\n"
    )
    assert changed.code == 0 and "one-time" in changed.out
    listed = await zenith(env, "list", "--json")
    assert listed.code == 0
    from .conftest import make_settings

    async with service_context("auth", make_settings(tmp_path, nats_server.url), serve):
        assert await flags(bus) == {"chosen": True, "gen": True}
        assert (await login(bus, "chosen", "handed over pw")).user.password_change_required
