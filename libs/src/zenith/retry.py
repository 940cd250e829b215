"""Retries and backoff, one way everywhere: through ``tenacity``.

Two shapes:

- a loop that tries until it succeeds (or is told to stop):
  :func:`retrying` is a ``tenacity.AsyncRetrying`` that waits ``first``
  seconds, doubling to ``maximum``, with jitter, for ever unless ``stop_when``
  says so::

      async for attempt in retrying(0.2, 5.0, stop_when=lambda: stopping):
          with attempt:
              await fetch()

- a schedule that is not a loop (the capture host opens the camera again
  "in n seconds" from its own loop): :class:`Backoff` hands out the same
  doubling delays one at a time.
"""

from __future__ import annotations

from collections.abc import Callable

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_never,
    wait_exponential,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base


class _StopWhen(stop_base):
    def __init__(self, predicate: Callable[[], bool]) -> None:
        self.predicate = predicate

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.predicate()


def retrying(first: float, maximum: float, *, stop_when: Callable[[], bool] | None = None,
             on: tuple[type[BaseException], ...] = (Exception,),
             jitter: float | None = None) -> AsyncRetrying:
    """Try again after ``first`` s, doubling to ``maximum`` s (plus up to
    ``jitter`` s, default ``first``), while the error is one of ``on``. The
    last error is raised when ``stop_when`` turns true."""
    return AsyncRetrying(
        wait=wait_exponential_jitter(multiplier=first, max=maximum,
                                     jitter=first if jitter is None else jitter),
        retry=retry_if_exception_type(on),
        stop=stop_never if stop_when is None else _StopWhen(stop_when),
        reraise=True,
    )


def delay_for(attempt: int, first: float, maximum: float) -> float:
    """The wait before try ``attempt`` + 1 (``attempt`` ≥ 1): ``first``,
    doubling, at most ``maximum``; no jitter."""
    state = RetryCallState(None, None, (), {})  # type: ignore[arg-type]
    state.attempt_number = max(1, attempt)
    return float(wait_exponential(multiplier=first, min=first, max=maximum)(state))


class Backoff:
    """Doubling delays handed out one at a time; :meth:`reset` after a success."""

    def __init__(self, first: float, maximum: float) -> None:
        self.first = first
        self.maximum = maximum
        self.attempts = 0

    @property
    def current(self) -> float:
        """The delay the next failure will get."""
        return delay_for(self.attempts + 1, self.first, self.maximum)

    def next(self) -> float:
        self.attempts += 1
        return delay_for(self.attempts, self.first, self.maximum)

    def reset(self) -> None:
        self.attempts = 0
