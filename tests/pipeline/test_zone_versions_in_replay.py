"""A replay is evaluated against the zone versions in force at each fix's time (shipped SVZM
versions): November 2025 against the FAA advisory, 3 January 2026 against the prohibition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.capture import CaptureWriter
from monitor.config import Settings
from monitor.service.replay import replay
from monitor.service.runtime import build_runtime
from monitor.store import IncidentQuery
from tests.pipeline.fixtures import v2_aircraft, v2_record


@pytest.mark.parametrize(
    ("start", "version", "status", "severity", "authority"),
    [
        (datetime(2025, 11, 25, 12, 0, tzinfo=UTC), 1, "advisory", "medium", "FAA"),
        (datetime(2026, 1, 3, 12, 0, tzinfo=UTC), 3, "prohibited", "critical", "FAA"),
    ],
)
def test_svzm_version_in_force_at_the_fix_time(tmp_path, start, version, status, severity, authority):
    capture = tmp_path / "over_venezuela.jsonl"
    with CaptureWriter(capture) as w:
        for i in range(5):  # over central Venezuela, far from any boundary
            w.write(v2_record(start + timedelta(minutes=i), [v2_aircraft("0d0abc", -66.0 + 0.1 * i, 7.0)]))
    runtime = build_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'z.sqlite'}"))
    try:
        replay(runtime.pipeline, capture)
        rows, _ = runtime.store.query_incidents(IncidentQuery(kinds=("incursion",), zone="SVZM"))
    finally:
        runtime.close()
    assert len(rows) == 1
    inc = rows[0]
    assert inc.zone_version == version
    assert inc.severity == severity
    assert inc.details["zone_status"] == status
    assert inc.details["authority"] == authority
