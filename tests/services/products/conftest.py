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
