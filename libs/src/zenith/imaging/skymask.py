"""A sky mask and what the sky metrics derive from it, each made once.

Star detection, the background model and the sharpness each need more than
the mask itself (the mask's share of each background block, the pixels a
noise estimate samples, the mask shrunk so a star's stamp or the Laplacian
stays inside it); for a 1920 px frame those took 2-3 ms to derive again for
every frame. A :class:`SkyMask` derives each when it is first asked for and
keeps it: a caller that measures many frames of one size keeps the
:class:`SkyMask` (``zenith_capture.skymetrics`` does, per frame size); a
function handed a bare mask makes one for the call.
"""

from __future__ import annotations

from functools import cached_property

import cv2
import numpy as np

from zenith.imaging.area import downscale_area

SAMPLE = 200_000  # at most this many pixels (evenly spread) estimate a noise level


def _shrunk(mask: np.ndarray, by: int) -> np.ndarray:
    kernel = np.ones((2 * by + 1, 2 * by + 1), np.uint8)
    inner: np.ndarray = cv2.erode(mask.astype(np.uint8), kernel).astype(bool)
    return inner


class SkyMask:
    """``mask`` (True on the sky) and its derived parts, for blocks of ``cell`` px."""

    def __init__(self, mask: np.ndarray, cell: int = 32) -> None:
        self.mask = mask
        self.cell = cell

    @staticmethod
    def of(mask: np.ndarray | SkyMask | None, cell: int = 32) -> SkyMask | None:
        """``mask`` as a :class:`SkyMask` of blocks of ``cell`` px (itself if it is
        one of those)."""
        if isinstance(mask, SkyMask):
            return mask if mask.cell == cell else SkyMask(mask.mask, cell)
        return None if mask is None else SkyMask(mask, cell)

    @cached_property
    def cover(self) -> np.ndarray:
        """The share of each ``cell``-pixel block inside the mask (what the
        background model divides by)."""
        h, w = self.mask.shape
        size = (max(1, w // self.cell), max(1, h // self.cell))
        return downscale_area(self.mask.astype(np.float32), size)

    @cached_property
    def sample(self) -> np.ndarray:
        """Flat indices of the pixels a noise estimate samples: every n-th one of
        the mask, at most :data:`SAMPLE` (what ``values[mask][::n]`` picks)."""
        inside = np.flatnonzero(self.mask)
        picked: np.ndarray = inside[:: max(1, inside.size // SAMPLE)]
        return picked

    @cached_property
    def peaks(self) -> np.ndarray:
        """Where a star's peak may lie: the mask shrunk by 4 pixels."""
        return _shrunk(self.mask, 4)

    @cached_property
    def sharp(self) -> np.ndarray:
        """Where the sharpness is judged: the mask shrunk by 2 pixels, off the
        edge of the sky circle."""
        return _shrunk(self.mask, 2)

    def sampled(self, values: np.ndarray) -> np.ndarray:
        """The sampled pixels of ``values`` (a frame of the mask's size)."""
        picked: np.ndarray = values.ravel()[self.sample]
        return picked


def sampled(values: np.ndarray, sky: SkyMask | None) -> np.ndarray:
    """The pixels of ``values`` a noise estimate samples: inside ``sky``, or of the
    whole frame."""
    if sky is not None:
        return sky.sampled(values)
    flat = values.ravel()
    return flat[:: max(1, flat.size // SAMPLE)]
