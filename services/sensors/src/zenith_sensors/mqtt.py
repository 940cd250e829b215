"""MQTT and Home Assistant: readings, heater and fan state, alerts, the latest
image's URL out; heater, fan and capture commands in.

One connection (aiomqtt) with a last will (``offline`` on the availability
topic), kept up by a loop that reconnects with growing pauses. Messages go
through a bounded queue: while the broker is away the newest 1000 wait,
older ones are dropped. Commands are accepted only on the configured
topics, ``<prefix>/<camera>/set/<name>`` for each heater and fan, and
``.../set/capture``; the broker's authentication decides who may publish
there. A payload is ``ON``, ``OFF``, ``AUTO`` or JSON ``{"state": "on",
"minutes": 30, "duty_percent": 50}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiomqtt
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from zenith.contracts import alerts, sensors
from zenith_sensors import homeassistant as ha
from zenith_sensors.settings import SensorsSettings
from zenith_sensors.tasks import stop_task

log = logging.getLogger("zenith.sensors")

Override = Callable[[sensors.OverrideRequest], Awaitable[sensors.ControlState]]
Capture = Callable[[bool], Awaitable[None]]


class MqttBridge:
    def __init__(self, settings: SensorsSettings, controls: dict[str, str], override: Override,
                 capture: Capture, queue_size: int = 1000) -> None:
        self.s = settings
        self.topics = ha.Topics(settings.sensors_mqtt_prefix,
                                settings.sensors_mqtt_discovery_prefix, settings.camera)
        self.controls = controls  # name -> "heater" | "fan"
        self.override = override
        self.capture = capture
        self.queue: asyncio.Queue[tuple[str, str, bool]] = asyncio.Queue(queue_size)
        self.announced: set[str] = set()
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # ---- out -------------------------------------------------------------------------------

    def send(self, topic: str, payload: Any, retain: bool = False) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload)
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait((topic, text, retain))

    def _discover(self, topic: str, payload: dict[str, Any]) -> None:
        if self.s.sensors_mqtt_discovery and topic not in self.announced:
            self.announced.add(topic)
            self.send(topic, payload, retain=True)

    async def on_reading(self, reading: sensors.Reading) -> None:
        site = self.s.site_name
        if reading.measurement in ("heater", "fan"):
            state = {"state": "ON" if reading.fields.get("relay_on") else "OFF",
                     **reading.fields, "time": reading.time.isoformat()}
            self.send(self.topics.control_state(reading.sensor), state, retain=True)
            return
        for field in reading.fields:
            self._discover(*ha.sensor_config(self.topics, site, reading.sensor, field))
        self.send(self.topics.sensor_state(reading.sensor),
                  {**reading.fields, "time": reading.time.isoformat()}, retain=True)

    async def on_alert(self, alert: alerts.Alert) -> None:
        self.send(self.topics.alerts, alert.model_dump(mode="json"), retain=True)

    def on_image(self, url: str) -> None:
        self.send(self.topics.image_url, url, retain=True)

    def _announce_static(self) -> None:
        site = self.s.site_name
        for name, kind in self.controls.items():
            self._discover(*ha.switch_config(self.topics, site, name, kind))
        self._discover(*ha.capture_config(self.topics, site))
        self._discover(*ha.image_config(self.topics, site))
        self._discover(*ha.alert_config(self.topics, site))

    # ---- in --------------------------------------------------------------------------------

    def command_topics(self) -> dict[str, str]:
        if not self.s.sensors_mqtt_commands:
            return {}
        names = [*self.controls, "capture"]
        return {self.topics.command(n): n for n in names}

    async def handle_command(self, name: str, payload: bytes) -> None:
        text = payload.decode("utf-8", "replace").strip()
        body: dict[str, Any]
        if text.upper() in ("ON", "OFF", "AUTO"):
            body = {"state": text.lower()}
        else:
            try:
                body = json.loads(text)
            except ValueError:
                log.warning("MQTT command for %s ignored: %r is not ON, OFF, AUTO or JSON",
                            name, text[:60])
                return
            if not isinstance(body, dict):
                log.warning("MQTT command for %s ignored: not a JSON object", name)
                return
        if name == "capture":
            state = str(body.get("state", "")).lower()
            if state in ("on", "off"):
                await self.capture(state == "on")
            else:
                log.warning("MQTT capture command ignored: state must be ON or OFF")
            return
        try:
            request = sensors.OverrideRequest.model_validate({**body, "name": name})
        except ValidationError as exc:
            log.warning("MQTT command for %s ignored: %s", name, exc.errors()[0]["msg"])
            return
        await self.override(request)

    # ---- the connection --------------------------------------------------------------------

    def start(self) -> None:
        self._announce_static()
        self._task = asyncio.create_task(self._run(), name="mqtt")

    async def stop(self) -> None:
        await stop_task(self._task)

    async def _run(self) -> None:
        try:
            async for attempt in AsyncRetrying(
                    retry=retry_if_exception_type((aiomqtt.MqttError, OSError)),
                    wait=wait_exponential(multiplier=1, max=60)):
                with attempt:
                    await self._session()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("MQTT bridge stopped")

    async def _session(self) -> None:
        s = self.s
        password = s.sensors_mqtt_password.get_secret_value() if s.sensors_mqtt_password \
            else None
        will = aiomqtt.Will(self.topics.availability, "offline", qos=1, retain=True)
        try:
            async with aiomqtt.Client(s.sensors_mqtt_host, s.sensors_mqtt_port,
                                      username=s.sensors_mqtt_username or None,
                                      password=password, will=will,
                                      identifier=f"zenith-sensors-{s.camera}") as client:
                await client.publish(self.topics.availability, "online", qos=1, retain=True)
                commands = self.command_topics()
                for topic in commands:
                    await client.subscribe(topic, qos=1)
                self.connected.set()
                log.info("MQTT connected to %s:%d", s.sensors_mqtt_host, s.sensors_mqtt_port)
                sender = asyncio.create_task(self._send_loop(client))
                try:
                    async for message in client.messages:
                        name = commands.get(str(message.topic))
                        if name is None:
                            continue
                        try:
                            await self.handle_command(name, bytes(message.payload)
                                                      if isinstance(message.payload,
                                                                    bytes | bytearray)
                                                      else str(message.payload).encode())
                        except Exception as exc:
                            log.warning("MQTT command for %s failed: %s", name, exc)
                finally:
                    sender.cancel()
                    await asyncio.gather(sender, return_exceptions=True)
        except aiomqtt.MqttError as exc:
            self.connected.clear()
            log.warning("MQTT: %s; reconnecting", exc)
            raise

    async def _send_loop(self, client: aiomqtt.Client) -> None:
        while True:
            topic, text, retain = await self.queue.get()
            try:
                await client.publish(topic, text, qos=1, retain=retain)
            except aiomqtt.MqttError:
                self.send(topic, text, retain)  # back in the queue for the next connection
                raise
