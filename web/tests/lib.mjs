// Shared by the browser tests: starts Debian's chromium headless through playwright-core, runs
// named steps, saves a screenshot of the page when a step fails, prints one JSON line with the
// results and exits 0 only when every step passed.
//
// Usage: node web/tests/<test>.mjs BASE_URL   (screenshots go to $RUANG_WEB_SHOTS or
// /tmp/ruang-web-shots)
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const BASE = (process.argv[2] || process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
export const SHOTS = process.env.RUANG_WEB_SHOTS || '/tmp/ruang-web-shots';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

export async function launch() {
  return chromium.launch({
    executablePath: process.env.RUANG_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** A fresh context and page with console errors collected. */
export async function newPage(browser, { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'id-ID' });
  const page = await context.newPage();
  page.consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => page.consoleErrors.push(`pageerror: ${e.message}`));
  return { context, page };
}

/** Waits until the map of the page has fired its first `idle` and returns the time it took. */
export async function waitForMapIdle(page, timeout = 30000) {
  await page.waitForFunction(() => window.__ruang && window.__ruang.firstIdleMs !== null, null, { timeout });
  return page.evaluate(() => window.__ruang.firstIdleMs);
}

/** Waits until the map is idle again after an interaction. */
export async function waitIdle(page, timeout = 20000) {
  await page.evaluate((timeout) => new Promise((resolve, reject) => {
    const map = window.__ruang.map;
    const timer = setTimeout(() => reject(new Error('map not idle')), timeout);
    const done = () => { clearTimeout(timer); resolve(); };
    if (map.loaded() && map.areTilesLoaded() && !map.isMoving()) done();
    else map.once('idle', done);
  }), timeout);
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/**
 * Runs `steps` ([name, async fn(ctx)]) in order with one browser; stops at the first failure,
 * saving a screenshot of `ctx.page` (and `ctx.pages`). Prints {ok, test, steps, metrics} as JSON.
 */
export async function run(test, steps) {
  const out = { test, ok: true, steps: [], metrics: {}, shots: [] };
  const browser = await launch();
  const ctx = { browser, metrics: out.metrics, pages: [] };
  try {
    for (const [name, fn] of steps) {
      const t0 = Date.now();
      try {
        await fn(ctx);
        out.steps.push({ name, ok: true, ms: Date.now() - t0 });
      } catch (e) {
        out.ok = false;
        out.steps.push({ name, ok: false, ms: Date.now() - t0, error: String(e?.stack || e) });
        mkdirSync(SHOTS, { recursive: true });
        const pages = [ctx.page, ...ctx.pages].filter(Boolean);
        for (const [i, p] of pages.entries()) {
          const file = join(SHOTS, `${test}-${name.replace(/[^a-z0-9]+/gi, '_')}-${i}.png`);
          try {
            await p.screenshot({ path: file, fullPage: true });
            out.shots.push(file);
          } catch { /* page gone */ }
          if (p.consoleErrors?.length) out.steps.at(-1).console = p.consoleErrors.slice(-10);
        }
        break;
      }
    }
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(out));
  process.exit(out.ok ? 0 : 1);
}
