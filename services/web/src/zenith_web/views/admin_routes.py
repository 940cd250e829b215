"""Route rows of the join form (public) and of the admin area (role admin).

Every admin row is a page needing ``users:update``; its form posts are
CSRF-checked by the auth middleware (``form=True``).
"""

from __future__ import annotations

from zenith.contracts import joins
from zenith_web.spec import Access, RouteSpec, View
from zenith_web.views import admin, admin_accounts, admin_badges, join

HTML = "text/html"
PAGE, PUBLIC = Access.PAGE, Access.PUBLIC
ADMIN = admin.ADMIN_PERMISSION
_FORM = (303, 400, 401, 403, 404, 409, 503, 504)


def _get(path: str, name: str, view: View, summary: str) -> RouteSpec:
    return RouteSpec("GET", path, name, view, summary, "admin", PAGE, permission=ADMIN,
                     content_type=HTML, statuses=(401, 403, 503, 504))


def _post(path: str, name: str, view: View, summary: str) -> RouteSpec:
    return RouteSpec("POST", path, name, view, summary, "admin", PAGE, permission=ADMIN,
                     content_type=HTML, form=True, statuses=_FORM)


JOIN_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("GET", "/join", "join", join.join_page, "The form to ask to join the network.",
              "site", PUBLIC, content_type=HTML),
    RouteSpec("POST", "/join", "join", join.submit, "Send a join request (form with its CSRF "
              "field, or JSON); limited per address.", "site", PUBLIC,
              request=joins.JoinForm, reply=joins.JoinReceived, form=True,
              statuses=(303, 400, 403, 429, 503, 504)),
    RouteSpec("GET", "/join/received", "join-received", join.received_page,
              "The join request was received: we reply by email.", "site", PUBLIC,
              content_type=HTML),
)

ADMIN_ROUTES: tuple[RouteSpec, ...] = (
    _get("/admin", "admin", admin.overview, "The admin area: pending requests, latest changes."),
    _get("/admin/joins", "admin-joins", admin.join_list, "Join requests to review."),
    _post("/admin/joins/{join}/approve", "admin-join-approve", admin.join_approve,
          "Approve: the owner account, the camera and its key, shown once."),
    _post("/admin/joins/{join}/reject", "admin-join-reject", admin.join_reject,
          "Reject a join request, saying why."),
    _get("/admin/cameras", "admin-cameras", admin_accounts.camera_list, "Every camera."),
    _post("/admin/cameras", "admin-cameras", admin_accounts.camera_add, "Add a camera."),
    _post("/admin/cameras/{camera}/edit", "admin-camera-edit", admin_accounts.camera_edit,
          "Change a camera's name, site, code or location."),
    _post("/admin/cameras/{camera}/enable", "admin-camera-enable", admin_accounts.camera_enable,
          "Enable or disable a camera."),
    _post("/admin/cameras/{camera}/key", "admin-camera-key", admin_accounts.camera_key,
          "A new upload key (shown once), or revoke every key."),
    _get("/admin/owners", "admin-owners", admin_accounts.owner_list, "Users and their cameras."),
    _post("/admin/owners", "admin-owners", admin_accounts.owner_add,
          "Add an owner (one-time password shown once)."),
    _post("/admin/owners/{username}/password", "admin-owner-password",
          admin_accounts.owner_password, "A new one-time password; every session ends."),
    _post("/admin/owners/{username}/link", "admin-owner-link", admin_accounts.owner_link,
          "Link an owner to a camera, or unlink."),
    _post("/admin/owners/{username}/delete", "admin-owner-delete", admin_accounts.owner_delete,
          "Delete an owner: every session of theirs ends."),
    _get("/admin/badges", "admin-badges", admin_badges.badge_list,
         "Every camera's XP and badges; the rules."),
    _post("/admin/badges/{camera}/grant", "admin-badge-grant", admin_badges.badge_grant,
          "Give a camera a badge."),
    _post("/admin/badges/{camera}/revoke", "admin-badge-revoke", admin_badges.badge_revoke,
          "Take a badge from a camera."),
    _get("/admin/settings", "admin-settings", admin.settings_form, "Network settings."),
    _post("/admin/settings", "admin-settings", admin.settings_save, "Save network settings."),
    _get("/admin/audit", "admin-audit", admin.audit_page, "The audit log: who, what, when."),
)
