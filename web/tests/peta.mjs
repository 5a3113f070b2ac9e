// The planners' map: loads, renders zones and Puskesmas, shows popups, switches layers and
// language, finds a kelurahan, works at phone width; measures the time to the first idle map.
import { BASE, run, newPage, waitForMapIdle, waitIdle, assert } from './lib.mjs';

const LOADS = Number(process.env.RUANG_WEB_LOADS || 5);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function rendered(page, layer) {
  return page.evaluate((layer) => window.__ruang.map.queryRenderedFeatures({ layers: [layer] }).length, layer);
}

/** Screen point of a rendered feature of `layer` (its first vertex / point) well inside the view. */
async function pointOf(page, layer) {
  return page.evaluate((layer) => {
    const map = window.__ruang.map;
    const c = map.getCanvas();
    const w = c.clientWidth, h = c.clientHeight;
    for (const f of map.queryRenderedFeatures({ layers: [layer] })) {
      if (f.geometry.type === 'Point') {
        const p = map.project(f.geometry.coordinates);
        if (p.x > 40 && p.y > 40 && p.x < w - 40 && p.y < h - 40) return { x: p.x, y: p.y };
      }
    }
    // polygons: probe a grid for a pixel on the layer
    for (let y = 60; y < h - 60; y += 25) {
      for (let x = 60; x < w - 60; x += 25) {
        const here = map.queryRenderedFeatures([x, y]).map((f) => f.layer.id);
        const near = map.queryRenderedFeatures([[x - 6, y - 6], [x + 6, y + 6]]).map((f) => f.layer.id);
        const other = near.some((id) => /circle|puskesmas|posyandu|parcels|stunting/.test(id));
        if (here.includes(layer) && !other) return { x, y };
      }
    }
    return null;
  }, layer);
}

async function clickMap(page, pt) {
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + pt.x, box.y + pt.y);
}

await run('peta', [
  ['time to first idle map', async (ctx) => {
    const times = [];
    for (let i = 0; i < LOADS; i++) {
      const { context, page } = await newPage(ctx.browser);
      ctx.page = page;
      await page.goto(`${BASE}/peta`);
      times.push(await waitForMapIdle(page));
      await context.close();
    }
    ctx.metrics.first_idle_ms = times.map(Math.round);
    ctx.metrics.first_idle_median_ms = Math.round(median(times));
  }],
  ['map renders zones and Puskesmas', async (ctx) => {
    const { page } = await newPage(ctx.browser);
    ctx.page = page;
    await page.goto(`${BASE}/peta`);
    await waitForMapIdle(page);
    const zones = await rendered(page, 'zones-fill');
    const pkm = await rendered(page, 'health-puskesmas');
    ctx.metrics.rendered = { zones, puskesmas: pkm };
    assert(zones > 0, `no zones rendered (${zones})`);
    assert(pkm > 0, `no Puskesmas rendered (${pkm})`);
    const legend = await page.locator('#legend .item').count();
    assert(legend > 5, `legend has ${legend} entries`);
  }],
  ['click on a zone shows its rules and what may be built', async (ctx) => {
    const page = ctx.page;
    const pt = await pointOf(page, 'zones-fill');
    assert(pt, 'no zone pixel found');
    await clickMap(page, pt);
    const popup = page.locator('.maplibregl-popup .popup[data-layer="zones-fill"]');
    await popup.waitFor({ timeout: 5000 });
    await popup.locator('details.itbx-X').waitFor({ timeout: 10000 });
    const text = await popup.innerText();
    assert(/KDB maks/.test(text), `popup without intensity: ${text}`);
    assert(/diizinkan/.test(text), `popup without ITBX lists: ${text}`);
    await page.keyboard.press('Escape');
    await page.evaluate(() => document.querySelectorAll('.maplibregl-popup').forEach((p) => p.remove()));
  }],
  ['click on a Puskesmas shows its attributes', async (ctx) => {
    const page = ctx.page;
    const pt = await pointOf(page, 'health-puskesmas');
    assert(pt, 'no Puskesmas on screen');
    await clickMap(page, pt);
    const popup = page.locator('.maplibregl-popup .popup[data-layer="health-puskesmas"]');
    await popup.waitFor({ timeout: 5000 });
    // the trend either draws or says that the data is not there yet
    await page.waitForFunction(() => {
      const p = document.querySelector('.maplibregl-popup .popup');
      return p && (p.querySelector('svg.spark') || p.querySelector('.na'));
    }, null, { timeout: 10000 });
    const text = await popup.innerText();
    assert(/Puskesmas/.test(text), `popup: ${text}`);
    assert(await popup.locator('svg.spark circle').count() > 1, `no stunting trend chart: ${text}`);
    await page.evaluate(() => document.querySelectorAll('.maplibregl-popup').forEach((p) => p.remove()));
  }],
  ['click on a market shows its latest prices and alert levels', async (ctx) => {
    const page = ctx.page;
    const pt = await pointOf(page, 'markets-circle');
    assert(pt, 'no market on screen');
    await clickMap(page, pt);
    const popup = page.locator('.maplibregl-popup .popup[data-layer="markets-circle"]');
    await popup.waitFor({ timeout: 5000 });
    await popup.locator('table.prices').waitFor({ timeout: 10000 });
    const rows = await popup.locator('table.prices tr').count();
    ctx.metrics.market_price_rows = rows - 1;
    assert(rows > 2, `price table has ${rows} rows`);
    const text = await popup.innerText();
    assert(/Rp/.test(text), text);
    await page.evaluate(() => document.querySelectorAll('.maplibregl-popup').forEach((p) => p.remove()));
  }],
  ['layer switcher hides Puskesmas', async (ctx) => {
    const page = ctx.page;
    await page.locator('#layer-puskesmas').uncheck();
    await waitIdle(page);
    assert((await rendered(page, 'health-puskesmas')) === 0, 'Puskesmas still drawn');
    await page.locator('#layer-puskesmas').check();
  }],
  ['search a kelurahan flies there', async (ctx) => {
    const page = ctx.page;
    const before = await page.evaluate(() => window.__ruang.map.getZoom());
    await page.locator('#search').fill('oebobo');
    await page.locator('#search-results li[data-code]').first().waitFor({ timeout: 5000 });
    await page.locator('#search-results li[data-code]').first().click();
    await page.waitForFunction((z) => window.__ruang.map.getZoom() > z + 0.5, before, { timeout: 10000 });
    const code = await page.evaluate(() => window.__ruang.lastPlace.code);
    assert(/^53\.71\./.test(code), code);
  }],
  ['stunting map for a month', async (ctx) => {
    const page = ctx.page;
    await page.locator('#stunting-month').fill('2026-10');
    await page.locator('#stunting-month').dispatchEvent('change');
    await page.waitForFunction(() => !/memuat/.test(document.getElementById('stunting-status').textContent), null, { timeout: 10000 });
    await waitIdle(page);
    assert(await page.evaluate(() => window.__ruang.map.getLayoutProperty('stunting-fill', 'visibility') === 'visible'), 'choropleth hidden');
    const n = await rendered(page, 'stunting-fill');
    assert(n > 0, 'no kelurahan drawn in the stunting map');
    const status = await page.locator('#stunting-status').innerText();
    assert(/2026-10: \d+ kelurahan/.test(status) || /Periode 2026-10/.test(status), `stunting status: ${status}`);
    // the colours come from that month's figures: a match on kelurahan codes
    const colour = await page.evaluate(() => window.__ruang.map.getPaintProperty('stunting-fill', 'fill-color'));
    assert(Array.isArray(colour) && colour[0] === 'match', JSON.stringify(colour).slice(0, 200));
  }],
  ['English switch', async (ctx) => {
    const page = ctx.page;
    await page.locator('#lang').click();
    const h = await page.locator('#panel h1').innerText();
    assert(/planners/i.test(h), `title after switch: ${h}`);
    await page.locator('#lang').click();
  }],
  ['phone width (360 px): map fills the screen, panel opens', async (ctx) => {
    const { page } = await newPage(ctx.browser, { width: 360, height: 740 });
    ctx.page = page;
    await page.goto(`${BASE}/peta`);
    await waitForMapIdle(page);
    const box = await page.locator('#map').boundingBox();
    assert(box.width >= 350 && box.height > 500, `map box ${JSON.stringify(box)}`);
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    assert(scroll <= 360, `page wider than the phone: ${scroll}`);
    await page.locator('#panel-toggle').click();
    assert(await page.locator('#search').isVisible(), 'search not visible after opening the panel');
    assert((await rendered(page, 'zones-fill')) > 0, 'no zones at phone width');
  }],
]);
