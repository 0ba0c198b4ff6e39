"""The HTML pages without a browser: they render, reference nothing remote, and the static
export is self-contained."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from monitor.store import IncidentQuery
from monitor.web.app import create_app
from monitor.web.assets import assert_offline, remote_references
from monitor.web.server import serve
from monitor.web.static_map import build_static_map
from tests.web import scenario


def local_assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


@pytest.mark.parametrize("path", ["/", "/history", "/history?zone=SVZM", "/incidents/1"])
def test_pages_load_only_local_assets(client, path):
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert remote_references(r.text) == []
    assets = local_assets(r.text)
    assert "/static/vendor/leaflet/leaflet.js" in assets
    for url in assets:
        assert client.get(url).status_code == 200, url


def test_live_page_polls_the_live_endpoints(client):
    html = client.get("/").text
    for needle in ("/api/live/aircraft", "/api/live/vessels", "/api/zones", "/api/live/tracks",
                   "kind=gnss_interference", "status=open", "preferCanvas", "SYNTHETIC TEST SCENARIO",
                   "leaflet-realtime.min.js"):
        assert needle in html, needle


def test_incident_page_shows_evidence_timeline_and_alerts(client, ids):
    html = client.get(f"/incidents/{ids['inc-svzm-lav']}").text
    assert "Incident #1: incursion" in html
    assert "demo.jsonl:120" in html and "demo.jsonl:188" in html
    assert "Timeline (2)" in html and "Evidence (2)" in html and "Alerts (1)" in html
    assert client.get("/incidents/4242").status_code == 404


def test_remote_references_are_refused():
    with pytest.raises(ValueError, match="remote"):
        assert_offline('<script src="https://cdn.example/x.js"></script>')
    with pytest.raises(ValueError, match="remote"):
        assert_offline('<link rel="stylesheet" href="//cdn.example/x.css">')
    assert assert_offline('<a href="/incidents/1">x</a>')


def test_static_map_is_self_contained(web_store):
    store, ids = web_store
    rows, _ = store.query_incidents(IncidentQuery())
    html = build_static_map(scenario.zones(scenario.load()), rows, at=None)
    assert local_assets(html) == []  # everything inlined
    assert remote_references(html) == []
    assert "Leaflet 1.9.4" in html and "MonitorMap" in html
    assert "LAV123 airborne inside SVZM" in html
    assert "6 incident(s)" in html


def test_serve_runs_in_the_current_loop_on_loopback(services):
    async def scenario_run() -> tuple[int, dict]:
        stop = asyncio.Event()
        ports: list[int] = []
        task = asyncio.create_task(serve(create_app(services), "127.0.0.1", 0, stop, on_started=ports.append))
        while not ports:
            await asyncio.sleep(0.02)
            assert not task.done()
        async with httpx.AsyncClient() as http:
            r = await http.get(f"http://127.0.0.1:{ports[0]}/healthz")
        stop.set()
        await asyncio.wait_for(task, 10)
        return r.status_code, r.json()

    status, body = asyncio.run(scenario_run())
    assert status == 200 and body["status"] == "ok"
