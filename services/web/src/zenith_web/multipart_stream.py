"""Read a multipart upload part by part, files straight to disk.

:func:`read_upload` never holds a whole body in memory: each file part goes
to a temporary file beside its staging place in the BlobStore (one made
ahead, :mod:`zenith_web.tempfiles`) with its SHA-256 computed, and a part
that passes its size limit is refused at that moment (413), without reading
the rest of the body. Parts the caller checks from memory (``in_memory``:
images, which their check decodes whole anyway) are kept while they stream
in, within a :class:`MemoryBudget` shared by every upload, and written,
hashed and synced to disk in a worker thread once complete, so the event
loop goes on with the body while the file is written and the check can
start on the bytes at once (:attr:`FilePart.data`, :attr:`FilePart.written`;
``on_file`` hears of the part before its write is asked for, so a check
asked for then comes first). Any other part, or one that finds the budget
spent, is written in 256 KiB chunks as it arrives and not yet synced: the
caller checks (and may rewrite) them and makes what it keeps durable
(:func:`zenith.storage.blob.fsync_path`), off the event loop, each as soon
as it is written if it likes (``on_file``). Text fields are short
(``max_field`` bytes) and must not hold path characters. On any error every
temporary file is removed, so a refused upload leaves nothing behind; the
caller removes them otherwise (:meth:`Upload.discard`) once it has moved
what it keeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from aiohttp import BodyPartReader, hdrs, web
from aiohttp.helpers import parse_mimetype
from aiohttp.multipart import content_disposition_filename, parse_content_disposition

from zenith.errors import BadRequest, ZenithError
from zenith_web.tempfiles import TempFiles

CHUNK = 256 * 1024
MAX_FIELDS = 16
FIELD_RE = re.compile(r"^[A-Za-z0-9_.:-]*$")


class PayloadTooLarge(ZenithError):
    status = 413
    default_code = "part_too_large"


class MemoryBudget:
    """Bytes of upload parts held in memory at once, across all uploads (used on
    the event loop only). A part that finds it spent is streamed to disk instead."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, size: int) -> bool:
        if self.used + size > self.limit:
            return False
        self.used += size
        return True

    def give(self, size: int) -> None:
        self.used -= size


@dataclass
class FilePart:
    name: str
    filename: str
    content_type: str
    path: Path
    size: int
    sha256: str  # "" until ``written`` is done (read_upload returns complete parts)
    # a part kept in memory: its bytes (until :meth:`drop_data`), and its file's
    # write and sync (the part's SHA-256), not yet done when ``on_file`` hears of it
    data: bytes | None = None
    written: asyncio.Future[str] | None = None
    budget: MemoryBudget | None = field(default=None, repr=False)

    def drop_data(self) -> None:
        """Let the bytes go (the file has them); gives their memory back to the budget."""
        if self.data is not None and self.budget is not None:
            self.budget.give(len(self.data))
        self.data = None


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, FilePart] = field(default_factory=dict)

    def discard(self) -> None:
        for part in self.files.values():
            part.drop_data()
            with contextlib.suppress(FileNotFoundError):
                part.path.unlink()


async def _read_text(part: BodyPartReader, limit: int) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(4096):
        data.extend(chunk)
        if len(data) > limit:
            raise BadRequest(f"form field {part.name!r} is longer than {limit} bytes",
                             code="field_too_long")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(f"form field {part.name!r} is not UTF-8", code="invalid_field") \
            from None


async def _read_field(part: BodyPartReader, max_field: int) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(1024):
        data.extend(chunk)
        if len(data) > max_field:
            raise BadRequest(f"form field {part.name!r} is longer than {max_field} bytes",
                             code="field_too_long")
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise BadRequest(f"form field {part.name!r} is not UTF-8", code="invalid_field") \
            from None
    if not FIELD_RE.fullmatch(text):
        raise BadRequest(f"form field {part.name!r} holds characters that are not allowed "
                         "(letters, digits, '_', '.', ':', '-')", code="invalid_field")
    return text


def _write_out(fh: BinaryIO, data: bytes) -> str:
    """Write a part kept in memory to its file, sync and close it; its SHA-256.
    Blocking."""
    try:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    finally:
        fh.close()
    return hashlib.sha256(data).hexdigest()


def _retrieve(future: asyncio.Future[str]) -> None:
    if not future.cancelled():
        future.exception()  # a failed write is raised by read_upload, or nobody waits


async def _read_file(part: BodyPartReader, name: str, filename: str, limit: int,
                     fh: BinaryIO, tmp: Path, memory: MemoryBudget | None
                     ) -> tuple[FilePart, BinaryIO | None]:
    """The part, and ``fh`` when its bytes were kept in memory (within ``memory``)
    for :func:`_write_later`; else they went to ``fh`` chunk by chunk as they
    arrived (hashed on the way), and it is closed."""
    digest = hashlib.sha256()
    size = 0
    kept: list[bytes] | None = [] if memory is not None else None
    held = 0  # bytes taken from ``memory`` for this part
    handed_off = False  # the caller writes and closes fh
    try:
        while chunk := await part.read_chunk(CHUNK):
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"part {name!r} is larger than {limit} bytes",
                                      details={"limit": limit})
            if kept is not None:
                assert memory is not None
                if memory.take(len(chunk)):
                    kept.append(chunk)
                    held += len(chunk)
                    continue
                for piece in kept:  # the budget is spent: the rest streams to disk
                    digest.update(piece)
                    fh.write(piece)
                memory.give(held)
                kept, held = None, 0
            digest.update(chunk)
            fh.write(chunk)
        if size == 0:
            raise BadRequest(f"part {name!r} is empty", code="empty_part")
        content_type = part.headers.get("Content-Type", "application/octet-stream")
        if not kept:
            return FilePart(name=name, filename=filename, content_type=content_type,
                            path=tmp, size=size, sha256=digest.hexdigest()), None
        data = bytes(kept[0]) if len(kept) == 1 else b"".join(kept)
        kept = None
        handed_off = True
        return FilePart(name=name, filename=filename, content_type=content_type, path=tmp,
                        size=size, sha256="", data=data, budget=memory), fh
    except BaseException:
        if memory is not None and held:
            memory.give(held)
        raise
    finally:
        if not handed_off:
            fh.close()


def _write_later(part: FilePart, fh: BinaryIO) -> None:
    """Write, sync and close the file of a part kept in memory in a worker thread."""
    assert part.data is not None
    part.written = asyncio.get_running_loop().run_in_executor(None, _write_out, fh, part.data)
    part.written.add_done_callback(_retrieve)


async def _all_written(upload: Upload) -> None:
    """Wait for the files of parts kept in memory (not cancelled by a cancel: their
    threads run on), and give each its digest; a failed write is raised."""
    pending = [part for part in upload.files.values() if part.written is not None]
    if not pending:
        return
    await asyncio.wait([part.written for part in pending if part.written is not None])
    for part in pending:
        assert part.written is not None
        part.sha256 = part.written.result()


# what every client sends: form-data; name="..."[; filename="..."], quoted, no
# escapes, no ';' and no leading '/' in a value (those go the long way)
_SIMPLE_DISPOSITION = re.compile(
    r'form-data(?:[ \t]*;[ \t]*[A-Za-z]+="(?:[^"\\;/][^"\\;]*)?")+[ \t]*', re.IGNORECASE)
_SIMPLE_PARAM = re.compile(r'([A-Za-z]+)="([^"]*)"')


def _names(part: BodyPartReader) -> tuple[str, str | None]:
    """The part's name and filename from one parse of its Content-Disposition
    (``part.name`` and ``part.filename`` parse it once each)."""
    return disposition_names(part.headers.get("Content-Disposition"))


def disposition_names(header: str | None) -> tuple[str, str | None]:
    """Name ("" if none) and filename of a Content-Disposition header. The common
    simple form is read by one regular expression, with the result aiohttp's
    parser gives; anything else (escapes, RFC 5987 or continued parameters, a
    repeated parameter) goes through aiohttp's parser, which costs a tenth of a
    millisecond."""
    if header is not None and _SIMPLE_DISPOSITION.fullmatch(header):
        found = _SIMPLE_PARAM.findall(header)
        params = {key.lower(): value for key, value in found}
        if len(params) == len(found):
            return params.get("name") or "", params.get("filename")
    _, params = parse_content_disposition(header)
    return (content_disposition_filename(params, "name") or "",
            content_disposition_filename(params, "filename"))


def _is_form_data(request: web.Request) -> bool:
    """``multipart/form-data``, from the header alone: ``request.content_type``
    parses it with the email package, over a millisecond for every new boundary
    (its cache never hits: each upload has its own)."""
    mimetype = parse_mimetype(request.headers.get(hdrs.CONTENT_TYPE, ""))
    return (mimetype.type, mimetype.subtype) == ("multipart", "form-data")


async def read_upload(request: web.Request, limits: dict[str, int], files: TempFiles, *,
                      max_field: int = 128, json_fields: dict[str, int] | None = None,
                      on_file: Callable[[FilePart], None] | None = None,
                      in_memory: Callable[[str], bool] | None = None,
                      memory: MemoryBudget | None = None) -> Upload:
    """The fields and files of a ``multipart/form-data`` body.

    Each file part goes to a new file of ``files`` (in the staging folder).
    ``limits`` names every file part allowed and its largest size; other
    file parts, a part given twice and more than :data:`MAX_FIELDS` fields are
    refused. ``json_fields`` names text fields that hold JSON (any characters),
    with their largest size. ``on_file`` hears each file part as soon as it is
    written, while the rest of the body still streams in (to check it
    meanwhile); on an error the files are removed all the same, so whatever it
    started must not create them again. A part ``in_memory`` names is kept in
    ``memory`` (when given and not spent) while it streams in: ``on_file`` then
    hears it with its bytes (:attr:`FilePart.data`) before its file is written
    (:attr:`FilePart.written` is asked for right after, so a check asked for in
    ``on_file`` comes first); the upload returned has every file written, synced
    and hashed."""
    json_fields = json_fields or {}
    if not _is_form_data(request):
        raise BadRequest("send the upload as multipart/form-data", code="not_multipart")
    upload = Upload()
    try:
        try:
            reader = await request.multipart()
        except (ValueError, AssertionError, KeyError) as exc:
            raise BadRequest(f"malformed multipart body: {exc}", code="not_multipart") \
                from None
        count = 0
        while True:
            try:
                part = await reader.next()
            except (ValueError, AssertionError) as exc:
                raise BadRequest(f"malformed multipart body: {exc}",
                                 code="not_multipart") from None
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                raise BadRequest("nested multipart bodies are not accepted",
                                 code="not_multipart")
            count += 1
            name, filename = _names(part)
            if count > MAX_FIELDS + len(limits):
                raise BadRequest("too many parts", code="too_many_parts")
            if name in upload.fields or name in upload.files:
                raise BadRequest(f"part {name!r} is given twice", code="duplicate_part")
            if filename is None and name in json_fields:
                upload.fields[name] = await _read_text(part, json_fields[name])
                continue
            if filename is None:
                upload.fields[name] = await _read_field(part, max_field)
                continue
            if name not in limits:
                raise BadRequest(f"unexpected file part {name!r} (expected "
                                 f"{', '.join(sorted(limits))})", code="unexpected_part")
            fh, tmp = await files.new()
            keep = memory if in_memory is not None and in_memory(name) else None
            try:
                upload.files[name], unwritten = await _read_file(
                    part, name, filename, limits[name], fh, tmp, keep)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                raise
            try:
                if on_file is not None:
                    on_file(upload.files[name])
            finally:
                if unwritten is not None:
                    _write_later(upload.files[name], unwritten)
        await _all_written(upload)
    except BaseException:
        upload.discard()
        raise
    return upload
