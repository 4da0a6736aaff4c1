// The ordered list of migrations. Add a new file per change and list it here; never edit a landed migration.
import type { Knex } from 'knex';
import * as tenants from './20261124090000_tenants.ts';
import * as users from './20261124090100_users.ts';
import * as roles from './20261124090200_roles.ts';
import * as clients from './20261124090300_clients.ts';
import * as sessions from './20261124090400_sessions.ts';
import * as auditEvents from './20261124090500_audit-events.ts';
import * as signingKeys from './20261124090600_signing-keys.ts';
import * as oidcPayloads from './20261124100000_oidc-payloads.ts';
import * as sessionGrants from './20261124100100_session-grants.ts';
import * as userTokensAndOutbox from './20261124110000_user-tokens-and-outbox.ts';
import * as mfa from './20261124120000_mfa.ts';
import * as ipBlocks from './20261124130000_ip-blocks.ts';
import * as adminApi from './20261124140000_admin-api.ts';
import * as largeTenantIndexes from './20261130190000_large-tenant-indexes.ts';
import * as es256IdTokens from './20261130190100_es256-id-tokens.ts';

type Migration = { up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> };

export const MIGRATIONS: ReadonlyArray<[name: string, migration: Migration]> = [
  ['20261124090000_tenants', tenants],
  ['20261124090100_users', users],
  ['20261124090200_roles', roles],
  ['20261124090300_clients', clients],
  ['20261124090400_sessions', sessions],
  ['20261124090500_audit-events', auditEvents],
  ['20261124090600_signing-keys', signingKeys],
  ['20261124100000_oidc-payloads', oidcPayloads],
  ['20261124100100_session-grants', sessionGrants],
  ['20261124110000_user-tokens-and-outbox', userTokensAndOutbox],
  ['20261124120000_mfa', mfa],
  ['20261124130000_ip-blocks', ipBlocks],
  ['20261124140000_admin-api', adminApi],
  ['20261130190000_large-tenant-indexes', largeTenantIndexes],
  ['20261130190100_es256-id-tokens', es256IdTokens],
];
