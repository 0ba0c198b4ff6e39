"""``/status``: the airspace status board, rendered on the server from the same board as
``GET /api/status`` and ``monitor status``; ``static/status.js`` draws the traffic by
operator against a baseline (``/api/stats/operators``) and lets the user pick the range."""

from __future__ import annotations

from typing import Any

from monitor.web.assets import FAVICON, MONITOR_CSS, STATIC_URL
from monitor.web.pages.common import esc, topbar

STATUS_JS = f"{STATIC_URL}/status.js"

#: the one line the live map shows (filled by the browser from /api/status)
RULES_LINE = (
    '<div id="rules-line" style="position:fixed;left:50%;top:46px;transform:translateX(-50%);z-index:1000;white-space:nowrap;background:rgba(255,255,255,.94);'
    'padding:3px 9px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);font-size:12px">'
    '<a href="/status" id="rules-line-text">Rules in force: …</a> · <a href="/status">status board</a></div>'
    "<script>fetch('/api/status',{cache:'no-store'}).then(function(r){return r.json();}).then(function(b){"
    "var n=0;(b.firs||[]).forEach(function(f){f.rules.forEach(function(r){if(r.binding){n++;}});});"
    "document.getElementById('rules-line-text').textContent='Rules in force: '+(n?n+' binding':'none binding');"
    "}).catch(function(){});</script>"
)

_STYLE = """
body.page-status { margin: 0; height: auto; overflow: auto; }
body.page-status .topbar { height: 38px; position: sticky; top: 0; z-index: 5; }
.board { max-width: 1280px; margin: 0 auto; padding: 12px 16px 40px; }
.headline { font-size: 16px; font-weight: 600; padding: 10px 12px; border-radius: 6px; margin: 6px 0 12px; }
.headline.none { background: #ecfdf5; border: 1px solid #6ee7b7; color: #065f46; }
.headline.binding { background: #fef2f2; border: 1px solid #fca5a5; color: #991b1b; }
.firs { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 12px; }
.fir { border: 1px solid #cbd5e1; border-radius: 6px; padding: 8px 10px; background: #fff; min-width: 0; }
.fir.bound { border-color: #f87171; }
.fir h2 { font-size: 15px; margin: 0 0 4px; }
.fir h3 { font-size: 12px; margin: 8px 0 2px; color: #334155; text-transform: uppercase; letter-spacing: .03em; }
.rule { margin: 3px 0; padding: 3px 6px; border-left: 3px solid #94a3b8; background: #f8fafc; overflow-wrap: anywhere; }
.rule.binding { border-left-color: #dc2626; background: #fef2f2; }
.rule .kind { font-weight: 650; }
.rule .src a { margin-right: 6px; }
table.counts { border-collapse: collapse; width: 100%; font-size: 12px; }
table.counts td { padding: 1px 4px; border-bottom: 1px solid #f1f5f9; }
table.counts td.n { text-align: right; font-variant-numeric: tabular-nums; width: 3em; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
.muted { color: #64748b; }
section.wide { margin-top: 18px; }
section.wide h2 { font-size: 15px; }
#operator-form { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin-bottom: 8px; }
#operator-form label { display: flex; flex-direction: column; font-size: 12px; color: #334155; }
#operator-form input, #operator-form select, #operator-form button { font: inherit; padding: 2px 4px; }
.chart svg { width: 100%; height: 220px; display: block; background: #fff; border: 1px solid #e2e8f0; }
.chart .base { stroke: #dc2626; stroke-dasharray: 4 3; stroke-width: 1.5; }
.chart .axis { font-size: 10px; fill: #475569; }
.legend span { display: inline-block; margin-right: 10px; font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
@media (max-width: 700px) { .firs { grid-template-columns: 1fr; } .cols { grid-template-columns: 1fr; }
  body.page-status .topbar .title { display: none; } body.page-status .topbar nav { display: flex; flex-wrap: wrap; }
  body.page-status .topbar { height: auto; } .board { padding: 8px 10px 30px; } }
"""


def _when(t: str | None) -> str:
    return "further notice" if not t else t.replace("T", " ").replace(":00Z", "Z")


def _rule(r: dict[str, Any]) -> str:
    links = "".join(
        f'<a href="{esc(u)}" rel="noopener noreferrer" target="_blank">source {i}</a>'
        for i, u in enumerate(r["sources"], 1)
    ) or '<span class="muted">no source address</span>'
    cls = "rule binding" if r["binding"] else "rule"
    return (
        f'<div class="{cls}"><span class="kind">{esc(r["authority"])} {esc(r["kind"])}</span> '
        f'<span class="muted">{esc(r["zone_id"])} v{r["version"]}</span><br>'
        f'binds {esc(r["binds_text"])}<br>since {esc(_when(r["since"]))} · until {esc(_when(r["until"]))}'
        f'<div class="src">{links}</div></div>'
    )


def _counts(rows: list[dict[str, Any]], empty: str) -> str:
    if not rows:
        return f'<p class="muted">{esc(empty)}</p>'
    body = "".join(
        f'<tr><td>{esc(r["label"])}</td><td class="n">{r["flights"]}</td></tr>' for r in rows[:8]
    )
    more = f'<tr><td class="muted">+{len(rows) - 8} more</td><td></td></tr>' if len(rows) > 8 else ""
    return f'<table class="counts">{body}{more}</table>'


def _fir(f: dict[str, Any]) -> str:
    rules = "".join(_rule(r) for r in f["rules"]) or '<p class="muted">no rule in force</p>'
    changes = "".join(
        f'<li>{esc(_when(c["at"]))}: {esc(c["authority"])} {esc(c["kind"])} {esc(c["change"])}</li>'
        for c in f["changes_24h"]
    )
    changes_html = f"<ul>{changes}</ul>" if changes else '<p class="muted">none</p>'
    rr = "".join(
        f'<li><a href="/incidents/{x["incident_id"]}">{esc(x["callsign"] or "?")}</a> '
        f'{esc(x["route"] or "")}: +{x["extra_distance_km"] or 0:.0f} km, +{x["extra_time_min"] or 0:.0f} min</li>'
        for x in f["reroutes_24h"][:8]
    )
    rr_html = f"<ul>{rr}</ul>" if rr else '<p class="muted">none</p>'
    fl = f["flights_now"]
    bound = " bound" if f["binding_in_force"] else ""
    return (
        f'<article class="fir{bound}" id="fir-{esc(f["fir"])}"><h2>{esc(f["fir"])} · {esc(f["name"])}</h2>'
        f"<h3>Rules in force</h3>{rules}"
        f"<h3>Changed in the last 24 h</h3>{changes_html}"
        f'<h3>Flights inside now: {fl["total"]}</h3>'
        f'<div class="cols"><div><span class="muted">by State of registry</span>'
        f'{_counts(fl["by_registry"], "none")}</div><div><span class="muted">by operator</span>'
        f'{_counts(fl["by_operator"], "none")}</div></div>'
        f'<h3>Reroutes, last 24 h ({len(f["reroutes_24h"])})</h3>{rr_html}</article>'
    )


def status_page(board: dict[str, Any], *, banner: str | None, firs: list[str], zone: str = "SVZM") -> str:
    """The status board page for ``board`` (:func:`monitor.web.api_status_board.build_status_board`)."""
    cls = "binding" if board["binding_in_force"] else "none"
    watched = [f for f in board["firs"] if f["watched"] or f["rules"]]
    others = [f for f in board["firs"] if f not in watched]
    returns = "".join(f"<li>{esc(r['text'])}</li>" for r in board["operator_returns"])
    opts = "".join(f'<option value="{esc(c)}"{" selected" if c == zone else ""}>{esc(c)}</option>' for c in firs)
    at = board["at"] or ""
    open_inc = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in board["open_incidents"].items()) or "none"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
{FAVICON}<title>Airspace status board · Caribbean monitor</title>
<link rel="stylesheet" href="{MONITOR_CSS}"><style>{_STYLE}</style></head>
<body class="page-status">
{topbar("status", banner)}
<main class="board" data-at="{esc(at)}">
<p class="muted">Board at {esc(_when(at))} · flights from {esc(board["flights_source"])}</p>
<div class="headline {cls}" id="headline">{esc(board["headline"])}</div>
<div class="firs">{"".join(_fir(f) for f in watched)}</div>
<details><summary>Other FIRs of the region ({len(others)})</summary><div class="firs">{"".join(_fir(f) for f in others)}</div></details>
<section class="wide"><h2>Operator returns (last 2 days)</h2>{f"<ul>{returns}</ul>" if returns else '<p class="muted">none</p>'}
<p>Open incidents: {esc(open_inc)}</p></section>
<section class="wide"><h2>Traffic by operator</h2>
<form id="operator-form" autocomplete="off">
<label>FIR<select name="zone" id="op-zone">{opts}</select></label>
<label>From (UTC)<input type="date" name="since" id="op-since"></label>
<label>To (UTC, exclusive)<input type="date" name="until" id="op-until"></label>
<label>Baseline from<input type="date" name="baseline_since" id="op-bsince" value="2025-10-24"></label>
<label>Baseline to<input type="date" name="baseline_until" id="op-buntil" value="2025-11-21"></label>
<button type="submit">Show</button> <a id="op-csv" href="/api/stats/operators.csv">CSV</a>
</form>
<p id="op-summary" class="muted"></p>
<div class="chart" id="operator-chart"><p class="muted">loading…</p></div>
<div class="legend" id="operator-legend"></div>
</section>
</main>
<script src="{STATUS_JS}"></script>
</body></html>"""
