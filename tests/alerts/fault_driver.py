"""A small monitor for the kill -9 test: applies incident changes and dispatches their alerts.

Run by ``tests/alerts/test_fault.py`` as a subprocess::

    python tests/alerts/fault_driver.py --db sqlite:///... --hook http://127.0.0.1:PORT/hook \
        --incidents 200 --batch 5

It opens and then closes ``--incidents`` incidents (distinct aircraft, so no cooldown),
``--batch`` opens per transaction, with a checkpoint in the same transaction, exactly as
the live pipeline does; the dispatcher runs alongside. Killed at any point and restarted,
it resumes after the last committed batch. It exits 0 (printing ``DONE``) when every
incident was applied and every alert is delivered.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from monitor.alerts.service import build_alerting  # noqa: E402
from monitor.domain import ChangeAction, IncidentChange, IncidentKind, Severity  # noqa: E402
from monitor.store import Store, StoreBatch  # noqa: E402
from monitor.store.outbox import OutboxStore  # noqa: E402
from tests.builders import at  # noqa: E402

CHECKPOINT = "fault_driver"


def change(i: int, action: ChangeAction) -> IncidentChange:
    return IncidentChange(
        action=action,
        dedupe_key=f"incursion:fault:{i}",
        kind=IncidentKind.INCURSION,
        severity=Severity.HIGH,
        at=at(minutes=i, seconds=30 if action is ChangeAction.CLOSE else 0),
        summary=f"aircraft {i:06x} inside SVZM",
        subject_kind="aircraft",
        subject_id=f"{i:06x}",
        subject_label=f"FLT{i:04d}",
        zone_id="SVZM",
        lat=10.5,
        lon=-66.5,
    )


async def main(args: argparse.Namespace) -> int:
    store = Store.open(args.db)
    settings = SimpleNamespace(
        source_file="fault_driver",
        geodata_dir=None,
        alerts={
            "channels": {"hook": {"type": "webhook", "url": args.hook, "secret": args.secret, "timeout_s": 5}},
            "rules": [{"name": "incursions", "kinds": ["incursion"], "channels": ["hook"], "on_close": True,
                       "cooldown_s": 0}],
            "dispatcher": {"poll_s": 0.05, "concurrency": args.concurrency, "backoff_base_s": 0.1,
                           "backoff_max_s": 1.0, "max_attempts": 50, "lease_s": 30, "watch_zones": False},
        },
    )
    alerting = build_alerting(settings, store, base_url="http://127.0.0.1:8000", known_zone_ids={"SVZM"})
    assert alerting is not None
    outbox = OutboxStore.of(store)
    stop = asyncio.Event()
    dispatcher = asyncio.create_task(alerting.task()(stop))
    start = (store.checkpoint(CHECKPOINT) or {}).get("next", 0)
    print(f"resuming at incident {start}", flush=True)
    n, b = args.incidents, args.batch
    for first in range(start, n + b, b):
        opens = [change(i, ChangeAction.OPEN) for i in range(first, min(first + b, n))]
        closes = [change(i, ChangeAction.CLOSE) for i in range(max(0, first - b), min(first, n))]
        batch = StoreBatch(changes=opens + closes, checkpoint=(CHECKPOINT, {"next": first + b}))
        await asyncio.to_thread(store.apply, batch, alerting.engine)
        await asyncio.sleep(args.pause_s)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        counts = await asyncio.to_thread(outbox.counts)
        if counts["pending"] == counts["sending"] == 0:
            break
        await asyncio.sleep(0.1)
    stop.set()
    await dispatcher
    counts = outbox.counts()
    store.close()
    print(f"DONE {counts}", flush=True)
    return 0 if counts["delivered"] == 2 * n and counts["dead"] == 0 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--hook", required=True)
    parser.add_argument("--secret", default="fault-secret")
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--batch", type=int, default=5)
    parser.add_argument("--pause-s", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=4)
    sys.exit(asyncio.run(main(parser.parse_args())))
