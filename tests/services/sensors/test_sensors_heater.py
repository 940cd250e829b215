"""Dew heater and fan rules driving the real gpio service on gpiozero's mock pins.

The simulated night runs 1440x (a 12-hour night in 30 s): the dome cools
towards its dew point; the heater must come on before the dew point is
reached, warm the dome and go off again. Decisions are ``heater`` readings.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory
from nats.aio.client import Client
from nats.aio.msg import Msg

from tests.services.gpio.gpiotest import GpioRunner
from tests.services.sensors.sensorstest import CAMERA, SensorsRunner, eventually
from zenith.bus import BusClient
from zenith.contracts import gpio, sensors
from zenith_gpio.backends.mock import mock_factory
from zenith_gpio.settings import GpioSettings
from zenith_sensors.config import FanRule, HeaterRule, SensorSpec

SPEED = 1440.0


@pytest.fixture
def factory() -> MockFactory:
    return mock_factory()


@pytest.fixture
async def gpio_svc(nats_server: Any, tmp_path: Path, factory: MockFactory, nc: Client
                   ) -> AsyncIterator[GpioRunner]:
    settings = GpioSettings(camera=CAMERA, nats_url=nats_server.url, data_dir=tmp_path / "gpio",
                            gpio_onewire_dir=tmp_path / "w1", gpio_i2c_dev_dir=tmp_path / "dev")
    runner = GpioRunner(settings, factory)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


class Log:
    """Every heater/fan decision the service publishes."""

    def __init__(self) -> None:
        self.readings: list[sensors.Reading] = []

    async def on_msg(self, msg: Msg) -> None:
        self.readings.append(sensors.Reading.model_validate_json(msg.data))

    def of(self, name: str) -> list[sensors.Reading]:
        return [r for r in self.readings if r.sensor == name]


async def _log(nc: Client, name: str) -> Log:
    log = Log()
    await nc.subscribe(sensors.SENSOR_READING.subject_for(camera=CAMERA, sensor=name),
                       cb=log.on_msg)
    return log


async def test_onoff_heater_comes_on_before_dew_and_goes_off_again(
        runner: SensorsRunner, gpio_svc: GpioRunner, factory: MockFactory, nc: Client,
        bus: BusClient) -> None:
    log = await _log(nc, "heater")
    await runner.start(
        sensors_sim_speed=SPEED,
        sensors_devices=[SensorSpec(name="dome", driver="bme280", interval_s=0.05)],
        sensors_heaters=[HeaterRule(name="heater", pin=18, mode="onoff", sensor="dome",
                                    on_spread_c=3.0, off_spread_c=5.0)])

    def went_on_and_off() -> bool:
        states = [r.fields["relay_on"] for r in log.of("heater")]
        return 1.0 in states and 0.0 in states[states.index(1.0):]

    await eventually(went_on_and_off, timeout=90)
    decisions = log.of("heater")
    assert decisions[0].fields["relay_on"] == 0.0  # the evening: far from dew
    first_on = next(r for r in decisions if r.fields["relay_on"] == 1.0)
    assert 0.0 < first_on.fields["spread"] <= 3.0  # before the dew point, at the margin
    assert set(first_on.fields) >= {"relay_on", "t_in", "rh", "dewpoint", "spread"}
    assert first_on.measurement == "heater"
    later_off = next(r for r in decisions[decisions.index(first_on):]
                     if r.fields["relay_on"] == 0.0)
    assert later_off.fields["spread"] >= 5.0  # warmed past the hysteresis
    assert min(r.fields["spread"] for r in decisions) > 0  # dew never reached
    # the pin showed it: high while on, named after its owner in /gpio/all
    await eventually(lambda: _pin_is(factory, 18, True), timeout=60)
    pins: gpio.AllReply = await bus.request(gpio.ALL, camera=CAMERA)
    assert pins.pins["D18"].name == "heater" and pins.pins["D18"].mode == "digital-output"


def _pin_is(factory: MockFactory, pin: int, state: bool) -> bool:
    return bool(factory.pin(pin).state) == state


async def test_pwm_heater_duty_follows_the_spread_and_override_wins_until_auto(
        runner: SensorsRunner, gpio_svc: GpioRunner, factory: MockFactory, nc: Client,
        bus: BusClient) -> None:
    log = await _log(nc, "dew")
    await runner.start(
        sensors_sim_speed=SPEED,
        sensors_devices=[SensorSpec(name="dome", driver="sht3x", interval_s=0.05)],
        sensors_heaters=[HeaterRule(name="dew", pin=12, mode="pwm", sensor="dome",
                                    on_spread_c=3.0, full_spread_c=0.5, frequency_hz=200)])
    await eventually(lambda: any(0 < r.fields["duty"] < 100 for r in log.of("dew")),
                     timeout=90)
    for r in log.of("dew"):
        spread = r.fields["spread"]
        expected = min(max((3.0 - spread) / 2.5, 0.0), 1.0) * 100
        assert r.fields["duty"] == pytest.approx(expected, abs=0.1)
    await eventually(lambda: 0 < (factory.pin(12).state or 0) < 1, timeout=30)
    assert factory.pin(12).frequency == 200

    state: sensors.ControlState = await bus.request(
        sensors.OVERRIDE, {"name": "dew", "state": "off", "minutes": 5}, camera=CAMERA)
    assert state.override is not None and state.on is False and state.duty_percent == 0
    assert factory.pin(12).state == 0
    n = len(log.of("dew"))
    await eventually(lambda: len(log.of("dew")) > n + 10)
    assert all(r.fields["duty"] == 0 for r in log.of("dew")[n + 1:])  # the override holds
    status: sensors.StatusReply = await bus.request(sensors.STATUS, camera=CAMERA)
    assert status.controls[0].override is not None
    assert "override" in status.controls[0].reason

    await bus.request(sensors.OVERRIDE, {"name": "dew", "state": "on", "duty_percent": 100,
                                         "minutes": 5}, camera=CAMERA)
    assert factory.pin(12).state == 1
    auto: sensors.ControlState = await bus.request(
        sensors.OVERRIDE, {"name": "dew", "state": "auto"}, camera=CAMERA)
    assert auto.override is None and "spread" in auto.reason


async def test_override_expires(runner: SensorsRunner, gpio_svc: GpioRunner,
                                factory: MockFactory, bus: BusClient) -> None:
    await runner.start(
        sensors_devices=[SensorSpec(name="dome", driver="bme280", interval_s=0.05)],
        sensors_heaters=[HeaterRule(name="heater", pin=18, sensor="dome")])
    await bus.request(sensors.OVERRIDE, {"name": "heater", "state": "on", "minutes": 0.01},
                      camera=CAMERA)
    assert factory.pin(18).state
    # 0.6 s later the evening's rule (far from dew: off) is back
    await eventually(lambda: not factory.pin(18).state, timeout=30)
    status: sensors.StatusReply = await bus.request(sensors.STATUS, camera=CAMERA)
    assert status.controls[0].override is None


async def test_fan_on_above_off_below(runner: SensorsRunner, gpio_svc: GpioRunner,
                                      factory: MockFactory, nc: Client) -> None:
    log = await _log(nc, "fan")
    # the simulated Pi runs at 38 °C above the air: 50 °C in the evening, 41 °C at midnight
    await runner.start(
        sensors_sim_speed=SPEED,
        sensors_devices=[SensorSpec(name="pi", driver="pi", interval_s=0.05)],
        sensors_fans=[FanRule(name="fan", pin=23, sensor="pi", field="raspiTemp",
                              on_above_c=48, off_below_c=45)])
    await eventually(lambda: [r.fields["relay_on"] for r in log.of("fan")][:1] == [1.0])
    assert factory.pin(23).state
    await eventually(lambda: log.of("fan") and log.of("fan")[-1].fields["relay_on"] == 0.0,
                     timeout=90)
    off = next(r for r in log.of("fan") if r.fields["relay_on"] == 0.0)
    assert off.fields["temp"] < 45
    assert json.loads(off.model_dump_json())["measurement"] == "fan"
    await eventually(lambda: not factory.pin(23).state)


async def test_an_override_survives_a_restart(runner: SensorsRunner, gpio_svc: GpioRunner,
                                              factory: MockFactory, bus: BusClient) -> None:
    rules = {"sensors_devices": [SensorSpec(name="dome", driver="bme280", interval_s=0.05)],
             "sensors_heaters": [HeaterRule(name="heater", pin=18, sensor="dome")]}
    await runner.start(**rules)
    await bus.request(sensors.OVERRIDE, {"name": "heater", "state": "on", "minutes": 60},
                      camera=CAMERA)
    await runner.stop()
    await runner.start()
    status: sensors.StatusReply = await bus.request(sensors.STATUS, camera=CAMERA)
    override = status.controls[0].override
    assert override is not None and override.state == "on"
    await eventually(lambda: factory.pin(18).state)
    await bus.request(sensors.OVERRIDE, {"name": "heater", "state": "auto"}, camera=CAMERA)
    await runner.stop()
    await runner.start()
    status = await bus.request(sensors.STATUS, camera=CAMERA)
    assert status.controls[0].override is None
