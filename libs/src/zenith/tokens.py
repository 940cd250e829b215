"""Verify access tokens the auth service signed; check permissions.

    verifier = TokenVerifier(nc, bus)
    await verifier.start()              # fetch the JWKS, watch revocations
    principal = verifier.verify(token)  # or raises zenith.errors.Unauthorized
    if not principal.can("gpio", "update"): raise Forbidden(...)
    await verifier.stop()

Access tokens are EdDSA (Ed25519) JWTs whose public keys come from
``zenith.auth.jwks``. Any other algorithm, ``alg: none`` included, is
refused before a key is even looked at. The auth service writes
``revoked.<username>`` = not-before (epoch seconds) into the ``zenith-auth``
KV bucket when a password changes or a user is removed, and
``revoked.session.<sid>`` when a session ends (logout, a reused refresh
token); the verifier watches those keys and refuses the user's tokens
issued before that time and every token of an ended session (``sid``).

Permissions are ``{module: [actions]}``. ``*`` as a module covers every
module that has no entry of its own; ``*`` as an action covers every
action. A module's own entry replaces the ``*`` entry for that module, so
``{"*": ["*"], "users": []}`` grants everything except users.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
from nats.aio.client import Client
from nats.errors import TimeoutError as NatsTimeout
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from zenith.bus.client import BusClient
from zenith.bus.jetstream import bucket
from zenith.contracts.auth import (
    ACCESS_TYPE,
    ALGORITHM,
    AUTH_BUCKET,
    ISSUER,
    JWKS,
    PASSWORD_CHANGE_CLAIM,
    REVOKED_WATCH,
    USERNAME_RE,
    session_from_revoked_key,
    username_from_revoked_key,
)
from zenith.errors import Unauthorized, Unavailable, ZenithError
from zenith.retry import retrying

log = logging.getLogger("zenith.tokens")

MAX_TOKEN_LENGTH = 8192
REQUIRED_CLAIMS = ("sub", "role", "perms", "iat", "exp", "jti", "iss", "typ")


def has_permission(permissions: Mapping[str, Any], module: str, action: str) -> bool:
    """True when ``permissions`` allow ``action`` on ``module`` (wildcards apply)."""
    actions = permissions.get(module)
    if actions is None:
        actions = permissions.get("*")
    if not isinstance(actions, list | tuple | set | frozenset):
        return False
    return "*" in actions or action in actions


@dataclass(frozen=True)
class Principal:
    """Who a verified access token speaks for."""

    username: str
    role: str
    permissions: dict[str, list[str]]
    token_id: str
    issued_at: datetime
    expires_at: datetime | None = field(default=None, compare=False)
    # a one-time password: nothing but changing it until the user chose their own
    password_change_required: bool = field(default=False, compare=False)

    def can(self, module: str, action: str) -> bool:
        return has_permission(self.permissions, module, action)


def _unauthorized(message: str, code: str = "invalid_token") -> Unauthorized:
    return Unauthorized(message, code=code)


def _check_permissions(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise _unauthorized("token claims are malformed")
    perms: dict[str, list[str]] = {}
    for module, actions in value.items():
        if not isinstance(module, str) or not isinstance(actions, list) \
                or not all(isinstance(a, str) for a in actions):
            raise _unauthorized("token claims are malformed")
        perms[module] = list(actions)
    return perms


def _public_keys(keys: list[dict[str, Any]]) -> dict[str, Any]:
    """``{kid: public key}`` of the Ed25519 keys in a JWKS; others are skipped."""
    found: dict[str, Any] = {}
    for jwk in keys:
        if not isinstance(jwk, dict):
            continue
        kid = jwk.get("kid")
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(kid, str) \
                or jwk.get("alg", ALGORITHM) != ALGORITHM or jwk.get("use", "sig") != "sig":
            continue
        try:
            found[kid] = jwt.PyJWK(jwk, algorithm=ALGORITHM).key
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            log.warning("skipping an unreadable key %s in the JWKS", kid)
    return found


class TokenVerifier:
    """Verifies access tokens locally with the auth service's public keys.

    :meth:`start` fetches the keys over the bus (retrying until the auth
    service answers; it waits at most ``wait_s`` and keeps trying in the
    background) and starts watching revocations. A token signed with a key
    it has not seen makes it fetch the keys again, at most once every
    ``refetch_interval_s``; :meth:`verify_async` waits for that fetch.
    """

    def __init__(self, nc: Client, bus_client: BusClient, *, leeway_s: float = 5.0,
                 wait_s: float = 10.0, refetch_interval_s: float = 30.0,
                 resync_s: float = 300.0) -> None:
        self.nc = nc
        self.bus = bus_client
        self.leeway_s = leeway_s
        self.wait_s = wait_s
        self.refetch_interval_s = refetch_interval_s
        self.resync_s = resync_s
        self._keys: dict[str, Any] = {}
        self._keys_ready = asyncio.Event()
        self._not_before: dict[str, float] = {}
        self._ended: dict[str, float] = {}  # session id -> when its last token expires
        self._revocations_ready = asyncio.Event()
        self._kv: KeyValue | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._fetching: asyncio.Task[None] | None = None
        self._last_fetch = 0.0
        self._stopping = False

    # -- life cycle ---------------------------------------------------------

    async def start(self) -> None:
        self._kv = await bucket(self.nc, AUTH_BUCKET)
        self._tasks.append(asyncio.create_task(self._watch_revocations(),
                                               name="tokens-revocations"))
        self._fetching = asyncio.create_task(self._fetch_until_answered(), name="tokens-jwks")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._revocations_ready.wait(), self.wait_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._keys_ready.wait(), self.wait_s)
        if not self._keys_ready.is_set():
            log.warning("the auth service has not answered for its keys yet; still trying")

    async def stop(self) -> None:
        # the loops also check the flag: a client library may turn a
        # cancellation into a timeout and so swallow it
        self._stopping = True
        tasks = [*self._tasks, *([self._fetching] if self._fetching else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 10)
        self._tasks.clear()
        self._fetching = None

    @property
    def ready(self) -> bool:
        """True once keys and revocations are loaded."""
        return self._keys_ready.is_set() and self._revocations_ready.is_set()

    def not_before(self, username: str) -> float | None:
        """The revocation time in force for ``username`` (epoch seconds), if any."""
        return self._not_before.get(username)

    # -- verification ---------------------------------------------------------

    def verify(self, token: str) -> Principal:
        """The principal of a valid access token; :class:`Unauthorized` otherwise.

        Raises :class:`~zenith.errors.Unavailable` while the keys or the
        revocations have not been loaded yet (the auth service or NATS is down).
        """
        kid = self._header_kid(token)
        key = self._keys.get(kid)
        if key is None:
            if not self._keys_ready.is_set():
                raise Unavailable("token keys are not loaded yet: the auth service is not "
                                  "answering", code="auth_unavailable")
            self._schedule_refetch()
            raise _unauthorized("token was signed with an unknown key")
        if not self._revocations_ready.is_set():
            raise Unavailable("token revocations are not loaded yet", code="auth_unavailable")
        try:
            claims = jwt.decode(
                token, key=key, algorithms=[ALGORITHM], issuer=ISSUER, leeway=self.leeway_s,
                options={"require": list(REQUIRED_CLAIMS), "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorized("token has expired", code="token_expired") from None
        except jwt.InvalidSignatureError:
            raise _unauthorized("token signature is invalid") from None
        except jwt.InvalidIssuerError:
            raise _unauthorized("token was not issued by zenith") from None
        except jwt.PyJWTError:
            raise _unauthorized("token is malformed or not valid yet") from None
        return self._principal(claims)

    async def verify_async(self, token: str) -> Principal:
        """Like :meth:`verify`, but waits for a key fetch when the key is unknown."""
        kid = self._header_kid(token)
        if kid not in self._keys:
            await self.refresh_keys()
        return self.verify(token)

    async def refresh_keys(self) -> bool:
        """Fetch the JWKS now unless fetched within ``refetch_interval_s``."""
        if time.monotonic() - self._last_fetch < self.refetch_interval_s:
            return False
        try:
            await self._fetch_once()
        except ZenithError as exc:
            log.warning("could not fetch the auth keys: %s", exc)
            return False
        return True

    def _header_kid(self, token: str) -> str:
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            raise _unauthorized("token is malformed")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _unauthorized("token is malformed") from None
        if header.get("alg") != ALGORITHM:
            raise _unauthorized(f"token algorithm must be {ALGORITHM}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _unauthorized("token names no key")
        return kid

    def _principal(self, claims: dict[str, Any]) -> Principal:
        if claims.get("typ") != ACCESS_TYPE:
            raise _unauthorized("not an access token")
        sub, role, jti = claims.get("sub"), claims.get("role"), claims.get("jti")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(sub, str) or not USERNAME_RE.fullmatch(sub) \
                or not isinstance(role, str) or not isinstance(jti, str) \
                or not isinstance(iat, int | float) or isinstance(iat, bool) \
                or not isinstance(exp, int | float) or isinstance(exp, bool):
            raise _unauthorized("token claims are malformed")
        perms = _check_permissions(claims.get("perms"))
        not_before = self._not_before.get(sub)
        if not_before is not None and iat < not_before:
            raise _unauthorized("token was revoked", code="token_revoked")
        sid = claims.get("sid")
        if sid is not None and (not isinstance(sid, str) or sid in self._ended):
            raise _unauthorized("the session of this token has ended", code="token_revoked")
        return Principal(
            username=sub, role=role, permissions=perms, token_id=jti,
            issued_at=datetime.fromtimestamp(iat, UTC),
            expires_at=datetime.fromtimestamp(exp, UTC),
            password_change_required=claims.get(PASSWORD_CHANGE_CLAIM) is True,
        )

    # -- keys -----------------------------------------------------------------

    async def _fetch_once(self) -> None:
        self._last_fetch = time.monotonic()
        reply = await self.bus.request(JWKS, {}, timeout=min(self.bus.timeout, 5.0))
        keys = _public_keys(reply.keys)
        if not keys:
            log.warning("the auth service published no usable Ed25519 key")
            return
        self._keys = keys
        self._keys_ready.set()

    async def _fetch_until_answered(self) -> None:
        with contextlib.suppress(ZenithError):  # raised only once stopping
            async for attempt in retrying(0.2, 5.0, on=(ZenithError,),
                                          stop_when=lambda: self._stopping):
                with attempt:
                    if self._keys_ready.is_set():
                        return
                    await self._fetch_once()
                    if not self._keys_ready.is_set():
                        raise Unavailable("the auth service published no usable key yet")

    def _schedule_refetch(self) -> None:
        if self._fetching is not None and not self._fetching.done():
            return
        if time.monotonic() - self._last_fetch < self.refetch_interval_s:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside the event loop: nothing to schedule on
            return
        self._fetching = loop.create_task(self._refetch())

    async def _refetch(self) -> None:
        await self.refresh_keys()

    # -- revocations ------------------------------------------------------------

    async def _watch(self, kv: KeyValue) -> Any:
        """A watch of the revocation keys, retried while NATS is away; None
        once stopping."""
        try:
            async for attempt in retrying(0.2, 5.0, stop_when=lambda: self._stopping):
                with attempt:
                    try:
                        return await kv.watch(REVOKED_WATCH)
                    except Exception as exc:
                        if not self._stopping:
                            log.warning("cannot watch revocations: %s", exc)
                        raise
        except Exception:
            return None
        return None

    async def _watch_revocations(self) -> None:
        """Keep ``_not_before`` live; start a fresh watch every ``resync_s``."""
        assert self._kv is not None
        loop = asyncio.get_running_loop()
        while not self._stopping:
            watcher = await self._watch(self._kv)
            if watcher is None:
                return
            fresh: dict[str, float] = {}
            fresh_ended: dict[str, float] = {}
            loading = True
            deadline = loop.time() + self.resync_s
            try:
                while (remaining := deadline - loop.time()) > 0:
                    try:
                        entry = await watcher.updates(timeout=remaining)
                    except NatsTimeout:
                        break
                    if entry is None:
                        if loading:
                            self._not_before, self._ended = fresh, fresh_ended
                            loading = False
                            self._revocations_ready.set()
                        continue
                    if loading:
                        self._apply(fresh, fresh_ended, entry)
                    else:
                        self._apply(self._not_before, self._ended, entry)
            finally:
                with contextlib.suppress(Exception):
                    await watcher.stop()

    @staticmethod
    def _apply(users: dict[str, float], sessions: dict[str, float], entry: Any) -> None:
        target, name = users, username_from_revoked_key(entry.key)
        if name is None:
            target, name = sessions, session_from_revoked_key(entry.key)
        if name is None:
            return
        if entry.operation in (KV_DEL, KV_PURGE):
            target.pop(name, None)
            return
        try:
            target[name] = float((entry.value or b"").decode())
        except (UnicodeDecodeError, ValueError):
            log.warning("ignoring a malformed revocation for %s", name)
