"""TE HTU21D / Si7021 (I2C 0x40): temperature, humidity, dew point.

No-hold measurements (0xF3 temperature, 0xF5 humidity), each answered with
msb, lsb (two status bits) and a CRC (datasheet: T = -46.85 + 175.72
S/2^16, RH = -6 + 125 S/2^16).
"""

from __future__ import annotations

import time

from zenith_sensors.backends import crc
from zenith_sensors.backends.base import I2cDriver
from zenith_sensors.backends.night import Night
from zenith_sensors.config import SensorSpec
from zenith_sensors.dewpoint import dew_point
from zenith_sensors.errors import ReadError

MEASUREMENT = "htu21"
TEMP_NO_HOLD, HUM_NO_HOLD = bytes([0xF3]), bytes([0xF5])


def raw_value(reply: bytes) -> int:
    if len(reply) != 3:
        raise ReadError(f"HTU21: {len(reply)} bytes instead of 3")
    if crc.htu21(reply[0:2]) != reply[2]:
        raise ReadError(f"HTU21: CRC mismatch on {reply[0:2].hex()}")
    return ((reply[0] << 8) | reply[1]) & 0xFFFC


def temperature(raw: int) -> float:
    return -46.85 + 175.72 * raw / 65536.0


def humidity(raw: int) -> float:
    return min(max(-6.0 + 125.0 * raw / 65536.0, 0.0), 100.0)


class Hardware(I2cDriver):
    def _measure(self, command: bytes, wait_s: float) -> int:
        self.bus.write(self.address, command)
        time.sleep(wait_s)
        return raw_value(self.bus.read(self.address, 3))

    def read(self) -> dict[str, float]:
        temp = temperature(self._measure(TEMP_NO_HOLD, 0.05))
        hum = humidity(self._measure(HUM_NO_HOLD, 0.016))
        return {"temp": round(temp, 2), "hum": round(hum, 2),
                "dewpoint": round(dew_point(temp, hum), 2)}


def simulate(night: Night, spec: SensorSpec) -> dict[str, float]:
    temp = night.dome_c() + night.noise(0.05)
    hum = min(100.0, night.dome_rh() + night.noise(0.4))
    return {"temp": round(temp, 2), "hum": round(hum, 2),
            "dewpoint": round(dew_point(temp, hum), 2)}
