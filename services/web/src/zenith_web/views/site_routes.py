"""Route rows of the public website (camera pages, latest files, hub home,
map, calendars, sensors): public, server-rendered, read only."""

from __future__ import annotations

from zenith_web import i18n
from zenith_web.spec import Access, RouteSpec
from zenith_web.views import calendar, highlights, hub, images, latest, sensorpage, site
from zenith_web.views.calendar import CalendarQuery
from zenith_web.views.camera_extras import MeteorImagePath, meteor_image
from zenith_web.views.highlights import HighlightsQuery
from zenith_web.views.hub import HomeQuery, MapData
from zenith_web.views.latest import LatestPath
from zenith_web.views.sensorpage import SensorQuery
from zenith_web.views.site import LiveImage

PUBLIC = Access.PUBLIC

HTML = "text/html"

SITE_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("GET", "/", "home", hub.home, "Home: a hub's cameras (filtered, newest "
              "activity first), or a node's own camera page.", "site", PUBLIC,
              content_type=HTML, query_model=HomeQuery),
    RouteSpec("GET", "/lang", "language", i18n.set_language, "The language switch: remember "
              "the language (en, de) in the lang cookie and go back to the page.", "site",
              PUBLIC, content_type=HTML, query_model=i18n.LanguageQuery, statuses=(303, 400)),
    RouteSpec("GET", "/map", "map", hub.map_page, "The network's cameras on a map.", "site",
              PUBLIC, content_type=HTML),
    RouteSpec("GET", "/highlights", "highlights", highlights.highlights_page,
              "The network's highlighted keograms, startrails and videos, by category and "
              "year, newest night first.", "site", PUBLIC, content_type=HTML,
              query_model=HighlightsQuery),
    RouteSpec("GET", "/map/cameras.json", "map-data", hub.map_json,
              "Every enabled camera with a public location (rounded to its owner's "
              "precision), its status and links; ETag (a conditional request gets 304).",
              "site", PUBLIC, reply=MapData, statuses=(304, 503, 504)),
    RouteSpec("GET", "/cameras/{camera}", "camera-page", site.camera_page,
              "A camera's page: live image, values, location, last night's products.",
              "site", PUBLIC, content_type=HTML, statuses=(404,)),
    RouteSpec("GET", "/cameras/{camera}/sensors", "camera-sensors", sensorpage.sensor_page,
              "A chart per sensor value, downsampled by the store, over 24 h, 7 d, 30 d "
              "or 1 y.", "site", PUBLIC, content_type=HTML, query_model=SensorQuery,
              statuses=(404,)),
    RouteSpec("GET", "/cameras/{camera}/calendar/{group}", "camera-calendar",
              calendar.calendar_page, "A calendar of the camera's videos, keograms or "
              "startrails: month grids, newest first.", "site", PUBLIC, content_type=HTML,
              query_model=CalendarQuery, statuses=(404,)),
    RouteSpec("GET", "/cameras/{camera}/view/{night}/{kind}", "camera-view",
              calendar.viewer_page, "One night's product large, with the previous and next "
              "night and slow playback.", "site", PUBLIC, content_type=HTML, statuses=(404,)),
    RouteSpec("GET", "/cameras/{camera}/images/{night}", "camera-images",
              images.images_page, "A night's frames as thumbnails, opened large, stepped "
              "frame by frame (after: the page after this time).", "site", PUBLIC,
              content_type=HTML, statuses=(404,)),
    RouteSpec("GET", "/cameras/{camera}/frames/{night}/{stamp}", "camera-frame",
              images.frame_file, "One frame's JPEG (thumb=1: its thumbnail).", "site", PUBLIC,
              content_type="image/jpeg", statuses=(304, 404)),
    RouteSpec("GET", "/cameras/{camera}/live.json", "camera-live", site.live,
              "The camera's newest frame (the live image's refresh).", "site", PUBLIC,
              reply=LiveImage, statuses=(404, 503, 504)),
    RouteSpec("GET", "/cameras/{camera}/products/{night}/{kind}", "camera-product",
              site.product_file, "One product of a night (thumb=1: its thumbnail).", "site",
              PUBLIC, content_type="application/octet-stream",
              statuses=(206, 304, 404, 416, 503, 504)),
    RouteSpec("GET", "/cameras/{camera}/meteors/{night}/{candidate}/{part}", "camera-meteor",
              meteor_image, "A JPEG of a meteor candidate: crop.jpg, marked.jpg "
              "or diff.jpg (from capture on a node, the uploaded candidates on a hub); ETag, "
              "Last-Modified; 404 for an unknown candidate or part.", "site", PUBLIC,
              content_type="image/jpeg", path_model=MeteorImagePath,
              statuses=(304, 400, 404, 503, 504)),
    RouteSpec("GET", "/cameras/{camera}/latest/{file}", "camera-latest", latest.latest,
              "The camera's newest image.jpg, keogram.jpg, startrails.jpg, timelapse.mp4 "
              "or mini-timelapse.mp4, for embedding: ETag, Last-Modified, a short max-age, "
              "CORS; 404 while there is none yet.", "site", PUBLIC,
              content_type="application/octet-stream", path_model=LatestPath,
              statuses=(206, 304, 404, 416, 503, 504)),
)
