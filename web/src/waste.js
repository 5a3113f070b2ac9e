// Shared by /pantau and /lapor: the waste report statuses with their colours and a report's
// status history (times, statuses and notes; who changed it only where the API tells, that is
// to officers).
import { el, t, fmtDate } from './common.js';

export const STATUS_COLORS = {
  baru: '#ef6c00', diverifikasi: '#1565c0', dijadwalkan: '#6a1b9a', selesai: '#2e7d32', ditolak: '#9e9e9e',
};

/** The status history of a report as an ordered list. */
export function trail(r) {
  const items = [];
  if (!r.events.length) items.push(el('li', {}, `${fmtDate(r.reported_at)}: `, el('strong', {}, t('status.baru'))));
  for (const e of r.events) {
    items.push(el('li', {}, `${fmtDate(e.at)}: `, e.from ? `${t(`status.${e.from}`)} \u2192 ` : '',
      el('strong', {}, t(`status.${e.to}`)), e.note ? ` \u2014 ${e.note}` : '',
      e.actor ? el('span', { class: 'muted' }, ` (${e.actor})`) : ''));
  }
  return el('ol', { class: 'trail', id: 'trail' }, items);
}
