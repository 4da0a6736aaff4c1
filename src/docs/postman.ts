// The Postman v2.1 collection of /api/v1: a scenario that runs in order in the collection runner or newman. Each
// happy-path step asserts its exact success status and carries the ids and tokens it creates forward; every error
// case is a separate, named request that asserts its exact status and error code; the platform operator's requests
// (tenants, IP blocks) sign in as an operator in their own folder. Requests are built from the declared routes, so a
// route's method and path cannot drift; test/docs/api-docs.test.ts runs the collection against a live server and
// checks that every route has a step or an error case.
import { errorsOf, type RouteGroup, type RouteSpec } from '../api/route-spec.ts';
import type { DocsInfo } from './openapi.ts';

const SCHEMA = 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json';

/** Who a request acts as: the tenant admin, the platform operator, or nobody (no bearer token). */
type Actor = 'admin' | 'operator' | 'anonymous';

interface Request {
  /** The route's name (OpenAPI operationId). */
  op: string;
  /** The request's name in the collection; the route's summary by default. */
  name?: string;
  body?: unknown;
  query?: Record<string, string>;
  /** Values of path parameters; `{{param}}` by default. */
  params?: Record<string, string>;
  as?: Actor;
  /** Sign in to the platform tenant (the operator's own sign-in). */
  tenant?: 'platform';
  /** Collection variables set from the answer (dotted paths into the body); replaces the route's own captures. */
  captures?: Record<string, string>;
  /** More of the test script (plain JavaScript for Postman's sandbox, `body` is the parsed answer). */
  script?: string[];
}

interface ErrorCase extends Request {
  name: string;
  status: number;
  code: string;
}

/** Variables a run sets; `runId` makes the names it creates unique (set once per run by the collection's pre-request script). */
const VARIABLES: Record<string, string> = {
  tenantId: 'demo',
  usernameOrEmail: 'admin@demo.test',
  password: 'the password printed at first start (npx gatehouse demo credentials)',
  platformTenantId: 'platform',
  platformUsernameOrEmail: 'operator@platform.example',
  platformPassword: '',
  accessToken: '',
  refreshToken: '',
  platformAccessToken: '',
};

const signIn = { usernameOrEmail: '{{usernameOrEmail}}', password: '{{password}}' };

/** The happy path, folder by folder, in the order it runs. */
export const SCENARIO: Array<{ folder: string; steps: Request[] }> = [
  {
    folder: '1. Sign in and the account',
    steps: [
      {
        op: 'login',
        body: signIn,
        captures: { accessToken: 'data.accessToken', refreshToken: 'data.refreshToken', adminUserId: 'data.user.id' },
      },
      { op: 'me' },
      { op: 'getMyPermissions' },
      { op: 'listSessions' },
      { op: 'refresh', body: { refreshToken: '{{refreshToken}}' } },
      { op: 'getMfaStatus' },
      { op: 'enrollTotp', name: 'Start TOTP enrolment (left pending; activating needs a code from an app)' },
      { op: 'reauthenticate', body: { password: '{{password}}' } },
      {
        op: 'changeEmail',
        name: 'Change email (a link goes to the new address; nothing changes until it is opened)',
        body: { email: 'admin-{{runId}}@example.com' },
      },
      { op: 'resendVerificationEmail', name: 'Send the verification link again (none: the address is verified)' },
      { op: 'listConnectedApps' },
      { op: 'securityActivity', query: { limit: '20' } },
    ],
  },
  {
    // Mail carries single-use secrets, so nobody reads them through the API (the outbox shows them redacted):
    // verifying and resetting with a mailed token happen in the mail's link; the error cases below cover the routes.
    folder: '2. Registration and password reset requests',
    steps: [
      { op: 'register', as: 'anonymous', body: { email: 'new-{{runId}}@example.com', password: 'a long passphrase' } },
      { op: 'forgotPassword', as: 'anonymous', body: { email: 'new-{{runId}}@example.com' } },
      { op: 'listOutbox', name: 'The mail outbox (tokens redacted)', query: { to: 'new-{{runId}}@example.com' } },
    ],
  },
  {
    folder: '3. Users',
    steps: [
      {
        op: 'createUser',
        body: { email: 'teammate-{{runId}}@example.com', password: 'a long passphrase', roles: ['member'] },
        captures: { userId: 'data.user.id' },
      },
      { op: 'listUsers', query: { search: 'teammate-{{runId}}' } },
      { op: 'getUser' },
      { op: 'updateUser', body: { username: 'teammate-{{runId}}' } },
      { op: 'setUserRoles', body: { roles: ['member'] } },
      { op: 'disableUser' },
      { op: 'enableUser' },
      { op: 'unlockUser' },
      { op: 'resetUserMfa', name: "Reset a user's MFA (the admin's own pending enrolment)", params: { userId: '{{adminUserId}}' } },
      { op: 'listUserSessions' },
      { op: 'endUserSessions' },
    ],
  },
  {
    folder: '4. Roles',
    steps: [
      { op: 'listPermissions' },
      { op: 'listRoles' },
      {
        op: 'createRole',
        body: { name: 'support-{{runId}}', description: 'Helpdesk', permissions: ['users:read'] },
        captures: { name: 'data.role.name' },
      },
      { op: 'updateRole', body: { permissions: ['users:read', 'sessions:read'] } },
      { op: 'deleteRole' },
    ],
  },
  {
    folder: '5. Clients',
    steps: [
      {
        op: 'createClient',
        body: { name: 'Postman app {{runId}}', redirectUris: ['https://app.example.com/callback'] },
        captures: { clientId: 'data.client.clientId' },
      },
      { op: 'listClients' },
      { op: 'getClient' },
      { op: 'updateClient', body: { name: 'Postman app {{runId}} (renamed)' } },
      { op: 'rotateClientSecret' },
      { op: 'createInitialAccessToken', body: {} },
      {
        op: 'createApiResource',
        body: {
          identifier: 'https://api-{{runId}}.example.com/',
          name: 'Postman API {{runId}}',
          scopes: [
            { name: 'contacts:read', description: 'Read your contacts' },
            { name: 'contacts:write', description: 'Add and change your contacts' },
          ],
        },
        captures: { resourceId: 'data.apiResource.id' },
      },
      { op: 'listApiResources' },
      { op: 'getApiResource' },
      { op: 'updateApiResource', body: { accessTokenTtl: 600 } },
      { op: 'setClientResourceScopes', body: { scopes: ['contacts:read'] } },
      { op: 'listClientResourceScopes' },
      { op: 'deleteApiResource' },
      { op: 'deleteClient' },
    ],
  },
  {
    folder: '6. Audit log, mail outbox, MFA enrolment',
    steps: [
      { op: 'listAuditEvents', query: { type: 'user.created' } },
      { op: 'listOutbox' },
      { op: 'enrollTotp', name: 'Start TOTP enrolment again (the error cases try a wrong code on it)' },
    ],
  },
  {
    folder: '7. Sessions',
    steps: [
      { op: 'login', name: 'Sign in a second time', as: 'anonymous', body: signIn, captures: { secondSessionId: 'data.sessionId' } },
      { op: 'login', name: 'Sign in a third time', as: 'anonymous', body: signIn, captures: { thirdSessionId: 'data.sessionId' } },
      { op: 'endUserSession', params: { userId: '{{adminUserId}}', sessionId: '{{secondSessionId}}' } },
      { op: 'endSession', params: { id: '{{thirdSessionId}}' } },
      { op: 'endOtherSessions' },
    ],
  },
];

/** Runs last: it ends the session the collection has used throughout. */
export const SIGN_OUT: Request[] = [{ op: 'logout' }];

/** Tenants and IP blocks are for platform operators: their own sign-in, in the platform tenant. */
export const PLATFORM: Array<Request | ErrorCase> = [
  {
    op: 'login',
    name: 'Sign in as a platform operator',
    as: 'anonymous',
    tenant: 'platform',
    body: { usernameOrEmail: '{{platformUsernameOrEmail}}', password: '{{platformPassword}}' },
    captures: { platformAccessToken: 'data.accessToken' },
  },
  { op: 'listTenants' },
  { op: 'createTenant', body: { id: 'tenant-{{runId}}', name: 'Tenant {{runId}}' }, captures: { newTenantId: 'data.tenant.id' } },
  { op: 'getTenant', params: { tenantId: '{{newTenantId}}' } },
  { op: 'updateTenant', params: { tenantId: '{{newTenantId}}' }, body: { sessionLimit: 10, mfaPolicy: 'optional' } },
  { op: 'suspendTenant', params: { tenantId: '{{newTenantId}}' } },
  { op: 'activateTenant', params: { tenantId: '{{newTenantId}}' } },
  { op: 'listIpBlocks' },
  {
    op: 'liftIpBlock',
    name: 'Lift a block that does not exist → 404 NOT_FOUND',
    params: { ip: '192.0.2.1' },
    status: 404,
    code: 'NOT_FOUND',
  },
].map((r) => ({ ...r, as: r.as ?? 'operator' }) as Request | ErrorCase);

/** Each documented refusal, on purpose: the exact status and code. */
export const ERROR_CASES: ErrorCase[] = [
  {
    op: 'login',
    name: 'Wrong password → 401 INVALID_CREDENTIALS',
    as: 'anonymous',
    body: { usernameOrEmail: '{{usernameOrEmail}}', password: 'not the password' },
    status: 401,
    code: 'INVALID_CREDENTIALS',
  },
  {
    op: 'login',
    name: 'Missing password → 400 REQUIRED_FIELD',
    as: 'anonymous',
    body: { usernameOrEmail: 'x' },
    status: 400,
    code: 'REQUIRED_FIELD',
  },
  { op: 'me', name: 'No bearer token → 401 AUTHENTICATION_REQUIRED', as: 'anonymous', status: 401, code: 'AUTHENTICATION_REQUIRED' },
  {
    op: 'verifyMfa',
    name: 'Unknown MFA token → 401 INVALID_MFA_TOKEN',
    as: 'anonymous',
    body: { mfaToken: 'not-a-token', code: '123456' },
    status: 401,
    code: 'INVALID_MFA_TOKEN',
  },
  {
    op: 'enrollMfaDuringSignIn',
    name: 'Enrolment with an unknown MFA token → 401 INVALID_MFA_TOKEN',
    as: 'anonymous',
    body: { mfaToken: 'not-a-token' },
    status: 401,
    code: 'INVALID_MFA_TOKEN',
  },
  {
    op: 'activateTotp',
    name: 'Activate TOTP with a wrong code → 401 INVALID_MFA_CODE',
    body: { code: '000000' },
    status: 401,
    code: 'INVALID_MFA_CODE',
  },
  {
    op: 'regenerateBackupCodes',
    name: 'New backup codes without MFA → 401 INVALID_MFA_CODE',
    body: { code: '000000' },
    status: 401,
    code: 'INVALID_MFA_CODE',
  },
  {
    op: 'disableMfa',
    name: 'Disable MFA with neither code nor password → 400 INVALID_FORMAT',
    body: {},
    status: 400,
    code: 'INVALID_FORMAT',
  },
  {
    op: 'refresh',
    name: 'Unknown refresh token → 401 INVALID_TOKEN',
    as: 'anonymous',
    body: { refreshToken: 'not-a-refresh-token' },
    status: 401,
    code: 'INVALID_TOKEN',
  },
  {
    op: 'endSession',
    name: 'End a session that is not yours → 404 SESSION_NOT_FOUND',
    params: { id: 'ses_unknown' },
    status: 404,
    code: 'SESSION_NOT_FOUND',
  },
  {
    op: 'register',
    name: 'Register with a bad email → 400 INVALID_FORMAT',
    as: 'anonymous',
    body: { email: 'not-an-email', password: 'a long passphrase' },
    status: 400,
    code: 'INVALID_FORMAT',
  },
  {
    op: 'verifyEmail',
    name: 'Verify with an unknown token → 401 INVALID_TOKEN',
    as: 'anonymous',
    body: { token: 'not-a-token' },
    status: 401,
    code: 'INVALID_TOKEN',
  },
  {
    op: 'resetPassword',
    name: 'Reset with an unknown token → 401 INVALID_TOKEN',
    as: 'anonymous',
    body: { token: 'not-a-token', password: 'a long passphrase' },
    status: 401,
    code: 'INVALID_TOKEN',
  },
  {
    op: 'createUser',
    name: 'Create a user that exists → 409 DUPLICATE_RESOURCE',
    body: { email: 'teammate-{{runId}}@example.com', password: 'a long passphrase' },
    status: 409,
    code: 'DUPLICATE_RESOURCE',
  },
  {
    op: 'getUser',
    name: 'Unknown user → 404 NOT_FOUND',
    params: { userId: '00000000-0000-4000-8000-000000000000' },
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    op: 'endUserSession',
    name: "End a user's unknown session → 404 SESSION_NOT_FOUND",
    params: { userId: '{{adminUserId}}', sessionId: 'ses_unknown' },
    status: 404,
    code: 'SESSION_NOT_FOUND',
  },
  {
    op: 'listTenants',
    name: 'Tenants as a tenant admin → 403 INSUFFICIENT_PERMISSIONS',
    status: 403,
    code: 'INSUFFICIENT_PERMISSIONS',
  },
  {
    op: 'changePassword',
    name: 'Change password to one too short → 400 INVALID_FORMAT',
    body: { currentPassword: '{{password}}', newPassword: 'short' },
    status: 400,
    code: 'INVALID_FORMAT',
  },
  {
    op: 'revokeConnectedApp',
    name: 'Disconnect an app never connected → 404 NOT_FOUND',
    params: { clientId: 'not-a-connected-app' },
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    op: 'forgotPassword',
    name: 'Forgot password with a bad email → 400 INVALID_FORMAT',
    as: 'anonymous',
    body: { email: 'nope' },
    status: 400,
    code: 'INVALID_FORMAT',
  },
];

export function buildPostmanCollection(groups: RouteGroup[], info: DocsInfo) {
  const routes = new Map<string, { group: RouteGroup; spec: RouteSpec }>();
  for (const group of groups) for (const spec of group.routes) routes.set(spec.name, { group, spec });
  const item = (request: Request, expect: { status: number; code?: string }) => {
    const route = routes.get(request.op);
    if (!route) throw new Error(`Postman scenario: no route named ${request.op}`);
    return requestItem(route.group, route.spec, request, expect);
  };
  const happy = (request: Request) => item(request, { status: routes.get(request.op)?.spec.status ?? 200 });
  return {
    info: {
      name: 'Gatehouse API',
      version: info.version,
      description: [
        "Generated from the server's route declarations. Run the folders in order (collection runner or `newman run`):",
        "set `usernameOrEmail` and `password` to a tenant admin's (the demo admin: `npx gatehouse demo credentials`) and,",
        'for the "Platform operator" folder, `platformUsernameOrEmail` and `platformPassword` to a user with the admin',
        'role in the `platform` tenant. Every happy-path step asserts its exact success status and passes its ids and',
        'tokens on; the "Error cases" folder asserts each documented refusal\'s exact status and code.',
      ].join(' '),
      schema: SCHEMA,
    },
    event: [
      {
        listen: 'prerequest',
        script: {
          type: 'text/javascript',
          exec: ["if (!pm.collectionVariables.get('runId')) pm.collectionVariables.set('runId', String(Date.now()));"],
        },
      },
    ],
    variable: [{ key: 'baseUrl', value: info.publicUrl }, ...Object.entries(VARIABLES).map(([key, value]) => ({ key, value }))],
    item: [
      ...SCENARIO.map(({ folder, steps }) => ({ name: folder, item: steps.map(happy) })),
      { name: '8. Error cases', item: ERROR_CASES.map((c) => item(c, c)) },
      { name: '9. Sign out', item: SIGN_OUT.map(happy) },
      { name: 'Platform operator: tenants and IP blocks', item: PLATFORM.map((r) => ('code' in r ? item(r, r) : happy(r))) },
    ],
  };
}

function requestItem(group: RouteGroup, spec: RouteSpec, request: Request, expect: { status: number; code?: string }) {
  const segments = `${group.prefix}${spec.path}`
    .split('/')
    .filter(Boolean)
    .map((s) => (s.startsWith(':') ? (request.params?.[s.slice(1)] ?? `{{${s.slice(1)}}}`) : s));
  const as = request.as ?? (spec.auth === 'none' ? 'anonymous' : 'admin');
  const headers = [
    { key: 'X-Tenant-ID', value: as === 'operator' || request.tenant === 'platform' ? '{{platformTenantId}}' : '{{tenantId}}' },
  ];
  if (request.body !== undefined) headers.push({ key: 'Content-Type', value: 'application/json' });
  const query = Object.entries(request.query ?? {});
  const raw = `{{baseUrl}}/${segments.join('/')}${query.length > 0 ? `?${query.map(([k, v]) => `${k}=${v}`).join('&')}` : ''}`;
  const token = as === 'admin' ? '{{accessToken}}' : as === 'operator' ? '{{platformAccessToken}}' : undefined;
  return {
    name: request.name ?? spec.summary,
    description: `\`${spec.method.toUpperCase()} ${group.prefix}${spec.path}\` (operationId \`${spec.name}\`)`,
    request: {
      method: spec.method.toUpperCase(),
      header: headers,
      url: {
        raw,
        host: ['{{baseUrl}}'],
        path: segments,
        ...(query.length > 0 && { query: query.map(([key, value]) => ({ key, value })) }),
      },
      auth: token ? { type: 'bearer', bearer: [{ key: 'token', value: token, type: 'string' }] } : { type: 'noauth' },
      ...(request.body !== undefined && {
        body: { mode: 'raw', raw: JSON.stringify(request.body, null, 2), options: { raw: { language: 'json' } } },
      }),
    },
    event: [{ listen: 'test', script: { type: 'text/javascript', exec: testScript(spec, request, expect).split('\n') } }],
  };
}

/** Plain JavaScript for Postman's sandbox (pm.*). */
function testScript(spec: RouteSpec, request: Request, expect: { status: number; code?: string }): string {
  const captures = request.captures ?? (expect.code ? {} : (spec.captures ?? {}));
  const lines = [
    `pm.test('answers ${expect.status}', () => pm.response.to.have.status(${expect.status}));`,
    `pm.test('carries X-Request-ID', () => pm.response.to.have.header('X-Request-ID'));`,
    `const body = pm.response.json();`,
  ];
  if (expect.code) {
    if (!errorsOf(spec).includes(expect.code as never))
      throw new Error(`Postman error case: ${spec.name} does not document ${expect.code}`);
    lines.push(
      `pm.test('answers error ${expect.code}', () => pm.expect(body.errors && body.errors[0] && body.errors[0].code).to.equal(${JSON.stringify(expect.code)}));`,
    );
  } else {
    lines.push(`pm.test('succeeds', () => pm.expect(body.success).to.equal(true));`);
  }
  lines.push(`const at = (path) => path.split('.').reduce((v, k) => (v == null ? undefined : v[k]), body);`);
  for (const [variable, path] of Object.entries(captures)) {
    lines.push(
      `pm.test('carries ${variable} forward', () => pm.expect(at(${JSON.stringify(path)})).to.not.equal(undefined));`,
      `pm.collectionVariables.set(${JSON.stringify(variable)}, at(${JSON.stringify(path)}));`,
    );
  }
  return [...lines, ...(request.script ?? [])].join('\n');
}
