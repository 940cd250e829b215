"""Users in the MetadataStore (``users``, ``_id`` = username).

Shared by the service's endpoints and by ``zenith user`` (which works on
the store directly while the stack is down). Changing a password or
removing a user also revokes the user's refresh tokens and records an
access-token revocation (see :mod:`zenith_auth.revocation`).

A password someone else issued (a generated one, an administrator's reset)
marks the user ``password_change_required`` until the user's own change
clears it; users stored before the flag existed get ``False`` at setup.
"""

from __future__ import annotations

import builtins
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from zenith.contracts.auth import USERS, UserInfo
from zenith.errors import Conflict, DuplicateKey, NotFound
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import to_iso, utcnow
from zenith_auth.passwords import Passwords
from zenith_auth.refresh import RefreshTokens
from zenith_auth.revocation import Revocations
from zenith_auth.roles import (
    effective_permissions,
    manages_users,
    validate_password,
    validate_permissions,
    validate_role,
    validate_username,
)

log = logging.getLogger("zenith.auth.users")

COLLECTION = USERS.name
FIRST_ADMIN = "admin"


def new_password() -> str:
    return secrets.token_urlsafe(12)


def user_info(doc: dict[str, Any]) -> UserInfo:
    return UserInfo(username=doc["_id"], role=doc["role"],
                    permissions=effective_permissions(doc["role"], doc.get("permissions")),
                    created_at=doc.get("created_at"),
                    password_change_required=bool(doc.get("password_change_required", False)))


@dataclass
class Revoked:
    """What a password change or removal revoked."""

    refresh_tokens: int
    not_before: float


class UserDirectory:
    def __init__(self, store: MetadataStore, passwords: Passwords, refresh: RefreshTokens,
                 revocations: Revocations) -> None:
        self.store = store
        self.passwords = passwords
        self.refresh = refresh
        self.revocations = revocations

    async def setup(self) -> None:
        """Users stored before the must-change flag existed: not required."""
        await self.store.update_many(COLLECTION, {"password_change_required": {"$exists": False}},
                                     set={"password_change_required": False})

    async def get(self, username: str) -> dict[str, Any] | None:
        return await self.store.get(COLLECTION, username)

    async def require(self, username: str) -> dict[str, Any]:
        doc = await self.get(validate_username(username))
        if doc is None:
            raise NotFound(f"no user {username!r}", code="user_not_found")
        return doc

    async def list(self) -> list[UserInfo]:
        docs = await self.store.find(COLLECTION, sort=[("_id", 1)])
        return [user_info(doc) for doc in docs]

    async def add(self, username: str, *, role: str = "viewer", password: str | None = None,
                  password_hash: str | None = None,
                  permissions: dict[str, builtins.list[str]] | None = None,
                  source: str | None = None, change_required: bool | None = None
                  ) -> tuple[UserInfo, str | None]:
        """Create a user; returns it and the password when one was generated.

        ``change_required`` None: required exactly when the password is generated."""
        validate_username(username)
        validate_role(role)
        if permissions is not None:
            permissions = validate_permissions(permissions)
        generated = None
        if password_hash is None:
            if password is None:
                password = generated = new_password()
            password_hash = await self.passwords.ahash(validate_password(password))
        now = to_iso(utcnow())
        doc: dict[str, Any] = {
            "_id": username, "role": role, "permissions": permissions,
            "password_hash": password_hash, "created_at": now, "updated_at": now,
            "password_changed_at": now,
            "password_change_required": generated is not None if change_required is None
            else change_required,
        }
        if source:
            doc["source"] = source
        try:
            await self.store.insert(COLLECTION, doc)
        except DuplicateKey:
            raise Conflict(f"user {username!r} already exists", code="user_exists") from None
        log.info("user %s added (role %s)", username, role)
        return user_info(doc), generated

    async def set_password(self, username: str, password: str | None = None, *,
                           password_hash: str | None = None, change_required: bool = False
                           ) -> tuple[UserInfo, Revoked]:
        """Set a new password (or an imported hash); revokes the user's tokens.

        ``change_required``: someone else set it (a reset); False is the user's own
        change, which clears the flag."""
        await self.require(username)
        if password_hash is None:
            password_hash = await self.passwords.ahash(validate_password(password or ""))
        now = to_iso(utcnow())
        doc = await self.store.update(COLLECTION, {"_id": username}, set={
            "password_hash": password_hash, "updated_at": now, "password_changed_at": now,
            "password_change_required": change_required})
        if doc is None:
            raise NotFound(f"no user {username!r}", code="user_not_found")
        revoked = await self._revoke(username)
        log.info("password of %s changed; %d refresh tokens revoked", username,
                 revoked.refresh_tokens)
        return user_info(doc), revoked

    async def remove(self, username: str) -> Revoked:
        doc = await self.require(username)
        if manages_users(effective_permissions(doc["role"], doc.get("permissions"))):
            others = [u for u in await self.list()
                      if u.username != username and manages_users(u.permissions)]
            if not others:
                raise Conflict(f"{username!r} is the last user who can manage users; add "
                               "another admin first", code="last_admin")
        if not await self.store.delete(COLLECTION, {"_id": username}):
            raise NotFound(f"no user {username!r}", code="user_not_found")
        revoked = await self._revoke(username)
        log.info("user %s removed; %d refresh tokens revoked", username, revoked.refresh_tokens)
        return revoked

    async def replace_hash_if_unchanged(self, username: str, old_hash: str,
                                        new_hash: str) -> bool:
        """Store a stronger hash of the same password (after a login), unless the
        password changed meanwhile."""
        doc = await self.store.update(COLLECTION, {"_id": username, "password_hash": old_hash},
                                      set={"password_hash": new_hash})
        return doc is not None

    async def create_first_admin(self) -> str | None:
        """With no user at all, create ``admin`` with a random password and return
        it; None when there are users (or another replica created it first)."""
        if await self.store.count(COLLECTION) > 0:
            return None
        password = new_password()
        try:  # the operator who installs reads it: not someone else's password
            await self.add(FIRST_ADMIN, role="admin", password=password, change_required=False)
        except Conflict:
            return None
        return password

    async def _revoke(self, username: str) -> Revoked:
        tokens = await self.refresh.revoke_user(username)
        not_before = await self.revocations.record(username)
        return Revoked(tokens, not_before)
