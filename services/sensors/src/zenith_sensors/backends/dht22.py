"""Aosong DHT22 / AM2302 (one GPIO): temperature, humidity, dew point.

Read through the kernel's ``dht11`` IIO driver (``dtoverlay=dht11,gpiopin=N``,
which serves the DHT22 too): ``<iio_dir>/iio:deviceN/in_temp_input`` in
millidegrees and ``in_humidityrelative_input`` in milli-percent. The
protocol's microsecond timing is the kernel's job, not Python's; a read
the kernel could not decode fails with EIO and is simply tried again.
"""

from __future__ import annotations

from pathlib import Path

from zenith_sensors.backends.base import Driver
from zenith_sensors.backends.night import Night
from zenith_sensors.config import SensorSpec
from zenith_sensors.dewpoint import dew_point
from zenith_sensors.errors import ReadError

MEASUREMENT = "dht22"
KERNEL_NAME = "dht11"


def find_device(root: Path, device: str | None) -> Path:
    if device:
        path = root / device
        if not path.is_dir():
            raise ReadError(f"IIO device {device} not found in {root}")
        return path
    for path in sorted(root.glob("iio:device*")) if root.is_dir() else []:
        try:
            if (path / "name").read_text().strip() == KERNEL_NAME:
                return path
        except OSError:
            continue
    raise ReadError(f"no dht11/dht22 IIO device in {root} (dtoverlay=dht11 missing?)")


def _milli(path: Path) -> float:
    try:
        return int(path.read_text().strip()) / 1000.0
    except OSError as exc:
        raise ReadError(f"DHT22: {path.name}: {exc}") from exc
    except ValueError:
        raise ReadError(f"DHT22: {path.name} is not a number") from None


class Hardware(Driver):
    def read(self) -> dict[str, float]:
        dev = find_device(self.env.iio_dir, self.spec.device)
        temp = _milli(dev / "in_temp_input")
        hum = _milli(dev / "in_humidityrelative_input")
        if not -40 <= temp <= 80 or not 0 <= hum <= 100:
            raise ReadError(f"DHT22: implausible {temp} °C / {hum} %")
        return {"temp": round(temp, 2), "hum": round(hum, 2),
                "dewpoint": round(dew_point(temp, hum), 2)}


def simulate(night: Night, spec: SensorSpec) -> dict[str, float]:
    temp = night.dome_c() + night.noise(0.1)
    hum = min(100.0, night.dome_rh() + night.noise(0.8))
    return {"temp": round(temp, 1), "hum": round(hum, 1),
            "dewpoint": round(dew_point(temp, hum), 2)}
