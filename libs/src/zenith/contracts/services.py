"""The services of Zenith, declared once.

Each row names a service (its folder ``services/<name>``, package
``zenith_<name>``, micro service name on the bus, ``zenith run <name>``,
compose service and Kubernetes Deployment) and the deployment profiles it
belongs to. ``zenith dev`` starts the ``dev`` rows, ``GET /healthz`` and
``zenith health`` ping them, the catalogue lists them; nothing else keeps
its own list.

Profiles:

- ``node``: on the camera's Pi;
- ``hub``: the network's server;
- ``dev``: ``zenith dev``, everything on one machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Profile = Literal["node", "hub", "dev"]


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    summary: str
    profiles: frozenset[Profile]

    def in_profile(self, profile: Profile) -> bool:
        return profile in self.profiles


_ALL: frozenset[Profile] = frozenset({"node", "hub", "dev"})
_NODE: frozenset[Profile] = frozenset({"node", "dev"})

SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("auth", "Users, passwords, roles, token signing, camera keys.", _ALL),
    ServiceSpec("gpio", "Digital and PWM pins, the focuser, 1-wire and I2C discovery.", _NODE),
    ServiceSpec("capture", "The camera loop on a node; frame ingest on a hub; the frames "
                "index.", _ALL),
    ServiceSpec("products", "Keograms, startrails, timelapses, thumbnails, retention.", _ALL),
    ServiceSpec("sensors", "Sensor drivers, dew heater and fan rules, alerts, MQTT; the "
                "SeriesStore of readings.", _ALL),
    ServiceSpec("web", "Every HTTP surface: REST API, pages, uploads, OpenAPI.", _ALL),
    ServiceSpec("network", "The hub's cameras, owners, online status and highlights; a "
                "node's uplink to its hub.", frozenset({"hub", "dev"})),
)


def service_names(profile: Profile | None = None) -> tuple[str, ...]:
    """Names of the services, in start order, of one profile or of all."""
    return tuple(s.name for s in SERVICES if profile is None or s.in_profile(profile))


def service(name: str) -> ServiceSpec:
    for spec in SERVICES:
        if spec.name == name:
            return spec
    raise KeyError(f"no service {name!r} is declared in zenith.contracts.services")
