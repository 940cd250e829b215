"""The network's administration (served by ``network``): audit log and settings.

Every administrative change (cameras, owners, keys, join requests, badges,
settings) leaves an :class:`AuditEntry` in :data:`AUDIT_LOG`: who, what,
when, on which target. The network service writes the entries of its own
changes itself; the web service records those it makes through other
services (a password reset in auth) with :data:`AUDIT_RECORD`. Only
``network`` writes the collection; an administrator reads it with
:data:`AUDIT_LIST`.

The network-wide settings an administrator changes at run time (site name,
map tiles, Grafana URL, offline threshold) are one :class:`NetworkConfig`
document in :data:`NETWORK_CONFIG`, read by the web service through
:data:`CONFIG_GET`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field

from zenith.contracts.base import Collection, Empty, Endpoint, Message
from zenith.contracts.common import StoredTime
from zenith.contracts.network import Username

SERVICE = "network"

Action = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}\.[a-z][a-z0-9-]{0,31}$",
                              description="What was done, as area.verb (camera.disable).")]
Target = Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x1f<>]*$")]


class AuditEntry(Message):
    """A document of :data:`AUDIT_LOG` (``_id`` = ``id``, sortable by time)."""

    id: str
    at: StoredTime
    actor: str = Field(description="The user who did it (or 'cli', 'local').")
    action: Action
    target: Target = ""
    details: dict[str, Any] = Field(default_factory=dict,
                                    description="What changed; never a password or key.")


class AuditRecord(Message):
    action: Action
    target: Target = ""
    details: dict[str, Any] = Field(default_factory=dict)


class AuditQuery(Message):
    action: Action | None = None
    target: Target | None = None
    limit: int = Field(200, ge=1, le=1000)


class AuditList(Message):
    entries: list[AuditEntry] = Field(description="Newest first.")


def _url(value: str) -> str:
    if value and not value.lower().startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value


Url = Annotated[str, Field(max_length=300, pattern=r"^[^\x00-\x20<>\"']*$"), AfterValidator(_url)]


class NetworkConfig(Message):
    """The network settings an administrator changes; empty fields: the
    services' own settings apply."""

    site_name: Annotated[str, Field(max_length=64, pattern=r"^[^\x00-\x1f<>]*$")] = ""
    map_tiles: Annotated[Url, Field(description="Tile URL template with {z}/{x}/{y}.")] = ""
    grafana_url: Url = ""
    offline_after_s: float | None = Field(None, ge=60, le=7 * 86400,
                                          description="A camera is offline after this "
                                          "long without a frame, s.")
    updated_at: StoredTime | None = None
    updated_by: Username | None = None


class NetworkConfigSet(Message):
    site_name: Annotated[str, Field(max_length=64, pattern=r"^[^\x00-\x1f<>]*$")] = ""
    map_tiles: Url = ""
    grafana_url: Url = ""
    offline_after_s: float | None = Field(None, ge=60, le=7 * 86400)


AUDIT_LOG = Collection("network_audit", SERVICE, AuditEntry,
                       "Administrative changes: who did what, when, to which target.",
                       indexes=(("at",), ("target", "at")))
NETWORK_CONFIG = Collection("network_config", SERVICE, NetworkConfig,
                            "The network settings administrators change (one document).")

AUDIT_RECORD = Endpoint(service=SERVICE, name="audit-record",
                        subject="zenith.network.audit.record", request=AuditRecord,
                        reply=AuditEntry, permission=("users", "update"),
                        summary="Record an administrative change made through another "
                        "service (the actor is the caller's Zenith-User).")
AUDIT_LIST = Endpoint(service=SERVICE, name="audit-list", subject="zenith.network.audit.list",
                      request=AuditQuery, reply=AuditList, permission=("users", "read"),
                      summary="Audit entries, newest first.")
CONFIG_GET = Endpoint(service=SERVICE, name="config-get", subject="zenith.network.config.get",
                      request=Empty, reply=NetworkConfig,
                      summary="The network settings administrators change.")
CONFIG_SET = Endpoint(service=SERVICE, name="config-set", subject="zenith.network.config.set",
                      request=NetworkConfigSet, reply=NetworkConfig,
                      permission=("users", "update"),
                      summary="Change the network settings (audited).")
