"""``python -m monitor.sim [DIR]``: regenerate the shipped SYNTHETIC scenario files."""

from __future__ import annotations

import sys
from pathlib import Path

from monitor.sim.shipped import DATA_DIR, write_shipped


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else DATA_DIR
    for role, path in write_shipped(target).items():
        sys.stdout.write(f"{role:15} {path} ({path.stat().st_size:,} bytes)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
