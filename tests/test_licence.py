"""Zenith is Apache-2.0: the licence, in every package, and notices for what it carries."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "services" / "web" / "src" / "zenith_web" / "static" / "vendor"


def test_the_licence_is_apache_2():
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text


def test_every_package_declares_it():
    manifests = [ROOT / "pyproject.toml", *sorted(ROOT.glob("libs/**/pyproject.toml")),
                 *sorted(ROOT.glob("services/*/pyproject.toml"))]
    for path in manifests:
        project = tomllib.loads(path.read_text())["project"]
        assert project.get("license") == "Apache-2.0", path


def test_every_vendored_library_has_its_licence_and_a_notice():
    notices = (ROOT / "THIRD_PARTY_NOTICES.md").read_text()
    for package in sorted(VENDOR.iterdir()) if VENDOR.is_dir() else []:
        licences = [p for p in package.rglob("*") if p.name.upper().startswith(("LICENSE",
                                                                                 "LICENCE"))]
        assert licences, f"{package.name} is vendored without its licence file"
        assert package.name in notices, f"{package.name} is missing from THIRD_PARTY_NOTICES"
