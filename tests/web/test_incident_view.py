"""What the incident page says: its opening sentence, its details in words and units, and
its evidence without repeats (``monitor.web.incident_view``; pure, no app)."""

from __future__ import annotations

import pytest

from monitor.web.incident_view import (
    detail_rows,
    detail_value,
    distinct_evidence,
    fmt_duration,
    fmt_time,
    great_circle,
    incident_sentence,
    key_label,
)

INCURSION = {
    "zone_name": "Maiquetia FIR (SVZM)",
    "zone_status": "prohibited",
    "dwell_s": 10555.2,
    "rule": "SVZM@v8",
    "rule_kind": "prohibited",
    "authority": "FAA",
    "source_ref": "FAA prohibition NOTAM for US operators in SVZM, 2026-01-03",
    "binds": "operators:US",
    "binds_whom": "US operators and US-registered civil aircraft (foreign carriers and state aircraft exempt)",
    "bound": "bound",
    "why": "N650SM, US-registered, no airline designator in its call sign: US-registered, no foreign carrier named",
    "identity": "N650SM, US-registered, no airline designator in its call sign",
    "incident": "N650SM inside Maiquetia FIR (SVZM): bound by FAA prohibited (ref): ...",
    "entered_at": "2026-01-03T10:01:30+00:00",
    "exited_at": "2026-01-03T10:40:41.963000+00:00",
}


def test_incursion_sentence_names_the_rule_whom_it_binds_and_why():
    lead, more = incident_sentence("incursion", "raw summary", INCURSION, subject="N650SM", status="open")
    assert lead == ("N650SM was inside Maiquetia FIR (SVZM) while the FAA prohibition SVZM@v8 was in force, "
                    "a rule that binds it.")
    assert "The rule binds US operators and US-registered civil aircraft (foreign carriers and state aircraft exempt)." in more
    assert more[-1].startswith("Why this aircraft: N650SM, US-registered")


@pytest.mark.parametrize(("bound", "verb"), [("possibly", "a rule that may bind it"),
                                              ("not_bound", "a rule that does not bind it")])
def test_incursion_sentence_says_when_the_rule_may_not_bind(bound, verb):
    lead, _ = incident_sentence("incursion", None, {**INCURSION, "bound": bound}, subject="YV2855")
    assert lead.endswith(verb + ".")


def test_a_closed_incursion_says_why_it_closed():
    lost = {**INCURSION, "closed_because": "lost_contact"}
    _, more = incident_sentence("incursion", None, lost, subject="N650SM", status="closed",
                                ended_at="2026-01-03T10:40:41.963Z")
    assert more[-1].startswith("Closed at 2026-01-03 10:40:41 UTC: contact was lost while it was still inside")
    ended = {**INCURSION, "closed_because": "rule_ended", "rule_ended": "rule ended: SVZM@v8 (FAA) is no longer in force"}
    _, more = incident_sentence("incursion", None, ended, subject="N650SM", status="closed",
                                ended_at="2026-01-04T05:00:00Z")
    assert more[-1] == "Closed at 2026-01-04 05:00:00 UTC: rule ended: SVZM@v8 (FAA) is no longer in force."
    left = {k: v for k, v in INCURSION.items() if k != "closed_because"}
    _, more = incident_sentence("incursion", None, left, subject="N650SM", status="closed",
                                ended_at="2026-01-03T10:40:41Z")
    assert more[-1] == "Closed at 2026-01-03 10:40:41 UTC: it left the zone at 2026-01-03 10:40:41 UTC."


def test_other_kinds_compose_their_sentence():
    lead, _ = incident_sentence("reroute", "summary", {"dispatcher_note": "AVA256 SKBO -> TNCC: ..."})
    assert lead == "AVA256 SKBO -> TNCC: ..."
    lead, more = incident_sentence("going_dark", "mar azul silent for 45 min in STRIKE-EAST", {}, status="open")
    assert lead == "Mar azul silent for 45 min in STRIKE-EAST." and more == []


@pytest.mark.parametrize(("key", "value", "text"), [
    ("dwell_s", 10555.2, "2 h 55 min"),
    ("dwell_s", 42.4, "42 s"),
    ("gap_s", 754, "12 min 34 s"),
    ("nav_status", 1, "at anchor"),
    ("nav_status", 13, "code 13"),
    ("ship_type", 70, "cargo ship"),
    ("vessel_type", 84, "tanker, hazardous cargo, category OS"),
    ("ship_type", 35, "military operations"),
    ("squawk", "7700", "7700 (general emergency)"),
    ("squawk", "4650", "4650"),
    ("exited_at", "2026-01-03T10:40:41.963000+00:00", "2026-01-03 10:40:41"),
    ("rule_valid_from", "2026-01-03T06:00:00Z", "2026-01-03 06:00:00"),
    ("extra_distance_km", 292.6, "293 km"),
    ("extra_time_min", 20.2, "about 20 min"),
    ("altitude_ft", 35000.0, "35,000 ft"),
    ("ground_speed_kt", 400.0, "400 kt"),
    ("avoided_zones", ["TJZS", "TTZP"], "TJZS, TTZP"),
    ("military", False, "no"),
    ("bound", "possibly", "possibly (identity too thin to say)"),
    ("operator", None, None),
    ("firs_used", [], None),
])
def test_details_in_words_and_units(key, value, text):
    assert detail_value(key, value) == text


def test_detail_rows_have_no_raw_keys_codes_or_json():
    details = {**INCURSION, "nav_status": 5, "ship_type": 70, "firs_used": ["FIR-TTZO"],
               "firs_used_names": ["Piarco Oceanic FIR"], "origin_icao": "KJFK",
               "origin_name": "John F Kennedy International Airport", "aircraft": {"a1": 3}}
    rows = dict(detail_rows(details))
    assert rows["Time inside"] == "2 h 55 min"
    assert rows["Navigational status"] == "moored"
    assert rows["Ship type"] == "cargo ship"
    assert rows["FIRs flown instead"] == "Piarco Oceanic FIR (TTZO)"
    assert rows["Origin"] == "KJFK John F Kennedy International Airport"
    assert rows["Left"] == "2026-01-03 10:40:41"
    text = " ".join(f"{k} {v}" for k, v in rows.items())
    assert "_" not in " ".join(rows) and "[" not in text and "{" not in text
    # what the opening sentence says is not listed again
    assert "Why" not in " ".join(rows) and not any(v == INCURSION["incident"] for v in rows.values())


def test_key_labels_drop_the_unit_suffix():
    assert key_label("great_circle_km") == "Great circle"
    assert key_label("silence_min") == "Silence"
    assert key_label("recovered_at") == "Recovered"


def test_times_to_the_second_and_durations():
    assert fmt_time("2026-01-03T10:17:47.858000+00:00") == "2026-01-03 10:17:47"
    assert fmt_time("2026-01-03T06:17:47-04:00") == "2026-01-03 10:17:47"
    assert fmt_time(None) == ""
    assert fmt_duration(3600) == "1 h"
    assert fmt_duration(61) == "1 min 1 s"


def test_evidence_recorded_by_several_changes_is_one_row():
    fix = {"observed_at": "2026-01-03T10:00:00Z", "source": "adsb_lol", "subject_id": "a1", "lat": 11.0,
           "lon": -64.0, "record_ref": "live:adsb_lol:7", "note": "enter SVZM"}
    other = {**fix, "observed_at": "2026-01-03T10:05:00Z", "record_ref": "live:adsb_lol:9", "note": "inside SVZM"}
    rows = distinct_evidence([fix, dict(fix), {**fix, "note": "still inside"}, other, dict(fix)])
    assert [r["record_ref"] for r in rows] == ["live:adsb_lol:7", "live:adsb_lol:9"]
    assert rows[0]["repeats"] == 4 and rows[0]["note"] == "enter SVZM; still inside"
    assert rows[1]["repeats"] == 1


def test_great_circle_runs_from_origin_to_destination():
    line = great_circle(40.64, -73.78, 6.50, -58.25, points=32)
    assert len(line) == 33
    assert line[0] == pytest.approx([-73.78, 40.64], abs=1e-3)
    assert line[-1] == pytest.approx([-58.25, 6.50], abs=1e-3)
    # a great circle from New York to Georgetown bows east of the straight chart line
    mid = line[16]
    assert mid[0] > (-73.78 + -58.25) / 2
