"""OpenSky Network ``/api/states/all``: the parser (pure) and the polling adapter (I/O).

Capture kind ``opensky_states``. The body is ``{"time": epoch s, "states": [[...], ...]}``
(``states`` is ``null`` when nothing matched). Each state vector is an array:

====  ===============  =====================================================
 idx  field            here
====  ===============  =====================================================
   0  icao24           ``subject_id`` (lower-cased)
   1  callsign         ``callsign``, stripped, empty -> ``None``
   2  origin_country   not kept (no field in Observation)
   3  time_position    ``time`` (epoch s); ``None`` -> no fix, skipped
   4  last_contact     not kept (the fix time is ``time_position``)
   5  longitude        ``lon``
   6  latitude         ``lat``
   7  baro_altitude m  ``altitude_ft`` (m -> ft)
   8  on_ground        ``on_ground``
   9  velocity m/s     ``ground_speed_kt`` (m/s -> kt)
  10  true_track       ``track_deg``; FLARM's signed (-180, 180] -> [0, 360)
  11  vertical_rate    ``vertical_rate_fpm`` (m/s -> ft/min)
  12  sensors          not kept
  13  geo_altitude m   ``geo_altitude_ft`` (m -> ft)
  14  squawk           ``squawk``
  15  spi              not kept
  16  position_source  0 ``adsb``, 1 ``asterix``, 2 ``mlat``, 3 ``flarm``
  17  category         only with ``extended=1``; no field in Observation, not kept
====  ===============  =====================================================

Units are converted here, once, with the factors of :mod:`monitor.units`. OpenSky sends no
NIC / NACp, emergency field or military flag: those stay ``None``.

Bad input, per state vector, is skipped and counted by reason: ``not_a_list`` (or fewer
than 17 fields), ``bad_icao24``, ``no_position`` (no lat/lon or no ``time_position``: a
normal OpenSky entry, not a feed fault), ``bad_position``, ``bad_time``, ``future_time``
(later than ``received_at`` + :data:`~monitor.feeds.base.MAX_FUTURE_S`), ``bad_record``.
Bad fields of a usable fix become ``None`` and are counted: ``negative_speed``
(velocity < 0), ``bad_track``. A body that is not ``{time, states}`` raises
:class:`~monitor.errors.ParseError` (``wrong_shape``, ``html_body`` ...).

Credit-aware polling (the adapter)
----------------------------------
OpenSky charges API credits per ``/states/all`` request by the area of the bounding box:
<= 25 sq deg costs 1, <= 100 costs 2, <= 400 costs 3, more (or no box) costs 4. Daily
budgets: 400 anonymous, 4,000 for a registered user, 8,000 for an active feeder.
:func:`credit_interval_s` spreads the budget over the day; :func:`next_poll_delay_s`
tightens it from ``X-Rate-Limit-Remaining`` (assuming the budget resets at 00:00 UTC; the
documentation says only "per day"). A 429 raises :class:`~monitor.errors.RateLimited`
with ``X-Rate-Limit-Retry-After-Seconds``. Authentication is anonymous or OAuth2 client
credentials (basic auth is no longer accepted).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from monitor.domain import ParseResult, SubjectKind
from monitor.errors import ConfigError, FeedError, ParseError
from monitor.feeds.adsbx import new_observation
from monitor.feeds.base import MAX_FUTURE_S, ParseFn, PollingAdapter, PollResult, decode_json_body
from monitor.feeds.http import OAuthClientCredentials, fetch, response_to_record
from monitor.timeutil import utcnow
from monitor.units import FPM_PER_MPS, FT_PER_M, KT_PER_MPS

log = logging.getLogger(__name__)

FEED_KIND = "opensky_states"

POSITION_SOURCE: tuple[str, ...] = ("adsb", "asterix", "mlat", "flarm")


def _states(body: Any) -> tuple[list[Any], Any]:
    if not isinstance(body, dict):
        raise ParseError(FEED_KIND, "wrong_shape", f"body is a {type(body).__name__}")
    if "states" not in body:
        raise ParseError(FEED_KIND, "wrong_shape", f"no 'states' in keys {sorted(body)[:8]}")
    states = body["states"]
    if states is None:
        return [], body.get("time")
    if not isinstance(states, list):
        raise ParseError(FEED_KIND, "wrong_shape", f"'states' is a {type(states).__name__}")
    return states, body.get("time")


def parse_opensky(
    body: Any, *, received_at: datetime, source: str, record_ref: str | None
) -> ParseResult:
    """Parse one ``/states/all`` body (see the module docstring); raw bytes are decoded first.

    Raises
    ------
    monitor.errors.ParseError
        When the body as a whole cannot be used.
    """
    if isinstance(body, (bytes, bytearray, memoryview)):
        body = decode_json_body(FEED_KIND, bytes(body))
    states, feed_time = _states(body)
    result = ParseResult()
    if (type(feed_time) is int or type(feed_time) is float) and 0 < feed_time < 1e11:
        result.feed_time = datetime.fromtimestamp(feed_time, UTC)
    _parse_states(states, received_at.timestamp() + MAX_FUTURE_S, source, record_ref, result)
    return result


def _parse_states(  # noqa: C901 - one flat hot loop, kept inline for speed
    states: list[Any], limit_s: float, source: str, ref: str | None, result: ParseResult
) -> None:
    obs_append = result.observations.append
    reject = result.reject
    new_obs = new_observation
    aircraft = SubjectKind.AIRCRAFT
    fromts = datetime.fromtimestamp
    utc = UTC
    kind = FEED_KIND
    ft_per_m = FT_PER_M
    kt_per_mps = KT_PER_MPS
    fpm_per_mps = FPM_PER_MPS
    psrc = POSITION_SOURCE
    _float = float
    _int = int
    _str = str
    _list = list
    _bool = bool
    _type = type
    # many state vectors of one response share their time_position second
    times: dict[Any, datetime] = {}
    times_get = times.get

    for s in states:
        if _type(s) is not _list or len(s) < 17:
            reject("not_a_list", repr(s)[:80])
            continue
        try:
            (
                icao,
                cs,
                _country,
                tpos,
                _last,
                lon,
                lat,
                balt,
                gnd,
                vel,
                trk,
                vr,
                _sens,
                galt,
                sq,
                _spi,
                ps,
            ) = s[:17]
            if _type(icao) is not _str or len(icao) != 6:
                reject("bad_icao24", repr(icao)[:40])
                continue
            icao = icao.lower()
            if lat is None or lon is None or tpos is None:
                reject("no_position")
                continue
            tlat = _type(lat)
            tlon = _type(lon)
            if (
                (tlat is not _float and tlat is not _int)
                or (tlon is not _float and tlon is not _int)
                or not (-90.0 <= lat <= 90.0)
                or not (-180.0 <= lon <= 180.0)
            ):
                reject("bad_position", f"{icao} lat={lat!r} lon={lon!r}")
                continue
            tt = _type(tpos)
            if (tt is not _int and tt is not _float) or not (0 < tpos < 1e11):
                reject("bad_time", f"{icao} time_position={tpos!r}")
                continue
            if tpos > limit_s:
                reject("future_time", f"{icao} time_position={tpos!r}")
                continue

            if cs is not None:
                cs = cs.strip() if _type(cs) is _str else None
                if not cs:
                    cs = None
            # out-of-range numbers (1e308, NaN) become unknown: never inf after conversion
            if balt is not None:
                tb = _type(balt)
                balt = balt * ft_per_m if (tb is _float or tb is _int) and -2e3 < balt < 1e5 else None
            if galt is not None:
                tb = _type(galt)
                galt = galt * ft_per_m if (tb is _float or tb is _int) and -2e3 < galt < 1e5 else None
            if gnd is not None and _type(gnd) is not _bool:
                gnd = None
            if vel is not None:
                tv = _type(vel)
                if tv is not _float and tv is not _int:
                    vel = None
                elif vel < 0.0:
                    reject("negative_speed", f"{icao} velocity={vel!r}")
                    vel = None
                elif not vel < 2e3:  # faster than any aircraft (or NaN)
                    reject("bad_speed", f"{icao} velocity={vel!r}")
                    vel = None
                else:
                    vel = vel * kt_per_mps
            if trk is not None:
                tv = _type(trk)
                if (tv is not _float and tv is not _int) or not (-180.0 <= trk <= 360.0):
                    reject("bad_track", f"{icao} true_track={trk!r}")
                    trk = None
                elif trk < 0.0:  # FLARM sends signed tracks (-180, 180]
                    trk += 360.0
            if vr is not None:
                tv = _type(vr)
                vr = vr * fpm_per_mps if (tv is _float or tv is _int) and -1e3 < vr < 1e3 else None
            if sq is not None and _type(sq) is not _str:
                sq = None
            src = psrc[ps] if _type(ps) is _int and 0 <= ps <= 3 else None

            when = times_get(tpos)
            if when is None:
                when = times[tpos] = fromts(tpos, utc)

            obs_append(
                new_obs(
                    source,
                    kind,
                    aircraft,
                    icao,
                    when,
                    lat,
                    lon,
                    cs,
                    None,  # name
                    balt,
                    galt,
                    vel,
                    trk,
                    None,  # heading_deg
                    vr,
                    sq,
                    None,  # emergency
                    gnd,
                    None,  # nic
                    None,  # nac_p
                    None,  # gps_ok_before
                    src,
                    None,  # military
                    None,  # aircraft_type
                    None,  # registration
                    None,  # vessel_type
                    None,  # nav_status
                    ref,
                )
            )
        except (TypeError, ValueError, AttributeError, OverflowError, OSError) as exc:
            reject("bad_record", f"{type(exc).__name__}: {exc}; {repr(s)[:80]}")


def make_parser() -> ParseFn:
    """A parser for capture kind ``opensky_states`` (stateless)."""
    return parse_opensky


# --- credits (pure) ----------------------------------------------------------------------

#: daily credit budgets by account kind
DAILY_CREDITS: dict[str, int] = {"anonymous": 400, "user": 4000, "feeder": 8000}
#: OpenSky's time resolution: anonymous 10 s, authenticated 5 s
MIN_INTERVAL_S: dict[str, float] = {"anonymous": 10.0, "user": 5.0, "feeder": 5.0}

DAY_S = 86_400.0

BBox = tuple[float, float, float, float]


def bbox_area_sq_deg(bbox: BBox | None) -> float:
    """Area of ``(min_lon, min_lat, max_lon, max_lat)`` in square degrees (None: the world)."""
    if bbox is None:
        return 360.0 * 180.0
    min_lon, min_lat, max_lon, max_lat = bbox
    return abs(max_lon - min_lon) * abs(max_lat - min_lat)


def credits_per_request(bbox: BBox | None) -> int:
    """Credits one ``/states/all`` request costs: 1 / 2 / 3 / 4 by box area (<=25/100/400)."""
    area = bbox_area_sq_deg(bbox)
    if area <= 25.0:
        return 1
    if area <= 100.0:
        return 2
    if area <= 400.0:
        return 3
    return 4


def credit_interval_s(
    bbox: BBox | None, daily_credits: int, *, min_interval_s: float = 10.0
) -> float:
    """The poll interval at which ``daily_credits`` last exactly one day.

    Examples
    --------
    >>> credit_interval_s((-90.0, 0.0, -55.0, 28.0), 400)   # 980 sq deg, anonymous
    864.0
    >>> credit_interval_s((-70.0, 8.0, -65.0, 12.0), 4000)  # 20 sq deg, user
    21.6
    """
    if daily_credits <= 0:
        raise ConfigError(f"daily credit budget must be > 0, got {daily_credits}")
    return max(min_interval_s, DAY_S * credits_per_request(bbox) / daily_credits)


def next_poll_delay_s(
    cost: int, remaining: int | None, now: datetime, base_interval_s: float
) -> float:
    """Seconds to the next poll, given the credits the server says are left.

    With ``remaining`` unknown the base interval stands. Otherwise the remaining credits
    are spread over what is left of the UTC day (never faster than the base interval);
    with fewer credits left than one request costs, wait for the reset at 00:00 UTC.
    """
    if remaining is None:
        return base_interval_s
    midnight = (now.astimezone(UTC) + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    left_s = max((midnight - now).total_seconds(), 1.0)
    if remaining < cost:
        return left_s
    return max(base_interval_s, left_s * cost / remaining)


# --- adapter (I/O) -----------------------------------------------------------------------

DEFAULT_BASE_URL = "https://opensky-network.org/api"
DEFAULT_TOKEN_URL = (
    "https://auth.opensky-network.org/auth/realms/opensky-network/protocol/openid-connect/token"
)


class OpenSkyStatesAdapter(PollingAdapter):
    """Polls ``/states/all`` for one bounding box, anonymously or with OAuth2 credentials.

    Parameters
    ----------
    client:
        The injected HTTP client.
    bbox:
        ``(min_lon, min_lat, max_lon, max_lat)``; sent as ``lamin, lomin, lamax, lomax``.
    client_id, client_secret:
        OAuth2 client credentials from the OpenSky account page; both or neither.
    account:
        ``anonymous``, ``user`` or ``feeder`` (sets the daily budget); defaults to
        ``user`` with credentials, ``anonymous`` without.
    daily_credits:
        Override the budget (e.g. to leave credits for other tools).
    base_url, token_url:
        Override the endpoints (tests and the demo use 127.0.0.1).
    extended:
        Ask for the aircraft category (index 17).
    """

    kind = FEED_KIND

    def __init__(
        self,
        client: httpx.AsyncClient,
        bbox: BBox,
        *,
        name: str = "opensky",
        client_id: str | None = None,
        client_secret: str | None = None,
        account: str | None = None,
        daily_credits: int | None = None,
        base_url: str = DEFAULT_BASE_URL,
        token_url: str = DEFAULT_TOKEN_URL,
        extended: bool = True,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if bool(client_id) != bool(client_secret):
            raise ConfigError(f"{name}: set both client_id and client_secret, or neither")
        self.client = client
        self.name = name
        self.bbox = bbox
        self.account = account or ("user" if client_id else "anonymous")
        if self.account not in DAILY_CREDITS:
            raise ConfigError(
                f"{name}: account must be one of {sorted(DAILY_CREDITS)}, got {self.account!r}"
            )
        self.daily_credits = daily_credits or DAILY_CREDITS[self.account]
        self.cost = credits_per_request(bbox)
        self.interval_s = credit_interval_s(
            bbox, self.daily_credits, min_interval_s=MIN_INTERVAL_S[self.account]
        )
        self.url = base_url.rstrip("/") + "/states/all"
        min_lon, min_lat, max_lon, max_lat = bbox
        self.params: dict[str, Any] = {
            "lamin": min_lat,
            "lomin": min_lon,
            "lamax": max_lat,
            "lomax": max_lon,
        }
        if extended:
            self.params["extended"] = 1
        self.auth = (
            OAuthClientCredentials(client, name, token_url, client_id, client_secret)
            if client_id and client_secret
            else None
        )
        self._clock = clock
        #: credits left today, from the last ``X-Rate-Limit-Remaining``
        self.remaining: int | None = None
        self._seq = 0

    async def _get(self) -> httpx.Response:
        headers: dict[str, str] = {}
        if self.auth is None:
            return await fetch(self.client, self.name, self.url, params=self.params)
        headers["Authorization"] = f"Bearer {await self.auth.token()}"
        try:
            return await fetch(
                self.client, self.name, self.url, params=self.params, headers=headers
            )
        except FeedError as exc:
            if exc.reason != "http_401":
                raise
        log.info("%s: 401 with a cached token; fetching a new one and retrying once", self.name)
        self.auth.invalidate()
        headers["Authorization"] = f"Bearer {await self.auth.token()}"
        return await fetch(self.client, self.name, self.url, params=self.params, headers=headers)

    async def poll(self) -> PollResult:
        response = await self._get()
        received_at = self._clock()
        remaining = response.headers.get("X-Rate-Limit-Remaining")
        if remaining is not None:
            try:
                self.remaining = int(remaining)
            except ValueError:
                log.warning("%s: unreadable X-Rate-Limit-Remaining %r", self.name, remaining)
        self._seq += 1
        record = response_to_record(
            self.kind,
            self.name,
            response,
            received_at=received_at,
            ref=f"live:{self.name}:{self._seq}",
        )
        delay = next_poll_delay_s(self.cost, self.remaining, received_at, self.interval_s)
        log.debug(
            "%s: states polled (%d credits/request, %s left, next in %.0f s)",
            self.name,
            self.cost,
            "?" if self.remaining is None else self.remaining,
            delay,
        )
        return PollResult([record], next_delay_s=delay)
