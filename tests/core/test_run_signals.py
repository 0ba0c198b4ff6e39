"""`monitor run` as a user runs it: a config with a local receiver, then Ctrl-C (SIGINT) or
SIGTERM: a clean stop, everything received recorded and processed, exit status 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from monitor.capture import CaptureReader


def _write_aircraft_json(path: Path) -> None:
    now = time.time()
    path.write_bytes(
        orjson.dumps(
            {
                "now": now,
                "messages": 1000,
                "aircraft": [
                    {"hex": "0d0abc", "flight": "TST1  ", "lat": 11.0, "lon": -66.0,
                     "alt_baro": 35000, "gs": 450.0, "track": 90.0, "seen_pos": 0.3, "seen": 0.1,
                     "type": "adsb_icao"},
                ],
            }
        )
    )


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_run_stops_cleanly_on_signal_and_keeps_what_it_received(tmp_path, sig):
    aircraft_json = tmp_path / "aircraft.json"
    _write_aircraft_json(aircraft_json)
    capture = tmp_path / "rec.jsonl"
    config = tmp_path / "monitor.yaml"
    config.write_text(
        f"""
database_url: sqlite:///{tmp_path / 'run.sqlite'}
feeds:
  - name: my_receiver
    type: readsb
    interval_s: 0.3
    options: {{location: "{aircraft_json}"}}
"""
    )
    env = {**os.environ, "MONITOR_CONFIG": str(config)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli.app", "run", "--no-web", "--record", str(capture)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if capture.exists() and capture.stat().st_size > 0 and len(capture.read_text().splitlines()) >= 3:
                break
            time.sleep(0.2)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "feed my_receiver" in out
    assert "Traceback" not in out
    records = list(CaptureReader(capture))
    assert len(records) >= 3
    stopped = [line for line in out.splitlines() if "stopped:" in line]
    assert stopped, out
    received = int(stopped[-1].split("stopped:")[1].split("record")[0])
    assert received == len(records)
    assert f"{received} processed" in stopped[-1]
    # what it received live is the run's coverage (the history page's strip), stored at stop
    from monitor.store import Store
    from monitor.store.repository import coverage

    store = Store.open(f"sqlite:///{tmp_path / 'run.sqlite'}", migrate_schema=False)
    try:
        rows = coverage(store)
    finally:
        store.close()
    assert [source for source, _hour, positions in rows if positions > 0] == ["my_receiver"]
