"""The service as a whole: keys, malformed input, first start."""

from __future__ import annotations

import contextlib
import json
import re

import pytest
from nats.js.errors import KeyDeletedError, KeyNotFoundError

from zenith.bus.jetstream import bucket
from zenith.contracts.auth import AUTH_BUCKET, JWKS, SIGNING_KEY
from zenith.runner import service_context
from zenith_auth.main import serve
from zenith_auth.signing import SigningKey

from .conftest import add_user, login, make_settings

FIRST_START = re.compile(r"^First start: created user 'admin' with password (\S+) — change it "
                         r"with: zenith user passwd admin$")


async def test_jwks_publishes_the_ed25519_public_key(auth, bus, nc):
    jwks = await bus.request(JWKS, {})
    assert jwks.issuer == "zenith"
    [key] = jwks.keys
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA"
    assert key["use"] == "sig" and key["kid"] and key["x"]
    assert "d" not in key  # never the private part
    await add_user(bus, "alice")
    token = (await login(bus, "alice")).access_token
    import jwt

    assert jwt.get_unverified_header(token)["kid"] == key["kid"]
    # the private key lives in a file only auth reads, never on the bus
    path = auth.settings.resolved_signing_key_file
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o077 == 0
    assert SigningKey.load_file(path).kid == key["kid"]
    kv = await bucket(nc, AUTH_BUCKET)
    with pytest.raises(KeyNotFoundError):
        await kv.get(SIGNING_KEY)


async def test_a_key_an_older_version_kept_in_kv_moves_to_the_file(settings, bus, nc):
    """Tokens it signed stay valid; no copy is left in the bucket."""
    old = SigningKey.generate()
    kv = await bucket(nc, AUTH_BUCKET)
    await kv.put(SIGNING_KEY, old.to_record())
    async with service_context("auth", settings, serve):
        assert [k["kid"] for k in (await bus.request(JWKS, {})).keys] == [old.kid]
    assert SigningKey.load_file(settings.resolved_signing_key_file).kid == old.kid
    with pytest.raises((KeyNotFoundError, KeyDeletedError)):
        await kv.get(SIGNING_KEY)
    assert all(not entry.value for entry in await kv.history(SIGNING_KEY))


async def test_the_signing_key_survives_a_restart(settings, bus):
    async with service_context("auth", settings, serve):
        before = (await bus.request(JWKS, {})).keys
    async with service_context("auth", settings, serve):
        assert (await bus.request(JWKS, {})).keys == before


ENDPOINT_SUBJECTS = ["zenith.auth.login", "zenith.auth.refresh", "zenith.auth.logout",
                     "zenith.auth.users.add", "zenith.auth.users.passwd",
                     "zenith.auth.users.remove"]


@pytest.mark.parametrize("payload", [
    b"not json", b"[1, 2]", b"\xff\xfe", b'{"username": 5}', b'{"unexpected": true}',
    b'{"username": "", "password": ""}', b'"just a string"', b"null",
])
async def test_malformed_payloads_get_json_400_and_the_service_keeps_serving(auth, bus, nc,
                                                                           payload):
    await add_user(bus, "alice")
    for subject in ENDPOINT_SUBJECTS:
        msg = await nc.request(subject, payload, timeout=5)
        body = json.loads(msg.data)
        assert msg.headers["Nats-Service-Error-Code"] == "400", (subject, body)
        assert body["error"]["code"] in ("invalid_json", "invalid_request")
        assert body["error"]["message"]
    assert (await login(bus, "alice")).user.username == "alice"


async def test_first_start_creates_admin_and_prints_the_password_once(tmp_path, nats_server,
                                                                      bus, capsys):
    settings = make_settings(tmp_path, nats_server.url, auth_create_admin=True)
    async with service_context("auth", settings, serve):
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 1, lines
        match = FIRST_START.match(lines[0])
        assert match, lines[0]
        pair = await login(bus, "admin", match.group(1))
        assert pair.user.role == "admin"
    async with service_context("auth", settings, serve):
        assert capsys.readouterr().out == ""
        assert (await login(bus, "admin", match.group(1))).user.username == "admin"


async def test_two_replicas_starting_at_once_create_one_admin_and_share_a_key(
        tmp_path, nats_server, bus, capsys):
    import asyncio

    settings = make_settings(tmp_path, nats_server.url, auth_create_admin=True)
    async with contextlib.AsyncExitStack() as one, contextlib.AsyncExitStack() as two:
        await asyncio.gather(one.enter_async_context(service_context("auth", settings, serve)),
                             two.enter_async_context(service_context("auth", settings, serve)))
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 1 and FIRST_START.match(lines[0]), lines
        password = FIRST_START.match(lines[0]).group(1)
        kids = set()
        for _ in range(10):  # micro spreads the requests over both replicas
            kids |= {k["kid"] for k in (await bus.request(JWKS, {})).keys}
            assert (await login(bus, "admin", password)).user.username == "admin"
        assert len(kids) == 1
