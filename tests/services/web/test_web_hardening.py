"""What an attacker on another site, or with odd input, can make the web service do.

"Local requests need no credentials" must not extend to pages a browser on
this machine happens to visit: those can make the browser send requests to
127.0.0.1 (cross-site) or rebind their own host name to it (DNS rebinding).
The requests below are what such a browser sends.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests.services.web.webstack import WebUnderTest, bearer, login, start_web

pytestmark = [pytest.mark.asyncio(loop_scope="package"), pytest.mark.usefixtures("gpio_service")]

EVIL = "https://evil.example"


async def answer(client: Any, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    async with client.request(method, path, allow_redirects=False, **kwargs) as resp:
        body = await resp.json() if resp.content_type == "application/json" else None
        return resp.status, body


async def pin_mode(web: WebUnderTest, pin: int) -> str:
    _, pins = await answer(web.local(), "GET", "/gpio/all")
    return str(pins[f"D{pin}"]["mode"])


def port_of(web: WebUnderTest) -> int:
    return int(web.local_url.rsplit(":", 1)[1])


# -- the local bypass and other sites -------------------------------------------------------


async def test_a_rebound_host_name_gets_no_local_access(web: WebUnderTest) -> None:
    """DNS rebinding: evil.example now resolves to 127.0.0.1; the browser sends its name."""
    port = port_of(web)
    host = {"Host": f"evil.example:{port}"}
    status, body = await answer(web.local(), "GET", "/gpio/status", headers=host)
    assert status == 403
    assert body["error"]["code"] == "cross_site"
    status, _ = await answer(web.local(), "POST", "/gpio/digital", headers=host,
                             json={"pin": 11, "state": "on"})
    assert status == 403
    assert await pin_mode(web, 11) == "unused"
    async with web.local().get("/dashboard", headers=host, allow_redirects=False) as resp:
        assert resp.status == 302
        assert resp.headers["Location"].startswith("/login")
    # names of this machine are local, with or without a port
    for name in ("localhost", f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}",
                 f"{socket.gethostname()}:{port}", "zenith.localhost"):
        status, _ = await answer(web.local(), "GET", "/gpio/status", headers={"Host": name})
        assert status == 200, name


async def test_requests_another_site_makes_the_browser_send_get_no_local_access(
        web: WebUnderTest) -> None:
    attacks: list[dict[str, str]] = [
        {"Origin": EVIL},
        {"Origin": "null"},  # a sandboxed frame or a data: page
        {"Referer": f"{EVIL}/page.html"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # another port of this machine
        {"Origin": "http://127.0.0.1:1"},
    ]
    for headers in attacks:
        # a form or fetch POST (a text/plain JSON body, or none at all)
        status, body = await answer(web.local(), "POST", "/gpio/digital", headers=headers,
                                    json={"pin": 14, "state": "on"})
        assert status == 403, headers
        assert body["error"]["code"] == "cross_site"
        assert "web_allowed_origins" in body["error"]["message"]
        status, _ = await answer(web.local(), "POST", "/allsky/stopall", headers=headers)
        assert status == 403, headers
        # an <img src> at a state-changing GET
        status, _ = await answer(web.local(), "GET", "/gpio/digital/14", headers=headers)
        assert status == 403, headers
    assert await pin_mode(web, 14) == "unused"


async def test_own_pages_and_links_from_elsewhere_still_work_locally(web: WebUnderTest) -> None:
    own = {"Origin": web.local_url, "Sec-Fetch-Site": "same-origin",
           "Referer": web.local_url + "/"}
    status, body = await answer(web.local(), "POST", "/gpio/digital", headers=own,
                                json={"pin": 9, "state": "off"})
    assert (status, body) == (200, {"pin": 9, "state": "off"})
    typed = {"Sec-Fetch-Site": "none"}  # typed into the address bar
    assert (await answer(web.local(), "GET", "/gpio/digital/9", headers=typed))[0] == 200
    # following a link from another site to a page only shows the page
    link = {"Sec-Fetch-Site": "cross-site", "Referer": f"{EVIL}/"}
    async with web.local().get("/dashboard", headers=link, allow_redirects=False) as resp:
        assert resp.status == 200


async def test_an_allowed_origin_keeps_local_access(nats_url: str, remote_host: str,
                                                    auth_service: None) -> None:
    other = "http://allsky.example:8000"
    async with start_web(nats_url, remote_host, web_allowed_origins=[other]) as allowed:
        headers = {"Origin": other, "Sec-Fetch-Site": "cross-site"}
        status, _ = await answer(allowed.local(), "POST", "/gpio/digital", headers=headers,
                                 json={"pin": 9, "state": "off"})
        assert status == 200
        status, _ = await answer(allowed.local(), "GET", "/gpio/status",
                                 headers={"Host": "allsky.example:8000"})
        assert status == 200


async def test_bearer_tokens_work_whatever_the_origin(web: WebUnderTest, admin: Any) -> None:
    token = (await login(web.remote(), admin))["access_token"]
    status, _ = await answer(web.local(), "GET", "/gpio/status",
                             headers={**bearer(token), "Origin": EVIL, "Host": "evil.example"})
    assert status == 200


# -- bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "text/plain;charset=UTF-8",
                                          "application/octet-stream", None])
async def test_a_json_body_must_say_it_is_json(web: WebUnderTest,
                                               content_type: str | None) -> None:
    """Browsers send text/plain (and no type at all) cross-site without asking first."""
    headers = {"Content-Type": content_type} if content_type else {"Content-Type": ""}
    status, body = await answer(web.local(), "POST", "/gpio/digital", headers=headers,
                                data=b'{"pin": 10, "state": "on"}')
    assert status == 415, content_type
    assert body["error"]["code"] == "unsupported_media_type"
    assert "application/json" in body["error"]["message"]
    assert await pin_mode(web, 10) == "unused"


async def test_a_multipart_body_is_415(web: WebUnderTest) -> None:
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("pin", "10")
    form.add_field("state", "on")
    form.add_field("file", b"{}", filename="x.json", content_type="application/json")
    status, body = await answer(web.local(), "POST", "/gpio/digital", data=form)
    assert status == 415
    assert body["error"]["code"] == "unsupported_media_type"
    status, _ = await answer(web.remote(), "POST", "/login", data=form)
    assert status == 415
    assert await pin_mode(web, 10) == "unused"


@pytest.mark.parametrize("data", [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"pin": ' + b"[" * 5000 + b"]" * 5000 + b', "state": "on"}',
    b'{"pin": ' + b"1" * 5000 + b', "state": "on"}',
])
async def test_json_nested_too_deep_or_numbers_too_long_are_400(web: WebUnderTest,
                                                               data: bytes) -> None:
    status, body = await answer(web.local(), "POST", "/gpio/digital", data=data,
                                headers={"Content-Type": "application/json"})
    assert status == 400
    assert body["error"]["code"] == "invalid_json"
    assert "Traceback" not in body["error"]["message"]
    status, _ = await answer(web.remote(), "POST", "/login", data=data,
                             headers={"Content-Type": "application/json"})
    assert status == 400


# -- redirects, cookies ---------------------------------------------------------------------


@pytest.mark.parametrize("target", [
    "/%0d%0aSet-Cookie:%20zenith_session=attacker",
    "/%0aLocation:%20https://evil.example",
    "/%09/evil.example",
    "%20//evil.example",
    "/\\evil.example",
    "https:/evil.example",
])
async def test_login_next_never_leaves_the_site_nor_breaks_the_header(
        web: WebUnderTest, admin: Any, target: str) -> None:
    async with web.remote().post(f"/login?next={target}", allow_redirects=False,
                                 data={"username": admin.username,
                                       "password": admin.password}) as resp:
        assert resp.status == 303
        assert resp.headers["Location"] == "/"
        assert all("attacker" not in c for c in resp.headers.getall("Set-Cookie"))
    async with web.remote().get(f"/login?next={target}") as resp:
        assert resp.status == 200
        assert 'action="/login?next=/"' in await resp.text()


async def test_reading_a_pin_changes_it_so_a_cookie_is_not_enough(web: WebUnderTest,
                                                                  admin: Any) -> None:
    client = web.remote()
    await login(client, admin, session=True)
    status, body = await answer(client, "GET", "/gpio/digital/7")
    assert status == 401
    assert body["error"]["code"] == "bearer_required"
    assert await pin_mode(web, 7) == "unused"
    token = (await login(web.remote(), admin))["access_token"]
    status, body = await answer(web.remote(), "GET", "/gpio/digital/7", headers=bearer(token))
    assert (status, body) == (200, {"pin": 7, "value": "off"})


async def test_cookies_are_secure_when_the_request_came_over_https(
        nats_url: str, remote_host: str, auth_service: None, admin: Any) -> None:
    async with start_web(nats_url, remote_host, web_trusted_proxies=[remote_host]) as proxied:
        form = {"username": admin.username, "password": admin.password}
        https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.20"}
        async with proxied.remote().post("/login", data=form, headers=https,
                                         allow_redirects=False) as resp:
            assert resp.status == 303
            cookies = resp.headers.getall("Set-Cookie")
        assert len(cookies) == 3 and all("Secure" in c for c in cookies)
        # plain HTTP (the proxy says so): not Secure, as configured
        plain = {"X-Forwarded-Proto": "http", "X-Forwarded-For": "203.0.113.20"}
        async with proxied.remote().post("/login", data=form, headers=plain,
                                         allow_redirects=False) as resp:
            assert all("Secure" not in c for c in resp.headers.getall("Set-Cookie"))
    # a client that is not a trusted proxy cannot claim HTTPS (nor is it needed)
    async with start_web(nats_url, remote_host) as direct:
        async with direct.remote().post("/login", data=form, allow_redirects=False,
                                        headers={"X-Forwarded-Proto": "https"}) as resp:
            assert all("Secure" not in c for c in resp.headers.getall("Set-Cookie"))


async def test_logout_clears_every_cookie_and_revokes_the_session(web: WebUnderTest,
                                                                  admin: Any) -> None:
    client = web.remote()
    async with client.post("/login", data={"username": admin.username,
                                           "password": admin.password},
                           allow_redirects=False) as resp:
        assert resp.status == 303
    jar = {c.key: c.value for c in client.cookie_jar}
    async with client.post("/logout", data={"csrf_token": jar["zenith_csrf"]},
                           allow_redirects=False) as resp:
        assert resp.status == 303
        cleared = resp.headers.getall("Set-Cookie")
    for name in ("zenith_session", "zenith_refresh", "zenith_csrf"):
        line = next(c for c in cleared if c.startswith(f"{name}="))
        assert "Max-Age=0" in line and "Path=/" in line
    status, body = await answer(web.remote(), "POST", "/token/refresh",
                                json={"refresh_token": jar["zenith_refresh"]})
    assert status == 401
    assert body["error"]["code"] in ("invalid_refresh_token", "refresh_token_reused")
