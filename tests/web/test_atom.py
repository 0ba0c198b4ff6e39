"""``/feeds/incidents.atom`` on SQLite and PostGIS: valid Atom (RFC 4287, checked with
xml.etree), the filters and errors of ``/api/incidents``, stable ids, links to the pages."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime

import pytest

from monitor.store import Store
from monitor.web.app import create_app
from tests.web import scenario

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*starlette.testclient.*")
    from fastapi.testclient import TestClient

A = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def atom_client(store: Store) -> Iterator[TestClient]:
    scenario.fill_store(store, scenario.load())
    with TestClient(create_app(scenario.services(store)), base_url="http://127.0.0.1:8000") as c:
        yield c


def _feed(client: TestClient, base: str = "http://127.0.0.1:8000", **params: str) -> ET.Element:
    r = client.get(base + "/feeds/incidents.atom", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(r.content)
    _check_atom(root)
    return root


def _time(text: str | None) -> datetime:
    assert text is not None
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert t.tzinfo is not None
    return t


def _check_atom(feed: ET.Element) -> None:
    """The required elements of RFC 4287: feed id/title/updated/author, a self link; each
    entry id/title/updated and an alternate link (no content, so a summary)."""
    assert feed.tag == A + "feed"
    for name in ("id", "title", "updated"):
        assert len(feed.findall(A + name)) == 1, name
    _time(feed.findtext(A + "updated"))
    assert feed.find(f"{A}author/{A}name") is not None
    rels = {link.get("rel") for link in feed.findall(A + "link")}
    assert {"self", "alternate"} <= rels
    for entry in feed.findall(A + "entry"):
        for name in ("id", "title", "updated", "summary"):
            assert len(entry.findall(A + name)) == 1, name
        _time(entry.findtext(A + "updated"))
        _time(entry.findtext(A + "published"))
        alternates = [x for x in entry.findall(A + "link") if x.get("rel") == "alternate"]
        assert len(alternates) == 1


def _entries(feed: ET.Element) -> dict[str, ET.Element]:
    return {e.findtext(A + "id") or "": e for e in feed.findall(A + "entry")}


def test_the_feed_lists_the_filtered_incidents_with_links_to_their_pages(atom_client):
    feed = _feed(atom_client, zone="SVZM", kind="incursion")
    entries = _entries(feed)
    assert len(entries) == 2  # LAV123 and AVA55
    for entry in entries.values():
        href = next(x.get("href") for x in entry.findall(A + "link") if x.get("rel") == "alternate")
        assert href is not None and href.startswith("http://127.0.0.1:8000/incidents/")
        number = href.rsplit("/", 1)[1]
        assert entry.findtext(A + "id") == f"tag:caribe-monitor,2025:incident/{number}"
        assert atom_client.get(href).status_code == 200
        terms = {c.get("term") for c in entry.findall(A + "category")}
        assert {"incursion", "zone:SVZM"} <= terms
    assert len(_entries(_feed(atom_client))) == 6
    critical = _entries(_feed(atom_client, severity="critical"))
    assert all("critical" in (e.findtext(A + "title") or "") for e in critical.values())
    boxed = _entries(_feed(atom_client, bbox="-72,8.5,-71,9.5", since="2025-12-02T06:00Z"))
    assert [e.findtext(A + "title", "").split(" ")[0] for e in boxed.values()] == [
        e.findtext(A + "title", "").split(" ")[0] for e in _entries(_feed(atom_client, subject="AVA55")).values()
    ]


def test_ids_are_stable_across_requests_and_hosts(atom_client):
    one = _feed(atom_client, kind="incursion")
    two = _feed(atom_client, base="http://monitor.example:8080", kind="incursion")
    assert list(_entries(one)) == list(_entries(two))
    assert one.findtext(A + "id") == two.findtext(A + "id") == "tag:caribe-monitor,2025:incidents?kind=incursion"
    # the order of the filters does not change the feed's id
    a = _feed(atom_client, zone="SVZM", severity="high")
    r = atom_client.get("/feeds/incidents.atom?severity=high&zone=SVZM")
    assert ET.fromstring(r.content).findtext(A + "id") == a.findtext(A + "id")


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("zone=NOWHERE", "zone"),
        ("kind=meteor", "kind"),
        ("severity=extreme", "severity"),
        ("bbox=1,2,3", "bbox"),
        ("since=tomorrow", "since"),
        ("limit=0", "limit"),
    ],
)
def test_bad_filters_answer_400_naming_the_parameter(atom_client, query, param):
    r = atom_client.get("/feeds/incidents.atom?" + query)
    assert r.status_code == 400
    assert r.json()["param"] == param
