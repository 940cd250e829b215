"""Camera profiles (``zenith.contracts.profiles``): the collection ``PROFILES``
and the profile images under ``profiles.image_key`` are written only here.

A save is the editor's one Save: the registry's name, site and location and
the profile change together (the registry first, through its own
compare-and-set; then the profile document). Images are put before the
save that lists them; a save deletes the blobs of the images it drops.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from zenith.bus.service import BusService, Call
from zenith.contracts import network
from zenith.contracts import profiles as c
from zenith.errors import BadRequest, NotFound
from zenith.ids import new_id
from zenith.storage.blob import BlobStore
from zenith.storage.metadata import MetadataStore
from zenith.timefmt import to_iso, utcnow
from zenith_network.registry import Registry

log = logging.getLogger("zenith.network.profiles")
COLLECTION = c.PROFILES.name
JPEG_MAGIC = b"\xff\xd8\xff"


def _to_doc(profile: c.Profile) -> dict[str, Any]:
    doc = profile.model_dump(mode="json")
    doc["updated_at"] = to_iso(profile.updated_at) if profile.updated_at else None
    doc["_id"] = profile.camera
    return doc


def _from_doc(doc: dict[str, Any]) -> c.Profile:
    return c.Profile.model_validate({k: v for k, v in doc.items() if k != "_id"})


class Profiles:
    def __init__(self, store: MetadataStore, blobs: BlobStore, registry: Registry) -> None:
        self.store = store
        self.blobs = blobs
        self.registry = registry

    async def get(self, camera: str) -> c.Profile:
        await self.registry.get(camera)
        doc = await self.store.get(COLLECTION, camera)
        return _from_doc(doc) if doc is not None else c.Profile(camera=camera)

    async def put_image(self, body: c.ImagePut) -> c.ProfileImage:
        await self.registry.get(body.camera)
        try:
            data = base64.b64decode(body.data, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("the image is not base64", code="bad_image") from None
        if not data.startswith(JPEG_MAGIC) or not data.endswith(b"\xff\xd9"):
            raise BadRequest("a profile image is a JPEG re-encoded by the web service",
                             code="bad_image")
        if len(data) > c.MAX_IMAGE_BYTES:
            raise BadRequest(f"a profile image is at most {c.MAX_IMAGE_BYTES} bytes",
                             code="bad_image")
        image = c.ProfileImage(id=new_id(), name=body.name, width=body.width,
                               height=body.height, size=len(data))
        await self.blobs.awrite_bytes(c.image_key(body.camera, image.id), data)
        return image

    async def save(self, body: c.ProfileSave, user: str | None) -> c.Profile:
        camera = body.camera
        before = await self.get(camera)
        for image in body.images:
            if not self.blobs.exists(c.image_key(camera, image.id)):
                raise NotFound(f"no profile image {image.id!r} of {camera!r}",
                               code="image_not_found")
        await self.registry.edit(network.CameraEdit(camera=camera, name=body.name,
                                                    site=body.site, location=body.location))
        fields = body.model_dump(include=set(c.ProfileFields.model_fields))
        profile = c.Profile(camera=camera, updated_at=utcnow(), updated_by=user, **fields)
        await self.store.put(COLLECTION, _to_doc(profile))
        kept = {i.id for i in profile.images}
        for image in before.images:
            if image.id not in kept:
                self.blobs.delete(c.image_key(camera, image.id))
        log.info("profile of %s saved by %s", camera, user)
        return profile


async def serve_profiles(svc: BusService, profiles: Profiles) -> None:
    async def get(call: Call[c.ProfileRef]) -> c.Profile:
        return await profiles.get(call.body.camera)

    async def save(call: Call[c.ProfileSave]) -> c.Profile:
        return await profiles.save(call.body, call.headers.get("Zenith-User"))

    async def put_image(call: Call[c.ImagePut]) -> c.ProfileImage:
        return await profiles.put_image(call.body)

    await svc.serve(c.PROFILE_GET, get)
    await svc.serve(c.PROFILE_SAVE, save)
    await svc.serve(c.IMAGE_PUT, put_image)
