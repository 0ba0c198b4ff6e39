"""The zone set the project ships in ``geodata/`` (built by ``python -m monitor.zones.build``).

The folder is found, in this order: the ``geodata_dir`` argument; the environment variable
``MONITOR_GEODATA_DIR``; ``geodata/`` beside the ``monitor`` package (the repository root,
which is also where an editable install points).
"""

from __future__ import annotations

import os
from pathlib import Path

from monitor.domain.zone import ZoneVersion
from monitor.errors import ConfigError
from monitor.zones.geojson import read_geojson

ENV_VAR = "MONITOR_GEODATA_DIR"

#: the built files, in load order (geodata/SOURCES.md says where each comes from)
BUNDLED_FILES = (
    "firs.geojson",
    "restrictions.geojson",
    "venezuela.geojson",
    "strike_zones.geojson",
)


def geodata_dir() -> Path:
    """Where the shipped zone files are (``MONITOR_GEODATA_DIR`` or the repo's ``geodata/``)."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    import monitor

    return Path(monitor.__file__).resolve().parent.parent / "geodata"


def load_bundled_zones(geodata_dir: Path | None = None) -> list[ZoneVersion]:
    """Load every shipped zone version.

    Parameters
    ----------
    geodata_dir:
        The folder holding the built files; default :func:`geodata_dir`.

    Raises
    ------
    ConfigError
        When the folder or one of its files is missing (names the path and the variable
        that overrides it).
    monitor.errors.ZoneError
        When a shipped file is invalid (a broken build).
    """
    folder = geodata_dir if geodata_dir is not None else _default_dir()
    if not folder.is_dir():
        raise ConfigError(
            f"zone data folder {folder} not found; set {ENV_VAR} to the project's geodata/ folder"
        )
    versions: list[ZoneVersion] = []
    for name in BUNDLED_FILES:
        path = folder / name
        if not path.is_file():
            raise ConfigError(
                f"zone data file {path} is missing; rebuild it with "
                "`python -m monitor.zones.build --reference ../shared/reference --out geodata`"
            )
        versions.extend(read_geojson(path.read_bytes()).versions)
    return versions


def _default_dir() -> Path:
    return geodata_dir()
