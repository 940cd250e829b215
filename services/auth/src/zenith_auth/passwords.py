"""Password hashes: argon2id for new ones; Allsky's bcrypt ones still verify.

A successful check tells the caller whether the stored hash should be
replaced (a bcrypt hash, or argon2 parameters older than the configured
ones). Checking against no hash at all still spends one argon2 verification,
so an unknown username takes as long as a wrong password.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass

import bcrypt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

BCRYPT_RE = re.compile(r"^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$")
BCRYPT_MAX_BYTES = 72  # bcrypt reads no further (PHP's password_verify truncates too)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    rehash: bool = False


def is_bcrypt(stored: str) -> bool:
    return bool(BCRYPT_RE.fullmatch(stored))


class Passwords:
    def __init__(self, time_cost: int = 3, memory_kib: int = 65536,
                 parallelism: int = 4) -> None:
        self._argon2 = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib,
                                      parallelism=parallelism, type=Type.ID)
        self._dummy = self._argon2.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, stored: str | None, password: str) -> Verdict:
        if stored and stored.startswith("$argon2"):
            try:
                self._argon2.verify(stored, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return Verdict(False)
            return Verdict(True, rehash=self._argon2.check_needs_rehash(stored))
        if stored and is_bcrypt(stored):
            try:
                ok = bcrypt.checkpw(password.encode()[:BCRYPT_MAX_BYTES], stored.encode())
            except ValueError:
                ok = False
            return Verdict(ok, rehash=ok)
        # no user (or an unusable hash): spend the same time, then fail
        try:
            self._argon2.verify(self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            pass
        return Verdict(False)

    async def ahash(self, password: str) -> str:
        return await asyncio.to_thread(self.hash, password)

    async def averify(self, stored: str | None, password: str) -> Verdict:
        return await asyncio.to_thread(self.verify, stored, password)
