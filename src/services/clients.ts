// OAuth clients: registration with validated redirect URIs; the secret is generated (256 bits), shown once
// and stored only as HMAC-SHA-256 under a server-side key (SPEC §4).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { parseOrThrow } from '../errors/validation.ts';
import { insertClient, type ClientRecord } from '../db/queries/clients.ts';
import type { ServiceDeps } from '../context.ts';
import { recordAudit, type AuditMeta } from './audit.ts';
import { deriveKey } from './secrets.ts';
import { getTenant } from './tenants.ts';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Absolute, no fragment, https except for loopback (RFC 6749 §3.1.2, RFC 8252 §7.3). */
export const redirectUriSchema = z.string().refine(
  (value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    if (url.hash || value.includes('#')) return false;
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  },
  { params: { constraint: 'URL_FORMAT' } },
);

const newClientSchema = z
  .object({
    tenantId: z.string().min(1),
    name: z.string().trim().min(1).max(200),
    redirectUris: z.array(redirectUriSchema).default([]),
    postLogoutRedirectUris: z.array(redirectUriSchema).default([]),
    grantTypes: z.array(z.enum(GRANT_TYPES)).min(1).default(['authorization_code', 'refresh_token']),
    scope: z
      .string()
      .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/)
      .default('openid profile email offline_access'),
    public: z.boolean().default(false),
    firstParty: z.boolean().default(false),
  })
  .refine((c) => !c.grantTypes.includes('authorization_code') || c.redirectUris.length > 0, {
    path: ['redirectUris'],
    params: { constraint: 'MIN_ITEMS' },
  })
  .refine((c) => !(c.public && c.grantTypes.includes('client_credentials')), {
    path: ['grantTypes'],
    params: { constraint: 'PUBLIC_CLIENT_CREDENTIALS' },
  });

export type NewClientInput = z.input<typeof newClientSchema>;

export interface CreatedClient {
  client: ClientRecord;
  /** The plain secret of a confidential client: returned once, never stored. */
  clientSecret: string | undefined;
}

export async function createClient(deps: ServiceDeps, input: NewClientInput, meta: AuditMeta): Promise<CreatedClient> {
  const values = parseOrThrow(newClientSchema, input);
  await getTenant(deps, values.tenantId);
  const clientId = `${values.tenantId}_${randomBytes(16).toString('base64url')}`;
  const clientSecret = values.public ? undefined : generateClientSecret();
  const responseTypes = values.grantTypes.includes('authorization_code') ? ['code'] : [];
  const metadata = {
    client_name: values.name,
    redirect_uris: values.redirectUris,
    post_logout_redirect_uris: values.postLogoutRedirectUris,
    grant_types: values.grantTypes,
    response_types: responseTypes,
    scope: values.scope,
    token_endpoint_auth_method: values.public ? 'none' : 'client_secret_basic',
  };
  return deps.db.transaction(async (trx) => {
    const client = await insertClient(trx, {
      clientId,
      tenantId: values.tenantId,
      name: values.name,
      secretHash: clientSecret ? hashClientSecret(deps.config.secretKey, clientSecret) : null,
      firstParty: values.firstParty,
      metadata,
    });
    await recordAudit(
      trx,
      {
        tenantId: values.tenantId,
        type: 'client.created',
        clientId,
        subjectId: clientId,
        data: { name: values.name, public: values.public },
      },
      meta,
    );
    return { client, clientSecret };
  });
}

export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashClientSecret(secretKey: string, secret: string): string {
  return createHmac('sha256', deriveKey(secretKey, 'client-secret-hmac')).update(secret).digest('base64url');
}

export function clientSecretMatches(secretKey: string, presented: string, storedHash: string): boolean {
  const actual = Buffer.from(hashClientSecret(secretKey, presented));
  const expected = Buffer.from(storedHash);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
