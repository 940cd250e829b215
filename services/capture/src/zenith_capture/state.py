"""What survives a restart, in the ``zenith-capture`` KV bucket.

Keys (per camera): ``<camera>.desired`` (running or stopped, set by
start/stop), ``<camera>.exposure`` (the auto-exposure state, so a restart
resumes without hunting) and ``<camera>.simclock`` (the simulated time
reached, so a restarted simulator continues its night instead of
repeating it). Only this service reads the bucket, so the record models
live here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from nats.js.kv import KeyValue
from pydantic import BaseModel, Field

from zenith.bus.kv import Records
from zenith.timefmt import utcnow

Desired = Literal["running", "stopped"]


class DesiredRecord(BaseModel):
    state: Desired
    at: datetime


class ExposureRecord(BaseModel):
    exposure_s: float = Field(gt=0)
    gain: float = Field(gt=0)


class SimClockRecord(BaseModel):
    start: str
    reached: datetime


class CaptureState:
    def __init__(self, kv: KeyValue, camera: str) -> None:
        prefix = f"{camera}."
        self.camera = camera
        self._desired = Records(kv, DesiredRecord, prefix)
        self._exposure = Records(kv, ExposureRecord, prefix)
        self._clock = Records(kv, SimClockRecord, prefix)

    async def desired(self, default: Desired) -> Desired:
        record = await self._desired.get("desired")
        return record.state if record else default

    async def set_desired(self, state: Desired) -> None:
        await self._desired.put("desired", DesiredRecord(state=state, at=utcnow()))

    async def exposure(self) -> tuple[float, float] | None:
        record = await self._exposure.get("exposure")
        return (record.exposure_s, record.gain) if record else None

    async def set_exposure(self, exposure_s: float, gain: float) -> None:
        await self._exposure.put("exposure", ExposureRecord(exposure_s=exposure_s, gain=gain))

    async def sim_time(self, configured_start: str) -> datetime | None:
        """The simulated time reached, if the clock was started the same way."""
        record = await self._clock.get("simclock")
        if record is None or record.start != configured_start:
            return None
        return record.reached

    async def set_sim_time(self, configured_start: str, reached: datetime) -> None:
        await self._clock.put("simclock", SimClockRecord(start=configured_start,
                                                         reached=reached))
