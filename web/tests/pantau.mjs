// The monitoring dashboard (/pantau): every chart shows the numbers the API gives for the demo
// city, the filters change them, each chart's table and CSV hold the same numbers, English, and
// a phone-width layout; measures the time to a complete dashboard (printed, not asserted).
import { readFile } from 'node:fs/promises';
import { BASE, run, newPage, assert } from './lib.mjs';

const LOADS = Number(process.env.RUANG_WEB_LOADS || 3);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function getJson(path) {
  const res = await fetch(`${BASE}${path}`, { headers: { Accept: 'application/json' } });
  assert(res.ok, `${path}: HTTP ${res.status}`);
  return res.json();
}

function same(a, b, what) {
  const A = JSON.stringify(a);
  const B = JSON.stringify(b);
  assert(A === B, `${what}: page ${A.slice(0, 300)} != API ${B.slice(0, 300)}`);
}

async function openDashboard(page) {
  await page.goto(`${BASE}/pantau`);
  await page.waitForFunction(() => window.__ruang && window.__ruang.dashboardMs !== null, null, { timeout: 30000 });
  const errors = await page.evaluate(() => window.__ruang.errors || []);
  assert(!errors.length, `dashboard errors: ${errors.join('; ')}`);
  return page.evaluate(() => window.__ruang.dashboardMs);
}

/** Runs `act` and waits until the page's requests are done and it has drawn again. */
async function settle(page, act) {
  const before = await page.evaluate(() => window.__ruang.renders);
  await act();
  await page.waitForFunction((b) => window.__ruang.renders > b && window.__ruang.busy === 0, before, { timeout: 20000 });
}

const chart = (page, id) => page.evaluate((id) => window.__ruang.charts[id], id);
const series = (c, key) => c.series.find((s) => s.key === key);

await run('pantau', [
  ['time to a complete dashboard', async (ctx) => {
    const times = [];
    for (let i = 0; i < LOADS; i++) {
      const { context, page } = await newPage(ctx.browser);
      ctx.page = page;
      times.push(await openDashboard(page));
      await context.close();
    }
    ctx.metrics.dashboard_ms = times.map(Math.round);
    ctx.metrics.dashboard_median_ms = Math.round(median(times));
  }],
  ['prices: weekly prices by market with the HET, as the API gives them', async (ctx) => {
    const { page } = await newPage(ctx.browser);
    ctx.page = page;
    await openDashboard(page);
    const c = await chart(page, 'prices');
    const api = await getJson('/api/prices/series?commodity=beras_medium');
    same(c.x, api.weeks, 'weeks');
    assert(api.markets.length === 6 && c.series.filter((s) => !s.key.startsWith('reference')).length === 6, 'six markets drawn');
    for (const m of api.markets) same(series(c, m.code).values, m.prices, `prices of ${m.code}`);
    same(series(c, 'reference_max').values, api.reference_max, 'HET line');
    assert(api.reference_max.some((v) => v === 14000), 'the 2025 HET of 14,000 is in the series');
    assert(c.plotted === api.weeks.length, 'uPlot holds every week');
    const canvas = await page.locator('#chart-prices canvas').first().boundingBox();
    assert(canvas && canvas.width > 300 && canvas.height > 100, 'the price chart is drawn');
    ctx.metrics.price_weeks = api.weeks.length;
  }],
  ['prices: current alerts with their reasons', async (ctx) => {
    const page = ctx.page;
    const c = await chart(page, 'alerts');
    const api = await getJson('/api/prices/alerts');
    same(c.rows.map((r) => [r.market, r.commodity, r.level, r.price]),
      api.alerts.map((a) => [a.market.code, a.commodity.code, a.alert.level, a.price]), 'alerts');
    same(c.rows.map((r) => r.reasons), api.alerts.map((a) => a.alert.reasons.map((r) => r.code)), 'alert reasons');
    assert((await page.locator('#alerts-table tbody tr').count()) === api.alerts.length, 'one row per alert');
    const counts = await page.locator('#alert-counts').innerText();
    assert(counts.includes(`Merah: ${api.counts.red}`), `red count shown: ${counts}`);
    ctx.metrics.alerts = api.alerts.length;
  }],
  ['prices: the city price index', async (ctx) => {
    const c = await chart(ctx.page, 'index');
    const api = await getJson('/api/prices/index');
    same(c.x, api.series.map((p) => p.period), 'index months');
    same(series(c, 'index').values, api.series.map((p) => p.index), 'index values');
    same(c.table.find((s) => s.key === 'mom_pct').values, api.series.map((p) => p.mom_pct), 'monthly change in the table');
    assert(c.series.find((s) => s.ref).values.every((v) => v === 100), 'base line at 100');
  }],
  ['stunting: city, Puskesmas and kelurahan against the national target', async (ctx) => {
    const page = ctx.page;
    const c = await chart(page, 'stunting');
    const city = await getJson('/api/stunting/trend?unit=53.71');
    same(series(c, '53.71').values, city.series.map((p) => p.prevalence_pct), 'city prevalence');
    const target = c.series.find((s) => s.ref);
    assert(target && target.values.every((v) => v === 14), 'national target line at 14%');
    const pkm = await page.locator('#pkm').inputValue();
    const byPkm = await getJson('/api/stunting?by=puskesmas');
    assert(byPkm.units.find((u) => u.rank === 1).code === pkm, 'the worst Puskesmas area is shown first');
    const pt = await getJson(`/api/stunting/trend?unit=${pkm}`);
    same(series(c, pkm).values, pt.series.map((p) => p.prevalence_pct), 'Puskesmas prevalence');
  }],
  ['stunting: the latest month by kelurahan on a map', async (ctx) => {
    const page = ctx.page;
    const c = await chart(page, 'stunting-map');
    const api = await getJson('/api/stunting?by=kelurahan');
    assert(c.period === api.period, 'the latest month');
    for (const u of api.units) assert(c.values[u.code] === u.prevalence_pct, `prevalence of ${u.name}`);
    const paths = await page.locator('#map-stunting svg path').count();
    assert(paths >= api.units.length, `${paths} kelurahan drawn`);
    const worst = api.units.find((u) => u.prevalence_pct >= 30) || api.units.find((u) => u.rank === 1);
    const fill = await page.locator(`#map-stunting path[data-code="${worst.code}"]`).getAttribute('fill');
    assert(fill === (worst.prevalence_pct >= 30 ? '#c62828' : fill) && fill !== '#e0e0e0', `a kelurahan with data is coloured (${fill})`);
    ctx.metrics.stunting_period = api.period;
  }],
  ['cleanliness: reports by status, time to close, open reports', async (ctx) => {
    const page = ctx.page;
    const trend = await getJson('/api/waste/trend');
    const c = await chart(page, 'waste-status');
    same(c.x, trend.months.map((m) => m.period), 'months');
    for (const s of ['baru', 'diverifikasi', 'dijadwalkan', 'selesai', 'ditolak']) {
      same(series(c, s).values, trend.months.map((m) => m.by_status[s]), `${s} per month`);
    }
    const close = await chart(page, 'waste-close');
    same(series(close, 'median_hours_to_close').values, trend.months.map((m) => m.median_hours_to_close), 'median hours');
    const open = await getJson('/api/waste/reports?status=open&limit=1000');
    const o = await chart(page, 'waste-open');
    assert(o.count === open.reports.length && o.count > 0, `open reports: ${o.count} vs ${open.reports.length}`);
    assert((await page.locator('#map-waste circle').count()) === open.reports.length, 'one dot per open report');
    const [y, m] = trend.to.split('-').map(Number);
    const end = new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
    const summary = await getJson(`/api/waste/summary?from=${trend.from}-01&to=${end}`);
    assert(o.median_hours_to_close === summary.city.median_hours_to_close, 'median time to close of the period');
    ctx.metrics.open_reports = o.count;
  }],
  ['filters change the charts', async (ctx) => {
    const page = ctx.page;
    await settle(page, () => page.selectOption('#commodity', 'cabai_rawit_merah'));
    let c = await chart(page, 'prices');
    let api = await getJson('/api/prices/series?commodity=cabai_rawit_merah');
    same(series(c, 'oeba').values, api.markets.find((m) => m.code === 'oeba').prices, 'chilli prices');
    same(series(c, 'reference_max').values, api.reference_max, 'HAP max line');
    same(series(c, 'reference_min').values, api.reference_min, 'HAP min line');
    await settle(page, () => page.locator('#markets input[value="oeba"]').uncheck());
    c = await chart(page, 'prices');
    assert(!series(c, 'oeba') && c.series.filter((s) => !s.key.startsWith('reference')).length === 5, 'Pasar Oeba left out');
    await settle(page, () => page.selectOption('#price-span', '13'));
    c = await chart(page, 'prices');
    assert(c.x.length === 13, `13 weeks: ${c.x.length}`);
    api = await getJson(`/api/prices/series?commodity=cabai_rawit_merah&market=${c.series.filter((s) => !s.key.startsWith('reference')).map((s) => s.key).join(',')}&from=${c.x[0]}&to=${c.x.at(-1)}`);
    same(series(c, 'oesapa').values, api.markets.find((m) => m.code === 'oesapa').prices, 'three months of Oesapa');

    await settle(page, () => page.selectOption('#index-market', 'penfui'));
    c = await chart(page, 'index');
    api = await getJson('/api/prices/index?market=penfui');
    same(series(c, 'index').values, api.series.map((p) => p.index), 'index of Pasar Penfui');

    await settle(page, () => page.selectOption('#pkm', 'pkm-oesapa'));
    c = await chart(page, 'stunting');
    api = await getJson('/api/stunting/trend?unit=pkm-oesapa');
    same(series(c, 'pkm-oesapa').values, api.series.map((p) => p.prevalence_pct), 'Puskesmas Oesapa');

    const kel = (await getJson('/api/stunting?by=kelurahan')).units.find((u) => u.name === 'Oebobo');
    await settle(page, () => page.locator(`#map-stunting path[data-code="${kel.code}"]`).click());
    assert((await page.locator('#kel').inputValue()) === kel.code, 'a click on the map picks the kelurahan');
    c = await chart(page, 'stunting');
    api = await getJson(`/api/stunting/trend?unit=${kel.code}`);
    same(series(c, kel.code).values, api.series.map((p) => p.prevalence_pct), 'kelurahan Oebobo');

    // an earlier month on the stunting map
    const months = (await getJson('/api/stunting/trend?unit=53.71')).series.map((p) => p.period);
    await settle(page, () => page.selectOption('#stunting-period', months[0]));
    c = await chart(page, 'stunting-map');
    api = await getJson(`/api/stunting?by=kelurahan&period=${months[0]}`);
    assert(c.period === months[0], `map month ${c.period}`);
    for (const u of api.units) assert(c.values[u.code] === u.prevalence_pct, `${months[0]}: ${u.name}`);
    const pkmTable = await page.locator('#pkm-table h3').innerText();
    assert(pkmTable.endsWith(months[0]), `Puskesmas table of ${months[0]}: ${pkmTable}`);

    const busiest = (await getJson('/api/waste/summary')).kelurahan[0];
    await settle(page, () => page.selectOption('#waste-kel', busiest.code));
    c = await chart(page, 'waste-status');
    api = await getJson(`/api/waste/trend?kelurahan=${busiest.code}`);
    same(series(c, 'selesai').values, api.months.map((m) => m.by_status.selesai), `done reports in ${busiest.name}`);
    const o = await chart(page, 'waste-open');
    const open = await getJson(`/api/waste/reports?status=open&limit=1000&kelurahan=${busiest.code}`);
    assert(o.count === open.reports.length && o.count === busiest.open, `open reports in ${busiest.name}`);
    await settle(page, () => page.selectOption('#waste-span', '24'));
    c = await chart(page, 'waste-status');
    assert(c.x.length === 24, '24 months');
  }],
  ['every chart has its table and CSV', async (ctx) => {
    const page = ctx.page;
    for (const id of ['prices', 'index', 'stunting', 'stunting-map', 'stunting-puskesmas', 'waste-status', 'waste-close', 'waste-open']) {
      assert(await page.locator(`table[data-chart="${id}"]`).count() === 1, `table of ${id}`);
      assert(await page.locator(`button[data-csv="${id}"]`).count() === 1, `CSV of ${id}`);
    }
    const c = await chart(page, 'prices');
    await page.locator('#chart-prices details summary').click();
    const rows = await page.locator('table[data-chart="prices"] tbody tr').count();
    assert(rows === c.x.length, `a row per week (${rows})`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('button[data-csv="prices"]').click(),
    ]);
    const text = await readFile(await download.path(), 'utf8');
    const lines = text.trim().split(/\r?\n/);
    const header = lines[0].split(',');
    assert(header[0] === 'period' && header.includes('oesapa') && header.includes('reference_max'), `CSV header: ${lines[0]}`);
    assert(lines.length === c.x.length + 1, 'a CSV line per week');
    const col = header.indexOf('oesapa');
    const last = lines.at(-1).split(',');
    assert(Number(last[col]) === series(c, 'oesapa').values.at(-1), `CSV value ${last[col]}`);
  }],
  ['English', async (ctx) => {
    const page = ctx.page;
    await page.click('#lang');
    assert((await page.locator('h1').innerText()) === 'Kota Kupang monitoring', 'English title');
    const legend = await page.locator('#chart-waste-status .u-legend').innerText();
    assert(legend.includes('Done') && legend.includes('Rejected'), `English statuses: ${legend.slice(0, 200)}`);
    await page.click('#lang');
    assert((await page.locator('h1').innerText()) === 'Pantau Kota Kupang', 'back to Indonesian');
  }],
  ['phone width', async (ctx) => {
    const { page } = await newPage(ctx.browser, { width: 360, height: 740 });
    ctx.page = page;
    const ms = await openDashboard(page);
    ctx.metrics.dashboard_phone_ms = Math.round(ms);
    const wide = await page.evaluate(() => document.querySelector('main').scrollWidth);
    assert(wide <= 360, `nothing wider than the phone (${wide})`);
    const box = await page.locator('#chart-prices canvas').first().boundingBox();
    assert(box && box.width <= 340 && box.width > 200, `price chart fits (${box?.width})`);
    const mapBox = await page.locator('#map-stunting svg').boundingBox();
    assert(mapBox && mapBox.width <= 340, 'map fits');
  }],
]);
