// The map every page starts from: the planner style over the city tileset, with the page's own
// layers put into the style before the map starts (adding them later would make every loaded
// tile be parsed again). Records the time to the first idle map in window.__ruang.
import * as maplibregl from 'maplibre-gl';

export { maplibregl };

export const state = window.__ruang || (window.__ruang = { firstIdleMs: null, loadMs: null, map: null });

/**
 * `layers`: [{layer, before}] inserted before the style layer `before` (or on top);
 * `sources`: extra sources by id. Resolves to the map once the style is fetched.
 */
export async function createMap(container, { layers = [], sources = {}, ...options } = {}) {
  const style = await fetch('/styles/planner').then((r) => r.json());
  Object.assign(style.sources, sources);
  for (const { layer, before } of layers) {
    const i = before ? style.layers.findIndex((l) => l.id === before) : -1;
    style.layers.splice(i < 0 ? style.layers.length : i, 0, layer);
  }
  const map = new maplibregl.Map({
    container,
    style,
    attributionControl: { compact: true },
    maxZoom: 20,
    // no label fade-in: the map is complete (idle) as soon as everything is drawn
    fadeDuration: 0,
    ...options,
  });
  state.map = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  map.once('load', () => {
    state.loadMs = performance.now();
  });
  map.once('idle', () => {
    state.firstIdleMs = performance.now(); // since navigation start
  });
  // Missing glyphs or sprites must not stop the map: log them quietly.
  map.on('error', (e) => console.warn('map:', e?.error?.message || e));
  return map;
}

/** Empty GeoJSON source. */
export function geojsonSource() {
  return { type: 'geojson', data: { type: 'FeatureCollection', features: [] } };
}
