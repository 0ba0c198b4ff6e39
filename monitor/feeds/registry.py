"""Which parser reads which capture kind.

Parsers are created per (kind, source) because some keep state between bodies of the same
stream (NMEA multi-part messages split across reads).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from monitor.feeds.base import ParseFn

#: capture kind -> "module:factory"; each factory takes no argument and returns a ParseFn
PARSER_FACTORIES: dict[str, str] = {
    "adsbx_v2": "monitor.feeds.adsbx:make_parser",
    "opensky_states": "monitor.feeds.opensky:make_parser",
    "ais_nmea": "monitor.feeds.nmea:make_parser",
    "aisstream": "monitor.feeds.aisstream:make_parser",
    "nga_msi": "monitor.feeds.nga_msi:make_parser",
    "aishub": "monitor.feeds.aishub:make_parser",
    "faa_nms": "monitor.feeds.notam:make_parser",
}

#: capture kinds whose parsers decode a body's raw JSON bytes faster than a generic decode
#: would (a typed schema of only the fields they use): replay hands them
#: :class:`~monitor.capture.RawJson` bodies (``CaptureReader(raw_bodies=...)``)
RAW_BODY_KINDS: frozenset[str] = frozenset({"adsbx_v2", "aisstream"})


def make_parser(kind: str, *, fir_boundaries: Mapping[str, Any] | None = None) -> ParseFn:
    """A fresh parser for ``kind``; ``KeyError`` for an unknown kind.

    ``fir_boundaries`` (FIR ICAO code -> polygon) goes to parsers that need reference
    geometry: NOTAMs that name a FIR but give no coordinates cover that FIR.
    """
    module_name, _, attr = PARSER_FACTORIES[kind].partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    if "fir_boundaries" in inspect.signature(factory).parameters:
        parser: ParseFn = factory(fir_boundaries=fir_boundaries)
    else:
        parser = factory()
    return parser


class StreamParsers:
    """One parser per (capture kind, source), made on first use and kept: a parser may hold
    state between bodies of its stream. Call it as a
    :data:`monitor.feeds.batch.ParserFor`. ``fir_boundaries`` is asked when a parser is
    made (the pipeline's zone set at that moment)."""

    def __init__(self, fir_boundaries: Callable[[], Mapping[str, Any]] | None = None) -> None:
        self._fir_boundaries = fir_boundaries
        self._parsers: dict[tuple[str, str], ParseFn] = {}

    def __call__(self, kind: str, source: str) -> ParseFn:
        parser = self._parsers.get((kind, source))
        if parser is None:
            firs = self._fir_boundaries() if self._fir_boundaries is not None else None
            parser = self._parsers[(kind, source)] = make_parser(kind, fir_boundaries=firs)
        return parser
