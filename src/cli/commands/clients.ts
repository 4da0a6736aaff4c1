// gatehouse client create — prints client_id and, for confidential clients, client_secret once.
import { CLI_ACTOR } from '../../services/audit.ts';
import { createClient, GRANT_TYPES } from '../../services/clients.ts';
import { requireString, UsageError, type Command } from '../command.ts';

export const clientCreate: Command = {
  name: 'client create',
  usage:
    'client create --tenant SLUG --name N [--redirect-uri URI]... [--post-logout-redirect-uri URI]... [--grant-type G]... [--scope S] [--public] [--first-party]',
  options: {
    tenant: { type: 'string' },
    name: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'post-logout-redirect-uri': { type: 'string', multiple: true },
    'grant-type': { type: 'string', multiple: true },
    scope: { type: 'string' },
    public: { type: 'boolean' },
    'first-party': { type: 'boolean' },
  },
  run: async (deps, values) => {
    const grantTypes = values['grant-type'] as string[] | undefined;
    const unknown = grantTypes?.filter((g) => !(GRANT_TYPES as readonly string[]).includes(g)) ?? [];
    if (unknown.length > 0) throw new UsageError(`--grant-type must be one of ${GRANT_TYPES.join(', ')} (got ${unknown.join(', ')})`);
    const { client, clientSecret } = await createClient(
      deps,
      {
        tenantId: requireString(values, 'tenant'),
        name: requireString(values, 'name'),
        redirectUris: (values['redirect-uri'] as string[] | undefined) ?? [],
        postLogoutRedirectUris: (values['post-logout-redirect-uri'] as string[] | undefined) ?? [],
        ...(grantTypes && { grantTypes: grantTypes as Array<(typeof GRANT_TYPES)[number]> }),
        ...(typeof values.scope === 'string' && { scope: values.scope }),
        public: values.public === true,
        firstParty: values['first-party'] === true,
      },
      CLI_ACTOR,
    );
    return {
      client_id: client.clientId,
      ...(clientSecret && { client_secret: clientSecret }),
      tenant_id: client.tenantId,
      name: client.name,
      first_party: client.firstParty,
      ...client.metadata,
    };
  },
};
