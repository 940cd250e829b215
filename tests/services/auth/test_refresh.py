"""Refresh tokens: rotation, reuse detection, logout."""

from __future__ import annotations

import pytest
from nats.js.errors import KeyDeletedError, KeyNotFoundError

from zenith.bus.client import BusClient
from zenith.contracts.auth import LOGOUT, REFRESH, USER_REMOVE, TokenPair
from zenith.errors import Unauthorized
from zenith.tokens import TokenVerifier

from .conftest import add_user, login, refused_soon


async def refresh(bus: BusClient, token: str) -> TokenPair:
    return await bus.request(REFRESH, {"refresh_token": token, "client_ip": "192.0.2.10"})


async def test_refresh_rotates_and_the_old_token_stops_working(auth, bus,
                                                               verifier: TokenVerifier):
    await add_user(bus, "alice")
    first = await login(bus, "alice")
    second = await refresh(bus, first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert verifier.verify(second.access_token).username == "alice"
    third = await refresh(bus, second.refresh_token)
    assert third.user.username == "alice"
    with pytest.raises(Unauthorized) as info:
        await refresh(bus, first.refresh_token)
    assert info.value.code == "refresh_token_reused"


async def test_reusing_a_refresh_token_revokes_the_whole_session(auth, bus):
    await add_user(bus, "alice")
    stolen = await login(bus, "alice")
    owner = await refresh(bus, stolen.refresh_token)  # the owner rotates it
    with pytest.raises(Unauthorized):
        await refresh(bus, stolen.refresh_token)  # the thief replays the old one
    with pytest.raises(Unauthorized):
        await refresh(bus, owner.refresh_token)  # the session is gone for both
    # other sessions of the same user are untouched
    other = await login(bus, "alice")
    assert (await refresh(bus, other.refresh_token)).user.username == "alice"


async def test_unknown_and_garbage_refresh_tokens_are_refused(auth, bus):
    for token in ("zrt_nothing", "x" * 4096, "🙂"):
        with pytest.raises(Unauthorized) as info:
            await refresh(bus, token)
        assert info.value.code == "invalid_refresh_token"


async def test_logout_revokes_the_session(auth, bus):
    await add_user(bus, "alice")
    pair = await login(bus, "alice")
    rotated = await refresh(bus, pair.refresh_token)
    assert (await bus.request(LOGOUT, {"refresh_token": rotated.refresh_token})).ok
    with pytest.raises(Unauthorized):
        await refresh(bus, rotated.refresh_token)
    # logging out twice, or with an unknown token, is not an error
    assert (await bus.request(LOGOUT, {"refresh_token": rotated.refresh_token})).ok
    assert (await bus.request(LOGOUT, {"refresh_token": "zrt_unknown"})).ok


async def test_a_removed_users_refresh_token_is_refused(auth, bus):
    await add_user(bus, "alice", role="admin")
    await add_user(bus, "bob", role="admin")
    pair = await login(bus, "bob")
    await bus.request(USER_REMOVE, {"username": "bob"})
    with pytest.raises(Unauthorized):
        await refresh(bus, pair.refresh_token)


async def test_expired_refresh_token_is_refused(tmp_path, nats_server, bus):
    from zenith.runner import service_context
    from zenith_auth.main import serve
    from zenith_auth.refresh import COLLECTION, token_hash

    from .conftest import make_settings

    settings = make_settings(tmp_path, nats_server.url)
    async with service_context("auth", settings, serve):
        await add_user(bus, "alice")
        pair = await login(bus, "alice")
    # age the token in the store, as if 30 days had passed
    from zenith.storage.factory import open_metadata

    store = await open_metadata(settings.resolved_metadata_url)
    await store.update(COLLECTION, {"_id": token_hash(pair.refresh_token)},
                       set={"expires_at": "2000-01-01T00:00:00.000000Z"})
    await store.close()
    async with service_context("auth", settings, serve):
        with pytest.raises(Unauthorized) as info:
            await refresh(bus, pair.refresh_token)
        assert info.value.code == "invalid_refresh_token"


async def test_logout_ends_the_sessions_access_tokens_at_once(auth, bus,
                                                             verifier: TokenVerifier):
    await add_user(bus, "alice")
    pair = await login(bus, "alice")
    rotated = await refresh(bus, pair.refresh_token)
    other = await login(bus, "alice")  # another session of the same user
    assert verifier.verify(rotated.access_token).username == "alice"
    await bus.request(LOGOUT, {"refresh_token": rotated.refresh_token})
    for token in (pair.access_token, rotated.access_token):  # every token of the session
        error = await refused_soon(verifier, token)
        assert isinstance(error, Unauthorized) and error.code == "token_revoked"
    assert verifier.verify(other.access_token).username == "alice"


async def test_a_reused_refresh_token_ends_the_sessions_access_tokens(auth, bus,
                                                                      verifier: TokenVerifier):
    await add_user(bus, "alice")
    stolen = await login(bus, "alice")
    owner = await refresh(bus, stolen.refresh_token)
    with pytest.raises(Unauthorized):
        await refresh(bus, stolen.refresh_token)
    for token in (stolen.access_token, owner.access_token):
        error = await refused_soon(verifier, token)
        assert isinstance(error, Unauthorized) and error.code == "token_revoked"


async def test_ended_sessions_are_purged_once_their_tokens_expire(auth, bus, nc):
    from zenith.bus.jetstream import bucket
    from zenith.contracts.auth import AUTH_BUCKET, session_revoked_key
    from zenith_auth.revocation import Revocations

    kv = await bucket(nc, AUTH_BUCKET)
    revocations = Revocations(None, access_ttl_s=-120)  # type: ignore[arg-type]
    await revocations.end_session(kv, "old-session")
    live = Revocations(None, access_ttl_s=600)  # type: ignore[arg-type]
    await live.end_session(kv, "live-session")
    assert await live.purge_published(kv) == 1
    with pytest.raises((KeyNotFoundError, KeyDeletedError)):
        await kv.get(session_revoked_key("old-session"))
    assert (await kv.get(session_revoked_key("live-session"))).value
