"""``python -m monitor.zones.build --reference ../shared/reference --out geodata``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from monitor.errors import MonitorError
from monitor.zones.build import build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m monitor.zones.build",
        description="Build the shipped zone files (geodata/) from shared/reference.",
    )
    parser.add_argument("--reference", type=Path, required=True, help="shared/reference folder")
    parser.add_argument("--out", type=Path, required=True, help="output folder (geodata/)")
    parser.add_argument(
        "--declarations",
        type=Path,
        default=None,
        help="hand-authored declarations YAML (default: OUT/declarations.yaml)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not args.reference.is_dir():
        parser.error(f"reference folder {args.reference} not found")
    try:
        build(args.reference, args.out, args.declarations)
    except (MonitorError, OSError) as exc:
        logging.getLogger("monitor.zones.build").error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
