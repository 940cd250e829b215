"""The profile editor ("Steckbrief") and the public camera profile.

The editor is one multipart form: the camera's name, site and location
(with the precision strangers see), the profile's texts, links, community
membership, nicknames, the images to keep and new images. Nothing changes
until Save; a Save that fails anywhere (a field, an image) changes nothing
and shows the form again with what was typed and why. New images are
cleaned (:mod:`zenith_web.views.owner_images`) and put first, then one
``profiles.save`` changes registry and profile together.

Every text is plain text, rendered escaped; links are http(s) only and
rendered with ``rel="nofollow noopener"``.
"""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import BodyPartReader, MultipartReader, web
from pydantic import ValidationError

from zenith.contracts import network, profiles
from zenith.errors import BadRequest, NotFound
from zenith_web import keys, session
from zenith_web.i18n import _
from zenith_web.views.admin_badges import xp_context
from zenith_web.views.ingest import BLOBS
from zenith_web.views.owner import owned_camera, owner_page, see_other
from zenith_web.views.owner_images import MAX_UPLOAD, BadImage, ImageTooLarge, clean_image
from zenith_web.views.sitebus import ask, camera_of
from zenith_web.views.sitepage import html_page, not_found

TEXT_LIMIT = 16_384
LINK_LABELS = {"website": "Website", "github": "GitHub", "astrobin": "AstroBin",
               "makerworld": "MakerWorld", "tinkercad": "TinkerCAD", "linkedin": "LinkedIn",
               "mastodon": "Mastodon"}
PRECISIONS = {"exact": "Exact", "1km": "About 1 km", "10km": "About 10 km",
              "hidden": "Hidden"}


def values_of(cam: network.Camera, profile: profiles.Profile) -> dict[str, Any]:
    """What the editor's fields show for a saved profile."""
    loc = cam.location
    return {"name": cam.name, "site": cam.site, "latitude": str(loc.latitude),
            "longitude": str(loc.longitude), "elevation": str(loc.elevation),
            "timezone": loc.timezone, "precision": loc.precision, "enabled": profile.enabled,
            "about": profile.about, "setup": "\n".join(profile.setup), "other": profile.other,
            "links": profile.links.model_dump(), "discord": profile.discord,
            "signal": profile.signal, "nicknames": ", ".join(profile.nicknames)}


async def _editor(request: web.Request, cam: network.Camera, profile: profiles.Profile,
                  values: dict[str, Any], errors: list[str], status: int = 200) -> web.Response:
    return owner_page(request, "owner/profile_edit.html", "owner", cam=cam, profile=profile,
                      v=values, errors=errors, saved=request.query.get("saved") == "1",
                      links=LINK_LABELS, precisions=PRECISIONS, max_images=profiles.MAX_IMAGES,
                      status=status)


async def editor(request: web.Request) -> web.Response:
    cam = await owned_camera(request)
    profile = await ask(request, profiles.PROFILE_GET, profiles.ProfileRef(camera=cam.id))
    return await _editor(request, cam, profile, values_of(cam, profile), [])


async def _read_form(request: web.Request) -> tuple[dict[str, list[str]], list[tuple[str, bytes]]]:
    """The text fields (every value of each) and the uploaded files (name, bytes)."""
    if request.content_type != "multipart/form-data":
        raise BadRequest("send the profile as multipart/form-data", code="bad_form")
    reader: MultipartReader | None = request.get(keys.MULTIPART)
    if reader is None:
        reader = await request.multipart()
    fields: dict[str, list[str]] = {}
    files: list[tuple[str, bytes]] = []
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or not part.name:
            raise BadRequest("a nested multipart body is not a form", code="bad_form")
        if part.filename is not None:
            data = bytearray()
            while chunk := await part.read_chunk(65536):
                data.extend(chunk)
                if len(data) > MAX_UPLOAD:
                    raise ImageTooLarge(f"an image may be at most {MAX_UPLOAD // 1048576} MB")
            if data:
                files.append((part.filename, bytes(data)))
            if len(files) > profiles.MAX_IMAGES:
                raise BadImage(f"at most {profiles.MAX_IMAGES} images")
            continue
        raw = await part.read_chunk(TEXT_LIMIT + 1)
        if len(raw) > TEXT_LIMIT or not part.at_eof():
            raise BadRequest(f"the field {part.name!r} is too long", code="bad_form")
        fields.setdefault(part.name, []).append(raw.decode("utf-8", errors="replace"))
    return fields, files


def _one(fields: dict[str, list[str]], name: str) -> str:
    return (fields.get(name) or [""])[0].replace("\r\n", "\n")


def _values_from(fields: dict[str, list[str]]) -> dict[str, Any]:
    return {"name": _one(fields, "name").strip(), "site": _one(fields, "site").strip(),
            "latitude": _one(fields, "latitude").strip(),
            "longitude": _one(fields, "longitude").strip(),
            "elevation": _one(fields, "elevation").strip() or "0",
            "timezone": _one(fields, "timezone").strip() or "UTC",
            "precision": _one(fields, "precision"), "enabled": bool(_one(fields, "enabled")),
            "about": _one(fields, "about"), "setup": _one(fields, "setup"),
            "other": _one(fields, "other"),
            "links": {k: _one(fields, f"link_{k}").strip() for k in profiles.LINK_KINDS},
            "discord": bool(_one(fields, "discord")), "signal": bool(_one(fields, "signal")),
            "nicknames": _one(fields, "nicknames")}


def _describe(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "form"
        out.append(f"{where}: {err['msg']}")
    return out


def _file_name(name: str) -> str:
    clean = "".join(c for c in name if c.isprintable())
    return clean.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]


async def save(request: web.Request) -> web.Response:
    cam = await owned_camera(request)
    before = await ask(request, profiles.PROFILE_GET, profiles.ProfileRef(camera=cam.id))
    fields, files = await _read_form(request)
    values = _values_from(fields)
    keep = set(fields.get("keep_image", []))
    kept = [i for i in before.images if i.id in keep]
    body: dict[str, Any] = {
        "camera": cam.id, "name": values["name"], "site": values["site"],
        "location": {"latitude": values["latitude"] or None,
                     "longitude": values["longitude"] or None,
                     "elevation": values["elevation"], "timezone": values["timezone"],
                     "precision": values["precision"]},
        "enabled": values["enabled"], "about": values["about"],
        "setup": [s.strip() for s in values["setup"].split("\n") if s.strip()],
        "images": [i.model_dump() for i in kept], "links": values["links"],
        "other": values["other"], "discord": values["discord"], "signal": values["signal"],
        "nicknames": [n.strip() for n in values["nicknames"].split(",") if n.strip()],
        "hidden_sensors": before.hidden_sensors,  # these three: edited on the sensors page
        "disabled_sensors": before.disabled_sensors,
        "field_labels": {k: v.model_dump() for k, v in before.field_labels.items()}}
    errors: list[str] = []
    if len(kept) + len(files) > profiles.MAX_IMAGES:
        errors.append(_("images: at most %(n)s in all") % {"n": profiles.MAX_IMAGES})
    try:
        profiles.ProfileSave.model_validate(body)
    except ValidationError as exc:
        errors.extend(_describe(exc))
    cleaned = []
    for name, data in files:
        try:
            cleaned.append((_file_name(name), clean_image(data)))
        except BadImage as exc:
            errors.append(f"{_file_name(name)}: {exc.message}")
    if errors:
        return await _editor(request, cam, before, values, errors, status=400)
    for name, image in cleaned:
        put = await ask(request, profiles.IMAGE_PUT, profiles.ImagePut(
            camera=cam.id, name=name, width=image.width, height=image.height,
            data=base64.b64encode(image.data).decode()))
        body["images"].append(put.model_dump())
    await ask(request, profiles.PROFILE_SAVE, profiles.ProfileSave.model_validate(body))
    target = request.app.router["owner-profile"].url_for(camera=cam.id)
    return see_other(f"{target}?saved=1")


async def _profile_page(request: web.Request, cam: network.Camera, profile: profiles.Profile,
                        image_route: str, preview: bool) -> web.Response:
    """The profile, with the camera's XP, level and badges as on its camera page."""
    return html_page(request, "owner/profile.html", "profile", cam=cam, profile=profile,
                     location=network.public_location(cam.location), links=LINK_LABELS,
                     image_route=image_route, preview=preview,
                     csrf=request.cookies.get(session.CSRF_COOKIE, ""),
                     **await xp_context(request, [cam.id], one=True))


async def preview(request: web.Request) -> web.Response:
    cam = await owned_camera(request)
    profile = await ask(request, profiles.PROFILE_GET, profiles.ProfileRef(camera=cam.id))
    return await _profile_page(request, cam, profile, "owner-profile-image", preview=True)


async def _public_profile(request: web.Request) -> tuple[network.Camera, profiles.Profile]:
    camera = camera_of(request)
    cam = await ask(request, network.CAMERA_GET, network.CameraRef(camera=camera))
    profile = await ask(request, profiles.PROFILE_GET, profiles.ProfileRef(camera=camera))
    if not cam.enabled or not profile.enabled:
        raise NotFound(f"camera {camera!r} has no public profile", code="no_profile")
    return cam, profile


async def public(request: web.Request) -> web.Response:
    try:
        cam, profile = await _public_profile(request)
    except NotFound as exc:
        return not_found(request, exc.message)
    return await _profile_page(request, cam, profile, "camera-profile-image", preview=False)


def _image_response(request: web.Request, profile: profiles.Profile) -> web.StreamResponse:
    image = request.match_info["image"]
    if image not in {i.id for i in profile.images}:
        raise NotFound(f"no image {image!r}", code="image_not_found")
    path = request.app[BLOBS].path(profiles.image_key(profile.camera, image))
    if not path.is_file():
        raise NotFound(f"no image {image!r}", code="image_not_found")
    response = web.FileResponse(path, headers={"Content-Type": "image/jpeg"})
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


async def owner_image(request: web.Request) -> web.StreamResponse:
    cam = await owned_camera(request)
    profile = await ask(request, profiles.PROFILE_GET, profiles.ProfileRef(camera=cam.id))
    return _image_response(request, profile)


async def public_image(request: web.Request) -> web.StreamResponse:
    _, profile = await _public_profile(request)
    return _image_response(request, profile)
