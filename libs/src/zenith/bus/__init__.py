"""The bus: connection, micro services, requests and JetStream setup."""

from zenith.bus.client import BusClient
from zenith.bus.connect import connect
from zenith.bus.jetstream import ensure_jetstream
from zenith.bus.service import BusService, Call

__all__ = ["BusClient", "BusService", "Call", "connect", "ensure_jetstream"]
