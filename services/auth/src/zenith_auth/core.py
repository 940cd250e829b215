"""The parts of auth that work on the MetadataStore, wired from the settings.

The service and ``zenith user`` build the same :class:`AuthCore`, so a
password set from the command line is hashed, stored and revoked exactly
as one set over the bus.
"""

from __future__ import annotations

from dataclasses import dataclass

from zenith.storage.metadata import MetadataStore
from zenith_auth.passwords import Passwords
from zenith_auth.ratelimit import LoginLimiter
from zenith_auth.refresh import RefreshTokens
from zenith_auth.revocation import Revocations
from zenith_auth.settings import AuthSettings
from zenith_auth.users import UserDirectory


@dataclass
class AuthCore:
    store: MetadataStore
    passwords: Passwords
    refresh: RefreshTokens
    revocations: Revocations
    users: UserDirectory
    limiter: LoginLimiter

    @classmethod
    def build(cls, store: MetadataStore, settings: AuthSettings) -> AuthCore:
        passwords = Passwords(time_cost=settings.auth_argon2_time_cost,
                              memory_kib=settings.auth_argon2_memory_kib)
        refresh = RefreshTokens(store, settings.auth_refresh_ttl_s)
        revocations = Revocations(store, settings.auth_access_ttl_s)
        users = UserDirectory(store, passwords, refresh, revocations)
        limiter = LoginLimiter(store, settings.auth_login_window_s,
                               settings.auth_login_max_failures_user,
                               settings.auth_login_max_failures_ip)
        return cls(store, passwords, refresh, revocations, users, limiter)

    async def setup(self) -> None:
        await self.users.setup()
        await self.refresh.setup()
        await self.limiter.setup()
