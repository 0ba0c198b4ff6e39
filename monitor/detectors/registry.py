"""Detectors by config name, and building them from the ``detectors:`` config section.

Each entry maps a name to the detector class and its thresholds dataclass; the config
values are validated against the dataclass (types, unknown keys) and a mistake names the
key: ``detectors.incursion.lost_after_s: Input should be a valid number``.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from monitor.detectors.base import Detector
from monitor.domain import Observation
from monitor.domain.identity import AircraftIdentity
from monitor.errors import ConfigError

#: name -> ("module:DetectorClass", "module:ConfigClass" or "")
CORE_DETECTORS: dict[str, tuple[str, str]] = {
    "incursion": (
        "monitor.detectors.incursion:IncursionDetector",
        "monitor.detectors.incursion:IncursionConfig",
    ),
    "feed_health": ("monitor.detectors.feed_health:FeedStaleDetector", ""),
}

#: packages that add their own ``DETECTORS`` mapping of the same shape
FAMILIES = ("monitor.detectors.aviation", "monitor.detectors.maritime")


def _all_detectors() -> dict[str, tuple[str, str]]:
    found = dict(CORE_DETECTORS)
    for family in FAMILIES:
        try:
            module = importlib.import_module(family)
        except ModuleNotFoundError as exc:
            if exc.name != family:
                raise
            continue
        found.update(getattr(module, "DETECTORS", {}))
    return found


DETECTORS = _all_detectors()


def _load(path: str) -> Any:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def build_detectors(
    section: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    source: str = "config",
    identify_aircraft: Callable[[Observation], AircraftIdentity] | None = None,
) -> list[Detector]:
    """Every known detector, configured from ``section``; ``enabled: false`` turns one off.

    Detectors that judge whom a rule binds (``use_identity``) get ``identify_aircraft``,
    by default an :class:`~monitor.identity.aircraft.AircraftIdentifier` over the shipped
    identity tables (``geodata/identity``, read once).
    """
    out = _build(section, source)
    if any(hasattr(d, "use_identity") for d in out):
        if identify_aircraft is None:
            from monitor.identity.aircraft import AircraftIdentifier
            from monitor.identity.tables import default_tables

            identify_aircraft = AircraftIdentifier(default_tables()).identify
        for d in out:
            use = getattr(d, "use_identity", None)
            if use is not None:
                use(identify_aircraft)
    return out


def _build(section: Mapping[str, Mapping[str, Any]] | None, source: str) -> list[Detector]:
    section = section or {}
    unknown = sorted(set(section) - set(DETECTORS))
    if unknown:
        raise ConfigError(
            f"{source}: detectors.{unknown[0]}: unknown detector; known: {', '.join(DETECTORS)}"
        )
    out: list[Detector] = []
    for name, (cls_path, cfg_path) in DETECTORS.items():
        values = dict(section.get(name) or {})
        if not values.pop("enabled", True):
            continue
        cls = _load(cls_path)
        if not cfg_path:
            if values:
                raise ConfigError(f"{source}: detectors.{name}: takes no settings, got {sorted(values)}")
            out.append(cls())
            continue
        cfg_cls = _load(cfg_path)
        fields = {f.name for f in dataclasses.fields(cfg_cls)}
        extra = sorted(set(values) - fields)
        if extra:
            raise ConfigError(
                f"{source}: detectors.{name}.{extra[0]}: unknown setting; "
                f"known: {', '.join(sorted(fields))}"
            )
        try:
            cfg = TypeAdapter(cfg_cls).validate_python(values)
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(p) for p in err["loc"])
            raise ConfigError(
                f"{source}: detectors.{name}.{key}: {err['msg']} (got {err.get('input')!r})"
            ) from None
        out.append(cls(cfg))
    return out
