"""The caller of a request, as the auth middleware admitted it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from zenith.tokens import Principal, has_permission

Via = Literal["local", "bearer", "cookie", "anonymous"]
ALL_PERMISSIONS: dict[str, list[str]] = {"*": ["*"]}


@dataclass(frozen=True)
class Caller:
    via: Via
    address: str
    principal: Principal | None = None
    local: bool = False

    @property
    def username(self) -> str | None:
        if self.principal is not None:
            return self.principal.username
        return "local" if self.via == "local" else None

    @property
    def role(self) -> str | None:
        if self.principal is not None:
            return self.principal.role
        return "local" if self.via == "local" else None

    @property
    def authenticated(self) -> bool:
        return self.via != "anonymous"

    def may(self, permission: tuple[str, str] | None) -> bool:
        if self.via == "local":
            return True
        if self.principal is None:
            return False
        if permission is None:
            return True
        module, action = permission
        return bool(has_permission(self.principal.permissions, module, action))
