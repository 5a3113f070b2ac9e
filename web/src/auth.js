// Log in / register / log out box, shared by the applicants' and verifiers' pages. The session
// lives in the HttpOnly cookie ruang_session; unsafe requests carry the ruang_csrf cookie's
// value in X-CSRF-Token (common.js does that).
import { api, el, t, onLang } from './common.js';

/**
 * Renders the box into `box` and calls `onUser(user|null)` now and after every change.
 * `allowRegister`: applicants may create an account here; staff accounts are made by an admin.
 */
export async function authBox(box, onUser, { allowRegister = true } = {}) {
  let user = null;
  let mode = 'login';
  let message = '';

  async function refresh() {
    try {
      const { data } = await api('/api/auth/me');
      user = data?.user ?? null;
    } catch (e) {
      user = null;
      if (e.status === 404) message = t('auth.unavailable');
    }
    render();
    onUser(user);
  }

  function render() {
    box.replaceChildren();
    const who = document.getElementById('who');
    if (who) who.textContent = user ? `${user.display_name || user.email} (${user.role})` : '';
    if (user) {
      box.append(el('p', { class: 'row' },
        el('span', { id: 'auth-user' }, `${t('auth.as')} ${user.display_name || user.email} (${user.role})`),
        el('button', { type: 'button', id: 'logout', onclick: logout }, t('auth.logout'))));
      return;
    }
    const form = el('form', { id: 'auth-form', class: 'card', onsubmit: submit });
    if (allowRegister) {
      form.append(el('div', { class: 'row' },
        el('button', { type: 'button', id: 'auth-mode-login', class: mode === 'login' ? 'primary' : '', onclick: () => { mode = 'login'; render(); } }, t('auth.login')),
        el('button', { type: 'button', id: 'auth-mode-register', class: mode === 'register' ? 'primary' : '', onclick: () => { mode = 'register'; render(); } }, t('auth.register'))));
    }
    if (mode === 'register') {
      form.append(el('label', { for: 'auth-name' }, t('auth.name')), el('input', { id: 'auth-name', required: true, autocomplete: 'name' }));
    }
    form.append(
      el('label', { for: 'auth-email' }, t('auth.email')),
      el('input', { id: 'auth-email', type: 'email', required: true, autocomplete: 'email' }),
      el('label', { for: 'auth-password' }, t('auth.password')),
      el('input', { id: 'auth-password', type: 'password', required: true, minlength: 10, autocomplete: mode === 'register' ? 'new-password' : 'current-password' }),
      el('p', {}, el('button', { type: 'submit', class: 'primary', id: 'auth-submit' }, t(mode === 'register' ? 'auth.register' : 'auth.login'))),
      el('p', { id: 'auth-message', class: 'error' }, message),
    );
    box.append(form);
  }

  async function submit(e) {
    e.preventDefault();
    const body = {
      email: document.getElementById('auth-email').value.trim(),
      password: document.getElementById('auth-password').value,
    };
    if (mode === 'register') body.display_name = document.getElementById('auth-name').value.trim();
    try {
      await api(mode === 'register' ? '/api/auth/register' : '/api/auth/login', { method: 'POST', body });
      message = '';
    } catch (err) {
      message = err.status === 404 ? t('auth.unavailable') : err.message;
    }
    await refresh();
  }

  async function logout() {
    try {
      await api('/api/auth/logout', { method: 'POST' });
    } catch { /* gone anyway */ }
    await refresh();
  }

  onLang(render);
  await refresh();
}
