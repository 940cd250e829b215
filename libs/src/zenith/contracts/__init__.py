"""Every bus subject and its message models, declared once.

Import :mod:`zenith.contracts` to register all declarations; the catalogue
in ``docs/`` is generated from :data:`ENDPOINTS`, :data:`EVENTS` and
:data:`COLLECTIONS`; the services are listed in :mod:`zenith.contracts.services`.
"""

from zenith.contracts import (  # noqa: F401  (imported to register declarations)
    alerts,
    auth,
    camerakeys,
    capture,
    focuser,
    frames,
    gpio,
    ingest,
    network,
    products,
    sensors,
    web,
)
from zenith.contracts.base import (
    COLLECTIONS,
    ENDPOINTS,
    EVENTS,
    Collection,
    Empty,
    Endpoint,
    ErrorReply,
    Event,
    Message,
)

__all__ = ["COLLECTIONS", "ENDPOINTS", "EVENTS", "Collection", "Empty", "Endpoint",
           "ErrorReply", "Event", "Message"]
