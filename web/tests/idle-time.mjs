// Measures the planners' map: the time from navigation to the first `idle` event (the first
// complete view) over N fresh page loads, and the CPU time the browser's processes spent on each
// (from /proc, Linux), which does not depend on what else the machine is doing.
// Usage: node web/tests/idle-time.mjs BASE_URL [N=5]
import { readFileSync, readdirSync } from 'node:fs';
import { launch, newPage, waitForMapIdle } from './lib.mjs';

const TCK = 100; // clock ticks per second (USER_HZ)

/** CPU seconds of every process below `root` (its descendants: the browser's processes). */
function tree(root) {
  const procs = {};
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = st.slice(st.lastIndexOf(')') + 2).split(' ');
      procs[d] = { ppid: rest[1], cpu: Number(rest[11]) + Number(rest[12]) };
    } catch { /* gone meanwhile */ }
  }
  let total = 0;
  for (const [pid, p] of Object.entries(procs)) {
    if (pid === String(root)) continue;
    for (let q = pid; q && q !== '0' && q !== '1'; q = procs[q]?.ppid) {
      if (q === String(root)) {
        total += p.cpu;
        break;
      }
    }
  }
  return total / TCK;
}
const b = await launch();
const root = process.pid;
const out = [], cpu = [];
for (let i = 0; i < Number(process.argv[3] || 5); i++) {
  const c0 = tree(root);
  const { context, page } = await newPage(b);
  await page.goto(process.argv[2] + '/peta');
  out.push(Math.round(await waitForMapIdle(page)));
  cpu.push(Math.round((tree(root) - c0) * 1000));
  await context.close();
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(JSON.stringify({ idle_ms: out, median_idle_ms: med(out), browser_cpu_ms: cpu, median_cpu_ms: med(cpu) }));
await b.close();
