"""MQTT and Home Assistant against a real mosquitto with a password file.

Discovery payloads are checked against what Home Assistant's MQTT
integration expects of a sensor, a switch and an image (config topic
layout, required keys, known keys only, units of each device class); a
heater command on its configured topic round-trips to a mock pin.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
from gpiozero.pins.mock import MockFactory
from pydantic import SecretStr

from tests.services.gpio.gpiotest import GpioRunner
from tests.services.sensors.mosquitto import PASSWORD, USER, Mosquitto, find_mosquitto
from tests.services.sensors.sensorstest import CAMERA, SensorsRunner, eventually
from tests.support.require import missing
from zenith_gpio.backends.mock import mock_factory
from zenith_gpio.settings import GpioSettings
from zenith_sensors.config import HeaterRule, SensorSpec

CONFIG_TOPIC = re.compile(r"^homeassistant/(sensor|switch|image)/([a-zA-Z0-9_-]+)/"
                          r"([a-zA-Z0-9_-]+)/config$")
# Keys Home Assistant's MQTT platforms accept (full names; abbreviations unused)
COMMON = {"name", "unique_id", "availability", "device", "icon", "object_id",
          "json_attributes_topic", "json_attributes_template", "qos", "enabled_by_default",
          "entity_category", "availability_mode"}
ALLOWED = {
    "sensor": COMMON | {"state_topic", "value_template", "unit_of_measurement", "device_class",
                        "state_class", "expire_after", "force_update",
                        "suggested_display_precision"},
    "switch": COMMON | {"command_topic", "state_topic", "value_template", "payload_on",
                        "payload_off", "state_on", "state_off", "optimistic", "retain",
                        "device_class"},
    "image": COMMON | {"url_topic", "url_template", "image_topic", "content_type"},
}
REQUIRED = {"sensor": {"state_topic"}, "switch": {"command_topic"}, "image": set()}
DEVICE_KEYS = {"identifiers", "connections", "name", "manufacturer", "model", "sw_version",
               "hw_version", "suggested_area", "configuration_url", "via_device"}
UNITS = {"temperature": {"°C", "°F", "K"}, "humidity": {"%"},
         "atmospheric_pressure": {"hPa", "Pa", "kPa", "mbar", "inHg", "mmHg", "psi", "cbar"},
         "illuminance": {"lx"}, "data_size": {"B", "kB", "MB", "GB", "KiB", "MiB", "GiB"},
         "duration": {"s", "min", "h", "d", "ms"}}


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    if find_mosquitto() is None:
        missing("mosquitto", "apt-get install mosquitto")
    with Mosquitto(tmp_path / "mqtt") as server:
        yield server


@pytest.fixture
async def gpio_svc(nats_server: Any, tmp_path: Path, nc: Any) -> AsyncIterator[
        tuple[GpioRunner, MockFactory]]:
    factory = mock_factory()
    runner = GpioRunner(GpioSettings(camera=CAMERA, nats_url=nats_server.url,
                                     data_dir=tmp_path / "gpio", gpio_onewire_dir=tmp_path,
                                     gpio_i2c_dev_dir=tmp_path), factory)
    await runner.start()
    try:
        yield runner, factory
    finally:
        await runner.stop()


def check_discovery(topic: str, payload: dict[str, Any]) -> str:
    match = CONFIG_TOPIC.match(topic)
    assert match, topic
    component, node_id, _ = match.groups()
    assert node_id == "zenith_cam-1"
    assert set(payload) <= ALLOWED[component], set(payload) - ALLOWED[component]
    assert REQUIRED[component] <= set(payload), topic
    assert payload["unique_id"].startswith(node_id) and payload["name"]
    assert set(payload["device"]) <= DEVICE_KEYS and payload["device"]["identifiers"]
    for avail in payload["availability"]:
        assert avail["topic"] == f"zenith/{CAMERA}/availability"
    if "device_class" in payload and component == "sensor":
        assert payload["unit_of_measurement"] in UNITS[payload["device_class"]], payload
        assert payload["state_class"] == "measurement"
    for key in ("state_topic", "command_topic", "url_topic"):
        if key in payload:
            assert "+" not in payload[key] and "#" not in payload[key]
    return component


async def test_readings_discovery_and_a_heater_command_round_trip(
        broker: Mosquitto, runner: SensorsRunner, gpio_svc: tuple[GpioRunner, MockFactory]
        ) -> None:
    _, factory = gpio_svc
    seen: dict[str, Any] = {}
    async with aiomqtt.Client("127.0.0.1", broker.port, username=USER,
                              password=PASSWORD) as client:
        await client.subscribe("homeassistant/#")
        await client.subscribe("zenith/#")

        async def collect() -> None:
            async for message in client.messages:
                text = bytes(message.payload).decode() if isinstance(
                    message.payload, bytes | bytearray) else str(message.payload)
                seen[str(message.topic)] = json.loads(text) if text[:1] in "{[" else text

        collector = asyncio.create_task(collect())
        try:
            await runner.start(
                sensors_devices=[SensorSpec(name="dome", driver="bme280", interval_s=0.1),
                                 SensorSpec(name="cloud", driver="mlx90614", interval_s=0.1)],
                sensors_heaters=[HeaterRule(name="heater", pin=18, sensor="dome")],
                sensors_mqtt_host="127.0.0.1", sensors_mqtt_port=broker.port,
                sensors_mqtt_username=USER, sensors_mqtt_password=SecretStr(PASSWORD),
                sensors_mqtt_commands=True)
            await eventually(lambda: "zenith/cam-1/sensor/dome" in seen
                             and "zenith/cam-1/control/heater" in seen
                             and "homeassistant/sensor/zenith_cam-1/cloud_Tsky/config" in seen)
            assert seen["zenith/cam-1/availability"] == "online"
            assert set(seen["zenith/cam-1/sensor/dome"]) >= {"temp", "hum", "press",
                                                            "dewpoint", "time"}
            configs = {t: p for t, p in seen.items() if t.startswith("homeassistant/")}
            components = [check_discovery(t, p) for t, p in configs.items()]
            assert {"sensor", "switch", "image"} <= set(components)
            temp = configs["homeassistant/sensor/zenith_cam-1/dome_temp/config"]
            assert (temp["device_class"], temp["unit_of_measurement"]) == ("temperature", "°C")
            assert temp["value_template"] == "{{ value_json['temp'] }}"
            switch = configs["homeassistant/switch/zenith_cam-1/heater/config"]
            assert switch["command_topic"] == "zenith/cam-1/set/heater"
            assert seen["zenith/cam-1/control/heater"]["state"] == "OFF"
            assert not factory.pin(18).state

            await client.publish("zenith/cam-1/set/heater", "ON")
            await eventually(lambda: factory.pin(18).state, timeout=30)
            await eventually(lambda: seen["zenith/cam-1/control/heater"]["state"] == "ON")
            await client.publish("zenith/cam-1/set/heater", json.dumps({"state": "auto"}))
            await eventually(lambda: not factory.pin(18).state, timeout=30)
            # a topic not configured for commands, and a payload that is no command
            await client.publish("zenith/cam-1/set/other", "ON")
            await client.publish("zenith/cam-1/set/heater", "bake")
            await asyncio.sleep(0.5)
            assert not factory.pin(18).state
        finally:
            await runner.stop()
            collector.cancel()
            await asyncio.gather(collector, return_exceptions=True)


async def test_the_broker_refuses_a_client_without_the_password(broker: Mosquitto) -> None:
    with pytest.raises(aiomqtt.MqttError):
        async with aiomqtt.Client("127.0.0.1", broker.port, username=USER, password="wrong"):
            pass


async def test_commands_are_ignored_unless_enabled(
        broker: Mosquitto, runner: SensorsRunner, gpio_svc: tuple[GpioRunner, MockFactory]
        ) -> None:
    _, factory = gpio_svc
    node = await runner.start(
        sensors_devices=[SensorSpec(name="dome", driver="bme280", interval_s=0.1)],
        sensors_heaters=[HeaterRule(name="heater", pin=18, sensor="dome")],
        sensors_mqtt_host="127.0.0.1", sensors_mqtt_port=broker.port,
        sensors_mqtt_username=USER, sensors_mqtt_password=SecretStr(PASSWORD))
    assert node.mqtt is not None
    await asyncio.wait_for(node.mqtt.connected.wait(), 30)
    async with aiomqtt.Client("127.0.0.1", broker.port, username=USER,
                              password=PASSWORD) as client:
        await client.publish("zenith/cam-1/set/heater", "ON")
    await asyncio.sleep(0.5)
    assert not factory.pin(18).state
