// The admin console's entry: sign-in through the tenant's login pages, the layout with the pages the signed-in
// user's permissions allow, and a hash router (#/users, #/clients/…). Data comes from the admin API only.
import { createApi } from './api.js';
import { field, h, replace } from './dom.js';
import { OidcSession } from './oidc-session.js';
import { errorNotice, markCurrentNavLink, notice, page, showPage } from './ui.js';
import { clientPage, clientsPage, newClientPage } from './clients.js';
import { newResourcePage, resourcePage, resourcesPage } from './resources.js';
import { newUserPage, userPage, usersPage } from './users.js';
import { auditPage, dashboardPage, ipBlocksPage, rolesPage, tenantSettingsPage, tenantsPage } from './more.js';

const session = new OidcSession({ basePath: '/admin', key: 'gh.console' });
const TARGET_KEY = 'gh.console.target';
const root = document.getElementById('app');

/** What the signed-in person may see; filled after sign-in and on a tenant switch. */
const state = { me: null, perms: new Set(), platformOperator: false, homeTenant: null, tenant: null, tenantName: null };
const api = createApi(session, () => state.tenant);
const can = (permission) => state.perms.has(permission);

/** The pages; `when` decides whether the page (and its link) exists for this person. */
const ROUTES = [
  { path: /^\/$/, nav: 'Overview', href: '#/', when: () => true, render: dashboardPage },
  { path: /^\/users$/, nav: 'Users', href: '#/users', when: () => can('users:read'), render: usersPage },
  { path: /^\/users\/new$/, when: () => can('users:write'), render: newUserPage },
  { path: /^\/users\/([0-9a-f-]{36})$/, when: () => can('users:read'), render: userPage },
  { path: /^\/clients$/, nav: 'Clients', href: '#/clients', when: () => can('clients:read'), render: clientsPage },
  { path: /^\/clients\/new$/, when: () => can('clients:write'), render: newClientPage },
  { path: /^\/clients\/([^/]+)$/, when: () => can('clients:read'), render: clientPage },
  { path: /^\/api-resources$/, nav: 'APIs', href: '#/api-resources', when: () => can('clients:read'), render: resourcesPage },
  { path: /^\/api-resources\/new$/, when: () => can('clients:write'), render: newResourcePage },
  { path: /^\/api-resources\/([^/]+)$/, when: () => can('clients:read'), render: resourcePage },
  { path: /^\/roles$/, nav: 'Roles', href: '#/roles', when: () => can('roles:read'), render: rolesPage },
  { path: /^\/audit$/, nav: 'Audit log', href: '#/audit', when: () => can('audit:read'), render: auditPage },
  { path: /^\/settings$/, nav: 'Tenant settings', href: '#/settings', when: () => can('tenants:read'), render: tenantSettingsPage },
  { path: /^\/tenants$/, nav: 'Tenants', href: '#/tenants', when: () => can('tenants:read'), render: tenantsPage },
  { path: /^\/ip-blocks$/, nav: 'IP blocks', href: '#/ip-blocks', when: () => can('ip-blocks:read'), render: ipBlocksPage },
];

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  return { path: path || '/', query: Object.fromEntries(new URLSearchParams(qs ?? '')) };
}

async function loadPermissions() {
  const data = await api('GET', '/api/v1/admin/me/permissions');
  state.perms = new Set(data.permissions);
  state.platformOperator = data.platformOperator;
  state.tenant = data.tenantId;
}

function signInScreen(message, isError) {
  document.title = 'Sign in · Gatehouse admin';
  const params = new URLSearchParams(location.search);
  const input = h('input', {
    type: 'text',
    name: 'tenant',
    required: true,
    autocomplete: 'organization',
    value: params.get('tenant') ?? localStorage.getItem('gh.console.lastTenant') ?? '',
    pattern: '[a-z0-9][a-z0-9-]*',
  });
  const outcome = h('div', { 'aria-live': 'polite' }, message ? notice(isError ? 'error' : 'ok', message) : null);
  const form = h(
    'form',
    {
      novalidate: false,
      onsubmit: async (event) => {
        event.preventDefault();
        const tenant = input.value.trim().toLowerCase();
        try {
          localStorage.setItem('gh.console.lastTenant', tenant);
          await session.start(tenant);
        } catch (err) {
          replace(outcome, errorNotice(err));
        }
      },
    },
    field('Tenant', input, 'The short name of your organisation in Gatehouse, e.g. acme.'),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  replace(
    root,
    h(
      'main',
      { id: 'main', class: 'card narrow' },
      h('h1', null, 'Gatehouse admin console'),
      h('p', null, 'Sign in with your account on the tenant’s sign-in page. Password, two-step verification and lockout apply as usual.'),
      outcome,
      form,
    ),
  );
}

function layout() {
  const main = h('main', { id: 'main', tabindex: '-1' });
  const links = ROUTES.filter((route) => route.nav && route.when()).map((route) => h('li', null, h('a', { href: route.href }, route.nav)));
  const switcher = state.platformOperator ? tenantSwitcher() : null;
  replace(
    root,
    h('a', { class: 'skip', href: '#main', onclick: (e) => (e.preventDefault(), main.focus()) }, 'Skip to content'),
    h(
      'header',
      { class: 'top' },
      h('span', { class: 'brand' }, 'Gatehouse admin'),
      h(
        'div',
        { class: 'who' },
        switcher ?? h('span', null, `Tenant: ${state.tenant}`),
        h('span', null, state.me?.email ?? ''),
        h('button', { type: 'button', class: 'link', onclick: () => session.signOut() }, 'Sign out'),
      ),
    ),
    h('div', { class: 'layout' }, h('nav', { class: 'side', 'aria-label': 'Console' }, h('ul', null, links)), main),
  );
  return main;
}

/** Platform operators act on any tenant: the admin API takes the target from X-Tenant-ID. */
function tenantSwitcher() {
  const input = h('input', { type: 'text', name: 'target', value: state.tenant, size: '12', required: true });
  return h(
    'form',
    {
      class: 'who',
      onsubmit: async (event) => {
        event.preventDefault();
        sessionStorage.setItem(TARGET_KEY, input.value.trim().toLowerCase());
        // Another tenant's ids mean nothing here: start again at its overview.
        history.replaceState(null, '', '/admin/#/');
        await boot();
      },
    },
    h('label', { for: 'target-tenant' }, 'Tenant'),
    Object.assign(input, { id: 'target-tenant' }),
    h('button', { type: 'submit', class: 'secondary' }, 'Switch'),
  );
}

let mainEl = null;

async function render() {
  if (!mainEl) return;
  const { path, query } = parseHash();
  const route = ROUTES.find((r) => r.path.test(path));
  const context = { api, state, can, query, params: route ? path.match(route.path).slice(1) : [], refresh: render };
  markCurrentNavLink(path);
  if (!route || !route.when()) {
    mainEl.setAttribute('data-rendered', location.hash || '#/');
    replace(
      mainEl,
      page(
        'Not available',
        h('p', null, 'This page does not exist or your roles do not allow it.'),
        h('a', { href: '#/' }, 'Back to the overview'),
      ),
    );
    return;
  }
  await showPage(mainEl, () => route.render(context), {
    loading: 'Loading…',
    somethingWrong: 'Something went wrong',
    signedIn: () => Boolean(session.current()),
  });
}

async function boot() {
  const current = await session.resumeOrSignIn(signInScreen);
  if (!current) return;
  state.homeTenant = current.config.tenantId;
  state.tenant = sessionStorage.getItem(TARGET_KEY) || state.homeTenant;
  try {
    state.me = await api('GET', '/api/v1/auth/me').then((d) => d.user);
    await loadPermissions();
  } catch (err) {
    if (!session.current()) return;
    if (state.tenant !== state.homeTenant) {
      // A switch to a tenant this person cannot see: back to their own.
      sessionStorage.removeItem(TARGET_KEY);
      state.tenant = state.homeTenant;
      return boot();
    }
    replace(root, h('main', { id: 'main', class: 'card narrow' }, h('h1', null, 'Gatehouse admin console'), errorNotice(err)));
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
