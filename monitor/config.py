"""Settings: one typed object, built in ``main()`` from a YAML file and the environment.

Order of precedence: environment variables > the YAML file > defaults. The file is
``config/monitor.yaml`` unless ``MONITOR_CONFIG`` names another. Every option, with its
environment variable, is listed in the README and in ``config/monitor.example.yaml``.
A mistake raises :class:`~monitor.errors.ConfigError` naming the file, the key and what
was expected.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from monitor.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "config" / "monitor.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeedConfig(_Strict):
    """One feed instance.

    ``type`` picks the adapter (``opensky``, ``adsb_v2``, ``readsb``, ``aisstream``,
    ``nmea_tcp``, ``nmea_udp``, ``nga_msi``, ``aishub``, ``notam``). ``needs_env`` lists the
    environment variables that must be set for the feed to start (its key); without them
    it waits and says so at start-up. ``options`` go to the adapter's constructor.
    """

    name: str
    type: str
    enabled: bool = True
    interval_s: float | None = Field(default=None, gt=0)
    base_url: str | None = None
    needs_env: list[str] = Field(default_factory=list)
    optional_env: list[str] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)

    def missing_env(self, environ: dict[str, str] | os._Environ[str] | None = None) -> list[str]:
        env = os.environ if environ is None else environ
        return [k for k in self.needs_env if not env.get(k)]


class RegionConfig(_Strict):
    """The watched region, WGS84 degrees."""

    min_lon: float = Field(default=-85.0, ge=-180, le=180)
    min_lat: float = Field(default=-2.0, ge=-90, le=90)
    max_lon: float = Field(default=-55.0, ge=-180, le=180)
    max_lat: float = Field(default=22.0, ge=-90, le=90)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (self.min_lon, self.min_lat, self.max_lon, self.max_lat)


class GeofenceConfig(_Strict):
    min_dwell_s: float = Field(default=0.0, ge=0)
    exit_grace_s: float = Field(default=0.0, ge=0)


class StorageConfig(_Strict):
    observation_sample_s: float = Field(default=60.0, ge=0)
    observation_retention_days: float = Field(default=30.0, gt=0)


class WebConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    public_url: str | None = None
    admin_token: str | None = None
    cors_origins: list[str] = Field(default_factory=list)


class RoutesetConfig(_Strict):
    """The live route source (adsb.lol ``POST /api/0/routeset``, keyless).

    Every ``interval_s`` the live service asks the routes of the airborne aircraft it
    tracks whose call sign it has not asked today (cache per call sign and UTC day), at
    most ``max_requests_per_hour`` POSTs of up to 100 call signs, each bounded by
    ``timeout_s``; errors and 429 back off from ``backoff_base_s`` doubling to
    ``backoff_max_s``. New call signs are sent once ``min_batch`` are pending or the oldest
    has waited ``max_wait_s``. Routes of ``routes_csv`` win over its answers.
    """

    #: off unless the file says so (the shipped ``config/monitor.yaml`` does; the demo's
    #: settings do not, so the demo stays off the internet)
    enabled: bool = False
    base_url: str = "https://api.adsb.lol"
    interval_s: float = Field(default=60.0, gt=0)
    max_requests_per_hour: int = Field(default=120, ge=1)
    timeout_s: float = Field(default=10.0, gt=0)
    backoff_base_s: float = Field(default=30.0, gt=0)
    backoff_max_s: float = Field(default=3600.0, gt=0)
    min_batch: int = Field(default=50, ge=1, le=100)
    max_wait_s: float = Field(default=300.0, ge=0)


class Settings(_Strict):
    database_url: str = "sqlite:///var/monitor.sqlite"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    region: RegionConfig = Field(default_factory=RegionConfig)
    geofence: GeofenceConfig = Field(default_factory=GeofenceConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    feeds: list[FeedConfig] = Field(default_factory=list)
    detectors: dict[str, dict[str, Any]] = Field(default_factory=dict)
    alerts: dict[str, Any] = Field(default_factory=dict)
    record_path: str | None = None
    geodata_dir: str | None = None
    routes_csv: list[str] = Field(default_factory=list)
    routeset: RoutesetConfig = Field(default_factory=RoutesetConfig)
    #: names of the configured feeds this process runs (empty: all of them). Several
    #: processes sharing one database each run their own subset (README "Production").
    run_feeds: list[str] = Field(default_factory=list)
    source_file: str | None = None

    @field_validator("feeds")
    @classmethod
    def _unique_names(cls, feeds: list[FeedConfig]) -> list[FeedConfig]:
        seen: set[str] = set()
        for f in feeds:
            if f.name in seen:
                raise ValueError(f"feed name {f.name!r} is used twice")
            seen.add(f.name)
        return feeds

    @field_validator("run_feeds")
    @classmethod
    def _known_run_feeds(cls, run_feeds: list[str], info: ValidationInfo) -> list[str]:
        names = [f.name for f in info.data.get("feeds", [])]
        unknown = [n for n in run_feeds if n not in names]
        if unknown:
            raise ValueError(
                f"names feeds that are not configured: {', '.join(unknown)} "
                f"(configured: {', '.join(names) or 'none'})"
            )
        return run_feeds

    def runs_here(self, feed_name: str) -> bool:
        """True when this process runs the feed (``run_feeds`` empty or naming it)."""
        return not self.run_feeds or feed_name in self.run_feeds

    def enabled_detectors(self) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.detectors.items() if v.get("enabled", True)}


#: environment variable -> dotted settings key
ENV_OVERRIDES: dict[str, str] = {
    "DATABASE_URL": "database_url",
    "MONITOR_LOG_LEVEL": "log_level",
    "MONITOR_LOG_FORMAT": "log_format",
    "MONITOR_HOST": "web.host",
    "MONITOR_PORT": "web.port",
    "MONITOR_PUBLIC_URL": "web.public_url",
    "MONITOR_ADMIN_TOKEN": "web.admin_token",
    "MONITOR_RECORD": "record_path",
    "MONITOR_GEODATA_DIR": "geodata_dir",
    "MONITOR_ROUTES_CSV": "routes_csv",
    "MONITOR_ROUTESET_URL": "routeset.base_url",
    "MONITOR_FEEDS": "run_feeds",
}


def load_settings(
    path: Path | str | None = None,
    *,
    environ: dict[str, str] | os._Environ[str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Read the YAML file, apply environment variables and explicit overrides, validate."""
    env = os.environ if environ is None else environ
    cfg_path = Path(path or env.get("MONITOR_CONFIG") or DEFAULT_CONFIG)
    data: dict[str, Any] = {}
    if cfg_path.exists():
        try:
            loaded = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{cfg_path}: not valid YAML: {exc}") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{cfg_path}: expected a mapping at the top, got {type(loaded).__name__}")
        data = loaded
    elif path is not None or env.get("MONITOR_CONFIG"):
        raise ConfigError(f"config file {cfg_path} does not exist")
    for var, dotted in ENV_OVERRIDES.items():
        if env.get(var):
            value: Any = env[var]
            if dotted == "routes_csv":
                value = [p for p in value.split(os.pathsep) if p]
            elif dotted == "run_feeds":
                value = [n.strip() for n in value.split(",") if n.strip()]
            _set_dotted(data, dotted, value)
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(data, dotted, value)
    data["source_file"] = str(cfg_path)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(cfg_path, exc, data)) from None


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = data
    for p in parts[:-1]:
        nxt = node.get(p)
        if not isinstance(nxt, dict):
            nxt = node[p] = {}
        node = nxt
    node[parts[-1]] = value


def format_validation_error(path: Path, exc: ValidationError, data: dict[str, Any]) -> str:
    lines = [f"{path}: invalid configuration"]
    for err in exc.errors():
        loc = list(err["loc"])
        key = _describe_loc(loc, data)
        got = err.get("input")
        got_text = "" if isinstance(got, dict) else f" (got {got!r})"
        lines.append(f"  {key}: {err['msg']}{got_text}")
    return "\n".join(lines)


def _describe_loc(loc: list[Any], data: dict[str, Any]) -> str:
    out: list[str] = []
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            name = None
            if isinstance(node, list) and part < len(node) and isinstance(node[part], dict):
                name = node[part].get("name")
            out.append(f"[{part}]" + (f" ({name})" if name else ""))
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            out.append(("." if out else "") + str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return "".join(out)
