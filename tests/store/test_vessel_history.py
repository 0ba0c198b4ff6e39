"""A vessel's static data over time (``vessel_identity_history``), on SQLite and PostGIS:
first values, changes in order, nothing for repeats or for aids to navigation; and through
the pipeline, a rename inside a strike zone stored as history and raised as an incident."""

from __future__ import annotations

from datetime import datetime, timedelta

from pyais import encode_dict
from sqlalchemy import select

from monitor.capture import CaptureRecord
from monitor.detectors.maritime.identity_change import IdentityChangeDetector
from monitor.domain import AppliesTo, VesselInfo, ZoneKind, ZoneStatus
from monitor.geofence import Geofence, ZoneIndex
from monitor.pipeline import Pipeline
from monitor.store import IncidentQuery, Store, StoreBatch
from monitor.store.models import VesselIdentityHistoryRow
from tests.builders import at, box_zone

MMSI = "775123456"


def _history(store: Store, mmsi: str = MMSI) -> list[tuple[str, str | None, str, datetime]]:
    return [(r.attribute, r.old_value, r.new_value, r.changed_at) for r in store.vessel_history(mmsi)]


def test_first_values_then_changes_in_order(store):
    first = VesselInfo(MMSI, at(0), "aisstream", name="CARIBE STAR", callsign="YYAB3", imo=9123456,
                       ship_type=80, destination="LA GUAIRA")
    store.apply(StoreBatch(vessel_info=[first]))
    assert _history(store) == [
        ("name", None, "CARIBE STAR", at(0)),
        ("callsign", None, "YYAB3", at(0)),
        ("destination", None, "LA GUAIRA", at(0)),
        ("imo", None, "9123456", at(0)),
        ("ship_type", None, "80", at(0)),
    ]
    same = VesselInfo(MMSI, at(5), "ais_nmea", name="caribe  star@@", callsign="YYAB3")
    renamed = VesselInfo(MMSI, at(9), "ais_nmea", name="SEA SPIRIT", destination="PUERTO CABELLO")
    store.apply(StoreBatch(vessel_info=[same]))
    store.apply(StoreBatch(vessel_info=[renamed]))
    later = _history(store)[5:]
    assert later == [
        ("name", "CARIBE STAR", "SEA SPIRIT", at(9)),
        ("destination", "LA GUAIRA", "PUERTO CABELLO", at(9)),
    ]
    assert store.vessel(MMSI).name == "SEA SPIRIT"
    assert [r.attribute for r in store.vessel_history(MMSI, since=at(1), attributes=["name"])] == ["name"]
    assert store.vessel_history(MMSI, until=at(-1)) == []


def test_several_messages_of_one_batch_each_count(store):
    """Type 24 parts A and B, then a rename, all in one batch: nothing is lost."""
    part_a = VesselInfo(MMSI, at(0), "ais", name="LA GUAIRA EXPRESS")
    part_b = VesselInfo(MMSI, at(0, 5), "ais", callsign="YYAB", ship_type=37)
    rename = VesselInfo(MMSI, at(1), "ais", name="GUAIRA EXPRESS")
    store.apply(StoreBatch(vessel_info=[part_a, part_b, rename]))
    assert _history(store) == [
        ("name", None, "LA GUAIRA EXPRESS", at(0)),
        ("callsign", None, "YYAB", at(0, 5)),
        ("ship_type", None, "37", at(0, 5)),
        ("name", "LA GUAIRA EXPRESS", "GUAIRA EXPRESS", at(1)),
    ]


def test_aids_to_navigation_and_invalid_identities_keep_no_history(store):
    buoy = [VesselInfo("994008087", at(k), "ais", name=f"BUOY-007 {9 - k}V") for k in range(3)]
    store.apply(StoreBatch(vessel_info=[*buoy, VesselInfo("123456789", at(0), "ais", name="X")]))
    assert _history(store, "994008087") == [] and _history(store, "123456789") == []
    assert store.vessel("994008087") is not None  # the static data itself is kept


def test_history_rows_are_append_only_across_many_vessels(store):
    infos = [VesselInfo(f"77500{k:04d}", at(0), "ais", name=f"V{k}") for k in range(1200)]
    store.apply(StoreBatch(vessel_info=infos))
    store.apply(StoreBatch(vessel_info=[VesselInfo(i.mmsi, at(1), "ais", name=i.name + "X") for i in infos]))
    with store.engine.connect() as conn:
        rows = conn.execute(select(VesselIdentityHistoryRow.__table__)).all()
    assert len(rows) == 2400
    assert sum(1 for r in rows if r.old_value is not None) == 1200


# --- through the pipeline ----------------------------------------------------------------

STRIKE = box_zone("STRIKE-TEST", (-64.0, 11.0, -62.0, 12.0), kind=ZoneKind.STRIKE_ZONE,
                  status=ZoneStatus.ACTIVE, applies_to=AppliesTo.VESSELS, name="Test strike area")


def _nmea(t: datetime, *, lon: float, name: str | None = None, seq: int = 1) -> CaptureRecord:
    lines = encode_dict({"type": 1, "mmsi": int(MMSI), "lat": 11.5, "lon": lon, "speed": 8.0,
                         "course": 90.0}, talker_id="AI", sentence_type="VDM")
    if name is not None:
        lines += encode_dict({"type": 5, "mmsi": int(MMSI), "shipname": name, "callsign": "YYAB3",
                              "imo": 9123456, "ship_type": 80, "destination": "LA GUAIRA"},
                             talker_id="AI", sentence_type="VDM", seq_id=seq)
    return CaptureRecord("ais_nmea", t, "\n".join(lines), source="ais_nmea_tcp")


def test_a_rename_inside_a_strike_zone_is_kept_and_raised(store):
    pipeline = Pipeline(
        geofence=Geofence(ZoneIndex([STRIKE]), min_dwell_s=0, exit_grace_s=0),
        detectors=[IdentityChangeDetector()],
        store=store,
    )
    for k in range(60):
        name = "CARIBE STAR" if k == 0 else "SEA SPIRIT" if k == 20 else None
        pipeline.process([_nmea(at(k), lon=-63.5 + 0.002 * k, name=name, seq=k % 9 + 1)])
    pipeline.run_until(at(90))
    pipeline.flush()
    assert [(a, o, n) for a, o, n, _ in _history(store) if a == "name"] == [
        ("name", None, "CARIBE STAR"), ("name", "CARIBE STAR", "SEA SPIRIT"),
    ]
    rows, _ = store.query_incidents(IncidentQuery(kinds=("identity_change",)))
    (inc,) = rows
    assert inc.subject_id == MMSI and inc.severity == "high" and inc.zone_id == "STRIKE-TEST"
    assert inc.started_at == at(20) and inc.status == "closed"
    assert "CARIBE STAR -> SEA SPIRIT" in inc.summary
    assert pipeline.vessels[MMSI].name == "SEA SPIRIT"


def test_the_pipeline_keeps_type_24_parts_together(store):
    pipeline = Pipeline(geofence=Geofence(ZoneIndex([STRIKE]), min_dwell_s=0, exit_grace_s=0),
                        detectors=[], store=store)
    a = encode_dict({"type": 24, "mmsi": int(MMSI), "partno": 0, "shipname": "LANCHA UNO"},
                    talker_id="AI", sentence_type="VDM")
    b = encode_dict({"type": 24, "mmsi": int(MMSI), "partno": 1, "callsign": "YV1234", "ship_type": 37},
                    talker_id="AI", sentence_type="VDM")
    pipeline.process([CaptureRecord("ais_nmea", at(0), "\n".join([*a, *b]), source="rx")])
    pipeline.process([CaptureRecord("ais_nmea", at(0) + timedelta(minutes=1), "\n".join(a), source="rx")])
    pipeline.flush()
    info = pipeline.vessels[MMSI]
    assert (info.name, info.callsign, info.ship_type) == ("LANCHA UNO", "YV1234", 37)
    row = store.vessel(MMSI)
    assert (row.name, row.callsign, row.ship_type) == ("LANCHA UNO", "YV1234", 37)
