"""Times in stores and messages: timezone-aware UTC, stored as ISO strings.

Stored strings have one fixed shape (``2026-11-21T08:00:00.000000Z``) so
they sort as text in SQLite and in MongoDB alike.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        raise ValueError("naive datetime: Zenith keeps times timezone-aware (UTC)")
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_iso(text: str) -> datetime:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)
