// The other console pages: overview with the last 24 hours as a chart, roles, audit log, tenant settings,
// tenants (platform operators) and IP blocks (platform operators).
import { checkbox, field, formatTime, formValues, h } from './dom.js';
import { actionButton, badge, outcomeArea, page, pager, props, table } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs, ...children) => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const child of children) el.append(child);
  return el;
};

const SERIES = [
  { type: 'signin.succeeded', label: 'Sign-ins', color: '#1d4ed8' },
  { type: 'signin.failed', label: 'Failed sign-ins', color: '#b91c1c' },
  { type: 'account.locked', label: 'Lockouts', color: '#92400e' },
];

/** Hourly counts of one event type over the last 24 hours (up to 500 events, five pages). */
async function hourly(api, type, since) {
  const counts = new Array(24).fill(0);
  let cursor;
  for (let pageNo = 0; pageNo < 5; pageNo += 1) {
    const data = await api('GET', '/api/v1/admin/audit-events', { query: { type, from: since.toISOString(), limit: '100', cursor } });
    for (const event of data.events) {
      const slot = Math.floor((new Date(event.createdAt).getTime() - since.getTime()) / 3_600_000);
      if (slot >= 0 && slot < 24) counts[slot] += 1;
    }
    cursor = data.nextCursor;
    if (!cursor) break;
  }
  return counts;
}

function chart(series) {
  const max = Math.max(1, ...series.flatMap((s) => s.counts));
  const width = 600;
  const height = 180;
  const slot = width / 24;
  const bar = slot / (series.length + 1);
  const bars = series.flatMap((s, i) =>
    s.counts.map((count, hour) =>
      svg('rect', {
        x: hour * slot + i * bar + bar / 2,
        y: height - (count / max) * (height - 10),
        width: bar,
        height: (count / max) * (height - 10),
        fill: s.color,
      }),
    ),
  );
  return svg(
    'svg',
    { class: 'chart', viewBox: `0 0 ${width} ${height + 24}`, role: 'img', 'aria-labelledby': 'chart-title' },
    svg(
      'title',
      { id: 'chart-title' },
      `Events per hour over the last 24 hours: ${series.map((s) => `${s.label} ${s.counts.reduce((a, b) => a + b, 0)}`).join(', ')}`,
    ),
    svg('line', { x1: 0, y1: height, x2: width, y2: height, stroke: '#6b7280' }),
    ...bars,
    svg('text', { x: 0, y: height + 18, fill: '#374151', 'font-size': 14 }, '24 h ago'),
    svg('text', { x: width, y: height + 18, fill: '#374151', 'font-size': 14, 'text-anchor': 'end' }, 'now'),
  );
}

export async function dashboardPage({ api, can, state }) {
  const intro = h('p', null, `Signed in as ${state.me?.email ?? ''} on tenant ${state.tenant}.`);
  if (state.perms.size === 0) {
    return page(
      'Overview',
      intro,
      h(
        'div',
        { class: 'notice error', role: 'alert' },
        'Your roles give you no administrative rights on this tenant. Ask an administrator if you need access.',
      ),
    );
  }
  const content = [intro];
  if (can('audit:read')) {
    const since = new Date(Date.now() - 24 * 3_600_000);
    const series = await Promise.all(SERIES.map(async (s) => ({ ...s, counts: await hourly(api, s.type, since) })));
    content.push(
      h('h2', null, 'Last 24 hours'),
      h(
        'div',
        { class: 'card' },
        chart(series),
        h(
          'ul',
          null,
          series.map((s) => h('li', null, `${s.label}: ${s.counts.reduce((a, b) => a + b, 0)}`)),
        ),
      ),
      h('p', { class: 'hint' }, 'Rate-limit trips are counted per address, not per tenant: platform operators see them as IP blocks.'),
    );
  }
  content.push(h('h2', null, 'Your permissions'), h('p', null, [...state.perms].join(', ')));
  return page('Overview', ...content);
}

export async function rolesPage({ api, can, refresh }) {
  const [{ roles }, { permissions }] = await Promise.all([api('GET', '/api/v1/admin/roles'), api('GET', '/api/v1/admin/permissions')]);
  const outcome = outcomeArea();
  const editor = (role) =>
    h(
      'form',
      {
        onsubmit: async (event) => {
          event.preventDefault();
          const v = formValues(event.target);
          try {
            if (role)
              await api('PATCH', `/api/v1/admin/roles/${encodeURIComponent(role.name)}`, {
                body: { description: v.description, permissions: v.permissions },
              });
            else
              await api('POST', '/api/v1/admin/roles', { body: { name: v.name, description: v.description, permissions: v.permissions } });
            await refresh();
          } catch (err) {
            outcome.error(err);
          }
        },
      },
      role
        ? null
        : field('Name', h('input', { type: 'text', name: 'name', required: true }), 'Lowercase letters, digits and dashes, e.g. support.'),
      field('Description', h('input', { type: 'text', name: 'description', value: role?.description ?? '' })),
      h(
        'fieldset',
        null,
        h('legend', null, 'Permissions'),
        permissions.map((p) => checkbox(p, { name: 'permissions', value: p, 'data-multi': '1', checked: role?.permissions.includes(p) })),
      ),
      h('button', { type: 'submit' }, role ? 'Save role' : 'Create role'),
    );
  return page(
    'Roles',
    outcome.el,
    roles.map((role) =>
      h(
        'details',
        { class: 'card' },
        h(
          'summary',
          null,
          h('strong', null, role.name),
          ' ',
          role.builtIn ? badge('built in') : null,
          ` — ${role.description || 'no description'}`,
        ),
        role.builtIn || !can('roles:write')
          ? h('p', null, role.permissions.length ? role.permissions.join(', ') : 'No permissions.')
          : [
              editor(role),
              h(
                'div',
                { class: 'actions' },
                actionButton(
                  'Delete role',
                  async () => {
                    await api('DELETE', `/api/v1/admin/roles/${encodeURIComponent(role.name)}`);
                    await refresh();
                  },
                  {
                    outcome,
                    kind: 'danger',
                    confirm: {
                      title: `Delete the role ${role.name}?`,
                      text: 'Users holding it lose its permissions.',
                      action: 'Delete role',
                    },
                  },
                ),
              ),
            ],
      ),
    ),
    can('roles:write') ? [h('h2', null, 'New role'), h('div', { class: 'card' }, editor(null))] : null,
  );
}

export async function auditPage({ api, query }) {
  const toIso = (local) => (local ? new Date(local).toISOString() : undefined);
  const data = await api('GET', '/api/v1/admin/audit-events', {
    query: {
      type: query.type,
      userId: query.userId,
      clientId: query.clientId,
      from: toIso(query.from),
      to: toIso(query.to),
      cursor: query.cursor,
      limit: '50',
    },
  });
  const input = (name, label, type = 'text') => field(label, h('input', { type, name, value: query[name] ?? '' }));
  const filters = h(
    'form',
    {
      class: 'toolbar',
      role: 'search',
      onsubmit: (event) => {
        event.preventDefault();
        location.hash = `#/audit?${new URLSearchParams(Object.entries(formValues(event.target)).filter(([, v]) => v)).toString()}`;
      },
    },
    input('type', 'Event type'),
    input('userId', 'User id'),
    input('clientId', 'Client id'),
    input('from', 'From', 'datetime-local'),
    input('to', 'Until', 'datetime-local'),
    h('button', { type: 'submit' }, 'Filter'),
  );
  return page(
    'Audit log',
    filters,
    data.events.length === 0
      ? h('p', { class: 'muted' }, 'No events match.')
      : h(
          'ul',
          { class: 'card', 'aria-label': 'Events, newest first' },
          data.events.map((e) =>
            h(
              'li',
              null,
              h(
                'details',
                null,
                h(
                  'summary',
                  null,
                  `${formatTime(e.createdAt)} · ${e.type} · `,
                  e.outcome === 'failure' ? badge('failure', 'bad') : badge('success', 'ok'),
                ),
                props([
                  ['Actor', e.actorId],
                  ['Subject', e.subjectId],
                  ['Client', e.clientId],
                  ['IP', e.ip],
                  ['User agent', e.userAgent],
                  ['Request id', e.requestId],
                  ['Details', h('pre', null, JSON.stringify(e.data, null, 2))],
                ]),
              ),
            ),
          ),
        ),
    pager('/audit', query, data.nextCursor),
  );
}

export async function tenantSettingsPage({ api, can, state, refresh }) {
  const { tenant } = await api('GET', `/api/v1/admin/tenants/${encodeURIComponent(state.tenant)}`);
  const outcome = outcomeArea();
  const select = (name, options) =>
    h(
      'select',
      { name },
      options.map((o) => h('option', { value: o, selected: tenant[name] === o }, o)),
    );
  // No min/max here: the API's validation messages (from the catalogue) say what is wrong, in one place.
  const number = (name) => h('input', { type: 'number', name, value: String(tenant[name]), required: true });
  const form = h(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const v = formValues(event.target);
        try {
          await api('PATCH', `/api/v1/admin/tenants/${encodeURIComponent(tenant.id)}`, {
            body: {
              name: v.name,
              sessionLimit: Number(v.sessionLimit),
              sessionStrategy: v.sessionStrategy,
              mfaPolicy: v.mfaPolicy,
              lockoutMaxFailures: Number(v.lockoutMaxFailures),
              lockoutDurationSeconds: Number(v.lockoutDurationSeconds),
            },
          });
          await refresh();
          document.querySelector('.outcome')?.replaceChildren(h('div', { class: 'notice ok', role: 'status' }, 'Settings saved.'));
        } catch (err) {
          outcome.error(err);
        }
      },
    },
    field('Name', h('input', { type: 'text', name: 'name', value: tenant.name, required: true })),
    field('Session limit', number('sessionLimit'), 'Live sessions one user may have at once.'),
    field(
      'When the limit is reached',
      select('sessionStrategy', ['reject', 'evict_oldest']),
      'reject: refuse the new sign-in; evict_oldest: end the oldest session.',
    ),
    field('Two-step verification', select('mfaPolicy', ['off', 'optional', 'required'])),
    field('Lock after failed sign-ins', number('lockoutMaxFailures')),
    field('Lock for (seconds)', number('lockoutDurationSeconds')),
    can('tenants:write') ? h('button', { type: 'submit' }, 'Save settings') : null,
  );
  return page(
    `Settings of ${tenant.name}`,
    outcome.el,
    h('div', { class: 'card' }, form),
    h('h2', null, 'Rate limits'),
    table(
      'Per-tenant rate limits',
      ['Class', 'Requests', 'Per seconds'],
      Object.entries(tenant.rateLimits).map(([k, v]) => [k, String(v.points), String(v.duration)]),
      'The server defaults apply.',
    ),
  );
}

export async function tenantsPage({ api, can, query, refresh }) {
  const data = await api('GET', '/api/v1/admin/tenants', { query: { cursor: query.cursor, limit: '50' } });
  const outcome = outcomeArea();
  const rows = data.tenants.map((t) => [
    h('span', { class: 'mono' }, t.id),
    t.name,
    t.status === 'active' ? badge('active', 'ok') : badge('suspended', 'bad'),
    formatTime(t.createdAt),
    can('tenants:write') && t.id !== 'platform'
      ? actionButton(
          t.status === 'active' ? 'Suspend' : 'Activate',
          async () => {
            await api('POST', `/api/v1/admin/tenants/${encodeURIComponent(t.id)}/${t.status === 'active' ? 'suspend' : 'activate'}`);
            await refresh();
          },
          {
            outcome,
            kind: t.status === 'active' ? 'danger' : 'secondary',
            ...(t.status === 'active' && {
              confirm: { title: `Suspend ${t.id}?`, text: 'Its users cannot sign in and its tokens stop working.', action: 'Suspend' },
            }),
          },
        )
      : '',
  ]);
  const create = h(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const v = formValues(event.target);
        try {
          await api('POST', '/api/v1/admin/tenants', {
            body: { id: v.id, name: v.name, ...(v.adminEmail && { admin: { email: v.adminEmail, password: v.adminPassword } }) },
          });
          await refresh();
        } catch (err) {
          outcome.error(err);
        }
      },
    },
    field(
      'Tenant id',
      h('input', { type: 'text', name: 'id', required: true }),
      'Lowercase letters, digits and hyphens; it appears in client ids and URLs.',
    ),
    field('Name', h('input', { type: 'text', name: 'name', required: true })),
    field('First admin’s email (optional)', h('input', { type: 'email', name: 'adminEmail', autocomplete: 'off' })),
    field('First admin’s password', h('input', { type: 'password', name: 'adminPassword', autocomplete: 'new-password' })),
    h('button', { type: 'submit' }, 'Create tenant'),
  );
  return page(
    'Tenants',
    outcome.el,
    table('All tenants', ['Id', 'Name', 'Status', 'Created', ''], rows),
    pager('/tenants', query, data.nextCursor),
    can('tenants:write') ? [h('h2', null, 'New tenant'), h('div', { class: 'card' }, create)] : null,
  );
}

export async function ipBlocksPage({ api, can, refresh }) {
  const { ipBlocks } = await api('GET', '/api/v1/admin/ip-blocks');
  const outcome = outcomeArea();
  return page(
    'IP blocks',
    h('p', null, 'Addresses that kept tripping rate limits or failing sign-ins across accounts are blocked for every tenant for a while.'),
    outcome.el,
    table(
      'Addresses blocked now',
      ['IP', 'Reason', 'Since', 'Until', ''],
      ipBlocks.map((b) => [
        h('span', { class: 'mono' }, b.ip),
        b.reason,
        formatTime(b.createdAt),
        formatTime(b.expiresAt),
        can('ip-blocks:write')
          ? actionButton(
              'Lift block',
              async () => {
                await api('DELETE', `/api/v1/admin/ip-blocks/${encodeURIComponent(b.ip)}`);
                await refresh();
              },
              { outcome },
            )
          : '',
      ]),
      'No address is blocked.',
    ),
  );
}
