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
  function card(title, badge, rows, footer, lead) {
    return '<div class="popup-card"><div class="popup-title">' + title + (badge || '') + '</div>' + (lead || '') +
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
      var r = this._radius * (this._ring ? 2.6 : 1.7), w = this._clickTolerance(), p = [r + w, r + w];
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
      if (layer._ring && this._trackRings) { this._trackRings.push(layer); }
      if (layer._label && this._trackLabels) { this._trackLabels.push(layer); }
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
      this._trackRings = [];
      this._trackLabels = [];
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
      drawRings(ctx, this._trackRings);
      drawLabels(ctx, this._trackLabels, this._map);
      this._trackBatches = this._trackRings = this._trackLabels = null;
      this._drawing = false;
      ctx.restore();
    },
    /* Labels and incident rings reach beyond a marker's own bounds: a partial redraw would
       cut them, so a canvas holding track markers always redraws whole (it does on every
       pan and zoom anyway; updates are batched per animation frame). */
    _redraw: function () {
      this._redrawRequest = null;
      this._redrawBounds = null;
      this._clear();
      this._draw();
    }
  });

  /** The ring of a subject with open incidents: its worst severity's colour round the icon. */
  function drawRings(ctx, layers) {
    for (var i = 0; i < layers.length; i++) {
      var l = layers[i], p = l._point, r = Math.max(l._radius, 3) * 2.1;
      ctx.beginPath();
      ctx.arc(p.x, p.y, r, 0, Math.PI * 2, false);
      ctx.lineWidth = 4.5;
      ctx.strokeStyle = '#ffffff';
      ctx.globalAlpha = 0.9;
      ctx.stroke();
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = l._ring;
      ctx.globalAlpha = 1;
      ctx.stroke();
    }
  }

  /*
   * Call signs and names beside the icons, from M.LABEL_ZOOM on (subjects with incidents one
   * zoom earlier). Subjects with incidents, then emergencies and military, are labelled
   * first; a label that would overlap one already drawn is left out. M.labelsShown lists the
   * texts of the last frame (for tests and for the status strip).
   */
  function drawLabels(ctx, layers, map) {
    var shown = [];
    if (!map) { M.labelsShown = shown; return; }
    var z = map.getZoom(), boxes = [];
    var list = layers.filter(function (l) { return z >= M.LABEL_ZOOM || (l._ring && z >= M.LABEL_ZOOM - 1); });
    list.sort(function (a, b) { return (b._ring ? 10 : 0) + (b.options.priority || 0) - (a._ring ? 10 : 0) - (a.options.priority || 0); });
    ctx.font = '600 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.lineJoin = 'round';
    ctx.globalAlpha = 1;
    for (var i = 0; i < list.length && shown.length < M.MAX_LABELS; i++) {
      var l = list[i], p = l._point, text = l._label;
      var x = p.x + Math.max(l._radius, 3) * (l._ring ? 2.4 : 1.6) + 3, y = p.y;
      var w = ctx.measureText(text).width, box = [x - 1, y - 7, x + w + 1, y + 7];
      var clash = false;
      for (var j = 0; j < boxes.length && !clash; j++) {
        var b = boxes[j];
        clash = box[0] < b[2] && box[2] > b[0] && box[1] < b[3] && box[3] > b[1];
      }
      if (clash) { continue; }
      boxes.push(box);
      ctx.lineWidth = 3;
      ctx.strokeStyle = 'rgba(255, 255, 255, 0.92)';
      ctx.strokeText(text, x, y);
      ctx.fillStyle = l._ring || '#0f172a';
      ctx.fillText(text, x, y);
      shown.push(text);
    }
    M.labelsShown = shown;
  }
  M.LABEL_ZOOM = 8;
  M.MAX_LABELS = 400;
  M.labelsShown = [];

  M.renderer = function (pane) {
    if (!M._renderers[pane]) { M._renderers[pane] = L.svg({ pane: pane }); }
    return M._renderers[pane];
  };

  // ---- subjects: what a person reads about an aircraft or a vessel ------------------------------

  /** Seconds between a fix and the map's data clock (the last live answer's "at"). */
  function fixAge(p) {
    var at = M.dataClock ? Date.parse(M.dataClock) : NaN, t = Date.parse(p.time);
    if (!isFinite(at) || !isFinite(t)) { return ''; }
    return age(Math.max(0, (at - t) / 1000)) + ' before the data clock';
  }
  function yesNo(v, because) {
    if (v === true) { return 'yes' + (because ? ' <span class="muted">(' + esc(because) + ')</span>' : ''); }
    if (v === false) { return 'no'; }
    return '<span class="muted">not known</span>';
  }
  M.squawkText = function (code) {
    if (!code) { return ''; }
    var meaning = (C.squawks || {})[code];
    return esc(code) + (meaning ? ' <span class="muted">(' + esc(meaning) + ')</span>' : '');
  };
  M.shipTypeText = function (code) {
    if (code === null || code === undefined || code === 0) { return ''; }
    return esc((C.shipTypes || {})[code] || ('code ' + code));
  };
  M.navStatusText = function (code) {
    if (code === null || code === undefined) { return ''; }
    return esc((C.navStatus || {})[code] || ('code ' + code));
  };
  function subjectLabel(p, kind) {
    if (kind === 'vessel') { return p.name || p.callsign || ('MMSI ' + p.id); }
    return p.callsign || p.registration || p.id;
  }

  /** The open incidents (features) on the map whose subject is this aircraft or vessel. */
  function incidentsOf(kind, id) {
    var rt = M.layers.incidents, out = [], k;
    if (!rt) { return out; }
    for (k in rt._features) {
      if (!Object.prototype.hasOwnProperty.call(rt._features, k)) { continue; }
      var p = rt._features[k].properties || {};
      if (p.subject_id === id && (p.subject_kind || kind) === kind) { out.push(rt._features[k]); }
    }
    out.sort(function (a, b) { return sevRank(b.properties.severity) - sevRank(a.properties.severity); });
    return out;
  }
  var SEV_ORDER = ['info', 'low', 'medium', 'high', 'critical'];
  function sevRank(sev) { return SEV_ORDER.indexOf(sev); }

  function incidentList(kind, id) {
    var list = incidentsOf(kind, id);
    if (!list.length) { return '<div class="subject-incidents muted">No open incident.</div>'; }
    return '<div class="subject-incidents"><div class="popup-subhead">Open incidents (' + list.length + ')</div><ul>' +
      list.map(function (f) {
        var p = f.properties, text = label(p.kind) + sevBadge(p.severity) + ' ' + esc(p.summary || '');
        return '<li>' + (M.options.incidentLinks
          ? '<a href="/incidents/' + encodeURIComponent(p.id) + '">#' + esc(p.id) + '</a> ' : '') + text + '</li>';
      }).join('') + '</ul></div>';
  }

  function tooltipText(kind) {
    return function (l) {
      var p = l.feature.properties, bits = [];
      if (kind === 'aircraft') {
        bits.push(p.on_ground ? 'on ground' : num(p.altitude_ft, 0, 'ft'));
        bits.push(num(p.ground_speed_kt, 0, 'kt'));
        if (p.operator_name) { bits.push(esc(p.operator_name)); }
      } else {
        bits.push(num(p.ground_speed_kt, 1, 'kt'));
        if (p.nav_status !== undefined) { bits.push(M.navStatusText(p.nav_status)); }
        if (p.flag_name) { bits.push(esc(p.flag_name)); }
      }
      var n = incidentsOf(kind, p.id).length;
      return '<b>' + esc(subjectLabel(p, kind)) + '</b> ' + bits.filter(Boolean).join(' · ') +
        (n ? ' <span class="tip-incidents">' + n + ' open incident' + (n > 1 ? 's' : '') + '</span>' : '');
    };
  }
  function subjectMarker(f, latlng, o, kind) {
    var marker = new L.TrackMarker(latlng, o);
    marker._label = subjectLabel(f.properties, kind);
    marker._subjectKind = kind;
    marker.bindTooltip(tooltipText(kind), { direction: 'top', offset: [0, -8], opacity: 0.95, className: 'subject-tip' });
    return marker;
  }

  // ---- aircraft -------------------------------------------------------------------------------

  M.aircraftStyle = function (f) {
    var p = f.properties, s = C.aircraft[p.style] || C.aircraft.normal || { color: '#1d4ed8' };
    var emergency = p.style === 'emergency', military = p.style === 'military';
    return {
      radius: emergency ? 7 : (military ? 6 : 5.5),
      color: emergency ? '#fde047' : (military ? '#111827' : '#ffffff'),
      weight: emergency ? 2 : 1,
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
    return subjectMarker(f, latlng, o, 'aircraft');
  };
  /** The aircraft's card: who it is, what it does, its open incidents (linked). */
  M.aircraftPopup = function (f) {
    var p = f.properties;
    var alt = p.on_ground ? 'on ground' : num(p.altitude_ft, 0, 'ft');
    var badge = p.style === 'emergency' ? ' <span class="badge" style="background:#dc2626">emergency</span>'
      : (p.style === 'military' ? ' <span class="badge" style="background:#4d5d23">military</span>' : '');
    var operator = p.operator_name ? esc(p.operator_name) + (p.operator_icao ? ' <code>' + esc(p.operator_icao) + '</code>' : '')
      : (p.operator_icao ? '<code>' + esc(p.operator_icao) + '</code>' : '');
    var military = p.identity_military !== undefined ? p.identity_military : (p.military ? true : undefined);
    return card(esc(subjectLabel(p, 'aircraft')), badge, [
      row('Registration', esc(p.registration)),
      row('Operator', operator),
      row('State of registry', p.registry_state ? esc(p.registry_state) + ' (' + esc(p.registry_iso2) + ')' : '<span class="muted">not known</span>'),
      row('Military / state', yesNo(military, p.military_because)),
      row('Type', esc(p.aircraft_type)),
      row('Call sign', esc(p.callsign)),
      row('ICAO address', '<code>' + esc(p.id) + '</code>'),
      row('Altitude', alt),
      row('Ground speed', num(p.ground_speed_kt, 0, 'kt')),
      row('Track', num(p.track_deg, 0, '°')),
      row('Vertical rate', num(p.vertical_rate_fpm, 0, 'ft/min')),
      row('Squawk', M.squawkText(p.squawk)),
      row('Emergency', esc(p.emergency)),
      row('Source', esc(p.source)),
      row('Last fix', when(p.time) + (fixAge(p) ? ' <span class="muted">(' + fixAge(p) + ')</span>' : ''))
    ], incidentList('aircraft', p.id));
  };

  // ---- vessels --------------------------------------------------------------------------------

  function vesselShape(p) {
    return (p.ground_speed_kt || 0) >= 0.5 && p.track_deg !== undefined ? 'boat' : 'dot';
  }
  M.vesselStyle = function (f) {
    var c = C.vessels[f.properties.category] || C.vessels.other || { color: '#64748b' };
    return { radius: 5.5, color: '#0f172a', weight: 0.9, opacity: 0.85, fillColor: c.color, fillOpacity: 0.95, priority: 0, fillRule: 'nonzero' };
  };
  M.vesselMarker = function (f, latlng) {
    var o = M.vesselStyle(f), p = f.properties;
    o.rotation = p.track_deg || p.heading_deg || 0;
    o.shape = vesselShape(p);
    return subjectMarker(f, latlng, o, 'vessel');
  };
  /** The vessel's card: name, MMSI and its class, flag, what it does, its open incidents. */
  M.vesselPopup = function (f) {
    var p = f.properties, cat = C.vessels[p.category] || {};
    var type = M.shipTypeText(p.vessel_type) || esc(cat.label || '');
    return card(esc(subjectLabel(p, 'vessel')), '', [
      row('Name', esc(p.name)),
      row('MMSI', '<code>' + esc(p.id) + '</code>' + (p.mmsi_class ? ' ' + label(p.mmsi_class) : '')),
      row('Flag', p.flag_name ? esc(p.flag_name) + (p.flag_iso2 ? ' (' + esc(p.flag_iso2) + ')' : '') : '<span class="muted">not known</span>'),
      row('Call sign', esc(p.callsign)),
      row('Type', type),
      row('Speed', num(p.ground_speed_kt, 1, 'kt')),
      row('Course', num(p.track_deg, 0, '°')),
      row('Heading', num(p.heading_deg, 0, '°')),
      row('Navigational status', M.navStatusText(p.nav_status)),
      row('Source', esc(p.source)),
      row('Last fix', when(p.time) + (fixAge(p) ? ' <span class="muted">(' + fixAge(p) + ')</span>' : ''))
    ], incidentList('vessel', p.id));
  };

  /** Realtime updateFeature for points: move, re-rotate, keep the same layer. */
  M.updatePoint = function (f, old) {
    if (!old || !f.geometry || f.geometry.type !== 'Point') { return undefined; }
    old.setLatLng(L.GeoJSON.coordsToLatLng(f.geometry.coordinates));
    var p = f.properties;
    if (old.setRotation) {
      old.setRotation(p.track_deg || p.heading_deg || 0, p.category ? vesselShape(p) : undefined);
    }
    if (old._subjectKind) { old._label = subjectLabel(p, old._subjectKind); }
    old.feature = f;
    return old;
  };

  // ---- incidents ------------------------------------------------------------------------------

  /*
   * An open incident whose subject is on the map is a ring round the subject's icon (drawn
   * with it, see drawRings) and a small badge at the icon's upper right (one per incident,
   * side by side): the icon stays visible and opens the subject's card; the badge opens the
   * incident. An incident without its subject on the map (a zone-wide or feed incident, a
   * subject no longer heard) is a disc at its own position.
   */
  L.IncidentBadge = L.CircleMarker.extend({
    setOffset: function (offset) {
      var o = this.options.offset || [0, 0];
      if (o[0] !== offset[0] || o[1] !== offset[1]) {
        this.options.offset = offset;
        if (this._map) { this._project(); this.redraw(); }
      }
      return this;
    },
    _project: function () {
      L.CircleMarker.prototype._project.call(this);
      var o = this.options.offset;
      if (o && (o[0] || o[1])) { this._point = this._point.add(L.point(o[0], o[1])); this._updateBounds(); }
    }
  });

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
    o.offset = [0, 0];
    return new L.IncidentBadge(latlng, o);
  };

  function subjectLayerOf(p) {
    var name = p.subject_kind === 'vessel' ? 'vessels' : (p.subject_kind === 'aircraft' ? 'aircraft' : null);
    var rt = name && M.layers[name];
    if (!rt || !M.map || !M.map.hasLayer(rt) || !p.subject_id) { return null; }
    return rt.getLayer(p.subject_id) || null;
  }

  /** Put each open incident on its subject (ring + badge) or, without one, at its place (disc). */
  M.attachIncidents = function () {
    var rt = M.layers.incidents;
    if (!rt || !rt._featureLayers) { return; }
    var groups = {}, ringed = M._ringed || [], nowRinged = [], k, i;
    for (k in rt._featureLayers) {
      if (!Object.prototype.hasOwnProperty.call(rt._featureLayers, k)) { continue; }
      var badge = rt._featureLayers[k], f = badge.feature, p = f.properties || {};
      if (!badge.setOffset) { continue; }
      var subject = subjectLayerOf(p);
      if (subject) {
        var key = p.subject_kind + '|' + p.subject_id;
        (groups[key] = groups[key] || { subject: subject, badges: [] }).badges.push(badge);
      } else if (f.geometry && f.geometry.type === 'Point') {
        badge.setLatLng(L.GeoJSON.coordsToLatLng(f.geometry.coordinates));
        badge.setOffset([0, 0]);
        badge.setRadius(8);
        if (badge._path) { L.DomUtil.removeClass(badge._path, 'on-subject'); }  // off the map (layer unchecked, or paused by rewind.js)
      }
    }
    for (k in groups) {
      var g = groups[k], s = g.subject;
      g.badges.sort(function (a, b) { return sevRank(b.feature.properties.severity) - sevRank(a.feature.properties.severity); });
      var r = Math.max(s._radius || 5, 3) * 2.1;
      for (i = 0; i < g.badges.length; i++) {
        var b = g.badges[i];
        b.setLatLng(s.getLatLng());
        b.setRadius(5);
        b.setOffset([Math.round(r * 0.75) + 11 * i, -Math.round(r * 0.75)]);
        if (b._path) { L.DomUtil.addClass(b._path, 'on-subject'); }
      }
      var colour = C.severity[g.badges[0].feature.properties.severity] || '#6b7280';
      if (s._ring !== colour) { s._ring = colour; s._updateBounds && s.redraw(); }
      nowRinged.push(s);
    }
    for (i = 0; i < ringed.length; i++) {
      if (nowRinged.indexOf(ringed[i]) < 0 && ringed[i]._ring) { ringed[i]._ring = null; ringed[i].redraw(); }
    }
    M._ringed = nowRinged;
  };

  /** The incident's card: why it is one (its sentence), whom, where, when, and its page. */
  M.incidentPopup = function (f) {
    var p = f.properties, details = p.details || {}, rows = [];
    var subject = esc(p.subject_label || p.subject_id || '');
    if (p.subject_id && p.subject_label && p.subject_label !== p.subject_id) {
      subject += ' <code>' + esc(p.subject_id) + '</code>';
    }
    if (p.subject_kind) { subject += ' <span class="muted">' + esc(p.subject_kind) + '</span>'; }
    rows.push(row('Subject', subject));
    rows.push(row('Zone', p.zone_id ? esc(details.zone_name || p.zone_id) + ' (' + esc(p.zone_id) + (p.zone_version ? ' v' + esc(p.zone_version) : '') + ')' : ''));
    rows.push(row('Status', esc(p.status)));
    rows.push(row('Started', when(p.started_at)));
    rows.push(row('Last seen', when(p.last_seen_at)));
    rows.push(row('Ended', when(p.ended_at)));
    if (details.authority) { rows.push(row('Rule', esc(details.authority) + ' ' + esc(details.rule_kind || '') + (details.source_ref ? ' (' + esc(details.source_ref) + ')' : ''))); }
    if (details.binds_whom) { rows.push(row('Binds', esc(details.binds_whom))); }
    var link = M.options.incidentLinks && p.id !== undefined
      ? '<div class="popup-link"><a href="/incidents/' + encodeURIComponent(p.id) + '">Open incident #' + esc(p.id) + ' →</a></div>'
      : '';
    var sentence = details.incident || p.summary;
    return card(label(p.kind), sevBadge(p.severity),
      rows, link, sentence ? '<p class="popup-sentence">' + esc(sentence) + '</p>' : '');
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
          if (data.at) { M.dataClock = data.at; }
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
      var html = [M.narrow() ? '<details><summary>Legend</summary>' : '<details open><summary>Legend</summary>'];
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
          '<span class="feed-detail"> · poll ' + age(f.poll_age_s) + ' ago · data ' + age(f.data_age_s) +
          ' · ' + errors + ' err</span></span>';
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
        if (name === 'aircraft' || name === 'vessels' || name === 'incidents') { M.attachIncidents(); }
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
    map.on('overlayadd overlayremove', function () { M.attachIncidents(); });
    M.legend(map, { live: true });
    M.collapsibleLayers(map);
    M.statusStrip({ url: options.feedsUrl || '/api/feeds', interval: options.statusInterval || 5000 });
    M.scenarioStatus(map, { url: options.statusUrl || '/api/live/status', interval: options.statusInterval || 5000 });
  };

  /** Narrow screens (phones): the map comes first, so the legend and layer list start folded. */
  M.narrow = function () {
    return !!(window.matchMedia && window.matchMedia('(max-width: 700px)').matches);
  };

  /** The layer list folds behind its button on narrow screens and opens on a tap. */
  M.collapsibleLayers = function (map) {
    var el = map.getContainer().querySelector('.leaflet-control-layers');
    if (!el || el._monitorCollapsible) { return; }
    el._monitorCollapsible = true;
    var toggle = el.querySelector('.leaflet-control-layers-toggle');
    if (toggle) {
      toggle.setAttribute('role', 'button');
      toggle.setAttribute('aria-label', 'Layers');
      L.DomEvent.on(toggle, 'click', function (e) {
        L.DomEvent.preventDefault(e);
        L.DomUtil.addClass(el, 'leaflet-control-layers-expanded');
      });
    }
    var close = L.DomUtil.create('button', 'layers-close', el);
    close.type = 'button';
    close.textContent = 'Hide layers';
    L.DomEvent.on(close, 'click', function (e) {
      L.DomEvent.stop(e);
      L.DomUtil.removeClass(el, 'leaflet-control-layers-expanded');
    });
    if (M.narrow()) { L.DomUtil.removeClass(el, 'leaflet-control-layers-expanded'); }
  };

  /**
   * Poll /api/live/status: once a played scenario (monitor demo) has ended, say so above the
   * map (the picture stays, but nothing will move again) instead of freezing silently.
   */
  M.scenarioStatus = function (map, options) {
    var box = null, timer = null;
    function render(data) {
      if (!data.ended) { if (box) { box.style.display = 'none'; } return; }
      if (!box) {
        box = L.DomUtil.create('div', 'scenario-ended', map.getContainer());
        box.id = 'scenario-ended';
        box.setAttribute('role', 'status');
        L.DomEvent.disableClickPropagation(box);
      }
      box.textContent = data.message || 'The scenario has ended.';
      box.style.display = '';
    }
    function poll() {
      fetch(options.url, { cache: 'no-store' })
        .then(function (r) { if (!r.ok) { throw new Error(options.url + ': HTTP ' + r.status); } return r.json(); })
        .then(function (data) { render(data); if (data.ended && timer) { clearInterval(timer); timer = null; } })
        .catch(function (e) { if (window.console) { console.warn(e.message); } });
    }
    poll();
    timer = setInterval(poll, options.interval || 5000);
    return timer;
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

(function () {
  'use strict';
  /*
   * The top bar on narrow screens: the page links fold into a menu button (CSS shows the
   * button and hides the links below 700 px; the bar itself comes from pages/common.py).
   */
  function menu() {
    var bar = document.querySelector('header.topbar'), nav = bar && bar.querySelector('nav');
    if (!bar || !nav || bar.querySelector('.menu-button')) { return; }
    if (!nav.id) { nav.id = 'topbar-nav'; }
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'menu-button';
    button.setAttribute('aria-controls', nav.id);
    button.setAttribute('aria-expanded', 'false');
    button.setAttribute('aria-label', 'Menu');
    button.innerHTML = '<span></span><span></span><span></span>';
    button.addEventListener('click', function (e) {
      e.stopPropagation();
      var open = bar.classList.toggle('menu-open');
      button.setAttribute('aria-expanded', open ? 'true' : 'false');
    });
    document.addEventListener('click', function (e) {
      if (bar.classList.contains('menu-open') && !nav.contains(e.target)) {
        bar.classList.remove('menu-open');
        button.setAttribute('aria-expanded', 'false');
      }
    });
    bar.insertBefore(button, nav);
    // a line pinned under the bar (the live map's "Rules in force") follows the bar's height,
    // which grows when it wraps on a narrow screen
    function underBar() {
      var pinned = document.getElementById('rules-line');
      if (pinned) { pinned.style.top = Math.round(bar.getBoundingClientRect().bottom + 8) + 'px'; }
    }
    underBar();
    if (window.ResizeObserver) { new ResizeObserver(underBar).observe(bar); }
    window.addEventListener('resize', underBar);
    window.addEventListener('load', underBar);
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', menu); } else { menu(); }
})();

(function () {
  'use strict';
  var M = window.MonitorMap;
  /* The evidence an incident page draws beyond the track: a reroute's great circle, origin,
     destination and where it left its track; an incursion's crossing point. */
  M.routeStyle = function () { return { color: '#0f172a', weight: 2, opacity: 0.8, dashArray: '8 6' }; };
  M.firUsedStyle = function () { return { color: '#0d9488', weight: 2, opacity: 0.9, fillColor: '#14b8a6', fillOpacity: 0.08, dashArray: '3 4' }; };
  var ROLE_COLOURS = { origin: '#15803d', destination: '#1e3a8a', left_track: '#ea580c', crossing: '#c0001a' };
  M.placeMarker = function (f, latlng) {
    var p = f.properties || {};
    var marker = L.circleMarker(latlng, {
      radius: 6, color: '#ffffff', weight: 2, fillColor: ROLE_COLOURS[p.role] || '#334155', fillOpacity: 1,
      renderer: M.renderer('incidents'), pane: 'incidents', className: 'place-marker role-' + (p.role || 'place')
    });
    marker.bindTooltip(M.esc(p.label), { permanent: true, direction: 'right', offset: [8, 0], className: 'place-label' });
    return marker;
  };
})();

(function () {
  'use strict';
  var M = window.MonitorMap;
  /** The incident page: fit the evidence once the page has its final size (a phone lays the
      map out above the panel), fold the layer list on narrow screens. */
  M.initIncident = function (map, bounds) {
    M.map = map;
    M.collapsibleLayers(map);
    function fit() {
      map.invalidateSize(false);
      if (bounds) { map.fitBounds(bounds, { animate: false }); }
    }
    if (document.readyState === 'complete') { setTimeout(fit, 0); } else { window.addEventListener('load', fit); }
  };
})();
