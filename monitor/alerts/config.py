"""Alert configuration: the ``alerts:`` section of the settings, typed and checked at start-up.

Shape (see ``config/alerts.example.yaml`` for a commented example)::

    alerts:
      enabled: true
      base_url: null            # links in alerts; default web.public_url or http://host:port
      file: null                # optional YAML file whose ``alerts:`` section is merged first
      channels:                 # named channels; URLs and secrets stay here, never in the DB
        ops_hook: {type: webhook, url: "http://127.0.0.1:9009/hook", secret_env: ALERT_HOOK_SECRET}
        desk_slack: {type: apprise, url_env: DESK_SLACK_URL}
        console: {type: console}
      rules:
        - name: incursions
          kinds: [incursion]
          zones: [SVZM]
          min_severity: medium
          channels: [console, ops_hook]
          cooldown_s: 900
          on_close: true
      dispatcher: {max_attempts: 8, backoff_base_s: 2, backoff_max_s: 900}

:func:`load_alert_rules` turns that into an :class:`AlertSetup` and rejects a bad rule at
start-up with a :class:`~monitor.errors.ConfigError` that names it: an unparsable Apprise
or webhook URL, an unknown incident kind, an unknown zone, an undefined channel, a missing
environment variable. Channel URLs and webhook secrets are secrets: they are resolved here,
kept out of ``repr`` and of the logs, and only the channel *name* is ever stored.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from monitor.alerts.rules import ZONE_CHANGE, AlertRule, SubjectFilter
from monitor.domain import IncidentKind, Severity
from monitor.errors import ConfigError

#: kinds a rule may name: every incident kind plus zone changes
KNOWN_KINDS: tuple[str, ...] = (*(k.value for k in IncidentKind), ZONE_CHANGE)

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChannelConfig(_Strict):
    """One named channel.

    ``type``: ``webhook`` (JSON POST, HMAC-signed when a secret is set), ``apprise`` (any
    Apprise URL: Slack, Discord, Telegram, Matrix, Teams, mailto/SMTP, ntfy ...) or
    ``console`` (the log / terminal). The URL comes from ``url`` or from the environment
    variable named by ``url_env``; the webhook secret from ``secret`` or ``secret_env``.
    """

    type: Literal["webhook", "apprise", "console"]
    url: SecretStr | None = None
    url_env: str | None = None
    secret: SecretStr | None = None
    secret_env: str | None = None
    timeout_s: float = Field(default=10.0, gt=0, le=300)
    headers: dict[str, str] = Field(default_factory=dict)


class SubjectsConfig(_Strict):
    """Watch lists; when any is given, an incident must concern one of the listed subjects."""

    icao24: list[str] = Field(default_factory=list, description="ICAO 24-bit addresses (hex)")
    callsigns: list[str] = Field(default_factory=list, description="fnmatch patterns, e.g. AAL*")
    mmsi: list[str] = Field(default_factory=list)
    feeds: list[str] = Field(default_factory=list, description="feed names (feed_health)")


class RuleConfig(_Strict):
    name: str = Field(pattern=_NAME)
    enabled: bool = True
    kinds: list[str] = Field(default_factory=list)
    zones: list[str] = Field(default_factory=list)
    min_severity: Severity = Severity.INFO
    subjects: SubjectsConfig = Field(default_factory=SubjectsConfig)
    channels: list[str] = Field(min_length=1)
    cooldown_s: float = Field(default=900.0, ge=0)
    on_update: bool = True
    on_close: bool = False


class DispatcherConfig(_Strict):
    """How the dispatcher delivers (see ``monitor.alerts.dispatcher``)."""

    enabled: bool = True
    #: look for due alerts at least this often (a commit in this process wakes it at once)
    poll_s: float = Field(default=0.25, gt=0, le=60)
    #: alerts sent at the same time
    concurrency: int = Field(default=8, ge=1, le=256)
    #: attempts before an alert is moved to ``dead``
    max_attempts: int = Field(default=8, ge=1, le=100)
    #: first retry after about this long; doubles each attempt (with jitter) up to the max
    backoff_base_s: float = Field(default=2.0, gt=0)
    backoff_max_s: float = Field(default=900.0, gt=0)
    #: an alert claimed for sending and not settled within this time is tried again
    lease_s: float = Field(default=60.0, gt=0)
    #: alert on zone versions stored by users or feeds (NOTAMs, NGA warnings)
    watch_zones: bool = True
    zone_watch_every_s: float = Field(default=5.0, gt=0)


class DigestConfig(_Strict):
    """The daily digest (:mod:`monitor.alerts.digest`): rules in force and their changes,
    traffic against baseline, reroutes, operator returns, open incidents; sent once a day at
    ``hour_local`` (0-23) in ``timezone`` (an IANA name) through ``channels`` (names under
    ``alerts.channels``, or ``console``). ``traffic_zone``: the FIR whose traffic it reports;
    ``baseline_since`` / ``baseline_until``: the baseline (default the 28 days before
    2025-11-21)."""

    enabled: bool = True
    hour_local: int = Field(default=6, ge=0, le=23)
    timezone: str = "America/Caracas"
    channels: list[str] = Field(min_length=1)
    traffic_zone: str = "SVZM"
    baseline_since: str = "2025-10-24T00:00:00Z"
    baseline_until: str = "2025-11-21T00:00:00Z"


class AlertsConfig(_Strict):
    enabled: bool = True
    base_url: str | None = None
    file: str | None = None
    channels: dict[str, ChannelConfig] = Field(default_factory=dict)
    rules: list[dict[str, Any]] = Field(default_factory=list)
    dispatcher: DispatcherConfig = Field(default_factory=DispatcherConfig)
    digest: DigestConfig | None = None


@dataclass(frozen=True)
class DigestSpec:
    """A resolved :class:`DigestConfig`: the time zone checked, the baseline parsed."""

    hour_local: int
    timezone: str
    channels: tuple[str, ...]
    traffic_zone: str
    baseline_since: datetime
    baseline_until: datetime


@dataclass(frozen=True)
class ChannelSpec:
    """A resolved channel. ``url`` and ``secret`` are secrets: never logged, never stored."""

    name: str
    type: Literal["webhook", "apprise", "console"]
    url: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    timeout_s: float = 10.0
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    def secrets(self) -> list[str]:
        """Strings that must never appear in a log line or an error stored in the DB."""
        out = [s for s in (self.url, self.secret) if s]
        if self.url:
            out.extend(_url_secret_parts(self.url))
        out.extend(v for v in self.headers.values() if len(v) >= 6)
        return out


@dataclass(frozen=True)
class AlertSetup:
    """Everything :func:`load_alert_rules` resolved: rules, channels, dispatcher options."""

    rules: tuple[AlertRule, ...]
    channels: Mapping[str, ChannelSpec]
    dispatcher: DispatcherConfig
    enabled: bool = True
    base_url: str | None = None
    digest: DigestSpec | None = None

    def rule(self, name: str) -> AlertRule:
        for r in self.rules:
            if r.name == name:
                return r
        known = ", ".join(r.name for r in self.rules) or "none"
        raise ConfigError(f"no alert rule named {name!r} (rules: {known})")

    def secrets(self) -> list[str]:
        return [s for c in self.channels.values() for s in c.secrets()]


def load_alert_rules(
    alerts: Mapping[str, Any] | None,
    *,
    source: str = "config",
    known_zone_ids: Collection[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> AlertSetup:
    """Validate the ``alerts`` settings section and resolve rules and channels.

    Parameters
    ----------
    alerts:
        ``settings.alerts`` (a plain mapping).
    source:
        Where it came from (the config file), used in error messages.
    known_zone_ids:
        Zone ids a rule may name (bundled plus stored); ``None`` skips the zone check.
        A zone entry with ``*`` or ``?`` is a pattern and must match at least one zone.
    environ:
        Environment for ``url_env`` / ``secret_env`` (default ``os.environ``).

    Raises
    ------
    ConfigError
        Naming the rule or channel and what is wrong with it.
    """
    env = os.environ if environ is None else environ
    data = dict(alerts or {})
    if data.get("file"):
        data = _merge_file(data, source)
    try:
        cfg = AlertsConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format(source, "alerts", exc)) from None

    channels: dict[str, ChannelSpec] = {}
    for name, ch in cfg.channels.items():
        if not re.match(_NAME, name):
            raise ConfigError(
                f"{source}: alerts.channels.{name}: a channel name is letters, digits, _ . - "
                "(at most 60 characters)"
            )
        channels[name] = _resolve_channel(name, ch, env, where=f"{source}: alerts.channels.{name}")

    rules: list[AlertRule] = []
    seen: set[str] = set()
    for i, raw in enumerate(cfg.rules):
        label = raw.get("name") if isinstance(raw, dict) else None
        where = f"{source}: alerts.rules[{i}]" + (f" ({label})" if label else "")
        try:
            rc = RuleConfig.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(_format(where, "", exc)) from None
        if rc.name in seen:
            raise ConfigError(f"{where}: the rule name {rc.name!r} is used twice")
        seen.add(rc.name)
        for kind in rc.kinds:
            if kind not in KNOWN_KINDS:
                raise ConfigError(
                    f"{where}: unknown incident kind {kind!r}; known kinds: {', '.join(KNOWN_KINDS)}"
                )
        if known_zone_ids is not None:
            known = set(known_zone_ids)
            for zone in rc.zones:
                if _is_pattern(zone):
                    if not any(fnmatch.fnmatchcase(z, zone) for z in known):
                        raise ConfigError(f"{where}: zone pattern {zone!r} matches no known zone")
                elif zone not in known:
                    close = ", ".join(sorted(z for z in known if zone.lower() in z.lower())[:5])
                    hint = f" (did you mean {close}?)" if close else ""
                    raise ConfigError(f"{where}: unknown zone {zone!r}{hint}")
        names: list[str] = []
        for ref in rc.channels:
            if ref in channels:
                names.append(ref)
                continue
            if "://" in ref:
                spec = _inline_channel(ref, where=f"{where}: channel {_redact_url(ref)}")
                channels.setdefault(spec.name, spec)
                names.append(spec.name)
                continue
            if ref == "console":
                channels.setdefault("console", ChannelSpec(name="console", type="console"))
                names.append("console")
                continue
            defined = ", ".join(channels) or "none"
            raise ConfigError(f"{where}: channel {ref!r} is not defined under alerts.channels ({defined})")
        if not rc.enabled:
            continue
        rules.append(
            AlertRule(
                name=rc.name,
                kinds=frozenset(rc.kinds),
                zones=tuple(rc.zones),
                min_severity=rc.min_severity,
                subjects=SubjectFilter.of(
                    icao24=rc.subjects.icao24,
                    callsigns=rc.subjects.callsigns,
                    mmsi=rc.subjects.mmsi,
                    feeds=rc.subjects.feeds,
                ),
                channels=tuple(dict.fromkeys(names)),
                cooldown_s=rc.cooldown_s,
                on_update=rc.on_update,
                on_close=rc.on_close,
            )
        )
    base = cfg.base_url.rstrip("/") if cfg.base_url else None
    digest = _resolve_digest(cfg.digest, channels, where=f"{source}: alerts.digest")
    return AlertSetup(
        rules=tuple(rules), channels=channels, dispatcher=cfg.dispatcher, enabled=cfg.enabled,
        base_url=base, digest=digest,
    )


def _resolve_digest(
    cfg: DigestConfig | None, channels: dict[str, ChannelSpec], *, where: str
) -> DigestSpec | None:
    if cfg is None or not cfg.enabled:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(cfg.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where}.timezone: unknown time zone {cfg.timezone!r} (an IANA name, e.g. America/Caracas)"
        ) from None
    names: list[str] = []
    for ref in cfg.channels:
        if ref == "console":
            channels.setdefault("console", ChannelSpec(name="console", type="console"))
        elif ref not in channels:
            defined = ", ".join(channels) or "none"
            raise ConfigError(f"{where}.channels: channel {ref!r} is not defined under alerts.channels ({defined})")
        names.append(ref)
    times: list[datetime] = []
    for key in ("baseline_since", "baseline_until"):
        text = getattr(cfg, key)
        try:
            t = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"{where}.{key}: not an ISO-8601 time: {text!r}") from None
        if t.tzinfo is None:
            raise ConfigError(f"{where}.{key}: needs an offset (Z or +00:00): {text!r}")
        times.append(t)
    if times[0] >= times[1]:
        raise ConfigError(f"{where}.baseline_since: {cfg.baseline_since} is not before baseline_until")
    return DigestSpec(
        hour_local=cfg.hour_local, timezone=cfg.timezone, channels=tuple(dict.fromkeys(names)),
        traffic_zone=cfg.traffic_zone.removeprefix("FIR-"), baseline_since=times[0], baseline_until=times[1],
    )


# --- helpers ------------------------------------------------------------------------------


def _merge_file(data: dict[str, Any], source: str) -> dict[str, Any]:
    path = Path(str(data.pop("file")))
    if not path.is_absolute() and source not in ("config", "") and Path(source).exists():
        candidate = Path(source).resolve().parent / path
        if candidate.exists():
            path = candidate
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{source}: alerts.file: cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    section = loaded.get("alerts", loaded) if isinstance(loaded, dict) else None
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: expected a mapping with an 'alerts' section")
    merged = dict(section)
    merged.pop("file", None)
    merged.update(data)
    return merged


def _resolve_channel(
    name: str, ch: ChannelConfig, env: Mapping[str, str], *, where: str
) -> ChannelSpec:
    url = ch.url.get_secret_value() if ch.url is not None else None
    if ch.url_env:
        url = env.get(ch.url_env) or None
        if url is None:
            raise ConfigError(f"{where}: environment variable {ch.url_env} is not set")
    secret = ch.secret.get_secret_value() if ch.secret is not None else None
    if ch.secret_env:
        secret = env.get(ch.secret_env) or None
        if secret is None:
            raise ConfigError(f"{where}: environment variable {ch.secret_env} is not set")
    if ch.type == "console":
        return ChannelSpec(name=name, type="console")
    if not url:
        raise ConfigError(f"{where}: a {ch.type} channel needs url or url_env")
    if ch.type == "webhook":
        _check_webhook_url(url, where)
    else:
        _check_apprise_url(url, where)
    if secret is not None and ch.type != "webhook":
        raise ConfigError(f"{where}: secret applies to webhook channels only")
    return ChannelSpec(
        name=name, type=ch.type, url=url, secret=secret, timeout_s=ch.timeout_s, headers=dict(ch.headers)
    )


def _inline_channel(url: str, *, where: str) -> ChannelSpec:
    """A URL written directly in a rule's channels: http(s) is a webhook, anything else Apprise."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:8]
    scheme = url.split("://", 1)[0].lower()
    if scheme in ("http", "https"):
        _check_webhook_url(url, where)
        host = httpx.URL(url).host
        return ChannelSpec(name=f"webhook-{host}-{digest}", type="webhook", url=url)
    _check_apprise_url(url, where)
    return ChannelSpec(name=f"{scheme}-{digest}", type="apprise", url=url)


def _check_webhook_url(url: str, where: str) -> None:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise ConfigError(f"{where}: not a valid webhook URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigError(f"{where}: a webhook URL must be http(s)://host/... (got scheme {parsed.scheme!r})")


def _check_apprise_url(url: str, where: str) -> None:
    try:
        import apprise
    except ImportError:  # pragma: no cover - the alerts extra is installed by `make install`
        raise ConfigError(
            f"{where}: Apprise is not installed (pip install 'caribe-monitor[alerts]')"
        ) from None
    if apprise.Apprise.instantiate(url, suppress_exceptions=True) is None:
        scheme = url.split("://", 1)[0] if "://" in url else "(none)"
        raise ConfigError(
            f"{where}: not a usable Apprise URL (scheme {scheme!r}); see "
            "https://github.com/caronc/apprise/wiki for the URL of each service"
        )


def _is_pattern(text: str) -> bool:
    return any(c in text for c in "*?[")


def _url_secret_parts(url: str) -> list[str]:
    """Pieces of a URL that could be tokens or passwords (host names and numbers excepted)."""
    rest = url.split("://", 1)[-1]
    return [
        p for p in re.split(r"[/?&=@:#]", rest) if len(p) >= 5 and "." not in p and not p.isdigit()
    ]


def _redact_url(url: str) -> str:
    scheme = url.split("://", 1)[0]
    return f"{scheme}://…"


def _format(where: str, prefix: str, exc: ValidationError) -> str:
    lines = [f"{where}: invalid alert configuration"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        key = f"{prefix}.{loc}" if prefix else loc
        got = err.get("input")
        secretish = "url" in loc or "secret" in loc
        got_text = "" if isinstance(got, (dict, list)) or secretish else f" (got {got!r})"
        lines.append(f"  {key}: {err['msg']}{got_text}")
    return "\n".join(lines)
