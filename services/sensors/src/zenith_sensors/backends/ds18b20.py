"""Maxim DS18B20 (1-wire): temperature, from the kernel's w1-therm sysfs files.

``<onewire_dir>/28-<serial>/w1_slave`` holds two lines: the scratchpad with
``crc=.. YES`` (or ``NO``), then the scratchpad with ``t=<millidegrees>``.
85 °C exactly is the chip's power-on value, not a measurement. The device
is the sensor's ``device`` (e.g. ``28-0316a2790dff``) or the first 28-*
found. (Read directly: the w1thermsensor library loads kernel modules and
keeps its base directory in a class attribute.)
"""

from __future__ import annotations

from pathlib import Path

from zenith_sensors.backends.base import Driver
from zenith_sensors.backends.night import Night
from zenith_sensors.config import SensorSpec
from zenith_sensors.errors import ReadError

MEASUREMENT = "ds18b20"
FAMILIES = ("28-", "10-", "22-", "3b-", "42-")  # DS18B20, DS18S20, DS1822, MAX31850, DS28EA00


def find_device(root: Path, device: str | None) -> Path:
    if device:
        path = root / device
        if not path.is_dir():
            raise ReadError(f"1-wire device {device} not found in {root}")
        return path
    found = sorted(p for p in root.glob("*") if p.name.startswith(FAMILIES)) \
        if root.is_dir() else []
    if not found:
        raise ReadError(f"no 1-wire temperature sensor in {root}")
    return found[0]


def parse_w1_slave(text: str) -> float:
    lines = text.strip().splitlines()
    if len(lines) < 2 or not lines[0].rstrip().endswith("YES"):
        raise ReadError("DS18B20: CRC check failed (w1_slave says NO)")
    _, sep, milli = lines[1].rpartition("t=")
    if not sep:
        raise ReadError("DS18B20: no t= in w1_slave")
    try:
        value = int(milli.strip()) / 1000.0
    except ValueError:
        raise ReadError(f"DS18B20: bad temperature {milli!r}") from None
    if value == 85.0:
        raise ReadError("DS18B20: 85 °C is the power-on value (no conversion)")
    return value


class Hardware(Driver):
    def read(self) -> dict[str, float]:
        path = find_device(self.env.onewire_dir, self.spec.device) / "w1_slave"
        try:
            text = path.read_text()
        except OSError as exc:
            raise ReadError(f"DS18B20: {exc}") from exc
        return {"temp": round(parse_w1_slave(text), 3)}


def simulate(night: Night, spec: SensorSpec) -> dict[str, float]:
    return {"temp": round(night.air_c() - 0.5 + night.noise(0.05), 3)}
