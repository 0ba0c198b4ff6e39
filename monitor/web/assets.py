"""Local copies of the browser libraries, and the folium classes that use them.

folium loads Leaflet, jQuery, Bootstrap and its plugins from CDNs by default. Every page
here must work with no internet, so :class:`OfflineMap` and :class:`OfflineRealtime` point
at the copies in ``static/vendor`` (served at ``/static``) and drop what the pages do not
use; :func:`assert_offline` refuses a page that would still fetch anything remote, and
:func:`inline_assets` embeds the local files for a self-contained HTML file.
"""

from __future__ import annotations

import re
from pathlib import Path

import folium
from folium.plugins import Realtime

STATIC_DIR = Path(__file__).with_name("static")
STATIC_URL = "/static"

LEAFLET_JS = f"{STATIC_URL}/vendor/leaflet/leaflet.js"
LEAFLET_CSS = f"{STATIC_URL}/vendor/leaflet/leaflet.css"
REALTIME_JS = f"{STATIC_URL}/vendor/leaflet-realtime/leaflet-realtime.min.js"
MONITOR_JS = f"{STATIC_URL}/monitor-map.js"
MONITOR_CSS = f"{STATIC_URL}/monitor.css"
HISTORY_JS = f"{STATIC_URL}/history.js"
SWAGGER_JS = f"{STATIC_URL}/vendor/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = f"{STATIC_URL}/vendor/swagger-ui/swagger-ui.css"

#: no favicon request (a 404 would be a console error)
FAVICON = '<link rel="icon" href="data:,">'


class OfflineMap(folium.Map):
    """A folium Map that loads only the vendored Leaflet (no jQuery, Bootstrap, icons)."""

    default_js = [("leaflet", LEAFLET_JS), ("monitor_map_js", MONITOR_JS)]
    default_css = [("leaflet_css", LEAFLET_CSS), ("monitor_css", MONITOR_CSS)]


class OfflineRealtime(Realtime):
    """folium's Realtime plugin with the vendored leaflet-realtime."""

    default_js = [("Leaflet_Realtime_js", REALTIME_JS)]


_REMOTE = re.compile(
    r"""<(?:script|img|iframe|source|video|audio|embed|input)\b[^>]*?\ssrc\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|<link\b[^>]*?\shref\s*=\s*["']?\s*(?:https?:)?//""",
    re.IGNORECASE,
)
_CSS_REMOTE = re.compile(r"""(?:@import|url\()\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def remote_references(html: str) -> list[str]:
    """Every resource ``html`` would load from off this server: ``<script src>``,
    ``<img src>``, ``<link href>`` ..., CSS ``url()`` and ``@import`` (plain ``<a href>``
    links are not loads)."""
    found = [html[m.start() : m.start() + 120] for m in _REMOTE.finditer(html)]
    found += [html[m.start() : m.start() + 120] for m in _CSS_REMOTE.finditer(html)]
    return found


def assert_offline(html: str, *, allow: tuple[str, ...] = ()) -> str:
    """``html`` unchanged, or ValueError naming the first remote reference not allowed."""
    for ref in remote_references(html):
        if not any(a in ref for a in allow):
            raise ValueError(f"page would fetch a remote resource: {ref!r}")
    return html


def _static_path(url: str) -> Path:
    rel = url.removeprefix(STATIC_URL + "/")
    path = (STATIC_DIR / rel).resolve()
    if STATIC_DIR.resolve() not in path.parents:
        raise ValueError(f"{url} is outside the static folder")
    return path


def inline_assets(html: str) -> str:
    """Replace ``<script src="/static/...">`` and stylesheet links by the files' content."""

    def script(m: re.Match[str]) -> str:
        code = _static_path(m.group(1)).read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>{code}</script>"

    def style(m: re.Match[str]) -> str:
        css = _static_path(m.group(1)).read_text(encoding="utf-8").replace("</style", "<\\/style")
        return f"<style>{css}</style>"

    html = re.sub(r'<script src="(/static/[^"]+)"></script>', script, html)
    return re.sub(r'<link rel="stylesheet" href="(/static/[^"]+)"\s*/?>', style, html)
