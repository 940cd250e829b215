"""Running the real gpio service in-process for tests."""

from __future__ import annotations

import contextlib
from typing import Any

from gpiozero.pins.mock import MockFactory

from zenith.runner import service_context
from zenith_gpio.main import GpioNode, make_serve
from zenith_gpio.settings import GpioSettings

CAMERA = "cam-1"


class GpioRunner:
    """Starts and stops the real service; ``node`` is the running one."""

    def __init__(self, settings: GpioSettings, factory: MockFactory,
                 max_pwm_hz: int = 1_000_000) -> None:
        self.settings = settings
        self.factory = factory
        self.max_pwm_hz = max_pwm_hz
        self.node: GpioNode | None = None
        self._stack: contextlib.AsyncExitStack | None = None

    async def start(self, **changes: Any) -> GpioNode:
        if changes:
            self.settings = self.settings.model_copy(update=changes)
        self._stack = contextlib.AsyncExitStack()
        serve = make_serve(self.factory, max_pwm_hz=self.max_pwm_hz)
        ctx = await self._stack.enter_async_context(service_context("gpio", self.settings,
                                                                    serve))
        self.node = ctx.served
        return ctx.served

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None
            self.node = None

    async def restart(self, **changes: Any) -> GpioNode:
        await self.stop()
        return await self.start(**changes)
