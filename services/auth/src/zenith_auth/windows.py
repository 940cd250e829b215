"""Sliding-window counters in memory: at most ``limit`` hits per ``window_s``.

Used for the camera key limits, which are checked on every upload (too
often for a store round trip). Each replica counts for itself; the number
of keys tracked is bounded (the least recently used are forgotten).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque

MAX_KEYS = 100_000


class Windows:
    def __init__(self, window_s: float, limit: int, max_keys: int = MAX_KEYS) -> None:
        self.window_s = window_s
        self.limit = limit
        self.max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            hits = deque()
            self._hits[key] = hits
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
        else:
            self._hits.move_to_end(key)
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        return hits

    def peek(self, key: str) -> float | None:
        """None while under the limit; else seconds until a hit frees up."""
        now = time.monotonic()
        hits = self._recent(key, now)
        if len(hits) >= self.limit:
            return hits[len(hits) - self.limit] + self.window_s - now
        return None

    def hit(self, key: str) -> float | None:
        """Count one hit unless over the limit (then: seconds to wait)."""
        wait = self.peek(key)
        if wait is None:
            self._hits[key].append(time.monotonic())
        return wait
