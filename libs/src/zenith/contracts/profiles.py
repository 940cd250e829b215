"""Camera profiles (served by ``network``): the owner's "Steckbrief".

A profile is what a camera's owner tells visitors about it: an about text,
the setup, images, links, community membership and nicknames. It is public
(``/cameras/<id>/profile``) only while ``enabled``. Name, site and location
are the registry's (:mod:`zenith.contracts.network`); :data:`PROFILE_SAVE`
changes them together with the profile, so one Save changes everything
the editor shows, or nothing.

- the collection :data:`PROFILES` holds one :class:`Profile` per camera
  (``_id`` = camera id); only ``network`` writes it;
- profile images are JPEGs under :func:`image_key` in the BlobStore,
  written only by ``network`` (:data:`IMAGE_PUT`). The web service decodes
  and re-encodes an upload (EXIF and GPS stripped, resized) before it sends
  it; an image put is not shown until a save lists it, and a save deletes
  the images it no longer lists.

Every text is plain text: pages render it escaped, never as markup.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field

from zenith.contracts.base import Collection, Endpoint, Message
from zenith.contracts.common import Name
from zenith.contracts.network import Location
from zenith.ids import CameraId

SERVICE = "network"
MAX_IMAGES = 6
MAX_IMAGE_BYTES = 700_000  # one re-encoded JPEG (its base64 fits a NATS message)
IMAGES_ROOT = "profiles"
LINK_KINDS = ("website", "github", "astrobin", "makerworld", "tinkercad", "linkedin",
              "mastodon")

Line = Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
Text = Annotated[str, Field(max_length=4000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]
ImageId = Annotated[str, Field(pattern=r"^[a-z0-9]{1,40}$")]


def _http_url(value: str) -> str:
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("a link must be an http:// or https:// address")
    return value


Link = Annotated[str, Field(max_length=300, pattern=r"^[^\s\x00-\x1f\x7f]*$"),
                 AfterValidator(_http_url)]


class Links(Message):
    website: Link = ""
    github: Link = ""
    astrobin: Link = ""
    makerworld: Link = ""
    tinkercad: Link = ""
    linkedin: Link = ""
    mastodon: Link = ""


class ProfileImage(Message):
    id: ImageId
    name: Line = Field("", description="The uploaded file's name (plain text).")
    width: int = Field(..., ge=1, le=10_000)
    height: int = Field(..., ge=1, le=10_000)
    size: int = Field(..., ge=1, le=MAX_IMAGE_BYTES)


FieldKey = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}:[A-Za-z0-9_]{1,64}$")]
"""``<measurement>:<field>`` of a camera's readings (no dot: a stored key)."""


class FieldLabel(Message):
    """How the public pages name a field of the camera's readings, and its unit."""

    label: Annotated[str, Field(max_length=64, pattern=r"^[^\x00-\x1f\x7f<>]*$")] = ""
    unit: Annotated[str, Field(max_length=16, pattern=r"^[^\x00-\x1f\x7f<>]*$")] = ""


class ProfileFields(Message):
    """What the editor edits besides the registry's name, site and location."""

    enabled: bool = False
    about: Text = ""
    setup: list[Line] = Field(default_factory=list, max_length=30)
    images: list[ProfileImage] = Field(default_factory=list, max_length=MAX_IMAGES)
    links: Links = Field(default_factory=Links)
    other: Text = ""
    discord: bool = Field(False, description="A member of the community's Discord.")
    signal: bool = Field(False, description="A member of the community's Signal group.")
    nicknames: list[Annotated[str, Field(min_length=1, max_length=64,
                                         pattern=r"^[^\x00-\x1f\x7f]*$")]] = Field(
        default_factory=list, max_length=10)
    hidden_sensors: list[Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,32}$")]] = Field(
        default_factory=list, max_length=64,
        description="Sensors the public pages do not show (the owner's choice).")
    disabled_sensors: list[Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,32}$")]] = Field(
        default_factory=list, max_length=64,
        description="Sensors switched off by the owner: the hub stores and shows none of "
        "their readings, and a Zenith node's uplink stops reading them.")
    field_labels: dict[FieldKey, FieldLabel] = Field(
        default_factory=dict, max_length=256,
        description="Label and unit per measurement:field, shown on the public sensor page.")


class Profile(ProfileFields):
    """A document of :data:`PROFILES` (``_id`` = ``camera``) and the reply of reads."""

    camera: CameraId
    updated_at: datetime | None = None
    updated_by: str | None = None


class ProfileRef(Message):
    camera: CameraId


class ProfileSave(ProfileFields):
    camera: CameraId
    name: Name = Field(..., min_length=1)
    site: Name = ""
    location: Location


class ImagePut(Message):
    camera: CameraId
    name: Line = ""
    width: int = Field(..., ge=1, le=10_000)
    height: int = Field(..., ge=1, le=10_000)
    data: str = Field(..., min_length=4, max_length=(MAX_IMAGE_BYTES * 4) // 3 + 8,
                      description="The JPEG, base64.")


def image_key(camera: str, image: str) -> str:
    """BlobStore key of a profile image."""
    return f"{IMAGES_ROOT}/{camera}/{image}.jpg"


PROFILES = Collection("network_profiles", SERVICE, Profile,
                      "Camera profiles (the owner's Steckbrief), by camera id.")


def _ep(name: str, subject: str, request: type[BaseModel], reply: type[BaseModel],
        action: str, summary: str, errors: tuple[str, ...] = ()) -> Endpoint[Any, Any]:
    return Endpoint(service=SERVICE, name=name, subject=f"zenith.network.{subject}",
                    request=request, reply=reply, permission=("network", action),
                    summary=summary, errors=errors)


PROFILE_GET = _ep("profile-get", "profiles.get", ProfileRef, Profile, "read",
                  "A camera's profile (an empty, disabled one when none was saved).",
                  ("camera_not_found",))
PROFILE_SAVE = _ep("profile-save", "profiles.save", ProfileSave, Profile, "update",
                   "Save a camera's profile with its name, site and location; images not "
                   "listed any more are deleted.", ("camera_not_found", "image_not_found"))
IMAGE_PUT = _ep("profile-image-put", "profiles.image-put", ImagePut, ProfileImage, "update",
                "Store a re-encoded JPEG for a camera's profile (shown once a save lists it).",
                ("camera_not_found", "bad_image"))
