"""Profile image uploads: only real JPEG, PNG or WebP pictures, re-encoded.

An upload is refused (:class:`BadImage`, 400) when it is larger than
:data:`MAX_UPLOAD`, is not one of the accepted formats by its content (its
name and declared type do not count), says it is larger than
:data:`MAX_PIXELS` before anything is decoded (a decompression bomb), fails
to decode, or carries another file inside (a polyglot: markup, script, an
archive or a PDF after or inside the picture). What is kept is never the
upload: the decoded pixels, turned upright, resized to at most
:data:`MAX_SIDE` px, encoded as a new JPEG without any metadata (no EXIF, no
GPS, no comments), smaller than the contract's limit.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from zenith.contracts.profiles import MAX_IMAGE_BYTES
from zenith.errors import BadRequest
from zenith_web.i18n import _

MAX_UPLOAD = 12 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 1600
FORMATS = {"JPEG", "PNG", "WEBP"}
MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")
FOREIGN = re.compile(rb"<\s*(script|html|svg|iframe|body|\?php)|PK\x03\x04|%PDF-|<\?xml",
                     re.IGNORECASE)


class BadImage(BadRequest):
    default_code = "bad_image"


class ImageTooLarge(BadImage):
    status = 413


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    width: int
    height: int


def clean_image(raw: bytes) -> CleanImage:
    if len(raw) > MAX_UPLOAD:
        raise ImageTooLarge(_("an image may be at most %(n)s MB") % {
            "n": MAX_UPLOAD // (1024 * 1024)})
    if not raw.startswith(MAGIC) or (raw.startswith(b"RIFF") and raw[8:12] != b"WEBP"):
        raise BadImage(_("not a JPEG, PNG or WebP image"))
    if FOREIGN.search(raw):
        raise BadImage(_("the file carries something besides a picture"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                if probe.format not in FORMATS:
                    raise BadImage(_("not a JPEG, PNG or WebP image"))
                width, height = probe.size
                if width * height > MAX_PIXELS or getattr(probe, "n_frames", 1) > 1:
                    raise BadImage(_("the image is too large (%(w)s x %(h)s px; at most "
                                     "%(mp)s megapixels, one frame)") % {
                        "w": width, "h": height, "mp": MAX_PIXELS // 1_000_000})
                probe.load()
                picture = ImageOps.exif_transpose(probe)
    except BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage(_("the image is too large (at most %(mp)s megapixels)") % {
            "mp": MAX_PIXELS // 1_000_000}) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise BadImage(_("the image could not be read (%(why)s)") % {
            "why": type(exc).__name__}) from None
    picture = picture.convert("RGB")
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    for quality in (85, 75, 60, 45):
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=quality, optimize=True)  # no exif=: none is written
        if out.tell() <= MAX_IMAGE_BYTES:
            return CleanImage(out.getvalue(), picture.width, picture.height)
    raise BadImage(_("the image does not compress below the size limit"))
