/*
 * MonitorMap: how the monitor's maps draw, label and refresh things (needs Leaflet 1.9).
 *
 * Used by the live map, the incident and history pages and the static export. Colours come
 * from the server (MonitorMap.configure, generated from monitor/web/styles.py) so the Python
 * and browser sides agree. Aircraft and vessels are drawn on a canvas as shapes rotated by
 * their track (thousands stay fluid); incidents are SVG paths above them (class
 * "incident-marker") so they stay crisp and clickable.
 */
(function () {
  'use strict';

  var M = (window.MonitorMap = window.MonitorMap || {});
  var C = (M.config = {
    severity: {}, zoneKinds: {}, zoneStatusWeight: {}, aircraft: {}, vessels: {},
    gnss: '#7c3aed', track: '#111827'
  });
  M.options = { incidentLinks: true };
  M.layers = {};
  M._renderers = {};

  M.configure = function (cfg, options) {
    var k;
    for (k in cfg) { if (Object.prototype.hasOwnProperty.call(cfg, k)) { C[k] = cfg[k]; } }
    for (k in options || {}) { if (Object.prototype.hasOwnProperty.call(options, k)) { M.options[k] = options[k]; } }
  };

  // ---- formatting ---------------------------------------------------------------------------

  function esc(value) {
    if (value === null || value === undefined) { return ''; }
    return String(value).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function num(value, digits, unit) {
    if (value === null || value === undefined || value === '') { return ''; }
    var n = Number(value);
    if (!isFinite(n)) { return esc(value); }
    return n.toLocaleString('en-US', { maximumFractionDigits: digits || 0 }) + (unit ? ' ' + unit : '');
  }
  function when(iso) {
    if (!iso) { return ''; }
    return esc(String(iso).replace('T', ' ').replace(/\.\d+/, '').replace('Z', ' UTC'));
  }
  function label(text) { return esc(String(text || '').replace(/_/g, ' ')); }
  function row(name, html) {
    if (html === null || html === undefined || html === '') { return ''; }
    return '<tr><th>' + esc(name) + '</th><td>' + html + '</td></tr>';
  }
  function card(title, badge, rows, footer) {
    return '<div class="popup-card"><div class="popup-title">' + title + (badge || '') + '</div>' +
      '<table class="popup-table">' + rows.join('') + '</table>' + (footer || '') + '</div>';
  }
  function sevBadge(sev) {
    var colour = C.severity[sev] || '#6b7280';
    return ' <span class="badge" style="background:' + esc(colour) + '">' + esc(sev) + '</span>';
  }
  M.esc = esc; M.num = num; M.when = when; M.label = label;

  // ---- a canvas marker rotated by its track -----------------------------------------------

  var PLANE = [[0, -1.6], [1.15, 1.1], [0, 0.45], [-1.15, 1.1]];
  var BOAT = [[0, -1.5], [0.75, -0.35], [0.75, 1.2], [-0.75, 1.2], [-0.75, -0.35]];

  L.TrackMarker = L.CircleMarker.extend({
    initialize: function (latlng, options) {
      L.CircleMarker.prototype.initialize.call(this, latlng, options);
      this._rotationDeg = (options && options.rotation) || 0;
      this._shape = (options && options.shape) || 'plane';
    },
    setRotation: function (deg, shape) {
      deg = deg || 0;
      if (deg !== this._rotationDeg || (shape && shape !== this._shape)) {
        this._rotationDeg = deg;
        if (shape) { this._shape = shape; }
        this.redraw();
      }
      return this;
    },
    _updateBounds: function () {
      var r = this._radius * 1.7, w = this._clickTolerance(), p = [r + w, r + w];
      this._pxBounds = new L.Bounds(this._point.subtract(p), this._point.add(p));
    },
    _updatePath: function () {
      if (this._renderer._updateTrackMarker) { this._renderer._updateTrackMarker(this); }
      else { this._renderer._updateCircle(this); }
    }
  });

  var CHUNK = 64;  // shapes per fill: long paths get slow to build in Skia

  function traceShape(ctx, layer) {
    var p = layer._point, r = Math.max(layer._radius, 2);
    if (layer._shape === 'dot') {
      ctx.moveTo(p.x + r * 0.8, p.y);
      ctx.arc(p.x, p.y, r * 0.8, 0, Math.PI * 2, false);
      return;
    }
    var pts = layer._shape === 'boat' ? BOAT : PLANE;
    var a = (layer._rotationDeg || 0) * Math.PI / 180, cos = Math.cos(a), sin = Math.sin(a);
    for (var i = 0; i < pts.length; i++) {
      var x = pts[i][0] * r, y = pts[i][1] * r;
      var px = x * cos - y * sin + p.x, py = x * sin + y * cos + p.y;
      if (i === 0) { ctx.moveTo(px, py); } else { ctx.lineTo(px, py); }
    }
    ctx.closePath();
  }

  /*
   * Canvas drawing with batches: track markers that look alike are filled as ONE path, so
   * 25,000 objects cost a few dozen fills instead of 25,000 (Leaflet fills each path on its
   * own). Other paths (zones, tracks) draw first, in Leaflet's order; markers go on top,
   * emergencies last. Hit-testing is Leaflet's own, per marker.
   */
  L.Canvas.include({
    _updateTrackMarker: function (layer) {
      if (!this._drawing || layer._empty()) { return; }
      var o = layer.options, batches = this._trackBatches;
      if (!batches) { this._ctx.beginPath(); traceShape(this._ctx, layer); this._fillStroke(this._ctx, layer); return; }
      var key = (o.priority || 0) + '|' + o.fillColor + '|' + o.fillOpacity + '|' + o.color + '|' + o.weight + '|' + o.opacity + '|' + o.stroke + '|' + o.fill;
      var b = batches[key];
      if (!b) { b = batches[key] = { layer: layer, priority: o.priority || 0, items: [] }; }
      b.items.push(layer);
    },
    _draw: function () {
      var layer, bounds = this._redrawBounds, ctx = this._ctx;
      ctx.save();
      if (bounds) {
        var size = bounds.getSize();
        ctx.beginPath();
        ctx.rect(bounds.min.x, bounds.min.y, size.x, size.y);
        ctx.clip();
      }
      this._drawing = true;
      this._trackBatches = {};
      for (var order = this._drawFirst; order; order = order.next) {
        layer = order.layer;
        if (!bounds || (layer._pxBounds && layer._pxBounds.intersects(bounds))) {
          layer._updatePath();
        }
      }
      var batches = this._trackBatches, keys = Object.keys(batches);
      keys.sort(function (a, b) { return batches[a].priority - batches[b].priority; });
      for (var k = 0; k < keys.length; k++) {
        var batch = batches[keys[k]], items = batch.items;
        for (var start = 0; start < items.length; start += CHUNK) {
          ctx.beginPath();
          var end = Math.min(items.length, start + CHUNK);
          for (var i = start; i < end; i++) { traceShape(ctx, items[i]); }
          this._fillStroke(ctx, batch.layer);
        }
      }
      this._trackBatches = null;
      this._drawing = false;
      ctx.restore();
    }
  });

  M.renderer = function (pane) {
    if (!M._renderers[pane]) { M._renderers[pane] = L.svg({ pane: pane }); }
    return M._renderers[pane];
  };

  // ---- aircraft -------------------------------------------------------------------------------

  M.aircraftStyle = function (f) {
    var p = f.properties, s = C.aircraft[p.style] || C.aircraft.normal || { color: '#1d4ed8' };
    var emergency = p.style === 'emergency', military = p.style === 'military';
    return {
      radius: emergency ? 7 : (military ? 6 : 5),
      color: emergency ? '#fde047' : (military ? '#111827' : '#ffffff'),
      weight: emergency ? 2 : 0.8,
      opacity: 0.95,
      priority: emergency ? 3 : (military ? 2 : 1),
      fillRule: 'nonzero',
      fillColor: s.color,
      fillOpacity: 0.95
    };
  };
  M.aircraftMarker = function (f, latlng) {
    var o = M.aircraftStyle(f);
    o.rotation = f.properties.track_deg || 0;
    o.shape = 'plane';
    return new L.TrackMarker(latlng, o);
  };
  M.aircraftPopup = function (f) {
    var p = f.properties;
    var alt = p.on_ground ? 'on ground' : num(p.altitude_ft, 0, 'ft');
    var title = esc(p.callsign || p.registration || p.id);
    var badge = p.style === 'emergency' ? ' <span class="badge" style="background:#dc2626">emergency</span>'
      : (p.style === 'military' ? ' <span class="badge" style="background:#4d5d23">military</span>' : '');
    return card(title, badge, [
      row('ICAO hex', '<code>' + esc(p.id) + '</code>'),
      row('Call sign', esc(p.callsign)),
      row('Altitude', alt),
      row('Ground speed', num(p.ground_speed_kt, 0, 'kt')),
      row('Track', num(p.track_deg, 0, '°')),
      row('Vertical rate', num(p.vertical_rate_fpm, 0, 'ft/min')),
      row('Squawk', esc(p.squawk)),
      row('Emergency', esc(p.emergency)),
      row('Type', esc(p.aircraft_type)),
      row('Registration', esc(p.registration)),
      row('Source', esc(p.source)),
      row('Last fix', when(p.time))
    ]);
  };

  // ---- vessels --------------------------------------------------------------------------------

  function vesselShape(p) {
    return (p.ground_speed_kt || 0) >= 0.5 && p.track_deg !== undefined ? 'boat' : 'dot';
  }
  M.vesselStyle = function (f) {
    var c = C.vessels[f.properties.category] || C.vessels.other || { color: '#64748b' };
    return { radius: 4, color: '#ffffff', weight: 0.6, opacity: 0.9, fillColor: c.color, fillOpacity: 0.9, priority: 0, fillRule: 'nonzero' };
  };
  M.vesselMarker = function (f, latlng) {
    var o = M.vesselStyle(f), p = f.properties;
    o.rotation = p.track_deg || p.heading_deg || 0;
    o.shape = vesselShape(p);
    return new L.TrackMarker(latlng, o);
  };
  M.vesselPopup = function (f) {
    var p = f.properties, cat = C.vessels[p.category] || {};
    return card(esc(p.name || p.callsign || ('MMSI ' + p.id)), '', [
      row('MMSI', '<code>' + esc(p.id) + '</code>'),
      row('Name', esc(p.name)),
      row('Call sign', esc(p.callsign)),
      row('Type', esc(cat.label || p.category) + (p.vessel_type !== undefined ? ' (' + esc(p.vessel_type) + ')' : '')),
      row('Speed', num(p.ground_speed_kt, 1, 'kt')),
      row('Course', num(p.track_deg, 0, '°')),
      row('Heading', num(p.heading_deg, 0, '°')),
      row('Nav status', p.nav_status === undefined ? '' : esc((C.navStatus || {})[p.nav_status] || p.nav_status)),
      row('Source', esc(p.source)),
      row('Last fix', when(p.time))
    ]);
  };

  /** Realtime updateFeature for points: move, re-rotate, keep the same layer. */
  M.updatePoint = function (f, old) {
    if (!old || !f.geometry || f.geometry.type !== 'Point') { return undefined; }
    old.setLatLng(L.GeoJSON.coordsToLatLng(f.geometry.coordinates));
    if (old.setRotation) {
      var p = f.properties;
      old.setRotation(p.track_deg || p.heading_deg || 0, p.category ? vesselShape(p) : undefined);
    }
    old.feature = f;
    return old;
  };

  // ---- incidents ------------------------------------------------------------------------------

  M.incidentStyle = function (f) {
    var colour = C.severity[f.properties.severity] || '#6b7280';
    var line = f.geometry && /LineString/.test(f.geometry.type);
    return line
      ? { color: colour, weight: 3, opacity: 0.85, dashArray: null }
      : { radius: 8, color: '#ffffff', weight: 2, opacity: 1, fillColor: colour, fillOpacity: 0.95 };
  };
  M.incidentMarker = function (f, latlng) {
    var p = f.properties, o = M.incidentStyle(f);
    o.renderer = M.renderer('incidents');
    o.pane = 'incidents';
    o.className = 'incident-marker sev-' + p.severity + ' kind-' + p.kind;
    return L.circleMarker(latlng, o);
  };
  M.incidentPopup = function (f) {
    var p = f.properties, details = p.details || {}, rows = [], k;
    var subject = esc(p.subject_label || p.subject_id || '');
    if (p.subject_id && p.subject_label && p.subject_label !== p.subject_id) {
      subject += ' <code>' + esc(p.subject_id) + '</code>';
    }
    if (p.subject_kind) { subject += ' <span class="muted">' + esc(p.subject_kind) + '</span>'; }
    rows.push(row('Subject', subject));
    rows.push(row('Zone', p.zone_id ? esc(p.zone_id) + (p.zone_version ? ' v' + esc(p.zone_version) : '') : ''));
    rows.push(row('Status', esc(p.status)));
    rows.push(row('Started', when(p.started_at)));
    rows.push(row('Last seen', when(p.last_seen_at)));
    rows.push(row('Ended', when(p.ended_at)));
    rows.push(row('Summary', esc(p.summary)));
    for (k in details) {
      if (!Object.prototype.hasOwnProperty.call(details, k)) { continue; }
      var v = details[k];
      var text = typeof v === 'object' ? JSON.stringify(v) : String(v);
      rows.push(row(label(k), esc(text.length > 120 ? text.slice(0, 117) + '…' : text)));
    }
    var link = M.options.incidentLinks && p.id !== undefined
      ? '<div class="popup-link"><a href="/incidents/' + encodeURIComponent(p.id) + '">Open incident #' + esc(p.id) + ' →</a></div>'
      : '';
    return card(label(p.kind), sevBadge(p.severity), rows, link);
  };

  M.gnssStyle = function (f) {
    return { color: C.gnss, weight: 1.5, opacity: 0.9, fillColor: C.gnss, fillOpacity: 0.22, dashArray: '4 3' };
  };

  M.trackStyle = function (f) {
    var colour = C.severity[f.properties.severity] || C.track;
    return { color: colour, weight: 2, opacity: 0.75, dashArray: '6 4' };
  };
  M.trackPopup = function (f) {
    var p = f.properties, links = (p.incident_ids || []).map(function (id) {
      return '<a href="/incidents/' + encodeURIComponent(id) + '">#' + esc(id) + '</a>';
    });
    return card(esc(p.label || p.id), sevBadge(p.severity), [
      row('Subject', '<code>' + esc(p.id) + '</code> ' + esc(p.subject_kind)),
      row('Open incidents', esc((p.kinds || []).join(', '))),
      row('Incident pages', M.options.incidentLinks ? links.join(' ') : ''),
      row('Points', num((f.geometry && f.geometry.coordinates || []).length))
    ]);
  };

  // ---- zones and base map ---------------------------------------------------------------------

  M.zoneStyle = function (f) {
    var p = f.properties, k = C.zoneKinds[p.kind] || C.zoneKinds.watch_area || { color: '#0f766e', fill: 0.06 };
    var w = C.zoneStatusWeight[p.status] || 1;
    return {
      color: k.color, weight: Math.round(w * 10) / 10, opacity: 0.9, dashArray: k.dash || null,
      fillColor: k.color, fillOpacity: k.fill * Math.min(w, 2) / 2 + k.fill / 2
    };
  };
  function altitude(ft, unlimited) {
    if (ft === null || ft === undefined) { return unlimited ? 'UNL' : ''; }
    return Number(ft) === 0 ? 'SFC' : num(ft, 0, 'ft');
  }
  M.zonePopup = function (f) {
    var p = f.properties;
    var source = esc(p.source_ref);
    if (p.source_url && /^https?:\/\//.test(p.source_url)) {
      source = '<a href="' + esc(p.source_url) + '" target="_blank" rel="noopener noreferrer">' + source + '</a>';
    }
    return card(esc(p.name), ' <span class="badge" style="background:' +
      esc((C.zoneKinds[p.kind] || {}).color || '#555') + '">' + label(p.status) + '</span>', [
      row('Zone', '<code>' + esc(p.zone_id) + '</code> v' + esc(p.version)),
      row('Kind', label(p.kind)),
      row('Severity', esc(p.severity)),
      row('Authority', esc(p.authority)),
      row('Source', source),
      row('Valid', when(p.valid_from || '') + ' → ' + (p.valid_to ? when(p.valid_to) : 'until further notice')),
      row('In force', p.effective_from || p.effective_to ? when(p.effective_from) + ' → ' + when(p.effective_to) : ''),
      row('Altitudes', altitude(p.floor_ft, false) + ' – ' + altitude(p.ceiling_ft, true)),
      row('Applies to', esc(p.applies_to)),
      row('Confidence', num(p.confidence, 2)),
      row('Change', esc(p.change)),
      row('Notes', esc(p.description))
    ]);
  };
  /*
   * The offline base map: opaque land (every country of the region, Natural Earth 1:10m)
   * outlined by its coasts and borders, on the map's sea-blue background, in the "basemap"
   * pane under everything else. Zones are drawn above it, so an island cut out of a zone
   * shows as land.
   */
  M.basemapStyle = function (f) {
    if (f.properties.layer === 'graticule') {
      return { color: '#94a3b8', weight: 0.6, opacity: 0.6, interactive: false };
    }
    if (f.properties.layer === 'outside') {  // beyond the drawn region: no land data there
      return { color: '#94a3b8', weight: 1, opacity: 0.8, fillColor: '#e5e7eb', fillOpacity: 0.7, interactive: false };
    }
    return { color: '#8f877c', weight: 0.8, opacity: 0.9, fillColor: '#f4efe2', fillOpacity: 1, interactive: false };
  };

  /** Hide place names below their zoom: the map container gets "bm-below-N" while zoom < N. */
  M.watchLabelZoom = function (map) {
    if (!map || map._monitorLabelZoom) { return; }
    map._monitorLabelZoom = true;
    function apply() {
      var z = map.getZoom(), el = map.getContainer();
      for (var n = 4; n <= 10; n++) {  // minzoom 4..10 (basemap_build.MAX_LABEL_ZOOM)
        if (z < n) { L.DomUtil.addClass(el, 'bm-below-' + n); } else { L.DomUtil.removeClass(el, 'bm-below-' + n); }
      }
    }
    map.on('zoomend', apply);
    apply();
  };

  /**
   * pointToLayer of the place-name layer (/static/basemap/labels.geojson): a text marker in
   * the "basemapLabels" pane (over the land, under zones and traffic, never clickable).
   * Kinds: country (centred), capital (a dot and its name), airport (a square and its codes).
   */
  M.basemapLabel = function (f, latlng) {
    var p = f.properties || {}, kind = /^(country|capital|airport)$/.test(p.kind) ? p.kind : 'place';
    var html = kind === 'country'
      ? '<span class="bm-text">' + esc(p.text) + '</span>'
      : '<i class="bm-symbol"></i><span class="bm-text">' + esc(p.text) + '</span>';
    var marker = L.marker(latlng, {
      icon: L.divIcon({
        className: 'bm-label bm-' + kind + ' bm-min-' + (Number(p.minzoom) || 0) + (p.placement === 'below' ? ' bm-under' : ''),
        html: html, iconSize: [0, 0]
      }),
      pane: 'basemapLabels', interactive: false, keyboard: false
    });
    marker.on('add', function () { M.watchLabelZoom(marker._map); });
    return marker;
  };

  /** onEachFeature that binds a lazily built popup. */
  M.popup = function (render) {
    return function (feature, layer) {
      layer.bindPopup(function (l) { return render(l.feature); }, { maxWidth: 380, className: 'monitor-popup' });
    };
  };

  // ---- live polling ---------------------------------------------------------------------------

  function viewBbox(map) {
    var b = map.getBounds().pad(0.15);
    var w = Math.max(-180, b.getWest()), s = Math.max(-90, b.getSouth());
    var e = Math.min(180, b.getEast()), n = Math.min(90, b.getNorth());
    if (b.getEast() - b.getWest() >= 360) { w = -180; e = 180; }
    return [w, s, e, n].map(function (v) { return v.toFixed(2); }).join(',');
  }

  /**
   * A Leaflet.Realtime source polling a live endpoint with the map's view as bbox and, while
   * the view is unchanged, only what changed since the last version (called with
   * this = the Realtime layer).
   */
  M.liveSource = function (url) {
    return function (success, error) {
      var rt = this, map = rt._map, st = rt._monitor || (rt._monitor = { version: null, bbox: null, token: 0 });
      if (!map) { success({ type: 'FeatureCollection', features: [] }); return; }
      var bbox = viewBbox(map), params = 'bbox=' + bbox;
      if (st.version !== null && st.bbox === bbox) { params += '&since_version=' + st.version; }
      var token = ++st.token;
      fetch(url + '?' + params, { cache: 'no-store' })
        .then(function (r) {
          if (!r.ok) { throw new Error(url + ': HTTP ' + r.status); }
          return r.json();
        })
        .then(function (data) {
          if (token !== st.token) { return; }
          var gone = [], id;
          if (data.full) {
            var keep = {};
            data.features.forEach(function (f) { keep[f.id] = true; });
            for (id in rt._features) { if (!keep[id]) { gone.push(rt._features[id]); } }
          } else {
            (data.removed || []).forEach(function (rid) { if (rt._features[rid]) { gone.push(rt._features[rid]); } });
          }
          if (gone.length) { rt.remove(gone); }
          st.version = data.version;
          st.bbox = bbox;
          st.total = data.total;
          success(data);
        })
        .catch(error);
    };
  };

  function count(rt) {
    var n = 0, k;
    for (k in rt._features) { if (Object.prototype.hasOwnProperty.call(rt._features, k)) { n++; } }
    return n;
  }

  /** Bring the area layers under the points on the shared canvas: zones, GNSS, tracks. */
  M.restack = function () {
    ['tracks', 'gnss', 'zones'].forEach(function (name) {
      var rt = M.layers[name];
      if (!rt || !rt._container) { return; }
      rt._container.eachLayer(function (l) { if (l._map && l.bringToBack) { l.bringToBack(); } });
    });
  };

  // ---- page furniture -------------------------------------------------------------------------

  M.legend = function (map, options) {
    options = options || {};
    var ctl = L.control({ position: options.position || 'bottomleft' });
    ctl.onAdd = function () {
      var div = L.DomUtil.create('div', 'map-legend');
      var html = ['<details open><summary>Legend</summary>'];
      function swatch(colour, text, shape) {
        return '<div class="legend-row"><span class="sw sw-' + (shape || 'dot') + '" style="background:' +
          esc(colour) + '"></span>' + esc(text) + '</div>';
      }
      var k;
      if (options.live !== false) {
        html.push('<div class="legend-head">Aircraft</div>');
        for (k in C.aircraft) { html.push(swatch(C.aircraft[k].color, C.aircraft[k].label, 'plane')); }
        html.push('<div class="legend-head">Vessels</div>');
        for (k in C.vessels) { html.push(swatch(C.vessels[k].color, C.vessels[k].label, 'boat')); }
      }
      html.push('<div class="legend-head">Incidents</div>');
      for (k in C.severity) { html.push(swatch(C.severity[k], k)); }
      html.push(swatch(C.gnss, 'GNSS interference', 'area'));
      html.push('<div class="legend-head">Zones</div>');
      for (k in C.zoneKinds) {
        if (k !== 'land') { html.push(swatch(C.zoneKinds[k].color, C.zoneKinds[k].label, 'area')); }
      }
      html.push('</details>');
      div.innerHTML = html.join('');
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    ctl.addTo(map);
    return ctl;
  };

  function age(seconds) {
    if (seconds === null || seconds === undefined) { return '—'; }
    if (seconds < 90) { return Math.round(seconds) + ' s'; }
    if (seconds < 5400) { return Math.round(seconds / 60) + ' min'; }
    return (seconds / 3600).toFixed(1) + ' h';
  }
  M.age = age;

  /** Poll /api/feeds and show each feed's health and the clock in #status-strip. */
  M.statusStrip = function (options) {
    var el = document.getElementById(options.element || 'status-feeds');
    var clock = document.getElementById(options.clock || 'status-clock');
    function render(data) {
      if (clock) { clock.textContent = data.clock ? 'data time ' + data.clock.replace('T', ' ').replace(/\.\d+/, '').replace('Z', 'Z') : 'clock: ' + data.now.replace('T', ' ').slice(0, 19) + 'Z (wall)'; }
      if (!el) { return; }
      if (!data.feeds.length) { el.innerHTML = '<span class="feed feed-none">no feeds reporting</span>'; return; }
      el.innerHTML = data.feeds.map(function (f) {
        var errors = 0, k;
        for (k in f.errors) { if (Object.prototype.hasOwnProperty.call(f.errors, k)) { errors += f.errors[k]; } }
        var state = f.status === 'ok' ? 'ok' : (f.status === 'failing' || f.status === 'down' ? 'bad' : 'warn');
        if (state === 'ok' && f.data_age_s !== null && f.data_age_s > 900) { state = 'warn'; }
        var title = f.source + ' (' + f.kind + '): ' + f.status + '\nlast poll ' + (f.last_poll_at || 'never') +
          '\nlast data ' + (f.last_data_at || '—') + '\npolls ' + f.polls + ', failures ' + f.failures +
          ', records ' + f.records + (f.last_error ? '\nlast error: ' + f.last_error : '');
        return '<span class="feed feed-' + state + '" title="' + esc(title) + '" data-feed="' + esc(f.source) + '">' +
          '<b>' + esc(f.source) + '</b> ' + esc(f.status) +
          ' · poll ' + age(f.poll_age_s) + ' ago · data ' + age(f.data_age_s) +
          ' · ' + errors + ' err</span>';
      }).join('');
    }
    function poll() {
      fetch(options.url || '/api/feeds', { cache: 'no-store' })
        .then(function (r) { if (!r.ok) { throw new Error('/api/feeds: HTTP ' + r.status); } return r.json(); })
        .then(render)
        .catch(function (e) { if (el) { el.innerHTML = '<span class="feed feed-bad">status unavailable: ' + esc(e.message) + '</span>'; } });
    }
    poll();
    return setInterval(poll, options.interval || 5000);
  };

  /** Wire the live page: counts, re-polling on pan/zoom, layer order. */
  M.initLive = function (map, options) {
    M.map = map;
    var layers = (M.layers = options.layers || {});
    var counts = document.getElementById('status-counts');
    function showCounts() {
      if (!counts) { return; }
      var parts = [];
      ['aircraft', 'vessels', 'incidents'].forEach(function (name) {
        if (layers[name] && map.hasLayer(layers[name])) {
          var n = count(layers[name]), st = layers[name]._monitor;
          parts.push(name + ' ' + n + (st && st.total !== undefined && st.total !== n ? ' in view / ' + st.total : ''));
        }
      });
      counts.textContent = parts.join(' · ');
    }
    Object.keys(layers).forEach(function (name) {
      layers[name].on('update', function () {
        if (name === 'zones' || name === 'gnss' || name === 'tracks') { M.restack(); }
        showCounts();
      });
      layers[name].on('error', function (e) { if (window.console) { console.warn(name + ': ' + (e.message || e.error)); } });
    });
    var timer = null;
    map.on('moveend', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        ['aircraft', 'vessels'].forEach(function (name) {
          if (layers[name] && map.hasLayer(layers[name])) { layers[name].update(); }
        });
      }, 250);
    });
    M.legend(map, { live: true });
    M.statusStrip({ url: options.feedsUrl || '/api/feeds', interval: options.statusInterval || 5000 });
  };
})();

(function () {
  'use strict';
  var M = window.MonitorMap;
  /* Evidence: the observations that raised an incident (incident page, static map). */
  M.evidenceMarker = function (f, latlng) {
    return L.circleMarker(latlng, {
      radius: 4, color: '#111827', weight: 1, fillColor: '#fbbf24', fillOpacity: 0.95,
      renderer: M.renderer('incidents'), pane: 'incidents', className: 'evidence-marker'
    });
  };
  M.evidencePopup = function (f) {
    var p = f.properties, e = M.esc;
    return '<div class="popup-card"><div class="popup-title">Evidence ' + e(p.n) + '</div><table class="popup-table">' +
      '<tr><th>Observed</th><td>' + M.when(p.observed_at) + '</td></tr>' +
      '<tr><th>Source</th><td>' + e(p.source) + '</td></tr>' +
      (p.record_ref ? '<tr><th>Capture record</th><td><code>' + e(p.record_ref) + '</code></td></tr>' : '') +
      (p.altitude_ft !== null && p.altitude_ft !== undefined ? '<tr><th>Altitude</th><td>' + M.num(p.altitude_ft, 0, 'ft') + '</td></tr>' : '') +
      (p.ground_speed_kt !== null && p.ground_speed_kt !== undefined ? '<tr><th>Speed</th><td>' + M.num(p.ground_speed_kt, 0, 'kt') + '</td></tr>' : '') +
      '<tr><th>Note</th><td>' + e(p.note) + '</td></tr></table></div>';
  };
  M.observedStyle = function () { return { color: '#334155', weight: 1.5, opacity: 0.7, dashArray: '2 4' }; };
})();
