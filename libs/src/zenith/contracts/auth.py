"""Auth subjects: login, tokens, keys, users (served by ``auth``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from zenith.contracts.base import Empty, Endpoint, Message

Username = str  # validated by the auth service: 1-64 of [A-Za-z0-9_.@-]
Permissions = dict[str, list[str]]


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
