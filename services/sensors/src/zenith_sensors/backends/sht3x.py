"""Sensirion SHT3x (I2C 0x44/0x45): temperature, humidity, dew point.

Single-shot measurement, high repeatability, no clock stretching (command
0x2400); the reply is T msb, lsb, CRC, RH msb, lsb, CRC (datasheet 4.3,
conversion 4.13: T = -45 + 175 S/65535, RH = 100 S/65535).
"""

from __future__ import annotations

import time

from zenith_sensors.backends import crc
from zenith_sensors.backends.base import I2cDriver
from zenith_sensors.backends.night import Night
from zenith_sensors.config import SensorSpec
from zenith_sensors.dewpoint import dew_point
from zenith_sensors.errors import ReadError

MEASUREMENT = "sht3x"
MEASURE_HIGH = bytes([0x24, 0x00])


def convert(reply: bytes) -> tuple[float, float]:
    """(°C, %RH) from the 6-byte reply; CRCs checked."""
    if len(reply) != 6:
        raise ReadError(f"SHT3x: {len(reply)} bytes instead of 6")
    for word, check in ((reply[0:2], reply[2]), (reply[3:5], reply[5])):
        if crc.sensirion(word) != check:
            raise ReadError(f"SHT3x: CRC mismatch on {word.hex()}")
    raw_t = (reply[0] << 8) | reply[1]
    raw_h = (reply[3] << 8) | reply[4]
    return -45.0 + 175.0 * raw_t / 65535.0, 100.0 * raw_h / 65535.0


class Hardware(I2cDriver):
    def read(self) -> dict[str, float]:
        self.bus.write(self.address, MEASURE_HIGH)
        time.sleep(0.016)  # 15.5 ms at high repeatability
        temp, hum = convert(self.bus.read(self.address, 6))
        return {"temp": round(temp, 2), "hum": round(hum, 2),
                "dewpoint": round(dew_point(temp, hum), 2)}


def simulate(night: Night, spec: SensorSpec) -> dict[str, float]:
    temp = night.dome_c() + night.noise(0.05)
    hum = min(100.0, night.dome_rh() + night.noise(0.3))
    return {"temp": round(temp, 2), "hum": round(hum, 2),
            "dewpoint": round(dew_point(temp, hum), 2)}
