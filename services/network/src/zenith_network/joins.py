"""Join requests (``zenith.contracts.joins.JOIN_REQUESTS``), written only here.

A request is stored as it came from the public form, with a keyed hash of
the sender's address (never the address), which the per-address limit
counts. Approving creates, in this order, the owner's account (auth, a
generated one-time password), the camera (the registry) and its upload key
(auth); when a later step fails, the earlier ones are undone, so a request
is either approved with all three or still pending with none. The decision
is written with compare-and-set on ``status``: two administrators never
both approve one request.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from zenith.bus.client import BusClient
from zenith.contracts import auth, camerakeys
from zenith.contracts import joins as c
from zenith.contracts import network as net
from zenith.errors import Conflict, NotFound, TooManyRequests, ZenithError
from zenith.ids import new_id
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import utcnow
from zenith_network.audit import AuditLog
from zenith_network.mail import Mailer
from zenith_network.registry import Registry
from zenith_network.settings import NetworkSettings

log = logging.getLogger("zenith.network.joins")

COLLECTION = c.JOIN_REQUESTS.name
SECRET_FILE = "join-address.key"


def _to_doc(request: c.JoinRequest) -> dict[str, Any]:
    doc = request.model_dump(mode="json")
    doc["_id"] = request.id
    return doc


def _from_doc(doc: dict[str, Any]) -> c.JoinRequest:
    return c.JoinRequest.model_validate({k: v for k, v in doc.items() if k != "_id"})


def _not_found(join: str) -> NotFound:
    return NotFound(f"no join request {join!r}", code="join_not_found")


def address_secret(data_dir: Path) -> bytes:
    """The key of the address hashes: made once, kept in the data dir (0600)."""
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
    return path.read_bytes()


class Joins:
    def __init__(self, store: MetadataStore, registry: Registry, bus: BusClient,
                 audit: AuditLog, mailer: Mailer, settings: NetworkSettings,
                 secret: bytes) -> None:
        self.store = store
        self.registry = registry
        self.bus = bus
        self.audit = audit
        self.mailer = mailer
        self.s = settings
        self.secret = secret

    async def setup(self) -> None:
        await self.store.ensure_index(COLLECTION, ["status", "created_at"])
        await self.store.ensure_index(COLLECTION, ["client", "created_at"])

    def client_hash(self, address: str) -> str:
        return hmac.new(self.secret, address.encode(), hashlib.sha256).hexdigest()[:32]

    async def submit(self, body: c.JoinSubmit) -> c.JoinRequest:
        client = self.client_hash(body.client_ip)
        now = utcnow()
        since = (now - timedelta(seconds=self.s.network_join_window_s)).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ")
        recent = await self.store.count(COLLECTION, {"client": client,
                                                     "created_at": {"$gte": since}})
        if recent >= self.s.network_join_max_per_address:
            raise TooManyRequests("too many join requests from this address: try again "
                                  "later", code="too_many_requests")
        request = c.JoinRequest(id=new_id("j"), created_at=now, client=client,
                                **body.model_dump(exclude={"client_ip"}))
        await self.store.insert(COLLECTION, _to_doc(request))
        log.info("join request %s stored", request.id)
        return request

    async def get(self, join: str) -> c.JoinRequest:
        doc = await self.store.get(COLLECTION, join)
        if doc is None:
            raise _not_found(join)
        return _from_doc(doc)

    async def list(self, query: c.JoinQuery) -> builtins.list[c.JoinRequest]:
        where = {"status": query.status} if query.status is not None else {}
        docs = await self.store.find(COLLECTION, where, sort=[("created_at", -1)],
                                     limit=query.limit)
        return [_from_doc(d) for d in docs]

    async def _pending(self, join: str) -> c.JoinRequest:
        request = await self.get(join)
        if request.status != "pending":
            raise Conflict(f"join request {join} is already {request.status}",
                           code="join_decided")
        return request

    async def _decide(self, join: str, fields: dict[str, Any]) -> c.JoinRequest:
        updated = await self.store.update(COLLECTION, {"_id": join, "status": "pending"},
                                          set=fields)
        if updated is None:
            raise Conflict(f"join request {join} was decided meanwhile", code="join_decided")
        return _from_doc(updated)

    async def approve(self, body: c.JoinApprove, actor: str | None) -> c.JoinApproved:
        request = await self._pending(body.id)
        try:
            await self.registry.get(body.camera)
        except NotFound:
            pass
        else:
            raise Conflict(f"camera {body.camera!r} already exists", code="camera_exists")
        added = await self.bus.request(auth.USER_ADD, auth.UserAdd(
            username=body.username, role=c.OWNER_ROLE))
        password = added.password or ""
        undo: list[Any] = [lambda: self.bus.request(auth.USER_REMOVE,
                                                     auth.UserName(username=body.username))]
        try:
            camera = await self.registry.add(net.CameraAdd(
                id=body.camera, code=body.code, name=body.camera_name, site=request.location[:64],
                owners=[body.username], location=body.location))
            undo.append(lambda: self.registry.remove(body.camera))
            issued = await self.bus.request(camerakeys.KEY_ISSUE,
                                            camerakeys.KeyIssue(camera=body.camera))
            decided = await self._decide(body.id, {
                "status": "approved", "decided_at": _iso_now(), "decided_by": actor,
                "username": body.username, "camera": body.camera})
        except BaseException:
            for step in reversed(undo):
                try:
                    await step()
                except ZenithError as exc:
                    log.warning("undoing a failed approval of %s: %s", body.id, exc.message)
            raise
        emailed = await self.mailer.send(
            request.email, f"Welcome to {self.s.site_name}: your camera {camera.code}",
            self._welcome(request, body, password, camera, issued.key if body.email_key
                          else None))
        if emailed:
            decided = await self._mark_emailed(decided)
        await self.audit.record(actor, "join.approve", body.id, {
            "username": body.username, "camera": body.camera, "code": camera.code,
            "emailed": emailed, "key_emailed": emailed and body.email_key})
        return c.JoinApproved(request=decided, username=body.username, password=password,
                              camera=body.camera, code=camera.code, key=issued.key,
                              emailed=emailed)

    async def reject(self, body: c.JoinReject, actor: str | None) -> c.JoinRequest:
        request = await self._pending(body.id)
        decided = await self._decide(body.id, {"status": "rejected", "decided_at": _iso_now(),
                                               "decided_by": actor, "reason": body.reason})
        emailed = await self.mailer.send(
            request.email, f"Your request to join {self.s.site_name}",
            f"Hello {request.name},\n\nthank you for your interest in {self.s.site_name}. "
            f"We cannot add your camera at {request.location} for now:\n\n{body.reason}\n")
        if emailed:
            decided = await self._mark_emailed(decided)
        await self.audit.record(actor, "join.reject", body.id, {"reason": body.reason,
                                                                "emailed": emailed})
        return decided

    async def _mark_emailed(self, request: c.JoinRequest) -> c.JoinRequest:
        updated = await self.store.update(COLLECTION, {"_id": request.id},
                                          set={"emailed": True})
        return _from_doc(updated) if updated is not None else request

    def _welcome(self, request: c.JoinRequest, body: c.JoinApprove, password: str,
                 camera: net.Camera, key: str | None) -> str:
        where = self.s.network_public_url.rstrip("/")
        login = f"{where}/login" if where else "the network's login page"
        lines = [f"Hello {request.name},", "",
                 f"welcome to {self.s.site_name}: your camera {camera.name} is registered "
                 f"as {camera.code} (id {camera.id}).", "",
                 f"Log in at {login} with", f"  username: {body.username}",
                 f"  one-time password: {password}",
                 "and choose your own password at once.", ""]
        if key is not None:
            lines += ["Your camera's upload key (keep it secret):", f"  {key}", ""]
        else:
            lines += ["The camera's upload key reaches you separately from the "
                      "administrator.", ""]
        return "\n".join(lines)


def _iso_now() -> str:
    return utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
