// The verifiers' page (/verifikasi): the queue ordered by time left against the service level;
// one application with its map, check result, attachments, trail and the actions the user's
// role allows (rendered generically from allowed_actions, with inputs for their fields).
import { api, el, t, pick, onLang, initChrome, fmtDate } from './common.js';
import { createMap, geojsonSource, state } from './basemap.js';
import { authBox } from './auth.js';
import { decisionView, decisionFeatures, decisionLayers, trailView, attachmentsView, bounds, slaText } from './applications.js';

initChrome();

const view = { user: null, current: null, etag: null };
state.view = view;

const map = await createMap('map', {
  sources: { application: geojsonSource(), findings: geojsonSource() },
  layers: [
    { layer: { id: 'application-fill', type: 'fill', source: 'application', filter: ['==', ['get', 'kind'], 'parcel'], paint: { 'fill-color': '#1565c0', 'fill-opacity': 0.15 } } },
    { layer: { id: 'application-line', type: 'line', source: 'application', filter: ['==', ['get', 'kind'], 'parcel'], paint: { 'line-color': '#0d47a1', 'line-width': 3 } } },
    { layer: { id: 'approved-line', type: 'line', source: 'application', filter: ['==', ['get', 'kind'], 'approved'], paint: { 'line-color': '#2e7d32', 'line-width': 3, 'line-dasharray': [2, 1] } } },
    ...decisionLayers('findings'),
  ],
});

await authBox(document.getElementById('auth'), (user) => {
  view.user = user;
  loadQueue();
}, { allowRegister: false });

// Sort key: overdue first, then fewest days left; applications without a clock go last.
function byTimeLeft(a, b) {
  const key = (x) => (x.overdue ? -1e9 : 0) + (x.sla_days_left ?? 1e9);
  return key(a) - key(b) || String(a.submitted_at ?? a.created_at).localeCompare(String(b.submitted_at ?? b.created_at));
}

async function loadQueue() {
  const box = document.getElementById('queue');
  if (!view.user) {
    box.replaceChildren();
    document.getElementById('detail').replaceChildren(el('p', { class: 'muted' }, t('verif.pick')));
    return;
  }
  try {
    const { data } = await api('/api/applications');
    const list = (data.applications || []).filter((a) => !['DRAFT', 'ISSUED', 'REJECTED'].includes(a.status) || a.id === view.current?.id);
    list.sort(byTimeLeft);
    state.queue = list.map((a) => a.id);
    if (!list.length) {
      box.replaceChildren(el('p', { class: 'muted' }, t('verif.empty')));
      return;
    }
    box.replaceChildren(el('table', { id: 'queue-table' },
      el('tr', {}, el('th', {}, t('col.reference')), el('th', {}, t('col.status')), el('th', {}, t('col.sla')), el('th', {}, t('col.applicant'))),
      list.map((a) => el('tr', { class: `pick${a.id === view.current?.id ? ' active' : ''}`, dataset: { id: a.id, status: a.status, sla: a.sla_days_left ?? '', overdue: a.overdue ? '1' : '' }, onclick: () => openApplication(a.id) },
        el('td', {}, a.reference ?? a.id, el('div', { class: 'muted' }, `${a.kbli_code ?? ''} ${a.activity_title ?? ''}`)),
        el('td', { class: 'status' }, pick(a.status_label_id, a.status_label_en) || a.status),
        el('td', {}, slaText(a)),
        el('td', {}, a.applicant_name ?? '')))));
  } catch (e) {
    box.replaceChildren(el('p', { class: 'error' }, e.message));
  }
}

async function openApplication(id) {
  const box = document.getElementById('detail');
  box.replaceChildren(el('p', { class: 'muted' }, t('loading')));
  try {
    const { data: a, headers } = await api(`/api/applications/${id}`);
    view.current = a;
    view.etag = headers.get('ETag') ?? (a.version != null ? `"${a.version}"` : null);
    render();
    const features = [];
    if (a.parcel) features.push({ type: 'Feature', geometry: a.parcel, properties: { kind: 'parcel' } });
    if (a.approved_parcel) features.push({ type: 'Feature', geometry: a.approved_parcel, properties: { kind: 'approved' } });
    map.getSource('application').setData({ type: 'FeatureCollection', features });
    map.getSource('findings').setData(decisionFeatures(a.check_result));
    if (a.parcel) map.fitBounds(bounds(a.parcel), { padding: 60, maxZoom: 18, duration: 0 });
    for (const tr of document.querySelectorAll('#queue-table tr.pick')) tr.classList.toggle('active', tr.dataset.id === String(id));
  } catch (e) {
    box.replaceChildren(el('p', { class: 'error' }, e.message));
  }
}

function render() {
  const a = view.current;
  if (!a) return;
  const box = document.getElementById('detail');
  box.replaceChildren(el('div', { class: 'card', id: 'application', dataset: { id: a.id, status: a.status } },
    el('h2', {}, `${a.reference ?? a.id}`),
    el('p', {}, el('span', { class: 'badge', id: 'app-status', dataset: { status: a.status } }, pick(a.status_label_id, a.status_label_en) || a.status), ' ',
      el('span', { class: 'muted' }, `${t('col.sla')}: `), slaText(a)),
    el('p', {}, `${a.applicant_name ?? ''} (${a.applicant_type ?? ''})`),
    el('p', { class: 'muted' }, `${a.kbli_code ?? ''} ${a.activity_title ?? ''}`),
    el('h3', {}, t('verif.check')), decisionView(a.check_result),
    el('h3', {}, t('attachments.title')), attachmentsView(a.attachments),
    el('h3', {}, t('trail.title')), trailView(a.events),
    el('h3', {}, t('verif.actions')), actionsView(a),
    a.document_url ? el('p', {}, el('a', { href: a.document_url, target: '_blank', id: 'permit-link' }, a.permit_number || a.document_url)) : null,
  ));
}

/** One small form per allowed action, with inputs for the fields it lists. */
function actionsView(a) {
  const actions = a.allowed_actions || [];
  if (!actions.length) return el('p', { class: 'muted', id: 'no-actions' }, t('verif.noactions'));
  return el('div', { class: 'actions' }, actions.map((act) => {
    const required = act.required || [];
    const inputs = (act.fields || []).map((f) => fieldInput(act.action, f, required.includes(fieldName(f))));
    const form = el('form', { class: 'card', dataset: { action: act.action } },
      ...inputs.map((i) => i.wrap),
      el('button', { type: 'submit', class: 'primary', id: `act-${act.action}` }, pick(act.label_id, act.label_en) || act.action),
      el('p', { class: 'error act-error' }));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = {};
      for (const i of inputs) {
        const v = i.value();
        if (v !== undefined) body[i.name] = v;
      }
      await act_(act.action, body, form);
    });
    return form;
  }));
}

function fieldName(f) {
  return typeof f === 'string' ? f : f.name;
}

/** An input for an action field: `note`, `decision`, `decision_reason`, `conditions`, `approved_parcel`. */
function fieldInput(action, f, required) {
  const name = fieldName(f);
  const id = `f-${action}-${name}`;
  let input;
  let value;
  if (name === 'decision') {
    const options = (typeof f === 'object' && (f.options || f.values || f.enum)) || ['approved', 'approved_conditional', 'approved_partial', 'rejected'];
    input = el('select', { id, name }, options.map((o) => el('option', { value: typeof o === 'string' ? o : o.value }, typeof o === 'string' ? o : pick(o.label_id, o.label_en) || o.value)));
    value = () => input.value;
  } else if (name === 'conditions') {
    input = el('textarea', { id, name, rows: 3 });
    value = () => {
      const lines = input.value.split('\n').map((s) => s.trim()).filter(Boolean);
      return lines.length ? lines : undefined;
    };
  } else if (name === 'approved_parcel') {
    input = el('textarea', { id, name, rows: 3, placeholder: '{"type":"Polygon",...}' });
    value = () => (input.value.trim() ? JSON.parse(input.value) : undefined);
  } else if (name === 'valid_years') {
    input = el('input', { id, name, type: 'number', min: 1, max: 10, step: 1, placeholder: '3' });
    value = () => (input.value === '' ? undefined : Number(input.value));
  } else {
    input = el(name === 'note' || name === 'decision_reason' ? 'textarea' : 'input', { id, name, rows: 2, required });
    value = () => (input.value.trim() ? input.value.trim() : undefined);
  }
  if (required) input.required = true;
  const label = typeof f === 'object' && (f.label_id || f.label_en) ? pick(f.label_id, f.label_en) : t(`field.${name}`);
  return { name, value, wrap: el('div', {}, el('label', { for: id }, label + (required ? ' *' : '')), input) };
}

async function act_(action, body, form) {
  const a = view.current;
  const err = form.querySelector('.act-error');
  err.textContent = '';
  try {
    const { data, headers } = await api(`/api/applications/${a.id}/actions/${action}`, {
      method: 'POST',
      body,
      headers: view.etag ? { 'If-Match': view.etag } : {},
    });
    state.lastAction = { action, status: data?.status };
    await openApplication(a.id);
    if (headers.get('ETag')) view.etag = headers.get('ETag');
    await loadQueue();
  } catch (e) {
    if (e.status === 412 || e.status === 409) {
      // someone else changed it: show the current state and let the user decide again
      await openApplication(a.id);
      document.getElementById('detail').prepend(el('p', { class: 'error' }, `${t('verif.stale')} ${e.message}`));
    } else {
      err.textContent = e.message;
    }
  }
}

onLang(() => {
  render();
  loadQueue();
});
