// Every tenant-scoped query, asked with another tenant's id, sees and changes nothing (after ory/hydra's
// persister_nid_test). Add each new tenant-scoped query here.
import { openDatabase, type Database } from '../../src/db/knex.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { deleteClientById, findClientById, findClientsPage, updateClientById } from '../../src/db/queries/clients.ts';
import { findAuditEvents } from '../../src/db/queries/audit-events.ts';
import { findUserIdsWithActiveMfa } from '../../src/db/queries/mfa.ts';
import {
  deleteRole,
  findPermissionsOfUser,
  findRoleByName,
  findRoleNamesOfUser,
  findRoleNamesOfUsers,
  findRoles,
  findRolesByNames,
  insertRoles,
  updateRole,
} from '../../src/db/queries/roles.ts';
import { endSessionRow, findLiveSession, findLiveSessionByOidcUid, setOidcSessionUid } from '../../src/db/queries/sessions.ts';
import {
  findUserById,
  findUserByLogin,
  findUsersPage,
  findUserWithRoleNamesById,
  updateUserProfile,
  updateUserStatus,
} from '../../src/db/queries/users.ts';
import { createLogger } from '../../src/logger.ts';
import { startSession } from '../../src/services/sessions.ts';
import { makeClient, makeTenant, makeUser } from '../helpers/fixtures.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';

let env: TestEnv;
let database: Database;
let ids: { userId: string; clientId: string; sessionId: string };

beforeAll(async () => {
  env = await createTestEnv();
  const config = env.config();
  database = openDatabase(config);
  await migrateToLatest(database.db);
  const deps = { config, db: database.db, logger: createLogger({ logLevel: 'silent' }) };
  await makeTenant(deps, 'one');
  await makeTenant(deps, 'two');
  const user = await makeUser(deps, 'one', 'owner@one.test', 'correct horse battery', ['admin']);
  const { client } = await makeClient(deps, { tenantId: 'one', name: 'One app', redirectUris: ['https://one.test/cb'] });
  // The first session of the user: nothing is evicted, so there is nothing to revoke.
  const session = await startSession(
    { ...deps, revokeGrants: async () => {} },
    { tenantId: 'one', userId: user.id, clientId: client.clientId, amr: ['pwd'], ip: null, userAgent: null },
    {},
  );
  await setOidcSessionUid(database.db, 'one', session.id, 'browser-1');
  await insertRoles(database.db, 'one', [{ name: 'custom', description: '', permissions: ['users:read'], builtIn: false }]);
  ids = { userId: user.id, clientId: client.clientId, sessionId: session.id };
});
afterAll(async () => {
  await database.close();
  await env.destroy();
});

it('the owning tenant sees its rows (the control)', async () => {
  const { db } = database;
  expect(await findUserById(db, 'one', ids.userId)).toBeDefined();
  expect(await findUserWithRoleNamesById(db, 'one', ids.userId)).toMatchObject({ id: ids.userId, roleNames: ['admin'] });
  expect(await findUserByLogin(db, 'one', 'OWNER@one.test')).toBeDefined();
  expect(await findClientById(db, 'one', ids.clientId)).toBeDefined();
  expect((await findClientsPage(db, 'one', { limit: 10 })).map((c) => c.clientId)).toContain(ids.clientId);
  expect(await findRoleNamesOfUser(db, 'one', ids.userId)).toEqual(['admin']);
  expect(await findRolesByNames(db, 'one', ['admin'])).toHaveLength(1);
  expect(await findLiveSession(db, 'one', ids.sessionId)).toBeDefined();
  expect(await findLiveSessionByOidcUid(db, 'one', 'browser-1')).toBeDefined();
  expect(await findUsersPage(db, 'one', { limit: 10 })).toHaveLength(1);
  expect((await findRoleNamesOfUsers(db, 'one', [ids.userId])).get(ids.userId)).toEqual(['admin']);
  expect(await findPermissionsOfUser(db, 'one', ids.userId)).toContain('users:write');
  expect((await findRoles(db, 'one')).map((r) => r.name)).toEqual(['admin', 'custom', 'member']);
  expect(await findRoleByName(db, 'one', 'custom')).toBeDefined();
  expect((await findAuditEvents(db, 'one', { limit: 100 })).length).toBeGreaterThan(0);
});

it('another tenant sees none of them', async () => {
  const { db } = database;
  expect(await findUserById(db, 'two', ids.userId)).toBeUndefined();
  expect(await findUserWithRoleNamesById(db, 'two', ids.userId)).toBeUndefined();
  expect(await findUserByLogin(db, 'two', 'owner@one.test')).toBeUndefined();
  expect(await findClientById(db, 'two', ids.clientId)).toBeUndefined();
  expect(await findClientsPage(db, 'two', { limit: 10 })).toEqual([]);
  expect(await findClientsPage(db, 'two', { afterId: ids.clientId, limit: 10 })).toEqual([]);
  expect(await findRoleNamesOfUser(db, 'two', ids.userId)).toEqual([]);
  expect(await findLiveSession(db, 'two', ids.sessionId)).toBeUndefined();
  expect(await findLiveSessionByOidcUid(db, 'two', 'browser-1')).toBeUndefined();
  expect(await findUsersPage(db, 'two', { limit: 10 })).toEqual([]);
  expect(await findUsersPage(db, 'two', { limit: 10, afterId: ids.userId })).toEqual([]);
  expect((await findRoleNamesOfUsers(db, 'two', [ids.userId])).get(ids.userId)).toEqual([]);
  expect(await findPermissionsOfUser(db, 'two', ids.userId)).toEqual([]);
  expect(await findUserIdsWithActiveMfa(db, 'two', [ids.userId])).toEqual(new Set());
  expect((await findRoles(db, 'two')).map((r) => r.name)).toEqual(['admin', 'member']);
  expect(await findRoleByName(db, 'two', 'custom')).toBeUndefined();
  expect((await findAuditEvents(db, 'two', { limit: 100 })).every((e) => e.tenantId === 'two')).toBe(true);
});

it('another tenant changes none of them', async () => {
  const { db } = database;
  expect(await updateUserStatus(db, 'two', ids.userId, 'disabled')).toBeUndefined();
  expect(await endSessionRow(db, 'two', ids.sessionId, 'attack')).toBeUndefined();
  expect(await updateUserProfile(db, 'two', ids.userId, { email: 'stolen@two.test' })).toBeUndefined();
  expect(await updateRole(db, 'two', 'custom', { permissions: ['tenants:write'] })).toBeUndefined();
  expect(await deleteRole(db, 'two', 'custom')).toBe(false);
  expect(await findRoleByName(db, 'one', 'custom')).toMatchObject({ permissions: ['users:read'] });
  await setOidcSessionUid(db, 'two', ids.sessionId, 'hijacked');
  expect(await updateClientById(db, 'two', ids.clientId, { name: 'Hijacked', secretHash: 'known' })).toBeUndefined();
  expect(await deleteClientById(db, 'two', ids.clientId)).toBeUndefined();
  expect(await findClientById(db, 'one', ids.clientId)).toMatchObject({ name: 'One app' });
  const session = await findLiveSession(db, 'one', ids.sessionId);
  expect(session).toMatchObject({ endedAt: null, oidcSessionUid: 'browser-1' });
  expect(await findUserById(db, 'one', ids.userId)).toMatchObject({ status: 'active', email: 'owner@one.test' });
});
