// The baseline of the benchmark: a bare oidc-provider 9 with its in-memory adapter and one client, configured
// like Gatehouse where it matters for cost (ES256 JWT access tokens through resourceIndicators, rotating refresh
// tokens, PKCE) and with an interaction that signs a fixed account in without a page, so a code flow measures
// only the protocol. Started by bench/run.ts as its own process; prints `listening <url>` when ready.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';
import { BARE_ACCOUNT, BARE_CLIENT, BARE_OPAQUE_CLIENT, BARE_REDIRECT_URI } from './bare-clients.ts';

const RESOURCE = 'urn:bench:api';

function signingKeys() {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return {
    keys: [
      { ...ec, kid: 'es', alg: 'ES256', use: 'sig' },
      { ...rsa, kid: 'rs', alg: 'RS256', use: 'sig' },
    ],
  };
}

const client = (id: string, secret: string) => ({
  client_id: id,
  client_secret: secret,
  grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
  response_types: ['code' as const],
  redirect_uris: [BARE_REDIRECT_URI],
  scope: 'openid offline_access',
});

const configuration: Configuration = {
  clients: [client(BARE_CLIENT.id, BARE_CLIENT.secret), client(BARE_OPAQUE_CLIENT.id, BARE_OPAQUE_CLIENT.secret)],
  jwks: signingKeys() as Configuration['jwks'],
  cookies: { keys: ['bench-cookie-key-bench-cookie-key'] },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  scopes: ['openid', 'offline_access'],
  rotateRefreshToken: true,
  issueRefreshToken: async (_ctx, c) => c.grantTypeAllowed('refresh_token'),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx) => (ctx.oidc.client?.clientId === BARE_OPAQUE_CLIENT.id ? undefined : RESOURCE),
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({
        scope: 'openid offline_access',
        audience: RESOURCE,
        accessTokenTTL: 900,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  } as Configuration['features'],
};

const provider = new Provider(`http://127.0.0.1:${process.env.PORT ?? '0'}`, configuration);

// The interaction: sign the fixed account in and grant what was asked, with no page in between.
provider.use(async (ctx, next) => {
  if (!ctx.path.startsWith('/interaction/')) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const grant = new provider.Grant({ accountId: BARE_ACCOUNT, clientId: details.params.client_id as string });
  grant.addOIDCScope(String(details.params.scope ?? 'openid'));
  grant.addResourceScope(RESOURCE, 'openid offline_access');
  const grantId = await grant.save();
  const target = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: BARE_ACCOUNT }, consent: { grantId } });
  ctx.status = 303;
  ctx.redirect(target);
});

const server = createServer(provider.callback());
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
