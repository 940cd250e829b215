"""The sensors service's bus endpoints (contracts in ``zenith.contracts.sensors``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zenith.bus import BusService, Call
from zenith.contracts import sensors
from zenith.errors import BadRequest
from zenith.storage.series import SeriesStore
from zenith.timefmt import utcnow
from zenith_sensors.alerts import AlertEngine
from zenith_sensors.controls import Controls
from zenith_sensors.switching import Switches


async def serve_node(svc: BusService, camera: str, current: Callable[[], list[sensors.Reading]],
                     states: Callable[[], list[sensors.SensorState]], controls: Controls,
                     alert_engine: AlertEngine, switches: Switches) -> None:
    async def get_current(call: Call[Any]) -> sensors.CurrentReply:
        return sensors.CurrentReply(readings=current())

    async def status(call: Call[Any]) -> sensors.StatusReply:
        return sensors.StatusReply(camera=camera, sensors=states(), controls=controls.states(),
                                   alerts=alert_engine.active())

    async def override(call: Call[sensors.OverrideRequest]) -> sensors.ControlState:
        return await controls.set_override(call.body)

    async def disabled(call: Call[sensors.DisabledSet]) -> sensors.DisabledReply:
        return await switches.apply(call.body.disabled)

    await svc.serve(sensors.CURRENT, get_current)
    await svc.serve(sensors.DISABLED_SET, disabled)
    await svc.serve(sensors.STATUS, status)
    await svc.serve(sensors.OVERRIDE, override)


async def serve_series(svc: BusService, series: SeriesStore) -> None:
    async def query(call: Call[sensors.SeriesRequest]) -> sensors.SeriesReply:
        body = call.body
        end = body.end or utcnow()
        if body.start.tzinfo is None or end.tzinfo is None:
            raise BadRequest("start and end need a time zone (e.g. ...Z)", code="invalid_request")
        if end <= body.start:
            raise BadRequest("end must be after start", code="invalid_request")
        span = (end - body.start).total_seconds()
        if body.every_s is not None and span / body.every_s > body.max_points:
            raise BadRequest(f"{span / body.every_s:.0f} windows is more than max_points "
                             f"{body.max_points}: ask with a larger every_s",
                             code="too_many_points")
        tags = {"camera": body.camera}
        if body.sensor:
            tags["sensor"] = body.sensor
        rows = await series.query(body.measurement, body.fields, start=body.start, end=end,
                                  tags=tags, every_s=body.every_s, aggregate=body.aggregate)
        if len(rows) > body.max_points:
            raise BadRequest(f"{len(rows)} points is more than max_points {body.max_points}: "
                             "ask with every_s", code="too_many_points")
        return sensors.SeriesReply(
            camera=body.camera, measurement=body.measurement, every_s=body.every_s,
            aggregate=body.aggregate,
            rows=[sensors.SeriesRow(time=r.time, values=dict(r.values)) for r in rows])

    async def latest(call: Call[sensors.LatestRequest]) -> sensors.LatestReply:
        body = call.body
        tags = {"camera": body.camera}
        names = ([body.measurement] if body.measurement
                 else await series.measurements(tags))[:sensors.MAX_LATEST_MEASUREMENTS]
        out: list[sensors.LatestField] = []
        for name in names:
            for x in await series.latest(name, tags=tags):
                out.append(sensors.LatestField(measurement=name, sensor=x.tags.get("sensor"),
                                               field=x.field, time=x.time, value=x.value))
        return sensors.LatestReply(camera=body.camera, fields=out)

    async def usage(call: Call[sensors.UsageRequest]) -> sensors.UsageReply:
        body = call.body
        out = []
        for name in dict.fromkeys(body.measurements):
            found = await series.usage(name, tags={"camera": body.camera})
            out.append(sensors.MeasurementUsage(measurement=name, points=found.points,
                                                bytes=found.bytes))
        return sensors.UsageReply(camera=body.camera, measurements=out)

    await svc.serve(sensors.SERIES, query)
    await svc.serve(sensors.USAGE, usage)
    await svc.serve(sensors.LATEST, latest)
