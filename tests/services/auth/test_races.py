"""A password change racing a login or a refresh must still end every old session.

The attacker knows the old password (or holds a stolen refresh token) and
keeps logging in (or refreshing); the owner changes the password. Each test
makes the change land inside the login or refresh, at the point where it
used to go unnoticed, by running the real ``users.passwd`` request from
within the real service's own step (the services and the store are real;
only the moment is chosen).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from zenith.bus.client import BusClient
from zenith.contracts.auth import REFRESH, USER_PASSWD, TokenPair
from zenith.errors import Unauthorized
from zenith.runner import service_context
from zenith.tokens import TokenVerifier
from zenith_auth.main import serve
from zenith_auth.passwords import Passwords
from zenith_auth.refresh import RefreshTokens

from .conftest import PASSWORD, add_user, login

NEW_PASSWORD = "a brand new password"


async def refresh(bus: BusClient, token: str) -> TokenPair:
    return await bus.request(REFRESH, {"refresh_token": token, "client_ip": "192.0.2.10"})


def change_password_during(bus: BusClient, fired: list[bool]) -> Callable[[], Awaitable[None]]:
    async def change() -> None:
        fired.append(True)
        await bus.request(USER_PASSWD, {"username": "alice", "password": NEW_PASSWORD})

    return change


async def test_a_login_that_was_checking_the_old_password_gets_no_session(
        auth, bus: BusClient, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch):
    await add_user(bus, "alice", role="admin")
    fired: list[bool] = []
    change = change_password_during(bus, fired)
    original = Passwords.averify

    async def verify_then_change(self: Passwords, stored: str | None, password: str) -> Any:
        verdict = await original(self, stored, password)
        if password == PASSWORD and not fired:
            await change()  # the owner changes the password while this login runs
        return verdict

    monkeypatch.setattr(Passwords, "averify", verify_then_change)
    with pytest.raises(Unauthorized) as info:
        await login(bus, "alice", PASSWORD)
    assert fired
    assert info.value.code == "invalid_credentials"
    # the new password works; the old one does not
    assert verifier.verify((await login(bus, "alice", NEW_PASSWORD)).access_token)
    with pytest.raises(Unauthorized):
        await login(bus, "alice", PASSWORD)


async def test_a_refresh_in_flight_during_a_password_change_gets_no_session(
        auth, bus: BusClient, verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch):
    await add_user(bus, "alice", role="admin")
    stolen = await login(bus, "alice")
    fired: list[bool] = []
    change = change_password_during(bus, fired)
    original = RefreshTokens.use

    async def use_then_change(self: RefreshTokens, token: str) -> Any:
        session = await original(self, token)
        if token == stolen.refresh_token and not fired:
            await change()  # the token is claimed, its successor not stored yet
        return session

    monkeypatch.setattr(RefreshTokens, "use", use_then_change)
    try:
        pair = await refresh(bus, stolen.refresh_token)
    except Unauthorized as exc:
        assert exc.code == "invalid_refresh_token"
    else:  # whatever it handed out must be dead already
        with pytest.raises(Unauthorized):
            await refresh(bus, pair.refresh_token)
        with pytest.raises(Unauthorized):
            verifier.verify(pair.access_token)
        raise AssertionError("a refresh during the password change handed out tokens")
    assert fired


async def test_a_logout_during_a_refresh_ends_the_session(
        auth, bus: BusClient, monkeypatch: pytest.MonkeyPatch):
    from zenith.contracts.auth import LOGOUT

    await add_user(bus, "alice")
    pair = await login(bus, "alice")
    original = RefreshTokens.use
    fired: list[bool] = []

    async def use_then_logout(self: RefreshTokens, token: str) -> Any:
        session = await original(self, token)
        if not fired:
            fired.append(True)
            await bus.request(LOGOUT, {"refresh_token": token})
        return session

    monkeypatch.setattr(RefreshTokens, "use", use_then_logout)
    with pytest.raises(Unauthorized):
        await refresh(bus, pair.refresh_token)
    assert fired


async def test_two_replicas_refreshing_the_same_token_at_once_leave_no_session(
        auth, settings, bus: BusClient):
    """Concurrent refreshes with one token: at most one answer carries tokens,
    and the session is revoked for both (one of them is a copy)."""
    await add_user(bus, "alice")
    pair = await login(bus, "alice")
    async with service_context("auth", settings, serve):  # a second replica
        results = await asyncio.gather(*(refresh(bus, pair.refresh_token) for _ in range(4)),
                                       return_exceptions=True)
    issued = [r for r in results if isinstance(r, TokenPair)]
    assert len(issued) <= 1
    assert all(isinstance(r, TokenPair | Unauthorized) for r in results), results
    for got in issued:
        with pytest.raises(Unauthorized):
            await refresh(bus, got.refresh_token)
