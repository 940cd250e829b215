"""The admin area's cameras and owners: add, edit, disable, keys; add owners,
reset their passwords, link them to cameras, delete them (their sessions end:
auth revokes every token of a removed user at once).

The registry (network) and the accounts and keys (auth) are changed through
their owners' endpoints; every change is written to the audit log.
"""

from __future__ import annotations

from aiohttp import web

from zenith.contracts import auth, camerakeys, network
from zenith.contracts.base import Empty
from zenith.errors import ZenithError
from zenith_web.bridge import call
from zenith_web.views.admin import audit, back, form_data, number, page, validated

OWNER_ROLES = ("owner", "viewer", "operator", "admin")


# --- cameras --------------------------------------------------------------------------------


async def cameras_page(request: web.Request, message: str = "", status: int = 200,
                       issued: camerakeys.KeyIssued | None = None) -> web.Response:
    found = await call(request, network.CAMERA_LIST, network.CameraQuery())
    return page(request, "admin/cameras.html", "admin-cameras", status=status,
                cameras=found.cameras, message=message, issued=issued)


async def camera_list(request: web.Request) -> web.Response:
    return await cameras_page(request)


def _location(data: dict[str, str]) -> dict[str, object]:
    return {"latitude": number(data.get("latitude", ""), "Latitude"),
            "longitude": number(data.get("longitude", ""), "Longitude"),
            "timezone": data.get("timezone") or "UTC",
            "precision": data.get("precision") or "1km"}


async def camera_add(request: web.Request) -> web.Response:
    data = await form_data(request)
    try:
        body = validated(network.CameraAdd, {
            "id": data.get("camera", ""), "name": data.get("name", ""),
            "code": data.get("code") or None, "site": data.get("site", ""),
            "location": _location(data)})
        camera = await call(request, network.CAMERA_ADD, body)
        await audit(request, "camera.add", camera.id, {"code": camera.code,
                                                       "name": camera.name})
    except ZenithError as exc:
        return await cameras_page(request, exc.message, exc.status)
    return back(request, "admin-cameras", "saved")


async def camera_edit(request: web.Request) -> web.Response:
    data = await form_data(request)
    camera = request.match_info["camera"]
    try:
        current = await call(request, network.CAMERA_GET,
                             validated(network.CameraRef, {"camera": camera}))
        location = {**current.location.model_dump(), **{
            k: v for k, v in _location(data).items() if data.get(k)}} \
            if data.get("latitude") and data.get("longitude") else None
        body = validated(network.CameraEdit, {
            "camera": camera, "name": data.get("name") or None,
            "code": data.get("code") or None, "site": data.get("site"),
            "location": location})
        await call(request, network.CAMERA_EDIT, body)
        await audit(request, "camera.edit", camera,
                    body.model_dump(mode="json", exclude={"camera"}, exclude_none=True))
    except ZenithError as exc:
        return await cameras_page(request, exc.message, exc.status)
    return back(request, "admin-cameras", "edited")


async def camera_enable(request: web.Request) -> web.Response:
    data = await form_data(request)
    camera = request.match_info["camera"]
    enabled = data.get("enabled") == "true"
    try:
        body = validated(network.CameraEdit, {"camera": camera, "enabled": enabled})
        await call(request, network.CAMERA_EDIT, body)
        await audit(request, "camera.enable" if enabled else "camera.disable", camera)
    except ZenithError as exc:
        return await cameras_page(request, exc.message, exc.status)
    return back(request, "admin-cameras", "enabled" if enabled else "disabled")


async def camera_key(request: web.Request) -> web.Response:
    """A new upload key, shown once on the answer; the previous one works for the
    grace period (or stops at once with ``revoke``)."""
    data = await form_data(request)
    camera = request.match_info["camera"]
    try:
        await call(request, network.CAMERA_GET, validated(network.CameraRef, {"camera": camera}))
        if data.get("revoke") == "on":
            await call(request, camerakeys.KEY_REVOKE, camerakeys.KeyRef(camera=camera))
            await audit(request, "camera.keys-revoke", camera)
            return back(request, "admin-cameras", "revoked-keys")
        issued = await call(request, camerakeys.KEY_ISSUE, camerakeys.KeyIssue(camera=camera))
        await audit(request, "camera.key-issue", camera, {"key_id": issued.key_id})
    except ZenithError as exc:
        return await cameras_page(request, exc.message, exc.status)
    return await cameras_page(request, issued=issued)


# --- owners ---------------------------------------------------------------------------------


async def owners_page(request: web.Request, message: str = "", status: int = 200,
                      secret: tuple[str, str] | None = None) -> web.Response:
    users = await call(request, auth.USER_LIST, Empty())
    cameras = await call(request, network.CAMERA_LIST, network.CameraQuery())
    owned = {u.username: [c.id for c in cameras.cameras if u.username in c.owners]
             for u in users.users}
    return page(request, "admin/owners.html", "admin-owners", status=status,
                users=users.users, owned=owned, cameras=cameras.cameras, roles=OWNER_ROLES,
                message=message, secret=secret)


async def owner_list(request: web.Request) -> web.Response:
    return await owners_page(request)


async def owner_add(request: web.Request) -> web.Response:
    data = await form_data(request)
    try:
        body = validated(auth.UserAdd, {"username": data.get("username", ""),
                                        "role": data.get("role") or "owner"})
        added = await call(request, auth.USER_ADD, body)
        await audit(request, "owner.add", added.user.username, {"role": added.user.role})
    except ZenithError as exc:
        return await owners_page(request, exc.message, exc.status)
    return await owners_page(request, secret=(added.user.username, added.password or ""))


async def owner_password(request: web.Request) -> web.Response:
    """A new random one-time password (every session of the user ends); the owner
    must change it at the next login."""
    import secrets as random

    await form_data(request)
    username = request.match_info["username"]
    password = random.token_urlsafe(12)
    try:
        await call(request, auth.USER_PASSWD, validated(
            auth.UserPasswd, {"username": username, "password": password,
                              "password_change_required": True}))
        await audit(request, "owner.password-reset", username)
    except ZenithError as exc:
        return await owners_page(request, exc.message, exc.status)
    return await owners_page(request, secret=(username, password))


async def owner_link(request: web.Request) -> web.Response:
    data = await form_data(request)
    username = request.match_info["username"]
    unlink = data.get("unlink") == "on"
    try:
        body = validated(network.OwnerChange, {"camera": data.get("camera", ""),
                                               "username": username})
        await call(request, network.OWNER_REMOVE if unlink else network.OWNER_ADD, body)
        await audit(request, "owner.unlink" if unlink else "owner.link", username,
                    {"camera": body.camera})
    except ZenithError as exc:
        return await owners_page(request, exc.message, exc.status)
    return back(request, "admin-owners", "unlinked" if unlink else "linked")


async def owner_delete(request: web.Request) -> web.Response:
    await form_data(request)
    username = request.match_info["username"]
    try:
        body = validated(auth.UserName, {"username": username})
        cameras = await call(request, network.CAMERA_LIST,
                             validated(network.CameraQuery, {"owner": body.username}))
        for camera in cameras.cameras:
            await call(request, network.OWNER_REMOVE, network.OwnerChange(
                camera=camera.id, username=username))
        await call(request, auth.USER_REMOVE, body)
        await audit(request, "owner.delete", username,
                    {"cameras": [c.id for c in cameras.cameras]})
    except ZenithError as exc:
        return await owners_page(request, exc.message, exc.status)
    return back(request, "admin-owners", "deleted")
