"""TokenVerifier against the real auth service; has_permission's wildcards."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from zenith.bus.client import BusClient
from zenith.bus.jetstream import bucket
from zenith.config import load_settings
from zenith.contracts.auth import AUTH_BUCKET, LOGIN, USER_ADD, revoked_key
from zenith.errors import Unauthorized
from zenith.runner import service_context
from zenith.tokens import Principal, TokenVerifier, has_permission
from zenith_auth.main import serve
from zenith_auth.settings import AuthSettings
from zenith_auth.signing import SigningKey


@pytest.mark.parametrize("perms, module, action, allowed", [
    ({"*": ["*"]}, "gpio", "delete", True),
    ({"*": ["read"]}, "camera", "read", True),
    ({"*": ["read"]}, "camera", "update", False),
    ({"gpio": ["*"]}, "gpio", "create", True),
    ({"gpio": ["*"]}, "focuser", "read", False),
    ({"*": ["*"], "users": []}, "users", "read", False),
    ({"*": ["*"], "users": []}, "sensors", "delete", True),
    ({"*": ["read"], "gpio": ["update"]}, "gpio", "read", False),  # own entry wins
    ({}, "gpio", "read", False),
    ({"gpio": "read"}, "gpio", "read", False),  # malformed: not a list
])
def test_has_permission(perms, module, action, allowed):
    assert has_permission(perms, module, action) is allowed


def test_revoked_keys_are_valid_kv_keys_and_round_trip():
    from zenith.contracts.auth import username_from_revoked_key

    for name in ("alice", "bob.smith@example.org", "a_b-c", "x.y.z"):
        key = revoked_key(name)
        assert key.count(".") == 1 and "@" not in key
        assert username_from_revoked_key(key) == name


@pytest.fixture
async def auth(tmp_path, nats_server) -> AsyncIterator[Any]:
    settings = load_settings(AuthSettings, env={}, nats_url=nats_server.url,
                             data_dir=tmp_path, metadata_url="sqlite:///" + str(tmp_path / "m.db"),
                             auth_create_admin=False, auth_argon2_time_cost=1,
                             auth_argon2_memory_kib=8192)
    async with service_context("auth", settings, serve) as ctx:
        yield ctx


@pytest.fixture
async def verifier(auth, nc, bus: BusClient) -> AsyncIterator[TokenVerifier]:
    tv = TokenVerifier(nc, bus)
    await tv.start()
    yield tv
    await tv.stop()


@pytest.fixture
async def key(auth, nc) -> SigningKey:
    """The service's own signing key, read where it keeps it."""
    found = SigningKey.load_file(auth.settings.resolved_signing_key_file)
    assert found is not None
    return found


def claims(**changes: Any) -> dict[str, Any]:
    now = time.time()
    base = {"sub": "alice", "role": "viewer", "perms": {"camera": ["read"]}, "iat": now,
            "exp": now + 600, "jti": "t1", "iss": "zenith", "typ": "access"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_a_real_token_verifies(verifier, bus):
    await bus.request(USER_ADD, {"username": "alice", "password": "long enough", "role": "viewer"})
    pair = await bus.request(LOGIN, {"username": "alice", "password": "long enough"})
    principal = verifier.verify(pair.access_token)
    assert isinstance(principal, Principal)
    assert principal.username == "alice" and principal.role == "viewer"
    assert principal.can("allsky", "read") and not principal.can("gpio", "update")
    assert principal.token_id and principal.issued_at.tzinfo is not None


async def test_own_key_signs_a_token_the_verifier_accepts(verifier, key):
    assert verifier.verify(key.sign(claims())).username == "alice"


@pytest.mark.parametrize("change, code", [
    ({"exp": time.time() - 60, "iat": time.time() - 3600}, "token_expired"),
    ({"typ": "refresh"}, "invalid_token"),
    ({"iss": "someone-else"}, "invalid_token"),
    ({"sub": None}, "invalid_token"),
    ({"perms": ["*"]}, "invalid_token"),
    ({"sub": "not a user name"}, "invalid_token"),
    ({"jti": None}, "invalid_token"),
    ({"exp": None}, "invalid_token"),
    ({"iat": None}, "invalid_token"),
    ({"iat": time.time() + 3600, "exp": time.time() + 7200}, "invalid_token"),  # from the future
    ({"nbf": time.time() + 3600}, "invalid_token"),
    ({"iat": "yesterday"}, "invalid_token"),
])
async def test_bad_claims_are_refused(verifier, key, change, code):
    with pytest.raises(Unauthorized) as info:
        verifier.verify(key.sign(claims(**change)))
    assert info.value.code == code


async def test_tampered_token_is_refused(verifier, key):
    token = key.sign(claims())
    header, _, signature = token.split(".")
    forged = b64(claims(role="admin", perms={"*": ["*"]}))
    with pytest.raises(Unauthorized):
        verifier.verify(f"{header}.{forged}.{signature}")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    with pytest.raises(Unauthorized):
        verifier.verify(f"{header}.{token.split('.')[1]}.{flipped}")


async def test_alg_none_is_refused(verifier, key):
    token = f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': key.kid})}.{b64(claims())}."
    with pytest.raises(Unauthorized) as info:
        verifier.verify(token)
    assert "EdDSA" in info.value.message


async def test_hmac_with_the_public_key_as_secret_is_refused(verifier, key):
    token = jwt.encode(claims(), key.x, algorithm="HS256", headers={"kid": key.kid})
    with pytest.raises(Unauthorized):
        verifier.verify(token)


async def test_another_key_is_refused_with_or_without_our_kid(verifier, key):
    other = SigningKey(Ed25519PrivateKey.generate())
    with pytest.raises(Unauthorized):
        verifier.verify(other.sign(claims()))  # unknown kid
    impostor = jwt.encode(claims(), other.private_key, algorithm="EdDSA",
                          headers={"kid": key.kid})
    with pytest.raises(Unauthorized) as info:
        verifier.verify(impostor)
    assert "signature" in info.value.message


def _attacker_jwk(private: Ed25519PrivateKey) -> dict[str, Any]:
    from jwt.algorithms import OKPAlgorithm

    return json.loads(OKPAlgorithm.to_jwk(private.public_key()))


@pytest.mark.parametrize("header", [
    {"jku": "https://evil.example/jwks.json"},
    {"x5u": "https://evil.example/cert.pem"},
    {"jwk": "embedded"},
    {"kid": "../../../../dev/null"},
    {"kid": "' OR '1'='1"},
    {"kid": 7},
    {"kid": ""},
])
async def test_keys_named_or_embedded_in_the_header_are_never_used(verifier, key, header):
    """Only the auth service's JWKS decides: jku/x5u/jwk headers and odd kids are ignored."""
    attacker = Ed25519PrivateKey.generate()
    fields: dict[str, Any] = {"kid": key.kid, **header}
    if fields.get("jwk") == "embedded":
        fields["jwk"] = _attacker_jwk(attacker)
    if isinstance(fields["kid"], str):
        token = jwt.encode(claims(), attacker, algorithm="EdDSA", headers=fields)
    else:  # PyJWT will not write it; an attacker would
        token = f"{b64({'alg': 'EdDSA', 'typ': 'JWT', **fields})}.{b64(claims())}.c2ln"
    with pytest.raises(Unauthorized):
        verifier.verify(token)
    with pytest.raises(Unauthorized):
        await verifier.verify_async(token)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "x" * 9000, "..", "🙂.🙂.🙂"])
async def test_malformed_tokens_are_refused(verifier, token):
    with pytest.raises(Unauthorized):
        verifier.verify(token)


async def test_revocation_refuses_tokens_issued_before_it(verifier, key, nc):
    old = key.sign(claims(sub="bob.smith@example.org", iat=time.time() - 10))
    assert verifier.verify(old).username == "bob.smith@example.org"
    kv = await bucket(nc, AUTH_BUCKET)
    await kv.put(revoked_key("bob.smith@example.org"), f"{time.time() - 5:.3f}".encode())
    import asyncio

    for _ in range(100):
        if verifier.not_before("bob.smith@example.org") is not None:
            break
        await asyncio.sleep(0.05)
    with pytest.raises(Unauthorized) as info:
        verifier.verify(old)
    assert info.value.code == "token_revoked"
    assert verifier.verify(key.sign(claims(sub="bob.smith@example.org"))).username \
        == "bob.smith@example.org"
    # other users are untouched
    assert verifier.verify(key.sign(claims(iat=time.time() - 10))).username == "alice"


async def test_a_verifier_started_later_sees_earlier_revocations(auth, key, nc, bus):
    kv = await bucket(nc, AUTH_BUCKET)
    await kv.put(revoked_key("alice"), f"{time.time():.3f}".encode())
    tv = TokenVerifier(nc, bus)
    await tv.start()
    try:
        with pytest.raises(Unauthorized):
            tv.verify(key.sign(claims(iat=time.time() - 60)))
    finally:
        await tv.stop()


async def test_verifier_started_before_auth_answers_503_then_verifies(tmp_path, nats_server,
                                                                      nc, bus):
    import asyncio

    from zenith.errors import Unavailable

    tv = TokenVerifier(nc, bus, wait_s=0.2)
    await tv.start()
    try:
        early = SigningKey(Ed25519PrivateKey.generate()).sign(claims())
        with pytest.raises(Unavailable):
            tv.verify(early)
        settings = load_settings(AuthSettings, env={}, nats_url=nats_server.url,
                                 data_dir=tmp_path,
                                 metadata_url="sqlite:///" + str(tmp_path / "m.db"),
                                 auth_create_admin=False, auth_argon2_time_cost=1,
                                 auth_argon2_memory_kib=8192)
        async with service_context("auth", settings, serve):
            for _ in range(200):
                if tv.ready:
                    break
                await asyncio.sleep(0.05)
            await bus.request(USER_ADD, {"username": "alice", "password": "long enough"})
            pair = await bus.request(LOGIN, {"username": "alice", "password": "long enough"})
            assert tv.verify(pair.access_token).username == "alice"
    finally:
        await tv.stop()


async def test_a_new_signing_key_is_fetched_when_a_token_names_it(tmp_path, nats_server, nc,
                                                                 bus):
    settings = load_settings(AuthSettings, env={}, nats_url=nats_server.url, data_dir=tmp_path,
                             metadata_url="sqlite:///" + str(tmp_path / "m.db"),
                             auth_create_admin=False, auth_argon2_time_cost=1,
                             auth_argon2_memory_kib=8192)
    async with service_context("auth", settings, serve):
        await bus.request(USER_ADD, {"username": "alice", "password": "long enough"})
        tv = TokenVerifier(nc, bus, refetch_interval_s=0)
        await tv.start()
    try:
        settings.resolved_signing_key_file.unlink()  # lost: the next start makes a new one
        async with service_context("auth", settings, serve):
            pair = await bus.request(LOGIN, {"username": "alice", "password": "long enough"})
            principal = await tv.verify_async(pair.access_token)
            assert principal.username == "alice"
            assert tv.verify(pair.access_token).username == "alice"
    finally:
        await tv.stop()
