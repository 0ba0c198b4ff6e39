"""The shared HTTP helper: status codes and network failures become feed errors with reasons."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from monitor.errors import FeedError, RateLimited
from monitor.feeds.http import (
    DEFAULT_RETRY_AFTER_S,
    fetch,
    parse_retry_after,
    response_to_record,
)

NOW = datetime(2025, 11, 24, 16, 0, 0, tzinfo=UTC)
URL = "http://127.0.0.1:9/v2/point/10/-66/250"


def call(handler: Any, **kwargs: Any) -> httpx.Response:
    async def run() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await fetch(client, "adsb_lol", URL, now=NOW, **kwargs)

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Mon, 24 Nov 2025 16:02:00 GMT", 120.0),
        ("Mon, 24 Nov 2025 15:00:00 GMT", 0.0),  # already past
        ("999999999", 86_400.0),  # clamped to a day
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize(
    ("status", "headers", "wait"),
    [
        (429, {"Retry-After": "30"}, 30.0),
        (429, {"X-Rate-Limit-Retry-After-Seconds": "3600", "Retry-After": "5"}, 3600.0),
        (429, {}, DEFAULT_RETRY_AFTER_S),
        (503, {"Retry-After": "Mon, 24 Nov 2025 16:01:00 GMT"}, 60.0),
    ],
)
def test_rate_limits_raise_rate_limited(status: int, headers: dict[str, str], wait: float) -> None:
    with pytest.raises(RateLimited) as info:
        call(lambda r: httpx.Response(status, headers=headers))
    assert info.value.retry_after_s == wait
    assert info.value.feed == "adsb_lol" and info.value.reason == "rate_limited"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 500, 502, 503])
def test_other_statuses_are_feed_errors(status: int) -> None:
    with pytest.raises(FeedError) as info:
        call(lambda r: httpx.Response(status, text=f"error {status}\nsecond line"))
    assert not isinstance(info.value, RateLimited)
    assert info.value.reason == f"http_{status}"
    assert f"error {status} second line" in info.value.detail


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (httpx.ConnectTimeout("slow"), "timeout"),
        (httpx.ReadTimeout("slow"), "timeout"),
        (httpx.ConnectError("refused"), "connect_error"),
        (httpx.RemoteProtocolError("garbage"), "transport_error"),
    ],
)
def test_network_failures_are_feed_errors(exc: Exception, reason: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with pytest.raises(FeedError) as info:
        call(handler)
    assert info.value.reason == reason and URL in info.value.detail


def test_success_returns_the_response_and_sends_what_was_asked() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ac": []})

    response = call(handler, params={"a": 1}, headers={"api-auth": "k"})
    assert response.status_code == 200
    assert seen[0].url.params["a"] == "1" and seen[0].headers["api-auth"] == "k"


def test_record_keeps_the_json_value_exactly() -> None:
    body = b'{"now": 1764000000000, "ac": [{"hex": "0d8001", "alt_baro": "ground", "gs": 0.0}], "msg": "No error"}'
    response = httpx.Response(200, content=body, headers={"content-type": "application/json"})
    record = response_to_record(
        "adsbx_v2", "adsb_lol", response, received_at=NOW, ref="live:adsb_lol:1"
    )
    assert record.body == {
        "now": 1764000000000,
        "ac": [{"hex": "0d8001", "alt_baro": "ground", "gs": 0.0}],
        "msg": "No error",
    }
    assert (record.feed, record.source, record.received_at, record.ref) == (
        "adsbx_v2",
        "adsb_lol",
        NOW,
        "live:adsb_lol:1",
    )


@pytest.mark.parametrize(
    ("content", "ctype", "reason"),
    [
        (b"<!DOCTYPE html><html><body>Rate limited</body></html>", "text/html", "html_body"),
        (b'{"ac": []}', "text/html; charset=utf-8", "html_body"),
        (b"", "application/json", "empty_body"),
        (b'{"ac": [', "application/json", "bad_json"),
    ],
    ids=["html page", "html content type", "empty", "truncated"],
)
def test_record_of_a_non_json_body_is_a_feed_error(content: bytes, ctype: str, reason: str) -> None:
    response = httpx.Response(200, content=content, headers={"content-type": ctype})
    with pytest.raises(FeedError) as info:
        response_to_record("adsbx_v2", "adsb_lol", response, received_at=NOW)
    assert info.value.reason == reason and info.value.feed == "adsb_lol"
