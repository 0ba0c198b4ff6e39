"""``monitor backfill`` end to end on both backends: files merged in data time through the
pipeline, incidents as if live, idempotence, cuts, coverage, and bad input."""

from __future__ import annotations

import gzip
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.backfill.run import Cut, backfill, run_backfill_report
from monitor.config import load_settings
from monitor.errors import MonitorError
from monitor.service.runtime import Runtime, build_runtime
from monitor.store import IncidentQuery
from monitor.store.models import ObservationRow
from monitor.store.repository import coverage
from tests.backfill.builders import BAN_T0, ais_rows, write_ais, write_trace

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config" / "monitor.yaml"


def runtime_for(url: str) -> Runtime:
    return build_runtime(load_settings(CONFIG, overrides={"database_url": url}))


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    rt = runtime_for(database_url)
    try:
        yield rt
    finally:
        rt.close()


def incidents(rt: Runtime) -> list:
    rows, _ = rt.store.query_incidents(IncidentQuery(limit=1000))
    return sorted(rows, key=lambda r: r.dedupe_key)


def stored_positions(rt: Runtime) -> int:
    with rt.store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ObservationRow.__table__)).scalar_one())


def test_trace_and_ais_merged_and_incursion_raised_as_if_live(runtime: Runtime, tmp_path: Path) -> None:
    write_trace(tmp_path, "a1b2c3")
    write_ais(tmp_path, "AIS_2026_01_03.csv", ais_rows("636021061", BAN_T0, 60))
    seen: list[datetime] = []
    pipeline = runtime.pipeline
    original = pipeline.process

    def spy(records, **kw):  # type: ignore[no-untyped-def]
        parsed = kw["parsed"]
        seen.extend(o.time for o in parsed.observations)
        return original(records, **kw)

    pipeline.process = spy  # type: ignore[method-assign]
    report = backfill(pipeline, [str(tmp_path)])
    assert seen == sorted(seen) and len(seen) == 300  # one data-time order across the files
    inc = [r for r in incidents(runtime) if r.kind == "incursion"]
    assert [(r.subject_id, r.zone_id, r.severity) for r in inc] == [("a1b2c3", "SVZM", "critical")]
    evidence = runtime.store.incident(inc[0].id)["evidence"]
    assert evidence and all(e.record_ref.startswith("trace_full_a1b2c3.json:") for e in evidence)
    assert not [r for r in incidents(runtime) if r.kind == "feed_health"]  # end of archive is no outage
    assert report.stats.observations == 300 and report.stats.opened >= 1
    text = "\n".join(run_backfill_report(report))
    assert "trace_full_a1b2c3.json [readsb_trace]: 240 rows, 240 positions" in text
    assert "AIS_2026_01_03.csv [marinecadastre]: 60 rows, 60 positions" in text


def test_importing_the_same_files_twice_adds_nothing(database_url: str, tmp_path: Path) -> None:
    trace = write_trace(tmp_path, "a1b2c3")
    rt = runtime_for(database_url)
    try:
        first = backfill(rt.pipeline, [str(trace)])
        before = (len(incidents(rt)), stored_positions(rt), coverage(rt.store))
    finally:
        rt.close()
    assert first.stats.observations == 240 and before[0] >= 1 and before[1] > 0
    copy = tmp_path / "elsewhere" / "renamed.json"
    copy.parent.mkdir()
    copy.write_bytes(trace.read_bytes())
    rt = runtime_for(database_url)
    try:
        again = backfill(rt.pipeline, [str(trace), str(copy)])
        after = (len(incidents(rt)), stored_positions(rt), coverage(rt.store))
    finally:
        rt.close()
    assert again.stats.observations == 0 and not again.files
    assert [p for p, _ in again.already] == [str(trace), str(copy)]
    assert after == before
    assert "already imported" in "\n".join(run_backfill_report(again))


def test_cuts_by_time_and_box_are_counted(runtime: Runtime, tmp_path: Path) -> None:
    write_trace(tmp_path, "a1b2c3")  # 240 rows, 15 s apart, from 08:00Z
    cut = Cut(since=BAN_T0 + timedelta(minutes=10), until=BAN_T0 + timedelta(minutes=40),
              bbox=(-70.0, 12.0, -60.0, 14.0))
    report = backfill(runtime.pipeline, [str(tmp_path)], cut=cut)
    tally = report.files[0]
    kept = [i for i in range(240) if 40 <= i <= 160 and 13.5 - i * 0.015 >= 12.0]
    assert tally.observations == report.stats.observations == len(kept)
    assert tally.cut["outside_time"] == 240 - 121
    assert tally.cut["outside_bbox"] == 121 - len(kept)


def test_coverage_per_source_and_hour_and_the_api(runtime: Runtime, tmp_path: Path) -> None:
    write_trace(tmp_path, "a1b2c3")  # 08:00-08:59:45Z
    write_ais(tmp_path, "AIS.csv", ais_rows("636021061", BAN_T0 + timedelta(minutes=30), 60))
    backfill(runtime.pipeline, [str(tmp_path)])
    rows = coverage(runtime.store)
    h8, h9 = BAN_T0, BAN_T0 + timedelta(hours=1)
    assert rows == [("marinecadastre", h8, 30), ("marinecadastre", h9, 30), ("readsb_history", h8, 240)]
    assert coverage(runtime.store, since=h9 + timedelta(minutes=5)) == [("marinecadastre", h9, 30)]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*starlette.testclient.*")
        from fastapi.testclient import TestClient

    from monitor.web.app import create_app
    from tests.web import scenario

    with TestClient(create_app(scenario.services(runtime.store))) as c:
        body = c.get("/api/coverage", params={"since": "2026-01-03T09:00Z"}).json()
        assert body == {"sources": [{"source": "marinecadastre", "hours": [
            {"hour": "2026-01-03T09:00:00Z", "positions": 30}]}]}
        assert c.get("/api/coverage", params={"since": "nonsense"}).status_code == 400


def test_bad_input_is_counted_by_file_reason_and_line_and_the_import_goes_on(
    runtime: Runtime, tmp_path: Path
) -> None:
    folder = tmp_path / "in"  # the SQLite database lives in tmp_path
    folder.mkdir()
    rows = ais_rows("636021061", BAN_T0, 50)
    rows[4] = rows[4].replace(",12.00400,", ",123.0,")  # line 6: latitude out of range
    rows[9] = rows[9].replace("2026-01-03T08:09:00", "yesterday")  # line 11: bad time
    rows[19] = "636021061,2026-01-03T07:00:00,12.0,-64.0,6.0,0.0,0.0,X,,,70,0,,,,,A"  # line 21: an hour late
    write_ais(folder, "bad.csv", rows)
    data = gzip.compress(("\n".join(["MMSI,BaseDateTime,LAT,LON", *[
        ",".join(r.split(",")[:4]) for r in ais_rows("366000001", BAN_T0, 400)]]) + "\n").encode())
    (folder / "cut.csv.gz").write_bytes(data[: len(data) // 2])  # a download cut short
    doc = b'{"icao":"a1b2c3","timestamp":1767427200,"trace":[[0,12.0,-66.0,1000,1,1,0,0,null,"x"],'
    (folder / "trace_full_a1b2c3.json").write_bytes(doc)  # truncated JSON
    (folder / "notes.txt").write_text("nothing to import here\n")
    back = [[0.0, 12.0, -66.0, 1000, 200.0, 1.0, 0, 0, None, "adsb_icao"],
            [60.0, 12.1, -66.0, 1000, 200.0, 1.0, 0, 0, None, "adsb_icao"],
            [30.0, 12.2, -66.0, 1000, 200.0, 1.0, 0, 0, None, "adsb_icao"]]
    import orjson

    (folder / "trace_full_a00001.json").write_bytes(orjson.dumps(
        {"icao": "a00001", "timestamp": BAN_T0.timestamp(), "trace": back}))
    report = backfill(runtime.pipeline, [str(folder)])
    files = {Path(f.path).name: f for f in report.files}
    bad = files["bad.csv"]
    assert bad.skipped == {"bad_coordinates": 1, "bad_time": 1, "out_of_order": 1}
    assert bad.examples["bad_coordinates"][0][0] == 6 and bad.examples["bad_time"][0][0] == 11
    assert bad.examples["out_of_order"][0][0] == 21 and bad.observations == 47
    cut = files["cut.csv.gz"]
    assert cut.skipped["truncated_file"] == 1 and 0 < cut.observations < 400
    assert files["trace_full_a1b2c3.json"].skipped["truncated_file"] == 1
    assert files["trace_full_a00001.json"].skipped == {"time_backwards": 1}
    assert files["trace_full_a00001.json"].examples["time_backwards"][0][0] == 3
    assert [(Path(p).name, "tried: capture, nmea, readsb_trace" in why) for p, why in report.not_read] == [
        ("notes.txt", True)]
    assert report.stats.observations == 47 + cut.observations + 2
    text = "\n".join(run_backfill_report(report))
    assert "skipped 1 bad_coordinates: line 6" in text and "not read:" in text
    # nothing stored twice: one stored position per subject and minute at most
    with runtime.store.engine.connect() as conn:
        t = ObservationRow.__table__
        dup = conn.execute(
            select(t.c.subject_id, t.c.observed_at, func.count()).group_by(
                t.c.subject_id, t.c.observed_at).having(func.count() > 1)
        ).all()
    assert dup == []


def test_an_interrupted_import_is_refused_without_resume(runtime: Runtime, tmp_path: Path) -> None:
    from monitor.backfill.run import BackfillReport, plan, run_name
    from monitor.store import StoreBatch

    write_trace(tmp_path, "a1b2c3")
    name = run_name(plan([str(tmp_path)], runtime.store, BackfillReport()), Cut())
    runtime.store.apply(StoreBatch(checkpoint=(name, {"batch": 3})))
    with pytest.raises(MonitorError, match="--resume"):
        backfill(runtime.pipeline, [str(tmp_path)])


def test_a_path_that_names_nothing_is_a_user_error(runtime: Runtime, tmp_path: Path) -> None:
    with pytest.raises(MonitorError, match="no such file"):
        backfill(runtime.pipeline, [str(tmp_path / "missing-*.json")])


def test_the_shipped_samples_together(runtime: Runtime, samples_dir: Path) -> None:
    names = ["readsb_trace_full_ac671b_20250204.json", "opensky_tracks_all_HK5220_0ac382.json",
             "opensky_flights_all_20180129.json", "ais_marinecadastre_AIS_2024_01_01_first500.csv",
             "ais_marinecadastre_aisdb_noaa_20230111_1000rows.csv",
             "nga_msi_broadcast_warn_2023-04.json"]
    report = backfill(runtime.pipeline, [str(samples_dir / n) for n in names])
    assert report.stats.observations == 2425 + 40 + 499 + 1000
    assert report.routes == 85 - 3  # three flights name airports airportsdata does not know
    assert report.stats.zone_versions > 0  # the archived warnings, by the live parser
    warnings_ = [v for v in runtime.pipeline.geofence.index.versions if v.zone_id.startswith(("NAVAREA", "HYDROLANT"))]
    assert warnings_ and all(v.valid_from is not None for v in warnings_)
    _ = datetime.now(tz=UTC)


def test_reading_in_a_worker_process_stores_the_same(tmp_path: Path) -> None:
    from tests.reliability.test_kill_resume import _difference, read_stored

    folder = tmp_path / "in"
    folder.mkdir()
    write_trace(folder, "a1b2c3")
    write_trace(folder, "0d0d0d", BAN_T0 + timedelta(minutes=20), 200, lat0=12.8, lon0=-69.0)
    write_ais(folder, "AIS.csv.gz", ais_rows("636021061", BAN_T0, 120), gz=True)
    results = []
    for worker in (False, True):
        rt = runtime_for(f"sqlite:///{tmp_path / f'w{worker}.sqlite'}")
        try:
            report = backfill(rt.pipeline, [str(folder)], parse_worker=worker, batch_span_s=30.0)
            results.append((read_stored(rt.store.engine, "-"), coverage(rt.store), report))
        finally:
            rt.close()
    (a, cov_a, rep_a), (b, cov_b, rep_b) = results
    assert rep_b.parse_worker and not rep_a.parse_worker
    assert b == a, _difference(b, a)
    assert cov_b == cov_a and a.incidents
    assert [f.as_dict() for f in rep_b.files] == [f.as_dict() for f in rep_a.files]


def test_archived_warnings_in_force_as_they_were_cancelled_ones_included(
    runtime: Runtime, tmp_path: Path
) -> None:
    import orjson

    def warning(number: int, status: str, cancel: str | None) -> dict:
        return {
            "msgYear": 2025, "msgNumber": number, "navArea": "4", "subregion": "24",
            "text": ("CARIBBEAN SEA.\nVENEZUELA.\n1. HAZARDOUS OPERATIONS IN AREA BOUND BY\n"
                     "   12-00.00N 067-00.00W, 12-00.00N 066-00.00W,\n"
                     "   11-30.00N 066-00.00W, 11-30.00N 067-00.00W.\n"),
            "status": status, "issueDate": "011200Z DEC 2025", "authority": "TEST",
            "cancelDate": cancel, "cancelNavArea": None, "cancelMsgYear": None,
            "cancelMsgNumber": None, "year": 2025, "area": "4", "number": number,
        }

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "navarea_iv_2025-12.json").write_bytes(orjson.dumps({"broadcast-warn": [
        warning(901, "A", None), warning(902, "C", "051800Z DEC 2025")]}))
    report = backfill(runtime.pipeline, [str(folder)])
    assert report.stats.zone_versions == 2
    got = {v.zone_id: v for v in runtime.pipeline.geofence.index.versions
           if v.zone_id.startswith("NAVAREA-IV-90")}
    active, cancelled = got["NAVAREA-IV-901-2025"], got["NAVAREA-IV-902-2025"]
    assert active.valid_from == cancelled.valid_from == datetime(2025, 12, 1, 12, 0, tzinfo=UTC)
    assert active.valid_to is None
    assert cancelled.valid_to == datetime(2025, 12, 5, 18, 0, tzinfo=UTC)
    stored = {v.zone_id for v in runtime.store.list_versions()}
    assert {"NAVAREA-IV-901-2025", "NAVAREA-IV-902-2025"} <= stored
