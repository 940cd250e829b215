"""One move of the motor, stepped in a worker thread at a steady rate.

The asyncio loop cannot time steps finer than a millisecond or so; a
thread sleeping until each step's due time can. The thread updates
``position`` after every step and checks the stop event between steps (and
while waiting for the next one), so a stop takes effect within one step.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from zenith_gpio.focuser.drivers import StepperDriver


class MotorRun:
    """Steps ``driver`` through ``points`` at ``speed`` steps/s from ``position``."""

    def __init__(self, driver: StepperDriver, position: int, points: list[int], speed: float,
                 reverse: bool = False, on_steps: Callable[[int], None] | None = None) -> None:
        self.driver = driver
        self.position = position
        self.points = points
        self.period = 1.0 / speed
        self.reverse = reverse
        self.on_steps = on_steps
        self.stopping = threading.Event()
        self.steps = 0
        self.error: BaseException | None = None

    @property
    def stopped(self) -> bool:
        return self.stopping.is_set()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        """The thread body: never raises; a driver error ends the move and is kept."""
        try:
            self._run()
        except BaseException as exc:  # reported to the loop, never lost
            self.error = exc
        finally:
            try:
                self.driver.end()
            except Exception as exc:
                self.error = self.error or exc
            if self.on_steps is not None:
                self.on_steps(self.steps)

    def _run(self) -> None:
        due = time.perf_counter()
        for point in self.points:
            if point == self.position:
                continue
            direction = 1 if point > self.position else -1
            motor_direction = -direction if self.reverse else direction
            self.driver.begin(motor_direction)
            due = max(due, time.perf_counter())
            while self.position != point:
                if self.stopping.is_set():
                    return
                self.driver.step(motor_direction)
                self.position += direction
                self.steps += 1
                due += self.period
                delay = due - time.perf_counter()
                if delay > 0:
                    if self.stopping.wait(delay):
                        return
                else:
                    due = time.perf_counter()  # running late: do not burst to catch up
