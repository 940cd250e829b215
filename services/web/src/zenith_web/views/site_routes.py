"""Route rows of the public website (camera pages, latest files, hub home,
map, calendars, sensors): public, server-rendered, read only."""

from __future__ import annotations

from zenith_web.spec import Access, RouteSpec
from zenith_web.views import latest
from zenith_web.views.latest import LatestPath

PUBLIC = Access.PUBLIC

SITE_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("GET", "/cameras/{camera}/latest/{file}", "camera-latest", latest.latest,
              "The camera's newest image.jpg, keogram.jpg, startrails.jpg, timelapse.mp4 "
              "or mini-timelapse.mp4, for embedding: ETag, Last-Modified, a short max-age, "
              "CORS; 404 while there is none yet.", "site", PUBLIC,
              content_type="application/octet-stream", path_model=LatestPath,
              statuses=(206, 304, 404, 416, 503, 504)),
)
