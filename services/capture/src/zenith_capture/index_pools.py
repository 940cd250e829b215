"""Where a hub's uploaded frames are indexed: idle worker processes, niced threads.

Indexing (:func:`zenith_capture.index_work.index_frame`) is the hub's
heaviest work per upload, and the upload was acknowledged already, so it
must yield to the uploads web is still receiving. Two ways:

- :class:`IndexPool`: worker threads of capture's process, each niced by
  ``capture_index_nice`` (Linux, where a thread has its own priority). A
  niced thread still finishes its time slice: under the hub benchmark an
  upload's check waited 1.5-2.4 ms for a core.
- :class:`IdleIndex` (``capture_index_idle``, the default on Linux):
  ``capture_index_workers`` worker processes under the idle scheduling
  policy (``SCHED_IDLE``), given a core only while no other thread wants
  one. They are processes, not threads, because a thread under that policy
  shares capture's interpreter lock: preempted while holding it, it stopped
  capture's event loop for as long as other work kept the cores busy (1.2-1.6 s
  in ``bench/hub/index_priority.py``). A process holds only its own.

  The idle policy would let other work starve the index: while products
  encodes a night on every core, live images would wait for it to end. So a
  frame the processes have not finished within ``capture_index_idle_wait_s``
  is indexed by the niced threads instead, and so is every frame after it
  while one in the processes is still that late; a crashed worker process
  (the pool is then broken) is replaced and its frame goes to the threads too.
  A frame indexed twice that way is the same frame (see :mod:`index_work`).

The workers are forked from a server process that imported the indexing code
once (``forkserver``, preloaded), so each worker shares those pages and a
start takes milliseconds; :meth:`IdleIndex.start` starts the server ahead of
the first frame.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor
from typing import TypeVar

import cv2

from zenith.storage.blob import BlobStore
from zenith.storage.factory import open_blobs
from zenith_capture.index_work import IndexJob, IndexResult, Meters, index_frame
from zenith_capture.settings import CaptureSettings
from zenith_capture.telemetry import INDEXED_BY_THREADS

log = logging.getLogger("zenith.capture.index")

T = TypeVar("T")


def idle_supported() -> bool:
    """The idle policy and the forkserver exist (Linux)."""
    return sys.platform.startswith("linux") and hasattr(os, "SCHED_IDLE")


def lower_priority(nice: int) -> None:
    """Run the calling thread ``nice`` steps lower (Linux: a thread's own; elsewhere
    the call would change the whole process, so nothing happens)."""
    if not sys.platform.startswith("linux") or nice <= 0:
        return
    tid = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(19, current + nice))
    except OSError as exc:  # not allowed here (a seccomp profile): at the same priority
        log.info("index worker not lowered: %s", exc)


class IndexPool:
    """The worker threads that index uploaded frames, niced."""

    def __init__(self, workers: int, nice: int) -> None:
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="capture-index",
                                        initializer=lower_priority, initargs=(nice,))

    async def run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# in a worker process: what _start_worker opened
_blobs: BlobStore | None = None
_meters: Meters | None = None


def _start_worker(settings: CaptureSettings) -> None:
    """A worker process's start: the idle policy for all of it, one OpenCV thread
    (a frame is one worker's work), its own BlobStore and meters."""
    global _blobs, _meters
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except OSError as exc:  # a seccomp profile that refuses it: at normal priority
        log.warning("index process not under the idle policy: %s", exc)
    cv2.setNumThreads(1)
    _blobs, _meters = open_blobs(settings), Meters(settings)


def _index_in_worker(job: IndexJob) -> IndexResult:
    assert _blobs is not None and _meters is not None
    return index_frame(job, _blobs, _meters)


def _policy() -> int:
    return os.sched_getscheduler(0)


class IdleIndex:
    """Frames indexed in idle worker processes, the niced ``threads`` standing in
    when those are starved or broken (see the module's doc)."""

    def __init__(self, settings: CaptureSettings, threads: IndexPool,
                 here: Callable[[IndexJob], IndexResult]) -> None:
        self.settings = settings
        self.threads = threads
        self.here = here  # the same work in capture's process (its threads)
        self.wait_s = settings.capture_index_idle_wait_s
        self.fallbacks = 0  # frames the threads indexed instead
        self._ids = itertools.count()
        self._since: dict[int, float] = {}  # frames in the processes: when they were sent
        self._procs = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return ProcessPoolExecutor(max_workers=self.settings.capture_index_workers,
                                   mp_context=context, initializer=_start_worker,
                                   initargs=(self.settings,))

    async def start(self) -> None:
        """Start the server the workers are forked from, and one worker (in a thread:
        the server imports the indexing code first, about a second)."""
        await asyncio.to_thread(lambda: self._procs.submit(_policy).result())

    async def policy(self) -> int:
        """The scheduling policy a worker process runs under."""
        return await asyncio.wrap_future(self._procs.submit(_policy))

    def late(self) -> bool:
        """A frame has been in the processes longer than the wait."""
        now = time.monotonic()
        return any(now - sent > self.wait_s for sent in self._since.values())

    async def _on_threads(self, job: IndexJob, reason: str) -> IndexResult:
        self.fallbacks += 1
        INDEXED_BY_THREADS.labels(reason).inc()
        return await self.threads.run(lambda: self.here(job))

    async def run(self, job: IndexJob) -> IndexResult:
        if self.late():
            return await self._on_threads(job, "late")
        number, procs = next(self._ids), self._procs
        try:
            sent: Future[IndexResult] = procs.submit(_index_in_worker, job)
        except BrokenProcessPool:
            return await self._replaced(job, procs)
        self._since[number] = time.monotonic()
        sent.add_done_callback(lambda _: self._since.pop(number, None))
        waiting = asyncio.wrap_future(sent)
        try:
            return await asyncio.wait_for(asyncio.shield(waiting), self.wait_s)
        except TimeoutError:
            waiting.cancel()  # not started yet: it never will; else it runs on, unheard
            log.info("frame %s not indexed within %.0f s by the idle processes (the cores "
                     "are busy): indexed by the niced threads", job.key, self.wait_s)
            return await self._on_threads(job, "late")
        except BrokenProcessPool:
            return await self._replaced(job, procs)

    async def _replaced(self, job: IndexJob, broken: ProcessPoolExecutor) -> IndexResult:
        """A worker process died (killed, or crashed in a decoder): a new pool (once,
        however many frames hear of it), and this frame on the threads."""
        if broken is self._procs:
            log.warning("an index process died: its pool is replaced")
            self._procs = self._new_pool()
            broken.shutdown(wait=False, cancel_futures=True)
        log.warning("frame %s is indexed by the threads", job.key)
        return await self._on_threads(job, "broken")

    def close(self) -> None:
        self._procs.shutdown(wait=False, cancel_futures=True)
