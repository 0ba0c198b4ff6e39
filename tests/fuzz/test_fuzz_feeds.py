"""Property-based fuzzing of every feed parser (the capture kinds of ``monitor.feeds.registry``).

The property, for any body: the parser returns a :class:`~monitor.domain.ParseResult` (bad
items counted by reason) or raises :class:`~monitor.errors.ParseError` with a reason, and
never anything else. What it returns is usable downstream: positions in range, finite
numbers, UTC-aware times no later than the documented future allowance.

Bodies come from three sources per feed: any JSON value; a documented-shape fixture from
``tests/fixtures/`` mutated anywhere in its tree; and, for the text-driven parsers (NMEA,
NGA warnings, NOTAM), text built from the tokens the parser looks for.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.feeds.nmea import nmea_checksum
from monitor.feeds.registry import PARSER_FACTORIES
from tests.fuzz.contracts import run_parser
from tests.fuzz.strategies import (
    FIXTURES,
    FUZZ,
    examples,
    json_values,
    mutated,
    text_from,
)

AVIATION = FIXTURES / "aviation"
MARITIME = FIXTURES / "maritime"


def _json(path: str) -> Any:
    # Python's json, not orjson: some fixtures carry the non-standard NaN token on purpose
    return json.loads((FIXTURES / path).read_text(encoding="utf-8"))


#: capture kind -> documented-shape seed bodies (the repository's own fixtures)
SEEDS: dict[str, list[Any]] = {
    "adsbx_v2": [_json("aviation/adsb_lol_v2_point_svzm.json")],
    "opensky_states": [_json("aviation/opensky_states_extended_svzm.json")],
    "faa_nms": [_json("aviation/nms_notams_geojson.json")],
    "aishub": [_json("maritime/aishub_ais.json"), _json("maritime/aishub_human.json")],
    "aisstream": [
        orjson.loads(line)
        for line in (MARITIME / "aisstream_frames.jsonl").read_bytes().splitlines()
        if line.strip()
    ],
    "nga_msi": [_json("maritime/nga_broadcast_warn.json")],
}

#: the AIS lines of the receiver fixture (comments dropped)
NMEA_LINES: list[str] = [
    line
    for line in (MARITIME / "caribbean_receiver.nmea").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]

ALL_KINDS = sorted(PARSER_FACTORIES)


def test_every_registered_kind_is_fuzzed() -> None:
    """A parser added to the registry must get seeds here (NMEA is fuzzed as text below)."""
    assert set(ALL_KINDS) == set(SEEDS) | {"ais_nmea"}


# --- any JSON value ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_KINDS)
@settings(FUZZ, max_examples=examples(60))
@given(body=json_values())
def test_any_json_body(kind: str, body: Any) -> None:
    run_parser(kind, body)


# --- documented shapes, mutated ---------------------------------------------------------


def _mutated_seed(kind: str) -> st.SearchStrategy[Any]:
    return st.sampled_from(range(len(SEEDS[kind]))).flatmap(lambda i: mutated(SEEDS[kind][i]))


@pytest.mark.parametrize("kind", sorted(SEEDS))
@settings(FUZZ, max_examples=examples(120))
@given(data=st.data())
def test_mutated_documented_body(kind: str, data: st.DataObject) -> None:
    body = data.draw(_mutated_seed(kind), label="body")
    run_parser(kind, body)


@settings(FUZZ, max_examples=examples(60))
@given(
    frames=st.lists(st.sampled_from(SEEDS["aisstream"]).flatmap(mutated), max_size=4),
    as_text=st.booleans(),
)
def test_aisstream_frame_batches_and_text(frames: list[Any], as_text: bool) -> None:
    """aisstream bodies also arrive as a list of frames, or as the websocket's raw text."""
    body: Any = json.dumps(frames) if as_text else frames  # Python's json: big ints, NaN
    run_parser("aisstream", body)


@settings(FUZZ, max_examples=examples(40))
@given(
    text=st.one_of(
        st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))
    )
)
def test_aisstream_raw_text(text: str) -> None:
    run_parser("aisstream", text)


# --- NMEA text ----------------------------------------------------------------------------

#: the six-bit armouring alphabet of AIS payloads, plus a few characters outside it
_ARMOUR = "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw"


@st.composite
def ais_sentence(draw: st.DrawFn) -> str:
    """A ``!AIVDM`` sentence with a random payload and (usually) a correct checksum."""
    talker = draw(st.sampled_from(["AIVDM", "AIVDO", "BSVDM", "SAVDM", "ABVDM", "AIVDX", "GPRMC"]))
    total = draw(st.sampled_from(["1", "2", "3", "0", "9", "", "x"]))
    num = draw(st.sampled_from(["1", "2", "3", "0", "", "10"]))
    seq = draw(st.sampled_from(["", "0", "1", "9", "x"]))
    chan = draw(st.sampled_from(["A", "B", "", "1", "2", "C"]))
    payload = draw(
        st.one_of(
            st.text(alphabet=_ARMOUR, min_size=0, max_size=90),
            st.text(alphabet=_ARMOUR + ",*!\\$", max_size=30),
            # a real message type prefix: reaches each type's decoder
            st.tuples(
                st.sampled_from("123456789:;<=>?@ABCDEFGHIJKL"),
                st.text(alphabet=_ARMOUR, max_size=80),
            ).map("".join),
        )
    )
    fill = draw(st.sampled_from(["0", "2", "4", "5", "6", "", "x"]))
    body = f"{talker},{total},{num},{seq},{chan},{payload},{fill}"
    cs = nmea_checksum(body.encode("ascii", "replace"))
    if draw(st.integers(0, 9)) == 0:
        cs ^= 0x5A  # a wrong checksum, now and then
    sentence = f"!{body}*{cs:02X}"
    if draw(st.booleans()):
        sentence = draw(tag_block()) + sentence
    return sentence


@st.composite
def tag_block(draw: st.DrawFn) -> str:
    """An NMEA 4.0 tag block (``\\s:source,c:unix time*hh\\``), sometimes malformed."""
    parts = draw(
        st.lists(
            st.one_of(
                st.integers(min_value=-(2**40), max_value=2**40).map(lambda t: f"c:{t}"),
                st.sampled_from(["c:", "c:abc", "c:1764669480.5", "c:1764669480123", "c:9" * 1]),
                st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789:", max_size=12),
                st.just("s:r775001"),
                st.just("g:1-2-1234"),
            ),
            max_size=4,
        )
    )
    inner = ",".join(parts)
    cs = nmea_checksum(inner.encode("ascii", "replace"))
    if draw(st.integers(0, 5)) == 0:
        return f"\\{inner}\\"  # no checksum at all
    return f"\\{inner}*{cs:02X}\\"


def _char_mutation(line: str) -> st.SearchStrategy[str]:
    return st.tuples(
        st.integers(min_value=0, max_value=max(0, len(line) - 1)),
        st.integers(min_value=0, max_value=5),
        st.text(max_size=5),
    ).map(lambda t: line[: t[0]] + t[2] + line[t[0] + t[1] :])


nmea_lines = st.one_of(
    ais_sentence(),
    st.sampled_from(NMEA_LINES),
    st.sampled_from(NMEA_LINES).flatmap(_char_mutation),
    st.text(max_size=80),
    st.sampled_from(
        [
            "$PGHP,1,2025,12,2,9,58,30,250,775,775001,1,1*3B",
            "$PGHP,1,,,,,,,,,,,*00",
            "$PGHP," + "9," * 12 + "*00",
            "\\\\",
            "!",
            "*",
            "!AIVDM*",
            "\r",
            "#",
        ]
    ),
)


@settings(FUZZ, max_examples=examples(200))
@given(
    lines=st.lists(nmea_lines, max_size=12),
    eol=st.sampled_from(["\n", "\r\n", "\r"]),
    as_bytes=st.booleans(),
)
def test_nmea_lines(lines: list[str], eol: str, as_bytes: bool) -> None:
    text = eol.join(lines)
    body: Any = text.encode("utf-8", "surrogatepass") if as_bytes else text
    run_parser("ais_nmea", body)


@settings(FUZZ, max_examples=examples(60))
@given(bodies=st.lists(st.lists(nmea_lines, max_size=6).map("\n".join), min_size=2, max_size=5))
def test_nmea_fragments_across_bodies(bodies: list[str]) -> None:
    """The NMEA parser keeps half-received multi-part messages between bodies."""
    run_parser("ais_nmea", *bodies)


@settings(FUZZ, max_examples=examples(30))
@given(data=st.binary(max_size=400))
def test_nmea_any_bytes(data: bytes) -> None:
    run_parser("ais_nmea", data)


# --- NGA MSI warning texts ----------------------------------------------------------------

_NGA_TOKENS = st.one_of(
    st.sampled_from(
        [
            "HAZARDOUS OPERATIONS",
            "AREA BOUND BY",
            "AREAS BOUNDED BY",
            "TRACKLINE JOINING",
            "BETWEEN",
            "ROUTE",
            "WITHIN",
            "RADIUS OF",
            "RADIUS",
            "NM",
            "MILES",
            "KM",
            "METERS",
            "YARDS",
            "NAUTICAL MILES",
            "OF",
            "CANCEL THIS MSG",
            "CANCEL NAVAREA IV",
            "CANCEL HYDROLANT",
            "1001/25",
            "12/25, 13/25 AND 14/25",
            "051900Z DEC 25",
            "311299Z FEB 2025",
            "CARIBBEAN SEA.",
            "1.",
            "2.",
            "A.",
            "B.",
            "AND",
            "MINE",
            "WRECK",
            "0",
            "999999999",
            "1E308",
        ]
    ),
    # coordinates, valid and not: DD-MM.mmN DDD-MM.mmW, with seconds, minutes 60+
    st.tuples(
        st.integers(0, 99),
        st.sampled_from(["00", "30", "59.99", "60", "7", "00.00", "5-30", "59-60"]),
        st.sampled_from(["N", "S"]),
        st.sampled_from([" ", "", ", "]),
        st.integers(0, 999),
        st.sampled_from(["00", "30", "59.9", "60", "00.00", "5-30"]),
        st.sampled_from(["E", "W"]),
    ).map(lambda t: f"{t[0]:02d}-{t[1]}{t[2]}{t[3]}{t[4]:03d}-{t[5]}{t[6]}"),
    st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False).map(str),
)


@st.composite
def nga_body(draw: st.DrawFn) -> dict[str, Any]:
    seed = SEEDS["nga_msi"][0]
    warns = [dict(w) for w in seed["broadcast-warn"] if isinstance(w, dict)]
    chosen = draw(st.lists(st.sampled_from(range(len(warns))), min_size=1, max_size=4))
    out = []
    for i in chosen:
        w = dict(warns[i])
        w["text"] = draw(text_from(_NGA_TOKENS))
        if draw(st.booleans()):
            w["issueDate"] = draw(
                st.one_of(
                    st.sampled_from(["311299Z FEB 2025", "010000Z XXX 25", ""]),
                    st.text(max_size=20),
                )
            )
        if draw(st.booleans()):
            w["msgNumber"] = draw(st.one_of(st.integers(-5, 10**6), st.none(), st.text(max_size=5)))
        out.append(w)
    return {"broadcast-warn": out}


@settings(FUZZ, max_examples=examples(150))
@given(bodies=st.lists(nga_body(), min_size=1, max_size=3))
def test_nga_warning_texts(bodies: list[dict[str, Any]]) -> None:
    """Free warning text with coordinates and geometry words; successive polls (cancels)."""
    run_parser("nga_msi", *bodies)


# --- NOTAM texts -----------------------------------------------------------------------------

_NOTAM_COORD = st.tuples(
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from(["", "00", "59", "99", "30.5"]),
    st.sampled_from("NS"),
    st.sampled_from(["", " "]),
    st.integers(0, 999),
    st.integers(0, 99),
    st.sampled_from(["", "00", "59", "99.99"]),
    st.sampled_from("EW"),
).map(lambda t: f"{t[0]:02d}{t[1]:02d}{t[2]}{t[3]}{t[4]}{t[5]:03d}{t[6]:02d}{t[7]}{t[8]}")

_NOTAM_TOKENS = st.one_of(
    _NOTAM_COORD,
    _NOTAM_COORD.map(lambda c: c + "-"),
    st.sampled_from(
        [
            "RADIUS",
            "RADIUS OF",
            "NM",
            "0NM",
            "5NM",
            "999NM",
            "1E3NM",
            "CENTERED ON",
            "CENTRE AT",
            "AIRSPACE",
            "CLSD",
            "CLOSED",
            "PROHIBITED",
            "FIR",
            "HAZARDOUS",
            "GPS",
            "-",
            "Q)",
            "Q) SVZM/QRTCA/IV/BO/W/000/999/1045N06715W060",
            "Q) SVZM/QRPCA/IV/BO/W/000/999/9999N99999W999",
            "Q) SVZM/QXXXX/IV/BO/W/000/999/0000S18000E000",
            "A1234/25 NOTAMR A1200/25",
            "SFC-UNL.",
        ]
    ),
    st.integers(0, 10**6).map(str),
)


@st.composite
def notam_body(draw: st.DrawFn) -> dict[str, Any]:
    body = copy.deepcopy(SEEDS["faa_nms"][0])
    items = body["data"]["geojson"]
    for item in items:
        core = (
            (item.get("properties") or {}).get("coreNOTAMData") if isinstance(item, dict) else None
        )
        if not isinstance(core, dict) or not isinstance(core.get("notam"), dict):
            continue
        core["notam"]["text"] = draw(text_from(_NOTAM_TOKENS, max_tokens=20))
        if draw(st.booleans()):
            core["notam"]["selectionCode"] = draw(
                st.one_of(
                    st.sampled_from(["QRTCA", "QRPCA", "QALC", "QXXXX", "QWMLW", "Q", ""]),
                    st.text(max_size=6),
                )
            )
        for key in ("minimumFL", "maximumFL"):
            if draw(st.integers(0, 3)) == 0:
                core["notam"][key] = draw(
                    st.one_of(st.text(max_size=4), st.integers(-999, 10**6), st.none())
                )
        for tr in core.get("notamTranslation") or []:
            if draw(st.booleans()):
                tr["formattedText"] = draw(text_from(_NOTAM_TOKENS, max_tokens=20))
    return body


@settings(FUZZ, max_examples=examples(80))
@given(body=notam_body())
def test_notam_texts(body: dict[str, Any]) -> None:
    run_parser("faa_nms", body)
