"""The newest frame of each camera, as capture announces them, for the
``/cameras/<id>/latest/image.jpg`` and ``thumb.jpg`` URLs.

A cleanup_ctx subscriber hears every ``zenith.frames.<camera>`` event (plain
NATS, no consumer: nothing to acknowledge or replay), reads it once, tells
the other listeners of the app (:func:`add_frame_listener`: the site cache
moves the camera's last upload) and keeps the newest
frame's blob keys per camera, so the busiest URL of a hub (embedded images,
the home page's previews) answers from the BlobStore without a bus round
trip. It is a cache, never the truth: a camera not heard of yet, or a file
that is gone (deleted by its owner or retention), is asked of capture's
``frames.latest`` as before, and that answer is kept until a newer frame is
heard.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from nats.aio.msg import Msg
from pydantic import ValidationError

from zenith.contracts import frames
from zenith_web import keys

log = logging.getLogger("zenith.web.latestframes")


@dataclass(frozen=True)
class Newest:
    taken_at: datetime
    key: str
    thumb_key: str | None


class LatestFrames:
    def __init__(self) -> None:
        self._by_camera: dict[str, Newest] = {}

    def get(self, camera: str) -> Newest | None:
        return self._by_camera.get(camera)

    def note(self, camera: str, newest: Newest) -> None:
        """Keep ``newest`` unless a later frame of ``camera`` is known."""
        known = self._by_camera.get(camera)
        if known is None or newest.taken_at >= known.taken_at:
            self._by_camera[camera] = newest

    def forget(self, camera: str) -> None:
        self._by_camera.pop(camera, None)


LATEST_FRAMES = web.AppKey("latest_frames", LatestFrames)
FrameListener = Callable[[frames.FrameCaptured], None]
FRAME_LISTENERS = web.AppKey("frame_listeners", list[FrameListener])


def add_frame_listener(app: web.Application, listener: FrameListener) -> None:
    """``listener`` hears every frame event :func:`follow_frames` reads (before the
    app starts: one subscription and one parse of each event serve all)."""
    app.setdefault(FRAME_LISTENERS, []).append(listener)


async def follow_frames(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: note every captured frame while the app runs."""
    cache = app[LATEST_FRAMES] = LatestFrames()
    found: list[FrameListener] = app[FRAME_LISTENERS] if FRAME_LISTENERS in app else []
    listeners = tuple(found)

    async def heard(msg: Msg) -> None:
        try:
            event = frames.FrameCaptured.model_validate_json(msg.data)
        except ValidationError:
            log.debug("an unreadable frame event on %s", msg.subject)
            return
        cache.note(event.camera, Newest(event.taken_at, event.key, event.thumb_key))
        for listener in listeners:
            listener(event)

    sub = await app[keys.NC].subscribe(frames.FRAME_CAPTURED.wildcard(), cb=heard)
    try:
        yield
    finally:
        await sub.unsubscribe()
