"""Focus score without stars: the variance of the Laplacian.

Sharper pictures have stronger edges, so the Laplacian (second derivative)
varies more. Computed on the grey frame scaled to 0..255 so the numbers are
the ones OpenCV users know; only compare values of the same scene.
"""

from __future__ import annotations

import cv2
import numpy as np


def sharpness_mask(mask: np.ndarray) -> np.ndarray:
    """Where the Laplacian is judged: ``mask`` shrunk by 2 pixels, off the edge of
    the sky circle (keep it for many frames of one size)."""
    inner: np.ndarray = cv2.erode(mask.astype(np.uint8), np.ones((5, 5), np.uint8)) \
        .astype(bool)
    return inner


def laplacian_variance(gray: np.ndarray, mask: np.ndarray | None = None, *,
                       inner: np.ndarray | None = None) -> float:
    """The variance of the Laplacian of ``gray`` (0..1) on the 0..255 scale, inside
    ``mask`` (``inner``: its :func:`sharpness_mask`, when the caller kept it). The
    Laplacian is linear, so it is taken of ``gray`` and its variance scaled by
    255² (the frame is not copied to scale it first)."""
    lap = cv2.Laplacian(gray.astype(np.float32, copy=False), cv2.CV_32F, ksize=3)
    if mask is not None:
        values = lap[inner if inner is not None else sharpness_mask(mask)]
    else:
        values = lap.ravel()
    return float(values.var()) * 255.0 ** 2 if values.size else 0.0
