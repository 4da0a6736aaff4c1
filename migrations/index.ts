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
import * as consents from './20261130140000_consents.ts';
import * as signingKeyActivation from './20261130180000_signing-key-activation.ts';
import * as platformPermissionsOnlyInPlatform from './20261130150000_platform-permissions-only-in-platform.ts';
import * as mailOutboxQueue from './20261130150100_mail-outbox-queue.ts';
import * as hashOidcTokenIds from './20261130160000_hash-oidc-token-ids.ts';
import * as refreshTokenSuccessor from './20261130160100_refresh-token-successor.ts';
import type { MigrationOptions } from '../src/db/migrate.ts';
import * as sessionStrategyDefault from './20261130170000_session-strategy-default.ts';
import * as largeTenantIndexes from './20261130190000_large-tenant-indexes.ts';
import * as es256IdTokens from './20261130190100_es256-id-tokens.ts';
import * as tenantSelfRegistration from './20261130220000_tenant-self-registration.ts';
import * as emailChangeTokens from './20261201100000_email-change-tokens.ts';
import * as apiResources from './20261201110000_api-resources.ts';
import * as clientResourceScopes from './20261201110100_client-resource-scopes.ts';
import * as resourceConsents from './20261201110200_resource-consents.ts';
import * as backchannelLogouts from './20261201120000_backchannel-logouts.ts';
import * as globalResourceIdentifiers from './20261201150000_global-resource-identifiers.ts';

type Migration = { up(knex: Knex, options?: MigrationOptions): Promise<void>; down(knex: Knex, options?: MigrationOptions): Promise<void> };

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
  ['20261130140000_consents', consents],
  ['20261130150000_platform-permissions-only-in-platform', platformPermissionsOnlyInPlatform],
  ['20261130150100_mail-outbox-queue', mailOutboxQueue],
  ['20261130160000_hash-oidc-token-ids', hashOidcTokenIds],
  ['20261130160100_refresh-token-successor', refreshTokenSuccessor],
  ['20261130170000_session-strategy-default', sessionStrategyDefault],
  ['20261130180000_signing-key-activation', signingKeyActivation],
  ['20261130190000_large-tenant-indexes', largeTenantIndexes],
  ['20261130190100_es256-id-tokens', es256IdTokens],
  ['20261130220000_tenant-self-registration', tenantSelfRegistration],
  ['20261201100000_email-change-tokens', emailChangeTokens],
  ['20261201110000_api-resources', apiResources],
  ['20261201110100_client-resource-scopes', clientResourceScopes],
  ['20261201110200_resource-consents', resourceConsents],
  ['20261201120000_backchannel-logouts', backchannelLogouts],
  ['20261201150000_global-resource-identifiers', globalResourceIdentifiers],
];
