"""The identity tables the project ships in ``geodata/identity/``: the only file I/O here.

Three files are built by ``python -m monitor.identity.build`` from ``shared/reference``
(address blocks, military address ranges, airline designators); ``military_callsigns.csv`` is
hand-curated with a source address on every row (``geodata/SOURCES.md``).

The folder is found, in this order: the ``geodata_dir`` argument (the ``geodata`` folder,
not its ``identity`` subfolder); the environment variable ``MONITOR_GEODATA_DIR``;
``geodata/`` beside the ``monitor`` package -- the same rule as
:mod:`monitor.zones.bundled`. Nothing is read at import time: :func:`default_tables` loads
once, on first use, and keeps the result.
"""

from __future__ import annotations

import csv
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from monitor.errors import ConfigError

ENV_VAR = "MONITOR_GEODATA_DIR"
SUBDIR = "identity"
TABLE_FILES = (
    "icao_address_blocks.csv",
    "military_address_ranges.csv",
    "airline_designators.csv",
    "military_callsigns.csv",
)
_REBUILD = (
    "`python -m monitor.identity.build --reference ../shared/reference --out geodata/identity`"
)


@dataclass(frozen=True, slots=True)
class AddressBlock:
    """Addresses ``[start, end]`` allocated to one State (pieces never overlap)."""

    start: int
    end: int
    iso2: str | None
    state: str
    #: the reference row's own range (``400000-43FFFF`` for a piece of the UK block)
    allocation: str
    source: str


@dataclass(frozen=True, slots=True)
class MilitaryRange:
    """Addresses ``[start, end]`` that a public list flags as military (pieces never overlap)."""

    start: int
    end: int
    state: str
    range: str
    #: ``United States military range AE0000-AFFFFF (VRS code-blocks IsMilitary=1); ...``
    reason: str
    source: str


@dataclass(frozen=True, slots=True)
class Designator:
    """One ICAO three-letter operator designator (``airline_designators.csv``)."""

    icao: str
    iata: str | None
    name: str
    #: the telephony designator (``AMERICAN``), if a source gives one
    telephony: str | None
    country: str | None
    #: ISO 3166-1 alpha-2 code of the operator's State; ``None`` where unknown
    iso2: str | None
    active: bool | None
    source: str


@dataclass(frozen=True, slots=True)
class MilitaryCallsign:
    """A military or state call-sign prefix (``military_callsigns.csv``).

    ``match`` is ``designator`` (an ICAO three-letter designator followed by a flight number,
    ``RCH851``) or ``serial`` (a branch-of-service prefix followed by 4 or 5 digits of the
    serial number, ``C6047``).
    """

    prefix: str
    match: str
    operator: str
    iso2: str | None
    note: str
    source: str


@dataclass(frozen=True, slots=True)
class IdentityTables:
    """Every table, sorted and indexed for lookups (``*_starts`` for :mod:`bisect`)."""

    blocks: tuple[AddressBlock, ...]
    block_starts: tuple[int, ...]
    military: tuple[MilitaryRange, ...]
    military_starts: tuple[int, ...]
    designators: Mapping[str, Designator]
    military_callsigns: Mapping[str, MilitaryCallsign]
    folder: Path


def geodata_dir() -> Path:
    """The ``geodata`` folder (``MONITOR_GEODATA_DIR`` or the repository's ``geodata/``)."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    import monitor

    return Path(monitor.__file__).resolve().parent.parent / "geodata"


def _opt(value: str) -> str | None:
    value = value.strip()
    return value or None


def _read(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise ConfigError(f"identity table {path} is missing; rebuild it with {_REBUILD}")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _hex(path: Path, line: int, value: str) -> int:
    try:
        return int(value, 16)
    except ValueError:
        raise ConfigError(f"{path} line {line}: {value!r} is not a hexadecimal address") from None


def _check_sorted(path: Path, ranges: list[tuple[int, int]]) -> None:
    prev_end = -1
    for i, (start, end) in enumerate(ranges, start=2):
        if end < start or start <= prev_end:
            raise ConfigError(
                f"{path} line {i}: range {start:06X}-{end:06X} overlaps or is out of order; "
                f"rebuild it with {_REBUILD}"
            )
        prev_end = end


def load_identity_tables(geodata_dir: Path | None = None) -> IdentityTables:
    """Read the four identity tables.

    Parameters
    ----------
    geodata_dir:
        The ``geodata`` folder; the tables are in its ``identity`` subfolder. Default
        :func:`geodata_dir`.

    Raises
    ------
    ConfigError
        When the folder or a file is missing or a row is malformed (names the file, the
        line and the command that rebuilds it).
    """
    root = geodata_dir if geodata_dir is not None else _default_dir()
    folder = root / SUBDIR
    if not folder.is_dir():
        raise ConfigError(
            f"identity data folder {folder} not found; set {ENV_VAR} to the project's geodata/ "
            "folder"
        )
    blocks_path, military_path, airlines_path, callsigns_path = (folder / n for n in TABLE_FILES)

    blocks = tuple(
        AddressBlock(
            _hex(blocks_path, i, r["start_hex"]),
            _hex(blocks_path, i, r["end_hex"]),
            _opt(r["iso2"]),
            r["state"],
            r["allocation"],
            r["source"],
        )
        for i, r in enumerate(_read(blocks_path), start=2)
    )
    _check_sorted(blocks_path, [(b.start, b.end) for b in blocks])

    military = tuple(
        MilitaryRange(
            _hex(military_path, i, r["start_hex"]),
            _hex(military_path, i, r["end_hex"]),
            r["state"],
            r["range"],
            r["reason"],
            r["source"],
        )
        for i, r in enumerate(_read(military_path), start=2)
    )
    _check_sorted(military_path, [(m.start, m.end) for m in military])

    designators: dict[str, Designator] = {}
    for i, r in enumerate(_read(airlines_path), start=2):
        code = r["icao_designator"].strip().upper()
        if len(code) != 3 or not code.isalpha() or code in designators:
            raise ConfigError(f"{airlines_path} line {i}: bad or repeated designator {code!r}")
        active = {"Y": True, "N": False}.get(r["active"].strip().upper())
        designators[code] = Designator(
            code,
            _opt(r["iata"]),
            r["name"],
            _opt(r["callsign"]),
            _opt(r["country"]),
            _opt(r["iso2"]),
            active,
            r["source"],
        )

    callsigns: dict[str, MilitaryCallsign] = {}
    for i, r in enumerate(_read(callsigns_path), start=2):
        prefix = r["prefix"].strip().upper()
        match = r["match"].strip()
        ok = (match == "designator" and len(prefix) == 3 and prefix.isalpha()) or (
            match == "serial" and 1 <= len(prefix) <= 3 and prefix.isalpha()
        )
        if not ok or prefix in callsigns:
            raise ConfigError(
                f"{callsigns_path} line {i}: bad or repeated prefix {prefix!r} ({match!r})"
            )
        if not r["source"].strip().startswith("https://"):
            raise ConfigError(f"{callsigns_path} line {i}: {prefix} cites no source address")
        callsigns[prefix] = MilitaryCallsign(
            prefix, match, r["operator"], _opt(r["iso2"]), r["note"], r["source"]
        )

    return IdentityTables(
        blocks=blocks,
        block_starts=tuple(b.start for b in blocks),
        military=military,
        military_starts=tuple(m.start for m in military),
        designators=MappingProxyType(designators),
        military_callsigns=MappingProxyType(callsigns),
        folder=folder,
    )


@functools.cache
def default_tables() -> IdentityTables:
    """The shipped tables, read once on first use (see the module docstring for the folder)."""
    return load_identity_tables()


def _default_dir() -> Path:
    return geodata_dir()
