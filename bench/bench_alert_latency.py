"""Alert latency: from an incident's creation to the webhook receiving it (issue 7).

Run: ``.venv/bin/python bench/bench_alert_latency.py [--postgres URL]``. Prints p50 / p95 /
max latency against the target (p95 <= 1 s) for 1,000 incidents.

Set-up: a fresh SQLite database (or the PostgreSQL server given), the alert rules of a
webhook rule (HMAC-signed) wired as the store's outbox function, the dispatcher running
as it does in ``monitor run`` (woken by commits, polling otherwise), and the reference
receiver (``python -m monitor.alerts.receiver``) in its own process on 127.0.0.1, which
records when each idempotency key arrives. Incidents are created through ``Store.apply``
(the pipeline's single writer, in a worker thread):

* ``steady``: 1,000 incidents in 50 transactions of 20, one every 100 ms (200 incidents/s,
  a live batch cadence);
* ``burst``: 1,000 incidents in ONE transaction (a replay catching up).

Latency is counted from the incident's creation, i.e. the commit of its transaction (when
``Store.apply`` returns; before that the incident exists for no one), to the receiver's
first receipt of its alert. The time ``Store.apply`` itself took is printed beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.alerts.service import build_alerting  # noqa: E402
from monitor.domain import ChangeAction, IncidentChange, IncidentKind, Severity  # noqa: E402
from monitor.store import Store, StoreBatch  # noqa: E402
from monitor.timeutil import utcnow  # noqa: E402

N = 1000
TARGET_P95_S = 1.0
SECRET = "bench-secret"  # noqa: S105


def incident(i: int, tag: str) -> IncidentChange:
    return IncidentChange(
        action=ChangeAction.OPEN,
        dedupe_key=f"bench:{tag}:{i}",
        kind=IncidentKind.INCURSION,
        severity=Severity.HIGH,
        at=utcnow(),
        summary=f"aircraft {i:06x} inside SVZM",
        subject_kind="aircraft",
        subject_id=f"{tag}{i:06x}",
        subject_label=f"BNC{i:04d}",
        zone_id="SVZM",
        lat=10.5,
        lon=-66.5,
    )


async def scenario(url: str, hook: str, record: Path, name: str, batches: list[int], pause_s: float) -> dict[str, float]:
    store = Store.open(url)
    settings = SimpleNamespace(
        source_file="bench",
        geodata_dir=None,
        alerts={
            "channels": {"hook": {"type": "webhook", "url": hook, "secret": SECRET}},
            "rules": [{"name": f"bench-{name}", "kinds": ["incursion"], "channels": ["hook"], "cooldown_s": 0}],
        },
    )
    alerting = build_alerting(settings, store, base_url="http://127.0.0.1:8000", known_zone_ids={"SVZM"})
    assert alerting is not None
    stop = asyncio.Event()
    task = asyncio.create_task(alerting.task()(stop))
    await asyncio.sleep(0.5)  # the dispatcher takes its lock
    created: dict[str, float] = {}
    apply_s: list[float] = []
    i = 0
    started = time.perf_counter()
    for size in batches:
        changes = [incident(j, name) for j in range(i, i + size)]
        t0 = time.perf_counter()
        applied = await asyncio.to_thread(store.apply, StoreBatch(changes=changes), alerting.engine)
        committed = time.time()
        apply_s.append(time.perf_counter() - t0)
        for a in applied:
            created[f"bench-{name}:incident-{a.incident_id}:1:hook"] = committed
        i += size
        if pause_s:
            await asyncio.sleep(pause_s)
    arrivals = await asyncio.to_thread(_wait_arrivals, record, set(created), 120.0)
    elapsed = time.perf_counter() - started
    stop.set()
    await task
    alerting.detach()
    store.close()
    if len(arrivals) < N:
        raise SystemExit(f"{name}: only {len(arrivals)} of {N} alerts arrived")
    lat = sorted(arrivals[k] - t for k, t in created.items())
    return {
        "p50": statistics.median(lat),
        "p95": lat[int(0.95 * (len(lat) - 1))],
        "max": lat[-1],
        "seconds": elapsed,
        "apply_ms": 1000 * sum(apply_s) / len(apply_s),
    }


def _wait_arrivals(record: Path, keys: set[str], timeout_s: float) -> dict[str, float]:
    """First arrival time of each key, read from the receiver's record file."""
    found: dict[str, float] = {}
    deadline = time.monotonic() + timeout_s
    offset = 0
    while time.monotonic() < deadline:
        with record.open(encoding="utf-8") as f:
            f.seek(offset)
            chunk = f.read()
        complete = chunk[: chunk.rfind("\n") + 1]
        offset += len(complete.encode())
        for line in complete.splitlines():
            doc = json.loads(line)
            if doc["key"] in keys and doc["key"] not in found:
                found[doc["key"]] = doc["received_at"]
        if len(found) == len(keys):
            break
        time.sleep(0.05)
    return found


def _start_receiver(record: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor.alerts.receiver", "--port", str(port), "--secret-env", "BENCH_HOOK_SECRET",
         "--record", str(record)],
        cwd=ROOT,
        env={**os.environ, "BENCH_HOOK_SECRET": SECRET, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}/hook"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the receiver did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="run on this PostgreSQL URL instead of a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "arrivals.jsonl"
        record.touch()
        receiver, hook = _start_receiver(record)
        results = {}
        try:
            for name, batches, pause in (("steady", [20] * 50, 0.1), ("burst", [N], 0.0)):
                url = args.postgres or f"sqlite:///{Path(tmp) / f'{name}.sqlite'}"
                if args.postgres:
                    _reset_postgres(url)
                results[name] = asyncio.run(scenario(url, hook, record, name, batches, pause))
        finally:
            receiver.terminate()
            receiver.wait(timeout=10)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"alert latency, incident commit -> webhook receipt, {N} incidents, {backend}, receiver in its own process")
    for name, r in results.items():
        verdict = "OK" if r["p95"] <= TARGET_P95_S else "MISSED"
        print(
            f"  {name:<6} p50 {r['p50'] * 1000:7.1f} ms   p95 {r['p95'] * 1000:7.1f} ms   "
            f"max {r['max'] * 1000:7.1f} ms   target p95 <= {TARGET_P95_S * 1000:.0f} ms: {verdict}"
            f"   (Store.apply {r['apply_ms']:.0f} ms per transaction; {r['seconds']:.1f} s run)"
        )


def _reset_postgres(url: str) -> None:
    """Empty the incident and alert tables of the given database (created if needed)."""
    from sqlalchemy import text

    store = Store.open(url)
    eng = store.engine
    with eng.begin() as conn:
        for table in ("alert_attempt", "alert_outbox", "evidence", "incident_event", "incident", "checkpoint"):
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed table names
    store.close()


if __name__ == "__main__":
    main()
