"""Small images: thumbnails and JPEG encoding of products."""

from __future__ import annotations

import cv2
import numpy as np


def jpeg(bgr: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


def png(bgr: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes()


def thumbnail(bgr: np.ndarray, width: int) -> np.ndarray:
    """``bgr`` scaled to ``width`` pixels wide (never enlarged), aspect kept."""
    h, w = bgr.shape[:2]
    if w <= width:
        return bgr
    height = max(1, round(h * width / w))
    return cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA)


def letterbox(bgr: np.ndarray, width: int, height: int) -> np.ndarray:
    """``bgr`` scaled to fit ``width`` x ``height``, centred on black."""
    h, w = bgr.shape[:2]
    scale = min(width / w, height / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    scaled = cv2.resize(bgr, (nw, nh), interpolation=interp)
    out = np.zeros((height, width, 3), np.uint8)
    x, y = (width - nw) // 2, (height - nh) // 2
    out[y:y + nh, x:x + nw] = scaled
    return out
