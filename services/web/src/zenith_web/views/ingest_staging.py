"""An upload's parts on their way to staging: checked, synced, moved to their keys.

Each file part is checked by decoding it (:mod:`zenith_web.uploadcheck`) in a
worker thread as soon as it is received, while the rest of the body still
streams in (:class:`PartChecks`): at once if the camera's key was accepted
lately (:class:`KnownKeys`), else once this upload's key was accepted. An
image kept in memory (:mod:`zenith_web.multipart_stream`) is decoded from
its bytes while its file is being written, anything else from its file. The
file's fsync runs beside the check in a thread of its own; a part whose
metadata was stripped is rewritten and synced again. Once every part the route needs
passed (:func:`checked`), the route builds its event, and :func:`stage` moves
the parts to a staging folder of the request's own (``ingest.staging_folder``:
no other event names them).

Nothing here may leave a file behind: a check still running when its upload
is refused is waited for (:meth:`PartChecks.settle`; a thread cannot be
stopped) before the files go, and a check never creates a file that was
removed under it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple

from zenith.contracts import camerakeys, ingest
from zenith.errors import BadRequest
from zenith.storage.blob import BlobStore, fsync_path
from zenith.storage.staging import unstage
from zenith_web.multipart_stream import FilePart, Upload
from zenith_web.uploadcheck import (
    check_and_strip_jpeg,
    check_jpeg_file,
    check_video_file,
    rewrite,
)

IMAGE_WIDTHS = {"fullhd": 1920, "mobile": 960, "thumb": 480}  # the AllSkyKamera sizes
MAX_WIDTHS = {**IMAGE_WIDTHS, "frame": 8192, "crop": 8192, "diff": 8192}  # a node's meteor

KNOWN_TTL_S = 600.0
MAX_KNOWN = 10_000

# content type, extension, width, height, codec
CheckResult = tuple[str, str, int | None, int | None, str | None]
# a part checked and on disk: what it is, and its file's size
PartDone = tuple[CheckResult, int]


def _ext(content_type: str) -> str:
    return {"image/jpeg": "jpg", "video/mp4": "mp4", "video/webm": "webm",
            "application/json": "json"}.get(content_type, "mp4")


class Checked(NamedTuple):
    result: CheckResult
    clean: bytes | None  # what the file must be rewritten with (checked in memory)
    rewritten: bool  # the check rewrote the file itself


def check_part(how: str, name: str, source: Path | bytes, max_pixels: int) -> Checked:
    """Check one part (``how``: image, video or json) by decoding it, and strip it.
    ``source`` is its file, or the bytes of an image kept in memory while its file
    is written: then the stripped bytes come back for the caller to write once the
    file is complete. Blocking."""
    if how == "image":
        max_width = MAX_WIDTHS.get(name, 1920)
        if isinstance(source, bytes):
            info, clean = check_and_strip_jpeg(source, max_width=max_width,
                                               max_pixels=max_pixels)
            return Checked(("image/jpeg", "jpg", info.width, info.height, None), clean, False)
        info = check_jpeg_file(source, max_width=max_width, max_pixels=max_pixels)
        return Checked(("image/jpeg", "jpg", info.width, info.height, None), None,
                       info.rewritten)
    assert isinstance(source, Path)
    if how == "video":
        video = check_video_file(source, max_pixels=max_pixels)
        content_type = "video/webm" if video.codec == "vp9" else "video/mp4"
        return Checked((content_type, _ext(content_type), video.width, video.height,
                        video.codec), None, True)
    _check_json(source, name)
    return Checked(("application/json", "json", None, None, None), None, False)


def _check_json(path: Path, name: str) -> None:
    import json

    try:
        value = json.loads(path.read_bytes())
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest(f"part {name!r} is not valid JSON", code="invalid_json") from None
    if not isinstance(value, dict | list):
        raise BadRequest(f"part {name!r} must be a JSON object or list", code="invalid_json")


def checked_and_synced(how: str, part: FilePart, max_pixels: int
                       ) -> asyncio.Future[PartDone]:
    """The part checked and on disk. The check's thread is asked for before this
    returns (the event loop may stay busy with the body a while): on the bytes of
    an image kept in memory at once, while its file is still being written and
    synced (:attr:`FilePart.written`); on the file once written otherwise, with
    its fsync beside it."""
    loop = asyncio.get_running_loop()
    checking = None
    if part.data is not None and how == "image":
        checking = loop.run_in_executor(None, check_part, how, part.name, part.data,
                                        max_pixels)
    elif part.written is None and part.data is None:
        checking = loop.run_in_executor(None, check_part, how, part.name, part.path,
                                        max_pixels)
    return asyncio.ensure_future(_finish_check(how, part, max_pixels, checking))


async def _finish_check(how: str, part: FilePart, max_pixels: int,
                        checking: asyncio.Future[Checked] | None) -> PartDone:
    loop = asyncio.get_running_loop()
    # a part kept in memory has its write (which syncs it too) asked for right after
    # on_file, before this task first runs
    kept = part.written is not None
    try:
        if part.written is not None:
            await asyncio.wait([part.written])
            part.written.result()  # a failed write fails the part
        syncing = None if kept else loop.run_in_executor(None, fsync_path, part.path)
        try:
            if checking is None:
                checking = loop.run_in_executor(None, check_part, how, part.name, part.path,
                                                max_pixels)
            checked = await checking
            if checked.clean is not None:
                await asyncio.to_thread(rewrite, part.path, checked.clean)
        finally:
            synced = None if syncing is None else \
                (await asyncio.gather(syncing, return_exceptions=True))[0]
    finally:
        if checking is not None and not checking.done():
            await asyncio.wait([checking])  # the thread holds the bytes: let it finish
        part.drop_data()
    size = part.size if checked.clean is None else len(checked.clean)
    if checked.rewritten:  # its size is the file's (read off the event loop)
        size = await asyncio.to_thread(_synced_size, part.path)
    elif checked.clean is not None or isinstance(synced, BaseException):
        await asyncio.to_thread(fsync_path, part.path)
    return checked.result, size


def _synced_size(path: Path) -> int:
    fsync_path(path)
    return path.stat().st_size


class KnownKeys:
    """Digests of the credentials accepted in the last :data:`KNOWN_TTL_S` seconds:
    a hint, never a permission. A camera whose key was accepted lately has its
    parts checked without waiting for this upload's verdict (the key check, a bus
    round trip or more, takes as long as streaming a live image); a stranger's
    parts wait for the verdict, so its upload costs no decoding. A refusal drops
    the digest at once. The verdict still decides every upload."""

    def __init__(self) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()

    @staticmethod
    def _digest(credential: str) -> str:
        return hashlib.sha256(credential.encode()).hexdigest()

    def known(self, credential: str) -> bool:
        seen = self._seen.get(self._digest(credential))
        return seen is not None and time.monotonic() - seen < KNOWN_TTL_S

    def accepted(self, credential: str) -> None:
        digest = self._digest(credential)
        self._seen[digest] = time.monotonic()
        self._seen.move_to_end(digest)
        while len(self._seen) > MAX_KNOWN:
            self._seen.popitem(last=False)

    def refused(self, credential: str) -> None:
        self._seen.pop(self._digest(credential), None)


class PartChecks:
    """Each part's check, started as soon as the part is written (while the rest of
    the body streams in) when the route knows already how to check it: at once for a
    key accepted lately (:class:`KnownKeys`), else once the key was accepted."""

    def __init__(self, verdict: asyncio.Future[camerakeys.KeyVerdict], checks: dict[str, str],
                 max_pixels: int, *, wait_for_verdict: bool = True) -> None:
        self.verdict = verdict
        self.checks = checks  # the route's: it may add parts once the fields are read
        self.max_pixels = max_pixels
        self.wait_for_verdict = wait_for_verdict
        self.started: dict[str, tuple[str, asyncio.Future[PartDone]]] = {}

    def on_file(self, part: FilePart) -> None:
        how = self.checks.get(part.name)
        if how is None:
            return
        started = (checked_and_synced(how, part, self.max_pixels) if not self.wait_for_verdict
                   else asyncio.ensure_future(self._early(how, part)))
        self.started[part.name] = (how, started)

    async def _early(self, how: str, part: FilePart) -> PartDone:
        await asyncio.shield(self.verdict)
        return await checked_and_synced(how, part, self.max_pixels)

    def result(self, how: str, part: FilePart) -> asyncio.Future[PartDone]:
        """The part's check: the one started early if it checks the same way."""
        started = self.started.get(part.name)
        if started is not None and started[0] == how:
            del self.started[part.name]
            return started[1]
        return checked_and_synced(how, part, self.max_pixels)

    async def settle(self) -> None:
        """Wait for every check still running, so nothing touches the files once they
        are removed."""
        await asyncio.gather(*(future for _, future in self.started.values()),
                             return_exceptions=True)
        self.started.clear()


def _move(moves: list[tuple[Path, Path]]) -> None:
    """Move checked files to their staging keys (their folder is new)."""
    for source, target in moves:
        try:
            os.replace(source, target)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)


async def checked(upload: Upload, checks: dict[str, str], part_checks: PartChecks
                  ) -> dict[str, ingest.StagedPart]:
    """Check every part (``checks``: part -> image|video|json), all at once (those
    ``part_checks`` started already are awaited); returns what each part is, its
    key not given yet (:func:`stage` gives it)."""
    for name in checks:
        if name not in upload.files:
            raise BadRequest(f"missing file part {name!r}", code="missing_part")
    names = list(checks)
    results = await asyncio.gather(
        *(part_checks.result(checks[name], upload.files[name]) for name in names),
        return_exceptions=True)  # every thread is done before a failure discards files
    for result in results:
        if isinstance(result, BaseException):
            raise result
    staged: dict[str, ingest.StagedPart] = {}
    for name, result in zip(names, results, strict=True):
        assert not isinstance(result, BaseException)
        (content_type, _, width, height, codec), size = result
        part = upload.files[name]
        staged[name] = ingest.StagedPart(
            name=name, key="", size=size, sha256=part.sha256,
            content_type=content_type, width=width, height=height, codec=codec)
    return staged


async def stage(blobs: BlobStore, event: ingest.UploadReceived, upload: Upload
                ) -> ingest.UploadReceived:
    """Move the checked files of ``event``'s parts (found by their digest: a route
    may rename a part) to a staging folder of this request's own
    (``ingest.staging_folder``); returns the event naming them. On a failure the
    parts moved already go again."""
    attempt = os.urandom(6).hex()
    files: dict[str, list[Path]] = {}
    for file in upload.files.values():
        files.setdefault(file.sha256, []).append(file.path)
    parts: dict[str, ingest.StagedPart] = {}
    moves: list[tuple[Path, Path]] = []
    for name, part in event.parts.items():
        key = ingest.staging_key(event.camera, event.upload_id, attempt, name,
                                 _ext(part.content_type))
        parts[name] = part.model_copy(update={"key": key})
        moves.append((files[part.sha256].pop(), blobs.path(key)))
    staged = event.model_copy(update={"parts": parts})
    try:
        await asyncio.to_thread(_move, moves)
    except BaseException:
        await asyncio.to_thread(unstage, blobs, staged)
        raise
    return staged
