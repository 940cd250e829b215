"""The computer itself (measurement ``raspistatus``): CPU temperature,
throttling, disk, memory, CPU load, uptime; psutil and the thermal zone.

``raspiThrottled`` is the firmware's get_throttled bit field where the
kernel shows it (``/sys/devices/platform/soc/soc:firmware/get_throttled``).
"""

from __future__ import annotations

import time
from pathlib import Path

import psutil

from zenith_sensors.backends.base import Driver
from zenith_sensors.backends.night import Night
from zenith_sensors.config import SensorSpec
from zenith_sensors.errors import ReadError

MEASUREMENT = "raspistatus"
THROTTLED = Path("/sys/devices/platform/soc/soc:firmware/get_throttled")
MB = 1024 * 1024


def _system(disk: Path) -> dict[str, float]:
    try:
        usage = psutil.disk_usage(str(disk))
    except OSError as exc:
        raise ReadError(f"disk {disk}: {exc}") from exc
    mem = psutil.virtual_memory()
    return {
        "raspiDiskUsage": round(usage.used / MB, 1), "raspiDiskFree": round(usage.free / MB, 1),
        "raspiDiskPercent": round(usage.percent, 1),
        "raspiBootime": round(time.time() - psutil.boot_time()),
        "raspiCpuPercent": psutil.cpu_percent(interval=None),
        "raspiMemPercent": mem.percent, "raspiMemUsedMB": round(mem.used / MB, 1),
        "raspiMemTotalMB": round(mem.total / MB, 1), "online": 1.0,
    }


class Hardware(Driver):
    def read(self) -> dict[str, float]:
        out = _system(self.env.disk_path)
        try:
            out["raspiTemp"] = int(self.env.thermal_zone.read_text().strip()) / 1000.0
        except (OSError, ValueError) as exc:
            raise ReadError(f"thermal zone {self.env.thermal_zone}: {exc}") from exc
        try:
            out["raspiThrottled"] = float(int(THROTTLED.read_text().strip(), 16))
        except (OSError, ValueError):
            pass  # not a Pi, or an older kernel
        return out


def simulate(night: Night, spec: SensorSpec) -> dict[str, float]:
    out = _system(Path("/"))
    out["raspiTemp"] = round(38.0 + night.air_c() + night.noise(0.3), 1)
    out["raspiThrottled"] = 0.0
    return out
