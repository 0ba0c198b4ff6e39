"""Capture generation: deterministic, byte-identical to the shipped files, outage honoured."""

from __future__ import annotations

import gzip
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.capture import CaptureReader
from monitor.sim.generator import capture_bytes
from monitor.sim.scenario import build_demo, build_outage, build_scenario
from monitor.sim.shipped import shipped_paths, write_shipped


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_shipped(tmp_path_factory.mktemp("sim-data"))


@pytest.mark.parametrize(
    "role", ["demo_capture", "demo_labels", "demo_routes", "outage_capture", "outage_labels"]
)
def test_regenerating_gives_the_shipped_files(regenerated: dict[str, Path], role: str) -> None:
    """If this fails, the scenario code changed: run `python -m monitor.sim`, check the
    labels still hold (tests/sim/test_scenario_geometry.py) and ship the new files."""
    shipped = shipped_paths()[role]
    new = regenerated[role]
    if shipped.suffix == ".gz":
        # compare the content: another zlib may compress the same bytes differently
        assert gzip.decompress(new.read_bytes()) == gzip.decompress(shipped.read_bytes())
    else:
        assert new.read_bytes() == shipped.read_bytes()


def test_gzip_output_carries_no_timestamp_or_name(regenerated: dict[str, Path]) -> None:
    head = regenerated["demo_capture"].read_bytes()[:10]
    assert head[:2] == b"\x1f\x8b"
    assert head[3] & 0x08 == 0  # FNAME flag clear
    assert head[4:8] == b"\x00\x00\x00\x00"  # MTIME zero


def test_seed_changes_jitter_not_the_story() -> None:
    a, b = build_demo(seed=1, hours=0.5), build_demo(seed=2, hours=0.5)
    assert [lab.to_json() for lab in a.labels] == [lab.to_json() for lab in b.labels]
    assert capture_bytes(a) != capture_bytes(b)
    assert capture_bytes(a) == capture_bytes(build_demo(seed=1, hours=0.5))


def test_hours_shortens_the_capture_and_its_labels() -> None:
    short = build_scenario("demo", hours=1.0)
    assert short.end_s - short.start_s == 3600.0
    assert all(lab.start < short.end for lab in short.labels)
    assert all(lab.end <= short.end for lab in short.labels)
    assert not any(lab.kind == "emergency" and lab.start.hour >= 12 for lab in short.labels)


def test_unknown_scenario_name_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown scenario 'nope'"):
        build_scenario("nope")


def test_outage_capture_has_the_ais_gap_and_keeps_other_feeds() -> None:
    scn = build_outage()
    recs = list(CaptureReader(shipped_paths()["outage_capture"]))
    ais = [r.received_at for r in recs if r.feed in ("aisstream", "ais_nmea")]
    other = [r.received_at for r in recs if r.feed == "adsbx_v2"]
    gap_start, gap_end = scn.start + timedelta(minutes=40), scn.start + timedelta(minutes=170)
    assert not [t for t in ais if gap_start < t < gap_end]
    assert max(t for t in ais if t <= gap_start) > gap_start - timedelta(minutes=2)
    assert min(t for t in ais if t >= gap_end) < gap_end + timedelta(minutes=2)
    assert len([t for t in other if gap_start < t < gap_end]) > 400


def test_outage_scenario_has_no_vessel_going_dark() -> None:
    """Every vessel keeps transmitting through the feed outage (and moves meanwhile)."""
    scn = build_outage()
    moved = 0
    for v in scn.voyages:
        a, b = v.path.position(scn.start_s + 2400), v.path.position(scn.start_s + 10200)
        moved += a != b
        times = [t for t in v.report_times if scn.start_s <= t <= scn.end_s]
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert max(gaps) <= 185, (v.hull.name, max(gaps))
    assert moved >= len(scn.voyages) - 2
