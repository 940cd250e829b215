"""Autofocus: sweep the focuser, score a frame at each stop, go to the best.

The sweep runs outward (increasing position), the side every move ends on,
so each sample is taken with the gear slack in the same place. At each stop
the capture service takes a frame (``capture.snapshot`` with
``image=false``) and returns its HFR, star count and sharpness; the run's
progress is visible in ``focuser.status`` (``autofocus``). If capture cannot
deliver, the focuser goes back where it started and the caller gets the
capture error (503 when no capture service answers).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from zenith.bus.client import BusClient
from zenith.contracts.capture import SNAPSHOT, Snapshot, SnapshotReply
from zenith.contracts.focuser import Autofocus, AutofocusReply, AutofocusState, CurvePoint
from zenith.errors import BadRequest, BusTimeout, Conflict, Unavailable, ZenithError
from zenith.timefmt import utcnow
from zenith_gpio.focuser.controller import Focuser
from zenith_gpio.focuser.curve import (
    Method,
    Sample,
    best_focus,
    choose_method,
    score,
    usable,
)
from zenith_gpio.metrics import AUTOFOCUS_RUNS
from zenith_gpio.settings import GpioSettings

log = logging.getLogger("zenith.gpio.autofocus")

MAX_SAMPLES = 200
POSITION_CHECKS = 8  # snapshots retried while capture still reports the old position
POSITION_CHECK_WAIT_S = 0.25
FLAT_SPREAD = 0.02  # scores varying less than this across a sweep carry no signal


def sweep_positions(start: int, end: int, step: int) -> list[int]:
    positions = list(range(start, end + 1, step))
    if positions[-1] != end:
        positions.append(end)
    return positions


class AutofocusRun:
    """Runs one autofocus on ``focuser``; one at a time (a second is a 409)."""

    def __init__(self, focuser: Focuser, bus: BusClient, camera: str,
                 settings: GpioSettings) -> None:
        self.focuser = focuser
        self.bus = bus
        self.camera = camera
        self.settings = settings

    def plan(self, req: Autofocus) -> list[int]:
        """The sweep positions; BadRequest when they do not fit the soft limits."""
        f = self.focuser
        low, high = f.config.min_position, f.config.max_position
        half = self.settings.gpio_autofocus_range
        start = req.start if req.start is not None else max(low, f.position - half)
        end = req.end if req.end is not None else min(high, f.position + half)
        step = req.step or self.settings.gpio_autofocus_step
        for name, value in (("start", start), ("end", end)):
            if not low <= value <= high:
                raise BadRequest(f"sweep {name} {value} is beyond the soft limits "
                                 f"{low}..{high}", code="beyond_limits")
        if end <= start:
            raise BadRequest(f"sweep end {end} must be above start {start}", code="bad_sweep")
        positions = sweep_positions(start, end, step)
        if len(positions) < 3:
            raise BadRequest(f"a sweep {start}..{end} every {step} steps has "
                             f"{len(positions)} positions; it needs at least 3", code="bad_sweep")
        if len(positions) > MAX_SAMPLES:
            raise BadRequest(f"a sweep {start}..{end} every {step} steps has {len(positions)} "
                             f"positions; at most {MAX_SAMPLES}", code="bad_sweep")
        return positions

    async def run(self, req: Autofocus) -> AutofocusReply:
        f = self.focuser
        if f.autofocus_running:
            raise Conflict("autofocus is already running", code="autofocus_running")
        if f.moving:
            raise Conflict("the focuser is moving: stop it or wait", code="focuser_moving")
        if f.driver is None:
            raise Conflict("the focuser has no pins: configure its driver and pins first",
                           code="focuser_not_configured")
        positions = self.plan(req)
        f.autofocus = AutofocusState(running=True)
        sweep = asyncio.create_task(self._sweep(positions, req, f.position), name="autofocus")
        f.autofocus_task = sweep
        try:
            return await sweep
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if sweep.cancelled() and task is not None and not task.cancelling():
                raise Conflict("autofocus was stopped", code="autofocus_stopped") from None
            raise
        finally:
            f.autofocus_task = None
            if f.autofocus is not None and f.autofocus.running:  # ended by stop or shutdown
                f.autofocus = f.autofocus.model_copy(update={
                    "running": False, "error": "stopped", "finished_at": utcnow()})
                AUTOFOCUS_RUNS.labels("stopped").inc()

    async def _sweep(self, positions: list[int], req: Autofocus, origin: int) -> AutofocusReply:
        f = self.focuser
        samples: list[Sample] = []
        try:
            for i, position in enumerate(positions):
                await f.move_to(position)
                if self.settings.gpio_autofocus_settle_s:
                    await asyncio.sleep(self.settings.gpio_autofocus_settle_s)
                frame = await self._snapshot(position, req.exposure_s)
                samples.append(Sample(position, frame.hfr, frame.stars, frame.sharpness))
                self._progress(samples, (i + 1) / (len(positions) + 1))
            try:
                method = choose_method(samples, self.settings.gpio_autofocus_min_stars)
            except ValueError as exc:
                raise Unavailable(f"capture gave no usable focus metric: {exc}",
                                  code="no_focus_metric") from None
        except (ZenithError, OSError) as exc:
            await self._fail(exc, origin)
            raise
        samples = usable(samples, method, self.settings.gpio_autofocus_min_stars)
        scores = [score(s, method) for s in samples]
        fit = best_focus([s.position for s in samples], scores, lower_is_better=method == "hfr",
                         squared=method == "hfr")
        await f.move_to(fit.best_position)
        curve = _curve(samples, method)
        note = sweep_note(fit.best_sample, positions, scores)
        f.autofocus = AutofocusState(running=False, progress=1.0, method=method, curve=curve,
                                     best_position=fit.best_position, finished_at=utcnow(),
                                     note=note)
        AUTOFOCUS_RUNS.labels("ok").inc()
        log.info("autofocus: %s best at %d (sample %d, %s)", method, fit.best_position,
                 fit.best_sample, "fitted" if fit.vertex_used else "best sample")
        return AutofocusReply(best_position=fit.best_position, method=method, curve=curve,
                              fit=list(fit.coefficients) if fit.coefficients else None,
                              note=note)

    async def _snapshot(self, position: int, exposure_s: float | None) -> SnapshotReply:
        timeout = (exposure_s or 0.0) * 2 + self.settings.gpio_autofocus_timeout_s
        request = Snapshot(image=False, exposure_s=exposure_s)
        for _ in range(POSITION_CHECKS):
            try:
                reply: SnapshotReply = await self.bus.request(
                    SNAPSHOT, request, camera=self.camera, timeout=timeout)
            except Unavailable as exc:
                raise Unavailable(f"capture is not available: {exc.message}",
                                  code="capture_unavailable") from None
            except BusTimeout:
                raise BusTimeout(f"capture did not answer within {timeout:.0f} s",
                                 code="capture_timeout") from None
            except ZenithError as exc:
                raise Unavailable(f"capture could not take a frame: {exc.message}",
                                  code="capture_failed") from None
            if reply.focus_position is None or reply.focus_position == position:
                return reply
            # capture has not seen the position event yet: ask again
            await asyncio.sleep(POSITION_CHECK_WAIT_S)
        log.warning("autofocus: capture reports focus position %s, not %d; using its frame",
                    reply.focus_position, position)
        return reply

    def _progress(self, samples: Sequence[Sample], progress: float) -> None:
        min_stars = self.settings.gpio_autofocus_min_stars
        points = [CurvePoint(position=s.position,
                             score=(s.hfr if s.has_hfr(min_stars) else s.sharpness) or 0.0,
                             hfr=s.hfr, stars=s.stars, sharpness=s.sharpness) for s in samples]
        self.focuser.autofocus = AutofocusState(running=True, progress=round(progress, 3),
                                                curve=points)

    async def _fail(self, exc: Exception, origin: int) -> None:
        f = self.focuser
        message = exc.message if isinstance(exc, ZenithError) else str(exc)
        log.warning("autofocus failed (%s); going back to %d", message, origin)
        try:
            await f.move_to(origin)
        except ZenithError as back:
            log.error("autofocus: could not go back to %d: %s", origin, back.message)
        current = f.autofocus or AutofocusState(running=False)
        f.autofocus = current.model_copy(update={"running": False, "error": message,
                                                 "finished_at": utcnow()})
        AUTOFOCUS_RUNS.labels("failed").inc()


def _curve(samples: Sequence[Sample], method: Method) -> list[CurvePoint]:
    return [CurvePoint(position=s.position, score=score(s, method), hfr=s.hfr, stars=s.stars,
                       sharpness=s.sharpness) for s in samples]


def sweep_note(best_sample: int, positions: Sequence[int], scores: Sequence[float]) -> str | None:
    """What the user should know about a finished sweep, if anything."""
    low, high = min(scores), max(scores)
    spread = (high - low) / max(abs(high), abs(low), 1e-9)
    if spread < FLAT_SPREAD:
        return (f"the scores changed by only {spread:.1%} across the sweep: no focus signal "
                "(too few stars, daylight, clouds?) or a sweep too short")
    if best_sample == positions[0]:
        return (f"the best frame is at the start of the sweep ({best_sample}): focus may lie "
                "below it; sweep further in")
    if best_sample == positions[-1]:
        return (f"the best frame is at the end of the sweep ({best_sample}): focus may lie "
                "above it; sweep further out")
    return None
