"""Shared imaging: decode, stretch, encode, thumbnails, stars and sky metrics.

Frames are decoded once and everything is computed from that decode::

    from zenith.imaging import decode_image, to_display, make_thumbnail, encode_jpeg

    image = decode_image(jpeg_or_png_bytes)      # Image: pixels uint8/uint16, bit_depth
    picture = to_display(image)                  # uint8 (16-bit scaled by its real depth)
    thumb = encode_jpeg(make_thumbnail(picture, 320), quality=85)
    gray = image.gray()                          # linear float32 0..1 for measurements

``decode_image(data, reduce=4)`` decodes a JPEG at a quarter of its size,
much faster, for previews and keogram columns. Errors are
:class:`ImageError` (a ``BadRequest``) with codes ``empty_image``,
``truncated_image`` or ``bad_image``.

Modules: :mod:`.decode`, :mod:`.stretch`, :mod:`.encode`, :mod:`.geometry`
(the fisheye lens model), :mod:`.stars` (detection, half-flux radius),
:mod:`.sharpness`, :mod:`.sky` (mean, SQM-like brightness),
:mod:`.clouds` (cloud cover). Needs the ``zenith[imaging]`` extra.
"""

from zenith.imaging.clouds import CloudEstimate, cloud_cover_daylight, cloud_cover_from_stars
from zenith.imaging.decode import (
    Image,
    ImageError,
    check_complete,
    decode_image,
    image_from_array,
    luminance,
    read_image,
    significant_bits,
    sniff_format,
)
from zenith.imaging.encode import (
    encode_jpeg,
    encode_jpeg_limited,
    make_thumbnail,
    resize_to_width,
)
from zenith.imaging.geometry import Fisheye
from zenith.imaging.sharpness import laplacian_variance
from zenith.imaging.sky import mean_brightness, sky_brightness, zenith_background
from zenith.imaging.stars import Star, detect_stars, estimate_background, median_hfr
from zenith.imaging.stretch import to_display

__all__ = [
    "CloudEstimate", "Fisheye", "Image", "ImageError", "Star", "check_complete",
    "cloud_cover_daylight", "cloud_cover_from_stars", "decode_image", "detect_stars",
    "encode_jpeg", "encode_jpeg_limited", "estimate_background", "image_from_array",
    "laplacian_variance", "luminance", "make_thumbnail", "mean_brightness", "median_hfr",
    "read_image", "resize_to_width", "significant_bits", "sky_brightness", "sniff_format",
    "to_display", "zenith_background",
]
