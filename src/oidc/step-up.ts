// Authentication context classes (OIDC Core §2 `acr`) and step-up: a client that asks for the MFA class in
// `acr_values` gets a second factor proven in this very authorization request, even when the browser's session already
// holds one (a sensitive action deserves a fresh proof). A voluntary acr that the account cannot meet (no second factor
// enrolled, none required) is not forced: the ID token's `acr` then says what was proven, and the client decides.
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { mfaRequirement } from '../services/mfa.ts';

/** `acr` values in ID tokens: what the sign-in proved. */
export const ACR = { pwd: 'urn:gatehouse:loa:pwd', mfa: 'urn:gatehouse:loa:mfa' } as const;

/** What discovery lists as `acr_values_supported`, weakest first. */
export const ACR_VALUES = [ACR.pwd, ACR.mfa];

function asksForMfa(ctx: KoaContextWithOIDC): boolean {
  const acrValues = ctx.oidc.params?.acr_values;
  return typeof acrValues === 'string' && acrValues.split(' ').includes(ACR.mfa);
}

/** The `mfa` prompt's second check: the MFA class asked for, and no second factor proven in this request yet. */
export function stepUpCheck(app: AppContext): InstanceType<typeof interactionPolicy.Check> {
  const { Check } = interactionPolicy;
  return new Check('acr_step_up', 'the requested authentication context needs a fresh second factor', async (ctx: KoaContextWithOIDC) => {
    const { session, client } = ctx.oidc;
    const tenantId = client?.['tenant_id'];
    if (!session?.accountId || typeof tenantId !== 'string' || !asksForMfa(ctx)) return Check.NO_NEED_TO_PROMPT;
    const result = ctx.oidc.result as { login?: { amr?: string[] } } | undefined;
    if (result?.login?.amr?.includes('otp')) return Check.NO_NEED_TO_PROMPT;
    const tenant = await app.cache.tenant(tenantId);
    if (!tenant) return Check.NO_NEED_TO_PROMPT;
    return (await mfaRequirement(app, tenant, session.accountId)) === 'none' ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
  });
}
