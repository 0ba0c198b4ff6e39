"""/status in a real headless Chromium (Debian's ``chromium`` via Playwright), at desktop
(1600x1000) and phone (390x844) sizes, over the demo scenario replayed into SQLite: the
board renders, the traffic chart draws, nothing leaves loopback and nothing logs an error.
Screenshots go to ``test-artifacts/`` (git-ignored)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.pipeline import FeedHealthBook, LiveView
from monitor.service.runtime import merge_zones
from monitor.store import Store
from monitor.web.app import create_app
from monitor.web.services import WebServices
from monitor.zones.bundled import load_bundled_zones
from tests.web.live_server import serve_in_thread
from tests.web.test_status_board import replay_demo

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]
SIZES = {"desktop": (1600, 1000, False), "phone": (390, 844, True)}

if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
    if os.environ.get("MONITOR_REQUIRE_BROWSER"):
        pytest.fail(f"{CHROMIUM} is missing but MONITOR_REQUIRE_BROWSER is set", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium package)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = replay_demo(tmp_path_factory.mktemp("status-browser"))
    store = Store.open(url)
    zones = merge_zones(load_bundled_zones(), store)
    services = WebServices(store=store, live=LiveView(), health=FeedHealthBook(), zones=lambda: zones)
    with serve_in_thread(create_app(services)) as b:
        yield b
    store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize(("at", "headline"), [
    ("2026-01-03T12:00Z", "4 binding rule(s) in force"),
    ("2026-12-04T12:00Z", "Nothing binding in force."),
])
def test_status_board_renders_cleanly(browser: Any, base: str, size: str, at: str, headline: str) -> None:
    width, height, phone = SIZES[size]
    ctx = browser.new_context(viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone)
    page = ctx.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(f"{base}/status?at={at}", wait_until="networkidle")
        assert headline in page.locator("#headline").inner_text()
        page.wait_for_selector("#op-summary:not(:empty)", timeout=10_000)
        if at.startswith("2026-01-03"):
            page.wait_for_selector("#operator-chart svg rect", timeout=10_000)
            assert page.locator("#fir-SVZM .rule.binding a").count() >= 1  # source links
            assert page.locator("#operator-legend span").count() >= 2
        else:
            assert "no flights counted" in page.locator("#operator-chart").inner_text()
        # nothing wider than the window
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        assert page.locator('header nav a[href="/status"]').count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"status-{at[:10]}-{size}.png"), full_page=False)
    finally:
        ctx.close()
    assert errors == []
    assert all(u.startswith(base + "/") or u.startswith("data:") for u in requests)
