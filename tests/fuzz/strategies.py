"""Hypothesis strategies shared by the fuzzers: arbitrary JSON, and mutations of real shapes.

Random JSON alone rarely gets past a parser's first shape check, so most fuzzers start from
a seed body in the documented shape (the repository's own fixtures, ``tests/fixtures/``) and
mutate it: a value anywhere in the tree is replaced by junk (wrong type, NaN, huge number,
odd text), a key is dropped, or a list element is duplicated. That reaches the per-item
code where a crash would hide.
"""

from __future__ import annotations

import copy
import functools
import math
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"

#: a fixed capture time for every parser call (a little after the fixtures' data times)
RECEIVED_AT = datetime(2025, 12, 2, 10, 0, 0, tzinfo=UTC)


def examples(base: int) -> int:
    """``base`` scaled by ``FUZZ_EXAMPLES_SCALE`` (default 1)."""
    scale = float(os.environ.get("FUZZ_EXAMPLES_SCALE", "1") or 1)
    return max(1, int(base * scale))


#: numbers a feed should never be trusted with
NASTY_FLOATS = st.sampled_from(
    [math.nan, math.inf, -math.inf, -0.0, 1e308, -1e308, 5e-324, 90.0000001, -180.5, 1e19]
)
NASTY_INTS = st.sampled_from(
    [
        0,
        -1,
        2**31,
        -(2**31),
        2**53 + 1,
        2**63,
        -(2**63) - 1,
        10**30,
        999999999999,
        253402300800,
        -62135596801,
        1764669485000,
    ]
)
NASTY_TEXT = st.sampled_from(
    [
        "",
        " ",
        "NaN",
        "inf",
        "-",
        "ground",
        "0x1f",
        "\x00",
        "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        "9" * 400,
        "1e999",
        "2025-13-45T99:99:99Z",
        "<html>",
        "null",
        "é漢字🚢",
    ]
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    NASTY_FLOATS,
    NASTY_INTS,
    NASTY_TEXT,
)


@functools.cache
def json_values(max_leaves: int = 25) -> st.SearchStrategy[Any]:
    """Any JSON-like value (as ``orjson.loads`` or Python's ``json`` would give, NaN included)."""
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.dictionaries(st.text(max_size=12), children, max_size=5),
        ),
        max_leaves=max_leaves,
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys / indexes) into ``value``, the root included."""
    out: list[tuple[Any, ...]] = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        value = value[p]
    return value


@st.composite
def mutated(draw: st.DrawFn, seed: Any, *, max_mutations: int = 4) -> Any:
    """``seed`` (deep-copied) with 1..``max_mutations`` random mutations anywhere in it."""
    doc = copy.deepcopy(seed)
    for _ in range(draw(st.integers(min_value=1, max_value=max_mutations))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        if not path:
            doc = draw(json_values(8))
            continue
        parent = _get(doc, path[:-1])
        key = path[-1]
        op = draw(st.sampled_from(["replace", "replace", "nasty", "nasty", "drop", "dup", "wrap"]))
        if op == "nasty":
            parent[key] = draw(st.one_of(NASTY_FLOATS, NASTY_INTS, NASTY_TEXT))
        elif op == "replace":
            parent[key] = draw(json_values(6))
        elif op == "drop":
            if isinstance(parent, dict):
                del parent[key]
            else:
                parent.pop(key)
        elif op == "dup" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        else:  # wrap: the value one level deeper, a classic wrong-shape mistake
            parent[key] = [parent[key]] if draw(st.booleans()) else {"value": parent[key]}
    return doc


#: the settings every fuzz test starts from (``@settings(FUZZ, max_examples=examples(n))``):
#: no deadline (a loaded CI machine must not turn a slow example into a failure) and no
#: example database written into the working tree
settings.register_profile(
    "fuzz",
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    max_examples=examples(100),
)
FUZZ = settings.get_profile("fuzz")


# --- free text built from the words a parser looks for ------------------------------------


def text_from(tokens: st.SearchStrategy[str], max_tokens: int = 30) -> st.SearchStrategy[str]:
    """Text made of ``tokens`` joined by random separators (spaces, commas, new lines)."""
    sep = st.sampled_from([" ", " ", ", ", "\n", "-", "", "  ", ".\n", "\n2. "])
    return st.lists(st.tuples(tokens, sep), max_size=max_tokens).map(
        lambda parts: "".join(t + s for t, s in parts)
    )
