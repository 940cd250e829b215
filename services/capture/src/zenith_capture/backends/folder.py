"""``folder``: ingest the images another program (Allsky, indi-allsky) writes.

Watches ``capture_folder_path`` and its subfolders (Allsky writes
``images/YYYYMMDD/image-YYYYMMDDhhmmss.jpg``, indi-allsky
``.../exposures/YYYYMMDD/night/...``). A file is taken only when it is
finished: its size and modification time are the same on two scans in a
row and it decodes completely (a JPEG needs its end marker, a PNG its IEND
chunk). Hidden files and temporary names (``*.tmp``, ``*.part``, ...) are
ignored. A file still incomplete after ``capture_folder_settle_s`` seconds
without a change is rejected as truncated (or empty); one that does not
decode is rejected as corrupt. A file that changes after being handled is looked at
again. The capture loop remembers what was handled in the MetadataStore
(:meth:`skip_known` receives it at start), so each file is ingested at most
once across restarts.

``taken_at`` comes from a timestamp in the file name (``20261121223015``,
``20261121_223015``, ``2026-11-21T22-30-15``; in ``capture_folder_timezone``),
else from the file's modification time.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zenith.errors import ConfigError
from zenith.imaging.decode import ImageError, decode_image
from zenith_capture.backends.base import CameraDriver, DriverError, FrameRejected, RawFrame

EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff"})
TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".swp", "~")
_STAMPS = (
    re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})[_T-]?(\d{2})(\d{2})(\d{2})(?!\d)"),
    re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})[_T ](\d{2})[-:_](\d{2})[-:_](\d{2})(?!\d)"),
)
_REASONS = {"empty_image": "empty", "truncated_image": "truncated", "unreadable": "unreadable"}


def timezone_named(name: str) -> tzinfo:
    if name.lower() == "local":
        local = datetime.now().astimezone().tzinfo
        return local or UTC
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"ZENITH_CAPTURE_FOLDER_TIMEZONE: unknown time zone {name!r}") \
            from None


def time_from_name(name: str, tz: tzinfo) -> datetime | None:
    for pattern in _STAMPS:
        match = pattern.search(name)
        if match:
            try:
                parts = [int(p) for p in match.groups()]
                year, month, day, hour, minute, second = parts
                return datetime(year, month, day, hour, minute, second,
                                tzinfo=tz).astimezone(UTC)
            except ValueError:
                continue
    return None


def is_candidate(name: str) -> bool:
    lower = name.lower()
    if name.startswith(".") or lower.endswith(TEMP_SUFFIXES):
        return False
    return os.path.splitext(lower)[1] in EXTENSIONS


class FolderDriver(CameraDriver):
    name = "folder"
    controls_exposure = False
    paced_by_source = True

    root: Path

    def open(self) -> None:
        path = self.settings.capture_folder_path
        if path is None:
            raise DriverError("the folder driver needs ZENITH_CAPTURE_FOLDER_PATH",
                              code="not_configured")
        self.root = Path(path).expanduser()
        self.tz = timezone_named(self.settings.capture_folder_timezone)
        self._seen: dict[str, tuple[int, int]] = {}
        self._since: dict[str, float] = {}  # when each file last changed (monotonic)
        self._done: dict[str, tuple[int, int]] = getattr(self, "_done", {})
        self._queue: list[str] = []
        self.scan()
        self._last_scan = time.monotonic()

    def skip_known(self, done: Mapping[str, tuple[int, int]]) -> None:
        self._done = dict(getattr(self, "_done", {}))
        self._done.update(done)

    def mark_done(self, source: str, signature: tuple[int, int] | None) -> None:
        if signature is not None:
            self._done[source] = signature

    # -- scanning ----------------------------------------------------------
    def _walk(self) -> list[tuple[str, tuple[int, int]]]:
        if not self.root.is_dir():
            what = "does not exist" if not self.root.exists() else "is not a folder"
            raise DriverError(f"image folder {self.root} {what}", code="folder_unavailable")
        failures: list[OSError] = []
        found: list[tuple[str, tuple[int, int]]] = []
        for dirpath, dirnames, filenames in os.walk(self.root, onerror=failures.append):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in filenames:
                if not is_candidate(name):
                    continue
                full = os.path.join(dirpath, name)
                try:
                    st = os.stat(full)
                except OSError:
                    continue  # removed while scanning
                rel = os.path.relpath(full, self.root).replace(os.sep, "/")
                found.append((rel, (st.st_size, st.st_mtime_ns)))
        top_failed = [f for f in failures if Path(f.filename or "") == self.root]
        if top_failed:
            raise DriverError(f"image folder {self.root} is unreadable: "
                              f"{top_failed[0].strerror}", code="folder_unavailable")
        return found

    def scan(self) -> list[str]:
        """Files that have settled since the last scan, oldest name first."""
        ready: list[str] = []
        current: dict[str, tuple[int, int]] = {}
        now = time.monotonic()
        for rel, sig in self._walk():
            if self._done.get(rel) == sig:
                continue
            current[rel] = sig
            if self._seen.get(rel) == sig:
                ready.append(rel)
            else:
                self._since[rel] = now
        self._seen = current
        self._since = {k: v for k, v in self._since.items() if k in current}
        return sorted(ready)

    # -- frames ------------------------------------------------------------
    def capture(self, exposure_s: float, gain: float) -> RawFrame | None:
        """The next finished file; None when there is none (at most one scan
        per ``capture_folder_poll_s``, so "unchanged on two scans" means
        unchanged for that long)."""
        if not self._queue:
            now = time.monotonic()
            if now - self._last_scan < self.settings.capture_folder_poll_s:
                return None
            self._last_scan = now
            self._queue = self.scan()
        while self._queue:
            frame = self._load(self._queue.pop(0))
            if frame is not None:
                return frame
        return None

    def _load(self, rel: str) -> RawFrame | None:
        sig = self._seen.get(rel)
        if sig is None:
            return None
        full = self.root / rel
        try:
            data = full.read_bytes()
            st = full.stat()
        except OSError as exc:
            raise FrameRejected("unreadable", f"cannot read {rel}: {exc.strerror}", rel,
                                sig) from None
        if (st.st_size, st.st_mtime_ns) != sig or len(data) != sig[0]:
            self._seen[rel] = (st.st_size, st.st_mtime_ns)
            self._since[rel] = time.monotonic()
            return None  # still being written
        try:
            image = decode_image(data)
        except ImageError as exc:
            reason = _REASONS.get(exc.code, "corrupt")
            quiet = time.monotonic() - self._since.get(rel, 0.0)
            if reason in ("empty", "truncated") and quiet < self.settings.capture_folder_settle_s:
                return None  # perhaps still being written: look again later
            raise FrameRejected(reason, f"{rel}: {exc.message}", rel, sig) from None
        taken_at = time_from_name(os.path.basename(rel), self.tz) or \
            datetime.fromtimestamp(st.st_mtime, UTC)
        encoded = data if data[:3] == b"\xff\xd8\xff" and image.bit_depth == 8 else None
        return RawFrame(pixels=image.pixels, taken_at=taken_at, bit_depth=image.bit_depth,
                        source=rel, signature=sig, digest=hashlib.sha256(data).hexdigest(),
                        encoded=encoded)

    def snapshot(self, exposure_s: float, gain: float) -> RawFrame:
        """The newest finished image in the folder (nothing is marked ingested)."""
        files = sorted(self._walk(), key=lambda item: item[1][1], reverse=True)
        for rel, _sig in files[:20]:
            try:
                data = (self.root / rel).read_bytes()
                image = decode_image(data)
            except (OSError, ImageError):
                continue
            taken_at = time_from_name(os.path.basename(rel), self.tz) or \
                datetime.fromtimestamp((self.root / rel).stat().st_mtime, UTC)
            return RawFrame(pixels=image.pixels, taken_at=taken_at, bit_depth=image.bit_depth,
                            source=rel)
        raise DriverError(f"no finished image in {self.root} yet", code="no_frame")
