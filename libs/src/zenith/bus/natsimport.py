"""Import nats-py without its WebSocket transport.

nats-py imports aiohttp at start-up only for its WebSocket transport, and
aiohttp is the larger part of its import time (0.15 s on a quiet Pi-class
core, half of nats' import). Zenith speaks NATS over TCP (``nats://``, TLS
with ``tls://``) only — :class:`zenith.config.Settings` refuses ``ws://`` —
so a process that has not imported aiohttp for itself (capture, products,
the command line) imports nats with aiohttp hidden. A process that already
has aiohttp (web) keeps the full client."""

from __future__ import annotations

import sys


def import_nats() -> None:
    """Import ``nats.aio.client`` (once); without aiohttp unless it is loaded already."""
    if "nats.aio.client" in sys.modules:
        return
    if "aiohttp" in sys.modules:
        import nats.aio.client
        return
    sys.modules["aiohttp"] = None  # type: ignore[assignment]  # an import of it now fails
    try:
        import nats.aio.client  # noqa: F401
    finally:
        del sys.modules["aiohttp"]


import_nats()
