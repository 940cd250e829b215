"""BlobStore: files by key in a directory, written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zenith.errors import BadRequest, NotFound
from zenith.storage.blob import BlobStore


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


def files_on_disk(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_write_read_overwrite(blobs: BlobStore) -> None:
    key = "frames/demo/2026-11-21/0001.jpg"
    blobs.write_bytes(key, b"first")
    assert blobs.read_bytes(key) == b"first"
    assert blobs.exists(key) and blobs.size(key) == 5
    blobs.write_bytes(key, b"second version")
    assert blobs.read_bytes(key) == b"second version"
    assert files_on_disk(blobs.root) == [key]  # no temporary file left behind


def test_a_failed_write_keeps_the_old_version_and_no_temp_file(blobs: BlobStore,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    blobs.write_bytes("a/b.bin", b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        blobs.write_bytes("a/b.bin", b"new")
    monkeypatch.undo()
    assert blobs.read_bytes("a/b.bin") == b"old"
    assert files_on_disk(blobs.root) == ["a/b.bin"]


def test_write_file_copies_or_moves(blobs: BlobStore, tmp_path: Path) -> None:
    source = tmp_path / "out.mp4"
    source.write_bytes(b"video")
    blobs.write_file("videos/demo/night.mp4", source)
    assert source.exists() and blobs.read_bytes("videos/demo/night.mp4") == b"video"
    blobs.write_file("videos/demo/moved.mp4", source, move=True)
    assert not source.exists() and blobs.read_bytes("videos/demo/moved.mp4") == b"video"


def test_temp_path_is_hidden_from_keys_until_published(blobs: BlobStore) -> None:
    tmp = blobs.temp_path("videos/demo/night.mp4", suffix=".mp4")
    tmp.write_bytes(b"encoding...")
    assert list(blobs.keys()) == []
    blobs.write_file("videos/demo/night.mp4", tmp, move=True)
    assert list(blobs.keys()) == ["videos/demo/night.mp4"]


def test_keys_lists_everything_or_a_folder(blobs: BlobStore) -> None:
    for key in ("a/1.jpg", "a/2.jpg", "a/sub/3.jpg", "b/4.jpg", "top.txt"):
        blobs.write_bytes(key, b"x")
    assert sorted(blobs.keys()) == ["a/1.jpg", "a/2.jpg", "a/sub/3.jpg", "b/4.jpg", "top.txt"]
    assert sorted(blobs.keys("a")) == ["a/1.jpg", "a/2.jpg", "a/sub/3.jpg"]
    assert list(blobs.keys("missing")) == []


def test_delete(blobs: BlobStore) -> None:
    blobs.write_bytes("a/1.jpg", b"x")
    assert blobs.delete("a/1.jpg") is True
    assert blobs.delete("a/1.jpg") is False
    assert not blobs.exists("a/1.jpg")
    with pytest.raises(NotFound):
        blobs.read_bytes("a/1.jpg")
    with pytest.raises(NotFound):
        blobs.size("a/1.jpg")


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../outside", "a/../../b", "a//b", "a/./b",
                                 "a\\b", "nul\x00byte", ".."])
def test_bad_keys_are_refused(blobs: BlobStore, key: str) -> None:
    with pytest.raises(BadRequest):
        blobs.write_bytes(key, b"x")
    with pytest.raises(BadRequest):
        blobs.read_bytes(key)
    with pytest.raises(BadRequest):
        blobs.delete(key)
    assert files_on_disk(blobs.root.parent) == []


async def test_async_helpers(blobs: BlobStore) -> None:
    await blobs.awrite_bytes("x/y.bin", b"async")
    assert await blobs.aread_bytes("x/y.bin") == b"async"


def test_usage_reports_the_filesystem(blobs: BlobStore) -> None:
    total, used, free = blobs.usage()
    assert total > 0 and 0 <= used <= total and 0 <= free <= total


def test_blobs_are_readable_by_other_users(tmp_path):
    store = BlobStore(tmp_path)
    assert store.write_bytes("a/b.jpg", b"x").stat().st_mode & 0o777 == 0o644
    src = tmp_path / "src.bin"
    src.write_bytes(b"y")
    src.chmod(0o600)
    assert store.write_file("a/c.bin", src).stat().st_mode & 0o777 == 0o644


def test_write_link_names_the_same_bytes_without_a_copy(blobs: BlobStore) -> None:
    blobs.write_bytes("staging/a/u1/fullhd.jpg", b"frame bytes")
    blobs.write_bytes("frames/a/old.jpg", b"older")
    blobs.write_link("frames/a/old.jpg", "staging/a/u1/fullhd.jpg")  # replaces
    source, target = blobs.path("staging/a/u1/fullhd.jpg"), blobs.path("frames/a/old.jpg")
    assert target.read_bytes() == b"frame bytes"
    assert os.path.samestat(source.stat(), target.stat())
    blobs.delete("staging/a/u1/fullhd.jpg")
    assert target.stat().st_nlink == 1 and target.read_bytes() == b"frame bytes"
    with pytest.raises(NotFound):
        blobs.write_link("frames/a/new.jpg", "staging/a/u1/fullhd.jpg")
    assert files_on_disk(blobs.root) == ["frames/a/old.jpg"]


def test_write_link_copies_where_a_volume_has_no_hard_links(
        blobs: BlobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    def no_links(source: object, target: object) -> None:
        raise OSError(errno.EXDEV, "cross-device link")

    blobs.write_bytes("staging/a/u1/file.mp4", b"video")
    monkeypatch.setattr(os, "link", no_links)
    blobs.write_link("products/a/file.mp4", "staging/a/u1/file.mp4")
    assert blobs.read_bytes("products/a/file.mp4") == b"video"
    assert blobs.path("products/a/file.mp4").stat().st_nlink == 1
    assert files_on_disk(blobs.root) == ["products/a/file.mp4", "staging/a/u1/file.mp4"]
