"""The bus: connection, micro services, requests and JetStream setup.

The names below load on first use, so a process asking a question over the
bus (``zenith.bus.client``) does not import the micro-service machinery."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import zenith.bus.natsimport  # noqa: F401  (first: nats without its WebSocket transport)

# eager: the function shares its module's name, which would shadow a lazy lookup
from zenith.bus.connect import connect

if TYPE_CHECKING:
    from zenith.bus.client import BusClient
    from zenith.bus.jetstream import ensure_jetstream
    from zenith.bus.service import BusService, Call

__all__ = ["BusClient", "BusService", "Call", "connect", "ensure_jetstream"]

_HOMES = {"BusClient": "client", "ensure_jetstream": "jetstream",
          "BusService": "service", "Call": "service"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
