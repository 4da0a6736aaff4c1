// gatehouse client create|list|show|update|rotate-secret|delete — a secret is printed once, when it is made.
import { readFileSync } from 'node:fs';
import { CLI_ACTOR } from '../../services/audit.ts';
import {
  clientChangesSchema,
  createClient,
  deleteClient,
  getClient,
  GRANT_TYPES,
  listClients,
  presentClient,
  rotateClientSecret,
  updateClient,
} from '../../services/clients.ts';
import { withDatabaseRevoker } from '../../services/sessions.ts';
import { parseOrThrow } from '../../errors/validation.ts';
import { formatRecord, formatTable } from '../output.ts';
import {
  CONFIRM_OPTIONS,
  optionalString,
  PAGE_OPTIONS,
  pageLimit,
  requireString,
  UsageError,
  type Command,
  type Values,
} from '../command.ts';

const CLIENT = { tenant: { type: 'string' }, client: { type: 'string' } } as const;
const CLIENT_USAGE = '--tenant SLUG --client CLIENT_ID';

/** The protocol settings `client create` and `client update` share (docs/cli.md). */
const PROTOCOL_OPTIONS = {
  'id-token-alg': { type: 'string' },
  'jwks-file': { type: 'string' },
  'jwks-uri': { type: 'string' },
  'dpop-bound': { type: 'string' },
  'require-signed-request': { type: 'string' },
  'jarm-alg': { type: 'string' },
} as const;
const PROTOCOL_USAGE =
  '[--id-token-alg ES256|RS256|EdDSA] [--jwks-file FILE | --jwks-uri URI] [--dpop-bound yes|no] [--require-signed-request yes|no] [--jarm-alg ALG]';

function yesNo(values: Values, name: string): boolean | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  if (value === 'yes' || value === 'no') return value === 'yes';
  throw new UsageError(`--${name} must be yes or no`);
}

/** The client's public keys from a JSON file (a JWK Set); `none` removes them (update only). */
function jwksOf(values: Values): unknown {
  const file = values['jwks-file'];
  if (typeof file !== 'string') return undefined;
  if (file === 'none') return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (err) {
    throw new UsageError(`--jwks-file: cannot read a JSON JWK Set from ${file} (${(err as Error).message})`);
  }
}

/** The protocol settings given on the command line, in the service's names (absent flags stay absent). */
function protocolSettings(values: Values): Record<string, unknown> {
  const jwks = jwksOf(values);
  const jwksUri = values['jwks-uri'];
  const dpop = yesNo(values, 'dpop-bound');
  const signedRequest = yesNo(values, 'require-signed-request');
  return {
    ...(typeof values['id-token-alg'] === 'string' && { idTokenSigningAlg: values['id-token-alg'] }),
    ...(jwks !== undefined && { jwks }),
    ...(typeof jwksUri === 'string' && { jwksUri: jwksUri === 'none' ? null : jwksUri }),
    ...(dpop !== undefined && { dpopBoundAccessTokens: dpop }),
    ...(signedRequest !== undefined && { requireSignedRequestObject: signedRequest }),
    ...(typeof values['jarm-alg'] === 'string' && { authorizationSignedResponseAlg: values['jarm-alg'] }),
  };
}

function grantTypesOf(values: Values) {
  const grantTypes = values['grant-type'] as string[] | undefined;
  const unknown = grantTypes?.filter((g) => !(GRANT_TYPES as readonly string[]).includes(g)) ?? [];
  if (unknown.length > 0) throw new UsageError(`--grant-type must be one of ${GRANT_TYPES.join(', ')} (got ${unknown.join(', ')})`);
  return grantTypes as Array<(typeof GRANT_TYPES)[number]> | undefined;
}

/** The secret first, with the warning a person needs; JSON keeps the plain fields. */
const withSecret = (result: Record<string, unknown>) => {
  const { client_secret: secret, clientSecret, ...rest } = result;
  const shown = secret ?? clientSecret;
  return [
    formatRecord(rest),
    ...(shown
      ? ['', `client secret  ${String(shown)}`, '(shown once: only its keyed hash is stored; `client rotate-secret` makes a new one)']
      : []),
  ].join('\n');
};

export const clientCreate: Command = {
  name: 'client create',
  usage:
    '--tenant SLUG --name N [--redirect-uri URI]... [--post-logout-redirect-uri URI]... [--grant-type G]... [--scope S] [--public] [--first-party] ' +
    `[--auth-method client_secret_basic|client_secret_post|private_key_jwt] [--backchannel-logout-uri URI [--backchannel-logout-session-required]] ${PROTOCOL_USAGE}`,
  summary: 'Register an OAuth client; prints client_id and, for a confidential client, client_secret once',
  description:
    'Redirect URIs must be absolute, without a fragment, and https except for loopback. --public makes a client without a secret (PKCE); --first-party skips the consent page. ' +
    '--auth-method private_key_jwt makes a client without a secret that signs JWTs with the keys of --jwks-file or --jwks-uri. ' +
    '--backchannel-logout-uri receives a logout token whenever a session the client took part in ends; with --backchannel-logout-session-required its ID and logout tokens carry `sid`.',
  options: {
    tenant: { type: 'string' },
    name: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    'grant-type': { type: 'string', multiple: true },
    scope: { type: 'string' },
    public: { type: 'boolean' },
    'first-party': { type: 'boolean' },
    'auth-method': { type: 'string' },
    ...PROTOCOL_OPTIONS,
    'backchannel-logout-uri': { type: 'string' },
    'backchannel-logout-session-required': { type: 'boolean' },
  },
  run: async (deps, values) => {
    const grantTypes = grantTypesOf(values);
    const { client, clientSecret } = await createClient(
      deps,
      {
        tenantId: requireString(values, 'tenant'),
        name: requireString(values, 'name'),
        redirectUris: (values['redirect-uri'] as string[] | undefined) ?? [],
        postLogoutRedirectUris: (values['post-logout-redirect-uri'] as string[] | undefined) ?? [],
        ...(grantTypes && { grantTypes }),
        ...(typeof values.scope === 'string' && { scope: values.scope }),
        public: values.public === true,
        firstParty: values['first-party'] === true,
        ...(typeof values['auth-method'] === 'string' && { authMethod: values['auth-method'] as 'client_secret_basic' }),
        ...protocolSettings(values),
        ...(typeof values['backchannel-logout-uri'] === 'string' && { backchannelLogoutUri: values['backchannel-logout-uri'] }),
        backchannelLogoutSessionRequired: values['backchannel-logout-session-required'] === true,
      },
      CLI_ACTOR,
    );
    return {
      client_id: client.clientId,
      ...(clientSecret && { client_secret: clientSecret }),
      tenant_id: client.tenantId,
      name: client.name,
      first_party: client.firstParty,
      ...client.metadata,
    };
  },
  text: withSecret,
};

export const clientList: Command = {
  name: 'client list',
  usage: '--tenant SLUG [--limit N] [--cursor C]',
  summary: "List a tenant's clients",
  options: { tenant: { type: 'string' }, ...PAGE_OPTIONS },
  run: async (deps, values) => {
    const page = await listClients(deps, requireString(values, 'tenant'), {
      limit: pageLimit(values),
      cursor: optionalString(values, 'cursor'),
    });
    return { clients: page.items, nextCursor: page.nextCursor };
  },
  text: (result: { clients: Array<Record<string, unknown>>; nextCursor: string | null }) =>
    [
      formatTable(result.clients, ['clientId', 'name', 'public', 'firstParty', 'builtIn', 'grantTypes', 'redirectUris']),
      ...(result.nextCursor ? ['', `more: --cursor ${result.nextCursor}`] : []),
    ].join('\n'),
};

export const clientShow: Command = {
  name: 'client show',
  usage: CLIENT_USAGE,
  summary: "Show a client's settings (never its secret)",
  options: CLIENT,
  run: async (deps, values) => ({
    client: presentClient(await getClient(deps, requireString(values, 'tenant'), requireString(values, 'client'))),
  }),
};

export const clientUpdate: Command = {
  name: 'client update',
  usage: `${CLIENT_USAGE} [--name N] [--redirect-uri URI]... [--post-logout-redirect-uri URI]... [--grant-type G]... [--scope S] [--first-party | --third-party] [--backchannel-logout-uri URI | --no-backchannel-logout] [--backchannel-logout-session-required | --backchannel-logout-session-optional] ${PROTOCOL_USAGE}`,
  summary: "Change a client's name, redirect URIs, grant types, scope, first-party flag, back-channel logout or protocol settings",
  description:
    'Only the flags given change; a repeated flag (--redirect-uri) replaces the whole list. --jwks-file none or --jwks-uri none removes the keys; --no-backchannel-logout removes the back-channel logout URI.',
  options: {
    ...CLIENT,
    name: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    'grant-type': { type: 'string', multiple: true },
    scope: { type: 'string' },
    'first-party': { type: 'boolean' },
    'third-party': { type: 'boolean' },
    ...PROTOCOL_OPTIONS,
    'backchannel-logout-uri': { type: 'string' },
    'no-backchannel-logout': { type: 'boolean' },
    'backchannel-logout-session-required': { type: 'boolean' },
    'backchannel-logout-session-optional': { type: 'boolean' },
  },
  run: async (deps, values) => {
    if (values['first-party'] === true && values['third-party'] === true)
      throw new UsageError('--first-party and --third-party exclude each other');
    if (values['backchannel-logout-uri'] !== undefined && values['no-backchannel-logout'] === true)
      throw new UsageError('--backchannel-logout-uri and --no-backchannel-logout exclude each other');
    if (values['backchannel-logout-session-required'] === true && values['backchannel-logout-session-optional'] === true)
      throw new UsageError('--backchannel-logout-session-required and --backchannel-logout-session-optional exclude each other');
    const grantTypes = grantTypesOf(values);
    const changes = parseOrThrow(clientChangesSchema, {
      ...(typeof values.name === 'string' && { name: values.name }),
      ...(values['redirect-uri'] !== undefined && { redirectUris: values['redirect-uri'] }),
      ...(values['post-logout-redirect-uri'] !== undefined && { postLogoutRedirectUris: values['post-logout-redirect-uri'] }),
      ...(grantTypes && { grantTypes }),
      ...(typeof values.scope === 'string' && { scope: values.scope }),
      ...(values['first-party'] === true && { firstParty: true }),
      ...(values['third-party'] === true && { firstParty: false }),
      ...protocolSettings(values),
      ...(typeof values['backchannel-logout-uri'] === 'string' && { backchannelLogoutUri: values['backchannel-logout-uri'] }),
      ...(values['no-backchannel-logout'] === true && { backchannelLogoutUri: null }),
      ...(values['backchannel-logout-session-required'] === true && { backchannelLogoutSessionRequired: true }),
      ...(values['backchannel-logout-session-optional'] === true && { backchannelLogoutSessionRequired: false }),
    });
    if (Object.keys(changes).length === 0) throw new UsageError('nothing to change');
    const client = await updateClient(deps, requireString(values, 'tenant'), requireString(values, 'client'), changes, CLI_ACTOR);
    return { client: presentClient(client) };
  },
};

export const clientRotateSecret: Command = {
  name: 'client rotate-secret',
  usage: CLIENT_USAGE,
  summary: 'Give a confidential client a new secret, printed once; the old one stops working at once',
  options: CLIENT,
  run: async (deps, values) => {
    const { client, clientSecret } = await rotateClientSecret(
      deps,
      requireString(values, 'tenant'),
      requireString(values, 'client'),
      CLI_ACTOR,
    );
    return { ...presentClient(client), clientSecret };
  },
  text: withSecret,
};

export const clientDelete: Command = {
  name: 'client delete',
  usage: `${CLIENT_USAGE} [--yes]`,
  summary: 'Delete a client and revoke the tokens issued to it',
  description: 'Irreversible: asks for confirmation on a terminal; scripts pass --yes.',
  options: { ...CLIENT, ...CONFIRM_OPTIONS },
  run: async (deps, values) => {
    const tenantId = requireString(values, 'tenant');
    const clientId = requireString(values, 'client');
    const client = await getClient(deps, tenantId, clientId);
    await deps.io.confirm(`Delete client ${client.name} (${clientId})?`, values.yes === true);
    await deleteClient(withDatabaseRevoker(deps), tenantId, clientId, CLI_ACTOR);
    return { deleted: { tenant: tenantId, client: clientId } };
  },
};
