"""The live map's time control in a real headless Chromium: rewinding shows the positions
stored at the chosen time, ``?at=`` in the address restores the same view, and nothing
logs an error at a desktop and a phone size. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from monitor.domain import Observation, SubjectKind
from monitor.store import StoreBatch
from monitor.web.app import create_app
from tests.web import scenario
from tests.web.live_server import serve_in_thread
from tests.web.test_browser import ARTIFACTS, Watch, browser, wait_live  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

#: a vessel stored only 20 to 40 minutes before the scenario's T0, going north
VESSEL = "775999001"


def _vessel_track() -> list[Observation]:
    return [
        Observation(source="aisstream", feed_kind="aisstream", subject_kind=SubjectKind.VESSEL,
                    subject_id=VESSEL, time=scenario.t(-40 + 2 * i), lat=11.0 + 0.01 * i, lon=-64.0,
                    name="REWIND TEST", ground_speed_kt=9.0, track_deg=0.0)
        for i in range(11)
    ]


@pytest.fixture
def site(web_store) -> Iterator[str]:  # type: ignore[no-untyped-def]
    store, _ = web_store
    store.apply(StoreBatch(observations=_vessel_track()))
    with serve_in_thread(create_app(scenario.services(store))) as base:
        yield base


@pytest.fixture(params=[(1600, 1000), (390, 844)], ids=["desktop", "phone"])
def page(browser, request) -> Iterator[tuple[Any, Watch, str]]:  # type: ignore[no-untyped-def]  # noqa: F811
    w, h = request.param
    context = browser.new_context(viewport={"width": w, "height": h})
    pg = context.new_page()
    watch = Watch(pg)
    try:
        yield pg, watch, f"{w}x{h}"
    finally:
        context.close()


def _features(pg: Any, layer: str) -> dict[str, list[float]]:
    """id -> [lon, lat] of the points the rewind layer draws."""
    return pg.evaluate(
        """(layer) => { const out = {}; MonitorRewind._layers[layer].eachLayer(l => {
               const p = l.getLatLng(); out[l.feature.id] = [p.lng, p.lat]; }); return out; }""",
        layer,
    )


def _wait_snapshot(pg: Any, at_iso: str) -> None:
    pg.wait_for_function(
        "(at) => window.MonitorRewind && MonitorRewind.state.active && !MonitorRewind.state.loading"
        " && MonitorRewind.state.counts && new Date(MonitorRewind.state.at).toISOString().slice(0, 16) + 'Z' === at",
        arg=at_iso,
        timeout=15_000,
    )


def test_rewind_shows_the_positions_stored_then_and_the_link_restores_it(site, page):
    pg, watch, size = page
    base = site
    pg.goto(base + "/")
    wait_live(pg)
    live_aircraft = pg.evaluate("Object.keys(MonitorMap.layers.aircraft._features).length")
    assert live_aircraft > 1

    # open the control: it rewinds to the last stored position, then type a past time
    pg.click("#rewind .rewind-toggle")
    pg.wait_for_function("() => MonitorRewind.state.active && !MonitorRewind.state.loading", timeout=15_000)
    at = scenario.t(-30)
    at_iso = at.strftime("%Y-%m-%dT%H:%MZ")
    pg.fill("#rewind-time", at.strftime("%Y-%m-%dT%H:%M"))
    pg.dispatch_event("#rewind-time", "change")
    _wait_snapshot(pg, at_iso)

    # at T0-30 min only the vessel was stored (its fix of T0-30, the 6th), no aircraft yet:
    # the live aircraft are off the map and paused
    vessels = _features(pg, "vessels")
    assert list(vessels) == [VESSEL]
    assert vessels[VESSEL] == pytest.approx([-64.0, 11.05], abs=1e-4)
    assert _features(pg, "aircraft") == {}
    assert pg.evaluate("MonitorMap.map.hasLayer(MonitorMap.layers.aircraft)") is False
    assert "at=" + at_iso in pg.url
    pg.screenshot(path=str(ARTIFACTS / f"rewind-{size}-t-30.png"))

    # two steps of +10 min: the vessel has moved on (its last fix, T0-20), the aircraft
    # stored from T0-10 has appeared
    pg.click("#rewind .rewind-steps button:has-text('+10 min')")
    _wait_snapshot(pg, (at + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%MZ"))
    assert _features(pg, "aircraft") == {}
    pg.click("#rewind .rewind-steps button:has-text('+10 min')")
    later = (at + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%MZ")
    _wait_snapshot(pg, later)
    vessels = _features(pg, "vessels")
    assert vessels[VESSEL] == pytest.approx([-64.0, 11.10], abs=1e-4)
    aircraft = _features(pg, "aircraft")
    assert list(aircraft) == ["0d0abc"]
    assert aircraft["0d0abc"] == pytest.approx([-67.6, 10.0], abs=1e-4)  # its first fix, T0-10
    assert "at=" + later in pg.url

    # the address is the shareable link: a fresh page opens the same view
    link = pg.url
    pg2 = pg.context.new_page()
    watch2 = Watch(pg2)
    pg2.goto(link)
    _wait_snapshot(pg2, later)
    assert _features(pg2, "vessels") == vessels
    assert _features(pg2, "aircraft") == aircraft
    assert pg2.input_value("#rewind-time") == later[:-1]
    assert pg2.evaluate("MonitorMap.map.hasLayer(MonitorMap.layers.vessels)") is False
    pg2.screenshot(path=str(ARTIFACTS / f"rewind-{size}-link.png"))

    # back to live: the live layers return and poll again, the address loses ?at=
    pg2.click("#rewind .rewind-live")
    pg2.wait_for_function(
        "() => !MonitorRewind.state.active && MonitorMap.map.hasLayer(MonitorMap.layers.aircraft)"
        " && Object.keys(MonitorMap.layers.aircraft._features).length > 1",
        timeout=15_000,
    )
    assert "at=" not in pg2.url
    watch.assert_clean(base)
    watch2.assert_clean(base)
