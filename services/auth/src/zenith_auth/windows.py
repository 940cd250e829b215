"""Sliding-window counters shared by every auth replica, in JetStream KV.

At most ``limit`` hits per ``window_s`` for each counted thing (a camera
key, a client address), whichever replica answers: the counts live in
the bucket ``camerakeys.RATE_BUCKET``, one record per thing, so two or
ten replicas behind one queue group allow together what one allows.

The protocol:

- A record is ``{"s": [[slice, hits], ...]}``: the window is cut into
  :data:`SLICES` slices of ``window_s / SLICES`` seconds (``slice`` =
  ``floor(unix time / slice length)``); the hits of the last
  :data:`SLICES` slices count. So the window slides in steps of one slice,
  and the record stays a few dozen bytes, however high the limit.
- A hit is a compare-and-set on the record's revision
  (:func:`zenith.bus.kv.swap_json`): read, add one to the current slice,
  write only if no replica wrote in between; otherwise read again and
  retry after a short random pause (at most :data:`CAS_ATTEMPTS` times,
  then ``503 busy``). No hit is lost and none is counted twice, however
  many replicas race.
- Each replica remembers the revision it last wrote per record, and tries
  that first: one round trip while it is the only writer, a read and a
  write more after another replica's hit. Within a replica, hits on one
  record take turns (a lock per record in use), so its own concurrent
  requests never lose races to each other. A remembered record over the
  limit is refused without asking: other replicas can only have added hits.
- The record's key is ``<prefix><sha256 of the thing>``: bounded length,
  KV-safe, and no client address in the bucket. The bucket's max age
  (``RATE_TTL_S``, two windows) removes a record that nobody hit for that
  long, so the bucket holds only what was counted in the last minutes.
- Clocks: slices come from each replica's wall clock, so replicas must
  keep time (NTP); a replica that is seconds off shifts its hits by that
  much, it does not multiply the limit.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections import OrderedDict

from nats.js.kv import KeyValue

from zenith.bus.kv import read_entry, swap_json
from zenith.errors import Unavailable

SLICES = 12
CAS_ATTEMPTS = 50
BACKOFF_S = 0.002  # a lost race waits up to this many seconds per lost race (jitter)
REMEMBERED = 10_000  # records whose last revision a replica keeps (least recent forgotten)

Slices = list[list[int]]


class Windows:
    """One limit (``limit`` hits per ``window_s``) over the records under ``prefix``."""

    def __init__(self, kv: KeyValue, prefix: str, window_s: float, limit: int) -> None:
        self.kv = kv
        self.prefix = prefix
        self.window_s = window_s
        self.limit = limit
        self.slice_s = window_s / SLICES
        self._known: OrderedDict[str, tuple[int, Slices]] = OrderedDict()
        self._turns: dict[str, tuple[asyncio.Lock, int]] = {}  # record -> (lock, users)

    def key(self, thing: str) -> str:
        return self.prefix + hashlib.sha256(thing.encode()).hexdigest()[:40]

    def _live(self, slices: Slices, now: float) -> Slices:
        oldest = int(now // self.slice_s) - SLICES + 1
        return [[s, n] for s, n in slices if s >= oldest]

    def _wait(self, live: Slices, now: float) -> float | None:
        """None while under the limit; else seconds until enough old slices leave."""
        over = sum(n for _, n in live) - self.limit + 1
        if over <= 0:
            return None
        for s, n in sorted(live):
            over -= n
            if over <= 0:
                return max(0.0, (s + SLICES) * self.slice_s - now)
        return self.window_s  # not reached: the hits counted are all in the window

    @staticmethod
    def _slices(value: dict[str, object] | None) -> Slices:
        raw = (value or {}).get("s")
        if not isinstance(raw, list):
            return []
        return [[int(p[0]), int(p[1])] for p in raw
                if isinstance(p, list) and len(p) == 2
                and all(isinstance(x, int) for x in p)]

    async def peek(self, thing: str) -> float | None:
        """None while ``thing`` is under the limit; else seconds until a hit frees up."""
        value, _ = await read_entry(self.kv, self.key(thing))
        now = time.time()
        return self._wait(self._live(self._slices(value), now), now)

    async def hit(self, thing: str) -> float | None:
        """Count one hit unless over the limit (then: seconds to wait, nothing counted)."""
        key = self.key(thing)
        lock, users = self._turns.get(key) or (asyncio.Lock(), 0)
        self._turns[key] = (lock, users + 1)
        try:
            async with lock:
                return await self._hit(key)
        finally:
            lock, users = self._turns[key]
            if users == 1:
                del self._turns[key]
            else:
                self._turns[key] = (lock, users - 1)

    async def _hit(self, key: str) -> float | None:
        known = self._known.get(key)
        for attempt in range(CAS_ATTEMPTS):
            if known is None:
                value, revision = await read_entry(self.kv, key)
                slices = self._slices(value)
            else:
                revision, slices = known
            now = time.time()
            live = self._live(slices, now)
            wait = self._wait(live, now)
            if wait is not None:
                return wait
            current = int(now // self.slice_s)
            slot = next((pair for pair in live if pair[0] == current), None)
            if slot is not None:
                slot[1] += 1
            else:
                live.append([current, 1])
            written = await swap_json(self.kv, key, {"s": live}, revision)
            if written is not None:
                self._remember(key, written, live)
                return None
            known = None  # another replica wrote in between: read what it wrote
            await asyncio.sleep(random.uniform(0, BACKOFF_S * (attempt + 1)))
        raise Unavailable("too many uploads at once: try again", code="busy")

    def _remember(self, key: str, revision: int, slices: Slices) -> None:
        self._known[key] = (revision, slices)
        self._known.move_to_end(key)
        while len(self._known) > REMEMBERED:
            self._known.popitem(last=False)
