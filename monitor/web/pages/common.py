"""What every page shares: the top bar, the map with its panes, and inline init scripts."""

from __future__ import annotations

import html
import json
from typing import Any

import folium
import orjson
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from monitor.web.assets import FAVICON, OfflineMap, OfflineRealtime
from monitor.web.basemap import LABELS_URL
from monitor.web.geo import ORJSON_OPTS
from monitor.web.styles import js_config

#: southern Caribbean and northern South America, [[south, west], [north, east]]
REGION_BOUNDS = [[3.0, -78.0], [18.5, -57.0]]

#: map panes (z-index): base map under everything; its place names over the land but under
#: the zones and the live canvas (Leaflet's overlay pane, 400); incidents over the live canvas
PANES = (("basemap", 150, False), ("basemapLabels", 390, False), ("incidents", 450, True))

#: how often the pages re-read the base map (it changes only with a deployment)
BASEMAP_MS = 3_600_000

NAV = (("live", "/", "Live map"), ("history", "/history", "History"), ("status", "/status", "Status board"), ("api", "/docs", "API"))

esc = html.escape


class Script(MacroElement):
    """JavaScript run after the elements added before it (``{{ map }}`` is the map's name)."""

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "Script"
        self.code = code

    def render(self, **kwargs: Any) -> None:
        self.code = self.code.replace("{{ map }}", self._parent.get_name())
        super().render(**kwargs)


def topbar(active: str, banner: str | None, *, title: str = "Caribbean airspace & maritime monitor") -> str:
    links = "".join(
        f'<a href="{href}" class="{"active" if key == active else ""}">{esc(text)}</a>'
        for key, href, text in NAV
    )
    badge = f'<span class="banner" id="banner">{esc(banner)}</span>' if banner else ""
    return (
        f'<header class="topbar"><span class="title">{esc(title)}</span><nav>{links}</nav>'
        f'{badge}<span class="spacer"></span><span class="clock" id="status-clock"></span></header>'
    )


def new_map(
    page_class: str,
    page_title: str,
    *,
    bounds: list[list[float]] | None = None,
    tile_url: str | None = None,
    tile_attribution: str = "",
    config_options: dict[str, Any] | None = None,
) -> tuple[OfflineMap, Figure]:
    """A canvas-rendered map on an offline page with the monitor's panes and styles."""
    m = OfflineMap(
        location=[10.5, -66.5],
        zoom_start=6,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        min_zoom=3,
        max_zoom=16,
    )
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr=tile_attribution or tile_url, name="Tiles").add_to(m)
    for name, z, pointer in PANES:
        folium.map.CustomPane(name, z_index=z, pointer_events=pointer).add_to(m)
    m.fit_bounds(bounds or REGION_BOUNDS)
    fig = m.get_root()
    assert isinstance(fig, Figure)
    fig.title = page_title
    fig.header.add_child(Element(FAVICON), name="favicon")
    fig.page_class = page_class  # type: ignore[attr-defined]  # read by finish()
    m.add_child(
        Script(
            f"MonitorMap.configure({json.dumps(js_config())}, {json.dumps(config_options or {})});"
        )
    )
    return m, fig


def realtime(
    source: Any,
    name: str,
    *,
    interval_ms: int,
    show: bool = True,
    remove_missing: bool = True,
    **options: Any,
) -> OfflineRealtime:
    """A Realtime layer polling ``source`` (a URL or ``JsCode``), listed as ``name``."""
    rt = OfflineRealtime(
        source,
        interval=interval_ms,
        get_feature_id=folium.JsCode("function (f) { return f.id; }"),
        remove_missing=remove_missing,
        only_run_when_added=True,
        **options,
    )
    rt.layer_name = name
    rt.show = show
    return rt


def basemap_layers(interval_ms: int = BASEMAP_MS) -> tuple[OfflineRealtime, OfflineRealtime]:
    """The offline base map: land (``/api/basemap``) and place names (``LABELS_URL``)."""
    land = realtime(
        "/api/basemap", "Land (offline base map)", interval_ms=interval_ms,
        style=folium.JsCode("MonitorMap.basemapStyle"), pane="basemap", interactive=False,
    )
    names = realtime(
        LABELS_URL, "Place names", interval_ms=interval_ms,
        point_to_layer=folium.JsCode("MonitorMap.basemapLabel"), interactive=False,
    )
    return land, names


def finish(fig: Figure, *, allow_remote: tuple[str, ...] = ()) -> str:
    """Render the page; refuse it if it would fetch anything off this server."""
    from monitor.web.assets import assert_offline

    page_class = getattr(fig, "page_class", "")
    html_text = fig.render().replace("<body>", f'<body class="page {page_class}">', 1)
    return assert_offline(html_text, allow=allow_remote)


class GeoJsonLayer(folium.map.Layer):
    """GeoJSON embedded in the page, styled by the browser-side ``MonitorMap`` functions
    (``style``, ``point_to_layer``, ``on_each_feature`` as ``folium.JsCode``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson({{ this.data|tojson }}, {{ this.options|tojavascript }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict[str, Any], name: str, *, show: bool = True, **options: Any) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "GeoJsonLayer"
        self.data = orjson.loads(orjson.dumps(data, option=ORJSON_OPTS))  # datetimes -> ISO
        self.options = {k: v for k, v in options.items() if v is not None}
