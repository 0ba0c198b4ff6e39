"""Property-based fuzzing of capture lines (``monitor.capture.format``).

Properties: ``load_record`` gives a record or raises :class:`~monitor.errors.CaptureError`
whose message starts with one of its documented reasons; ``CaptureReader`` never raises on
a bad line (it counts it by reason) nor on a truncated gzip file; a record written with
``dump_record`` reads back the same.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.capture.format import (
    FEED_KINDS,
    CaptureReader,
    CaptureRecord,
    dump_record,
    load_record,
)
from monitor.errors import CaptureError
from tests.fuzz.strategies import FUZZ, examples, json_values

#: the reasons ``load_record`` documents (the text before the first ": ")
LINE_REASONS = {"bad_json", "not_an_object", "missing_key", "bad_time", "unknown_feed"}

feeds = st.one_of(st.sampled_from(sorted(FEED_KINDS)), st.text(max_size=10), json_values(3))
times = st.one_of(
    st.datetimes(
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=-4)), timezone(timedelta(hours=14))]
        )
    ).map(lambda d: d.isoformat()),
    st.sampled_from(
        [
            "2025-12-02T10:00:00Z",
            "2025-12-02T10:00:00",
            "2025-12-02",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
            "2025-12-02T10:00:00z",
            "2025-12-02T25:00:00Z",
            "",
            "Z",
            "now",
            "1764669485",
        ]
    ),
    json_values(3),
)


@st.composite
def capture_line(draw: st.DrawFn) -> bytes:
    doc: dict[str, Any] = {}
    for key, strategy in (
        ("feed", feeds),
        ("received_at", times),
        ("body", json_values(8)),
        ("source", st.one_of(st.text(max_size=8), json_values(2))),
    ):
        if draw(st.integers(0, 7)) != 0:
            doc[key] = draw(strategy)
    text = json.dumps(doc)  # Python's json: NaN and Infinity tokens too
    if draw(st.integers(0, 5)) == 0:
        cut = draw(st.integers(0, len(text)))
        text = text[:cut]
    return text.encode("utf-8", "surrogatepass")


def check_line(line: bytes | str) -> None:
    try:
        record = load_record(line, ref="fuzz:1")
    except CaptureError as exc:
        reason = str(exc).partition(": ")[0]
        assert reason in LINE_REASONS, f"undocumented reason in {exc}"
        return
    assert record.feed in FEED_KINDS
    assert record.received_at.tzinfo is not None
    assert record.received_at.utcoffset() == timedelta(0)


@settings(FUZZ, max_examples=examples(200))
@given(line=capture_line())
def test_capture_line(line: bytes) -> None:
    check_line(line)


@settings(FUZZ, max_examples=examples(60))
@given(line=st.one_of(st.binary(max_size=120), st.text(max_size=120)))
def test_capture_line_any_bytes(line: bytes | str) -> None:
    check_line(line)


@settings(FUZZ, max_examples=examples(100))
@given(
    feed=st.sampled_from(sorted(FEED_KINDS)),
    # hypothesis takes naive bounds and attaches the timezone itself
    at=st.datetimes(
        min_value=datetime(1971, 1, 1),  # noqa: DTZ001
        max_value=datetime(9998, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    body=st.recursive(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-(2**63), 2**63 - 1),
            st.floats(allow_nan=False, allow_infinity=False),
            st.text(max_size=20),
        ),
        lambda c: st.one_of(
            st.lists(c, max_size=4), st.dictionaries(st.text(max_size=8), c, max_size=4)
        ),
        max_leaves=15,
    ),
    source=st.one_of(st.none(), st.text(min_size=1, max_size=10)),
)
def test_dump_then_load_is_identity(feed: str, at: datetime, body: Any, source: str | None) -> None:
    record = CaptureRecord(feed=feed, received_at=at, body=body, source=source)
    back = load_record(dump_record(record))
    assert (back.feed, back.received_at, back.body) == (feed, at, body)
    assert back.source_name == record.source_name


@settings(FUZZ, max_examples=examples(40))
@given(
    lines=st.lists(st.one_of(capture_line(), st.binary(max_size=40)), max_size=8),
    gz=st.booleans(),
    truncate=st.one_of(st.none(), st.integers(0, 2000)),
)
def test_capture_reader_never_raises_on_content(
    tmp_path_factory: Any, lines: list[bytes], gz: bool, truncate: int | None
) -> None:
    """Bad lines are counted by reason, a truncated .gz ends the file; nothing raises."""
    raw = b"\n".join(line.replace(b"\n", b" ") for line in lines) + b"\n"
    if gz:
        raw = gzip.compress(raw)
    if truncate is not None:
        raw = raw[:truncate]
    path = Path(tmp_path_factory.mktemp("cap")) / ("c.jsonl.gz" if gz else "c.jsonl")
    path.write_bytes(raw)
    reader = CaptureReader(path)
    try:
        records = list(reader)
    except CaptureError as exc:  # documented: a file that cannot be read at all
        assert str(exc).strip()
        return
    assert all(isinstance(r, CaptureRecord) for r in records)
    assert set(reader.reasons) <= LINE_REASONS | {"truncated_file"}, reader.reasons
    assert sum(reader.reasons.values()) >= len(reader.problems) or len(reader.problems) == 1000
