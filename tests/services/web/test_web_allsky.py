"""The Allsky capture routes end to end, against the capture service's simulator."""

from __future__ import annotations

import asyncio
import html
from typing import Any

import pytest

from tests.services.web.webstack import WebUnderTest
from zenith.contracts import capture

pytestmark = [pytest.mark.asyncio(loop_scope="package"),
              pytest.mark.usefixtures("capture_service")]


async def status(web: WebUnderTest) -> dict[str, Any]:
    async with web.local().get("/allsky/status") as resp:
        assert resp.status == 200
        return await resp.json()  # type: ignore[no-any-return]


async def wait_state(web: WebUnderTest, *states: str) -> dict[str, Any]:
    """Capture starts and stops asynchronously: wait until it reports one of ``states``."""
    for _ in range(200):
        body = await status(web)
        if body["state"] in states:
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"capture never reached {states}; last {body['state']}")


async def test_status_has_the_capture_fields_and_an_html_card(web: WebUnderTest) -> None:
    body = await status(web)
    assert set(capture.Status.model_fields) <= set(body)
    assert body["camera"] == "demo"
    assert body["driver"] == "simulator"
    card = body["status_html"]
    assert card.startswith("<div class=\"status-card state-")
    assert html.escape(body["state"].capitalize()) in card
    assert "Frames" in card


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_stop_and_start(web: WebUnderTest, method: str) -> None:
    client = web.local()
    async with client.request(method, "/allsky/stopall") as resp:
        assert (resp.status, await resp.json()) == (200, {"status": "Allsky stopped"})
    assert (await wait_state(web, "stopped"))["state"] == "stopped"
    async with client.request(method, "/allsky/start") as resp:
        assert (resp.status, await resp.json()) == (200, {"status": "Allsky started"})
    await wait_state(web, "running", "starting")
    async with client.request(method, "/allsky/stopallsky") as resp:
        assert (resp.status, await resp.json()) == (200, {"status": "Allsky stopped"})
    await wait_state(web, "stopped")
    async with client.request(method, "/allsky/restart") as resp:
        assert (resp.status, await resp.json()) == (200, {"status": "Allsky started"})
    await wait_state(web, "running", "starting")


async def test_actions_take_no_body_fields(web: WebUnderTest) -> None:
    async with web.local().post("/allsky/start", json={"now": True}) as resp:
        assert resp.status == 400
        assert "now" in (await resp.json())["error"]["message"]


async def test_status_card_escapes_what_it_shows() -> None:
    from aiohttp import web

    from zenith_web.templating import make_environment

    hostile = capture.Status(camera="demo", state="error", driver="<img src=x onerror=alert(1)>",
                             message="<script>alert('x')</script> & more")
    card = make_environment(web.Application()).get_template("_status_card.html").render(
        status=hostile)
    assert "<script>" not in card
    assert "<img src=x" not in card
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in card
