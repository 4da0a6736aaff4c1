// The account center: any user of a tenant signs in through the tenant's login pages (PKCE) and manages their own
// profile, password, two-step verification, sessions and connected apps, and reads their security activity. Data
// comes from the JSON auth API (/api/v1/auth) with the bearer token; sensitive changes ask for the password again
// when the sign-in is older than a few minutes (REAUTHENTICATION_REQUIRED).
import { createApi } from './api.js';
import { checkbox, field, formatTime, h, replace } from './dom.js';
import { OidcSession } from './oidc-session.js';
import { watchPasswordRules } from './password-rules.js';
import {
  actionButton,
  badge,
  errorNotice,
  markCurrentNavLink,
  modal,
  notice,
  outcomeArea,
  page,
  props,
  setAppName,
  showPage,
  table,
} from './ui.js';
import { describeEvent, T } from './texts.js';

setAppName(T.appName);
const session = new OidcSession({ basePath: '/account', key: 'gh.account' });
const api = createApi(session, () => null);
const root = document.getElementById('app');
const state = { me: null, config: null };

const ROUTES = [
  { path: /^\/$/, nav: T.profile, href: '#/', render: profilePage },
  { path: /^\/password$/, nav: T.password, href: '#/password', render: passwordPage },
  { path: /^\/mfa$/, nav: T.mfa, href: '#/mfa', render: mfaPage },
  { path: /^\/sessions$/, nav: T.sessions, href: '#/sessions', render: sessionsPage },
  { path: /^\/apps$/, nav: T.apps, href: '#/apps', render: appsPage },
  { path: /^\/activity$/, nav: T.activity, href: '#/activity', render: activityPage },
];

/**
 * Runs a sensitive change; when the server answers that the sign-in is too old, asks for the password (and a code
 * when two-step verification is on), re-authenticates, and runs it once more.
 */
async function sensitive(change) {
  try {
    return await change();
  } catch (err) {
    if (err.code !== 'REAUTHENTICATION_REQUIRED') throw err;
    if (!(await reauthenticate())) throw new Error(T.reauthCancelled, { cause: err });
    return change();
  }
}

async function reauthenticate() {
  const { enabled } = await api('GET', '/api/v1/auth/mfa');
  return new Promise((resolve) => {
    let done = false;
    const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
    const code = enabled
      ? h('input', { type: 'text', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', required: true })
      : null;
    const out = outcomeArea();
    const titleId = `reauth-${Date.now()}`;
    const form = h(
      'form',
      {
        onsubmit: async (event) => {
          event.preventDefault();
          try {
            await api('POST', '/api/v1/auth/reauthenticate', {
              body: { password: password.value, ...(code && { code: code.value.trim() }) },
            });
            done = true;
            dialog.close();
          } catch (err) {
            out.error(err);
          }
        },
      },
      field(T.currentPassword, password),
      code ? field(T.code, code, T.codeOrBackupHint) : null,
      out.el,
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit' }, T.confirm),
        h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, T.cancel),
      ),
    );
    const dialog = modal(h('h2', { id: titleId }, T.reauthTitle), h('p', null, enabled ? T.reauthIntroMfa : T.reauthIntro), form);
    dialog.setAttribute('aria-labelledby', titleId);
    dialog.addEventListener('close', () => resolve(done));
    password.focus();
  });
}

/** A form whose submit runs `action(form)` with its button disabled; errors land in `out`. */
function actionForm(out, action, ...children) {
  const form = h(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const button = form.querySelector('button[type=submit]');
        button.disabled = true;
        out.clear();
        try {
          await action(form);
        } catch (err) {
          out.error(err);
        } finally {
          button.disabled = false;
        }
      },
    },
    ...children,
  );
  return form;
}

const codeInput = (name = 'code') =>
  h('input', { type: 'text', name, inputmode: 'numeric', autocomplete: 'one-time-code', required: true, maxlength: '32' });

async function profilePage({ refresh }) {
  const { user } = await api('GET', '/api/v1/auth/me');
  state.me = user;
  const out = outcomeArea();
  const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'email', maxlength: '254' });
  const form = actionForm(
    out,
    async () => {
      const data = await sensitive(() => api('POST', '/api/v1/auth/email/change', { body: { email: email.value.trim() } }));
      form.reset();
      out.ok(data.message);
    },
    field(T.newEmail, email, T.newEmailHint),
    h('button', { type: 'submit' }, T.changeEmail),
  );
  const resend = user.emailVerified
    ? null
    : actionButton(
        T.resend,
        async () => {
          const data = await api('POST', '/api/v1/auth/verify-email/resend');
          out.ok(data.sent ? T.resent : T.alreadyVerified);
          if (!data.sent) await refresh();
        },
        { outcome: out },
      );
  return page(
    T.profile,
    props([
      [T.email, user.email],
      [T.username, user.username ?? '—'],
      [T.emailStatus, user.emailVerified ? badge(T.verified, 'ok') : badge(T.notVerified, 'warn')],
      [T.memberSince, formatTime(user.createdAt)],
      [T.lastSignIn, formatTime(user.lastLoginAt)],
    ]),
    resend,
    out.el,
    h('h2', null, T.changeEmail),
    form,
  );
}

async function passwordPage() {
  const out = outcomeArea();
  const current = h('input', { type: 'password', name: 'currentPassword', autocomplete: 'current-password', required: true });
  const next = h('input', {
    type: 'password',
    name: 'newPassword',
    autocomplete: 'new-password',
    required: true,
    minlength: String(state.config.passwordRules.minLength),
  });
  const repeat = h('input', { type: 'password', name: 'repeatPassword', autocomplete: 'new-password', required: true });
  const rules = h('ul', { class: 'rules', id: 'password-rules', 'aria-live': 'polite' });
  const endOthers = checkbox(T.endOthers, { name: 'endOtherSessions', checked: true });
  watchPasswordRules(
    next,
    rules,
    state.config.passwordRules,
    { min: T.ruleMin, max: T.ruleMax, same: T.ruleSame, met: T.ruleMet, unmet: T.ruleUnmet },
    repeat,
  );
  next.setAttribute('aria-describedby', 'password-rules');
  const form = actionForm(
    out,
    async () => {
      if (next.value !== repeat.value) throw new Error(T.passwordsDiffer);
      const body = {
        currentPassword: current.value,
        newPassword: next.value,
        endOtherSessions: endOthers.querySelector('input').checked,
      };
      const data = await sensitive(() => api('POST', '/api/v1/auth/password/change', { body }));
      form.reset();
      next.dispatchEvent(new Event('input'));
      out.ok(T.passwordChanged(data.sessionsEnded));
    },
    field(T.currentPassword, current),
    field(T.newPassword, next),
    h('p', { class: 'hint' }, T.rulesTitle),
    rules,
    field(T.repeatPassword, repeat),
    endOthers,
    h('button', { type: 'submit' }, T.changePassword),
  );
  return page(T.password, out.el, form);
}

async function mfaPage(context) {
  const status = await api('GET', '/api/v1/auth/mfa');
  const policy = state.config.mfaPolicy;
  if (!status.enabled && policy === 'off') return page(T.mfa, h('p', null, T.mfaDisabledByTenant));
  const out = outcomeArea();
  const area = h('div');
  if (!status.enabled) {
    replace(
      area,
      h('p', null, T.mfaIntro),
      policy === 'required' ? h('p', null, T.mfaRequired) : null,
      actionButton(
        T.mfaSetUp,
        async () => replace(area, enrolment(await api('POST', '/api/v1/auth/mfa/totp/enroll'), out, area, context)),
        {
          outcome: out,
          kind: 'primary',
        },
      ),
    );
    return page(T.mfa, h('p', null, badge(T.mfaOffBadge, 'warn')), out.el, area);
  }
  const regenCode = codeInput();
  const regenerate = actionForm(
    out,
    async () => {
      const { backupCodes } = await api('POST', '/api/v1/auth/mfa/backup-codes', { body: { code: regenCode.value.trim() } });
      replace(area, backupCodesView(backupCodes, context));
    },
    field(T.code, regenCode, T.codeHint),
    h('button', { type: 'submit', class: 'secondary' }, T.regenerate),
  );
  const offCode = h('input', { type: 'text', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '32' });
  const offPassword = h('input', { type: 'password', name: 'password', autocomplete: 'current-password' });
  const turnOff = actionForm(
    out,
    async () => {
      const proof = offCode.value.trim() ? { code: offCode.value.trim() } : { password: offPassword.value };
      const data = await sensitive(() => api('POST', '/api/v1/auth/mfa/disable', { body: proof }));
      await context.refresh();
      const main = document.getElementById('main');
      main?.prepend(notice('ok', data.requiredByTenant ? T.turnOffRequired : T.turnOffDone));
    },
    field(T.code, offCode, T.codeOrBackupHint),
    field(T.orPassword, offPassword),
    h('button', { type: 'submit', class: 'danger' }, T.turnOff),
  );
  replace(
    area,
    h('p', null, T.backupRemaining(status.backupCodesRemaining)),
    h('h2', null, T.regenerate),
    h('p', null, T.regenerateIntro),
    regenerate,
    h('h2', null, T.turnOff),
    h('p', null, T.turnOffIntro),
    turnOff,
  );
  return page(T.mfa, h('p', null, badge(T.mfaOn, 'ok')), policy === 'required' ? h('p', null, T.mfaRequired) : null, out.el, area);
}

function enrolment(data, out, area, context) {
  const code = codeInput();
  const form = actionForm(
    out,
    async () => {
      const { backupCodes } = await api('POST', '/api/v1/auth/mfa/totp/activate', { body: { code: code.value.trim() } });
      replace(area, backupCodesView(backupCodes, context));
    },
    field(T.code, code, T.codeHint),
    h('button', { type: 'submit' }, T.confirmCode),
  );
  return [
    h('p', null, T.mfaScan),
    h('img', { src: data.qrCode, alt: T.qrAlt, class: 'qr', width: '200', height: '200' }),
    h('p', null, h('strong', null, T.manualKey)),
    h('code', { class: 'secret', id: 'totp-secret' }, data.secret),
    form,
  ];
}

function backupCodesView(codes, context) {
  return [
    h('h2', { id: 'backup-title' }, T.backupCodes),
    h('p', null, T.backupCodesIntro),
    h(
      'ul',
      { class: 'backup-codes', id: 'backup-codes', 'aria-labelledby': 'backup-title' },
      codes.map((c) => h('li', null, h('code', null, c))),
    ),
    h('button', { type: 'button', onclick: () => context.refresh() }, T.backupSaved),
  ];
}

async function sessionsPage({ refresh }) {
  const { sessions } = await api('GET', '/api/v1/auth/sessions');
  const out = outcomeArea();
  const others = sessions.filter((s) => !s.current);
  const rows = sessions.map((s) => [
    s.device ?? '—',
    s.ip ?? '—',
    s.clientId ?? '—',
    formatTime(s.createdAt),
    formatTime(s.lastSeenAt),
    s.current
      ? badge(T.thisSession, 'ok')
      : actionButton(
          T.end,
          async () => {
            await api('DELETE', `/api/v1/auth/sessions/${encodeURIComponent(s.id)}`);
            await refresh();
            document.getElementById('main')?.prepend(notice('ok', T.endedOne));
          },
          { outcome: out, confirm: { title: T.endConfirmTitle, text: T.endConfirmText, action: T.end } },
        ),
  ]);
  const endAll =
    others.length > 0
      ? actionButton(
          T.endOthersButton,
          async () => {
            const { ended } = await api('DELETE', '/api/v1/auth/sessions');
            await refresh();
            document.getElementById('main')?.prepend(notice('ok', T.endedMany(ended)));
          },
          { outcome: out, kind: 'danger', confirm: { title: T.endOthersButton, text: T.endOthersConfirm, action: T.endOthersButton } },
        )
      : h('p', { class: 'muted' }, T.noSessions);
  return page(
    T.sessions,
    h('p', null, T.sessionsIntro),
    out.el,
    table(T.sessions, [T.device, T.address, T.app, T.started, T.lastActive, T.status], rows),
    endAll,
  );
}

async function appsPage({ refresh }) {
  const { apps } = await api('GET', '/api/v1/auth/apps');
  const out = outcomeArea();
  const rows = apps.map((a) => [
    a.name,
    [a.scope.join(' '), ...a.apiScopes.map((s) => T.apiScope(s.resourceName, s.description ?? s.scope))].join(' · '),
    formatTime(a.updatedAt),
    actionButton(
      T.disconnect,
      async () => {
        await api('DELETE', `/api/v1/auth/apps/${encodeURIComponent(a.clientId)}`);
        await refresh();
        document.getElementById('main')?.prepend(notice('ok', T.disconnected(a.name)));
      },
      { outcome: out, kind: 'danger', confirm: { title: T.disconnectTitle, text: T.disconnectText, action: T.disconnect } },
    ),
  ]);
  return page(T.apps, h('p', null, T.appsIntro), out.el, table(T.apps, [T.appName2, T.scopes, T.allowedOn, ''], rows, T.noApps));
}

async function activityPage() {
  const { events } = await api('GET', '/api/v1/auth/activity', { query: { limit: 50 } });
  const rows = events.map((e) => [
    describeEvent(e.type),
    e.outcome === 'success' ? badge(T.success, 'ok') : badge(T.failure, 'bad'),
    formatTime(e.createdAt),
    e.ip ?? '—',
    e.device ?? '—',
  ]);
  return page(
    T.activity,
    h('p', null, T.activityIntro),
    table(T.activity, [T.what, T.result, T.when, T.address, T.device], rows, T.noActivity),
  );
}

function signInScreen(message, isError) {
  document.title = `${T.signIn} · ${T.appName}`;
  const params = new URLSearchParams(location.search);
  const input = h('input', {
    type: 'text',
    name: 'tenant',
    required: true,
    autocomplete: 'organization',
    value: params.get('tenant') ?? localStorage.getItem('gh.account.lastTenant') ?? '',
    pattern: '[a-z0-9][a-z0-9-]*',
  });
  const outcome = h('div', { 'aria-live': 'polite' }, message ? notice(isError ? 'error' : 'ok', message) : null);
  const form = h(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const tenant = input.value.trim().toLowerCase();
        try {
          localStorage.setItem('gh.account.lastTenant', tenant);
          await session.start(tenant);
        } catch (err) {
          replace(outcome, errorNotice(err));
        }
      },
    },
    field(T.tenant, input, T.tenantHint),
    h('button', { type: 'submit' }, T.signIn),
  );
  replace(root, h('main', { id: 'main', class: 'card narrow' }, h('h1', null, T.signInTitle), h('p', null, T.signInIntro), outcome, form));
}

function layout() {
  const main = h('main', { id: 'main', tabindex: '-1' });
  const links = ROUTES.map((route) => h('li', null, h('a', { href: route.href }, route.nav)));
  replace(
    root,
    h('a', { class: 'skip', href: '#main', onclick: (e) => (e.preventDefault(), main.focus()) }, T.skip),
    h(
      'header',
      { class: 'top' },
      h('span', { class: 'brand' }, `${state.config.tenantName} · ${T.appName}`),
      h(
        'div',
        { class: 'who' },
        h('span', null, state.me?.email ?? ''),
        h('button', { type: 'button', class: 'link', onclick: () => session.signOut() }, T.signOut),
      ),
    ),
    h('div', { class: 'layout' }, h('nav', { class: 'side', 'aria-label': T.nav }, h('ul', null, links)), main),
  );
  return main;
}

let mainEl = null;

async function render() {
  if (!mainEl) return;
  const path = location.hash.replace(/^#/, '').split('?')[0] || '/';
  const route = ROUTES.find((r) => r.path.test(path));
  markCurrentNavLink(path);
  const notAvailable = async () => page(T.notAvailable, h('p', null, T.notAvailableText), h('a', { href: '#/' }, T.backHome));
  await showPage(mainEl, route ? () => route.render({ refresh: render }) : notAvailable, {
    loading: T.loading,
    somethingWrong: T.somethingWrong,
    signedIn: () => Boolean(session.current()),
  });
}

async function boot() {
  const current = await session.resumeOrSignIn(signInScreen);
  if (!current) return;
  state.config = current.config;
  try {
    state.me = (await api('GET', '/api/v1/auth/me')).user;
  } catch (err) {
    if (!session.current()) return;
    replace(root, h('main', { id: 'main', class: 'card narrow' }, h('h1', null, T.signInTitle), errorNotice(err)));
    return;
  }
  mainEl = layout();
  await render();
}

session.onEnd((reason) => {
  mainEl = null;
  signInScreen(reason, true);
});
window.addEventListener('hashchange', () => void render());
void boot();
