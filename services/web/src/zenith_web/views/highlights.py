"""The highlights page: the network's curated keograms, startrails and videos,
by category and year, newest night first, each with its camera and date.

The network service keeps the highlights (``highlights.list``, filtered by
category and year in its store); a node without the network service shows
the empty state. A highlight of a nightly product links to the viewer and
shows the product's thumbnail; one of a frame or another kind links to the
camera page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aiohttp import web
from pydantic import Field, ValidationError

from zenith.contracts import network, products
from zenith.contracts.base import Message
from zenith.errors import Unavailable
from zenith_web.i18n import N_
from zenith_web.views.sitebus import ask, cameras
from zenith_web.views.sitepage import html_page

CATEGORY_LABELS = {
    "aurora": N_("Aurora"), "meteor": N_("Meteor"), "clear-sky": N_("Clear sky"),
    "halo": N_("Halo"), "noctilucent-clouds": N_("Noctilucent clouds"), "other": N_("Other"),
}
CategoryName = Literal["", "aurora", "meteor", "clear-sky", "halo", "noctilucent-clouds",
                       "other"]
SHOWN = 120
YEARS_FROM = 1000  # highlights looked at to offer the years that have any


class HighlightsQuery(Message):
    category: CategoryName = Field("", description="Only this category (empty: all).")
    year: str = Field("", pattern=r"^(19[7-9]\d|2[01]\d\d)?$",
                      description="Only nights of this year (1970-2199).")
    camera: str = Field("", pattern=r"^([a-z0-9-]{1,32})?$",
                        description="Only this camera's (empty: every camera).")


@dataclass
class Card:
    highlight: network.Highlight
    camera_name: str
    kind: str | None  # a nightly product kind, or None (a frame, another product)
    night: str | None

    @property
    def is_video(self) -> bool:
        return self.kind is not None and products.KIND[self.kind].content_type.startswith(
            "video/")


def kind_of(product: str) -> str | None:
    """The nightly product kind of a product id ``camera:night:kind``."""
    parts = product.split(":")
    if len(parts) == 3 and parts[2] in products.KIND and \
            products.KIND[parts[2]].period == "nightly":
        return parts[2]
    return None


async def highlights_page(request: web.Request) -> web.Response:
    try:
        query = HighlightsQuery.model_validate(dict(request.query))
    except ValidationError:
        query = HighlightsQuery()  # a page shows everything rather than an error
    year = int(query.year) if query.year else None
    try:
        found = await ask(request, network.HIGHLIGHT_LIST, network.HighlightQuery(
            active=True, category=query.category or None, year=year,
            camera=query.camera or None, limit=SHOWN))
        every = await ask(request, network.HIGHLIGHT_LIST, network.HighlightQuery(
            active=True, limit=YEARS_FROM))
    except Unavailable:  # a node: the network keeps the highlights
        return html_page(request, "site/highlights.html", "highlights", cards=[],
                         query=query, years=[], categories=CATEGORY_LABELS, on_hub=False)
    names = {c.id: c.name for c in await cameras(request) or []}
    cards = [Card(h, names.get(h.camera, h.camera), kind_of(h.product), h.night)
             for h in found.highlights if h.camera in names]
    cards.sort(key=lambda c: (c.night or "", c.highlight.created_at), reverse=True)
    years = sorted({int(h.night[:4]) for h in every.highlights if h.night} |
                   ({year} if year else set()), reverse=True)
    return html_page(request, "site/highlights.html", "highlights", cards=cards,
                     query=query, years=years, categories=CATEGORY_LABELS, on_hub=True)
