// ID tokens at refresh (OpenID Connect Core §12.2: a refresh response "might not contain an id_token"). A refresh
// returns one only when its request names `openid` in `scope`; the ID token of the sign-in stays the client's record
// of the authentication, and a relying party that wants a fresh one asks for it. Signing is the largest single cost
// of a refresh, and most clients refresh only to get an access token.
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

type IssueOptions = { use?: string };
type IdTokenIssue = (this: { ctx?: KoaContextWithOIDC }, options?: IssueOptions) => Promise<string | undefined>;

/** True when this request is a refresh whose `scope` parameter leaves out `openid`. */
export function refreshWithoutIdToken(ctx: KoaContextWithOIDC | undefined): boolean {
  const params = ctx?.oidc?.params as { grant_type?: unknown; scope?: unknown } | undefined;
  if (ctx?.oidc?.route !== 'token' || params?.grant_type !== 'refresh_token') return false;
  return typeof params.scope !== 'string' || !params.scope.split(' ').includes('openid');
}

/**
 * oidc-provider signs an ID token on every refresh of an `openid` grant and offers no option; this wraps its IdToken's
 * `issue` so that such a refresh gets none (buildTokenResponse leaves `id_token` out when it is undefined).
 * test/oidc/refresh-id-token.test.ts pins the behaviour against the library.
 */
export function installRefreshIdTokenPolicy(provider: Provider): void {
  const prototype = provider.IdToken.prototype as { issue: IdTokenIssue };
  const issue = prototype.issue;
  prototype.issue = async function (this: { ctx?: KoaContextWithOIDC }, options?: IssueOptions) {
    if (options?.use === 'idtoken' && refreshWithoutIdToken(this.ctx ?? (Provider.ctx as KoaContextWithOIDC | undefined))) return undefined;
    return issue.call(this, options);
  };
}
