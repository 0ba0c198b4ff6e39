"""`monitor replay` of a raw NMEA log, as an AIS receiver writes it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from monitor.capture.nmea_file import nmea_file_records
from monitor.cli.app import app
from monitor.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "maritime" / "caribbean_receiver.nmea"


def test_nmea_log_lines_become_ais_nmea_records(tmp_path):
    log = tmp_path / "receiver.nmea"
    log.write_text(
        "\\s:rx1,c:1764669600*00\\!AIVDM,1,1,,A,13aEOK?P00PD2wVMdLDRhgvL289?,0*26\n" * 3
        + "!AIVDM,1,1,,B,13aEOK?P00PD2wVMdLDRhgvL289?,0*25\n"
    )
    records = list(nmea_file_records(log, lines_per_record=2))
    assert [r.feed for r in records] == ["ais_nmea", "ais_nmea"]
    assert records[0].received_at == datetime(2025, 12, 2, 10, 0, tzinfo=UTC)
    assert records[1].received_at == records[0].received_at  # no tag time: the previous one
    assert [r.ref for r in records] == ["receiver.nmea:1", "receiver.nmea:3"]
    assert records[0].body.count("\n") == 1


def test_replay_of_a_receiver_log_stores_vessels(tmp_path):
    log = tmp_path / "caribbean.nmea"
    log.write_bytes(FIXTURE.read_bytes())
    url = f"sqlite:///{tmp_path / 'n.sqlite'}"
    result = CliRunner().invoke(app, ["--database-url", url, "replay", str(log)])
    assert result.exit_code == 0, result.output
    assert "observations" in result.output
    store = Store.open(url)
    try:
        with store.engine.connect() as conn:
            from sqlalchemy import text

            n_obs = conn.execute(text("select count(*) from observation")).scalar_one()
        assert n_obs > 0
    finally:
        store.close()


def test_real_receiver_log_with_tag_blocks(samples_dir, tmp_path):
    records = list(nmea_file_records(samples_dir / "ais_nmea_aisdb_tagblock_20211101.nm4"))
    assert len(records) == 5  # 1000 lines, 200 per record
    assert all(r.received_at.date().isoformat() == "2021-11-01" for r in records)
