"""The history page in a real headless Chromium: it opens on the stored incidents' range,
and its timeline shows the cited crisis events with their source links."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from monitor.web.app import create_app
from tests.web import scenario
from tests.web.live_server import serve_in_thread
from tests.web.test_browser import ARTIFACTS, Watch, browser  # noqa: F401 - fixture

pytestmark = pytest.mark.browser


@pytest.fixture
def site(web_store) -> Iterator[str]:  # type: ignore[no-untyped-def]
    store, _ = web_store
    # a monitor whose clock is a week past the data: the old default (24 h before the
    # clock) would have shown nothing
    with serve_in_thread(create_app(scenario.services(store, clock_min=7 * 24 * 60))) as base:
        yield base


@pytest.fixture(params=[(1600, 1000), (390, 844)], ids=["desktop", "phone"])
def page(browser, request) -> Iterator[tuple[Any, Watch, str]]:  # type: ignore[no-untyped-def]  # noqa: F811
    w, h = request.param
    context = browser.new_context(viewport={"width": w, "height": h})
    pg = context.new_page()
    try:
        yield pg, Watch(pg), f"{w}x{h}"
    finally:
        context.close()


def test_history_opens_on_the_data_and_shows_the_crisis_record(site, page):
    pg, watch, size = page
    pg.goto(site + "/history")
    pg.wait_for_function("() => document.querySelectorAll('#incident-list tbody tr').length === 6",
                         timeout=15_000)
    assert pg.input_value("#f-since") == "2025-12-02T07:00"  # the first incident's start
    assert pg.input_value("#f-until") == "2025-12-02T10:09"  # just after its last activity

    pg.goto(site + "/history?since=2025-11-15T00:00Z&until=2026-01-10T00:00Z")
    pg.wait_for_function("() => document.querySelectorAll('#event-timeline a').length > 0", timeout=15_000)
    links = pg.eval_on_selector_all("#event-timeline a", "els => els.map(a => a.getAttribute('href'))")
    assert len(links) >= 30
    assert all(h.startswith("https://") or h.startswith("http://") for h in links)
    assert "https://airwars.org/?p=264353" not in links  # 2 Sept 2025 is outside the range
    items = pg.eval_on_selector_all("#event-list li", "els => els.map(e => e.textContent)")
    assert any("Boat strike" in t for t in items) and any("FAA" in t for t in items)
    assert "no coordinates were released" in pg.text_content("#event-list")
    pg.evaluate("() => document.getElementById('event-timeline').scrollIntoView()")
    pg.screenshot(path=str(ARTIFACTS / f"history-events-{size}.png"))
    watch.assert_clean(site)
