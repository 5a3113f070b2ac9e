// /pantau: the city's monitoring dashboard. Food prices (weekly prices by market with the
// HET/HAP, current alerts, the city price index), stunting (trend of the city, a Puskesmas area
// and a kelurahan against the national target; a map of the latest month by kelurahan) and
// cleanliness (waste reports per month by status, median time to close, open reports on a map),
// then the officers' handling of waste reports. Every number comes from the monitoring API;
// every chart has its table and CSV (charts.js).
//
// window.__ruang.dashboardMs: time from navigation to the first complete dashboard;
// window.__ruang.busy: requests still running (the tests wait for 0 after a filter change).
import { api, el, t, pick, initChrome, onLang, fmtNumber, fmtDate, lang } from './common.js';
import { lineChart, dataBox, register, PALETTE } from './charts.js';
import { svgMap, legend } from './svgmap.js';
import { authBox } from './auth.js';
import { STATUS_COLORS, trail } from './waste.js';

const S = (window.__ruang ||= {});
S.busy = 0;
S.dashboardMs = null;
S.renders = 0;

const STATUSES = Object.keys(STATUS_COLORS);
const CITY = '53.71';
// the most open reports the map shows (the API's page limit), newest first
const OPEN_LIMIT = 1000;
// reports per page of the officers' list
const HANDLING_PAGE = 50;

const $ = (id) => document.getElementById(id);
// beside a map there is room for its table
const wide = () => window.matchMedia('(min-width: 900px)').matches;

/** Runs `fn` counted in S.busy; errors are shown at the top of the page. */
async function track(fn) {
  S.busy += 1;
  try {
    return await fn();
  } catch (e) {
    $('dash-error').textContent = `${t('error')}: ${e.message}`;
    (S.errors ||= []).push(String(e.message));
    return null;
  } finally {
    S.busy -= 1;
    S.renders += 1;
  }
}

const data = {}; // the last answers, kept to re-render on a language switch

// Only the newest request of each kind may draw: a slow answer to an older filter is dropped.
const latest = {};
function ticket(kind) {
  latest[kind] = (latest[kind] || 0) + 1;
  const n = latest[kind];
  return () => latest[kind] === n;
}

// ---------------------------------------------------------------- prices

function weekStart(iso) {
  const d = new Date(`${iso}T00:00:00Z`);
  const back = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - back);
  return d;
}

function isoDate(d) {
  return d.toISOString().slice(0, 10);
}

function chosenMarkets() {
  return [...document.querySelectorAll('#markets input:checked')].map((i) => i.value);
}

function fillPriceFilters(alerts) {
  const items = alerts.alerts;
  const commodities = new Map();
  const markets = new Map();
  for (const it of items) {
    commodities.set(it.commodity.code, it.commodity);
    markets.set(it.market.code, it.market);
  }
  const sel = $('commodity');
  const keep = sel.value;
  sel.replaceChildren(...[...commodities.values()].sort((a, b) => a.name.localeCompare(b.name))
    .map((c) => el('option', { value: c.code }, `${c.name} (${c.unit})`)));
  sel.value = keep || (commodities.has('beras_medium') ? 'beras_medium' : sel.options[0]?.value);
  const box = $('markets');
  const legendEl = box.querySelector('legend');
  const checked = new Set(chosenMarkets());
  box.replaceChildren(legendEl, ...[...markets.values()].sort((a, b) => a.id - b.id).map((m) => el('label', { class: 'check' },
    el('input', { type: 'checkbox', value: m.code, checked: checked.size ? checked.has(m.code) : true, onchange: () => track(loadPrices) }), m.name)));
  const im = $('index-market');
  const keepIm = im.value;
  im.replaceChildren(el('option', { value: '' }, t('pantau.all_markets')),
    ...[...markets.values()].sort((a, b) => a.id - b.id).map((m) => el('option', { value: m.code }, m.name)));
  im.value = keepIm;
}

async function loadAlerts() {
  const { data: all } = await api('/api/prices/alerts?level=green');
  data.alerts = all;
  data.latestDate = all.alerts.reduce((m, it) => (it.date > m ? it.date : m), '');
  fillPriceFilters(all);
  renderAlerts();
}

function renderAlerts() {
  const all = data.alerts;
  if (!all) return;
  const hits = all.alerts.filter((a) => a.alert.level !== 'green');
  const counts = all.counts;
  const rows = hits.map((a) => [
    a.alert.level, a.market.name, a.commodity.name, a.price, a.reference ? `${a.reference.kind} ${fmtNumber(a.reference.price_max, 0)}` : null,
    a.mom_pct, a.alert.reasons.map((r) => pick(r.detail, r.detail_en)).join(' '),
  ]);
  const table = el('table', { id: 'alerts-table', class: 'numbers' },
    el('thead', {}, el('tr', {}, ['pantau.level', 'pantau.market', 'pantau.commodity', 'pantau.price', 'pantau.reference', 'pantau.mom', 'pantau.reasons'].map((k) => el('th', {}, t(k))))),
    el('tbody', {}, hits.map((a, i) => el('tr', { class: `alert-row alert-${a.alert.level}`, dataset: { market: a.market.code, commodity: a.commodity.code } },
      el('td', {}, el('span', { class: `badge level-${a.alert.level}` }, t(`alert.${a.alert.level}`))),
      el('td', {}, a.market.name), el('td', {}, a.commodity.name),
      el('td', { class: 'n' }, fmtNumber(a.price, 0)), el('td', {}, rows[i][4] ?? '\u2013'),
      el('td', { class: 'n' }, a.mom_pct == null ? '\u2013' : `${fmtNumber(a.mom_pct, 1)}%`),
      el('td', { class: 'reasons' }, rows[i][6])))));
  $('alerts').replaceChildren(
    el('p', { class: 'row', id: 'alert-counts' },
      el('span', { class: 'badge level-red' }, `${t('alert.red')}: ${counts.red}`),
      el('span', { class: 'badge level-yellow' }, `${t('alert.yellow')}: ${counts.yellow}`),
      el('span', { class: 'badge level-green' }, `${t('alert.green')}: ${counts.green}`),
      el('span', { class: 'muted' }, `${t('pantau.as_of')} ${data.latestDate}`)),
    el('div', { class: 'scroll' }, table),
    el('p', {}, el('a', { href: '/api/prices/alerts?f=csv', download: 'peringatan-harga.csv', class: 'csv-link' }, t('chart.csv'))),
  );
  register('alerts', { rows: hits.map((a) => ({ market: a.market.code, commodity: a.commodity.code, level: a.alert.level, price: a.price, reasons: a.alert.reasons.map((r) => r.code) })) });
}

async function loadPrices() {
  const current = ticket('prices');
  const commodity = $('commodity').value;
  if (!commodity) return;
  const markets = chosenMarkets();
  const weeks = Number($('price-span').value);
  const q = new URLSearchParams({ commodity });
  if (markets.length) q.set('market', markets.join(','));
  if (data.latestDate && weeks !== 104) {
    const to = weekStart(data.latestDate);
    const from = new Date(to.getTime() - (weeks - 1) * 7 * 86400000);
    q.set('from', isoDate(from));
    q.set('to', data.latestDate);
  }
  if (!markets.length) {
    if (!current()) return;
    data.series = { empty: true };
    renderPrices();
    return;
  }
  const { data: series } = await api(`/api/prices/series?${q}`);
  if (!current()) return;
  data.series = series;
  renderPrices();
}

function renderPrices() {
  const s = data.series;
  if (!s) return;
  if (s.empty) {
    $('prices-title').textContent = t('pantau.no_market');
    $('chart-prices').replaceChildren();
    register('prices', { x: [], series: [] });
    return;
  }
  const kinds = [...new Set(s.reference_kind.filter(Boolean))].join('/');
  $('prices-title').textContent = `${t('pantau.weekly')}: ${s.commodity.name} (Rp/${s.commodity.unit})${kinds ? ` \u2014 ${t('pantau.ref_line')} ${kinds}` : ''}`;
  const series = s.markets.map((m, i) => ({ key: m.code, label: m.name, values: m.prices, color: PALETTE[i % PALETTE.length], digits: 0 }));
  if (s.reference_max.some((v) => v != null)) {
    series.push({ key: 'reference_max', label: `${kinds || 'HET/HAP'} ${t('pantau.max')}`, values: s.reference_max, color: '#000', dash: [8, 4], width: 2, digits: 0 });
  }
  if (s.reference_min.some((v) => v != null)) {
    series.push({ key: 'reference_min', label: `${kinds || 'HAP'} ${t('pantau.min')}`, values: s.reference_min, color: '#777', dash: [3, 3], width: 1.5, digits: 0 });
  }
  lineChart($('chart-prices'), { id: 'prices', x: s.weeks, series, yLabel: 'Rp', fromZero: false, csvName: `harga-${s.commodity.code}.csv`, digits: 0 });
}

async function loadIndex() {
  const current = ticket('index');
  const market = $('index-market').value;
  const { data: idx } = await api(`/api/prices/index${market ? `?market=${encodeURIComponent(market)}` : ''}`);
  if (!current()) return;
  data.index = idx;
  renderIndex();
}

function renderIndex() {
  const idx = data.index;
  if (!idx) return;
  lineChart($('chart-index'), {
    id: 'index',
    x: idx.series.map((p) => p.period),
    series: [{ key: 'index', label: `${t('pantau.index_label')} (${idx.base} = 100)`, values: idx.series.map((p) => p.index), color: PALETTE[0] }],
    refLines: [{ label: `${idx.base} = 100`, value: 100, color: '#777' }],
    tableOnly: [{ key: 'mom_pct', label: 'pantau.mom', values: idx.series.map((p) => p.mom_pct), digits: 2 },
      { key: 'commodities', label: 'pantau.commodities', values: idx.series.map((p) => p.commodities), digits: 0 }],
    fromZero: false,
    csvName: 'indeks-harga-pangan.csv',
  });
}

// ---------------------------------------------------------------- stunting

function stuntingColor(p) {
  if (p == null) return '#e0e0e0';
  if (p < 14) return '#a5d6a7';
  if (p < 20) return '#fff59d';
  if (p < 25) return '#ffcc80';
  if (p < 30) return '#ef9a9a';
  return '#c62828';
}

function loadKelurahanShapes() {
  data.shapesP ||= api('/collections/admin_areas/items?level=kelurahan&limit=200&properties=code,name')
    .then(({ data: fc }) => {
      data.shapes = fc.features;
      return data.shapes;
    })
    .catch((e) => {
      data.shapesP = null;
      throw e;
    });
  return data.shapesP;
}

async function loadStuntingUnits() {
  const [{ data: kel }, { data: pkm }] = await Promise.all([
    api('/api/stunting?by=kelurahan'),
    api('/api/stunting?by=puskesmas'),
  ]);
  data.stKel = kel;
  data.stPkm = pkm;
  const byName = (a, b) => a.name.localeCompare(b.name);
  const top = (units) => units.filter((u) => u.rank === 1)[0]?.code;
  // the area with the highest prevalence first, unless one was chosen already
  const fill = (sel, units) => {
    const keep = sel.value;
    sel.replaceChildren(...units.slice().sort(byName).map((u) => el('option', { value: u.code }, u.name)));
    sel.value = (keep && units.some((u) => u.code === keep) ? keep : top(units)) || sel.options[0]?.value;
  };
  fill($('pkm'), pkm.units);
  fill($('kel'), kel.units);
  const wk = $('waste-kel');
  const keep = wk.value;
  wk.replaceChildren(el('option', { value: '' }, t('pantau.whole_city')),
    ...kel.units.slice().sort(byName).map((u) => el('option', { value: u.code }, u.name)));
  wk.value = keep;
}

async function loadStuntingTrend() {
  const current = ticket('trend');
  const units = [CITY, $('pkm').value, $('kel').value].filter(Boolean);
  const answers = await Promise.all(units.map((u) => api(`/api/stunting/trend?unit=${encodeURIComponent(u)}`).then((r) => r.data)));
  if (!current()) return;
  data.trend = answers;
  renderStuntingTrend();
}

function renderStuntingTrend() {
  const answers = data.trend;
  if (!answers) return;
  const periods = [...new Set(answers.flatMap((a) => a.series.map((p) => p.period)))].sort();
  const series = answers.map((a, i) => {
    const by = new Map(a.series.map((p) => [p.period, p.prevalence_pct]));
    const label = a.unit.kind === 'city' ? a.unit.name : a.unit.name;
    return { key: a.unit.code, label, values: periods.map((p) => by.get(p) ?? null), color: [PALETTE[0], PALETTE[3], PALETTE[4]][i], digits: 1 };
  });
  const target = answers[0]?.national_target_pct ?? 14;
  lineChart($('chart-stunting'), {
    id: 'stunting', x: periods, series, yLabel: '%', digits: 1,
    refLines: [{ label: `${t('stunting.target')} ${fmtNumber(target, 1)}%`, value: target, color: '#2e7d32' }],
    csvName: 'stunting-tren.csv',
  });
  fillPeriods();
}

/** The months of the city's trend, newest first, for the map's month. */
function fillPeriods() {
  const sel = $('stunting-period');
  const city = data.trend?.[0];
  if (!city || !data.stKel) return;
  const months = city.series.filter((p) => p.measured > 0).map((p) => p.period).reverse();
  if (sel.options.length !== months.length) {
    sel.replaceChildren(...months.map((m) => el('option', { value: m }, m)));
  }
  sel.value = data.stKel.period;
}

/** The map and the Puskesmas table for the chosen month. */
async function loadStuntingMonth() {
  const current = ticket('month');
  const period = encodeURIComponent($('stunting-period').value);
  const [{ data: kel }, { data: pkm }] = await Promise.all([
    api(`/api/stunting?by=kelurahan&period=${period}`),
    api(`/api/stunting?by=puskesmas&period=${period}`),
  ]);
  if (!current()) return;
  data.stKel = kel;
  data.stPkm = pkm;
  renderStuntingMap();
}

async function loadStuntingMap() {
  await loadKelurahanShapes();
  renderStuntingMap();
}

function renderStuntingMap() {
  const kel = data.stKel;
  if (!kel || !data.shapes) return;
  $('stunting-map-title').textContent = t('pantau.stunting_map');
  fillPeriods();
  const by = new Map(kel.units.map((u) => [u.code, u]));
  const svg = svgMap({
    areas: data.shapes,
    label: t('pantau.stunting_map'),
    fill: (f) => stuntingColor(by.get(f.properties.code)?.prevalence_pct),
    title: (f) => {
      const u = by.get(f.properties.code);
      return `${f.properties.name}: ${u?.prevalence_pct == null ? t('na') : `${fmtNumber(u.prevalence_pct, 1)}%`}`;
    },
  });
  svg.addEventListener('click', (e) => {
    const code = e.target.closest('path')?.dataset.code;
    if (code && by.has(code)) {
      $('kel').value = code;
      track(loadStuntingTrend);
    }
  });
  const units = kel.units.slice().sort((a, b) => (a.rank ?? 999) - (b.rank ?? 999));
  $('map-stunting').replaceChildren(svg,
    legend([['< 14%', '#a5d6a7'], ['14\u201320%', '#fff59d'], ['20\u201325%', '#ffcc80'], ['25\u201330%', '#ef9a9a'], ['\u2265 30%', '#c62828'], [t('na'), '#e0e0e0']].map(([label, color]) => ({ label, color }))),
    dataBox({
      id: 'stunting-map',
      columns: [{ key: 'code', label: 'prop.code' }, { key: 'kelurahan', label: 'pantau.kelurahan' }, { key: 'measured', label: 'pantau.measured' },
        { key: 'stunted', label: 'pantau.stunted' }, { key: 'prevalence_pct', label: 'prop.stunting_pct' }, { key: 'rank', label: 'pantau.rank' }],
      rows: units.map((u) => [u.code, u.name, u.measured, u.stunted, u.prevalence_pct, u.rank]),
      digits: [0, 0, 0, 0, 1, 0],
      csvName: `stunting-kelurahan-${kel.period}.csv`,
      open: wide(),
    }));
  register('stunting-map', { period: kel.period, values: Object.fromEntries(kel.units.map((u) => [u.code, u.prevalence_pct])), fills: Object.fromEntries([...svg.querySelectorAll('path')].map((p) => [p.dataset.code, p.getAttribute('fill')])) });
  const pkm = data.stPkm;
  $('pkm-table').replaceChildren(el('h3', {}, `${t('pantau.by_puskesmas')} ${pkm.period}`), dataBox({
    id: 'stunting-puskesmas',
    columns: [{ key: 'code', label: 'prop.code' }, { key: 'puskesmas', label: 'pantau.puskesmas' }, { key: 'measured', label: 'pantau.measured' },
      { key: 'stunted', label: 'pantau.stunted' }, { key: 'prevalence_pct', label: 'prop.stunting_pct' }, { key: 'rank', label: 'pantau.rank' }],
    rows: pkm.units.slice().sort((a, b) => (a.rank ?? 999) - (b.rank ?? 999)).map((u) => [u.code, u.name, u.measured, u.stunted, u.prevalence_pct, u.rank]),
    digits: [0, 0, 0, 0, 1, 0],
    csvName: `stunting-puskesmas-${pkm.period}.csv`,
  }));
}

// ---------------------------------------------------------------- waste

function monthsBack(to, n) {
  const [y, m] = to.split('-').map(Number);
  const d = new Date(Date.UTC(y, m - 1 - (n - 1), 1));
  return d.toISOString().slice(0, 7);
}

async function loadWaste() {
  const current = ticket('waste');
  const kel = $('waste-kel').value;
  const span = Number($('waste-span').value);
  const q = new URLSearchParams();
  if (kel) q.set('kelurahan', kel);
  // the newest month first (the server's default end), then the span back from it
  const first = await api(`/api/waste/trend?${q}`);
  let trend = first.data;
  if (span !== 12) {
    q.set('to', trend.to);
    q.set('from', monthsBack(trend.to, span));
    trend = (await api(`/api/waste/trend?${q}`)).data;
  }
  const [y, m] = trend.to.split('-').map(Number);
  const end = new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
  const [summary, open] = await Promise.all([
    api(`/api/waste/summary?from=${trend.from}-01&to=${end}`).then((r) => r.data),
    api(`/api/waste/reports?status=open&limit=${OPEN_LIMIT}${kel ? `&kelurahan=${encodeURIComponent(kel)}` : ''}`).then((r) => r.data),
  ]);
  await loadKelurahanShapes();
  if (!current()) return;
  data.waste = { trend, summary, open, kel };
  renderWaste();
}

function renderWaste() {
  const w = data.waste;
  if (!w) return;
  const { trend, summary, open, kel } = w;
  const x = trend.months.map((p) => p.period);
  lineChart($('chart-waste-status'), {
    id: 'waste-status', x, stacked: true, digits: 0,
    series: STATUSES.map((s) => ({ key: s, label: t(`status.${s}`), values: trend.months.map((p) => p.by_status[s]), color: STATUS_COLORS[s], digits: 0 })),
    yLabel: t('pantau.reports'),
    csvName: 'laporan-sampah-per-bulan.csv',
  });
  lineChart($('chart-waste-close'), {
    id: 'waste-close', x, digits: 1,
    series: [{ key: 'median_hours_to_close', label: t('pantau.median_hours'), values: trend.months.map((p) => p.median_hours_to_close), color: PALETTE[2], digits: 1 }],
    yLabel: t('pantau.hours'),
    csvName: 'waktu-penyelesaian.csv',
  });
  const area = kel ? summary.kelurahan.find((k) => k.code === kel) : summary.city;
  const median = area?.median_hours_to_close;
  $('waste-figures').replaceChildren(
    el('div', { class: 'figure', id: 'fig-open' }, el('strong', {}, String(open.reports.length)), el('span', {}, t('pantau.open_now'))),
    el('div', { class: 'figure', id: 'fig-median' }, el('strong', {}, median == null ? '\u2013' : `${fmtNumber(median, 1)} ${t('pantau.hours_short')}`),
      el('span', {}, `${t('pantau.median_close')} (${trend.from} \u2013 ${trend.to})`)),
  );
  const shapes = kel ? data.shapes.filter((f) => f.properties.code === kel) : data.shapes;
  const svg = svgMap({
    areas: shapes,
    label: t('pantau.waste_map'),
    fill: () => '#eceff1',
    title: (f) => f.properties.name,
    points: open.reports.map((r) => ({
      lon: r.lon, lat: r.lat, color: STATUS_COLORS[r.status], data: r.reference,
      title: `${r.reference} \u00b7 ${t(`status.${r.status}`)} \u00b7 ${r.category} \u00b7 ${r.kelurahan?.name ?? ''} \u00b7 ${fmtDate(r.reported_at)}`,
    })),
    onPoint: (pt) => handling.open(pt.data),
  });
  $('map-waste').replaceChildren(svg,
    legend(['baru', 'diverifikasi', 'dijadwalkan'].map((s) => ({ label: t(`status.${s}`), color: STATUS_COLORS[s] }))),
    dataBox({
      id: 'waste-open',
      columns: [{ key: 'reference', label: 'col.reference' }, { key: 'status', label: 'col.status' }, { key: 'category', label: 'lapor.category' },
        { key: 'kelurahan', label: 'pantau.kelurahan' }, { key: 'reported_at', label: 'lapor.reported_at' }, { key: 'lon', label: 'lon' }, { key: 'lat', label: 'lat' }],
      rows: open.reports.map((r) => [r.reference, r.status, r.category, r.kelurahan?.name ?? null, r.reported_at, r.lon, r.lat]),
      digits: [0, 0, 0, 0, 0, 5, 5],
      csvName: 'laporan-sampah-terbuka.csv',
      open: wide(),
    }));
  if (open.reports.length >= OPEN_LIMIT) {
    $('map-waste').prepend(el('p', { class: 'muted' }, t('pantau.open_newest').replace('{n}', OPEN_LIMIT)));
  }
  register('waste-open', { count: open.reports.length, refs: open.reports.map((r) => r.reference), median_hours_to_close: median ?? null });
}

// ---------------------------------------------------------------- staff handling

const handling = {
  user: null,
  current: null,
  filter: 'open',
  kel: '',
  reports: [],
  hasMore: false,
  message: '',
  findMessage: '',
  isOfficer() {
    return !!this.user && ['planner', 'admin'].includes(this.user.role);
  },
  async list() {
    const box = $('handling');
    if (!this.user) {
      box.replaceChildren();
      return;
    }
    if (!this.isOfficer()) {
      box.replaceChildren(el('p', { class: 'muted', id: 'handling-denied' }, t('handling.denied')));
      return;
    }
    this.reports = [];
    await this.more();
  },
  /** The next page of the list (newest first). */
  async more() {
    const q = new URLSearchParams({ limit: HANDLING_PAGE, offset: this.reports.length });
    if (this.filter) q.set('status', this.filter);
    if (this.kel) q.set('kelurahan', this.kel);
    const { data: list } = await api(`/api/waste/reports?${q}`);
    this.reports = [...this.reports, ...list.reports];
    this.hasMore = list.reports.length === HANDLING_PAGE;
    this.render();
  },
  render() {
    const box = $('handling');
    if (!this.isOfficer()) return;
    const filter = el('select', { id: 'handling-filter', onchange: (e) => { this.filter = e.target.value; track(() => this.list()); } },
      ['open', ...STATUSES, ''].map((s) => el('option', { value: s, selected: s === this.filter }, s ? t(`status.${s}`) : t('handling.all'))));
    filter.value = this.filter;
    const kel = el('select', { id: 'handling-kel', onchange: (e) => { this.kel = e.target.value; track(() => this.list()); } },
      el('option', { value: '' }, t('pantau.whole_city')),
      (data.stKel?.units || []).slice().sort((a, b) => a.name.localeCompare(b.name)).map((u) => el('option', { value: u.code }, u.name)));
    kel.value = this.kel || '';
    const find = el('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); track(() => this.open($('handling-ref').value)); } },
      el('input', { id: 'handling-ref', placeholder: 'LS-123', 'aria-label': t('col.reference') }),
      el('button', { type: 'submit' }, t('lapor.find')));
    const rows = (this.reports || []).map((r) => el('tr', { class: `pick${this.current?.id === r.id ? ' active' : ''}`, dataset: { ref: r.reference }, onclick: () => track(() => this.open(r.reference)) },
      el('td', {}, r.reference), el('td', {}, el('span', { class: `badge status-${r.status}` }, t(`status.${r.status}`))),
      el('td', {}, r.category), el('td', {}, r.kelurahan?.name ?? ''), el('td', {}, fmtDate(r.reported_at))));
    box.replaceChildren(
      el('div', { class: 'row' }, el('label', { class: 'inline' }, t('col.status'), ' ', filter),
        el('label', { class: 'inline' }, t('pantau.kelurahan'), ' ', kel), find),
      el('p', { class: 'error', id: 'handling-message' }, this.findMessage || ''),
      el('div', { class: 'scroll short' }, el('table', { id: 'handling-list' },
        el('thead', {}, el('tr', {}, ['col.reference', 'col.status', 'lapor.category', 'pantau.kelurahan', 'lapor.reported_at'].map((k) => el('th', {}, t(k))))),
        el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 5 }, t('handling.empty'))))),
        this.hasMore ? el('button', { type: 'button', id: 'handling-more', onclick: () => track(() => this.more()) }, t('handling.more')) : null),
      el('div', { id: 'handling-detail' }, this.current ? this.detail(this.current) : el('p', { class: 'muted' }, t('handling.pick'))),
    );
  },
  async open(ref) {
    if (!this.isOfficer()) {
      location.hash = '#penanganan';
      return;
    }
    try {
      const { data: r } = await api(`/api/waste/reports/${encodeURIComponent(ref.trim())}`);
      this.current = r;
      this.message = '';
      this.findMessage = '';
    } catch (e) {
      this.findMessage = e.status === 404 ? t('lapor.not_found') : e.message;
    }
    this.render();
    $('handling-detail')?.scrollIntoView({ block: 'nearest' });
  },
  detail(r) {
    const form = el('form', { id: 'status-form', class: 'card', onsubmit: (e) => { e.preventDefault(); track(() => this.change(r)); } });
    if (r.next_statuses.length) {
      form.append(
        el('label', { for: 'status-to' }, t('handling.to')),
        el('select', { id: 'status-to' }, r.next_statuses.map((s) => el('option', { value: s }, t(`status.${s}`)))),
        el('label', { for: 'status-note' }, t('field.note')),
        el('textarea', { id: 'status-note', rows: 2, maxlength: 2000 }),
        el('p', {}, el('button', { type: 'submit', class: 'primary', id: 'status-submit' }, t('handling.save'))),
      );
    } else {
      form.append(el('p', { class: 'muted' }, t('handling.final')));
    }
    form.append(el('p', { class: 'error', id: 'status-message' }, this.message || ''));
    return el('div', { class: 'card', id: 'report-detail', dataset: { ref: r.reference } },
      el('h3', {}, `${r.reference} `, el('span', { class: `badge status-${r.status}`, id: 'detail-status' }, t(`status.${r.status}`))),
      el('table', {},
        el('tr', {}, el('td', {}, t('lapor.category')), el('td', {}, r.category)),
        el('tr', {}, el('td', {}, t('lapor.description')), el('td', {}, r.description || '\u2013')),
        el('tr', {}, el('td', {}, t('pantau.kelurahan')), el('td', {}, r.kelurahan?.name ?? '\u2013')),
        el('tr', {}, el('td', {}, t('lapor.location')), el('td', {}, `${r.lat.toFixed(5)}, ${r.lon.toFixed(5)}`)),
        el('tr', {}, el('td', {}, t('lapor.contact')), el('td', { id: 'detail-contact' }, r.contact || '\u2013')),
        el('tr', {}, el('td', {}, t('lapor.reported_at')), el('td', {}, fmtDate(r.reported_at)))),
      r.has_photo ? el('p', {}, el('img', { src: `/api/waste/reports/${r.id}/photo`, alt: t('lapor.photo'), class: 'photo' })) : null,
      el('h3', {}, t('trail.title')),
      trail(r),
      form);
  },
  async change(r) {
    const to = $('status-to').value;
    const note = $('status-note').value.trim();
    try {
      const { data: updated } = await api(`/api/waste/reports/${r.id}/status`, { method: 'POST', body: { status: to, note: note || undefined } });
      this.current = updated;
      this.message = '';
      await this.list();
      await loadWaste();
    } catch (e) {
      this.message = e.message;
      if (e.status === 409) {
        // moved by someone else meanwhile: show where it is now
        const { data: now } = await api(`/api/waste/reports/${r.id}`);
        this.current = now;
      }
      this.render();
    }
  },
};

// ---------------------------------------------------------------- start

function wire() {
  $('commodity').addEventListener('change', () => track(loadPrices));
  $('price-span').addEventListener('change', () => track(loadPrices));
  $('index-market').addEventListener('change', () => track(loadIndex));
  $('pkm').addEventListener('change', () => track(loadStuntingTrend));
  $('kel').addEventListener('change', () => track(loadStuntingTrend));
  $('waste-kel').addEventListener('change', () => track(loadWaste));
  $('waste-span').addEventListener('change', () => track(loadWaste));
  $('stunting-period').addEventListener('change', () => track(loadStuntingMonth));
}

function renderAll() {
  renderAlerts();
  renderPrices();
  renderIndex();
  renderStuntingTrend();
  renderStuntingMap();
  renderWaste();
  handling.render();
  const wk = $('waste-kel');
  if (wk.options[0]) wk.options[0].textContent = t('pantau.whole_city');
  const im = $('index-market');
  if (im.options[0]) im.options[0].textContent = t('pantau.all_markets');
}

async function start() {
  initChrome();
  wire();
  const shapes = loadKelurahanShapes();
  await Promise.all([
    track(async () => { await loadAlerts(); await loadPrices(); }),
    track(loadIndex),
    track(async () => { await loadStuntingUnits(); await Promise.all([loadStuntingTrend(), shapes.then(loadStuntingMap)]); }),
    track(async () => { await shapes; await loadWaste(); }),
  ]);
  S.dashboardMs = performance.now();
  // a link to a section (e.g. /pantau#penanganan from the front door): the charts above it
  // have grown since the browser scrolled there
  document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
  onLang(renderAll);
  document.documentElement.dataset.lang = lang();
  await authBox($('auth'), (user) => {
    handling.user = user;
    track(() => handling.list());
  }, { allowRegister: false });
}

start();
