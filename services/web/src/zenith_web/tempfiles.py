"""New temporary files for upload parts, made ahead of need.

Creating a file is the slow part of writing a small one while the disk is
busy: on the ext4 disk the benchmark runs on, making a file took 0.5-1 ms
as other uploads were being written and synced (0.07 ms when idle); opening
a file that exists takes 0.01 ms. An upload of three parts that made
its files as they arrived spent a third of its time waiting for them (in a
worker thread, so the event loop went on, but the upload did not).
:class:`TempFiles` keeps a few empty files ready in a folder of their own
(``<folder>/.spare``), made and opened by a background task, and a part takes
one as it is, open: nothing on the event loop looks up a path or waits for
the file system's journal. (Renaming the spare into ``folder`` first, or
opening it with ``O_TRUNC``, changes the directory or the inode: under the
benchmark's load one take in ten then held the loop 0.5-1 ms, one in a
hundred over 3 ms. Even opening it where it is looks its name up in a folder
that other uploads are making and moving files in, and waited on that
folder's lock: a sampled profile of the benchmark found the event loop in
that ``open`` in one sample of ten it was busy.) So ``.spare`` holds the
spares ready, which are empty, and the parts being received, until their
upload moves them to its staging folder or removes them. When no spare is
ready the part's file is made in ``folder``, in a worker thread.

Spares are made only after the first file was asked for (a camera node that
never receives an upload makes none) and removed when the service stops. They
are named like every temporary file of the BlobStore
(``zenith.storage.blob.TMP_PREFIX``: no key lists them): those a
crash left behind are swept like them (``zenith.storage.staging.sweep``), and
one swept while it waited (its open file has no name left) is skipped, like one
that is not empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import deque
from pathlib import Path
from typing import BinaryIO

from zenith.storage.blob import TMP_PREFIX

log = logging.getLogger("zenith.web.ingest")

SPARE = ".spare"
RETRY_S = 60.0  # after spares could not be made, parts make their own this long


def _create_fd(path: Path) -> int:
    """A new file at ``path`` (its folder made when missing), open for writing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    try:
        return os.open(path, flags, 0o666)
    except FileNotFoundError:  # the first upload (or the folder was removed)
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, flags, 0o666)


def _create(path: Path) -> BinaryIO:
    return os.fdopen(_create_fd(path), "wb")


def _make(folder: Path, count: int) -> tuple[list[tuple[int, Path]], OSError | None]:
    """Up to ``count`` new empty files, each open for writing (its descriptor and its
    path), and the error that stopped it early."""
    made: list[tuple[int, Path]] = []
    for _ in range(count):
        path = folder / f"{TMP_PREFIX}{os.urandom(8).hex()}"
        try:
            made.append((_create_fd(path), path))
        except OSError as exc:  # a full or read-only disk: parts make their own
            return made, exc
    return made, None


def _remove(spares: list[tuple[int, Path]]) -> None:
    for fd, path in spares:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


class TempFiles:
    """Temporary files in ``folder``, with up to ``spare`` empty ones kept ready."""

    def __init__(self, folder: Path, spare: int) -> None:
        self.folder = folder
        self.spare_folder = folder / SPARE
        self.spare = spare
        self._ready: deque[tuple[int, Path]] = deque()
        self._refill: asyncio.Task[None] | None = None
        self._failed_at: float | None = None
        self._closed = False

    @property
    def ready(self) -> int:
        return len(self._ready)

    async def new(self) -> tuple[BinaryIO, Path]:
        """An empty file open for writing, and its path. The caller removes it."""
        taken = self._take()
        self._top_up()
        if taken is not None:
            return taken
        path = self.folder / f"{TMP_PREFIX}{os.urandom(8).hex()}"
        # a cancelled request still waits for the file, and removes it
        creating = asyncio.ensure_future(asyncio.to_thread(_create, path))
        try:
            return await asyncio.shield(creating), path
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                (await creating).close()
                path.unlink()
            raise

    def _take(self) -> tuple[BinaryIO, Path] | None:
        while self._ready:
            fd, spare = self._ready.popleft()
            try:  # a look at the open file, not at its folder: no lock, no journal
                found = os.fstat(fd)
                if found.st_nlink > 0 and found.st_size == 0:
                    return os.fdopen(fd, "wb"), spare
            except OSError:
                pass
            # swept while it waited, or written to by someone else: not ours to use
            # (the sweep takes it)
            os.close(fd)
        return None

    def _top_up(self) -> None:
        if self._closed or len(self._ready) >= self.spare:
            return
        if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_S:
            return
        if self._refill is None or self._refill.done():
            self._refill = asyncio.create_task(self._fill(), name="tempfiles-refill")

    async def _fill(self) -> None:
        while not self._closed and len(self._ready) < self.spare:
            made, error = await asyncio.to_thread(_make, self.spare_folder,
                                                  self.spare - len(self._ready))
            if self._closed:
                await asyncio.to_thread(_remove, made)
                return
            self._ready.extend(made)
            if error is not None:
                log.warning("could not make spare staging files (parts make their own "
                            "for %.0f s): %s", RETRY_S, error)
                self._failed_at = time.monotonic()
                return
            self._failed_at = None

    async def close(self) -> None:
        """Stop making spares and remove those still ready."""
        self._closed = True
        if self._refill is not None:
            with contextlib.suppress(Exception):
                await self._refill
        ready, self._ready = list(self._ready), deque()
        await asyncio.to_thread(_remove, ready)
