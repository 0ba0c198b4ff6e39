"""Altitude limits of zones as people write them: ``SFC``, ``UNL``, ``FL350``, ``5000 ft``.

Every value becomes feet (float): the surface is ``0.0``, unlimited is ``inf``
(:data:`monitor.domain.zone.UNLIMITED_FT`). Metres are refused rather than guessed:
a zone file that says ``1500 m`` must say ``4921 ft``.
"""

from __future__ import annotations

import math
import re

from monitor.domain.zone import UNLIMITED_FT

_SURFACE = {"SFC", "GND", "SURFACE", "GROUND", "MSL"}
_UNLIMITED = {"UNL", "UNLTD", "UNLIMITED", "INF"}
_FL = re.compile(r"^FL\s*(\d{1,3})$")
_FEET = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*(?:FT|FEET)?(?:\s*(?:AMSL|MSL|AGL))?$")


def parse_altitude_ft(value: object) -> float:
    """Parse one altitude limit to feet.

    Parameters
    ----------
    value:
        A number (feet), or a string: ``SFC`` / ``GND`` (0), ``UNL`` (unlimited),
        ``FL350`` (35,000 ft), ``5000``, ``5000 ft``, ``5000ft AMSL``.

    Returns
    -------
    float
        Feet; ``inf`` for unlimited.

    Raises
    ------
    ValueError
        When the value is not one of the forms above (the message quotes it).
    """
    if isinstance(value, bool):
        raise ValueError(f"altitude {value!r} is not a number, SFC, UNL or FLnnn")
    if isinstance(value, int | float):
        number = float(value)
        if math.isnan(number):
            raise ValueError("altitude is NaN")
        if number == math.inf:
            return UNLIMITED_FT
        if number < 0:
            raise ValueError(f"altitude {value!r} ft is below the surface")
        return number
    if not isinstance(value, str):
        raise ValueError(f"altitude {value!r} is not a number, SFC, UNL or FLnnn")
    text = value.strip().upper()
    if text in _SURFACE:
        return 0.0
    if text in _UNLIMITED:
        return UNLIMITED_FT
    match = _FL.match(text)
    if match:
        return float(int(match.group(1)) * 100)
    match = _FEET.match(text)
    if match:
        number = float(match.group(1))
        if number < 0:
            raise ValueError(f"altitude {value!r} is below the surface")
        return number
    raise ValueError(f"altitude {value!r} is not a number of ft, SFC, UNL or FLnnn")


def format_altitude(value_ft: float) -> str:
    """Feet back to the short form people read: ``SFC``, ``UNL``, ``FL350``, ``4500 ft``."""
    if value_ft <= 0:
        return "SFC"
    if math.isinf(value_ft):
        return "UNL"
    if value_ft >= 18000 and value_ft % 100 == 0:
        return f"FL{int(value_ft) // 100:03d}"
    return f"{value_ft:g} ft"
