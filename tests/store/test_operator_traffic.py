"""The ``operator_traffic`` table and the counts behind ``/api/stats/operators``, on SQLite
and PostGIS: rows round-trip and are replaced per day, stored positions become distinct
flights per day, operator and State of registry, and an operator's first flight after a
gap of 7 days or more is an operator return."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.store import StoreBatch
from monitor.store.repository import operator_traffic, replace_operator_traffic
from monitor.web.api_status_board import operator_stats
from monitor.zones.bundled import load_bundled_zones
from tests.builders import aircraft

D1 = datetime(2025, 11, 10, tzinfo=UTC)
CARACAS = (-66.9, 10.6)  # inside the Maiquetia FIR


def test_rows_round_trip_and_are_replaced_per_day(store) -> None:  # type: ignore[no-untyped-def]
    d2 = D1 + timedelta(days=1)
    replace_operator_traffic(store, [D1, d2], [
        (D1, "SVZM", "AEA", "ES", 3), (D1, "SVZM", "", "US", 1), (d2, "TJZS", "AAL", "US", 7),
    ])
    assert operator_traffic(store, zone_id="SVZM") == [(D1, "SVZM", "", "US", 1), (D1, "SVZM", "AEA", "ES", 3)]
    replace_operator_traffic(store, [D1], [(D1, "SVZM", "IBE", "ES", 2)])
    assert operator_traffic(store, since=D1, until=d2) == [(D1, "SVZM", "IBE", "ES", 2)]
    assert operator_traffic(store, zone_id="TJZS") == [(d2, "TJZS", "AAL", "US", 7)]


def test_stored_positions_become_flights_and_a_return(store) -> None:  # type: ignore[no-untyped-def]
    lon, lat = CARACAS
    obs = []
    for day in (0, 9):  # Air Europa on D1, then nothing for 8 days, then back
        t = D1 + timedelta(days=day, hours=14)
        obs += [aircraft("3443c1", lon, lat, t + timedelta(minutes=m), callsign="AEA91") for m in (0, 1, 2)]
        obs.append(aircraft("3443c1", lon, lat, t + timedelta(hours=3), callsign="AEA92"))  # the way back
    obs.append(aircraft("a0b1c2", lon, lat, D1 + timedelta(hours=9), callsign="N518JA"))  # US private
    obs.append(aircraft("a0b1c3", -40.0, 10.0, D1 + timedelta(hours=9), callsign="AAL1"))  # outside every FIR
    store.apply(StoreBatch(observations=obs))
    zones = load_bundled_zones()
    stats = operator_stats(
        store, zones, zone="SVZM", since=D1, until=D1 + timedelta(days=10),
        baseline_since=D1, baseline_until=D1 + timedelta(days=1),
    )
    assert stats["days"] == [{"day": "2025-11-10", "flights": 3}, {"day": "2025-11-19", "flights": 2}]
    aea = next(o for o in stats["operators"] if o["key"] == "AEA")
    assert aea["flights"] == 4 and aea["baseline_per_day"] == 2.0
    assert {r["key"]: r["flights"] for r in stats["registries"]} == {"ES": 4, "US": 1}
    assert [(r["operator_icao"], r["day"], r["gap_days"]) for r in stats["operator_returns"]] == [
        ("AEA", "2025-11-19", 8)
    ]
    assert "AEA back through SVZM on 2025-11-19" in stats["operator_returns"][0]["text"]
    # counted once, stored: a second read finds the same rows
    assert sum(r[4] for r in operator_traffic(store, zone_id="SVZM")) == 5
