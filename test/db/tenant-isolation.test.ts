// Every exported function of the query layer, asked with another tenant's id, sees and changes nothing (after
// ory/hydra's persister_nid_test). The first test makes it mechanical: it reads every export of src/db/queries,
// and one that takes a tenant id fails until it has a cross-tenant probe below; one that takes none must say
// in its name that it crosses tenants (`…AcrossTenants`, `…ForPlatform`) or be listed with the reason it may.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import { openDatabase, type Database } from '../../src/db/knex.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { findAuditEvents } from '../../src/db/queries/audit-events.ts';
import * as apiResources from '../../src/db/queries/api-resources.ts';
import * as clientResourceScopes from '../../src/db/queries/client-resource-scopes.ts';
import * as backchannel from '../../src/db/queries/backchannel-logouts.ts';
import * as consents from '../../src/db/queries/consents.ts';
import * as resourceConsents from '../../src/db/queries/resource-consents.ts';
import { deleteClientById, findClientById, findClientsPage, updateClientById } from '../../src/db/queries/clients.ts';
import * as outbox from '../../src/db/queries/mail-outbox.ts';
import * as mfa from '../../src/db/queries/mfa.ts';
import * as roles from '../../src/db/queries/roles.ts';
import * as sessions from '../../src/db/queries/sessions.ts';
import { insertUserToken, useEmailChangeToken, useUserToken, voidUserTokens } from '../../src/db/queries/user-tokens.ts';
import * as users from '../../src/db/queries/users.ts';
import { createLogger } from '../../src/logger.ts';
import { startSession } from '../../src/services/sessions.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { serviceMode } from '../helpers/services.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';

const QUERIES_DIR = fileURLToPath(new URL('../../src/db/queries/', import.meta.url));

/** Exports that take no tenant id and may: row mappers, inserts whose row names its tenant, tables of no tenant. */
const NOT_TENANT_SCOPED: Record<string, string> = {
  'audit-events.auditEventValues': 'maps an event to a row',
  'audit-events.insertAuditEvent': 'the event names its tenant',
  'clients.insertClient': 'the row names its tenant',
  'clients.insertClientIfAbsent': 'the row names its tenant',
  'ip-blocks.insertIpBlock': 'IP blocks are platform-wide',
  'ip-blocks.findActiveIpBlocks': 'IP blocks are platform-wide',
  'ip-blocks.liftIpBlocks': 'IP blocks are platform-wide',
  'mail-outbox.insertComposedMail': 'the row names its tenant',
  'mail-outbox.insertMailRequest': 'the row names its tenant; the composer finds no user of another tenant',
  'sessions.insertSession': 'the row names its tenant',
  'sessions.grantSessionFromRow': 'maps a row',
  'signing-keys.lockSigningKeys': 'signing keys are platform-wide',
  'signing-keys.insertSigningKeys': 'signing keys are platform-wide',
  'signing-keys.countActiveSigningKeys': 'signing keys are platform-wide',
  'signing-keys.findActiveSigningAlgs': 'signing keys are platform-wide',
  'signing-keys.findPublishedSigningKeys': 'signing keys are platform-wide',
  'signing-keys.retireActiveSigningKeys': 'signing keys are platform-wide',
  'signing-keys.findSigningKeysFingerprint': 'signing keys are platform-wide',
  'signing-keys.findSigningStart': 'signing keys are platform-wide',
  'tenants.insertTenant': 'the tenants themselves (platform operators)',
  'tenants.deleteTenantById': 'the tenants themselves (platform operators)',
  'tenants.findTenantById': 'the tenants themselves (platform operators)',
  'tenants.updateTenantStatus': 'the tenants themselves (platform operators)',
  'tenants.countAllTenants': 'the tenants themselves (platform operators)',
  'tenants.updateTenantSettings': 'the tenants themselves (platform operators)',
  'tenants.findAllTenantsPage': 'the tenants themselves (platform operators)',
  'user-tokens.insertUserToken': 'the row names its tenant',
  'users.insertUser': 'the row names its tenant',
  'users.userWithRoleNamesFromRow': 'maps a row',
};

/**
 * Cross-tenant by design, keyed by an unguessable id oidc-provider or a session chose, the caller checking the
 * tenant of what it finds: their names should say so (owned by the oidc_payloads and sign-in work).
 */
const CROSS_TENANT_BY_OPAQUE_ID: Record<string, string> = {
  'oidc-payloads.revokeGrantEverywhere': 'by grant id',
  'oidc-payloads.revokeGrantOfReusedPayload': 'oidc-provider adapter, by model id of a reused token',
  'oidc-payloads.upsertOidcPayload': 'oidc-provider adapter, by model id',
  'oidc-payloads.findOidcPayload': 'oidc-provider adapter, by model id',
  'oidc-payloads.findOidcPayloadWithGrant': 'oidc-provider adapter, by model id',
  'oidc-payloads.findOidcPayloadByUid': 'oidc-provider adapter, by uid',
  'oidc-payloads.consumeOidcPayload': 'oidc-provider adapter, by model id',
  'oidc-payloads.rotateOidcPayload': 'oidc-provider adapter, by model id',
  'oidc-payloads.deleteOidcPayload': 'oidc-provider adapter, by model id',
  'oidc-payloads.revokeOidcPayloadsByGrant': 'oidc-provider adapter, by grant id',
  'oidc-payloads.deleteExpiredOidcPayloads': 'housekeeping of every tenant',
  'oidc-payloads.findLiveGrantIdsOfClient': 'client ids are unique across tenants',
  'sessions.insertSessionGrant': 'by session id the caller just created',
  'sessions.findSessionByGrantId': 'by grant id; the caller compares tenants',
  'sessions.findSessionByPayloadId': 'by refresh token id; the caller compares tenants',
  'sessions.markGrantRevoked': 'by grant id',
  'sessions.setSessionGrantOidcSid': 'by grant id',
  'sessions.findLiveSessionIdsByOidcUid': 'by oidc-provider session uid; returns each tenant',
  'sessions.findLiveSessionGrantIdsOfClient': 'client ids are unique across tenants',
};

const CROSS_TENANT_NAME = /(AcrossTenants|ForPlatform)$/;

let env: TestEnv;
let database: Database;
let db: Knex;
const fx = {
  userId: '',
  otherUserId: '',
  clientId: '',
  sessionId: '',
  customRoleId: '',
  adminRoleId: '',
  mailId: '',
  requestId: '',
  resourceId: '',
  otherClientId: '',
  logoutId: '',
};

const CRM = 'https://crm.one.test/api';
const crmFields = {
  identifier: CRM,
  name: 'CRM',
  scopes: [
    { name: 'contacts:read', description: 'Read your contacts' },
    { name: 'contacts:write', description: 'Change your contacts' },
  ],
  accessTokenTtl: 300,
  signingAlg: 'ES256',
  allowRefreshTokens: true,
  consentRequired: true,
};

beforeAll(async () => {
  env = await createTestEnv();
  const config = env.config();
  database = openDatabase(config);
  db = database.db;
  await migrateToLatest(db);
  const deps = { config, db, logger: createLogger({ logLevel: 'silent' }) };
  await makeTenant(deps, 'one');
  await makeTenant(deps, 'two');
  const user = await makeUser(deps, 'one', 'owner@one.test', 'correct horse battery', ['admin']);
  fx.userId = user.id;
  fx.otherUserId = (await makeUser(deps, 'two', 'member@two.test')).id;
  const { client } = await makeClient(deps, { tenantId: 'one', name: 'One app', redirectUris: ['https://one.test/cb'] });
  fx.clientId = client.clientId;
  // The first session of the user: nothing is evicted, so there is nothing to revoke.
  const session = await startSession(
    { ...deps, revokeGrants: async () => {} },
    { tenantId: 'one', userId: user.id, clientId: client.clientId, amr: ['pwd'], ip: null, userAgent: null },
    {},
  );
  fx.sessionId = session.id;
  await sessions.setOidcSessionUid(db, 'one', session.id, 'browser-1');
  const [custom] = await roles.insertRoles(db, 'one', [{ name: 'custom', description: '', permissions: ['users:read'], builtIn: false }]);
  fx.customRoleId = custom?.id as string;
  fx.adminRoleId = (await roles.findRoleByName(db, 'one', 'admin'))?.id as string;
  await mfa.upsertPendingMfa(db, 'one', user.id, 'sealed-secret');
  await mfa.acceptTimeStep(db, 'one', user.id, 10, true);
  await mfa.replaceBackupCodes(db, 'one', user.id, ['code-1', 'code-2']);
  await insertUserToken(db, {
    tokenHash: 'token-1',
    tenantId: 'one',
    userId: user.id,
    purpose: 'password_reset',
    expiresAt: new Date(Date.now() + 60_000),
  });
  await insertUserToken(db, {
    tokenHash: 'token-email',
    tenantId: 'one',
    userId: user.id,
    purpose: 'change_email',
    newEmail: 'new@one.test',
    expiresAt: new Date(Date.now() + 60_000),
  });
  await outbox.insertComposedMail(db, {
    tenantId: 'one',
    to: 'owner@one.test',
    subject: 's',
    body: 'b',
    sealedBody: 'sealed',
    kind: 'verify_email',
  });
  await outbox.insertMailRequest(db, { tenantId: 'one', userId: user.id, to: 'owner@one.test', kind: 'password_reset' });
  const rows = await db('mail_outbox').where({ tenant_id: 'one' }).orderBy('id');
  await consents.addConsentedScope(db, 'one', user.id, client.clientId, ['openid', 'email']);
  fx.resourceId = (await apiResources.insertApiResource(db, 'one', crmFields)).id;
  await clientResourceScopes.replaceClientScopesOfResource(db, 'one', 'platform', client.clientId, fx.resourceId, ['contacts:read']);
  await resourceConsents.addResourceConsents(db, 'one', user.id, client.clientId, [{ resourceId: fx.resourceId, scope: 'contacts:read' }]);
  fx.otherClientId = (await makeClient(deps, { tenantId: 'two', name: 'Two app', redirectUris: ['https://two.test/cb'] })).client.clientId;
  // A client of tenant one with a back-channel logout URI took part in the session; one logout token is queued.
  const { client: loggedOut } = await makeClient(deps, {
    tenantId: 'one',
    name: 'One back-channel app',
    redirectUris: ['https://one.test/cb'],
    backchannelLogoutUri: 'https://one.test/logout',
  });
  await sessions.insertSessionGrant(db, session.id, 'grant-1', loggedOut.clientId);
  expect(await backchannel.enqueueBackchannelLogouts(db, 'one', session.id)).toBe(1);
  fx.logoutId = (await backchannel.findBackchannelLogoutsOfSession(db, 'one', session.id))[0]?.id as string;
  fx.mailId = String(rows[0].id);
  fx.requestId = String(rows[1].id);
});
afterAll(async () => {
  await database.close();
  await env.destroy();
});

/** One probe per tenant-scoped export: tenant two aims at tenant one's rows and must see or change nothing. */
const PROBES: Record<string, () => Promise<void>> = {
  'users.deleteUserById': async () => {
    expect(await users.deleteUserById(db, 'two', fx.userId)).toBe(false);
    expect(await users.findUserById(db, 'one', fx.userId)).toBeDefined();
  },
  'users.replacePasswordHash': async () => {
    const hash = (await users.findPasswordHash(db, 'one', fx.userId)) as string;
    expect(await users.replacePasswordHash(db, 'two', fx.userId, hash, 'attacker-hash')).toBe(false);
    expect(await users.findPasswordHash(db, 'one', fx.userId)).toBe(hash);
  },
  'consents.findThirdPartyConsentsOfUser': async () => {
    expect(await consents.findThirdPartyConsentsOfUser(db, 'two', fx.userId)).toEqual([]);
    expect(await consents.findThirdPartyConsentsOfUser(db, 'one', fx.userId)).toHaveLength(1);
  },
  'consents.deleteConsent': async () => {
    expect(await consents.deleteConsent(db, 'two', fx.userId, fx.clientId)).toBe(false);
    expect(await consents.findConsentedScope(db, 'one', fx.userId, fx.clientId)).toEqual(['email', 'openid']);
  },
  'sessions.findUnrevokedGrantIdsOfUserAndClient': async () => {
    await sessions.insertSessionGrant(db, fx.sessionId, 'grant-of-one', fx.clientId);
    expect(await sessions.findUnrevokedGrantIdsOfUserAndClient(db, 'two', fx.userId, fx.clientId)).toEqual([]);
    expect(await sessions.findUnrevokedGrantIdsOfUserAndClient(db, 'one', fx.userId, fx.clientId)).toEqual(['grant-of-one']);
  },
  'user-tokens.useEmailChangeToken': async () => {
    expect(await useEmailChangeToken(db, 'two', 'token-email')).toBeUndefined();
    expect(await db('user_tokens').where({ token_hash: 'token-email' }).first()).toMatchObject({ used_at: null });
  },
  'consents.findConsentedScope': async () => {
    expect(await consents.findConsentedScope(db, 'two', fx.userId, fx.clientId)).toEqual([]);
  },
  'consents.addConsentedScope': async () => {
    await consents.addConsentedScope(db, 'two', fx.userId, fx.clientId, ['profile']);
    expect(await consents.findConsentedScope(db, 'one', fx.userId, fx.clientId)).toEqual(['email', 'openid']);
  },
  'api-resources.insertApiResource': async () => {
    // Another tenant's resource is its own; tenant one's is untouched.
    const theirs = await apiResources.insertApiResource(db, 'two', { ...crmFields, identifier: `${CRM}/two`, name: 'Two CRM' });
    expect(theirs).toMatchObject({ tenantId: 'two', identifier: `${CRM}/two` });
    expect(await apiResources.findApiResourceById(db, 'one', fx.resourceId)).toMatchObject({ name: 'CRM' });
    await apiResources.deleteApiResourceById(db, 'two', theirs.id);
  },
  'api-resources.findApiResourceById': async () => {
    expect(await apiResources.findApiResourceById(db, 'two', fx.resourceId)).toBeUndefined();
  },
  'api-resources.findApiResourcesOfTenant': async () => {
    expect(await apiResources.findApiResourcesOfTenant(db, 'two')).toEqual([]);
  },
  'api-resources.findUsableApiResource': async () => {
    expect(await apiResources.findUsableApiResource(db, 'two', 'platform', CRM)).toBeUndefined();
  },
  'api-resources.findUsableApiResourcesByIds': async () => {
    expect(await apiResources.findUsableApiResourcesByIds(db, 'two', 'platform', [fx.resourceId])).toEqual([]);
  },
  'api-resources.updateApiResourceById': async () => {
    expect(await apiResources.updateApiResourceById(db, 'two', fx.resourceId, { name: 'Hijacked', scopes: [] })).toBeUndefined();
    expect(await apiResources.findApiResourceById(db, 'one', fx.resourceId)).toMatchObject({ name: 'CRM', scopes: crmFields.scopes });
  },
  'api-resources.deleteApiResourceById': async () => {
    expect(await apiResources.deleteApiResourceById(db, 'two', fx.resourceId)).toBeUndefined();
    expect(await apiResources.findApiResourceById(db, 'one', fx.resourceId)).toBeDefined();
  },
  'client-resource-scopes.findClientResourceScopes': async () => {
    expect(await clientResourceScopes.findClientResourceScopes(db, 'two', fx.clientId)).toEqual([]);
  },
  'client-resource-scopes.findClientScopesOfResource': async () => {
    expect(await clientResourceScopes.findClientScopesOfResource(db, 'two', fx.clientId, fx.resourceId)).toEqual([]);
  },
  'client-resource-scopes.replaceClientScopesOfResource': async () => {
    // Tenant two's admin aims at tenant one's client, and grants its own client tenant one's resource: neither works.
    expect(
      await clientResourceScopes.replaceClientScopesOfResource(db, 'two', 'platform', fx.clientId, fx.resourceId, ['contacts:write']),
    ).toBe(false);
    expect(
      await clientResourceScopes.replaceClientScopesOfResource(db, 'two', 'platform', fx.otherClientId, fx.resourceId, ['contacts:read']),
    ).toBe(false);
    expect(await clientResourceScopes.findClientScopesOfResource(db, 'one', fx.clientId, fx.resourceId)).toEqual(['contacts:read']);
    expect(await clientResourceScopes.findClientResourceScopes(db, 'two', fx.otherClientId)).toEqual([]);
  },
  'client-resource-scopes.pruneClientScopesOfResource': async () => {
    await clientResourceScopes.pruneClientScopesOfResource(db, 'two', fx.resourceId, []);
    expect(await clientResourceScopes.findClientScopesOfResource(db, 'one', fx.clientId, fx.resourceId)).toEqual(['contacts:read']);
  },
  'resource-consents.pruneResourceConsentsOfResource': async () => {
    await resourceConsents.pruneResourceConsentsOfResource(db, 'two', fx.resourceId, []);
    expect(await resourceConsents.findResourceConsents(db, 'one', fx.userId, fx.clientId)).toEqual([
      { resourceId: fx.resourceId, scope: 'contacts:read' },
    ]);
  },
  'resource-consents.deleteResourceConsentsOfUserAndClient': async () => {
    expect(await resourceConsents.deleteResourceConsentsOfUserAndClient(db, 'two', fx.userId, fx.clientId)).toBe(0);
    expect(await resourceConsents.findResourceConsents(db, 'one', fx.userId, fx.clientId)).toEqual([
      { resourceId: fx.resourceId, scope: 'contacts:read' },
    ]);
  },
  'resource-consents.findResourceConsentsOfUser': async () => {
    expect(await resourceConsents.findResourceConsentsOfUser(db, 'two', fx.userId)).toEqual([]);
    expect(await resourceConsents.findResourceConsentsOfUser(db, 'one', fx.userId)).toEqual([
      expect.objectContaining({ clientId: fx.clientId, resource: CRM, scope: 'contacts:read', description: 'Read your contacts' }),
    ]);
  },
  'resource-consents.findResourceConsents': async () => {
    expect(await resourceConsents.findResourceConsents(db, 'two', fx.userId, fx.clientId)).toEqual([]);
  },
  'resource-consents.addResourceConsents': async () => {
    await resourceConsents.addResourceConsents(db, 'two', fx.userId, fx.clientId, [{ resourceId: fx.resourceId, scope: 'contacts:write' }]);
    await resourceConsents.addResourceConsents(db, 'two', fx.otherUserId, fx.clientId, [
      { resourceId: fx.resourceId, scope: 'contacts:write' },
    ]);
    expect(await db('resource_consents').where({ scope: 'contacts:write' })).toEqual([]);
    expect(await resourceConsents.findResourceConsents(db, 'one', fx.userId, fx.clientId)).toEqual([
      { resourceId: fx.resourceId, scope: 'contacts:read' },
    ]);
  },
  'audit-events.findAuditEvents': async () => {
    expect((await findAuditEvents(db, 'two', { limit: 100 })).every((e) => e.tenantId === 'two')).toBe(true);
    expect((await findAuditEvents(db, 'two', { limit: 100, userId: fx.userId } as never)).length).toBe(0);
  },
  'clients.findClientById': async () => expect(await findClientById(db, 'two', fx.clientId)).toBeUndefined(),
  'clients.findClientsPage': async () => {
    expect((await findClientsPage(db, 'two', { limit: 10 })).map((c) => c.clientId)).not.toContain(fx.clientId);
    expect(await findClientsPage(db, 'two', { afterId: fx.clientId, limit: 10 })).not.toContainEqual(
      expect.objectContaining({ tenantId: 'one' }),
    );
  },
  'clients.updateClientById': async () => {
    expect(await updateClientById(db, 'two', fx.clientId, { name: 'Hijacked', secretHash: 'known' })).toBeUndefined();
    expect(await findClientById(db, 'one', fx.clientId)).toMatchObject({ name: 'One app' });
  },
  'clients.deleteClientById': async () => {
    expect(await deleteClientById(db, 'two', fx.clientId)).toBeUndefined();
    expect(await findClientById(db, 'one', fx.clientId)).toBeDefined();
    expect(await apiResources.findApiResourceById(db, 'one', fx.resourceId)).toBeDefined();
    expect(await apiResources.findUsableApiResource(db, 'one', 'platform', CRM)).toMatchObject({ id: fx.resourceId });
    expect(await clientResourceScopes.findClientResourceScopes(db, 'one', fx.clientId)).toHaveLength(1);
    expect(await resourceConsents.findResourceConsents(db, 'one', fx.userId, fx.clientId)).toHaveLength(1);
  },
  'mail-outbox.composeQueuedMail': async () => {
    await outbox.composeQueuedMail(db, 'two', fx.requestId, { to: 'evil@two.test', subject: 'x', body: 'x', sealedBody: 'x' });
    expect(await db('mail_outbox').where({ id: fx.requestId }).first()).toMatchObject({ to_address: 'owner@one.test', sealed_body: null });
  },
  'mail-outbox.deleteQueuedMail': async () => {
    await outbox.deleteQueuedMail(db, 'two', fx.requestId);
    expect(await db('mail_outbox').where({ id: fx.requestId }).first()).toBeDefined();
  },
  'mail-outbox.markMailSent': async () => {
    await outbox.markMailSent(db, 'two', fx.mailId);
    expect(await db('mail_outbox').where({ id: fx.mailId }).first()).toMatchObject({ sent_at: null, attempts: 0 });
  },
  'mail-outbox.markMailUnsent': async () => {
    await db('mail_outbox').where({ id: fx.mailId }).update({ sent_at: db.fn.now() });
    await outbox.markMailUnsent(db, 'two', fx.mailId);
    expect((await db('mail_outbox').where({ id: fx.mailId }).first()).sent_at).not.toBeNull();
    await db('mail_outbox').where({ id: fx.mailId }).update({ sent_at: null });
  },
  'mail-outbox.findOutboxMessages': async () => {
    expect(await outbox.findOutboxMessages(db, 'two', {})).toEqual([]);
    expect(await outbox.findOutboxMessages(db, 'two', { to: 'owner@one.test' })).toEqual([]);
  },
  'mfa.findMfa': async () => expect(await mfa.findMfa(db, 'two', fx.userId)).toBeUndefined(),
  'mfa.upsertPendingMfa': async () => {
    expect(await mfa.upsertPendingMfa(db, 'two', fx.userId, 'attacker-secret')).toBe(false);
    expect(await mfa.findMfa(db, 'one', fx.userId)).toMatchObject({ status: 'active', secretEncrypted: 'sealed-secret' });
  },
  'mfa.acceptTimeStep': async () => expect(await mfa.acceptTimeStep(db, 'two', fx.userId, 999, false)).toBe(false),
  'mfa.deleteMfa': async () => {
    expect(await mfa.deleteMfa(db, 'two', fx.userId)).toBe(false);
    expect(await mfa.findMfa(db, 'one', fx.userId)).toBeDefined();
  },
  'mfa.replaceBackupCodes': async () => {
    await mfa.replaceBackupCodes(db, 'two', fx.userId, ['attacker-code']);
    expect(await mfa.countUnusedBackupCodes(db, 'one', fx.userId)).toBe(2);
    expect(await mfa.useBackupCode(db, 'one', fx.userId, 'attacker-code')).toBe(false);
    await db('mfa_backup_codes').where({ tenant_id: 'two' }).delete();
  },
  'mfa.useBackupCode': async () => {
    expect(await mfa.useBackupCode(db, 'two', fx.userId, 'code-1')).toBe(false);
    expect(await mfa.countUnusedBackupCodes(db, 'one', fx.userId)).toBe(2);
  },
  'mfa.countUnusedBackupCodes': async () => expect(await mfa.countUnusedBackupCodes(db, 'two', fx.userId)).toBe(0),
  'mfa.findUserIdsWithActiveMfa': async () => expect(await mfa.findUserIdsWithActiveMfa(db, 'two', [fx.userId])).toEqual(new Set()),
  'roles.insertRoles': async () => {
    // Names its own tenant: a role inserted for two is two's only.
    await roles.insertRoles(db, 'two', [{ name: 'twos', description: '', permissions: [], builtIn: false }]);
    expect(await roles.findRoleByName(db, 'one', 'twos')).toBeUndefined();
  },
  'roles.findRolesByNames': async () => expect((await roles.findRolesByNames(db, 'two', ['custom'])).length).toBe(0),
  'roles.assignRoles': async () => {
    await roles.assignRoles(db, 'two', fx.userId, [fx.customRoleId]);
    await roles.assignRoles(db, 'two', fx.otherUserId, [fx.adminRoleId]);
    await roles.assignRoles(db, 'one', fx.otherUserId, [fx.adminRoleId]);
    expect(await roles.findRoleNamesOfUser(db, 'one', fx.userId)).toEqual(['admin']);
    expect(await db('user_roles').where({ user_id: fx.otherUserId, role_id: fx.adminRoleId })).toEqual([]);
  },
  'roles.findRoleNamesOfUser': async () => expect(await roles.findRoleNamesOfUser(db, 'two', fx.userId)).toEqual([]),
  'roles.findPermissionsOfUser': async () => expect(await roles.findPermissionsOfUser(db, 'two', fx.userId)).toEqual([]),
  'roles.findRoleNamesOfUsers': async () => expect((await roles.findRoleNamesOfUsers(db, 'two', [fx.userId])).get(fx.userId)).toEqual([]),
  'roles.replaceUserRoles': async () => {
    await roles.replaceUserRoles(db, 'two', fx.userId, []);
    expect(await roles.findRoleNamesOfUser(db, 'one', fx.userId)).toEqual(['admin']);
  },
  'roles.findRoles': async () => expect((await roles.findRoles(db, 'two')).map((r) => r.name)).not.toContain('custom'),
  'roles.findRoleByName': async () => expect(await roles.findRoleByName(db, 'two', 'custom')).toBeUndefined(),
  'roles.updateRole': async () => {
    expect(await roles.updateRole(db, 'two', 'custom', { permissions: ['tenants:write'] })).toBeUndefined();
    expect(await roles.findRoleByName(db, 'one', 'custom')).toMatchObject({ permissions: ['users:read'] });
  },
  'roles.deleteRole': async () => {
    expect(await roles.deleteRole(db, 'two', 'custom')).toBe(false);
    expect(await roles.findRoleByName(db, 'one', 'custom')).toBeDefined();
  },
  'roles.lockRoleByName': async () => {
    // Two's lock on the name does not wait for one's: the locks are per tenant's row.
    await db.transaction(async (one) => {
      await roles.lockRoleByName(one, 'one', 'admin');
      await db.transaction((two) => roles.lockRoleByName(two, 'two', 'admin'));
    });
  },
  'roles.countActiveHoldersOfRole': async () => {
    expect(await roles.countActiveHoldersOfRole(db, 'two', 'admin', fx.otherUserId)).toBe(0);
    expect(await roles.countActiveHoldersOfRole(db, 'one', 'admin', fx.otherUserId)).toBe(1);
  },
  'backchannel-logouts.enqueueBackchannelLogouts': async () => {
    expect(await backchannel.enqueueBackchannelLogouts(db, 'two', fx.sessionId)).toBe(0);
    expect(await backchannel.findBackchannelLogoutsOfSession(db, 'one', fx.sessionId)).toHaveLength(1);
  },
  'backchannel-logouts.findBackchannelLogoutsOfSession': async () =>
    expect(await backchannel.findBackchannelLogoutsOfSession(db, 'two', fx.sessionId)).toEqual([]),
  'backchannel-logouts.markBackchannelLogoutDelivered': async () => {
    await backchannel.markBackchannelLogoutDelivered(db, 'two', fx.logoutId);
    expect(await backchannel.findBackchannelLogoutsOfSession(db, 'one', fx.sessionId)).toEqual([
      expect.objectContaining({ deliveredAt: null }),
    ]);
  },
  'backchannel-logouts.retryBackchannelLogoutLater': async () => {
    await backchannel.retryBackchannelLogoutLater(db, 'two', fx.logoutId, 1000, 'attack');
    expect(await backchannel.findBackchannelLogoutsOfSession(db, 'one', fx.sessionId)).toEqual([
      expect.objectContaining({ lastError: null }),
    ]);
  },
  'backchannel-logouts.abandonBackchannelLogout': async () => {
    await backchannel.abandonBackchannelLogout(db, 'two', fx.logoutId, 'attack');
    expect(await backchannel.findBackchannelLogoutsOfSession(db, 'one', fx.sessionId)).toEqual([
      expect.objectContaining({ abandonedAt: null, lastError: null }),
    ]);
  },
  'sessions.findLiveSession': async () => expect(await sessions.findLiveSession(db, 'two', fx.sessionId)).toBeUndefined(),
  'sessions.findLiveSessionWithGrant': async () =>
    expect(await sessions.findLiveSessionWithGrant(db, 'two', fx.sessionId, fx.clientId)).toBeUndefined(),
  'sessions.findLiveSessionByOidcUid': async () => expect(await sessions.findLiveSessionByOidcUid(db, 'two', 'browser-1')).toBeUndefined(),
  'sessions.setOidcSessionUid': async () => {
    await sessions.setOidcSessionUid(db, 'two', fx.sessionId, 'hijacked');
    expect(await sessions.findLiveSession(db, 'one', fx.sessionId)).toMatchObject({ oidcSessionUid: 'browser-1' });
  },
  'sessions.endSessionRow': async () => {
    expect(await sessions.endSessionRow(db, 'two', fx.sessionId, 'attack')).toBeUndefined();
    expect(await sessions.findLiveSession(db, 'one', fx.sessionId)).toMatchObject({ endedAt: null });
  },
  'sessions.findLiveSessionsOfUser': async () => expect(await sessions.findLiveSessionsOfUser(db, 'two', fx.userId)).toEqual([]),
  'sessions.findLiveSessionIdsBeyond': async () => expect(await sessions.findLiveSessionIdsBeyond(db, 'two', fx.userId, 0)).toEqual([]),
  'sessions.lockUserSessions': async () => {
    await db.transaction(async (one) => {
      await sessions.lockUserSessions(one, 'one', fx.userId);
      await db.transaction((two) => sessions.lockUserSessions(two, 'two', fx.userId));
    });
  },
  'sessions.touchSession': async () => {
    await db('sessions')
      .where({ id: fx.sessionId })
      .update({ last_seen_at: new Date(Date.now() - 3_600_000) });
    const before = (await sessions.findLiveSession(db, 'one', fx.sessionId))?.lastSeenAt;
    await sessions.touchSession(db, 'two', fx.sessionId);
    expect((await sessions.findLiveSession(db, 'one', fx.sessionId))?.lastSeenAt).toEqual(before);
  },
  'sessions.findOtherLiveSessionIds': async () => expect(await sessions.findOtherLiveSessionIds(db, 'two', fx.userId, null)).toEqual([]),
  'user-tokens.voidUserTokens': async () => {
    expect(await voidUserTokens(db, 'two', fx.userId, 'change_email')).toBe(0);
    expect(await db('user_tokens').where({ token_hash: 'token-email' }).first()).toMatchObject({ used_at: null });
  },
  'user-tokens.useUserToken': async () => {
    expect(await useUserToken(db, 'two', 'token-1', 'password_reset')).toBeUndefined();
    expect(await db('user_tokens').where({ token_hash: 'token-1' }).first()).toMatchObject({ used_at: null });
  },
  'users.findUserById': async () => expect(await users.findUserById(db, 'two', fx.userId)).toBeUndefined(),
  'users.findUserWithRoleNamesById': async () => expect(await users.findUserWithRoleNamesById(db, 'two', fx.userId)).toBeUndefined(),
  'users.findUserByLogin': async () => expect(await users.findUserByLogin(db, 'two', 'owner@one.test')).toBeUndefined(),
  'users.updateUserStatus': async () => {
    expect(await users.updateUserStatus(db, 'two', fx.userId, 'disabled')).toBeUndefined();
    expect(await users.findUserById(db, 'one', fx.userId)).toMatchObject({ status: 'active' });
  },
  'users.recordLoginFailure': async () => {
    expect(await users.recordLoginFailure(db, 'two', fx.userId, 1, 3600)).toEqual({ failedLoginCount: 0, lockedUntil: null });
    expect(await users.findUserById(db, 'one', fx.userId)).toMatchObject({ failedLoginCount: 0, lockedUntil: null });
  },
  'users.recordLoginSuccess': async () => {
    await users.recordLoginSuccess(db, 'two', fx.userId, { tenantId: 'two', type: 'signin.succeeded', subjectId: fx.userId });
    expect(await users.findUserById(db, 'one', fx.userId)).toMatchObject({ lastLoginAt: null });
  },
  'users.clearLockout': async () => expect(await users.clearLockout(db, 'two', fx.userId)).toBe(false),
  'users.updatePasswordHash': async () => {
    const before = await users.findPasswordHash(db, 'one', fx.userId);
    await users.updatePasswordHash(db, 'two', fx.userId, 'attacker-hash');
    expect(await users.findPasswordHash(db, 'one', fx.userId)).toBe(before);
  },
  'users.markEmailVerified': async () => {
    await db('users').where({ id: fx.userId }).update({ email_verified: false });
    await users.markEmailVerified(db, 'two', fx.userId);
    expect(await users.findUserById(db, 'one', fx.userId)).toMatchObject({ emailVerified: false });
    await db('users').where({ id: fx.userId }).update({ email_verified: true });
  },
  'users.findPasswordHash': async () => expect(await users.findPasswordHash(db, 'two', fx.userId)).toBeUndefined(),
  'users.findUsersPage': async () => {
    expect((await users.findUsersPage(db, 'two', { limit: 10 })).map((u) => u.id)).not.toContain(fx.userId);
    expect((await users.findUsersPage(db, 'two', { limit: 10, search: 'owner' })).length).toBe(0);
    expect((await users.findUsersPage(db, 'two', { limit: 10, afterId: fx.userId })).map((u) => u.id)).not.toContain(fx.userId);
  },
  'users.updateUserProfile': async () => {
    expect(await users.updateUserProfile(db, 'two', fx.userId, { email: 'stolen@two.test' })).toBeUndefined();
    expect(await users.findUserById(db, 'one', fx.userId)).toMatchObject({ email: 'owner@one.test' });
  },
};

async function queryExports(): Promise<Array<{ key: string; fn: (...args: unknown[]) => unknown }>> {
  const found: Array<{ key: string; fn: (...args: unknown[]) => unknown }> = [];
  for (const file of readdirSync(QUERIES_DIR)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    const mod = (await import(`${QUERIES_DIR}${file}`)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value === 'function')
        found.push({ key: `${file.replace(/\.ts$/, '')}.${name}`, fn: value as (...args: unknown[]) => unknown });
    }
  }
  return found;
}

/** The parameter names of a function as compiled (TypeScript keeps them). */
const paramsOf = (fn: (...args: unknown[]) => unknown) =>
  /\(([^)]*)\)/
    .exec(fn.toString())?.[1]
    ?.split(',')
    .map((p) => p.trim()) ?? [];

it('every export of the query layer has a cross-tenant probe, says it crosses tenants, or is listed with why not', async () => {
  const unclassified: string[] = [];
  for (const { key, fn } of await queryExports()) {
    const name = key.split('.')[1] as string;
    if (paramsOf(fn).includes('tenantId')) {
      if (!PROBES[key]) unclassified.push(`${key}: takes a tenant id but has no cross-tenant probe`);
    } else if (!CROSS_TENANT_NAME.test(name) && !NOT_TENANT_SCOPED[key] && !CROSS_TENANT_BY_OPAQUE_ID[key]) {
      unclassified.push(`${key}: takes no tenant id; name it …AcrossTenants/…ForPlatform or list why`);
    }
  }
  expect(unclassified).toEqual([]);
  const exported = new Set((await queryExports()).map((e) => e.key));
  expect(Object.keys({ ...PROBES, ...NOT_TENANT_SCOPED, ...CROSS_TENANT_BY_OPAQUE_ID }).filter((k) => !exported.has(k))).toEqual([]);
});

it('the owning tenant sees its rows (the control)', async () => {
  expect(await users.findUserById(db, 'one', fx.userId)).toBeDefined();
  expect(await users.findUserWithRoleNamesById(db, 'one', fx.userId)).toMatchObject({ id: fx.userId, roleNames: ['admin'] });
  expect(await users.findUserByLogin(db, 'one', 'OWNER@one.test')).toBeDefined();
  expect(await findClientById(db, 'one', fx.clientId)).toBeDefined();
  expect(await roles.findRolesByNames(db, 'one', ['custom'])).toHaveLength(1);
  expect(await roles.findPermissionsOfUser(db, 'one', fx.userId)).toContain('users:write');
  expect(await sessions.findLiveSession(db, 'one', fx.sessionId)).toBeDefined();
  expect(await sessions.findLiveSessionByOidcUid(db, 'one', 'browser-1')).toBeDefined();
  expect(await sessions.findLiveSessionsOfUser(db, 'one', fx.userId)).toHaveLength(1);
  expect(await sessions.findLiveSessionIdsBeyond(db, 'one', fx.userId, 0)).toEqual([fx.sessionId]);
  expect(await mfa.findMfa(db, 'one', fx.userId)).toMatchObject({ status: 'active' });
  expect(await mfa.countUnusedBackupCodes(db, 'one', fx.userId)).toBe(2);
  expect(await mfa.findUserIdsWithActiveMfa(db, 'one', [fx.userId])).toEqual(new Set([fx.userId]));
  expect(await outbox.findOutboxMessages(db, 'one', {})).toHaveLength(1);
  expect((await findAuditEvents(db, 'one', { limit: 100 })).length).toBeGreaterThan(0);
});

/** Probes that hold a lock on one connection while another takes its own: embedded PGlite has one connection. */
const TWO_CONNECTIONS = new Set(['roles.lockRoleByName', 'sessions.lockUserSessions']);
const runnable = Object.keys(PROBES).filter((k) => serviceMode() === 'services' || !TWO_CONNECTIONS.has(k));

describe('another tenant sees and changes none of them', () => {
  it.each(runnable.map((k) => [k]))('%s', async (key) => {
    await (PROBES[key] as () => Promise<void>)();
  });
});
