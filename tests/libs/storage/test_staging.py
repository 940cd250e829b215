"""A hub's staging: an applied upload's parts go; what nothing will take is swept."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from zenith.contracts import ingest
from zenith.contracts.streams import STREAMS
from zenith.storage.blob import BlobStore
from zenith.storage.staging import TMP_MAX_AGE_S, sweep, unstage

DAY = 86400.0


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


def files(blobs: BlobStore) -> list[str]:
    return sorted(blobs.keys("staging")) + sorted(
        p.name for p in blobs.path("staging").glob(".tmp-*"))


def upload(upload_id: str, keys: dict[str, str]) -> ingest.UploadReceived:
    now = datetime.now(UTC)
    return ingest.UploadReceived(
        upload_id=upload_id, camera="alpha", kind="frame", asset="image",
        dialect="allskykamera", received_at=now, taken_at=now,
        parts={name: ingest.StagedPart(name=name, key=key, size=1, sha256="0" * 64,
                                       content_type="image/jpeg")
               for name, key in keys.items()})


def test_keys_are_each_requests_own() -> None:
    key = ingest.staging_key("alpha", "alpha-frame-1234", "r1", "fullhd", "jpg")
    assert key == "staging/alpha/alpha-frame-1234.r1/fullhd.jpg"
    assert key.startswith(ingest.staging_folder("alpha", "alpha-frame-1234", "r1") + "/")
    assert ingest.is_staged_for(key, "alpha", "alpha-frame-1234")
    assert not ingest.is_staged_for(key, "alpha", "alpha-frame-12")
    assert not ingest.is_staged_for(key, "beta", "alpha-frame-1234")
    assert not ingest.is_staged_for("frames/alpha/n/f.jpg", "alpha", "alpha-frame-1234")


def test_the_sweep_waits_past_the_ingest_streams_age_limit() -> None:
    [spec] = [s for s in STREAMS if s.name == ingest.UPLOAD_RECEIVED.stream]
    assert ingest.STAGING_MAX_AGE_S > spec.max_age_s


def test_unstage_removes_the_uploads_parts_and_folder_only(blobs: BlobStore) -> None:
    own = {name: ingest.staging_key("alpha", "u1", "r1", name, "jpg")
           for name in ("fullhd", "mobile", "thumb")}
    legacy = f"staging/alpha/ab/{'ab' * 32}.jpg"  # content-addressed: maybe shared
    others = [ingest.staging_key("alpha", "u2", "r1", "fullhd", "jpg"),
              ingest.staging_key("alpha", "u1", "r2", "fullhd", "jpg")]  # u1's retry
    for key in [*own.values(), legacy, *others]:
        blobs.write_bytes(key, b"x")
    unstage(blobs, upload("u1", {**own, "other": legacy}))
    assert files(blobs) == sorted([legacy, *others])
    assert not blobs.path("staging/alpha/u1.r1").exists()
    unstage(blobs, upload("u1", own))  # again (a redelivery): nothing to do, no error


def test_unstage_keeps_a_folder_holding_more(blobs: BlobStore) -> None:
    key = ingest.staging_key("alpha", "u1", "r1", "fullhd", "jpg")
    blobs.write_bytes(key, b"x")
    blobs.write_bytes(ingest.staging_key("alpha", "u1", "r1", "mobile", "jpg"), b"y")
    unstage(blobs, upload("u1", {"fullhd": key}))
    assert files(blobs) == ["staging/alpha/u1.r1/mobile.jpg"]


def age(path: Path, seconds: float) -> None:
    when = time.time() - seconds
    os.utime(path, (when, when))


def test_sweep_removes_only_what_is_older_than_its_limit(blobs: BlobStore) -> None:
    old = ingest.staging_key("alpha", "orphan", "r1", "fullhd", "jpg")
    fresh = ingest.staging_key("alpha", "inflight", "r1", "fullhd", "jpg")
    legacy = f"staging/beta/ab/{'ab' * 32}.jpg"
    for key in (old, fresh, legacy):
        blobs.write_bytes(key, b"12345")
    age(blobs.path(old), ingest.STAGING_MAX_AGE_S + DAY)
    age(blobs.path(legacy), ingest.STAGING_MAX_AGE_S + DAY)
    tmp_old, tmp_new = blobs.path("staging/.tmp-crashed"), blobs.path("staging/.tmp-reading")
    tmp_old.write_bytes(b"half")
    tmp_new.write_bytes(b"half")
    age(tmp_old, TMP_MAX_AGE_S + 60)
    swept = sweep(blobs)
    assert (swept.files, swept.bytes) == (3, 14)
    assert files(blobs) == [fresh, ".tmp-reading"]
    # the emptied folders went (beta's too), the root and the live ones stay
    assert sorted(p.name for p in blobs.path("staging").iterdir()) == [".tmp-reading",
                                                                      "alpha"]
    assert sorted(p.name for p in blobs.path("staging/alpha").iterdir()) == ["inflight.r1"]
    assert swept.folders == 3
    assert sweep(blobs).files == 0


def test_sweep_leaves_a_folder_made_a_moment_ago(blobs: BlobStore) -> None:
    blobs.path("staging/alpha/new-upload").mkdir(parents=True)  # its parts come next
    sweep(blobs)
    assert blobs.path("staging/alpha/new-upload").is_dir()
    assert sweep(blobs, now=time.time() + 2 * 3600).folders == 2
    assert blobs.path("staging").is_dir()


def test_sweep_of_a_hub_without_staging(blobs: BlobStore) -> None:
    assert sweep(blobs).files == 0
