"""A node's uplink: the hub is away for a while, nothing is lost, it catches up in order."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from zenith.bus.client import BusClient
from zenith.bus.connect import connect
from zenith.cli.nats_server import NatsServer, free_port
from zenith.config import load_settings
from zenith.contracts import camerakeys as k
from zenith.contracts import network as c
from zenith.contracts import products, sensors
from zenith.contracts.frames import FRAME_CAPTURED, FrameCaptured, frame_key
from zenith.runner import service_context
from zenith.storage.blob import BlobStore
from zenith.timefmt import utcnow
from zenith_network.main import serve
from zenith_web.main import serve as serve_web
from zenith_web.settings import WebSettings

from .conftest import camera_body, network_settings
from .media import jpeg
from .test_ingest_allskykamera import ingest_messages
from .test_status import wait_for


async def publish_frame(js: Any, blobs: BlobStore, n: int, age_s: float) -> FrameCaptured:
    taken = utcnow() - timedelta(seconds=age_s)
    key = frame_key("alpha", "2026-11-09", f"f{n:04d}")
    blobs.write_bytes(key, jpeg(640, 480, seed=n))
    event = FrameCaptured(camera="alpha", frame_id=f"frame{n:04d}", taken_at=taken,
                          night="2026-11-09", is_night=True, key=key, width=640, height=480,
                          exposure_s=10, gain=4, mean=0.1, stars=50)
    await js.publish(FRAME_CAPTURED.subject_for(camera="alpha"), event.model_dump_json().encode(),
                     headers={"Nats-Msg-Id": event.frame_id})
    return event


async def test_an_outage_loses_nothing_and_the_uplink_catches_up_in_order(
        tmp_path: Path, nats_server: Any, network: Any, bus: Any, nc: Any) -> None:
    await bus.request(c.CAMERA_ADD, camera_body("alpha", code="ASK042"))
    key = (await bus.request(k.KEY_ISSUE, {"camera": "alpha"})).key
    hub_port = free_port()
    node_blobs = BlobStore(tmp_path / "node-blobs")
    with NatsServer(tmp_path / "node-nats", free_port()) as node_nats:
        node = network_settings(tmp_path / "node", node_nats.url, camera="alpha",
                                blob_dir=tmp_path / "node-blobs",
                                network_hub_url=f"http://127.0.0.1:{hub_port}",
                                network_hub_key=key, network_uplink_frame_every_s=0,
                                network_uplink_max_frame_age_s=3600,
                                network_uplink_retry_max_s=0.5)
        async with service_context("network", node, serve) as node_ctx:
            node_nc = await connect(node_nats.url, name="node-test")
            node_bus = BusClient(node_nc)
            js = node_nc.jetstream()
            await publish_frame(js, node_blobs, 0, age_s=7200)  # too old when its turn comes
            sent = [await publish_frame(js, node_blobs, n, age_s=300 - n * 60)
                    for n in range(1, 4)]
            node_blobs.write_bytes("products/alpha/2026-11-09/keogram.jpg", jpeg(800, 200))
            node_blobs.write_bytes("products/alpha/2026-11-09/thumbs/keogram.jpg",
                                   jpeg(200, 50))
            ready = products.ProductReady(
                camera="alpha", kind="keogram", night="2026-11-09",
                key="products/alpha/2026-11-09/keogram.jpg",
                thumb_key="products/alpha/2026-11-09/thumbs/keogram.jpg",
                content_type="image/jpeg", frames=300, final=True, created_at=utcnow())
            await js.publish(products.PRODUCT_READY.subject_for(camera="alpha", kind="keogram"),
                             ready.model_dump_json().encode())
            for n in range(3):
                reading = sensors.Reading(camera="alpha", sensor="bme280",
                                          measurement="bme280",
                                          time=utcnow() - timedelta(seconds=n),
                                          fields={"temperature": 2.0 + n}, tags={})
                await js.publish(sensors.SENSOR_READING.subject_for(camera="alpha",
                                                                    sensor="bme280"),
                                 reading.model_dump_json().encode())

            async def failing() -> Any:
                status = await node_bus.request(c.UPLINK_STATUS, {}, camera="alpha")
                return status if status.last_error and status.frames.pending >= 3 else None

            status = await wait_for(failing, timeout=30)
            assert "not reachable" in status.last_error
            assert await ingest_messages(nc) == []

            web = load_settings(WebSettings, env={}, nats_url=nats_server.url,
                                http_port=hub_port, blob_dir=tmp_path / "hub-blobs",
                                data_dir=tmp_path / "web", web_local_no_auth=False)
            async with service_context("web", web, serve_web):
                async def delivered() -> Any:
                    events = await ingest_messages(nc)
                    return events if len(events) >= 4 else None

                events = await wait_for(delivered, timeout=60)

                async def readings_in() -> Any:
                    info = await nc.jetstream().stream_info("SENSORS")
                    return info.state.messages >= 3

                await wait_for(readings_in, timeout=30)
                frames = [e for e in events if e["kind"] == "frame"]
                assert [f["taken_at"][:19] for f in frames] == \
                    [s.taken_at.isoformat()[:19] for s in sent]  # in order, none lost
                assert [e["kind"] for e in events].count("product") == 1
                status = await node_bus.request(c.UPLINK_STATUS, {}, camera="alpha")
                assert status.frames.dropped == 1 and status.frames.sent == 3
                assert status.products.sent == 1 and status.readings.sent == 3
                assert status.frames.pending == 0
            await node_nc.close()
        assert node_ctx is not None
