"""Uploaded products on a hub: applied from staging once, their staged parts removed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from zenith.contracts import ingest
from zenith.contracts.products import PRODUCTS_INDEX
from zenith.storage.blob import BlobStore
from zenith.storage.factory import open_metadata
from zenith_products.uploads import UploadedProducts


def keogram_upload(blobs: BlobStore, upload_id: str, content: bytes) -> ingest.UploadReceived:
    now = datetime.now(UTC)
    parts = {}
    for name in ("fullhd", "thumb"):
        key = ingest.staging_key("alpha", upload_id, "r1", name, "jpg")
        blobs.write_bytes(key, content + name.encode())
        parts[name] = ingest.StagedPart(name=name, key=key, size=blobs.size(key),
                                        sha256="0" * 64, content_type="image/jpeg")
    return ingest.UploadReceived(
        upload_id=upload_id, camera="alpha", kind="product", asset="keogram",
        dialect="allskykamera", received_at=now, taken_at=now, night="2026-11-09",
        parts=parts)


async def test_an_applied_upload_redelivered_changes_nothing(tmp_path: Path) -> None:
    """The staged parts go once the product is indexed, so a redelivery of an older
    upload (its acknowledgement lost) cannot put its bytes over a newer upload's."""
    blobs = BlobStore(tmp_path / "blobs")
    meta = await open_metadata(f"sqlite:///{tmp_path / 'meta.db'}")
    try:
        uploads = UploadedProducts(meta, blobs)
        await uploads.setup()
        older = keogram_upload(blobs, "alpha-product-old", b"older keogram ")
        await uploads.apply(older)
        assert list(blobs.keys("staging")) == []
        newer = keogram_upload(blobs, "alpha-product-new", b"newer keogram ")
        await uploads.apply(newer)
        await uploads.apply(older)  # redelivered: applied before, its parts are gone
        doc_id = ingest.uploaded_product_id("alpha", "2026-11-09", "keogram")
        doc = await meta.get(PRODUCTS_INDEX.name, doc_id)
        assert doc is not None and doc["meta"]["upload_id"] == "alpha-product-new"
        assert blobs.read_bytes(doc["key"]) == b"newer keogram fullhd"
        assert blobs.path(doc["key"]).stat().st_nlink == 1  # its bytes' only name
        assert list(blobs.keys("staging")) == []
    finally:
        await meta.close()


async def test_a_failed_index_write_keeps_the_staged_parts(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    meta = await open_metadata(f"sqlite:///{tmp_path / 'meta.db'}")
    uploads = UploadedProducts(meta, blobs)
    upload = keogram_upload(blobs, "alpha-product-1", b"keogram ")
    await meta.close()  # the store is away: the upload must wait for its redelivery
    try:
        await uploads.apply(upload)
    except Exception:
        pass
    else:
        raise AssertionError("applied without its index")
    assert sorted(blobs.keys("staging")) == sorted(p.key for p in upload.parts.values())
