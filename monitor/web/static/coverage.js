/* Coverage strip of the history page: which hours each source's positions cover
   (GET /api/coverage), one row per source, one cell per hour, darker with more positions.
   Draws into <div id="coverage-strip"> when the page has one; reads since/until from the
   page's query string (as history.js does). No dependencies. */
(function () {
  'use strict';
  var HOUR = 3600 * 1000;

  function draw(box, doc, t0, t1) {
    box.textContent = '';
    if (!doc.sources.length) {
      box.textContent = 'No positions recorded or imported for this period.';
      return;
    }
    var max = 1;
    doc.sources.forEach(function (s) { s.hours.forEach(function (h) { max = Math.max(max, h.positions); }); });
    doc.sources.forEach(function (s) {
      var row = document.createElement('div');
      row.className = 'coverage-row';
      row.style.cssText = 'display:flex;align-items:center;gap:4px;margin:1px 0;font-size:12px';
      var label = document.createElement('span');
      label.textContent = s.source;
      label.style.cssText = 'width:10em;flex:none;overflow:hidden;text-overflow:ellipsis';
      var bar = document.createElement('div');
      bar.style.cssText = 'position:relative;flex:1;height:10px;background:#eee';
      var span = Math.max(HOUR, t1 - t0);
      s.hours.forEach(function (h) {
        var at = Date.parse(h.hour);
        var cell = document.createElement('span');
        var left = 100 * (at - t0) / span;
        var width = Math.max(0.2, 100 * HOUR / span);
        cell.title = h.hour + ': ' + h.positions.toLocaleString() + ' positions';
        cell.style.cssText = 'position:absolute;top:0;bottom:0;left:' + left + '%;width:' + width +
          '%;background:#1f6feb;opacity:' + (0.25 + 0.75 * h.positions / max).toFixed(2);
        bar.appendChild(cell);
      });
      row.appendChild(label);
      row.appendChild(bar);
      box.appendChild(row);
    });
  }

  function load() {
    var box = document.getElementById('coverage-strip');
    if (!box) { return; }
    var params = new URLSearchParams(window.location.search);
    var q = new URLSearchParams();
    ['since', 'until'].forEach(function (k) { if (params.get(k)) { q.set(k, params.get(k)); } });
    fetch('/api/coverage?' + q.toString(), { headers: { Accept: 'application/json' } })
      .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.json(); })
      .then(function (doc) {
        var times = [];
        doc.sources.forEach(function (s) { s.hours.forEach(function (h) { times.push(Date.parse(h.hour)); }); });
        var t0 = params.get('since') ? Date.parse(params.get('since')) : Math.min.apply(null, times.concat([Date.now()]));
        var t1 = params.get('until') ? Date.parse(params.get('until')) : Math.max.apply(null, times.concat([t0])) + HOUR;
        draw(box, doc, t0, t1);
      })
      .catch(function (err) { box.textContent = 'Coverage unavailable: ' + err.message; });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', load);
  } else {
    load();
  }
}());
