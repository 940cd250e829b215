"""1-wire discovery through the kernel's w1 drivers (``/sys/bus/w1/devices``).

Each device is a directory named ``<family>-<serial>``. Temperature sensors
expose ``temperature`` (millidegrees) on recent kernels and ``w1_slave``
(two lines, CRC check then ``t=<millidegrees>``) everywhere. A device that
cannot be read is still listed, with the reason; the bus being absent
gives an empty list.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from zenith.contracts.gpio import OneWireDevice

# family code -> (chips, kind)
FAMILIES: dict[str, tuple[str, str]] = {
    "01": ("DS2401/DS1990A", "serial-number"),
    "05": ("DS2405", "switch"),
    "10": ("DS18S20/DS1920", "temperature"),
    "12": ("DS2406/DS2407", "switch"),
    "1D": ("DS2423", "counter"),
    "20": ("DS2450", "adc"),
    "22": ("DS1822", "temperature"),
    "23": ("DS2433", "eeprom"),
    "24": ("DS2415", "clock"),
    "26": ("DS2438", "battery-monitor"),
    "27": ("DS2417", "clock"),
    "28": ("DS18B20", "temperature"),
    "29": ("DS2408", "switch"),
    "2D": ("DS2431", "eeprom"),
    "37": ("DS1977", "eeprom"),
    "3A": ("DS2413", "switch"),
    "3B": ("DS1825/MAX31850", "temperature"),
    "42": ("DS28EA00", "temperature"),
    "81": ("DS1420", "serial-number"),
}
DEVICE_RE = re.compile(r"^([0-9a-fA-F]{2})-([0-9a-fA-F]{6,})$")
# A DS18x20 answers 85.000 C when it was read before a conversion finished.
POWER_ON_RESET_MILLI_C = 85000


def parse_w1_slave(text: str) -> float:
    """Degrees C from a ``w1_slave`` file; ValueError when the read is bad."""
    lines = text.strip().splitlines()
    if len(lines) < 2 or not lines[0].rstrip().endswith("YES"):
        raise ValueError("CRC check failed")
    match = re.search(r"t=(-?\d+)", lines[1])
    if match is None:
        raise ValueError("no t= value")
    return _millidegrees(int(match.group(1)))


def _millidegrees(value: int) -> float:
    if value == POWER_ON_RESET_MILLI_C:
        raise ValueError("sensor answered its power-on value 85.0 C (conversion not done)")
    return value / 1000.0


def read_temperature(device_dir: Path) -> float:
    """Degrees C of one sensor; raises OSError or ValueError with the reason."""
    simple = device_dir / "temperature"
    if simple.exists():
        text = simple.read_text().strip()
        if not text:
            raise ValueError("empty temperature file")
        return _millidegrees(int(text))
    return parse_w1_slave((device_dir / "w1_slave").read_text())


def _describe(entry: Path) -> OneWireDevice | None:
    match = DEVICE_RE.match(entry.name)
    if match is None:
        return None  # w1_bus_master1 and other non-devices
    family = match.group(1).upper()
    chip, kind = FAMILIES.get(family, (None, "unknown"))
    device = OneWireDevice(id=entry.name, family=family, kind=kind, chip=chip)
    if kind == "temperature":
        try:
            device.temperature_c = read_temperature(entry)
        except (OSError, ValueError) as exc:
            device.error = str(exc) or type(exc).__name__
    return device


def list_devices(root: Path) -> list[Path]:
    try:
        return sorted(p for p in root.iterdir() if DEVICE_RE.match(p.name))
    except OSError:
        return []


async def discover(root: Path) -> list[OneWireDevice]:
    """Every device under ``root``, sensors read in parallel (each read takes ~0.75 s)."""
    entries = await asyncio.to_thread(list_devices, root)
    found = await asyncio.gather(*(asyncio.to_thread(_describe, e) for e in entries))
    return [d for d in found if d is not None]
