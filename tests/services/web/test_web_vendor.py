"""The vendored browser libraries are exactly the versions scripts/vendor pins."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
VENDOR = ROOT / "services" / "web" / "src" / "zenith_web" / "static" / "vendor"


def pinned() -> dict[str, str]:
    text = (ROOT / "scripts" / "vendor").read_text()
    return {name: version for name, version in re.findall(r'"([a-z-]+)@([0-9.]+)\|', text)}


def test_each_vendored_folder_holds_the_pinned_version_and_is_noticed() -> None:
    pins = pinned()
    assert set(pins) == {"leaflet", "uplot", "axe-core"}
    notices = (ROOT / "THIRD_PARTY_NOTICES.md").read_text()
    assert {p.name for p in VENDOR.iterdir()} == set(pins)
    for name, version in pins.items():
        assert (VENDOR / name / "VERSION").read_text().strip() == f"{name}@{version}"
        assert f"`{name}@{version}`" in notices, name


def test_no_vendored_file_loads_from_another_site() -> None:
    for path in VENDOR.rglob("*.css"):
        assert not re.search(r"url\(['\"]?(https?:)?//", path.read_text()), path
