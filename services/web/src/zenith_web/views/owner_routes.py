"""Route rows of the owner area (``/owner/...``) and the public camera profile.

Pages need a session (``PAGE``: else the login page) and the ``owner``
permission; which cameras a user may see is the registry's ``owners`` list
(:func:`zenith_web.views.owner.owned_camera`). Forms are posted with the
session cookie and its CSRF token.
"""

from __future__ import annotations

from zenith_web.spec import Access, RouteSpec
from zenith_web.views import (
    owner,
    owner_data,
    owner_highlights,
    owner_password,
    owner_profile,
    owner_sensors,
)

PAGE, PUBLIC = Access.PAGE, Access.PUBLIC
HTML = "text/html"
READ, UPDATE, DELETE = ("owner", "read"), ("owner", "update"), ("owner", "delete")
CAM = "/owner/cameras/{camera}"

OWNER_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("GET", "/owner", "owner-home", owner.home, "The owner's profile: their "
              "cameras.", "owner", PAGE, permission=READ, content_type=HTML, statuses=(403,)),
    RouteSpec("GET", CAM, "owner-camera", owner.camera_details, "One of the owner's "
              "cameras: details, status, links, files and bytes per product type.", "owner",
              PAGE, permission=READ, content_type=HTML, statuses=(403, 404)),
    RouteSpec("GET", f"{CAM}/files", "owner-files", owner.files_page, "The camera's stable "
              "latest URLs with copy buttons and <img>/<video> snippets.", "owner", PAGE,
              permission=READ, content_type=HTML, statuses=(403, 404)),
    RouteSpec("GET", f"{CAM}/profile", "owner-profile", owner_profile.editor, "The profile "
              "editor (Steckbrief).", "owner", PAGE, permission=READ, content_type=HTML,
              statuses=(403, 404)),
    RouteSpec("POST", f"{CAM}/profile", "owner-profile", owner_profile.save, "Save the "
              "profile (multipart form: fields, new images, images kept).", "owner", PAGE,
              permission=UPDATE, content_type=HTML, form=True,
              statuses=(303, 400, 403, 404, 413)),
    RouteSpec("GET", f"{CAM}/profile/preview", "owner-profile-preview", owner_profile.preview,
              "The public profile as visitors will see it, enabled or not.", "owner", PAGE,
              permission=READ, content_type=HTML, statuses=(403, 404)),
    RouteSpec("GET", f"{CAM}/profile/images/{{image}}", "owner-profile-image",
              owner_profile.owner_image, "A profile image (for the editor and preview).",
              "owner", PAGE, permission=READ, content_type="image/jpeg", statuses=(403, 404)),
    RouteSpec("GET", "/owner/password", "owner-password", owner_password.page,
              "Change the password.", "owner", PAGE, permission=READ, content_type=HTML,
              statuses=(403,)),
    RouteSpec("POST", "/owner/password", "owner-password", owner_password.change,
              "Change the password (current, new, confirm); every other session ends.",
              "owner", PAGE, permission=UPDATE, content_type=HTML, form=True,
              statuses=(303, 400, 403, 429)),
    RouteSpec("GET", f"{CAM}/data", "owner-data", owner_data.page, "Select data: a month "
              "and type, the items to download or delete.", "owner", PAGE, permission=READ,
              content_type=HTML, statuses=(400, 403, 404)),
    RouteSpec("POST", f"{CAM}/data/download", "owner-data-download", owner_data.download,
              "The selected items as one zip, streamed as it is built.", "owner", PAGE,
              permission=READ, content_type="application/zip", form=True,
              statuses=(400, 403, 404)),
    RouteSpec("POST", f"{CAM}/data/delete", "owner-data-delete", owner_data.delete,
              "Delete the selected items (after a confirmation naming the count); "
              "highlighted ones stay.", "owner", PAGE, permission=DELETE, content_type=HTML,
              form=True, statuses=(400, 403, 404)),
    RouteSpec("GET", f"{CAM}/highlights", "owner-highlights", owner_highlights.page,
              "The camera's highlights, active or not.", "owner", PAGE, permission=READ,
              content_type=HTML, statuses=(403, 404)),
    RouteSpec("POST", f"{CAM}/highlights/{{highlight}}/active", "owner-highlight-active",
              owner_highlights.set_active, "Deactivate (active=0) or reactivate a "
              "highlight; the file stays.", "owner", PAGE, permission=UPDATE,
              content_type=HTML, form=True, statuses=(303, 400, 403, 404)),
    RouteSpec("POST", f"{CAM}/highlights/mark", "owner-highlights-mark", owner_highlights.mark,
              "Mark the selected products of the monthly overview as highlights with a "
              "category.", "owner", PAGE, permission=UPDATE, content_type=HTML, form=True,
              statuses=(303, 400, 403, 404)),
    RouteSpec("GET", f"{CAM}/sensors", "owner-sensors", owner_sensors.page, "The camera's "
              "internal and external sensors with their last data, the external sensors' "
              "API and the camera key.", "owner", PAGE, permission=READ, content_type=HTML,
              statuses=(403, 404)),
    RouteSpec("POST", f"{CAM}/sensors/display", "owner-sensors-display",
              owner_sensors.set_display, "Which sensors the camera's public pages show.",
              "owner", PAGE, permission=UPDATE, content_type=HTML, form=True,
              statuses=(303, 400, 403, 404)),
    RouteSpec("POST", f"{CAM}/sensors/enabled", "owner-sensors-enabled",
              owner_sensors.set_enabled, "Which sensors are switched on: the hub drops the "
              "readings of the others, and a Zenith node's uplink stops reading them.",
              "owner", PAGE, permission=UPDATE, content_type=HTML, form=True,
              statuses=(303, 400, 403, 404)),
    RouteSpec("POST", f"{CAM}/sensors/labels", "owner-sensors-labels",
              owner_sensors.set_labels, "Label and unit per field of the readings that "
              "arrived (shown on the public sensor page).", "owner", PAGE, permission=UPDATE,
              content_type=HTML, form=True, statuses=(303, 400, 403, 404)),
    RouteSpec("POST", f"{CAM}/sensors/key", "owner-sensors-key", owner_sensors.rotate_key,
              "Rotate the camera key: the new key is shown once; the old one works for the "
              "chosen grace period.", "owner", PAGE, permission=UPDATE, content_type=HTML,
              form=True, statuses=(400, 403, 404)),
    RouteSpec("GET", "/cameras/{camera}/profile", "camera-profile", owner_profile.public,
              "A camera's public profile (404 unless its owner enabled it).", "site", PUBLIC,
              content_type=HTML, statuses=(403, 404)),
    RouteSpec("GET", "/cameras/{camera}/profile/images/{image}", "camera-profile-image",
              owner_profile.public_image, "An image of an enabled profile.", "site", PUBLIC,
              content_type="image/jpeg", statuses=(403, 404)),
)
