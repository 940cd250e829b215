"""``POST /api/capture/darks``: a recording fits its request, or is refused at once."""

from __future__ import annotations

import pytest

from tests.services.web.webstack import WebUnderTest

pytestmark = pytest.mark.asyncio(loop_scope="package")


@pytest.mark.usefixtures("capture_service")
async def test_a_recording_too_long_for_http_is_refused_and_a_short_one_recorded(
        web: WebUnderTest) -> None:
    client = web.local()
    async with client.post("/api/capture/darks", json={"frames": 100, "exposure_s": 600}) as resp:
        assert resp.status == 400
        body = await resp.json()
    assert body["error"]["code"] == "too_long" and "zenith capture darks record" in \
        body["error"]["message"]
    async with client.get("/api/capture/darks") as resp:
        assert resp.status == 200
        before = await resp.json()
    async with client.post("/api/capture/darks", json={"frames": 2, "exposure_s": 0.01}) as resp:
        assert resp.status == 200, await resp.text()
    async with client.get("/api/capture/darks") as resp:
        after = await resp.json()
    assert len(after["darks"]) == len(before["darks"]) + 1
