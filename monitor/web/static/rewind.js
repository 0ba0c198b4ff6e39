/*
 * MonitorRewind: a time control on the live map. Shows the picture at a chosen past time
 * from /api/snapshot (aircraft and vessels at their latest stored position within the
 * lookback window, zones in force, incidents active), steps it, plays it, and keeps the
 * time in the URL (?at=2026-01-03T06:00Z) so a link opens the same view for a colleague.
 *
 * How it meets the live map (monitor-map.js), without changing it: it reads only what
 * MonitorMap.initLive publishes, MonitorMap.map (the Leaflet map) and MonitorMap.layers
 * (name -> Leaflet.Realtime layer), and MonitorMap's style, marker and popup functions.
 * Rewinding stops each live layer (Realtime.stop()) and takes it off the map, then draws
 * the snapshot in its own layer group; "Back to live" removes that group, puts the live
 * layers back and starts them. The base map layers ("basemap", "labels") stay.
 *
 * Public: MonitorRewind.show(isoTime) rewinds to a time; MonitorRewind.live() returns;
 * MonitorRewind.state holds {active, at (ms), counts, loading}.
 */
(function () {
  'use strict';

  var R = (window.MonitorRewind = {});
  var KEEP = { basemap: true, labels: true };  // live layers left alone while rewound
  var STEPS = [[-3600, '−1 h'], [-600, '−10 min'], [-60, '−1 min'], [60, '+1 min'], [600, '+10 min'], [3600, '+1 h']];
  var PLAY_MS = 1000;
  var state = R.state = { active: false, at: null, counts: null, loading: false, token: 0, playing: null, paused: [] };
  var M = null, map = null, ui = {}, group = null, layers = {};

  // ---- time --------------------------------------------------------------------------------

  function minuteIso(ms) { return new Date(ms).toISOString().slice(0, 16) + 'Z'; }
  function localValue(ms) { return new Date(ms).toISOString().slice(0, 16); }
  function parseAt(text) {
    if (!text) { return null; }
    var t = String(text).trim();
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(t)) { t += 'Z'; }  // no offset: UTC
    var ms = Date.parse(t);
    return isFinite(ms) ? ms : null;
  }
  R.parseAt = parseAt;

  function setUrl() {
    var p = new URLSearchParams(window.location.search);
    p.delete('at');
    var qs = p.toString();
    // written by hand, not by URLSearchParams (which would escape the colon): a link reads
    // ?at=2026-01-03T06:00Z
    if (state.active && state.at !== null) { qs = (qs ? qs + '&' : '') + 'at=' + minuteIso(state.at); }
    window.history.replaceState(null, '', window.location.pathname + (qs ? '?' + qs : '') + window.location.hash);
  }

  // ---- the live layers: pause and resume -----------------------------------------------------

  function pauseLive() {
    state.paused = [];
    var live = M.layers || {};
    Object.keys(live).forEach(function (name) {
      if (KEEP[name]) { return; }
      var rt = live[name];
      if (rt.stop && rt.isRunning && rt.isRunning()) { rt.stop(); }
      if (map.hasLayer(rt)) { state.paused.push(name); map.removeLayer(rt); }
    });
  }

  function resumeLive() {
    var live = M.layers || {};
    state.paused.forEach(function (name) {
      var rt = live[name];
      if (!rt) { return; }
      map.addLayer(rt);
      if (rt.start && rt.isRunning && !rt.isRunning()) { rt.start(); }
    });
    state.paused = [];
  }

  // ---- the snapshot layers ------------------------------------------------------------------

  function makeLayers() {
    var svg = M.renderer('incidents');
    layers.zones = L.geoJson(null, { style: M.zoneStyle, onEachFeature: M.popup(M.zonePopup) });
    layers.track = L.geoJson(null, { style: function () { return { color: '#0f172a', weight: 2.5, opacity: 0.85, dashArray: '5 4' }; } });
    layers.vessels = L.geoJson(null, {
      pointToLayer: M.vesselMarker, style: M.vesselStyle, onEachFeature: withTrack(M.vesselPopup)
    });
    layers.aircraft = L.geoJson(null, {
      pointToLayer: M.aircraftMarker, style: M.aircraftStyle, onEachFeature: withTrack(M.aircraftPopup)
    });
    layers.incidents = L.geoJson(null, {
      pointToLayer: M.incidentMarker, style: M.incidentStyle, renderer: svg, pane: 'incidents',
      onEachFeature: M.popup(M.incidentPopup)
    });
    group = L.layerGroup([layers.zones, layers.track, layers.vessels, layers.aircraft, layers.incidents]);
  }

  /** A popup for a rewound aircraft or vessel that also draws its stored track of the hour before. */
  function withTrack(render) {
    return function (feature, layer) {
      layer.bindPopup(function (l) {
        return render(l.feature) + '<div class="popup-link"><a href="#" class="rewind-track-link" data-subject="' +
          M.esc(l.feature.id) + '">Stored track, the hour before →</a></div>';
      }, { maxWidth: 380, className: 'monitor-popup' });
    };
  }

  function showTrack(subject) {
    if (state.at === null) { return; }
    var q = new URLSearchParams({ subject: subject, since: new Date(state.at - 3600e3).toISOString(), until: new Date(state.at).toISOString() });
    fetch('/api/positions?' + q.toString(), { cache: 'no-store' })
      .then(function (r) { if (!r.ok) { throw new Error('/api/positions: HTTP ' + r.status); } return r.json(); })
      .then(function (f) { layers.track.clearLayers(); if (f.geometry) { layers.track.addData(f); } })
      .catch(function (e) { status('track unavailable: ' + e.message); });
  }

  function viewBbox() {
    var b = map.getBounds().pad(0.15);
    var w = Math.max(-180, b.getWest()), s = Math.max(-90, b.getSouth());
    var e = Math.min(180, b.getEast()), n = Math.min(90, b.getNorth());
    if (b.getEast() - b.getWest() >= 360) { w = -180; e = 180; }
    return [w, s, e, n].map(function (v) { return v.toFixed(2); }).join(',');
  }

  function status(text) { if (ui.status) { ui.status.textContent = text; } }

  function load() {
    if (!state.active || state.at === null) { return Promise.resolve(); }
    var token = ++state.token, at = state.at;
    state.loading = true;
    L.DomUtil.addClass(ui.box, 'rewind-loading');
    var q = 'at=' + encodeURIComponent(minuteIso(at)) + '&bbox=' + viewBbox();
    return fetch('/api/snapshot?' + q, { cache: 'no-store' })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) { throw new Error(body.message || ('/api/snapshot: HTTP ' + r.status)); }
          return body;
        });
      })
      .then(function (doc) {
        if (token !== state.token) { return; }
        ['zones', 'vessels', 'aircraft', 'incidents'].forEach(function (k) {
          layers[k].clearLayers();
          layers[k].addData(doc[k].features);
        });
        layers.zones.eachLayer(function (l) { if (l.bringToBack) { l.bringToBack(); } });
        state.counts = {
          aircraft: doc.aircraft.features.length, vessels: doc.vessels.features.length,
          incidents: doc.incidents.features.length, zones: doc.zones.features.length
        };
        status(state.counts.aircraft + ' aircraft · ' + state.counts.vessels + ' vessels · ' +
          state.counts.incidents + ' incidents active · ' + state.counts.zones + ' zones in force' +
          ' (positions stored in the ' + Math.round(doc.lookback_s.aircraft / 60) + ' min before for aircraft, ' +
          Math.round(doc.lookback_s.vessels / 60) + ' min for vessels)');
        var counts = document.getElementById('status-counts');
        if (counts) { counts.textContent = 'rewound to ' + minuteIso(at) + ': ' + state.counts.aircraft + ' aircraft · ' + state.counts.vessels + ' vessels · ' + state.counts.incidents + ' incidents'; }
      })
      .catch(function (e) { if (token === state.token) { status('error: ' + e.message); } })
      .then(function () {
        if (token === state.token) { state.loading = false; L.DomUtil.removeClass(ui.box, 'rewind-loading'); }
      });
  }

  // ---- modes ---------------------------------------------------------------------------------

  function show(at) {
    var ms = typeof at === 'number' ? at : parseAt(at);
    if (ms === null) { status('not a time: ' + at); return Promise.resolve(); }
    ms = Math.floor(ms / 60000) * 60000;
    if (!state.active) {
      state.active = true;
      pauseLive();
      layers.track.clearLayers();
      group.addTo(map);
      L.DomUtil.addClass(ui.box, 'rewind-active');
      L.DomUtil.addClass(document.body, 'rewound');
    }
    state.at = ms;
    ui.time.value = localValue(ms);
    ui.label.textContent = minuteIso(ms).replace('T', ' ');
    setUrl();
    return load();
  }

  function live() {
    stop();
    if (!state.active) { return; }
    state.active = false;
    state.token++;
    map.removeLayer(group);
    resumeLive();
    state.at = null;
    state.counts = null;
    L.DomUtil.removeClass(ui.box, 'rewind-active');
    L.DomUtil.removeClass(document.body, 'rewound');
    ui.label.textContent = 'live';
    status('');
    setUrl();
  }

  function step(seconds) { if (state.at !== null) { show(state.at + seconds * 1000); } }

  function stop() {
    if (state.playing) { clearInterval(state.playing); state.playing = null; }
    if (ui.play) { ui.play.textContent = '▶ play'; ui.play.setAttribute('aria-pressed', 'false'); }
  }

  function play() {
    if (state.playing) { stop(); return; }
    if (!state.active) { return; }
    ui.play.textContent = '❚❚ pause';
    ui.play.setAttribute('aria-pressed', 'true');
    state.playing = setInterval(function () {
      if (state.loading) { return; }  // never queue requests behind a slow answer
      step(Number(ui.speed.value));
    }, PLAY_MS);
  }

  function defaultTime() {
    return fetch('/api/history/extent', { cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (e) {
        var t = parseAt((e.positions || {}).last) || parseAt(e.clock) || parseAt((e.incidents || {}).last);
        return t === null ? Date.now() : t;
      })
      .catch(function () { return Date.now(); });
  }

  function copyLink() {
    var url = window.location.href;
    var done = function () { status('link copied: ' + url); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(done, function () { status('link: ' + url); });
    } else {
      status('link: ' + url);
    }
  }

  // ---- the control ---------------------------------------------------------------------------

  function button(parent, text, title, onClick, cls) {
    var b = L.DomUtil.create('button', cls || '', parent);
    b.type = 'button';
    b.textContent = text;
    if (title) { b.title = title; b.setAttribute('aria-label', title); }
    L.DomEvent.on(b, 'click', function (e) { L.DomEvent.preventDefault(e); onClick(); });
    return b;
  }

  function buildControl() {
    var ctl = L.control({ position: 'bottomright' });
    ctl.onAdd = function () {
      var box = ui.box = L.DomUtil.create('div', 'rewind-control');
      box.id = 'rewind';
      var head = L.DomUtil.create('div', 'rewind-head', box);
      ui.toggle = button(head, '⟲ Rewind', 'Show the map at a past time', function () {
        if (state.active) { live(); return; }
        defaultTime().then(function (t) { show(t); });
      }, 'rewind-toggle');
      ui.label = L.DomUtil.create('span', 'rewind-label', head);
      ui.label.id = 'rewind-label';
      ui.label.textContent = 'live';
      var body = L.DomUtil.create('div', 'rewind-body', box);
      var row1 = L.DomUtil.create('div', 'rewind-row', body);
      var lab = L.DomUtil.create('label', '', row1);
      lab.htmlFor = 'rewind-time';
      lab.textContent = 'UTC';
      ui.time = L.DomUtil.create('input', '', row1);
      ui.time.type = 'datetime-local';
      ui.time.id = 'rewind-time';
      ui.time.step = 60;
      L.DomEvent.on(ui.time, 'change', function () { var t = parseAt(ui.time.value); if (t !== null) { stop(); show(t); } });
      ui.play = button(row1, '▶ play', 'Play forward', play, 'rewind-play');
      ui.speed = L.DomUtil.create('select', '', row1);
      ui.speed.id = 'rewind-speed';
      ui.speed.title = 'Data time per second of play';
      [[60, '1 min/s'], [300, '5 min/s'], [900, '15 min/s'], [3600, '1 h/s']].forEach(function (o) {
        var opt = L.DomUtil.create('option', '', ui.speed);
        opt.value = o[0];
        opt.textContent = o[1];
      });
      var row2 = L.DomUtil.create('div', 'rewind-row rewind-steps', body);
      STEPS.forEach(function (s) { button(row2, s[1], 'Step ' + s[1], function () { stop(); step(s[0]); }); });
      var row3 = L.DomUtil.create('div', 'rewind-row', body);
      button(row3, 'Back to live', 'Return to the live map', live, 'rewind-live');
      button(row3, 'Copy link', 'Copy a link to this view', copyLink, 'rewind-copy');
      ui.status = L.DomUtil.create('div', 'rewind-status', body);
      ui.status.id = 'rewind-status';
      ui.status.setAttribute('role', 'status');
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    ctl.addTo(map);
  }

  R._layers = layers;  // the snapshot's layers (zones, track, vessels, aircraft, incidents)
  R.show = function (at) { return show(at); };
  R.live = live;
  R.step = step;

  R.init = function () {
    M = window.MonitorMap;
    map = M && M.map;
    if (!map) { return false; }
    makeLayers();
    buildControl();
    var timer = null;
    map.on('moveend', function () {
      if (!state.active) { return; }
      clearTimeout(timer);
      timer = setTimeout(load, 250);
    });
    document.addEventListener('click', function (e) {
      var a = e.target && e.target.closest ? e.target.closest('a.rewind-track-link') : null;
      if (a) { e.preventDefault(); showTrack(a.getAttribute('data-subject')); }
    });
    var at = parseAt(new URLSearchParams(window.location.search).get('at'));
    if (at !== null) { show(at); }
    return true;
  };

  // the live page's inline script runs MonitorMap.initLive before DOMContentLoaded
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { R.init(); });
  } else {
    R.init();
  }
})();
