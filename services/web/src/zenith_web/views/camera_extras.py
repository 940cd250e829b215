"""A camera page's highlights and meteor candidates, and the candidates' images.

The highlights come from the network service (``highlights.list`` for the
camera, active only, newest first); a node without the network service has
none of its own. The meteor candidates of the last nights come from their
owner: on a node capture (``capture.meteors``), on a hub products (the
uploaded ``meteor_candidates``, ``meteors-list`` by day). A candidate's
JPEG parts (crop, marked, diff) are served at
``/cameras/<id>/meteors/<night>/<candidate>/<part>.jpg``: the owner names
the blob key, the file is sent from the shared BlobStore with an ETag and
Last-Modified.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from aiohttp import web
from pydantic import Field

from zenith.contracts import capture, ingest, network
from zenith.contracts.base import Message
from zenith.contracts.common import NightDate
from zenith.errors import NotFound, Unavailable, ZenithError
from zenith.ids import CameraId
from zenith_web.bridge import validate
from zenith_web.sitecache import SITE_CACHE
from zenith_web.views.highlights import Card, kind_of
from zenith_web.views.ingest import BLOBS
from zenith_web.views.sitebus import ask, registry

HIGHLIGHTS_SHOWN = 4
METEOR_NIGHTS = 3  # the newest night and the two before it
METEORS_SHOWN = 12
MAX_AGE_S = 3600  # a candidate's images do not change (a withdrawn one is gone: 404)
MeteorPart = Literal["crop.jpg", "marked.jpg", "diff.jpg"]


class MeteorImagePath(Message):
    camera: CameraId = Field(description="The camera's id.")
    night: NightDate
    candidate: str = Field(
        pattern=r"^[A-Za-z0-9_.:-]{1,64}$", description="The candidate's id within its night."
    )
    part: MeteorPart = Field(
        description="crop.jpg (the streak cut out), marked.jpg (the "
        "frame with it circled) or diff.jpg (the difference image)."
    )


@dataclass
class Meteor:
    camera: str
    night: str
    candidate_id: str
    taken_at: datetime | None
    parts: tuple[str, ...]  # the JPEG parts it has: crop, marked, diff

    def image(self, part: str) -> str:
        return f"/cameras/{self.camera}/meteors/{self.night}/{self.candidate_id}/{part}.jpg"

    @property
    def thumb(self) -> str | None:
        for part in ("crop", "marked", "diff"):
            if part in self.parts:
                return self.image(part)
        return None

    @property
    def large(self) -> str | None:
        for part in ("marked", "crop", "diff"):
            if part in self.parts:
                return self.image(part)
        return None


async def camera_highlights(request: web.Request, camera: str, name: str) -> list[Card]:
    """The camera's active highlights, newest first (none on a node)."""
    try:
        found = await ask(
            request,
            network.HIGHLIGHT_LIST,
            network.HighlightQuery(camera=camera, active=True, limit=HIGHLIGHTS_SHOWN * 4),
        )
    except ZenithError:
        return []
    cards = [Card(h, name, kind_of(h.product), h.night) for h in found.highlights]
    cards.sort(key=lambda c: (c.night or "", c.highlight.created_at), reverse=True)
    return cards[:HIGHLIGHTS_SHOWN]


def _taken_at(doc: ingest.MeteorDoc) -> datetime | None:
    for value in (doc.candidate.get("taken_at"), doc.received_at):
        try:
            return datetime.fromisoformat(str(value)) if value else None
        except ValueError:
            continue
    return None


async def night_meteors(
    request: web.Request, camera: str, night: str, is_node: bool
) -> list[ingest.MeteorDoc]:
    """A night's candidates from their owner: capture on a node, products on a hub
    (kept a little by the site cache)."""
    if is_node:
        found = await ask(request, capture.METEORS, capture.MeteorNight(night=night), camera=camera)
        return found.candidates

    async def fetch() -> list[ingest.MeteorDoc]:
        found = await ask(
            request, ingest.METEORS_LIST, ingest.MeteorQuery(camera=camera, day=night)
        )
        return found.candidates

    return await request.app[SITE_CACHE].meteors(camera, night, fetch)


async def camera_meteors(
    request: web.Request, camera: str, newest_night: str | None, is_node: bool
) -> list[Meteor]:
    """The candidates of the last :data:`METEOR_NIGHTS` nights (from today, or the
    newest frame's night if later), newest first."""
    anchor = datetime.now(UTC).date()  # a night's date is the day it began: at most today
    if newest_night and (night := date.fromisoformat(newest_night)) > anchor:
        anchor = night  # a camera east of UTC
    nights = [(anchor - timedelta(days=n)).isoformat() for n in range(METEOR_NIGHTS)]
    answers = await asyncio.gather(
        *(night_meteors(request, camera, n, is_node) for n in nights), return_exceptions=True
    )
    meteors = [
        Meteor(
            camera,
            doc.day,
            doc.candidate_id,
            _taken_at(doc),
            tuple(p for p in capture.METEOR_PARTS if p in doc.parts),
        )
        for found in answers
        if not isinstance(found, BaseException)
        for doc in found
    ]
    meteors.sort(key=lambda m: m.taken_at or datetime.min.replace(tzinfo=UTC), reverse=True)
    return [m for m in meteors if m.thumb is not None][:METEORS_SHOWN]


async def meteor_image(request: web.Request) -> web.StreamResponse:
    """One JPEG part of a meteor candidate, named by its owner, from the BlobStore."""
    path = validate(MeteorImagePath, dict(request.match_info), "path")
    part = path.part.removesuffix(".jpg")
    is_node = await registry(request, path.camera) is None
    try:
        found = await night_meteors(request, path.camera, path.night, is_node)
    except Unavailable:
        found = []
    doc = next((d for d in found if d.candidate_id == path.candidate), None)
    if doc is None:
        raise NotFound(
            f"camera {path.camera} has no meteor candidate {path.candidate} "
            f"in the night {path.night}",
            code="meteor_not_found",
        )
    key = doc.parts.get(part)
    target = request.app[BLOBS].path(key) if key else None
    if target is None or not target.is_file():
        raise NotFound(
            f"meteor candidate {path.candidate} has no {part} image", code="part_not_found"
        )
    response = web.FileResponse(target, headers={"Content-Type": "image/jpeg"})
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_S}"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
