"""The C allocator, set for a process that decodes and encodes images all night.

glibc serves a large request (at least ``M_MMAP_THRESHOLD``) with its own
``mmap`` and hands it back to the system on free, but by default it raises
that threshold to the size of each large block it frees (up to 32 MiB), so
after the first frames the video encoder's picture buffers, allocated and
freed with every timelapse segment and mini-timelapse, come from the heap
instead, where what they leave behind is never returned: the process grows
with the night (30 MB over 240 frames in ``bench/products``). A fixed
threshold turns that adjustment off. Frame buffers themselves are reused
(:class:`~zenith_products.decode.BufferPool`), so the fixed threshold costs
no page faults per decoded frame.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

log = logging.getLogger("zenith.products.allocator")
M_MMAP_THRESHOLD = -3  # mallopt parameter (malloc.h)
MMAP_THRESHOLD = 1 << 20  # blocks of 1 MiB and more: mapped, and unmapped on free


def tune_allocator() -> bool:
    """Fix glibc's mmap threshold (unless ``MALLOC_MMAP_THRESHOLD_`` is set);
    True when it was set. Elsewhere (musl, macOS) nothing changes."""
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    ok = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    log.debug("mmap threshold %s", "fixed at 1 MiB" if ok else "left as it is")
    return ok
