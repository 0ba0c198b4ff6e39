"""monitor.sim.scoring: how incidents are matched to labels (data-driven cases)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.domain import IncidentKind
from monitor.sim.labels import Label, LabelSet
from monitor.sim.scoring import format_scores, score

CASES = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "sim" / "scoring_cases.json").read_text()
)["cases"]


def _t(hhmm: str | None) -> str | None:
    return None if hhmm is None else f"2025-12-02T{hhmm}:00Z"


def _labels(case: dict) -> LabelSet:
    labels = []
    for lab in case["L"]:
        labels.append(
            Label(
                kind=lab["kind"],
                subjects=tuple(lab["subjects"]),
                start=datetime.fromisoformat(_t(lab["start"])),
                end=datetime.fromisoformat(_t(lab["end"])),
                zone_id=lab.get("zone_id"),
                area=tuple(lab["area"]) if lab.get("area") else None,
                multiple=lab.get("multiple", False),
                optional=lab.get("optional", False),
            )
        )
    return LabelSet(
        scenario="case",
        description="",
        start=datetime(2025, 12, 2, 10, tzinfo=UTC),
        end=datetime(2025, 12, 2, 13, tzinfo=UTC),
        labels=tuple(labels),
        scored_kinds=tuple(case.get("scored_kinds", ())),
    )


def _incidents(case: dict) -> list[dict]:
    out = []
    for inc in case["I"]:
        doc = dict(inc)
        for key in ("started_at", "ended_at", "last_seen_at"):
            if key in doc:
                doc[key] = _t(doc[key])
        out.append(doc)
    return out


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_scoring_case(case: dict) -> None:
    scores = score(_incidents(case), _labels(case))
    assert set(scores) == set(case["expect"])
    for kind, (tp, fp, fn, precision, recall) in case["expect"].items():
        s = scores[kind]
        assert (s.tp, s.fp, s.fn) == (tp, fp, fn), (kind, s)
        assert s.precision == pytest.approx(precision)
        assert s.recall == pytest.approx(recall)


def test_incidents_may_be_objects_with_datetimes_and_enum_kinds() -> None:
    class Row:
        kind = IncidentKind.DROPOUT
        subject_id = "0c6011"
        zone_id = None
        started_at = datetime(2025, 12, 2, 11, 32, tzinfo=UTC)
        ended_at = datetime(2025, 12, 2, 11, 49, tzinfo=UTC)
        last_seen_at = None
        details: dict = {}

    label = Label(
        kind="dropout",
        subjects=("0c6011",),
        start=datetime(2025, 12, 2, 11, 31, tzinfo=UTC),
        end=datetime(2025, 12, 2, 11, 49, tzinfo=UTC),
    )
    s = score([Row()], [label])["dropout"]
    assert (s.tp, s.fp, s.fn) == (1, 0, 0)


def test_misses_and_false_positives_are_described_for_the_reader() -> None:
    label = Label(
        kind="loitering",
        subjects=("620997001",),
        start=datetime(2025, 12, 2, 10, 34, tzinfo=UTC),
        end=datetime(2025, 12, 2, 12, 30, tzinfo=UTC),
        note="KALIMA drifts",
    )
    wrong = {
        "kind": "loitering",
        "subject_id": "362003320",
        "started_at": "2025-12-02T11:30:00Z",
        "ended_at": "2025-12-02T12:30:00Z",
    }
    s = score([wrong], [label])["loitering"]
    assert s.missed and "KALIMA drifts" in s.missed[0]
    assert s.false_positives and "362003320" in s.false_positives[0]
    table = format_scores({"loitering": s})
    assert "loitering" in table and "BELOW" in table


def test_naive_times_are_refused() -> None:
    naive = datetime(2025, 12, 2, 11)  # noqa: DTZ001 - a naive time, on purpose
    bad = {"kind": "dropout", "subject_id": "x", "started_at": naive}
    with pytest.raises(ValueError, match="naive"):
        score([bad], [])


def test_an_incursion_for_an_aircraft_the_rule_does_not_bind_is_a_false_positive() -> None:
    """Incursion labels name the bound aircraft only: an incursion raised for a Venezuelan
    domestic flight, a foreign carrier or a military aircraft in the same FIR at the same
    time matches no label, and no label is a region-wide catch-all."""
    at = datetime(2026, 1, 3, 11, 0, tzinfo=UTC)
    label = Label(
        kind="incursion",
        subjects=("a1c4d2",),  # a US carrier's flight into Curacao
        start=at,
        end=at.replace(hour=11, minute=40),
        zone_id="TNCF",
    )
    raised = [
        {"kind": "incursion", "subject_id": hex_, "zone_id": zone, "started_at": at}
        for hex_, zone in (
            ("a1c4d2", "TNCF"),  # bound: matches
            ("0c2156", "TNCF"),  # Copa, same FIR, same time
            ("0d8101", "SVZM"),  # Venezuelan domestic
            ("ae5420", "TNCF"),  # US military
        )
    ]
    s = score(raised, [label])["incursion"]
    assert (s.tp, s.fp, s.fn) == (1, 3, 0)
    assert s.precision == pytest.approx(0.25) and s.recall == 1.0
    assert {fp.split()[1] for fp in s.false_positives} == {"0c2156", "0d8101", "ae5420"}
