// The planners' page for the rule book (/rencana): the plans (active, drafts, retired), loading
// a regulation file into a draft with every bad cell listed, the comparison of a draft with the
// active plan, the permits and applications it would change, and activation (admins).
import { api, el, lang, onLang, initChrome, fmtDate } from './common.js';
import { authBox } from './auth.js';

// The page's own texts: [Bahasa Indonesia, English].
const TEXT = {
  title: ['Rencana Tata Ruang (RDTR)', 'Zoning plans (RDTR)'],
  intro: ['Muat Peraturan Zonasi kota sebagai rancangan, bandingkan dengan rencana aktif, lihat dampaknya pada izin dan permohonan, lalu aktifkan.',
    'Load the city\u2019s zoning regulation as a draft, compare it with the active plan, see its impact on permits and applications, then activate it.'],
  nav: ['Rencana', 'Plans'],
  plans: ['Daftar rencana', 'Plans'],
  name: ['Nama', 'Name'], status: ['Status', 'Status'], version: ['Versi', 'Version'], zones: ['Zona', 'Zones'],
  since: ['Berlaku sejak', 'In force since'],
  compare: ['Bandingkan & dampak', 'Compare & impact'],
  download: ['Unduh XLSX', 'Download XLSX'],
  'status.active': ['aktif', 'active'], 'status.draft': ['rancangan', 'draft'], 'status.retired': ['dicabut', 'retired'],
  import: ['Muat tabel peraturan (CSV/XLSX)', 'Load regulation tables (CSV/XLSX)'],
  importHelp: ['Matriks ITBX, tabel intensitas, teks ketentuan dan katalog KBLI. Nama rancangan baru akan dibuat dari rencana aktif.',
    'ITBX matrix, intensity table, condition texts and KBLI catalogue. A new draft name is created from the active plan.'],
  draftName: ['Nama rancangan', 'Draft name'], file: ['Berkas', 'File'], dryRun: ['Periksa saja (tidak disimpan)', 'Check only (nothing stored)'],
  load: ['Muat', 'Load'],
  refused: ['Berkas ditolak, tidak ada yang disimpan', 'The file was refused, nothing was stored'],
  where: ['Letak', 'Where'], value: ['Nilai', 'Value'], problem: ['Masalah', 'Problem'], suggest: ['Mungkin maksud Anda', 'Did you mean'],
  loaded: ['Dimuat ke', 'Loaded into'], wouldLoad: ['Pemeriksaan saja untuk', 'Check only for'],
  rows: ['baris', 'rows'], added: ['baru', 'added'], changed: ['berubah', 'changed'], removed: ['dihapus', 'removed'], unchanged: ['tetap', 'unchanged'],
  diff: ['Perbandingan', 'Comparison'], against: ['terhadap', 'against'],
  itbx: ['Matriks ITBX', 'ITBX matrix'], intensity: ['Intensitas', 'Intensity'], conditions: ['Teks ketentuan', 'Condition texts'],
  rezoned: ['Perubahan sub-zona (m\u00b2)', 'Rezoned area (m\u00b2)'],
  activity: ['Kegiatan', 'Activity'], subzone: ['Sub-zona', 'Sub-zone'], before: ['Sebelum', 'Before'], after: ['Sesudah', 'After'],
  field: ['Nilai', 'Value'], from: ['Dari', 'From'], to: ['Menjadi', 'To'], area: ['Luas', 'Area'],
  same: ['Tidak ada perbedaan aturan.', 'No rule differs.'],
  fullPage: ['Halaman perbandingan lengkap', 'Full comparison page'],
  impact: ['Dampak pada izin terbit dan permohonan berjalan', 'Impact on issued permits and open applications'],
  impactLine: ['{n} izin dan {m} permohonan diperiksa ulang ({r} di dekat perubahan) dalam {ms} ms; {c} berubah.',
    '{n} permits and {m} applications re-checked ({r} near a change) in {ms} ms; {c} would change.'],
  kelurahan: ['Kelurahan', 'Kelurahan'], subjects: ['Izin/permohonan', 'Permits/applications'], worse: ['Memburuk', 'Worse'],
  reference: ['Nomor', 'Reference'], kind: ['Jenis', 'Kind'],
  activate: ['Aktifkan rancangan ini', 'Activate this draft'],
  reason: ['Alasan / dasar hukum (mis. Perda No. ...)', 'Reason / legal basis (e.g. Regulation No. ...)'],
  activated: ['Rencana diaktifkan.', 'The plan was activated.'],
  adminOnly: ['Hanya admin yang dapat mengaktifkan.', 'Only an admin can activate.'],
  loginFirst: ['Masuk dengan akun staf untuk melihat rencana.', 'Log in with a staff account to see the plans.'],
};
const tr = (k) => (TEXT[k] ? TEXT[k][lang() === 'en' ? 1 : 0] : k);
const fill = (k, v) => tr(k).replace(/\{(\w+)\}/g, (_, x) => String(v[x] ?? ''));
const pickText = (id, en) => (lang() === 'en' && en ? en : id);

initChrome();
const view = { user: null, plans: [], compared: null, diff: null, impact: null, report: null, errors: null, message: null };
window.__ruang = { view, diffMs: null, impactMs: null };

function render() {
  document.getElementById('title').textContent = tr('title');
  document.getElementById('intro').textContent = tr('intro');
  document.getElementById('nav-rencana').textContent = tr('nav');
  renderPlans();
  renderImport();
  renderCompare();
}
onLang(render);

await authBox(document.getElementById('auth'), (user) => {
  view.user = user;
  loadPlans();
}, { allowRegister: false });

async function loadPlans() {
  if (!view.user) {
    view.plans = [];
    render();
    return;
  }
  try {
    const { data } = await api('/api/plans');
    view.plans = data.plans;
  } catch (e) {
    view.plans = [];
    view.message = e.message;
    view.messageOk = false;
  }
  render();
}

function renderPlans() {
  const box = document.getElementById('plans-box');
  if (!view.user) {
    box.replaceChildren(el('p', { class: 'muted' }, tr('loginFirst')));
    return;
  }
  box.replaceChildren(
    el('h2', {}, tr('plans')),
    view.message ? el('p', { class: view.messageOk ? 'ok' : 'error', id: 'plans-message' }, view.message) : '',
    el('table', { id: 'plans' },
      el('tr', {}, ...['name', 'status', 'version', 'zones', 'since', ''].map((k) => el('th', {}, k ? tr(k) : ''))),
      view.plans.map((p) => el('tr', { dataset: { id: p.id, status: p.status } },
        el('td', {}, p.name),
        el('td', { class: 'status' }, tr(`status.${p.status}`)),
        el('td', { class: 'num' }, String(p.version)),
        el('td', { class: 'num' }, String(p.zones)),
        el('td', {}, p.activated_at ? fmtDate(p.activated_at) : ''),
        el('td', {},
          p.status !== 'active' ? el('button', { type: 'button', class: 'compare', onclick: () => compare(p) }, tr('compare')) : '',
          ' ',
          el('a', { href: `/api/plans/${p.id}/rules?format=xlsx` }, tr('download')))))));
}

function renderImport() {
  const box = document.getElementById('import-box');
  if (!view.user || !['planner', 'admin'].includes(view.user.role)) {
    box.replaceChildren();
    return;
  }
  const form = el('form', { id: 'import-form', class: 'card', onsubmit: upload },
    el('h2', {}, tr('import')),
    el('p', { class: 'muted' }, tr('importHelp')),
    el('label', {}, tr('draftName'), ' ', el('input', { id: 'import-plan', name: 'plan', required: true, value: view.lastName || '' })),
    el('label', {}, tr('file'), ' ', el('input', { id: 'import-file', type: 'file', name: 'file', required: true, accept: '.csv,.xlsx,.xls,.ods' })),
    el('label', {}, el('input', { id: 'import-dry', type: 'checkbox', name: 'dry_run' }), ' ', tr('dryRun')),
    el('button', { type: 'submit', id: 'import-submit', class: 'primary' }, tr('load')));
  const out = [];
  if (view.errors) {
    out.push(el('div', { id: 'import-errors' },
      el('p', { class: 'error' }, `${tr('refused')}: ${pickText(view.errors.detail, view.errors.detail_en)}`),
      el('table', {},
        el('tr', {}, el('th', {}, tr('where')), el('th', {}, tr('value')), el('th', {}, tr('problem'))),
        (view.errors.errors || []).map((e) => el('tr', { class: 'cell-error', dataset: { at: `${e.sheet}!${e.column ?? ''}${e.row}` } },
          el('td', {}, `${e.sheet}!${e.column ?? ''}${e.row}${e.header ? ` (${e.header})` : ''}`),
          el('td', {}, e.value ?? ''),
          el('td', {}, pickText(e.detail, e.detail_en),
            e.suggestions?.length ? el('div', { class: 'muted' }, `${tr('suggest')}: ${e.suggestions.join(', ')}`) : ''))))));
  }
  if (view.report) {
    const r = view.report;
    out.push(el('div', { id: 'import-report', class: 'card', dataset: { plan: r.plan.id } },
      el('p', {}, `${r.dry_run ? tr('wouldLoad') : tr('loaded')} ${r.plan.name} (${tr('version')} ${r.plan.version})`),
      el('ul', {}, Object.entries(r.tables).map(([k, t]) => el('li', { dataset: { table: k, changed: t.changed } },
        `${tr(k === 'activities' ? 'activity' : k)}: ${t.rows} ${tr('rows')}, ${t.added} ${tr('added')}, ${t.changed} ${tr('changed')}, ${t.removed} ${tr('removed')}, ${t.unchanged} ${tr('unchanged')}`)))));
  }
  box.replaceChildren(form, ...out);
}

async function upload(ev) {
  ev.preventDefault();
  const name = document.getElementById('import-plan').value.trim();
  const file = document.getElementById('import-file').files[0];
  if (!name || !file) return;
  view.lastName = name;
  const fd = new FormData();
  if (document.getElementById('import-dry').checked) fd.append('dry_run', 'true');
  fd.append('file', file, file.name);
  view.errors = null;
  view.report = null;
  try {
    const { data } = await api(`/api/plans/${encodeURIComponent(name)}/rules`, { method: 'POST', body: fd });
    view.report = data;
    await loadPlans();
  } catch (e) {
    view.errors = e.problem || { detail: e.message, detail_en: e.message, errors: [] };
    render();
  }
}

async function compare(p) {
  view.compared = p;
  view.diff = null;
  view.impact = null;
  renderCompare();
  const t0 = performance.now();
  const active = view.plans.find((x) => x.status === 'active');
  const against = active ? active.id : p.id;
  try {
    const [{ data: diff }, { data: impact }] = await Promise.all([
      api(`/api/plans/${against}/diff/${p.id}`).then((r) => { window.__ruang.diffMs = performance.now() - t0; return r; }),
      api(`/api/plans/${p.id}/impact`).then((r) => { window.__ruang.impactMs = performance.now() - t0; return r; }),
    ]);
    view.diff = diff;
    view.impact = impact;
  } catch (e) {
    view.diff = { error: e.message };
  }
  renderCompare();
}

function cellText(c) {
  return c ? c.text : '\u2013';
}

function renderCompare() {
  const box = document.getElementById('compare-box');
  const p = view.compared;
  if (!p || !view.user) {
    box.replaceChildren();
    return;
  }
  const parts = [el('h2', {}, `${tr('diff')}: ${p.name}`)];
  const d = view.diff;
  if (!d) {
    box.replaceChildren(...parts, el('p', { class: 'muted' }, '\u2026'));
    return;
  }
  if (d.error) {
    box.replaceChildren(...parts, el('p', { class: 'error' }, d.error));
    return;
  }
  parts.push(el('p', { class: 'muted' }, `${tr('against')} ${d.a.name} \u00b7 `,
    el('a', { href: `/api/plans/${d.a.id}/diff/${d.b.id}?f=html`, target: '_blank' }, tr('fullPage'))));
  const s = d.summary;
  if (!s.itbx_cells_changed && !s.intensity_rows_changed && !s.conditions_changed && !s.zones_changed && !s.zones_removed) {
    parts.push(el('p', { id: 'diff-same' }, tr('same')));
  }
  if (d.rules.itbx.length) {
    parts.push(el('h3', {}, `${tr('itbx')} (${d.rules.itbx.length})`), el('table', { id: 'diff-itbx' },
      el('tr', {}, ...['KBLI', tr('activity'), tr('subzone'), tr('before'), tr('after')].map((h) => el('th', {}, h))),
      d.rules.itbx.map((c) => el('tr', { dataset: { kbli: c.kbli, subzone: c.subzone } },
        el('td', {}, c.kbli), el('td', {}, c.activity), el('td', {}, c.subzone),
        el('td', { class: 'from' }, cellText(c.from)), el('td', { class: 'to' }, cellText(c.to))))));
  }
  if (d.rules.intensity.length) {
    parts.push(el('h3', {}, tr('intensity')), el('table', { id: 'diff-intensity' },
      el('tr', {}, ...[tr('subzone'), 'varian', tr('field'), tr('before'), tr('after')].map((h) => el('th', {}, h))),
      d.rules.intensity.flatMap((r) => r.fields.map((f) => el('tr', { dataset: { subzone: r.subzone, field: f.field } },
        el('td', {}, r.subzone), el('td', {}, r.variant), el('td', {}, f.field),
        el('td', { class: 'from' }, f.from ?? '\u2013'), el('td', { class: 'to' }, f.to ?? '\u2013'))))));
  }
  if (d.rules.conditions.length) {
    parts.push(el('h3', {}, tr('conditions')), el('table', { id: 'diff-conditions' },
      d.rules.conditions.map((c) => el('tr', {}, el('td', {}, c.code), el('td', {}, c.from ?? '\u2013'), el('td', {}, c.to ?? '\u2013')))));
  }
  if (d.zones.rezoned.length) {
    parts.push(el('h3', {}, tr('rezoned')), el('table', { id: 'diff-rezoned' },
      el('tr', {}, el('th', {}, tr('from')), el('th', {}, tr('to')), el('th', {}, tr('area'))),
      d.zones.rezoned.map((r) => el('tr', {}, el('td', {}, r.from), el('td', {}, r.to), el('td', { class: 'num' }, r.area_m2.toLocaleString(lang()))))));
  }
  const imp = view.impact;
  if (imp) {
    parts.push(el('h2', {}, tr('impact')),
      el('p', { id: 'impact-line', dataset: { changed: imp.changed.length, subjects: imp.subjects } },
        fill('impactLine', { n: imp.permits, m: imp.applications, r: imp.rechecked, ms: Math.round(imp.check_ms), c: imp.changed.length })));
    const rows = imp.by_kelurahan.filter((k) => k.changed > 0);
    if (rows.length) {
      parts.push(el('table', { id: 'impact-kelurahan' },
        el('tr', {}, el('th', {}, tr('kelurahan')), el('th', {}, tr('subjects')), el('th', {}, tr('changed')), el('th', {}, tr('worse'))),
        rows.map((k) => el('tr', {}, el('td', {}, k.name || k.code || '\u2013'), el('td', { class: 'num' }, String(k.subjects)),
          el('td', { class: 'num' }, String(k.changed)), el('td', { class: 'num' }, String(k.worse))))));
    }
    if (imp.changed.length) {
      parts.push(el('table', { id: 'impact-changed' },
        el('tr', {}, ...[tr('reference'), tr('kind'), 'KBLI', tr('kelurahan'), tr('before'), tr('after')].map((h) => el('th', {}, h))),
        imp.changed.slice(0, 500).map((c) => el('tr', { dataset: { reference: c.reference ?? c.permit_number ?? '' } },
          el('td', {}, c.reference ?? c.permit_number ?? ''), el('td', {}, c.kind), el('td', {}, c.kbli),
          el('td', {}, c.kelurahan_name ?? ''),
          el('td', { class: 'from' }, c.before.outcome, el('div', { class: 'muted' }, pickText(c.before.summary_id, c.before.summary_en))),
          el('td', { class: 'to' }, c.after.outcome, el('div', { class: 'muted' }, pickText(c.after.summary_id, c.after.summary_en)))))));
    }
  }
  if (p.status === 'draft') {
    if (view.user.role === 'admin') {
      parts.push(el('form', { id: 'activate-form', class: 'card', onsubmit: (ev) => activate(ev, p) },
        el('h3', {}, tr('activate')),
        el('label', {}, tr('reason'), ' ', el('input', { id: 'activate-reason', required: true, minlength: 5, size: 50 })),
        el('button', { type: 'submit', id: 'activate-submit', class: 'primary' }, tr('activate')),
        view.activateError ? el('p', { class: 'error', id: 'activate-error' }, view.activateError) : ''));
    } else {
      parts.push(el('p', { class: 'muted' }, tr('adminOnly')));
    }
  }
  box.replaceChildren(...parts);
}

async function activate(ev, p) {
  ev.preventDefault();
  view.activateError = null;
  try {
    await api(`/api/plans/${p.id}/activate`, { method: 'POST', body: { reason: document.getElementById('activate-reason').value, version: p.version } });
    view.compared = null;
    view.message = tr('activated');
    view.messageOk = true;
    await loadPlans();
  } catch (e) {
    view.activateError = e.message;
    renderCompare();
  }
}
