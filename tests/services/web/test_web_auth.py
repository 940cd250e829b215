"""The auth matrix: who may call what, over real sockets, tokens and cookies.

"Local" and "remote" are real: the server listens on loopback and on this
machine's non-loopback address, and the remote client connects from the
latter, so the server sees a non-loopback peer.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.services.web.webstack import WebUnderTest, add_user, bearer, login, start_web
from zenith.bus.client import BusClient
from zenith.contracts import auth
from zenith.ids import new_id

pytestmark = [pytest.mark.asyncio(loop_scope="package"), pytest.mark.usefixtures("gpio_service")]

GPIO_READ = "/gpio/status"


async def status_of(client: Any, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    async with client.request(method, path, **kwargs) as resp:
        body = await resp.json() if resp.content_type == "application/json" else None
        return resp.status, body


def signing_key(auth_settings: Any) -> Any:
    """The auth service's private key, read from its file (as only auth can)."""
    from zenith_auth.signing import SigningKey

    return SigningKey.load_file(auth_settings.resolved_signing_key_file)


def claims_for(username: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"sub": username, "role": "admin", "perms": {"*": ["*"]}, "iat": now,
              "exp": now + 600, "jti": new_id(), "iss": auth.ISSUER, "typ": auth.ACCESS_TYPE}
    claims.update(changes)
    return claims


# -- who is local ---------------------------------------------------------------------


async def test_local_request_without_token_is_allowed(web: WebUnderTest) -> None:
    status, body = await status_of(web.local(), "GET", GPIO_READ)
    assert status == 200
    assert set(body) == {"digital", "pwm"}


async def test_remote_request_without_token_is_401(web: WebUnderTest) -> None:
    status, body = await status_of(web.remote(), "GET", GPIO_READ)
    assert status == 401
    assert body["error"]["code"] == "unauthorized"


async def test_remote_peer_claiming_to_be_local_is_still_remote(web: WebUnderTest) -> None:
    for forwarded in ("127.0.0.1", "::1", "127.0.0.1, 127.0.0.1"):
        status, _ = await status_of(web.remote(), "GET", GPIO_READ,
                                    headers={"X-Forwarded-For": forwarded,
                                             "X-Real-IP": "127.0.0.1",
                                             "Forwarded": "for=127.0.0.1"})
        assert status == 401


async def test_remote_state_change_without_token_changes_nothing(web: WebUnderTest) -> None:
    status, _ = await status_of(web.remote(), "POST", "/gpio/digital",
                                json={"pin": 20, "state": "on"})
    assert status == 401
    _, pins = await status_of(web.local(), "GET", "/gpio/all")
    assert pins["D20"]["mode"] == "unused"


async def test_trusted_proxy_forwarding(nats_url: str, remote_host: str,
                                        auth_service: None) -> None:
    async with start_web(nats_url, remote_host,
                         web_trusted_proxies=["127.0.0.1", remote_host]) as proxied:
        # a proxy on this machine says its client is this machine too: believed
        status, _ = await status_of(proxied.local(), "GET", GPIO_READ,
                                    headers={"X-Forwarded-For": "127.0.0.1"})
        assert status == 200
        # the client prepended 127.0.0.1; the proxy appended the real address
        for client in (proxied.local(), proxied.remote()):
            status, _ = await status_of(client, "GET", GPIO_READ,
                                        headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.9"})
            assert status == 401
        # a proxy on another machine forwarding its own 127.0.0.1: that is the
        # proxy's machine (a tunnel running there, say), not this one
        status, _ = await status_of(proxied.remote(), "GET", GPIO_READ,
                                    headers={"X-Forwarded-For": "127.0.0.1"})
        assert status == 401
        # no header: the proxy itself is the client, and it is remote
        status, _ = await status_of(proxied.remote(), "GET", GPIO_READ)
        assert status == 401
        # a local proxy forwarding without saying for whom (X-Real-IP only): unknown
        status, body = await status_of(proxied.local(), "GET", GPIO_READ,
                                       headers={"X-Real-IP": "203.0.113.9"})
        assert status == 401, body


async def test_a_local_proxy_nobody_listed_makes_nothing_local(web: WebUnderTest) -> None:
    """A reverse proxy or tunnel on this machine that is not a trusted proxy:
    what it forwards comes from elsewhere, so it is not a local request."""
    for headers in ({"X-Forwarded-For": "203.0.113.9"}, {"X-Real-IP": "203.0.113.9"},
                    {"Forwarded": "for=203.0.113.9"}, {"X-Forwarded-For": "127.0.0.1"},
                    {"CF-Connecting-IP": "203.0.113.9"}):
        status, body = await status_of(web.local(), "GET", GPIO_READ, headers=headers)
        assert status == 401, headers
        assert body["error"]["code"] == "unauthorized"
        status, _ = await status_of(web.local(), "POST", "/gpio/digital", headers=headers,
                                    json={"pin": 8, "state": "on"})
        assert status == 401
    _, pins = await status_of(web.local(), "GET", "/gpio/all")
    assert pins["D8"]["mode"] == "unused"


async def test_local_bypass_can_be_turned_off(nats_url: str, remote_host: str,
                                              auth_service: None, admin: Any) -> None:
    async with start_web(nats_url, remote_host, web_local_no_auth=False) as strict:
        status, _ = await status_of(strict.local(), "GET", GPIO_READ)
        assert status == 401
        tokens = await login(strict.local(), admin)
        status, _ = await status_of(strict.local(), "GET", GPIO_READ,
                                    headers=bearer(tokens["access_token"]))
        assert status == 200


# -- bearer tokens -----------------------------------------------------------------------


async def test_valid_token_with_the_permission_is_200(web: WebUnderTest, admin: Any) -> None:
    tokens = await login(web.remote(), admin)
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] > 0
    assert tokens["refresh_token"] and tokens["access_token"]
    assert tokens["user"]["username"] == admin.username
    status, _ = await status_of(web.remote(), "GET", GPIO_READ,
                                headers=bearer(tokens["access_token"]))
    assert status == 200
    status, body = await status_of(web.remote(), "POST", "/gpio/digital",
                                   headers=bearer(tokens["access_token"]),
                                   json={"pin": 21, "state": "on"})
    assert (status, body) == (200, {"pin": 21, "state": "on"})


async def test_token_without_the_permission_is_403(web: WebUnderTest, viewer: Any) -> None:
    tokens = await login(web.remote(), viewer)
    headers = bearer(tokens["access_token"])
    # a viewer may see the pins' status (gpio:read) but not drive or read a pin
    assert (await status_of(web.remote(), "GET", GPIO_READ, headers=headers))[0] == 200
    status, body = await status_of(web.remote(), "GET", "/gpio/digital/21", headers=headers)
    assert status == 403
    assert body["error"]["details"] == {"permission": "gpio:update"}
    # the viewer may read the focuser (focuser:read) but not move it (focuser:update)
    assert (await status_of(web.remote(), "GET", "/focuser/status", headers=headers))[0] == 200
    status, _ = await status_of(web.remote(), "POST", "/focuser/move", headers=headers,
                                json={"steps": 10})
    assert status == 403


async def test_permission_of_a_single_module(web: WebUnderTest, bus: BusClient) -> None:
    user = await add_user(bus, role="viewer", permissions={"gpio": ["read", "update"]})
    headers = bearer((await login(web.remote(), user))["access_token"])
    assert (await status_of(web.remote(), "GET", GPIO_READ, headers=headers))[0] == 200
    assert (await status_of(web.remote(), "GET", "/onewire/devices", headers=headers))[0] == 403
    assert (await status_of(web.remote(), "GET", "/focuser/status", headers=headers))[0] == 403
    assert (await status_of(web.remote(), "GET", "/allsky/status", headers=headers))[0] == 403
    assert (await status_of(web.remote(), "POST", "/allsky/start", headers=headers))[0] == 403


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic dXNlcjpwdw==", "Token abc",
                                    "Bearer not.a.jwt", "Bearer " + "x" * 8000])
async def test_malformed_authorization_is_401(web: WebUnderTest, header: str) -> None:
    status, body = await status_of(web.remote(), "GET", GPIO_READ,
                                   headers={"Authorization": header})
    assert status == 401
    assert body["error"]["code"] in ("invalid_authorization", "invalid_token")


async def test_expired_token_is_401(web: WebUnderTest, bus: BusClient,
        auth_service: Any, admin: Any) -> None:
    key = signing_key(auth_service)
    past = int(time.time()) - 3600
    token = key.sign(claims_for(admin.username, iat=past - 600, exp=past))
    status, body = await status_of(web.remote(), "GET", GPIO_READ, headers=bearer(token))
    assert status == 401
    assert body["error"]["code"] == "token_expired"
    # the same claims, not expired, pass: the refusal was the expiry
    fresh = key.sign(claims_for(admin.username))
    assert (await status_of(web.remote(), "GET", GPIO_READ, headers=bearer(fresh)))[0] == 200


async def test_tampered_token_is_401(web: WebUnderTest, viewer: Any) -> None:
    token = (await login(web.remote(), viewer))["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["perms"] = {"*": ["*"]}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    status, _ = await status_of(web.remote(), "GET", GPIO_READ,
                                headers=bearer(f"{header}.{forged}.{signature}"))
    assert status == 401


async def test_alg_none_token_is_401(web: WebUnderTest, bus: BusClient,
        auth_service: Any, admin: Any) -> None:
    key = signing_key(auth_service)
    token = jwt.encode(claims_for(admin.username), None, algorithm="none",
                       headers={"kid": key.kid})
    status, _ = await status_of(web.remote(), "GET", GPIO_READ, headers=bearer(token))
    assert status == 401
    # also with an empty signature part appended and a lower-case "None"
    head = base64.urlsafe_b64encode(json.dumps(
        {"alg": "None", "kid": key.kid, "typ": "JWT"}).encode()).rstrip(b"=").decode()
    body = token.split(".")[1]
    status, _ = await status_of(web.remote(), "GET", GPIO_READ, headers=bearer(f"{head}.{body}."))
    assert status == 401


async def test_token_signed_with_another_key_is_401(web: WebUnderTest, bus: BusClient,
        auth_service: Any,
                                                    admin: Any) -> None:
    real = signing_key(auth_service)
    other = Ed25519PrivateKey.generate()
    token = jwt.encode(claims_for(admin.username), other, algorithm="EdDSA",
                       headers={"kid": real.kid})
    status, _ = await status_of(web.remote(), "GET", GPIO_READ, headers=bearer(token))
    assert status == 401
    hs = jwt.encode(claims_for(admin.username), "secret" * 8, algorithm="HS256",
                    headers={"kid": real.kid})
    assert (await status_of(web.remote(), "GET", GPIO_READ, headers=bearer(hs)))[0] == 401


async def test_refresh_rotates(web: WebUnderTest, admin: Any) -> None:
    first = await login(web.remote(), admin)
    status, second = await status_of(web.remote(), "POST", "/token/refresh",
                                     json={"refresh_token": first["refresh_token"]})
    assert status == 200
    assert second["refresh_token"] != first["refresh_token"]
    assert (await status_of(web.remote(), "GET", GPIO_READ,
                            headers=bearer(second["access_token"])))[0] == 200
    status, body = await status_of(web.remote(), "POST", "/token/refresh",
                                   json={"refresh_token": first["refresh_token"]})
    assert status == 401
    assert body["error"]["code"]


async def test_logout_revokes_the_refresh_token(web: WebUnderTest, admin: Any) -> None:
    tokens = await login(web.remote(), admin)
    status, body = await status_of(web.remote(), "POST", "/logout",
                                   json={"refresh_token": tokens["refresh_token"]})
    assert (status, body) == (200, {"ok": True})
    status, _ = await status_of(web.remote(), "POST", "/token/refresh",
                                json={"refresh_token": tokens["refresh_token"]})
    assert status == 401


async def test_logout_ends_the_access_token_at_once(web: WebUnderTest, admin: Any) -> None:
    tokens = await login(web.remote(), admin)
    headers = bearer(tokens["access_token"])
    assert (await status_of(web.remote(), "GET", GPIO_READ, headers=headers))[0] == 200
    await status_of(web.remote(), "POST", "/logout",
                    json={"refresh_token": tokens["refresh_token"]})
    status, body = 200, None
    for _ in range(100):  # the session's end reaches web through the KV watch
        status, body = await status_of(web.remote(), "GET", GPIO_READ, headers=headers)
        if status == 401:
            break
        await asyncio.sleep(0.05)
    assert status == 401 and body["error"]["code"] == "token_revoked"


async def test_password_change_revokes_tokens(web: WebUnderTest, bus: BusClient) -> None:
    user = await add_user(bus, role="admin")
    tokens = await login(web.remote(), user)
    headers = bearer(tokens["access_token"])
    assert (await status_of(web.remote(), "GET", GPIO_READ, headers=headers))[0] == 200
    await bus.request(auth.USER_PASSWD, {"username": user.username,
                                         "password": "a-new-long-password"})
    # the revocation reaches the web service through the KV watch: wait for it
    status = 200
    for _ in range(100):
        status, _ = await status_of(web.remote(), "GET", GPIO_READ, headers=headers)
        if status == 401:
            break
        await asyncio.sleep(0.05)
    assert status == 401
    status, _ = await status_of(web.remote(), "POST", "/token/refresh",
                                json={"refresh_token": tokens["refresh_token"]})
    assert status == 401
    async with web.remote().post("/login", json={"username": user.username,
                                                 "password": user.password}) as resp:
        assert resp.status == 401


async def test_wrong_password_and_bad_login_bodies(web: WebUnderTest, admin: Any) -> None:
    status, body = await status_of(web.remote(), "POST", "/login",
                                   json={"username": admin.username, "password": "wrong"})
    assert status == 401
    assert "access_token" not in body
    for bad in ({}, {"username": admin.username}, {"username": "", "password": "x"},
                {"username": admin.username, "password": "x", "admin": True}):
        status, body = await status_of(web.remote(), "POST", "/login", json=bad)
        assert status == 400, bad
        assert body["error"]["code"] == "invalid_request"


# -- cookies -----------------------------------------------------------------------------


async def cookie_session(web: WebUnderTest, user: Any) -> Any:
    client = web.remote()
    body = await login(client, user, session=True)
    assert body["access_token"]
    cookies = {c.key: c for c in client.cookie_jar}
    assert cookies["zenith_session"]["httponly"]
    assert cookies["zenith_session"]["samesite"] == "Strict"
    assert not cookies["zenith_csrf"]["httponly"]
    return client


def csrf_of(client: Any) -> str:
    return next(c.value for c in client.cookie_jar if c.key == "zenith_csrf")


async def capture_state(web: WebUnderTest) -> str:
    return str((await status_of(web.local(), "GET", "/allsky/status"))[1]["state"])


@pytest.mark.usefixtures("capture_service")
async def test_cookie_on_a_state_changing_get_is_refused(web: WebUnderTest, admin: Any) -> None:
    client = await cookie_session(web, admin)
    before = await capture_state(web)
    for path in ("/allsky/stopall", "/allsky/stopallsky", "/allsky/start", "/allsky/restart"):
        status, body = await status_of(client, "GET", path)
        assert status == 401, path
        assert body["error"]["code"] == "bearer_required"
    assert await capture_state(web) == before
    # the cookie still works where it is allowed: a safe GET
    assert (await status_of(client, "GET", "/allsky/status"))[0] == 200


async def test_cookie_post_without_csrf_is_403(web: WebUnderTest, admin: Any) -> None:
    client = await cookie_session(web, admin)
    status, body = await status_of(client, "POST", "/gpio/digital",
                                   json={"pin": 19, "state": "on"})
    assert status == 403
    assert body["error"]["code"] == "csrf"
    status, body = await status_of(client, "POST", "/gpio/digital",
                                   json={"pin": 19, "state": "on"},
                                   headers={"X-CSRF-Token": "guess"})
    assert status == 403
    _, pins = await status_of(web.local(), "GET", "/gpio/all")
    assert pins["D19"]["mode"] == "unused"


async def test_cookie_post_with_csrf_works(web: WebUnderTest, admin: Any) -> None:
    client = await cookie_session(web, admin)
    headers = {"X-CSRF-Token": csrf_of(client), "Origin": web.remote_url}
    status, body = await status_of(client, "POST", "/gpio/digital", headers=headers,
                                   json={"pin": 26, "state": "on"})
    assert (status, body) == (200, {"pin": 26, "state": "on"})


async def test_cookie_post_from_another_origin_is_403(web: WebUnderTest, admin: Any) -> None:
    client = await cookie_session(web, admin)
    for origin in ("https://evil.example", "null", web.remote_url.replace("http:", "https:")):
        status, body = await status_of(client, "POST", "/gpio/digital",
                                       headers={"X-CSRF-Token": csrf_of(client),
                                                "Origin": origin},
                                       json={"pin": 16, "state": "on"})
        assert status == 403, origin
        assert body["error"]["code"] == "bad_origin"
    _, pins = await status_of(web.local(), "GET", "/gpio/all")
    assert pins["D16"]["mode"] == "unused"


async def test_cookie_refresh_and_logout(web: WebUnderTest, admin: Any) -> None:
    client = await cookie_session(web, admin)
    old = next(c.value for c in client.cookie_jar if c.key == "zenith_refresh")
    status, _ = await status_of(client, "POST", "/token/refresh")
    assert status == 403  # the cookie alone is not enough: CSRF header needed
    status, body = await status_of(client, "POST", "/token/refresh",
                                   headers={"X-CSRF-Token": csrf_of(client)})
    assert status == 200
    assert "access_token" not in body and "refresh_token" not in body
    assert body["user"]["username"] == admin.username
    new = next(c.value for c in client.cookie_jar if c.key == "zenith_refresh")
    assert new != old
    status, body = await status_of(client, "POST", "/logout",
                                   headers={"X-CSRF-Token": csrf_of(client)})
    assert (status, body) == (200, {"ok": True})
    assert not [c for c in client.cookie_jar if c.key == "zenith_session" and c.value]
    status, _ = await status_of(web.remote(), "POST", "/token/refresh",
                                json={"refresh_token": new})
    assert status == 401


async def test_cookie_session_expired_access_token(web: WebUnderTest, bus: BusClient,
        auth_service: Any,
                                                   admin: Any) -> None:
    client = await cookie_session(web, admin)
    key = signing_key(auth_service)
    past = int(time.time()) - 3600
    client.cookie_jar.update_cookies(
        {"zenith_session": key.sign(claims_for(admin.username, iat=past - 60, exp=past))},
        response_url=client._base_url)
    status, body = await status_of(client, "GET", GPIO_READ)
    assert status == 401
    assert body["error"]["code"] == "token_expired"
    # a page renews the session from the refresh cookie, server side
    async with client.get("/dashboard", allow_redirects=False) as resp:
        assert resp.status == 200
        assert "zenith_session" in resp.cookies
    assert (await status_of(client, "GET", GPIO_READ))[0] == 200


async def test_pages_redirect_remote_strangers_to_login(web: WebUnderTest) -> None:
    for path in ("/dashboard", "/focuser"):
        async with web.remote().get(path, allow_redirects=False) as resp:
            assert resp.status == 302
            assert resp.headers["Location"] == f"/login?next={path}"
    async with web.local().get("/dashboard", allow_redirects=False) as resp:
        assert resp.status == 200


async def test_login_form_sets_cookies_and_redirects(web: WebUnderTest, admin: Any) -> None:
    client = web.remote()
    async with client.post("/login?next=/focuser", allow_redirects=False,
                           data={"username": admin.username, "password": admin.password},
                           headers={"Origin": web.remote_url}) as resp:
        assert resp.status == 303
        assert resp.headers["Location"] == "/focuser"
        set_cookie = resp.headers.getall("Set-Cookie")
    session = next(c for c in set_cookie if c.startswith("zenith_session="))
    assert "HttpOnly" in session and "SameSite=Strict" in session and "Secure" not in session
    async with client.get("/focuser", allow_redirects=False) as resp:
        assert resp.status == 200
    async with client.post("/login?next=https://evil.example/", allow_redirects=False,
                           data={"username": admin.username, "password": admin.password}) as r:
        assert r.headers["Location"] == "/"
    async with client.post("/login", allow_redirects=False, headers={"Accept": "text/html"},
                           data={"username": admin.username, "password": "nope"}) as resp:
        assert resp.status == 401
        assert "Wrong username or password." in await resp.text()
    async with client.post("/login", allow_redirects=False, headers={"Accept": "application/json"},
                           data={"username": admin.username, "password": "nope"}) as resp:
        assert resp.status == 401
        assert resp.content_type == "application/json"
        assert (await resp.json())["error"]["code"] == "invalid_credentials"
    async with client.post("/login", allow_redirects=False, headers={"Origin": "https://x.y"},
                           data={"username": admin.username, "password": admin.password}) as r:
        assert r.status == 403


async def test_secure_cookies_when_configured(nats_url: str, remote_host: str,
                                              auth_service: None, admin: Any) -> None:
    async with start_web(nats_url, remote_host, web_cookie_secure=True) as secure:
        async with secure.remote().post("/login", allow_redirects=False, data={
                "username": admin.username, "password": admin.password}) as resp:
            cookies = resp.headers.getall("Set-Cookie")
        assert all("Secure" in c for c in cookies)


async def test_signing_in_on_this_machine_shows_the_user_on_pages(web: WebUnderTest,
                                                                  admin: Any) -> None:
    """Local pages need no login, but one who signed in sees who and can log out."""
    async with web.local() as client:
        async with client.get("/dashboard") as anonymous:
            assert anonymous.status == 200
            assert "local access" in await anonymous.text()
        await login(client, admin, session=True)
        async with client.get("/dashboard") as signed_in:
            text = await signed_in.text()
        assert signed_in.status == 200
        assert admin.username in text and "Log out" in text and "local access" not in text
