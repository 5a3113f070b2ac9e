// Charts of the monitoring dashboard: uPlot (the npm package, served from /assets/vendor/uplot)
// with, under every chart, its numbers as a table and as a CSV download. Every chart registers
// itself in window.__ruang.charts[id] with the numbers it drew, so the browser tests compare
// them with the API.
import uPlot from 'uplot';
import { el, t, fmtNumber } from './common.js';

export const PALETTE = ['#1565c0', '#c62828', '#2e7d32', '#6a1b9a', '#ef6c00', '#00838f', '#5d4037', '#ad1457', '#455a64'];

const registry = (window.__ruang ||= {}).charts ||= {};

/** Seconds since 1970 (UTC) of 'YYYY-MM' or 'YYYY-MM-DD'. */
export function toTime(s) {
  const [y, m, d] = s.split('-').map(Number);
  return Date.UTC(y, (m || 1) - 1, d || 1) / 1000;
}

/** Rows of a CSV file (RFC 4180 quoting). */
export function csvText(header, rows) {
  const cell = (v) => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** Offers `text` as a file download. */
export function download(name, text, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/**
 * A table of the numbers with a CSV button: `columns` [{key, label}] (label: i18n key or text),
 * `rows` arrays of values in column order; `digits` per column for display; `open`: the table
 * shown at first.
 */
export function dataBox({ id, columns, rows, csvName, digits = [], open = false }) {
  const head = columns.map((c) => t(c.label));
  const table = el('table', { class: 'numbers', 'data-chart': id },
    el('thead', {}, el('tr', {}, head.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((v, i) => el('td', { class: typeof v === 'number' ? 'n' : '' },
      typeof v === 'number' ? fmtNumber(v, digits[i] ?? 2) : (v ?? '\u2013')))))));
  const details = el('details', { class: 'numbers', open }, el('summary', {}, t('chart.table')), el('div', { class: 'scroll' }, table));
  const csv = el('button', {
    type: 'button', class: 'csv', 'data-csv': id,
    onclick: () => download(csvName, csvText(columns.map((c) => c.key), rows)),
  }, t('chart.csv'));
  return el('div', { class: 'chart-data' }, details, csv);
}

function sizeOf(box, height) {
  return { width: Math.max(260, Math.floor(box.clientWidth || 300)), height };
}

/**
 * Draws a chart into `box` (replacing what was there).
 * - `x`: labels ('YYYY-MM' or 'YYYY-MM-DD'), drawn as time;
 * - `series`: [{label, values, color, dash, bars, width, digits}];
 * - `stacked`: bars stacked in series order (values are the counts, not the sums);
 * - `yLabel`, `refLines`: [{label, value, color}] horizontal lines (e.g. the national target);
 * - `fromZero`: the y axis starts at 0 (default; off for an index around 100);
 * - `tableOnly`: more columns [{key, label, values, digits}] for the table and CSV, not drawn.
 * The table and CSV hold x, every series and `tableOnly`, as numbers (not the stacked sums).
 */
export function lineChart(box, { id, x, series, yLabel = '', stacked = false, fromZero = true, height = 260, refLines = [], tableOnly = [], csvName, digits = 2 }) {
  box._chart?.ro.disconnect();
  box._chart?.u.destroy();
  box.replaceChildren();
  const xs = x.map(toTime);
  const all = [...series, ...refLines.map((r) => ({ label: r.label, values: x.map(() => r.value), color: r.color, dash: [6, 4], ref: true }))];
  let drawn = all.map((s) => s.values.map((v) => (v === undefined ? null : v)));
  if (stacked) {
    // bars stacked: each series is drawn as the running sum up to it, the largest first
    const sums = [];
    let acc = x.map(() => 0);
    for (const s of series) {
      acc = acc.map((a, i) => a + (s.values[i] || 0));
      sums.push(acc);
    }
    drawn = sums.slice().reverse();
  }
  const ordered = stacked ? series.slice().reverse() : all;
  const raw = stacked ? ordered.map((s) => s.values) : drawn;
  const bars = uPlot.paths.bars({ size: [0.7, 40] });
  const opts = {
    ...sizeOf(box, height),
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: {
      x: { time: true },
      y: {
        range: (u, min, max) => {
          if (min == null || max == null) return [0, 1];
          if (fromZero || stacked) return [Math.min(0, min), max > 0 ? max * 1.08 : 1];
          const pad = Math.max((max - min) * 0.1, Math.abs(max) * 0.01, 0.5);
          return [min - pad, max + pad];
        },
      },
    },
    axes: [{}, { label: yLabel, size: 64, values: (u, ticks) => ticks.map((v) => fmtNumber(v, 1)) }],
    legend: { live: true },
    series: [
      { label: t('chart.period'), value: (u, v) => (v == null ? '\u2013' : x[xs.indexOf(v)] ?? '') },
      ...ordered.map((s, i) => ({
        label: s.label,
        stroke: s.color || PALETTE[i % PALETTE.length],
        fill: stacked ? (s.color || PALETTE[i % PALETTE.length]) : undefined,
        width: s.width ?? (s.ref ? 1.5 : 2),
        dash: s.dash,
        spanGaps: !stacked,
        paths: stacked || s.bars ? bars : undefined,
        points: { show: !stacked && !s.ref && x.length <= 40 },
        value: (u, v, si, idx) => {
          const r = raw[si - 1]?.[idx];
          return r == null ? '\u2013' : fmtNumber(r, s.digits ?? digits);
        },
      })),
    ],
  };
  const plotBox = el('div', { class: 'plot' });
  box.append(plotBox);
  const u = new uPlot(opts, [xs, ...drawn], plotBox);
  const ro = new ResizeObserver(() => u.setSize(sizeOf(box, height)));
  ro.observe(box);
  box._chart = { u, ro };
  const cols = [...all, ...tableOnly];
  const columns = [{ key: 'period', label: 'chart.period' }, ...cols.map((s) => ({ key: s.key || s.label, label: s.label }))];
  const rows = x.map((p, i) => [p, ...cols.map((s) => s.values[i] ?? null)]);
  box.append(dataBox({ id, columns, rows, csvName: csvName || `${id}.csv`, digits: [0, ...cols.map((s) => s.digits ?? digits)] }));
  registry[id] = {
    id,
    x: x.slice(),
    series: all.map((s) => ({ label: s.label, key: s.key, values: s.values.slice(), ref: !!s.ref })),
    table: tableOnly.map((s) => ({ label: s.label, key: s.key, values: s.values.slice() })),
    plotted: u.data[0].length,
  };
  return u;
}

/** Registers a non-uPlot chart (the SVG maps) with its numbers. */
export function register(id, entry) {
  registry[id] = { id, ...entry };
}
