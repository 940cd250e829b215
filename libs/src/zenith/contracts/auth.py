"""Auth subjects: login, tokens, keys, users (served by ``auth``).

Besides the endpoints, this module fixes what token verifiers share with
the auth service: the issuer, the signing algorithm, the KV bucket and the
layout of its keys: ``revoked.<username>`` holds a not-before time in epoch
seconds (the user's access tokens issued earlier are refused: password
change, removal); ``revoked.session.<sid>`` ends one session (logout, a
reused refresh token) and holds the time its last access token expires,
after which the entry is purged. An access token names its session in the
``sid`` claim, and a user who must change a one-time password first in
``pwc`` (:data:`PASSWORD_CHANGE_CLAIM`, true or absent).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from zenith.contracts.base import Collection, Document, Empty, Endpoint, Message

Username = str  # validated by the auth service: 1-64 of [A-Za-z0-9_.@-]
Permissions = dict[str, list[str]]

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
ACTIONS = ("create", "read", "update", "delete")
ISSUER = "zenith"
ALGORITHM = "EdDSA"
ACCESS_TYPE = "access"
AUTH_BUCKET = "zenith-auth"
SIGNING_KEY = "signing.ed25519"  # where an older Zenith kept the signing key in KV (moved out)
REVOKED_PREFIX = "revoked."
SESSION_REVOKED_PREFIX = "revoked.session."
REVOKED_WATCH = "revoked.>"
PASSWORD_CHANGE_CLAIM = "pwc"

_KEY_SAFE = re.compile(r"[A-Za-z0-9_-]")


def revoked_key(username: str) -> str:
    """The KV key of a user's not-before time.

    KV keys cannot hold ``@`` and a ``.`` would split the key, so every other
    character is written as ``=XX`` (its hex code): ``a.b@c`` -> ``revoked.a=2Eb=40c``.
    """
    encoded = "".join(c if _KEY_SAFE.fullmatch(c) else f"={ord(c):02X}" for c in username)
    return REVOKED_PREFIX + encoded


def _decode(text: str) -> str:
    return re.sub(r"=([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), text)


def username_from_revoked_key(key: str) -> str | None:
    """The username a ``revoked.*`` key belongs to, or None for another key."""
    rest = key[len(REVOKED_PREFIX):]
    if not key.startswith(REVOKED_PREFIX) or "." in rest:
        return None
    return _decode(rest)


def session_revoked_key(session_id: str) -> str:
    """The KV key that ends session ``session_id`` (encoded as a username is)."""
    return SESSION_REVOKED_PREFIX + revoked_key(session_id)[len(REVOKED_PREFIX):]


def session_from_revoked_key(key: str) -> str | None:
    """The session a ``revoked.session.*`` key ends, or None for another key."""
    rest = key[len(SESSION_REVOKED_PREFIX):]
    if not key.startswith(SESSION_REVOKED_PREFIX) or not rest or "." in rest:
        return None
    return _decode(rest)


class Login(Message):
    username: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=1, max_length=1024)
    client_ip: str | None = Field(None, max_length=64, description="Set by the web service.")


class UserInfo(Message):
    username: str
    role: str
    permissions: Permissions
    created_at: str | None = None
    password_change_required: bool = Field(
        False, description="The password was issued by someone else (a one-time password): "
        "the user must choose their own before anything else.")


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
    password_change_required: bool | None = Field(
        None, description="Must change the password at first login; omitted: only when the "
        "password is generated.")


class UserAdded(Message):
    user: UserInfo
    password: str | None = Field(None, description="Only when it was generated.")


class UserPasswd(Message):
    username: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=8, max_length=1024)
    password_change_required: bool = Field(
        False, description="True when someone else sets it (a reset: a one-time password); "
        "false, the default, is the user's own change and clears the flag.")


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


# -- what the auth service stores (it alone reads and writes these) ------------


class UserDoc(Document):
    """A user (``_id`` = username)."""

    role: str
    permissions: dict[str, list[str]] | None = None
    password_hash: str
    created_at: str
    updated_at: str
    password_changed_at: str | None = None
    password_change_required: bool = Field(
        False, description="Issued by someone else: to be changed at the next login.")
    source: str | None = Field(None, description="Where the user came from (allsky import).")


class RefreshTokenDoc(Document):
    """A refresh token (``_id`` = its hash), one of a rotating family."""

    user: str
    family: str
    state: str
    created_at: str
    expires_at: str
    client_ip: str | None = None


class RevocationDoc(Document):
    """Tokens of a user issued before ``not_before`` are void (``_id`` = username)."""

    not_before: float


class LoginFailuresDoc(Document):
    """Recent failed logins of one address or user (``_id`` = the limit's key)."""

    hits: list[Any] = Field(default_factory=list)
    rev: int = 0
    last: float = 0.0


class LoginKnownDoc(Document):
    """An address that has logged in as a user (``_id`` = user and address)."""

    user: str
    last: float


USERS = Collection("users", "auth", UserDoc, "Users, password hashes, roles, permissions.")
REFRESH_TOKENS = Collection("refresh_tokens", "auth", RefreshTokenDoc,
                            "Hashes of refresh tokens and their rotation state.",
                            indexes=(("user",), ("family",), ("expires_at",)))
REVOCATIONS = Collection("revocations", "auth", RevocationDoc,
                         "Per user: access tokens issued before this time are void.")
LOGIN_FAILURES = Collection("login_failures", "auth", LoginFailuresDoc,
                            "Failed logins per address and per user (rate limits).",
                            indexes=(("last",),))
LOGIN_KNOWN = Collection("login_known", "auth", LoginKnownDoc,
                         "Addresses that logged in successfully as a user.")
