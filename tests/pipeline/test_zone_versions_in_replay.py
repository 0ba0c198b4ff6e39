"""A replay is evaluated against the zone versions in force at each fix's time (shipped SVZM
versions), and only the rules that bind the aircraft count: in November 2025 the FAA
advisory bound nobody; on 3 January 2026 the FAA prohibition bound US operators, not a
Venezuelan domestic flight; after 4 January 05:00Z only cautions remained."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.capture import CaptureWriter
from monitor.config import Settings
from monitor.service.replay import replay
from monitor.service.runtime import build_runtime
from monitor.store import IncidentQuery
from tests.pipeline.fixtures import v2_aircraft, v2_record

US_PRIVATE = ("a6b5c4", "N518JA  ")  # an address in the US block, an N-number call sign
VE_DOMESTIC = ("0d8123", "VCV100  ")  # a Venezuelan address, Conviasa's designator


@pytest.mark.parametrize(
    ("start", "who", "expected"),
    [
        (datetime(2025, 11, 25, 12, 0, tzinfo=UTC), US_PRIVATE, None),
        (datetime(2026, 1, 3, 12, 0, tzinfo=UTC), US_PRIVATE, (8, "prohibited", "critical")),
        (datetime(2026, 1, 3, 12, 0, tzinfo=UTC), VE_DOMESTIC, None),
        (datetime(2026, 1, 4, 6, 0, tzinfo=UTC), US_PRIVATE, None),
    ],
)
def test_svzm_version_in_force_at_the_fix_time(tmp_path, start, who, expected):
    capture = tmp_path / "over_venezuela.jsonl"
    hex_id, flight = who
    with CaptureWriter(capture) as w:
        for i in range(5):  # over central Venezuela, far from any boundary
            w.write(v2_record(start + timedelta(minutes=i),
                              [v2_aircraft(hex_id, -66.0 + 0.1 * i, 7.0, flight=flight)]))
    runtime = build_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'z.sqlite'}"))
    try:
        replay(runtime.pipeline, capture)
        rows, _ = runtime.store.query_incidents(IncidentQuery(kinds=("incursion",), zone="SVZM"))
    finally:
        runtime.close()
    if expected is None:
        assert rows == []
        return
    version, status, severity = expected
    assert len(rows) == 1
    inc = rows[0]
    assert inc.zone_version == version
    assert inc.severity == severity
    assert inc.details["rule_kind"] == status
    assert inc.details["authority"] == "FAA"
    assert inc.details["bound"] == "bound" and inc.details["registry"] == "US"
