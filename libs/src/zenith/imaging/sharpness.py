"""Focus score without stars: the variance of the Laplacian.

Sharper pictures have stronger edges, so the Laplacian (second derivative)
varies more. Computed on the grey frame scaled to 0..255 so the numbers are
the ones OpenCV users know; only compare values of the same scene.
"""

from __future__ import annotations

import cv2
import numpy as np


def laplacian_variance(gray: np.ndarray, mask: np.ndarray | None = None) -> float:
    scaled = np.multiply(gray, np.float32(255.0), dtype=np.float32)
    lap = cv2.Laplacian(scaled, cv2.CV_32F, ksize=3)
    if mask is not None:
        inner = cv2.erode(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        values = lap[inner]
    else:
        values = lap.ravel()
    return float(values.var()) if values.size else 0.0
