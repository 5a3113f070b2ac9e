// End to end: an applicant draws a parcel, sees the decision, registers and submits; the
// operator starts the administrative check and accepts, the verifier approves, the official
// issues; the applicant sees ISSUED with its trail, and the permit parcel is on the planners' map.
// Staff accounts <role>@kupang.test with the password in $RUANG_STAFF_PASSWORD are made by the
// caller (tests/web.rs).
import { BASE, run, newPage, waitForMapIdle, waitIdle, assert } from './lib.mjs';
import { zoomToHousing, drawSquare, pickActivity, waitDecision } from './ajukan.mjs';

const STAFF_PASSWORD = process.env.RUANG_STAFF_PASSWORD || 'rahasia-staf-123';
const applicant = { email: `pemohon-${Date.now()}@kupang.test`, password: 'kata-sandi-pemohon-1', name: 'Yohanes Ndolu' };
const shared = {};

async function staffStep(ctx, role, steps, onQueue) {
  const { page } = await newPage(ctx.browser);
  ctx.page = page;
  await page.goto(`${BASE}/verifikasi`);
  await waitForMapIdle(page);
  await page.locator('#auth-email').fill(`${role}@kupang.test`);
  await page.locator('#auth-password').fill(STAFF_PASSWORD);
  await page.locator('#auth-submit').click();
  await page.locator('#auth-user').waitFor({ timeout: 10000 });
  const row = page.locator(`#queue-table tr[data-id="${shared.id}"]`);
  await row.waitFor({ timeout: 10000 });
  if (onQueue) await onQueue(page);
  await row.click();
  await page.locator(`#application[data-id="${shared.id}"]`).waitFor({ timeout: 10000 });
  for (const [action, to, fill] of steps) {
    const button = page.locator(`#act-${action}`);
    await button.waitFor({ timeout: 10000 });
    if (fill) await fill(page);
    await button.click();
    await page.locator(`#application[data-status="${to}"]`).waitFor({ timeout: 10000 });
  }
  return page;
}

await run('e2e', [
  ['applicant draws a parcel and sees a decision', async (ctx) => {
    const { page } = await newPage(ctx.browser);
    ctx.page = page;
    shared.applicantPage = page;
    await page.goto(`${BASE}/ajukan`);
    await waitForMapIdle(page);
    await zoomToHousing(page);
    await drawSquare(page, 30);
    await pickActivity(page, '47111');
    let d = await waitDecision(page);
    const n = await page.evaluate(() => window.__ruang.checks);
    await page.locator('#fig-floors').fill('1');
    await page.locator('#fig-height_m').fill('4');
    d = await waitDecision(page, n);
    assert(d.outcome, 'no decision');
    assert(await page.locator('#outcome').isVisible(), 'outcome not shown');
    shared.parcel = await page.evaluate(() => window.__ruang.form.parcel);
    ctx.metrics.decision = d.outcome;
  }],
  ['applicant registers and submits', async (ctx) => {
    const page = shared.applicantPage;
    ctx.page = page;
    await page.locator('#auth-mode-register').click();
    await page.locator('#auth-name').fill(applicant.name);
    await page.locator('#auth-email').fill(applicant.email);
    await page.locator('#auth-password').fill(applicant.password);
    await page.locator('#auth-submit').click();
    await page.locator('#auth-user').waitFor({ timeout: 10000 });
    await page.locator('#apply-form').waitFor({ state: 'visible' });
    assert((await page.locator('#applicant_name').inputValue()) === applicant.name, 'name not prefilled');
    await page.locator('#applicant_nik').fill('5371010101900001');
    await page.locator('#submit-app').click();
    await page.waitForFunction(() => window.__ruang.submitted, null, { timeout: 15000 })
      .catch(async () => { throw new Error(`not submitted: ${await page.locator('#submit-status').innerText()}`); });
    const sub = await page.evaluate(() => window.__ruang.submitted);
    assert(sub.status === 'SUBMITTED', `status after submit: ${sub.status}`);
    shared.id = sub.id;
    ctx.metrics.reference = sub.reference;
    const row = page.locator(`#mine-table tr[data-id="${sub.id}"]`);
    await row.waitFor({ timeout: 5000 });
    await row.click();
    await page.locator('#mine-card[data-status="SUBMITTED"] ol.trail li').first().waitFor({ timeout: 5000 });
  }],
  ['operator: start_check and accept', async (ctx) => {
    await staffStep(ctx, 'operator', [['start_check', 'ADMIN_CHECK'], ['accept', 'TECHNICAL_REVIEW']], async (page) => {
      // the queue: least time left first, overdue ones on top and marked
      const rows = await page.locator('#queue-table tr.pick').evaluateAll((trs) => trs.map((tr) => ({
        id: tr.dataset.id, sla: tr.dataset.sla === '' ? null : Number(tr.dataset.sla), overdue: tr.dataset.overdue === '1',
        marked: !!tr.querySelector('.overdue'),
      })));
      ctx.metrics.queue = rows.map((r) => r.sla);
      const expected = Number(process.env.RUANG_QUEUE_LEN || 1);
      assert(rows.length >= expected, `queue has ${rows.length} rows, expected ${expected}`);
      for (let i = 1; i < rows.length; i++) {
        assert(rows[i - 1].sla === null || rows[i].sla === null || rows[i - 1].sla <= rows[i].sla, `queue not ordered by time left: ${JSON.stringify(rows)}`);
      }
      for (const r of rows) assert(r.overdue === r.marked, `overdue not marked: ${JSON.stringify(r)}`);
      if (expected > 1) assert(rows[0].overdue, `the overdue application is not first: ${JSON.stringify(rows)}`);
      assert(rows.at(-1).id === shared.id, 'the new application (most time left) is not last');
    });
  }],
  ['verifier: decide (approved)', async (ctx) => {
    const page = await staffStep(ctx, 'verifikator', [['decide', 'DECIDED', async (p) => {
      await p.locator('#f-decide-decision').selectOption('approved');
      await p.locator('#f-decide-note').fill('Sesuai RDTR.');
    }]]);
    // the check result and the trail are on the verifier's page
    assert(await page.locator('#application .decision').count() === 1, 'no check result shown');
    assert(await page.locator('#application ol.trail li').count() >= 4, 'trail too short');
  }],
  ['official: issue', async (ctx) => {
    const page = await staffStep(ctx, 'pejabat', [['issue', 'ISSUED']]);
    await page.locator('#permit-link').waitFor({ timeout: 5000 });
    shared.permit = await page.evaluate(() => window.__ruang.view.current.permit_number);
    assert(/^KKPR\//.test(shared.permit || ''), `permit number ${shared.permit}`);
    ctx.metrics.permit = shared.permit;
  }],
  ['applicant sees ISSUED with the trail', async (ctx) => {
    const page = shared.applicantPage;
    ctx.page = page;
    await page.reload();
    const row = page.locator(`#mine-table tr[data-id="${shared.id}"][data-status="ISSUED"]`);
    await row.waitFor({ timeout: 10000 });
    await row.click();
    await page.locator('#mine-card[data-status="ISSUED"]').waitFor({ timeout: 5000 });
    const steps = await page.locator('#mine-card ol.trail li').count();
    assert(steps >= 6, `trail has ${steps} entries`);
  }],
  ['the permit parcel is on the planners\u2019 map', async (ctx) => {
    const { page } = await newPage(ctx.browser);
    ctx.page = page;
    await page.goto(`${BASE}/peta`);
    await waitForMapIdle(page);
    const ring = shared.parcel.coordinates[0];
    const c = ring.slice(1).reduce((a, p) => [a[0] + p[0] / (ring.length - 1), a[1] + p[1] / (ring.length - 1)], [0, 0]);
    await page.evaluate((c) => window.__ruang.map.jumpTo({ center: c, zoom: 18 }), c);
    await waitIdle(page);
    const found = await page.evaluate((num) => window.__ruang.map.queryRenderedFeatures({ layers: ['parcels-line'] })
      .filter((f) => f.properties.permit_number === num).map((f) => f.properties.kind), shared.permit);
    assert(found.length > 0, `permit parcel ${shared.permit} not drawn`);
    assert(found.every((k) => k === 'izin'), JSON.stringify(found));
  }],
]);
