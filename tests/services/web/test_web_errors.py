"""Errors over HTTP: always JSON ``{"error": {"code", "message"}}`` with the right status."""

from __future__ import annotations

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
