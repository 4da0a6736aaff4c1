// DPoP proofs (RFC 9449 §4.3, §7.1) for our own resource endpoints: userinfo and the JSON API. The access token says
// which key it is bound to (`cnf.jkt`); the request must carry a proof signed by that key, for this method and URL,
// fresh, used once, and naming this very token (`ath`). oidc-provider checks the proofs at its own endpoints.
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { AppError } from '../errors/app-error.ts';
import type { KvStore } from '../store/kv-store.ts';

/**
 * Asymmetric algorithms only (RFC 9449 §4.2); the token endpoint accepts the same list. Ed25519 is the fully-specified
 * name of EdDSA on that curve (RFC 9864), which current clients send.
 */
export const DPOP_SIGNING_ALGS = ['ES256', 'Ed25519', 'EdDSA', 'PS256', 'RS256'] as const;

/** How far a proof's `iat` may be from our clock (RFC 9449 §11.1: a short window, plus clock skew). */
const IAT_WINDOW_SECONDS = 60;

/** What the request presented: the `DPoP` header and where it was sent. */
export interface PresentedProof {
  proof: string | undefined;
  method: string;
  /** The request's URL as the client addressed it, without query and fragment (RFC 9449 §4.3 `htu`). */
  url: string;
}

const invalid = (detail: string) => new AppError('INVALID_TOKEN', { detail: `DPoP proof rejected: ${detail}` });

/** Verifies the proof for `accessToken`, bound to `jkt`; a replayed `jti` is refused across every process. */
export async function verifyDpopProof(store: KvStore, presented: PresentedProof, accessToken: string, jkt: string): Promise<void> {
  if (!presented.proof) throw invalid('no DPoP header');
  let payload: Record<string, unknown>;
  let jwk: JWK;
  try {
    const verified = await jwtVerify(presented.proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...DPOP_SIGNING_ALGS] });
    payload = verified.payload;
    jwk = verified.protectedHeader.jwk as JWK;
  } catch (err) {
    throw invalid((err as Error).message);
  }
  const { htm, htu, iat, jti, ath } = payload;
  if (htm !== presented.method) throw invalid('htm does not match the request method');
  if (typeof htu !== 'string' || stripQuery(htu) !== stripQuery(presented.url)) throw invalid('htu does not match the request URL');
  if (typeof iat !== 'number' || Math.abs(Date.now() / 1000 - iat) > IAT_WINDOW_SECONDS) throw invalid('iat outside the accepted window');
  if (typeof jti !== 'string' || jti.length < 8 || jti.length > 200) throw invalid('jti missing');
  if (ath !== createHash('sha256').update(accessToken).digest('base64url')) throw invalid('ath does not match the access token');
  if ((await calculateJwkThumbprint(jwk)) !== jkt) throw invalid('key is not the one the access token is bound to');
  // Replay (RFC 9449 §11.1): each jti once while its iat is acceptable; keyed by the binding so clients cannot collide.
  const fresh = await store.setIfAbsent(
    `dpop:jti:{${jkt}}:${createHash('sha256').update(jti).digest('base64url')}`,
    '1',
    2 * IAT_WINDOW_SECONDS,
  );
  if (!fresh) throw invalid('jti already used');
}

function stripQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '';
  }
}

/** An access token as a request presented it (RFC 6750 §2.1 `Bearer`, RFC 9449 §7.1 `DPoP`). */
export interface PresentedToken {
  scheme: 'Bearer' | 'DPoP';
  token: string;
  /** With the DPoP scheme: the proof and where the request went. */
  dpop?: PresentedProof;
}

const AUTHORIZATION = /^(Bearer|DPoP) ([A-Za-z0-9._~+/-]+=*)$/i;

/** Reads the Authorization header; `publicUrl` is the URL the client addressed (our public origin and the path). */
export function presentedToken(
  authorization: string,
  request: { dpopHeader: string | undefined; method: string; publicUrl: string },
): PresentedToken | undefined {
  const match = AUTHORIZATION.exec(authorization);
  if (!match?.[1] || !match[2]) return undefined;
  if (match[1].toLowerCase() === 'bearer') return { scheme: 'Bearer', token: match[2] };
  return { scheme: 'DPoP', token: match[2], dpop: { proof: request.dpopHeader, method: request.method, url: request.publicUrl } };
}

/** The `WWW-Authenticate` challenge of a refusal, in the scheme the request used (RFC 9449 §7.1). */
export function authenticateChallenge(scheme: 'Bearer' | 'DPoP', realm: string, error?: { error: string; description?: string }): string {
  const params = [`realm="${realm}"`];
  if (error) params.push(`error="${error.error}"`);
  if (error?.description) params.push(`error_description="${error.description}"`);
  if (scheme === 'DPoP') params.push(`algs="${DPOP_SIGNING_ALGS.join(' ')}"`);
  return `${scheme} ${params.join(', ')}`;
}
