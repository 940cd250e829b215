"""Login: tokens, one generic failure, rate limits per user and per address."""

from __future__ import annotations

import json

import jwt
import pytest

from zenith.bus.client import BusClient
from zenith.errors import TooManyRequests, Unauthorized
from zenith.tokens import TokenVerifier

from .conftest import PASSWORD, add_user, login


async def test_login_issues_access_and_refresh_tokens(auth, bus: BusClient,
                                                      verifier: TokenVerifier):
    await add_user(bus, "alice", role="operator")
    pair = await login(bus, "alice")
    assert pair.token_type == "bearer"
    assert pair.expires_in == 1800
    assert pair.refresh_token and pair.refresh_token != pair.access_token
    assert pair.user.username == "alice" and pair.user.role == "operator"

    principal = verifier.verify(pair.access_token)
    assert principal.username == "alice"
    assert principal.role == "operator"
    assert principal.can("gpio", "update") and principal.can("camera", "delete")
    assert not principal.can("users", "read")

    header = jwt.get_unverified_header(pair.access_token)
    claims = jwt.decode(pair.access_token, options={"verify_signature": False})
    assert header["alg"] == "EdDSA" and header["kid"]
    assert claims["iss"] == "zenith" and claims["typ"] == "access"
    assert claims["exp"] - claims["iat"] == pytest.approx(1800, abs=1)
    assert set(claims) >= {"sub", "role", "perms", "iat", "exp", "jti", "iss", "typ"}


async def test_wrong_password_and_unknown_user_get_the_same_answer(auth, bus, nc):
    await add_user(bus, "alice")
    answers = []
    for username, password in (("alice", "wrong password"), ("nobody", "wrong password"),
                               ("not a valid name!", "x")):
        msg = await nc.request("zenith.auth.login", json.dumps(
            {"username": username, "password": password}).encode(), timeout=5)
        answers.append((msg.data, msg.headers["Nats-Service-Error-Code"]))
    assert answers[0] == answers[1] == answers[2]
    body = json.loads(answers[0][0])
    assert answers[0][1] == "401"
    assert body == {"error": {"code": "invalid_credentials",
                              "message": "invalid username or password"}}


async def test_too_many_failures_for_one_user_gives_429(auth, bus):
    await add_user(bus, "alice")
    for _ in range(5):
        with pytest.raises(Unauthorized):
            await login(bus, "alice", "wrong password", client_ip=None)
    with pytest.raises(TooManyRequests) as info:
        await login(bus, "alice", "wrong password", client_ip=None)
    assert 1 <= info.value.details["retry_after"] <= 300
    # locked: even the right password is refused now, from any address
    with pytest.raises(TooManyRequests):
        await login(bus, "alice", PASSWORD, client_ip="198.51.100.7")
    # other users are not affected
    await add_user(bus, "bob")
    assert (await login(bus, "bob")).user.username == "bob"


async def test_unknown_users_are_limited_like_known_ones(auth, bus):
    for _ in range(5):
        with pytest.raises(Unauthorized):
            await login(bus, "ghost", "guess", client_ip=None)
    with pytest.raises(TooManyRequests):
        await login(bus, "ghost", "guess", client_ip=None)


async def test_too_many_failures_from_one_address_gives_429(auth, bus):
    await add_user(bus, "alice")
    for i in range(20):
        with pytest.raises(Unauthorized):
            await login(bus, f"user{i}", "guess", client_ip="203.0.113.5")
    with pytest.raises(TooManyRequests) as info:
        await login(bus, "alice", PASSWORD, client_ip="203.0.113.5")
    assert info.value.details["retry_after"] >= 1
    # another address still logs in
    assert (await login(bus, "alice", client_ip="203.0.113.6")).user.username == "alice"


async def test_ipv6_addresses_are_counted_per_64(auth, bus):
    for i in range(20):
        with pytest.raises(Unauthorized):
            await login(bus, f"user{i}", "guess", client_ip=f"2001:db8:1:2::{i + 1:x}")
    with pytest.raises(TooManyRequests):
        await login(bus, "someone", "guess", client_ip="2001:db8:1:2:ffff::1")


async def test_success_clears_the_users_failures(auth, bus):
    await add_user(bus, "alice")
    for _ in range(4):
        with pytest.raises(Unauthorized):
            await login(bus, "alice", "wrong password")
    await login(bus, "alice")
    for _ in range(4):
        with pytest.raises(Unauthorized):
            await login(bus, "alice", "wrong password")
    assert (await login(bus, "alice")).user.username == "alice"


async def test_failures_survive_a_restart(settings, bus):
    from zenith.runner import service_context
    from zenith_auth.main import serve

    async with service_context("auth", settings, serve):
        await add_user(bus, "alice")
        for _ in range(5):
            with pytest.raises(Unauthorized):
                await login(bus, "alice", "wrong password")
    async with service_context("auth", settings, serve):
        with pytest.raises(TooManyRequests):
            await login(bus, "alice", PASSWORD)


async def test_addresses_that_are_not_ips_share_one_counter(auth, bus):
    await add_user(bus, "alice")
    for i in range(20):
        with pytest.raises(Unauthorized):
            await login(bus, f"user{i}", "guess", client_ip=f"made-up-{i}")
    with pytest.raises(TooManyRequests):
        await login(bus, "alice", PASSWORD, client_ip="unknown")
    assert (await login(bus, "alice", client_ip="192.0.2.99")).user.username == "alice"


async def test_name_variants_neither_log_in_nor_escape_the_limit(auth, bus):
    """Usernames match exactly: a variant is another (unknown) user, so spreading
    guesses over variants never reaches the real account."""
    await add_user(bus, "alice")
    for variant in ("Alice", "ALICE", " alice", "alice ", "alice\t", "ａｌｉｃｅ", "alice\u200b"):
        with pytest.raises(Unauthorized):
            await login(bus, variant, PASSWORD, client_ip=None)
    for _ in range(5):
        with pytest.raises(Unauthorized):
            await login(bus, "alice", "wrong password", client_ip=None)
    with pytest.raises(TooManyRequests):
        await login(bus, "alice", PASSWORD, client_ip=None)


async def test_an_ipv4_address_written_as_ipv6_shares_its_counter(auth, bus):
    for i in range(20):
        address = "203.0.113.77" if i % 2 else "::ffff:203.0.113.77"
        with pytest.raises(Unauthorized):
            await login(bus, f"user{i}", "guess", client_ip=address)
    for address in ("203.0.113.77", "::ffff:cb00:714d", " 203.0.113.77 "):
        with pytest.raises(TooManyRequests):
            await login(bus, "someone", "guess", client_ip=address)


async def test_a_stranger_cannot_lock_the_owner_out(auth, bus):
    """Failures from addresses that never logged in as alice lock only those
    addresses out; alice's own machines (IPv6: their /64) still log in."""
    await add_user(bus, "alice")
    await login(bus, "alice", client_ip="192.0.2.10")
    await login(bus, "alice", client_ip="2001:db8:5:6::1")
    for _ in range(5):
        with pytest.raises(Unauthorized):
            await login(bus, "alice", "wrong password", client_ip="198.51.100.9")
    for stranger in ("198.51.100.9", "198.51.100.10", "2001:db8:9:9::1"):
        with pytest.raises(TooManyRequests) as info:
            await login(bus, "alice", PASSWORD, client_ip=stranger)
        assert info.value.details["retry_after"] >= 1
    # one guess a minute from a stranger keeps strangers out, never the owner
    assert (await login(bus, "alice", client_ip="192.0.2.10")).user.username == "alice"
    assert (await login(bus, "alice", client_ip="2001:db8:5:6::99")).user.username == "alice"
    # the owner's own typos count against the owner's address only
    for _ in range(6):
        with pytest.raises(Unauthorized):
            await login(bus, "alice", "typo", client_ip="192.0.2.10")
    assert (await login(bus, "alice", client_ip="192.0.2.10")).user.username == "alice"
