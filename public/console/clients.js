// Clients pages of the admin console: list, register with presets that explain each field, edit, rotate the
// secret, delete, and initial access tokens for dynamic registration. Secrets are shown once and never kept.
import { checkbox, field, formatTime, formValues, h } from './dom.js';
import { actionButton, badge, outcomeArea, page, pager, props, showSecretOnce, table } from './ui.js';
import { clientApiAccess } from './resources.js';

const PRESETS = {
  web: {
    label: 'Web application (server-side)',
    help: 'A server that keeps a secret: authorization code flow with a client secret and refresh tokens.',
    public: false,
    grantTypes: ['authorization_code', 'refresh_token'],
    scope: 'openid profile email offline_access',
  },
  spa: {
    label: 'Single-page app (browser)',
    help: 'Code in a browser cannot keep a secret: a public client, authorization code flow with PKCE (S256, required).',
    public: true,
    grantTypes: ['authorization_code', 'refresh_token'],
    scope: 'openid profile email offline_access',
  },
  native: {
    label: 'Native or mobile app',
    help: 'A public client with PKCE; redirect to a loopback address such as http://127.0.0.1/callback (RFC 8252).',
    public: true,
    grantTypes: ['authorization_code', 'refresh_token'],
    scope: 'openid profile email offline_access',
  },
  device: {
    label: 'TV or command-line tool',
    help: 'A device without a browser or keyboard: it shows a code, and the person signs in on another screen (device code, RFC 8628).',
    public: true,
    grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    scope: 'openid profile offline_access',
  },
  m2m: {
    label: 'Machine to machine',
    help: 'A service acting as itself: client credentials with a secret, no users and no redirect URIs.',
    public: false,
    grantTypes: ['client_credentials'],
    scope: 'openid',
  },
};

const lines = (text) =>
  String(text ?? '')
    .split(/\s+/)
    .map((s) => s.trim())
    .filter(Boolean);

function kindOf(client) {
  if (client.builtIn) return badge('built in');
  return client.public ? badge('public') : badge('confidential', 'ok');
}

export async function clientsPage({ api, can, query }) {
  const data = await api('GET', '/api/v1/admin/clients', { query: { cursor: query.cursor, limit: '25' } });
  const outcome = outcomeArea();
  return page(
    'Clients',
    h('p', null, 'Applications that sign people in through Gatehouse or call its API as themselves.'),
    can('clients:write') ? h('p', null, h('a', { class: 'button', href: '#/clients/new' }, 'Register a client')) : null,
    table(
      "This tenant's OAuth clients",
      ['Name', 'Client id', 'Kind', 'Grant types', 'Created'],
      data.clients.map((c) => [
        h('a', { href: `#/clients/${encodeURIComponent(c.clientId)}` }, c.name),
        h('span', { class: 'mono' }, c.clientId),
        kindOf(c),
        c.grantTypes.join(', '),
        formatTime(c.createdAt),
      ]),
      'No clients yet.',
    ),
    pager('/clients', query, data.nextCursor),
    can('clients:write') ? initialAccessTokens(api, outcome) : null,
  );
}

function initialAccessTokens(api, outcome) {
  const hours = h('input', { type: 'number', name: 'hours', min: '1', max: '720', value: '24', required: true });
  return h(
    'section',
    { 'aria-labelledby': 'iat-title' },
    h('h2', { id: 'iat-title' }, 'Initial access tokens'),
    h(
      'p',
      null,
      'Automation registers clients itself at /oauth2/register (RFC 7591) with one of these tokens; every client it registers belongs to this tenant.',
    ),
    outcome.el,
    h(
      'form',
      {
        class: 'toolbar',
        onsubmit: async (event) => {
          event.preventDefault();
          try {
            const issued = await api('POST', '/api/v1/admin/initial-access-tokens', { body: { expiresIn: Number(hours.value) * 3600 } });
            await showSecretOnce(
              'Initial access token',
              `Valid until ${formatTime(issued.expiresAt)}`,
              issued.initialAccessToken,
              'Copy it now: it is shown only this once.',
            );
          } catch (err) {
            outcome.error(err);
          }
        },
      },
      field('Valid for (hours)', hours),
      h('button', { type: 'submit' }, 'Issue a token'),
    ),
  );
}

/** The ID token algorithms a client may choose (docs/api.md, "Protocol settings of a client"). */
const ID_TOKEN_ALGS = [
  ['ES256', 'ES256 (default)'],
  ['RS256', 'RS256'],
  ['EdDSA', 'EdDSA (Ed25519)'],
];

/** How a client authenticates at the token endpoint, in plain words. */
const AUTH_METHODS = {
  none: 'none (public client, PKCE)',
  client_secret_basic: 'secret (HTTP Basic)',
  client_secret_post: 'secret (form field)',
  private_key_jwt: 'signed assertion with its keys (private_key_jwt)',
};

function clientForm({ client, onSubmit, submitLabel }) {
  const isNew = !client;
  const presetHelp = h('p', { class: 'hint', id: 'preset-help', 'aria-live': 'polite' });
  const grant = (value, label) =>
    checkbox(label, { name: 'grantTypes', value, 'data-multi': '1', checked: client?.grantTypes.includes(value) });
  const form = h(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const v = formValues(event.target);
        await onSubmit({
          name: v.name,
          redirectUris: lines(v.redirectUris),
          postLogoutRedirectUris: lines(v.postLogoutRedirectUris),
          grantTypes: v.grantTypes,
          scope: lines(v.scope).join(' '),
          firstParty: v.firstParty,
          idTokenSigningAlg: v.idTokenSigningAlg,
          dpopBoundAccessTokens: v.dpopBoundAccessTokens,
          requireSignedRequestObject: v.requireSignedRequestObject,
          backchannelLogoutUri: String(v.backchannelLogoutUri ?? '').trim() || null,
          backchannelLogoutSessionRequired: v.backchannelLogoutSessionRequired,
          ...(isNew && { public: v.kind === 'public' }),
        });
      },
    },
    isNew
      ? h(
          'fieldset',
          null,
          h('legend', null, 'Type of application'),
          Object.entries(PRESETS).map(([key, preset]) =>
            h(
              'div',
              { class: 'check' },
              h('input', {
                type: 'radio',
                name: 'preset',
                id: `preset-${key}`,
                value: key,
                'aria-describedby': 'preset-help',
                onchange: () => applyPreset(form, key, presetHelp),
              }),
              h('label', { for: `preset-${key}` }, preset.label),
            ),
          ),
          presetHelp,
        )
      : null,
    field(
      'Name',
      h('input', { type: 'text', name: 'name', required: true, value: client?.name ?? '' }),
      'Shown to people on the consent page.',
    ),
    isNew
      ? h(
          'fieldset',
          null,
          h('legend', null, 'Client authentication'),
          h(
            'div',
            { class: 'check' },
            h('input', { type: 'radio', name: 'kind', id: 'kind-conf', value: 'confidential', checked: true }),
            h('label', { for: 'kind-conf' }, 'Confidential: gets a secret (servers)'),
          ),
          h(
            'div',
            { class: 'check' },
            h('input', { type: 'radio', name: 'kind', id: 'kind-public', value: 'public' }),
            h('label', { for: 'kind-public' }, 'Public: no secret, PKCE required (browsers, apps)'),
          ),
        )
      : null,
    field(
      'Redirect URIs',
      h('textarea', { name: 'redirectUris', rows: '3', value: (client?.redirectUris ?? []).join('\n') }),
      'One per line. Where people return after signing in: https, or http only on 127.0.0.1/localhost; no # fragment.',
    ),
    field(
      'Post-logout redirect URIs',
      h('textarea', { name: 'postLogoutRedirectUris', rows: '2', value: (client?.postLogoutRedirectUris ?? []).join('\n') }),
      'One per line. Where people may return after signing out.',
    ),
    h(
      'fieldset',
      null,
      h('legend', null, 'Grant types'),
      grant('authorization_code', 'Authorization code: people sign in'),
      grant('refresh_token', 'Refresh token: stay signed in'),
      grant('client_credentials', 'Client credentials: the app acts as itself (confidential only)'),
      grant('urn:ietf:params:oauth:grant-type:device_code', 'Device code: people sign in on another screen (TVs, command-line tools)'),
    ),
    field(
      'Back-channel logout URI',
      h('input', { type: 'text', name: 'backchannelLogoutUri', inputmode: 'url', value: client?.backchannelLogoutUri ?? '' }),
      'Optional. Gatehouse POSTs a signed logout token here whenever a session this app took part in ends: https, or http only on 127.0.0.1/localhost.',
    ),
    checkbox('Logout and ID tokens carry the session id (sid)', {
      name: 'backchannelLogoutSessionRequired',
      checked: client?.backchannelLogoutSessionRequired,
    }),
    field(
      'Scopes',
      h('input', { type: 'text', name: 'scope', value: client?.scope ?? 'openid profile email offline_access' }),
      'Space-separated: openid profile email offline_access, and permission strings such as users:read for machine clients.',
    ),
    checkbox('First-party app (skips the consent page; its users’ tokens carry their admin permissions)', {
      name: 'firstParty',
      checked: client?.firstParty,
    }),
    h(
      'fieldset',
      null,
      h('legend', null, 'Tokens and requests'),
      field(
        'ID token signature',
        h(
          'select',
          { name: 'idTokenSigningAlg' },
          ID_TOKEN_ALGS.map(([value, label]) => h('option', { value, selected: (client?.idTokenSigningAlg ?? 'ES256') === value }, label)),
        ),
        'How the app’s ID tokens are signed; pick RS256 or EdDSA only if the app needs it.',
      ),
      checkbox('DPoP-bound tokens only (every token request must carry a DPoP proof)', {
        name: 'dpopBoundAccessTokens',
        checked: client?.dpopBoundAccessTokens,
      }),
      checkbox('Require signed request objects (needs the app’s public keys, set through the API or CLI)', {
        name: 'requireSignedRequestObject',
        checked: client?.requireSignedRequestObject,
      }),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, submitLabel),
      h('a', { class: 'button secondary', href: client ? `#/clients/${encodeURIComponent(client.clientId)}` : '#/clients' }, 'Cancel'),
    ),
  );
  return form;
}

function applyPreset(form, key, helpEl) {
  const preset = PRESETS[key];
  helpEl.textContent = preset.help;
  form.querySelector(preset.public ? '#kind-public' : '#kind-conf').checked = true;
  for (const box of form.querySelectorAll('input[name=grantTypes]')) box.checked = preset.grantTypes.includes(box.value);
  form.querySelector('input[name=scope]').value = preset.scope;
  if (key === 'native' && !form.querySelector('textarea[name=redirectUris]').value)
    form.querySelector('textarea[name=redirectUris]').value = 'http://127.0.0.1/callback';
}

export async function newClientPage({ api }) {
  const outcome = outcomeArea();
  const form = clientForm({
    submitLabel: 'Register client',
    onSubmit: async (body) => {
      try {
        const created = await api('POST', '/api/v1/admin/clients', { body });
        if (created.clientSecret) {
          await showSecretOnce(
            'Client registered',
            `Client secret of ${created.client.clientId}`,
            created.clientSecret,
            'Copy the secret now and store it in your app’s configuration: it is shown only this once. If it is lost, rotate it.',
          );
        }
        location.hash = `#/clients/${encodeURIComponent(created.client.clientId)}`;
      } catch (err) {
        outcome.error(err);
      }
    },
  });
  return page('Register a client', outcome.el, h('div', { class: 'card' }, form));
}

export async function clientPage({ api, can, params, query, refresh }) {
  const clientId = decodeURIComponent(params[0]);
  const { client } = await api('GET', `/api/v1/admin/clients/${encodeURIComponent(clientId)}`);
  const path = `/api/v1/admin/clients/${encodeURIComponent(clientId)}`;
  const outcome = outcomeArea();
  if (query.edit && can('clients:write') && !client.builtIn) {
    const form = clientForm({
      client,
      submitLabel: 'Save changes',
      onSubmit: async (body) => {
        try {
          await api('PATCH', path, { body });
          location.hash = `#/clients/${encodeURIComponent(clientId)}`;
        } catch (err) {
          outcome.error(err);
        }
      },
    });
    return page(`Edit ${client.name}`, outcome.el, h('div', { class: 'card' }, form));
  }
  const writable = can('clients:write') && !client.builtIn;
  const apiAccess = client.builtIn ? null : await clientApiAccess({ api, can, clientId });
  return page(
    client.name,
    outcome.el,
    h(
      'div',
      { class: 'card' },
      props([
        ['Client id', h('span', { class: 'mono' }, client.clientId)],
        ['Kind', kindOf(client)],
        ['First party', client.firstParty ? 'yes' : 'no'],
        ['Authentication', AUTH_METHODS[client.authMethod] ?? client.authMethod],
        ['Public keys', client.jwks ? `${client.jwks.keys.length} registered` : client.jwksUri ? client.jwksUri : 'none'],
        ['ID token signature', client.idTokenSigningAlg],
        ['DPoP-bound tokens', client.dpopBoundAccessTokens ? 'required' : 'when the app sends a proof'],
        ['Signed request objects', client.requireSignedRequestObject ? 'required' : 'accepted'],
        [
          'Redirect URIs',
          client.redirectUris.length
            ? h(
                'ul',
                null,
                client.redirectUris.map((u) => h('li', { class: 'mono' }, u)),
              )
            : 'none',
        ],
        [
          'Post-logout URIs',
          client.postLogoutRedirectUris.length
            ? h(
                'ul',
                null,
                client.postLogoutRedirectUris.map((u) => h('li', { class: 'mono' }, u)),
              )
            : 'none',
        ],
        ['Grant types', client.grantTypes.join(', ')],
        ['Scopes', client.scope],
        [
          'Back-channel logout',
          client.backchannelLogoutUri
            ? h('span', { class: 'mono' }, `${client.backchannelLogoutUri}${client.backchannelLogoutSessionRequired ? ' (with sid)' : ''}`)
            : 'none',
        ],
        ['Created', formatTime(client.createdAt)],
        ['Changed', formatTime(client.updatedAt)],
      ]),
      client.builtIn ? h('p', { class: 'hint' }, 'Gatehouse uses this client itself; it cannot be changed here.') : null,
      writable
        ? h(
            'div',
            { class: 'actions' },
            h('a', { class: 'button secondary', href: `#/clients/${encodeURIComponent(clientId)}?edit=1` }, 'Edit'),
            client.public
              ? null
              : actionButton(
                  'Rotate secret',
                  async () => {
                    const rotated = await api('POST', `${path}/secret`);
                    await showSecretOnce(
                      'New client secret',
                      `Client secret of ${clientId}`,
                      rotated.clientSecret,
                      'The old secret has stopped working. Copy the new one now: it is shown only this once.',
                    );
                    await refresh();
                  },
                  {
                    outcome,
                    confirm: {
                      title: 'Rotate the secret?',
                      text: 'The current secret stops working at once; the app needs the new one.',
                      action: 'Rotate',
                    },
                  },
                ),
            actionButton(
              'Delete',
              async () => {
                await api('DELETE', path);
                location.hash = '#/clients';
              },
              {
                outcome,
                kind: 'danger',
                confirm: {
                  title: `Delete ${client.name}?`,
                  text: 'Everything issued to it is revoked and its users are signed out of it. This cannot be undone.',
                  action: 'Delete client',
                },
              },
            ),
          )
        : null,
    ),
    apiAccess,
  );
}
