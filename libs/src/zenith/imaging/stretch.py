"""Turn linear sensor data into a picture for people: 8-bit, never clipped.

- 8-bit data is shown as it is.
- 10..16-bit data is scaled by its *significant* depth (``Image.bit_depth``),
  so 12-bit data in a 16-bit container fills the range and full scale maps
  to 255 (nothing brighter than white exists, nothing is clipped).
- ``auto_stretch`` brightens dark (night) frames with a midtones transfer
  function: the sky background goes to ``target`` while black stays black
  and full scale stays full scale, so star cores and the moon keep their
  highlights.
"""

from __future__ import annotations

import cv2
import numpy as np

from zenith.imaging.decode import Image, luminance
from zenith.imaging.robust import mad_sigma, median


def mtf(midtone: float, x: np.ndarray) -> np.ndarray:
    """Midtones transfer: 0 -> 0, ``midtone`` -> 0.5, 1 -> 1 (monotonic)."""
    m = np.float32(midtone)
    return ((m - 1) * x) / ((2 * m - 1) * x - m)


def stretch_params(gray: np.ndarray, target: float = 0.25,
                   shadows_sigma: float = 2.8) -> tuple[float, float] | None:
    """(black point, midtone) that move the median of ``gray`` (0..1) to
    ``target``; None when the frame is already that bright."""
    sample = gray[::4, ::4].ravel()
    med = median(sample)
    mad = mad_sigma(sample, med)
    black = max(0.0, med - shadows_sigma * mad)
    x = (med - black) / (1.0 - black) if black < 1 else 0.0
    if x <= 0 or x >= target:
        return None
    midtone = x * (target - 1) / (2 * target * x - target - x)
    return black, float(midtone)


def _lut(max_value: int, black: float, midtone: float) -> np.ndarray:
    x = np.arange(max_value + 1, dtype=np.float32) / np.float32(max_value)
    x = np.clip((x - black) / (1.0 - black), 0.0, 1.0)
    return np.clip(np.rint(mtf(midtone, x) * 255.0), 0, 255).astype(np.uint8)


def to_display(image: Image, *, auto_stretch: bool = False, target: float = 0.25) -> np.ndarray:
    """``uint8`` pixels (same channels) for JPEG encoding and thumbnails."""
    if auto_stretch:
        gray = luminance(image.normalized())
        params = stretch_params(gray, target)
        if params is not None:
            lut = _lut(image.max_value, *params)
            stretched: np.ndarray = lut[image.pixels]
            return stretched
    if image.pixels.dtype == np.uint8:
        return image.pixels
    return cv2.convertScaleAbs(image.pixels, alpha=255.0 / image.max_value)
