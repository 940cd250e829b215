"""The focuser controller: settings, position, moves, limits and stop.

The position is counted in steps as the motor makes them and saved in the
``zenith-focuser`` bucket after every move (and every second during a long
one). The ``focuser.position`` event carries it on the STATUS stream, at
most ten times a second while moving and once when the motor stops, so
the capture simulator and the web pages follow the motor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import replace

from gpiozero import Factory, GPIOPinInUse
from nats.js import JetStreamContext

from zenith.bus.events import try_publish
from zenith.contracts.focuser import POSITION, AutofocusState, Configure, Move, Position, Status
from zenith.errors import BadRequest, Conflict, Internal, ZenithError
from zenith.timefmt import to_iso, utcnow
from zenith_gpio.focuser.config import FocuserConfig
from zenith_gpio.focuser.drivers import DRIVERS, StepperDriver
from zenith_gpio.focuser.motion import MotorRun
from zenith_gpio.focuser.plan import waypoints
from zenith_gpio.metrics import FOCUSER_POSITION, FOCUSER_STEPS
from zenith_gpio.pins import PinBank
from zenith_gpio.store import JsonBucket

log = logging.getLogger("zenith.gpio.focuser")

PUBLISH_INTERVAL_S = 0.1
SAVE_INTERVAL_S = 1.0
RETRY_S = 5.0  # a failed save or publish is tried again this often


class Focuser:
    """One focuser motor; every public coroutine is safe to call concurrently."""

    def __init__(self, bank: PinBank, factory: Factory, store: JsonBucket,
                 js: JetStreamContext, camera: str, defaults: FocuserConfig) -> None:
        self.bank = bank
        self.factory = factory
        self.records = store
        self.js = js
        self.camera = camera
        self.defaults = defaults
        self.config = defaults
        self.position = 0
        self.target = 0
        self.driver: StepperDriver | None = None
        self.autofocus: AutofocusState | None = None
        self.autofocus_task: asyncio.Task[object] | None = None
        self._run: MotorRun | None = None
        self._run_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._publish_lock = asyncio.Lock()
        self._changed = asyncio.Event()
        self._published: tuple[int, bool] | None = None
        self._saved: int | None = None
        self._publisher: asyncio.Task[None] | None = None

    # -- state -------------------------------------------------------------

    @property
    def moving(self) -> bool:
        return self._run is not None

    @property
    def current(self) -> int:
        run = self._run
        return run.position if run is not None else self.position

    @property
    def autofocus_running(self) -> bool:
        return self.autofocus is not None and self.autofocus.running

    def status(self) -> Status:
        c = self.config
        return Status(position=self.current, target=self.target if self.moving else self.current,
                      moving=self.moving, driver=c.driver, min_position=c.min_position,
                      max_position=c.max_position, backlash=c.backlash, speed=c.speed,
                      reverse=c.reverse, autofocus=self.autofocus, pins=list(c.pins),
                      hold=c.hold)

    # -- start and close ---------------------------------------------------

    async def start(self) -> None:
        """Load saved settings and position, claim the pins, publish the position."""
        config = self.defaults
        saved = await self.records.get("settings")
        if saved is not None:
            try:
                config = FocuserConfig.from_json(saved, self.defaults)
            except (ValueError, TypeError) as exc:
                log.warning("ignoring saved focuser settings %r: %s", saved, exc)
        saved_position = await self.records.get("position")
        if saved_position is not None and isinstance(saved_position.get("position"), int):
            self.position = self.target = self._saved = saved_position["position"]
        FOCUSER_POSITION.set(self.position)
        try:
            if config.pins:
                await self.bank.reserve(config.pin_roles())
            self.driver = self._make_driver(config)
            self.config = config
        except Exception as exc:
            self.bank.unreserve(list(config.pins))
            log.error("focuser: cannot drive pins %s with %s (%s); running without a focuser "
                      "until it is configured again", list(config.pins), config.driver, exc)
            self.config = replace(config, pins=())
        self._publisher = asyncio.create_task(self._publish_loop(), name="focuser-publisher")
        await self._publish()

    async def close(self) -> None:
        """Stop everything, save the position, free the pins."""
        task = self.autofocus_task
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self._stop_run()
        if self._publisher is not None:
            self._publisher.cancel()
            await asyncio.gather(self._publisher, return_exceptions=True)
        await self._save_position()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._publish(), timeout=2)
        self._close_driver()
        self.bank.unreserve(list(self.config.pins))

    # -- commands ----------------------------------------------------------

    async def move(self, req: Move) -> Status:
        async with self._lock:
            self._check_idle()
            target = req.position if req.position is not None else self.position + (req.steps or 0)
            self._check_limits(target)
            run = self._start(target, req.speed or self.config.speed)
            task = self._run_task if run is not None else None
        if req.wait and task is not None:
            await asyncio.shield(task)
            if run is not None and run.error is not None:
                raise Internal(f"the motor stopped after {run.steps} steps: {run.error}",
                               code="motor_failed")
        return self.status()

    async def move_to(self, target: int) -> None:
        """Move and wait, for autofocus (which holds the focuser for itself)."""
        async with self._lock:
            if self.moving:
                raise Conflict("the focuser is moving", code="focuser_moving")
            self._require_driver()
            self._check_limits(target)
            run = self._start(target, self.config.speed)
            task = self._run_task if run is not None else None
        if task is not None:
            await asyncio.shield(task)
        if run is not None and run.error is not None:
            raise Internal(f"the motor stopped after {run.steps} steps: {run.error}",
                           code="motor_failed")

    async def stop(self) -> Status:
        """Stop a move at once (and a running autofocus)."""
        task = self.autofocus_task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self._stop_run()
        return self.status()

    async def sync(self, position: int) -> Status:
        async with self._lock:
            self._check_idle()
            self._check_limits(position)
            old = self.position
            self.position = self.target = position
            try:
                await self.records.put("position", {"position": position, "at": to_iso(utcnow())})
            except ZenithError:
                self.position = self.target = old
                raise
            self._saved = position
            FOCUSER_POSITION.set(position)
        await self._publish()
        return self.status()

    async def configure(self, change: Configure) -> Status:
        async with self._lock:
            self._check_idle()
            new = self.config.merged(change)
            if new != self.config:
                await self._apply(new)
        self._changed.set()
        return self.status()

    # -- internals ---------------------------------------------------------

    def _check_idle(self) -> None:
        if self.autofocus_running:
            raise Conflict("autofocus is running: wait for it or stop it first",
                           code="autofocus_running")
        if self.moving:
            raise Conflict(f"the focuser is moving to {self.target}: stop it or wait",
                           code="focuser_moving")

    def _require_driver(self) -> StepperDriver:
        if self.driver is None:
            raise Conflict("the focuser has no pins: configure its driver and pins first",
                           code="focuser_not_configured")
        return self.driver

    def _check_limits(self, target: int) -> None:
        c = self.config
        if not c.min_position <= target <= c.max_position:
            side = "min_position" if target < c.min_position else "max_position"
            limit = c.min_position if target < c.min_position else c.max_position
            raise BadRequest(f"position {target} is beyond the soft limit {side}={limit} "
                             f"(allowed {c.min_position}..{c.max_position}); nothing moved",
                             code="beyond_limits")

    def _start(self, target: int, speed: float) -> MotorRun | None:
        driver = self._require_driver()
        points = waypoints(self.position, target, self.config.backlash, self.config.min_position)
        self.target = target
        if not points:
            return None
        run = MotorRun(driver, self.position, points, speed, self.config.reverse,
                       on_steps=FOCUSER_STEPS.inc)
        self._run = run
        self._run_task = asyncio.create_task(self._execute(run), name="focuser-move")
        self._changed.set()
        return run

    async def _execute(self, run: MotorRun) -> None:
        loop = asyncio.get_running_loop()
        thread = loop.run_in_executor(None, run.run)
        try:
            await asyncio.shield(thread)
        except asyncio.CancelledError:
            run.stop()
            await asyncio.gather(thread, return_exceptions=True)
            raise
        finally:
            self.position = self.target = run.position
            self._run = None
            FOCUSER_POSITION.set(self.position)
            if run.error is not None:
                log.error("focuser: the motor stopped after %d steps: %s", run.steps, run.error)
        await self._save_position()
        await self._publish()

    async def _stop_run(self) -> None:
        run, task = self._run, self._run_task
        if run is not None:
            run.stop()
        if task is not None:
            await asyncio.gather(asyncio.shield(task), return_exceptions=True)

    def _make_driver(self, config: FocuserConfig) -> StepperDriver | None:
        if not config.pins:
            return None
        return DRIVERS[config.driver](self.factory, list(config.pins), config.hold)

    def _close_driver(self) -> None:
        if self.driver is not None:
            self.driver.close()
            self.driver = None

    async def _apply(self, new: FocuserConfig) -> None:
        """Switch to ``new``: pins, driver and saved settings, or nothing at all."""
        old = self.config
        hardware = (new.driver, new.pins, new.hold) != (old.driver, old.pins, old.hold)
        if hardware:
            await self.bank.reserve(new.pin_roles())
            self._close_driver()
            try:
                self.driver = self._make_driver(new)
            except Exception as exc:
                await self._back_to(old, new)
                raise _driver_error(new, exc) from exc
        try:
            await self.records.put("settings", new.to_json())
        except ZenithError:
            if hardware:
                self._close_driver()
                await self._back_to(old, new)
            raise
        self.config = new
        if hardware:
            self.bank.unreserve([p for p in old.pins if p not in new.pins])

    async def _back_to(self, old: FocuserConfig, new: FocuserConfig) -> None:
        self.bank.unreserve([p for p in new.pins if p not in old.pins])
        await self.bank.reserve(old.pin_roles())
        try:
            self.driver = self._make_driver(old)
        except Exception:
            log.exception("focuser: could not go back to pins %s", list(old.pins))
            self.driver = None

    async def _save_position(self) -> None:
        position = self.current
        if position == self._saved:
            return
        try:
            await self.records.put("position", {"position": position, "at": to_iso(utcnow())})
            self._saved = position
        except ZenithError as exc:
            log.warning("focuser: %s (will retry)", exc.message)

    async def _publish(self) -> None:
        async with self._publish_lock:
            state = (self.current, self.moving)
            if state == self._published:
                return
            event = Position(camera=self.camera, position=state[0], moving=state[1], at=utcnow())
            if await try_publish(self.js, POSITION, event, timeout=2, camera=self.camera):
                self._published = state

    async def _publish_loop(self) -> None:
        last_save = time.monotonic()
        while True:
            if not self.moving:
                behind = self.current != self._saved or (self.current, False) != self._published
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), RETRY_S if behind else None)
            self._changed.clear()
            await self._publish()
            if self.current != self._saved and (not self.moving
                                                or time.monotonic() - last_save >= SAVE_INTERVAL_S):
                await self._save_position()
                last_save = time.monotonic()
            await asyncio.sleep(PUBLISH_INTERVAL_S)


def _driver_error(config: FocuserConfig, exc: Exception) -> ZenithError:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, GPIOPinInUse):
        return Conflict(f"focuser pins {list(config.pins)} are in use elsewhere: {text}",
                        code="pin_busy")
    if isinstance(exc, ValueError):
        return BadRequest(f"the {config.driver} driver cannot use pins {list(config.pins)}: "
                          f"{text}", code="invalid_focuser")
    return Internal(f"the {config.driver} driver failed on pins {list(config.pins)}: {text}",
                    code="focuser_failed")
