"""Where products live in the BlobStore and how they are indexed.

- nightly: ``products/<camera>/<night>/<file>``, thumbnails in ``thumbs/``;
- monthly: ``products/<camera>/monthly/<YYYY-MM>/``; yearly: ``products/<camera>/yearly/<YYYY>/``;
- unfinished work: ``work/products/<camera>/nights/<night>/`` (deleted when the
  night is final) and ``work/products/<camera>/longterm/`` (each night's part
  of the monthly and yearly products).
"""

from __future__ import annotations

FILES = {
    "keogram": ("keogram.jpg", "image/jpeg"),
    "startrails": ("startrails.jpg", "image/jpeg"),
    "timelapse": ("timelapse.mp4", "video/mp4"),
    "mini-timelapse": ("mini-timelapse.mp4", "video/mp4"),
    "monthly-keogram": ("keogram.jpg", "image/jpeg"),
    "monthly-timelapse": ("timelapse.mp4", "video/mp4"),
    "yearly-timelapse": ("timelapse.mp4", "video/mp4"),
}
NIGHTLY = ("keogram", "startrails", "timelapse", "mini-timelapse")


def period_folder(camera: str, kind: str, night: str) -> str:
    """The folder of a product: per night, month (``night`` YYYY-MM-01) or year."""
    if kind.startswith("monthly-"):
        return f"products/{camera}/monthly/{night[:7]}"
    if kind.startswith("yearly-"):
        return f"products/{camera}/yearly/{night[:4]}"
    return f"products/{camera}/{night}"


def product_key(camera: str, night: str, kind: str) -> str:
    return f"{period_folder(camera, kind, night)}/{FILES[kind][0]}"


def thumb_key(camera: str, night: str, kind: str) -> str:
    stem = FILES[kind][0].rsplit(".", 1)[0]
    return f"{period_folder(camera, kind, night)}/thumbs/{stem}.jpg"


def content_type(kind: str) -> str:
    return FILES[kind][1]


def work_prefix(camera: str, night: str) -> str:
    return f"work/products/{camera}/nights/{night}"


def longterm_prefix(camera: str) -> str:
    return f"work/products/{camera}/longterm"
