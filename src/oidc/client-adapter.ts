// oidc-provider's Client model served from our clients table. A client of a suspended tenant does not exist
// for the OAuth endpoints. Secrets are compared by keyed hash, never stored in the clear (docs/security.md). oidc-provider
// asks on every request, so both rows come from the entity cache, which every change invalidates in every process.
// Dynamic registration stores through `upsert`; everything else changes clients through the clients service.
import Provider, { errors, type AdapterPayload } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { requestOriginOf as auditMetaOf } from '../services/request-origin.ts';
import { fromDatabaseError } from '../errors/database-errors.ts';
import { clientSecretMatches, registerClient } from '../services/clients.ts';

export class ClientAdapter {
  readonly #app: AppContext;

  constructor(app: AppContext, _modelName: string) {
    this.#app = app;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const client = await this.#app.cache.client(id);
    if (!client) return undefined;
    const tenant = await this.#app.cache.tenant(client.tenantId);
    if (!tenant || tenant.status !== 'active') return undefined;
    return {
      ...client.metadata,
      client_id: client.clientId,
      // The keyed hash stands in for the secret: compareClientSecret below hashes what the client presents.
      ...(client.secretHash ? { client_secret: client.secretHash } : {}),
      tenant_id: client.tenantId,
      first_party: client.firstParty,
    } as AdapterPayload;
  }

  /**
   * Only dynamic registration (/oauth2/register) stores clients through the provider: the payload is the
   * validated metadata with the plain secret and the tenant set by the initial access token's policy.
   */
  async upsert(_id: string, payload: AdapterPayload): Promise<void> {
    const ctx = Provider.ctx;
    try {
      await registerClient(this.#app, payload as Record<string, unknown>, ctx ? auditMetaOf(ctx) : {});
    } catch (err) {
      if (fromDatabaseError(err)?.errors[0]?.code === 'DUPLICATE_RESOURCE') {
        throw new errors.InvalidClientMetadata('client_name is already in use in this tenant');
      }
      throw err;
    }
  }

  async destroy(): Promise<void> {
    throw new Error('clients are deleted through the clients service');
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async consume(): Promise<void> {}

  async revokeByGrantId(): Promise<void> {}
}

/** Makes client authentication compare HMAC(presented secret) with the stored hash, in constant time. */
export function installClientSecretHashing(provider: Provider, secretKey: string): void {
  const proto = provider.Client.prototype as unknown as { compareClientSecret(actual: string): Promise<boolean>; clientSecret?: string };
  proto.compareClientSecret = async function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    return typeof this.clientSecret === 'string' && clientSecretMatches(secretKey, actual, this.clientSecret);
  };
}
