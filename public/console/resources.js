// API resources pages of the admin console: list, register, edit and delete the APIs apps get tokens for (the
// identifier is the tokens' `aud`, each scope has the plain words the consent page shows), and on a client's page the
// scopes of each API that client may ask for.
import { checkbox, field, formatTime, formValues, h } from './dom.js';
import { actionButton, badge, outcomeArea, page, props, table } from './ui.js';

const API = '/api/v1/admin/api-resources';

/** `contacts:read = Read your contacts`, one scope a line. */
function parseScopes(text) {
  return String(text ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const at = line.indexOf('=');
      return at < 0 ? { name: line, description: '' } : { name: line.slice(0, at).trim(), description: line.slice(at + 1).trim() };
    });
}

const scopeLines = (scopes) => scopes.map((s) => `${s.name} = ${s.description}`).join('\n');

function resourceForm({ resource, onSubmit, submitLabel }) {
  const isNew = !resource;
  return h(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        const v = formValues(event.target);
        await onSubmit({
          ...(isNew && { identifier: v.identifier.trim() }),
          name: v.name,
          scopes: parseScopes(v.scopes),
          accessTokenTtl: Number(v.accessTokenTtl),
          signingAlg: v.signingAlg,
          allowRefreshTokens: v.allowRefreshTokens,
          consentRequired: v.consentRequired,
        });
      },
    },
    isNew
      ? field(
          'Identifier',
          h('input', { type: 'url', name: 'identifier', required: true, placeholder: 'https://crm.example/api' }),
          'An absolute URI without a # fragment, such as the API’s base URL. Apps send it as `resource`; their tokens carry it as `aud`. It cannot change later.',
        )
      : null,
    field(
      'Name',
      h('input', { type: 'text', name: 'name', required: true, value: resource?.name ?? '' }),
      'Shown to people on the consent page.',
    ),
    field(
      'Scopes',
      h('textarea', { name: 'scopes', rows: '4', value: scopeLines(resource?.scopes ?? []) }),
      'One a line: name = what it allows, in plain words (contacts:read = Read your contacts). People read the words on the consent page.',
    ),
    field(
      'Access token lifetime (seconds)',
      h('input', {
        type: 'number',
        name: 'accessTokenTtl',
        min: '60',
        max: '86400',
        required: true,
        value: String(resource?.accessTokenTtl ?? 900),
      }),
    ),
    field(
      'Signing algorithm',
      h(
        'select',
        { name: 'signingAlg' },
        ['ES256', 'RS256'].map((alg) => h('option', { value: alg, selected: (resource?.signingAlg ?? 'ES256') === alg }, alg)),
      ),
      'The algorithm of the key in the JWKS that signs its tokens; RS256 for APIs that cannot verify ES256.',
    ),
    checkbox('Refresh tokens allowed', { name: 'allowRefreshTokens', checked: resource ? resource.allowRefreshTokens : true }),
    checkbox('Ask people before a third-party app gets its scopes (consent)', {
      name: 'consentRequired',
      checked: resource ? resource.consentRequired : true,
    }),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, submitLabel),
      h('a', { class: 'button secondary', href: resource ? `#/api-resources/${resource.id}` : '#/api-resources' }, 'Cancel'),
    ),
  );
}

export async function resourcesPage({ api, can }) {
  const { apiResources } = await api('GET', API);
  return page(
    'APIs',
    h('p', null, 'The APIs apps get access tokens for. A client may ask only for the scopes granted to it on its page.'),
    can('clients:write') ? h('p', null, h('a', { class: 'button', href: '#/api-resources/new' }, 'Register an API')) : null,
    table(
      "This tenant's APIs",
      ['Name', 'Identifier', 'Scopes', 'Token lifetime'],
      apiResources.map((r) => [
        h('a', { href: `#/api-resources/${r.id}` }, r.name),
        h('span', { class: 'mono' }, r.identifier),
        r.scopes.map((s) => s.name).join(' '),
        `${r.accessTokenTtl} s`,
      ]),
      'No APIs yet.',
    ),
  );
}

export async function newResourcePage({ api }) {
  const outcome = outcomeArea();
  const form = resourceForm({
    submitLabel: 'Register API',
    onSubmit: async (body) => {
      try {
        const { apiResource } = await api('POST', API, { body });
        location.hash = `#/api-resources/${apiResource.id}`;
      } catch (err) {
        outcome.error(err);
      }
    },
  });
  return page('Register an API', outcome.el, h('div', { class: 'card' }, form));
}

export async function resourcePage({ api, can, params, query }) {
  const id = decodeURIComponent(params[0]);
  const path = `${API}/${encodeURIComponent(id)}`;
  const { apiResource: r } = await api('GET', path);
  const outcome = outcomeArea();
  if (query.edit && can('clients:write')) {
    const form = resourceForm({
      resource: r,
      submitLabel: 'Save changes',
      onSubmit: async (body) => {
        try {
          await api('PATCH', path, { body });
          location.hash = `#/api-resources/${r.id}`;
        } catch (err) {
          outcome.error(err);
        }
      },
    });
    return page(`Edit ${r.name}`, outcome.el, h('div', { class: 'card' }, form));
  }
  return page(
    r.name,
    outcome.el,
    h(
      'div',
      { class: 'card' },
      props([
        ['Identifier (aud)', h('span', { class: 'mono' }, r.identifier)],
        ['Token lifetime', `${r.accessTokenTtl} s`],
        ['Signing algorithm', r.signingAlg],
        ['Refresh tokens', r.allowRefreshTokens ? badge('allowed', 'ok') : badge('not allowed')],
        ['Consent', r.consentRequired ? 'asked' : 'not asked'],
        ['Created', formatTime(r.createdAt)],
        ['Changed', formatTime(r.updatedAt)],
      ]),
      table(
        'Scopes',
        ['Scope', 'What people read on the consent page'],
        r.scopes.map((s) => [h('span', { class: 'mono' }, s.name), s.description]),
        'No scopes yet.',
      ),
      can('clients:write')
        ? h(
            'div',
            { class: 'actions' },
            h('a', { class: 'button secondary', href: `#/api-resources/${r.id}?edit=1` }, 'Edit'),
            actionButton(
              'Delete',
              async () => {
                await api('DELETE', path);
                location.hash = '#/api-resources';
              },
              {
                outcome,
                kind: 'danger',
                confirm: {
                  title: `Delete ${r.name}?`,
                  text: 'No new token names it and every app loses its scopes; tokens already issued live out their lifetime.',
                  action: 'Delete API',
                },
              },
            ),
          )
        : null,
    ),
  );
}

/** The client page's section: per API, the scopes this client may ask for, with a form to change them. */
export async function clientApiAccess({ api, can, clientId }) {
  const base = `/api/v1/admin/clients/${encodeURIComponent(clientId)}/resource-scopes`;
  const [{ resources: granted }, { apiResources }] = await Promise.all([api('GET', base), api('GET', API)]);
  const outcome = outcomeArea();
  const held = new Map(granted.map((g) => [g.resourceId, new Set(g.scopes)]));
  return h(
    'section',
    { 'aria-labelledby': 'api-access-title' },
    h('h2', { id: 'api-access-title' }, 'API access'),
    h('p', null, 'The scopes of each API this client may ask for with `resource`. It never gets a scope not ticked here.'),
    outcome.el,
    apiResources.length === 0 && granted.length === 0 ? h('p', null, 'No APIs registered yet.') : null,
    granted
      .filter((g) => !apiResources.some((r) => r.id === g.resourceId))
      .map((g) => h('p', null, `${g.name} (platform): ${g.scopes.join(' ')}`)),
    apiResources.map((r) =>
      h(
        'form',
        {
          class: 'card',
          onsubmit: async (event) => {
            event.preventDefault();
            try {
              const { scopes } = formValues(event.target);
              await api('PUT', `${base}/${encodeURIComponent(r.id)}`, { body: { scopes: scopes ?? [] } });
              // The ticked boxes already show the saved state: no re-render, so the confirmation stays readable.
              outcome.ok(`Scopes on ${r.name} saved.`);
            } catch (err) {
              outcome.error(err);
            }
          },
        },
        h(
          'fieldset',
          { disabled: !can('clients:write') },
          h('legend', null, `${r.name} (${r.identifier})`),
          r.scopes.map((s) =>
            checkbox(`${s.name}: ${s.description}`, {
              name: 'scopes',
              value: s.name,
              'data-multi': '1',
              checked: held.get(r.id)?.has(s.name),
            }),
          ),
        ),
        can('clients:write') ? h('button', { type: 'submit', class: 'secondary' }, `Save scopes on ${r.name}`) : null,
      ),
    ),
  );
}
