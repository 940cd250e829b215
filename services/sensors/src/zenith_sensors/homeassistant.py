"""Home Assistant MQTT discovery: what each reading field, heater, fan and
the capture switch announce, so they appear in Home Assistant by themselves.

Config topics are ``<discovery_prefix>/<component>/<node_id>/<object_id>/config``
(node id ``zenith_<camera>``); every entity has a ``unique_id``, the
node's ``device`` and its ``availability`` topic (``online``/``offline``,
the broker sends ``offline`` as our last will).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import zenith

# field -> (device_class, unit); fields not listed are plain numbers
TEMPERATURE = ("temperature", "°C")
UNITS: dict[str, tuple[str | None, str | None]] = {
    **{f: TEMPERATURE for f in ("temp", "dewpoint", "Ambient", "Object", "Tsky", "DeltaSimple",
                                "raspiTemp", "t_in", "t_out", "spread")},
    "hum": ("humidity", "%"), "rh": ("humidity", "%"),
    "press": ("atmospheric_pressure", "hPa"),
    "Lux": ("illuminance", "lx"),
    "raspiDiskPercent": (None, "%"), "raspiCpuPercent": (None, "%"),
    "raspiMemPercent": (None, "%"), "duty": (None, "%"),
    "raspiDiskUsage": ("data_size", "MB"), "raspiDiskFree": ("data_size", "MB"),
    "raspiMemUsedMB": ("data_size", "MB"), "raspiMemTotalMB": ("data_size", "MB"),
    "raspiBootime": ("duration", "s"),
    "SQM_RAW": (None, "mag/arcsec²"), "SQM_LUX": (None, "mag/arcsec²"),
    "sqm": (None, "mag/arcsec²"),
}
_SAFE = re.compile(r"[^a-zA-Z0-9_-]")


def safe_id(text: str) -> str:
    return _SAFE.sub("_", text)


@dataclass(frozen=True)
class Topics:
    prefix: str
    discovery: str
    camera: str

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.camera}"

    @property
    def node_id(self) -> str:
        return safe_id(f"zenith_{self.camera}")

    @property
    def availability(self) -> str:
        return f"{self.base}/availability"

    @property
    def alerts(self) -> str:
        return f"{self.base}/alerts"

    @property
    def image_url(self) -> str:
        return f"{self.base}/image_url"

    def sensor_state(self, sensor: str) -> str:
        return f"{self.base}/sensor/{sensor}"

    def control_state(self, name: str) -> str:
        return f"{self.base}/control/{name}"

    def command(self, name: str) -> str:
        return f"{self.base}/set/{name}"

    def config(self, component: str, object_id: str) -> str:
        return f"{self.discovery}/{component}/{self.node_id}/{safe_id(object_id)}/config"


def _common(t: Topics, object_id: str, name: str, site: str) -> dict[str, Any]:
    return {
        "name": name,
        "unique_id": f"{t.node_id}_{safe_id(object_id)}",
        "availability": [{"topic": t.availability, "payload_available": "online",
                          "payload_not_available": "offline"}],
        "device": {"identifiers": [t.node_id], "name": f"{site} ({t.camera})",
                   "manufacturer": "Zenith", "model": "All-sky camera node",
                   "sw_version": zenith.__version__},
    }


def sensor_config(t: Topics, site: str, sensor: str, field: str) -> tuple[str, dict[str, Any]]:
    object_id = f"{sensor}_{field}"
    payload = _common(t, object_id, f"{sensor} {field}", site)
    payload.update({"state_topic": t.sensor_state(sensor),
                    "value_template": "{{ value_json['" + field + "'] }}",
                    "state_class": "measurement"})
    device_class, unit = UNITS.get(field, (None, None))
    if device_class:
        payload["device_class"] = device_class
    if unit:
        payload["unit_of_measurement"] = unit
    return t.config("sensor", object_id), payload


def switch_config(t: Topics, site: str, name: str, kind: str) -> tuple[str, dict[str, Any]]:
    payload = _common(t, name, f"{kind} {name}" if kind != name else name, site)
    payload.update({"command_topic": t.command(name), "payload_on": "ON", "payload_off": "OFF",
                    "state_topic": t.control_state(name),
                    "value_template": "{{ value_json.state }}", "state_on": "ON",
                    "state_off": "OFF", "icon": "mdi:fan" if kind == "fan" else "mdi:radiator"})
    return t.config("switch", name), payload


def capture_config(t: Topics, site: str) -> tuple[str, dict[str, Any]]:
    payload = _common(t, "capture", "capture", site)
    payload.update({"command_topic": t.command("capture"), "payload_on": "ON",
                    "payload_off": "OFF", "optimistic": True, "icon": "mdi:camera"})
    return t.config("switch", "capture"), payload


def image_config(t: Topics, site: str) -> tuple[str, dict[str, Any]]:
    payload = _common(t, "image", "latest image", site)
    payload.update({"url_topic": t.image_url})
    return t.config("image", "image"), payload


def alert_config(t: Topics, site: str) -> tuple[str, dict[str, Any]]:
    payload = _common(t, "alert", "last alert", site)
    payload.update({"state_topic": t.alerts, "value_template": "{{ value_json.message }}",
                    "json_attributes_topic": t.alerts, "icon": "mdi:bell"})
    return t.config("sensor", "alert"), payload
