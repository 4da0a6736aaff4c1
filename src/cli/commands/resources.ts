// gatehouse resource create|list|show|update|delete, and client grant-scopes: API resources (the `aud` of access
// tokens for an API, with its scopes) and which of their scopes a client may ask for.
import { CLI_ACTOR } from '../../services/audit.ts';
import {
  createApiResource,
  deleteApiResource,
  listApiResources,
  listClientResourceScopes,
  presentApiResource,
  resolveApiResource,
  setClientResourceScopes,
  updateApiResource,
  type ApiResourceChanges,
} from '../../services/api-resources.ts';
import { formatTable } from '../output.ts';
import { CONFIRM_OPTIONS, optionalString, requireString, UsageError, type Command, type Values } from '../command.ts';

const RESOURCE = { tenant: { type: 'string' }, resource: { type: 'string' } } as const;
const RESOURCE_USAGE = '--tenant SLUG --resource ID|IDENTIFIER';

const SETTINGS = {
  name: { type: 'string' },
  scope: { type: 'string', multiple: true },
  'token-ttl': { type: 'string' },
  'signing-alg': { type: 'string' },
  'refresh-tokens': { type: 'boolean' },
  'no-refresh-tokens': { type: 'boolean' },
  consent: { type: 'boolean' },
  'no-consent': { type: 'boolean' },
} as const;
const SETTINGS_USAGE =
  '[--scope "NAME=what it allows"]... [--token-ttl SECONDS] [--signing-alg ES256|RS256] [--no-refresh-tokens | --refresh-tokens] [--no-consent | --consent]';

/** `--scope contacts:read=Read your contacts`: the name, then the plain words the consent page shows. */
function scopesOf(values: Values) {
  const given = values.scope as string[] | undefined;
  return given?.map((entry) => {
    const at = entry.indexOf('=');
    if (at <= 0) throw new UsageError(`--scope takes NAME=description (got ${entry})`);
    return { name: entry.slice(0, at).trim(), description: entry.slice(at + 1).trim() };
  });
}

function both(values: Values, on: string, off: string): boolean | undefined {
  if (values[on] === true && values[off] === true) throw new UsageError(`--${on} and --${off} exclude each other`);
  return values[on] === true ? true : values[off] === true ? false : undefined;
}

function settingsOf(values: Values): ApiResourceChanges {
  const ttl = optionalString(values, 'token-ttl');
  if (ttl !== undefined && !/^\d+$/.test(ttl)) throw new UsageError('--token-ttl takes a number of seconds');
  const scopes = scopesOf(values);
  const signingAlg = optionalString(values, 'signing-alg');
  const allowRefreshTokens = both(values, 'refresh-tokens', 'no-refresh-tokens');
  const consentRequired = both(values, 'consent', 'no-consent');
  return {
    ...(typeof values.name === 'string' && { name: values.name }),
    ...(scopes && { scopes }),
    ...(ttl !== undefined && { accessTokenTtl: Number(ttl) }),
    ...(signingAlg !== undefined && { signingAlg: signingAlg as 'ES256' }),
    ...(allowRefreshTokens !== undefined && { allowRefreshTokens }),
    ...(consentRequired !== undefined && { consentRequired }),
  };
}

const scopeLines = (resource: { scopes: Array<{ name: string; description: string }> }) =>
  resource.scopes.map((s) => `  ${s.name}  ${s.description}`);

function resourceText(result: { apiResource: ReturnType<typeof presentApiResource> }): string {
  const r = result.apiResource;
  return [
    `id                  ${r.id}`,
    `tenant              ${r.tenantId}`,
    `identifier          ${r.identifier}`,
    `name                ${r.name}`,
    `access token ttl    ${r.accessTokenTtl}s`,
    `signing alg         ${r.signingAlg}`,
    `refresh tokens      ${r.allowRefreshTokens ? 'allowed' : 'not allowed'}`,
    `consent required    ${r.consentRequired ? 'yes' : 'no'}`,
    'scopes',
    ...scopeLines(r),
  ].join('\n');
}

export const resourceCreate: Command = {
  name: 'resource create',
  usage: `--tenant SLUG --identifier URI --name N ${SETTINGS_USAGE}`,
  summary: 'Register an API resource: the identifier is the `aud` of its access tokens',
  description:
    'The identifier is an absolute URI without a fragment, unique across all tenants (tokens of every tenant share one issuer); a resource of the `platform` tenant may be granted to any tenant’s clients. Each --scope is NAME=description: the description is what the consent page shows. The token lifetime defaults to ACCESS_TOKEN_TTL, the algorithm to ACCESS_TOKEN_ALG.',
  options: { tenant: { type: 'string' }, identifier: { type: 'string' }, ...SETTINGS },
  run: async (deps, values) => {
    const resource = await createApiResource(
      deps,
      requireString(values, 'tenant'),
      { identifier: requireString(values, 'identifier'), name: requireString(values, 'name'), scopes: [], ...settingsOf(values) },
      CLI_ACTOR,
    );
    return { apiResource: presentApiResource(resource) };
  },
  text: resourceText,
};

export const resourceList: Command = {
  name: 'resource list',
  usage: '--tenant SLUG',
  summary: "List a tenant's API resources",
  options: { tenant: { type: 'string' } },
  run: async (deps, values) => ({
    apiResources: (await listApiResources(deps, requireString(values, 'tenant'))).map(presentApiResource),
  }),
  text: (result: { apiResources: Array<ReturnType<typeof presentApiResource>> }) =>
    formatTable(
      result.apiResources.map((r) => ({ ...r, scopes: r.scopes.map((s) => s.name).join(' ') })),
      ['id', 'identifier', 'name', 'scopes', 'accessTokenTtl', 'signingAlg', 'allowRefreshTokens', 'consentRequired'],
    ),
};

export const resourceShow: Command = {
  name: 'resource show',
  usage: RESOURCE_USAGE,
  summary: 'Show an API resource with its scopes',
  options: RESOURCE,
  run: async (deps, values) => ({
    apiResource: presentApiResource(await resolveApiResource(deps, requireString(values, 'tenant'), requireString(values, 'resource'))),
  }),
  text: resourceText,
};

export const resourceUpdate: Command = {
  name: 'resource update',
  usage: `${RESOURCE_USAGE} [--name N] ${SETTINGS_USAGE}`,
  summary: "Change an API resource's name, scopes, token lifetime, algorithm, refresh or consent setting",
  description:
    'Only the flags given change; --scope replaces the whole list, and a scope left out is taken from every client granted it. The identifier is fixed.',
  options: { ...RESOURCE, ...SETTINGS },
  run: async (deps, values) => {
    const tenantId = requireString(values, 'tenant');
    const changes = settingsOf(values);
    if (Object.keys(changes).length === 0) throw new UsageError('nothing to change');
    const { id } = await resolveApiResource(deps, tenantId, requireString(values, 'resource'));
    return { apiResource: presentApiResource(await updateApiResource(deps, tenantId, id, changes, CLI_ACTOR)) };
  },
  text: resourceText,
};

export const resourceDelete: Command = {
  name: 'resource delete',
  usage: `${RESOURCE_USAGE} [--yes]`,
  summary: 'Delete an API resource with its client grants and consents',
  description:
    'No new token names it; tokens already issued live out their lifetime. Asks for confirmation on a terminal; scripts pass --yes.',
  options: { ...RESOURCE, ...CONFIRM_OPTIONS },
  run: async (deps, values) => {
    const tenantId = requireString(values, 'tenant');
    const resource = await resolveApiResource(deps, tenantId, requireString(values, 'resource'));
    await deps.io.confirm(`Delete API resource ${resource.name} (${resource.identifier})?`, values.yes === true);
    await deleteApiResource(deps, tenantId, resource.id, CLI_ACTOR);
    return { deleted: { tenant: tenantId, resource: resource.id, identifier: resource.identifier } };
  },
};

export const clientGrantScopes: Command = {
  name: 'client grant-scopes',
  usage: '--tenant SLUG --client CLIENT_ID --resource ID|IDENTIFIER [--scope S]... [--none]',
  summary: 'Set which scopes of an API resource a client may ask for',
  description:
    'Replaces what the client held on that resource; --none takes every scope away. The resource is one of the tenant’s or a platform one. A client never gets a resource scope not granted here.',
  options: {
    tenant: { type: 'string' },
    client: { type: 'string' },
    resource: { type: 'string' },
    scope: { type: 'string', multiple: true },
    none: { type: 'boolean' },
  },
  run: async (deps, values) => {
    const tenantId = requireString(values, 'tenant');
    const clientId = requireString(values, 'client');
    const scopes = (values.scope as string[] | undefined) ?? [];
    if (scopes.length === 0 && values.none !== true) throw new UsageError('give --scope S (repeatable) or --none');
    if (scopes.length > 0 && values.none === true) throw new UsageError('--scope and --none exclude each other');
    const resource = await resolveApiResource(deps, tenantId, requireString(values, 'resource'), { includePlatform: true });
    await setClientResourceScopes(deps, tenantId, clientId, resource.id, scopes, CLI_ACTOR);
    return { client: clientId, resources: await listClientResourceScopes(deps, tenantId, clientId) };
  },
  text: (result: { client: string; resources: Array<{ identifier: string; scopes: string[] }> }) =>
    formatTable(
      result.resources.map((r) => ({ resource: r.identifier, scopes: r.scopes.join(' ') })),
      ['resource', 'scopes'],
    ),
};
