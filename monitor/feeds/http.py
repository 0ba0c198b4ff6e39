"""The shared HTTP polling helper every HTTP feed adapter uses.

API (import from ``monitor.feeds.http``)
----------------------------------------
``await fetch(client, feed, url, *, method="GET", params=None, headers=None, data=None,
json=None, auth=None, timeout_s=None, now=None) -> httpx.Response``
    One request through the injected ``httpx.AsyncClient`` (redirects followed). Returns
    the response for a 2xx status. ``timeout_s`` bounds connect, read, write and pool
    each; ``None`` keeps the client's own timeouts (``make_http_client`` sets
    :data:`DEFAULT_TIMEOUT_S`, connect 10 s), so the adapters without a timeout setting
    of their own (OpenSky, ADS-B v2) follow the client they are given. Raises

    * :class:`~monitor.errors.RateLimited` on 429, and on 503 when the server says how long
      to wait. The wait comes from OpenSky's ``X-Rate-Limit-Retry-After-Seconds`` or from
      ``Retry-After`` (delta seconds or an HTTP date); a 429 without either waits
      :data:`DEFAULT_RETRY_AFTER_S`.
    * :class:`~monitor.errors.FeedError` otherwise, with ``reason`` one of ``timeout``,
      ``connect_error``, ``transport_error`` (any other request failure), ``http_<status>``
      (the first 200 characters of the body in ``detail``).

``response_to_record(kind, source, response, *, received_at=None) -> CaptureRecord``
    The capture record of one JSON response: ``body`` is the JSON value exactly as
    received (decoded with :func:`monitor.feeds.base.decode_json_body`), ``feed`` the
    capture kind, ``source`` the adapter's name. A body that is not JSON raises
    :class:`~monitor.errors.FeedError` with reason ``html_body`` (a 200 OK carrying an
    HTML error page), ``empty_body`` or ``bad_json``.

``parse_retry_after(value, now) -> float | None``
    Seconds to wait from a ``Retry-After`` value (``"120"`` or an HTTP date).

``retry_after_s(response, now=None) -> float | None``
    The wait a response asks for, from the headers above, or ``None``.

``class OAuthClientCredentials``
    An OAuth2 client-credentials token cache (``grant_type=client_credentials``): the token
    is fetched on first use, reused until shortly before ``expires_in`` runs out, and
    dropped with :meth:`~OAuthClientCredentials.invalidate` after a 401 so the next call
    fetches a fresh one. Credentials go in the form body (OpenSky's Keycloak realm) or as
    HTTP basic auth (FAA NMS), chosen by ``basic_auth``.

Nothing here parses a feed: adapters return capture records and the pipeline parses them,
so a recorded capture replays exactly like the live feed. Only this module and the
adapters do network I/O.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from monitor.capture import CaptureRecord
from monitor.errors import FeedError, ParseError, RateLimited
from monitor.feeds.base import decode_json_body
from monitor.timeutil import utcnow

log = logging.getLogger(__name__)

#: seconds before a request is abandoned (connect, read, write and pool each), for adapters
#: that set a timeout of their own; the service's HTTP client uses it too
DEFAULT_TIMEOUT_S = 20.0
#: wait after a 429 that names no delay
DEFAULT_RETRY_AFTER_S = 60.0
#: the longest wait we accept from a server (a day); longer values are clamped
MAX_RETRY_AFTER_S = 86_400.0

_RETRY_HEADERS = ("X-Rate-Limit-Retry-After-Seconds", "Retry-After")


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value.

    Parameters
    ----------
    value:
        Either delta seconds (``"120"``, ``"1.5"``) or an HTTP date
        (``"Wed, 21 Oct 2015 07:28:00 GMT"``).
    now:
        The current UTC time, used for an HTTP date.

    Returns
    -------
    float or None
        Seconds, never negative, at most :data:`MAX_RETRY_AFTER_S`; ``None`` when the value
        is missing or unreadable.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP date is GMT by definition
            when = when.replace(tzinfo=now.tzinfo)
        seconds = (when - now).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def retry_after_s(response: httpx.Response, now: datetime | None = None) -> float | None:
    """The wait ``response`` asks for (OpenSky's header first, then ``Retry-After``)."""
    now = now or utcnow()
    for name in _RETRY_HEADERS:
        wait = parse_retry_after(response.headers.get(name), now)
        if wait is not None:
            return wait
    return None


async def fetch(
    client: httpx.AsyncClient,
    feed: str,
    url: str,
    *,
    method: str = "GET",
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    data: Mapping[str, Any] | None = None,
    json: Any = None,
    auth: httpx.Auth | tuple[str, str] | None = None,
    timeout_s: float | None = None,
    now: datetime | None = None,
) -> httpx.Response:
    """One HTTP request for feed ``feed``, with the failure modes turned into feed errors.

    See the module docstring for what is raised. ``timeout_s`` ``None`` keeps the client's
    timeouts. ``now`` (UTC) is only used to read a ``Retry-After`` HTTP date; tests pass
    it, live code leaves it out.
    """
    started = time.monotonic()
    try:
        response = await client.request(
            method,
            url,
            params=params,
            headers=headers,
            data=data,
            json=json,
            auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
            timeout=timeout_s if timeout_s is not None else httpx.USE_CLIENT_DEFAULT,
            follow_redirects=True,
        )
    except httpx.TimeoutException as exc:
        raise FeedError(feed, "timeout", f"{method} {url}: {type(exc).__name__}") from None
    except httpx.ConnectError as exc:
        raise FeedError(feed, "connect_error", f"{method} {url}: {exc}") from None
    except httpx.RequestError as exc:  # other transport faults, too many redirects, bad encoding
        raise FeedError(feed, "transport_error", f"{method} {url}: {exc!r}") from None
    elapsed = time.monotonic() - started
    status = response.status_code
    log.debug("%s: %s %s -> %d in %.2f s", feed, method, url, status, elapsed)
    if status == 429 or status == 503:
        wait = retry_after_s(response, now)
        if status == 429 or wait is not None:
            wait = DEFAULT_RETRY_AFTER_S if wait is None else wait
            raise RateLimited(feed, wait, f"HTTP {status}, retry after {wait:.0f} s")
    if status >= 400:
        snippet = response.text[:200].replace("\n", " ")
        raise FeedError(feed, f"http_{status}", f"{method} {url}: {snippet}")
    return response


def response_to_record(
    kind: str,
    source: str,
    response: httpx.Response,
    *,
    received_at: datetime | None = None,
    ref: str | None = None,
) -> CaptureRecord:
    """The capture record of a JSON response (body kept exactly as received).

    Raises
    ------
    monitor.errors.FeedError
        ``html_body``, ``empty_body`` or ``bad_json`` when the body is not JSON.
    """
    try:
        body = decode_json_body(kind, response.content, response.headers.get("content-type"))
    except ParseError as exc:
        raise FeedError(source, exc.reason, exc.detail) from None
    return CaptureRecord(
        feed=kind,
        received_at=received_at or utcnow(),
        body=body,
        source=source,
        ref=ref,
    )


class OAuthClientCredentials:
    """OAuth2 client-credentials token cache for one token endpoint.

    Parameters
    ----------
    client:
        The injected HTTP client.
    feed:
        Feed name used in errors and logs.
    token_url:
        The token endpoint.
    client_id, client_secret:
        The application's credentials.
    basic_auth:
        Send the credentials as HTTP basic auth (FAA NMS) instead of in the form body
        (OpenSky's Keycloak realm).
    refresh_margin_s:
        Fetch a new token this many seconds before the old one expires.
    clock:
        Monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        feed: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        basic_auth: bool = False,
        refresh_margin_s: float = 60.0,
        clock: Any = time.monotonic,
    ) -> None:
        self._client = client
        self._feed = feed
        self.token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._basic_auth = basic_auth
        self._margin_s = refresh_margin_s
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        #: how many tokens were fetched (for logs and tests)
        self.fetches = 0

    def invalidate(self) -> None:
        """Forget the cached token (after a 401)."""
        self._token = None
        self._expires_at = 0.0

    async def token(self) -> str:
        """A valid access token, fetched when none is cached or it is about to expire.

        Raises
        ------
        monitor.errors.FeedError
            ``auth_failed`` when the endpoint refuses the credentials or answers without a
            token; the network reasons of :func:`fetch` otherwise.
        """
        if self._token is not None and self._clock() < self._expires_at:
            return self._token
        form = {"grant_type": "client_credentials"}
        auth: tuple[str, str] | None = None
        if self._basic_auth:
            auth = (self._client_id, self._client_secret)
        else:
            form["client_id"] = self._client_id
            form["client_secret"] = self._client_secret
        try:
            response = await fetch(
                self._client, self._feed, self.token_url, method="POST", data=form, auth=auth
            )
        except RateLimited:
            raise
        except FeedError as exc:
            if exc.reason in ("http_400", "http_401", "http_403"):
                raise FeedError(self._feed, "auth_failed", exc.detail) from None
            raise
        try:
            doc = response.json()
        except ValueError:
            raise FeedError(
                self._feed, "auth_failed", "token endpoint did not answer JSON"
            ) from None
        token = doc.get("access_token") if isinstance(doc, dict) else None
        if not isinstance(token, str) or not token:
            raise FeedError(self._feed, "auth_failed", "no access_token in the token response")
        expires_in = doc.get("expires_in")
        life_s = float(expires_in) if isinstance(expires_in, int | float) else 300.0
        self._token = token
        self._expires_at = self._clock() + max(life_s - self._margin_s, life_s / 2.0)
        self.fetches += 1
        log.info("%s: new access token, valid %.0f s", self._feed, life_s)
        return token
