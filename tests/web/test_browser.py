"""The pages in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

The app runs under uvicorn on 127.0.0.1 (ephemeral port) over a real SQLite store with the
web scenario and a live view of aircraft and vessels. Every test collects the browser's
requests and console: nothing may leave loopback and nothing may log an error. Screenshots
go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec.structs
import pytest

from monitor.pipeline.live import LiveSnapshot
from monitor.web.app import create_app
from tests.web.live_server import serve_in_thread

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]

if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
    if os.environ.get("MONITOR_REQUIRE_BROWSER"):  # CI installs it: a skip there would hide a gap
        pytest.fail(f"{CHROMIUM} is missing but MONITOR_REQUIRE_BROWSER is set", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium package)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def site(services) -> Iterator[tuple[str, Any]]:  # type: ignore[no-untyped-def]
    with serve_in_thread(create_app(services)) as base:
        yield base, services


class Watch:
    """Requests and console messages of one page."""

    def __init__(self, page: Any) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

    def assert_clean(self, base: str) -> None:
        assert self.errors == []
        off_host = [u for u in self.requests if not (u.startswith(base + "/") or u.startswith("data:"))]
        assert off_host == [], "the browser requested non-loopback URLs"
        assert all(u.startswith("http://127.0.0.1:") for u in self.requests if not u.startswith("data:"))


@pytest.fixture
def page(browser) -> Iterator[tuple[Any, Watch]]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    watch = Watch(pg)
    try:
        yield pg, watch
    finally:
        context.close()


def shot(pg: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    pg.wait_for_timeout(400)  # let popups finish fading in
    pg.screenshot(path=str(path))
    return path


def wait_live(pg: Any) -> None:
    pg.wait_for_function(
        "() => window.MonitorMap && MonitorMap.layers.aircraft && MonitorMap.layers.vessels"
        " && Object.keys(MonitorMap.layers.aircraft._features).length > 0"
        " && Object.keys(MonitorMap.layers.vessels._features).length > 0"
        " && document.querySelectorAll('path.incident-marker').length >= 4"
        " && document.querySelectorAll('#status-feeds .feed').length >= 2",
        timeout=20_000,
    )


def click_feature(pg: Any, layer: str, feature_id: str) -> None:
    """Centre the map on a canvas-drawn marker, then click it where the map shows it."""
    pg.evaluate(
        """([layer, id]) => { MonitorMap.map.setView(MonitorMap.layers[layer].getLayer(id).getLatLng(), 8,
                                                     {animate: false}); }""",
        [layer, feature_id],
    )
    pg.wait_for_timeout(800)  # the view changed: the live layers re-poll for the new bbox
    x, y = pg.evaluate(
        """([layer, id]) => { const l = MonitorMap.layers[layer].getLayer(id);
            const p = MonitorMap.map.latLngToContainerPoint(l.getLatLng());
            const r = MonitorMap.map.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y]; }""",
        [layer, feature_id],
    )
    pg.mouse.click(x, y)


def test_live_map_loads_layers_and_opens_an_incident(site, page):
    base, services = site
    pg, watch = page
    pg.goto(base + "/")
    wait_live(pg)
    control = pg.inner_text(".leaflet-control-layers")
    for name in ("Zones in force", "Aircraft", "Vessels", "Open incidents", "GNSS interference",
                 "Recent tracks (open incidents)", "Land (offline base map)"):
        assert name in control
    assert "Legend" in pg.inner_text(".map-legend")
    assert "SYNTHETIC TEST SCENARIO" in pg.inner_text("#banner")
    feeds = pg.inner_text("#status-feeds")
    assert "adsb_lol" in feeds and "aisstream" in feeds and "failing" in feeds
    assert "2025-12-02 10:10:00Z" in pg.inner_text("#status-clock")
    counts = pg.evaluate("() => [Object.keys(MonitorMap.layers.aircraft._features).length,"
                         " Object.keys(MonitorMap.layers.vessels._features).length]")
    assert counts == [40, 40]
    # zones and the GNSS cell are on the map
    assert pg.evaluate("() => Object.keys(MonitorMap.layers.zones._features).sort()") == ["STRIKE-EAST@v1", "SVZM@v1"]
    assert pg.evaluate("() => Object.keys(MonitorMap.layers.gnss._features).length") == 1

    pg.click("path.incident-marker.kind-incursion")
    popup = pg.wait_for_selector(".leaflet-popup-content")
    text = popup.inner_text()
    assert "incursion" in text and "LAV123" in text and "SVZM v1" in text
    assert pg.get_attribute(".leaflet-popup-content .popup-link a", "href") == "/incidents/1"
    shot(pg, "live-map-incident-popup.png")

    pg.keyboard.press("Escape")
    click_feature(pg, "aircraft", "a00005")  # the scenario's squawk-7700 aircraft
    popup = pg.wait_for_selector(".leaflet-popup-content:has-text('TST0005')")
    assert "emergency" in popup.inner_text()
    shot(pg, "live-map-aircraft-popup.png")
    watch.assert_clean(base)


def test_live_map_updates_without_reload(site, page):
    base, services = site
    pg, watch = page
    pg.goto(base + "/")
    wait_live(pg)
    pg.evaluate("() => { window.__sameDocument = true; }")
    snap = services.live.snapshot
    moved = msgspec.structs.replace(snap.aircraft[0], lat=snap.aircraft[0].lat + 0.5, time=snap.at)
    services.live.snapshot = LiveSnapshot(
        at=snap.at, aircraft=(moved, *snap.aircraft[2:]), vessels=snap.vessels, version=snap.version + 1
    )
    first, gone = snap.aircraft[0].subject_id, snap.aircraft[1].subject_id
    pg.wait_for_function(
        """([id, gone, lat]) => { const l = MonitorMap.layers.aircraft.getLayer(id);
            return l && Math.abs(l.getLatLng().lat - lat) < 1e-4 && !MonitorMap.layers.aircraft.getLayer(gone); }""",
        arg=[first, gone, round(moved.lat, 5)],
        timeout=20_000,
    )
    assert pg.evaluate("() => window.__sameDocument") is True
    assert pg.evaluate("() => MonitorMap.layers.aircraft._monitor.version") == snap.version + 1
    watch.assert_clean(base)


def test_incident_page_shows_evidence(site, page, ids):
    base, _ = site
    pg, watch = page
    pg.goto(f"{base}/incidents/{ids['inc-svzm-lav']}")
    pg.wait_for_selector("path.incident-marker")
    rows = pg.query_selector_all("table.evidence tbody tr")
    assert len(rows) == 2
    assert "demo.jsonl:120" in rows[0].inner_text()
    assert len(pg.query_selector_all("table.timeline tbody tr")) == 2
    assert "incursions" in pg.inner_text("table.alerts")
    assert len(pg.query_selector_all("path.evidence-marker")) == 2
    shot(pg, "incident-page.png")
    watch.assert_clean(base)


def test_history_filters_by_zone(site, page):
    base, _ = site
    pg, watch = page
    pg.goto(base + "/history")
    pg.wait_for_function("() => document.getElementById('result-count').textContent === '(6)'", timeout=20_000)
    # the traffic chart comes from its own request, which may land after the list's
    pg.wait_for_selector("#traffic-chart svg rect.bar", state="attached", timeout=20_000)
    pg.select_option("#f-zone", "SVZM")
    pg.click("#f-apply")
    pg.wait_for_function("() => document.getElementById('result-count').textContent === '(2)'", timeout=20_000)
    zones = [c.inner_text() for c in pg.query_selector_all("#incident-list tbody tr td:nth-child(4)")]
    assert zones == ["SVZM", "SVZM"]
    assert "zone=SVZM" in pg.url
    assert len(pg.query_selector_all("path.incident-marker")) == 2
    # the time slider: at 07:10 only the old incursion was active
    pg.evaluate(
        """() => { const s = MonitorHistory.state, slider = document.getElementById('time-slider');
            slider.value = Math.round(1000 * (Date.parse('2025-12-02T07:10:00Z') - s.t0) / (s.t1 - s.t0));
            slider.dispatchEvent(new Event('input')); }"""
    )
    pg.wait_for_function("() => document.getElementById('result-count').textContent.startsWith('(1 active')")
    assert [r.inner_text() for r in pg.query_selector_all("#incident-list tbody tr td:nth-child(3)")] == ["AVA55"]
    shot(pg, "history-svzm.png")
    watch.assert_clean(base)


NEIGHBOURS = ["Aruba", "Brazil", "Colombia", "Curaçao", "Dominican Rep.", "Guyana", "Jamaica", "Netherlands",
              "Panama", "Puerto Rico", "Suriname", "Trinidad and Tobago", "Venezuela"]


def label_shown(pg: Any, text: str) -> bool:
    return pg.evaluate(
        """(text) => [...document.querySelectorAll('.bm-label')].some(el =>
            el.textContent === text && getComputedStyle(el).display !== 'none' && el.offsetParent !== null)""",
        text,
    )


def test_base_map_draws_the_neighbouring_countries_under_the_zones(site, page):
    base, _ = site
    pg, watch = page
    pg.goto(base + "/")
    wait_live(pg)
    pg.wait_for_function("() => Object.keys(MonitorMap.layers.basemap._features).length > 20"
                         " && Object.keys(MonitorMap.layers.labels._features).length > 20", timeout=20_000)
    names = pg.evaluate("""() => Object.values(MonitorMap.layers.basemap._features)
        .map(f => f.properties).filter(p => p.layer === 'land').map(p => p.name)""")
    assert set(NEIGHBOURS) <= set(names)
    assert "Place names" in pg.inner_text(".leaflet-control-layers")
    # land is drawn under the zones (an island cut out of a zone shows the land beneath)
    z = pg.evaluate("""() => ['basemap', 'basemapLabels', 'overlayPane'].map(
        n => Number(getComputedStyle(MonitorMap.map.getPane(n)).zIndex))""")
    assert z[0] < z[1] < z[2]
    # names by zoom: the country names first, a capital of a small island only close up
    assert label_shown(pg, "Venezuela") and label_shown(pg, "Colombia")
    assert not label_shown(pg, "Willemstad")
    shot(pg, "live-map-basemap.png")
    pg.evaluate("() => { MonitorMap.map.setView([12.2, -69.0], 8, {animate: false}); }")
    pg.wait_for_timeout(500)
    assert label_shown(pg, "Willemstad") and label_shown(pg, "Curaçao")
    shot(pg, "live-map-basemap-curacao.png")
    watch.assert_clean(base)


def test_api_docs_render_with_the_metrics_route(web_store, browser):
    """``/docs`` of the app as ``monitor run`` builds it (with /metrics) renders the operations."""
    from monitor.metrics import MonitorCollector, make_registry
    from tests.pipeline.test_pipeline import make_pipeline
    from tests.web import scenario

    store, _ = web_store
    registry = make_registry(MonitorCollector(make_pipeline(store)))
    app = create_app(scenario.services(store, metrics=registry))
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        pg = context.new_page()
        watch = Watch(pg)
        with serve_in_thread(app) as base:
            pg.goto(base + "/docs")
            pg.wait_for_selector(".opblock-summary-path[data-path='/metrics']", timeout=20_000)
            assert pg.locator(".opblock").count() > 10
            assert "Failed to load API definition" not in pg.inner_text("body")
            shot(pg, "api-docs.png")
            watch.assert_clean(base)
    finally:
        context.close()
