"""Exceptions raised by the monitor.

The tree::

    MonitorError
    ├── ConfigError          a setting or config file is wrong (names file, key, expectation)
    ├── CaptureError         a capture file cannot be read at all (one bad line is counted, not raised)
    ├── ParseError           a feed body cannot be understood (carries feed and reason)
    ├── ZoneError            a zone definition is invalid (names the feature and the problem)
    ├── FeedError            a poll failed (network, HTTP status, rate limit)
    │   └── RateLimited      the feed asked us to wait (carries retry_after_s)
    └── StoreError           the database refused a change

User-facing commands catch ``MonitorError`` and print its message without a traceback.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base class of every error the monitor raises on purpose."""


class ConfigError(MonitorError):
    """A configuration value or file is invalid."""


class CaptureError(MonitorError):
    """A capture file cannot be opened or is not in the capture format at all."""


class ParseError(MonitorError):
    """A feed body could not be parsed.

    Parameters
    ----------
    feed:
        Feed kind (``adsbx_v2``, ``opensky_states``...).
    reason:
        Short machine-friendly reason used as a counter label (``bad_json``, ``html_body``...).
    detail:
        Human-readable detail, including the offending value where it helps.
    """

    def __init__(self, feed: str, reason: str, detail: str = "") -> None:
        self.feed = feed
        self.reason = reason
        self.detail = detail
        super().__init__(f"{feed}: {reason}" + (f" ({detail})" if detail else ""))


class ZoneError(MonitorError):
    """A zone definition is invalid; the message names the feature and the problem."""


class FeedError(MonitorError):
    """A feed poll failed."""

    def __init__(self, feed: str, reason: str, detail: str = "") -> None:
        self.feed = feed
        self.reason = reason
        self.detail = detail
        super().__init__(f"{feed}: {reason}" + (f" ({detail})" if detail else ""))


class RateLimited(FeedError):
    """The feed asked the poller to wait ``retry_after_s`` seconds before the next call."""

    def __init__(self, feed: str, retry_after_s: float, detail: str = "") -> None:
        self.retry_after_s = retry_after_s
        super().__init__(feed, "rate_limited", detail or f"retry after {retry_after_s:.0f} s")


class StoreError(MonitorError):
    """The database refused or could not apply a change."""
