"""The auth service's bus endpoints (``zenith.contracts.auth``).

The user endpoints trust the bus: the web service checks the caller's
``users`` permission (declared on each endpoint) before it forwards a call.

A login or a refresh checks again, after issuing, that the password did not
change (nor the user go, nor the session end) while it was working: a
revocation that ran in between could not see the refresh token it had not
stored yet, and would let it outlive a password change.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from nats.js.kv import KeyValue
from prometheus_client import Counter

from zenith.bus.service import BusService, Call
from zenith.contracts import auth as c
from zenith.contracts.base import Empty
from zenith.errors import TooManyRequests, Unauthorized
from zenith.ids import new_id
from zenith_auth.core import AuthCore
from zenith_auth.refresh import SessionReused
from zenith_auth.signing import SigningKey
from zenith_auth.users import user_info

log = logging.getLogger("zenith.auth")

LOGINS = Counter("zenith_auth_logins_total", "Login attempts by outcome.", ["outcome"])
REFRESHES = Counter("zenith_auth_refreshes_total", "Token refreshes by outcome.", ["outcome"])

INVALID_LOGIN = "invalid username or password"


def _invalid_login() -> Unauthorized:
    return Unauthorized(INVALID_LOGIN, code="invalid_credentials")


class AuthEndpoints:
    def __init__(self, core: AuthCore, signing: SigningKey, kv: KeyValue,
                 access_ttl_s: int) -> None:
        self.core = core
        self.signing = signing
        self.kv = kv
        self.access_ttl_s = access_ttl_s

    async def serve(self, svc: BusService) -> None:
        await svc.serve(c.LOGIN, self.login)
        await svc.serve(c.REFRESH, self.refresh)
        await svc.serve(c.LOGOUT, self.logout)
        await svc.serve(c.JWKS, self.jwks)
        await svc.serve(c.USER_ADD, self.user_add)
        await svc.serve(c.USER_PASSWD, self.user_passwd)
        await svc.serve(c.USER_REMOVE, self.user_remove)
        await svc.serve(c.USER_LIST, self.user_list)

    async def issue(self, user: dict[str, Any], family: str | None,
                    client_ip: str | None) -> c.TokenPair:
        info = user_info(user)
        now = time.time()
        family = family or new_id()  # the session: logout ends its access tokens too
        claims = {
            "sub": info.username, "role": info.role, "perms": info.permissions,
            "iat": math.floor(now * 1000) / 1000, "exp": int(now) + self.access_ttl_s,
            "jti": new_id(), "iss": c.ISSUER, "typ": c.ACCESS_TYPE, "sid": family,
        }
        if info.password_change_required:
            claims[c.PASSWORD_CHANGE_CLAIM] = True
        refresh = await self.core.refresh.issue(info.username, family, client_ip)
        return c.TokenPair(access_token=self.signing.sign(claims), expires_in=self.access_ttl_s,
                           refresh_token=refresh, user=info)

    async def login(self, call: Call[c.Login]) -> c.TokenPair:
        body = call.body
        try:
            attempt = await self.core.limiter.begin(body.username, body.client_ip)
        except TooManyRequests:
            LOGINS.labels("limited").inc()
            raise
        user = await self.core.users.get(body.username) \
            if c.USERNAME_RE.fullmatch(body.username) else None
        stored = user.get("password_hash") if user else None
        verdict = await self.core.passwords.averify(stored, body.password)
        if user is None or not verdict.ok:
            LOGINS.labels("failed").inc()
            log.info("failed login for %r from %s", body.username, body.client_ip or "the bus")
            raise _invalid_login()
        await self.core.limiter.succeeded(attempt)
        expected = stored
        if verdict.rehash and stored:
            new_hash = await self.core.passwords.ahash(body.password)
            if await self.core.users.replace_hash_if_unchanged(user["_id"], stored, new_hash):
                expected = new_hash
                log.info("password hash of %s upgraded to argon2id", user["_id"])
        pair = await self.issue(user, None, body.client_ip)
        current = await self.core.users.get(user["_id"])
        if current is None or current.get("password_hash") != expected:
            await self.core.refresh.revoke(pair.refresh_token)
            LOGINS.labels("failed").inc()
            log.info("login of %s refused: the password changed meanwhile", user["_id"])
            raise _invalid_login()
        LOGINS.labels("ok").inc()
        log.info("login of %s from %s", user["_id"], body.client_ip or "the bus")
        return pair

    async def refresh(self, call: Call[c.Refresh]) -> c.TokenPair:
        try:
            session = await self.core.refresh.use(call.body.refresh_token)
        except SessionReused as exc:
            REFRESHES.labels("reused").inc()
            await self.end_session(exc.family)
            raise
        except Unauthorized:
            REFRESHES.labels("refused").inc()
            raise
        user = await self.core.users.get(session.username)
        if user is None:
            await self.core.refresh.revoke_family(session.family)
            await self.end_session(session.family)
            REFRESHES.labels("refused").inc()
            raise Unauthorized("refresh token is invalid or expired",
                               code="invalid_refresh_token")
        pair = await self.issue(user, session.family, call.body.client_ip)
        if not await self.core.refresh.rotation_stands(call.body.refresh_token):
            await self.core.refresh.revoke_family(session.family)
            await self.end_session(session.family)
            REFRESHES.labels("refused").inc()
            raise Unauthorized("refresh token is invalid or expired",
                               code="invalid_refresh_token")
        REFRESHES.labels("ok").inc()
        return pair

    async def logout(self, call: Call[c.Logout]) -> c.Ok:
        family = await self.core.refresh.revoke(call.body.refresh_token)
        if family is not None:
            await self.end_session(family)
        return c.Ok()

    async def end_session(self, family: str) -> None:
        """The session's access tokens stop working now, not when they expire."""
        await self.core.revocations.end_session(self.kv, family)
        log.info("session %s ended", family)

    async def jwks(self, call: Call[Empty]) -> c.Jwks:
        return c.Jwks(keys=[self.signing.jwk()], issuer=c.ISSUER)

    async def user_add(self, call: Call[c.UserAdd]) -> c.UserAdded:
        body = call.body
        info, generated = await self.core.users.add(
            body.username, role=body.role, password=body.password, permissions=body.permissions,
            change_required=body.password_change_required)
        return c.UserAdded(user=info, password=generated)

    async def user_passwd(self, call: Call[c.UserPasswd]) -> c.UserInfo:
        body = call.body
        info, revoked = await self.core.users.set_password(
            body.username, body.password, change_required=body.password_change_required)
        await self.core.revocations.publish_now(self.kv, info.username, revoked.not_before)
        return info

    async def user_remove(self, call: Call[c.UserName]) -> c.Ok:
        revoked = await self.core.users.remove(call.body.username)
        await self.core.revocations.publish_now(self.kv, call.body.username, revoked.not_before)
        return c.Ok()

    async def user_list(self, call: Call[Empty]) -> c.UserList:
        return c.UserList(users=await self.core.users.list())
