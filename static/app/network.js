// The road network, drawn the same way in every view: the coverage pieces in view (GET
// /api/v1/coverage/segments), reloaded as the map moves, fitted to once when the map has no saved view,
// and #map[data-loaded=N] set once N pieces are painted (markDrawn). Views choose only how it looks.
import { onView, fitOnce, ensureView, segments, markDrawn } from './map.js';
import { toastErr } from './ui.js';

const L = window.L;

// Looks shared by the views: faint grey lines for orientation, or grey with the gaps dashed red.
export const STYLES = {
  faint: () => ({ color: '#6b7280', weight: 2.5, opacity: 0.75 }),
  gaps: (f) => ({ color: f.properties.status === 'gap' ? '#c66' : '#6b7280', weight: 3, opacity: 0.85, dashArray: f.properties.status === 'gap' ? '6 5' : null }),
};

// network(map, {style, onEachFeature, interactive, fit, fitPad}) → {layer, reload, ready}. fit false leaves the
// first view to the caller (the unit view fits to its queue); ready settles once the first draw is done.
export function network(map, opts = {}) {
  const { style = STYLES.faint, onEachFeature, interactive = !!onEachFeature, fit = true, fitPad = {} } = opts;
  const layer = L.geoJSON(null, { interactive, style, onEachFeature }).addTo(map);
  const draw = (fc) => { layer.clearLayers().addData(fc); markDrawn(map, ((fc && fc.features) || []).length); };
  const reload = onView(map, async (bbox, signal) => draw(await segments(bbox, signal)));
  const ready = (async () => {
    if (!map.hadSavedView && fit) {
      try { draw(await segments('')); fitOnce(map, layer, fitPad); } catch (e) { toastErr(e); }
      ensureView(map);
      return;
    }
    if (fit) ensureView(map);
    await new Promise((ok) => map.whenReady(ok));
    await reload();
  })();
  return { layer, reload, ready };
}
