"""Melexis MLX90614 (I2C/SMBus 0x5A): ambient and sky (object) temperature.

RAM 0x06 is Ta, 0x07 Tobj1; each read returns lsb, msb and an SMBus PEC;
T = raw x 0.02 K (datasheet 8.7.2); bit 15 of Tobj flags an error. The
sky temperature ``Tsky`` corrects Tobj for the ambient with the
CloudWatcher model's coefficients k1..k7 (options; the default k1 = 100,
others 0, gives Tobj - Ta). ``CloudState`` bins Tsky: 0 clear .. 3
overcast, bounds ``clear_below`` and ``overcast_above`` (options).
"""

from __future__ import annotations

import math

from zenith_sensors.backends import crc
from zenith_sensors.backends.base import I2cDriver
from zenith_sensors.backends.night import Night
from zenith_sensors.config import SensorSpec
from zenith_sensors.errors import ReadError

MEASUREMENT = "mlx90614"
RAM_TA, RAM_TOBJ1 = 0x06, 0x07


def kelvin_to_c(raw: int) -> float:
    return raw * 0.02 - 273.15


def _sign(x: float) -> float:
    return (x > 0) - (x < 0)


def sky_temperature(t_obj: float, t_amb: float, k: dict[str, float]) -> float:
    k1, k2, k3, k4, k5, k6, k7 = (k.get(f"k{i}", 100.0 if i == 1 else 0.0)
                                  for i in range(1, 8))
    t0 = k2 / 10.0
    d = abs(t0 - t_amb)
    if k6 == 0:
        t67 = 0.0
    elif d < 1:
        t67 = _sign(k6) * _sign(t_amb - t0) * d
    else:
        t67 = k6 / 10.0 * _sign(t_amb - t0) * (math.log10(d) + k7 / 100.0)
    td = k1 / 100.0 * (t_amb - t0) + k3 / 100.0 * math.exp(k4 / 1000.0 * t_amb) ** (k5 / 100.0)
    return t_obj - (td + t67)


def cloud_state(t_sky: float, options: dict[str, float]) -> int:
    clear = options.get("clear_below", -20.0)
    overcast = options.get("overcast_above", -8.0)
    if t_sky <= clear:
        return 0
    if t_sky > overcast:
        return 3
    return 1 if t_sky <= clear + (overcast - clear) / 2 else 2


def fields(t_amb: float, t_obj: float, options: dict[str, float]) -> dict[str, float]:
    t_sky = sky_temperature(t_obj, t_amb, options)
    return {"Ambient": round(t_amb, 2), "Object": round(t_obj, 2),
            "DeltaSimple": round(t_obj - t_amb, 2), "Tsky": round(t_sky, 2),
            "CloudState": float(cloud_state(t_sky, options))}


class Hardware(I2cDriver):
    def _word(self, register: int) -> int:
        data = self.bus.read_register(self.address, register, 3)
        addr = self.address << 1
        if crc.smbus_pec(bytes([addr, register, addr | 1, data[0], data[1]])) != data[2]:
            raise ReadError(f"MLX90614: PEC mismatch reading 0x{register:02x}")
        return data[0] | (data[1] << 8)

    def read(self) -> dict[str, float]:
        ta, to = self._word(RAM_TA), self._word(RAM_TOBJ1)
        if to & 0x8000:
            raise ReadError("MLX90614: object temperature error flag set")
        return fields(kelvin_to_c(ta), kelvin_to_c(to), self.spec.options)


def simulate(night: Night, spec: SensorSpec) -> dict[str, float]:
    t_amb = night.air_c() + 1.5 + night.noise(0.05)
    t_obj = night.air_c() + night.sky_minus_air_c() + night.noise(0.3)
    return fields(t_amb, t_obj, spec.options)
