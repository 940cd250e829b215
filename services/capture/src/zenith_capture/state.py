"""What survives a restart, in the ``zenith-capture`` KV bucket.

Keys (per camera): ``<camera>.desired`` (running or stopped, set by
start/stop), ``<camera>.exposure`` (the auto-exposure state, so a restart
resumes without hunting) and ``<camera>.simclock`` (the simulated time
reached, so a restarted simulator continues its night instead of
repeating it).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Literal

from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from zenith.timefmt import from_iso, to_iso, utcnow

log = logging.getLogger("zenith.capture")

Desired = Literal["running", "stopped"]


class CaptureState:
    def __init__(self, kv: KeyValue, camera: str) -> None:
        self.kv = kv
        self.camera = camera

    async def _get(self, name: str) -> dict[str, Any] | None:
        try:
            entry = await self.kv.get(f"{self.camera}.{name}")
        except KeyNotFoundError:
            return None
        if entry is None or not entry.value:
            return None
        try:
            value = json.loads(entry.value)
        except (UnicodeDecodeError, json.JSONDecodeError):
            log.warning("ignoring unreadable %s.%s in the KV bucket", self.camera, name)
            return None
        return value if isinstance(value, dict) else None

    async def _put(self, name: str, value: dict[str, Any]) -> None:
        await self.kv.put(f"{self.camera}.{name}", json.dumps(value).encode())

    async def desired(self, default: Desired) -> Desired:
        value = await self._get("desired")
        state = value.get("state") if value else None
        return state if state in ("running", "stopped") else default

    async def set_desired(self, state: Desired) -> None:
        await self._put("desired", {"state": state, "at": to_iso(utcnow())})

    async def exposure(self) -> tuple[float, float] | None:
        value = await self._get("exposure")
        try:
            if value:
                exposure, gain = float(value["exposure_s"]), float(value["gain"])
                if exposure > 0 and gain > 0:
                    return exposure, gain
        except (KeyError, TypeError, ValueError):
            pass
        return None

    async def set_exposure(self, exposure_s: float, gain: float) -> None:
        await self._put("exposure", {"exposure_s": exposure_s, "gain": gain})

    async def sim_time(self, configured_start: str) -> datetime | None:
        """The simulated time reached, if the clock was started the same way."""
        value = await self._get("simclock")
        if not value or value.get("start") != configured_start:
            return None
        try:
            return from_iso(str(value["reached"]))
        except (KeyError, ValueError):
            return None

    async def set_sim_time(self, configured_start: str, reached: datetime) -> None:
        await self._put("simclock", {"start": configured_start, "reached": to_iso(reached)})
