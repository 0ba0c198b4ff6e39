"""``/feeds/incidents.atom``: an Atom feed (RFC 4287) of the incidents of any history filter.

The filters are those of ``GET /api/incidents`` (:func:`monitor.web.params.incident_filters`,
validated the same way: a bad value answers 400 naming the parameter). The feed holds the
newest :data:`FEED_ENTRIES` incidents matching them, newest start first; each entry links to
the incident's page. Entry ids (``tag:caribe-monitor,2025:incident/ID``) do not depend on
the host the feed was read from, so a reader keeps them across deployments' addresses.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response

from monitor.store import queries
from monitor.store.queries import IncidentListItem
from monitor.timeutil import iso_z, utcnow
from monitor.web.context import WebContext, get_ctx
from monitor.web.errors import bad_param
from monitor.web.params import IncidentFilters, incident_filters
from monitor.web.schemas import ErrorBody

router = APIRouter(tags=["incidents"])

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA = "application/atom+xml; charset=utf-8"
FEED_ENTRIES = 100
MAX_ENTRIES = 500
TAG = "tag:caribe-monitor,2025:"
GENERATOR = "caribe-monitor"

ET.register_namespace("", ATOM_NS)


def _el(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    e = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}", attrs)
    if text is not None:
        e.text = text
    return e


def _filter_query(filters: IncidentFilters) -> list[tuple[str, str]]:
    """The filters as query pairs, in a fixed order (the feed's id and links)."""
    pairs: list[tuple[str, str]] = []
    for name in ("since", "until", "bbox", "zone", "severity", "subject", "status"):
        value = getattr(filters, name)
        if value is not None and str(value).strip():
            pairs.append((name, str(value).strip()))
    for k in sorted({k.strip() for raw in filters.kind or () for k in raw.split(",") if k.strip()}):
        pairs.append(("kind", k))
    return pairs


def _title(item: IncidentListItem) -> str:
    subject = item.subject_label or item.subject_id or ""
    parts = [item.kind.replace("_", " "), item.severity]
    if subject:
        parts.append(subject)
    if item.zone_id:
        parts.append(f"in {item.zone_id}")
    return f"#{item.id} " + " · ".join(parts) + ("" if item.status == "open" else " (closed)")


def atom_feed(
    items: list[IncidentListItem], *, base_url: str, self_url: str, query: list[tuple[str, str]]
) -> bytes:
    """The Atom document of ``items`` (UTF-8 bytes with an XML declaration)."""
    base = base_url.rstrip("/")
    qs = urlencode(query)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _el(feed, "id", f"{TAG}incidents" + (f"?{qs}" if qs else ""))
    _el(feed, "title", "Incidents · Caribbean airspace & maritime monitor" + (f" ({qs})" if qs else ""))
    updated = max((i.ended_at or i.last_seen_at for i in items), default=None) or iso_z(utcnow())
    _el(feed, "updated", updated)
    _el(_el(feed, "author"), "name", "caribe-monitor")
    _el(feed, "generator", GENERATOR)
    _el(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _el(feed, "link", rel="alternate", type="text/html", href=f"{base}/history" + (f"?{qs}" if qs else ""))
    for item in items:
        url = f"{base}/incidents/{item.id}"
        entry = _el(feed, "entry")
        _el(entry, "id", f"{TAG}incident/{item.id}")
        _el(entry, "title", _title(item))
        _el(entry, "updated", item.ended_at or item.last_seen_at)
        _el(entry, "published", item.started_at)
        _el(entry, "link", rel="alternate", type="text/html", href=url)
        _el(entry, "category", term=item.kind, label=item.kind.replace("_", " "))
        _el(entry, "category", term=f"severity:{item.severity}", label=item.severity)
        if item.zone_id:
            _el(entry, "category", term=f"zone:{item.zone_id}", label=item.zone_id)
        first = (item.summary or _title(item)).rstrip()
        lines = [first if first.endswith(".") else first + "."]
        lines.append(f"Status: {item.status}; started {item.started_at}, last seen {item.last_seen_at}"
                     + (f", ended {item.ended_at}" if item.ended_at else "") + ".")
        if item.lat is not None and item.lon is not None:
            lines.append(f"Last position: {item.lat:.4f}, {item.lon:.4f} (WGS84).")
        _el(entry, "summary", " ".join(lines), type="text")
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


@router.get(
    "/feeds/incidents.atom",
    summary="Atom feed of the incidents matching the history filters",
    response_model=None,
    responses={
        200: {"description": "Atom 1.0 feed", "content": {"application/atom+xml": {}}},
        400: {"model": ErrorBody, "description": "a parameter is wrong; `param` names it"},
    },
)
def incidents_atom(
    request: Request,
    ctx: Annotated[WebContext, Depends(get_ctx)],
    filters: Annotated[IncidentFilters, Depends(incident_filters)],
    limit: Annotated[int, Query(description=f"entries, 1..{MAX_ENTRIES}")] = FEED_ENTRIES,
) -> Response:
    """The newest incidents (by start) matching the filters of ``GET /api/incidents``
    (``zone``, ``kind``, ``severity``, ``bbox``, ``since``, ``until``, ``subject``,
    ``status``), one entry each, linking to the incident page."""
    if not 1 <= limit <= MAX_ENTRIES:
        raise bad_param("limit", f"must be between 1 and {MAX_ENTRIES}, got {limit}")
    if filters.cursor:
        raise bad_param("cursor", "a feed has no pages; narrow the filters instead")
    q = filters.query(limit=limit, known_zones=ctx.zone_ids, store=ctx.services.store)
    items, _ = queries.list_incidents(ctx.services.store.engine, q)
    base = ctx.services.config.public_url or str(request.base_url)
    body = atom_feed(items, base_url=base, self_url=str(request.url), query=_filter_query(filters))
    return Response(body, media_type=MEDIA)
