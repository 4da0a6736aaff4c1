// Back-channel logout on oidc-provider's keys (OpenID Connect Back-Channel Logout 1.0): clients register
// backchannel_logout_uri through the library's feature, but the tokens go out from our durable queue
// (services/backchannel-logout.ts) whenever a Gatehouse session ends, not only at /oauth2/logout. This file signs
// them the way the library does, and remembers the `sid` each client's ID tokens carry.
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import type { LogoutTokenSigner } from '../services/backchannel-logout.ts';
import { recordGrantOidcSid } from '../services/sessions.ts';

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

interface IdTokenLike {
  mask: Record<string, null>;
  set(key: string, value: unknown): void;
  issue(options: { use: 'logout' }): Promise<string>;
}

/**
 * Signs a logout token as the library's own `Client#backchannelLogout` does — an IdToken with `use: 'logout'`:
 * the client's ID token algorithm and key, `typ: logout+jwt`, iss, aud = client_id, iat, a two-minute exp, no
 * nonce — with the queued row's jti and sid (the same jti on every retry, so a receiver can tell repeats apart).
 */
export function logoutTokenSigner(provider: () => Provider): LogoutTokenSigner {
  return async (logout) => {
    const current = provider();
    const client = await current.Client.find(logout.clientId);
    if (!client?.backchannelLogoutUri || client['tenant_id'] !== logout.tenantId) return undefined;
    const IdToken = current.IdToken as unknown as new (claims: object, options: { client: unknown; ctx: undefined }) => IdTokenLike;
    const token = new IdToken({ sub: logout.subject }, { client, ctx: undefined });
    token.mask = { sub: null };
    token.set('events', { [LOGOUT_EVENT]: {} });
    token.set('jti', logout.jti);
    token.set('sid', logout.sid);
    return { uri: client.backchannelLogoutUri, token: await token.issue({ use: 'logout' }) };
  };
}

/** The library's own delivery at /oauth2/logout would send a second, unqueued token: ours covers that logout too. */
export function queueBackchannelLogoutsOnly(provider: Provider): void {
  (provider.Client.prototype as unknown as { backchannelLogout(): Promise<void> }).backchannelLogout = async () => {};
}

/**
 * After an authorization, records the `sid` oidc-provider assigned this client in the browser session (the one its
 * ID tokens carry) against the grant, so the logout token names the same session. Awaited before the response.
 */
export function recordClientSids(app: AppContext): Middleware {
  return async (koaCtx, next) => {
    await next();
    const ctx = koaCtx as unknown as KoaContextWithOIDC;
    const route = ctx.oidc?.route;
    if (route !== 'authorization' && route !== 'resume' && route !== 'device_resume') return;
    const { session, client } = ctx.oidc;
    if (!session?.accountId || !client) return;
    const grantId = session.grantIdFor(client.clientId);
    const sid = session.sidFor(client.clientId);
    if (grantId && sid) await recordGrantOidcSid(app, grantId, sid);
  };
}
