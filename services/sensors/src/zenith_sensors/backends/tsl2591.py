"""ams TSL2591 (I2C 0x29): light, and an SQM estimate with a calibration constant.

Registers are addressed with the command bit (0xA0 | register). Channel 0
sees visible and infrared, channel 1 infrared. Lux follows the vendor's
application formula: counts per lux ``cpl = t_ms x gain / 408``, ``lux =
(ch0 - ch1)(1 - ch1/ch0) / cpl``. Sky brightness ``SQM_RAW = sqm_const -
2.5 log10(ch0 / (gain x t_s))`` (calibrate ``sqm_const`` against a real
SQM); ``SQM_LUX = -2.5 log10(lux / 108000)``. Options: ``gain`` (1, 25,
428, 9876), ``integration_ms`` (100..600), ``sqm_const``.
"""

from __future__ import annotations

import math
import time

from zenith_sensors.backends.base import I2cDriver
from zenith_sensors.backends.night import Night
from zenith_sensors.config import SensorSpec
from zenith_sensors.errors import ReadError

MEASUREMENT = "tsl2591"
COMMAND = 0xA0
REG_ENABLE, REG_CONTROL, REG_ID, REG_STATUS, REG_C0 = 0x00, 0x01, 0x12, 0x13, 0x14
DEVICE_ID = 0x50
GAINS = {1: 0b00, 25: 0b01, 428: 0b10, 9876: 0b11}
LUX_DF = 408.0
DEFAULT_SQM_CONST = 19.5


def settings(options: dict[str, float]) -> tuple[int, int]:
    gain = int(options.get("gain", 428))
    ms = int(options.get("integration_ms", 600))
    if gain not in GAINS:
        raise ReadError(f"TSL2591: gain {gain} is not one of {sorted(GAINS)}")
    if ms not in (100, 200, 300, 400, 500, 600):
        raise ReadError(f"TSL2591: integration_ms {ms} is not 100..600 in steps of 100")
    return gain, ms


def fields(ch0: int, ch1: int, gain: int, ms: int, sqm_const: float) -> dict[str, float]:
    saturated = ch0 >= 0xFFFF or ch1 >= 0xFFFF
    cpl = ms * gain / LUX_DF
    lux = (ch0 - ch1) * (1.0 - ch1 / ch0) / cpl if ch0 > 0 else 0.0
    lux = max(lux, 0.0)
    rate = ch0 / (gain * ms / 1000.0)
    out = {"Lux": round(lux, 6), "Visible": float(max(ch0 - ch1, 0)), "IR": float(ch1),
           "Full": float(ch0), "CH0": float(ch0), "CH1": float(ch1),
           "IRRatio": round(ch1 / ch0, 4) if ch0 else 0.0,
           "SQM_CONST": sqm_const, "IntegrationMs": float(ms), "GainCode": float(gain),
           "GoodRead": 0.0 if saturated or ch0 == 0 else 1.0}
    if rate > 0:
        out["SQM_RAW"] = round(sqm_const - 2.5 * math.log10(rate), 3)
    if lux > 0:
        out["SQM_LUX"] = round(-2.5 * math.log10(lux / 108000.0), 3)
    return out


class Hardware(I2cDriver):
    def read(self) -> dict[str, float]:
        gain, ms = settings(self.spec.options)
        chip = self.bus.read_register(self.address, COMMAND | REG_ID, 1)[0]
        if chip != DEVICE_ID:
            raise ReadError(f"0x{self.address:02x} is not a TSL2591 (id 0x{chip:02x})")
        self.bus.write_register(self.address, COMMAND | REG_CONTROL,
                                bytes([(GAINS[gain] << 4) | (ms // 100 - 1)]))
        self.bus.write_register(self.address, COMMAND | REG_ENABLE, bytes([0x03]))  # PON|AEN
        deadline = time.monotonic() + ms / 1000.0 * 2 + 0.2
        while not self.bus.read_register(self.address, COMMAND | REG_STATUS, 1)[0] & 0x01:
            if time.monotonic() > deadline:
                raise ReadError("TSL2591: no valid measurement in time")
            time.sleep(0.05)
        d = self.bus.read_register(self.address, COMMAND | REG_C0, 4)
        self.bus.write_register(self.address, COMMAND | REG_ENABLE, bytes([0x00]))  # power off
        ch0, ch1 = d[0] | (d[1] << 8), d[2] | (d[3] << 8)
        return fields(ch0, ch1, gain, ms, self.spec.options.get("sqm_const", DEFAULT_SQM_CONST))


def simulate(night: Night, spec: SensorSpec) -> dict[str, float]:
    gain, ms = settings(spec.options)
    const = spec.options.get("sqm_const", DEFAULT_SQM_CONST)
    sqm = night.sqm() + night.noise(0.02)
    ch0 = max(1, min(0xFFFF, round(10 ** ((const - sqm) / 2.5) * gain * ms / 1000.0)))
    ch1 = round(ch0 * 0.3)
    return fields(ch0, ch1, gain, ms, const)
