// The plans page (/rencana): a planner loads a regulation file with mistakes and sees each bad
// cell, loads a corrected matrix into a new draft, compares it with the active plan and sees
// the permit it would change; an admin activates it with a reason. Staff accounts
// planner@kupang.test and admin@kupang.test (password $RUANG_STAFF_PASSWORD) and an issued
// permit UJI-R2 are made by the caller (tests/web.rs).
import { BASE, run, newPage, assert } from './lib.mjs';

const PASSWORD = process.env.RUANG_STAFF_PASSWORD || 'rahasia-staf-123';
const DRAFT = 'RDTR Kupang 2027';

async function login(page, who) {
  await page.locator('#auth-email').fill(`${who}@kupang.test`);
  await page.locator('#auth-password').fill(PASSWORD);
  await page.locator('#auth-submit').click();
  await page.locator('#auth-user').waitFor({ timeout: 10000 });
  await page.locator('#plans tr[data-status="active"]').waitFor({ timeout: 10000 });
}

async function uploadCsv(page, name, text) {
  await page.locator('#import-plan').fill(DRAFT);
  await page.locator('#import-file').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
  await page.locator('#import-submit').click();
}

async function openCompare(page) {
  await page.locator('#plans tr[data-status="draft"] button.compare').first().click();
  await page.locator('#impact-line').waitFor({ timeout: 30000 });
}

await run('rencana', [
  ['a planner sees the plans', async (ctx) => {
    const { page } = await newPage(ctx.browser);
    ctx.page = page;
    await page.goto(`${BASE}/rencana`);
    await login(page, 'planner');
    assert(await page.locator('#plans tr[data-status="active"]').count() === 1, 'one active plan');
    await page.locator('#lang').click();
    assert((await page.locator('#title').textContent()) === 'Zoning plans (RDTR)', 'English title');
    await page.locator('#lang').click();
    assert((await page.locator('#title').textContent()).startsWith('Rencana Tata Ruang'), 'Indonesian title');
  }],
  ['a file with mistakes is refused cell by cell', async (ctx) => {
    const page = ctx.page;
    await uploadCsv(page, 'itbx.csv', 'KBLI,Kegiatan,R-2,R-3x\n68111,Rumah,Q,I\n');
    await page.locator('#import-errors').waitFor({ timeout: 10000 });
    for (const at of ['itbx!D1', 'itbx!C2']) {
      assert(await page.locator(`#import-errors tr.cell-error[data-at="${at}"]`).count() === 1, `error at ${at}`);
    }
    const text = await page.locator('#import-errors').textContent();
    assert(text.includes('R-3'), `a suggestion for R-3x: ${text}`);
    assert(await page.locator('#plans tr[data-status="draft"]').count() === 0, 'no draft was created');
  }],
  ['a corrected matrix becomes a draft', async (ctx) => {
    const page = ctx.page;
    const csv = await page.evaluate(async () => (await fetch('/api/plans/1/rules?format=csv&table=itbx')).text());
    const rows = csv.trim().split('\n').map((l) => l.split(','));
    const col = rows[0].indexOf('R-2');
    const row = rows.find((r) => r[0] === '68111');
    assert(col > 0 && row && row[col] === 'I', 'houses are allowed in R-2 today');
    row[col] = 'X';
    await uploadCsv(page, 'itbx.csv', rows.map((r) => r.join(',')).join('\n'));
    await page.locator('#import-report li[data-table="itbx"][data-changed="1"]').waitFor({ timeout: 20000 });
    await page.locator('#plans tr[data-status="draft"]').waitFor({ timeout: 10000 });
  }],
  ['the comparison and the impact show the change', async (ctx) => {
    const page = ctx.page;
    const t0 = Date.now();
    await openCompare(page);
    ctx.metrics.compare_ms = Date.now() - t0;
    const cell = page.locator('#diff-itbx tr[data-kbli="68111"][data-subzone="R-2"]');
    assert(await cell.count() === 1, 'the changed cell is listed');
    assert((await cell.locator('td.from').textContent()) === 'I' && (await cell.locator('td.to').textContent()) === 'X', 'I → X');
    assert(await page.locator('#diff-itbx tr[data-kbli]').count() === 1, 'only that cell changed');
    const permit = page.locator('#impact-changed tr[data-reference="UJI-R2"]');
    assert(await permit.count() === 1, 'the R-2 house permit would change');
    assert((await permit.locator('td.to').textContent()).startsWith('DITOLAK'), 'and be refused');
    ctx.metrics.impact_changed = Number(await page.locator('#impact-line').getAttribute('data-changed'));
    ctx.metrics.timings = await page.evaluate(() => ({ diff_ms: Math.round(window.__ruang.diffMs), impact_ms: Math.round(window.__ruang.impactMs) }));
    assert(await page.locator('#activate-form').count() === 0, 'a planner cannot activate');
  }],
  ['an admin activates the draft with a reason', async (ctx) => {
    const { page } = await newPage(ctx.browser);
    ctx.page = page;
    await page.goto(`${BASE}/rencana`);
    await login(page, 'admin');
    await openCompare(page);
    await page.locator('#activate-reason').fill('Perda Kota Kupang Nomor 1 Tahun 2027');
    await page.locator('#activate-submit').click();
    await page.locator('#plans-message.ok').waitFor({ timeout: 20000 });
    const active = await page.locator('#plans tr[data-status="active"] td').first().textContent();
    assert(active === DRAFT, `the draft is active: ${active}`);
    assert(await page.locator('#plans tr[data-status="retired"]').count() === 1, 'the old plan is retired');
    ctx.metrics.active = active;
  }],
]);
