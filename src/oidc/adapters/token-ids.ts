// Which oidc-provider ids are bearer secrets, and the keyed hash they are stored under (docs/security.md, "Tokens at
// rest"): a refresh token, registration or initial access token, or a session cookie value is never written as is, so a
// copy of the database or of Redis grants nothing. Lookups hash the presented value the same way.
import { hashTokenId } from '../../services/secrets.ts';

export { hashTokenId };

/**
 * Models whose id is the secret a client or browser presents. A Grant's id is only ever a reference (inside tokens and
 * our session_grants table), so it stays readable; so do uids, which oidc-provider shows in URLs and ID tokens.
 */
export const SECRET_ID_MODELS: ReadonlySet<string> = new Set([
  'Session',
  'RefreshToken',
  'InitialAccessToken',
  'RegistrationAccessToken',
  'AuthorizationCode',
  'Interaction',
  'PushedAuthorizationRequest',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'AccessToken',
  'ClientCredentials',
]);

/** Maps a presented id to the id it is stored under. */
export type StoredIdOf = (modelName: string, id: string) => string;

export function storedIdOf(secretKey: string): StoredIdOf {
  return (modelName, id) => (SECRET_ID_MODELS.has(modelName) ? hashTokenId(secretKey, id) : id);
}
