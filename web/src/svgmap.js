// Small maps of the dashboard as inline SVG: the kelurahan polygons (GeoJSON from the OGC API)
// projected equirectangularly around Kupang, filled by a value, with points on top. No WebGL, so
// a phone draws them at once; the interactive map is /peta.
import { el } from './common.js';

const NS = 'http://www.w3.org/2000/svg';

function svgEl(tag, attrs = {}) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, v);
  return e;
}

function rings(geom) {
  if (!geom) return [];
  if (geom.type === 'Polygon') return geom.coordinates;
  if (geom.type === 'MultiPolygon') return geom.coordinates.flat();
  return [];
}

/** A projection fitted to the features: returns {project([lon,lat]) -> [x,y], width, height}. */
export function fit(features, width = 600) {
  let w = Infinity; let s = Infinity; let e = -Infinity; let n = -Infinity;
  for (const f of features) {
    for (const r of rings(f.geometry)) {
      for (const [x, y] of r) {
        if (x < w) w = x;
        if (x > e) e = x;
        if (y < s) s = y;
        if (y > n) n = y;
      }
    }
  }
  const k = Math.cos(((s + n) / 2) * Math.PI / 180);
  const scale = width / ((e - w) * k || 1);
  const height = Math.ceil((n - s) * scale) || 300;
  return {
    width,
    height,
    project: ([x, y]) => [((x - w) * k * scale).toFixed(1), ((n - y) * scale).toFixed(1)],
  };
}

/**
 * An SVG map: `areas` GeoJSON features with `fill(feature)` and `title(feature)`; `points`
 * [{lon, lat, color, title, data}] drawn as circles. Returns the <svg>.
 */
export function svgMap({ areas, fill, title, points = [], label, onPoint }) {
  const proj = fit(areas);
  const svg = svgEl('svg', { viewBox: `0 0 ${proj.width} ${proj.height}`, class: 'svgmap', role: 'img', 'aria-label': label });
  const g = svgEl('g', { class: 'areas' });
  for (const f of areas) {
    const d = rings(f.geometry).map((r) => 'M' + r.map((c) => proj.project(c).join(',')).join('L') + 'Z').join('');
    const p = svgEl('path', { d, fill: fill(f), 'data-code': f.properties?.code });
    const tt = svgEl('title');
    tt.textContent = title(f);
    p.append(tt);
    g.append(p);
  }
  svg.append(g);
  const pg = svgEl('g', { class: 'points' });
  for (const pt of points) {
    const [cx, cy] = proj.project([pt.lon, pt.lat]);
    const c = svgEl('circle', { cx, cy, r: 4, fill: pt.color, 'data-ref': pt.data });
    const tt = svgEl('title');
    tt.textContent = pt.title;
    c.append(tt);
    if (onPoint) c.addEventListener('click', () => onPoint(pt));
    pg.append(c);
  }
  svg.append(pg);
  return svg;
}

/** A legend of [{color, label}]. */
export function legend(items) {
  return el('div', { class: 'legend row' }, items.map((i) => el('span', { class: 'item' },
    el('span', { class: 'swatch', style: `background:${i.color}` }), i.label)));
}
