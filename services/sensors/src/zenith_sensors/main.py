"""Entry point: ``zenith run sensors``.

Tests run the real service in-process and keep what it started::

    async with service_context("sensors", settings, serve) as ctx: ...
    # or start(ctx) for the SensorsNode
"""

from __future__ import annotations

from collections.abc import Sequence

from zenith.runner import ServiceContext, run
from zenith_sensors.service import start
from zenith_sensors.settings import SensorsSettings


async def serve(ctx: ServiceContext[SensorsSettings]) -> None:
    await start(ctx)


def main(argv: Sequence[str] | None = None) -> int:
    return run("sensors", SensorsSettings, serve)
