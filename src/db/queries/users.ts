// SQL for the users table.
import type { Knex } from 'knex';
import { creationOrderPage, deletedRows, prepared } from '../knex.ts';
import { AUDIT_EVENT_COLUMNS, auditEventValues, type NewAuditEvent } from './audit-events.ts';

export type UserStatus = 'active' | 'disabled';

export interface User {
  id: string;
  tenantId: string;
  email: string;
  username: string | null;
  status: UserStatus;
  emailVerified: boolean;
  failedLoginCount: number;
  lockedUntil: Date | null;
  lastLoginAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A user with the password hash; only the credential check sees this shape. */
export interface UserWithPassword extends User {
  passwordHash: string;
}

export interface NewUser {
  tenantId: string;
  email: string;
  username?: string | undefined;
  passwordHash: string;
  emailVerified: boolean;
}

interface UserRow {
  id: string;
  tenant_id: string;
  email: string;
  username: string | null;
  password_hash: string;
  status: UserStatus;
  email_verified: boolean;
  failed_login_count: number;
  locked_until: Date | null;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  tenantId: r.tenant_id,
  email: r.email,
  username: r.username,
  status: r.status,
  emailVerified: r.email_verified,
  failedLoginCount: r.failed_login_count,
  lockedUntil: r.locked_until,
  lastLoginAt: r.last_login_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export async function insertUser(db: Knex, user: NewUser): Promise<User> {
  const [row] = await db<UserRow>('users')
    .insert({
      tenant_id: user.tenantId,
      email: user.email,
      username: user.username ?? null,
      password_hash: user.passwordHash,
      email_verified: user.emailVerified,
    })
    .returning('*');
  return toUser(row as UserRow);
}

export type UserWithRoleNames = User & { roleNames: string[] };

/** The names of a user's roles in its own tenant, sorted: an SQL array expression over the users row `alias`. */
const roleNamesOf = (alias: string) =>
  `array(select r.name from user_roles ur join roles r on r.id = ur.role_id where ur.user_id = ${alias}.id and r.tenant_id = ${alias}.tenant_id order by r.name)`;

const USER_COLUMNS: ReadonlyArray<Exclude<keyof UserRow, 'password_hash'>> = [
  'id',
  'tenant_id',
  'email',
  'username',
  'status',
  'email_verified',
  'failed_login_count',
  'locked_until',
  'last_login_at',
  'created_at',
  'updated_at',
];

/**
 * The select list of a user with its role names for queries elsewhere that join `users` as `u` (columns prefixed
 * `u__`, no password hash); `userWithRoleNamesFromRow` reads it back.
 */
export const USER_WITH_ROLE_NAMES_SELECT = [...USER_COLUMNS.map((c) => `u.${c} as u__${c}`), `${roleNamesOf('u')} as u__role_names`].join(
  ', ',
);

export function userWithRoleNamesFromRow(row: Record<string, unknown>): UserWithRoleNames | undefined {
  if (row['u__id'] == null) return undefined;
  const user = Object.fromEntries(USER_COLUMNS.map((c) => [c, row[`u__${c}`]])) as unknown as UserRow;
  return { ...toUser(user), roleNames: row['u__role_names'] as string[] };
}

/** Named columns, not `*`: a prepared statement whose result shape changes under a migration fails. */
const LOGIN_COLUMNS = [...USER_COLUMNS, 'password_hash'].join(', ');

/** Prepared: every sign-in reads the account again (the MFA step, the session-limit page, findAccount). */
export async function findUserById(db: Knex, tenantId: string, id: string): Promise<User | undefined> {
  const { rows } = (await db
    .raw(`select ${USER_COLUMNS.join(', ')} from users where tenant_id = ? and id = ?`, [tenantId, id])
    .options(prepared('gh_user_by_id'))) as { rows: UserRow[] };
  const row = rows[0];
  return row && toUser(row);
}

/** A user of one tenant with the names of its roles in that tenant (sorted), in one round trip (prepared: every sign-in). */
export async function findUserWithRoleNamesById(db: Knex, tenantId: string, id: string): Promise<UserWithRoleNames | undefined> {
  const { rows } = (await db
    .raw(`select ${USER_COLUMNS.join(', ')}, ${roleNamesOf('users')} as role_names from users where tenant_id = ? and id = ?`, [
      tenantId,
      id,
    ])
    .options(prepared('gh_user_with_role_names'))) as { rows: Array<UserRow & { role_names: string[] }> };
  const row = rows[0];
  return row && { ...toUser(row), roleNames: row.role_names };
}

/**
 * Finds a user of one tenant by email or username, case-insensitively, with the password hash. Two index lookups
 * (the email index, then the partial username index) instead of one `email or username` condition, which no index
 * serves: that was a sequential scan of the tenant's users on every sign-in attempt (74–77 ms of PostgreSQL CPU
 * at 100,000 users), triggerable by anyone with unknown emails. An email match wins over another user's equal
 * username; the second lookup runs only when the first finds nobody.
 */
export async function findUserByLogin(db: Knex, tenantId: string, login: string): Promise<UserWithPassword | undefined> {
  const lowered = login.toLowerCase();
  const { rows } = (await db
    .raw(
      `(select ${LOGIN_COLUMNS} from users where tenant_id = ? and lower(email) = ? limit 1)
       union all
       (select ${LOGIN_COLUMNS} from users where tenant_id = ? and lower(username) = ? and username is not null limit 1)
       limit 1`,
      [tenantId, lowered, tenantId, lowered],
    )
    .options(prepared('gh_user_by_login'))) as { rows: UserRow[] };
  const row = rows[0];
  return row && { ...toUser(row), passwordHash: row.password_hash };
}

export async function updateUserStatus(db: Knex, tenantId: string, id: string, status: UserStatus): Promise<User | undefined> {
  const [row] = await db<UserRow>('users')
    .where({ tenant_id: tenantId, id })
    .update({ status, updated_at: db.fn.now() as unknown as Date })
    .returning('*');
  return row && toUser(row as UserRow);
}

/**
 * Counts a failed sign-in in one statement; locks the account once the count reaches maxFailures. A lock that
 * has run out starts a fresh count. Returns the new count and lock.
 */
export async function recordLoginFailure(
  db: Knex,
  tenantId: string,
  id: string,
  maxFailures: number,
  lockSeconds: number,
): Promise<{ failedLoginCount: number; lockedUntil: Date | null }> {
  const { rows } = await db.raw<{ rows: Array<{ failed_login_count: number; locked_until: Date | null }> }>(
    `UPDATE users SET
       failed_login_count = CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN 1 ELSE failed_login_count + 1 END,
       locked_until = CASE
         WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN 1 ELSE failed_login_count + 1 END) >= ?
           THEN now() + make_interval(secs => ?)
         WHEN locked_until IS NOT NULL AND locked_until <= now() THEN NULL
         ELSE locked_until END,
       updated_at = now()
     WHERE tenant_id = ? AND id = ?
     RETURNING failed_login_count, locked_until`,
    [maxFailures, lockSeconds, tenantId, id],
  );
  const row = rows[0];
  return { failedLoginCount: row?.failed_login_count ?? 0, lockedUntil: row?.locked_until ?? null };
}

/**
 * A sign-in that passed every factor: resets the failure count, stamps the time and records the event
 * (`signin.succeeded`), in one statement: one commit where there were two.
 */
export async function recordLoginSuccess(db: Knex, tenantId: string, id: string, audit: NewAuditEvent): Promise<void> {
  await db
    .raw(
      `with reset as (
         update users set failed_login_count = 0, locked_until = null, last_login_at = now() where tenant_id = ? and id = ?
       )
       insert into audit_events (${AUDIT_EVENT_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)`,
      [tenantId, id, ...auditEventValues(audit)],
    )
    .options(prepared('gh_login_success'));
}

/** Admin unlock: clears the lock and the failure count. */
export async function clearLockout(db: Knex, tenantId: string, id: string): Promise<boolean> {
  return (
    (await db('users')
      .where({ tenant_id: tenantId, id })
      .update({ failed_login_count: 0, locked_until: null, updated_at: db.fn.now() })) === 1
  );
}

export async function updatePasswordHash(db: Knex, tenantId: string, id: string, passwordHash: string): Promise<void> {
  await db('users').where({ tenant_id: tenantId, id }).update({
    password_hash: passwordHash,
    password_changed_at: db.fn.now(),
    failed_login_count: 0,
    locked_until: null,
    updated_at: db.fn.now(),
  });
}

/**
 * Replaces a hash with one of the same password under new settings (a rehash at sign-in), only while the stored
 * hash is still `oldHash`: a password changed meanwhile stays. Not a password change: nothing else is touched.
 */
export async function replacePasswordHash(db: Knex, tenantId: string, id: string, oldHash: string, newHash: string): Promise<boolean> {
  return (await db('users').where({ tenant_id: tenantId, id, password_hash: oldHash }).update({ password_hash: newHash })) === 1;
}

export async function markEmailVerified(db: Knex, tenantId: string, id: string): Promise<void> {
  await db('users').where({ tenant_id: tenantId, id }).update({ email_verified: true, updated_at: db.fn.now() });
}

export async function findPasswordHash(db: Knex, tenantId: string, id: string): Promise<string | undefined> {
  const row = await db<UserRow>('users').where({ tenant_id: tenantId, id }).first('password_hash');
  return row?.password_hash;
}

/** A page of a tenant's users in creation order, optionally filtered by a substring of email or username. */
export async function findUsersPage(
  db: Knex,
  tenantId: string,
  filter: { search?: string | undefined; status?: UserStatus | undefined; afterId?: string | undefined; limit: number },
): Promise<User[]> {
  const q = creationOrderPage(db, 'users', 'id', tenantId, filter);
  if (filter.search) {
    const pattern = `%${filter.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q.andWhere((w) => w.whereRaw('lower(email) LIKE ?', [pattern]).orWhereRaw('lower(username) LIKE ?', [pattern]));
  }
  if (filter.status) q.andWhere({ status: filter.status });
  return ((await q) as UserRow[]).map(toUser);
}

export async function updateUserProfile(
  db: Knex,
  tenantId: string,
  id: string,
  changes: { email?: string | undefined; username?: string | null | undefined; emailVerified?: boolean | undefined },
): Promise<User | undefined> {
  const [row] = await db<UserRow>('users')
    .where({ tenant_id: tenantId, id })
    .update({
      ...(changes.email !== undefined && { email: changes.email }),
      ...(changes.username !== undefined && { username: changes.username }),
      ...(changes.emailVerified !== undefined && { email_verified: changes.emailVerified }),
      updated_at: db.fn.now() as unknown as Date,
    })
    .returning('*');
  return row && toUser(row as UserRow);
}

/** Deletes a user; sessions, roles, MFA and tokens of theirs go with the row (ON DELETE CASCADE). */
export async function deleteUserById(db: Knex, tenantId: string, id: string): Promise<boolean> {
  return deletedRows(await db('users').where({ tenant_id: tenantId, id }).delete()) > 0;
}
