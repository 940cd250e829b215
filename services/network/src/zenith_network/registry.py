"""The cameras of a hub, in the MetadataStore collection ``network.CAMERAS``.

This module is the collection's only writer. A document is a
:class:`~zenith.contracts.network.Camera` dumped to JSON with its times as
fixed-shape ISO strings (:func:`zenith.timefmt.to_iso`, so they compare as
text), plus ``_id`` = the camera id. Every change goes through
compare-and-set on ``updated_at`` (or, for the online flag, on the flag
itself), so two replicas or a replica and the CLI never lose each other's
change, and exactly one of them reports an online/offline transition.
"""

from __future__ import annotations

import builtins
import logging
from datetime import datetime, timedelta
from typing import Any

from zenith.contracts import network as c
from zenith.errors import BadRequest, Conflict, DuplicateKey, NotFound, Unavailable
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import from_iso, to_iso, utcnow

log = logging.getLogger("zenith.network.registry")

COLLECTION = c.CAMERAS.name
CAS_ATTEMPTS = 20
_TIME_FIELDS = ("created_at", "updated_at", "last_upload_at", "status_changed_at")


def to_doc(camera: c.Camera) -> dict[str, Any]:
    doc = camera.model_dump(mode="json")
    for name in _TIME_FIELDS:
        value = getattr(camera, name)
        doc[name] = to_iso(value) if value is not None else None
    doc["_id"] = camera.id
    return doc


def from_doc(doc: dict[str, Any]) -> c.Camera:
    data = {k: v for k, v in doc.items() if k != "_id"}
    return c.Camera.model_validate(data)


def _not_found(camera: str) -> NotFound:
    return NotFound(f"no camera {camera!r}", code="camera_not_found")


class Registry:
    def __init__(self, store: MetadataStore, code_prefix: str = "ZEN") -> None:
        self.store = store
        self.code_prefix = code_prefix

    async def setup(self) -> None:
        await self.store.ensure_index(COLLECTION, ["code"], unique=True)
        await self.store.ensure_index(COLLECTION, ["online", "last_upload_at"])

    async def get(self, camera: str) -> c.Camera:
        doc = await self.store.get(COLLECTION, camera)
        if doc is None:
            raise _not_found(camera)
        return from_doc(doc)

    async def by_code(self, code: str) -> c.Camera:
        doc = await self.store.find_one(COLLECTION, {"code": code})
        if doc is None:
            raise NotFound(f"no camera with code {code!r}", code="camera_not_found")
        return from_doc(doc)

    async def list(self, query: c.CameraQuery | None = None) -> list[c.Camera]:
        query = query or c.CameraQuery()
        where: dict[str, Any] = {}
        if query.enabled is not None:
            where["enabled"] = query.enabled
        if query.online is not None:
            where["online"] = query.online
        cameras = [from_doc(d) for d in await self.store.find(COLLECTION, where,
                                                              sort=[("_id", 1)])]
        if query.owner is not None:  # owners is an array: filtered here, portably
            cameras = [cam for cam in cameras if query.owner in cam.owners]
        return cameras

    async def add(self, body: c.CameraAdd) -> c.Camera:
        if await self.store.get(COLLECTION, body.id) is not None:
            raise Conflict(f"camera {body.id!r} already exists", code="camera_exists")
        now = utcnow()
        for attempt in range(CAS_ATTEMPTS):
            code = body.code or await self._next_code(attempt)
            camera = c.Camera(id=body.id, code=code, name=body.name, site=body.site,
                              owners=sorted(set(body.owners)), location=body.location,
                              hardware=body.hardware, created_at=now, updated_at=now,
                              enabled=body.enabled)
            try:
                await self.store.insert(COLLECTION, to_doc(camera))
            except DuplicateKey:
                if await self.store.get(COLLECTION, body.id) is not None:
                    raise Conflict(f"camera {body.id!r} already exists",
                                   code="camera_exists") from None
                if body.code:
                    raise Conflict(f"code {body.code} belongs to another camera",
                                   code="code_taken") from None
                continue  # a generated code was taken meanwhile: the next one
            log.info("camera %s (%s) added", camera.id, camera.code)
            return camera
        raise Unavailable("could not find a free display code: try again", code="busy")

    async def _next_code(self, skip: int) -> str:
        taken = {d["code"] for d in await self.store.find(COLLECTION)}
        number = len(taken) + 1 + skip
        while f"{self.code_prefix}{number:03d}" in taken:
            number += 1
        return f"{self.code_prefix}{number:03d}"

    async def edit(self, body: c.CameraEdit) -> c.Camera:
        changes = body.model_dump(exclude={"camera"}, exclude_none=True)
        if not changes:
            raise BadRequest("nothing to change: give at least one field", code="no_change")

        def apply(cam: c.Camera) -> c.Camera:
            data = cam.model_dump()
            data.update({k: getattr(body, k) for k in changes})
            return c.Camera.model_validate(data)

        try:
            return await self._change(body.camera, apply)
        except DuplicateKey:
            raise Conflict(f"code {body.code} belongs to another camera",
                           code="code_taken") from None

    async def add_owner(self, camera: str, username: str) -> c.Camera:
        def apply(cam: c.Camera) -> c.Camera:
            return cam.model_copy(update={"owners": sorted({*cam.owners, username})})

        return await self._change(camera, apply)

    async def remove_owner(self, camera: str, username: str) -> c.Camera:
        def apply(cam: c.Camera) -> c.Camera:
            if username not in cam.owners:
                raise NotFound(f"{username!r} does not own {camera!r}", code="not_an_owner")
            return cam.model_copy(update={"owners": [o for o in cam.owners if o != username]})

        return await self._change(camera, apply)

    async def remove(self, camera: str) -> c.Camera:
        found = await self.get(camera)
        if not await self.store.delete(COLLECTION, {"_id": camera}):
            raise _not_found(camera)
        log.info("camera %s removed", camera)
        return found

    async def _change(self, camera: str, apply: Any) -> c.Camera:
        """Read, apply, write back unless someone changed it meanwhile (then again)."""
        for _ in range(CAS_ATTEMPTS):
            doc = await self.store.get(COLLECTION, camera)
            if doc is None:
                raise _not_found(camera)
            before = from_doc(doc)
            after: c.Camera = apply(before)
            after = after.model_copy(update={"updated_at": max(utcnow(), before.updated_at +
                                                               timedelta(microseconds=1))})
            new = to_doc(after)
            changed = {k: v for k, v in new.items() if k != "_id" and doc.get(k) != v}
            if await self.store.update(COLLECTION, {"_id": camera,
                                                    "updated_at": doc["updated_at"]},
                                       set=changed) is not None:
                return after
        raise Unavailable(f"camera {camera!r} is changing too often: try again", code="busy")

    # online status -----------------------------------------------------------------

    async def seen(self, camera: str, at: datetime,
                   offline_after_s: float) -> tuple[c.Camera, bool] | None:
        """A live frame taken at ``at`` arrived: returns the camera and whether it
        just came online (None for an unknown camera). A frame older than
        ``offline_after_s`` (a node catching up) moves the last upload only."""
        now = utcnow()
        at = min(at, now)
        recent = (now - at).total_seconds() < offline_after_s
        for _ in range(CAS_ATTEMPTS):
            doc = await self.store.get(COLLECTION, camera)
            if doc is None:
                return None
            last = doc.get("last_upload_at")
            newest = max(at, from_iso(last)) if last else at
            fields: dict[str, Any] = {"last_upload_at": to_iso(newest)}
            came_online = recent and not doc.get("online") and doc.get("enabled", True)
            if came_online:
                fields.update(online=True, status_changed_at=to_iso(utcnow()))
            if fields["last_upload_at"] == last and not came_online:
                return from_doc(doc), False
            where = {"_id": camera, "online": bool(doc.get("online")),
                     "last_upload_at": last}
            updated = await self.store.update(COLLECTION, where, set=fields)
            if updated is not None:
                return from_doc(updated), bool(came_online)
        raise Unavailable(f"camera {camera!r} is changing too often", code="busy")

    async def went_silent(self, offline_after_s: float) -> builtins.list[c.Camera]:
        """Mark offline every online camera without a frame for ``offline_after_s``
        (and every disabled one); returns those this call changed."""
        cutoff = to_iso(utcnow() - timedelta(seconds=offline_after_s))
        stale = await self.store.find(COLLECTION, {"online": True,
                                                   "last_upload_at": {"$lt": cutoff}})
        stale += await self.store.find(COLLECTION, {"online": True, "enabled": False})
        changed: dict[str, c.Camera] = {}
        for doc in stale:
            if doc["_id"] in changed:
                continue
            updated = await self.store.update(
                COLLECTION, {"_id": doc["_id"], "online": True,
                             "last_upload_at": doc.get("last_upload_at")},
                set={"online": False, "status_changed_at": to_iso(utcnow())})
            if updated is not None:
                changed[doc["_id"]] = from_doc(updated)
        return list(changed.values())


def status_of(camera: c.Camera, *, removed: bool = False) -> c.CameraStatus:
    return c.CameraStatus(camera=camera.id, online=camera.online and not removed,
                          enabled=camera.enabled, removed=removed,
                          last_upload_at=camera.last_upload_at,
                          changed_at=camera.status_changed_at or camera.updated_at)
