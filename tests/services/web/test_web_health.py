"""``GET /healthz`` pings the five services on the bus and counts who answers."""

from __future__ import annotations

import pytest

from tests.services.web.webstack import WebUnderTest, start_web
from zenith.bus.client import BusClient
from zenith.contracts.web import WEB_INFO

pytestmark = pytest.mark.asyncio(loop_scope="package")


@pytest.mark.usefixtures("gpio_service", "capture_service", "products_service")
async def test_ok_with_all_five_then_degraded_without_one(web: WebUnderTest, nats_url: str,
                                                          remote_host: str) -> None:
    """One instance of each of the five answers: ok. A web that also needs a
    service nobody runs here (sensors) says degraded, naming it."""
    async with web.remote().get("/healthz") as resp:  # no auth needed, even remote
        assert resp.status == 200
        body = await resp.json()
    assert body["status"] == "ok"
    assert list(body["services"]) == ["auth", "gpio", "capture", "products", "web"]
    for name, service in body["services"].items():
        assert service["healthy"] is True, name
        assert service["instances"] == 1, name
        assert service["version"], name

    needs = ["auth", "gpio", "capture", "products", "web", "sensors"]
    async with start_web(nats_url, remote_host, web_health_services=needs) as second, \
            second.local().get("/healthz") as resp:
        assert resp.status == 503
        body = await resp.json()
    assert body["status"] == "degraded"
    assert body["services"]["sensors"] == {"healthy": False, "instances": 0, "version": None}
    assert body["services"]["products"]["healthy"] is True
    assert body["services"]["web"]["instances"] == 2  # the package's web and this one


async def test_metrics_exposition(web: WebUnderTest) -> None:
    async with web.local().get("/healthz"):
        pass
    async with web.remote().get("/metrics") as resp:
        assert resp.status == 200
        assert resp.content_type == "text/plain"
        text = await resp.text()
    assert 'zenith_web_http_requests_total{method="GET",route="/healthz"' in text
    assert "zenith_web_http_request_seconds_bucket" in text


async def test_web_answers_on_the_bus(web: WebUnderTest, bus: BusClient) -> None:
    info = await bus.request(WEB_INFO)
    assert info.url == web.local_url
    assert info.version
