"""Languages: the locale of a request (cookie, Accept-Language, English), the
switch, the catalogues merged from every area's .po and their fallback when
not compiled."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.services.web.webstack import CAMERA, WebUnderTest
from zenith_web import i18n

HEADER = ('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
          '"Language: de\\n"\n\n')


@pytest.mark.parametrize(("cookie", "accept", "expected"), [
    (None, None, "en"),
    (None, "de-DE,de;q=0.9,en;q=0.8", "de"),
    (None, "fr-CH, fr;q=0.9, de;q=0.7, en;q=0.5", "de"),
    (None, "en-GB,de;q=0.5", "en"),
    (None, "de;q=0, fr", "en"),
    (None, "*", "en"),
    ("de", "en", "de"),
    ("en", "de", "en"),
    ("xx", "de", "de"),  # an unknown cookie is ignored
    (None, "de;q=nonsense,en;q=0.1", "en"),
])
def test_negotiation(cookie: str | None, accept: str | None, expected: str) -> None:
    assert i18n.negotiate(cookie, accept) == expected


@pytest.mark.parametrize(("target", "expected"), [
    ("/cameras/a?x=1", "/cameras/a?x=1"), (None, "/"), ("https://evil.example/", "/"),
    ("//evil.example/", "/"), ("/\\evil.example", "/"), ("relative", "/")])
def test_the_switch_goes_back_only_to_this_site(target: str | None, expected: str) -> None:
    assert i18n.safe_next(target) == expected


def _area(locale_dir: Path, name: str, entries: dict[str, str]) -> Path:
    po = locale_dir / "de" / "LC_MESSAGES" / f"{name}.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in entries.items())
    po.write_text(HEADER + body, encoding="utf-8")
    return po


def test_areas_merge_and_an_uncompiled_catalogue_still_speaks(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    site = _area(tmp_path, "site", {"Map": "Karte"})
    _area(tmp_path, "owner", {"My cameras": "Meine Kameras"})
    with caplog.at_level(logging.WARNING, "zenith.web.i18n"):
        german = i18n.load_translations(tmp_path)["de"].translations
    assert german.gettext("Map") == "Karte" and german.gettext("My cameras") == "Meine Kameras"
    assert german.gettext("Untranslated") == "Untranslated"
    assert "site.po has no up-to-date .mo" in caplog.text  # the fallback says so
    written = i18n.compile_catalogues(tmp_path)
    assert site.with_suffix(".mo") in written and len(written) == 2
    caplog.clear()
    with caplog.at_level(logging.WARNING, "zenith.web.i18n"):
        german = i18n.load_translations(tmp_path)["de"].translations
    assert german.gettext("Map") == "Karte" and not caplog.text


def test_a_language_without_catalogue_shows_english(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "zenith.web.i18n"):
        german = i18n.load_translations(tmp_path)["de"].translations
    assert german.gettext("Map") == "Map" and "no catalogue for 'de'" in caplog.text


@pytest.mark.asyncio(loop_scope="package")
async def test_accept_language_cookie_and_switch(web: WebUnderTest) -> None:
    client = web.remote()
    page = f"/cameras/{CAMERA}"
    async with client.get(page) as resp:
        text = await resp.text()
        assert '<html lang="en">' in text and 'aria-label="Language"' in text
    async with client.get(page, headers={"Accept-Language": "de-DE,de;q=0.9"}) as resp:
        text = await resp.text()
        assert '<html lang="de">' in text and 'aria-label="Sprache"' in text
        assert "Accept-Language" in resp.headers.get("Vary", "")
    async with client.get("/lang", params={"set": "de", "next": page},
                          allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == page
        cookie = resp.cookies["lang"]
        assert cookie.value == "de" and cookie["httponly"] and cookie["samesite"] == "Lax"
    async with client.get(page, headers={"Accept-Language": "en"},
                          cookies={"lang": "de"}) as resp:
        assert '<html lang="de">' in await resp.text()  # the switch beats the browser
    async with client.get("/lang", params={"set": "fr"}, allow_redirects=False) as resp:
        assert resp.status == 400 and (await resp.json())["error"]["code"] == "bad_request"
    async with client.get("/lang", params={"set": "en", "next": "//evil.example/"},
                          allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/"
    await client.close()
