"""The one place where timestamps become timezone-aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_from_epoch_s(value_s: float) -> datetime:
    """Epoch seconds (float) to an aware UTC datetime."""
    return datetime.fromtimestamp(value_s, tz=UTC)


def parse_utc(text: str) -> datetime:
    """Parse an ISO-8601 timestamp; a naive value is rejected, ``Z`` is accepted.

    Raises
    ------
    ValueError
        When the text is not ISO-8601 or carries no offset.
    """
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset")
    return _to_utc(value, text)


def _to_utc(value: datetime, text: str) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset has no UTC equivalent
        raise ValueError(f"timestamp {text!r} is out of range") from None


def parse_utc_lenient(text: str) -> datetime:
    """Like :func:`parse_utc` but a naive value is taken as UTC (for user input on the CLI)."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return _to_utc(value, text)


def iso_z(value: datetime) -> str:
    """Aware datetime to ``YYYY-MM-DDTHH:MM:SS(.ffffff)Z``."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given where an aware UTC one is required")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def utcnow() -> datetime:
    """The wall clock, for edges only (pollers, storage); detectors get time passed in."""
    return datetime.now(tz=UTC)
