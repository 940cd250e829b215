"""Every bus subject and its message models, declared once.

Import :mod:`zenith.contracts` to register all declarations; the catalogue
in ``docs/`` is generated from :data:`ENDPOINTS` and :data:`EVENTS`.
"""

from zenith.contracts import (  # noqa: F401  (imported to register declarations)
    alerts,
    auth,
    capture,
    focuser,
    frames,
    gpio,
    products,
    sensors,
    web,
)
from zenith.contracts.base import ENDPOINTS, EVENTS, Empty, Endpoint, ErrorReply, Event, Message

__all__ = ["ENDPOINTS", "EVENTS", "Empty", "Endpoint", "ErrorReply", "Event", "Message"]
