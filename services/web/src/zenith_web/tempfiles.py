"""New temporary files for upload parts, made ahead of need.

Creating a file is the slow part of writing a small one while the disk is
busy: on the ext4 disk the benchmark runs on, making a file took 0.5-1 ms
as other uploads were being written and synced (0.07 ms when idle); opening
a file that exists takes 0.01 ms. An upload of three parts that made
its files as they arrived spent a third of its time waiting for them (in a
worker thread, so the event loop went on, but the upload did not).
:class:`TempFiles` keeps a few empty files ready in a folder of their own
(``<folder>/.spare``), made by a background task, and a part takes one by
opening it where it is: nothing on the event loop waits for the file
system's journal. (Renaming the spare into ``folder`` first, or opening it
with ``O_TRUNC``, changes the directory or the inode: under the benchmark's
load one take in ten then held the loop 0.5-1 ms, one in a hundred over
3 ms.) So ``.spare`` holds the spares ready, which are empty, and the parts
being received, until their upload moves them to its staging folder or
removes them. When no spare is ready the part's file is made in ``folder``,
in a worker thread.

Spares are made only after the first file was asked for (a camera node that
never receives an upload makes none) and removed when the service stops. They
are named like every temporary file of the BlobStore
(``zenith.storage.blob.TMP_PREFIX``: no key lists them): those a
crash left behind are swept like them (``zenith.storage.staging.sweep``), and
one swept while it waited is skipped, like one that is not empty.
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


def _create(path: Path) -> BinaryIO:
    try:
        return path.open("xb")
    except FileNotFoundError:  # the first upload (or the folder was removed)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("xb")


def _make(folder: Path, count: int) -> tuple[list[Path], OSError | None]:
    """Up to ``count`` new empty files, and the error that stopped it early."""
    made: list[Path] = []
    for _ in range(count):
        path = folder / f"{TMP_PREFIX}{os.urandom(8).hex()}"
        try:
            _create(path).close()
        except OSError as exc:  # a full or read-only disk: parts make their own
            return made, exc
        made.append(path)
    return made, None


def _remove(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


class TempFiles:
    """Temporary files in ``folder``, with up to ``spare`` empty ones kept ready."""

    def __init__(self, folder: Path, spare: int) -> None:
        self.folder = folder
        self.spare_folder = folder / SPARE
        self.spare = spare
        self._ready: deque[Path] = deque()
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
            spare = self._ready.popleft()
            try:  # an existing file, opened where it is: no journal, a few microseconds
                fd = os.open(spare, os.O_WRONLY)
            except OSError:  # swept while it waited
                continue
            try:
                if os.fstat(fd).st_size == 0:
                    return os.fdopen(fd, "wb"), spare
            except OSError:
                pass
            os.close(fd)  # written to by someone else: not ours to use (the sweep takes it)
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
