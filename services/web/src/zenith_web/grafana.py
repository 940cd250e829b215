"""Links from a camera's page to the provisioned Grafana dashboards
(deploy/grafana/dashboards/<uid>.json), when ``web_grafana_url`` is set."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from zenith_web.i18n import N_, _

DASHBOARDS: tuple[tuple[str, str], ...] = (
    ("zenith-status", N_("Status and uptime")),
    ("zenith-disk", N_("Disk")),
    ("zenith-temperatures", N_("Temperatures")),
    ("zenith-sqm", N_("Sky quality (SQM)")),
)
"""uid of each dashboard, and what its link says."""


def dashboard_links(base: str, camera: str) -> list[tuple[str, str]]:
    """``(title, url)`` per dashboard, its camera variable set; none without a base URL."""
    if not base:
        return []
    root = base.rstrip("/")
    query = urlencode({"var-camera": camera})
    return [(_(title), f"{root}/d/{quote(uid)}?{query}") for uid, title in DASHBOARDS]
