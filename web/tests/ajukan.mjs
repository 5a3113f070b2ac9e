// The applicants' page: draw a parcel by clicking on the map, pick an activity, enter building
// figures and see the check decision (with the findings listed); at phone width too.
import { BASE, run, newPage, waitForMapIdle, waitIdle, assert } from './lib.mjs';

/** Zooms to the middle of a rendered housing zone (sub-zone R-*) and returns nothing. */
export async function zoomToHousing(page, zoom = 18) {
  const center = await page.evaluate(() => {
    const map = window.__ruang.map;
    const zones = map.queryRenderedFeatures({ layers: ['zones-fill'] })
      .filter((f) => /^R-/.test(f.properties.subzone_code) && f.geometry.type === 'Polygon');
    // the biggest one on screen, so a small square around its middle stays inside it
    let best = null, bestSize = 0;
    for (const f of zones) {
      const ring = f.geometry.coordinates[0];
      const xs = ring.map((c) => c[0]), ys = ring.map((c) => c[1]);
      const size = (Math.max(...xs) - Math.min(...xs)) * (Math.max(...ys) - Math.min(...ys));
      if (size > bestSize) { bestSize = size; best = f; }
    }
    if (!best) return null;
    // a point well inside: the interior point maplibre's label would use is not exposed, so
    // take the centroid of the ring's vertices and check it lies in the zone
    const ring = best.geometry.coordinates[0];
    const c = ring.slice(1).reduce((a, p) => [a[0] + p[0], a[1] + p[1]], [0, 0]).map((v) => v / (ring.length - 1));
    return { center: c, code: best.properties.subzone_code };
  });
  assert(center, 'no housing zone on screen');
  await page.evaluate(({ c, zoom }) => window.__ruang.map.jumpTo({ center: c, zoom }), { c: center.center, zoom });
  await waitIdle(page);
  return center;
}

/** Draws a square of `half` px around the map's centre by clicking its corners. */
export async function drawSquare(page, half = 25) {
  await page.locator('#draw-polygon').click();
  const box = await page.locator('#map canvas').boundingBox();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const pts = [[-half, -half], [half, -half], [half, half], [-half, half], [-half, -half]];
  for (const [dx, dy] of pts) {
    await page.mouse.move(cx + dx, cy + dy, { steps: 3 });
    await page.mouse.click(cx + dx, cy + dy);
    await page.waitForTimeout(150);
  }
  await page.waitForFunction(() => window.__ruang.form.parcel !== null, null, { timeout: 5000 });
}

export async function pickActivity(page, q = '47111') {
  await page.locator('#kbli-search').fill(q);
  await page.locator('#kbli-results li[data-code]').first().waitFor({ timeout: 5000 });
  await page.locator('#kbli-results li[data-code]').first().click();
}

export async function waitDecision(page, after = 0) {
  await page.waitForFunction((n) => (window.__ruang.checks || 0) > n, after, { timeout: 10000 });
  return page.evaluate(() => window.__ruang.form.decision);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run('ajukan', [
    ['draw a parcel and see a decision', async (ctx) => {
      const { page } = await newPage(ctx.browser);
      ctx.page = page;
      await page.goto(`${BASE}/ajukan`);
      await waitForMapIdle(page);
      const zone = await zoomToHousing(page);
      await drawSquare(page);
      await pickActivity(page, '47111');
      const d = await waitDecision(page);
      assert(d && d.outcome, 'no decision');
      const badge = await page.locator('#outcome').innerText();
      assert(badge.length > 0, 'no outcome shown');
      const findings = await page.locator('#result ul.findings li').count();
      assert(findings > 0, 'no findings listed');
      ctx.metrics.first = { zone: zone.code, outcome: d.outcome, area: d.parcel_area_m2, findings };
      assert(d.parcel_area_m2 > 50 && d.parcel_area_m2 < 20000, `odd parcel area ${d.parcel_area_m2}`);
    }],
    ['building figures re-check: too many floors is refused', async (ctx) => {
      const page = ctx.page;
      const n = await page.evaluate(() => window.__ruang.checks);
      await page.locator('#fig-floors').fill('40');
      await page.locator('#fig-height_m').fill('160');
      const d = await waitDecision(page, n);
      ctx.metrics.tall = d.outcome;
      assert(d.outcome === 'DITOLAK', `40 floors / 160 m: ${d.outcome}`);
      await page.locator('#result li.fail[data-rule="floors"], #result li.fail[data-rule="height"]').first().waitFor({ timeout: 5000 });
    }],
    ['upload a GeoJSON parcel', async (ctx) => {
      const page = ctx.page;
      const parcel = await page.evaluate(() => window.__ruang.form.parcel);
      const n = await page.evaluate(() => window.__ruang.checks);
      await page.locator('#upload').setInputFiles({
        name: 'persil.geojson',
        mimeType: 'application/geo+json',
        buffer: Buffer.from(JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: parcel }] })),
      });
      const d = await waitDecision(page, n);
      assert(d.outcome, 'no decision after upload');
      const status = await page.locator('#parcel-status').innerText();
      assert(/persil\.geojson/.test(status), status);
    }],
    ['phone width: draw and see a decision', async (ctx) => {
      const { page } = await newPage(ctx.browser, { width: 360, height: 740 });
      ctx.page = page;
      await page.goto(`${BASE}/ajukan`);
      await waitForMapIdle(page);
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
      assert(scroll <= 360, `page wider than the phone: ${scroll}`);
      await zoomToHousing(page);
      await drawSquare(page, 20);
      await pickActivity(page, '47111');
      const d = await waitDecision(page);
      assert(d.outcome, 'no decision at phone width');
    }],
  ]);
}
