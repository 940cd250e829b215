"""Images by day: a night's frames as thumbnails (a page of them at a time),
each opening the frame large; ``images.js`` steps frame by frame. Frames
come from capture's ``frames.list`` and ``frames.nights``; the files from the
shared BlobStore by the contracts' key helpers."""

from __future__ import annotations

import re
from datetime import datetime

from aiohttp import web

from zenith.contracts import frames
from zenith.errors import NotFound, ZenithError
from zenith_web.i18n import _
from zenith_web.views.calendar import camera_name
from zenith_web.views.ingest import BLOBS
from zenith_web.views.latest import embed_headers
from zenith_web.views.sitebus import ask, camera_of
from zenith_web.views.sitepage import html_page, not_found

PAGE = 120
NIGHT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STAMP_RE = re.compile(r"^\d{8}T\d{6}\.\d{3}Z$")


def stamp_of(doc: frames.FrameDoc) -> str:
    return frames.frame_stamp(doc.taken_at)


async def images_page(request: web.Request) -> web.Response:
    night = request.match_info["night"]
    try:
        camera = camera_of(request)
        if not NIGHT_RE.fullmatch(night):
            raise NotFound(_("No night %(night)s.") % {"night": night})
        name = await camera_name(request, camera)
    except NotFound as exc:
        return not_found(request, exc.message)
    after: datetime | None = None
    if "after" in request.query:
        try:
            after = datetime.fromisoformat(request.query["after"])
        except ValueError:
            after = None
    try:
        found = await ask(request, frames.LIST, frames.FrameList(
            night=night, after=after, limit=PAGE), camera=camera)
        shown, more = found.frames, found.more
    except ZenithError:
        shown, more = [], False
    try:
        nights = (await ask(request, frames.NIGHTS, frames.NightsQuery(limit=1000),
                            camera=camera)).nights[-30:]
    except ZenithError:
        nights = []
    return html_page(request, "site/images.html", "images", camera_id=camera,
                     camera_name=name, night=night, frames=shown, more=more,
                     stamp_of=stamp_of, nights=list(reversed(nights)),
                     later=shown[-1].taken_at.isoformat() if more and shown else None)


async def frame_file(request: web.Request) -> web.StreamResponse:
    """A frame's JPEG (``?thumb=1``: its thumbnail)."""
    camera = camera_of(request)
    night, stamp = request.match_info["night"], request.match_info["stamp"]
    if not NIGHT_RE.fullmatch(night) or not STAMP_RE.fullmatch(stamp):
        raise NotFound(f"no frame {night}/{stamp}")
    make = frames.frame_thumb_key if request.query.get("thumb") == "1" else frames.frame_key
    target = request.app[BLOBS].path(make(camera, night, stamp))
    if not target.is_file():
        raise NotFound(f"no frame {night}/{stamp}")
    response = web.FileResponse(target)
    embed_headers(response)
    return response
