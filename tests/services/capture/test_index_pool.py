"""The hub's indexing threads run at a lower priority than the rest of the process."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from zenith_capture.uploads import IndexPool


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice: Linux")
async def test_index_workers_are_niced_and_the_process_is_not():
    def nice_here() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    base = nice_here()
    pool = IndexPool(2, 5)
    try:
        niced = await pool.run(nice_here)
    finally:
        pool.close()
    assert niced == min(19, base + 5)
    assert nice_here() == base  # the event loop's thread keeps its priority
    plain = IndexPool(1, 0)
    try:
        assert await plain.run(nice_here) == base
    finally:
        plain.close()
