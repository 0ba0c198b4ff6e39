"""A map people can read: subjects first, labels, tooltips, incident pages that explain,
and a phone-sized layout, in a real headless Chromium (see ``test_browser.py``).

The app runs over the web scenario plus: LAV123 (the subject of the scenario's open SVZM
incursion) in the live view, and an incursion with the details the incursion detector
writes (rule, whom it binds, why this aircraft), whose evidence was recorded twice.
Every page is opened at 1600x1000 and 390x844: no console error, no failed request;
screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from monitor.domain import (
    ChangeAction,
    Evidence,
    IncidentChange,
    IncidentKind,
    Observation,
    Severity,
    SubjectKind,
)
from monitor.pipeline.live import LiveSnapshot
from monitor.store import StoreBatch
from monitor.web.app import create_app
from tests.web import scenario
from tests.web.live_server import serve_in_thread
from tests.web.test_browser import CHROMIUM, LAUNCH_ARGS, Watch, browser, shot  # noqa: F401

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1600, 1000), "phone": (390, 844)}

RULE_DETAILS = {
    "zone_name": "Maiquetia FIR (SVZM)",
    "zone_status": "prohibited",
    "dwell_s": 10555.2,
    "altitude_ft": 35000.0,
    "ground_speed_kt": 400.0,
    "callsign": "N650SM",
    "squawk": "4650",
    "entered_at": "2025-12-02T10:01:30.123456+00:00",
    "rule": "SVZM@v1",
    "rule_kind": "prohibited",
    "authority": "FAA",
    "source_ref": "FAA prohibition NOTAM for US operators in SVZM",
    "source_url": "https://example.org/faa-notam",
    "binds": "operators:US",
    "binds_whom": "US operators and US-registered civil aircraft",
    "bound": "bound",
    "why": "N650SM, US-registered: US-registered, no foreign carrier named",
    "identity": "N650SM, US-registered",
    "registry": "US",
    "operator": None,
    "military": False,
    "incident": "N650SM inside Maiquetia FIR (SVZM): bound by FAA prohibited (ref): US-registered",
}


def _add_bound_incursion(store: Any) -> int:
    """An incursion as the detector writes it, the same fix recorded by two changes."""
    fix = Evidence(observed_at=scenario.t(2), source="adsb_lol", note="enter SVZM", record_ref="demo.jsonl:7",
                   subject_id="a8a1c7", lat=11.1, lon=-63.5, altitude_ft=35000.0, ground_speed_kt=400.0)
    later = Evidence(observed_at=scenario.t(6), source="adsb_lol", note="inside SVZM", record_ref="demo.jsonl:9",
                     subject_id="a8a1c7", lat=11.2, lon=-64.1, altitude_ft=35000.0, ground_speed_kt=400.0)
    common = dict(dedupe_key="incursion:a8a1c7:SVZM:test", kind=IncidentKind.INCURSION, severity=Severity.CRITICAL,
                  summary=RULE_DETAILS["incident"], subject_kind="aircraft", subject_id="a8a1c7",
                  subject_label="N650SM", zone_id="SVZM", zone_version=1, details=RULE_DETAILS)
    opened = store.apply(StoreBatch(changes=[IncidentChange(
        action=ChangeAction.OPEN, at=scenario.t(2), lon=-63.5, lat=11.1, evidence=(fix,),
        track=((-63.5, 11.1),), **common)]))
    store.apply(StoreBatch(changes=[IncidentChange(
        action=ChangeAction.UPDATE, at=scenario.t(6), lon=-64.1, lat=11.2, evidence=(fix, fix, later),
        track=((-64.1, 11.2),), **common)]))
    return int(opened[0].incident_id)


@pytest.fixture
def readable_site(web_store) -> Iterator[tuple[str, dict[str, int]]]:  # type: ignore[no-untyped-def]
    store, ids = web_store
    bound = _add_bound_incursion(store)
    services = scenario.services(store)
    snap = services.live.snapshot
    lav = Observation(source="adsb_lol", feed_kind="adsbx_v2", subject_kind=SubjectKind.AIRCRAFT,
                      subject_id="0d0abc", time=snap.at, lat=10.6, lon=-66.9, callsign="LAV123",
                      altitude_ft=35000.0, ground_speed_kt=450.0, track_deg=80.0)
    services.live.snapshot = LiveSnapshot(at=snap.at, aircraft=(*snap.aircraft, lav), vessels=snap.vessels,
                                          version=snap.version + 1)
    with serve_in_thread(create_app(services)) as base:
        yield base, {**ids, "bound": bound}


class Failed:
    """Requests that failed or answered an HTTP error."""

    def __init__(self, page: Any) -> None:
        self.items: list[str] = []
        page.on("requestfailed", lambda r: self.items.append(f"{r.url} {r.failure}"))
        page.on("response", lambda r: self.items.append(f"{r.status} {r.url}") if r.status >= 400 else None)


def open_page(browser: Any, size: str) -> tuple[Any, Any, Watch, Failed]:  # noqa: F811
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=size == "phone",
                                  has_touch=size == "phone")
    pg = context.new_page()
    return context, pg, Watch(pg), Failed(pg)


def wait_map(pg: Any) -> None:
    pg.wait_for_function(
        "() => window.MonitorMap && MonitorMap.layers.aircraft && MonitorMap.layers.incidents"
        " && MonitorMap.layers.aircraft.getLayer('0d0abc')"
        " && Object.keys(MonitorMap.layers.incidents._features).length >= 4"
        " && document.querySelectorAll('path.incident-marker.on-subject').length >= 1",
        timeout=20_000,
    )


def centre_on(pg: Any, layer: str, feature_id: str, zoom: int) -> tuple[float, float]:
    pg.evaluate(
        """([layer, id, z]) => { MonitorMap.map.setView(MonitorMap.layers[layer].getLayer(id).getLatLng(), z,
                                                        {animate: false}); }""",
        [layer, feature_id, zoom],
    )
    pg.wait_for_timeout(900)  # the live layers re-poll for the new view
    return tuple(pg.evaluate(
        """([layer, id]) => { const l = MonitorMap.layers[layer].getLayer(id);
            const p = MonitorMap.map.latLngToContainerPoint(l.getLatLng());
            const r = MonitorMap.map.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y]; }""",
        [layer, feature_id],
    ))


def test_subjects_first_on_the_desktop_map(readable_site, browser):  # noqa: F811
    base, ids = readable_site
    context, pg, watch, failed = open_page(browser, "desktop")
    try:
        pg.goto(base + "/")
        wait_map(pg)
        # the incident on LAV123 is a badge beside its icon, and the icon carries a ring
        badge = pg.evaluate(
            f"""() => {{ const b = MonitorMap.layers.incidents.getLayer({ids['inc-svzm-lav']});
                const s = MonitorMap.layers.aircraft.getLayer('0d0abc');
                return [b.getLatLng().lat === s.getLatLng().lat, b.options.offset, !!s._ring]; }}"""
        )
        assert badge[0] is True and badge[1] != [0, 0] and badge[2] is True
        # incidents without a subject on the map stay discs at their own place
        assert pg.locator("path.incident-marker:not(.on-subject)").count() >= 3
        # no call signs at the region's zoom, but at zoom 8
        assert "TST0001" not in pg.evaluate("() => MonitorMap.labelsShown")
        x, y = centre_on(pg, "aircraft", "0d0abc", 8)
        assert "LAV123" in pg.evaluate("() => MonitorMap.labelsShown")
        # hovering the icon says who it is
        pg.mouse.move(x, y)
        tip = pg.wait_for_selector(".subject-tip", timeout=5_000)
        assert "LAV123" in tip.inner_text() and "1 open incident" in tip.inner_text()
        # clicking the icon opens the aircraft's card, with its incident linked
        pg.mouse.click(x, y)
        card = pg.wait_for_selector(".leaflet-popup-content:has-text('Open incidents')")
        text = card.inner_text()
        assert "LAV123" in text and "State of registry" in text and "Mexico (MX)" in text
        assert "incursion" in text
        link = pg.get_attribute(".leaflet-popup-content .subject-incidents a", "href")
        assert link == f"/incidents/{ids['inc-svzm-lav']}"
        shot(pg, "readable-live-subject-card-desktop.png")
        pg.keyboard.press("Escape")
        # the badge opens the incident itself
        pg.click("path.incident-marker.on-subject")
        popup = pg.wait_for_selector(".leaflet-popup-content:has-text('Open incident #')")
        assert "incursion" in popup.inner_text()
        shot(pg, "readable-live-badge-desktop.png")
        watch.assert_clean(base)
        assert failed.items == []
    finally:
        context.close()


def test_phone_layout_keeps_the_map_and_the_bar_whole(readable_site, browser):  # noqa: F811
    base, _ = readable_site
    context, pg, watch, failed = open_page(browser, "phone")
    try:
        pg.goto(base + "/")
        wait_map(pg)
        pg.wait_for_timeout(300)
        shot(pg, "readable-live-phone.png")
        # nothing in the top bar is cut or pushed off the screen
        cut = pg.evaluate(
            """() => { const bar = document.querySelector('header.topbar');
                const out = [...bar.querySelectorAll(':scope > *')].filter(el => getComputedStyle(el).display !== 'none')
                  .filter(el => { const r = el.getBoundingClientRect();
                    return r.right > window.innerWidth + 0.5 || r.left < -0.5 || el.scrollWidth > el.clientWidth + 1; })
                  .map(el => el.className);
                if (bar.scrollWidth > bar.clientWidth + 1) { out.push('topbar'); }
                return out; }"""
        )
        assert cut == []
        # the legend and the layer list start folded: together under a quarter of the map
        assert pg.evaluate("() => document.querySelector('.map-legend details').open") is False
        assert pg.locator(".leaflet-control-layers-expanded").count() == 0
        covered = pg.evaluate(
            """() => { const m = MonitorMap.map.getContainer().getBoundingClientRect();
                const area = el => { const r = el.getBoundingClientRect(); return r.width * r.height; };
                return (area(document.querySelector('.map-legend')) +
                        area(document.querySelector('.leaflet-control-layers'))) / (m.width * m.height); }"""
        )
        assert covered < 0.1
        # the page links are behind a menu button
        assert not pg.is_visible("header.topbar nav")
        pg.click(".menu-button")
        assert pg.is_visible("header.topbar nav a[href='/history']")
        shot(pg, "readable-live-phone-menu.png")
        pg.click(".menu-button")
        # the layer list opens on a tap and folds again
        pg.click(".leaflet-control-layers-toggle")
        assert pg.locator(".leaflet-control-layers-expanded").count() == 1
        shot(pg, "readable-live-phone-layers.png")
        pg.click(".layers-close")
        assert pg.locator(".leaflet-control-layers-expanded").count() == 0
        watch.assert_clean(base)
        assert failed.items == []
    finally:
        context.close()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_incursion_page_explains_and_shares(readable_site, browser, size):  # noqa: F811
    base, ids = readable_site
    context, pg, watch, failed = open_page(browser, size)
    try:
        pg.goto(f"{base}/incidents/{ids['bound']}")
        pg.wait_for_selector("path.incident-marker")
        pg.wait_for_timeout(300)
        lead = pg.inner_text("#incident-sentence .lead")
        # the first sentence names the rule and that it binds this aircraft; then why
        assert "FAA prohibition SVZM@v1" in lead and "binds it" in lead and "Maiquetia FIR (SVZM)" in lead
        sentence = pg.inner_text("#incident-sentence")
        assert "Why this aircraft: N650SM, US-registered" in sentence
        assert "The rule binds US operators" in sentence
        # details in words and units, times to the second, no raw keys or JSON
        panel = pg.inner_text("#incident-panel")
        assert "2 h 55 min" in panel and "dwell" not in panel.lower()
        assert "[" not in pg.inner_text("table.kv") and ".123456" not in panel
        # each observation once, however often it was recorded
        rows = [r.inner_text() for r in pg.query_selector_all("table.evidence tbody tr")]
        assert len(rows) == 2 and len(set(r.split("\t", 1)[1] for r in rows)) == 2
        assert "recorded 3 times" in rows[0]
        # a permalink and the incident alone as GeoJSON and KML
        assert pg.get_attribute("#permalink", "href") == f"/incidents/{ids['bound']}"
        geojson = pg.request.get(f"{base}/api/incidents/{ids['bound']}?format=geojson")
        assert geojson.ok and [f["id"] for f in geojson.json()["features"]] == [ids["bound"]]
        kml = pg.request.get(f"{base}/api/incidents/{ids['bound']}?format=kml")
        assert kml.ok and "<kml" in kml.text() and "N650SM" in kml.text()
        shot(pg, f"readable-incident-{size}.png")
        if size == "phone":
            assert pg.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        watch.assert_clean(base)
        assert failed.items == []
    finally:
        context.close()
