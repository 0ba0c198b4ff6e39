"""Format-faithful capture bodies for pipeline tests (adsb.lol v2 API responses)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.capture import CaptureRecord


def v2_aircraft(hex_id: str, lon: float, lat: float, **kw: Any) -> dict[str, Any]:
    ac = {
        "hex": hex_id,
        "type": "adsb_icao",
        "flight": kw.pop("flight", "TST123  "),
        "alt_baro": kw.pop("alt_baro", 35000),
        "gs": kw.pop("gs", 450.0),
        "track": kw.pop("track", 90.0),
        "lat": lat,
        "lon": lon,
        "nic": 8,
        "nac_p": 9,
        "seen_pos": 0.4,
        "seen": 0.2,
        "messages": 1200,
        "rssi": -20.1,
    }
    ac.update(kw)
    return ac


def v2_record(t: datetime, aircraft: list[dict[str, Any]], source: str = "adsb_lol") -> CaptureRecord:
    now_ms = int(t.timestamp() * 1000)
    body = {"ac": aircraft, "msg": "No error", "now": now_ms, "total": len(aircraft), "ctime": now_ms, "ptime": 3}
    return CaptureRecord("adsbx_v2", t, body, source=source)
