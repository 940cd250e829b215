"""BlobStore: files by key in one directory tree, written atomically.

Keys are relative POSIX paths (``frames/demo/2026-11-21/0001.jpg``); ``..``,
absolute paths and empty segments are refused. A write goes to a temporary
file in the same directory, is fsynced, then renamed over the target, so a
reader never sees half a file and a crash leaves the old version or none.
The same class serves a shared volume (an RWX PVC) in production.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from zenith.errors import BadRequest, NotFound

TMP_PREFIX = ".tmp-"  # a file being written: no key lists it, the staging sweep ages it apart


class BlobStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        """The file behind ``key`` (which need not exist yet)."""
        if not key or key.startswith("/") or "\\" in key or "\x00" in key:
            raise BadRequest(f"invalid blob key {key!r}", code="invalid_key")
        parts = key.split("/")  # not PurePosixPath: it drops '.' and empty segments
        if any(p in ("", ".", "..") for p in parts):
            raise BadRequest(f"invalid blob key {key!r}", code="invalid_key")
        return self.root.joinpath(*parts)

    def write_bytes(self, key: str, data: bytes) -> Path:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _mkstemp(target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            with _suppress_missing():
                os.unlink(tmp)
            raise
        return target

    def write_file(self, key: str, source: str | Path, *, move: bool = False) -> Path:
        """Copy (or move) a finished local file in under ``key``, atomically."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _mkstemp(target.parent)
        os.close(fd)
        try:
            if move:
                shutil.move(str(source), tmp)
                os.chmod(tmp, FILE_MODE)
            else:
                shutil.copyfile(source, tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            with _suppress_missing():
                os.unlink(tmp)
            raise
        return target

    def write_link(self, key: str, source_key: str) -> Path:
        """Make ``key`` another name of the blob ``source_key`` (a hard link: no byte
        is copied), atomically, its folder synced; a copy where the filesystem has no
        hard links. For a source that is about to go (a staged upload): while both
        names live, deleting one frees nothing."""
        source = self.path(source_key)
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".tmp-{os.urandom(8).hex()}"
        try:
            os.link(source, tmp)
        except FileNotFoundError:
            if not source.is_file():
                raise NotFound(f"no blob {source_key}", code="blob_not_found") from None
            raise
        except OSError:  # EXDEV, EPERM, ENOTSUP: no hard links on this volume
            path = self.write_file(key, source)
            fsync_path(target.parent)
            return path
        try:
            os.replace(tmp, target)
        except BaseException:
            with _suppress_missing():
                os.unlink(tmp)
            raise
        fsync_path(target.parent)
        return target

    def temp_path(self, key: str, suffix: str = "") -> Path:
        """A fresh temporary path beside ``key`` for a writer that needs a
        filename (a video encoder); publish it with ``write_file(move=True)``."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _mkstemp(target.parent, suffix)
        os.close(fd)
        return Path(tmp)

    def read_bytes(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise NotFound(f"no blob {key}", code="blob_not_found") from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            raise NotFound(f"no blob {key}", code="blob_not_found") from None

    def delete(self, key: str) -> bool:
        try:
            self.path(key).unlink()
            return True
        except FileNotFoundError:
            return False

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every key under ``prefix`` (a folder key), temporary files left out."""
        base = self.path(prefix) if prefix else self.root
        if not base.is_dir():
            return
        for dirpath, _, files in os.walk(base):
            for name in sorted(files):
                if not name.startswith(TMP_PREFIX):
                    yield Path(dirpath, name).relative_to(self.root).as_posix()

    def usage(self) -> tuple[int, int, int]:
        """(total, used, free) bytes of the filesystem holding the store."""
        du = shutil.disk_usage(self.root)
        return du.total, du.used, du.free

    async def awrite_bytes(self, key: str, data: bytes) -> Path:
        return await asyncio.to_thread(self.write_bytes, key, data)

    async def aread_bytes(self, key: str) -> bytes:
        return await asyncio.to_thread(self.read_bytes, key)


FILE_MODE = 0o644  # readable by a web server or another service's user on a shared volume


def fsync_path(path: str | Path) -> None:
    """Flush a file or a folder (its entries) to the disk. Blocking: call it in a
    worker thread."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _mkstemp(folder: Path, suffix: str = "") -> tuple[int, str]:
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=suffix, dir=folder)
    os.fchmod(fd, FILE_MODE)
    return fd, tmp


class _suppress_missing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool:
        return exc_type is not None and issubclass(exc_type, FileNotFoundError)  # type: ignore[arg-type]
