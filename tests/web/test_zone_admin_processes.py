"""Zone changes across real processes on one database (SQLite and PostGIS): a ``monitor
serve`` with two workers and a ``monitor run`` (no feeds, a zone-change alert rule).

* ``monitor serve`` shows the shipped zones and SVZM's history;
* a version declared through ``serve``'s API reaches ``run``'s pipeline (its API reads the
  zones the pipeline geofences with) and becomes a zone-change alert within 5 s;
* a lift through ``run``'s API reaches ``serve``'s workers within 5 s.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.store import Store
from tests.web.test_zone_admin import AUTH, PROPAGATION_S, TOKEN, declaration

CONFIG = """\
feeds: []
alerts:
  channels: {console: {type: console}}
  rules:
    - {name: zone-changes, kinds: [zone_change], channels: [console]}
  dispatcher: {zone_watch_every_s: 30}   # alerts must not wait for the zone scan
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor.cli.app", *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


def _wait_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            pytest.fail(f"process for {base} exited with {proc.returncode}:\n{out[-3000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{base} did not answer within 90 s")


def _stop(proc: subprocess.Popen[bytes]) -> str:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate(timeout=10)
    return out.decode(errors="replace")


def _versions(base: str, zone_id: str) -> list[dict[str, Any]]:
    r = httpx.get(f"{base}/api/zones/{zone_id}/history", timeout=10)
    return [f["properties"] for f in r.json()["features"]] if r.status_code == 200 else []


def _until(what: str, check: Any) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < PROPAGATION_S + 2:
        if check():
            return time.perf_counter() - started
        time.sleep(0.02)
    pytest.fail(f"{what}: not within {PROPAGATION_S} s")


@pytest.mark.slow
def test_serve_and_run_follow_zone_changes_of_each_other(store: Store, tmp_path: Path) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    (tmp_path / "monitor.yaml").write_text(CONFIG)
    env = {
        **os.environ,
        "MONITOR_CONFIG": str(tmp_path / "monitor.yaml"),
        "DATABASE_URL": url,
        "MONITOR_ADMIN_TOKEN": TOKEN,
        "MONITOR_LOG_LEVEL": "INFO",
    }
    run_port, serve_port = _free_port(), _free_port()
    run_base, serve_base = f"http://127.0.0.1:{run_port}", f"http://127.0.0.1:{serve_port}"
    run = _start(["run", "--port", str(run_port)], tmp_path, env)
    serve = _start(["serve", "--workers", "2", "--port", str(serve_port)], tmp_path, env)
    outputs = {}
    try:
        _wait_up(run_base, run)
        _wait_up(serve_base, serve)
        shipped = httpx.get(f"{serve_base}/api/zones?at=2026-01-03T12:00Z", timeout=10).json()
        assert "SVZM" in {f["properties"]["zone_id"] for f in shipped["features"]}
        assert len(_versions(serve_base, "SVZM")) > 1

        # every delay is measured from the moment the write is sent
        started = time.perf_counter()
        declared = httpx.post(
            f"{serve_base}/api/zones", json=declaration("WATCH-RUN", valid_from="2025-01-01T00:00Z"),
            headers=AUTH, timeout=10,
        )
        assert declared.status_code == 201, declared.text
        _until("declare on serve -> run", lambda: bool(_versions(run_base, "WATCH-RUN")))
        to_run = time.perf_counter() - started
        key = "zone-changes:zone-WATCH-RUN@v1:console"
        _until(
            "declare -> zone-change alert",
            lambda: any(r.idempotency_key == key for r in store.alert_rows(limit=20)),
        )
        to_alert = time.perf_counter() - started

        started = time.perf_counter()
        lifted = httpx.post(
            f"{run_base}/api/zones/WATCH-RUN/lift", json={"at": "2025-06-01T00:00Z"},
            headers=AUTH, timeout=10,
        )
        assert lifted.status_code == 201, lifted.text
        # the writing process answers once its own pipeline has the lift
        assert [v["status"] for v in _versions(run_base, "WATCH-RUN")] == ["advisory", "lifted"]

        def serve_has_lift() -> bool:  # several answers in a row: from both workers, likely
            return all(len(_versions(serve_base, "WATCH-RUN")) == 2 for _ in range(6))

        _until("lift on run -> serve", serve_has_lift)
        to_serve = time.perf_counter() - started
    finally:
        outputs["run"] = _stop(run)
        outputs["serve"] = _stop(serve)
    print(
        f"\n{store.dialect}: declare(serve)->run {to_run:.3f} s, declare->alert row "
        f"{to_alert:.3f} s, lift(run)->serve {to_serve:.3f} s"
    )
    assert max(to_run, to_alert, to_serve) < PROPAGATION_S
    assert "zones reloaded" in outputs["run"] and "now in the pipeline" in outputs["run"], outputs["run"][-3000:]
    assert outputs["serve"].count("zones reloaded") >= 2, outputs["serve"][-3000:]  # each worker
    assert serve.returncode == 0, outputs["serve"][-2000:]
    assert run.returncode == 0, outputs["run"][-2000:]
    assert TOKEN not in outputs["run"] + outputs["serve"]
    if os.environ.get("ZONE_ADMIN_SHOW_LOGS"):
        print(outputs["run"][-4000:], outputs["serve"][-3000:])
