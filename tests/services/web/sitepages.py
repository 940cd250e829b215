"""Helpers of the website's browser tests: screenshots at phone and desktop
width, an axe-core check, and what a page must never do (inline code
blocked by the CSP, requests to another site)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
SHOTS = ROOT / "var" / "screenshots"
AXE = "/static/vendor/axe-core/axe.min.js"
SIZES = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}


class Watch:
    """Console errors and requests of a page, to assert on at the end."""

    def __init__(self, page: Any, base: str, allowed_hosts: tuple[str, ...] = ()) -> None:
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.base = base
        self.allowed = allowed_hosts
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", lambda msg: self.errors.append(msg.text)
                if msg.type == "error" else None)
        page.on("request", self._request)

    def _request(self, request: Any) -> None:
        url = request.url
        if url.startswith((self.base, "data:", "blob:")):
            return
        if any(f"//{host}/" in url for host in self.allowed):
            return
        self.foreign.append(url)

    def check(self) -> None:
        assert not [e for e in self.errors if "Content Security Policy" in e
                    or "TypeError" in e or "ReferenceError" in e], self.errors
        assert not self.foreign, self.foreign


async def axe_violations(page: Any) -> list[str]:
    """Serious or critical axe-core violations of the page as it is now."""
    await page.add_script_tag(url=AXE)
    result = await page.evaluate(
        "axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] for n in v["nodes"][:3])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


async def check_page(page: Any, url: str, name: str, full_page: bool = True) -> None:
    """Open ``url`` at both sizes: screenshots, axe check, nothing wider than the screen."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        await page.set_viewport_size(viewport)
        await page.goto(url)
        await page.wait_for_load_state("load")
        await page.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=full_page)
        violations = await axe_violations(page)
        assert not violations, f"{name} at {size}: {violations}"
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name} at {size} is {overflow} px wider than the screen"
