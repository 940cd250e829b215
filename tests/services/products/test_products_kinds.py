"""Product kinds are declared once (zenith.contracts.products.KINDS); the
renderers, the CLI, retention and the blob keys follow that table."""

from __future__ import annotations

from zenith.contracts.products import KINDS, NIGHT_KINDS, product_key, thumb_key
from zenith_products import cli, longterm, night_render, retention
from zenith_products.night import KINDS as BUILT


def test_every_declared_kind_has_its_renderer_and_no_renderer_is_undeclared():
    assert set(night_render.RENDERERS) == {k.name for k in KINDS if k.renderer == "night"}
    assert set(longterm.MADE) == {k.name for k in KINDS if k.renderer == "longterm"}
    assert BUILT == set(NIGHT_KINDS) == cli.KINDS


def test_retention_groups_come_from_the_table():
    assert retention.TYPES == {"videos": ["timelapse", "mini-timelapse"],
                               "keograms": ["keogram"], "startrails": ["startrails"]}


def test_blob_keys_by_period():
    assert product_key("cam", "2026-11-21", "keogram") == "products/cam/2026-11-21/keogram.jpg"
    assert thumb_key("cam", "2026-11-21", "timelapse") == \
        "products/cam/2026-11-21/thumbs/timelapse.jpg"
    assert product_key("cam", "2026-11-01", "monthly-keogram") == \
        "products/cam/monthly/2026-11/keogram.jpg"
    assert product_key("cam", "2026-01-01", "yearly-timelapse") == \
        "products/cam/yearly/2026/timelapse.mp4"
