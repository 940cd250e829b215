"""What a simulated node has when its site declared nothing (``zenith dev``)."""

from __future__ import annotations

from zenith_sensors.config import FanRule, HeaterRule, SensorSpec

DEVICES = (
    SensorSpec(name="dome", driver="bme280", interval_s=30),
    SensorSpec(name="outside", driver="ds18b20", interval_s=60),
    SensorSpec(name="sky-light", driver="tsl2591", interval_s=60),
    SensorSpec(name="cloud", driver="mlx90614", interval_s=30),
    SensorSpec(name="pi", driver="pi", interval_s=60),
)
HEATERS = (HeaterRule(name="heater", pin=18, mode="pwm", sensor="dome",
                      outside_sensor="outside"),)
FANS = (FanRule(name="fan", pin=23, sensor="pi", field="raspiTemp", on_above_c=60,
                off_below_c=50),)
