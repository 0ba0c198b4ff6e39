/*
 * MonitorHistory: the history page. Fetches the incidents matching the filters from
 * /api/incidents (following next_cursor), draws them, and lets a time slider show only the
 * incidents active at a moment, with the zones in force at that moment; draws the hourly
 * traffic through a zone (/api/stats/traffic) as an SVG bar chart, and the cited crisis
 * record of the range (/api/events: airspace actions and boat strikes) as markers on a time
 * axis, each linking to its source. Without a range in the address it opens on the stored
 * incidents' first..last time (/api/history/extent). Needs MonitorMap.
 */
(function () {
  'use strict';

  var M = null;  // MonitorMap, loaded after this file; bound in init
  var H = (window.MonitorHistory = {});
  var MAX_PAGES = 10;
  var state = { features: [], events: null, t0: null, t1: null, at: null, playing: null, traffic: [], zoneTimer: null };

  function $(id) { return document.getElementById(id); }
  function isoOf(local) { return local ? local + ':00Z' : ''; }
  function localOf(iso) { return iso ? iso.slice(0, 16) : ''; }
  function fmt(ms) { return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + 'Z'; }

  function filterParams() {
    var p = new URLSearchParams();
    ['since', 'until'].forEach(function (k) { var v = $('f-' + k).value; if (v) { p.set(k, isoOf(v)); } });
    if ($('f-zone').value) { p.set('zone', $('f-zone').value); }
    Array.prototype.forEach.call($('f-kind').selectedOptions, function (o) { p.append('kind', o.value); });
    if ($('f-severity').value) { p.set('severity', $('f-severity').value); }
    var subject = $('f-subject').value.trim();
    if (subject) { p.set('subject', subject); }
    return p;
  }

  function formFromUrl() {
    var p = new URLSearchParams(window.location.search);
    if (p.get('since')) { $('f-since').value = localOf(p.get('since')); }
    if (p.get('until')) { $('f-until').value = localOf(p.get('until')); }
    if (p.get('zone')) { $('f-zone').value = p.get('zone'); }
    if (p.get('severity')) { $('f-severity').value = p.get('severity'); }
    if (p.get('subject')) { $('f-subject').value = p.get('subject'); }
    var kinds = p.getAll('kind');
    Array.prototype.forEach.call($('f-kind').options, function (o) { o.selected = kinds.indexOf(o.value) >= 0; });
  }

  function getJson(url) {
    return fetch(url, { cache: 'no-store' }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { throw new Error(body.message || (url + ': HTTP ' + r.status)); }
        return body;
      });
    });
  }

  function fetchAll(params) {
    var out = [];
    function page(cursor, n) {
      var q = new URLSearchParams(params);
      q.set('limit', '1000');
      if (cursor) { q.set('cursor', cursor); }
      return getJson('/api/incidents?' + q.toString()).then(function (body) {
        out = out.concat(body.features);
        if (body.next_cursor && n + 1 < MAX_PAGES) { return page(body.next_cursor, n + 1); }
        return { features: out, truncated: !!body.next_cursor };
      });
    }
    return page(null, 0);
  }

  function activeAt(f, t) {
    var p = f.properties;
    return Date.parse(p.started_at) <= t && t <= Date.parse(p.ended_at || p.last_seen_at);
  }

  function positionFeature(f) {
    var p = f.properties;
    if (p.lon === null || p.lon === undefined || p.lat === null || p.lat === undefined) { return null; }
    return { type: 'Feature', id: f.id, properties: p, geometry: { type: 'Point', coordinates: [p.lon, p.lat] } };
  }

  function row(f) {
    var p = f.properties, colour = M.config.severity[p.severity] || '#6b7280';
    return '<tr data-id="' + M.esc(p.id) + '"><td><a href="/incidents/' + encodeURIComponent(p.id) + '">' + M.esc(p.id) + '</a></td>' +
      '<td><span class="sev" style="background:' + M.esc(colour) + '"></span>' + M.label(p.kind) + '</td>' +
      '<td>' + M.esc(p.subject_label || p.subject_id || '') + '</td><td>' + M.esc(p.zone_id || '') + '</td>' +
      '<td>' + M.when(p.started_at) + '</td></tr>';
  }

  function render() {
    var t = state.at;
    var shown = t === null ? state.features : state.features.filter(function (f) { return activeAt(f, t); });
    state.tracks.clearLayers();
    state.markers.clearLayers();
    state.tracks.addData(shown.filter(function (f) { return f.geometry && f.geometry.type !== 'Point'; }));
    state.markers.addData(shown.map(positionFeature).filter(Boolean));
    var body = $('incident-list').tBodies[0];
    body.innerHTML = shown.slice(0, 1000).map(row).join('');
    $('result-count').textContent = '(' + shown.length + (t === null ? '' : ' active at ' + fmt(t)) +
      (shown.length !== state.features.length ? ' of ' + state.features.length : '') + ')';
    drawChart();
    if (state.events) { drawEvents(); }
  }

  function loadZones() {
    var t = state.at !== null ? state.at : state.t1;
    if (t === null) { return; }
    getJson('/api/zones?at=' + encodeURIComponent(new Date(t).toISOString())).then(function (doc) {
      state.zones.clearLayers();
      state.zones.addData(doc.features);
      state.zones.eachLayer(function (l) { if (l.bringToBack) { l.bringToBack(); } });
    }).catch(function (e) { console.warn('zones: ' + e.message); });
  }

  function setStatus(text) { $('history-status').textContent = text; }

  function load(fit) {
    var params = filterParams();
    var url = window.location.pathname + (params.toString() ? '?' + params.toString() : '');
    window.history.replaceState(null, '', url);
    state.t0 = params.get('since') ? Date.parse(params.get('since')) : null;
    state.t1 = params.get('until') ? Date.parse(params.get('until')) : null;
    setStatus('loading…');
    return fetchAll(params).then(function (res) {
      state.features = res.features;
      if (state.t0 === null || state.t1 === null) {
        var times = res.features.map(function (f) { return Date.parse(f.properties.started_at); });
        var ends = res.features.map(function (f) { return Date.parse(f.properties.ended_at || f.properties.last_seen_at); });
        if (state.t0 === null) { state.t0 = times.length ? Math.min.apply(null, times) : Date.now() - 864e5; }
        if (state.t1 === null) { state.t1 = ends.length ? Math.max.apply(null, ends) : Date.now(); }
      }
      showAll();
      setStatus(res.features.length + ' incidents between ' + fmt(state.t0) + ' and ' + fmt(state.t1) +
        (res.truncated ? ' (first ' + res.features.length + ' only: narrow the filters)' : ''));
      if (fit && state.markers.getLayers().length) {
        state.map.fitBounds(state.markers.getBounds().pad(0.3), { maxZoom: 8 });
      }
      loadZones();
      loadEvents();
      return loadTraffic(params);
    }).catch(function (e) {
      state.features = [];
      render();
      setStatus('error: ' + e.message);
    });
  }

  function loadTraffic(params) {
    var q = new URLSearchParams();
    q.set('zone', state.trafficZone);
    if (params.get('since')) { q.set('since', params.get('since')); }
    if (params.get('until')) { q.set('until', params.get('until')); }
    return getJson('/api/stats/traffic?' + q.toString()).then(function (doc) {
      state.traffic = doc.series;
      drawChart();
    }).catch(function (e) {
      state.traffic = [];
      $('traffic-chart').innerHTML = '<p class="empty">' + M.esc(e.message) + '</p>';
    });
  }

  // ---- the crisis record: cited airspace actions and boat strikes (/api/events) ---------------

  function loadEvents() {
    if (state.t0 === null || state.t1 === null) { return Promise.resolve(); }
    var q = new URLSearchParams();
    q.set('since', new Date(state.t0).toISOString());
    q.set('until', new Date(state.t1).toISOString());
    return getJson('/api/events?' + q.toString()).then(function (doc) {
      state.events = doc.features;
      drawEvents();
    }).catch(function (e) {
      state.events = [];
      $('event-timeline').innerHTML = '<p class="empty">' + M.esc(e.message) + '</p>';
    });
  }

  function safeUrl(url) { return /^https?:\/\//.test(url || '') ? url : null; }

  function eventTitle(p) {
    var where = p.zone_id ? ' · ' + p.zone_id + (p.kind === 'strike' ? ' (' + p.location_note + ')' : '') : '';
    return p.date_text + ' UTC: ' + p.title + where + ' · source: ' + (p.source_title || p.source_url);
  }

  /** The events of the range as markers on a time axis (each links to its source) and a list. */
  function drawEvents() {
    var el = $('event-timeline'), list = $('event-list'), events = state.events || [];
    var t0 = state.t0, t1 = state.t1;
    $('event-count').textContent = '(' + events.length + ' in this range)';
    if (!events.length || t0 === null || t1 === null || t1 <= t0) {
      el.innerHTML = '<p class="empty">no cited airspace action or boat strike in this range</p>';
      list.innerHTML = '';
      return;
    }
    var W = 330, Hh = 46, pad = 8;
    function x(t) { return pad + (W - 2 * pad) * Math.min(1, Math.max(0, (t - t0) / (t1 - t0))); }
    var parts = ['<svg viewBox="0 0 ' + W + ' ' + Hh + '" role="img" aria-label="crisis events on the time axis">',
      '<line class="base" x1="' + pad + '" x2="' + (W - pad) + '" y1="24" y2="24"></line>'];
    events.forEach(function (f) {
      var p = f.properties, cx = x(Date.parse(p.time)).toFixed(1), url = safeUrl(p.source_url);
      var shape = p.kind === 'strike'
        ? '<path class="ev-strike" d="M' + cx + ' 27 l5 9 h-10 z"></path>'
        : '<rect class="ev-airspace" x="' + (cx - 4) + '" y="12" width="8" height="8" transform="rotate(45 ' + cx + ' 16)"></rect>';
      var body = '<g class="event-marker" data-id="' + M.esc(f.id) + '"><title>' + M.esc(eventTitle(p)) + '</title>' + shape + '</g>';
      parts.push(url ? '<a href="' + M.esc(url) + '" target="_blank" rel="noopener noreferrer">' + body + '</a>' : body);
    });
    if (state.at !== null && state.at >= t0 && state.at <= t1) {
      parts.push('<line class="cursor" x1="' + x(state.at).toFixed(1) + '" x2="' + x(state.at).toFixed(1) + '" y1="6" y2="40"></line>');
    }
    parts.push('<text class="axis" x="' + pad + '" y="' + (Hh - 1) + '">' + M.esc(fmt(t0)) + '</text>');
    parts.push('<text class="axis" x="' + (W - pad) + '" y="' + (Hh - 1) + '" text-anchor="end">' + M.esc(fmt(t1)) + '</text>');
    parts.push('</svg>');
    el.innerHTML = parts.join('');
    list.innerHTML = events.slice(0, 200).map(function (f) {
      var p = f.properties, url = safeUrl(p.source_url);
      var where = p.kind === 'strike' ? (p.zone_id ? p.zone_id + ': ' : '') + (p.location_note || '') : (p.zone_id || '');
      var zone = where ? ' <span class="muted">' + M.esc(where) + '</span>' : '';
      var src = url ? ' <a href="' + M.esc(url) + '" target="_blank" rel="noopener noreferrer">source</a>' : '';
      return '<li data-id="' + M.esc(f.id) + '"><span class="ev-dot ' + M.esc(p.kind) + '"></span><time>' +
        M.esc(p.date_text) + '</time>' + M.esc(p.title) + zone + src + '</li>';
    }).join('');
  }

  function drawChart() {
    var el = $('traffic-chart'), data = state.traffic || [];
    if (!data.length) { el.innerHTML = '<p class="empty">no hourly counts for ' + M.esc(state.trafficZone) + ' in this range</p>'; return; }
    var W = 330, Hh = 150, padL = 28, padB = 18, padT = 8;
    var t0 = Date.parse(data[0].hour), t1 = Date.parse(data[data.length - 1].hour) + 36e5;
    var max = Math.max.apply(null, data.map(function (d) { return d.aircraft; })) || 1;
    var bw = Math.max(1, (W - padL) / Math.max(1, (t1 - t0) / 36e5) - 1);
    function x(t) { return padL + (W - padL) * (t - t0) / (t1 - t0); }
    function y(v) { return padT + (Hh - padT - padB) * (1 - v / max); }
    var parts = ['<svg viewBox="0 0 ' + W + ' ' + Hh + '" preserveAspectRatio="none" role="img" aria-label="aircraft per hour">'];
    data.forEach(function (d) {
      var t = Date.parse(d.hour);
      parts.push('<rect class="bar" x="' + x(t).toFixed(1) + '" y="' + y(d.aircraft).toFixed(1) + '" width="' + bw.toFixed(1) +
        '" height="' + (Hh - padB - y(d.aircraft)).toFixed(1) + '"><title>' + M.esc(fmt(t)) + ': ' + d.aircraft + ' aircraft</title></rect>');
    });
    parts.push('<text class="axis" x="2" y="' + (padT + 8) + '">' + max + '</text>');
    parts.push('<text class="axis" x="2" y="' + (Hh - padB) + '">0</text>');
    parts.push('<text class="axis" x="' + padL + '" y="' + (Hh - 4) + '">' + M.esc(fmt(t0).slice(5)) + '</text>');
    parts.push('<text class="axis" x="' + (W - 4) + '" y="' + (Hh - 4) + '" text-anchor="end">' + M.esc(fmt(t1).slice(5)) + '</text>');
    if (state.at !== null && state.at >= t0 && state.at <= t1) {
      parts.push('<line class="cursor" x1="' + x(state.at).toFixed(1) + '" x2="' + x(state.at).toFixed(1) + '" y1="' + padT + '" y2="' + (Hh - padB) + '"></line>');
    }
    parts.push('</svg>');
    el.innerHTML = parts.join('');
  }

  function fromSlider() {
    var v = Number($('time-slider').value);
    return state.t0 + (state.t1 - state.t0) * v / 1000;
  }

  function onSlide() {
    if (state.t0 === null) { return; }
    state.at = fromSlider();
    $('time-label').textContent = fmt(state.at);
    render();
    clearTimeout(state.zoneTimer);
    state.zoneTimer = setTimeout(loadZones, 300);
  }

  function showAll() {
    stop();
    state.at = null;
    $('time-slider').value = 1000;
    $('time-label').textContent = 'all of the range';
    render();
  }

  function stop() {
    if (state.playing) { clearInterval(state.playing); state.playing = null; $('time-play').textContent = '▶ play'; }
  }

  function play() {
    if (state.playing) { stop(); return; }
    var slider = $('time-slider');
    if (Number(slider.value) >= 1000) { slider.value = 0; }
    $('time-play').textContent = '❚❚ pause';
    state.playing = setInterval(function () {
      var v = Number(slider.value) + 5;
      if (v > 1000) { stop(); return; }
      slider.value = v;
      onSlide();
    }, 150);
  }

  H.state = state;
  H.load = load;

  H.init = function (map, options) {
    M = window.MonitorMap;
    state.map = map;
    state.trafficZone = options.trafficZone || 'SVZM';
    var svg = M.renderer('incidents');
    state.zones = L.geoJson(null, { style: M.zoneStyle, onEachFeature: M.popup(M.zonePopup) }).addTo(map);
    state.tracks = L.geoJson(null, {
      style: M.incidentStyle, renderer: svg, pane: 'incidents', onEachFeature: M.popup(M.incidentPopup)
    }).addTo(map);
    state.markers = L.geoJson(null, {
      pointToLayer: M.incidentMarker, style: M.incidentStyle, onEachFeature: M.popup(M.incidentPopup)
    }).addTo(map);
    if (options.control) {
      options.control.addOverlay(state.zones, 'Zones in force at the slider time');
      options.control.addOverlay(state.tracks, 'Incident tracks');
      options.control.addOverlay(state.markers, 'Incidents');
    }
    M.legend(map, { live: false });
    M.statusStrip({ interval: 15000 });
    formFromUrl();
    var given = new URLSearchParams(window.location.search);
    $('filters').addEventListener('submit', function (e) { e.preventDefault(); load(true); });
    $('f-export').addEventListener('click', function () { window.location.href = '/api/incidents.csv?' + filterParams().toString(); });
    $('f-kml').addEventListener('click', function () { window.location.href = '/api/incidents.kml?' + filterParams().toString(); });
    $('time-slider').addEventListener('input', onSlide);
    $('time-play').addEventListener('click', play);
    $('time-all').addEventListener('click', function () { showAll(); loadZones(); });
    if (given.get('since') || given.get('until')) { load(true); return; }
    openOnData().then(function () { load(true); });
  };

  /** No range in the address: open on the stored incidents' first..last time (not the last
   * 24 h of wall time, which may hold nothing); the server's default stays when none are stored. */
  function openOnData() {
    return getJson('/api/history/extent').then(function (e) {
      var first = Date.parse((e.incidents || {}).first), last = Date.parse((e.incidents || {}).last);
      if (!isFinite(first) || !isFinite(last)) { return; }
      $('f-since').value = localOf(new Date(Math.floor(first / 60000) * 60000).toISOString());
      $('f-until').value = localOf(new Date(Math.ceil((last + 1) / 60000) * 60000).toISOString());
    }).catch(function (e) { console.warn('extent: ' + e.message); });
  }
})();
