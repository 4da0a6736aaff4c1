// The per-client protocol features of the provider (docs/api.md, "Client authentication and request protection"):
// DPoP-bound tokens (RFC 9449), signed request objects (RFC 9101, by value or through PAR), JWT-secured authorization
// responses (JARM), the `claims` parameter (OIDC Core §5.5), and the algorithms each may use. What is enabled here is
// what discovery advertises; test/oidc/discovery.test.ts exercises every advertised feature.
import type { Configuration } from 'oidc-provider';
import { SIGNING_ALGS } from '../services/signing-keys.ts';
import { DPOP_SIGNING_ALGS } from '../services/dpop-proofs.ts';

/**
 * Keys clients sign with (assertions, request objects): asymmetric only, since client secrets are stored hashed.
 * Ed25519 is the fully-specified name of EdDSA on that curve, which current clients send.
 */
const CLIENT_SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'];

/**
 * What we sign (ID tokens, JARM responses) is limited to what every key generation has a key for, so discovery
 * never lists an algorithm the JWKS cannot sign. Signed userinfo and introspection responses are not enabled (their
 * lists are not advertised); they name the same algorithms for completeness.
 */
export const SIGNING_JWA: NonNullable<Configuration['enabledJWA']> = {
  // HMAC-based client assertions (client_secret_jwt) cannot work with hashed secrets.
  clientAuthSigningAlgValues: CLIENT_SIGNING_ALGS as never,
  requestObjectSigningAlgValues: CLIENT_SIGNING_ALGS as never,
  idTokenSigningAlgValues: [...SIGNING_ALGS],
  authorizationSigningAlgValues: [...SIGNING_ALGS],
  userinfoSigningAlgValues: [...SIGNING_ALGS],
  introspectionSigningAlgValues: [...SIGNING_ALGS],
  dPoPSigningAlgValues: [...DPOP_SIGNING_ALGS],
};

export function clientProtocolFeatures(): Partial<NonNullable<Configuration['features']>> {
  return {
    // No DPoP nonces (RFC 9449 §8): proofs are bound to one request by `jti`, `htm`, `htu` and a short `iat` window.
    dPoP: { enabled: true },
    // Request objects must be signed by a key the client registered; `none`-signed ones are refused. Per client,
    // require_signed_request_object makes them mandatory (FAPI 2.0 uses them through PAR).
    requestObjects: { enabled: true, requireSignedRequestObject: false },
    jwtResponseModes: { enabled: true },
    claimsParameter: { enabled: true },
  };
}
