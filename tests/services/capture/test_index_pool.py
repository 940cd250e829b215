"""The hub's indexing threads run at a lower priority than the rest of the process."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from zenith_capture.uploads import IndexPool

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="a thread's own priority: Linux")


def nice_here() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def policy_here() -> int:
    return os.sched_getscheduler(threading.get_native_id())


async def run_in(pool: IndexPool, fn):
    try:
        return await pool.run(fn)
    finally:
        pool.close()


async def test_index_workers_are_niced_and_the_process_is_not():
    base = nice_here()
    assert await run_in(IndexPool(2, 5), nice_here) == min(19, base + 5)
    assert nice_here() == base  # the event loop's thread keeps its priority
    assert await run_in(IndexPool(1, 0), nice_here) == base


async def test_index_workers_run_under_the_idle_policy_and_the_process_does_not():
    base = policy_here()
    assert base != os.SCHED_IDLE
    assert await run_in(IndexPool(2, 0, idle=True), policy_here) == os.SCHED_IDLE
    assert policy_here() == base
    assert await run_in(IndexPool(1, 10), policy_here) == base  # niced only
