// Verifies Gatehouse JWT access tokens (RFC 9068) for our own endpoints and introspection: signature, expiry,
// issuer, audience (RFC 9068 §4: ours only), and — because a JWT cannot be recalled — whether its session, grant and
// client are still live (docs/security.md).
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { AppError } from '../errors/app-error.ts';
import type { AppContext } from '../context.ts';
import { findLiveSessionWithGrant } from '../db/queries/sessions.ts';
import { verifyDpopProof, type PresentedProof } from './dpop-proofs.ts';

/** Tenant and client come from the entity cache (invalidated on change); session and grant are read every time. */
type VerifierDeps = Pick<AppContext, 'config' | 'db' | 'cache' | 'store'>;

export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  client_id: string;
  tenant_id: string;
  scope?: string;
  sid?: string;
  roles?: string[];
  /** RFC 9449 §6.1: the thumbprint of the key a DPoP-bound token is bound to. */
  cnf?: { jkt?: string };
}

export interface VerifyOptions {
  /** Only a token issued to a first-party client: the account API (docs/security.md, "First-party and third-party apps"). */
  firstPartyOnly?: boolean;
  /**
   * Any audience Gatehouse issues for: introspection and revocation answer for tokens of registered API resources
   * too (RFC 7662 §2.2). Our own endpoints never set it: a token for another API is no token for ours.
   */
  anyAudience?: boolean;
  /**
   * The request presented the token with the `DPoP` scheme and this proof. A DPoP-bound token (`cnf.jkt`) is accepted
   * only so, with a valid proof of its key; presented as a plain Bearer token it is refused (RFC 9449 §7.1).
   */
  dpop?: PresentedProof;
  /**
   * Introspection and revocation: the token is described or revoked, not used, so no proof is needed (RFC 9449 §6.2);
   * the caller reports the binding.
   */
  notPresented?: boolean;
}

export interface AccessTokenVerifier {
  verify(token: string, options?: VerifyOptions): Promise<AccessTokenClaims>;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/** Public halves of the signing keys, as the JWKS endpoint publishes them. */
export function publicJwks(jwks: { keys: Record<string, unknown>[] }): JSONWebKeySet {
  return {
    keys: jwks.keys.map((k) => Object.fromEntries(Object.entries(k).filter(([name]) => !PRIVATE_MEMBERS.includes(name)))),
  } as JSONWebKeySet;
}

/** How often an unknown `kid` may trigger a key reload (a forged kid must not become a reload storm). */
const UNKNOWN_KID_RELOAD_MS = 2000;

/**
 * `reloadKeys` is asked (at most every two seconds) when a token names a key this process does not know yet:
 * after `gatehouse keys rotate`, another process may sign with the new key before this one's poll sees it.
 */
export function createAccessTokenVerifier(
  deps: VerifierDeps,
  keys: () => JSONWebKeySet,
  reloadKeys?: () => Promise<boolean>,
): AccessTokenVerifier {
  let lastReload = 0;
  let cachedFor: JSONWebKeySet | undefined;
  let keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  const currentKeySet = () => {
    const jwks = keys();
    if (jwks !== cachedFor) {
      cachedFor = jwks;
      keySet = createLocalJWKSet(jwks);
    }
    return keySet as ReturnType<typeof createLocalJWKSet>;
  };

  return {
    async verify(token, verifyOptions = {}) {
      const options = {
        issuer: deps.config.publicUrl,
        ...(!verifyOptions.anyAudience && { audience: deps.config.publicUrl }),
        typ: 'at+jwt',
        algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'],
      };
      let payload: JWTPayload;
      try {
        try {
          ({ payload } = await jwtVerify(token, currentKeySet(), options));
        } catch (err) {
          if (!(err instanceof joseErrors.JWKSNoMatchingKey) || !reloadKeys || Date.now() - lastReload < UNKNOWN_KID_RELOAD_MS) throw err;
          lastReload = Date.now();
          if (!(await reloadKeys())) throw err;
          ({ payload } = await jwtVerify(token, currentKeySet(), options));
        }
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired) throw new AppError('TOKEN_EXPIRED', { detail: 'access token expired' });
        throw new AppError('INVALID_TOKEN', { detail: `access token rejected: ${(err as Error).message}` });
      }
      const claims = payload as AccessTokenClaims;
      if (typeof claims.tenant_id !== 'string' || typeof claims.client_id !== 'string' || typeof claims.sub !== 'string') {
        throw new AppError('INVALID_TOKEN', { detail: 'access token lacks tenant_id, client_id or sub' });
      }
      await assertSenderConstraint(deps, token, claims, verifyOptions);
      await assertLive(deps, claims, verifyOptions);
      return claims;
    },
  };
}

async function assertSenderConstraint(deps: VerifierDeps, token: string, claims: AccessTokenClaims, options: VerifyOptions): Promise<void> {
  if (options.notPresented) return;
  const jkt = claims.cnf?.jkt;
  if (jkt === undefined) {
    // RFC 9449 §7.1: the DPoP scheme is for DPoP-bound tokens only.
    if (options.dpop) throw new AppError('INVALID_TOKEN', { detail: 'access token is not DPoP-bound' });
    return;
  }
  if (!options.dpop) throw new AppError('INVALID_TOKEN', { detail: 'DPoP-bound access token presented as a Bearer token' });
  await verifyDpopProof(deps.store, options.dpop, token, jkt);
}

/** Revoked access tokens (RFC 7009 §2) by `jti`, kept until the token would have expired anyway. */
const revokedJtiKey = (jti: string) => `access-token:revoked:${jti}`;

/** Puts a verified access token on the denylist that every verification reads (written by /oauth2/revoke). */
export async function revokeAccessToken(deps: Pick<AppContext, 'store'>, claims: AccessTokenClaims): Promise<void> {
  const secondsLeft = Math.ceil((claims.exp ?? 0) - Date.now() / 1000);
  if (typeof claims.jti === 'string' && secondsLeft > 0) await deps.store.set(revokedJtiKey(claims.jti), '1', secondsLeft);
}

async function assertLive(deps: VerifierDeps, claims: AccessTokenClaims, options: VerifyOptions): Promise<void> {
  if (typeof claims.jti !== 'string' || (await deps.store.get(revokedJtiKey(claims.jti))) !== null)
    throw new AppError('INVALID_TOKEN', { detail: 'access token revoked or without jti' });
  const [tenant, client] = await Promise.all([deps.cache.tenant(claims.tenant_id), deps.cache.client(claims.client_id)]);
  if (!tenant || tenant.status !== 'active') throw new AppError('TENANT_ACCESS_DENIED', { detail: 'tenant missing or suspended' });
  if (!client || client.tenantId !== claims.tenant_id) throw new AppError('INVALID_TOKEN', { detail: 'client no longer exists' });
  if (options.firstPartyOnly && !client.firstParty) {
    throw new AppError('INSUFFICIENT_PERMISSIONS', { detail: `token of third-party client ${client.clientId}: first-party apps only` });
  }
  const isClientToken = claims.sub === claims.client_id && claims.sid === undefined;
  if (isClientToken) return;
  if (!claims.sid) throw new AppError('INVALID_TOKEN', { detail: 'user token without a session' });
  const session = await findLiveSessionWithGrant(deps.db, claims.tenant_id, claims.sid, claims.client_id);
  if (!session || session.userId !== claims.sub) throw new AppError('SESSION_NOT_FOUND', { detail: 'session ended' });
  if (!session.hasLiveGrant) throw new AppError('SESSION_NOT_FOUND', { detail: 'grant revoked' });
}
