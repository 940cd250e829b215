"""Fixtures: settings on a real nats-server and a tmp data dir, the stores
(SQLite metadata, blob directory) the service uses, and product events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client

from tests.services.products.productstest import ProductEvents, make_settings
from zenith.storage.blob import BlobStore
from zenith.storage.factory import open_blobs, open_metadata
from zenith.storage.metadata import MetadataStore
from zenith_products.settings import ProductsSettings


@pytest.fixture
def settings(nats_server: Any, tmp_path: Path) -> ProductsSettings:
    return make_settings(nats_server.url, tmp_path / "data")


@pytest.fixture
async def meta(settings: ProductsSettings) -> AsyncIterator[MetadataStore]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = await open_metadata(settings.resolved_metadata_url)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def blobs(settings: ProductsSettings) -> BlobStore:
    return open_blobs(settings)


@pytest.fixture
async def events(nc: Client) -> ProductEvents:
    return await ProductEvents.listen(nc)


@pytest.fixture
async def capture_index(settings: ProductsSettings) -> AsyncIterator[Any]:
    """The real capture service (its loop stopped) on the products' data dir: it
    serves the frames index that the tests arranged in its store."""
    from zenith.config import load_settings
    from zenith.runner import service_context
    from zenith_capture.service import serve as serve_capture
    from zenith_capture.settings import CaptureSettings

    capture = load_settings(CaptureSettings, env={}, camera=settings.camera,
                            nats_url=settings.nats_url, data_dir=settings.data_dir,
                            capture_autostart=False)
    async with service_context("capture", capture, serve_capture) as ctx:
        yield ctx


@pytest.fixture
async def highlights(settings: ProductsSettings, tmp_path: Path) -> AsyncIterator[Any]:
    """The real auth and network services, with this camera registered; yields
    ``add(key)``, which highlights a blob the way an owner would."""
    from tests.services.network.conftest import auth_settings, camera_body, network_settings
    from zenith.bus.client import BusClient
    from zenith.contracts import network
    from zenith.runner import service_context
    from zenith_auth.main import serve as serve_auth
    from zenith_network.main import serve as serve_network

    async with service_context("auth", auth_settings(tmp_path, settings.nats_url), serve_auth), \
            service_context("network", network_settings(tmp_path, settings.nats_url),
                            serve_network) as ctx:
        bus: BusClient = ctx.bus
        await bus.request(network.CAMERA_ADD, camera_body(settings.camera))

        async def add(key: str, category: str = "meteor") -> None:
            await bus.request(network.HIGHLIGHT_ADD, network.HighlightAdd(
                camera=settings.camera, product=key, key=key, category=category))

        yield add
