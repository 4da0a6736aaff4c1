// Every tenant-scoped query, asked with another tenant's id, sees and changes nothing (after ory/hydra's
// persister_nid_test). Add each new tenant-scoped query here.
import { openDatabase, type Database } from '../../src/db/knex.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { deleteClientById, findClientById, findClientsPage, updateClientById } from '../../src/db/queries/clients.ts';
import { findRoleNamesOfUser, findRolesByNames } from '../../src/db/queries/roles.ts';
import { endSessionRow, findLiveSession, findLiveSessionByOidcUid, setOidcSessionUid } from '../../src/db/queries/sessions.ts';
import { findUserById, findUserByLogin, updateUserStatus } from '../../src/db/queries/users.ts';
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
  const { session } = await startSession(
    deps,
    { tenantId: 'one', userId: user.id, clientId: client.clientId, amr: ['pwd'], ip: null, userAgent: null },
    {},
  );
  await setOidcSessionUid(database.db, 'one', session.id, 'browser-1');
  ids = { userId: user.id, clientId: client.clientId, sessionId: session.id };
});
afterAll(async () => {
  await database.close();
  await env.destroy();
});

it('the owning tenant sees its rows (the control)', async () => {
  const { db } = database;
  expect(await findUserById(db, 'one', ids.userId)).toBeDefined();
  expect(await findUserByLogin(db, 'one', 'OWNER@one.test')).toBeDefined();
  expect(await findClientById(db, 'one', ids.clientId)).toBeDefined();
  expect((await findClientsPage(db, 'one', { limit: 10 })).map((c) => c.clientId)).toContain(ids.clientId);
  expect(await findRoleNamesOfUser(db, 'one', ids.userId)).toEqual(['admin']);
  expect(await findRolesByNames(db, 'one', ['admin'])).toHaveLength(1);
  expect(await findLiveSession(db, 'one', ids.sessionId)).toBeDefined();
  expect(await findLiveSessionByOidcUid(db, 'one', 'browser-1')).toBeDefined();
});

it('another tenant sees none of them', async () => {
  const { db } = database;
  expect(await findUserById(db, 'two', ids.userId)).toBeUndefined();
  expect(await findUserByLogin(db, 'two', 'owner@one.test')).toBeUndefined();
  expect(await findClientById(db, 'two', ids.clientId)).toBeUndefined();
  expect(await findClientsPage(db, 'two', { limit: 10 })).toEqual([]);
  expect(await findClientsPage(db, 'two', { afterId: ids.clientId, limit: 10 })).toEqual([]);
  expect(await findRoleNamesOfUser(db, 'two', ids.userId)).toEqual([]);
  expect(await findLiveSession(db, 'two', ids.sessionId)).toBeUndefined();
  expect(await findLiveSessionByOidcUid(db, 'two', 'browser-1')).toBeUndefined();
});

it('another tenant changes none of them', async () => {
  const { db } = database;
  expect(await updateUserStatus(db, 'two', ids.userId, 'disabled')).toBeUndefined();
  expect(await endSessionRow(db, 'two', ids.sessionId, 'attack')).toBeUndefined();
  await setOidcSessionUid(db, 'two', ids.sessionId, 'hijacked');
  expect(await updateClientById(db, 'two', ids.clientId, { name: 'Hijacked', secretHash: 'known' })).toBeUndefined();
  expect(await deleteClientById(db, 'two', ids.clientId)).toBeUndefined();
  expect(await findClientById(db, 'one', ids.clientId)).toMatchObject({ name: 'One app' });
  const session = await findLiveSession(db, 'one', ids.sessionId);
  expect(session).toMatchObject({ endedAt: null, oidcSessionUid: 'browser-1' });
  expect((await findUserById(db, 'one', ids.userId))?.status).toBe('active');
});
