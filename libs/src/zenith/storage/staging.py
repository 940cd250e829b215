"""A hub's staged uploads (``contracts.ingest``): taken away once applied, swept
when nothing will ever apply them.

``web`` stages each request's parts in a folder of their own
(``ingest.staging_folder``); a retry answered as a duplicate removes its copy
(:func:`unstage`) at once. The consumer that applies an upload (capture for
a frame, products for a product or a meteor candidate) calls :func:`unstage`
once what it made of the parts is durable; a part already gone tells a
redelivery that its upload was applied. What no one will take (a request
that failed while or after it was announced: it may be stored all the same;
a crashed request's temporary file) is left to :func:`sweep`, which ``web``
runs now and then: it walks only what is still staged, a handful of uploads
in flight and the rare orphan, never the frames.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from zenith.contracts import ingest
from zenith.storage.blob import TMP_PREFIX, BlobStore

log = logging.getLogger("zenith.storage.staging")

TMP_MAX_AGE_S = 24 * 3600.0
"""A request's temporary file (``staging/.tmp-*``) older than this was left by a
crash: no upload takes a day."""
FOLDER_IDLE_S = 3600.0
"""An empty staging folder not changed for this long is removed."""


def unstage(blobs: BlobStore, upload: ingest.UploadReceived) -> None:
    """Remove an upload's staged parts (applied, or a duplicate's copy) and their
    folder. Only parts staged for it (``ingest.is_staged_for``): a key staged
    before uploads had folders of their own (content-addressed, maybe another
    upload's too) is left to :func:`sweep`."""
    folders: set[str] = set()
    for part in upload.parts.values():
        if ingest.is_staged_for(part.key, upload.camera, upload.upload_id):
            blobs.delete(part.key)
            folders.add(part.key.rsplit("/", 1)[0])
    for folder in folders:
        with contextlib.suppress(OSError):  # not empty: an unexpected file stays swept
            blobs.path(folder).rmdir()


@dataclass
class Swept:
    files: int = 0
    bytes: int = 0
    folders: int = 0


def sweep(blobs: BlobStore, *, max_age_s: float = ingest.STAGING_MAX_AGE_S,
          tmp_max_age_s: float = TMP_MAX_AGE_S, now: float | None = None) -> Swept:
    """Remove staged files older than ``max_age_s`` (temporary files: older than
    ``tmp_max_age_s``) and the folders they leave empty. Blocking: call it in a
    worker thread."""
    root = blobs.path(ingest.STAGING_ROOT)
    now = time.time() if now is None else now
    swept = Swept()
    if root.is_dir():
        _sweep_folder(root, now, max_age_s, tmp_max_age_s, swept, top=True)
    if swept.files or swept.folders:
        log.info("staging swept: %d files (%d bytes), %d folders", swept.files,
                 swept.bytes, swept.folders)
    return swept


def _sweep_folder(folder: Path, now: float, max_age_s: float, tmp_max_age_s: float,
                  swept: Swept, *, top: bool = False) -> bool:
    """Sweep ``folder``; True when it should go: empty now, and emptied by this sweep
    or not changed for an hour (one made a moment ago may be about to receive a
    request's parts)."""
    empty, emptied = True, False
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return False
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                if _sweep_folder(Path(entry.path), now, max_age_s, tmp_max_age_s, swept):
                    with contextlib.suppress(OSError):  # a request staged in it meanwhile
                        os.rmdir(entry.path)
                        swept.folders += 1
                        emptied = True
                        continue
                empty = False
                continue
            limit = tmp_max_age_s if entry.name.startswith(TMP_PREFIX) else max_age_s
            stat = entry.stat(follow_symlinks=False)
            if now - stat.st_mtime > limit:
                os.unlink(entry.path)
                swept.files += 1
                swept.bytes += stat.st_size
                emptied = True
                continue
        except FileNotFoundError:
            continue  # a consumer took it meanwhile
        empty = False
    if top or not empty:
        return False
    try:
        return emptied or now - folder.stat().st_mtime > FOLDER_IDLE_S
    except FileNotFoundError:
        return False
