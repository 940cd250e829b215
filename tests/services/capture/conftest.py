"""Capture tests: a real nats-server, the service in-process, SQLite stores in tmp."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from zenith.cli.nats_server import NatsServer
from zenith.config import load_settings
from zenith.runner import ServiceContext, service_context
from zenith_capture.service import CaptureApp, start_capture
from zenith_capture.settings import CaptureSettings

# a moonless November night at 52° N, 5° E (new moon on 2026-11-09)
NIGHT = datetime(2026, 11, 9, 21, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 9, 11, 0, tzinfo=UTC)
CAMERA = "cam-1"


def settings_for(data_dir: Path, nats_url: str = "nats://127.0.0.1:1", **overrides: Any
                 ) -> CaptureSettings:
    values: dict[str, Any] = {
        "camera": CAMERA, "nats_url": nats_url, "data_dir": data_dir,
        "latitude": 52.0, "longitude": 5.0,
        "capture_driver": "simulator", "capture_sim_start": NIGHT, "capture_sim_speed": 600.0,
        "capture_width": 640, "capture_height": 480, "capture_interval_s": 60.0,
        "capture_sim_clouds": 0.0, "capture_sim_faint_stars": 1500,
        "capture_min_free_mb": 0.0, "capture_timeout_s": 10.0,
        "capture_night_max_exposure_s": 30.0,
    }
    values.update(overrides)
    return load_settings(CaptureSettings, env={}, **values)


@pytest.fixture
def make_settings(tmp_path: Path, nats_server: NatsServer) -> Callable[..., CaptureSettings]:
    def make(**overrides: Any) -> CaptureSettings:
        return settings_for(tmp_path / "data", nats_server.url, **overrides)
    return make


@contextlib.asynccontextmanager
async def running_capture(settings: CaptureSettings
                          ) -> AsyncIterator[tuple[ServiceContext[CaptureSettings], CaptureApp]]:
    """The capture service running in-process (its real entry point's setup)."""
    apps: list[CaptureApp] = []

    async def serve(ctx: ServiceContext[CaptureSettings]) -> None:
        apps.append(await start_capture(ctx))

    async with service_context("capture", settings, serve) as ctx:
        yield ctx, apps[0]


async def eventually(check: Callable[[], Awaitable[Any] | Any], timeout: float = 30.0,
                     every: float = 0.1) -> Any:
    """Poll ``check`` until it returns something truthy (fails after ``timeout``)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last) or isinstance(last, Awaitable):
            last = await last
        if last:
            return last
        await asyncio.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")
