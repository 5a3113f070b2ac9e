import { launch, newPage, waitForMapIdle } from './lib.mjs';
const b = await launch();
for (let i = 0; i < 4; i++) {
  const { context, page } = await newPage(b);
  await page.goto(process.argv[2] + '/peta');
  const idle = await waitForMapIdle(page);
  const r = await page.evaluate(() => [window.__ruang.loadMs, performance.getEntriesByType('resource').find(e => e.name.includes('/tiles/city'))?.startTime]);
  console.log(Math.round(idle), r.map(Math.round));
  await context.close();
}
await b.close();
