"""Which web paths a probe may load: public GET routes that need no other service."""

from __future__ import annotations

from zenith_web.routes import ROUTES
from zenith_web.spec import Access

# GET /healthz is public too, but answers 503 unless every service (gpio and
# capture included) answers, so it cannot say whether this web instance is fine.
NEEDS_EVERY_SERVICE = {"/healthz"}


def public_pages() -> set[str]:
    return {r.path for r in ROUTES
            if r.method == "GET" and r.access == Access.PUBLIC and "{" not in r.path
            and r.endpoint is None and r.path not in NEEDS_EVERY_SERVICE}
