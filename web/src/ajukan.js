// The applicants' page (/ajukan): draw or upload the parcel, pick the activity, enter the
// building figures, see the zoning check update as they go (debounced POST /api/check), then
// log in or register and submit; "my applications" with state and trail.
import { TerraDraw, TerraDrawPolygonMode, TerraDrawSelectMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';
import { api, el, t, pick, onLang, initChrome, debounce, fmtDate } from './common.js';
import { createMap, geojsonSource, state } from './basemap.js';
import { authBox } from './auth.js';
import { decisionView, decisionFeatures, decisionLayers, trailView, attachmentsView, bounds } from './applications.js';

initChrome();

const FIGURES = ['footprint_m2', 'floor_area_m2', 'floors', 'height_m', 'green_m2', 'basement_m2'];
// figure names of /api/check -> fields of POST /api/applications
const APPLICATION_FIELD = {
  footprint_m2: 'footprint_m2',
  floor_area_m2: 'total_floor_area_m2',
  floors: 'floors',
  height_m: 'height_m',
  green_m2: 'green_area_m2',
  basement_m2: 'basement_area_m2',
};

const form = { parcel: null, kbli: null, kbliTitle: null, decision: null, user: null };
state.form = form;

const map = await createMap('map', {
  sources: { findings: geojsonSource() },
  layers: decisionLayers('findings'),
});

// ---------------------------------------------------------------------------------------------
// Drawing (terra-draw): one polygon; drawing a new one replaces the old

let draw;
map.once('load', () => {
  draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map }),
    modes: [
      new TerraDrawPolygonMode(),
      new TerraDrawSelectMode({
        flags: {
          polygon: {
            feature: {
              draggable: true,
              coordinates: { midpoints: true, draggable: true, deletable: true },
            },
          },
        },
      }),
    ],
  });
  draw.start();
  state.draw = draw;
  draw.on('finish', (id) => {
    // keep only the newest polygon
    const others = draw.getSnapshot().filter((f) => f.id !== id && f.geometry.type === 'Polygon').map((f) => f.id);
    if (others.length) draw.removeFeatures(others);
    parcelFromDraw();
  });
  draw.on('change', (ids, type) => {
    if (type === 'update' && draw.getMode() === 'select') parcelFromDraw();
  });
});

function parcelFromDraw() {
  const polys = draw.getSnapshot().filter((f) => f.geometry.type === 'Polygon' && !f.properties.currentlyDrawing);
  setParcel(polys.length ? polys.at(-1).geometry : null);
}

function setParcel(geometry, note = '') {
  form.parcel = geometry;
  const status = document.getElementById('parcel-status');
  status.textContent = geometry
    ? `${geometry.coordinates[0].length - 1} titik/vertices${note ? ' \u00b7 ' + note : ''}`
    : t('parcel.none');
  scheduleCheck();
}

document.getElementById('draw-polygon').addEventListener('click', () => draw?.setMode('polygon'));
document.getElementById('draw-edit').addEventListener('click', () => {
  if (!draw) return;
  draw.setMode('select');
  const f = draw.getSnapshot().find((x) => x.geometry.type === 'Polygon');
  if (f) draw.selectFeature(f.id);
});
document.getElementById('draw-clear').addEventListener('click', () => {
  draw?.clear();
  draw?.setMode('polygon');
  setParcel(null);
});

// ---------------------------------------------------------------------------------------------
// Upload: GeoJSON and KML parsed here; a zipped shapefile read by shpjs (with its .prj)

const round = (c) => (typeof c[0] === 'number' ? [Math.round(c[0] * 1e7) / 1e7, Math.round(c[1] * 1e7) / 1e7] : c.map(round));

function firstPolygon(gj) {
  const list = Array.isArray(gj) ? gj : [gj];
  for (const item of list) {
    if (!item) continue;
    if (item.type === 'FeatureCollection') {
      const p = firstPolygon(item.features);
      if (p) return p;
    } else if (item.type === 'Feature') {
      const p = firstPolygon(item.geometry);
      if (p) return p;
    } else if (item.type === 'GeometryCollection') {
      const p = firstPolygon(item.geometries);
      if (p) return p;
    } else if (item.type === 'Polygon') {
      return { type: 'Polygon', coordinates: round(item.coordinates) };
    } else if (item.type === 'MultiPolygon' && item.coordinates.length) {
      return { type: 'Polygon', coordinates: round(item.coordinates[0]), partial: item.coordinates.length > 1 };
    }
  }
  return null;
}

document.getElementById('upload').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  const status = document.getElementById('parcel-status');
  try {
    const name = file.name.toLowerCase();
    let gj;
    if (name.endsWith('.zip')) {
      const { default: shp } = await import('shpjs');
      gj = await shp(await file.arrayBuffer());
    } else if (name.endsWith('.kml')) {
      const { kml } = await import('@tmcw/togeojson');
      gj = kml(new DOMParser().parseFromString(await file.text(), 'text/xml'));
    } else {
      gj = JSON.parse(await file.text());
    }
    const poly = firstPolygon(gj);
    if (!poly) throw new Error(t('upload.bad'));
    const note = poly.partial ? 'MultiPolygon: 1' : '';
    delete poly.partial;
    draw.clear();
    const [res] = draw.addFeatures([{ type: 'Feature', geometry: poly, properties: { mode: 'polygon' } }]);
    if (res && res.valid === false) console.warn('terra-draw refused the polygon:', res.reason);
    setParcel(poly, `${file.name}${note ? ' (' + note + ')' : ''}`);
    map.fitBounds(bounds(poly), { padding: 40, maxZoom: 18 });
  } catch (err) {
    status.textContent = `${t('error')}: ${err.message}`;
    status.className = 'error';
    return;
  }
  status.className = 'muted';
});

// ---------------------------------------------------------------------------------------------
// KBLI search

const kbliInput = document.getElementById('kbli-search');
const kbliResults = document.getElementById('kbli-results');
const searchKbli = debounce(async () => {
  const q = kbliInput.value.trim();
  kbliResults.replaceChildren();
  if (q.length < 2) return;
  try {
    const { data } = await api(`/api/activities?q=${encodeURIComponent(q)}&limit=10`);
    const list = data.activities || [];
    if (!list.length) kbliResults.append(el('li', { class: 'muted' }, t('search.none')));
    for (const a of list) {
      const code = a.kbli_code ?? a.code;
      const title = pick(a.title, a.title_en);
      kbliResults.append(el('li', { dataset: { code }, onclick: () => chooseKbli(code, title) }, el('strong', {}, code), ' ', title));
    }
  } catch (e) {
    kbliResults.append(el('li', { class: 'error' }, e.message));
  }
}, 250);
kbliInput.addEventListener('input', searchKbli);

function chooseKbli(code, title) {
  form.kbli = code;
  form.kbliTitle = title;
  kbliResults.replaceChildren();
  kbliInput.value = code;
  document.getElementById('kbli-chosen').textContent = `${t('kbli.chosen')}: ${code} \u2014 ${title}`;
  scheduleCheck();
}

// ---------------------------------------------------------------------------------------------
// Building figures and the live check

function figures() {
  const out = {};
  for (const k of FIGURES) {
    const v = document.getElementById(`fig-${k}`).value;
    if (v !== '' && Number.isFinite(Number(v))) out[k] = Number(v);
  }
  return out;
}
for (const k of FIGURES) document.getElementById(`fig-${k}`).addEventListener('input', () => scheduleCheck());

let inflight = null;
let checks = 0;
const scheduleCheck = debounce(runCheck, 400);

async function runCheck() {
  const box = document.getElementById('result');
  if (!form.parcel || !form.kbli) {
    box.replaceChildren(el('p', { class: 'muted' }, t('result.waiting')));
    map.getSource('findings')?.setData(decisionFeatures(null));
    form.decision = null;
    return;
  }
  inflight?.abort();
  inflight = new AbortController();
  box.prepend(el('p', { class: 'muted checking' }, t('result.checking')));
  try {
    const { data } = await api('/api/check', {
      method: 'POST',
      body: { parcel: form.parcel, kbli: form.kbli, building: figures() },
      signal: inflight.signal,
    });
    form.decision = data;
    state.checks = ++checks;
    box.replaceChildren(decisionView(data));
    map.getSource('findings')?.setData(decisionFeatures(data));
  } catch (e) {
    if (e.name === 'AbortError') return;
    form.decision = null;
    box.replaceChildren(el('p', { class: 'error', id: 'check-error' }, e.message));
  }
}

// ---------------------------------------------------------------------------------------------
// Account, submission, my applications

await authBox(document.getElementById('auth'), (user) => {
  form.user = user;
  document.getElementById('apply-form').hidden = !user;
  if (user && !document.getElementById('applicant_name').value) {
    document.getElementById('applicant_name').value = user.display_name || '';
  }
  loadMine();
});

document.getElementById('apply-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const status = document.getElementById('submit-status');
  status.className = '';
  if (!form.parcel || !form.kbli) {
    status.textContent = t('app.need');
    status.className = 'error';
    return;
  }
  const body = {
    parcel: form.parcel,
    applicant_type: document.getElementById('applicant_type').value,
    applicant_name: document.getElementById('applicant_name').value.trim(),
    kbli_code: form.kbli,
  };
  const nik = document.getElementById('applicant_nik').value.trim();
  const nib = document.getElementById('applicant_nib').value.trim();
  if (nik) body.applicant_nik = nik;
  if (nib) body.applicant_nib = nib;
  const fig = figures();
  for (const [k, v] of Object.entries(fig)) body[APPLICATION_FIELD[k]] = v;
  document.getElementById('submit-app').disabled = true;
  try {
    const created = await api('/api/applications', { method: 'POST', body });
    const app = created.data;
    // a new application is a draft: submit it at once (If-Match guards against a stale copy)
    const etag = created.headers.get('ETag');
    const allowed = (app.allowed_actions || []).map((a) => a.action);
    let final = app;
    if (!allowed.length || allowed.includes('submit')) {
      const sent = await api(`/api/applications/${app.id}/actions/submit`, {
        method: 'POST',
        body: {},
        headers: etag ? { 'If-Match': etag } : {},
      });
      final = sent.data || app;
    }
    status.textContent = `${t('app.submitted')}: ${final.reference ?? app.reference ?? app.id} (${final.status ?? ''})`;
    status.id = 'submit-status';
    state.submitted = { id: app.id, reference: final.reference ?? app.reference, status: final.status };
    await loadMine();
  } catch (err) {
    status.textContent = `${t('error')}: ${err.message}`;
    status.className = 'error';
  } finally {
    document.getElementById('submit-app').disabled = false;
  }
});

async function loadMine() {
  const box = document.getElementById('mine');
  if (!form.user) {
    box.replaceChildren(el('p', { class: 'muted' }, t('mine.none')));
    document.getElementById('mine-detail').replaceChildren();
    return;
  }
  try {
    const { data } = await api('/api/applications');
    const list = data.applications || [];
    if (!list.length) {
      box.replaceChildren(el('p', { class: 'muted' }, t('mine.none')));
      return;
    }
    box.replaceChildren(el('table', { id: 'mine-table' },
      el('tr', {}, el('th', {}, t('col.reference')), el('th', {}, t('col.status')), el('th', {}, t('col.updated'))),
      list.map((a) => el('tr', { class: 'pick', dataset: { id: a.id, status: a.status }, onclick: () => showMine(a.id) },
        el('td', {}, a.reference ?? a.id), el('td', { class: 'status' }, pick(a.status_label_id, a.status_label_en) || a.status), el('td', {}, fmtDate(a.updated_at))))));
  } catch (e) {
    box.replaceChildren(el('p', { class: 'error' }, e.message));
  }
}

async function showMine(id) {
  const box = document.getElementById('mine-detail');
  box.replaceChildren(el('p', { class: 'muted' }, t('loading')));
  try {
    const { data: a } = await api(`/api/applications/${id}`);
    const upload = el('input', { type: 'file', id: 'attach-file', accept: 'application/pdf,image/jpeg,image/png' });
    const kind = el('select', { id: 'attach-kind' }, ['site_plan', 'photo', 'other'].map((k) => el('option', { value: k }, t(`kind.${k}`))));
    upload.addEventListener('change', async () => {
      const f = upload.files[0];
      if (!f) return;
      const fd = new FormData();
      fd.append('kind', kind.value);
      fd.append('file', f);
      try {
        await api(`/api/applications/${id}/attachments`, { method: 'POST', body: fd });
        showMine(id);
      } catch (err) {
        box.append(el('p', { class: 'error' }, err.message));
      }
    });
    box.replaceChildren(el('div', { class: 'card', id: 'mine-card', dataset: { status: a.status } },
      el('h3', {}, `${a.reference ?? a.id} \u2014 ${pick(a.status_label_id, a.status_label_en) || a.status}`),
      a.permit_number ? el('p', {}, el('a', { href: a.document_url, target: '_blank' }, a.permit_number)) : null,
      el('p', { class: 'muted' }, `${a.kbli_code} ${a.activity_title ?? ''}`),
      el('h3', {}, t('trail.title')), trailView(a.events),
      el('h3', {}, t('attachments.title')), attachmentsView(a.attachments),
      ['DRAFT', 'RETURNED'].includes(a.status)
        ? el('div', {}, el('label', { for: 'attach-kind' }, t('attachments.kind')), kind, el('label', { for: 'attach-file' }, t('attachments.add')), upload)
        : null));
    if (a.parcel) map.fitBounds(bounds(a.parcel), { padding: 40, maxZoom: 18 });
  } catch (e) {
    box.replaceChildren(el('p', { class: 'error' }, e.message));
  }
}

onLang(() => {
  if (form.decision) document.getElementById('result').replaceChildren(decisionView(form.decision));
});
