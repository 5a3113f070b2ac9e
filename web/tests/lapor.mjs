// Waste reports end to end: the front door leads to the services; a citizen files a report on
// /lapor by a pin on the map (with a photo) and another by the phone's location (with a photo
// too big for the server, made smaller in the browser), gets a
// reference; an officer finds the report on /pantau, sees the contact and the photo, moves it
// on with a note; the citizen looks the reference up and sees the new status and the note.
//
// Needs an officer account: RUANG_STAFF_EMAIL (default planner@kupang.test) with
// RUANG_STAFF_PASSWORD; with RUANG_APPLICANT_EMAIL (same password) also checks that an
// applicant is refused.
import { BASE, run, newPage, waitForMapIdle, assert } from './lib.mjs';

const STAFF = process.env.RUANG_STAFF_EMAIL || 'planner@kupang.test';
const PASSWORD = process.env.RUANG_STAFF_PASSWORD || '';
// optional: an applicant's account (same password), refused report handling
const APPLICANT = process.env.RUANG_APPLICANT_EMAIL || '';
// Pasar Oebobo (domain-kupang §3.4)
const PIN = { lon: 123.60871, lat: -10.15983 };
const NOTE = 'Tim kebersihan mengangkut besok pagi';
// 1x1 PNG
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

async function getJson(path) {
  const res = await fetch(`${BASE}${path}`, { headers: { Accept: 'application/json' } });
  assert(res.ok, `${path}: HTTP ${res.status}`);
  return res.json();
}

async function noOverflow(page, width) {
  const wide = await page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.querySelector('main').scrollWidth));
  assert(wide <= width, `nothing wider than the phone (${wide})`);
}

await run('lapor', [
  ['the front door lists the services first, OGC links below', async (ctx) => {
    const { page } = await newPage(ctx.browser);
    ctx.page = page;
    await page.goto(`${BASE}/`);
    const links = await page.locator('#services a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert(JSON.stringify(links) === JSON.stringify(['/ajukan', '/peta', '/pantau', '/lapor']), `services: ${links}`);
    const order = await page.evaluate(() => {
      const s = document.getElementById('services');
      const o = document.getElementById('ogc');
      return Boolean(s.compareDocumentPosition(o) & Node.DOCUMENT_POSITION_FOLLOWING);
    });
    assert(order, 'OGC links below the services');
    assert(await page.locator('#ogc a[href="/collections?f=html"]').count() === 1, 'collections link');
    assert((await page.locator('h1').innerText()) === 'Layanan Pemerintah Kota Kupang', 'Indonesian first');
    await page.click('#lang');
    assert((await page.locator('h1').innerText()) === 'Kota Kupang city services', 'English');
    assert((await page.locator('#services a[href="/lapor"] strong').innerText()) === 'Report waste', 'English service name');
    await page.click('#lang');
    await page.setViewportSize({ width: 360, height: 740 });
    await noOverflow(page, 360);
    await page.click('#services a[href="/lapor"]');
    await page.waitForURL(/\/lapor$/);
  }],
  ['a citizen reports by a pin on the map, with a photo', async (ctx) => {
    const { page } = await newPage(ctx.browser);
    ctx.page = page;
    await page.goto(`${BASE}/lapor`);
    await waitForMapIdle(page);
    // nothing sent without a place
    await page.selectOption('#category', 'plastik');
    await page.click('#send');
    assert((await page.locator('#report-message').innerText()).includes('Tandai lokasi'), 'asks for a location');
    await page.evaluate((p) => window.__ruang.map.jumpTo({ center: [p.lon, p.lat], zoom: 16 }), PIN);
    const at = await page.evaluate((p) => window.__ruang.map.project([p.lon, p.lat]), PIN);
    const box = await page.locator('#map canvas').boundingBox();
    await page.mouse.click(box.x + at.x, box.y + at.y);
    assert((await page.locator('#where').innerText()).includes('-10.15'), 'the pin is shown');
    await page.fill('#description', 'Plastik menumpuk di selokan depan pasar');
    await page.fill('#contact', '0813 1111 2222');
    await page.setInputFiles('#photo', { name: 'sampah.png', mimeType: 'image/png', buffer: PNG });
    await page.click('#send');
    await page.waitForSelector('#receipt-ref', { timeout: 15000 });
    const ref = await page.locator('#receipt-ref').innerText();
    assert(/^LS-\d+$/.test(ref), `reference ${ref}`);
    ctx.ref = ref;
    ctx.metrics.reference = ref;
    // stored as sent
    const r = await getJson(`/api/waste/reports/${ref}`);
    assert(r.status === 'baru' && r.category === 'plastik' && r.has_photo, `stored: ${JSON.stringify(r)}`);
    assert(r.kelurahan?.code.startsWith('53.71.'), `recorded in a kelurahan: ${JSON.stringify(r.kelurahan)}`);
    assert(Math.abs(r.lon - PIN.lon) < 0.0002 && Math.abs(r.lat - PIN.lat) < 0.0002, `at the pin: ${r.lon}, ${r.lat}`);
    assert(!('contact' in r), 'the contact is not public');
  }],
  ['a citizen on a phone reports with the phone location', async (ctx) => {
    const context = await ctx.browser.newContext({
      viewport: { width: 360, height: 740 }, locale: 'id-ID', isMobile: true, hasTouch: true,
      geolocation: { longitude: 123.5925, latitude: -10.1700 }, permissions: ['geolocation'],
    });
    const page = await context.newPage();
    ctx.page = page;
    await page.goto(`${BASE}/lapor`);
    await waitForMapIdle(page);
    await noOverflow(page, 360);
    await page.click('#locate');
    await page.waitForFunction(() => document.getElementById('where').textContent.includes('123.59250'));
    await page.selectOption('#category', 'organik');
    // a photo as big as a phone camera's, over the server's 5 MB: made smaller before sending
    const original = await page.evaluate(async () => {
      const c = document.createElement('canvas');
      c.width = 2400;
      c.height = 1600;
      const g = c.getContext('2d');
      const img = g.createImageData(c.width, c.height);
      let x = 2463534242; // xorshift32: noise does not compress
      for (let i = 0; i < img.data.length; i += 4) {
        x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
        img.data[i] = x & 255;
        img.data[i + 1] = (x >>> 8) & 255;
        img.data[i + 2] = (x >>> 16) & 255;
        img.data[i + 3] = 255;
      }
      g.putImageData(img, 0, 0);
      const blob = await new Promise((r) => c.toBlob(r, 'image/png'));
      const dt = new DataTransfer();
      dt.items.add(new File([blob], 'kamera.png', { type: 'image/png' }));
      document.getElementById('photo').files = dt.files;
      return blob.size;
    });
    assert(original > 5 * 1024 * 1024, `the test photo is over 5 MB (${original})`);
    await page.click('#send');
    await page.waitForSelector('#receipt-ref', { timeout: 30000 });
    const ref = await page.locator('#receipt-ref').innerText();
    const r = await getJson(`/api/waste/reports/${ref}`);
    assert(r.category === 'organik' && Math.abs(r.lat + 10.17) < 1e-6, `phone report ${JSON.stringify(r)}`);
    const sent = await page.evaluate(() => window.__ruang.sentPhotoBytes);
    assert(r.has_photo && sent > 0 && sent <= 5 * 1024 * 1024, `photo sent smaller: ${original} -> ${sent}`);
    ctx.metrics.photo_bytes = { original, sent };
    ctx.metrics.phone_reference = ref;
    ctx.phoneRef = ref;
    // outside the city: the server's reason, in the page's language
    await context.setGeolocation({ longitude: 115.2, latitude: -8.65 });
    await page.click('#locate');
    await page.waitForFunction(() => document.getElementById('where').textContent.includes('115.20000'));
    await page.selectOption('#category', 'kaca');
    await page.click('#send');
    await page.waitForFunction(() => document.getElementById('report-message').textContent.length > 0);
    const msg = await page.locator('#report-message').innerText();
    assert(msg.includes('di luar Kota Kupang'), `outside the city: ${msg}`);
    await context.close();
  }],
  ['an officer finds the report on /pantau and moves it on with a note', async (ctx) => {
    assert(PASSWORD, 'RUANG_STAFF_PASSWORD is not set');
    const { page } = await newPage(ctx.browser);
    ctx.page = page;
    await page.goto(`${BASE}/pantau#penanganan`);
    await page.waitForFunction(() => window.__ruang && window.__ruang.dashboardMs !== null, null, { timeout: 30000 });
    // an applicant's account may not handle reports
    if (APPLICANT) {
      await page.fill('#auth-email', APPLICANT);
      await page.fill('#auth-password', PASSWORD);
      await page.click('#auth-submit');
      await page.waitForSelector('#handling-denied');
      assert(await page.locator('#handling-list').count() === 0, 'no list for an applicant');
      await page.click('#logout');
      await page.waitForSelector('#auth-email');
    }
    await page.fill('#auth-email', STAFF);
    await page.fill('#auth-password', PASSWORD);
    await page.click('#auth-submit');
    const row = page.locator(`#handling-list tr[data-ref="${ctx.ref}"]`);
    await row.waitFor({ timeout: 15000 });
    // newest first, 50 at a time
    assert(await page.locator('#handling-list tbody tr').count() === 50, 'a page of 50');
    assert((await page.locator('#handling-list tbody tr').first().getAttribute('data-ref')) === ctx.phoneRef, 'the newest first');
    await page.click('#handling-more');
    await page.waitForFunction(() => document.querySelectorAll('#handling-list tbody tr').length === 100);
    // an unknown reference is said so
    await page.fill('#handling-ref', 'LS-987654321');
    await page.press('#handling-ref', 'Enter');
    await page.waitForFunction(() => document.getElementById('handling-message')?.textContent.includes('tidak ada'));
    await row.click();
    await page.waitForSelector(`#report-detail[data-ref="${ctx.ref}"]`);
    assert((await page.locator('#detail-contact').innerText()) === '0813 1111 2222', 'officers see the contact');
    await page.waitForFunction(() => {
      const img = document.querySelector('#report-detail img.photo');
      return img && img.complete && img.naturalWidth === 1;
    }, null, { timeout: 10000 });
    await page.selectOption('#status-to', 'diverifikasi');
    await page.fill('#status-note', NOTE);
    await page.click('#status-submit');
    await page.waitForFunction(() => document.getElementById('detail-status')?.textContent === 'Diverifikasi', null, { timeout: 15000 });
    const staffTrail = await page.locator('#report-detail #trail').innerText();
    assert(staffTrail.includes(NOTE) && staffTrail.includes('Petugas DLHK'), `the note and who wrote it: ${staffTrail}`);
    // the next step is offered, a closed one is not
    const next = await page.locator('#status-to option').evaluateAll((os) => os.map((o) => o.value));
    assert(JSON.stringify(next) === JSON.stringify(['dijadwalkan', 'ditolak']), `next: ${next}`);
    // rejecting needs a reason: the server's 422 is shown, nothing changes
    await page.selectOption('#status-to', 'ditolak');
    await page.click('#status-submit');
    await page.waitForFunction(() => document.getElementById('status-message')?.textContent.includes('alasan'));
    const r = await getJson(`/api/waste/reports/${ctx.ref}`);
    assert(r.status === 'diverifikasi', `status ${r.status}`);
  }],
  ['the citizen looks the reference up and sees the new status', async (ctx) => {
    const { page } = await newPage(ctx.browser, { width: 360, height: 740 });
    ctx.page = page;
    await page.goto(`${BASE}/lapor?ref=${ctx.ref}`);
    await page.waitForSelector('#lookup-status');
    assert((await page.locator('#lookup-status').getAttribute('data-status')) === 'diverifikasi', 'new status');
    assert((await page.locator('#lookup-status').innerText()) === 'Diverifikasi', 'in Indonesian');
    const trail = await page.locator('#lookup-card #trail').innerText();
    assert(trail.includes(NOTE) && trail.includes('Baru'), `trail: ${trail}`);
    const text = await page.locator('#lookup').innerText();
    assert(!text.includes('0813') && !text.includes('planner') && !text.includes('Petugas DLHK'), 'neither contact nor staff shown');
    await page.click('#lang');
    assert((await page.locator('#lookup-status').innerText()) === 'Verified', 'English status');
    await page.click('#lang');
    // typed with spaces and lower case; a malformed and an unknown reference
    await page.fill('#lookup-ref', ` ${ctx.ref.toLowerCase()} `);
    await page.press('#lookup-ref', 'Enter');
    await page.waitForSelector('#lookup-status');
    await page.fill('#lookup-ref', 'sampah');
    await page.press('#lookup-ref', 'Enter');
    await page.waitForSelector('#lookup-error');
    await page.fill('#lookup-ref', 'LS-987654321');
    await page.press('#lookup-ref', 'Enter');
    await page.waitForFunction(() => document.getElementById('lookup-error')?.textContent.includes('tidak ada'));
  }],
]);
