"""Auth subjects: login, tokens, keys, users (served by ``auth``).

Besides the endpoints, this module fixes what token verifiers share with
the auth service: the issuer, the signing algorithm, the KV bucket and the
layout of its keys (``revoked.<username>`` holds a not-before time in epoch
seconds; access tokens issued earlier are refused).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from zenith.contracts.base import Empty, Endpoint, Message

Username = str  # validated by the auth service: 1-64 of [A-Za-z0-9_.@-]
Permissions = dict[str, list[str]]

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
ACTIONS = ("create", "read", "update", "delete")
ISSUER = "zenith"
ALGORITHM = "EdDSA"
ACCESS_TYPE = "access"
AUTH_BUCKET = "zenith-auth"
SIGNING_KEY = "signing.ed25519"  # KV key of the private signing key (auth service only)
REVOKED_PREFIX = "revoked."
REVOKED_WATCH = "revoked.*"

_KEY_SAFE = re.compile(r"[A-Za-z0-9_-]")


def revoked_key(username: str) -> str:
    """The KV key of a user's not-before time.

    KV keys cannot hold ``@`` and a ``.`` would split the key, so every other
    character is written as ``=XX`` (its hex code): ``a.b@c`` -> ``revoked.a=2Eb=40c``.
    """
    encoded = "".join(c if _KEY_SAFE.fullmatch(c) else f"={ord(c):02X}" for c in username)
    return REVOKED_PREFIX + encoded


def username_from_revoked_key(key: str) -> str | None:
    """The username a ``revoked.*`` key belongs to, or None for another key."""
    if not key.startswith(REVOKED_PREFIX):
        return None
    return re.sub(r"=([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)),
                  key[len(REVOKED_PREFIX):])


class Login(Message):
    username: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=1, max_length=1024)
    client_ip: str | None = Field(None, max_length=64, description="Set by the web service.")


class UserInfo(Message):
    username: str
    role: str
    permissions: Permissions
    created_at: str | None = None


class TokenPair(Message):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str
    user: UserInfo


class Refresh(Message):
    refresh_token: str = Field(..., min_length=1, max_length=4096)
    client_ip: str | None = Field(None, max_length=64)


class Logout(Message):
    refresh_token: str = Field(..., min_length=1, max_length=4096)


class Ok(Message):
    ok: bool = True


class Jwks(Message):
    keys: list[dict[str, Any]]
    issuer: str


class UserAdd(Message):
    username: str = Field(..., min_length=1, max_length=64)
    password: str | None = Field(None, min_length=8, max_length=1024,
                                 description="Omitted: a random one is made and returned.")
    role: str = Field("viewer", pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    permissions: Permissions | None = None


class UserAdded(Message):
    user: UserInfo
    password: str | None = Field(None, description="Only when it was generated.")


class UserPasswd(Message):
    username: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=8, max_length=1024)


class UserName(Message):
    username: str = Field(..., min_length=1, max_length=64)


class UserList(Message):
    users: list[UserInfo]


LOGIN = Endpoint(service="auth", name="login", subject="zenith.auth.login",
                 request=Login, reply=TokenPair,
                 summary="Check a password; issue an access and a refresh token.")
REFRESH = Endpoint(service="auth", name="refresh", subject="zenith.auth.refresh",
                   request=Refresh, reply=TokenPair,
                   summary="Rotate a refresh token: the old one stops working.")
LOGOUT = Endpoint(service="auth", name="logout", subject="zenith.auth.logout",
                  request=Logout, reply=Ok, summary="Revoke a refresh token.")
JWKS = Endpoint(service="auth", name="jwks", subject="zenith.auth.jwks",
                request=Empty, reply=Jwks, summary="Public keys that verify access tokens.")
USER_ADD = Endpoint(service="auth", name="user-add", subject="zenith.auth.users.add",
                    request=UserAdd, reply=UserAdded, permission=("users", "create"),
                    summary="Create a user.")
USER_PASSWD = Endpoint(service="auth", name="user-passwd", subject="zenith.auth.users.passwd",
                       request=UserPasswd, reply=UserInfo, permission=("users", "update"),
                       summary="Set a password; revokes the user's tokens.")
USER_REMOVE = Endpoint(service="auth", name="user-remove", subject="zenith.auth.users.remove",
                       request=UserName, reply=Ok, permission=("users", "delete"),
                       summary="Delete a user and revoke the user's tokens.")
USER_LIST = Endpoint(service="auth", name="user-list", subject="zenith.auth.users.list",
                     request=Empty, reply=UserList, permission=("users", "read"),
                     summary="Every user with role and permissions.")
