"""Fuzzing the HTTP API against its own OpenAPI schema (schemathesis, plus tricky values).

The app is the real one (``monitor.web.app.create_app``) over a real SQLite store filled
with the web scenario (``tests/web/scenario.py``). Two fuzzers share one property:

* schemathesis draws requests for every operation of ``/openapi.json``, schema-conforming
  (``positive``) and malformed (``negative``: wrong types, out-of-range integers, junk
  query keys);
* a hand-made fuzzer fills each operation's declared parameters with values a schema cannot
  suggest but users type: edge ISO-8601 times (year 1 and 9999 with offsets), bboxes with
  NaN / inf / swapped corners, huge integers, separators only.

The property: no 500, no other 5xx unless that operation documents it (``/readyz`` 503,
``/api/incidents`` 501 for an export whose library is missing), and every 4xx of ``/api/*``
is the documented JSON error body (``error``, ``message``). An exception escaping the app
fails the test too (the ASGI test client re-raises it).

Schemathesis's own pytest plugin (``from_fixture``) does not work with pytest 9, so the
operations are drawn with ``APIOperation.as_strategy`` inside a plain hypothesis test.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from monitor.store import Store
from monitor.web.app import create_app
from tests.fuzz.strategies import FUZZ, NASTY_TEXT, examples
from tests.web import scenario


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[Any, list[Any]]]:
    """(the schemathesis schema of the app, its operations)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/t.sqlite")
        try:
            scenario.fill_store(store, scenario.load())
            app = create_app(scenario.services(store))
            schema = schemathesis.openapi.from_asgi("/openapi.json", app)
            operations = [result.ok() for result in schema.get_all_operations()]
            yield schema, operations
        finally:
            store.close()


def check_response(operation: Any, response: Any, what: str) -> None:
    status = response.status_code
    # binary answers (GeoParquet) are shown as bytes: the detail must not fail to print
    detail = f"{what} -> {status}: {response.content[:300].decode('utf-8', 'replace')}"
    assert status != 500, detail
    if status >= 500:
        assert str(status) in operation.definition.raw.get("responses", {}), detail
    if 400 <= status < 500 and operation.path.startswith("/api/"):
        body = response.json()
        assert isinstance(body, dict) and "error" in body and "message" in body, detail


def test_schema_lists_the_api(api: tuple[Any, list[Any]]) -> None:
    """The fuzzers below reach every operation; an empty schema would make them vacuous."""
    paths = {op.path for op in api[1]}
    assert {"/api/incidents", "/api/zones", "/api/live/aircraft", "/healthz"} <= paths


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@settings(FUZZ, max_examples=examples(150))
@given(data=st.data())
def test_schemathesis_requests(
    api: tuple[Any, list[Any]], mode: GenerationMode, data: st.DataObject
) -> None:
    _, operations = api
    operation = data.draw(st.sampled_from(operations), label="operation")
    case = data.draw(operation.as_strategy(generation_mode=mode), label="case")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        response = case.call()
    check_response(operation, response, f"{case.method} {case.formatted_path} {case.query!r}")


# --- values users type ------------------------------------------------------------------------

#: what users type and a schema cannot suggest
TYPED = [
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01",
    "9999-12-31",
    "2025-12-02T10:00:00Z",
    "2025-12-02T10:00:00+14:00",
    "2025-02-30",
    "2025-12-02T10:00",
    "-66,10,-65,11",
    "-65,11,-66,10",
    "nan,nan,nan,nan",
    "inf,-inf,1,2",
    "-181,-91,181,91",
    "1e308,1e308,1e308,1e308",
    ",,,",
    "1,2,3",
    "1,2,3,4,5",
    "0,0,0,0",
    "-66,10,-66,10",
    "-9223372036854775809",
    "9223372036854775808",
    "4611686018427387905",
    "0",
    "-1",
    "1001",
    "closed",
    "open",
    "critical",
    "incursion",
    "incursion,,dark_vessel",
    "SVZM",
    "geojson",
    "csv",
    "kml",
    "geoparquet",
    "json",
    "position",
    "cell",
    "track",
    "eyJ4IjoxfQ",
    "AAAA",
    "..",
    "NaN",
    " ",
    "",
]
TRICKY = st.one_of(
    st.sampled_from(TYPED),
    st.sampled_from(TYPED),
    st.sampled_from(TYPED),
    NASTY_TEXT,
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=20),
)

#: every operation of the schema (``test_schema_lists_the_api`` keeps this list complete)
PATHS = [
    "/api/incidents",
    "/api/incidents.{fmt}",
    "/api/incidents/{incident_id}",
    "/api/zones",
    "/api/zones/{zone_id}/history",
    "/api/zones/{zone_id}/amend",
    "/api/zones/{zone_id}/lift",
    "/api/live/aircraft",
    "/api/live/vessels",
    "/api/live/tracks",
    "/api/feeds",
    "/api/stats/traffic",
    "/api/basemap",
    "/healthz",
    "/readyz",
    "/api/coverage",
    "/api/events",
    "/api/history/extent",
    "/api/live/status",
    "/api/positions",
    "/api/snapshot",
    "/api/stats/operators",
    "/api/stats/operators.csv",
    "/api/status",
    "/feeds/incidents.atom",
]
#: answered as an endless event stream: listed, not fuzzed here (tests/web/test_stream.py)
STREAMS = ["/api/live/stream"]


def test_every_operation_gets_tricky_values(api: tuple[Any, list[Any]]) -> None:
    # a path may carry several methods (GET /api/zones lists, POST /api/zones declares)
    assert sorted({op.path for op in api[1]}) == sorted(PATHS + STREAMS)


def _safe_path_value(s: str) -> bool:
    return bool(s.strip()) and not any(c in s for c in "/?#%") and s not in (".", "..")


@pytest.mark.parametrize("path", PATHS)
@settings(FUZZ, max_examples=examples(25))
@given(data=st.data())
def test_tricky_parameter_values(
    api: tuple[Any, list[Any]], path: str, data: st.DataObject
) -> None:
    operation = next(op for op in api[1] if op.path == path)
    path_params: dict[str, str] = {}
    query: dict[str, Any] = {}
    for p in operation.definition.raw.get("parameters", []):
        if p["in"] == "path":
            path_params[p["name"]] = data.draw(TRICKY.filter(_safe_path_value), label=p["name"])
        elif p["in"] == "query" and data.draw(st.integers(0, 2)) != 0:
            value = data.draw(TRICKY, label=p["name"])
            query[p["name"]] = (
                [value, data.draw(TRICKY)] if data.draw(st.integers(0, 5)) == 0 else value
            )
    case = operation.Case(path_parameters=path_params, query=query)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        response = case.call()
    check_response(operation, response, f"{case.method} {case.formatted_path} {query!r}")


# --- crashes found, kept as regression tests of the correct answer ---------------------------

#: (path, query) that raised instead of answering; the correct answer is a 400 naming the
#: parameter. Found by test_tricky_parameter_values: OverflowError "date value out of range"
#: from timeutil.parse_utc_lenient's astimezone, not caught by web.params.parse_time.
CRASHES = [
    ("/api/zones", {"at": "9999-12-31T23:59:59-01:00"}),
    ("/api/incidents", {"since": "0001-01-01T00:00:00+01:00"}),
    ("/api/incidents", {"until": "9999-12-31T23:59:59-01:00"}),
    ("/api/stats/traffic", {"since": "0001-01-01T00:00:00+01:00"}),
]


@pytest.mark.parametrize(
    ("path", "query"), CRASHES, ids=[f"{p}?{next(iter(q))}" for p, q in CRASHES]
)
def test_out_of_range_time_is_a_400(
    api: tuple[Any, list[Any]], path: str, query: dict[str, str]
) -> None:
    operation = next(op for op in api[1] if op.path == path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        response = operation.Case(query=query).call()
    assert response.status_code == 400, response.text[:300]
    assert response.json()["param"] == next(iter(query))
