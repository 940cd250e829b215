"""Camera keys in the auth service: shown once, keyed hash, rotation, limits."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from zenith.contracts import camerakeys as k
from zenith.contracts import network as c
from zenith.errors import Forbidden, TooManyRequests, Unauthorized
from zenith.runner import service_context
from zenith_auth.main import serve as serve_auth

from .conftest import auth_settings, camera_body
from .test_cli import run_cli


async def test_a_key_names_its_camera_and_is_stored_only_as_a_keyed_hash(auth, bus, tmp_path):
    issued = await bus.request(k.KEY_ISSUE, {"camera": "alpha"})
    assert issued.key.startswith("zk_") and issued.previous_valid_until is None
    verdict = await bus.request(k.KEY_CHECK, {"credential": issued.key, "client_ip": "192.0.2.1"})
    assert verdict.camera == "alpha" and verdict.key_id == issued.key_id
    by_token = await bus.request(k.KEY_CHECK, {"credential": verdict.write_token,
                                               "kind": "token"})
    assert by_token.camera == "alpha"
    with pytest.raises(Unauthorized):  # a token is not a key, nor a key a token
        await bus.request(k.KEY_CHECK, {"credential": verdict.write_token})
    with pytest.raises(Unauthorized):
        await bus.request(k.KEY_CHECK, {"credential": issued.key, "kind": "token"})
    secret_part = issued.key.rsplit("_", 1)[1]
    db = sqlite3.connect(tmp_path / "auth.db")
    dump = "\n".join(db.iterdump())
    assert secret_part not in dump and issued.key not in dump
    assert issued.key_id in dump
    listed = await bus.request(k.KEY_LIST, {"camera": "alpha"})
    assert [x.key_id for x in listed.keys] == [issued.key_id]
    assert "key" not in listed.keys[0].model_dump()


@pytest.mark.parametrize("credential", [
    "zk_000000000000_" + "0" * 48,   # well formed, unknown
    "nonsense", "zk_", "zk_../../etc_passwd", "' OR 1=1 --",
])
async def test_wrong_keys_are_401(auth, bus, credential):
    await bus.request(k.KEY_ISSUE, {"camera": "alpha"})
    with pytest.raises(Unauthorized) as err:
        await bus.request(k.KEY_CHECK, {"credential": credential})
    assert err.value.code == "invalid_camera_key"


async def test_a_changed_character_is_refused(auth, bus):
    key = (await bus.request(k.KEY_ISSUE, {"camera": "alpha"})).key
    flipped = key[:-1] + ("0" if key[-1] != "0" else "1")
    with pytest.raises(Unauthorized):
        await bus.request(k.KEY_CHECK, {"credential": flipped})


async def test_a_key_of_camera_a_never_writes_camera_b(auth, bus):
    key_a = (await bus.request(k.KEY_ISSUE, {"camera": "alpha"})).key
    await bus.request(k.KEY_ISSUE, {"camera": "beta"})
    with pytest.raises(Forbidden) as err:
        await bus.request(k.KEY_CHECK, {"credential": key_a, "camera": "beta"})
    assert err.value.code == "wrong_camera"
    assert (await bus.request(k.KEY_CHECK, {"credential": key_a, "camera": "alpha"})
            ).camera == "alpha"


async def test_rotation_keeps_the_old_key_for_the_grace_period_only(auth, bus):
    first = await bus.request(k.KEY_ISSUE, {"camera": "alpha"})
    second = await bus.request(k.KEY_ISSUE, {"camera": "alpha", "grace_s": 3600})
    assert second.previous_valid_until is not None
    for key in (first.key, second.key):
        assert (await bus.request(k.KEY_CHECK, {"credential": key})).camera == "alpha"
    third = await bus.request(k.KEY_ISSUE, {"camera": "alpha", "grace_s": 0})
    for key in (first.key, second.key):
        with pytest.raises(Unauthorized):
            await bus.request(k.KEY_CHECK, {"credential": key})
    old_token = (await bus.request(k.KEY_CHECK, {"credential": third.key})).write_token
    await bus.request(k.KEY_REVOKE, {"camera": "alpha"})
    with pytest.raises(Unauthorized):
        await bus.request(k.KEY_CHECK, {"credential": third.key})
    with pytest.raises(Unauthorized):
        await bus.request(k.KEY_CHECK, {"credential": old_token, "kind": "token"})


async def test_keys_survive_a_restart(tmp_path, nats_server, bus):
    settings = auth_settings(tmp_path, nats_server.url)
    async with service_context("auth", settings, serve_auth):
        key = (await bus.request(k.KEY_ISSUE, {"camera": "alpha"})).key
    async with service_context("auth", settings, serve_auth):
        assert (await bus.request(k.KEY_CHECK, {"credential": key})).camera == "alpha"
    assert (tmp_path / "auth-data" / "auth" / "camera-key-secret").stat().st_mode & 0o077 == 0


async def test_rate_limits_per_address_and_per_key(tmp_path, nats_server, bus):
    settings = auth_settings(tmp_path, nats_server.url, auth_camera_ip_failures_per_min=3,
                             auth_camera_key_per_min=5)
    async with service_context("auth", settings, serve_auth):
        key = (await bus.request(k.KEY_ISSUE, {"camera": "alpha"})).key
        bad = {"credential": "zk_000000000000_" + "0" * 48, "client_ip": "198.51.100.7"}
        for _ in range(3):
            with pytest.raises(Unauthorized):
                await bus.request(k.KEY_CHECK, bad)
        with pytest.raises(TooManyRequests) as err:  # even the right key, from there
            await bus.request(k.KEY_CHECK, {"credential": key, "client_ip": "198.51.100.7"})
        assert err.value.details["retry_after"] >= 1
        # another address is not locked out
        for _ in range(5):
            await bus.request(k.KEY_CHECK, {"credential": key, "client_ip": "192.0.2.5"})
        with pytest.raises(TooManyRequests):  # but the key itself is limited
            await bus.request(k.KEY_CHECK, {"credential": key, "client_ip": "192.0.2.6"})


async def test_zenith_camera_key_shows_the_key_once(network, bus, nats_server, monkeypatch,
                                                    capsys):
    await bus.request(c.CAMERA_ADD, camera_body("alpha"))
    code, out, _ = await run_cli(monkeypatch, capsys, nats_server.url, "camera", "key", "alpha")
    assert code == 0
    key = out.splitlines()[1]
    assert (await bus.request(k.KEY_CHECK, {"credential": key})).camera == "alpha"
    code, out, _ = await run_cli(monkeypatch, capsys, nats_server.url, "camera", "key", "alpha",
                                 "--grace-hours", "1")
    assert code == 0 and "previous key keeps working until" in out
    code, _, err = await run_cli(monkeypatch, capsys, nats_server.url, "camera", "key", "nope")
    assert code == 1 and "no camera" in err
    await asyncio.sleep(0)
