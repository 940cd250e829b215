"""A zip archive written straight into an HTTP response, as it is built.

:class:`ZipStream` gives :mod:`zipfile` a sink that cannot seek, so every
entry is written with a data descriptor after its bytes, and hands each
piece to the response as soon as zipfile has written it: memory holds one
read buffer, never the archive, and nothing is written to disk. Entries are
stored (``ZIP_STORED``): JPEG and MP4 do not compress; zip64 records are
written for entries and archives beyond 4 GB.
"""

from __future__ import annotations

import asyncio
import io
import os
import zipfile
from datetime import datetime
from pathlib import Path

from aiohttp import web

CHUNK = 1024 * 1024


class _Sink(io.RawIOBase):
    """Collects what zipfile writes until :meth:`take` hands it on."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._buffer.extend(data)
        return len(data)

    def take(self) -> bytes:
        out = bytes(self._buffer)
        self._buffer.clear()
        return out


class ZipStream:
    def __init__(self, response: web.StreamResponse) -> None:
        self.response = response
        self.sink = _Sink()
        self.zip = zipfile.ZipFile(self.sink, "w", compression=zipfile.ZIP_STORED,
                                   allowZip64=True)
        self.entries = 0

    async def _flush(self) -> None:
        data = self.sink.take()
        if data:
            await self.response.write(data)

    async def add_file(self, name: str, path: Path, when: datetime | None = None) -> bool:
        """Add the file at ``path`` as ``name``; False when it is gone."""
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            return False
        with handle:
            stat = os.fstat(handle.fileno())
            stamp = (when or datetime.fromtimestamp(stat.st_mtime)).timetuple()[:6]
            info = zipfile.ZipInfo(name, date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))
            info.file_size = stat.st_size
            info.compress_type = zipfile.ZIP_STORED
            with self.zip.open(info, "w", force_zip64=stat.st_size > 0x7FFFFFFF) as entry:
                while chunk := await asyncio.to_thread(handle.read, CHUNK):
                    entry.write(chunk)
                    await self._flush()
        await self._flush()
        self.entries += 1
        return True

    async def close(self) -> None:
        self.zip.close()
        await self._flush()
