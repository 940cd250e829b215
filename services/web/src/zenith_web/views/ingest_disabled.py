"""Sensors a camera's owner switched off (the profile's ``disabled_sensors``):
the hub stores none of their readings, in either dialect.

A reading's sensor is its ``sensor`` (line protocol: the measurement;
weather.php: the ``sensor`` field; a Zenith batch: each reading's sensor).
The set is asked of ``network`` at most once per :data:`TTL_S` per camera;
the owner's save in this web process forgets it at once (another replica
follows within that time).
"""

from __future__ import annotations

import time

from aiohttp import web

from zenith.contracts import profiles, sensors
from zenith.errors import NotFound
from zenith_web import keys

TTL_S = 30.0
MAX_CAMERAS = 10_000


class DisabledSensors:
    def __init__(self) -> None:
        self._sets: dict[str, tuple[float, frozenset[str]]] = {}

    async def of(self, request: web.Request, camera: str) -> frozenset[str]:
        now = time.monotonic()
        cached = self._sets.get(camera)
        if cached is not None and now - cached[0] < TTL_S:
            return cached[1]
        try:
            found = await request.app[keys.BUS].request(profiles.PROFILE_GET, {"camera": camera})
            names = frozenset(found.disabled_sensors)
        except NotFound:
            names = frozenset()
        if len(self._sets) >= MAX_CAMERAS:
            self._sets.clear()
        self._sets[camera] = (now, names)
        return names

    def forget(self, camera: str) -> None:
        self._sets.pop(camera, None)


DISABLED = web.AppKey("ingest_disabled_sensors", DisabledSensors)


def setup_disabled(app: web.Application) -> None:
    app[DISABLED] = DisabledSensors()


async def disabled_of(request: web.Request, camera: str) -> frozenset[str]:
    holder = request.app.get(DISABLED)
    return await holder.of(request, camera) if holder is not None else frozenset()


def forget(request: web.Request, camera: str) -> None:
    holder = request.app.get(DISABLED)
    if holder is not None:
        holder.forget(camera)


def enabled_only(
    readings: list[sensors.Reading], disabled: frozenset[str]
) -> list[sensors.Reading]:
    return [r for r in readings if r.sensor not in disabled]
