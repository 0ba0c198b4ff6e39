"""kill -9 while alerts are in flight, restart: every alert arrives, none is lost.

A subprocess (``fault_driver.py``) applies incident changes and dispatches their alerts to
a real webhook receiver in this process. It is killed with SIGKILL at a moment when the
database shows alerts in flight (claimed, not yet settled), then restarted. The receiver
must then hold exactly one unique delivery per expected alert (by idempotency key). Raw
repeats can only come from alerts that were in flight at the kill (sent, but the kill
came before the delivery was recorded): at most that many, each dropped by the receiver
thanks to the key.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from monitor.alerts.receiver import WebhookReceiver

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("fault_driver.py")
INCIDENTS = 150
SECRET = "fault-secret"  # noqa: S105 - test secret


def wait(cond: Callable[[], bool], timeout_s: float, every_s: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(every_s)
    return False


@pytest.mark.slow
def test_sigkill_with_alerts_in_flight_then_restart_delivers_each_alert_once(
    tmp_path: Path, database_url: str
) -> None:
    db = database_url
    receiver = WebhookReceiver(secret=SECRET, delay_s=0.01).start()
    cmd = [sys.executable, str(DRIVER), "--db", db, "--hook", receiver.url, "--secret", SECRET,
           "--incidents", str(INCIDENTS), "--batch", "5"]
    peek = create_engine(db)

    def in_flight() -> int:
        try:
            with peek.connect() as conn:
                return int(conn.execute(text("SELECT count(*) FROM alert_outbox WHERE state = 'sending'")).scalar_one())
        except Exception:  # the schema may not exist yet
            return 0

    log1 = (tmp_path / "run1.log").open("w")
    first = subprocess.Popen(cmd, cwd=REPO, stdout=log1, stderr=subprocess.STDOUT)
    try:
        assert wait(lambda: len(receiver.unique_keys) >= 40, 90), "the first run delivered too little"
        assert wait(lambda: in_flight() > 0, 20), "never caught alerts in flight"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        at_kill = in_flight()
        delivered_before = len(receiver.unique_keys)

        second = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=240)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "DONE" in second.stdout

        with peek.connect() as conn:  # ids are not 1..N on PostgreSQL: sequences skip on rollback
            ids = [int(i) for i in conn.execute(text("SELECT id FROM incident")).scalars()]
        assert len(ids) == INCIDENTS
        expected = {f"incursions:incident-{i}:{seq}:hook" for i in ids for seq in (1, 2)}
        assert receiver.unique_keys == expected  # nothing lost, nothing unexpected
        assert receiver.duplicates <= at_kill  # repeats only of what was in flight
        assert all(r.signature_ok for r in receiver.received)
        assert first.returncode == -signal.SIGKILL
        print(
            f"\nfault test: killed with {at_kill} alert(s) in flight after {delivered_before} of "
            f"{len(expected)} delivered; receiver saw {len(receiver.received)} POSTs, "
            f"{len(receiver.unique_keys)} unique, {receiver.duplicates} repeat(s) dropped by key"
        )
    finally:
        if first.poll() is None:
            first.kill()
        log1.close()
        receiver.stop()
        peek.dispose()
