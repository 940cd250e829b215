"""Languages of the pages: English (the msgids) and German, by request.

A request's locale is its ``lang`` cookie (set by the switch on every page,
``GET /lang?set=de&next=/path``), else the best match of its
Accept-Language, else English. The i18n middleware puts that locale's
translations into a context variable for the request, so ``_()`` works the
same in templates (jinja2's i18n extension) and in Python views (flash and
error text)::

    from zenith_web.i18n import _, N_
    TITLE = N_("Not found")        # marked for extraction, translated later: _(TITLE)
    message = _("Camera %(camera)s is offline.") % {"camera": camera}

Catalogues: every ``locale/<lang>/LC_MESSAGES/<area>.po`` is one area's file
(``site.po``, ``owner.po``, ``admin.po``, ...), each kept by the engineer of
that area; they are merged at load. The ``.po`` sources live in the repository;
``python -m zenith_web.i18n compile`` writes the ``.mo`` files beside them (run
by scripts/bootstrap and the Dockerfile). A ``.po`` without an up-to-date
``.mo`` is compiled in memory at start, with a warning naming it, so a fresh
checkout still speaks German; a language with no catalogue at all falls back
to the English text.
"""

from __future__ import annotations

import contextvars
import gettext as gettext_module
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Literal

import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from pydantic import BaseModel, Field, ValidationError

from zenith.errors import BadRequest

log = logging.getLogger("zenith.web.i18n")

LOCALE_DIR = Path(__file__).parent / "locale"
LOCALES: tuple[str, ...] = ("en", "de")
"""Every language the pages speak; the first is the msgids' own (no catalogue)."""
DEFAULT_LOCALE = LOCALES[0]
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}
"""Each language's name in itself, as the switch shows it."""
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 86400


@dataclass(frozen=True)
class Language:
    code: str
    translations: gettext_module.NullTranslations


_NULL = Language(DEFAULT_LOCALE, gettext_module.NullTranslations())
_current: contextvars.ContextVar[Language] = contextvars.ContextVar("zenith_language",
                                                                    default=_NULL)


def _(message: str) -> str:
    """The current request's translation of ``message`` (itself in English)."""
    return _current.get().translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.get().translations.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (module-level text)."""
    return message


def current_locale() -> str:
    return _current.get().code


def _catalogue(po: Path) -> Translations:
    mo = po.with_suffix(".mo")
    if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as handle:
            return Translations(handle, domain=po.stem)
    log.warning("%s has no up-to-date .mo; compiled in memory (run "
                "`python -m zenith_web.i18n compile`, as scripts/bootstrap does)", po)
    buffer = BytesIO()
    with po.open("rb") as handle:
        write_mo(buffer, read_po(handle))
    buffer.seek(0)
    return Translations(buffer, domain=po.stem)


def load_translations(locale_dir: Path = LOCALE_DIR) -> dict[str, Language]:
    """Every language with its areas' catalogues merged (English: the msgids)."""
    languages = {DEFAULT_LOCALE: _NULL}
    for code in LOCALES[1:]:
        merged: Translations | None = None
        for po in sorted((locale_dir / code / "LC_MESSAGES").glob("*.po")):
            catalogue = _catalogue(po)
            if merged is None:
                merged = catalogue
            else:
                merged.merge(catalogue)
        if merged is None:
            log.warning("no catalogue for %r under %s: its pages show English", code,
                        locale_dir)
            languages[code] = Language(code, gettext_module.NullTranslations())
        else:
            languages[code] = Language(code, merged)
    return languages


def compile_catalogues(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write each ``.po``'s ``.mo`` beside it; the files written."""
    written = []
    for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as handle:
            catalogue = read_po(handle, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as handle:
            write_mo(handle, catalogue)
        written.append(mo)
    return written


def parse_accept_language(header: str) -> list[str]:
    """The header's language tags, best first (q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, index, tag))
    return [tag for _q, _i, tag in sorted(ranked)]


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's language, else Accept-Language's best we speak, else English."""
    if cookie in LOCALES:
        return cookie
    for tag in parse_accept_language(accept_language or ""):
        primary = tag.split("-")[0]
        if primary in LOCALES:
            return primary
        if tag == "*":
            break
    return DEFAULT_LOCALE


LANGUAGES = web.AppKey("languages", dict[str, Language])


def setup_i18n(app: web.Application, env: jinja2.Environment) -> None:
    """Load the catalogues; give templates ``_``, ``lang()`` and ``languages``."""
    app[LANGUAGES] = load_translations()
    env.install_gettext_callables(_, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(lang=current_locale, languages=LANGUAGE_NAMES)


@web.middleware
async def i18n_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The request's language, for ``_()`` in its views and templates."""
    code = negotiate(request.cookies.get(COOKIE), request.headers.get("Accept-Language"))
    token = _current.set(request.app[LANGUAGES].get(code, _NULL))
    try:
        response = await handler(request)
    finally:
        _current.reset(token)
    if request.cookies.get(COOKIE) is None and not response.prepared:
        response.headers.add("Vary", "Accept-Language")
    return response


class LanguageQuery(BaseModel):
    set: Literal["en", "de"] = Field(description="The language: en or de.")
    next: str = Field("/", max_length=2048, description="The page to go back to (a path "
                      "on this site).")


def safe_next(target: str | None) -> str:
    """A path on this site to go back to (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def set_language(request: web.Request) -> web.StreamResponse:
    """The switch: remember the language in the ``lang`` cookie, go back."""
    try:
        query = LanguageQuery.model_validate(dict(request.query))
    except ValidationError as exc:
        raise BadRequest(f"set must be one of {', '.join(LOCALES)}") from exc
    response = web.Response(status=303, headers={"Location": safe_next(query.next)})
    response.set_cookie(COOKIE, query.set, max_age=COOKIE_MAX_AGE, path="/", samesite="Lax",
                        httponly=True)
    return response


def _main(argv: Iterable[str]) -> int:
    args = list(argv)
    if args[:1] != ["compile"]:
        print("usage: python -m zenith_web.i18n compile", file=sys.stderr)
        return 2
    for mo in compile_catalogues():
        print(f"compiled {mo}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
