"""Sensors of an owner's camera: what it reports (internal sensors from its
readings, external ones sent to the API), the external sensors' API, and the
camera key (rotate: the new key is shown once, the old one keeps working for
the grace period the owner chooses).

"Show on the camera's pages" per sensor is kept in the camera's profile
(``hidden_sensors``); the public sensor page leaves hidden ones out
(:func:`hidden_sensors`).

"Switched on" per sensor is ``disabled_sensors`` in the profile: the hub's
ingest drops a switched-off sensor's readings (:mod:`~.ingest_disabled`),
the public pages leave it out like a hidden one, and a Zenith node's
uplink learns it from the hub and stops reading the sensor.

"Data received" is what the SeriesStore holds for the camera
(``sensors.LATEST``: on a hub, what the camera uploaded through either
API), one row per measurement and sensor with the time of its newest
point; once a field has data, its label and unit can be set
(``field_labels`` in the profile), and the public sensor page uses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from zenith.contracts import camerakeys, profiles, sensors
from zenith.contracts.base import Empty
from zenith.errors import BadRequest, Unavailable, ZenithError
from zenith_web.views.ingest_disabled import forget as forget_disabled
from zenith_web.views.owner import owned_camera, owner_page, see_other
from zenith_web.views.sitebus import ask

EXTERNAL = "ext_sensors"  # the measurement POST /api/v1/weather.php stores
EXAMPLE = """POST {url}
X-API-Key: zk_...
Content-Type: application/json

{{"sensor": "weather", "values": {{"temperature": 4.2, "humidity": 81, "pressure": 1013.2}}}}"""
GRACE = {"0": 0, "3600": 3600, "86400": 86400, "604800": 7 * 86400}


@dataclass
class Received:
    """One measurement (and sensor tag) of the camera's stored readings."""

    measurement: str
    sensor: str | None
    last: datetime
    fields: list[sensors.LatestField] = field(default_factory=list)


@dataclass
class SensorRow:
    """A sensor of the camera: its newest values (from the node, or what it uploaded)."""

    sensor: str
    measurement: str
    fields: dict[str, float] = field(default_factory=dict)
    time: datetime | None = None

    @property
    def external(self) -> bool:
        return self.measurement == EXTERNAL


def sensor_rows(readings: list[sensors.Reading], received: list[Received] | None,
                disabled: set[str]) -> list[SensorRow]:
    """Every sensor the camera reports: the node's current readings, then what its
    stored readings hold (a camera uploading to a hub), then the switched-off ones."""
    rows = {r.sensor: SensorRow(r.sensor, r.measurement, dict(r.fields), r.time)
            for r in readings}
    for group in received or []:
        name = group.sensor or group.measurement
        if name not in rows and name != sensors.SKY_SENSOR:
            rows[name] = SensorRow(name, group.measurement,
                                   {f.field: f.value for f in group.fields}, group.last)
    for name in disabled - set(rows):
        rows[name] = SensorRow(name, "")
    return sorted(rows.values(), key=lambda r: r.sensor)


def received_of(latest: list[sensors.LatestField]) -> list[Received]:
    groups: dict[tuple[str, str | None], Received] = {}
    for f in latest:
        group = groups.setdefault((f.measurement, f.sensor),
                                  Received(f.measurement, f.sensor, f.time))
        group.fields.append(f)
        group.last = max(group.last, f.time)
    return sorted(groups.values(), key=lambda g: (g.measurement, g.sensor or ""))


async def _page(request: web.Request, issued: camerakeys.KeyIssued | None = None
                ) -> web.Response:
    cam = await owned_camera(request)
    try:
        readings = (await ask(request, sensors.CURRENT, Empty(), camera=cam.id)).readings
        answering = True
    except Unavailable:
        readings, answering = [], False
    states: dict[str, sensors.SensorState] | None = None  # None: no node answers (a hub)
    try:  # which sensors the node's configuration reads, and how that goes
        states = {s.name: s for s in (await ask(request, sensors.STATUS, Empty(),
                                                 camera=cam.id)).sensors}
    except Unavailable:
        pass
    keys: list[Any] = []
    try:
        keys = (await ask(request, camerakeys.KEY_LIST,
                          camerakeys.KeyRef(camera=cam.id))).keys
    except Unavailable:
        pass
    received: list[Received] | None = None
    try:
        received = received_of((await ask(request, sensors.LATEST,
                                          sensors.LatestRequest(camera=cam.id))).fields)
    except Unavailable:
        pass
    profile = await ask(request, profiles.PROFILE_GET, profiles.ProfileRef(camera=cam.id))
    base = str(request.url.with_path("/").with_query(None)).rstrip("/")
    disabled = set(profile.disabled_sensors)
    rows = sensor_rows(readings, received, disabled)
    internal = [r for r in rows if not r.external]
    external = [r for r in rows if r.external]
    response = owner_page(request, "owner/sensors.html", "owner", cam=cam, internal=internal,
                          external=external, answering=answering, keys=keys, issued=issued,
                          hidden=set(profile.hidden_sensors), received=received, states=states,
                          labels=profile.field_labels, disabled=disabled,
                          label_keys=sorted({f"{g.measurement}:{f.field}"
                                             for g in received or [] for f in g.fields}),
                          shown_saved=request.query.get("saved") == "1",
                          labels_saved=request.query.get("labels") == "1",
                          enabled_saved=request.query.get("enabled") == "1",
                          api_example=EXAMPLE.format(url=f"{base}/api/v1/weather.php"))
    response.headers["Cache-Control"] = "no-store"
    return response


async def page(request: web.Request) -> web.Response:
    return await _page(request)


async def rotate_key(request: web.Request) -> web.Response:
    cam = await owned_camera(request)
    form = await request.post()
    grace = GRACE.get(str(form.get("grace_s", "")))
    if grace is None:
        raise BadRequest("choose a grace period", code="bad_grace")
    issued = await ask(request, camerakeys.KEY_ISSUE,
                       camerakeys.KeyIssue(camera=cam.id, grace_s=grace))
    return await _page(request, issued)


async def set_display(request: web.Request) -> web.Response:
    """Which of the listed sensors the public pages show."""
    cam = await owned_camera(request)
    form = await request.post()
    listed = {str(v) for v in form.getall("sensor", [])}
    shown = {str(v) for v in form.getall("show", [])}
    profile = await ask(request, profiles.PROFILE_GET, profiles.ProfileRef(camera=cam.id))
    hidden = sorted((set(profile.hidden_sensors) - listed) | (listed - shown))
    await _save(request, cam, profile, "not a sensor name", "bad_sensor", hidden_sensors=hidden)
    target = request.app.router["owner-sensors"].url_for(camera=cam.id)
    return see_other(f"{target}?saved=1")


async def set_enabled(request: web.Request) -> web.Response:
    """Which of the listed sensors are switched on; the others the hub drops, and a
    Zenith node stops reading them once its uplink hears it."""
    cam = await owned_camera(request)
    form = await request.post()
    listed = {str(v) for v in form.getall("sensor", [])}
    enabled = {str(v) for v in form.getall("enable", [])}
    if not listed:
        raise BadRequest("list the sensors of the form (sensor=...)", code="bad_sensor")
    profile = await ask(request, profiles.PROFILE_GET, profiles.ProfileRef(camera=cam.id))
    disabled = sorted((set(profile.disabled_sensors) - listed) | (listed - enabled))
    await _save(request, cam, profile, "not a sensor name", "bad_sensor",
                disabled_sensors=disabled)
    forget_disabled(request, cam.id)
    target = request.app.router["owner-sensors"].url_for(camera=cam.id)
    return see_other(f"{target}?enabled=1")


async def _save(request: web.Request, cam: Any, profile: profiles.Profile, error: str,
                code: str, **changes: Any) -> None:
    """Save the profile with ``changes``, everything else as it is."""
    body = profile.model_dump(include=set(profiles.ProfileFields.model_fields))
    body.update(camera=cam.id, name=cam.name, site=cam.site,
                location=cam.location.model_dump(), **changes)
    try:
        save = profiles.ProfileSave.model_validate(body)
    except ValueError:
        raise BadRequest(error, code=code) from None
    await ask(request, profiles.PROFILE_SAVE, save)


async def set_labels(request: web.Request) -> web.Response:
    """Label and unit of the listed fields (``key`` = measurement:field); both
    empty: the field keeps its own name and no unit."""
    cam = await owned_camera(request)
    form = await request.post()
    keys = [str(v) for v in form.getall("key", [])]
    profile = await ask(request, profiles.PROFILE_GET, profiles.ProfileRef(camera=cam.id))
    labels = {k: v.model_dump() for k, v in profile.field_labels.items()}
    for key in keys:
        label = str(form.get(f"label:{key}", "")).strip()
        unit = str(form.get(f"unit:{key}", "")).strip()
        labels.pop(key, None)
        if label or unit:
            labels[key] = {"label": label, "unit": unit}
    await _save(request, cam, profile,
                "labels: at most 64 characters, units at most 16, no < > or control "
                "characters; a field is measurement:field", "bad_label", field_labels=labels)
    target = request.app.router["owner-sensors"].url_for(camera=cam.id)
    return see_other(f"{target}?labels=1")


async def field_labels(request: web.Request, camera: str) -> dict[str, profiles.FieldLabel]:
    """Label and unit per measurement:field the camera's owner chose (none on a node)."""
    try:
        found = await ask(request, profiles.PROFILE_GET, profiles.ProfileRef(camera=camera))
    except ZenithError:
        return {}
    return dict(found.field_labels)


async def hidden_sensors(request: web.Request, camera: str) -> set[str]:
    """The sensors a camera's owner does not show on the public pages: hidden or
    switched off."""
    try:
        found = await ask(request, profiles.PROFILE_GET, profiles.ProfileRef(camera=camera))
    except ZenithError:  # no network service (a node), or no such camera: none hidden
        return set()
    return set(found.hidden_sensors) | set(found.disabled_sensors)
