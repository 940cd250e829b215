"""The audit entries of changes made with ``zenith camera``, ``zenith owner``
and ``zenith join``, like those of the admin area: the actor is ``cli@`` and
the operating-system user who ran the command (``cli`` when it has none; a
name a username pattern accepts, as a join's ``decided_by`` must be),
recorded through ``zenith.network.audit.record`` once the change is made."""

from __future__ import annotations

import getpass
import re
from typing import Any

from zenith.bus.client import BusClient
from zenith.contracts import admin

_UNSAFE = re.compile(r"[^A-Za-z0-9_.@-]")


def cli_actor() -> str:
    """``cli@<OS user>``, or ``cli`` when the user cannot be told."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):
        user = ""
    user = _UNSAFE.sub("", user)[:60]
    return f"cli@{user}" if user else "cli"


def actor_headers() -> dict[str, str]:
    """The headers naming the CLI's user to the network service."""
    return {"Zenith-User": cli_actor()}


async def record(
    bus: BusClient, action: str, target: str, details: dict[str, Any] | None = None
) -> None:
    """Audit a change the command made (never a password or a key)."""
    await bus.request(
        admin.AUDIT_RECORD,
        admin.AuditRecord(action=action, target=target, details=details or {}),
        headers=actor_headers(),
    )
