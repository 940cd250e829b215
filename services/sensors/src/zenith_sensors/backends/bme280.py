"""Bosch BME280 (I2C 0x76/0x77): temperature, pressure, humidity, dew point.

smbus2 with the datasheet's floating-point compensation (BME280 datasheet
rev. 1.6, section 8.1; temperature and pressure are the BMP280's, whose
datasheet section 3.12 works an example that the tests check).
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass

from zenith_sensors.backends.base import I2cDriver
from zenith_sensors.backends.night import Night
from zenith_sensors.config import SensorSpec
from zenith_sensors.dewpoint import dew_point
from zenith_sensors.errors import ReadError

MEASUREMENT = "bme280"
CHIP_ID = 0x60
REG_ID, REG_CTRL_HUM, REG_STATUS, REG_CTRL_MEAS, REG_DATA = 0xD0, 0xF2, 0xF3, 0xF4, 0xF7
REG_CALIB_TP, REG_CALIB_H1, REG_CALIB_H = 0x88, 0xA1, 0xE1
FORCED_X1 = 0b001_001_01  # osrs_t x1, osrs_p x1, forced mode


@dataclass(frozen=True)
class Calibration:
    t1: int
    t2: int
    t3: int
    p: tuple[int, ...]  # dig_P1..dig_P9
    h1: int
    h2: int
    h3: int
    h4: int
    h5: int
    h6: int

    @classmethod
    def parse(cls, tp: bytes, h1: int, h: bytes) -> Calibration:
        """``tp``: 24 bytes from 0x88; ``h``: 7 bytes from 0xE1."""
        t1, t2, t3, p1, *p_rest = struct.unpack("<HhhHhhhhhhhh", tp)
        h2, h3 = struct.unpack("<hB", h[0:3])
        h4 = (h[3] << 4) | (h[4] & 0x0F)
        h5 = (h[5] << 4) | (h[4] >> 4)
        h4 = h4 - 4096 if h4 & 0x800 else h4  # 12-bit signed
        h5 = h5 - 4096 if h5 & 0x800 else h5
        h6 = struct.unpack("<b", h[6:7])[0]
        return cls(t1, t2, t3, (p1, *p_rest), h1, h2, h3, h4, h5, h6)


def compensate_temperature(adc_t: int, c: Calibration) -> tuple[float, float]:
    """(°C, t_fine)."""
    var1 = (adc_t / 16384.0 - c.t1 / 1024.0) * c.t2
    var2 = (adc_t / 131072.0 - c.t1 / 8192.0) ** 2 * c.t3
    t_fine = var1 + var2
    return t_fine / 5120.0, t_fine


def compensate_pressure(adc_p: int, t_fine: float, c: Calibration) -> float:
    """Pa."""
    p1, p2, p3, p4, p5, p6, p7, p8, p9 = c.p
    var1 = t_fine / 2.0 - 64000.0
    var2 = var1 * var1 * p6 / 32768.0
    var2 = var2 + var1 * p5 * 2.0
    var2 = var2 / 4.0 + p4 * 65536.0
    var1 = (p3 * var1 * var1 / 524288.0 + p2 * var1) / 524288.0
    var1 = (1.0 + var1 / 32768.0) * p1
    if var1 == 0:
        raise ReadError("BME280: pressure calibration is zero")
    p = 1048576.0 - adc_p
    p = (p - var2 / 4096.0) * 6250.0 / var1
    var1 = p9 * p * p / 2147483648.0
    var2 = p * p8 / 32768.0
    return p + (var1 + var2 + p7) / 16.0


def compensate_humidity(adc_h: int, t_fine: float, c: Calibration) -> float:
    """%RH, 0..100."""
    h = t_fine - 76800.0
    h = (adc_h - (c.h4 * 64.0 + c.h5 / 16384.0 * h)) * (
        c.h2 / 65536.0 * (1.0 + c.h6 / 67108864.0 * h * (1.0 + c.h3 / 67108864.0 * h)))
    h = h * (1.0 - c.h1 * h / 524288.0)
    return min(max(h, 0.0), 100.0)


class Hardware(I2cDriver):
    _calibration: Calibration | None = None

    def _calibrate(self) -> Calibration:
        if self._calibration is None:
            chip = self.bus.read_register(self.address, REG_ID, 1)[0]
            if chip != CHIP_ID:
                raise ReadError(f"0x{self.address:02x} is not a BME280 (chip id 0x{chip:02x})")
            tp = self.bus.read_register(self.address, REG_CALIB_TP, 24)
            h1 = self.bus.read_register(self.address, REG_CALIB_H1, 1)[0]
            h = self.bus.read_register(self.address, REG_CALIB_H, 7)
            self._calibration = Calibration.parse(tp, h1, h)
        return self._calibration

    def read(self) -> dict[str, float]:
        c = self._calibrate()
        self.bus.write_register(self.address, REG_CTRL_HUM, bytes([0x01]))  # osrs_h x1
        self.bus.write_register(self.address, REG_CTRL_MEAS, bytes([FORCED_X1]))
        for _ in range(50):  # x1 oversampling takes under 10 ms
            if not self.bus.read_register(self.address, REG_STATUS, 1)[0] & 0x08:
                break
            time.sleep(0.002)
        d = self.bus.read_register(self.address, REG_DATA, 8)
        adc_p = (d[0] << 12) | (d[1] << 4) | (d[2] >> 4)
        adc_t = (d[3] << 12) | (d[4] << 4) | (d[5] >> 4)
        adc_h = (d[6] << 8) | d[7]
        if adc_t == 0x80000:
            raise ReadError("BME280: no temperature measured (skipped)")
        temp, t_fine = compensate_temperature(adc_t, c)
        hum = compensate_humidity(adc_h, t_fine, c)
        return {"temp": round(temp, 2), "press": round(compensate_pressure(adc_p, t_fine, c)
                                                       / 100.0, 2),
                "hum": round(hum, 2), "dewpoint": round(dew_point(temp, hum), 2)}


def simulate(night: Night, spec: SensorSpec) -> dict[str, float]:
    temp = night.dome_c() + night.noise(0.05)
    hum = min(100.0, night.dome_rh() + night.noise(0.3))
    return {"temp": round(temp, 2), "press": round(1013.0 + night.noise(0.2), 2),
            "hum": round(hum, 2), "dewpoint": round(dew_point(temp, hum), 2)}
