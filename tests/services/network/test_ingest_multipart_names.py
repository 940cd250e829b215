"""Part names of an upload: the quick reading of a Content-Disposition header gives
exactly what aiohttp's full parser gives, and leaves every other form to it."""

from __future__ import annotations

import warnings

import pytest
from aiohttp.multipart import content_disposition_filename, parse_content_disposition

from zenith_web.multipart_stream import _SIMPLE_DISPOSITION, disposition_names

SIMPLE = [
    'form-data; name="fullhd"; filename="image_fullhd.jpg"',
    'form-data; name="kamera"',
    'Form-Data;name="meta"',
    'form-data; NAME="frame"; FILENAME="frame.jpg"',
    'form-data; name="a"; filename=""',
    'form-data; name=""',
    'form-data; name="x y"; filename="a b=c.jpg"',
    'form-data; name="thumb"; filename="..jpg"  ',
    'form-data; filename="f.jpg"; name="frame"',
    'form-data; name="ünï"; filename="çödé.jpg"',
]
OTHERS = [
    None,
    "",
    'form-data; name="a"; name="b"',  # repeated: aiohttp gives none
    'form-data; name="a"; filename="/etc/passwd"',  # aiohttp strips the slash
    'form-data; name="a"; filename="a\\"b.jpg"',  # an escape
    'form-data; name="a"; filename="a;b.jpg"',  # ';' in a quoted value
    "form-data; name=fullhd; filename=f.jpg",  # tokens, not quoted
    "form-data; name=\"a\"; filename*=UTF-8''%C3%A9.jpg",  # RFC 5987
    'form-data; name="a"; filename*0="x"; filename*1="y"',  # continued
    'attachment; name="a"',
    'form-data; name="a";',
    'form-data name="a"',
]


def aiohttp_names(header: str | None) -> tuple[str, str | None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, params = parse_content_disposition(header)
    return (
        content_disposition_filename(params, "name") or "",
        content_disposition_filename(params, "filename"),
    )


@pytest.mark.parametrize("header", SIMPLE)
def test_simple_headers_are_read_quickly_and_alike(header):
    assert _SIMPLE_DISPOSITION.fullmatch(header)
    assert disposition_names(header) == aiohttp_names(header)


@pytest.mark.parametrize("header", OTHERS)
def test_other_headers_are_read_by_aiohttp(header):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert disposition_names(header) == aiohttp_names(header)
