"""Errors over HTTP: always JSON ``{"error": {"code", "message"}}`` with the right status."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from tests.services.web.webstack import WebUnderTest, start_web

pytestmark = pytest.mark.asyncio(loop_scope="package")


async def test_unknown_api_route_is_404_json(web: WebUnderTest) -> None:
    for path in ("/gpio/analog", "/api/nothing", "/allsky/explode"):
        async with web.local().get(path) as resp:
            assert resp.status == 404
            body = await resp.json()
            assert body["error"]["code"] == "not_found"
            assert path in body["error"]["message"]


async def test_unknown_page_is_an_html_page_for_browsers(web: WebUnderTest) -> None:
    async with web.local().get("/no-such-page", headers={"Accept": "text/html"}) as resp:
        assert resp.status == 404
        assert resp.content_type == "text/html"
        assert "Not found" in await resp.text()


async def test_wrong_method_is_405_json(web: WebUnderTest) -> None:
    async with web.local().get("/gpio/digital") as resp:
        assert resp.status == 405
        assert "POST" in resp.headers["Allow"]
        body = await resp.json()
        assert body["error"]["code"] == "method_not_allowed"
    async with web.local().delete("/gpio/all") as resp:
        assert resp.status == 405
        assert (await resp.json())["error"]["code"] == "method_not_allowed"


async def test_body_too_large_is_413_json(web: WebUnderTest) -> None:
    huge = b'{"pin": 1, "state": "on", "name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    async with web.local().post("/gpio/digital", data=huge,
                                headers={"Content-Type": "application/json"}) as resp:
        assert resp.status == 413
        assert (await resp.json())["error"]["code"] == "body_too_large"


async def test_form_body_on_a_json_route_is_415(web: WebUnderTest) -> None:
    async with web.local().post("/gpio/digital", data={"pin": "1", "state": "on"}) as resp:
        assert resp.status == 415
        assert (await resp.json())["error"]["code"] == "unsupported_media_type"


async def test_no_responders_is_503_json(nats_url: str, remote_host: str,
                                         auth_service: None) -> None:
    # no gpio, capture or focuser serves this camera: nobody answers
    async with start_web(nats_url, remote_host, camera="nobody-home") as lonely:
        for method, path in (("GET", "/gpio/all"), ("POST", "/allsky/start"),
                             ("GET", "/focuser/status"), ("GET", "/focuser/frame.jpg")):
            async with lonely.local().request(method, path) as resp:
                assert resp.status == 503, path
                body = await resp.json()
                assert body["error"]["code"] == "no_responders"
                assert "not answering" in body["error"]["message"]


async def test_json_answers_carry_safety_headers(web: WebUnderTest) -> None:
    async with web.local().get("/healthz") as resp:
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Cache-Control"] == "no-store"
    async with web.local().get("/login") as resp:
        assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


async def raw_request(web: WebUnderTest, data: bytes) -> tuple[bytes, bytes]:
    """Send bytes that are not valid HTTP from a remote address; the head and body back."""
    host, port = web.remote_url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port),
                                                   local_addr=(web.remote_host, 0))
    writer.write(data)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 30)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, body


MALFORMED = [
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n",
]


async def test_a_malformed_request_is_one_warning_line_and_a_json_400(
        web: WebUnderTest, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    for data in MALFORMED:
        head, body = await raw_request(web, data)
        assert head.split(b"\r\n")[0].endswith(b" 400 Bad Request"), head
        assert b"application/json" in head and b"X-Content-Type-Options: nosniff" in head
        assert json.loads(body)["error"]["code"] == "bad_request"
        assert b"aiohttp" not in head.lower() and b"python" not in head.lower()
    records = [r for r in caplog.records if r.name.startswith(("aiohttp", "zenith.web"))
               and r.levelno >= logging.WARNING]
    assert all(r.levelno == logging.WARNING for r in records), records
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in records)
    assert 1 <= len(records) <= len(MALFORMED)


async def test_a_flood_of_malformed_requests_is_rate_limited_in_the_log(
        web: WebUnderTest, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    caplog.clear()
    for _ in range(60):
        head, _ = await raw_request(web, MALFORMED[0])
        assert b" 400 " in head.split(b"\r\n")[0]
    records = [r for r in caplog.records if r.name.startswith(("aiohttp", "zenith.web"))
               and r.levelno >= logging.WARNING]
    assert len(records) <= 15, len(records)


async def test_no_server_version_and_static_404_is_json(web: WebUnderTest) -> None:
    async with web.remote().get("/static/nothing-here.css") as resp:
        assert resp.status == 404
        assert resp.content_type == "application/json"
        assert (await resp.json())["error"]["code"] == "not_found"
        assert "aiohttp" not in resp.headers.get("Server", "").lower()
    async with web.local().get("/healthz") as resp:
        assert "aiohttp" not in resp.headers.get("Server", "").lower()
        assert "python" not in resp.headers.get("Server", "").lower()


async def test_too_many_requests_say_when_to_come_back() -> None:
    """A 429 (failed logins, a busy camera) carries Retry-After from its details."""
    from zenith.errors import TooManyRequests
    from zenith_web.httperrors import from_zenith

    answer = from_zenith(TooManyRequests("too many failed logins: try again in 42 s",
                                         code="too_many_attempts",
                                         details={"retry_after": 42}))
    assert answer.status == 429 and answer.headers["Retry-After"] == "42"
    assert "Retry-After" not in from_zenith(TooManyRequests("busy")).headers
