"""How much a camera has stored: file counts and bytes per product type.

Each owner counts its own: capture answers per night (``frames.nights``:
the frames and thumbnails of each night summed by capture), products
answers with its index documents (one per product, with its size) and with
its meteor candidates per day (``products.METEOR_SIZES``), and the sensors
service counts the SQM readings in its SeriesStore (``sensors.USAGE``: the
points of :data:`SQM_MEASUREMENTS`, counted by the store without reading
them, their bytes from a sample). A year is about 365 night rows and 1,500
product rows, a few bus requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from zenith.contracts import frames, products, sensors
from zenith.errors import Unavailable
from zenith_web.views.sitebus import ask

GROUPS = ("images", "videos", "keograms", "startrails", "sqm", "meteors")
GROUP_LABELS = {"images": "Images", "videos": "Videos", "keograms": "Keograms",
                "startrails": "Startrails", "sqm": "SQM readings", "meteors": "Meteors"}
# the readings that carry a sky brightness: capture's per-frame sky metrics (sqm) and
# the TSL2591 light sensor (SQM_RAW)
SQM_MEASUREMENTS = (sensors.SKY_SENSOR, "tsl2591")


def group_of(kind: str) -> str:
    if "timelapse" in kind:
        return "videos"
    if "keogram" in kind:
        return "keograms"
    return "startrails"


@dataclass
class Usage:
    files: int = 0
    bytes: int = 0


@dataclass
class DataSize:
    groups: dict[str, Usage] = field(default_factory=lambda: {g: Usage() for g in GROUPS})
    nights: int = 0
    missing: list[str] = field(default_factory=list)  # services that did not answer

    @property
    def total(self) -> Usage:
        return Usage(sum(u.files for u in self.groups.values()),
                     sum(u.bytes for u in self.groups.values()))


async def night_summaries(request: web.Request, camera: str) -> list[frames.NightSummary]:
    out: list[frames.NightSummary] = []
    after: str | None = None
    while True:
        page = await ask(request, frames.NIGHTS, frames.NightsQuery(after=after, limit=1000),
                         camera=camera)
        out.extend(page.nights)
        if len(page.nights) < 1000:
            return out
        after = page.nights[-1].night


async def product_docs(request: web.Request, camera: str) -> list[products.ProductDoc]:
    out: list[products.ProductDoc] = []
    for kind in products.KIND:
        to_night: str | None = None
        while True:
            query = products.ProductQuery(kinds=[kind], to_night=to_night, limit=2000)
            page = (await ask(request, products.LIST, query, camera=camera)).products
            out.extend(page)
            if len(page) < 2000:
                break
            to_night = min(p.night for p in page)  # the oldest night may repeat: dedup below
    return list({p.id: p for p in out}.values())


async def data_size(request: web.Request, camera: str) -> DataSize:
    size = DataSize()
    try:
        nights = await night_summaries(request, camera)
        size.nights = len(nights)
        size.groups["images"] = Usage(sum(n.frames for n in nights),
                                      sum(n.bytes for n in nights))
    except Unavailable:
        size.missing.append("capture")
    try:
        for doc in await product_docs(request, camera):
            usage = size.groups[group_of(doc.kind)]
            usage.files += 1
            usage.bytes += doc.size
    except Unavailable:
        size.missing.append("products")
    try:
        meteors = await ask(request, products.METEOR_SIZES,
                            products.MeteorSizesQuery(camera=camera))
        size.groups["meteors"] = Usage(sum(d.candidates for d in meteors.days),
                                       sum(d.bytes for d in meteors.days))
    except Unavailable:
        if "products" not in size.missing:
            size.missing.append("products")
    try:
        stored = await ask(request, sensors.USAGE, sensors.UsageRequest(
            camera=camera, measurements=list(SQM_MEASUREMENTS)))
        size.groups["sqm"] = Usage(sum(m.points for m in stored.measurements),
                                   sum(m.bytes for m in stored.measurements))
    except Unavailable:
        size.missing.append("sensors")
    return size
