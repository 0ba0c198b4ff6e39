"""`monitor serve`: the history API from several worker processes, no feeds."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_from_two_workers_and_stops_on_sigint(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'h.sqlite'}"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli.app", "serve", "--workers", "2", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        answer = None
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/incidents?limit=5", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        assert answer is not None, "monitor serve did not answer within 60 s"
        assert answer.status_code == 200
        assert answer.json()["type"] == "FeatureCollection"
        bad = httpx.get(f"http://127.0.0.1:{port}/api/incidents?bbox=1,2", timeout=5)
        assert bad.status_code == 400 and "bbox" in bad.text
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out.decode(errors="replace")[-2000:]
    assert b"with 2 worker(s)" in out
