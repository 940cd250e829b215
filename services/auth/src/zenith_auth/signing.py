"""The Ed25519 key that signs access tokens, kept where only auth reads it.

The private key is a PEM file (PKCS#8), mode 0600 in a 0700 directory: by
default ``<data_dir>/auth/signing-key.pem`` on a node; on a hub a Kubernetes
Secret mounted into every auth replica (``ZENITH_AUTH_SIGNING_KEY_FILE``),
so replicas share it. The first start makes it (create-if-absent, so two
replicas on one volume agree on the one that won). Only the public key
goes on the bus (``zenith.auth.jwks``); the key id is the RFC 7638
thumbprint of the public key.

An older Zenith kept the key in the ``zenith-auth`` KV bucket, which every
process on the bus could read: at start it is moved into the file (tokens
it signed stay valid) and purged from the bucket.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.js.errors import KeyDeletedError, KeyNotFoundError
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
        """The record an older Zenith kept in KV (read by :meth:`from_record`)."""
        return json.dumps({"kid": self.kid, "private_key": self.to_pem().decode(),
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

    def to_pem(self) -> bytes:
        return self.private_key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())

    @classmethod
    def from_pem(cls, data: bytes, where: Path) -> SigningKey:
        try:
            key = serialization.load_pem_private_key(data, None)
        except (ValueError, TypeError):
            raise ConfigError(f"ZENITH_AUTH_SIGNING_KEY_FILE: {where} is not a PEM private "
                              "key; delete it to make a new one (everyone will have to log "
                              "in again)") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"ZENITH_AUTH_SIGNING_KEY_FILE: {where} is not an Ed25519 key")
        return cls(key)

    @classmethod
    def load_file(cls, path: Path) -> SigningKey | None:
        try:
            return cls.from_pem(path.read_bytes(), path)
        except FileNotFoundError:
            return None
        except PermissionError:
            raise ConfigError(f"ZENITH_AUTH_SIGNING_KEY_FILE: cannot read {path}") from None

    def save_new(self, path: Path) -> bool:
        """Write the key to ``path`` (0600) unless a file is already there."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        except OSError as exc:
            raise ConfigError(f"ZENITH_AUTH_SIGNING_KEY_FILE: cannot create {path}: "
                              f"{exc.strerror}") from None
        with os.fdopen(fd, "wb") as fh:
            fh.write(self.to_pem())
        return True

    @classmethod
    async def load_or_create(cls, path: Path, kv: KeyValue | None = None) -> SigningKey:
        """The key in ``path``; made there (or moved there from KV) on first start."""
        key = cls.load_file(path)
        legacy = await cls._legacy(kv) if kv is not None else None
        if key is None:
            made = legacy or cls.generate()
            if made.save_new(path):
                log.info("%s token signing key %s in %s",
                         "moved the" if legacy else "generated a new", made.kid, path)
            key = cls.load_file(path) or made
        if legacy is not None and kv is not None:
            await kv.purge(SIGNING_KEY)  # no copy left where other processes could read it
            log.warning("purged the signing key from KV %s: it lives in %s now",
                        SIGNING_KEY, path)
        return key

    @classmethod
    async def _legacy(cls, kv: KeyValue) -> SigningKey | None:
        try:
            entry = await kv.get(SIGNING_KEY)
        except (KeyNotFoundError, KeyDeletedError):
            return None
        return cls.from_record(entry.value or b"") if entry.value else None

    def jwk(self) -> dict[str, Any]:
        return {"kty": "OKP", "crv": "Ed25519", "x": self.x, "kid": self.kid,
                "alg": ALGORITHM, "use": "sig"}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM,
                          headers={"kid": self.kid, "typ": "JWT"})
