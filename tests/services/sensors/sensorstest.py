"""Running the real sensors service in-process for tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from zenith.runner import ServiceContext, service_context
from zenith_sensors.service import SensorsNode, start
from zenith_sensors.settings import SensorsSettings

CAMERA = "cam-1"


class SensorsRunner:
    def __init__(self, settings: SensorsSettings) -> None:
        self.settings = settings
        self.node: SensorsNode | None = None
        self._stack: contextlib.AsyncExitStack | None = None

    async def start(self, **changes: Any) -> SensorsNode:
        if changes:
            self.settings = self.settings.model_copy(update=changes)
        nodes: list[SensorsNode] = []

        async def serve(ctx: ServiceContext[SensorsSettings]) -> None:
            nodes.append(await start(ctx))

        self._stack = contextlib.AsyncExitStack()
        await self._stack.enter_async_context(service_context("sensors", self.settings, serve))
        self.node = nodes[0]
        return self.node

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None
            self.node = None


async def eventually(check: Callable[[], Any], timeout: float = 30.0, every: float = 0.05
                     ) -> Any:
    """Wait until ``check()`` (sync or async) returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(every)
