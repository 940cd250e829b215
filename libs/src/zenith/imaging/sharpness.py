"""Focus score without stars: the variance of the Laplacian.

Sharper pictures have stronger edges, so the Laplacian (second derivative)
varies more. Computed on the grey frame scaled to 0..255 so the numbers are
the ones OpenCV users know; only compare values of the same scene.
"""

from __future__ import annotations

import cv2
import numpy as np

from zenith.imaging.skymask import SkyMask


def laplacian_variance(gray: np.ndarray, mask: np.ndarray | SkyMask | None = None) -> float:
    """The variance of the Laplacian of ``gray`` (0..1) on the 0..255 scale, inside
    ``mask`` shrunk by 2 pixels (:attr:`SkyMask.sharp`). The Laplacian is linear,
    so it is taken of ``gray`` and its variance scaled by 255² (the frame is not
    copied to scale it first)."""
    lap = cv2.Laplacian(gray.astype(np.float32, copy=False), cv2.CV_32F, ksize=3)
    sky = SkyMask.of(mask)
    values = lap[sky.sharp] if sky is not None else lap.ravel()
    return float(values.var()) * 255.0 ** 2 if values.size else 0.0
