// The planners' map (/peta): the city tileset with the planner style, a layer switcher, the
// legend in RDTR colours, attribute popups (zoning rules, stunting trend, market prices),
// kelurahan search and a stunting choropleth by month.
import { createMap, maplibregl, state } from './basemap.js';
import { api, el, t, pick, onLang, initChrome, debounce, fmtNumber, sparkline } from './common.js';

initChrome();

// Layer groups of the switcher: style layer ids per group (ids that are missing are skipped).
const GROUPS = [
  ['zones', ['zones-fill', 'zones-outline'], true],
  ['parcels', ['parcels-line'], true],
  ['overlays', ['overlays-fill', 'overlays-line'], true],
  ['kelurahan', ['kelurahan-line', 'kecamatan-line', 'kelurahan-label', 'kecamatan-label'], true],
  ['puskesmas', ['health-posyandu', 'health-puskesmas', 'facility-label'], true],
  ['markets', ['markets-circle', 'market-label'], true],
  ['waste', ['waste-circle'], true],
  ['stunting', ['stunting-fill'], false],
];

// Prevalence classes (WHO public-health significance) for the choropleth.
const STUNTING_CLASSES = [
  [0, '#fff5eb', '< 10%'],
  [10, '#fdbe85', '10\u201320%'],
  [20, '#fd8d3c', '20\u201330%'],
  [30, '#d94701', '\u2265 30%'],
];
const NO_DATA = '#d0d0d0';

state.zoneNames = {};

const map = await createMap('map', {
  layers: [
    {
      before: 'kelurahan-line',
      layer: {
        id: 'stunting-fill',
        type: 'fill',
        source: 'city',
        'source-layer': 'admin_areas',
        filter: ['==', ['get', 'level'], 'kelurahan'],
        layout: { visibility: 'none' },
        paint: { 'fill-color': latestStuntingColour(), 'fill-opacity': 0.75, 'fill-outline-color': '#555' },
      },
    },
    {
      layer: {
        id: 'place-highlight',
        type: 'line',
        source: 'city',
        'source-layer': 'admin_areas',
        filter: ['==', ['get', 'code'], ''],
        paint: { 'line-color': '#0d47a1', 'line-width': 3 },
      },
    },
  ],
});

map.on('load', () => {
  buildLayerSwitcher();
  buildLegend();
  initStunting();
});
map.on('idle', collectZoneNames);

// ---------------------------------------------------------------------------------------------
// Layer switcher

function buildLayerSwitcher() {
  const box = document.getElementById('layers');
  box.replaceChildren();
  for (const [key, ids, on] of GROUPS) {
    const present = ids.filter((id) => map.getLayer(id));
    if (!present.length) continue;
    const input = el('input', { type: 'checkbox', id: `layer-${key}`, dataset: { group: key } });
    input.checked = on;
    input.addEventListener('change', () => setGroup(key, input.checked));
    box.append(el('label', { for: `layer-${key}` }, input, el('span', { 'data-i18n': `layer.${key}` }, t(`layer.${key}`))));
  }
}

function setGroup(key, visible) {
  const group = GROUPS.find((g) => g[0] === key);
  for (const id of group[1]) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  }
  const input = document.getElementById(`layer-${key}`);
  if (input) input.checked = visible;
}

// ---------------------------------------------------------------------------------------------
// Legend, from the style's own colours

function matchPairs(expr) {
  // ['match', input, k1, v1, k2, v2, ..., fallback]
  if (!Array.isArray(expr) || expr[0] !== 'match') return [];
  const out = [];
  for (let i = 2; i + 1 < expr.length; i += 2) out.push([expr[i], expr[i + 1]]);
  return out;
}

function legendItem(colour, label, round = false) {
  return el('div', { class: 'item' }, el('span', { class: `swatch${round ? ' round' : ''}`, style: `background:${colour}` }), label);
}

function collectZoneNames() {
  if (!map.getSource('city')) return;
  let added = false;
  for (const f of map.querySourceFeatures('city', { sourceLayer: 'zones' })) {
    const { subzone_code: c, subzone_name: n } = f.properties;
    if (c && n && !state.zoneNames[c]) {
      state.zoneNames[c] = n;
      added = true;
    }
  }
  if (added) buildLegend();
}

function buildLegend() {
  const box = document.getElementById('legend');
  box.replaceChildren();
  const zones = map.getLayer('zones-fill') ? matchPairs(map.getPaintProperty('zones-fill', 'fill-color')) : [];
  const seen = Object.keys(state.zoneNames);
  const shown = seen.length ? zones.filter(([code]) => state.zoneNames[code]) : zones;
  box.append(el('h3', {}, t('legend.zones')));
  for (const [code, colour] of shown) {
    box.append(legendItem(colour, `${code}${state.zoneNames[code] ? ' \u2014 ' + state.zoneNames[code] : ''}`));
  }
  if (map.getLayer('overlays-fill')) {
    box.append(el('h3', {}, t('layer.overlays')));
    for (const [kind, colour] of matchPairs(map.getPaintProperty('overlays-fill', 'fill-color'))) {
      box.append(legendItem(colour, kind.replace(/_/g, ' ')));
    }
  }
  if (map.getLayer('markets-circle')) {
    box.append(el('h3', {}, t('legend.alert')));
    for (const [lvl, colour] of matchPairs(map.getPaintProperty('markets-circle', 'circle-color'))) {
      box.append(legendItem(colour, t(`alert.${lvl}`), true));
    }
  }
  box.append(el('h3', {}, t('layer.stunting')));
  for (const [, colour, label] of STUNTING_CLASSES) box.append(legendItem(colour, label));
  box.append(legendItem(NO_DATA, t('alert.none')));
}

// ---------------------------------------------------------------------------------------------
// Stunting choropleth

function stepColour(value) {
  const expr = ['step', value, STUNTING_CLASSES[0][1]];
  for (const [from, colour] of STUNTING_CLASSES.slice(1)) expr.push(from, colour);
  return expr;
}

function latestStuntingColour() {
  return ['case', ['==', ['typeof', ['get', 'stunting_pct']], 'number'], stepColour(['get', 'stunting_pct']), NO_DATA];
}

function classColour(pct) {
  let c = STUNTING_CLASSES[0][1];
  for (const [from, colour] of STUNTING_CLASSES) if (pct >= from) c = colour;
  return c;
}

function previousMonth() {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
}

async function initStunting() {
  const input = document.getElementById('stunting-month');
  input.value = previousMonth();
  // Without a period the API answers its latest month, when it can.
  try {
    const { data } = await api('/api/stunting?by=kelurahan');
    if (data?.period) input.value = String(data.period).slice(0, 7);
  } catch {
    /* keep last month */
  }
  input.addEventListener('change', () => showStunting(input.value));
}

async function showStunting(period) {
  const status = document.getElementById('stunting-status');
  setGroup('stunting', true);
  status.textContent = t('loading');
  try {
    const { data } = await api(`/api/stunting?period=${encodeURIComponent(period)}&by=kelurahan`);
    const units = (data?.units || []).filter((u) => typeof u.prevalence_pct === 'number');
    const expr = ['match', ['get', 'code']];
    for (const u of units) expr.push(u.code, classColour(u.prevalence_pct));
    expr.push(NO_DATA);
    map.setPaintProperty('stunting-fill', 'fill-color', units.length ? expr : NO_DATA);
    state.stunting = Object.fromEntries(units.map((u) => [u.code, u]));
    status.textContent = `${t('stunting.period')} ${data.period}: ${units.length} kelurahan` +
      (data.national_target_pct != null ? ` \u00b7 ${t('stunting.target')} ${fmtNumber(data.national_target_pct)}%` : '');
  } catch (e) {
    map.setPaintProperty('stunting-fill', 'fill-color', latestStuntingColour());
    state.stunting = null;
    status.textContent = `${period}: ${t('na')}. ${t('stunting.latest')}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Search by kelurahan name

const results = document.getElementById('search-results');
const search = document.getElementById('search');
const runSearch = debounce(async () => {
  const q = search.value.trim();
  results.replaceChildren();
  if (q.length < 2) return;
  try {
    const { data } = await api(`/api/places?q=${encodeURIComponent(q)}`);
    if (!data.places.length) results.append(el('li', { class: 'muted' }, t('search.none')));
    for (const p of data.places) {
      results.append(
        el('li', { onclick: () => goTo(p), dataset: { code: p.code } },
          el('strong', {}, p.name), ' ', el('span', { class: 'muted' }, `${p.level}${p.parent_name ? ', ' + p.parent_name : ''}`)),
      );
    }
  } catch (e) {
    results.append(el('li', { class: 'error' }, e.message));
  }
}, 250);
search.addEventListener('input', runSearch);
search.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') {
    e.preventDefault();
    const first = results.querySelector('li[data-code]');
    if (first) first.click();
  }
});

function goTo(place) {
  map.setFilter('place-highlight', ['==', ['get', 'code'], place.code]);
  map.fitBounds(place.bbox, { padding: 30, maxZoom: 16 });
  document.body.classList.remove('panel-open');
  state.lastPlace = place;
}

// ---------------------------------------------------------------------------------------------
// Click popups

// Topmost first: points, parcel lines, the choropleth, zones; overlays (some cover the whole
// city, such as the airport surfaces) only where nothing else is, and listed in zone popups.
const CLICKABLE = [
  'markets-circle', 'health-puskesmas', 'health-posyandu', 'waste-circle', 'parcels-line',
  'stunting-fill', 'zones-fill', 'overlays-fill',
];

function table(rows) {
  return el('table', {}, rows.filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', {}, v))));
}

function propRows(props, keys) {
  return keys.map((k) => {
    let v = props[k];
    if (typeof v === 'boolean') v = t(v ? 'yes' : 'no');
    else if (typeof v === 'number') v = fmtNumber(v, 2);
    return [t(`prop.${k}`), v];
  });
}

map.on('click', (e) => {
  const layers = CLICKABLE.filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none');
  const box = [[e.point.x - 4, e.point.y - 4], [e.point.x + 4, e.point.y + 4]];
  const found = map.queryRenderedFeatures(box, { layers });
  found.sort((a, b) => layers.indexOf(a.layer.id) - layers.indexOf(b.layer.id));
  const f = found[0];
  if (!f) return;
  const body = el('div', { class: 'popup', dataset: { layer: f.layer.id } });
  new maplibregl.Popup({ maxWidth: '320px' }).setLngLat(e.lngLat).setDOMContent(body).addTo(map);
  fillPopup(body, f, e.lngLat);
  const overlays = found.filter((o) => o.layer.id === 'overlays-fill' && o !== f);
  if (overlays.length) {
    body.append(el('h3', {}, t('layer.overlays')), el('ul', {}, overlays.map((o) => el('li', {}, o.properties.name ?? o.properties.kind))));
  }
});

map.on('mousemove', (e) => {
  const layers = CLICKABLE.filter((id) => map.getLayer(id));
  map.getCanvas().style.cursor = map.queryRenderedFeatures(e.point, { layers }).length ? 'pointer' : '';
});

function fillPopup(body, f, lngLat) {
  const p = f.properties;
  switch (f.layer['source-layer']) {
    case 'zones':
      body.append(el('h3', {}, `${p.subzone_code} \u2014 ${p.subzone_name ?? ''}`), table(propRows(p, ['kdb_max', 'klb_max', 'height_max'])));
      zoneDetails(body, lngLat);
      break;
    case 'health_facilities':
      body.append(el('h3', {}, p.name), table(propRows(p, ['kind', 'code', 'stunting_pct'])));
      if (p.kind === 'puskesmas' && p.code) healthTrend(body, p.code);
      break;
    case 'markets':
      body.append(el('h3', {}, p.name), table([[t('prop.alert_level'), el('span', { class: `alert-${p.alert_level}` }, t(`alert.${p.alert_level}`))], ...propRows(p, ['code', 'red_commodities'])]));
      marketPrices(body, f.id);
      break;
    case 'waste_facilities':
      body.append(el('h3', {}, p.name ?? p.kind), table(propRows(p, ['kind', 'capacity_m3'])));
      break;
    case 'parcels':
      body.append(el('h3', {}, t('layer.parcels')), table(propRows(p, ['kind', 'parcel_number', 'permit_number'])));
      break;
    case 'overlays':
      body.append(el('h3', {}, p.name ?? p.kind), table(propRows(p, ['kind', 'no_building', 'height_max', 'hazard', 'hazard_level'])));
      break;
    case 'admin_areas': {
      const u = state.stunting?.[p.code];
      body.append(el('h3', {}, p.name), table([
        ...propRows(p, ['code', 'level']),
        [t('prop.stunting_pct'), fmtNumber(u ? u.prevalence_pct : p.stunting_pct)],
        ...(u ? [['rank', u.rank], ['measured', u.measured]] : []),
      ]));
      break;
    }
    default:
      body.append(table(Object.entries(p)));
  }
}

async function zoneDetails(body, lngLat) {
  const slot = el('div', { class: 'muted' }, t('loading'));
  body.append(slot);
  try {
    const { data } = await api(`/api/zoning/at?lon=${lngLat.lng.toFixed(7)}&lat=${lngLat.lat.toFixed(7)}`);
    const r = data.rules || {};
    const keys = ['kdb_max_pct', 'klb_max', 'kdh_min_pct', 'ktb_max_pct', 'height_max_m', 'floors_max', 'gsb_min_m', 'min_parcel_m2'];
    const out = el('div', {},
      el('div', { class: 'muted' }, [data.name, data.block_code, data.plan?.name].filter(Boolean).join(' \u00b7 ')),
      el('h3', {}, t('zone.rules')),
      table(keys.map((k) => [t(`rule.${k}`), r[k] == null ? null : fmtNumber(r[k], 2)])),
      r.note ? el('div', { class: 'muted' }, r.note) : null,
      el('h3', {}, t('zone.allowed')),
    );
    for (const cls of ['I', 'T', 'B', 'X']) {
      const list = data.activities?.[cls] || [];
      const det = el('details', { class: `itbx-${cls}` }, el('summary', {}, `${t(`itbx.${cls}`)} (${list.length})`),
        el('ul', {}, list.map((a) => el('li', {}, `${a.kbli_code} ${pick(a.title, a.title_en) ?? ''}`))));
      out.append(det);
    }
    slot.replaceWith(out);
  } catch (e) {
    slot.textContent = e.status === 404 ? t('na') : `${t('error')}: ${e.message}`;
  }
}

async function healthTrend(body, code) {
  const slot = el('div', {}, el('h3', {}, t('health.trend')), el('span', { class: 'muted' }, t('loading')));
  body.append(slot);
  try {
    const { data } = await api(`/api/stunting/trend?unit=${encodeURIComponent(code)}`);
    const series = data?.series || [];
    if (!series.length) throw Object.assign(new Error(t('na')), { status: 404 });
    slot.lastChild.replaceWith(el('div', { class: 'trend' },
      sparkline(series.map((s) => ({ x: String(s.period).slice(0, 7), y: s.prevalence_pct })), { target: data.national_target_pct ?? undefined }),
      el('div', { class: 'muted' }, `${String(series[0].period).slice(0, 7)} \u2013 ${String(series.at(-1).period).slice(0, 7)}: ${fmtNumber(series.at(-1).prevalence_pct)}%`)));
  } catch (e) {
    slot.lastChild.textContent = e.status === 404 ? t('na') : `${t('error')}: ${e.message}`;
    slot.lastChild.className = 'muted na';
  }
}

async function marketPrices(body, marketId) {
  const slot = el('div', {}, el('h3', {}, t('market.prices')), el('span', { class: 'muted' }, t('loading')));
  body.append(slot);
  try {
    if (marketId === undefined || marketId === null) throw Object.assign(new Error(t('na')), { status: 404 });
    const { data } = await api(`/api/prices?market=${encodeURIComponent(marketId)}`);
    const rows = data?.commodities || data?.prices || data?.items || [];
    if (!rows.length) throw Object.assign(new Error(t('na')), { status: 404 });
    const tbl = el('table', { class: 'prices' }, el('tr', {}, el('th', {}, t('market.commodity')), el('th', {}, t('market.price')), el('th', {}, t('market.change')), el('th', {}, t('market.alert'))));
    for (const r of rows) {
      const change = r.change_mom_pct ?? r.mom_pct ?? r.change_pct;
      const level = r.alert_level ?? r.alert?.level ?? r.level;
      tbl.append(el('tr', {},
        el('td', {}, typeof r.commodity === 'object' && r.commodity
          ? `${r.commodity.name}${r.commodity.unit ? ' (' + r.commodity.unit + ')' : ''}`
          : pick(r.commodity_name ?? r.name ?? r.commodity, r.name_en)),
        el('td', {}, `Rp ${fmtNumber(r.price_idr ?? r.price ?? r.latest_price, 0)}`),
        el('td', {}, change == null ? '\u2013' : `${change > 0 ? '+' : ''}${fmtNumber(change)}%`),
        el('td', { class: `alert-${level}` }, level ? t(`alert.${level}`) : '\u2013')));
    }
    slot.lastChild.replaceWith(tbl);
  } catch (e) {
    slot.lastChild.textContent = e.status === 404 ? t('na') : `${t('error')}: ${e.message}`;
    slot.lastChild.className = 'muted na';
  }
}

onLang(() => {
  if (map.loaded()) {
    buildLegend();
  }
});
