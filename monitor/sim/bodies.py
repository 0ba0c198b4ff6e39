"""Wire bodies exactly as each real feed sends them, built from model states.

* ``adsbx_v2``: an adsb.lol ``/v2/...`` response ``{"ac": [...], "msg", "now" (ms),
  "total", "ctime" (ms), "ptime"}`` with readsb field names and readsb's rounding.
* ``opensky_states``: ``{"time", "states": [[17 fields]] | null}`` in metres and m/s.
* ``aisstream``: one websocket frame ``{"Message": {TYPE: {...}}, "MessageType",
  "MetaData": {..., "time_utc": "YYYY-MM-DD HH:MM:SS.nnnnnnnnn +0000 UTC"}}``.
* ``ais_nmea``: ``!AIVDM`` sentences encoded with pyais, behind an IEC 61162-450 tag block
  carrying the receive time (``\\s:STATION,c:EPOCH*hh\\``), multi-part type 5 included.
* ``nga_msi``: ``{"broadcast-warn": [...]}``.

AIS positions are quantised to the AIS resolution (1/10 000 minute) so the aisstream and
NMEA views of one report are identical.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pyais import encode_dict

from monitor.sim.model import AircraftState, VesselReport, noise
from monitor.units import FPM_PER_MPS, FT_PER_M, KT_PER_MPS

AIS_RES_DEG = 1.0 / 600_000.0


def _round_to(value: float, step: float) -> float:
    return round(value / step) * step


# --- ADS-B v2 (readsb) ------------------------------------------------------------------


def adsbx_aircraft(st: AircraftState, now_s: float, seed: int) -> dict[str, Any]:
    """One readsb aircraft object as seen at ``now_s`` (its fix taken at ``st.t_s``)."""
    f = st.flight
    a = f.airframe
    seen_pos = max(0.0, now_s - st.t_s)
    r = noise(seed, a.hex, st.t_s, "rssi")
    ac: dict[str, Any] = {
        "hex": a.hex,
        "type": f.position_source,
        "flight": f"{f.callsign:<8}"[:8],
        "r": a.registration,
        "t": a.type_code,
    }
    if a.military:
        ac["dbFlags"] = 1
    if st.alt_ft is None:
        ac["alt_baro"] = "ground"
    else:
        alt = int(_round_to(st.alt_ft, 25))
        ac["alt_baro"] = alt
        ac["alt_geom"] = int(_round_to(st.alt_ft + 0.018 * st.alt_ft + 75, 25))
    ac["gs"] = round(st.gs_kt, 1)
    ac["track"] = round(st.track_deg, 2)
    if st.alt_ft is not None:
        ac["baro_rate"] = int(_round_to(st.vrate_fpm, 64))
    ac["squawk"] = st.squawk
    if f.position_source == "adsb_icao":
        ac["emergency"] = st.emergency
    ac["category"] = a.category
    ac["lat"] = round(st.lat, 6)
    ac["lon"] = round(st.lon, 6)
    if st.nic is not None:
        ac["nic"] = st.nic
        ac["rc"] = 186 if st.nic >= 8 else 371 if st.nic >= 6 else 0
    ac["seen_pos"] = round(seen_pos, 3)
    if f.position_source == "adsb_icao":
        ac["version"] = 2
        ac["nac_p"] = st.nac_p
        ac["sil"] = 3
        ac["sil_type"] = "perhour"
    if st.gps_ok_before_s is not None:
        ac["gpsOkBefore"] = round(st.gps_ok_before_s, 1)
        ac["gpsOkLat"] = round(st.gps_ok_lat or 0.0, 6)
        ac["gpsOkLon"] = round(st.gps_ok_lon or 0.0, 6)
    ac["mlat"] = ["lat", "lon", "track", "gs", "baro_rate"] if f.position_source == "mlat" else []
    ac["tisb"] = []
    ac["messages"] = int(max(0.0, st.t_s - f.path.start_s) * 6.3) + 40
    ac["seen"] = round(max(0.0, seen_pos - 0.1 - 0.6 * r), 1)
    ac["rssi"] = round(-29.0 + 14.0 * r, 1)
    return ac


def adsbx_body(aircraft: Sequence[dict[str, Any]], now_s: float, *, ptime_ms: int = 1) -> dict:
    """An adsb.lol v2 response around already-built aircraft objects."""
    now_ms = int(round(now_s * 1000))
    return {
        "ac": list(aircraft),
        "msg": "No error",
        "now": now_ms,
        "total": len(aircraft),
        "ctime": now_ms,
        "ptime": ptime_ms,
    }


# --- OpenSky ----------------------------------------------------------------------------


def opensky_state(st: AircraftState, last_contact_s: int) -> list[Any]:
    """One OpenSky state vector (17 fields, metres and m/s) for a fix at ``st.t_s``."""
    f = st.flight
    baro_m = None if st.alt_ft is None else round(_round_to(st.alt_ft, 25) / FT_PER_M, 2)
    geo_m = (
        None
        if st.alt_ft is None
        else round(_round_to(st.alt_ft + 0.018 * st.alt_ft + 75, 25) / FT_PER_M, 2)
    )
    return [
        f.airframe.hex,
        f"{f.callsign:<8}"[:8],
        f.airframe.country,
        int(st.t_s),
        int(last_contact_s),
        round(st.lon, 4),
        round(st.lat, 4),
        baro_m,
        st.alt_ft is None,
        round(st.gs_kt / KT_PER_MPS, 2),
        round(st.track_deg, 2),
        None if st.alt_ft is None else round(st.vrate_fpm / FPM_PER_MPS, 2),
        None,
        geo_m,
        st.squawk,
        False,
        2 if f.position_source == "mlat" else 0,
    ]


def opensky_body(states: Sequence[list[Any]], time_s: int) -> dict[str, Any]:
    """``/api/states/all`` response; ``states`` is ``null`` when empty, as OpenSky does."""
    return {"time": int(time_s), "states": list(states) if states else None}


# --- AIS: aisstream JSON ----------------------------------------------------------------


def ais_quantise(value_deg: float) -> float:
    """A coordinate as an AIS receiver decodes it (1/10 000 minute resolution)."""
    return round(value_deg * 600_000) / 600_000


def aisstream_time(t_s: float, nanos: int) -> str:
    """aisstream's ``time_utc``: ``2025-12-02 10:00:01.123456789 +0000 UTC``."""
    dt = datetime.fromtimestamp(math.floor(t_s), tz=UTC)
    return f"{dt:%Y-%m-%d %H:%M:%S}.{nanos:09d} +0000 UTC"


def _meta(rep: VesselReport, seed: int, rx_s: float) -> dict[str, Any]:
    hull = rep.voyage.hull
    nanos = int(noise(seed, f"{hull.mmsi}{rep.voyage.tag}", rx_s, "ns") * 1e9) % 1_000_000_000
    return {
        "MMSI": hull.mmsi,
        "MMSI_String": hull.mmsi,
        "ShipName": f"{hull.name:<20}" if hull.sends_static else "",
        "latitude": ais_quantise(rep.lat),
        "longitude": ais_quantise(rep.lon),
        "time_utc": aisstream_time(rx_s, nanos),
    }


def aisstream_position(rep: VesselReport, seed: int, rx_s: float) -> dict[str, Any]:
    """A ``PositionReport`` (class A) or ``StandardClassBPositionReport`` frame."""
    hull = rep.voyage.hull
    lat, lon = ais_quantise(rep.lat), ais_quantise(rep.lon)
    comm = int(noise(seed, str(hull.mmsi), rep.t_s, "comm") * 140000)
    second = int(rep.t_s) % 60
    if hull.ais_class == "B":
        body = {
            "AssignedMode": False,
            "ClassBBand": True,
            "ClassBDisplay": False,
            "ClassBDsc": False,
            "ClassBMsg22": False,
            "ClassBUnit": True,
            "Cog": rep.cog_deg,
            "CommunicationState": 393222,
            "CommunicationStateIsItdma": True,
            "Latitude": lat,
            "Longitude": lon,
            "MessageID": 18,
            "PositionAccuracy": False,
            "Raim": False,
            "RepeatIndicator": 0,
            "Sog": rep.sog_kt,
            "Spare1": 0,
            "Spare2": 0,
            "Timestamp": second,
            "TrueHeading": 511,
            "UserID": hull.mmsi,
            "Valid": True,
        }
        mtype = "StandardClassBPositionReport"
    else:
        body = {
            "Cog": rep.cog_deg,
            "CommunicationState": comm,
            "Latitude": lat,
            "Longitude": lon,
            "MessageID": 1,
            "NavigationalStatus": rep.nav_status,
            "PositionAccuracy": True,
            "Raim": False,
            "RateOfTurn": 0,
            "RepeatIndicator": 0,
            "Sog": rep.sog_kt,
            "Spare": 0,
            "SpecialManoeuvreIndicator": 0,
            "Timestamp": second,
            "TrueHeading": rep.heading_deg,
            "UserID": hull.mmsi,
            "Valid": True,
        }
        mtype = "PositionReport"
    return {"Message": {mtype: body}, "MessageType": mtype, "MetaData": _meta(rep, seed, rx_s)}


def _eta(rep: VesselReport) -> dict[str, int]:
    eta = datetime.fromtimestamp(rep.t_s + 86400 * 1.5, tz=UTC)
    return {"Day": eta.day, "Hour": eta.hour, "Minute": 0, "Month": eta.month}


def aisstream_static(rep: VesselReport, seed: int, rx_s: float) -> dict[str, Any]:
    """A ``ShipStaticData`` (AIS type 5) frame."""
    hull = rep.voyage.hull
    body = {
        "AisVersion": 2,
        "CallSign": hull.callsign,
        "Destination": hull.destination,
        "Dimension": {
            "A": hull.to_bow_m,
            "B": hull.to_stern_m,
            "C": hull.to_port_m,
            "D": hull.to_starboard_m,
        },
        "Dte": False,
        "Eta": _eta(rep),
        "FixType": 1,
        "ImoNumber": hull.imo,
        "MaximumStaticDraught": hull.draught_m,
        "MessageID": 5,
        "Name": hull.name,
        "RepeatIndicator": 0,
        "Spare": False,
        "Type": hull.ship_type,
        "UserID": hull.mmsi,
        "Valid": True,
    }
    return {
        "Message": {"ShipStaticData": body},
        "MessageType": "ShipStaticData",
        "MetaData": _meta(rep, seed, rx_s),
    }


# --- AIS: NMEA --------------------------------------------------------------------------


def nmea_checksum(text: str) -> str:
    cs = 0
    for ch in text:
        cs ^= ord(ch)
    return f"{cs:02X}"


def tag_block(fields: str) -> str:
    """An IEC 61162-450 tag block ``\\fields*hh\\``."""
    return f"\\{fields}*{nmea_checksum(fields)}\\"


def nmea_position(rep: VesselReport, seed: int, station: str) -> list[str]:
    """The ``!AIVDM`` line (with its tag block) of one position report."""
    hull = rep.voyage.hull
    channel = "A" if noise(seed, str(hull.mmsi), rep.t_s, "ch") < 0.5 else "B"
    data: dict[str, Any] = {
        "mmsi": hull.mmsi,
        "lat": ais_quantise(rep.lat),
        "lon": ais_quantise(rep.lon),
        "speed": rep.sog_kt,
        "course": rep.cog_deg,
        "second": int(rep.t_s) % 60,
    }
    if hull.ais_class == "B":
        data.update(type=18, heading=511, cs=True)
    else:
        data.update(type=1, heading=rep.heading_deg, status=rep.nav_status, accuracy=1)
    (sentence,) = encode_dict(data, talker_id="AI", sentence_type="VDM", radio_channel=channel)
    return [tag_block(f"s:{station},c:{int(rep.t_s)}") + sentence]


def nmea_static(rep: VesselReport, seed: int, station: str, group: int) -> list[str]:
    """The two ``!AIVDM`` lines of a type 5 message, tag-blocked as group ``group``."""
    hull = rep.voyage.hull
    eta = _eta(rep)
    data = {
        "type": 5,
        "mmsi": hull.mmsi,
        "ais_version": 2,
        "imo": hull.imo,
        "callsign": hull.callsign,
        "shipname": hull.name,
        "ship_type": hull.ship_type,
        "to_bow": hull.to_bow_m,
        "to_stern": hull.to_stern_m,
        "to_port": hull.to_port_m,
        "to_starboard": hull.to_starboard_m,
        "epfd": 1,
        "month": eta["Month"],
        "day": eta["Day"],
        "hour": eta["Hour"],
        "minute": eta["Minute"],
        "draught": hull.draught_m,
        "destination": hull.destination,
    }
    seq = group % 10
    channel = "A" if noise(seed, str(hull.mmsi), rep.t_s, "ch5") < 0.5 else "B"
    parts = encode_dict(
        data, talker_id="AI", sentence_type="VDM", radio_channel=channel, seq_id=seq
    )
    n = len(parts)
    out = []
    for i, sentence in enumerate(parts, start=1):
        fields = f"g:{i}-{n}-{group}"
        if i == 1:
            fields += f",s:{station},c:{int(rep.t_s)}"
        out.append(tag_block(fields) + sentence)
    return out


# --- NGA MSI ----------------------------------------------------------------------------


def nga_body(warnings: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"broadcast-warn": [dict(w) for w in warnings]}
