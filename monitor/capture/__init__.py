"""The capture format: JSON Lines, one record per feed response.

Each line is ``{"feed": KIND, "received_at": ISO-8601 UTC, "body": ...}``; ``body`` is the
response exactly as received (a JSON value for JSON feeds, a string for text feeds: NMEA
lines joined by newlines). An optional ``"source"`` names the feed instance
(``adsb_lol``, ``opensky`` ...); readers ignore keys they do not know. Files ending in
``.gz`` are gzip-compressed. Live polling and replay enter the pipeline through the same
door: a :class:`CaptureRecord`. A reader asked to (``raw_bodies``) keeps the bodies of
some feed kinds as :class:`RawJson` bytes, checked but not decoded, for parsers that decode
faster themselves; ``body_value`` decodes one when a value is needed.
"""

from monitor.capture.format import (
    FEED_KINDS,
    CaptureReader,
    CaptureRecord,
    CaptureWriter,
    LineProblem,
    RawJson,
    body_value,
    dump_record,
    load_record,
)

__all__ = [
    "FEED_KINDS",
    "CaptureReader",
    "CaptureRecord",
    "CaptureWriter",
    "LineProblem",
    "RawJson",
    "body_value",
    "dump_record",
    "load_record",
]
