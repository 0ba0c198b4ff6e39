"""Traffic by operator: distinct flights per UTC day and FIR, and operator returns."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from monitor.detectors.aviation.operators import (
    OperatorDay,
    OperatorDayCounter,
    OperatorTrafficConfig,
    OperatorTrafficDetector,
    operator_returns,
)
from monitor.detectors.base import DetectionBatch
from monitor.domain import ChangeAction, IncidentKind, Severity
from monitor.domain.identity import AircraftIdentity
from monitor.identity.aircraft import AircraftIdentifier
from monitor.zones.bundled import load_bundled_zones
from tests.builders import aircraft
from tests.detectors.aviation.helpers import ContainmentView, state_with

D1 = datetime(2025, 11, 10, 14, 0, tzinfo=UTC)
CARACAS = (-66.9, 10.6)
AEA = AircraftIdentity(icao24="3443c1", registry_iso2="ES", operator_icao="AEA", operator_name="Air Europa")


def test_a_flight_is_one_aircraft_under_one_callsign_per_day_and_fir() -> None:
    c = OperatorDayCounter()
    t = D1
    assert c.add(t, "3443c1", "AEA91", ["SVZM"], AEA) == [(t.date(), "SVZM", "AEA", "ES")]
    assert c.add(t + timedelta(minutes=5), "3443c1", "AEA91", ["SVZM"], AEA) == []  # same flight
    c.add(t + timedelta(hours=3), "3443c1", "AEA92", ["SVZM", "TTZP"], AEA)  # the way back
    c.add(t + timedelta(days=1), "3443c1", "AEA91", ["SVZM"], AEA)  # the next day
    c.add(t, "a0b1c2", None, ["SVZM"], None)  # no call sign, no identity: still a flight
    assert c.rows() == [
        OperatorDay(date(2025, 11, 10), "SVZM", "", "", 1),
        OperatorDay(date(2025, 11, 10), "SVZM", "AEA", "ES", 2),
        OperatorDay(date(2025, 11, 10), "TTZP", "AEA", "ES", 1),
        OperatorDay(date(2025, 11, 11), "SVZM", "AEA", "ES", 1),
    ]


@pytest.mark.parametrize(
    ("days", "returns"),
    [
        ([0, 8], [(date(2025, 11, 18), 7)]),  # 7 empty days: a return
        ([0, 7], []),  # 6 empty days: not yet
        ([0, 1, 20], [(date(2025, 11, 30), 18)]),
        ([5], []),  # never seen before: a first flight, not a return
    ],
)
def test_returns_need_a_gap_of_seven_empty_days(days: list[int], returns: list[tuple[date, int]]) -> None:
    rows = [OperatorDay(D1.date() + timedelta(days=d), "SVZM", "AEA", "ES", 2) for d in days]
    rows.append(OperatorDay(D1.date() + timedelta(days=9), "SVZM", "", "US", 5))  # unknown operator
    assert [(r.day, r.gap_days) for r in operator_returns(rows)] == returns


def test_detector_raises_an_info_return_and_closes_it_when_the_day_ends() -> None:
    zones = [v for v in load_bundled_zones() if v.kind.value == "fir"]
    state = state_with(zones)
    det = OperatorTrafficDetector(OperatorTrafficConfig())
    det.use_identity(AircraftIdentifier().identify)
    lon, lat = CARACAS

    def batch(t: datetime, callsign: str = "AEA91") -> list:  # type: ignore[type-arg]
        fixes = [aircraft("3443c1", lon, lat, t, callsign=callsign)]
        return det.detect(DetectionBatch(fixes, ContainmentView(fixes, state.zones)), state, t)  # type: ignore[arg-type]

    assert batch(D1) == []  # first sight
    assert batch(D1 + timedelta(days=3)) == []  # a short gap
    opened = batch(D1 + timedelta(days=12))
    assert [(c.action, c.kind, c.severity, c.zone_id) for c in opened] == [
        (ChangeAction.OPEN, IncidentKind.OPERATOR_RETURN, Severity.INFO, "SVZM")
    ]
    assert "Air Europa (AEA) back through SVZM" in opened[0].summary
    assert opened[0].details["gap_days"] == 8
    assert batch(D1 + timedelta(days=12, hours=2), "AEA92") == []  # same day: no second event
    closed = batch(D1 + timedelta(days=13))
    assert [(c.action, c.dedupe_key) for c in closed] == [(ChangeAction.CLOSE, opened[0].dedupe_key)]
    svzm = [r for r in det.daily_counts() if r.zone_id == "SVZM"]
    assert svzm and all(r.operator_icao == "AEA" and r.registry_iso2 == "ES" for r in svzm)
