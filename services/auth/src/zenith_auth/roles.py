"""Usernames, built-in roles and permissions ``{module: [actions]}``.

``*`` stands for every module (that has no entry of its own) or every
action; see :func:`zenith.tokens.has_permission` for the exact rule.
Explicit permissions on a user replace the role's.
"""

from __future__ import annotations

import re
from typing import Any

from zenith.contracts.auth import ACTIONS, USERNAME_RE
from zenith.errors import BadRequest
from zenith.tokens import has_permission

MODULE_RE = re.compile(r"^(\*|[a-z][a-z0-9_-]{0,31})$")

ROLES: dict[str, dict[str, list[str]]] = {
    "admin": {"*": ["*"]},
    "operator": {"*": ["*"], "users": []},
    "viewer": {module: ["read"] for module in
               ("allsky", "gpio", "products", "sensors", "focuser")},
    # a camera owner on a hub: the owner area, for the cameras whose owners name them
    "owner": {"owner": ["create", "read", "update", "delete"]},
}


def validate_username(username: str) -> str:
    if not isinstance(username, str) or not USERNAME_RE.fullmatch(username):
        raise BadRequest(f"invalid username {username!r}: use 1-64 characters "
                         "A-Z, a-z, 0-9, '_', '.', '@' or '-'", code="invalid_username")
    return username


def validate_role(role: str) -> str:
    if role not in ROLES:
        raise BadRequest(f"unknown role {role!r}: use one of {', '.join(ROLES)}",
                         code="invalid_role")
    return role


def validate_password(password: str) -> str:
    if not isinstance(password, str) or not 8 <= len(password) <= 1024:
        raise BadRequest("a password must be 8 to 1024 characters long",
                         code="invalid_password")
    return password


def validate_permissions(permissions: Any) -> dict[str, list[str]]:
    """A clean copy of ``permissions`` (actions deduplicated, in a fixed order)."""
    if not isinstance(permissions, dict):
        raise BadRequest("permissions must be an object {module: [actions]}",
                         code="invalid_permissions")
    allowed = (*ACTIONS, "*")
    clean: dict[str, list[str]] = {}
    for module, actions in permissions.items():
        if not isinstance(module, str) or not MODULE_RE.fullmatch(module):
            raise BadRequest(f"invalid permission module {module!r}: '*' or a lowercase name",
                             code="invalid_permissions")
        if not isinstance(actions, list) or any(a not in allowed for a in actions):
            raise BadRequest(f"permissions of {module!r} must be a list of "
                             f"{', '.join(allowed)}", code="invalid_permissions")
        clean[module] = [a for a in allowed if a in actions]
    return clean


def effective_permissions(role: str, explicit: dict[str, list[str]] | None) -> dict[str, list[str]]:
    if explicit is not None:
        return {module: list(actions) for module, actions in explicit.items()}
    return {module: list(actions) for module, actions in ROLES.get(role, {}).items()}


def manages_users(permissions: dict[str, list[str]]) -> bool:
    """Can this user add, change and remove users (the lock-out guard)?"""
    return all(has_permission(permissions, "users", a) for a in ("create", "update", "delete"))
