"""A process's own bus credentials: where ``zenith dev`` keeps them and how a
credentials (NATS context) file is read.

Kept apart from :mod:`zenith.bus.credentials`, which derives every user's
permissions from all contracts: a service reading its password at start-up
needs none of that."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from zenith.errors import ConfigError

CONTEXT_FILE = "zenith.json"


@dataclass(frozen=True)
class Credential:
    user: str
    password: str

    def __repr__(self) -> str:  # never print a password
        return f"Credential(user={self.user!r}, password='***')"


def credentials_dir(data_dir: Path) -> Path:
    """Where ``zenith dev`` keeps the bus credentials: ``<data_dir>/secrets/nats``."""
    return data_dir / "secrets" / "nats"


def read_credentials(path: Path) -> Credential:
    """User and password from a credentials (NATS context) file."""
    try:
        data = json.loads(path.read_text())
        return Credential(str(data["user"]), str(data["password"]))
    except FileNotFoundError:
        raise ConfigError(f"ZENITH_NATS_CREDENTIALS: {path} does not exist") from None
    except (ValueError, KeyError, TypeError, OSError):
        raise ConfigError(f"ZENITH_NATS_CREDENTIALS: {path} is not a credentials file "
                          "(JSON with user and password)") from None
