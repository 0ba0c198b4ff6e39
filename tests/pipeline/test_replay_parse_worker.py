"""A replay that reads and parses in a worker process stores exactly what an in-process
replay stores; the pipeline accounts for a worker's outcomes as for its own."""

from __future__ import annotations

import gzip
import logging
import os
import sqlite3
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.capture import CaptureRecord
from monitor.cli.app import app
from monitor.config import Settings
from monitor.errors import CaptureError
from monitor.feeds.batch import ParsedRecords, RecordParse
from monitor.service.replay import PARSE_WORKER_MIN_BYTES, replay, use_parse_worker
from monitor.service.runtime import build_runtime
from tests.pipeline.test_pipeline import make_pipeline

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "monitor" / "sim" / "data" / "demo_scenario.jsonl.gz"
LINES = 1500  # 10:00 to about 11:30Z: ADS-B, OpenSky, aisstream, NMEA and NGA records


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("worker") / "demo_part.jsonl"
    with gzip.open(DEMO, "rb") as src, path.open("wb") as dst:
        for _, line in zip(range(LINES), src, strict=False):
            dst.write(line)
    return path


def _stored(db: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(db)
    try:
        return {
            table: sorted(con.execute(query).fetchall(), key=repr)
            for table, query in {
                "incidents": "SELECT dedupe_key, kind, status, severity, started_at, ended_at, "
                "subject_id, zone_id, details FROM incident",
                "positions": "SELECT * FROM observation",
                "vessels": "SELECT * FROM vessel_info",
                "outages": "SELECT * FROM feed_outage",
                "zones": "SELECT zone_id, version, valid_from FROM zone_version",
            }.items()
        }
    finally:
        con.close()


def _run(capture: Path, db: Path, parse_worker: bool) -> tuple[dict, dict, dict]:
    runtime = build_runtime(Settings(database_url=f"sqlite:///{db}"))
    try:
        report = replay(runtime.pipeline, capture, parse_worker=parse_worker, finish_s=1800)
        health = {
            src: (st.kind, st.records, st.items, dict(st.errors), st.last_data_at)
            for src, st in runtime.pipeline.health.feeds.items()
        }
    finally:
        runtime.close()
    assert report.parse_worker is parse_worker
    if parse_worker and os.path.exists("/proc/self/status"):  # the worker's peak, as it said
        assert (report.parse_worker_peak_rss_bytes or 0) > 10 * 1024**2
    stats = asdict(report.stats)
    stats.pop("seconds")
    return stats, health, _stored(db)


def test_a_worker_replay_stores_what_an_in_process_replay_stores(capture: Path, tmp_path: Path) -> None:
    here = _run(capture, tmp_path / "here.sqlite", parse_worker=False)
    there = _run(capture, tmp_path / "worker.sqlite", parse_worker=True)
    stats, health, stored = here
    assert stats["observations"] > 5000 and stats["opened"] > 10  # a replay worth comparing
    assert stats["notices"] + stats["zone_versions"] > 0  # deferred NGA records included
    assert len(stored["positions"]) > 1000 and stored["vessels"]
    assert there[0] == stats
    assert there[1] == health
    for table in stored:
        assert there[2][table] == stored[table], table


def test_a_missing_capture_is_named_with_or_without_a_worker(tmp_path: Path) -> None:
    pipeline = make_pipeline(None)
    for worker in (True, False):
        with pytest.raises(CaptureError, match="missing.jsonl does not exist"):
            replay(pipeline, tmp_path / "missing.jsonl", parse_worker=worker)


def test_the_worker_is_used_for_large_files_unless_told(tmp_path: Path) -> None:
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"\n")
    assert not use_parse_worker(small, None)
    assert use_parse_worker(small, True)
    big = tmp_path / "big.jsonl"
    with big.open("wb") as f:
        f.truncate(PARSE_WORKER_MIN_BYTES)
    assert use_parse_worker(big, None) is (len(os.sched_getaffinity(0)) >= 2)
    assert not use_parse_worker(big, False)


def test_a_parser_bug_reported_by_a_worker_is_logged_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    pipeline = make_pipeline(None)
    at = datetime(2025, 11, 24, 12, 0, tzinfo=UTC)
    records = [CaptureRecord("aisstream", at, None, source="aisstream", ref="cap:7")]
    trace = 'Traceback (most recent call last):\n  File "x.py", line 1\nKeyError: \'Message\'\n'
    parsed = ParsedRecords(outcomes=[RecordParse(failure="parser_bug", detail=trace, bug=True)])
    with caplog.at_level(logging.ERROR, logger="monitor.pipeline.core"):
        stats = pipeline.process(records, parsed=parsed)
    assert stats.unusable_bodies == {"aisstream:parser_bug": 1}
    assert "parser for aisstream failed on record cap:7" in caplog.text
    assert "KeyError: 'Message'" in caplog.text
    st = pipeline.health.feeds["aisstream"]
    assert st.errors == {"parser_bug": 1}
    assert st.last_error == "parser_bug: KeyError: 'Message'"


def test_outcomes_of_another_batch_are_refused() -> None:
    pipeline = make_pipeline(None)
    at = datetime(2025, 11, 24, 12, 0, tzinfo=UTC)
    records = [CaptureRecord("aisstream", at, None, ref="cap:1")] * 2
    with pytest.raises(ValueError, match="1 parse outcome"):
        pipeline.process(records, parsed=ParsedRecords(outcomes=[RecordParse()]))


def test_the_cli_says_when_a_worker_read_the_file(capture: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    report = tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["--database-url", url, "replay", str(capture), "--parse-worker", "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert "(read and parsed in a worker process)" in result.output
    assert b'"parse_worker": true' in report.read_bytes()


def test_no_worker_on_a_process_pinned_to_one_core(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.jsonl"
    with big.open("wb") as f:
        f.truncate(PARSE_WORKER_MIN_BYTES)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert not use_parse_worker(big, None)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert use_parse_worker(big, None)
