"""XP, levels and badges of the network's cameras (served by ``network``).

The rules are this module's tables, nothing else: :data:`RULES` (what earns
XP), :data:`LEVELS` (XP thresholds) and :data:`BADGES` (what each badge
means). A camera's XP is recomputed from its data every time it is asked
(cached for ``network_xp_cache_s``): its nights with live images and their
image counts (capture's ``frames.nights``), its nights with products
(``products.list``) and its highlights. Deleting data lowers it; a replayed
upload changes nothing (the indexes count an upload once).

Badges are earned from the same data, except those marked ``granted``
(``supporter``), which only an administrator gives (:data:`BADGE_GRANT`,
kept in :data:`BADGE_GRANTS`, audited); an administrator may also revoke an
earned badge, which is then recorded as revoked and not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from zenith.contracts.base import Collection, Endpoint, Message
from zenith.contracts.common import StoredTime
from zenith.contracts.network import CameraRef, Username
from zenith.ids import CameraId

SERVICE = "network"


@dataclass(frozen=True)
class Rule:
    name: str
    points: int
    per: int
    summary: str


RULES: tuple[Rule, ...] = (
    Rule("live_images", 1, 100, "1 XP per 100 live images received"),
    Rule("nights", 2, 1, "2 XP per night with live images"),
    Rule("product_nights", 5, 1, "5 XP per night with products (keogram, startrails, video)"),
    Rule("highlights", 20, 1, "20 XP per active highlight"),
    Rule("streak", 3, 1, "3 XP per night of the longest run of consecutive nights online"),
)
"""What earns XP: ``points`` for every ``per`` of the counted thing."""

LEVELS: tuple[tuple[int, str], ...] = (
    (0, "First light"), (50, "Stargazer"), (200, "Night watcher"), (600, "Sky keeper"),
    (1500, "Aurora hunter"), (4000, "Zenith"),
)
"""(XP needed, name): level n is the n-th row (1-based)."""


@dataclass(frozen=True)
class Badge:
    name: str
    title: str
    summary: str
    granted: bool = False


BADGES: tuple[Badge, ...] = (
    Badge("member", "Member", "A camera of the network."),
    Badge("supporter", "Supporter", "Supports the network (given by an administrator).",
          granted=True),
    Badge("first-night", "First night", "A first night with live images."),
    Badge("100-nights", "100 nights", "100 nights with live images."),
    Badge("year-online", "A year online", "Live images on nights a year apart or more."),
    Badge("first-aurora", "First aurora", "A first aurora highlight."),
    Badge("first-meteor", "First meteor", "A first meteor or fireball highlight."),
)
BADGE_NAMES = tuple(b.name for b in BADGES)
BadgeName = Literal["member", "supporter", "first-night", "100-nights", "year-online",
                    "first-aurora", "first-meteor"]


def badge(name: str) -> Badge:
    for b in BADGES:
        if b.name == name:
            return b
    raise KeyError(name)


def level_of(xp: int) -> tuple[int, str, int | None]:
    """(level number, its name, XP of the next level or None at the top)."""
    number = 1
    for index, (threshold, _) in enumerate(LEVELS):
        if xp >= threshold:
            number = index + 1
    following = LEVELS[number][0] if number < len(LEVELS) else None
    return number, LEVELS[number - 1][1], following


class XpPart(Message):
    rule: str
    count: int
    xp: int


class CameraXp(Message):
    camera: CameraId
    xp: int
    level: int
    level_name: str
    next_level_xp: int | None = Field(None, description="XP of the next level; None at the top.")
    parts: list[XpPart]
    badges: list[BadgeName]


class XpQuery(Message):
    cameras: list[CameraId] = Field(..., min_length=1, max_length=200)


class XpList(Message):
    cameras: list[CameraXp]


class BadgeGrant(Message):
    """A document of :data:`BADGE_GRANTS` (``_id`` = ``<camera>:<badge>``)."""

    camera: CameraId
    badge: BadgeName
    state: Literal["granted", "revoked"]
    by: Username | None = None
    at: StoredTime
    note: Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x1f<>]*$")] = ""


class BadgeChange(Message):
    camera: CameraId
    badge: BadgeName
    note: Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x1f<>]*$")] = ""


BADGE_GRANTS = Collection("network_badges", SERVICE, BadgeGrant,
                          "Badges an administrator granted or revoked, by camera and badge.",
                          indexes=(("camera",),))

XP_GET = Endpoint(service=SERVICE, name="xp-get", subject="zenith.network.xp.get",
                  request=CameraRef, reply=CameraXp,
                  summary="A camera's XP (per rule), level and badges, from its data.",
                  errors=("camera_not_found",))
XP_LIST = Endpoint(service=SERVICE, name="xp-list", subject="zenith.network.xp.list",
                   request=XpQuery, reply=XpList,
                   summary="XP, level and badges of several cameras (unknown ones left out).")
BADGE_GRANT = Endpoint(service=SERVICE, name="badge-grant", subject="zenith.network.badges.grant",
                       request=BadgeChange, reply=CameraXp, permission=("users", "update"),
                       summary="Give a camera a badge (audited).", errors=("camera_not_found",))
BADGE_REVOKE = Endpoint(service=SERVICE, name="badge-revoke",
                        subject="zenith.network.badges.revoke", request=BadgeChange,
                        reply=CameraXp, permission=("users", "update"),
                        summary="Take a badge from a camera, earned or granted (audited).",
                        errors=("camera_not_found",))
