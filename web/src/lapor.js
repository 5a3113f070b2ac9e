// /lapor: a citizen reports a waste problem without an account: a pin on the map (a click, or
// the phone's location), a category, a short description, an optional photo (made smaller in
// the browser when it is large) and contact. The receipt gives the reference (LS-<id>); looking
// it up (here, or /lapor?ref=LS-<id>) shows the status and its history from the public report
// API, without anyone's contact or staff names.
import { api, el, t, initChrome, onLang, fmtDate } from './common.js';
import { createMap, geojsonSource, state } from './basemap.js';
import { trail } from './waste.js';

const CATEGORIES = ['campuran', 'organik', 'plastik', 'B3', 'logam', 'kaca', 'kertas', 'lainnya'];
const MAX_PHOTO = 5 * 1024 * 1024;
// Phone photos are often larger than needed (and than the server takes): above this size, or
// wider or taller than MAX_SIDE, they are re-encoded as JPEG in the browser before sending.
const SHRINK_ABOVE = 1.5 * 1024 * 1024;
const MAX_SIDE = 2048;
const $ = (id) => document.getElementById(id);

const form = { point: null, receipt: null, lookup: null, lookupError: '' };
state.lapor = form;

initChrome();

function fillCategories() {
  const sel = $('category');
  const keep = sel.value;
  sel.replaceChildren(el('option', { value: '' }, t('lapor.pick_category')),
    ...CATEGORIES.map((c) => el('option', { value: c }, t(`cat.${c}`))));
  sel.value = keep;
}
fillCategories();

const map = await createMap('map', {
  sources: { pin: geojsonSource() },
  layers: [{ layer: { id: 'pin', type: 'circle', source: 'pin', paint: { 'circle-radius': 9, 'circle-color': '#c62828', 'circle-stroke-color': '#fff', 'circle-stroke-width': 3 } } }],
});

function setPoint(lon, lat, how) {
  form.point = { lon, lat, how };
  const src = map.getSource('pin');
  if (src) src.setData({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [lon, lat] } }] });
  renderWhere();
}

function renderWhere() {
  const p = form.point;
  $('where').textContent = p ? `${t(p.how === 'gps' ? 'lapor.point_gps' : 'lapor.point_map')}: ${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}` : t('lapor.no_point');
}

map.on('click', (e) => setPoint(e.lngLat.lng, e.lngLat.lat, 'map'));

$('locate').addEventListener('click', () => {
  if (!navigator.geolocation) {
    $('report-message').textContent = t('lapor.no_gps');
    return;
  }
  $('where').textContent = t('loading');
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      setPoint(pos.coords.longitude, pos.coords.latitude, 'gps');
      map.flyTo({ center: [pos.coords.longitude, pos.coords.latitude], zoom: Math.max(map.getZoom(), 16) });
    },
    (err) => {
      renderWhere();
      $('report-message').textContent = `${t('lapor.no_gps')} (${err.message})`;
    },
    { enableHighAccuracy: true, timeout: 15000 },
  );
});

/** The photo to send: as chosen when small enough, else re-encoded smaller; null if it cannot be. */
async function photoToSend(file) {
  if (file.size <= SHRINK_ABOVE && ['image/jpeg', 'image/png'].includes(file.type)) return file;
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return file.size <= MAX_PHOTO ? file : null; // not decodable here: the server will judge it
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  for (const quality of [0.85, 0.7, 0.5]) {
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
    if (blob && blob.size <= MAX_PHOTO) return new File([blob], 'foto.jpg', { type: 'image/jpeg' });
  }
  return null;
}

$('report-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const msg = $('report-message');
  msg.textContent = '';
  if (!form.point) {
    msg.textContent = t('lapor.need_point');
    return;
  }
  if (!$('category').value) {
    msg.textContent = t('lapor.need_category');
    return;
  }
  const chosen = $('photo').files[0];
  const photo = chosen ? await photoToSend(chosen) : null;
  if (chosen && !photo) {
    msg.textContent = t('lapor.photo_big');
    return;
  }
  const body = new FormData();
  body.append('lon', String(form.point.lon));
  body.append('lat', String(form.point.lat));
  body.append('category', $('category').value);
  body.append('description', $('description').value.trim());
  if ($('contact').value.trim()) body.append('contact', $('contact').value.trim());
  if (photo) body.append('photo', photo, photo.name);
  state.sentPhotoBytes = photo ? photo.size : 0;
  const send = $('send');
  send.disabled = true;
  try {
    const { data } = await api('/api/waste/reports', { method: 'POST', body });
    form.receipt = data;
    $('report-form').reset();
    fillCategories();
    renderReceipt();
    history.replaceState(null, '', `/lapor?ref=${encodeURIComponent(data.reference)}`);
  } catch (err) {
    msg.textContent = err.status === 429 ? `${err.message} ${t('lapor.later')}` : err.message;
  } finally {
    send.disabled = false;
  }
});

function renderReceipt() {
  const r = form.receipt;
  if (!r) return;
  $('receipt').replaceChildren(el('div', { class: 'card receipt', id: 'receipt-card' },
    el('h2', {}, t('lapor.thanks')),
    el('p', {}, t('lapor.your_ref'), ' ', el('strong', { id: 'receipt-ref', class: 'ref' }, r.reference)),
    el('p', { class: 'muted' }, t('lapor.keep_ref')),
    el('table', {},
      el('tr', {}, el('td', {}, t('col.status')), el('td', {}, el('span', { class: `badge status-${r.status}` }, t(`status.${r.status}`)))),
      el('tr', {}, el('td', {}, t('lapor.category')), el('td', {}, t(`cat.${r.category}`))),
      el('tr', {}, el('td', {}, t('pantau.kelurahan')), el('td', {}, r.kelurahan?.name ?? '\u2013')),
      el('tr', {}, el('td', {}, t('lapor.reported_at')), el('td', {}, fmtDate(r.reported_at)))),
    el('p', {}, el('a', { href: `/lapor?ref=${encodeURIComponent(r.reference)}`, id: 'receipt-link' }, t('lapor.follow')))));
}

async function lookup(ref) {
  const clean = ref.trim();
  form.lookupError = '';
  form.lookup = null;
  if (!/^(ls-?)?\d{1,18}$/i.test(clean)) {
    form.lookupError = t('lapor.bad_ref');
  } else {
    try {
      const { data } = await api(`/api/waste/reports/${encodeURIComponent(clean.replace(/^ls-?/i, 'LS-'))}`);
      form.lookup = data;
    } catch (e) {
      form.lookupError = e.status === 404 ? t('lapor.not_found') : e.message;
    }
  }
  renderLookup();
}

function renderLookup() {
  const box = $('lookup');
  if (form.lookupError) {
    box.replaceChildren(el('p', { class: 'error', id: 'lookup-error' }, form.lookupError));
    return;
  }
  const r = form.lookup;
  if (!r) {
    box.replaceChildren();
    return;
  }
  box.replaceChildren(el('div', { class: 'card', id: 'lookup-card', dataset: { ref: r.reference } },
    el('h3', {}, `${r.reference} `, el('span', { class: `badge status-${r.status}`, id: 'lookup-status', dataset: { status: r.status } }, t(`status.${r.status}`))),
    el('p', {}, `${t(`cat.${r.category}`)} \u00b7 ${r.kelurahan?.name ?? ''}`),
    r.description ? el('p', { class: 'muted' }, r.description) : null,
    el('h3', {}, t('trail.title')),
    trail(r)));
}

$('lookup-form').addEventListener('submit', (e) => {
  e.preventDefault();
  lookup($('lookup-ref').value);
});

onLang(() => {
  fillCategories();
  renderWhere();
  renderReceipt();
  renderLookup();
});

const ref = new URLSearchParams(location.search).get('ref');
if (ref) {
  $('lookup-ref').value = ref;
  lookup(ref).then(() => $('lookup').scrollIntoView({ block: 'nearest' }));
}
