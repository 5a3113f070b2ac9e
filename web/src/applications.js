// Pieces shared by the applicants' and verifiers' pages: a check decision, an application's
// trail and attachments, and the offending areas of a decision on the map.
import { el, t, pick, fmtNumber, fmtDate } from './common.js';

/** The decision of /api/check (or an application's check_result) as a block of HTML. */
export function decisionView(d) {
  if (!d) return el('p', { class: 'muted' }, t('na'));
  const findings = (d.findings || []).filter((f) => f.status !== 'pass' || f.rule === 'geometry');
  const order = { fail: 0, condition: 1, info: 2, pass: 3 };
  findings.sort((a, b) => (order[a.status] ?? 9) - (order[b.status] ?? 9));
  return el('div', { class: 'decision', dataset: { outcome: d.outcome } },
    el('p', {}, el('span', { class: `badge outcome-${d.outcome}`, id: 'outcome' }, t(`outcome.${d.outcome}`)), ' ',
      el('span', { class: 'muted' }, `${t('parcel.area')} ${fmtNumber(d.parcel_area_m2, 0)} m\u00b2`)),
    el('p', {}, pick(d.summary_id, d.summary_en)),
    d.zones?.length
      ? el('p', { class: 'muted' }, d.zones.map((z) => `${z.subzone_code} ${z.subzone_name ?? ''} (${z.itbx ?? '?'}, ${fmtNumber((z.share ?? 0) * 100, 0)}%)`).join('; '))
      : null,
    el('ul', { class: 'findings' }, findings.map((f) => el('li', { class: f.status, dataset: { rule: f.rule } }, pick(f.message_id, f.message_en)))),
    d.conditions?.length
      ? el('div', {}, el('h3', {}, t('field.conditions').split(' (')[0]),
        el('ul', {}, d.conditions.map((c) => el('li', {}, `${c.code}: ${pick(c.text_id, c.text_en)}`))))
      : null,
  );
}

/** GeoJSON of a decision's offending parts (findings with a geometry) and its compliant polygon. */
export function decisionFeatures(d) {
  const features = [];
  for (const f of d?.findings || []) {
    if (f.geometry) features.push({ type: 'Feature', geometry: f.geometry, properties: { kind: 'finding', rule: f.rule, status: f.status } });
  }
  if (d?.compliant_polygon) {
    features.push({ type: 'Feature', geometry: d.compliant_polygon, properties: { kind: 'compliant' } });
  }
  return { type: 'FeatureCollection', features };
}

/** Map layers drawing `decisionFeatures` from the source `source`. */
export function decisionLayers(source) {
  return [
    { layer: { id: `${source}-fill`, type: 'fill', source, filter: ['==', ['get', 'kind'], 'finding'], paint: { 'fill-color': '#d32f2f', 'fill-opacity': 0.45 } } },
    { layer: { id: `${source}-line`, type: 'line', source, filter: ['==', ['get', 'kind'], 'finding'], paint: { 'line-color': '#b71c1c', 'line-width': 2 } } },
    { layer: { id: `${source}-ok`, type: 'line', source, filter: ['==', ['get', 'kind'], 'compliant'], paint: { 'line-color': '#2e7d32', 'line-width': 3, 'line-dasharray': [2, 1] } } },
  ];
}

export function trailView(events) {
  if (!events?.length) return el('p', { class: 'muted' }, '\u2013');
  return el('ol', { class: 'trail' }, events.map((e) => el('li', {},
    el('strong', {}, `${e.from_status ? e.from_status + ' \u2192 ' : ''}${e.to_status}`), ' ',
    el('span', { class: 'muted' }, `${fmtDate(e.at)} \u00b7 ${e.actor_email ?? ''}${e.actor_role ? ' (' + e.actor_role + ')' : ''}`),
    e.note ? el('div', {}, e.note) : null)));
}

export function attachmentsView(list) {
  if (!list?.length) return el('p', { class: 'muted' }, '\u2013');
  return el('ul', { class: 'attachments' }, list.map((a) => el('li', {},
    el('a', { href: a.url, target: '_blank', rel: 'noopener' }, a.filename), ' ',
    el('span', { class: 'muted' }, `${a.kind ?? ''} ${fmtNumber((a.size_bytes ?? 0) / 1024, 0)} KB`))));
}

/** Bounds [[w,s],[e,n]] of a GeoJSON geometry. */
export function bounds(geometry) {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]);
    } else c.forEach(walk);
  };
  walk(geometry.coordinates);
  return [[w, s], [e, n]];
}

/** Time left against the service level, as text with the overdue mark. */
export function slaText(a) {
  if (a.overdue) return el('span', { class: 'overdue' }, `${t('overdue')} (${a.sla_days_left ?? ''})`);
  return a.sla_days_left == null ? '\u2013' : String(a.sla_days_left);
}
