/*
 * MonitorStatus: the status board's traffic-by-operator chart. Fetches
 * /api/stats/operators for the FIR and ranges in the form and draws flights per day as an
 * SVG stacked bar chart (the six busiest operators, the rest as "other"), with the
 * baseline's daily mean as a dashed line. Plain SVG, as history.js draws its traffic chart;
 * needs nothing else.
 */
(function () {
  'use strict';

  var COLOURS = ['#3b82c4', '#f59e0b', '#10b981', '#8b5cf6', '#ef4444', '#14b8a6', '#94a3b8'];
  var TOP = 6;

  function $(id) { return document.getElementById(id); }
  function esc(v) {
    return String(v === null || v === undefined ? '' : v).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function dayOf(iso) { return iso ? iso.slice(0, 10) : ''; }
  function addDays(day, n) {
    var d = new Date(day + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  function params() {
    var p = new URLSearchParams();
    p.set('zone', $('op-zone').value);
    [['since', 'op-since'], ['until', 'op-until'], ['baseline_since', 'op-bsince'], ['baseline_until', 'op-buntil']]
      .forEach(function (kv) { var v = $(kv[1]).value; if (v) { p.set(kv[0], v + 'T00:00:00Z'); } });
    return p;
  }

  /* every day of the requested range, with 0 for days without counts (at most 400) */
  function fillDays(stats) {
    var have = {}, out = [], day = dayOf(stats.since), end = dayOf(stats.until);
    (stats.days || []).forEach(function (d) { have[d.day] = d.flights; });
    while (day && day < end && out.length < 400) { out.push({ day: day, flights: have[day] || 0 }); day = addDays(day, 1); }
    return out;
  }

  function perDay(list, days) {
    var have = {};
    list.forEach(function (p) { have[p.day] = p.flights; });
    return days.map(function (d) { return { day: d.day, flights: have[d.day] || 0 }; });
  }

  function draw(stats) {
    var el = $('operator-chart'), counted = stats.days || [], days = fillDays(stats);
    var base = stats.baseline.flights_per_day;
    $('op-summary').textContent = stats.flights + ' flights through ' + stats.zone + ' in ' + counted.length +
      ' day(s) with data; baseline ' + (base === null ? 'has no stored counts' : base + ' flights a day') +
      ' (' + dayOf(stats.baseline.since) + ' to ' + dayOf(stats.baseline.until) + ')';
    if (!counted.length) { el.innerHTML = '<p class="muted">no flights counted through ' + esc(stats.zone) + ' in this range</p>'; $('operator-legend').innerHTML = ''; return; }
    var ops = stats.operators.filter(function (o) { return o.flights > 0; });
    var top = ops.slice(0, TOP), rest = ops.slice(TOP);
    var series = top.map(function (o) { return { label: o.label, per: perDay(o.per_day, days) }; });
    if (rest.length) {
      var restPer = rest.map(function (o) { return perDay(o.per_day, days); });
      series.push({ label: 'other (' + rest.length + ')', per: days.map(function (d, i) {
        return { day: d.day, flights: restPer.reduce(function (s, p) { return s + p[i].flights; }, 0) };
      }) });
    }
    var W = 640, H = 220, padL = 34, padB = 20, padT = 10;
    var max = Math.max(base || 0, Math.max.apply(null, days.map(function (d) { return d.flights; }))) || 1;
    var bw = (W - padL) / days.length;
    function y(v) { return padT + (H - padT - padB) * (1 - v / max); }
    var parts = ['<svg viewBox="0 0 ' + W + ' ' + H + '" preserveAspectRatio="none" role="img" aria-label="flights per day by operator">'];
    days.forEach(function (d, i) {
      var acc = 0, x = padL + i * bw + 1;
      series.forEach(function (s, k) {
        var n = s.per[i].flights;
        if (!n) { return; }
        parts.push('<rect x="' + x.toFixed(1) + '" y="' + y(acc + n).toFixed(1) + '" width="' + Math.max(1, bw - 2).toFixed(1) +
          '" height="' + (y(acc) - y(acc + n)).toFixed(1) + '" fill="' + COLOURS[Math.min(k, COLOURS.length - 1)] + '"><title>' +
          esc(d.day + ' ' + s.label + ': ' + n + ' flight(s)') + '</title></rect>');
        acc += n;
      });
    });
    if (base !== null) {
      parts.push('<line class="base" x1="' + padL + '" x2="' + W + '" y1="' + y(base).toFixed(1) + '" y2="' + y(base).toFixed(1) + '"><title>baseline ' + base + ' a day</title></line>');
    }
    parts.push('<text class="axis" x="2" y="' + (padT + 8) + '">' + max + '</text>');
    parts.push('<text class="axis" x="2" y="' + (H - padB) + '">0</text>');
    parts.push('<text class="axis" x="' + padL + '" y="' + (H - 5) + '">' + esc(days[0].day) + '</text>');
    parts.push('<text class="axis" x="' + (W - 4) + '" y="' + (H - 5) + '" text-anchor="end">' + esc(days[days.length - 1].day) + '</text>');
    parts.push('</svg>');
    el.innerHTML = parts.join('');
    $('operator-legend').innerHTML = series.map(function (s, k) {
      return '<span><i style="background:' + COLOURS[Math.min(k, COLOURS.length - 1)] + '"></i>' + esc(s.label) + '</span>';
    }).join('') + (base !== null ? '<span><i style="background:#dc2626"></i>baseline (mean a day)</span>' : '');
  }

  function load() {
    var p = params();
    $('op-csv').href = '/api/stats/operators.csv?' + p.toString();
    fetch('/api/stats/operators?' + p.toString(), { cache: 'no-store' }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { throw new Error(body.message || ('HTTP ' + r.status)); }
        return body;
      });
    }).then(draw).catch(function (e) {
      $('operator-chart').innerHTML = '<p class="muted">' + esc(e.message) + '</p>';
    });
  }

  function init() {
    var board = document.querySelector('main.board');
    var at = dayOf(board && board.getAttribute('data-at')) || new Date().toISOString().slice(0, 10);
    if (!$('op-until').value) { $('op-until').value = addDays(at, 1); }
    if (!$('op-since').value) { $('op-since').value = addDays(at, -6); }
    $('operator-form').addEventListener('submit', function (ev) { ev.preventDefault(); load(); });
    load();
  }

  window.MonitorStatus = { init: init, draw: draw };
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', init); } else { init(); }
}());
