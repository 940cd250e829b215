"""Stable URLs for embedding: ``/cameras/<id>/latest/<file>``.

``image.jpg`` is the camera's newest frame, ``thumb.jpg`` its thumbnail
(the newest heard of, see :mod:`zenith_web.latestframes`, else capture's
``frames.latest``);
``keogram.jpg``, ``startrails.jpg``, ``timelapse.mp4`` and
``mini-timelapse.mp4`` its newest product of that kind (products'
``products.latest``). The file is sent from the shared BlobStore with an
ETag and Last-Modified (a conditional request gets 304), a short max-age and
CORS, so other sites may show it; 404 JSON while there is none yet.
"""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import Field

from zenith.contracts.base import Message
from zenith.errors import NotFound
from zenith.ids import CameraId
from zenith_web.latestframes import LATEST_FRAMES, Newest
from zenith_web.views.ingest import BLOBS
from zenith_web.views.sitebus import camera_of, latest_frame, latest_products

MAX_AGE_S = 60
LatestFile = Literal["image.jpg", "thumb.jpg", "keogram.jpg", "startrails.jpg", "timelapse.mp4",
                     "mini-timelapse.mp4"]
LATEST_FILES: tuple[str, ...] = LatestFile.__args__  # type: ignore[attr-defined]
PRODUCT_OF: dict[str, str] = {"keogram.jpg": "keogram", "startrails.jpg": "startrails",
                              "timelapse.mp4": "timelapse",
                              "mini-timelapse.mp4": "mini-timelapse"}


class LatestPath(Message):
    camera: CameraId = Field(description="The camera's id.")
    file: LatestFile = Field(description="image.jpg (the live image; thumb.jpg: small), "
                             "or the newest "
                             "keogram, startrails, timelapse or mini timelapse.")


def embed_headers(response: web.StreamResponse) -> None:
    """A public, briefly cached answer any site may embed."""
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_S}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"


def _frame_key(newest: Newest, file: str) -> str | None:
    return newest.key if file == "image.jpg" else newest.thumb_key


async def latest_key(request: web.Request, camera: str, file: str) -> str | None:
    if file in ("image.jpg", "thumb.jpg"):
        cache = request.app.get(LATEST_FRAMES)
        if cache is not None and (heard := cache.get(camera)) is not None:
            key = _frame_key(heard, file)
            if key is not None and request.app[BLOBS].path(key).is_file():
                return key  # the newest frame heard of: no need to ask capture
            cache.forget(camera)
        frame = await latest_frame(request, camera)
        if frame is None:
            return None
        newest = Newest(frame.taken_at, frame.key, frame.thumb_key)
        if cache is not None:
            cache.note(camera, newest)
        return _frame_key(newest, file)
    product = (await latest_products(request, camera)).get(PRODUCT_OF[file])
    return product.key if product is not None else None


async def latest(request: web.Request) -> web.StreamResponse:
    camera, file = camera_of(request), request.match_info["file"]
    if file not in LATEST_FILES:
        raise NotFound(f"no latest {file!r}: one of {', '.join(LATEST_FILES)}")
    key = await latest_key(request, camera, file)
    target = request.app[BLOBS].path(key) if key is not None else None
    if target is None or not target.is_file():
        raise NotFound(f"camera {camera} has no {file} yet", code="not_yet")
    response = web.FileResponse(target)
    embed_headers(response)
    return response
