"""The hub home's camera cards, each rendered once per what it shows.

A hub lists hundreds of cards and most of them look the same from one
request to the next, so a card's HTML is kept, keyed by everything it shows:
the language, the camera's id, name, code, site, online flag and last upload,
the text of "… ago" beside it, and its XP (points, level, badges). A camera
that changes in any of these gets a new card on the next request; nothing
is invalidated by hand. The kept cards are dropped all at once when there
are :data:`~zenith_web.sitecache.MAX_FRAGMENTS` of them.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime

from aiohttp import web
from markupsafe import Markup

from zenith.contracts import network, xp
from zenith_web import keys
from zenith_web.i18n import current_locale
from zenith_web.labels import ago
from zenith_web.sitecache import MAX_FRAGMENTS, SITE_CACHE

TEMPLATE = "site/_camera_card.html"


def card_key(cam: network.Camera, score: xp.CameraXp | None, ago_text: str) -> Hashable:
    shown = (
        None if score is None else (score.xp, score.level, score.level_name, tuple(score.badges))
    )
    return (
        current_locale(),
        cam.id,
        cam.name,
        cam.code,
        cam.site,
        cam.online,
        cam.last_upload_at,
        ago_text,
        shown,
    )


def camera_cards(
    request: web.Request,
    cameras: list[network.Camera],
    xps: dict[str, xp.CameraXp],
    badge_titles: dict[str, str],
    now: datetime,
) -> list[Markup]:
    kept = request.app[SITE_CACHE].fragments
    template = request.app[keys.TEMPLATES].get_template(TEMPLATE)
    cards = []
    for cam in cameras:
        score = xps.get(cam.id)
        ago_text = ago(cam.last_upload_at, now) if cam.last_upload_at else ""
        key = card_key(cam, score, ago_text)
        card = kept.get(key)
        if card is None:
            if len(kept) >= MAX_FRAGMENTS:
                kept.clear()
            card = kept[key] = Markup(
                template.render(cam=cam, xp=score, ago_text=ago_text, badge_titles=badge_titles)
            )
        cards.append(card)
    return cards
