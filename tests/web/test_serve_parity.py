"""``monitor serve`` answers the read routes as ``monitor run`` does: ``/metrics`` (from the
database, the same numbers from every worker) and ``/api/live/*`` (the latest stored
position of every subject, since a serve worker has no feed of its own)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from monitor.store import Store
from tests.web import scenario


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, deadline_s: float = 60) -> httpx.Response:
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_serve_workers_answer_metrics_and_live_layers_from_the_store(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    store = Store.open(f"sqlite:///{db}")
    try:
        scenario.fill_store(store, scenario.load())
    finally:
        store.close()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli.app", "serve", "--workers", "2", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        first = _get(f"{base}/metrics")
        assert first.status_code == 200, first.text
        assert first.headers["content-type"].startswith("text/plain")
        assert 'monitor_open_incidents{kind="incursion"} 1.0' in first.text
        assert "monitor_stored_incidents 6.0" in first.text
        # every worker (connections land on either) tells the same
        for _ in range(6):
            again = httpx.get(f"{base}/metrics", timeout=5)
            assert again.status_code == 200
            assert "monitor_stored_incidents 6.0" in again.text
        deadline = time.monotonic() + 20
        features: list = []
        while time.monotonic() < deadline:  # the store is read within ~2 s of start
            answer = httpx.get(f"{base}/api/live/aircraft", timeout=5)
            assert answer.status_code == 200
            features = answer.json()["features"]
            if features:
                break
            time.sleep(0.5)
        assert features, "serve's live layer must show the latest stored positions"
        assert "0d0abc" in {f["id"] for f in features}
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out.decode(errors="replace")[-2000:]


def test_store_live_feed_publishes_the_latest_stored_position_of_each_subject(web_store) -> None:  # type: ignore[no-untyped-def]
    from monitor.pipeline import LiveView
    from monitor.service.main import StoreLiveFeed

    store, _ = web_store
    live = LiveView()
    feed = StoreLiveFeed(store, live)
    assert feed.refresh() is True
    assert feed.refresh() is False  # nothing new stored: no new snapshot
    snap = live.snapshot
    assert snap.version == 1
    latest = {o.subject_id: o for o in snap.aircraft}
    assert "0d0abc" in latest
    stored = store.observations_for("0d0abc", since=None)
    assert latest["0d0abc"].time == max(o.observed_at for o in stored)
