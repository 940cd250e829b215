"""``GET /healthz`` pings the five services on the bus and counts who answers."""

from __future__ import annotations

import pytest

from tests.services.web.webstack import CAMERA, WebUnderTest
from zenith.bus.client import BusClient
from zenith.contracts.web import WEB_INFO
from zenith.runner import service_context

pytestmark = pytest.mark.asyncio(loop_scope="package")


@pytest.mark.usefixtures("gpio_service", "capture_service")
async def test_ok_with_all_five_then_degraded_without_one(web: WebUnderTest, nats_url: str,
                                                          tmp_path_factory: pytest.TempPathFactory
                                                          ) -> None:
    from zenith_products.service import serve
    from zenith_products.settings import ProductsSettings

    settings = ProductsSettings(nats_url=nats_url, camera=CAMERA,
                                data_dir=tmp_path_factory.mktemp("products"))
    async with service_context("products", settings, serve):
        async with web.remote().get("/healthz") as resp:  # no auth needed, even remote
            assert resp.status == 200
            body = await resp.json()
        assert body["status"] == "ok"
        assert list(body["services"]) == ["auth", "gpio", "capture", "products", "web"]
        for name, service in body["services"].items():
            assert service["healthy"] is True, name
            assert service["instances"] == 1, name
            assert service["version"], name

    async with web.local().get("/healthz") as resp:
        assert resp.status == 503
        body = await resp.json()
    assert body["status"] == "degraded"
    assert body["services"]["products"] == {"healthy": False, "instances": 0, "version": None}
    assert body["services"]["gpio"]["healthy"] is True


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
