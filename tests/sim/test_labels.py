"""The labels file: round trip, validation with clear messages, the shipped files' promises."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from monitor.domain import IncidentKind
from monitor.errors import ConfigError
from monitor.sim.labels import Label, LabelSet
from monitor.sim.shipped import shipped_paths

KINDS = {k.value for k in IncidentKind}


def _label(**kw: object) -> Label:
    base = dict(
        kind="rendezvous",
        subjects=("511100431", "667001983"),
        start=datetime(2025, 12, 2, 10, 22, tzinfo=UTC),
        end=datetime(2025, 12, 2, 12, 40, tzinfo=UTC),
        note="STS",
    )
    base.update(kw)
    return Label(**base)  # type: ignore[arg-type]


def test_round_trip(tmp_path: Path) -> None:
    ls = LabelSet(
        scenario="t",
        description="SYNTHETIC test",
        start=datetime(2025, 12, 2, 10, tzinfo=UTC),
        end=datetime(2025, 12, 2, 13, tzinfo=UTC),
        labels=(
            _label(),
            _label(
                kind="gnss_interference",
                subjects=(),
                multiple=True,
                area=(-70.4, 11.15, -67.6, 13.35),
            ),
        ),
        scored_kinds=("going_dark",),
    )
    path = tmp_path / "labels.json"
    ls.write(path)
    back = LabelSet.read(path)
    assert back.labels == ls.labels
    assert (back.scenario, back.start, back.end) == (ls.scenario, ls.start, ls.end)
    assert back.kinds() == ("gnss_interference", "going_dark", "rendezvous")
    doc = orjson.loads(path.read_bytes())
    assert doc["synthetic"] is True


def test_unknown_kind_is_rejected_with_its_index(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(
        orjson.dumps(
            {
                "scenario": "x",
                "start": "2025-12-02T10:00:00Z",
                "end": "2025-12-02T13:00:00Z",
                "labels": [
                    {
                        "kind": "incursion",
                        "subjects": [],
                        "start": "2025-12-02T10:00:00Z",
                        "end": "2025-12-02T11:00:00Z",
                    },
                    {
                        "kind": "teleport",
                        "subjects": [],
                        "start": "2025-12-02T10:00:00Z",
                        "end": "2025-12-02T11:00:00Z",
                    },
                ],
            }
        )
    )
    with pytest.raises(ConfigError, match=r"labels\[1\].*teleport"):
        LabelSet.read(path)


def test_end_before_start_is_rejected() -> None:
    with pytest.raises(ValueError, match="end before start"):
        _label(end=datetime(2025, 12, 2, 9, tzinfo=UTC))


def test_not_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{ not json")
    with pytest.raises(ConfigError, match="broken.json"):
        LabelSet.read(path)


@pytest.mark.parametrize("role", ["demo_labels", "outage_labels"])
def test_shipped_labels_say_synthetic_and_use_real_kinds(role: str) -> None:
    path = shipped_paths()[role]
    doc = orjson.loads(path.read_bytes())
    assert doc["synthetic"] is True
    assert "SYNTHETIC" in doc["description"]
    ls = LabelSet.read(path)
    assert ls.labels
    assert {lab.kind for lab in ls.labels} <= KINDS
    for lab in ls.labels:
        assert ls.start <= lab.start <= lab.end <= ls.end, lab


def test_demo_labels_cover_every_detector_kind_of_issues_4_and_5() -> None:
    ls = LabelSet.read(shipped_paths()["demo_labels"])
    required = {lab.kind for lab in ls.labels if not lab.optional}
    assert required >= {
        "incursion",
        "reroute",
        "boundary_avoidance",
        "turnback",
        "diversion",
        "emergency",
        "dropout",
        "gnss_interference",
        "position_jump",
        "military_presence",
        "traffic_collapse",
        "zone_entry",
        "going_dark",
        "loitering",
        "rendezvous",
        "spoofing",
        "fast_craft",
    }


def test_outage_labels_expect_no_going_dark_and_score_it() -> None:
    ls = LabelSet.read(shipped_paths()["outage_labels"])
    assert not ls.of_kind("going_dark")
    assert "going_dark" in ls.kinds()
    assert {s for lab in ls.of_kind("feed_health") for s in lab.subjects} == {
        "aisstream",
        "ais_nmea_tcp",
    }
