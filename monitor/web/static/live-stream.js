/* Live positions pushed over server-sent events (GET /api/live/stream).
 *
 * Opens one EventSource and re-dispatches every event on `window` as a
 * `monitor:live` CustomEvent whose detail is {kind: "full" | "diff", aircraft, vessels}
 * (each as /api/live/aircraft and /api/live/vessels answer: FeatureCollection with
 * `full`, `removed`, `version`). The map keeps its polling as the fallback: while the
 * stream is open `window.monitorLiveStream.open` is true and polling may pause.
 * The browser reconnects by itself after a drop; on reconnect the server sends a
 * `full` event first.
 *
 * Include after the map's script:  <script src="/static/live-stream.js" defer></script>
 */
(function () {
  'use strict';
  if (!window.EventSource) { return; }
  var state = window.monitorLiveStream = { open: false, source: null };
  function relay(kind) {
    return function (e) {
      var doc;
      try { doc = JSON.parse(e.data); } catch (err) { return; }
      window.dispatchEvent(new CustomEvent('monitor:live', {
        detail: { kind: kind, aircraft: doc.aircraft, vessels: doc.vessels }
      }));
    };
  }
  var source = state.source = new EventSource('/api/live/stream');
  source.addEventListener('open', function () { state.open = true; });
  source.addEventListener('error', function () { state.open = false; });
  source.addEventListener('full', relay('full'));
  source.addEventListener('diff', relay('diff'));
}());
