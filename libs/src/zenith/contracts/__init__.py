"""Every bus subject and its message models, declared once.

Each module of this package declares what one service serves, publishes or
stores. A service imports only the modules it speaks (``from zenith.contracts
import frames``), so starting it does not build every model of the network.
The registries :data:`ENDPOINTS`, :data:`EVENTS` and :data:`COLLECTIONS` (from
which the catalogue in ``docs/`` and the NATS credentials are derived) are
complete once :func:`load_all` has run; reading them from this package runs it.
The services are listed in :mod:`zenith.contracts.services`.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from zenith.contracts.base import Collection, Empty, Endpoint, ErrorReply, Event, Message

#: modules that declare no endpoint, event or collection of their own
_NOT_DECLARATIONS = frozenset({"base", "catalogue", "common"})

__all__ = ["COLLECTIONS", "ENDPOINTS", "EVENTS", "Collection", "Empty", "Endpoint",
           "ErrorReply", "Event", "Message", "load_all"]


def load_all() -> None:
    """Import every declaring module of this package, so the registries hold all."""
    for info in pkgutil.iter_modules(__path__):
        if info.name not in _NOT_DECLARATIONS:
            importlib.import_module(f"{__name__}.{info.name}")


def __getattr__(name: str) -> Any:
    if name in ("ENDPOINTS", "EVENTS", "COLLECTIONS"):
        load_all()
        from zenith.contracts import base
        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
