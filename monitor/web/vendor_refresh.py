"""Refresh the vendored browser libraries in ``monitor/web/static/vendor`` (a maintainer tool).

Run ``python -m monitor.web.vendor_refresh`` on a machine with ``npm``: it fetches the pinned
packages from the npm registry with ``npm pack`` (nothing else is contacted), copies the few
files the pages use, inlines Leaflet's images into its CSS as ``data:`` URIs (so the CSS is
self-contained and only ``.js``/``.css`` files ship), strips source-map comments, and writes
``SOURCES.md`` with each package's version and integrity hash.

The web app never runs this; it only serves what the repository holds.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).with_name("static") / "vendor"

#: npm package spec -> (files to copy from ``package/``, destination folder, licence file)
PACKAGES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "leaflet@1.9.4": (("dist/leaflet.js", "dist/leaflet.css"), "leaflet", "LICENSE"),
    "leaflet-realtime@2.2.0": (("dist/leaflet-realtime.min.js",), "leaflet-realtime", "LICENSE.md"),
    "swagger-ui-dist@5.35.0": (
        ("swagger-ui-bundle.js", "swagger-ui.css"),
        "swagger-ui",
        "LICENSE",
    ),
}

_SOURCEMAP = re.compile(r"\n?/[/*][#@] sourceMappingURL=[^\n]*")


def _inline_images(css: str, images: Path) -> str:
    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        data = base64.b64encode((images / name).read_bytes()).decode()
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", repl, css)


def refresh(dest: Path = VENDOR) -> list[str]:
    """Fetch every pinned package and rewrite ``dest``; returns the SOURCES.md lines."""
    lines = [
        "# Vendored browser libraries",
        "",
        "Served at `/static/vendor/...` so the pages work with no internet access, and inlined",
        "by `monitor map` into self-contained HTML. Refreshed by `python -m monitor.web.vendor_refresh`",
        "(npm pack from the npm registry); Leaflet's PNGs are inlined into `leaflet.css` as data URIs",
        "and source-map comments are stripped. Do not edit these files by hand.",
        "",
        "| package | files | licence | npm integrity |",
        "|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for spec, (files, folder, licence) in PACKAGES.items():
            out = subprocess.run(
                ["npm", "pack", spec, "--json"], cwd=tmp, check=True, capture_output=True, text=True
            )
            info = json.loads(out.stdout)[0]
            unpacked = Path(tmp) / folder
            with tarfile.open(Path(tmp) / info["filename"]) as tar:
                tar.extractall(unpacked, filter="data")
            pkg = unpacked / "package"
            target = dest / folder
            target.mkdir(parents=True, exist_ok=True)
            for rel in files:
                src = pkg / rel
                name = Path(rel).name
                if name.endswith((".js", ".css")):
                    text = src.read_text(encoding="utf-8")
                    text = _SOURCEMAP.sub("", text)
                    if name == "leaflet.css":
                        text = _inline_images(text, src.parent / "images")
                    (target / name).write_text(text, encoding="utf-8")
                else:
                    (target / name).write_bytes(src.read_bytes())
            (target / "LICENSE.txt").write_bytes((pkg / licence).read_bytes())
            license_name = json.loads((pkg / "package.json").read_text()).get("license", "?")
            shown = ", ".join(Path(f).name for f in files)
            lines.append(f"| {spec} | {shown} | {license_name} | `{info['integrity']}` |")
    (dest / "SOURCES.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


if __name__ == "__main__":  # pragma: no cover - maintainer tool
    sys.stdout.write("\n".join(refresh()) + "\n")
