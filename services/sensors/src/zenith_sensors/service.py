"""The running sensors service: what ``serve`` starts, in one object.

On a node: a :class:`~.poller.SensorLoop` per sensor (those switched off,
:mod:`~.switching`, not started), the heater and fan
:class:`~.controls.Controls`, the :class:`~.alerts.AlertEngine` with its
channels, optionally the MQTT bridge. Everywhere (node and hub): the
SeriesStore writer and the series endpoint. On a hub (``sensors_hub_alerts``)
also :class:`~.hub.HubAlerts`, the alerts of every uploading camera.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from nats.aio.msg import Msg

from zenith.bus import BusService
from zenith.bus.jetstream import bucket
from zenith.bus.kv import Records
from zenith.contracts import capture, frames, sensors
from zenith.runner import ServiceContext
from zenith.storage.factory import open_series
from zenith.storage.series import SeriesStore
from zenith.timefmt import utcnow
from zenith_sensors import demo
from zenith_sensors.alerts import DEFAULT_RULES, AlertEngine
from zenith_sensors.backends import open_sensor
from zenith_sensors.backends.base import Environment
from zenith_sensors.backends.night import Night, night_hours
from zenith_sensors.channels import Channels
from zenith_sensors.config import SensorSpec
from zenith_sensors.controls import Controls
from zenith_sensors.endpoints import serve_node, serve_series
from zenith_sensors.hub import HubAlerts
from zenith_sensors.mqtt import MqttBridge
from zenith_sensors.poller import SensorLoop, emit
from zenith_sensors.settings import SensorsSettings
from zenith_sensors.store import StoreWriter
from zenith_sensors.switching import Switches
from zenith_sensors.tasks import stop_task

log = logging.getLogger("zenith.sensors")
PI_MODEL = Path("/proc/device-tree/model")


def simulated_by_default(settings: SensorsSettings) -> bool:
    if settings.sensors_backend != "auto":
        return settings.sensors_backend == "simulated"
    try:
        return "Raspberry Pi" not in PI_MODEL.read_text(errors="replace")
    except OSError:
        return True


@dataclass
class SensorsNode:
    """What one running sensors service holds (tests may look inside)."""

    settings: SensorsSettings
    series: SeriesStore
    night: Night
    loops: dict[str, SensorLoop] = field(default_factory=dict)
    controls: Controls | None = None
    alerts: AlertEngine | None = None
    channels: Channels | None = None
    store: StoreWriter | None = None
    mqtt: MqttBridge | None = None
    hub: HubAlerts | None = None
    switches: Switches | None = None
    latest: dict[str, sensors.Reading] = field(default_factory=dict)

    def current(self) -> list[sensors.Reading]:
        return list(self.latest.values())

    def states(self) -> list[sensors.SensorState]:
        return [loop.state for loop in self.loops.values()]


async def start(ctx: ServiceContext[SensorsSettings], env: Environment | None = None
                ) -> SensorsNode:
    s = ctx.settings
    camera = s.camera
    simulated = simulated_by_default(s)
    token = s.influx_token.get_secret_value() if s.influx_token else None
    series = await open_series(s.resolved_series_url, token)
    ctx.stack.push_async_callback(series.close)
    night = Night(speed=s.sensors_sim_speed, start_h=night_hours(s.sensors_sim_start or utcnow(),
                                                                  s.longitude))
    node = SensorsNode(settings=s, series=series, night=night)

    devices: tuple[SensorSpec, ...] | list[SensorSpec]
    if s.sensors_devices is not None:
        devices = s.sensors_devices
    else:
        devices = demo.DEVICES if simulated else ()
    heaters = s.sensors_heaters if s.sensors_heaters is not None else \
        (list(demo.HEATERS) if simulated else [])
    fans = s.sensors_fans if s.sensors_fans is not None else \
        (list(demo.FANS) if simulated else [])
    rules = s.sensors_alerts if s.sensors_alerts is not None else list(DEFAULT_RULES)
    # On a hub the network service says when a camera (this one too) stops uploading.
    local_rules = [r for r in rules if r.kind != "camera_offline"] if s.sensors_hub_alerts \
        else rules

    channels = Channels(s, ctx.js)
    ctx.stack.push_async_callback(channels.close)
    engine = AlertEngine(camera, local_rules, channels.deliver)
    node.channels, node.alerts = channels, engine

    async def local(reading: sensors.Reading) -> None:
        """Every reading made here, before it is published."""
        node.latest[reading.sensor] = reading
        await engine.on_reading(reading)
        if node.controls is not None:
            await node.controls.on_reading(reading)
        if node.mqtt is not None:
            await node.mqtt.on_reading(reading)

    async def publish_local(reading: sensors.Reading) -> None:
        await emit(ctx.js, reading, local)

    kv = await bucket(ctx.nc, "zenith-sensors")
    overrides: Records[sensors.Override] = Records(kv, sensors.Override,
                                                   prefix=f"{camera}.override.")
    controls = Controls(heaters, fans, camera, ctx.bus, publish_local, overrides,
                        night if simulated else None)
    node.controls = controls
    if await controls.restore():
        log.info("overrides restored: %s", ", ".join(
            o.rule.name for o in controls.outputs.values() if o.override))

    if s.sensors_mqtt_host:
        async def run_capture(on: bool) -> None:
            await ctx.bus.request(capture.START if on else capture.STOP, camera=camera)

        node.mqtt = MqttBridge(s, {o.rule.name: o.kind for o in controls.outputs.values()},
                               controls.set_override, run_capture)
        channels.mqtt = node.mqtt.on_alert
        node.mqtt.start()
        ctx.stack.push_async_callback(node.mqtt.stop)

    if s.sensors_hub_alerts:
        node.hub = HubAlerts(ctx.js, kv, rules, channels.deliver, camera,
                             s.sensors_hub_alerts_max_age_s)
        await node.hub.start()
        ctx.stack.push_async_callback(node.hub.stop)

    if s.sensors_store:
        node.store = StoreWriter(ctx.js, series, s.sensors_store_batch)
        await node.store.start()
        ctx.stack.push_async_callback(node.store.stop)

    env = env or Environment(
        onewire_dir=Path(s.sensors_onewire_dir), iio_dir=Path(s.sensors_iio_dir),
        thermal_zone=Path(s.sensors_thermal_zone), disk_path=Path(s.sensors_disk_path))
    specs = {spec.name: spec for spec in devices}

    def make_loop(name: str) -> SensorLoop:
        spec = specs[name]
        sensor = open_sensor(spec, simulated=spec.simulate if spec.simulate is not None
                             else simulated, env=env, night=night)
        return SensorLoop(sensor, camera, ctx.js, retry_max_s=s.sensors_retry_max_s,
                          on_reading=local, on_state=engine.on_sensor_state)

    for name in specs:
        node.loops[name] = make_loop(name)
    switches = Switches(camera, node.loops, make_loop,
                        Records(kv, sensors.DisabledSet, prefix=f"{camera}."), node.latest)
    node.switches = switches
    if await switches.restore():
        log.info("switched off: %s", ", ".join(sorted(switches.disabled)))

    async def on_frame(msg: Msg) -> None:
        engine.on_frame()
        if node.mqtt is not None and s.sensors_public_url:
            node.mqtt.on_image(f"{s.sensors_public_url.rstrip('/')}/cameras/{camera}"
                               "/latest/image")

    sub = await ctx.nc.subscribe(frames.FRAME_CAPTURED.subject_for(camera=camera), cb=on_frame)
    ctx.stack.push_async_callback(sub.unsubscribe)

    async def on_sky(msg: Msg) -> None:
        """capture's per-frame sky metrics (cloud cover) feed the sky-clear rule."""
        try:
            reading = sensors.Reading.model_validate_json(msg.data)
            await engine.on_reading(reading)
            if node.mqtt is not None:
                await node.mqtt.on_reading(reading)
        except ValueError as exc:
            log.warning("bad sky reading: %s", exc)

    sky = await ctx.nc.subscribe(sensors.SENSOR_READING.subject_for(
        camera=camera, sensor=sensors.SKY_SENSOR), cb=on_sky)
    ctx.stack.push_async_callback(sky.unsubscribe)

    svc = await BusService.start(ctx.nc, "sensors", "Sensors, dew heater and fan rules, "
                                 "alerts, the SeriesStore of readings", camera=camera)
    ctx.stack.push_async_callback(svc.stop)
    await serve_node(svc, camera, node.current, node.states, controls, engine, switches)
    await serve_series(svc, series)

    switches.start()
    ctx.stack.push_async_callback(switches.stop)

    async def ticker() -> None:
        while True:
            await asyncio.sleep(s.sensors_control_interval_s)
            try:
                await controls.tick()
                await engine.tick()
            except Exception:
                log.exception("control tick failed")

    task = asyncio.create_task(ticker(), name="sensors-tick")

    ctx.stack.push_async_callback(stop_task, task)
    log.info("%d sensors (%s), %d heaters, %d fans, %d alert rules", len(node.loops),
             "simulated" if simulated else "hardware", len(heaters), len(fans), len(rules))
    return node
