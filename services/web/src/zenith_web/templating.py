"""Jinja2 templates (autoescaped) with ``url_for`` and ``static`` helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from aiohttp import web
from aiohttp.web_urldispatcher import DynamicResource, PlainResource

import zenith
from zenith_web import keys, labels
from zenith_web.grafana import dashboard_links
from zenith_web.i18n import _
from zenith_web.netconfig import config_of, site_name

HERE = Path(__file__).parent
TEMPLATE_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
PATH_SAFE = "!$&'()*+,;=:@"  # what may stay unquoted in a path segment (RFC 3986)


def make_environment(app: web.Application) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]

    patterns: dict[str, str] = {}

    def url_for(name: str, **parts: Any) -> str:
        """The route's path with ``parts`` quoted in (the router's canonical pattern,
        formatted: a page calls this hundreds of times, the router's is slower)."""
        pattern = patterns.get(name)
        if pattern is None:
            resource = app.router[name]
            if not isinstance(resource, PlainResource | DynamicResource):
                return str(resource.url_for(**{k: str(v) for k, v in parts.items()}))
            pattern = patterns[name] = resource.canonical
        return pattern.format_map({k: quote(str(v), safe=PATH_SAFE) for k, v in parts.items()})

    versions: dict[str, tuple[tuple[int, int] | None, str]] = {}

    def static(path: str) -> str:
        """The file's URL with its version: the router hashes the whole file each time,
        so the URL is kept per file until its size or modification time changes."""
        try:
            info = (STATIC_DIR / path).stat()
            stamp: tuple[int, int] | None = (info.st_mtime_ns, info.st_size)
        except OSError:
            stamp = None
        kept = versions.get(path)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        url = str(app.router["static"].url_for(filename=path))
        versions[path] = (stamp, url)
        return url

    env.globals.update(url_for=url_for, static=static, version=zenith.__version__,
                       kind_label=labels.kind_label, state_label=labels.state_label,
                       js_texts=labels.js_texts, grafana_links=dashboard_links)
    env.filters.update(when=format_when, duration=format_duration, number=format_number,
                       exposure=format_exposure)
    return env


def format_when(value: datetime | None) -> str:
    if value is None:
        return _("never")
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_duration(seconds: float | None) -> str:
    if not seconds or seconds < 0:
        return "0 s"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def format_number(value: float | None, digits: int = 2, unit: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return f"{text} {unit}".rstrip()


def render(app: web.Application, template: str, **context: Any) -> str:
    settings = app[keys.SETTINGS]
    context.setdefault("site_name", site_name(app))
    context.setdefault("camera", settings.camera)
    context.setdefault("grafana_url", config_of(app).grafana_url or settings.web_grafana_url)
    return app[keys.TEMPLATES].get_template(template).render(**context)


def format_exposure(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s".replace(".00 s", " s")
