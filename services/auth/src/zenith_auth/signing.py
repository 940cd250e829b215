"""The Ed25519 key that signs access tokens, shared by replicas through KV.

The first auth replica to start generates it and stores it with a
create-if-absent write in the ``zenith-auth`` bucket; every other replica
(and every later start) reads that one. Its key id is the RFC 7638
thumbprint of the public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.js.errors import KeyDeletedError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from zenith.contracts.auth import ALGORITHM, SIGNING_KEY
from zenith.errors import ConfigError
from zenith.timefmt import to_iso, utcnow

log = logging.getLogger("zenith.auth.signing")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SigningKey:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key
        raw = private_key.public_key().public_bytes(serialization.Encoding.Raw,
                                                     serialization.PublicFormat.Raw)
        self.x = _b64(raw)
        canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": self.x},
                               separators=(",", ":"), sort_keys=True)
        self.kid = _b64(hashlib.sha256(canonical.encode()).digest())

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    def to_record(self) -> bytes:
        pem = self.private_key.private_bytes(serialization.Encoding.PEM,
                                             serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption())
        return json.dumps({"kid": self.kid, "private_key": pem.decode(),
                           "created_at": to_iso(utcnow())}).encode()

    @classmethod
    def from_record(cls, data: bytes) -> SigningKey:
        try:
            record = json.loads(data)
            key = serialization.load_pem_private_key(record["private_key"].encode(), None)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise ConfigError(f"KV zenith-auth {SIGNING_KEY} is unreadable: delete it "
                              f"(nats kv del zenith-auth {SIGNING_KEY}) to make a new key; "
                              "everyone will have to log in again") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"KV zenith-auth {SIGNING_KEY} is not an Ed25519 key")
        return cls(key)

    @classmethod
    async def load_or_create(cls, kv: KeyValue) -> SigningKey:
        for _ in range(5):
            try:
                entry = await kv.get(SIGNING_KEY)
                return cls.from_record(entry.value or b"")
            except (KeyNotFoundError, KeyDeletedError):
                pass
            key = cls.generate()
            try:
                await kv.create(SIGNING_KEY, key.to_record())
            except KeyWrongLastSequenceError:
                continue  # another replica made one first: read that
            log.info("generated a new token signing key %s", key.kid)
            return key
        raise ConfigError(f"could not read or create KV zenith-auth {SIGNING_KEY}")

    def jwk(self) -> dict[str, Any]:
        return {"kty": "OKP", "crv": "Ed25519", "x": self.x, "kid": self.kid,
                "alg": ALGORITHM, "use": "sig"}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM,
                          headers={"kid": self.kid, "typ": "JWT"})
