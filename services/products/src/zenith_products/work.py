"""A folder of the BlobStore holding a camera's unfinished work.

Files written here are only trusted once a committed checkpoint names
them; names carry the writer's lease token, so a worker that lost its
lease can never overwrite a file its successor relies on.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from zenith.storage.blob import BlobStore


class WorkDir:
    def __init__(self, blobs: BlobStore, prefix: str, token: str = "x") -> None:
        self.blobs = blobs
        self.prefix = prefix.rstrip("/")
        self.token = token

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def name(self, stem: str, suffix: str) -> str:
        """A fresh file name owned by this writer: ``<stem>-<token><suffix>``."""
        return f"{stem}-{self.token}{suffix}"

    def write(self, name: str, data: bytes) -> None:
        self.blobs.write_bytes(self.key(name), data)

    def read(self, name: str) -> bytes:
        return self.blobs.read_bytes(self.key(name))

    def path(self, name: str) -> Path:
        return self.blobs.path(self.key(name))

    def temp_path(self, suffix: str = "") -> Path:
        return self.blobs.temp_path(self.key("tmp"), suffix)

    def put_file(self, name: str, source: Path) -> None:
        self.blobs.write_file(self.key(name), source, move=True)

    def delete(self, name: str) -> None:
        self.blobs.delete(self.key(name))

    def names(self) -> list[str]:
        start = len(self.prefix) + 1
        return [key[start:] for key in self.blobs.keys(self.prefix)]

    def prune(self, keep: set[str]) -> int:
        """Delete every file not in ``keep``; returns how many."""
        removed = 0
        for name in self.names():
            if name not in keep:
                self.delete(name)
                removed += 1
        return removed

    def clean_temp(self) -> None:
        """Delete temporary files left by a writer that died (call before writing)."""
        folder = self.blobs.path(self.prefix)
        if folder.is_dir():
            for tmp in folder.rglob(".tmp-*"):
                tmp.unlink(missing_ok=True)

    def remove_all(self) -> None:
        shutil.rmtree(self.blobs.path(self.prefix), ignore_errors=True)
