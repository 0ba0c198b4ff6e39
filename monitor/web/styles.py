"""How things look on the maps: one table of colours and labels, used by Python (static map,
incident page) and handed to the browser (``MonitorMap.configure``) so both agree.

Pure data and tiny lookups; no I/O.
"""

from __future__ import annotations

from typing import Any

SEVERITY_COLOURS: dict[str, str] = {
    "info": "#6b7280",
    "low": "#2b83ba",
    "medium": "#e6a100",
    "high": "#e8590c",
    "critical": "#c0001a",
}

#: zone kind -> colour, fill opacity, dash pattern (None = solid), label
ZONE_KINDS: dict[str, dict[str, Any]] = {
    "closed_airspace": {"color": "#c0001a", "fill": 0.12, "dash": None, "label": "Closed airspace"},
    "advisory_airspace": {"color": "#e6a100", "fill": 0.08, "dash": "6 4", "label": "Advisory airspace"},
    "fir": {"color": "#475569", "fill": 0.0, "dash": "2 4", "label": "FIR boundary"},
    "strike_zone": {"color": "#9d174d", "fill": 0.14, "dash": None, "label": "Strike zone"},
    "territorial_sea": {"color": "#1d4ed8", "fill": 0.04, "dash": "4 4", "label": "Territorial sea"},
    "navigational_warning": {"color": "#ca8a04", "fill": 0.10, "dash": "8 4", "label": "Navigational warning"},
    "watch_area": {"color": "#0f766e", "fill": 0.06, "dash": "3 3", "label": "Watch area"},
    "land": {"color": "#78716c", "fill": 0.0, "dash": "1 3", "label": "Land"},
}

#: status -> multiplier of the fill and line weight (more binding = heavier)
ZONE_STATUS_WEIGHT: dict[str, float] = {
    "prohibited": 3.0,
    "closed": 2.5,
    "advisory": 1.6,
    "statement": 1.0,
    "active": 1.6,
    "informational": 1.0,
    "lifted": 0.6,
}

AIRCRAFT_STYLES: dict[str, dict[str, Any]] = {
    "normal": {"color": "#1d4ed8", "label": "Aircraft"},
    "military": {"color": "#4d5d23", "label": "Military"},
    "emergency": {"color": "#dc2626", "label": "Emergency squawk"},
    "ground": {"color": "#9ca3af", "label": "On ground"},
}

#: vessel category -> colour, label; AIS ship-type ranges map to these (see vessel_category)
VESSEL_CATEGORIES: dict[str, dict[str, str]] = {
    "cargo": {"color": "#15803d", "label": "Cargo"},
    "tanker": {"color": "#991b1b", "label": "Tanker"},
    "passenger": {"color": "#2563eb", "label": "Passenger"},
    "fishing": {"color": "#d97706", "label": "Fishing"},
    "high_speed": {"color": "#db2777", "label": "High-speed craft"},
    "military_law": {"color": "#1f2937", "label": "Military / law enforcement"},
    "service": {"color": "#0891b2", "label": "Tug / pilot / SAR"},
    "pleasure": {"color": "#9333ea", "label": "Pleasure / sailing"},
    "other": {"color": "#64748b", "label": "Other / unknown"},
}

#: ITU-R M.1371 navigational status codes
NAV_STATUS: dict[int, str] = {
    0: "under way using engine",
    1: "at anchor",
    2: "not under command",
    3: "restricted manoeuvrability",
    4: "constrained by draught",
    5: "moored",
    6: "aground",
    7: "engaged in fishing",
    8: "under way sailing",
    11: "towing astern",
    12: "pushing ahead / towing alongside",
    14: "AIS-SART / MOB / EPIRB active",
    15: "not defined",
}

#: ITU-R M.1371 ship and cargo types (table 53): the first digit's class, or the code itself
SHIP_TYPE_CLASSES: dict[int, str] = {
    2: "wing in ground",
    4: "high-speed craft",
    6: "passenger ship",
    7: "cargo ship",
    8: "tanker",
    9: "other type",
}
SHIP_TYPE_CODES: dict[int, str] = {
    30: "fishing",
    31: "towing",
    32: "towing (long or wide tow)",
    33: "dredging or underwater operations",
    34: "diving operations",
    35: "military operations",
    36: "sailing",
    37: "pleasure craft",
    50: "pilot vessel",
    51: "search and rescue vessel",
    52: "tug",
    53: "port tender",
    54: "anti-pollution vessel",
    55: "law enforcement",
    58: "medical transport",
    59: "non-combatant ship",
}
#: second digit of the 2x, 4x, 6x-9x classes: the hazardous cargo carried
SHIP_TYPE_CARGO: dict[int, str] = {
    1: "hazardous cargo, category X",
    2: "hazardous cargo, category Y",
    3: "hazardous cargo, category Z",
    4: "hazardous cargo, category OS",
}

#: transponder codes with a meaning of their own (ICAO Doc 4444, 10.4 and 15.x)
SPECIAL_SQUAWKS: dict[str, str] = {
    "7500": "unlawful interference (hijack)",
    "7600": "radio failure",
    "7700": "general emergency",
    "2000": "entering an SSR area without a code",
    "1200": "VFR (US)",
    "7000": "VFR (ICAO)",
}

GNSS_COLOUR = "#7c3aed"
TRACK_COLOUR = "#111827"


def vessel_category(ship_type: int | None) -> str:
    """The map category of an AIS ship type (ITU-R M.1371 table 53)."""
    if ship_type is None:
        return "other"
    if ship_type == 30:
        return "fishing"
    if ship_type in (35, 55):
        return "military_law"
    if ship_type in (36, 37):
        return "pleasure"
    if 40 <= ship_type <= 49:
        return "high_speed"
    if ship_type in (31, 32, 50, 51, 52, 53, 54, 58):
        return "service"
    if 60 <= ship_type <= 69:
        return "passenger"
    if 70 <= ship_type <= 79:
        return "cargo"
    if 80 <= ship_type <= 89:
        return "tanker"
    return "other"


def ship_type_label(code: int | None) -> str | None:
    """``70`` -> ``cargo ship``; ``81`` -> ``tanker, hazardous cargo, category X``; None for
    no code, ``0`` and codes the table leaves unallocated (said as ``code N``)."""
    if code is None or code == 0:
        return None
    if code in SHIP_TYPE_CODES:
        return SHIP_TYPE_CODES[code]
    tens, unit = divmod(code, 10)
    cls = SHIP_TYPE_CLASSES.get(tens)
    if cls is None or not 0 <= code <= 99:
        return f"code {code}"
    cargo = SHIP_TYPE_CARGO.get(unit)
    return f"{cls}, {cargo}" if cargo else cls


def nav_status_label(code: int | None) -> str | None:
    """``1`` -> ``at anchor``; None for no code; reserved codes said as ``code N``."""
    if code is None:
        return None
    return NAV_STATUS.get(code, f"code {code}")


def squawk_label(squawk: str | None) -> str | None:
    """``7700`` -> ``7700 (general emergency)``; other codes as they are."""
    if not squawk:
        return None
    meaning = SPECIAL_SQUAWKS.get(squawk)
    return f"{squawk} ({meaning})" if meaning else squawk


def aircraft_style(
    *, military: bool | None, emergency: str | None, squawk: str | None, on_ground: bool | None
) -> str:
    """``emergency`` beats ``military`` beats ``ground``: what must catch the eye first."""
    if (emergency and emergency != "none") or squawk in ("7500", "7600", "7700"):
        return "emergency"
    if military:
        return "military"
    if on_ground:
        return "ground"
    return "normal"


def zone_style(kind: str, status: str) -> dict[str, Any]:
    """Leaflet path options for a zone polygon."""
    spec = ZONE_KINDS.get(kind, ZONE_KINDS["watch_area"])
    weight = ZONE_STATUS_WEIGHT.get(status, 1.0)
    return {
        "color": spec["color"],
        "weight": round(1.0 * weight, 1),
        "fillColor": spec["color"],
        "fillOpacity": round(spec["fill"] * min(weight, 2.0) / 2.0 + spec["fill"] / 2, 3),
        "dashArray": spec["dash"],
        "opacity": 0.9,
    }


def incident_style(severity: str) -> dict[str, Any]:
    colour = SEVERITY_COLOURS.get(severity, SEVERITY_COLOURS["info"])
    return {"color": colour, "weight": 3, "opacity": 0.85, "fillColor": colour, "fillOpacity": 0.25}


def js_config() -> dict[str, Any]:
    """Everything above, for ``MonitorMap.configure`` in the browser."""
    return {
        "severity": SEVERITY_COLOURS,
        "zoneKinds": ZONE_KINDS,
        "zoneStatusWeight": ZONE_STATUS_WEIGHT,
        "aircraft": AIRCRAFT_STYLES,
        "vessels": VESSEL_CATEGORIES,
        "navStatus": {str(k): v for k, v in NAV_STATUS.items()},
        "shipTypes": {str(k): label for k in range(1, 100) if (label := ship_type_label(k))},
        "squawks": SPECIAL_SQUAWKS,
        "gnss": GNSS_COLOUR,
        "track": TRACK_COLOUR,
    }
