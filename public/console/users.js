// Users pages of the admin console: list and search, create, and one user's status, roles, MFA, sessions and
// recent audit events, with the actions the signed-in person's permissions allow.
import { checkbox, field, formatTime, formValues, h } from './dom.js';
import { ApiError } from './api.js';
import { actionButton, badge, outcomeArea, page, pager, props, table } from './ui.js';

function statusBadges(user) {
  return [
    user.status === 'disabled' ? badge('disabled', 'bad') : badge('active', 'ok'),
    user.locked ? [' ', badge(`locked until ${formatTime(user.lockedUntil)}`, 'warn')] : null,
    user.emailVerified ? null : [' ', badge('unverified', 'warn')],
  ];
}

export async function usersPage({ api, can, query }) {
  const data = await api('GET', '/api/v1/admin/users', {
    query: { search: query.search, status: query.status, cursor: query.cursor, limit: '25' },
  });
  // The API filters by text and status; role and MFA narrow the page shown.
  const users = data.users.filter(
    (u) => (!query.role || u.roles.includes(query.role)) && (!query.mfa || String(u.mfaEnabled) === query.mfa),
  );
  const search = h('input', { type: 'search', name: 'search', value: query.search ?? '' });
  const select = (name, options) =>
    h(
      'select',
      { name },
      options.map(([value, label]) => h('option', { value, selected: (query[name] ?? '') === value }, label)),
    );
  const filters = h(
    'form',
    {
      class: 'toolbar',
      role: 'search',
      onsubmit: (event) => {
        event.preventDefault();
        const values = formValues(event.target);
        location.hash = `#/users?${new URLSearchParams(Object.entries(values).filter(([, v]) => v)).toString()}`;
      },
    },
    field('Email or username contains', search),
    field(
      'Status',
      select('status', [
        ['', 'Any'],
        ['active', 'Active'],
        ['disabled', 'Disabled'],
      ]),
    ),
    field('Role', h('input', { type: 'text', name: 'role', value: query.role ?? '', size: '10' })),
    field(
      'Two-step verification',
      select('mfa', [
        ['', 'Any'],
        ['true', 'On'],
        ['false', 'Off'],
      ]),
    ),
    h('button', { type: 'submit' }, 'Search'),
  );
  return page(
    'Users',
    can('users:write') ? h('p', null, h('a', { class: 'button', href: '#/users/new' }, 'Create user')) : null,
    filters,
    table(
      'Users of this tenant, oldest first',
      ['Email', 'Username', 'Status', 'Roles', '2-step', 'Last sign-in'],
      users.map((u) => [
        h('a', { href: `#/users/${u.id}` }, u.email),
        u.username ?? '—',
        h('span', null, statusBadges(u)),
        u.roles.join(', '),
        u.mfaEnabled ? 'on' : 'off',
        formatTime(u.lastLoginAt),
      ]),
      'No users match.',
    ),
    pager('/users', query, data.nextCursor),
  );
}

/** A password nobody sees: an invited person chooses their own through the reset mail. */
function unusablePassword() {
  return Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function newUserPage({ api, can, state }) {
  const outcome = outcomeArea();
  const roles = can('roles:read') ? (await api('GET', '/api/v1/admin/roles')).roles : [{ name: 'member' }, { name: 'admin' }];
  const password = h('input', { type: 'password', name: 'password', required: true, autocomplete: 'new-password' });
  const invite = checkbox('Invite by mail: the person chooses their own password from a mail link', {
    name: 'invite',
    onchange: (event) => {
      password.disabled = event.target.checked;
      password.required = !event.target.checked;
    },
  });
  const form = h(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const v = formValues(event.target);
        try {
          const { user } = await api('POST', '/api/v1/admin/users', {
            body: {
              email: v.email,
              password: v.invite ? unusablePassword() : v.password,
              ...(v.username && { username: v.username }),
              emailVerified: v.emailVerified,
              roles: v.roles,
            },
          });
          if (v.invite) await sendPasswordMail(state.tenant, user.email);
          location.hash = `#/users/${user.id}`;
        } catch (err) {
          outcome.error(err);
        }
      },
    },
    field('Email', h('input', { type: 'email', name: 'email', required: true, autocomplete: 'off' })),
    field(
      'Username (optional)',
      h('input', { type: 'text', name: 'username', autocomplete: 'off' }),
      '3–64 letters, digits, dots, dashes or underscores.',
    ),
    invite,
    field(
      'Initial password',
      password,
      'At least 8 characters. Tell the person through a separate channel; they can change it after signing in.',
    ),
    checkbox('Email address already verified', { name: 'emailVerified', checked: true }),
    h(
      'fieldset',
      null,
      h('legend', null, 'Roles'),
      roles.map((r) => checkbox(r.name, { name: 'roles', value: r.name, 'data-multi': '1', checked: r.name === 'member' })),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, 'Create user'),
      h('a', { class: 'button secondary', href: '#/users' }, 'Cancel'),
    ),
  );
  return page('Create user', outcome.el, h('div', { class: 'card' }, form));
}

/** The tenant's ordinary "forgot password" mail: the invitation and the way back in for a locked-out person. */
async function sendPasswordMail(tenant, email) {
  const res = await fetch('/api/v1/auth/password/forgot', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Tenant-ID': tenant },
    body: JSON.stringify({ email }),
  });
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    throw new ApiError(res.status, body?.errors ?? [], body?.requestId ?? res.headers.get('X-Request-ID'));
  }
}

export async function userPage({ api, can, params, refresh, state }) {
  const [userId] = params;
  const { user } = await api('GET', `/api/v1/admin/users/${encodeURIComponent(userId)}`);
  const outcome = outcomeArea();
  const act = async (method, path, text) => {
    await api(method, `/api/v1/admin/users/${encodeURIComponent(userId)}${path}`);
    await refresh();
    document.querySelector('.outcome')?.replaceChildren(h('div', { class: 'notice ok', role: 'status' }, text));
  };
  const actions = can('users:write')
    ? h(
        'div',
        { class: 'actions' },
        user.locked ? actionButton('Unlock', () => act('POST', '/unlock', 'The user is unlocked.'), { outcome }) : null,
        user.status === 'active'
          ? actionButton(
              'Send password mail',
              async () => {
                await sendPasswordMail(state.tenant, user.email);
                outcome.ok(`A mail to ${user.email} lets them choose a new password.`);
              },
              { outcome },
            )
          : null,
        user.status === 'disabled'
          ? actionButton('Enable', () => act('POST', '/enable', 'The user is enabled.'), { outcome })
          : actionButton('Disable', () => act('POST', '/disable', 'The user is disabled and signed out everywhere.'), {
              outcome,
              kind: 'danger',
              confirm: {
                title: `Disable ${user.email}?`,
                text: 'They are signed out everywhere and cannot sign in until enabled again.',
                action: 'Disable',
              },
            }),
        user.mfaEnabled
          ? actionButton('Reset two-step verification', () => act('DELETE', '/mfa', 'Two-step verification was reset.'), {
              outcome,
              confirm: {
                title: 'Reset two-step verification?',
                text: 'Use this when the person lost their device. Their next sign-in asks for no code, or to enrol again when the tenant requires it.',
                action: 'Reset',
              },
            })
          : null,
      )
    : null;

  const sections = [
    outcome.el,
    h(
      'div',
      { class: 'card' },
      props([
        ['Email', user.email],
        ['Username', user.username],
        ['Status', h('span', null, statusBadges(user))],
        ['Failed sign-ins', String(user.failedLoginCount)],
        ['Two-step verification', user.mfaEnabled ? 'on' : 'off'],
        ['Roles', user.roles.join(', ') || 'none'],
        ['Last sign-in', formatTime(user.lastLoginAt)],
        ['Created', formatTime(user.createdAt)],
        ['User id', h('span', { class: 'mono' }, user.id)],
      ]),
      actions,
    ),
  ];
  if (can('users:write')) sections.push(await rolesEditor({ api, can, user, outcome, refresh }));
  if (can('sessions:read')) sections.push(await sessionsSection({ api, can, userId, outcome, refresh }));
  if (can('audit:read')) {
    const { events } = await api('GET', '/api/v1/admin/audit-events', { query: { userId, limit: '10' } });
    sections.push(
      h('h2', null, 'Recent events'),
      table(
        'The last ten audit events about or by this user',
        ['When', 'Event', 'Outcome', 'IP'],
        events.map((e) => [formatTime(e.createdAt), e.type, e.outcome, e.ip ?? '—']),
      ),
      h('p', null, h('a', { href: `#/audit?userId=${encodeURIComponent(userId)}` }, 'All events of this user')),
    );
  }
  return page(user.email, ...sections);
}

async function rolesEditor({ api, can, user, outcome, refresh }) {
  const roles = can('roles:read') ? (await api('GET', '/api/v1/admin/roles')).roles.map((r) => r.name) : ['admin', 'member'];
  const all = [...new Set([...roles, ...user.roles])];
  const form = h(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          await api('PUT', `/api/v1/admin/users/${encodeURIComponent(user.id)}/roles`, { body: { roles: formValues(event.target).roles } });
          await refresh();
          document.querySelector('.outcome')?.replaceChildren(h('div', { class: 'notice ok', role: 'status' }, 'Roles saved.'));
        } catch (err) {
          outcome.error(err);
        }
      },
    },
    h(
      'fieldset',
      null,
      h('legend', null, 'Roles'),
      all.map((name) => checkbox(name, { name: 'roles', value: name, 'data-multi': '1', checked: user.roles.includes(name) })),
    ),
    h('button', { type: 'submit' }, 'Save roles'),
  );
  return h('div', null, h('h2', null, 'Roles'), h('div', { class: 'card' }, form));
}

async function sessionsSection({ api, can, userId, outcome, refresh }) {
  const { sessions } = await api('GET', `/api/v1/admin/users/${encodeURIComponent(userId)}/sessions`);
  const base = `/api/v1/admin/users/${encodeURIComponent(userId)}/sessions`;
  const end = (id) =>
    actionButton(
      'End',
      async () => {
        await api('DELETE', `${base}/${encodeURIComponent(id)}`);
        await refresh();
      },
      { outcome, confirm: { title: 'End this session?', text: 'Its refresh tokens stop working at once.', action: 'End session' } },
    );
  const rows = sessions.map((s) => [
    h('span', { class: 'mono' }, s.id.slice(0, 8)),
    s.userAgent ?? '—',
    s.ip ?? '—',
    s.clientId ?? '—',
    formatTime(s.createdAt),
    formatTime(s.lastSeenAt),
    can('sessions:write') ? end(s.id) : '',
  ]);
  return h(
    'div',
    null,
    h('h2', null, 'Sessions'),
    table('Live sessions of this user', ['Session', 'Device', 'IP', 'App', 'Started', 'Last seen', ''], rows, 'No live sessions.'),
    can('sessions:write') && sessions.length > 0
      ? h(
          'div',
          { class: 'actions' },
          actionButton(
            'End all sessions',
            async () => {
              await api('DELETE', base);
              await refresh();
            },
            {
              outcome,
              kind: 'danger',
              confirm: { title: 'End all sessions?', text: 'The user is signed out of every app.', action: 'End all' },
            },
          ),
        )
      : null,
  );
}
