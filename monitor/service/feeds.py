"""Feed adapters built from the ``feeds:`` section of the config.

Each ``type`` maps to one adapter class. A feed whose key (``needs_env``) is not set in
the environment does not start; ``monitor run`` and ``monitor feeds`` say which feeds run
and which wait for a key. Unknown ``options`` are reported with the feed's name.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from monitor import __version__
from monitor.config import FeedConfig, Settings
from monitor.errors import ConfigError
from monitor.feeds.base import PollingAdapter, StreamingAdapter

log = logging.getLogger(__name__)

USER_AGENT = f"caribe-monitor/{__version__} (+https://github.com/; incident monitoring)"

POLLING_TYPES = {"opensky", "adsb_v2", "readsb", "nga_msi", "aishub", "notam"}
STREAMING_TYPES = {"aisstream", "nmea_tcp", "nmea_udp"}
FEED_TYPES = POLLING_TYPES | STREAMING_TYPES


def make_http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(20.0, connect=10.0),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        follow_redirects=True,
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
    )


@dataclass
class BuiltFeeds:
    polling: list[PollingAdapter]
    streaming: list[StreamingAdapter]
    waiting: list[tuple[FeedConfig, list[str]]]
    disabled: list[FeedConfig]


def _kw(cfg: FeedConfig, **base: Any) -> dict[str, Any]:
    """Constructor keywords: the given ones that are set, then the feed's ``options``."""
    out = {k: v for k, v in base.items() if v is not None}
    out.update(cfg.options)
    return out


def _build_one(
    cfg: FeedConfig, settings: Settings, client: httpx.AsyncClient, env: Mapping[str, str]
) -> PollingAdapter | StreamingAdapter:
    bbox = settings.region.bbox
    t = cfg.type
    if t == "opensky":
        from monitor.feeds.opensky import OpenSkyStatesAdapter

        cid = env.get("OPENSKY_CLIENT_ID") or None
        secret = env.get("OPENSKY_CLIENT_SECRET") or None
        if bool(cid) != bool(secret):
            raise ConfigError("feed opensky: set both OPENSKY_CLIENT_ID and OPENSKY_CLIENT_SECRET, or neither")
        return OpenSkyStatesAdapter(
            client, bbox, **_kw(cfg, name=cfg.name, client_id=cid, client_secret=secret, base_url=cfg.base_url)
        )
    if t == "adsb_v2":
        from monitor.feeds.adsbx import PROVIDERS, AdsbV2Adapter

        options = dict(cfg.options)
        provider = options.pop("provider", cfg.name)
        if provider not in PROVIDERS:
            raise ConfigError(
                f"feed {cfg.name}: options.provider {provider!r} unknown; known: {', '.join(PROVIDERS)}"
            )
        key = env.get(cfg.needs_env[0]) if cfg.needs_env else None
        return AdsbV2Adapter(
            client,
            PROVIDERS[provider],
            bbox,
            name=cfg.name,
            interval_s=cfg.interval_s or 60.0,
            api_key=key,
            base_url=cfg.base_url,
            **options,
        )
    if t == "readsb":
        from monitor.feeds.adsbx import LocalReadsbAdapter

        options = dict(cfg.options)
        location = options.pop("location", cfg.base_url)
        if not location:
            raise ConfigError(f"feed {cfg.name}: readsb needs options.location (URL or file path)")
        return LocalReadsbAdapter(
            location, client=client, name=cfg.name, interval_s=cfg.interval_s or 5.0, **options
        )
    if t == "nga_msi":
        from monitor.feeds.nga_msi import NgaMsiAdapter

        return NgaMsiAdapter(
            client, **_kw(cfg, name=cfg.name, base_url=cfg.base_url, interval_s=cfg.interval_s)
        )
    if t == "aishub":
        from monitor.feeds.aishub import AishubAdapter

        options = dict(cfg.options)
        username = env.get(cfg.needs_env[0]) if cfg.needs_env else options.pop("username", None)
        if not username:
            raise ConfigError(f"feed {cfg.name}: AISHub needs a username (AISHUB_USERNAME)")
        return AishubAdapter(
            client,
            username,
            bbox=bbox,
            **{**_kw(cfg, name=cfg.name, base_url=cfg.base_url, interval_s=cfg.interval_s), **options},
        )
    if t == "notam":
        from monitor.feeds.notam import NmsNotamAdapter

        options = dict(cfg.options)
        locations = options.pop("locations", ["SVZM", "TTZP", "TNCF", "SKEC", "SKED", "TJZS"])
        return NmsNotamAdapter(
            client,
            locations,
            client_id=env.get("FAA_NMS_CLIENT_ID", ""),
            client_secret=env.get("FAA_NMS_CLIENT_SECRET", ""),
            **{
                k: v
                for k, v in {"name": cfg.name, "base_url": cfg.base_url, "interval_s": cfg.interval_s}.items()
                if v is not None
            },
            **options,
        )
    if t == "aisstream":
        from monitor.feeds.aisstream import AisstreamAdapter

        min_lon, min_lat, max_lon, max_lat = bbox
        boxes = (((min_lat, min_lon), (max_lat, max_lon)),)
        options = dict(cfg.options)
        api_key = env.get(cfg.needs_env[0], "") if cfg.needs_env else options.pop("api_key", "")
        bounding = options.pop("bounding_boxes", boxes)
        if cfg.base_url:
            options["url"] = cfg.base_url
        return AisstreamAdapter(api_key, bounding, name=cfg.name, **options)
    if t in ("nmea_tcp", "nmea_udp"):
        from monitor.feeds.nmea import NmeaTcpAdapter, NmeaUdpAdapter

        options = dict(cfg.options)
        host = options.pop("host", "127.0.0.1")
        port = options.pop("port", None)
        if port is None:
            raise ConfigError(f"feed {cfg.name}: {t} needs options.port")
        cls = NmeaTcpAdapter if t == "nmea_tcp" else NmeaUdpAdapter
        return cls(host, int(port), name=cfg.name, **options)
    raise ConfigError(
        f"{settings.source_file}: feeds ({cfg.name}).type: unknown feed type {t!r}; "
        f"known: {', '.join(sorted(FEED_TYPES))}"
    )


def build_feeds(
    settings: Settings,
    client: httpx.AsyncClient,
    *,
    environ: Mapping[str, str] | None = None,
    only: Callable[[FeedConfig], bool] | None = None,
) -> BuiltFeeds:
    env = os.environ if environ is None else environ
    built = BuiltFeeds([], [], [], [])
    for cfg in settings.feeds:
        if only is not None and not only(cfg):
            continue
        if not settings.runs_here(cfg.name):
            continue  # another process of a shared deployment runs it
        if not cfg.enabled:
            built.disabled.append(cfg)
            continue
        missing = [k for k in cfg.needs_env if not env.get(k)]
        if missing:
            built.waiting.append((cfg, missing))
            continue
        try:
            adapter = _build_one(cfg, settings, client, env)
        except TypeError as exc:
            raise ConfigError(
                f"{settings.source_file}: feeds ({cfg.name}).options: {exc}"
            ) from None
        if cfg.interval_s is not None and isinstance(adapter, PollingAdapter) and cfg.type != "opensky":
            adapter.interval_s = cfg.interval_s
        if isinstance(adapter, PollingAdapter):
            built.polling.append(adapter)
        else:
            built.streaming.append(adapter)
    return built


def describe_feeds(settings: Settings, environ: Mapping[str, str] | None = None) -> list[tuple[str, str, str, str, str]]:
    """Rows for ``monitor feeds``: name, type, state, interval, why."""
    env = os.environ if environ is None else environ
    rows = []
    for cfg in settings.feeds:
        missing = [k for k in cfg.needs_env if not env.get(k)]
        if not settings.runs_here(cfg.name):
            state, why = "elsewhere", "not in run_feeds (MONITOR_FEEDS / --feeds): another process runs it"
        elif not cfg.enabled:
            state, why = "disabled", "enabled: false in the config"
        elif missing:
            state, why = "waiting for key", "set " + " and ".join(missing)
        else:
            state = "runs"
            extra = [k for k in cfg.optional_env if env.get(k)]
            why = ("with " + ", ".join(extra)) if extra else ("keyless" if not cfg.needs_env else "key set")
        interval = f"{cfg.interval_s:g} s" if cfg.interval_s else ("stream" if cfg.type in STREAMING_TYPES else "auto")
        rows.append((cfg.name, cfg.type, state, interval, why))
    return rows
