"""Sensors switched off (``sensors.DISABLED_SET``): configured, but not read.

A node's uplink sends what the camera's owner chose on the hub; an admin of
the node may send it too. The set is a record ``<camera>.disabled`` in the
``zenith-sensors`` bucket, so a restart keeps it. A switched-off sensor's
loop is stopped (its driver closed) and replaced by a fresh one that is not
started, whose state says ``disabled``; switching it on starts that loop.
Names that are not in the configuration are kept: a sensor configured later
starts switched off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from zenith.bus.events import try_publish
from zenith.bus.kv import Records
from zenith.contracts import sensors
from zenith_sensors.poller import SensorLoop

log = logging.getLogger("zenith.sensors")

RECORD = "disabled"


def disabled_state(loop: SensorLoop) -> sensors.SensorState:
    return loop.state.model_copy(
        update={"status": "disabled", "failures": 0, "error": None, "next_try": None}
    )


class Switches:
    def __init__(
        self,
        camera: str,
        loops: dict[str, SensorLoop],
        make_loop: Callable[[str], SensorLoop],
        records: Records[sensors.DisabledSet],
        latest: dict[str, sensors.Reading],
    ) -> None:
        self.camera = camera
        self.loops = loops  # one per configured sensor; the switched-off ones not started
        self.make_loop = make_loop
        self.records = records
        self.latest = latest
        self.disabled: set[str] = set()

    async def restore(self) -> set[str]:
        """The saved set, before any loop starts: those loops are marked disabled."""
        saved = await self.records.get(RECORD)
        self.disabled = set(saved.disabled) if saved is not None else set()
        for name in self.disabled & set(self.loops):
            self.loops[name].state = disabled_state(self.loops[name])
        return self.disabled

    def start(self) -> None:
        for name, loop in self.loops.items():
            if name not in self.disabled:
                loop.start()

    async def stop(self) -> None:
        for loop in self.loops.values():
            await loop.stop()

    async def apply(self, wanted: list[str]) -> sensors.DisabledReply:
        new = set(wanted)
        await self.records.put(RECORD, sensors.DisabledSet(disabled=sorted(new)))
        off, on = (new - self.disabled) & set(self.loops), (self.disabled - new) & set(self.loops)
        self.disabled = new
        for name in sorted(off):
            await self.loops[name].stop()
            fresh = self.make_loop(name)
            fresh.state = disabled_state(fresh)
            self.loops[name] = fresh
            self.latest.pop(name, None)
            await try_publish(
                fresh.js, sensors.SENSOR_STATUS, fresh.state, camera=self.camera, sensor=name
            )
        for name in sorted(on):
            loop = self.loops[name]
            loop.state = loop.state.model_copy(update={"status": "starting"})
            loop.start()
        if off or on:
            log.info(
                "sensors switched off: %s; on again: %s",
                ", ".join(sorted(off)) or "none",
                ", ".join(sorted(on)) or "none",
            )
        return sensors.DisabledReply(
            disabled=sorted(new), sensors=[loop.state for loop in self.loops.values()]
        )
